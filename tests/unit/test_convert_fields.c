/*
 * test_convert_fields.c — v2 -> FHIR maps added to the segments of the
 * first release: PID-10/22 -> the US Core race and ethnicity extensions
 * (OMB categories, detailed CDC codes, text), PV1-3 -> a chain of
 * Locations, ORC-12 with ORC-21..23 -> a PractitionerRole, OBR-7/15 ->
 * a Specimen (OBR[Specimen]) when no SPM follows, ED content types.
 * Every Bundle validates with zero errors.
 */
#include "helpers/testutil.h"

#include "convert/convert.h"
#include "fhir/fhir.h"

#include <string.h>

typedef struct conv {
    tu t;
    json_t *b;
} conv;

static void run(conv *c, const char *msg)
{
    tu_init(&c->t);
    assert_int_equal(tu_parse(&c->t, msg), 0);
    c->b = NULL;
    assert_int_equal(hxe_conv_v2_to_fhir(c->t.m, NULL, &c->b, &c->t.issues, &c->t.err), 0);
    hxe_issues vi = HXE_ISSUES_INIT;
    assert_int_equal(hxe_fhir_validate(c->b, NULL, &vi, &c->t.err), 0);
    for (size_t i = 0; i < vi.n; i++)
        if (vi.v[i].severity >= HXE_SEV_ERROR)
            print_message("  %s\n", vi.v[i].text);
    assert_int_equal(vi.errors, 0);
    hxe_issues_free(&vi);
}

static void done(conv *c)
{
    json_decref(c->b);
    tu_done(&c->t);
}

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

static const char *url_of(const conv *c, const char *type, size_t n)
{
    return json_string_value(json_object_get(entry(c, type, n), "fullUrl"));
}

#define MSH_ADT "MSH|^~\\&|ADT1|MERCY^1.2.3^ISO|RCV|RFAC|20240213154601-0500||ADT^A01^ADT_A01|CTL1|P|2.5.1\r"
#define MSH_ORU "MSH|^~\\&|LIS|LAB^1.2.9^ISO|EHR|HOSP|20240213154601+0000||ORU^R01^ORU_R01|CTL2|P|2.5.1\r"
#define PID_HEAD "PID|1||123^^^MERCY&1.2.3&ISO^MR||Doe^Jane||19800102|F||"

/* the extension of the Patient with this URL suffix (us-core-race ...) */
static json_t *ext(const conv *c, const char *what)
{
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(res(c, "Patient", 0), "extension"), i, x) {
        const char *u = json_string_value(json_object_get(x, "url"));
        if (u && strstr(u, what))
            return json_object_get(x, "extension");
    }
    return NULL;
}

/* the n-th sub-extension named url of ext, or NULL */
static json_t *sub(json_t *e, const char *url, size_t n)
{
    size_t i;
    json_t *x;
    json_array_foreach(e, i, x) if (strcmp(json_string_value(json_object_get(x, "url")), url) == 0 &&
                                    n-- == 0) return x;
    return NULL;
}

static void test_race_ethnicity(void **s)
{
    (void)s;
    conv c;
    /* two OMB races, a Hispanic ethnicity in table 0189 */
    run(&c, MSH_ADT PID_HEAD "2106-3^White^CDCREC~2054-5^Black or African American^CDCREC||||||||||||H^Hispanic or Latino^HL70189\r");
    json_t *r = ext(&c, "us-core-race");
    assert_non_null(r);
    assert_string_equal(str(sub(r, "ombCategory", 0), "valueCoding.code"), "2106-3");
    assert_string_equal(str(sub(r, "ombCategory", 0), "valueCoding.system"),
                        "urn:oid:2.16.840.1.113883.6.238");
    assert_string_equal(str(sub(r, "ombCategory", 1), "valueCoding.code"), "2054-5");
    assert_string_equal(str(sub(r, "text", 0), "valueString"), "White, Black or African American");
    json_t *e = ext(&c, "us-core-ethnicity");
    assert_string_equal(str(sub(e, "ombCategory", 0), "valueCoding.code"), "2135-2");
    assert_string_equal(str(sub(e, "text", 0), "valueString"), "Hispanic or Latino");
    done(&c);
    /* a CDC code outside the OMB set is detailed; a local code is text */
    run(&c, MSH_ADT PID_HEAD "2131-1^Other Race^HL70005~W||||||||||||2186-5^^CDCREC~2148-5^Mexican^CDCREC~2135-2^Hispanic^CDCREC\r");
    r = ext(&c, "us-core-race");
    assert_null(sub(r, "ombCategory", 0));
    assert_string_equal(str(sub(r, "detailed", 0), "valueCoding.code"), "2131-1");
    assert_null(sub(r, "detailed", 1));
    assert_string_equal(str(sub(r, "text", 0), "valueString"), "Other Race, W");
    e = ext(&c, "us-core-ethnicity");
    /* ethnicity has one OMB category at most: the first; a display from
     * the table when the sender gave none */
    assert_string_equal(str(sub(e, "ombCategory", 0), "valueCoding.code"), "2186-5");
    assert_null(sub(e, "ombCategory", 1));
    assert_string_equal(str(sub(e, "detailed", 0), "valueCoding.code"), "2148-5");
    assert_string_equal(str(sub(e, "text", 0), "valueString"),
                        "Not Hispanic or Latino, Mexican, Hispanic");
    done(&c);
    /* null flavors */
    run(&c, MSH_ADT PID_HEAD "UNK^^CDCREC||||||||||||ASKU^Asked, but unknown^NULLFL\r");
    assert_string_equal(str(sub(ext(&c, "us-core-race"), "ombCategory", 0), "valueCoding.system"),
                        "http://terminology.hl7.org/CodeSystem/v3-NullFlavor");
    assert_string_equal(str(sub(ext(&c, "us-core-race"), "text", 0), "valueString"), "Unknown");
    assert_string_equal(str(sub(ext(&c, "us-core-ethnicity"), "ombCategory", 0), "valueCoding.code"),
                        "ASKU");
    done(&c);
    /* nothing valued: no extension */
    run(&c, MSH_ADT PID_HEAD "\r");
    assert_null(ext(&c, "us-core-race"));
    assert_null(json_object_get(res(&c, "Patient", 0), "extension"));
    done(&c);
}

static void test_locations(void **s)
{
    (void)s;
    conv c;
    /* facility with an OID, point of care, room, bed with PL.9/PL.10 */
    run(&c, MSH_ADT PID_HEAD "\rPV1|1|P|4W^401^B^MERCY&1.2.3.40&ISO||||||||||||||||V1^^^MERCY&1.2.3&ISO^VN\r");
    assert_int_equal(count(&c, "Location"), 4);
    json_t *fac = res(&c, "Location", 0), *bed = res(&c, "Location", 3);
    assert_string_equal(str(fac, "name"), "MERCY");
    assert_string_equal(str(fac, "physicalType.coding[0].code"), "si");
    assert_string_equal(str(fac, "identifier[0].value"), "urn:oid:1.2.3.40");
    assert_string_equal(str(entry(&c, "Location", 0), "request.url"),
                        "Location?identifier=urn:ietf:rfc:3986|urn:oid:1.2.3.40");
    assert_string_equal(str(res(&c, "Location", 1), "partOf.reference"), url_of(&c, "Location", 0));
    assert_string_equal(str(res(&c, "Location", 2), "physicalType.coding[0].code"), "ro");
    assert_string_equal(str(bed, "name"), "B");
    assert_string_equal(str(bed, "physicalType.coding[0].code"), "bd");
    assert_string_equal(str(bed, "partOf.reference"), url_of(&c, "Location", 2));
    assert_string_equal(str(bed, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-location");
    json_t *en = res(&c, "Encounter", 0);
    assert_string_equal(str(en, "location[0].location.reference"), url_of(&c, "Location", 3));
    assert_string_equal(str(en, "location[0].location.display"), "4W 401 B MERCY");
    assert_string_equal(str(en, "location[0].status"), "planned");   /* PV1-2 P */
    done(&c);
    /* a bed alone, with its comprehensive identifier */
    run(&c, MSH_ADT PID_HEAD "\rPV1|1|I|^^B7^^^^^^Bed seven^BED7&HOSP&1.2.3.41&ISO\r");
    assert_int_equal(count(&c, "Location"), 1);
    json_t *b7 = res(&c, "Location", 0);
    assert_string_equal(str(b7, "description"), "Bed seven");
    assert_string_equal(str(b7, "identifier[0].system"), "urn:oid:1.2.3.41");
    assert_string_equal(str(entry(&c, "Location", 0), "request.method"), "PUT");
    assert_string_equal(str(res(&c, "Encounter", 0), "location[0].status"), "active");
    done(&c);
}

static void test_practitioner_role(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_ORU PID_HEAD "\r"
            "ORC|RE|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO||CM||||20240213100000+0000|||1234567893^Welby^Marcus^^^^^^&NPI|||||||||Good Clinic^^^^^&1.2.50&ISO^XX^^^77|1 Clinic Rd^^Boston^MA^02101|^WPN^PH^^1^617^5553333\r"
            "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^CMP^LN|||20240213090000+0000|||||||||9999999991^Other^Olga^^^^^^&NPI\r");
    json_t *sr = res(&c, "ServiceRequest", 0);
    json_t *role = res(&c, "PractitionerRole", 0);
    assert_string_equal(str(sr, "requester.reference"), url_of(&c, "PractitionerRole", 0));
    assert_string_equal(str(sr, "requester.display"), "Welby");
    assert_string_equal(str(role, "practitioner.reference"), url_of(&c, "Practitioner", 0));
    /* ORC-21..23: the ordering facility, with address and phone */
    json_t *org = NULL;
    for (size_t i = 0; i < count(&c, "Organization"); i++)
        if (strcmp(url_of(&c, "Organization", i), str(role, "organization.reference")) == 0)
            org = res(&c, "Organization", i);
    assert_non_null(org);
    assert_string_equal(str(org, "name"), "Good Clinic");
    assert_string_equal(str(org, "identifier[0].system"), "urn:oid:1.2.50");
    assert_string_equal(str(org, "address[0].city"), "Boston");
    assert_string_equal(str(org, "telecom[0].use"), "work");
    /* OBR-16 gives nothing when ORC-12 is valued (the IG's condition) */
    assert_int_equal(count(&c, "Practitioner"), 1);
    done(&c);
    /* without ORC-12, OBR-16 is the requester, a Practitioner (IG) */
    run(&c, MSH_ORU PID_HEAD "\r"
            "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^CMP^LN|||20240213090000+0000|||||||||9999999991^Other^Olga^^^^^^&NPI\r");
    assert_string_equal(str(res(&c, "ServiceRequest", 0), "requester.reference"),
                        url_of(&c, "Practitioner", 0));
    assert_int_equal(count(&c, "PractitionerRole"), 0);
    done(&c);
}

static void test_obr_specimen(void **s)
{
    (void)s;
    conv c;
    /* OBR-15 specimen source, OBR-7/8 collection, OBR-10 collector,
     * OBR-14 received: one Specimen for the group's results */
    run(&c, MSH_ORU PID_HEAD "\r"
            "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^CMP^LN|||20240213090000+0000|20240213091500+0000||1234567893^Welby^Marcus^^^^^^&NPI||||20240213100000+0000|BLD&Blood&HL70070^^Drawn fasting^LA&Left arm&HL70163\r"
            "OBX|1|NM|2345-7^Glucose^LN||90|mg/dL^^UCUM|||||F\r"
            "OBX|2|NM|2951-2^Sodium^LN||140|mmol/L^^UCUM|||||F\r");
    assert_int_equal(count(&c, "Specimen"), 1);
    json_t *sp = res(&c, "Specimen", 0);
    const char *su = url_of(&c, "Specimen", 0);
    assert_string_equal(str(sp, "type.coding[0].code"), "BLD");
    assert_string_equal(str(sp, "type.coding[0].system"), "http://terminology.hl7.org/CodeSystem/v2-0070");
    assert_string_equal(str(sp, "collection.collectedPeriod.start"), "2024-02-13T09:00:00Z");
    assert_string_equal(str(sp, "collection.collectedPeriod.end"), "2024-02-13T09:15:00Z");
    assert_string_equal(str(sp, "collection.bodySite.coding[0].code"), "LA");
    assert_string_equal(str(sp, "collection.collector.reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(sp, "receivedTime"), "2024-02-13T10:00:00Z");
    assert_string_equal(str(sp, "note[0].text"), "Drawn fasting");
    assert_string_equal(str(sp, "accessionIdentifier.value"), "PL1");
    assert_string_equal(str(entry(&c, "Specimen", 0), "request.url"),
                        "Specimen?accession=urn:oid:1.2.7|PL1");
    assert_string_equal(str(res(&c, "Observation", 0), "specimen.reference"), su);
    assert_string_equal(str(res(&c, "Observation", 1), "specimen.reference"), su);
    assert_string_equal(str(res(&c, "DiagnosticReport", 0), "specimen[0].reference"), su);
    assert_string_equal(str(sp, "request[0].reference"), url_of(&c, "ServiceRequest", 0));
    done(&c);
    /* an SPM in the group: the SPM's Specimen only */
    run(&c, MSH_ORU PID_HEAD "\r"
            "OBR|1|PL1^EHR^1.2.7^ISO|FL1^LAB^1.2.9^ISO|24323-8^CMP^LN|||20240213090000+0000||||||||BLD&Blood&HL70070\r"
            "OBX|1|NM|2345-7^Glucose^LN||90|mg/dL^^UCUM|||||F\r"
            "SPM|1|SP1&EHR&1.2.7&ISO||119297000^Blood specimen^SCT\r");
    assert_int_equal(count(&c, "Specimen"), 1);
    assert_string_equal(str(res(&c, "Specimen", 0), "type.coding[0].code"), "119297000");
    done(&c);
    /* not in an order message (ORM has no OBR[Specimen]) */
    run(&c, "MSH|^~\\&|EHR|H|LIS|L|20240213154601+0000||ORM^O01|C3|P|2.5.1\r" PID_HEAD "\r"
            "ORC|NW|PL1^EHR^1.2.7^ISO\rOBR|1|PL1^EHR^1.2.7^ISO||24323-8^CMP^LN|||20240213090000+0000\r");
    assert_int_equal(count(&c, "Specimen"), 0);
    done(&c);
}

static void test_ed_content_type(void **s)
{
    (void)s;
    tu t;
    tu_init(&t);
    assert_int_equal(tu_parse(&t, MSH_ORU PID_HEAD "\r"), 0);
    const char *k;
    /* ED.2 in table 0191's words -> a MIME type */
    json_t *v = hxe_conv_obs_value(t.m, "ED", hxe_slice_cstr("^IM^JPEG^Base64^/9j/"), HXE_SLICE_EMPTY, &k);
    assert_non_null(v);
    assert_string_equal(hxe_fhir_get_str(json_array_get(v, 0), "valueAttachment.contentType"),
                        "image/jpeg");
    json_decref(v);
    /* not base64: no attachment at all */
    v = hxe_conv_obs_value(t.m, "ED", hxe_slice_cstr("^AP^PDF^Base64^abc"), HXE_SLICE_EMPTY, &k);
    assert_null(v);
    v = hxe_conv_obs_value(t.m, "ED", hxe_slice_cstr("^AP^PDF^Base64^ab=c"), HXE_SLICE_EMPTY, &k);
    assert_null(v);
    tu_done(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_race_ethnicity),  cmocka_unit_test(test_locations),
        cmocka_unit_test(test_practitioner_role), cmocka_unit_test(test_obr_specimen),
        cmocka_unit_test(test_ed_content_type),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
