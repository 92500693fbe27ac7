/*
 * test_x12_json.c — X12 as JSON lines and back: every corpus file goes
 * X12 -> JSON -> X12 byte for byte; each line is JSON; envelopes, sets,
 * composites, repetitions, trailing empty elements, line breaks, a BOM
 * and junk between interchanges survive; TR3 segment names and
 * dictionary element names are there; an edited value is written; a
 * value holding a delimiter and bad JSON are refused naming the place.
 */
#include "helpers/testutil.h"
#include "x12/x12.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int collect(void *data, const char *p, size_t n)
{
    return hxe_buf_append(data, p, n);
}

static void to_json(const char *in, size_t len, hxe_buf *json)
{
    hxe_err err = {0};
    int rc = hxe_x12_to_json_lines(in, len, NULL, collect, json, &err);
    if (rc)
        fprintf(stderr, "to-json: %s\n", err.msg);
    assert_int_equal(rc, 0);
}

/* X12 -> JSON -> X12; every line must be a JSON object */
static void round_trip(const char *in, size_t len)
{
    hxe_buf json = HXE_BUF_INIT, back = HXE_BUF_INIT;
    to_json(in, len, &json);
    for (char *line = json.p; line && *line;) {
        char *nl = strchr(line, '\n');
        assert_non_null(nl);
        json_error_t je;
        json_t *o = json_loadb(line, (size_t)(nl - line), 0, &je);
        assert_non_null(o);
        assert_true(json_is_object(o));
        json_decref(o);
        line = nl + 1;
    }
    hxe_err err = {0};
    int rc = hxe_x12_from_json(json.p, json.len, &back, &err);
    if (rc)
        fprintf(stderr, "from-json: %s\n", err.msg);
    assert_int_equal(rc, 0);
    assert_int_equal(back.len, len);
    assert_memory_equal(back.p, in, len);
    hxe_buf_free(&json);
    hxe_buf_free(&back);
}

static void test_corpus(void **state)
{
    (void)state;
    const char *dir = tu_shared("x12");
    if (!dir) {
        print_message("SKIP: x12 corpus absent\n");
        skip();
    }
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s'", dir);
    FILE *ls = popen(cmd, "r");
    assert_non_null(ls);
    char name[400];
    size_t n = 0;
    while (fgets(name, sizeof name, ls)) {
        name[strcspn(name, "\n")] = '\0';
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        size_t len;
        char *in = tu_read(path, &len);
        if (!in)
            continue;
        /* JSON carries text: a file that is not UTF-8 cannot round-trip */
        hxe_buf probe = HXE_BUF_INIT;
        int readable = hxe_x12_to_json_lines(in, len, NULL, collect, &probe, NULL) == 0;
        hxe_buf_free(&probe);
        if (hxe_utf8_check(in, len) == len && readable) {
            round_trip(in, len);
            n++;
        }
        free(in);
    }
    pclose(ls);
    assert_true(n > 50);
}

static const char *const FILE1 =
    "\xef\xbb\xbf"
    "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240102*1230*^*00501*000000101*0*T*:~\r\n"
    "GS*HC*SUBMITTER*RECEIVER*20240102*1230*17*X*005010X222A1~\r\n"
    "ST*837*0001*005010X222A1~\r\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\r\n"
    "REF*EI*A^B:C^~\r\n"
    "NM1*41*2*SUBMITTER*****46*S1**~\r\n"
    "SE*5*0001~\r\n"
    "GE*1*17~\r\n"
    "IEA*1*000000101~\r\n"
    "\r\n"
    "junk between\r\n"
    "ISA|00|          |00|          |ZZ|SUBMITTER      |ZZ|RECEIVER       |240102|1230|}|00501|000000102|0|T|<\n"
    "TA1|000000101|240102|1230|A|000\n"
    "IEA|0|000000102";

static void test_shapes(void **state)
{
    (void)state;
    size_t len = strlen(FILE1);
    round_trip(FILE1, len);
    hxe_buf json = HXE_BUF_INIT;
    to_json(FILE1, len, &json);
    /* the BOM and the junk as raw lines */
    assert_true(strncmp(json.p, "{\"raw\":\"\xef\xbb\xbf\"}\n", 12) == 0);
    assert_non_null(strstr(json.p, "{\"raw\":\"junk between\\r\\n\"}\n"));
    /* each ISA names its delimiters */
    assert_non_null(strstr(json.p, "{\"delimiters\":{\"element\":\"*\",\"repetition\":\"^\",\"component\":\":\",\"segment\":\"~\"},\"segment\":{\"id\":\"ISA\""));
    assert_non_null(strstr(json.p, "{\"delimiters\":{\"element\":\"|\",\"repetition\":\"}\",\"component\":\"<\",\"segment\":\"\\n\"}"));
    assert_non_null(strstr(json.p, "\"ISA11\":\"^\""));
    /* a repetition of a simple value and of a composite, an empty one */
    assert_non_null(strstr(json.p, "\"REF02\":{\"repeat\":[\"A\",[\"B\",\"C\"],\"\"]}"));
    /* trailing empty elements counted, the line break kept */
    assert_non_null(strstr(json.p, "\"count\":11"));
    assert_non_null(strstr(json.p, "\"tail\":\"~\\r\\n\""));
    /* the last segment has no terminator */
    assert_non_null(strstr(json.p, "\"IEA02\":\"000000102\"},\"names\":{\"IEA01\":\"Number of Included Functional Groups\",\"IEA02\":\"Interchange Control Number\"},\"tail\":\"\"}}"));
    /* the TA1 as a segment line */
    assert_non_null(strstr(json.p, "{\"segment\":{\"id\":\"TA1\""));
    /* dictionary names of the elements */
    assert_non_null(strstr(json.p, "\"NM101\":\"Entity Identifier Code\""));
    hxe_buf_free(&json);
}

static void test_names(void **state)
{
    (void)state;
    const char *dir = tu_shared("x12");
    if (!dir)
        skip();
    char path[1024];
    snprintf(path, sizeof path, "%s/staedi__simple999.edi", dir);
    size_t len;
    char *in = tu_read(path, &len);
    assert_non_null(in);
    hxe_buf json = HXE_BUF_INIT;
    to_json(in, len, &json);
    /* loops and segments with their TR3 names, elements with theirs */
    assert_non_null(strstr(json.p, "{\"loop\":\"2100\",\"name\":\"Error Identification\""));
    assert_non_null(strstr(json.p, "{\"id\":\"AK1\",\"pos\":2,\"name\":\"Functional Group Response Header\""));
    assert_non_null(strstr(json.p, "\"IK304\":\"Implementation Segment Syntax Error Code\""));
    hxe_buf_free(&json);
    free(in);
}

static void test_edits_and_errors(void **state)
{
    (void)state;
    size_t len = strlen(FILE1);
    hxe_buf json = HXE_BUF_INIT, out = HXE_BUF_INIT;
    to_json(FILE1, len, &json);
    hxe_err err = {0};

    /* an edited value is written */
    char *s = strdup(json.p);
    char *at = strstr(s, "\"REF1\"");
    assert_non_null(at);
    memcpy(at, "\"REF9\"", 6);
    assert_int_equal(hxe_x12_from_json(s, strlen(s), &out, &err), 0);
    assert_non_null(strstr(out.p, "BHT*0019*00*REF9*"));
    free(s);

    /* a delimiter in a value: refused, the element named, not the value */
    s = strdup(json.p);
    at = strstr(s, "\"REF9\"") ? NULL : strstr(s, "\"REF1\"");
    assert_non_null(at);
    memcpy(at, "\"R*F1\"", 6);
    hxe_buf_truncate(&out, 0);
    assert_int_equal(hxe_x12_from_json(s, strlen(s), &out, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "BHT03"));
    assert_null(strstr(err.msg, "R*F1"));
    free(s);

    /* not JSON; a segment without an id; a key naming another segment */
    const char *bad[] = {"{\"segment\":", "{\"segment\":{\"elements\":{}}}",
                         "{\"segment\":{\"id\":\"NM1\",\"elements\":{\"N301\":\"X\"}}}",
                         "{\"segment\":{\"id\":\"NM1\",\"elements\":{\"NM199999\":\"X\"}}}",
                         "[1]", "{\"segment\":{\"id\":\"NM1\",\"elements\":{\"NM101\":5}}}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char doc[200];
        snprintf(doc, sizeof doc, "\n%s\n", bad[i]);
        hxe_buf_truncate(&out, 0);
        assert_int_equal(hxe_x12_from_json(doc, strlen(doc), &out, &err), HXE_EPARSE);
        assert_non_null(strstr(err.msg, "line 2"));
    }
    /* before any ISA line the default delimiters */
    hxe_buf_truncate(&out, 0);
    const char *seg = "{\"segment\":{\"id\":\"NM1\",\"elements\":{\"NM101\":\"41\",\"NM103\":[\"A\",\"B\"]}}}";
    assert_int_equal(hxe_x12_from_json(seg, strlen(seg), &out, &err), 0);
    assert_string_equal(out.p, "NM1*41**A:B~");
    hxe_buf_free(&out);
    hxe_buf_free(&json);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus),
        cmocka_unit_test(test_shapes),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_edits_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
