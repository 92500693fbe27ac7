/*
 * test_convert_corpus.c — every message of ../shared/corpus/hl7v2/ whose
 * type hxe converts becomes a Bundle that validates with zero errors
 * (R4 base + the US Core profiles its resources claim), and converting it
 * twice gives the same bytes. Skipped with a message when the corpus is
 * absent.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static int names_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_corpus_validates(void **state)
{
    (void)state;
    const char *dir = tu_shared("hl7v2");
    if (!dir) {
        print_message("corpus absent (HXE_SHARED_DIR/corpus/hl7v2): skipped\n");
        skip();
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    char *names[1024];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) && nn < 1024)
        if (de->d_name[0] != '.')
            names[nn++] = strdup(de->d_name);
    closedir(d);
    qsort(names, nn, sizeof names[0], names_cmp);
    size_t converted = 0, bad = 0, unsupported = 0;
    for (size_t f = 0; f < nn; f++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[f]);
        size_t len = 0;
        char *buf = tu_read(path, &len);
        if (!buf)
            continue;
        hxe_hl7_reader r;
        hxe_hl7_reader_init(&r, buf, len, NULL);
        hxe_slice u;
        size_t off;
        int kind;
        while ((kind = hxe_hl7_reader_next(&r, &u, &off)) != HXE_HL7_UNIT_END) {
            if (kind != HXE_HL7_UNIT_MESSAGE)
                continue;
            hxe_arena a;
            hxe_issues is = HXE_ISSUES_INIT;
            hxe_err err = {0, ""};
            hxe_hl7_msg *m = NULL;
            hxe_arena_init(&a, 65536, 0);
            if (hxe_hl7_parse(&m, &a, u.p, u.n, NULL, &is, &err) != 0 ||
                !hxe_conv_v2_supported(m)) {
                unsupported++;
                goto next;
            }
            json_t *b1 = NULL, *b2 = NULL;
            int rc = hxe_conv_v2_to_fhir(m, NULL, &b1, &is, &err);
            if (rc == HXE_EINVAL) { /* e.g. no PID: said, not converted */
                unsupported++;
                goto next;
            }
            assert_int_equal(rc, 0);
            assert_int_equal(hxe_conv_v2_to_fhir(m, NULL, &b2, NULL, &err), 0);
            hxe_buf w1 = HXE_BUF_INIT, w2 = HXE_BUF_INIT;
            assert_int_equal(hxe_fhir_write(b1, 0, &w1), 0);
            assert_int_equal(hxe_fhir_write(b2, 0, &w2), 0);
            assert_int_equal(w1.len, w2.len);
            assert_memory_equal(w1.p, w2.p, w1.len);
            hxe_buf_free(&w1);
            hxe_buf_free(&w2);
            hxe_issues vi = HXE_ISSUES_INIT;
            assert_int_equal(hxe_fhir_validate(b1, NULL, &vi, &err), 0);
            converted++;
            if (vi.errors) {
                bad++;
                print_message("%s (offset %zu): %zu errors\n", names[f], off, vi.errors);
                for (size_t i = 0; i < vi.n; i++)
                    if (vi.v[i].severity >= HXE_SEV_ERROR)
                        print_message("    %s\n", vi.v[i].text);
            }
            hxe_issues_free(&vi);
            json_decref(b1);
            json_decref(b2);
        next:
            hxe_issues_free(&is);
            hxe_arena_free(&a);
        }
        hxe_free(buf);
    }
    for (size_t f = 0; f < nn; f++)
        free(names[f]);
    print_message("corpus: %zu messages converted, %zu with errors, %zu not converted types\n",
                  converted, bad, unsupported);
    assert_true(converted > 50);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_validates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
