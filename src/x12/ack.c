/*
 * ack.c — writing the acknowledgments we send: the 999 (005010X231A1)
 * answering one functional group from its sets' issues, and the TA1
 * answering an interchange.
 *
 * A set's issues become its 2000 loop: AK2, then per segment position an
 * IK3 (one per segment-level code; an element-only problem gets IK304 8)
 * with, for a situational problem, the CTX naming its trigger
 * (SITUATIONAL TRIGGER: the segment, position, loop and element whose
 * content made the rule apply), then the business-unit CTX (CLM01 of the
 * 837 claim, CLP01 of the 835 claim payment); after the position's last
 * IK3 its IK4s, each with its own trigger CTX when it has one; then
 * IK5. Everything the 999 copies from the input (control numbers, the
 * claim id, optional IK404) is checked not to hold a delimiter of the
 * 999: X12 has no escape, so a value that would break it is left out.
 * The output is checked by the tests to parse and validate clean against
 * data/x12/999.tr3.
 */
#include "x12/internal.h"
#include "x12/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define TRY(x)              \
    do {                    \
        int rc_ = (x);      \
        if (rc_)            \
            return rc_;     \
    } while (0)

#define MAX_IK4 99      /* 2110 repeats at most 99 times per IK3 */

static const hxe_x12_delims default_delims = {'*', '^', ':', '~'};

/* Can v be written in the 999 as it is? */
static int safe(const hxe_x12_delims *d, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = v[i];
        unsigned char u = (unsigned char)c;
        if (c == d->es || c == d->cs || c == d->st || (d->rs && c == d->rs) || u < 0x20 ||
            u >= 0x7f)
            return 0;
    }
    return 1;
}

static void fill_opts(hxe_x12_ack_opts *o, const hxe_x12_ack_opts *in)
{
    if (in)
        *o = *in;
    else
        memset(o, 0, sizeof *o);
    if (!o->d.es || !o->d.cs || !o->d.st)
        o->d = default_delims;
    /* a date or time the caller gave that the ISA cannot hold: now */
    if (strlen(o->date) != 8 || !x12__is_date(hxe_slice_cstr(o->date)))
        o->date[0] = '\0';
    if (strlen(o->time) != 4 || !x12__is_time(hxe_slice_cstr(o->time)))
        o->time[0] = '\0';
    if (o->date[0] == '\0' || o->time[0] == '\0') {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        unsigned y = (unsigned)(tm.tm_year + 1900) % 10000u, mo = (unsigned)(tm.tm_mon + 1) % 100u,
                 dd = (unsigned)tm.tm_mday % 100u, hh = (unsigned)tm.tm_hour % 100u,
                 mm = (unsigned)tm.tm_min % 100u;
        if (o->date[0] == '\0')
            snprintf(o->date, sizeof o->date, "%04u%02u%02u", y, mo, dd);
        if (o->time[0] == '\0')
            snprintf(o->time, sizeof o->time, "%02u%02u", hh, mm);
    }
}

/* Appends one segment; trailing empty elements are dropped. NULL and
 * unsafe values are written empty. */
static int put_seg(hxe_buf *b, const hxe_x12_ack_opts *o, const char *id, const char *const *el,
                   int n)
{
    while (n > 0 && (!el[n - 1] || !el[n - 1][0]))
        n--;
    TRY(hxe_buf_puts(b, id));
    for (int i = 0; i < n; i++) {
        TRY(hxe_buf_putc(b, o->d.es));
        const char *v = el[i] ? el[i] : "";
        if (safe(&o->d, v, strlen(v)))
            TRY(hxe_buf_puts(b, v));
    }
    TRY(hxe_buf_putc(b, o->d.st));
    return o->newline ? hxe_buf_putc(b, '\n') : 0;
}

static uint64_t take(uint64_t *next)
{
    uint64_t v = *next;
    if (v == 0 || v > 999999999ULL)
        v = 1;
    *next = v + 1;
    return v;
}

/* A fixed-width ISA field: padded with blanks, unsafe bytes blanked. */
static void isa_field(char *dst, size_t width, const char *v, const hxe_x12_delims *d)
{
    size_t n = strlen(v);
    for (size_t i = 0; i < width; i++) {
        char c = i < n ? v[i] : ' ';
        dst[i] = safe(d, &c, 1) ? c : ' ';
    }
    dst[width] = '\0';
}

/* An interchange id qualifier the reader accepts (ISA05/07); others,
 * as read from a broken original, become ZZ (mutually defined). */
static const char *id_qual(const char *q)
{
    static const char *const ok[] = {"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (!strcmp(q, ok[i]))
            return q;
    return "ZZ";
}

/* ISA (sender and receiver of isa swapped) and, when fid, a GS. */
static int open_envelope(hxe_buf *b, const hxe_x12_ack_opts *o, const hxe_x12_interchange *isa,
                         const hxe_x12_group *gs, hxe_x12_ack_seq *seq, uint64_t *isa13,
                         uint64_t *gs06)
{
    char q5[3], id6[16], q7[3], id8[16];
    isa_field(q5, 2, id_qual(isa->receiver_qual), &o->d);
    isa_field(id6, 15, isa->receiver, &o->d);
    isa_field(q7, 2, id_qual(isa->sender_qual), &o->d);
    isa_field(id8, 15, isa->sender, &o->d);
    *isa13 = take(&seq->isa13);
    char usage = isa->usage == 'T' ? 'T' : 'P';
    char rs = o->d.rs ? o->d.rs : '^';
    TRY(hxe_buf_printf(b, "ISA%c00%c          %c00%c          %c%s%c%s%c%s%c%s%c%.6s%c%.4s%c%c%c00501%c%09llu%c0%c%c%c%c%c",
                       o->d.es, o->d.es, o->d.es, o->d.es, o->d.es, q5, o->d.es, id6, o->d.es, q7,
                       o->d.es, id8, o->d.es, o->date + 2, o->d.es, o->time, o->d.es, rs,
                       o->d.es, o->d.es, (unsigned long long)*isa13, o->d.es, o->d.es, usage,
                       o->d.es, o->d.cs, o->d.st));
    if (o->newline)
        TRY(hxe_buf_putc(b, '\n'));
    if (!gs)
        return 0;
    *gs06 = take(&seq->gs06);
    char ctl[12];
    snprintf(ctl, sizeof ctl, "%llu", (unsigned long long)*gs06);
    const char *el[] = {"FA", gs->receiver[0] ? gs->receiver : "UNKNOWN",
                        gs->sender[0] ? gs->sender : "UNKNOWN", o->date, o->time, ctl, "X",
                        "005010X231A1"};
    return put_seg(b, o, "GS", el, 8);
}

void hxe_x12_ack_init(hxe_x12_ack *k, const hxe_x12_interchange *isa, const hxe_x12_group *gs,
                      const hxe_x12_ack_opts *opts)
{
    memset(k, 0, sizeof *k);
    fill_opts(&k->o, opts);
    if (isa)
        k->isa = *isa;
    if (gs)
        k->gs = *gs;
    k->included = -1;
    hxe_buf_init(&k->body, 0);
}

void hxe_x12_ack_free(hxe_x12_ack *k)
{
    if (k)
        hxe_buf_free(&k->body);
}

void hxe_x12_ack_group_code(hxe_x12_ack *k, int code)
{
    if (hxe_x12_code_level(code) != HXE_X12_GRP)
        return;
    for (unsigned i = 0; i < k->ncodes; i++)
        if (k->codes[i] == code)
            return;
    if (k->ncodes < 5)
        k->codes[k->ncodes++] = (uint16_t)code;
    else
        k->ncodes = 5;   /* AK905-909: five at most; the group is rejected anyway */
}

void hxe_x12_ack_included(hxe_x12_ack *k, long long ge01) { k->included = ge01; }

/* ---- one set ---- */

typedef struct ent {
    const hxe_issue *it;
    size_t order;
    int other;     /* 1: about another segment than the one at its position
                      (a missing segment reported where it was expected) */
} ent;

/* By position; at one position the missing segments first, then the
 * segment's own segment-level problems, then its element problems, so
 * that IK4s follow the IK3 of their own segment. */
static int cmp_ent(const void *a, const void *b)
{
    const ent *x = a, *y = b;
    if (x->it->loc.seg_pos != y->it->loc.seg_pos)
        return x->it->loc.seg_pos < y->it->loc.seg_pos ? -1 : 1;
    if (x->other != y->other)
        return y->other - x->other;
    int lx = hxe_x12_code_level(x->it->code) == HXE_X12_SEG ? 0 : 1;
    int ly = hxe_x12_code_level(y->it->code) == HXE_X12_SEG ? 0 : 1;
    if (lx != ly)
        return lx - ly;
    return x->order < y->order ? -1 : x->order > y->order;
}

/* The element definition for issue it (component when it names one) */
static const x12t_elem *elem_def(const hxe_issue *it, int *repeats)
{
    *repeats = 0;
    const x12t_seg *sd = x12t_find_seg(it->loc.seg);
    if (!sd || it->loc.field < 1 || it->loc.field > sd->n)
        return NULL;
    const x12t_elem *e = &x12t_elems[sd->first + it->loc.field - 1];
    *repeats = e->rep > 1;
    if (e->comp) {
        const x12t_comp *c = &x12t_comps[e->comp - 1];
        unsigned ci = it->loc.comp ? it->loc.comp : 1;
        if (ci > c->n)
            return NULL;
        return &x12t_elems[c->first + ci - 1];
    }
    return e;
}

/* IK4 for an element issue */
static int put_ik4(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issue *it)
{
    int repeats;
    const x12t_elem *def = elem_def(it, &repeats);
    char pos[24], ref[8] = "", code[8], bad[100] = "";
    if (it->loc.comp && repeats && it->loc.rep)
        snprintf(pos, sizeof pos, "%u%c%u%c%u", (unsigned)it->loc.field, k->o.d.cs,
                 (unsigned)it->loc.comp, k->o.d.cs, (unsigned)it->loc.rep);
    else if (repeats && it->loc.rep)
        snprintf(pos, sizeof pos, "%u%c%c%u", (unsigned)it->loc.field, k->o.d.cs, k->o.d.cs,
                 (unsigned)it->loc.rep);
    else if (it->loc.comp)
        snprintf(pos, sizeof pos, "%u%c%u", (unsigned)it->loc.field, k->o.d.cs,
                 (unsigned)it->loc.comp);
    else
        snprintf(pos, sizeof pos, "%u", (unsigned)it->loc.field);
    if (def && def->ref)
        snprintf(ref, sizeof ref, "%u", (unsigned)def->ref);
    hxe_x12_code_str(it->code, code, sizeof code);
    int missing = it->code == HXE_X12_ELE_REQUIRED_MISSING ||
                  it->code == HXE_X12_ELE_CONDITIONAL_MISSING ||
                  it->code == HXE_X12_ELE_DEPENDENT_MISSING;
    if ((k->o.flags & HXE_X12_ACK_COPY_BAD_DATA) && !missing && it->loc.seg_pos >= 1 &&
        it->loc.seg_pos <= s->nseg) {
        const hxe_x12_seg *g = &s->segs[it->loc.seg_pos - 1];
        hxe_slice v = hxe_x12_component(g, &s->d, it->loc.field, it->loc.rep, it->loc.comp);
        if (v.n && v.n < sizeof bad && safe(&k->o.d, v.p, v.n)) {
            memcpy(bad, v.p, v.n);
            bad[v.n] = '\0';
        }
    }
    /* the pieces of pos are our own digits and cs: written as is */
    TRY(hxe_buf_printf(&k->body, "IK4%c%s", k->o.d.es, pos));
    const char *rest[] = {ref, code, bad};
    int n = bad[0] ? 3 : 2;
    for (int i = 0; i < n; i++) {
        TRY(hxe_buf_putc(&k->body, k->o.d.es));
        TRY(hxe_buf_puts(&k->body, rest[i]));
    }
    TRY(hxe_buf_putc(&k->body, k->o.d.st));
    if (k->o.newline)
        TRY(hxe_buf_putc(&k->body, '\n'));
    k->nseg++;
    return 0;
}

/* The SITUATIONAL TRIGGER CTX of a situational issue (2100 segment
 * context after its IK3, 2110 element context after its IK4): CTX02-04
 * the trigger segment's id, position and loop (loop ids longer than
 * IK303/CTX04's 4 characters left out, as in IK3), CTX05 its element
 * and component, CTX06 the element's reference number when it is a
 * simple element. Nothing is written when the issue has no trigger. */
static int put_trigger(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issue *it)
{
    uint32_t pos;
    unsigned e, c;
    if (!hxe_x12_trigger(it, &pos, &e, &c) || pos < 1 || pos > s->nseg || e > 99 || c > 99)
        return 0;
    static const char name[] = "SITUATIONAL TRIGGER";
    const hxe_x12_seg *g = &s->segs[pos - 1];
    if (strlen(g->id) < 2 || !safe(&k->o.d, g->id, strlen(g->id)) ||
        !safe(&k->o.d, name, sizeof name - 1))
        return 0;   /* (delimiters of the 999 that are letters or blanks) */
    char es = k->o.d.es, loop[8] = "", at[32] = "", ref[12] = "";
    uint32_t li = g->loop;
    if (s->loops && li < s->nloops && s->loops[li].id[0] && strlen(s->loops[li].id) <= 4 &&
        safe(&k->o.d, s->loops[li].id, strlen(s->loops[li].id)))
        snprintf(loop, sizeof loop, "%s", s->loops[li].id);
    if (e && c)
        snprintf(at, sizeof at, "%u%c%u", e, k->o.d.cs, c);
    else if (e)
        snprintf(at, sizeof at, "%u", e);
    const x12t_seg *sd = x12t_find_seg(g->id);
    if (e && !c && sd && e <= sd->n && x12t_elems[sd->first + e - 1].ref)
        snprintf(ref, sizeof ref, "%u", (unsigned)x12t_elems[sd->first + e - 1].ref);
    /* every piece is a segment id, our digits, a loop id or cs */
    TRY(hxe_buf_printf(&k->body, "CTX%c%s%c%s%c%u", es, name, es, g->id, es, (unsigned)pos));
    const char *rest[] = {loop, at, ref};
    int n = ref[0] ? 3 : at[0] ? 2 : loop[0] ? 1 : 0;
    for (int i = 0; i < n; i++) {
        TRY(hxe_buf_putc(&k->body, es));
        TRY(hxe_buf_puts(&k->body, rest[i]));
    }
    TRY(hxe_buf_putc(&k->body, k->o.d.st));
    if (k->o.newline)
        TRY(hxe_buf_putc(&k->body, '\n'));
    k->nseg++;
    return 0;
}

/* The business unit CTX of segment position pos: "CLM01" and the claim's
 * id, or 0 when there is none (or it cannot be written). */
static int business_unit(const hxe_x12_ack *k, const hxe_x12_set *s, size_t pos, char *name,
                         char *val, size_t size)
{
    if (!s->loops || pos < 1 || pos > s->nseg)
        return 0;
    const char *loop, *seg, *ename;
    if (!strcmp(s->id, "837")) {
        loop = "2300", seg = "CLM", ename = "CLM01";
    } else if (!strcmp(s->id, "835")) {
        loop = "2100", seg = "CLP", ename = "CLP01";
    } else {
        return 0;
    }
    size_t li = x12__ancestor(s, pos - 1, loop);
    if (li == (size_t)-1)
        return 0;
    size_t c = x12__seg_in_loop(s, li, seg);
    if (c == (size_t)-1)
        return 0;
    hxe_slice v = hxe_x12_element(&s->segs[c], &s->d, 1);
    /* C998-2 is AN 1/35 */
    if (!v.n || v.n > 35 || v.n >= size || !safe(&k->o.d, v.p, v.n))
        return 0;
    memcpy(val, v.p, v.n);
    val[v.n] = '\0';
    strcpy(name, ename);
    return 1;
}

static int put_ik3(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issue *it, int code)
{
    char id[4], pos[12], loop[8] = "", c[8];
    snprintf(id, sizeof id, "%s", it->loc.seg);
    if (!id[0] && it->loc.seg_pos >= 1 && it->loc.seg_pos <= s->nseg) {
        /* a malformed id: the letters and digits it starts with */
        const hxe_x12_seg *g = &s->segs[it->loc.seg_pos - 1];
        size_t n = 0;
        while (n < 3 && n < g->n && x12__alnum(g->p[n]))
            n++;
        memcpy(id, g->p, n);
        id[n] = '\0';
    }
    if (strlen(id) < 2)
        return 0;   /* nothing the 999 could name; IK5 still rejects the set */
    /* the id is written as read: it must be letters and digits */
    for (const char *q = id; *q; q++)
        if (!x12__alnum(*q))
            return 0;
    snprintf(pos, sizeof pos, "%u", (unsigned)it->loc.seg_pos);
    if (s->loops && it->loc.seg_pos >= 1 && it->loc.seg_pos <= s->nseg) {
        uint32_t li = s->segs[it->loc.seg_pos - 1].loop;
        /* IK303 (447) is AN 1/4 in the dictionary: longer loop ids
         * (2010AA) are left out rather than cut */
        if (li < s->nloops && s->loops[li].id[0] && strlen(s->loops[li].id) <= 4)
            snprintf(loop, sizeof loop, "%s", s->loops[li].id);
    }
    hxe_x12_code_str(code, c, sizeof c);
    const char *el[] = {id, pos, loop, c};
    TRY(put_seg(&k->body, &k->o, "IK3", el, 4));
    k->nseg++;
    if (hxe_x12_code_level(it->code) == HXE_X12_SEG && code == it->code)
        TRY(put_trigger(k, s, it));
    char name[8], val[40];
    if (business_unit(k, s, it->loc.seg_pos, name, val, sizeof val)) {
        TRY(hxe_buf_printf(&k->body, "CTX%c%s%c%s%c", k->o.d.es, name, k->o.d.cs, val, k->o.d.st));
        if (k->o.newline)
            TRY(hxe_buf_putc(&k->body, '\n'));
        k->nseg++;
    }
    return 1;
}

static int set_body(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issues *is, ent *v, size_t nv,
                    char *ik501)
{
    /* AK2 */
    hxe_slice st03 = s->nseg ? hxe_x12_element(&s->segs[0], &s->d, 3) : HXE_SLICE_EMPTY;
    char guide[36];
    x12__copy(guide, sizeof guide, st03);
    const char *ak2[] = {s->id, s->control, guide};
    TRY(put_seg(&k->body, &k->o, "AK2", ak2, 3));
    k->nseg++;

    int errors = 0, noted = 0;
    uint16_t codes[5];
    unsigned ncodes = 0;
    for (size_t i = 0; is && i < is->n; i++) {
        const hxe_issue *it = &is->v[i];
        if (it->severity < HXE_SEV_WARNING)
            continue;
        if (it->severity >= HXE_SEV_ERROR)
            errors = 1;
        else
            noted = 1;
        if (hxe_x12_code_level(it->code) == HXE_X12_SET) {
            int dup = 0;
            for (unsigned j = 0; j < ncodes; j++)
                dup |= codes[j] == it->code;
            if (!dup && ncodes < 5)
                codes[ncodes++] = it->code;
        }
    }
    if (is && is->dropped && is->errors)
        errors = 1;
    /* IK3 / IK4, by segment position */
    int seg_problems = 0;
    for (size_t i = 0; i < nv;) {
        uint32_t pos = v[i].it->loc.seg_pos;
        size_t j = i;
        while (j < nv && v[j].it->loc.seg_pos == pos)
            j++;
        /* an IK3 written / tried for this position, and for which segment */
        int wrote = 0, tried = 0;
        const char *cur = NULL;
        size_t ik4 = 0;
        seg_problems = 1;
        for (size_t x = i; x < j; x++) {
            const hxe_issue *it = v[x].it;
            if (hxe_x12_code_level(it->code) == HXE_X12_SEG) {
                int dup = 0;
                for (size_t y = i; y < x; y++)
                    dup |= v[y].it->code == it->code && !strcmp(v[y].it->loc.seg, it->loc.seg);
                if (dup)
                    continue;
                int r = put_ik3(k, s, it, it->code);
                if (r < 0)
                    return r;
                wrote = r;
                tried = 1;
                cur = it->loc.seg;
            } else {
                if (!tried || strcmp(cur, it->loc.seg) != 0) {
                    int r = put_ik3(k, s, it, HXE_X12_SEG_ELEMENT_ERRORS);
                    if (r < 0)
                        return r;
                    wrote = r;
                    tried = 1;
                    cur = it->loc.seg;
                }
                /* IK4s follow the position's last IK3; none without one */
                if (wrote && it->loc.field && it->loc.field <= 99 && it->loc.comp <= 99 &&
                    ik4 < MAX_IK4) {   /* C030-1, -2 are N0 1/2 */
                    TRY(put_ik4(k, s, it));
                    TRY(put_trigger(k, s, it));
                    ik4++;
                }
            }
        }
        i = j;
    }
    if (seg_problems) {
        int dup = 0;
        for (unsigned j = 0; j < ncodes; j++)
            dup |= codes[j] == HXE_X12_SET_SEGMENTS_IN_ERROR;
        if (!dup && ncodes < 5)
            codes[ncodes++] = HXE_X12_SET_SEGMENTS_IN_ERROR;
    }
    *ik501 = errors ? 'R' : noted ? 'E' : 'A';
    char ak[2] = {*ik501, 0};
    char cs[5][8];
    const char *ik5[6] = {ak};
    for (unsigned j = 0; j < ncodes; j++)
        ik5[j + 1] = hxe_x12_code_str(codes[j], cs[j], sizeof cs[j]);
    TRY(put_seg(&k->body, &k->o, "IK5", ik5, 1 + (int)ncodes));
    k->nseg++;
    return 0;
}

int hxe_x12_ack_set(hxe_x12_ack *k, const hxe_x12_set *s, const hxe_issues *issues)
{
    /* segment and element problems, ordered by position */
    size_t n = 0;
    ent *v = NULL;
    if (issues && issues->n) {
        v = hxe_malloc(issues->n * sizeof *v);
        if (!v) {
            k->failed = HXE_ENOMEM;
            return HXE_ENOMEM;
        }
        for (size_t i = 0; i < issues->n; i++) {
            const hxe_issue *it = &issues->v[i];
            int l = hxe_x12_code_level(it->code);
            if (it->severity >= HXE_SEV_WARNING && it->loc.seg_pos &&
                (l == HXE_X12_SEG || l == HXE_X12_ELE))
                v[n++] = (ent){it, i,
                               it->loc.seg_pos <= s->nseg &&
                                   strcmp(it->loc.seg, s->segs[it->loc.seg_pos - 1].id) != 0};
        }
        qsort(v, n, sizeof *v, cmp_ent);
    }
    size_t mark = k->body.len, nseg = k->nseg;
    char ik501 = 'R';
    int rc = set_body(k, s, issues, v, n, &ik501);
    hxe_free(v);
    if (rc) {
        hxe_buf_truncate(&k->body, mark);
        k->nseg = nseg;
        k->failed = rc;
        return rc;
    }
    k->received++;
    if (ik501 != 'R')
        k->accepted++;
    if (ik501 == 'E')
        k->noted++;
    return ik501;
}

char hxe_x12_ack_status(const hxe_x12_ack *k)
{
    if (k->ncodes)
        return 'R';
    if (k->accepted == k->received)
        return k->noted ? 'E' : 'A';
    return k->accepted ? 'P' : 'R';
}

int hxe_x12_ack_finish(hxe_x12_ack *k, hxe_x12_ack_seq *seq, hxe_buf *out)
{
    if (k->failed)
        return k->failed;
    const hxe_x12_ack_opts *o = &k->o;
    size_t mark = out->len;
    uint64_t isa13 = 0, gs06 = 0;
    int rc = open_envelope(out, o, &k->isa, &k->gs, seq, &isa13, &gs06);
    uint64_t st = take(&seq->st02);
    char st02[12], n1[24], n2[24], n3[24];
    snprintf(st02, sizeof st02, "%04llu", (unsigned long long)st);
    if (!rc) {
        const char *el[] = {"999", st02, "005010X231A1"};
        rc = put_seg(out, o, "ST", el, 3);
    }
    if (!rc) {
        const char *el[] = {k->gs.functional_id, k->gs.control, k->gs.version};
        rc = put_seg(out, o, "AK1", el, 3);
    }
    rc = rc ? rc : hxe_buf_append(out, k->body.p ? k->body.p : "", k->body.len);
    if (!rc) {
        char st9[2] = {hxe_x12_ack_status(k), 0};
        long long inc = k->included >= 0 ? k->included : (long long)k->received;
        snprintf(n1, sizeof n1, "%lld", inc > 999999 ? 999999 : inc);
        snprintf(n2, sizeof n2, "%zu", k->received > 999999 ? (size_t)999999 : k->received);
        snprintf(n3, sizeof n3, "%zu", k->accepted > 999999 ? (size_t)999999 : k->accepted);
        char cs[5][8];
        const char *el[9] = {st9, n1, n2, n3};
        for (unsigned j = 0; j < k->ncodes; j++)
            el[4 + j] = hxe_x12_code_str(k->codes[j], cs[j], sizeof cs[j]);
        rc = put_seg(out, o, "AK9", el, 4 + (int)k->ncodes);
    }
    if (!rc) {
        snprintf(n1, sizeof n1, "%zu", k->nseg + 4);   /* ST AK1 AK9 SE */
        const char *el[] = {n1, st02};
        rc = put_seg(out, o, "SE", el, 2);
    }
    if (!rc) {
        snprintf(n1, sizeof n1, "%llu", (unsigned long long)gs06);
        const char *el[] = {"1", n1};
        rc = put_seg(out, o, "GE", el, 2);
    }
    if (!rc) {
        snprintf(n1, sizeof n1, "%09llu", (unsigned long long)isa13);
        const char *el[] = {"1", n1};
        rc = put_seg(out, o, "IEA", el, 2);
    }
    if (rc)
        hxe_buf_truncate(out, mark);
    return rc;
}

/* ---- TA1 ---- */

int hxe_x12_ta1_status(const hxe_x12_interchange *isa, const hxe_issue *v, size_t n, char *ack,
                       int *code)
{
    *ack = 'A';
    *code = HXE_X12_TA1;
    int errors = 0, reject = 0;
    for (size_t i = 0; i < n; i++) {
        if (hxe_x12_code_level(v[i].code) != HXE_X12_TA1 || v[i].severity < HXE_SEV_ERROR)
            continue;
        if (!errors)
            *code = v[i].code;
        errors = 1;
        if (v[i].code != HXE_X12_TA1_DUPLICATE && v[i].code != HXE_X12_TA1_GROUP_COUNT)
            reject = 1;
    }
    if (errors)
        *ack = reject ? 'R' : 'E';
    return errors || (isa && isa->ack_requested == '1');
}

int hxe_x12_ta1_write(const hxe_x12_interchange *isa, char ack, int code,
                      const hxe_x12_ack_opts *opts, hxe_x12_ack_seq *seq, hxe_buf *out)
{
    hxe_x12_ack_opts o;
    fill_opts(&o, opts);
    size_t mark = out->len;
    uint64_t isa13 = 0, gs06 = 0;
    int rc = open_envelope(out, &o, isa, NULL, seq, &isa13, &gs06);
    /* TA101-103 must have their fixed shapes: what the ISA held when it
     * did, zeros when it was too broken to say */
    char ctl[10], date[7], tm[5], ak[2] = {ack, 0}, note[8];
    hxe_slice c = hxe_slice_cstr(isa->control), dt = hxe_slice_cstr(isa->date),
              ti = hxe_slice_cstr(isa->time);
    snprintf(ctl, sizeof ctl, "%s", c.n == 9 && x12__digits(c) ? isa->control : "000000000");
    snprintf(date, sizeof date, "%s",
             dt.n == 6 && x12__is_date(dt) ? isa->date : "000101");
    snprintf(tm, sizeof tm, "%s", ti.n == 4 && x12__is_time(ti) ? isa->time : "0000");
    snprintf(note, sizeof note, "%03d", code - HXE_X12_TA1 >= 0 && code - HXE_X12_TA1 < 1000
                                            ? code - HXE_X12_TA1 : 0);
    if (!rc) {
        const char *el[] = {ctl, date, tm, ak, note};
        rc = put_seg(out, &o, "TA1", el, 5);
    }
    if (!rc) {
        char n1[12];
        snprintf(n1, sizeof n1, "%09llu", (unsigned long long)isa13);
        const char *el[] = {"0", n1};
        rc = put_seg(out, &o, "IEA", el, 2);
    }
    if (rc)
        hxe_buf_truncate(out, mark);
    return rc;
}
