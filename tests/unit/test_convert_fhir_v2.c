/*
 * test_convert_fhir_v2.c — FHIR R4 -> HL7 v2 (hxe_conv_fhir_to_v2), the
 * parts: DTM both ways; the IG's concept maps and table 0396 read
 * backwards; the data types (Identifier -> CX, HumanName -> XPN, Address
 * -> XAD, ContactPoint -> XTN, CodeableConcept -> CWE/CE) through PID,
 * with escaping and character set; MSH and EVN from the options and their
 * fallbacks; the message type choice; references (contained, versioned
 * URLs, logical); refusals and issue texts without values. Every message
 * is validated by the hl7v2 validator (test_convert_fhir_v2_trip holds the
 * orders, results and round trips).
 */
#include "helpers/conv_testutil.h"

#include "fhir/fhir.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- data types ---- */

static void test_datetime(void **state)
{
    (void)state;
    static const char *const ok[][2] = {
        {"2024", "2024"},
        {"2024-02", "202402"},
        {"2024-02-13", "20240213"},
        {"2024-02-13T15:46:01-05:00", "20240213154601-0500"},
        {"2024-02-13T15:46:01Z", "20240213154601+0000"},
        {"2024-02-13T15:46:01.123456+05:30", "20240213154601.1234+0530"},
        {"2024-02-13T15:46:01.5Z", "20240213154601.5+0000"},
    };
    char out[40], fhir[48];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        assert_int_equal(hxe_conv_v2_datetime(ok[i][0], out, sizeof out), 0);
        assert_string_equal(out, ok[i][1]);
    }
    /* and back through the v2 -> FHIR map: the same instant */
    assert_int_equal(hxe_conv_v2_datetime("2024-02-13T15:46:01-05:00", out, sizeof out), 0);
    assert_int_equal(hxe_conv_datetime(out, strlen(out), NULL, fhir, sizeof fhir), 0);
    assert_string_equal(fhir, "2024-02-13T15:46:01-05:00");
    static const char *const bad[] = {"", "24", "2024-13", "2024-02-32", "20240213",
                                      "2024-02-13T25:00:00Z", "2024-02-13T10:00:00+5",
                                      "2024-02-13 10:00:00Z", "2024-02-13T10:00:00Zjunk"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(hxe_conv_v2_datetime(bad[i], out, sizeof out), HXE_EPARSE);
}

static void test_tables_backwards(void **state)
{
    (void)state;
    /* several v2 codes map to one FHIR code: the preferred one */
    assert_string_equal(hxe_conv_vocab_v2("AdministrativeSex", "female", NULL), "F");
    assert_string_equal(hxe_conv_vocab_v2("AdministrativeSex", "other", NULL), "O");
    assert_string_equal(hxe_conv_vocab_v2("NameType", "official", NULL), "L");
    assert_string_equal(hxe_conv_vocab_v2("NameType", "temp", NULL), "TEMP");
    assert_string_equal(hxe_conv_vocab_v2("OrderStatus", "completed", NULL), "CM");
    assert_string_equal(hxe_conv_vocab_v2("ResultStatus[Non-Queries]", "final", NULL), "F");
    assert_string_equal(hxe_conv_vocab_v2("InterpretationCodes", "HH",
                                          "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"),
                        "HH");
    assert_string_equal(hxe_conv_vocab_v2("PatientClass[EncounterClass]", "AMB",
                                          "http://terminology.hl7.org/CodeSystem/v3-ActCode"),
                        "O");
    assert_null(hxe_conv_vocab_v2("PatientClass[EncounterClass]", "AMB", "http://example.org"));
    assert_null(hxe_conv_vocab_v2("AdministrativeSex", "nonsense", NULL));
    assert_null(hxe_conv_vocab_v2("NoSuchMap", "female", NULL));
    /* every v2 code the forward map knows comes back to a code that maps
     * to the same FHIR code */
    static const char *const maps[] = {"AdministrativeSex", "OrderStatus", "InterpretationCodes",
                                       "ObservationResultStatusCodesInterpretation",
                                       "ResultStatus[Non-Queries]", "MaritalStatus"};
    static const char *const v2codes[] = {"F", "M", "O", "U", "A", "N", "CA", "CM", "HD", "IP",
                                          "H", "L", "HH", "LL", "N", "POS", "F", "C", "P", "X",
                                          "D", "R", "S", "M", "W"};
    for (size_t m = 0; m < sizeof maps / sizeof maps[0]; m++)
        for (size_t k = 0; k < sizeof v2codes / sizeof v2codes[0]; k++) {
            const char *fc, *fs, *fc2;
            if (hxe_conv_vocab(maps[m], v2codes[k], strlen(v2codes[k]), &fc, NULL, &fs) != 0)
                continue;
            const char *v = hxe_conv_vocab_v2(maps[m], fc, fs);
            assert_non_null(v);
            assert_int_equal(hxe_conv_vocab(maps[m], v, strlen(v), &fc2, NULL, NULL), 0);
            assert_string_equal(fc2, fc);
        }
    char buf[64], uri[200];
    assert_string_equal(hxe_conv_system_name("http://loinc.org", buf, sizeof buf), "LN");
    assert_string_equal(hxe_conv_system_name("http://snomed.info/sct", buf, sizeof buf), "SCT");
    assert_string_equal(hxe_conv_system_name("http://unitsofmeasure.org", buf, sizeof buf), "UCUM");
    assert_string_equal(
        hxe_conv_system_name("http://terminology.hl7.org/CodeSystem/v2-0078", buf, sizeof buf),
        "HL70078");
    assert_null(hxe_conv_system_name("http://example.org/codes", buf, sizeof buf));
    assert_null(hxe_conv_system_name("http://terminology.hl7.org/CodeSystem/v2-00789", buf,
                                     sizeof buf));
    /* name -> URI -> the same URI, for every name table 0396 maps */
    static const char *const names[] = {"LN", "SCT", "SNM", "I10", "I9CDX", "UCUM", "CVX", "MVX",
                                        "NDC", "CPT", "RXNORM", "CDCREC", "HL70203"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        assert_non_null(hxe_conv_system_uri(names[i], strlen(names[i]), uri, sizeof uri));
        const char *nm = hxe_conv_system_name(uri, buf, sizeof buf);
        assert_non_null(nm);
        char uri2[200];
        assert_non_null(hxe_conv_system_uri(nm, strlen(nm), uri2, sizeof uri2));
        assert_string_equal(uri2, uri);
    }
}

/* a Patient with a bit of everything, as ADT^A31 */
static const char patient_json[] =
    "{\"resourceType\":\"Patient\",\"id\":\"p1\","
    "\"identifier\":["
    "{\"type\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v2-0203\",\"code\":\"MR\"}]},"
    "\"system\":\"urn:oid:2.16.840.1.113883.3.72.5\",\"value\":\"MRN48213\"},"
    "{\"system\":\"http://hospital.example.org/ids\",\"value\":\"H-7\",\"period\":{\"start\":\"2020-01-02\"}},"
    "{\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"123-45-6789\"}],"
    "\"name\":[{\"use\":\"official\",\"family\":\"O|Brien^&~\\\\x\",\"given\":[\"Alma\",\"J\",\"K\"],"
    "\"prefix\":[\"Dr\"],\"suffix\":[\"Jr\",\"MD\"]},"
    "{\"use\":\"maiden\",\"family\":\"Sm\u00e9th\",\"given\":[\"Alma\"]}],"
    "\"telecom\":[{\"system\":\"phone\",\"value\":\"(217) 555-0142\",\"use\":\"home\"},"
    "{\"system\":\"phone\",\"value\":\"217-555-0199\",\"use\":\"work\"},"
    "{\"system\":\"phone\",\"value\":\"217-555-0100\",\"use\":\"mobile\"},"
    "{\"system\":\"email\",\"value\":\"alma@example.org\"}],"
    "\"gender\":\"female\",\"birthDate\":\"1975-06-12\","
    "\"address\":[{\"use\":\"home\",\"line\":[\"12 Elm St\",\"Unit 3\"],\"city\":\"Springfield\","
    "\"state\":\"IL\",\"postalCode\":\"62704\",\"country\":\"USA\",\"district\":\"Sangamon\"},"
    "{\"type\":\"postal\",\"line\":[\"PO Box 9\"],\"city\":\"Springfield\"}],"
    "\"maritalStatus\":{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-MaritalStatus\",\"code\":\"M\"}]},"
    "\"multipleBirthInteger\":2,"
    "\"communication\":[{\"language\":{\"coding\":[{\"system\":\"urn:ietf:bcp:47\",\"code\":\"en\",\"display\":\"English\"}]}}],"
    "\"extension\":[{\"url\":\"http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName\",\"valueString\":\"Jones\"},"
    "{\"url\":\"http://hl7.org/fhir/us/core/StructureDefinition/us-core-race\",\"extension\":["
    "{\"url\":\"ombCategory\",\"valueCoding\":{\"system\":\"urn:oid:2.16.840.1.113883.6.238\",\"code\":\"2106-3\",\"display\":\"White\"}},"
    "{\"url\":\"text\",\"valueString\":\"White\"}]},"
    "{\"url\":\"http://example.org/StructureDefinition/favourite-colour\",\"valueString\":\"blue\"}],"
    "\"contact\":[{\"name\":{\"family\":\"Kin\"}}]}";

static void test_patient_types(void **state)
{
    (void)state;
    json_t *p = ct_json(patient_json);
    ct_v2 o;
    assert_int_equal(ct_conv(&o, p, NULL, NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "ADT^A31^ADT_A05");
    assert_string_equal(RAW(&o, "MSH-3"), "HXE");
    assert_string_equal(RAW(&o, "EVN-2"), "20240301120000+0000");
    /* CX: value, HD with an OID / a URI, type code, effective date */
    assert_string_equal(RAW(&o, "PID-3[1]"), "MRN48213^^^&2.16.840.1.113883.3.72.5&ISO^MR");
    assert_string_equal(RAW(&o, "PID-3[2]"), "H-7^^^&http://hospital.example.org/ids&URI^^^20200102");
    assert_string_equal(RAW(&o, "PID-19"), "123-45-6789");
    /* XPN: every separator in a value escaped, given names, suffixes,
     * prefix, the name type backwards through NameType */
    assert_string_equal(RAW(&o, "PID-5[1]"), "O\\F\\Brien\\S\\\\T\\\\R\\\\E\\x^Alma^J K^Jr^Dr^MD^L");
    assert_string_equal(TXT(&o, "PID-5[1].1"), "O|Brien^&~\\x");
    assert_string_equal(TXT(&o, "PID-5[2].1"), "Sm\xc3\xa9th");
    assert_string_equal(RAW(&o, "PID-5[2].7"), "M");
    assert_string_equal(RAW(&o, "MSH-18"), "UNICODE UTF-8");
    assert_string_equal(RAW(&o, "PID-6"), "Jones");
    assert_string_equal(RAW(&o, "PID-7"), "19750612");
    assert_string_equal(RAW(&o, "PID-8"), "F");
    assert_string_equal(RAW(&o, "PID-10"), "2106-3^White^CDCREC");
    /* XAD: lines, city ... country, type from use, or from type */
    assert_string_equal(RAW(&o, "PID-11[1]"),
                        "12 Elm St^Unit 3^Springfield^IL^62704^USA^H^^Sangamon");
    assert_string_equal(RAW(&o, "PID-11[2]"), "PO Box 9^^Springfield^^^^M");
    /* XTN: home and the rest to PID-13, work to PID-14, mobile as CP */
    assert_string_equal(RAW(&o, "PID-13[1]"), "(217) 555-0142^PRN^PH");
    assert_string_equal(RAW(&o, "PID-13[2]"), "217-555-0100^PRS^CP");
    assert_string_equal(RAW(&o, "PID-13[3]"), "^NET^Internet^alma@example.org");
    assert_string_equal(RAW(&o, "PID-14"), "217-555-0199^WPN^PH");
    assert_string_equal(RAW(&o, "PID-15"), "en^English^ISO639");
    assert_string_equal(RAW(&o, "PID-16"), "M^^HL70002");
    assert_string_equal(RAW(&o, "PID-24"), "Y");
    assert_string_equal(RAW(&o, "PID-25"), "2");
    assert_string_equal(RAW(&o, "PV1-2"), "N");
    /* what v2 does not carry is said, by place, never by value */
    assert_true(ct_said(&o.is, "Patient.contact: not carried"));
    assert_true(ct_said(&o.is, "Patient.extension[favourite-colour]"));
    for (size_t i = 0; i < o.is.n; i++) {
        assert_null(strstr(o.is.v[i].text, "Brien"));
        assert_null(strstr(o.is.v[i].text, "MRN48213"));
        assert_null(strstr(o.is.v[i].text, "blue"));
        assert_null(strstr(o.is.v[i].text, "Kin"));
    }
    /* and back: the Patient hxe reads from it has the same data */
    json_t *b = ct_back(&o);
    json_t *q = ct_res(b, "Patient", NULL);
    assert_non_null(q);
    size_t i;
    json_t *id;
    json_array_foreach(json_object_get(p, "identifier"), i, id) assert_true(ct_has_ident(q, id));
    json_t *n0 = json_array_get(json_object_get(q, "name"), 0);
    assert_string_equal(json_string_value(json_object_get(n0, "family")), "O|Brien^&~\\x");
    assert_string_equal(json_string_value(json_object_get(n0, "use")), "official");
    assert_string_equal(json_string_value(json_object_get(q, "gender")), "female");
    assert_string_equal(json_string_value(json_object_get(q, "birthDate")), "1975-06-12");
    assert_true(json_equal(json_object_get(json_array_get(json_object_get(q, "address"), 0), "line"),
                           json_object_get(json_array_get(json_object_get(p, "address"), 0), "line")));
    assert_int_equal(json_array_size(json_object_get(q, "telecom")), 4);
    assert_int_equal(json_integer_value(json_object_get(q, "multipleBirthInteger")), 2);
    json_decref(b);
    ct_done(&o);
    /* ADT^A28 is the same person, another event */
    assert_int_equal(ct_conv(&o, p, "ADT^A28", NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9"), "ADT^A28^ADT_A05");
    assert_string_equal(RAW(&o, "EVN-1"), "A28");
    ct_done(&o);
    json_decref(p);
}

static void test_msh_options(void **state)
{
    (void)state;
    json_t *p = ct_json("{\"resourceType\":\"Patient\",\"identifier\":[{\"value\":\"1\"}],"
                  "\"name\":[{\"family\":\"Doe\"}],\"meta\":{\"lastUpdated\":\"2023-05-06T07:08:09Z\"}}");
    hxe_conv_v2_opts op = {"LIS^1.2.3^ISO", "LAB^2.16.840.1^ISO", "EHR", NULL,
                           "2024-03-01T09:00:00-05:00", NULL, "CTL-9", "T", "2.5.1"};
    ct_v2 o;
    assert_int_equal(ct_conv(&o, p, NULL, &op), 0);
    assert_string_equal(RAW(&o, "MSH-3"), "LIS^1.2.3^ISO");
    assert_string_equal(RAW(&o, "MSH-4"), "LAB^2.16.840.1^ISO");
    assert_string_equal(RAW(&o, "MSH-5"), "EHR");
    assert_string_equal(RAW(&o, "MSH-6"), "");
    assert_string_equal(RAW(&o, "MSH-7"), "20240301090000-0500");
    assert_string_equal(RAW(&o, "MSH-10"), "CTL-9");
    assert_string_equal(RAW(&o, "MSH-11"), "T");
    assert_string_equal(RAW(&o, "MSH-12"), "2.5.1");
    ct_done(&o);
    /* no time option: meta.lastUpdated; no control id: the hash of the
     * input, the same twice */
    hxe_conv_v2_opts bare = {0};
    assert_int_equal(ct_conv(&o, p, NULL, &bare), 0);
    assert_string_equal(RAW(&o, "MSH-7"), "20230506070809+0000");
    char ctl[64];
    snprintf(ctl, sizeof ctl, "%s", RAW(&o, "MSH-10"));
    assert_int_equal(strlen(ctl), 20);
    hxe_buf first = o.b;
    o.b = (hxe_buf)HXE_BUF_INIT;
    ct_done(&o);
    assert_int_equal(ct_conv(&o, p, NULL, &bare), 0);
    assert_int_equal(o.b.len, first.len);
    assert_memory_equal(o.b.p, first.p, first.len);
    hxe_buf_free(&first);
    ct_done(&o);
    /* no time anywhere: MSH-7 stays empty (a map reads no clock), said */
    json_object_del(p, "meta");
    assert_int_equal(ct_conv2(&o, p, NULL, &bare, 0), 0);
    assert_string_equal(RAW(&o, "MSH-7"), "");
    assert_true(ct_said(&o.is, "MSH-7: no time"));
    ct_done(&o);
    /* options that cannot be right */
    hxe_buf b = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    hxe_conv_v2_opts badp = {0};
    badp.processing_id = "X";
    assert_int_equal(hxe_conv_fhir_to_v2(p, NULL, &badp, &b, NULL, &err), HXE_EINVAL);
    hxe_conv_v2_opts badv = {0};
    badv.version = "v2";
    assert_int_equal(hxe_conv_fhir_to_v2(p, NULL, &badv, &b, NULL, &err), HXE_EINVAL);
    hxe_conv_v2_opts badt = {0};
    badt.time = "yesterday";
    assert_int_equal(hxe_conv_fhir_to_v2(p, NULL, &badt, &b, NULL, &err), HXE_EINVAL);
    assert_int_equal(b.len, 0);
    json_decref(p);
}

/* ---- choice, references, refusals ---- */

static void test_choice(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    hxe_err err = {0, ""};
    ct_v2 o;
    /* a report and an order it is not based on: the caller must say */
    json_t *in = ct_json("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
                   "{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p\",\"identifier\":[{\"value\":\"1\"}],"
                   "\"name\":[{\"family\":\"Doe\"}]}},"
                   "{\"resource\":{\"resourceType\":\"ServiceRequest\",\"id\":\"s\",\"status\":\"active\","
                   "\"intent\":\"order\",\"code\":{\"text\":\"Panel\"},\"subject\":{\"reference\":\"Patient/p\"}}},"
                   "{\"resource\":{\"resourceType\":\"DiagnosticReport\",\"id\":\"d\",\"status\":\"final\","
                   "\"code\":{\"text\":\"Panel\"},\"subject\":{\"reference\":\"Patient/p\"},"
                   "\"result\":[{\"reference\":\"Observation/o\"}]}},"
                   "{\"resource\":{\"resourceType\":\"Observation\",\"id\":\"o\",\"status\":\"final\","
                   "\"code\":{\"text\":\"Result\"},\"valueString\":\"ok\",\"subject\":{\"reference\":\"Patient/p\"}}}]}");
    assert_int_equal(hxe_conv_fhir_to_v2(in, NULL, &ct_opts, &b, NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "give the message type"));
    assert_int_equal(b.len, 0);
    assert_int_equal(ct_conv(&o, in, "ORU^R01", NULL), 0);
    assert_string_equal(RAW(&o, "OBR-4"), "^Panel");
    assert_string_equal(RAW(&o, "OBX-2"), "ST");
    assert_string_equal(RAW(&o, "OBX-3"), "^Result");
    assert_true(ct_said(&o.is, "(ServiceRequest): not carried in this message"));
    ct_done(&o);
    assert_int_equal(ct_conv(&o, in, "ORM^O01", NULL), 0);
    assert_string_equal(RAW(&o, "OBR-4"), "^Panel");
    assert_int_equal(hxe_hl7_find(o.t.m, "OBX", 1), -1);
    ct_done(&o);
    /* once the report is based on the order, ORU^R01 is the choice */
    json_t *dr = ct_res(in, "DiagnosticReport", NULL);
    json_object_set_new(dr, "basedOn", ct_json("[{\"reference\":\"ServiceRequest/s\"}]"));
    assert_int_equal(ct_conv(&o, in, NULL, NULL), 0);
    assert_string_equal(RAW(&o, "MSH-9.1"), "ORU");
    ct_done(&o);
    /* types hxe does not write; a report with nothing to write from */
    assert_int_equal(hxe_conv_fhir_to_v2(in, "SIU^S12", &ct_opts, &b, NULL, &err), HXE_ENOTFOUND);
    json_t *org = ct_json("{\"resourceType\":\"Organization\",\"name\":\"Acme\"}");
    assert_int_equal(hxe_conv_fhir_to_v2(org, NULL, &ct_opts, &b, NULL, &err), HXE_EINVAL);
    assert_int_equal(hxe_conv_fhir_to_v2(org, "ORU^R01", &ct_opts, &b, NULL, &err), HXE_EINVAL);
    json_t *arr = ct_json("[1]");
    assert_int_equal(hxe_conv_fhir_to_v2(arr, NULL, &ct_opts, &b, NULL, &err), HXE_EINVAL);
    /* two patients in one message: refused */
    json_array_append_new(json_object_get(in, "entry"),
                          ct_json("{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"q\"}}"));
    json_array_append_new(json_object_get(in, "entry"),
                          ct_json("{\"resource\":{\"resourceType\":\"ServiceRequest\",\"status\":\"active\","
                            "\"intent\":\"order\",\"code\":{\"text\":\"X\"},\"subject\":{\"reference\":\"Patient/q\"}}}"));
    assert_int_equal(hxe_conv_fhir_to_v2(in, "ORM^O01", &ct_opts, &b, NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "one message holds one patient"));
    assert_int_equal(hxe_conv_fhir_to_v2(in, "ADT^A31", &ct_opts, &b, NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "several Patients"));
    assert_int_equal(b.len, 0);
    json_decref(arr);
    json_decref(org);
    json_decref(in);
}

static void test_references(void **state)
{
    (void)state;
    ct_v2 o;
    /* a contained Patient, a versioned absolute URL for the requester */
    json_t *in = ct_json("{\"resourceType\":\"Bundle\",\"type\":\"searchset\",\"entry\":["
                   "{\"fullUrl\":\"http://h.example/fhir/ServiceRequest/s\",\"resource\":"
                   "{\"resourceType\":\"ServiceRequest\",\"id\":\"s\",\"status\":\"active\",\"intent\":\"order\","
                   "\"contained\":[{\"resourceType\":\"Patient\",\"id\":\"pt\",\"identifier\":[{\"value\":\"C-1\"}],"
                   "\"name\":[{\"family\":\"Contained\"}]}],"
                   "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2345-7\"}]},"
                   "\"subject\":{\"reference\":\"#pt\"},"
                   "\"requester\":{\"reference\":\"http://h.example/fhir/Practitioner/dr/_history/3\"}}},"
                   "{\"fullUrl\":\"http://h.example/fhir/Practitioner/dr\",\"resource\":{\"resourceType\":"
                   "\"Practitioner\",\"id\":\"dr\",\"name\":[{\"family\":\"Who\"}]}}]}");
    assert_int_equal(ct_conv(&o, in, NULL, NULL), 0);
    assert_string_equal(RAW(&o, "PID-3"), "C-1");
    assert_string_equal(RAW(&o, "PID-5"), "Contained");
    assert_string_equal(RAW(&o, "ORC-12"), "^Who");
    ct_done(&o);
    json_decref(in);
    /* a single resource whose patient is only a logical reference: PID-3
     * from its identifier, PID-5 cannot be had, and that is said */
    in = ct_json("{\"resourceType\":\"ServiceRequest\",\"status\":\"active\",\"intent\":\"order\","
           "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"2345-7\"}]},"
           "\"subject\":{\"identifier\":{\"system\":\"urn:oid:1.2.3\",\"value\":\"L-9\"}}}");
    assert_int_equal(ct_conv2(&o, in, NULL, NULL, 0), 0);
    assert_string_equal(RAW(&o, "PID-3"), "L-9^^^&1.2.3&ISO");
    assert_string_equal(RAW(&o, "PID-5"), "");
    assert_true(ct_said(&o.is, "the Patient is not in the input"));
    ct_done(&o);
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_datetime),      cmocka_unit_test(test_tables_backwards),
        cmocka_unit_test(test_patient_types), cmocka_unit_test(test_msh_options),
        cmocka_unit_test(test_choice),        cmocka_unit_test(test_references),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
