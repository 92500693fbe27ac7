/*
 * split.c — a segment cut into its elements once (x12__split), and its
 * elements and components read from the cut (x12__el, x12__el2). The
 * validation passes work from it: validate.c splits each segment of a
 * set once and hands the result to the checks that need it.
 *
 * The cut was most of the time validation took as a byte loop; it runs
 * sixteen bytes at a time (SSE2) or eight (a 64-bit word) where the
 * byte order allows. A chunk gives bit masks, bit i for its byte i: the
 * element separators, the component and repetition separators and the
 * control characters. The element separators cut the elements; each
 * other marked byte, which is rare, is put down to its element (the
 * separators before it). The last bytes of a segment at least a chunk
 * long are read as the chunk ending at its end, the bytes already seen
 * masked off; shorter segments go byte by byte.
 */
#include "x12/internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define ONES 0x0101010101010101ULL
#define LO7 0x7f7f7f7f7f7f7f7fULL
#define HI 0x8080808080808080ULL

static inline void set_el(uint64_t *m, unsigned e)
{
    *m |= (uint64_t)1 << (e < 63 ? e : 63);
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define X12_CHUNKS 1

/* the top bit of each byte of x that is zero, exactly: no carry crosses
 * a byte */
static inline uint64_t zero_bytes(uint64_t x)
{
    return ~(((x & LO7) + LO7) | x | LO7);
}

/* the top bits of the eight bytes as bits 0..7 */
static inline unsigned gather(uint64_t x)
{
    return (unsigned)((x * 0x0002040810204081ULL) >> 56);
}

/* A chunk at base with separators es (and cs, rs, ctl to put down to
 * their elements): cuts the elements it ends; returns the new count of
 * elements (n: before the chunk), *start the start of the one open. */
static unsigned chunk_marked(x12__elems *ev, unsigned n, const char **start, const char *base,
                             unsigned es, unsigned cs, unsigned rs, unsigned ctl)
{
    /* in byte order: each separator opens the next element */
    for (unsigned m = es | cs | rs | ctl; m; m &= m - 1) {
        unsigned b = (unsigned)__builtin_ctz(m), bit = 1u << b;
        if (es & bit) {
            if (n <= X12__MAX_SPLIT)
                ev->v[n] = hxe_slice_of(*start, (size_t)(base + b - *start));
            n++;
            *start = base + b + 1;
            continue;
        }
        if (cs & bit)
            set_el(&ev->cs_el, n);
        if (rs & bit)
            set_el(&ev->rs_el, n);
        if (ctl & bit)
            set_el(&ev->ctl_el, n);
    }
    return n;
}

static inline unsigned chunk(x12__elems *ev, unsigned n, const char **start, const char *base,
                             unsigned es, unsigned cs, unsigned rs, unsigned ctl)
{
    if (cs | rs | ctl)
        return chunk_marked(ev, n, start, base, es, cs, rs, ctl);
    const char *st = *start;
    for (; es; es &= es - 1) {
        const char *at = base + __builtin_ctz(es);
        if (n <= X12__MAX_SPLIT)
            ev->v[n] = hxe_slice_of(st, (size_t)(at - st));
        n++;
        st = at + 1;
    }
    *start = st;
    return n;
}

static inline unsigned word(x12__elems *ev, unsigned n, const char **start, const char *p,
                            unsigned keep, const hxe_x12_delims *d)
{
    uint64_t w;
    memcpy(&w, p, 8);
    unsigned es = gather(zero_bytes(w ^ (ONES * (unsigned char)d->es))) & keep;
    unsigned cs = gather(zero_bytes(w ^ (ONES * (unsigned char)d->cs))) & keep;
    unsigned rs = d->rs ? gather(zero_bytes(w ^ (ONES * (unsigned char)d->rs))) & keep : 0;
    uint64_t c = (~(((w & LO7) + ONES * 0x60) | w) & HI) | zero_bytes(w ^ (ONES * 0x7f));
    return chunk(ev, n, start, p, es, cs, rs, gather(c) & keep);
}
#endif

void x12__split(x12__elems *ev, const hxe_x12_seg *g, const hxe_x12_delims *d)
{
    ev->g = g;
    ev->d = d;
    ev->cs_el = ev->rs_el = ev->ctl_el = 0;
    const char *p = g->p, *end = g->p + g->n, *start = g->p;
    unsigned n = 0;
#if defined(X12_CHUNKS)
#if defined(__SSE2__)
    if (g->n >= 16) {
        const __m128i ves = _mm_set1_epi8(d->es), vcs = _mm_set1_epi8(d->cs),
                      vrs = _mm_set1_epi8(d->rs), lim = _mm_set1_epi8(0x1f),
                      del = _mm_set1_epi8(0x7f);
        unsigned keep = 0xffff;
        for (;;) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            unsigned es = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, ves)) & keep;
            __m128i mcs = _mm_cmpeq_epi8(v, vcs), mrs = _mm_cmpeq_epi8(v, vrs),
                    mctl = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, lim), v), _mm_cmpeq_epi8(v, del));
            unsigned odd = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(mcs, mrs), mctl)) & keep;
            if (odd)   /* (rare: a composite, a repetition, a control character) */
                n = chunk(ev, n, &start, p, es, (unsigned)_mm_movemask_epi8(mcs) & keep,
                          d->rs ? (unsigned)_mm_movemask_epi8(mrs) & keep : 0,
                          (unsigned)_mm_movemask_epi8(mctl) & keep);
            else
                n = chunk(ev, n, &start, p, es, 0, 0, 0);
            if (end - p <= 16)
                break;
            p += 16;
            if (end - p < 16) {   /* the last chunk overlaps the one before */
                keep = (0xffffu << (16 - (end - p))) & 0xffff;
                p = end - 16;
            }
        }
        p = end;
    }
#endif
    if (end - p >= 8) {
        unsigned keep = 0xff;
        for (;;) {
            n = word(ev, n, &start, p, keep, d);
            if (end - p <= 8)
                break;
            p += 8;
            if (end - p < 8) {
                keep = (0xffu << (8 - (end - p))) & 0xff;
                p = end - 8;
            }
        }
        p = end;
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == (unsigned char)d->es) {
            if (n <= X12__MAX_SPLIT)
                ev->v[n] = hxe_slice_of(start, (size_t)(p - start));
            n++;
            start = p + 1;
        } else if (c == (unsigned char)d->cs) {
            set_el(&ev->cs_el, n);
        } else if (d->rs && c == (unsigned char)d->rs) {
            set_el(&ev->rs_el, n);
        } else if (c < 0x20 || c == 0x7f) {
            set_el(&ev->ctl_el, n);
        }
    }
    if (n <= X12__MAX_SPLIT)
        ev->v[n] = hxe_slice_of(start, (size_t)(end - start));
    ev->n = n;
}

hxe_slice x12__el_slow(const x12__elems *ev, unsigned e, unsigned c)
{
    if (e < 1 || e > ev->n)
        return HXE_SLICE_EMPTY;
    if (e > X12__MAX_SPLIT)
        return hxe_x12_component(ev->g, ev->d, e, 1, c);
    hxe_slice v = ev->v[e];
    /* the first repetition, then its component c */
    for (size_t i = 0; x12__holds(ev->rs_el, e) && i < v.n; i++)
        if (v.p[i] == ev->d->rs) {
            v.n = i;
            break;
        }
    if (!c)
        return v;
    if (!x12__holds(ev->cs_el, e))
        return c == 1 ? v : HXE_SLICE_EMPTY;
    const char *p = v.p, *end = v.p + v.n;
    for (unsigned k = 1; k < c; k++) {
        while (p < end && *p != ev->d->cs)
            p++;
        if (p == end)
            return HXE_SLICE_EMPTY;
        p++;
    }
    const char *q = p;
    while (q < end && *q != ev->d->cs)
        q++;
    return hxe_slice_of(p, (size_t)(q - p));
}

void x12__el2(const x12__elems *ev, unsigned e, hxe_slice *c1, hxe_slice *c2)
{
    if (e < 1 || e > ev->n || e > X12__MAX_SPLIT || x12__holds(ev->rs_el, e)) {
        *c1 = x12__el(ev, e, 1);
        *c2 = x12__el(ev, e, 2);
        return;
    }
    hxe_slice v = ev->v[e];
    const char cs = ev->d->cs, *p = v.p, *end = v.p + v.n;
    if (!x12__holds(ev->cs_el, e))
        p = end;   /* one component */
    else
        while (p < end && *p != cs)
            p++;
    *c1 = hxe_slice_of(v.p, (size_t)(p - v.p));
    if (p == end) {
        *c2 = HXE_SLICE_EMPTY;
        return;
    }
    const char *q = ++p;
    while (q < end && *q != cs)
        q++;
    *c2 = hxe_slice_of(p, (size_t)(q - p));
}
