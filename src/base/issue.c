/*
 * issue.c — the issue list shared by every codec.
 *
 * The list is bounded (max, default 1000): a pathological input cannot
 * make us keep millions of issues; the rest are counted in `dropped`.
 */
#include "base/base.h"

#include <string.h>

hxe_loc hxe_loc_none(void)
{
    hxe_loc l;
    memset(&l, 0, sizeof l);
    l.offset = (size_t)-1;
    return l;
}

hxe_issue *hxe_issues_add(hxe_issues *l, int severity, int code,
                          const hxe_loc *loc, const char *fmt, ...)
{
    if (severity >= HXE_SEV_ERROR)
        l->errors++;
    size_t max = l->max ? l->max : 1000;
    if (l->n >= max) {
        l->dropped++;
        return NULL;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        if (cap > max)
            cap = max;
        hxe_issue *v = hxe_realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->dropped++;
            return NULL;
        }
        l->v = v;
        l->cap = cap;
    }
    hxe_issue *it = &l->v[l->n++];
    memset(it, 0, sizeof *it);
    it->severity = (uint8_t)severity;
    it->code = (uint16_t)code;
    it->loc = loc ? *loc : hxe_loc_none();
    va_list ap;
    va_start(ap, fmt);
    if (fmt[0] == '%' && fmt[1] == 's' && fmt[2] == 0) {
        /* a text made by the caller (the usual case): copied, cut to fit
         * as vsnprintf would, without the cost of reading a format */
        const char *t = va_arg(ap, const char *);
        if (!t)
            t = "(null)";   /* as glibc prints it */
        size_t n = strnlen(t, sizeof it->text - 1);
        memcpy(it->text, t, n);
        it->text[n] = 0;
    } else {
        vsnprintf(it->text, sizeof it->text, fmt, ap);
    }
    va_end(ap);
    return it;
}

void hxe_issues_clear(hxe_issues *l)
{
    l->n = 0;
    l->dropped = 0;
    l->errors = 0;
}

void hxe_issues_free(hxe_issues *l)
{
    if (!l)
        return;
    hxe_free(l->v);
    l->v = NULL;
    l->n = l->cap = l->dropped = l->errors = 0;
}

const char *hxe_severity_name(int severity)
{
    switch (severity) {
    case HXE_SEV_INFO: return "information";
    case HXE_SEV_WARNING: return "warning";
    case HXE_SEV_ERROR: return "error";
    case HXE_SEV_FATAL: return "fatal";
    }
    return "error";
}
