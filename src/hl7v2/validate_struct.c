/*
 * validate_struct.c — segment order against a message structure.
 *
 * A structure is a tree: segments, groups and choices, each with min 0/1
 * and max 1/unbounded. The matcher keeps a cursor (one frame per open
 * group instance) and places each segment greedily, the way HAPI does:
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
 *            all); it is reported and the cursor stays where it was.
 *
 * A relaxed jump is taken only when the next segment fits after it, or
 * fits nowhere else either (one segment of look-ahead): otherwise one
 * stray segment could skip the cursor past the rest of the message.
 *
 * There is no backtracking: each segment costs at most a walk over the
 * structure (a few hundred nodes), so the work is linear in the message.
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

enum { SEEK_STRICT = 0, SEEK_SKIP = 1, SEEK_RELAXED = 2 };

/* Moves the cursor to the place of segment id. Returns 1 when found
 * (cur updated), 0 when not (cur is garbage: callers work on a copy). */
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
                f->c = cnt + 1;
                return 1;
            }
            if (more && e->kind == HXE_HL7D_NODE_GROUP &&
                (mode == SEEK_RELAXED ? occurs(e, id, cur->depth)
                                      : starts(e, id, cur->depth))) {
                if (cur->depth >= HXE_HL7D_MAX_DEPTH)
                    return 0;
                f->i = (uint8_t)j;
                f->c = cnt + 1;
                hl7v_frame *g = &cur->fr[cur->depth++];
                g->list = kids(e);
                g->n = e->nchild;
                g->i = 0;
                g->c = 0;
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
    memset(mt, 0, sizeof *mt);
    mt->c = c;
    mt->msg = msg;
    mt->cur.depth = 1;
    mt->cur.fr[0].list = &hxe_hl7d_nodes[msg->first];
    mt->cur.fr[0].n = (uint8_t)(msg->n > 255 ? 255 : msg->n);
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

void hl7v_matcher_step(hl7v_matcher *mt, size_t i, size_t next)
{
    const hxe_hl7_msg *m = mt->c->m;
    const char *id = m->segs[i].id;
    if (mt->msg->n == 0)
        return;
    hl7v_cursor try = mt->cur;
    if (seek(&try, id, SEEK_STRICT, NULL)) {
        mt->cur = try;
        return;
    }
    miss ms;
    memset(&ms, 0, sizeof ms);
    try = mt->cur;
    int jump = seek(&try, id, SEEK_SKIP, &ms);
    if (!jump) {
        memset(&ms, 0, sizeof ms);
        try = mt->cur;
        jump = seek(&try, id, SEEK_RELAXED, &ms);
    }
    if (jump && next < m->nseg) {
        /* look-ahead: keep the jump if the next segment fits after it,
         * or fits no better when this one is dropped */
        const char *nid = m->segs[next].id;
        hl7v_cursor a = try, b = mt->cur;
        if (!seek(&a, nid, SEEK_STRICT, NULL) && seek(&b, nid, SEEK_STRICT, NULL))
            jump = 0;
    }
    if (jump) {
        report_missing(mt, &ms, i);
        mt->cur = try;
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

void hl7v_matcher_finish(hl7v_matcher *mt)
{
    miss ms;
    memset(&ms, 0, sizeof ms);
    for (int d = mt->cur.depth - 1; d >= 0; d--) {
        const hl7v_frame *f = &mt->cur.fr[d];
        for (unsigned j = f->i; j < f->n; j++) {
            uint32_t cnt = j == f->i ? f->c : 0;
            if (cnt < f->list[j].min)
                miss_add(&ms, &f->list[j]);
        }
    }
    report_missing(mt, &ms, mt->c->m->nseg);
}
