/*
 * test_fhir_write.c — hxe_fhir_write gives the bytes jansson's json_dump
 * gives (compact: JSON_COMPACT, pretty: JSON_INDENT(2) and a final
 * newline; both JSON_REAL_PRECISION(15)), which is what hxe wrote before
 * it had its own writer: every US Core example, strings with every
 * character that needs escaping, reals and integers of every magnitude,
 * empty and nested containers. Values it cannot write (invalid UTF-8, a
 * loop) fail and leave the buffer as it was.
 */
#include "helpers/testutil.h"

#include "fhir/fhir.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* hxe_fhir_write and json_dumps agree on v, compact and pretty */
static void same_as_jansson(const json_t *v, const char *what)
{
    for (int pretty = 0; pretty <= 1; pretty++) {
        size_t jf = JSON_REAL_PRECISION(15) | (pretty ? JSON_INDENT(2) : JSON_COMPACT);
        char *want = json_dumps(v, jf);
        assert_non_null(want);
        hxe_buf b = HXE_BUF_INIT;
        assert_int_equal(hxe_buf_append(&b, "x", 1), 0); /* appends after what is there */
        assert_int_equal(hxe_fhir_write(v, pretty ? HXE_FHIR_WRITE_PRETTY : 0, &b), 0);
        size_t wl = strlen(want);
        if (b.len != 1 + wl + (size_t)pretty || memcmp(b.p + 1, want, wl) != 0 ||
            (pretty && b.p[b.len - 1] != '\n'))
            fail_msg("%s (%s): hxe_fhir_write differs from json_dumps", what,
                     pretty ? "pretty" : "compact");
        hxe_buf_free(&b);
        free(want);
    }
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void test_us_core_examples(void **state)
{
    (void)state;
    const char *shared = getenv("HXE_SHARED_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/reference/us-core-6.1.0/examples", shared ? shared : "../shared");
    DIR *d = opendir(dir);
    if (!d) {
        print_message("SKIP: %s absent\n", dir);
        skip();
    }
    char *names[1024];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < 1024)
        if (strstr(de->d_name, ".json"))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp);
    assert_true(n >= 201);
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        size_t len = 0;
        char *data = tu_read(path, &len);
        assert_non_null(data);
        json_t *r = NULL;
        assert_int_equal(hxe_fhir_read(&r, data, len, NULL, NULL), 0);
        same_as_jansson(r, names[i]);
        json_decref(r);
        free(data);
        free(names[i]);
    }
}

static void test_strings(void **state)
{
    (void)state;
    char all[160];
    size_t n = 0;
    for (int c = 1; c < 0x80; c++)   /* every ASCII character but NUL */
        all[n++] = (char)c;
    memcpy(all + n, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xEF\xBF\xBF/\\\"", 15);
    n += 15;
    json_t *o = json_object();
    assert_int_equal(json_object_set_new(o, "resourceType", json_string("Basic")), 0);
    assert_int_equal(json_object_set_new(o, "s", json_stringn(all, n)), 0);
    assert_int_equal(json_object_set_new(o, "nul", json_stringn("a\0b", 3)), 0);
    assert_int_equal(json_object_set_new(o, "", json_string("")), 0);
    assert_int_equal(json_object_setn_new(o, all + 1, 40, json_string("key with escapes")), 0);
    same_as_jansson(o, "strings");
    json_decref(o);
}

static void test_numbers(void **state)
{
    (void)state;
    static const double reals[] = {0.0, -0.0, 0.1, 1.0, -1.5, 100.0, 1e15, 1e16, 1e17, 1e21,
                                   1e-5, 1e-7, 1.5e300, -2.5e-300, 123456789.123456789,
                                   0.30000000000000004, 5e-324, 1.7976931348623157e308};
    static const json_int_t ints[] = {0, 1, -1, 9, 10, -10, 2147483647, -2147483648LL,
                                      9223372036854775807LL, -9223372036854775807LL - 1};
    json_t *a = json_array();
    for (size_t i = 0; i < sizeof reals / sizeof reals[0]; i++)
        assert_int_equal(json_array_append_new(a, json_real(reals[i])), 0);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        assert_int_equal(json_array_append_new(a, json_integer(ints[i])), 0);
    /* and many more reals, of every magnitude, from a fixed seed */
    unsigned long long x = 88172645463325252ULL;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double mant = (double)(x % 1000000007ULL) / 1000000007.0;
        int exp = (int)((x >> 32) % 80) - 40;
        double v = ldexp(mant, exp * 3);
        assert_int_equal(json_array_append_new(a, json_real(i & 1 ? -v : v)), 0);
    }
    json_t *o = json_pack("{s:s,s:o,s:b,s:b,s:n}", "resourceType", "Basic", "n", a, "t", 1, "f", 0, "z");
    assert_non_null(o);
    same_as_jansson(o, "numbers");
    json_decref(o);
}

static void test_containers(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:s,s:{},s:[],s:[{},[],[[]],{s:[]}],s:{s:{s:{s:[i,i,{s:n}]}}}}",
                          "resourceType", "Basic", "eo", "ea", "mixed", "k", "deep", "a", "b", "c",
                          1, 2, "d");
    assert_non_null(o);
    same_as_jansson(o, "containers");
    same_as_jansson(json_object_get(o, "eo"), "an empty object alone");
    json_decref(o);
}

static void test_unwritable(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_append(&b, "keep", 4), 0);
    json_t *o = json_object();
    assert_int_equal(json_object_set_new(o, "resourceType", json_string("Basic")), 0);
    assert_int_equal(json_object_set_new(o, "bad", json_stringn_nocheck("a\xC3(", 3)), 0);
    assert_int_not_equal(hxe_fhir_write(o, 0, &b), 0);
    assert_int_equal(b.len, 4);
    json_object_del(o, "bad");
    /* a loop: the object inside its own array */
    json_t *a = json_array();
    assert_int_equal(json_object_set_new(o, "loop", a), 0);
    assert_int_equal(json_array_append(a, o), 0);
    assert_int_not_equal(hxe_fhir_write(o, HXE_FHIR_WRITE_PRETTY, &b), 0);
    assert_int_equal(b.len, 4);
    assert_memory_equal(b.p, "keep", 4);
    json_array_clear(a); /* break the loop so both are freed */
    json_decref(o);
    assert_int_equal(hxe_fhir_write(NULL, 0, &b), HXE_EINVAL);
    hxe_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_us_core_examples),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_containers),
        cmocka_unit_test(test_unwritable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
