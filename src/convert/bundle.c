/*
 * bundle.c — one v2 message -> one FHIR transaction Bundle: recognises
 * the message type, walks the segments in order handing each to its
 * segment map, hands what no map read (unmapped fields, Z-segments and
 * other segments hxe does not map) to unmapped.c, and gives every entry
 * a deterministic fullUrl (urn:uuid of a UUID v5 of the message key and
 * the segment position) and a conditional request on its business
 * identifier.
 */
#include "convert/internal.h"

#include <stdarg.h>
#include <string.h>

hxe_slice cv_f(cv *c, unsigned f)
{
    cv_mark(c, f);
    if (f < c->nfld)
        return c->fld[f];
    return f < CV_MAXF ? HXE_SLICE_EMPTY : hxe_hl7_field(c->m, c->seg, f);
}

/* splits the current segment into c->fld once: the maps read most of
 * its fields, each by number */
static void split_fields(cv *c)
{
    const hxe_hl7_seg *s = &c->m->segs[c->seg];
    size_t nf = hxe_hl7_field_count(c->m, c->seg);
    c->nfld = 0;
    if (strcmp(s->id, "MSH") == 0 || strcmp(s->id, "FHS") == 0 || strcmp(s->id, "BHS") == 0) {
        /* MSH-1 is the separator itself: hxe_hl7_field knows the header */
        for (unsigned f = 0; f <= nf && f < CV_MAXF; f++)
            c->fld[c->nfld++] = hxe_hl7_field(c->m, c->seg, f);
        return;
    }
    const char *p = s->p, *end = s->p + s->n;
    c->fld[c->nfld++] = hxe_slice_of(s->p, s->n);   /* field 0: the segment */
    const char *q = memchr(p, c->m->enc.fs, (size_t)(end - p));
    while (q && c->nfld < CV_MAXF) {
        p = q + 1;
        q = memchr(p, c->m->enc.fs, (size_t)(end - p));
        c->fld[c->nfld++] = hxe_slice_of(p, (size_t)((q ? q : end) - p));
    }
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

/* the issue, its text left to the caller (NULL when none is kept) */
static hxe_issue *issue_at(cv *c, int sev, unsigned field)
{
    if (!c->is)
        return NULL;
    hxe_loc l = loc_of(c, field);
    return hxe_issues_add(c->is, sev, sev >= HXE_SEV_WARNING ? 8 /* not-supported */ : 11, &l,
                          "%s", "");
}

void cv_issue(cv *c, int sev, unsigned field, const char *fmt, ...)
{
    /* formatted once, in place: a message has dozens of notes */
    hxe_issue *it = issue_at(c, sev, field);
    if (!it)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(it->text, sizeof it->text, fmt, ap);
    va_end(ap);
}

void cv_issue_text(cv *c, int sev, unsigned field, const char *const *parts, size_t n)
{
    hxe_issue *it = issue_at(c, sev, field);
    if (it)
        cv_join(it->text, sizeof it->text, parts, n);
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

void cv_indexed(cv *c, const char *u, size_t at)
{
    if (!c->qidx)
        c->qidx = json_object();
    json_object_set_new(c->qidx, u, json_integer((json_int_t)at));
}

int cv_is_indexed(const cv *c, const char *u)
{
    return json_object_get(c->qidx, u) != NULL;
}

static int same_type(json_t *entry, const char *type)
{
    const char *t = json_string_value(
        json_object_get(json_object_get(entry, "resource"), "resourceType"));
    return t && strcmp(t, type) == 0;
}

/* the fullUrl of entry e into url (CV_URL bytes) when url is not NULL */
static void entry_url(json_t *e, char *url)
{
    const char *u = json_string_value(json_object_get(e, "fullUrl"));
    if (!u)
        u = "";   /* never: every entry gets one */
    if (url)
        cv_join(url, CV_URL, &u, 1);
}

json_t *cv_add(cv *c, json_t *res, const char *salt, const char *query, int put, char *url)
{
    char name[160], full[CV_URL], pos[CV_UINT];
    const char *type = json_string_value(json_object_get(res, "resourceType"));
    json_t *req;
    char u[600];
    /* One conditional entry per business identifier in a transaction: a
     * second would make the server fail the whole Bundle. A repeated actor
     * (Practitioner, Organization) is the same one: the first entry is
     * reused. Any other resource repeating an earlier one's identifier
     * (several OBRs sharing an order number) is kept, created
     * unconditionally, and reported. */
    int actor = strcmp(type, "Practitioner") == 0 || strcmp(type, "Organization") == 0 ||
                strcmp(type, "PractitionerRole") == 0 || strcmp(type, "Location") == 0;
    if (actor) {
        /* the same actor written twice without an identifier: one entry */
        size_t i;
        json_t *e;
        json_array_foreach(c->entries, i, e) if (same_type(e, type) &&
                                                json_equal(json_object_get(e, "resource"), res)) {
            json_decref(res);
            entry_url(e, url);
            return json_object_get(e, "resource");
        }
    }
    if (query) {
        /* the conditional entries so far, by "Type?query" (PUT url, or
         * type and ifNoneExist) */
        cv_join(u, sizeof u, (const char *[]){type, "?", query}, 3);
        json_t *at = json_object_get(c->qidx, u);
        json_t *e = at ? json_array_get(c->entries, (size_t)json_integer_value(at)) : NULL;
        if (e && !actor) {
            cv_issue(c, HXE_SEV_WARNING, 0,
                     "%s[%u]: %s identifier repeats an earlier one's; created unconditionally",
                     c->m->segs[c->seg].id, c->seq, type);
            query = NULL;
        } else if (e) {
            json_decref(res);
            entry_url(e, url);
            return json_object_get(e, "resource");
        }
    }
    /* a new entry: its fullUrl is the UUID v5 of "key|position|type|salt",
     * from the state after "key|" (made only now: a repeated actor needs none) */
    const char *parts[] = {cv_utoa(pos, c->seg + 1), "|", type, "|", salt ? salt : ""};
    size_t nn = cv_join(name, sizeof name, parts, 5);
    cv_sha1 hs = c->keyh;
    cv_sha1_update(&hs, name, nn);
    cv_uuid5_of(&hs, full);
    req = json_object();
    if (query && put) {
        cv_join(u, sizeof u, (const char *[]){type, "?", query}, 3);
        json_object_set_new(req, "method", json_string("PUT"));
        json_object_set_new(req, "url", json_string(u));
    } else {
        json_object_set_new(req, "method", json_string("POST"));
        json_object_set_new(req, "url", json_string(type));
        if (query)
            json_object_set_new(req, "ifNoneExist", json_string(query));
    }
    if (query)
        cv_indexed(c, u, json_array_size(c->entries));
    json_t *e = json_object();
    json_object_set_new(e, "fullUrl", json_string(full));
    json_object_set_new(e, "resource", res);
    json_object_set_new(e, "request", req);
    json_array_append_new(c->entries, e);
    c->nent++;
    /* the first resource of its own a segment makes holds what the
     * segment's map left (HXE_CONV_UNMAPPED_EXTENSION) */
    if (!actor && !c->seg_res && strcmp(type, "Provenance") != 0)
        c->seg_res = res;
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

/* An actor is a pure function of its value as written (and the message's
 * separators): the same text resolves to the same entry every time, since
 * entries are only appended and a conditional entry's index never moves.
 * So a value seen before gives its entry's fullUrl without making the
 * resource again. */
static struct cv_seen *seen_find(cv *c, char kind, hxe_slice raw)
{
    for (unsigned i = 0; i < c->nseen; i++) {
        struct cv_seen *s = &c->seen[i];
        if (s->kind == kind && s->raw.n == raw.n && memcmp(s->raw.p, raw.p, raw.n) == 0)
            return s;
    }
    return NULL;
}

static void seen_add(cv *c, char kind, hxe_slice raw, const char *url, json_t *display)
{
    if (c->nseen == CV_SEEN)
        return;   /* remembered no further: later ones are made and compared */
    struct cv_seen *s = &c->seen[c->nseen++];
    s->kind = kind;
    s->raw = raw;
    memcpy(s->url, url, CV_URL);
    s->display = json_incref(display);
}

void cv_seen_clear(cv *c)
{
    for (unsigned i = 0; i < c->nseen; i++)
        json_decref(c->seen[i].display);
    c->nseen = 0;
}

/* a reference to the entry a remembered actor resolved to */
static json_t *seen_ref(const struct cv_seen *s)
{
    json_t *r = cv_ref(s->url);
    if (r && s->display)
        cv_set(r, "display", json_copy(s->display));
    return r;
}

json_t *cv_practitioner_ref(cv *c, hxe_slice xcn, const char *salt)
{
    const struct cv_seen *s = seen_find(c, 'P', xcn);
    if (s)
        return seen_ref(s);
    json_t *p = hxe_conv_practitioner(c->m, xcn);
    char url[CV_URL];
    if (!p)
        return NULL;
    json_t *disp = NULL;
    json_t *n = json_array_get(json_object_get(p, "name"), 0);
    if (json_object_get(n, "family"))
        disp = json_copy(json_object_get(n, "family"));
    cv_profile(p, US_CORE "us-core-practitioner");
    /* US Core: a name and a system-qualified identifier */
    json_t *ids = json_object_get(p, "identifier");
    int ok = json_object_get(p, "name") && json_array_size(ids) > 0;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id) if (!json_object_get(id, "system")) ok = 0;
    if (!ok)
        json_object_del(p, "meta");
    add_ident(c, p, salt, 1, url);
    seen_add(c, 'P', xcn, url, disp);
    json_t *r = cv_ref(url);
    cv_set(r, "display", disp);
    return r;
}

json_t *cv_org_ref(cv *c, hxe_slice v, int is_hd, const char *salt)
{
    char kind = is_hd ? 'H' : 'O';
    const struct cv_seen *s = seen_find(c, kind, v);
    if (s)
        return seen_ref(s);
    json_t *o = hxe_conv_organization(c->m, v, is_hd);
    char url[CV_URL];
    if (!o)
        return NULL;
    if (json_object_get(o, "name"))
        json_object_set_new(o, "active", json_true());
    add_ident(c, o, salt, 1, url);
    seen_add(c, kind, v, url, NULL);
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
    {"SCH", cv_sch, "SCH[Appointment]"},   {"AIS", cv_ais, "AIS[Appointment]"},
    {"AIG", cv_aig, "AIG[Appointment]"},   {"AIL", cv_ail, "AIL[Appointment]"},
    {"AIP", cv_aip, "AIP[Appointment]"},   {"RGS", cv_rgs, NULL},
    {"TXA", cv_txa, "TXA[DocumentReference]"}, {"FT1", cv_ft1, NULL},
    {"PR1", cv_pr1, "PR1[Procedure]"},
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
    {"OML^O21", "OML_O21"}, {"VXU^V04", "VXU_V04"}, {"SIU^S12", "SIU_S12"},
    {"SIU^S13", "SIU_S12"}, {"SIU^S14", "SIU_S12"}, {"SIU^S15", "SIU_S12"},
    {"MDM^T02", "MDM_T02"}, {"DFT^P03", "DFT_P03"},   /* the IG has no DFT map */
};

/* the segment each structure cannot do without, besides PID */
static const struct {
    const char *ig, *seg, *why;
} needs[] = {
    {"SIU_S12", "SCH", "an Appointment is needed"},
    {"MDM_T02", "TXA", "a DocumentReference is needed"},
    {"DFT_P03", "FT1", "a ChargeItem is needed"},
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
    for (size_t i = 0; i < sizeof needs / sizeof needs[0]; i++)
        if (strcmp(needs[i].ig, igmsg) == 0 && hxe_hl7_find(m, needs[i].seg, 1) < 0)
            return hxe_err_set(err, HXE_EINVAL, "%s: missing, %s", needs[i].seg, needs[i].why);
    if (opts && !hxe_conv_unmapped_name(opts->unmapped))
        return hxe_err_set(err, HXE_EINVAL, "options: unmapped is not report, extension or drop");
    memset(&c, 0, sizeof c);
    c.m = m;
    c.tz = opts ? opts->tz : NULL;
    c.unmapped = opts ? opts->unmapped : HXE_CONV_UNMAPPED_REPORT;
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
        char u[CV_URL];
        cv_uuid5(m->raw, strnlen(m->raw, m->raw_len), u);   /* up to a NUL, as ever */
        snprintf(ctl, sizeof ctl, "%s", u + 9);
    }
    snprintf(c.key, sizeof c.key, "%s|%s|%s", app, fac, ctl);
    cv_uuid5_start(&c.keyh);
    cv_sha1_update(&c.keyh, c.key, strlen(c.key));
    cv_sha1_update(&c.keyh, "|", 1);

    json_t *bundle = json_object();
    char bid[CV_URL];
    cv_uuid5(c.key, strlen(c.key), bid);
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
        c.seg_res = NULL;
        split_fields(&c);
        size_t j;
        for (j = 0; j < sizeof segmaps / sizeof segmaps[0]; j++)
            if (strcmp(segmaps[j].id, id) == 0)
                break;
        if (j == sizeof segmaps / sizeof segmaps[0]) {
            if (id[0])
                cv_unmapped_segment(&c, id[0] == 'Z', id[0] != 'Z' && ig_lists(igmsg, id));
            continue;
        }
        int rc = segmaps[j].fn(&c);
        if (rc < 0) {
            cv_finish(&c);   /* releases what the group holds */
            json_decref(bundle);
            return hxe_err_set(err, rc, "%s[%u]: cannot be converted", id, c.seq);
        }
        /* OBX in MDM fills the DocumentReference (OBX[DocumentReference]) */
        cv_unmapped(&c, strcmp(id, "OBX") == 0 && c.doc_res ? "OBX[DocumentReference]"
                                                            : segmaps[j].igmap);
    }
    cv_finish(&c);
    cv_unmapped_done(&c);
    *out = bundle;
    return 0;
}
