/*
 * fhir_v2_fuzzer.c — libFuzzer target for FHIR R4 -> HL7 v2 conversion:
 * any bytes are read as one JSON document (at most 1 MiB, nested at most
 * 64 deep: a resource the way `hxe convert` reads one, or else any JSON
 * value jansson reads, duplicate keys and all, since hxe_conv_fhir_to_v2
 * takes any json_t) and converted to
 * every message type hxe writes, and to the one it chooses. A message hxe
 * writes must parse as HL7 v2 with no segment broken (so no value from
 * FHIR escaped its field), carry the type asked for, and come out the
 * same for the same input: anything else is a bug.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer); replayed over the
 * committed corpus and every crash found so far by `make test`.
 */
#include "convert/convert.h"
#include "fhir/fhir.h"
#include "hl7v2/hl7v2.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_BYTES ((size_t)1 << 20)
#define MAX_DEPTH 64

static const char *const types[] = {"ORM^O01", "OML^O21", "ORU^R01", "ADT^A28", "ADT^A31", NULL};

/* MSH from the options, with a version that turns on 2.6 fields (OBX-21) */
static const hxe_conv_v2_opts full = {
    .sending_app = "LIS^2.16.840.1.113883.3.72^ISO",
    .sending_facility = "LAB",
    .receiving_app = "EHR",
    .receiving_facility = "HOSP",
    .time = "2024-02-13T15:46:01.5-05:00",
    .time_default = "20240101000000",
    .control_id = "CTRL1",
    .processing_id = "T",
    .version = "2.6",
};

/* Deeper than MAX_DEPTH, counting brackets outside strings: jansson's own
 * bound (2048) is deeper than a resource hxe reads. */
static int too_deep(const uint8_t *p, size_t n)
{
    size_t depth = 0;
    int str = 0;
    for (size_t i = 0; i < n; i++) {
        if (str) {
            if (p[i] == '\\')
                i++;
            else if (p[i] == '"')
                str = 0;
        } else if (p[i] == '"') {
            str = 1;
        } else if (p[i] == '[' || p[i] == '{') {
            if (++depth > MAX_DEPTH)
                return 1;
        } else if ((p[i] == ']' || p[i] == '}') && depth) {
            depth--;
        }
    }
    return 0;
}

static json_t *read_json(const uint8_t *data, size_t size)
{
    json_t *r = NULL;
    hxe_fhir_opts o = {MAX_BYTES, MAX_DEPTH};
    if (hxe_fhir_read(&r, (const char *)data, size, &o, NULL) == 0)
        return r;
    if (size > MAX_BYTES || too_deep(data, size))
        return NULL;
    return json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
}

static int value_is(const hxe_hl7_msg *m, const char *path, const char *want, size_t n)
{
    hxe_slice v;
    return hxe_hl7_get_str(m, path, &v) == 0 && v.n == n && memcmp(v.p, want, n) == 0;
}

/* The message in out reads back as HL7 v2 of the type asked for. */
static void check_message(const hxe_buf *out, const char *type)
{
    if (!out->len)
        __builtin_trap(); /* success without a message */
    hxe_arena a;
    hxe_arena_init(&a, 16 * 1024, 64u << 20);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    if (hxe_hl7_parse(&m, &a, out->p, out->len, NULL, &is, NULL) != 0)
        __builtin_trap(); /* hxe wrote a message it cannot read */
    for (size_t i = 0; i < is.n; i++)
        if (is.v[i].reject)
            __builtin_trap(); /* a broken segment id, a second MSH, ... */
    if (type && (!value_is(m, "MSH-9.1", type, 3) || !value_is(m, "MSH-9.2", type + 4, 3)))
        __builtin_trap();
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *in = read_json(data, size);
    if (!in)
        return 0;
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++) {
        /* MSH from the options for half the inputs, from the input else */
        const hxe_conv_v2_opts *o = (size + t) % 2 ? &full : NULL;
        hxe_buf out = HXE_BUF_INIT;
        hxe_issues is = HXE_ISSUES_INIT;
        int rc = hxe_conv_fhir_to_v2(in, types[t], o, &out, &is, NULL);
        if (rc > 0 || rc == HXE_ENOTFOUND)
            __builtin_trap(); /* every type here is one hxe writes */
        if (rc == 0) {
            check_message(&out, types[t]);
            if (!types[t]) {
                /* a map is pure: the same input gives the same bytes */
                hxe_buf again = HXE_BUF_INIT;
                hxe_issues is2 = HXE_ISSUES_INIT;
                if (hxe_conv_fhir_to_v2(in, NULL, o, &again, &is2, NULL) != 0 ||
                    again.len != out.len || memcmp(again.p, out.p, out.len) != 0)
                    __builtin_trap();
                hxe_buf_free(&again);
                hxe_issues_free(&is2);
            }
        }
        hxe_buf_free(&out);
        hxe_issues_free(&is);
    }
    json_decref(in);
    return 0;
}
