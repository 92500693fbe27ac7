/*
 * test_convert_segments.c — the v2 -> FHIR segment maps, one test each
 * (MSH, PID, PD1, NK1, PV1/PV2, ORC/OBR, OBX, NTE, SPM, AL1, DG1, IN1,
 * RXA/RXR), plus what the message layer promises: conditional requests
 * on business identifiers, deterministic fullUrls, Z-segments and
 * unmapped fields reported by place (never by value), refusals, and every
 * Bundle validating with zero errors.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <string.h>

typedef struct conv {
    tu t;
    json_t *b;
    int rc;
} conv;

#define MSH_ADT "MSH|^~\\&|ADT1^1.2.3.4^ISO|MERCY^2.16.840.1.99^ISO|RCV|RFAC|20240213154601-0500||ADT^A01^ADT_A01|CTL1|P|2.5.1\r"
#define MSH_ORU "MSH|^~\\&|LIS|LAB^1.2.9^ISO|EHR|HOSP|20240213154601+0000||ORU^R01^ORU_R01|CTL2|P|2.5.1\r"
#define PID_OK "PID|1||123^^^MERCY&1.2.3&ISO^MR~999-99-9999^^^SSA^SS||Doe^Jane^Q^^^^L||19800102|F|||1 Main St^^Boston^MA^02101^USA^H||^PRN^PH^^1^617^5550000~^NET^Internet^jd@example.org|^WPN^PH^^1^617^5551111||M\r"

static void run(conv *c, const char *msg, const char *tz)
{
    tu_init(&c->t);
    assert_int_equal(tu_parse(&c->t, msg), 0);
    hxe_issues_clear(&c->t.issues);
    hxe_conv_opts o = {tz, 0};
    c->b = NULL;
    c->rc = hxe_conv_v2_to_fhir(c->t.m, &o, &c->b, &c->t.issues, &c->t.err);
}

static void done(conv *c)
{
    json_decref(c->b);
    tu_done(&c->t);
}

static void valid(const conv *c)
{
    hxe_issues vi = HXE_ISSUES_INIT;
    hxe_err err = {0, ""};
    assert_int_equal(hxe_fhir_validate(c->b, NULL, &vi, &err), 0);
    for (size_t i = 0; i < vi.n; i++)
        if (vi.v[i].severity >= HXE_SEV_ERROR)
            print_message("  %s\n", vi.v[i].text);
    assert_int_equal(vi.errors, 0);
    hxe_issues_free(&vi);
}

/* the entry of the n-th (0-based) resource of a type, or NULL */
static json_t *entry(const conv *c, const char *type, size_t n)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(c->b, "entry"), i, e) {
        const char *t = json_string_value(json_object_get(json_object_get(e, "resource"), "resourceType"));
        if (strcmp(t, type) == 0 && n-- == 0)
            return e;
    }
    return NULL;
}

static json_t *res(const conv *c, const char *type, size_t n)
{
    json_t *e = entry(c, type, n);
    assert_non_null(e);
    return json_object_get(e, "resource");
}

static size_t count(const conv *c, const char *type)
{
    size_t n = 0;
    while (entry(c, type, n))
        n++;
    return n;
}

static const char *str(json_t *r, const char *path)
{
    const char *s = hxe_fhir_get_str(r, path);
    if (!s)
        print_message("%s: absent\n", path);
    assert_non_null(s);
    return s;
}

static long long numv(json_t *r, const char *path)
{
    json_t *n = NULL;
    assert_int_equal(hxe_fhir_get(r, path, &n, NULL), 0);
    assert_true(json_is_integer(n));
    return json_integer_value(n);
}

static const char *url_of(const conv *c, const char *type, size_t n)
{
    return json_string_value(json_object_get(entry(c, type, n), "fullUrl"));
}

static size_t issues_with(const conv *c, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < c->t.issues.n; i++)
        if (strstr(c->t.issues.v[i].text, needle))
            n++;
    return n;
}

static void test_msh(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ADT PID_OK, NULL);
    assert_int_equal(c.rc, 0);
    assert_string_equal(str(c.b, "Bundle.type"), "transaction");
    assert_string_equal(str(c.b, "Bundle.identifier.value"), "CTL1");
    assert_string_equal(str(c.b, "Bundle.timestamp"), "2024-02-13T15:46:01-05:00");
    json_t *h = res(&c, "MessageHeader", 0);
    assert_string_equal(str(h, "eventCoding.code"), "A01");
    assert_string_equal(str(h, "eventCoding.system"), "http://terminology.hl7.org/CodeSystem/v2-0003");
    assert_string_equal(str(h, "source.name"), "ADT1");
    assert_string_equal(str(h, "source.endpoint"), "urn:oid:1.2.3.4");
    assert_string_equal(str(h, "destination[0].name"), "RCV");
    json_t *org = json_object_get(res(&c, "Organization", 1), "name");
    assert_string_equal(json_string_value(org), "MERCY");
    assert_string_equal(str(h, "sender.reference"), url_of(&c, "Organization", 1));
    /* Provenance of the transformation, recorded = MSH-7 */
    json_t *p = res(&c, "Provenance", 0);
    assert_string_equal(str(p, "recorded"), "2024-02-13T15:46:01-05:00");
    assert_string_equal(str(p, "target[0].reference"), url_of(&c, "MessageHeader", 0));
    assert_string_equal(str(p, "activity.coding[0].code"), "v2-fhir-transformation");
    valid(&c);
    done(&c);
    /* MSH-7 without offset and no default: no instant, no Provenance, said */
    run(&c, "MSH|^~\\&|A|B|C|D|20240213154601||ADT^A04|X|P|2.5.1\r" PID_OK, NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count(&c, "Provenance"), 0);
    assert_null(json_object_get(c.b, "timestamp"));
    assert_int_equal(issues_with(&c, "MSH-7: no instant for Provenance"), 1);
    assert_string_equal(str(res(&c, "MessageHeader", 0), "eventCoding.code"), "A04");
    valid(&c);
    done(&c);
    run(&c, "MSH|^~\\&|A|B|C|D|20240213154601||ADT^A04|X|P|2.5.1\r" PID_OK, "+00:00");
    assert_string_equal(str(c.b, "Bundle.timestamp"), "2024-02-13T15:46:01Z");
    assert_int_equal(count(&c, "Provenance"), 1);
    done(&c);
}

static void test_pid(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ADT PID_OK "PID|2||X\r", NULL);
    assert_int_equal(c.rc, 0);
    json_t *e = entry(&c, "Patient", 0);
    assert_string_equal(str(e, "request.method"), "PUT");
    assert_string_equal(str(e, "request.url"), "Patient?identifier=urn:oid:1.2.3|123");
    json_t *p = json_object_get(e, "resource");
    assert_string_equal(str(p, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient");
    assert_string_equal(str(p, "identifier[0].value"), "123");
    assert_string_equal(str(p, "identifier[0].type.coding[0].code"), "MR");
    assert_string_equal(str(p, "identifier[1].system"), "http://hl7.org/fhir/sid/us-ssn");
    assert_string_equal(str(p, "name[0].family"), "Doe");
    assert_string_equal(str(p, "name[0].given[1]"), "Q");
    assert_string_equal(str(p, "name[0].use"), "official");
    assert_string_equal(str(p, "gender"), "female");
    assert_string_equal(str(p, "birthDate"), "1980-01-02");
    assert_string_equal(str(p, "address[0].city"), "Boston");
    assert_string_equal(str(p, "address[0].use"), "home");
    assert_string_equal(str(p, "telecom[0].value"), "+1 (617) 5550000");
    assert_string_equal(str(p, "telecom[0].use"), "home");
    assert_string_equal(str(p, "telecom[1].system"), "email");
    assert_string_equal(str(p, "telecom[2].use"), "work");
    assert_string_equal(str(p, "maritalStatus.coding[0].code"), "M");
    /* a second PID in one message: reported, not merged */
    assert_int_equal(count(&c, "Patient"), 1);
    assert_int_equal(issues_with(&c, "PID[2]: a second patient"), 1);
    valid(&c);
    done(&c);
    /* identifiers without a system: no US Core claim, unconditional, said */
    run(&c, MSH_ADT "PID|1||55^^^Mercy^MR||Roe^Rick||20000101|M|||||||||||||||||||||20240101|Y\r",
        NULL);
    json_t *e2 = entry(&c, "Patient", 0);
    assert_string_equal(str(e2, "request.method"), "POST");
    assert_null(json_object_get(json_object_get(e2, "resource"), "meta"));
    assert_int_equal(issues_with(&c, "PID-3: no identifier with a system"), 1);
    assert_string_equal(str(json_object_get(e2, "resource"), "deceasedDateTime"), "2024-01-01");
    valid(&c);
    done(&c);
}

static void test_pd1_nk1(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ADT PID_OK "PD1|||Family Clinic^^^^^^XX^^^777|1234567893^Welby^Marcus^^^Dr^^^&NPI\r"
            "NK1|1|Doe^John|SPO^Spouse^HL70063|1 Main St^^Boston^MA|^PRN^PH^^^617^5552222||C^Emergency Contact^HL70131\r",
        NULL);
    assert_int_equal(c.rc, 0);
    json_t *p = res(&c, "Patient", 0);
    assert_string_equal(str(p, "generalPractitioner[0].reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(res(&c, "Practitioner", 0), "identifier[0].system"),
                        "http://hl7.org/fhir/sid/us-npi");
    json_t *rp = res(&c, "RelatedPerson", 0);
    assert_string_equal(str(rp, "patient.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(rp, "name[0].family"), "Doe");
    assert_string_equal(str(rp, "relationship[0].coding[0].code"), "SPO");
    assert_string_equal(str(rp, "relationship[0].coding[0].system"),
                        "http://terminology.hl7.org/CodeSystem/v2-0063");
    assert_string_equal(str(rp, "relationship[1].coding[0].code"), "C");
    assert_string_equal(str(rp, "telecom[0].value"), "(617) 5552222");
    valid(&c);
    done(&c);
}

static void test_pv1_pv2(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ADT PID_OK
            "PV1|1|I|4W^401^1^MERCY|E^Emergency^HL70007|||1234567893^Welby^Marcus^^^^^^&NPI|||MED|||||||||V100^^^MERCY&1.2.3&ISO^VN|||||||||||||||||01^Home^HL70112||||||||20240213150000-0500\r"
            "PV2|||CHEST PAIN^Chest pain\r",
        NULL);
    assert_int_equal(c.rc, 0);
    json_t *e = entry(&c, "Encounter", 0);
    assert_string_equal(str(e, "request.url"), "Encounter?identifier=urn:oid:1.2.3|V100");
    json_t *en = json_object_get(e, "resource");
    assert_string_equal(str(en, "status"), "in-progress");
    assert_string_equal(str(en, "class.code"), "IMP");
    assert_string_equal(str(en, "type[0].coding[0].code"), "E");
    assert_string_equal(str(en, "subject.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(en, "participant[0].type[0].coding[0].code"), "ATND");
    assert_string_equal(str(en, "participant[0].individual.reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(en, "period.start"), "2024-02-13T15:00:00-05:00");
    assert_string_equal(str(en, "location[0].location.display"), "4W 401 1 MERCY");
    assert_string_equal(str(en, "hospitalization.dischargeDisposition.coding[0].code"), "01");
    assert_string_equal(str(en, "reasonCode[0].coding[0].display"), "Chest pain");
    assert_string_equal(str(en, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-encounter");
    valid(&c);
    done(&c);
    /* A03: finished, with the discharge time */
    run(&c, "MSH|^~\\&|A|B|C|D|20240213154601-0500||ADT^A03|X3|P|2.5.1\r" PID_OK
            "PV1|1|O|||||||||||||||||V1|||||||||||||||||||||||||20240213150000-0500|20240213160000-0500\r",
        NULL);
    json_t *en3 = res(&c, "Encounter", 0);
    assert_string_equal(str(en3, "status"), "finished");
    assert_string_equal(str(en3, "class.code"), "AMB");
    assert_string_equal(str(en3, "period.end"), "2024-02-13T16:00:00-05:00");
    valid(&c);
    done(&c);
}

#define ORU_BODY                                                                                  \
    PID_OK                                                                                        \
    "ORC|RE|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO||CM||||20240213100000+0000|||1234567893^Welby^Marcus^^^^^^&NPI\r" \
    "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^Comprehensive metabolic panel^LN|||20240213090000+0000|||||||||||||||20240213120000+0000|||F\r" \
    "NTE|1|L|Specimen slightly hemolyzed\r"                                                     \
    "OBX|1|NM|2345-7^Glucose^LN||182|mg/dL^^UCUM|70-99|H|||F|||20240213090000+0000||1234567893^Welby^Marcus^^^^^^&NPI|||||||LAB CORP^^^^^&1.2.9&ISO^XX^^^55\r" \
    "NTE|1|L|Repeat advised\r"                                                                  \
    "OBX|2|SN|2951-2^Sodium^LN||<^130|mmol/L^^UCUM|136-145|LL|||C\r"                            \
    "OBX|3|CWE|600-7^Bacteria identified^LN||3092008^Staphylococcus aureus^SCT||||||F||||||0086^Culture^SCT\r" \
    "SPM|1|SP1&EHR&1.2.7&ISO^SF1&LAB&1.2.9&ISO||119297000^Blood specimen^SCT|||||||||||||20240213080000+0000|20240213083000+0000\r" \
    "OBR|2|PL2^EHR^1.2.7^ISO|FL2^LAB^1.2.9^ISO|58410-2^CBC panel^LN|||20240213090000+0000||||||||||||||||||P\r" \
    "OBX|1|ST|718-7^Hemoglobin^LN||pending||||||P\r"                                             \
    "ZXT|1|local stuff\r"

static void test_orc_obr_obx(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ORU ORU_BODY, NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count(&c, "ServiceRequest"), 2);
    assert_int_equal(count(&c, "DiagnosticReport"), 2);
    assert_int_equal(count(&c, "Observation"), 4);
    json_t *sre = entry(&c, "ServiceRequest", 0);
    assert_string_equal(str(sre, "request.method"), "PUT");
    assert_string_equal(str(sre, "request.url"), "ServiceRequest?identifier=urn:oid:1.2.7|PL1");
    json_t *sr = json_object_get(sre, "resource");
    assert_string_equal(str(sr, "status"), "completed");
    assert_string_equal(str(sr, "intent"), "order");
    assert_string_equal(str(sr, "code.coding[0].code"), "24323-8");
    assert_string_equal(str(sr, "identifier[1].type.coding[0].code"), "FILL");
    /* ORC-12: a PractitionerRole of the Practitioner (the IG's requester) */
    assert_string_equal(str(sr, "requester.reference"), url_of(&c, "PractitionerRole", 0));
    assert_string_equal(str(res(&c, "PractitionerRole", 0), "practitioner.reference"),
                        url_of(&c, "Practitioner", 0));
    assert_string_equal(str(sr, "authoredOn"), "2024-02-13T10:00:00Z");
    assert_string_equal(str(sr, "note[0].text"), "Specimen slightly hemolyzed");
    json_t *dre = entry(&c, "DiagnosticReport", 0);
    assert_string_equal(str(dre, "request.url"), "DiagnosticReport?identifier=urn:oid:1.2.9|FL1");
    json_t *dr = json_object_get(dre, "resource");
    assert_string_equal(str(dr, "status"), "final");
    assert_string_equal(str(dr, "category[0].coding[0].code"), "LAB");
    assert_string_equal(str(dr, "basedOn[0].reference"), url_of(&c, "ServiceRequest", 0));
    assert_string_equal(str(dr, "effectiveDateTime"), "2024-02-13T09:00:00Z");
    assert_string_equal(str(dr, "issued"), "2024-02-13T12:00:00Z");
    assert_int_equal(json_array_size(json_object_get(dr, "result")), 3);
    assert_string_equal(str(dr, "result[0].reference"), url_of(&c, "Observation", 0));
    assert_string_equal(str(dr, "specimen[0].reference"), url_of(&c, "Specimen", 0));
    assert_string_equal(str(res(&c, "DiagnosticReport", 1), "status"), "preliminary");
    /* OBX: value, range, interpretation, status, performer, method, specimen, note */
    json_t *o = res(&c, "Observation", 0);
    assert_string_equal(str(o, "status"), "final");
    assert_string_equal(str(o, "category[0].coding[0].code"), "laboratory");
    assert_string_equal(str(o, "code.coding[0].system"), "http://loinc.org");
    assert_int_equal(numv(o, "valueQuantity.value"), 182);
    assert_string_equal(str(o, "valueQuantity.code"), "mg/dL");
    assert_string_equal(str(o, "referenceRange[0].text"), "70-99");
    assert_int_equal(numv(o, "referenceRange[0].low.value"), 70);
    assert_string_equal(str(o, "interpretation[0].coding[0].code"), "H");
    assert_string_equal(str(o, "interpretation[0].coding[0].system"),
                        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation");
    assert_string_equal(str(o, "effectiveDateTime"), "2024-02-13T09:00:00Z");
    assert_string_equal(str(o, "performer[0].reference"), url_of(&c, "Practitioner", 0));
    assert_non_null(hxe_fhir_get_str(o, "performer[1].reference"));
    assert_string_equal(str(o, "note[0].text"), "Repeat advised");
    assert_string_equal(str(o, "specimen.reference"), url_of(&c, "Specimen", 0));
    assert_string_equal(str(o, "subject.reference"), url_of(&c, "Patient", 0));
    json_t *o2 = res(&c, "Observation", 1);
    assert_string_equal(str(o2, "status"), "corrected");
    assert_string_equal(str(o2, "valueQuantity.comparator"), "<");
    assert_string_equal(str(o2, "interpretation[0].coding[0].code"), "LL");
    json_t *o3 = res(&c, "Observation", 2);
    assert_string_equal(str(o3, "valueCodeableConcept.coding[0].code"), "3092008");
    assert_string_equal(str(o3, "method.coding[0].code"), "0086");
    /* effective from OBR-7 when OBX-14 is empty */
    assert_string_equal(str(o3, "effectiveDateTime"), "2024-02-13T09:00:00Z");
    json_t *o4 = res(&c, "Observation", 3);
    assert_string_equal(str(o4, "valueString"), "pending");
    assert_string_equal(str(o4, "status"), "preliminary");
    /* another order's group: not the SPM's Specimen but its OBR's own
     * (OBR[Specimen], made because OBR-7 is valued) */
    assert_string_equal(str(o4, "specimen.reference"), url_of(&c, "Specimen", 1));
    assert_string_equal(str(res(&c, "Specimen", 1), "collection.collectedDateTime"),
                        "2024-02-13T09:00:00Z");
    assert_int_equal(count(&c, "Specimen"), 2);   /* none for the group with an SPM */
    /* SPM */
    json_t *sp = res(&c, "Specimen", 0);
    assert_string_equal(str(sp, "identifier[0].value"), "SP1");
    assert_string_equal(str(sp, "identifier[1].system"), "urn:oid:1.2.9");
    assert_string_equal(str(sp, "type.coding[0].code"), "119297000");
    assert_string_equal(str(sp, "collection.collectedDateTime"), "2024-02-13T08:00:00Z");
    assert_string_equal(str(sp, "receivedTime"), "2024-02-13T08:30:00Z");
    /* the Z-segment is reported, by place */
    assert_int_equal(issues_with(&c, "ZXT[1]: Z-segment, not mapped"), 1);
    valid(&c);
    done(&c);
}

static void test_al1_dg1_in1(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ADT PID_OK "PV1|1|I\r"
            "AL1|1|DA^Drug allergy^HL70127|70618^Penicillin^RXNORM|SV^Severe^HL70128|Hives~Wheezing|20100101\r"
            "DG1|1||I10.9^Essential hypertension^I10||20240101|A|||||||||||||20240102|D77^^1.2.8^ISO\r"
            "IN1|1|PLAN7^Gold plan|INS1^^^&2.16.840.1.3&ISO|Acme Insurance|1 Ins Way^^Hartford^CT|||||||20240101|20241231||HMO^HMO^HL70086||01^Self^HL70063|||||||||||||||||||POL123^^^&2.16.840.1.4&ISO\r",
        NULL);
    assert_int_equal(c.rc, 0);
    json_t *a = res(&c, "AllergyIntolerance", 0);
    assert_string_equal(str(a, "clinicalStatus.coding[0].code"), "active");
    assert_string_equal(str(a, "category[0]"), "medication");
    assert_string_equal(str(a, "code.coding[0].system"), "http://www.nlm.nih.gov/research/umls/rxnorm");
    assert_string_equal(str(a, "criticality"), "high");
    assert_string_equal(str(a, "reaction[1].manifestation[0].text"), "Wheezing");
    assert_string_equal(str(a, "onsetDateTime"), "2010-01-01");
    json_t *d = res(&c, "Condition", 0);
    assert_string_equal(str(d, "code.coding[0].system"), "http://hl7.org/fhir/sid/icd-10-cm");
    assert_string_equal(str(d, "category[0].coding[0].code"), "encounter-diagnosis");
    assert_string_equal(str(d, "encounter.reference"), url_of(&c, "Encounter", 0));
    assert_string_equal(str(entry(&c, "Condition", 0), "request.url"),
                        "Condition?identifier=urn:oid:1.2.8|D77");
    json_t *cv = res(&c, "Coverage", 0);
    assert_string_equal(str(cv, "status"), "active");
    assert_string_equal(str(cv, "beneficiary.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(cv, "payor[0].reference"), url_of(&c, "Organization", 2));
    assert_string_equal(str(res(&c, "Organization", 2), "name"), "Acme Insurance");
    assert_string_equal(str(cv, "period.end"), "2024-12-31");
    assert_string_equal(str(cv, "relationship.coding[0].code"), "01");
    assert_string_equal(str(cv, "identifier[0].value"), "POL123");
    assert_string_equal(str(cv, "class[0].value"), "PLAN7");
    valid(&c);
    done(&c);
}

static void test_rxa_rxr(void **s)
{
    (void)s;
    conv c;
    run(&c, "MSH|^~\\&|IIS|CLINIC|REG|STATE|20240213154601-0500||VXU^V04^VXU_V04|V1|P|2.5.1\r" PID_OK
            "ORC|RE||IMM55^CLINIC^1.2.5^ISO\r"
            "RXA|0|1|20240210100000-0500||208^COVID-19 mRNA^CVX|0.3|mL^^UCUM||00^New record^NIP001|1234567893^Welby^Marcus^^^^^^&NPI|||||LOT9|20250101|PFR^Pfizer^MVX|||CP|A\r"
            "RXR|C28161^Intramuscular^NCIT|LD^Left deltoid^HL70163\r",
        NULL);
    assert_int_equal(c.rc, 0);
    json_t *e = entry(&c, "Immunization", 0);
    assert_string_equal(str(e, "request.url"), "Immunization?identifier=urn:oid:1.2.5|IMM55");
    json_t *im = json_object_get(e, "resource");
    assert_string_equal(str(im, "status"), "completed");
    assert_string_equal(str(im, "vaccineCode.coding[0].system"), "http://hl7.org/fhir/sid/cvx");
    assert_string_equal(str(im, "occurrenceDateTime"), "2024-02-10T10:00:00-05:00");
    assert_true(json_is_true(json_object_get(im, "primarySource")));
    assert_string_equal(str(im, "lotNumber"), "LOT9");
    assert_string_equal(str(im, "expirationDate"), "2025-01-01");
    assert_string_equal(str(im, "manufacturer.identifier.value"), "PFR");
    assert_string_equal(str(im, "doseQuantity.code"), "mL");
    assert_string_equal(str(im, "performer[0].function.coding[0].code"), "AP");
    assert_string_equal(str(im, "route.coding[0].code"), "C28161");
    assert_string_equal(str(im, "site.coding[0].system"), "http://terminology.hl7.org/CodeSystem/v2-0163");
    assert_string_equal(str(im, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-immunization");
    valid(&c);
    done(&c);
}

static void test_deterministic(void **s)
{
    (void)s;
    conv a, b, d;
    run(&a, MSH_ORU ORU_BODY, NULL);
    run(&b, MSH_ORU ORU_BODY, NULL);
    run(&d, "MSH|^~\\&|LIS|LAB^1.2.9^ISO|EHR|HOSP|20240213154601+0000||ORU^R01^ORU_R01|CTL3|P|2.5.1\r" ORU_BODY,
        NULL);
    hxe_buf wa = HXE_BUF_INIT, wb = HXE_BUF_INIT;
    assert_int_equal(hxe_fhir_write(a.b, 0, &wa), 0);
    assert_int_equal(hxe_fhir_write(b.b, 0, &wb), 0);
    assert_int_equal(wa.len, wb.len);
    assert_memory_equal(wa.p, wb.p, wa.len);
    /* fullUrls: UUID v5 (version nibble 5), unique in the Bundle, and a
     * different control id gives different ones */
    size_t i, j;
    json_t *e, *f;
    json_array_foreach(json_object_get(a.b, "entry"), i, e) {
        const char *u = json_string_value(json_object_get(e, "fullUrl"));
        assert_int_equal(strlen(u), 45);
        assert_int_equal(u[9 + 14], '5');
        json_array_foreach(json_object_get(a.b, "entry"), j, f) if (j != i)
            assert_string_not_equal(u, json_string_value(json_object_get(f, "fullUrl")));
        assert_string_not_equal(u, url_of(&d, "MessageHeader", 0));
    }
    assert_string_not_equal(url_of(&a, "Patient", 0), url_of(&d, "Patient", 0));
    hxe_buf_free(&wa);
    hxe_buf_free(&wb);
    done(&a);
    done(&b);
    done(&d);
}

static void test_reports_and_refusals(void **s)
{
    (void)s;
    conv c;
    /* unmapped fields: by place, never by value */
    run(&c, MSH_ADT PID_OK "PID|2\rZPI|1|SECRETVALUE\r", NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(issues_with(&c, "ZPI[1]: Z-segment"), 1);
    done(&c);
    run(&c, MSH_ADT "PID|1||123^^^MERCY&1.2.3&ISO^MR||Doe^Jane||19800102|F||2106-3^White^CDCREC||||||||||||||||||||||||||||||SECRETVALUE\r", NULL);
    assert_int_equal(issues_with(&c, "PID[1]-40: valued, not mapped by hxe"), 1);
    assert_int_equal(issues_with(&c, "PID[1]-10"), 0);   /* race: mapped */
    for (size_t i = 0; i < c.t.issues.n; i++) {
        assert_null(strstr(c.t.issues.v[i].text, "SECRETVALUE"));
        assert_null(strstr(c.t.issues.v[i].text, "Doe"));
        assert_null(strstr(c.t.issues.v[i].text, "White"));
    }
    done(&c);
    /* a type hxe does not convert; a message without PID */
    run(&c, "MSH|^~\\&|A|B|C|D|20240101||RDE^O11|1|P|2.5.1\rPID|1\r", NULL);
    assert_int_equal(c.rc, HXE_ENOTFOUND);
    assert_null(c.b);
    assert_int_equal(hxe_conv_v2_supported(c.t.m), 0);
    done(&c);
    run(&c, "MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5.1\rOBR|1\r", NULL);
    assert_int_equal(c.rc, HXE_EINVAL);
    assert_non_null(strstr(c.t.err.msg, "PID"));
    assert_int_equal(hxe_conv_v2_supported(c.t.m), 1);
    done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msh),
        cmocka_unit_test(test_pid),
        cmocka_unit_test(test_pd1_nk1),
        cmocka_unit_test(test_pv1_pv2),
        cmocka_unit_test(test_orc_obr_obx),
        cmocka_unit_test(test_al1_dg1_in1),
        cmocka_unit_test(test_rxa_rxr),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_reports_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
