/*
 * seg_fin.c — charges and procedures: FT1 -> ChargeItem (DFT P03) and
 * PR1 -> Procedure (PR1[Procedure]; DFT and the ADT messages that carry
 * it). The IG has no DFT message map and no FT1 segment map: the FT1
 * map is hxe's own, on R4 ChargeItem, and docs/v2-to-fhir.md lists it
 * field by field. Only charges (FT1-6 CG) are ChargeItems; credits,
 * payments and adjustments are reported, not mapped.
 */
#include "convert/internal.h"

#include <string.h>

#define SCT "http://snomed.info/sct"

/* CP (price: MO quantity ^ denomination) -> Money, NULL when it has no
 * number; the currency only when it is an ISO 4217 code */
static json_t *money(const hxe_hl7_msg *m, hxe_slice cp)
{
    hxe_hl7_msg sub = *m;   /* CP.1 is an MO written with subcomponents */
    sub.enc.cs = m->enc.ss ? m->enc.ss : m->enc.cs;
    hxe_slice mo = cv_comp(m, cp, 1);
    const char *k;
    json_t *q = hxe_conv_obs_value(m, "NM", cv_comp(&sub, mo, 1), HXE_SLICE_EMPTY, &k);
    if (!q || strcmp(k, "valueQuantity") != 0) {
        json_decref(q);
        return NULL;
    }
    json_t *mn = json_pack("{s:O}", "value", json_object_get(q, "value"));
    json_decref(q);
    char cur[8];
    if (cv_cpy(m, cv_comp(&sub, mo, 2), cur, sizeof cur) == 3 && strspn(cur, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == 3)
        json_object_set_new(mn, "currency", json_string(cur));
    return mn;
}

int cv_ft1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    char ty[8];
    cv_cpy(m, cv_comp(m, cv_f(c, 6), 1), ty, sizeof ty);
    if (strcmp(ty, "CG") != 0) {
        cv_issue(c, HXE_SEV_WARNING, 6,
                 "FT1[%u]-6: not a charge (CG); credits, payments and adjustments are not mapped",
                 c->seq);
        return 0;
    }
    json_t *ci = json_pack("{s:s,s:s}", "resourceType", "ChargeItem", "status", "billable");
    json_t *tid = cv_jstr(m, cv_f(c, 2));
    if (tid)
        cv_push(ci, "identifier", json_pack("{s:o}", "value", tid));
    /* code: FT1-7 transaction code, else FT1-25 procedure code */
    json_t *code = hxe_conv_codeable(m, cv_f(c, 7));
    if (!code)
        code = hxe_conv_codeable(m, cv_rep(m, cv_f(c, 25), 1));
    if (!code) {
        cv_issue(c, HXE_SEV_WARNING, 7, "FT1[%u]-7: no transaction code, the code says unknown",
                 c->seq);
        code = json_pack("{s:s}", "text", "unknown");
    }
    json_object_set_new(ci, "code", code);
    json_object_set_new(ci, "subject", cv_ref(c->patient));
    cv_set(ci, "context", cv_ref(c->encounter));
    /* FT1-4 transaction date: a DR (start ^ end), a TS before v2.5 */
    hxe_slice dr = cv_f(c, 4);
    json_t *s = cv_jdate(m, cv_sub(m, cv_comp(m, dr, 1), 1), c->tz, 0);
    json_t *e = cv_jdate(m, cv_sub(m, cv_comp(m, dr, 2), 1), c->tz, 0);
    if (!s && !cv_empty(dr))
        cv_issue(c, HXE_SEV_INFO, 4, "FT1[%u]-4: not a date/time FHIR can hold, not mapped",
                 c->seq);
    if (e) {
        json_t *per = json_object();
        cv_set(per, "start", s);
        json_object_set_new(per, "end", e);
        json_object_set_new(ci, "occurrencePeriod", per);
    } else {
        cv_set(ci, "occurrenceDateTime", s);
    }
    hxe_slice pf = cv_f(c, 20);
    for (unsigned r = 1; r <= cv_nrep(m, pf); r++) {
        char salt[16];
        snprintf(salt, sizeof salt, "ft1-20-%u", r);
        json_t *who = cv_practitioner_ref(c, cv_rep(m, pf, r), salt);
        if (who)
            cv_push(ci, "performer", json_pack("{s:o}", "actor", who));
    }
    char qv[32];
    if (cv_cpy(m, cv_f(c, 10), qv, sizeof qv)) {
        const char *k;
        json_t *q = hxe_conv_obs_value(m, "NM", cv_f(c, 10), HXE_SLICE_EMPTY, &k);
        if (q && strcmp(k, "valueQuantity") == 0)
            json_object_set_new(ci, "quantity", q);
        else {
            json_decref(q);
            cv_issue(c, HXE_SEV_INFO, 10, "FT1[%u]-10: not a number, not mapped", c->seq);
        }
    }
    cv_set(ci, "priceOverride", money(m, cv_f(c, 11)));
    cv_set(ci, "enteredDate", cv_when(c, 5, 0));
    cv_set(ci, "enterer", cv_practitioner_ref(c, cv_rep(m, cv_f(c, 24), 1), "ft1-24"));
    hxe_slice dx = cv_f(c, 19);
    for (unsigned r = 1; r <= cv_nrep(m, dx); r++)
        cv_push(ci, "reason", hxe_conv_codeable(m, cv_rep(m, dx, r)));
    cv_mark(c, 1);
    char salt[16];
    snprintf(salt, sizeof salt, "ft1-%u", c->seq);
    json_t *r = cv_add(c, ci, salt, NULL, 0, NULL);
    c->notes_target = r;
    return 0;
}

int cv_pr1(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!c->patient[0])
        return 0;
    json_t *code = hxe_conv_codeable(m, cv_rep(m, cv_f(c, 3), 1));
    json_t *desc = cv_jstr(m, cv_f(c, 4));
    if (!code && !desc) {
        cv_issue(c, HXE_SEV_WARNING, 3, "PR1[%u]-3: no procedure code, not mapped", c->seq);
        return 0;
    }
    if (!code)
        code = json_object();
    if (desc && !json_object_get(code, "text"))
        json_object_set_new(code, "text", desc);
    else
        json_decref(desc);
    /* the IG leaves the status to the message: a charge is for a done
     * procedure; elsewhere it is not known */
    int done = strcmp(c->msgtype, "DFT_P03") == 0;
    json_t *p = json_pack("{s:s,s:s}", "resourceType", "Procedure", "status",
                          done ? "completed" : "unknown");
    hxe_slice ids = cv_f(c, 19);
    for (unsigned r = 1; r <= cv_nrep(m, ids); r++)
        cv_push(p, "identifier", hxe_conv_ei(m, cv_rep(m, ids, r)));
    cv_set(p, "category", hxe_conv_codeable(m, cv_f(c, 6)));
    json_object_set_new(p, "code", code);
    json_object_set_new(p, "subject", cv_ref(c->patient));
    cv_set(p, "encounter", cv_ref(c->encounter));
    cv_set(p, "performedDateTime", cv_when(c, 5, 0));
    static const struct {
        unsigned f;
        const char *fn, *disp;
    } perf[] = {{8, "88189002", "Anesthesiologist"}, {11, "304292004", "Surgeon"}, {12, NULL, NULL}};
    for (size_t i = 0; i < sizeof perf / sizeof perf[0]; i++) {
        char salt[16];
        snprintf(salt, sizeof salt, "pr1-%u", perf[i].f);
        json_t *who = cv_practitioner_ref(c, cv_rep(m, cv_f(c, perf[i].f), 1), salt);
        if (!who)
            continue;
        json_t *pe = json_pack("{s:o}", "actor", who);
        if (perf[i].fn)
            json_object_set_new(pe, "function", cv_cc1(SCT, perf[i].fn, perf[i].disp));
        cv_push(p, "performer", pe);
    }
    hxe_slice dx = cv_f(c, 15);
    for (unsigned r = 1; r <= cv_nrep(m, dx); r++)
        cv_push(p, "reasonCode", hxe_conv_codeable(m, cv_rep(m, dx, r)));
    cv_set(p, "location", cv_location_ref(c, cv_rep(m, cv_f(c, 23), 1), "pr1-23"));
    /* US Core: a coded procedure, and a time when it is done (us-core-7) */
    if (json_object_get(json_object_get(p, "code"), "coding") &&
        (!done || json_object_get(p, "performedDateTime")))
        cv_profile(p, US_CORE "us-core-procedure");
    cv_mark(c, 1);
    cv_mark(c, 2);   /* coding method: deprecated, CNE.3 says it */
    char salt[16], q[512];
    snprintf(salt, sizeof salt, "pr1-%u", c->seq);
    c->notes_target = cv_add(c, p, salt, cv_first_query(p, q, sizeof q), 1, NULL);
    return 0;
}
