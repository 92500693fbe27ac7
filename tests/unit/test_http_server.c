/*
 * test_http_server.c — the HTTP/1.1 server on 127.0.0.1 (port chosen at
 * run time) driven by raw sockets from the same process and loop, with
 * the responses read back by http-parser: requests split byte by byte,
 * keep-alive, pipelined requests answered out of order (responses still in
 * order), chunked bodies, Expect: 100-continue, HEAD, limits (431, 413,
 * 400) with the server staying up, the idle and request timeouts (408), a
 * peer leaving before its answer, bad answers refused, and the stop.
 * TLS is exercised with the HTTP client in test_http_client.c.
 */
#include "helpers/loop_testutil.h"
#include "helpers/testutil.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uv_loop_t loop;

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

#define pump(cond, arg, ms) tu_pump(&loop, (cond), (arg), (ms))

/* ---- a pretend engine: keeps requests (copied), answers when told ---- */
#define MAXREQ 256
typedef struct got {
    hxe_http_req *req;
    char method[16];
    char path[128];
    char query[128];
    char *body;
    size_t body_len;
    char idem[64];
    size_t n_headers;
    int keep_alive;
    uint64_t conn, seq;
    int done;
} got;

static struct {
    got g[MAXREQ];
    size_t n;
    int at_once;
} E;

static hxe_http_server *srv;
static int stopped;

static void cpy(char *dst, size_t size, hxe_slice s)
{
    snprintf(dst, size, "%.*s", (int)s.n, s.p);
}

static int answer(size_t i, int status)
{
    char body[256];
    int n = snprintf(body, sizeof body, "conn=%llu seq=%llu path=%s len=%zu",
                     (unsigned long long)E.g[i].conn, (unsigned long long)E.g[i].seq, E.g[i].path,
                     E.g[i].body_len);
    hxe_http_header h[] = {{{"Content-Type", 12}, {"text/plain", 10}}, {{"X-Seq", 5}, {"1", 1}}};
    E.g[i].done = 1;
    return hxe_http_respond(E.g[i].req, status, h, 2, body, (size_t)n);
}

static void on_req(hxe_http_server *s, hxe_http_req *req, const hxe_http_request *r, void *data)
{
    (void)s;
    (void)data;
    assert_true(E.n < MAXREQ);
    got *g = &E.g[E.n++];
    memset(g, 0, sizeof *g);
    g->req = req;
    assert_ptr_equal(hxe_http_req_get(req), r);
    snprintf(g->method, sizeof g->method, "%s", r->method);
    cpy(g->path, sizeof g->path, r->path);
    cpy(g->query, sizeof g->query, r->query);
    g->body = malloc(r->body.n + 1);
    memcpy(g->body, r->body.p, r->body.n);
    g->body[r->body.n] = '\0';
    assert_int_equal(r->body.p[r->body.n], '\0');
    g->body_len = r->body.n;
    hxe_slice v;
    if (hxe_http_header_find(r->headers, r->n_headers, "idempotency-key", &v))
        cpy(g->idem, sizeof g->idem, v);
    g->n_headers = r->n_headers;
    g->keep_alive = r->keep_alive;
    g->conn = r->conn_id;
    g->seq = r->seq;
    assert_non_null(strstr(r->peer, "127.0.0.1:"));
    if (E.at_once)
        assert_int_equal(answer(E.n - 1, 200), 0);
}

static void on_stopped(hxe_http_server *s, void *data)
{
    hxe_http_server_stats *st = data;
    if (st)
        hxe_http_server_stats_get(s, st);
    stopped = 1;
}

static int is_stopped(void *arg) { (void)arg; return stopped; }

static void start(hxe_http_server_opts *o)
{
    hxe_err err = {0};
    stopped = 0;
    if (hxe_http_server_new(&srv, &loop, o, on_req, NULL, &err))
        fail_msg("server: %s", err.msg);
    assert_true(hxe_http_server_port(srv) > 0);
}

static hxe_http_server_stats stats(void)
{
    hxe_http_server_stats st;
    hxe_http_server_stats_get(srv, &st);
    return st;
}

static int setup(void **state)
{
    (void)state;
    memset(&E, 0, sizeof E);
    srv = NULL;
    hxe_log_set_level(HXE_LOG_OFF);
    signal(SIGPIPE, SIG_IGN);
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    if (srv && !stopped) {
        hxe_http_server_stop(srv, 0, on_stopped, NULL);
        assert_true(pump(is_stopped, NULL, 2000));
    }
    for (size_t i = 0; i < E.n; i++) {
        if (!E.g[i].done)
            hxe_http_discard(E.g[i].req);
        free(E.g[i].body);
    }
    pump(NULL, NULL, 20);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- raw sockets, responses read with http-parser ---- */
static int raw_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
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

static void raw_sends(int fd, const char *s) { raw_send(fd, s, strlen(s)); }

#define MAXRESP 64
typedef struct rx {
    int fd;
    int closed;
    http_parser p;
    int status[MAXRESP];
    char body[MAXRESP][256];
    int conn_close[MAXRESP];
    int has_date[MAXRESP];
    long content_length[MAXRESP];
    size_t n;
    size_t want;
    int bad;
    int hdr_is_conn, hdr_is_date;
    char raw[8192];
    size_t raw_len;
} rx;

static int rx_status(http_parser *p, const char *at, size_t len)
{
    (void)at;
    (void)len;
    rx *r = p->data;
    if (r->n < MAXRESP) {
        r->status[r->n] = (int)p->status_code;
        r->body[r->n][0] = '\0';
        r->content_length[r->n] = -1;
    }
    return 0;
}

static int rx_field(http_parser *p, const char *at, size_t len)
{
    rx *r = p->data;
    r->hdr_is_conn = len == 10 && !strncasecmp(at, "connection", 10);
    r->hdr_is_date = len == 4 && !strncasecmp(at, "date", 4);
    if (len == 14 && !strncasecmp(at, "content-length", 14) && r->n < MAXRESP)
        r->content_length[r->n] = 0;
    return 0;
}

static int rx_value(http_parser *p, const char *at, size_t len)
{
    rx *r = p->data;
    if (r->n >= MAXRESP)
        return 0;
    if (r->hdr_is_conn && len == 5 && !strncasecmp(at, "close", 5))
        r->conn_close[r->n] = 1;
    if (r->hdr_is_date)
        r->has_date[r->n] = 1;
    if (r->content_length[r->n] == 0)
        r->content_length[r->n] = strtol(at, NULL, 10);
    r->hdr_is_conn = r->hdr_is_date = 0;
    return 0;
}

static int rx_body(http_parser *p, const char *at, size_t len)
{
    rx *r = p->data;
    if (r->n < MAXRESP)
        strncat(r->body[r->n], at, len < 255 - strlen(r->body[r->n]) ? len : 255 - strlen(r->body[r->n]));
    return 0;
}

static int rx_done_msg(http_parser *p)
{
    rx *r = p->data;
    r->n++;
    return 0;
}

static http_parser_settings rx_settings = {
    .on_status = rx_status,
    .on_header_field = rx_field,
    .on_header_value = rx_value,
    .on_body = rx_body,
    .on_message_complete = rx_done_msg,
};

static void rx_init(rx *r, int fd)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    http_parser_init(&r->p, HTTP_RESPONSE);
    r->p.data = r;
}

static void rx_poll(rx *r)
{
    char buf[4096];
    while (!r->closed) {
        ssize_t nr = recv(r->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (nr > 0) {
            size_t k = (size_t)nr < sizeof r->raw - r->raw_len ? (size_t)nr : sizeof r->raw - r->raw_len;
            memcpy(r->raw + r->raw_len, buf, k);
            r->raw_len += k;
            size_t used = http_parser_execute(&r->p, &rx_settings, buf, (size_t)nr);
            if (used != (size_t)nr)
                r->bad = 1;
            continue;
        }
        if (nr == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
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

static void rx_wait(rx *r, size_t n)
{
    r->want = n;
    assert_true(pump(rx_has_all, r, 5000));
    assert_false(r->bad);
}

static int have_n(void *arg) { return E.n >= *(size_t *)arg; }

static void wait_reqs(size_t n) { assert_true(pump(have_n, &n, 5000)); }

/* ---- the tests ---- */

static void get_and_post_keep_alive(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /fhir/Patient?_id=1&x=%20 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n");
    wait_reqs(1);
    assert_string_equal(E.g[0].method, "GET");
    assert_string_equal(E.g[0].path, "/fhir/Patient");
    assert_string_equal(E.g[0].query, "_id=1&x=%20");
    assert_int_equal(E.g[0].n_headers, 2);
    assert_int_equal(E.g[0].body_len, 0);
    assert_true(E.g[0].keep_alive);
    assert_int_equal(E.g[0].seq, 1);
    assert_int_equal(answer(0, 200), 0);
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 200);
    assert_string_equal(r.body[0], "conn=1 seq=1 path=/fhir/Patient len=0");
    assert_false(r.conn_close[0]);
    assert_true(r.has_date[0]);
    /* the same connection again: a POST with a body and an empty header */
    raw_sends(r.fd, "POST /in HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nIdempotency-Key: k-1\r\n"
                    "Content-Length: 11\r\n\r\nhello world");
    wait_reqs(2);
    assert_string_equal(E.g[1].method, "POST");
    assert_string_equal(E.g[1].body, "hello world");
    assert_string_equal(E.g[1].idem, "k-1");
    assert_int_equal(E.g[1].n_headers, 4);
    assert_int_equal(E.g[1].seq, 2);
    assert_int_equal(E.g[1].conn, 1);
    assert_int_equal(answer(1, 201), 0);
    rx_wait(&r, 2);
    assert_int_equal(r.status[1], 201);
    assert_string_equal(r.body[1], "conn=1 seq=2 path=/in len=11");
    /* a request saying close is answered with close, then the server closes */
    raw_sends(r.fd, "DELETE /x HTTP/1.1\r\nConnection: close\r\n\r\n");
    wait_reqs(3);
    assert_false(E.g[2].keep_alive);
    assert_int_equal(answer(2, 204), 0);
    rx_wait(&r, 3);
    assert_int_equal(r.status[2], 204);
    assert_true(r.conn_close[2]);
    assert_true(pump(rx_is_closed, &r, 2000));
    hxe_http_server_stats st = stats();
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.requests, 3);
    assert_int_equal(st.responses, 3);
    close(r.fd);
}

static void http10_and_head(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    E.at_once = 1;
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    /* HEAD: the length of the body that GET would have, no body */
    raw_sends(r.fd, "HEAD /h HTTP/1.1\r\n\r\n");
    assert_true(pump(NULL, NULL, 50));
    rx_poll(&r);
    assert_non_null(strstr(r.raw, "Content-Length: 26\r\n"));
    assert_null(strstr(r.raw, "conn=1"));
    close(r.fd);
    /* HTTP/1.0 without keep-alive: answered, then closed */
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /old HTTP/1.0\r\n\r\n");
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 200);
    assert_true(pump(rx_is_closed, &r, 2000));
    close(r.fd);
    /* HTTP/1.0 with keep-alive: kept */
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /old HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    rx_wait(&r, 1);
    assert_non_null(strstr(r.raw, "Connection: keep-alive\r\n"));
    raw_sends(r.fd, "GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    rx_wait(&r, 2);
    close(r.fd);
}

static void byte_by_byte(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    E.at_once = 1;
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    const char *reqs[] = {
        "POST /a/b?q=1 HTTP/1.1\r\nHost: x\r\nX-E:\r\nX-F:\r\nIdempotency-Key: abc\r\nContent-Length: 5\r\n\r\nabcde",
        "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: t\r\n\r\n",
    };
    for (size_t k = 0; k < 2; k++) {
        const char *s = reqs[k];
        for (size_t i = 0; s[i]; i++) {
            raw_send(r.fd, s + i, 1);
            pump(NULL, NULL, 1);
            /* no request before its last byte */
            assert_int_equal(E.n, s[i + 1] ? k : k + 1);
        }
    }
    rx_wait(&r, 2);
    assert_string_equal(E.g[0].path, "/a/b");
    assert_string_equal(E.g[0].query, "q=1");
    assert_string_equal(E.g[0].body, "abcde");
    assert_int_equal(E.g[0].n_headers, 5);   /* empty values split at every byte */
    assert_string_equal(E.g[0].idem, "abc");
    assert_string_equal(E.g[1].method, "PUT");
    assert_string_equal(E.g[1].body, "abc0123456789abcdef");
    assert_int_equal(E.g[1].n_headers, 1);   /* trailers are not headers */
    assert_string_equal(r.body[1], "conn=1 seq=2 path=/c len=19");
    close(r.fd);
}

static void pipelined_out_of_order(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    o.max_pending = 64;
    start(&o);
    enum { CONNS = 3, PER = 12 };
    rx r[CONNS];
    for (int c = 0; c < CONNS; c++) {
        rx_init(&r[c], raw_connect(hxe_http_server_port(srv)));
        /* every request of a connection in one write, bodies in some */
        char all[8192];
        size_t len = 0;
        for (int i = 0; i < PER; i++)
            len += (size_t)snprintf(all + len, sizeof all - len,
                                    i % 3 ? "POST /p/%d HTTP/1.1\r\nContent-Length: 2\r\n\r\nhi"
                                          : "GET /p/%d HTTP/1.1\r\n\r\n",
                                    i);
        raw_send(r[c].fd, all, len);
    }
    wait_reqs(CONNS * PER);
    /* answer even sequence numbers first, newest first */
    for (size_t i = E.n; i-- > 0;)
        if (E.g[i].seq % 2 == 0)
            assert_int_equal(answer(i, 200), 0);
    pump(NULL, NULL, 30);
    for (int c = 0; c < CONNS; c++) {
        rx_poll(&r[c]);
        assert_int_equal(r[c].n, 0);   /* nothing before the first answer */
    }
    for (size_t i = E.n; i-- > 0;)
        if (!E.g[i].done)
            assert_int_equal(answer(i, 200 + (int)(E.g[i].seq % 3)), 0);
    for (int c = 0; c < CONNS; c++) {
        rx_wait(&r[c], PER);
        for (int i = 0; i < PER; i++) {
            char want[64];
            snprintf(want, sizeof want, "seq=%d path=/p/%d len=%d", i + 1, i, i % 3 ? 2 : 0);
            assert_non_null(strstr(r[c].body[i], want));
            assert_int_equal(r[c].status[i], (i + 1) % 2 == 0 ? 200 : 200 + (i + 1) % 3);
        }
        close(r[c].fd);
    }
    assert_int_equal(stats().requests, CONNS * PER);
}

static void backpressure(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    o.max_pending = 2;
    start(&o);
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    char all[4096];
    size_t len = 0;
    for (int i = 0; i < 10; i++)
        len += (size_t)snprintf(all + len, sizeof all - len, "GET /b/%d HTTP/1.1\r\n\r\n", i);
    raw_send(r.fd, all, len);
    wait_reqs(2);
    pump(NULL, NULL, 30);
    assert_int_equal(E.n, 2);   /* the rest waits until answers catch up */
    for (size_t i = 0; i < 10; i++) {
        wait_reqs(i + 1);
        assert_int_equal(answer(i, 200), 0);
    }
    rx_wait(&r, 10);
    assert_non_null(strstr(r.body[9], "path=/b/9"));
    close(r.fd);
}

static void expect_continue(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    o.max_body = 100;
    start(&o);
    E.at_once = 1;
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 100);
    assert_int_equal(E.n, 0);
    raw_sends(r.fd, "body");
    rx_wait(&r, 2);
    assert_int_equal(r.status[1], 200);
    assert_string_equal(E.g[0].body, "body");
    /* over the limit: 413 at once, before the body is sent */
    raw_sends(r.fd, "POST /e HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 101\r\n\r\n");
    rx_wait(&r, 3);
    assert_int_equal(r.status[2], 413);
    assert_true(r.conn_close[2]);
    assert_true(pump(rx_is_closed, &r, 2000));
    close(r.fd);
}

/* one bad request on a fresh connection: its status, then the close */
static int bad_one(const char *req, size_t n)
{
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_send(r.fd, req, n);
    rx_wait(&r, 1);
    assert_true(r.conn_close[0]);
    assert_true(pump(rx_is_closed, &r, 2000));
    close(r.fd);
    return r.status[0];
}

static void limits_and_bad_requests(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    o.max_header_size = 1024;
    o.max_headers = 10;
    o.max_body = 1000;
    start(&o);
    E.at_once = 1;
    char big[4096];
    /* headers over 1024 bytes */
    int n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\nX-Big: %01100d\r\n\r\n", 7);
    assert_int_equal(bad_one(big, (size_t)n), 431);
    /* a request line over the limit too */
    n = snprintf(big, sizeof big, "GET /%01100d HTTP/1.1\r\n\r\n", 7);
    assert_int_equal(bad_one(big, (size_t)n), 431);
    /* 11 header fields */
    n = snprintf(big, sizeof big, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < 11; i++)
        n += snprintf(big + n, sizeof big - (size_t)n, "H%d: v\r\n", i);
    n += snprintf(big + n, sizeof big - (size_t)n, "\r\n");
    assert_int_equal(bad_one(big, (size_t)n), 431);
    /* a declared body over the limit */
    const char *s = "POST / HTTP/1.1\r\nContent-Length: 1001\r\n\r\n";
    assert_int_equal(bad_one(s, strlen(s)), 413);
    /* a chunked body that grows over the limit */
    n = snprintf(big, sizeof big, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++)
        n += snprintf(big + n, sizeof big - (size_t)n, "190\r\n%0400d\r\n", i);
    assert_int_equal(bad_one(big, (size_t)n), 413);
    /* not HTTP; a bad chunk size; smuggling (both lengths) */
    s = "HELLO\r\n\r\n";
    assert_int_equal(bad_one(s, strlen(s)), 400);
    s = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_int_equal(bad_one(s, strlen(s)), 400);
    s = "POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
    assert_int_equal(bad_one(s, strlen(s)), 400);
    assert_int_equal(E.n, 0);   /* none of them reached the engine */
    /* a body exactly at the limit is fine, and the server is still up */
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    n = snprintf(big, sizeof big, "POST /ok HTTP/1.1\r\nContent-Length: 1000\r\n\r\n%01000d", 1);
    raw_send(r.fd, big, (size_t)n);
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 200);
    assert_int_equal(E.g[0].body_len, 1000);
    close(r.fd);
    hxe_http_server_stats st = stats();
    assert_int_equal(st.header_too_large, 3);
    assert_int_equal(st.too_large, 2);
    assert_int_equal(st.bad_requests, 3);
    assert_int_equal(st.requests, 1);
}

static void bad_request_after_good_ones(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\nBAD STUFF\r\n\r\n");
    wait_reqs(2);
    pump(NULL, NULL, 20);
    rx_poll(&r);
    assert_int_equal(r.n, 0);   /* the 400 waits for the answers before it */
    assert_int_equal(answer(1, 200), 0);
    assert_int_equal(answer(0, 200), 0);
    rx_wait(&r, 3);
    assert_int_equal(r.status[2], 400);
    assert_true(pump(rx_is_closed, &r, 2000));
    close(r.fd);
}

static void timeouts(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    o.idle_timeout_ms = 100;
    o.request_timeout_ms = 150;
    start(&o);
    /* idle: closed without a word */
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    uint64_t t0 = now_ms();
    assert_true(pump(rx_is_closed, &r, 2000));
    assert_true(now_ms() - t0 >= 90);
    assert_int_equal(r.n, 0);
    close(r.fd);
    /* half a request, trickled: 408 at the request deadline */
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    t0 = now_ms();
    raw_sends(r.fd, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    for (int i = 0; i < 3; i++) {
        pump(NULL, NULL, 40);
        raw_sends(r.fd, "c");   /* bytes keep coming (no idle close), but too slowly */
    }
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 408);
    assert_true(now_ms() - t0 >= 140);
    assert_true(pump(rx_is_closed, &r, 2000));
    close(r.fd);
    /* waiting for the engine is not idleness */
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /slow HTTP/1.1\r\n\r\n");
    wait_reqs(1);
    pump(NULL, NULL, 300);
    rx_poll(&r);
    assert_false(r.closed);
    assert_int_equal(answer(0, 200), 0);
    rx_wait(&r, 1);
    assert_true(pump(rx_is_closed, &r, 2000));   /* idle after the answer */
    close(r.fd);
    hxe_http_server_stats st = stats();
    assert_int_equal(st.timeouts, 1);
    assert_int_equal(st.idle_closes, 2);
}

static int none_open(void *arg)
{
    (void)arg;
    return stats().open == 0;
}

static void peer_leaves_first(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    int fd = raw_connect(hxe_http_server_port(srv));
    raw_sends(fd, "POST /gone HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /2 HTTP/1.1\r\n\r\n");
    wait_reqs(2);
    close(fd);
    assert_true(pump(none_open, NULL, 2000));
    /* the request is still readable, answering it is a harmless no-op */
    const hxe_http_request *r = hxe_http_req_get(E.g[1].req);
    assert_int_equal(r->seq, 2);
    assert_true(hxe_slice_eq_cstr(r->path, "/2"));
    assert_int_equal(answer(1, 200), 1);
    /* even after the server has stopped */
    hxe_http_server_stats st;
    hxe_http_server_stop(srv, 0, on_stopped, &st);
    assert_true(pump(is_stopped, NULL, 2000));
    assert_true(hxe_slice_eq_cstr(hxe_http_req_get(E.g[0].req)->body, "abc"));
    assert_int_equal(answer(0, 200), 1);
    assert_int_equal(st.dropped_responses, 1);   /* the one given before the stop */
    assert_int_equal(st.responses, 0);
}

static void bad_answers_refused(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET / HTTP/1.1\r\n\r\nGET /d HTTP/1.1\r\n\r\n");
    wait_reqs(2);
    hxe_http_header split = {{"X-A", 3}, {"a\r\nSet-Cookie: x", 16}};
    hxe_http_header cl = {{"content-length", 14}, {"5", 1}};
    hxe_http_header name = {{"Bad Name", 8}, {"v", 1}};
    assert_int_equal(hxe_http_respond(E.g[0].req, 200, &split, 1, NULL, 0), HXE_EINVAL);
    assert_int_equal(hxe_http_respond(E.g[0].req, 200, &cl, 1, NULL, 0), HXE_EINVAL);
    assert_int_equal(hxe_http_respond(E.g[0].req, 200, &name, 1, NULL, 0), HXE_EINVAL);
    assert_int_equal(hxe_http_respond(E.g[0].req, 99, NULL, 0, NULL, 0), HXE_EINVAL);
    assert_int_equal(hxe_http_respond(E.g[0].req, 600, NULL, 0, NULL, 0), HXE_EINVAL);
    assert_int_equal(hxe_http_respond(NULL, 200, NULL, 0, NULL, 0), HXE_EINVAL);
    /* still valid: answered properly now */
    assert_int_equal(hxe_http_respond(E.g[0].req, 404, NULL, 0, "no", 2), 0);
    E.g[0].done = 1;
    rx_wait(&r, 1);
    assert_int_equal(r.status[0], 404);
    assert_string_equal(r.body[0], "no");
    /* a discarded request closes its connection */
    hxe_http_discard(E.g[1].req);
    E.g[1].done = 1;
    assert_true(pump(rx_is_closed, &r, 2000));
    assert_int_equal(r.n, 1);
    close(r.fd);
}

static void stop_waits_for_answers(void **state)
{
    (void)state;
    hxe_http_server_opts o = {0};
    start(&o);
    rx r;
    rx_init(&r, raw_connect(hxe_http_server_port(srv)));
    raw_sends(r.fd, "GET /s HTTP/1.1\r\n\r\n");
    wait_reqs(1);
    hxe_http_server_stats st;
    hxe_http_server_stop(srv, 2000, on_stopped, &st);
    pump(NULL, NULL, 20);
    assert_false(stopped);
    assert_int_equal(answer(0, 200), 0);
    rx_wait(&r, 1);
    assert_true(r.conn_close[0]);
    assert_true(pump(is_stopped, NULL, 2000));
    assert_int_equal(st.responses, 1);
    close(r.fd);
}

static void bad_options(void **state)
{
    (void)state;
    hxe_err err = {0};
    hxe_http_server *s = NULL;
    hxe_http_server_opts o = {0};
    o.host = "not an address";
    assert_int_equal(hxe_http_server_new(&s, &loop, &o, on_req, NULL, &err), HXE_EIO);
    assert_null(s);
    assert_non_null(strstr(err.msg, "not an IP address"));
    o.host = NULL;
    o.port = 70000;
    assert_int_equal(hxe_http_server_new(&s, &loop, &o, on_req, NULL, &err), HXE_EINVAL);
    assert_int_equal(hxe_http_server_new(&s, &loop, NULL, NULL, NULL, &err), HXE_EINVAL);
    stopped = 1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(get_and_post_keep_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(http10_and_head, setup, teardown),
        cmocka_unit_test_setup_teardown(byte_by_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(pipelined_out_of_order, setup, teardown),
        cmocka_unit_test_setup_teardown(backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(expect_continue, setup, teardown),
        cmocka_unit_test_setup_teardown(limits_and_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_request_after_good_ones, setup, teardown),
        cmocka_unit_test_setup_teardown(timeouts, setup, teardown),
        cmocka_unit_test_setup_teardown(peer_leaves_first, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_answers_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_waits_for_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_options, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
