/*
 * test_hl7_path.c — paths, read access, counting, and edits (set, insert,
 * delete) at every level, with the message written back.
 */
#include "helpers/testutil.h"

#include <string.h>

#define ORU "MSH|^~\\&|LAB|FAC|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|C1|P|2.5.1\r" \
            "PID|1||111^^^H^MR~222^^^S^SS&X&ISO||DOE^JANE^Q~ROE^JAY||19800101|F\r"      \
            "OBR|1|||GLU^Glucose^LN\r"                                                  \
            "OBX|1|NM|GLU^Glucose^LN||5.5|mmol/L\r"                                     \
            "OBX|2|ST|NOTE^Note^L||first line\\.br\\second \\T\\ \\F\\ done\r"          \
            "OBX|3|NM|K^Potassium^LN||4.1|mmol/L\r"

static void path_syntax(void **state)
{
    (void)state;
    hxe_hl7_path p;
    hxe_err err = {0};
    assert_int_equal(hxe_hl7_path_parse(&p, "PID-3[2].4.2", 12, &err), 0);
    assert_string_equal(p.seg, "PID");
    assert_int_equal(p.field, 3);
    assert_int_equal(p.rep, 2);
    assert_int_equal(p.comp, 4);
    assert_int_equal(p.sub, 2);
    assert_int_equal(hxe_hl7_path_parse(&p, "OBX[3]-5", 8, &err), 0);
    assert_int_equal(p.seg_seq, 3);
    assert_int_equal(p.field, 5);
    assert_int_equal(hxe_hl7_path_parse(&p, "PID.5.1", 7, &err), 0);
    assert_int_equal(p.field, 5);
    assert_int_equal(p.comp, 1);
    assert_int_equal(hxe_hl7_path_parse(&p, "PID-3(2)", 8, &err), 0);
    assert_int_equal(p.rep, 2);
    assert_int_equal(hxe_hl7_path_parse(&p, "ZX1", 3, &err), 0);
    assert_int_equal(p.field, 0);
    char buf[64];
    hxe_hl7_path_parse(&p, "OBX[2]-5[3].1.2", 15, NULL);
    hxe_hl7_path_format(&p, buf, sizeof buf);
    assert_string_equal(buf, "OBX[2]-5[3].1.2");
    const char *bad[] = {"", "P", "pid-5", "PID-", "PID-0", "PID-5.", "PID-5.0", "PID[0]-1",
                         "PID-5[x]", "PID-5x", "PID-70000", "PID-5.1.2.3", "1ID-3"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hxe_hl7_path_parse(&p, bad[i], strlen(bad[i]), &err) != HXE_EINVAL)
            fail_msg("path '%s' was accepted", bad[i]);
}

static void reads_every_level(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    assert_string_equal(tu_raw(t.m, "PID-3"), "111^^^H^MR~222^^^S^SS&X&ISO");
    assert_string_equal(tu_raw(t.m, "PID-3.1"), "111");
    assert_string_equal(tu_raw(t.m, "PID-3[2].1"), "222");
    assert_string_equal(tu_raw(t.m, "PID-3[2].5"), "SS&X&ISO");
    assert_string_equal(tu_raw(t.m, "PID-3[2].5.2"), "X");
    assert_string_equal(tu_raw(t.m, "PID-3[2].5.4"), "");
    assert_string_equal(tu_raw(t.m, "PID-3[3]"), "");
    assert_string_equal(tu_raw(t.m, "PID-5[2].2"), "JAY");
    assert_string_equal(tu_raw(t.m, "PID-99"), "");
    assert_string_equal(tu_raw(t.m, "OBX-5"), "5.5");
    assert_string_equal(tu_raw(t.m, "OBX[3]-5"), "4.1");
    assert_string_equal(tu_raw(t.m, "OBX[3]-3.2"), "Potassium");
    assert_string_equal(tu_raw(t.m, "OBX[4]-5"), "<none>");
    assert_string_equal(tu_raw(t.m, "NTE-1"), "<none>");
    assert_string_equal(tu_raw(t.m, "MSH-9"), "ORU^R01^ORU_R01");
    assert_string_equal(tu_raw(t.m, "MSH-10"), "C1");
    assert_string_equal(tu_get(t.m, "OBX[2]-5"), "first line\nsecond & | done");
    assert_int_equal(hxe_hl7_find(t.m, "OBX", 2), 4);
    assert_int_equal(hxe_hl7_find(t.m, "OBX", 4), -1);
    hxe_slice f = hxe_hl7_field(t.m, 3, 5);
    assert_int_equal(f.n, 3);
    assert_memory_equal(f.p, "5.5", 3);
    /* zero-copy: raw values point into the input */
    assert_true(f.p >= t.m->raw && f.p < t.m->raw + t.m->raw_len);
    tu_done(&t);
}

static size_t count(const hxe_hl7_msg *m, const char *path)
{
    hxe_hl7_path p;
    hxe_hl7_path_parse(&p, path, strlen(path), NULL);
    return hxe_hl7_count(m, &p);
}

static void counts(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    assert_int_equal(count(t.m, "OBX"), 3);
    assert_int_equal(count(t.m, "NTE"), 0);
    assert_int_equal(count(t.m, "PID-3"), 2);
    assert_int_equal(count(t.m, "PID-3[2]"), 5);
    assert_int_equal(count(t.m, "PID-3[2].5"), 3);
    assert_int_equal(count(t.m, "PID-2"), 0);
    assert_int_equal(count(t.m, "PID-8"), 1);
    assert_int_equal(hxe_hl7_field_count(t.m, 0), 12);
    assert_int_equal(hxe_hl7_field_count(t.m, 1), 8);
    tu_done(&t);
}

static void edit(hxe_hl7_msg *m, char op, const char *path, const char *val, unsigned flags,
                 int want)
{
    hxe_hl7_path p;
    hxe_err err = {0};
    assert_int_equal(hxe_hl7_path_parse(&p, path, strlen(path), NULL), 0);
    int rc = op == 's'   ? hxe_hl7_set(m, &p, val, strlen(val), flags, &err)
             : op == 'i' ? hxe_hl7_insert(m, &p, val, strlen(val), flags, &err)
                         : hxe_hl7_delete(m, &p, &err);
    if (rc != want)
        fail_msg("%c %s: got %d (%s), want %d", op, path, rc, err.msg, want);
}

static const char *seg_text(const hxe_hl7_msg *m, size_t i)
{
    static char b[1024];
    snprintf(b, sizeof b, "%.*s", (int)m->segs[i].n, m->segs[i].p);
    return b;
}

static void sets_and_creates_structure(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    edit(t.m, 's', "PID-8", "M", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-8"), "M");
    edit(t.m, 's', "PID-5[2].3", "K", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-5"), "DOE^JANE^Q~ROE^JAY^K");
    edit(t.m, 's', "PID-13[2].4.2", "x", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-13"), "~^^^&x");
    edit(t.m, 's', "PID-3[1].1", "9|9^9", HXE_HL7_SET_TEXT, 0);
    assert_string_equal(tu_raw(t.m, "PID-3.1"), "9\\F\\9\\S\\9");
    assert_string_equal(tu_get(t.m, "PID-3.1"), "9|9^9");
    edit(t.m, 's', "PID-3[1].1", "A^B", HXE_HL7_SET_RAW, 0);
    assert_string_equal(tu_raw(t.m, "PID-3[1].2"), "B");
    edit(t.m, 's', "OBX[2]-5", "line1\nline2\r\nend", 0, 0);
    assert_string_equal(tu_raw(t.m, "OBX[2]-5"), "line1\\.br\\line2\\.br\\end");
    edit(t.m, 's', "MSH-3", "NEWAPP", 0, 0);
    assert_string_equal(tu_raw(t.m, "MSH-3"), "NEWAPP");
    assert_string_equal(tu_raw(t.m, "MSH-2"), "^~\\&");
    edit(t.m, 's', "MSH-1", "#", 0, HXE_EINVAL);
    edit(t.m, 's', "MSH-2", "^~", 0, HXE_EINVAL);
    edit(t.m, 's', "NTE-1", "x", 0, HXE_ENOTFOUND);
    edit(t.m, 's', "PID-3", "a\rb", HXE_HL7_SET_RAW, HXE_EINVAL);
    /* untouched segments still point into the input */
    assert_true(t.m->segs[3].p >= t.m->raw && t.m->segs[3].p < t.m->raw + t.m->raw_len);
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_write(t.m, &b), 0);
    assert_non_null(strstr(b.p, "\rPID|1||A^B^^^H^MR~222^^^S^SS&X&ISO||DOE^JANE^Q~ROE^JAY^K||19800101|M|||||~^^^&x\r"));
    /* the written message parses to the same values */
    tu t2;
    tu_init(&t2);
    assert_int_equal(tu_parse_n(&t2, b.p, b.len), 0);
    assert_string_equal(tu_get(t2.m, "OBX[2]-5"), "line1\nline2\nend");
    assert_string_equal(tu_raw(t2.m, "MSH-3"), "NEWAPP");
    hxe_buf_free(&b);
    tu_done(&t2);
    tu_done(&t);
}

static void inserts_and_deletes(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    edit(t.m, 'i', "PID-3[1]", "000^^^N^MR", HXE_HL7_SET_RAW, 0);
    assert_string_equal(tu_raw(t.m, "PID-3"), "000^^^N^MR~111^^^H^MR~222^^^S^SS&X&ISO");
    edit(t.m, 'd', "PID-3[2]", NULL, 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-3"), "000^^^N^MR~222^^^S^SS&X&ISO");
    edit(t.m, 'd', "PID-3[2]", NULL, 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-3"), "000^^^N^MR");
    edit(t.m, 'i', "PID-5.2", "MID", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-5"), "DOE^MID^JANE^Q~ROE^JAY");
    edit(t.m, 'd', "PID-5.1", NULL, 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-5"), "MID^JANE^Q~ROE^JAY");
    edit(t.m, 'd', "PID-3[2].5.2", NULL, 0, 0); /* absent: no change */
    assert_string_equal(tu_raw(t.m, "PID-3"), "000^^^N^MR");
    edit(t.m, 'i', "PID-2", "NEW", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-2"), "NEW");
    assert_string_equal(tu_raw(t.m, "PID-4"), "000^^^N^MR");
    edit(t.m, 'd', "PID-2", NULL, 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-3"), "000^^^N^MR");
    /* segments */
    edit(t.m, 'i', "OBX[2]", "NTE|1||inserted", 0, 0);
    assert_string_equal(t.m->segs[4].id, "NTE");
    assert_string_equal(seg_text(t.m, 4), "NTE|1||inserted");
    assert_int_equal(hxe_hl7_find(t.m, "OBX", 2), 5);
    edit(t.m, 'i', "ZZZ", "ZZZ|end", 0, 0); /* absent: appended */
    assert_string_equal(t.m->segs[t.m->nseg - 1].id, "ZZZ");
    edit(t.m, 'd', "OBX[1]", NULL, 0, 0);
    assert_string_equal(tu_raw(t.m, "OBX-1"), "2");
    edit(t.m, 'd', "MSH", NULL, 0, HXE_EINVAL);
    edit(t.m, 'i', "PV1", "bad segment", 0, HXE_EINVAL);
    edit(t.m, 'i', "PV1", "MSH|^~\\&", 0, HXE_EINVAL);
    edit(t.m, 's', "NTE", "NTE|2||replaced", 0, 0);
    assert_string_equal(tu_raw(t.m, "NTE-3"), "replaced");
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_write(t.m, &b), 0);
    assert_string_equal(
        b.p, "MSH|^~\\&|LAB|FAC|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|C1|P|2.5.1\r"
             "PID|1||000^^^N^MR||MID^JANE^Q~ROE^JAY||19800101|F\r"
             "OBR|1|||GLU^Glucose^LN\r"
             "NTE|2||replaced\r"
             "OBX|2|ST|NOTE^Note^L||first line\\.br\\second \\T\\ \\F\\ done\r"
             "OBX|3|NM|K^Potassium^LN||4.1|mmol/L\r"
             "ZZZ|end\r");
    hxe_buf_free(&b);
    tu_done(&t);
}

static void latin1_message_gets_latin1_bytes(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||8859/1\rPID|1\r"), 0);
    edit(t.m, 's', "PID-5.1", "M\xc3\xbcller", 0, 0);
    assert_string_equal(tu_raw(t.m, "PID-5.1"), "M\xfcller");
    assert_string_equal(tu_get(t.m, "PID-5.1"), "M\xc3\xbcller");
    /* a character 8859/1 cannot hold is refused */
    edit(t.m, 's', "PID-5.2", "\xe2\x82\xac", 0, HXE_ECHARSET);
    /* and under ASCII, anything beyond it */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||ASCII\rPID|1\r"), 0);
    edit(t.m, 's', "PID-5.1", "caf\xc3\xa9", 0, HXE_ECHARSET);
    edit(t.m, 's', "PID-5.1", "cafe", 0, 0);
    tu_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(path_syntax),
        cmocka_unit_test(reads_every_level),
        cmocka_unit_test(counts),
        cmocka_unit_test(sets_and_creates_structure),
        cmocka_unit_test(inserts_and_deletes),
        cmocka_unit_test(latin1_message_gets_latin1_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
