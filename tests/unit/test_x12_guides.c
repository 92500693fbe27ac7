/*
 * test_x12_guides.c — the implementation guides beyond the 837P claim
 * line by line: hand-made 270, 271, 276, 277, 277CA, 278 request and
 * response, 835 and 999 sets that validate clean through SNIP 5, then
 * for each set a code the guide does not allow (SNIP 2) and each
 * situational rule (SNIP 4) with a failing and a passing case: the
 * eligibility benefit loops 2110C, LS/LE, the claim status loops 2200D
 * and their service dates, HCR and AAA in the 278, the 837 pay-to plan
 * and pay-to address, 837I inpatient claims and the other payer a line
 * adjudication names; and the 837 coordination-of-benefits balancing
 * (SNIP 3). Every issue carries places, never values; situational ones
 * name their trigger.
 */
#include "helpers/testutil.h"
#include "helpers/x12_fixtures.h"
#include "x12/x12.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const P270 =
    "ST*270*0001*005010X279A1~\n"
    "BHT*0022*13*10001234*20240102*1319~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*842610001~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*2*CLINIC*****XX*1234567893~\n"
    "HL*3*2*22*0~\n"
    "TRN*1*93175-012547*9877281234~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "DMG*D8*19430519~\n"
    "DTP*291*D8*20240102~\n"
    "EQ*30~\n";

/* the patient is the subscriber's dependent */
static const char *const P270_DEP =
    "ST*270*0001*005010X279A1~\n"
    "BHT*0022*13*10001234*20240102*1319~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*842610001~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*2*CLINIC*****XX*1234567893~\n"
    "HL*3*2*22*1~\n"
    "NM1*IL*1******MI*M1~\n"
    "HL*4*3*23*0~\n"
    "TRN*1*93175-012547*9877281234~\n"
    "NM1*03*1*DOE*JANE~\n"
    "DMG*D8*20100101~\n"
    "DTP*291*D8*20240102~\n"
    "EQ*30~\n";

static const char *const P271 =
    "ST*271*0001*005010X279A1~\n"
    "BHT*0022*11*10001234*20240102*1319~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*842610001~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*2*CLINIC*****XX*1234567893~\n"
    "HL*3*2*22*0~\n"
    "TRN*2*93175-012547*9877281234~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "DMG*D8*19430519*M~\n"
    "DTP*346*D8*20240101~\n"
    "EB*1**30**GOLD PLAN~\n"
    "EB*B**1*HM*GOLD PLAN*27*10*****Y~\n"
    "LS*2120~\n"
    "NM1*P3*1*JONES*MARCUS****XX*1234567893~\n"
    "LE*2120~\n";

static const char *const P271_DEP =
    "ST*271*0001*005010X279A1~\n"
    "BHT*0022*11*10001234*20240102*1319~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*842610001~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*2*CLINIC*****XX*1234567893~\n"
    "HL*3*2*22*1~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "HL*4*3*23*0~\n"
    "TRN*2*93175-012547*9877281234~\n"
    "NM1*03*1*DOE*JANE~\n"
    "DMG*D8*20100101*F~\n"
    "INS*N*19~\n"
    "EB*1**30**GOLD PLAN~\n";

static const char *const P276 =
    "ST*276*0001*005010X212~\n"
    "BHT*0010*13*ABC276XXX*20240102*1425~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*12345~\n"
    "HL*2*1*21*1~\n"
    "NM1*41*2*SERVICE*****46*X67E~\n"
    "HL*3*2*19*1~\n"
    "NM1*1P*2*HOSPITAL*****XX*1234567893~\n"
    "HL*4*3*22*0~\n"
    "DMG*D8*19301210*M~\n"
    "NM1*IL*1*DOE*JOHN****MI*123456789A~\n"
    "TRN*1*ABCXYZ1~\n"
    "REF*BLT*111~\n"
    "AMT*T3*8513.88~\n"
    "DTP*472*RD8*20240101-20240102~\n";

static const char *const P276_DEP =
    "ST*276*0001*005010X212~\n"
    "BHT*0010*13*ABC276XXX*20240102*1425~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*12345~\n"
    "HL*2*1*21*1~\n"
    "NM1*41*2*SERVICE*****46*X67E~\n"
    "HL*3*2*19*1~\n"
    "NM1*1P*2*HOSPITAL*****XX*1234567893~\n"
    "HL*4*3*22*1~\n"
    "NM1*IL*1*DOE*JOHN****MI*123456789A~\n"
    "HL*5*4*23~\n"
    "DMG*D8*20101101*M~\n"
    "NM1*QC*1*DOE*JOSEPH~\n"
    "TRN*1*ABCXYZ3~\n"
    "REF*EJ*MA345678~\n"
    "SVC*HC:99203*150*****1~\n"
    "DTP*472*D8*20240101~\n";

static const char *const P277 =
    "ST*277*0001*005010X212~\n"
    "BHT*0010*08*277X212*20240102*0810*DG~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*12345~\n"
    "HL*2*1*21*1~\n"
    "NM1*41*2*SERVICE*****46*X67E~\n"
    "HL*3*2*19*1~\n"
    "NM1*1P*2*HOSPITAL*****XX*1234567893~\n"
    "HL*4*3*22*0~\n"
    "NM1*IL*1*DOE*JOHN****MI*123456789A~\n"
    "TRN*2*ABCXYZ1~\n"
    "STC*P3:317*20240102**8513.88~\n"
    "REF*1K*05347006051~\n"
    "DTP*472*RD8*20240101-20240102~\n";

static const char *const P277CA =
    "ST*277*0001*005010X214~\n"
    "BHT*0085*08*277X214*20240102*0810*TH~\n"
    "HL*1**20*1~\n"
    "NM1*PR*2*PAYER*****PI*12345~\n"
    "TRN*1*0091182~\n"
    "DTP*050*D8*20240102~\n"
    "DTP*009*D8*20240102~\n"
    "HL*2*1*21*1~\n"
    "NM1*41*2*SUBMITTER*****46*S1~\n"
    "TRN*2*2002~\n"
    "STC*A1:20*20240102*WQ*100~\n"
    "QTY*90*1~\n"
    "AMT*YU*100~\n"
    "HL*3*2*19*1~\n"
    "NM1*85*2*BILLING*****XX*1234567893~\n"
    "TRN*1*0~\n"
    "HL*4*3*PT~\n"
    "NM1*QC*1*DOE*JOHN****MI*M1~\n"
    "TRN*2*C1~\n"
    "STC*A2:20*20240102*WQ*100~\n"
    "REF*1K*22222~\n"
    "DTP*472*D8*20240101~\n";

static const char *const P278_REQ =
    "ST*278*0001*005010X217~\n"
    "BHT*0007*13*B56789*20240102*1430~\n"
    "HL*1**20*1~\n"
    "NM1*X3*2*UMO*****46*789312~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*1*WATSON*SUSAN****XX*1234567893~\n"
    "HL*3*2*22*1~\n"
    "NM1*IL*1*DOE*JOE****MI*12345678901~\n"
    "HL*4*3*EV*1~\n"
    "TRN*1*97021001*9012345678~\n"
    "UM*AR*I*2*21:B*****Y~\n"
    "DTP*435*D8*20240116~\n"
    "HI*ABF:J020~\n"
    "HL*5*4*SS*0~\n"
    "UM*HS*I*2~\n"
    "DTP*472*D8*20240116~\n"
    "SV2**HC:33510~\n";

static const char *const P278_RESP =
    "ST*278*0001*005010X217~\n"
    "BHT*0007*11*B56789*20240102*1431*18~\n"
    "HL*1**20*1~\n"
    "NM1*X3*2*UMO*****46*789312~\n"
    "HL*2*1*21*1~\n"
    "NM1*1P*1*WATSON*SUSAN****XX*1234567893~\n"
    "HL*3*2*22*1~\n"
    "NM1*IL*1*DOE*JOE****MI*12345678901~\n"
    "HL*4*3*EV*1~\n"
    "TRN*2*97021001*9012345678~\n"
    "UM*AR*I*2*21:B~\n"
    "HCR*A6*AUTH0002~\n"
    "DTP*435*D8*20240116~\n"
    "HI*ABF:J020~\n"
    "HL*5*4*SS*0~\n"
    "UM*HS*I*2~\n"
    "HCR*A1*AUTH0002~\n"
    "DTP*472*D8*20240116~\n"
    "SV2**HC:33510~\n";

static const char *const P835 =
    "ST*835*0001*005010X221A1~\n"
    "BPR*I*150*C*CHK************20240105~\n"
    "TRN*1*12345*1512345678~\n"
    "N1*PR*PAYER~\n"
    "N3*1 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "PER*BL*CONTACT*TE*5555551212~\n"
    "N1*PE*CLINIC*XX*1234567893~\n"
    "LX*1~\n"
    "CLP*C1*1*200*150*20*12*PAYERCLM1~\n"
    "CAS*PR*1*20~\n"
    "NM1*QC*1*DOE*JOHN****MI*M1~\n"
    "SVC*HC:99213*200*170~\n"
    "DTM*472*20240101~\n"
    "CAS*CO*45*30~\n"
    "PLB*1234567893*20241231*CV:CP*0~\n";

static const char *const P999 =
    "ST*999*0001*005010X231A1~\n"
    "AK1*HC*17*005010X222A1~\n"
    "AK2*837*0001*005010X222A1~\n"
    "IK3*CLM*19*2300*8~\n"
    "CTX*CLM01:C1~\n"
    "IK4*2*782*6~\n"
    "IK5*R*5~\n"
    "AK9*R*1*1*0~\n";

/* The clean 837P claim with its ST, and an 837I inpatient claim. */
static const char *const P837 = "ST*837*0001*005010X222A1~\n" X12_CLEAN_837P_BODY;

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
    "CLM*C1*300***11:A:1**A*Y*Y~\n"
    "DTP*096*TM*1130~\n"
    "DTP*434*RD8*20240101-20240102~\n"
    "DTP*435*D8*20240101~\n"
    "CL1*1*7*01~\n"
    "HI*ABK:J020~\n"
    "LX*1~\n"
    "SV2*0450*HC:99283*100*UN*1~\n"
    "DTP*472*D8*20240101~\n"
    "LX*2~\n"
    "SV2*0300*HC:80053*200*UN*1~\n"
    "DTP*472*D8*20240101~\n";

/* The 837P claim paid in part by another payer, line by line: each
 * SVD02 + CAS is its line's charge, AMT*D 70 = 45 + 35 - 10. */
static const char *const P837_COB =
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
    "HL*2*1*22*0~\n"
    "SBR*S*18*GROUP******CI~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "N3*2 MAIN ST~\n"
    "N4*TOWN*MD*20705~\n"
    "DMG*D8*19800101*M~\n"
    "NM1*PR*2*PAYER*****PI*P1~\n"
    "CLM*C1*100***11:B:1*Y*A*Y*Y~\n"
    "HI*ABK:J020~\n"
    "SBR*P*18*******CI~\n"
    "CAS*PR*1*10~\n"
    "AMT*D*70~\n"
    "OI***Y***Y~\n"
    "NM1*IL*1*DOE*JOHN****MI*M1~\n"
    "NM1*PR*2*OTHER PAYER*****PI*99999~\n"
    "LX*1~\n"
    "SV1*HC:99213*60*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "SVD*99999*45*HC:99213**1~\n"
    "CAS*CO*45*15~\n"
    "DTP*573*D8*20240105~\n"
    "LX*2~\n"
    "SV1*HC:99214*40*UN*1***1~\n"
    "DTP*472*D8*20240101~\n"
    "SVD*99999*35*HC:99214**1~\n"
    "CAS*CO*45*5~\n"
    "DTP*573*D8*20240105~\n";

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
    /* ST*id*ctl*guide~: GS01 by set, GS08 the guide */
    char id[4], guide[16];
    assert_int_equal(sscanf(body, "ST*%3[0-9]*%*[0-9]*%15[0-9A-Z]~", id, guide), 2);
    const char *fid = !strcmp(id, "270") ? "HS" : !strcmp(id, "271") ? "HB" : !strcmp(id, "276") ? "HR"
                      : !strcmp(id, "277") ? "HN" : !strcmp(id, "278") ? "HI" : !strcmp(id, "835") ? "HP"
                      : !strcmp(id, "999") ? "FA" : "HC";
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

static void test_clean(void **state)
{
    (void)state;
    const char *const bodies[] = {P270, P270_DEP, P271, P271_DEP, P276, P276_DEP, P277, P277CA,
                                  P278_REQ, P278_RESP, P835, P999, P837, I837, P837_COB};
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
    const char *seg;      /* the issue: segment id at position pos */
    unsigned pos, field, comp;
    const char *trigger;  /* the trigger's segment id; NULL: none */
    unsigned tpos, tfield;
};

static void run_cases(const struct rcase *c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *body = edit(*c[i].body, c[i].from, c[i].to);
        struct run r;
        run(&r, body, c[i].snip);
        int ok = c[i].code ? r.is.errors == 1 : r.is.errors == 0;
        if (ok && c[i].code) {
            const hxe_issue *it = &r.is.v[0];
            uint32_t tpos = 0;
            unsigned te = 0, tc = 0;
            int trig = hxe_x12_trigger(it, &tpos, &te, &tc);
            ok = it->code == c[i].code && !strcmp(it->loc.seg, c[i].seg) &&
                 it->loc.seg_pos == c[i].pos && it->loc.field == c[i].field &&
                 it->loc.comp == c[i].comp &&
                 (c[i].trigger ? trig && tpos == c[i].tpos && te == c[i].tfield &&
                                     !strcmp(r.f->sets[0]->segs[tpos - 1].id, c[i].trigger)
                               : !trig);
        }
        if (!ok) {
            dump(&r.is);
            fail_msg("case '%s': expected %s", c[i].name, c[i].code ? "its one issue" : "no issue");
        }
        for (size_t k = 0; k < r.is.n; k++) {
            assert_null(strstr(r.is.v[k].text, "DOE"));
            assert_null(strstr(r.is.v[k].text, "1234567"));
        }
        /* one SNIP level shallower does not run the rule */
        if (c[i].code && c[i].snip > 2) {
            struct run r2;
            run(&r2, body, c[i].snip - 1);
            assert_int_equal(r2.is.errors, 0);
            done(&r2);
        }
        done(&r);
        free(body);
    }
}

#define I6 HXE_X12_ELE_CODE_NOT_USED
#define BAD HXE_X12_ELE_BAD_CODE

/* A code each guide does not allow, where the guide lists them. */
static void test_code_lists(void **state)
{
    (void)state;
    const struct rcase c[] = {
        {"270 EQ03 coverage level", &P270, "EQ*30~", "EQ*30**XYZ~", 2, I6, "EQ", 12, 3, 0, NULL, 0, 0},
        {"270 DTP02 format", &P270, "DTP*291*D8", "DTP*291*DT", 2, I6, "DTP", 11, 2, 0, NULL, 0, 0},
        {"271 EB01 benefit code", &P271, "EB*1**30", "EB*99**30", 2, BAD, "EB", 12, 1, 0, NULL, 0, 0},
        {"271 EB06 time period", &P271, "HM*GOLD PLAN*27*", "HM*GOLD PLAN*99*", 2, I6, "EB", 13, 6, 0, NULL, 0, 0},
        {"271 AAA03 reject reason required", &P271, "DMG*D8*19430519*M~", "AAA*N***C~\nDMG*D8*19430519*M~",
         2, HXE_X12_ELE_DEPENDENT_MISSING, "AAA", 10, 3, 0, NULL, 0, 0},
        {"276 DTP02 format", &P276, "DTP*472*RD8", "DTP*472*RD9", 2, I6, "DTP", 15, 2, 0, NULL, 0, 0},
        {"277 STC01-1 category", &P277, "STC*P3:317", "STC*Q9:317", 2, BAD, "STC", 12, 1, 1, NULL, 0, 0},
        {"277 STC10-1 category", &P277, "*8513.88~", "*8513.88******Q9:1~", 2, I6, "STC", 12, 10, 1, NULL, 0, 0},
        {"277CA STC03 action", &P277CA, "STC*A2:20*20240102*WQ", "STC*A2:20*20240102*ZZ", 2, I6, "STC", 20, 3, 0, NULL, 0, 0},
        {"278 UM02 certification type", &P278_REQ, "UM*HS*I*2", "UM*HS*Q*2", 2, I6, "UM", 15, 2, 0, NULL, 0, 0},
        {"278 HCR01 action", &P278_RESP, "HCR*A1", "HCR*Z9", 2, BAD, "HCR", 17, 1, 0, NULL, 0, 0},
        {"835 CAS01 group", &P835, "CAS*PR*1*20", "CAS*XX*1*20", 2, BAD, "CAS", 11, 1, 0, NULL, 0, 0},
        {"835 CLP06 filing indicator", &P835, "*20*12*PAYERCLM1", "*20*Q1*PAYERCLM1", 2, I6, "CLP", 10, 6, 0, NULL, 0, 0},
        {"835 PLB03-1 adjustment reason", &P835, "CV:CP", "Q1:CP", 2, BAD, "PLB", 16, 3, 1, NULL, 0, 0},
        {"999 IK502 code", &P999, "IK5*R*5", "IK5*R*99", 2, I6, "IK5", 7, 2, 0, NULL, 0, 0},
        {"837P SBR09 filing indicator", &P837, "******CI~", "******Q1~", 2, I6, "SBR", 13, 9, 0, NULL, 0, 0},
        {"837P CLM07 assignment", &P837, "11:B:1*Y*A", "11:B:1*Y*Q", 2, I6, "CLM", 19, 7, 0, NULL, 0, 0},
        {"837P DMG03 gender", &P837, "DMG*D8*19800101*M", "DMG*D8*19800101*Q", 2, I6, "DMG", 17, 3, 0, NULL, 0, 0},
        {"837I SV202-1 qualifier", &I837, "SV2*0450*HC:", "SV2*0450*QQ:", 2, BAD, "SV2", 25, 2, 1, NULL, 0, 0},
        {"837I DTP*434 is a range", &I837, "DTP*434*RD8*20240101-20240102", "DTP*434*D8*20240101", 2, I6, "DTP", 20, 2, 0, NULL, 0, 0},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

#define SEG_I6 HXE_X12_SEG_DEPENDENT_MISSING
#define SEG_I9 HXE_X12_SEG_DEPENDENT_NOT_USED
#define ELE_I9 HXE_X12_ELE_DEPENDENT_MISSING

static void test_eligibility(void **state)
{
    (void)state;
    const struct rcase c[] = {
        /* 270: the subscriber is the patient, so 2110C (EQ) is required */
        {"270 2110C missing", &P270, "EQ*30~\n", "", 4, SEG_I6, "EQ", 9, 0, 0, "HL", 7, 4},
        {"270 2110C with a dependent patient", &P270_DEP, "NM1*IL*1******MI*M1~\n",
         "NM1*IL*1******MI*M1~\nEQ*30~\n", 4, SEG_I9, "EQ", 9, 0, 0, "HL", 10, 3},
        /* 271: the same, unless 2100C rejects the request */
        {"271 2110C missing", &P271, "EB*1**30**GOLD PLAN~\nEB*B**1*HM*GOLD PLAN*27*10*****Y~\nLS*2120~\nNM1*P3*1*JONES*MARCUS****XX*1234567893~\nLE*2120~\n",
         "", 4, SEG_I6, "EB", 9, 0, 0, "HL", 7, 4},
        {"271 2110C with a dependent patient", &P271_DEP, "NM1*IL*1*DOE*JOHN****MI*M1~\n",
         "NM1*IL*1*DOE*JOHN****MI*M1~\nEB*1**30~\n", 4, SEG_I9, "EB", 9, 0, 0, "HL", 10, 3},
        {"271 LS without LE", &P271, "LE*2120~\n", "", 4, SEG_I6, "LE", 14, 0, 0, "LS", 14, 1},
    };
    run_cases(c, sizeof c / sizeof c[0]);
    /* the rejected subscriber: AAA in 2100C instead of benefits */
    char *b1 = edit(P271, "EB*1**30**GOLD PLAN~\nEB*B**1*HM*GOLD PLAN*27*10*****Y~\nLS*2120~\nNM1*P3*1*JONES*MARCUS****XX*1234567893~\nLE*2120~\n", "");
    char *b2 = edit(b1, "DMG*D8*19430519*M~\n", "AAA*Y**75*C~\nDMG*D8*19430519*M~\n");
    struct run r;
    run(&r, b2, 5);
    if (r.is.n) {
        dump(&r.is);
        fail_msg("271 subscriber not found, no benefits");
    }
    done(&r);
    free(b1);
    free(b2);
}

static void test_claim_status(void **state)
{
    (void)state;
    const struct rcase c[] = {
        {"276 2200D missing", &P276, "TRN*1*ABCXYZ1~\nREF*BLT*111~\nAMT*T3*8513.88~\nDTP*472*RD8*20240101-20240102~\n",
         "", 4, SEG_I6, "TRN", 11, 0, 0, "HL", 9, 4},
        {"276 2200D with a dependent patient", &P276_DEP, "NM1*IL*1*DOE*JOHN****MI*123456789A~\n",
         "NM1*IL*1*DOE*JOHN****MI*123456789A~\nTRN*1*ABCXYZ9~\nDTP*472*D8*20240101~\n", 4, SEG_I9, "TRN", 11, 0, 0, "HL", 13, 3},
        {"276 claim without service date", &P276, "DTP*472*RD8*20240101-20240102~\n", "", 4, SEG_I6, "DTP", 12, 0, 0, NULL, 0, 0},
        {"276 service date on the line", &P276, "DTP*472*RD8*20240101-20240102~\n",
         "SVC*HC:99203*150*****1~\nDTP*472*D8*20240101~\n", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
        {"277 2200D missing", &P277, "TRN*2*ABCXYZ1~\nSTC*P3:317*20240102**8513.88~\nREF*1K*05347006051~\nDTP*472*RD8*20240101-20240102~\n",
         "", 4, SEG_I6, "TRN", 10, 0, 0, "HL", 9, 4},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

static void test_review(void **state)
{
    (void)state;
    const struct rcase c[] = {
        {"278 request with HCR", &P278_REQ, "UM*HS*I*2~\n", "UM*HS*I*2~\nHCR*A1*AUTH1~\n", 4, SEG_I9, "HCR", 16, 0, 0, "BHT", 2, 2},
        {"278 request with AAA", &P278_REQ, "TRN*1*97021001*9012345678~\n",
         "TRN*1*97021001*9012345678~\nAAA*Y**15*C~\n", 4, SEG_I9, "AAA", 11, 0, 0, "BHT", 2, 2},
        {"278 response without HCR", &P278_RESP, "HCR*A6*AUTH0002~\n", "", 4, SEG_I6, "HCR", 9, 0, 0, "BHT", 2, 2},
        {"278 response service without HCR", &P278_RESP, "HCR*A1*AUTH0002~\n", "", 4, SEG_I6, "HCR", 15, 0, 0, "UM", 16, 1},
        {"278 response service without UM", &P278_RESP, "UM*HS*I*2~\nHCR*A1*AUTH0002~\n", "", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
        {"278 rejected response", &P278_RESP, "UM*AR*I*2*21:B~\nHCR*A6*AUTH0002~\n", "AAA*Y**15*C~\nUM*AR*I*2*21:B~\n", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
    };
    run_cases(c, sizeof c / sizeof c[0]);
}

/* 837: the pay-to plan and pay-to address of the billing provider, the
 * institutional inpatient claim, the other payer of a line adjudication. */
static void test_claims(void **state)
{
    (void)state;
    const char *plan = "REF*EI*123456789~\nNM1*PE*2*STATE MEDICAID*****PI*12345~\nN3*1 STATE ST~\n"
                       "N4*TOWN*MD*20705~\nREF*EI*987654321~\nHL*2*";
    char *subro = edit(P837, "*20240102*1230*CH~", "*20240102*1230*31~");
    const char *const subro_body = subro;
    const struct rcase c[] = {
        {"2010AC outside a subrogation demand", &P837, "REF*EI*123456789~\nHL*2*", plan, 4, SEG_I9, "NM1", 12, 0, 0, "BHT", 2, 6},
        {"subrogation demand without 2010AC", &subro_body, "HL*2*", "HL*2*", 4, SEG_I6, "NM1", 6, 0, 0, "BHT", 2, 6},
        {"subrogation demand with 2010AC", &subro_body, "REF*EI*123456789~\nHL*2*", plan, 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
        {"2010AB at the billing address", &P837, "REF*EI*123456789~\nHL*2*",
         "REF*EI*123456789~\nNM1*87*2~\nN3*1 MAIN ST~\nN4*TOWN*MD*20705~\nHL*2*", 4, SEG_I9, "NM1", 12, 0, 0, "N3", 9, 0},
        {"2010AB at another address", &P837, "REF*EI*123456789~\nHL*2*",
         "REF*EI*123456789~\nNM1*87*2~\nN3*PO BOX 7~\nN4*TOWN*MD*20705~\nHL*2*", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
        {"837I inpatient without discharge hour", &I837, "DTP*096*TM*1130~\n", "", 4, SEG_I6, "DTP", 18, 0, 0, "CLM", 18, 5},
        {"837I interim claim without discharge hour", &I837, "11:A:1**A*Y*Y~\nDTP*096*TM*1130~\n", "11:A:2**A*Y*Y~\n", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
        {"837I inpatient without admission type", &I837, "CL1*1*7*01", "CL1**7*01", 4, ELE_I9, "CL1", 22, 1, 0, "CLM", 18, 5},
        {"837I outpatient without admission type", &I837, "11:A:1**A*Y*Y~\nDTP*096*TM*1130~\n", "13:A:1**A*Y*Y~\n", 4, 0, NULL, 0, 0, 0, NULL, 0, 0},
    };
    run_cases(c, sizeof c / sizeof c[0]);
    free(subro);
    /* a line adjudicated by a payer the claim does not name: SNIP 4 says
     * so at SVD01 (and the COB balancing of SNIP 3 no longer adds up) */
    char *body = edit(P837_COB, "SVD*99999*45", "SVD*88888*45");
    struct run r;
    run(&r, body, 4);
    size_t at_svd01 = 0;
    for (size_t i = 0; i < r.is.n; i++)
        at_svd01 += r.is.v[i].code == HXE_X12_ELE_PATTERN && !strcmp(r.is.v[i].loc.seg, "SVD") &&
                    r.is.v[i].loc.seg_pos == 29 && r.is.v[i].loc.field == 1;
    assert_int_equal(at_svd01, 1);
    done(&r);
    run(&r, body, 3);
    assert_int_equal(r.is.n > 0, 1);
    for (size_t i = 0; i < r.is.n; i++)
        assert_false(r.is.v[i].loc.field == 1 && !strcmp(r.is.v[i].loc.seg, "SVD"));
    done(&r);
    free(body);
}

/* 837 coordination of benefits (SNIP 3) for the payer of P837_COB: its
 * payment and adjustments against CLM02, against its line payments, and
 * each line's charge against the line payment and its adjustments. */
struct cob {
    const char *name;
    const char *edits[3][2];   /* from, to; NULL: no more */
    unsigned amt, svd;         /* issues expected at AMT02 (position 22), at an SVD02 */
};

#define LINE1 "SVD*99999*45*HC:99213**1~\nCAS*CO*45*15~\nDTP*573*D8*20240105~\n"
#define LINE2 "SVD*99999*35*HC:99214**1~\nCAS*CO*45*5~\nDTP*573*D8*20240105~\n"

static void test_cob(void **state)
{
    (void)state;
    const struct cob c[] = {
        {"balanced", {{NULL, NULL}}, 0, 0},
        {"AMT*D one more", {{"AMT*D*70", "AMT*D*71"}}, 2, 0},
        {"claim CAS one more", {{"CAS*PR*1*10", "CAS*PR*1*11"}}, 2, 0},
        {"line 1 paid one less", {{"SVD*99999*45", "SVD*99999*44"}}, 1, 1},
        {"line 2 adjusted one more", {{"CAS*CO*45*5", "CAS*CO*45*6"}}, 1, 1},
        {"bundled line left out of the line rule", {{"SVD*99999*45*HC:99213**1", "SVD*99999*44*HC:99213**1*2"}}, 1, 0},
        {"not paid by that payer: no claim rules", {{"AMT*D*70~\n", ""}, {"SVD*99999*45", "SVD*99999*44"}}, 0, 1},
        {"no line adjudication: CLM02 = AMT*D + CAS", {{LINE1, ""}, {LINE2, ""}}, 1, 0},
        {"no line adjudication, balanced", {{LINE1, ""}, {LINE2, ""}, {"AMT*D*70", "AMT*D*90"}}, 0, 0},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *body = strdup(P837_COB);
        for (size_t e = 0; e < 3 && c[i].edits[e][0]; e++) {
            char *b = edit(body, c[i].edits[e][0], c[i].edits[e][1]);
            free(body);
            body = b;
        }
        struct run r;
        run(&r, body, 3);
        size_t amt = 0, svd = 0;
        for (size_t k = 0; k < r.is.n; k++) {
            const hxe_issue *it = &r.is.v[k];
            amt += it->code == HXE_X12_ELE_PATTERN && !strcmp(it->loc.seg, "AMT") && it->loc.field == 2 &&
                   it->loc.seg_pos == 22;
            svd += it->code == HXE_X12_ELE_PATTERN && !strcmp(it->loc.seg, "SVD") && it->loc.field == 2;
        }
        if (amt != c[i].amt || svd != c[i].svd || r.is.errors != c[i].amt + c[i].svd) {
            dump(&r.is);
            fail_msg("COB case '%s'", c[i].name);
        }
        done(&r);
        run(&r, body, 2);
        assert_int_equal(r.is.errors, 0);
        done(&r);
        free(body);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean),
        cmocka_unit_test(test_code_lists),
        cmocka_unit_test(test_eligibility),
        cmocka_unit_test(test_claim_status),
        cmocka_unit_test(test_review),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_cob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
