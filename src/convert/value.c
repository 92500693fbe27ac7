/*
 * value.c — OBX-5 by value type (OBX-2) -> Observation.value[x], per the
 * IG's OBX[Observation] rows: NM -> valueQuantity, SN -> valueQuantity
 * (with comparator) / valueRange / valueRatio, ST/TX/FT -> valueString,
 * CWE/CE/CNE -> valueCodeableConcept, DT/DTM/TS -> valueDateTime, TM ->
 * valueTime, ED -> an Attachment in the IG's value-attachment extension.
 */
#include "convert/internal.h"

#include <stdlib.h>
#include <string.h>

/* a FHIR decimal from v2 NM text, or NULL */
static json_t *decimal(const char *s)
{
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    size_t nd = 0, dots = 0;
    for (const char *q = p; *q; q++) {
        if (*q >= '0' && *q <= '9')
            nd++;
        else if (*q == '.')
            dots++;
        else
            return NULL;
    }
    if (nd == 0 || dots > 1)
        return NULL;
    if (dots == 0 && strlen(p) < 16)
        return json_integer(strtoll(s, NULL, 10));
    return json_real(strtod(s, NULL));
}

static json_t *quantity(const hxe_hl7_msg *m, hxe_slice num, hxe_slice units)
{
    char b[64];
    cv_cpy(m, num, b, sizeof b);
    json_t *v = decimal(b);
    if (!v)
        return NULL;
    json_t *q = json_object();
    json_object_set_new(q, "value", v);
    char code[64], disp[128], sys[32], uri[200];
    size_t nc = cv_cpy(m, cv_comp(m, units, 1), code, sizeof code);
    size_t nd = cv_cpy(m, cv_comp(m, units, 2), disp, sizeof disp);
    size_t ns = cv_cpy(m, cv_comp(m, units, 3), sys, sizeof sys);
    if (nc || nd)
        json_object_set_new(q, "unit", json_string(nd ? disp : code));
    const char *u = ns ? hxe_conv_system_uri(sys, ns, uri, sizeof uri) : NULL;
    if (nc && u) {
        json_object_set_new(q, "system", json_string(u));
        json_object_set_new(q, "code", json_string(code));
    }
    return q;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

json_t *cv_base64(const char *s, size_t n)
{
    hxe_buf b = HXE_BUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n)
            v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n)
            v |= (unsigned char)s[i + 2];
        char o[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
                     i + 1 < n ? b64[(v >> 6) & 63] : '=', i + 2 < n ? b64[v & 63] : '='};
        rc = hxe_buf_append(&b, o, 4);
    }
    json_t *j = rc == 0 && b.len ? json_stringn(b.p, b.len) : NULL;
    hxe_buf_free(&b);
    return j;
}

json_t *cv_attachment(const hxe_hl7_msg *m, hxe_slice ed)
{
    char t[32], st[64], enc[16], ct[100];
    cv_cpy(m, cv_comp(m, ed, 2), t, sizeof t);
    cv_cpy(m, cv_comp(m, ed, 3), st, sizeof st);
    cv_cpy(m, cv_comp(m, ed, 4), enc, sizeof enc);
    hxe_slice data = cv_comp(m, ed, 5);
    if (cv_empty(data))
        return NULL;
    json_t *a = json_object();
    /* ED.2 (table 0191) names a MIME top-level type in v2's own words */
    static const struct {
        const char *v2, *mime;
    } tops[] = {{"AP", "application"}, {"AU", "audio"}, {"IM", "image"}, {"SI", "image"},
                {"NS", "application"}, {"SD", "application"}, {"TX", "text"}, {"TEXT", "text"},
                {"FT", "text"}};
    for (size_t i = 0; i < sizeof tops / sizeof tops[0]; i++)
        if (strcmp(t, tops[i].v2) == 0)
            snprintf(t, sizeof t, "%s", tops[i].mime);
    if (t[0] && st[0] && !strchr(st, ' ') && !strchr(t, ' ')) {
        snprintf(ct, sizeof ct, "%s/%s", t, st);
        for (char *p = ct; *p; p++)
            if (*p >= 'A' && *p <= 'Z')
                *p = (char)(*p - 'A' + 'a');
        json_object_set_new(a, "contentType", json_string(ct));
    }
    json_t *d = NULL;
    if (strcmp(enc, "Base64") == 0) {
        /* keep the base64 alphabet only: senders wrap lines (\.br\) and pad */
        hxe_buf raw = HXE_BUF_INIT, b = HXE_BUF_INIT;
        int rc = hxe_hl7_unescape(m, data, &raw, NULL);
        for (size_t i = 0; i < raw.len && rc == 0; i++) {
            char ch = raw.p[i];
            if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                ch == '+' || ch == '/' || ch == '=')
                rc = hxe_buf_putc(&b, ch);
        }
        /* whole quads, padding only at the end: else it is not base64
         * (a placeholder such as "<Base64 encoded>") */
        size_t pad = b.len && b.p[b.len - 1] == '=' ? (b.len > 1 && b.p[b.len - 2] == '=' ? 2 : 1) : 0;
        if (rc == 0 && b.len && b.len % 4 == 0 && !memchr(b.p, '=', b.len - pad))
            d = json_stringn(b.p, b.len);
        hxe_buf_free(&b);
        hxe_buf_free(&raw);
    } else {
        hxe_buf b = HXE_BUF_INIT;
        if (hxe_hl7_unescape(m, data, &b, NULL) == 0 && b.len)
            d = cv_base64(b.p, b.len);
        hxe_buf_free(&b);
    }
    if (!d) {
        json_decref(a);
        return NULL;
    }
    json_object_set_new(a, "data", d);
    return a;
}

json_t *hxe_conv_obs_value(const hxe_hl7_msg *m, const char *vt, hxe_slice v, hxe_slice units,
                           const char **key)
{
    *key = NULL;
    if (cv_empty(v))
        return NULL;
    if (strcmp(vt, "NM") == 0) {
        json_t *q = quantity(m, v, units);
        if (q) {
            *key = "valueQuantity";
            return q;
        }
    } else if (strcmp(vt, "SN") == 0) {
        char cmp[4], sep[4];
        cv_cpy(m, cv_comp(m, v, 1), cmp, sizeof cmp);
        cv_cpy(m, cv_comp(m, v, 3), sep, sizeof sep);
        hxe_slice n1 = cv_comp(m, v, 2), n2 = cv_comp(m, v, 4);
        if (!sep[0] && cv_empty(n2)) {
            json_t *q = quantity(m, n1, units);
            if (q && (!cmp[0] || strcmp(cmp, "=") == 0 || strcmp(cmp, "<") == 0 ||
                      strcmp(cmp, ">") == 0 || strcmp(cmp, "<=") == 0 || strcmp(cmp, ">=") == 0)) {
                if (cmp[0] && strcmp(cmp, "=") != 0)
                    json_object_set_new(q, "comparator", json_string(cmp));
                *key = "valueQuantity";
                return q;
            }
            json_decref(q);
        } else if (!cmp[0] && (strcmp(sep, "-") == 0 || strcmp(sep, ":") == 0 ||
                               strcmp(sep, "/") == 0)) {
            json_t *a = quantity(m, n1, sep[0] == '-' ? units : HXE_SLICE_EMPTY);
            json_t *b = quantity(m, n2, sep[0] == '-' ? units : HXE_SLICE_EMPTY);
            if (a && b) {
                *key = sep[0] == '-' ? "valueRange" : "valueRatio";
                return sep[0] == '-' ? json_pack("{s:o,s:o}", "low", a, "high", b)
                                     : json_pack("{s:o,s:o}", "numerator", a, "denominator", b);
            }
            json_decref(a);
            json_decref(b);
        }
        /* anything else: the IG's string form, components joined */
        hxe_buf b = HXE_BUF_INIT;
        for (unsigned c = 1; c <= 4; c++) {
            char part[64];
            if (!cv_cpy(m, cv_comp(m, v, c), part, sizeof part))
                continue;
            if ((b.len && hxe_buf_putc(&b, ' ') != 0) || hxe_buf_puts(&b, part) != 0)
                break;
        }
        json_t *s = b.len ? json_stringn(b.p, b.len) : NULL;
        hxe_buf_free(&b);
        if (s)
            *key = "valueString";
        return s;
    } else if (strcmp(vt, "CWE") == 0 || strcmp(vt, "CE") == 0 || strcmp(vt, "CNE") == 0 ||
               strcmp(vt, "CF") == 0 || strcmp(vt, "IS") == 0 || strcmp(vt, "ID") == 0) {
        json_t *cc = hxe_conv_codeable(m, v);
        if (cc)
            *key = "valueCodeableConcept";
        return cc;
    } else if (strcmp(vt, "DT") == 0 || strcmp(vt, "DTM") == 0 || strcmp(vt, "TS") == 0) {
        json_t *d = cv_jdate(m, v, NULL, 0);
        if (d) {
            *key = "valueDateTime";
            return d;
        }
    } else if (strcmp(vt, "ED") == 0) {
        json_t *a = cv_attachment(m, v);
        if (a) {
            *key = "extension";
            return json_pack("[{s:s,s:o}]", "url",
                             "http://hl7.org/fhir/5.0/StructureDefinition/extension-Observation.value",
                             "valueAttachment", a);
        }
        return NULL;
    }
    /* ST, TX, FT, TM and whatever could not be read as its type */
    json_t *s = cv_jstr(m, v);
    if (s)
        *key = "valueString";
    return s;
}
