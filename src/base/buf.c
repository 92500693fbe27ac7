/*
 * buf.c — bounded growable buffers, slices, and whole-file reading.
 *
 * Invariant: when cap > 0, p[len] == '\0', so a buffer can be handed to C
 * string functions; the bytes themselves may contain NULs.
 */
#include "base/base.h"

#include <errno.h>
#include <string.h>

#define HXE_BUF_DEFAULT_MAX ((size_t)1 << 30)

void hxe_buf_init(hxe_buf *b, size_t max)
{
    b->p = NULL;
    b->len = b->cap = 0;
    b->max = max;
}

int hxe_buf_reserve(hxe_buf *b, size_t extra)
{
    size_t max = b->max ? b->max : HXE_BUF_DEFAULT_MAX;
    if (extra > max || b->len > max - extra)
        return HXE_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = hxe_realloc(b->p, cap);
    if (!p)
        return HXE_ENOMEM;
    p[b->len] = '\0';   /* the invariant, also for a buffer that was empty */
    b->p = p;
    b->cap = cap;
    return 0;
}

int hxe_buf_append(hxe_buf *b, const void *p, size_t n)
{
    int rc = hxe_buf_reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->p + b->len, p, n);
    b->len += n;
    b->p[b->len] = '\0';
    return 0;
}

int hxe_buf_putc(hxe_buf *b, char c) { return hxe_buf_append(b, &c, 1); }
int hxe_buf_puts(hxe_buf *b, const char *s) { return hxe_buf_append(b, s, strlen(s)); }

int hxe_buf_printf(hxe_buf *b, const char *fmt, ...)
{
    char small[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0)
        return HXE_EINVAL;
    if ((size_t)n < sizeof small)
        return hxe_buf_append(b, small, (size_t)n);
    int rc = hxe_buf_reserve(b, (size_t)n);
    if (rc)
        return rc;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

void hxe_buf_truncate(hxe_buf *b, size_t len)
{
    if (len < b->len) {
        b->len = len;
        b->p[len] = '\0';
    }
}

char *hxe_buf_take(hxe_buf *b, size_t *len_out)
{
    char *p = b->p;
    if (len_out)
        *len_out = b->len;
    if (!p)
        p = hxe_strndup("", 0);
    b->p = NULL;
    b->len = b->cap = 0;
    return p;
}

void hxe_buf_free(hxe_buf *b)
{
    if (!b)
        return;
    hxe_free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

hxe_slice hxe_slice_cstr(const char *s) { return (hxe_slice){s, strlen(s)}; }

int hxe_slice_eq(hxe_slice a, hxe_slice b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

int hxe_slice_eq_cstr(hxe_slice a, const char *s) { return hxe_slice_eq(a, hxe_slice_cstr(s)); }

int hxe_slice_piece(hxe_slice s, char sep, unsigned n, hxe_slice *out)
{
    if (!s.p)
        s = HXE_SLICE_EMPTY;
    const char *p = s.p, *end = s.p + s.n;
    *out = HXE_SLICE_EMPTY;
    if (n == 0)
        return 0;
    for (unsigned i = 1; i < n; i++) {
        const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
        if (!q)
            return 0;
        p = q + 1;
    }
    const char *q = p < end ? memchr(p, sep, (size_t)(end - p)) : NULL;
    *out = (hxe_slice){p, (size_t)((q ? q : end) - p)};
    return 1;
}

size_t hxe_slice_count(hxe_slice s, char sep)
{
    size_t c = 1;
    if (!s.p)
        return c;
    const char *p = s.p, *end = s.p + s.n;
    while (p < end && (p = memchr(p, sep, (size_t)(end - p))) != NULL) {
        c++;
        p++;
    }
    return c;
}

int hxe_read_file(const char *path, size_t max, hxe_buf *b, hxe_err *err)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f)
        return hxe_err_set(err, HXE_EIO, "%s: %s", path, strerror(errno));
    b->max = max;
    int rc = 0;
    size_t limit = max ? max : HXE_BUF_DEFAULT_MAX;
    for (;;) {
        size_t chunk = limit - b->len < 64 * 1024 ? limit - b->len : 64 * 1024;
        if (chunk == 0) {
            if (fgetc(f) != EOF)
                rc = hxe_err_set(err, HXE_ETOOBIG, "%s: larger than the limit of %zu bytes",
                                 path, limit);
            break;
        }
        rc = hxe_buf_reserve(b, chunk);
        if (rc) {
            hxe_err_set(err, rc, "%s: out of memory", path);
            break;
        }
        size_t got = fread(b->p + b->len, 1, chunk, f);
        b->len += got;
        b->p[b->len] = '\0';
        if (got == 0) {
            if (ferror(f))
                rc = hxe_err_set(err, HXE_EIO, "%s: read error", path);
            break;
        }
    }
    if (f != stdin)
        fclose(f);
    return rc;
}
