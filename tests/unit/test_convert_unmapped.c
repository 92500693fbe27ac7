/*
 * test_convert_unmapped.c — what no map reads, per hxe_conv_opts.unmapped:
 * reported by place (the default), kept in the Bundle as extensions (a
 * field on the resource its segment maps to, a segment on the
 * MessageHeader) or dropped with one note that counts them. Issue texts
 * never hold values; the Bundle validates in every mode.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <dirent.h>
#include <string.h>

typedef struct conv {
    tu t;
    json_t *b;
    int rc;
} conv;

static void run(conv *c, const char *msg, int mode)
{
    tu_init(&c->t);
    assert_int_equal(tu_parse(&c->t, msg), 0);
    hxe_issues_clear(&c->t.issues);
    hxe_conv_opts o = {NULL, mode};
    c->b = NULL;
    c->rc = hxe_conv_v2_to_fhir(c->t.m, &o, &c->b, &c->t.issues, &c->t.err);
    if (c->rc != 0)
        return;
    hxe_issues vi = HXE_ISSUES_INIT;
    assert_int_equal(hxe_fhir_validate(c->b, NULL, &vi, &c->t.err), 0);
    for (size_t i = 0; i < vi.n; i++)
        if (vi.v[i].severity >= HXE_SEV_ERROR)
            print_message("  %s\n", vi.v[i].text);
    assert_int_equal(vi.errors, 0);
    hxe_issues_free(&vi);
}

static void done(conv *c)
{
    json_decref(c->b);
    tu_done(&c->t);
}

static json_t *res(const conv *c, const char *type, size_t n)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c->b, "entry"), i, e) {
        json_t *r = json_object_get(e, "resource");
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), type) == 0 && n-- == 0)
            return r;
    }
    fail_msg("no %s", type);
    return NULL;
}

static size_t issues_with(const conv *c, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < c->t.issues.n; i++)
        if (strstr(c->t.issues.v[i].text, needle))
            n++;
    return n;
}

/* the v2-field (or v2-segment) extension of r whose first part is `key`;
 * its value, or NULL */
static const char *kept(json_t *r, const char *url, const char *key)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(r, "extension"), i, x) {
        if (strcmp(json_string_value(json_object_get(x, "url")), url) != 0)
            continue;
        json_t *parts = json_object_get(x, "extension");
        if (strcmp(json_string_value(json_object_get(json_array_get(parts, 0), "valueString")), key) != 0)
            continue;
        json_t *v = json_array_get(parts, json_array_size(parts) - 1);
        assert_string_equal(json_string_value(json_object_get(v, "url")), "value");
        return json_string_value(json_object_get(v, "valueString"));
    }
    return NULL;
}

#define MSG                                                                                       \
    "MSH|^~\\&|LIS|LAB^1.2.9^ISO|EHR|HOSP|20240213154601+0000||ORU^R01^ORU_R01|CTL2|P|2.5.1\r"    \
    "EVN|R01|20240213154601+0000\r"                                                              \
    "PID|1||123^^^MERCY&1.2.3&ISO^MR||Doe^Jane||19800102|F||||||||||||||||||||||||||||||||SECRET40\r" \
    "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^CMP^LN\r"                                  \
    "OBX|1|NM|2345-7^Glucose^LN|SUB7|90|mg/dL^^UCUM|||||F\r"                                      \
    "NTE|1|L|fine|RE^Remark^HL70364\r"                                                           \
    "ZPI|1|SECRET\\T\\Z|\xe9t\xe9\r"

static void test_report(void **s)
{
    (void)s;
    conv c;
    run(&c, MSG, HXE_CONV_UNMAPPED_REPORT);
    assert_int_equal(c.rc, 0);
    assert_int_equal(issues_with(&c, "PID[1]-40: valued, not mapped by hxe"), 1);
    assert_int_equal(issues_with(&c, "OBX[1]-4: valued, not mapped by hxe"), 1);
    assert_int_equal(issues_with(&c, "NTE[1]-4: valued, not mapped by hxe"), 1);
    assert_int_equal(issues_with(&c, "ZPI[1]: Z-segment, not mapped"), 1);
    assert_int_equal(issues_with(&c, "EVN[1]: segment not mapped by hxe"), 1);
    assert_null(json_object_get(res(&c, "MessageHeader", 0), "extension"));
    assert_null(json_object_get(res(&c, "Patient", 0), "extension"));
    for (size_t i = 0; i < c.t.issues.n; i++)
        assert_null(strstr(c.t.issues.v[i].text, "SECRET"));
    done(&c);
}

static void test_extension(void **s)
{
    (void)s;
    conv c;
    run(&c, MSG, HXE_CONV_UNMAPPED_EXTENSION);
    assert_int_equal(c.rc, 0);
    /* fields on the resource their segment maps to, as written */
    assert_string_equal(kept(res(&c, "Patient", 0), HXE_CONV_EXT_FIELD, "PID[1]-40"), "SECRET40");
    assert_string_equal(kept(res(&c, "Observation", 0), HXE_CONV_EXT_FIELD, "OBX[1]-4"), "SUB7");
    /* NTE after OBX: the Observation holds the note and the NTE's field */
    assert_string_equal(kept(res(&c, "Observation", 0), HXE_CONV_EXT_FIELD, "NTE[1]-4"),
                        "RE^Remark^HL70364");
    assert_string_equal(kept(res(&c, "MessageHeader", 0), HXE_CONV_EXT_FIELD, "MSH[1]-11"), "P");
    /* segments on the MessageHeader: id, position, the whole text (v2
     * escapes kept, in UTF-8 from the message's character set) */
    json_t *h = res(&c, "MessageHeader", 0);
    assert_string_equal(kept(h, HXE_CONV_EXT_SEGMENT, "ZPI"),
                        "ZPI|1|SECRET\\T\\Z|\xc3\xa9t\xc3\xa9");
    assert_string_equal(kept(h, HXE_CONV_EXT_SEGMENT, "EVN"), "EVN|R01|20240213154601+0000");
    json_t *x = NULL;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(h, "extension"), i, e) x = e;   /* the last: ZPI */
    assert_int_equal(json_integer_value(json_object_get(json_array_get(json_object_get(x, "extension"), 1),
                                                        "valuePositiveInt")),
                     7);
    /* nothing reported one by one; one note counts what was kept */
    assert_int_equal(issues_with(&c, "valued, not mapped"), 0);
    assert_int_equal(issues_with(&c, "Z-segment"), 0);
    assert_int_equal(issues_with(&c, "unmapped content kept as extensions: 4 fields, 2 segments"), 1);
    for (i = 0; i < c.t.issues.n; i++)
        assert_null(strstr(c.t.issues.v[i].text, "SECRET"));
    done(&c);
    /* a second PID, which no map takes: its fields go to the
     * MessageHeader, named by occurrence */
    run(&c, "MSH|^~\\&|A|B|C|D|20240213154601+0000||ADT^A04|X|P|2.5.1\r"
            "PID|1||123^^^MERCY&1.2.3&ISO^MR||Doe^Jane||19800102|F\rPID|2||456\r",
        HXE_CONV_UNMAPPED_EXTENSION);
    assert_string_equal(kept(res(&c, "MessageHeader", 0), HXE_CONV_EXT_FIELD, "PID[2]-3"), "456");
    done(&c);
}

static void test_drop(void **s)
{
    (void)s;
    conv c;
    run(&c, MSG, HXE_CONV_UNMAPPED_DROP);
    assert_int_equal(c.rc, 0);
    assert_int_equal(issues_with(&c, "valued, not mapped"), 0);
    assert_int_equal(issues_with(&c, "not mapped by hxe"), 0);
    assert_int_equal(issues_with(&c, "unmapped content dropped as configured: 4 fields, 2 segments"), 1);
    assert_null(json_object_get(res(&c, "MessageHeader", 0), "extension"));
    assert_null(json_object_get(res(&c, "Patient", 0), "extension"));
    done(&c);
    /* nothing unmapped: no note */
    run(&c, "MSH|^~\\&|A|B|C|D|20240213154601+0000||ADT^A04|X||2.5.1\r"
            "PID|1||123^^^MERCY&1.2.3&ISO^MR||Doe^Jane||19800102|F\r",
        HXE_CONV_UNMAPPED_DROP);
    assert_int_equal(issues_with(&c, "dropped"), 0);
    done(&c);
}

static void test_names(void **s)
{
    (void)s;
    assert_int_equal(hxe_conv_unmapped_parse("report"), HXE_CONV_UNMAPPED_REPORT);
    assert_int_equal(hxe_conv_unmapped_parse("extension"), HXE_CONV_UNMAPPED_EXTENSION);
    assert_int_equal(hxe_conv_unmapped_parse("drop"), HXE_CONV_UNMAPPED_DROP);
    assert_int_equal(hxe_conv_unmapped_parse("keep"), HXE_EINVAL);
    assert_int_equal(hxe_conv_unmapped_parse(NULL), HXE_EINVAL);
    assert_string_equal(hxe_conv_unmapped_name(HXE_CONV_UNMAPPED_EXTENSION), "extension");
    assert_null(hxe_conv_unmapped_name(7));
    conv c;
    run(&c, MSG, 7);
    assert_int_equal(c.rc, HXE_EINVAL);
    assert_non_null(strstr(c.t.err.msg, "unmapped"));
    assert_null(c.b);
    done(&c);
}

/* every message of the corpus keeps what it can as extensions and still
 * validates (skipped when the corpus is absent) */
static void test_corpus_extension(void **s)
{
    (void)s;
    const char *dir = tu_shared("hl7v2");
    if (!dir) {
        print_message("corpus absent (HXE_SHARED_DIR/corpus/hl7v2): skipped\n");
        skip();
    }
    char d[4096];
    snprintf(d, sizeof d, "%s", dir);
    DIR *dd = opendir(d);
    assert_non_null(dd);
    struct dirent *de;
    size_t converted = 0, kept = 0, bad = 0;
    while ((de = readdir(dd))) {
        if (de->d_name[0] == '.')
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", d, de->d_name);
        size_t len = 0;
        char *buf = tu_read(path, &len);
        if (!buf)
            continue;
        hxe_hl7_reader r;
        hxe_hl7_reader_init(&r, buf, len, NULL);
        hxe_slice u;
        int kind;
        while ((kind = hxe_hl7_reader_next(&r, &u, NULL)) != HXE_HL7_UNIT_END) {
            hxe_arena a;
            hxe_issues is = HXE_ISSUES_INIT;
            hxe_hl7_msg *m = NULL;
            json_t *b = NULL;
            hxe_conv_opts o = {"+00:00", HXE_CONV_UNMAPPED_EXTENSION};
            hxe_arena_init(&a, 65536, 0);
            if (kind == HXE_HL7_UNIT_MESSAGE &&
                hxe_hl7_parse(&m, &a, u.p, u.n, NULL, &is, NULL) == 0 &&
                hxe_conv_v2_to_fhir(m, &o, &b, &is, NULL) == 0) {
                hxe_issues vi = HXE_ISSUES_INIT;
                assert_int_equal(hxe_fhir_validate(b, NULL, &vi, NULL), 0);
                converted++;
                if (vi.errors) {
                    bad++;
                    print_message("%s: %zu errors, first: %s\n", de->d_name, vi.errors,
                                  vi.v[0].text);
                }
                for (size_t i = 0; i < is.n; i++)
                    if (strstr(is.v[i].text, "kept as extensions"))
                        kept++;
                hxe_issues_free(&vi);
            }
            json_decref(b);
            hxe_issues_free(&is);
            hxe_arena_free(&a);
        }
        hxe_free(buf);
    }
    closedir(dd);
    print_message("corpus: %zu messages converted with extensions (%zu kept some), %zu with errors\n",
                  converted, kept, bad);
    assert_true(converted > 50);
    assert_true(kept > 50);
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_report),
        cmocka_unit_test(test_extension),
        cmocka_unit_test(test_drop),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_corpus_extension),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
