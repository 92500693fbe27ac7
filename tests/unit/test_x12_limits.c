/*
 * test_x12_limits.c — the limits of hxe_x12_opts that input can drive:
 * max_elements (a segment with more elements stops the reader with
 * HXE_ETOOBIG naming the place), max_loop_depth (a set nesting deeper
 * gets an issue, HXE_ETOOBIG and no half-built tree); and
 * hxe_x12_schemas() asked from several threads at once.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const CLAIM =
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

static int read_one(const char *in, const hxe_x12_opts *o, hxe_arena *a, hxe_x12_set **s,
                    hxe_err *err)
{
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, in, strlen(in), o, NULL);
    return hxe_x12_reader_next(&r, a, s, NULL, err);
}

static void test_max_elements(void **state)
{
    (void)state;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_x12_set *s;
    hxe_err err = {0};
    /* the NM1 of 2010BA has 9 elements; SBR 9; CLM 9 */
    hxe_x12_opts o = {0, 0, 9, 0};
    assert_int_equal(read_one(CLAIM, &o, &a, &s, &err), HXE_X12_UNIT_SET);
    hxe_arena_reset(&a);
    o.max_elements = 8;
    assert_int_equal(read_one(CLAIM, &o, &a, &s, &err), HXE_ETOOBIG);
    /* the place, never the value */
    assert_non_null(strstr(err.msg, "segment 3 of set 0001"));
    assert_null(strstr(err.msg, "SUBMITTER"));
    /* the default (1,000) lets a normal claim through and stops a
     * segment of 1,001 elements */
    hxe_arena_reset(&a);
    assert_int_equal(read_one(CLAIM, NULL, &a, &s, &err), HXE_X12_UNIT_SET);
    hxe_buf b = HXE_BUF_INIT;
    const char *at = strstr(CLAIM, "HI*ABK:J020~");
    assert_int_equal(hxe_buf_append(&b, CLAIM, (size_t)(at - CLAIM)), 0);
    assert_int_equal(hxe_buf_puts(&b, "NTE"), 0);
    for (int i = 0; i < 1001; i++)
        assert_int_equal(hxe_buf_putc(&b, '*'), 0);
    assert_int_equal(hxe_buf_puts(&b, "~\n"), 0);
    assert_int_equal(hxe_buf_puts(&b, at), 0);
    hxe_arena_reset(&a);
    assert_int_equal(read_one(b.p, NULL, &a, &s, &err), HXE_ETOOBIG);
    hxe_buf_free(&b);
    hxe_arena_free(&a);
}

static void test_max_loop_depth(void **state)
{
    (void)state;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_x12_set *s;
    hxe_err err = {0};
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(read_one(CLAIM, NULL, &a, &s, &err), HXE_X12_UNIT_SET);
    assert_int_equal(hxe_x12_parse_loops(s, &a, NULL, &is), 0);
    /* how deep does this claim nest? */
    unsigned deepest = 0;
    for (size_t i = 0; i < s->nloops; i++)
        if (s->loops[i].depth > deepest)
            deepest = s->loops[i].depth;
    assert_true(deepest >= 3);
    assert_int_equal(is.errors, 0);

    hxe_x12_opts o = {0, 0, 0, deepest};
    assert_int_equal(hxe_x12_parse_loops(s, &a, &o, &is), 0);
    assert_int_equal(is.errors, 0);

    o.max_loop_depth = deepest - 1;
    assert_int_equal(hxe_x12_parse_loops(s, &a, &o, &is), HXE_ETOOBIG);
    assert_int_equal(is.n, 1);
    assert_int_equal(is.v[0].code, HXE_X12_SEG_UNEXPECTED);
    assert_non_null(strstr(is.v[0].text, "deeper than the limit"));
    assert_null(s->loops);
    assert_int_equal(s->nloops, 0);
    /* still usable flat: validation and JSON do not trip on it */
    hxe_x12_validate_opts vo = {1, 0};
    assert_int_equal(hxe_x12_validate(s, &vo, &is), 0);
    hxe_buf j = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_set_to_json(s, &j), 0);
    assert_non_null(strstr(j.p, "\"segments\":["));
    hxe_buf_free(&j);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

static void *ask(void *arg)
{
    (void)arg;
    return (void *)hxe_x12_schemas();
}

static void test_schemas_threads(void **state)
{
    (void)state;
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_create(&t[i], NULL, ask, NULL), 0);
    void *got[4];
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(t[i], &got[i]), 0);
    const char *const *list = hxe_x12_schemas();
    for (int i = 0; i < 4; i++)
        assert_ptr_equal(got[i], list);
    size_t n = 0;
    int has_999 = 0;
    for (; list[n]; n++)
        has_999 |= !strcmp(list[n], "999 005010X231A1");
    assert_true(n >= 11);   /* one per .tr3 file */
    assert_true(has_999);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_max_elements),
        cmocka_unit_test(test_max_loop_depth),
        cmocka_unit_test(test_schemas_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
