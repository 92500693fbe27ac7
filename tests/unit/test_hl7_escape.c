/*
 * test_hl7_escape.c — escape sequences decoded and encoded (chapter 2).
 */
#include "helpers/testutil.h"

#include <string.h>

static const char *decode(tu *t, const char *raw, size_t *warnings)
{
    static char out[1024];
    hxe_buf b = HXE_BUF_INIT;
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(hxe_hl7_unescape(t->m, hxe_slice_cstr(raw), &b, &is), 0);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    if (warnings)
        *warnings = is.n;
    hxe_buf_free(&b);
    hxe_issues_free(&is);
    return out;
}

static void decodes_every_sequence(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&#|A|B|C|D|2024||ADT^A01|1|P|2.7\r"), 0);
    size_t w = 0;
    assert_string_equal(decode(&t, "a\\F\\b\\S\\c\\T\\d\\R\\e\\E\\f\\P\\g", &w), "a|b^c&d~e\\f#g");
    assert_int_equal(w, 0);
    assert_string_equal(decode(&t, "\\X41424344\\", &w), "ABCD");
    assert_string_equal(decode(&t, "x\\X0D0A\\y", &w), "x\r\ny");
    assert_string_equal(decode(&t, "one\\.br\\two", &w), "one\ntwo");
    assert_string_equal(decode(&t, "a\\.sp3\\b", &w), "a\n\n\nb");
    assert_string_equal(decode(&t, "\\H\\bold\\N\\ plain", &w), "bold plain");
    assert_string_equal(decode(&t, "\\.in+4\\x\\.ti-2\\y\\.fi\\\\.nf\\\\.ce\\\\.sk2\\", &w), "xy");
    assert_int_equal(w, 0);
    assert_string_equal(decode(&t, "\\Zlocal\\", &w), "\\Zlocal\\");
    assert_int_equal(w, 0);
    /* broken ones: kept as written, with a warning */
    assert_string_equal(decode(&t, "tail \\F", &w), "tail \\F");
    assert_int_equal(w, 1);
    assert_string_equal(decode(&t, "\\Q\\", &w), "\\Q\\");
    assert_int_equal(w, 1);
    assert_string_equal(decode(&t, "\\XZZ\\", &w), "\\XZZ\\");
    assert_int_equal(w, 1);
    assert_string_equal(decode(&t, "\\", &w), "\\");
    assert_int_equal(w, 1);
    tu_done(&t);
}

static void hex_bytes_follow_the_character_set(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||8859/1\r"), 0);
    assert_string_equal(decode(&t, "Caf\\XE9\\", NULL), "Caf\xc3\xa9");
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1||||||UNICODE UTF-8\r"), 0);
    assert_string_equal(decode(&t, "Caf\\XC3A9\\", NULL), "Caf\xc3\xa9");
    tu_done(&t);
}

static void encodes_for_the_message_delimiters(void **state)
{
    (void)state;
    hxe_hl7_enc std = {'|', '^', '~', '\\', '&', 0};
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_escape(&std, "a|b^c~d\\e&f\ng\r\nh\ri", 19, &b), 0);
    assert_string_equal(b.p, "a\\F\\b\\S\\c\\R\\d\\E\\e\\T\\f\\.br\\g\\.br\\h\\X0D\\i");
    hxe_buf_truncate(&b, 0);
    hxe_hl7_enc odd = {'#', '$', '%', '@', '!', '?'};
    assert_int_equal(hxe_hl7_escape(&odd, "#$%@!?|^", 8, &b), 0);
    assert_string_equal(b.p, "@F@@S@@R@@E@@T@@P@|^");
    /* no escape character: separators cannot be encoded */
    hxe_hl7_enc none = {'|', '^', 0, 0, 0, 0};
    hxe_buf_truncate(&b, 0);
    assert_int_equal(hxe_hl7_escape(&none, "a^b", 3, &b), HXE_EINVAL);
    hxe_buf_free(&b);

    /* round trip through a message */
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rNTE|1\r"), 0);
    const char *text = "x|y^z~w\\v&u\nline two";
    hxe_hl7_path p;
    hxe_hl7_path_parse(&p, "NTE-3", 5, NULL);
    assert_int_equal(hxe_hl7_set(t.m, &p, text, strlen(text), HXE_HL7_SET_TEXT, NULL), 0);
    assert_string_equal(tu_get(t.m, "NTE-3"), text);
    assert_int_equal(hxe_hl7_count(t.m, &p), 1);
    tu_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_every_sequence),
        cmocka_unit_test(hex_bytes_follow_the_character_set),
        cmocka_unit_test(encodes_for_the_message_delimiters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
