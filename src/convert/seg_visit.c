/*
 * seg_visit.c — the IG's segment maps around a visit: PV1/PV2 ->
 * Encounter (PV1-3 -> Location), AL1 -> AllergyIntolerance, DG1 ->
 * Condition, IN1 -> Coverage.
 */
#include "convert/internal.h"

#include <string.h>

static const char *pt = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

static void participant(cv *c, json_t *enc, unsigned f, const char *code, const char *disp)
{
    hxe_slice v = cv_f(c, f);
    for (unsigned r = 1; r <= cv_nrep(c->m, v); r++) {
        char salt[24];
        snprintf(salt, sizeof salt, "%s%u", code, r);
        json_t *ref = cv_practitioner_ref(c, cv_rep(c->m, v, r), salt);
        if (ref)
            cv_push(enc, "participant",
                    json_pack("{s:[o],s:o}", "type", cv_cc1(pt, code, disp), "individual", ref));
    }
}

/* Encounter.status from the event, PV1-45 and the message type */
static const char *enc_status(cv *c, int discharged)
{
    char ev[8];
    hxe_slice s = HXE_SLICE_EMPTY;
    hxe_hl7_get_str(c->m, "MSH-9.2", &s);
    cv_cpy(c->m, s, ev, sizeof ev);
    if (strcmp(ev, "A11") == 0)
        return "cancelled";
    if (strcmp(ev, "A03") == 0 || discharged)
        return "finished";
    if (strcmp(ev, "A05") == 0 || strcmp(ev, "A14") == 0)
        return "planned";
    if (strncmp(c->msgtype, "ADT", 3) == 0 && strcmp(ev, "A28") != 0 && strcmp(ev, "A31") != 0)
        return "in-progress";
    return "unknown";
}

int cv_pv1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (c->encounter_res || !c->patient[0])
        return 0;
    /* PV1 with class N (not applicable) and no visit number, as A28/A31
     * send it: there is no visit, so no Encounter */
    char cls[4];
    cv_cpy(m, cv_comp(m, cv_f(c, 2), 1), cls, sizeof cls);
    if (strcmp(cls, "N") == 0 && cv_empty(cv_f(c, 19))) {
        cv_mark(c, 1);
        cv_issue(c, HXE_SEV_INFO, 2, "PV1[%u]-2: not applicable and no visit number: no Encounter",
                 c->seq);
        return 0;
    }
    json_t *e = json_pack("{s:s}", "resourceType", "Encounter");
    cv_push(e, "identifier", hxe_conv_identifier(m, cv_rep(m, cv_f(c, 19), 1)));
    json_t *end = cv_when(c, 45, 0);
    json_object_set_new(e, "status", json_string(enc_status(c, end != NULL)));
    char pc[8];
    const char *fc, *fd, *fs;
    size_t n = cv_cpy(m, cv_comp(m, cv_f(c, 2), 1), pc, sizeof pc);
    if (n && hxe_conv_vocab("PatientClass[EncounterClass]", pc, n, &fc, &fd, &fs) == 0)
        json_object_set_new(e, "class", cv_coding(fs, fc, fd));
    else
        json_object_set_new(e, "class", cv_coding("http://terminology.hl7.org/CodeSystem/v3-NullFlavor",
                                                  "UNK", "unknown"));
    json_t *ty = hxe_conv_codeable(m, cv_f(c, 4));
    if (ty) {
        json_t *cd = json_array_get(json_object_get(ty, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0007"));
        cv_push(e, "type", ty);
    }
    json_t *st = hxe_conv_codeable(m, cv_f(c, 10));
    if (st) {
        json_t *cd = json_array_get(json_object_get(st, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0069"));
    }
    cv_set(e, "serviceType", st);
    json_object_set_new(e, "subject", cv_ref(c->patient));
    participant(c, e, 7, "ATND", "attender");
    participant(c, e, 8, "REF", "referrer");
    participant(c, e, 9, "CON", "consultant");
    participant(c, e, 17, "ADM", "admitter");
    json_t *start = cv_when(c, 44, 0);
    cv_mark(c, 45);
    if (start || end) {
        json_t *per = json_object();
        cv_set(per, "start", start);
        cv_set(per, "end", end);
        json_object_set_new(e, "period", per);
    }
    /* PV1-3: Locations (PL[Location]); planned for a pre-admit (IG) */
    json_t *loc = cv_location_ref(c, cv_rep(m, cv_f(c, 3), 1), "pv1-3");
    if (loc)
        cv_push(e, "location", json_pack("{s:o,s:s}", "location", loc, "status",
                                         strcmp(cls, "P") == 0 ? "planned" : "active"));
    json_t *dd = hxe_conv_codeable(m, cv_f(c, 36));
    if (dd) {
        json_t *cd = json_array_get(json_object_get(dd, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0112"));
        json_object_set_new(e, "hospitalization", json_pack("{s:o}", "dischargeDisposition", dd));
    }
    if (json_object_get(e, "type"))
        cv_profile(e, US_CORE "us-core-encounter");
    char q[512];
    json_t *id = json_array_get(json_object_get(e, "identifier"), 0);
    int hq = id && cv_ident_query(id, q, sizeof q) == 0;
    c->encounter_res = cv_add(c, e, "encounter", hq ? q : NULL, 1, c->encounter);
    cv_mark(c, 1);
    return 0;
}

int cv_pv2(cv *c)
{
    if (!c->encounter_res)
        return 0;
    cv_push(c->encounter_res, "reasonCode", hxe_conv_codeable(c->m, cv_f(c, 3)));
    return 0;
}

int cv_al1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    json_t *code = hxe_conv_codeable(m, cv_f(c, 3));
    if (!code) {
        cv_issue(c, HXE_SEV_WARNING, 3, "AL1[%u]-3: no allergen code, not mapped", c->seq);
        return 0;
    }
    json_t *a = json_pack("{s:s,s:o}", "resourceType", "AllergyIntolerance", "clinicalStatus",
                          cv_cc1("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                 "active", NULL));
    char v[16];
    const char *fc;
    size_t n = cv_cpy(m, cv_comp(m, cv_f(c, 2), 1), v, sizeof v);
    if (n && hxe_conv_vocab("AllergenType[AllergyIntoleranceCategory]", v, n, &fc, NULL, NULL) == 0)
        json_object_set_new(a, "category", json_pack("[s]", fc));
    json_object_set_new(a, "code", code);
    json_object_set_new(a, "patient", cv_ref(c->patient));
    n = cv_cpy(m, cv_comp(m, cv_f(c, 4), 1), v, sizeof v);
    if (n && hxe_conv_vocab("AllergySeverity[AllergyIntolerance.criticality]", v, n, &fc, NULL,
                            NULL) == 0)
        json_object_set_new(a, "criticality", json_string(fc));
    hxe_slice rx = cv_f(c, 5);
    for (unsigned r = 1; r <= cv_nrep(m, rx); r++) {
        json_t *t = cv_jstr(m, cv_rep(m, rx, r));
        if (t)
            cv_push(a, "reaction", json_pack("{s:[{s:o}]}", "manifestation", "text", t));
    }
    cv_set(a, "onsetDateTime", cv_when(c, 6, 0));
    cv_profile(a, US_CORE "us-core-allergyintolerance");
    cv_mark(c, 1);
    char salt[16];
    snprintf(salt, sizeof salt, "al1-%u", c->seq);
    cv_add(c, a, salt, NULL, 0, NULL);
    return 0;
}

int cv_dg1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    json_t *code = hxe_conv_codeable(m, cv_f(c, 3));
    if (!code) {
        cv_issue(c, HXE_SEV_WARNING, 3, "DG1[%u]-3: no diagnosis code, not mapped", c->seq);
        return 0;
    }
    json_t *d = json_pack("{s:s}", "resourceType", "Condition");
    cv_push(d, "identifier", hxe_conv_ei(m, cv_f(c, 20)));
    json_object_set_new(d, "category",
                        json_pack("[o]", cv_cc1("http://terminology.hl7.org/CodeSystem/condition-category",
                                                "encounter-diagnosis", "Encounter Diagnosis")));
    json_object_set_new(d, "code", code);
    json_object_set_new(d, "subject", cv_ref(c->patient));
    cv_set(d, "encounter", cv_ref(c->encounter));
    cv_set(d, "onsetDateTime", cv_when(c, 5, 0));
    cv_set(d, "recordedDate", cv_when(c, 19, 0));
    cv_profile(d, US_CORE "us-core-condition-encounter-diagnosis");
    cv_mark(c, 1);
    char q[512], salt[16];
    json_t *id = json_array_get(json_object_get(d, "identifier"), 0);
    int hq = id && cv_ident_query(id, q, sizeof q) == 0;
    snprintf(salt, sizeof salt, "dg1-%u", c->seq);
    cv_add(c, d, salt, hq ? q : NULL, 1, NULL);
    return 0;
}

int cv_in1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    char salt[16];
    snprintf(salt, sizeof salt, "payor%u", c->seq);
    /* the payor: IN1-4 name with IN1-3 company id */
    json_t *org = json_pack("{s:s}", "resourceType", "Organization");
    cv_push(org, "identifier", hxe_conv_identifier(m, cv_rep(m, cv_f(c, 3), 1)));
    cv_set(org, "name", cv_jstr(m, cv_comp(m, cv_rep(m, cv_f(c, 4), 1), 1)));
    cv_push(org, "address", hxe_conv_address(m, cv_rep(m, cv_f(c, 5), 1)));
    if (json_object_size(org) == 1) {
        json_decref(org);
        cv_issue(c, HXE_SEV_WARNING, 3, "IN1[%u]-3/4: no insurer, Coverage not mapped", c->seq);
        return 0;
    }
    json_object_set_new(org, "active", json_true());
    char ourl[CV_URL], q[512];
    json_t *oid = json_array_get(json_object_get(org, "identifier"), 0);
    int hq = oid && cv_ident_query(oid, q, sizeof q) == 0;
    cv_add(c, org, salt, hq ? q : NULL, 1, ourl);
    json_t *cov = json_pack("{s:s,s:s}", "resourceType", "Coverage", "status", "active");
    cv_push(cov, "identifier", hxe_conv_identifier(m, cv_rep(m, cv_f(c, 36), 1)));
    json_t *plan = cv_jstr(m, cv_comp(m, cv_f(c, 2), 1));
    cv_set(cov, "type", hxe_conv_codeable(m, cv_f(c, 15)));
    json_object_set_new(cov, "beneficiary", cv_ref(c->patient));
    json_t *rel = hxe_conv_codeable(m, cv_f(c, 17));
    if (rel) {
        json_t *cd = json_array_get(json_object_get(rel, "coding"), 0);
        if (cd && !json_object_get(cd, "system"))
            json_object_set_new(cd, "system", json_string(V2_CS "0063"));
    }
    cv_set(cov, "relationship", rel);
    json_t *s = cv_when(c, 12, 1), *e = cv_when(c, 13, 1);
    if (s || e) {
        json_t *per = json_object();
        cv_set(per, "start", s);
        cv_set(per, "end", e);
        json_object_set_new(cov, "period", per);
    }
    json_object_set_new(cov, "payor", json_pack("[o]", cv_ref(ourl)));
    if (plan)
        json_object_set_new(cov, "class",
                            json_pack("[{s:o,s:o}]", "type",
                                      cv_cc1("http://terminology.hl7.org/CodeSystem/coverage-class",
                                             "plan", NULL),
                                      "value", plan));
    cv_mark(c, 1);
    json_t *id = json_array_get(json_object_get(cov, "identifier"), 0);
    hq = id && cv_ident_query(id, q, sizeof q) == 0;
    snprintf(salt, sizeof salt, "in1-%u", c->seq);
    cv_add(c, cov, salt, hq ? q : NULL, 1, NULL);
    return 0;
}
