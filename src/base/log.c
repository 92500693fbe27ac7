/*
 * log.c — structured logging as JSON lines.
 *
 * One line per event: {"ts":"...","level":"info","event":"...",...}.
 * Callers pass ids, counts, codes and places; message content never
 * reaches this file (CONVENTIONS: no PHI in logs).
 */
#include "base/base.h"

#include <string.h>
#include <time.h>

static int g_level = HXE_LOG_INFO;
static FILE *g_stream;

void hxe_log_set_level(int level) { g_level = level; }
int hxe_log_level(void) { return g_level; }
void hxe_log_set_stream(FILE *f) { g_stream = f; }

static const char *level_name(int level)
{
    switch (level) {
    case HXE_LOG_DEBUG: return "debug";
    case HXE_LOG_INFO: return "info";
    case HXE_LOG_WARN: return "warn";
    case HXE_LOG_ERROR: return "error";
    }
    return "info";
}

void hxe_log_emit(int level, const char *event, const hxe_log_field *fields)
{
    if (level < g_level || level >= HXE_LOG_OFF)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    hxe_buf b = HXE_BUF_INIT;
    int rc = hxe_buf_printf(&b, "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"event\":",
                            tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                            tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, level_name(level));
    if (!rc)
        rc = hxe_json_str(&b, event, strlen(event));
    for (const hxe_log_field *f = fields; f && f->key && !rc; f++) {
        rc = hxe_buf_putc(&b, ',');
        if (!rc)
            rc = hxe_json_str(&b, f->key, strlen(f->key));
        if (!rc)
            rc = hxe_buf_putc(&b, ':');
        if (rc)
            break;
        if (f->type == 2)
            rc = hxe_buf_printf(&b, "%lld", f->i);
        else
            rc = hxe_json_str(&b, f->s ? f->s : "", f->s ? strlen(f->s) : 0);
    }
    if (!rc)
        rc = hxe_buf_append(&b, "}\n", 2);
    if (!rc)
        fwrite(b.p, 1, b.len, g_stream ? g_stream : stderr);
    hxe_buf_free(&b);
}
