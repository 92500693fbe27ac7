/*
 * test_fhir_scan.c — the FHIR validator on the inputs its fast paths
 * treat apart: long base64 attachments (a bad byte or pad deep inside),
 * long URIs with whitespace after a long clean run, array indexes past 9
 * in issue expressions, and profile patterns (parsed once for the
 * process) used again and again, from several threads at once.
 */
#include "helpers/testutil.h"

#include "fhir/fhir.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define US "http://hl7.org/fhir/us/core/StructureDefinition/"

/* errors of the resource in json, and whether one is at expr */
static size_t errors_at(const char *json, const char *expr, int *found)
{
    json_t *r = NULL;
    hxe_err err = {0, ""};
    assert_int_equal(hxe_fhir_read(&r, json, strlen(json), NULL, &err), 0);
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(hxe_fhir_validate(r, NULL, &is, &err), 0);
    size_t len = expr ? strlen(expr) : 0;
    *found = 0;
    for (size_t i = 0; expr && i < is.n; i++)
        if (strncmp(is.v[i].text, expr, len) == 0 && strncmp(is.v[i].text + len, ": ", 2) == 0)
            *found = 1;
    size_t n = is.errors;
    hxe_issues_free(&is);
    json_decref(r);
    return n;
}

/* a Patient whose photo[0].data is the base64 text b64 */
static size_t photo_errors(const char *b64)
{
    size_t n = strlen(b64);
    char *json = malloc(n + 128);
    assert_non_null(json);
    snprintf(json, n + 128, "{\"resourceType\":\"Patient\",\"photo\":[{\"data\":\"%s\"}]}", b64);
    int found;
    size_t e = errors_at(json, "Patient.photo[0].data", &found);
    free(json);
    assert_true(e == 0 || found);
    return e;
}

/* n bytes of the base64 alphabet, in turn */
static char *b64_run(size_t n)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *s = malloc(n + 8);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++)
        s[i] = a[i % 64];
    s[n] = '\0';
    return s;
}

static void test_base64(void **state)
{
    (void)state;
    assert_int_equal(photo_errors("YWJj"), 0);
    assert_int_equal(photo_errors("YQ=="), 0);
    assert_int_equal(photo_errors("YWJj\\nZGVm"), 0);   /* a line break inside */
    assert_int_equal(photo_errors("YW=j"), 1);           /* data after the pad */
    assert_int_equal(photo_errors("YWJ*"), 1);
    assert_int_equal(photo_errors("YQ="), 1);            /* length */
    assert_int_equal(photo_errors("Y==="), 1);           /* three pads */
    char *s = b64_run(40000);
    assert_int_equal(photo_errors(s), 0);
    s[39999] = '=';
    s[39998] = '=';
    assert_int_equal(photo_errors(s), 0);
    s[39997] = '=';
    assert_int_equal(photo_errors(s), 1);
    s[39997] = 'A';
    s[30001] = '-';                                      /* deep inside */
    assert_int_equal(photo_errors(s), 1);
    s[30001] = '=';                                      /* a pad, then more */
    assert_int_equal(photo_errors(s), 1);
    s[30001] = 'A';
    s[39999] = '\0';                                     /* 39,999 bytes */
    assert_int_equal(photo_errors(s), 1);
    free(s);
}

static void test_long_uri(void **state)
{
    (void)state;
    char path[600];
    memset(path, 'a', sizeof path - 1);
    path[sizeof path - 1] = '\0';
    char json[1024];
    int found;
    snprintf(json, sizeof json,
             "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://x/%s\"}]}", path);
    assert_int_equal(errors_at(json, NULL, &found), 0);
    path[500] = ' ';
    snprintf(json, sizeof json,
             "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://x/%s\"}]}", path);
    assert_int_equal(errors_at(json, "Patient.identifier[0].system", &found), 1);
    assert_true(found);
    path[500] = 'a';
    snprintf(json, sizeof json,
             "{\"resourceType\":\"Patient\",\"identifier\":[{\"system\":\"http://x/%s\\t\"}]}", path);
    assert_int_equal(errors_at(json, "Patient.identifier[0].system", &found), 1);
    assert_true(found);
}

/* the twelfth name (index 11) and the 101st given name are named right */
static void test_index_expressions(void **state)
{
    (void)state;
    char json[8192];
    size_t n = (size_t)snprintf(json, sizeof json, "{\"resourceType\":\"Patient\",\"name\":[");
    for (int i = 0; i < 12; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s{\"family\":\"%s\"}", i ? "," : "",
                              i == 11 ? "" : "F");
    n += (size_t)snprintf(json + n, sizeof json - n, ",{\"given\":[");
    for (int i = 0; i < 101; i++)
        n += (size_t)snprintf(json + n, sizeof json - n, "%s\"%s\"", i ? "," : "", i == 100 ? " " : "G");
    snprintf(json + n, sizeof json - n, "]}]}");
    int found;
    assert_int_equal(errors_at(json, "Patient.name[11].family", &found), 2);
    assert_true(found);
    assert_int_equal(errors_at(json, "Patient.name[12].given[100]", &found), 2);
    assert_true(found);
}

/* a lab Observation checked against us-core-observation-lab, whose
 * category slice is told apart by a pattern */
#define LAB(cat) "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"}," \
    "\"category\":[{\"coding\":[{\"system\":" \
    "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"" cat "\"}]}]," \
    "\"subject\":{\"reference\":\"Patient/1\"},\"effectiveDateTime\":\"2020\"}"

static size_t lab_errors(json_t *r)
{
    static const char *const prof[1] = {US "us-core-observation-lab"};
    hxe_fhir_vopts o = {prof, 1, 0, 0};
    hxe_issues is = HXE_ISSUES_INIT;
    if (hxe_fhir_validate(r, &o, &is, NULL) != 0)
        return 99;
    size_t n = is.errors;
    hxe_issues_free(&is);
    return n;
}

typedef struct lab_job {
    json_t *good, *bad;
    size_t wrong;   /* runs that did not find what the first run found */
} lab_job;

static void *lab_thread(void *p)
{
    lab_job *j = p;
    for (int i = 0; i < 200; i++)
        j->wrong += (lab_errors(j->good) != 0) + (lab_errors(j->bad) != 1);
    return NULL;
}

static void test_patterns_reused(void **state)
{
    (void)state;
    json_t *good = NULL, *bad = NULL;
    assert_int_equal(hxe_fhir_read(&good, LAB("laboratory"), strlen(LAB("laboratory")), NULL, NULL), 0);
    assert_int_equal(hxe_fhir_read(&bad, LAB("imaging"), strlen(LAB("imaging")), NULL, NULL), 0);
    lab_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (lab_job){good, bad, 0};
        assert_int_equal(pthread_create(&th[i], NULL, lab_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(jobs[i].wrong, 0);
    }
    /* and once more on this thread, after the others */
    assert_int_equal(lab_errors(good), 0);
    assert_int_equal(lab_errors(bad), 1);
    json_decref(good);
    json_decref(bad);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_long_uri),
        cmocka_unit_test(test_index_expressions),
        cmocka_unit_test(test_patterns_reused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
