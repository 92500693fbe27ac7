/*
 * test_run_prune.c — `hxe serve` prunes on its schedule, by each
 * channel's pruning ages, and never a message that is not finished.
 *
 * The store is prepared before the server starts, through the store API,
 * with messages received long ago (received_at in the past): 40 days old
 * and sent, 400 days old and sent, 400 days old with its delivery still
 * queued for a destination the config no longer has, and one of today.
 * The channel keeps content 30 days and metadata 365 days; the store's
 * pruning interval is 1 s. Within seconds of the start: the 40-day
 * message has lost its content but is still there, the 400-day sent one
 * is gone, the unfinished one is untouched, and today's is whole. A
 * second channel with no pruning (0 days) keeps its old message.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include "store/store.h"

#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#define DAY 86400000LL
#define MSG "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|%s|P|2.5\rPID|1||42^^^H^MR\r"

static char g_dir[256];

static int setup(void **state)
{
    (void)state;
    return tu_tmpdir(g_dir);
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(g_dir);
    return 0;
}

/* A message of channel ch received `age` ms ago, with one delivery to
 * dest, marked sent when sent is set. */
static int64_t add_old(hxe_store *s, const char *ch, const char *ctl, int64_t age,
                       const char *dest, int sent)
{
    char raw[256];
    snprintf(raw, sizeof raw, MSG, ctl);
    const char *dests[] = {dest};
    int64_t at = hxe_store_now_ms() - age;
    hxe_store_msg_in in = {.tenant = "t1", .channel = ch, .received_at = at, .control_id = ctl,
                           .content = raw, .content_len = strlen(raw), .destinations = dests,
                           .ndestinations = 1};
    hxe_store_msg_ref ref;
    hxe_err err = {0};
    if (hxe_store_msg_add(s, &in, &ref, &err))
        fail_msg("msg_add: %s", err.msg);
    if (sent) {
        hxe_arena a;
        hxe_arena_init(&a, 4096, 0);
        hxe_store_queue q = {"t1", ch, dest, 1};
        hxe_store_delivery *d;
        size_t n;
        assert_int_equal(hxe_store_claim(s, &q, at + 1, 1, &a, &d, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(hxe_store_mark_sent(s, "t1", d[0].id, at + 2, NULL, 0, "MSA|AA", 6,
                                             &err), 0);
        hxe_arena_free(&a);
    }
    return ref.id;
}

/* 0 gone, 1 there without content, 2 there with content */
static int what_is_left(hxe_store *s, int64_t id)
{
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_msg m;
    hxe_err err = {0};
    int rc = hxe_store_msg_get(s, "t1", id, &a, &m, &err), left = -1;
    if (rc == HXE_ENOTFOUND)
        left = 0;
    else if (rc)
        fail_msg("msg_get: %s", err.msg);
    else
        left = m.content ? 2 : 1;
    hxe_arena_free(&a);
    return left;
}

static void prunes_on_schedule(void **state)
{
    (void)state;
    char db[600], cfgf[512], log[512], var[300];
    snprintf(var, sizeof var, "%s/var", g_dir);
    assert_int_equal(mkdir(var, 0700), 0);
    snprintf(db, sizeof db, "%s/hxe.db", var);
    hxe_store *s;
    hxe_err err = {0};
    assert_int_equal(hxe_store_open(&s, db, NULL, &err), 0);
    int64_t month = add_old(s, "c", "M40", 40 * DAY, "out", 1);
    int64_t year = add_old(s, "c", "M400", 400 * DAY, "out", 1);
    int64_t open = add_old(s, "c", "OPEN", 400 * DAY, "gone", 0);
    int64_t today = add_old(s, "c", "NEW", 1000, "out", 1);
    int64_t kept = add_old(s, "keep", "K400", 400 * DAY, "out", 1);
    hxe_store_close(s);

    int port = rt_free_port(), port2 = rt_free_port();
    char cfg[2048];
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s, pruning: {content_days: 30, metadata_days: 365, interval: 1s}}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: c\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    destinations: [{name: out, type: file, path: %s/out}]\n"
             "  - name: keep\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    pruning: {content_days: 0, metadata_days: 0}\n"
             "    destinations: [{name: out, type: file, path: %s/out2}]\n",
             db, port, g_dir, port2, g_dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", g_dir);
    assert_int_equal(rt_write_file(cfgf, cfg), 0);
    snprintf(log, sizeof log, "%s/hxe.log", g_dir);
    pid_t pid = rt_serve_start(cfgf, g_dir, log);
    assert_true(pid > 0);
    assert_int_equal(rt_wait_port(port, 10000), 0);

    /* the first run comes a second after the start (the interval is
     * shorter than the usual first delay); wait for its log line */
    uint64_t until = rt_now_ms() + 15000;
    while (!rt_file_has(log, "\"pruned\"") && rt_now_ms() < until)
        rt_sleep_ms(100);
    assert_int_equal(rt_serve_stop(pid, SIGTERM, 15000), 0);
    assert_true(rt_file_has(log, "\"pruned\""));
    /* the log names counts and places, never content */
    assert_false(rt_file_has(log, "PID|1"));

    assert_int_equal(hxe_store_open(&s, db, NULL, &err), 0);
    assert_int_equal(what_is_left(s, month), 1);   /* content gone, metadata kept */
    assert_int_equal(what_is_left(s, year), 0);    /* gone */
    assert_int_equal(what_is_left(s, open), 2);    /* not finished: untouched */
    assert_int_equal(what_is_left(s, today), 2);
    assert_int_equal(what_is_left(s, kept), 2);    /* its channel keeps everything */
    hxe_store_close(s);
}

static void bad_interval(void **state)
{
    (void)state;
    char cfgf[512], log[512];
    snprintf(cfgf, sizeof cfgf, "%s/bad.yaml", g_dir);
    assert_int_equal(rt_write_file(cfgf, "version: 1\n"
                                         "store: {pruning: {interval: 10ms}}\n"
                                         "tenants: [{name: t1}]\n"
                                         "channels: []\n"), 0);
    snprintf(log, sizeof log, "%s/bad.log", g_dir);
    pid_t pid = rt_serve_start(cfgf, g_dir, log);
    assert_true(pid > 0);
    int st = rt_serve_stop(pid, 0, 10000);
    assert_int_not_equal(st, 0);
    assert_true(rt_file_has(log, "store.pruning.interval: at least 1s"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prunes_on_schedule, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_interval, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
