/*
 * test_x12_loops.c — schema-driven loop parsing and element validation
 * on hand-made 837P claims: loops recognised by first segment and
 * qualifier, HL levels with and without a patient loop, structure
 * problems with their IK304 codes, element problems with their IK403
 * codes, and the JSON tree.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISA "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240102*1230*^*00501*000000101*0*T*:~\n" \
            "GS*HC*SENDER*RECEIVER*20240102*1230*7*X*005010X222A1~\n"
#define TRAILER "GE*1*7~\nIEA*1*000000101~\n"

/* A TR3-clean 837P body (ST..SE without SE), patient = subscriber. */
static const char *const BODY =
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
    "SV1*HC:99213*60*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "LX*2~\n"
    "SV1*HC:99214*40*UN*1***1~\n"
    "DTP*472*D8*20240101~\n";

struct run {
    hxe_arena a;
    hxe_issues is;
    hxe_x12_file *f;
    hxe_x12_set *s;
    char *text;
};

static void run(struct run *r, const char *body)
{
    memset(r, 0, sizeof *r);
    hxe_arena_init(&r->a, 4096, 0);
    /* count the set's segments for a right SE01 */
    size_t n = 0;
    for (const char *p = body; (p = strchr(p, '~')) != NULL; p++)
        n++;
    size_t len = strlen(ISA) + strlen(body) + strlen(TRAILER) + 64;
    r->text = malloc(len);
    snprintf(r->text, len, "%s%sSE*%zu*0001~\n%s", ISA, body, n + 1, TRAILER);
    assert_int_equal(hxe_x12_parse(&r->f, &r->a, r->text, strlen(r->text), NULL, &r->is, NULL), 0);
    assert_int_equal(r->f->nsets, 1);
    r->s = r->f->sets[0];
    assert_int_equal(hxe_x12_parse_loops(r->s, &r->a, NULL, &r->is), 0);
    hxe_x12_validate_opts vo = {2, 0};
    assert_int_equal(hxe_x12_validate(r->s, &vo, &r->is), 0);
}

static void done(struct run *r)
{
    hxe_arena_free(&r->a);
    hxe_issues_free(&r->is);
    free(r->text);
}

static char *edit(const char *from, const char *to)
{
    const char *p = strstr(BODY, from);
    assert_non_null(p);
    size_t n = strlen(BODY) - strlen(from) + strlen(to) + 1;
    char *o = malloc(n);
    snprintf(o, n, "%.*s%s%s", (int)(p - BODY), BODY, to, p + strlen(from));
    return o;
}

/* loop id of segment at 1-based position pos */
static const char *loop_at(const hxe_x12_set *s, size_t pos)
{
    return s->loops[s->segs[pos - 1].loop].id;
}

static size_t has(const hxe_issues *is, int code, const char *seg, unsigned pos, unsigned field)
{
    size_t n = 0;
    for (size_t i = 0; i < is->n; i++)
        if (is->v[i].code == code && !strcmp(is->v[i].loc.seg, seg) &&
            (!pos || is->v[i].loc.seg_pos == pos) && is->v[i].loc.field == field)
            n++;
    return n;
}

static void dump(const hxe_issues *is)
{
    char c[8];
    for (size_t i = 0; i < is->n; i++)
        fprintf(stderr, "  %s #%u-%u %s: %s\n", is->v[i].loc.seg, is->v[i].loc.seg_pos,
                is->v[i].loc.field, hxe_x12_code_str(is->v[i].code, c, sizeof c), is->v[i].text);
}

static void test_clean_tree(void **state)
{
    (void)state;
    struct run r;
    run(&r, BODY);
    if (r.is.n) {
        dump(&r.is);
        fail_msg("a clean claim has issues");
    }
    const hxe_x12_set *s = r.s;
    assert_string_equal(loop_at(s, 2), "");        /* BHT: header */
    assert_string_equal(loop_at(s, 3), "1000A");
    assert_string_equal(loop_at(s, 4), "1000A");
    assert_string_equal(loop_at(s, 5), "1000B");
    assert_string_equal(loop_at(s, 6), "2000A");
    assert_string_equal(loop_at(s, 7), "2010AA");
    assert_string_equal(loop_at(s, 10), "2010AA");
    assert_string_equal(loop_at(s, 11), "2000B");
    assert_string_equal(loop_at(s, 13), "2010BA");
    assert_string_equal(loop_at(s, 14), "2010BB");
    assert_string_equal(loop_at(s, 15), "2300");
    assert_string_equal(loop_at(s, 17), "2400");
    assert_string_equal(loop_at(s, 20), "2400");
    assert_string_equal(loop_at(s, 23), "");        /* SE */
    /* two service-line instances under one claim under the subscriber */
    size_t lines = 0;
    for (size_t i = 0; i < s->nloops; i++)
        if (!strcmp(s->loops[i].id, "2400")) {
            lines++;
            assert_string_equal(s->loops[s->loops[i].parent].id, "2300");
            assert_int_equal(s->loops[i].nseg, 3);
        }
    assert_int_equal(lines, 2);
    const hxe_x12_loop *claim = &s->loops[s->segs[14].loop];
    assert_string_equal(claim->name, "Claim Information");
    assert_string_equal(s->loops[claim->parent].id, "2000B");
    assert_int_equal(claim->nseg, 8);
    /* JSON: loops nest, elements keyed */
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_set_to_json(s, &b), 0);
    assert_non_null(strstr(b.p, "{\"loop\":\"2300\",\"name\":\"Claim Information\",\"content\":[{\"id\":\"CLM\",\"pos\":15"));
    assert_non_null(strstr(b.p, "\"SV101\":[\"HC\",\"99213\"]"));
    assert_non_null(strstr(b.p, "\"guide\":\"005010X222A1\""));
    hxe_buf_free(&b);
    done(&r);
}

static void test_patient_loop(void **state)
{
    (void)state;
    char *body = edit("HL*2*1*22*0~\n", "HL*2*1*22*1~\n");
    char *b2 = malloc(strlen(body) + 200);
    const char *claim = strstr(body, "CLM*");
    sprintf(b2, "%.*sHL*3*2*23*0~\nPAT*19~\nNM1*QC*1*DOE*JANE~\nN3*1 MAIN ST~\nN4*TOWN*MD*20705~\nDMG*D8*20100101*F~\n%s",
            (int)(claim - body), body, claim);
    struct run r;
    run(&r, b2);
    if (r.is.n) {
        dump(&r.is);
        fail_msg("a clean claim with a patient loop has issues");
    }
    assert_string_equal(loop_at(r.s, 15), "2000C");
    assert_string_equal(loop_at(r.s, 17), "2010CA");
    assert_string_equal(loop_at(r.s, 21), "2300");
    assert_string_equal(r.s->loops[r.s->loops[r.s->segs[20].loop].parent].id, "2000C");
    done(&r);
    free(body);
    free(b2);
}

static void test_structure_errors(void **state)
{
    (void)state;
    struct {
        const char *from, *to;
        int code;
        const char *seg;
        unsigned pos, field;
    } cases[] = {
        /* 2010BB payer name is required */
        {"NM1*PR*2*PAYER*****PI*P1~\n", "", HXE_X12_SEG_REQUIRED_MISSING, "NM1", 0, 0},
        /* N4 before N3: out of sequence */
        {"N3*1 MAIN ST~\nN4*TOWN*MD*20705~\n", "N4*TOWN*MD*20705~\nN3*1 MAIN ST~\n",
         HXE_X12_SEG_SEQUENCE, "N3", 9, 0},
        /* a second 1000B: loop over its maximum */
        {"HL*1**20*1~\n", "NM1*40*2*AGAIN*****46*R2~\nHL*1**20*1~\n", HXE_X12_SEG_LOOP_OVER_MAX, "NM1", 6, 0},
        /* 2010AA REF used twice (max 1) */
        {"REF*EI*123456789~\n", "REF*EI*123456789~\nREF*SY*123456789~\n", HXE_X12_SEG_OVER_MAX, "REF", 11, 0},
        /* a segment of no 837 */
        {"HI*ABK:J020~\n", "HI*ABK:J020~\nBPR*I*1*C*CHK~\n", HXE_X12_SEG_NOT_IN_SET, "BPR", 17, 0},
        /* unknown id */
        {"HI*ABK:J020~\n", "HI*ABK:J020~\nZZZ*1~\n", HXE_X12_SEG_UNRECOGNIZED, "ZZZ", 17, 0},
        /* malformed id */
        {"HI*ABK:J020~\n", "HI*ABK:J020~\nNm1*1~\n", HXE_X12_SEG_UNRECOGNIZED, "", 17, 0},
        /* a known segment in the wrong loop */
        {"LX*1~\n", "LX*1~\nBHT*0019*00*X*20240101*1200*CH~\n", HXE_X12_SEG_UNEXPECTED, "BHT", 18, 0},
        /* NM1*XX in 2010AA's place: bad code on NM101, loop still 2010AA */
        {"NM1*85*2*BILLING", "NM1*ZZ*2*BILLING", HXE_X12_ELE_BAD_CODE, "NM1", 7, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = edit(cases[i].from, cases[i].to);
        struct run r;
        run(&r, body);
        if (has(&r.is, cases[i].code, cases[i].seg, cases[i].pos, cases[i].field) != 1) {
            dump(&r.is);
            fail_msg("case %zu: expected code %d at %s #%u-%u", i, cases[i].code, cases[i].seg,
                     cases[i].pos, cases[i].field);
        }
        for (size_t k = 0; k < r.is.n; k++) {
            assert_null(strstr(r.is.v[k].text, "BILLING"));
            assert_null(strstr(r.is.v[k].text, "DOE"));
        }
        if (cases[i].code == HXE_X12_ELE_BAD_CODE)
            assert_string_equal(loop_at(r.s, 7), "2010AA");
        done(&r);
        free(body);
    }
}

static void test_element_errors(void **state)
{
    (void)state;
    struct {
        const char *from, *to;
        int code;
        const char *seg;
        unsigned pos, field, comp;
    } cases[] = {
        {"CLM*C1*100*", "CLM*C1*1X0*", HXE_X12_ELE_BAD_CHAR, "CLM", 15, 2, 0},
        {"BHT*0019*00*REF1*20240102", "BHT*0019*00*REF1*20241302", HXE_X12_ELE_BAD_DATE, "BHT", 2, 4, 0},
        {"*20240102*1230*CH", "*20240102*2530*CH", HXE_X12_ELE_BAD_TIME, "BHT", 2, 5, 0},
        {"N4*TOWN*MD*20705", "N4*TOWN*MDX*20705", HXE_X12_ELE_TOO_LONG, "N4", 9, 2, 0},
        {"N4*TOWN*MD*20705", "N4*TOWN*MD*20", HXE_X12_ELE_TOO_SHORT, "N4", 9, 3, 0},
        {"SBR*P*18*", "SBR**18*", HXE_X12_ELE_REQUIRED_MISSING, "SBR", 12, 1, 0},
        {"SV1*HC:99213*", "SV1*HC*", HXE_X12_ELE_REQUIRED_MISSING, "SV1", 18, 1, 2},
        {"SV1*HC:99213*", "SV1*HC:99213:AA:BB:CC:DD:EE:FF:GG:HH*", HXE_X12_ELE_TOO_MANY_COMPS, "SV1", 18, 1, 0},
        {"LX*1~", "LX*1:2~", HXE_X12_ELE_TOO_MANY_COMPS, "LX", 17, 1, 0},
        {"LX*1~", "LX*1^2~", HXE_X12_ELE_TOO_MANY_REPS, "LX", 17, 1, 0},
        {"LX*1~", "LX*1*2~", HXE_X12_ELE_TOO_MANY, "LX", 17, 2, 0},
        /* NM108 without NM109: paired rule P0809 */
        {"NM1*IL*1*DOE*JOHN****MI*M1", "NM1*IL*1*DOE*JOHN****MI", HXE_X12_ELE_CONDITIONAL_MISSING, "NM1", 13, 9, 0},
        /* the guide wants NM103 in 1000A (the standard does not) */
        {"NM1*41*2*SUBMITTER*****46*S1", "NM1*41*2******46*S1", HXE_X12_ELE_DEPENDENT_MISSING, "NM1", 3, 3, 0},
        /* the guide does not use NM110 in 1000A */
        {"NM1*41*2*SUBMITTER*****46*S1", "NM1*41*2*SUBMITTER*****46*S1*01", HXE_X12_ELE_NOT_USED, "NM1", 3, 10, 0},
        /* code the guide does not use */
        {"BHT*0019*00*", "BHT*0019*11*", HXE_X12_ELE_CODE_NOT_USED, "BHT", 2, 2, 0},
        {"SV1*HC:99213", "SV1*XX:99213", HXE_X12_ELE_BAD_CODE, "SV1", 18, 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *body = edit(cases[i].from, cases[i].to);
        struct run r;
        run(&r, body);
        size_t hits = 0;
        for (size_t k = 0; k < r.is.n; k++) {
            const hxe_issue *it = &r.is.v[k];
            if (it->code == cases[i].code && !strcmp(it->loc.seg, cases[i].seg) &&
                it->loc.seg_pos == cases[i].pos && it->loc.field == cases[i].field &&
                it->loc.comp == cases[i].comp)
                hits++;
        }
        if (hits != 1 || r.is.errors != 1) {
            dump(&r.is);
            fail_msg("case %zu (%s): expected exactly code %d at %s #%u-%u-%u", i, cases[i].to,
                     cases[i].code, cases[i].seg, cases[i].pos, cases[i].field, cases[i].comp);
        }
        done(&r);
        free(body);
    }
}

static void test_no_schema(void **state)
{
    (void)state;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_issues is = HXE_ISSUES_INIT;
    const char *t = ISA "ST*123*0001*005010X999~\nSE*2*0001~\n" TRAILER;
    hxe_x12_file *f;
    assert_int_equal(hxe_x12_parse(&f, &a, t, strlen(t), NULL, &is, NULL), 0);
    assert_int_equal(hxe_x12_parse_loops(f->sets[0], &a, NULL, &is), HXE_ENOTFOUND);
    assert_int_equal(is.n, 1);
    assert_int_equal(is.v[0].code, HXE_X12_SET_GUIDE_NOT_SUPPORTED);
    /* still usable flat */
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_set_to_json(f->sets[0], &b), 0);
    assert_non_null(strstr(b.p, "\"segments\":[{\"id\":\"ST\""));
    assert_non_null(hxe_x12_element_name("NM1", 3));
    assert_string_equal(hxe_x12_element_name("CLM", 1), "Claim Submitter's Identifier");
    assert_null(hxe_x12_element_name("NM1", 40));
    assert_non_null(hxe_x12_schemas()[0]);
    hxe_buf_free(&b);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_tree),
        cmocka_unit_test(test_patient_loop),
        cmocka_unit_test(test_structure_errors),
        cmocka_unit_test(test_element_errors),
        cmocka_unit_test(test_no_schema),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
