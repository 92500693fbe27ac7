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
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <stdio.h>

typedef struct vctx {
    const hxe_x12_set *s;
    hxe_issues *is;
    size_t k;              /* segment index */
    const char *loop;      /* loop id for texts */
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
    hxe_issues_add(v->is, HXE_SEV_ERROR, code, &l, "loop %s: %s: %s", v->loop, place, what);
}

/* Length the way X12 counts it: numbers without sign and decimal point */
static size_t x12_len(hxe_slice v, int type)
{
    if (type != X12T_N0 && type != X12T_N2 && type != X12T_R)
        return v.n;
    size_t n = 0;
    for (size_t i = 0; i < v.n; i++)
        if (v.p[i] != '-' && v.p[i] != '.')
            n++;
    return n;
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

static int is_r(hxe_slice v)
{
    size_t i = (v.n && v.p[0] == '-') ? 1 : 0;
    int digits = 0, dots = 0;
    for (; i < v.n; i++) {
        if (v.p[i] >= '0' && v.p[i] <= '9')
            digits++;
        else if (v.p[i] == '.' && !dots)
            dots++;
        else if ((v.p[i] == 'E' || v.p[i] == 'e') && digits)
            return i + 1 < v.n && is_n0(hxe_slice_of(v.p + i + 1, v.n - i - 1));
        else
            return 0;
    }
    return digits > 0;
}

/* One simple value (an element, or a component) against its definition */
static void check_value(const vctx *v, const x12t_elem *d, hxe_slice val, unsigned e,
                        unsigned r, unsigned c)
{
    switch (d->type) {
    case X12T_N0:
    case X12T_N2:
        if (!is_n0(val)) {
            el_issue(v, HXE_X12_ELE_BAD_CHAR, e, r, c, "not a whole number");
            return;
        }
        break;
    case X12T_R:
        if (!is_r(val)) {
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
        for (size_t i = 0; i < val.n; i++) {
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
    size_t n = x12_len(val, d->type);
    char what[48];
    if (d->min && n < d->min) {
        snprintf(what, sizeof what, "shorter than %u", (unsigned)d->min);
        el_issue(v, HXE_X12_ELE_TOO_SHORT, e, r, c, what);
    } else if (d->max && n > d->max) {
        snprintf(what, sizeof what, "longer than %u", (unsigned)d->max);
        el_issue(v, HXE_X12_ELE_TOO_LONG, e, r, c, what);
    }
}

static void check_element(const vctx *v, const x12t_elem *d, hxe_slice val, unsigned e)
{
    const hxe_x12_delims *dl = &v->s->d;
    unsigned nrep = (dl->rs && val.n) ? (unsigned)hxe_slice_count(val, dl->rs) : 1;
    int split = nrep > 1;
    if (nrep > d->rep) {
        el_issue(v, HXE_X12_ELE_TOO_MANY_REPS, e, 0, 0, d->rep > 1 ? "too many repetitions" : "repeats; it may not");
        nrep = d->rep;
    }
    for (unsigned r = 1; r <= nrep; r++) {
        hxe_slice rv = val;
        if (split)
            hxe_slice_piece(val, dl->rs, r, &rv);
        unsigned rr = split ? r : 0;
        if (d->type != X12T_COMP) {
            if (rv.n && memchr(rv.p, dl->cs, rv.n)) {
                el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, rr, 0, "components in a simple element");
                continue;
            }
            if (rv.n)
                check_value(v, d, rv, e, rr, 0);
            continue;
        }
        const x12t_comp *cd = &x12t_comps[d->comp - 1];
        unsigned nc = rv.n ? (unsigned)hxe_slice_count(rv, dl->cs) : 0;
        if (nc > cd->n) {
            el_issue(v, HXE_X12_ELE_TOO_MANY_COMPS, e, rr, 0, "too many components");
            nc = cd->n;
        }
        if (!rv.n)
            continue;
        for (unsigned c = 1; c <= cd->n; c++) {
            const x12t_elem *cdef = &x12t_elems[cd->first + c - 1];
            hxe_slice cv = HXE_SLICE_EMPTY;
            if (c <= nc)
                hxe_slice_piece(rv, dl->cs, c, &cv);
            if (!cv.n) {
                if (cdef->req == X12T_M)
                    el_issue(v, HXE_X12_ELE_REQUIRED_MISSING, e, rr, c, "mandatory component missing");
                continue;
            }
            check_value(v, cdef, cv, e, rr, c);
        }
    }
}

static void check_rules(const vctx *v, const x12t_seg *sd)
{
    const hxe_x12_seg *g = &v->s->segs[v->k];
    for (unsigned i = 0; i < sd->nrules; i++) {
        const x12t_rule *ru = &x12t_rules[sd->rule_first + i];
        unsigned present = 0, first_missing = 0;
        int first = hxe_x12_element(g, &v->s->d, ru->e[0]).n > 0;
        for (unsigned j = 0; j < ru->n; j++) {
            if (hxe_x12_element(g, &v->s->d, ru->e[j]).n)
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

static void check_segment(vctx *v, int snip)
{
    const hxe_x12_set *s = v->s;
    const hxe_x12_seg *g = &s->segs[v->k];
    const x12t_seg *sd = g->id[0] ? x12t_find_seg(g->id) : NULL;
    if (!sd)
        return;   /* unknown ids are reported by the loop parse */
    const x12t_node *node = NULL;
    int id_only = 0;
    if (s->seg_node && s->seg_node[v->k]) {
        node = &x12t_nodes[(s->seg_node[v->k] & 0x7fffffffu) - 1];
        id_only = (s->seg_node[v->k] & 0x80000000u) != 0;
    }
    unsigned n = hxe_x12_element_count(g, &s->d);
    if (n > sd->n) {
        el_issue(v, HXE_X12_ELE_TOO_MANY, sd->n + 1, 0, 0, "more elements than the segment has");
        n = sd->n;
    }
    for (unsigned e = 1; e <= sd->n; e++) {
        const x12t_elem *d = &x12t_elems[sd->first + e - 1];
        hxe_slice val = e <= n ? hxe_x12_element(g, &s->d, e) : HXE_SLICE_EMPTY;
        unsigned use = (snip >= 2 && node && e <= node->nuse) ? x12t_uses[node->use_first + e - 1] : 0;
        if (!val.n) {
            if (d->req == X12T_M)
                el_issue(v, HXE_X12_ELE_REQUIRED_MISSING, e, 0, 0, "mandatory element missing");
            else if (use == X12T_USE_R)
                el_issue(v, HXE_X12_ELE_DEPENDENT_MISSING, e, 0, 0,
                         "required by the implementation guide, missing");
            continue;
        }
        if (use == X12T_USE_N)
            el_issue(v, HXE_X12_ELE_NOT_USED, e, 0, 0, "not used by the implementation guide");
        check_element(v, d, val, e);
    }
    check_rules(v, sd);
    if (snip < 2 || !node)
        return;
    for (unsigned i = 0; i < node->nqual; i++) {
        if (i == 0 && id_only)
            continue;   /* reported by the loop parse */
        const x12t_qual *q = &x12t_quals[node->qual_first + i];
        hxe_slice val = q->c ? hxe_x12_component(g, &s->d, q->e, 1, q->c)
                             : hxe_x12_component(g, &s->d, q->e, 1, 0);
        if (val.n && !x12t_qual_ok(q, val.p, val.n))
            el_issue(v, HXE_X12_ELE_CODE_NOT_USED, q->e, 0, q->c,
                     "code not used by the implementation guide");
    }
}

int hxe_x12_validate(const hxe_x12_set *s, const hxe_x12_validate_opts *opts,
                     hxe_issues *issues)
{
    int snip = opts && opts->snip ? opts->snip : 5;
    if (!s || !s->nseg || strcmp(s->id, "TA1") == 0)
        return 0;
    vctx v = {s, issues, 0, "header"};
    for (v.k = 0; v.k < s->nseg; v.k++) {
        uint32_t li = s->segs[v.k].loop;
        v.loop = (s->loops && li < s->nloops && s->loops[li].id[0]) ? s->loops[li].id : "header";
        check_segment(&v, snip);
    }
    int rc = 0;
    if (snip >= 2)
        rc = x12__check_hl(s, issues);
    if (!rc && snip >= 3)
        rc = x12__check_balance(s, issues);
    if (!rc && snip >= 4)
        rc = x12__check_situational(s, issues);
    if (!rc && snip >= 5)
        rc = x12__check_codes(s, issues);
    return rc;
}
