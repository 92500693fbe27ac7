/*
 * test_convert_cli.c — `hxe convert --from hl7v2 --to fhir`: one Bundle
 * per message on stdout, notes on stderr, exit codes 0/1/2.
 * Needs $HXE_BIN (set by CMake); skipped without it.
 */
#include "helpers/testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmp[64];
static char out[1 << 20];

/* runs `hxe convert ARGS`, keeps stdout in `out`, returns the exit code */
static int run(const char *args)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s convert %s 2>/dev/null", getenv("HXE_BIN"), args);
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

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_cli(void **state)
{
    (void)state;
    if (!getenv("HXE_BIN")) {
        print_message("HXE_BIN not set: skipped\n");
        skip();
    }
    assert_int_equal(tu_tmpdir(tmp), 0);
    char two[256], bad[256], siu[256], args[1024];
    put("two.hl7",
        "MSH|^~\\&|A|B|C|D|20240101120000+0000||ADT^A04|1|P|2.5.1\r"
        "PID|1||1^^^&1.2.3&ISO^MR||Doe^Jo||20000101|M\r"
        "MSH|^~\\&|A|B|C|D|20240101120000+0000||ORU^R01|2|P|2.5.1\r"
        "PID|1||1^^^&1.2.3&ISO^MR||Doe^Jo||20000101|M\r"
        "OBR|1||F1^L^1.2.4^ISO|1-1^Test^LN|||20240101110000+0000||||||||||||||||||F\r"
        "OBX|1|NM|2345-7^Glucose^LN||90|mg/dL^^UCUM|||||F\r",
        two);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --validate %s", two);
    assert_int_equal(run(args), 0);
    assert_int_equal(lines(out), 2);
    assert_non_null(strstr(out, "\"resourceType\":\"Bundle\""));
    assert_non_null(strstr(out, "\"type\":\"transaction\""));
    assert_non_null(strstr(out, "\"valueQuantity\""));
    /* the same input twice: the same bytes */
    char *first = strdup(out);
    assert_non_null(first);
    assert_int_equal(run(args), 0);
    assert_string_equal(out, first);
    free(first);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --pretty - < %s", two);
    assert_int_equal(run(args), 0);
    assert_true(lines(out) > 50);
    /* a message type hxe does not convert, and no message at all: 1 */
    put("siu.hl7", "MSH|^~\\&|A|B|C|D|20240101||SIU^S12|1|P|2.5.1\rPID|1\r", siu);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir %s", siu);
    assert_int_equal(run(args), 1);
    assert_string_equal(out, "");
    put("bad.hl7", "not a message\n", bad);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir %s", bad);
    assert_int_equal(run(args), 1);
    /* usage: 2 */
    assert_int_equal(run("--from hl7v2 --to fhir"), 2);
    assert_int_equal(run("--from fhir --to hl7v2 x"), 2);
    snprintf(args, sizeof args, "--from hl7v2 --to fhir --tz 5 %s", two);
    assert_int_equal(run(args), 2);
    assert_int_equal(run("--from hl7v2 --to fhir /nonexistent/file"), 2);
    assert_int_equal(run("--help"), 0);
    tu_rmtree(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
