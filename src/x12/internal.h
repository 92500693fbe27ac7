/*
 * internal.h — what the files of x12/ share and nobody else sees.
 */
#ifndef HXE_X12_INTERNAL_H
#define HXE_X12_INTERNAL_H

#include "x12/x12.h"

#include <string.h>

static inline int x12__alnum(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static inline int x12__digits(hxe_slice v)
{
    if (!v.n)
        return 0;
    for (size_t i = 0; i < v.n; i++)
        if ((unsigned)(unsigned char)v.p[i] - '0' > 9)
            return 0;
    return 1;
}

/* Copies a slice into a fixed char array, truncating, NUL-terminated. */
static inline void x12__copy(char *dst, size_t size, hxe_slice v)
{
    size_t n = v.n < size - 1 ? v.n : size - 1;
    memcpy(dst, v.p, n);
    dst[n] = '\0';
}

/* Is a segment id (char[4], NUL-padded as the reader leaves it) the
 * literal lit ("SV1", "HL")? Four byte compares against a constant
 * instead of a strcmp call: the validation passes ask it of every
 * segment. */
static inline int x12__id_is(const char *id, const char *lit)
{
    return id[0] == lit[0] && id[1] == lit[1] && id[2] == lit[2] && (lit[2] == '\0' || id[3] == '\0');
}

/* Is a loop id ("2300", a pool string) the literal lit? strcmp inline:
 * the passes ask it of every loop instance. */
static inline int x12__loop_is(const char *id, const char *lit)
{
    for (; *lit; id++, lit++)
        if (*id != *lit)
            return 0;
    return *id == '\0';
}

/* Slice equals a C string */
static inline int x12__eq(hxe_slice v, const char *s)
{
    size_t n = strlen(s);
    return v.n == n && memcmp(v.p, s, n) == 0;
}

/* Unsigned decimal value of a slice of digits; -1 when not digits or
 * too long. */
static inline long long x12__num(hxe_slice v)
{
    if (!x12__digits(v) || v.n > 15)
        return -1;
    long long n = 0;
    for (size_t i = 0; i < v.n; i++)
        n = n * 10 + (v.p[i] - '0');
    return n;
}

/* A location for segment s at position pos (1-based in its set; 0 when
 * outside a set), element e, component c. */
hxe_loc x12__loc(const hxe_x12_seg *s, size_t pos, unsigned e, unsigned c);

/* Fills o with the defaults for every zero field of in (in may be NULL). */
void x12__opts(hxe_x12_opts *o, const hxe_x12_opts *in);

/* Is a segment id well formed (2-3 upper-case letters and digits, a
 * letter first)? */
int x12__seg_id_ok(const char *p, size_t n);

/* YYMMDD / CCYYMMDD and HHMM[SS[d..]] checks */
int x12__is_date(hxe_slice v);
int x12__is_time(hxe_slice v);

/* ---- what the validation passes share (rules.c) ----
 * validate.c walks the segments once: the element checks and codes.c
 * (SNIP 5) on each, gathering for hl.c (HL hierarchy, SNIP 2),
 * balance.c (SNIP 3) and situational.c (SNIP 4), which run after it. */

/* Adds an error at segment k (0-based) of s, element e, component c; the
 * text is prefixed with the segment's loop ("loop 2300: "). */
void x12__issue(hxe_issues *is, const hxe_x12_set *s, size_t k, int code, unsigned e,
                unsigned c, const char *fmt, ...) HXE_PRINTF(7, 8);
/* A situational issue (SNIP 4) at segment k, element e, component c,
 * whose trigger is element te, component tc of segment tk (tk out of
 * range: none). seg names the segment the issue is about when it is not
 * segment k (a missing segment, reported at the start of the loop that
 * lacks it); NULL: segment k's id. */
void x12__sit(hxe_issues *is, const hxe_x12_set *s, size_t k, const char *seg, int code,
              unsigned e, unsigned c, size_t tk, unsigned te, unsigned tc, const char *fmt, ...)
    HXE_PRINTF(11, 12);
/* The next child loop instance of li after loop index `after` ((size_t)-1:
 * the first) with this id (NULL: any), or (size_t)-1. */
size_t x12__child(const hxe_x12_set *s, size_t li, const char *id, size_t after);
/* The first segment with this id directly in loop instance li whose
 * first element is qual (NULL: any), or (size_t)-1. */
size_t x12__seg_q(const hxe_x12_set *s, size_t li, const char *id, const char *qual);
/* The loop id of segment k ("header" for the set's own segments). */
const char *x12__loop_of(const hxe_x12_set *s, size_t k);
/* Index of the nearest loop instance with this id that holds segment k
 * (its own loop or an ancestor), or (size_t)-1. */
size_t x12__ancestor(const hxe_x12_set *s, size_t k, const char *loop_id);
/* Is loop instance li (or an ancestor of it) ... the loop instance a? */
int x12__within(const hxe_x12_set *s, size_t li, size_t a);
/* A decimal amount (R) in ten-thousandths; 0 ok, -1 when v is empty,
 * not a plain decimal or too large (the element check reports it). */
int x12__amount(hxe_slice v, long long *out);
/* The first segment with this id directly in loop instance li (not in
 * its child loops), or (size_t)-1. */
size_t x12__seg_in_loop(const hxe_x12_set *s, size_t li, const char *id);

/* ---- a segment split into its elements (split.c) ----
 * Once, for the passes that read several of them: v[e] is element e (1 .. n; at most X12__MAX_SPLIT, more than
 * any dictionary segment has; later ones are found on demand), whole,
 * repetitions included. The split also notes which elements hold a
 * component or repetition separator or a control character at all (bit
 * e of cs_el, rs_el, ctl_el; bit 63 for elements 63 and up; a superset
 * is allowed): the scans for them run only for the few that do. */
#define X12__MAX_SPLIT 80
typedef struct x12__elems {
    const hxe_x12_seg *g;
    const hxe_x12_delims *d;
    unsigned n;                      /* elements after the id */
    uint64_t cs_el, rs_el, ctl_el;
    hxe_slice v[X12__MAX_SPLIT + 1]; /* v[0] is the id */
} x12__elems;

/* Does mask m (cs_el, rs_el, ctl_el) say element e holds the byte? */
static inline int x12__holds(uint64_t m, unsigned e)
{
    return (int)(m >> (e < 63 ? e : 63) & 1);
}

void x12__split(x12__elems *ev, const hxe_x12_seg *g, const hxe_x12_delims *d);
hxe_slice x12__el_slow(const x12__elems *ev, unsigned e, unsigned c);
/* Element e (first repetition), or its component c when c > 0; empty
 * when absent. Inline for the common element without repetition or
 * component separators. */
static inline hxe_slice x12__el(const x12__elems *ev, unsigned e, unsigned c)
{
    if (e >= 1 && e <= ev->n && e <= X12__MAX_SPLIT && !x12__holds(ev->rs_el | ev->cs_el, e))
        return c > 1 ? HXE_SLICE_EMPTY : ev->v[e];
    return x12__el_slow(ev, e, c);
}
/* Components 1 and 2 of element e's first repetition, in one walk (a
 * qualifier and its code). */
void x12__el2(const x12__elems *ev, unsigned e, hxe_slice *c1, hxe_slice *c2);
/* Element e whole (all its repetitions); empty when absent. */
static inline hxe_slice x12__raw(const x12__elems *ev, unsigned e)
{
    if (e < 1 || e > ev->n)
        return HXE_SLICE_EMPTY;
    return e <= X12__MAX_SPLIT ? ev->v[e] : hxe_x12_element(ev->g, ev->d, e);
}

/* NPI check digit (Luhn over 80840 + the first nine digits) */
int x12__npi_ok(hxe_slice v);

/* ---- what the walk over the segments gathers (validate.c) ----
 * The passes after the element checks need a few elements of a few
 * kinds of segment; the walk hands each such segment, split, to the
 * pass that wants it, so no pass scans the set or splits a segment
 * again. */

/* HL segments (hl.c): HL01, HL02 and HL04 of each, in set order */
typedef struct x12__hl_ent {
    hxe_slice id, parent, child;
    size_t k;
} x12__hl_ent;

typedef struct x12__hls {
    x12__hl_ent *v;
    size_t n, cap;
    int failed;               /* out of memory */
} x12__hls;

void x12__hl_seg(x12__hls *h, size_t k, const x12__elems *ev);
void x12__hls_free(x12__hls *h);

/* Balancing amounts (balance.c): 837 service line charges summed per
 * claim; 835 CAS amounts per claim and line, CLP04 and PLB summed */
typedef struct x12__bal {
    int kind;                 /* 837, 835, or 0: nothing to balance */
    long long *sum;           /* per loop instance */
    unsigned char *lines;     /* 837, per claim: 1 charges summed, 2 one unreadable */
    long long paid, plb;      /* 835 */
    int paid_ok;
    int failed;               /* out of memory */
} x12__bal;

void x12__bal_init(x12__bal *b, const hxe_x12_set *s);
void x12__bal_seg(x12__bal *b, const hxe_x12_set *s, size_t k, const x12__elems *ev);
/* Might x12__bal_seg want a segment with this id? (SV1 SV2 SV3; CAS
 * CLP PLB): most segments are not handed over at all. */
static inline int x12__bal_wants(const x12__bal *b, const char *id)
{
    if (b->kind == 837)
        return id[0] == 'S' && id[1] == 'V';
    return b->kind == 835 && (id[0] == 'C' || id[0] == 'P');
}
void x12__bal_free(x12__bal *b);

/* What situational.c reads of each 837 claim's CLM (CLM05, CLM11), per
 * loop instance; bits NULL when there is nothing to note or no room (it
 * then reads the CLM itself). */
typedef struct x12__clm {
    uint16_t *bits;
} x12__clm;

void x12__clm_init(x12__clm *t, const hxe_x12_set *s);
void x12__clm_seg(x12__clm *t, const hxe_x12_set *s, size_t k, const x12__elems *ev);
void x12__clm_free(x12__clm *t);

/* Each returns 0, or HXE_ENOMEM when it could not finish. */
int x12__check_hl(const hxe_x12_set *s, hxe_issues *is, const x12__hls *h);
int x12__check_balance(const hxe_x12_set *s, hxe_issues *is, const x12__bal *b);
int x12__check_situational(const hxe_x12_set *s, hxe_issues *is, const struct x12__clm *t);
/* SNIP 5 for segment k, split in ev, whose definition is sd (schema.h):
 * validate.c calls it from its one walk over the segments, so each is
 * split once for all the checks. */
struct x12t_seg;
void x12__check_codes_seg(const hxe_x12_set *s, hxe_issues *is, size_t k,
                          const struct x12t_seg *sd, const x12__elems *ev);
/* Does it look at a segment with this id (NM1 N1 N4 HI PRV CLM DTP
 * DMG), or with composites (C003)? */
static inline int x12__codes_wants(const char *id, int composites)
{
    return composites || x12__id_is(id, "DTP") || x12__id_is(id, "NM1") || x12__id_is(id, "N4") ||
           x12__id_is(id, "N1") || x12__id_is(id, "DMG") || x12__id_is(id, "PRV") ||
           x12__id_is(id, "HI") || x12__id_is(id, "CLM");
}

#endif
