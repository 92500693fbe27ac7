/*
 * json.c — X12 as JSON. A transaction set: envelope facts, then the loop
 * tree (when hxe_x12_parse_loops built one) with each loop's segments and
 * child loops in the order they came, elements keyed the X12 way
 * ("NM109"), with the segment's TR3 name and the elements' dictionary
 * names beside them. A simple element is a string; a composite an array
 * of component strings; a repeated element {"repeat":[...]} of those.
 * Empty elements are left out ("count" keeps trailing ones), "tail" keeps
 * what followed the terminator when it was more than the terminator, so
 * json_read.c writes the bytes back exactly. Values are the raw bytes
 * (X12 has no escapes), JSON-escaped.
 *
 * hxe_x12_to_json_lines writes a whole input as JSON lines in file
 * order: envelope segments ({"segment":...}, the ISA with its
 * delimiters), sets, and bytes outside interchanges ({"raw":...}).
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <stdio.h>

#define TRY(x)              \
    do {                    \
        int rc_ = (x);      \
        if (rc_)            \
            return rc_;     \
    } while (0)

static int str(hxe_buf *b, const char *s) { return hxe_json_str(b, s, strlen(s)); }

static int kv(hxe_buf *b, const char *k, const char *v, int comma)
{
    if (comma)
        TRY(hxe_buf_putc(b, ','));
    TRY(str(b, k));
    TRY(hxe_buf_putc(b, ':'));
    return str(b, v);
}

static int value(hxe_buf *b, const hxe_x12_delims *d, hxe_slice v, int is_isa)
{
    if (is_isa || !memchr(v.p, d->cs, v.n))
        return hxe_json_str(b, v.p, v.n);
    TRY(hxe_buf_putc(b, '['));
    size_t n = hxe_slice_count(v, d->cs);
    for (size_t c = 1; c <= n; c++) {
        hxe_slice p;
        hxe_slice_piece(v, d->cs, (unsigned)c, &p);
        if (c > 1)
            TRY(hxe_buf_putc(b, ','));
        TRY(hxe_json_str(b, p.p, p.n));
    }
    return hxe_buf_putc(b, ']');
}

/* One segment: pos 0 leaves "pos" out; name is its TR3 name or NULL. */
static int seg_json(hxe_buf *b, const hxe_x12_seg *g, const hxe_x12_delims *d, size_t pos,
                    const char *name)
{
    int is_isa = !strcmp(g->id, "ISA");
    if (!g->id[0]) {
        /* not a segment id: the bytes as they were */
        TRY(hxe_buf_puts(b, "{\"raw\":"));
        TRY(hxe_json_str(b, g->p, g->n));
    } else {
        TRY(hxe_buf_printf(b, "{\"id\":"));
        TRY(str(b, g->id));
        if (pos)
            TRY(hxe_buf_printf(b, ",\"pos\":%zu", pos));
        if (name && name[0]) {
            TRY(hxe_buf_puts(b, ",\"name\":"));
            TRY(str(b, name));
        }
        TRY(hxe_buf_puts(b, ",\"elements\":{"));
        unsigned n = hxe_x12_element_count(g, d), last = 0;
        int first = 1;
        for (unsigned e = 1; e <= n; e++) {
            hxe_slice v = hxe_x12_element(g, d, e);
            if (!v.n)
                continue;
            last = e;
            char key[16];
            snprintf(key, sizeof key, "%s%02u", g->id, e);
            if (!first)
                TRY(hxe_buf_putc(b, ','));
            first = 0;
            TRY(str(b, key));
            TRY(hxe_buf_putc(b, ':'));
            if (!is_isa && d->rs && memchr(v.p, d->rs, v.n)) {
                TRY(hxe_buf_puts(b, "{\"repeat\":["));
                size_t nr = hxe_slice_count(v, d->rs);
                for (size_t r = 1; r <= nr; r++) {
                    hxe_slice p;
                    hxe_slice_piece(v, d->rs, (unsigned)r, &p);
                    if (r > 1)
                        TRY(hxe_buf_putc(b, ','));
                    TRY(value(b, d, p, 0));
                }
                TRY(hxe_buf_puts(b, "]}"));
            } else {
                TRY(value(b, d, v, is_isa));
            }
        }
        TRY(hxe_buf_putc(b, '}'));
        if (n > last)
            TRY(hxe_buf_printf(b, ",\"count\":%u", n));
        /* dictionary names of the elements present */
        const char *nm;
        first = 1;
        for (unsigned e = 1; e <= last; e++) {
            if (!hxe_x12_element(g, d, e).n || !(nm = hxe_x12_element_name(g->id, e)))
                continue;
            char key[16];
            snprintf(key, sizeof key, "%s%02u", g->id, e);
            TRY(hxe_buf_puts(b, first ? ",\"names\":{" : ","));
            first = 0;
            TRY(str(b, key));
            TRY(hxe_buf_putc(b, ':'));
            TRY(str(b, nm));
        }
        if (!first)
            TRY(hxe_buf_putc(b, '}'));
    }
    if (g->tail != 1) {
        /* the terminator and line break as read (none at the very end) */
        TRY(hxe_buf_puts(b, ",\"tail\":"));
        TRY(hxe_json_str(b, g->p + g->n, g->tail));
    }
    return hxe_buf_putc(b, '}');
}

static int segment(hxe_buf *b, const hxe_x12_set *s, size_t k)
{
    const char *name = NULL;
    if (s->seg_node && s->seg_node[k]) {
        uint32_t node = (s->seg_node[k] & 0x7fffffffu) - 1;
        name = X12T_STR(x12t_nodes[node].name);
    }
    return seg_json(b, &s->segs[k], &s->d, k + 1, name);
}

static int open_loop(hxe_buf *b, const hxe_x12_loop *l)
{
    TRY(hxe_buf_puts(b, "{\"loop\":"));
    TRY(str(b, l->id));
    TRY(hxe_buf_puts(b, ",\"name\":"));
    TRY(str(b, l->name));
    return hxe_buf_puts(b, ",\"content\":[");
}

int hxe_x12_set_to_json(const hxe_x12_set *s, hxe_buf *out)
{
    TRY(hxe_buf_puts(out, "{\"interchange\":{"));
    TRY(kv(out, "control", s->isa.control, 0));
    TRY(kv(out, "version", s->isa.version, 1));
    TRY(hxe_buf_printf(out, ",\"usage\":\"%c\"},\"group\":{", s->isa.usage ? s->isa.usage : ' '));
    TRY(kv(out, "functional_id", s->gs.functional_id, 0));
    TRY(kv(out, "control", s->gs.control, 1));
    TRY(kv(out, "version", s->gs.version, 1));
    TRY(hxe_buf_puts(out, "},"));
    TRY(kv(out, "set", s->id, 0));
    TRY(kv(out, "control", s->control, 1));
    TRY(kv(out, "guide", s->guide, 1));
    if (!s->loops || !s->nloops) {
        TRY(hxe_buf_puts(out, ",\"segments\":["));
        for (size_t k = 0; k < s->nseg; k++) {
            if (k)
                TRY(hxe_buf_putc(out, ','));
            TRY(segment(out, s, k));
        }
        return hxe_buf_puts(out, "]}");
    }
    /* the tree: a stack of open loop instances, root first */
    uint32_t stack[64];
    int depth = 0;
    int need_comma[64] = {0};
    stack[0] = 0;
    TRY(hxe_buf_puts(out, ",\"content\":["));
    for (size_t k = 0; k < s->nseg; k++) {
        uint32_t li = s->segs[k].loop < s->nloops ? s->segs[k].loop : 0;
        /* the chain from li up to the root */
        uint32_t chain[64];
        int nc = 0;
        for (uint32_t x = li; nc < 64; x = s->loops[x].parent) {
            chain[nc++] = x;
            if (x == 0)
                break;
        }
        /* close open loops that are not on the chain */
        for (;;) {
            int on = 0;
            for (int i = 0; i < nc; i++)
                if (chain[i] == stack[depth])
                    on = 1;
            if (on || depth == 0)
                break;
            TRY(hxe_buf_puts(out, "]}"));
            depth--;
        }
        /* open the chain's loops below the top of the stack */
        int at = 0;
        while (at < nc && chain[at] != stack[depth])
            at++;
        for (int i = at - 1; i >= 0 && depth < 63; i--) {
            if (need_comma[depth])
                TRY(hxe_buf_putc(out, ','));
            need_comma[depth] = 1;
            TRY(open_loop(out, &s->loops[chain[i]]));
            stack[++depth] = chain[i];
            need_comma[depth] = 0;
        }
        if (need_comma[depth])
            TRY(hxe_buf_putc(out, ','));
        need_comma[depth] = 1;
        TRY(segment(out, s, k));
    }
    while (depth-- > 0)
        TRY(hxe_buf_puts(out, "]}"));
    return hxe_buf_puts(out, "]}");
}

/* ---- a whole input as JSON lines ---- */

typedef struct lines {
    int (*write)(void *data, const char *p, size_t n);
    void *data;
    hxe_buf b;
    int in_set;
    int failed;
} lines;

static int flush(lines *l)
{
    if (!l->failed && l->write(l->data, l->b.p ? l->b.p : "", l->b.len))
        l->failed = HXE_EIO;
    hxe_buf_truncate(&l->b, 0);
    return l->failed;
}

/* Everything outside sets goes out here as it is read. */
static int line_sink(void *data, const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    lines *l = data;
    if (l->failed)
        return l->failed;
    int rc = 0;
    if (!d) {
        l->in_set = 0;
        rc = hxe_buf_puts(&l->b, "{\"raw\":");
        rc = rc ? rc : hxe_json_str(&l->b, s->p, s->n);
        rc = rc ? rc : hxe_buf_puts(&l->b, "}\n");
        return rc ? (l->failed = rc) : flush(l);
    }
    int env = !strcmp(s->id, "ISA") || !strcmp(s->id, "GS") || !strcmp(s->id, "GE") ||
              !strcmp(s->id, "IEA");
    if (env)
        l->in_set = 0;
    if (!strcmp(s->id, "ST") && !env) {
        l->in_set = 1;
        return 0;
    }
    if (l->in_set) {
        if (!strcmp(s->id, "SE"))
            l->in_set = 0;
        return 0;
    }
    rc = hxe_buf_puts(&l->b, "{");
    if (!rc && !strcmp(s->id, "ISA")) {
        char ds[4] = {d->es, d->rs, d->cs, d->st};
        rc = hxe_buf_puts(&l->b, "\"delimiters\":{\"element\":");
        rc = rc ? rc : hxe_json_str(&l->b, &ds[0], 1);
        rc = rc ? rc : hxe_buf_puts(&l->b, ",\"repetition\":");
        rc = rc ? rc : hxe_json_str(&l->b, &ds[1], d->rs ? 1 : 0);
        rc = rc ? rc : hxe_buf_puts(&l->b, ",\"component\":");
        rc = rc ? rc : hxe_json_str(&l->b, &ds[2], 1);
        rc = rc ? rc : hxe_buf_puts(&l->b, ",\"segment\":");
        rc = rc ? rc : hxe_json_str(&l->b, &ds[3], 1);
        rc = rc ? rc : hxe_buf_puts(&l->b, "},");
    }
    rc = rc ? rc : hxe_buf_puts(&l->b, "\"segment\":");
    rc = rc ? rc : seg_json(&l->b, s, d, 0, NULL);
    rc = rc ? rc : hxe_buf_puts(&l->b, "}\n");
    return rc ? (l->failed = rc) : flush(l);
}

int hxe_x12_to_json_lines(const char *buf, size_t len, const hxe_x12_opts *opts,
                          int (*write)(void *data, const char *p, size_t n), void *data,
                          hxe_err *err)
{
    lines l;
    memset(&l, 0, sizeof l);
    l.write = write;
    l.data = data;
    hxe_buf_init(&l.b, 0);
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, buf, len, opts, NULL);
    if (r.pos) {   /* the byte-order mark the reader skipped */
        hxe_x12_seg bom;
        memset(&bom, 0, sizeof bom);
        bom.p = buf;
        bom.n = (uint32_t)r.pos;
        line_sink(&l, &bom, NULL);
    }
    r.sink = line_sink;
    r.sink_data = &l;
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    int rc = 0;
    for (;;) {
        hxe_x12_set *s = NULL;
        int k = hxe_x12_reader_next(&r, &a, &s, NULL, err);
        if (l.failed) {
            rc = hxe_err_set(err, l.failed, "writing JSON: %s", hxe_strerror(l.failed));
            break;
        }
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        if (k == HXE_X12_UNIT_SET) {
            (void)hxe_x12_parse_loops(s, &a, opts, NULL);
            rc = hxe_x12_set_to_json(s, &l.b);
            rc = rc ? rc : hxe_buf_putc(&l.b, '\n');
            if (rc || flush(&l)) {
                rc = hxe_err_set(err, rc ? rc : l.failed, "set %s: writing JSON", s->control);
                break;
            }
        }
        hxe_arena_reset(&a);
    }
    if (!rc && !r.interchanges)
        rc = hxe_err_set(err, HXE_EPARSE, "no interchange (ISA) found");
    hxe_arena_free(&a);
    hxe_buf_free(&l.b);
    return rc;
}
