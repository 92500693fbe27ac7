/*
 * test_fhir_cli.c — `hxe fhir validate|get|profiles` as a user runs them:
 * exit codes (0 valid, 1 errors, 2 usage), readable lines, the
 * OperationOutcome with --json, standard input, and --profile.
 * Needs $HXE_BIN (set by CMake); skipped without it.
 */
#include "helpers/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmp[64];
static char out[65536];

/* Runs the shell command, keeps stdout in `out`, returns the exit code */
static int run(const char *fmt, const char *arg)
{
    const char *bin = getenv("HXE_BIN");
    char cmd[8192], args[4096];
    snprintf(args, sizeof args, fmt, arg, arg);
    snprintf(cmd, sizeof cmd, "%s fhir %s 2>/dev/null", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void put(const char *name, const char *content, char *path)
{
    snprintf(path, 256, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN"))
        return 0;
    return tu_tmpdir(tmp);
}

static int teardown(void **state)
{
    (void)state;
    if (tmp[0])
        tu_rmtree(tmp);
    return 0;
}

static void test_validate(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("SKIP: HXE_BIN not set\n");
        skip();
    }
    char good[256], bad[256], junk[256];
    put("good.json", "{\"resourceType\":\"Patient\",\"gender\":\"female\"}", good);
    put("bad.json", "{\"resourceType\":\"Patient\",\"gender\":\"f\",\"birthDate\":\"1970-02-30\"}", bad);
    put("junk.json", "{\"resourceType\":", junk);
    assert_int_equal(run("validate %s", good), 0);
    assert_non_null(strstr(out, "valid (0 errors"));
    assert_int_equal(run("validate %s", bad), 1);
    assert_non_null(strstr(out, "error code-invalid Patient.gender: "));
    assert_non_null(strstr(out, "error value Patient.birthDate: "));
    assert_null(strstr(out, "1970"));
    assert_int_equal(run("validate --json %s", bad), 1);
    assert_non_null(strstr(out, "\"resourceType\": \"OperationOutcome\""));
    assert_non_null(strstr(out, "\"expression\": [\n        \"Patient.gender\"\n      ]"));
    assert_int_equal(run("validate - < %s", bad), 1);
    assert_int_equal(run("validate --json %s", junk), 1);
    assert_non_null(strstr(out, "\"severity\": \"fatal\""));
    assert_int_equal(run("validate --profile http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient %s", good), 1);
    assert_non_null(strstr(out, "Patient.identifier: "));
    /* usage errors */
    assert_int_equal(run("validate --profile http://x/none %s", good), 2);
    assert_int_equal(run("validate %s/absent.json", tmp), 2);
    assert_int_equal(run("validate --bogus %s", good), 2);
    assert_int_equal(run("validate", NULL), 2);
    assert_int_equal(run("frobnicate", NULL), 2);
}

static void test_get_profiles(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("SKIP: HXE_BIN not set\n");
        skip();
    }
    char f[256];
    put("p.json", "{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"Doe\",\"given\":[\"A\"]}]}", f);
    assert_int_equal(run("get %s Patient.name[0].family name[0].given", f), 0);
    assert_string_equal(out, "Doe\n[\"A\"]\n");
    assert_int_equal(run("get %s name[3].family", f), 1);
    assert_int_equal(run("profiles", NULL), 0);
    assert_non_null(strstr(out, "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab\n"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validate),
        cmocka_unit_test(test_get_profiles),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
