/*
 * actors.c — entries for the places and roles other resources point at:
 * a PL (PV1-3, AIL-3) -> a chain of Locations, per the IG's PL[Location]
 * map (bed partOf room partOf point of care partOf floor partOf building
 * partOf facility, each level that is valued); an ordering provider with
 * its facility (ORC-12, ORC-21..23) -> a PractitionerRole, per the IG's
 * ORC[ServiceRequest] requester(PractitionerRole) rows.
 *
 * Like Practitioners and Organizations, these are actors: the same one
 * written twice in a message is one entry (bundle.c), and the entry is
 * conditional on an identifier only when one has a system.
 */
#include "convert/internal.h"

#include <string.h>

#define LOC_PT "http://terminology.hl7.org/CodeSystem/location-physical-type"

/* PL components from the outermost level in: the IG's physical type of
 * each (the point of care has none the IG settles on) */
static const struct {
    unsigned comp;
    const char *type, *display;
} levels[] = {
    {4, "si", "Site"}, {7, "bu", "Building"}, {8, "lvl", "Level"},
    {1, NULL, NULL},   {2, "ro", "Room"},     {3, "bd", "Bed"},
};
#define NLEVELS (sizeof levels / sizeof levels[0])

/* one level's HD (sub: the message read with subcomponents as
 * components): name from HD.1 (else HD.2), identifier from HD.2/.3 */
static json_t *level(const hxe_hl7_msg *m, const hxe_hl7_msg *sub, hxe_slice hd, unsigned i)
{
    json_t *name = cv_jstr(m, cv_sub(m, hd, 1));
    json_t *org = hxe_conv_organization(sub, hd, 1); /* the HD's identifier, as HD[Identifier] */
    json_t *id = json_incref(json_array_get(json_object_get(org, "identifier"), 0));
    json_decref(org);
    if (!name && id)
        name = json_copy(json_object_get(id, "value"));
    if (!name) {
        json_decref(id);
        return NULL;
    }
    json_t *l = json_pack("{s:s}", "resourceType", "Location");
    cv_push(l, "identifier", id);
    json_object_set_new(l, "name", name);
    json_object_set_new(l, "mode", json_string("instance"));
    if (levels[i].type)
        json_object_set_new(l, "physicalType", cv_cc1(LOC_PT, levels[i].type, levels[i].display));
    return l;
}

json_t *cv_location_ref(cv *c, hxe_slice pl, const char *salt)
{
    const hxe_hl7_msg *m = c->m;
    char url[CV_URL] = "", part[CV_URL];
    json_t *last = NULL;
    /* a PL's HD components are written with subcomponents */
    hxe_hl7_msg sub = *m;
    sub.enc.cs = m->enc.ss ? m->enc.ss : m->enc.cs;
    for (unsigned i = 0; i < NLEVELS; i++) {
        hxe_slice hd = cv_comp(m, pl, levels[i].comp);
        json_t *l = level(m, &sub, hd, i);
        if (!l)
            continue;
        cv_set(l, "partOf", cv_ref(url));
        last = l;
        char s[48], q[512];
        snprintf(s, sizeof s, "%s-loc%u", salt, levels[i].comp);
        /* the most specific level gets PL.9 description, PL.10 identifier */
        int inner = 1;
        for (unsigned k = i + 1; k < NLEVELS; k++)
            if (!cv_empty(cv_comp(m, pl, levels[k].comp)))
                inner = 0;
        if (inner) {
            cv_set(l, "description", cv_jstr(m, cv_comp(m, pl, 9)));
            cv_push(l, "identifier", hxe_conv_ei(&sub, cv_comp(m, pl, 10)));
        }
        cv_profile(l, US_CORE "us-core-location");
        cv_add(c, l, s, cv_first_query(l, q, sizeof q), 1, part);
        memcpy(url, part, CV_URL);
    }
    if (!last)
        return NULL;
    /* the display: the levels as written, point of care first */
    char disp[200];
    size_t o = 0;
    for (unsigned k = 1; k <= 4 && o < sizeof disp - 1; k++) {
        char p[64];
        if (cv_cpy(m, cv_sub(m, cv_comp(m, pl, k), 1), p, sizeof p))
            o += (size_t)snprintf(disp + o, sizeof disp - o, "%s%s", o ? " " : "", p);
    }
    json_t *r = cv_ref(url);
    if (o)
        cv_set(r, "display", json_string(disp));
    return r;
}

/* the ordering facility: XON with its address and phones */
static json_t *facility_ref(cv *c, hxe_slice xon, hxe_slice xad, hxe_slice xtn, const char *salt)
{
    const hxe_hl7_msg *m = c->m;
    json_t *o = hxe_conv_organization(m, cv_rep(m, xon, 1), 0);
    if (!o)
        return NULL;
    for (unsigned r = 1; r <= cv_nrep(m, xad); r++)
        cv_push(o, "address", hxe_conv_address(m, cv_rep(m, xad, r)));
    for (unsigned r = 1; r <= cv_nrep(m, xtn); r++)
        cv_push(o, "telecom", hxe_conv_contact_point(m, cv_rep(m, xtn, r)));
    if (json_object_get(o, "name"))
        json_object_set_new(o, "active", json_true());
    char url[CV_URL], q[512], s[48];
    snprintf(s, sizeof s, "%s-org", salt);
    cv_add(c, o, s, cv_first_query(o, q, sizeof q), 1, url);
    return cv_ref(url);
}

json_t *cv_role_ref(cv *c, hxe_slice xcn, hxe_slice xon, hxe_slice xad, hxe_slice xtn,
                    const char *salt)
{
    json_t *pr = cv_practitioner_ref(c, cv_rep(c->m, xcn, 1), salt);
    json_t *org = cv_empty(xon) ? NULL : facility_ref(c, xon, xad, xtn, salt);
    if (!pr && !org)
        return NULL;
    json_t *disp = pr ? json_incref(json_object_get(pr, "display")) : NULL;
    json_t *role = json_pack("{s:s}", "resourceType", "PractitionerRole");
    cv_set(role, "practitioner", pr);
    cv_set(role, "organization", org);
    char url[CV_URL], s[48];
    snprintf(s, sizeof s, "%s-role", salt);
    cv_add(c, role, s, NULL, 0, url);
    json_t *r = cv_ref(url);
    cv_set(r, "display", disp);
    return r;
}
