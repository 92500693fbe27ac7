/*
 * text.c — JSON string escaping and UTF-8 checking/encoding.
 */
#include "base/base.h"

int hxe_json_str(hxe_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    int rc = hxe_buf_reserve(b, n + 2);
    if (rc)
        return rc;
    rc = hxe_buf_putc(b, '"');
    size_t run = 0; /* start of bytes that need no escaping */
    for (size_t i = 0; i < n && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            /* valid UTF-8 passes as is; any other byte becomes U+FFFD so
             * the output is always valid JSON */
            size_t seq = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (seq <= n - i && hxe_utf8_check(s + i, seq) == seq) {
                i += seq - 1;
                continue;
            }
            rc = hxe_buf_append(b, s + run, i - run);
            run = i + 1;
            if (!rc)
                rc = hxe_buf_append(b, "\\ufffd", 6);
            continue;
        }
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
            continue;
        rc = hxe_buf_append(b, s + run, i - run);
        run = i + 1;
        if (rc)
            break;
        switch (c) {
        case '"': rc = hxe_buf_append(b, "\\\"", 2); break;
        case '\\': rc = hxe_buf_append(b, "\\\\", 2); break;
        case '\n': rc = hxe_buf_append(b, "\\n", 2); break;
        case '\r': rc = hxe_buf_append(b, "\\r", 2); break;
        case '\t': rc = hxe_buf_append(b, "\\t", 2); break;
        default: {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            rc = hxe_buf_append(b, e, 6);
        }
        }
    }
    if (!rc)
        rc = hxe_buf_append(b, s + run, n - run);
    if (!rc)
        rc = hxe_buf_putc(b, '"');
    return rc;
}

size_t hxe_utf8_check(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if (c >= 0xc2 && c <= 0xdf) {
            len = 2; cp = c & 0x1f; min = 0x80;
        } else if (c >= 0xe0 && c <= 0xef) {
            len = 3; cp = c & 0x0f; min = 0x800;
        } else if (c >= 0xf0 && c <= 0xf4) {
            len = 4; cp = c & 0x07; min = 0x10000;
        } else {
            return i;
        }
        if (n - i < len)
            return i;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return i;
        i += len;
    }
    return n;
}

int hxe_utf8_put(hxe_buf *b, uint32_t cp)
{
    char o[4];
    size_t n;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        cp = 0xfffd;
    if (cp < 0x80) {
        o[0] = (char)cp; n = 1;
    } else if (cp < 0x800) {
        o[0] = (char)(0xc0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3f)); n = 2;
    } else if (cp < 0x10000) {
        o[0] = (char)(0xe0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        o[2] = (char)(0x80 | (cp & 0x3f)); n = 3;
    } else {
        o[0] = (char)(0xf0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        o[2] = (char)(0x80 | ((cp >> 6) & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f)); n = 4;
    }
    return hxe_buf_append(b, o, n);
}
