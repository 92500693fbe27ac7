/*
 * json.c — a message as JSON, the way integration engineers read it:
 *
 *   {"version":"2.5.1","type":"ADT^A01^ADT_A01","segments":[
 *     {"id":"PID","position":3,"fields":{
 *        "PID-3":[{"PID-3.1":"123","PID-3.5":"MR"},{"PID-3.1":"456"}],
 *        "PID-5":{"PID-5.1":"Doe","PID-5.2":"Jane"},
 *        "PID-8":"F"}}]}
 *
 * Empty fields and components are left out; a field with one repetition
 * is its value, with several an array; a component with subcomponents is
 * an object keyed "PID-3.4.1". Segments with malformed ids keep their text.
 */
#include "hl7v2/internal.h"

static int put_value(const hxe_hl7_msg *m, const char *b, const char *e, unsigned flags,
                     hxe_buf *out)
{
    if (flags & HXE_HL7_JSON_RAW)
        return hxe_json_str(out, b, (size_t)(e - b));
    hxe_buf t = HXE_BUF_INIT;
    int rc = hxe_hl7_unescape(m, hxe_slice_of(b, (size_t)(e - b)), &t, NULL);
    if (!rc)
        rc = hxe_json_str(out, t.p ? t.p : "", t.len);
    hxe_buf_free(&t);
    return rc;
}

/* One level: a string when sep does not occur, else an object of parts
 * keyed prefix.N (empty parts left out), recursing into deeper seps. */
static int put_level(const hxe_hl7_msg *m, const char *b, const char *e, const char *seps,
                     const char *prefix, unsigned flags, hxe_buf *out)
{
    while (*seps && !memchr(b, *seps, (size_t)(e - b)))
        seps++;
    if (!*seps)
        return put_value(m, b, e, flags, out);
    int rc = hxe_buf_putc(out, '{');
    unsigned k = 0;
    int first = 1;
    const char *p = b;
    while (!rc) {
        const char *q = memchr(p, *seps, (size_t)(e - p));
        const char *pe = q ? q : e;
        k++;
        if (pe > p) {
            char key[64];
            snprintf(key, sizeof key, "%s.%u", prefix, k);
            if (!first)
                rc = hxe_buf_putc(out, ',');
            first = 0;
            if (!rc)
                rc = hxe_json_str(out, key, strlen(key));
            if (!rc)
                rc = hxe_buf_putc(out, ':');
            if (!rc)
                rc = put_level(m, p, pe, seps + 1, key, flags, out);
        }
        if (!q)
            break;
        p = q + 1;
    }
    if (!rc)
        rc = hxe_buf_putc(out, '}');
    return rc;
}

static int put_field(const hxe_hl7_msg *m, const char *b, const char *e, const char *key,
                     unsigned flags, hxe_buf *out)
{
    char seps[3] = {m->enc.cs, m->enc.ss, 0};
    if (!m->enc.rs || !memchr(b, m->enc.rs, (size_t)(e - b)))
        return put_level(m, b, e, seps, key, flags, out);
    int rc = hxe_buf_putc(out, '[');
    const char *p = b;
    for (int first = 1; !rc; first = 0) {
        const char *q = memchr(p, m->enc.rs, (size_t)(e - p));
        const char *pe = q ? q : e;
        if (!first)
            rc = hxe_buf_putc(out, ',');
        if (!rc)
            rc = put_level(m, p, pe, seps, key, flags, out);
        if (!q)
            break;
        p = q + 1;
    }
    if (!rc)
        rc = hxe_buf_putc(out, ']');
    return rc;
}

static int put_segment(const hxe_hl7_msg *m, size_t i, unsigned flags, hxe_buf *out)
{
    const hxe_hl7_seg *s = &m->segs[i];
    int rc;
    if (s->bad) {
        rc = hxe_buf_printf(out, "{\"id\":null,\"position\":%zu,\"text\":", i + 1);
        if (!rc)
            rc = put_value(m, s->p, s->p + s->n, flags, out);
        return rc ? rc : hxe_buf_putc(out, '}');
    }
    rc = hxe_buf_printf(out, "{\"id\":\"%s\",\"position\":%zu,\"fields\":{", s->id, i + 1);
    size_t nf = hxe_hl7_field_count(m, i);
    if (nf > m->opts.max_fields)
        nf = m->opts.max_fields;
    int first = 1;
    for (unsigned f = 1; f <= nf && !rc; f++) {
        const char *b, *e;
        if (!hl7__field_range(s, &m->enc, f, &b, &e) || b == e)
            continue;
        char key[32];
        snprintf(key, sizeof key, "%s-%u", s->id, f);
        if (!first)
            rc = hxe_buf_putc(out, ',');
        first = 0;
        if (!rc)
            rc = hxe_json_str(out, key, strlen(key));
        if (!rc)
            rc = hxe_buf_putc(out, ':');
        if (rc)
            break;
        if (hl7__is_header(s) && f <= 2)
            rc = hxe_json_str(out, b, (size_t)(e - b));
        else
            rc = put_field(m, b, e, key, flags, out);
    }
    if (!rc)
        rc = hxe_buf_append(out, "}}", 2);
    return rc;
}

int hxe_hl7_to_json(const hxe_hl7_msg *m, unsigned flags, hxe_buf *out)
{
    hxe_slice type = hxe_hl7_field(m, 0, 9), cid = hxe_hl7_field(m, 0, 10);
    int rc = hxe_buf_puts(out, "{\"version\":");
    if (!rc)
        rc = hxe_json_str(out, m->version, strlen(m->version));
    if (!rc)
        rc = hxe_buf_puts(out, ",\"type\":");
    if (!rc)
        rc = hxe_json_str(out, type.p, type.n);
    if (!rc)
        rc = hxe_buf_puts(out, ",\"control_id\":");
    if (!rc)
        rc = hxe_json_str(out, cid.p, cid.n);
    if (!rc && m->charset_name[0]) {
        rc = hxe_buf_puts(out, ",\"charset\":");
        if (!rc)
            rc = hxe_json_str(out, m->charset_name, strlen(m->charset_name));
    }
    if (!rc)
        rc = hxe_buf_puts(out, ",\"segments\":[");
    for (size_t i = 0; i < m->nseg && !rc; i++) {
        if (i)
            rc = hxe_buf_putc(out, ',');
        if (!rc)
            rc = put_segment(m, i, flags, out);
    }
    if (!rc)
        rc = hxe_buf_puts(out, "]}");
    return rc;
}
