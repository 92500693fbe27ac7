/*
 * convert.h — pure maps between standards. Today: HL7 v2 -> FHIR R4,
 * following the HL7 V2-to-FHIR implementation guide, whose mapping tables
 * (data/convert/) are turned into C at build time.
 *
 * A map is a pure function: no I/O, no clock, no randomness. The same
 * message gives the same Bundle byte for byte (fullUrls are UUID v5 of the
 * message control id and the segment position).
 *
 * Everything a map produces is a jansson json_t the caller owns. Issues
 * (unmapped fields, Z-segments, values that cannot be carried) go to the
 * shared hxe_issues list; their texts name places (PID-5, OBX[2]-5),
 * never values from the message.
 */
#ifndef HXE_CONVERT_H
#define HXE_CONVERT_H

#include <jansson.h>

#include "base/base.h"
#include "hl7v2/hl7v2.h"

typedef struct hxe_conv_opts {
    /* Offset used for v2 times that carry none ("+00:00", "-05:00").
     * NULL: such times keep only their date (FHIR needs an offset on a
     * time) and an informational issue says so. */
    const char *tz;
    unsigned flags;  /* reserved, 0 */
} hxe_conv_opts;

/* 1 when hxe converts this message type (MSH-9), else 0. */
int hxe_conv_v2_supported(const hxe_hl7_msg *m);

/*
 * Converts one parsed v2 message to a FHIR transaction Bundle (*out, owned
 * by the caller). Returns 0 (issues may hold warnings and informational
 * notes about what was not mapped), HXE_ENOTFOUND with err set for a
 * message type hxe does not convert, HXE_EINVAL for a message without the
 * segments its type needs (err names it), HXE_ENOMEM.
 */
int hxe_conv_v2_to_fhir(const hxe_hl7_msg *m, const hxe_conv_opts *opts, json_t **out,
                        hxe_issues *issues, hxe_err *err);

/* ---- data-type maps (each returns a new json_t, NULL when the value is
 * empty); raw is one repetition as written in the message ---- */
json_t *hxe_conv_identifier(const hxe_hl7_msg *m, hxe_slice cx);      /* CX -> Identifier */
json_t *hxe_conv_ei(const hxe_hl7_msg *m, hxe_slice ei);              /* EI -> Identifier */
json_t *hxe_conv_human_name(const hxe_hl7_msg *m, hxe_slice xpn);     /* XPN -> HumanName */
json_t *hxe_conv_address(const hxe_hl7_msg *m, hxe_slice xad);        /* XAD -> Address */
json_t *hxe_conv_contact_point(const hxe_hl7_msg *m, hxe_slice xtn);  /* XTN -> ContactPoint */
json_t *hxe_conv_codeable(const hxe_hl7_msg *m, hxe_slice cwe);       /* CWE/CE/CNE -> CodeableConcept */
json_t *hxe_conv_practitioner(const hxe_hl7_msg *m, hxe_slice xcn);   /* XCN -> Practitioner */
json_t *hxe_conv_organization(const hxe_hl7_msg *m, hxe_slice xon, int is_hd); /* XON/HD -> Organization */
/* OBX-5 of value type vt (OBX-2) with units (OBX-6) -> the Observation
 * value[x]; *key is set to the element name ("valueQuantity", ...). */
json_t *hxe_conv_obs_value(const hxe_hl7_msg *m, const char *vt, hxe_slice value,
                           hxe_slice units, const char **key);

/* DTM/TS/DT -> FHIR date or dateTime: YYYY, YYYY-MM, YYYY-MM-DD, or
 * YYYY-MM-DDThh:mm:ss[.fff]+hh:mm (missing minutes/seconds are 00). A time
 * without an offset takes tz, or is cut to its date when tz is NULL.
 * Returns 0, 1 when the time was cut to a date, HXE_EPARSE when v2 is not
 * a valid DTM, HXE_ETOOBIG when out (>= 40 bytes suffices) is too small. */
int hxe_conv_datetime(const char *v2, size_t n, const char *tz, char *out, size_t size);

/* The FHIR code system URI of an HL7 table 0396 name (LN, SCT, I10, UCUM,
 * HL70078 ...), written into buf; NULL when unknown. */
const char *hxe_conv_system_uri(const char *name, size_t n, char *buf, size_t size);

/* The IG concept map `map` (AdministrativeSex, InterpretationCodes, ...)
 * applied to a v2 code: 0 and the FHIR code/display/system, or
 * HXE_ENOTFOUND. Outputs may be NULL. */
int hxe_conv_vocab(const char *map, const char *v2, size_t n, const char **code,
                   const char **display, const char **system);

/* 1 when the IG maps this field of a segment map ("PID[Patient]", "PID-5")
 * or component of a data-type map ("CX[Identifier]", "CX.1"), 0 when it
 * lists it unmapped, -1 when it does not list it. */
int hxe_conv_ig_maps(const char *map, const char *id);

#endif
