/*
 * x12_fuzzer.c — libFuzzer target for the X12 codec: the reader
 * (tokenizer and envelopes), the whole-file parse and its byte-for-byte
 * write, writing with other delimiters, loop parsing, validation and
 * JSON, the 999/TA1 builder (whose output must read back without
 * envelope errors) and the matching of answers to sent sets, on any
 * bytes.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer); replayed over the
 * committed corpus and every crash found so far by `make test`.
 */
#include "x12/x12.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    hxe_arena a;
    hxe_arena_init(&a, 16 * 1024, 64u << 20);
    hxe_issues env = HXE_ISSUES_INIT, is = HXE_ISSUES_INIT;
    hxe_buf out = HXE_BUF_INIT;

    /* streaming, one set at a time */
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, p, size, NULL, &env);
    hxe_x12_set *s;
    int k, guard = 0;
    while ((k = hxe_x12_reader_next(&r, &a, &s, &is, NULL)) > 0 && guard++ < 10000) {
        if (k == HXE_X12_UNIT_SET) {
            (void)hxe_x12_parse_loops(s, &a, NULL, &is);
            hxe_x12_validate_opts vo = {0, 0};
            (void)hxe_x12_validate(s, &vo, &is);
            hxe_buf_truncate(&out, 0);
            (void)hxe_x12_set_to_json(s, &out);
            for (size_t i = 0; i < s->nseg && i < 4; i++)
                (void)hxe_x12_component(&s->segs[i], &s->d, 1, 2, 2);
        }
        hxe_issues_clear(&is);
        hxe_arena_reset(&a);
    }

    /* the whole file: writes back byte for byte */
    hxe_x12_file *f = NULL;
    if (hxe_x12_parse(&f, &a, p, size, NULL, &env, NULL) == 0) {
        hxe_buf_truncate(&out, 0);
        if (hxe_x12_write(f, NULL, 0, &out, NULL) == 0 &&
            (out.len != size || (size && memcmp(out.p, p, size) != 0)))
            __builtin_trap();
        hxe_x12_delims d = {'|', '`', '>', '\n'};
        hxe_buf_truncate(&out, 0);
        (void)hxe_x12_write(f, &d, 1, &out, NULL);
    }

    /* acknowledgments: what we write must read back as clean envelopes */
    hxe_x12_ack_opts ao;
    memset(&ao, 0, sizeof ao);
    memcpy(ao.date, "20240103", 9);
    memcpy(ao.time, "0915", 5);
    ao.flags = size && (data[0] & 1) ? HXE_X12_ACK_COPY_BAD_DATA : 0;
    hxe_x12_ack_seq seq = {1, 1, 1};
    hxe_buf_truncate(&out, 0);
    if (hxe_x12_acknowledge(p, size, &ao, &seq, &out, NULL, NULL) == 0 && out.len) {
        hxe_issues ack_env = HXE_ISSUES_INIT;
        hxe_x12_reader ar;
        hxe_x12_reader_init(&ar, out.p, out.len, NULL, &ack_env);
        while ((k = hxe_x12_reader_next(&ar, &a, &s, &is, NULL)) > 0) {
            if (is.errors)
                __builtin_trap();
            hxe_arena_reset(&a);
        }
        if (k < 0 || ack_env.errors)
            __builtin_trap();
        hxe_issues_free(&ack_env);
        /* the input as what we sent, the 999s as its answers */
        hxe_x12_sent st = HXE_X12_SENT_INIT;
        hxe_x12_answers an = HXE_X12_ANSWERS_INIT;
        if (hxe_x12_sent_add_x12(&st, p, size, NULL) == 0)
            (void)hxe_x12_match(&st, out.p, out.len, &an, NULL);
        hxe_x12_answers_free(&an);
        hxe_x12_sent_free(&st);
    }

    hxe_buf_free(&out);
    hxe_issues_free(&env);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
    return 0;
}
