/*
 * file.c — a whole X12 file in memory: every segment in file order
 * (envelopes, sets and whatever lies between them) and every transaction
 * set, and writing it back, byte for byte or with other delimiters.
 *
 * The whole-file parse is the reader (reader.c) with a sink that keeps
 * each segment it passes; the sets are the reader's. Large files should
 * use the reader directly, one set at a time.
 */
#include "x12/internal.h"

#include <stdio.h>

struct collect {
    hxe_x12_file *f;
    hxe_arena *a;
};

static int sink(void *data, const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    struct collect *c = data;
    hxe_x12_file *f = c->f;
    if (f->nseg == f->seg_cap) {
        size_t cap = f->seg_cap ? f->seg_cap * 2 : 128;
        hxe_x12_seg *v = hxe_arena_alloc(c->a, cap * sizeof *v);
        hxe_x12_delims *dv = hxe_arena_alloc(c->a, cap * sizeof *dv);
        if (!v || !dv)
            return HXE_ENOMEM;
        if (f->nseg) {
            memcpy(v, f->segs, f->nseg * sizeof *v);
            memcpy(dv, f->seg_delims, f->nseg * sizeof *dv);
        }
        f->segs = v;
        f->seg_delims = dv;
        f->seg_cap = cap;
    }
    f->segs[f->nseg] = *s;
    /* bytes outside any interchange carry no delimiters (es 0) */
    if (d)
        f->seg_delims[f->nseg] = *d;
    else
        memset(&f->seg_delims[f->nseg], 0, sizeof *d);
    f->nseg++;
    return 0;
}

int hxe_x12_parse(hxe_x12_file **out, hxe_arena *a, const char *buf, size_t len,
                  const hxe_x12_opts *opts, hxe_issues *issues, hxe_err *err)
{
    hxe_err tmp;
    if (!err)
        err = &tmp;
    *out = NULL;
    hxe_x12_file *f = hxe_arena_calloc(a, sizeof *f);
    if (!f)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    f->raw = buf ? buf : "";
    f->raw_len = buf ? len : 0;
    struct collect c = {f, a};
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, f->raw, f->raw_len, opts, issues);
    f->lead = hxe_slice_of(f->raw, r.pos);
    r.sink = sink;
    r.sink_data = &c;
    size_t cap = 0;
    for (;;) {
        hxe_x12_set *s = NULL;
        int k = hxe_x12_reader_next(&r, a, &s, issues, err);
        if (k < 0)
            return k;
        if (k == HXE_X12_UNIT_END)
            break;
        if (f->nsets == cap) {
            cap = cap ? cap * 2 : 16;
            hxe_x12_set **v = hxe_arena_alloc(a, cap * sizeof *v);
            if (!v)
                return hxe_err_set(err, HXE_ENOMEM, "out of memory");
            if (f->nsets)
                memcpy(v, f->sets, f->nsets * sizeof *v);
            f->sets = v;
        }
        f->sets[f->nsets++] = s;
    }
    f->interchanges = r.interchanges;
    f->groups = r.groups;
    if (!r.interchanges) {
        hxe_err_set(err, HXE_EPARSE, "no readable interchange (ISA) in the input");
        return HXE_EPARSE;
    }
    for (size_t i = 0; i < f->nseg; i++)
        if (!strcmp(f->segs[i].id, "ISA")) {
            f->d = f->seg_delims[i];
            break;
        }
    *out = f;
    return 0;
}

/* ---- writing ---- */

int hxe_x12_write_set(const hxe_x12_set *s, hxe_buf *out)
{
    for (size_t i = 0; i < s->nseg; i++) {
        const hxe_x12_seg *g = &s->segs[i];
        int rc;
        if (g->offset != (size_t)-1 && g->tail)
            rc = hxe_buf_append(out, g->p, (size_t)g->n + g->tail);
        else if ((rc = hxe_buf_append(out, g->p, g->n)) == 0)
            rc = hxe_buf_putc(out, s->d.st);
        if (rc)
            return rc;
    }
    return 0;
}

static int write_mapped(const hxe_x12_seg *g, const hxe_x12_delims *from,
                        const hxe_x12_delims *to, size_t index, hxe_buf *out, hxe_err *err)
{
    unsigned e = 0;
    for (uint32_t k = 0; k < g->n; k++) {
        char c = g->p[k], o = c;
        if (c == from->es) {
            o = to->es;
            e++;
        } else if (c == from->cs) {
            o = to->cs;
        } else if (from->rs && c == from->rs) {
            o = to->rs;
        } else if (c == to->es || c == to->cs || c == to->st || (to->rs && c == to->rs)) {
            return hxe_err_set(err, HXE_EINVAL,
                               "segment %zu (%s), element %u: holds a character that is a new delimiter",
                               index + 1, g->id[0] ? g->id : "?", e);
        }
        int rc = hxe_buf_putc(out, o);
        if (rc)
            return hxe_err_set(err, rc, "output buffer: %s", hxe_strerror(rc));
    }
    return 0;
}

int hxe_x12_write(const hxe_x12_file *f, const hxe_x12_delims *d, int newline,
                  hxe_buf *out, hxe_err *err)
{
    hxe_err tmp;
    if (!err)
        err = &tmp;
    int rc = hxe_buf_append(out, f->lead.p, f->lead.n);
    if (rc)
        return hxe_err_set(err, rc, "output buffer: %s", hxe_strerror(rc));
    if (d) {
        if (!d->es || !d->cs || !d->st || d->es == d->cs || d->es == d->st || d->cs == d->st ||
            (d->rs && (d->rs == d->es || d->rs == d->cs || d->rs == d->st)) ||
            x12__alnum(d->es) || x12__alnum(d->cs) || x12__alnum(d->st) ||
            (d->rs && x12__alnum(d->rs)))
            return hxe_err_set(err, HXE_EINVAL,
                               "delimiters must be four distinct non-alphanumeric characters");
    }
    for (size_t i = 0; i < f->nseg; i++) {
        const hxe_x12_seg *g = &f->segs[i];
        const hxe_x12_delims *from = &f->seg_delims[i];
        if (!d || !from->es) {
            /* as read: the text and what followed it */
            if (!d || g->id[0] || g->n)
                rc = hxe_buf_append(out, g->p, (size_t)g->n + (d && !from->es ? 0 : g->tail));
            if (rc)
                return hxe_err_set(err, rc, "output buffer: %s", hxe_strerror(rc));
            continue;
        }
        if (from->rs && !d->rs)
            return hxe_err_set(err, HXE_EINVAL,
                               "the input uses a repetition separator: the new delimiters need one");
        if ((rc = write_mapped(g, from, d, i, out, err)) != 0)
            return rc;
        if ((rc = hxe_buf_putc(out, d->st)) != 0 || (newline && (rc = hxe_buf_putc(out, '\n')) != 0))
            return hxe_err_set(err, rc, "output buffer: %s", hxe_strerror(rc));
    }
    return 0;
}
