/*
 * critical.c — critical results: which OBX of a message are critical
 * (an OBX-8 code the IG's InterpretationCodes map calls critical: HH, LL,
 * AA; or a numeric value past a limit set for its LOINC code), and the
 * events that say so. An event is for routing to alerts (the engine's
 * part): it names the message (MSH-10), the OBX (position, set id,
 * LOINC code), why, and the patient and visit as identifier references
 * ("Patient?identifier=system|value") — never a name, a value or any
 * free text of the message, so it can go to logs and pagers.
 *
 * Limits come from a small text table (hxe_conv_limits_parse) or the
 * caller (hxe_conv_limits_set); both keep the table sorted by code.
 */
#include "convert/internal.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- limits ---- */
void hxe_conv_limits_free(hxe_conv_limits *l)
{
    if (!l)
        return;
    hxe_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

static int loinc_ok(const char *s)
{
    /* LOINC: digits, a dash, a check digit ("2823-3"); LP/LA parts too */
    size_t n = strlen(s);
    if (n < 3 || n >= sizeof(((hxe_conv_limit *)0)->loinc))
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == 'L' || s[i] == 'P' ||
              s[i] == 'A'))
            return 0;
    return strchr(s, '-') != NULL;
}

static const hxe_conv_limit *find(const hxe_conv_limits *l, const char *loinc, size_t *at)
{
    size_t lo = 0, hi = l ? l->n : 0;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(l->v[mid].loinc, loinc);
        if (c == 0) {
            if (at)
                *at = mid;
            return &l->v[mid];
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (at)
        *at = lo;
    return NULL;
}

int hxe_conv_limits_set(hxe_conv_limits *l, const char *loinc, const double *low,
                        const double *high, const char *unit, hxe_err *err)
{
    if (!l || !loinc || !loinc_ok(loinc))
        return hxe_err_set(err, HXE_EINVAL, "limits: not a LOINC code");
    if (!low && !high)
        return hxe_err_set(err, HXE_EINVAL, "limits %s: neither a low nor a high limit", loinc);
    if ((low && !isfinite(*low)) || (high && !isfinite(*high)) || (low && high && *low > *high))
        return hxe_err_set(err, HXE_EINVAL, "limits %s: low must be a number not above high",
                           loinc);
    if (unit && strlen(unit) >= sizeof l->v[0].unit)
        return hxe_err_set(err, HXE_EINVAL, "limits %s: unit longer than %zu bytes", loinc,
                           sizeof l->v[0].unit - 1);
    size_t at;
    hxe_conv_limit *e = (hxe_conv_limit *)find(l, loinc, &at);
    if (!e) {
        if (l->n >= HXE_CONV_LIMITS_MAX)
            return hxe_err_set(err, HXE_ETOOBIG, "limits: more than %d codes", HXE_CONV_LIMITS_MAX);
        if (l->n == l->cap) {
            size_t cap = l->cap ? l->cap * 2 : 32;
            hxe_conv_limit *v = hxe_realloc(l->v, cap * sizeof *v);
            if (!v)
                return hxe_err_set(err, HXE_ENOMEM, "limits: out of memory");
            l->v = v;
            l->cap = cap;
        }
        memmove(&l->v[at + 1], &l->v[at], (l->n - at) * sizeof *l->v);
        l->n++;
        e = &l->v[at];
    }
    memset(e, 0, sizeof *e);
    snprintf(e->loinc, sizeof e->loinc, "%s", loinc);
    snprintf(e->unit, sizeof e->unit, "%s", unit ? unit : "");
    if (low) {
        e->has_low = 1;
        e->low = *low;
    }
    if (high) {
        e->has_high = 1;
        e->high = *high;
    }
    return 0;
}

/* one limit word: a number, or "-" for none (*has 0) */
static int limit_word(const char *w, double *v, int *has)
{
    if (strcmp(w, "-") == 0) {
        *has = 0;
        return 0;
    }
    char *end;
    errno = 0;
    *v = strtod(w, &end);
    if (errno || *end || end == w || !isfinite(*v))
        return -1;
    *has = 1;
    return 0;
}

int hxe_conv_limits_parse(hxe_conv_limits *l, const char *text, size_t n, hxe_err *err)
{
    size_t line = 0, i = 0;
    while (i < n) {
        size_t e = i;
        while (e < n && text[e] != '\n')
            e++;
        line++;
        char buf[256], *w[5];
        size_t len = e - i;
        if (len >= sizeof buf)
            return hxe_err_set(err, HXE_EPARSE, "limits line %zu: longer than %zu bytes", line,
                               sizeof buf - 1);
        memcpy(buf, text + i, len);
        buf[len] = 0;
        i = e + 1;
        char *hash = strchr(buf, '#');
        if (hash)
            *hash = 0;
        size_t nw = 0;
        for (char *t = strtok(buf, " \t\r"); t; t = strtok(NULL, " \t\r")) {
            if (nw == 5)
                break;
            w[nw++] = t;
        }
        if (nw == 0)
            continue;
        if (nw < 3 || nw > 4)
            return hxe_err_set(err, HXE_EPARSE,
                               "limits line %zu: want CODE LOW HIGH [UNIT] (- for no limit)", line);
        double lo, hi;
        int hl, hh;
        if (limit_word(w[1], &lo, &hl) != 0 || limit_word(w[2], &hi, &hh) != 0)
            return hxe_err_set(err, HXE_EPARSE, "limits line %zu: a limit is not a number or -",
                               line);
        hxe_err e2 = {0, ""};
        int rc = hxe_conv_limits_set(l, w[0], hl ? &lo : NULL, hh ? &hi : NULL,
                                     nw == 4 ? w[3] : NULL, &e2);
        if (rc == HXE_EINVAL)
            return hxe_err_set(err, HXE_EPARSE, "limits line %zu: %s", line, e2.msg);
        if (rc != 0)
            return hxe_err_set(err, rc, "limits line %zu: %s", line, e2.msg);
    }
    return 0;
}

/* ---- the scan ---- */
void hxe_conv_criticals_free(hxe_conv_criticals *l)
{
    if (!l)
        return;
    hxe_free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

/* the LOINC code of an OBX-3 CWE (any of its three codings), into out */
static void loinc_of(const hxe_hl7_msg *m, hxe_slice cwe, char *out, size_t size)
{
    static const unsigned code[] = {1, 4, 10}, sys[] = {3, 6, 12};
    out[0] = 0;
    for (int k = 0; k < 3; k++) {
        char s[8];
        cv_cpy(m, cv_comp(m, cwe, sys[k]), s, sizeof s);
        if (strcmp(s, "LN") == 0 && cv_cpy(m, cv_comp(m, cwe, code[k]), out, size) &&
            loinc_ok(out))
            return;
        out[0] = 0;
    }
}

/* "Type?identifier=system|value" for the first repetition of field f of
 * segment seg that has a value (with its system when it has one) */
static int ident_ref(const hxe_hl7_msg *m, long seg, unsigned f, const char *type, char *out,
                     size_t size)
{
    if (seg < 0)
        return 0;
    hxe_slice v = hxe_hl7_field(m, (size_t)seg, f);
    for (unsigned r = 1; r <= cv_nrep(m, v); r++) {
        json_t *id = hxe_conv_identifier(m, cv_rep(m, v, r));
        if (!id)
            continue;
        char q[600], ev[300];
        int ok = cv_ident_query(id, q, sizeof q) == 0;
        if (!ok) {   /* no system: the value alone is still a token search */
            cv_urlenc(json_string_value(json_object_get(id, "value")), ev, sizeof ev);
            snprintf(q, sizeof q, "identifier=%s", ev);
        }
        json_decref(id);
        int w = snprintf(out, size, "%s?%s", type, q);
        if (w < 0 || (size_t)w >= size) {   /* too long to be right: none */
            out[0] = 0;
            return 0;
        }
        return 1;
    }
    return 0;
}

static int critical_flag(const char *code, size_t n)
{
    const char *disp = NULL;
    return hxe_conv_vocab("InterpretationCodes", code, n, NULL, &disp, NULL) == 0 && disp &&
           strncmp(disp, "Critical", 8) == 0;
}

/* the numeric value of OBX-5 (NM, or SN "=", "<", ">", no comparator)
 * and its comparator; 0 when it has none */
static int value_of(const hxe_hl7_msg *m, const char *vt, hxe_slice v, double *x, char *cmp)
{
    char b[64];
    hxe_slice num = v;
    cmp[0] = 0;
    if (strcmp(vt, "SN") == 0) {
        char sep[4];
        cv_cpy(m, cv_comp(m, v, 1), cmp, 3);
        cv_cpy(m, cv_comp(m, v, 3), sep, sizeof sep);
        if (sep[0] || !cv_empty(cv_comp(m, v, 4)))
            return 0;   /* a range or a ratio */
        if (strcmp(cmp, "=") == 0)
            cmp[0] = 0;
        if (cmp[0] && strcmp(cmp, "<") != 0 && strcmp(cmp, ">") != 0)
            return 0;   /* <= and >= would need equality: not decided here */
        num = cv_comp(m, v, 2);
    } else if (strcmp(vt, "NM") != 0) {
        return 0;
    }
    if (!cv_cpy(m, num, b, sizeof b))
        return 0;
    char *end;
    errno = 0;
    *x = strtod(b, &end);
    return !errno && !*end && end != b && isfinite(*x) && strpbrk(b, "0123456789") != NULL;
}

static int push(hxe_conv_criticals *out, const hxe_conv_critical *e)
{
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 8;
        hxe_conv_critical *v = hxe_realloc(out->v, cap * sizeof *v);
        if (!v)
            return HXE_ENOMEM;
        out->v = v;
        out->cap = cap;
    }
    out->v[out->n++] = *e;
    return 0;
}

int hxe_conv_critical_scan(const hxe_hl7_msg *m, const hxe_conv_limits *limits,
                           hxe_conv_criticals *out, hxe_err *err)
{
    char msg_id[64] = "";
    hxe_slice s = HXE_SLICE_EMPTY;
    if (!m || !out)
        return hxe_err_set(err, HXE_EINVAL, "no message");
    hxe_hl7_get_str(m, "MSH-10", &s);
    cv_cpy(m, s, msg_id, sizeof msg_id);
    long pid = -1, pv1 = -1;
    unsigned obx = 0;
    for (size_t i = 0; i < m->nseg; i++) {
        const char *id = m->segs[i].id;
        if (strcmp(id, "PID") == 0) {
            pid = (long)i;   /* a new patient: its visit is its own PV1 */
            pv1 = -1;
            continue;
        }
        if (strcmp(id, "PV1") == 0) {
            pv1 = (long)i;
            continue;
        }
        if (strcmp(id, "OBX") != 0)
            continue;
        obx++;
        char st[4];
        cv_cpy(m, hxe_hl7_field(m, i, 11), st, sizeof st);
        if (strcmp(st, "W") == 0 || strcmp(st, "D") == 0)
            continue;
        hxe_conv_critical e;
        memset(&e, 0, sizeof e);
        /* OBX-8: a critical flag */
        hxe_slice fl = hxe_hl7_field(m, i, 8);
        for (unsigned r = 1; r <= cv_nrep(m, fl) && !e.reason; r++) {
            char code[8];
            size_t n = cv_cpy(m, cv_comp(m, cv_rep(m, fl, r), 1), code, sizeof code);
            if (n && critical_flag(code, n)) {
                e.reason = HXE_CONV_CRIT_FLAG;
                snprintf(e.flag, sizeof e.flag, "%s", code);
            }
        }
        loinc_of(m, hxe_hl7_field(m, i, 3), e.loinc, sizeof e.loinc);
        /* else a limit of its LOINC code */
        const hxe_conv_limit *lim = e.reason || !e.loinc[0] ? NULL : find(limits, e.loinc, NULL);
        if (lim) {
            char vt[8], unit[sizeof lim->unit + 8], cmp[4];
            double x;
            cv_cpy(m, hxe_hl7_field(m, i, 2), vt, sizeof vt);
            cv_cpy(m, cv_comp(m, hxe_hl7_field(m, i, 6), 1), unit, sizeof unit);
            if ((!lim->unit[0] || strcmp(lim->unit, unit) == 0) &&
                value_of(m, vt, cv_rep(m, hxe_hl7_field(m, i, 5), 1), &x, cmp)) {
                /* "<x" is below x: critical low when x <= low; ">x" alike */
                if (lim->has_low && (cmp[0] == '<' ? x <= lim->low : !cmp[0] && x < lim->low))
                    e.reason = HXE_CONV_CRIT_LIMIT_LOW;
                else if (lim->has_high &&
                         (cmp[0] == '>' ? x >= lim->high : !cmp[0] && x > lim->high))
                    e.reason = HXE_CONV_CRIT_LIMIT_HIGH;
            }
        }
        if (!e.reason)
            continue;
        snprintf(e.msg_id, sizeof e.msg_id, "%s", msg_id);
        e.seg_pos = (unsigned)(i + 1);
        e.obx_seq = obx;
        cv_cpy(m, hxe_hl7_field(m, i, 1), e.set_id, sizeof e.set_id);
        if (!ident_ref(m, pid, 3, "Patient", e.patient, sizeof e.patient) &&
            !ident_ref(m, pid, 2, "Patient", e.patient, sizeof e.patient))
            ident_ref(m, pid, 4, "Patient", e.patient, sizeof e.patient);
        ident_ref(m, pv1, 19, "Encounter", e.encounter, sizeof e.encounter);
        if (push(out, &e) != 0)
            return hxe_err_set(err, HXE_ENOMEM, "critical results: out of memory");
    }
    return 0;
}

static const char *reason_name(int r)
{
    return r == HXE_CONV_CRIT_FLAG         ? "flag"
           : r == HXE_CONV_CRIT_LIMIT_LOW  ? "limit-low"
           : r == HXE_CONV_CRIT_LIMIT_HIGH ? "limit-high"
                                           : "unknown";
}

int hxe_conv_critical_text(const hxe_conv_critical *e, hxe_buf *out)
{
    int rc = hxe_buf_printf(out, "critical result: message %s, OBX[%u] set %s, LOINC %s, ",
                            e->msg_id[0] ? e->msg_id : "-", e->obx_seq,
                            e->set_id[0] ? e->set_id : "-", e->loinc[0] ? e->loinc : "-");
    if (rc == 0 && e->reason == HXE_CONV_CRIT_FLAG)
        rc = hxe_buf_printf(out, "flag %s", e->flag);
    else if (rc == 0)
        rc = hxe_buf_printf(out, "%s limit passed",
                            e->reason == HXE_CONV_CRIT_LIMIT_LOW ? "low" : "high");
    if (rc == 0)
        rc = hxe_buf_printf(out, "; patient %s; encounter %s", e->patient[0] ? e->patient : "-",
                            e->encounter[0] ? e->encounter : "-");
    return rc;
}

json_t *hxe_conv_critical_json(const hxe_conv_critical *e)
{
    json_t *j = json_pack("{s:s,s:s,s:I,s:I}", "reason", reason_name(e->reason), "message",
                          e->msg_id, "segment", (json_int_t)e->seg_pos, "obx", (json_int_t)e->obx_seq);
    if (!j)
        return NULL;
    static const struct {
        const char *key;
        size_t off;
    } strs[] = {{"setId", offsetof(hxe_conv_critical, set_id)},
                {"loinc", offsetof(hxe_conv_critical, loinc)},
                {"flag", offsetof(hxe_conv_critical, flag)},
                {"patient", offsetof(hxe_conv_critical, patient)},
                {"encounter", offsetof(hxe_conv_critical, encounter)}};
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++) {
        const char *s = (const char *)e + strs[i].off;
        if (s[0])
            cv_set(j, strs[i].key, json_string(s));
    }
    return j;
}
