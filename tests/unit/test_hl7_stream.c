/*
 * test_hl7_stream.c — many messages in one buffer: streams, interface
 * logs with MLLP framing bytes, and FHS/BHS/BTS/FTS batches with counts.
 */
#include "helpers/testutil.h"

#include <string.h>

#define M1 "MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5.1\rPID|1\r"
#define M2 "MSH|^~\\&|A|B|C|D|2024||ADT^A08|2|P|2.5.1\nPID|2\n"

static size_t read_all(const char *in, size_t n, hxe_slice *units, int *kinds, size_t max,
                       hxe_issues *batch)
{
    hxe_hl7_reader r;
    hxe_hl7_reader_init(&r, in, n, batch);
    size_t c = 0;
    hxe_slice u;
    int k;
    while ((k = hxe_hl7_reader_next(&r, &u, NULL)) != HXE_HL7_UNIT_END && c < max) {
        units[c] = u;
        kinds[c++] = k;
    }
    return c;
}

static void splits_a_stream_byte_for_byte(void **state)
{
    (void)state;
    const char *in = M1 M2 "\r\n" M1;
    hxe_slice u[8];
    int k[8];
    hxe_issues is = HXE_ISSUES_INIT;
    assert_int_equal(read_all(in, strlen(in), u, k, 8, &is), 3);
    assert_int_equal(k[0], HXE_HL7_UNIT_MESSAGE);
    assert_int_equal(u[0].n, strlen(M1));
    assert_memory_equal(u[0].p, M1, u[0].n);
    assert_int_equal(u[1].n, strlen(M2) + 2);
    assert_memory_equal(u[2].p, M1, strlen(M1));
    assert_int_equal(is.n, 0);
    hxe_issues_free(&is);
}

static void skips_mllp_framing(void **state)
{
    (void)state;
    const char *in = "\x0b" M1 "\x1c\r\x0b" M2 "\x1c\r";
    hxe_slice u[8];
    int k[8];
    assert_int_equal(read_all(in, strlen(in), u, k, 8, NULL), 2);
    assert_int_equal(u[0].n, strlen(M1));
    assert_memory_equal(u[1].p, M2, strlen(M2));
}

static void reports_junk(void **state)
{
    (void)state;
    const char *in = "hello there\r" M1 "PID|orphan\x1c\rEVN|x\r";
    hxe_slice u[8];
    int k[8];
    assert_int_equal(read_all(in, strlen(in), u, k, 8, NULL), 3);
    assert_int_equal(k[0], HXE_HL7_UNIT_JUNK);
    assert_int_equal(k[1], HXE_HL7_UNIT_MESSAGE);
    assert_int_equal(k[2], HXE_HL7_UNIT_JUNK);
    assert_memory_equal(u[2].p, "EVN|x", 5);
}

static void checks_batch_counts(void **state)
{
    (void)state;
    hxe_slice u[8];
    int k[8];
    hxe_issues is = HXE_ISSUES_INIT;
    const char *ok = "FHS|^~\\&|A\rBHS|^~\\&|A\r" M1 M1 "BTS|2\rBHS|^~\\&\r" M1 "BTS|1\rFTS|2\r";
    assert_int_equal(read_all(ok, strlen(ok), u, k, 8, &is), 3);
    assert_int_equal(is.n, 0);

    const char *bad_bts = "BHS|^~\\&\r" M1 "BTS|2\r";
    assert_int_equal(read_all(bad_bts, strlen(bad_bts), u, k, 8, &is), 1);
    assert_int_equal(is.n, 1);
    assert_non_null(strstr(is.v[0].text, "BTS-1"));
    assert_int_equal(is.v[0].reject, 1);
    hxe_issues_clear(&is);

    const char *bad_fts = "FHS|^~\\&\rBHS|^~\\&\rBTS|0\rFTS|3\r";
    assert_int_equal(read_all(bad_fts, strlen(bad_fts), u, k, 8, &is), 0);
    assert_int_equal(is.n, 1);
    assert_non_null(strstr(is.v[0].text, "FTS-1"));
    hxe_issues_clear(&is);

    const char *no_trailers = "FHS|^~\\&\rBHS|^~\\&\r" M1;
    assert_int_equal(read_all(no_trailers, strlen(no_trailers), u, k, 8, &is), 1);
    assert_int_equal(is.n, 2);
    hxe_issues_clear(&is);

    const char *orphans = "BTS|1\rFTS|1\r";
    read_all(orphans, strlen(orphans), u, k, 8, &is);
    assert_int_equal(is.n, 2);
    hxe_issues_clear(&is);

    const char *mixed_enc = "BHS|^~\\&\rMSH|^~&|A\rBTS|1\r";
    read_all(mixed_enc, strlen(mixed_enc), u, k, 8, &is);
    assert_int_equal(is.n, 1);
    assert_non_null(strstr(is.v[0].text, "BHS-2"));
    hxe_issues_free(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splits_a_stream_byte_for_byte),
        cmocka_unit_test(skips_mllp_framing),
        cmocka_unit_test(reports_junk),
        cmocka_unit_test(checks_batch_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
