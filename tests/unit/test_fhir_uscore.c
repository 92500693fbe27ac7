/*
 * test_fhir_uscore.c — the 201 US Core 6.1.0 example resources
 * (../shared/reference/us-core-6.1.0/examples/) against the R4 base and
 * the profiles each declares in meta.profile: every one validates without
 * errors, except those listed in `expected` with the reason and the one
 * place hxe reports. Skipped with a message when the folder is absent.
 */
#include "helpers/testutil.h"

#include "fhir/fhir.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *file;
    const char *expr;     /* the one error expected, by its expression */
    const char *why;
} expected[] = {
    {"DiagnosticReport-cbc.json", "DiagnosticReport.text.div",
     "text has a status but no div; Narrative.div is 1..1 in R4 (the IG publisher "
     "fills the narrative in when it renders the example)"},
    {"Observation-satO2-fiO2.json", "Observation.component[0].valueQuantity",
     "the R4 core vitalsigns profile (which us-core-pulse-oximetry derives from) binds "
     "Observation.component.value[x] to ucum-vitals-common, required; the inhaled oxygen "
     "flow rate is in L/min, which that value set does not hold"},
};

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_examples(void **state)
{
    (void)state;
    const char *shared = getenv("HXE_SHARED_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/reference/us-core-6.1.0/examples", shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d) {
        print_message("SKIP: %s absent\n", dir);
        skip();
    }
    char *names[1024];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 1024)
        if (strstr(de->d_name, ".json"))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    assert_true(n >= 201);
    size_t bad = 0, with_profile = 0, expected_seen = 0;
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = tu_read(path, &len);
        assert_non_null(data);
        json_t *r = NULL;
        hxe_err err = {0, ""};
        int rc = hxe_fhir_read(&r, data, len, NULL, &err);
        if (rc) {
            print_message("%s: unreadable: %s\n", names[i], err.msg);
            bad++;
            free(data);
            continue;
        }
        if (json_object_get(json_object_get(r, "meta"), "profile"))
            with_profile++;
        hxe_issues is = HXE_ISSUES_INIT;
        assert_int_equal(hxe_fhir_validate(r, NULL, &is, &err), 0);
        const char *want = NULL;
        for (size_t k = 0; k < sizeof expected / sizeof expected[0]; k++)
            if (strcmp(expected[k].file, names[i]) == 0)
                want = expected[k].expr;
        if (want) {
            size_t wl = strlen(want);
            int ok = is.errors == 1;
            for (size_t k = 0; ok && k < is.n; k++)
                if (is.v[k].severity >= HXE_SEV_ERROR)
                    ok = strncmp(is.v[k].text, want, wl) == 0 && strncmp(is.v[k].text + wl, ": ", 2) == 0;
            if (!ok) {
                print_message("%s: expected exactly one error at %s\n", names[i], want);
                bad++;
            }
            expected_seen++;
        } else if (is.errors) {
            for (size_t k = 0; k < is.n; k++)
                print_message("%s: %s %s\n", names[i], hxe_severity_name(is.v[k].severity), is.v[k].text);
            bad++;
        }
        /* the OperationOutcome of every example is itself a valid resource */
        json_t *oo = NULL;
        assert_int_equal(hxe_fhir_outcome(&oo, &is), 0);
        hxe_issues ois = HXE_ISSUES_INIT;
        assert_int_equal(hxe_fhir_validate(oo, NULL, &ois, NULL), 0);
        assert_int_equal(ois.errors, 0);
        hxe_issues_free(&ois);
        json_decref(oo);
        /* write -> read -> write is stable */
        hxe_buf b1 = HXE_BUF_INIT, b2 = HXE_BUF_INIT;
        json_t *r2 = NULL;
        assert_int_equal(hxe_fhir_write(r, 0, &b1), 0);
        assert_int_equal(hxe_fhir_read(&r2, b1.p, b1.len, NULL, NULL), 0);
        assert_int_equal(hxe_fhir_write(r2, 0, &b2), 0);
        assert_int_equal(b1.len, b2.len);
        assert_memory_equal(b1.p, b2.p, b1.len);
        json_decref(r2);
        hxe_buf_free(&b1);
        hxe_buf_free(&b2);
        hxe_issues_free(&is);
        json_decref(r);
        free(data);
    }
    print_message("US Core examples: %zu files, %zu declare profiles, %zu expected failures, %zu unexpected\n",
                  n, with_profile, expected_seen, bad);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    assert_int_equal(expected_seen, sizeof expected / sizeof expected[0]);
    assert_int_equal(bad, 0);
}

/* Each example checked explicitly against the US Core profile of its
 * kind finds what meta.profile found: asking for a profile is the same
 * as declaring it. */
static void test_explicit_profile(void **state)
{
    (void)state;
    const char *shared = getenv("HXE_SHARED_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/reference/us-core-6.1.0/examples/Patient-example.json",
             shared ? shared : "../shared");
    size_t len = 0;
    char *data = tu_read(path, &len);
    if (!data) {
        print_message("SKIP: %s absent\n", path);
        skip();
    }
    json_t *r = NULL;
    assert_int_equal(hxe_fhir_read(&r, data, len, NULL, NULL), 0);
    /* drop the identifier: the profile requires it, the base does not */
    assert_int_equal(hxe_fhir_remove(r, "Patient.identifier", NULL), 0);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_fhir_vopts o = {NULL, 0, 1, 0};
    assert_int_equal(hxe_fhir_validate(r, &o, &is, NULL), 0);
    assert_int_equal(is.errors, 0);
    hxe_issues_free(&is);
    const char *p[] = {"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"};
    o = (hxe_fhir_vopts){p, 1, 1, 0};
    assert_int_equal(hxe_fhir_validate(r, &o, &is, NULL), 0);
    assert_int_equal(is.errors, 1);
    assert_non_null(strstr(is.v[0].text, "Patient.identifier: "));
    hxe_issues_free(&is);
    json_decref(r);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_examples),
        cmocka_unit_test(test_explicit_profile),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
