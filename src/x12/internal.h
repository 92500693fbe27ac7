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

#endif
