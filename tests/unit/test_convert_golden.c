/*
 * test_convert_golden.c — one golden Bundle per supported message type:
 * tests/data/convert/NAME.hl7 converts to exactly NAME.json (pretty,
 * reviewed by hand; docs/v2-to-fhir.md explains what each shows), and the
 * Bundle validates with zero errors. HXE_UPDATE_GOLDEN=1 rewrites the
 * .json files (review the diff before committing).
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <stdlib.h>
#include <string.h>

static void golden(const char *name)
{
    char path[512];
    const char *src = getenv("HXE_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/data/convert/%s.hl7", src ? src : ".", name);
    size_t len = 0;
    char *in = tu_read(path, &len);
    assert_non_null(in);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, in, len), 0);
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
    hxe_free(in);
    hxe_issues_free(&vi);
    hxe_buf_free(&out);
    json_decref(b);
    tu_done(&t);
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
