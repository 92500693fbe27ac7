/*
 * test_net_tls.c — MLLP over TLS with certificates made here at run time
 * (OpenSSL API): a CA, a server certificate for 127.0.0.1, a client
 * certificate, and a second CA that nobody trusts. TLS 1.3 by default,
 * mutual TLS, clients without a certificate or with one from the other
 * CA refused, a server the client cannot verify (wrong CA, wrong name)
 * refused, plain bytes on a TLS port, and bad TLS configuration.
 */
#include "helpers/loop_testutil.h"
#include "helpers/testutil.h"
#include "helpers/tls_testutil.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uv_loop_t loop;
static char dir[256];


#define pump(cond, arg, ms) tu_pump(&loop, (cond), (arg), (ms))

/* ---- certificates ---- */
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

static int group_setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hxe-tls-XXXXXX");
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
    make_cert("stranger", "hxe test client", NULL, 0, other, other_key, &x, &k);
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
    static const char *const names[] = {"ca", "other-ca", "server", "client", "stranger"};
    for (size_t i = 0; i < 5; i++) {
        char fn[64];
        snprintf(fn, sizeof fn, "%s.pem", names[i]);
        unlink(path(fn));
        snprintf(fn, sizeof fn, "%s.key", names[i]);
        unlink(path(fn));
    }
    rmdir(dir);
    return 0;
}

/* ---- a listener that answers AA at once ---- */
static hxe_mllp_server *srv;
static hxe_tls_ctx *srv_tls;
static int stopped;
static size_t received;

static void on_msg(hxe_mllp_server *s, hxe_mllp_req *req, const char *m, size_t n, void *data)
{
    (void)s;
    (void)data;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_hl7_msg *msg = NULL;
    hxe_buf ack = HXE_BUF_INIT;
    int rc = hxe_hl7_parse(&msg, &a, m, n, NULL, &is, NULL);
    assert_int_equal(hxe_hl7_ack(rc ? NULL : msg, m, n, &is, NULL, &ack), 0);
    assert_int_equal(hxe_mllp_respond(req, ack.p, ack.len), 0);
    received++;
    hxe_buf_free(&ack);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

static void on_stopped(hxe_mllp_server *s, void *data)
{
    (void)s;
    (void)data;
    stopped = 1;
}
static int is_stopped(void *arg) { (void)arg; return stopped; }

static void start_server(int mutual)
{
    hxe_tls_opts t = {path("server.pem"), path("server.key"), mutual ? path("ca.pem") : NULL,
                      mutual, 0};
    hxe_err err = {0};
    if (hxe_tls_new(&srv_tls, HXE_TLS_SERVER, &t, &err))
        fail_msg("%s", err.msg);
    hxe_mllp_server_opts o = {0};
    o.tls = srv_tls;
    o.handshake_timeout_ms = 2000;
    if (hxe_mllp_server_new(&srv, &loop, &o, on_msg, NULL, &err))
        fail_msg("%s", err.msg);
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
    srv = NULL;
    srv_tls = NULL;
    stopped = 0;
    received = 0;
    hxe_log_set_level(HXE_LOG_OFF);
    signal(SIGPIPE, SIG_IGN);   /* a write to a closed socket is an error, not death */
    return uv_loop_init(&loop);
}

static int teardown(void **state)
{
    (void)state;
    if (srv) {
        hxe_mllp_server_stop(srv, 0, on_stopped, NULL);
        assert_true(pump(is_stopped, NULL, 2000));
    }
    hxe_tls_free(srv_tls);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    return 0;
}

/* ---- one message through a TLS sender ---- */
typedef struct one {
    int done, outcome;
    char code[3];
    char reason[200];
    int closed;
} one;

static void on_result(hxe_mllp_client *c, const hxe_mllp_result *r, void *data)
{
    (void)c;
    one *o = data;
    o->done = 1;
    o->outcome = r->outcome;
    memcpy(o->code, r->code, 3);
    snprintf(o->reason, sizeof o->reason, "%s", r->reason);
}
static int is_done(void *arg) { return ((one *)arg)->done; }
static void on_closed(hxe_mllp_client *c, void *data)
{
    (void)c;
    ((one *)data)->closed = 1;
}
static int is_closed(void *arg) { return ((one *)arg)->closed; }

#define MSG "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|T1|P|2.5.1\rPID|1||9^^^H^MR\r"

/* Sends MSG with a client made of these files; returns the outcome. */
static int send_one(const char *ca, const char *cert, const char *key, const char *host,
                    const char *server_name, one *o)
{
    memset(o, 0, sizeof *o);
    hxe_tls_opts t = {cert, key, ca, 0, 0};
    hxe_tls_ctx *tls = NULL;
    hxe_err err = {0};
    if (hxe_tls_new(&tls, HXE_TLS_CLIENT, &t, &err))
        fail_msg("%s", err.msg);
    hxe_mllp_client_opts co = {0};
    co.host = host;
    co.port = hxe_mllp_server_port(srv);
    co.tls = tls;
    co.server_name = server_name;
    co.ack_timeout_ms = 3000;
    hxe_mllp_client *c = NULL;
    assert_int_equal(hxe_mllp_client_new(&c, &loop, &co, &err), 0);
    assert_int_equal(hxe_mllp_client_send(c, MSG, strlen(MSG), on_result, o, &err), 0);
    assert_true(pump(is_done, o, 5000));
    hxe_mllp_client_close(c, on_closed, o);
    assert_true(pump(is_closed, o, 2000));
    hxe_tls_free(tls);
    return o->outcome;
}

static void tls13_exchange(void **state)
{
    (void)state;
    start_server(0);
    one o;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(send_one(path("ca.pem"), NULL, NULL, "127.0.0.1", NULL, &o),
                         HXE_MLLP_ACCEPTED);
        assert_string_equal(o.code, "AA");
    }
    assert_int_equal(received, 3);
    assert_int_equal(stats().tls_failures, 0);
}

/* A raw OpenSSL client in its own thread (blocking socket) while the
 * listener's loop runs here: which protocol versions are accepted. */
typedef struct probe {
    int port;
    int max_version;
    int ok;
    int version;
    atomic_int finished;
} probe;

static void *probe_run(void *arg)
{
    probe *p = arg;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, p->max_version);
    SSL_CTX_load_verify_locations(ctx, path("ca.pem"), NULL);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p->port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {3, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        SSL *ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        p->ok = SSL_connect(ssl) == 1;
        if (p->ok) {
            p->version = SSL_version(ssl);
            SSL_shutdown(ssl);
        }
        SSL_free(ssl);
    }
    close(fd);
    SSL_CTX_free(ctx);
    atomic_store(&p->finished, 1);
    return NULL;
}

static int probe_done(void *arg) { return atomic_load(&((probe *)arg)->finished); }

static void run_probe(probe *p)
{
    pthread_t th;
    p->port = hxe_mllp_server_port(srv);
    assert_int_equal(pthread_create(&th, NULL, probe_run, p), 0);
    assert_true(pump(probe_done, p, 5000));
    pthread_join(th, NULL);
}

static int one_failure(void *arg) { (void)arg; return stats().tls_failures >= 1; }

static void tls13_is_the_minimum(void **state)
{
    (void)state;
    start_server(0);
    probe p13 = {.max_version = TLS1_3_VERSION};
    run_probe(&p13);
    assert_true(p13.ok);
    assert_int_equal(p13.version, TLS1_3_VERSION);
    probe p12 = {.max_version = TLS1_2_VERSION};
    run_probe(&p12);
    assert_false(p12.ok);
    assert_true(pump(one_failure, NULL, 2000));

    /* configurable down to 1.2 for old peers */
    hxe_mllp_server_stop(srv, 0, on_stopped, NULL);
    assert_true(pump(is_stopped, NULL, 2000));
    hxe_tls_free(srv_tls);
    stopped = 0;
    hxe_tls_opts t = {path("server.pem"), path("server.key"), NULL, 0, 12};
    hxe_err err = {0};
    assert_int_equal(hxe_tls_new(&srv_tls, HXE_TLS_SERVER, &t, &err), 0);
    hxe_mllp_server_opts o = {0};
    o.tls = srv_tls;
    assert_int_equal(hxe_mllp_server_new(&srv, &loop, &o, on_msg, NULL, &err), 0);
    probe p12b = {.max_version = TLS1_2_VERSION};
    run_probe(&p12b);
    assert_true(p12b.ok);
    assert_int_equal(p12b.version, TLS1_2_VERSION);
}

static void mutual_tls(void **state)
{
    (void)state;
    start_server(1);
    one o;
    assert_int_equal(send_one(path("ca.pem"), path("client.pem"), path("client.key"), "127.0.0.1",
                              NULL, &o),
                     HXE_MLLP_ACCEPTED);
    assert_int_equal(received, 1);
    /* no client certificate */
    assert_int_equal(send_one(path("ca.pem"), NULL, NULL, "127.0.0.1", NULL, &o),
                     HXE_MLLP_CONN_ERROR);
    assert_non_null(strstr(o.reason, "TLS"));
    /* a certificate from a CA the server does not trust */
    assert_int_equal(send_one(path("ca.pem"), path("stranger.pem"), path("stranger.key"),
                              "127.0.0.1", NULL, &o),
                     HXE_MLLP_CONN_ERROR);
    assert_int_equal(received, 1);
    pump(NULL, NULL, 20);
    assert_int_equal(stats().tls_failures, 2);
    /* and the listener still serves good clients */
    assert_int_equal(send_one(path("ca.pem"), path("client.pem"), path("client.key"), "127.0.0.1",
                              NULL, &o),
                     HXE_MLLP_ACCEPTED);
}

static void client_verifies_the_server(void **state)
{
    (void)state;
    start_server(0);
    one o;
    /* signed by a CA the client does not trust */
    assert_int_equal(send_one(path("other-ca.pem"), NULL, NULL, "127.0.0.1", NULL, &o),
                     HXE_MLLP_CONN_ERROR);
    assert_non_null(strstr(o.reason, "certificate"));
    /* the right CA, but the certificate is for 127.0.0.1, not this name */
    assert_int_equal(send_one(path("ca.pem"), NULL, NULL, "127.0.0.1", "mllp.example.org", &o),
                     HXE_MLLP_CONN_ERROR);
    assert_non_null(strstr(o.reason, "certificate"));
    assert_int_equal(received, 0);
}

static int one_conn_closed(void *arg)
{
    (void)arg;
    hxe_mllp_server_stats st = stats();
    return st.connections == 1 && st.open == 0;
}

static void plain_bytes_on_tls_port(void **state)
{
    (void)state;
    start_server(0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)hxe_mllp_server_port(srv));
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    const char frame[] = "\x0b" MSG "\x1c\r";
    assert_int_equal(send(fd, frame, sizeof frame - 1, MSG_NOSIGNAL), (ssize_t)(sizeof frame - 1));
    assert_true(pump(one_conn_closed, NULL, 3000));
    assert_int_equal(stats().tls_failures, 1);
    assert_int_equal(received, 0);
    close(fd);
    one o;
    assert_int_equal(send_one(path("ca.pem"), NULL, NULL, "127.0.0.1", NULL, &o), HXE_MLLP_ACCEPTED);
}

static void bad_configuration(void **state)
{
    (void)state;
    hxe_tls_ctx *t = NULL;
    hxe_err err = {0};
    hxe_tls_opts o = {path("server.pem"), path("missing.key"), NULL, 0, 0};
    assert_int_equal(hxe_tls_new(&t, HXE_TLS_SERVER, &o, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "missing.key"));
    assert_null(t);
    hxe_tls_opts wrong = {path("server.pem"), path("client.key"), NULL, 0, 0};
    assert_int_equal(hxe_tls_new(&t, HXE_TLS_SERVER, &wrong, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "client.key"));
    assert_non_null(strstr(err.msg, "mismatch"));
    hxe_tls_opts no_ca = {path("server.pem"), path("server.key"), NULL, 1, 0};
    assert_int_equal(hxe_tls_new(&t, HXE_TLS_SERVER, &no_ca, &err), HXE_EINVAL);
    hxe_tls_opts no_cert = {NULL, NULL, NULL, 0, 0};
    assert_int_equal(hxe_tls_new(&t, HXE_TLS_SERVER, &no_cert, &err), HXE_EINVAL);
    hxe_tls_opts v11 = {NULL, NULL, path("ca.pem"), 0, 11};
    assert_int_equal(hxe_tls_new(&t, HXE_TLS_CLIENT, &v11, &err), HXE_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tls13_exchange, setup, teardown),
        cmocka_unit_test_setup_teardown(tls13_is_the_minimum, setup, teardown),
        cmocka_unit_test_setup_teardown(mutual_tls, setup, teardown),
        cmocka_unit_test_setup_teardown(client_verifies_the_server, setup, teardown),
        cmocka_unit_test_setup_teardown(plain_bytes_on_tls_port, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_configuration, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
