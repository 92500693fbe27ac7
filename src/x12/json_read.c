/*
 * json_read.c — JSON lines (json.c's hxe_x12_to_json_lines) back to X12.
 *
 * Each line is one object: {"raw":...} bytes written as they are;
 * {"segment":{...}} one segment (an ISA line's "delimiters" become the
 * delimiters of what follows); a set, whose "content" (loops and
 * segments, recursively) or "segments" is written in order. A segment's
 * elements go by their key's position (NM109 -> 9); composites join with
 * the component separator, {"repeat":[...]} with the repetition
 * separator; "count" restores trailing empty elements and "tail" what
 * followed the segment text. Names ("name", "names") are ignored.
 *
 * X12 has no escape: a value holding a delimiter is refused, naming the
 * line and the element, never the value.
 */
#include "x12/internal.h"

#include <jansson.h>
#include <stdio.h>

#define MAX_ELEMENTS 10000   /* positions a JSON segment may name */
#define MAX_NEST 64          /* loops within loops */

typedef struct jr {
    hxe_x12_delims d;
    hxe_buf *out;
    size_t line;
    hxe_err *err;
} jr;

static int bad(jr *j, const char *what, const char *where)
{
    return hxe_err_set(j->err, HXE_EPARSE, "line %zu: %s%s%s", j->line, what,
                       where ? ": " : "", where ? where : "");
}

/* Writes a string value; refuses delimiters (except allow, for the ISA
 * where ISA11/ISA16 are the separators themselves). */
static int put_value(jr *j, json_t *v, const char *key, int isa)
{
    if (!json_is_string(v))
        return bad(j, "element is not a string", key);
    const char *p = json_string_value(v);
    size_t n = json_string_length(v);
    if (!isa)
        for (size_t i = 0; i < n; i++)
            if (p[i] == j->d.es || p[i] == j->d.st || p[i] == j->d.cs ||
                (j->d.rs && p[i] == j->d.rs))
                return hxe_err_set(j->err, HXE_EINVAL,
                                   "line %zu: %s holds a delimiter (X12 has no escape)", j->line,
                                   key);
    return hxe_buf_append(j->out, p, n);
}

/* A repetition: a string or an array of components */
static int put_rep(jr *j, json_t *v, const char *key)
{
    if (!json_is_array(v))
        return put_value(j, v, key, 0);
    size_t i;
    json_t *c;
    json_array_foreach(v, i, c) {
        if (i) {
            int rc = hxe_buf_putc(j->out, j->d.cs);
            if (rc)
                return rc;
        }
        int rc = put_value(j, c, key, 0);
        if (rc)
            return rc;
    }
    return 0;
}

static int put_element(jr *j, json_t *v, const char *key, int isa)
{
    if (isa)
        return put_value(j, v, key, 1);
    json_t *rep = json_is_object(v) ? json_object_get(v, "repeat") : NULL;
    if (!rep)
        return put_rep(j, v, key);
    if (!json_is_array(rep) || !j->d.rs)
        return bad(j, "repeat without a repetition separator", key);
    size_t i;
    json_t *r;
    json_array_foreach(rep, i, r) {
        if (i) {
            int rc = hxe_buf_putc(j->out, j->d.rs);
            if (rc)
                return rc;
        }
        int rc = put_rep(j, r, key);
        if (rc)
            return rc;
    }
    return 0;
}

static int put_segment(jr *j, json_t *seg)
{
    if (!json_is_object(seg))
        return bad(j, "segment is not an object", NULL);
    json_t *raw = json_object_get(seg, "raw");
    int rc = 0;
    if (raw) {
        if (!json_is_string(raw))
            return bad(j, "raw is not a string", NULL);
        rc = hxe_buf_append(j->out, json_string_value(raw), json_string_length(raw));
    } else {
        json_t *idv = json_object_get(seg, "id"), *els = json_object_get(seg, "elements");
        const char *id = json_string_value(idv);
        if (!id || !x12__seg_id_ok(id, strlen(id)))
            return bad(j, "segment without a valid id", NULL);
        if (els && !json_is_object(els))
            return bad(j, "elements is not an object", id);
        int isa = !strcmp(id, "ISA");
        size_t idn = strlen(id), max = 0;
        json_t *cnt = json_object_get(seg, "count");
        if (cnt) {
            if (!json_is_integer(cnt) || json_integer_value(cnt) < 0 ||
                json_integer_value(cnt) > MAX_ELEMENTS)
                return bad(j, "count out of range", id);
            max = (size_t)json_integer_value(cnt);
        }
        /* elements by position */
        json_t **at = NULL;
        const char *key;
        json_t *v;
        json_object_foreach(els, key, v) {
            size_t kn = strlen(key), pos = 0;
            if (kn <= idn || kn > idn + 5 || strncmp(key, id, idn) != 0)
                return bad(j, "element key does not name the segment", id);
            for (size_t i = idn; i < kn; i++) {
                if (key[i] < '0' || key[i] > '9')
                    return bad(j, "element key without a position", id);
                pos = pos * 10 + (size_t)(key[i] - '0');
            }
            if (pos < 1 || pos > MAX_ELEMENTS)
                return bad(j, "element position out of range", id);
            if (pos > max)
                max = pos;
        }
        if (max) {
            at = hxe_calloc(max + 1, sizeof *at);
            if (!at)
                return hxe_err_set(j->err, HXE_ENOMEM, "out of memory");
            json_object_foreach(els, key, v) {
                size_t pos = 0;
                for (size_t i = idn; key[i]; i++)
                    pos = pos * 10 + (size_t)(key[i] - '0');
                at[pos] = v;
            }
        }
        rc = hxe_buf_puts(j->out, id);
        for (size_t e = 1; !rc && e <= max; e++) {
            rc = hxe_buf_putc(j->out, j->d.es);
            if (!rc && at[e]) {
                char k[24];
                snprintf(k, sizeof k, "%.3s%02u", id, (unsigned)e);
                rc = put_element(j, at[e], k, isa);
            }
        }
        hxe_free(at);
    }
    if (rc)
        return rc;
    json_t *tail = json_object_get(seg, "tail");
    if (!tail)
        return hxe_buf_putc(j->out, j->d.st);
    if (!json_is_string(tail))
        return bad(j, "tail is not a string", NULL);
    return hxe_buf_append(j->out, json_string_value(tail), json_string_length(tail));
}

static int put_content(jr *j, json_t *list, int depth)
{
    if (!json_is_array(list))
        return bad(j, "content is not an array", NULL);
    if (depth > MAX_NEST)
        return bad(j, "loops nested too deep", NULL);
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x) {
        json_t *sub = json_is_object(x) ? json_object_get(x, "content") : NULL;
        int rc = sub ? put_content(j, sub, depth + 1) : put_segment(j, x);
        if (rc)
            return rc;
    }
    return 0;
}

static int one_char(json_t *o, const char *k, char *out, int optional)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_string(v))
        return -1;
    size_t n = json_string_length(v);
    if (n == 0 && optional) {
        *out = 0;
        return 0;
    }
    if (n != 1)
        return -1;
    *out = json_string_value(v)[0];
    return 0;
}

static int put_line(jr *j, json_t *o)
{
    if (!json_is_object(o))
        return bad(j, "not a JSON object", NULL);
    json_t *x;
    if ((x = json_object_get(o, "raw"))) {
        if (!json_is_string(x))
            return bad(j, "raw is not a string", NULL);
        return hxe_buf_append(j->out, json_string_value(x), json_string_length(x));
    }
    if ((x = json_object_get(o, "delimiters"))) {
        hxe_x12_delims d;
        if (!json_is_object(x) || one_char(x, "element", &d.es, 0) ||
            one_char(x, "repetition", &d.rs, 1) || one_char(x, "component", &d.cs, 0) ||
            one_char(x, "segment", &d.st, 0))
            return bad(j, "delimiters are not four single characters", NULL);
        j->d = d;
    }
    if ((x = json_object_get(o, "segment")))
        return put_segment(j, x);
    if ((x = json_object_get(o, "content")) || (x = json_object_get(o, "segments")))
        return put_content(j, x, 0);
    return bad(j, "neither raw, segment nor a set", NULL);
}

int hxe_x12_from_json(const char *json, size_t len, hxe_buf *out, hxe_err *err)
{
    jr j = {{'*', '^', ':', '~'}, out, 0, err};
    size_t pos = 0;
    while (pos < len) {
        const char *nl = memchr(json + pos, '\n', len - pos);
        size_t n = (size_t)((nl ? nl : json + len) - (json + pos));
        j.line++;
        size_t k = 0;
        while (k < n && (json[pos + k] == ' ' || json[pos + k] == '\t' || json[pos + k] == '\r'))
            k++;
        if (k < n) {
            json_error_t je;
            json_t *o = json_loadb(json + pos, n, JSON_ALLOW_NUL, &je);
            if (!o)
                return hxe_err_set(err, HXE_EPARSE, "line %zu, column %d: not JSON", j.line,
                                   je.column);
            int rc = put_line(&j, o);
            json_decref(o);
            if (rc)
                return rc == HXE_ENOMEM || rc == HXE_ETOOBIG
                           ? hxe_err_set(err, rc, "line %zu: %s", j.line, hxe_strerror(rc))
                           : rc;
        }
        pos += n + (nl ? 1 : 0);
    }
    return 0;
}
