/*
 * seg_admin.c — the IG's segment maps for patient administration:
 * MSH -> MessageHeader (+ Bundle identifier/timestamp, Provenance),
 * PID/PD1 -> Patient (PID-10/22 -> the US Core race and ethnicity
 * extensions), NK1 -> RelatedPerson, MRG -> Patient.link.
 * Each reads the fields it maps with cv_f, so what it leaves is reported.
 */
#include "convert/internal.h"

#include <stdlib.h>
#include <string.h>

static json_t *endpoint_absent(void)
{
    return json_pack("{s:[{s:s,s:s}]}", "extension", "url",
                     "http://hl7.org/fhir/StructureDefinition/data-absent-reason", "valueCode",
                     "unknown");
}

/* MessageHeader.source / destination from an HD */
static json_t *msh_party(cv *c, hxe_slice hd)
{
    char uid[160], type[16], ep[200];
    const hxe_hl7_msg *m = c->m;
    json_t *p = json_object();
    cv_set(p, "name", cv_jstr(m, cv_comp(m, hd, 1)));
    cv_cpy(m, cv_comp(m, hd, 2), uid, sizeof uid);
    cv_cpy(m, cv_comp(m, hd, 3), type, sizeof type);
    ep[0] = 0;
    if (uid[0] && !strchr(uid, ' ')) {
        if (strcmp(type, "ISO") == 0)
            snprintf(ep, sizeof ep, "urn:oid:%s", uid);
        else if (strcmp(type, "UUID") == 0)
            snprintf(ep, sizeof ep, "urn:uuid:%s", uid);
        else if (strcmp(type, "DNS") == 0)
            snprintf(ep, sizeof ep, "urn:dns:%s", uid);
        else if (strstr(uid, "://"))
            snprintf(ep, sizeof ep, "%s", uid);
    }
    json_t *e = ep[0] ? json_string(ep) : NULL; /* NULL for bytes not UTF-8 */
    if (e)
        json_object_set_new(p, "endpoint", e);
    else
        json_object_set_new(p, "_endpoint", endpoint_absent());
    return p;
}

int cv_msh(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    json_t *h = json_pack("{s:s}", "resourceType", "MessageHeader");
    cv_mark(c, 12);   /* the version: read by the parser, nothing to carry */
    char ev[8];
    if (!cv_cpy(m, cv_comp(m, cv_f(c, 9), 2), ev, sizeof ev))
        snprintf(ev, sizeof ev, "%.3s", c->msgtype + 4);
    json_object_set_new(h, "eventCoding", cv_coding(V2_CS "0003", ev, NULL));
    json_t *dst = NULL;
    hxe_slice d5 = cv_f(c, 5), d6 = cv_f(c, 6);
    if (!cv_empty(d5) || !cv_empty(d6)) {
        dst = msh_party(c, d5);
        cv_set(dst, "receiver", cv_org_ref(c, d6, 1, "receiver"));
        cv_push(h, "destination", dst);
    }
    cv_set(h, "sender", cv_org_ref(c, cv_f(c, 4), 1, "sender"));
    json_object_set_new(h, "source", msh_party(c, cv_f(c, 3)));
    /* the Bundle: MSH-10 identifier, MSH-7 timestamp (MSH[Bundle]) */
    json_t *ctl = cv_jstr(m, cv_f(c, 10));
    if (ctl)
        json_object_set_new(c->bundle, "identifier", json_pack("{s:o}", "value", ctl));
    json_t *ts = cv_when(c, 7, 2);
    if (ts)
        json_object_set_new(c->bundle, "timestamp", json_copy(ts));
    c->header_res = cv_add(c, h, "header", NULL, 0, c->header);
    /* Provenance of the transformation (MSH[Provenance-Transformation]);
     * recorded must be an instant and a map may not read the clock, so it
     * is MSH-7 when that is one */
    if (!ts) {
        cv_issue(c, HXE_SEV_INFO, 7,
                 "MSH-7: no instant for Provenance.recorded; no Provenance");
        return 0;
    }
    json_t *p = json_pack("{s:s,s:[{s:s}],s:o}", "resourceType", "Provenance", "target",
                          "reference", c->header, "recorded", ts);
    json_object_set_new(p, "activity",
                        cv_cc1("http://hl7.org/fhir/uv/v2mappings/CodeSystem/provenance-activity-type",
                               "v2-fhir-transformation", NULL));
    json_t *ag = json_pack("{s:o,s:{s:s}}", "type",
                           cv_cc1("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                  "assembler", NULL),
                           "who", "display", "hxe");
    json_object_set_new(p, "agent", json_pack("[o]", ag));
    cv_add(c, p, "provenance", NULL, 0, NULL);
    return 0;
}

static void push_reps(cv *c, json_t *o, const char *key, unsigned f,
                      json_t *(*fn)(const hxe_hl7_msg *, hxe_slice))
{
    hxe_slice v = cv_f(c, f);
    size_t n = cv_nrep(c->m, v);
    for (unsigned r = 1; r <= n; r++)
        cv_push(o, key, fn(c->m, cv_rep(c->m, v, r)));
}

static void telecom_use(json_t *o, const char *use)
{
    json_t *a = json_object_get(o, "telecom"), *t;
    size_t i;
    json_array_foreach(a, i, t) if (!json_object_get(t, "use"))
        json_object_set_new(t, "use", json_string(use));
}

static int cdc_code(const char *s)
{
    return strlen(s) == 6 && strspn(s, "0123456789") == 4 && s[4] == '-' &&
           s[5] >= '0' && s[5] <= '9';
}

/*
 * PID-10 race / PID-22 ethnic group -> the US Core extension `what`
 * (race, ethnicity): a code of the OMB set (hxe/vocab/, CDC Race &
 * Ethnicity codes, table 0189 H/N/U and the null flavors) is an
 * ombCategory (at most max_omb), another CDC code (dddd-d) is detailed,
 * and text, which US Core requires, is what the sender wrote (CWE.2,
 * else the OMB display, else the code). Codes of other systems are kept
 * in the text only.
 */
static json_t *omb(cv *c, unsigned f, const char *what, const char *map, const char *table,
                   int max_omb)
{
    const hxe_hl7_msg *m = c->m;
    hxe_slice v = cv_f(c, f);
    if (cv_empty(v))
        return NULL;
    json_t *ext = json_array();
    hxe_buf text = HXE_BUF_INIT;
    int nomb = 0, rc = 0;
    for (unsigned r = 1; r <= cv_nrep(m, v) && rc == 0; r++) {
        hxe_slice cwe = cv_rep(m, v, r);
        char code[32], sys[16], disp[128];
        const char *fc, *fd, *fs;
        size_t n = cv_cpy(m, cv_comp(m, cwe, 1), code, sizeof code);
        cv_cpy(m, cv_comp(m, cwe, 3), sys, sizeof sys);
        if (!cv_cpy(m, cv_comp(m, cwe, 2), disp, sizeof disp) &&
            !cv_cpy(m, cv_comp(m, cwe, 9), disp, sizeof disp))
            disp[0] = 0;
        int cdc = !sys[0] || strcmp(sys, "CDCREC") == 0 || strcmp(sys, table) == 0 ||
                  strcmp(sys, "NULLFL") == 0;
        const char *t = disp[0] ? disp : code;
        if (n && cdc && hxe_conv_vocab(map, code, n, &fc, &fd, &fs) == 0) {
            json_t *cd = cv_coding(fs, fc, fd);
            size_t i;
            json_t *x;
            int dup = 0;
            json_array_foreach(ext, i, x) dup |= json_equal(json_object_get(x, "valueCoding"), cd);
            if (!dup && nomb < max_omb) {
                json_array_append_new(ext, json_pack("{s:s,s:o}", "url", "ombCategory",
                                                     "valueCoding", cd));
                nomb++;
            } else {
                json_decref(cd);
            }
            if (!disp[0])
                t = fd;
        } else if (n && cdc && strcmp(sys, "NULLFL") != 0 && cdc_code(code)) {
            json_array_append_new(
                ext, json_pack("{s:s,s:o}", "url", "detailed", "valueCoding",
                               cv_coding("urn:oid:2.16.840.1.113883.6.238", code,
                                         disp[0] ? disp : NULL)));
        }
        if (t[0] && text.len)
            rc = hxe_buf_puts(&text, ", ");
        if (t[0] && rc == 0)
            rc = hxe_buf_puts(&text, t);
    }
    json_t *out = NULL;
    if (rc == 0 && text.len) {
        json_array_append_new(ext, json_pack("{s:s,s:s%}", "url", "text", "valueString", text.p,
                                             text.len));
        char url[96];
        snprintf(url, sizeof url, US_CORE "us-core-%s", what);
        out = json_pack("{s:s,s:O}", "url", url, "extension", ext);
    }
    json_decref(ext);
    hxe_buf_free(&text);
    return out;
}

int cv_pid(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (c->patient_res) {
        cv_issue(c, HXE_SEV_WARNING, 0, "PID[%u]: a second patient, not mapped", c->seq);
        return 0;
    }
    json_t *p = json_pack("{s:s}", "resourceType", "Patient");
    cv_mark(c, 1);    /* set id: structure, not content */
    push_reps(c, p, "identifier", 2, hxe_conv_identifier);
    push_reps(c, p, "identifier", 3, hxe_conv_identifier);
    push_reps(c, p, "identifier", 4, hxe_conv_identifier);
    json_t *ssn = cv_jstr(m, cv_comp(m, cv_f(c, 19), 1));
    if (ssn)
        cv_push(p, "identifier",
                json_pack("{s:o,s:s,s:o}", "type", cv_cc1(V2_CS "0203", "SS", NULL), "system",
                          "http://hl7.org/fhir/sid/us-ssn", "value", ssn));
    push_reps(c, p, "name", 5, hxe_conv_human_name);
    push_reps(c, p, "name", 9, hxe_conv_human_name);
    json_t *mmn = cv_jstr(m, cv_sub(m, cv_comp(m, cv_f(c, 6), 1), 1));
    if (mmn)
        cv_push(p, "extension",
                json_pack("{s:s,s:o}", "url",
                          "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName",
                          "valueString", mmn));
    push_reps(c, p, "telecom", 13, hxe_conv_contact_point);
    telecom_use(p, "home");
    size_t nt = json_array_size(json_object_get(p, "telecom"));
    push_reps(c, p, "telecom", 14, hxe_conv_contact_point);
    for (size_t i = nt; i < json_array_size(json_object_get(p, "telecom")); i++) {
        json_t *t = json_array_get(json_object_get(p, "telecom"), i);
        if (!json_object_get(t, "use"))
            json_object_set_new(t, "use", json_string("work"));
    }
    char g[8];
    const char *fc;
    size_t ng = cv_cpy(m, cv_comp(m, cv_f(c, 8), 1), g, sizeof g);
    if (ng && hxe_conv_vocab("AdministrativeSex", g, ng, &fc, NULL, NULL) == 0)
        json_object_set_new(p, "gender", json_string(fc));
    else if (ng)
        cv_issue(c, HXE_SEV_WARNING, 8, "PID-8: code not in the IG's AdministrativeSex map");
    cv_set(p, "birthDate", cv_when(c, 7, 1));
    char dc[4];
    cv_cpy(m, cv_f(c, 30), dc, sizeof dc);
    json_t *dt = cv_when(c, 29, 0);
    if (dt)
        json_object_set_new(p, "deceasedDateTime", dt);
    else if (dc[0] == 'Y' || dc[0] == 'N')
        json_object_set_new(p, "deceasedBoolean", json_boolean(dc[0] == 'Y'));
    push_reps(c, p, "address", 11, hxe_conv_address);
    cv_push(p, "extension", omb(c, 10, "race", "hxe-OmbRace", "HL70005", 6));
    cv_push(p, "extension", omb(c, 22, "ethnicity", "hxe-OmbEthnicity", "HL70189", 1));
    json_t *ms = cv_empty(cv_f(c, 16)) ? NULL : cv_vocab_cc(m, "MaritalStatus", cv_f(c, 16));
    if (ms && !json_object_get(json_array_get(json_object_get(ms, "coding"), 0), "system")) {
        json_t *cd = json_array_get(json_object_get(ms, "coding"), 0);
        json_object_set_new(cd, "system", json_string(V2_CS "0002"));
    }
    cv_set(p, "maritalStatus", ms);
    json_t *lang = hxe_conv_codeable(m, cv_f(c, 15));
    if (lang)
        cv_push(p, "communication", json_pack("{s:o}", "language", lang));
    char mb[4];
    cv_cpy(m, cv_f(c, 24), mb, sizeof mb);
    char bo[8];
    if (cv_cpy(m, cv_f(c, 25), bo, sizeof bo) && strspn(bo, "0123456789") == strlen(bo) &&
        strlen(bo) < 6)
        json_object_set_new(p, "multipleBirthInteger", json_integer(atoi(bo)));
    else if (mb[0] == 'Y' || mb[0] == 'N')
        json_object_set_new(p, "multipleBirthBoolean", json_boolean(mb[0] == 'Y'));
    /* US Core Patient: identifier with system and value, a name, gender */
    int us = json_object_get(p, "name") && json_object_get(p, "gender") &&
             json_array_size(json_object_get(p, "identifier")) > 0;
    json_t *id;
    size_t i;
    json_array_foreach(json_object_get(p, "identifier"), i, id) if (!json_object_get(id, "system"))
        us = 0;
    if (us)
        cv_profile(p, US_CORE "us-core-patient");
    char q[512];
    int have_q = 0;
    json_array_foreach(json_object_get(p, "identifier"), i, id) if (!have_q &&
                                                                   cv_ident_query(id, q, sizeof q) == 0)
        have_q = 1;
    if (!have_q)
        cv_issue(c, HXE_SEV_WARNING, 3,
                 "PID-3: no identifier with a system; the Patient is created unconditionally");
    c->patient_res = cv_add(c, p, "patient", have_q ? q : NULL, 1, c->patient);
    return 0;
}

int cv_pd1(cv *c)
{
    if (!c->patient_res)
        return 0;
    c->seg_res = c->patient_res;
    hxe_slice v = cv_f(c, 4);
    for (unsigned r = 1; r <= cv_nrep(c->m, v); r++) {
        char salt[16];
        snprintf(salt, sizeof salt, "pcp%u", r);
        cv_push(c->patient_res, "generalPractitioner",
                cv_practitioner_ref(c, cv_rep(c->m, v, r), salt));
    }
    v = cv_f(c, 3);
    for (unsigned r = 1; r <= cv_nrep(c->m, v); r++) {
        char salt[16];
        snprintf(salt, sizeof salt, "org%u", r);
        cv_push(c->patient_res, "generalPractitioner", cv_org_ref(c, cv_rep(c->m, v, r), 0, salt));
    }
    return 0;
}

int cv_nk1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    json_t *rp = json_pack("{s:s,s:o}", "resourceType", "RelatedPerson", "patient",
                           cv_ref(c->patient));
    push_reps(c, rp, "name", 2, hxe_conv_human_name);
    json_t *rel = hxe_conv_codeable(m, cv_f(c, 3));
    if (rel) {
        json_t *cd = json_array_get(json_object_get(rel, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0063"));
    }
    cv_push(rp, "relationship", rel);
    cv_push(rp, "relationship", hxe_conv_codeable(m, cv_f(c, 7)));
    push_reps(c, rp, "address", 4, hxe_conv_address);
    push_reps(c, rp, "telecom", 5, hxe_conv_contact_point);
    push_reps(c, rp, "telecom", 6, hxe_conv_contact_point);
    cv_set(rp, "birthDate", cv_when(c, 16, 1));
    char g[8];
    const char *fc;
    size_t ng = cv_cpy(m, cv_comp(m, cv_f(c, 15), 1), g, sizeof g);
    if (ng && hxe_conv_vocab("AdministrativeSex", g, ng, &fc, NULL, NULL) == 0)
        json_object_set_new(rp, "gender", json_string(fc));
    json_object_set_new(rp, "active", json_true());
    if (json_object_get(rp, "name"))
        cv_profile(rp, US_CORE "us-core-relatedperson");
    cv_mark(c, 1);
    cv_add(c, rp, "nk1", NULL, 0, NULL);
    return 0;
}

/* MRG (ADT^A40 merge): the surviving Patient (this message's PID)
 * replaces the one MRG-1 names, referenced by identifier (a logical
 * reference: the server resolves it; the old record is not edited) */
int cv_mrg(cv *c)
{
    if (!c->patient_res)
        return 0;
    c->seg_res = c->patient_res;
    hxe_slice v = cv_f(c, 1);
    for (unsigned r = 1; r <= cv_nrep(c->m, v); r++) {
        json_t *id = hxe_conv_identifier(c->m, cv_rep(c->m, v, r));
        if (id)
            cv_push(c->patient_res, "link",
                    json_pack("{s:{s:s,s:o},s:s}", "other", "type", "Patient", "identifier", id,
                              "type", "replaces"));
    }
    if (!json_object_get(c->patient_res, "link"))
        cv_issue(c, HXE_SEV_WARNING, 1, "MRG[%u]-1: no prior identifier, nothing to link", c->seq);
    return 0;
}
