/*
 * ack.c — HL7 acknowledgments: original mode (AA/AE/AR) and enhanced
 * mode (CA/CE/CR accept acks, AA/AE/AR application acks per MSH-15/16).
 *
 * The ACK answers in the message's own delimiters, version, processing id
 * and character set, with sender and receiver swapped; one ERR segment per
 * issue. An unreadable message still gets an AR: whatever MSH fields can
 * be salvaged from the bytes are used, the rest left empty.
 */
#include "hl7v2/internal.h"

#include <stdatomic.h>
#include <time.h>

#define ACK_MAX_ERR 100
#define SALVAGE_MAX 199

/* HL7 table 0357 texts for ERR-3.2 */
static const char *err_text(int code)
{
    switch (code) {
    case 0: return "Message accepted";
    case 100: return "Segment sequence error";
    case 101: return "Required field missing";
    case 102: return "Data type error";
    case 103: return "Table value not found";
    case 104: return "Value too long";
    case 200: return "Unsupported message type";
    case 201: return "Unsupported event code";
    case 202: return "Unsupported processing id";
    case 203: return "Unsupported version id";
    case 204: return "Unknown key identifier";
    case 205: return "Duplicate key identifier";
    case 206: return "Application record locked";
    case 207: return "Application internal error";
    }
    return "Other HL7 error";
}

static int is_reject(const hxe_issues *issues)
{
    if (!issues)
        return 0;
    for (size_t i = 0; i < issues->n; i++) {
        const hxe_issue *it = &issues->v[i];
        if (it->severity < HXE_SEV_ERROR)
            continue;
        if (it->reject || it->severity == HXE_SEV_FATAL || (it->code >= 200 && it->code <= 203) ||
            it->loc.seg_pos == 1 || strcmp(it->loc.seg, "MSH") == 0)
            return 1;
    }
    return 0;
}

/* MSH-15 (accept) or MSH-16 (application) condition; "" in original mode. */
static void ack_condition(const hxe_hl7_msg *m, int kind, char cond[3], int *enhanced)
{
    hxe_slice a = hxe_hl7_field(m, 0, 15), b = hxe_hl7_field(m, 0, 16);
    *enhanced = a.n > 0 || b.n > 0;
    hxe_slice c = kind == HXE_HL7_ACK_ACCEPT ? a : b;
    cond[0] = cond[1] = cond[2] = 0;
    if (c.n == 2) {
        cond[0] = c.p[0];
        cond[1] = c.p[1];
    }
}

int hxe_hl7_verdict(const hxe_hl7_msg *m, const hxe_issues *issues)
{
    if (!m || is_reject(issues))
        return 'R';
    return issues && issues->errors > 0 ? 'E' : 'A';
}

const char *hxe_hl7_ack_code(const hxe_hl7_msg *m, const hxe_issues *issues, int kind)
{
    int verdict = hxe_hl7_verdict(m, issues);
    int reject = verdict == 'R';
    int error = verdict == 'E';
    if (!m)
        return kind == HXE_HL7_ACK_ACCEPT ? "CR" : "AR";
    char cond[3];
    int enhanced;
    ack_condition(m, kind, cond, &enhanced);
    if (!enhanced)
        return reject ? "AR" : error ? "AE" : "AA";
    const char *code;
    int ok;
    if (kind == HXE_HL7_ACK_ACCEPT) {
        /* commit level: only what stops us taking the message rejects */
        code = reject ? "CR" : "CA";
        ok = !reject;
    } else {
        code = reject ? "AR" : error ? "AE" : "AA";
        ok = !reject && !error;
    }
    if (strcmp(cond, "NE") == 0 || (strcmp(cond, "ER") == 0 && ok) ||
        (strcmp(cond, "SU") == 0 && !ok))
        return NULL;
    return code;
}

static atomic_ulong ack_counter;

static void now_ts(char *buf, size_t size, int with_zone)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    char tmp[24];
    size_t n = strftime(tmp, sizeof tmp, "%Y%m%d%H%M%S", &tm);
    if (with_zone && n + 5 < sizeof tmp)
        memcpy(tmp + n, "+0000", 6);
    snprintf(buf, size, "%s", tmp);
}

/* Values salvaged from a message header: raw field texts. */
struct hdr {
    hxe_hl7_enc enc;
    hxe_slice f[19];   /* f[k] = MSH-k for 3 <= k <= 18 */
    const char *enc_raw;
    size_t enc_raw_n;
};

static void hdr_clear(struct hdr *h)
{
    memset(h, 0, sizeof *h);
    for (unsigned k = 0; k < sizeof h->f / sizeof h->f[0]; k++)
        h->f[k] = HXE_SLICE_EMPTY;
}

static void hdr_from_msg(struct hdr *h, const hxe_hl7_msg *m)
{
    hdr_clear(h);
    h->enc = m->enc;
    hxe_slice e = hxe_hl7_field(m, 0, 2);
    h->enc_raw = e.p;
    h->enc_raw_n = e.n;
    for (unsigned k = 3; k <= 18; k++)
        h->f[k] = hxe_hl7_field(m, 0, k);
}

/* A value from unreadable input is only kept when it is short, printable
 * and free of the ACK's delimiters. */
static hxe_slice clean(hxe_slice v, const hxe_hl7_enc *enc)
{
    if (v.n > SALVAGE_MAX)
        return HXE_SLICE_EMPTY;
    for (size_t i = 0; i < v.n; i++) {
        unsigned char c = (unsigned char)v.p[i];
        if (c < 0x20 || c == 0x7f || c == (unsigned char)enc->fs || c == (unsigned char)enc->es ||
            c == (unsigned char)enc->rs)
            return HXE_SLICE_EMPTY;
    }
    return v;
}

static void hdr_salvage(struct hdr *h, const char *raw, size_t n)
{
    hdr_clear(h);
    h->enc = (hxe_hl7_enc){'|', '^', '~', '\\', '&', 0};
    h->enc_raw = "^~\\&";
    h->enc_raw_n = 4;
    /* the first line that starts with MSH (or a BHS/FHS batch header,
     * which has the same layout) */
    const char *end = raw + n, *p = NULL;
    for (const char *q = raw; end - q >= 4;) {
        while (q < end && (*q == 0x0b || *q == 0x1c || *q == ' '))
            q++;
        if (end - q < 4)
            break;
        if (memcmp(q, "MSH", 3) == 0 || memcmp(q, "BHS", 3) == 0 || memcmp(q, "FHS", 3) == 0) {
            p = q;
            break;
        }
        while (q < end && *q != '\r' && *q != '\n')
            q++;
        while (q < end && (*q == '\r' || *q == '\n' || *q == 0x0b || *q == 0x1c))
            q++;
    }
    if (!p || end - p < 4 || p[3] != '|')
        return; /* only the standard field separator is trusted here */
    const char *le = p;
    while (le < end && *le != '\r' && *le != '\n')
        le++;
    for (unsigned k = 3; k <= 18; k++) {
        const char *b, *e;
        if (hl7__piece(p, le, '|', k - 1, &b, &e))
            h->f[k] = clean(hxe_slice_of(b, (size_t)(e - b)), &h->enc);
    }
    /* the salvaged fields are read with standard components */
}

static int put(hxe_buf *b, hxe_slice s) { return hxe_buf_append(b, s.p, s.n); }

static int put_text(hxe_buf *b, const hxe_hl7_enc *enc, const char *t)
{
    return hxe_hl7_escape(enc, t, strlen(t), b);
}

static int write_err(hxe_buf *b, const struct hdr *h, const hxe_issue *it, int old_style)
{
    const hxe_hl7_enc *e = &h->enc;
    char sev = it->severity == HXE_SEV_FATAL     ? 'F'
               : it->severity == HXE_SEV_ERROR   ? 'E'
               : it->severity == HXE_SEV_WARNING ? 'W'
                                                 : 'I';
    int rc = hxe_buf_printf(b, "ERR%c", e->fs);
    if (old_style) {
        /* ERR-1 (ELD): segment^sequence^field^code&text&HL70357 */
        if (!rc && it->loc.seg[0])
            rc = hxe_buf_printf(b, "%s%c%u%c%u", it->loc.seg, e->cs, it->loc.seg_seq, e->cs,
                                it->loc.field);
        else if (!rc)
            rc = hxe_buf_printf(b, "%c%c", e->cs, e->cs);
        if (!rc)
            rc = hxe_buf_printf(b, "%c%u", e->cs, it->code);
        if (!rc && e->ss) {
            rc = hxe_buf_putc(b, e->ss);
            if (!rc)
                rc = put_text(b, e, err_text(it->code));
            if (!rc)
                rc = hxe_buf_printf(b, "%cHL70357", e->ss);
        }
        return rc ? rc : hxe_buf_putc(b, '\r');
    }
    /* ERR-2 (ERL), ERR-3 (CWE), ERR-4 severity, ERR-8 user message */
    if (!rc)
        rc = hxe_buf_putc(b, e->fs);
    if (!rc && it->loc.seg[0]) {
        rc = hxe_buf_printf(b, "%s%c%u", it->loc.seg, e->cs, it->loc.seg_seq);
        if (!rc && it->loc.field) {
            rc = hxe_buf_printf(b, "%c%u%c%u", e->cs, it->loc.field, e->cs,
                                it->loc.rep ? it->loc.rep : 1u);
            if (!rc && it->loc.comp)
                rc = hxe_buf_printf(b, "%c%u", e->cs, it->loc.comp);
            if (!rc && it->loc.comp && it->loc.sub)
                rc = hxe_buf_printf(b, "%c%u", e->cs, it->loc.sub);
        }
    }
    if (!rc)
        rc = hxe_buf_printf(b, "%c%u%c", e->fs, it->code, e->cs);
    if (!rc)
        rc = put_text(b, e, err_text(it->code));
    if (!rc)
        rc = hxe_buf_printf(b, "%cHL70357%c%c%c%c%c%c", e->cs, e->fs, sev, e->fs, e->fs, e->fs,
                            e->fs);
    if (!rc)
        rc = put_text(b, e, it->text);
    if (!rc)
        rc = hxe_buf_putc(b, '\r');
    return rc;
}

static int version_before(hxe_slice v, int major, int minor)
{
    /* "2.4" -> (2, 4); unreadable versions count as new */
    if (v.n < 3 || v.p[0] < '0' || v.p[0] > '9' || v.p[1] != '.' || v.p[2] < '0' || v.p[2] > '9')
        return 0;
    int ma = v.p[0] - '0', mi = v.p[2] - '0';
    return ma < major || (ma == major && mi < minor);
}

int hxe_hl7_ack(const hxe_hl7_msg *m, const char *raw, size_t raw_len,
                const hxe_issues *issues, const hxe_hl7_ack_opts *opts, hxe_buf *out)
{
    hxe_hl7_ack_opts o = {0};
    if (opts)
        o = *opts;
    const char *code = hxe_hl7_ack_code(m, issues, o.kind);
    if (!code)
        return 1;
    char forced[3];
    if (o.force_code == 'A' || o.force_code == 'E' || o.force_code == 'R') {
        forced[0] = code[0];
        forced[1] = (char)o.force_code;
        forced[2] = 0;
        code = forced;
    }
    struct hdr h;
    if (m)
        hdr_from_msg(&h, m);
    else
        hdr_salvage(&h, raw ? raw : "", raw ? raw_len : 0);
    const hxe_hl7_enc *e = &h.enc;

    hxe_slice ver = h.f[12];
    hxe_slice ver1;
    hxe_slice_piece(ver, e->cs, 1, &ver1);
    int old_err = version_before(ver1, 2, 5);
    char ts[32], cid[32];
    now_ts(ts, sizeof ts, !version_before(ver1, 2, 3));
    if (o.control_id)
        snprintf(cid, sizeof cid, "%s", o.control_id);
    else {
        char t[32];
        now_ts(t, sizeof t, 0);
        snprintf(cid, sizeof cid, "%.14s%06lu", t, (unsigned long)(atomic_fetch_add(&ack_counter, 1) % 1000000));
    }
    hxe_slice event;
    hxe_slice_piece(h.f[9], e->cs, 2, &event);

    int rc = hxe_buf_printf(out, "MSH%c", e->fs);
    if (!rc)
        rc = hxe_buf_append(out, h.enc_raw, h.enc_raw_n);
    /* MSH-3..6: receiver becomes sender */
    hxe_slice swap[4] = {h.f[5], h.f[6], h.f[3], h.f[4]};
    for (int k = 0; k < 4 && !rc; k++) {
        rc = hxe_buf_putc(out, e->fs);
        if (!rc)
            rc = put(out, swap[k]);
    }
    if (!rc)
        rc = hxe_buf_printf(out, "%c%s%c%cACK", e->fs, o.timestamp ? o.timestamp : ts, e->fs, e->fs);
    if (!rc && event.n) {
        rc = hxe_buf_putc(out, e->cs);
        if (!rc)
            rc = put(out, event);
    }
    if (!rc && !version_before(ver1, 2, 4)) {
        if (!event.n)
            rc = hxe_buf_putc(out, e->cs);
        if (!rc)
            rc = hxe_buf_printf(out, "%cACK", e->cs);
    }
    if (!rc)
        rc = hxe_buf_putc(out, e->fs);
    if (!rc)
        rc = put_text(out, e, cid);
    if (!rc)
        rc = hxe_buf_putc(out, e->fs);
    if (!rc)
        rc = h.f[11].n ? put(out, h.f[11]) : hxe_buf_putc(out, 'P');
    if (!rc)
        rc = hxe_buf_putc(out, e->fs);
    if (!rc)
        rc = ver.n ? put(out, ver) : hxe_buf_puts(out, "2.5.1");
    if (!rc && h.f[18].n) /* keep the character set */
        rc = hxe_buf_printf(out, "%c%c%c%c%c%c", e->fs, e->fs, e->fs, e->fs, e->fs, e->fs);
    if (!rc && h.f[18].n)
        rc = put(out, h.f[18]);
    if (!rc)
        rc = hxe_buf_printf(out, "\rMSA%c%s%c", e->fs, code, e->fs);
    if (!rc)
        rc = put(out, h.f[10]);
    if (!rc && o.text) {
        rc = hxe_buf_putc(out, e->fs);
        if (!rc)
            rc = put_text(out, e, o.text);
    }
    if (!rc)
        rc = hxe_buf_putc(out, '\r');
    size_t written = 0;
    for (size_t i = 0; issues && i < issues->n && !rc; i++) {
        const hxe_issue *it = &issues->v[i];
        if (it->severity < HXE_SEV_WARNING)
            continue;
        if (written == ACK_MAX_ERR) {
            hxe_issue more = {0};
            more.severity = HXE_SEV_WARNING;
            more.code = 207;
            snprintf(more.text, sizeof more.text, "further issues not listed");
            rc = write_err(out, &h, &more, old_err);
            break;
        }
        rc = write_err(out, &h, it, old_err);
        written++;
    }
    return rc;
}
