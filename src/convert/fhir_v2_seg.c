/*
 * fhir_v2_seg.c — FHIR -> HL7 v2 segments about the patient and the visit:
 * Patient -> PID (+ PD1 for the general practitioner), Encounter -> PV1,
 * Coverage -> IN1, notes -> NTE. Each is the IG's segment map (seg_*.c)
 * read backwards, so that converting the message again gives back what was
 * sent; each ends by listing, as informational issues, the elements of its
 * resource no field carries.
 */
#include "convert/internal.h"

#include <string.h>
#include <strings.h>

#define SD "http://hl7.org/fhir/StructureDefinition/"
#define USCORE_SD "http://hl7.org/fhir/us/core/StructureDefinition/"

/* ---- PID ---- */

/* US Core race / ethnicity: ombCategory and detailed codings -> CE reps */
static void omb(fv *c, const json_t *ext, unsigned f)
{
    size_t i;
    json_t *x;
    unsigned r = 0;
    json_array_foreach(json_object_get(ext, "extension"), i, x) {
        const char *u = fv_str(x, "url");
        if (u && (strcmp(u, "ombCategory") == 0 || strcmp(u, "detailed") == 0))
            r += (unsigned)fv_coding(c, (fv_at){f, r + 1, 0}, 1, json_object_get(x, "valueCoding"),
                                     1, f == 10 ? "Patient.extension[us-core-race]"
                                                : "Patient.extension[us-core-ethnicity]");
    }
}

static void patient_extensions(fv *c, const json_t *p)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(p, "extension"), i, x) {
        const char *u = fv_str(x, "url");
        if (!u)
            continue;
        if (strcmp(u, USCORE_SD "us-core-race") == 0) {
            omb(c, x, 10);
        } else if (strcmp(u, USCORE_SD "us-core-ethnicity") == 0) {
            omb(c, x, 22);
        } else if (strcmp(u, SD "patient-mothersMaidenName") == 0) {
            fv_set(c, 6, 1, 1, 1, fv_str(x, "valueString"));
        } else {
            const char *tail = strrchr(u, '/');
            fv_issue(c, HXE_SEV_INFO, 0, "Patient.extension[%s]: not carried by hxe in v2",
                     fv_safe(tail ? tail + 1 : u));
        }
    }
}

static const char *const pid_carried[] = {
    "identifier", "name", "telecom", "gender", "birthDate", "deceasedBoolean", "deceasedDateTime",
    "address", "maritalStatus", "multipleBirthBoolean", "multipleBirthInteger", "communication",
    "generalPractitioner", "extension", NULL};

int fv_pid(fv *c, const json_t *subject_ref)
{
    const json_t *p = c->patient, *x;
    size_t i;
    unsigned r = 0;
    fv_seg(c, "PID");
    fv_set(c, 1, 1, 0, 0, "1");
    if (!p) {
        /* a subject not in the input: a logical reference's identifier */
        x = json_object_get(subject_ref, "identifier");
        r = (unsigned)fv_cx(c, (fv_at){3, 1, 0}, x);
        fv_issue(c, HXE_SEV_WARNING, 5,
                 "PID: the Patient is not in the input; PID-3 %s, PID-5 (required) empty",
                 r ? "from the reference's identifier" : "(required) empty too");
        return c->rc;
    }
    fv_used(c, p);
    int ssn = 0;
    json_array_foreach(json_object_get(p, "identifier"), i, x) {
        const char *sys = fv_str(x, "system"), *ty = NULL;
        const json_t *cd = fv_coding_of(json_object_get(x, "type"), V2_CS "0203");
        ty = fv_str(cd, "code");
        if (!ssn && fv_str(x, "value") &&
            ((sys && strcmp(sys, "http://hl7.org/fhir/sid/us-ssn") == 0) ||
             (ty && strcmp(ty, "SS") == 0))) {
            fv_set(c, 19, 1, 0, 0, fv_str(x, "value"));   /* SSN number - patient */
            ssn = 1;
            continue;
        }
        r += (unsigned)fv_cx(c, (fv_at){3, r + 1, 0}, x);
    }
    if (r == 0)
        fv_issue(c, HXE_SEV_WARNING, 3, "PID-3: the Patient has no identifier with a value; "
                                        "PID-3 is required");
    r = 0;
    json_array_foreach(json_object_get(p, "name"), i, x) r += (unsigned)fv_xpn(c, (fv_at){5, r + 1, 0}, x);
    if (r == 0)
        fv_issue(c, HXE_SEV_WARNING, 5, "PID-5: the Patient has no name; PID-5 is required");
    fv_ts(c, (fv_at){7, 1, 0}, fv_str(p, "birthDate"), 0, "Patient.birthDate");
    const char *g = fv_str(p, "gender");
    const char *sex = hxe_conv_vocab_v2("AdministrativeSex", g, NULL);
    if (g && !sex)
        fv_issue(c, HXE_SEV_WARNING, 8, "Patient.gender: no v2 code in the IG's AdministrativeSex map");
    fv_set(c, 8, 1, 0, 0, sex);
    r = 0;
    json_array_foreach(json_object_get(p, "address"), i, x) r += (unsigned)fv_xad(c, (fv_at){11, r + 1, 0}, x);
    /* telecom: work numbers to PID-14, all others to PID-13 */
    unsigned home = 0, work = 0;
    json_array_foreach(json_object_get(p, "telecom"), i, x) {
        const char *u = fv_str(x, "use");
        if (u && strcmp(u, "work") == 0)
            work += (unsigned)fv_xtn(c, (fv_at){14, work + 1, 0}, x);
        else
            home += (unsigned)fv_xtn(c, (fv_at){13, home + 1, 0}, x);
    }
    x = json_object_get(json_array_get(json_object_get(p, "communication"), 0), "language");
    fv_cwe(c, (fv_at){15, 1, 0}, x, 1, "Patient.communication.language");
    if (json_array_size(json_object_get(p, "communication")) > 1)
        fv_issue(c, HXE_SEV_INFO, 15, "Patient.communication: languages after the first not carried");
    /* marital status: the IG's MaritalStatus map backwards, else as coded */
    x = json_object_get(p, "maritalStatus");
    const char *ms = NULL;
    json_t *cd;
    json_array_foreach(json_object_get(x, "coding"), i, cd) if (!ms)
        ms = hxe_conv_vocab_v2("MaritalStatus", fv_str(cd, "code"), fv_str(cd, "system"));
    if (ms) {
        fv_set(c, 16, 1, 1, 0, ms);
        fv_set(c, 16, 1, 3, 0, "HL70002");
    } else {
        fv_cwe(c, (fv_at){16, 1, 0}, x, 1, "Patient.maritalStatus");
    }
    x = json_object_get(p, "multipleBirthInteger");
    if (json_is_integer(x)) {
        char n[24];
        snprintf(n, sizeof n, "%lld", (long long)json_integer_value(x));
        fv_set(c, 24, 1, 0, 0, "Y");
        fv_set(c, 25, 1, 0, 0, n);
    } else if (json_is_boolean(json_object_get(p, "multipleBirthBoolean"))) {
        fv_set(c, 24, 1, 0, 0, json_is_true(json_object_get(p, "multipleBirthBoolean")) ? "Y" : "N");
    }
    if (fv_ts(c, (fv_at){29, 1, 0}, fv_str(p, "deceasedDateTime"), 0, "Patient.deceasedDateTime"))
        fv_set(c, 30, 1, 0, 0, "Y");
    else if (json_is_boolean(json_object_get(p, "deceasedBoolean")))
        fv_set(c, 30, 1, 0, 0, json_is_true(json_object_get(p, "deceasedBoolean")) ? "Y" : "N");
    patient_extensions(c, p);
    fv_uncarried(c, p, pid_carried);
    return c->rc;
}

/* PD1-4 (Practitioner) and PD1-3 (Organization): the general practitioner */
int fv_pd1(fv *c)
{
    const json_t *p = c->patient, *ref;
    size_t i;
    unsigned np = 0, no = 0;
    if (json_array_size(json_object_get(p, "generalPractitioner")) == 0)
        return 0;
    fv_seg(c, "PD1");
    json_array_foreach(json_object_get(p, "generalPractitioner"), i, ref) {
        fv_at xon = {3, no + 1, 0};
        int k = fv_actor(c, p, ref, (fv_at){4, np + 1, 0}, &xon, "Patient.generalPractitioner");
        np += k == 1;
        no += k == 2;
    }
    return c->rc;
}

/* ---- PV1 ---- */

static const char *pt = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";

/* the v2 code of a coding in a v2 table's code system, or NULL */
static const char *v2_code(const json_t *cc, const char *table)
{
    char sys[80];
    snprintf(sys, sizeof sys, V2_CS "%s", table);
    return fv_str(fv_coding_of(cc, sys), "code");
}

static const char *const pv1_carried[] = {"identifier", "class", "type", "serviceType", "subject",
                                          "participant", "period", "location", "hospitalization",
                                          NULL};

int fv_pv1(fv *c, int adt)
{
    const json_t *e = c->encounter, *x;
    size_t i, k;
    fv_seg(c, "PV1");
    fv_set(c, 1, 1, 0, 0, "1");
    if (adt) {
        /* A28/A31 are about the person: no visit (the IG reads class N
         * with no visit number back as no Encounter) */
        fv_set(c, 2, 1, 0, 0, "N");
        return c->rc;
    }
    fv_used(c, e);
    const json_t *cls = json_object_get(e, "class");
    const char *pc = hxe_conv_vocab_v2("PatientClass[EncounterClass]", fv_str(cls, "code"),
                                       fv_str(cls, "system"));
    /* the null flavor v2 -> FHIR writes for a class it cannot map is v2's
     * own "unknown" */
    const char *ns = fv_str(cls, "system"), *nc = fv_str(cls, "code");
    if (!pc && ns && nc && strcmp(ns, "http://terminology.hl7.org/CodeSystem/v3-NullFlavor") == 0 &&
        strcmp(nc, "UNK") == 0)
        pc = "U";
    if (!pc)
        fv_issue(c, HXE_SEV_WARNING, 2, "Encounter.class: no v2 patient class in the IG's map; "
                                        "PV1-2 (required) empty");
    fv_set(c, 2, 1, 0, 0, pc);
    /* PV1-3: the first location's name (a display on the way in) */
    x = json_object_get(json_array_get(json_object_get(e, "location"), 0), "location");
    const json_t *loc = fv_resolve(c, e, x);
    fv_set(c, 3, 1, 1, 0, loc ? fv_str(loc, "name") : fv_str(x, "display"));
    const char *ty = NULL;
    json_array_foreach(json_object_get(e, "type"), i, x) if (!ty) ty = v2_code(x, "0007");
    if (!ty && json_array_size(json_object_get(e, "type")))
        fv_issue(c, HXE_SEV_INFO, 4, "Encounter.type: no coding in v2 table 0007; PV1-4 empty");
    fv_set(c, 4, 1, 0, 0, ty);
    /* participants by type: attender, referrer, consultant, admitter */
    static const struct {
        const char *code;
        unsigned f;
    } roles[] = {{"ATND", 7}, {"REF", 8}, {"CON", 9}, {"ADM", 17}};
    unsigned nrep[4] = {0, 0, 0, 0};
    json_array_foreach(json_object_get(e, "participant"), i, x) {
        int done = 0;
        for (k = 0; k < 4 && !done; k++) {
            size_t j;
            json_t *t;
            json_array_foreach(json_object_get(x, "type"), j, t) {
                const char *code = fv_str(fv_coding_of(t, pt), "code");
                if (!done && code && strcmp(code, roles[k].code) == 0) {
                    nrep[k] += (unsigned)(fv_actor(c, e, json_object_get(x, "individual"),
                                                   (fv_at){roles[k].f, nrep[k] + 1, 0}, NULL,
                                                   "Encounter.participant.individual") == 1);
                    done = 1;
                }
            }
        }
        if (!done)
            fv_issue(c, HXE_SEV_INFO, 0, "Encounter.participant[%zu]: no type v2 has a field "
                                         "for (ATND, REF, CON, ADM); not carried", i);
    }
    fv_set(c, 10, 1, 0, 0, v2_code(json_object_get(e, "serviceType"), "0069"));
    fv_cx(c, (fv_at){19, 1, 0}, json_array_get(json_object_get(e, "identifier"), 0));
    fv_set(c, 36, 1, 0, 0,
           v2_code(json_object_get(json_object_get(e, "hospitalization"), "dischargeDisposition"),
                   "0112"));
    x = json_object_get(e, "period");
    fv_ts(c, (fv_at){44, 1, 0}, fv_str(x, "start"), 0, "Encounter.period.start");
    fv_ts(c, (fv_at){45, 1, 0}, fv_str(x, "end"), 0, "Encounter.period.end");
    fv_uncarried(c, e, pv1_carried);
    return c->rc;
}

/* ---- IN1 ---- */

/* Coverage.relationship -> v2 table 0063 through the IG's Relationship
 * map: a v2-0063 code as is, a RoleCode backwards, and the
 * subscriber-relationship codes (self, spouse, child, parent) by the
 * map's display, which spells them */
static const char *relationship(const json_t *cc)
{
    size_t i;
    json_t *cd;
    json_array_foreach(json_object_get(cc, "coding"), i, cd) {
        const char *code = fv_str(cd, "code"), *sys = fv_str(cd, "system");
        if (!code || !sys)
            continue;
        if (strcmp(sys, V2_CS "0063") == 0)
            return code;
        const char *v = hxe_conv_vocab_v2("Relationship", code, sys);
        if (v)
            return v;
        if (strcmp(sys, "http://terminology.hl7.org/CodeSystem/subscriber-relationship") == 0)
            for (size_t k = 0; k < hxe_conv_vocab_count; k++) {
                const hxe_conv_vocab_row *r = &hxe_conv_vocab_rows[k];
                if (strcmp(r->map, "Relationship") == 0 && strcasecmp(r->display, code) == 0)
                    return r->v2;
            }
    }
    return NULL;
}

static const char *const in1_carried[] = {"identifier", "status", "type", "beneficiary",
                                          "relationship", "period", "payor", "class", NULL};

int fv_in1(fv *c, const json_t *cov, unsigned setid)
{
    char n[16];
    size_t i;
    json_t *x;
    fv_seg(c, "IN1");
    snprintf(n, sizeof n, "%u", setid);
    fv_set(c, 1, 1, 0, 0, n);
    /* IN1-2: the plan class */
    const json_t *plan = NULL;
    json_array_foreach(json_object_get(cov, "class"), i, x) {
        const char *t = fv_str(fv_coding_of(json_object_get(x, "type"),
                                            "http://terminology.hl7.org/CodeSystem/coverage-class"),
                               "code");
        if (!plan && t && strcmp(t, "plan") == 0)
            plan = x;
    }
    if (plan) {
        fv_set(c, 2, 1, 1, 0, fv_str(plan, "value"));
        fv_set(c, 2, 1, 2, 0, fv_str(plan, "name"));
    } else {
        fv_issue(c, HXE_SEV_WARNING, 2, "IN1[%u]-2: the Coverage has no plan class; IN1-2 is "
                                        "required", setid);
    }
    /* IN1-3..5: the payor */
    const json_t *payor = fv_resolve(c, cov, json_array_get(json_object_get(cov, "payor"), 0));
    const char *pt_ = fv_str(payor, "resourceType");
    if (pt_ && strcmp(pt_, "Organization") == 0) {
        fv_cx(c, (fv_at){3, 1, 0}, json_array_get(json_object_get(payor, "identifier"), 0));
        fv_set(c, 4, 1, 1, 0, fv_str(payor, "name"));
        fv_xad(c, (fv_at){5, 1, 0}, json_array_get(json_object_get(payor, "address"), 0));
        if (!json_array_size(json_object_get(payor, "identifier")))
            fv_issue(c, HXE_SEV_WARNING, 3, "IN1[%u]-3: the payor has no identifier; IN1-3 is "
                                            "required", setid);
    } else {
        fv_issue(c, HXE_SEV_WARNING, 3, "IN1[%u]-3: no payor Organization in the input; IN1-3 "
                                        "is required", setid);
    }
    x = json_object_get(cov, "period");
    fv_ts(c, (fv_at){12, 1, 0}, fv_str(x, "start"), 1, "Coverage.period.start");
    fv_ts(c, (fv_at){13, 1, 0}, fv_str(x, "end"), 1, "Coverage.period.end");
    x = json_object_get(cov, "type");
    fv_set(c, 15, 1, 0, 0, fv_str(json_array_get(json_object_get(x, "coding"), 0), "code"));
    const char *rel = relationship(json_object_get(cov, "relationship"));
    if (rel) {
        fv_set(c, 17, 1, 1, 0, rel);
        fv_set(c, 17, 1, 3, 0, "HL70063");
    } else if (json_object_get(cov, "relationship")) {
        fv_issue(c, HXE_SEV_INFO, 17, "Coverage.relationship: no v2 table 0063 code; not carried");
    }
    fv_set(c, 36, 1, 0, 0, fv_str(json_array_get(json_object_get(cov, "identifier"), 0), "value"));
    fv_uncarried(c, cov, in1_carried);
    return c->rc;
}

/* ---- NTE ---- */

int fv_nte(fv *c, const json_t *res)
{
    size_t i;
    json_t *x;
    unsigned n = 0;
    char id[16];
    json_array_foreach(json_object_get(res, "note"), i, x) {
        const char *t = fv_str(x, "text");
        if (!t || !*t)
            continue;
        fv_seg(c, "NTE");
        snprintf(id, sizeof id, "%u", ++n);
        fv_set(c, 1, 1, 0, 0, id);
        fv_set(c, 3, 1, 0, 0, t);
        if (json_object_get(x, "authorString") || json_object_get(x, "authorReference") ||
            json_object_get(x, "time"))
            fv_issue(c, HXE_SEV_INFO, 3, "%s.note[%zu]: author and time not carried",
                     fv_safe(fv_str(res, "resourceType")), i);
    }
    return c->rc;
}
