/*
 * test_http_client.c — the libcurl-on-libuv HTTP client against hxe's own
 * HTTP server in the same loop, on 127.0.0.1 with ports chosen at run
 * time: status codes, bodies and response headers, the Idempotency-Key
 * header as the server receives it, connection reuse, many requests at
 * once, a server that never answers (timeout), nobody listening
 * (connection refused), a response over the size limit, cancel on close;
 * and over TLS with certificates made here at run time: a verified
 * server, a server signed by a CA the client does not trust (TLS error),
 * mutual TLS with and without a client certificate.
 */
#include "helpers/loop_testutil.h"
#include "helpers/testutil.h"
#include "helpers/tls_testutil.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uv_loop_t loop;
static char dir[256];

static uint64_t now_ms(void) { return uv_hrtime() / 1000000; }

#define pump(cond, arg, ms) tu_pump(&loop, (cond), (arg), (ms))

/* ---- certificates (as in test_net_tls.c) ---- */
static const char *path(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* certificates: tls_testutil.h */
#define make_cert(...) tu_make_cert(dir, __VA_ARGS__)

static const char *const cert_names[] = {"ca", "other-ca", "server", "client", "impostor"};

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hxe-http-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    X509 *ca, *other, *x;
    EVP_PKEY *ca_key, *other_key, *k;
    make_cert("ca", "hxe test CA", NULL, 1, NULL, NULL, &ca, &ca_key);
    make_cert("other-ca", "someone else's CA", NULL, 1, NULL, NULL, &other, &other_key);
    make_cert("server", "127.0.0.1", "IP:127.0.0.1", 0, ca, ca_key, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    make_cert("client", "hxe test client", NULL, 0, ca, ca_key, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    /* right name, wrong CA */
    make_cert("impostor", "127.0.0.1", "IP:127.0.0.1", 0, other, other_key, &x, &k);
    X509_free(x);
    EVP_PKEY_free(k);
    X509_free(ca);
    X509_free(other);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cert_names / sizeof cert_names[0]; i++) {
        char fn[64];
        snprintf(fn, sizeof fn, "%s.pem", cert_names[i]);
        unlink(path(fn));
        snprintf(fn, sizeof fn, "%s.key", cert_names[i]);
        unlink(path(fn));
    }
    rmdir(dir);
    return 0;
}

/* ---- a server in the same loop ---- */
#define MAXREQ 128
static struct {
    hxe_http_req *req[MAXREQ];
    char idem[MAXREQ][64];
    char body[MAXREQ][64];
    char method[MAXREQ][16];
    int done[MAXREQ];
    size_t n;
    int hold;          /* keep requests unanswered */
    size_t big;        /* answer with a body this long */
} S;

static hxe_http_server *srv;
static hxe_tls_ctx *srv_tls;
static int srv_stopped;
static hxe_http_client *cli;
static int cli_closed;

static void on_req(hxe_http_server *s, hxe_http_req *req, const hxe_http_request *r, void *data)
{
    (void)s;
    (void)data;
    assert_true(S.n < MAXREQ);
    size_t i = S.n++;
    S.req[i] = req;
    hxe_slice v;
    if (hxe_http_header_find(r->headers, r->n_headers, "Idempotency-Key", &v))
        snprintf(S.idem[i], sizeof S.idem[i], "%.*s", (int)v.n, v.p);
    assert_false(hxe_http_header_find(r->headers, r->n_headers, "Expect", NULL));
    snprintf(S.body[i], sizeof S.body[i], "%.*s", (int)r->body.n, r->body.p);
    snprintf(S.method[i], sizeof S.method[i], "%s", r->method);
    if (S.hold)
        return;
    /* the status to answer comes from the path: /status/NNN */
    int status = 200;
    if (r->path.n > 8 && !memcmp(r->path.p, "/status/", 8))
        status = atoi(r->path.p + 8);
    char body[128];
    int n = snprintf(body, sizeof body, "got %zu bytes as request %zu", r->body.n, i + 1);
    char *big = NULL;
    if (S.big) {
        big = malloc(S.big);
        memset(big, 'x', S.big);
    }
    hxe_http_header h[] = {{{"Location", 8}, {"/fhir/Bundle/1", 14}},
                           {{"Content-Type", 12}, {"text/plain", 10}}};
    assert_int_equal(hxe_http_respond(req, status, h, 2, big ? big : body, big ? S.big : (size_t)n), 0);
    free(big);
    S.done[i] = 1;
}

static void on_srv_stopped(hxe_http_server *s, void *data)
{
    (void)s;
    (void)data;
    srv_stopped = 1;
}
static int is_srv_stopped(void *arg) { (void)arg; return srv_stopped; }

static void on_cli_closed(hxe_http_client *c, void *data)
{
    (void)c;
    (void)data;
    cli_closed = 1;
}
static int is_cli_closed(void *arg) { (void)arg; return cli_closed; }

/* mode: 0 plain, 1 TLS, 2 mutual TLS; cert: "server" or "impostor" */
static void start_server(int mode, const char *cert)
{
    hxe_err err = {0};
    hxe_http_server_opts o = {0};
    if (mode) {
        char pem[64], key[64];
        snprintf(pem, sizeof pem, "%s.pem", cert);
        snprintf(key, sizeof key, "%s.key", cert);
        hxe_tls_opts t = {path(pem), path(key), mode == 2 ? path("ca.pem") : NULL, mode == 2, 0};
        if (hxe_tls_new(&srv_tls, HXE_TLS_SERVER, &t, &err))
            fail_msg("%s", err.msg);
        o.tls = srv_tls;
    }
    if (hxe_http_server_new(&srv, &loop, &o, on_req, NULL, &err))
        fail_msg("server: %s", err.msg);
}

static void start_client(hxe_http_client_opts *o)
{
    hxe_err err = {0};
    if (hxe_http_client_new(&cli, &loop, o, &err))
        fail_msg("client: %s", err.msg);
}

static int setup(void **state)
{
    (void)state;
    memset(&S, 0, sizeof S);
    srv = NULL;
    srv_tls = NULL;
    cli = NULL;
    srv_stopped = cli_closed = 0;
    hxe_log_set_level(HXE_LOG_OFF);
    signal(SIGPIPE, SIG_IGN);
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    if (cli && !cli_closed) {
        hxe_http_client_close(cli, on_cli_closed, NULL);
        assert_true(pump(is_cli_closed, NULL, 2000));
    }
    if (srv && !srv_stopped) {
        hxe_http_server_stop(srv, 0, on_srv_stopped, NULL);
        assert_true(pump(is_srv_stopped, NULL, 2000));
    }
    for (size_t i = 0; i < S.n; i++)
        if (!S.done[i])
            hxe_http_discard(S.req[i]);
    hxe_tls_free(srv_tls);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- calls ---- */
typedef struct res {
    int done;
    int outcome, status, reused;
    char body[256];
    size_t body_len;
    char location[64];
    char reason[256];
} res;

static void on_done(hxe_http_client *c, const hxe_http_result *r, void *data)
{
    (void)c;
    res *o = data;
    assert_false(o->done);   /* exactly once */
    o->done = 1;
    o->outcome = r->outcome;
    o->status = r->status;
    o->reused = r->reused;
    o->body_len = r->body_len;
    snprintf(o->body, sizeof o->body, "%.*s", (int)r->body_len, r->body);
    hxe_slice v;
    if (hxe_http_header_find(r->headers, r->n_headers, "location", &v))
        snprintf(o->location, sizeof o->location, "%.*s", (int)v.n, v.p);
    snprintf(o->reason, sizeof o->reason, "%s", r->reason);
}

static int is_done(void *arg) { return ((res *)arg)->done; }

static void send_call(const char *method, const char *url, const char *idem, const char *body,
                      uint64_t timeout_ms, res *o)
{
    memset(o, 0, sizeof *o);
    hxe_http_header h[] = {{{"Content-Type", 12}, {"application/fhir+json", 21}},
                           {{"Idempotency-Key", 15}, {idem ? idem : "", idem ? strlen(idem) : 0}}};
    hxe_http_call call = {method, url, h, idem ? 2 : 1, body, body ? strlen(body) : 0, timeout_ms};
    hxe_err err = {0};
    if (hxe_http_client_send(cli, &call, on_done, o, &err))
        fail_msg("send: %s", err.msg);
    assert_false(o->done);   /* never from inside send */
}

static void call_and_wait(const char *method, const char *url, const char *idem, const char *body,
                          res *o)
{
    send_call(method, url, idem, body, 0, o);
    assert_true(pump(is_done, o, 10000));
}

static const char *url(const char *scheme, const char *p)
{
    static char buf[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s://127.0.0.1:%d%s", scheme, hxe_http_server_port(srv), p);
    return buf[k];
}

/* ---- the tests ---- */

static void statuses_bodies_and_reuse(void **state)
{
    (void)state;
    start_server(0, NULL);
    start_client(NULL);
    res r;
    call_and_wait("POST", url("http", "/fhir"), "msg-1/dest-2", "{\"resourceType\":\"Bundle\"}", &r);
    assert_int_equal(r.outcome, HXE_HTTP_RESPONSE);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "got 25 bytes as request 1");
    assert_string_equal(r.location, "/fhir/Bundle/1");
    assert_false(r.reused);
    assert_string_equal(S.idem[0], "msg-1/dest-2");
    assert_string_equal(S.body[0], "{\"resourceType\":\"Bundle\"}");
    assert_string_equal(S.method[0], "POST");
    assert_false(hxe_http_result_retryable(&(hxe_http_result){.outcome = r.outcome, .status = r.status}));
    /* PUT, then statuses: each over the same kept connection */
    call_and_wait("PUT", url("http", "/status/201"), "k2", "x", &r);
    assert_int_equal(r.status, 201);
    assert_true(r.reused);
    assert_string_equal(S.method[1], "PUT");
    assert_string_equal(S.idem[1], "k2");
    const int codes[] = {404, 422, 429, 500, 503};
    const int retry[] = {0, 0, 1, 1, 1};
    for (size_t i = 0; i < 5; i++) {
        char p[32];
        snprintf(p, sizeof p, "/status/%d", codes[i]);
        call_and_wait("POST", url("http", p), "k", "", &r);
        assert_int_equal(r.outcome, HXE_HTTP_RESPONSE);
        assert_int_equal(r.status, codes[i]);
        assert_true(r.reused);
        hxe_http_result hr = {.outcome = r.outcome, .status = r.status};
        assert_int_equal(hxe_http_result_retryable(&hr), retry[i]);
    }
    call_and_wait("GET", url("http", "/g?x=1"), NULL, NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(S.method[7], "GET");
    hxe_http_server_stats st;
    hxe_http_server_stats_get(srv, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.requests, 8);
    hxe_http_client_stats cs;
    hxe_http_client_stats_get(cli, &cs);
    assert_int_equal(cs.sent, 8);
    assert_int_equal(cs.responses, 8);
    assert_int_equal(cs.connects, 1);
    assert_int_equal(cs.active, 0);
}

static void many_at_once(void **state)
{
    (void)state;
    start_server(0, NULL);
    hxe_http_client_opts o = {0};
    o.max_host_connections = 4;
    start_client(&o);
    enum { N = 40 };
    static res r[N];
    char idem[N][16];
    for (int i = 0; i < N; i++) {
        snprintf(idem[i], sizeof idem[i], "key-%d", i);
        send_call("POST", url("http", "/m"), idem[i], "payload", 0, &r[i]);
    }
    for (int i = 0; i < N; i++) {
        assert_true(pump(is_done, &r[i], 10000));
        assert_int_equal(r[i].outcome, HXE_HTTP_RESPONSE);
        assert_int_equal(r[i].status, 200);
    }
    /* every key arrived exactly once */
    for (int i = 0; i < N; i++) {
        int seen = 0;
        for (size_t k = 0; k < S.n; k++)
            seen += !strcmp(S.idem[k], idem[i]);
        assert_int_equal(seen, 1);
    }
    hxe_http_server_stats st;
    hxe_http_server_stats_get(srv, &st);
    assert_true(st.connections <= 4);
}

static void timeout_and_refused(void **state)
{
    (void)state;
    start_server(0, NULL);
    start_client(NULL);
    S.hold = 1;
    res r;
    uint64_t t0 = now_ms();
    send_call("POST", url("http", "/never"), "k", "x", 200, &r);
    assert_true(pump(is_done, &r, 5000));
    assert_int_equal(r.outcome, HXE_HTTP_TIMEOUT);
    assert_true(now_ms() - t0 >= 190);
    assert_int_equal(S.n, 1);   /* it did arrive; the answer never came */
    assert_true(r.reason[0] != '\0');
    assert_true(hxe_http_result_retryable(&(hxe_http_result){.outcome = r.outcome}));
    /* nobody listening: a port that was just free */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    socklen_t len = sizeof sa;
    getsockname(fd, (struct sockaddr *)&sa, &len);
    close(fd);
    char u[64];
    snprintf(u, sizeof u, "http://127.0.0.1:%d/x", ntohs(sa.sin_port));
    call_and_wait("POST", u, "k", "x", &r);
    assert_int_equal(r.outcome, HXE_HTTP_CONNECT_ERROR);
    assert_int_equal(r.status, 0);
    hxe_http_client_stats cs;
    hxe_http_client_stats_get(cli, &cs);
    assert_int_equal(cs.failures, 2);
}

static void response_too_big(void **state)
{
    (void)state;
    start_server(0, NULL);
    hxe_http_client_opts o = {0};
    o.max_response = 1000;
    start_client(&o);
    S.big = 1000;
    res r;
    call_and_wait("POST", url("http", "/big"), "k", "x", &r);
    assert_int_equal(r.outcome, HXE_HTTP_RESPONSE);
    assert_int_equal(r.body_len, 1000);
    S.big = 1001;
    call_and_wait("POST", url("http", "/big"), "k", "x", &r);
    assert_int_equal(r.outcome, HXE_HTTP_TOO_BIG);
    assert_false(hxe_http_result_retryable(&(hxe_http_result){.outcome = r.outcome}));
}

static void cancel_on_close(void **state)
{
    (void)state;
    start_server(0, NULL);
    start_client(NULL);
    S.hold = 1;
    res r1, r2;
    send_call("POST", url("http", "/a"), "k1", "x", 0, &r1);
    send_call("POST", url("http", "/b"), "k2", "y", 0, &r2);
    size_t two = 2;
    (void)two;
    pump(NULL, NULL, 50);
    hxe_http_client_close(cli, on_cli_closed, NULL);
    assert_true(r1.done && r2.done);
    assert_int_equal(r1.outcome, HXE_HTTP_CANCELLED);
    assert_int_equal(r2.outcome, HXE_HTTP_CANCELLED);
    assert_true(pump(is_cli_closed, NULL, 2000));
}

static void bad_calls(void **state)
{
    (void)state;
    start_client(NULL);
    hxe_err err = {0};
    res r;
    hxe_http_call call = {"POST", "ftp://127.0.0.1/x", NULL, 0, NULL, 0, 0};
    assert_int_equal(hxe_http_client_send(cli, &call, on_done, &r, &err), HXE_EINVAL);
    call.url = NULL;
    assert_int_equal(hxe_http_client_send(cli, &call, on_done, &r, &err), HXE_EINVAL);
    hxe_http_header h = {{"X-A", 3}, {"a\r\nX-B: b", 9}};
    hxe_http_call c2 = {"POST", "http://127.0.0.1:1/x", &h, 1, NULL, 0, 0};
    assert_int_equal(hxe_http_client_send(cli, &c2, on_done, &r, &err), HXE_EINVAL);
    c2.n_headers = 0;
    c2.method = "PO ST";
    assert_int_equal(hxe_http_client_send(cli, &c2, on_done, &r, &err), HXE_EINVAL);
    hxe_http_client *c = NULL;
    hxe_http_client_opts o = {0};
    o.tls_min_version = 11;
    assert_int_equal(hxe_http_client_new(&c, &loop, &o, &err), HXE_EINVAL);
    o.tls_min_version = 0;
    o.cert_file = "x.pem";
    assert_int_equal(hxe_http_client_new(&c, &loop, &o, &err), HXE_EINVAL);
    assert_null(c);
}

static void tls_verified(void **state)
{
    (void)state;
    start_server(1, "server");
    hxe_http_client_opts o = {0};
    o.ca_file = path("ca.pem");
    start_client(&o);
    res r;
    call_and_wait("POST", url("https", "/fhir"), "tls-1", "{}", &r);
    assert_int_equal(r.outcome, HXE_HTTP_RESPONSE);
    assert_int_equal(r.status, 200);
    assert_string_equal(S.idem[0], "tls-1");
    call_and_wait("POST", url("https", "/fhir"), "tls-2", "{}", &r);
    assert_int_equal(r.status, 200);
    assert_true(r.reused);
    /* the same server is refused by a client that trusts another CA */
    hxe_http_client *other = cli;
    hxe_http_client_close(other, NULL, NULL);
    o.ca_file = path("other-ca.pem");
    start_client(&o);
    call_and_wait("POST", url("https", "/fhir"), "tls-3", "{}", &r);
    assert_int_equal(r.outcome, HXE_HTTP_TLS_ERROR);
    assert_non_null(strstr(r.reason, "certificate"));
    assert_int_equal(S.n, 2);
    hxe_http_server_stats st;
    hxe_http_server_stats_get(srv, &st);
    assert_int_equal(st.requests, 2);
}

static void tls_unknown_ca(void **state)
{
    (void)state;
    /* a server whose certificate names 127.0.0.1 but comes from a CA the
     * client does not know */
    start_server(1, "impostor");
    hxe_http_client_opts o = {0};
    o.ca_file = path("ca.pem");
    start_client(&o);
    res r;
    call_and_wait("POST", url("https", "/fhir"), "k", "{}", &r);
    assert_int_equal(r.outcome, HXE_HTTP_TLS_ERROR);
    assert_false(hxe_http_result_retryable(&(hxe_http_result){.outcome = r.outcome}));
    assert_int_equal(S.n, 0);
    /* plain HTTP to a TLS port is not a response either */
    call_and_wait("POST", url("http", "/fhir"), "k", "{}", &r);
    assert_true(r.outcome != HXE_HTTP_RESPONSE);
    assert_int_equal(S.n, 0);
}

static void mutual_tls(void **state)
{
    (void)state;
    start_server(2, "server");
    hxe_http_client_opts o = {0};
    o.ca_file = path("ca.pem");
    o.cert_file = path("client.pem");
    o.key_file = path("client.key");
    start_client(&o);
    res r;
    call_and_wait("PUT", url("https", "/m"), "mtls", "{}", &r);
    assert_int_equal(r.outcome, HXE_HTTP_RESPONSE);
    assert_int_equal(r.status, 200);
    hxe_http_client_close(cli, NULL, NULL);
    /* no client certificate: refused */
    o.cert_file = o.key_file = NULL;
    start_client(&o);
    call_and_wait("PUT", url("https", "/m"), "mtls", "{}", &r);
    assert_true(r.outcome == HXE_HTTP_TLS_ERROR || r.outcome == HXE_HTTP_IO_ERROR);
    assert_int_equal(S.n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(statuses_bodies_and_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(many_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(timeout_and_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(response_too_big, setup, teardown),
        cmocka_unit_test_setup_teardown(cancel_on_close, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_verified, setup, teardown),
        cmocka_unit_test_setup_teardown(tls_unknown_ca, setup, teardown),
        cmocka_unit_test_setup_teardown(mutual_tls, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
