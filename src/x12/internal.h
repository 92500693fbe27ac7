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

/* NPI check digit (Luhn over 80840 + the first nine digits) */
int x12__npi_ok(hxe_slice v);

/* Each returns 0, or HXE_ENOMEM when it could not finish. */
int x12__check_hl(const hxe_x12_set *s, hxe_issues *is);
int x12__check_balance(const hxe_x12_set *s, hxe_issues *is);
int x12__check_situational(const hxe_x12_set *s, hxe_issues *is);
int x12__check_codes(const hxe_x12_set *s, hxe_issues *is);

#endif
