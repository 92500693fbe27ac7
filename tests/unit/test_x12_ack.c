/*
 * test_x12_ack.c — the 999 and TA1 hxe sends: a clean set is accepted, a
 * set with element and segment problems is rejected with its IK3/IK4
 * (and the claim's CTX), a group with a good and a bad set is partly
 * accepted, situational problems name their trigger in CTX, group and
 * interchange envelope errors give AK905 codes and TA1s, control numbers
 * come from the caller's sequence, IK404 only on request. Every 999
 * written is parsed back and validated against data/x12/999.tr3 and
 * must be clean.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include "helpers/x12_fixtures.h"

#include <string.h>

/* The clean 837P claim, without ST/SE: wrap() adds them. */
static const char *const CLAIM = X12_CLEAN_837P_BODY;

/* body with its first occurrence of from replaced by to (malloc'd) */
static char *edit(const char *body, const char *from, const char *to)
{
    const char *at = strstr(body, from);
    assert_non_null(at);
    size_t n = strlen(body) - strlen(from) + strlen(to) + 1;
    char *s = malloc(n);
    snprintf(s, n, "%.*s%s%s", (int)(at - body), body, to, at + strlen(from));
    return s;
}

static size_t count_segs(const char *body)
{
    size_t n = 0;
    for (; *body; body++)
        n += *body == '~';
    return n;
}

/* Appends ST .. SE around body to b. */
static void wrap_set(hxe_buf *b, const char *ctl, const char *body)
{
    assert_int_equal(hxe_buf_printf(b, "ST*837*%s*005010X222A1~\n%sSE*%zu*%s~\n", ctl, body,
                                    count_segs(body) + 2, ctl), 0);
}

static void open_isa(hxe_buf *b, const char *ctl, char ack_req)
{
    assert_int_equal(hxe_buf_printf(b, "ISA*00*          *00*          *ZZ*%-15s*ZZ*%-15s*240102*1230*^*00501*%s*%c*T*:~\n",
                                    "SUBMITTER", "RECEIVER", ctl, ack_req), 0);
}

/* One interchange, one group, the bodies as sets 0001, 0002 ... */
static char *file_of(const char *const *bodies, size_t n, char ack_req)
{
    hxe_buf b = HXE_BUF_INIT;
    open_isa(&b, "000000101", ack_req);
    assert_int_equal(hxe_buf_puts(&b, "GS*HC*SUBMITTER*RECEIVER*20240102*1230*17*X*005010X222A1~\n"), 0);
    for (size_t i = 0; i < n; i++) {
        char ctl[24];
        snprintf(ctl, sizeof ctl, "%04zu", i + 1);
        wrap_set(&b, ctl, bodies[i]);
    }
    assert_int_equal(hxe_buf_printf(&b, "GE*%zu*17~\nIEA*1*000000101~\n", n), 0);
    return hxe_buf_take(&b, NULL);
}

static const hxe_x12_ack_opts OPTS = {.date = "20240103", .time = "0915"};

/* Every 999 in out reads back clean against the 999 schema; returns the
 * number of 999 sets. */
static size_t check_999s(const char *out)
{
    hxe_issues env = HXE_ISSUES_INIT, is = HXE_ISSUES_INIT;
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, out, strlen(out), NULL, &env);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    size_t n = 0;
    for (;;) {
        hxe_x12_set *s;
        hxe_err err;
        int k = hxe_x12_reader_next(&r, &a, &s, &is, &err);
        assert_true(k >= 0);
        if (k == HXE_X12_UNIT_END)
            break;
        if (k == HXE_X12_UNIT_SET) {
            assert_string_equal(s->id, "999");
            assert_int_equal(hxe_x12_parse_loops(s, &a, NULL, &is), 0);
            hxe_x12_validate_opts vo = {0, 0};
            assert_int_equal(hxe_x12_validate(s, &vo, &is), 0);
            n++;
        }
        for (size_t i = 0; i < is.n; i++)
            fprintf(stderr, "999 issue: %s (code %d)\n", is.v[i].text, is.v[i].code);
        assert_int_equal(is.n, 0);
        hxe_arena_reset(&a);
    }
    for (size_t i = 0; i < env.n; i++)
        fprintf(stderr, "envelope issue: %s\n", env.v[i].text);
    assert_int_equal(env.n, 0);
    hxe_arena_free(&a);
    hxe_issues_free(&env);
    hxe_issues_free(&is);
    return n;
}

static char *ack(const char *in, const hxe_x12_ack_opts *o, hxe_x12_ack_seq *seq,
                 hxe_x12_ack_summary *sum)
{
    hxe_buf out = HXE_BUF_INIT;
    hxe_err err = {0};
    int rc = hxe_x12_acknowledge(in, strlen(in), o ? o : &OPTS, seq, &out, sum, &err);
    if (rc)
        fprintf(stderr, "acknowledge: %s\n", err.msg);
    assert_int_equal(rc, 0);
    char *s = hxe_buf_take(&out, NULL);
    return s ? s : calloc(1, 1);
}

static void test_accept(void **state)
{
    (void)state;
    const char *bodies[] = {CLAIM};
    char *in = file_of(bodies, 1, '0');
    hxe_x12_ack_seq seq = {100, 200, 300};
    hxe_x12_ack_summary sum;
    char *out = ack(in, NULL, &seq, &sum);
    assert_string_equal(out,
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000100*0*T*:~"
        "GS*FA*RECEIVER*SUBMITTER*20240103*0915*200*X*005010X231A1~"
        "ST*999*0300*005010X231A1~"
        "AK1*HC*17*005010X222A1~"
        "AK2*837*0001*005010X222A1~"
        "IK5*A~"
        "AK9*A*1*1*1~"
        "SE*6*0300~"
        "GE*1*200~"
        "IEA*1*000000100~");
    /* the sequence moved on */
    assert_int_equal(seq.isa13, 101);
    assert_int_equal(seq.gs06, 201);
    assert_int_equal(seq.st02, 301);
    assert_int_equal(sum.sets, 1);
    assert_int_equal(sum.sets_accepted, 1);
    assert_int_equal(sum.ta1, 0);
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
}

static void test_reject_elements(void **state)
{
    (void)state;
    /* CLM02 not a number; the 2010BA NM1 with a 13th element; a
     * segment hxe does not know in the claim */
    char *b1 = edit(CLAIM, "CLM*C1*100*", "CLM*C1*1X0*");
    char *b2 = edit(b1, "NM1*IL*1*DOE*JOHN****MI*M1~", "NM1*IL*1*DOE*JOHN****MI*M1*****X~");
    char *body = edit(b2, "HI*ABK:J020~\n", "HI*ABK:J020~\nZZZ*1~\n");
    const char *bodies[] = {body};
    char *in = file_of(bodies, 1, '0');
    hxe_x12_ack_seq seq = {1, 1, 1};
    char *out = ack(in, NULL, &seq, NULL);
    /* NM1 is segment 14, CLM 19, ZZZ 21 (ST = 1) */
    assert_non_null(strstr(out, "AK2*837*0001*005010X222A1~IK3*NM1*14**8~IK4*13**3~"));
    assert_non_null(strstr(out, "IK3*CLM*19*2300*8~CTX*CLM01:C1~IK4*2*782*6~"));
    assert_non_null(strstr(out, "IK3*ZZZ*21*2300*1~CTX*CLM01:C1~"));
    assert_non_null(strstr(out, "IK5*R*5~AK9*R*1*1*0~"));
    /* no copy of the bad data unless asked */
    assert_null(strstr(out, "1X0"));
    assert_int_equal(check_999s(out), 1);
    free(out);

    hxe_x12_ack_opts o = OPTS;
    o.flags = HXE_X12_ACK_COPY_BAD_DATA;
    out = ack(in, &o, &seq, NULL);
    assert_non_null(strstr(out, "IK4*2*782*6*1X0~"));
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
    free(body);
    free(b2);
    free(b1);
}

static void test_partial_and_missing(void **state)
{
    (void)state;
    /* set 2 lacks its required 2010AA N3 (N4 is there) */
    char *bad = edit(CLAIM, "N3*1 MAIN ST~\n", "");
    const char *bodies[] = {CLAIM, bad, CLAIM};
    char *in = file_of(bodies, 3, '0');
    hxe_x12_ack_seq seq = {5, 6, 7};
    hxe_x12_ack_summary sum;
    char *out = ack(in, NULL, &seq, &sum);
    assert_non_null(strstr(out, "AK2*837*0001*005010X222A1~IK5*A~"));
    assert_non_null(strstr(out, "AK2*837*0002*005010X222A1~IK3*N3*"));
    assert_non_null(strstr(out, "AK2*837*0003*005010X222A1~IK5*A~"));
    assert_non_null(strstr(out, "AK9*P*3*3*2~"));
    assert_int_equal(sum.sets, 3);
    assert_int_equal(sum.sets_accepted, 2);
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
    free(bad);
}

static void test_group_errors(void **state)
{
    (void)state;
    const char *bodies[] = {CLAIM};
    char *in0 = file_of(bodies, 1, '0');
    /* GE01 says 2 sets, GE02 does not match GS06 */
    char *in = edit(in0, "GE*1*17~", "GE*2*18~");
    hxe_x12_ack_seq seq = {1, 1, 1};
    char *out = ack(in, NULL, &seq, NULL);
    assert_non_null(strstr(out, "IK5*A~AK9*R*2*1*1*5*4~"));
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
    free(in0);
}

/* Situational problems carry the CTX naming their trigger: after the
 * IK3 of a missing or unwanted segment (2100 segment context) and after
 * the IK4 of a missing element (2110 element context); IK4s stay with
 * the IK3 of their own segment when a missing segment is reported at
 * the same position. */
static void test_situational_ctx(void **state)
{
    (void)state;
    /* a replacement claim (CLM05-3 = 7) without REF*F8; an auto accident
     * without its state (CLM11-4); no DMG for a subscriber who is the
     * patient. ST = 1, SBR 13, the 2010BA NM1 14, CLM 18 (19 with DMG). */
    char *b1 = edit(CLAIM, "11:B:1*", "11:B:7*");
    char *b2 = edit(b1, "*Y*A*Y*Y~\nHI", "*Y*A*Y*Y**AA~\nDTP*439*D8*20231231~\nHI");
    char *body = edit(b2, "DMG*D8*19800101*M~\n", "");
    const char *bodies[] = {body};
    char *in = file_of(bodies, 1, '0');
    hxe_x12_ack_seq seq = {1, 1, 1};
    char *out = ack(in, NULL, &seq, NULL);
    /* the trigger of the missing DMG is SBR02 (element 1069) in 2000B,
     * whose id does not fit CTX04's four characters */
    assert_non_null(strstr(out, "IK3*DMG*14**I6~CTX*SITUATIONAL TRIGGER*SBR*13**2*1069~"));
    /* REF*F8 missing at the claim, triggered by CLM05-3 */
    assert_non_null(strstr(out, "IK3*REF*18*2300*I6~CTX*SITUATIONAL TRIGGER*CLM*18*2300*5:3~CTX*CLM01:C1~"));
    /* CLM11-4's IK4 under the CLM's own IK3, its trigger CLM11-1 */
    assert_non_null(strstr(out, "IK3*CLM*18*2300*8~CTX*CLM01:C1~IK4*11:4*156*I9~"
                                "CTX*SITUATIONAL TRIGGER*CLM*18*2300*11:1~IK5*R*5~"));
    /* a problem that is not situational has no trigger CTX */
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);

    char *bad = edit(CLAIM, "CLM*C1*100*", "CLM*C1*1X0*");
    const char *bodies2[] = {bad};
    in = file_of(bodies2, 1, '0');
    out = ack(in, NULL, &seq, NULL);
    assert_non_null(strstr(out, "IK3*CLM*19*2300*8~CTX*CLM01:C1~IK4*2*782*6~IK5*R*5~"));
    assert_null(strstr(out, "SITUATIONAL"));
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
    free(bad);
    free(body);
    free(b2);
    free(b1);
}

static void test_ta1(void **state)
{
    (void)state;
    const char *bodies[] = {CLAIM};
    hxe_x12_ack_seq seq = {40, 50, 60};
    /* ISA14 = 1, clean: TA1 A 000, then the 999 */
    char *in = file_of(bodies, 1, '1');
    hxe_x12_ack_summary sum;
    char *out = ack(in, NULL, &seq, &sum);
    static const char want[] =
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000040*0*T*:~"
        "TA1*000000101*240102*1230*A*000~IEA*0*000000040~"
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000041*0*T*:~";
    assert_true(strncmp(out, want, strlen(want)) == 0);
    assert_int_equal(sum.ta1, 1);
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);

    /* IEA02 wrong: TA1 R 001 even though ISA14 = 0, and no 999 */
    char *in0 = file_of(bodies, 1, '0');
    in = edit(in0, "IEA*1*000000101", "IEA*1*000000102");
    out = ack(in, NULL, &seq, &sum);
    assert_non_null(strstr(out, "TA1*000000101*240102*1230*R*001~IEA*0*"));
    assert_null(strstr(out, "ST*999"));
    assert_int_equal(sum.ta1_rejected, 1);
    assert_int_equal(check_999s(out), 0);
    free(out);
    free(in);

    /* IEA01 count wrong: accepted with errors (E 021) and the 999 follows */
    in = edit(in0, "IEA*1*", "IEA*2*");
    out = ack(in, NULL, &seq, &sum);
    assert_non_null(strstr(out, "TA1*000000101*240102*1230*E*021~"));
    assert_non_null(strstr(out, "IK5*A~"));
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);

    /* a second interchange with the same ISA13 */
    size_t n = strlen(in0);
    char *two = malloc(2 * n + 1);
    memcpy(two, in0, n);
    memcpy(two + n, in0, n + 1);
    out = ack(two, NULL, &seq, &sum);
    assert_non_null(strstr(out, "TA1*000000101*240102*1230*E*025~"));
    assert_int_equal(sum.interchanges, 2);
    assert_int_equal(check_999s(out), 2);
    free(out);
    free(two);
    free(in0);
}

/* The input's delimiters differ from the 999's: a claim id holding '*'
 * cannot be copied into a CTX and is left out. */
static void test_foreign_delimiters(void **state)
{
    (void)state;
    char *b1 = edit(CLAIM, "CLM*C1*100*", "CLM*C*1*1X0*");
    const char *bodies[] = {b1};
    char *in = file_of(bodies, 1, '0');
    /* switch the input to | as element separator */
    for (char *p = in; *p; p++)
        if (*p == '*')
            *p = '|';
    /* put back the * inside CLM01 */
    char *clm = strstr(in, "CLM|C|1|");
    assert_non_null(clm);
    clm[5] = '*';
    hxe_x12_ack_seq seq = {1, 1, 1};
    char *out = ack(in, NULL, &seq, NULL);
    assert_non_null(strstr(out, "IK3*CLM*19*2300*8~IK4*2*782*6~"));
    assert_null(strstr(out, "CTX"));
    assert_int_equal(check_999s(out), 1);
    free(out);
    free(in);
    free(b1);
}

/* The builder used directly, with newlines and other delimiters. */
static void test_builder(void **state)
{
    (void)state;
    hxe_x12_interchange isa;
    memset(&isa, 0, sizeof isa);
    strcpy(isa.sender_qual, "01");
    strcpy(isa.sender, "SENDER");
    strcpy(isa.receiver_qual, "ZZ");
    strcpy(isa.receiver, "RCV");
    isa.usage = 'P';
    hxe_x12_group gs;
    memset(&gs, 0, sizeof gs);
    strcpy(gs.functional_id, "HP");
    strcpy(gs.sender, "S");
    strcpy(gs.receiver, "R");
    strcpy(gs.control, "9");
    strcpy(gs.version, "005010X221A1");
    hxe_x12_ack_opts o = OPTS;
    o.d = (hxe_x12_delims){'|', '}', '<', '\n'};
    hxe_x12_ack k;
    hxe_x12_ack_init(&k, &isa, &gs, &o);
    hxe_x12_set s;
    memset(&s, 0, sizeof s);
    strcpy(s.id, "835");
    strcpy(s.control, "1234");
    assert_int_equal(hxe_x12_ack_set(&k, &s, NULL), 'A');
    assert_int_equal(hxe_x12_ack_status(&k), 'A');
    hxe_x12_ack_seq seq = {999999999, 1, 1};
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_ack_finish(&k, &seq, &out), 0);
    assert_non_null(strstr(out.p, "|ZZ|RCV            |01|SENDER         |240103|0915|}|00501|999999999|0|P|<\n"));
    assert_non_null(strstr(out.p, "\nAK1|HP|9|005010X221A1\nAK2|835|1234\nIK5|A\nAK9|A|1|1|1\n"));
    assert_int_equal(seq.isa13, 1000000000ULL);
    /* past 999999999 the sequence starts again at 1 */
    hxe_buf_truncate(&out, 0);
    assert_int_equal(hxe_x12_ack_finish(&k, &seq, &out), 0);
    assert_non_null(strstr(out.p, "|000000001|"));
    hxe_buf_free(&out);
    hxe_x12_ack_free(&k);
}

/* A broken original (a qualifier the reader refuses, a bad date option)
 * must not make the 999's own envelope broken: found by the fuzzer. */
static void test_broken_original(void **state)
{
    (void)state;
    hxe_x12_interchange isa;
    memset(&isa, 0, sizeof isa);
    strcpy(isa.sender_qual, "9*");
    strcpy(isa.sender, "S~ND");
    strcpy(isa.receiver_qual, "Q");
    strcpy(isa.receiver, "RCV");
    hxe_x12_group gs;
    memset(&gs, 0, sizeof gs);
    strcpy(gs.functional_id, "HC");
    strcpy(gs.sender, "S");
    strcpy(gs.receiver, "R");
    strcpy(gs.control, "9");
    strcpy(gs.version, "005010X222A1");
    hxe_x12_ack_opts o = {.date = "2024", .time = "2561"};
    hxe_x12_ack k;
    hxe_x12_ack_init(&k, &isa, &gs, &o);
    hxe_x12_ack_seq seq = {1, 1, 1};
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_ack_finish(&k, &seq, &out), 0);
    assert_non_null(strstr(out.p, "*ZZ*RCV            *ZZ*S ND           *"));
    assert_int_equal(check_999s(out.p), 1);
    hxe_buf_free(&out);
    hxe_x12_ack_free(&k);
}

/* Every public sample acknowledged: each 999 written reads back clean
 * against the 999 schema. */
static void test_corpus(void **state)
{
    (void)state;
    const char *dir = tu_shared("x12");
    if (!dir) {
        print_message("SKIP: x12 corpus absent\n");
        skip();
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s'", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char name[400];
    size_t files = 0, acks = 0;
    hxe_x12_ack_opts o = OPTS;
    o.flags = HXE_X12_ACK_COPY_BAD_DATA;
    while (fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = '\0';
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t len;
        char *in = tu_read(path, &len);
        if (!in)
            continue;
        hxe_x12_ack_seq seq = {1, 1, 1};
        hxe_buf out = HXE_BUF_INIT;
        hxe_err err;
        int rc = hxe_x12_acknowledge(in, len, &o, &seq, &out, NULL, &err);
        if (rc == 0 && out.len) {
            acks += check_999s(out.p);
        }
        files++;
        hxe_buf_free(&out);
        free(in);
    }
    pclose(ls);
    assert_true(files > 20);
    assert_true(acks > 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accept),
        cmocka_unit_test(test_reject_elements),
        cmocka_unit_test(test_partial_and_missing),
        cmocka_unit_test(test_group_errors),
        cmocka_unit_test(test_situational_ctx),
        cmocka_unit_test(test_ta1),
        cmocka_unit_test(test_foreign_delimiters),
        cmocka_unit_test(test_builder),
        cmocka_unit_test(test_broken_original),
        cmocka_unit_test(test_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
