/*
 * test_hl7_corpus.c — the shared public corpus through the whole codec.
 *
 * ../shared/corpus/hl7v2/: every message parses, writes back byte for
 * byte, converts to JSON, validates, and gets an ACK that is itself a
 * readable message; files with a known defect (hl7v2-sources.tsv says
 * which) show exactly that defect; clean samples validate without errors.
 * ../shared/corpus/hl7v2-broken/: every file is rejected with an AR,
 * never a crash or a hang.
 * Skipped with a message when the shared folder is absent.
 */
#include "helpers/testutil.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Result of running one file through the codec */
struct verdict {
    size_t messages, unreadable, junk, batch_issues, rejected, with_errors;
    hxe_issues all;   /* every message's issues, concatenated */
};

static void add_all(hxe_issues *dst, const hxe_issues *src)
{
    for (size_t i = 0; i < src->n; i++) {
        hxe_issue *it = hxe_issues_add(dst, src->v[i].severity, src->v[i].code, &src->v[i].loc,
                                       "%s", src->v[i].text);
        if (it)
            it->reject = src->v[i].reject;
    }
}

static void run_file(const char *path, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    v->all.max = 100000;
    size_t n = 0;
    char *data = tu_read(path, &n);
    assert_non_null(data);
    hxe_issues batch = HXE_ISSUES_INIT;
    hxe_hl7_reader r;
    hxe_hl7_reader_init(&r, data, n, &batch);
    hxe_arena a;
    hxe_arena_init(&a, 16384, 0);
    hxe_slice u;
    int kind;
    while ((kind = hxe_hl7_reader_next(&r, &u, NULL)) != HXE_HL7_UNIT_END) {
        if (kind == HXE_HL7_UNIT_JUNK) {
            v->junk++;
            continue;
        }
        v->messages++;
        hxe_issues is = HXE_ISSUES_INIT;
        hxe_hl7_msg *m = NULL;
        hxe_buf b = HXE_BUF_INIT;
        int rc = hxe_hl7_parse(&m, &a, u.p, u.n, NULL, &is, NULL);
        if (rc) {
            v->unreadable++;
        } else {
            /* byte for byte */
            assert_int_equal(hxe_hl7_write(m, &b), 0);
            if (b.len != m->raw_len || memcmp(b.p, m->raw, b.len) != 0)
                fail_msg("%s: message %zu does not write back byte for byte", path, v->messages);
            assert_true(u.p + u.n == m->raw + m->raw_len);
            hxe_buf_truncate(&b, 0);
            assert_int_equal(hxe_hl7_to_json(m, 0, &b), 0);
            assert_int_equal(hxe_hl7_validate(m, NULL, &is), 0);
        }
        hxe_buf_truncate(&b, 0);
        const char *code = hxe_hl7_ack_code(rc ? NULL : m, &is, HXE_HL7_ACK_APPLICATION);
        if (code) {
            assert_int_equal(hxe_hl7_ack(rc ? NULL : m, u.p, u.n, &is, NULL, &b), 0);
            tu t;
            tu_init(&t);
            if (tu_parse_n(&t, b.p, b.len) != 0)
                fail_msg("%s: the ACK of message %zu is not readable", path, v->messages);
            assert_string_equal(tu_raw(t.m, "MSA-1"), code);
            tu_done(&t);
        }
        if (hxe_hl7_verdict(rc ? NULL : m, &is) == 'R')
            v->rejected++;
        if (is.errors)
            v->with_errors++;
        add_all(&v->all, &is);
        hxe_buf_free(&b);
        hxe_issues_free(&is);
        hxe_arena_reset(&a);
    }
    v->batch_issues = batch.n;
    hxe_issues_free(&batch);
    hxe_arena_free(&a);
    hxe_free(data);
}

/* Known shapes from hl7v2-sources.tsv and the files themselves */
static const struct expect {
    const char *file;
    int unreadable;       /* 1: no message can be read */
    int code;             /* an issue with this code (0: none expected) */
    const char *seg;
    unsigned field;
} expects[] = {
    {"Test__Message__empty.hl7", 1, 0, NULL, 0},
    {"Test__Message__msh_present_but_missing_all_fields.hl7", 1, 0, NULL, 0},
    {"Test__Message__msh_present_but_missing_msh-2.hl7", 1, 0, NULL, 0},
    {"Test__Message__msh_present_but_missing_msh-10.hl7", 0, 101, "MSH", 10},
    {"Test__Message__msh_present_but_missing_msh-9.hl7", 0, 101, "MSH", 9},
    {"Test__Message__orm_obx-5_is_not_a_numeric_value.hl7", 0, 102, "OBX", 5},
    {"santedb__santedb-hl7__SanteDB.Messaging.HL7.Test__Resources__ADT_INV_GC.txt", 0, 103, "PID", 8},
    {"ruby-hl7__ruby-hl7__test_data__lotsunknowns.hl7", 0, 100, "OMG", 0},
    {"MatthewVita__node-hl7-complete__test__functional__test-data__valid__healthcare-it-systems__adt-example.hl7", 0, 100, "PID", 0},
    {"CDCgov__CDC_IIS_Open_Tools__extract-validator__src__test__resources__testerror.hl7", 0, 102, NULL, 0},
};

/* Samples that are clean by their own standard: no errors at all */
static const char *const clean[] = {
    /* ADT_A01 (A01, A04, A08), ADT_A03, ORU_R01, ORM_O01, OML_O21, VXU_V04,
     * MDM_T02, DFT_P03, batches, ADT_A24 with odd delimiters */
    "GoogleCloudPlatform__healthcare-data-harmonization__wstl1__mapping_configs__hl7v2_fhir_r4__adt_a01_ex1.hl7",
    "GoogleCloudPlatform__healthcare-data-harmonization__wstl1__mapping_configs__hl7v2_fhir_r4__adt_a04_ex1.hl7",
    "GoogleCloudPlatform__healthcare-data-harmonization__wstl1__mapping_configs__hl7v2_fhir_r4__adt_a08_ex1.hl7",
    "rethinkhealth__hl7v2__qa__fixtures__adt-a01-basic.hl7",
    "hapifhir__hapi-hl7v2__hapi-test__src__test__resources__ca__uhn__hl7v2__parser__adt_a03.txt",
    "hapifhir__hapi-hl7v2__hapi-test__src__test__resources__ca__uhn__hl7v2__util__segmentfinder_a24.hl7",
    "CA__002_CA_ORU_R01.hl7",
    "Natus__002_Natus_ORU_R01_NBS.hl7",
    "CDCgov__data-exchange-hl7__tst-hl7-pipeline__src__main__resources__messages__PHLIP_FLU_2.5.1_VALID_MESSAGE.txt",
    "MN__003_MN_ORM_O01_NBS.hl7",
    "MN__002_MN_OML_O21_NBS.hl7",
    "CDCgov__CDC_IIS_Open_Tools__extract-validator__src__test__resources__Adult_z22_New_Covid_vaccine.hl7",
    "HL7__v2-to-fhir__samples__messages__Message.hl7_MDM_T02.txt",
    "rethinkhealth__hl7v2__qa__fixtures__dft-p03-charge.hl7",
    "MatthewVita__node-hl7-complete__test__functional__test-data__valid__mieweb__dft-example.hl7",
    "CDCgov__prime-reportstream__prime-router__src__test__hl7_test_files__batch_message.hl7",
    "OpenIntegrationEngine__engine__server__tests__filereader__batch__batch01.hl7",
    "MohawkMEDIC__client-registry__MARC.HI.EHRS.CR.Messaging.PixPdqv2.Test__Resources__Messages__OHIE-CR-01-10.txt",
};

static const struct expect *find_expect(const char *name)
{
    for (size_t i = 0; i < sizeof expects / sizeof expects[0]; i++)
        if (strcmp(expects[i].file, name) == 0)
            return &expects[i];
    return NULL;
}

static int is_clean(const char *name)
{
    for (size_t i = 0; i < sizeof clean / sizeof clean[0]; i++)
        if (clean[i] && strcmp(clean[i], name) == 0)
            return 1;
    return 0;
}

/* Runs check() on every file of the shared corpus folder `sub`; skips the
 * test when the folder is absent. Returns the number of files. */
struct tally {
    size_t files, msgs, matched, cleaned, known;
};

static size_t each_file(const char *sub, void (*check)(const char *name, struct verdict *v,
                                                       struct tally *t),
                        struct tally *t)
{
    const char *dir = tu_shared(sub);
    if (!dir) {
        print_message("skipped: ../shared/corpus/%s is absent\n", sub);
        skip();
    }
    char root[4096];
    snprintf(root, sizeof root, "%s", dir);
    DIR *d = opendir(root);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", root, e->d_name);
        struct verdict v;
        run_file(path, &v);
        t->files++;
        t->msgs += v.messages;
        check(e->d_name, &v, t);
        hxe_issues_free(&v.all);
    }
    closedir(d);
    return t->files;
}

static void check_good(const char *name, struct verdict *v, struct tally *t)
{
    const struct expect *x = find_expect(name);
    t->known += x != NULL;
    if (x && x->unreadable) {
        if (v->messages && v->unreadable < v->messages)
            fail_msg("%s: expected to be unreadable", name);
        t->matched++;
    } else {
        if (v->unreadable || v->junk)
            fail_msg("%s: %zu unreadable messages, %zu junk units", name, v->unreadable, v->junk);
        assert_true(v->messages > 0);
    }
    if (x && x->code) {
        if (!tu_count(&v->all, x->code, HXE_SEV_WARNING, x->seg, x->field))
            fail_msg("%s: no issue %d at %s-%u", name, x->code, x->seg ? x->seg : "*", x->field);
        t->matched++;
    }
    if (is_clean(name)) {
        if (v->all.errors) {
            for (size_t i = 0; i < v->all.n; i++)
                if (v->all.v[i].severity >= HXE_SEV_ERROR)
                    print_message("  %s: %u %s\n", name, v->all.v[i].code, v->all.v[i].text);
            fail_msg("%s: a clean sample has %zu errors", name, v->all.errors);
        }
        t->cleaned++;
    }
}

static void corpus_reads_writes_validates(void **state)
{
    (void)state;
    struct tally t = {0};
    each_file("hl7v2", check_good, &t);
    print_message("corpus: %zu files, %zu messages, %zu expectations met, %zu clean samples\n",
                  t.files, t.msgs, t.matched, t.cleaned);
    assert_true(t.files >= 100);
    /* every expectation and every clean sample was found and checked */
    assert_int_equal(t.known, sizeof expects / sizeof expects[0]);
    assert_int_equal(t.cleaned, sizeof clean / sizeof clean[0]);
}

static void check_broken(const char *name, struct verdict *v, struct tally *t)
{
    (void)t;
    /* rejected: nothing readable, bytes outside messages, a bad batch,
     * or a message whose verdict is a reject (AR) */
    int rejected = v->messages == 0 || v->unreadable || v->junk || v->batch_issues || v->rejected;
    if (!rejected)
        fail_msg("%s: accepted (%zu messages, %zu errors)", name, v->messages, v->all.errors);
}

static void broken_corpus_is_rejected(void **state)
{
    (void)state;
    struct tally t = {0};
    each_file("hl7v2-broken", check_broken, &t);
    print_message("broken corpus: %zu files, all rejected\n", t.files);
    assert_true(t.files >= 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_reads_writes_validates),
        cmocka_unit_test(broken_corpus_is_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
