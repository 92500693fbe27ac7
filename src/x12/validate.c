/*
 * validate.c — element-level validation of a transaction set.
 *
 * SNIP type 1 against the segment dictionary (segments.dict): too many
 * elements, mandatory elements and components missing, repetitions and
 * components over the limit, data types (N0, R, DT, TM, ID/AN
 * characters), minimum and maximum lengths, and each segment's X12
 * syntax rules (paired, required, conditional, exclusion, list
 * conditional). SNIP type 2 against the set's schema (the .tr3 file,
 * when hxe_x12_parse_loops found one): elements the guide requires or
 * does not use, and the guide's code values. Loop and segment structure
 * (the rest of types 1 and 2) is checked by hxe_x12_parse_loops.
 *
 * Then the passes of the other files: the HL hierarchy (hl.c, type 2),
 * balancing (balance.c, type 3), situational rules (situational.c, type
 * 4) and external code shapes (codes.c, type 5), as deep as asked.
 *
 * Every problem is an issue at its place with its IK403 code; texts name
 * the loop and element (NM109), never the value.
 *
 * Speed: this runs for every segment of every set, so it walks the set
 * once and reads each segment once. x12__split (rules.c) cuts a segment
 * at its element separators sixteen bytes at a time and notes which
 * elements hold a component or repetition separator or a control
 * character; the scans for those run only there. The definition comes
 * from the schema node the loop parse matched, not a dictionary search.
 * A value is first asked value_ok (no issue formed, no text); only when
 * it says no does check_value_all work out what is wrong. Syntax rules
 * are decided on a bit set of the elements present; code values are
 * looked up as 64-bit keys (x12t_code_in, no string compares). The SNIP
 * 5 checks (codes.c) run in the same walk on the same split; their
 * issues are held back and added after the other passes', in the order
 * they always had. The walk also hands the HL segments, the amounts to
 * balance and each claim's CLM to hl.c, balance.c and situational.c,
 * which then need not scan the set or split a segment again.
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <stdio.h>

typedef struct vctx {
    const hxe_x12_set *s;
    hxe_issues *is;
    size_t k;              /* segment index */
    const x12__elems *ev;  /* its elements */
} vctx;

static void el_issue(const vctx *v, int code, unsigned e, unsigned r, unsigned c,
                     const char *what)
{
    if (!v->is)
        return;
    const hxe_x12_seg *g = &v->s->segs[v->k];
    hxe_loc l = x12__loc(g, v->k + 1, e, c);
    l.rep = (uint16_t)r;
    char place[24];
    if (c)
        snprintf(place, sizeof place, "%s%02u-%u", g->id, e, c);
    else
        snprintf(place, sizeof place, "%s%02u", g->id, e);
    hxe_issues_add(v->is, HXE_SEV_ERROR, code, &l, "loop %s: %s: %s", x12__loop_of(v->s, v->k),
                   place, what);
}

static int is_n0(hxe_slice v)
{
    size_t i = (v.n && v.p[0] == '-') ? 1 : 0;
    if (i == v.n)
        return 0;
    for (; i < v.n; i++)
        if (v.p[i] < '0' || v.p[i] > '9')
            return 0;
    return 1;
}

/* A decimal number (R): [-]digits[.digits][E[-]digits], at least one
 * digit before any exponent. *len gets its length the way X12 counts it,
 * without sign and decimal point. */
static int is_r(hxe_slice v, size_t *len)
{
    size_t i = (v.n && v.p[0] == '-') ? 1 : 0, skip = i;
    int digits = 0, dots = 0;
    for (; i < v.n; i++) {
        char ch = v.p[i];
        if (ch >= '0' && ch <= '9') {
            digits++;
        } else if (ch == '.' && !dots) {
            dots++;
            skip++;
        } else if ((ch == 'E' || ch == 'e') && digits) {
            hxe_slice x = hxe_slice_of(v.p + i + 1, v.n - i - 1);
            if (!x.n || !is_n0(x))
                return 0;
            *len = v.n - skip - (x.p[0] == '-');
            return 1;
        } else {
            return 0;
        }
    }
    *len = v.n - skip;
    return digits > 0;
}

/* One simple value (an element, or a component) against its definition */
static void check_value_all(const vctx *v, const x12t_elem *d, hxe_slice val, unsigned e,
                            unsigned r, unsigned c)
{
    size_t n = val.n;   /* its length as X12 counts it */
    switch (d->type) {
    case X12T_N0:
    case X12T_N2:
        if (!is_n0(val)) {
            el_issue(v, HXE_X12_ELE_BAD_CHAR, e, r, c, "not a whole number");
            return;
        }
        n -= val.p[0] == '-';
        break;
    case X12T_R:
        if (!is_r(val, &n)) {
            el_issue(v, HXE_X12_ELE_BAD_CHAR, e, r, c, "not a decimal number");
            return;
        }
        break;
    case X12T_DT:
        if (!x12__is_date(val)) {
            el_issue(v, HXE_X12_ELE_BAD_DATE, e, r, c, "not a valid date");
            return;
        }
        break;
    case X12T_TM:
        if (!x12__is_time(val)) {
            el_issue(v, HXE_X12_ELE_BAD_TIME, e, r, c, "not a valid time");
            return;
        }
        break;
    default:
        for (size_t i = 0; x12__holds(v->ev->ctl_el, e) && i < val.n; i++) {
            unsigned char ch = (unsigned char)val.p[i];
            if (ch < 0x20 || ch == 0x7f) {
                el_issue(v, HXE_X12_ELE_BAD_CHAR, e, r, c, "control character");
                return;
            }
        }
        if (d->type == X12T_ID && val.n && val.p[0] == ' ')
            el_issue(v, HXE_X12_ELE_BAD_CHAR, e, r, c, "code starts with a blank");
        break;
    }
    if (n >= d->min && (!d->max || n <= d->max))
        return;
    char what[48];
    if (d->min && n < d->min) {
        snprintf(what, sizeof what, "shorter than %u", (unsigned)d->min);
        el_issue(v, HXE_X12_ELE_TOO_SHORT, e, r, c, what);
    } else if (d->max && n > d->max) {
        snprintf(what, sizeof what, "longer than %u", (unsigned)d->max);
        el_issue(v, HXE_X12_ELE_TOO_LONG, e, r, c, what);
    }
}

/* Would check_value_all find nothing wrong with val? ctl: its element
 * holds a control character somewhere (then texts and codes are left to
 * check_value_all). Nearly every value is fine: this answers without
 * forming an issue, and check_value_all runs only when it says no. */
static inline int value_ok(const x12t_elem *d, hxe_slice val, int ctl)
{
    size_t n = val.n;   /* its length as X12 counts it */
    if (d->type == X12T_AN) {   /* most values */
        if (ctl)
            return 0;
    } else if (d->type == X12T_ID) {
        if (ctl || (val.n && val.p[0] == ' '))
            return 0;
    } else if (d->type == X12T_R) {
        if (!is_r(val, &n))
            return 0;
    } else if (d->type == X12T_DT) {
        if (!x12__is_date(val))
            return 0;
    } else if (d->type == X12T_N0 || d->type == X12T_N2) {
        if (!is_n0(val))
            return 0;
        n -= val.p[0] == '-';
    } else if (d->type == X12T_TM) {
        if (!x12__is_time(val))
            return 0;
    } else if (ctl) {
        return 0;
    }
    /* n within min .. max (0: no maximum); an empty n is left to
     * check_value_all */
    return n >= d->min && (size_t)d->max - 1 >= n - 1;
}

static inline void check_value(const vctx *v, const x12t_elem *d, hxe_slice val, unsigned e,
                               unsigned r, unsigned c)
{
    if (!value_ok(d, val, x12__holds(v->ev->ctl_el, e)))
        check_value_all(v, d, val, e, r, c);
}

/* One repetition rv (rr: its number, 0 when the element does not
 * repeat) of a composite: its components cut in one walk. */
#define MAX_COMPS 16

/* Is the composite rv (of element e) fine as it stands? One walk over
 * its components, no issue formed; check_composite goes through it
 * again, saying what is wrong, only when this says no. */
static int composite_ok(const vctx *v, const x12t_comp *cd, hxe_slice rv, unsigned e)
{
    const int ctl = x12__holds(v->ev->ctl_el, e), split = x12__holds(v->ev->cs_el, e);
    const char cs = v->s->d.cs, *p = rv.p, *end = rv.p + rv.n;
    unsigned c = 0;
    for (;;) {
        const char *q = end;
        if (split)
            for (q = p; q < end && *q != cs; q++)
                ;
        if (++c > cd->n)
            return 0;   /* too many components */
        const x12t_elem *cdef = &x12t_elems[cd->first + c - 1];
        hxe_slice val = hxe_slice_of(p, (size_t)(q - p));
        if (val.n ? !value_ok(cdef, val, ctl) : cdef->req == X12T_M)
            return 0;
        if (q == end)
            break;
        p = q + 1;
    }
    return c >= cd->last_m;   /* else a mandatory one is missing after them */
}

static void check_composite(const vctx *v, const x12t_elem *d, hxe_slice rv, unsigned e,
                            unsigned rr)
{
    const x12t_comp *cd = &x12t_comps[d->comp - 1];
    if (!rv.n || composite_ok(v, cd, rv, e))
        return;
    hxe_slice cv[MAX_COMPS];
    unsigned nc = 0;
    if (!x12__holds(v->ev->cs_el, e)) {
        cv[nc++] = rv;
    } else {
        const char cs = v->s->d.cs, *p = rv.p, *end = rv.p + rv.n;
        for (;;) {
            const char *q = p;
            while (q < end && *q != cs)
                q++;
            if (nc < MAX_COMPS)
                cv[nc] = hxe_slice_of(p, (size_t)(q - p));
            nc++;
            if (q == end)
                break;
            p = q + 1;
        }
    }
    if (nc > cd->n) {
        el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, rr, 0, "too many components");
        nc = cd->n;
    }
    /* past the last component present only a mandatory one can be missing */
    unsigned last = nc > cd->last_m ? nc : cd->last_m;
    for (unsigned c = 1; c <= last; c++) {
        const x12t_elem *cdef = &x12t_elems[cd->first + c - 1];
        hxe_slice val = HXE_SLICE_EMPTY;
        if (c <= nc && c <= MAX_COMPS)
            val = cv[c - 1];
        else if (c <= nc)
            hxe_slice_piece(rv, v->s->d.cs, c, &val);
        if (!val.n) {
            if (cdef->req == X12T_M)
                el_issue(v, HXE_X12_ELE_REQUIRED_MISSING, e, rr, c, "mandatory component missing");
            continue;
        }
        check_value(v, cdef, val, e, rr, c);
    }
}

static void check_element(const vctx *v, const x12t_elem *d, hxe_slice val, unsigned e)
{
    const hxe_x12_delims *dl = &v->s->d;
    if (!x12__holds(v->ev->rs_el, e)) {
        /* no repetitions in the segment: the element is one value */
        if (d->type == X12T_COMP)
            check_composite(v, d, val, e, 0);
        else if (x12__holds(v->ev->cs_el, e) && memchr(val.p, dl->cs, val.n))
            el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, 0, 0, "components in a simple element");
        else
            check_value(v, d, val, e, 0, 0);
        return;
    }
    if (d->type != X12T_COMP && d->rep <= 1) {
        /* a simple element that may not repeat: one pass finds a
         * repetition or component separator */
        const char *rep = NULL, *comp = NULL;
        for (size_t i = 0; i < val.n; i++) {
            char ch = val.p[i];
            if (ch == dl->cs && !comp)
                comp = val.p + i;
            else if (ch == dl->rs && !rep)
                rep = val.p + i;
        }
        unsigned rr = 0;
        if (rep) {
            el_issue(v, HXE_X12_ELE_TOO_MANY_REPS, e, 0, 0, "repeats; it may not");
            val.n = (size_t)(rep - val.p);   /* its first repetition */
            rr = 1;
            if (comp && comp > rep)
                comp = NULL;
        }
        if (comp)
            el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, rr, 0, "components in a simple element");
        else if (val.n)
            check_value(v, d, val, e, rr, 0);
        return;
    }
    unsigned nrep = (unsigned)hxe_slice_count(val, dl->rs);
    int split = nrep > 1;
    if (nrep > d->rep) {
        el_issue(v, HXE_X12_ELE_TOO_MANY_REPS, e, 0, 0, d->rep > 1 ? "too many repetitions" : "repeats; it may not");
        nrep = d->rep;
    }
    const char *p = val.p, *end = val.p + val.n;
    for (unsigned r = 1; r <= nrep; r++) {
        hxe_slice rv = val;
        if (split) {   /* the repetitions one after the other */
            const char *q = p;
            while (q < end && *q != dl->rs)
                q++;
            rv = hxe_slice_of(p, (size_t)(q - p));
            p = q + 1;
        }
        unsigned rr = split ? r : 0;
        if (d->type == X12T_COMP) {
            check_composite(v, d, rv, e, rr);
            continue;
        }
        if (rv.n && memchr(rv.p, dl->cs, rv.n)) {
            el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, rr, 0, "components in a simple element");
            continue;
        }
        if (rv.n)
            check_value(v, d, rv, e, rr, 0);
    }
}

/* The segment's syntax rules. have: bit e for each element present (e
 * up to 63). A rule whose elements are bits is decided on the bits; the
 * count and the first missing are worked out only for a rule broken. */
static void check_rules(const vctx *v, const x12t_seg *sd, const x12__elems *ev, uint64_t have)
{
    const hxe_x12_seg *g = &v->s->segs[v->k];
    for (unsigned i = 0; i < sd->nrules; i++) {
        const x12t_rule *ru = &x12t_rules[sd->rule_first + i];
        if (ru->mask) {
            uint64_t p = have & ru->mask, f = (uint64_t)1 << ru->e[0];
            int ok = 1;
            switch (ru->kind) {
            case 'P': ok = !p || p == ru->mask; break;
            case 'R': ok = p != 0; break;
            case 'C': ok = !(p & f) || p == ru->mask; break;
            case 'E': ok = !(p & (p - 1)); break;
            case 'L': ok = !(p & f) || (p & ~f) != 0; break;
            default: break;
            }
            if (ok)
                continue;
        }
        unsigned present = 0, first_missing = 0;
        int first = x12__raw(ev, ru->e[0]).n > 0;
        for (unsigned j = 0; j < ru->n; j++) {
            if (x12__raw(ev, ru->e[j]).n)
                present++;
            else if (!first_missing)
                first_missing = ru->e[j];
        }
        char what[64];
        switch (ru->kind) {
        case 'P':
            if (present && present < ru->n) {
                snprintf(what, sizeof what, "required when %s%02u is present (paired)", g->id,
                         (unsigned)(ru->e[0] == first_missing ? ru->e[1] : ru->e[0]));
                el_issue(v, HXE_X12_ELE_CONDITIONAL_MISSING, first_missing, 0, 0, what);
            }
            break;
        case 'R':
            if (!present)
                el_issue(v, HXE_X12_ELE_CONDITIONAL_MISSING, ru->e[0], 0, 0,
                         "at least one of the rule's elements is required");
            break;
        case 'C':
            if (first && present < ru->n) {
                snprintf(what, sizeof what, "required when %s%02u is present", g->id, (unsigned)ru->e[0]);
                el_issue(v, HXE_X12_ELE_CONDITIONAL_MISSING, first_missing, 0, 0, what);
            }
            break;
        case 'E':
            if (present > 1)
                el_issue(v, HXE_X12_ELE_EXCLUSION, ru->e[0], 0, 0,
                         "only one of the rule's elements may be present");
            break;
        case 'L':
            if (first && present < 2)
                el_issue(v, HXE_X12_ELE_CONDITIONAL_MISSING, ru->e[1], 0, 0,
                         "one more of the rule's elements is required");
            break;
        default:
            break;
        }
    }
}

/* Segment v->k, split in ev, against its definition sd and (SNIP 2) its
 * schema node (NULL outside a loop tree). */
static void check_segment(vctx *v, int snip, const x12t_seg *sd, const x12t_node *node,
                          int id_only, const x12__elems *ev)
{
    unsigned n = ev->n;
    if (n > sd->n) {
        el_issue(v, HXE_X12_ELE_TOO_MANY, sd->n + 1, 0, 0, "more elements than the segment has");
        n = sd->n;
    }
    /* the guide's usage of each element; none (0) outside a loop tree,
     * below SNIP 2 or when the guide names none for the segment (a
     * node's nuse is then 0, else every element of the segment's) */
    static const uint8_t no_uses[256];
    const uint8_t *uses = no_uses;
    if (snip >= 2 && node && node->nuse)
        uses = &x12t_uses[node->use_first];
    /* past the last element present only a mandatory or required one
     * can be missing */
    unsigned last = n;
    if (sd->last_m > last)
        last = sd->last_m;
    if (snip >= 2 && node && node->last_r > last)
        last = node->last_r;
    const x12t_elem *defs = &x12t_elems[sd->first];
    /* elements with a component or repetition separator or a control
     * character go through check_element; value_ok answers for the rest */
    const uint64_t odd = ev->cs_el | ev->rs_el | ev->ctl_el;
    uint64_t have = 0;   /* bit e: element e present */
    for (unsigned e = 1; e <= last; e++) {
        const x12t_elem *d = &defs[e - 1];
        hxe_slice val = e <= n ? x12__raw(ev, e) : HXE_SLICE_EMPTY;
        unsigned use = uses[e - 1];
        if (!val.n) {
            if (d->req == X12T_M)
                el_issue(v, HXE_X12_ELE_REQUIRED_MISSING, e, 0, 0, "mandatory element missing");
            else if (use == X12T_USE_R)
                el_issue(v, HXE_X12_ELE_DEPENDENT_MISSING, e, 0, 0,
                         "required by the implementation guide, missing");
            continue;
        }
        have |= (uint64_t)(e < 64) << (e & 63);
        if (use == X12T_USE_N)
            el_issue(v, HXE_X12_ELE_NOT_USED, e, 0, 0, "not used by the implementation guide");
        if (!x12__holds(odd, e) && d->type != X12T_COMP && value_ok(d, val, 0))
            continue;
        check_element(v, d, val, e);
    }
    if (sd->nrules)
        check_rules(v, sd, ev, have);
    if (snip < 2 || !node)
        return;
    /* The first code list is what the loop parse matched the segment by
     * (all but ST, which it takes as it comes): its code is known good
     * then, and when the segment matched by id only, reported already. */
    for (unsigned i = v->k > 0 || id_only ? 1 : 0; i < node->nqual; i++) {
        const x12t_qual *q = &x12t_quals[node->qual_first + i];
        hxe_slice val = x12__el(ev, q->e, q->c);
        if (val.n && !x12t_code_in(q, val.p, val.n))
            el_issue(v, HXE_X12_ELE_CODE_NOT_USED, q->e, 0, q->c,
                     "code not used by the implementation guide");
    }
}

/* Appends the issues held back in `later` to is, as if they had been
 * added to it directly: those `later` dropped would have been dropped
 * by is too, which holds as many. */
static void add_later(hxe_issues *is, const hxe_issues *later)
{
    for (size_t i = 0; i < later->n; i++) {
        const hxe_issue *it = &later->v[i];
        hxe_issues_add(is, it->severity, it->code, &it->loc, "%s", it->text);
    }
    is->errors += later->dropped;
    is->dropped += later->dropped;
}

int hxe_x12_validate(const hxe_x12_set *s, const hxe_x12_validate_opts *opts,
                     hxe_issues *issues)
{
    int snip = opts && opts->snip ? opts->snip : 5;
    if (!s || !s->nseg || strcmp(s->id, "TA1") == 0)
        return 0;
    x12__elems ev;
    vctx v = {s, issues, 0, &ev};
    /* SNIP 5 issues come after those of the other passes */
    hxe_issues later = HXE_ISSUES_INIT;
    later.max = issues ? issues->max : 0;
    hxe_issues *codes = issues && snip >= 5 ? &later : NULL;
    /* what the HL and balancing passes need, gathered on the way */
    x12__hls hls = {NULL, 0, 0, 0};
    x12__bal bal;
    memset(&bal, 0, sizeof bal);
    if (snip >= 3)
        x12__bal_init(&bal, s);
    x12__clm clm = {NULL};
    if (snip >= 4)
        x12__clm_init(&clm, s);
    for (v.k = 0; v.k < s->nseg; v.k++) {
        const hxe_x12_seg *g = &s->segs[v.k];
        const x12t_node *node = NULL;
        int id_only = 0;
        if (s->seg_node && s->seg_node[v.k]) {
            node = &x12t_nodes[(s->seg_node[v.k] & 0x7fffffffu) - 1];
            id_only = (s->seg_node[v.k] & 0x80000000u) != 0;
        }
        /* the schema node names the definition; the dictionary is searched
         * only for segments outside a loop tree */
        const x12t_seg *sd = node && node->segdef >= 0 ? &x12t_segs[node->segdef]
                             : g->id[0]                  ? x12t_find_seg(g->id)
                                                         : NULL;
        if (!sd)
            continue;   /* unknown ids are reported by the loop parse */
        x12__split(&ev, g, &s->d);
        check_segment(&v, snip, sd, node, id_only, &ev);
        if (codes && x12__codes_wants(g->id, sd->comps || sd->n > 64))
            x12__check_codes_seg(s, codes, v.k, sd, &ev);
        if (snip >= 2 && x12__id_is(g->id, "HL"))
            x12__hl_seg(&hls, v.k, &ev);
        if (x12__bal_wants(&bal, g->id))
            x12__bal_seg(&bal, s, v.k, &ev);
        if (clm.bits && x12__id_is(g->id, "CLM"))
            x12__clm_seg(&clm, s, v.k, &ev);
    }
    int rc = 0;
    if (snip >= 2)
        rc = x12__check_hl(s, issues, &hls);
    if (!rc && snip >= 3)
        rc = x12__check_balance(s, issues, &bal);
    if (!rc && snip >= 4)
        rc = x12__check_situational(s, issues, &clm);
    if (!rc && codes)
        add_later(issues, &later);
    hxe_issues_free(&later);
    x12__hls_free(&hls);
    x12__bal_free(&bal);
    x12__clm_free(&clm);
    return rc;
}
