/*
 * rules.c — helpers the validation passes beyond the element checks
 * share (hl.c, balance.c, situational.c, codes.c): issues placed at a
 * segment with its loop in the text, loop ancestry, decimal amounts.
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
        if (strcmp(s->loops[li].id, loop_id) == 0)
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
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && strcmp(s->segs[k].id, id) == 0)
            return k;
    return (size_t)-1;
}
