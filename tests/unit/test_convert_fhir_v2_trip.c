/*
 * test_convert_fhir_v2_trip.c — FHIR R4 -> HL7 v2 whole messages and the
 * way back: a lab order (PV1, IN1, ORC/OBR, DG1, NTE, SPM) as ORM^O01 and
 * OML^O21 in each status; the US Core ServiceRequest, DiagnosticReport,
 * Observation lab and Specimen examples; ServiceRequest -> ORM/OML ->
 * ServiceRequest gives the same order; the golden ORU^R01 -> FHIR ->
 * ORU^R01 keeps its OBX; every corpus ORU, ORM, OML and ADT message hxe
 * converts goes back to v2 that validates, its results unchanged.
 */
#include "helpers/conv_testutil.h"

#include "fhir/fhir.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- orders ---- */

#define V0203 "{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"%s\"}]}"

/* a lab order the way an EHR sends it: identifiers, visit, specimen,
 * reason, note, insurance */
static json_t *lab_order(void)
{
    char s[8192];
    snprintf(s, sizeof s,
        "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":["
        "{\"fullUrl\":\"urn:uuid:00000000-0000-4000-8000-000000000001\",\"resource\":"
        "{\"resourceType\":\"Patient\",\"identifier\":[{\"type\":" V0203 ","
        "\"system\":\"urn:oid:2.16.840.1.113883.3.72.5\",\"value\":\"MRN48213\"}],"
        "\"name\":[{\"family\":\"Testpatient\",\"given\":[\"Alma\"]}],\"gender\":\"female\","
        "\"birthDate\":\"1975-06-12\"}},"
        "{\"fullUrl\":\"urn:uuid:00000000-0000-4000-8000-000000000002\",\"resource\":"
        "{\"resourceType\":\"ServiceRequest\",\"identifier\":["
        "{\"type\":" V0203 ",\"system\":\"urn:oid:2.16.840.1.113883.3.72.30\",\"value\":\"ORD950\"},"
        "{\"type\":" V0203 ",\"system\":\"urn:oid:2.16.840.1.113883.3.72.31\",\"value\":\"LAB1\"}],"
        "\"requisition\":{\"system\":\"urn:oid:2.16.840.1.113883.3.72.30\",\"value\":\"GRP1\"},"
        "\"status\":\"active\",\"intent\":\"order\",\"code\":{\"coding\":[{\"system\":\"http://loinc.org\","
        "\"code\":\"4548-4\",\"display\":\"Hemoglobin A1c\"}]},"
        "\"subject\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000001\"},"
        "\"encounter\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000003\"},"
        "\"occurrenceDateTime\":\"2024-03-01T10:00:00-05:00\",\"authoredOn\":\"2024-03-01T09:00:00-05:00\","
        "\"requester\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000004\"},"
        "\"reasonCode\":[{\"coding\":[{\"system\":\"http://hl7.org/fhir/sid/icd-10-cm\",\"code\":\"E11.9\","
        "\"display\":\"Type 2 diabetes mellitus\"}]}],"
        "\"note\":[{\"text\":\"Fasting | since 8pm\\nsecond line\"}],"
        "\"specimen\":[{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000005\"}],"
        "\"insurance\":[{\"reference\":\"#cov\"}],"
        "\"contained\":[{\"resourceType\":\"Coverage\",\"id\":\"cov\",\"status\":\"active\","
        "\"beneficiary\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000001\"},"
        "\"payor\":[{\"reference\":\"#payer\"}],\"identifier\":[{\"value\":\"POL-1\"}],"
        "\"class\":[{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/coverage-class\","
        "\"code\":\"plan\"}]},\"value\":\"GOLD\",\"name\":\"Gold plan\"}],"
        "\"relationship\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/subscriber-relationship\","
        "\"code\":\"spouse\"}]},\"period\":{\"start\":\"2024-01-01\",\"end\":\"2024-12-31\"}},"
        "{\"resourceType\":\"Organization\",\"id\":\"payer\",\"name\":\"Acme Health\","
        "\"identifier\":[{\"system\":\"urn:oid:2.16.840.1.113883.6.300\",\"value\":\"55555\"}]}]}},"
        "{\"fullUrl\":\"urn:uuid:00000000-0000-4000-8000-000000000003\",\"resource\":"
        "{\"resourceType\":\"Encounter\",\"status\":\"in-progress\",\"class\":{\"system\":"
        "\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\"},"
        "\"identifier\":[{\"system\":\"urn:oid:2.16.840.1.113883.3.72.6\",\"value\":\"V20240301\"}],"
        "\"period\":{\"start\":\"2024-03-01T08:30:00-05:00\"},\"participant\":[{\"type\":[{\"coding\":"
        "[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ParticipationType\",\"code\":\"ATND\"}]}],"
        "\"individual\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000004\"}}]}},"
        "{\"fullUrl\":\"urn:uuid:00000000-0000-4000-8000-000000000004\",\"resource\":"
        "{\"resourceType\":\"PractitionerRole\",\"practitioner\":{\"reference\":\"Practitioner/hartman\"}}},"
        "{\"fullUrl\":\"http://example.org/fhir/Practitioner/hartman\",\"resource\":"
        "{\"resourceType\":\"Practitioner\",\"id\":\"hartman\",\"identifier\":[{\"system\":"
        "\"http://hl7.org/fhir/sid/us-npi\",\"value\":\"1982736450\"}],\"name\":[{\"family\":\"Hartman\","
        "\"given\":[\"Lee\"],\"prefix\":[\"Dr\"]}]}},"
        "{\"fullUrl\":\"urn:uuid:00000000-0000-4000-8000-000000000005\",\"resource\":"
        "{\"resourceType\":\"Specimen\",\"identifier\":[{\"type\":" V0203 ",\"system\":"
        "\"urn:oid:2.16.840.1.113883.3.72.30\",\"value\":\"SPC9\"}],\"accessionIdentifier\":{\"system\":"
        "\"urn:oid:2.16.840.1.113883.3.72.31\",\"value\":\"ACC9\"},\"type\":{\"coding\":[{\"system\":"
        "\"http://snomed.info/sct\",\"code\":\"119297000\",\"display\":\"Blood specimen\"}]},"
        "\"subject\":{\"reference\":\"urn:uuid:00000000-0000-4000-8000-000000000001\"},"
        "\"collection\":{\"collectedDateTime\":\"2024-03-01T09:55:00-05:00\"}}}]}",
        "MR", "PLAC", "FILL", "PLAC");
    return ct_json(s);
}

/* the ServiceRequest that comes back is the one sent: code, identifiers,
 * requisition, status, intent, occurrence, authoredOn, subject's and
 * requester's identifiers */
static void same_sr(const json_t *sent, const json_t *patient, const json_t *requester,
                    const json_t *b)
{
    json_t *sr = ct_res(b, "ServiceRequest", NULL);
    assert_non_null(sr);
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(json_object_get(sent, "code"), "coding"), i, x)
        assert_true(ct_has_coding(json_object_get(sr, "code"), x));
    json_array_foreach(json_object_get(sent, "identifier"), i, x) assert_true(ct_has_ident(sr, x));
    if (json_object_get(sent, "requisition"))
        assert_true(json_equal(json_object_get(json_object_get(sent, "requisition"), "value"),
                               json_object_get(json_object_get(sr, "requisition"), "value")));
    static const char *const same[] = {"status", "intent", "occurrenceDateTime", "authoredOn"};
    for (i = 0; i < sizeof same / sizeof same[0]; i++) {
        if (!json_equal(json_object_get(sent, same[i]), json_object_get(sr, same[i])) &&
            json_object_get(sent, same[i])) {
            print_message("ServiceRequest.%s differs\n", same[i]);
            fail();
        }
    }
    json_t *pat = ct_by_url(b, json_object_get(sr, "subject"));
    assert_non_null(pat);
    json_array_foreach(json_object_get(patient, "identifier"), i, x) assert_true(ct_has_ident(pat, x));
    if (requester) {
        json_t *req = ct_by_url(b, json_object_get(sr, "requester"));
        assert_non_null(req);
        if (strcmp(json_string_value(json_object_get(req, "resourceType")), "PractitionerRole") == 0)
            req = ct_by_url(b, json_object_get(req, "practitioner"));
        assert_non_null(req);
        json_array_foreach(json_object_get(requester, "identifier"), i,
                           x) if (strstr(json_string_value(json_object_get(x, "system")), "npi"))
            assert_true(ct_has_ident(req, x));
    }
}

static void test_lab_order(void **state)
{
    (void)state;
    json_t *in = lab_order();
    json_t *sr = ct_res(in, "ServiceRequest", NULL), *pat = ct_res(in, "Patient", NULL);
    json_t *prac = ct_res(in, "Practitioner", NULL);
    ct_v2 o;
    assert_int_equal(ct_conv(&o, in, "ORM^O01", NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "ORM^O01^ORM_O01");
    /* PV1 from the Encounter, IN1 from the contained Coverage */
    assert_string_equal(RAW(&o, "PV1-2"), "O");
    assert_string_equal(RAW(&o, "PV1-7"), "1982736450^Hartman^Lee^^^Dr^^^NPI");
    assert_string_equal(RAW(&o, "PV1-19"), "V20240301^^^&2.16.840.1.113883.3.72.6&ISO");
    assert_string_equal(RAW(&o, "PV1-44"), "20240301083000-0500");
    assert_string_equal(RAW(&o, "IN1-2"), "GOLD^Gold plan");
    assert_string_equal(RAW(&o, "IN1-3"), "55555^^^&2.16.840.1.113883.6.300&ISO");
    assert_string_equal(RAW(&o, "IN1-4"), "Acme Health");
    assert_string_equal(RAW(&o, "IN1-12"), "20240101");
    assert_string_equal(RAW(&o, "IN1-13"), "20241231");
    assert_string_equal(RAW(&o, "IN1-17"), "SPO^^HL70063");
    assert_string_equal(RAW(&o, "IN1-36"), "POL-1");
    /* ORC/OBR: control, placer/filler/group numbers, times, provider */
    assert_string_equal(RAW(&o, "ORC-1"), "NW");
    assert_string_equal(RAW(&o, "ORC-2"), "ORD950^^2.16.840.1.113883.3.72.30^ISO");
    assert_string_equal(RAW(&o, "ORC-3"), "LAB1^^2.16.840.1.113883.3.72.31^ISO");
    assert_string_equal(RAW(&o, "ORC-4"), "GRP1^^2.16.840.1.113883.3.72.30^ISO");
    assert_string_equal(RAW(&o, "ORC-5"), "");
    assert_string_equal(RAW(&o, "ORC-9"), "20240301090000-0500");
    assert_string_equal(RAW(&o, "ORC-12"), "1982736450^Hartman^Lee^^^Dr^^^NPI");
    char orc2[128];
    snprintf(orc2, sizeof orc2, "%s", RAW(&o, "ORC-2"));
    assert_string_equal(RAW(&o, "OBR-2"), orc2);
    assert_string_equal(RAW(&o, "OBR-4"), "4548-4^Hemoglobin A1c^LN");
    assert_string_equal(RAW(&o, "OBR-7"), "20240301100000-0500");
    assert_string_equal(RAW(&o, "OBR-15"), "119297000&Blood specimen&SCT");
    assert_string_equal(RAW(&o, "OBR-16"), "1982736450^Hartman^Lee^^^Dr^^^NPI");
    /* the note: a field separator and a line break, escaped */
    assert_string_equal(RAW(&o, "NTE-3"), "Fasting \\F\\ since 8pm\\.br\\second line");
    assert_string_equal(TXT(&o, "NTE-3"), "Fasting | since 8pm\nsecond line");
    assert_string_equal(RAW(&o, "DG1-3"), "E11.9^Type 2 diabetes mellitus^I10");
    assert_string_equal(RAW(&o, "DG1-6"), "W");
    /* back to FHIR: the same order */
    json_t *b = ct_back(&o);
    same_sr(sr, pat, prac, b);
    json_decref(b);
    ct_done(&o);
    /* OML^O21: the same order with its specimen as SPM */
    assert_int_equal(ct_conv(&o, in, "OML^O21", NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "OML^O21^OML_O21");
    assert_string_equal(RAW(&o, "SPM-2"),
                        "SPC9&&2.16.840.1.113883.3.72.30&ISO^ACC9&&2.16.840.1.113883.3.72.31&ISO");
    assert_string_equal(RAW(&o, "SPM-4"), "119297000^Blood specimen^SCT");
    assert_string_equal(RAW(&o, "SPM-17"), "20240301095500-0500");
    assert_string_equal(RAW(&o, "OBR-15"), "");
    b = ct_back(&o);
    same_sr(sr, pat, prac, b);
    json_t *spec = ct_res(b, "Specimen", NULL);
    assert_non_null(spec);
    assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(spec, "identifier"), 1), "value")),
                        "ACC9");
    json_decref(b);
    ct_done(&o);
    /* other statuses: cancel, hold, completed */
    static const char *const st[][3] = {{"revoked", "CA", "CA"}, {"on-hold", "HD", "HD"},
                                        {"completed", "SC", "CM"}};
    for (size_t i = 0; i < 3; i++) {
        json_object_set_new(sr, "status", json_string(st[i][0]));
        assert_int_equal(ct_conv(&o, in, "ORM^O01", NULL), 0);
        assert_string_equal(RAW(&o, "ORC-1"), st[i][1]);
        assert_string_equal(RAW(&o, "ORC-5"), st[i][2]);
        b = ct_back(&o);
        same_sr(sr, pat, prac, b);
        json_decref(b);
        ct_done(&o);
    }
    json_decref(in);
}

static void test_us_core_orders(void **state)
{
    (void)state;
    static const char *const srs[] = {"ServiceRequest-rehab.json", "ServiceRequest-defib-implant.json",
                                      "ServiceRequest-foodpantry-referral.json"};
    for (size_t k = 0; k < 3; k++) {
        const char *names[] = {srs[k], "Patient-example.json", "Practitioner-practitioner-1.json",
                               "Practitioner-practitioner-2.json", "Coverage-coverage-example.json",
                               "Organization-acme-payer.json", NULL};
        json_t *in = ct_usc_bundle(names);
        json_t *sr = ct_res(in, "ServiceRequest", NULL), *pat = ct_res(in, "Patient", NULL);
        const char *rq = json_string_value(json_object_get(json_object_get(sr, "requester"), "reference"));
        json_t *prac = ct_res(in, "Practitioner", strchr(rq, '/') + 1);
        ct_v2 o;
        /* a ServiceRequest and no report: ORM^O01 without being asked */
        assert_int_equal(ct_conv(&o, in, NULL, NULL), 0);
        assert_string_equal(RAW(&o, "MSH-9"), "ORM^O01^ORM_O01");
        assert_string_equal(RAW(&o, "PID-3"), "1032702^^^&http://hospital.smarthealthit.org&URI^MR");
        assert_string_equal(RAW(&o, "PID-5[2]"), "Baxter^Amy^V.^PharmD");
        assert_string_equal(RAW(&o, "IN1-2"), "gold^Acme Gold Plan");
        assert_string_equal(RAW(&o, "IN1-17"), "SEL^^HL70063");
        assert_string_equal(TXT(&o, "OBR-4.3"), "SCT");
        assert_string_equal(TXT(&o, "ORC-12.1"),
                            json_string_value(json_object_get(json_array_get(json_object_get(prac, "identifier"), 0), "value")));
        json_t *b = ct_back(&o);
        same_sr(sr, pat, prac, b);
        json_decref(b);
        ct_done(&o);
        assert_int_equal(ct_conv(&o, in, "OML^O21", NULL), 0);
        ct_done(&o);
        json_decref(in);
    }
}

/* ---- results ---- */

static void test_us_core_results(void **state)
{
    (void)state;
    const char *cbc[] = {"DiagnosticReport-cbc.json", "Patient-example.json",
                         "Organization-acme-lab.json", "Observation-cbc-leukocytes.json",
                         "Observation-cbc-erythrocytes.json", "Observation-cbc-hemoglobin.json",
                         "Observation-cbc-hematocrit.json", "Observation-cbc-mcv.json",
                         "Observation-cbc-mch.json", "Observation-cbc-mchc.json",
                         "Observation-cbc-platelets.json", NULL};
    json_t *in = ct_usc_bundle(cbc);
    ct_v2 o;
    assert_int_equal(ct_conv(&o, in, NULL, NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "ORU^R01^ORU_R01");
    assert_string_equal(RAW(&o, "ORC-1"), "RE");
    assert_string_equal(RAW(&o, "OBR-4"), "58410-2^CBC panel - Blood by Automated count^LN");
    assert_string_equal(RAW(&o, "OBR-7"), "20050705");
    assert_string_equal(RAW(&o, "OBR-22"), "20050706114533+1100");
    assert_string_equal(RAW(&o, "OBR-25"), "F");
    assert_int_equal(hxe_hl7_find(o.t.m, "OBX", 9), -1);
    assert_true(hxe_hl7_find(o.t.m, "OBX", 8) > 0);
    /* the first result, field by field */
    assert_string_equal(RAW(&o, "OBX[1]-1"), "1");
    assert_string_equal(RAW(&o, "OBX[1]-2"), "NM");
    assert_string_equal(RAW(&o, "OBX[1]-3"), "6690-2^Leukocytes [#/volume] in Blood by Automated count^LN");
    assert_string_equal(RAW(&o, "OBX[1]-5"), "10");
    assert_string_equal(RAW(&o, "OBX[1]-6"), "10*3/uL");
    assert_string_equal(RAW(&o, "OBX[1]-7"), "4.5-11");
    assert_string_equal(RAW(&o, "OBX[1]-11"), "F");
    assert_string_equal(RAW(&o, "OBX[1]-14"), "20050705");
    assert_string_equal(RAW(&o, "OBX[2]-5"), "4.58");
    assert_true(ct_said(&o.is, "DiagnosticReport.performer: not carried"));
    ct_done(&o);
    json_decref(in);
    /* a specimen: SPM after the results */
    const char *cmp[] = {"DiagnosticReport-metabolic-panel.json", "Patient-example.json",
                         "Specimen-specimen-example-serum.json", "Observation-serum-sodium.json",
                         "Observation-serum-potassium.json", "Observation-serum-glucose.json",
                         "Observation-serum-bun.json", "Observation-serum-calcium.json",
                         "Observation-serum-chloride.json", "Observation-serum-co2.json",
                         "Observation-serum-creatinine.json",
                         "Observation-serum-total-bilirubin.json", NULL};
    in = ct_usc_bundle(cmp);
    assert_int_equal(ct_conv(&o, in, "ORU^R01", NULL), 0);
    assert_string_equal(RAW(&o, "SPM-1"), "1");
    assert_string_equal(RAW(&o, "SPM-2"), "^20220927-00124&&http://acme.com/labs/accession-ids&URI");
    assert_string_equal(RAW(&o, "SPM-4"),
                        "119364003^Serum sample^SCT^SER^Serum^HL70487^http://snomed.info/sct/731000124108");
    assert_string_equal(RAW(&o, "SPM-17"), "20220927180712+0000");
    assert_int_equal(hxe_hl7_find(o.t.m, "SPM", 2), -1);
    /* the same results come back from it */
    json_t *b = ct_back(&o);
    json_t *sodium = ct_res(in, "Observation", "serum-sodium");
    size_t i;
    json_t *e;
    int found = 0;
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        json_t *r = json_object_get(e, "resource");
        if (!ct_has_coding(json_object_get(r, "code"),
                        json_array_get(json_object_get(json_object_get(sodium, "code"), "coding"), 0)))
            continue;
        found = 1;
        json_t *q = json_object_get(r, "valueQuantity"), *q0 = json_object_get(sodium, "valueQuantity");
        assert_true(fabs(json_number_value(json_object_get(q, "value")) -
                         json_number_value(json_object_get(q0, "value"))) < 1e-9);
        /* a unit without a UCUM code stays a unit: no code is made up */
        assert_true(json_equal(json_object_get(q, "unit"), json_object_get(q0, "unit")));
        assert_null(json_object_get(q0, "code"));
        assert_null(json_object_get(q, "code"));
        assert_string_equal(json_string_value(json_object_get(r, "status")), "final");
    }
    assert_true(found);
    json_decref(b);
    ct_done(&o);
    json_decref(in);
}

/* OBX fields as text, for comparing two messages result by result */
static int num_eq(const char *a, const char *b)
{
    char *ea, *eb;
    double x = strtod(a, &ea), y = strtod(b, &eb);
    if (*a && *b && !*ea && !*eb)
        return fabs(x - y) < 1e-9 * (fabs(x) + 1);
    return strcmp(a, b) == 0;
}

/* compares every OBX of a and b: code, value, units, flags, status;
 * returns the number of differences (printed) */
static size_t obx_diff(const hxe_hl7_msg *a, const hxe_hl7_msg *b, const char *name)
{
    size_t diffs = 0;
    for (unsigned k = 1;; k++) {
        long ia = hxe_hl7_find(a, "OBX", k), ib = hxe_hl7_find(b, "OBX", k);
        if (ia < 0 || ib < 0) {
            if (ia >= 0 || ib >= 0) {
                print_message("%s: OBX count differs at %u\n", name, k);
                diffs++;
            }
            return diffs;
        }
        static const char *const parts[] = {"3.1", "3.3", "6.1", "8.1", "11.1", "5.1", "5.2", "5.3", "5.4"};
        char pa[32], va[1024];
        for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++) {
            snprintf(pa, sizeof pa, "OBX[%u]-%s", k, parts[p]);
            snprintf(va, sizeof va, "%s", tu_get(a, pa));
            const char *vb = tu_get(b, pa);
            if (!num_eq(va, vb)) {
                print_message("%s: %s differs: '%s' / '%s'\n", name, pa, va, vb);
                diffs++;
            }
        }
    }
}

/* the Observations two Bundles hold, in order, compared on what a
 * result is: code (the two codings a CE carries), value, interpretation,
 * status, reference range; returns the differences (printed) */
static json_t *observations(const json_t *b)
{
    json_t *out = json_array(), *e;
    size_t i;
    json_array_foreach(json_object_get(b, "entry"), i, e) {
        json_t *r = json_object_get(e, "resource");
        if (strcmp(json_string_value(json_object_get(r, "resourceType")), "Observation") == 0)
            json_array_append(out, r);
    }
    return out;
}

static int same_number(const json_t *a, const json_t *b)
{
    if (!a || !b)
        return a == b;
    return fabs(json_number_value(a) - json_number_value(b)) <=
           1e-9 * (fabs(json_number_value(a)) + 1);
}

static int same_quantity(const json_t *a, const json_t *b)
{
    static const char *const k[] = {"unit", "code", "system", "comparator"};
    if (!same_number(json_object_get(a, "value"), json_object_get(b, "value")))
        return 0;
    for (size_t i = 0; i < 4; i++) {
        json_t *x = json_object_get(a, k[i]), *y = json_object_get(b, k[i]);
        if ((x || y) && !json_equal(x, y))
            return 0;
    }
    return 1;
}

static size_t obs_diff(const json_t *b1, const json_t *b2, const char *name)
{
    json_t *l1 = observations(b1), *l2 = observations(b2);
    size_t diffs = 0, i;
    if (json_array_size(l1) != json_array_size(l2)) {
        print_message("%s: %zu Observations became %zu\n", name, json_array_size(l1),
                      json_array_size(l2));
        diffs++;
    }
    for (i = 0; i < json_array_size(l1) && i < json_array_size(l2); i++) {
        json_t *a = json_array_get(l1, i), *b = json_array_get(l2, i), *x;
        size_t k;
        const char *what = NULL;
        json_t *ca = json_object_get(a, "code");
        json_array_foreach(json_object_get(ca, "coding"), k, x) if (k < 2 && !ct_has_coding(json_object_get(b, "code"), x))
            what = "code";
        if (!json_object_get(ca, "coding") && !ct_same(json_object_get(ca, "text"),
                                                         json_object_get(json_object_get(b, "code"), "text")))
            what = "code.text";
        const char *key;
        json_object_foreach(a, key, x) {
            json_t *y = json_object_get(b, key);
            if (strncmp(key, "value", 5) != 0 && strcmp(key, "dataAbsentReason") != 0)
                continue;
            if (!y)
                what = key;
            else if (strcmp(key, "valueQuantity") == 0 && !same_quantity(x, y))
                what = key;
            else if (strcmp(key, "valueRange") == 0 &&
                     (!same_quantity(json_object_get(x, "low"), json_object_get(y, "low")) ||
                      !same_quantity(json_object_get(x, "high"), json_object_get(y, "high"))))
                what = key;
            else if (strcmp(key, "valueCodeableConcept") == 0) {
                size_t j;
                json_t *cd;
                json_array_foreach(json_object_get(x, "coding"), j, cd) if (!ct_has_coding(y, cd))
                    what = key;
                if (!ct_same(json_object_get(x, "text"), json_object_get(y, "text")) &&
                    json_object_get(x, "text"))
                    what = key;
            } else if (strcmp(key, "valueQuantity") != 0 && strcmp(key, "valueRange") != 0 &&
                       !ct_same(x, y))
                what = key;
        }
        json_array_foreach(json_object_get(a, "interpretation"), k, x) {
            json_t *y = json_array_get(json_object_get(b, "interpretation"), k);
            json_t *cd = json_array_get(json_object_get(x, "coding"), 0);
            if (!y || (cd && !ct_has_coding(y, cd)))
                what = "interpretation";
        }
        if (!ct_same(json_object_get(a, "status"), json_object_get(b, "status")))
            what = "status";
        x = json_object_get(json_array_get(json_object_get(a, "referenceRange"), 0), "text");
        if (x && !ct_same(x, json_object_get(json_array_get(json_object_get(b, "referenceRange"), 0), "text")))
            what = "referenceRange";
        if (what) {
            print_message("%s: Observation %zu: %s differs\n", name, i + 1, what);
            diffs++;
        }
    }
    json_decref(l1);
    json_decref(l2);
    return diffs;
}

static void test_oru_round_trip(void **state)
{
    (void)state;
    char path[512];
    const char *src = getenv("HXE_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/tests/data/convert/oru_r01.hl7", src ? src : ".");
    size_t len = 0;
    char *msg = tu_read(path, &len);
    assert_non_null(msg);
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse_n(&t, msg, len), 0);
    json_t *bundle = NULL;
    hxe_conv_opts co = {NULL, 0};
    assert_int_equal(hxe_conv_v2_to_fhir(t.m, &co, &bundle, NULL, &t.err), 0);
    ct_v2 o;
    /* a transaction Bundle hxe made: urn:uuid references throughout */
    assert_int_equal(ct_conv(&o, bundle, NULL, NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "ORU^R01^ORU_R01");
    assert_string_equal(RAW(&o, "MSH-7"), "20240301160000-0500");
    assert_string_equal(RAW(&o, "MSH-10"), "ORU-0001");
    assert_int_equal(obx_diff(t.m, o.t.m, "oru_r01"), 0);
    json_t *again = ct_back(&o);
    assert_int_equal(obs_diff(bundle, again, "oru_r01"), 0);
    json_decref(again);
    /* identifiers keep value, system and type (the namespace beside a
     * system is not read by v2 -> FHIR, so it cannot come back) */
    static const char *const same[] = {
        "PID-3.1", "PID-3.4.2", "PID-3.4.3", "PID-3.5", "PID-5", "PID-7", "PID-8", "PID-11",
        "PID-13", "PID-14", "ORC-2.1", "ORC-2.3", "ORC-3.1", "ORC-3.3", "ORC-9", "ORC-12.1",
        "ORC-12.2", "OBR[1]-2.1", "OBR[1]-3.1", "OBR[1]-4", "OBR[1]-7", "OBR[1]-16.1",
        "OBR[1]-22", "OBR[1]-25", "OBR[2]-2.1", "OBR[2]-4", "OBR[2]-25", "SPM-2.1.1",
        "SPM-2.2.1", "SPM-4", "SPM-17", "SPM-18", "NTE-3", "OBX[1]-7", "OBX[1]-14", "OBX[3]-17.1",
        "OBX[3]-17.2"};
    size_t bad = 0;
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        char want[512];
        snprintf(want, sizeof want, "%s", tu_get(t.m, same[i]));
        if (strcmp(want, TXT(&o, same[i])) != 0) {
            print_message("%s: '%s' became '%s'\n", same[i], want, TXT(&o, same[i]));
            bad++;
        }
    }
    assert_int_equal(bad, 0);
    ct_done(&o);
    json_decref(bundle);
    tu_done(&t);
    hxe_free(msg);
}

/* every corpus ORU, ORM, OML and ADT message hxe converts to FHIR converts
 * back to v2 that validates (errors only where a conversion warning said
 * FHIR lacked a required field), and ORU results keep their OBX */
static void test_corpus_back(void **state)
{
    (void)state;
    const char *dir = tu_shared("hl7v2");
    if (!dir) {
        print_message("corpus absent (HXE_SHARED_DIR/corpus/hl7v2): skipped\n");
        skip();
    }
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    size_t n = 0, announced = 0, obx_msgs = 0, obx_bad = 0;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
        size_t len = 0;
        char *buf = tu_read(path, &len);
        if (!buf)
            continue;
        hxe_hl7_reader r;
        hxe_hl7_reader_init(&r, buf, len, NULL);
        hxe_slice u;
        size_t off;
        int kind;
        while ((kind = hxe_hl7_reader_next(&r, &u, &off)) != HXE_HL7_UNIT_END) {
            if (kind != HXE_HL7_UNIT_MESSAGE)
                continue;
            tu t;
            tu_init(&t);
            json_t *b = NULL;
            hxe_conv_opts co = {"+00:00", 0};
            char type[8];
            if (tu_parse_n(&t, u.p, u.n) != 0 || !hxe_conv_v2_supported(t.m) ||
                hxe_conv_v2_to_fhir(t.m, &co, &b, NULL, &t.err) != 0) {
                tu_done(&t);
                continue;
            }
            snprintf(type, sizeof type, "%s", tu_get(t.m, "MSH-9.1"));
            const char *want = strcmp(type, "ORU") == 0   ? "ORU^R01"
                               : strcmp(type, "ORM") == 0 ? "ORM^O01"
                               : strcmp(type, "OML") == 0 ? "OML^O21"
                               : strcmp(type, "ADT") == 0 ? "ADT^A31"
                                                          : NULL;
            int oru = strcmp(type, "ORU") == 0;
            if (want && (!oru || ct_res(b, "DiagnosticReport", NULL)) &&
                (oru || strcmp(type, "ADT") == 0 || ct_res(b, "ServiceRequest", NULL))) {
                ct_v2 o;
                size_t nsr = 0;
                while (nsr < 100 && ct_res_nth(b, "ServiceRequest", nsr))
                    nsr++;
                int rc = ct_conv2(&o, b, want, NULL, strcmp(type, "OML") == 0 && nsr > 1 ? -1 : 0);
                if (rc)
                    print_message("%s: %s\n", de->d_name, o.err.msg);
                assert_int_equal(rc, 0);
                n++;
                announced += o.verrors > 0;
                if (oru) {
                    /* what v2 -> FHIR made of the results comes back the
                     * same from the message written (what that map does
                     * not read, like local coding systems, is not lost
                     * here but there) */
                    json_t *again = ct_back(&o);
                    obx_msgs++;
                    obx_bad += obs_diff(b, again, de->d_name) > 0;
                    json_decref(again);
                }
                ct_done(&o);
            }
            json_decref(b);
            tu_done(&t);
        }
        hxe_free(buf);
    }
    closedir(d);
    print_message("corpus back to v2: %zu messages (%zu with required fields FHIR lacked, each "
                  "announced), %zu ORU, %zu whose results differ; %zu OML_O21 order-group "
                  "errors of the validator\n",
                  n, announced, obx_msgs, obx_bad, ct_prior_ambiguity);
    assert_true(n > 100);
    assert_true(obx_msgs > 20);
    assert_int_equal(obx_bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lab_order),       cmocka_unit_test(test_us_core_orders),
        cmocka_unit_test(test_us_core_results), cmocka_unit_test(test_oru_round_trip),
        cmocka_unit_test(test_corpus_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
