/*
 * situational.c — SNIP type 4: rules of the implementation guides that
 * tie one segment or element to another ("required when ...", "if not
 * required, do not send"). A representative set per transaction, each
 * tested passing and failing (test_x12_snip.c, test_x12_situational.c):
 *
 * 837 P, I, D
 *   - the patient level 2000C is present only when the patient is not
 *     the subscriber: SBR02 = 18 with a 2000C under it is an error; SBR02
 *     empty with no 2000C is an error at SBR02;
 *   - 837P: PAT in 2000B only when the subscriber is the patient;
 *   - 2010BA DMG, N3 and N4 required when the subscriber is the patient;
 *   - the pay-to plan 2010AC goes with a subrogation demand: BHT06 = 31
 *     requires it, any other BHT06 rules it out;
 *   - the pay-to address 2010AB only when it differs from the billing
 *     provider's address (2010AA N3 and N4);
 *   - a replacement or void claim (CLM05-3 = 7 or 8) carries the payer's
 *     claim control number, REF*F8, in 2300;
 *   - 837P, 837D: accident date DTP*439 required when CLM11-1..3 says
 *     auto (AA) or other accident (OA); 837P: CLM11-4 (state) required
 *     when it says AA;
 *   - 837I, inpatient claims (bill type CLM05-1 11, 18, 21 or 41):
 *     admission date DTP*435 and admission type CL101 required; on the
 *     final claim of a stay (CLM05-3 1 or 4) the discharge hour DTP*096;
 *   - a line adjudication 2430 names (SVD01) one of the claim's other
 *     payers (a 2330B NM109).
 * 835
 *   - BPR04 NON (no payment) exactly when BPR02 is zero;
 *   - BPR04 ACH, BOP or FWT: the bank data BPR06, 07, 09, 12, 13, 15.
 * 270, 271
 *   - the subscriber's benefit loop 2110C is used when the subscriber is
 *     the patient (no dependent level 2000D under 2000C): required then
 *     (271: unless 2100C rejects the request with an AAA), not used
 *     otherwise;
 *   - 271: LS and LE go together around the 2120C/D entity loops.
 * 276, 277
 *   - the claim loop 2200D under the subscriber is used when the
 *     subscriber is the patient (no dependent level 2000E): required
 *     then, not used otherwise;
 *   - 276: a claim (2200D/E) without service lines (2210D/E) carries its
 *     service date DTP*472.
 * 278
 *   - HCR (the review outcome) and AAA only in a response (BHT02 = 11),
 *     never in a request (13);
 *   - in a response without AAA rejections, each patient event 2000E
 *     and each service level 2000F with UM carries HCR.
 *
 * Each claim's CLM05 and CLM11 are noted during validate.c's walk over
 * the segments (x12__clm_seg), from the elements it split.
 *
 * Codes: segment missing IK304 I6 (the issue names the missing segment
 * and sits in the loop that lacks it, at its first segment or at the
 * segment that calls for it), segment
 * present IK304 I9, element missing IK403 I9, pattern IK403 I12. Each
 * issue names its trigger (x12__sit, hxe_x12_trigger) for the 999's CTX.
 */
#include "x12/internal.h"

#include <stdio.h>

#define NONE ((size_t)-1)

static hxe_slice el(const hxe_x12_set *s, size_t k, unsigned e, unsigned c)
{
    return c ? hxe_x12_component(&s->segs[k], &s->d, e, 1, c) : hxe_x12_element(&s->segs[k], &s->d, e);
}

static int guide_is(const hxe_x12_set *s, const char *g)
{
    return strstr(s->guide, g) != NULL;
}

/* the set's own segment with this id (BHT, BPR), or NONE */
static size_t header_seg(const hxe_x12_set *s, const char *id)
{
    for (size_t k = 0; k < s->nseg && k < 8; k++)
        if (strcmp(s->segs[k].id, id) == 0)
            return k;
    return NONE;
}

static size_t first_of(const hxe_x12_set *s, size_t li)
{
    return s->loops[li].first_seg;
}

/* ---- 837 ---- */

static void subscriber(const hxe_x12_set *s, hxe_issues *is, size_t li, int prof)
{
    size_t sbr = x12__seg_in_loop(s, li, "SBR");
    if (sbr == NONE)
        return;
    int self = x12__eq(el(s, sbr, 2, 0), "18");
    size_t pat_loop = x12__child(s, li, "2000C", NONE);
    if (self && pat_loop != NONE)
        x12__sit(is, s, first_of(s, pat_loop), NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, sbr, 2,
                 0, "patient level 2000C present although SBR02 says the subscriber is the patient");
    if (!el(s, sbr, 2, 0).n && pat_loop == NONE)
        x12__sit(is, s, sbr, NULL, HXE_X12_ELE_DEPENDENT_MISSING, 2, 0, first_of(s, li), 4, 0,
                 "SBR02: required when the subscriber is the patient (no patient level 2000C follows)");
    size_t pat = x12__seg_in_loop(s, li, "PAT");
    if (prof && pat != NONE && !self)
        x12__sit(is, s, pat, NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, sbr, 2, 0,
                 "PAT is used here only when the subscriber is the patient (SBR02 = 18)");
    size_t name = x12__child(s, li, "2010BA", NONE);
    if (!self || name == NONE)
        return;
    static const char *const need[] = {"N3", "N4", "DMG"};
    for (size_t i = 0; i < 3; i++)
        if (x12__seg_in_loop(s, name, need[i]) == NONE)
            x12__sit(is, s, first_of(s, name), need[i], HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, sbr, 2,
                     0, "%s required when the subscriber is the patient", need[i]);
}

/* same bytes: two segments of one set (same delimiters) */
static int same_seg(const hxe_x12_set *s, size_t a, size_t b)
{
    return a != NONE && b != NONE && s->segs[a].n == s->segs[b].n &&
           memcmp(s->segs[a].p, s->segs[b].p, s->segs[a].n) == 0;
}

static void billing(const hxe_x12_set *s, hxe_issues *is, size_t li, size_t bht)
{
    int subro = bht != NONE && x12__eq(el(s, bht, 6, 0), "31");
    size_t plan = x12__child(s, li, "2010AC", NONE);
    if (plan != NONE && !subro)
        x12__sit(is, s, first_of(s, plan), NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, bht, 6, 0,
                 "pay-to plan 2010AC is used only in a subrogation demand (BHT06 = 31)");
    if (plan == NONE && subro)
        x12__sit(is, s, first_of(s, li), "NM1", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, bht, 6, 0,
                 "pay-to plan 2010AC required in a subrogation demand (BHT06 = 31)");
    size_t addr = x12__child(s, li, "2010AB", NONE), prov = x12__child(s, li, "2010AA", NONE);
    if (addr == NONE || prov == NONE)
        return;
    size_t n3 = x12__seg_in_loop(s, prov, "N3"), n4 = x12__seg_in_loop(s, prov, "N4");
    if (same_seg(s, n3, x12__seg_in_loop(s, addr, "N3")) &&
        same_seg(s, n4, x12__seg_in_loop(s, addr, "N4")))
        x12__sit(is, s, first_of(s, addr), NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, n3, 0, 0,
                 "pay-to address 2010AB is used only when it differs from the billing provider's");
}

static int inpatient(hxe_slice bill_type)
{
    return x12__eq(bill_type, "11") || x12__eq(bill_type, "18") || x12__eq(bill_type, "21") ||
           x12__eq(bill_type, "41");
}

/* Every 2430 SVD01 names one of the claim's other payers (2330B NM109). */
static void line_payers(const hxe_x12_set *s, hxe_issues *is, size_t li)
{
    for (size_t line = x12__child(s, li, "2400", NONE); line != NONE;
         line = x12__child(s, li, "2400", line)) {
        for (size_t adj = x12__child(s, line, "2430", NONE); adj != NONE;
             adj = x12__child(s, line, "2430", adj)) {
            size_t svd = first_of(s, adj);
            hxe_slice id = el(s, svd, 1, 0);
            if (!x12__id_is(s->segs[svd].id, "SVD") || !id.n)
                continue;
            int found = 0;
            for (size_t o = x12__child(s, li, "2320", NONE); o != NONE && !found;
                 o = x12__child(s, li, "2320", o)) {
                size_t payer = x12__child(s, o, "2330B", NONE);
                if (payer == NONE)
                    continue;
                hxe_slice v = el(s, first_of(s, payer), 9, 0);
                found = v.n == id.n && memcmp(v.p, id.p, v.n) == 0;
            }
            if (!found)
                x12__sit(is, s, svd, NULL, HXE_X12_ELE_PATTERN, 1, 0, NONE, 0, 0,
                         "SVD01: names none of the claim's other payers (2330B NM109)");
        }
    }
}

/* What claim() reads of a CLM: bits of x12__clm */
enum {
    CLM_SEEN = 0x100,          /* noted by the walk */
    CLM_REPLACE = 0x01,        /* CLM05-3 7 or 8 */
    CLM_FINAL = 0x02,          /* CLM05-3 1 or 4 */
    CLM_STATE = 0x04,          /* CLM11-4 present */
    CLM_INPATIENT = 0x08,      /* CLM05-1 an inpatient bill type */
    CLM_AUTO = 4,              /* shift: the CLM11 component (1-3) saying AA */
    CLM_ACCIDENT = 6           /* shift: the one saying AA or OA */
};

static unsigned clm_bits(const x12__elems *ev)
{
    hxe_slice freq = x12__el(ev, 5, 3);
    unsigned b = CLM_SEEN;
    if (x12__eq(freq, "7") || x12__eq(freq, "8"))
        b |= CLM_REPLACE;
    if (x12__eq(freq, "1") || x12__eq(freq, "4"))
        b |= CLM_FINAL;
    if (x12__el(ev, 11, 4).n)
        b |= CLM_STATE;
    if (inpatient(x12__el(ev, 5, 1)))
        b |= CLM_INPATIENT;
    unsigned auto_c = 0, acc_c = 0;
    for (unsigned c = 3; c >= 1; c--) {
        hxe_slice v = x12__el(ev, 11, c);
        if (x12__eq(v, "AA"))
            auto_c = acc_c = c;
        else if (x12__eq(v, "OA"))
            acc_c = c;
    }
    return b | auto_c << CLM_AUTO | acc_c << CLM_ACCIDENT;
}

void x12__clm_init(x12__clm *t, const hxe_x12_set *s)
{
    t->bits = NULL;
    if (s->loops && s->nloops && strcmp(s->id, "837") == 0)
        t->bits = hxe_calloc(s->nloops, sizeof *t->bits);
}

void x12__clm_seg(x12__clm *t, const hxe_x12_set *s, size_t k, const x12__elems *ev)
{
    size_t li = s->segs[k].loop;
    if (li < s->nloops && s->loops[li].first_seg == k)
        t->bits[li] = (uint16_t)clm_bits(ev);
}

void x12__clm_free(x12__clm *t)
{
    hxe_free(t->bits);
    t->bits = NULL;
}

static void claim(const hxe_x12_set *s, hxe_issues *is, size_t li, char kind, const x12__clm *t)
{
    size_t clm = first_of(s, li);
    if (!x12__id_is(s->segs[clm].id, "CLM"))
        return;
    unsigned b = t->bits ? t->bits[li] : 0;
    if (!(b & CLM_SEEN)) {   /* (no room for the notes: read it here) */
        x12__elems ev;
        x12__split(&ev, &s->segs[clm], &s->d);
        b = clm_bits(&ev);
    }
    if ((b & CLM_REPLACE) && x12__seg_q(s, li, "REF", "F8") == NONE)
        x12__sit(is, s, clm, "REF", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, clm, 5, 3,
                 "REF*F8 (payer claim control number) required when CLM05-3 is 7 or 8");
    if (kind == 'P' || kind == 'D') {
        unsigned auto_c = b >> CLM_AUTO & 3, acc_c = b >> CLM_ACCIDENT & 3;
        if (acc_c && x12__seg_q(s, li, "DTP", "439") == NONE)
            x12__sit(is, s, clm, "DTP", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, clm, 11, acc_c,
                     "DTP*439 (accident date) required when CLM11 names an accident");
        if (kind == 'P' && auto_c && !(b & CLM_STATE))
            x12__sit(is, s, clm, NULL, HXE_X12_ELE_DEPENDENT_MISSING, 11, 4, clm, 11, auto_c,
                     "CLM11-4: required when CLM11 names an auto accident");
    }
    if (kind == 'I' && (b & CLM_INPATIENT)) {
        if (x12__seg_q(s, li, "DTP", "435") == NONE)
            x12__sit(is, s, clm, "DTP", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, clm, 5, 1,
                     "DTP*435 (admission date) required on inpatient claims");
        if ((b & CLM_FINAL) && x12__seg_q(s, li, "DTP", "096") == NONE)
            x12__sit(is, s, clm, "DTP", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, clm, 5, 3,
                     "DTP*096 (discharge hour) required on the final claim of an inpatient stay");
        size_t cl1 = x12__seg_in_loop(s, li, "CL1");
        if (cl1 != NONE && !el(s, cl1, 1, 0).n)
            x12__sit(is, s, cl1, NULL, HXE_X12_ELE_DEPENDENT_MISSING, 1, 0, clm, 5, 1,
                     "CL101: admission type required on inpatient claims");
    }
    if (x12__child(s, li, "2320", NONE) != NONE)
        line_payers(s, is, li);
}

static void check_837(const hxe_x12_set *s, hxe_issues *is, const x12__clm *t)
{
    char kind = guide_is(s, "X222") ? 'P' : guide_is(s, "X223") ? 'I' : guide_is(s, "X224") ? 'D' : 0;
    if (!kind)
        return;
    size_t bht = header_seg(s, "BHT");
    for (size_t li = 1; li < s->nloops; li++) {
        const char *id = s->loops[li].id;
        if (x12__loop_is(id, "2000A"))
            billing(s, is, li, bht);
        else if (x12__loop_is(id, "2000B"))
            subscriber(s, is, li, kind == 'P');
        else if (x12__loop_is(id, "2300"))
            claim(s, is, li, kind, t);
    }
}

/* ---- 835 ---- */

static void check_835(const hxe_x12_set *s, hxe_issues *is)
{
    size_t bpr = header_seg(s, "BPR");
    if (bpr == NONE)
        return;
    hxe_slice method = el(s, bpr, 4, 0);
    long long amount;
    int have = x12__amount(el(s, bpr, 2, 0), &amount) == 0;
    if (x12__eq(method, "NON") && have && amount != 0)
        x12__sit(is, s, bpr, NULL, HXE_X12_ELE_PATTERN, 2, 0, bpr, 4, 0,
                 "BPR02: must be zero when BPR04 is NON");
    if (have && amount == 0 && method.n && !x12__eq(method, "NON"))
        x12__sit(is, s, bpr, NULL, HXE_X12_ELE_PATTERN, 4, 0, bpr, 2, 0,
                 "BPR04: must be NON when BPR02 is zero");
    if (x12__eq(method, "ACH") || x12__eq(method, "BOP") || x12__eq(method, "FWT")) {
        static const unsigned bank[] = {6, 7, 9, 12, 13, 15};
        for (size_t i = 0; i < sizeof bank / sizeof bank[0]; i++)
            if (!el(s, bpr, bank[i], 0).n)
                x12__sit(is, s, bpr, NULL, HXE_X12_ELE_DEPENDENT_MISSING, bank[i], 0, bpr, 4, 0,
                         "BPR%02u: required when BPR04 is ACH, BOP or FWT", bank[i]);
    }
}

/* ---- 270, 271 ---- */

static void eligibility(const hxe_x12_set *s, hxe_issues *is, size_t li, int response)
{
    size_t dep = x12__child(s, li, "2000D", NONE), name = x12__child(s, li, "2100C", NONE);
    if (name == NONE)
        return;
    size_t benefit = x12__child(s, name, "2110C", NONE);
    const char *seg = response ? "EB" : "EQ";
    if (dep == NONE && benefit == NONE && !(response && x12__seg_in_loop(s, name, "AAA") != NONE))
        x12__sit(is, s, first_of(s, name), seg, HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, first_of(s, li),
                 4, 0, "2110C (%s) required when the subscriber is the patient (no dependent level 2000D)",
                 seg);
    if (dep != NONE && benefit != NONE)
        x12__sit(is, s, first_of(s, benefit), NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0,
                 first_of(s, dep), 3, 0,
                 "2110C is used only when the subscriber is the patient (a dependent level 2000D follows)");
}

/* 271: LS opens the 2120 entity loops of a 2110 loop and LE closes them */
static void ls_le(const hxe_x12_set *s, hxe_issues *is, size_t li)
{
    size_t ls = x12__seg_in_loop(s, li, "LS"), le = x12__seg_in_loop(s, li, "LE");
    if (ls != NONE && le == NONE)
        x12__sit(is, s, ls, "LE", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, ls, 1, 0,
                 "LE required to close the loop LS opens");
    if (le != NONE && ls == NONE)
        x12__sit(is, s, le, NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, NONE, 0, 0,
                 "LE without the LS that opens its loop");
}

static void check_eligibility(const hxe_x12_set *s, hxe_issues *is, int response)
{
    for (size_t li = 1; li < s->nloops; li++) {
        const char *id = s->loops[li].id;
        if (x12__loop_is(id, "2000C"))
            eligibility(s, is, li, response);
        else if (response && (x12__loop_is(id, "2110C") || x12__loop_is(id, "2110D")))
            ls_le(s, is, li);
    }
}

/* ---- 276, 277 (X212) ---- */

static void claim_status(const hxe_x12_set *s, hxe_issues *is, size_t li)
{
    size_t dep = x12__child(s, li, "2000E", NONE), name = x12__child(s, li, "2100D", NONE);
    size_t track = x12__child(s, li, "2200D", NONE);
    if (dep == NONE && track == NONE && name != NONE)
        x12__sit(is, s, first_of(s, name), "TRN", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, first_of(s, li),
                 4, 0, "claim loop 2200D required when the subscriber is the patient (no 2000E)");
    if (dep != NONE && track != NONE)
        x12__sit(is, s, first_of(s, track), NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0,
                 first_of(s, dep), 3, 0,
                 "claim loop 2200D is used only when the subscriber is the patient (a 2000E follows)");
}

/* 276: the claim's service date, unless its service lines carry theirs */
static void service_date(const hxe_x12_set *s, hxe_issues *is, size_t li, const char *line)
{
    if (x12__seg_q(s, li, "DTP", "472") == NONE && x12__child(s, li, line, NONE) == NONE)
        x12__sit(is, s, first_of(s, li), "DTP", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0, NONE, 0, 0,
                 "DTP*472 (service date) required when no service line %s follows", line);
}

static void check_x212(const hxe_x12_set *s, hxe_issues *is, int request)
{
    for (size_t li = 1; li < s->nloops; li++) {
        const char *id = s->loops[li].id;
        if (x12__loop_is(id, "2000D"))
            claim_status(s, is, li);
        else if (request && x12__loop_is(id, "2200D"))
            service_date(s, is, li, "2210D");
        else if (request && x12__loop_is(id, "2200E"))
            service_date(s, is, li, "2210E");
    }
}

/* ---- 278 ---- */

static void check_278(const hxe_x12_set *s, hxe_issues *is)
{
    size_t bht = header_seg(s, "BHT");
    if (bht == NONE)
        return;
    hxe_slice purpose = el(s, bht, 2, 0);
    int request = x12__eq(purpose, "13"), response = x12__eq(purpose, "11");
    if (!request && !response)
        return;
    int rejected = 0;
    for (size_t k = 0; k < s->nseg; k++) {
        int hcr = x12__id_is(s->segs[k].id, "HCR"), aaa = x12__id_is(s->segs[k].id, "AAA");
        rejected |= aaa;
        if (request && (hcr || aaa))
            x12__sit(is, s, k, NULL, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0, bht, 2, 0,
                     "%s is used only in a response (BHT02 = 11), not in a request",
                     hcr ? "HCR" : "AAA");
    }
    if (!response || rejected)
        return;
    for (size_t li = 1; li < s->nloops; li++) {
        const char *id = s->loops[li].id;
        int event = x12__loop_is(id, "2000E"), service = x12__loop_is(id, "2000F");
        if (!event && !service)
            continue;
        size_t um = x12__seg_in_loop(s, li, "UM");
        if ((event || um != NONE) && x12__seg_in_loop(s, li, "HCR") == NONE)
            x12__sit(is, s, first_of(s, li), "HCR", HXE_X12_SEG_DEPENDENT_MISSING, 0, 0,
                     event ? bht : um, event ? 2 : 1, 0,
                     "HCR (review outcome) required in a response for each %s",
                     event ? "patient event" : "service reviewed (UM)");
    }
}

int x12__check_situational(const hxe_x12_set *s, hxe_issues *is, const x12__clm *t)
{
    if (!s->loops || !s->nloops)
        return 0;
    if (strcmp(s->id, "837") == 0)
        check_837(s, is, t);
    else if (strcmp(s->id, "835") == 0)
        check_835(s, is);
    else if (strcmp(s->id, "270") == 0 || strcmp(s->id, "271") == 0)
        check_eligibility(s, is, s->id[2] == '1');
    else if ((strcmp(s->id, "276") == 0 || strcmp(s->id, "277") == 0) && guide_is(s, "X212"))
        check_x212(s, is, s->id[2] == '6');
    else if (strcmp(s->id, "278") == 0)
        check_278(s, is);
    return 0;
}
