/*
 * situational.c — SNIP type 4: rules of the implementation guides that
 * tie one segment or element to another ("required when ..."). A
 * representative set, each tested passing and failing:
 *
 * 837 P, I, D
 *   - the patient level 2000C is present only when the patient is not
 *     the subscriber: SBR02 = 18 with a 2000C under it is an error
 *     (IK304 I9); SBR02 empty with no 2000C is an error at SBR02 (I9);
 *   - 837P: PAT in 2000B only when the subscriber is the patient;
 *   - 2010BA DMG, N3 and N4 required when the subscriber is the patient;
 *   - a replacement or void claim (CLM05-3 = 7 or 8) carries the payer's
 *     claim control number, REF*F8, in 2300;
 *   - 837P, 837D: accident date DTP*439 required when CLM11-1..3 says
 *     auto (AA) or other accident (OA); 837P: CLM11-4 (state) required
 *     when it says AA;
 *   - 837I: admission date DTP*435 required on inpatient claims (bill
 *     type CLM05-1 11, 18, 21 or 41).
 * 835
 *   - BPR04 NON (no payment) exactly when BPR02 is zero;
 *   - BPR04 ACH, BOP or FWT: the bank data BPR06, 07, 09, 12, 13, 15.
 *
 * Codes: segment missing IK304 I6, segment present IK304 I9, element
 * missing IK403 I9, element present IK403 I13.
 */
#include "x12/internal.h"

#include <stdio.h>

#define NONE ((size_t)-1)

static hxe_slice el(const hxe_x12_set *s, size_t k, unsigned e, unsigned c)
{
    return c ? hxe_x12_component(&s->segs[k], &s->d, e, 1, c) : hxe_x12_element(&s->segs[k], &s->d, e);
}

/* child loop instance of li with this id, or NONE */
static size_t child_loop(const hxe_x12_set *s, size_t li, const char *id)
{
    /* descendants follow li and start inside its extent */
    size_t end = (size_t)s->loops[li].first_seg + s->loops[li].nseg;
    for (size_t j = li + 1; j < s->nloops && s->loops[j].first_seg < end; j++)
        if (s->loops[j].parent == li && strcmp(s->loops[j].id, id) == 0)
            return j;
    return NONE;
}

static int guide_is(const hxe_x12_set *s, const char *g)
{
    return strstr(s->guide, g) != NULL;
}

static void subscriber(const hxe_x12_set *s, hxe_issues *is, size_t li, int prof)
{
    size_t sbr = x12__seg_in_loop(s, li, "SBR");
    if (sbr == NONE)
        return;
    int self = x12__eq(el(s, sbr, 2, 0), "18");
    size_t pat_loop = child_loop(s, li, "2000C");
    if (self && pat_loop != NONE)
        x12__issue(is, s, s->loops[pat_loop].first_seg, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0,
                   "patient level 2000C present although SBR02 says the subscriber is the patient");
    if (!el(s, sbr, 2, 0).n && pat_loop == NONE)
        x12__issue(is, s, sbr, HXE_X12_ELE_DEPENDENT_MISSING, 2, 0,
                   "SBR02: required when the subscriber is the patient (no patient level 2000C follows)");
    size_t pat = x12__seg_in_loop(s, li, "PAT");
    if (prof && pat != NONE && !self)
        x12__issue(is, s, pat, HXE_X12_SEG_DEPENDENT_NOT_USED, 0, 0,
                   "PAT is used here only when the subscriber is the patient (SBR02 = 18)");
    size_t name = child_loop(s, li, "2010BA");
    if (!self || name == NONE)
        return;
    static const char *const need[] = {"N3", "N4", "DMG"};
    for (size_t i = 0; i < 3; i++)
        if (x12__seg_in_loop(s, name, need[i]) == NONE)
            x12__issue(is, s, s->loops[name].first_seg, HXE_X12_SEG_DEPENDENT_MISSING, 0, 0,
                       "%s required when the subscriber is the patient", need[i]);
}

static int has_dtp(const hxe_x12_set *s, size_t li, const char *qual)
{
    const hxe_x12_loop *l = &s->loops[li];
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && strcmp(s->segs[k].id, "DTP") == 0 && x12__eq(el(s, k, 1, 0), qual))
            return 1;
    return 0;
}

static int has_ref(const hxe_x12_set *s, size_t li, const char *qual)
{
    const hxe_x12_loop *l = &s->loops[li];
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && strcmp(s->segs[k].id, "REF") == 0 && x12__eq(el(s, k, 1, 0), qual))
            return 1;
    return 0;
}

static void claim(const hxe_x12_set *s, hxe_issues *is, size_t li, char kind)
{
    size_t clm = s->loops[li].first_seg;
    if (strcmp(s->segs[clm].id, "CLM") != 0)
        return;
    hxe_slice freq = el(s, clm, 5, 3);
    if ((x12__eq(freq, "7") || x12__eq(freq, "8")) && !has_ref(s, li, "F8"))
        x12__issue(is, s, clm, HXE_X12_SEG_DEPENDENT_MISSING, 0, 0,
                   "REF*F8 (payer claim control number) required when CLM05-3 is 7 or 8");
    if (kind == 'P' || kind == 'D') {
        int auto_acc = 0, acc = 0;
        for (unsigned c = 1; c <= 3; c++) {
            hxe_slice v = el(s, clm, 11, c);
            auto_acc |= x12__eq(v, "AA");
            acc |= x12__eq(v, "AA") || x12__eq(v, "OA");
        }
        if (acc && !has_dtp(s, li, "439"))
            x12__issue(is, s, clm, HXE_X12_SEG_DEPENDENT_MISSING, 0, 0,
                       "DTP*439 (accident date) required when CLM11 names an accident");
        if (kind == 'P' && auto_acc && !el(s, clm, 11, 4).n)
            x12__issue(is, s, clm, HXE_X12_ELE_DEPENDENT_MISSING, 11, 4,
                       "CLM11-4: required when CLM11 names an auto accident");
    }
    if (kind == 'I') {
        hxe_slice bt = el(s, clm, 5, 1);
        if ((x12__eq(bt, "11") || x12__eq(bt, "18") || x12__eq(bt, "21") || x12__eq(bt, "41")) &&
            !has_dtp(s, li, "435"))
            x12__issue(is, s, clm, HXE_X12_SEG_DEPENDENT_MISSING, 0, 0,
                       "DTP*435 (admission date) required on inpatient claims");
    }
}

static void check_837(const hxe_x12_set *s, hxe_issues *is)
{
    char kind = guide_is(s, "X222") ? 'P' : guide_is(s, "X223") ? 'I' : guide_is(s, "X224") ? 'D' : 0;
    if (!kind)
        return;
    for (size_t li = 1; li < s->nloops; li++) {
        if (strcmp(s->loops[li].id, "2000B") == 0)
            subscriber(s, is, li, kind == 'P');
        else if (strcmp(s->loops[li].id, "2300") == 0)
            claim(s, is, li, kind);
    }
}

static void check_835(const hxe_x12_set *s, hxe_issues *is)
{
    size_t bpr = NONE;
    for (size_t k = 0; k < s->nseg && bpr == NONE; k++)
        if (strcmp(s->segs[k].id, "BPR") == 0)
            bpr = k;
    if (bpr == NONE)
        return;
    hxe_slice method = el(s, bpr, 4, 0);
    long long amount;
    int have = x12__amount(el(s, bpr, 2, 0), &amount) == 0;
    if (x12__eq(method, "NON") && have && amount != 0)
        x12__issue(is, s, bpr, HXE_X12_ELE_PATTERN, 2, 0, "BPR02: must be zero when BPR04 is NON");
    if (have && amount == 0 && method.n && !x12__eq(method, "NON"))
        x12__issue(is, s, bpr, HXE_X12_ELE_PATTERN, 4, 0, "BPR04: must be NON when BPR02 is zero");
    if (x12__eq(method, "ACH") || x12__eq(method, "BOP") || x12__eq(method, "FWT")) {
        static const unsigned bank[] = {6, 7, 9, 12, 13, 15};
        for (size_t i = 0; i < sizeof bank / sizeof bank[0]; i++)
            if (!el(s, bpr, bank[i], 0).n)
                x12__issue(is, s, bpr, HXE_X12_ELE_DEPENDENT_MISSING, bank[i], 0,
                           "BPR%02u: required when BPR04 is ACH, BOP or FWT", bank[i]);
    }
}

int x12__check_situational(const hxe_x12_set *s, hxe_issues *is)
{
    if (!s->loops || !s->nloops)
        return 0;
    if (strcmp(s->id, "837") == 0)
        check_837(s, is);
    else if (strcmp(s->id, "835") == 0)
        check_835(s, is);
    return 0;
}
