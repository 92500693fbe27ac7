/*
 * convert_fuzzer.c — libFuzzer target for HL7 v2 -> FHIR conversion: any
 * bytes are read as a stream of messages; each readable one is converted,
 * the Bundle validated and written. A Bundle hxe produces must validate
 * with zero errors, whatever the input: anything else is a bug.
 */
#include "convert/convert.h"
#include "fhir/fhir.h"
#include "hl7v2/hl7v2.h"

#include <jansson.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    hxe_arena a;
    hxe_arena_init(&a, 16 * 1024, 64u << 20);
    hxe_hl7_reader r;
    hxe_hl7_reader_init(&r, (const char *)data, size, NULL);
    hxe_slice unit;
    int kind, guard = 0;
    while ((kind = hxe_hl7_reader_next(&r, &unit, NULL)) != HXE_HL7_UNIT_END && guard++ < 64) {
        if (kind != HXE_HL7_UNIT_MESSAGE)
            continue;
        hxe_issues is = HXE_ISSUES_INIT;
        hxe_hl7_msg *m = NULL;
        json_t *b = NULL;
        hxe_conv_opts o = {guard % 2 ? "+00:00" : NULL, 0};
        if (hxe_hl7_parse(&m, &a, unit.p, unit.n, NULL, &is, NULL) == 0 &&
            hxe_conv_v2_to_fhir(m, &o, &b, &is, NULL) == 0) {
            hxe_issues vi = HXE_ISSUES_INIT;
            if (hxe_fhir_validate(b, NULL, &vi, NULL) == 0 && vi.errors > 0)
                __builtin_trap(); /* hxe produced an invalid Bundle */
            hxe_buf out = HXE_BUF_INIT;
            if (hxe_fhir_write(b, 0, &out) != 0 && out.len)
                __builtin_trap();
            hxe_buf_free(&out);
            hxe_issues_free(&vi);
        }
        json_decref(b);
        hxe_issues_free(&is);
        hxe_arena_reset(&a);
    }
    hxe_arena_free(&a);
    return 0;
}
