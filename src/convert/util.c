/*
 * util.c — the small tools every v2 -> FHIR map uses: components and
 * repetitions of raw v2 values, decoded text as JSON strings, DTM ->
 * dateTime, lookups in the generated IG tables (concept maps, table 0396
 * coding systems), and jansson helpers.
 */
#include "convert/internal.h"

#include <string.h>

hxe_slice cv_comp(const hxe_hl7_msg *m, hxe_slice v, unsigned c)
{
    hxe_slice out = HXE_SLICE_EMPTY;
    hxe_slice_piece(v, m->enc.cs, c, &out);
    return out;
}

hxe_slice cv_sub(const hxe_hl7_msg *m, hxe_slice v, unsigned s)
{
    hxe_slice out = HXE_SLICE_EMPTY;
    if (!m->enc.ss)
        return s == 1 ? v : out;
    hxe_slice_piece(v, m->enc.ss, s, &out);
    return out;
}

hxe_slice cv_rep(const hxe_hl7_msg *m, hxe_slice v, unsigned r)
{
    hxe_slice out = HXE_SLICE_EMPTY;
    if (!m->enc.rs)
        return r == 1 ? v : out;
    hxe_slice_piece(v, m->enc.rs, r, &out);
    return out;
}

size_t cv_nrep(const hxe_hl7_msg *m, hxe_slice v)
{
    return m->enc.rs ? hxe_slice_count(v, m->enc.rs) : 1;
}

int cv_empty(hxe_slice v)
{
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] != ' ')
            return 0;
    return 1;
}

static int text(const hxe_hl7_msg *m, hxe_slice raw, hxe_buf *b)
{
    if (cv_empty(raw) || (raw.n == 2 && raw.p[0] == '"' && raw.p[1] == '"'))
        return -1;
    if (hxe_hl7_unescape(m, raw, b, NULL) != 0 || !b->p)
        return -1;
    /* FHIR strings hold no control characters but tab and line breaks:
     * drop the others (a NUL would also cut the C string short) */
    size_t w = 0;
    for (size_t r = 0; r < b->len; r++) {
        unsigned char ch = (unsigned char)b->p[r];
        if (ch >= 0x20 || ch == '\t' || ch == '\n' || ch == '\r')
            b->p[w++] = (char)ch;
    }
    hxe_buf_truncate(b, w);
    size_t s = 0, e = b->len;
    while (s < e && (b->p[s] == ' ' || b->p[s] == '\t'))
        s++;
    while (e > s && (b->p[e - 1] == ' ' || b->p[e - 1] == '\t' || b->p[e - 1] == '\n'))
        e--;
    if (s == e)
        return -1;
    memmove(b->p, b->p + s, e - s);
    hxe_buf_truncate(b, e - s);
    return 0;
}

/* Most values need no decoding: printable ASCII without the escape
 * character, in a character set ASCII is part of. Those are read in
 * place, trimmed, without the copy and allocation of text(): 1 and *out
 * (empty for a value that says nothing), or 0 when text() is needed. */
static int plain(const hxe_hl7_msg *m, hxe_slice raw, hxe_slice *out)
{
    if (m->charset == HXE_HL7_CS_ICONV)
        return 0;
    for (size_t i = 0; i < raw.n; i++) {
        unsigned char ch = (unsigned char)raw.p[i];
        if (ch < 0x20 || ch > 0x7e || (m->enc.es && ch == (unsigned char)m->enc.es))
            return 0;
    }
    size_t s = 0, e = raw.n;
    while (s < e && raw.p[s] == ' ')
        s++;
    while (e > s && raw.p[e - 1] == ' ')
        e--;
    *out = hxe_slice_of(raw.p + s, e - s);
    if (raw.n == 2 && raw.p[0] == '"' && raw.p[1] == '"')
        out->n = 0;   /* "" : the v2 null, nothing to carry */
    return 1;
}

json_t *cv_jstr(const hxe_hl7_msg *m, hxe_slice raw)
{
    hxe_buf b = HXE_BUF_INIT;
    json_t *j = NULL;
    hxe_slice v;
    if (plain(m, raw, &v))
        return v.n ? json_stringn_nocheck(v.p, v.n) : NULL;
    if (text(m, raw, &b) == 0)
        j = json_stringn(b.p, b.len);
    hxe_buf_free(&b);
    return j;
}

size_t cv_cpy(const hxe_hl7_msg *m, hxe_slice raw, char *buf, size_t size)
{
    hxe_buf b = HXE_BUF_INIT;
    size_t n = 0;
    hxe_slice v;
    if (size == 0)
        return 0;
    if (plain(m, raw, &v)) {
        n = v.n < size - 1 ? v.n : size - 1;
        memcpy(buf, v.p, n);
        buf[n] = 0;
        return n;
    }
    if (text(m, raw, &b) == 0) {
        n = b.len < size - 1 ? b.len : size - 1;
        memcpy(buf, b.p, n);
    }
    buf[n] = 0;
    hxe_buf_free(&b);
    return n;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static int num(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

int hxe_conv_datetime(const char *v, size_t n, const char *tz, char *out, size_t size)
{
    size_t i = 0, nd;
    char zone[8] = "";
    const char *frac = NULL;
    size_t nfrac = 0;
    if (size < 40)
        return HXE_ETOOBIG;
    while (n > 0 && v[n - 1] == ' ')
        n--;
    /* offset */
    for (size_t k = 0; k < n; k++)
        if (v[k] == '+' || v[k] == '-') {
            if (n - k != 5 || !digits(v + k + 1, 4) || num(v + k + 1, 2) > 14 ||
                num(v + k + 3, 2) > 59)
                return HXE_EPARSE;
            zone[0] = v[k];
            memcpy(zone + 1, v + k + 1, 2);
            zone[3] = ':';
            memcpy(zone + 4, v + k + 3, 2);
            zone[6] = 0;
            n = k;
            break;
        }
    for (nd = 0; nd < n && v[nd] != '.'; nd++)
        ;
    if (nd < n) {
        frac = v + nd + 1;
        nfrac = n - nd - 1;
        if (nfrac == 0 || nfrac > 4 || !digits(frac, nfrac) || nd != 14)
            return HXE_EPARSE;
    }
    if (!digits(v, nd) || (nd != 4 && nd != 6 && nd != 8 && nd != 10 && nd != 12 && nd != 14))
        return HXE_EPARSE;
    int y = num(v, 4), mo = nd >= 6 ? num(v + 4, 2) : 1, d = nd >= 8 ? num(v + 6, 2) : 1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return HXE_EPARSE;
    /* written by hand: every date of a message comes here (size >= 40
     * holds the longest, 31 bytes) */
    memcpy(out, v, 4);
    i = 4;
    for (size_t k = 4; k < nd && k < 8; k += 2) {
        out[i++] = '-';
        out[i++] = v[k];
        out[i++] = v[k + 1];
    }
    out[i] = 0;
    if (nd <= 8)
        return 0;
    int hh = num(v + 8, 2), mi = nd >= 12 ? num(v + 10, 2) : 0, ss = nd >= 14 ? num(v + 12, 2) : 0;
    if (hh > 23 || mi > 59 || ss > 59)
        return HXE_EPARSE;
    if (!zone[0]) {
        if (!tz)
            return 1;
        cv_join(zone, sizeof zone, &tz, 1);
    }
    /* hh, mi, ss are two digits each, as written (or 00) */
    out[i++] = 'T';
    for (size_t k = 8; k < 14; k += 2) {
        if (k > 8)
            out[i++] = ':';
        out[i++] = k < nd ? v[k] : '0';
        out[i++] = k < nd ? v[k + 1] : '0';
    }
    if (frac) {
        out[i++] = '.';
        memcpy(out + i, frac, nfrac);
        i += nfrac;
    }
    const char *z = strcmp(zone, "+00:00") == 0 ? "Z" : zone;
    cv_join(out + i, size - i, &z, 1);
    return 0;
}

json_t *cv_jdate(const hxe_hl7_msg *m, hxe_slice raw, const char *tz, int date_only)
{
    char in[64], out[48];
    size_t n = cv_cpy(m, cv_comp(m, raw, 1), in, sizeof in);
    if (n == 0)
        return NULL;
    if (date_only && n > 8)
        n = 8;
    int rc = hxe_conv_datetime(in, n, tz, out, sizeof out);
    return rc >= 0 ? json_string(out) : NULL;
}

json_t *cv_jinstant(const hxe_hl7_msg *m, hxe_slice raw, const char *tz)
{
    json_t *j = cv_jdate(m, raw, tz, 0);
    if (j && strlen(json_string_value(j)) < 20) {
        json_decref(j);
        return NULL;
    }
    return j;
}

/* An empty object or array carries nothing and is invalid FHIR: the
 * helpers below drop it (a value that could not be encoded, e.g. a code
 * made only of control bytes, ends up that way). */
static int json_blank(const json_t *v)
{
    return (json_is_object(v) && json_object_size(v) == 0) ||
           (json_is_array(v) && json_array_size(v) == 0) ||
           (json_is_string(v) && json_string_length(v) == 0);
}

void cv_set(json_t *o, const char *k, json_t *v)
{
    if (!v)
        return;
    if (json_blank(v)) {
        json_decref(v);
        return;
    }
    json_object_set_new(o, k, v);
}

void cv_push(json_t *o, const char *k, json_t *v)
{
    if (!v)
        return;
    if (json_blank(v)) {
        json_decref(v);
        return;
    }
    json_t *a = json_object_get(o, k);
    if (!json_is_array(a)) {
        a = json_array();
        json_object_set_new(o, k, a);
    }
    json_array_append_new(a, v);
}

static void cv_put_str(json_t *o, const char *k, const char *v)
{
    json_t *s = v && *v ? json_string(v) : NULL; /* NULL for invalid UTF-8 */
    if (s)
        json_object_set_new(o, k, s);
}

/* A FHIR code has no leading, trailing or repeated whitespace: runs of
 * blanks and line breaks become one space. */
static const char *code_norm(const char *code, char *buf, size_t size)
{
    size_t w = 0;
    int space = 0;
    for (const char *p = code ? code : ""; *p && w + 1 < size; p++) {
        if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
            space = w > 0;
            continue;
        }
        if (space && w + 2 < size)
            buf[w++] = ' ';
        space = 0;
        buf[w++] = *p;
    }
    buf[w] = '\0';
    return buf;
}

json_t *cv_coding(const char *system, const char *code, const char *display)
{
    json_t *c = json_object();
    char nb[256];
    cv_put_str(c, "system", system);
    cv_put_str(c, "code", code_norm(code, nb, sizeof nb));
    cv_put_str(c, "display", display);
    if (!json_object_get(c, "code") && !json_object_get(c, "display")) {
        json_decref(c);
        return NULL;
    }
    return c;
}

json_t *cv_cc1(const char *system, const char *code, const char *display)
{
    json_t *cc = json_object();
    cv_push(cc, "coding", cv_coding(system, code, display));
    if (json_blank(cc)) {
        json_decref(cc);
        return NULL;
    }
    return cc;
}

json_t *cv_ref(const char *url)
{
    if (!url || !*url)
        return NULL;
    /* not json_pack: references are the most frequent object made */
    json_t *r = json_object();
    if (r && json_object_set_new_nocheck(r, "reference", json_string(url)) != 0) {
        json_decref(r);   /* the string, when made, is released by the call */
        return NULL;
    }
    return r;
}

/* ---- generated tables ---- */
int hxe_conv_vocab(const char *map, const char *v2, size_t n, const char **code,
                   const char **display, const char **system)
{
    size_t lo = 0, hi = hxe_conv_vocab_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const hxe_conv_vocab_row *r = &hxe_conv_vocab_rows[mid];
        int c = strcmp(r->map, map);
        if (c == 0) {
            c = strncmp(r->v2, v2, n);
            if (c == 0 && r->v2[n] != 0)
                c = 1;
        }
        if (c == 0) {
            if (code)
                *code = r->code;
            if (display)
                *display = r->display;
            if (system)
                *system = r->system;
            return 0;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return HXE_ENOTFOUND;
}

int hxe_conv_ig_maps(const char *map, const char *id)
{
    size_t lo = 0, hi = hxe_conv_field_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const hxe_conv_field *r = &hxe_conv_field_rows[mid];
        int c = strcmp(r->map, map);
        if (c == 0)
            c = strcmp(r->id, id);
        if (c == 0)
            return r->mapped;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

const char *hxe_conv_system_uri(const char *name, size_t n, char *buf, size_t size)
{
    char nm[32];
    if (n == 0 || n >= sizeof nm || size < 48)
        return NULL;
    memcpy(nm, name, n);
    nm[n] = 0;
    /* HL7nnnn and HLnnnn: the v2 tables in terminology.hl7.org */
    const char *d = NULL;
    if (n == 7 && strncmp(nm, "HL7", 3) == 0)
        d = nm + 3;
    else if (n == 6 && strncmp(nm, "HL", 2) == 0)
        d = nm + 2;
    if (d && digits(d, 4)) {
        cv_join(buf, size, (const char *[]){V2_CS, d}, 2);
        return buf;
    }
    for (size_t i = 0; i < hxe_conv_codesys_count; i++)
        if (strcmp(hxe_conv_codesys_rows[i].name, nm) == 0) {
            cv_join(buf, size, &hxe_conv_codesys_rows[i].uri, 1);
            return buf;
        }
    return NULL;
}

json_t *cv_vocab_cc(const hxe_hl7_msg *m, const char *map, hxe_slice cwe)
{
    char code[64];
    const char *fc, *fd, *fs;
    size_t n = cv_cpy(m, cv_comp(m, cwe, 1), code, sizeof code);
    if (n && hxe_conv_vocab(map, code, n, &fc, &fd, &fs) == 0 && *fs) {
        json_t *cc = hxe_conv_codeable(m, cwe);
        json_t *a = json_object_get(cc, "coding");
        if (!json_is_array(a)) {
            a = json_array();
            json_object_set_new(cc, "coding", a);
        }
        /* the IG's coding first, unless the sender wrote that very one */
        size_t i;
        json_t *x;
        json_array_foreach(a, i, x) {
            const char *xs = json_string_value(json_object_get(x, "system"));
            const char *xc = json_string_value(json_object_get(x, "code"));
            if (xs && xc && strcmp(xs, fs) == 0 && strcmp(xc, fc) == 0)
                return cc;
        }
        json_array_insert_new(a, 0, cv_coding(fs, fc, fd));
        return cc;
    }
    return hxe_conv_codeable(m, cwe);
}

size_t cv_join(char *out, size_t size, const char *const *parts, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < size; i++) {
        size_t k = strlen(parts[i]);
        if (k > size - 1 - o)
            k = size - 1 - o;
        memcpy(out + o, parts[i], k);
        o += k;
    }
    out[o] = 0;
    return o;
}

const char *cv_utoa(char *buf, size_t v)
{
    char *p = buf + CV_UINT - 1;
    *p = 0;
    do
        *--p = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    return p;
}

void cv_urlenc(const char *s, char *out, size_t size)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (; *s && o + 4 < size; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '.' || ch == '_' || ch == '~' || ch == ':' || ch == '/' || ch == '|') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = 0;
}

int cv_ident_query(const json_t *ident, char *out, size_t size)
{
    const char *sys = json_string_value(json_object_get(ident, "system"));
    const char *val = json_string_value(json_object_get(ident, "value"));
    char es[200], ev[200];
    if (!val || !sys)
        return -1;
    cv_urlenc(sys, es, sizeof es);
    cv_urlenc(val, ev, sizeof ev);
    cv_join(out, size, (const char *[]){"identifier=", es, "|", ev}, 4);
    return 0;
}

json_t *cv_jraw(const hxe_hl7_msg *m, hxe_slice raw)
{
    hxe_buf u = HXE_BUF_INIT, b = HXE_BUF_INIT;
    if (cv_empty(raw))
        return NULL;
    /* the message's character set to UTF-8; bytes it cannot read become
     * U+FFFD, and control characters (a FHIR string holds none but tab
     * and line breaks) a space */
    const char *p = raw.p;
    size_t n = raw.n;
    if (hxe_hl7_to_utf8(m, raw.p, raw.n, &u) == 0 && u.p) {
        p = u.p;
        n = u.len;
    }
    int rc = hxe_buf_reserve(&b, n + 1);
    for (size_t i = 0; i < n && rc == 0;) {
        size_t ok = hxe_utf8_check(p + i, n - i);
        for (size_t k = 0; k < ok && rc == 0; k++) {
            unsigned char ch = (unsigned char)p[i + k];
            rc = hxe_buf_putc(&b, ch < 0x20 && ch != '\t' ? ' ' : (char)ch);
        }
        i += ok;
        if (i < n) {
            if (rc == 0)
                rc = hxe_utf8_put(&b, 0xFFFD);
            i++;
        }
    }
    json_t *j = rc == 0 && b.len ? json_stringn(b.p, b.len) : NULL;
    hxe_buf_free(&u);
    hxe_buf_free(&b);
    return j;
}

const char *cv_first_query(json_t *res, char *q, size_t size)
{
    json_t *id;
    size_t i;
    json_array_foreach(json_object_get(res, "identifier"), i, id) if (cv_ident_query(id, q, size) == 0)
        return q;
    return NULL;
}

void cv_default_system(json_t *cc, const char *sys)
{
    json_t *cd = json_array_get(json_object_get(cc, "coding"), 0);
    if (cd && !json_object_get(cd, "system"))
        json_object_set_new(cd, "system", json_string(sys));
}

/* json_pack parses its format on every call; these few shapes are made
 * for every result, so they are built directly */
json_t *cv_obj(const char *key, json_t *v)
{
    json_t *o = json_object();
    if (o && v && json_object_set_new_nocheck(o, key, v) != 0) {
        json_decref(o);
        return NULL;
    }
    if (!v) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *cv_arr1(json_t *v)
{
    json_t *a = json_array();
    if (a && v && json_array_append_new(a, v) != 0) {
        json_decref(a);
        return NULL;
    }
    if (!v) {
        json_decref(a);
        return NULL;
    }
    return a;
}

void cv_profile(json_t *res, const char *url)
{
    json_object_set_new_nocheck(res, "meta", cv_obj("profile", cv_arr1(json_string(url))));
}
