/* mllp_load.c — the MLLP load generator of the engine benchmark
 * (bench/engine_bench.sh, `make bench`).
 *
 * Opens N connections to an MLLP server and sends HL7 v2 messages, each
 * with a unique MSH-10 (so a server's duplicate detection never short-cuts
 * the work), and matches every answer to its message: answers come back
 * in order on a connection, and MSA-2 must be the message's control id.
 *
 * Two modes:
 * - fixed rate (--rate R): messages are scheduled at R per second in all,
 *   round-robin over the connections, by a 1 ms timer. Latency runs from
 *   the *scheduled* send time to the ACK, so a server that stalls is
 *   charged for the messages that waited behind the stall (no coordinated
 *   omission). A message whose connection has its window full waits, and
 *   that wait counts.
 * - saturation (--rate 0): each connection keeps --window messages in
 *   flight and sends the next as soon as an ACK returns. Latency runs from
 *   the write to the ACK.
 *
 * --window 1 is the MLLP norm (one message at a time per connection);
 * more is pipelining, which not every server handles.
 *
 * The first --warmup seconds are sent but not measured; then --duration
 * seconds are. msgs/s is the ACKs received in the measured time divided
 * by it; latencies are those of the messages due (or sent) in it. After
 * the measured time nothing new is sent and answers still owed are waited
 * for up to --drain seconds. Prints one JSON line on stdout.
 *
 * The messages are the template files given, rotated, with their segment
 * ends made CR and MSH-10 replaced by PREFIX + sequence number. */
#include "base/base.h"
#include "net/net.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

typedef struct tmpl {
    char *head;      /* "MSH|...|" up to and including the 9th field separator */
    size_t head_len;
    char *tail;      /* from the separator after MSH-10 to the end */
    size_t tail_len;
} tmpl;

typedef struct inflight {
    uint64_t seq;     /* the number in MSH-10 */
    uint64_t t0_ns;   /* scheduled (fixed rate) or written (saturation) */
} inflight;

typedef struct conn {
    uv_tcp_t tcp;
    uv_connect_t creq;
    int idx;
    int open;
    int dead;
    int connecting;
    hxe_mllp_framer framer;
    char rbuf[65536];
    /* ring of messages written and not answered, oldest first */
    inflight *fly;
    unsigned fly_head, fly_n;
    /* fixed rate: scheduled messages waiting for window space */
    inflight *wait;
    size_t wait_head, wait_n, wait_cap;
} conn;

static struct {
    const char *host;
    int port;
    int nconn;
    unsigned window;
    double rate;
    double duration, warmup, drain, connect_wait;
    const char *prefix;
    const char *tool;
    tmpl *tmpls;
    int ntmpl;
    uv_loop_t *loop;
    conn *conns;
    uv_timer_t tick;
    uint64_t t_start, t_meas, t_end, t_drain_end;
    uint64_t next_seq;       /* next control id number */
    uint64_t scheduled;      /* fixed rate: messages scheduled so far */
    int connected, started, stopping, finished;
    int reconnect;           /* a new connection for every message */
    uint64_t connects;
    /* results */
    uint64_t sent, answered, acked_in_window;
    uint64_t codes[7];       /* AA AE AR CA CE CR other */
    uint64_t err_mismatch, err_conn, err_unanswered, err_write, unexpected;
    uint32_t *lat;           /* microseconds */
    size_t nlat, caplat;
    uint64_t max_late_us;    /* fixed rate: largest lag of a send behind its schedule */
} G;

static const char *CODES[] = {"AA", "AE", "AR", "CA", "CE", "CR", "other"};

static uint64_t now_ns(void) { return uv_hrtime(); }

static void die(const char *what, const char *why) {
    fprintf(stderr, "mllp_load: %s: %s\n", what, why);
    exit(2);
}

static int load_template(const char *path, tmpl *t) {
    hxe_buf b;
    hxe_err err = {0};
    hxe_buf_init(&b, 0);
    if (hxe_read_file(path, 16u << 20, &b, &err) != 0)
        die(path, err.msg);
    /* segment ends: CRLF and LF become CR; trailing blank lines go */
    char *s = malloc(b.len + 1);
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++) {
        char c = b.p[i];
        if (c == '\r' && i + 1 < b.len && b.p[i + 1] == '\n')
            continue;
        s[n++] = c == '\n' ? '\r' : c;
    }
    while (n > 0 && s[n - 1] == '\r')
        n--;
    s[n++] = '\r';
    hxe_buf_free(&b);
    if (n < 8 || memcmp(s, "MSH", 3) != 0)
        die(path, "not an HL7 v2 message (no MSH at the start)");
    char fs = s[3];
    size_t i = 0;
    int seps = 0;
    for (; i < n && s[i] != '\r'; i++)
        if (s[i] == fs && ++seps == 9)
            break;
    if (seps != 9)
        die(path, "MSH has fewer than 10 fields");
    size_t h = i + 1, e = h;
    while (e < n && s[e] != fs && s[e] != '\r')
        e++;
    t->head = s;
    t->head_len = h;
    t->tail = s + e;
    t->tail_len = n - e;
    return 0;
}

/* ---- latency records ---- */
static void record(uint64_t t0, uint64_t t1) {
    if (G.nlat == G.caplat) {
        G.caplat = G.caplat ? G.caplat * 2 : 65536;
        G.lat = realloc(G.lat, G.caplat * sizeof *G.lat);
        if (!G.lat)
            die("memory", "out of memory");
    }
    uint64_t us = t1 > t0 ? (t1 - t0) / 1000 : 0;
    G.lat[G.nlat++] = us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static double pct(double p) {
    if (!G.nlat)
        return 0;
    size_t k = (size_t)(p / 100.0 * (double)(G.nlat - 1) + 0.5);
    return G.lat[k] / 1000.0;
}

/* ---- sending ---- */
typedef struct wreq {
    uv_write_t req;
    char data[];
} wreq;

static void on_write(uv_write_t *req, int status) {
    if (status < 0 && status != UV_ECANCELED)
        G.err_write++;
    free(req);
}

static void conn_fail(conn *c, const char *why);

static void write_msg(conn *c, uint64_t seq, uint64_t t0) {
    const tmpl *t = &G.tmpls[seq % (uint64_t)G.ntmpl];
    char id[64];
    int idn = snprintf(id, sizeof id, "%s%" PRIu64, G.prefix, seq);
    size_t len = 1 + t->head_len + (size_t)idn + t->tail_len + 2;
    wreq *w = malloc(sizeof *w + len);
    if (!w)
        die("memory", "out of memory");
    char *p = w->data;
    *p++ = HXE_MLLP_SB;
    memcpy(p, t->head, t->head_len), p += t->head_len;
    memcpy(p, id, (size_t)idn), p += idn;
    memcpy(p, t->tail, t->tail_len), p += t->tail_len;
    *p++ = HXE_MLLP_EB;
    *p++ = HXE_MLLP_CR;
    uv_buf_t buf = uv_buf_init(w->data, (unsigned)len);
    int r = uv_write(&w->req, (uv_stream_t *)&c->tcp, &buf, 1, on_write);
    if (r < 0) {
        free(w);
        conn_fail(c, uv_strerror(r));
        return;
    }
    unsigned slot = (c->fly_head + c->fly_n) % G.window;
    c->fly[slot].seq = seq;
    c->fly[slot].t0_ns = t0;
    c->fly_n++;
    G.sent++;
}

/* Fixed rate: sends what waits while the window has room. */
static void drain_wait(conn *c) {
    while (c->open && !c->dead && c->wait_n && c->fly_n < G.window) {
        inflight m = c->wait[c->wait_head];
        c->wait_head = (c->wait_head + 1) % c->wait_cap;
        c->wait_n--;
        uint64_t now = now_ns();
        if (now > m.t0_ns && (now - m.t0_ns) / 1000 > G.max_late_us && m.t0_ns >= G.t_meas)
            G.max_late_us = (now - m.t0_ns) / 1000;
        write_msg(c, m.seq, m.t0_ns);
    }
}

static void enqueue(conn *c, uint64_t seq, uint64_t t0) {
    if (c->wait_n == c->wait_cap) {
        size_t nc = c->wait_cap ? c->wait_cap * 2 : 1024;
        inflight *w = malloc(nc * sizeof *w);
        if (!w)
            die("memory", "out of memory");
        for (size_t i = 0; i < c->wait_n; i++)
            w[i] = c->wait[(c->wait_head + i) % c->wait_cap];
        free(c->wait);
        c->wait = w;
        c->wait_head = 0;
        c->wait_cap = nc;
    }
    c->wait[(c->wait_head + c->wait_n) % c->wait_cap] = (inflight){seq, t0};
    c->wait_n++;
}

static void fill_window(conn *c) {
    while (!G.stopping && c->open && !c->dead && c->fly_n < G.window)
        write_msg(c, G.next_seq++, now_ns());
}

/* ---- answers ---- */
static int on_frame(void *data, const char *p, size_t n) {
    conn *c = data;
    uint64_t t1 = now_ns();
    if (!c->fly_n) {
        G.unexpected++;
        return 0;
    }
    inflight m = c->fly[c->fly_head];
    c->fly_head = (c->fly_head + 1) % G.window;
    c->fly_n--;
    G.answered++;
    /* MSA-1 and MSA-2 */
    const char *msa = NULL;
    for (size_t i = 0; i + 4 <= n; i++)
        if ((i == 0 || p[i - 1] == '\r' || p[i - 1] == '\n') && memcmp(p + i, "MSA", 3) == 0) {
            msa = p + i;
            break;
        }
    int code = 6;
    int match = 0;
    if (msa) {
        const char *end = p + n;
        char fs = msa[3];
        const char *f1 = msa + 4;
        const char *e1 = f1;
        while (e1 < end && *e1 != fs && *e1 != '\r')
            e1++;
        if (e1 - f1 == 2)
            for (int k = 0; k < 6; k++)
                if (memcmp(f1, CODES[k], 2) == 0)
                    code = k;
        if (e1 < end && *e1 == fs) {
            const char *f2 = e1 + 1, *e2 = f2;
            while (e2 < end && *e2 != fs && *e2 != '\r' && *e2 != '\n')
                e2++;
            char id[64];
            int idn = snprintf(id, sizeof id, "%s%" PRIu64, G.prefix, m.seq);
            match = (size_t)(e2 - f2) == (size_t)idn && memcmp(f2, id, (size_t)idn) == 0;
        }
    }
    if (!match)
        G.err_mismatch++;
    G.codes[code]++;
    if (t1 >= G.t_meas && t1 < G.t_end && match && (code == 0 || code == 3))
        G.acked_in_window++;
    if (m.t0_ns >= G.t_meas && m.t0_ns < G.t_end)
        record(m.t0_ns, t1);
    return 0;
}

static void alloc_cb(uv_handle_t *h, size_t sug, uv_buf_t *buf) {
    (void)sug;
    conn *c = h->data;
    *buf = uv_buf_init(c->rbuf, sizeof c->rbuf);
}

static void on_closed(uv_handle_t *h) { (void)h; }

static void conn_fail(conn *c, const char *why) {
    if (c->dead)
        return;
    c->dead = 1;
    G.err_conn++;
    G.err_unanswered += c->fly_n + c->wait_n;
    if (G.err_conn <= 3)
        fprintf(stderr, "mllp_load: connection %d: %s\n", c->idx, why);
    c->fly_n = 0;
    c->wait_n = 0;
    if (c->open) {
        c->open = 0;
        uv_close((uv_handle_t *)&c->tcp, on_closed);
    }
}

static void do_connect(conn *c);

static void on_recycled(uv_handle_t *h) {
    conn *c = h->data;
    hxe_mllp_framer_reset(&c->framer);
    if (!G.finished && !c->dead && (!G.stopping || c->wait_n))
        do_connect(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
    conn *c = s->data;
    if (nread < 0) {
        conn_fail(c, nread == UV_EOF ? "closed by the server" : uv_strerror((int)nread));
        return;
    }
    hxe_err err = {0};
    if (nread > 0 && hxe_mllp_framer_feed(&c->framer, buf->base, (size_t)nread, &err) < 0) {
        conn_fail(c, err.msg);
        return;
    }
    if (G.reconnect && c->fly_n == 0) {
        /* one message per connection: close, then connect again */
        c->open = 0;
        uv_read_stop(s);
        uv_close((uv_handle_t *)&c->tcp, on_recycled);
        return;
    }
    if (G.rate > 0)
        drain_wait(c);
    else
        fill_window(c);
}

/* ---- the clock ---- */
static void start_sending(void);

static void on_tick(uv_timer_t *t) {
    (void)t;
    uint64_t now = now_ns();
    if (!G.stopping && now >= G.t_end) {
        G.stopping = 1;
        G.t_drain_end = now + (uint64_t)(G.drain * 1e9);
    }
    if (G.stopping) {
        uint64_t owed = 0;
        for (int i = 0; i < G.nconn; i++)
            owed += G.conns[i].fly_n + G.conns[i].wait_n;
        if (owed == 0 || now >= G.t_drain_end) {
            G.err_unanswered += owed;
            uv_timer_stop(&G.tick);
            G.finished = 1;
            for (int i = 0; i < G.nconn; i++)
                if (G.conns[i].open) {
                    G.conns[i].open = 0;
                    uv_close((uv_handle_t *)&G.conns[i].tcp, on_closed);
                }
            uv_close((uv_handle_t *)&G.tick, on_closed);
        }
        return;
    }
    if (G.rate > 0) {
        uint64_t due = (uint64_t)((double)(now - G.t_start) * G.rate / 1e9);
        while (G.scheduled < due) {
            uint64_t k = G.scheduled++;
            uint64_t t0 = G.t_start + (uint64_t)((double)k * 1e9 / G.rate);
            conn *c = &G.conns[k % (uint64_t)G.nconn];
            if (c->dead) {
                G.err_unanswered++;
                continue;
            }
            enqueue(c, G.next_seq++, t0);
        }
        for (int i = 0; i < G.nconn; i++)
            drain_wait(&G.conns[i]);
    }
}

static void start_sending(void) {
    G.started = 1;
    G.t_start = now_ns();
    G.t_meas = G.t_start + (uint64_t)(G.warmup * 1e9);
    G.t_end = G.t_meas + (uint64_t)(G.duration * 1e9);
    uv_timer_start(&G.tick, on_tick, 1, 1);
    if (G.rate <= 0)
        for (int i = 0; i < G.nconn; i++)
            fill_window(&G.conns[i]);
}

static uint64_t connect_deadline;

static void on_retry_timer(uv_timer_t *t) {
    conn *c = t->data;
    uv_close((uv_handle_t *)t, (uv_close_cb)free);
    do_connect(c);
}

static void on_connect(uv_connect_t *req, int status) {
    conn *c = req->data;
    c->connecting = 0;
    if (status < 0) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        if (G.started) {
            conn_fail(c, uv_strerror(status));
            return;
        }
        if (now_ns() < connect_deadline) {
            uv_timer_t *t = malloc(sizeof *t);
            uv_timer_init(G.loop, t);
            t->data = c;
            uv_timer_start(t, on_retry_timer, 50, 0);
            return;
        }
        die("connect", uv_strerror(status));
    }
    G.connects++;
    if (G.finished) {
        uv_close((uv_handle_t *)&c->tcp, on_closed);
        return;
    }
    c->open = 1;
    uv_tcp_nodelay(&c->tcp, 1);
    uv_read_start((uv_stream_t *)&c->tcp, alloc_cb, on_read);
    if (G.started) {
        if (G.rate > 0)
            drain_wait(c);
        else
            fill_window(c);
    } else if (++G.connected == G.nconn) {
        start_sending();
    }
}

static void do_connect(conn *c) {
    struct sockaddr_storage sa;
    if (uv_ip4_addr(G.host, G.port, (struct sockaddr_in *)&sa) != 0 &&
        uv_ip6_addr(G.host, G.port, (struct sockaddr_in6 *)&sa) != 0)
        die("--host", "not an IP address");
    uv_tcp_init(G.loop, &c->tcp);
    c->connecting = 1;
    c->tcp.data = c;
    c->creq.data = c;
    int r = uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&sa, on_connect);
    if (r < 0)
        die("connect", uv_strerror(r));
}

static void usage(void) {
    fprintf(stderr,
            "usage: mllp_load --port P [--host 127.0.0.1] [--connections N] [--window W]\n"
            "                 [--rate MSGS_PER_S | 0 = saturation] [--duration S] [--warmup S]\n"
            "                 [--drain S] [--connect-wait S] [--prefix ID] [--tool NAME]\n"
            "                 [--reconnect 1 = a new connection for every message]\n"
            "                 TEMPLATE.hl7...\n");
    exit(2);
}

int main(int argc, char **argv) {
    signal(SIGPIPE, SIG_IGN);
    G.host = "127.0.0.1";
    G.nconn = 16;
    G.window = 1;
    G.duration = 10;
    G.warmup = 2;
    G.drain = 10;
    G.connect_wait = 10;
    G.tool = "";
    char prefix[48];
    snprintf(prefix, sizeof prefix, "L%" PRIx64 "-", (uint64_t)uv_hrtime() & 0xffffffffu);
    G.prefix = prefix;
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[i + 1];
        if (!strcmp(k, "--host")) G.host = v;
        else if (!strcmp(k, "--port")) G.port = atoi(v);
        else if (!strcmp(k, "--connections")) G.nconn = atoi(v);
        else if (!strcmp(k, "--window")) G.window = (unsigned)atoi(v);
        else if (!strcmp(k, "--rate")) G.rate = atof(v);
        else if (!strcmp(k, "--duration")) G.duration = atof(v);
        else if (!strcmp(k, "--warmup")) G.warmup = atof(v);
        else if (!strcmp(k, "--drain")) G.drain = atof(v);
        else if (!strcmp(k, "--connect-wait")) G.connect_wait = atof(v);
        else if (!strcmp(k, "--prefix")) G.prefix = v;
        else if (!strcmp(k, "--tool")) G.tool = v;
        else if (!strcmp(k, "--reconnect")) G.reconnect = atoi(v);
        else usage();
    }
    if (G.reconnect)
        G.window = 1;
    if (G.port <= 0 || G.nconn <= 0 || G.window == 0 || G.duration <= 0 || i >= argc ||
        strlen(G.prefix) > 32)
        usage();
    G.ntmpl = argc - i;
    G.tmpls = calloc((size_t)G.ntmpl, sizeof *G.tmpls);
    for (int k = 0; k < G.ntmpl; k++)
        load_template(argv[i + k], &G.tmpls[k]);

    G.loop = uv_default_loop();
    uv_timer_init(G.loop, &G.tick);
    G.conns = calloc((size_t)G.nconn, sizeof *G.conns);
    connect_deadline = now_ns() + (uint64_t)(G.connect_wait * 1e9);
    for (int k = 0; k < G.nconn; k++) {
        conn *c = &G.conns[k];
        c->idx = k;
        c->fly = calloc(G.window, sizeof *c->fly);
        hxe_mllp_framer_init(&c->framer, 0, on_frame, c);
        do_connect(c);
    }
    uv_run(G.loop, UV_RUN_DEFAULT);
    uint64_t t_done = now_ns();

    qsort(G.lat, G.nlat, sizeof *G.lat, cmp_u32);
    double rate_achieved = (double)G.acked_in_window / G.duration;
    printf("{\"tool\":\"%s\",\"mode\":\"%s\",\"offered\":%.0f,\"connections\":%d,\"window\":%u,\"reconnect\":%d,"
           "\"warmup_s\":%.1f,\"duration_s\":%.1f,\"sent\":%" PRIu64 ",\"answered\":%" PRIu64
           ",\"acked_in_window\":%" PRIu64 ",\"msgs_per_s\":%.1f,\"codes\":{",
           G.tool, G.rate > 0 ? "fixed" : "saturation", G.rate, G.nconn, G.window, G.reconnect, G.warmup,
           G.duration, G.sent, G.answered, G.acked_in_window, rate_achieved);
    int first = 1;
    for (int k = 0; k < 7; k++)
        if (G.codes[k]) {
            printf("%s\"%s\":%" PRIu64, first ? "" : ",", CODES[k], G.codes[k]);
            first = 0;
        }
    printf("},\"errors\":{\"mismatched\":%" PRIu64 ",\"connection\":%" PRIu64
           ",\"unanswered\":%" PRIu64 ",\"write\":%" PRIu64 ",\"unexpected\":%" PRIu64 "},"
           "\"latency_ms\":{\"n\":%zu,\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,"
           "\"max\":%.3f},\"max_send_lag_ms\":%.3f,\"connects\":%" PRIu64 ",\"elapsed_s\":%.2f}\n",
           G.err_mismatch, G.err_conn, G.err_unanswered, G.err_write, G.unexpected, G.nlat,
           pct(50), pct(90), pct(99), pct(99.9), G.nlat ? G.lat[G.nlat - 1] / 1000.0 : 0,
           G.max_late_us / 1000.0, G.connects, (double)(t_done - G.t_start) / 1e9);
    return 0;
}
