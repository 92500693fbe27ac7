/*
 * test_hl7_parse.c — reading messages: encoding characters, terminators,
 * BOM, limits, and every malformed shape we refuse or report.
 */
#include "helpers/testutil.h"

#include <stdlib.h>
#include <string.h>

#define ADT "MSH|^~\\&|SEND|FAC|RECV|RFAC|20240101120000||ADT^A01^ADT_A01|CTRL1|P|2.5.1\r" \
            "EVN|A01|20240101120000\r"                                                  \
            "PID|1||123^^^HOSP^MR~456^^^SSA^SS||DOE^JANE^Q||19800101|F\r"              \
            "PV1|1|I|W^1^2\r"

static void parses_segments_and_msh_facts(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ADT), 0);
    assert_int_equal(t.m->nseg, 4);
    assert_string_equal(t.m->segs[0].id, "MSH");
    assert_string_equal(t.m->segs[2].id, "PID");
    assert_int_equal(t.m->enc.fs, '|');
    assert_int_equal(t.m->enc.cs, '^');
    assert_int_equal(t.m->enc.rs, '~');
    assert_int_equal(t.m->enc.es, '\\');
    assert_int_equal(t.m->enc.ss, '&');
    assert_int_equal(t.m->enc.tc, 0);
    assert_string_equal(t.m->version, "2.5.1");
    assert_string_equal(tu_raw(t.m, "MSH-1"), "|");
    assert_string_equal(tu_raw(t.m, "MSH-2"), "^~\\&");
    assert_string_equal(tu_raw(t.m, "MSH-3"), "SEND");
    assert_string_equal(tu_raw(t.m, "MSH-9.2"), "A01");
    assert_int_equal(t.issues.n, 0);
    tu_done(&t);
}

static void same_tree_for_every_terminator(void **state)
{
    (void)state;
    const char *variants[] = {
        "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||X\rPV1|1|I\r",
        "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\nPID|1||X\nPV1|1|I\n",
        "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r\nPID|1||X\r\nPV1|1|I\r\n",
        "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\r\nPID|1||X\nPV1|1|I",
        "\xef\xbb\xbfMSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||X\r\r\n \nPV1|1|I\r",
    };
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        tu t;
        tu_init(&t);
        assert_int_equal(tu_parse(&t, variants[i]), 0);
        assert_int_equal(t.m->nseg, 3);
        assert_string_equal(t.m->segs[2].id, "PV1");
        assert_string_equal(tu_raw(t.m, "PV1-2"), "I");
        assert_string_equal(tu_raw(t.m, "PID-3"), "X");
        assert_int_equal(t.issues.errors, 0);
        /* byte for byte back (the BOM is not part of the message) */
        hxe_buf b = HXE_BUF_INIT;
        assert_int_equal(hxe_hl7_write(t.m, &b), 0);
        const char *in = variants[i];
        if ((unsigned char)in[0] == 0xef)
            in += 3;
        assert_int_equal(b.len, strlen(in));
        assert_memory_equal(b.p, in, b.len);
        hxe_buf_free(&b);
        tu_done(&t);
    }
}

static void any_choice_of_delimiters(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    /* field #, component $, repetition %, escape @, subcomponent !, truncation ? */
    assert_int_equal(tu_parse(&t, "MSH#$%@!?#A#B#C#D#20240101##ADT$A01#9#P#2.7\r"
                                  "PID#1##1$$$H!X%2$$$S#\r"),
                     0);
    assert_int_equal(t.m->enc.fs, '#');
    assert_int_equal(t.m->enc.tc, '?');
    assert_string_equal(tu_raw(t.m, "MSH-9.1"), "ADT");
    assert_string_equal(tu_raw(t.m, "PID-3[2].1"), "2");
    assert_string_equal(tu_raw(t.m, "PID-3.4.2"), "X");
    assert_string_equal(tu_raw(t.m, "MSH-2"), "$%@!?");
    tu_done(&t);
}

static void short_msh2_has_no_later_separators(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    /* MSH-2 of three characters: no subcomponent separator */
    assert_int_equal(tu_parse(&t, "MSH|^~\\|A|B|C|D|2024||ADT^A01|1|P|2.3\rPID|1||a&b~c\r"), 0);
    assert_int_equal(t.m->enc.ss, 0);
    assert_string_equal(tu_raw(t.m, "PID-3.1"), "a&b");
    assert_string_equal(tu_raw(t.m, "PID-3.1.1"), "a&b");
    assert_string_equal(tu_raw(t.m, "PID-3[2]"), "c");
    tu_done(&t);
}

static void refuses_unreadable_input(void **state)
{
    (void)state;
    struct {
        const char *in;
        size_t n;
        const char *why;
    } cases[] = {
        {"", 0, "empty"},
        {"\r\n\r\n", 4, "empty"},
        {"PID|1||X\r", 9, "MSH"},
        {"MSH", 3, "MSH-1"},
        {"MSH|", 4, "MSH-2"},
        {"MSH||A|B\r", 9, "MSH-2"},
        {"MSH|^~A&|A\r", 11, "non-alphanumeric"},
        {"MSHA^~\\&A\r", 10, "MSH-1"},
        {"MSH|^~\\&$%#|A\r", 14, "at most 5"},
        {"BHS|^~\\&\rMSH|^~\\&\r", 18, "batch"},
        {"\x00\x01\x02MSH\xff\xfe", 8, "MSH"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu t;
        tu_init(&t);
        int rc = tu_parse_n(&t, cases[i].in, cases[i].n);
        assert_true(rc < 0);
        assert_null(t.m);
        if (!strstr(t.err.msg, cases[i].why))
            fail_msg("case %zu: '%s' does not mention '%s'", i, t.err.msg, cases[i].why);
        /* a FATAL reject issue comes with it, for the AR */
        assert_int_equal(t.issues.n, 1);
        assert_int_equal(t.issues.v[0].severity, HXE_SEV_FATAL);
        assert_int_equal(t.issues.v[0].reject, 1);
        tu_done(&t);
    }
}

static void reports_malformed_segments_but_keeps_them(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    const char *in = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPIDX|1\rPV|1\rPI\rpid|1\rPV1|1|I\r";
    assert_int_equal(tu_parse(&t, in), 0);
    assert_int_equal(t.m->nseg, 6);
    for (size_t i = 1; i <= 4; i++)
        assert_int_equal(t.m->segs[i].bad, 1);
    assert_int_equal(t.m->segs[5].bad, 0);
    assert_int_equal(tu_count(&t.issues, 100, HXE_SEV_ERROR, NULL, 0), 4);
    for (size_t i = 0; i < t.issues.n; i++)
        assert_int_equal(t.issues.v[i].reject, 1);
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_write(t.m, &b), 0);
    assert_string_equal(b.p, in);
    hxe_buf_free(&b);
    tu_done(&t);
}

static void doubled_encoding_character_is_read_and_rejected(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    /* ^~\\& as Java source code writes it: read as ^~\& */
    assert_int_equal(tu_parse(&t, "MSH|^~\\\\&|A|B|C|D|2024||ADT^A01|1|P|2.6\rPID|1||a&b\r"), 0);
    assert_int_equal(t.m->enc.es, '\\');
    assert_int_equal(t.m->enc.ss, '&');
    assert_int_equal(t.m->enc.tc, 0);
    assert_string_equal(tu_raw(t.m, "PID-3.1.2"), "b");
    assert_int_equal(tu_count(&t.issues, 102, HXE_SEV_ERROR, "MSH", 2), 1);
    assert_int_equal(t.issues.v[0].reject, 1);
    assert_int_equal(hxe_hl7_verdict(t.m, &t.issues), 'R');
    tu_done(&t);
}

static void a_second_msh_is_reported(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A\rPID|1\rMSH|^~\\&|B\r"), 0);
    assert_int_equal(tu_count(&t.issues, 100, HXE_SEV_ERROR, "MSH", 0), 1);
    tu_done(&t);
}

static void control_characters_are_errors(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    const char in[] = "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||a\0b\x01\rPV1|1\r";
    assert_int_equal(tu_parse_n(&t, in, sizeof in - 1), 0);
    assert_int_equal(t.m->nseg, 3);
    assert_int_equal(tu_count(&t.issues, 102, HXE_SEV_ERROR, NULL, 0), 1);
    assert_non_null(strstr(t.issues.v[0].text, "0x00"));
    tu_done(&t);
}

static void character_sets(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    /* UNICODE UTF-8, valid */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\r"
                                  "PID|1||1||Jos\xc3\xa9^Mar\xc3\xad" "a\r"),
                     0);
    assert_int_equal(t.m->charset, HXE_HL7_CS_UTF8);
    assert_int_equal(t.issues.n, 0);
    assert_string_equal(tu_get(t.m, "PID-5.1"), "Jos\xc3\xa9");

    /* UNICODE UTF-8, invalid bytes: an error, text handed out still UTF-8 */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\r"
                                  "PID|1||1||Jos\xe9\xff\r"),
                     0);
    assert_int_equal(tu_count(&t.issues, 102, HXE_SEV_ERROR, "PID", 0), 1);
    const char *v = tu_get(t.m, "PID-5.1");
    assert_int_equal(hxe_utf8_check(v, strlen(v)), strlen(v));
    assert_string_equal(v, "Jos\xef\xbf\xbd\xef\xbf\xbd");

    /* 8859/1: converted to UTF-8 */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||8859/1\r"
                                  "PID|1||1||M\xfcller^J\xf6rg\r"),
                     0);
    assert_int_equal(t.m->charset, HXE_HL7_CS_LATIN1);
    assert_int_equal(t.issues.errors, 0);
    assert_string_equal(tu_get(t.m, "PID-5.1"), "M\xc3\xbcller");
    assert_string_equal(tu_get(t.m, "PID-5.2"), "J\xc3\xb6rg");

    /* ASCII with a stray high byte: a warning, read as 8859/1 */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||ASCII\r"
                                  "PID|1||1||M\xfcller\r"),
                     0);
    assert_int_equal(tu_count(&t.issues, 102, HXE_SEV_WARNING, NULL, 0), 1);
    assert_int_equal(t.issues.errors, 0);
    assert_string_equal(tu_get(t.m, "PID-5"), "M\xc3\xbcller");

    /* no MSH-18, bytes not UTF-8: a warning, read as 8859/1 */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1||1||Fran\xe7ois\r"), 0);
    assert_int_equal(t.issues.errors, 0);
    assert_int_equal(tu_count(&t.issues, 102, HXE_SEV_WARNING, NULL, 0), 1);
    assert_string_equal(tu_get(t.m, "PID-5"), "Fran\xc3\xa7ois");

    /* 8859/15 through iconv: the euro sign */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||8859/15\r"
                                  "NTE|1||5 \xa4\r"),
                     0);
    assert_string_equal(tu_get(t.m, "NTE-3"), "5 \xe2\x82\xac");

    /* an unknown character set is a warning */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||KLINGON\r"), 0);
    assert_int_equal(tu_count(&t.issues, 103, HXE_SEV_WARNING, "MSH", 18), 1);
    tu_done(&t);
}

static void limits_hold(void **state)
{
    (void)state;
    /* huge field count: reads fine, access beyond the limit refused */
    size_t nf = 200000;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&b, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rZZZ"), 0);
    for (size_t i = 0; i < nf; i++)
        assert_int_equal(hxe_buf_puts(&b, "|x"), 0);
    assert_int_equal(hxe_buf_puts(&b, "\r"), 0);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, b.p, b.len), 0);
    assert_int_equal(hxe_hl7_field_count(t.m, 1), nf);
    assert_string_equal(tu_raw(t.m, "ZZZ-9000"), "x");
    hxe_slice v;
    assert_int_equal(hxe_hl7_get_str(t.m, "ZZZ-20000", &v), HXE_EINVAL);

    /* segment limit */
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_buf_puts(&b, "MSH|^~\\&|A\r"), 0);
    for (int i = 0; i < 20; i++)
        assert_int_equal(hxe_buf_puts(&b, "NTE|1\r"), 0);
    hxe_hl7_opts o = {0, 10, 0};
    hxe_hl7_msg *m = NULL;
    hxe_err err = {0};
    assert_int_equal(hxe_hl7_parse(&m, &t.arena, b.p, b.len, &o, NULL, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "more than 10 segments"));

    /* byte limit */
    hxe_hl7_opts o2 = {16, 0, 0};
    assert_int_equal(hxe_hl7_parse(&m, &t.arena, b.p, b.len, &o2, NULL, &err), HXE_ETOOBIG);
    hxe_buf_free(&b);
    tu_done(&t);
}

static void binary_junk_never_crashes(void **state)
{
    (void)state;
    unsigned seed = 12345;
    tu t;
    tu_init(&t);
    char buf[512];
    for (int round = 0; round < 2000; round++) {
        size_t n = (size_t)(rand_r(&seed) % sizeof buf);
        for (size_t i = 0; i < n; i++)
            buf[i] = (char)rand_r(&seed);
        if (round % 2 && n > 8)
            memcpy(buf, "MSH|^~\\&", 8);
        if (tu_parse_n(&t, buf, n) == 0) {
            hxe_buf b = HXE_BUF_INIT;
            assert_int_equal(hxe_hl7_write(t.m, &b), 0);
            assert_int_equal(b.len, t.m->raw_len);
            assert_int_equal(hxe_hl7_to_json(t.m, 0, &b), 0);
            hxe_buf_free(&b);
        }
        hxe_arena_reset(&t.arena);
    }
    tu_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_segments_and_msh_facts),
        cmocka_unit_test(same_tree_for_every_terminator),
        cmocka_unit_test(any_choice_of_delimiters),
        cmocka_unit_test(short_msh2_has_no_later_separators),
        cmocka_unit_test(refuses_unreadable_input),
        cmocka_unit_test(reports_malformed_segments_but_keeps_them),
        cmocka_unit_test(doubled_encoding_character_is_read_and_rejected),
        cmocka_unit_test(a_second_msh_is_reported),
        cmocka_unit_test(control_characters_are_errors),
        cmocka_unit_test(character_sets),
        cmocka_unit_test(limits_hold),
        cmocka_unit_test(binary_junk_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
