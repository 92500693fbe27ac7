/*
 * test_run_dir.c — the directory poller source of `hxe serve`, end to
 * end: a file with three messages (each delivered once to an MLLP sink,
 * the file in done/), a file with a bad message (to error/ with a .err
 * sidecar naming the message, line and code and holding no content; its
 * good messages delivered), a file still being written (left alone until
 * it stops changing, then taken whole), and a file ingested again (as
 * after a crash between the commit and the move): every message a
 * duplicate, nothing delivered twice; and a second directory with min_age,
 * where a whole file waits until it is that old. One server for the file.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64], logpath[128], cfgf[128], dbf[128], in[128], done[128], errd[128];
static char in2[128], done2[128];
static rt_sink *sink;
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

static int group_setup(void **state)
{
    (void)state;
    if (tu_tmpdir(dir))
        return -1;
    snprintf(logpath, sizeof logpath, "%s/serve.log", dir);
    snprintf(cfgf, sizeof cfgf, "%s/hxe.yaml", dir);
    snprintf(dbf, sizeof dbf, "%s/var/hxe.db", dir);
    snprintf(in, sizeof in, "%s/in", dir);
    snprintf(done, sizeof done, "%s/in/done", dir);
    snprintf(errd, sizeof errd, "%s/in/error", dir);
    snprintf(in2, sizeof in2, "%s/aged", dir);
    snprintf(done2, sizeof done2, "%s/aged/done", dir);
    sink = rt_sink_start(0);
    if (!sink)
        return -1;
    char cfg[4096];
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s}\n"
             "log: {level: info}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: din\n"
             "    tenant: t1\n"
             "    source: {type: directory, path: %s, pattern: \"*.hl7\", poll_interval: 250ms}\n"
             "    accept: [\"ADT^*\", \"ORU^R01\"]\n"
             "    validation: error\n"
             "    duplicate_window: 1h\n"
             "    destinations:\n"
             "      - {name: sink, type: mllp, host: 127.0.0.1, port: %d, ack_timeout: 5s}\n"
             "  - name: aged\n"
             "    tenant: t1\n"
             "    source: {type: directory, path: %s, poll_interval: 100ms, min_age: 2s}\n"
             "    destinations:\n"
             "      - {name: sink, type: mllp, host: 127.0.0.1, port: %d, ack_timeout: 5s}\n",
             dbf, in, rt_sink_port(sink), in2, rt_sink_port(sink));
    if (rt_write_file(cfgf, cfg))
        return -1;
    pid = rt_serve_start(cfgf, dir, logpath);
    uint64_t end = rt_now_ms() + 10000;
    while (pid > 0 && !rt_file_has(logpath, "\"event\":\"polling\"") && rt_now_ms() < end)
        rt_sleep_ms(20);
    if (pid < 0 || !rt_file_has(logpath, "\"event\":\"polling\"")) {
        fprintf(stderr, "hxe serve did not start; log in %s\n", logpath);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int st = rt_serve_stop(pid, SIGTERM, 15000);
    rt_sink_stop(sink);
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

/* msgs[i] with control ids ids[i], one after the other (as an interface
 * log would hold them, each segment ending in \r, a \n between messages). */
static char *file_of(const char *const *msgs, const char *const *ids, size_t n, size_t *len)
{
    size_t cap = 1, off = 0;
    char *out = malloc(cap);
    for (size_t i = 0; i < n; i++) {
        size_t k;
        char *m = rt_with_control_id(msgs[i], strlen(msgs[i]), ids[i], &k);
        assert_non_null(m);
        out = realloc(out, cap += k + 1);
        memcpy(out + off, m, k);
        off += k;
        out[off++] = '\n';
        free(m);
    }
    out[off] = 0;
    *len = off;
    return out;
}

static int exists(const char *d, const char *name)
{
    char p[512];
    struct stat st;
    snprintf(p, sizeof p, "%s/%s", d, name);
    return stat(p, &st) == 0;
}

static int wait_file(const char *d, const char *name, int ms)
{
    uint64_t end = rt_now_ms() + (uint64_t)ms;
    while (!exists(d, name)) {
        if (rt_now_ms() > end)
            return -1;
        rt_sleep_ms(20);
    }
    return 0;
}

static void put(const char *name, const char *text)
{
    /* written beside and renamed in: the poller sees it whole at once */
    char tmp[512], p[512];
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp", in, name);
    snprintf(p, sizeof p, "%s/%s", in, name);
    assert_int_equal(rt_write_file(tmp, text), 0);
    assert_int_equal(rename(tmp, p), 0);
}

/* min_age: a whole, unchanging file still waits until it is that old */
static void young_file_waits_for_min_age(void **state)
{
    (void)state;
    const char *msgs[] = {adt};
    const char *ids[] = {"AGE-1"};
    size_t n;
    char *f = file_of(msgs, ids, 1, &n);
    char p[512];
    snprintf(p, sizeof p, "%s/young.hl7", in2);
    assert_int_equal(rt_write_file(p, f), 0);
    uint64_t t0 = rt_now_ms();
    rt_sleep_ms(1000);   /* ten polls: stable, but younger than 2 s */
    assert_true(exists(in2, "young.hl7"));
    assert_int_equal(sink_hits("AGE-1"), 0);
    assert_int_equal(wait_file(done2, "young.hl7", 10000), 0);
    assert_true(rt_now_ms() - t0 >= 1900);
    uint64_t end = rt_now_ms() + 5000;
    while (sink_hits("AGE-1") == 0 && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(sink_hits("AGE-1"), 1);
    free(f);
}

static void three_messages_one_file(void **state)
{
    (void)state;
    const char *msgs[] = {adt, adt, adt};
    const char *ids[] = {"D1-1", "D1-2", "D1-3"};
    size_t n;
    char *f = file_of(msgs, ids, 3, &n);
    size_t before = rt_sink_count(sink);
    put("a.hl7", f);
    put("ignored.txt", f);   /* not matching the pattern */
    assert_int_equal(wait_file(done, "a.hl7", 10000), 0);
    assert_false(exists(in, "a.hl7"));
    assert_int_equal(rt_sink_wait(sink, before + 3, 5000), 0);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sink_hits(ids[i]), 1);
    assert_true(exists(in, "ignored.txt"));
    assert_true(rt_file_has(logpath, "\"event\":\"dir_file_done\""));
    free(f);
}

static void bad_message_to_error_dir(void **state)
{
    (void)state;
    const char *msgs[] = {adt, adt_no_pid, adt};
    const char *ids[] = {"D2-1", "D2-2", "D2-3"};
    size_t n;
    char *f = file_of(msgs, ids, 3, &n);
    size_t before = rt_sink_count(sink);
    put("b.hl7", f);
    assert_int_equal(wait_file(errd, "b.hl7", 10000), 0);
    assert_int_equal(wait_file(errd, "b.hl7.err", 1000), 0);
    assert_false(exists(in, "b.hl7"));
    assert_false(exists(done, "b.hl7"));
    char side[512];
    snprintf(side, sizeof side, "%s/b.hl7.err", errd);
    /* names the message, its line and the code */
    assert_true(rt_file_has(side, "message 2 line 5"));
    assert_true(rt_file_has(side, "AE"));
    assert_true(rt_file_has(side, "1 of 3 messages rejected"));
    /* and no content of it */
    assert_false(rt_file_has(side, "GOOD HEALTH"));
    assert_false(rt_file_has(side, "D2-2"));
    assert_false(rt_file_has(side, "EVERYMAN"));
    /* the good ones are delivered, the bad one not */
    assert_int_equal(rt_sink_wait(sink, before + 2, 5000), 0);
    rt_sleep_ms(300);
    assert_int_equal(sink_hits("D2-1"), 1);
    assert_int_equal(sink_hits("D2-3"), 1);
    assert_int_equal(sink_hits("D2-2"), 0);
    free(f);
}

static void growing_file_waits_until_stable(void **state)
{
    (void)state;
    const char *msgs[] = {adt, adt};
    const char *ids[] = {"D3-1", "D3-2"};
    size_t n;
    char *f = file_of(msgs, ids, 2, &n);
    char p[512];
    snprintf(p, sizeof p, "%s/c.hl7", in);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
    assert_true(fd >= 0);
    /* the file grows by a few bytes every 25 ms for about 1.5 s: several
     * polls (250 ms) see it change and leave it, even half a message */
    size_t step = n / 60 + 1;
    for (size_t off = 0; off < n; off += step) {
        size_t k = off + step > n ? n - off : step;
        assert_int_equal(write(fd, f + off, k), (ssize_t)k);
        rt_sleep_ms(25);
        assert_false(exists(done, "c.hl7"));
        assert_false(exists(errd, "c.hl7"));
    }
    close(fd);
    assert_int_equal(wait_file(done, "c.hl7", 10000), 0);
    assert_false(exists(errd, "c.hl7"));
    uint64_t end = rt_now_ms() + 5000;
    while ((sink_hits("D3-1") < 1 || sink_hits("D3-2") < 1) && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(sink_hits("D3-1"), 1);
    assert_int_equal(sink_hits("D3-2"), 1);
    free(f);
}

/* A file whose messages were committed but which was not moved (a crash
 * in between) comes back: each message is a duplicate, ACKed and neither
 * stored nor delivered again; the file goes to done/ (with a suffix, as
 * done/a.hl7 is there). */
static void file_again_is_not_ingested_twice(void **state)
{
    (void)state;
    const char *msgs[] = {adt, adt, adt};
    const char *ids[] = {"D1-1", "D1-2", "D1-3"};
    size_t n;
    char *f = file_of(msgs, ids, 3, &n);
    size_t dups = rt_file_count(logpath, "\"event\":\"duplicate\"");
    size_t files = rt_count_files(done);
    put("a.hl7", f);
    uint64_t end = rt_now_ms() + 10000;
    while ((exists(in, "a.hl7") || rt_count_files(done) < files + 1) && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_false(exists(in, "a.hl7"));
    assert_int_equal(rt_count_files(done), files + 1);
    assert_int_equal(rt_file_count(logpath, "\"event\":\"duplicate\""), dups + 3);
    rt_sleep_ms(500);
    for (int i = 0; i < 3; i++)
        assert_int_equal(sink_hits(ids[i]), 1);
    free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(three_messages_one_file),
        cmocka_unit_test(young_file_waits_for_min_age),
        cmocka_unit_test(bad_message_to_error_dir),
        cmocka_unit_test(growing_file_waits_until_stable),
        cmocka_unit_test(file_again_is_not_ingested_twice),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
