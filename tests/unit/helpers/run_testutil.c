/*
 * run_testutil.c — helpers for the channel runtime tests (see
 * run_testutil.h). Linked into every test binary; only test_run_*.c use
 * it.
 */
#include "run_testutil.h"

#include "hl7v2/hl7v2.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t rt_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void rt_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

int rt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ---- files ---- */

int rt_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs(text, f);
    return fclose(f) == 0 ? 0 : -1;
}

void rt_rmtree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        unlink(dir);
        return;
    }
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rt_rmtree(p);
        else
            unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

size_t rt_count_files(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            n++;
    if (d)
        closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n < 2048) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (b)
        b[n] = 0;
    if (len)
        *len = n;
    return b;
}

size_t rt_file_count(const char *path, const char *needle)
{
    char *b = slurp(path, NULL);
    size_t n = 0;
    for (char *p = b; p && (p = strstr(p, needle)); p += strlen(needle))
        n++;
    free(b);
    return n;
}

int rt_file_has(const char *path, const char *needle) { return rt_file_count(path, needle) > 0; }

/* ---- hxe serve ---- */

pid_t rt_serve_start(const char *cfg, const char *cwd, const char *logfile)
{
    const char *bin = getenv("HXE_BIN");
    if (!bin)
        return -1;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (cwd && chdir(cwd) != 0)
        _exit(126);
    int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        close(null);
    }
    execl(bin, bin, "serve", cfg, (char *)NULL);
    _exit(127);
}

int rt_wait_port(int port, int timeout_ms)
{
    uint64_t end = rt_now_ms() + (uint64_t)timeout_ms;
    while (rt_now_ms() < end) {
        int fd = rt_connect(port, 200);
        if (fd >= 0) {
            close(fd);
            return 0;
        }
        rt_sleep_ms(20);
    }
    return -1;
}

int rt_serve_stop(pid_t pid, int sig, int timeout_ms)
{
    if (pid <= 0)
        return -1;
    kill(pid, sig);
    uint64_t end = rt_now_ms() + (uint64_t)timeout_ms;
    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        if (w == pid)
            break;
        if (rt_now_ms() > end) {
            kill(pid, SIGKILL);
            waitpid(pid, &st, 0);
            return -1;
        }
        rt_sleep_ms(10);
    }
    if (WIFEXITED(st))
        return WEXITSTATUS(st);
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return -1;
}

/* ---- blocking client ---- */

int rt_connect(int port, int timeout_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
    if (rc != 0 && errno == EINPROGRESS) {
        struct pollfd p = {fd, POLLOUT, 0};
        int err = 0;
        socklen_t el = sizeof err;
        if (poll(&p, 1, timeout_ms) == 1 &&
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 && err == 0)
            rc = 0;
    }
    if (rc != 0) {
        close(fd);
        return -1;
    }
    fcntl(fd, F_SETFL, fl);
    return fd;
}

int rt_send_raw(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int rt_send_frame(int fd, const char *msg, size_t n)
{
    char sb = 0x0B, eb[2] = {0x1C, 0x0D};
    if (rt_send_raw(fd, &sb, 1) || rt_send_raw(fd, msg, n) || rt_send_raw(fd, eb, 2))
        return -1;
    return 0;
}

long rt_recv_frame(int fd, char *buf, size_t cap, int timeout_ms)
{
    size_t n = 0;
    int in = 0;
    uint64_t end = rt_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int left = (int)(end > rt_now_ms() ? end - rt_now_ms() : 0);
        struct pollfd p = {fd, POLLIN, 0};
        if (left == 0 || poll(&p, 1, left) != 1)
            return -1;
        char c;
        ssize_t r = recv(fd, &c, 1, 0);
        if (r <= 0)
            return -1;
        if (!in) {
            in = c == 0x0B;
            continue;
        }
        if (c == 0x0D && n > 0 && buf[n - 1] == 0x1C) {
            buf[n - 1] = 0;
            return (long)(n - 1);
        }
        if (n + 1 >= cap)
            return -1;
        buf[n++] = c;
    }
}

void rt_ack_code(const char *ack, char code[3])
{
    code[0] = 0;
    const char *p = strstr(ack, "\rMSA");
    if (p && strlen(p) >= 7) {
        code[0] = p[5];
        code[1] = p[6];
        code[2] = 0;
    }
}

size_t rt_pipeline(int fd, char *const *msgs, const size_t *lens, size_t n, char (*codes)[3],
                   size_t window)
{
    static char buf[1 << 16];
    size_t sent = 0, got = 0;
    while (got < n) {
        while (sent < n && sent - got < window) {
            if (rt_send_frame(fd, msgs[sent], lens[sent]))
                return got;
            sent++;
        }
        if (rt_recv_frame(fd, buf, sizeof buf, 10000) < 0)
            return got;
        rt_ack_code(buf, codes[got++]);
    }
    return got;
}

int rt_exchange(int port, const char *msg, char code[3])
{
    code[0] = 0;
    int fd = rt_connect(port, 2000);
    if (fd < 0)
        return -1;
    static char buf[1 << 16];
    int rc = -1;
    if (rt_send_frame(fd, msg, strlen(msg)) == 0 && rt_recv_frame(fd, buf, sizeof buf, 10000) >= 0) {
        rt_ack_code(buf, code);
        rc = 0;
    }
    close(fd);
    return rc;
}

/* ---- messages ---- */

char *rt_with_control_id(const char *msg, size_t n, const char *control_id, size_t *out_len)
{
    hxe_arena a;
    hxe_arena_init(&a, 16384, 0);
    hxe_hl7_msg *m = NULL;
    char *out = NULL;
    hxe_hl7_path p;
    if (hxe_hl7_parse(&m, &a, msg, n, NULL, NULL, NULL) == 0 &&
        hxe_hl7_path_parse(&p, "MSH-10", 6, NULL) == 0 &&
        hxe_hl7_set(m, &p, control_id, strlen(control_id), HXE_HL7_SET_RAW, NULL) == 0) {
        hxe_buf b = HXE_BUF_INIT;
        if (hxe_hl7_write(m, &b) == 0) {
            out = malloc(b.len + 1);
            memcpy(out, b.p, b.len);
            out[b.len] = 0;
            *out_len = b.len;
        }
        hxe_buf_free(&b);
    }
    hxe_arena_free(&a);
    return out;
}

/* ---- the sink ---- */

struct rt_sink {
    pthread_t th;
    uv_loop_t loop;
    uv_async_t stop;
    hxe_mllp_server *srv;
    int port;
    pthread_mutex_t mu;
    char **ids;
    size_t n, cap;
    char answer[3];
    int ready;
    pthread_cond_t cv;
};

static void sink_msg(hxe_mllp_server *srv, hxe_mllp_req *req, const char *msg, size_t len,
                     void *data)
{
    (void)srv;
    rt_sink *s = data;
    hxe_arena a;
    hxe_arena_init(&a, 16384, 0);
    hxe_hl7_msg *m = NULL;
    hxe_buf ack = HXE_BUF_INIT;
    char code = 'A';
    pthread_mutex_lock(&s->mu);
    code = s->answer[1] ? s->answer[1] : 'A';
    pthread_mutex_unlock(&s->mu);
    if (hxe_hl7_parse(&m, &a, msg, len, NULL, NULL, NULL) == 0) {
        hxe_slice id = hxe_hl7_field(m, 0, 10);
        hxe_hl7_ack_opts o = {HXE_HL7_ACK_APPLICATION, NULL, NULL, NULL, code};
        int rc = hxe_hl7_ack(m, msg, len, NULL, &o, &ack);
        if (rc == 1) {   /* the message asks for no ACK; MLLP wants one */
            hxe_buf_truncate(&ack, 0);
            rc = hxe_hl7_ack(NULL, msg, len, NULL, &o, &ack);
        }
        if (rc == 0 && hxe_mllp_respond(req, ack.p, ack.len) == 0 && code == 'A') {
            pthread_mutex_lock(&s->mu);
            if (s->n == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 256;
                s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
            }
            s->ids[s->n] = malloc(id.n + 1);
            memcpy(s->ids[s->n], id.p, id.n);
            s->ids[s->n][id.n] = 0;
            s->n++;
            pthread_mutex_unlock(&s->mu);
        }
        if (rc == 0)
            req = NULL;
    }
    if (req)
        hxe_mllp_discard(req);
    hxe_buf_free(&ack);
    hxe_arena_free(&a);
}

static void sink_stopped(hxe_mllp_server *srv, void *data)
{
    (void)srv;
    rt_sink *s = data;
    uv_close((uv_handle_t *)&s->stop, NULL);
}

static void sink_stop_cb(uv_async_t *h)
{
    rt_sink *s = h->data;
    hxe_mllp_server_stop(s->srv, 0, sink_stopped, s);
}

static void *sink_main(void *arg)
{
    rt_sink *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

rt_sink *rt_sink_start(int port)
{
    rt_sink *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    uv_loop_init(&s->loop);
    uv_async_init(&s->loop, &s->stop, sink_stop_cb);
    s->stop.data = s;
    hxe_mllp_server_opts o = {0};
    o.port = port;
    o.name = "test-sink";
    hxe_err err;
    if (hxe_mllp_server_new(&s->srv, &s->loop, &o, sink_msg, s, &err) != 0) {
        fprintf(stderr, "sink: %s\n", err.msg);
        uv_close((uv_handle_t *)&s->stop, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        free(s);
        return NULL;
    }
    s->port = hxe_mllp_server_port(s->srv);
    pthread_create(&s->th, NULL, sink_main, s);
    return s;
}

int rt_sink_port(const rt_sink *s) { return s->port; }

void rt_sink_set_answer(rt_sink *s, const char *code)
{
    pthread_mutex_lock(&s->mu);
    snprintf(s->answer, sizeof s->answer, "%s", code ? code : "");
    pthread_mutex_unlock(&s->mu);
}

size_t rt_sink_count(rt_sink *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

size_t rt_sink_ids(rt_sink *s, char ***out)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    char **v = calloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = strdup(s->ids[i]);
    pthread_mutex_unlock(&s->mu);
    *out = v;
    return n;
}

/* Waits until count(obj) reaches n; 0, or -1 after timeout_ms. */
static int wait_count(size_t (*count)(void *), void *obj, size_t n, int timeout_ms)
{
    uint64_t end = rt_now_ms() + (uint64_t)timeout_ms;
    while (count(obj) < n) {
        if (rt_now_ms() > end)
            return -1;
        rt_sleep_ms(20);
    }
    return 0;
}

static size_t sink_count(void *s) { return rt_sink_count(s); }

int rt_sink_wait(rt_sink *s, size_t n, int timeout_ms)
{
    return wait_count(sink_count, s, n, timeout_ms);
}

void rt_sink_stop(rt_sink *s)
{
    if (!s)
        return;
    uv_async_send(&s->stop);
    pthread_join(s->th, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    for (size_t i = 0; i < s->n; i++)
        free(s->ids[i]);
    free(s->ids);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---- certificates (as tests/unit/test_net_tls.c makes them) ---- */

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ex)
        return -1;
    X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
    return 0;
}

static int make_cert(const char *dir, const char *name, const char *cn, const char *san,
                     int is_ca, X509 *issuer, EVP_PKEY *issuer_key, X509 **cert_out,
                     EVP_PKEY **key_out)
{
    static long serial = 1000;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    if (!key)
        return -1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509 *signer = issuer ? issuer : x;
    int bad = 0;
    if (is_ca) {
        bad |= add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
        bad |= add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        bad |= add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
        bad |= add_ext(x, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    bad |= add_ext(x, signer, NID_subject_key_identifier, "hash");
    if (san)
        bad |= add_ext(x, signer, NID_subject_alt_name, san);
    if (bad || X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) <= 0) {
        X509_free(x);
        EVP_PKEY_free(key);
        return -1;
    }
    char fn[512];
    snprintf(fn, sizeof fn, "%s/%s.pem", dir, name);
    FILE *f = fopen(fn, "w");
    if (f) {
        PEM_write_X509(f, x);
        fclose(f);
    }
    snprintf(fn, sizeof fn, "%s/%s.key", dir, name);
    f = fopen(fn, "w");
    if (f) {
        PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
        fclose(f);
    }
    *cert_out = x;
    *key_out = key;
    return 0;
}

int rt_make_certs(const char *dir)
{
    X509 *ca = NULL, *other = NULL, *x = NULL;
    EVP_PKEY *ca_key = NULL, *other_key = NULL, *k = NULL;
    int rc = -1;
    if (make_cert(dir, "ca", "hxe run test CA", NULL, 1, NULL, NULL, &ca, &ca_key) ||
        make_cert(dir, "other-ca", "another CA", NULL, 1, NULL, NULL, &other, &other_key))
        goto out;
    if (make_cert(dir, "server", "127.0.0.1", "IP:127.0.0.1", 0, ca, ca_key, &x, &k))
        goto out;
    X509_free(x);
    EVP_PKEY_free(k);
    if (make_cert(dir, "client", "hxe run test client", NULL, 0, ca, ca_key, &x, &k))
        goto out;
    X509_free(x);
    EVP_PKEY_free(k);
    if (make_cert(dir, "stranger", "hxe run test client", NULL, 0, other, other_key, &x, &k))
        goto out;
    X509_free(x);
    EVP_PKEY_free(k);
    rc = 0;
out:
    X509_free(ca);
    X509_free(other);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(other_key);
    return rc;
}

/* ---- HTTP ---- */

pid_t rt_serve_start_opt(const char *cfg, const char *cwd, const char *logfile, const char *opt,
                         const char *value)
{
    const char *bin = getenv("HXE_BIN");
    if (!bin)
        return -1;
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    if (cwd && chdir(cwd) != 0)
        _exit(126);
    int fd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        dup2(null, 0);
        dup2(null, 1);
        close(null);
    }
    execl(bin, bin, "serve", opt, value, cfg, (char *)NULL);
    _exit(127);
}

int rt_http_post(int port, const char *path, const char *ctype, const char *body, size_t n,
                 char *resp, size_t cap, int timeout_ms)
{
    int fd = rt_connect(port, timeout_ms);
    if (fd < 0)
        return -1;
    char head[1024];
    int hn = snprintf(head, sizeof head,
                      "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s%s%sContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      path, port, ctype ? "Content-Type: " : "", ctype ? ctype : "",
                      ctype ? "\r\n" : "", n);
    if (rt_send_raw(fd, head, (size_t)hn) || (n && rt_send_raw(fd, body, n))) {
        close(fd);
        return -1;
    }
    size_t got = 0, bcap = 1 << 16;
    char *buf = malloc(bcap + 1);
    uint64_t end = rt_now_ms() + (uint64_t)timeout_ms;
    for (;;) {
        int left = (int)(end - rt_now_ms());
        struct pollfd pf = {fd, POLLIN, 0};
        if (left <= 0 || poll(&pf, 1, left) <= 0)
            break;
        if (got == bcap) {
            bcap *= 2;
            buf = realloc(buf, bcap + 1);
        }
        ssize_t r = read(fd, buf + got, bcap - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = 0;
    int status = -1;
    if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
        status = -1;
    char *b = strstr(buf, "\r\n\r\n");
    if (resp && cap) {
        snprintf(resp, cap, "%s", b ? b + 4 : "");
    }
    free(buf);
    return status;
}

struct rt_hsink {
    pthread_t th;
    uv_loop_t loop;
    uv_async_t stop;
    hxe_http_server *srv;
    int port;
    pthread_mutex_t mu;
    rt_hreq *v;
    size_t n, cap;
    int script[64];
    size_t nscript, pos;
    char retry_after[32];
    char header[64];
    hxe_http_req *held[16];
    size_t nheld;
};

static void hsink_req(hxe_http_server *srv, hxe_http_req *req, const hxe_http_request *r,
                      void *data)
{
    (void)srv;
    rt_hsink *s = data;
    rt_hreq q;
    memset(&q, 0, sizeof q);
    q.at_ms = rt_now_ms();
    snprintf(q.method, sizeof q.method, "%s", r->method);
    hxe_slice v;
    if (hxe_http_header_find(r->headers, r->n_headers, "Idempotency-Key", &v))
        snprintf(q.key, sizeof q.key, "%.*s", (int)v.n, v.p);
    if (hxe_http_header_find(r->headers, r->n_headers, "Content-Type", &v))
        snprintf(q.ctype, sizeof q.ctype, "%.*s", (int)v.n, v.p);
    hxe_arena a;
    hxe_arena_init(&a, 16384, 0);
    hxe_hl7_msg *m = NULL;
    if (hxe_hl7_parse(&m, &a, r->body.p, r->body.n, NULL, NULL, NULL) == 0) {
        hxe_slice id = hxe_hl7_field(m, 0, 10);
        snprintf(q.control_id, sizeof q.control_id, "%.*s", (int)id.n, id.p);
    }
    hxe_arena_free(&a);
    pthread_mutex_lock(&s->mu);
    if (s->header[0] && hxe_http_header_find(r->headers, r->n_headers, s->header, &v))
        snprintf(q.header, sizeof q.header, "%.*s", (int)v.n, v.p);
    q.status = s->pos < s->nscript ? s->script[s->pos++] : 200;
    char ra[32];
    snprintf(ra, sizeof ra, "%s", s->retry_after);
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->v = realloc(s->v, s->cap * sizeof *s->v);
    }
    s->v[s->n++] = q;
    pthread_mutex_unlock(&s->mu);
    if (q.status == 0) {
        pthread_mutex_lock(&s->mu);
        if (s->nheld < 16) {
            s->held[s->nheld++] = req;
            req = NULL;
        }
        pthread_mutex_unlock(&s->mu);
        if (req)
            hxe_http_discard(req);
        return;
    }
    hxe_http_header h[2] = {{{"Content-Type", 12}, {"text/plain", 10}},
                            {{"Retry-After", 11}, {ra, strlen(ra)}}};
    const char *body = q.status == 200 ? "OK from sink" : "not now";
    hxe_http_respond(req, q.status, h, q.status != 200 && ra[0] ? 2 : 1, body, strlen(body));
}

static void hsink_stopped(hxe_http_server *srv, void *data)
{
    (void)srv;
    rt_hsink *s = data;
    uv_close((uv_handle_t *)&s->stop, NULL);
}

static void hsink_stop_cb(uv_async_t *h)
{
    rt_hsink *s = h->data;
    for (size_t i = 0; i < s->nheld; i++)
        hxe_http_discard(s->held[i]);
    s->nheld = 0;
    hxe_http_server_stop(s->srv, 0, hsink_stopped, s);
}

static void *hsink_main(void *arg)
{
    rt_hsink *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    return NULL;
}

rt_hsink *rt_hsink_start(const char *header_name)
{
    rt_hsink *s = calloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->header, sizeof s->header, "%s", header_name ? header_name : "");
    uv_loop_init(&s->loop);
    uv_async_init(&s->loop, &s->stop, hsink_stop_cb);
    s->stop.data = s;
    hxe_http_server_opts o = {0};
    o.name = "test-hsink";
    hxe_err err;
    if (hxe_http_server_new(&s->srv, &s->loop, &o, hsink_req, s, &err) != 0) {
        fprintf(stderr, "hsink: %s\n", err.msg);
        uv_close((uv_handle_t *)&s->stop, NULL);
        uv_run(&s->loop, UV_RUN_DEFAULT);
        uv_loop_close(&s->loop);
        free(s);
        return NULL;
    }
    s->port = hxe_http_server_port(s->srv);
    pthread_create(&s->th, NULL, hsink_main, s);
    return s;
}

int rt_hsink_port(const rt_hsink *s) { return s->port; }

void rt_hsink_script(rt_hsink *s, const int *statuses, size_t n, const char *retry_after)
{
    pthread_mutex_lock(&s->mu);
    s->nscript = n > 64 ? 64 : n;
    memcpy(s->script, statuses, s->nscript * sizeof *statuses);
    s->pos = 0;
    snprintf(s->retry_after, sizeof s->retry_after, "%s", retry_after ? retry_after : "");
    pthread_mutex_unlock(&s->mu);
}

size_t rt_hsink_count(rt_hsink *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

int rt_hsink_get(rt_hsink *s, size_t i, rt_hreq *out)
{
    pthread_mutex_lock(&s->mu);
    int rc = -1;
    if (i < s->n) {
        *out = s->v[i];
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static size_t hsink_count(void *s) { return rt_hsink_count(s); }

int rt_hsink_wait(rt_hsink *s, size_t n, int timeout_ms)
{
    return wait_count(hsink_count, s, n, timeout_ms);
}

void rt_hsink_stop(rt_hsink *s)
{
    if (!s)
        return;
    uv_async_send(&s->stop);
    pthread_join(s->th, NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    free(s->v);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
