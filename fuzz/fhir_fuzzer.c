/*
 * fhir_fuzzer.c — libFuzzer target for the FHIR codec: read with limits,
 * validate against the base definitions and any declared US Core
 * profiles (and explicitly against the US Core patient and lab profiles),
 * the OperationOutcome, path access and edits, and canonical writing.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer); replayed over the
 * committed corpus and every crash found so far by `make test`.
 */
#include "fhir/fhir.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {"Patient.name[0].family", "Observation.code.coding[1].system",
                                    "Bundle.entry[2].resource", "value", "contained[0].id",
                                    "meta.profile[0]", "a.b[3].c"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *r = NULL;
    hxe_fhir_opts o = {1u << 20, 32};
    if (hxe_fhir_read(&r, (const char *)data, size, &o, NULL))
        return 0;
    hxe_issues is = HXE_ISSUES_INIT;
    const char *profs[] = {"http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient",
                           "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-lab"};
    hxe_fhir_vopts vo = {profs, 2, 0, 200};
    (void)hxe_fhir_validate(r, NULL, &is, NULL);
    (void)hxe_fhir_validate(r, &vo, &is, NULL);
    json_t *oo = NULL;
    if (hxe_fhir_outcome(&oo, &is) == 0)
        json_decref(oo);
    hxe_buf out = HXE_BUF_INIT;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        json_t *v;
        (void)hxe_fhir_get(r, paths[i], &v, NULL);
        (void)hxe_fhir_get_str(r, paths[i]);
    }
    (void)hxe_fhir_set_str(r, "name[1].given[0]", "x", NULL);
    (void)hxe_fhir_remove(r, "id", NULL);
    /* what is written reads back and writes the same bytes */
    if (hxe_fhir_write(r, 0, &out) == 0) {
        json_t *r2 = NULL;
        hxe_buf out2 = HXE_BUF_INIT;
        if (hxe_fhir_read(&r2, out.p, out.len, NULL, NULL) == 0 && hxe_fhir_write(r2, 0, &out2) == 0 &&
            (out2.len != out.len || memcmp(out.p, out2.p, out.len)))
            __builtin_trap();
        json_decref(r2);
        hxe_buf_free(&out2);
    }
    hxe_buf_free(&out);
    hxe_issues_free(&is);
    json_decref(r);
    return 0;
}
