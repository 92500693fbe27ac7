/*
 * bundle.c — one v2 message -> one FHIR transaction Bundle: recognises
 * the message type, walks the segments in order handing each to its
 * segment map, reports what no map read (unmapped fields, Z-segments and
 * other segments hxe does not map), and gives every entry a deterministic
 * fullUrl (urn:uuid of a UUID v5 of the message key and the segment
 * position) and a conditional request on its business identifier.
 */
#include "convert/internal.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <string.h>

/* hxe's UUID v5 namespace for v2 -> FHIR (a fixed random v4 UUID) */
static const unsigned char ns_v2fhir[16] = {0x6c, 0x1e, 0x4b, 0x8a, 0x2f, 0x53, 0x4d, 0x0e,
                                            0x9a, 0x71, 0x3c, 0x52, 0xe8, 0x0b, 0x94, 0x2d};

static void uuid5(const char *name, char *out)
{
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned hn = 0;
    EVP_MD_CTX *x = EVP_MD_CTX_new();
    memset(h, 0, sizeof h);
    if (x && EVP_DigestInit_ex(x, EVP_sha1(), NULL) == 1) {
        EVP_DigestUpdate(x, ns_v2fhir, sizeof ns_v2fhir);
        EVP_DigestUpdate(x, name, strlen(name));
        EVP_DigestFinal_ex(x, h, &hn);
    }
    EVP_MD_CTX_free(x);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    snprintf(out, CV_URL,
             "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12],
             h[13], h[14], h[15]);
}

hxe_slice cv_f(cv *c, unsigned f)
{
    cv_mark(c, f);
    return hxe_hl7_field(c->m, c->seg, f);
}

void cv_mark(cv *c, unsigned f)
{
    if (f < CV_MAXF)
        c->used[f] = 1;
}

static hxe_loc loc_of(cv *c, unsigned field)
{
    hxe_loc l = hxe_loc_none();
    const hxe_hl7_seg *s = &c->m->segs[c->seg];
    memcpy(l.seg, s->id, sizeof l.seg);
    l.seg_pos = (uint32_t)(c->seg + 1);
    l.seg_seq = c->seq;
    l.field = (uint16_t)field;
    l.offset = s->offset;
    return l;
}

void cv_issue(cv *c, int sev, unsigned field, const char *fmt, ...)
{
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    if (!c->is)
        return;
    hxe_loc l = loc_of(c, field);
    hxe_issues_add(c->is, sev, sev >= HXE_SEV_WARNING ? 8 /* not-supported */ : 11, &l, "%s",
                   text);
}

json_t *cv_when(cv *c, unsigned f, int kind)
{
    char in[64], out[48];
    const hxe_hl7_msg *m = c->m;
    const char *id = m->segs[c->seg].id;
    size_t n = cv_cpy(m, cv_comp(m, cv_rep(m, cv_f(c, f), 1), 1), in, sizeof in);
    if (n == 0)
        return NULL;
    if (kind == 1 && n > 8)
        n = 8;
    int rc = hxe_conv_datetime(in, n, c->tz, out, sizeof out);
    if (rc < 0) {
        cv_issue(c, HXE_SEV_WARNING, f, "%s[%u]-%u: not a valid date/time, not mapped", id, c->seq, f);
        return NULL;
    }
    if (rc == 1 && kind == 2) {
        cv_issue(c, HXE_SEV_INFO, f,
                 "%s[%u]-%u: time without offset cannot be an instant, not mapped (set a default offset)",
                 id, c->seq, f);
        return NULL;
    }
    if (rc == 1)
        cv_issue(c, HXE_SEV_INFO, f,
                 "%s[%u]-%u: time without offset kept as its date (set a default offset)", id, c->seq, f);
    if (kind == 2 && strlen(out) < 20) {
        cv_issue(c, HXE_SEV_INFO, f, "%s[%u]-%u: not a full time, cannot be an instant", id, c->seq, f);
        return NULL;
    }
    return json_string(out);
}

void cv_unmapped(cv *c, const char *segmap)
{
    size_t nf = hxe_hl7_field_count(c->m, c->seg);
    const char *id = c->m->segs[c->seg].id;
    for (unsigned f = 1; f <= nf && f < CV_MAXF; f++) {
        if (c->used[f] || (strcmp(id, "MSH") == 0 && f <= 2))
            continue;
        if (cv_empty(hxe_hl7_field(c->m, c->seg, f)))
            continue;
        char fid[16];
        snprintf(fid, sizeof fid, "%s-%u", id, f);
        int ig = segmap ? hxe_conv_ig_maps(segmap, fid) : -1;
        cv_issue(c, HXE_SEV_INFO, f, "%s[%u]-%u: valued, not mapped by hxe%s", id, c->seq, f,
                 ig == 1 ? " (the IG maps it)" : " (the IG does not map it either)");
    }
}

json_t *cv_add(cv *c, json_t *res, const char *salt, const char *query, int put, char *url)
{
    char name[320], full[CV_URL];
    snprintf(name, sizeof name, "%s|%zu|%s|%s", c->key, c->seg + 1,
             json_string_value(json_object_get(res, "resourceType")), salt ? salt : "");
    uuid5(name, full);
    const char *type = json_string_value(json_object_get(res, "resourceType"));
    json_t *req = json_object();
    char u[600];
    /* One conditional entry per business identifier in a transaction: a
     * second would make the server fail the whole Bundle. A repeated actor
     * (Practitioner, Organization) is the same one: the first entry is
     * reused. Any other resource repeating an earlier one's identifier
     * (several OBRs sharing an order number) is kept, created
     * unconditionally, and reported. */
    int actor = strcmp(type, "Practitioner") == 0 || strcmp(type, "Organization") == 0;
    if (actor) {
        /* the same actor written twice without an identifier: one entry */
        size_t i;
        json_t *e;
        json_array_foreach(c->entries, i, e) if (json_equal(json_object_get(e, "resource"), res)) {
            json_decref(req);
            json_decref(res);
            if (url)
                snprintf(url, CV_URL, "%s", json_string_value(json_object_get(e, "fullUrl")));
            return json_object_get(e, "resource");
        }
    }
    if (query) {
        size_t i;
        json_t *e;
        snprintf(u, sizeof u, "%s?%s", type, query);
        json_array_foreach(c->entries, i, e) {
            json_t *r = json_object_get(e, "request");
            const char *eu = json_string_value(json_object_get(r, "url"));
            const char *en = json_string_value(json_object_get(r, "ifNoneExist"));
            const char *et = json_string_value(
                json_object_get(json_object_get(e, "resource"), "resourceType"));
            if (!((eu && strcmp(eu, u) == 0) ||
                  (en && strcmp(et, type) == 0 && strcmp(en, query) == 0)))
                continue;
            if (!actor) {
                cv_issue(c, HXE_SEV_WARNING, 0,
                         "%s[%u]: %s identifier repeats an earlier one's; created unconditionally",
                         c->m->segs[c->seg].id, c->seq, type);
                query = NULL;
                break;
            }
            json_decref(req);
            json_decref(res);
            if (url)
                snprintf(url, CV_URL, "%s", json_string_value(json_object_get(e, "fullUrl")));
            return json_object_get(e, "resource");
        }
    }
    if (query && put) {
        snprintf(u, sizeof u, "%s?%s", type, query);
        json_object_set_new(req, "method", json_string("PUT"));
        json_object_set_new(req, "url", json_string(u));
    } else {
        json_object_set_new(req, "method", json_string("POST"));
        json_object_set_new(req, "url", json_string(type));
        if (query)
            json_object_set_new(req, "ifNoneExist", json_string(query));
    }
    json_t *e = json_object();
    json_object_set_new(e, "fullUrl", json_string(full));
    json_object_set_new(e, "resource", res);
    json_object_set_new(e, "request", req);
    json_array_append_new(c->entries, e);
    c->nent++;
    if (url)
        memcpy(url, full, CV_URL);
    return res;
}

/* an entry for a resource with identifiers: conditional on the first one
 * that has a system and a value */
static void add_ident(cv *c, json_t *res, const char *salt, int put, char *url)
{
    char q[512];
    json_t *ids = json_object_get(res, "identifier"), *id;
    size_t i;
    json_array_foreach(ids, i, id) {
        if (cv_ident_query(id, q, sizeof q) == 0) {
            cv_add(c, res, salt, q, put, url);
            return;
        }
    }
    cv_add(c, res, salt, NULL, 0, url);
}

json_t *cv_practitioner_ref(cv *c, hxe_slice xcn, const char *salt)
{
    json_t *p = hxe_conv_practitioner(c->m, xcn);
    char url[CV_URL];
    if (!p)
        return NULL;
    json_t *disp = NULL;
    json_t *n = json_array_get(json_object_get(p, "name"), 0);
    if (json_object_get(n, "family"))
        disp = json_copy(json_object_get(n, "family"));
    json_object_set_new(p, "meta", json_pack("{s:[s]}", "profile", US_CORE "us-core-practitioner"));
    /* US Core: a name and a system-qualified identifier */
    json_t *ids = json_object_get(p, "identifier");
    int ok = json_object_get(p, "name") && json_array_size(ids) > 0;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) if (!json_object_get(id, "system")) ok = 0;
    if (!ok)
        json_object_del(p, "meta");
    add_ident(c, p, salt, 1, url);
    json_t *r = cv_ref(url);
    cv_set(r, "display", disp);
    return r;
}

json_t *cv_org_ref(cv *c, hxe_slice v, int is_hd, const char *salt)
{
    json_t *o = hxe_conv_organization(c->m, v, is_hd);
    char url[CV_URL];
    if (!o)
        return NULL;
    if (json_object_get(o, "name"))
        json_object_set_new(o, "active", json_true());
    add_ident(c, o, salt, 1, url);
    return cv_ref(url);
}

/* ---- the message ---- */
typedef int (*segmap_fn)(cv *c);
static const struct {
    const char *id;
    segmap_fn fn;
    const char *igmap;   /* the IG segment map its unmapped fields are checked in */
} segmaps[] = {
    {"MSH", cv_msh, "MSH[MessageHeader]"}, {"PID", cv_pid, "PID[Patient]"},
    {"PD1", cv_pd1, "PD1[Patient]"},       {"NK1", cv_nk1, "NK1[RelatedPerson]"},
    {"PV1", cv_pv1, "PV1[Encounter]"},     {"PV2", cv_pv2, "PV2[Encounter]"},
    {"AL1", cv_al1, "AL1[AllergyIntolerance]"}, {"DG1", cv_dg1, "DG1[Condition]"},
    {"IN1", cv_in1, "IN1[Coverage]"},      {"ORC", cv_orc, "ORC[ServiceRequest]"},
    {"OBR", cv_obr, "OBR[ServiceRequest]"}, {"OBX", cv_obx, "OBX[Observation]"},
    {"NTE", cv_nte, NULL},                 {"MRG", cv_mrg, NULL},                 {"SPM", cv_spm, "SPM[Specimen]"},
    {"RXA", cv_rxa, "RXA[Immunization]"},  {"RXR", cv_rxr, "RXR[Immunization]"},
};

/* message types hxe converts: MSH-9.1 ^ MSH-9.2, and the IG message map
 * whose segment list applies */
static const struct {
    const char *type, *ig;
} types[] = {
    {"ADT^A01", "ADT_A01"}, {"ADT^A04", "ADT_A01"}, {"ADT^A08", "ADT_A01"},
    {"ADT^A13", "ADT_A01"}, {"ADT^A02", "ADT_A02"}, {"ADT^A03", "ADT_A01"},
    {"ADT^A11", "ADT_A09"}, {"ADT^A28", "ADT_A05"}, {"ADT^A31", "ADT_A05"},
    {"ADT^A05", "ADT_A05"}, {"ADT^A40", "ADT_A39"}, {"ORU^R01", "ORU_R01"}, {"ORM^O01", "ORM_O01"},
    {"OML^O21", "OML_O21"}, {"VXU^V04", "VXU_V04"},
};

static const char *ig_message(const hxe_hl7_msg *m)
{
    hxe_slice t1 = HXE_SLICE_EMPTY, t2 = HXE_SLICE_EMPTY;
    char t[16];
    hxe_hl7_get_str(m, "MSH-9.1", &t1);
    hxe_hl7_get_str(m, "MSH-9.2", &t2);
    if (t1.n != 3 || t2.n != 3)
        return NULL;
    snprintf(t, sizeof t, "%.3s^%.3s", t1.p, t2.p);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].type, t) == 0)
            return types[i].ig;
    return NULL;
}

int hxe_conv_v2_supported(const hxe_hl7_msg *m)
{
    return m && m->nseg > 0 && ig_message(m) != NULL;
}

/* 1 when the IG's message map lists a segment map for seg in this message */
static int ig_lists(const char *igmsg, const char *seg)
{
    for (size_t i = 0; i < hxe_conv_msgseg_count; i++)
        if (strcmp(hxe_conv_msgseg_rows[i].msg, igmsg) == 0 &&
            strcmp(hxe_conv_msgseg_rows[i].seg, seg) == 0 && hxe_conv_msgseg_rows[i].segmap[0])
            return 1;
    return 0;
}

int hxe_conv_v2_to_fhir(const hxe_hl7_msg *m, const hxe_conv_opts *opts, json_t **out,
                        hxe_issues *issues, hxe_err *err)
{
    cv c;
    *out = NULL;
    if (!m || m->nseg == 0)
        return hxe_err_set(err, HXE_EINVAL, "no message");
    const char *igmsg = ig_message(m);
    if (!igmsg)
        return hxe_err_set(err, HXE_ENOTFOUND, "MSH-9: message type not converted to FHIR");
    if (hxe_hl7_find(m, "PID", 1) < 0)
        return hxe_err_set(err, HXE_EINVAL, "PID: missing, a Patient is needed");
    memset(&c, 0, sizeof c);
    c.m = m;
    c.tz = opts ? opts->tz : NULL;
    c.is = issues;
    snprintf(c.msgtype, sizeof c.msgtype, "%s", igmsg);
    /* the key: sending application, facility and control id; the whole
     * message's hash stands in for a missing control id */
    char app[64], fac[64], ctl[64];
    hxe_slice s = HXE_SLICE_EMPTY;
    hxe_hl7_get_str(m, "MSH-3", &s);
    cv_cpy(m, s, app, sizeof app);
    hxe_hl7_get_str(m, "MSH-4", &s);
    cv_cpy(m, s, fac, sizeof fac);
    hxe_hl7_get_str(m, "MSH-10", &s);
    if (!cv_cpy(m, s, ctl, sizeof ctl)) {
        char u[CV_URL], *tmp = hxe_strndup(m->raw, m->raw_len);
        if (!tmp)
            return hxe_err_set(err, HXE_ENOMEM, "out of memory");
        uuid5(tmp, u);
        hxe_free(tmp);
        snprintf(ctl, sizeof ctl, "%s", u + 9);
    }
    snprintf(c.key, sizeof c.key, "%s|%s|%s", app, fac, ctl);

    json_t *bundle = json_object();
    char bid[CV_URL];
    uuid5(c.key, bid);
    json_object_set_new(bundle, "resourceType", json_string("Bundle"));
    json_object_set_new(bundle, "id", json_string(bid + 9));
    json_object_set_new(bundle, "type", json_string("transaction"));
    c.bundle = bundle;
    c.entries = json_array();
    json_object_set_new(bundle, "entry", c.entries);

    for (size_t i = 0; i < m->nseg; i++) {
        const char *id = m->segs[i].id;
        c.seg = i;
        c.seq = 0;
        for (size_t k = 0; k <= i; k++)
            if (strcmp(m->segs[k].id, id) == 0)
                c.seq++;
        memset(c.used, 0, sizeof c.used);
        cv_mark(&c, 0);
        size_t j;
        for (j = 0; j < sizeof segmaps / sizeof segmaps[0]; j++)
            if (strcmp(segmaps[j].id, id) == 0)
                break;
        if (j == sizeof segmaps / sizeof segmaps[0]) {
            if (!id[0])
                continue;
            if (id[0] == 'Z')
                cv_issue(&c, HXE_SEV_WARNING, 0, "%s[%u]: Z-segment, not mapped", id, c.seq);
            else
                cv_issue(&c, HXE_SEV_WARNING, 0, "%s[%u]: segment not mapped by hxe%s", id, c.seq,
                         ig_lists(igmsg, id) ? " (the IG maps it)" : "");
            continue;
        }
        int rc = segmaps[j].fn(&c);
        if (rc < 0) {
            cv_finish(&c);   /* releases what the group holds */
            json_decref(bundle);
            return hxe_err_set(err, rc, "%s[%u]: cannot be converted", id, c.seq);
        }
        cv_unmapped(&c, segmaps[j].igmap);
    }
    cv_finish(&c);
    *out = bundle;
    return 0;
}
