/*
 * dict.h — the HL7 v2 definitions as compact const C tables.
 *
 * tools/gen_hl7v2_tables.py writes gen/hl7v2_tables.c from data/hl7v2/
 * (the hl7-dictionary version files and the HL7 terminology tables) at
 * build time; validate.c reads it. Private to hl7v2/.
 *
 * Layout: every string lives once in hxe_hl7d_pool and is named by its
 * offset. Field lists, component lists and structure child lists are
 * ranges of shared arrays (hxe_hl7d_elems, hxe_hl7d_nodes); identical
 * ranges are stored once, so seven versions cost little more than one.
 * Per-version arrays of segments and message structures are sorted by
 * name (byte order) for binary search. Nothing here is allocated.
 */
#ifndef HXE_HL7V2_DICT_H
#define HXE_HL7V2_DICT_H

#include <stddef.h>
#include <stdint.h>

/* NUL-separated strings; a uint32_t offset names one */
extern const char hxe_hl7d_pool[];
#define HXE_HL7D_STR(off) (hxe_hl7d_pool + (off))

/* optionality of a field or component */
enum hxe_hl7d_opt {
    HXE_HL7D_OPTIONAL = 1,
    HXE_HL7D_REQUIRED = 2,
    HXE_HL7D_CONDITIONAL = 3,
    HXE_HL7D_BACKWARD = 4     /* kept for backward compatibility (2.7+) */
};

/* the format check a data type gets (primitives only) */
enum hxe_hl7d_check {
    HXE_HL7D_CHK_NONE = 0,    /* ST, TX, FT, ID, IS, ...: length only */
    HXE_HL7D_CHK_DT = 1,      /* YYYY[MM[DD]] */
    HXE_HL7D_CHK_DTM = 2,     /* YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] */
    HXE_HL7D_CHK_TS = 3,      /* composite or not: first component is a DTM */
    HXE_HL7D_CHK_NM = 4,      /* [+-]digits[.digits] */
    HXE_HL7D_CHK_SI = 5,      /* non-negative integer */
    HXE_HL7D_CHK_VARIES = 6   /* OBX-5 and friends: not checked */
};

/* A field of a segment, or a component of a data type. */
typedef struct hxe_hl7d_elem {
    uint32_t desc;     /* pool offset of the description */
    uint16_t type;     /* index in hxe_hl7d_types */
    uint16_t len;      /* maximum length; 0 = none given (or above 65535) */
    uint16_t table;    /* HL7 table number; 0 = none */
    uint8_t opt;       /* enum hxe_hl7d_opt */
    uint8_t rep;       /* 0 = repeats without limit, 1 = once, n = at most n */
} hxe_hl7d_elem;

/* Data type names, shared by all versions. */
typedef struct hxe_hl7d_type {
    uint32_t name;     /* pool offset ("CWE", "TS", ...) */
    uint8_t check;     /* enum hxe_hl7d_check */
} hxe_hl7d_type;

/* A data type in one version: its components (ncomp 0 = primitive, or
 * not defined in that version). */
typedef struct hxe_hl7d_vtype {
    uint32_t first;    /* index in hxe_hl7d_elems */
    uint8_t ncomp;
} hxe_hl7d_vtype;

typedef struct hxe_hl7d_seg {
    char id[4];
    uint32_t desc;     /* pool offset */
    uint32_t first;    /* index in hxe_hl7d_elems of field 1 */
    uint16_t nfields;
} hxe_hl7d_seg;

/* A node of a message structure: a segment, a group, or a choice of
 * segments (2.7 "compounds": any one of the children). */
enum hxe_hl7d_kind {
    HXE_HL7D_NODE_SEG = 0,
    HXE_HL7D_NODE_GROUP = 1,
    HXE_HL7D_NODE_CHOICE = 2
};

typedef struct hxe_hl7d_node {
    uint32_t name;     /* pool offset: segment id or group name */
    uint32_t first;    /* groups and choices: first child in hxe_hl7d_nodes */
    uint8_t nchild;
    uint8_t kind;      /* enum hxe_hl7d_kind */
    uint8_t min;       /* 0 or 1 */
    uint8_t max;       /* 0 = unbounded, else the most allowed */
    uint8_t ambig;     /* segments and choices: 1 when a segment placed here
                        * might instead belong to a node further on (the
                        * structure matcher then follows every reading) */
} hxe_hl7d_node;

typedef struct hxe_hl7d_msg {
    uint32_t name;     /* structure id ("ADT_A01"), pool offset */
    uint32_t first;    /* top-level nodes in hxe_hl7d_nodes */
    uint16_t n;
} hxe_hl7d_msg;

typedef struct hxe_hl7d_version {
    const char *name;              /* "2.5.1" */
    const hxe_hl7d_seg *segs;      /* sorted by id */
    uint16_t nsegs;
    const hxe_hl7d_msg *msgs;      /* sorted by name */
    uint16_t nmsgs;
    const hxe_hl7d_vtype *types;   /* indexed like hxe_hl7d_types */
} hxe_hl7d_version;

/* An HL7 table: codes are pool offsets, sorted by code. */
typedef struct hxe_hl7d_table {
    uint16_t number;
    uint32_t name;     /* pool offset */
    uint32_t first;    /* index in hxe_hl7d_codes */
    uint32_t n;
} hxe_hl7d_table;

/* Table 0354 read backwards: "ADT_A04" (type_event) -> "ADT_A01".
 * Sorted by key; a key may appear more than once, best first. */
typedef struct hxe_hl7d_event {
    uint32_t key;
    uint32_t structure;
} hxe_hl7d_event;

extern const hxe_hl7d_elem hxe_hl7d_elems[];
extern const hxe_hl7d_type hxe_hl7d_types[];
extern const size_t hxe_hl7d_ntypes;
extern const hxe_hl7d_node hxe_hl7d_nodes[];
extern const hxe_hl7d_version hxe_hl7d_versions[];
extern const size_t hxe_hl7d_nversions;
extern const uint32_t hxe_hl7d_codes[];
extern const hxe_hl7d_table hxe_hl7d_tables[];   /* sorted by number */
extern const size_t hxe_hl7d_ntables;
extern const hxe_hl7d_event hxe_hl7d_events[];
extern const size_t hxe_hl7d_nevents;

/* deepest group nesting in any structure (the matcher's stack bound) */
#define HXE_HL7D_MAX_DEPTH 16

#endif
