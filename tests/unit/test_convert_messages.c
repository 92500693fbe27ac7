/*
 * test_convert_messages.c — the v2 -> FHIR maps of scheduling, documents
 * and charges on hand-made messages: SIU S12-S15 (SCH, AIS, AIG, AIL,
 * AIP, NTE -> Appointment), MDM T02 (TXA + OBX TX/FT/ED + NTE ->
 * DocumentReference), DFT P03 (FT1 -> ChargeItem, PR1 -> Procedure,
 * DG1); the segments each type cannot do without; every Bundle
 * validates with zero errors.
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

static size_t issues_with(const conv *c, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < c->t.issues.n; i++)
        if (strstr(c->t.issues.v[i].text, needle))
            n++;
    return n;
}

/* base64 text -> bytes (enough for the checks here) */
static size_t unb64(const char *s, char *out, size_t size)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned v = 0, bits = 0;
    size_t o = 0;
    for (; *s && *s != '=' && o + 1 < size; s++) {
        const char *p = strchr(a, *s);
        assert_non_null(p);
        v = (v << 6) | (unsigned)(p - a);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (char)((v >> bits) & 0xff);
        }
    }
    out[o] = 0;
    return o;
}

#define NPI "1234567893^Welby^Marcus^^^^^^&NPI"
#define SIU_BODY                                                                                   \
    "SCH|APT7^SCHED^1.2.840.9.1^ISO|FAPT7^SCHED^1.2.840.9.2^ISO|||||FOLLOWUP^Follow-up visit^HL70276|Normal^Routine^HL70277|2|HR|^^^20240312100000-0500^20240312120000-0500|" NPI "||||||||77^Clerk^Carl|||||Booked|ORD55^EHR^1.2.840.9.3^ISO\r" \
    "NTE|1||Bring prior films\r"                                                                  \
    "PID|1||MRN1^^^CLINIC&1.2.840.8.5&ISO^MR||Doe^Jane||19800102|F\r"                             \
    "PV1|1|O|CLINIC^^^MAIN\r"                                                                     \
    "RGS|1|A\r"                                                                                   \
    "AIS|1|A|99213^Office visit^CPT|20240312100000-0500\r"                                        \
    "NTE|1||Fasting\r"                                                                            \
    "AIG|1|A|ROOMX^Exam room X^L|EQ^Equipment^L\r"                                                \
    "AIL|1|A|EXAM1^^^MAIN|CLINIC^Clinic^HL70305||20240312100000-0500\r"                           \
    "AIP|1|A|" NPI "|ATND^attender^HL70443||20240312100000-0500\r"
#define MSH_SIU(ev) \
    "MSH|^~\\&|SCHED|CLINIC^1.2.840.8^ISO|EHR|HOSP|20240305090000-0500||SIU^" ev "^SIU_S12|SIU-1|P|2.5.1\r"

static void test_siu(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_SIU("S12") SIU_BODY, NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count(&c, "Appointment"), 1);
    json_t *e = entry(&c, "Appointment", 0);
    assert_string_equal(str(e, "request.method"), "PUT");
    assert_string_equal(str(e, "request.url"), "Appointment?identifier=urn:oid:1.2.840.9.1|APT7");
    json_t *a = json_object_get(e, "resource");
    assert_string_equal(str(a, "identifier[0].type.coding[0].code"), "PLAC");
    assert_string_equal(str(a, "identifier[1].value"), "FAPT7");
    assert_string_equal(str(a, "status"), "booked");
    /* SCH-7 through the IG's AppointmentReasonCodes, the sender's coding kept */
    assert_string_equal(str(a, "reasonCode[0].coding[0].system"), "http://snomed.info/sct");
    assert_string_equal(str(a, "reasonCode[0].coding[0].code"), "185389009");
    assert_string_equal(str(a, "reasonCode[0].coding[1].code"), "FOLLOWUP");
    assert_string_equal(str(a, "appointmentType.coding[0].code"), "Normal");
    assert_int_equal(json_array_size(json_object_get(json_object_get(a, "appointmentType"), "coding")), 1);
    assert_int_equal(json_integer_value(json_object_get(a, "minutesDuration")), 120);
    assert_string_equal(str(a, "start"), "2024-03-12T10:00:00-05:00");
    assert_string_equal(str(a, "end"), "2024-03-12T12:00:00-05:00");
    assert_string_equal(str(a, "basedOn[0].identifier.value"), "ORD55");
    assert_string_equal(str(a, "basedOn[0].type"), "ServiceRequest");
    /* NTE after SCH and after AIS: one comment, by lines */
    assert_string_equal(str(a, "comment"), "Bring prior films\nFasting");
    assert_string_equal(str(a, "serviceType[0].coding[0].code"), "99213");
    /* participants: the patient first, the contacts, then AIG/AIL/AIP */
    json_t *ps = json_object_get(a, "participant");
    assert_int_equal(json_array_size(ps), 6);
    assert_string_equal(str(a, "participant[0].actor.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(a, "participant[1].type[0].text"), "placer contact");
    assert_string_equal(str(a, "participant[1].actor.reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(a, "participant[2].type[0].coding[0].code"), "enterer");
    assert_string_equal(str(a, "participant[3].actor.identifier.value"), "ROOMX");
    assert_string_equal(str(a, "participant[3].type[0].coding[0].code"), "EQ");
    /* AIL-3: a Location chain, the room inside its facility */
    json_t *loc = res(&c, "Location", count(&c, "Location") - 1);
    assert_string_equal(str(a, "participant[4].actor.reference"),
                        url_of(&c, "Location", count(&c, "Location") - 1));
    assert_string_equal(str(loc, "name"), "EXAM1");
    assert_string_equal(str(a, "participant[4].period.start"), "2024-03-12T10:00:00-05:00");
    /* AIP-3 is SCH-12's practitioner: the same entry */
    assert_string_equal(str(a, "participant[5].actor.reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(a, "participant[5].type[0].coding[0].code"), "ATND");
    for (size_t i = 0; i < json_array_size(ps); i++)
        assert_string_equal(str(json_array_get(ps, i), "status"), "accepted");
    assert_int_equal(issues_with(&c, "app-3"), 0);
    valid(&c);
    done(&c);
    /* S15 without SCH-25: cancelled; S13/S14 booked */
    run(&c, MSH_SIU("S15") "SCH|APT7^SCHED^1.2.840.9.1^ISO\rPID|1||MRN1^^^CLINIC&1.2.840.8.5&ISO^MR||Doe^Jane\r", NULL);
    assert_int_equal(c.rc, 0);
    /* ids are RFC 9562 UUID v5 in hxe's namespace 6c1e4b8a-2f53-4d0e-9a71-
     * 3c52e80b942d, of "MSH-3|MSH-4|MSH-10" and, for an entry, of that
     * key, its segment position, type and salt (Python's uuid.uuid5 of
     * the same gives these) */
    assert_string_equal(str(c.b, "id"), "1c0e64f3-f2fb-5d33-af73-c8edcaa629f9");
    assert_string_equal(url_of(&c, "Appointment", 0), "urn:uuid:182b2157-276e-555e-80ee-ecb453e5e0c8");
    assert_string_equal(str(res(&c, "Appointment", 0), "status"), "cancelled");
    assert_int_equal(issues_with(&c, "app-3"), 0);   /* a cancelled one may lack times */
    valid(&c);
    done(&c);
    run(&c, MSH_SIU("S14") "SCH|APT7^SCHED^1.2.840.9.1^ISO||||||||||^^^202403121000\rPID|1||MRN1^^^CLINIC&1.2.840.8.5&ISO^MR||Doe^Jane\r", NULL);
    assert_string_equal(str(res(&c, "Appointment", 0), "status"), "booked");
    /* a time without offset is no instant: said, and so is app-3 */
    assert_null(json_object_get(res(&c, "Appointment", 0), "start"));
    assert_int_equal(issues_with(&c, "SCH[1]-11: time without offset cannot be an instant"), 1);
    assert_int_equal(issues_with(&c, "SCH[1]-11: no start and end instants"), 1);
    valid(&c);
    done(&c);
    /* SIU without SCH: refused, naming it */
    run(&c, MSH_SIU("S12") "PID|1||MRN1^^^CLINIC&1.2.840.8.5&ISO^MR||Doe^Jane\r", NULL);
    assert_int_equal(c.rc, HXE_EINVAL);
    assert_non_null(strstr(c.t.err.msg, "SCH"));
    assert_null(c.b);
    done(&c);
}

#define MSH_MDM "MSH|^~\\&|DOCS|HOSP^1.2.840.7^ISO|EHR|HOSP|20240306120000-0500||MDM^T02^MDM_T02|MDM-1|P|2.5.1\r"
#define MDM_PID                                                                                    \
    "EVN|T02|20240306120000-0500\r"                                                               \
    "PID|1||MRN1^^^HOSP&1.2.840.7.5&ISO^MR||Doe^Jane||19800102|F\r"                               \
    "PV1|1|I|4W^401^B^HOSP||||||||||||||||V9^^^HOSP&1.2.840.7.6&ISO^VN\r"

static void test_mdm(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_MDM MDM_PID
            "TXA|1|11506-3^Progress note^LN|TX|||20240306113000-0500|||" NPI "|" NPI "||DOC77^HOSP^1.2.840.7.9^ISO||||note77.txt|LA|R|AV||||||Daily progress note\r"
            "OBX|1|TX|11506-3^Progress note^LN||Patient doing well.||||||F\r"
            "OBX|2|FT|11506-3^Progress note^LN||Plan:\\.br\\discharge tomorrow.||||||F\r"
            "OBX|3|ED|PDF^Scan^L||^AP^PDF^Base64^SGVsbG8=||||||F\r"
            "NTE|1||Dictated, not read\r",
        NULL);
    assert_int_equal(c.rc, 0);
    assert_int_equal(count(&c, "DocumentReference"), 1);
    assert_int_equal(count(&c, "Observation"), 0);   /* OBX is the document here */
    json_t *e = entry(&c, "DocumentReference", 0);
    assert_string_equal(str(e, "request.url"),
                        "DocumentReference?identifier=urn:oid:1.2.840.7.9|DOC77");
    json_t *d = json_object_get(e, "resource");
    assert_string_equal(str(d, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-documentreference");
    assert_string_equal(str(d, "status"), "current");
    assert_string_equal(str(d, "docStatus"), "final");
    assert_string_equal(str(d, "type.coding[0].system"), "http://loinc.org");
    assert_string_equal(str(d, "category[0].coding[0].code"), "clinical-note");
    assert_string_equal(str(d, "masterIdentifier.value"), "DOC77");
    assert_string_equal(str(d, "identifier[0].value"), "note77.txt");
    assert_string_equal(str(d, "date"), "2024-03-06T11:30:00-05:00");
    assert_string_equal(str(d, "subject.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(d, "author[0].reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(d, "authenticator.reference"), url_of(&c, "Practitioner", 0));
    assert_string_equal(str(d, "securityLabel[0].coding[0].code"), "R");
    assert_string_equal(str(d, "securityLabel[0].coding[0].system"),
                        "http://terminology.hl7.org/CodeSystem/v2-0272");
    assert_string_equal(str(d, "description"), "Daily progress note");
    assert_string_equal(str(d, "context.encounter[0].reference"), url_of(&c, "Encounter", 0));
    /* content: the text lines (escapes decoded), the ED, the NTE */
    json_t *ct = json_object_get(d, "content");
    assert_int_equal(json_array_size(ct), 3);
    char text[256];
    assert_string_equal(str(d, "content[0].attachment.contentType"), "text/plain");
    unb64(str(d, "content[0].attachment.data"), text, sizeof text);
    assert_string_equal(text, "Patient doing well.\nPlan:\ndischarge tomorrow.");
    assert_string_equal(str(d, "content[1].attachment.contentType"), "application/pdf");
    assert_string_equal(str(d, "content[1].attachment.data"), "SGVsbG8=");
    unb64(str(d, "content[2].attachment.data"), text, sizeof text);
    assert_string_equal(text, "Dictated, not read");
    valid(&c);
    done(&c);
    /* obsolete: superseded, the v2 code kept; a placeholder that is not
     * base64 is said, and with no content left the document says so */
    run(&c, MSH_MDM MDM_PID "TXA|1|PN^Progress note^HL70270|TX||||||||||||||||OB\r"
            "OBX|1|ED|PDF^Scan^L||^AP^PDF^Base64^<Base64 encoded>||||||F\r",
        NULL);
    assert_int_equal(c.rc, 0);
    json_t *d2 = res(&c, "DocumentReference", 0);
    assert_string_equal(str(d2, "status"), "superseded");
    assert_string_equal(str(d2, "_status.extension[0].valueCodeableConcept.coding[0].code"), "OB");
    assert_null(json_object_get(d2, "meta"));   /* not a LOINC type: base only */
    assert_int_equal(issues_with(&c, "OBX[1]-5: ED without data (or not valid base64)"), 1);
    assert_int_equal(issues_with(&c, "TXA[1]: no OBX with content"), 1);
    assert_string_equal(str(d2, "content[0].attachment.extension[0].valueCode"), "unknown");
    valid(&c);
    done(&c);
    run(&c, MSH_MDM MDM_PID "OBX|1|TX|X||text\r", NULL);
    assert_int_equal(c.rc, HXE_EINVAL);
    assert_non_null(strstr(c.t.err.msg, "TXA"));
    done(&c);
}

#define MSH_DFT "MSH|^~\\&|BILL|HOSP^1.2.840.7^ISO|FIN|HOSP|20240307120000-0500||DFT^P03^DFT_P03|DFT-1|P|2.5.1\r"

static void test_dft(void **s)
{
    (void)s;
    conv c;
    run(&c, MSH_DFT "EVN|P03|20240307120000-0500\r"
            "PID|1||MRN1^^^HOSP&1.2.840.7.5&ISO^MR||Doe^Jane||19800102|F\r"
            "PV1|1|O|||||||||||||||||V9^^^HOSP&1.2.840.7.6&ISO^VN\r"
            "FT1|1|T1001||20240307093000-0500|20240307120000-0500|CG|99213^Office visit^CPT||Office visit|2|250.50&USD|125.25&USD|||||||I10.9^Hypertension^I10|" NPI "|||||99213^Office visit^CPT\r"
            "FT1|2|T1002||20240307||PY|PAY^Payment^L||||-50.00&USD\r"
            "PR1|1||99213^Office visit^CPT||20240307093000-0500||||||" NPI "\r"
            "DG1|1||I10.9^Hypertension^I10\r",
        NULL);
    assert_int_equal(c.rc, 0);
    /* a charge is a ChargeItem; a payment is said, not mapped */
    assert_int_equal(count(&c, "ChargeItem"), 1);
    assert_int_equal(issues_with(&c, "FT1[2]-6: not a charge (CG)"), 1);
    json_t *ci = res(&c, "ChargeItem", 0);
    assert_string_equal(str(ci, "status"), "billable");
    assert_string_equal(str(ci, "identifier[0].value"), "T1001");
    assert_string_equal(str(ci, "code.coding[0].system"), "http://www.ama-assn.org/go/cpt");
    assert_string_equal(str(ci, "code.coding[0].code"), "99213");
    assert_string_equal(str(ci, "subject.reference"), url_of(&c, "Patient", 0));
    assert_string_equal(str(ci, "context.reference"), url_of(&c, "Encounter", 0));
    assert_string_equal(str(ci, "occurrenceDateTime"), "2024-03-07T09:30:00-05:00");
    assert_string_equal(str(ci, "enteredDate"), "2024-03-07T12:00:00-05:00");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ci, "quantity"), "value")), 2);
    json_t *price = json_object_get(json_object_get(ci, "priceOverride"), "value");
    assert_true(json_is_number(price));
    assert_true(json_number_value(price) > 250.49 && json_number_value(price) < 250.51);
    assert_string_equal(str(ci, "priceOverride.currency"), "USD");
    assert_string_equal(str(ci, "reason[0].coding[0].code"), "I10.9");
    assert_string_equal(str(ci, "performer[0].actor.reference"), url_of(&c, "Practitioner", 0));
    /* PR1: a done procedure, US Core; the surgeon with the IG's function */
    json_t *p = res(&c, "Procedure", 0);
    assert_string_equal(str(p, "status"), "completed");
    assert_string_equal(str(p, "meta.profile[0]"),
                        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure");
    assert_string_equal(str(p, "performedDateTime"), "2024-03-07T09:30:00-05:00");
    assert_string_equal(str(p, "performer[0].function.coding[0].code"), "304292004");
    assert_string_equal(str(p, "performer[0].actor.reference"), url_of(&c, "Practitioner", 0));
    assert_int_equal(count(&c, "Condition"), 1);
    valid(&c);
    done(&c);
    run(&c, MSH_DFT "PID|1||MRN1^^^HOSP&1.2.840.7.5&ISO^MR||Doe^Jane\r", NULL);
    assert_int_equal(c.rc, HXE_EINVAL);
    assert_non_null(strstr(c.t.err.msg, "FT1"));
    done(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siu),
        cmocka_unit_test(test_mdm),
        cmocka_unit_test(test_dft),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
