/*
 * json.c — a transaction set as JSON: envelope facts, then the loop tree
 * (when hxe_x12_parse_loops built one) with each loop's segments and
 * child loops in the order they came, elements keyed the X12 way
 * ("NM109"). A simple element is a string; a composite an array of
 * component strings; a repeated element an array of those. Empty
 * elements are left out. Values are the raw bytes (X12 has no escapes),
 * JSON-escaped.
 */
#include "x12/internal.h"

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

static int segment(hxe_buf *b, const hxe_x12_set *s, size_t k)
{
    const hxe_x12_seg *g = &s->segs[k];
    const hxe_x12_delims *d = &s->d;
    TRY(hxe_buf_printf(b, "{\"id\":"));
    TRY(str(b, g->id));
    TRY(hxe_buf_printf(b, ",\"pos\":%zu,\"elements\":{", k + 1));
    unsigned n = hxe_x12_element_count(g, d);
    int first = 1;
    for (unsigned e = 1; e <= n; e++) {
        hxe_slice v = hxe_x12_element(g, d, e);
        if (!v.n)
            continue;
        char key[16];
        snprintf(key, sizeof key, "%s%02u", g->id[0] ? g->id : "?", e);
        if (!first)
            TRY(hxe_buf_putc(b, ','));
        first = 0;
        TRY(str(b, key));
        TRY(hxe_buf_putc(b, ':'));
        if (d->rs && memchr(v.p, d->rs, v.n)) {
            TRY(hxe_buf_putc(b, '['));
            size_t nr = hxe_slice_count(v, d->rs);
            for (size_t r = 1; r <= nr; r++) {
                hxe_slice p;
                hxe_slice_piece(v, d->rs, (unsigned)r, &p);
                if (r > 1)
                    TRY(hxe_buf_putc(b, ','));
                TRY(value(b, d, p, 0));
            }
            TRY(hxe_buf_putc(b, ']'));
        } else {
            TRY(value(b, d, v, 0));
        }
    }
    return hxe_buf_puts(b, "}}");
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
