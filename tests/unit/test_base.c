/*
 * test_base.c — arena, buffers, slices, issues, JSON strings, UTF-8,
 * the error value and the logger.
 */
#include "helpers/testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void arena_allocates_aligned_and_caps(void **state)
{
    (void)state;
    hxe_arena a;
    hxe_arena_init(&a, 256, 4096);
    for (int i = 0; i < 100; i++) {
        char *p = hxe_arena_alloc(&a, (size_t)i % 37 + 1);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 8, 0);
        memset(p, 'x', (size_t)i % 37 + 1);
    }
    assert_null(hxe_arena_alloc(&a, 8192)); /* over max */
    hxe_arena_reset(&a);
    assert_int_equal(a.used, 0);
    char *big = hxe_arena_alloc(&a, 1000); /* bigger than a block */
    assert_non_null(big);
    char *s = hxe_arena_strndup(&a, "hello", 3);
    assert_string_equal(s, "hel");
    hxe_arena_free(&a);
    hxe_arena_free(NULL);
}

static void buffers_grow_and_stop_at_max(void **state)
{
    (void)state;
    hxe_buf b;
    hxe_buf_init(&b, 10);
    assert_int_equal(hxe_buf_puts(&b, "12345"), 0);
    assert_int_equal(hxe_buf_printf(&b, "%d", 678), 0);
    assert_string_equal(b.p, "12345678");
    assert_int_equal(hxe_buf_puts(&b, "abc"), HXE_ETOOBIG);
    assert_string_equal(b.p, "12345678"); /* unchanged on failure */
    hxe_buf_truncate(&b, 2);
    assert_string_equal(b.p, "12");
    size_t n;
    char *p = hxe_buf_take(&b, &n);
    assert_int_equal(n, 2);
    assert_null(b.p);
    hxe_free(p);
    hxe_buf big = HXE_BUF_INIT;
    char chunk[300];
    memset(chunk, 'y', sizeof chunk);
    assert_int_equal(hxe_buf_printf(&big, "%.*s", 300, chunk), 0);
    assert_int_equal(big.len, 300);
    hxe_buf_free(&big);
    hxe_buf_free(NULL);
    /* reserving in an empty buffer makes it an empty C string (the rules'
     * `matches` handed such a buffer to regexec: found by the fuzzer) */
    hxe_buf e = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_reserve(&e, 1), 0);
    assert_non_null(e.p);
    assert_int_equal(e.p[0], '\0');
    assert_int_equal(e.len, 0);
    hxe_buf_free(&e);
}

static void slices(void **state)
{
    (void)state;
    hxe_slice s = hxe_slice_cstr("a^b^^d");
    hxe_slice out;
    assert_int_equal(hxe_slice_piece(s, '^', 2, &out), 1);
    assert_true(hxe_slice_eq_cstr(out, "b"));
    assert_int_equal(hxe_slice_piece(s, '^', 3, &out), 1);
    assert_int_equal(out.n, 0);
    assert_int_equal(hxe_slice_piece(s, '^', 5, &out), 0);
    assert_int_equal(hxe_slice_count(s, '^'), 4);
    assert_int_equal(hxe_slice_count(HXE_SLICE_EMPTY, '^'), 1);
}

static void issues_are_bounded(void **state)
{
    (void)state;
    hxe_issues is = HXE_ISSUES_INIT;
    is.max = 5;
    for (int i = 0; i < 12; i++)
        hxe_issues_add(&is, i % 2 ? HXE_SEV_ERROR : HXE_SEV_WARNING, 101, NULL, "n%d", i);
    assert_int_equal(is.n, 5);
    assert_int_equal(is.dropped, 7);
    assert_int_equal(is.errors, 6);
    assert_string_equal(is.v[4].text, "n4");
    assert_int_equal(is.v[0].loc.offset, (size_t)-1);
    hxe_issues_free(&is);
}

static void json_strings_and_utf8(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_json_str(&b, "a\"b\\c\n\x01\xc3\xa9", 9), 0);
    assert_string_equal(b.p, "\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"");
    hxe_buf_truncate(&b, 0);
    /* bytes that are not UTF-8 never make invalid JSON */
    assert_int_equal(hxe_json_str(&b, "M\xfcller \xe2\x82\xac \xc3", 12), 0);
    assert_string_equal(b.p, "\"M\\ufffdller \xe2\x82\xac \\ufffd\"");
    hxe_buf_free(&b);
    assert_int_equal(hxe_utf8_check("ok\xc3\xa9", 4), 4);
    assert_int_equal(hxe_utf8_check("ab\xc3", 3), 2);         /* truncated */
    assert_int_equal(hxe_utf8_check("\xc0\xaf", 2), 0);       /* overlong */
    assert_int_equal(hxe_utf8_check("x\xed\xa0\x80", 4), 1);  /* surrogate */
    assert_int_equal(hxe_utf8_check("\xf4\x90\x80\x80", 4), 0); /* > U+10FFFF */
    assert_int_equal(hxe_utf8_put(&b, 0x20ac), 0);
    assert_string_equal(b.p, "\xe2\x82\xac");
    hxe_buf_free(&b);
}

static void errors_name_the_place(void **state)
{
    (void)state;
    hxe_err e = {0};
    assert_int_equal(hxe_err_set(&e, HXE_EPARSE, "MSH-%d: bad", 2), HXE_EPARSE);
    assert_string_equal(e.msg, "MSH-2: bad");
    assert_int_equal(e.code, HXE_EPARSE);
    assert_int_equal(hxe_err_set(NULL, HXE_EIO, "x"), HXE_EIO);
    assert_string_equal(hxe_strerror(HXE_ENOTFOUND), "not found");
    assert_string_equal(hxe_strerror(-999), "unknown error");
    hxe_err_clear(&e);
    assert_int_equal(e.code, 0);
}

static void logger_writes_json_lines(void **state)
{
    (void)state;
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    hxe_log_set_stream(f);
    hxe_log_set_level(HXE_LOG_INFO);
    hxe_log(HXE_LOG_DEBUG, "hidden", HXE_LF_INT("n", 1));
    hxe_log(HXE_LOG_WARN, "hl7.reject", HXE_LF_STR("place", "PID-8"), HXE_LF_INT("code", 103));
    fclose(f);
    hxe_log_set_stream(NULL);
    assert_null(strstr(text, "hidden"));
    assert_non_null(strstr(text, "\"level\":\"warn\",\"event\":\"hl7.reject\",\"place\":\"PID-8\",\"code\":103}\n"));
    assert_int_equal(strncmp(text, "{\"ts\":\"", 7), 0);
    free(text);
}

static int fail_after;
static void *failing_malloc(size_t n) { return fail_after-- > 0 ? malloc(n) : NULL; }
static void *failing_realloc(void *p, size_t n) { return fail_after-- > 0 ? realloc(p, n) : NULL; }

static void out_of_memory_is_an_error_not_a_crash(void **state)
{
    (void)state;
    const char *msg = "MSH|^~\\&|A|B|C|D|2024||ORU^R01|1|P|2.5.1\rPID|1||1||A^B\rOBX|1|ST|||x\r";
    for (int k = 0; k < 12; k++) {
        fail_after = k;
        hxe_set_allocator(failing_malloc, failing_realloc, free);
        hxe_arena a;
        hxe_arena_init(&a, 128, 0);
        hxe_issues is = HXE_ISSUES_INIT;
        hxe_hl7_msg *m = NULL;
        hxe_buf b = HXE_BUF_INIT;
        int rc = hxe_hl7_parse(&m, &a, msg, strlen(msg), NULL, &is, NULL);
        if (rc == 0) {
            (void)hxe_hl7_to_json(m, 0, &b);
            hxe_hl7_path p;
            hxe_hl7_path_parse(&p, "PID-5.2", 7, NULL);
            (void)hxe_hl7_set(m, &p, "C", 1, 0, NULL);
        }
        (void)hxe_hl7_ack(rc ? NULL : m, msg, strlen(msg), &is, NULL, &b);
        hxe_set_allocator(NULL, NULL, NULL);
        hxe_buf_free(&b);
        hxe_issues_free(&is);
        hxe_arena_free(&a);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arena_allocates_aligned_and_caps),
        cmocka_unit_test(buffers_grow_and_stop_at_max),
        cmocka_unit_test(slices),
        cmocka_unit_test(issues_are_bounded),
        cmocka_unit_test(json_strings_and_utf8),
        cmocka_unit_test(errors_name_the_place),
        cmocka_unit_test(logger_writes_json_lines),
        cmocka_unit_test(out_of_memory_is_an_error_not_a_crash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
