/*
 * test_convert_reportstream.c — hxe's Bundles next to the CDC
 * ReportStream converter's for the same messages
 * (../shared/corpus/hl7v2-fhir/NAME_1_hl7_translation.fhir, from
 * ../shared/corpus/hl7v2/NAME_0_initial_message.hl7). Prints, per
 * message, the resources each produces by type, and asserts that both
 * agree on what the v2 message holds one to one: one Patient, and as many
 * ServiceRequests, DiagnosticReports and Observations (one per ORC/OBR
 * group and per OBX). docs/v2-to-fhir.md explains the other differences.
 * Skipped with a message when the folders are absent.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static const char *types[] = {"Patient", "ServiceRequest", "DiagnosticReport", "Observation",
                              "Specimen", "Practitioner", "PractitionerRole", "Organization",
                              "Provenance", "RelatedPerson"};
#define NT (sizeof types / sizeof types[0])

static void count(json_t *b, size_t *n)
{
    size_t i;
    json_t *e;
    memset(n, 0, NT * sizeof *n);
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        const char *t = json_string_value(json_object_get(json_object_get(e, "resource"), "resourceType"));
        for (size_t k = 0; t && k < NT; k++)
            if (strcmp(t, types[k]) == 0)
                n[k]++;
    }
}

static void test_compare(void **state)
{
    (void)state;
    char fd[2048], vd[2048];
    const char *p = tu_shared("hl7v2-fhir");   /* a static buffer: copy it */
    snprintf(fd, sizeof fd, "%s", p ? p : "");
    p = tu_shared("hl7v2");
    snprintf(vd, sizeof vd, "%s", p ? p : "");
    if (!fd[0] || !vd[0]) {
        print_message("corpus absent (HXE_SHARED_DIR/corpus/hl7v2-fhir): skipped\n");
        skip();
    }
    DIR *d = opendir(fd);
    assert_non_null(d);
    struct dirent *de;
    size_t compared = 0;
    const char *suffix = "_1_hl7_translation.fhir";
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name), sl = strlen(suffix);
        if (nl <= sl || strcmp(de->d_name + nl - sl, suffix) != 0)
            continue;
        char path[4096], base[1024];
        snprintf(base, sizeof base, "%.*s", (int)(nl - sl), de->d_name);
        snprintf(path, sizeof path, "%s/%s_0_initial_message.hl7", vd, base);
        size_t vlen = 0, flen = 0;
        char *v2 = tu_read(path, &vlen);
        if (!v2)
            continue;
        snprintf(path, sizeof path, "%s/%s", fd, de->d_name);
        char *fj = tu_read(path, &flen);
        assert_non_null(fj);
        json_error_t je;
        json_t *rs = json_loadb(fj, flen, 0, &je);
        assert_non_null(rs);
        tu t;
        tu_init(&t);
        assert_int_equal(tu_parse_n(&t, v2, vlen), 0);
        json_t *hx = NULL;
        assert_int_equal(hxe_conv_v2_to_fhir(t.m, NULL, &hx, NULL, &t.err), 0);
        size_t a[NT], b[NT];
        count(rs, a);
        count(hx, b);
        char line[1024];
        size_t o = (size_t)snprintf(line, sizeof line, "%s:", base);
        for (size_t k = 0; k < NT && o < sizeof line; k++)
            if (a[k] || b[k])
                o += (size_t)snprintf(line + o, sizeof line - o, " %s %zu/%zu", types[k], a[k], b[k]);
        print_message("%s (ReportStream/hxe)\n", line);
        for (size_t k = 0; k < 4; k++)
            assert_int_equal(a[k], b[k]);
        compared++;
        json_decref(rs);
        json_decref(hx);
        tu_done(&t);
        hxe_free(v2);
        hxe_free(fj);
    }
    closedir(d);
    print_message("%zu messages compared with ReportStream\n", compared);
    assert_true(compared > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
