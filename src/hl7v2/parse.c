/*
 * parse.c — reading one HL7 v2 message: encoding characters, segments,
 * the MSH facts every caller needs (version, character set).
 *
 * The parse is one pass over the bytes that finds segment boundaries and
 * notes control characters and non-ASCII bytes; fields are not indexed
 * here but found on demand (path.c), which keeps parsing at memory speed
 * while access to any field stays a short scan of one segment.
 *
 * Tolerated: \r, \n or \r\n terminators, mixed; blank lines and lines of
 * blanks or MLLP framing bytes; a UTF-8 BOM; a missing final terminator.
 * Reported as issues but still read: malformed segment ids (kept so the
 * message round-trips), control characters, bytes invalid for MSH-18.
 * Refused (HXE_EPARSE): no MSH, a bad MSH-1/MSH-2, limits exceeded.
 */
#include "hl7v2/internal.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

int hxe_hl7_read_enc(hxe_hl7_enc *out, const char *seg, size_t n, hxe_err *err)
{
    memset(out, 0, sizeof *out);
    if (n < 4)
        return hxe_err_set(err, HXE_EPARSE, "MSH-1: missing field separator");
    char fs = seg[3];
    if (!hl7__delim_ok(fs))
        return hxe_err_set(err, HXE_EPARSE,
                           "MSH-1: field separator must be a printable, non-alphanumeric character");
    size_t i = 4;
    while (i < n && seg[i] != fs)
        i++;
    size_t k = i - 4;
    if (k == 0)
        return hxe_err_set(err, HXE_EPARSE, "MSH-2: encoding characters missing");
    if (k > 5)
        return hxe_err_set(err, HXE_EPARSE,
                           "MSH-2: %zu encoding characters, at most 5 are defined", k);
    char c[5] = {0};
    size_t kept = 0, dropped = 0, first_dup = 0;
    for (size_t j = 0; j < k; j++) {
        char ch = seg[4 + j];
        if (!hl7__delim_ok(ch))
            return hxe_err_set(err, HXE_EPARSE,
                               "MSH-2: encoding character %zu must be a printable, non-alphanumeric character",
                               j + 1);
        if (ch == fs)
            return hxe_err_set(err, HXE_EPARSE,
                               "MSH-2: encoding character %zu repeats the field separator", j + 1);
        int dup = 0;
        for (size_t l = 0; l < kept; l++)
            if (c[l] == ch)
                dup = 1;
        if (dup) {
            /* a doubled character (often an escaped backslash copied from
             * source code): read the message without it, and say so */
            if (!dropped++)
                first_dup = j + 1;
            continue;
        }
        c[kept++] = ch;
    }
    out->fs = fs;
    out->cs = c[0];
    out->rs = c[1];
    out->es = c[2];
    out->ss = c[3];
    out->tc = c[4];
    if (dropped)
        return hxe_err_set(err, 1,
                           "MSH-2: encoding character %zu repeats an earlier one; read without it",
                           first_dup);
    return 0;
}

int hl7__grow_segs(hxe_hl7_msg *m, size_t need)
{
    if (need <= m->seg_cap)
        return 0;
    size_t cap = m->seg_cap ? m->seg_cap * 2 : 64;
    while (cap < need)
        cap *= 2;
    hxe_hl7_seg *v = hxe_arena_alloc(m->arena, cap * sizeof *v);
    if (!v)
        return HXE_ENOMEM;
    if (m->nseg)
        memcpy(v, m->segs, m->nseg * sizeof *v);
    m->segs = v;
    m->seg_cap = cap;
    return 0;
}

hxe_loc hl7__loc(const hxe_hl7_msg *m, size_t i)
{
    hxe_loc l = hxe_loc_none();
    if (!m || i >= m->nseg)
        return l;
    const hxe_hl7_seg *s = &m->segs[i];
    memcpy(l.seg, s->id, 4);
    l.seg_pos = (uint32_t)(i + 1);
    uint32_t seq = 0;
    for (size_t j = 0; j <= i; j++)
        if (strcmp(m->segs[j].id, s->id) == 0)
            seq++;
    l.seg_seq = seq;
    l.offset = s->offset;
    return l;
}

/* Is [p, e) a line we skip: only blanks and MLLP framing bytes? */
static int blank_line(const char *p, const char *e)
{
    for (; p < e; p++)
        if (*p != ' ' && *p != '\t' && *p != 0x0b && *p != 0x1c)
            return 0;
    return 1;
}

/* Position of the first byte < 0x20 in [p, end), or end. `high` gets
 * OR-ed with every byte scanned, so bit 7 tells if any was >= 0x80. */
const char *hl7__next_ctl(const char *p, const char *end, unsigned *high)
{
#if defined(__SSE2__)
    const __m128i lim = _mm_set1_epi8(0x1f);
    __m128i acc = _mm_setzero_si128();
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, lim), v);
        int mask = _mm_movemask_epi8(ctl);
        acc = _mm_or_si128(acc, v);
        if (mask) {
            if (_mm_movemask_epi8(acc))
                *high |= 0x80;
            return p + __builtin_ctz((unsigned)mask);
        }
        p += 16;
    }
    if (_mm_movemask_epi8(acc))
        *high |= 0x80;
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        *high |= c & 0x80;
        if (c < 0x20)
            return p;
    }
    return end;
}

static void check_charset(hxe_hl7_msg *m, hxe_issues *issues)
{
    for (size_t i = 0; i < m->nseg; i++) {
        const hxe_hl7_seg *s = &m->segs[i];
        if (m->charset == HXE_HL7_CS_UTF8 || m->charset == HXE_HL7_CS_DEFAULT) {
            size_t bad = hxe_utf8_check(s->p, s->n);
            if (bad == s->n)
                continue;
            hxe_loc l = hl7__loc(m, i);
            l.offset = s->offset + bad;
            if (m->charset == HXE_HL7_CS_UTF8)
                hxe_issues_add(issues, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l,
                               "segment %zu: bytes not valid UTF-8 although MSH-18 says UNICODE UTF-8",
                               i + 1);
            else
                hxe_issues_add(issues, HXE_SEV_WARNING, HXE_HL7_ERR_DATA_TYPE, &l,
                               "segment %zu: bytes not valid UTF-8 and MSH-18 names no character set; read as 8859/1",
                               i + 1);
            if (m->charset == HXE_HL7_CS_DEFAULT)
                m->charset = HXE_HL7_CS_LATIN1;
            return;
        }
        if (m->charset == HXE_HL7_CS_ASCII) {
            for (size_t k = 0; k < s->n; k++)
                if ((unsigned char)s->p[k] >= 0x80) {
                    hxe_loc l = hl7__loc(m, i);
                    l.offset = s->offset + k;
                    hxe_issues_add(issues, HXE_SEV_WARNING, HXE_HL7_ERR_DATA_TYPE, &l,
                                   "segment %zu: non-ASCII byte although MSH-18 says ASCII", i + 1);
                    return;
                }
        }
    }
}

static void read_msh_facts(hxe_hl7_msg *m, hxe_issues *issues)
{
    const hxe_hl7_seg *msh = &m->segs[0];
    const char *b, *e;
    /* MSH-12.1: the version id */
    if (hl7__field_range(msh, &m->enc, 12, &b, &e)) {
        const char *c = memchr(b, m->enc.cs, (size_t)(e - b));
        if (c)
            e = c;
        size_t n = (size_t)(e - b);
        if (n >= sizeof m->version)
            n = sizeof m->version - 1;
        memcpy(m->version, b, n);
        m->version[n] = '\0';
    }
    /* MSH-18, first repetition: the character set */
    if (hl7__field_range(msh, &m->enc, 18, &b, &e) && b < e) {
        const char *r = m->enc.rs ? memchr(b, m->enc.rs, (size_t)(e - b)) : NULL;
        if (r)
            e = r;
        size_t n = (size_t)(e - b);
        if (n >= sizeof m->charset_name)
            n = sizeof m->charset_name - 1;
        memcpy(m->charset_name, b, n);
        m->charset_name[n] = '\0';
        char tmp[32];
        m->charset = hl7__charset_of(hxe_slice_of(b, (size_t)(e - b)), tmp, sizeof tmp);
        if (m->charset < 0) {
            hxe_loc l = hl7__loc(m, 0);
            l.field = 18;
            hxe_issues_add(issues, HXE_SEV_WARNING, HXE_HL7_ERR_TABLE_VALUE, &l,
                           "MSH-18: character set not supported; text read as UTF-8 or 8859/1");
            m->charset = HXE_HL7_CS_DEFAULT;
        }
    }
}

static int fail(hxe_issues *issues, hxe_err *err, int code, const char *msg)
{
    if (msg != err->msg)
        hxe_err_set(err, code, "%s", msg);
    err->code = code;
    if (issues) {
        hxe_issue *it = hxe_issues_add(issues, HXE_SEV_FATAL, HXE_HL7_ERR_SEGMENT_SEQUENCE, NULL,
                                       "%s", err->msg);
        if (it)
            it->reject = 1;
    }
    return code;
}

int hxe_hl7_parse(hxe_hl7_msg **out, hxe_arena *a, const char *buf, size_t len,
                  const hxe_hl7_opts *opts, hxe_issues *issues, hxe_err *err)
{
    hxe_err tmp_err;
    if (!err)
        err = &tmp_err;
    hxe_hl7_opts o = {0, 0, 0};
    if (opts)
        o = *opts;
    if (!o.max_bytes)
        o.max_bytes = HXE_HL7_MAX_BYTES_DEFAULT;
    if (!o.max_segments)
        o.max_segments = HXE_HL7_MAX_SEGMENTS_DEFAULT;
    if (!o.max_fields)
        o.max_fields = HXE_HL7_MAX_FIELDS_DEFAULT;

    if (len > o.max_bytes) {
        hxe_err_set(err, HXE_ETOOBIG, "message of %zu bytes is over the limit of %zu", len,
                    o.max_bytes);
        return fail(issues, err, HXE_ETOOBIG, err->msg);
    }
    const char *p = buf, *end = buf + len;
    if (end - p >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb &&
        (unsigned char)p[2] == 0xbf)
        p += 3;
    while (p < end && (*p == '\r' || *p == '\n' || *p == 0x0b || *p == ' ' || *p == '\t'))
        p++;
    if (p == end)
        return fail(issues, err, HXE_EPARSE, "empty input: no MSH segment");
    if (end - p < 3 || memcmp(p, "MSH", 3) != 0) {
        if (end - p >= 3 && (memcmp(p, "FHS", 3) == 0 || memcmp(p, "BHS", 3) == 0))
            return fail(issues, err, HXE_EPARSE,
                        "input starts with a batch header: read it as a stream");
        return fail(issues, err, HXE_EPARSE, "input does not start with an MSH segment");
    }

    hxe_hl7_msg *m = hxe_arena_calloc(a, sizeof *m);
    if (!m)
        return fail(issues, err, HXE_ENOMEM, "out of memory");
    m->arena = a;
    m->raw = p;
    m->raw_len = (size_t)(end - p);
    m->opts = o;

    /* one pass: lines and control bytes */
    unsigned high = 0;
    const char *line = p;
    int ctl_reported = 0;
    while (line < end) {
        const char *q = line;
        const char *eol;
        for (;;) {
            eol = hl7__next_ctl(q, end, &high);
            if (eol == end || *eol == '\r' || *eol == '\n')
                break;
            if (*eol != '\t' && *eol != 0x0b && *eol != 0x1c && !ctl_reported && issues) {
                hxe_loc l = hxe_loc_none();
                l.seg_pos = (uint32_t)(m->nseg + 1);
                l.offset = (size_t)(eol - buf);
                hxe_issues_add(issues, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l,
                               "segment %zu: control character 0x%02X in the text", m->nseg + 1,
                               (unsigned)(unsigned char)*eol);
                ctl_reported = 1;
            }
            q = eol + 1;
        }
        if (!blank_line(line, eol)) {
            if (m->nseg >= o.max_segments) {
                char what[64];
                snprintf(what, sizeof what, "more than %zu segments", o.max_segments);
                return fail(issues, err, HXE_EPARSE, what);
            }
            if (m->nseg == m->seg_cap && hl7__grow_segs(m, m->nseg + 1))
                return fail(issues, err, HXE_ENOMEM, "out of memory");
            hxe_hl7_seg *s = &m->segs[m->nseg++];
            s->p = line;
            s->n = (size_t)(eol - line);
            s->offset = (size_t)(line - buf);
            s->bad = 0;
            s->id[0] = '\0';
            /* trailing MLLP bytes or blanks after a segment are not part of it */
            while (s->n && (s->p[s->n - 1] == 0x1c || s->p[s->n - 1] == 0x0b))
                s->n--;
        }
        line = eol;
        if (line < end && *line == '\r')
            line++;
        if (line < end && *line == '\n')
            line++;
    }

    int rc = hxe_hl7_read_enc(&m->enc, m->segs[0].p, m->segs[0].n, err);
    if (rc < 0)
        return fail(issues, err, rc, err->msg);
    if (rc == 1 && issues) {
        hxe_loc l = hxe_loc_none();
        memcpy(l.seg, "MSH", 4);
        l.seg_pos = l.seg_seq = 1;
        l.field = 2;
        l.offset = m->segs[0].offset;
        hxe_issue *it = hxe_issues_add(issues, HXE_SEV_ERROR, HXE_HL7_ERR_DATA_TYPE, &l, "%s",
                                       err->msg);
        if (it)
            it->reject = 1;
    }
    hxe_err_clear(err);
    memcpy(m->segs[0].id, "MSH", 4);

    uint32_t msh_seq = 1;
    for (size_t i = 1; i < m->nseg; i++) {
        hxe_hl7_seg *s = &m->segs[i];
        if (hl7__seg_id_ok(s->p, s->n, m->enc.fs)) {
            memcpy(s->id, s->p, 3);
            s->id[3] = '\0';
            if (memcmp(s->id, "MSH", 3) == 0 && issues) {
                /* counted here: hl7__loc would rescan the segments for
                 * every one of many MSH lines */
                hxe_loc l = hxe_loc_none();
                memcpy(l.seg, "MSH", 4);
                l.seg_pos = (uint32_t)(i + 1);
                l.seg_seq = ++msh_seq;
                l.offset = s->offset;
                hxe_issue *it = hxe_issues_add(issues, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l,
                                               "segment %zu: a second MSH; several messages must be read as a stream",
                                               i + 1);
                if (it)
                    it->reject = 1;
            }
        } else {
            s->bad = 1;
            if (issues) {
                hxe_loc l = hxe_loc_none();
                l.seg_pos = (uint32_t)(i + 1);
                l.offset = s->offset;
                hxe_issue *it = hxe_issues_add(issues, HXE_SEV_ERROR, HXE_HL7_ERR_SEGMENT_SEQUENCE, &l,
                                               "segment %zu: malformed segment id (3 characters A-Z/0-9, then the field separator)",
                                               i + 1);
                if (it)
                    it->reject = 1;
            }
        }
    }

    read_msh_facts(m, issues);
    if ((high & 0x80) && issues)
        check_charset(m, issues);
    else if ((high & 0x80) && m->charset == HXE_HL7_CS_DEFAULT &&
             !(hxe_utf8_check(m->raw, m->raw_len) == m->raw_len))
        m->charset = HXE_HL7_CS_LATIN1;
    *out = m;
    return 0;
}
