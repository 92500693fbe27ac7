/*
 * validate.h — what the three validator files share (validate.c: the
 * driver, versions and MSH; validate_struct.c: segment order against the
 * message structure; validate_types.c: fields, data types, lengths and
 * tables). Private to hl7v2/.
 */
#ifndef HXE_HL7V2_VALIDATE_H
#define HXE_HL7V2_VALIDATE_H

#include "hl7v2/dict.h"
#include "hl7v2/hl7v2.h"

#include <stdarg.h>

typedef struct hl7v_ctx {
    const hxe_hl7_msg *m;
    hxe_issues *issues;
    const hxe_hl7d_version *ver;  /* the definitions checked against */
    int len_code;                 /* 104 for 2.7+, 102 before */
    const uint32_t *seq;          /* seg_seq of every segment */
    unsigned max_fields;          /* fields examined per segment */
} hl7v_ctx;

/* Location of segment i (field 0 = the segment). */
hxe_loc hl7v_loc(const hl7v_ctx *c, size_t i, unsigned field, unsigned rep,
                 unsigned comp, unsigned sub);

/* Adds an issue; ERROR issues in MSH (and reject != 0) are marked as
 * rejecting the message (AR). Returns the issue or NULL. */
hxe_issue *hl7v_add(const hl7v_ctx *c, int sev, int code, const hxe_loc *loc,
                    int reject, const char *fmt, ...) HXE_PRINTF(6, 7);

/* "PID-3[2].1.4" for a location (rep shown when > 1); returns buf. */
const char *hl7v_place(char *buf, size_t size, const hxe_loc *loc);

/* ---- dictionary look-ups ---- */
const hxe_hl7d_seg *hl7v_find_seg(const hxe_hl7d_version *v, const char *id);
const hxe_hl7d_msg *hl7v_find_msg(const hxe_hl7d_version *v, const char *name,
                                  size_t n);
/* 1 when the n bytes at s are a code of HL7 table num. */
int hl7v_table_has(unsigned num, const char *s, size_t n);
/* Short name for the tables the validator checks ("administrative sex"). */
const char *hl7v_table_label(unsigned num);

/* ---- pieces ---- */
/* Splits off the next piece of *rest on sep into *out; returns 0 when
 * *rest is exhausted (no piece left). sep 0 = the whole rest is one
 * piece. Linear over a value however many pieces it has. */
typedef struct hl7v_split {
    const char *p, *end;
    int done;
} hl7v_split;

static inline void hl7v_split_init(hl7v_split *s, hxe_slice v)
{
    s->p = v.p;
    s->end = v.p + v.n;
    s->done = 0;
}

int hl7v_split_next(hl7v_split *s, char sep, hxe_slice *out);

/* ---- the checks ---- */
/* Fields of segment i against its definition (unknown segments: a
 * warning). MSH-9, MSH-11 and MSH-12 tables are left to the MSH checks. */
void hl7v_check_segment(const hl7v_ctx *c, size_t i);

/* Format checks of the primitive types (1 = valid) */
int hl7v_is_dt(const char *s, size_t n);
int hl7v_is_dtm(const char *s, size_t n);
int hl7v_is_nm(const char *s, size_t n);
int hl7v_is_si(const char *s, size_t n);

/* Segment order: a matcher fed one segment at a time. A cursor is a
 * stack of frames, one per open group instance: the node list, the
 * element we are at, and how often it matched (instances for groups),
 * saturated where min/max no longer tell counts apart. */
typedef struct hl7v_frame {
    const hxe_hl7d_node *list;
    uint32_t c;
    uint8_t n;
    uint8_t i;
} hl7v_frame;

typedef struct hl7v_cursor {
    hl7v_frame fr[HXE_HL7D_MAX_DEPTH];
    int depth;
} hl7v_cursor;

/* Readings of the message followed at once, when a segment has more than
 * one place in the structure (validate_struct.c); the bound keeps the
 * work per segment constant. */
#define HL7V_ALTS 16

typedef struct hl7v_matcher {
    const hl7v_ctx *c;
    const hxe_hl7d_msg *msg;
    hl7v_cursor set[2][HL7V_ALTS];  /* the live set and the one being built */
    unsigned cur;                   /* which of the two is live */
    unsigned n;                     /* readings in it, the preferred first */
} hl7v_matcher;

void hl7v_matcher_init(hl7v_matcher *mt, const hl7v_ctx *c, const hxe_hl7d_msg *msg);
/* Segment i (not Z, not malformed) in message order; next is the index
 * of the next such segment (nseg when none), for a one-segment look-ahead
 * when recovering from an error. */
void hl7v_matcher_step(hl7v_matcher *mt, size_t i, size_t next);
/* End of message: required segments and groups never seen. */
void hl7v_matcher_finish(hl7v_matcher *mt);

#endif
