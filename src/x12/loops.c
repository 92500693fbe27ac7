/*
 * loops.c — schema-driven loop parsing: which loop every segment of a
 * transaction set belongs to, the way the implementation guides say.
 *
 * Loops are not marked on the wire; a loop starts at its first segment,
 * told apart from its siblings by the first code list of that segment in
 * the schema (NM101 for name loops, HL03 for hierarchical levels). The
 * parser keeps a stack of open loop instances and, for each segment,
 * looks forward from where it is in the innermost loop, then in each
 * enclosing one (closing the inner ones): a segment of the loop, or the
 * first segment of a child loop (a new instance). When nothing fits it
 * tries, in order: the segment earlier in the current loop (out of
 * sequence), the same id whatever its qualifier (a bad code), and
 * finally reports it as unexpected and leaves it in the current loop.
 *
 * Structure problems become issues with their IK304 codes: required
 * segment or loop missing (3), over the maximum use (5) or loop count
 * (4), out of sequence (7), not in the set (6), unexpected (2), not used
 * by the guide (I4).
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <stdio.h>

typedef struct frame {
    const x12t_node *loop;   /* the loop's node */
    uint32_t i;              /* child index we are at */
    uint32_t *count;         /* per child: segments seen / loop instances */
    uint32_t inst;           /* index in set->loops */
    uint32_t req_seen;       /* required children seen at least once */
    uint32_t req_need;       /* required children the loop has */
    uint64_t ids;            /* id_bit of every child a segment can match */
} frame;

/* What the parser needs to know of a loop node, remembered for the set:
 * working it out again for every loop instance (every claim, every
 * service line) would cost as much as placing the segments. */
typedef struct node_info {
    uint32_t key;            /* node index + 1; 0 = empty */
    uint32_t req;            /* required children */
    uint64_t ids;            /* id_bit of each child (of its first segment
                                for a loop); a loop's own first segment left
                                out, as it starts a new instance instead */
} node_info;
#define NODE_CACHE 64        /* direct-mapped by node index */

/* Qualifier verdicts (x12t_qual_ok) for short values, remembered for the
 * set: the same few codes (NM101, DTP01, REF01, HL03) decide where
 * nearly every segment goes. Direct-mapped by qualifier and value. */
typedef struct qual_memo {
    uint64_t key;            /* qualifier index + 1, length, bytes; 0 = empty */
    int ok;
} qual_memo;
#define QUAL_CACHE 256

typedef struct lp {
    hxe_x12_set *s;
    hxe_arena *a;
    hxe_issues *is;
    frame st[X12T_MAX_DEPTH + 1];
    uint32_t *cbuf[X12T_MAX_DEPTH + 1];  /* count arrays, reused per depth */
    uint32_t ccap[X12T_MAX_DEPTH + 1];
    node_info info[NODE_CACHE];
    qual_memo qmemo[QUAL_CACHE];
    /* the last qualifier value taken from a segment: same-id siblings
     * (REF, DTP, NM1...) ask for the same element one after the other */
    const hxe_x12_seg *qv_seg;
    unsigned qv_e, qv_c;
    hxe_slice qv;
    int depth;               /* index of the top frame */
    int max_depth;           /* loops nested at most (opts.max_loop_depth) */
    size_t loop_cap;
    int failed;
} lp;

static const x12t_node *child(const x12t_node *loop, uint32_t j)
{
    return &x12t_nodes[loop->first + j];
}

static const char *loop_label(const x12t_node *n)
{
    const char *id = X12T_STR(n->id);
    return id[0] ? id : "header";
}

static hxe_issue *issue(lp *p, int code, const char *seg, size_t pos, unsigned e,
                        const char *fmt, ...) HXE_PRINTF(6, 7);

static hxe_issue *issue(lp *p, int code, const char *seg, size_t pos, unsigned e,
                        const char *fmt, ...)
{
    if (!p->is)
        return NULL;
    hxe_loc l = hxe_loc_none();
    snprintf(l.seg, sizeof l.seg, "%s", seg);
    l.seg_pos = (uint32_t)pos;
    l.field = (uint16_t)e;
    if (pos >= 1 && pos <= p->s->nseg)
        l.offset = p->s->segs[pos - 1].offset;
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return hxe_issues_add(p->is, HXE_SEV_ERROR, code, &l, "%s", text);
}

/* The value a qualifier test looks at: element q->e, its first
 * repetition, component q->c (0: the whole repetition). The same as
 * hxe_x12_component(g, &s->d, q->e, 1, q->c), in one walk over the
 * bytes: this runs for nearly every segment of the set. */
static hxe_slice qual_value(const hxe_x12_set *s, const hxe_x12_seg *g, const x12t_qual *q)
{
    const char *p = g->p, *end = g->p + g->n;
    const char es = s->d.es, rs = s->d.rs ? s->d.rs : es, cs = s->d.cs;
    if (q->e)   /* the id (2 or 3 bytes, known) comes first */
        p += g->id[2] ? 3 : 2;
    for (unsigned i = 0; i < q->e; i++) {
        while (p < end && *p != es)
            p++;
        if (p == end)
            return HXE_SLICE_EMPTY;
        p++;
    }
    for (unsigned i = 1; i < q->c; i++) {
        while (p < end && *p != es && *p != rs && *p != cs)
            p++;
        if (p == end || *p != cs)
            return HXE_SLICE_EMPTY;
        p++;
    }
    const char *v = p;
    while (p < end && *p != es && *p != rs && (q->c == 0 || *p != cs))
        p++;
    return hxe_slice_of(v, (size_t)(p - v));
}

/* Same segment id: both are NUL-padded char[4], so four bytes compare
 * at once (this runs for every candidate of every segment). */
static inline int same_id(const char *a, const char *b) { return memcmp(a, b, 4) == 0; }

/* One of 64 bits for a segment id, for the per-loop id sets */
static inline uint64_t id_bit(const char *id)
{
    unsigned h = (unsigned char)id[0] * 7u + (unsigned char)id[1] * 3u + (unsigned char)id[2];
    return (uint64_t)1 << (h & 63);
}

static int qual_ok(lp *p, const x12t_qual *q, hxe_slice v)
{
    if (v.n > 4)
        return x12t_qual_ok(q, v.p, v.n);
    uint64_t bytes = 0;
    for (size_t i = 0; i < v.n; i++)
        bytes |= (uint64_t)(unsigned char)v.p[i] << (8 * i);
    uint64_t key = (uint64_t)(q - x12t_quals + 1) << 35 | (uint64_t)v.n << 32 | bytes;
    qual_memo *m = &p->qmemo[(key * 0x9e3779b97f4a7c15ULL) >> 56];
    if (m->key != key) {
        m->key = key;
        m->ok = x12t_qual_ok(q, v.p, v.n);
    }
    return m->ok;
}

/* Does segment g fit segment node n (same id; the first code list, when
 * there is one, holds its value)? ids_only skips the code list. */
static int seg_fits(lp *p, const hxe_x12_seg *g, const x12t_node *n, int ids_only)
{
    if (!same_id(n->seg, g->id))
        return 0;
    if (ids_only || n->nqual == 0)
        return 1;
    const x12t_qual *q = &x12t_quals[n->qual_first];
    if (p->qv_seg != g || p->qv_e != q->e || p->qv_c != q->c) {
        p->qv = qual_value(p->s, g, q);
        p->qv_seg = g;
        p->qv_e = q->e;
        p->qv_c = q->c;
    }
    return qual_ok(p, q, p->qv);
}

/* A loop node carries its first segment's id (or "" when a loop comes
 * first), so most candidates are ruled out by the id alone. */
static inline int fits(lp *p, const hxe_x12_seg *g, const x12t_node *n, int ids_only)
{
    if (!same_id(n->seg, g->id))
        return 0;
    if (n->kind == X12T_NODE_LOOP)
        return n->nchild && seg_fits(p, g, child(n, 0), ids_only);
    return seg_fits(p, g, n, ids_only);
}

static int add_loop(lp *p, const x12t_node *n, uint32_t parent, uint32_t first_seg)
{
    hxe_x12_set *s = p->s;
    if (s->nloops == p->loop_cap) {
        size_t cap = p->loop_cap ? p->loop_cap * 4 : 64;   /* fourfold: fewer copies */
        hxe_x12_loop *v = hxe_arena_alloc(p->a, cap * sizeof *v);
        if (!v)
            return -1;
        if (s->nloops)
            memcpy(v, s->loops, s->nloops * sizeof *v);
        s->loops = v;
        p->loop_cap = cap;
    }
    hxe_x12_loop *l = &s->loops[s->nloops];
    l->id = X12T_STR(n->id);
    l->name = X12T_STR(n->name);
    l->parent = parent;
    l->first_seg = first_seg;
    l->nseg = 1;
    l->depth = (uint16_t)(parent == 0 && s->nloops == 0 ? 0 : s->loops[parent].depth + 1);
    l->schema_node = (uint16_t)(n - x12t_nodes);
    return (int)s->nloops++;
}

/* Closes the top frame: required children never seen. pos is the
 * position of the segment that closed it (reports point there). */
static void close_top(lp *p, size_t pos)
{
    frame *f = &p->st[p->depth];
    for (uint32_t j = 0; j < f->loop->nchild && f->req_seen < f->req_need; j++) {
        const x12t_node *c = child(f->loop, j);
        if (c->usage != X12T_USE_R || f->count[j])
            continue;
        if (c->kind == X12T_NODE_LOOP)
            issue(p, HXE_X12_SEG_REQUIRED_MISSING, c->seg, pos, 0,
                  "loop %s: required loop %s missing", loop_label(f->loop), X12T_STR(c->id));
        else
            issue(p, HXE_X12_SEG_REQUIRED_MISSING, c->seg, pos, 0,
                  "loop %s: required segment %s missing", loop_label(f->loop), c->seg);
    }
    p->depth--;
}

static const node_info *loop_info(lp *p, const x12t_node *loop, int is_root)
{
    uint32_t key = (uint32_t)(loop - x12t_nodes) + 1;
    node_info *ni = &p->info[key % NODE_CACHE];
    if (ni->key == key)
        return ni;
    ni->key = key;
    ni->req = 0;
    ni->ids = 0;
    for (uint32_t j = 0; j < loop->nchild; j++) {
        const x12t_node *c = child(loop, j);
        ni->req += c->usage == X12T_USE_R;
        if ((j > 0 || is_root) && c->seg[0])
            ni->ids |= id_bit(c->seg);
    }
    return ni;
}

static int push(lp *p, const x12t_node *loop, uint32_t inst)
{
    if (p->depth + 1 > X12T_MAX_DEPTH || p->depth + 1 > p->max_depth)
        return -2;
    int d = ++p->depth;
    frame *f = &p->st[d];
    f->loop = loop;
    f->i = 0;
    f->inst = inst;
    /* the frame that was at this depth before is closed: its counts array
     * serves again (one per depth, not one per loop instance) */
    uint32_t n = loop->nchild ? loop->nchild : 1;
    if (p->ccap[d] < n) {
        uint32_t cap = n < 64 ? 64 : n;
        uint32_t *c = hxe_arena_alloc(p->a, cap * sizeof *c);
        if (!c)
            return -1;
        p->cbuf[d] = c;
        p->ccap[d] = cap;
    }
    f->count = p->cbuf[d];
    memset(f->count, 0, n * sizeof *f->count);
    const node_info *ni = loop_info(p, loop, d == 0);
    f->req_seen = 0;
    f->req_need = ni->req;
    f->ids = ni->ids;
    return 0;
}

/* Child j of frame f seen once more. */
static void count_child(frame *f, uint32_t j)
{
    if (f->count[j]++ == 0 && child(f->loop, j)->usage == X12T_USE_R)
        f->req_seen++;
}

/* Segment k (0-based) goes to child j of frame d. */
static void take(lp *p, int d, uint32_t j, size_t k, int bad_code, int out_of_order)
{
    hxe_x12_set *s = p->s;
    const hxe_x12_seg *g = &s->segs[k];
    while (p->depth > d)
        close_top(p, k + 1);
    frame *f = &p->st[d];
    const x12t_node *c = child(f->loop, j);
    if (!out_of_order)
        f->i = j;
    count_child(f, j);
    const x12t_node *segnode = c;
    if (c->kind == X12T_NODE_LOOP) {
        if (c->max && f->count[j] > c->max)
            issue(p, HXE_X12_SEG_LOOP_OVER_MAX, g->id, k + 1, 0,
                  "loop %s: occurs more than %u times in loop %s", X12T_STR(c->id), c->max,
                  loop_label(f->loop));
        int inst = add_loop(p, c, f->inst, (uint32_t)k);
        int pr = inst < 0 ? -1 : push(p, c, (uint32_t)inst);
        if (pr == -2) {
            issue(p, HXE_X12_SEG_UNEXPECTED, g->id, k + 1, 0,
                  "loop %s: nests deeper than the limit of %d loops", X12T_STR(c->id),
                  p->max_depth);
            p->failed = 2;
            return;
        }
        if (pr < 0) {
            p->failed = 1;
            return;
        }
        count_child(&p->st[p->depth], 0);
        segnode = child(c, 0);
    } else if (c->max && f->count[j] > c->max) {
        issue(p, HXE_X12_SEG_OVER_MAX, g->id, k + 1, 0,
              "loop %s: segment %s used more than %u times", loop_label(f->loop), g->id, c->max);
    }
    if (segnode->usage == X12T_USE_N)
        issue(p, HXE_X12_SEG_NOT_USED, g->id, k + 1, 0,
              "loop %s: segment %s is not used by this implementation guide",
              loop_label(p->st[p->depth].loop), g->id);
    if (out_of_order)
        issue(p, HXE_X12_SEG_SEQUENCE, g->id, k + 1, 0, "loop %s: segment %s out of sequence",
              loop_label(f->loop), g->id);
    if (bad_code && segnode->nqual && qual_value(s, g, &x12t_quals[segnode->qual_first]).n) {
        /* (an empty qualifier is a missing element: validation says so) */
        const x12t_qual *q = &x12t_quals[segnode->qual_first];
        hxe_loc l = x12__loc(g, k + 1, q->e, q->c);
        if (p->is)
            hxe_issues_add(p->is, HXE_SEV_ERROR, HXE_X12_ELE_BAD_CODE, &l,
                           "loop %s: %s%02u: code not valid here",
                           loop_label(p->st[p->depth].loop), g->id, (unsigned)q->e);
    }
    uint32_t inst = p->st[p->depth].inst;
    s->segs[k].loop = inst;
    s->seg_node[k] = ((uint32_t)(segnode - x12t_nodes) + 1) | (bad_code ? 0x80000000u : 0);
}

/* First child index to look at in frame d: the current one (a repeat)
 * and any earlier sibling with the same segment id; never a loop's own
 * first segment, whose repeat means a new instance of the loop. */
static uint32_t start_of(const frame *f, int is_root)
{
    uint32_t j = f->i;
    const x12t_node *c = child(f->loop, j);
    while (j > 0 && c->kind == X12T_NODE_SEG) {
        const x12t_node *b = child(f->loop, j - 1);
        if (b->kind != X12T_NODE_SEG || !same_id(b->seg, c->seg))
            break;
        j--;
    }
    if (!is_root && j == 0)
        j = 1;
    return j;
}

static int find_forward(lp *p, const hxe_x12_seg *g, int ids_only, int *d_out, uint32_t *j_out)
{
    uint64_t bit = id_bit(g->id);
    for (int d = p->depth; d >= 0; d--) {
        const frame *f = &p->st[d];
        if (!(f->ids & bit))
            continue;   /* no child of this loop has the id */
        for (uint32_t j = start_of(f, d == 0); j < f->loop->nchild; j++)
            if (fits(p, g, child(f->loop, j), ids_only)) {
                *d_out = d;
                *j_out = j;
                return 1;
            }
    }
    return 0;
}

static int anywhere(const x12t_node *loop, const char *id)
{
    for (uint32_t j = 0; j < loop->nchild; j++) {
        const x12t_node *c = child(loop, j);
        if (c->kind == X12T_NODE_SEG ? strcmp(c->seg, id) == 0 : anywhere(c, id))
            return 1;
    }
    return 0;
}

static void place(lp *p, size_t k)
{
    hxe_x12_set *s = p->s;
    const hxe_x12_seg *g = &s->segs[k];
    int d;
    uint32_t j;
    if (!g->id[0]) {
        issue(p, HXE_X12_SEG_UNRECOGNIZED, "", k + 1, 0,
              "loop %s: segment %zu has a malformed segment id", loop_label(p->st[p->depth].loop), k + 1);
        s->segs[k].loop = p->st[p->depth].inst;
        return;
    }
    if (find_forward(p, g, 0, &d, &j)) {
        take(p, d, j, k, 0, 0);
        return;
    }
    /* earlier in the current loop: out of sequence */
    frame *f = &p->st[p->depth];
    for (uint32_t b = 0; b < f->i; b++) {
        const x12t_node *c = child(f->loop, b);
        if (c->kind == X12T_NODE_SEG && seg_fits(p, g, c, 0) && (b > 0 || p->depth == 0)) {
            take(p, p->depth, b, k, 0, 1);
            return;
        }
    }
    if (find_forward(p, g, 1, &d, &j)) {
        take(p, d, j, k, 1, 0);
        return;
    }
    s->segs[k].loop = f->inst;
    const x12t_node *root = p->st[0].loop;
    if (!x12t_find_seg(g->id))
        issue(p, HXE_X12_SEG_UNRECOGNIZED, g->id, k + 1, 0, "loop %s: segment id %s unknown",
              loop_label(f->loop), g->id);
    else if (!anywhere(root, g->id))
        issue(p, HXE_X12_SEG_NOT_IN_SET, g->id, k + 1, 0,
              "segment %s is not part of this transaction set", g->id);
    else
        issue(p, HXE_X12_SEG_UNEXPECTED, g->id, k + 1, 0, "loop %s: segment %s unexpected here",
              loop_label(f->loop), g->id);
}

int hxe_x12_parse_loops(hxe_x12_set *s, hxe_arena *a, const hxe_x12_opts *opts,
                        hxe_issues *issues)
{
    hxe_x12_opts o;
    x12__opts(&o, opts);
    s->loops = NULL;
    s->nloops = 0;
    s->schema = NULL;
    if (!s->nseg || strcmp(s->id, "TA1") == 0)
        return HXE_ENOTFOUND;
    const x12t_set *sch = x12t_find_set(s->id, s->guide);
    if (!sch) {
        if (issues) {
            hxe_loc l = x12__loc(&s->segs[0], 1, 3, 0);
            hxe_issues_add(issues, HXE_SEV_ERROR, HXE_X12_SET_GUIDE_NOT_SUPPORTED, &l,
                           "transaction set %s with this implementation guide is not supported",
                           s->id);
        }
        return HXE_ENOTFOUND;
    }
    lp p;
    memset(&p, 0, sizeof p);
    p.s = s;
    p.a = a;
    p.is = issues;
    p.depth = -1;
    p.max_depth = o.max_loop_depth > X12T_MAX_DEPTH ? X12T_MAX_DEPTH : (int)o.max_loop_depth;
    s->seg_node = hxe_arena_calloc(a, s->nseg * sizeof *s->seg_node);
    const x12t_node *root = &x12t_nodes[sch->root];
    if (!s->seg_node || add_loop(&p, root, 0, 0) < 0 || push(&p, root, 0) < 0)
        return HXE_ENOMEM;
    s->schema = sch;
    /* ST is the root's first child */
    count_child(&p.st[0], 0);
    s->seg_node[0] = (uint32_t)(child(root, 0) - x12t_nodes) + 1;
    for (size_t k = 1; k < s->nseg && !p.failed; k++)
        place(&p, k);
    if (p.failed) {
        /* no half tree: the set stays usable as flat segments */
        for (size_t k = 0; k < s->nseg; k++)
            s->segs[k].loop = 0;
        s->loops = NULL;
        s->nloops = 0;
        s->schema = NULL;
        s->seg_node = NULL;
        return p.failed == 2 ? HXE_ETOOBIG : HXE_ENOMEM;
    }
    while (p.depth >= 0)
        close_top(&p, s->nseg);
    /* loop extents: each loop runs to its last descendant's segment. Its
     * own segments first; then, children having higher indices than their
     * parents, one backward sweep hands each extent up to the parent. */
    for (size_t k = 0; k < s->nseg; k++) {
        hxe_x12_loop *l = &s->loops[s->segs[k].loop < s->nloops ? s->segs[k].loop : 0];
        if (k + 1 - l->first_seg > l->nseg)
            l->nseg = (uint32_t)(k + 1 - l->first_seg);
    }
    for (size_t li = s->nloops; li-- > 1;) {
        const hxe_x12_loop *l = &s->loops[li];
        hxe_x12_loop *up = &s->loops[l->parent];
        uint32_t end = l->first_seg + l->nseg;
        if (end - up->first_seg > up->nseg)
            up->nseg = end - up->first_seg;
    }
    return 0;
}
