/*
 * test_run_http.c — the HTTP source and the HTTP destination of `hxe
 * serve`, end to end on real sockets. One server for the file, started
 * from $HXE_BIN, with two channels:
 * - hin: an HTTP POST source (path /hl7, validation: error) delivering to
 *   an MLLP sink: AA in the body after commit (the message reaches the
 *   sink), AR for junk, AE for an invalid message, 400 for two messages
 *   in one body, 404/415 for a wrong path or type, duplicates;
 * - hout: an MLLP source delivering to an HTTP sink started here (a net.h
 *   server on its own thread): delivered with Idempotency-Key and the
 *   configured header and method (PUT), the key stable across a retry (503 then 200), the
 *   retry waiting for Retry-After, a 400 dead at once, and a request the
 *   receiver never answers cancelled at the shutdown deadline and sent
 *   again, with the same key, after a restart.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], logpath[128], cfgf[128], dbf[128];
static int p_http, p_mllp;
static rt_sink *sink;
static rt_hsink *hsink;
static pid_t pid = -1;

static const char adt[] =
    "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A01^ADT_A01|X1|P|2.5.1\r"
    "EVN|A01|20240115093000\r"
    "PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR||EVERYMAN^ADAM^A||19610615|M\r"
    "PV1|1|I|2000^2012^01\r";
/* an ADT without its required PID: AE under validation: error */
static const char adt_no_pid[] =
    "MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A04^ADT_A01|X3|P|2.5.1\r"
    "EVN|A04|20240115093000\r";
static const char hl7_type[] = "x-application/hl7-v2+er7";

static char *with_id(const char *msg, const char *id, size_t *n)
{
    char *m = rt_with_control_id(msg, strlen(msg), id, n);
    assert_non_null(m);
    return m;
}

static int group_setup(void **state)
{
    (void)state;
    if (tu_tmpdir(dir))
        return -1;
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    snprintf(dbf, sizeof dbf, "%s/var/hxe.db", dir);
    sink = rt_sink_start(0);
    hsink = rt_hsink_start("X-Api-Key");
    if (!sink || !hsink)
        return -1;
    p_http = rt_free_port();
    p_mllp = rt_free_port();
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s}\n"
             "log: {level: info}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: hin\n"
             "    tenant: t1\n"
             "    source: {type: http, host: 127.0.0.1, port: %d, path: /hl7, max_message: 64KiB}\n"
             "    accept: [\"ADT^*\", \"ORU^R01\"]\n"
             "    validation: error\n"
             "    duplicate_window: 1h\n"
             "    destinations:\n"
             "      - {name: sink, type: mllp, host: 127.0.0.1, port: %d, ack_timeout: 5s}\n"
             "  - name: hout\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    destinations:\n"
             "      - name: web\n"
             "        type: http\n"
             "        url: http://127.0.0.1:%d/in\n"
             "        method: PUT\n"
             "        headers: {X-Api-Key: \"${HXE_TEST_KEY:-k-123}\"}\n"
             "        timeout: 5s\n"
             "        retry: {max_attempts: 5, initial_interval: 100ms, max_interval: 5s, jitter: none}\n"
             "        circuit_breaker: {failures: 0}\n",
             dbf, p_http, rt_sink_port(sink), p_mllp, rt_hsink_port(hsink));
    if (rt_write_file(cfgf, cfg))
        return -1;
    pid = rt_serve_start_opt(cfgf, dir, logpath, "--shutdown-ms", "800");
    if (pid < 0 || rt_wait_port(p_http, 10000) || rt_wait_port(p_mllp, 2000)) {
        fprintf(stderr, "hxe serve did not start; log in %s\n", logpath);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int st = pid > 0 ? rt_serve_stop(pid, SIGTERM, 15000) : -1;
    rt_sink_stop(sink);
    rt_hsink_stop(hsink);
    if (st != 0) {
        fprintf(stderr, "hxe serve ended with %d; log kept in %s\n", st, logpath);
        return -1;
    }
    rt_rmtree(dir);
    return 0;
}

static size_t sink_hits(const char *id)
{
    char **ids;
    size_t k = rt_sink_ids(sink, &ids), hits = 0;
    for (size_t i = 0; i < k; i++) {
        hits += strcmp(ids[i], id) == 0;
        free(ids[i]);
    }
    free(ids);
    return hits;
}

static void http_source_aa_after_commit(void **state)
{
    (void)state;
    size_t n;
    char *m = with_id(adt, "HTTP-1", &n);
    static char resp[8192];
    size_t before = rt_sink_count(sink);
    int st = rt_http_post(p_http, "/hl7", hl7_type, m, n, resp, sizeof resp, 5000);
    assert_int_equal(st, 200);
    char code[3];
    rt_ack_code(resp, code);
    assert_string_equal(code, "AA");
    assert_non_null(strstr(resp, "|HTTP-1"));   /* MSA-2: our control id */
    /* committed: the stored message is delivered to the MLLP sink */
    assert_int_equal(rt_sink_wait(sink, before + 1, 5000), 0);
    assert_int_equal(sink_hits("HTTP-1"), 1);
    /* text/plain works too, and the same message again is a duplicate:
     * 200 AA, not delivered twice */
    st = rt_http_post(p_http, "/hl7", "text/plain; charset=utf-8", m, n, resp, sizeof resp, 5000);
    assert_int_equal(st, 200);
    rt_ack_code(resp, code);
    assert_string_equal(code, "AA");
    rt_sleep_ms(400);
    assert_int_equal(sink_hits("HTTP-1"), 1);
    free(m);
}

static void http_source_rejects(void **state)
{
    (void)state;
    static char resp[8192];
    char code[3];
    /* junk: 400 with an AR */
    const char *junk = "hello, this is not HL7";
    int st = rt_http_post(p_http, "/hl7", hl7_type, junk, strlen(junk), resp, sizeof resp, 5000);
    assert_int_equal(st, 400);
    rt_ack_code(resp, code);
    assert_string_equal(code, "AR");
    /* a type the channel does not accept: 400 AR */
    const char *zzz = "MSH|^~\\&|A|B|C|D|20240101||ZZZ^Z01|B1|P|2.5.1\rPID|1||9^^^H^MR\r";
    st = rt_http_post(p_http, "/hl7", hl7_type, zzz, strlen(zzz), resp, sizeof resp, 5000);
    assert_int_equal(st, 400);
    rt_ack_code(resp, code);
    assert_string_equal(code, "AR");
    /* invalid under validation: error: 422 with an AE */
    size_t n;
    char *bad = with_id(adt_no_pid, "HTTP-BAD", &n);
    st = rt_http_post(p_http, "/hl7", hl7_type, bad, n, resp, sizeof resp, 5000);
    assert_int_equal(st, 422);
    rt_ack_code(resp, code);
    assert_string_equal(code, "AE");
    free(bad);
    /* two messages in one body: refused, neither taken */
    size_t n1, n2;
    char *a = with_id(adt, "HTTP-TWO-1", &n1), *b = with_id(adt, "HTTP-TWO-2", &n2);
    char *two = malloc(n1 + n2 + 1);
    memcpy(two, a, n1);
    memcpy(two + n1, b, n2);
    st = rt_http_post(p_http, "/hl7", hl7_type, two, n1 + n2, resp, sizeof resp, 5000);
    assert_int_equal(st, 400);
    assert_non_null(strstr(resp, "more than one message"));
    /* a wrong path, a wrong type, an empty body, an oversize body */
    assert_int_equal(rt_http_post(p_http, "/other", hl7_type, a, n1, resp, sizeof resp, 5000), 404);
    assert_int_equal(rt_http_post(p_http, "/hl7", "application/json", a, n1, resp, sizeof resp,
                                  5000), 415);
    assert_int_equal(rt_http_post(p_http, "/hl7", hl7_type, "", 0, resp, sizeof resp, 5000), 400);
    size_t bign = 100 * 1024;
    char *big = malloc(bign);
    memset(big, 'A', bign);
    memcpy(big, a, n1);
    st = rt_http_post(p_http, "/hl7", hl7_type, big, bign, resp, sizeof resp, 5000);
    assert_true(st == 413 || st == -1);   /* the server may close while we write */
    free(big);
    rt_sleep_ms(300);
    assert_int_equal(sink_hits("HTTP-TWO-1") + sink_hits("HTTP-TWO-2") + sink_hits("HTTP-BAD"), 0);
    /* and it goes on: the same message alone is taken */
    st = rt_http_post(p_http, "/hl7", NULL, a, n1, resp, sizeof resp, 5000);
    assert_int_equal(st, 200);
    assert_true(rt_file_has(logpath, "\"reason\":\"unreadable\""));
    free(a);
    free(b);
    free(two);
}

/* Sends one message to the hout channel over MLLP; AA expected. */
static void send_out(const char *id)
{
    size_t n;
    char *m = with_id(adt, id, &n);
    char code[3];
    assert_int_equal(rt_exchange(p_mllp, m, code), 0);
    assert_string_equal(code, "AA");
    free(m);
}

/* Requests of the sink for control id `id`, in order (up to max). */
static size_t hreqs(const char *id, rt_hreq *out, size_t max)
{
    size_t k = 0, n = rt_hsink_count(hsink);
    for (size_t i = 0; i < n && k < max; i++) {
        rt_hreq q;
        if (rt_hsink_get(hsink, i, &q) == 0 && strcmp(q.control_id, id) == 0)
            out[k++] = q;
    }
    return k;
}

static void http_dest_delivered_with_key(void **state)
{
    (void)state;
    size_t before = rt_hsink_count(hsink);
    send_out("OUT-1");
    assert_int_equal(rt_hsink_wait(hsink, before + 1, 5000), 0);
    rt_hreq q[4];
    assert_int_equal(hreqs("OUT-1", q, 4), 1);
    assert_string_equal(q[0].method, "PUT");   /* method: PUT */
    assert_int_equal(q[0].status, 200);
    assert_true(strlen(q[0].key) > 8);
    assert_string_equal(q[0].ctype, hl7_type);
    assert_string_equal(q[0].header, "k-123");
}

static void http_dest_retry_same_key_after_retry_after(void **state)
{
    (void)state;
    int script[] = {503, 200};
    rt_hsink_script(hsink, script, 2, "1");
    size_t before = rt_hsink_count(hsink);
    send_out("OUT-RETRY");
    assert_int_equal(rt_hsink_wait(hsink, before + 2, 8000), 0);
    rt_sleep_ms(300);
    rt_hreq q[4];
    assert_int_equal(hreqs("OUT-RETRY", q, 4), 2);
    assert_int_equal(q[0].status, 503);
    assert_int_equal(q[1].status, 200);
    assert_true(q[0].key[0]);
    assert_string_equal(q[0].key, q[1].key);   /* stable across the retry */
    /* retry.initial_interval is 100ms; Retry-After: 1 makes it >= 1 s */
    uint64_t gap = q[1].at_ms - q[0].at_ms;
    if (gap < 950)
        fail_msg("retry after %llu ms, Retry-After asked for 1000", (unsigned long long)gap);
    /* and not another key than a different message's */
    rt_hreq o[2];
    assert_int_equal(hreqs("OUT-1", o, 2), 1);
    assert_string_not_equal(o[0].key, q[0].key);
}

static void http_dest_4xx_is_dead(void **state)
{
    (void)state;
    int script[] = {400};
    rt_hsink_script(hsink, script, 1, NULL);
    size_t before = rt_hsink_count(hsink);
    send_out("OUT-DEAD");
    assert_int_equal(rt_hsink_wait(hsink, before + 1, 5000), 0);
    uint64_t end = rt_now_ms() + 5000;
    while (!rt_file_has(logpath, "http 400 (permanent)") && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_true(rt_file_has(logpath, "http 400 (permanent)"));
    assert_true(rt_file_has(logpath, "\"event\":\"dead\""));
    /* no second attempt, though max_attempts is 5 and the retry 100ms */
    rt_sleep_ms(600);
    rt_hreq q[4];
    assert_int_equal(hreqs("OUT-DEAD", q, 4), 1);
    /* the queue goes on with the next message */
    send_out("OUT-AFTER");
    end = rt_now_ms() + 5000;
    while (hreqs("OUT-AFTER", q, 4) == 0 && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(hreqs("OUT-AFTER", q, 4), 1);
    assert_int_equal(q[0].status, 200);
}

static void http_dest_cancelled_at_shutdown_resumed_after_restart(void **state)
{
    (void)state;
    int script[] = {0};   /* the receiver takes the request and never answers */
    rt_hsink_script(hsink, script, 1, NULL);
    size_t before = rt_hsink_count(hsink);
    send_out("OUT-HANG");
    assert_int_equal(rt_hsink_wait(hsink, before + 1, 5000), 0);
    /* SIGTERM: the send in flight is cancelled at the deadline (800 ms),
     * marked failed, and the server stops cleanly */
    uint64_t t0 = rt_now_ms();
    int st = rt_serve_stop(pid, SIGTERM, 8000);
    pid = -1;
    assert_int_equal(st, 0);
    assert_true(rt_now_ms() - t0 < 6000);
    assert_true(rt_file_has(logpath, "\"event\":\"shutdown_deadline\""));
    /* the restart sends it again, with the same Idempotency-Key */
    pid = rt_serve_start_opt(cfgf, dir, logpath, "--shutdown-ms", "800");
    assert_true(pid > 0);
    assert_int_equal(rt_wait_port(p_mllp, 10000), 0);
    rt_hreq q[4];
    uint64_t end = rt_now_ms() + 8000;
    while (hreqs("OUT-HANG", q, 4) < 2 && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(hreqs("OUT-HANG", q, 4), 2);
    assert_int_equal(q[1].status, 200);
    assert_string_equal(q[0].key, q[1].key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(http_source_aa_after_commit),
        cmocka_unit_test(http_source_rejects),
        cmocka_unit_test(http_dest_delivered_with_key),
        cmocka_unit_test(http_dest_retry_same_key_after_retry_after),
        cmocka_unit_test(http_dest_4xx_is_dead),
        cmocka_unit_test(http_dest_cancelled_at_shutdown_resumed_after_restart),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
