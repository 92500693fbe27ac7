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
#define CV_SEEN 32  /* actors remembered per message (more are simply rebuilt) */

#define US_CORE "http://hl7.org/fhir/us/core/StructureDefinition/"
#define V2_CS "http://terminology.hl7.org/CodeSystem/v2-"

/* a SHA-1 in progress (bundle.c: UUID v5) */
typedef struct cv_sha1 {
    uint32_t h[5];
    unsigned char buf[64];
    size_t nbuf;
    uint64_t bits;
} cv_sha1;

typedef struct cv {
    const hxe_hl7_msg *m;
    const char *tz;
    hxe_issues *is;
    json_t *bundle;             /* the Bundle being built */
    json_t *entries;            /* its entry array (owned by the Bundle) */
    json_t *qidx;               /* "Type?query" -> index of its conditional entry (owned) */
    char key[200];              /* message key the UUIDs derive from */
    cv_sha1 keyh;               /* SHA-1 of the namespace and "key|": each UUID starts there */
    char msgtype[8];            /* ADT_A01, ORU_R01 ... (structure) */
    size_t seg;                 /* index of the segment being mapped */
    unsigned seq;               /* its occurrence among segments of its id */
    uint8_t used[CV_MAXF];      /* fields of that segment a map read */
    hxe_slice fld[CV_MAXF];     /* its fields 0..nfld-1, split once */
    unsigned nfld;
    char patient[CV_URL], encounter[CV_URL], header[CV_URL];
    char sr[CV_URL], dr[CV_URL], obs[CV_URL], spec[CV_URL], imm[CV_URL];
    json_t *patient_res, *encounter_res, *sr_res, *dr_res, *obs_res, *imm_res; /* borrowed */
    json_t *group_obs;          /* Observations of the current order group (owned array of borrowed) */
    json_t *orc_ids;            /* VXU: identifiers from the ORC before an RXA (owned) */
    int orc_open;               /* an ORC started a group no OBR has joined yet */
    json_t *notes_target;       /* where NTE goes (borrowed), NULL: nowhere */
    unsigned nent;              /* entries added */
    /* the resource the current segment maps to (borrowed): where its
     * unmapped fields go as extensions; NULL: the MessageHeader */
    json_t *seg_res, *header_res;
    int unmapped;               /* enum hxe_conv_unmapped */
    unsigned n_fields, n_segs;  /* unmapped content kept or dropped */
    /* ORU/OML: the OBR of the current group, for its Specimen (OBR[Specimen])
     * when no SPM follows; 0 when there is none to make */
    size_t obr_seg;
    unsigned obr_seq;
    int group_spm;              /* an SPM came in the current group */
    json_t *appt_res, *doc_res; /* SIU Appointment, MDM DocumentReference (borrowed) */
    char appt[CV_URL], doc[CV_URL];
    hxe_buf doc_text;           /* MDM: TX/FT/ST lines of the document */
    char doc_text_type[40];     /* their contentType */
    /* Practitioners and Organizations already resolved, by their value as
     * written (bundle.c): the same XCN comes back on every OBX of a
     * result, and making the resource only to find it equal to an entry
     * it repeats was the dearest part of a conversion */
    struct cv_seen {
        char kind;              /* 'P' XCN, 'O' XON, 'H' HD */
        hxe_slice raw;          /* into the message */
        char url[CV_URL];       /* the entry's fullUrl */
        json_t *display;        /* the reference's display (owned), or NULL */
    } seen[CV_SEEN];
    unsigned nseen;
    /* what every laboratory Observation of a message holds alike (its
     * category and meta): made once and shared by reference, as no map
     * edits them once set (owned) */
    json_t *lab_cat, *lab_meta;
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
/* parts[0..n) joined into out (size > 0), cut to fit as snprintf would;
 * returns the length written. Cheaper than snprintf for the strings made
 * for every entry and note. */
size_t cv_join(char *out, size_t size, const char *const *parts, size_t n);
/* v in decimal into buf (CV_UINT bytes); returns where the digits start */
#define CV_UINT 24
const char *cv_utoa(char *buf, size_t v);
/* percent-encodes s for a search URL value */
void cv_urlenc(const char *s, char *out, size_t size);
/* "identifier=system|value" search for an Identifier, into out; 0 or -1 */
int cv_ident_query(const json_t *ident, char *out, size_t size);

/* ---- UUID v5 (uuid.c) ---- */
/* s = SHA-1 state after hxe's namespace; then add the name in parts */
void cv_uuid5_start(cv_sha1 *s);
void cv_sha1_update(cv_sha1 *s, const void *data, size_t n);
/* "urn:uuid:..." of the state (CV_URL bytes; s is used up) */
void cv_uuid5_of(cv_sha1 *s, char *out);
void cv_uuid5(const char *name, size_t n, char *out);

/* ---- the context (bundle.c) ---- */
/* field f of the current segment, marked as read */
hxe_slice cv_f(cv *c, unsigned f);
void cv_mark(cv *c, unsigned f);
/* adds resource res (reference taken) as an entry: fullUrl from the
 * current segment, `salt` telling resources of one segment apart. With an
 * identifier query: PUT Type?query when put, else POST + ifNoneExist.
 * The fullUrl is written to url (CV_URL bytes) when not NULL. */
json_t *cv_add(cv *c, json_t *res, const char *salt, const char *query, int put, char *url);
/* the entry at index `at` is conditional on "Type?query" u; whether an
 * entry is */
void cv_indexed(cv *c, const char *u, size_t at);
int cv_is_indexed(const cv *c, const char *u);
/* field f of the current segment (first repetition, first component) as
 * a dateTime (kind 0), date (1) or instant (2); NULL when empty or not
 * expressible, with an issue saying why */
json_t *cv_when(cv *c, unsigned f, int kind);
void cv_issue(cv *c, int sev, unsigned field, const char *fmt, ...) HXE_PRINTF(4, 5);
/* the same with the text given as n parts, joined (the frequent notes
 * are made this way: no format to read) */
void cv_issue_text(cv *c, int sev, unsigned field, const char *const *parts, size_t n);
/* reports, keeps or drops the valued fields of the current segment no
 * map read (unmapped.c) */
void cv_unmapped(cv *c, const char *segmap);
/* Practitioner / Organization entries for an XCN / XON / HD value;
 * reference object or NULL */
json_t *cv_practitioner_ref(cv *c, hxe_slice xcn, const char *salt);
json_t *cv_org_ref(cv *c, hxe_slice v, int is_hd, const char *salt);
/* forgets the actors remembered for the message (cv_finish) */
void cv_seen_clear(cv *c);

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
/* ORU/OML: makes the OBR[Specimen] of the group that ends, if due */
void cv_obr_specimen(cv *c);

/* ---- more v2 value helpers (util.c) ---- */
/* the raw v2 text (escapes kept) as a valid FHIR string, NULL if empty */
json_t *cv_jraw(const hxe_hl7_msg *m, hxe_slice raw);
/* the first identifier of res that gives a search query, else NULL */
const char *cv_first_query(json_t *res, char *q, size_t size);
/* coding[0].system = sys where the first coding has none */
void cv_default_system(json_t *cc, const char *sys);
/* {key: v} and [v], taking v (NULL when v is NULL); meta.profile = [url] */
json_t *cv_obj(const char *key, json_t *v);
json_t *cv_arr1(json_t *v);
void cv_profile(json_t *res, const char *url);
/* n bytes as a base64 JSON string (value.c), NULL when n is 0 */
json_t *cv_base64(const char *s, size_t n);
/* an ED (OBX-5) as an Attachment (value.c), NULL when it has no data */
json_t *cv_attachment(const hxe_hl7_msg *m, hxe_slice ed);

/* ---- places and roles (actors.c) ---- */
/* PL -> Location entries (facility, building, floor, point of care,
 * room, bed, each partOf the one before); a reference to the most
 * specific one, with the levels as display, or NULL */
json_t *cv_location_ref(cv *c, hxe_slice pl, const char *salt);
/* XCN -> PractitionerRole with the Practitioner, and the Organization of
 * xon (XON, address xad, phone xtn; all may be empty); reference or NULL */
json_t *cv_role_ref(cv *c, hxe_slice xcn, hxe_slice xon, hxe_slice xad, hxe_slice xtn,
                    const char *salt);

/* ---- what no map reads (unmapped.c) ---- */
/* a whole segment hxe does not map (Z-segment when z) */
void cv_unmapped_segment(cv *c, int z, int ig_maps);
/* the one note that counts what was kept or dropped */
void cv_unmapped_done(cv *c);

/* ---- segment maps for scheduling, documents, charges ---- */
int cv_sch(cv *c);              /* seg_sched.c: SIU -> Appointment */
int cv_ais(cv *c);
int cv_aig(cv *c);
int cv_ail(cv *c);
int cv_aip(cv *c);
int cv_rgs(cv *c);
void cv_appt_finish(cv *c);     /* the patient joins; app-3 checked */
int cv_txa(cv *c);              /* seg_doc.c: MDM -> DocumentReference */
int cv_obx_doc(cv *c);
void cv_doc_finish(cv *c);
int cv_ft1(cv *c);              /* seg_fin.c: DFT -> ChargeItem, Procedure */
int cv_pr1(cv *c);

/* ==== FHIR R4 -> HL7 v2 (fhir_v2*.c) ==== */
#define FV_MAXSEG 10000 /* segments one message may get */

enum fv_kind { FV_ORM, FV_OML, FV_ORU, FV_ADT };

/* where a v2 value goes: field f, repetition r; c = 0 when the value
 * fills the repetition, else the component it sits in (its parts then
 * become subcomponents, and parts of parts are dropped) */
typedef struct fv_at {
    unsigned f, r, c;
} fv_at;

typedef struct fv {
    hxe_hl7_msg *m;             /* the message being written */
    hxe_arena arena;            /* holds m */
    const hxe_conv_v2_opts *o;
    hxe_issues *is;
    const json_t *in;
    json_t *index;              /* fullUrl, Type/id -> resource (references held) */
    json_t *used;               /* resources a segment was written from */
    json_t *containers;         /* contained resource (by address) -> its container */
    const json_t *patient, *encounter;   /* borrowed */
    char event[4];              /* MSH-9.2 */
    int v26;                    /* version 2.6 or later */
    int rc;                     /* first failure of an edit (HXE_ENOMEM ...) */
    char seg[4];                /* the segment being written */
    unsigned seq;               /* its occurrence */
    unsigned long nonascii;     /* values written with bytes over 0x7f */
} fv;

/* ---- the message (fhir_v2.c) ---- */
/* appends a segment and makes it the current one */
int fv_seg(fv *c, const char *id);
/* sets text (escaped) at field f, repetition r, component k, subcomponent
 * s of the current segment; NULL or "" sets nothing */
void fv_set(fv *c, unsigned f, unsigned r, unsigned k, unsigned s, const char *text);
/* part k (and subpart s, 0 = the whole part) of a value placed at `at` */
void fv_part(fv *c, fv_at at, unsigned k, unsigned s, const char *text);
void fv_issue(fv *c, int sev, unsigned field, const char *fmt, ...) HXE_PRINTF(4, 5);
/* the resource a Reference points at (by fullUrl, Type/id, URL ending in
 * Type/id, or #id in from's contained), NULL when not in the input */
const json_t *fv_resolve(fv *c, const json_t *from, const json_t *ref);
/* marks res as written into the message */
void fv_used(fv *c, const json_t *res);
/* informational issues for the elements of res no segment carries
 * (carried: NULL-terminated element names) */
void fv_uncarried(fv *c, const json_t *res, const char *const *carried);
const char *fv_str(const json_t *o, const char *key);
/* s when it reads like an element name or URL tail (letters, digits, . _
 * - up to 64), else "?": issue texts name places, and a malformed input
 * could put anything where a name should be */
const char *fv_safe(const char *s);

/* ---- data types (fhir_v2_dt.c); each returns 1 when it wrote something ---- */
/* where: the FHIR element, for issues ("ServiceRequest.authoredOn") */
int fv_ts(fv *c, fv_at at, const char *fhir, int date_only, const char *where);
int fv_cx(fv *c, fv_at at, const json_t *identifier);
int fv_ei(fv *c, fv_at at, const json_t *identifier);
int fv_xpn(fv *c, fv_at at, const json_t *name);
int fv_xad(fv *c, fv_at at, const json_t *address);
int fv_xtn(fv *c, fv_at at, const json_t *contact_point);
/* CodeableConcept -> CWE (ce: CE, six parts, no original text) */
int fv_cwe(fv *c, fv_at at, const json_t *cc, int ce, const char *where);
/* one Coding into parts first..first+2 (and its version, CWE only) */
int fv_coding(fv *c, fv_at at, unsigned first, const json_t *coding, int ce, const char *where);
int fv_xcn(fv *c, fv_at at, const json_t *practitioner);
int fv_xon(fv *c, fv_at at, const json_t *organization);
/* the actor a Reference in `from` names: a Practitioner (or the one of a
 * PractitionerRole) as XCN at xcn, an Organization as XON at *xon (when
 * not NULL). 1 XCN, 2 XON, 0 nothing written */
int fv_actor(fv *c, const json_t *from, const json_t *ref, fv_at xcn, const fv_at *xon,
             const char *where);
/* the identifier of res typed (v2-0203) `type`, NULL when none */
const json_t *fv_ident_typed(const json_t *res, const char *type);
/* the first coding of cc with this system, NULL when none */
const json_t *fv_coding_of(const json_t *cc, const char *system);

/* ---- segments (fhir_v2_seg.c: patient and visit; fhir_v2_order.c) ---- */
int fv_pid(fv *c, const json_t *subject_ref);
int fv_pd1(fv *c);
int fv_pv1(fv *c, int adt);
int fv_in1(fv *c, const json_t *coverage, unsigned setid);
int fv_nte(fv *c, const json_t *res);
int fv_orc(fv *c, const json_t *sr, const json_t *dr, int kind);
int fv_obr(fv *c, const json_t *sr, const json_t *dr, unsigned setid, int kind);
int fv_dg1(fv *c, const json_t *sr, unsigned *setid);
int fv_obx(fv *c, const json_t *obs, unsigned setid);
int fv_spm(fv *c, const json_t *spec, unsigned setid);

#endif
