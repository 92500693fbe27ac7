/*
 * test_fhir_validate.c — one hand-made failing case (and its passing
 * twin) for each rule of the FHIR validator: unknown elements, JSON
 * shapes, cardinality, primitive formats, choice types, required
 * bindings, references, contained and Bundle resolution, and the US Core
 * profile rules (min, type restriction, pattern, slices, bindings).
 */
#include "helpers/testutil.h"

#include "fhir/fhir.h"

#include <string.h>

#define US "http://hl7.org/fhir/us/core/StructureDefinition/"

typedef struct vres {
    hxe_issues is;
    int rc;
} vres;

static vres val_p(const char *json, const char *profile)
{
    vres v = {HXE_ISSUES_INIT, 0};
    json_t *r = NULL;
    hxe_err err = {0, ""};
    v.rc = hxe_fhir_read(&r, json, strlen(json), NULL, &err);
    assert_int_equal(v.rc, 0);
    const char *profs[1] = {profile};
    hxe_fhir_vopts o = {profs, profile ? 1 : 0, 0, 0};
    v.rc = hxe_fhir_validate(r, &o, &v.is, &err);
    json_decref(r);
    return v;
}

static vres val(const char *json) { return val_p(json, NULL); }

/* issues of this code whose expression is exactly expr (code 0 = any) */
static size_t at(const vres *v, int code, const char *expr)
{
    size_t n = 0, len = strlen(expr);
    for (size_t i = 0; i < v->is.n; i++) {
        const hxe_issue *it = &v->is.v[i];
        if ((code == 0 || it->code == code) && strncmp(it->text, expr, len) == 0 &&
            strncmp(it->text + len, ": ", 2) == 0)
            n++;
    }
    return n;
}

static void dump(const vres *v)
{
    for (size_t i = 0; i < v->is.n; i++)
        print_message("  %s %s %s\n", hxe_severity_name(v->is.v[i].severity),
                      hxe_fhir_issue_type_name(v->is.v[i].code), v->is.v[i].text);
}

/* exactly one issue, an error, of this code at expr */
static void one_error(const char *json, int code, const char *expr)
{
    vres v = val(json);
    if (v.is.n != 1 || at(&v, code, expr) != 1 || v.is.errors != 1) {
        dump(&v);
        fail_msg("expected one %s error at %s", hxe_fhir_issue_type_name(code), expr);
    }
    hxe_issues_free(&v.is);
}

static void clean(const char *json, const char *profile)
{
    vres v = val_p(json, profile);
    if (v.rc != 0 || v.is.n != 0) {
        dump(&v);
        fail_msg("expected no issues");
    }
    hxe_issues_free(&v.is);
}

#define P(body) "{\"resourceType\":\"Patient\"" body "}"
#define OBS(body) "{\"resourceType\":\"Observation\",\"status\":\"final\",\"code\":{\"text\":\"t\"}" body "}"

static void test_clean(void **state)
{
    (void)state;
    clean(P(",\"id\":\"p-1.a\",\"active\":true,\"name\":[{\"family\":\"Doe\",\"given\":[\"A\",\"B\"]}],"
            "\"gender\":\"female\",\"birthDate\":\"1970-02-28\",\"deceasedDateTime\":\"2020-01-01T10:00:00.5+02:00\","
            "\"_birthDate\":{\"extension\":[{\"url\":\"http://x\",\"valueDateTime\":\"1970-02-28T10:00:00Z\"}]},"
            "\"contact\":[{\"name\":{\"text\":\"x\"},\"gender\":\"male\"}],"
            "\"managingOrganization\":{\"reference\":\"Organization/o1\"}"),
          NULL);
    clean(OBS(",\"valueQuantity\":{\"value\":1.5,\"unit\":\"mg\"},\"issued\":\"2020-01-01T00:00:00Z\","
              "\"effectiveDateTime\":\"2020\",\"subject\":{\"reference\":\"http://h/fhir/Patient/1\"}"),
          NULL);
}

static void test_unknown_and_shape(void **state)
{
    (void)state;
    one_error(P(",\"foo\":1"), HXE_FHIR_IT_STRUCTURE, "Patient.foo");
    one_error(P(",\"name\":[{\"familyName\":\"x\"}]"), HXE_FHIR_IT_STRUCTURE, "Patient.name[0].familyName");
    one_error(P(",\"gender\":[\"male\"]"), HXE_FHIR_IT_STRUCTURE, "Patient.gender");
    one_error(P(",\"name\":{\"family\":\"x\"}"), HXE_FHIR_IT_STRUCTURE, "Patient.name");
    one_error(P(",\"name\":[]"), HXE_FHIR_IT_STRUCTURE, "Patient.name");
    one_error(P(",\"name\":[{}]"), HXE_FHIR_IT_STRUCTURE, "Patient.name[0]");
    one_error(P(",\"active\":null"), HXE_FHIR_IT_STRUCTURE, "Patient.active");
    one_error(P(",\"name\":[\"x\"]"), HXE_FHIR_IT_STRUCTURE, "Patient.name[0]");
    one_error(P(",\"_name\":{}"), HXE_FHIR_IT_STRUCTURE, "Patient.name");
    one_error("{\"resourceType\":\"Patientx\"}", HXE_FHIR_IT_NOT_SUPPORTED, "Resource");
    one_error("{\"resourceType\":\"DomainResource\"}", HXE_FHIR_IT_NOT_SUPPORTED, "Resource");
    /* a null in a primitive array needs its extension twin */
    clean(P(",\"name\":[{\"given\":[null,\"B\"],\"_given\":[{\"id\":\"g\"},null]}]"), NULL);
    one_error(P(",\"name\":[{\"given\":[null,\"B\"]}]"), HXE_FHIR_IT_STRUCTURE, "Patient.name[0].given[0]");
}

static void test_cardinality(void **state)
{
    (void)state;
    vres v = val("{\"resourceType\":\"Observation\"}");
    assert_int_equal(at(&v, HXE_FHIR_IT_REQUIRED, "Observation.status"), 1);
    assert_int_equal(at(&v, HXE_FHIR_IT_REQUIRED, "Observation.code"), 1);
    assert_int_equal(v.is.errors, 2);
    hxe_issues_free(&v.is);
    /* inside a backbone element and a data type */
    one_error(P(",\"communication\":[{\"preferred\":true}]"), HXE_FHIR_IT_REQUIRED,
              "Patient.communication[0].language");
    one_error(P(",\"extension\":[{\"valueString\":\"x\"}]"), HXE_FHIR_IT_REQUIRED, "Patient.extension[0].url");
    /* a choice element's minimum is met by any of its types */
#define MR(m) "{\"resourceType\":\"MedicationRequest\",\"status\":\"active\",\"intent\":\"order\"," \
    "\"subject\":{\"reference\":\"Patient/1\"}" m "}"
    clean(MR(",\"medicationCodeableConcept\":{\"text\":\"x\"}"), NULL);
    clean(MR(",\"medicationReference\":{\"reference\":\"Medication/1\"}"), NULL);
    one_error(MR(""), HXE_FHIR_IT_REQUIRED, "MedicationRequest.medication[x]");
}

static void test_primitives(void **state)
{
    (void)state;
    static const char *const bad[][2] = {
        {P(",\"birthDate\":\"1970-13-01\""), "Patient.birthDate"},
        {P(",\"birthDate\":\"1970-02-30\""), "Patient.birthDate"},
        {P(",\"birthDate\":\"1970-1-1\""), "Patient.birthDate"},
        {P(",\"birthDate\":\"1970-01-01T00:00:00Z\""), "Patient.birthDate"},
        {P(",\"deceasedDateTime\":\"2020-01-01T10:00:00\""), "Patient.deceasedDateTime"},
        {P(",\"deceasedDateTime\":\"2020-01-01T10:00Z\""), "Patient.deceasedDateTime"},
        {P(",\"deceasedDateTime\":\"2020-01T10:00:00Z\""), "Patient.deceasedDateTime"},
        {P(",\"deceasedDateTime\":\"2020-01-01T10:00:00+2:00\""), "Patient.deceasedDateTime"},
        {OBS(",\"issued\":\"2020-01-01\""), "Observation.issued"},
        {OBS(",\"issued\":\"2020-01-01T10:00:00\""), "Observation.issued"},
        {OBS(",\"valueQuantity\":{\"value\":\"1.5\"}"), "Observation.valueQuantity.value"},
        {P(",\"multipleBirthInteger\":1.5"), "Patient.multipleBirthInteger"},
        {P(",\"multipleBirthInteger\":\"2\""), "Patient.multipleBirthInteger"},
        {P(",\"multipleBirthInteger\":3000000000"), "Patient.multipleBirthInteger"},
        {P(",\"active\":\"true\""), "Patient.active"},
        {P(",\"id\":\"a b\""), "Patient.id"},
        {P(",\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\""), "Patient.id"},
        {P(",\"language\":\"en  US\""), "Patient.language"},
        {P(",\"language\":\" en\""), "Patient.language"},
        {P(",\"identifier\":[{\"system\":\"urn:a b\"}]"), "Patient.identifier[0].system"},
        {P(",\"name\":[{\"family\":\"\"}]"), "Patient.name[0].family"},
        {P(",\"name\":[{\"family\":\"  \"}]"), "Patient.name[0].family"},
        {P(",\"photo\":[{\"size\":-1}]"), "Patient.photo[0].size"},
        {P(",\"photo\":[{\"data\":\"abc\"}]"), "Patient.photo[0].data"},
        {"{\"resourceType\":\"ServiceRequest\",\"status\":\"active\",\"intent\":\"order\","
         "\"subject\":{\"reference\":\"Patient/1\"},\"occurrenceTiming\":{\"repeat\":{\"count\":0}}}",
         "ServiceRequest.occurrenceTiming.repeat.count"},
        {"{\"resourceType\":\"Device\",\"udiCarrier\":[{\"deviceIdentifier\":\"x\"}],"
         "\"text\":{\"status\":\"generated\",\"div\":\"<p>x</p>\"}}", "Device.text.div"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vres v = val(bad[i][0]);
        if (v.is.n != 1 || at(&v, HXE_FHIR_IT_VALUE, bad[i][1]) != 1) {
            dump(&v);
            fail_msg("case %zu: expected one value error at %s", i, bad[i][1]);
        }
        hxe_issues_free(&v.is);
    }
    clean(P(",\"birthDate\":\"2000-02-29\",\"deceasedDateTime\":\"2020-01\","
            "\"photo\":[{\"size\":0,\"data\":\"YWJj\",\"url\":\"http://x/y\"}]"), NULL);
    clean(P(",\"deceasedDateTime\":\"2020-12-31T23:59:60-14:00\""), NULL);
}

static void test_no_values_in_issues(void **state)
{
    (void)state;
    vres v = val(P(",\"birthDate\":\"SECRET-DAY\",\"gender\":\"SECRETG\",\"name\":[{\"family\":\"\"}],"
                   "\"generalPractitioner\":[{\"reference\":\"SECRET REF\"}]"));
    assert_int_equal(v.is.errors, 4);
    for (size_t i = 0; i < v.is.n; i++)
        assert_null(strstr(v.is.v[i].text, "SECRET"));
    hxe_issues_free(&v.is);
}

static void test_choice(void **state)
{
    (void)state;
    one_error(P(",\"deceasedString\":\"x\""), HXE_FHIR_IT_STRUCTURE, "Patient.deceasedString");
    one_error(P(",\"deceaseddateTime\":\"2020\""), HXE_FHIR_IT_STRUCTURE, "Patient.deceaseddateTime");
    one_error(OBS(",\"valueQuantity\":{\"valu\":1}"), HXE_FHIR_IT_STRUCTURE, "Observation.valueQuantity.valu");
    clean(OBS(",\"valueCodeableConcept\":{\"text\":\"x\"}"), NULL);
}

static void test_bindings(void **state)
{
    (void)state;
    one_error(P(",\"gender\":\"fem\""), HXE_FHIR_IT_CODE_INVALID, "Patient.gender");
    one_error("{\"resourceType\":\"Observation\",\"status\":\"done\",\"code\":{\"text\":\"t\"}}",
              HXE_FHIR_IT_CODE_INVALID, "Observation.status");
    one_error(P(",\"telecom\":[{\"system\":\"telepathy\"}]"), HXE_FHIR_IT_CODE_INVALID, "Patient.telecom[0].system");
#define COND(cs) "{\"resourceType\":\"Condition\",\"subject\":{\"reference\":\"Patient/1\"},\"clinicalStatus\":" cs "}"
    clean(COND("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"active\"}]}"), NULL);
    one_error(COND("{\"coding\":[{\"system\":\"http://terminology.hl7.org/CodeSystem/condition-clinical\",\"code\":\"on\"}]}"),
              HXE_FHIR_IT_CODE_INVALID, "Condition.clinicalStatus");
    one_error(COND("{\"coding\":[{\"system\":\"http://other\",\"code\":\"active\"}]}"),
              HXE_FHIR_IT_CODE_INVALID, "Condition.clinicalStatus");
    one_error(COND("{\"text\":\"active\"}"), HXE_FHIR_IT_CODE_INVALID, "Condition.clinicalStatus");
}

static void test_references(void **state)
{
    (void)state;
#define REF(r) P(",\"managingOrganization\":{\"reference\":\"" r "\"}")
    clean(REF("Organization/1/_history/2"), NULL);
    clean(REF("https://example.org/fhir/Organization/1"), NULL);
    clean(REF("urn:uuid:9d0e6a0c-1a9b-4c2e-8f3a-0f1e2d3c4b5a"), NULL);
    static const char *const bad[] = {
        REF("Organization 1"), REF("Foo/1"), REF("Organization/"), REF("Organization/a_b"),
        REF("Organization/1/_history/"), REF("://x"), REF("urn:uuid:1234"), REF("Organization?name=x"),
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vres v = val(bad[i]);
        if (v.is.n != 1 || at(&v, HXE_FHIR_IT_INVALID, "Patient.managingOrganization.reference") != 1) {
            dump(&v);
            fail_msg("case %zu: expected an invalid reference", i);
        }
        hxe_issues_free(&v.is);
    }
    /* contained */
#define CONT(r) P(",\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o1\"," \
                  "\"partOf\":{\"reference\":\"#\"}}],\"managingOrganization\":{\"reference\":\"" r "\"}")
    clean(CONT("#o1"), NULL);
    one_error(CONT("#o2"), HXE_FHIR_IT_NOT_FOUND, "Patient.managingOrganization.reference");
    one_error(P(",\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o1\",\"contained\":"
                "[{\"resourceType\":\"Organization\",\"id\":\"o2\"}]}]"),
              HXE_FHIR_IT_STRUCTURE, "Patient.contained[0]");
    one_error(P(",\"contained\":[{\"resourceType\":\"Organization\",\"id\":\"o1\",\"active\":1}]"),
              HXE_FHIR_IT_VALUE, "Patient.contained[0].active");
}

#define UUID1 "urn:uuid:11111111-1111-4111-8111-111111111111"
#define UUID2 "urn:uuid:22222222-2222-4222-8222-222222222222"
#define BUNDLE(ref) "{\"resourceType\":\"Bundle\",\"type\":\"transaction\",\"entry\":[" \
    "{\"fullUrl\":\"" UUID1 "\",\"resource\":{\"resourceType\":\"Patient\"}," \
    "\"request\":{\"method\":\"POST\",\"url\":\"Patient\"}}," \
    "{\"fullUrl\":\"" UUID2 "\",\"resource\":{\"resourceType\":\"Observation\",\"status\":\"final\"," \
    "\"code\":{\"text\":\"x\"},\"subject\":{\"reference\":\"" ref "\"}}," \
    "\"request\":{\"method\":\"POST\",\"url\":\"Observation\"}}]}"

static void test_bundle(void **state)
{
    (void)state;
    clean(BUNDLE(UUID1), NULL);
    clean(BUNDLE("Patient?identifier=urn:x|1"), NULL);
    one_error(BUNDLE("urn:uuid:33333333-3333-4333-8333-333333333333"), HXE_FHIR_IT_NOT_FOUND,
              "Bundle.entry[1].resource.subject.reference");
    /* entries are validated with the Bundle's path */
    vres v = val("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":[{\"resource\":"
                 "{\"resourceType\":\"Patient\",\"gender\":\"x\"}}]}");
    assert_int_equal(at(&v, HXE_FHIR_IT_CODE_INVALID, "Bundle.entry[0].resource.gender"), 1);
    hxe_issues_free(&v.is);
    one_error("{\"resourceType\":\"Bundle\",\"type\":\"batchy\"}", HXE_FHIR_IT_CODE_INVALID, "Bundle.type");
}

#define USPAT(body) "{\"resourceType\":\"Patient\",\"meta\":{\"profile\":[\"" US "us-core-patient\"]}," \
    "\"identifier\":[{\"system\":\"urn:x\",\"value\":\"1\"}],\"name\":[{\"family\":\"D\"}],\"gender\":\"male\"" body "}"

static void test_profile_rules(void **state)
{
    (void)state;
    clean(USPAT(""), NULL);
    /* minimum tightened (identifier 1..*, identifier.system 1..1) */
    one_error("{\"resourceType\":\"Patient\",\"meta\":{\"profile\":[\"" US "us-core-patient\"]},"
              "\"name\":[{\"family\":\"D\"}],\"gender\":\"male\"}",
              HXE_FHIR_IT_REQUIRED, "Patient.identifier");
    one_error("{\"resourceType\":\"Patient\",\"meta\":{\"profile\":[\"" US "us-core-patient\"]},"
              "\"identifier\":[{\"value\":\"1\"}],\"name\":[{\"family\":\"D\"}],\"gender\":\"male\"}",
              HXE_FHIR_IT_REQUIRED, "Patient.identifier[0].system");
    /* asked for explicitly instead of meta.profile */
    vres v = val_p(P(",\"gender\":\"male\",\"name\":[{\"family\":\"D\"}]"), US "us-core-patient");
    assert_int_equal(at(&v, HXE_FHIR_IT_REQUIRED, "Patient.identifier"), 1);
    assert_int_equal(v.is.errors, 1);
    hxe_issues_free(&v.is);
    /* profile of another type */
    v = val_p(OBS(""), US "us-core-patient");
    assert_int_equal(v.is.errors, 1);
    assert_int_equal(at(&v, HXE_FHIR_IT_INVALID, "Observation"), 1);
    hxe_issues_free(&v.is);
    /* unknown profiles */
    v = val_p(OBS(""), US "no-such-profile");
    assert_int_equal(v.rc, HXE_ENOTFOUND);
    hxe_issues_free(&v.is);
    v = val("{\"resourceType\":\"Patient\",\"meta\":{\"profile\":[\"http://x/none\"]}}");
    assert_int_equal(v.is.n, 1);
    assert_int_equal(v.is.errors, 0);
    assert_int_equal(v.is.v[0].code, HXE_FHIR_IT_NOT_SUPPORTED);
    hxe_issues_free(&v.is);
    assert_true(hxe_fhir_profile_known(US "us-core-patient|6.1.0"));
}

#define WEIGHT(code, value) "{\"resourceType\":\"Observation\",\"meta\":{\"profile\":[\"" US "us-core-body-weight\"]}," \
    "\"status\":\"final\",\"category\":[{\"coding\":[{\"system\":" \
    "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"vital-signs\"}]}]," \
    "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"" code "\"}]}," \
    "\"subject\":{\"reference\":\"Patient/1\"},\"effectiveDateTime\":\"2020-01-01\"," value "}"
#define KG "\"valueQuantity\":{\"value\":70,\"unit\":\"kg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"kg\"}"

static void test_profile_patterns_slices(void **state)
{
    (void)state;
    clean(WEIGHT("29463-7", KG), NULL);
    /* pattern on code */
    one_error(WEIGHT("8302-2", KG), HXE_FHIR_IT_VALUE, "Observation.code");
    /* choice type restricted to Quantity */
    one_error(WEIGHT("29463-7", "\"valueString\":\"heavy\""), HXE_FHIR_IT_STRUCTURE, "Observation.valueString");
    /* required binding added by the profile (UCUM vital-sign units) */
    one_error(WEIGHT("29463-7", "\"valueQuantity\":{\"value\":70,\"unit\":\"st\",\"system\":"
                     "\"http://unitsofmeasure.org\",\"code\":\"[stone_av]\"}"),
              HXE_FHIR_IT_CODE_INVALID, "Observation.valueQuantity.code");
    /* min inside the constrained type */
    one_error(WEIGHT("29463-7", "\"valueQuantity\":{\"value\":70,\"unit\":\"kg\",\"code\":\"kg\"}"),
              HXE_FHIR_IT_REQUIRED, "Observation.valueQuantity.system");
    /* the VSCat category slice (1..1) */
    const char *nocat =
        "{\"resourceType\":\"Observation\",\"meta\":{\"profile\":[\"" US "us-core-body-weight\"]},"
        "\"status\":\"final\",\"category\":[{\"text\":\"x\"}],"
        "\"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"29463-7\"}]},"
        "\"subject\":{\"reference\":\"Patient/1\"},\"effectiveDateTime\":\"2020-01-01\"," KG "}";
    vres v = val(nocat);
    assert_true(at(&v, HXE_FHIR_IT_REQUIRED, "Observation.category") >= 1);
    for (size_t i = 0; i < v.is.n; i++)
        assert_non_null(strstr(v.is.v[i].text, "slice"));
    hxe_issues_free(&v.is);
    /* lab: the laboratory category slice, asked for explicitly */
    const char *lab = OBS(",\"category\":[{\"coding\":[{\"system\":"
                          "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"%s\"}]}],"
                          "\"subject\":{\"reference\":\"Patient/1\"},\"effectiveDateTime\":\"2020\"");
    char buf[1024];
    snprintf(buf, sizeof buf, lab, "laboratory");
    clean(buf, US "us-core-observation-lab");
    snprintf(buf, sizeof buf, lab, "imaging");
    v = val_p(buf, US "us-core-observation-lab");
    assert_int_equal(v.is.errors, 1);
    assert_int_equal(at(&v, HXE_FHIR_IT_REQUIRED, "Observation.category"), 1);
    hxe_issues_free(&v.is);
    /* a slice's maximum: two laboratory categories where one is allowed */
    const char *two = OBS(",\"category\":[{\"coding\":[{\"system\":"
                          "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]},"
                          "{\"coding\":[{\"system\":"
                          "\"http://terminology.hl7.org/CodeSystem/observation-category\",\"code\":\"laboratory\"}]}],"
                          "\"subject\":{\"reference\":\"Patient/1\"},\"effectiveDateTime\":\"2020\"");
    v = val_p(two, US "us-core-observation-lab");
    assert_int_equal(at(&v, HXE_FHIR_IT_STRUCTURE, "Observation.category"), 1);
    hxe_issues_free(&v.is);
}

static void test_max_issues(void **state)
{
    (void)state;
    hxe_issues is = HXE_ISSUES_INIT;
    json_t *r = NULL;
    const char *s = P(",\"a\":1,\"b\":2,\"c\":3,\"d\":4");
    assert_int_equal(hxe_fhir_read(&r, s, strlen(s), NULL, NULL), 0);
    hxe_fhir_vopts o = {NULL, 0, 0, 2};
    assert_int_equal(hxe_fhir_validate(r, &o, &is, NULL), 0);
    assert_int_equal(is.n, 2);
    assert_int_equal(is.dropped, 2);
    assert_int_equal(is.errors, 4);
    json_decref(r);
    hxe_issues_free(&is);
    assert_int_equal(hxe_fhir_validate(json_null(), NULL, &is, NULL), HXE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_unknown_and_shape),
        cmocka_unit_test(test_cardinality),
        cmocka_unit_test(test_primitives),
        cmocka_unit_test(test_no_values_in_issues),
        cmocka_unit_test(test_choice),
        cmocka_unit_test(test_bindings),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_bundle),
        cmocka_unit_test(test_profile_rules),
        cmocka_unit_test(test_profile_patterns_slices),
        cmocka_unit_test(test_max_issues),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
