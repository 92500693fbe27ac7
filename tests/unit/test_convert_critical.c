/*
 * test_convert_critical.c — critical results: the limits table (text
 * form, errors by line, replacement), the scan of a message's OBX (OBX-8
 * critical flags, limits per LOINC code with units and SN comparators,
 * withdrawn results skipped, patient and visit by identifier), and the
 * event text and JSON, which name places and identifiers but never a
 * name or a value from the message.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"

#include <string.h>

static const char limits_text[] =
    "# critical limits, per LOINC code\n"
    "2823-3  2.8  6.2  mmol/L   # potassium\n"
    "\n"
    "2345-7  40   -             # glucose: low only\n"
    "2160-0  -    10\r\n";

#define MSG                                                                                       \
    "MSH|^~\\&|LIS|LAB^1.2.9^ISO|EHR|HOSP|20240213154601+0000||ORU^R01^ORU_R01|CRIT-9|P|2.5.1\r"   \
    "PID|1||MRN77^^^MERCY&1.2.3&ISO^MR||Secretname^Jane||19800102|F\r"                            \
    "PV1|1|I|||||||||||||||||V55^^^MERCY&1.2.4&ISO^VN\r"                                          \
    "OBR|1|PL1^EHR^1.2.7^ISO||24323-8^CMP^LN\r"                                                   \
    "OBX|1|NM|2823-3^Potassium^LN||7.93|mmol/L^^UCUM|3.5-5.1|HH|||F\r"                            \
    "OBX|2|NM|2345-7^Glucose^LN||31.7|mg/dL^^UCUM|70-99|L|||F\r"                                  \
    "OBX|3|NM|2951-2^Sodium^LN||140|mmol/L^^UCUM|136-145|N|||F\r"                                 \
    "OBX|4|SN|2160-0^Creatinine^LN||>^12.6|mg/dL^^UCUM||H|||F\r"                                  \
    "OBX|5|ST|600-7^Culture^LN||Growth|||AA|||F\r"                                                \
    "OBX|6|NM|2823-3^Potassium^LN||8.1|mmol/L^^UCUM||HH|||W\r"                                    \
    "OBX|7|NM|2823-3^Potassium^LN||2.1|mEq/L|||||F\r"                                             \
    "OBX|8|NM|1234-5^Local K^L^2823-3^Potassium^LN||2.0|mmol/L||L~LL|||F\r"                       \
    "OBX|9|SN|2345-7^Glucose^LN||<^50|mg/dL|||||F\r"                                              \
    "OBX|10|SN|2345-7^Glucose^LN||<^40|mg/dL|||||F\r"                                             \
    "PID|2||MRN88||Other^Person\r"                                                                \
    "OBX|11|NM|2823-3^Potassium^LN||1.1|mmol/L|||||F\r"

static void test_limits(void **s)
{
    (void)s;
    hxe_conv_limits l = HXE_CONV_LIMITS_INIT;
    hxe_err err = {0, ""};
    assert_int_equal(hxe_conv_limits_parse(&l, limits_text, strlen(limits_text), &err), 0);
    assert_int_equal(l.n, 3);
    /* sorted by code */
    assert_string_equal(l.v[0].loinc, "2160-0");
    assert_false(l.v[0].has_low);
    assert_true(l.v[0].has_high);
    assert_string_equal(l.v[2].loinc, "2823-3");
    assert_string_equal(l.v[2].unit, "mmol/L");
    assert_true(l.v[2].low == 2.8 && l.v[2].high == 6.2);
    /* set replaces */
    double lo = 3.0;
    assert_int_equal(hxe_conv_limits_set(&l, "2823-3", &lo, NULL, NULL, &err), 0);
    assert_int_equal(l.n, 3);
    assert_true(l.v[2].has_low && !l.v[2].has_high && l.v[2].unit[0] == 0);
    /* errors name the line, never accept half a table's nonsense */
    static const struct {
        const char *text, *want;
    } bad[] = {
        {"2823-3 2.8 6.2\n2823-3 x 5\n", "limits line 2: a limit is not a number"},
        {"Potassium 1 2\n", "limits line 1: limits: not a LOINC code"},
        {"2823-3 5 1\n", "low must be a number not above high"},
        {"2823-3 - -\n", "neither a low nor a high limit"},
        {"2823-3 1\n", "want CODE LOW HIGH [UNIT]"},
        {"2823-3 1 2 mmol/L extra\n", "want CODE LOW HIGH [UNIT]"},
        {"2823-3 nan 2\n", "a limit is not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        hxe_conv_limits b = HXE_CONV_LIMITS_INIT;
        assert_int_equal(hxe_conv_limits_parse(&b, bad[i].text, strlen(bad[i].text), &err),
                         HXE_EPARSE);
        if (!strstr(err.msg, bad[i].want))
            print_message("%s: %s\n", bad[i].text, err.msg);
        assert_non_null(strstr(err.msg, bad[i].want));
        hxe_conv_limits_free(&b);
    }
    char longline[400];
    memset(longline, ' ', sizeof longline);
    assert_int_equal(hxe_conv_limits_parse(&l, longline, sizeof longline, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "longer than"));
    hxe_conv_limits_free(&l);
    hxe_conv_limits_free(&l);   /* twice is harmless */
}

static void scan(tu *t, hxe_conv_criticals *out, int with_limits)
{
    hxe_conv_limits l = HXE_CONV_LIMITS_INIT;
    hxe_err err = {0, ""};
    tu_init(t);
    assert_int_equal(tu_parse(t, MSG), 0);
    assert_int_equal(hxe_conv_limits_parse(&l, limits_text, strlen(limits_text), &err), 0);
    assert_int_equal(hxe_conv_critical_scan(t->m, with_limits ? &l : NULL, out, &err), 0);
    hxe_conv_limits_free(&l);
}

static void test_scan(void **s)
{
    (void)s;
    tu t;
    hxe_conv_criticals ev = HXE_CONV_CRITICALS_INIT;
    scan(&t, &ev, 1);
    /* OBX 1 HH, 2 below 40, 4 above 10 (">12.6"), 5 AA, 8 LL (its LOINC
     * coding second), 10 below 40 ("<40"), 11 the second patient's; not 3
     * (normal), 6 (withdrawn), 7 (other unit), 9 ("<50" is not known to
     * be below 40) */
    static const struct {
        unsigned obx;
        int reason;
        const char *flag, *loinc;
    } want[] = {
        {1, HXE_CONV_CRIT_FLAG, "HH", "2823-3"},   {2, HXE_CONV_CRIT_LIMIT_LOW, "", "2345-7"},
        {4, HXE_CONV_CRIT_LIMIT_HIGH, "", "2160-0"}, {5, HXE_CONV_CRIT_FLAG, "AA", "600-7"},
        {8, HXE_CONV_CRIT_FLAG, "LL", "2823-3"},   {10, HXE_CONV_CRIT_LIMIT_LOW, "", "2345-7"},
        {11, HXE_CONV_CRIT_LIMIT_LOW, "", "2823-3"},
    };
    assert_int_equal(ev.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < ev.n; i++) {
        const hxe_conv_critical *e = &ev.v[i];
        assert_int_equal(e->obx_seq, want[i].obx);
        assert_int_equal(e->reason, want[i].reason);
        assert_string_equal(e->flag, want[i].flag);
        assert_string_equal(e->loinc, want[i].loinc);
        assert_string_equal(e->msg_id, "CRIT-9");
        assert_int_equal(e->seg_pos, want[i].obx + (want[i].obx == 11 ? 5 : 4));
        char sid[8];
        snprintf(sid, sizeof sid, "%u", want[i].obx);
        assert_string_equal(e->set_id, sid);
        if (want[i].obx < 11) {
            assert_string_equal(e->patient, "Patient?identifier=urn:oid:1.2.3|MRN77");
            assert_string_equal(e->encounter, "Encounter?identifier=urn:oid:1.2.4|V55");
        } else {
            /* the second patient: no system, and no visit of its own */
            assert_string_equal(e->patient, "Patient?identifier=MRN88");
            assert_string_equal(e->encounter, "");
        }
    }
    hxe_conv_criticals_free(&ev);
    tu_done(&t);
    /* flags only */
    scan(&t, &ev, 0);
    assert_int_equal(ev.n, 3);
    assert_int_equal(ev.v[0].obx_seq, 1);
    assert_int_equal(ev.v[1].obx_seq, 5);
    assert_int_equal(ev.v[2].obx_seq, 8);
    hxe_conv_criticals_free(&ev);
    tu_done(&t);
    /* a message with no OBX: none */
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|1|P|2.5.1\rPID|1||X\r"), 0);
    assert_int_equal(hxe_conv_critical_scan(t.m, NULL, &ev, NULL), 0);
    assert_int_equal(ev.n, 0);
    hxe_conv_criticals_free(&ev);
    tu_done(&t);
}

static void test_text_without_phi(void **s)
{
    (void)s;
    tu t;
    hxe_conv_criticals ev = HXE_CONV_CRITICALS_INIT;
    scan(&t, &ev, 1);
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_conv_critical_text(&ev.v[0], &b), 0);
    assert_string_equal(b.p, "critical result: message CRIT-9, OBX[1] set 1, LOINC 2823-3, flag HH; "
                             "patient Patient?identifier=urn:oid:1.2.3|MRN77; "
                             "encounter Encounter?identifier=urn:oid:1.2.4|V55");
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_conv_critical_text(&ev.v[2], &b), 0);
    assert_non_null(strstr(b.p, "LOINC 2160-0, high limit passed"));
    /* no event text or JSON holds a name, a value or text of the message */
    static const char *const phi[] = {"Secretname", "Jane", "7.93", "31.7", "12.6", "Growth",
                                      "Potassium", "Culture", "1.1", "mmol", "19800102", "Other"};
    for (size_t i = 0; i < ev.n; i++) {
        hxe_buf_truncate(&b, 0);
        assert_int_equal(hxe_conv_critical_text(&ev.v[i], &b), 0);
        json_t *j = hxe_conv_critical_json(&ev.v[i]);
        assert_non_null(j);
        char *js = json_dumps(j, JSON_COMPACT);
        for (size_t k = 0; k < sizeof phi / sizeof phi[0]; k++) {
            if (strstr(b.p, phi[k]) || strstr(js, phi[k]))
                print_message("event %zu holds %s\n", i, phi[k]);
            assert_null(strstr(b.p, phi[k]));
            assert_null(strstr(js, phi[k]));
        }
        free(js);
        json_decref(j);
    }
    json_t *j = hxe_conv_critical_json(&ev.v[1]);
    assert_string_equal(json_string_value(json_object_get(j, "reason")), "limit-low");
    assert_string_equal(json_string_value(json_object_get(j, "loinc")), "2345-7");
    assert_int_equal(json_integer_value(json_object_get(j, "obx")), 2);
    assert_null(json_object_get(j, "flag"));
    json_decref(j);
    hxe_buf_free(&b);
    hxe_conv_criticals_free(&ev);
    tu_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_text_without_phi),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
