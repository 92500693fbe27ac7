/*
 * test_x12_read.c — the X12 tokenizer, envelopes, reader and writer:
 * delimiters from the ISA, element/component/repetition access, the
 * envelope checks with their TA1/AK9/IK5 codes, several interchanges,
 * groups and sets in one input, streaming in flat memory, and writing
 * back byte for byte or with other delimiters.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A clean 837P-ish interchange with * : ^ ~ and a newline after each
 * terminator. */
static const char *const CLEAN =
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240102*1230*^*00501*000000101*1*T*:~\n"
    "GS*HC*SENDER*RECEIVER*20240102*1230*7*X*005010X222A1~\n"
    "ST*837*0001*005010X222A1~\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "HI*ABK:J020^ABF:R509~\n"
    "SV1*HC:99213:25*100*UN*1***1:2~\n"
    "SE*6*0001~\n"
    "GE*1*7~\n"
    "IEA*1*000000101~\n";

static size_t count_code(const hxe_issues *is, int code)
{
    size_t n = 0;
    for (size_t i = 0; i < is->n; i++)
        if (is->v[i].code == code)
            n++;
    return n;
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t n = strlen(s) - strlen(from) + strlen(to);
    char *o = malloc(n + 1);
    size_t k = (size_t)(p - s);
    memcpy(o, s, k);
    strcpy(o + k, to);
    strcat(o, p + strlen(from));
    return o;
}

struct parsed {
    hxe_arena a;
    hxe_issues is;
    hxe_x12_file *f;
    hxe_err err;
    int rc;
};

static void parse(struct parsed *p, const char *s, size_t n)
{
    memset(p, 0, sizeof *p);
    hxe_arena_init(&p->a, 4096, 0);
    p->rc = hxe_x12_parse(&p->f, &p->a, s, n, NULL, &p->is, &p->err);
}

static void done(struct parsed *p)
{
    hxe_arena_free(&p->a);
    hxe_issues_free(&p->is);
}

static void test_delims(void **state)
{
    (void)state;
    hxe_x12_delims d;
    assert_int_equal(hxe_x12_read_delims(&d, CLEAN, strlen(CLEAN), NULL), 0);
    assert_int_equal(d.es, '*');
    assert_int_equal(d.rs, '^');
    assert_int_equal(d.cs, ':');
    assert_int_equal(d.st, '~');
    const char *other =
        "ISA|00|          |00|          |ZZ|A              |ZZ|B              |240102|1230|`|00501|000000101|0|P|>\n";
    assert_int_equal(hxe_x12_read_delims(&d, other, strlen(other), NULL), 0);
    assert_int_equal(d.es, '|');
    assert_int_equal(d.rs, '`');
    assert_int_equal(d.cs, '>');
    assert_int_equal(d.st, '\n');
    hxe_err err;
    assert_int_equal(hxe_x12_read_delims(&d, "GS*HC", 5, &err), HXE_EPARSE);
    assert_int_equal(hxe_x12_read_delims(&d, "ISA*00*", 7, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "16 elements"));
}

static void test_clean_and_access(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, CLEAN, strlen(CLEAN));
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.is.n, 0);
    assert_int_equal(p.f->nsets, 1);
    assert_int_equal(p.f->interchanges, 1);
    assert_int_equal(p.f->groups, 1);
    hxe_x12_set *s = p.f->sets[0];
    assert_string_equal(s->id, "837");
    assert_string_equal(s->control, "0001");
    assert_string_equal(s->guide, "005010X222A1");
    assert_string_equal(s->gs.control, "7");
    assert_string_equal(s->gs.functional_id, "HC");
    assert_string_equal(s->isa.control, "000000101");
    assert_int_equal(s->isa.ack_requested, '1');
    assert_int_equal(s->isa.usage, 'T');
    assert_int_equal(s->nseg, 6);
    assert_string_equal(s->segs[3].id, "HI");
    const hxe_x12_delims *d = &s->d;
    hxe_slice v = hxe_x12_element(&s->segs[2], d, 3);
    assert_true(hxe_slice_eq_cstr(v, "SUBMITTER"));
    assert_int_equal(hxe_x12_element_count(&s->segs[2], d), 9);
    assert_true(hxe_slice_eq_cstr(hxe_x12_element(&s->segs[2], d, 12), ""));
    /* HI: two repetitions of a composite */
    assert_true(hxe_slice_eq_cstr(hxe_x12_component(&s->segs[3], d, 1, 2, 1), "ABF"));
    assert_true(hxe_slice_eq_cstr(hxe_x12_component(&s->segs[3], d, 1, 1, 2), "J020"));
    assert_true(hxe_slice_eq_cstr(hxe_x12_component(&s->segs[3], d, 1, 3, 1), ""));
    assert_true(hxe_slice_eq_cstr(hxe_x12_component(&s->segs[4], d, 1, 0, 3), "25"));
    assert_true(hxe_slice_eq_cstr(hxe_x12_component(&s->segs[4], d, 7, 0, 2), "2"));
    /* offsets point into the input */
    assert_int_equal(s->segs[0].offset, (size_t)(strstr(CLEAN, "ST*") - CLEAN));
    assert_ptr_equal(s->segs[0].p, strstr(CLEAN, "ST*"));
    done(&p);
}

static void test_envelope_errors(void **state)
{
    (void)state;
    struct {
        const char *from, *to;
        int code;
        const char *seg;
        unsigned field;
    } cases[] = {
        {"SE*6*0001", "SE*7*0001", HXE_X12_SET_COUNT, "SE", 1},
        {"SE*6*0001", "SE*6*0002", HXE_X12_SET_CONTROL_MISMATCH, "SE", 2},
        {"GE*1*7", "GE*2*7", HXE_X12_GRP_COUNT, "GE", 1},
        {"GE*1*7", "GE*1*8", HXE_X12_GRP_CONTROL_MISMATCH, "GE", 2},
        {"IEA*1*000000101", "IEA*2*000000101", HXE_X12_TA1_GROUP_COUNT, "IEA", 1},
        {"IEA*1*000000101", "IEA*1*000000102", HXE_X12_TA1_CONTROL_MISMATCH, "IEA", 2},
        {"IEA*1*000000101~\n", "", HXE_X12_TA1_EOF, "IEA", 0},
        {"GE*1*7~\n", "", HXE_X12_GRP_TRAILER_MISSING, "GE", 0},
        {"SE*6*0001~\n", "", HXE_X12_SET_TRAILER_MISSING, "SV1", 0},
        {"*00501*", "*00401*", HXE_X12_TA1_VERSION, "ISA", 12},
        {"*1*T*", "*2*T*", HXE_X12_TA1_ACK_REQUESTED, "ISA", 14},
        {"*1*T*", "*1*X*", HXE_X12_TA1_TEST_INDICATOR, "ISA", 15},
        {"*240102*", "*241302*", HXE_X12_TA1_DATE, "ISA", 9},
        {"*000000101*", "*00000101A*", HXE_X12_TA1_CONTROL, "ISA", 13},
        {"*SUBMITTER      *", "*SUBMITTER     *", HXE_X12_TA1_SENDER_ID, "ISA", 6},
        {"*ZZ*SUBMITTER", "*QQ*SUBMITTER", HXE_X12_TA1_SENDER_QUAL, "ISA", 5},
        {"*X*005010X222A1~", "*X*004010X098A1~", HXE_X12_GRP_VERSION, "GS", 8},
        {"ST*837*0001*", "ST*837*01*", HXE_X12_SET_CONTROL, "ST", 2},
        {"ST*837*0001*", "ST*8X7*0001*", HXE_X12_SET_ID, "ST", 1},
        {"BHT*", "XYZ*1~\nBHT*", HXE_X12_SET_COUNT, "SE", 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *in = replace(CLEAN, cases[i].from, cases[i].to);
        struct parsed p;
        parse(&p, in, strlen(in));
        if (count_code(&p.is, cases[i].code) != 1)
            fail_msg("case %zu (%s): code %d reported %zu times", i, cases[i].to, cases[i].code,
                     count_code(&p.is, cases[i].code));
        for (size_t k = 0; k < p.is.n; k++)
            if (p.is.v[k].code == cases[i].code) {
                assert_string_equal(p.is.v[k].loc.seg, cases[i].seg);
                assert_int_equal(p.is.v[k].loc.field, cases[i].field);
                assert_true(p.is.v[k].severity >= HXE_SEV_ERROR);
            }
        /* no values of the message in any text */
        for (size_t k = 0; k < p.is.n; k++)
            assert_null(strstr(p.is.v[k].text, "SUBMITTER"));
        done(&p);
        free(in);
    }
    /* a clean file has no issue at all: the cases above cannot pass by
     * accident */
    struct parsed p;
    parse(&p, CLEAN, strlen(CLEAN));
    assert_int_equal(p.is.n, 0);
    done(&p);
}

static void test_unreadable(void **state)
{
    (void)state;
    const char *bad[] = {"", "   \n", "GS*HC*A*B~ST*837*0001~SE*2*0001~GE*1*1~",
                         "ISA*00*", "hello world"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct parsed p;
        parse(&p, bad[i], strlen(bad[i]));
        assert_int_equal(p.rc, HXE_EPARSE);
        assert_null(p.f);
        assert_true(p.err.msg[0] != '\0');
        done(&p);
    }
}

/* Two interchanges (different delimiters), three groups, five sets, and
 * a TA1. */
static void test_many(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&b, CLEAN), 0);
    char *two = replace(CLEAN, "GE*1*7~\n", "GE*1*7~\nGS*HC*S*R*20240102*1230*8*X*005010X222A1~\n"
                                           "ST*837*0002*005010X222A1~\nBHT*0019*00*R*20240102*1230*CH~\nSE*3*0002~\n"
                                           "ST*837*0003*005010X222A1~\nSE*2*0003~\nGE*2*8~\n");
    char *two2 = replace(two, "IEA*1*", "IEA*2*");
    const char *third =
        "ISA|00|          |00|          |ZZ|A              |ZZ|B              |240102|1230|`|00501|000000102|0|P|>!"
        "TA1|000000050|240101|1200|A|000!"
        "GS|HP|A|B|20240102|1230|9|X|005010X221A1!ST|835|1001|005010X221A1!SE|2|1001!"
        "ST|835|1002|005010X221A1!SE|2|1002!GE|2|9!IEA|1|000000102!";
    assert_int_equal(hxe_buf_puts(&b, "\r\n"), 0);
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_buf_puts(&b, two2), 0);
    assert_int_equal(hxe_buf_puts(&b, third), 0);

    hxe_issues env = HXE_ISSUES_INIT, set_is = HXE_ISSUES_INIT;
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, b.p, b.len, NULL, &env);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    const char *want[] = {"837/0001/7", "837/0002/8", "837/0003/8", "TA1//", "835/1001/9", "835/1002/9"};
    size_t k = 0;
    hxe_x12_set *s;
    int kind;
    while ((kind = hxe_x12_reader_next(&r, &a, &s, &set_is, NULL)) != HXE_X12_UNIT_END) {
        assert_true(kind > 0);
        assert_true(k < 6);
        char got[64];
        snprintf(got, sizeof got, "%s/%s/%s", s->id, s->control, s->gs.control);
        assert_string_equal(got, want[k]);
        if (k >= 3)
            assert_int_equal(s->d.es, '|');
        k++;
        hxe_arena_reset(&a);
    }
    assert_int_equal(k, 6);
    assert_int_equal(r.interchanges, 2);
    assert_int_equal(r.groups, 3);
    assert_int_equal(r.sets, 5);
    if (env.n || set_is.n)
        fail_msg("unexpected issue: %s", env.n ? env.v[0].text : set_is.v[0].text);
    hxe_arena_free(&a);
    hxe_issues_free(&env);
    hxe_issues_free(&set_is);
    free(two);
    free(two2);
    hxe_buf_free(&b);
}

/* Many sets read one at a time keep the arena flat. */
static void test_streaming_flat(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&b, "ISA*00*          *00*          *ZZ*A              *ZZ*B              "
                                      "*240102*1230*^*00501*000000001*0*P*:~GS*HC*A*B*20240102*1230*1*X*005010X222A1~"), 0);
    const int N = 2000;
    for (int i = 0; i < N; i++) {
        assert_int_equal(hxe_buf_printf(&b, "ST*837*%04d*005010X222A1~", i + 1), 0);
        for (int j = 0; j < 20; j++)
            assert_int_equal(hxe_buf_printf(&b, "NTE*ADD*LINE %d~", j), 0);
        assert_int_equal(hxe_buf_printf(&b, "SE*22*%04d~", i + 1), 0);
    }
    assert_int_equal(hxe_buf_printf(&b, "GE*%d*1~IEA*1*000000001~", N), 0);
    hxe_issues env = HXE_ISSUES_INIT;
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, b.p, b.len, NULL, &env);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_x12_set *s;
    size_t most = 0, n = 0;
    while (hxe_x12_reader_next(&r, &a, &s, NULL, NULL) == HXE_X12_UNIT_SET) {
        assert_int_equal(s->nseg, 22);
        if (a.used > most)
            most = a.used;
        hxe_arena_reset(&a);
        n++;
    }
    assert_int_equal(n, (size_t)N);
    assert_int_equal(env.n, 0);
    /* one set's worth, whatever the number of sets */
    assert_true(most < 8192);
    hxe_arena_free(&a);
    hxe_issues_free(&env);
    hxe_buf_free(&b);
}

static void test_round_trip(void **state)
{
    (void)state;
    /* BOM, CRLF, blank lines, junk between interchanges, no final terminator */
    hxe_buf in = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&in, "\xef\xbb\xbf"), 0);
    char *crlf = replace(CLEAN, "~\nGS", "~\r\n\r\nGS");
    assert_int_equal(hxe_buf_puts(&in, crlf), 0);
    assert_int_equal(hxe_buf_puts(&in, "\n  junk line\n"), 0);
    char *noterm = replace(CLEAN, "IEA*1*000000101~\n", "IEA*1*000000101");
    assert_int_equal(hxe_buf_puts(&in, noterm), 0);
    struct parsed p;
    parse(&p, in.p, in.len);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.f->nsets, 2);
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_write(p.f, NULL, 0, &out, NULL), 0);
    assert_int_equal(out.len, in.len);
    assert_memory_equal(out.p, in.p, in.len);
    /* one set alone */
    hxe_buf_truncate(&out, 0);
    assert_int_equal(hxe_x12_write_set(p.f->sets[0], &out), 0);
    assert_non_null(strstr(out.p, "ST*837*0001"));
    assert_int_equal(strncmp(out.p, "ST*", 3), 0);
    assert_non_null(strstr(out.p, "SE*6*0001~"));
    assert_null(strstr(out.p, "GE*"));
    free(crlf);
    free(noterm);
    hxe_buf_free(&out);
    hxe_buf_free(&in);
    done(&p);
}

static void test_write_other_delims(void **state)
{
    (void)state;
    struct parsed p;
    parse(&p, CLEAN, strlen(CLEAN));
    hxe_x12_delims d = {'|', '`', '>', '!'};
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_write(p.f, &d, 1, &out, NULL), 0);
    assert_non_null(strstr(out.p, "|`|00501|"));
    assert_non_null(strstr(out.p, "|1|T|>!\n"));
    assert_non_null(strstr(out.p, "HI|ABK>J020`ABF>R509!\n"));
    /* reads back to the same values */
    struct parsed q;
    parse(&q, out.p, out.len);
    assert_int_equal(q.rc, 0);
    assert_int_equal(q.is.n, 0);
    assert_int_equal(q.f->nsets, 1);
    const hxe_x12_set *s = q.f->sets[0], *o = p.f->sets[0];
    assert_int_equal(s->nseg, o->nseg);
    for (size_t i = 0; i < s->nseg; i++) {
        unsigned n = hxe_x12_element_count(&s->segs[i], &s->d);
        assert_int_equal(n, hxe_x12_element_count(&o->segs[i], &o->d));
        for (unsigned e = 0; e <= n; e++)
            for (unsigned r = 1; r <= 2; r++)
                for (unsigned c = 1; c <= 3; c++)
                    assert_true(hxe_slice_eq(hxe_x12_component(&s->segs[i], &s->d, e, r, c),
                                             hxe_x12_component(&o->segs[i], &o->d, e, r, c)));
    }
    /* and back to the first delimiters, byte for byte */
    hxe_buf back = HXE_BUF_INIT;
    assert_int_equal(hxe_x12_write(q.f, &p.f->d, 1, &back, NULL), 0);
    assert_string_equal(back.p, CLEAN);
    /* a value holding a new delimiter cannot be written */
    hxe_x12_delims clash = {'*', '^', ':', 'S'};
    hxe_err err;
    hxe_buf_truncate(&out, 0);
    assert_int_equal(hxe_x12_write(p.f, &clash, 0, &out, &err), HXE_EINVAL);
    clash.st = '!';
    clash.es = 'M';
    assert_int_equal(hxe_x12_write(p.f, &clash, 0, &out, &err), HXE_EINVAL);
    hxe_x12_delims dash = {'-', '^', ':', '~'};
    char *withdash = replace(CLEAN, "SUBMITTER*****", "SUB-MITTER*****");
    struct parsed r;
    parse(&r, withdash, strlen(withdash));
    hxe_buf_truncate(&out, 0);
    assert_int_equal(hxe_x12_write(r.f, &dash, 0, &out, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "segment 5 (NM1), element 3"));
    assert_null(strstr(err.msg, "SUB"));
    free(withdash);
    done(&r);
    hxe_buf_free(&back);
    hxe_buf_free(&out);
    done(&q);
    done(&p);
}

static void test_codes(void **state)
{
    (void)state;
    char b[8];
    assert_string_equal(hxe_x12_code_str(HXE_X12_SEG_NOT_USED, b, sizeof b), "I4");
    assert_string_equal(hxe_x12_code_str(HXE_X12_ELE_PATTERN, b, sizeof b), "I12");
    assert_string_equal(hxe_x12_code_str(HXE_X12_TA1_CONTROL_MISMATCH, b, sizeof b), "001");
    assert_string_equal(hxe_x12_code_str(HXE_X12_SET_COUNT, b, sizeof b), "4");
    assert_int_equal(hxe_x12_code_level(HXE_X12_ELE_BAD_CODE), HXE_X12_ELE);
    assert_int_equal(hxe_x12_code_level(101), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delims),
        cmocka_unit_test(test_clean_and_access),
        cmocka_unit_test(test_envelope_errors),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_many),
        cmocka_unit_test(test_streaming_flat),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_write_other_delims),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
