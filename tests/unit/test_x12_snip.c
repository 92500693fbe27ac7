/*
 * test_x12_snip.c — validation beyond the element checks, each rule with
 * a hand-made passing and failing case: the HL hierarchy (SNIP 2),
 * balancing (SNIP 3: 837P/I/D claim totals, 835 payment, claims and
 * service lines), situational rules (SNIP 4) and external code shapes
 * (SNIP 5: NPI, ICD-10-CM/PCS, CPT/HCPCS, taxonomy, state, ZIP, dates).
 * A clean claim and a clean remittance stay clean through type 5.
 */
#include "helpers/testutil.h"
#include "helpers/x12_fixtures.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The clean 837P of x12_fixtures.h, with its ST. */
static const char *const P837 = "ST*837*0001*005010X222A1~\n" X12_CLEAN_837P_BODY;

/* The same claim for a patient who is not the subscriber (2000C). */
static const char *const P837_PAT =
    "ST*837*0001*005010X222A1~\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "PER*IC*CONTACT*TE*5555551212~\n"
    "NM1*40*2*RECEIVER*****46*R1~\n"
    "HL*1**20*1~\n"
    "NM1*85*2*BILLING*****XX*1234567893~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "REF*EI*123456789~\n"
    "HL*2*1*22*1~\n"
    "SBR*P**GROUP******CI~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "NM1*PR*2*PAYER*****PI*P1~\n"
    "HL*3*2*23*0~\n"
    "PAT*19~\n"
    "NM1*QC*1*DOE*JANE~\n"
    "N3*2 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "DMG*D8*20100101*F~\n"
    "CLM*C1*100***11:B:1*Y*A*Y*Y~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV1*HC:99213*100*UN*1***1~\n"
    "DTP*472*D8*20240101~\n";

/* An 837I claim (CLM02 300 = SV203 100 + 200), outpatient. */
static const char *const I837 =
    "ST*837*0001*005010X223A2~\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "PER*IC*CONTACT*TE*5555551212~\n"
    "NM1*40*2*RECEIVER*****46*R1~\n"
    "HL*1**20*1~\n"
    "NM1*85*2*HOSPITAL*****XX*1234567893~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "REF*EI*123456789~\n"
    "HL*2*1*22*0~\n"
    "SBR*P*18*GROUP******CI~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "N3*2 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "DMG*D8*19800101*M~\n"
    "NM1*PR*2*PAYER*****PI*P1~\n"
    "CLM*C1*300***13:A:1**A*Y*Y~\n"
    "DTP*434*RD8*20240101-20240102~\n"
    "CL1*1*7*01~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV2*0450*HC:99283*100*UN*1~\n"
    "DTP*472*D8*20240101~\n"
    "LX*2~\n"
    "SV2*0300*HC:80053*200*UN*1~\n"
    "DTP*472*D8*20240101~\n";

/* An 837D claim (CLM02 150 = SV302 100 + 50). */
static const char *const D837 =
    "ST*837*0001*005010X224A2~\n"
    "BHT*0019*00*REF1*20240102*1230*CH~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "PER*IC*CONTACT*TE*5555551212~\n"
    "NM1*40*2*RECEIVER*****46*R1~\n"
    "HL*1**20*1~\n"
    "NM1*85*2*DENTAL*****XX*1234567893~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "REF*EI*123456789~\n"
    "HL*2*1*22*0~\n"
    "SBR*P*18*GROUP******CI~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "N3*2 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "DMG*D8*19800101*M~\n"
    "NM1*PR*2*PAYER*****PI*P1~\n"
    "CLM*C1*150***11:B:1*Y*A*Y*Y~\n"
    "LX*1~\n"
    "SV3*AD:D1110*100****1~\n"
    "LX*2~\n"
    "SV3*AD:D0120*50****1~\n";

/* A clean 835: BPR02 150 = CLP04 150; CLP 200 - 150 = CAS 30 + 20;
 * each SVC balances with its CAS. */
static const char *const R835 =
    "ST*835*0001~\n"
    "BPR*I*150*C*CHK************20240105~\n"
    "TRN*1*12345*1512345678~\n"
    "N1*PR*PAYER~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "PER*BL*CONTACT*TE*5555551212~\n"
    "N1*PE*CLINIC*XX*1234567893~\n"
    "LX*1~\n"
    "CLP*C1*1*200*150*20*12*PAYERCLM1~\n"
    "NM1*QC*1*DOE*JOHN****MI*M1~\n"
    "SVC*HC:99213*120*90~\n"
    "DTM*472*20240101~\n"
    "CAS*CO*45*30~\n"
    "SVC*HC:99214*80*60~\n"
    "DTM*472*20240101~\n"
    "CAS*CO*45*10~\n"
    "CAS*PR*1*10~\n";

struct run {
    hxe_arena a;
    hxe_issues is;
    hxe_x12_file *f;
    char *text;
};

static void run(struct run *r, const char *body, int snip)
{
    memset(r, 0, sizeof *r);
    hxe_arena_init(&r->a, 4096, 0);
    size_t n = 0;
    for (const char *p = body; (p = strchr(p, '~')) != NULL; p++)
        n++;
    const char *fid = strstr(body, "ST*835") ? "HP" : "HC";
    const char *guide = strstr(body, "X223") ? "005010X223A2"
                        : strstr(body, "X224") ? "005010X224A2"
                        : strstr(body, "ST*835") ? "005010X221A1" : "005010X222A1";
    size_t len = strlen(body) + 512;
    r->text = malloc(len);
    snprintf(r->text, len,
             "ISA*00*          *00*          *ZZ*SUBMITTER      *ZZ*RECEIVER       *240102*1230*^*00501*000000101*0*T*:~\n"
             "GS*%s*SENDER*RECEIVER*20240102*1230*7*X*%s~\n%sSE*%zu*0001~\nGE*1*7~\nIEA*1*000000101~\n",
             fid, guide, body, n + 1);
    assert_int_equal(hxe_x12_parse(&r->f, &r->a, r->text, strlen(r->text), NULL, &r->is, NULL), 0);
    assert_int_equal(r->f->nsets, 1);
    assert_int_equal(hxe_x12_parse_loops(r->f->sets[0], &r->a, NULL, &r->is), 0);
    hxe_x12_validate_opts vo = {snip, 0};
    assert_int_equal(hxe_x12_validate(r->f->sets[0], &vo, &r->is), 0);
}

static void done(struct run *r)
{
    hxe_arena_free(&r->a);
    hxe_issues_free(&r->is);
    free(r->text);
}

static char *edit(const char *body, const char *from, const char *to)
{
    const char *p = strstr(body, from);
    if (!p)
        fail_msg("edit: '%s' not in the body", from);
    size_t n = strlen(body) - strlen(from) + strlen(to) + 1;
    char *o = malloc(n);
    snprintf(o, n, "%.*s%s%s", (int)(p - body), body, to, p + strlen(from));
    return o;
}

static void dump(const hxe_issues *is)
{
    char c[8];
    for (size_t i = 0; i < is->n; i++)
        fprintf(stderr, "  %s #%u-%u-%u %s: %s\n", is->v[i].loc.seg, is->v[i].loc.seg_pos,
                is->v[i].loc.field, is->v[i].loc.comp, hxe_x12_code_str(is->v[i].code, c, sizeof c),
                is->v[i].text);
}

static size_t hits(const hxe_issues *is, int code, const char *seg, unsigned field, unsigned comp)
{
    size_t n = 0;
    for (size_t i = 0; i < is->n; i++)
        if (is->v[i].code == code && !strcmp(is->v[i].loc.seg, seg) && is->v[i].loc.field == field &&
            is->v[i].loc.comp == comp)
            n++;
    return n;
}

static void test_clean(void **state)
{
    (void)state;
    const char *const bodies[] = {P837, P837_PAT, I837, D837, R835};
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        struct run r;
        run(&r, bodies[i], 5);
        if (r.is.n) {
            dump(&r.is);
            fail_msg("body %zu: a clean set has issues through SNIP 5", i);
        }
        done(&r);
    }
}

struct rcase {
    const char *name;
    const char *const *body;
    const char *from, *to;
    int snip;
    int code;             /* 0: the edit must stay clean (a passing case) */
    const char *seg;
    unsigned field, comp;
    size_t errors;        /* total errors expected */
};

static void run_cases(const struct rcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *body = edit(*c[i].body, c[i].from, c[i].to);
        struct run r;
        run(&r, body, c[i].snip);
        int ok = c[i].code ? hits(&r.is, c[i].code, c[i].seg, c[i].field, c[i].comp) == 1 &&
                                 r.is.errors == c[i].errors
                           : r.is.errors == 0;
        if (!ok) {
            dump(&r.is);
            fail_msg("case '%s': expected %s", c[i].name, c[i].code ? "its issue" : "no issue");
        }
        /* places, never values */
        for (size_t k = 0; k < r.is.n; k++) {
            assert_null(strstr(r.is.v[k].text, "DOE"));
            assert_null(strstr(r.is.v[k].text, "1234567"));
        }
        /* a shallower SNIP level does not run the rule */
        if (c[i].code && c[i].snip > 2) {
            struct run r2;
            run(&r2, body, c[i].snip - 1);
            assert_int_equal(hits(&r2.is, c[i].code, c[i].seg, c[i].field, c[i].comp), 0);
            done(&r2);
        }
        done(&r);
        free(body);
    }
}

#define PAT HXE_X12_ELE_PATTERN

static void test_hl(void **state)
{
    (void)state;
    const struct rcase c[] = {
        {"HL01 repeated", &P837, "HL*2*1*22*0", "HL*1*1*22*0", 2, PAT, "HL", 1, 0, 1},
        {"HL02 names nothing", &P837, "HL*2*1*22*0", "HL*2*9*22*0", 2, PAT, "HL", 2, 0, 1},
        {"HL02 the wrong level", &P837_PAT, "HL*3*2*23*0", "HL*3*1*23*0", 2, PAT, "HL", 2, 0, 1},
        {"HL02 missing", &P837_PAT, "HL*3*2*23*0", "HL*3**23*0", 2, HXE_X12_ELE_DEPENDENT_MISSING, "HL", 2, 0, 1},
        {"HL04 1 with no child is tolerated", &P837, "HL*2*1*22*0", "HL*2*1*22*1", 2, 0, NULL, 0, 0, 0},
        {"HL04 says none, one", &P837_PAT, "HL*2*1*22*1", "HL*2*1*22*0", 2, PAT, "HL", 4, 0, 1},
        {"HL ids need not be in order", &P837_PAT, "HL*3*2*23*0", "HL*9*2*23*0", 2, 0, NULL, 0, 0, 0},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

static void test_balance(void **state)
{
    (void)state;
    const struct rcase c[] = {
        {"837P CLM02 over", &P837, "CLM*C1*100", "CLM*C1*100.01", 3, PAT, "CLM", 2, 0, 1},
        {"837P CLM02 equal in other form", &P837, "CLM*C1*100", "CLM*C1*100.00", 3, 0, NULL, 0, 0, 0},
        {"837P line changed", &P837, "SV1*HC:99214*40", "SV1*HC:99214*39.5", 3, PAT, "CLM", 2, 0, 1},
        {"837I SV203 sum", &I837, "SV2*0300*HC:80053*200", "SV2*0300*HC:80053*201", 3, PAT, "CLM", 2, 0, 1},
        {"837I SV207 not counted", &I837, "SV2*0300*HC:80053*200*UN*1", "SV2*0300*HC:80053*200*UN*1**5", 3, 0, NULL, 0, 0, 0},
        {"837D SV302 sum", &D837, "SV3*AD:D0120*50", "SV3*AD:D0120*60", 3, PAT, "CLM", 2, 0, 1},
        {"835 BPR02", &R835, "BPR*I*150", "BPR*I*140", 3, PAT, "BPR", 2, 0, 1},
        {"835 BPR02 less PLB", &R835, "CAS*PR*1*10~\n",
         "CAS*PR*1*10~\nPLB*1234567893*20241231*CV:CP*-1.27~\n", 3, PAT, "BPR", 2, 0, 1},
        {"835 CLP03 - CLP04", &R835, "CLP*C1*1*200*150", "CLP*C1*1*210*150", 3, PAT, "CLP", 3, 0, 1},
        {"835 claim-level CAS counts", &R835, "NM1*QC*1*DOE", "CAS*OA*23*-50~\nNM1*QC*1*DOE", 3, PAT, "CLP", 3, 0, 1},
        {"835 SVC02 - SVC03", &R835, "SVC*HC:99213*120*90", "SVC*HC:99213*110*90", 3, PAT, "SVC", 2, 0, 1},
    };
    run_cases(c, sizeof c / sizeof c[0]);
    /* BPR02 = 150 - (-1.27) balances */
    char *b1 = edit(R835, "BPR*I*150*", "BPR*I*151.27*");
    char *b2 = edit(b1, "CAS*PR*1*10~\n", "CAS*PR*1*10~\nPLB*1234567893*20241231*CV:CP*-1.27~\n");
    struct run r;
    run(&r, b2, 5);
    if (r.is.errors) {
        dump(&r.is);
        fail_msg("835 with a provider adjustment that balances");
    }
    done(&r);
    free(b1);
    free(b2);
}

static void test_situational(void **state)
{
    (void)state;
    const int SEG_I6 = HXE_X12_SEG_DEPENDENT_MISSING, SEG_I9 = HXE_X12_SEG_DEPENDENT_NOT_USED;
    const int ELE_I9 = HXE_X12_ELE_DEPENDENT_MISSING;
    const struct rcase c[] = {
        {"2000C while SBR02 = 18", &P837_PAT, "SBR*P**", "SBR*P*18*", 4, SEG_I9, "HL", 0, 0, 4},
        {"no 2000C, SBR02 empty", &P837, "SBR*P*18*", "SBR*P**", 4, ELE_I9, "SBR", 2, 0, 1},
        {"PAT in 2000B, patient elsewhere", &P837_PAT, "SBR*P**GROUP******CI~\n",
         "SBR*P**GROUP******CI~\nPAT*****D8*20240101~\n", 4, SEG_I9, "PAT", 0, 0, 1},
        {"PAT in 2000B, patient is subscriber", &P837, "SBR*P*18*GROUP******CI~\n",
         "SBR*P*18*GROUP******CI~\nPAT*****D8*20240101~\n", 4, 0, NULL, 0, 0, 0},
        {"2010BA DMG when patient", &P837, "DMG*D8*19800101*M~\n", "", 4, SEG_I6, "DMG", 0, 0, 1},
        {"2010BA N3 when patient", &P837, "N3*2 MAIN ST~\n", "", 4, SEG_I6, "N3", 0, 0, 1},
        {"replacement claim without REF*F8", &P837, "11:B:1*", "11:B:7*", 4, SEG_I6, "REF", 0, 0, 1},
        {"replacement claim with REF*F8", &P837, "11:B:1*Y*A*Y*Y~\n", "11:B:7*Y*A*Y*Y~\nREF*F8*PAYERCLM1~\n", 4, 0, NULL, 0, 0, 0},
        {"accident without date", &P837, "*Y*A*Y*Y~\nHI", "*Y*A*Y*Y**OA~\nHI", 4, SEG_I6, "DTP", 0, 0, 1},
        {"auto accident without state", &P837, "*Y*A*Y*Y~\nHI", "*Y*A*Y*Y**AA~\nDTP*439*D8*20231231~\nHI", 4, ELE_I9, "CLM", 11, 4, 1},
        {"auto accident complete", &P837, "*Y*A*Y*Y~\nHI", "*Y*A*Y*Y**AA:::MD~\nDTP*439*D8*20231231~\nHI", 4, 0, NULL, 0, 0, 0},
        {"dental accident without date", &D837, "*Y*A*Y*Y~\n", "*Y*A*Y*Y**AA~\n", 4, SEG_I6, "DTP", 0, 0, 1},
        {"837I inpatient without admission date", &I837, "CLM*C1*300***13:A:1", "CLM*C1*300***11:A:2", 4, SEG_I6, "DTP", 0, 0, 1},
        {"837I inpatient with admission date", &I837, "CLM*C1*300***13:A:1**A*Y*Y~\nDTP*434*RD8*20240101-20240102~\n",
         "CLM*C1*300***11:A:1**A*Y*Y~\nDTP*096*TM*1130~\nDTP*434*RD8*20240101-20240102~\nDTP*435*D8*20240101~\n", 4, 0, NULL, 0, 0, 0},
        {"835 NON with an amount", &R835, "*C*CHK*", "*C*NON*", 4, PAT, "BPR", 2, 0, 1},
        {"835 zero paid by check", &R835, "CLP*C1*1*200*150*20", "CLP*C1*1*200*150*20", 0, 0, NULL, 0, 0, 0},
        {"835 ACH without bank data", &R835, "*C*CHK*", "*C*ACH*CCP", 4, ELE_I9, "BPR", 6, 0, 6},
    };
    run_cases(c, sizeof c / sizeof c[0]);
    /* BPR02 zero needs BPR04 NON: a zero payment remittance */
    char *b1 = edit(R835, "BPR*I*150*C*CHK", "BPR*H*0*C*CHK");
    char *b2 = edit(b1, "CLP*C1*1*200*150*20*12*PAYERCLM1~\n", "CLP*C1*1*200*0*20*12*PAYERCLM1~\nCAS*CO*45*150~\n");
    struct run r;
    run(&r, b2, 4);
    if (hits(&r.is, PAT, "BPR", 4, 0) != 1 || r.is.errors != 1) {
        dump(&r.is);
        fail_msg("BPR02 zero with BPR04 CHK");
    }
    done(&r);
    char *b3 = edit(b2, "BPR*H*0*C*CHK", "BPR*H*0*C*NON");
    run(&r, b3, 4);
    if (r.is.errors) {
        dump(&r.is);
        fail_msg("BPR02 zero with NON");
    }
    done(&r);
    free(b1);
    free(b2);
    free(b3);
}

static void test_codes(void **state)
{
    (void)state;
    const int BAD = HXE_X12_ELE_BAD_CODE, DATE = HXE_X12_ELE_BAD_DATE;
    const struct rcase c[] = {
        {"NPI check digit", &P837, "XX*1234567893", "XX*1234567890", 5, BAD, "NM1", 9, 0, 1},
        {"NPI 9 digits", &P837, "XX*1234567893", "XX*123456789", 5, BAD, "NM1", 9, 0, 1},
        {"835 payee NPI", &R835, "XX*1234567893", "XX*1234567894", 5, BAD, "N1", 4, 0, 1},
        {"ICD-10-CM", &P837, "HI*ABK:J020", "HI*ABK:0J20", 5, BAD, "HI", 1, 2, 1},
        {"ICD-10-CM long", &P837, "HI*ABK:J020", "HI*ABK:S72001AZ", 5, BAD, "HI", 1, 2, 1},
        {"ICD-10-CM with 7 characters", &P837, "HI*ABK:J020", "HI*ABK:S72001A", 5, 0, NULL, 0, 0, 0},
        {"ICD-10-PCS", &I837, "HI*ABK:J020~\n", "HI*ABK:J020~\nHI*BBR:0DTJ4ZZ:D8:20240101~\n", 5, 0, NULL, 0, 0, 0},
        {"ICD-10-PCS with O", &I837, "HI*ABK:J020~\n", "HI*BBR:0DTO4ZZ:D8:20240101~\nHI*ABK:J020~\n", 5, BAD, "HI", 1, 2, 1},
        {"CPT", &P837, "HC:99213", "HC:9921", 5, BAD, "SV1", 1, 2, 1},
        {"HCPCS", &P837, "HC:99213", "HC:G0154", 5, 0, NULL, 0, 0, 0},
        {"HCPCS letter W", &P837, "HC:99213", "HC:W0154", 5, BAD, "SV1", 1, 2, 1},
        {"CPT category II", &P837, "HC:99213", "HC:3008F", 5, 0, NULL, 0, 0, 0},
        {"CDT", &D837, "AD:D1110", "AD:1110", 5, BAD, "SV3", 1, 2, 1},
        {"835 SVC procedure", &R835, "SVC*HC:99213", "SVC*HC:ABCDE", 5, BAD, "SVC", 1, 2, 1},
        {"taxonomy", &P837, "PXC*207Q00000X", "PXC*207Q000000", 5, BAD, "PRV", 3, 0, 1},
        {"state", &P837, "N4*TOWN*MD*20705~\nREF", "N4*TOWN*ZZ*20705~\nREF", 5, BAD, "N4", 2, 0, 1},
        {"ZIP", &P837, "N4*TOWN*MD*20705~\nREF", "N4*TOWN*MD*2070A~\nREF", 5, BAD, "N4", 3, 0, 1},
        {"foreign address", &P837, "N4*TOWN*MD*20705~\nREF", "N4*TOWN*ON*K1A0B1*CA~\nREF", 5, 0, NULL, 0, 0, 0},
        {"date", &P837, "DTP*472*D8*20240101", "DTP*472*D8*20240230", 5, DATE, "DTP", 3, 0, 1},
        {"range reversed", &P837, "RD8*20240101-20240102", "RD8*20240102-20240101", 5, DATE, "DTP", 3, 0, 1},
        {"birth date", &P837, "DMG*D8*19800101", "DMG*D8*19801301", 5, DATE, "DMG", 2, 0, 1},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_hl),
        cmocka_unit_test(test_balance),
        cmocka_unit_test(test_situational),
        cmocka_unit_test(test_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
