/*
 * test_hl7_ack.c — acknowledgments: original and enhanced mode, the MSH
 * of the ACK, MSA, one ERR per issue, and an AR for unreadable input.
 */
#include "helpers/testutil.h"

#include <string.h>

#define MSG(msh15_16) "MSH|^~\\&|SAPP|SFAC|RAPP|RFAC|20240101||ADT^A01^ADT_A01|CTL42|T|2.5.1" msh15_16 "\rPID|1\r"

static hxe_issue *add(hxe_issues *is, int sev, int code, const char *seg, unsigned field)
{
    hxe_loc l = hxe_loc_none();
    snprintf(l.seg, sizeof l.seg, "%s", seg);
    l.seg_seq = 1;
    l.seg_pos = strcmp(seg, "MSH") == 0 ? 1 : 2;
    l.field = (uint16_t)field;
    return hxe_issues_add(is, sev, code, &l, "%s-%u: test issue", seg, field);
}

static const char *ack(tu *t, const hxe_issues *is, int kind, hxe_buf *b)
{
    hxe_hl7_ack_opts o = {kind, "ACK1", "20240102030405", NULL, 0};
    hxe_buf_truncate(b, 0);
    int rc = hxe_hl7_ack(t->m, t->m ? t->m->raw : NULL, t->m ? t->m->raw_len : 0, is, &o, b);
    if (rc == 1)
        return NULL;
    assert_int_equal(rc, 0);
    return b->p;
}

static void original_mode(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    hxe_buf b = HXE_BUF_INIT;
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(tu_parse(&t, MSG("")), 0);
    assert_string_equal(ack(&t, &is, HXE_HL7_ACK_APPLICATION, &b),
                        "MSH|^~\\&|RAPP|RFAC|SAPP|SFAC|20240102030405||ACK^A01^ACK|ACK1|T|2.5.1\r"
                        "MSA|AA|CTL42\r");
    add(&is, HXE_SEV_WARNING, 102, "PID", 7);
    assert_string_equal(hxe_hl7_ack_code(t.m, &is, 0), "AA");
    add(&is, HXE_SEV_ERROR, 101, "PID", 3);
    assert_string_equal(hxe_hl7_ack_code(t.m, &is, 0), "AE");
    const char *a = ack(&t, &is, HXE_HL7_ACK_APPLICATION, &b);
    assert_non_null(strstr(a, "\rMSA|AE|CTL42\r"));
    assert_non_null(strstr(a, "\rERR||PID^1^7^1|102^Data type error^HL70357|W||||PID-7: test issue\r"));
    assert_non_null(strstr(a, "\rERR||PID^1^3^1|101^Required field missing^HL70357|E||||PID-3: test issue\r"));
    /* an MSH problem, an unsupported version or a reject flag: AR */
    add(&is, HXE_SEV_ERROR, 203, "MSH", 12);
    assert_string_equal(hxe_hl7_ack_code(t.m, &is, 0), "AR");
    hxe_issues_clear(&is);
    hxe_issue *it = add(&is, HXE_SEV_ERROR, 100, "PID", 0);
    it->reject = 1;
    assert_string_equal(hxe_hl7_ack_code(t.m, &is, 0), "AR");
    hxe_issues_free(&is);
    hxe_buf_free(&b);
    tu_done(&t);
}

static void enhanced_mode(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    hxe_buf b = HXE_BUF_INIT;
    hxe_issues ok = HXE_ISSUES_INIT, err = HXE_ISSUES_INIT, rej = HXE_ISSUES_INIT;
    add(&err, HXE_SEV_ERROR, 101, "PID", 3);
    add(&rej, HXE_SEV_ERROR, 200, "MSH", 9);
    assert_int_equal(tu_parse(&t, MSG("|||AL|AL")), 0);
    assert_string_equal(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_ACCEPT), "CA");
    assert_string_equal(hxe_hl7_ack_code(t.m, &err, HXE_HL7_ACK_ACCEPT), "CA");
    assert_string_equal(hxe_hl7_ack_code(t.m, &rej, HXE_HL7_ACK_ACCEPT), "CR");
    assert_string_equal(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_APPLICATION), "AA");
    assert_string_equal(hxe_hl7_ack_code(t.m, &err, HXE_HL7_ACK_APPLICATION), "AE");
    assert_string_equal(hxe_hl7_ack_code(t.m, &rej, HXE_HL7_ACK_APPLICATION), "AR");
    assert_non_null(strstr(ack(&t, &ok, HXE_HL7_ACK_ACCEPT, &b), "\rMSA|CA|CTL42\r"));

    assert_int_equal(tu_parse(&t, MSG("|||NE|ER")), 0);
    assert_null(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_ACCEPT));
    assert_null(ack(&t, &ok, HXE_HL7_ACK_ACCEPT, &b));
    assert_null(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_APPLICATION));
    assert_string_equal(hxe_hl7_ack_code(t.m, &err, HXE_HL7_ACK_APPLICATION), "AE");

    assert_int_equal(tu_parse(&t, MSG("|||SU|SU")), 0);
    assert_string_equal(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_ACCEPT), "CA");
    assert_null(hxe_hl7_ack_code(t.m, &rej, HXE_HL7_ACK_ACCEPT));
    assert_null(hxe_hl7_ack_code(t.m, &err, HXE_HL7_ACK_APPLICATION));

    /* enhanced mode with only MSH-16 given: MSH-15 empty means always */
    assert_int_equal(tu_parse(&t, MSG("||||NE")), 0);
    assert_string_equal(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_ACCEPT), "CA");
    assert_null(hxe_hl7_ack_code(t.m, &ok, HXE_HL7_ACK_APPLICATION));
    hxe_issues_free(&ok);
    hxe_issues_free(&err);
    hxe_issues_free(&rej);
    hxe_buf_free(&b);
    tu_done(&t);
}

static void keeps_delimiters_version_charset(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    hxe_buf b = HXE_BUF_INIT;
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(tu_parse(&t, "MSH#$%@!#S#SF#R#RF#2024##ORU$R01#77#D#2.4######8859/1\r"), 0);
    hxe_loc l = hxe_loc_none();
    hxe_issues_add(&is, HXE_SEV_ERROR, 101, &l, "text with # and $ in it");
    const char *a = ack(&t, &is, 0, &b);
    assert_string_equal(a, "MSH#$%@!#R#RF#S#SF#20240102030405##ACK$R01$ACK#ACK1#D#2.4######8859/1\r"
                           "MSA#AE#77\r"
                           "ERR#$$$101!Required field missing!HL70357\r");
    /* from 2.5 on: ERR-2 location, ERR-3 code, ERR-4 severity, ERR-8 text */
    assert_int_equal(tu_parse(&t, "MSH#$%@!#S#SF#R#RF#2024##ORU$R01#77#D#2.5.1\r"), 0);
    a = ack(&t, &is, 0, &b);
    assert_non_null(strstr(a, "\rERR###101$Required field missing$HL70357#E####text with @F@ and @S@ in it\r"));
    /* before 2.5, ERR-1 carries the location and the code */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|S||R||2024||ADT^A01|9|P|2.3\r"), 0);
    hxe_issues_clear(&is);
    add(&is, HXE_SEV_ERROR, 103, "PID", 8);
    a = ack(&t, &is, 0, &b);
    assert_string_equal(a, "MSH|^~\\&|R||S||20240102030405||ACK^A01|ACK1|P|2.3\r"
                           "MSA|AE|9\r"
                           "ERR|PID^1^8^103&Table value not found&HL70357\r");
    hxe_issues_free(&is);
    hxe_buf_free(&b);
    tu_done(&t);
}

static void unreadable_input_gets_an_ar(void **state)
{
    (void)state;
    struct {
        const char *in;
        const char *want_msa;
        const char *want_msh;
    } cases[] = {
        {"MSH|^~A&|SA|SF|RA|RF|2024||ADT^A01|C9|P|2.5\rPID|1\r", "\rMSA|AR|C9\r", "MSH|^~\\&|RA|RF|SA|SF|"},
        {"garbage", "\rMSA|AR|\r", "MSH|^~\\&|||||"},
        {"", "\rMSA|AR|\r", "MSH|^~\\&|||||"},
        {"\x0bMSH|\x01\x02|A\rPID", "\rMSA|AR|\r", "MSH|^~\\&|||A||"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        tu t;
        tu_init(&t);
        assert_true(tu_parse(&t, cases[i].in) < 0);
        hxe_buf b = HXE_BUF_INIT;
        hxe_hl7_ack_opts o = {0, "A1", "2024", NULL, 0};
        assert_int_equal(hxe_hl7_ack(NULL, cases[i].in, strlen(cases[i].in), &t.issues, &o, &b), 0);
        if (!strstr(b.p, cases[i].want_msa) || strncmp(b.p, cases[i].want_msh, strlen(cases[i].want_msh)))
            fail_msg("case %zu: %s", i, b.p);
        /* one ERR with the reason, severity F */
        assert_non_null(strstr(b.p, "|F||||"));
        /* the ACK itself is a readable message */
        tu t2;
        tu_init(&t2);
        assert_int_equal(tu_parse_n(&t2, b.p, b.len), 0);
        assert_string_equal(tu_raw(t2.m, "MSA-1"), "AR");
        tu_done(&t2);
        hxe_buf_free(&b);
        tu_done(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(original_mode),
        cmocka_unit_test(enhanced_mode),
        cmocka_unit_test(keeps_delimiters_version_charset),
        cmocka_unit_test(unreadable_input_gets_an_ar),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
