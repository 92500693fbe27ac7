/*
 * fhir_v2.c — FHIR R4 -> HL7 v2, the message layer: indexes the input (a
 * Bundle of any type, or one resource) so references resolve, chooses the
 * message type when the caller names none, writes MSH and EVN, and lays
 * the segments out in the order the 2.5.1 structures want (ORM_O01,
 * OML_O21, ORU_R01, ADT_A05 for A28/A31). Segments are built through the
 * hl7v2 module's edit API, which escapes every value it is given, so no
 * text from FHIR can break the message's structure.
 */
#include "convert/internal.h"
#include "fhir/fhir.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

static const struct {
    const char *type, *structure;
    int kind;
} types[] = {
    {"ORM^O01", "ORM_O01", FV_ORM}, {"OML^O21", "OML_O21", FV_OML}, {"ORU^R01", "ORU_R01", FV_ORU},
    {"ADT^A28", "ADT_A05", FV_ADT}, {"ADT^A31", "ADT_A05", FV_ADT},
};

const char *fv_str(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

const char *fv_safe(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64)
        return "?";
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '_' || ch == '-'))
            return "?";
    }
    return s;
}

/* ---- writing ---- */

int fv_seg(fv *c, const char *id)
{
    char t[8];
    hxe_err e = {0, ""};
    if (c->rc)
        return c->rc;
    if (c->m->nseg >= FV_MAXSEG) {
        c->rc = HXE_ETOOBIG;
        return c->rc;
    }
    int n = snprintf(t, sizeof t, "%.3s|", id);
    int rc = hxe_hl7_insert_segment(c->m, c->m->nseg, t, (size_t)n, &e);
    if (rc) {
        c->rc = rc;
        return rc;
    }
    snprintf(c->seg, sizeof c->seg, "%.3s", id);
    c->seq = 0;
    for (size_t i = 0; i < c->m->nseg; i++)
        if (strcmp(c->m->segs[i].id, c->seg) == 0)
            c->seq++;
    return 0;
}

void fv_set(fv *c, unsigned f, unsigned r, unsigned k, unsigned s, const char *text)
{
    if (!text || !*text || c->rc || !c->seg[0])
        return;
    hxe_hl7_path p;
    memset(&p, 0, sizeof p);
    memcpy(p.seg, c->seg, sizeof p.seg);
    p.seg_seq = c->seq;
    p.field = (uint16_t)f;
    p.rep = (uint16_t)(r ? r : 1);
    p.comp = (uint16_t)k;
    p.sub = (uint16_t)(k ? s : 0);
    /* FHIR strings may hold control characters v2 has no escape for
     * (a 0x0B or 0x1C would end an MLLP frame): they become spaces */
    size_t n = strlen(text);
    char small[256], *t = n < sizeof small ? small : hxe_malloc(n + 1);
    if (!t) {
        c->rc = HXE_ENOMEM;
        return;
    }
    int high = 0;
    for (size_t i = 0; i <= n; i++) {
        unsigned char ch = (unsigned char)text[i];
        t[i] = (ch && ch < 0x20 && ch != '\t' && ch != '\r' && ch != '\n') ? ' ' : (char)ch;
        high |= ch >= 0x80;
    }
    c->nonascii += (unsigned long)high;
    hxe_err e = {0, ""};
    int rc = hxe_hl7_set(c->m, &p, t, n, HXE_HL7_SET_TEXT, &e);
    if (t != small)
        hxe_free(t);
    if (rc)
        c->rc = rc;
}

void fv_part(fv *c, fv_at at, unsigned k, unsigned s, const char *text)
{
    if (at.c == 0)
        fv_set(c, at.f, at.r, k, s, text);
    else if (s <= 1)
        fv_set(c, at.f, at.r, at.c, k, text);
}

void fv_issue(fv *c, int sev, unsigned field, const char *fmt, ...)
{
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    if (!c->is)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hxe_loc l = hxe_loc_none();
    if (c->seg[0]) {
        memcpy(l.seg, c->seg, sizeof l.seg);
        l.seg_pos = (uint32_t)c->m->nseg;
        l.seg_seq = c->seq;
        l.field = (uint16_t)field;
    }
    hxe_issues_add(c->is, sev, sev >= HXE_SEV_WARNING ? 8 /* not-supported */ : 11, &l, "%s",
                   text);
}

void fv_used(fv *c, const json_t *res)
{
    char k[32];
    if (!res)
        return;
    snprintf(k, sizeof k, "%p", (const void *)res);
    json_object_set_new(c->used, k, json_true());
}

static int is_used(fv *c, const json_t *res)
{
    char k[32];
    snprintf(k, sizeof k, "%p", (const void *)res);
    return json_object_get(c->used, k) != NULL;
}

/* elements no resource carries anywhere, or that describe the resource
 * rather than the patient's data */
static const char *const always[] = {"resourceType", "id", "meta", "text", "implicitRules",
                                     "language", "contained", NULL};

static int listed(const char *const *l, const char *k)
{
    for (; l && *l; l++)
        if (strcmp(*l, k) == 0)
            return 1;
    return 0;
}

void fv_uncarried(fv *c, const json_t *res, const char *const *carried)
{
    const char *key;
    json_t *v;
    const char *t = fv_str(res, "resourceType");
    json_object_foreach((json_t *)res, key, v) {
        if (listed(always, key) || listed(carried, key))
            continue;
        fv_issue(c, HXE_SEV_INFO, 0, "%s.%s: not carried by hxe in v2", fv_safe(t), fv_safe(key));
    }
}

/* ---- the input and its references ---- */

static void index_add(fv *c, const char *key, const json_t *res)
{
    if (key && *key && !json_object_get(c->index, key))
        json_object_set(c->index, key, (json_t *)res);
}

static void index_res(fv *c, const char *full, const json_t *res)
{
    char k[300];
    const char *t = fv_str(res, "resourceType"), *id = fv_str(res, "id");
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(res, "contained"), i, x) {
        snprintf(k, sizeof k, "%p", (const void *)x);
        json_object_set(c->containers, k, (json_t *)res);
    }
    index_add(c, full, res);
    if (t && id) {
        snprintf(k, sizeof k, "%s/%s", t, id);
        index_add(c, k, res);
    }
}

static const json_t *contained(const json_t *container, const char *id)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(container, "contained"), i, x) {
        const char *xid = fv_str(x, "id");
        if (xid && strcmp(xid, id) == 0)
            return x;
    }
    return NULL;
}

const json_t *fv_resolve(fv *c, const json_t *from, const json_t *ref)
{
    const char *r = fv_str(ref, "reference");
    if (!r || !*r)
        return NULL;
    if (r[0] == '#') {
        /* from's own contained, else (from is contained) its container's:
         * contained resources point at each other and at "#", the container */
        char k[32];
        const json_t *x = r[1] ? contained(from, r + 1) : NULL;
        if (x)
            return x;
        snprintf(k, sizeof k, "%p", (const void *)from);
        const json_t *box = json_object_get(c->containers, k);
        if (!box)
            return NULL;
        return r[1] ? contained(box, r + 1) : box;
    }
    const json_t *x = json_object_get(c->index, r);
    if (x)
        return x;
    /* an absolute URL or a versioned reference: its Type/id */
    char buf[300];
    snprintf(buf, sizeof buf, "%s", r);
    char *h = strstr(buf, "/_history/");
    if (h)
        *h = 0;
    char *last = strrchr(buf, '/');
    if (!last || last == buf)
        return NULL;
    *last = 0;
    char *type = strrchr(buf, '/');
    type = type ? type + 1 : buf;
    /* buf now reads ".../Type\0id": put the slash back after Type */
    *last = '/';
    return json_object_get(c->index, type);
}

/* the top-level resources: the Bundle's entries, or the resource itself */
static json_t *top_level(fv *c, const json_t *in)
{
    json_t *list = json_array();
    if (strcmp(fv_str(in, "resourceType"), "Bundle") == 0) {
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(in, "entry"), i, e) {
            json_t *r = json_object_get(e, "resource");
            if (!json_is_object(r) || !fv_str(r, "resourceType"))
                continue;
            index_res(c, fv_str(e, "fullUrl"), r);
            json_array_append(list, r);
        }
    } else {
        index_res(c, NULL, in);
        json_array_append(list, (json_t *)in);
    }
    return list;
}

static json_t *of_type(json_t *list, const char *type)
{
    json_t *out = json_array(), *r;
    size_t i;
    json_array_foreach(list, i, r) if (strcmp(fv_str(r, "resourceType"), type) == 0)
        json_array_append(out, r);
    return out;
}

/* 1 when a DiagnosticReport of drs is based on sr */
static int report_based_on(fv *c, json_t *drs, const json_t *sr)
{
    size_t i, k;
    json_t *dr, *ref;
    json_array_foreach(drs, i, dr) json_array_foreach(json_object_get(dr, "basedOn"), k, ref) if (
        fv_resolve(c, dr, ref) == sr) return 1;
    return 0;
}

/* the Patient of the message: the one subject all main resources share */
static int find_patient(fv *c, json_t *mains, json_t *pats, const json_t **subject_ref,
                        hxe_err *err)
{
    size_t i;
    json_t *r;
    const char *first_ref = NULL;
    *subject_ref = NULL;
    c->patient = NULL;
    json_array_foreach(mains, i, r) {
        const char *t = fv_str(r, "resourceType");
        if (strcmp(t, "Patient") == 0) {
            if (c->patient && c->patient != r)
                return hxe_err_set(err, HXE_EINVAL,
                                   "the input holds several Patients: one message holds one");
            c->patient = r;
            continue;
        }
        const json_t *ref = json_object_get(r, "subject");
        const json_t *p = fv_resolve(c, r, ref);
        const char *rs = fv_str(ref, "reference");
        if (p && strcmp(fv_str(p, "resourceType"), "Patient") != 0)
            return hxe_err_set(err, HXE_EINVAL, "%s[%zu].subject: not a Patient", t, i + 1);
        if ((p && c->patient && p != c->patient) ||
            (!p && rs && first_ref && strcmp(rs, first_ref) != 0))
            return hxe_err_set(err, HXE_EINVAL,
                               "%s[%zu].subject: another patient; one message holds one patient",
                               t, i + 1);
        if (p)
            c->patient = p;
        if (!*subject_ref && ref)
            *subject_ref = ref;
        if (rs && !first_ref)
            first_ref = rs;
    }
    if (!c->patient && !*subject_ref) {
        if (json_array_size(pats) == 1)
            c->patient = json_array_get(pats, 0);
        else if (json_array_size(pats) > 1)
            return hxe_err_set(err, HXE_EINVAL,
                               "the input holds several Patients: one message holds one");
        else
            return hxe_err_set(err, HXE_EINVAL, "no Patient and no subject: PID cannot be written");
    }
    return 0;
}

/* ---- MSH, EVN ---- */

static void hd_opt(fv *c, unsigned f, const char *v)
{
    char part[256];
    unsigned k = 1;
    if (!v)
        return;
    while (*v && k <= 3) {
        size_t n = strcspn(v, "^");
        snprintf(part, sizeof part, "%.*s", (int)n, v);
        fv_set(c, f, 1, k++, 0, part);
        v += n;
        if (*v == '^')
            v++;
    }
}

/* a time option: a v2 DTM as is (when it is one), or a FHIR date/time */
static int dtm_opt(const char *v, char *out, size_t size)
{
    char fhir[48];
    size_t n = strlen(v);
    if (n >= 4 && n < 25 && strspn(v, "0123456789.+-") == n && (n < 5 || v[4] != '-')) {
        if (hxe_conv_datetime(v, n, "+00:00", fhir, sizeof fhir) < 0)
            return HXE_EPARSE;
        snprintf(out, size, "%s", v);
        return 0;
    }
    return hxe_conv_v2_datetime(v, out, size);
}

static void sha_id(const json_t *in, char *out, size_t size)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hn = 0;
    hxe_buf b = HXE_BUF_INIT;
    memset(h, 0, sizeof h);
    if (hxe_fhir_write(in, 0, &b) == 0) {
        EVP_MD_CTX *x = EVP_MD_CTX_new();
        if (x && EVP_DigestInit_ex(x, EVP_sha1(), NULL) == 1) {
            EVP_DigestUpdate(x, b.p ? b.p : "", b.len);
            EVP_DigestFinal_ex(x, h, &hn);
        }
        EVP_MD_CTX_free(x);
    }
    hxe_buf_free(&b);
    size_t o = 0;
    for (unsigned i = 0; i < 10 && o + 3 <= size; i++)
        o += (size_t)snprintf(out + o, size - o, "%02x", h[i]);
}

static void write_msh(fv *c, const char *type, const char *structure, const json_t *main_res,
                      char *when, size_t wsize)
{
    const hxe_conv_v2_opts *o = c->o;
    const json_t *in = c->in;
    int bundle = strcmp(fv_str(in, "resourceType"), "Bundle") == 0;
    c->seg[0] = 0;
    memcpy(c->seg, "MSH", 4);
    c->seq = 1;
    hd_opt(c, 3, o->sending_app);
    hd_opt(c, 4, o->sending_facility);
    hd_opt(c, 5, o->receiving_app);
    hd_opt(c, 6, o->receiving_facility);
    /* MSH-7 */
    const char *t = o->time, *src = "the time option";
    if (!t && bundle && (t = fv_str(in, "timestamp")) != NULL)
        src = "Bundle.timestamp";
    if (!t && (t = fv_str(json_object_get(main_res, "meta"), "lastUpdated")) != NULL)
        src = "meta.lastUpdated";
    if (!t && (t = o->time_default) != NULL)
        src = "the default time";
    when[0] = 0;
    if (t && dtm_opt(t, when, wsize) != 0) {
        /* the options were checked: this came from the input */
        fv_issue(c, HXE_SEV_WARNING, 7, "MSH-7: %s is not a FHIR instant; MSH-7 (required) empty",
                 src);
        when[0] = 0;
    } else if (!t) {
        fv_issue(c, HXE_SEV_WARNING, 7,
                 "MSH-7: no time (option, Bundle.timestamp or meta.lastUpdated); MSH-7 is required");
    }
    fv_set(c, 7, 1, 0, 0, when);
    char t1[4], t2[4];
    snprintf(t1, sizeof t1, "%.3s", type);
    snprintf(t2, sizeof t2, "%.3s", type + 4);
    snprintf(c->event, sizeof c->event, "%s", t2);
    fv_set(c, 9, 1, 1, 0, t1);
    fv_set(c, 9, 1, 2, 0, t2);
    fv_set(c, 9, 1, 3, 0, structure);
    /* MSH-10 */
    char ctl[48];
    const char *id = o->control_id;
    if (!id && bundle)
        id = fv_str(json_object_get(in, "identifier"), "value");
    if (!id)
        id = fv_str(in, "id");
    if (!id)
        id = fv_str(main_res, "id");
    if (!id) {
        sha_id(in, ctl, sizeof ctl);
        id = ctl;
    }
    fv_set(c, 10, 1, 0, 0, id);
    fv_set(c, 11, 1, 1, 0, o->processing_id ? o->processing_id : "P");
    fv_set(c, 12, 1, 1, 0, o->version ? o->version : "2.5.1");
}

/* ---- the message types ---- */

/* Specimens of a ServiceRequest: its specimen references, and Specimens
 * of the input whose request names it */
static json_t *specimens_of_sr(fv *c, json_t *list, const json_t *sr)
{
    json_t *out = json_array(), *x;
    size_t i, k;
    json_array_foreach(json_object_get(sr, "specimen"), i, x) {
        const json_t *s = fv_resolve(c, sr, x);
        if (s && strcmp(fv_str(s, "resourceType"), "Specimen") == 0)
            json_array_append(out, (json_t *)s);
    }
    json_array_foreach(list, i, x) {
        if (strcmp(fv_str(x, "resourceType"), "Specimen") != 0)
            continue;
        json_t *ref, *y;
        int dup = 0;
        size_t j;
        json_array_foreach(out, j, y) dup |= y == x;
        json_array_foreach(json_object_get(x, "request"), k, ref) if (!dup &&
                                                                      fv_resolve(c, x, ref) == sr) {
            json_array_append(out, x);
            dup = 1;
        }
    }
    return out;
}

static void push_unique(json_t *a, const json_t *x)
{
    size_t i;
    json_t *y;
    if (!x)
        return;
    json_array_foreach(a, i, y) if (y == x) return;
    json_array_append(a, (json_t *)x);
}

/* Coverages: the ServiceRequests' insurance, else the patient's */
static json_t *coverages(fv *c, json_t *list, json_t *srs)
{
    json_t *out = json_array(), *sr, *ref, *x;
    size_t i, k;
    json_array_foreach(srs, i, sr) json_array_foreach(json_object_get(sr, "insurance"), k, ref) {
        const json_t *cov = fv_resolve(c, sr, ref);
        if (cov && strcmp(fv_str(cov, "resourceType"), "Coverage") == 0)
            push_unique(out, cov);
    }
    if (json_array_size(out) == 0 && c->patient)
        json_array_foreach(list, i, x) if (strcmp(fv_str(x, "resourceType"), "Coverage") == 0 &&
                                           fv_resolve(c, x, json_object_get(x, "beneficiary")) ==
                                               c->patient) push_unique(out, x);
    return out;
}

/* the Observations a DiagnosticReport's results stand for: a panel
 * without a value of its own gives its members (depth bounded) */
static void results_of(fv *c, const json_t *from, const json_t *refs, json_t *out, int depth)
{
    size_t i;
    json_t *ref;
    json_array_foreach(refs, i, ref) {
        const json_t *o = fv_resolve(c, from, ref);
        if (!o || strcmp(fv_str(o, "resourceType"), "Observation") != 0) {
            fv_issue(c, HXE_SEV_WARNING, 0,
                     "%s.%s[%zu]: not an Observation in the input; not carried",
                     fv_safe(fv_str(from, "resourceType")), depth ? "hasMember" : "result", i);
            continue;
        }
        int has_value = 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)o, k, v) has_value |= strncmp(k, "value", 5) == 0 ||
                                                            strcmp(k, "dataAbsentReason") == 0;
        if (!has_value && json_object_get(o, "hasMember") && depth < 4) {
            fv_used(c, o);
            results_of(c, o, json_object_get(o, "hasMember"), out, depth + 1);
        } else {
            push_unique(out, o);
        }
    }
}

static void notes_and_used(fv *c, const json_t *res)
{
    fv_nte(c, res);
    fv_used(c, res);
}

static int write_orders(fv *c, int kind, json_t *list, json_t *srs)
{
    size_t i, k;
    json_t *sr, *s;
    unsigned obr = 0;
    json_array_foreach(srs, i, sr) {
        fv_orc(c, sr, NULL, kind);
        fv_obr(c, sr, NULL, ++obr, kind);
        notes_and_used(c, sr);
        unsigned dg1 = 0;
        fv_dg1(c, sr, &dg1);
        json_t *specs = specimens_of_sr(c, list, sr);
        if (kind == FV_OML) {
            unsigned spm = 0;
            json_array_foreach(specs, k, s) {
                fv_spm(c, s, ++spm);
                fv_used(c, s);
            }
        } else if (json_array_size(specs) > 0) {
            /* ORM has no SPM: OBR-15 took the first one's type */
            json_array_foreach(specs, k, s) fv_used(c, s);
        }
        json_decref(specs);
    }
    return c->rc;
}

static int write_results(fv *c, json_t *drs)
{
    size_t i, k;
    json_t *dr, *ref, *o;
    unsigned obr = 0;
    json_array_foreach(drs, i, dr) {
        const json_t *sr = NULL;
        json_array_foreach(json_object_get(dr, "basedOn"), k, ref) {
            const json_t *x = fv_resolve(c, dr, ref);
            if (!sr && x && strcmp(fv_str(x, "resourceType"), "ServiceRequest") == 0)
                sr = x;
        }
        fv_orc(c, sr, dr, FV_ORU);
        fv_obr(c, sr, dr, ++obr, FV_ORU);
        if (sr)
            notes_and_used(c, sr);
        fv_used(c, dr);
        json_t *obs = json_array(), *specs = json_array();
        results_of(c, dr, json_object_get(dr, "result"), obs, 0);
        unsigned n = 0;
        json_array_foreach(obs, k, o) {
            fv_obx(c, o, ++n);
            notes_and_used(c, o);
            push_unique(specs, fv_resolve(c, o, json_object_get(o, "specimen")));
        }
        json_array_foreach(json_object_get(dr, "specimen"), k, ref)
            push_unique(specs, fv_resolve(c, dr, ref));
        unsigned spm = 0;
        json_array_foreach(specs, k, o) {
            if (strcmp(fv_str(o, "resourceType"), "Specimen") != 0)
                continue;
            fv_spm(c, o, ++spm);
            fv_used(c, o);
        }
        json_decref(obs);
        json_decref(specs);
    }
    return c->rc;
}

/* informational notes for top-level resources no segment used (actors,
 * which segments reach through references, are not listed) */
static void report_unused(fv *c, json_t *list)
{
    static const char *const actors[] = {"Practitioner", "PractitionerRole", "Organization",
                                         "Location", "Patient", "Encounter", NULL};
    size_t i;
    json_t *r;
    c->seg[0] = 0;
    json_array_foreach(list, i, r) {
        const char *t = fv_str(r, "resourceType");
        if (!is_used(c, r) && !listed(actors, t))
            fv_issue(c, HXE_SEV_INFO, 0, "Bundle.entry[%zu] (%s): not carried in this message", i,
                     fv_safe(t));
    }
}

static int type_index(const char *type)
{
    for (size_t i = 0; type && i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].type, type) == 0)
            return (int)i;
    return -1;
}

int hxe_conv_v2_check(const char *type, const hxe_conv_v2_opts *o, hxe_err *err)
{
    char t[40];
    if (type && type_index(type) < 0)
        return hxe_err_set(err, HXE_ENOTFOUND,
                           "message type not written by hxe (ORM^O01, OML^O21, ORU^R01, "
                           "ADT^A28, ADT^A31)");
    if (!o)
        return 0;
    const char *p = o->processing_id, *v = o->version;
    if (p && (strlen(p) != 1 || !strchr("DNPTV", p[0])))
        return hxe_err_set(err, HXE_EINVAL, "MSH-11: processing id must be D, N, P, T or V");
    if (v && (strlen(v) < 3 || strlen(v) > 8 || strspn(v, "0123456789.") != strlen(v) ||
              v[0] != '2' || v[1] != '.'))
        return hxe_err_set(err, HXE_EINVAL, "MSH-12: version must read like 2.5.1");
    if ((o->time && dtm_opt(o->time, t, sizeof t) != 0) ||
        (o->time_default && dtm_opt(o->time_default, t, sizeof t) != 0))
        return hxe_err_set(err, HXE_EINVAL, "MSH-7: the time given is not a date/time");
    const char *ids[] = {o->sending_app, o->sending_facility, o->receiving_app,
                         o->receiving_facility, o->control_id};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++)
        if (ids[i] && strlen(ids[i]) > 200)
            return hxe_err_set(err, HXE_EINVAL, "MSH: an option is longer than 200 characters");
    return 0;
}

/* the message type: the caller's, or what the input holds */
static int choose(fv *c, const char *type, json_t *drs, json_t *srs, json_t *pats, size_t *ti,
                  hxe_err *err)
{
    if (type) {
        int i = type_index(type);
        if (i < 0)
            return hxe_conv_v2_check(type, NULL, err);
        *ti = (size_t)i;
        return 0;
    }
    const char *want = NULL;
    if (json_array_size(drs)) {
        size_t i;
        json_t *sr;
        json_array_foreach(srs, i, sr) if (!report_based_on(c, drs, sr)) return hxe_err_set(
            err, HXE_EINVAL,
            "the input holds DiagnosticReports and ServiceRequests no report is based on: "
            "give the message type (ORU^R01 or ORM^O01)");
        want = "ORU^R01";
    } else if (json_array_size(srs)) {
        want = "ORM^O01";
    } else if (json_array_size(pats)) {
        want = "ADT^A31";
    } else {
        return hxe_err_set(err, HXE_EINVAL,
                           "no DiagnosticReport, ServiceRequest or Patient to write a message from");
    }
    return choose(c, want, NULL, NULL, NULL, ti, err);
}

int hxe_conv_fhir_to_v2(const json_t *in, const char *type, const hxe_conv_v2_opts *opts,
                        hxe_buf *out, hxe_issues *issues, hxe_err *err)
{
    static const hxe_conv_v2_opts none;
    static const char skeleton[] = "MSH|^~\\&|";
    fv c;
    int rc, kind = 0;
    size_t ti = 0, i;
    const json_t *subject = NULL;
    json_t *list, *drs, *srs, *pats, *covs = NULL, *mains, *r;
    hxe_issues scratch = HXE_ISSUES_INIT;
    char when[40];
    if (!json_is_object(in) || !fv_str(in, "resourceType") || !out)
        return hxe_err_set(err, HXE_EINVAL, "not a FHIR resource");
    if (!opts)
        opts = &none;
    if ((rc = hxe_conv_v2_check(type, opts, err)) != 0)
        return rc;
    memset(&c, 0, sizeof c);
    c.o = opts;
    c.is = issues;
    c.in = in;
    c.index = json_object();
    c.used = json_object();
    c.containers = json_object();
    c.v26 = strcmp(opts->version ? opts->version : "2.5.1", "2.6") >= 0;
    hxe_arena_init(&c.arena, 16 * 1024, 0);
    list = top_level(&c, in);
    drs = of_type(list, "DiagnosticReport");
    srs = of_type(list, "ServiceRequest");
    pats = of_type(list, "Patient");
    if ((rc = choose(&c, type, drs, srs, pats, &ti, err)) != 0)
        goto done;
    kind = types[ti].kind;
    mains = kind == FV_ORU ? drs : kind == FV_ADT ? pats : srs;
    if (kind == FV_ADT && json_array_size(pats) == 0)
        mains = json_array_size(drs) ? drs : srs;
    if (json_array_size(mains) == 0) {
        rc = hxe_err_set(err, HXE_EINVAL, "%s needs a %s in the input", types[ti].type,
                         kind == FV_ORU   ? "DiagnosticReport"
                         : kind == FV_ADT ? "Patient"
                                          : "ServiceRequest");
        goto done;
    }
    if ((rc = find_patient(&c, mains, pats, &subject, err)) != 0)
        goto done;
    rc = hxe_hl7_parse(&c.m, &c.arena, skeleton, sizeof skeleton - 1, NULL, &scratch, err);
    hxe_issues_free(&scratch);
    if (rc)
        goto done;
    write_msh(&c, types[ti].type, types[ti].structure, json_array_get(mains, 0), when, sizeof when);
    if (kind == FV_ADT) {
        fv_seg(&c, "EVN");
        fv_set(&c, 1, 1, 0, 0, c.event);
        if (!when[0])
            fv_issue(&c, HXE_SEV_WARNING, 2, "EVN-2: no time for it (see MSH-7); EVN-2 is required");
        fv_set(&c, 2, 1, 0, 0, when);
    }
    /* the visit: the first Encounter a main resource names */
    json_array_foreach(mains, i, r) {
        const json_t *e = fv_resolve(&c, r, json_object_get(r, "encounter"));
        if (!c.encounter && e && strcmp(fv_str(e, "resourceType"), "Encounter") == 0)
            c.encounter = e;
    }
    fv_pid(&c, subject);
    fv_pd1(&c);
    if (kind == FV_ADT || c.encounter)
        fv_pv1(&c, kind == FV_ADT);
    if (kind == FV_ORM || kind == FV_OML) {
        covs = coverages(&c, list, srs);
        json_array_foreach(covs, i, r) {
            fv_in1(&c, r, (unsigned)i + 1);
            fv_used(&c, r);
        }
        write_orders(&c, kind, list, srs);
    } else if (kind == FV_ORU) {
        write_results(&c, drs);
    }
    if (!c.rc)
        report_unused(&c, list);
    if (!c.rc && c.nonascii) {
        memcpy(c.seg, "MSH", 4);
        c.seq = 1;
        fv_set(&c, 18, 1, 0, 0, "UNICODE UTF-8");
    }
    rc = c.rc ? c.rc : hxe_hl7_write(c.m, out);
    if (rc)
        hxe_err_set(err, rc, "the message cannot be written (%s)", hxe_strerror(rc));
done:
    json_decref(covs);
    json_decref(drs);
    json_decref(srs);
    json_decref(pats);
    json_decref(list);
    json_decref(c.index);
    json_decref(c.used);
    json_decref(c.containers);
    hxe_arena_free(&c.arena);
    return rc;
}
