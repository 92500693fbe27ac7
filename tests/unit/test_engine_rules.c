/*
 * test_engine_rules.c — declarative rules: conditions evaluated on real
 * messages (a lab result, the bundled ADT, the shared corpus), the
 * operators one by one, parse errors with their columns and the limits,
 * and transformer actions (set, copy, delete, when) with the message
 * written back.
 */
#include "helpers/testutil.h"

#include "engine/engine.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ORU "MSH|^~\\&|LAB|FAC|EHR|HOSP|20240101120000||ORU^R01^ORU_R01|C1|P|2.5.1\r" \
            "PID|1||111^^^H^MR~222^^^S^SS||DOE^JANE^Q||19800101|F\r"                   \
            "OBR|1|||GLU^Glucose^LN\r"                                                  \
            "OBX|1|NM|GLU^Glucose^LN||5.5|mmol/L\r"                                     \
            "OBX|2|ST|NOTE^Note^L||a \\T\\ b|\r"                                        \
            "OBX|3|NM|K^Potassium^LN||4.1|mmol/L\r"                                     \
            "NTE|1||first note\r"                                                       \
            "NTE|2||second note\r"

/* Compiles and evaluates; fails the test on a compile error. */
static int holds(const hxe_hl7_msg *m, const char *text)
{
    hxe_rule *r = NULL;
    hxe_err err = {0};
    if (hxe_rule_compile(&r, text, strlen(text), NULL, &err))
        fail_msg("rule '%s' did not compile: %s", text, err.msg);
    int out = -1;
    assert_int_equal(hxe_rule_eval(r, m, &out, &err), 0);
    hxe_rule_free(r);
    return out;
}

/* The compile error of a rule that must not compile. */
static const char *compile_error(const char *text)
{
    static hxe_err err;
    memset(&err, 0, sizeof err);
    hxe_rule *r = NULL;
    if (hxe_rule_compile(&r, text, strlen(text), NULL, &err) == 0) {
        hxe_rule_free(r);
        fail_msg("rule '%s' compiled", text);
    }
    return err.msg;
}

static void conditions_on_a_lab_result(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    assert_true(holds(t.m, "MSH-9.1 == \"ORU\""));
    assert_false(holds(t.m, "MSH-9.1 == \"ADT\""));
    assert_true(holds(t.m, "MSH-9.1 != \"ADT\""));
    assert_true(holds(t.m, "MSH-9.2 in [\"R01\", \"R30\"]"));
    assert_false(holds(t.m, "MSH-9.2 in [\"A01\",\"A04\"]"));
    assert_true(holds(t.m, "exists PID-3"));
    assert_false(holds(t.m, "exists PID-4"));
    assert_true(holds(t.m, "exists OBX[3]"));
    assert_false(holds(t.m, "exists OBX[4]"));
    assert_false(holds(t.m, "exists PV1"));
    assert_true(holds(t.m, "PID-3.1 matches \"^[0-9]+$\""));
    assert_false(holds(t.m, "PID-5.1 matches \"^[0-9]+$\""));
    assert_true(holds(t.m, "PID-3[2].5 == \"SS\""));
    /* decoded text: \T\ is & */
    assert_true(holds(t.m, "OBX[2]-5 == \"a & b\""));
    /* numbers compare as numbers, text does not compare */
    assert_true(holds(t.m, "OBX-5 > \"5\""));
    assert_true(holds(t.m, "OBX-5 < \"10\""));    /* as text "5.5" > "10" */
    assert_true(holds(t.m, "OBX[3]-5 <= \"4.1\""));
    assert_true(holds(t.m, "OBX[3]-5 >= \"4.10\""));
    assert_false(holds(t.m, "PID-5.1 > \"1\""));
    /* a path on the right */
    assert_true(holds(t.m, "OBX-6 == OBX[3]-6"));
    assert_false(holds(t.m, "OBX-5 == OBX[3]-5"));
    /* absent is empty */
    assert_true(holds(t.m, "PV1-2 == \"\""));
    assert_true(holds(t.m, "PID-99 == \"\""));
    /* logic and precedence: and binds tighter than or */
    assert_true(holds(t.m, "MSH-9.1 == \"ADT\" or MSH-9.1 == \"ORU\" and exists PID-3"));
    assert_false(holds(t.m, "(MSH-9.1 == \"ADT\" or MSH-9.1 == \"ORU\") and exists PID-4"));
    assert_true(holds(t.m, "not exists PV1 and not (MSH-9.1 == \"ADT\")"));
    assert_true(holds(t.m, "not not exists PID"));
    assert_true(holds(t.m, "  MSH-10==\"C1\"  "));
    tu_done(&t);
}

static void conditions_on_the_bundled_adt(void **state)
{
    (void)state;
    const char *src = getenv("HXE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/adt_a01.hl7", src ? src : ".");
    size_t n;
    char *text = tu_read(path, &n);
    assert_non_null(text);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, text, n), 0);
    assert_true(holds(t.m, "MSH-9.1 == \"ADT\" and MSH-9.2 in [\"A01\", \"A04\"]"));
    assert_true(holds(t.m, "PV1-2 == \"I\""));
    assert_true(holds(t.m, "PID-8 in [\"F\", \"M\", \"U\"]"));
    assert_true(holds(t.m, "PID-7 matches \"^[0-9]{8}$\""));
    assert_false(holds(t.m, "exists OBX"));
    tu_done(&t);
    hxe_free(text);
}

/* Over the shared corpus: files named for their type must satisfy the
 * type rule, and no evaluation may fail. */
static void conditions_on_the_corpus(void **state)
{
    (void)state;
    const char *dir = tu_shared("hl7v2");
    if (!dir) {
        print_message("shared corpus absent: skipped\n");
        skip();
    }
    char folder[4096];
    snprintf(folder, sizeof folder, "%s", dir);
    hxe_rule *oru, *adt;
    const char *r1 = "MSH-9.1 == \"ORU\" and MSH-9.2 == \"R01\"";
    const char *r2 = "MSH-9 matches \"^ADT\\\\^A01\"";
    assert_int_equal(hxe_rule_compile(&oru, r1, strlen(r1), NULL, NULL), 0);
    assert_int_equal(hxe_rule_compile(&adt, r2, strlen(r2), NULL, NULL), 0);
    DIR *d = opendir(folder);
    assert_non_null(d);
    struct dirent *e;
    size_t checked = 0;
    while ((e = readdir(d)) != NULL) {
        int want_oru = strstr(e->d_name, "_ORU_R01") != NULL;
        int want_adt = strstr(e->d_name, "_ADT_A01") != NULL;
        if (!want_oru && !want_adt)
            continue;
        char p[8192];
        snprintf(p, sizeof p, "%s/%s", folder, e->d_name);
        size_t n;
        char *text = tu_read(p, &n);
        if (!text)
            continue;
        tu t;
        tu_init(&t);
        if (tu_parse_n(&t, text, n) == 0) {
            int a = -1, b = -1;
            assert_int_equal(hxe_rule_eval(oru, t.m, &a, NULL), 0);
            assert_int_equal(hxe_rule_eval(adt, t.m, &b, NULL), 0);
            if (a != want_oru || b != want_adt)
                fail_msg("%s: ORU rule %d, ADT rule %d", e->d_name, a, b);
            checked++;
        }
        tu_done(&t);
        hxe_free(text);
    }
    closedir(d);
    hxe_rule_free(oru);
    hxe_rule_free(adt);
    assert_true(checked >= 10);
}

static void parse_errors(void **state)
{
    (void)state;
    assert_string_equal(compile_error("MSH-9.1 = \"ORU\""),
                        "col 9: expected ==, !=, <, <=, >, >=, in or matches after the path");
    assert_string_equal(compile_error("MSH-9.1 == ORU"),
                        "col 12: expected a \"string\" or a field path (quote literal values)");
    assert_string_equal(compile_error("MSH-9.1 == \"ORU"), "col 12: unterminated string");
    assert_string_equal(compile_error("(exists PID-3"), "col 14: expected ')'");
    assert_string_equal(compile_error("exists PID-3 and"), "col 17: the condition ends too early");
    assert_string_equal(compile_error("exists PID-3 PID-4"),
                        "col 14: expected 'and', 'or' or the end of the rule");
    assert_string_equal(compile_error("exists pid-3"), "col 8: expected an HL7 path such as PID-3.1");
    assert_string_equal(compile_error("exists PID-0"),
                        "col 8: not a valid HL7 path (write SEG-F[.C[.S]], SEG[n]-F, F[r])");
    assert_string_equal(compile_error("PID-3 matches \"([a-z\""),
                        "col 15: not a valid POSIX extended regular expression");
    assert_string_equal(compile_error("PID-3 matches \"(a)\\\\1\""),
                        "col 15: back-references are not supported in regular expressions");
    /* patterns whose compilation would take seconds or gigabytes (the
     * config fuzzer found `^...+++...+` running out of memory) */
    assert_string_equal(compile_error("PID-3 matches \"a+++++++++++\""),
                        "col 15: a repetition operator right after another one");
    assert_string_equal(compile_error("PID-3 matches \"(a{200}){200}\""),
                        "col 15: repetition bounds {m,n} may add up to 255 at most");
    char long_re[1200 + 32];
    memset(long_re, 'a', sizeof long_re);
    memcpy(long_re, "PID-3 matches \"", 15);
    memcpy(long_re + 15 + 1100, "\"", 2);
    assert_string_equal(compile_error(long_re), "col 15: a regular expression is limited to 1024 bytes");
    /* still fine: brackets, escapes and ordinary bounds */
    hxe_rule *ok = NULL;
    const char *fine = "PID-3 matches \"^[+*?]+\\\\+{2,9}a{1,3}$\"";
    assert_int_equal(hxe_rule_compile(&ok, fine, strlen(fine), NULL, NULL), 0);
    hxe_rule_free(ok);
    assert_string_equal(compile_error("PID-3 in []"), "col 11: expected a \"string\"");
    assert_string_equal(compile_error("PID-3 in [\"a\" \"b\"]"), "col 15: expected ',' or ']' in the list");
    assert_string_equal(compile_error("PID == \"x\""),
                        "col 1: compare a field path (SEG-F...), not a whole segment");
    assert_string_equal(compile_error(""), "col 1: the condition ends too early");
    assert_string_equal(compile_error("exists PID-3 && exists PID-4"),
                        "col 14: expected 'and', 'or' or the end of the rule");
    assert_non_null(strstr(compile_error("PID-3 == \"a\" when exists PID"), "'when' belongs after an action"));
}

static void limits(void **state)
{
    (void)state;
    char text[8192];
    /* depth */
    size_t k = 0;
    for (int i = 0; i < 40; i++)
        text[k++] = '(';
    k += (size_t)sprintf(text + k, "exists PID");
    for (int i = 0; i < 40; i++)
        text[k++] = ')';
    text[k] = '\0';
    hxe_rule *r = NULL;
    hxe_err err = {0};
    assert_int_equal(hxe_rule_compile(&r, text, k, NULL, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "nested too deeply"));
    hxe_rule_limits lim = {0, 100, 0, 0};
    assert_int_equal(hxe_rule_compile(&r, text, k, &lim, &err), 0);
    hxe_rule_free(r);
    /* not not not ... */
    k = 0;
    for (int i = 0; i < 50; i++)
        k += (size_t)sprintf(text + k, "not ");
    k += (size_t)sprintf(text + k, "exists PID");
    assert_int_equal(hxe_rule_compile(&r, text, k, NULL, &err), HXE_ETOOBIG);
    /* length */
    memset(text, ' ', 5000);
    memcpy(text + 4990, "exists PID", 10);
    assert_int_equal(hxe_rule_compile(&r, text, 5000, NULL, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "longer than 4096"));
    /* terms */
    k = 0;
    for (int i = 0; i < 200; i++)
        k += (size_t)sprintf(text + k, "%sexists PID", i ? " or " : "");
    assert_int_equal(hxe_rule_compile(&r, text, k, NULL, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "too many terms"));
    /* list */
    k = (size_t)sprintf(text, "PID-8 in [");
    for (int i = 0; i < 300; i++)
        k += (size_t)sprintf(text + k, "%s\"x\"", i ? "," : "");
    k += (size_t)sprintf(text + k, "]");
    assert_int_equal(hxe_rule_compile(&r, text, k, NULL, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "list too long"));
}

static hxe_xform *actions(const char *const *lines, size_t n)
{
    hxe_xform *x;
    assert_int_equal(hxe_xform_new(&x), 0);
    for (size_t i = 0; i < n; i++) {
        hxe_err err = {0};
        if (hxe_xform_add(x, lines[i], strlen(lines[i]), NULL, &err))
            fail_msg("action '%s': %s", lines[i], err.msg);
    }
    return x;
}

static void transformer_actions(void **state)
{
    (void)state;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ORU), 0);
    static const char *const lines[] = {
        "set PID-8 = \"U\" when PID-8 == \"\"",      /* not applied: PID-8 is F */
        "set PID-5.1 = \"O|Brien & Co\"",            /* text gets escaped */
        "set ZXT-1 = PID-3",                          /* copy keeps repetitions */
        "set OBX[2]-5 = \"\"",
        "delete NTE",
        "delete NTE",
        "delete NTE",                                 /* nothing left: no error */
        "delete PID-3[2]",
        "set MSH-8 = \"ROUTED\" when MSH-9.1 == \"ORU\" and exists OBX",
    };
    hxe_xform *x = actions(lines, sizeof lines / sizeof lines[0]);
    assert_int_equal(hxe_xform_count(x), 9);
    hxe_err err = {0};
    assert_int_equal(hxe_xform_apply(x, t.m, &err), 0);
    assert_string_equal(tu_get(t.m, "PID-8"), "F");
    assert_string_equal(tu_get(t.m, "PID-5.1"), "O|Brien & Co");
    assert_string_equal(tu_raw(t.m, "PID-5.1"), "O\\F\\Brien \\T\\ Co");
    assert_string_equal(tu_raw(t.m, "ZXT-1"), "111^^^H^MR~222^^^S^SS");
    assert_string_equal(tu_raw(t.m, "PID-3"), "111^^^H^MR");
    assert_string_equal(tu_raw(t.m, "OBX[2]-5"), "");
    assert_string_equal(tu_raw(t.m, "NTE-1"), "<none>");
    assert_string_equal(tu_raw(t.m, "MSH-8"), "ROUTED");
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_write(t.m, &out), 0);
    assert_null(strstr(out.p, "NTE|"));
    assert_non_null(strstr(out.p, "\rZXT|111^^^H^MR~222^^^S^SS\r"));
    hxe_buf_free(&out);
    hxe_xform_free(x);
    tu_done(&t);
}

static void action_errors(void **state)
{
    (void)state;
    hxe_xform *x;
    assert_int_equal(hxe_xform_new(&x), 0);
    static const struct {
        const char *text, *want;
    } cases[] = {
        {"put PID-8 = \"U\"", "col 1: an action starts with 'set' or 'delete'"},
        {"set PID-8 \"U\"", "col 11: expected '=' after the path"},
        {"set PID = \"U\"", "col 5: set needs a field path (SEG-F)"},
        {"set MSH-2 = \"x\"", "col 5: MSH-1 and MSH-2 cannot be changed"},
        {"delete MSH", "col 8: MSH cannot be deleted"},
        {"set PID-8 = PID", "col 13: expected a \"string\" or a field path to copy"},
        {"delete NTE NTE", "col 12: expected 'when' or the end of the action"},
        {"delete NTE when", "col 16: the condition ends too early"},
        {"delete NTE when PID-3 = \"x\"", "col 23: expected ==, !=, <, <=, >, >=, in or matches after the path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hxe_err err = {0};
        if (hxe_xform_add(x, cases[i].text, strlen(cases[i].text), NULL, &err) == 0)
            fail_msg("action '%s' compiled", cases[i].text);
        if (strcmp(err.msg, cases[i].want) != 0)
            fail_msg("action '%s': got '%s', want '%s'", cases[i].text, err.msg, cases[i].want);
    }
    assert_int_equal(hxe_xform_count(x), 0);
    hxe_xform_free(x);

    /* a failure while applying names the action and its path, not values */
    static const char *const lines[] = {"set PID-5.1 = \"ok\"", "set OBX-5 = \"5 \xe2\x82\xac\""};
    x = actions(lines, 2);
    tu t;
    tu_init(&t);
    /* a Latin-1 message cannot hold the euro sign */
    assert_int_equal(tu_parse(&t, "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|X|P|2.5.1||||||8859/1\r"
                                  "PID|1||1||SECRET^NAME\rOBX|1|ST|X||v\r"),
                     0);
    hxe_err err = {0};
    assert_int_not_equal(hxe_xform_apply(x, t.m, &err), 0);
    assert_non_null(strstr(err.msg, "action 2 (set OBX-5)"));
    assert_null(strstr(err.msg, "\xe2\x82\xac"));
    assert_null(strstr(err.msg, "SECRET"));
    tu_done(&t);
    hxe_xform_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conditions_on_a_lab_result), cmocka_unit_test(conditions_on_the_bundled_adt),
        cmocka_unit_test(conditions_on_the_corpus),   cmocka_unit_test(parse_errors),
        cmocka_unit_test(limits),                     cmocka_unit_test(transformer_actions),
        cmocka_unit_test(action_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
