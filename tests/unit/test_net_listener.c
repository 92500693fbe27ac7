/*
 * test_net_listener.c — the MLLP listener on 127.0.0.1 (port chosen at
 * run time) driven by raw sockets from the same process and loop:
 * pipelined messages on several connections answered late and out of
 * order (each connection gets its answers in arrival order), a peer that
 * leaves before its answer, an oversize frame, junk between frames, the
 * idle timeout, a sender that trickles one byte at a time, the connection
 * limit and the graceful stop.
 */
#include "helpers/loop_testutil.h"
#include "helpers/testutil.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uv_loop_t loop;

/* ---- the loop, stepped until a condition holds ---- */
static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

#define pump(cond, arg, ms) tu_pump(&loop, (cond), (arg), (ms))

/* ---- a pretend engine: keeps requests, answers when told ---- */
#define MAXREQ 512
typedef struct eng {
    hxe_mllp_req *req[MAXREQ];
    char *msg[MAXREQ];
    size_t len[MAXREQ];
    int done[MAXREQ];
    size_t n;
    int answer_at_once;
} eng;

static eng E;
static hxe_mllp_server *srv;
static int stopped;

static void build_ack(const char *msg, size_t len, hxe_buf *out)
{
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    int rc = hxe_hl7_parse(&m, &a, msg, len, NULL, &is, NULL);
    assert_int_equal(hxe_hl7_ack(rc ? NULL : m, msg, len, &is, NULL, out), 0);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

static int answer(size_t i)
{
    hxe_buf ack = HXE_BUF_INIT;
    build_ack(E.msg[i], E.len[i], &ack);
    int rc = hxe_mllp_respond(E.req[i], ack.p, ack.len);
    E.done[i] = 1;
    hxe_buf_free(&ack);
    return rc;
}

static void on_msg(hxe_mllp_server *s, hxe_mllp_req *req, const char *m, size_t n, void *data)
{
    (void)s;
    (void)data;
    assert_true(E.n < MAXREQ);
    E.req[E.n] = req;
    E.msg[E.n] = malloc(n + 1);
    memcpy(E.msg[E.n], m, n);
    E.msg[E.n][n] = '\0';
    E.len[E.n] = n;
    E.n++;
    if (E.answer_at_once)
        answer(E.n - 1);
}

static void on_stopped(hxe_mllp_server *s, void *data)
{
    (void)s;
    hxe_mllp_server_stats *st = data;
    if (st)
        hxe_mllp_server_stats_get(s, st);
    stopped = 1;
}

static int is_stopped(void *arg) { (void)arg; return stopped; }

static void start(hxe_mllp_server_opts *o)
{
    hxe_err err = {0};
    stopped = 0;
    if (hxe_mllp_server_new(&srv, &loop, o, on_msg, NULL, &err))
        fail_msg("listener: %s", err.msg);
    assert_true(hxe_mllp_server_port(srv) > 0);
}

static hxe_mllp_server_stats stats(void)
{
    hxe_mllp_server_stats st;
    hxe_mllp_server_stats_get(srv, &st);
    return st;
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof E);
    srv = NULL;
    hxe_log_set_level(HXE_LOG_OFF);
    signal(SIGPIPE, SIG_IGN);   /* a write to a closed socket is an error, not death */
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    if (srv && !stopped) {
        hxe_mllp_server_stop(srv, 0, on_stopped, NULL);
        assert_true(pump(is_stopped, NULL, 2000));
    }
    for (size_t i = 0; i < E.n; i++) {
        if (!E.done[i])
            hxe_mllp_discard(E.req[i]);
        free(E.msg[i]);
    }
    pump(NULL, NULL, 20);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (getenv("NET_DEBUG"))
        uv_print_all_handles(&loop, stderr);
    /* every handle was closed: nothing of the listener is left behind */
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- raw sockets ---- */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static void raw_send(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            pump(NULL, NULL, 1);
            continue;
        }
        assert_true(w > 0);
        p += w;
        n -= (size_t)w;
    }
}

static void raw_send_frame(int fd, const char *msg)
{
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_mllp_frame(&b, msg, strlen(msg)), 0);
    raw_send(fd, b.p, b.len);
    hxe_buf_free(&b);
}

/* What one raw connection has received, framed. */
typedef struct rx {
    int fd;
    int closed;
    hxe_mllp_framer fr;
    char cid[MAXREQ][32];
    size_t n;
    size_t want;
} rx;

static int rx_frame(void *data, const char *p, size_t n)
{
    rx *r = data;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_hl7_msg *m = NULL;
    hxe_slice v = HXE_SLICE_EMPTY, code = HXE_SLICE_EMPTY;
    assert_int_equal(hxe_hl7_parse(&m, &a, p, n, NULL, NULL, NULL), 0);
    hxe_hl7_get_str(m, "MSA-1", &code);
    assert_true(hxe_slice_eq_cstr(code, "AA"));
    hxe_hl7_get_str(m, "MSA-2", &v);
    if (r->n < MAXREQ)
        snprintf(r->cid[r->n], sizeof r->cid[0], "%.*s", (int)v.n, v.p);
    r->n++;
    hxe_arena_free(&a);
    return 0;
}

static void rx_init(rx *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    hxe_mllp_framer_init(&r->fr, 0, rx_frame, r);
}

static void rx_poll(rx *r)
{
    char buf[4096];
    while (!r->closed) {
        ssize_t got = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got > 0) {
            assert_int_equal(hxe_mllp_framer_feed(&r->fr, buf, (size_t)got, NULL), 0);
            continue;
        }
        if (got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
            r->closed = 1;
        break;
    }
}

static int rx_has_all(void *arg)
{
    rx *r = arg;
    rx_poll(r);
    return r->n >= r->want;
}

static int rx_is_closed(void *arg)
{
    rx *r = arg;
    rx_poll(r);
    return r->closed;
}

static void rx_done(rx *r)
{
    if (r->fd >= 0)
        close(r->fd);
    hxe_mllp_framer_free(&r->fr);
}

static int have_n(void *arg) { return E.n >= *(size_t *)arg; }

static void make_msg(char *buf, size_t size, int conn, int i)
{
    snprintf(buf, size,
             "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|C%d-%d|P|2.5.1\r"
             "PID|1||%d^^^H^MR||DOE^JANE\r",
             conn, i, conn * 1000 + i);
}

/* ---- the tests ---- */

static void pipelined_out_of_order(void **state)
{
    (void)state;
    hxe_mllp_server_opts o = {0};
    o.max_pending = 100;
    start(&o);
    enum { CONNS = 4, PER = 25 };
    rx r[CONNS];
    for (int c = 0; c < CONNS; c++) {
        rx_init(&r[c], raw_connect(hxe_mllp_server_port(srv)));
        assert_true(r[c].fd >= 0);
    }
    /* interleave the connections, one frame at a time */
    char msg[256];
    for (int i = 0; i < PER; i++)
        for (int c = 0; c < CONNS; c++) {
            make_msg(msg, sizeof msg, c, i);
            raw_send_frame(r[c].fd, msg);
        }
    size_t want = CONNS * PER;
    assert_true(pump(have_n, &want, 5000));
    /* every request knows its connection and its place on it */
    for (size_t i = 0; i < E.n; i++) {
        int c, k;
        assert_int_equal(sscanf(strstr(E.msg[i], "|C") + 2, "%d-%d", &c, &k), 2);
        assert_int_equal(hxe_mllp_req_seq(E.req[i]), (uint64_t)k + 1);
        assert_non_null(strstr(hxe_mllp_req_peer(E.req[i]), "127.0.0.1:"));
    }
    /* answer in a scrambled order: last first, and every connection's
     * even-numbered messages before its odd ones */
    for (size_t i = E.n; i-- > 0;)
        if (hxe_mllp_req_seq(E.req[i]) % 2 == 0)
            assert_int_equal(answer(i), 0);
    pump(NULL, NULL, 30);
    for (int c = 0; c < CONNS; c++) {
        rx_poll(&r[c]);
        /* nothing may go out before the first message's answer */
        assert_int_equal(r[c].n, 0);
    }
    for (size_t i = E.n; i-- > 0;)
        if (!E.done[i])
            assert_int_equal(answer(i), 0);
    for (int c = 0; c < CONNS; c++) {
        r[c].want = PER;
        assert_true(pump(rx_has_all, &r[c], 5000));
        for (int i = 0; i < PER; i++) {
            char cid[32];
            snprintf(cid, sizeof cid, "C%d-%d", c, i);
            assert_string_equal(r[c].cid[i], cid);
        }
    }
    hxe_mllp_server_stats st = stats();
    assert_int_equal(st.connections, CONNS);
    assert_int_equal(st.open, CONNS);
    assert_int_equal(st.frames, CONNS * PER);
    assert_int_equal(st.acks, CONNS * PER);
    assert_int_equal(st.discarded, 0);
    for (int c = 0; c < CONNS; c++)
        rx_done(&r[c]);
}

static int all_closed(void *arg) { (void)arg; return stats().open == 0; }

static void peer_leaves_before_answer(void **state)
{
    (void)state;
    start(NULL);
    int fd = raw_connect(hxe_mllp_server_port(srv));
    char msg[256];
    make_msg(msg, sizeof msg, 1, 1);
    raw_send_frame(fd, msg);
    make_msg(msg, sizeof msg, 1, 2);
    raw_send_frame(fd, msg);
    size_t want = 2;
    assert_true(pump(have_n, &want, 2000));
    /* the second is answered first and waits for the first */
    assert_int_equal(answer(1), 0);
    close(fd);
    assert_true(pump(all_closed, NULL, 2000));
    /* the engine answers late: nothing is sent, nothing breaks */
    assert_int_equal(answer(0), 1);
    hxe_mllp_server_stats st = stats();
    assert_int_equal(st.dropped_answers, 2);
    assert_int_equal(st.acks, 0);

    /* and after the whole listener is gone */
    fd = raw_connect(hxe_mllp_server_port(srv));
    make_msg(msg, sizeof msg, 2, 1);
    raw_send_frame(fd, msg);
    want = 3;
    assert_true(pump(have_n, &want, 2000));
    hxe_mllp_server_stop(srv, 0, on_stopped, NULL);
    assert_true(pump(is_stopped, NULL, 2000));
    assert_int_equal(answer(2), 1);
    close(fd);
}

static void oversize_closes_connection_only(void **state)
{
    (void)state;
    hxe_mllp_server_opts o = {0};
    o.max_message = 1000;
    start(&o);
    rx big;
    rx_init(&big, raw_connect(hxe_mllp_server_port(srv)));
    char *huge = malloc(3000);
    memset(huge, 'A', 2999);
    huge[2999] = '\0';
    memcpy(huge, "MSH|^~\\&|", 9);
    raw_send_frame(big.fd, huge);
    free(huge);
    assert_true(pump(rx_is_closed, &big, 2000));
    assert_int_equal(E.n, 0);
    assert_int_equal(stats().oversize, 1);
    /* the listener still serves others, and a message of the limit passes */
    E.answer_at_once = 1;
    rx ok;
    rx_init(&ok, raw_connect(hxe_mllp_server_port(srv)));
    char msg[256];
    make_msg(msg, sizeof msg, 7, 7);
    raw_send_frame(ok.fd, msg);
    ok.want = 1;
    assert_true(pump(rx_has_all, &ok, 2000));
    assert_string_equal(ok.cid[0], "C7-7");
    rx_done(&big);
    rx_done(&ok);
}

static void junk_between_frames_counted(void **state)
{
    (void)state;
    start(NULL);
    E.answer_at_once = 1;
    rx r;
    rx_init(&r, raw_connect(hxe_mllp_server_port(srv)));
    char m1[256], m2[256];
    make_msg(m1, sizeof m1, 3, 1);
    make_msg(m2, sizeof m2, 3, 2);
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_buf_puts(&b, "hello"), 0);
    assert_int_equal(hxe_mllp_frame(&b, m1, strlen(m1)), 0);
    assert_int_equal(hxe_buf_puts(&b, "\r\nxx"), 0);
    assert_int_equal(hxe_mllp_frame(&b, m2, strlen(m2)), 0);
    raw_send(r.fd, b.p, b.len);
    hxe_buf_free(&b);
    r.want = 2;
    assert_true(pump(rx_has_all, &r, 2000));
    assert_string_equal(r.cid[0], "C3-1");
    assert_string_equal(r.cid[1], "C3-2");
    hxe_mllp_server_stats st = stats();
    assert_int_equal(st.discarded, 9);
    assert_int_equal(st.frames, 2);
    rx_done(&r);
}

static void idle_timeout(void **state)
{
    (void)state;
    hxe_mllp_server_opts o = {0};
    o.idle_timeout_ms = 150;
    start(&o);
    /* a half-open frame that never ends is closed after the idle time */
    rx half;
    rx_init(&half, raw_connect(hxe_mllp_server_port(srv)));
    raw_send(half.fd, "\x0bMSH|^~\\&|", 10);
    uint64_t t0 = now_ms();
    assert_true(pump(rx_is_closed, &half, 3000));
    assert_true(now_ms() - t0 >= 140);
    assert_int_equal(stats().idle_closes, 1);
    /* waiting for the engine is not idleness */
    rx busy;
    rx_init(&busy, raw_connect(hxe_mllp_server_port(srv)));
    char msg[256];
    make_msg(msg, sizeof msg, 4, 1);
    raw_send_frame(busy.fd, msg);
    size_t want = 1;
    assert_true(pump(have_n, &want, 2000));
    pump(NULL, NULL, 400);
    rx_poll(&busy);
    assert_false(busy.closed);
    assert_int_equal(answer(0), 0);
    busy.want = 1;
    assert_true(pump(rx_has_all, &busy, 2000));
    /* and then, with nothing to do, it is closed too */
    assert_true(pump(rx_is_closed, &busy, 3000));
    assert_int_equal(stats().idle_closes, 2);
    rx_done(&half);
    rx_done(&busy);
}

static void trickling_sender(void **state)
{
    (void)state;
    start(NULL);
    E.answer_at_once = 1;
    rx r;
    rx_init(&r, raw_connect(hxe_mllp_server_port(srv)));
    char msg[256];
    make_msg(msg, sizeof msg, 5, 1);
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_mllp_frame(&b, msg, strlen(msg)), 0);
    uint64_t reads_before = stats().bytes_in;
    for (size_t i = 0; i < b.len; i++) {
        raw_send(r.fd, b.p + i, 1);
        pump(NULL, NULL, 1);   /* each byte its own read */
        if (i + 1 < b.len)
            assert_int_equal(E.n, 0);
    }
    r.want = 1;
    assert_true(pump(rx_has_all, &r, 2000));
    assert_int_equal(E.n, 1);
    assert_int_equal(E.len[0], strlen(msg));
    assert_memory_equal(E.msg[0], msg, E.len[0]);
    assert_int_equal(stats().bytes_in - reads_before, b.len);
    hxe_buf_free(&b);
    rx_done(&r);
}

static void connection_limit(void **state)
{
    (void)state;
    hxe_mllp_server_opts o = {0};
    o.max_connections = 2;
    start(&o);
    E.answer_at_once = 1;
    rx r[3];
    for (int i = 0; i < 3; i++) {
        rx_init(&r[i], raw_connect(hxe_mllp_server_port(srv)));
        pump(NULL, NULL, 20);   /* accepted in this order */
    }
    assert_true(pump(rx_is_closed, &r[2], 2000));
    assert_int_equal(stats().refused, 1);
    for (int i = 0; i < 2; i++) {
        char msg[256];
        make_msg(msg, sizeof msg, 6, i);
        raw_send_frame(r[i].fd, msg);
        r[i].want = 1;
        assert_true(pump(rx_has_all, &r[i], 2000));
        assert_false(r[i].closed);
    }
    for (int i = 0; i < 3; i++)
        rx_done(&r[i]);
}

static void graceful_stop(void **state)
{
    (void)state;
    start(NULL);
    int port = hxe_mllp_server_port(srv);
    rx r[2];
    char msg[256];
    for (int i = 0; i < 2; i++) {
        rx_init(&r[i], raw_connect(port));
        make_msg(msg, sizeof msg, 8, i);
        raw_send_frame(r[i].fd, msg);
    }
    size_t want = 2;
    assert_true(pump(have_n, &want, 2000));
    hxe_mllp_server_stats final;
    hxe_mllp_server_stop(srv, 5000, on_stopped, &final);
    pump(NULL, NULL, 30);
    /* no longer accepting */
    assert_int_equal(raw_connect(port), -1);
    /* in-flight requests are still answered, then their connection closes */
    assert_int_equal(answer(1), 0);
    r[1].want = 1;
    assert_true(pump(rx_has_all, &r[1], 2000));
    assert_true(pump(rx_is_closed, &r[1], 2000));
    assert_false(stopped);
    assert_int_equal(answer(0), 0);
    r[0].want = 1;
    assert_true(pump(rx_has_all, &r[0], 2000));
    assert_true(pump(is_stopped, NULL, 2000));
    assert_int_equal(final.acks, 2);
    assert_int_equal(final.open, 0);
    for (int i = 0; i < 2; i++)
        rx_done(&r[i]);
}

static void stop_deadline(void **state)
{
    (void)state;
    start(NULL);
    rx r;
    rx_init(&r, raw_connect(hxe_mllp_server_port(srv)));
    char msg[256];
    make_msg(msg, sizeof msg, 9, 1);
    raw_send_frame(r.fd, msg);
    size_t want = 1;
    assert_true(pump(have_n, &want, 2000));
    uint64_t t0 = now_ms();
    hxe_mllp_server_stop(srv, 100, on_stopped, NULL);
    assert_true(pump(is_stopped, NULL, 3000));
    assert_true(now_ms() - t0 >= 90);
    assert_true(pump(rx_is_closed, &r, 2000));
    /* the engine's late answer is a safe no-op */
    assert_int_equal(answer(0), 1);
    rx_done(&r);
}

static void bad_addresses(void **state)
{
    (void)state;
    hxe_err err = {0};
    hxe_mllp_server *s2 = NULL;
    hxe_mllp_server_opts o = {0};
    o.host = "not-an-ip";
    assert_int_equal(hxe_mllp_server_new(&s2, &loop, &o, on_msg, NULL, &err), HXE_EIO);
    assert_null(s2);
    start(NULL);
    o.host = "127.0.0.1";
    o.port = hxe_mllp_server_port(srv);
    assert_int_equal(hxe_mllp_server_new(&s2, &loop, &o, on_msg, NULL, &err), HXE_EIO);
    assert_non_null(strstr(err.msg, "address already in use"));
    o.port = 70000;
    assert_int_equal(hxe_mllp_server_new(&s2, &loop, &o, on_msg, NULL, &err), HXE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pipelined_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_leaves_before_answer, setup, teardown),
        cmocka_unit_test_setup_teardown(oversize_closes_connection_only, setup, teardown),
        cmocka_unit_test_setup_teardown(junk_between_frames_counted, setup, teardown),
        cmocka_unit_test_setup_teardown(idle_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(trickling_sender, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(graceful_stop, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_deadline, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_addresses, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
