/*
 * test_run_flow.c — `hxe serve` end to end, on real sockets: the corpus
 * through a channel (every message ACKed, every accepted one delivered
 * exactly once to an MLLP sink), validation strictness (AA/AE/AR as each
 * message deserves), bad input (non-HL7 bytes, unknown types, junk
 * between frames, oversize frames, half-open and slow senders),
 * duplicates, and filter/transformer failures (a Lua loop, a Lua error)
 * that fail their message visibly while the server and the next message
 * go on. One server for the file, started from $HXE_BIN.
 */
#include "helpers/run_testutil.h"
#include "helpers/testutil.h"

#include "engine/engine.h"
#include "store/store.h"

#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64], logpath[128], cfgf[128], dbf[128];
static int p_corpus, p_strict, p_lua, p_out;
static rt_sink *sink;
static pid_t pid = -1;

static const char *const own[] = {
    ("MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A01^ADT_A01|X1|P|2.5.1\r"
    "EVN|A01|20240115093000\r"
    "PID|1||PATID1234^^^GOOD HEALTH HOSPITAL^MR||EVERYMAN^ADAM^A||19610615|M\r"
    "PV1|1|I|2000^2012^01\r"),
    ("MSH|^~\\&|LAB|LAB|EHR|HOSP|20240201120000||ORU^R01^ORU_R01|X2|P|2.5.1\r"
    "PID|1||555^^^HOSP^MR||DOE^JANE||19800101|F\r"
    "OBR|1||ORD1|718-7^Hemoglobin^LN\r"
    "OBX|1|NM|718-7^Hemoglobin^LN||13.2|g/dL|12-16|N|||F\r"),
    /* an ADT missing its required PID: AE under validation: error */
    ("MSH|^~\\&|ADT1|GOOD HEALTH HOSPITAL|GHH LAB|GOOD HEALTH HOSPITAL|20240115093000||ADT^A04^ADT_A01|X3|P|2.5.1\r"
    "EVN|A04|20240115093000\r"),
};
#define NOWN (sizeof own / sizeof own[0])

typedef struct msgs {
    char **v;
    size_t *len;
    size_t n, cap;
} msgs;

static void msgs_add(msgs *m, const char *p, size_t n)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->v = realloc(m->v, m->cap * sizeof *m->v);
        m->len = realloc(m->len, m->cap * sizeof *m->len);
    }
    m->v[m->n] = malloc(n + 1);
    memcpy(m->v[m->n], p, n);
    m->v[m->n][n] = 0;
    m->len[m->n++] = n;
}

static void msgs_free(msgs *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->v[i]);
    free(m->v);
    free(m->len);
}

/* The project's messages plus every message of the shared corpus that
 * parses (absent corpus: only ours). */
static void load_messages(msgs *out, size_t max_corpus)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < NOWN; i++)
        msgs_add(out, own[i], strlen(own[i]));
    const char *cdir = tu_shared("hl7v2");
    if (!cdir) {
        print_message("note: ../shared/corpus/hl7v2 is absent; the project's messages only\n");
        return;
    }
    char root[4096];
    snprintf(root, sizeof root, "%s", cdir);
    DIR *d = opendir(root);
    struct dirent *e;
    size_t taken = 0;
    char **names = NULL;
    size_t nn = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (nn + 1) * sizeof *names);
        names[nn++] = strdup(e->d_name);
    }
    if (d)
        closedir(d);
    /* a stable order */
    for (size_t i = 1; i < nn; i++)
        for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (size_t f = 0; f < nn; f++) {
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", root, names[f]);
        size_t n = 0;
        char *data = tu_read(path, &n);
        if (data && taken < max_corpus) {
            hxe_hl7_reader r;
            hxe_hl7_reader_init(&r, data, n, NULL);
            hxe_slice u;
            int kind;
            while ((kind = hxe_hl7_reader_next(&r, &u, NULL)) != HXE_HL7_UNIT_END) {
                if (kind != HXE_HL7_UNIT_MESSAGE || taken >= max_corpus)
                    continue;
                hxe_arena a;
                hxe_arena_init(&a, 16384, 0);
                hxe_hl7_msg *m = NULL;
                if (hxe_hl7_parse(&m, &a, u.p, u.n, NULL, NULL, NULL) == 0) {
                    msgs_add(out, u.p, u.n);
                    taken++;
                }
                hxe_arena_free(&a);
            }
        }
        free(data);
        free(names[f]);
    }
    free(names);
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
    if (!sink)
        return -1;
    p_corpus = rt_free_port();
    p_strict = rt_free_port();
    p_lua = rt_free_port();
    p_out = rt_free_port();
    char cfg[8192];
    snprintf(cfg, sizeof cfg,
             "version: 1\n"
             "store: {path: %s}\n"
             "log: {level: info}\n"
             "tenants: [{name: t1}]\n"
             "channels:\n"
             "  - name: corpus\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    validation: warn\n"
             "    duplicate_window: 1h\n"
             "    destinations:\n"
             "      - name: sink\n"
             "        type: mllp\n"
             "        host: 127.0.0.1\n"
             "        port: %d\n"
             "        ack_timeout: 5s\n"
             "        retry: {max_attempts: 0, initial_interval: 100ms, max_interval: 1s}\n"
             "  - name: strict\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d, max_message: 64KiB}\n"
             "    accept: [\"ADT^*\", \"ORU^R01\"]\n"
             "    validation: error\n"
             "    duplicate_window: 0\n"
             "    destinations:\n"
             "      - {name: files, type: file, path: %s/out-strict}\n"
             "  - name: lua\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    filter:\n"
             "      instructions: 100000\n"
             "      lua: |\n"
             "        local id = msg:get(\"MSH-10\")\n"
             "        if id:sub(1, 4) == \"LOOP\" then while true do end end\n"
             "        if id:sub(1, 3) == \"ERR\" then error(\"boom \" .. id) end\n"
             "        return id:sub(1, 4) ~= \"DROP\"\n"
             "    transformer:\n"
             "      rules:\n"
             "        - set ZHX-1 = \"seen\"\n"
             "    destinations:\n"
             "      - {name: next, type: channel, channel: lua-out}\n"
             "  - name: lua-out\n"
             "    tenant: t1\n"
             "    source: {type: mllp, host: 127.0.0.1, port: %d}\n"
             "    destinations:\n"
             "      - {name: files, type: file, path: %s/out-lua, filename: \"{control_id}.hl7\"}\n",
             dbf, p_corpus, rt_sink_port(sink), p_strict, dir, p_lua, p_out, dir);
    if (rt_write_file(cfgf, cfg))
        return -1;
    pid = rt_serve_start(cfgf, dir, logpath);
    if (pid < 0 || rt_wait_port(p_corpus, 10000) || rt_wait_port(p_strict, 2000) ||
        rt_wait_port(p_lua, 2000)) {
        fprintf(stderr, "hxe serve did not start; log in %s\n", logpath);
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    int st = rt_serve_stop(pid, SIGTERM, 15000);
    int stats = rt_file_has(logpath, "\"channel_stats\"");
    rt_sink_stop(sink);
    if (st != 0 || !stats) {
        fprintf(stderr, "hxe serve ended with %d (stats logged: %d); log kept in %s\n", st, stats,
                logpath);
        return -1;
    }
    rt_rmtree(dir);
    return 0;
}

/* Sends every message on one connection, up to 16 unanswered at a time
 * (so the group commit shares fsyncs); the codes go in codes[]. */
static void send_all(int port, msgs *m, char (*codes)[3])
{
    int fd = rt_connect(port, 2000);
    assert_true(fd >= 0);
    size_t got = rt_pipeline(fd, m->v, m->len, m->n, codes, 16);
    if (got < m->n)
        fail_msg("message %zu: no ACK", got);
    close(fd);
}

static void corpus_through_a_channel(void **state)
{
    (void)state;
    msgs m;
    load_messages(&m, 400);
    /* a unique control id each, so the sink can tell them apart (the
     * corpus repeats MSH-10 values, which the duplicate window would
     * rightly swallow) */
    for (size_t i = 0; i < m.n; i++) {
        char id[32];
        snprintf(id, sizeof id, "C%05zu", i);
        size_t n;
        char *x = rt_with_control_id(m.v[i], m.len[i], id, &n);
        assert_non_null(x);
        free(m.v[i]);
        m.v[i] = x;
        m.len[i] = n;
    }
    char (*codes)[3] = calloc(m.n, sizeof *codes);
    send_all(p_corpus, &m, codes);
    for (size_t i = 0; i < m.n; i++)
        if (strcmp(codes[i], "AA") && strcmp(codes[i], "CA"))
            fail_msg("message %zu: %s under validation: warn", i, codes[i]);
    if (rt_sink_wait(sink, m.n, 20000))
        fail_msg("the sink has %zu of %zu", rt_sink_count(sink), m.n);
    rt_sleep_ms(200);
    char **ids;
    size_t n = rt_sink_ids(sink, &ids);
    unsigned char *seen = calloc(m.n, 1);
    for (size_t i = 0; i < n; i++) {
        unsigned k;
        if (sscanf(ids[i], "C%5u", &k) != 1 || k >= m.n)
            continue;
        if (seen[k]++)
            fail_msg("%s delivered twice", ids[i]);
    }
    for (size_t i = 0; i < m.n; i++)
        if (!seen[i])
            fail_msg("C%05zu never delivered", i);
    print_message("corpus: %zu messages ACKed and delivered exactly once\n", m.n);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    free(seen);
    free(codes);
    msgs_free(&m);
}

/* What the strict channel should answer: the codec's own verdict. */
static char expected(const char *msg, size_t len)
{
    hxe_arena a;
    hxe_arena_init(&a, 16384, 0);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_hl7_msg *m = NULL;
    char v = 'R';
    if (hxe_hl7_parse(&m, &a, msg, len, NULL, &is, NULL) == 0) {
        char type[64];
        hxe_config_msg_type(m, type, sizeof type);
        int ok = strncmp(type, "ADT^", 4) == 0 || strcmp(type, "ORU^R01") == 0;
        if (ok && hxe_hl7_validate(m, NULL, &is) == 0)
            v = (char)hxe_hl7_verdict(m, &is);
    }
    hxe_issues_free(&is);
    hxe_arena_free(&a);
    return v;
}

static void validation_strictness(void **state)
{
    (void)state;
    msgs m;
    load_messages(&m, 40);
    char (*codes)[3] = calloc(m.n, sizeof *codes);
    send_all(p_strict, &m, codes);
    size_t aa = 0, ae = 0, ar = 0;
    for (size_t i = 0; i < m.n; i++) {
        char v = expected(m.v[i], m.len[i]);
        if (codes[i][1] != v)
            fail_msg("message %zu: %s, expected ?%c", i, codes[i], v);
        aa += v == 'A';
        ae += v == 'E';
        ar += v == 'R';
    }
    assert_true(aa >= 2);   /* our ADT and ORU */
    assert_true(ae >= 1);   /* our ADT without PID */
    char out[128];
    snprintf(out, sizeof out, "%s/out-strict", dir);
    uint64_t end = rt_now_ms() + 10000;
    while (rt_count_files(out) < aa && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(rt_count_files(out), aa);
    print_message("strict: %zu AA (delivered as files), %zu AE, %zu AR\n", aa, ae, ar);
    free(codes);
    msgs_free(&m);
}

static void bad_input(void **state)
{
    (void)state;
    char code[3];
    static char buf[1 << 16];
    /* non-HL7 bytes in a frame */
    assert_int_equal(rt_exchange(p_strict, "hello, this is not HL7", code), 0);
    assert_string_equal(code, "AR");
    /* a type the channel does not accept */
    assert_int_equal(rt_exchange(p_strict,
                                 "MSH|^~\\&|A|B|C|D|20240101||ZZZ^Z01|B1|P|2.5.1\rPID|1||9^^^H^MR\r",
                                 code), 0);
    assert_string_equal(code, "AR");
    /* junk between frames: both messages answered */
    int fd = rt_connect(p_strict, 2000);
    assert_true(fd >= 0);
    assert_int_equal(rt_send_raw(fd, "junk before\r\n", 13), 0);
    assert_int_equal(rt_send_frame(fd, own[0], strlen(own[0])), 0);
    assert_int_equal(rt_send_raw(fd, "\x1c\rmore junk", 11), 0);
    assert_int_equal(rt_send_frame(fd, own[1], strlen(own[1])), 0);
    for (int i = 0; i < 2; i++) {
        assert_true(rt_recv_frame(fd, buf, sizeof buf, 5000) >= 0);
        rt_ack_code(buf, code);
        assert_string_equal(code, "AA");
    }
    close(fd);
    /* a half-open connection: a frame started and never finished */
    int half = rt_connect(p_strict, 2000);
    assert_true(half >= 0);
    assert_int_equal(rt_send_raw(half, "\x0bMSH|^~\\&|A|B", 13), 0);
    /* a slow sender: the message in 16 pieces */
    fd = rt_connect(p_strict, 2000);
    assert_true(fd >= 0);
    size_t n = strlen(own[0]);
    assert_int_equal(rt_send_raw(fd, "\x0b", 1), 0);
    for (size_t i = 0; i < n; i += (n + 15) / 16) {
        size_t k = (n + 15) / 16;
        assert_int_equal(rt_send_raw(fd, own[0] + i, i + k > n ? n - i : k), 0);
        rt_sleep_ms(10);
    }
    assert_int_equal(rt_send_raw(fd, "\x1c\r", 2), 0);
    assert_true(rt_recv_frame(fd, buf, sizeof buf, 5000) >= 0);
    rt_ack_code(buf, code);
    assert_string_equal(code, "AA");
    close(fd);
    /* an oversize frame (max_message 64KiB) closes its connection */
    fd = rt_connect(p_strict, 2000);
    assert_true(fd >= 0);
    char *big = malloc(100 * 1024);
    memset(big, 'A', 100 * 1024);
    memcpy(big, "MSH|^~\\&|A|B|C|D|20240101||ADT^A01|BIG|P|2.5.1\r", 48);
    rt_send_frame(fd, big, 100 * 1024);   /* may fail half way: the server closed */
    assert_true(rt_recv_frame(fd, buf, sizeof buf, 5000) < 0);
    close(fd);
    free(big);
    /* and the server goes on */
    assert_int_equal(rt_exchange(p_strict, own[1], code), 0);
    assert_string_equal(code, "AA");
    close(half);
    uint64_t end = rt_now_ms() + 3000;
    while (!rt_file_has(logpath, "\"oversize\":1") && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_true(rt_file_has(logpath, "type_not_accepted"));
    assert_true(rt_file_has(logpath, "\"reason\":\"unreadable\""));
}

static void duplicates_acked_delivered_once(void **state)
{
    (void)state;
    size_t n;
    char *m = rt_with_control_id(own[0], strlen(own[0]), "DUP-1", &n);
    char code[3];
    size_t before = rt_sink_count(sink);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(rt_exchange(p_corpus, m, code), 0);
        assert_string_equal(code, "AA");
    }
    assert_int_equal(rt_sink_wait(sink, before + 1, 5000), 0);
    rt_sleep_ms(500);
    char **ids;
    size_t k = rt_sink_ids(sink, &ids), hits = 0;
    for (size_t i = 0; i < k; i++) {
        hits += strcmp(ids[i], "DUP-1") == 0;
        free(ids[i]);
    }
    free(ids);
    assert_int_equal(hits, 1);
    assert_true(rt_file_count(logpath, "\"event\":\"duplicate\"") >= 2);
    free(m);
}

static void script_failures_are_visible(void **state)
{
    (void)state;
    const char *ids[] = {"LOOP-1", "ERR-1", "OK-1", "DROP-1", "OK-2"};
    char code[3];
    for (size_t i = 0; i < 5; i++) {
        size_t n;
        char *m = rt_with_control_id(own[1], strlen(own[1]), ids[i], &n);
        /* the ACK says "stored": the filter runs after it */
        assert_int_equal(rt_exchange(p_lua, m, code), 0);
        assert_string_equal(code, "AA");
        free(m);
    }
    char ok2[160], ok1[160], other[160];
    snprintf(ok1, sizeof ok1, "%s/out-lua/OK-1.hl7", dir);
    snprintf(ok2, sizeof ok2, "%s/out-lua/OK-2.hl7", dir);
    uint64_t end = rt_now_ms() + 10000;
    while ((access(ok1, F_OK) || access(ok2, F_OK)) && rt_now_ms() < end)
        rt_sleep_ms(20);
    assert_int_equal(access(ok1, F_OK), 0);
    assert_int_equal(access(ok2, F_OK), 0);
    /* transformed on the way (ZHX-1 set by the rules) */
    assert_true(rt_file_has(ok1, "ZHX|seen"));
    for (size_t i = 0; i < 2; i++) {
        snprintf(other, sizeof other, "%s/out-lua/%s.hl7", dir, i ? "ERR-1" : "LOOP-1");
        assert_int_not_equal(access(other, F_OK), 0);
    }
    snprintf(other, sizeof other, "%s/out-lua/DROP-1.hl7", dir);
    assert_int_not_equal(access(other, F_OK), 0);
    /* visible: a log line each, and two dead letters of the processing stage */
    assert_true(rt_file_has(logpath, "instruction_budget"));
    assert_true(rt_file_count(logpath, "\"event\":\"process_failed\"") >= 2);
    hxe_store_opts so;
    hxe_store_opts_init(&so);
    so.recover = 0;
    so.create = 0;
    hxe_store *s = NULL;
    hxe_err err;
    assert_int_equal(hxe_store_open(&s, dbf, &so, &err), 0);
    hxe_store_filter f = {"t1", "lua", "@process"};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_delivery *d;
    size_t n = 0;
    assert_int_equal(hxe_store_dlq_list(s, &f, 0, 100, &a, &d, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_non_null(strstr(d[0].last_error, "instruction_budget"));
    assert_non_null(strstr(d[1].last_error, "error"));
    hxe_arena_free(&a);
    hxe_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_through_a_channel),
        cmocka_unit_test(validation_strictness),
        cmocka_unit_test(bad_input),
        cmocka_unit_test(duplicates_acked_delivered_once),
        cmocka_unit_test(script_failures_are_visible),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
