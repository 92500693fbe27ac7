/*
 * test_x12_match.c — answers we receive matched to what we sent: the 999
 * hxe writes for its own claims reads back to the same verdicts, places
 * and situational triggers, each answer naming the 999 that carried it;
 * the public 999, TA1 and 277CA samples of ../shared/corpus/x12 (imsweb,
 * staedi, stupidedi) match hand-made stores of sent sets and claims; a
 * 999 rejecting a whole group without AK2s answers every set of the
 * group; unknown control numbers are answered with no match.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE ((size_t)-1)

static size_t issues_with(const hxe_x12_answers *a, const hxe_x12_answer *an, int code,
                          const char *seg, unsigned pos, unsigned field)
{
    size_t n = 0;
    for (size_t i = an->first; i < an->first + an->n; i++) {
        const hxe_issue *it = &a->issues.v[i];
        if (it->code == code && (!seg || !strcmp(it->loc.seg, seg)) &&
            (!pos || it->loc.seg_pos == pos) && (!field || it->loc.field == field))
            n++;
    }
    return n;
}

static void match_buf(const hxe_x12_sent *st, const char *buf, size_t len, hxe_x12_answers *out)
{
    hxe_err err = {0};
    int rc = hxe_x12_match(st, buf, len, out, &err);
    if (rc)
        fprintf(stderr, "match: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* Returns the corpus file's bytes or NULL (and the test skips). */
static char *corpus(const char *name, size_t *len)
{
    const char *dir = tu_shared("x12");
    if (!dir) {
        fprintf(stderr, "x12 corpus absent: skipped\n");
        return NULL;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return tu_read(path, len);
}

/* ---- round trip: our claims, our 999, matched back ---- */

static const char *const SENT =
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
    "CLM*CLAIM-A*100***11:B:1*Y*A*Y*Y~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV1*HC:99213*100*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "SE*20*0001~\n"
    "ST*837*0002*005010X222A1~\n"
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
    "CLM*CLAIM-B*1X0***11:B:1*Y*A*Y*Y~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV1*HC:99213*100*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "SE*20*0002~\n"
    "GE*2*17~\n"
    "IEA*1*000000101~\n";

static void test_round_trip(void **state)
{
    (void)state;
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    hxe_err err;
    assert_int_equal(hxe_x12_sent_add_x12(&st, SENT, strlen(SENT), &err), 0);
    assert_int_equal(st.nsets, 2);
    assert_int_equal(st.nclaims, 2);
    assert_string_equal(st.sets[1].group, "17");
    assert_string_equal(st.sets[1].control, "0002");
    assert_string_equal(st.claims[1].id, "CLAIM-B");

    /* SNIP 2: the 2010BA N3/N4/DMG rule (type 4) stays out of it */
    hxe_x12_ack_opts o = {.date = "20240103", .time = "0915", .snip = 2};
    hxe_x12_ack_seq seq = {1, 1, 1};
    hxe_buf ack = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_acknowledge(SENT, strlen(SENT), &o, &seq, &ack, NULL, &err), 0);
    assert_non_null(strstr(ack.p, "AK9*P*2*2*1~"));

    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, ack.p, ack.len, &an);
    assert_int_equal(an.n, 2);
    assert_int_equal(an.v[0].kind, HXE_X12_ANSWER_999);
    assert_int_equal(an.v[0].sent, 0);
    assert_int_equal(an.v[0].status, 'A');
    assert_int_equal(an.v[0].n, 0);
    assert_int_equal(an.v[1].sent, 1);
    assert_int_equal(an.v[1].status, 'R');
    /* CLM is segment 15 of set 2, CLM02 its bad element */
    assert_int_equal(issues_with(&an, &an.v[1], HXE_X12_SEG_ELEMENT_ERRORS, "CLM", 15, 0), 1);
    assert_int_equal(issues_with(&an, &an.v[1], HXE_X12_ELE_BAD_CHAR, "CLM", 15, 2), 1);
    assert_int_equal(issues_with(&an, &an.v[1], HXE_X12_SET_SEGMENTS_IN_ERROR, NULL, 0, 0), 1);
    /* nothing of the claim's values in the texts */
    for (size_t i = 0; i < an.issues.n; i++)
        assert_null(strstr(an.issues.v[i].text, "CLAIM-B"));
    hxe_x12_answers_free(&an);
    hxe_buf_free(&ack);
    hxe_x12_sent_free(&st);
}

/* A situational problem's trigger goes out in the 999's CTX and comes
 * back with the IK3; each answer names the 999 that carried it. */
static void test_trigger_read_back(void **state)
{
    (void)state;
    /* set 1: a replacement claim (CLM05-3 7) without REF*F8 */
    const char *at = strstr(SENT, "CLM*CLAIM-A*100***11:B:1*");
    assert_non_null(at);
    size_t n = strlen(SENT);
    char *sent = malloc(n + 1);
    memcpy(sent, SENT, n + 1);
    sent[at - SENT + strlen("CLM*CLAIM-A*100***11:B:")] = '7';
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    hxe_err err;
    assert_int_equal(hxe_x12_sent_add_x12(&st, sent, n, &err), 0);
    hxe_x12_ack_opts o = {.date = "20240103", .time = "0915", .snip = 4};
    hxe_x12_ack_seq seq = {41, 42, 43};
    hxe_buf ack = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_acknowledge(sent, n, &o, &seq, &ack, NULL, &err), 0);
    assert_non_null(strstr(ack.p, "IK3*REF*15*2300*I6~CTX*SITUATIONAL TRIGGER*CLM*15*2300*5:3~"));
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, ack.p, ack.len, &an);
    assert_int_equal(an.n, 2);
    assert_int_equal(an.v[0].sent, 0);
    assert_string_equal(an.v[0].by_interchange, "000000041");
    assert_string_equal(an.v[0].by_group, "42");
    assert_string_equal(an.v[0].by_control, "0043");
    size_t found = 0;
    for (size_t i = an.v[0].first; i < an.v[0].first + an.v[0].n; i++) {
        const hxe_issue *it = &an.issues.v[i];
        uint32_t pos;
        unsigned e, c;
        if (it->code != HXE_X12_SEG_DEPENDENT_MISSING || strcmp(it->loc.seg, "REF"))
            continue;
        assert_int_equal(hxe_x12_trigger(it, &pos, &e, &c), 1);
        assert_int_equal(pos, 15);
        assert_int_equal(e, 5);
        assert_int_equal(c, 3);
        found++;
    }
    assert_int_equal(found, 1);
    hxe_x12_answers_free(&an);
    hxe_buf_free(&ack);
    hxe_x12_sent_free(&st);
    free(sent);
}

static void test_group_rejected(void **state)
{
    (void)state;
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    assert_int_equal(hxe_x12_sent_add(&st, "000000009", "55", "0001", "837", NULL), 0);
    assert_int_equal(hxe_x12_sent_add(&st, "000000009", "55", "0002", "837", NULL), 1);
    assert_int_equal(hxe_x12_sent_add(&st, "000000009", "56", "0001", "837", NULL), 2);
    assert_int_equal(hxe_x12_sent_add(&st, "0000000091", "56", "0001", "837", NULL), HXE_EINVAL);
    const char *in =
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000001*0*T*:~"
        "GS*FA*RECEIVER*SUBMITTER*20240103*0915*1*X*005010X231A1~"
        "ST*999*0001*005010X231A1~AK1*HC*55*005010X222A1~AK9*R*2*2*0*5~SE*4*0001~"
        "ST*999*0002*005010X231A1~AK1*HC*77*005010X222A1~AK2*837*0001~IK5*A~AK9*A*1*1*1~SE*6*0002~"
        "GE*2*1~IEA*1*000000001~";
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, in, strlen(in), &an);
    assert_int_equal(an.n, 3);
    assert_int_equal(an.v[0].sent, 0);
    assert_int_equal(an.v[1].sent, 1);
    assert_int_equal(an.v[0].status, 'R');
    assert_int_equal(issues_with(&an, &an.v[0], HXE_X12_GRP_COUNT, "AK9", 0, 5), 1);
    /* group 77 was never sent */
    assert_int_equal(an.v[2].sent, NONE);
    assert_string_equal(an.v[2].group, "77");
    assert_int_equal(an.v[2].status, 'A');
    hxe_x12_answers_free(&an);
    hxe_x12_sent_free(&st);
}

/* ---- the public samples ---- */

static void test_corpus_999(void **state)
{
    (void)state;
    size_t len;
    char *b = corpus("imsweb__837_5010__x12_999_accepted.txt", &len);
    if (!b)
        skip();
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    assert_int_equal(hxe_x12_sent_add(&st, "000000001", "17456", "0001", "837", NULL), 0);
    assert_int_equal(hxe_x12_sent_add(&st, "000000001", "28", "0028", "837", NULL), 1);
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, b, len, &an);
    assert_int_equal(an.n, 1);
    assert_int_equal(an.v[0].sent, 0);
    assert_int_equal(an.v[0].status, 'A');
    hxe_x12_answers_free(&an);
    free(b);

    b = corpus("imsweb__837_5010__x12_999_rejected.txt", &len);
    assert_non_null(b);
    match_buf(&st, b, len, &an);
    assert_int_equal(an.n, 1);
    assert_int_equal(an.v[0].sent, 1);
    assert_int_equal(an.v[0].status, 'R');
    assert_int_equal(issues_with(&an, &an.v[0], HXE_X12_SEG_UNRECOGNIZED, "NM", 17, 0), 1);
    assert_int_equal(issues_with(&an, &an.v[0], HXE_X12_SET_SEGMENTS_IN_ERROR, NULL, 0, 0), 1);
    hxe_x12_answers_free(&an);
    free(b);
    hxe_x12_sent_free(&st);

    /* three 837s answered A, R (CLM02 missing), R (REF missing) */
    const char *files[] = {
        "staedi__simple999.edi",
        "stupidedi__X231A1_FA999_Implementation_Acknowledgment_for_Health_Care_Insurance__pass__response-to-functional-group-containing-3-837s.edi"};
    for (size_t f = 0; f < 2; f++) {
        b = corpus(files[f], &len);
        assert_non_null(b);
        for (int i = 1; i <= 3; i++) {
            char ctl[8];
            snprintf(ctl, sizeof ctl, "%04d", i);
            assert_true(hxe_x12_sent_add(&st, "000000001", "17456", ctl, "837", NULL) >= 0);
        }
        match_buf(&st, b, len, &an);
        assert_int_equal(an.n, 3);
        assert_int_equal(an.v[0].sent, 0);
        assert_int_equal(an.v[0].status, 'A');
        assert_int_equal(an.v[1].sent, 1);
        assert_int_equal(an.v[1].status, 'R');
        assert_int_equal(issues_with(&an, &an.v[1], HXE_X12_SEG_ELEMENT_ERRORS, "CLM", 22, 0), 1);
        assert_int_equal(issues_with(&an, &an.v[1], HXE_X12_ELE_REQUIRED_MISSING, "CLM", 22, 2), 1);
        assert_int_equal(an.v[2].sent, 2);
        assert_int_equal(an.v[2].status, 'R');
        assert_int_equal(issues_with(&an, &an.v[2], HXE_X12_SEG_REQUIRED_MISSING, "REF", 57, 0), 1);
        /* CTX and IK404 values are not copied anywhere */
        for (size_t i = 0; i < an.issues.n; i++)
            assert_null(strstr(an.issues.v[i].text, "123456789"));
        hxe_x12_answers_free(&an);
        hxe_x12_sent_free(&st);
        free(b);
    }
}

static void test_corpus_ta1(void **state)
{
    (void)state;
    size_t len;
    char *b = corpus("staedi__x12_interchange_ack.txt", &len);
    if (!b)
        skip();
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    assert_int_equal(hxe_x12_sent_add(&st, "000000050", "1", "0001", "837", NULL), 0);
    assert_int_equal(hxe_x12_sent_add(&st, "000000049", "1", "0001", "837", NULL), 1);
    assert_int_equal(hxe_x12_sent_add(&st, "000000050", "2", "0001", "837", NULL), 2);
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, b, len, &an);
    assert_int_equal(an.n, 2);
    assert_int_equal(an.v[0].kind, HXE_X12_ANSWER_TA1);
    assert_int_equal(an.v[0].sent, 0);
    assert_int_equal(an.v[1].sent, 2);
    assert_int_equal(an.v[0].status, 'A');
    assert_string_equal(an.v[0].interchange, "000000050");
    assert_int_equal(an.v[0].n, 0);
    hxe_x12_answers_free(&an);
    free(b);

    /* a rejecting TA1 for an interchange we do not know */
    const char *in =
        "ISA*00*          *00*          *ZZ*RECEIVER       *ZZ*SUBMITTER      *240103*0915*^*00501*000000001*0*T*:~"
        "TA1*000000777*240102*1230*R*024~IEA*0*000000001~";
    match_buf(&st, in, strlen(in), &an);
    assert_int_equal(an.n, 1);
    assert_int_equal(an.v[0].sent, NONE);
    assert_int_equal(an.v[0].status, 'R');
    assert_int_equal(issues_with(&an, &an.v[0], HXE_X12_TA1_CONTENT, "TA1", 0, 5), 1);
    hxe_x12_answers_free(&an);
    hxe_x12_sent_free(&st);
}

static void test_corpus_277ca(void **state)
{
    (void)state;
    size_t len;
    char *b = corpus("imsweb__277_5010__x12_277CA_accepted.txt", &len);
    if (!b)
        skip();
    hxe_x12_sent st = HXE_X12_SENT_INIT;
    assert_int_equal(hxe_x12_sent_add(&st, "000000674", "674", "0001", "837", NULL), 0);
    assert_int_equal(hxe_x12_sent_add_claim(&st, 0, "5781"), 0);
    assert_int_equal(hxe_x12_sent_add_claim(&st, 0, "3920394930203"), 0);
    assert_int_equal(hxe_x12_sent_add_claim(&st, 7, "X"), HXE_EINVAL);
    hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
    match_buf(&st, b, len, &an);
    /* only the 2200D claim, not the 2200B receiver trace */
    assert_int_equal(an.n, 1);
    assert_int_equal(an.v[0].kind, HXE_X12_ANSWER_277CA);
    assert_int_equal(an.v[0].sent, 0);
    assert_string_equal(an.v[0].claim, "5781");
    assert_string_equal(an.v[0].control, "0001");
    assert_int_equal(an.v[0].status, 'A');
    assert_int_equal(an.v[0].n, 1);
    assert_non_null(strstr(an.issues.v[an.v[0].first].text, "A2:20"));
    hxe_x12_answers_free(&an);
    free(b);

    b = corpus("imsweb__277_5010__x12_277CA_rejected.txt", &len);
    assert_non_null(b);
    match_buf(&st, b, len, &an);
    assert_int_equal(an.n, 1);
    assert_int_equal(an.v[0].sent, 0);
    assert_string_equal(an.v[0].claim, "3920394930203");
    assert_int_equal(an.v[0].status, 'R');
    assert_int_equal(an.v[0].n, 1);
    assert_int_equal(an.issues.v[an.v[0].first].severity, HXE_SEV_ERROR);
    assert_non_null(strstr(an.issues.v[an.v[0].first].text, "A7:562"));
    hxe_x12_answers_free(&an);
    free(b);
    hxe_x12_sent_free(&st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_trigger_read_back),
        cmocka_unit_test(test_group_rejected),
        cmocka_unit_test(test_corpus_999),
        cmocka_unit_test(test_corpus_ta1),
        cmocka_unit_test(test_corpus_277ca),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
