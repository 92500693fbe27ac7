/* mllp_sink.c — the receiving end of the engine benchmark: the system
 * hxe's MLLP destination delivers to (bench/engine_bench.sh).
 *
 * Listens on 127.0.0.1:PORT with net.h's MLLP listener and answers every
 * message at once with a minimal AA ACK whose MSA-2 is the message's
 * MSH-10 (what hxe's MLLP sender checks). It does nothing else, so the
 * measured path is hxe's, not the sink's. On SIGTERM or SIGINT it prints
 * one JSON line: messages received, the time from the first to the last,
 * and the delivery rate over that span.
 *
 * usage: mllp_sink PORT */
#include "base/base.h"
#include "net/net.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static uint64_t received, first_ns, last_ns;
static hxe_mllp_server *srv;
static uv_signal_t sig_term, sig_int;

static void on_message(hxe_mllp_server *s, hxe_mllp_req *req, const char *msg, size_t len,
                       void *data) {
    (void)s, (void)data;
    uint64_t now = uv_hrtime();
    if (!received)
        first_ns = now;
    last_ns = now;
    received++;
    /* MSH-10: the 9th field separator of the first segment starts it */
    const char *id = "", *end = msg + len;
    size_t idn = 0;
    if (len > 4 && memcmp(msg, "MSH", 3) == 0) {
        char fs = msg[3];
        int seps = 0;
        const char *p = msg + 3;
        for (; p < end && *p != '\r'; p++)
            if (*p == fs && ++seps == 9)
                break;
        if (seps == 9) {
            id = ++p;
            while (p < end && *p != fs && *p != '\r')
                p++;
            idn = (size_t)(p - id);
        }
    }
    if (idn > 200)
        idn = 200;
    char ack[320];
    int n = snprintf(ack, sizeof ack,
                     "MSH|^~\\&|SINK|BENCH|||20260101000000||ACK|A%.*s|P|2.5\rMSA|AA|%.*s\r",
                     (int)idn, id, (int)idn, id);
    hxe_mllp_respond(req, ack, (size_t)n);
}

static void on_signal(uv_signal_t *h, int signum) {
    (void)h, (void)signum;
    uv_signal_stop(&sig_term);
    uv_signal_stop(&sig_int);
    uv_close((uv_handle_t *)&sig_term, NULL);
    uv_close((uv_handle_t *)&sig_int, NULL);
    hxe_mllp_server_stop(srv, 0, NULL, NULL);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: mllp_sink PORT\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_t *loop = uv_default_loop();
    hxe_mllp_server_opts o = {0};
    o.host = "127.0.0.1";
    o.port = atoi(argv[1]);
    o.idle_timeout_ms = UINT64_MAX;
    o.name = "sink";
    hxe_err err = {0};
    if (hxe_mllp_server_new(&srv, loop, &o, on_message, NULL, &err) != 0) {
        fprintf(stderr, "mllp_sink: %s\n", err.msg);
        return 1;
    }
    uv_signal_init(loop, &sig_term);
    uv_signal_init(loop, &sig_int);
    uv_signal_start(&sig_term, on_signal, SIGTERM);
    uv_signal_start(&sig_int, on_signal, SIGINT);
    fprintf(stderr, "mllp_sink: listening on 127.0.0.1:%d\n", hxe_mllp_server_port(srv));
    uv_run(loop, UV_RUN_DEFAULT);
    double span = received > 1 ? (double)(last_ns - first_ns) / 1e9 : 0;
    printf("{\"received\":%" PRIu64 ",\"span_s\":%.3f,\"msgs_per_s\":%.1f}\n", received, span,
           span > 0 ? (double)(received - 1) / span : 0);
    return 0;
}
