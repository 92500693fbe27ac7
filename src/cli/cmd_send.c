/*
 * cmd_send.c — `hxe send mllp://HOST:PORT FILE...`: sends the messages of
 * the files over MLLP (or MLLP over TLS with mllps://), one at a time per
 * connection, prints each ACK, and ends with a summary: messages sent,
 * ACKs by code, errors, elapsed time, messages/s and ACK latency p50/p99.
 * --count and --concurrency turn it into a load generator.
 */
#include "cli/cli.h"
#include "hl7v2/hl7v2.h"
#include "net/net.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

const char hxe_cmd_send_desc[] = "send HL7 v2 messages over MLLP and print the ACKs";

static const char usage_text[] =
    "usage: hxe send [OPTIONS] mllp://HOST:PORT|mllps://HOST:PORT FILE|-...\n"
    "Sends every message of the files (streams of messages, MLLP-framed logs,\n"
    "FHS/BHS batches) and prints each ACK, segments on lines. Line ends in the\n"
    "messages are sent as \\r, as HL7 wants.\n"
    "  --count N          send the whole set N times (default 1)\n"
    "  --concurrency C    use C connections in parallel (default 1)\n"
    "  --timeout MS       wait this long for each ACK (default 10000)\n"
    "  --quiet            do not print the ACKs\n"
    "  --stats            print the summary on stdout (default: stderr)\n"
    "  --cr               end ACK segments with \\r as on the wire\n"
    "  --ca FILE          mllps: CAs to verify the server with (default: system)\n"
    "  --cert FILE --key FILE   mllps: client certificate (mutual TLS)\n"
    "  --server-name NAME mllps: name the server certificate must match\n"
    "  --tls12            mllps: accept TLS 1.2 (default: TLS 1.3 only)\n"
    "Exit 0 when every ACK is AA or CA, 1 when any is not (AE, AR, CE, CR,\n"
    "timeouts, lost connections), 2 for usage errors, unreadable files, or a\n"
    "server that cannot be reached.\n";

struct opts {
    char host[256];
    int port, tls;
    const char *ca, *cert, *key, *server_name;
    int tls12, quiet, stats, cr;
    unsigned long count, concurrency, timeout_ms;
    const char **files;
    int nfiles;
};

/* ---- the run ---- */
struct run;

struct worker {
    struct run *run;
    hxe_mllp_client *c;
    size_t index;           /* message number in flight (0-based) */
    int fails_in_a_row;
};

struct run {
    const struct opts *o;
    hxe_slice *msgs;
    size_t nmsgs;
    size_t total, next;
    struct worker *w;
    uint64_t *lat;          /* ACK latency of each answered message, us */
    size_t nlat;
    size_t by_code[6];      /* AA AE AR CA CE CR */
    size_t timeouts, conn_errors, bad_acks, answered;
    int gave_up;
    uint64_t t0, t1;
};

static const char *const codes[6] = {"AA", "AE", "AR", "CA", "CE", "CR"};

static void worker_next(struct worker *w);

static void print_ack(const char *p, size_t n, int cr)
{
    for (size_t i = 0; i < n; i++)
        putchar(p[i] == '\r' && !cr ? '\n' : p[i]);
    if (!cr)
        putchar('\n');
}

static void on_result(hxe_mllp_client *c, const hxe_mllp_result *r, void *data)
{
    struct worker *w = data;
    struct run *run = w->run;
    (void)c;
    run->t1 = uv_hrtime();
    if (r->outcome == HXE_MLLP_ACCEPTED || r->outcome == HXE_MLLP_NEGATIVE) {
        run->answered++;
        run->lat[run->nlat++] = r->latency_us;
        for (int i = 0; i < 6; i++)
            if (!strcmp(r->code, codes[i]))
                run->by_code[i]++;
        if (!run->o->quiet)
            print_ack(r->ack, r->ack_len, run->o->cr);
        w->fails_in_a_row = 0;
    } else if (r->outcome != HXE_MLLP_CANCELLED) {
        if (r->outcome == HXE_MLLP_TIMEOUT)
            run->timeouts++;
        else if (r->outcome == HXE_MLLP_BAD_ACK)
            run->bad_acks++;
        else
            run->conn_errors++;
        fprintf(stderr, "hxe send: message %zu: %s%s%s\n", w->index + 1,
                hxe_mllp_outcome_name(r->outcome), r->reason[0] ? ": " : "", r->reason);
        /* a server never reached, or one that keeps failing: stop */
        if (r->outcome == HXE_MLLP_CONN_ERROR &&
            (run->answered == 0 || ++w->fails_in_a_row >= 3)) {
            if (!run->gave_up)
                fprintf(stderr, "hxe send: giving up on %s:%d\n", run->o->host, run->o->port);
            run->gave_up = 1;
        }
    }
    worker_next(w);
}

static void worker_next(struct worker *w)
{
    struct run *run = w->run;
    if (run->gave_up || run->next >= run->total) {
        hxe_mllp_client_close(w->c, NULL, NULL);
        w->c = NULL;
        return;
    }
    w->index = run->next++;
    hxe_slice m = run->msgs[w->index % run->nmsgs];
    hxe_err err = {0};
    if (hxe_mllp_client_send(w->c, m.p, m.n, on_result, w, &err)) {
        fprintf(stderr, "hxe send: %s\n", err.msg);
        run->gave_up = 1;
        hxe_mllp_client_close(w->c, NULL, NULL);
        w->c = NULL;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void summary(struct run *run, FILE *f)
{
    double secs = (double)(run->t1 > run->t0 ? run->t1 - run->t0 : 0) / 1e9;
    size_t sent = run->answered + run->timeouts + run->conn_errors + run->bad_acks;
    fprintf(f, "sent %zu, answered %zu in %.3f s (%.1f messages/s)\n", sent, run->answered,
            secs, secs > 0 ? (double)run->answered / secs : 0.0);
    fprintf(f, "acks");
    for (int i = 0; i < 6; i++)
        if (run->by_code[i] || i == 0)
            fprintf(f, " %s %zu", codes[i], run->by_code[i]);
    fprintf(f, "\nerrors %zu (timeouts %zu, connection %zu, bad acks %zu)\n",
            run->timeouts + run->conn_errors + run->bad_acks, run->timeouts, run->conn_errors,
            run->bad_acks);
    if (run->nlat) {
        qsort(run->lat, run->nlat, sizeof *run->lat, cmp_u64);
        uint64_t p50 = run->lat[(run->nlat - 1) / 2];
        uint64_t p99 = run->lat[(run->nlat - 1) * 99 / 100];
        fprintf(f, "ack latency p50 %.3f ms, p99 %.3f ms\n", (double)p50 / 1000.0,
                (double)p99 / 1000.0);
    }
}

/* ---- arguments and input ---- */

static int usage(const char *fmt, const char *arg)
{
    fprintf(stderr, "hxe send: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", usage_text);
    return HXE_EXIT_USAGE;
}

static int parse_url(struct opts *o, const char *url)
{
    const char *rest;
    if (!strncmp(url, "mllp://", 7)) {
        rest = url + 7;
    } else if (!strncmp(url, "mllps://", 8)) {
        rest = url + 8;
        o->tls = 1;
    } else {
        return -1;
    }
    const char *colon;
    if (*rest == '[') {   /* [IPv6]:port */
        const char *close = strchr(rest, ']');
        if (!close || close[1] != ':')
            return -1;
        snprintf(o->host, sizeof o->host, "%.*s", (int)(close - rest - 1), rest + 1);
        colon = close + 1;
    } else {
        colon = strrchr(rest, ':');
        if (!colon || colon == rest || (size_t)(colon - rest) >= sizeof o->host)
            return -1;
        snprintf(o->host, sizeof o->host, "%.*s", (int)(colon - rest), rest);
    }
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (end == colon + 1 || (*end && strcmp(end, "/")) || port < 1 || port > 65535)
        return -1;
    o->port = (int)port;
    return 0;
}

static int number(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static int parse_args(struct opts *o, int argc, char **argv)
{
    o->count = 1;
    o->concurrency = 1;
    o->timeout_ms = 10000;
    o->files = calloc((size_t)argc, sizeof *o->files);
    if (!o->files)
        return HXE_EXIT_USAGE;
    int have_url = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage_text, stdout);
            return -1;
        } else if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) {
            o->quiet = 1;
        } else if (!strcmp(a, "--stats")) {
            o->stats = 1;
        } else if (!strcmp(a, "--cr")) {
            o->cr = 1;
        } else if (!strcmp(a, "--tls12")) {
            o->tls12 = 1;
        } else if (!strcmp(a, "--count")) {
            if (number(v, 1, 100000000, &o->count))
                return usage("--count needs a number from 1, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--concurrency")) {
            if (number(v, 1, 1000, &o->concurrency))
                return usage("--concurrency needs a number from 1 to 1000, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--timeout")) {
            if (number(v, 1, 86400000, &o->timeout_ms))
                return usage("--timeout needs milliseconds, got '%s'", v ? v : "");
            i++;
        } else if (!strcmp(a, "--ca") || !strcmp(a, "--cert") || !strcmp(a, "--key") ||
                   !strcmp(a, "--server-name")) {
            if (!v)
                return usage("%s needs a value", a);
            if (!strcmp(a, "--ca"))
                o->ca = v;
            else if (!strcmp(a, "--cert"))
                o->cert = v;
            else if (!strcmp(a, "--key"))
                o->key = v;
            else
                o->server_name = v;
            i++;
        } else if (a[0] == '-' && a[1] == '-') {
            return usage("unknown option '%s'", a);
        } else if (!have_url) {
            if (parse_url(o, a))
                return usage("expected mllp://HOST:PORT or mllps://HOST:PORT, got '%s'", a);
            have_url = 1;
        } else {
            o->files[o->nfiles++] = a;
        }
    }
    if (!have_url)
        return usage("%s", "a server address is needed");
    if (!o->nfiles)
        return usage("%s", "at least one FILE is needed (or - for standard input)");
    if (!o->tls && (o->ca || o->cert || o->key || o->server_name || o->tls12))
        return usage("%s", "--ca, --cert, --key, --server-name and --tls12 need mllps://");
    return 0;
}

/* Reads the messages of every file into bufs[f], line ends made \r, and
 * lists them in run->msgs. */
static int load(const struct opts *o, hxe_buf *bufs, struct run *run)
{
    size_t cap = 0;
    size_t *starts = NULL;   /* where each message of the file starts in bufs[f] */
    int rc = -1;
    for (int f = 0; f < o->nfiles; f++) {
        hxe_err err = {0};
        hxe_buf raw = HXE_BUF_INIT;
        if (hxe_read_file(o->files[f], (size_t)1 << 30, &raw, &err)) {
            fprintf(stderr, "hxe send: %s\n", err.msg);
            hxe_buf_free(&raw);
            goto out;
        }
        hxe_buf *b = &bufs[f];
        hxe_hl7_reader r;
        hxe_hl7_reader_init(&r, raw.p ? raw.p : "", raw.len, NULL);
        hxe_slice unit;
        size_t off, first = run->nmsgs;
        int kind, bad = 0;
        while (!bad && (kind = hxe_hl7_reader_next(&r, &unit, &off)) != HXE_HL7_UNIT_END) {
            if (kind != HXE_HL7_UNIT_MESSAGE) {
                fprintf(stderr, "hxe send: %s: %zu bytes at byte %zu are not a message (skipped)\n",
                        o->files[f], unit.n, off);
                continue;
            }
            if (run->nmsgs == cap) {
                cap = cap ? cap * 2 : 64;
                hxe_slice *m = realloc(run->msgs, cap * sizeof *m);
                size_t *st = realloc(starts, cap * sizeof *st);
                if (m)
                    run->msgs = m;
                if (st)
                    starts = st;
                if (!m || !st)
                    bad = 1;
            }
            size_t start = b->len;
            for (size_t i = 0; i < unit.n && !bad; i++) {
                char c = unit.p[i];
                if (c == '\n' && i > 0 && unit.p[i - 1] == '\r')
                    continue;
                bad = hxe_buf_putc(b, c == '\n' ? '\r' : c) != 0;
            }
            if (!bad) {
                starts[run->nmsgs] = start;
                run->msgs[run->nmsgs++].n = b->len - start;
            }
        }
        hxe_buf_free(&raw);
        if (bad) {
            fprintf(stderr, "hxe send: %s: out of memory\n", o->files[f]);
            goto out;
        }
        /* b has stopped growing: the slices can point into it now */
        for (size_t i = first; i < run->nmsgs; i++)
            run->msgs[i].p = b->p + starts[i];
    }
    rc = 0;
out:
    free(starts);
    return rc;
}

int hxe_cmd_send(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof o);
    int rc = parse_args(&o, argc, argv);
    if (rc) {
        free(o.files);
        return rc < 0 ? HXE_EXIT_OK : rc;
    }
    signal(SIGPIPE, SIG_IGN);
    hxe_log_set_level(HXE_LOG_OFF);   /* failures are reported per message */

    int exit_code = HXE_EXIT_USAGE;
    struct run run;
    memset(&run, 0, sizeof run);
    run.o = &o;
    hxe_buf *bufs = calloc((size_t)o.nfiles, sizeof *bufs);
    hxe_tls_ctx *tls = NULL;
    uv_loop_t loop;
    int loop_ok = 0;
    if (!bufs || load(&o, bufs, &run))
        goto out;
    if (!run.nmsgs) {
        fprintf(stderr, "hxe send: no message found in the input\n");
        goto out;
    }
    if (o.tls) {
        hxe_tls_opts t = {o.cert, o.key, o.ca, 0, o.tls12 ? 12 : 13};
        hxe_err err = {0};
        if (hxe_tls_new(&tls, HXE_TLS_CLIENT, &t, &err)) {
            fprintf(stderr, "hxe send: %s\n", err.msg);
            goto out;
        }
    }
    run.total = run.nmsgs * o.count;
    if (run.total / o.count != run.nmsgs || run.total > ((size_t)1 << 32)) {
        fprintf(stderr, "hxe send: too many messages\n");
        goto out;
    }
    run.lat = malloc(run.total * sizeof *run.lat);
    run.w = calloc(o.concurrency, sizeof *run.w);
    if (!run.lat || !run.w || uv_loop_init(&loop) != 0)
        goto out;
    loop_ok = 1;
    hxe_mllp_client_opts co = {0};
    co.host = o.host;
    co.port = o.port;
    co.tls = tls;
    co.server_name = o.server_name;
    co.ack_timeout_ms = o.timeout_ms;
    co.backoff_min_ms = 100;
    co.backoff_max_ms = 2000;
    run.t0 = run.t1 = uv_hrtime();
    for (unsigned long i = 0; i < o.concurrency && i < run.total; i++) {
        struct worker *w = &run.w[i];
        w->run = &run;
        hxe_err err = {0};
        if (hxe_mllp_client_new(&w->c, &loop, &co, &err)) {
            fprintf(stderr, "hxe send: %s\n", err.msg);
            run.gave_up = 1;
            break;
        }
        worker_next(w);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    summary(&run, o.stats ? stdout : stderr);
    size_t good = run.by_code[0] + run.by_code[3];
    if (run.answered == 0 && run.conn_errors > 0)
        exit_code = HXE_EXIT_USAGE;
    else
        exit_code = good == run.total ? HXE_EXIT_OK : HXE_EXIT_INVALID;
out:
    if (loop_ok) {
        uv_run(&loop, UV_RUN_DEFAULT);
        uv_loop_close(&loop);
    }
    hxe_tls_free(tls);
    for (int f = 0; bufs && f < o.nfiles; f++)
        hxe_buf_free(&bufs[f]);
    free(bufs);
    free(run.msgs);
    free(run.lat);
    free(run.w);
    free(o.files);
    fflush(stdout);
    return exit_code;
}
