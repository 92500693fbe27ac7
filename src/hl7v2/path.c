/*
 * path.c — paths as integration engineers write them, and read access.
 *
 *   PID-5        field 5 of the first PID (all repetitions)
 *   PID-3[2].1   component 1 of the second repetition of PID-3
 *   OBX[3]-5     field 5 of the third OBX
 *   PID-5.1.2    subcomponent 2 of component 1
 *   PID.5.1      the same as PID-5.1 (Mirth style)
 *
 * Access is a scan of one segment with memchr; nothing is copied.
 */
#include "hl7v2/internal.h"

#include <stdlib.h>

static int num(const char **pp, const char *end, uint32_t max, uint32_t *out)
{
    const char *p = *pp;
    uint32_t v = 0;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    while (p < end && *p >= '0' && *p <= '9') {
        v = v * 10 + (uint32_t)(*p - '0');
        if (v > max)
            return -1;
        p++;
    }
    if (v == 0)
        return -1;
    *pp = p;
    *out = v;
    return 0;
}

int hxe_hl7_path_parse(hxe_hl7_path *out, const char *s, size_t n, hxe_err *err)
{
    memset(out, 0, sizeof *out);
    const char *p = s, *end = s + n;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\n' || end[-1] == '\r'))
        end--;
    if (end - p < 3 || !hl7__seg_id_ok(p, 3, 0))
        return hxe_err_set(err, HXE_EINVAL, "path: must start with a segment id like PID");
    memcpy(out->seg, p, 3);
    p += 3;
    uint32_t v;
    if (p < end && *p == '[') {
        p++;
        if (num(&p, end, 1000000000u, &v) || p >= end || *p != ']')
            return hxe_err_set(err, HXE_EINVAL, "path: bad segment occurrence at character %zu",
                               (size_t)(p - s) + 1);
        out->seg_seq = v;
        p++;
    }
    if (p == end)
        return 0;
    if (*p != '-' && *p != '.')
        return hxe_err_set(err, HXE_EINVAL, "path: expected '-' after the segment at character %zu",
                           (size_t)(p - s) + 1);
    p++;
    if (num(&p, end, 65535, &v))
        return hxe_err_set(err, HXE_EINVAL, "path: bad field number at character %zu",
                           (size_t)(p - s) + 1);
    out->field = (uint16_t)v;
    if (p < end && (*p == '[' || *p == '(')) {
        char close = *p == '[' ? ']' : ')';
        p++;
        if (num(&p, end, 65535, &v) || p >= end || *p != close)
            return hxe_err_set(err, HXE_EINVAL, "path: bad repetition at character %zu",
                               (size_t)(p - s) + 1);
        out->rep = (uint16_t)v;
        p++;
    }
    uint16_t *next[2] = {&out->comp, &out->sub};
    for (int k = 0; k < 2 && p < end; k++) {
        if (*p != '.' && *p != '-')
            break;
        p++;
        if (num(&p, end, 65535, &v))
            return hxe_err_set(err, HXE_EINVAL, "path: bad %s number at character %zu",
                               k ? "subcomponent" : "component", (size_t)(p - s) + 1);
        *next[k] = (uint16_t)v;
    }
    if (p != end)
        return hxe_err_set(err, HXE_EINVAL, "path: unexpected character at %zu",
                           (size_t)(p - s) + 1);
    return 0;
}

size_t hxe_hl7_path_format(const hxe_hl7_path *p, char *buf, size_t size)
{
    int n = snprintf(buf, size, "%s", p->seg);
    if (p->seg_seq > 1)
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "[%u]", p->seg_seq);
    if (p->field) {
        n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "-%u", p->field);
        if (p->rep)
            n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, "[%u]", p->rep);
        if (p->comp)
            n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ".%u", p->comp);
        if (p->sub)
            n += snprintf(buf + n, size > (size_t)n ? size - (size_t)n : 0, ".%u", p->sub);
    }
    return (size_t)n;
}

long hxe_hl7_find(const hxe_hl7_msg *m, const char *seg_id, uint32_t seq)
{
    if (seq == 0)
        seq = 1;
    for (size_t i = 0; i < m->nseg; i++) {
        const char *id = m->segs[i].id;
        if (id[0] == seg_id[0] && id[1] == seg_id[1] && id[2] == seg_id[2] && id[0] &&
            --seq == 0)
            return (long)i;
    }
    return -1;
}

int hl7__field_range(const hxe_hl7_seg *s, const hxe_hl7_enc *enc, unsigned f,
                     const char **b, const char **e)
{
    const char *end = s->p + s->n;
    if (f == 0) {
        *b = s->p;
        *e = end;
        return 1;
    }
    if (hl7__is_header(s)) {
        if (f == 1) {
            if (s->n < 4) {
                *b = *e = end;
                return 0;
            }
            *b = s->p + 3;
            *e = s->p + 4;
            return 1;
        }
        return hl7__piece(s->p, end, enc->fs, f - 1, b, e);
    }
    return hl7__piece(s->p, end, enc->fs, f, b, e);
}

hxe_slice hxe_hl7_field(const hxe_hl7_msg *m, size_t i, unsigned f)
{
    const char *b, *e;
    if (i >= m->nseg || !hl7__field_range(&m->segs[i], &m->enc, f, &b, &e))
        return HXE_SLICE_EMPTY;
    return hxe_slice_of(b, (size_t)(e - b));
}

size_t hxe_hl7_field_count(const hxe_hl7_msg *m, size_t i)
{
    if (i >= m->nseg)
        return 0;
    const hxe_hl7_seg *s = &m->segs[i];
    size_t pieces = hxe_slice_count(hxe_slice_of(s->p, s->n), m->enc.fs);
    /* pieces includes the id; MSH adds MSH-1, which is not a piece */
    return hl7__is_header(s) ? pieces : pieces - 1;
}

/* Narrows [*b, *e) from a field to rep/comp/sub as the path asks.
 * Returns 1 when the addressed part exists. */
static int narrow(const hxe_hl7_msg *m, const hxe_hl7_seg *s, const hxe_hl7_path *p,
                  const char **b, const char **e)
{
    if (hl7__is_header(s) && p->field <= 2) {
        /* MSH-1/MSH-2 are not split */
        if ((p->rep > 1) || (p->comp > 1) || (p->sub > 1)) {
            *b = *e;
            return 0;
        }
        return 1;
    }
    const hxe_hl7_enc *enc = &m->enc;
    int ok = 1;
    if (p->rep || p->comp) {
        unsigned r = p->rep ? p->rep : 1;
        if (enc->rs)
            ok = hl7__piece(*b, *e, enc->rs, r - 1, b, e);
        else if (r > 1) {
            *b = *e;
            ok = 0;
        }
    }
    if (ok && p->comp)
        ok = hl7__piece(*b, *e, enc->cs, p->comp - 1u, b, e);
    if (ok && p->sub) {
        if (enc->ss)
            ok = hl7__piece(*b, *e, enc->ss, p->sub - 1u, b, e);
        else if (p->sub > 1) {
            *b = *e;
            ok = 0;
        }
    }
    return ok;
}

int hxe_hl7_get(const hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_slice *out)
{
    *out = HXE_SLICE_EMPTY;
    if (p->sub && !p->comp)
        return HXE_EINVAL;
    long i = hxe_hl7_find(m, p->seg, p->seg_seq);
    if (i < 0)
        return HXE_ENOTFOUND;
    const hxe_hl7_seg *s = &m->segs[i];
    if (p->field > m->opts.max_fields)
        return HXE_EINVAL;
    const char *b, *e;
    if (!hl7__field_range(s, &m->enc, p->field, &b, &e))
        return 0;
    if (p->field && !narrow(m, s, p, &b, &e))
        return 0;
    *out = hxe_slice_of(b, (size_t)(e - b));
    return 0;
}

int hxe_hl7_get_str(const hxe_hl7_msg *m, const char *path, hxe_slice *out)
{
    hxe_hl7_path p;
    *out = HXE_SLICE_EMPTY;
    if (hxe_hl7_path_parse(&p, path, strlen(path), NULL))
        return HXE_EINVAL;
    return hxe_hl7_get(m, &p, out);
}

int hxe_hl7_get_text(const hxe_hl7_msg *m, const hxe_hl7_path *p, hxe_buf *out)
{
    hxe_slice v;
    int rc = hxe_hl7_get(m, p, &v);
    if (rc)
        return rc;
    if (hl7__is_header(&m->segs[hxe_hl7_find(m, p->seg, p->seg_seq)]) && p->field &&
        p->field <= 2)
        return hxe_buf_append(out, v.p, v.n);
    return hxe_hl7_unescape(m, v, out, NULL);
}

size_t hxe_hl7_count(const hxe_hl7_msg *m, const hxe_hl7_path *p)
{
    if (!p->field) {
        size_t c = 0;
        for (size_t i = 0; i < m->nseg; i++)
            if (memcmp(m->segs[i].id, p->seg, 4) == 0)
                c++;
        return c;
    }
    long i = hxe_hl7_find(m, p->seg, p->seg_seq);
    if (i < 0)
        return 0;
    const hxe_hl7_seg *s = &m->segs[i];
    const char *b, *e;
    if (!hl7__field_range(s, &m->enc, p->field, &b, &e) || b == e)
        return 0;
    if (hl7__is_header(s) && p->field <= 2)
        return 1;
    hxe_hl7_path q = *p;
    char sep;
    if (!p->rep && !p->comp) {
        if (!m->enc.rs)
            return 1;
        sep = m->enc.rs;
    } else if (!p->comp) {
        sep = m->enc.cs;
    } else {
        if (!m->enc.ss)
            return 1;
        sep = m->enc.ss;
        q.sub = 0;
    }
    if ((p->rep || p->comp) && !narrow(m, s, &q, &b, &e))
        return 0;
    if (b == e)
        return 0;
    return hxe_slice_count(hxe_slice_of(b, (size_t)(e - b)), sep);
}
