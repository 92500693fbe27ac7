/*
 * schema.h — the X12 definitions as const C tables, private to x12/.
 *
 * tools/gen_x12_tables.py writes gen/x12_tables.c at build time from
 * data/x12/: segments.dict (the X12 segment dictionary: elements with
 * type, length and requirement, composites, syntax rules) and one .tr3
 * file per transaction set (loops, segments, usage, repeats, the
 * qualifiers that recognise a loop, element usage and code values of the
 * implementation guide). Strings live once in x12t_pool, named by offset.
 */
#ifndef HXE_X12_SCHEMA_H
#define HXE_X12_SCHEMA_H

#include <stddef.h>
#include <stdint.h>

extern const char x12t_pool[];
#define X12T_STR(off) (x12t_pool + (off))

/* element data types */
enum x12t_type {
    X12T_AN = 0, X12T_ID = 1, X12T_N0 = 2, X12T_N2 = 3, X12T_R = 4,
    X12T_DT = 5, X12T_TM = 6, X12T_B = 7, X12T_COMP = 8
};

/* standard requirement of an element; usage in a guide */
enum x12t_req { X12T_M = 1, X12T_O = 2, X12T_X = 3 };
enum x12t_usage { X12T_USE_NONE = 0, X12T_USE_R = 1, X12T_USE_S = 2, X12T_USE_N = 3 };

/* An element of a segment, or a component of a composite */
typedef struct x12t_elem {
    uint32_t name;     /* pool offset */
    uint16_t ref;      /* data element reference number (98, 1065...); 0 for composites */
    uint16_t comp;     /* composites: index+1 in x12t_comps */
    uint16_t min, max; /* lengths */
    uint8_t type;      /* enum x12t_type */
    uint8_t req;       /* enum x12t_req */
    uint8_t rep;       /* repeats allowed (1 = no repetition) */
} x12t_elem;

typedef struct x12t_comp {
    char id[5];        /* "C003" */
    uint32_t first;    /* components in x12t_elems */
    uint8_t n;
    uint8_t last_m;    /* position of its last mandatory component; 0 none */
} x12t_comp;

/* syntax rules: P paired, R at least one, C if first then all, E at most
 * one, L if first then at least one of the others */
typedef struct x12t_rule {
    char kind;
    uint8_t n;
    uint8_t e[6];      /* element positions */
    uint64_t mask;     /* bit e for each; 0 when they cannot be bits */
} x12t_rule;

typedef struct x12t_seg {
    char id[4];
    uint32_t name;
    uint32_t first;    /* in x12t_elems */
    uint8_t n;
    uint16_t rule_first;
    uint8_t nrules;
    uint8_t last_m;    /* position of its last mandatory element; 0 none */
    uint64_t comps;    /* bit e-1: element e (1..64) is a composite */
} x12t_seg;

/* A qualifier test: element e (component c, 0 = simple) is one of codes */
typedef struct x12t_qual {
    uint8_t e, c;
    uint16_t n;        /* codes */
    uint32_t first;    /* in x12t_codes (pool offsets, sorted) */
} x12t_qual;

/* A node of a set's structure: a segment or a loop. A loop's first
 * child is its first segment, whose qualifiers recognise it. */
enum x12t_kind { X12T_NODE_SEG = 0, X12T_NODE_LOOP = 1 };

typedef struct x12t_node {
    uint8_t kind;
    uint8_t usage;     /* enum x12t_usage */
    uint32_t max;      /* repeats; 0 = unbounded */
    char seg[4];       /* segment id (a loop: its first segment's) */
    int16_t segdef;    /* index in x12t_segs, -1 when the dictionary lacks it */
    uint32_t id;       /* loops: pool offset of the loop id ("2300") */
    uint32_t name;     /* pool offset of the TR3 name */
    uint32_t first;    /* loops: children in x12t_nodes */
    uint16_t nchild;
    uint16_t qual_first;  /* segments: qualifier tests in x12t_quals */
    uint8_t nqual;
    uint32_t use_first;   /* segments: element usage (enum x12t_usage) per element */
    uint8_t nuse;         /* in x12t_uses; 0 = the dictionary's requirements */
    uint8_t last_r;       /* segments: position of the last element the guide
                             requires; 0 none */
} x12t_node;

typedef struct x12t_set {
    char id[4];        /* ST01 */
    uint32_t guide;    /* pool offset: "005010X222A1" */
    uint32_t fid;      /* GS01 */
    uint32_t name;
    uint32_t root;     /* node index of the set's implicit top loop */
} x12t_set;

extern const x12t_elem x12t_elems[];
extern const x12t_comp x12t_comps[];
extern const x12t_rule x12t_rules[];
extern const x12t_seg x12t_segs[];      /* sorted by id */
extern const size_t x12t_nsegs;
extern const x12t_qual x12t_quals[];
extern const uint32_t x12t_codes[];
extern const uint64_t x12t_code_keys[];  /* per qualifier: its codes as keys, sorted */
extern const uint8_t x12t_uses[];
extern const x12t_node x12t_nodes[];
extern const x12t_set x12t_sets[];
extern const size_t x12t_nsets;

/* deepest loop nesting of any set (the parser's stack bound) */
#define X12T_MAX_DEPTH 12

/* look-ups (schema.c) */
const x12t_seg *x12t_find_seg(const char *id);
const x12t_set *x12t_find_set(const char *st01, const char *guide);
int x12t_qual_ok(const x12t_qual *q, const char *s, size_t n);

/* A value of 1..8 bytes as a key: its bytes big-endian, zero-padded, as
 * tools/gen_x12_tables.py packs the codes; never 0. */
static inline uint64_t x12t_code_key(const char *s, size_t n)
{
    uint64_t k = 0;
    for (size_t i = 0; i < n; i++)
        k = k << 8 | (unsigned char)s[i];
    return k << (8 * (8 - n));
}

/* x12t_qual_ok without string compares: the value's key among the
 * qualifier's sorted keys. Nearly every segment of a set has a code
 * checked, so validation asks this for most of them. */
static inline int x12t_code_in(const x12t_qual *q, const char *s, size_t n)
{
    if (n == 0 || n > 8)
        return x12t_qual_ok(q, s, n);
    uint64_t key = x12t_code_key(s, n);
    const uint64_t *k = x12t_code_keys + q->first;
    size_t lo = 0, hi = q->n;
    while (hi - lo > 8) {
        size_t mid = lo + (hi - lo) / 2;
        if (k[mid] <= key)
            lo = mid;
        else
            hi = mid;
    }
    for (; lo < hi; lo++)
        if (k[lo] == key)
            return 1;
    return 0;
}

#endif
