/*
 * x12_bench.c — how fast hxe reads X12 5010, at three depths, and how
 * much memory it needs for a file of any size.
 *
 * `make bench` (bench/x12_bench.sh) runs it on the corpus
 * bench/gen_x12_corpus.py writes (837P and 835 interchanges, over 100 MB),
 * next to the peers in bench/peers/ that read the same file with other
 * X12 parsers. Every depth walks the whole file in streaming mode: one
 * hxe_x12_reader over the buffer, one transaction set at a time, the
 * arena reset after each set.
 *
 *   tokenize  hxe_x12_reader_next: segments cut, envelopes (ISA/IEA,
 *             GS/GE, ST/SE counts and control numbers) checked; every
 *             segment (envelopes too, through the reader's sink) has its
 *             elements counted, which visits every element separator;
 *   loops     the same, then hxe_x12_parse_loops on every set (schema
 *             found by ST01/ST03, the loop tree built, SNIP 1-2 structure
 *             checks, issues collected);
 *   validate  the same, then hxe_x12_validate through SNIP type 5.
 *
 * Counts that the peers report too, so a faster tool cannot be one that
 * reads less: interchanges, groups, sets, segments (envelopes included),
 * elements (after the id, as written), claims (837 CLM and 835 CLP
 * segments; the loop pass counts their 2300 and 2100 loops instead, and
 * must agree). The corpus is made to validate clean: an issue in any
 * pass fails the run (then generator and validator disagree).
 *
 * Memory: the file is mapped, never copied. A first validate pass, before
 * anything else, gives the pages it has read back to the kernel as it
 * goes (madvise MADV_DONTNEED behind the reader), the way a streaming
 * consumer of a large file holds only a window: its peak RSS is what hxe
 * needs whatever the file's size (stream_rss_kb), with the largest arena
 * a set took (arena_peak_bytes). The timed passes then keep the whole
 * mapping resident, as a file already in memory is; peak_rss_kb includes it.
 *
 * Timing: per depth one warm-up pass (for validate, the streaming pass
 * serves), then timed passes (CLOCK_MONOTONIC) until BENCH_MIN_SECONDS
 * (2) and BENCH_MIN_PASSES (3) are both reached, or BENCH_MAX_SECONDS
 * (20) have run; the median and the best pass are reported. Prints one JSON line per depth on stdout. Nothing from the
 * file is printed: only counts, sizes and times.
 *
 * Usage: x12_bench CORPUS [DEPTH]   (DEPTH: only that one, for profiling)
 */
#define _DEFAULT_SOURCE /* madvise */
#include "x12/x12.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum depth { TOKENIZE, LOOPS, VALIDATE };
static const char *const depth_name[] = {"tokenize", "loops", "validate"};
static const char *const depth_work[] = {
    "reader: segments, envelopes checked, every element separator visited",
    "reader + hxe_x12_parse_loops (loop tree, SNIP 1-2 structure)",
    "reader + loops + hxe_x12_validate through SNIP 5"};

typedef struct tally {
    uint64_t interchanges, groups, sets, segments, elements, claims, issues;
    size_t arena_peak;
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

/* The tokenize pass sees every segment, envelopes included, here. */
static int count_seg(void *data, const hxe_x12_seg *s, const hxe_x12_delims *d)
{
    tally *t = data;
    if (!d || !s->id[0])
        return 0; /* bytes outside interchanges: none in this corpus */
    t->segments++;
    t->elements += hxe_x12_element_count(s, d);
    if ((s->id[0] == 'C' && s->id[1] == 'L') && (s->id[2] == 'M' || s->id[2] == 'P') && !s->id[3])
        t->claims++;
    return 0;
}

/* Pages of a mapping that the reader has passed are handed back. */
typedef struct window {
    const char *base;
    size_t done;     /* bytes already released */
    size_t page;
} window;

static void release_behind(window *w, size_t pos)
{
    size_t upto = pos / w->page * w->page;
    if (upto >= w->done + ((size_t)4 << 20)) {
        madvise((void *)(w->base + w->done), upto - w->done, MADV_DONTNEED);
        w->done = upto;
    }
}

/* One pass over the whole buffer at depth d. */
static int one_pass(const char *buf, size_t len, enum depth d, hxe_arena *arena,
                    hxe_issues *env, hxe_issues *is, window *w, tally *out)
{
    tally t;
    memset(&t, 0, sizeof t);
    hxe_issues_clear(env);
    hxe_x12_reader r;
    hxe_x12_reader_init(&r, buf, len, NULL, env);
    if (d == TOKENIZE) {
        r.sink = count_seg;
        r.sink_data = &t;
    }
    hxe_x12_validate_opts vo = {5, 0};
    hxe_err err;
    for (;;) {
        hxe_x12_set *s;
        hxe_issues_clear(is);
        int k = hxe_x12_reader_next(&r, arena, &s, is, &err);
        if (k < 0) {
            fprintf(stderr, "x12_bench: %s\n", err.msg);
            return -1;
        }
        if (k == HXE_X12_UNIT_END)
            break;
        if (k == HXE_X12_UNIT_SET && d != TOKENIZE) {
            t.segments += s->nseg;
            int rc = hxe_x12_parse_loops(s, arena, NULL, is);
            if (rc != 0) {
                fprintf(stderr, "x12_bench: set %zu: no loop tree (%s)\n", (size_t)r.sets,
                        hxe_strerror(rc));
                return -1;
            }
            for (size_t li = 1; li < s->nloops; li++) {
                const char *id = s->loops[li].id; /* "2300" (837) or "2100" (835) */
                if (id[0] == '2' && (id[1] == '3' || id[1] == '1') && id[2] == '0' &&
                    id[3] == '0' && !id[4])
                    t.claims++;
            }
            if (d == VALIDATE && hxe_x12_validate(s, &vo, is) != 0) {
                fprintf(stderr, "x12_bench: set %zu: validation ran out of memory\n",
                        (size_t)r.sets);
                return -1;
            }
        }
        if (is->errors && is->n && !t.issues) /* the first: place and text, never a value */
            fprintf(stderr, "x12_bench: %s: set %zu, %s at byte %zu: %s\n", depth_name[d],
                    (size_t)r.sets, is->v[0].loc.seg, is->v[0].loc.offset, is->v[0].text);
        t.issues += is->errors;
        if (arena->used > t.arena_peak)
            t.arena_peak = arena->used;
        hxe_arena_reset(arena);
        if (w)
            release_behind(w, r.pos);
    }
    t.interchanges = r.interchanges;
    t.groups = r.groups;
    t.sets = r.sets;
    if (env->errors && env->n && !t.issues)
        fprintf(stderr, "x12_bench: %s: envelope, %s at byte %zu: %s\n", depth_name[d],
                env->v[0].loc.seg, env->v[0].loc.offset, env->v[0].text);
    t.issues += env->errors;
    if (d != TOKENIZE) /* ISA and IEA, GS and GE */
        t.segments += 2 * (r.interchanges + r.groups);
    *out = t;
    return 0;
}

/* (elements are counted by the tokenize pass alone) */
static int same_counts(const tally *a, const tally *b)
{
    return a->interchanges == b->interchanges && a->groups == b->groups && a->sets == b->sets &&
           a->segments == b->segments && a->claims == b->claims;
}

int main(int argc, char **argv)
{
    int only = -1;
    for (int d = TOKENIZE; argc == 3 && d <= VALIDATE; d++)
        if (!strcmp(argv[2], depth_name[d]))
            only = d;
    if (argc < 2 || argc > 3 || (argc == 3 && only < 0)) {
        fprintf(stderr, "usage: %s CORPUS [tokenize|loops|validate]\n", argv[0]);
        return 2;
    }
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0) {
        fprintf(stderr, "x12_bench: cannot read %s\n", argv[1]);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    const char *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (buf == MAP_FAILED) {
        fprintf(stderr, "x12_bench: cannot map %s\n", argv[1]);
        return 1;
    }
    long start_rss = peak_rss_kb();

    /* Sets take from a few KB to about 1 MB here: one block holds most. */
    hxe_arena arena;
    hxe_arena_init(&arena, (size_t)1 << 20, 0);
    hxe_issues env = HXE_ISSUES_INIT, is = HXE_ISSUES_INIT;

    /* The streaming pass first, while the peak is still its own. */
    window w = {buf, 0, (size_t)sysconf(_SC_PAGESIZE)};
    madvise((void *)buf, len, MADV_SEQUENTIAL);
    tally ref;
    if (one_pass(buf, len, VALIDATE, &arena, &env, &is, &w, &ref) != 0)
        return 1;
    long stream_rss = peak_rss_kb();
    madvise((void *)buf, len, MADV_NORMAL);
    if (ref.issues) {
        fprintf(stderr, "x12_bench: the corpus does not validate clean (%llu errors): "
                        "bench/gen_x12_corpus.py and the validator disagree\n",
                (unsigned long long)ref.issues);
        return 1;
    }

    double min_s = env_num("BENCH_MIN_SECONDS", 2);
    double max_s = env_num("BENCH_MAX_SECONDS", 20);
    size_t min_passes = (size_t)env_num("BENCH_MIN_PASSES", 3);
    size_t times_cap = 64;
    double *times = malloc(times_cap * sizeof *times);
    if (!times) {
        fprintf(stderr, "x12_bench: out of memory\n");
        return 1;
    }
    for (int d = TOKENIZE; d <= VALIDATE; d++) {
        if (only >= 0 && d != only && d != TOKENIZE)
            continue;
        /* a warm-up pass; for validate, the streaming pass was one */
        tally t = ref;
        if (d != VALIDATE && one_pass(buf, len, (enum depth)d, &arena, &env, &is, NULL, &t) != 0)
            return 1;
        if (!same_counts(&t, &ref) || t.issues) {
            fprintf(stderr, "x12_bench: %s read different counts than the streaming pass\n",
                    depth_name[d]);
            return 1;
        }
        if (d == TOKENIZE)
            ref.elements = t.elements;
        if (only >= 0 && d != only)
            continue;
        size_t passes = 0;
        double total = 0;
        while (passes == 0 || ((passes < min_passes || total < min_s) && total < max_s)) {
            double a = now();
            if (one_pass(buf, len, (enum depth)d, &arena, &env, &is, NULL, &t) != 0)
                return 1;
            double s = now() - a;
            if (!same_counts(&t, &ref)) {
                fprintf(stderr, "x12_bench: passes disagree\n");
                return 1;
            }
            if (passes == times_cap) {
                double *v = realloc(times, 2 * times_cap * sizeof *v);
                if (!v) {
                    fprintf(stderr, "x12_bench: out of memory\n");
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
        printf("{\"tool\":\"hxe\",\"runtime\":\"C\",\"depth\":\"%s\",\"work\":\"%s\","
               "\"bytes\":%zu,\"passes\":%zu,\"seconds\":%.6f,\"best_seconds\":%.6f,"
               "\"mb_per_s\":%.3f,\"best_mb_per_s\":%.3f,\"segments_per_s\":%.0f,"
               "\"peak_rss_kb\":%ld,\"stream_rss_kb\":%ld,\"start_rss_kb\":%ld,"
               "\"arena_peak_bytes\":%zu,\"interchanges\":%llu,\"groups\":%llu,\"sets\":%llu,"
               "\"segments\":%llu,\"elements\":%llu,\"claims\":%llu}\n",
               depth_name[d], depth_work[d], len, passes, med, best, (double)len / med / 1e6,
               (double)len / best / 1e6, (double)ref.segments / med, peak_rss_kb(), stream_rss,
               start_rss, ref.arena_peak, (unsigned long long)ref.interchanges,
               (unsigned long long)ref.groups, (unsigned long long)ref.sets,
               (unsigned long long)ref.segments, (unsigned long long)ref.elements,
               (unsigned long long)ref.claims);
        fflush(stdout);
    }
    free(times);
    hxe_issues_free(&is);
    hxe_issues_free(&env);
    hxe_arena_free(&arena);
    munmap((void *)buf, len);
    return 0;
}
