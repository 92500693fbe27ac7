/*
 * test_hl7_validate.c — HL7 v2 validation against the generated
 * definitions: clean messages of the common structures stay clean, and
 * every rule fires with its table-0357 code at its place (segment,
 * position, field, component), never quoting the value it rejects.
 *
 * All messages are synthetic v2.5.1 unless a test says otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hl7v2/hl7v2.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---- */

typedef struct vt {
    hxe_arena arena;
    hxe_issues issues;
    hxe_hl7_msg *m;
    size_t parse_issues;   /* issues the parser added before validation */
} vt;

static void vt_dump(const vt *t)
{
    for (size_t i = 0; i < t->issues.n; i++) {
        const hxe_issue *it = &t->issues.v[i];
        print_message("  [%s %u] %s pos=%u seq=%u f=%u r=%u c=%u s=%u reject=%u: %s\n",
                      hxe_severity_name(it->severity), (unsigned)it->code, it->loc.seg,
                      (unsigned)it->loc.seg_pos, (unsigned)it->loc.seg_seq,
                      (unsigned)it->loc.field, (unsigned)it->loc.rep, (unsigned)it->loc.comp,
                      (unsigned)it->loc.sub, (unsigned)it->reject, it->text);
    }
}

/* Parses and validates msg (version override may be NULL). */
static void vt_run_v(vt *t, const char *msg, const char *version)
{
    memset(t, 0, sizeof *t);
    hxe_arena_init(&t->arena, 8192, 0);
    hxe_err err;
    int rc = hxe_hl7_parse(&t->m, &t->arena, msg, strlen(msg), NULL, &t->issues, &err);
    if (rc != 0)
        print_message("parse failed: %s\n", err.msg);
    assert_int_equal(rc, 0);
    t->parse_issues = t->issues.n;
    hxe_hl7_validate_opts o = {version, 0};
    assert_int_equal(hxe_hl7_validate(t->m, version ? &o : NULL, &t->issues), 0);
}

static void vt_run(vt *t, const char *msg)
{
    vt_run_v(t, msg, NULL);
}

static void vt_done(vt *t)
{
    hxe_issues_free(&t->issues);
    hxe_arena_free(&t->arena);
}

/* First issue with this code at segment seg (NULL: any) and field (0:
 * any), or NULL. */
static const hxe_issue *vt_find(const vt *t, int code, const char *seg, unsigned field)
{
    for (size_t i = 0; i < t->issues.n; i++) {
        const hxe_issue *it = &t->issues.v[i];
        if (it->code == code && (!seg || strcmp(it->loc.seg, seg) == 0) &&
            (!field || it->loc.field == field))
            return it;
    }
    return NULL;
}

static size_t vt_count(const vt *t, int code, int min_sev)
{
    size_t n = 0;
    for (size_t i = 0; i < t->issues.n; i++)
        if ((code < 0 || t->issues.v[i].code == code) && t->issues.v[i].severity >= min_sev)
            n++;
    return n;
}

/* Asserts one issue of at least severity sev with code at seg (seg_pos),
 * field, comp, sub. */
static const hxe_issue *vt_expect_sev(const vt *t, int sev, int code, const char *seg,
                                      uint32_t seg_pos, unsigned field, unsigned comp,
                                      unsigned sub)
{
    const hxe_issue *it = NULL;
    for (size_t i = 0; i < t->issues.n && !it; i++) {
        const hxe_issue *x = &t->issues.v[i];
        if (x->code == code && x->severity >= sev && strcmp(x->loc.seg, seg) == 0 &&
            x->loc.seg_pos == seg_pos &&
            x->loc.field == field && x->loc.comp == comp && x->loc.sub == sub)
            it = x;
    }
    if (!it) {
        print_message("expected code %d at %s(pos %u)-%u.%u.%u; issues:\n", code, seg,
                      (unsigned)seg_pos, field, comp, sub);
        vt_dump(t);
    }
    assert_non_null(it);
    return it;
}

/* An error (or fatal) issue */
static const hxe_issue *vt_expect(const vt *t, int code, const char *seg, uint32_t seg_pos,
                                  unsigned field, unsigned comp, unsigned sub)
{
    return vt_expect_sev(t, HXE_SEV_ERROR, code, seg, seg_pos, field, comp, sub);
}

/* A message that must validate without errors (warnings allowed). */
static void vt_clean(const char *msg)
{
    vt t;
    vt_run(&t, msg);
    if (t.issues.errors) {
        print_message("unexpected errors:\n");
        vt_dump(&t);
    }
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);
}

#define MSH_(type, ver) \
    "MSH|^~\\&|SENDAPP|SENDFAC|RECVAPP|RECVFAC|20240102030405||" type "|CTRL0001|P|" ver "\r"
#define MSH(type) MSH_(type, "2.5.1")

#define PID "PID|1||MRN0001^^^HOSP^MR||TESTPATIENT^ALPHA^Q||19800101|F|||1 MAIN ST^^TOWN^ST^12345\r"
#define PV1 "PV1|1|I|WARD^101^1\r"
#define ADT_BODY(ev)                                                           \
    "EVN|" ev "|20240102030405\r" PID "NK1|1|TESTKIN^BETA|SPO\r" PV1          \
    "AL1|1||PCN^Penicillin^L\r"                                               \
    "DG1|1||I10^Diagnosis^I10||20240101|A\r"                                  \
    "IN1|1|PLAN1^Plan^L|INS1\r"

/* ---- clean messages of the common structures ---- */

static void clean_adt(void **state)
{
    (void)state;
    vt_clean(MSH("ADT^A01^ADT_A01") ADT_BODY("A01"));
    vt_clean(MSH("ADT^A04") ADT_BODY("A04"));
    vt_clean(MSH("ADT^A08") ADT_BODY("A08"));
    vt_clean(MSH("ADT^A03^ADT_A03") "EVN|A03|20240102030405\r" PID
             "PV1|1|I|WARD^101^1||||||||||||||||||||||||||||||||||||||||||20240103040506\r");
}

static void adt_a04_uses_adt_a01_structure(void **state)
{
    (void)state;
    /* the dictionary's own ADT_A04 has no SFT; the ADT_A01 structure
     * that table 0354 maps A04 to does */
    vt t;
    vt_run(&t, MSH("ADT^A04") "SFT|VENDOR|1.0|PRODUCT|BIN1\r" ADT_BODY("A04"));
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);
}

static void clean_oru_orm_oml(void **state)
{
    (void)state;
    vt_clean(MSH("ORU^R01^ORU_R01") PID PV1
             "ORC|RE|PL1|FL1\r"
             "OBR|1|PL1|FL1|GLU^Glucose^L|||20240102030405\r"
             "OBX|1|NM|GLU^Glucose^L||5.4|mmol/L^mmol/L^UCUM|3.9-6.1|N|||F|||20240102030405\r"
             "NTE|1|L|fasting\r"
             "SPM|1|SP1||BLD^Blood^HL70487||||||||||||||20240102030405\r");
    vt_clean(MSH("ORM^O01^ORM_O01") PID PV1
             "ORC|NW|ORD1\r"
             "OBR|1|ORD1||CBC^Blood count^L\r"
             "NTE|1|L|note\r");
    vt_clean(MSH("OML^O21^OML_O21") PID PV1
             "ORC|NW|ORD1\r"
             "OBR|1|ORD1||CBC^Blood count^L\r"
             "SPM|1|SP1||BLD^Blood^HL70487\r");
}

static void clean_vxu_siu_mdm_dft_ack(void **state)
{
    (void)state;
    vt_clean(MSH("VXU^V04^VXU_V04") PID
             "ORC|RE||IMM1\r"
             "RXA|0|1|20240102|20240102|08^HepB^CVX|0.5|mL^mL^UCUM\r"
             "RXR|IM^Intramuscular^HL70162\r"
             "OBX|1|CE|64994-7^Funding^LN|1|V02^VFC^HL70064||||||F\r");
    vt_clean(MSH("SIU^S12^SIU_S12")
             "SCH|P1|F1||||RSN^Reason^L||||||||||1001^SMITH^ANN||||1002^JONES^BOB\r"
             PID
             "RGS|1\r"
             "AIS|1||SVC^Service^L\r"
             "AIP|1||2001^DOC^DAN\r");
    vt_clean(MSH("MDM^T02^MDM_T02") "EVN|T02|20240102030405\r" PID PV1
             "TXA|1|CN|TX|||||||||DOC123|||||AU\r"
             "OBX|1|TX|NOTE^Note^L||text||||||F\r");
    vt_clean(MSH("DFT^P03^DFT_P03") "EVN|P03|20240102030405\r" PID PV1
             "FT1|1|||20240102|20240102|CG|CHG1^Charge^L\r");
    vt_clean(MSH("ACK^A01^ACK") "MSA|AA|CTRL0001\r");
    vt_clean(MSH("ACK") "MSA|AE|CTRL0001\rERR||PID^1^8|103^Table value not found^HL70357|E\r");
}

/* ---- segment order ---- */

static void segment_out_of_order(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01^ADT_A01") "EVN|A01|20240102030405\r" PV1 PID);
    /* PV1 (segment 3) stands before the PID it must follow */
    const hxe_issue *it = vt_expect(&t, 100, "PV1", 3, 0, 0, 0);
    assert_int_equal(it->severity, HXE_SEV_ERROR);
    assert_non_null(strstr(it->text, "out of order"));
    assert_int_equal(it->loc.seg_seq, 1);
    assert_int_equal(it->reject, 0);
    vt_done(&t);

    /* a second PID after the visit has no place in ADT_A01 */
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r" PID PV1 PID);
    it = vt_expect(&t, 100, "PID", 5, 0, 0, 0);
    assert_int_equal(it->loc.seg_seq, 2);
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);

    /* a segment the structure does not have at all */
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r" PID PV1 "RXA|0|1|20240102|20240102|08^HepB^CVX|0.5\r");
    it = vt_expect(&t, 100, "RXA", 5, 0, 0, 0);
    assert_non_null(strstr(it->text, "not allowed in ADT_A01"));
    vt_done(&t);
}

static void missing_required_segment(void **state)
{
    (void)state;
    vt t;
    /* no EVN: expected before PID, segment 2 */
    vt_run(&t, MSH("ADT^A01") PID PV1);
    const hxe_issue *it = vt_expect(&t, 100, "EVN", 2, 0, 0, 0);
    assert_string_equal(it->text, "required segment EVN missing");
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);

    /* no PV1 at the end */
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r" PID);
    it = vt_expect(&t, 100, "PV1", 4, 0, 0, 0);
    assert_string_equal(it->text, "required segment PV1 missing");
    vt_done(&t);

    /* ORU without any order: the required group is named */
    vt_run(&t, MSH("ORU^R01") PID PV1);
    it = vt_expect(&t, 100, "OBR", 4, 0, 0, 0);
    assert_non_null(strstr(it->text, "ORDER_OBSERVATION"));
    vt_done(&t);

    /* SIU without SCH: SCH missing before PID, RESOURCES at the end */
    vt_run(&t, MSH("SIU^S12") PID);
    vt_expect(&t, 100, "SCH", 2, 0, 0, 0);
    vt_expect(&t, 100, "RGS", 3, 0, 0, 0);
    vt_done(&t);
}

static void repeating_groups(void **state)
{
    (void)state;
    /* three orders, several observations each, notes at both levels,
     * a specimen with its own OBX, then a second patient result */
    vt_clean(MSH("ORU^R01^ORU_R01") PID PV1
             "OBR|1|P1||A^A^L\r"
             "NTE|1||order note\r"
             "OBX|1|NM|X1^X1^L||1||||||F\r"
             "OBX|2|NM|X2^X2^L||2||||||F\r"
             "NTE|1||result note\r"
             "ORC|RE|P2\r"
             "OBR|2|P2||B^B^L\r"
             "OBX|1|ST|Y1^Y1^L||y||||||F\r"
             "SPM|1|S1||BLD^Blood^HL70487\r"
             "OBX|1|NM|SPX^SpecObs^L||3||||||F\r"
             "OBR|3|P3||C^C^L\r"
             PID
             "OBR|1|P4||D^D^L\r"
             "OBX|1|NM|Z1^Z1^L||4||||||F\r");
    /* an OBX before any OBR: the order it belongs to lacks its OBR */
    vt t;
    vt_run(&t, MSH("ORU^R01^ORU_R01") PID "OBX|1|NM|X1^X1^L||1||||||F\r"
               "OBR|1|P1||A^A^L\r");
    const hxe_issue *it = vt_expect(&t, 100, "OBR", 3, 0, 0, 0);
    assert_string_equal(it->text, "required segment OBR missing");
    assert_int_equal(vt_count(&t, 100, HXE_SEV_ERROR), 1);
    vt_done(&t);
    /* VXU: the ORDER group repeats; RXA is required in each */
    vt_clean(MSH("VXU^V04^VXU_V04") PID
             "ORC|RE||IMM1\rRXA|0|1|20240102|20240102|08^HepB^CVX|0.5\r"
             "ORC|RE||IMM2\rRXA|0|1|20240103|20240103|20^DTaP^CVX|0.5\rRXR|IM^IM^HL70162\r");
    vt_run(&t, MSH("VXU^V04^VXU_V04") PID "ORC|RE||IMM1\rORC|RE||IMM2\r"
               "RXA|0|1|20240103|20240103|20^DTaP^CVX|0.5\r");
    vt_expect(&t, 100, "RXA", 4, 0, 0, 0); /* missing before the second ORC */
    assert_int_equal(vt_count(&t, 100, HXE_SEV_ERROR), 1);
    vt_done(&t);
}

static void groups_entered_at_their_start(void **state)
{
    (void)state;
    /* REF_I12: ... PID ... [{OBSERVATION(OBR [{NTE}] ...)}] [PATIENT_VISIT]
     * [{NTE}]: a NTE after PID is the last element, not a note of an
     * observation whose OBR is missing */
    vt_clean(MSH("REF^I12^REF_I12") "PRD|RP^Referring^HL70286\r" PID "NTE|1||note\r");
    /* with a required PRD missing, the NTE still lands at the end */
    vt t;
    vt_run(&t, MSH("REF^I12^REF_I12") PID "NTE|1||note\r");
    vt_expect(&t, 100, "PRD", 2, 0, 0, 0);
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);
    /* nothing but a NTE: PRD and PID are missing, not an OBR */
    vt_run(&t, MSH("REF^I12^REF_I12") "NTE|1||note\r");
    vt_expect(&t, 100, "PRD", 2, 0, 0, 0);
    vt_expect(&t, 100, "PID", 2, 0, 0, 0);
    assert_int_equal(t.issues.errors, 2);
    vt_done(&t);
}

/* OML_O21: ORDER {ORC, [OBSERVATION_REQUEST {OBR, ..., {SPECIMEN},
 * {PRIOR_RESULT {..., {ORDER_PRIOR {[ORC], OBR, ..., {OBSERVATION_PRIOR
 * {OBX ...}}}}}}}]}: an ORC after an order may open the next ORDER or a
 * prior result; only the segments after it tell which */
#define OML_ORDER(n) "ORC|NW|ORD" n "\rOBR|" n "|ORD" n "||CBC^Blood count^L\r"
#define OML_SPM(n) "SPM|" n "|SP" n "||BLD^Blood^HL70487\r"
#define OML_OBX "OBX|1|NM|GLU^Glucose^L||5.4||||||F\r"

static void ambiguous_group_starts(void **state)
{
    (void)state;
    /* two orders, each with a specimen; and without */
    vt_clean(MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") OML_SPM("1")
             OML_ORDER("2") OML_SPM("2"));
    vt_clean(MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") OML_ORDER("2"));
    vt_clean(MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") OML_SPM("1")
             OML_ORDER("2") OML_SPM("2") OML_ORDER("3") OML_OBX);
    vt_clean(MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") OML_SPM("1"));
    /* a prior result: its patient, its order, its observation */
    vt_clean(MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") PID OML_ORDER("2") OML_OBX);
    /* a prior order without the observation it requires */
    vt t;
    vt_run(&t, MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") PID OML_ORDER("2"));
    const hxe_issue *it = vt_expect(&t, 100, "OBX", 9, 0, 0, 0);
    assert_string_equal(it->text, "required group OBSERVATION_PRIOR (OBX) missing");
    assert_int_equal(vt_count(&t, 100, HXE_SEV_ERROR), 1);
    vt_done(&t);
    /* a second order whose specimen comes before its request */
    vt_run(&t, MSH("OML^O21^OML_O21") PID PV1 OML_ORDER("1") OML_SPM("1")
               "ORC|NW|ORD2\r" OML_SPM("2") "OBR|2|ORD2||CBC^Blood count^L\r");
    it = vt_expect(&t, 100, "OBR", 8, 0, 0, 0);
    assert_string_equal(it->text, "required segment OBR missing");
    vt_done(&t);
}

/* Many ORC segments, each of which may open a prior result or an order:
 * the readings followed stay few, whatever the count */
static void ambiguous_starts_stay_bounded(void **state)
{
    (void)state;
    static const char *const units[] = {OML_ORDER("1"), "ORC|NW|ORD1\r",
                                        OML_ORDER("1") OML_OBX};
    for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
        hxe_buf b = HXE_BUF_INIT;
        assert_int_equal(hxe_buf_puts(&b, MSH("OML^O21^OML_O21") PID), 0);
        for (int i = 0; i < 600; i++)
            assert_int_equal(hxe_buf_puts(&b, units[u]), 0);
        /* a specimen at the end belongs to the last order's OBR */
        assert_int_equal(hxe_buf_puts(&b, OML_SPM("1")), 0);
        assert_int_equal(hxe_buf_putc(&b, 0), 0);
        vt t;
        vt_run(&t, b.p);
        assert_true(t.m->nseg > 600);
        /* ORCs alone: the last order lacks the OBR its specimen needs */
        if (u == 1) {
            const hxe_issue *it = vt_expect(&t, 100, "OBR", (uint32_t)t.m->nseg, 0, 0, 0);
            assert_string_equal(it->text, "required segment OBR missing");
        }
        assert_int_equal(vt_count(&t, 100, HXE_SEV_ERROR), u == 1 ? 1 : 0);
        vt_done(&t);
        hxe_buf_free(&b);
    }
}

static void z_segments_tolerated(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01^ADT_A01") "ZAA|x\r" "EVN|A01|20240102030405\r" PID
               "ZPI|custom|fields\r" PV1 "ZPV|1\rZPV|2\r");
    assert_int_equal(t.issues.errors, 0);
    assert_int_equal(vt_count(&t, -1, HXE_SEV_WARNING), 0);
    vt_done(&t);
}

static void unknown_structure_is_a_warning(void **state)
{
    (void)state;
    vt t;
    /* RDE^O01 was a 2.3 structure; 2.5.1 has none by that name */
    vt_run(&t, MSH("RDE^O01") PID "XYZ|1\r");
    const hxe_issue *it = vt_find(&t, 100, "MSH", 9);
    assert_non_null(it);
    assert_int_equal(it->severity, HXE_SEV_WARNING);
    assert_non_null(strstr(it->text, "no message structure"));
    /* unknown non-Z segments: a warning, fields not checked */
    it = vt_find(&t, 100, "XYZ", 0);
    assert_non_null(it);
    assert_int_equal(it->severity, HXE_SEV_WARNING);
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);
}

static void malformed_segments_not_reported_twice(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r" PID "pv1|1|I\r" PV1);
    /* the parser reported the bad id; validation adds nothing for it */
    size_t parsed = t.parse_issues;
    assert_true(parsed >= 1);
    for (size_t i = parsed; i < t.issues.n; i++)
        assert_true(t.issues.v[i].loc.seg_pos != 5);
    assert_int_equal(t.issues.errors - parsed, 0);
    vt_done(&t);
}

/* ---- fields ---- */

static void missing_required_field(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r"
               "PID|1||MRN0001^^^HOSP^MR||\r" PV1);
    const hxe_issue *it = vt_expect(&t, 101, "PID", 3, 5, 0, 0);
    assert_string_equal(it->text, "PID-5: required field missing");
    assert_int_equal(it->reject, 0);
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);

    /* a required MSH field is an AR */
    vt_run(&t, "MSH|^~\\&|A|B|C|D|20240102030405||ADT^A01||P|2.5.1\r"
               "EVN|A01|20240102030405\r" PID PV1);
    it = vt_expect(&t, 101, "MSH", 1, 10, 0, 0);
    assert_int_equal(it->reject, 1);
    vt_done(&t);

    /* the HL7 null "" is a value, valid for any type */
    vt_clean(MSH("ADT^A01") "EVN|A01|20240102030405\r"
             "PID|1||MRN0001^^^HOSP^MR^^\"\"||\"\"||\"\"|\"\"|||||||||||||||||\"\"\r" PV1);
}

static void data_types(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01") "EVN|A01|2024010203046\r"
               "PID|A1||MRN0001^^^HOSP^MR^^20241399||TESTPATIENT^ALPHA||19801301|F"
               "|||1 MAIN ST^^TOWN^ST^12345^^^^^^^20240230&2024X||||||||||||||two\r"
               "NK1|1|TESTKIN^BETA|SPO|||||2024-01-01\r" PV1);
    vt_expect(&t, 102, "EVN", 2, 2, 1, 0);       /* TS: odd digits */
    vt_expect(&t, 102, "PID", 3, 1, 0, 0);       /* SI */
    vt_expect(&t, 102, "PID", 3, 3, 7, 0);       /* CX.7 DT: month 13 */
    vt_expect(&t, 102, "PID", 3, 7, 1, 0);       /* TS.1 DTM */
    vt_expect(&t, 102, "PID", 3, 11, 12, 2);     /* XAD.12 DR, DR.2 TS */
    vt_expect(&t, 102, "PID", 3, 25, 0, 0);      /* NM */
    const hxe_issue *it = vt_expect(&t, 102, "NK1", 4, 8, 0, 0); /* DT */
    assert_string_equal(it->text, "NK1-8: not a valid DT");
    it = vt_expect(&t, 102, "PID", 3, 7, 1, 0);
    assert_string_equal(it->text, "PID-7.1: not a valid DTM");
    assert_int_equal(it->loc.rep, 1);
    /* XAD.12.1 is a valid date: only the range end is reported */
    assert_int_equal(vt_count(&t, 102, HXE_SEV_ERROR), 7);
    vt_done(&t);

    /* what is valid */
    vt_clean(MSH("ADT^A01") "EVN|A01|20240102030405.1234+0100\r"
             "PID|1||MRN0001^^^HOSP^MR^^20240229||TESTPATIENT^ALPHA||1980|F"
             "|||||||||||||||||-1.5\r"
             "NK1|1|TESTKIN^BETA|SPO|||||202401\r"
             "PV1|1|I||||||||||||||||||||||||||||||||||||||||||2024010203-0500\r");
    vt_clean(MSH("ADT^A01") "EVN|A01|202401020304\r"
             "PID|1||MRN0001||TESTPATIENT||19800101^Y|F|||||||||||||||||+.5\r" PV1);
}

static void format_edges(void **state)
{
    (void)state;
    vt t;
    static const char *bad_dtm[] = {"2024010", "20240102030405.", "20240102030405.12345",
                                    "202401020304.5", "20240102+01", "20240102030405+2400",
                                    "2024010224", "202401020360", "20240100", "2024a102"};
    for (size_t i = 0; i < sizeof bad_dtm / sizeof bad_dtm[0]; i++) {
        char msg[512];
        snprintf(msg, sizeof msg, MSH("ADT^A01") "EVN|A01|%s\r" PID PV1, bad_dtm[i]);
        vt_run(&t, msg);
        if (!vt_find(&t, 102, "EVN", 2))
            print_message("accepted as DTM: %s\n", bad_dtm[i]);
        vt_expect(&t, 102, "EVN", 2, 2, 1, 0);
        vt_done(&t);
    }
    static const char *bad_nm[] = {"1.2.3", "+", "-", ".", "1e5", " 1", "1,5", "0x1"};
    for (size_t i = 0; i < sizeof bad_nm / sizeof bad_nm[0]; i++) {
        char msg[512];
        snprintf(msg, sizeof msg,
                 MSH("ADT^A01") "EVN|A01|20240102\r"
                 "PID|1||MRN0001||TESTPATIENT||||||||||||||||||||%s\r" PV1,
                 bad_nm[i]);
        vt_run(&t, msg);
        vt_expect(&t, 102, "PID", 3, 25, 0, 0);
        vt_done(&t);
    }
}

static void obx5_has_the_type_obx2_names(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ORU^R01^ORU_R01") PID "OBR|1|P1||A^A^L\r"
               "OBX|1|NM|X1^X1^L||NOTANUMBER||||||F\r"
               "OBX|2|DT|X2^X2^L||20241340||||||F\r"
               "OBX|3|TS|X3^X3^L||2024-01-01||||||F\r"
               "OBX|4|NM|X4^X4^L||1~2.5~x||||||F\r"
               "OBX|5|CWE^^HL70125|X5^X5^L||POS^Positive^L||||||F\r"
               "OBX|6|SN|X6^X6^L||<^5.0||||||F\r"
               "OBX|7|SN|X7^X7^L||<^five||||||F\r"
               "OBX|8|ZZ|X8^X8^L||anything||||||F\r"
               "OBX|9||X9^X9^L||anything||||||F\r");
    const hxe_issue *it = vt_expect(&t, 102, "OBX", 4, 5, 0, 0);
    assert_string_equal(it->text, "OBX-5: not a valid NM");
    vt_expect(&t, 102, "OBX", 5, 5, 0, 0);
    vt_expect(&t, 102, "OBX", 6, 5, 1, 0);
    it = vt_expect(&t, 102, "OBX", 7, 5, 0, 0);
    assert_int_equal(it->loc.rep, 3);
    vt_expect(&t, 102, "OBX", 10, 5, 2, 0); /* SN.2 is NM */
    assert_int_equal(t.issues.errors, 5);
    vt_done(&t);
}

static void field_repetition(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r"
               "PID|1||MRN0001~MRN0002||TESTPATIENT||19800101|F~M\r" PV1);
    const hxe_issue *it = vt_expect(&t, 102, "PID", 3, 8, 0, 0);
    assert_int_equal(it->loc.rep, 2);
    assert_string_equal(it->text, "PID-8: field does not repeat");
    assert_int_equal(t.issues.errors, 1); /* PID-3 may repeat */
    vt_done(&t);
}

static void lengths_are_warnings(void **state)
{
    (void)state;
    char msg[1024];
    char longid[64], verylong[256];
    memset(longid, 'A', 30);
    longid[30] = 0;
    memset(verylong, 'B', 210);
    verylong[210] = 0;
    /* MSH-10 is 20 long in 2.5.1: over-length is a warning, code 102 */
    snprintf(msg, sizeof msg,
             "MSH|^~\\&|A|B|C|D|20240102030405||ACK|%s|P|2.5.1\rMSA|AA|X\r", longid);
    vt t;
    vt_run(&t, msg);
    const hxe_issue *it = vt_expect_sev(&t, HXE_SEV_WARNING, 102, "MSH", 1, 10, 0, 0);
    assert_int_equal(it->severity, HXE_SEV_WARNING);
    assert_int_equal(it->loc.rep, 1);
    assert_int_equal(it->reject, 0);
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);
    /* 2.7.1 reports lengths with 104 (MSA-2 may have 199) */
    snprintf(msg, sizeof msg,
             "MSH|^~\\&|A|B|C|D|20240102030405||ACK^A01^ACK|C1|P|2.7.1\rMSA|AA|%s\r",
             verylong);
    vt_run(&t, msg);
    it = vt_find(&t, 104, "MSA", 2);
    if (!it)
        vt_dump(&t);
    assert_non_null(it);
    assert_int_equal(it->severity, HXE_SEV_WARNING);
    vt_done(&t);
    /* characters, not bytes: 15 two-byte letters fit MSH-10's 20 */
    vt_run(&t, "MSH|^~\\&|A|B|C|D|20240102030405||ACK|"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
               "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9|P|2.5.1\r"
               "MSA|AA|X\r");
    assert_null(vt_find(&t, 102, "MSH", 10));
    vt_done(&t);
    /* an escape sequence counts as one character */
    vt_run(&t, "MSH|^~\\&|A|B|C|D|20240102030405||ACK|\\F\\\\F\\\\F\\\\F\\\\F\\\\F\\\\F\\|P|2.5.1\r"
               "MSA|AA|X\r");
    assert_null(vt_find(&t, 102, "MSH", 10));
    vt_done(&t);
}

static void tables(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("ADT^A01") "EVN|A01|20240102030405\r"
               "PID|1||MRN0001||TESTPATIENT||19800101|Q\r" PV1
               "GT1|1||TESTGUAR||||||W\r");
    const hxe_issue *it = vt_expect(&t, 103, "PID", 3, 8, 0, 0);
    assert_string_equal(it->text, "PID-8: value not in table 0001 (administrative sex)");
    assert_int_equal(it->reject, 0);
    vt_expect(&t, 103, "GT1", 5, 9, 0, 0);
    vt_done(&t);
    /* a code sent as a coded element: the code counts */
    vt_clean(MSH("ADT^A01") "EVN|A01|20240102030405\r"
             "PID|1||MRN0001||TESTPATIENT||19800101|F^Female^HL70001\r" PV1);
    /* 2.7.1: PID-8 is a CWE bound to table 0001 */
    vt_run(&t, MSH_("ADT^A01^ADT_A01", "2.7.1") "EVN||20240102030405\r"
               "PID|1||MRN0001^^^HOSP^MR||TESTPATIENT||19800101|Q^Q^HL70001\r" PV1);
    vt_expect(&t, 103, "PID", 3, 8, 0, 0);
    vt_done(&t);
    /* EVN-1 is bound to table 0003 */
    vt_run(&t, MSH("ADT^A01") "EVN|Q9Q|20240102030405\r" PID PV1);
    vt_expect(&t, 103, "EVN", 2, 1, 0, 0);
    vt_done(&t);
    /* other tables are not checked */
    vt_clean(MSH("ADT^A01") "EVN|A01|20240102030405\r" PID "PV1|1|NOT_IN_0004\r");
}

/* ---- MSH: the AR problems ---- */

static void msh_type_event_processing_version(void **state)
{
    (void)state;
    vt t;
    vt_run(&t, MSH("XYZ^A01") PID);
    const hxe_issue *it = vt_expect(&t, 200, "MSH", 1, 9, 1, 0);
    assert_int_equal(it->reject, 1);
    assert_string_equal(it->text, "MSH-9.1: message type not in table 0076");
    vt_done(&t);

    vt_run(&t, MSH("ADT^A99") "EVN|A01|20240102030405\r" PID PV1);
    it = vt_expect(&t, 201, "MSH", 1, 9, 2, 0);
    assert_int_equal(it->reject, 1);
    vt_done(&t);

    vt_run(&t, MSH("ADT") "EVN|A01|20240102030405\r" PID PV1);
    vt_expect(&t, 201, "MSH", 1, 9, 2, 0);
    vt_done(&t);

    /* an ACK may carry any event; site-defined Z types and events pass */
    vt_clean(MSH("ACK^R01") "MSA|AA|X\r");
    vt_run(&t, MSH("ZZZ^Z01") PID);
    assert_null(vt_find(&t, 200, NULL, 0));
    assert_null(vt_find(&t, 201, NULL, 0));
    vt_done(&t);

    vt_run(&t, "MSH|^~\\&|A|B|C|D|20240102030405||ADT^A01|C1|X|2.5.1\r"
               "EVN|A01|20240102030405\r" PID PV1);
    it = vt_expect(&t, 202, "MSH", 1, 11, 1, 0);
    assert_int_equal(it->reject, 1);
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);
}

static void msh_version(void **state)
{
    (void)state;
    vt t;
    /* not in table 0104: 203, AR, and no structure or segment checks */
    vt_run(&t, MSH_("ADT^A01", "1.0") PID "PID|x\r");
    const hxe_issue *it = vt_expect(&t, 203, "MSH", 1, 12, 1, 0);
    assert_int_equal(it->reject, 1);
    assert_int_equal(t.issues.errors, 1);
    vt_done(&t);

    /* empty: also a missing required field */
    vt_run(&t, MSH_("ADT^A01", "") PID);
    vt_expect(&t, 203, "MSH", 1, 12, 1, 0);
    vt_expect(&t, 101, "MSH", 1, 12, 0, 0);
    vt_done(&t);

    /* MSH checks still run without definitions */
    vt_run(&t, "MSH|^~\\&|A|B|C|D|20240102030405||XYZ^A01|C1|P|9.9\rPID|1\r");
    vt_expect(&t, 200, "MSH", 1, 9, 1, 0);
    vt_expect(&t, 203, "MSH", 1, 12, 1, 0);
    vt_done(&t);

    /* 2.2 is checked against 2.3, with a note */
    vt_run(&t, MSH_("ADT^A01", "2.2") "EVN|A01|20240102030405\r" PID PV1);
    it = vt_find(&t, 0, "MSH", 12);
    assert_non_null(it);
    assert_int_equal(it->severity, HXE_SEV_INFO);
    assert_non_null(strstr(it->text, "2.3"));
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);

    /* 2.8 uses the 2.7.1 definitions */
    vt_run(&t, MSH_("ADT^A01^ADT_A01", "2.8") "EVN||20240102030405\r" PID PV1);
    it = vt_find(&t, 0, "MSH", 12);
    assert_non_null(it);
    assert_non_null(strstr(it->text, "2.7.1"));
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);

    /* each supported version validates its own clean ADT */
    static const char *versions[] = {"2.3", "2.3.1", "2.4", "2.5", "2.5.1", "2.6", "2.7.1"};
    for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++) {
        char msg[1024];
        snprintf(msg, sizeof msg,
                 "MSH|^~\\&|A|B|C|D|20240102030405||ADT^A01|C1|P|%s\r"
                 "EVN|A01|20240102030405\r"
                 "PID|1||MRN0001^^^HOSP^MR||TESTPATIENT^ALPHA||19800101|F\r"
                 "PV1|1|I|WARD^101^1\r",
                 versions[i]);
        vt_run(&t, msg);
        if (t.issues.errors)
            vt_dump(&t);
        assert_int_equal(t.issues.errors, 0);
        assert_null(vt_find(&t, 0, "MSH", 12)); /* exact: no note */
        vt_done(&t);
    }
}

static void version_override(void **state)
{
    (void)state;
    vt t;
    /* a 2.3 message checked as 2.5.1: 2.5.1 rules apply (SFT exists) */
    vt_run_v(&t, MSH_("ADT^A01", "2.3") "SFT|VENDOR|1.0|PRODUCT|BIN1\r"
                 "EVN|A01|20240102030405\r" PID PV1, "2.5.1");
    assert_int_equal(t.issues.errors, 0);
    vt_done(&t);
    vt_run(&t, MSH_("ADT^A01", "2.3") "SFT|VENDOR|1.0|PRODUCT|BIN1\r"
               "EVN|A01|20240102030405\r" PID PV1);
    vt_expect(&t, 100, "SFT", 2, 0, 0, 0);
    vt_done(&t);
    /* an override that is no version is the caller's error */
    memset(&t, 0, sizeof t);
    hxe_arena_init(&t.arena, 4096, 0);
    const char *msg = MSH("ADT^A01") PID;
    assert_int_equal(hxe_hl7_parse(&t.m, &t.arena, msg, strlen(msg), NULL, &t.issues, NULL), 0);
    hxe_hl7_validate_opts o = {"7.7", 0};
    assert_int_equal(hxe_hl7_validate(t.m, &o, &t.issues), HXE_EINVAL);
    assert_int_equal(hxe_hl7_validate(NULL, NULL, &t.issues), HXE_EINVAL);
    assert_int_equal(hxe_hl7_validate(t.m, NULL, NULL), HXE_EINVAL);
    vt_done(&t);
}

/* ---- no PHI in issue texts ---- */

static void texts_never_quote_values(void **state)
{
    (void)state;
    static const char *secrets[] = {"SECRETMRNVALUE", "19801399", "QZQ", "SEKRITNUMBER",
                                    "SEKRITDATE", "PLAINWRONGSI", "XQQ", "A9Z", "QQ",
                                    "SECRETLONGNAME"};
    char msg[2048];
    snprintf(msg, sizeof msg,
             "MSH|^~\\&|A|B|C|D|20240102030405||XQQ^A9Z|C1|QQ|2.5.1\r"
             "EVN|A01|SEKRITDATE\r"
             "PID|PLAINWRONGSI||SECRETMRNVALUE^^^^^^SEKRITDATE||%s||19801399|QZQ"
             "|||||||||||||||||SEKRITNUMBER\r"
             "PV1|1|I\r",
             "SECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAME"
             "SECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAME"
             "SECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAME"
             "SECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAMESECRETLONGNAME");
    vt t;
    vt_run(&t, msg);
    assert_true(t.issues.n >= 8);
    for (size_t i = 0; i < t.issues.n; i++)
        for (size_t k = 0; k < sizeof secrets / sizeof secrets[0]; k++) {
            if (strstr(t.issues.v[i].text, secrets[k]))
                print_message("issue %zu quotes a value: %s\n", i, t.issues.v[i].text);
            assert_null(strstr(t.issues.v[i].text, secrets[k]));
        }
    vt_done(&t);
}

/* ---- bounds ---- */

static void hostile_input_stays_bounded(void **state)
{
    (void)state;
    /* 20,000 segments that fit nowhere, each with odd fields */
    size_t n = 20000;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&b, MSH("ORU^R01^ORU_R01") PID), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hxe_buf_puts(&b, i % 2 ? "EVN|X|Y\r" : "OBX|x|NM|||1.2.3|||||||zz\r"), 0);
    vt t;
    memset(&t, 0, sizeof t);
    hxe_arena_init(&t.arena, 1 << 16, 0);
    hxe_hl7_opts po = {0, 50000, 0};
    assert_int_equal(hxe_hl7_parse(&t.m, &t.arena, b.p, b.len, &po, &t.issues, NULL), 0);
    assert_int_equal(hxe_hl7_validate(t.m, NULL, &t.issues), 0);
    assert_true(t.issues.n <= 1000);
    assert_true(t.issues.dropped > 0);
    assert_true(t.issues.errors > n);
    vt_done(&t);
    hxe_buf_free(&b);

    /* a field with many repetitions and components, no rs/ss declared */
    vt_run(&t, "MSH|^|A|B|C|D|20240102030405||ADT^A01|C1|P|2.5.1\r"
               "EVN|A01|20240102030405\rPID|1||A~B~C^^^^^^2024||N\rPV1|1|I\r");
    assert_int_equal(t.m->enc.rs, 0);
    vt_done(&t);
}

static void field_names(void **state)
{
    (void)state;
    assert_string_equal(hxe_hl7_field_name(NULL, "PID", 5), "Patient Name");
    assert_string_equal(hxe_hl7_field_name("2.5.1", "PID", 8), "Administrative Sex");
    assert_string_equal(hxe_hl7_field_name("2.3", "PID", 8), "Sex");
    assert_string_equal(hxe_hl7_field_name("2.5.1", "MSH", 9), "Message Type");
    assert_string_equal(hxe_hl7_field_name("2.8", "OBX", 5), "Observation Value");
    assert_null(hxe_hl7_field_name(NULL, "PID", 0));
    assert_null(hxe_hl7_field_name(NULL, "PID", 200));
    assert_null(hxe_hl7_field_name(NULL, "ZZZ", 1));
    assert_null(hxe_hl7_field_name("1.0", "PID", 5));
    assert_null(hxe_hl7_field_name(NULL, NULL, 5));
    assert_null(hxe_hl7_field_name(NULL, "PIDX", 5));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(clean_adt),
        cmocka_unit_test(adt_a04_uses_adt_a01_structure),
        cmocka_unit_test(clean_oru_orm_oml),
        cmocka_unit_test(clean_vxu_siu_mdm_dft_ack),
        cmocka_unit_test(segment_out_of_order),
        cmocka_unit_test(missing_required_segment),
        cmocka_unit_test(repeating_groups),
        cmocka_unit_test(groups_entered_at_their_start),
        cmocka_unit_test(ambiguous_group_starts),
        cmocka_unit_test(ambiguous_starts_stay_bounded),
        cmocka_unit_test(z_segments_tolerated),
        cmocka_unit_test(unknown_structure_is_a_warning),
        cmocka_unit_test(malformed_segments_not_reported_twice),
        cmocka_unit_test(missing_required_field),
        cmocka_unit_test(data_types),
        cmocka_unit_test(format_edges),
        cmocka_unit_test(obx5_has_the_type_obx2_names),
        cmocka_unit_test(field_repetition),
        cmocka_unit_test(lengths_are_warnings),
        cmocka_unit_test(tables),
        cmocka_unit_test(msh_type_event_processing_version),
        cmocka_unit_test(msh_version),
        cmocka_unit_test(version_override),
        cmocka_unit_test(texts_never_quote_values),
        cmocka_unit_test(hostile_input_stays_bounded),
        cmocka_unit_test(field_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
