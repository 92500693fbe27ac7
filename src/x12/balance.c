/*
 * balance.c — SNIP type 3, balancing: the amounts of a set that must
 * add up.
 *
 * 837 (P, I, D): each claim's total charge CLM02 equals the sum of its
 * service line charges (SV102 professional, SV203 institutional, SV302
 * dental). Coordination of benefits, for each other payer (2320, named
 * by its 2330B NM109) that paid the claim (AMT*D): CLM02 equals that
 * payment plus the payer's adjustments at the claim (2320 CAS) and on
 * the lines (the CAS of the 2430 loops whose SVD01 names the payer);
 * when the payer adjudicated lines, its payment equals the sum of their
 * SVD02 less the claim-level adjustments; and each line's charge equals
 * the payer's line payment SVD02 plus the line's 2430 CAS (lines the
 * payer bundled or unbundled, SVD06, are left out of that one).
 * 835: the payment BPR02 equals the sum of the claims' paid amounts
 * CLP04 minus the provider-level adjustments (PLB04, 06, ... 14); each
 * claim's charge minus payment (CLP03 - CLP04) equals its adjustments
 * (every CAS amount of the claim and of its service lines); each service
 * line's SVC02 - SVC03 equals its own CAS amounts. (SE01 segment counts
 * are checked by the reader, IK502 4.)
 *
 * Amounts are compared exactly, in ten-thousandths; an amount that is
 * not a plain decimal is left to the element check. Problems are IK403
 * I12 at the total that does not balance; texts never carry amounts.
 *
 * The amounts every segment of a kind adds (837 service line charges;
 * 835 CAS, CLP04, PLB) are gathered by x12__bal_seg during validate.c's
 * walk over the segments, from elements already split; the checks then
 * run over the loops.
 */
#include "x12/internal.h"

#define NONE ((size_t)-1)

/* the six amounts of a CAS segment: CAS03, 06, 09, 12, 15, 18 */
static long long cas_amounts(const x12__elems *ev)
{
    long long sum = 0, a;
    for (unsigned e = 3; e <= 18; e += 3)
        if (x12__amount(x12__raw(ev, e), &a) == 0)
            sum += a;
    return sum;
}

static long long cas_sum(const hxe_x12_set *s, size_t k)
{
    x12__elems ev;
    x12__split(&ev, &s->segs[k], &s->d);
    return cas_amounts(&ev);
}

static int seg_is(const hxe_x12_set *s, size_t k, const char *id)
{
    return x12__id_is(s->segs[k].id, id);
}

static hxe_slice el(const hxe_x12_set *s, size_t k, unsigned e)
{
    return hxe_x12_element(&s->segs[k], &s->d, e);
}

static int same(hxe_slice a, hxe_slice b)
{
    return a.n == b.n && memcmp(a.p, b.p, a.n) == 0;
}

/* The CAS amounts directly in loop instance li */
static long long loop_cas(const hxe_x12_set *s, size_t li)
{
    long long sum = 0;
    const hxe_x12_loop *l = &s->loops[li];
    for (size_t k = l->first_seg; k < s->nseg && k < (size_t)l->first_seg + l->nseg; k++)
        if (s->segs[k].loop == li && seg_is(s, k, "CAS"))
            sum += cas_sum(s, k);
    return sum;
}

/* A line's charge: SV102, SV203 or SV302; -1 when it has none readable */
static int line_charge(const hxe_x12_set *s, size_t line, long long *out)
{
    size_t k = s->loops[line].first_seg + 1;   /* the SVn after LX */
    if (k >= s->nseg || s->segs[k].loop != line)
        return -1;
    unsigned e = seg_is(s, k, "SV1") ? 2 : seg_is(s, k, "SV2") ? 3 : seg_is(s, k, "SV3") ? 2 : 0;
    return e ? x12__amount(el(s, k, e), out) : -1;
}

/* Each line's charge = SVD02 + CAS of the 2430 loops of one payer */
static void cob_lines(const hxe_x12_set *s, hxe_issues *is, size_t claim)
{
    for (size_t line = x12__child(s, claim, "2400", NONE); line != NONE;
         line = x12__child(s, claim, "2400", line)) {
        long long charge;
        if (x12__child(s, line, "2430", NONE) == NONE || line_charge(s, line, &charge))
            continue;
        for (size_t a = x12__child(s, line, "2430", NONE); a != NONE; a = x12__child(s, line, "2430", a)) {
            size_t svd = s->loops[a].first_seg;
            if (!seg_is(s, svd, "SVD") || el(s, svd, 6).n)
                continue;
            /* the first 2430 of its payer on this line adds them all up */
            int first = 1;
            for (size_t b = x12__child(s, line, "2430", NONE); b != a && first;
                 b = x12__child(s, line, "2430", b))
                first = !(seg_is(s, s->loops[b].first_seg, "SVD") &&
                          same(el(s, s->loops[b].first_seg, 1), el(s, svd, 1)) &&
                          !el(s, s->loops[b].first_seg, 6).n);
            if (!first)
                continue;
            long long sum = 0, paid;
            int ok = 1;
            for (size_t b = a; b != NONE; b = x12__child(s, line, "2430", b)) {
                size_t v = s->loops[b].first_seg;
                if (!seg_is(s, v, "SVD") || el(s, v, 6).n || !same(el(s, v, 1), el(s, svd, 1)))
                    continue;
                if (x12__amount(el(s, v, 2), &paid))
                    ok = 0;
                else
                    sum += paid + loop_cas(s, b);
            }
            if (ok && sum != charge)
                x12__issue(is, s, svd, HXE_X12_ELE_PATTERN, 2, 0,
                           "SVD02: the line paid amount and the line's adjustments (CAS) do not add up to its charge");
        }
    }
}

/* Per other payer that paid the claim: CLM02 and AMT*D against the
 * payer's adjustments and line payments */
static void cob_claim(const hxe_x12_set *s, hxe_issues *is, size_t claim)
{
    size_t clm = s->loops[claim].first_seg;
    long long total;
    if (!seg_is(s, clm, "CLM") || x12__amount(el(s, clm, 2), &total))
        return;
    for (size_t o = x12__child(s, claim, "2320", NONE); o != NONE; o = x12__child(s, claim, "2320", o)) {
        size_t amt = x12__seg_q(s, o, "AMT", "D"), payer = x12__child(s, o, "2330B", NONE);
        long long paid;
        if (amt == NONE || payer == NONE || x12__amount(el(s, amt, 2), &paid))
            continue;
        hxe_slice id = el(s, s->loops[payer].first_seg, 9);
        long long claim_adj = loop_cas(s, o), line_paid = 0, line_adj = 0;
        int lines = 0, ok = 1;
        for (size_t line = x12__child(s, claim, "2400", NONE); line != NONE && id.n;
             line = x12__child(s, claim, "2400", line))
            for (size_t a = x12__child(s, line, "2430", NONE); a != NONE; a = x12__child(s, line, "2430", a)) {
                size_t svd = s->loops[a].first_seg;
                long long v;
                if (!seg_is(s, svd, "SVD") || !same(el(s, svd, 1), id))
                    continue;
                lines = 1;
                if (x12__amount(el(s, svd, 2), &v))
                    ok = 0;
                else
                    line_paid += v;
                line_adj += loop_cas(s, a);
            }
        if (!ok)
            continue;
        if (total != paid + claim_adj + line_adj)
            x12__issue(is, s, amt, HXE_X12_ELE_PATTERN, 2, 0,
                       "AMT02: CLM02 does not equal this payer's payment plus its claim and line adjustments (CAS)");
        if (lines && paid != line_paid - claim_adj)
            x12__issue(is, s, amt, HXE_X12_ELE_PATTERN, 2, 0,
                       "AMT02: does not equal this payer's line payments (SVD02) less its claim adjustments (CAS)");
    }
}

void x12__bal_init(x12__bal *b, const hxe_x12_set *s)
{
    memset(b, 0, sizeof *b);
    if (!s->loops || !s->nloops)
        return;
    if (strcmp(s->id, "837") == 0)
        b->kind = 837;
    else if (strcmp(s->id, "835") == 0)
        b->kind = 835;
    else
        return;
    b->sum = hxe_calloc(s->nloops, sizeof *b->sum);
    if (b->kind == 837)
        b->lines = hxe_calloc(s->nloops, 1);
    b->paid_ok = 1;
    if (!b->sum || (b->kind == 837 && !b->lines))
        b->failed = 1;
}

void x12__bal_free(x12__bal *b)
{
    hxe_free(b->sum);
    hxe_free(b->lines);
    memset(b, 0, sizeof *b);
}

void x12__bal_seg(x12__bal *b, const hxe_x12_set *s, size_t k, const x12__elems *ev)
{
    const char *id = s->segs[k].id;
    long long a;
    if (b->failed)
        return;
    if (b->kind == 837) {
        /* each service line's charge, to its claim (2300) */
        unsigned e = x12__id_is(id, "SV1") ? 2 : x12__id_is(id, "SV2") ? 3 : x12__id_is(id, "SV3") ? 2 : 0;
        if (!e)
            return;
        size_t claim = x12__ancestor(s, k, "2300");
        if (claim == NONE)
            return;
        if (x12__amount(x12__raw(ev, e), &a) != 0) {
            b->lines[claim] = 2;   /* a line amount unreadable: no verdict */
            return;
        }
        b->sum[claim] += a;
        if (!b->lines[claim])
            b->lines[claim] = 1;
    } else if (b->kind == 835) {
        /* per loop instance: the CAS amounts in it and, for a 2100 claim,
         * in its service lines too */
        if (x12__id_is(id, "CAS")) {
            long long c = cas_amounts(ev);
            size_t line = x12__ancestor(s, k, "2110");
            size_t claim = x12__ancestor(s, k, "2100");
            if (line != NONE)
                b->sum[line] += c;
            if (claim != NONE)
                b->sum[claim] += c;
        } else if (x12__id_is(id, "CLP")) {
            if (x12__amount(x12__raw(ev, 4), &a) == 0)
                b->paid += a;
            else
                b->paid_ok = 0;
        } else if (x12__id_is(id, "PLB")) {
            for (unsigned e = 4; e <= 14; e += 2)
                if (x12__amount(x12__raw(ev, e), &a) == 0)
                    b->plb += a;
        }
    }
}

static void check_837(const hxe_x12_set *s, hxe_issues *is, const x12__bal *b)
{
    for (size_t li = 1; li < s->nloops; li++) {
        if (!x12__loop_is(s->loops[li].id, "2300") || b->lines[li] != 1)
            continue;
        size_t k = s->loops[li].first_seg;
        long long total;
        if (!seg_is(s, k, "CLM") || x12__amount(hxe_x12_element(&s->segs[k], &s->d, 2), &total))
            continue;
        if (total != b->sum[li])
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "CLM02: does not equal the sum of the service line charges");
    }
    for (size_t li = 1; li < s->nloops; li++) {
        if (!x12__loop_is(s->loops[li].id, "2300") || x12__child(s, li, "2320", NONE) == NONE)
            continue;
        cob_claim(s, is, li);
        cob_lines(s, is, li);
    }
}

static void check_835(const hxe_x12_set *s, hxe_issues *is, const x12__bal *b)
{
    long long a;
    for (size_t li = 1; li < s->nloops; li++) {
        int claim = x12__loop_is(s->loops[li].id, "2100");
        int line = x12__loop_is(s->loops[li].id, "2110");
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
        if (charge - pay != b->sum[li])
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, e,
                       0, claim ? "CLP03 - CLP04: does not equal the claim's adjustments (CAS)"
                                : "SVC02 - SVC03: does not equal the line's adjustments (CAS)");
    }
    for (size_t k = 0; k < s->nseg && b->paid_ok; k++) {
        if (!seg_is(s, k, "BPR"))
            continue;
        if (x12__amount(hxe_x12_element(&s->segs[k], &s->d, 2), &a) == 0 && a != b->paid - b->plb)
            x12__issue(is, s, k, HXE_X12_ELE_PATTERN, 2, 0,
                       "BPR02: does not equal the claims' payments (CLP04) less the provider adjustments (PLB)");
        break;
    }
}

int x12__check_balance(const hxe_x12_set *s, hxe_issues *is, const x12__bal *b)
{
    if (!b->kind)
        return 0;
    if (b->failed)
        return HXE_ENOMEM;
    if (b->kind == 837)
        check_837(s, is, b);
    else
        check_835(s, is, b);
    return 0;
}
