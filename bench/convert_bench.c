/*
 * convert_bench.c — how fast hxe turns HL7 v2 lab results into FHIR:
 * ORU^R01 messages with 10 OBX each (bench/gen_oru.py) parsed, converted
 * to a transaction Bundle (hxe_conv_v2_to_fhir) and written as compact
 * JSON (hxe_fhir_write), the work of an engine channel that feeds a FHIR
 * server from a lab.
 *
 * `make bench` (bench/fhir_bench.sh) runs it. The file is loaded and cut
 * into messages before the clock starts. A pass is, for every message:
 * reset the arena and the issue list, hxe_hl7_parse, hxe_conv_v2_to_fhir
 * with a default offset for local times (-05:00, as a channel that knows
 * its senders' zone is configured), hxe_fhir_write into a reused buffer,
 * free the Bundle. Passes as in bench_util.h; the median pass is reported.
 * Every pass must give the same number of Bundle entries and output
 * bytes, so a pass that skipped work would show.
 *
 * Then the same passes stopped after the parse and after the conversion
 * (1 s each) tell where the time goes: parse_s and convert_s below are
 * the median seconds of those shorter pipelines (0 with BENCH_STAGES=0).
 *
 * Prints one JSON line on stdout; nothing from the messages (an error
 * names the message by its number).
 *
 * Usage: convert_bench ORU_FILE
 */
#include "bench_util.h"
#include "convert/convert.h"
#include "fhir/fhir.h"

#include <string.h>

enum { STAGE_PARSE = 1, STAGE_CONVERT = 2, STAGE_WRITE = 3 };

typedef struct ctx {
    const hxe_slice *msgs;
    size_t n;
    int stage;
    hxe_arena arena;
    hxe_issues issues;
    hxe_buf out;
    hxe_conv_opts opts;
    /* per pass */
    unsigned long long entries, out_bytes;
} ctx;

static int one_pass(void *p)
{
    ctx *c = p;
    unsigned long long entries = 0, out_bytes = 0;
    for (size_t i = 0; i < c->n; i++) {
        hxe_arena_reset(&c->arena);
        hxe_issues_clear(&c->issues);
        hxe_hl7_msg *m;
        hxe_err err;
        if (hxe_hl7_parse(&m, &c->arena, c->msgs[i].p, c->msgs[i].n, NULL, &c->issues, &err) != 0) {
            fprintf(stderr, "convert_bench: message %zu: %s\n", i + 1, err.msg);
            return -1;
        }
        if (c->stage == STAGE_PARSE)
            continue;
        json_t *bundle = NULL;
        if (hxe_conv_v2_to_fhir(m, &c->opts, &bundle, &c->issues, &err) != 0) {
            fprintf(stderr, "convert_bench: message %zu: %s\n", i + 1, err.msg);
            return -1;
        }
        entries += json_array_size(json_object_get(bundle, "entry"));
        if (c->stage == STAGE_WRITE) {
            hxe_buf_truncate(&c->out, 0);
            if (hxe_fhir_write(bundle, 0, &c->out) != 0) {
                fprintf(stderr, "convert_bench: message %zu: the Bundle could not be written\n", i + 1);
                json_decref(bundle);
                return -1;
            }
            out_bytes += c->out.len;
        }
        json_decref(bundle);
    }
    if (c->stage == STAGE_WRITE && c->out_bytes && (c->out_bytes != out_bytes || c->entries != entries)) {
        fprintf(stderr, "convert_bench: passes disagree\n");
        return -1;
    }
    c->entries = entries;
    c->out_bytes = out_bytes;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ORU_FILE\n", argv[0]);
        return 2;
    }
    hxe_buf file = HXE_BUF_INIT;
    hxe_err err;
    if (hxe_read_file(argv[1], (size_t)1 << 30, &file, &err) != 0) {
        fprintf(stderr, "convert_bench: %s\n", err.msg);
        return 1;
    }
    hxe_slice *msgs = NULL;
    size_t bytes = 0;
    size_t n = bench_split_hl7(&file, &msgs, &bytes);
    if (n == 0) {
        fprintf(stderr, "convert_bench: %s holds no message\n", argv[1]);
        return 1;
    }
    long load_rss = bench_peak_rss_kb();

    ctx c;
    memset(&c, 0, sizeof c);
    c.msgs = msgs;
    c.n = n;
    c.stage = STAGE_WRITE;
    hxe_arena_init(&c.arena, 64 * 1024, 0);
    c.issues = (hxe_issues)HXE_ISSUES_INIT;
    c.out = (hxe_buf)HXE_BUF_INIT;
    c.opts.tz = "-05:00";

    bench_timing full, parse, conv;
    if (bench_run(one_pass, &c, &full) != 0)
        return 1;
    long peak_rss = bench_peak_rss_kb();
    unsigned long long entries = c.entries, out_bytes = c.out_bytes;

    /* where the time goes: the same pipeline cut short, 1 s each
     * (BENCH_STAGES=0 leaves this out, for profiling the whole) */
    bench_timing none = {0, 0, 0};
    parse = conv = none;
    if (bench_env_num("BENCH_STAGES", 1) == 0)
        goto done;
    setenv("BENCH_MIN_SECONDS", "1", 1);
    setenv("BENCH_MAX_SECONDS", "5", 1);
    c.stage = STAGE_PARSE;
    if (bench_run(one_pass, &c, &parse) != 0)
        return 1;
    c.stage = STAGE_CONVERT;
    if (bench_run(one_pass, &c, &conv) != 0)
        return 1;

done:
    printf("{\"tool\":\"hxe\",\"bench\":\"convert\",\"runtime\":\"C\",\"messages\":%zu,\"bytes\":%zu,"
           "\"entries\":%llu,\"out_bytes\":%llu,\"passes\":%zu,\"seconds\":%.6f,"
           "\"best_seconds\":%.6f,\"conv_per_s\":%.1f,\"best_conv_per_s\":%.1f,"
           "\"in_mb_per_s\":%.3f,\"out_mb_per_s\":%.3f,\"peak_rss_kb\":%ld,\"load_rss_kb\":%ld,"
           "\"parse_s\":%.6f,\"convert_s\":%.6f}\n",
           n, bytes, entries, out_bytes, full.passes, full.median, full.best,
           (double)n / full.median, (double)n / full.best, (double)bytes / full.median / 1e6,
           (double)out_bytes / full.median / 1e6, peak_rss, load_rss, parse.median, conv.median);

    free(msgs);
    hxe_buf_free(&c.out);
    hxe_issues_free(&c.issues);
    hxe_arena_free(&c.arena);
    hxe_buf_free(&file);
    return 0;
}
