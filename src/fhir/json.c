/*
 * json.c — FHIR resources in and out of JSON: reading with size and depth
 * limits (jansson underneath), canonical writing, and the OperationOutcome
 * built from an issue list.
 *
 * Error messages name lines, columns and limits, never the text around a
 * syntax error: jansson's own messages quote input, which may be PHI.
 */
#include "fhir/internal.h"

#include <stdio.h>
#include <string.h>

/* depth counts objects and arrays only */
static int depth_ok(const json_t *v, size_t depth, size_t max)
{
    if (!json_is_object(v) && !json_is_array(v))
        return 1;
    if (depth > max)
        return 0;
    if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (!depth_ok(x, depth + 1, max))
                return 0;
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (!depth_ok(x, depth + 1, max))
                return 0;
        }
    }
    return 1;
}

static const char *jerr_text(enum json_error_code c)
{
    switch (c) {
    case json_error_out_of_memory: return "out of memory";
    case json_error_stack_overflow: return "nesting too deep";
    case json_error_invalid_utf8: return "invalid UTF-8";
    case json_error_premature_end_of_input: return "unexpected end of input";
    case json_error_end_of_input_expected: return "data after the end of the document";
    case json_error_null_character: return "NUL character in a string";
    case json_error_null_byte_in_key: return "NUL character in a key";
    case json_error_duplicate_key: return "duplicate key";
    case json_error_numeric_overflow: return "number out of range";
    case json_error_invalid_syntax:
    case json_error_invalid_format:
    case json_error_wrong_type:
    case json_error_null_value:
    case json_error_item_not_found:
    case json_error_index_out_of_range:
    case json_error_cannot_open_file:
    case json_error_invalid_argument:
    case json_error_unknown:
        break;
    }
    return "invalid JSON";
}

int hxe_fhir_read(json_t **out, const char *buf, size_t len, const hxe_fhir_opts *opts,
                  hxe_err *err)
{
    size_t max_bytes = opts && opts->max_bytes ? opts->max_bytes : HXE_FHIR_MAX_BYTES_DEFAULT;
    size_t max_depth = opts && opts->max_depth ? opts->max_depth : HXE_FHIR_MAX_DEPTH_DEFAULT;
    *out = NULL;
    if (len > max_bytes)
        return hxe_err_set(err, HXE_ETOOBIG, "FHIR JSON: %zu bytes, over the limit of %zu", len,
                           max_bytes);
    /* a UTF-8 byte-order mark is tolerated */
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        buf += 3;
        len -= 3;
    }
    json_error_t je;
    json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!v)
        return hxe_err_set(err, HXE_EPARSE, "FHIR JSON: %s at line %d column %d",
                           jerr_text(json_error_code(&je)), je.line, je.column);
    if (!json_is_object(v)) {
        json_decref(v);
        return hxe_err_set(err, HXE_EPARSE, "FHIR JSON: a resource must be a JSON object");
    }
    if (!json_is_string(json_object_get(v, "resourceType"))) {
        json_decref(v);
        return hxe_err_set(err, HXE_EPARSE, "FHIR JSON: resourceType missing or not a string");
    }
    if (!depth_ok(v, 1, max_depth)) {
        json_decref(v);
        return hxe_err_set(err, HXE_ETOOBIG, "FHIR JSON: nesting deeper than %zu", max_depth);
    }
    *out = v;
    return 0;
}

/* ---- writing ----
 * The bytes jansson's json_dump gives with JSON_COMPACT or JSON_INDENT(2)
 * and JSON_REAL_PRECISION(15), made here straight into the buffer:
 * jansson's dump formats a "%p" key into a hash table for every object
 * and array (its loop check) and calls back for every token, which made
 * writing a Bundle cost as much as converting the message it came from.
 * test_fhir_write checks the two give the same bytes. A loop (a value
 * inside itself) is caught by the depth bound instead. */
#define WRITE_MAX_DEPTH 1000

typedef struct wr {
    hxe_buf *b;
    int pretty;
} wr;

static int w_str(hxe_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = hxe_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    /* most strings are ASCII with nothing to escape: one check, then the
     * bytes go into the room just reserved in one copy */
    size_t plain = 0;
    while (plain < n && (unsigned char)s[plain] >= 0x20 && (unsigned char)s[plain] < 0x80 &&
           s[plain] != '"' && s[plain] != '\\')
        plain++;
    if (plain == n) {
        char *d = b->p + b->len;
        d[0] = '"';
        memcpy(d + 1, s, n);
        d[n + 1] = '"';
        b->len += n + 2;
        d[n + 2] = '\0';
        return 0;
    }
    rc = hxe_buf_putc(b, '"');
    size_t run = 0; /* start of the bytes that need no escaping */
    for (size_t i = plain; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* only valid UTF-8 is written, as jansson does */
            size_t seq = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (seq > n - i || hxe_utf8_check(s + i, seq) != seq)
                return HXE_EINVAL;
            i += seq - 1;
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        rc = hxe_buf_append(b, s + run, i - run);
        run = i + 1;
        if (rc)
            break;
        switch (c) {
        case '"': rc = hxe_buf_append(b, "\\\"", 2); break;
        case '\\': rc = hxe_buf_append(b, "\\\\", 2); break;
        case '\b': rc = hxe_buf_append(b, "\\b", 2); break;
        case '\f': rc = hxe_buf_append(b, "\\f", 2); break;
        case '\n': rc = hxe_buf_append(b, "\\n", 2); break;
        case '\r': rc = hxe_buf_append(b, "\\r", 2); break;
        case '\t': rc = hxe_buf_append(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = hxe_buf_append(b, e, 6);
        }
        }
    }
    if (!rc)
        rc = hxe_buf_append(b, s + run, n - run);
    if (!rc)
        rc = hxe_buf_putc(b, '"');
    return rc;
}

static int w_int(hxe_buf *b, json_int_t v)
{
    char d[24];
    size_t k = sizeof d;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    do {
        d[--k] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        d[--k] = '-';
    return hxe_buf_append(b, d + k, sizeof d - k);
}

/* %.15g, with ".0" added when it would read back as an integer and the
 * exponent without '+' or leading zeros: jansson's jsonp_dtostr */
static int w_real(hxe_buf *b, double v)
{
    char d[64];
    int len = snprintf(d, sizeof d, "%.15g", v);
    if (len < 0 || (size_t)len >= sizeof d - 3)
        return HXE_EINVAL;
    size_t n = (size_t)len;
    if (!strchr(d, '.') && !strchr(d, 'e')) {
        memcpy(d + n, ".0", 3);
        n += 2;
    }
    char *start = strchr(d, 'e');
    if (start) {
        start++;
        char *end = start + 1;
        if (*start == '-')
            start++;
        while (*end == '0')
            end++;
        if (end != start) {
            memmove(start, end, n - (size_t)(end - d) + 1);
            n -= (size_t)(end - start);
        }
    }
    return hxe_buf_append(b, d, n);
}

/* jansson's dump_indent: a newline and two spaces a level when pretty,
 * else the space after a comma only in non-compact output (never here) */
static int w_indent(wr *w, size_t depth)
{
    if (!w->pretty)
        return 0;
    int rc = hxe_buf_reserve(w->b, 1 + 2 * depth);
    if (rc)
        return rc;
    rc = hxe_buf_putc(w->b, '\n');
    for (size_t i = 0; i < depth && !rc; i++)
        rc = hxe_buf_append(w->b, "  ", 2);
    return rc;
}

static int w_value(wr *w, const json_t *v, size_t depth)
{
    if (depth > WRITE_MAX_DEPTH)
        return HXE_EINVAL;
    int rc = 0;
    switch (json_typeof(v)) {
    case JSON_NULL: return hxe_buf_append(w->b, "null", 4);
    case JSON_TRUE: return hxe_buf_append(w->b, "true", 4);
    case JSON_FALSE: return hxe_buf_append(w->b, "false", 5);
    case JSON_INTEGER: return w_int(w->b, json_integer_value(v));
    case JSON_REAL: return w_real(w->b, json_real_value(v));
    case JSON_STRING: return w_str(w->b, json_string_value(v), json_string_length(v));
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        rc = hxe_buf_putc(w->b, '[');
        if (n && !rc)
            rc = w_indent(w, depth + 1);
        for (size_t i = 0; i < n && !rc; i++) {
            rc = w_value(w, json_array_get(v, i), depth + 1);
            if (!rc && i + 1 < n) {
                rc = hxe_buf_putc(w->b, ',');
                if (!rc)
                    rc = w_indent(w, depth + 1);
            } else if (!rc) {
                rc = w_indent(w, depth);
            }
        }
        return rc ? rc : hxe_buf_putc(w->b, ']');
    }
    case JSON_OBJECT: {
        void *it = json_object_iter((json_t *)v);
        rc = hxe_buf_putc(w->b, '{');
        if (it && !rc)
            rc = w_indent(w, depth + 1);
        while (it && !rc) {
            void *next = json_object_iter_next((json_t *)v, it);
            rc = w_str(w->b, json_object_iter_key(it), json_object_iter_key_len(it));
            if (!rc)
                rc = w->pretty ? hxe_buf_append(w->b, ": ", 2) : hxe_buf_putc(w->b, ':');
            if (!rc)
                rc = w_value(w, json_object_iter_value(it), depth + 1);
            if (!rc && next) {
                rc = hxe_buf_putc(w->b, ',');
                if (!rc)
                    rc = w_indent(w, depth + 1);
            } else if (!rc) {
                rc = w_indent(w, depth);
            }
            it = next;
        }
        return rc ? rc : hxe_buf_putc(w->b, '}');
    }
    }
    return HXE_EINVAL;
}

int hxe_fhir_write(const json_t *res, int flags, hxe_buf *out)
{
    if (!res)
        return HXE_EINVAL;
    wr w = {out, (flags & HXE_FHIR_WRITE_PRETTY) != 0};
    size_t before = out->len;
    int rc = w_value(&w, res, 0);
    if (!rc && w.pretty)
        rc = hxe_buf_putc(out, '\n');
    if (rc)
        hxe_buf_truncate(out, before);
    return rc;
}

/* ---- OperationOutcome ---- */
const char *hxe_fhir_issue_type_name(int code)
{
    switch (code) {
    case HXE_FHIR_IT_INVALID: return "invalid";
    case HXE_FHIR_IT_STRUCTURE: return "structure";
    case HXE_FHIR_IT_REQUIRED: return "required";
    case HXE_FHIR_IT_VALUE: return "value";
    case HXE_FHIR_IT_INVARIANT: return "invariant";
    case HXE_FHIR_IT_CODE_INVALID: return "code-invalid";
    case HXE_FHIR_IT_NOT_FOUND: return "not-found";
    case HXE_FHIR_IT_NOT_SUPPORTED: return "not-supported";
    case HXE_FHIR_IT_TOO_COSTLY: return "too-costly";
    case HXE_FHIR_IT_INFORMATIONAL: return "informational";
    default: return "processing";
    }
}

static const char *oo_severity(int s)
{
    switch (s) {
    case HXE_SEV_FATAL: return "fatal";
    case HXE_SEV_ERROR: return "error";
    case HXE_SEV_WARNING: return "warning";
    default: return "information";
    }
}

static int oo_issue(json_t *arr, const char *sev, const char *code, const char *expr, size_t en,
                    const char *diag)
{
    json_t *it = json_object();
    if (!it)
        return HXE_ENOMEM;
    int bad = json_object_set_new(it, "severity", json_string(sev));
    bad |= json_object_set_new(it, "code", json_string(code));
    if (en) {
        json_t *ex = json_array();
        bad |= !ex || json_array_append_new(ex, json_stringn(expr, en));
        bad |= json_object_set_new(it, "expression", ex);
    }
    if (diag && *diag)
        bad |= json_object_set_new(it, "diagnostics", json_string(diag));
    bad |= json_array_append_new(arr, it);
    return bad ? HXE_ENOMEM : 0;
}

int hxe_fhir_outcome(json_t **out, const hxe_issues *issues)
{
    *out = NULL;
    json_t *oo = json_object();
    json_t *arr = json_array();
    if (!oo || !arr || json_object_set_new(oo, "resourceType", json_string("OperationOutcome")) ||
        json_object_set(oo, "issue", arr)) {
        json_decref(arr);
        json_decref(oo);
        return HXE_ENOMEM;
    }
    int rc = 0;
    size_t n = issues ? issues->n : 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const hxe_issue *is = &issues->v[i];
        /* "EXPR: diagnostics"; an expression holds no space */
        const char *sep = strstr(is->text, ": ");
        if (sep && memchr(is->text, ' ', (size_t)(sep - is->text)))
            sep = NULL;
        const char *diag = sep ? sep + 2 : is->text;
        size_t en = sep ? (size_t)(sep - is->text) : 0;
        rc = oo_issue(arr, oo_severity(is->severity), hxe_fhir_issue_type_name(is->code),
                      is->text, en, diag);
    }
    if (rc == 0 && issues && issues->dropped) {
        char msg[96];
        snprintf(msg, sizeof msg, "%zu further issues not listed", issues->dropped);
        rc = oo_issue(arr, "warning", "too-costly", NULL, 0, msg);
    }
    if (rc == 0 && n == 0)
        rc = oo_issue(arr, "information", "informational", NULL, 0, "no issues found");
    json_decref(arr);
    if (rc) {
        json_decref(oo);
        return rc;
    }
    *out = oo;
    return 0;
}
