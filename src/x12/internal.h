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
        if (v.p[i] < '0' || v.p[i] > '9')
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
 * validate.c runs the element checks, then hl.c (HL hierarchy, SNIP 2),
 * balance.c (SNIP 3), situational.c (SNIP 4) and codes.c (SNIP 5). */

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

/* A segment's elements split once, for the passes that read several of
 * them: v[e] is element e (1 .. n; at most X12__MAX_SPLIT, more than
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
/* Element e whole (all its repetitions); empty when absent. */
static inline hxe_slice x12__raw(const x12__elems *ev, unsigned e)
{
    if (e < 1 || e > ev->n)
        return HXE_SLICE_EMPTY;
    return e <= X12__MAX_SPLIT ? ev->v[e] : hxe_x12_element(ev->g, ev->d, e);
}

/* NPI check digit (Luhn over 80840 + the first nine digits) */
int x12__npi_ok(hxe_slice v);

/* Each returns 0, or HXE_ENOMEM when it could not finish. */
int x12__check_hl(const hxe_x12_set *s, hxe_issues *is);
int x12__check_balance(const hxe_x12_set *s, hxe_issues *is);
int x12__check_situational(const hxe_x12_set *s, hxe_issues *is);
/* SNIP 5 for segment k, split in ev, whose definition is sd (schema.h):
 * validate.c calls it from its one walk over the segments, so each is
 * split once for all the checks. */
struct x12t_seg;
void x12__check_codes_seg(const hxe_x12_set *s, hxe_issues *is, size_t k,
                          const struct x12t_seg *sd, const x12__elems *ev);

#endif
