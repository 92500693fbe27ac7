/*
 * seg_order.c — the IG's segment maps for orders and results: ORC/OBR ->
 * ServiceRequest (+ DiagnosticReport in ORU, + the OBR's Specimen when no
 * SPM comes), OBX -> Observation, NTE -> note, SPM -> Specimen, RXA/RXR ->
 * Immunization (VXU); and cv_finish, which settles what a group and the
 * message leave open when the message ends.
 */
#include "convert/internal.h"

#include <string.h>

#define OBS_CAT "http://terminology.hl7.org/CodeSystem/observation-category"

static int is_oru(const cv *c) { return strcmp(c->msgtype, "ORU_R01") == 0; }
static int is_vxu(const cv *c) { return strcmp(c->msgtype, "VXU_V04") == 0; }

/* an EI as an Identifier with a v2-0203 type (PLAC, FILL, PGN) */
static json_t *order_id(cv *c, hxe_slice ei, const char *type)
{
    json_t *id = hxe_conv_ei(c->m, ei);
    if (id)
        json_object_set_new(id, "type", cv_cc1(V2_CS "0203", type, NULL));
    return id;
}

static int has_ident(json_t *res, const json_t *id)
{
    json_t *x;
    size_t i;
    json_array_foreach(json_object_get(res, "identifier"), i, x) if (json_equal(x, (json_t *)id))
        return 1;
    return 0;
}

static void add_id(json_t *res, json_t *id)
{
    if (!id)
        return;
    if (has_ident(res, id))
        json_decref(id);
    else
        cv_push(res, "identifier", id);
}

static void new_group(cv *c)
{
    cv_obr_specimen(c);
    c->group_spm = 0;
    json_decref(c->group_obs);
    c->group_obs = json_array();
    c->sr_res = c->dr_res = c->obs_res = NULL;
    c->sr[0] = c->dr[0] = c->obs[0] = c->spec[0] = 0;
}

static json_t *new_sr(cv *c)
{
    json_t *sr = json_pack("{s:s,s:s,s:s}", "resourceType", "ServiceRequest", "status", "unknown",
                           "intent", "order");
    json_object_set_new(sr, "subject", cv_ref(c->patient));
    cv_set(sr, "encounter", cv_ref(c->encounter));
    return sr;
}

int cv_orc(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    if (is_vxu(c)) {
        json_decref(c->orc_ids);
        c->orc_ids = json_array();
        json_t *p = order_id(c, cv_f(c, 2), "PLAC"), *f = order_id(c, cv_f(c, 3), "FILL");
        if (p)
            json_array_append_new(c->orc_ids, p);
        if (f)
            json_array_append_new(c->orc_ids, f);
        cv_mark(c, 1);
        return 0;
    }
    new_group(c);
    json_t *sr = new_sr(c);
    add_id(sr, order_id(c, cv_f(c, 2), "PLAC"));
    add_id(sr, order_id(c, cv_f(c, 3), "FILL"));
    json_t *grp = hxe_conv_ei(m, cv_f(c, 4));
    cv_set(sr, "requisition", grp);
    /* status: ORC-5 order status, else what ORC-1 order control implies */
    char v[8], oc[8];
    const char *fc;
    size_t n = cv_cpy(m, cv_f(c, 5), v, sizeof v), noc = cv_cpy(m, cv_f(c, 1), oc, sizeof oc);
    if (n && hxe_conv_vocab("OrderStatus", v, n, &fc, NULL, NULL) == 0)
        json_object_set_new(sr, "status", json_string(fc));
    else if (noc && hxe_conv_vocab("OrderControlCode[ServiceRequest.status]", oc, noc, &fc, NULL,
                                   NULL) == 0)
        json_object_set_new(sr, "status", json_string(fc));
    cv_set(sr, "authoredOn", cv_when(c, 9, 0));
    /* ORC-12 with the ordering facility ORC-21..23: a PractitionerRole */
    json_t *req = cv_role_ref(c, cv_f(c, 12), cv_f(c, 21), cv_f(c, 22), cv_f(c, 23), "orc12");
    cv_set(sr, "requester", req);
    char salt[16], q[512];
    snprintf(salt, sizeof salt, "sr-%u", c->seq);
    c->sr_res = cv_add(c, sr, salt, cv_first_query(sr, q, sizeof q), 1, c->sr);
    c->orc_open = 1;
    c->notes_target = c->sr_res;
    return 0;
}

int cv_obr(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    if (!c->orc_open) {
        new_group(c);
        json_t *sr = new_sr(c);
        char salt[16];
        snprintf(salt, sizeof salt, "sr-obr-%u", c->seq);
        c->sr_res = cv_add(c, sr, salt, NULL, 0, c->sr);
    }
    c->orc_open = 0;
    cv_mark(c, 1);    /* set id */
    json_t *sr = c->sr_res;
    c->seg_res = sr;
    /* ORU and OML: the OBR's specimen fields make a Specimen when no SPM
     * follows in the group (OBR[Specimen]; cv_obr_specimen) */
    if ((is_oru(c) || strcmp(c->msgtype, "OML_O21") == 0) &&
        (!cv_empty(cv_f(c, 7)) || !cv_empty(cv_f(c, 14)) || !cv_empty(cv_f(c, 15)))) {
        c->obr_seg = c->seg;
        c->obr_seq = c->seq;
        cv_mark(c, 8);
        cv_mark(c, 10);
    }
    json_t *plac = order_id(c, cv_f(c, 2), "PLAC"), *fill = order_id(c, cv_f(c, 3), "FILL");
    add_id(sr, json_copy(plac));
    add_id(sr, json_copy(fill));
    json_t *code = hxe_conv_codeable(m, cv_f(c, 4));
    if (!code) {
        cv_issue(c, HXE_SEV_WARNING, 4, "OBR[%u]-4: empty, the code says unknown", c->seq);
        code = json_pack("{s:s}", "text", "unknown");
    }
    json_object_set_new(sr, "code", json_copy(code));
    if (!json_object_get(sr, "requester"))
        cv_set(sr, "requester", cv_practitioner_ref(c, cv_rep(m, cv_f(c, 16), 1), "obr16"));
    else
        cv_mark(c, 16);
    /* the conditional request of an SR entry made before its identifiers */
    char q[512];
    size_t i;
    char u[600];
    json_t *sre = NULL;
    if (cv_first_query(sr, q, sizeof q))
        snprintf(u, sizeof u, "ServiceRequest?%s", q);
    else
        u[0] = 0;
    for (i = json_array_size(c->entries); i-- > 0 && !sre;) {   /* it is a recent one */
        json_t *en = json_array_get(c->entries, i);
        if (strcmp(json_string_value(json_object_get(en, "fullUrl")), c->sr) == 0)
            sre = en;
    }
    json_t *req = json_object_get(sre, "request");
    if (u[0] && !cv_is_indexed(c, u) && req && !json_object_get(req, "ifNoneExist") &&
        strcmp(json_string_value(json_object_get(req, "method")), "POST") == 0) {
        json_object_set_new(req, "method", json_string("PUT"));
        json_object_set_new(req, "url", json_string(u));
        cv_indexed(c, u, i + 1);
    }
    json_t *eff = cv_when(c, 7, 0);
    if (!is_oru(c)) {
        cv_set(sr, "occurrenceDateTime", eff);
        json_decref(code);
        json_decref(plac);
        json_decref(fill);
        c->notes_target = sr;
        return 0;
    }
    /* ORU: the DiagnosticReport */
    json_t *dr = cv_obj("resourceType", json_string("DiagnosticReport"));
    add_id(dr, fill);
    add_id(dr, plac);
    json_object_set_new(dr, "basedOn", cv_arr1(cv_ref(c->sr)));
    char st[8];
    const char *fc;
    size_t n = cv_cpy(m, cv_f(c, 25), st, sizeof st);
    if (n && hxe_conv_vocab("ResultStatus[Non-Queries]", st, n, &fc, NULL, NULL) == 0)
        json_object_set_new(dr, "status", json_string(fc));
    else {
        json_object_set_new(dr, "status", json_string("unknown"));
        cv_issue(c, HXE_SEV_INFO, 25, "OBR[%u]-25: no result status the IG maps; status unknown",
                 c->seq);
    }
    json_object_set_new(dr, "category",
                        cv_arr1(cv_cc1(V2_CS "0074", "LAB", "Laboratory")));
    json_t *sect = hxe_conv_codeable(m, cv_f(c, 24));
    if (sect) {
        json_t *cd = json_array_get(json_object_get(sect, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0074"));
        /* a section of LAB is the category already there: once only (US
         * Core allows one laboratory category; found by the fuzzer) */
        const char *sys = cd ? json_string_value(json_object_get(cd, "system")) : NULL;
        const char *code0 = cd ? json_string_value(json_object_get(cd, "code")) : NULL;
        if (sys && code0 && strcmp(sys, V2_CS "0074") == 0 && strcmp(code0, "LAB") == 0)
            json_decref(sect);
        else
            json_array_append_new(json_object_get(dr, "category"), sect);
    }
    json_object_set_new(dr, "code", code);
    json_object_set_new(dr, "subject", cv_ref(c->patient));
    cv_set(dr, "encounter", cv_ref(c->encounter));
    if (eff)
        json_object_set_new(dr, "effectiveDateTime", eff);
    cv_set(dr, "issued", cv_when(c, 22, 2));
    json_t *interp = cv_practitioner_ref(c, cv_comp(m, cv_f(c, 32), 1), "obr32");
    cv_push(dr, "resultsInterpreter", interp);
    if (eff)
        cv_profile(dr, US_CORE "us-core-diagnosticreport-lab");
    char salt[16];
    snprintf(salt, sizeof salt, "dr-%u", c->seq);
    c->dr_res = cv_add(c, dr, salt, cv_first_query(dr, q, sizeof q), 1, c->dr);
    c->seg_res = c->dr_res;
    c->notes_target = sr;
    return 0;
}

static void reference_range(cv *c, json_t *o, hxe_slice rr, hxe_slice units)
{
    json_t *t = cv_jstr(c->m, rr);
    if (!t)
        return;
    json_t *r = json_object();
    /* "low-high" with numbers: low and high too */
    const char *s = json_string_value(t);
    const char *dash = strchr(s + (s[0] == '-'), '-');
    if (dash) {
        hxe_slice lo = hxe_slice_of(s, (size_t)(dash - s)), hi = hxe_slice_cstr(dash + 1);
        const char *k1, *k2;
        json_t *a = hxe_conv_obs_value(c->m, "NM", lo, units, &k1);
        json_t *b = hxe_conv_obs_value(c->m, "NM", hi, units, &k2);
        if (a && b && strcmp(k1, "valueQuantity") == 0 && strcmp(k2, "valueQuantity") == 0) {
            json_object_set_new(r, "low", a);
            json_object_set_new(r, "high", b);
        } else {
            json_decref(a);
            json_decref(b);
        }
    }
    json_object_set_new(r, "text", t);
    cv_push(o, "referenceRange", r);
}

int cv_obx(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    if (c->doc_res)   /* MDM: the document's content (OBX[DocumentReference]) */
        return cv_obx_doc(c);
    json_t *o = cv_obj("resourceType", json_string("Observation"));
    cv_push(o, "identifier", hxe_conv_ei(m, cv_f(c, 21)));
    char st[8];
    const char *fc;
    size_t n = cv_cpy(m, cv_f(c, 11), st, sizeof st);
    if (n && hxe_conv_vocab("ObservationResultStatusCodesInterpretation", st, n, &fc, NULL, NULL) == 0)
        json_object_set_new(o, "status", json_string(fc));
    else {
        json_object_set_new(o, "status", json_string("unknown"));
        cv_issue(c, HXE_SEV_INFO, 11, "OBX[%u]-11: no status the IG maps; status unknown", c->seq);
    }
    int lab = is_oru(c) && c->dr_res;
    if (lab) {
        if (!c->lab_cat)
            c->lab_cat = cv_arr1(cv_cc1(OBS_CAT, "laboratory", "Laboratory"));
        json_object_set_nocheck(o, "category", c->lab_cat);
    }
    json_t *code = hxe_conv_codeable(m, cv_f(c, 3));
    if (!code) {
        cv_issue(c, HXE_SEV_WARNING, 3, "OBX[%u]-3: empty, the code says unknown", c->seq);
        code = json_pack("{s:s}", "text", "unknown");
    }
    json_object_set_new(o, "code", code);
    json_object_set_new(o, "subject", cv_ref(c->patient));
    cv_set(o, "encounter", cv_ref(c->encounter));
    if (c->sr[0])
        json_object_set_new(o, "basedOn", cv_arr1(cv_ref(c->sr)));
    json_t *eff = cv_when(c, 14, 0);
    if (!eff && c->dr_res)
        eff = json_copy(json_object_get(c->dr_res, "effectiveDateTime"));
    cv_set(o, "effectiveDateTime", eff);
    /* the value: every repetition of OBX-5 for string types, the first else */
    char vt[8];
    cv_cpy(m, cv_f(c, 2), vt, sizeof vt);
    hxe_slice v = cv_f(c, 5), units = cv_f(c, 6);
    const char *key = NULL;
    json_t *val = hxe_conv_obs_value(m, vt, cv_rep(m, v, 1), units, &key);
    if (val && strcmp(key, "extension") == 0) {
        json_object_set_new(o, "extension", val);
    } else if (val) {
        json_object_set_new(o, key, val);
        if (cv_nrep(m, v) > 1) {
            if (strcmp(key, "valueString") == 0) {
                hxe_buf b = HXE_BUF_INIT;
                int rc = hxe_buf_puts(&b, json_string_value(val));
                for (unsigned r = 2; r <= cv_nrep(m, v) && rc == 0; r++) {
                    json_t *s = cv_jstr(m, cv_rep(m, v, r));
                    rc = hxe_buf_putc(&b, '\n');
                    if (s && rc == 0)
                        rc = hxe_buf_puts(&b, json_string_value(s));
                    json_decref(s);
                }
                if (rc == 0)
                    json_object_set_new(o, key, json_stringn(b.p, b.len));
                hxe_buf_free(&b);
            } else {
                cv_issue(c, HXE_SEV_WARNING, 5, "OBX[%u]-5: repetitions after the first not mapped",
                         c->seq);
            }
        }
    } else {
        json_object_set_new(o, "dataAbsentReason",
                            cv_cc1("http://terminology.hl7.org/CodeSystem/data-absent-reason",
                                   "unknown", "Unknown"));
    }
    reference_range(c, o, cv_f(c, 7), units);
    hxe_slice fl = cv_f(c, 8);
    for (unsigned r = 1; r <= cv_nrep(m, fl); r++) {
        hxe_slice f = cv_rep(m, fl, r);
        char code8[16];
        const char *ic, *id, *is;
        size_t k = cv_cpy(m, cv_comp(m, f, 1), code8, sizeof code8);
        if (!k)
            continue;
        if (hxe_conv_vocab("InterpretationCodes", code8, k, &ic, &id, &is) == 0)
            cv_push(o, "interpretation", cv_cc1(is, ic, id));
        else
            cv_push(o, "interpretation", hxe_conv_codeable(m, f));
    }
    cv_set(o, "method", hxe_conv_codeable(m, cv_rep(m, cv_f(c, 17), 1)));
    hxe_slice ob = cv_f(c, 16);
    for (unsigned r = 1; r <= cv_nrep(m, ob); r++) {
        char salt[16], rn[CV_UINT];
        cv_join(salt, sizeof salt, (const char *[]){"obx16-", cv_utoa(rn, r)}, 2);
        cv_push(o, "performer", cv_practitioner_ref(c, cv_rep(m, ob, r), salt));
    }
    cv_push(o, "performer", cv_org_ref(c, cv_f(c, 23), 0, "obx23"));
    if (c->spec[0])
        json_object_set_new(o, "specimen", cv_ref(c->spec));
    if (lab) {
        if (!c->lab_meta)
            c->lab_meta =
                cv_obj("profile", cv_arr1(json_string(US_CORE "us-core-observation-lab")));
        json_object_set_nocheck(o, "meta", c->lab_meta);
    }
    cv_mark(c, 1);
    char salt[16], q[512], sn[CV_UINT];
    cv_join(salt, sizeof salt, (const char *[]){"obs-", cv_utoa(sn, c->seq)}, 2);
    o = cv_add(c, o, salt, cv_first_query(o, q, sizeof q), 1, c->obs);
    c->obs_res = o;
    if (c->dr_res)
        cv_push(c->dr_res, "result", cv_ref(c->obs));
    if (!c->group_obs)
        c->group_obs = json_array();
    json_array_append(c->group_obs, o);
    c->notes_target = o;
    return 0;
}

int cv_nte(cv *c)
{
    hxe_slice v = cv_f(c, 3);
    cv_mark(c, 1);
    cv_mark(c, 2);
    if (cv_empty(v))
        return 0;
    if (!c->notes_target) {
        cv_issue(c, HXE_SEV_WARNING, 3, "NTE[%u]: comment with no resource to hold it", c->seq);
        return 0;
    }
    c->seg_res = c->notes_target;
    const char *type = json_string_value(json_object_get(c->notes_target, "resourceType"));
    hxe_buf b = HXE_BUF_INIT;
    int rc = 0;
    for (unsigned r = 1; r <= cv_nrep(c->m, v) && rc == 0; r++) {
        json_t *s = cv_jstr(c->m, cv_rep(c->m, v, r));
        if (s) {
            if (b.len)
                rc = hxe_buf_putc(&b, '\n');
            if (rc == 0)
                rc = hxe_buf_puts(&b, json_string_value(s));
        }
        json_decref(s);
    }
    if (rc == 0 && b.len && strcmp(type, "Appointment") == 0) {
        /* R4 Appointment.comment is one string: comments join by lines
         * (NTE[Appointment-Comment]) */
        const char *old = json_string_value(json_object_get(c->notes_target, "comment"));
        hxe_buf j = HXE_BUF_INIT;
        if (old && ((rc = hxe_buf_puts(&j, old)) != 0 || (rc = hxe_buf_putc(&j, '\n')) != 0)) {
            hxe_buf_free(&j);
            hxe_buf_free(&b);
            return rc;
        }
        rc = hxe_buf_append(&j, b.p, b.len);
        if (rc == 0)
            json_object_set_new(c->notes_target, "comment", json_stringn(j.p, j.len));
        hxe_buf_free(&j);
    } else if (rc == 0 && b.len && strcmp(type, "DocumentReference") == 0) {
        /* no note in R4: a plain-text content of its own (NTE[DocumentReference]) */
        json_t *d = cv_base64(b.p, b.len);
        if (d)
            cv_push(c->notes_target, "content",
                    json_pack("{s:{s:s,s:o,s:s}}", "attachment", "contentType", "text/plain", "data",
                              d, "title", "Comment"));
    } else if (rc == 0 && b.len) {
        cv_push(c->notes_target, "note", json_pack("{s:s%}", "text", b.p, b.len));
    }
    hxe_buf_free(&b);
    return rc;
}

int cv_spm(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    c->group_spm = 1;
    json_t *s = json_pack("{s:s}", "resourceType", "Specimen");
    hxe_slice eip = cv_f(c, 2);
    hxe_slice pl = cv_comp(m, eip, 1), fl = cv_comp(m, eip, 2);
    json_t *pid = hxe_conv_ei(m, hxe_slice_of(pl.p, pl.n)), *fid = NULL;
    /* EIP components are EIs written with subcomponents */
    json_decref(pid);
    pid = NULL;
    {
        hxe_hl7_msg sub = *m;
        sub.enc.cs = m->enc.ss ? m->enc.ss : m->enc.cs;
        pid = hxe_conv_ei(&sub, pl);
        fid = hxe_conv_ei(&sub, fl);
    }
    if (pid)
        json_object_set_new(pid, "type", cv_cc1(V2_CS "0203", "PLAC", NULL));
    if (fid)
        json_object_set_new(fid, "type", cv_cc1(V2_CS "0203", "FILL", NULL));
    cv_push(s, "identifier", pid);
    cv_push(s, "identifier", fid);
    json_t *ty = hxe_conv_codeable(m, cv_f(c, 4));
    if (!ty)
        ty = json_pack("{s:s}", "text", "unknown");
    json_object_set_new(s, "type", ty);
    json_object_set_new(s, "subject", cv_ref(c->patient));
    if (c->sr[0])
        json_object_set_new(s, "request", json_pack("[o]", cv_ref(c->sr)));
    cv_set(s, "receivedTime", cv_when(c, 18, 0));
    json_t *col = json_object();
    cv_set(col, "collectedDateTime", cv_when(c, 17, 0));
    cv_set(col, "method", hxe_conv_codeable(m, cv_f(c, 7)));
    cv_set(col, "bodySite", hxe_conv_codeable(m, cv_f(c, 8)));
    if (json_object_size(col))
        json_object_set_new(s, "collection", col);
    else
        json_decref(col);
    cv_push(s, "condition", hxe_conv_codeable(m, cv_rep(m, cv_f(c, 24), 1)));
    cv_profile(s, US_CORE "us-core-specimen");
    cv_mark(c, 1);
    char salt[16], q[512];
    snprintf(salt, sizeof salt, "spm-%u", c->seq);
    s = cv_add(c, s, salt, cv_first_query(s, q, sizeof q), 1, c->spec);
    /* the group's results so far were made from this specimen */
    size_t i;
    json_t *o;
    json_array_foreach(c->group_obs, i, o) if (!json_object_get(o, "specimen"))
        json_object_set_new(o, "specimen", cv_ref(c->spec));
    if (c->dr_res)
        cv_push(c->dr_res, "specimen", cv_ref(c->spec));
    c->notes_target = s;
    return 0;
}

int cv_rxa(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    json_t *im = json_pack("{s:s}", "resourceType", "Immunization");
    size_t i;
    json_t *id;
    json_array_foreach(c->orc_ids, i, id) cv_push(im, "identifier", json_copy(id));
    char st[8];
    const char *fc;
    size_t n = cv_cpy(m, cv_f(c, 20), st, sizeof st);
    const char *status = "completed";
    if (n && hxe_conv_vocab("CompletionStatus", st, n, &fc, NULL, NULL) == 0)
        status = fc;
    json_object_set_new(im, "status", json_string(status));
    cv_set(im, "statusReason", hxe_conv_codeable(m, cv_rep(m, cv_f(c, 18), 1)));
    json_t *vc = hxe_conv_codeable(m, cv_f(c, 5));
    if (!vc)
        vc = json_pack("{s:s}", "text", "unknown");
    json_object_set_new(im, "vaccineCode", vc);
    json_object_set_new(im, "patient", cv_ref(c->patient));
    cv_set(im, "encounter", cv_ref(c->encounter));
    json_t *occ = cv_when(c, 3, 0);
    if (occ) {
        json_object_set_new(im, "occurrenceDateTime", occ);
    } else {
        /* occurrence[x] is 1..1: say that the time is not known */
        cv_issue(c, HXE_SEV_WARNING, 3, "RXA[%u]-3: no valid administration time", c->seq);
        json_object_set_new(im, "occurrenceString", json_string("unknown"));
    }
    char src[8];
    if (cv_cpy(m, cv_comp(m, cv_rep(m, cv_f(c, 9), 1), 1), src, sizeof src))
        json_object_set_new(im, "primarySource", json_boolean(strcmp(src, "00") == 0));
    cv_set(im, "lotNumber", cv_jstr(m, cv_rep(m, cv_f(c, 15), 1)));
    cv_set(im, "expirationDate", cv_when(c, 16, 1));
    json_t *mvx = hxe_conv_codeable(m, cv_rep(m, cv_f(c, 17), 1));
    if (mvx) {
        json_t *cd = json_array_get(json_object_get(mvx, "coding"), 0);
        json_t *nm = json_object_get(cd, "display");
        json_t *ref = json_object();
        if (nm)
            json_object_set_new(ref, "display", json_copy(nm));
        json_t *ident = json_pack("{s:s}", "system", "http://terminology.hl7.org/CodeSystem/MVX");
        if (json_object_get(cd, "code"))
            json_object_set(ident, "value", json_object_get(cd, "code"));
        json_object_set_new(ref, "identifier", ident);
        json_object_set_new(im, "manufacturer", ref);
        json_decref(mvx);
    }
    char amt[32];
    if (cv_cpy(m, cv_f(c, 6), amt, sizeof amt) && strcmp(amt, "999") != 0) {
        const char *k;
        json_t *q = hxe_conv_obs_value(m, "NM", cv_f(c, 6), cv_f(c, 7), &k);
        if (q && strcmp(k, "valueQuantity") == 0)
            json_object_set_new(im, "doseQuantity", q);
        else
            json_decref(q);
    }
    cv_mark(c, 7);
    hxe_slice pf = cv_f(c, 10);
    for (unsigned r = 1; r <= cv_nrep(m, pf); r++) {
        char salt[16];
        snprintf(salt, sizeof salt, "rxa10-%u", r);
        json_t *ref = cv_practitioner_ref(c, cv_rep(m, pf, r), salt);
        if (ref)
            cv_push(im, "performer",
                    json_pack("{s:o,s:o}", "function",
                              cv_cc1(V2_CS "0443", "AP", "Administering Provider"), "actor", ref));
    }
    if (json_object_get(im, "primarySource") && occ)
        cv_profile(im, US_CORE "us-core-immunization");
    cv_mark(c, 1);
    cv_mark(c, 2);
    char salt[16], q[512];
    snprintf(salt, sizeof salt, "imm-%u", c->seq);
    im = cv_add(c, im, salt, cv_first_query(im, q, sizeof q), 1, c->imm);
    c->imm_res = im;
    c->notes_target = im;
    return 0;
}

int cv_rxr(cv *c)
{
    if (!c->imm_res)
        return 0;
    c->seg_res = c->imm_res;
    cv_set(c->imm_res, "route", hxe_conv_codeable(c->m, cv_f(c, 1)));
    cv_set(c->imm_res, "site", hxe_conv_codeable(c->m, cv_f(c, 2)));
    return 0;
}

/* OBR[Specimen]: the specimen an OBR describes (OBR-7/8 collection
 * time, OBR-10 collector, OBR-14 received, OBR-15 source), made when its
 * group ends without an SPM; conditional on OBR-2 as the accession
 * identifier, as the IG maps it */
void cv_obr_specimen(cv *c)
{
    if (!c->obr_seg || c->group_spm || !c->patient[0]) {
        c->obr_seg = 0;
        return;
    }
    const hxe_hl7_msg *m = c->m;
    size_t seg = c->seg;
    unsigned seq = c->seq;
    json_t *seg_res = c->seg_res;
    c->seg = c->obr_seg;
    c->seq = c->obr_seq;
    c->obr_seg = 0;
    hxe_hl7_msg sub = *m;   /* SPS components are written with subcomponents */
    sub.enc.cs = m->enc.ss ? m->enc.ss : m->enc.cs;
    json_t *s = json_pack("{s:s}", "resourceType", "Specimen");
    hxe_slice sps = hxe_hl7_field(m, c->seg, 15);
    cv_set(s, "accessionIdentifier", hxe_conv_ei(m, hxe_hl7_field(m, c->seg, 2)));
    json_t *ty = hxe_conv_codeable(&sub, cv_comp(m, sps, 1));
    json_object_set_new(s, "type", ty ? ty : json_pack("{s:s}", "text", "unknown"));
    json_object_set_new(s, "subject", cv_ref(c->patient));
    cv_set(s, "receivedTime", cv_jdate(m, hxe_hl7_field(m, c->seg, 14), c->tz, 0));
    if (c->sr[0])
        json_object_set_new(s, "request", json_pack("[o]", cv_ref(c->sr)));
    json_t *col = json_object();
    cv_set(col, "collector",
           cv_practitioner_ref(c, cv_rep(m, hxe_hl7_field(m, c->seg, 10), 1), "obr10"));
    json_t *t7 = cv_jdate(m, hxe_hl7_field(m, c->seg, 7), c->tz, 0);
    json_t *t8 = cv_jdate(m, hxe_hl7_field(m, c->seg, 8), c->tz, 0);
    if (t8) {
        json_t *per = json_object();
        cv_set(per, "start", t7);
        json_object_set_new(per, "end", t8);
        json_object_set_new(col, "collectedPeriod", per);
    } else {
        cv_set(col, "collectedDateTime", t7);
    }
    cv_set(col, "bodySite", hxe_conv_codeable(&sub, cv_comp(m, sps, 4)));
    cv_set(s, "collection", col);
    json_t *ft = cv_jstr(m, cv_comp(m, sps, 3));
    if (ft)
        cv_push(s, "note", json_pack("{s:o}", "text", ft));
    cv_profile(s, US_CORE "us-core-specimen");
    char salt[24], q[512], eq[520];
    snprintf(salt, sizeof salt, "obr-spm-%u", c->seq);
    json_t *acc = json_object_get(s, "accessionIdentifier");
    const char *query = NULL;
    if (acc && cv_ident_query(acc, q, sizeof q) == 0) {
        snprintf(eq, sizeof eq, "accession=%s", q + strlen("identifier="));
        query = eq;
    }
    cv_add(c, s, salt, query, 1, c->spec);
    size_t i;
    json_t *o;
    json_array_foreach(c->group_obs, i, o) if (!json_object_get(o, "specimen"))
        json_object_set_new(o, "specimen", cv_ref(c->spec));
    if (c->dr_res)
        cv_push(c->dr_res, "specimen", cv_ref(c->spec));
    c->seg = seg;
    c->seq = seq;
    c->seg_res = seg_res;
}

void cv_finish(cv *c)
{
    size_t i;
    json_t *e;
    cv_obr_specimen(c);
    cv_doc_finish(c);
    cv_appt_finish(c);
    json_array_foreach(c->entries, i, e) {
        json_t *r = json_object_get(e, "resource");
        const char *t = json_string_value(json_object_get(r, "resourceType"));
        if (strcmp(t, "ServiceRequest") == 0 && json_object_get(r, "code"))
            cv_profile(r, US_CORE "us-core-servicerequest");
        /* US Core wants identifier.system where these have identifiers: a
         * resource whose v2 ids carry no system claims the base only */
        if (strcmp(t, "Encounter") == 0 || strcmp(t, "Patient") == 0 ||
            strcmp(t, "Practitioner") == 0) {
            size_t k;
            json_t *id;
            json_array_foreach(json_object_get(r, "identifier"), k, id) if (!json_object_get(id, "system"))
                json_object_del(r, "meta");
        }
    }
    json_decref(c->group_obs);
    json_decref(c->orc_ids);
    c->group_obs = c->orc_ids = NULL;
    hxe_buf_free(&c->doc_text);
    json_decref(c->qidx);
    c->qidx = NULL;
    cv_seen_clear(c);
    json_decref(c->lab_cat);
    json_decref(c->lab_meta);
    c->lab_cat = c->lab_meta = NULL;
}
