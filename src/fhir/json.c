/*
 * json.c — FHIR resources in and out of JSON: reading with size and depth
 * limits (jansson underneath), canonical writing, and the OperationOutcome
 * built from an issue list.
 *
 * Error messages name lines, columns and limits, never the text around a
 * syntax error: jansson's own messages quote input, which may be PHI.
 */
#include "fhir/internal.h"

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

static int dump_cb(const char *p, size_t n, void *data)
{
    return hxe_buf_append(data, p, n) == 0 ? 0 : -1;
}

int hxe_fhir_write(const json_t *res, int flags, hxe_buf *out)
{
    if (!res)
        return HXE_EINVAL;
    size_t jf = JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
    jf |= (flags & HXE_FHIR_WRITE_PRETTY) ? JSON_INDENT(2) : JSON_COMPACT;
    size_t before = out->len;
    if (json_dump_callback(res, dump_cb, out, jf) != 0) {
        hxe_buf_truncate(out, before);
        return HXE_ENOMEM;
    }
    if (flags & HXE_FHIR_WRITE_PRETTY)
        return hxe_buf_putc(out, '\n');
    return 0;
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
