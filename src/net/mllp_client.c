/*
 * mllp_client.c — the MLLP sender: one connection, one message at a time,
 * its ACK awaited with a timeout, reconnects with exponential backoff.
 *
 * Matching: an answer belongs to the message in flight only if it is an
 * HL7 ACK (MSA-1 readable) whose MSA-2 equals the message's MSH-10. Any
 * failure — connect error, timeout, lost connection, an answer that does
 * not match — closes the connection, so nothing that arrives late on it
 * can be taken for the next message's answer, and arms the backoff that
 * the next connect waits for. A matched ACK (positive or negative) shows
 * the peer works and resets the backoff.
 *
 * The send callback is never called from inside hxe_mllp_client_send:
 * failures found there are deferred through the ACK timer at 0 ms.
 */
#include "hl7v2/hl7v2.h"
#include "net/net_int.h"

#include <string.h>

struct hxe_mllp_client {
    uv_loop_t *loop;
    hxe_mllp_client_opts o;
    char host[256];
    char server_name[256];
    hxe_net_stream *s;       /* NULL when not connected nor connecting */
    int connected;           /* s is open */
    uv_timer_t ack_timer;    /* ACK timeout, or a deferred failure at 0 ms */
    uv_timer_t backoff_timer;
    int handles;
    hxe_mllp_framer fr;
    hxe_arena arena;
    /* the send in flight */
    int busy, written;
    char *msg;
    size_t len;
    hxe_mllp_send_cb cb;
    void *cb_data;
    char control_id[128];
    int have_cid;
    uint64_t t_start, t_sent;
    int deferred;            /* a failure waiting for the 0 ms timer */
    char deferred_reason[HXE_ERR_MSG_MAX];
    /* reconnecting */
    uint64_t backoff_next;
    int in_backoff;
    /* closing */
    int closing;
    void (*on_closed)(hxe_mllp_client *c, void *data);
    void *close_data;
    hxe_mllp_client_stats st;
};

const char *hxe_mllp_outcome_name(int outcome)
{
    switch (outcome) {
    case HXE_MLLP_ACCEPTED: return "accepted";
    case HXE_MLLP_NEGATIVE: return "negative";
    case HXE_MLLP_TIMEOUT: return "timeout";
    case HXE_MLLP_CONN_ERROR: return "connection error";
    case HXE_MLLP_BAD_ACK: return "bad ack";
    case HXE_MLLP_CANCELLED: return "cancelled";
    }
    return "unknown";
}

static void kick(hxe_mllp_client *c);

/* Ends the send in flight; the callback may send the next one. */
static void report(hxe_mllp_client *c, int outcome, const char *code, const char *ack, size_t n,
                   const char *reason)
{
    if (!c->busy)
        return;
    hxe_mllp_result r;
    memset(&r, 0, sizeof r);
    r.outcome = outcome;
    if (code)
        snprintf(r.code, sizeof r.code, "%s", code);
    r.ack = ack;
    r.ack_len = n;
    uint64_t now = hxe__now_us();
    r.latency_us = now - (c->written ? c->t_sent : c->t_start);
    r.reason = reason ? reason : "";
    hxe_mllp_send_cb cb = c->cb;
    void *data = c->cb_data;
    c->busy = c->written = c->deferred = 0;
    c->cb = NULL;
    hxe_free(c->msg);
    c->msg = NULL;
    uv_timer_stop(&c->ack_timer);
    if (cb)
        cb(c, &r, data);
}

static void on_backoff(uv_timer_t *t)
{
    hxe_mllp_client *c = t->data;
    c->in_backoff = 0;
    kick(c);
}

static void start_backoff(hxe_mllp_client *c)
{
    if (c->closing)
        return;
    uint64_t d = c->backoff_next;
    c->backoff_next = d > c->o.backoff_max_ms / 2 ? c->o.backoff_max_ms : d * 2;
    c->in_backoff = 1;
    uv_timer_start(&c->backoff_timer, on_backoff, d, 0);
}

/* Closes the connection; until its close completes nothing is written
 * (a send made meanwhile waits and goes out on a new connection). */
static void drop_conn(hxe_mllp_client *c)
{
    if (c->s)
        hxe_net_stream_close(c->s, 0);
    c->connected = 0;
}

static void on_ack_timer(uv_timer_t *t)
{
    hxe_mllp_client *c = t->data;
    if (c->deferred) {
        report(c, HXE_MLLP_CONN_ERROR, NULL, NULL, 0, c->deferred_reason);
        return;
    }
    if (!c->busy || !c->written)
        return;
    c->st.timeouts++;
    hxe_log(HXE_LOG_WARN, "mllp.send.timeout", HXE_LF_STR("host", c->host),
            HXE_LF_INT("port", c->o.port), HXE_LF_INT("timeout_ms", c->o.ack_timeout_ms));
    drop_conn(c);   /* a late ACK must never meet the next message */
    start_backoff(c);
    report(c, HXE_MLLP_TIMEOUT, NULL, NULL, 0, "no ACK within the timeout");
}

static void fail_deferred(hxe_mllp_client *c, const char *reason)
{
    c->deferred = 1;
    snprintf(c->deferred_reason, sizeof c->deferred_reason, "%s", reason);
    uv_timer_start(&c->ack_timer, on_ack_timer, 0, 0);
}

/* The answer to the message in flight. Returns non-zero to stop framing
 * (the connection is being dropped). */
static int on_answer(void *data, const char *p, size_t n)
{
    hxe_mllp_client *c = data;
    if (!c->busy || !c->written) {
        c->st.unexpected++;
        hxe_log(HXE_LOG_WARN, "mllp.send.unexpected", HXE_LF_STR("host", c->host),
                HXE_LF_INT("port", c->o.port), HXE_LF_INT("bytes", n));
        return 0;
    }
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    hxe_slice code = HXE_SLICE_EMPTY, cid = HXE_SLICE_EMPTY;
    const char *bad = NULL;
    if (hxe_hl7_parse(&m, &c->arena, p, n, NULL, &issues, NULL) != 0)
        bad = "the answer is not an HL7 message";
    else if (hxe_hl7_get_str(m, "MSA-1", &code) != 0 || code.n == 0)
        bad = "the answer has no MSA-1";
    else if (c->have_cid && (hxe_hl7_get_str(m, "MSA-2", &cid) != 0 ||
                             !hxe_slice_eq_cstr(cid, c->control_id)))
        bad = "MSA-2 of the answer does not match MSH-10 of the message";
    int outcome = HXE_MLLP_BAD_ACK;
    char cs[3] = "";
    if (!bad) {
        if (code.n == 2)
            memcpy(cs, code.p, 2);
        if (!strcmp(cs, "AA") || !strcmp(cs, "CA"))
            outcome = HXE_MLLP_ACCEPTED;
        else if (!strcmp(cs, "AE") || !strcmp(cs, "AR") || !strcmp(cs, "CE") || !strcmp(cs, "CR"))
            outcome = HXE_MLLP_NEGATIVE;
        else
            bad = "MSA-1 is not an acknowledgment code";
    }
    hxe_issues_free(&issues);
    int stop = 0;
    if (bad) {
        hxe_log(HXE_LOG_WARN, "mllp.send.bad_ack", HXE_LF_STR("host", c->host),
                HXE_LF_INT("port", c->o.port), HXE_LF_STR("reason", bad));
        drop_conn(c);
        start_backoff(c);
        stop = 1;
    } else {
        c->st.acks++;
        c->backoff_next = c->o.backoff_min_ms;
    }
    report(c, outcome, cs, p, n, bad);
    hxe_arena_reset(&c->arena);
    return stop;
}

static void write_msg(hxe_mllp_client *c)
{
    hxe_slice parts[3] = {{"\x0b", 1}, {c->msg, c->len}, {"\x1c\r", 2}};
    c->written = 1;
    c->t_sent = hxe__now_us();
    c->st.sent++;
    uv_timer_start(&c->ack_timer, on_ack_timer, c->o.ack_timeout_ms, 0);
    /* a failed write closes the stream, and its close reports the failure */
    (void)hxe_net_stream_write(c->s, parts, 3);
}

static void cl_on_open(hxe_net_stream *s)
{
    hxe_mllp_client *c = hxe_net_stream_data(s);
    c->connected = 1;
    c->st.connects++;
    hxe_log(HXE_LOG_DEBUG, "mllp.send.connected", HXE_LF_STR("host", c->host),
            HXE_LF_INT("port", c->o.port), HXE_LF_STR("peer", hxe_net_stream_peer(s)));
    kick(c);
}

static void cl_on_read(hxe_net_stream *s, const char *p, size_t n)
{
    hxe_mllp_client *c = hxe_net_stream_data(s);
    hxe_err err = {0};
    int rc = hxe_mllp_framer_feed(&c->fr, p, n, &err);
    if (rc == HXE_ETOOBIG || rc == HXE_ENOMEM) {
        hxe_log(HXE_LOG_WARN, "mllp.send.oversize", HXE_LF_STR("host", c->host),
                HXE_LF_INT("port", c->o.port), HXE_LF_STR("reason", err.msg));
        drop_conn(c);
        start_backoff(c);
        report(c, HXE_MLLP_BAD_ACK, NULL, NULL, 0, "the answer is larger than max_ack");
    }
}

static void maybe_finish(hxe_mllp_client *c);

static void cl_on_close(hxe_net_stream *s, int code, const char *reason)
{
    hxe_mllp_client *c = hxe_net_stream_data(s);
    int was_connected = c->connected;
    c->s = NULL;
    c->connected = 0;
    hxe_mllp_framer_reset(&c->fr);
    if (!was_connected && code != HXE_NET_CLOSE_LOCAL)
        c->st.connect_failures++;
    if (code != HXE_NET_CLOSE_LOCAL)
        hxe_log(HXE_LOG_INFO, "mllp.send.closed", HXE_LF_STR("host", c->host),
                HXE_LF_INT("port", c->o.port), HXE_LF_STR("reason", reason));
    if (c->closing) {
        maybe_finish(c);
        return;
    }
    if (c->busy && !c->deferred && (c->written || code != HXE_NET_CLOSE_LOCAL)) {
        char why[240];
        snprintf(why, sizeof why, "%s%s", was_connected ? "connection lost before the ACK: " : "",
                 reason);
        start_backoff(c);
        report(c, HXE_MLLP_CONN_ERROR, NULL, NULL, 0, why);
        return;
    }
    kick(c);
}

static void start_connect(hxe_mllp_client *c)
{
    hxe_net_stream_opts so = {{cl_on_open, cl_on_read, cl_on_close}, c, c->o.tls,
                              c->server_name[0] ? c->server_name : NULL,
                              c->o.connect_timeout_ms, 0};
    hxe_err err = {0};
    if (hxe_net_connect(&c->s, c->loop, c->host, c->o.port, &so, &err) != 0) {
        c->s = NULL;
        c->st.connect_failures++;
        start_backoff(c);
        fail_deferred(c, err.msg);
    }
}

static void kick(hxe_mllp_client *c)
{
    if (c->closing || !c->busy || c->written || c->deferred)
        return;
    if (c->s) {
        if (c->connected)
            write_msg(c);
        return;   /* connecting (on_open kicks) or closing (on_close kicks) */
    }
    if (c->in_backoff)
        return;   /* on_backoff kicks */
    start_connect(c);
}

int hxe_mllp_client_new(hxe_mllp_client **out, uv_loop_t *loop, const hxe_mllp_client_opts *o,
                        hxe_err *err)
{
    *out = NULL;
    if (!loop || !o || !o->host || !*o->host)
        return hxe_err_set(err, HXE_EINVAL, "mllp sender: a loop and a host are needed");
    if (strlen(o->host) >= 256 || (o->server_name && strlen(o->server_name) >= 256))
        return hxe_err_set(err, HXE_EINVAL, "mllp sender: host name too long");
    if (o->port < 1 || o->port > 65535)
        return hxe_err_set(err, HXE_EINVAL, "mllp sender: port %d out of range", o->port);
    hxe_mllp_client *c = hxe_calloc(1, sizeof *c);
    if (!c)
        return hxe_err_set(err, HXE_ENOMEM, "mllp sender: out of memory");
    c->loop = loop;
    c->o = *o;
    snprintf(c->host, sizeof c->host, "%s", o->host);
    if (o->server_name)
        snprintf(c->server_name, sizeof c->server_name, "%s", o->server_name);
    c->o.host = c->host;
    c->o.server_name = NULL;
    if (!c->o.ack_timeout_ms)
        c->o.ack_timeout_ms = 30000;
    if (!c->o.connect_timeout_ms)
        c->o.connect_timeout_ms = 10000;
    if (!c->o.backoff_min_ms)
        c->o.backoff_min_ms = 500;
    if (!c->o.backoff_max_ms)
        c->o.backoff_max_ms = 30000;
    if (c->o.backoff_max_ms < c->o.backoff_min_ms)
        c->o.backoff_max_ms = c->o.backoff_min_ms;
    c->backoff_next = c->o.backoff_min_ms;
    hxe_mllp_framer_init(&c->fr, c->o.max_ack, on_answer, c);
    hxe_arena_init(&c->arena, 16 * 1024, 0);
    uv_timer_init(loop, &c->ack_timer);
    uv_timer_init(loop, &c->backoff_timer);
    c->ack_timer.data = c->backoff_timer.data = c;
    c->handles = 2;
    *out = c;
    return 0;
}

/* MSH-10 of the message, to match MSA-2 of its answer. */
static void read_control_id(hxe_mllp_client *c)
{
    hxe_issues issues = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    hxe_slice v;
    c->have_cid = 0;
    if (hxe_hl7_parse(&m, &c->arena, c->msg, c->len, NULL, &issues, NULL) == 0 &&
        hxe_hl7_get_str(m, "MSH-10", &v) == 0 && v.n > 0 && v.n < sizeof c->control_id) {
        memcpy(c->control_id, v.p, v.n);
        c->control_id[v.n] = '\0';
        c->have_cid = 1;
    }
    hxe_issues_free(&issues);
    hxe_arena_reset(&c->arena);
}

int hxe_mllp_client_send(hxe_mllp_client *c, const char *msg, size_t len, hxe_mllp_send_cb cb,
                         void *data, hxe_err *err)
{
    if (!c || c->closing)
        return hxe_err_set(err, HXE_EINVAL, "mllp sender: closed");
    if (c->busy)
        return hxe_err_set(err, HXE_EINVAL, "mllp sender: a message is already in flight");
    c->msg = hxe_malloc(len ? len : 1);
    if (!c->msg)
        return hxe_err_set(err, HXE_ENOMEM, "mllp sender: out of memory for %zu bytes", len);
    if (len)
        memcpy(c->msg, msg, len);
    c->len = len;
    c->cb = cb;
    c->cb_data = data;
    c->busy = 1;
    c->written = 0;
    c->deferred = 0;
    c->t_start = hxe__now_us();
    read_control_id(c);
    kick(c);
    return 0;
}

int hxe_mllp_client_busy(const hxe_mllp_client *c) { return c && c->busy; }

void hxe_mllp_client_stats_get(const hxe_mllp_client *c, hxe_mllp_client_stats *out)
{
    if (c)
        *out = c->st;
    else
        memset(out, 0, sizeof *out);
}

static void on_timer_closed(uv_handle_t *h)
{
    hxe_mllp_client *c = h->data;
    c->handles--;
    maybe_finish(c);
}

static void maybe_finish(hxe_mllp_client *c)
{
    if (c->handles || c->s)
        return;
    if (c->on_closed)
        c->on_closed(c, c->close_data);
    hxe_mllp_framer_free(&c->fr);
    hxe_arena_free(&c->arena);
    hxe_free(c->msg);
    hxe_free(c);
}

void hxe_mllp_client_close(hxe_mllp_client *c, void (*on_closed)(hxe_mllp_client *c, void *data),
                           void *data)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    c->on_closed = on_closed;
    c->close_data = data;
    report(c, HXE_MLLP_CANCELLED, NULL, NULL, 0, "the sender was closed");
    uv_close((uv_handle_t *)&c->ack_timer, on_timer_closed);
    uv_close((uv_handle_t *)&c->backoff_timer, on_timer_closed);
    if (c->s)
        hxe_net_stream_close(c->s, 1);
}
