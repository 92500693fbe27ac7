/*
 * hl7v2_fuzzer.c — libFuzzer target for the HL7 v2 codec: the stream
 * reader, parse, validation, path access, decoding, edits, writing and
 * ACK building, on any bytes.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer); replayed over the
 * committed corpus and every crash found so far by `make test`.
 */
#include "hl7v2/hl7v2.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {"MSH-9", "MSH-1", "MSH-2", "PID-5.1", "PID-3[2].1",
                                    "OBX[3]-5", "PID-5.1.2", "OBX-5", "MSH-18", "ZZZ-1"};

static void exercise(hxe_arena *a, const char *p, size_t n)
{
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    hxe_buf out = HXE_BUF_INIT;
    int rc = hxe_hl7_parse(&m, a, p, n, NULL, &issues, NULL);
    if (rc == 0) {
        hxe_hl7_validate(m, NULL, &issues);
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            hxe_hl7_path path;
            hxe_slice v;
            hxe_hl7_path_parse(&path, paths[i], strlen(paths[i]), NULL);
            if (hxe_hl7_get(m, &path, &v) == 0)
                (void)hxe_hl7_get_text(m, &path, &out);
            (void)hxe_hl7_count(m, &path);
        }
        (void)hxe_hl7_to_json(m, HXE_HL7_JSON_TEXT, &out);
        hxe_buf_truncate(&out, 0);
        /* the unmodified message writes back byte for byte */
        if (hxe_hl7_write(m, &out) == 0 && (out.len != m->raw_len || memcmp(out.p, m->raw, out.len)))
            __builtin_trap();
        hxe_hl7_path path;
        hxe_hl7_path_parse(&path, "PID-5[2].3.2", 12, NULL);
        (void)hxe_hl7_set(m, &path, "a|b^c&d~e\\f", 11, HXE_HL7_SET_TEXT, NULL);
        hxe_hl7_path_parse(&path, "OBX-3.2", 7, NULL);
        (void)hxe_hl7_insert(m, &path, "x", 1, HXE_HL7_SET_TEXT, NULL);
        hxe_hl7_path_parse(&path, "PV1-2", 5, NULL);
        (void)hxe_hl7_delete(m, &path, NULL);
        hxe_buf_truncate(&out, 0);
        (void)hxe_hl7_write(m, &out);
    }
    hxe_buf_truncate(&out, 0);
    (void)hxe_hl7_ack(rc == 0 ? m : NULL, p, n, &issues, NULL, &out);
    hxe_buf_free(&out);
    hxe_issues_free(&issues);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hxe_arena a;
    hxe_arena_init(&a, 16 * 1024, 64u << 20);
    hxe_issues batch = HXE_ISSUES_INIT;
    hxe_hl7_reader r;
    hxe_hl7_reader_init(&r, (const char *)data, size, &batch);
    hxe_slice unit;
    size_t off;
    int kind, guard = 0;
    while ((kind = hxe_hl7_reader_next(&r, &unit, &off)) != HXE_HL7_UNIT_END && guard++ < 10000) {
        if (kind == HXE_HL7_UNIT_MESSAGE)
            exercise(&a, unit.p, unit.n);
        hxe_arena_reset(&a);
    }
    /* and the whole input as one message */
    exercise(&a, (const char *)data, size);
    hxe_arena_free(&a);
    hxe_issues_free(&batch);
    return 0;
}
