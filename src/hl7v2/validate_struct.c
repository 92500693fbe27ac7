/*
 * validate_struct.c — segment order against a message structure.
 *
 * A structure is a tree: segments, groups and choices, each with min 0/1
 * and max 1/unbounded. A cursor (one frame per open group instance) says
 * where the last segment was placed. Each segment is placed like this:
 *
 *   strict:  from the current element forward in the innermost frame,
 *            never passing a required element not yet seen; entering a
 *            group only when the segment can start it; when the frame
 *            has nothing, close the group instance (only if what is left
 *            of it is optional) and go on in the parent, where the same
 *            group may start a new instance.
 *   skip:    when strict finds no place, the same walk may pass required
 *            elements (each becomes "required segment X missing");
 *   relaxed: failing that, it may also enter a group anywhere the
 *            segment occurs in it (the group's first segments missing).
 *   neither: the segment is out of order (or not in the structure at
 *            all); it is reported and the cursors stay where they were.
 *
 * A segment can have more than one strict place: in OML_O21 an ORC after
 * a specimen may open the optional PRIOR_RESULT group (whose ORDER_PRIOR
 * starts with an optional ORC) or the next ORDER. Only later segments
 * tell which (the prior order needs an OBX after its OBR, a new order
 * does not), so the matcher follows every strict reading at once, a set
 * of cursors ordered by preference (the greedy reading, the way HAPI
 * places segments, first), and drops a reading when a segment has no
 * strict place in it. Readings that reach the same place are merged
 * (counts are kept only as far as min/max can tell them apart), so the
 * set stays small (over the shared sample corpus and the tests it never
 * holds more than two). It is bounded all the same (HL7V_ALTS; the least preferred
 * readings are dropped), so each segment costs at most HL7V_ALTS walks
 * over the structure and the work stays linear in the message, whatever
 * the input. Errors are reported only when no reading is left: skip and
 * relaxed start from the reading that misses the fewest required
 * elements, and the end of the message is checked the same way.
 *
 * Following every reading costs a walk to the end of the structure per
 * segment, where placing greedily stops at the first fit. So while there
 * is one reading the matcher places greedily, and looks for other places
 * only when the segment lands on a node the generated tables mark
 * ambiguous (hxe_hl7d_node.ambig: some node further on may take the same
 * segment; under a hundred of ~8,000 nodes, such as ORDER_PRIOR's ORC).
 *
 * A skip or relaxed jump is taken only when the next segment fits after
 * it, or fits nowhere else either (one segment of look-ahead): otherwise
 * one stray segment could skip the cursor past the rest of the message.
 */
#include "hl7v2/validate.h"

#include <string.h>

#define MISS_MAX 8

typedef struct miss {
    const hxe_hl7d_node *v[MISS_MAX];
    unsigned n;        /* all of them, v holds the first MISS_MAX */
} miss;

static void miss_add(miss *ms, const hxe_hl7d_node *e)
{
    if (!ms)
        return;
    if (ms->n < MISS_MAX)
        ms->v[ms->n] = e;
    ms->n++;
}

static const hxe_hl7d_node *kids(const hxe_hl7d_node *e)
{
    return &hxe_hl7d_nodes[e->first];
}

static int name_is(const hxe_hl7d_node *e, const char *id)
{
    const char *n = HXE_HL7D_STR(e->name);
    return n[0] == id[0] && n[1] == id[1] && n[2] == id[2] && n[3] == 0;
}

/* a segment or a choice that takes this id */
static int takes(const hxe_hl7d_node *e, const char *id)
{
    if (e->kind == HXE_HL7D_NODE_SEG)
        return name_is(e, id);
    if (e->kind == HXE_HL7D_NODE_CHOICE) {
        for (unsigned k = 0; k < e->nchild; k++)
            if (name_is(&kids(e)[k], id))
                return 1;
    }
    return 0;
}

/* Can segment id start an instance of group g (passing only optional
 * elements before it)? */
static int starts(const hxe_hl7d_node *g, const char *id, int depth)
{
    if (depth >= HXE_HL7D_MAX_DEPTH)
        return 0;
    for (unsigned k = 0; k < g->nchild; k++) {
        const hxe_hl7d_node *e = &kids(g)[k];
        if (e->kind == HXE_HL7D_NODE_GROUP ? starts(e, id, depth + 1) : takes(e, id))
            return 1;
        if (e->min)
            return 0;
    }
    return 0;
}

/* Does segment id occur anywhere in group g? */
static int occurs(const hxe_hl7d_node *g, const char *id, int depth)
{
    if (depth >= HXE_HL7D_MAX_DEPTH)
        return 0;
    for (unsigned k = 0; k < g->nchild; k++) {
        const hxe_hl7d_node *e = &kids(g)[k];
        if (e->kind == HXE_HL7D_NODE_GROUP ? occurs(e, id, depth + 1) : takes(e, id))
            return 1;
    }
    return 0;
}

/* The count of element e after one more match. Beyond max (or, when
 * unbounded, beyond 1) the number no longer changes what may follow, so
 * it saturates: two readings that differ only there are the same. */
static uint32_t bump(const hxe_hl7d_node *e, uint32_t cnt)
{
    uint32_t cap = e->max ? e->max : 1;
    return cnt + 1 < cap ? cnt + 1 : cap;
}

static void open_group(hl7v_cursor *cur, const hxe_hl7d_node *e)
{
    hl7v_frame *g = &cur->fr[cur->depth++];
    g->list = kids(e);
    g->n = e->nchild;
    g->i = 0;
    g->c = 0;
}

static void cursor_copy(hl7v_cursor *dst, const hl7v_cursor *src)
{
    dst->depth = src->depth;
    memcpy(dst->fr, src->fr, (size_t)src->depth * sizeof src->fr[0]);
}

static int cursor_same(const hl7v_cursor *a, const hl7v_cursor *b)
{
    if (a->depth != b->depth)
        return 0;
    for (int d = a->depth - 1; d >= 0; d--)
        if (a->fr[d].list != b->fr[d].list || a->fr[d].i != b->fr[d].i ||
            a->fr[d].c != b->fr[d].c)
            return 0;
    return 1;
}

enum { SEEK_STRICT = 0, SEEK_SKIP = 1, SEEK_RELAXED = 2 };

/* Moves the cursor to the first place of segment id. Returns 1 when
 * found (cur updated), 0 when not (cur is garbage: callers work on a
 * copy). Strict mode finds a place exactly when expand() finds one. */
static int seek(hl7v_cursor *cur, const char *id, int mode, miss *ms)
{
    for (;;) {
        hl7v_frame *f = &cur->fr[cur->depth - 1];
        int entered = 0;
        for (unsigned j = f->i; j < f->n && !entered; j++) {
            const hxe_hl7d_node *e = &f->list[j];
            uint32_t cnt = j == f->i ? f->c : 0;
            int more = e->max == 0 || cnt < e->max;
            if (more && e->kind != HXE_HL7D_NODE_GROUP && takes(e, id)) {
                f->i = (uint8_t)j;
                f->c = bump(e, cnt);
                return 1;
            }
            if (more && e->kind == HXE_HL7D_NODE_GROUP &&
                (mode == SEEK_RELAXED ? occurs(e, id, cur->depth)
                                      : starts(e, id, cur->depth))) {
                if (cur->depth >= HXE_HL7D_MAX_DEPTH)
                    return 0;
                f->i = (uint8_t)j;
                f->c = bump(e, cnt);
                open_group(cur, e);
                entered = 1;
                break;
            }
            if (cnt < e->min) {
                if (mode == SEEK_STRICT)
                    return 0;
                miss_add(ms, e);
            }
        }
        if (entered)
            continue;
        if (cur->depth == 1)
            return 0;
        /* close this group instance; the parent's element is the group */
        cur->depth--;
    }
}

/* ---- the set of readings ---- */

typedef struct alts {
    hl7v_cursor *v;
    unsigned n;
} alts;

static void alts_add(alts *out, const hl7v_cursor *cur)
{
    for (unsigned k = 0; k < out->n; k++)
        if (cursor_same(&out->v[k], cur))
            return;
    if (out->n < HL7V_ALTS)
        cursor_copy(&out->v[out->n++], cur);
}

/* Adds every strict place of segment id after cursor w to out, in the
 * order seek() would prefer them (the first is seek's own). fresh: the
 * innermost frame was opened for this segment and may not close empty.
 * w is scratch: its frames from depth w->depth on may be overwritten.
 * Recursion: one level per frame opened or closed, at most twice
 * HXE_HL7D_MAX_DEPTH. */
static void expand(hl7v_cursor *w, const char *id, int fresh, alts *out)
{
    int d = w->depth;
    hl7v_frame *f = &w->fr[d - 1];
    const hl7v_frame save = *f;
    for (unsigned j = save.i; j < save.n; j++) {
        const hxe_hl7d_node *e = &save.list[j];
        uint32_t cnt = j == save.i ? save.c : 0;
        int more = e->max == 0 || cnt < e->max;
        if (more && e->kind != HXE_HL7D_NODE_GROUP && takes(e, id)) {
            f->i = (uint8_t)j;
            f->c = bump(e, cnt);
            alts_add(out, w);
        } else if (more && e->kind == HXE_HL7D_NODE_GROUP && d < HXE_HL7D_MAX_DEPTH &&
                   starts(e, id, d)) {
            f->i = (uint8_t)j;
            f->c = bump(e, cnt);
            open_group(w, e);
            expand(w, id, 1, out);
            w->depth = d;
        }
        *f = save;
        if (cnt < e->min)
            return;
    }
    if (fresh || d == 1)
        return;
    w->depth = d - 1;
    expand(w, id, 0, out);
    w->depth = d;
}

/* first segment id of a node, for naming where a missing group was */
static const char *first_seg(const hxe_hl7d_node *e, int depth)
{
    if (e->kind != HXE_HL7D_NODE_GROUP || depth >= HXE_HL7D_MAX_DEPTH)
        return e->kind == HXE_HL7D_NODE_CHOICE && e->nchild
                   ? HXE_HL7D_STR(kids(e)[0].name) : HXE_HL7D_STR(e->name);
    for (unsigned k = 0; k < e->nchild; k++)
        if (kids(e)[k].min)
            return first_seg(&kids(e)[k], depth + 1);
    return e->nchild ? first_seg(&kids(e)[0], depth + 1) : "";
}

/* Location where a missing node was expected: before segment i (i ==
 * nseg: at the end of the message). */
static void report_missing(const hl7v_matcher *mt, const miss *ms, size_t i)
{
    const hxe_hl7_msg *m = mt->c->m;
    for (unsigned k = 0; k < ms->n && k < MISS_MAX; k++) {
        const hxe_hl7d_node *e = ms->v[k];
        hxe_loc l = hxe_loc_none();
        const char *seg = first_seg(e, 0);
        snprintf(l.seg, sizeof l.seg, "%.3s", seg);
        l.seg_pos = (uint32_t)(i + 1);
        l.offset = i < m->nseg ? m->segs[i].offset : m->raw_len;
        if (e->kind == HXE_HL7D_NODE_GROUP)
            hl7v_add(mt->c, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                     "required group %s (%s) missing", HXE_HL7D_STR(e->name), l.seg);
        else
            hl7v_add(mt->c, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                     "required segment %s missing", l.seg);
    }
    if (ms->n > MISS_MAX) {
        hxe_loc l = hl7v_loc(mt->c, i < m->nseg ? i : m->nseg - 1, 0, 0, 0, 0);
        hl7v_add(mt->c, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                 "%u more required segments or groups missing", ms->n - MISS_MAX);
    }
}

void hl7v_matcher_init(hl7v_matcher *mt, const hl7v_ctx *c, const hxe_hl7d_msg *msg)
{
    mt->c = c;
    mt->msg = msg;
    mt->cur = 0;
    mt->n = 1;
    hl7v_cursor *cur = &mt->set[0][0];
    memset(cur, 0, sizeof *cur);
    cur->depth = 1;
    cur->fr[0].list = &hxe_hl7d_nodes[msg->first];
    cur->fr[0].n = (uint8_t)(msg->n > 255 ? 255 : msg->n);
}

static int in_structure(const hxe_hl7d_msg *msg, const char *id)
{
    const hxe_hl7d_node *list = &hxe_hl7d_nodes[msg->first];
    for (unsigned k = 0; k < msg->n; k++) {
        const hxe_hl7d_node *e = &list[k];
        if (e->kind == HXE_HL7D_NODE_GROUP ? occurs(e, id, 1) : takes(e, id))
            return 1;
    }
    return 0;
}

/* Skip or relaxed seek from the reading that misses the fewest required
 * elements (the more preferred one on a tie); 1 with *out and *ms set. */
static int recover(const hl7v_matcher *mt, const char *id, int mode, hl7v_cursor *out,
                   miss *ms)
{
    const hl7v_cursor *set = mt->set[mt->cur];
    int found = 0;
    for (unsigned k = 0; k < mt->n; k++) {
        hl7v_cursor t;
        miss mk;
        memset(&mk, 0, sizeof mk);
        cursor_copy(&t, &set[k]);
        if (seek(&t, id, mode, &mk) && (!found || mk.n < ms->n)) {
            cursor_copy(out, &t);
            *ms = mk;
            found = 1;
        }
    }
    return found;
}

/* Does segment id have a strict place in some reading? */
static int fits(const hl7v_cursor *set, unsigned n, const char *id)
{
    for (unsigned k = 0; k < n; k++) {
        hl7v_cursor t;
        cursor_copy(&t, &set[k]);
        if (seek(&t, id, SEEK_STRICT, NULL))
            return 1;
    }
    return 0;
}

/* Places segment id in every reading: 1 when some reading has a strict
 * place for it (the set becomes the new readings), 0 when none has. */
static int place(hl7v_matcher *mt, const char *id)
{
    const hl7v_cursor *live = mt->set[mt->cur];
    alts out = {mt->set[!mt->cur], 0};
    if (mt->n == 1) {
        /* the common case: one reading, and the first place seek finds
         * is the only one unless the tables mark the node ambiguous */
        hl7v_cursor *t = &out.v[0];
        cursor_copy(t, &live[0]);
        if (!seek(t, id, SEEK_STRICT, NULL))
            return 0;
        const hl7v_frame *f = &t->fr[t->depth - 1];
        if (!f->list[f->i].ambig)
            out.n = 1;
    }
    if (!out.n) {
        hl7v_cursor w;
        for (unsigned k = 0; k < mt->n; k++) {
            cursor_copy(&w, &live[k]);
            expand(&w, id, 0, &out);
        }
        if (!out.n)
            return 0;
    }
    mt->cur = !mt->cur;
    mt->n = out.n;
    return 1;
}

void hl7v_matcher_step(hl7v_matcher *mt, size_t i, size_t next)
{
    const hxe_hl7_msg *m = mt->c->m;
    const char *id = m->segs[i].id;
    if (mt->msg->n == 0 || place(mt, id))
        return;
    miss ms;
    memset(&ms, 0, sizeof ms);
    hl7v_cursor try;
    int jump = recover(mt, id, SEEK_SKIP, &try, &ms);
    if (!jump) {
        memset(&ms, 0, sizeof ms);
        jump = recover(mt, id, SEEK_RELAXED, &try, &ms);
    }
    if (jump && next < m->nseg) {
        /* look-ahead: keep the jump if the next segment fits after it,
         * or fits no better when this one is dropped */
        const char *nid = m->segs[next].id;
        if (!fits(&try, 1, nid) && fits(mt->set[mt->cur], mt->n, nid))
            jump = 0;
    }
    if (jump) {
        report_missing(mt, &ms, i);
        cursor_copy(&mt->set[mt->cur][0], &try);
        mt->n = 1;
        return;
    }
    hxe_loc l = hl7v_loc(mt->c, i, 0, 0, 0, 0);
    if (in_structure(mt->msg, id))
        hl7v_add(mt->c, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                 "segment %s out of order for %s", id, HXE_HL7D_STR(mt->msg->name));
    else
        hl7v_add(mt->c, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                 "segment %s not allowed in %s", id, HXE_HL7D_STR(mt->msg->name));
}

/* Required elements a reading still lacks at the end of the message. */
static void missing_at_end(const hl7v_cursor *cur, miss *ms)
{
    for (int d = cur->depth - 1; d >= 0; d--) {
        const hl7v_frame *f = &cur->fr[d];
        for (unsigned j = f->i; j < f->n; j++) {
            uint32_t cnt = j == f->i ? f->c : 0;
            if (cnt < f->list[j].min)
                miss_add(ms, &f->list[j]);
        }
    }
}

void hl7v_matcher_finish(hl7v_matcher *mt)
{
    miss best;
    memset(&best, 0, sizeof best);
    for (unsigned k = 0; k < mt->n; k++) {
        miss ms;
        memset(&ms, 0, sizeof ms);
        missing_at_end(&mt->set[mt->cur][k], &ms);
        if (k == 0 || ms.n < best.n)
            best = ms;
        if (best.n == 0)
            break;
    }
    report_missing(mt, &best, mt->c->m->nseg);
}
