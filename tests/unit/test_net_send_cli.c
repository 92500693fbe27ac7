/*
 * test_net_send_cli.c — `hxe send` (the binary in $HXE_BIN) against an
 * MLLP listener running in a thread of this process with its own loop.
 * The listener acknowledges with hxe_hl7_ack (AA), or AE for messages
 * whose MSH-10 starts with BAD, and counts what it received.
 */
#include "helpers/testutil.h"
#include "net/net.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *bin;
static char dir[256];

/* ---- the listener thread ---- */
static pthread_t th;
static atomic_int port;
static atomic_int received;
static atomic_int with_newline;   /* messages that arrived holding a \n */
static uv_async_t stop_async;
static hxe_mllp_server *srv;

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
    hxe_slice cid = HXE_SLICE_EMPTY;
    if (!rc)
        hxe_hl7_get_str(msg, "MSH-10", &cid);
    hxe_hl7_ack_opts ao = {0};
    ao.force_code = cid.n >= 3 && !memcmp(cid.p, "BAD", 3) ? 'E' : 0;
    if (hxe_hl7_ack(rc ? NULL : msg, m, n, &is, &ao, &ack) == 0)
        hxe_mllp_respond(req, ack.p, ack.len);
    else
        hxe_mllp_discard(req);
    if (memchr(m, '\n', n))
        atomic_fetch_add(&with_newline, 1);
    atomic_fetch_add(&received, 1);
    hxe_buf_free(&ack);
    hxe_issues_free(&is);
    hxe_arena_free(&a);
}

static void on_stop(uv_async_t *as)
{
    hxe_mllp_server_stop(srv, 0, NULL, NULL);
    uv_close((uv_handle_t *)as, NULL);
}

static void *listener(void *arg)
{
    (void)arg;
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_async_init(&loop, &stop_async, on_stop);
    hxe_err err = {0};
    if (hxe_mllp_server_new(&srv, &loop, NULL, on_msg, NULL, &err)) {
        atomic_store(&port, -1);
        uv_close((uv_handle_t *)&stop_async, NULL);
    } else {
        atomic_store(&port, hxe_mllp_server_port(srv));
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return NULL;
}

static int group_setup(void **state)
{
    (void)state;
    bin = getenv("HXE_BIN");
    hxe_log_set_level(HXE_LOG_OFF);
    snprintf(dir, sizeof dir, "/tmp/hxe-send-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    if (pthread_create(&th, NULL, listener, NULL))
        return -1;
    for (int i = 0; i < 5000 && atomic_load(&port) == 0; i++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    return atomic_load(&port) > 0 ? 0 : -1;
}

static const char *path(const char *name)
{
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static int group_teardown(void **state)
{
    (void)state;
    uv_async_send(&stop_async);
    pthread_join(th, NULL);
    static const char *const names[] = {"msgs.hl7", "bad.hl7", "out", "err"};
    for (size_t i = 0; i < 4; i++)
        unlink(path(names[i]));
    rmdir(dir);
    return 0;
}

/* ---- running hxe ---- */
static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static char out[65536], errs[65536];

static void slurp(const char *name, char *buf, size_t size)
{
    FILE *f = fopen(path(name), "r");
    size_t n = f ? fread(buf, 1, size - 1, f) : 0;
    buf[n] = '\0';
    if (f)
        fclose(f);
}

static int run(const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' send %s >'%s' 2>'%s'", bin, args, path("out"), path("err"));
    int st = system(cmd);
    slurp("out", out, sizeof out);
    slurp("err", errs, sizeof errs);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define MSGS                                                                         \
    "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|C1|P|2.5.1\n"       \
    "PID|1||1^^^H^MR||DOE^JANE\n"                                                   \
    "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|C2|P|2.5.1\r\n"     \
    "PID|1||2^^^H^MR||DOE^JOHN\r\n"                                                 \
    "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A08^ADT_A01|C3|P|2.5.1\r"       \
    "PID|1||3^^^H^MR||ROE^JAY\r"

static void sends_and_prints_acks(void **state)
{
    (void)state;
    if (!bin)
        skip();
    write_file("msgs.hl7", MSGS);
    int before = atomic_load(&received);
    char args[1024];
    snprintf(args, sizeof args, "mllp://127.0.0.1:%d '%s'", atomic_load(&port), path("msgs.hl7"));
    assert_int_equal(run(args), 0);
    assert_int_equal(atomic_load(&received) - before, 3);
    /* line ends went out as \r */
    assert_int_equal(atomic_load(&with_newline), 0);
    /* the ACKs, in order, segments on lines */
    char *a1 = strstr(out, "MSA|AA|C1\n"), *a2 = strstr(out, "MSA|AA|C2\n"),
         *a3 = strstr(out, "MSA|AA|C3\n");
    assert_non_null(a1);
    assert_non_null(a2);
    assert_non_null(a3);
    assert_true(a1 < a2 && a2 < a3);
    assert_non_null(strstr(out, "MSH|^~\\&|RCV|FAC|SND|FAC|"));
    /* the summary on stderr */
    assert_non_null(strstr(errs, "sent 3, answered 3"));
    assert_non_null(strstr(errs, "acks AA 3"));
    assert_non_null(strstr(errs, "errors 0"));
    assert_non_null(strstr(errs, "p50"));
    assert_non_null(strstr(errs, "p99"));
}

static void load_with_count_and_concurrency(void **state)
{
    (void)state;
    if (!bin)
        skip();
    write_file("msgs.hl7", MSGS);
    int before = atomic_load(&received);
    char args[1024];
    snprintf(args, sizeof args, "--count 20 --concurrency 4 --quiet --stats mllp://127.0.0.1:%d '%s'",
             atomic_load(&port), path("msgs.hl7"));
    assert_int_equal(run(args), 0);
    assert_int_equal(atomic_load(&received) - before, 60);
    assert_null(strstr(out, "MSH|"));
    assert_non_null(strstr(out, "sent 60, answered 60"));
    assert_non_null(strstr(out, "acks AA 60"));
    assert_non_null(strstr(out, "messages/s"));
}

static void negative_ack_exits_1(void **state)
{
    (void)state;
    if (!bin)
        skip();
    write_file("bad.hl7",
               "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|OK1|P|2.5.1\r"
               "PID|1||1^^^H^MR\r"
               "MSH|^~\\&|SND|FAC|RCV|FAC|20240101120000||ADT^A01^ADT_A01|BAD1|P|2.5.1\r"
               "PID|1||1^^^H^MR\r");
    char args[1024];
    snprintf(args, sizeof args, "mllp://localhost:%d '%s'", atomic_load(&port), path("bad.hl7"));
    assert_int_equal(run(args), 1);
    assert_non_null(strstr(out, "MSA|AA|OK1"));
    assert_non_null(strstr(out, "MSA|AE|BAD1"));
    assert_non_null(strstr(errs, "acks AA 1 AE 1"));
}

static void unreachable_server_exits_2(void **state)
{
    (void)state;
    if (!bin)
        skip();
    /* a port nobody listens on: bound, read back, closed */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    getsockname(fd, (struct sockaddr *)&sa, &len);
    int free_port = ntohs(sa.sin_port);
    close(fd);
    write_file("msgs.hl7", MSGS);
    char args[1024];
    snprintf(args, sizeof args, "mllp://127.0.0.1:%d '%s'", free_port, path("msgs.hl7"));
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(errs, "connection refused"));
}

static void usage_errors(void **state)
{
    (void)state;
    if (!bin)
        skip();
    char args[1024];
    assert_int_equal(run(""), 2);
    assert_int_equal(run("--help"), 0);
    assert_non_null(strstr(out, "usage: hxe send"));
    assert_int_equal(run("http://127.0.0.1:80 x.hl7"), 2);
    assert_int_equal(run("mllp://127.0.0.1 x.hl7"), 2);
    assert_int_equal(run("mllp://127.0.0.1:99999 x.hl7"), 2);
    snprintf(args, sizeof args, "mllp://127.0.0.1:%d '%s/none.hl7'", atomic_load(&port), dir);
    assert_int_equal(run(args), 2);
    snprintf(args, sizeof args, "--ca x mllp://127.0.0.1:%d '%s'", atomic_load(&port),
             path("msgs.hl7"));
    assert_int_equal(run(args), 2);
    assert_non_null(strstr(errs, "mllps://"));
    snprintf(args, sizeof args, "--count 0 mllp://127.0.0.1:%d '%s'", atomic_load(&port),
             path("msgs.hl7"));
    assert_int_equal(run(args), 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sends_and_prints_acks),
        cmocka_unit_test(load_with_count_and_concurrency),
        cmocka_unit_test(negative_ack_exits_1),
        cmocka_unit_test(unreachable_server_exits_2),
        cmocka_unit_test(usage_errors),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
