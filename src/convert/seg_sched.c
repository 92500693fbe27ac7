/*
 * seg_sched.c — the IG's segment maps for scheduling (SIU S12 to S15):
 * SCH -> Appointment (identifiers, status, reason, type, duration, start
 * and end, contacts as participants, the orders it is based on), AIS ->
 * serviceType, AIG/AIL/AIP -> participants (a resource, a Location, a
 * Practitioner), RGS -> nothing to carry; the patient of the PID that
 * follows joins as a participant when the message ends (cv_appt_finish).
 * NTE after any of them goes to Appointment.comment (seg_order.c).
 */
#include "convert/internal.h"

#include <stdlib.h>
#include <string.h>

/* an Appointment instant from a TS/DTM v2 value (component or field f of
 * the segment, for issues); NULL with an issue when it cannot be one */
static json_t *instant(cv *c, hxe_slice ts, unsigned f)
{
    char in[64], out[48];
    const char *id = c->m->segs[c->seg].id;
    size_t n = cv_cpy(c->m, cv_sub(c->m, ts, 1), in, sizeof in);
    if (!n)
        return NULL;
    int rc = hxe_conv_datetime(in, n, c->tz, out, sizeof out);
    if (rc < 0 || strlen(out) < 20) {
        cv_issue(c, HXE_SEV_INFO, f, "%s[%u]-%u: %s, not mapped", id, c->seq, f,
                 rc < 0     ? "not a valid date/time"
                 : rc == 1  ? "time without offset cannot be an instant (set a default offset)"
                            : "not a full time, cannot be an instant");
        return NULL;
    }
    return json_string(out);
}

/* adds a participant: type (a CodeableConcept, may be NULL), actor */
static void participant(cv *c, json_t *type, json_t *actor, json_t *period)
{
    if (!c->appt_res || (!type && !actor)) {
        json_decref(type);
        json_decref(actor);
        json_decref(period);
        return;
    }
    json_t *p = json_object();
    if (type)
        cv_push(p, "type", type);
    cv_set(p, "actor", actor);
    json_object_set_new(p, "status", json_string("accepted"));
    cv_set(p, "period", period);
    cv_push(c->appt_res, "participant", p);
}

static json_t *text_cc(const char *t)
{
    return json_pack("{s:s}", "text", t);
}

/* Appointment.status: SCH-25 (or AIS-10) through the IG's
 * FillerStatusCodes[Appointment]; 0 when the code maps to nothing */
static int filler_status(cv *c, hxe_slice cwe, const char **status)
{
    char v[32];
    const char *fc;
    size_t n = cv_cpy(c->m, cv_comp(c->m, cwe, 1), v, sizeof v);
    if (n && hxe_conv_vocab("FillerStatusCodes[Appointment]", v, n, &fc, NULL, NULL) == 0 && *fc) {
        *status = fc;
        return 1;
    }
    return 0;
}

/* SCH-9 with SCH-10 units -> minutesDuration (a positiveInt) */
static void duration(cv *c, json_t *a)
{
    char v[16], u[16];
    if (!cv_cpy(c->m, cv_f(c, 9), v, sizeof v))
        return;
    cv_cpy(c->m, cv_comp(c->m, cv_f(c, 10), 1), u, sizeof u);
    long k = strspn(v, "0123456789") == strlen(v) && strlen(v) < 9 ? atol(v) : 0;
    long mul = 0;
    if (!u[0] || strcmp(u, "min") == 0 || strcmp(u, "MIN") == 0 || strcmp(u, "m") == 0 ||
        strcmp(u, "M") == 0)
        mul = 1;
    else if (strcmp(u, "h") == 0 || strcmp(u, "H") == 0 || strcmp(u, "HR") == 0 ||
             strcmp(u, "hr") == 0)
        mul = 60;
    if (k > 0 && mul)
        json_object_set_new(a, "minutesDuration", json_integer(k * mul));
    else
        cv_issue(c, HXE_SEV_INFO, 9, "SCH[%u]-9/10: not a whole number of minutes or hours, not mapped",
                 c->seq);
}

int cv_sch(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (c->appt_res) {
        cv_issue(c, HXE_SEV_WARNING, 0, "SCH[%u]: a second appointment, not mapped", c->seq);
        return 0;
    }
    json_t *a = json_pack("{s:s}", "resourceType", "Appointment");
    json_t *pl = hxe_conv_ei(m, cv_f(c, 1)), *fl = hxe_conv_ei(m, cv_f(c, 2));
    if (pl)
        json_object_set_new(pl, "type", cv_cc1(V2_CS "0203", "PLAC", NULL));
    if (fl)
        json_object_set_new(fl, "type", cv_cc1(V2_CS "0203", "FILL", NULL));
    cv_push(a, "identifier", pl);
    cv_push(a, "identifier", fl);
    /* status: SCH-25, else what the event says */
    char ev[8];
    hxe_slice e = HXE_SLICE_EMPTY;
    hxe_hl7_get_str(m, "MSH-9.2", &e);
    cv_cpy(m, e, ev, sizeof ev);
    const char *status = strcmp(ev, "S15") == 0 ? "cancelled" : "booked";
    hxe_slice st = cv_f(c, 25);
    if (!filler_status(c, st, &status) && !cv_empty(st))
        cv_issue(c, HXE_SEV_INFO, 25,
                 "SCH[%u]-25: no appointment status the IG maps; status from the event", c->seq);
    json_object_set_new(a, "status", json_string(status));
    /* SCH-7 reason, or a type when it is coded in table 0277 (IG) */
    hxe_slice r7 = cv_f(c, 7);
    char sys[16];
    cv_cpy(m, cv_comp(m, r7, 3), sys, sizeof sys);
    if (strcmp(sys, "HL70277") == 0)
        cv_set(a, "appointmentType", cv_vocab_cc(m, "AppointmentTypeCodes", r7));
    else if (!cv_empty(r7))
        cv_push(a, "reasonCode", cv_vocab_cc(m, "AppointmentReasonCodes", r7));
    if (!cv_empty(cv_f(c, 8)) && !json_object_get(a, "appointmentType"))
        cv_set(a, "appointmentType", cv_vocab_cc(m, "AppointmentTypeCodes", cv_f(c, 8)));
    duration(c, a);
    /* SCH-11 timing: TQ.4 start, TQ.5 end (TQ[Appointment]) */
    hxe_slice tq = cv_rep(m, cv_f(c, 11), 1);
    cv_set(a, "start", instant(c, cv_comp(m, tq, 4), 11));
    cv_set(a, "end", instant(c, cv_comp(m, tq, 5), 11));
    /* the orders it is based on, by identifier (SCH-26, SCH-27) */
    for (unsigned f = 26; f <= 27; f++) {
        json_t *id = hxe_conv_ei(m, cv_f(c, f));
        if (id)
            cv_push(a, "basedOn",
                    json_pack("{s:s,s:o}", "type", "ServiceRequest", "identifier", id));
    }
    char q[512];
    c->appt_res = cv_add(c, a, "appointment", cv_first_query(a, q, sizeof q), 1, c->appt);
    /* contacts: placer (SCH-12), filler (SCH-16), enterer (SCH-20); the
     * IG leaves the first two type codes open: they are named in text */
    static const struct {
        unsigned f;
        const char *text, *code;
    } contacts[] = {{12, "placer contact", NULL}, {16, "filler contact", NULL}, {20, NULL, "enterer"}};
    for (size_t i = 0; i < sizeof contacts / sizeof contacts[0]; i++) {
        char salt[16];
        snprintf(salt, sizeof salt, "sch%u", contacts[i].f);
        json_t *who = cv_practitioner_ref(c, cv_rep(m, cv_f(c, contacts[i].f), 1), salt);
        if (who)
            participant(c,
                        contacts[i].text
                            ? text_cc(contacts[i].text)
                            : cv_cc1("http://terminology.hl7.org/CodeSystem/provenance-participant-type",
                                     contacts[i].code, "Enterer"),
                        who, NULL);
    }
    cv_mark(c, 9);
    cv_mark(c, 10);
    c->notes_target = c->appt_res;
    return 0;
}

/* the resource segments hold no identity of their own: their content
 * goes to the Appointment */
static int appt_part(cv *c)
{
    if (!c->appt_res)
        return 0;
    cv_mark(c, 1);   /* set id */
    cv_mark(c, 2);   /* segment action code: the event says what changed */
    c->seg_res = c->appt_res;
    c->notes_target = c->appt_res;
    return 1;
}

int cv_rgs(cv *c)
{
    appt_part(c);
    return 0;
}

int cv_ais(cv *c)
{
    if (!appt_part(c))
        return 0;
    cv_push(c->appt_res, "serviceType", hxe_conv_codeable(c->m, cv_f(c, 3)));
    hxe_slice st = cv_f(c, 10);
    const char *status;
    hxe_slice s25 = HXE_SLICE_EMPTY;
    hxe_hl7_get_str(c->m, "SCH-25", &s25);
    if (cv_empty(s25) && filler_status(c, st, &status))
        json_object_set_new(c->appt_res, "status", json_string(status));
    return 0;
}

int cv_aig(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!appt_part(c))
        return 0;
    /* AIG-3 names the resource: a logical reference by identifier */
    hxe_slice id = cv_f(c, 3);
    json_t *actor = NULL;
    char sysname[32], uri[200];
    json_t *v = cv_jstr(m, cv_comp(m, id, 1));
    if (v) {
        json_t *ident = json_pack("{s:o}", "value", v);
        size_t ns = cv_cpy(m, cv_comp(m, id, 3), sysname, sizeof sysname);
        const char *u = ns ? hxe_conv_system_uri(sysname, ns, uri, sizeof uri) : NULL;
        if (u)
            json_object_set_new(ident, "system", json_string(u));
        actor = json_pack("{s:o}", "identifier", ident);
        cv_set(actor, "display", cv_jstr(m, cv_comp(m, id, 2)));
    }
    json_t *period = NULL, *start = cv_when(c, 8, 0);
    if (start)
        period = json_pack("{s:o}", "start", start);
    participant(c, hxe_conv_codeable(m, cv_f(c, 4)), actor, period);
    return 0;
}

int cv_ail(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!appt_part(c))
        return 0;
    json_t *loc = cv_location_ref(c, cv_rep(m, cv_f(c, 3), 1), "ail3");
    json_t *period = NULL, *start = cv_when(c, 6, 0);
    if (start)
        period = json_pack("{s:o}", "start", start);
    participant(c, hxe_conv_codeable(m, cv_f(c, 4)), loc, period);
    return 0;
}

int cv_aip(cv *c)
{
    const hxe_hl7_msg *m = c->m;
    if (!appt_part(c))
        return 0;
    json_t *who = cv_practitioner_ref(c, cv_rep(m, cv_f(c, 3), 1), "aip3");
    json_t *type = hxe_conv_codeable(m, cv_f(c, 4));
    json_t *period = NULL, *start = cv_when(c, 6, 0);
    if (start)
        period = json_pack("{s:o}", "start", start);
    participant(c, type, who, period);
    return 0;
}

void cv_appt_finish(cv *c)
{
    if (!c->appt_res)
        return;
    if (c->patient[0]) {
        /* the patient first (PID[Appointment]) */
        json_t *p = json_pack("{s:o,s:s}", "actor", cv_ref(c->patient), "status", "accepted");
        json_t *ps = json_object_get(c->appt_res, "participant");
        if (!ps) {
            ps = json_array();
            json_object_set_new(c->appt_res, "participant", ps);
        }
        json_array_insert_new(ps, 0, p);
    }
    /* R4 app-3: only proposed, cancelled and waitlisted appointments may
     * lack a start and an end */
    const char *st = json_string_value(json_object_get(c->appt_res, "status"));
    if ((!json_object_get(c->appt_res, "start") || !json_object_get(c->appt_res, "end")) &&
        strcmp(st, "proposed") != 0 && strcmp(st, "cancelled") != 0 && strcmp(st, "waitlist") != 0) {
        size_t seg = c->seg;
        unsigned seq = c->seq;
        c->seg = (size_t)hxe_hl7_find(c->m, "SCH", 1);
        c->seq = 1;
        cv_issue(c, HXE_SEV_WARNING, 11,
                 "SCH[1]-11: no start and end instants; FHIR wants them on a %s Appointment (app-3)",
                 st);
        c->seg = seg;
        c->seq = seq;
    }
}
