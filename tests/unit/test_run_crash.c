/*
 * test_run_crash.c — nothing ACKed is ever lost.
 *
 * crash_safety: a sender pushes messages (resending the same one after a
 * lost connection, as a real sender does) while `hxe serve` is killed
 * with SIGKILL at random moments, five times, and restarted. Every
 * message that got an AA is in the store and reaches the sink; a message
 * may reach it twice only when its delivery was sent but not yet recorded
 * at a kill (at most the batch in flight: queue.batch, 4 here, per kill),
 * and those are counted.
 *
 * graceful_stop_and_resume: SIGTERM while messages arrive and the
 * destination is down; the server answers what it took, exits 0, and the
 * next start delivers every ACKed message once, in order.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include "store/store.h"

/* deliveries a destination claims at once (queue.batch) */
#define CRASH_BATCH 4
#define CRASH_BATCH_STR "4"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXMSG 100000

static const char msg[] =
    "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A01^ADT_A01|X|P|2.5.1\r"
    "EVN|A01|20240115093000\r"
    "PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR||EVERYMAN^ADAM^A||19610615|M\r"
    "PV1|1|I|2000^2012^01\r";

typedef struct sender {
    int port;
    const char *prefix;
    _Atomic int stop;
    _Atomic size_t acked;       /* messages 0..acked-1 got an AA */
    size_t resends;
    pthread_t th;
} sender;

/* Sends K000000, K000001, ... keeping up to 8 unanswered; after a lost
 * connection (or a negative ACK) it resends from the first unanswered,
 * as a real sender does. */
static void *send_main(void *arg)
{
    sender *s = arg;
    enum { W = 8 };
    char *m[W];
    size_t len[W];
    char codes[W][3];
    int fd = -1;
    size_t i = 0;
    while (!atomic_load(&s->stop) && i + W < MAXMSG) {
        if (fd < 0 && (fd = rt_connect(s->port, 500)) < 0) {
            rt_sleep_ms(20);
            continue;
        }
        for (size_t k = 0; k < W; k++) {
            char id[32];
            snprintf(id, sizeof id, "%s%06zu", s->prefix, i + k);
            m[k] = rt_with_control_id(msg, strlen(msg), id, &len[k]);
            codes[k][0] = 0;
        }
        size_t got = rt_pipeline(fd, m, len, W, codes, W);
        size_t ok = 0;
        while (ok < got && strcmp(codes[ok], "AA") == 0)
            ok++;
        i += ok;
        atomic_store(&s->acked, i);
        for (size_t k = 0; k < W; k++)
            free(m[k]);
        if (ok < W) {
            close(fd);
            fd = -1;
            s->resends += W - ok;
        }
    }
    if (fd >= 0)
        close(fd);
    return NULL;
}

static void write_config(const char *dir, const char *cfgf, int port, int sink_port)
{
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s/var/hxe.db}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: c\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    transformer:\n"
             "      rules: ['set ZHX-1 = \"x\"']\n"
             "    destinations:\n"
             "      - name: sink\n"
             "        type: mllp\n"
             "        host: 127.0.0.1\n"
             "        port: %d\n"
             "        ack_timeout: 2s\n"
             "        retry: {max_attempts: 0, initial_interval: 50ms, max_interval: 200ms}\n"
             "        circuit_breaker: {failures: 0}\n"
             "        queue: {batch: " CRASH_BATCH_STR "}\n",
             dir, port, sink_port);
    assert_int_equal(rt_write_file(cfgf, cfg), 0);
}

/* How often each acked id reached the sink: fails when one is missing;
 * returns the number of extra copies. */
static size_t check_delivered(rt_sink *sink, const char *prefix, size_t acked)
{
    char **ids;
    size_t n = rt_sink_ids(sink, &ids), extra = 0;
    unsigned *seen = calloc(MAXMSG, sizeof *seen);
    size_t plen = strlen(prefix);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(ids[i], prefix, plen) == 0) {
            size_t k = strtoul(ids[i] + plen, NULL, 10);
            if (k < MAXMSG && seen[k]++)
                extra++;
        }
        free(ids[i]);
    }
    free(ids);
    for (size_t k = 0; k < acked; k++)
        if (!seen[k])
            fail_msg("%s%06zu was ACKed and never delivered", prefix, k);
    free(seen);
    return extra;
}

static void crash_safety(void **state)
{
    (void)state;
    char dir[64], logpath[128], cfgf[128], db[128];
    assert_int_equal(tu_tmpdir(dir), 0);
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    snprintf(db, sizeof db, "%s/var/hxe.db", dir);
    rt_sink *sink = rt_sink_start(0);
    assert_non_null(sink);
    int port = rt_free_port();
    write_config(dir, cfgf, port, rt_sink_port(sink));
    pid_t pid = rt_serve_start(cfgf, dir, logpath);
    assert_int_equal(rt_wait_port(port, 10000), 0);
    sender s = {.port = port, .prefix = "K"};
    pthread_create(&s.th, NULL, send_main, &s);
    srand((unsigned)rt_now_ms());
    int kills = 0;
    for (; kills < 5; kills++) {
        rt_sleep_ms(300 + (unsigned)(rand() % 500));
        assert_int_equal(rt_serve_stop(pid, SIGKILL, 5000), 128 + SIGKILL);
        pid = rt_serve_start(cfgf, dir, logpath);
        assert_true(pid > 0);
        assert_int_equal(rt_wait_port(port, 10000), 0);
    }
    rt_sleep_ms(300);
    atomic_store(&s.stop, 1);
    pthread_join(s.th, NULL);
    size_t acked = atomic_load(&s.acked);
    assert_true(acked > 20);
    /* everything ACKed arrives */
    uint64_t end = rt_now_ms() + 20000;
    for (;;) {
        char **ids;
        size_t n = rt_sink_ids(sink, &ids);
        for (size_t i = 0; i < n; i++)
            free(ids[i]);
        free(ids);
        if (n >= acked || rt_now_ms() > end)
            break;
        rt_sleep_ms(50);
    }
    rt_sleep_ms(300);
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    size_t extra = check_delivered(sink, "K", acked);
    print_message("crash: %d kills, %zu messages ACKed, %zu resent by the sender, "
                  "%zu delivered twice (in flight at a kill)\n",
                  kills, acked, s.resends, extra);
    assert_true(extra <= (size_t)kills * CRASH_BATCH);
    /* and every ACKed message is in the store */
    hxe_store_opts so;
    hxe_store_opts_init(&so);
    so.recover = 0;
    so.create = 0;
    hxe_store *st = NULL;
    hxe_err err;
    assert_int_equal(hxe_store_open(&st, db, &so, &err), 0);
    for (size_t k = 0; k < acked; k++) {
        char id[32];
        snprintf(id, sizeof id, "K%06zu", k);
        hxe_store_msg_ref ref;
        if (hxe_store_find_duplicate(st, "t1", "c", "ADT1|GOOD HEALTH HOSPITAL", id, 0,
                                     30 * 24 * 3600, &ref, &err))
            fail_msg("%s was ACKed and is not in the store: %s", id, err.msg);
    }
    hxe_store_close(st);
    rt_sink_stop(sink);
    rt_rmtree(dir);
}

static void graceful_stop_and_resume(void **state)
{
    (void)state;
    char dir[64], logpath[128], cfgf[128];
    assert_int_equal(tu_tmpdir(dir), 0);
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    int port = rt_free_port(), sink_port = rt_free_port();
    write_config(dir, cfgf, port, sink_port);
    pid_t pid = rt_serve_start(cfgf, dir, logpath);
    assert_int_equal(rt_wait_port(port, 10000), 0);
    sender s = {.port = port, .prefix = "G"};
    pthread_create(&s.th, NULL, send_main, &s);
    rt_sleep_ms(400);
    uint64_t t0 = rt_now_ms();
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    uint64_t took = rt_now_ms() - t0;
    atomic_store(&s.stop, 1);
    pthread_join(s.th, NULL);
    size_t acked = atomic_load(&s.acked);
    assert_true(acked > 5);
    assert_true(rt_file_has(logpath, "\"event\":\"stopped\""));
    /* the destination comes up, the engine starts again: the queue resumes */
    rt_sink *sink = rt_sink_start(sink_port);
    assert_non_null(sink);
    pid = rt_serve_start(cfgf, dir, logpath);
    assert_int_equal(rt_wait_port(port, 10000), 0);
    assert_int_equal(rt_sink_wait(sink, acked, 20000), 0);
    rt_sleep_ms(300);
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    char **ids;
    size_t n = rt_sink_ids(sink, &ids);
    /* every ACKed one, once, in order (an unACKed last one may follow) */
    assert_true(n == acked || n == acked + 1);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "G%06zu", i);
        assert_string_equal(ids[i], want);
        free(ids[i]);
    }
    free(ids);
    print_message("graceful: %zu ACKed before SIGTERM (stopped in %llu ms), all delivered after "
                  "restart\n", acked, (unsigned long long)took);
    rt_sink_stop(sink);
    rt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crash_safety),
        cmocka_unit_test(graceful_stop_and_resume),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
