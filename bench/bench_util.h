/*
 * bench_util.h — what the FHIR benchmark drivers (convert_bench.c,
 * fhir_validate_bench.c) share: the clock, peak RSS, the BENCH_* knobs,
 * cutting a file of HL7 v2 messages into slices, and the pass loop that
 * gives the median and best pass.
 *
 * Header-only (static functions) because CMake builds every .c file of
 * bench/ into its own program; nothing here is part of libhxe.
 */
#ifndef HXE_BENCH_UTIL_H
#define HXE_BENCH_UTIL_H

#include "hl7v2/hl7v2.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static inline double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline long bench_peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

static inline double bench_env_num(const char *name, double dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    double v = strtod(s, &end);
    return (*end == '\0' && v >= 0) ? v : dflt;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The messages of file, as slices into it (*out, free with free()).
 * Returns the count, 0 when there is none or memory ran out. */
static inline size_t bench_split_hl7(const hxe_buf *file, hxe_slice **out, size_t *bytes)
{
    size_t n = 0, cap = 1024;
    hxe_slice *msgs = malloc(cap * sizeof *msgs);
    *bytes = 0;
    if (!msgs)
        return 0;
    hxe_hl7_reader rd;
    hxe_hl7_reader_init(&rd, file->p, file->len, NULL);
    hxe_slice unit;
    int kind;
    while ((kind = hxe_hl7_reader_next(&rd, &unit, NULL)) != HXE_HL7_UNIT_END) {
        if (kind != HXE_HL7_UNIT_MESSAGE)
            continue;
        if (n == cap) {
            hxe_slice *v = realloc(msgs, 2 * cap * sizeof *v);
            if (!v) {
                free(msgs);
                return 0;
            }
            msgs = v;
            cap *= 2;
        }
        msgs[n++] = unit;
        *bytes += unit.n;
    }
    *out = msgs;
    return n;
}

/* Timed passes of one piece of work: pass(ctx) returns 0, or -1 to stop
 * the run. One untimed warm-up pass, then passes until BENCH_MIN_SECONDS
 * (2) and BENCH_MIN_PASSES (3) are both reached, or BENCH_MAX_SECONDS (20)
 * have run. */
typedef struct bench_timing {
    size_t passes;
    double median, best;   /* seconds of one pass */
} bench_timing;

static inline int bench_run(int (*pass)(void *ctx), void *ctx, bench_timing *t)
{
    if (pass(ctx) != 0)
        return -1;
    double min_s = bench_env_num("BENCH_MIN_SECONDS", 2);
    double max_s = bench_env_num("BENCH_MAX_SECONDS", 20);
    size_t min_passes = (size_t)bench_env_num("BENCH_MIN_PASSES", 3);
    size_t n = 0, cap = 64;
    double *times = malloc(cap * sizeof *times), total = 0;
    if (!times)
        return -1;
    while (n == 0 || ((n < min_passes || total < min_s) && total < max_s)) {
        double a = bench_now();
        if (pass(ctx) != 0) {
            free(times);
            return -1;
        }
        double s = bench_now() - a;
        if (n == cap) {
            double *v = realloc(times, 2 * cap * sizeof *v);
            if (!v) {
                free(times);
                return -1;
            }
            times = v;
            cap *= 2;
        }
        times[n++] = s;
        total += s;
    }
    qsort(times, n, sizeof *times, bench_cmp_double);
    t->passes = n;
    t->best = times[0];
    t->median = n % 2 ? times[n / 2] : (times[n / 2 - 1] + times[n / 2]) / 2;
    free(times);
    return 0;
}

#endif
