/*
 * validate.c — HL7 v2 validation: picks the definitions for the message's
 * version, checks MSH (message type, event, processing id, version: the
 * problems that make a message unacceptable, AR), then walks the segments
 * once, feeding each to the structure matcher (validate_struct.c) and
 * checking its fields (validate_types.c).
 *
 * The definitions are the generated tables of dict.h. Issues name places
 * (MSH-9.2, PID-8) and rules, never values: an issue text can leave the
 * store in an ACK or a log.
 */
#include "hl7v2/validate.h"

#include <stdio.h>
#include <string.h>

#define VERSION_DEFAULT "2.5.1"

/* ---- dictionary look-ups ---- */

const hxe_hl7d_seg *hl7v_find_seg(const hxe_hl7d_version *v, const char *id)
{
    size_t lo = 0, hi = v->nsegs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strncmp(id, v->segs[mid].id, 4);
        if (r == 0)
            return &v->segs[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* strcmp of n bytes (no NUL among them) against a pool string */
static int cmp_pool(const char *s, size_t n, uint32_t off)
{
    const char *p = HXE_HL7D_STR(off);
    size_t pn = strlen(p);
    int r = memcmp(s, p, n < pn ? n : pn);
    if (r)
        return r;
    return n < pn ? -1 : n > pn ? 1 : 0;
}

const hxe_hl7d_msg *hl7v_find_msg(const hxe_hl7d_version *v, const char *name,
                                  size_t n)
{
    size_t lo = 0, hi = v->nmsgs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_pool(name, n, v->msgs[mid].name);
        if (r == 0)
            return &v->msgs[mid];
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static const hxe_hl7d_table *find_table(unsigned num)
{
    for (size_t i = 0; i < hxe_hl7d_ntables; i++)
        if (hxe_hl7d_tables[i].number == num)
            return &hxe_hl7d_tables[i];
    return NULL;
}

int hl7v_table_has(unsigned num, const char *s, size_t n)
{
    const hxe_hl7d_table *t = find_table(num);
    if (!t || memchr(s, 0, n))
        return 0;
    size_t lo = 0, hi = t->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = cmp_pool(s, n, hxe_hl7d_codes[t->first + mid]);
        if (r == 0)
            return 1;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return 0;
}

const char *hl7v_table_label(unsigned num)
{
    switch (num) {
    case 1: return "administrative sex";
    case 3: return "event type";
    case 76: return "message type";
    case 103: return "processing id";
    case 104: return "version id";
    }
    return "HL7 table";
}

/* ---- versions ---- */

/* "2.8.1" -> {2, 8, 1}; letters ("2.0D") are ignored. Returns parts. */
static int version_parts(const char *s, size_t n, unsigned out[3])
{
    int k = 0;
    out[0] = out[1] = out[2] = 0;
    for (size_t i = 0; i < n && k < 3; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (out[k] < 1000)
                out[k] = out[k] * 10 + (unsigned)(s[i] - '0');
        } else if (s[i] == '.') {
            k++;
        }
    }
    return k + 1;
}

static int vcmp(const unsigned a[3], const unsigned b[3])
{
    for (int i = 0; i < 3; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

/* The definitions for a version string: exact when we have them, else
 * the same major.minor (2.7 -> 2.7.1, 2.3.2 -> 2.3.1), else the newest
 * older one (2.8 -> 2.7.1), else the oldest (2.1 -> 2.3). -1 when the
 * version is not in table 0104. *approx = 1 when not exact. */
static int version_index(const char *s, size_t n, int *approx)
{
    *approx = 0;
    for (size_t i = 0; i < hxe_hl7d_nversions; i++) {
        const char *vn = hxe_hl7d_versions[i].name;
        if (strlen(vn) == n && memcmp(vn, s, n) == 0)
            return (int)i;
    }
    if (n == 0 || !hl7v_table_has(104, s, n))
        return -1;
    *approx = 1;
    unsigned want[3], have[3];
    version_parts(s, n, want);
    int best = -1;
    for (size_t i = 0; i < hxe_hl7d_nversions; i++) {
        const char *vn = hxe_hl7d_versions[i].name;
        version_parts(vn, strlen(vn), have);
        if (have[0] == want[0] && have[1] == want[1])
            best = (int)i;   /* the last (newest) with that major.minor */
    }
    if (best >= 0)
        return best;
    for (size_t i = 0; i < hxe_hl7d_nversions; i++) {
        const char *vn = hxe_hl7d_versions[i].name;
        version_parts(vn, strlen(vn), have);
        if (vcmp(have, want) <= 0)
            best = (int)i;
    }
    return best >= 0 ? best : 0;
}

static int version_default(void)
{
    int approx;
    int i = version_index(VERSION_DEFAULT, strlen(VERSION_DEFAULT), &approx);
    return i < 0 ? 0 : i;
}

/* ---- issues ---- */

hxe_loc hl7v_loc(const hl7v_ctx *c, size_t i, unsigned field, unsigned rep,
                 unsigned comp, unsigned sub)
{
    hxe_loc l = hxe_loc_none();
    if (i < c->m->nseg) {
        const hxe_hl7_seg *s = &c->m->segs[i];
        memcpy(l.seg, s->id, 4);
        l.seg[3] = 0;
        l.seg_pos = (uint32_t)(i + 1);
        l.seg_seq = c->seq ? c->seq[i] : 0;
        l.offset = s->offset;
    }
    l.field = (uint16_t)field;
    l.rep = (uint16_t)rep;
    l.comp = (uint16_t)comp;
    l.sub = (uint16_t)sub;
    return l;
}

hxe_issue *hl7v_add(const hl7v_ctx *c, int sev, int code, const hxe_loc *loc,
                    int reject, const char *fmt, ...)
{
    char text[HXE_ISSUE_TEXT_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    hxe_issue *it = hxe_issues_add(c->issues, sev, code, loc, "%s", text);
    /* a problem in MSH is a problem with the message as a whole: AR */
    if (it && (reject || (sev >= HXE_SEV_ERROR && loc && loc->seg_pos == 1)))
        it->reject = 1;
    return it;
}

const char *hl7v_place(char *buf, size_t size, const hxe_loc *loc)
{
    int n = snprintf(buf, size, "%s-%u", loc->seg, (unsigned)loc->field);
    if (n < 0 || (size_t)n >= size)
        return buf;
    size_t k = (size_t)n;
    if (loc->rep > 1 && k < size)
        k += (size_t)snprintf(buf + k, size - k, "[%u]", (unsigned)loc->rep);
    if (loc->comp && k < size)
        k += (size_t)snprintf(buf + k, size - k, ".%u", (unsigned)loc->comp);
    if (loc->sub && k < size)
        snprintf(buf + k, size - k, ".%u", (unsigned)loc->sub);
    return buf;
}

int hl7v_split_next(hl7v_split *s, char sep, hxe_slice *out)
{
    if (s->done)
        return 0;
    const char *q = sep && s->p < s->end
                        ? memchr(s->p, sep, (size_t)(s->end - s->p)) : NULL;
    if (!q) {
        *out = hxe_slice_of(s->p, (size_t)(s->end - s->p));
        s->done = 1;
        return 1;
    }
    *out = hxe_slice_of(s->p, (size_t)(q - s->p));
    s->p = q + 1;
    return 1;
}

/* The n-th (1-based) component of MSH field f. */
static hxe_slice msh_comp(const hxe_hl7_msg *m, unsigned f, unsigned n)
{
    hxe_slice v = hxe_hl7_field(m, 0, f), out = HXE_SLICE_EMPTY;
    if (m->enc.rs) /* first repetition */
        hxe_slice_piece(v, m->enc.rs, 1, &v);
    if (!hxe_slice_piece(v, m->enc.cs, n, &out))
        return HXE_SLICE_EMPTY;
    return out;
}

static int is_z(hxe_slice s)
{
    return s.n > 0 && s.p[0] == 'Z';
}

/* ---- MSH ---- */

/* MSH-9, MSH-11, MSH-12: the checks that decide AR. Required fields
 * (MSH-9 empty, ...) are reported by the field checks. */
static void check_msh(const hl7v_ctx *c, int version_ok)
{
    const hxe_hl7_msg *m = c->m;
    hxe_loc l;
    if (hxe_hl7_field(m, 0, 9).n) {
        hxe_slice type = msh_comp(m, 9, 1), event = msh_comp(m, 9, 2);
        int ack = hxe_slice_eq_cstr(type, "ACK");
        if (type.n == 0) {
            l = hl7v_loc(c, 0, 9, 1, 1, 0);
            hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_REQUIRED_MISSING, &l, 1,
                     "MSH-9.1: message type missing");
        } else if (!is_z(type) && !hl7v_table_has(76, type.p, type.n)) {
            l = hl7v_loc(c, 0, 9, 1, 1, 0);
            hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_TYPE, &l, 1,
                     "MSH-9.1: message type not in table 0076");
        }
        /* an ACK may carry any event, or none */
        if (!ack && event.n == 0) {
            l = hl7v_loc(c, 0, 9, 1, 2, 0);
            hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_EVENT, &l, 1,
                     "MSH-9.2: trigger event missing");
        } else if (!ack && !is_z(event) && !hl7v_table_has(3, event.p, event.n)) {
            l = hl7v_loc(c, 0, 9, 1, 2, 0);
            hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_EVENT, &l, 1,
                     "MSH-9.2: trigger event not in table 0003");
        }
    }
    hxe_slice pid = msh_comp(m, 11, 1);
    if (pid.n && !hl7v_table_has(103, pid.p, pid.n)) {
        l = hl7v_loc(c, 0, 11, 1, 1, 0);
        hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_PROCESSING_ID, &l, 1,
                 "MSH-11.1: processing id not in table 0103");
    }
    if (!version_ok) {
        l = hl7v_loc(c, 0, 12, 1, 1, 0);
        hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_VERSION, &l, 1,
                 m->version[0] ? "MSH-12.1: version not in table 0104"
                               : "MSH-12.1: version missing");
    }
}

/* The structure to check against: MSH-9.3 when the version defines it,
 * else MSH-9.1_MSH-9.2 through table 0354 (ADT^A04 -> ADT_A01), else a
 * structure named MSH-9.1_MSH-9.2, else ACK for any ACK. */
static const hxe_hl7d_msg *find_structure(const hl7v_ctx *c)
{
    const hxe_hl7_msg *m = c->m;
    const hxe_hl7d_version *v = c->ver;
    hxe_slice type = msh_comp(m, 9, 1), event = msh_comp(m, 9, 2);
    hxe_slice st = msh_comp(m, 9, 3);
    const hxe_hl7d_msg *d = NULL;
    if (st.n && (d = hl7v_find_msg(v, st.p, st.n)) != NULL)
        return d;
    char key[40];
    if (type.n && type.n <= 16 && event.n <= 16) {
        int kn = snprintf(key, sizeof key, "%.*s_%.*s", (int)type.n, type.p,
                          (int)event.n, event.p);
        if (event.n && kn > 0) {
            /* table 0354 read backwards: all candidates, best first */
            size_t lo = 0, hi = hxe_hl7d_nevents;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_pool(key, (size_t)kn, hxe_hl7d_events[mid].key) > 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t k = lo; k < hxe_hl7d_nevents &&
                                cmp_pool(key, (size_t)kn, hxe_hl7d_events[k].key) == 0;
                 k++) {
                const char *s = HXE_HL7D_STR(hxe_hl7d_events[k].structure);
                if ((d = hl7v_find_msg(v, s, strlen(s))) != NULL)
                    return d;
            }
            if ((d = hl7v_find_msg(v, key, (size_t)kn)) != NULL)
                return d;
        }
        if (hxe_slice_eq_cstr(type, "ACK") && (d = hl7v_find_msg(v, "ACK", 3)))
            return d;
        if (event.n == 0 && (d = hl7v_find_msg(v, type.p, type.n)) != NULL)
            return d;   /* 2.3 "ORU": a structure with no event */
    }
    return NULL;
}

/* seg_seq of every segment: one pass with a small open-addressing table
 * keyed by the three id bytes. */
static uint32_t *make_seq(const hxe_hl7_msg *m)
{
    size_t cap = 64;
    while (cap < 2 * m->nseg)
        cap <<= 1;
    uint32_t *seq = hxe_calloc(m->nseg + 2 * cap, sizeof *seq);
    if (!seq)
        return NULL;
    uint32_t *h = seq + m->nseg;  /* pairs: key, count */
    for (size_t i = 0; i < m->nseg; i++) {
        const char *id = m->segs[i].id;
        if (m->segs[i].bad || !id[0])
            continue;
        uint32_t key = 0x1000000u | ((uint32_t)(unsigned char)id[0] << 16) |
                       ((uint32_t)(unsigned char)id[1] << 8) |
                       (uint32_t)(unsigned char)id[2];
        size_t k = (key * 2654435761u) & (cap - 1);
        while (h[2 * k] && h[2 * k] != key)
            k = (k + 1) & (cap - 1);
        h[2 * k] = key;
        seq[i] = ++h[2 * k + 1];
    }
    return seq;
}

static int skipped(const hxe_hl7_seg *s)
{
    return s->bad || !s->id[0] || s->id[0] == 'Z';
}

int hxe_hl7_validate(const hxe_hl7_msg *m, const hxe_hl7_validate_opts *opts,
                     hxe_issues *issues)
{
    if (!m || !issues || m->nseg == 0 || !m->segs)
        return HXE_EINVAL;
    hl7v_ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.issues = issues;
    c.max_fields = m->opts.max_fields ? (unsigned)(m->opts.max_fields > 65535
                                                       ? 65535 : m->opts.max_fields)
                                      : HXE_HL7_MAX_FIELDS_DEFAULT;

    int approx = 0, vi;
    int declared_ok = version_index(m->version, strnlen(m->version, sizeof m->version),
                                    &approx) >= 0;
    int have_defs = 1;
    if (opts && opts->version) {
        vi = version_index(opts->version, strlen(opts->version), &approx);
        if (vi < 0)
            return HXE_EINVAL;
    } else {
        vi = version_index(m->version, strnlen(m->version, sizeof m->version), &approx);
        if (vi < 0) {
            /* no definitions: MSH checks only, against the default */
            have_defs = 0;
            approx = 0;
            vi = version_default();
        }
    }
    c.ver = &hxe_hl7d_versions[vi];
    c.len_code = strcmp(c.ver->name, "2.7") >= 0 ? HXE_HL7_ERR_VALUE_TOO_LONG
                                                 : HXE_HL7_ERR_DATA_TYPE;
    uint32_t *seq = make_seq(m);
    if (!seq)
        return HXE_ENOMEM;
    c.seq = seq;

    if (approx) {
        hxe_loc l = hl7v_loc(&c, 0, 12, 0, 0, 0);
        hl7v_add(&c, HXE_SEV_INFO, 0, &l, 0,
                 "MSH-12: checked against the %s definitions, the nearest known",
                 c.ver->name);
    }
    check_msh(&c, declared_ok);

    const hxe_hl7d_msg *st = NULL;
    if (have_defs) {
        st = find_structure(&c);
        if (!st) {
            /* MSH-9 names the place; its value stays out of the text */
            hxe_loc l = hl7v_loc(&c, 0, 9, 0, 0, 0);
            hl7v_add(&c, HXE_SEV_WARNING, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                     "MSH-9: no message structure for this type and event in %s; "
                     "segment order not checked", c.ver->name);
        }
    }

    hl7v_matcher mt;
    if (st)
        hl7v_matcher_init(&mt, &c, st);
    size_t next = 0;
    while (next < m->nseg && skipped(&m->segs[next]))
        next++;
    for (size_t i = 0; i < m->nseg; i++) {
        const hxe_hl7_seg *s = &m->segs[i];
        if (s->bad || !s->id[0])
            continue;  /* reported by the parser */
        if (i == next) {
            next = i + 1;
            while (next < m->nseg && skipped(&m->segs[next]))
                next++;
            if (st)
                hl7v_matcher_step(&mt, i, next);
        }
        if (have_defs || i == 0)
            hl7v_check_segment(&c, i);
    }
    if (st)
        hl7v_matcher_finish(&mt);
    hxe_free(seq);
    return 0;
}

const char *hxe_hl7_field_name(const char *version, const char *seg, unsigned field)
{
    if (!seg || field == 0)
        return NULL;
    int approx, vi;
    if (!version)
        version = VERSION_DEFAULT;
    vi = version_index(version, strlen(version), &approx);
    if (vi < 0 || strlen(seg) != 3)
        return NULL;
    const hxe_hl7d_seg *d = hl7v_find_seg(&hxe_hl7d_versions[vi], seg);
    if (!d || field > d->nfields)
        return NULL;
    return HXE_HL7D_STR(hxe_hl7d_elems[d->first + field - 1].desc);
}
