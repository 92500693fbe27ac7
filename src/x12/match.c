/*
 * match.c — reading the answers we receive and matching them to what we
 * sent: a TA1 answers an interchange (TA101 = our ISA13), a 999 a set
 * (AK102 = our GS06, AK202 = our ST02), a 277CA a claim (the 2200D TRN02
 * is the patient control number, our CLM01).
 *
 * The caller keeps a small index of what it sent (hxe_x12_sent); the
 * answers list one entry per set or claim answered with its status and
 * its problems as hxe_issues carrying the X12 codes, with the position
 * and element of a SITUATIONAL TRIGGER CTX (hxe_x12_trigger). No value
 * is copied from IK404 or CTX: those may hold patient data.
 */
#include "x12/internal.h"

#include <stdio.h>
#include <stdlib.h>

#define NONE ((size_t)-1)

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    void *p = hxe_realloc(*v, nc * size);
    if (!p)
        return -1;
    *v = p;
    *cap = nc;
    return 0;
}

static int copy_id(char *dst, size_t size, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n >= size)
        return HXE_EINVAL;
    memcpy(dst, s ? s : "", n);
    dst[n] = '\0';
    return 0;
}

static int over(const hxe_x12_sent *st)
{
    size_t max = st->max ? st->max : 10000000;
    return st->nsets + st->nclaims >= max;
}

int hxe_x12_sent_add(hxe_x12_sent *st, const char *interchange, const char *group,
                     const char *control, const char *id, void *data)
{
    if (over(st))
        return HXE_ETOOBIG;
    if (grow((void **)&st->sets, &st->cap, st->nsets, sizeof *st->sets))
        return HXE_ENOMEM;
    hxe_x12_sent_set *s = &st->sets[st->nsets];
    memset(s, 0, sizeof *s);
    if (copy_id(s->interchange, sizeof s->interchange, interchange) ||
        copy_id(s->group, sizeof s->group, group) ||
        copy_id(s->control, sizeof s->control, control) || copy_id(s->id, sizeof s->id, id))
        return HXE_EINVAL;
    s->data = data;
    return (int)st->nsets++;
}

int hxe_x12_sent_add_claim(hxe_x12_sent *st, size_t set, const char *clm01)
{
    if (set >= st->nsets)
        return HXE_EINVAL;
    if (over(st))
        return HXE_ETOOBIG;
    if (grow((void **)&st->claims, &st->claim_cap, st->nclaims, sizeof *st->claims))
        return HXE_ENOMEM;
    hxe_x12_sent_claim *c = &st->claims[st->nclaims];
    if (copy_id(c->id, sizeof c->id, clm01))
        return HXE_EINVAL;
    c->set = set;
    st->nclaims++;
    return 0;
}

void hxe_x12_sent_free(hxe_x12_sent *st)
{
    if (!st)
        return;
    hxe_free(st->sets);
    hxe_free(st->claims);
    memset(st, 0, sizeof *st);
}

int hxe_x12_sent_add_x12(hxe_x12_sent *st, const char *buf, size_t len, hxe_err *err)
{
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, buf, len, NULL, NULL);
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    int rc = 0;
    for (;;) {
        hxe_x12_set *s = NULL;
        int k = hxe_x12_reader_next(&r, &a, &s, NULL, err);
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        if (k != HXE_X12_UNIT_SET)
            continue;
        int idx = hxe_x12_sent_add(st, s->isa.control, s->gs.control, s->control, s->id, NULL);
        if (idx < 0) {
            rc = hxe_err_set(err, idx, "set %zu: cannot index it (%s)", r.sets, hxe_strerror(idx));
            break;
        }
        for (size_t j = 0; !rc && j < s->nseg && !strcmp(s->id, "837"); j++) {
            if (strcmp(s->segs[j].id, "CLM") != 0)
                continue;
            char id[39];
            hxe_slice v = hxe_x12_element(&s->segs[j], &s->d, 1);
            if (!v.n || v.n >= sizeof id)
                continue;
            x12__copy(id, sizeof id, v);
            int c = hxe_x12_sent_add_claim(st, (size_t)idx, id);
            if (c)
                rc = hxe_err_set(err, c, "set %zu: cannot index its claims", r.sets);
        }
        if (rc)
            break;
        hxe_arena_reset(&a);
    }
    hxe_arena_free(&a);
    return rc;
}

void hxe_x12_answers_free(hxe_x12_answers *a)
{
    if (!a)
        return;
    hxe_free(a->v);
    hxe_issues_free(&a->issues);
    memset(a, 0, sizeof *a);
}

/* ---- matching ---- */

typedef struct mctx {
    const hxe_x12_sent *st;
    hxe_x12_answers *out;
    const hxe_x12_sent_claim **claim_order;  /* claims sorted by id */
    unsigned char *answered;   /* per sent set, in the current 999 */
} mctx;

/* An X12 ack code ("5", "I4", "024") at level, or 0 when it is none */
static int parse_code(int level, hxe_slice v)
{
    if (!v.n || v.n > 4)
        return 0;
    int add = 0;
    if (v.p[0] == 'I') {
        add = 500;
        v.p++;
        v.n--;
    }
    long long n = x12__num(v);
    if (n < 0 || n > 499)
        return 0;
    return level + add + (int)n;
}

/* A new answer carried by response r (its control numbers are noted) */
static hxe_x12_answer *answer(mctx *m, const hxe_x12_set *r, int kind, size_t sent, char status)
{
    hxe_x12_answers *o = m->out;
    if (grow((void **)&o->v, &o->cap, o->n, sizeof *o->v))
        return NULL;
    hxe_x12_answer *a = &o->v[o->n++];
    memset(a, 0, sizeof *a);
    a->kind = kind;
    a->sent = sent;
    a->status = status;
    a->first = o->issues.n;
    memcpy(a->by_interchange, r->isa.control, sizeof a->by_interchange);
    if (kind != HXE_X12_ANSWER_TA1) {
        memcpy(a->by_group, r->gs.control, sizeof a->by_group);
        memcpy(a->by_control, r->control, sizeof a->by_control);
    }
    return a;
}

static void close_answer(mctx *m, hxe_x12_answer *a)
{
    if (a)
        a->n = m->out->issues.n - a->first;
}

static hxe_loc loc_at(const char *seg, uint32_t pos)
{
    hxe_loc l = hxe_loc_none();
    snprintf(l.seg, sizeof l.seg, "%s", seg);
    l.seg_pos = pos;
    return l;
}

static int on_ta1(mctx *m, const hxe_x12_set *s)
{
    const hxe_x12_seg *g = &s->segs[0];
    char ctl[10], ack;
    x12__copy(ctl, sizeof ctl, hxe_x12_element(g, &s->d, 1));
    hxe_slice a = hxe_x12_element(g, &s->d, 4);
    ack = a.n ? a.p[0] : '?';
    int code = parse_code(HXE_X12_TA1, hxe_x12_element(g, &s->d, 5));
    size_t found = 0;
    for (size_t i = 0; i <= m->st->nsets; i++) {
        int last = i == m->st->nsets;
        if (last ? found : strcmp(m->st->sets[i].interchange, ctl) != 0)
            continue;
        hxe_x12_answer *an = answer(m, s, HXE_X12_ANSWER_TA1, last ? NONE : i, ack);
        if (!an)
            return HXE_ENOMEM;
        memcpy(an->interchange, ctl, sizeof ctl);
        if (code && code != HXE_X12_TA1) {
            hxe_loc l = loc_at("TA1", 0);
            l.field = 5;
            hxe_issues_add(&m->out->issues, ack == 'A' ? HXE_SEV_INFO : HXE_SEV_ERROR, code, &l,
                           "TA1: interchange note code");
        }
        close_answer(m, an);
        found++;
    }
    return 0;
}

static size_t find_set(const mctx *m, const char *group, hxe_slice control, hxe_slice id)
{
    for (size_t i = 0; i < m->st->nsets; i++) {
        const hxe_x12_sent_set *s = &m->st->sets[i];
        if (!strcmp(s->group, group) && x12__eq(control, s->control) &&
            (!id.n || !s->id[0] || x12__eq(id, s->id)))
            return i;
    }
    return NONE;
}

static int on_999(mctx *m, const hxe_x12_set *s)
{
    const hxe_x12_delims *d = &s->d;
    char group[10] = "";
    hxe_x12_answer *an = NULL;
    size_t an_i = NONE;
    char ik3_seg[4] = "";
    uint32_t ik3_pos = 0;
    if (m->st->nsets)
        memset(m->answered, 0, m->st->nsets);
    for (size_t k = 0; k < s->nseg; k++) {
        const hxe_x12_seg *g = &s->segs[k];
        hxe_issues *is = &m->out->issues;
        if (!strcmp(g->id, "AK1")) {
            x12__copy(group, sizeof group, hxe_x12_element(g, d, 2));
        } else if (!strcmp(g->id, "AK2")) {
            if (an)
                close_answer(m, &m->out->v[an_i]);
            hxe_slice ctl = hxe_x12_element(g, d, 2);
            size_t i = find_set(m, group, ctl, hxe_x12_element(g, d, 1));
            an = answer(m, s, HXE_X12_ANSWER_999, i, '?');
            if (!an)
                return HXE_ENOMEM;
            an_i = m->out->n - 1;
            memcpy(an->group, group, sizeof group);
            x12__copy(an->control, sizeof an->control, ctl);
            if (i != NONE)
                m->answered[i] = 1;
        } else if (!an) {
            /* before any AK2: AK9 handled below */
        } else if (!strcmp(g->id, "IK3")) {
            x12__copy(ik3_seg, sizeof ik3_seg, hxe_x12_element(g, d, 1));
            long long pos = x12__num(hxe_x12_element(g, d, 2));
            ik3_pos = pos > 0 && pos < 0x7fffffff ? (uint32_t)pos : 0;
            char loop[8];
            x12__copy(loop, sizeof loop, hxe_x12_element(g, d, 3));
            int code = parse_code(HXE_X12_SEG, hxe_x12_element(g, d, 4));
            hxe_loc l = loc_at(ik3_seg, ik3_pos);
            for (char *p = loop; *p; p++)
                if (!x12__alnum(*p))
                    *p = '?';
            hxe_issues_add(is, HXE_SEV_ERROR, code ? code : HXE_X12_SEG_ELEMENT_ERRORS, &l,
                           "999 IK3: segment %s at position %u%s%s", l.seg[0] ? l.seg : "?",
                           (unsigned)ik3_pos, loop[0] ? " in loop " : "", loop);
        } else if (!strcmp(g->id, "IK4")) {
            hxe_loc l = loc_at(ik3_seg, ik3_pos);
            long long e = x12__num(hxe_x12_component(g, d, 1, 0, 1));
            long long c = x12__num(hxe_x12_component(g, d, 1, 0, 2));
            long long r = x12__num(hxe_x12_component(g, d, 1, 0, 3));
            l.field = e > 0 && e < 1000 ? (uint16_t)e : 0;
            l.comp = c > 0 && c < 1000 ? (uint16_t)c : 0;
            l.rep = r > 0 && r < 10000 ? (uint16_t)r : 0;
            int code = parse_code(HXE_X12_ELE, hxe_x12_element(g, d, 3));
            hxe_issues_add(is, HXE_SEV_ERROR, code ? code : HXE_X12_ELE, &l,
                           "999 IK4: element %s%02u%s", l.seg[0] ? l.seg : "?", (unsigned)l.field,
                           l.comp ? " component" : "");
        } else if (!strcmp(g->id, "CTX") && is->n > m->out->v[an_i].first &&
                   x12__eq(hxe_x12_component(g, d, 1, 0, 1), "SITUATIONAL TRIGGER")) {
            /* the trigger of the IK3 or IK4 just read: its position and
             * element (hxe_x12_trigger reads them back); no values */
            hxe_issue *last = &is->v[is->n - 1];
            long long pos = x12__num(hxe_x12_element(g, d, 3));
            hxe_slice ev = hxe_x12_component(g, d, 5, 0, 1), cv = hxe_x12_component(g, d, 5, 0, 2);
            long long e = ev.n ? x12__num(ev) : 0, c = cv.n ? x12__num(cv) : 0;
            if (pos > 0 && pos < 0x7fffffff && e >= 0 && e < 256 && c >= 0 && c < 256) {
                last->loc.seg_seq = (uint32_t)pos;
                last->loc.sub = (uint16_t)(e << 8 | c);
            }
        } else if (!strcmp(g->id, "IK5")) {
            hxe_slice a = hxe_x12_element(g, d, 1);
            an = &m->out->v[an_i];
            an->status = a.n ? a.p[0] : '?';
            for (unsigned e = 2; e <= 6; e++) {
                int code = parse_code(HXE_X12_SET, hxe_x12_element(g, d, e));
                if (!code)
                    continue;
                hxe_loc l = loc_at("IK5", 0);
                l.field = (uint16_t)e;
                hxe_issues_add(is, an->status == 'A' ? HXE_SEV_INFO : HXE_SEV_ERROR, code, &l,
                               "999 IK5: transaction set code");
            }
            close_answer(m, an);
            an = NULL;
        }
        if (!strcmp(g->id, "AK9")) {
            if (an)
                close_answer(m, &m->out->v[an_i]);
            an = NULL;
            /* sets of this group the 999 names no AK2 for: the group's
             * outcome is theirs (a group rejected whole lists none) */
            hxe_slice a = hxe_x12_element(g, d, 1);
            char st = a.n ? a.p[0] : '?';
            if (st != 'A' && st != 'R')
                continue;
            for (size_t i = 0; i < m->st->nsets; i++) {
                if (m->answered[i] || strcmp(m->st->sets[i].group, group) != 0)
                    continue;
                hxe_x12_answer *x = answer(m, s, HXE_X12_ANSWER_999, i, st);
                if (!x)
                    return HXE_ENOMEM;
                memcpy(x->group, group, sizeof group);
                memcpy(x->control, m->st->sets[i].control, sizeof x->control);
                for (unsigned e = 5; e <= 9; e++) {
                    int code = parse_code(HXE_X12_GRP, hxe_x12_element(g, d, e));
                    if (!code)
                        continue;
                    hxe_loc l = loc_at("AK9", 0);
                    l.field = (uint16_t)e;
                    hxe_issues_add(&m->out->issues, HXE_SEV_ERROR, code, &l,
                                   "999 AK9: functional group code");
                }
                close_answer(m, x);
            }
        }
    }
    if (an)
        close_answer(m, &m->out->v[an_i]);
    return 0;
}

static int cmp_claim(const void *a, const void *b)
{
    const hxe_x12_sent_claim *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

static size_t find_claim(const mctx *m, const char *id)
{
    size_t lo = 0, hi = m->st->nclaims;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(id, m->claim_order[mid]->id);
        if (r == 0)
            return m->claim_order[mid]->set;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NONE;
}

/* STC01-1 category: accepted (A1 received, A2 accepted, A5 split),
 * rejected (A3, A4, A6, A7, A8), else other */
static char stc_status(hxe_slice cat)
{
    if (x12__eq(cat, "A1") || x12__eq(cat, "A2") || x12__eq(cat, "A5"))
        return 'A';
    if (x12__eq(cat, "A3") || x12__eq(cat, "A4") || x12__eq(cat, "A6") || x12__eq(cat, "A7") ||
        x12__eq(cat, "A8"))
        return 'R';
    return 'E';
}

static int code_ok(hxe_slice v)
{
    if (!v.n || v.n > 8)
        return 0;
    for (size_t i = 0; i < v.n; i++)
        if (!x12__alnum(v.p[i]))
            return 0;
    return 1;
}

static int on_277(mctx *m, hxe_x12_set *s, hxe_arena *a)
{
    if (hxe_x12_parse_loops(s, a, NULL, NULL) || !s->loops)
        return 0;
    const hxe_x12_delims *d = &s->d;
    hxe_x12_answer *an = NULL;
    uint32_t an_loop = 0;
    for (size_t k = 0; k < s->nseg; k++) {
        const hxe_x12_seg *g = &s->segs[k];
        uint32_t li = g->loop;
        if (li >= s->nloops || strcmp(s->loops[li].id, "2200D") != 0)
            continue;
        if (!strcmp(g->id, "TRN") && x12__eq(hxe_x12_element(g, d, 1), "2")) {
            close_answer(m, an);
            char id[39];
            hxe_slice v = hxe_x12_element(g, d, 2);
            x12__copy(id, sizeof id, v);
            size_t set = v.n < sizeof id ? find_claim(m, id) : NONE;
            an = answer(m, s, HXE_X12_ANSWER_277CA, set, 0);
            if (!an)
                return HXE_ENOMEM;
            memcpy(an->claim, id, sizeof id);
            if (set != NONE) {
                memcpy(an->interchange, m->st->sets[set].interchange, sizeof an->interchange);
                memcpy(an->group, m->st->sets[set].group, sizeof an->group);
                memcpy(an->control, m->st->sets[set].control, sizeof an->control);
            }
            an_loop = li;
        } else if (!strcmp(g->id, "STC") && an && li == an_loop) {
            static const unsigned els[] = {1, 10, 11};
            for (size_t j = 0; j < 3; j++) {
                hxe_slice cat = hxe_x12_component(g, d, els[j], 0, 1);
                hxe_slice code = hxe_x12_component(g, d, els[j], 0, 2);
                if (!code_ok(cat))
                    continue;
                char st = stc_status(cat);
                if (!an->status || st == 'R' || (st == 'E' && an->status == 'A'))
                    an->status = st;
                hxe_loc l = loc_at("STC", (uint32_t)(k + 1));
                l.field = (uint16_t)els[j];
                hxe_issues_add(&m->out->issues, st == 'A' ? HXE_SEV_INFO : HXE_SEV_ERROR, 0, &l,
                               "277CA STC%02u %.*s:%.*s", els[j], (int)cat.n, cat.p,
                               code_ok(code) ? (int)code.n : 0, code.p);
            }
        }
    }
    close_answer(m, an);
    return 0;
}

int hxe_x12_match(const hxe_x12_sent *st, const char *buf, size_t len, hxe_x12_answers *out,
                  hxe_err *err)
{
    mctx m;
    memset(&m, 0, sizeof m);
    m.st = st;
    m.out = out;
    m.answered = hxe_calloc(st->nsets ? st->nsets : 1, 1);
    m.claim_order = hxe_malloc((st->nclaims ? st->nclaims : 1) * sizeof *m.claim_order);
    if (!m.answered || !m.claim_order) {
        hxe_free(m.answered);
        hxe_free(m.claim_order);
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < st->nclaims; i++)
        m.claim_order[i] = &st->claims[i];
    qsort(m.claim_order, st->nclaims, sizeof *m.claim_order, cmp_claim);

    hxe_x12_reader r;
    hxe_x12_reader_init(&r, buf, len, NULL, NULL);
    hxe_arena a;
    hxe_arena_init(&a, 64 * 1024, 0);
    int rc = 0;
    for (;;) {
        hxe_x12_set *s = NULL;
        int k = hxe_x12_reader_next(&r, &a, &s, NULL, err);
        if (k < 0) {
            rc = k;
            break;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        if (k == HXE_X12_UNIT_TA1)
            rc = on_ta1(&m, s);
        else if (!strcmp(s->id, "999"))
            rc = on_999(&m, s);
        else if (!strcmp(s->id, "277"))
            rc = on_277(&m, s, &a);
        if (rc) {
            hxe_err_set(err, rc, "out of memory listing the answers");
            break;
        }
        hxe_arena_reset(&a);
    }
    if (!rc && !r.interchanges)
        rc = hxe_err_set(err, HXE_EPARSE, "no interchange (ISA) found");
    hxe_arena_free(&a);
    hxe_free(m.answered);
    hxe_free(m.claim_order);
    return rc;
}
