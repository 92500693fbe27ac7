/*
 * convert.h — pure maps between standards. Today: HL7 v2 -> FHIR R4,
 * following the HL7 V2-to-FHIR implementation guide, whose mapping tables
 * (data/convert/) are turned into C at build time; and FHIR R4 -> HL7 v2
 * (orders, results, ADT A28/A31), the same maps read backwards.
 *
 * A map is a pure function: no I/O, no clock, no randomness. The same
 * message gives the same Bundle byte for byte (fullUrls are UUID v5 of the
 * message control id and the segment position).
 *
 * Everything a map produces is a jansson json_t the caller owns. A Bundle
 * may share equal parts between its entries (one json_t referenced twice,
 * e.g. the category of lab Observations): json_deep_copy an entry before
 * editing it in place. Issues
 * (unmapped fields, Z-segments, values that cannot be carried) go to the
 * shared hxe_issues list; their texts name places (PID-5, OBX[2]-5),
 * never values from the message.
 */
#ifndef HXE_CONVERT_H
#define HXE_CONVERT_H

#include <jansson.h>

#include "base/base.h"
#include "hl7v2/hl7v2.h"

/* What becomes of what no map reads: valued fields of the segments hxe
 * maps, and whole segments it does not map (Z-segments included). */
enum hxe_conv_unmapped {
    /* an issue for each field (information) and segment (warning),
     * naming the place; the content is not in the Bundle (default) */
    HXE_CONV_UNMAPPED_REPORT = 0,
    /* kept in the Bundle: a field as an HXE_CONV_EXT_FIELD extension on
     * the resource its segment maps to, a segment as an
     * HXE_CONV_EXT_SEGMENT extension on the MessageHeader; one
     * informational issue counts them */
    HXE_CONV_UNMAPPED_EXTENSION = 1,
    /* left out on purpose; one informational issue counts them */
    HXE_CONV_UNMAPPED_DROP = 2
};
/* Complex extensions holding v2 text as written (escapes kept, in
 * UTF-8): v2-field has `place` ("PID[1]-40") and `value`; v2-segment
 * has `segment` ("ZPI"), `position` (1-based in the message) and `value`
 * (the whole segment). */
#define HXE_CONV_EXT_FIELD "http://hxe.dev/fhir/StructureDefinition/v2-field"
#define HXE_CONV_EXT_SEGMENT "http://hxe.dev/fhir/StructureDefinition/v2-segment"

typedef struct hxe_conv_opts {
    /* Offset used for v2 times that carry none ("+00:00", "-05:00").
     * NULL: such times keep only their date (FHIR needs an offset on a
     * time) and an informational issue says so. */
    const char *tz;
    int unmapped;  /* enum hxe_conv_unmapped; 0 = report */
} hxe_conv_opts;

/* "report", "extension", "drop" -> enum hxe_conv_unmapped, or
 * HXE_EINVAL; and back (NULL for a value outside the enum). */
int hxe_conv_unmapped_parse(const char *name);
const char *hxe_conv_unmapped_name(int mode);

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

/* ==== critical results (critical.c) ====
 * An OBX whose OBX-8 holds a code the IG's InterpretationCodes map calls
 * critical (HH, LL, AA), or whose numeric value (OBX-2 NM or SN) is past
 * a limit set for its LOINC code, raises an event. The event names the
 * message, the OBX and the patient and visit by identifier references;
 * it never holds names, values or free text from the message. */
#define HXE_CONV_LIMITS_MAX 100000   /* codes one limits table may hold */

typedef struct hxe_conv_limit {
    char loinc[16];              /* "2823-3" */
    char unit[24];               /* OBX-6.1 the limits are in; "" = any */
    double low, high;            /* critical when value < low or > high */
    unsigned char has_low, has_high;
} hxe_conv_limit;

typedef struct hxe_conv_limits {
    hxe_conv_limit *v;           /* sorted by LOINC code */
    size_t n, cap;
} hxe_conv_limits;

#define HXE_CONV_LIMITS_INIT {NULL, 0, 0}
void hxe_conv_limits_free(hxe_conv_limits *l);
/* Sets the limits of one LOINC code (replacing earlier ones); low or
 * high NULL: no limit on that side; unit NULL or "": any unit. Returns 0,
 * HXE_EINVAL (bad code, no limit, low > high), HXE_ETOOBIG, HXE_ENOMEM. */
int hxe_conv_limits_set(hxe_conv_limits *l, const char *loinc, const double *low,
                        const double *high, const char *unit, hxe_err *err);
/* Reads a limits table: one LOINC code a line, `CODE LOW HIGH [UNIT]`,
 * `-` for no limit on a side, `#` to the end of a line is a comment:
 *     2823-3  2.8  6.2  mmol/L   # potassium
 *     2345-7  40   -             # glucose: a low limit only
 * Returns 0, HXE_EPARSE with err naming the line, HXE_ETOOBIG. */
int hxe_conv_limits_parse(hxe_conv_limits *l, const char *text, size_t n, hxe_err *err);

enum hxe_conv_crit_reason {
    HXE_CONV_CRIT_FLAG = 1,        /* OBX-8 is a critical code (`flag`) */
    HXE_CONV_CRIT_LIMIT_LOW = 2,   /* the value is below its low limit */
    HXE_CONV_CRIT_LIMIT_HIGH = 3   /* the value is above its high limit */
};

typedef struct hxe_conv_critical {
    int reason;                  /* enum hxe_conv_crit_reason */
    char flag[8];                /* the OBX-8 code (reason FLAG), else "" */
    char msg_id[64];             /* MSH-10 */
    unsigned seg_pos;            /* 1-based position of the OBX in the message */
    unsigned obx_seq;            /* 1-based occurrence among the OBX */
    char set_id[16];             /* OBX-1 */
    char loinc[16];              /* the LOINC code of OBX-3, "" when none */
    /* "Patient?identifier=system|value" from PID-3 (else PID-2, PID-4;
     * never PID-19) of the patient the OBX belongs to, and
     * "Encounter?identifier=..." from PV1-19; "" when there is none */
    char patient[320];
    char encounter[320];
} hxe_conv_critical;

typedef struct hxe_conv_criticals {
    hxe_conv_critical *v;
    size_t n, cap;
} hxe_conv_criticals;

#define HXE_CONV_CRITICALS_INIT {NULL, 0, 0}
void hxe_conv_criticals_free(hxe_conv_criticals *l);
/*
 * Appends to out one event per OBX of m that is critical: by OBX-8 first,
 * else by limits (NULL: flags only). OBX-11 W (wrong) and D (deleted)
 * results are skipped. Returns 0 (out may hold none), HXE_ENOMEM.
 */
int hxe_conv_critical_scan(const hxe_hl7_msg *m, const hxe_conv_limits *limits,
                           hxe_conv_criticals *out, hxe_err *err);
/* One line of text for an event ("critical result: message ORU-1, OBX[3]
 * set 3, LOINC 2823-3, flag HH; patient Patient?identifier=...; encounter
 * ..."), appended to out: places, codes and identifiers, never names or
 * values. */
int hxe_conv_critical_text(const hxe_conv_critical *e, hxe_buf *out);
/* The event as a JSON object (the same fields, reason as "flag",
 * "limit-low" or "limit-high"), owned by the caller. */
json_t *hxe_conv_critical_json(const hxe_conv_critical *e);

/* ==== FHIR R4 -> HL7 v2 (fhir_v2*.c) ====
 * The other direction: a Bundle (any type) or a single resource becomes
 * one v2 message, segments ended by \r, values HL7-escaped for the
 * encoding characters |^~\&. References are resolved by fullUrl, by
 * "Type/id" and to contained resources. What FHIR holds and v2 cannot
 * carry, and what v2 requires and FHIR lacks, are issues (warnings and
 * informational notes naming places: "OBX[2]-11", "Observation.status"),
 * never invented data; only MSH takes its values from the options. */
typedef struct hxe_conv_v2_opts {
    /* MSH-3..6 as written in v2, components split by ^ ("LIS^1.2.3^ISO");
     * NULL leaves the field empty */
    const char *sending_app, *sending_facility, *receiving_app, *receiving_facility;
    /* MSH-7, a v2 DTM or a FHIR instant/dateTime. NULL: Bundle.timestamp,
     * else meta.lastUpdated of the main resource, else time_default (a
     * map reads no clock: the caller passes "now" there if it wants it) */
    const char *time, *time_default;
    /* MSH-10. NULL: Bundle.identifier.value, else the Bundle's or main
     * resource's id, else 20 hex digits of a SHA-1 of the input */
    const char *control_id;
    const char *processing_id;  /* MSH-11; NULL: "P" */
    const char *version;        /* MSH-12; NULL: "2.5.1" (the structures written) */
} hxe_conv_v2_opts;

/*
 * Converts in to the v2 message `type` ("ORM^O01", "OML^O21", "ORU^R01",
 * "ADT^A28", "ADT^A31"), appended to out. type NULL chooses: a
 * DiagnosticReport -> ORU^R01, else a ServiceRequest -> ORM^O01, else a
 * Patient -> ADT^A31. Returns 0 (issues say what was not carried),
 * HXE_ENOTFOUND for a type hxe does not write, HXE_EINVAL when the input
 * lacks what the type needs or the choice is ambiguous (err says which,
 * and asks for a type), HXE_ENOMEM.
 */
int hxe_conv_fhir_to_v2(const json_t *in, const char *type, const hxe_conv_v2_opts *opts,
                        hxe_buf *out, hxe_issues *issues, hxe_err *err);

/* Checks a type and options before any input (hxe_conv_fhir_to_v2 does
 * too): 0, HXE_ENOTFOUND for a type hxe does not write, HXE_EINVAL for an
 * option that cannot be right (err names the MSH field). opts may be NULL. */
int hxe_conv_v2_check(const char *type, const hxe_conv_v2_opts *opts, hxe_err *err);

/* FHIR date/dateTime/instant -> v2 DTM (2024-02-13T15:46:01.5-05:00 ->
 * 20240213154601.5-0500, Z -> +0000, fractions cut to 4 digits) into out
 * (>= 32 bytes). Returns 0, HXE_EPARSE when fhir is not a FHIR date/time. */
int hxe_conv_v2_datetime(const char *fhir, char *out, size_t size);

/* The HL7 table 0396 name of a code system URI (the reverse of
 * hxe_conv_system_uri: http://loinc.org -> LN, .../v2-0078 -> HL70078),
 * written into buf; NULL when there is none. */
const char *hxe_conv_system_name(const char *uri, char *buf, size_t size);

/* The IG concept map `map` read backwards: the v2 code that maps to the
 * FHIR code (with this system, when system is not NULL), or NULL. When
 * several do, the one equal to the FHIR code (ignoring case) wins, then
 * one the FHIR code starts with, then the first in v2 order. */
const char *hxe_conv_vocab_v2(const char *map, const char *code, const char *system);

#endif
