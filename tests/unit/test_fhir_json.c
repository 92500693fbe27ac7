/*
 * test_fhir_json.c — FHIR resources as JSON: reading with limits,
 * canonical writing, path get/set/remove, and the OperationOutcome.
 */
#include "helpers/testutil.h"

#include "fhir/fhir.h"

#include <stdlib.h>
#include <string.h>

static json_t *rd(const char *s)
{
    json_t *r = NULL;
    hxe_err err = {0, ""};
    int rc = hxe_fhir_read(&r, s, strlen(s), NULL, &err);
    assert_int_equal(rc, 0);
    return r;
}

static char *wr(const json_t *r, int flags)
{
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_fhir_write(r, flags, &b), 0);
    return hxe_buf_take(&b, NULL);
}

static void test_read_write_keeps_order(void **state)
{
    (void)state;
    const char *in = "{\"resourceType\":\"Patient\",\"id\":\"p1\",\"name\":[{\"given\":[\"A\"],"
                     "\"family\":\"B\"}],\"active\":true,\"birthDate\":\"1970\","
                     "\"multipleBirthInteger\":2,\"extension\":[{\"url\":\"u\",\"valueDecimal\":0.1}]}";
    json_t *r = rd(in);
    char *out = wr(r, 0);
    assert_string_equal(out, in);   /* keys as read, 0.1 stays 0.1 */
    hxe_free(out);
    out = wr(r, HXE_FHIR_WRITE_PRETTY);
    assert_non_null(strstr(out, "\n  \"id\": \"p1\",\n"));
    assert_int_equal(out[strlen(out) - 1], '\n');
    hxe_free(out);
    json_decref(r);
}

static void test_read_rejects(void **state)
{
    (void)state;
    json_t *r = NULL;
    hxe_err err = {0, ""};
    const char *dup = "{\"resourceType\":\"Patient\",\"id\":\"a\",\"id\":\"b\"}";
    assert_int_equal(hxe_fhir_read(&r, dup, strlen(dup), NULL, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "duplicate key"));
    assert_null(r);
    /* the message never quotes the input */
    const char *bad = "{\"resourceType\":\"Patient\",\"name\":SECRETNAME}";
    assert_int_equal(hxe_fhir_read(&r, bad, strlen(bad), NULL, &err), HXE_EPARSE);
    assert_null(strstr(err.msg, "SECRET"));
    assert_non_null(strstr(err.msg, "line 1"));
    assert_int_equal(hxe_fhir_read(&r, "[1]", 3, NULL, &err), HXE_EPARSE);
    assert_int_equal(hxe_fhir_read(&r, "{\"id\":\"x\"}", 10, NULL, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "resourceType"));
    const char *nul = "{\"resourceType\":\"Patient\",\"id\":\"a\\u0000b\"}";
    assert_int_equal(hxe_fhir_read(&r, nul, strlen(nul), NULL, &err), HXE_EPARSE);
    const char *utf = "{\"resourceType\":\"Patient\",\"id\":\"\xff\"}";
    assert_int_equal(hxe_fhir_read(&r, utf, strlen(utf), NULL, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "UTF-8"));
}

static void test_read_limits(void **state)
{
    (void)state;
    json_t *r = NULL;
    hxe_err err = {0, ""};
    const char *in = "{\"resourceType\":\"Patient\",\"a\":{\"b\":{\"c\":[[[1]]]}}}";
    hxe_fhir_opts o = {10, 0};
    assert_int_equal(hxe_fhir_read(&r, in, strlen(in), &o, &err), HXE_ETOOBIG);
    o = (hxe_fhir_opts){0, 5};
    assert_int_equal(hxe_fhir_read(&r, in, strlen(in), &o, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "nesting"));
    o = (hxe_fhir_opts){0, 6};
    assert_int_equal(hxe_fhir_read(&r, in, strlen(in), &o, &err), 0);
    json_decref(r);
    /* very deep input fails cleanly under the default limits */
    size_t n = 200000;
    char *deep = malloc(2 * n + 64);
    strcpy(deep, "{\"resourceType\":\"Patient\",\"a\":");
    size_t k = strlen(deep);
    for (size_t i = 0; i < n; i++)
        deep[k++] = '[';
    for (size_t i = 0; i < n; i++)
        deep[k++] = ']';
    deep[k++] = '}';
    deep[k] = '\0';
    assert_true(hxe_fhir_read(&r, deep, k, NULL, &err) < 0);
    free(deep);
    /* a byte-order mark is tolerated */
    const char *bom = "\xEF\xBB\xBF{\"resourceType\":\"Patient\"}";
    assert_int_equal(hxe_fhir_read(&r, bom, strlen(bom), NULL, &err), 0);
    json_decref(r);
}

static void test_get(void **state)
{
    (void)state;
    json_t *r = rd("{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"system\":\"a\"},"
                   "{\"system\":\"http://loinc.org\",\"code\":\"1-8\"}]},"
                   "\"valueQuantity\":{\"value\":5}}");
    assert_string_equal(hxe_fhir_get_str(r, "Observation.code.coding[1].system"), "http://loinc.org");
    assert_string_equal(hxe_fhir_get_str(r, "code.coding[1].code"), "1-8");
    assert_string_equal(hxe_fhir_get_str(r, "code.coding.system"), "a");   /* first item */
    json_t *v = NULL;
    hxe_err err = {0, ""};
    assert_int_equal(hxe_fhir_get(r, "Observation.value.value", &v, &err), 0);  /* choice */
    assert_int_equal(json_integer_value(v), 5);
    assert_int_equal(hxe_fhir_get(r, "code.coding", &v, &err), 0);
    assert_true(json_is_array(v));
    assert_int_equal(hxe_fhir_get(r, "code.coding[2]", &v, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_fhir_get(r, "Patient.code", &v, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_fhir_get(r, "code..coding", &v, &err), HXE_EINVAL);
    assert_int_equal(hxe_fhir_get(r, "code.coding[x]", &v, &err), HXE_EINVAL);
    assert_int_equal(hxe_fhir_get(r, "code.", &v, &err), HXE_EINVAL);
    assert_int_equal(hxe_fhir_get(r, "", &v, &err), HXE_EINVAL);
    assert_null(hxe_fhir_get_str(r, "code"));
    json_decref(r);

    r = rd("{\"resourceType\":\"Bundle\",\"entry\":[{},{},{\"resource\":{\"resourceType\":\"Patient\"}}]}");
    assert_string_equal(hxe_fhir_get_str(r, "Bundle.entry[2].resource.resourceType"), "Patient");
    json_decref(r);
}

static void test_set_remove(void **state)
{
    (void)state;
    json_t *r = rd("{\"resourceType\":\"Patient\"}");
    hxe_err err = {0, ""};
    assert_int_equal(hxe_fhir_set_str(r, "Patient.name[0].family", "Doe", &err), 0);
    assert_int_equal(hxe_fhir_set_str(r, "name[0].given[0]", "Jo", &err), 0);
    assert_int_equal(hxe_fhir_set_str(r, "name[0].given[1]", "Ann", &err), 0);
    assert_int_equal(hxe_fhir_set_str(r, "identifier[0].system", "urn:x", &err), 0);
    assert_int_equal(hxe_fhir_set(r, "active", json_true(), &err), 0);
    assert_int_equal(hxe_fhir_set_str(r, "name[0].given[5]", "x", &err), HXE_EINVAL);
    assert_int_equal(hxe_fhir_set_str(r, "active.x", "x", &err), HXE_EINVAL);
    assert_int_equal(hxe_fhir_set_str(r, "Observation.status", "x", &err), HXE_ENOTFOUND);
    char *out = wr(r, 0);
    assert_string_equal(out, "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Doe\",\"given\":"
                             "[\"Jo\",\"Ann\"]}],\"identifier\":[{\"system\":\"urn:x\"}],\"active\":true}");
    hxe_free(out);
    assert_int_equal(hxe_fhir_set_str(r, "name[0].family", "Roe", &err), 0);   /* replace */
    assert_string_equal(hxe_fhir_get_str(r, "name[0].family"), "Roe");
    assert_int_equal(hxe_fhir_remove(r, "name[0].given[0]", &err), 0);
    assert_string_equal(hxe_fhir_get_str(r, "name[0].given[0]"), "Ann");
    assert_int_equal(hxe_fhir_remove(r, "Patient.active", &err), 0);
    assert_int_equal(hxe_fhir_remove(r, "active", &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_fhir_remove(r, "identifier", &err), 0);
    out = wr(r, 0);
    assert_string_equal(out, "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Roe\",\"given\":[\"Ann\"]}]}");
    hxe_free(out);
    json_decref(r);
}

static void test_outcome(void **state)
{
    (void)state;
    hxe_issues is = HXE_ISSUES_INIT;
    json_t *oo = NULL;
    assert_int_equal(hxe_fhir_outcome(&oo, &is), 0);
    char *out = wr(oo, 0);
    assert_string_equal(out, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":"
                             "\"information\",\"code\":\"informational\",\"diagnostics\":\"no issues found\"}]}");
    hxe_free(out);
    json_decref(oo);
    hxe_issues_add(&is, HXE_SEV_ERROR, HXE_FHIR_IT_CODE_INVALID, NULL, "%s",
                   "Patient.gender: code not in the required value set X");
    hxe_issues_add(&is, HXE_SEV_FATAL, HXE_FHIR_IT_STRUCTURE, NULL, "%s", "FHIR JSON: bad");
    assert_int_equal(hxe_fhir_outcome(&oo, &is), 0);
    out = wr(oo, 0);
    assert_string_equal(out, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\","
                             "\"code\":\"code-invalid\",\"expression\":[\"Patient.gender\"],"
                             "\"diagnostics\":\"code not in the required value set X\"},"
                             "{\"severity\":\"fatal\",\"code\":\"structure\",\"diagnostics\":\"FHIR JSON: bad\"}]}");
    hxe_free(out);
    json_decref(oo);
    hxe_issues_free(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_write_keeps_order),
        cmocka_unit_test(test_read_rejects),
        cmocka_unit_test(test_read_limits),
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_set_remove),
        cmocka_unit_test(test_outcome),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
