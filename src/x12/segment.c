/*
 * segment.c — the small things every x12/ file uses: element, component
 * and repetition access on a segment (found on demand, never indexed),
 * the acknowledgment code names, option defaults, date and time shapes.
 */
#include "x12/internal.h"

#include <stdio.h>

void x12__opts(hxe_x12_opts *o, const hxe_x12_opts *in)
{
    memset(o, 0, sizeof *o);
    if (in)
        *o = *in;
    if (!o->max_segment)
        o->max_segment = HXE_X12_MAX_SEGMENT_DEFAULT;
    if (!o->max_set_segs)
        o->max_set_segs = HXE_X12_MAX_SET_SEGS_DEFAULT;
    if (!o->max_elements)
        o->max_elements = HXE_X12_MAX_ELEMENTS_DEFAULT;
    if (!o->max_loop_depth)
        o->max_loop_depth = 32;
}

hxe_loc x12__loc(const hxe_x12_seg *s, size_t pos, unsigned e, unsigned c)
{
    hxe_loc l = hxe_loc_none();
    if (s) {
        memcpy(l.seg, s->id, 4);
        l.offset = s->offset;
    }
    l.seg_pos = (uint32_t)pos;
    l.field = (uint16_t)e;
    l.comp = (uint16_t)c;
    return l;
}

int x12__seg_id_ok(const char *p, size_t n)
{
    if (n < 2 || n > 3 || !(p[0] >= 'A' && p[0] <= 'Z'))
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
            return 0;
    return 1;
}

static int num2(const char *p) { return (p[0] - '0') * 10 + (p[1] - '0'); }

int x12__is_date(hxe_slice v)
{
    if ((v.n != 6 && v.n != 8) || !x12__digits(v))
        return 0;
    const char *p = v.p + (v.n - 4);
    int y = v.n == 8 ? num2(v.p) * 100 + num2(v.p + 2) : num2(v.p);
    int m = num2(p), d = num2(p + 2);
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
        return 0;
    if (m == 2 && d == 29 && v.n == 8 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 0;
    return 1;
}

int x12__is_time(hxe_slice v)
{
    if (!x12__digits(v) || v.n < 4 || v.n > 8 || v.n == 5)
        return 0;
    if (num2(v.p) > 23 || num2(v.p + 2) > 59)
        return 0;
    if (v.n >= 6 && num2(v.p + 4) > 59)
        return 0;
    return 1;
}

/* ---- elements ----
 * Segments are short (a few dozen bytes) and callers ask for element
 * after element, so a plain byte loop beats a memchr call per element;
 * counting separators goes eight bytes at a time. */

hxe_slice hxe_x12_element(const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e)
{
    const char *p = s->p, *end = s->p + s->n;
    const char es = d->es;
    for (unsigned i = 0; i < e; i++) {
        while (p < end && *p != es)
            p++;
        if (p == end)
            return HXE_SLICE_EMPTY;
        p++;
    }
    const char *q = p;
    while (q < end && *q != es)
        q++;
    return hxe_slice_of(p, (size_t)(q - p));
}

/* Bytes equal to c in the eight bytes of w: a byte of x is zero exactly
 * where w holds c; ((x & 0x7f..) + 0x7f..) | x has its top bit clear
 * exactly there (no carry crosses a byte), and the multiply adds up the
 * eight flags in the top byte. */
static unsigned count8(uint64_t w, char c)
{
    const uint64_t lo7 = 0x7f7f7f7f7f7f7f7fULL, ones = 0x0101010101010101ULL;
    uint64_t x = w ^ (ones * (unsigned char)c);
    uint64_t t = ~(((x & lo7) + lo7) | x | lo7);
    return (unsigned)(((t >> 7) * ones) >> 56);
}

unsigned hxe_x12_element_count(const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    unsigned n = 0;
    const char *p = s->p, *end = s->p + s->n;
    for (; end - p >= 8; p += 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        n += count8(w, d->es);
    }
    for (; p < end; p++)
        n += *p == d->es;
    return n;
}

/* n-th (1-based) piece of v split on sep (sep 0: v itself is piece 1).
 * hxe_slice_piece with a byte loop: repetitions and components are a few
 * bytes long, shorter than a memchr call costs. */
static hxe_slice piece(hxe_slice v, char sep, unsigned n)
{
    if (!sep || n == 0)
        return n == 1 ? v : HXE_SLICE_EMPTY;
    const char *p = v.p, *end = v.p + v.n;
    for (unsigned i = 1; i < n; i++) {
        while (p < end && *p != sep)
            p++;
        if (p == end)
            return HXE_SLICE_EMPTY;
        p++;
    }
    const char *q = p;
    while (q < end && *q != sep)
        q++;
    return hxe_slice_of(p, (size_t)(q - p));
}

hxe_slice hxe_x12_component(const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e,
                            unsigned r, unsigned c)
{
    hxe_slice v = hxe_x12_element(s, d, e);
    if (s->id[0] == 'I' && s->id[1] == 'S' && s->id[2] == 'A' && !s->id[3])
        return (r <= 1 && c <= 1) ? v : HXE_SLICE_EMPTY;   /* ISA11/ISA16 are delimiters themselves */
    v = piece(v, d->rs, r ? r : 1);
    if (!c)
        return v;
    return piece(v, d->cs, c);
}

/* ---- codes ---- */

int hxe_x12_code_level(int code)
{
    int l = code / 1000 * 1000;
    switch (l) {
    case HXE_X12_TA1:
    case HXE_X12_GRP:
    case HXE_X12_SEG:
    case HXE_X12_ELE:
    case HXE_X12_SET:
        return l;
    }
    return 0;
}

const char *hxe_x12_code_str(int code, char *buf, size_t size)
{
    int l = hxe_x12_code_level(code);
    int n = code - l;
    if (!l)
        snprintf(buf, size, "%d", code);
    else if (n > 500)
        snprintf(buf, size, "I%d", n - 500);
    else if (l == HXE_X12_TA1)
        snprintf(buf, size, "%03d", n);
    else
        snprintf(buf, size, "%d", n);
    return buf;
}
