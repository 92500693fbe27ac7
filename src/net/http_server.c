/*
 * http_server.c — the HTTP/1.1 server: connections on hxe_net streams
 * (plain or TLS), requests read by the reader of http_parse.c, and
 * responses written back in request order.
 *
 * Ownership is the MLLP listener's: a connection is reference-counted;
 * its open stream holds one reference (dropped when its timer has closed
 * after the stream) and every request not yet answered or discarded
 * holds one, so the engine may answer after the peer, or the whole
 * server, is gone: the answer is then dropped.
 *
 * Flow: bytes read go to a per-connection backlog and are parsed from
 * there one request at a time. Past max_pending unanswered requests
 * parsing stops (the rest waits in the backlog) and reading pauses, so
 * memory stays bounded by one read beyond the limits. A request that
 * cannot be read (400, 413, 431) or is too slow (408) is answered by the
 * server in its turn, and the connection closes after that answer.
 */
#include "net/http_int.h"

#include <arpa/inet.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ========================= the server ========================= */

struct hconn;

struct hxe_http_req {
    struct hconn *c;
    hxe_http_req *next;
    hxe__http_msg m;        /* what the engine sees (empty for our own answers) */
    hxe_buf out;            /* the response, once answered */
    int answered;
    int queued;             /* still in the connection's queue */
    int close_after;        /* the connection closes once this is written */
};

struct hconn {
    hxe_http_server *srv;   /* NULL once the connection is gone */
    hxe_net_stream *s;      /* NULL once the stream closed */
    struct hconn *prev, *next;
    uint64_t id;
    char peer[64];
    hxe__http_reader rd;
    hxe_buf backlog;        /* read, not parsed yet */
    uv_timer_t timer;       /* idle, or the deadline of the request being read */
    hxe_http_req *head, *tail;
    unsigned pending;       /* requests in the queue */
    uint64_t seq;
    int refs;
    int gone;               /* closing or closed: answers are dropped */
    int done;               /* no more requests: the last one said close, or failed */
    int paused;
    int parsing;            /* guards against parsing again from inside a callback */
};

struct hxe_http_server {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t stop_timer;
    int handles;
    int tcp_closed, timer_closing;
    hxe_http_server_opts o;
    hxe__http_limits lim;
    char host[64];
    char name[64];
    int port;
    hxe_http_on_request on_request;
    void *data;
    struct hconn *conns;
    hxe_http_server_stats st;
    uint64_t next_id;
    int stopping;
    void (*on_stopped)(hxe_http_server *srv, void *data);
    void *stop_data;
};

static void conn_unref(struct hconn *c)
{
    if (--c->refs > 0)
        return;
    hxe__http_reader_free(&c->rd);
    hxe_buf_free(&c->backlog);
    hxe_free(c);
}

static void free_req(hxe_http_req *r)
{
    struct hconn *c = r->c;
    hxe__http_msg_free(&r->m);
    hxe_buf_free(&r->out);
    hxe_free(r);
    conn_unref(c);
}

/* ---- stopping ---- */

static void check_stopped(hxe_http_server *srv);

static void on_srv_handle_closed(uv_handle_t *h)
{
    hxe_http_server *srv = h->data;
    if (--srv->handles == 0) {
        if (srv->on_stopped)
            srv->on_stopped(srv, srv->stop_data);
        hxe_free(srv);
        return;
    }
    if (h == (uv_handle_t *)&srv->tcp) {
        srv->tcp_closed = 1;
        check_stopped(srv);
    }
}

static void check_stopped(hxe_http_server *srv)
{
    if (!srv || !srv->stopping || srv->conns || !srv->tcp_closed || srv->timer_closing)
        return;
    srv->timer_closing = 1;
    hxe_log(HXE_LOG_INFO, "http.stopped", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("connections", srv->st.connections),
            HXE_LF_INT("requests", srv->st.requests));
    uv_close((uv_handle_t *)&srv->stop_timer, on_srv_handle_closed);
}

/* ---- connections ---- */

static void close_conn(struct hconn *c, int graceful)
{
    if (c->s)
        hxe_net_stream_close(c->s, graceful);
    c->gone = 1;
}

static void on_timer_closed(uv_handle_t *h)
{
    struct hconn *c = h->data;
    hxe_http_server *srv = c->srv;
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
    struct hconn *c = hxe_net_stream_data(s);
    hxe_http_server *srv = c->srv;
    c->s = NULL;
    c->gone = 1;
    srv->st.open--;
    if (code == HXE_NET_CLOSE_TLS || (code == HXE_NET_CLOSE_TIMEOUT && srv->o.tls))
        srv->st.tls_failures++;
    /* answered requests waiting behind an unanswered one are done with;
     * unanswered ones stay with the engine until it answers or discards */
    for (hxe_http_req *r = c->head, *next; r; r = next) {
        next = r->next;
        r->queued = 0;
        r->next = NULL;
        if (r->answered) {
            srv->st.dropped_responses++;
            free_req(r);
        }
    }
    c->head = c->tail = NULL;
    hxe_log(code == HXE_NET_CLOSE_LOCAL || code == HXE_NET_CLOSE_EOF ? HXE_LOG_DEBUG : HXE_LOG_WARN,
            "http.conn.close", HXE_LF_STR("listener", srv->name), HXE_LF_INT("conn", c->id),
            HXE_LF_STR("peer", c->peer), HXE_LF_STR("reason", reason),
            HXE_LF_INT("requests", c->seq), HXE_LF_INT("unanswered", c->pending));
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

static void on_conn_timer(uv_timer_t *t);

/* Idle timer when nothing is in progress, the request deadline while one
 * is being read, nothing while the engine works on one. */
static void arm_timer(struct hconn *c)
{
    hxe_http_server *srv = c->srv;
    if (c->gone || srv->stopping) {
        uv_timer_stop(&c->timer);
        return;
    }
    if (hxe__http_reader_busy(&c->rd) && !c->done) {
        if (srv->o.request_timeout_ms == UINT64_MAX) {
            uv_timer_stop(&c->timer);
            return;
        }
        uint64_t spent = (hxe__now_us() - c->rd.started_us) / 1000;
        uint64_t left = spent < srv->o.request_timeout_ms ? srv->o.request_timeout_ms - spent : 0;
        uv_timer_start(&c->timer, on_conn_timer, left ? left : 1, 0);
    } else if (c->pending || srv->o.idle_timeout_ms == UINT64_MAX) {
        uv_timer_stop(&c->timer);
    } else {
        uv_timer_start(&c->timer, on_conn_timer, srv->o.idle_timeout_ms, 0);
    }
}

static void write_date(hxe_buf *b, int *rc)
{
    char d[64];
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) && strftime(d, sizeof d, "%a, %d %b %Y %H:%M:%S GMT", &tm))
        *rc = *rc ? *rc : hxe_buf_printf(b, "Date: %s\r\n", d);
}

/* The whole response in b. */
static int build_response(hxe_buf *b, int status, const hxe_http_header *h, size_t n,
                          const char *body, size_t len, int head_only, int close, int minor)
{
    int rc = hxe_buf_printf(b, "HTTP/1.1 %d %s\r\n", status, hxe_http_status_text(status));
    for (size_t i = 0; i < n && !rc; i++) {
        rc = hxe_buf_append(b, h[i].name.p, h[i].name.n);
        rc = rc ? rc : hxe_buf_append(b, ": ", 2);
        rc = rc ? rc : hxe_buf_append(b, h[i].value.p, h[i].value.n);
        rc = rc ? rc : hxe_buf_append(b, "\r\n", 2);
    }
    write_date(b, &rc);
    int no_body = status == 204 || status == 304;
    if (!rc && !no_body)
        rc = hxe_buf_printf(b, "Content-Length: %zu\r\n", len);
    if (!rc && close)
        rc = hxe_buf_puts(b, "Connection: close\r\n");
    else if (!rc && minor == 0)
        rc = hxe_buf_puts(b, "Connection: keep-alive\r\n");
    rc = rc ? rc : hxe_buf_append(b, "\r\n", 2);
    if (!rc && !no_body && !head_only && len)
        rc = hxe_buf_append(b, body, len);
    return rc;
}

static void pump(struct hconn *c);

/* Writes every response at the head of the queue that is ready. */
static void write_ready(struct hconn *c)
{
    hxe_http_server *srv = c->srv;
    while (c->head && c->head->answered && !c->gone) {
        hxe_http_req *r = c->head;
        c->head = r->next;
        if (!c->head)
            c->tail = NULL;
        r->queued = 0;
        c->pending--;
        hxe_slice part = hxe_buf_slice(&r->out);
        if (hxe_net_stream_write(c->s, &part, 1) == 0)
            srv->st.responses++;
        if (r->close_after)
            close_conn(c, 1);
        free_req(r);
    }
    if (!c->gone && srv->stopping && !c->pending)
        close_conn(c, 1);
}

static void flush_answers(struct hconn *c)
{
    write_ready(c);
    pump(c);
}

static hxe_http_req *new_req(struct hconn *c)
{
    hxe_http_req *r = hxe_calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->c = c;
    r->queued = 1;
    hxe_buf_init(&r->out, 0);
    c->refs++;
    if (c->tail)
        c->tail->next = r;
    else
        c->head = r;
    c->tail = r;
    c->pending++;
    return r;
}

/* The server answers itself (400, 408, 413, 431, 503) and closes after. */
static void answer_own(struct hconn *c, int status, const char *why)
{
    hxe_http_server *srv = c->srv;
    c->done = 1;
    switch (status) {
    case 408: srv->st.timeouts++; break;
    case 413: srv->st.too_large++; break;
    case 431: srv->st.header_too_large++; break;
    default: srv->st.bad_requests++; break;
    }
    hxe_log(HXE_LOG_WARN, "http.bad_request", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer), HXE_LF_INT("status", status),
            HXE_LF_STR("reason", why));
    hxe_http_req *r = new_req(c);
    if (!r) {
        close_conn(c, 1);
        return;
    }
    char body[160];
    int n = snprintf(body, sizeof body, "%d %s\n", status, hxe_http_status_text(status));
    static const hxe_http_header ct = {{"Content-Type", 12}, {"text/plain", 10}};
    if (build_response(&r->out, status, &ct, 1, body, (size_t)n, 0, 1, 1)) {
        close_conn(c, 1);
        return;
    }
    r->answered = 1;
    r->close_after = 1;
}

/* Parses what the backlog holds, one request at a time, while the
 * connection may take more; returns the bytes taken. */
static size_t parse(struct hconn *c, const char *p, size_t n)
{
    hxe_http_server *srv = c->srv;
    size_t off = 0;
    while (off < n && !c->done && !c->gone && c->pending < srv->o.max_pending) {
        size_t used = 0;
        int ev = hxe__http_reader_feed(&c->rd, p + off, n - off, &used);
        off += used;
        if (ev == HXE__HTTP_MORE)
            break;
        if (ev == HXE__HTTP_FAILED) {
            answer_own(c, c->rd.status, c->rd.why);
            break;
        }
        if (ev == HXE__HTTP_CONTINUE) {
            /* only when no answer is owed before it: interim responses
             * keep the order too (the client sends the body anyway after
             * a short wait) */
            if (!c->pending) {
                hxe_slice s = {"HTTP/1.1 100 Continue\r\n\r\n", 25};
                hxe_net_stream_write(c->s, &s, 1);
            }
            continue;
        }
        hxe_http_req *r = new_req(c);
        if (!r || hxe__http_reader_take(&c->rd, &r->m)) {
            if (r)
                r->answered = 1;   /* an empty answer: dropped as the connection closes */
            hxe_log(HXE_LOG_ERROR, "http.nomem", HXE_LF_STR("listener", srv->name),
                    HXE_LF_INT("conn", c->id));
            close_conn(c, 1);
            break;
        }
        r->m.r.conn_id = c->id;
        r->m.r.seq = ++c->seq;
        r->m.r.peer = c->peer;
        if (!r->m.r.keep_alive)
            c->done = 1;
        srv->st.requests++;
        srv->on_request(srv, r, &r->m.r, srv->data);
    }
    return off;
}

/* Parses the backlog as far as allowed, writes what is ready, then
 * decides whether to read. Answers given from inside the request
 * callback only write; this loop goes on parsing. */
static void pump(struct hconn *c)
{
    if (c->parsing || c->gone)
        return;
    hxe_http_server *srv = c->srv;
    c->parsing = 1;
    while (c->backlog.len && !c->done && !c->gone) {
        size_t used = parse(c, c->backlog.p, c->backlog.len);
        if (c->gone || !used)
            break;
        memmove(c->backlog.p, c->backlog.p + used, c->backlog.len - used);
        hxe_buf_truncate(&c->backlog, c->backlog.len - used);
    }
    c->parsing = 0;
    write_ready(c);
    if (c->gone)
        return;
    if (c->done)
        hxe_buf_truncate(&c->backlog, 0);
    int want = !c->done && !srv->stopping && c->pending < srv->o.max_pending;
    if (want && c->paused) {
        c->paused = 0;
        hxe_net_stream_resume(c->s);
    } else if (!want && !c->paused) {
        c->paused = 1;
        hxe_net_stream_pause(c->s);
    }
    arm_timer(c);
}

static void conn_on_read(hxe_net_stream *s, const char *p, size_t n)
{
    struct hconn *c = hxe_net_stream_data(s);
    if (c->gone)
        return;
    c->srv->st.bytes_in += n;
    if (c->done)
        return;   /* after the last request: ignored */
    if (hxe_buf_append(&c->backlog, p, n)) {
        hxe_log(HXE_LOG_ERROR, "http.nomem", HXE_LF_STR("listener", c->srv->name),
                HXE_LF_INT("conn", c->id));
        close_conn(c, 0);
        return;
    }
    pump(c);
}

static void on_conn_timer(uv_timer_t *t)
{
    struct hconn *c = t->data;
    if (c->gone)
        return;
    if (hxe__http_reader_busy(&c->rd) && !c->done) {
        answer_own(c, 408, "request not received in time");
        flush_answers(c);
        return;
    }
    if (c->pending)
        return;
    c->srv->st.idle_closes++;
    hxe_log(HXE_LOG_DEBUG, "http.conn.idle", HXE_LF_STR("listener", c->srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer),
            HXE_LF_INT("idle_ms", c->srv->o.idle_timeout_ms));
    close_conn(c, 1);
}

static void on_connection(uv_stream_t *server, int status)
{
    hxe_http_server *srv = server->data;
    if (status < 0) {
        hxe_log(HXE_LOG_WARN, "http.accept", HXE_LF_STR("listener", srv->name),
                HXE_LF_STR("reason", uv_strerror(status)));
        return;
    }
    struct hconn *c = hxe_calloc(1, sizeof *c);
    if (!c)
        return;
    hxe_net_stream_opts so = {{NULL, conn_on_read, conn_on_close}, c, srv->o.tls, NULL,
                              srv->o.handshake_timeout_ms, 0};
    hxe_err err = {0};
    if (hxe_net_accept(&c->s, server, &so, &err)) {
        hxe_log(HXE_LOG_WARN, "http.accept", HXE_LF_STR("listener", srv->name),
                HXE_LF_STR("reason", err.msg));
        hxe_free(c);
        return;
    }
    c->srv = srv;
    c->id = ++srv->next_id;
    c->refs = 1;
    snprintf(c->peer, sizeof c->peer, "%s", hxe_net_stream_peer(c->s));
    hxe__http_reader_init(&c->rd, &srv->lim);
    hxe_buf_init(&c->backlog, 0);
    uv_timer_init(srv->loop, &c->timer);
    c->timer.data = c;
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    srv->st.connections++;
    srv->st.open++;
    if (srv->stopping || srv->st.open > srv->o.max_connections) {
        srv->st.refused++;
        hxe_log(HXE_LOG_WARN, "http.conn.refused", HXE_LF_STR("listener", srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer),
                HXE_LF_INT("max_connections", srv->o.max_connections));
        close_conn(c, 0);
        return;
    }
    hxe_log(HXE_LOG_DEBUG, "http.conn.open", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("conn", c->id), HXE_LF_STR("peer", c->peer));
    arm_timer(c);
}

/* ---- the listener ---- */

int hxe_http_server_new(hxe_http_server **out, uv_loop_t *loop, const hxe_http_server_opts *opts,
                        hxe_http_on_request on_request, void *data, hxe_err *err)
{
    static const hxe_http_server_opts none;
    static uint32_t parser_max = 80 * 1024;   /* http-parser's own (global) header limit */
    const hxe_http_server_opts *o = opts ? opts : &none;
    *out = NULL;
    if (!loop || !on_request)
        return hxe_err_set(err, HXE_EINVAL, "http listener: a loop and a request callback are needed");
    if (o->port < 0 || o->port > 65535)
        return hxe_err_set(err, HXE_EINVAL, "http listener: port %d out of range", o->port);
    if (o->max_header_size > ((size_t)1 << 30) || o->max_body > ((size_t)1 << 40))
        return hxe_err_set(err, HXE_EINVAL, "http listener: limits too large");
    hxe_http_server *srv = hxe_calloc(1, sizeof *srv);
    if (!srv)
        return hxe_err_set(err, HXE_ENOMEM, "http listener: out of memory");
    srv->loop = loop;
    srv->o = *o;
    snprintf(srv->host, sizeof srv->host, "%s", o->host ? o->host : "127.0.0.1");
    snprintf(srv->name, sizeof srv->name, "%s", o->name ? o->name : "http");
    srv->o.host = srv->host;
    srv->o.name = srv->name;
#define DEFAULT(f, v) if (!srv->o.f) srv->o.f = (v)
    DEFAULT(backlog, 128);
    DEFAULT(max_header_size, 64 * 1024);
    DEFAULT(max_headers, 100);
    DEFAULT(max_body, HXE_HTTP_MAX_BODY_DEFAULT);
    DEFAULT(max_connections, 1024);
    DEFAULT(max_pending, 16);
    DEFAULT(idle_timeout_ms, 60000);
    DEFAULT(request_timeout_ms, 30000);
    DEFAULT(handshake_timeout_ms, 10000);
#undef DEFAULT
    srv->lim.max_header_size = srv->o.max_header_size;
    srv->lim.max_headers = srv->o.max_headers;
    srv->lim.max_body = srv->o.max_body;
    /* ours is the limit that counts; http-parser's must not be lower */
    if (srv->o.max_header_size + 1024 > parser_max) {
        parser_max = (uint32_t)(srv->o.max_header_size + 1024);
        http_parser_set_max_header_size(parser_max);
    }
    srv->on_request = on_request;
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
        srv->stopping = 1;
        uv_close((uv_handle_t *)&srv->tcp, on_srv_handle_closed);
        srv->timer_closing = 1;
        uv_close((uv_handle_t *)&srv->stop_timer, on_srv_handle_closed);
        return hxe_err_set(err, HXE_EIO, "http listener on %s port %d: %s", srv->host, o->port,
                           what);
    }
    hxe_log(HXE_LOG_INFO, "http.listen", HXE_LF_STR("listener", srv->name),
            HXE_LF_STR("host", srv->host), HXE_LF_INT("port", srv->port),
            HXE_LF_STR("tls", srv->o.tls ? "yes" : "no"));
    *out = srv;
    return 0;
}

int hxe_http_server_port(const hxe_http_server *srv) { return srv ? srv->port : 0; }

void hxe_http_server_stats_get(const hxe_http_server *srv, hxe_http_server_stats *out)
{
    if (srv)
        *out = srv->st;
    else
        memset(out, 0, sizeof *out);
}

static void on_deadline(uv_timer_t *t)
{
    hxe_http_server *srv = t->data;
    for (struct hconn *c = srv->conns; c; c = c->next)
        close_conn(c, 0);
}

void hxe_http_server_stop(hxe_http_server *srv, uint64_t deadline_ms,
                          void (*on_stopped)(hxe_http_server *srv, void *data), void *data)
{
    if (!srv || srv->stopping)
        return;
    srv->stopping = 1;
    srv->on_stopped = on_stopped;
    srv->stop_data = data;
    hxe_log(HXE_LOG_INFO, "http.stopping", HXE_LF_STR("listener", srv->name),
            HXE_LF_INT("open", srv->st.open), HXE_LF_INT("deadline_ms", deadline_ms));
    uv_close((uv_handle_t *)&srv->tcp, on_srv_handle_closed);
    for (struct hconn *c = srv->conns; c; c = c->next) {
        if (c->gone)
            continue;
        uv_timer_stop(&c->timer);
        c->done = 1;
        c->paused = 1;
        hxe_net_stream_pause(c->s);
        if (!c->pending || !deadline_ms)
            close_conn(c, deadline_ms != 0);
    }
    if (deadline_ms)
        uv_timer_start(&srv->stop_timer, on_deadline, deadline_ms, 0);
}

/* ---- requests ---- */

static void unqueue(hxe_http_req *r)
{
    struct hconn *c = r->c;
    hxe_http_req *prev = NULL;
    for (hxe_http_req *q = c->head; q; prev = q, q = q->next)
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

const hxe_http_request *hxe_http_req_get(const hxe_http_req *r) { return r ? &r->m.r : NULL; }

int hxe_http_respond(hxe_http_req *r, int status, const hxe_http_header *h, size_t n,
                     const char *body, size_t len)
{
    static const char *const reserved[] = {"content-length", "transfer-encoding", "connection",
                                           "date"};
    if (!r || r->answered || status < 200 || status > 599 || (n && !h) || (len && !body))
        return HXE_EINVAL;
    for (size_t i = 0; i < n; i++) {
        if (!hxe__http_header_ok(h[i].name, h[i].value))
            return HXE_EINVAL;
        for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
            if (h[i].name.n == strlen(reserved[k]) &&
                !strncasecmp(h[i].name.p, reserved[k], h[i].name.n))
                return HXE_EINVAL;
    }
    struct hconn *c = r->c;
    if (c->gone || !hxe_net_stream_is_open(c->s)) {
        if (c->srv)
            c->srv->st.dropped_responses++;
        if (r->queued)
            unqueue(r);
        free_req(r);
        return 1;
    }
    int close = !r->m.r.keep_alive || c->srv->stopping;
    int head = !strcmp(r->m.method, "HEAD");
    if (build_response(&r->out, status, h, n, body, len, head, close, r->m.r.version_minor)) {
        hxe_http_discard(r);
        return HXE_ENOMEM;
    }
    r->answered = 1;
    r->close_after = close;
    flush_answers(c);
    return 0;
}

void hxe_http_discard(hxe_http_req *r)
{
    if (!r || r->answered)
        return;
    struct hconn *c = r->c;
    if (r->queued)
        unqueue(r);
    if (!c->gone) {
        hxe_log(HXE_LOG_WARN, "http.discard", HXE_LF_STR("listener", c->srv->name),
                HXE_LF_INT("conn", c->id), HXE_LF_INT("seq", r->m.r.seq));
        close_conn(c, 1);
    }
    free_req(r);
}
