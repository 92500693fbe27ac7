/*
 * hl.c — the hierarchy of HL segments (SNIP type 2): every HL01 is
 * unique in its set, HL02 names an HL01 that came before it, and with a
 * loop tree, the HL01 of the level the loop parser nested it under (the
 * right parent level: a 2000C patient points at its 2000B subscriber,
 * never at another patient); an HL04 of 0 has no child level.
 *
 * HL01 values are sorted once, so a set with a million levels costs
 * n log n, not n squared: shorter ids first, then by their bytes, the
 * order HL01 1, 2 ... 10, 11 are written in, so the usual set needs no
 * sort at all. Duplicates and HL04 problems are reported in the byte
 * order of their ids, as before. The HL segments come from validate.c's
 * walk (x12__hl_seg), already split. Problems are IK403 I12
 * (implementation pattern match failure) at the element.
 */
#include "x12/internal.h"

#include <stdlib.h>

typedef struct hlent {
    hxe_slice id;   /* HL01 */
    size_t k;       /* segment index */
    hxe_slice child;   /* HL04 */
} hlent;

static int cmp_slice(hxe_slice a, hxe_slice b)
{
    int r = memcmp(a.p, b.p, a.n < b.n ? a.n : b.n);
    return r ? r : (a.n < b.n ? -1 : a.n > b.n ? 1 : 0);
}

/* the order issues are reported in: ids by their bytes, then position */
static int cmp_ent(const void *a, const void *b)
{
    const hlent *x = a, *y = b;
    int r = cmp_slice(x->id, y->id);
    return r ? r : (x->k < y->k ? -1 : x->k > y->k);
}

/* the order of the index: shorter ids first, then bytes, then position */
static int cmp_len(hxe_slice a, hxe_slice b)
{
    if (a.n != b.n)
        return a.n < b.n ? -1 : 1;
    return memcmp(a.p, b.p, a.n);
}

static int cmp_index(const void *a, const void *b)
{
    const hlent *x = a, *y = b;
    int r = cmp_len(x->id, y->id);
    return r ? r : (x->k < y->k ? -1 : x->k > y->k);
}

static int same_id(hxe_slice a, hxe_slice b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* the first (lowest segment index) entry with this id, or NULL */
static const hlent *find(const hlent *v, size_t n, hxe_slice id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_len(v[mid].id, id) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && same_id(v[lo].id, id) ? &v[lo] : NULL;
}

static int is_hl(const hxe_x12_seg *g)
{
    return x12__id_is(g->id, "HL");
}

/* The HL segment that opens the nearest HL loop above segment k's own
 * loop, or (size_t)-1 when k's loop is a top level. */
static size_t parent_hl(const hxe_x12_set *s, size_t k)
{
    size_t li = s->segs[k].loop;
    if (li >= s->nloops || s->loops[li].first_seg != k)
        return (size_t)-2;   /* not a loop's opening HL: parent unknown */
    for (unsigned guard = 0; li != 0 && guard < 64; guard++) {
        li = s->loops[li].parent;
        if (li == 0)
            break;
        size_t f = s->loops[li].first_seg;
        if (f < s->nseg && is_hl(&s->segs[f]))
            return f;
    }
    return (size_t)-1;
}

/* Reports the n entries of v (each at its segment, element e) in the
 * byte order of their ids. */
static void report(const hxe_x12_set *s, hxe_issues *is, hlent *v, size_t n, unsigned e,
                   const char *what)
{
    if (n > 1)
        qsort(v, n, sizeof *v, cmp_ent);
    for (size_t i = 0; i < n; i++)
        x12__issue(is, s, v[i].k, HXE_X12_ELE_PATTERN, e, 0, "%s", what);
}

void x12__hl_seg(x12__hls *h, size_t k, const x12__elems *ev)
{
    if (h->failed)
        return;
    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 64;
        x12__hl_ent *v = hxe_realloc(h->v, cap * sizeof *v);
        if (!v) {
            h->failed = 1;
            return;
        }
        h->v = v;
        h->cap = cap;
    }
    h->v[h->n++] = (x12__hl_ent){x12__raw(ev, 1), x12__raw(ev, 2), x12__raw(ev, 4), k};
}

void x12__hls_free(x12__hls *h)
{
    hxe_free(h->v);
    memset(h, 0, sizeof *h);
}

int x12__check_hl(const hxe_x12_set *s, hxe_issues *is, const x12__hls *h)
{
    if (h->failed)
        return HXE_ENOMEM;
    size_t n = h->n;
    if (!n)
        return 0;
    /* v: every HL by HL01; bad: those to report, in a second array */
    hlent *v = hxe_malloc(2 * n * sizeof *v);
    unsigned char *has_child = hxe_calloc(n, 1);
    if (!v || !has_child) {
        hxe_free(v);
        hxe_free(has_child);
        return HXE_ENOMEM;
    }
    hlent *bad = v + n;
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        v[i] = (hlent){h->v[i].id, h->v[i].k, h->v[i].child};
        if (i && cmp_index(&v[i - 1], &v[i]) > 0)
            sorted = 0;
    }
    if (!sorted)
        qsort(v, n, sizeof *v, cmp_index);
    size_t nbad = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i].id.n && same_id(v[i].id, v[i - 1].id))
            bad[nbad++] = v[i];
    report(s, is, bad, nbad, 1, "HL01: repeats the id of an earlier hierarchical level");
    for (size_t i = 0; i < n; i++) {
        size_t k = h->v[i].k;
        hxe_slice p = h->v[i].parent;
        size_t want = s->loops ? parent_hl(s, k) : (size_t)-2;
        if (!p.n)
            continue;   /* a missing HL02 is the guide's usage (req=02): IK403 I9 */
        const hlent *e = find(v, n, p);
        if (!e || e->k >= k) {
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "HL02: names no earlier hierarchical level");
            continue;
        }
        has_child[e - v] = 1;
        if (want == (size_t)-1) {
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "HL02: present on a top level");
        } else if (want < s->nseg && want != e->k) {
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "HL02: does not name the level this one belongs under");
        }
    }
    /* HL04 0: no child level may follow. (HL04 1 with none following
     * is tolerated: a 271 that rejects a receiver, as in the guide's own
     * example, keeps the request's 1.) */
    nbad = 0;
    for (size_t i = 0; i < n; i++)
        if (has_child[i] && x12__eq(v[i].child, "0"))
            bad[nbad++] = v[i];
    report(s, is, bad, nbad, 4, "HL04: says no child level follows; one does");
    hxe_free(v);
    hxe_free(has_child);
    return 0;
}
