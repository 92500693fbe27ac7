/*
 * reader.c — tokenizing X12 and checking its envelopes, one transaction
 * set at a time.
 *
 * The delimiters come from each ISA: the element separator is its 4th
 * byte, ISA11 the repetition separator (5010), ISA16 the component
 * separator and the byte after it the segment terminator. CR/LF (and
 * blanks) after a terminator belong to no segment: they are kept as the
 * segment's tail so a file writes back byte for byte.
 *
 * The reader keeps only the envelope state (current ISA and GS, counts);
 * a set's segments are an array in the caller's arena. Envelope problems
 * go to the reader's issues with TA1 (TA105) and AK9 (AK905) codes; the
 * ST/SE checks of a set go to the set's issues with IK5 (IK502) codes.
 */
#include "x12/internal.h"

#include <stdio.h>

/* Fixed positions of the 16 element separators in a 106-byte ISA */
static const unsigned char isa_seps[16] = {3, 6, 17, 20, 31, 34, 50, 53,
                                           69, 76, 81, 83, 89, 99, 101, 103};
static const unsigned char isa_width[16] = {2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1};
/* TA105 code for a bad ISA element 1..16 */
static const unsigned char isa_code[16] = {10, 11, 12, 13, 5, 6, 7, 8,
                                           14, 15, 16, 17, 18, 19, 20, 27};

static int delim_ok(char c)
{
    unsigned char u = (unsigned char)c;
    return !x12__alnum(c) && u != ' ' && u != 0;
}

static hxe_issue *env_issue(hxe_x12_reader *r, int code, const char *seg, unsigned e,
                            size_t off, const char *fmt, ...) HXE_PRINTF(6, 7);

static hxe_issue *env_issue(hxe_x12_reader *r, int code, const char *seg, unsigned e,
                            size_t off, const char *fmt, ...)
{
    if (!r->issues)
        return NULL;
    hxe_loc l = hxe_loc_none();
    snprintf(l.seg, sizeof l.seg, "%s", seg);
    l.field = (uint16_t)e;
    l.offset = off;
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hxe_issue *it = hxe_issues_add(r->issues, HXE_SEV_ERROR, code, &l, "%s", text);
    if (it)
        it->reject = 1;
    return it;
}

int hxe_x12_read_delims(hxe_x12_delims *out, const char *p, size_t n, hxe_err *err)
{
    memset(out, 0, sizeof *out);
    if (n < 4 || memcmp(p, "ISA", 3) != 0)
        return hxe_err_set(err, HXE_EPARSE, "no ISA segment");
    char es = p[3];
    if (!delim_ok(es) || es == '\r' || es == '\n')
        return hxe_err_set(err, HXE_EPARSE, "ISA: byte 4 is not a usable element separator");
    /* the 16 separators: at their fixed places, or wherever they are */
    size_t pos[16];
    unsigned k = 0;
    for (size_t i = 3; i < n && k < 16; i++) {
        if (p[i] == es)
            pos[k++] = i;
        else if (p[i] == '\r' || p[i] == '\n')
            break;
    }
    if (k < 16)
        return hxe_err_set(err, HXE_EPARSE, "ISA: only %u of 16 elements before the end of the line", k);
    size_t c = pos[15] + 1;
    if (c + 1 >= n)   /* need ISA16 and a terminator after it */
        return hxe_err_set(err, HXE_EPARSE, "ISA: ends before ISA16 and the segment terminator");
    out->es = es;
    out->cs = p[c];
    out->st = p[c + 1];
    /* ISA11: the repetition separator in 5010 ("U" before) */
    if (pos[11] - pos[10] == 2) {
        char rs = p[pos[10] + 1];
        out->rs = delim_ok(rs) ? rs : 0;
    }
    return 0;
}

void hxe_x12_reader_init(hxe_x12_reader *r, const char *buf, size_t len,
                         const hxe_x12_opts *opts, hxe_issues *env_issues)
{
    memset(r, 0, sizeof *r);
    r->buf = buf ? buf : "";
    r->len = buf ? len : 0;
    x12__opts(&r->opts, opts);
    r->issues = env_issues;
    if (len >= 3 && (unsigned char)buf[0] == 0xef && (unsigned char)buf[1] == 0xbb &&
        (unsigned char)buf[2] == 0xbf)
        r->pos = 3;
}

static int is_ws(char c) { return c == '\r' || c == '\n' || c == ' ' || c == '\t'; }

/* Hands a segment to the sink; d NULL for bytes outside interchanges. */
static void emit_d(hxe_x12_reader *r, const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    if (r->sink && r->sink(r->sink_data, s, d))
        r->sink_failed = 1;
}

static void emit(hxe_x12_reader *r, const hxe_x12_seg *s) { emit_d(r, s, &r->isa.d); }

/* A segment id (NUL-padded char[4]) as one word: the reader tells every
 * segment's id apart from the envelope ids, and comparing words instead
 * of calling strcmp five times a segment matters at millions a second. */
static inline uint32_t idw(const char *id)
{
    return (uint32_t)(unsigned char)id[0] | (uint32_t)(unsigned char)id[1] << 8 |
           (uint32_t)(unsigned char)id[2] << 16 | (uint32_t)(unsigned char)id[3] << 24;
}
#define IDW(a, b, c) ((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16)

/* x12__seg_id_ok for the 2 or 3 bytes before the first separator, here
 * where it runs for every segment read */
static inline int id_ok(const char *p, size_t n)
{
    if (n < 2 || n > 3 || p[0] < 'A' || p[0] > 'Z')
        return 0;
    for (size_t i = 1; i < n; i++)
        if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
            return 0;
    return 1;
}

/* Reads one segment at r->pos with the current delimiters. */
static void next_seg(hxe_x12_reader *r, hxe_x12_seg *s)
{
    const char *p = r->buf + r->pos, *end = r->buf + r->len;
    const char *t = memchr(p, r->isa.d.st, (size_t)(end - p));
    const char *e = t ? t : end;
    /* a file whose terminator is ~ but which breaks lines inside: the
     * text stops at the terminator, whatever it holds */
    s->p = p;
    s->n = (uint32_t)(e - p);
    s->offset = r->pos;
    s->loop = 0;
    const char *q = t ? t + 1 : end;
    while (q < end && (*q == '\r' || *q == '\n'))
        q++;
    s->tail = (uint32_t)(q - e);
    /* the id ends at the first element separator (or with the text); more
     * than three bytes before it is no id, so four bytes tell */
    size_t n = (size_t)(e - p), lim = n < 4 ? n : 4, idn = 0;
    while (idn < lim && p[idn] != r->isa.d.es)
        idn++;
    memset(s->id, 0, sizeof s->id);
    if (id_ok(p, idn)) {
        s->id[0] = p[0];
        s->id[1] = p[1];
        if (idn == 3)
            s->id[2] = p[2];
    }
    r->pos = (size_t)(q - r->buf);
}

static void fixed(char *dst, size_t size, const hxe_x12_seg *s, const hxe_x12_delims *d, unsigned e)
{
    x12__copy(dst, size, hxe_x12_element(s, d, e));
}

static int one_of(hxe_slice v, const char *const *list)
{
    for (; *list; list++)
        if (x12__eq(v, *list))
            return 1;
    return 0;
}

/* Reads and checks the ISA at r->pos. Returns 0, or -1 when no
 * interchange can be read here (the caller skips to the next ISA). */
static int read_isa(hxe_x12_reader *r)
{
    const char *p = r->buf + r->pos;
    size_t n = r->len - r->pos;
    hxe_err err;
    hxe_x12_delims d;
    if (hxe_x12_read_delims(&d, p, n, &err)) {
        env_issue(r, HXE_X12_TA1_STRUCTURE, "ISA", 0, r->pos, "%s", err.msg);
        return -1;
    }
    hxe_x12_interchange *x = &r->isa;
    memset(x, 0, sizeof *x);
    x->d = d;
    x->offset = r->pos;
    size_t off = r->pos;
    int bad = 0;
    if (!delim_ok(d.st) && d.st != '\r' && d.st != '\n') {
        env_issue(r, HXE_X12_TA1_TERMINATOR, "ISA", 16, off,
                  "ISA: the segment terminator after ISA16 is a letter, digit or blank");
        bad = 1;
    }
    if (!delim_ok(d.cs) || d.cs == d.es || d.cs == d.st) {
        env_issue(r, HXE_X12_TA1_COMPONENT_SEP, "ISA", 16, off,
                  "ISA16: component separator is not usable or repeats another delimiter");
        bad = 1;
    }
    if (d.es == d.st) {
        env_issue(r, HXE_X12_TA1_ELEMENT_SEP, "ISA", 0, off,
                  "ISA: element separator and segment terminator are the same");
        bad = 1;
    }
    if (d.rs && (d.rs == d.es || d.rs == d.cs || d.rs == d.st))
        d.rs = x->d.rs = 0;
    if (bad)
        return -1;

    hxe_x12_seg s;
    next_seg(r, &s);
    x->isa = s.p;
    x->isa_len = s.n;
    emit(r, &s);
    /* fixed width */
    int fixed_ok = s.n == 105;
    for (unsigned i = 0; i < 16 && fixed_ok; i++)
        if (s.p[isa_seps[i]] != d.es)
            fixed_ok = 0;
    if (!fixed_ok) {
        unsigned which = 0;
        for (unsigned e = 1; e <= 16 && !which; e++)
            if (hxe_x12_element(&s, &d, e).n != isa_width[e - 1])
                which = e;
        if (which)
            env_issue(r, HXE_X12_TA1 + isa_code[which - 1], "ISA", which, off,
                      "ISA%02u: not %u characters wide; the ISA must be 106 characters",
                      which, (unsigned)isa_width[which - 1]);
        else
            env_issue(r, HXE_X12_TA1_CONTENT, "ISA", 0, off,
                      "ISA: %u characters, must be 106", (unsigned)s.n + 1);
        x->bad = 1;
    }
    fixed(x->control, sizeof x->control, &s, &d, 13);
    fixed(x->version, sizeof x->version, &s, &d, 12);
    fixed(x->date, sizeof x->date, &s, &d, 9);
    fixed(x->time, sizeof x->time, &s, &d, 10);
    fixed(x->sender_qual, sizeof x->sender_qual, &s, &d, 5);
    fixed(x->sender, sizeof x->sender, &s, &d, 6);
    fixed(x->receiver_qual, sizeof x->receiver_qual, &s, &d, 7);
    fixed(x->receiver, sizeof x->receiver, &s, &d, 8);
    x->ack_requested = hxe_x12_element(&s, &d, 14).n ? hxe_x12_element(&s, &d, 14).p[0] : 0;
    x->usage = hxe_x12_element(&s, &d, 15).n ? hxe_x12_element(&s, &d, 15).p[0] : 0;

    static const char *const auth_q[] = {"00", "03", NULL};
    static const char *const sec_q[] = {"00", "01", NULL};
    static const char *const id_q[] = {"01", "14", "20", "27", "28", "29", "30", "33", "ZZ", NULL};
    struct { unsigned e; const char *const *list; int code; const char *what; } checks[] = {
        {1, auth_q, HXE_X12_TA1_AUTH_QUAL, "authorization information qualifier"},
        {3, sec_q, HXE_X12_TA1_SECURITY_QUAL, "security information qualifier"},
        {5, id_q, HXE_X12_TA1_SENDER_QUAL, "sender id qualifier"},
        {7, id_q, HXE_X12_TA1_RECEIVER_QUAL, "receiver id qualifier"},
    };
    for (size_t i = 0; i < sizeof checks / sizeof checks[0]; i++)
        if (!one_of(hxe_x12_element(&s, &d, checks[i].e), checks[i].list)) {
            env_issue(r, checks[i].code, "ISA", checks[i].e, off, "ISA%02u: not a valid %s",
                      checks[i].e, checks[i].what);
            x->bad = 1;
        }
    if (!x12__is_date(hxe_x12_element(&s, &d, 9)) || hxe_x12_element(&s, &d, 9).n != 6) {
        env_issue(r, HXE_X12_TA1_DATE, "ISA", 9, off, "ISA09: not a date YYMMDD");
        x->bad = 1;
    }
    if (!x12__is_time(hxe_x12_element(&s, &d, 10)) || hxe_x12_element(&s, &d, 10).n != 4) {
        env_issue(r, HXE_X12_TA1_TIME, "ISA", 10, off, "ISA10: not a time HHMM");
        x->bad = 1;
    }
    hxe_slice ver = hxe_x12_element(&s, &d, 12);
    if (!x12__digits(ver) || ver.n != 5) {
        env_issue(r, HXE_X12_TA1_VERSION_ID, "ISA", 12, off, "ISA12: not a 5-digit version number");
        x->bad = 1;
    } else if (!x12__eq(ver, "00501")) {
        env_issue(r, HXE_X12_TA1_VERSION, "ISA", 12, off,
                  "ISA12: control version not supported (00501 expected)");
        x->bad = 1;
    }
    if (x12__eq(ver, "00501") && !d.rs) {
        env_issue(r, HXE_X12_TA1_STANDARDS_ID, "ISA", 11, off,
                  "ISA11: a repetition separator is required in 5010");
        x->bad = 1;
    }
    hxe_slice ctl = hxe_x12_element(&s, &d, 13);
    if (!x12__digits(ctl) || ctl.n != 9) {
        env_issue(r, HXE_X12_TA1_CONTROL, "ISA", 13, off, "ISA13: not a 9-digit control number");
        x->bad = 1;
    }
    if (x->ack_requested != '0' && x->ack_requested != '1') {
        env_issue(r, HXE_X12_TA1_ACK_REQUESTED, "ISA", 14, off, "ISA14: must be 0 or 1");
        x->bad = 1;
    }
    if (x->usage != 'P' && x->usage != 'T') {
        env_issue(r, HXE_X12_TA1_TEST_INDICATOR, "ISA", 15, off, "ISA15: must be P or T");
        x->bad = 1;
    }
    for (unsigned i = 0; i < r->nseen && i < 8; i++)
        if (strcmp(r->seen_isa[i], x->control) == 0) {
            env_issue(r, HXE_X12_TA1_DUPLICATE, "ISA", 13, off,
                      "ISA13: control number repeats an earlier interchange's");
            break;
        }
    memcpy(r->seen_isa[r->nseen++ % 8], x->control, sizeof x->control);
    r->in_isa = 1;
    r->interchanges++;
    return 0;
}

/* Skips to the next "ISA" followed by a possible separator (or the end),
 * handing the skipped bytes to the sink as one junk segment. */
static void skip_to_isa(hxe_x12_reader *r, int report)
{
    size_t start = r->pos, i = r->pos + 1;
    for (; i + 3 < r->len; i++)
        if (r->buf[i] == 'I' && r->buf[i + 1] == 'S' && r->buf[i + 2] == 'A' &&
            delim_ok(r->buf[i + 3]) && (i == 0 || !x12__alnum(r->buf[i - 1])))
            break;
    if (i + 3 >= r->len)
        i = r->len;
    if (report)
        env_issue(r, HXE_X12_TA1_STRUCTURE, "", 0, start,
                  "%zu bytes outside any interchange (no ISA before them)", i - start);
    hxe_x12_seg s;
    memset(&s, 0, sizeof s);
    s.p = r->buf + start;
    s.n = (uint32_t)(i - start);
    s.offset = start;
    emit_d(r, &s, NULL);
    r->junk++;
    r->pos = i;
}

static void close_group(hxe_x12_reader *r, const hxe_x12_seg *ge)
{
    if (!ge) {
        env_issue(r, HXE_X12_GRP_TRAILER_MISSING, "GE", 0, r->gs.offset,
                  "functional group %zu has no GE trailer", r->groups);
    } else {
        const hxe_x12_delims *d = &r->isa.d;
        long long n = x12__num(hxe_x12_element(ge, d, 1));
        if (n != (long long)r->gs.sets)
            env_issue(r, HXE_X12_GRP_COUNT, "GE", 1, ge->offset,
                      "GE01: says %lld transaction sets, the group has %zu", n, r->gs.sets);
        if (!x12__eq(hxe_x12_element(ge, d, 2), r->gs.control))
            env_issue(r, HXE_X12_GRP_CONTROL_MISMATCH, "GE", 2, ge->offset,
                      "GE02: does not match GS06");
    }
    r->in_gs = 0;
}

static void close_isa(hxe_x12_reader *r, const hxe_x12_seg *iea)
{
    if (r->in_gs)
        close_group(r, NULL);
    if (!iea) {
        env_issue(r, HXE_X12_TA1_EOF, "IEA", 0, r->isa.offset,
                  "interchange %zu has no IEA trailer", r->interchanges);
    } else {
        const hxe_x12_delims *d = &r->isa.d;
        long long n = x12__num(hxe_x12_element(iea, d, 1));
        if (n != (long long)r->isa.groups)
            env_issue(r, HXE_X12_TA1_GROUP_COUNT, "IEA", 1, iea->offset,
                      "IEA01: says %lld functional groups, the interchange has %zu", n,
                      r->isa.groups);
        if (!x12__eq(hxe_x12_element(iea, d, 2), r->isa.control))
            env_issue(r, HXE_X12_TA1_CONTROL_MISMATCH, "IEA", 2, iea->offset,
                      "IEA02: does not match ISA13");
    }
    r->in_isa = 0;
}

static void open_group(hxe_x12_reader *r, const hxe_x12_seg *gs)
{
    const hxe_x12_delims *d = &r->isa.d;
    if (r->in_gs)
        close_group(r, NULL);
    hxe_x12_group *g = &r->gs;
    memset(g, 0, sizeof *g);
    g->offset = gs->offset;
    fixed(g->functional_id, sizeof g->functional_id, gs, d, 1);
    fixed(g->sender, sizeof g->sender, gs, d, 2);
    fixed(g->receiver, sizeof g->receiver, gs, d, 3);
    fixed(g->date, sizeof g->date, gs, d, 4);
    fixed(g->time, sizeof g->time, gs, d, 5);
    fixed(g->control, sizeof g->control, gs, d, 6);
    fixed(g->version, sizeof g->version, gs, d, 8);
    hxe_slice ctl = hxe_x12_element(gs, d, 6);
    if (!x12__digits(ctl) || ctl.n > 9)
        env_issue(r, HXE_X12_GRP_CONTROL_SYNTAX, "GS", 6, gs->offset,
                  "GS06: not a control number of 1 to 9 digits");
    hxe_slice ver = hxe_x12_element(gs, d, 8);
    if (ver.n < 6 || memcmp(ver.p, "005010", 6) != 0)
        env_issue(r, HXE_X12_GRP_VERSION, "GS", 8, gs->offset,
                  "GS08: version not supported (005010... expected)");
    if (hxe_x12_element(gs, d, 1).n != 2)
        env_issue(r, HXE_X12_GRP_NOT_SUPPORTED, "GS", 1, gs->offset,
                  "GS01: not a functional identifier code");
    r->in_gs = 1;
    r->groups++;
    r->isa.groups++;
}

static hxe_issue *set_issue(hxe_issues *is, int code, const hxe_x12_seg *s, size_t pos,
                            unsigned e, const char *text)
{
    if (!is)
        return NULL;
    hxe_loc l = x12__loc(s, pos, e, 0);
    return hxe_issues_add(is, HXE_SEV_ERROR, code, &l, "%s", text);
}

/* Reads ST .. SE into a new set. */
static int read_set(hxe_x12_reader *r, hxe_arena *a, const hxe_x12_seg *st, hxe_x12_set **out,
                    hxe_issues *is, hxe_err *err)
{
    const hxe_x12_delims *d = &r->isa.d;
    hxe_x12_set *set = hxe_arena_calloc(a, sizeof *set);
    size_t cap = 64;   /* grows fourfold: sets run to thousands of segments */
    hxe_x12_seg *v = hxe_arena_alloc(a, cap * sizeof *v);
    if (!set || !v)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory reading transaction set");
    set->d = *d;
    set->isa = r->isa;
    if (r->in_gs)
        set->gs = r->gs;
    v[0] = *st;
    size_t n = 1;
    x12__copy(set->id, sizeof set->id, hxe_x12_element(st, d, 1));
    x12__copy(set->control, sizeof set->control, hxe_x12_element(st, d, 2));
    hxe_slice guide = hxe_x12_element(st, d, 3);
    x12__copy(set->guide, sizeof set->guide, guide.n ? guide : hxe_slice_cstr(r->gs.version));
    if (!r->in_gs)
        set_issue(is, HXE_X12_SET_NOT_IN_GROUP, st, 1, 0,
                  "transaction set outside a functional group (no GS before ST)");
    hxe_slice id = hxe_x12_element(st, d, 1);
    if (!x12__digits(id) || id.n != 3)
        set_issue(is, HXE_X12_SET_ID, st, 1, 1, "ST01: missing or invalid transaction set identifier");
    hxe_slice ctl = hxe_x12_element(st, d, 2);
    if (ctl.n < 4 || ctl.n > 9 || !x12__alnum(ctl.p[0]))
        set_issue(is, HXE_X12_SET_CONTROL, st, 1, 2,
                  "ST02: missing or invalid transaction set control number (4-9 characters)");
    if (r->in_gs) {
        r->gs.sets++;
        set->gs.sets = r->gs.sets;
        set->index = r->gs.sets;
    }
    while (r->pos < r->len) {
        size_t save = r->pos;
        if (n == cap) {
            hxe_x12_seg *nv = hxe_arena_alloc(a, 4 * cap * sizeof *nv);
            if (!nv)
                return hxe_err_set(err, HXE_ENOMEM, "out of memory reading transaction set");
            memcpy(nv, v, n * sizeof *v);
            v = nv;
            cap *= 4;
        }
        /* read straight into the array; an envelope segment is left there
         * unused (n does not move) */
        hxe_x12_seg *sp = &v[n];
        next_seg(r, sp);
        uint32_t w = idw(sp->id);
        if (w == IDW('I', 'S', 'A') || w == IDW('I', 'E', 'A') || w == IDW('G', 'S', 0) ||
            w == IDW('G', 'E', 0) || w == IDW('S', 'T', 0)) {
            r->pos = save;   /* not ours: the envelope sees it next */
            break;
        }
        if (sp->n > r->opts.max_segment)
            return hxe_err_set(err, HXE_ETOOBIG, "segment %zu of set %s: %u bytes, over the limit of %zu",
                               n + 1, set->control, sp->n, r->opts.max_segment);
        /* a segment of fewer bytes cannot have more elements: count only
         * when it could be over */
        if (sp->n > r->opts.max_elements) {
            unsigned ne = 0;
            for (const char *q = sp->p, *e = sp->p + sp->n; (q = memchr(q, d->es, (size_t)(e - q)));
                 q++)
                if (++ne > r->opts.max_elements)
                    return hxe_err_set(err, HXE_ETOOBIG,
                                       "segment %zu of set %s: more than %u elements, over the limit",
                                       n + 1, set->control, r->opts.max_elements);
        }
        if (n >= r->opts.max_set_segs)
            return hxe_err_set(err, HXE_ETOOBIG, "transaction set over the limit of %zu segments",
                               r->opts.max_set_segs);
        n++;
        emit(r, sp);
        if (w == IDW('S', 'E', 0)) {
            set->has_trailer = 1;
            break;
        }
    }
    set->segs = v;
    set->nseg = n;
    const hxe_x12_seg *last = &v[n - 1];
    if (!set->has_trailer) {
        set_issue(is, HXE_X12_SET_TRAILER_MISSING, last, n, 0,
                  "transaction set has no SE trailer");
    } else {
        long long cnt = x12__num(hxe_x12_element(last, d, 1));
        if (cnt != (long long)n) {
            char t[96];
            snprintf(t, sizeof t, "SE01: says %lld segments, the set has %zu", cnt, n);
            set_issue(is, HXE_X12_SET_COUNT, last, n, 1, t);
        }
        if (!hxe_slice_eq(hxe_x12_element(last, d, 2), ctl))
            set_issue(is, HXE_X12_SET_CONTROL_MISMATCH, last, n, 2, "SE02: does not match ST02");
    }
    r->sets++;
    *out = set;
    return HXE_X12_UNIT_SET;
}

int hxe_x12_reader_next(hxe_x12_reader *r, hxe_arena *a, hxe_x12_set **out,
                        hxe_issues *set_issues, hxe_err *err)
{
    hxe_err tmp;
    if (!err)
        err = &tmp;
    *out = NULL;
    for (;;) {
        if (r->sink_failed)
            return hxe_err_set(err, HXE_ENOMEM, "out of memory keeping the segments");
        if (!r->in_isa) {
            size_t ws = r->pos;
            while (r->pos < r->len && is_ws(r->buf[r->pos]))
                r->pos++;
            if (r->pos > ws && r->sink) {
                hxe_x12_seg s;   /* blank bytes between interchanges */
                memset(&s, 0, sizeof s);
                s.p = r->buf + ws;
                s.n = (uint32_t)(r->pos - ws);
                s.offset = ws;
                emit_d(r, &s, NULL);
            }
            if (r->pos >= r->len)
                return HXE_X12_UNIT_END;
            if (r->len - r->pos < 3 || memcmp(r->buf + r->pos, "ISA", 3) != 0) {
                skip_to_isa(r, 1);
                continue;
            }
            if (read_isa(r) < 0)
                skip_to_isa(r, 0);
            continue;
        }
        if (r->pos >= r->len) {
            close_isa(r, NULL);
            continue;
        }
        hxe_x12_seg s;
        size_t save = r->pos;
        next_seg(r, &s);
        if (!strcmp(s.id, "ISA")) {
            r->pos = save;
            close_isa(r, NULL);
            continue;
        }
        if (!strcmp(s.id, "ST")) {
            emit(r, &s);
            int k = read_set(r, a, &s, out, set_issues, err);
            if (k >= 0 && r->sink_failed)
                return hxe_err_set(err, HXE_ENOMEM, "out of memory keeping the segments");
            return k;
        }
        emit(r, &s);
        if (!strcmp(s.id, "GS")) {
            open_group(r, &s);
        } else if (!strcmp(s.id, "GE")) {
            if (r->in_gs)
                close_group(r, &s);
            else
                env_issue(r, HXE_X12_TA1_STRUCTURE, "GE", 0, s.offset, "GE without a GS");
        } else if (!strcmp(s.id, "IEA")) {
            close_isa(r, &s);
        } else if (!strcmp(s.id, "TA1")) {
            hxe_x12_set *set = hxe_arena_calloc(a, sizeof *set);
            hxe_x12_seg *v = hxe_arena_alloc(a, sizeof *v);
            if (!set || !v)
                return hxe_err_set(err, HXE_ENOMEM, "out of memory");
            *v = s;
            set->d = r->isa.d;
            set->isa = r->isa;
            set->segs = v;
            set->nseg = 1;
            memcpy(set->id, "TA1", 4);
            set->has_trailer = 1;
            *out = set;
            return HXE_X12_UNIT_TA1;
        } else if (s.n || s.tail) {
            env_issue(r, HXE_X12_TA1_STRUCTURE, s.id, 0, s.offset,
                      "segment %s outside a transaction set", s.id[0] ? s.id : "(malformed id)");
        }
    }
}
