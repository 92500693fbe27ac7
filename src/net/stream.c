/*
 * stream.c — one stream type for every connection hxe makes or accepts:
 * a libuv TCP handle, and when a TLS context is given, OpenSSL driven
 * through memory BIOs (libuv moves the bytes, OpenSSL never touches the
 * socket).
 *
 * Lifetime: a stream lives until its on_close callback has returned.
 * Closing is always asynchronous (uv_close), so a stream stays valid for
 * the rest of any callback that closes it; write requests carry their
 * own memory and are cancelled by libuv before the close callback runs.
 * States only move forward: resolving -> connecting -> handshake -> open
 * -> shutdown (graceful close) -> closing.
 */
#include "net/net_int.h"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

enum {
    ST_RESOLVING = 0,
    ST_CONNECTING,
    ST_HANDSHAKE,
    ST_OPEN,
    ST_SHUTDOWN,
    ST_CLOSING
};

#define READ_CHUNK 16384

struct hxe_net_stream {
    uv_loop_t *loop;
    uv_tcp_t tcp;
    uv_timer_t timer;         /* open timeout, then graceful-close deadline */
    uv_connect_t creq;
    uv_getaddrinfo_t gai;
    uv_shutdown_t sreq;
    SSL *ssl;
    BIO *rbio, *wbio;         /* network -> OpenSSL, OpenSSL -> network */
    hxe_net_stream_cbs cbs;
    void *data;
    int state;
    int handles;              /* libuv handles not closed yet */
    int tcp_inited;
    int gai_pending;
    int reading;
    int close_code;
    char reason[160];
    char peer[64];
    char server_name[256];
    int port;
    uint64_t open_timeout_ms, close_timeout_ms;
    char rbuf[READ_CHUNK];
};

struct wreq {
    uv_write_t req;
    size_t len;
    char data[];
};

const char *hxe_net_close_name(int code)
{
    switch (code) {
    case HXE_NET_CLOSE_LOCAL: return "local";
    case HXE_NET_CLOSE_EOF: return "peer closed";
    case HXE_NET_CLOSE_ERROR: return "socket error";
    case HXE_NET_CLOSE_TLS: return "TLS failure";
    case HXE_NET_CLOSE_CONNECT: return "connect failed";
    case HXE_NET_CLOSE_TIMEOUT: return "timed out";
    }
    return "unknown";
}

static void maybe_free(hxe_net_stream *s)
{
    if (s->handles || s->gai_pending)
        return;
    if (s->cbs.on_close)
        s->cbs.on_close(s, s->close_code, s->reason);
    SSL_free(s->ssl);
    hxe_free(s);
}

static void on_handle_closed(uv_handle_t *h)
{
    hxe_net_stream *s = h->data;
    if (--s->handles == 0)
        maybe_free(s);
}

static void close_now(hxe_net_stream *s, int code, const char *fmt, const char *arg)
{
    if (s->state == ST_CLOSING)
        return;
    s->state = ST_CLOSING;
    s->close_code = code;
    snprintf(s->reason, sizeof s->reason, fmt, arg ? arg : "");
    if (s->gai_pending)
        uv_cancel((uv_req_t *)&s->gai);
    uv_close((uv_handle_t *)&s->timer, on_handle_closed);
    if (s->tcp_inited)
        uv_close((uv_handle_t *)&s->tcp, on_handle_closed);
}

static void on_written(uv_write_t *req, int status)
{
    struct wreq *w = (struct wreq *)req;
    hxe_net_stream *s = req->data;
    hxe_free(w);
    if (status < 0 && status != UV_ECANCELED && s->state != ST_CLOSING)
        close_now(s, HXE_NET_CLOSE_ERROR, "write failed: %s", uv_strerror(status));
}

static int queue_write(hxe_net_stream *s, struct wreq *w)
{
    w->req.data = s;
    uv_buf_t b = uv_buf_init(w->data, (unsigned)w->len);
    int r = uv_write(&w->req, (uv_stream_t *)&s->tcp, &b, 1, on_written);
    if (r < 0) {
        hxe_free(w);
        close_now(s, HXE_NET_CLOSE_ERROR, "write failed: %s", uv_strerror(r));
        return HXE_EIO;
    }
    return 0;
}

/* Sends what OpenSSL has written into its outgoing memory BIO. */
static int flush_tls(hxe_net_stream *s)
{
    if (!s->ssl || !s->tcp_inited || s->state == ST_CLOSING)
        return 0;
    size_t n = BIO_ctrl_pending(s->wbio);
    if (!n)
        return 0;
    struct wreq *w = hxe_malloc(sizeof *w + n);
    if (!w) {
        close_now(s, HXE_NET_CLOSE_ERROR, "out of memory%s", NULL);
        return HXE_ENOMEM;
    }
    int got = BIO_read(s->wbio, w->data, (int)n);
    w->len = got > 0 ? (size_t)got : 0;
    return queue_write(s, w);
}

static void tls_fail(hxe_net_stream *s)
{
    char why[160];
    hxe__tls_reason(s->ssl, why, sizeof why);
    flush_tls(s);   /* the alert, if OpenSSL wrote one */
    close_now(s, HXE_NET_CLOSE_TLS, "TLS: %s", why);
}

static void set_open(hxe_net_stream *s)
{
    s->state = ST_OPEN;
    uv_timer_stop(&s->timer);
    if (s->cbs.on_open)
        s->cbs.on_open(s);
}

/* Runs the handshake, then hands out all the plaintext OpenSSL can
 * decrypt from what has arrived. */
static void tls_pump(hxe_net_stream *s)
{
    if (s->state == ST_HANDSHAKE) {
        ERR_clear_error();
        int r = SSL_do_handshake(s->ssl);
        flush_tls(s);
        if (r != 1) {
            int e = SSL_get_error(s->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                tls_fail(s);
            return;
        }
        set_open(s);
    }
    char tmp[READ_CHUNK];
    while (s->state == ST_OPEN) {
        ERR_clear_error();
        int n = SSL_read(s->ssl, tmp, sizeof tmp);
        if (n > 0) {
            if (s->cbs.on_read)
                s->cbs.on_read(s, tmp, (size_t)n);
            continue;
        }
        int e = SSL_get_error(s->ssl, n);
        if (e == SSL_ERROR_WANT_READ)
            break;
        if (e == SSL_ERROR_ZERO_RETURN) {
            close_now(s, HXE_NET_CLOSE_EOF, "closed by peer (TLS close_notify)%s", NULL);
            return;
        }
        tls_fail(s);
        return;
    }
    flush_tls(s);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    hxe_net_stream *s = h->data;
    (void)suggested;
    *buf = uv_buf_init(s->rbuf, sizeof s->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    hxe_net_stream *s = st->data;
    if (s->state == ST_CLOSING || nread == 0)
        return;
    if (nread < 0) {
        if (s->state == ST_HANDSHAKE)
            close_now(s, HXE_NET_CLOSE_TLS, "TLS: connection closed during the handshake%s", NULL);
        else if (nread == UV_EOF)
            close_now(s, HXE_NET_CLOSE_EOF, "closed by peer%s", NULL);
        else
            close_now(s, HXE_NET_CLOSE_ERROR, "read failed: %s", uv_strerror((int)nread));
        return;
    }
    if (!s->ssl) {
        if (s->state == ST_OPEN && s->cbs.on_read)
            s->cbs.on_read(s, buf->base, (size_t)nread);
        return;
    }
    BIO_write(s->rbio, buf->base, (int)nread);
    tls_pump(s);
}

static void start_reading(hxe_net_stream *s)
{
    if (s->reading || s->state == ST_CLOSING)
        return;
    int r = uv_read_start((uv_stream_t *)&s->tcp, on_alloc, on_read);
    if (r < 0)
        close_now(s, HXE_NET_CLOSE_ERROR, "cannot read: %s", uv_strerror(r));
    else
        s->reading = 1;
}

static void on_timer(uv_timer_t *t)
{
    hxe_net_stream *s = t->data;
    switch (s->state) {
    case ST_RESOLVING:
    case ST_CONNECTING:
        close_now(s, HXE_NET_CLOSE_TIMEOUT, "connect timed out%s", NULL);
        break;
    case ST_HANDSHAKE:
        close_now(s, HXE_NET_CLOSE_TIMEOUT, "TLS handshake timed out%s", NULL);
        break;
    case ST_SHUTDOWN:
        close_now(s, HXE_NET_CLOSE_LOCAL, "closed locally (flush timed out)%s", NULL);
        break;
    default:
        break;
    }
}

static void set_peer(hxe_net_stream *s)
{
    struct sockaddr_storage sa;
    int len = sizeof sa;
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&sa, &len) == 0) {
        if (sa.ss_family == AF_INET) {
            uv_ip4_name((struct sockaddr_in *)&sa, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in *)&sa)->sin_port);
        } else if (sa.ss_family == AF_INET6) {
            uv_ip6_name((struct sockaddr_in6 *)&sa, ip, sizeof ip);
            port = ntohs(((struct sockaddr_in6 *)&sa)->sin6_port);
        }
    }
    snprintf(s->peer, sizeof s->peer, sa.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", ip, port);
}

static hxe_net_stream *new_stream(uv_loop_t *loop, const hxe_net_stream_opts *o)
{
    hxe_net_stream *s = hxe_malloc(sizeof *s);
    if (!s)
        return NULL;
    memset(s, 0, offsetof(hxe_net_stream, rbuf));
    s->loop = loop;
    s->cbs = o->cbs;
    s->data = o->data;
    s->open_timeout_ms = o->open_timeout_ms ? o->open_timeout_ms : 10000;
    s->close_timeout_ms = o->close_timeout_ms ? o->close_timeout_ms : 5000;
    uv_timer_init(loop, &s->timer);
    s->timer.data = s;
    s->handles = 1;
    return s;
}

static int init_tcp(hxe_net_stream *s)
{
    int r = uv_tcp_init(s->loop, &s->tcp);
    if (r < 0)
        return r;
    s->tcp.data = s;
    s->tcp_inited = 1;
    s->handles++;
    uv_tcp_nodelay(&s->tcp, 1);
    return 0;
}

static int init_ssl(hxe_net_stream *s, const hxe_tls_ctx *tls)
{
    s->ssl = SSL_new(tls->ctx);
    s->rbio = BIO_new(BIO_s_mem());
    s->wbio = BIO_new(BIO_s_mem());
    if (!s->ssl || !s->rbio || !s->wbio) {
        BIO_free(s->rbio);
        BIO_free(s->wbio);
        return HXE_ENOMEM;
    }
    BIO_set_mem_eof_return(s->rbio, -1);
    BIO_set_mem_eof_return(s->wbio, -1);
    SSL_set_bio(s->ssl, s->rbio, s->wbio);
    return 0;
}

/* Fails a stream the caller never received: no callbacks. */
static void abandon(hxe_net_stream *s)
{
    memset(&s->cbs, 0, sizeof s->cbs);
    close_now(s, HXE_NET_CLOSE_LOCAL, "abandoned%s", NULL);
}

int hxe_net_accept(hxe_net_stream **out, uv_stream_t *server, const hxe_net_stream_opts *o,
                   hxe_err *err)
{
    *out = NULL;
    hxe_net_stream *s = new_stream(server->loop, o);
    if (!s)
        return hxe_err_set(err, HXE_ENOMEM, "accept: out of memory");
    int r = init_tcp(s);
    if (r == 0)
        r = uv_accept(server, (uv_stream_t *)&s->tcp);
    if (r < 0) {
        abandon(s);
        return hxe_err_set(err, HXE_EIO, "accept failed: %s", uv_strerror(r));
    }
    set_peer(s);
    if (o->tls) {
        if (init_ssl(s, o->tls)) {
            abandon(s);
            return hxe_err_set(err, HXE_ENOMEM, "accept: cannot start TLS");
        }
        SSL_set_accept_state(s->ssl);
        s->state = ST_HANDSHAKE;
        uv_timer_start(&s->timer, on_timer, s->open_timeout_ms, 0);
    } else {
        s->state = ST_OPEN;
    }
    start_reading(s);
    *out = s;
    return 0;
}

static void on_connect(uv_connect_t *req, int status)
{
    hxe_net_stream *s = req->data;
    if (status == UV_ECANCELED || s->state == ST_CLOSING)
        return;
    if (status < 0) {
        close_now(s, HXE_NET_CLOSE_CONNECT, "connect failed: %s", uv_strerror(status));
        return;
    }
    set_peer(s);
    if (s->ssl) {
        s->state = ST_HANDSHAKE;
        start_reading(s);
        tls_pump(s);   /* sends the ClientHello */
    } else {
        start_reading(s);
        if (s->state != ST_CLOSING)
            set_open(s);
    }
}

static void start_connect(hxe_net_stream *s, const struct sockaddr *sa)
{
    int r = init_tcp(s);
    s->state = ST_CONNECTING;
    s->creq.data = s;
    if (r == 0)
        r = uv_tcp_connect(&s->creq, &s->tcp, sa, on_connect);
    if (r < 0)
        close_now(s, HXE_NET_CLOSE_CONNECT, "connect failed: %s", uv_strerror(r));
}

static void on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    hxe_net_stream *s = req->data;
    s->gai_pending = 0;
    if (s->state == ST_CLOSING) {
        uv_freeaddrinfo(res);
        maybe_free(s);
        return;
    }
    if (status < 0 || !res) {
        uv_freeaddrinfo(res);
        close_now(s, HXE_NET_CLOSE_CONNECT, "cannot resolve the host: %s",
                  uv_strerror(status < 0 ? status : UV_EAI_NONAME));
        return;
    }
    const struct addrinfo *pick = res;
    for (const struct addrinfo *a = res; a; a = a->ai_next)
        if (a->ai_family == AF_INET) {
            pick = a;
            break;
        }
    struct sockaddr_storage sa;
    memcpy(&sa, pick->ai_addr, pick->ai_addrlen < sizeof sa ? pick->ai_addrlen : sizeof sa);
    uv_freeaddrinfo(res);
    start_connect(s, (struct sockaddr *)&sa);
}

int hxe_net_connect(hxe_net_stream **out, uv_loop_t *loop, const char *host, int port,
                    const hxe_net_stream_opts *o, hxe_err *err)
{
    *out = NULL;
    if (!host || !*host || strlen(host) >= 256)
        return hxe_err_set(err, HXE_EINVAL, "connect: a host name is needed (under 256 bytes)");
    if (port < 1 || port > 65535)
        return hxe_err_set(err, HXE_EINVAL, "connect: port %d out of range", port);
    hxe_net_stream *s = new_stream(loop, o);
    if (!s)
        return hxe_err_set(err, HXE_ENOMEM, "connect: out of memory");
    s->port = port;
    snprintf(s->server_name, sizeof s->server_name, "%s",
             o->server_name && *o->server_name ? o->server_name : host);
    struct sockaddr_storage sa;
    int numeric = uv_ip4_addr(host, port, (struct sockaddr_in *)&sa) == 0 ||
                  uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa) == 0;
    if (o->tls) {
        if (init_ssl(s, o->tls)) {
            abandon(s);
            return hxe_err_set(err, HXE_ENOMEM, "connect: cannot start TLS");
        }
        SSL_set_connect_state(s->ssl);
        unsigned char ipbuf[16];
        int name_is_ip = inet_pton(AF_INET, s->server_name, ipbuf) == 1 ||
                         inet_pton(AF_INET6, s->server_name, ipbuf) == 1;
        int ok = name_is_ip
                     ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(s->ssl), s->server_name)
                     : SSL_set1_host(s->ssl, s->server_name) &&
                           SSL_set_tlsext_host_name(s->ssl, s->server_name);
        if (ok != 1) {
            abandon(s);
            return hxe_err_set(err, HXE_EINVAL, "connect: unusable TLS server name");
        }
    }
    uv_timer_start(&s->timer, on_timer, s->open_timeout_ms, 0);
    if (numeric) {
        start_connect(s, (struct sockaddr *)&sa);
    } else {
        char ps[8];
        snprintf(ps, sizeof ps, "%d", port);
        struct addrinfo hints;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        s->gai.data = s;
        s->state = ST_RESOLVING;
        int r = uv_getaddrinfo(loop, &s->gai, on_resolved, host, ps, &hints);
        if (r < 0) {
            abandon(s);
            return hxe_err_set(err, HXE_EIO, "connect: cannot resolve the host: %s", uv_strerror(r));
        }
        s->gai_pending = 1;
    }
    *out = s;
    return 0;
}

int hxe_net_stream_write(hxe_net_stream *s, const hxe_slice *parts, size_t n)
{
    if (!s || s->state != ST_OPEN)
        return HXE_EIO;
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += parts[i].n;
    if (!s->ssl) {
        struct wreq *w = hxe_malloc(sizeof *w + total);
        if (!w)
            return HXE_ENOMEM;
        w->len = 0;
        for (size_t i = 0; i < n; i++) {
            if (parts[i].n)
                memcpy(w->data + w->len, parts[i].p, parts[i].n);
            w->len += parts[i].n;
        }
        return queue_write(s, w);
    }
    for (size_t i = 0; i < n; i++) {
        if (!parts[i].n)
            continue;
        ERR_clear_error();
        if (SSL_write(s->ssl, parts[i].p, (int)parts[i].n) <= 0) {
            tls_fail(s);
            return HXE_EIO;
        }
    }
    return flush_tls(s);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    hxe_net_stream *s = req->data;
    (void)status;
    close_now(s, HXE_NET_CLOSE_LOCAL, "closed locally%s", NULL);
}

void hxe_net_stream_close(hxe_net_stream *s, int graceful)
{
    if (!s || s->state == ST_CLOSING || (graceful && s->state == ST_SHUTDOWN))
        return;
    if (!graceful || s->state != ST_OPEN) {
        close_now(s, HXE_NET_CLOSE_LOCAL, "closed locally%s", NULL);
        return;
    }
    s->state = ST_SHUTDOWN;
    if (s->reading) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->reading = 0;
    }
    if (s->ssl) {
        ERR_clear_error();
        SSL_shutdown(s->ssl);
        flush_tls(s);
        if (s->state == ST_CLOSING)
            return;
    }
    s->sreq.data = s;
    int r = uv_shutdown(&s->sreq, (uv_stream_t *)&s->tcp, on_shutdown);
    if (r < 0) {
        close_now(s, HXE_NET_CLOSE_LOCAL, "closed locally%s", NULL);
        return;
    }
    uv_timer_start(&s->timer, on_timer, s->close_timeout_ms, 0);
}

void hxe_net_stream_pause(hxe_net_stream *s)
{
    if (s && s->reading) {
        uv_read_stop((uv_stream_t *)&s->tcp);
        s->reading = 0;
    }
}

void hxe_net_stream_resume(hxe_net_stream *s)
{
    if (s && (s->state == ST_OPEN || s->state == ST_HANDSHAKE))
        start_reading(s);
}

int hxe_net_stream_is_open(const hxe_net_stream *s) { return s && s->state == ST_OPEN; }
int hxe_net_stream_is_tls(const hxe_net_stream *s) { return s && s->ssl != NULL; }
void *hxe_net_stream_data(const hxe_net_stream *s) { return s ? s->data : NULL; }
const char *hxe_net_stream_peer(const hxe_net_stream *s) { return s ? s->peer : ""; }

size_t hxe_net_stream_queued(const hxe_net_stream *s)
{
    return s && s->tcp_inited ? uv_stream_get_write_queue_size((const uv_stream_t *)&s->tcp) : 0;
}

int hxe__net_listen(uv_tcp_t *tcp, const char *host, int port, int backlog,
                    uv_connection_cb on_connection, int *port_out, const char **what)
{
    struct sockaddr_storage sa;
    int r = uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
    if (r)
        r = uv_ip6_addr(host, port, (struct sockaddr_in6 *)&sa);
    *what = "the address is not an IP address";
    if (r == 0 && (r = uv_tcp_bind(tcp, (struct sockaddr *)&sa, 0)) != 0)
        *what = uv_strerror(r);
    if (r == 0 && (r = uv_listen((uv_stream_t *)tcp, backlog, on_connection)) != 0)
        *what = uv_strerror(r);
    if (r == 0) {
        int len = sizeof sa;
        uv_tcp_getsockname(tcp, (struct sockaddr *)&sa, &len);
        *port_out = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                    : ((struct sockaddr_in *)&sa)->sin_port);
    }
    return r;
}
