/*
 * err.c — error codes, the error value, and the allocator hook.
 *
 * hxe_strerror is a switch with no default over the HXE_ERRNO_MAP codes,
 * so -Werror=switch catches a code added without its text.
 */
#include "base/base.h"

#include <stdlib.h>
#include <string.h>

const char *hxe_strerror(int code)
{
    if (code == HXE_OK)
        return "ok";
    switch ((enum hxe_errno)code) {
    case HXE_OK:
        return "ok";
#define HXE_ERRNO_CASE(name, val, text) \
    case HXE_E##name:                   \
        return text;
        HXE_ERRNO_MAP(HXE_ERRNO_CASE)
#undef HXE_ERRNO_CASE
    }
    return "unknown error";
}

int hxe_err_set(hxe_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}

void hxe_err_clear(hxe_err *err)
{
    if (err) {
        err->code = 0;
        err->msg[0] = '\0';
    }
}

static void *(*g_malloc)(size_t) = malloc;
static void *(*g_realloc)(void *, size_t) = realloc;
static void (*g_free)(void *) = free;

void hxe_set_allocator(void *(*m)(size_t), void *(*r)(void *, size_t),
                       void (*f)(void *))
{
    if (m && r && f) {
        g_malloc = m;
        g_realloc = r;
        g_free = f;
    } else {
        g_malloc = malloc;
        g_realloc = realloc;
        g_free = free;
    }
}

void *hxe_malloc(size_t n) { return g_malloc(n ? n : 1); }
void *hxe_realloc(void *p, size_t n) { return g_realloc(p, n ? n : 1); }
void hxe_free(void *p)
{
    if (p)
        g_free(p);
}

void *hxe_calloc(size_t count, size_t n)
{
    if (n && count > SIZE_MAX / n)
        return NULL;
    void *p = hxe_malloc(count * n);
    if (p)
        memset(p, 0, count * n);
    return p;
}

char *hxe_strndup(const char *s, size_t n)
{
    char *p = hxe_malloc(n + 1);
    if (!p)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}
