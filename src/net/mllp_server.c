/*
 * mllp_server.c — the MLLP listener: accepts connections, frames what
 * arrives, hands each message to the engine as a request, and writes the
 * engine's answers back in arrival order.
 *
 * Ownership: a connection is reference-counted. Its open stream holds one
 * reference (dropped when its idle timer has closed after the stream), and
 * every request not yet answered or discarded holds one. So a request the
 * engine answers after its connection (or the whole listener) is gone
 * still points at live memory, sees `gone` and drops the answer.
 *
 * Order: requests wait in a per-connection queue in arrival order; an
 * answer is written only when every earlier request on that connection
 * has been written. Backpressure: past max_pending unanswered requests
 * the connection stops reading until answers catch up.
 */
#include "net/net_int.h"

#include <arpa/inet.h>
#include <string.h>

struct conn;

struct hxe_mllp_req {
    struct conn *c;
    hxe_mllp_req *next;
    uint64_t seq;
    char *ack;          /* the answer, unframed; set once answered */
    size_t ack_len;
    int answered;
    int queued;         /* still in the connection's queue */
};

struct conn {
    hxe_mllp_server *srv;   /* NULL once the connection is gone */
    hxe_net_stream *s;      /* NULL once the stream closed */
    struct conn *prev, *next;
    uint64_t id;
    char peer[64];
    hxe_mllp_framer fr;
    uint64_t seen_discarded;
    uv_timer_t idle;
    hxe_mllp_req *head, *tail;
    unsigned pending;       /* requests in the queue */
    uint64_t seq;
    int refs;
    int gone;               /* closing or closed: answers are dropped */
    int paused;
};

struct hxe_mllp_server {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t stop_timer;
    int handles;            /* tcp + stop_timer while not closed */
    int tcp_closed, timer_closing;
    hxe_mllp_server_opts o;
    char host[64];
    char name[64];
    int port;
    hxe_mllp_on_message on_message;
    void *data;
    struct conn *conns;
    hxe_mllp_server_stats st;
    uint64_t next_id;
    int stopping;
    void (*on_stopped)(hxe_mllp_server *srv, void *data);
    void *stop_data;
};

static void conn_unref(struct conn *c)
{
    if (--c->refs > 0)
        return;
    hxe_mllp_framer_free(&c->fr);
    hxe_free(c);
}

static void free_req(hxe_mllp_req *r)
{
    struct conn *c = r->c;
    hxe_free(r->ack);
    hxe_free(r);
    conn_unref(c);
}

/* ---- stopping ---- */

static void srv_finish(hxe_mllp_server *srv)
{
    if (srv->on_stopped)
        srv->on_stopped(srv, srv->stop_data);
    hxe_free(srv);
}

static void check_stopped(hxe_mllp_server *srv);

static void on_srv_handle_closed(uv_handle_t *h)
{
    hxe_mllp_server *srv = h->data;
    if (--srv->handles == 0) {
        srv_finish(srv);
        return;
    }
    if (h == (uv_handle_t *)&srv->tcp) {
        srv->tcp_closed = 1;
        check_stopped(srv);
    }
}

static void check_stopped(hxe_mllp_server *srv)
{
    if (!srv || !srv->stopping || srv->conns || !srv->tcp_closed || srv->timer_closing)
        return;
    srv->timer_closing = 1;
    hxe_log(HXE_LOG_INFO, "mllp.stopped", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("connections", srv->st.connections), HXE_LF_INT("frames", srv->st.frames));
    uv_close((uv_handle_t *)&srv->stop_timer, on_srv_handle_closed);
}

/* ---- connections ---- */

static void close_conn(struct conn *c, int graceful)
{
    if (c->s)
        hxe_net_stream_close(c->s, graceful);
    c->gone = 1;
}

static void on_idle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    hxe_mllp_server *srv = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->srv = NULL;
    conn_unref(c);
    check_stopped(srv);
}

static void conn_on_close(hxe_net_stream *s, int code, const char *reason)
{
    struct conn *c = hxe_net_stream_data(s);
    hxe_mllp_server *srv = c->srv;
    c->s = NULL;
    c->gone = 1;
    srv->st.open--;
    if (code == HXE_NET_CLOSE_TLS || (code == HXE_NET_CLOSE_TIMEOUT && srv->o.tls))
        srv->st.tls_failures++;
    /* answered requests waiting behind an unanswered one are done with;
     * unanswered ones stay with the engine until it answers or discards */
    for (hxe_mllp_req *r = c->head, *next; r; r = next) {
        next = r->next;
        r->queued = 0;
        r->next = NULL;
        if (r->answered) {
            srv->st.dropped_answers++;
            free_req(r);
        }
    }
    c->head = c->tail = NULL;
    hxe_log(code == HXE_NET_CLOSE_LOCAL || code == HXE_NET_CLOSE_EOF ? HXE_LOG_DEBUG : HXE_LOG_WARN,
            "mllp.conn.close", HXE_LF_STR("listener", srv->name), HXE_LF_INT("conn", c->id),
            HXE_LF_STR("peer", c->peer), HXE_LF_STR("reason", reason),
            HXE_LF_INT("frames", c->fr.frames), HXE_LF_INT("unanswered", c->pending));
    uv_close((uv_handle_t *)&c->idle, on_idle_closed);
}

static void on_idle(uv_timer_t *t);

static void restart_idle(struct conn *c)
{
    uint64_t t = c->srv->o.idle_timeout_ms;
    if (t != UINT64_MAX && !c->gone)
        uv_timer_start(&c->idle, on_idle, t, 0);
}

static void on_idle(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->gone)
        return;
    if (c->pending) {   /* waiting for the engine is not idleness */
        restart_idle(c);
        return;
    }
    c->srv->st.idle_closes++;
    hxe_log(HXE_LOG_INFO, "mllp.conn.idle", HXE_LF_STR("listener", c->srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer),
            HXE_LF_INT("idle_ms", c->srv->o.idle_timeout_ms),
            HXE_LF_INT("partial_bytes", hxe_mllp_framer_pending(&c->fr)));
    close_conn(c, 1);
}

/* Writes every answer at the head of the queue that is ready. */
static void flush_answers(struct conn *c)
{
    hxe_mllp_server *srv = c->srv;
    while (c->head && c->head->answered && !c->gone) {
        hxe_mllp_req *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        r->queued = 0;
        c->pending--;
        hxe_slice parts[3] = {{"\x0b", 1}, {r->ack ? r->ack : "", r->ack_len}, {"\x1c\r", 2}};
        if (hxe_net_stream_write(c->s, parts, 3) == 0)
            srv->st.acks++;
        free_req(r);
    }
    if (c->gone)
        return;
    if (srv->stopping) {
        if (!c->pending)
            close_conn(c, 1);
        return;
    }
    if (c->paused && c->pending < srv->o.max_pending) {
        c->paused = 0;
        hxe_net_stream_resume(c->s);
    }
    restart_idle(c);
}

static int on_frame(void *data, const char *p, size_t n)
{
    struct conn *c = data;
    hxe_mllp_server *srv = c->srv;
    if (c->gone || srv->stopping)
        return 1;   /* not taken: the sender gets no ACK and resends */
    hxe_mllp_req *r = hxe_calloc(1, sizeof *r);
    if (!r) {
        hxe_log(HXE_LOG_ERROR, "mllp.nomem", HXE_LF_STR("listener", srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_INT("bytes", n));
        close_conn(c, 1);
        return 1;
    }
    r->c = c;
    r->seq = ++c->seq;
    r->queued = 1;
    c->refs++;
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->pending++;
    srv->st.frames++;
    if (c->pending >= srv->o.max_pending && !c->paused) {
        c->paused = 1;
        hxe_net_stream_pause(c->s);
    }
    srv->on_message(srv, r, p, n, srv->data);
    return c->gone ? 1 : 0;
}

static void conn_on_read(hxe_net_stream *s, const char *p, size_t n)
{
    struct conn *c = hxe_net_stream_data(s);
    hxe_mllp_server *srv = c->srv;
    if (c->gone)
        return;
    srv->st.bytes_in += n;
    restart_idle(c);
    hxe_err err = {0};
    int rc = hxe_mllp_framer_feed(&c->fr, p, n, &err);
    srv->st.discarded += c->fr.discarded - c->seen_discarded;
    c->seen_discarded = c->fr.discarded;
    if (rc == HXE_ETOOBIG || rc == HXE_ENOMEM) {
        if (rc == HXE_ETOOBIG)
            srv->st.oversize++;
        hxe_log(HXE_LOG_WARN, "mllp.conn.oversize", HXE_LF_STR("listener", srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer),
                HXE_LF_INT("max_message", srv->o.max_message), HXE_LF_STR("reason", err.msg));
        close_conn(c, 1);
    }
}

static void conn_on_open(hxe_net_stream *s)
{
    struct conn *c = hxe_net_stream_data(s);
    hxe_log(HXE_LOG_DEBUG, "mllp.conn.tls", HXE_LF_STR("listener", c->srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer));
}

static void on_connection(uv_stream_t *server, int status)
{
    hxe_mllp_server *srv = server->data;
    if (status < 0) {
        hxe_log(HXE_LOG_WARN, "mllp.accept", HXE_LF_STR("listener", srv->name),
                HXE_LF_STR("reason", uv_strerror(status)));
        return;
    }
    struct conn *c = hxe_calloc(1, sizeof *c);
    if (!c)
        return;
    hxe_net_stream_opts so = {{conn_on_open, conn_on_read, conn_on_close}, c, srv->o.tls, NULL,
                              srv->o.handshake_timeout_ms, 0};
    hxe_err err = {0};
    if (hxe_net_accept(&c->s, server, &so, &err)) {
        hxe_log(HXE_LOG_WARN, "mllp.accept", HXE_LF_STR("listener", srv->name),
                HXE_LF_STR("reason", err.msg));
        hxe_free(c);
        return;
    }
    c->srv = srv;
    c->id = ++srv->next_id;
    c->refs = 1;
    snprintf(c->peer, sizeof c->peer, "%s", hxe_net_stream_peer(c->s));
    hxe_mllp_framer_init(&c->fr, srv->o.max_message, on_frame, c);
    uv_timer_init(srv->loop, &c->idle);
    c->idle.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->st.connections++;
    srv->st.open++;
    if (srv->stopping || srv->st.open > srv->o.max_connections) {
        srv->st.refused++;
        hxe_log(HXE_LOG_WARN, "mllp.conn.refused", HXE_LF_STR("listener", srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer),
                HXE_LF_INT("max_connections", srv->o.max_connections));
        close_conn(c, 0);
        return;
    }
    hxe_log(HXE_LOG_DEBUG, "mllp.conn.open", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer));
    if (srv->o.idle_timeout_ms != UINT64_MAX)
        uv_timer_start(&c->idle, on_idle, srv->o.idle_timeout_ms, 0);
}

/* ---- the listener ---- */

int hxe_mllp_server_new(hxe_mllp_server **out, uv_loop_t *loop, const hxe_mllp_server_opts *opts,
                        hxe_mllp_on_message on_message, void *data, hxe_err *err)
{
    static const hxe_mllp_server_opts none;
    const hxe_mllp_server_opts *o = opts ? opts : &none;
    *out = NULL;
    if (!loop || !on_message)
        return hxe_err_set(err, HXE_EINVAL, "mllp listener: a loop and a message callback are needed");
    if (o->port < 0 || o->port > 65535)
        return hxe_err_set(err, HXE_EINVAL, "mllp listener: port %d out of range", o->port);
    hxe_mllp_server *srv = hxe_calloc(1, sizeof *srv);
    if (!srv)
        return hxe_err_set(err, HXE_ENOMEM, "mllp listener: out of memory");
    srv->loop = loop;
    srv->o = *o;
    snprintf(srv->host, sizeof srv->host, "%s", o->host ? o->host : "127.0.0.1");
    snprintf(srv->name, sizeof srv->name, "%s", o->name ? o->name : "mllp");
    srv->o.host = srv->host;
    srv->o.name = srv->name;
    if (!srv->o.backlog)
        srv->o.backlog = 128;
    if (!srv->o.max_message)
        srv->o.max_message = HXE_MLLP_MAX_MESSAGE_DEFAULT;
    if (!srv->o.max_connections)
        srv->o.max_connections = 1024;
    if (!srv->o.max_pending)
        srv->o.max_pending = 64;
    if (!srv->o.idle_timeout_ms)
        srv->o.idle_timeout_ms = 300000;
    if (!srv->o.handshake_timeout_ms)
        srv->o.handshake_timeout_ms = 10000;
    srv->on_message = on_message;
    srv->data = data;

    uv_timer_init(loop, &srv->stop_timer);
    srv->stop_timer.data = srv;
    uv_tcp_init(loop, &srv->tcp);
    srv->tcp.data = srv;
    srv->handles = 2;

    const char *what;
    int r = hxe__net_listen(&srv->tcp, srv->host, o->port, srv->o.backlog, on_connection,
                            &srv->port, &what);
    if (r) {
        /* closed asynchronously; nobody is told */
        srv->stopping = 1;
        uv_close((uv_handle_t *)&srv->tcp, on_srv_handle_closed);
        srv->timer_closing = 1;
        uv_close((uv_handle_t *)&srv->stop_timer, on_srv_handle_closed);
        return hxe_err_set(err, HXE_EIO, "mllp listener on %s port %d: %s", srv->host, o->port,
                           what);
    }
    hxe_log(HXE_LOG_INFO, "mllp.listen", HXE_LF_STR("listener", srv->name),
            HXE_LF_STR("host", srv->host), HXE_LF_INT("port", srv->port),
            HXE_LF_STR("tls", srv->o.tls ? "yes" : "no"));
    *out = srv;
    return 0;
}

int hxe_mllp_server_port(const hxe_mllp_server *srv) { return srv ? srv->port : 0; }

void hxe_mllp_server_stats_get(const hxe_mllp_server *srv, hxe_mllp_server_stats *out)
{
    if (srv)
        *out = srv->st;
    else
        memset(out, 0, sizeof *out);
}

static void on_deadline(uv_timer_t *t)
{
    hxe_mllp_server *srv = t->data;
    for (struct conn *c = srv->conns; c; c = c->next) {
        if (c->s)
            hxe_net_stream_close(c->s, 0);
        c->gone = 1;
    }
}

void hxe_mllp_server_stop(hxe_mllp_server *srv, uint64_t deadline_ms,
                          void (*on_stopped)(hxe_mllp_server *srv, void *data), void *data)
{
    if (!srv || srv->stopping)
        return;
    srv->stopping = 1;
    srv->on_stopped = on_stopped;
    srv->stop_data = data;
    hxe_log(HXE_LOG_INFO, "mllp.stopping", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("open", srv->st.open), HXE_LF_INT("deadline_ms", deadline_ms));
    uv_close((uv_handle_t *)&srv->tcp, on_srv_handle_closed);
    for (struct conn *c = srv->conns; c; c = c->next) {
        if (c->gone)
            continue;
        uv_timer_stop(&c->idle);
        hxe_net_stream_pause(c->s);
        if (!c->pending || !deadline_ms)
            close_conn(c, deadline_ms != 0);
    }
    if (deadline_ms)
        uv_timer_start(&srv->stop_timer, on_deadline, deadline_ms, 0);
}

/* ---- requests ---- */

static void unqueue(hxe_mllp_req *r)
{
    struct conn *c = r->c;
    hxe_mllp_req *prev = NULL;
    for (hxe_mllp_req *q = c->head; q; prev = q, q = q->next)
        if (q == r) {
            if (prev)
                prev->next = r->next;
            else
                c->head = r->next;
            if (c->tail == r)
                c->tail = prev;
            c->pending--;
            break;
        }
    r->queued = 0;
}

int hxe_mllp_respond(hxe_mllp_req *r, const char *ack, size_t len)
{
    if (!r || r->answered)
        return HXE_EINVAL;
    struct conn *c = r->c;
    if (c->gone || !hxe_net_stream_is_open(c->s)) {
        if (c->srv)
            c->srv->st.dropped_answers++;
        if (r->queued)
            unqueue(r);
        free_req(r);
        return 1;
    }
    r->ack = hxe_malloc(len ? len : 1);
    if (!r->ack) {
        hxe_mllp_discard(r);
        return HXE_ENOMEM;
    }
    if (len)
        memcpy(r->ack, ack, len);
    r->ack_len = len;
    r->answered = 1;
    flush_answers(c);
    return 0;
}

void hxe_mllp_discard(hxe_mllp_req *r)
{
    if (!r || r->answered)
        return;
    struct conn *c = r->c;
    if (r->queued)
        unqueue(r);
    if (!c->gone) {
        hxe_log(HXE_LOG_WARN, "mllp.discard", HXE_LF_STR("listener", c->srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_INT("seq", r->seq));
        close_conn(c, 1);
    }
    free_req(r);
}

uint64_t hxe_mllp_req_conn_id(const hxe_mllp_req *r) { return r ? r->c->id : 0; }
uint64_t hxe_mllp_req_seq(const hxe_mllp_req *r) { return r ? r->seq : 0; }
const char *hxe_mllp_req_peer(const hxe_mllp_req *r) { return r ? r->c->peer : ""; }
