/*
 * fhir_v2_order.c — FHIR -> HL7 v2 segments for orders and results:
 * ServiceRequest -> ORC + OBR (+ DG1 for its reasons), DiagnosticReport ->
 * ORC + OBR, Observation -> OBX (value[x] -> OBX-2/5/6), Specimen -> SPM.
 * The IG's maps in seg_order.c read backwards: statuses through its
 * concept maps (OrderStatus, ResultStatus, ObservationResultStatus...,
 * InterpretationCodes), placer and filler numbers from identifiers typed
 * PLAC and FILL.
 */
#include "convert/internal.h"

#include <math.h>
#include <string.h>

/* ---- order numbers ---- */

/* an identifier without a v2-0203 type, NULL when none */
static const json_t *untyped(const json_t *res)
{
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(res, "identifier"), i, id) if (
        !json_object_get(id, "type") && fv_str(id, "value")) return id;
    return NULL;
}

/* placer and filler numbers: identifiers typed PLAC / FILL; an untyped
 * one is the placer's on an order, the filler's on a report */
static void order_ids(const json_t *sr, const json_t *dr, const json_t **placer,
                      const json_t **filler)
{
    *placer = fv_ident_typed(sr, "PLAC");
    *filler = fv_ident_typed(sr, "FILL");
    if (!*placer)
        *placer = fv_ident_typed(dr, "PLAC");
    if (!*filler)
        *filler = fv_ident_typed(dr, "FILL");
    if (!*placer && sr)
        *placer = untyped(sr);
    if (!*filler && dr)
        *filler = untyped(dr);
}

static void set_num(fv *c, unsigned f, unsigned n)
{
    char b[16];
    snprintf(b, sizeof b, "%u", n);
    fv_set(c, f, 1, 0, 0, b);
}

/* ---- ORC ---- */

/* ORC-1 for an order of this status: new, hold, cancel or status change
 * (the IG reads NW back as active, and ORC-5 before ORC-1) */
static const char *order_control(const char *status)
{
    if (!status || strcmp(status, "active") == 0 || strcmp(status, "draft") == 0 ||
        strcmp(status, "unknown") == 0)
        return "NW";
    if (strcmp(status, "on-hold") == 0)
        return "HD";
    if (strcmp(status, "revoked") == 0 || strcmp(status, "entered-in-error") == 0)
        return "CA";
    return "SC";
}

int fv_orc(fv *c, const json_t *sr, const json_t *dr, int kind)
{
    const json_t *placer, *filler;
    const char *status = fv_str(sr, "status");
    fv_seg(c, "ORC");
    fv_set(c, 1, 1, 0, 0, kind == FV_ORU ? "RE" : order_control(status));
    order_ids(sr, dr, &placer, &filler);
    fv_ei(c, (fv_at){2, 1, 0}, placer);
    fv_ei(c, (fv_at){3, 1, 0}, filler);
    fv_ei(c, (fv_at){4, 1, 0}, json_object_get(sr, "requisition"));
    if (status) {
        const char *os = hxe_conv_vocab_v2("OrderStatus", status, NULL);
        /* a new active order has no status yet: NW says it */
        if (os && !(kind != FV_ORU && strcmp(status, "active") == 0))
            fv_set(c, 5, 1, 0, 0, os);
        else if (!os && strcmp(status, "active") != 0)
            fv_issue(c, HXE_SEV_INFO, 5, "ServiceRequest.status: no v2 order status in the IG's "
                                         "OrderStatus map; ORC-5 empty");
    }
    fv_ts(c, (fv_at){9, 1, 0}, fv_str(sr, "authoredOn"), 0, "ServiceRequest.authoredOn");
    fv_at xon = {21, 1, 0};
    fv_actor(c, sr, json_object_get(sr, "requester"), (fv_at){12, 1, 0}, &xon,
             "ServiceRequest.requester");
    return c->rc;
}

/* ---- OBR ---- */

static const char *const sr_carried[] = {
    "identifier", "status", "intent", "code", "subject", "encounter", "occurrenceDateTime",
    "occurrencePeriod", "authoredOn", "requester", "requisition", "reasonCode",
    "reasonReference", "note", "specimen", "insurance", NULL};
static const char *const dr_carried[] = {
    "identifier", "basedOn", "status", "category", "code", "subject", "encounter",
    "effectiveDateTime", "effectivePeriod", "issued", "result", "specimen", NULL};

/* OBR-7/8 from a dateTime or a Period */
static void when(fv *c, const json_t *res, const char *dt_key, const char *per_key,
                 const char *where)
{
    const json_t *per = json_object_get(res, per_key);
    if (fv_str(res, dt_key)) {
        fv_ts(c, (fv_at){7, 1, 0}, fv_str(res, dt_key), 0, where);
    } else if (per) {
        fv_ts(c, (fv_at){7, 1, 0}, fv_str(per, "start"), 0, where);
        fv_ts(c, (fv_at){8, 1, 0}, fv_str(per, "end"), 0, where);
    }
}

int fv_obr(fv *c, const json_t *sr, const json_t *dr, unsigned setid, int kind)
{
    const json_t *placer, *filler, *code = json_object_get(dr ? dr : sr, "code");
    fv_seg(c, "OBR");
    set_num(c, 1, setid);
    order_ids(sr, dr, &placer, &filler);
    fv_ei(c, (fv_at){2, 1, 0}, placer);
    fv_ei(c, (fv_at){3, 1, 0}, filler);
    if (!fv_cwe(c, (fv_at){4, 1, 0}, code, !c->v26,
                dr ? "DiagnosticReport.code" : "ServiceRequest.code"))
        fv_issue(c, HXE_SEV_WARNING, 4, "OBR[%u]-4: no code; OBR-4 is required", setid);
    if (dr)
        when(c, dr, "effectiveDateTime", "effectivePeriod", "DiagnosticReport.effective");
    else
        when(c, sr, "occurrenceDateTime", "occurrencePeriod", "ServiceRequest.occurrence");
    if (kind == FV_ORM) {
        /* ORM has no SPM: the first specimen's type as OBR-15 */
        const json_t *sp = fv_resolve(c, sr, json_array_get(json_object_get(sr, "specimen"), 0));
        if (sp)
            fv_cwe(c, (fv_at){15, 1, 1}, json_object_get(sp, "type"), 1, "Specimen.type");
    }
    if (sr)
        fv_actor(c, sr, json_object_get(sr, "requester"), (fv_at){16, 1, 0}, NULL,
                 "ServiceRequest.requester");
    if (dr) {
        fv_ts(c, (fv_at){22, 1, 0}, fv_str(dr, "issued"), 0, "DiagnosticReport.issued");
        /* OBR-24: a section other than LAB (ORU implies the laboratory) */
        size_t i;
        json_t *cat;
        json_array_foreach(json_object_get(dr, "category"), i, cat) {
            const char *s = fv_str(fv_coding_of(cat, V2_CS "0074"), "code");
            if (s && strcmp(s, "LAB") != 0) {
                fv_set(c, 24, 1, 0, 0, s);
                break;
            }
        }
        const char *st = fv_str(dr, "status");
        const char *rs = hxe_conv_vocab_v2("ResultStatus[Non-Queries]", st, NULL);
        if (st && !rs)
            fv_issue(c, HXE_SEV_WARNING, 25, "DiagnosticReport.status: no v2 result status in "
                                             "the IG's map; OBR[%u]-25 empty", setid);
        fv_set(c, 25, 1, 0, 0, rs);
        fv_uncarried(c, dr, dr_carried);
    }
    if (sr) {
        const char *intent = fv_str(sr, "intent");
        if (intent && strcmp(intent, "order") != 0)
            fv_issue(c, HXE_SEV_INFO, 0, "ServiceRequest.intent: v2 sends orders; the intent is "
                                         "not carried");
        if (kind != FV_ORU && fv_str(sr, "status") && strcmp(fv_str(sr, "status"), "draft") == 0)
            fv_issue(c, HXE_SEV_WARNING, 0, "ServiceRequest.status: a draft goes as a new order");
        fv_uncarried(c, sr, sr_carried);
    }
    return c->rc;
}

/* ---- DG1: the order's reasons ---- */

int fv_dg1(fv *c, const json_t *sr, unsigned *setid)
{
    size_t i;
    json_t *x;
    const json_t *cc;
    size_t n = json_array_size(json_object_get(sr, "reasonCode")),
           m = json_array_size(json_object_get(sr, "reasonReference"));
    for (i = 0; i < n + m; i++) {
        if (i < n) {
            cc = json_array_get(json_object_get(sr, "reasonCode"), i);
        } else {
            x = json_array_get(json_object_get(sr, "reasonReference"), i - n);
            const json_t *cond = fv_resolve(c, sr, x);
            const char *t = fv_str(cond, "resourceType");
            if (!t || strcmp(t, "Condition") != 0) {
                fv_issue(c, HXE_SEV_INFO, 0, "ServiceRequest.reasonReference[%zu]: not a "
                                             "Condition in the input; not carried", i - n);
                continue;
            }
            fv_used(c, cond);
            cc = json_object_get(cond, "code");
        }
        if (!json_object_get(cc, "coding") && !fv_str(cc, "text"))
            continue;
        fv_seg(c, "DG1");
        set_num(c, 1, ++*setid);
        fv_cwe(c, (fv_at){3, 1, 0}, cc, !c->v26, "ServiceRequest.reason");
        /* DG1-6 is required: an order's reason is a working diagnosis */
        fv_set(c, 6, 1, 0, 0, "W");
    }
    return c->rc;
}

/* ---- OBX ---- */

/* a FHIR decimal as v2 NM text */
static int nm(const json_t *v, char *buf, size_t size)
{
    if (json_is_integer(v)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(v));
        return 1;
    }
    if (json_is_real(v) && isfinite(json_real_value(v))) {
        snprintf(buf, size, "%.15g", json_real_value(v));
        if (strchr(buf, 'e') || strchr(buf, 'E'))
            snprintf(buf, size, "%.6f", json_real_value(v));
        return 1;
    }
    return 0;
}

/* OBX-6 from a Quantity: UCUM code^unit^UCUM, else the unit alone */
static void units(fv *c, const json_t *q)
{
    const char *code = fv_str(q, "code"), *unit = fv_str(q, "unit"), *sys = fv_str(q, "system");
    char name[48];
    const char *nm_ = sys ? hxe_conv_system_name(sys, name, sizeof name) : NULL;
    if (code) {
        fv_set(c, 6, 1, 1, 0, code);
        fv_set(c, 6, 1, 2, 0, unit);
        fv_set(c, 6, 1, 3, 0, nm_);
    } else {
        fv_set(c, 6, 1, 1, 0, unit);
    }
}

static int quantity_value(fv *c, const json_t *q, const char *where)
{
    char v[64];
    if (!nm(json_object_get(q, "value"), v, sizeof v)) {
        fv_issue(c, HXE_SEV_WARNING, 5, "%s: a Quantity without a value; OBX-5 empty", where);
        return 0;
    }
    const char *cmp = fv_str(q, "comparator");
    if (cmp) {
        fv_set(c, 2, 1, 0, 0, "SN");
        fv_set(c, 5, 1, 1, 0, cmp);
        fv_set(c, 5, 1, 2, 0, v);
    } else {
        fv_set(c, 2, 1, 0, 0, "NM");
        fv_set(c, 5, 1, 0, 0, v);
    }
    units(c, q);
    return 1;
}

/* Range / Ratio -> SN ^a^-^b / ^a^:^b */
static int sn_pair(fv *c, const json_t *a, const json_t *b, const char *sep)
{
    char x[64], y[64];
    if (!nm(json_object_get(a, "value"), x, sizeof x) ||
        !nm(json_object_get(b, "value"), y, sizeof y))
        return 0;
    fv_set(c, 2, 1, 0, 0, "SN");
    fv_set(c, 5, 1, 2, 0, x);
    fv_set(c, 5, 1, 3, 0, sep);
    fv_set(c, 5, 1, 4, 0, y);
    if (sep[0] == '-')
        units(c, a);
    return 1;
}

/* the ED of the IG's R5 value extension (what hxe makes of OBX ED) */
static int attachment(fv *c, const json_t *obs)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(obs, "extension"), i, x) {
        const char *u = fv_str(x, "url");
        const json_t *a = json_object_get(x, "valueAttachment");
        if (!u || !a || !strstr(u, "extension-Observation.value") || !fv_str(a, "data"))
            continue;
        char t[64] = "", st[64] = "";
        const char *ct = fv_str(a, "contentType");
        if (ct && strchr(ct, '/')) {
            snprintf(t, sizeof t, "%.*s", (int)(strchr(ct, '/') - ct), ct);
            snprintf(st, sizeof st, "%s", strchr(ct, '/') + 1);
            char *semi = strchr(st, ';');
            if (semi)
                *semi = 0;
        }
        fv_set(c, 2, 1, 0, 0, "ED");
        fv_set(c, 5, 1, 2, 0, t);
        fv_set(c, 5, 1, 3, 0, st);
        fv_set(c, 5, 1, 4, 0, "Base64");
        fv_set(c, 5, 1, 5, 0, fv_str(a, "data"));
        return 1;
    }
    return 0;
}

static void obx_value(fv *c, const json_t *o, unsigned setid)
{
    const json_t *v;
    const char *s;
    if ((v = json_object_get(o, "valueQuantity")) != NULL) {
        quantity_value(c, v, "Observation.valueQuantity");
    } else if ((v = json_object_get(o, "valueCodeableConcept")) != NULL) {
        fv_set(c, 2, 1, 0, 0, "CWE");
        fv_cwe(c, (fv_at){5, 1, 0}, v, 0, "Observation.valueCodeableConcept");
    } else if ((s = fv_str(o, "valueString")) != NULL) {
        /* ST holds one short line; FT keeps line breaks (\.br\) */
        fv_set(c, 2, 1, 0, 0, strchr(s, '\n') ? "FT" : strlen(s) > 199 ? "TX" : "ST");
        fv_set(c, 5, 1, 0, 0, s);
    } else if ((v = json_object_get(o, "valueInteger")) != NULL) {
        char b[32];
        nm(v, b, sizeof b);
        fv_set(c, 2, 1, 0, 0, "NM");
        fv_set(c, 5, 1, 0, 0, b);
    } else if ((v = json_object_get(o, "valueRange")) != NULL) {
        if (!sn_pair(c, json_object_get(v, "low"), json_object_get(v, "high"), "-"))
            fv_issue(c, HXE_SEV_WARNING, 5, "Observation.valueRange: an open range; not carried");
    } else if ((v = json_object_get(o, "valueRatio")) != NULL) {
        if (!sn_pair(c, json_object_get(v, "numerator"), json_object_get(v, "denominator"), ":"))
            fv_issue(c, HXE_SEV_WARNING, 5, "Observation.valueRatio: incomplete; not carried");
    } else if ((s = fv_str(o, "valueDateTime")) != NULL) {
        fv_set(c, 2, 1, 0, 0, "DTM");
        fv_ts(c, (fv_at){5, 1, 0}, s, 0, "Observation.valueDateTime");
    } else if ((s = fv_str(o, "valueTime")) != NULL) {
        char t[16];
        size_t k = 0;
        for (const char *p = s; *p && k + 1 < sizeof t; p++)
            if (*p != ':')
                t[k++] = *p;
        t[k] = 0;
        fv_set(c, 2, 1, 0, 0, "TM");
        fv_set(c, 5, 1, 0, 0, t);
    } else if (attachment(c, o)) {
        /* written */
    } else {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)o, k, x) if (strncmp(k, "value", 5) == 0)
            fv_issue(c, HXE_SEV_WARNING, 5, "Observation.%s: no v2 value type hxe writes; "
                                            "OBX[%u]-5 empty", fv_safe(k), setid);
    }
}

/* OBX-7 from the first reference range: its text, else low-high */
static void range(fv *c, const json_t *o)
{
    const json_t *rr = json_array_get(json_object_get(o, "referenceRange"), 0);
    char lo[64], hi[64], b[140];
    if (!rr)
        return;
    if (fv_str(rr, "text")) {
        fv_set(c, 7, 1, 0, 0, fv_str(rr, "text"));
        return;
    }
    int l = nm(json_object_get(json_object_get(rr, "low"), "value"), lo, sizeof lo);
    int h = nm(json_object_get(json_object_get(rr, "high"), "value"), hi, sizeof hi);
    if (l && h)
        snprintf(b, sizeof b, "%s-%s", lo, hi);
    else if (l)
        snprintf(b, sizeof b, ">%s", lo);
    else if (h)
        snprintf(b, sizeof b, "<%s", hi);
    else
        return;
    fv_set(c, 7, 1, 0, 0, b);
    if (json_array_size(json_object_get(o, "referenceRange")) > 1)
        fv_issue(c, HXE_SEV_INFO, 7, "Observation.referenceRange: ranges after the first not "
                                     "carried");
}

static const char *const obx_carried[] = {
    "identifier", "status", "category", "code", "subject", "encounter", "basedOn",
    "effectiveDateTime", "effectivePeriod", "effectiveInstant", "valueQuantity",
    "valueCodeableConcept", "valueString", "valueInteger", "valueRange", "valueRatio",
    "valueDateTime", "valueTime", "dataAbsentReason", "referenceRange", "interpretation",
    "method", "performer", "note", "specimen", "extension", NULL};

int fv_obx(fv *c, const json_t *o, unsigned setid)
{
    size_t i;
    json_t *x;
    fv_seg(c, "OBX");
    set_num(c, 1, setid);
    obx_value(c, o, setid);
    if (!fv_cwe(c, (fv_at){3, 1, 0}, json_object_get(o, "code"), !c->v26, "Observation.code"))
        fv_issue(c, HXE_SEV_WARNING, 3, "OBX[%u]-3: no code; OBX-3 is required", setid);
    range(c, o);
    /* OBX-8: interpretation codes through the IG's map backwards */
    unsigned r = 0;
    json_array_foreach(json_object_get(o, "interpretation"), i, x) {
        const char *v2 = NULL;
        size_t k;
        json_t *cd;
        json_array_foreach(json_object_get(x, "coding"), k, cd) {
            const char *sys = fv_str(cd, "system"), *code = fv_str(cd, "code");
            if (!v2 && sys && strcmp(sys, V2_CS "0078") == 0)
                v2 = code;
            if (!v2)
                v2 = hxe_conv_vocab_v2("InterpretationCodes", code, sys);
        }
        if (v2)
            fv_set(c, 8, ++r, 0, 0, v2);
        else
            fv_issue(c, HXE_SEV_INFO, 8, "Observation.interpretation[%zu]: no v2 table 0078 "
                                         "code; not carried", i);
    }
    const char *st = fv_str(o, "status");
    const char *v2st = hxe_conv_vocab_v2("ObservationResultStatusCodesInterpretation", st, NULL);
    if (!v2st)
        fv_issue(c, HXE_SEV_WARNING, 11, "Observation.status: no v2 result status in the IG's map; "
                                         "OBX[%u]-11 (required) empty", setid);
    fv_set(c, 11, 1, 0, 0, v2st);
    const json_t *per = json_object_get(o, "effectivePeriod");
    const char *eff = fv_str(o, "effectiveDateTime");
    if (!eff)
        eff = fv_str(o, "effectiveInstant");
    if (!eff)
        eff = fv_str(per, "start");
    fv_ts(c, (fv_at){14, 1, 0}, eff, 0, "Observation.effective");
    unsigned np = 0, no = 0;
    json_array_foreach(json_object_get(o, "performer"), i, x) {
        fv_at xon = {23, 1, 0};
        if (no) {
            /* OBX-23 does not repeat */
            const json_t *p = fv_resolve(c, o, x);
            if (p && strcmp(fv_str(p, "resourceType"), "Organization") == 0) {
                fv_issue(c, HXE_SEV_INFO, 23, "Observation.performer[%zu]: a second organization; "
                                              "not carried", i);
                continue;
            }
        }
        int k = fv_actor(c, o, x, (fv_at){16, np + 1, 0}, &xon, "Observation.performer");
        np += k == 1;
        no += k == 2;
    }
    fv_cwe(c, (fv_at){17, 1, 0}, json_object_get(o, "method"), !c->v26, "Observation.method");
    if (c->v26)
        fv_ei(c, (fv_at){21, 1, 0}, json_array_get(json_object_get(o, "identifier"), 0));
    else if (json_object_get(o, "identifier"))
        fv_issue(c, HXE_SEV_INFO, 21, "Observation.identifier: OBX-21 is v2.6+; not carried");
    fv_uncarried(c, o, obx_carried);
    if (json_object_get(o, "component"))
        fv_issue(c, HXE_SEV_INFO, 0, "Observation.component: not carried (one OBX per result)");
    return c->rc;
}

/* ---- SPM ---- */

static const char *const spm_carried[] = {"identifier", "accessionIdentifier", "type", "subject",
                                          "request", "receivedTime", "collection", "condition",
                                          NULL};

int fv_spm(fv *c, const json_t *s, unsigned setid)
{
    const json_t *placer = fv_ident_typed(s, "PLAC"), *filler = fv_ident_typed(s, "FILL");
    size_t i;
    json_t *x;
    fv_seg(c, "SPM");
    set_num(c, 1, setid);
    if (!filler)
        filler = json_object_get(s, "accessionIdentifier");
    if (!fv_str(filler, "value"))
        filler = untyped(s);
    /* SPM-2 is an EIP: each EI in one component, its parts subcomponents */
    fv_ei(c, (fv_at){2, 1, 1}, placer);
    fv_ei(c, (fv_at){2, 1, 2}, filler);
    if (!fv_cwe(c, (fv_at){4, 1, 0}, json_object_get(s, "type"), 0, "Specimen.type"))
        fv_issue(c, HXE_SEV_WARNING, 4, "SPM[%u]-4: no specimen type; SPM-4 is required", setid);
    const json_t *col = json_object_get(s, "collection");
    fv_cwe(c, (fv_at){7, 1, 0}, json_object_get(col, "method"), 0, "Specimen.collection.method");
    fv_cwe(c, (fv_at){8, 1, 0}, json_object_get(col, "bodySite"), 0, "Specimen.collection.bodySite");
    const json_t *per = json_object_get(col, "collectedPeriod");
    if (fv_str(col, "collectedDateTime")) {
        fv_ts(c, (fv_at){17, 1, 1}, fv_str(col, "collectedDateTime"), 0, "Specimen.collection");
    } else if (per) {
        fv_ts(c, (fv_at){17, 1, 1}, fv_str(per, "start"), 0, "Specimen.collection");
        fv_ts(c, (fv_at){17, 1, 2}, fv_str(per, "end"), 0, "Specimen.collection");
    }
    fv_ts(c, (fv_at){18, 1, 0}, fv_str(s, "receivedTime"), 0, "Specimen.receivedTime");
    unsigned r = 0;
    json_array_foreach(json_object_get(s, "condition"), i, x)
        r += (unsigned)fv_cwe(c, (fv_at){24, r + 1, 0}, x, 0, "Specimen.condition");
    if (col) {
        const char *k;
        json_object_foreach((json_t *)col, k, x) if (strcmp(k, "method") != 0 &&
                                                     strcmp(k, "bodySite") != 0 &&
                                                     strncmp(k, "collected", 9) != 0)
            fv_issue(c, HXE_SEV_INFO, 0, "Specimen.collection.%s: not carried by hxe in v2",
                     fv_safe(k));
    }
    fv_uncarried(c, s, spm_carried);
    return c->rc;
}
