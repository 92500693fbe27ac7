/*
 * rules.c — what the validation passes share: issues placed at a
 * segment with its loop in the text, situational issues that also name
 * their trigger, a loop's own segments and child loops, ancestry,
 * decimal amounts.
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

/* A segment id as the reader stores it (char[4], NUL-padded), from a
 * C string, to compare four bytes at once; an id too long for one gets a
 * key no segment has. */
static inline void id_key(char key[4], const char *id)
{
    memset(key, 0, 4);
    for (unsigned i = 0; i < 4 && id[i]; i++)
        key[i] = id[i];
}

/* ---- walking a loop ----
 * The loop parse leaves every loop instance an unbroken run of segments
 * (its own, then its child loops' and theirs: a segment of the loop
 * after a child loop closes the child for good), and loops numbered in
 * the order they start. So a loop's own segments and its child loops
 * are found by walking its segments and stepping over each child loop
 * whole: a subscriber's PAT or a claim's 2320 costs its own segments and
 * children, not every segment of every claim and line below it. */

/* The child loop of li that holds segment k (in a loop below li), or
 * (size_t)-1 */
static size_t child_holding(const hxe_x12_set *s, size_t li, size_t k)
{
    size_t c = s->segs[k].loop;
    for (unsigned guard = 0; c < s->nloops && c != 0 && guard < 64; guard++) {
        size_t up = s->loops[c].parent;
        if (up == li)
            return c;
        c = up;
    }
    return (size_t)-1;
}

/* the segment after loop c and its descendants (at least k + 1) */
static size_t past(const hxe_x12_set *s, size_t c, size_t k)
{
    size_t next = c == (size_t)-1 ? k + 1 : (size_t)s->loops[c].first_seg + s->loops[c].nseg;
    return next > k ? next : k + 1;
}

size_t x12__child(const hxe_x12_set *s, size_t li, const char *id, size_t after)
{
    if (!s->loops || li >= s->nloops)
        return (size_t)-1;
    size_t k = s->loops[li].first_seg;
    size_t end = k + s->loops[li].nseg;
    if (end > s->nseg)
        end = s->nseg;
    if (after != (size_t)-1 && after > li) {
        if (after >= s->nloops)
            return (size_t)-1;
        if (s->loops[after].first_seg > k)
            k = s->loops[after].first_seg;   /* children after it start past it */
    }
    while (k < end) {
        if (s->segs[k].loop == li) {
            k++;
            continue;
        }
        size_t c = child_holding(s, li, k);
        if (c != (size_t)-1 && (after == (size_t)-1 || c > after) &&
            (!id || x12__loop_is(s->loops[c].id, id)))
            return c;
        k = past(s, c, k);
    }
    return (size_t)-1;
}

/* The first segment directly in loop li with this id (a key, id_key)
 * and, when qual is not NULL, this first element. */
static size_t seg_direct(const hxe_x12_set *s, size_t li, const char key[4], const char *qual)
{
    if (!s->loops || li >= s->nloops)
        return (size_t)-1;
    const hxe_x12_loop *l = &s->loops[li];
    size_t end = (size_t)l->first_seg + l->nseg;
    if (end > s->nseg)
        end = s->nseg;
    for (size_t k = l->first_seg; k < end;) {
        if (s->segs[k].loop != li) {
            k = past(s, child_holding(s, li, k), k);
            continue;
        }
        if (memcmp(s->segs[k].id, key, 4) == 0 &&
            (!qual || x12__eq(hxe_x12_element(&s->segs[k], &s->d, 1), qual)))
            return k;
        k++;
    }
    return (size_t)-1;
}

size_t x12__seg_q(const hxe_x12_set *s, size_t li, const char *id, const char *qual)
{
    char key[4];
    id_key(key, id);
    return seg_direct(s, li, key, qual);
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
    const char *p = v.p, *end = v.p + v.n;
    int neg = p < end && *p == '-';
    p += neg;
    long long whole = 0, frac = 0;
    int digits = 0, fdigits = 0;
    for (; p < end; p++) {
        unsigned d = (unsigned)(unsigned char)*p - '0';
        if (d > 9)
            break;
        if (++digits > 14)
            return -1;
        whole = whole * 10 + d;
    }
    if (p < end && *p == '.') {
        for (p++; p < end; p++) {
            unsigned d = (unsigned)(unsigned char)*p - '0';
            if (d > 9)
                break;
            if (++fdigits > 4)
                return -1;
            frac = frac * 10 + d;
        }
    }
    if (p != end || (!digits && !fdigits))
        return -1;
    for (; fdigits < 4; fdigits++)
        frac *= 10;
    *out = (whole * 10000 + frac) * (neg ? -1 : 1);
    return 0;
}

size_t x12__seg_in_loop(const hxe_x12_set *s, size_t li, const char *id)
{
    char key[4];
    id_key(key, id);
    return seg_direct(s, li, key, NULL);
}
