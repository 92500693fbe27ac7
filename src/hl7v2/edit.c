/*
 * edit.c — set, insert and delete by path; writing the message out.
 *
 * An edit rebuilds the text of the one segment it touches, level by
 * level: the addressed piece (field, repetition, component or
 * subcomponent) is changed, then each enclosing level takes the rebuilt
 * child. Missing pieces are created by adding separators. The new text
 * lives in the message's arena; other segments still point at the input.
 */
#include "hl7v2/internal.h"

enum op { OP_SET, OP_INSERT, OP_DELETE };

/* out = s split on sep with piece k (0-based) set, inserted or deleted. */
static int edit_piece(enum op op, const char *s, size_t n, char sep, unsigned k,
                      const char *v, size_t vn, hxe_buf *out)
{
    const char *end = s + n, *b, *e;
    int have = hl7__piece(s, end, sep, k, &b, &e);
    int rc;
    if (!have) {
        if (op == OP_DELETE)
            return hxe_buf_append(out, s, n);
        /* pad to k pieces, then the value */
        size_t count = hxe_slice_count(hxe_slice_of(s, n), sep);
        rc = hxe_buf_append(out, s, n);
        for (size_t i = count; i <= k && !rc; i++)
            rc = hxe_buf_putc(out, sep);
        return rc ? rc : hxe_buf_append(out, v, vn);
    }
    switch (op) {
    case OP_SET:
        rc = hxe_buf_append(out, s, (size_t)(b - s));
        if (!rc)
            rc = hxe_buf_append(out, v, vn);
        if (!rc)
            rc = hxe_buf_append(out, e, (size_t)(end - e));
        return rc;
    case OP_INSERT:
        rc = hxe_buf_append(out, s, (size_t)(b - s));
        if (!rc)
            rc = hxe_buf_append(out, v, vn);
        if (!rc)
            rc = hxe_buf_putc(out, sep);
        if (!rc)
            rc = hxe_buf_append(out, b, (size_t)(end - b));
        return rc;
    case OP_DELETE:
        if (e < end) /* drop the piece and the separator after it */
            e++;
        else if (b > s) /* last piece: drop the separator before it */
            b--;
        rc = hxe_buf_append(out, s, (size_t)(b - s));
        if (!rc)
            rc = hxe_buf_append(out, e, (size_t)(end - e));
        return rc;
    }
    return HXE_EINVAL;
}

struct level {
    char sep;
    unsigned k;
};

/* Applies op at the deepest level of `lv` inside text, rebuilding the
 * enclosing levels; result in out. */
static int edit_levels(enum op op, const char *text, size_t n, const struct level *lv,
                       size_t nlv, const char *v, size_t vn, hxe_buf *out)
{
    if (nlv == 1)
        return edit_piece(op, text, n, lv[0].sep, lv[0].k, v, vn, out);
    const char *b, *e;
    if (!hl7__piece(text, text + n, lv[0].sep, lv[0].k, &b, &e) && op == OP_DELETE)
        return hxe_buf_append(out, text, n); /* nothing there to delete */
    hxe_buf child = HXE_BUF_INIT;
    int rc = edit_levels(op, b, (size_t)(e - b), lv + 1, nlv - 1, v, vn, &child);
    if (!rc)
        rc = edit_piece(OP_SET, text, n, lv[0].sep, lv[0].k, child.p ? child.p : "", child.len,
                        out);
    hxe_buf_free(&child);
    return rc;
}

static int store_segment(hxe_hl7_msg *m, size_t i, const char *text, size_t n, hxe_err *err)
{
    char *p = hxe_arena_strndup(m->arena, text, n);
    if (!p)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    m->segs[i].p = p;
    m->segs[i].n = n;
    m->modified = 1;
    return 0;
}

static int check_segment_text(const hxe_hl7_msg *m, const char *t, size_t n, hxe_err *err)
{
    if (!hl7__seg_id_ok(t, n, m->enc.fs))
        return hxe_err_set(err, HXE_EINVAL,
                           "segment text must start with a 3-character id and the field separator");
    if (memchr(t, '\r', n) || memchr(t, '\n', n))
        return hxe_err_set(err, HXE_EINVAL, "segment text must not contain line breaks");
    if (n >= 3 && memcmp(t, "MSH", 3) == 0)
        return hxe_err_set(err, HXE_EINVAL, "a message has one MSH");
    return 0;
}

static int edit(hxe_hl7_msg *m, enum op op, const hxe_hl7_path *p, const char *val, size_t vn,
                unsigned flags, hxe_err *err)
{
    long idx = hxe_hl7_find(m, p->seg, p->seg_seq);
    if (idx < 0)
        return hxe_err_set(err, HXE_ENOTFOUND, "%s: no such segment", p->seg);
    hxe_hl7_seg *s = &m->segs[idx];
    int header = hl7__is_header(s);
    if (header && p->field <= 2)
        return hxe_err_set(err, HXE_EINVAL, "MSH-1 and MSH-2 cannot be edited");
    if (p->field > m->opts.max_fields)
        return hxe_err_set(err, HXE_EINVAL, "%s-%u: over the limit of %zu fields", p->seg,
                           p->field, m->opts.max_fields);
    if (p->sub && !p->comp)
        return hxe_err_set(err, HXE_EINVAL, "a subcomponent needs a component");

    struct level lv[4];
    size_t nlv = 0;
    lv[nlv++] = (struct level){m->enc.fs, hl7__piece_of(s, p->field)};
    if (p->rep || p->comp) {
        unsigned r = p->rep ? p->rep : 1;
        if (m->enc.rs)
            lv[nlv++] = (struct level){m->enc.rs, r - 1};
        else if (r > 1)
            return hxe_err_set(err, HXE_EINVAL, "MSH-2 declares no repetition separator");
    }
    if (p->comp)
        lv[nlv++] = (struct level){m->enc.cs, p->comp - 1u};
    if (p->sub) {
        if (m->enc.ss)
            lv[nlv++] = (struct level){m->enc.ss, p->sub - 1u};
        else if (p->sub > 1)
            return hxe_err_set(err, HXE_EINVAL, "MSH-2 declares no subcomponent separator");
    }

    hxe_buf v = HXE_BUF_INIT, out = HXE_BUF_INIT;
    int rc = 0;
    if (op != OP_DELETE) {
        if (flags & HXE_HL7_SET_RAW) {
            if (memchr(val, '\r', vn) || memchr(val, '\n', vn))
                rc = hxe_err_set(err, HXE_EINVAL, "a raw value must not contain line breaks");
            else
                rc = hxe_buf_append(&v, val, vn);
        } else {
            hxe_buf esc = HXE_BUF_INIT;
            rc = hxe_hl7_escape(&m->enc, val, vn, &esc);
            if (!rc)
                rc = hl7__utf8_to_msg(m, esc.p ? esc.p : "", esc.len, &v);
            hxe_buf_free(&esc);
            if (rc)
                hxe_err_set(err, rc, "value cannot be encoded for this message (%s)",
                            hxe_strerror(rc));
        }
    }
    if (!rc)
        rc = edit_levels(op, s->p, s->n, lv, nlv, v.p ? v.p : "", v.len, &out);
    if (!rc)
        rc = store_segment(m, (size_t)idx, out.p ? out.p : "", out.len, err);
    else if (!err || !err->code)
        hxe_err_set(err, rc, "%s", hxe_strerror(rc));
    hxe_buf_free(&v);
    hxe_buf_free(&out);
    return rc;
}

int hxe_hl7_set(hxe_hl7_msg *m, const hxe_hl7_path *p, const char *val, size_t n,
                unsigned flags, hxe_err *err)
{
    if (p->field == 0) {
        long idx = hxe_hl7_find(m, p->seg, p->seg_seq);
        if (idx < 0)
            return hxe_err_set(err, HXE_ENOTFOUND, "%s: no such segment", p->seg);
        if (idx == 0)
            return hxe_err_set(err, HXE_EINVAL, "MSH cannot be replaced whole");
        int rc = check_segment_text(m, val, n, err);
        if (rc)
            return rc;
        rc = store_segment(m, (size_t)idx, val, n, err);
        if (!rc) {
            memcpy(m->segs[idx].id, val, 3);
            m->segs[idx].id[3] = '\0';
            m->segs[idx].bad = 0;
        }
        return rc;
    }
    return edit(m, OP_SET, p, val, n, flags, err);
}

int hxe_hl7_insert_segment(hxe_hl7_msg *m, size_t index, const char *text, size_t n,
                           hxe_err *err)
{
    if (index == 0 || index > m->nseg)
        return hxe_err_set(err, HXE_EINVAL, "segment position %zu is not between 2 and %zu",
                           index + 1, m->nseg + 1);
    int rc = check_segment_text(m, text, n, err);
    if (rc)
        return rc;
    if (m->nseg >= m->opts.max_segments)
        return hxe_err_set(err, HXE_ETOOBIG, "over the limit of %zu segments", m->opts.max_segments);
    char *p = hxe_arena_strndup(m->arena, text, n);
    if (!p || hl7__grow_segs(m, m->nseg + 1))
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    memmove(&m->segs[index + 1], &m->segs[index], (m->nseg - index) * sizeof m->segs[0]);
    hxe_hl7_seg *s = &m->segs[index];
    s->p = p;
    s->n = n;
    s->offset = (size_t)-1;
    memcpy(s->id, text, 3);
    s->id[3] = '\0';
    s->bad = 0;
    m->nseg++;
    m->modified = 1;
    return 0;
}

int hxe_hl7_insert(hxe_hl7_msg *m, const hxe_hl7_path *p, const char *val, size_t n,
                   unsigned flags, hxe_err *err)
{
    if (p->field == 0) {
        long idx = hxe_hl7_find(m, p->seg, p->seg_seq);
        return hxe_hl7_insert_segment(m, idx < 0 ? m->nseg : (size_t)idx, val, n, err);
    }
    return edit(m, OP_INSERT, p, val, n, flags, err);
}

int hxe_hl7_delete(hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_err *err)
{
    if (p->field == 0) {
        long idx = hxe_hl7_find(m, p->seg, p->seg_seq);
        if (idx < 0)
            return hxe_err_set(err, HXE_ENOTFOUND, "%s: no such segment", p->seg);
        if (idx == 0)
            return hxe_err_set(err, HXE_EINVAL, "MSH cannot be deleted");
        memmove(&m->segs[idx], &m->segs[idx + 1],
                (m->nseg - (size_t)idx - 1) * sizeof m->segs[0]);
        m->nseg--;
        m->modified = 1;
        return 0;
    }
    return edit(m, OP_DELETE, p, NULL, 0, 0, err);
}

int hxe_hl7_write(const hxe_hl7_msg *m, hxe_buf *out)
{
    if (!m->modified)
        return hxe_buf_append(out, m->raw, m->raw_len);
    size_t total = 0;
    for (size_t i = 0; i < m->nseg; i++)
        total += m->segs[i].n + 1;
    int rc = hxe_buf_reserve(out, total);
    for (size_t i = 0; i < m->nseg && !rc; i++) {
        rc = hxe_buf_append(out, m->segs[i].p, m->segs[i].n);
        if (!rc)
            rc = hxe_buf_putc(out, '\r');
    }
    return rc;
}
