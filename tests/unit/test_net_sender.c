/*
 * test_net_sender.c — the MLLP sender against the MLLP listener, both on
 * one loop in this process (127.0.0.1, port chosen at run time): many
 * messages over several connections with late answers, every ACK code,
 * answers that are not this message's ACK, the ACK timeout (a late ACK is
 * never matched to the next message), a lost connection, and reconnects
 * with doubling backoff against a listener that is down and comes back.
 */
#include "helpers/loop_testutil.h"
#include "helpers/testutil.h"
#include "net/net.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uv_loop_t loop;

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

#define pump(cond, arg, ms) tu_pump(&loop, (cond), (arg), (ms))

/* ---- the engine behind the listener ---- */
enum mode { ANSWER_LATER, ANSWER_NOW, NEVER, DISCARD };
#define MAXREQ 512
static struct {
    hxe_mllp_req *req[MAXREQ];
    char cid[MAXREQ][32];
    int done[MAXREQ];
    size_t n;
    enum mode mode;
    const char *code;        /* MSA-1 to answer with */
    const char *raw_answer;  /* answer these bytes instead of an ACK */
    int wrong_cid;
} E;
static hxe_mllp_server *srv;
static int stopped;
static uv_timer_t later;

static int answer(size_t i)
{
    char ack[256];
    if (E.raw_answer)
        snprintf(ack, sizeof ack, "%s", E.raw_answer);
    else
        snprintf(ack, sizeof ack, "MSH|^~\\&|RCV|FAC|SND|FAC|20240101120000||ACK^A01^ACK|A%zu|P|2.5.1\r"
                                  "MSA|%s|%s\r",
                 i, E.code, E.wrong_cid ? "OTHER" : E.cid[i]);
    E.done[i] = 1;
    return hxe_mllp_respond(E.req[i], ack, strlen(ack));
}

static void on_msg(hxe_mllp_server *s, hxe_mllp_req *req, const char *m, size_t n, void *data)
{
    (void)s;
    (void)data;
    assert_true(E.n < MAXREQ);
    size_t i = E.n++;
    E.req[i] = req;
    /* MSH-10 */
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_hl7_msg *msg = NULL;
    hxe_slice v = HXE_SLICE_EMPTY;
    assert_int_equal(hxe_hl7_parse(&msg, &a, m, n, NULL, NULL, NULL), 0);
    hxe_hl7_get_str(msg, "MSH-10", &v);
    snprintf(E.cid[i], sizeof E.cid[i], "%.*s", (int)v.n, v.p);
    hxe_arena_free(&a);
    if (E.mode == ANSWER_NOW)
        answer(i);
    else if (E.mode == DISCARD) {
        E.done[i] = 1;
        hxe_mllp_discard(req);
    }
}

/* ANSWER_LATER: every 2 ms, answer what waits, newest first */
static void on_later(uv_timer_t *t)
{
    (void)t;
    if (E.mode != ANSWER_LATER)
        return;
    for (size_t i = E.n; i-- > 0;)
        if (!E.done[i])
            answer(i);
}

static void on_stopped(hxe_mllp_server *s, void *data)
{
    (void)s;
    (void)data;
    stopped = 1;
}
static int is_stopped(void *arg) { (void)arg; return stopped; }

static void start_server(int port)
{
    hxe_err err = {0};
    hxe_mllp_server_opts o = {0};
    o.port = port;
    stopped = 0;
    if (hxe_mllp_server_new(&srv, &loop, &o, on_msg, NULL, &err))
        fail_msg("listener: %s", err.msg);
}

static void stop_server(void)
{
    hxe_mllp_server_stop(srv, 0, on_stopped, NULL);
    assert_true(pump(is_stopped, NULL, 2000));
    srv = NULL;
}

/* ---- senders ---- */
typedef struct res {
    int outcome;
    char code[3];
    char cid[32];
    uint64_t at;
    char reason[200];
} res;

typedef struct sender {
    hxe_mllp_client *c;
    int id;
    res r[64];
    size_t nres;
    int next, total;    /* messages to send one after the other */
    int closed;
} sender;

static void make_msg(char *buf, size_t size, int id, int i)
{
    snprintf(buf, size,
             "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ORU^R01^ORU_R01|S%d-%d|P|2.5.1\r"
             "PID|1||%d^^^H^MR\rOBX|1|NM|GLU^Glucose^LN||5.5|mmol/L\r",
             id, i, i);
}

static void send_next(sender *s);

static void on_result(hxe_mllp_client *c, const hxe_mllp_result *r, void *data)
{
    sender *s = data;
    assert_ptr_equal(c, s->c);
    assert_true(s->nres < 64);
    res *x = &s->r[s->nres++];
    x->outcome = r->outcome;
    memcpy(x->code, r->code, 3);
    x->at = now_ms();
    snprintf(x->reason, sizeof x->reason, "%s", r->reason);
    if (r->ack) {
        hxe_arena a;
        hxe_arena_init(&a, 4096, 0);
        hxe_hl7_msg *m = NULL;
        hxe_slice v = HXE_SLICE_EMPTY;
        if (hxe_hl7_parse(&m, &a, r->ack, r->ack_len, NULL, NULL, NULL) == 0)
            hxe_hl7_get_str(m, "MSA-2", &v);
        snprintf(x->cid, sizeof x->cid, "%.*s", (int)v.n, v.p);
        hxe_arena_free(&a);
    }
    if (s->next < s->total)
        send_next(s);
}

static void send_next(sender *s)
{
    char msg[512];
    make_msg(msg, sizeof msg, s->id, s->next++);
    hxe_err err = {0};
    if (hxe_mllp_client_send(s->c, msg, strlen(msg), on_result, s, &err))
        fail_msg("send: %s", err.msg);
}

static void open_sender(sender *s, int id, int port, uint64_t ack_timeout, uint64_t backoff_min)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    hxe_mllp_client_opts o = {0};
    o.host = "127.0.0.1";
    o.port = port;
    o.ack_timeout_ms = ack_timeout;
    o.backoff_min_ms = backoff_min;
    o.backoff_max_ms = backoff_min * 8;
    hxe_err err = {0};
    if (hxe_mllp_client_new(&s->c, &loop, &o, &err))
        fail_msg("sender: %s", err.msg);
}

static void on_closed(hxe_mllp_client *c, void *data)
{
    (void)c;
    ((sender *)data)->closed = 1;
}
static int sender_closed(void *arg) { return ((sender *)arg)->closed; }

static void close_sender(sender *s)
{
    hxe_mllp_client_close(s->c, on_closed, s);
    assert_true(pump(sender_closed, s, 2000));
}

static int has_results(void *arg)
{
    sender *s = arg;
    return s->nres >= (size_t)s->total;
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof E);
    E.code = "AA";
    srv = NULL;
    hxe_log_set_level(HXE_LOG_OFF);
    signal(SIGPIPE, SIG_IGN);   /* a write to a closed socket is an error, not death */
    int rc = uv_loop_init(&loop);
    uv_timer_init(&loop, &later);
    uv_timer_start(&later, on_later, 2, 2);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    if (srv)
        stop_server();
    for (size_t i = 0; i < E.n; i++)
        if (!E.done[i])
            hxe_mllp_discard(E.req[i]);
    uv_close((uv_handle_t *)&later, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- tests ---- */

static void many_messages_several_senders(void **state)
{
    (void)state;
    start_server(0);
    enum { N = 5, PER = 20 };
    sender s[N];
    for (int i = 0; i < N; i++) {
        open_sender(&s[i], i, hxe_mllp_server_port(srv), 5000, 100);
        s[i].total = PER;
        send_next(&s[i]);
    }
    for (int i = 0; i < N; i++) {
        assert_true(pump(has_results, &s[i], 10000));
        for (int k = 0; k < PER; k++) {
            char cid[32];
            snprintf(cid, sizeof cid, "S%d-%d", i, k);
            assert_int_equal(s[i].r[k].outcome, HXE_MLLP_ACCEPTED);
            assert_string_equal(s[i].r[k].code, "AA");
            assert_string_equal(s[i].r[k].cid, cid);
        }
        hxe_mllp_client_stats cs;
        hxe_mllp_client_stats_get(s[i].c, &cs);
        assert_int_equal(cs.connects, 1);   /* one kept connection */
        assert_int_equal(cs.sent, PER);
        assert_int_equal(cs.acks, PER);
    }
    hxe_mllp_server_stats st;
    hxe_mllp_server_stats_get(srv, &st);
    assert_int_equal(st.connections, N);
    assert_int_equal(st.frames, N * PER);
    for (int i = 0; i < N; i++)
        close_sender(&s[i]);
}

static void every_ack_code(void **state)
{
    (void)state;
    start_server(0);
    E.mode = ANSWER_NOW;
    static const struct { const char *code; int outcome; } cases[] = {
        {"AA", HXE_MLLP_ACCEPTED}, {"CA", HXE_MLLP_ACCEPTED}, {"AE", HXE_MLLP_NEGATIVE},
        {"AR", HXE_MLLP_NEGATIVE}, {"CE", HXE_MLLP_NEGATIVE}, {"CR", HXE_MLLP_NEGATIVE},
        {"ZZ", HXE_MLLP_BAD_ACK},
    };
    sender s;
    open_sender(&s, 1, hxe_mllp_server_port(srv), 2000, 20);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        E.code = cases[i].code;
        s.total = (int)i + 1;
        send_next(&s);
        assert_true(pump(has_results, &s, 3000));
        assert_int_equal(s.r[i].outcome, cases[i].outcome);
        if (cases[i].outcome != HXE_MLLP_BAD_ACK)
            assert_string_equal(s.r[i].code, cases[i].code);
    }
    close_sender(&s);
}

static void answers_that_do_not_match(void **state)
{
    (void)state;
    start_server(0);
    E.mode = ANSWER_NOW;
    sender s;
    open_sender(&s, 2, hxe_mllp_server_port(srv), 2000, 20);
    /* an ACK of another message */
    E.wrong_cid = 1;
    s.total = 1;
    send_next(&s);
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[0].outcome, HXE_MLLP_BAD_ACK);
    assert_non_null(strstr(s.r[0].reason, "MSA-2"));
    /* not HL7 at all */
    E.wrong_cid = 0;
    E.raw_answer = "hello";
    s.total = 2;
    send_next(&s);
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[1].outcome, HXE_MLLP_BAD_ACK);
    /* each bad answer cost the connection */
    E.raw_answer = NULL;
    s.total = 3;
    send_next(&s);
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[2].outcome, HXE_MLLP_ACCEPTED);
    hxe_mllp_client_stats cs;
    hxe_mllp_client_stats_get(s.c, &cs);
    assert_int_equal(cs.connects, 3);
    close_sender(&s);
}

static int got_one(void *arg) { (void)arg; return E.n >= 1; }

static void timeout_and_late_ack(void **state)
{
    (void)state;
    start_server(0);
    E.mode = NEVER;
    sender s;
    open_sender(&s, 3, hxe_mllp_server_port(srv), 100, 20);
    /* two messages: the second is sent from the first one's callback */
    s.total = 2;
    uint64_t t0 = now_ms();
    send_next(&s);
    assert_true(pump(got_one, NULL, 2000));
    E.mode = ANSWER_NOW;   /* the first stays unanswered; the next is answered */
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[0].outcome, HXE_MLLP_TIMEOUT);
    assert_true(s.r[0].at - t0 >= 95);
    /* the next message went on a new connection and got its own ACK */
    assert_int_equal(s.r[1].outcome, HXE_MLLP_ACCEPTED);
    assert_string_equal(s.r[1].cid, "S3-1");
    /* the late answer to the first finds its connection closed */
    assert_int_equal(answer(0), 1);
    hxe_mllp_client_stats cs;
    hxe_mllp_client_stats_get(s.c, &cs);
    assert_int_equal(cs.timeouts, 1);
    assert_int_equal(cs.connects, 2);
    assert_int_equal(cs.sent, 2);
    close_sender(&s);
}

static void connection_lost_before_ack(void **state)
{
    (void)state;
    start_server(0);
    E.mode = DISCARD;   /* the listener drops the connection */
    sender s;
    open_sender(&s, 4, hxe_mllp_server_port(srv), 2000, 20);
    s.total = 1;
    send_next(&s);
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[0].outcome, HXE_MLLP_CONN_ERROR);
    assert_non_null(strstr(s.r[0].reason, "connection lost"));
    close_sender(&s);
}

static void reconnect_with_backoff(void **state)
{
    (void)state;
    start_server(0);
    int port = hxe_mllp_server_port(srv);
    E.mode = ANSWER_NOW;
    sender s;
    open_sender(&s, 5, port, 1000, 100);   /* backoff 100, 200, 400, 800 */
    s.total = 1;
    send_next(&s);
    assert_true(pump(has_results, &s, 3000));
    assert_int_equal(s.r[0].outcome, HXE_MLLP_ACCEPTED);

    /* the listener goes away */
    stop_server();
    pump(NULL, NULL, 20);
    uint64_t t[4];
    for (int i = 1; i <= 3; i++) {
        s.total = i + 1;
        t[i] = now_ms();
        send_next(&s);
        assert_true(pump(has_results, &s, 5000));
        assert_int_equal(s.r[i].outcome, HXE_MLLP_CONN_ERROR);
        t[i] = s.r[i].at - t[i];
    }
    /* the first failure is immediate; then each connect waits longer */
    assert_true(t[1] < 90);
    assert_true(t[2] >= 95 && t[2] < 190);
    assert_true(t[3] >= 195);
    hxe_mllp_client_stats cs;
    hxe_mllp_client_stats_get(s.c, &cs);
    assert_int_equal(cs.connect_failures, 3);

    /* it comes back on the same port: the next send gets through */
    start_server(port);
    s.total = 5;
    send_next(&s);
    assert_true(pump(has_results, &s, 5000));
    assert_int_equal(s.r[4].outcome, HXE_MLLP_ACCEPTED);
    assert_string_equal(s.r[4].cid, "S5-4");

    /* a good ACK reset the backoff: after the next outage, the second
     * attempt waits the minimum again */
    stop_server();
    pump(NULL, NULL, 20);
    s.total = 6;
    send_next(&s);
    assert_true(pump(has_results, &s, 5000));
    assert_int_equal(s.r[5].outcome, HXE_MLLP_CONN_ERROR);
    uint64_t t0 = now_ms();
    s.total = 7;
    send_next(&s);
    assert_true(pump(has_results, &s, 5000));
    assert_true(s.r[6].at - t0 < 190);
    close_sender(&s);
}

static void busy_close_and_names(void **state)
{
    (void)state;
    start_server(0);
    E.mode = NEVER;
    sender s;
    hxe_mllp_client_opts o = {0};
    o.host = "localhost";   /* resolved, IPv4 preferred */
    o.port = hxe_mllp_server_port(srv);
    hxe_err err = {0};
    memset(&s, 0, sizeof s);
    assert_int_equal(hxe_mllp_client_new(&s.c, &loop, &o, &err), 0);
    s.total = 1;
    send_next(&s);
    assert_true(hxe_mllp_client_busy(s.c));
    assert_int_equal(hxe_mllp_client_send(s.c, "MSH|x", 5, on_result, &s, &err), HXE_EINVAL);
    assert_true(pump(got_one, NULL, 2000));
    /* closing with a message in flight cancels it */
    hxe_mllp_client_close(s.c, on_closed, &s);
    assert_int_equal(s.nres, 1);
    assert_int_equal(s.r[0].outcome, HXE_MLLP_CANCELLED);
    assert_true(pump(sender_closed, &s, 2000));
    /* bad options */
    hxe_mllp_client *c2 = NULL;
    o.port = 0;
    assert_int_equal(hxe_mllp_client_new(&c2, &loop, &o, &err), HXE_EINVAL);
    assert_string_equal(hxe_mllp_outcome_name(HXE_MLLP_TIMEOUT), "timeout");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(many_messages_several_senders, setup, teardown),
        cmocka_unit_test_setup_teardown(every_ack_code, setup, teardown),
        cmocka_unit_test_setup_teardown(answers_that_do_not_match, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout_and_late_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(connection_lost_before_ack, setup, teardown),
        cmocka_unit_test_setup_teardown(reconnect_with_backoff, setup, teardown),
        cmocka_unit_test_setup_teardown(busy_close_and_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
