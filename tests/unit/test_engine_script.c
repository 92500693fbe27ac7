/*
 * test_engine_script.c — sandboxed Lua: filters and transformers on a
 * message through the msg API, what the sandbox takes away (io, os,
 * require, string.dump, bytecode, __gc, full collectgarbage), the
 * instruction budget and the memory cap (also when the script tries to
 * catch them with pcall), runtime errors reported without content, and
 * the state staying usable, with nothing leaking from one message to the
 * next.
 */
#include "helpers/testutil.h"

#include "engine/engine.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADT "MSH|^~\\&|ADT1|HOSP|LAB|HOSP|20240115093000||ADT^A01^ADT_A01|MSG00001|P|2.5.1\r" \
            "EVN|A01|20240115093000\r"                                                      \
            "PID|1||PATID1234^^^GHH^MR~99^^^X^SS||EVERYWOMAN^EVE^E||19620320|F\r"           \
            "NK1|1|NUCLEAR^NELDA^W|SPO\r"                                                   \
            "NK1|2|NUCLEAR^NED|FTH\r"                                                       \
            "PV1|1|I|2000^2012^01\r"

typedef struct fixture {
    tu t;
    hxe_script *s;
    hxe_err err;
    int keep;
} fixture;

static hxe_script *script(int kind, const char *src, const hxe_script_limits *lim)
{
    hxe_script *s = NULL;
    hxe_err err = {0};
    if (hxe_script_new(&s, "test.lua", src, strlen(src), kind, lim, &err))
        fail_msg("script did not load: %s", err.msg);
    return s;
}

/* Runs src as a filter on the ADT; returns hxe_script_run's result. */
static int run_on_adt(hxe_script *s, hxe_err *err, int *keep)
{
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ADT), 0);
    memset(err, 0, sizeof *err);
    int rc = hxe_script_run(s, t.m, keep, err);
    tu_done(&t);
    return rc;
}

static int filter_result(const char *src)
{
    hxe_script_limits verbose = {0, 0, 0, 1}; /* Lua's text when a test fails */
    hxe_script *s = script(HXE_SCRIPT_FILTER, src, &verbose);
    hxe_err err;
    int keep = -1;
    int rc = run_on_adt(s, &err, &keep);
    if (rc)
        fail_msg("filter failed: %s", err.msg);
    hxe_script_free(s);
    return keep;
}

static void filter_reads_the_message(void **state)
{
    (void)state;
    assert_int_equal(filter_result("return msg:type() == 'ADT^A01'"), 1);
    assert_int_equal(filter_result("return msg:type() == 'ORU^R01'"), 0);
    assert_int_equal(filter_result("return msg:get('PID-5.1') == 'EVERYWOMAN'"), 1);
    assert_int_equal(filter_result("return msg:get('PID-3[2].1') == '99'"), 1);
    assert_int_equal(filter_result("return msg:raw('PID-3') == 'PATID1234^^^GHH^MR~99^^^X^SS'"), 1);
    assert_int_equal(filter_result("return msg:get('OBX-5') == nil and msg:get('PID-30') == ''"), 1);
    assert_int_equal(filter_result("return msg:count('NK1') == 2 and msg:count('PID-3') == 2 "
                                   "and msg:count('OBX') == 0"),
                     1);
    assert_int_equal(filter_result("local n = 0\n"
                                   "for i = 1, msg:count('NK1') do\n"
                                   "  if msg:get('NK1[' .. i .. ']-3') == 'FTH' then n = n + 1 end\n"
                                   "end\n"
                                   "return n == 1"),
                     1);
    /* the libraries that are there work */
    assert_int_equal(filter_result("return string.format('%03d', #msg:get('PID-7')) == '008' "
                                   "and math.max(1, 2) == 2 and table.concat({'a','b'}) == 'ab' "
                                   "and utf8.len('é') == 1 and type(os.time()) == 'number' "
                                   "and select('#', unpack({1,2,3})) == 3"),
                     1);
    assert_int_equal(filter_result("local f = load('return 1 + 1'); return f() == 2"), 1);
}

static void transformer_edits_in_place(void **state)
{
    (void)state;
    hxe_script *s = script(HXE_SCRIPT_TRANSFORMER,
                           "msg:set('PID-5.1', 'O|Brien')\n"
                           "msg:set('PID-8', nil)\n"
                           "msg:set('PV1-2', 42)\n"
                           "msg:set('ZXT-1', 'added')\n"
                           "assert(msg:delete('NK1[2]') == true)\n"
                           "assert(msg:delete('OBX') == false)\n"
                           "return 'ignored'\n",
                           NULL);
    tu t;
    hxe_err err = {0};
    int keep = -1;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ADT), 0);
    assert_int_equal(hxe_script_run(s, t.m, &keep, &err), 0);
    assert_int_equal(keep, 1);
    assert_string_equal(tu_raw(t.m, "PID-5.1"), "O\\F\\Brien");
    assert_string_equal(tu_raw(t.m, "PID-8"), "");
    assert_string_equal(tu_raw(t.m, "PV1-2"), "42");
    assert_string_equal(tu_raw(t.m, "ZXT-1"), "added");
    assert_int_equal(hxe_hl7_find(t.m, "ZXT", 1), (long)t.m->nseg - 1);
    assert_int_equal(hxe_hl7_find(t.m, "NK1", 2), -1);
    assert_true(t.m->modified);
    tu_done(&t);
    hxe_script_free(s);
}

static void example_deidentify(void **state)
{
    (void)state;
    const char *src = getenv("HXE_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/examples/deidentify.lua", src ? src : ".");
    size_t n;
    char *code = tu_read(path, &n);
    assert_non_null(code);
    hxe_script *s = NULL;
    hxe_err err = {0};
    assert_int_equal(hxe_script_new(&s, "deidentify.lua", code, n, HXE_SCRIPT_TRANSFORMER, NULL, &err), 0);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, ADT), 0);
    assert_int_equal(hxe_script_run(s, t.m, NULL, &err), 0);
    hxe_buf out = HXE_BUF_INIT;
    assert_int_equal(hxe_hl7_write(t.m, &out), 0);
    assert_null(strstr(out.p, "EVERYWOMAN"));
    assert_null(strstr(out.p, "19620320"));
    assert_null(strstr(out.p, "NUCLEAR"));
    assert_string_equal(tu_raw(t.m, "PID-5"), "ANONYMOUS");
    assert_string_equal(tu_raw(t.m, "PID-3.1"), "PATID1234"); /* the identifier stays */
    hxe_buf_free(&out);
    tu_done(&t);
    hxe_script_free(s);
    hxe_free(code);
}

/* Each line must raise an error (the function is not there). */
static void forbidden_functions(void **state)
{
    (void)state;
    static const char *const probes[] = {
        "io.open('/etc/passwd')",
        "os.execute('true')",
        "os.exit(1)",
        "os.getenv('HOME')",
        "os.remove('/tmp/x')",
        "require('io')",
        "package.loadlib('x', 'y')",
        "debug.getregistry()",
        "dofile('/etc/passwd')",
        "loadfile('/etc/passwd')",
        "print('x')",
        "string.dump(function() end)",
        "('x').dump(function() end)",
        "coroutine.create(function() end)",
        "collectgarbage('collect')",
        "collectgarbage('stop')",
        "setmetatable({}, {__gc = function() end})",
        "getmetatable('').__index.dump(print)",
        "assert(load(string.char(27) .. 'Lua', 'x', 'b'))",
        "assert(load('\\27Lua\\84\\0'))",
        "_G.io.open('/etc/passwd')",
        "getmetatable(msg).__index.get = nil",
    };
    for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++) {
        char src[256];
        snprintf(src, sizeof src, "%s\nreturn true", probes[i]);
        hxe_script *s = script(HXE_SCRIPT_FILTER, src, NULL);
        hxe_err err;
        int keep = -1;
        if (run_on_adt(s, &err, &keep) != HXE_EERROR)
            fail_msg("'%s' ran in the sandbox", probes[i]);
        assert_int_equal(hxe_script_last_status(s), HXE_SCRIPT_ERROR);
        assert_non_null(strstr(err.msg, "line 1: runtime error"));
        hxe_script_free(s);
    }
    /* what is left of os and collectgarbage */
    assert_int_equal(filter_result("return io == nil and require == nil and debug == nil and "
                                   "package == nil and os.getenv == nil and string.dump == nil and "
                                   "collectgarbage('count') > 0 and os.clock() >= 0 and "
                                   "type(os.date('!%Y')) == 'string'"),
                     1);
    /* a binary chunk given to the compiler is refused at load */
    hxe_script *s = NULL;
    hxe_err err = {0};
    assert_int_equal(hxe_script_new(&s, "bin", "\x1bLua\x54", 5, HXE_SCRIPT_FILTER, NULL, &err), HXE_EPARSE);
    assert_non_null(strstr(err.msg, "binary chunk"));
}

static void budget_stops_loops(void **state)
{
    (void)state;
    hxe_script_limits lim = {100000, 0, 0, 0};
    static const char *const loops[] = {
        "while true do end",
        "local function f() return f() end return f()", /* tail call: no stack growth */
        "while true do pcall(function() while true do end end) end",
        "while true do xpcall(function() while true do end end, function() while true do end end) end",
        "repeat local ok = pcall(error, 'x') until false",
    };
    for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        hxe_script *s = script(HXE_SCRIPT_FILTER, loops[i], &lim);
        hxe_err err;
        int keep = -1;
        assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
        if (hxe_script_last_status(s) != HXE_SCRIPT_BUDGET)
            fail_msg("loop %zu: status %d (%s)", i, hxe_script_last_status(s), err.msg);
        assert_non_null(strstr(err.msg, "instruction budget exceeded (limit 100000 instructions)"));
        assert_non_null(strstr(err.msg, "script test.lua line 1"));
        hxe_script_free(s);
    }
}

/* Lua's pattern matcher runs in C, out of the hook's reach: patterns
 * whose backtracking could take ages are refused before they start. */
static void pathological_patterns_refused(void **state)
{
    (void)state;
    static const char *const slow[] = {
        "return string.find(string.rep('a', 30), string.rep('a*', 30) .. 'b')",
        "return ('x'):rep(300):find('x*x*x*x*y')",
        "return ('x'):rep(100000):match('x-y')",
        "return ('x'):rep(5000):gsub('x*x*y', '')",
    };
    for (size_t i = 0; i < sizeof slow / sizeof slow[0]; i++) {
        hxe_script_limits lim = {0, 0, 0, 1};
        hxe_script *s = script(HXE_SCRIPT_FILTER, slow[i], &lim);
        hxe_err err;
        int keep;
        assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
        if (!strstr(err.msg, "pattern too complex"))
            fail_msg("pattern %zu: %s", i, err.msg);
        hxe_script_free(s);
    }
    /* ordinary patterns, plain finds and anchored ones on long text work */
    assert_int_equal(filter_result("local a, b = msg:type():match('^(%w+)%^(%w+)$')\n"
                                   "local long = ('x'):rep(100000)\n"
                                   "return a == 'ADT' and b == 'A01' and long:find('y', 1, true) == nil\n"
                                   "  and long:find('^x*y') == nil and select(2, long:gsub('x', '')) == 100000"),
                     1);
}

static void memory_cap_stops_bombs(void **state)
{
    (void)state;
    hxe_script_limits lim = {0, 2u << 20, 0, 0};
    static const char *const bombs[] = {
        "local s = string.rep('x', 100 * 1024 * 1024) return true",
        "local t = {} for i = 1, 1e9 do t[i] = i end return true",
        "local s = 'x' while true do s = s .. s end",
        "while true do pcall(string.rep, 'x', 1e8) end",
        "local t = {} while true do local ok = pcall(function() for i = 1, 1e7 do t[#t+1] = {} end end) end",
        "while true do msg:set('PID-5.1', string.rep('y', 1000)) end",
    };
    hxe_script_limits big_budget = lim;
    big_budget.instructions = 100000000;
    for (size_t i = 0; i < sizeof bombs / sizeof bombs[0]; i++) {
        hxe_script *s = script(HXE_SCRIPT_FILTER, bombs[i], &big_budget);
        hxe_err err;
        int keep = -1;
        assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
        if (hxe_script_last_status(s) != HXE_SCRIPT_MEMORY)
            fail_msg("bomb %zu: status %d (%s)", i, hxe_script_last_status(s), err.msg);
        assert_string_equal(err.msg, "script test.lua: memory cap reached (limit 2097152 bytes)");
        assert_true(hxe_script_memory(s) <= lim.memory);
        /* and the state works for the next message */
        hxe_script_free(s);
    }
}

static void runtime_errors_carry_no_content(void **state)
{
    (void)state;
    hxe_script *s = script(HXE_SCRIPT_FILTER,
                           "local name = msg:get('PID-5.1')\n"
                           "\n"
                           "error('patient ' .. name .. ' is not wanted')\n",
                           NULL);
    hxe_err err;
    int keep = -1;
    assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
    assert_string_equal(err.msg, "script test.lua line 3: runtime error");
    assert_int_equal(hxe_script_last_status(s), HXE_SCRIPT_ERROR);
    hxe_script_free(s);
    /* with verbose_errors, Lua's text is there (for debugging only) */
    hxe_script_limits lim = {0, 0, 0, 1};
    s = script(HXE_SCRIPT_FILTER, "local x = nil\nreturn x.field", &lim);
    assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
    assert_non_null(strstr(err.msg, "script test.lua line 2: runtime error: test.lua:2: attempt to index"));
    hxe_script_free(s);
    /* errors raised inside msg methods name no path and no value */
    s = script(HXE_SCRIPT_FILTER, "return msg:get(msg:get('PID-5.1'))", &lim);
    assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
    assert_non_null(strstr(err.msg, "argument 1 is not a valid HL7 path"));
    assert_null(strstr(err.msg, "EVERYWOMAN"));
    hxe_script_free(s);
    /* a filter must say yes or no */
    s = script(HXE_SCRIPT_FILTER, "return 1", NULL);
    assert_int_equal(run_on_adt(s, &err, &keep), HXE_EERROR);
    assert_string_equal(err.msg, "script test.lua: a filter must return true or false");
    hxe_script_free(s);
    /* a syntax error at load names the line */
    s = NULL;
    memset(&err, 0, sizeof err);
    assert_int_equal(hxe_script_new(&s, "bad.lua", "return 1 +\n\n", 12, HXE_SCRIPT_FILTER, NULL, &err),
                     HXE_EPARSE);
    assert_non_null(strstr(err.msg, "script bad.lua:3:"));
    assert_int_equal(hxe_script_check("ok.lua", "return true", 11, &err), 0);
    assert_int_equal(hxe_script_check("bad.lua", "retur true", 10, &err), HXE_EPARSE);
}

static void state_survives_and_does_not_leak(void **state)
{
    (void)state;
    hxe_script_limits lim = {200000, 1u << 20, 0, 0};
    /* counts how often it ran with a global (fresh per message) and a
     * mode chosen by the message */
    hxe_script *s = script(HXE_SCRIPT_FILTER,
                           "seen = (seen or 0) + 1\n"
                           "assert(seen == 1, 'globals leaked')\n"
                           "assert(stash == nil, 'stash leaked')\n"
                           "stash = msg\n"
                           "local mode = msg:get('PV1-2')\n"
                           "if mode ~= 'O' then string.kept = msg end\n"
                           "if mode == 'L' then while true do end end\n"
                           "if mode == 'M' then local t = {} while true do t[#t+1] = {} end end\n"
                           "if mode == 'E' then error('boom') end\n"
                           "if mode == 'O' then return string.kept:get('PID-5.1') ~= nil end\n"
                           "return mode == 'I'\n",
                           &lim);
    const char *modes = "ILIMIEIOI";
    for (const char *m = modes; *m; m++) {
        char text[512];
        snprintf(text, sizeof text,
                 "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|%c|P|2.5.1\rPID|1||1||DOE^J\rPV1|1|%c\r", *m, *m);
        tu t;
        tu_init(&t);
        assert_int_equal(tu_parse(&t, text), 0);
        hxe_err err = {0};
        int keep = -1;
        int rc = hxe_script_run(s, t.m, &keep, &err);
        switch (*m) {
        case 'I':
            if (rc)
                fail_msg("a normal message failed after a bad one: %s", err.msg);
            assert_int_equal(keep, 1);
            break;
        case 'L':
            assert_int_equal(hxe_script_last_status(s), HXE_SCRIPT_BUDGET);
            break;
        case 'M':
            assert_int_equal(hxe_script_last_status(s), HXE_SCRIPT_MEMORY);
            break;
        case 'E':
            assert_int_equal(hxe_script_last_status(s), HXE_SCRIPT_ERROR);
            assert_string_equal(err.msg, "script test.lua line 9: runtime error");
            break;
        case 'O':
            /* the msg object of an earlier run refuses to work */
            assert_int_equal(rc, HXE_EERROR);
            assert_string_equal(err.msg, "script test.lua line 10: runtime error");
            break;
        }
        tu_done(&t);
    }
    assert_true(hxe_script_memory(s) < lim.memory);
    hxe_script_free(s);
}

static int log_calls;
static char log_text[128];
static void on_log(void *data, const char *script_name, const char *text, size_t n)
{
    (void)data;
    assert_string_equal(script_name, "test.lua");
    log_calls++;
    snprintf(log_text, sizeof log_text, "%.*s", (int)n, text);
}

static void log_is_off_by_default(void **state)
{
    (void)state;
    const char *src = "log('type', msg:type(), 3) return true";
    hxe_script *s = script(HXE_SCRIPT_FILTER, src, NULL);
    hxe_script_set_log(s, on_log, NULL);
    hxe_err err;
    int keep;
    log_calls = 0;
    assert_int_equal(run_on_adt(s, &err, &keep), 0);
    assert_int_equal(log_calls, 0);
    hxe_script_free(s);
    hxe_script_limits lim = {0, 0, 1, 0};
    s = script(HXE_SCRIPT_FILTER, src, &lim);
    hxe_script_set_log(s, on_log, NULL);
    assert_int_equal(run_on_adt(s, &err, &keep), 0);
    assert_int_equal(log_calls, 1);
    assert_string_equal(log_text, "type\tADT^A01\t3");
    hxe_script_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_reads_the_message),
        cmocka_unit_test(transformer_edits_in_place),
        cmocka_unit_test(example_deidentify),
        cmocka_unit_test(forbidden_functions),
        cmocka_unit_test(budget_stops_loops),
        cmocka_unit_test(pathological_patterns_refused),
        cmocka_unit_test(memory_cap_stops_bombs),
        cmocka_unit_test(runtime_errors_carry_no_content),
        cmocka_unit_test(state_survives_and_does_not_leak),
        cmocka_unit_test(log_is_off_by_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
