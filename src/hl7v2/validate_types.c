/*
 * validate_types.c — the fields of one segment against its definition:
 * required fields, repetitions, data types (DT, DTM/TS, NM, SI; the
 * components of composites, one level of subcomponents), lengths and the
 * key tables (0001, 0003, 0076, 0103, 0104). OBX-5 is checked as the
 * type OBX-2 names.
 *
 * Values are read raw (escapes untouched). The HL7 null "" is valid for
 * any type. Lengths are warnings: the standard's lengths are exceeded
 * everywhere in practice, and 2.7 made most of them advisory. A field's
 * length is checked per repetition; components only when the field has
 * none (2.7.1 gives component lengths, not field lengths).
 */
#include "hl7v2/internal.h"
#include "hl7v2/validate.h"

#include <string.h>

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static unsigned num2(const char *s)
{
    return (unsigned)(s[0] - '0') * 10 + (unsigned)(s[1] - '0');
}

/* YYYY[MM[DD]] with month and day in range (day 01-31: the calendar is
 * not checked, a date type check is not an appointment book) */
int hl7v_is_dt(const char *s, size_t n)
{
    if ((n != 4 && n != 6 && n != 8) || !digits(s, n))
        return 0;
    if (n >= 6 && (num2(s + 4) < 1 || num2(s + 4) > 12))
        return 0;
    if (n == 8 && (num2(s + 6) < 1 || num2(s + 6) > 31))
        return 0;
    return 1;
}

/* YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ] */
int hl7v_is_dtm(const char *s, size_t n)
{
    size_t k = 0;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    size_t d = k;   /* digits before any fraction or offset */
    if (d < 4 || d > 14 || d % 2 || !hl7v_is_dt(s, d < 8 ? d : 8))
        return 0;
    if (d >= 10 && num2(s + 8) > 23)
        return 0;
    if (d >= 12 && num2(s + 10) > 59)
        return 0;
    if (d >= 14 && num2(s + 12) > 59)
        return 0;
    if (k < n && s[k] == '.') {
        if (d != 14)
            return 0;   /* fractions only after seconds */
        size_t f = ++k;
        while (k < n && s[k] >= '0' && s[k] <= '9')
            k++;
        if (k == f || k - f > 4)
            return 0;
    }
    if (k < n && (s[k] == '+' || s[k] == '-')) {
        k++;
        if (n - k != 4 || !digits(s + k, 4) || num2(s + k) > 23 || num2(s + k + 2) > 59)
            return 0;
        k = n;
    }
    return k == n;
}

/* [+|-]digits[.digits], or [+|-].digits, or digits. */
int hl7v_is_nm(const char *s, size_t n)
{
    size_t k = 0, nd = 0;
    int dot = 0;
    if (k < n && (s[k] == '+' || s[k] == '-'))
        k++;
    for (; k < n; k++) {
        if (s[k] >= '0' && s[k] <= '9')
            nd++;
        else if (s[k] == '.' && !dot)
            dot = 1;
        else
            return 0;
    }
    return nd > 0;
}

int hl7v_is_si(const char *s, size_t n)
{
    return n > 0 && digits(s, n);
}

/* Length in characters: an escape sequence counts as one, UTF-8
 * continuation bytes count as none. */
static size_t text_len(const hxe_hl7_msg *m, hxe_slice v)
{
    size_t len = 0;
    int utf8 = m->charset == HXE_HL7_CS_UTF8 || m->charset == HXE_HL7_CS_DEFAULT;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char ch = (unsigned char)v.p[i];
        if (m->enc.es && v.p[i] == m->enc.es) {
            const char *q = memchr(v.p + i + 1, m->enc.es, v.n - i - 1);
            if (q) {
                i = (size_t)(q - v.p);
                len++;
                continue;
            }
        }
        if (utf8 && (ch & 0xC0) == 0x80)
            continue;
        len++;
    }
    return len;
}

static int cmp_name(hxe_slice a, const char *b)
{
    size_t bn = strlen(b);
    return a.n == bn && memcmp(a.p, b, bn) == 0 ? 0 : 1;
}

static int is_null(hxe_slice v)
{
    return v.n == 2 && v.p[0] == '"' && v.p[1] == '"';
}

/* the tables whose values are errors when not found */
static int key_table(unsigned t)
{
    return t == 1 || t == 3 || t == 76 || t == 103 || t == 104;
}

typedef struct at {
    const hl7v_ctx *c;
    size_t i;
    unsigned field, rep, comp, sub;
    int tables;    /* 0: leave tables alone (MSH-9/11/12) */
} at;

static hxe_loc at_loc(const at *a)
{
    return hl7v_loc(a->c, a->i, a->field, a->rep, a->comp, a->sub);
}

static void too_long(const at *a, unsigned max)
{
    char place[48];
    hxe_loc l = at_loc(a);
    hl7v_add(a->c, HXE_SEV_WARNING, a->c->len_code, &l, 0,
             "%s: longer than the %u characters allowed", hl7v_place(place, sizeof place, &l),
             max);
}

/* v (not empty, not null) against table, when it is one of the key
 * tables; Z-events are site-defined and pass. */
static void check_table(const at *a, unsigned table, hxe_slice v)
{
    char place[48];
    if (a->tables && key_table(table) && !(table == 3 && v.p[0] == 'Z') &&
        !hl7v_table_has(table, v.p, v.n)) {
        hxe_loc l = at_loc(a);
        hl7v_add(a->c, HXE_SEV_ERROR, HXE_HL7_ERR_TABLE_VALUE, &l, 0,
                 "%s: value not in table %04u (%s)", hl7v_place(place, sizeof place, &l),
                 table, hl7v_table_label(table));
    }
}

/* A coded composite (2.7 PID-8 is a CWE) bound to a key table: its first
 * part is the code. sep splits v into parts. */
static void check_coded(const at *a, unsigned table, hxe_slice v, char sep)
{
    if (!key_table(table) || !sep)
        return;
    hl7v_split sp;
    hxe_slice code;
    hl7v_split_init(&sp, v);
    hl7v_split_next(&sp, sep, &code);
    if (code.n && !is_null(code))
        check_table(a, table, code);
}

/* A primitive value (not empty, not null) of type t with the table of
 * its definition. Components a primitive should not have are ignored, as
 * HL7 tells receivers to (PID-8 sent as a CWE: only its code counts):
 * sep is the separator one level down (0: none). */
static void check_prim(const at *a, unsigned type, unsigned table, hxe_slice v,
                       char sep)
{
    char place[48];
    if (sep && memchr(v.p, sep, v.n)) {
        hl7v_split sp;
        hl7v_split_init(&sp, v);
        hl7v_split_next(&sp, sep, &v);
        if (v.n == 0 || is_null(v))
            return;
    }
    unsigned chk = type < hxe_hl7d_ntypes ? hxe_hl7d_types[type].check : 0;
    int ok = 1;
    switch (chk) {
    case HXE_HL7D_CHK_DT: ok = hl7v_is_dt(v.p, v.n); break;
    case HXE_HL7D_CHK_DTM:
    case HXE_HL7D_CHK_TS: ok = hl7v_is_dtm(v.p, v.n); break;
    case HXE_HL7D_CHK_NM: ok = hl7v_is_nm(v.p, v.n); break;
    case HXE_HL7D_CHK_SI: ok = hl7v_is_si(v.p, v.n); break;
    default: break;
    }
    if (!ok) {
        hxe_loc l = at_loc(a);
        const char *tn = HXE_HL7D_STR(hxe_hl7d_types[type].name);
        if (chk == HXE_HL7D_CHK_TS)
            tn = "DTM";
        hl7v_add(a->c, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l, 0,
                 "%s: not a valid %s", hl7v_place(place, sizeof place, &l), tn);
        return;
    }
    check_table(a, table, v);
}

static const hxe_hl7d_vtype *vtype(const hl7v_ctx *c, unsigned type)
{
    return type < hxe_hl7d_ntypes ? &c->ver->types[type] : NULL;
}

static unsigned check_of(unsigned type)
{
    return type < hxe_hl7d_ntypes ? hxe_hl7d_types[type].check : 0;
}

/* A component (level 1) or subcomponent (level 2) value against def d.
 * check_len: the enclosing field had no length of its own. */
static void check_part(at *a, const hxe_hl7d_elem *d, hxe_slice v, int level,
                       int check_len)
{
    if (v.n == 0 || is_null(v))
        return;
    const hl7v_ctx *c = a->c;
    unsigned chk = check_of(d->type);
    if (chk == HXE_HL7D_CHK_VARIES)
        return;
    if (check_len && d->len && text_len(c->m, v) > d->len)
        too_long(a, d->len);
    const hxe_hl7d_vtype *vt = vtype(c, d->type);
    char ss = c->m->enc.ss;
    if (chk == HXE_HL7D_CHK_TS) {
        /* the time is the first subcomponent of a TS component */
        hxe_slice t = v;
        if (level == 1 && ss) {
            hl7v_split sp;
            hl7v_split_init(&sp, v);
            hl7v_split_next(&sp, ss, &t);
            a->sub = 1;
        }
        if (t.n && !is_null(t))
            check_prim(a, d->type, d->table, t, 0);
        if (level == 1)
            a->sub = 0;
        return;
    }
    if (vt->ncomp == 0) {
        check_prim(a, d->type, d->table, v, level == 1 ? ss : 0);
        return;
    }
    if (level >= 2 || !ss)
        return;   /* a composite where nothing deeper can be split */
    check_coded(a, d->table, v, ss);
    /* a composite component: its subcomponents */
    hl7v_split sp;
    hl7v_split_init(&sp, v);
    hxe_slice s;
    unsigned k = 0;
    while (k < vt->ncomp && hl7v_split_next(&sp, ss, &s)) {
        a->sub = ++k;
        check_part(a, &hxe_hl7d_elems[vt->first + k - 1], s, 2, check_len);
    }
    a->sub = 0;
}

/* One repetition of a field. */
static void check_rep(at *a, const hxe_hl7d_elem *d, hxe_slice v)
{
    const hl7v_ctx *c = a->c;
    unsigned chk = check_of(d->type);
    if (chk == HXE_HL7D_CHK_VARIES)
        return;
    if (d->len && text_len(c->m, v) > d->len)
        too_long(a, d->len);
    const hxe_hl7d_vtype *vt = vtype(c, d->type);
    char cs = c->m->enc.cs;
    if (chk == HXE_HL7D_CHK_TS) {
        /* the first component is the time; degree of precision ignored */
        hl7v_split sp;
        hxe_slice t;
        hl7v_split_init(&sp, v);
        hl7v_split_next(&sp, cs, &t);
        if (t.n && !is_null(t)) {
            a->comp = 1;
            check_prim(a, d->type, d->table, t, c->m->enc.ss);
            a->comp = 0;
        }
        return;
    }
    if (vt->ncomp == 0) {
        check_prim(a, d->type, d->table, v, cs);
        return;
    }
    check_coded(a, d->table, v, cs);
    hl7v_split sp;
    hl7v_split_init(&sp, v);
    hxe_slice s;
    unsigned k = 0;
    while (k < vt->ncomp && hl7v_split_next(&sp, cs, &s)) {
        a->comp = ++k;
        check_part(a, &hxe_hl7d_elems[vt->first + k - 1], s, 1, d->len == 0);
    }
    a->comp = 0;
}

/* OBX-5 has the type OBX-2 names (its first component): a definition
 * for OBX-5 with that type, or 0 when OBX-2 names no type we know. */
static int obx5_def(const hl7v_ctx *c, size_t i, const hxe_hl7d_elem *d, hxe_hl7d_elem *out)
{
    hxe_slice t = hxe_hl7_field(c->m, i, 2);
    hl7v_split sp;
    hl7v_split_init(&sp, t);
    hl7v_split_next(&sp, c->m->enc.rs, &t);
    hl7v_split_init(&sp, t);
    hl7v_split_next(&sp, c->m->enc.cs, &t);
    if (t.n == 0 || t.n > 6)
        return 0;
    for (size_t k = 0; k < hxe_hl7d_ntypes; k++) {
        if (cmp_name(t, HXE_HL7D_STR(hxe_hl7d_types[k].name)) == 0) {
            *out = *d;
            out->type = (uint16_t)k;
            out->rep = 0;   /* OBX-5 repeats whatever its declared type */
            return 1;
        }
    }
    return 0;
}

static void check_field(const hl7v_ctx *c, size_t i, unsigned f, const hxe_hl7d_elem *d,
                        hxe_slice v)
{
    char place[48];
    const hxe_hl7_msg *m = c->m;
    int msh = i == 0;
    if (v.n == 0) {
        if (d->opt == HXE_HL7D_REQUIRED) {
            hxe_loc l = hl7v_loc(c, i, f, 0, 0, 0);
            hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_REQUIRED_MISSING, &l, msh,
                     "%s: required field missing", hl7v_place(place, sizeof place, &l));
        }
        return;
    }
    hxe_hl7d_elem typed;
    if (f == 5 && strcmp(m->segs[i].id, "OBX") == 0) {
        if (!obx5_def(c, i, d, &typed))
            return;
        d = &typed;
    }
    if (check_of(d->type) == HXE_HL7D_CHK_VARIES)
        return;   /* QPD-3 and the like: the shape depends on other fields */
    at a = {c, i, f, 0, 0, 0, 1};
    if (msh && (f == 9 || f == 11 || f == 12))
        a.tables = 0;
    hl7v_split sp;
    hl7v_split_init(&sp, v);
    hxe_slice r;
    unsigned nrep = 0;
    while (hl7v_split_next(&sp, m->enc.rs, &r)) {
        nrep++;
        if (d->rep && nrep == (unsigned)d->rep + 1) {
            hxe_loc l = hl7v_loc(c, i, f, nrep, 0, 0);
            if (d->rep == 1)
                hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l, 0,
                         "%s-%u: field does not repeat", l.seg, f);
            else
                hl7v_add(c, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l, 0,
                         "%s-%u: field repeats more than %u times", l.seg, f,
                         (unsigned)d->rep);
        }
        if (r.n == 0 || is_null(r))
            continue;
        a.rep = nrep;
        check_rep(&a, d, r);
    }
}

void hl7v_check_segment(const hl7v_ctx *c, size_t i)
{
    const hxe_hl7_msg *m = c->m;
    const hxe_hl7_seg *s = &m->segs[i];
    if (s->bad || !s->id[0] || s->id[0] == 'Z')
        return;
    const hxe_hl7d_seg *d = hl7v_find_seg(c->ver, s->id);
    if (!d) {
        hxe_loc l = hl7v_loc(c, i, 0, 0, 0, 0);
        hl7v_add(c, HXE_SEV_WARNING, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l, 0,
                 "unknown segment %s in %s; fields not checked", s->id, c->ver->name);
        return;
    }
    int header = strcmp(s->id, "MSH") == 0 || strcmp(s->id, "BHS") == 0 ||
                 strcmp(s->id, "FHS") == 0;
    size_t nf = hxe_hl7_field_count(m, i);
    if (nf > c->max_fields)
        nf = c->max_fields;
    /* fields from the first checked one on are consecutive pieces: walk
     * them once instead of finding each from the segment's start */
    const char *end = s->p + s->n, *next = NULL;
    for (unsigned f = header ? 3 : 1; f <= d->nfields; f++) {
        hxe_slice v = HXE_SLICE_EMPTY;
        if (f <= nf) {
            const char *b, *e;
            if (!next) {
                next = end;
                if (hl7__field_range(s, &m->enc, f, &b, &e)) {
                    v = hxe_slice_of(b, (size_t)(e - b));
                    next = e < end ? e + 1 : end;
                }
            } else if (next < end) {
                e = memchr(next, m->enc.fs, (size_t)(end - next));
                v = hxe_slice_of(next, (size_t)((e ? e : end) - next));
                next = e ? e + 1 : end;
            }
        }
        check_field(c, i, f, &hxe_hl7d_elems[d->first + f - 1], v);
    }
}
