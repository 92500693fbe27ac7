/*
 * internal.h — what the files of convert/ share: the conversion context,
 * v2 value access (components, repetitions, decoded text), small jansson
 * helpers, Bundle entries with deterministic ids, and the segment maps.
 */
#ifndef HXE_CONVERT_INTERNAL_H
#define HXE_CONVERT_INTERNAL_H

#include <stdint.h>

#include "convert/convert.h"
#include "convert/tables.h"

#define CV_URL 48   /* "urn:uuid:" + 36 + NUL */
#define CV_MAXF 256 /* fields tracked per segment */

#define US_CORE "http://hl7.org/fhir/us/core/StructureDefinition/"
#define V2_CS "http://terminology.hl7.org/CodeSystem/v2-"

typedef struct cv {
    const hxe_hl7_msg *m;
    const char *tz;
    hxe_issues *is;
    json_t *bundle;             /* the Bundle being built */
    json_t *entries;            /* its entry array (owned by the Bundle) */
    char key[200];              /* message key the UUIDs derive from */
    char msgtype[8];            /* ADT_A01, ORU_R01 ... (structure) */
    size_t seg;                 /* index of the segment being mapped */
    unsigned seq;               /* its occurrence among segments of its id */
    uint8_t used[CV_MAXF];      /* fields of that segment a map read */
    char patient[CV_URL], encounter[CV_URL], header[CV_URL];
    char sr[CV_URL], dr[CV_URL], obs[CV_URL], spec[CV_URL], imm[CV_URL];
    json_t *patient_res, *encounter_res, *sr_res, *dr_res, *obs_res, *imm_res; /* borrowed */
    json_t *group_obs;          /* Observations of the current order group (owned array of borrowed) */
    json_t *orc_ids;            /* VXU: identifiers from the ORC before an RXA (owned) */
    int orc_open;               /* an ORC started a group no OBR has joined yet */
    json_t *notes_target;       /* where NTE goes (borrowed), NULL: nowhere */
    unsigned nent;              /* entries added */
} cv;

/* ---- v2 values (util.c) ---- */
hxe_slice cv_comp(const hxe_hl7_msg *m, hxe_slice v, unsigned c);
hxe_slice cv_sub(const hxe_hl7_msg *m, hxe_slice v, unsigned s);
hxe_slice cv_rep(const hxe_hl7_msg *m, hxe_slice v, unsigned r);
size_t cv_nrep(const hxe_hl7_msg *m, hxe_slice v);
int cv_empty(hxe_slice v);
/* decoded, trimmed text as a JSON string; NULL when empty (or "") */
json_t *cv_jstr(const hxe_hl7_msg *m, hxe_slice raw);
/* decoded trimmed text into buf (truncated); returns its length */
size_t cv_cpy(const hxe_hl7_msg *m, hxe_slice raw, char *buf, size_t size);
json_t *cv_jdate(const hxe_hl7_msg *m, hxe_slice raw, const char *tz, int date_only);
/* full instant (seconds and offset) or NULL */
json_t *cv_jinstant(const hxe_hl7_msg *m, hxe_slice raw, const char *tz);
/* o[k] = v when v is not NULL (takes the reference) */
void cv_set(json_t *o, const char *k, json_t *v);
/* appends v to the array o[k], creating it (takes the reference) */
void cv_push(json_t *o, const char *k, json_t *v);
json_t *cv_coding(const char *system, const char *code, const char *display);
json_t *cv_cc1(const char *system, const char *code, const char *display);
json_t *cv_ref(const char *url);
json_t *cv_vocab_cc(const hxe_hl7_msg *m, const char *map, hxe_slice cwe);
/* percent-encodes s for a search URL value */
void cv_urlenc(const char *s, char *out, size_t size);
/* "identifier=system|value" search for an Identifier, into out; 0 or -1 */
int cv_ident_query(const json_t *ident, char *out, size_t size);

/* ---- the context (bundle.c) ---- */
/* field f of the current segment, marked as read */
hxe_slice cv_f(cv *c, unsigned f);
void cv_mark(cv *c, unsigned f);
/* adds resource res (reference taken) as an entry: fullUrl from the
 * current segment, `salt` telling resources of one segment apart. With an
 * identifier query: PUT Type?query when put, else POST + ifNoneExist.
 * The fullUrl is written to url (CV_URL bytes) when not NULL. */
json_t *cv_add(cv *c, json_t *res, const char *salt, const char *query, int put, char *url);
/* field f of the current segment (first repetition, first component) as
 * a dateTime (kind 0), date (1) or instant (2); NULL when empty or not
 * expressible, with an issue saying why */
json_t *cv_when(cv *c, unsigned f, int kind);
void cv_issue(cv *c, int sev, unsigned field, const char *fmt, ...) HXE_PRINTF(4, 5);
/* reports the valued fields of the current segment no map read */
void cv_unmapped(cv *c, const char *segmap);
/* Practitioner / Organization entries for an XCN / XON / HD value;
 * reference object or NULL */
json_t *cv_practitioner_ref(cv *c, hxe_slice xcn, const char *salt);
json_t *cv_org_ref(cv *c, hxe_slice v, int is_hd, const char *salt);

/* ---- segment maps (seg_*.c): each maps the segment c->seg ---- */
int cv_msh(cv *c);
int cv_pid(cv *c);
int cv_pd1(cv *c);
int cv_nk1(cv *c);
int cv_mrg(cv *c);
int cv_pv1(cv *c);
int cv_pv2(cv *c);
int cv_al1(cv *c);
int cv_dg1(cv *c);
int cv_in1(cv *c);
int cv_orc(cv *c);
int cv_obr(cv *c);
int cv_obx(cv *c);
int cv_nte(cv *c);
int cv_spm(cv *c);
int cv_rxa(cv *c);
int cv_rxr(cv *c);
/* finishes the resources the segments left open (status defaults, US
 * Core claims) before the Bundle is handed out */
void cv_finish(cv *c);

#endif
