/*
 * balance.c — SNIP type 3, balancing: the amounts of a set that must
 * add up.
 *
 * 837 (P, I, D): each claim's total charge CLM02 equals the sum of its
 * service line charges (SV102 professional, SV203 institutional, SV302
 * dental). 835: the payment BPR02 equals the sum of the claims' paid
 * amounts CLP04 minus the provider-level adjustments (PLB04, 06, ...
 * 14); each claim's charge minus payment (CLP03 - CLP04) equals its
 * adjustments (every CAS amount of the claim and of its service lines);
 * each service line's SVC02 - SVC03 equals its own CAS amounts. (SE01
 * segment counts are checked by the reader, IK502 4.)
 *
 * Amounts are compared exactly, in ten-thousandths; an amount that is
 * not a plain decimal is left to the element check. Problems are IK403
 * I12 at the total that does not balance; texts never carry amounts.
 */
#include "x12/internal.h"

/* the six amounts of a CAS segment: CAS03, 06, 09, 12, 15, 18 */
static long long cas_sum(const hxe_x12_set *s, size_t k)
{
    long long sum = 0, a;
    for (unsigned e = 3; e <= 18; e += 3)
        if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, e), &a) == 0)
            sum += a;
    return sum;
}

static int seg_is(const hxe_x12_set *s, size_t k, const char *id)
{
    return strcmp(s->segs[k].id, id) == 0;
}

static int check_837(const hxe_x12_set *s, hxe_issues *is)
{
    long long *sum = hxe_calloc(s->nloops, sizeof *sum);
    unsigned char *lines = hxe_calloc(s->nloops, 1);
    if (!sum || !lines) {
        hxe_free(sum);
        hxe_free(lines);
        return HXE_ENOMEM;
    }
    for (size_t k = 0; k < s->nseg; k++) {
        unsigned e = seg_is(s, k, "SV1") ? 2 : seg_is(s, k, "SV2") ? 3 : seg_is(s, k, "SV3") ? 2 : 0;
        if (!e)
            continue;
        size_t claim = x12__ancestor(s, k, "2300");
        long long a;
        if (claim == (size_t)-1)
            continue;
        if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, e), &a) != 0) {
            lines[claim] = 2;   /* a line amount unreadable: no verdict */
            continue;
        }
        sum[claim] += a;
        if (!lines[claim])
            lines[claim] = 1;
    }
    for (size_t li = 1; li < s->nloops; li++) {
        if (strcmp(s->loops[li].id, "2300") != 0 || lines[li] != 1)
            continue;
        size_t k = s->loops[li].first_seg;
        long long total;
        if (!seg_is(s, k, "CLM") || x12__amount(hxe_x12_element(&s->segs[k], &s->d, 2), &total))
            continue;
        if (total != sum[li])
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "CLM02: does not equal the sum of the service line charges");
    }
    hxe_free(sum);
    hxe_free(lines);
    return 0;
}

static int check_835(const hxe_x12_set *s, hxe_issues *is)
{
    /* per loop instance: the CAS amounts in it and, for a 2100 claim,
     * in its service lines too */
    long long *cas = hxe_calloc(s->nloops, sizeof *cas);
    if (!cas)
        return HXE_ENOMEM;
    long long paid = 0, plb = 0, a;
    int paid_ok = 1;
    for (size_t k = 0; k < s->nseg; k++) {
        if (seg_is(s, k, "CAS")) {
            long long c = cas_sum(s, k);
            size_t line = x12__ancestor(s, k, "2110");
            size_t claim = x12__ancestor(s, k, "2100");
            if (line != (size_t)-1)
                cas[line] += c;
            if (claim != (size_t)-1)
                cas[claim] += c;
        } else if (seg_is(s, k, "CLP")) {
            if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, 4), &a) == 0)
                paid += a;
            else
                paid_ok = 0;
        } else if (seg_is(s, k, "PLB")) {
            for (unsigned e = 4; e <= 14; e += 2)
                if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, e), &a) == 0)
                    plb += a;
        }
    }
    for (size_t li = 1; li < s->nloops; li++) {
        int claim = strcmp(s->loops[li].id, "2100") == 0;
        int line = strcmp(s->loops[li].id, "2110") == 0;
        if (!claim && !line)
            continue;
        size_t k = s->loops[li].first_seg;
        if (!seg_is(s, k, claim ? "CLP" : "SVC"))
            continue;
        long long charge, pay;
        unsigned e = claim ? 3 : 2;
        if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, e), &charge) ||
            x12__amount(hxe_x12_element(&s->segs[k], &s->d, e + 1), &pay))
            continue;
        if (charge - pay != cas[li])
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, e,
                       0, claim ? "CLP03 - CLP04: does not equal the claim's adjustments (CAS)"
                                : "SVC02 - SVC03: does not equal the line's adjustments (CAS)");
    }
    for (size_t k = 0; k < s->nseg && paid_ok; k++) {
        if (!seg_is(s, k, "BPR"))
            continue;
        if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, 2), &a) == 0 && a != paid - plb)
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "BPR02: does not equal the claims' payments (CLP04) less the provider adjustments (PLB)");
        break;
    }
    hxe_free(cas);
    return 0;
}

int x12__check_balance(const hxe_x12_set *s, hxe_issues *is)
{
    if (!s->loops || !s->nloops)
        return 0;
    if (strcmp(s->id, "837") == 0)
        return check_837(s, is);
    if (strcmp(s->id, "835") == 0)
        return check_835(s, is);
    return 0;
}
