/*
 * escape.c — HL7 escape sequences (chapter 2) and character sets (MSH-18).
 *
 * Decoding turns a raw value into UTF-8 text; encoding turns UTF-8 text
 * into a value safe to place between the message's separators. The
 * character set of the message applies to the raw bytes and to the bytes
 * of \Xhh\ sequences alike.
 */
#include "hl7v2/internal.h"

#include <errno.h>
#include <iconv.h>

static const struct {
    const char *hl7;     /* MSH-18 value (table 0211) */
    int cs;
    const char *iconv;
} charsets[] = {
    {"ASCII", HXE_HL7_CS_ASCII, NULL},
    {"ISO IR6", HXE_HL7_CS_ASCII, NULL},
    {"8859/1", HXE_HL7_CS_LATIN1, NULL},
    {"ISO IR100", HXE_HL7_CS_LATIN1, NULL},
    {"UNICODE UTF-8", HXE_HL7_CS_UTF8, NULL},
    {"ISO IR192", HXE_HL7_CS_UTF8, NULL},
    {"UTF-8", HXE_HL7_CS_UTF8, NULL},
    {"8859/2", HXE_HL7_CS_ICONV, "ISO-8859-2"},
    {"8859/3", HXE_HL7_CS_ICONV, "ISO-8859-3"},
    {"8859/4", HXE_HL7_CS_ICONV, "ISO-8859-4"},
    {"8859/5", HXE_HL7_CS_ICONV, "ISO-8859-5"},
    {"8859/6", HXE_HL7_CS_ICONV, "ISO-8859-6"},
    {"8859/7", HXE_HL7_CS_ICONV, "ISO-8859-7"},
    {"8859/8", HXE_HL7_CS_ICONV, "ISO-8859-8"},
    {"8859/9", HXE_HL7_CS_ICONV, "ISO-8859-9"},
    {"8859/15", HXE_HL7_CS_ICONV, "ISO-8859-15"},
    {"GB 18030-2000", HXE_HL7_CS_ICONV, "GB18030"},
    {"BIG-5", HXE_HL7_CS_ICONV, "BIG5"},
    {"KS X 1001", HXE_HL7_CS_ICONV, "EUC-KR"},
};

int hl7__charset_of(hxe_slice v, char *iconv_name, size_t size)
{
    while (v.n && v.p[v.n - 1] == ' ')
        v.n--;
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++) {
        if (hxe_slice_eq_cstr(v, charsets[i].hl7)) {
            if (charsets[i].iconv && iconv_name)
                snprintf(iconv_name, size, "%s", charsets[i].iconv);
            return charsets[i].cs;
        }
    }
    return -1;
}

const char *hl7__iconv_name(const hxe_hl7_msg *m)
{
    for (size_t i = 0; i < sizeof charsets / sizeof charsets[0]; i++)
        if (strcmp(m->charset_name, charsets[i].hl7) == 0)
            return charsets[i].iconv;
    return NULL;
}

static int latin1_to_utf8(const unsigned char *s, size_t n, hxe_buf *out)
{
    int rc = hxe_buf_reserve(out, n * 2);
    for (size_t i = 0; i < n && !rc; i++) {
        if (s[i] < 0x80)
            out->p[out->len++] = (char)s[i];
        else {
            out->p[out->len++] = (char)(0xc0 | (s[i] >> 6));
            out->p[out->len++] = (char)(0x80 | (s[i] & 0x3f));
        }
    }
    if (!rc)
        out->p[out->len] = '\0';
    return rc;
}

/* Copies UTF-8, replacing invalid sequences with U+FFFD. */
static int utf8_copy(const char *s, size_t n, hxe_buf *out)
{
    while (n) {
        size_t ok = hxe_utf8_check(s, n);
        int rc = hxe_buf_append(out, s, ok);
        if (rc)
            return rc;
        if (ok == n)
            return 0;
        rc = hxe_utf8_put(out, 0xfffd);
        if (rc)
            return rc;
        s += ok + 1;
        n -= ok + 1;
    }
    return 0;
}

static int iconv_to_utf8(const char *name, const char *s, size_t n, hxe_buf *out)
{
    iconv_t cd = iconv_open("UTF-8", name);
    if (cd == (iconv_t)-1)
        return utf8_copy(s, n, out);
    int rc = 0;
    char *in = (char *)(uintptr_t)s;
    size_t left = n;
    while (left && !rc) {
        rc = hxe_buf_reserve(out, left * 4 + 16);
        if (rc)
            break;
        char *o = out->p + out->len;
        size_t room = out->cap - out->len - 1;
        size_t r = iconv(cd, &in, &left, &o, &room);
        int e = errno;
        out->len = (size_t)(o - out->p);
        out->p[out->len] = '\0';
        if (r == (size_t)-1 && e != E2BIG) {
            /* invalid or incomplete: mark it and go on after the byte */
            rc = hxe_utf8_put(out, 0xfffd);
            in++;
            left--;
        }
    }
    iconv_close(cd);
    return rc;
}

int hxe_hl7_to_utf8(const hxe_hl7_msg *m, const char *s, size_t n, hxe_buf *out)
{
    switch (m->charset) {
    case HXE_HL7_CS_LATIN1:
    case HXE_HL7_CS_ASCII: /* stray high bytes read as 8859/1 */
        return latin1_to_utf8((const unsigned char *)s, n, out);
    case HXE_HL7_CS_ICONV: {
        const char *name = hl7__iconv_name(m);
        return name ? iconv_to_utf8(name, s, n, out) : utf8_copy(s, n, out);
    }
    case HXE_HL7_CS_UTF8:
    case HXE_HL7_CS_DEFAULT:
    default:
        return utf8_copy(s, n, out);
    }
}

/* UTF-8 text -> the message's character set (for edits). */
int hl7__utf8_to_msg(const hxe_hl7_msg *m, const char *s, size_t n, hxe_buf *out)
{
    if (m->charset != HXE_HL7_CS_LATIN1 && m->charset != HXE_HL7_CS_ASCII &&
        m->charset != HXE_HL7_CS_ICONV)
        return hxe_buf_append(out, s, n);
    const char *to = m->charset == HXE_HL7_CS_ICONV   ? hl7__iconv_name(m)
                     : m->charset == HXE_HL7_CS_ASCII ? "ASCII"
                                                      : "ISO-8859-1";
    if (!to)
        return hxe_buf_append(out, s, n);
    iconv_t cd = iconv_open(to, "UTF-8");
    if (cd == (iconv_t)-1)
        return HXE_ECHARSET;
    int rc = hxe_buf_reserve(out, n * 4 + 16);
    if (!rc) {
        char *in = (char *)(uintptr_t)s, *o = out->p + out->len;
        size_t left = n, room = out->cap - out->len - 1;
        if (iconv(cd, &in, &left, &o, &room) == (size_t)-1)
            rc = HXE_ECHARSET;
        else {
            out->len = (size_t)(o - out->p);
            out->p[out->len] = '\0';
        }
    }
    iconv_close(cd);
    return rc;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static void warn(hxe_issues *issues, const char *what)
{
    if (issues)
        hxe_issues_add(issues, HXE_SEV_WARNING, HXE_HL7_ERR_DATA_TYPE, NULL, "%s", what);
}

int hxe_hl7_unescape(const hxe_hl7_msg *m, hxe_slice raw, hxe_buf *out, hxe_issues *issues)
{
    const hxe_hl7_enc *enc = &m->enc;
    const char *p = raw.p, *end = raw.p + raw.n;
    if (!enc->es)
        return hxe_hl7_to_utf8(m, p, raw.n, out);
    int rc = 0;
    while (p < end && !rc) {
        const char *q = memchr(p, enc->es, (size_t)(end - p));
        if (!q)
            return hxe_hl7_to_utf8(m, p, (size_t)(end - p), out);
        if (q > p && (rc = hxe_hl7_to_utf8(m, p, (size_t)(q - p), out)))
            return rc;
        const char *c = q + 1 < end ? memchr(q + 1, enc->es, (size_t)(end - q - 1)) : NULL;
        if (!c) {
            warn(issues, "unterminated escape sequence kept as written");
            return hxe_hl7_to_utf8(m, q, (size_t)(end - q), out);
        }
        const char *s = q + 1;
        size_t n = (size_t)(c - s);
        char one = n == 1 ? s[0] : 0;
        if (one == 'F')
            rc = hxe_buf_putc(out, enc->fs);
        else if (one == 'S')
            rc = hxe_buf_putc(out, enc->cs);
        else if (one == 'T' && enc->ss)
            rc = hxe_buf_putc(out, enc->ss);
        else if (one == 'R' && enc->rs)
            rc = hxe_buf_putc(out, enc->rs);
        else if (one == 'E')
            rc = hxe_buf_putc(out, enc->es);
        else if (one == 'P' && enc->tc)
            rc = hxe_buf_putc(out, enc->tc);
        else if (one == 'H' || one == 'N') {
            /* highlighting on/off: no text */
        } else if (n >= 3 && s[0] == 'X' && (n - 1) % 2 == 0) {
            char bytes[64];
            size_t k = 0;
            int bad = 0;
            for (size_t i = 1; i + 1 < n && !rc; i += 2) {
                int hi = hexval(s[i]), lo = hexval(s[i + 1]);
                if (hi < 0 || lo < 0) {
                    bad = 1;
                    break;
                }
                bytes[k++] = (char)(hi << 4 | lo);
                if (k == sizeof bytes) {
                    rc = hxe_hl7_to_utf8(m, bytes, k, out);
                    k = 0;
                }
            }
            if (bad) {
                warn(issues, "bad \\X..\\ escape kept as written");
                rc = hxe_hl7_to_utf8(m, q, (size_t)(c - q + 1), out);
            } else if (k && !rc)
                rc = hxe_hl7_to_utf8(m, bytes, k, out);
        } else if (n >= 3 && s[0] == '.' && ((s[1] == 'b' && s[2] == 'r') || (s[1] == 's' && s[2] == 'p'))) {
            long lines = 1;
            if (s[1] == 's' && n > 3) {
                lines = 0;
                for (size_t i = 3; i < n && s[i] >= '0' && s[i] <= '9' && lines < 100; i++)
                    lines = lines * 10 + (s[i] - '0');
                if (lines < 1)
                    lines = 1;
                if (lines > 100)
                    lines = 100;
            }
            while (lines-- > 0 && !rc)
                rc = hxe_buf_putc(out, '\n');
        } else if (n >= 3 && s[0] == '.' &&
                   ((s[1] == 'f' && s[2] == 'i') || (s[1] == 'n' && s[2] == 'f') ||
                    (s[1] == 'i' && s[2] == 'n') || (s[1] == 't' && s[2] == 'i') ||
                    (s[1] == 's' && s[2] == 'k') || (s[1] == 'c' && s[2] == 'e'))) {
            /* formatting commands: layout only, no text */
        } else if (n >= 1 && (s[0] == 'C' || s[0] == 'M')) {
            /* ISO 2022 character set switches: not applied, dropped */
            warn(issues, "character set escape ignored");
        } else {
            if (!(n >= 1 && s[0] == 'Z'))
                warn(issues, "unknown escape sequence kept as written");
            rc = hxe_hl7_to_utf8(m, q, (size_t)(c - q + 1), out);
        }
        p = c + 1;
    }
    return rc;
}

int hxe_hl7_escape(const hxe_hl7_enc *enc, const char *text, size_t n, hxe_buf *out)
{
    int rc = hxe_buf_reserve(out, n);
    size_t run = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char c = text[i];
        const char *rep = NULL;
        char tmp[8];
        if (c == enc->fs)
            rep = "F";
        else if (c == enc->cs)
            rep = "S";
        else if (enc->rs && c == enc->rs)
            rep = "R";
        else if (enc->es && c == enc->es)
            rep = "E";
        else if (enc->ss && c == enc->ss)
            rep = "T";
        else if (enc->tc && c == enc->tc)
            rep = "P";
        else if (c == '\n')
            rep = ".br";
        else if (c == '\r') {
            if (i + 1 < n && text[i + 1] == '\n') {
                /* CRLF: the LF makes the line break */
                rc = hxe_buf_append(out, text + run, i - run);
                run = i + 1;
                continue;
            }
            rep = "X0D";
        } else
            continue;
        rc = hxe_buf_append(out, text + run, i - run);
        run = i + 1;
        if (rc)
            break;
        if (!enc->es)
            return HXE_EINVAL; /* no escape character: cannot encode */
        int k = snprintf(tmp, sizeof tmp, "%c%s%c", enc->es, rep, enc->es);
        rc = hxe_buf_append(out, tmp, (size_t)k);
    }
    if (!rc)
        rc = hxe_buf_append(out, text + run, n - run);
    return rc;
}
