/*
 * test_run_outage.c — a destination down for a while: `hxe serve` ACKs
 * every message at once (they are stored), the deliveries queue and are
 * retried, the circuit breaker opens (a log event and a counter), the
 * destination then answers AE for a while (a negative ACK is a failure),
 * and once it accepts again every message arrives, in the order sent,
 * none twice.
 *
 * runtime_in_process: the library API without the binary (hxe_run_new,
 * hxe_run_loop on its own thread, hxe_run_stop from another, and the
 * counters read while it runs).
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include "engine/engine.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 20

static const char msg[] =
    "MSH|^~\\&|LAB|LAB|EHR|HOSP|20240201120000||ORU^R01^ORU_R01|X|P|2.5.1\r"
    "PID|1||555^^^HOSP^MR||DOE^JANE||19800101|F\r"
    "OBR|1||ORD1|718-7^Hemoglobin^LN\r"
    "OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL|12-16|N|||F\r";

static void destination_down_then_back(void **state)
{
    (void)state;
    char dir[64], logpath[128], cfgf[128], cfg[4096];
    assert_int_equal(tu_tmpdir(dir), 0);
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    int port = rt_free_port(), sink_port = rt_free_port();
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s/var/hxe.db}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: out\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    destinations:\n"
             "      - name: lab\n"
             "        type: mllp\n"
             "        host: 127.0.0.1\n"
             "        port: %d\n"
             "        ack_timeout: 2s\n"
             "        connect_timeout: 500ms\n"
             "        retry: {max_attempts: 0, initial_interval: 50ms, max_interval: 200ms, jitter: none}\n"
             "        circuit_breaker: {failures: 3, open_for: 600ms}\n",
             dir, port, sink_port);
    assert_int_equal(rt_write_file(cfgf, cfg), 0);
    pid_t pid = rt_serve_start(cfgf, dir, logpath);
    assert_int_equal(rt_wait_port(port, 10000), 0);

    /* every message is taken and acknowledged while the lab is down */
    int fd = rt_connect(port, 2000);
    assert_true(fd >= 0);
    static char buf[1 << 16];
    for (int i = 0; i < N; i++) {
        char id[16];
        snprintf(id, sizeof id, "O%03d", i);
        size_t n;
        char *m = rt_with_control_id(msg, strlen(msg), id, &n);
        assert_int_equal(rt_send_frame(fd, m, n), 0);
        assert_true(rt_recv_frame(fd, buf, sizeof buf, 5000) >= 0);
        char code[3];
        rt_ack_code(buf, code);
        assert_string_equal(code, "AA");
        free(m);
    }
    close(fd);
    /* the breaker opens */
    uint64_t end = rt_now_ms() + 10000;
    while (!rt_file_has(logpath, "\"event\":\"breaker_open\"") && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_true(rt_file_has(logpath, "\"event\":\"breaker_open\""));
    /* the lab comes back, refusing at first (AE) */
    rt_sink *sink = rt_sink_start(sink_port);
    assert_non_null(sink);
    rt_sink_set_answer(sink, "AE");
    rt_sleep_ms(1500);
    assert_int_equal(rt_sink_count(sink), 0);
    assert_true(rt_file_has(logpath, "mllp negative AE"));
    rt_sink_set_answer(sink, "AA");
    assert_int_equal(rt_sink_wait(sink, N, 15000), 0);
    rt_sleep_ms(300);
    char **ids;
    size_t n = rt_sink_ids(sink, &ids);
    assert_int_equal(n, N);
    for (size_t i = 0; i < n; i++) {
        char want[32];
        snprintf(want, sizeof want, "O%03zu", i);
        assert_string_equal(ids[i], want);   /* in order, none twice */
        free(ids[i]);
    }
    free(ids);
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    assert_true(rt_file_has(logpath, "\"channel_stats\""));
    assert_false(rt_file_has(logpath, "\"breaker_opens\":0"));
    assert_true(rt_file_has(logpath, "\"delivered\":20"));
    rt_sink_stop(sink);
    rt_rmtree(dir);
}

typedef struct inproc {
    hxe_config *cfg;
    hxe_run *run;
    _Atomic int ready;
    int rc;
} inproc;

static void *run_main(void *arg)
{
    inproc *p = arg;
    hxe_err err;
    /* new, loop and free on the loop's thread */
    p->rc = hxe_run_new(&p->run, p->cfg, NULL, &err);
    if (p->rc) {
        fprintf(stderr, "hxe_run_new: %s\n", err.msg);
        atomic_store(&p->ready, -1);
        return NULL;
    }
    atomic_store(&p->ready, 1);
    p->rc = hxe_run_loop(p->run, &err);
    return NULL;
}

static void runtime_in_process(void **state)
{
    (void)state;
    char dir[64], cfg[2048], out[128];
    assert_int_equal(tu_tmpdir(dir), 0);
    snprintf(out, sizeof out, "%s/out", dir);
    int port = rt_free_port();
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s/hxe.db}\n"
             "log: {level: warn}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: api\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    destinations:\n"
             "      - {name: files, type: file, path: %s}\n",
             dir, port, out);
    inproc p = {0};
    hxe_err err;
    assert_int_equal(hxe_config_parse(&p.cfg, cfg, strlen(cfg), NULL, &err), 0);
    pthread_t th;
    pthread_create(&th, NULL, run_main, &p);
    while (atomic_load(&p.ready) == 0)
        rt_sleep_ms(5);
    assert_int_equal(atomic_load(&p.ready), 1);
    char code[3];
    for (int i = 0; i < 3; i++) {
        char id[16];
        snprintf(id, sizeof id, "API%d", i);
        size_t n;
        char *m = rt_with_control_id(msg, strlen(msg), id, &n);
        assert_int_equal(rt_exchange(port, m, code), 0);
        assert_string_equal(code, "AA");
        free(m);
    }
    assert_int_equal(rt_exchange(port, "not HL7", code), 0);
    assert_string_equal(code, "AR");
    uint64_t end = rt_now_ms() + 5000;
    hxe_run_channel_stats st;
    do {
        rt_sleep_ms(10);
        assert_int_equal(hxe_run_channel_stats_get(p.run, 0, &st), 0);
    } while (st.delivered < 3 && rt_now_ms() < end);
    assert_int_equal(hxe_run_channel_count(p.run), 1);
    assert_string_equal(st.channel, "api");
    assert_int_equal(st.port, port);
    assert_int_equal(st.received, 4);
    assert_int_equal(st.stored, 3);
    assert_int_equal(st.acked[HXE_RUN_AA], 3);
    assert_int_equal(st.acked[HXE_RUN_AR], 1);
    assert_int_equal(st.rejected, 1);
    assert_int_equal(st.delivered, 3);
    assert_int_equal(rt_count_files(out), 3);
    assert_int_equal(hxe_run_channel_stats_get(p.run, 1, &st), HXE_ERANGE);
    hxe_run_stop(p.run);
    hxe_run_stop(p.run);   /* idempotent */
    pthread_join(th, NULL);
    assert_int_equal(p.rc, 0);
    hxe_run_free(p.run);
    hxe_config_free(p.cfg);
    rt_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(runtime_in_process),
        cmocka_unit_test(destination_down_then_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
