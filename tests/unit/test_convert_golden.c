/*
 * test_convert_golden.c — one golden Bundle per supported message type:
 * tests/data/convert/NAME.hl7 (or, for SIU S12/S14/S15, MDM T02 and DFT
 * P03, a public sample of ../shared/corpus/hl7v2/, skipped when absent)
 * converts to exactly tests/data/convert/NAME.json (pretty, reviewed by
 * hand; docs/v2-to-fhir.md explains what each shows), and the Bundle
 * validates with zero errors. HXE_UPDATE_GOLDEN=1 rewrites the .json
 * files (review the diff before committing).
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <stdlib.h>
#include <string.h>

/* NAME.json from the message in `in` (the first one of the file) */
static void golden_of(const char *name, const char *in, size_t len)
{
    char path[2048];
    const char *src = getenv("HXE_SOURCE_DIR");
    hxe_hl7_reader rd;
    hxe_slice u;
    hxe_hl7_reader_init(&rd, in, len, NULL);
    int kind;
    while ((kind = hxe_hl7_reader_next(&rd, &u, NULL)) != HXE_HL7_UNIT_END &&
           kind != HXE_HL7_UNIT_MESSAGE)
        ;
    assert_int_equal(kind, HXE_HL7_UNIT_MESSAGE);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, u.p, u.n), 0);
    json_t *b = NULL;
    assert_int_equal(hxe_conv_v2_to_fhir(t.m, NULL, &b, NULL, &t.err), 0);
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_fhir_write(b, HXE_FHIR_WRITE_PRETTY, &out), 0);
    hxe_issues vi = HXE_ISSUES_INIT;
    assert_int_equal(hxe_fhir_validate(b, NULL, &vi, &t.err), 0);
    for (size_t i = 0; i < vi.n; i++)
        if (vi.v[i].severity >= HXE_SEV_ERROR)
            print_message("%s: %s\n", name, vi.v[i].text);
    assert_int_equal(vi.errors, 0);
    snprintf(path, sizeof path, "%s/tests/data/convert/%s.json", src ? src : ".", name);
    if (getenv("HXE_UPDATE_GOLDEN")) {
        FILE *f = fopen(path, "wb");
        assert_non_null(f);
        assert_int_equal(fwrite(out.p, 1, out.len, f), out.len);
        fclose(f);
    }
    size_t glen = 0;
    char *want = tu_read(path, &glen);
    assert_non_null(want);
    if (glen != out.len || memcmp(want, out.p, glen) != 0) {
        size_t k = 0;
        while (k < glen && k < out.len && want[k] == out.p[k])
            k++;
        print_message("%s: differs from the golden at byte %zu\n", name, k);
        fail();
    }
    hxe_free(want);
    hxe_issues_free(&vi);
    hxe_buf_free(&out);
    json_decref(b);
    tu_done(&t);
}

/* tests/data/convert/NAME.hl7 -> NAME.json */
static void golden(const char *name)
{
    char path[512];
    const char *src = getenv("HXE_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/data/convert/%s.hl7", src ? src : ".", name);
    size_t len = 0;
    char *in = tu_read(path, &len);
    assert_non_null(in);
    golden_of(name, in, len);
    hxe_free(in);
}

/* a public sample of ../shared/corpus/hl7v2/ -> NAME.json; skipped when
 * the corpus is absent */
static void golden_corpus(const char *name, const char *file)
{
    const char *dir = tu_shared("hl7v2");
    if (!dir) {
        print_message("corpus absent (HXE_SHARED_DIR/corpus/hl7v2): %s skipped\n", name);
        skip();
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    size_t len = 0;
    char *in = tu_read(path, &len);
    assert_non_null(in);
    golden_of(name, in, len);
    hxe_free(in);
}

static void test_adt_a01(void **s) { (void)s; golden("adt_a01"); }
static void test_adt_a02(void **s) { (void)s; golden("adt_a02"); }
static void test_adt_a03(void **s) { (void)s; golden("adt_a03"); }
static void test_adt_a04(void **s) { (void)s; golden("adt_a04"); }
static void test_adt_a11(void **s) { (void)s; golden("adt_a11"); }
static void test_adt_a13(void **s) { (void)s; golden("adt_a13"); }
static void test_adt_a31(void **s) { (void)s; golden("adt_a31"); }
static void test_adt_a40(void **s) { (void)s; golden("adt_a40"); }
static void test_adt_a08(void **s) { (void)s; golden("adt_a08"); }
static void test_adt_a28(void **s) { (void)s; golden("adt_a28"); }
static void test_oru_r01(void **s) { (void)s; golden("oru_r01"); }
static void test_orm_o01(void **s) { (void)s; golden("orm_o01"); }
static void test_oml_o21(void **s) { (void)s; golden("oml_o21"); }
static void test_vxu_v04(void **s) { (void)s; golden("vxu_v04"); }
/* SIU, MDM and DFT: the public samples where the corpus has one */
static void test_siu_s12(void **s)
{
    (void)s;
    golden_corpus("siu_s12", "OpenIntegrationEngine__engine__server__tests__filereader__nonbatch__01.hl7");
}
static void test_siu_s13(void **s) { (void)s; golden("siu_s13"); }
static void test_siu_s14(void **s)
{
    (void)s;
    golden_corpus("siu_s14", "OpenIntegrationEngine__engine__server__tests__filereader__nonbatch__02.hl7");
}
static void test_siu_s15(void **s)
{
    (void)s;
    golden_corpus("siu_s15", "OpenIntegrationEngine__engine__server__tests__filereader__nonbatch__03.hl7");
}
static void test_mdm_t02(void **s)
{
    (void)s;
    golden_corpus("mdm_t02", "HL7__v2-to-fhir__samples__messages__Message.hl7_MDM_T02.txt");
}
static void test_dft_p03(void **s)
{
    (void)s;
    golden_corpus("dft_p03", "rethinkhealth__hl7v2__qa__fixtures__dft-p03-charge.hl7");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_adt_a01), cmocka_unit_test(test_adt_a02),
        cmocka_unit_test(test_adt_a03), cmocka_unit_test(test_adt_a04),
        cmocka_unit_test(test_adt_a11), cmocka_unit_test(test_adt_a13),
        cmocka_unit_test(test_adt_a31), cmocka_unit_test(test_adt_a40),
        cmocka_unit_test(test_adt_a08), cmocka_unit_test(test_adt_a28),
        cmocka_unit_test(test_oru_r01), cmocka_unit_test(test_orm_o01),
        cmocka_unit_test(test_oml_o21), cmocka_unit_test(test_vxu_v04),
        cmocka_unit_test(test_siu_s12), cmocka_unit_test(test_siu_s13),
        cmocka_unit_test(test_siu_s14), cmocka_unit_test(test_siu_s15),
        cmocka_unit_test(test_mdm_t02), cmocka_unit_test(test_dft_p03),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
