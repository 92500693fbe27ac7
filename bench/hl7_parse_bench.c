/*
 * hl7_parse_bench.c — how fast hxe parses HL7 v2 and reads the values an
 * interface reads most: PID-5 and field 5 of every OBX.
 *
 * `make bench` (bench/run.sh) runs it on the corpus bench/gen_hl7_corpus.py
 * writes, next to the peers in bench/peers/ that do the same work with
 * other parsers; the checksum (bytes of the values read, as written) must
 * be the same for all of them, so a faster tool cannot be one that reads
 * less.
 *
 * The corpus is loaded and cut into messages with hxe_hl7_reader before the
 * clock starts (the peers split outside their clocks as well; the reader's
 * own speed, best of five walks, is reported apart as split_mb_per_s).
 * A pass is, for every message: reset the arena, hxe_hl7_parse with an
 * issue list, PID-5 by path string (hxe_hl7_get_str), and field 5 of each
 * OBX (hxe_hl7_field on the segments the parse found). One warm-up pass,
 * then timed passes (CLOCK_MONOTONIC) until BENCH_MIN_SECONDS (2) and
 * BENCH_MIN_PASSES (3) are both reached, or BENCH_MAX_SECONDS (20) have
 * run. The median pass is reported.
 *
 * Prints one JSON line on stdout. Nothing from the messages is printed:
 * only counts, sizes and times (an error names the message by its number).
 *
 * Usage: hl7_parse_bench CORPUS
 */
#include "hl7v2/hl7v2.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

typedef struct tally {
    uint64_t values;    /* PID-5 and OBX-5 values read */
    uint64_t obx5;      /* of which OBX-5 */
    uint64_t checksum;  /* bytes of those values, as written */
} tally;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long peak_rss_kb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ru.ru_maxrss; /* kilobytes on Linux */
}

static double env_num(const char *name, double dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    double v = strtod(s, &end);
    return (*end == '\0' && v >= 0) ? v : dflt;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int one_pass(const hxe_slice *msgs, size_t n, hxe_arena *arena, hxe_issues *issues,
                    tally *t)
{
    tally acc = {0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        hxe_arena_reset(arena);
        hxe_issues_clear(issues);
        hxe_hl7_msg *m;
        hxe_err err;
        if (hxe_hl7_parse(&m, arena, msgs[i].p, msgs[i].n, NULL, issues, &err) != 0) {
            fprintf(stderr, "hl7_parse_bench: message %zu: %s\n", i + 1, err.msg);
            return -1;
        }
        hxe_slice v;
        if (hxe_hl7_get_str(m, "PID-5", &v) != 0) {
            fprintf(stderr, "hl7_parse_bench: message %zu: no PID segment\n", i + 1);
            return -1;
        }
        acc.checksum += v.n;
        acc.values++;
        for (size_t k = 0; k < m->nseg; k++) {
            const char *id = m->segs[k].id;
            if (id[0] == 'O' && id[1] == 'B' && id[2] == 'X' && id[3] == '\0') {
                v = hxe_hl7_field(m, k, 5);
                acc.checksum += v.n;
                acc.values++;
                acc.obx5++;
            }
        }
    }
    *t = acc;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CORPUS\n", argv[0]);
        return 2;
    }
    hxe_buf file = HXE_BUF_INIT;
    hxe_err err;
    if (hxe_read_file(argv[1], (size_t)4 << 30, &file, &err) != 0) {
        fprintf(stderr, "hl7_parse_bench: %s\n", err.msg);
        return 1;
    }

    /* Cut the stream into messages with the reader (timed apart). */
    size_t n = 0, cap = 1024, junk = 0, bytes = 0;
    hxe_slice *msgs = malloc(cap * sizeof *msgs);
    if (!msgs) {
        fprintf(stderr, "hl7_parse_bench: out of memory\n");
        return 1;
    }
    double t0 = now();
    hxe_hl7_reader rd;
    hxe_hl7_reader_init(&rd, file.p, file.len, NULL);
    hxe_slice unit;
    int kind;
    while ((kind = hxe_hl7_reader_next(&rd, &unit, NULL)) != HXE_HL7_UNIT_END) {
        if (kind != HXE_HL7_UNIT_MESSAGE) {
            junk++;
            continue;
        }
        if (n == cap) {
            hxe_slice *v = realloc(msgs, 2 * cap * sizeof *v);
            if (!v) {
                fprintf(stderr, "hl7_parse_bench: out of memory\n");
                return 1;
            }
            msgs = v;
            cap *= 2;
        }
        msgs[n++] = unit;
        bytes += unit.n;
    }
    double split_s = now() - t0;
    /* The reader's speed: best of a few more walks, as one walk of a few
     * tens of milliseconds is at the mercy of whatever else runs. */
    for (int rep = 0; rep < 4; rep++) {
        double a = now();
        size_t count = 0;
        hxe_hl7_reader_init(&rd, file.p, file.len, NULL);
        while (hxe_hl7_reader_next(&rd, &unit, NULL) != HXE_HL7_UNIT_END)
            count++;
        double s = now() - a;
        if (count != n + junk) {
            fprintf(stderr, "hl7_parse_bench: the reader cut the stream differently\n");
            return 1;
        }
        if (s < split_s)
            split_s = s;
    }
    if (n == 0) {
        fprintf(stderr, "hl7_parse_bench: %s holds no message\n", argv[1]);
        return 1;
    }
    if (junk)
        fprintf(stderr, "hl7_parse_bench: %zu pieces that are not messages skipped\n", junk);
    long load_rss = peak_rss_kb();

    hxe_arena arena;
    hxe_arena_init(&arena, 64 * 1024, 0);
    hxe_issues issues = HXE_ISSUES_INIT;

    double min_s = env_num("BENCH_MIN_SECONDS", 2);
    double max_s = env_num("BENCH_MAX_SECONDS", 20);
    size_t min_passes = (size_t)env_num("BENCH_MIN_PASSES", 3);
    tally expect, got;
    if (one_pass(msgs, n, &arena, &issues, &expect) != 0) /* warm-up */
        return 1;

    size_t passes = 0, times_cap = 64;
    double *times = malloc(times_cap * sizeof *times), total = 0;
    if (!times) {
        fprintf(stderr, "hl7_parse_bench: out of memory\n");
        return 1;
    }
    while (passes == 0 || ((passes < min_passes || total < min_s) && total < max_s)) {
        double a = now();
        if (one_pass(msgs, n, &arena, &issues, &got) != 0)
            return 1;
        double s = now() - a;
        if (got.values != expect.values || got.checksum != expect.checksum) {
            fprintf(stderr, "hl7_parse_bench: passes disagree\n");
            return 1;
        }
        if (passes == times_cap) {
            double *v = realloc(times, 2 * times_cap * sizeof *v);
            if (!v) {
                fprintf(stderr, "hl7_parse_bench: out of memory\n");
                return 1;
            }
            times = v;
            times_cap *= 2;
        }
        times[passes++] = s;
        total += s;
    }
    qsort(times, passes, sizeof *times, cmp_double);
    double med = times[passes / 2], best = times[0];
    if (passes % 2 == 0)
        med = (times[passes / 2 - 1] + med) / 2;

    printf("{\"tool\":\"hxe\",\"runtime\":\"C\",\"messages\":%zu,\"bytes\":%zu,\"passes\":%zu,"
           "\"seconds\":%.6f,\"best_seconds\":%.6f,\"msgs_per_s\":%.1f,\"mb_per_s\":%.3f,"
           "\"best_mb_per_s\":%.3f,\"peak_rss_kb\":%ld,\"load_rss_kb\":%ld,"
           "\"values\":%llu,\"obx5\":%llu,\"checksum\":%llu,\"split_mb_per_s\":%.3f}\n",
           n, bytes, passes, med, best, (double)n / med, (double)bytes / med / 1e6,
           (double)bytes / best / 1e6, peak_rss_kb(), load_rss,
           (unsigned long long)expect.values, (unsigned long long)expect.obx5,
           (unsigned long long)expect.checksum,
           split_s > 0 ? (double)file.len / split_s / 1e6 : 0.0);

    free(times);
    free(msgs);
    hxe_issues_free(&issues);
    hxe_arena_free(&arena);
    hxe_buf_free(&file);
    return 0;
}
