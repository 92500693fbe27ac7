/*
 * http_client.c — outbound HTTP for destinations: libcurl's multi
 * interface driven by the libuv loop (curl_multi_socket_action, with a
 * uv_poll per socket curl asks us to watch and one uv_timer for curl's
 * timeouts), so many requests run at once on the engine's one thread and
 * connections are kept and reused per host by curl's connection cache.
 *
 * Lifetime: a transfer lives from send until its callback has returned.
 * Socket watchers are closed when curl says CURL_POLL_REMOVE (curl does so
 * before it closes the socket) and freed in their close callback; the
 * client is freed once its timer and every watcher are closed. A user
 * callback may send again or close the client: `busy` defers the multi
 * handle's cleanup until curl's stack has unwound.
 */
#include "net/http_int.h"

#include <curl/curl.h>
#include <string.h>
#include <strings.h>

#define MAX_RESPONSE_HEADERS ((size_t)64 << 10)

struct sockctx {
    uv_poll_t poll;
    curl_socket_t fd;
    hxe_http_client *c;
    struct sockctx *prev, *next;
    int closing;
};

struct xfer {
    CURL *e;
    hxe_http_client *c;
    struct xfer *prev, *next;
    struct curl_slist *hdrs;
    char *body;
    hxe_buf resp;
    hxe_buf rhdr;
    int too_big;
    hxe_http_done_cb cb;
    void *data;
    uint64_t start_us;
    char errbuf[CURL_ERROR_SIZE];
};

struct hxe_http_client {
    uv_loop_t *loop;
    CURLM *multi;
    uv_timer_t timer;
    int handles;              /* timer + watchers not closed yet */
    struct xfer *xfers;
    struct sockctx *socks;
    hxe_http_client_opts o;
    char *ca_file, *cert_file, *key_file, *user_agent;
    hxe_http_client_stats st;
    int busy;                 /* inside curl or a user callback */
    int closing;
    int cleaned;              /* the multi handle is gone */
    void (*on_closed)(hxe_http_client *c, void *data);
    void *close_data;
};

const char *hxe_http_outcome_name(int outcome)
{
    switch (outcome) {
    case HXE_HTTP_RESPONSE: return "response";
    case HXE_HTTP_CONNECT_ERROR: return "connect error";
    case HXE_HTTP_TIMEOUT: return "timeout";
    case HXE_HTTP_TLS_ERROR: return "TLS error";
    case HXE_HTTP_IO_ERROR: return "I/O error";
    case HXE_HTTP_TOO_BIG: return "response too big";
    case HXE_HTTP_CANCELLED: return "cancelled";
    case HXE_HTTP_ERROR: return "error";
    }
    return "unknown";
}

int hxe_http_result_retryable(const hxe_http_result *r)
{
    if (!r)
        return 0;
    switch (r->outcome) {
    case HXE_HTTP_CONNECT_ERROR:
    case HXE_HTTP_TIMEOUT:
    case HXE_HTTP_IO_ERROR:
        return 1;
    case HXE_HTTP_RESPONSE:
        return r->status == 408 || r->status == 425 || r->status == 429 ||
               (r->status >= 500 && r->status != 501 && r->status != 505);
    default:
        return 0;
    }
}

/* ---- closing ---- */

static void on_handle_closed(uv_handle_t *h)
{
    hxe_http_client *c = h->data;
    if (h != (uv_handle_t *)&c->timer) {
        struct sockctx *sc = (struct sockctx *)h;
        if (sc->prev)
            sc->prev->next = sc->next;
        else
            c->socks = sc->next;
        if (sc->next)
            sc->next->prev = sc->prev;
        hxe_free(sc);
    }
    if (--c->handles == 0) {
        if (c->on_closed)
            c->on_closed(c, c->close_data);
        hxe_free(c->ca_file);
        hxe_free(c->cert_file);
        hxe_free(c->key_file);
        hxe_free(c->user_agent);
        hxe_free(c);
    }
}

static void sock_close(struct sockctx *sc)
{
    if (sc->closing)
        return;
    sc->closing = 1;
    uv_close((uv_handle_t *)&sc->poll, on_handle_closed);
}

/* Takes a transfer out of the client (curl forgets it too) ... */
static void detach_xfer(struct xfer *x)
{
    hxe_http_client *c = x->c;
    if (x->prev)
        x->prev->next = x->next;
    else
        c->xfers = x->next;
    if (x->next)
        x->next->prev = x->prev;
    x->prev = x->next = NULL;
    if (!c->cleaned)
        curl_multi_remove_handle(c->multi, x->e);
    c->st.active--;
}

/* ... and frees it, once its callback has read its buffers. */
static void free_xfer(struct xfer *x)
{
    curl_easy_cleanup(x->e);
    curl_slist_free_all(x->hdrs);
    hxe_free(x->body);
    hxe_buf_free(&x->resp);
    hxe_buf_free(&x->rhdr);
    hxe_free(x);
}

/* The last steps of close, once nothing of curl is on the stack. */
static void finish_close(hxe_http_client *c)
{
    if (!c->closing || c->busy || c->cleaned)
        return;
    c->cleaned = 1;
    curl_multi_cleanup(c->multi);   /* may still report sockets to remove */
    c->multi = NULL;
    for (struct sockctx *sc = c->socks; sc; sc = sc->next)
        sock_close(sc);
    uv_close((uv_handle_t *)&c->timer, on_handle_closed);
}

/* ---- completion ---- */

static int classify(CURLcode rc, int too_big)
{
    if (too_big || rc == CURLE_FILESIZE_EXCEEDED)
        return HXE_HTTP_TOO_BIG;
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
        return HXE_HTTP_CONNECT_ERROR;
    case CURLE_OPERATION_TIMEDOUT:
        return HXE_HTTP_TIMEOUT;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_USE_SSL_FAILED:
        return HXE_HTTP_TLS_ERROR;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return HXE_HTTP_IO_ERROR;
    default:
        return HXE_HTTP_ERROR;
    }
}

/* Splits the raw header lines of the final response into name/value. */
static size_t split_headers(hxe_buf *raw, hxe_http_header *out, size_t max)
{
    size_t n = 0;
    const char *p = raw->p ? raw->p : "", *end = p + raw->len;
    while (p < end && n < max) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *next = eol ? eol + 1 : end;
        const char *le = eol ? eol : end;
        if (le > p && le[-1] == '\r')
            le--;
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon && colon > p && strncmp(p, "HTTP/", 5) != 0) {
            const char *v = colon + 1;
            while (v < le && (*v == ' ' || *v == '\t'))
                v++;
            const char *ve = le;
            while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            out[n].name = hxe_slice_of(p, (size_t)(colon - p));
            out[n].value = hxe_slice_of(v, (size_t)(ve - v));
            n++;
        }
        p = next;
    }
    return n;
}

static void complete(struct xfer *x, CURLcode rc)
{
    hxe_http_client *c = x->c;
    hxe_http_result r;
    memset(&r, 0, sizeof r);
    long status = 0, connects = 0;
    curl_easy_getinfo(x->e, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(x->e, CURLINFO_NUM_CONNECTS, &connects);
    c->st.connects += (uint64_t)(connects > 0 ? connects : 0);
    r.outcome = rc == CURLE_OK ? HXE_HTTP_RESPONSE : classify(rc, x->too_big);
    r.status = r.outcome == HXE_HTTP_RESPONSE ? (int)status : 0;
    r.reused = rc == CURLE_OK && connects == 0;
    r.latency_us = hxe__now_us() - x->start_us;
    hxe_http_header hs[100];
    if (r.outcome == HXE_HTTP_RESPONSE) {
        r.body = x->resp.p ? x->resp.p : "";
        r.body_len = x->resp.len;
        r.headers = hs;
        r.n_headers = split_headers(&x->rhdr, hs, sizeof hs / sizeof hs[0]);
        r.reason = "";
        c->st.responses++;
    } else {
        r.body = "";
        r.reason = x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc);
        if (r.outcome == HXE_HTTP_TOO_BIG)
            r.reason = "response body over the limit";
        c->st.failures++;
        hxe_log(HXE_LOG_DEBUG, "http.client.fail", HXE_LF_STR("outcome", hxe_http_outcome_name(r.outcome)),
                HXE_LF_STR("reason", r.reason));
    }
    detach_xfer(x);
    if (x->cb)
        x->cb(c, &r, x->data);
    free_xfer(x);
}

static void cancelled(struct xfer *x)
{
    hxe_http_client *c = x->c;
    hxe_http_result r;
    memset(&r, 0, sizeof r);
    r.outcome = HXE_HTTP_CANCELLED;
    r.body = "";
    r.reason = "the client was closed";
    r.latency_us = hxe__now_us() - x->start_us;
    c->st.failures++;
    detach_xfer(x);
    if (x->cb)
        x->cb(c, &r, x->data);
    free_xfer(x);
}

static void check_done(hxe_http_client *c)
{
    CURLMsg *m;
    int left;
    c->busy++;
    while (!c->closing && (m = curl_multi_info_read(c->multi, &left)) != NULL) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct xfer *x = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
        CURLcode rc = m->data.result;
        if (x)
            complete(x, rc);
    }
    c->busy--;
    finish_close(c);
}

/* ---- libcurl <-> libuv ---- */

static void on_poll(uv_poll_t *h, int status, int events)
{
    struct sockctx *sc = (struct sockctx *)h;
    hxe_http_client *c = sc->c;
    if (c->closing)
        return;
    int flags = 0;
    if (status < 0)
        flags = CURL_CSELECT_ERR;
    else {
        if (events & UV_READABLE)
            flags |= CURL_CSELECT_IN;
        if (events & UV_WRITABLE)
            flags |= CURL_CSELECT_OUT;
    }
    int running = 0;
    c->busy++;
    curl_multi_socket_action(c->multi, sc->fd, flags, &running);
    c->busy--;
    check_done(c);
}

static void on_timeout(uv_timer_t *t)
{
    hxe_http_client *c = t->data;
    if (c->closing)
        return;
    int running = 0;
    c->busy++;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    c->busy--;
    check_done(c);
}

static int sock_cb(CURL *e, curl_socket_t s, int what, void *userp, void *socketp)
{
    hxe_http_client *c = userp;
    struct sockctx *sc = socketp;
    (void)e;
    if (what == CURL_POLL_REMOVE) {
        if (sc) {
            sock_close(sc);
            if (!c->cleaned)
                curl_multi_assign(c->multi, s, NULL);
        }
        return 0;
    }
    if (!sc) {
        if (c->closing)
            return -1;
        sc = hxe_calloc(1, sizeof *sc);
        if (!sc)
            return -1;
        if (uv_poll_init_socket(c->loop, &sc->poll, s) < 0) {
            hxe_free(sc);
            return -1;
        }
        sc->poll.data = c;
        sc->fd = s;
        sc->c = c;
        sc->next = c->socks;
        if (c->socks)
            c->socks->prev = sc;
        c->socks = sc;
        c->handles++;
        curl_multi_assign(c->multi, s, sc);
    }
    int ev = ((what & CURL_POLL_IN) ? UV_READABLE : 0) | ((what & CURL_POLL_OUT) ? UV_WRITABLE : 0);
    uv_poll_start(&sc->poll, ev, on_poll);
    return 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
    hxe_http_client *c = userp;
    (void)multi;
    if (c->cleaned && c->closing)
        return 0;
    if (timeout_ms < 0)
        uv_timer_stop(&c->timer);
    else
        uv_timer_start(&c->timer, on_timeout, (uint64_t)timeout_ms, 0);
    return 0;
}

/* ---- requests ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nmemb;
    if (x->resp.len + n > x->c->o.max_response) {
        x->too_big = 1;
        return 0;
    }
    return hxe_buf_append(&x->resp, p, n) ? 0 : n;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *userp)
{
    struct xfer *x = userp;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(p, "HTTP/", 5))   /* a new response (after 1xx): start over */
        hxe_buf_truncate(&x->rhdr, 0);
    if (x->rhdr.len + n <= MAX_RESPONSE_HEADERS && hxe_buf_append(&x->rhdr, p, n) == 0)
        return n;
    return n;   /* headers beyond the cap are not kept; the transfer goes on */
}

static char *dup_opt(const char *s)
{
    return s && *s ? hxe_strndup(s, strlen(s)) : NULL;
}

int hxe_http_client_new(hxe_http_client **out, uv_loop_t *loop, const hxe_http_client_opts *opts,
                        hxe_err *err)
{
    static const hxe_http_client_opts none;
    static int curl_ready;
    const hxe_http_client_opts *o = opts ? opts : &none;
    *out = NULL;
    if (!loop)
        return hxe_err_set(err, HXE_EINVAL, "http client: a loop is needed");
    if (o->tls_min_version && o->tls_min_version != 12 && o->tls_min_version != 13)
        return hxe_err_set(err, HXE_EINVAL, "http client: tls_min_version must be 12 or 13, not %d",
                           o->tls_min_version);
    if ((o->cert_file != NULL) != (o->key_file != NULL))
        return hxe_err_set(err, HXE_EINVAL,
                           "http client: a client certificate needs its key and a key its certificate");
    if (!curl_ready) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return hxe_err_set(err, HXE_EERROR, "http client: cannot initialise libcurl");
        curl_ready = 1;
    }
    hxe_http_client *c = hxe_calloc(1, sizeof *c);
    if (!c)
        return hxe_err_set(err, HXE_ENOMEM, "http client: out of memory");
    c->loop = loop;
    c->o = *o;
    c->ca_file = dup_opt(o->ca_file);
    c->cert_file = dup_opt(o->cert_file);
    c->key_file = dup_opt(o->key_file);
    c->user_agent = dup_opt(o->user_agent ? o->user_agent : "hxe/0.1");
    if (!c->o.connect_timeout_ms)
        c->o.connect_timeout_ms = 10000;
    if (!c->o.timeout_ms)
        c->o.timeout_ms = 30000;
    if (!c->o.max_response)
        c->o.max_response = (size_t)16 << 20;
    if (!c->o.max_connections)
        c->o.max_connections = 64;
    if (!c->o.max_host_connections)
        c->o.max_host_connections = 8;
    c->multi = curl_multi_init();
    if (!c->multi || !c->user_agent || (o->ca_file && !c->ca_file) ||
        (o->cert_file && (!c->cert_file || !c->key_file))) {
        curl_multi_cleanup(c->multi);
        hxe_free(c->ca_file);
        hxe_free(c->cert_file);
        hxe_free(c->key_file);
        hxe_free(c->user_agent);
        hxe_free(c);
        return hxe_err_set(err, HXE_ENOMEM, "http client: out of memory");
    }
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS, (long)c->o.max_connections);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)c->o.max_connections);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)c->o.max_host_connections);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    c->handles = 1;
    *out = c;
    return 0;
}

/* Method, body and headers of one call on its easy handle. */
static int set_request(struct xfer *x, const hxe_http_call *call, const char *method)
{
    CURL *e = x->e;
    int rc = 0;
    if (!strcmp(method, "GET")) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (!strcmp(method, "HEAD")) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else {
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
        if (call->body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
            !strcmp(method, "PATCH")) {
            x->body = hxe_malloc(call->body_len ? call->body_len : 1);
            if (!x->body)
                return HXE_ENOMEM;
            if (call->body_len)
                memcpy(x->body, call->body, call->body_len);
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, x->body);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)call->body_len);
        }
    }
    /* no "Expect: 100-continue" round trip: destinations answer at once */
    struct curl_slist *l = curl_slist_append(NULL, "Expect:");
    x->hdrs = l;
    for (size_t i = 0; l && i < call->n_headers; i++) {
        const hxe_http_header *h = &call->headers[i];
        hxe_buf line = HXE_BUF_INIT;
        rc = hxe_buf_append(&line, h->name.p, h->name.n);
        rc = rc ? rc : h->value.n ? hxe_buf_append(&line, ": ", 2) : hxe_buf_putc(&line, ';');
        rc = rc ? rc : hxe_buf_append(&line, h->value.p, h->value.n);
        if (!rc) {
            l = curl_slist_append(x->hdrs, line.p);
            if (l)
                x->hdrs = l;
        }
        hxe_buf_free(&line);
        if (rc || !l)
            return HXE_ENOMEM;
    }
    if (!l)
        return HXE_ENOMEM;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
    return 0;
}

int hxe_http_client_send(hxe_http_client *c, const hxe_http_call *call, hxe_http_done_cb cb,
                         void *data, hxe_err *err)
{
    if (!c || c->closing)
        return hxe_err_set(err, HXE_EINVAL, "http client: closing");
    if (!call || !call->url || (strncasecmp(call->url, "http://", 7) != 0 &&
                                strncasecmp(call->url, "https://", 8) != 0))
        return hxe_err_set(err, HXE_EINVAL, "http client: an http:// or https:// URL is needed");
    if ((call->n_headers && !call->headers) || (call->body_len && !call->body))
        return hxe_err_set(err, HXE_EINVAL, "http client: headers or body missing");
    for (size_t i = 0; i < call->n_headers; i++)
        if (!hxe__http_header_ok(call->headers[i].name, call->headers[i].value))
            return hxe_err_set(err, HXE_EINVAL, "http client: header %zu cannot be sent", i + 1);
    const char *method = call->method && *call->method ? call->method : "POST";
    for (const char *m = method; *m; m++)
        if (!((*m >= 'A' && *m <= 'Z') || *m == '-' || *m == '_') || m - method > 20)
            return hxe_err_set(err, HXE_EINVAL, "http client: unusable method");
    struct xfer *x = hxe_calloc(1, sizeof *x);
    if (!x)
        return hxe_err_set(err, HXE_ENOMEM, "http client: out of memory");
    x->c = c;
    x->cb = cb;
    x->data = data;
    hxe_buf_init(&x->resp, 0);
    hxe_buf_init(&x->rhdr, 0);
    x->e = curl_easy_init();
    if (!x->e || set_request(x, call, method)) {
        if (x->e)
            curl_easy_cleanup(x->e);
        curl_slist_free_all(x->hdrs);
        hxe_free(x->body);
        hxe_free(x);
        return hxe_err_set(err, HXE_ENOMEM, "http client: out of memory");
    }
    CURL *e = x->e;
    uint64_t timeout = call->timeout_ms ? call->timeout_ms : c->o.timeout_ms;
    curl_easy_setopt(e, CURLOPT_URL, call->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, x);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)timeout);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)c->o.max_response);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION,
                     c->o.tls_min_version == 13 ? CURL_SSLVERSION_TLSv1_3 : CURL_SSLVERSION_TLSv1_2);
    curl_easy_setopt(e, CURLOPT_USERAGENT, c->user_agent);
    if (c->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, c->ca_file);
    if (c->cert_file) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert_file);
        curl_easy_setopt(e, CURLOPT_SSLKEY, c->key_file);
    }
    x->start_us = hxe__now_us();
    x->next = c->xfers;
    if (c->xfers)
        c->xfers->prev = x;
    c->xfers = x;
    c->st.active++;
    c->busy++;
    CURLMcode mc = curl_multi_add_handle(c->multi, e);
    c->busy--;
    if (mc != CURLM_OK) {
        detach_xfer(x);
        free_xfer(x);
        return hxe_err_set(err, HXE_EERROR, "http client: %s", curl_multi_strerror(mc));
    }
    c->st.sent++;
    return 0;
}

void hxe_http_client_stats_get(const hxe_http_client *c, hxe_http_client_stats *out)
{
    if (c)
        *out = c->st;
    else
        memset(out, 0, sizeof *out);
}

void hxe_http_client_close(hxe_http_client *c, void (*on_closed)(hxe_http_client *c, void *data),
                           void *data)
{
    if (!c || c->closing)
        return;
    c->closing = 1;
    c->on_closed = on_closed;
    c->close_data = data;
    c->busy++;
    while (c->xfers)
        cancelled(c->xfers);
    c->busy--;
    finish_close(c);
}
