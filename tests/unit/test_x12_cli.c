/*
 * test_x12_cli.c — `hxe x12 ack` and the verbs' options and exit codes:
 * the 999 of a clean file with --control-start, a rejecting 999 and exit
 * 1 for a bad claim, a TA1 for a broken envelope, to-json | from-json
 * giving the file back, --snip checked on
 * validate and ack, --help on every verb, usage errors exit 2.
 * Needs $HXE_BIN (set by CMake); skipped without it.
 */
#include "helpers/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmp[64];
static char out[1 << 16];

static int run(const char *args)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s x12 %s 2>/dev/null", getenv("HXE_BIN"), args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(out, 1, sizeof out - 1, p);
    out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *const GOOD =
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240102*1230*^*00501*000000101*0*T*:~\n"
    "GS*HC*SUBMITTER*RECEIVER*20240102*1230*17*X*005010X222A1~\n"
    "ST*837*0001*005010X222A1~\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "PER*IC*CONTACT*TE*5555551212~\n"
    "NM1*40*2*RECEIVER*****46*R1~\n"
    "HL*1**20*1~\n"
    "NM1*85*2*BILLING*****XX*1234567893~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "REF*EI*123456789~\n"
    "HL*2*1*22*0~\n"
    "SBR*P*18*GROUP******CI~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "NM1*PR*2*PAYER*****PI*P1~\n"
    "CLM*C1*100***11:B:1*Y*A*Y*Y~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV1*HC:99213*100*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "SE*20*0001~\n"
    "GE*1*17~\n"
    "IEA*1*000000101~\n";

static void put(const char *name, const char *content, char *path)
{
    snprintf(path, 256, "%s/%s", tmp, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    assert_non_null(at);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return r;
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
    if (getenv("HXE_BIN"))
        tu_rmtree(tmp);
    return 0;
}

static void test_ack(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("SKIP: HXE_BIN not set\n");
        skip();
    }
    char path[256], args[512];
    /* SNIP 2: the 2010BA address rule of type 4 is not what this is about */
    put("good.x12", GOOD, path);
    snprintf(args, sizeof args, "ack --snip 2 --control-start 500 %s", path);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "*00501*000000500*0*T*:~\n"));
    assert_non_null(strstr(out, "GS*FA*RECEIVER*SUBMITTER*"));
    assert_non_null(strstr(out, "*500*X*005010X231A1~\nST*999*0500*005010X231A1~\n"));
    assert_non_null(strstr(out, "AK2*837*0001*005010X222A1~\nIK5*A~\nAK9*A*1*1*1~\n"));

    char *bad = replace(GOOD, "CLM*C1*100*", "CLM*C1*1X0*");
    put("bad.x12", bad, path);
    snprintf(args, sizeof args, "ack --snip 2 %s", path);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "IK3*CLM*15*2300*8~\nCTX*CLM01:C1~\nIK4*2*782*6~\n"));
    assert_null(strstr(out, "1X0"));
    snprintf(args, sizeof args, "ack --snip 2 --copy-bad-data %s", path);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "IK4*2*782*6*1X0~"));
    free(bad);

    /* IEA02 wrong: a rejecting TA1 and no 999 */
    char *env = replace(GOOD, "IEA*1*000000101", "IEA*1*000000102");
    put("env.x12", env, path);
    snprintf(args, sizeof args, "ack %s", path);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "TA1*000000101*240102*1230*R*001~"));
    assert_null(strstr(out, "ST*999"));
    free(env);

    put("none.x12", "hello", path);
    snprintf(args, sizeof args, "ack %s", path);
    assert_int_equal(run(args), 1);
}

static void test_json(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("SKIP: HXE_BIN not set\n");
        skip();
    }
    char path[256], jpath[256], args[1024];
    put("good.x12", GOOD, path);
    snprintf(args, sizeof args, "to-json %s", path);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "\"loop\":\"2300\""));
    put("good.json", out, jpath);
    snprintf(args, sizeof args, "from-json %s", jpath);
    assert_int_equal(run(args), 0);
    assert_string_equal(out, GOOD);
    put("bad.json", "{\"segment\":{\"id\":\"NM1\"\n", jpath);
    snprintf(args, sizeof args, "from-json %s", jpath);
    assert_int_equal(run(args), 1);
    put("none.x12", "hello", path);
    snprintf(args, sizeof args, "to-json %s", path);
    assert_int_equal(run(args), 1);
}

static void test_usage(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("SKIP: HXE_BIN not set\n");
        skip();
    }
    const char *verbs[] = {"parse", "validate", "to-json", "from-json", "ack"};
    for (size_t i = 0; i < 5; i++) {
        char args[64];
        snprintf(args, sizeof args, "%s --help", verbs[i]);
        assert_int_equal(run(args), 0);
        assert_non_null(strstr(out, "usage: hxe x12"));
        assert_non_null(strstr(out, verbs[i]));
    }
    assert_int_equal(run("--help"), 0);
    assert_non_null(strstr(out, "ack"));
    char path[256], args[512];
    put("good.x12", GOOD, path);
    snprintf(args, sizeof args, "validate --snip 2 %s", path);
    assert_int_equal(run(args), 0);
    snprintf(args, sizeof args, "validate --snip 9 %s", path);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "ack --control-start 0 %s", path);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "ack --control-start 1000000000 %s", path);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "ack --json %s", path);
    assert_int_equal(run(args), 2);
    assert_int_equal(run("ack"), 2);
    assert_int_equal(run("nonsense x"), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
