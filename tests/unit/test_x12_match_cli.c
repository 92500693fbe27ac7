/*
 * test_x12_match_cli.c — `hxe x12 match SENT RESPONSE...` through the
 * real binary: the 999s `hxe x12 ack` writes for three claims answer
 * them (two accepted, one rejected with its IK5 code and IK3/IK4
 * places, never its values), a set nobody answered is unanswered, a
 * 277CA rejecting a claim and a TA1 rejecting an interchange reject
 * their sets, answers for nothing sent are listed apart; --json gives
 * one object per set; exit codes 0 (all accepted), 1 (some rejected or
 * unanswered), 2 (usage, unreadable files); --help.
 * Needs $HXE_BIN (set by CMake); skipped without it.
 */
#include "helpers/testutil.h"
#include "helpers/x12_fixtures.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char tmp[64];
static char out[1 << 16];

/* Runs `hxe x12 ARGS` and keeps its standard output in out. */
static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s x12 %s 2>/dev/null", getenv("HXE_BIN"), args);
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

static char *replace(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    assert_non_null(at);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *r = malloc(n);
    snprintf(r, n, "%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
    return r;
}

static size_t count_segs(const char *body)
{
    size_t n = 0;
    for (; *body; body++)
        n += *body == '~';
    return n;
}

/* ST .. SE of the clean claim with CLM01 clm01 (and CLM02 as given) */
static void add_set(hxe_buf *b, const char *ctl, const char *clm01, const char *clm02)
{
    char clm[64];
    snprintf(clm, sizeof clm, "CLM*%s*%s*", clm01, clm02);
    char *body = replace(X12_CLEAN_837P_BODY, "CLM*C1*100*", clm);
    assert_int_equal(hxe_buf_printf(b, "ST*837*%s*005010X222A1~\n%sSE*%zu*%s~\n", ctl, body,
                                    count_segs(body) + 2, ctl), 0);
    free(body);
}

static void open_isa(hxe_buf *b, const char *ctl)
{
    assert_int_equal(hxe_buf_printf(b, "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       "
                                       "*240102*1230*^*00501*%s*0*T*:~\n", ctl), 0);
}

/* Interchange 101 (group 17: CLAIM-A, CLAIM-B whose CLM02 is no
 * number), interchange 102 (group 18: CLAIM-C). */
static void write_sent(char *path)
{
    hxe_buf b = HXE_BUF_INIT;
    open_isa(&b, "000000101");
    assert_int_equal(hxe_buf_puts(&b, "GS*HC*SUBMITTER*RECEIVER*20240102*1230*17*X*005010X222A1~\n"), 0);
    add_set(&b, "0001", "CLAIM-A", "100");
    add_set(&b, "0002", "CLAIM-B", "1X0");
    assert_int_equal(hxe_buf_puts(&b, "GE*2*17~\nIEA*1*000000101~\n"), 0);
    open_isa(&b, "000000102");
    assert_int_equal(hxe_buf_puts(&b, "GS*HC*SUBMITTER*RECEIVER*20240102*1230*18*X*005010X222A1~\n"), 0);
    add_set(&b, "0001", "CLAIM-C", "100");
    assert_int_equal(hxe_buf_puts(&b, "GE*1*18~\nIEA*1*000000102~\n"), 0);
    put("sent.x12", b.p, path);
    hxe_buf_free(&b);
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

#define NEED_BIN()                                          \
    do {                                                    \
        if (!getenv("HXE_BIN")) {                           \
            print_message("SKIP: HXE_BIN not set\n");       \
            skip();                                         \
        }                                                   \
    } while (0)

/* the 999s hxe writes for the sent file, as a response file */
static void write_acks(const char *sent, char *path)
{
    char args[512];
    /* SNIP 2: the claims' SNIP 4 address rules are not what this is about */
    snprintf(args, sizeof args, "ack --snip 2 --control-start 7 %s", sent);
    assert_int_equal(run(args), 1);   /* CLAIM-B is rejected */
    put("acks.999", out, path);
}

static void test_999(void **state)
{
    (void)state;
    NEED_BIN();
    char sent[256], acks[256], args[1024];
    write_sent(sent);
    write_acks(sent, acks);
    snprintf(args, sizeof args, "match %s %s", sent, acks);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "000000101/17/0001 837 accepted\n  999 000000007/7/0007 in "));
    assert_non_null(strstr(out, "000000101/17/0002 837 rejected\n  999 000000007/7/0007 in "));
    assert_non_null(strstr(out, ": R, IK502 5\n"));
    assert_non_null(strstr(out, "    segment 19 IK304=8: "));
    assert_non_null(strstr(out, "    segment 19 IK403=6: "));
    assert_non_null(strstr(out, "000000102/18/0001 837 accepted\n  999 000000008/8/0008 in "));
    assert_non_null(strstr(out, "3 set(s) sent: 2 accepted, 1 rejected, 0 unanswered; 0 answer(s)"));
    /* places and codes, never the values */
    assert_null(strstr(out, "1X0"));
    assert_null(strstr(out, "DOE"));

    /* only the first interchange answered: CLAIM-C is unanswered */
    char *acks_text = NULL;
    {
        FILE *f = fopen(acks, "r");
        assert_non_null(f);
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        char *second = strstr(buf, "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *");
        assert_non_null(second);
        second = strstr(second + 1, "ISA*");
        assert_non_null(second);
        *second = '\0';
        acks_text = strdup(buf);
    }
    char one[256];
    put("one.999", acks_text, one);
    free(acks_text);
    snprintf(args, sizeof args, "match %s %s", sent, one);
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "000000102/18/0001 837 unanswered\n"));
    assert_non_null(strstr(out, "1 unanswered"));
}

static void test_all_accepted(void **state)
{
    (void)state;
    NEED_BIN();
    hxe_buf b = HXE_BUF_INIT;
    open_isa(&b, "000000201");
    assert_int_equal(hxe_buf_puts(&b, "GS*HC*SUBMITTER*RECEIVER*20240102*1230*21*X*005010X222A1~\n"), 0);
    add_set(&b, "0001", "CLAIM-D", "100");
    assert_int_equal(hxe_buf_puts(&b, "GE*1*21~\nIEA*1*000000201~\n"), 0);
    char sent[256], acks[256], args[1024];
    put("good.x12", b.p, sent);
    hxe_buf_free(&b);
    snprintf(args, sizeof args, "ack --snip 2 %s", sent);
    assert_int_equal(run(args), 0);
    put("good.999", out, acks);
    snprintf(args, sizeof args, "match %s %s", sent, acks);
    assert_int_equal(run(args), 0);
    assert_non_null(strstr(out, "000000201/21/0001 837 accepted\n"));
    assert_non_null(strstr(out, "1 set(s) sent: 1 accepted, 0 rejected, 0 unanswered"));
}

static void test_277ca_and_ta1(void **state)
{
    (void)state;
    NEED_BIN();
    char sent[256], resp[256], args[1024];
    write_sent(sent);
    /* a 277CA: CLAIM-A accepted (A2:20), CLAIM-C rejected (A7:562), and a
     * claim nobody sent; a TA1 rejecting interchange 101 */
    const char *r =
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000031*0*T*:~\n"
        "GS*HN*RECEIVER*SUBMITTER*20240103*0915*31*X*005010X214~\n"
        "ST*277*0001*005010X214~\n"
        "BHT*0085*08*277X214*20240103*0915*TH~\n"
        "HL*1**20*1~\nNM1*PR*2*PAYER*****PI*12345~\nTRN*1*0091182~\nDTP*050*D8*20240102~\nDTP*009*D8*20240103~\n"
        "HL*2*1*21*1~\nNM1*41*2*SUBMITTER*****46*S1~\nTRN*2*2002~\nSTC*A1:20*20240103*WQ*300~\n"
        "HL*3*2*19*1~\nNM1*85*2*BILLING*****XX*1234567893~\nTRN*1*0~\n"
        "HL*4*3*PT~\nNM1*QC*1*DOE*JOHN****MI*M1~\nTRN*2*CLAIM-A~\nSTC*A2:20*20240103*WQ*100~\nDTP*472*D8*20240101~\n"
        "HL*5*3*PT~\nNM1*QC*1*DOE*JOHN****MI*M1~\nTRN*2*CLAIM-C~\nSTC*A7:562*20240103*U*100~\nDTP*472*D8*20240101~\n"
        "HL*6*3*PT~\nNM1*QC*1*DOE*JOHN****MI*M1~\nTRN*2*CLAIM-Z~\nSTC*A2:20*20240103*WQ*100~\nDTP*472*D8*20240101~\n"
        "SE*30*0001~\nGE*1*31~\nIEA*1*000000031~\n"
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000032*0*T*:~\n"
        "TA1*000000101*240102*1230*R*024~\nIEA*0*000000032~\n";
    put("resp.x12", r, resp);
    snprintf(args, sizeof args, "match %s %s", sent, resp);
    assert_int_equal(run(args), 1);
    /* CLAIM-A's 277CA accepts, the TA1 rejects its interchange */
    assert_non_null(strstr(out, "000000101/17/0001 837 rejected\n"));
    assert_non_null(strstr(out, "  277CA 000000031/31/0001 in "));
    assert_non_null(strstr(out, " claim CLAIM-A A\n    segment 18 277CA STC01 A2:20\n"));
    assert_non_null(strstr(out, "  TA1 000000032/-/- in "));
    assert_non_null(strstr(out, ": R, TA105 024\n"));
    /* CLAIM-C rejected by its 277CA */
    assert_non_null(strstr(out, "000000102/18/0001 837 rejected\n"));
    assert_non_null(strstr(out, " claim CLAIM-C R\n    segment 23 277CA STC01 A7:562\n"));
    /* the claim nobody sent */
    assert_non_null(strstr(out, "unmatched"));
    assert_non_null(strstr(out, "claim CLAIM-Z A"));
    assert_non_null(strstr(out, "1 answer(s) match nothing sent"));
}

static void test_json(void **state)
{
    (void)state;
    NEED_BIN();
    char sent[256], acks[256], args[1024];
    write_sent(sent);
    write_acks(sent, acks);
    snprintf(args, sizeof args, "match --json %s %s", sent, acks);
    assert_int_equal(run(args), 1);
    const char *outcomes[] = {"accepted", "rejected", "accepted"};
    const char *controls[] = {"0001", "0002", "0001"};
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), lines++) {
        json_error_t e;
        json_t *o = json_loads(line, 0, &e);
        if (!o)
            fail_msg("line %zu is not JSON: %s", lines, e.text);
        assert_true(lines < 3);
        assert_string_equal(json_string_value(json_object_get(o, "outcome")), outcomes[lines]);
        assert_string_equal(json_string_value(json_object_get(o, "control")), controls[lines]);
        assert_string_equal(json_string_value(json_object_get(o, "set")), "837");
        json_t *answers = json_object_get(o, "answers");
        assert_int_equal(json_array_size(answers), 1);
        json_t *a = json_array_get(answers, 0);
        assert_string_equal(json_string_value(json_object_get(a, "kind")), "999");
        assert_string_equal(json_string_value(json_object_get(a, "status")), lines == 1 ? "R" : "A");
        json_t *issues = json_object_get(a, "issues");
        if (lines == 1) {
            /* IK3 8 and IK4 6 at CLM (segment 19) and IK502 5 */
            assert_int_equal(json_array_size(issues), 3);
            json_t *ik4 = json_array_get(issues, 1);
            assert_string_equal(json_string_value(json_object_get(ik4, "code")), "6");
            assert_int_equal(json_integer_value(json_object_get(ik4, "position")), 19);
            assert_int_equal(json_integer_value(json_object_get(ik4, "element")), 2);
        } else {
            assert_int_equal(json_array_size(issues), 0);
        }
        json_decref(o);
    }
    assert_int_equal(lines, 3);
}

static void test_usage(void **state)
{
    (void)state;
    NEED_BIN();
    char sent[256], junk[256], args[1024];
    write_sent(sent);
    assert_int_equal(run("match --help"), 0);
    assert_non_null(strstr(out, "usage: hxe x12 match"));
    assert_int_equal(run("--help"), 0);
    assert_non_null(strstr(out, "hxe x12 match [--json] SENT_FILE RESPONSE_FILE..."));
    /* a sent file without responses, no files, an unknown option */
    snprintf(args, sizeof args, "match %s", sent);
    assert_int_equal(run(args), 2);
    assert_int_equal(run("match"), 2);
    snprintf(args, sizeof args, "match --snip 2 %s %s", sent, sent);
    assert_int_equal(run(args), 2);
    /* files that cannot be read, or hold no X12 */
    snprintf(args, sizeof args, "match %s/none.x12 %s", tmp, sent);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "match %s %s/none.999", sent, tmp);
    assert_int_equal(run(args), 2);
    put("junk.txt", "not an interchange\n", junk);
    snprintf(args, sizeof args, "match %s %s", sent, junk);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "match %s %s", junk, sent);
    assert_int_equal(run(args), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_999),
        cmocka_unit_test(test_all_accepted),
        cmocka_unit_test(test_277ca_and_ta1),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_usage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
