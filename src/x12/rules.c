/*
 * rules.c — helpers the validation passes beyond the element checks
 * share (hl.c, balance.c, situational.c, codes.c): issues placed at a
 * segment with its loop in the text, situational issues that also name
 * their trigger, loop ancestry and children, decimal amounts.
 */
#include "x12/internal.h"

#include <stdio.h>

void x12__issue(hxe_issues *is, const hxe_x12_set *s, size_t k, int code, unsigned e,
                unsigned c, const char *fmt, ...)
{
    if (!is || k >= s->nseg)
        return;
    hxe_loc l = x12__loc(&s->segs[k], k + 1, e, c);
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hxe_issues_add(is, HXE_SEV_ERROR, code, &l, "loop %s: %s", x12__loop_of(s, k), text);
}

void x12__sit(hxe_issues *is, const hxe_x12_set *s, size_t k, const char *seg, int code,
              unsigned e, unsigned c, size_t tk, unsigned te, unsigned tc, const char *fmt, ...)
{
    if (!is || k >= s->nseg)
        return;
    hxe_loc l = x12__loc(&s->segs[k], k + 1, e, c);
    if (seg)
        snprintf(l.seg, sizeof l.seg, "%s", seg);
    if (tk < s->nseg && te <= 0xff && tc <= 0xff) {
        l.seg_seq = (uint32_t)(tk + 1);
        l.sub = (uint16_t)(te << 8 | tc);
    }
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hxe_issues_add(is, HXE_SEV_ERROR, code, &l, "loop %s: %s", x12__loop_of(s, k), text);
}

int hxe_x12_trigger(const hxe_issue *it, uint32_t *pos, unsigned *e, unsigned *c)
{
    int level = hxe_x12_code_level(it->code);
    if (!it->loc.seg_seq || (level != HXE_X12_SEG && level != HXE_X12_ELE))
        return 0;
    *pos = it->loc.seg_seq;
    *e = it->loc.sub >> 8;
    *c = it->loc.sub & 0xff;
    return 1;
}

size_t x12__child(const hxe_x12_set *s, size_t li, const char *id, size_t after)
{
    if (!s->loops || li >= s->nloops)
        return (size_t)-1;
    /* descendants follow li and start inside its extent */
    size_t end = (size_t)s->loops[li].first_seg + s->loops[li].nseg;
    size_t j = after == (size_t)-1 ? li + 1 : after + 1;
    for (; j < s->nloops && s->loops[j].first_seg < end; j++)
        if (s->loops[j].parent == li && (!id || x12__loop_is(s->loops[j].id, id)))
            return j;
    return (size_t)-1;
}

/* ---- splitting a segment ----
 * The byte loop the element checks used to spend most of their time in,
 * done sixteen bytes at a time (SSE2) or eight (a 64-bit word) where the
 * byte order allows. A chunk gives bit masks, bit i for its byte i: the
 * element separators, the component and repetition separators and the
 * control characters. The separators cut the elements; each other
 * marked byte is put down to its element (the separators before it),
 * which is rare. The last bytes of a segment at least a chunk long are
 * read as the chunk ending at its end, the bytes already seen masked
 * off; shorter segments go byte by byte. */
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
            unsigned cs = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vcs)) & keep;
            unsigned rs = d->rs ? (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, vrs)) & keep : 0;
            __m128i c = _mm_or_si128(_mm_cmpeq_epi8(_mm_min_epu8(v, lim), v), _mm_cmpeq_epi8(v, del));
            n = chunk(ev, n, &start, p, es, cs, rs, (unsigned)_mm_movemask_epi8(c) & keep);
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

/* A segment id as the reader stores it (char[4], NUL-padded), from a
 * C string, to compare four bytes at once; an id too long for one gets a
 * key no segment has. */
static inline void id_key(char key[4], const char *id)
{
    memset(key, 0, 4);
    for (unsigned i = 0; i < 4 && id[i]; i++)
        key[i] = id[i];
}

size_t x12__seg_q(const hxe_x12_set *s, size_t li, const char *id, const char *qual)
{
    if (!s->loops || li >= s->nloops)
        return (size_t)-1;
    const hxe_x12_loop *l = &s->loops[li];
    char key[4];
    id_key(key, id);
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && memcmp(s->segs[k].id, key, 4) == 0 &&
            (!qual || x12__eq(hxe_x12_element(&s->segs[k], &s->d, 1), qual)))
            return k;
    return (size_t)-1;
}

const char *x12__loop_of(const hxe_x12_set *s, size_t k)
{
    uint32_t li = s->segs[k].loop;
    return (s->loops && li < s->nloops && s->loops[li].id[0]) ? s->loops[li].id : "header";
}

size_t x12__ancestor(const hxe_x12_set *s, size_t k, const char *loop_id)
{
    if (!s->loops || k >= s->nseg)
        return (size_t)-1;
    size_t li = s->segs[k].loop;
    for (unsigned guard = 0; li < s->nloops && guard < 64; guard++) {
        if (x12__loop_is(s->loops[li].id, loop_id))
            return li;
        if (li == 0)
            break;
        li = s->loops[li].parent;
    }
    return (size_t)-1;
}

int x12__within(const hxe_x12_set *s, size_t li, size_t a)
{
    for (unsigned guard = 0; li < s->nloops && guard < 64; guard++) {
        if (li == a)
            return 1;
        if (li == 0)
            break;
        li = s->loops[li].parent;
    }
    return 0;
}

int x12__amount(hxe_slice v, long long *out)
{
    size_t i = 0;
    int neg = 0;
    if (v.n && v.p[0] == '-') {
        neg = 1;
        i = 1;
    }
    long long whole = 0, frac = 0;
    int digits = 0, fdigits = 0, dot = 0;
    for (; i < v.n; i++) {
        char c = v.p[i];
        if (c == '.' && !dot) {
            dot = 1;
        } else if (c >= '0' && c <= '9') {
            if (dot) {
                if (++fdigits > 4)
                    return -1;
                frac = frac * 10 + (c - '0');
            } else {
                if (++digits > 14)
                    return -1;
                whole = whole * 10 + (c - '0');
            }
        } else {
            return -1;
        }
    }
    if (!digits && !fdigits)
        return -1;
    for (; fdigits < 4; fdigits++)
        frac *= 10;
    *out = (whole * 10000 + frac) * (neg ? -1 : 1);
    return 0;
}

size_t x12__seg_in_loop(const hxe_x12_set *s, size_t li, const char *id)
{
    if (!s->loops || li >= s->nloops)
        return (size_t)-1;
    const hxe_x12_loop *l = &s->loops[li];
    char key[4];
    id_key(key, id);
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && memcmp(s->segs[k].id, key, 4) == 0)
            return k;
    return (size_t)-1;
}
