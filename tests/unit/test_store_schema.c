/*
 * test_store_schema.c — the store's file and rows: the schema is created
 * and versioned on open, foreign and newer files are refused, messages
 * with their deliveries, content versions and events round-trip, bad
 * arguments change nothing, duplicates are found within their window, and
 * explicit transactions commit or roll back as one.
 */
#include "helpers/testutil.h"
#include "store/store.h"

#include <dirent.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- a temp directory per test ---- */
static char g_dir[64];
static char g_db[128];

static int setup(void **state)
{
    (void)state;
    if (tu_tmpdir(g_dir))
        return -1;
    snprintf(g_db, sizeof g_db, "%s/store.db", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(g_dir);
    return 0;
}

static hxe_store *open_store(void)
{
    hxe_store *s = NULL;
    hxe_err err = {0};
    if (hxe_store_open(&s, g_db, NULL, &err))
        fail_msg("open: %s", err.msg);
    return s;
}

static void sql(const char *q)
{
    sqlite3 *db;
    assert_int_equal(sqlite3_open(g_db, &db), SQLITE_OK);
    char *msg = NULL;
    if (sqlite3_exec(db, q, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", q, msg);
    sqlite3_close(db);
}

/* A version 7 UUID whose time (its first 48 bits) is within a minute of
 * the clock: ids made one after another sort in time order. */
static int is_uuid_v7_now(const char *s)
{
    if (strlen(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
        return 0;
    if (s[14] != '7' || !strchr("89ab", s[19]))
        return 0;
    char hex[13];
    memcpy(hex, s, 8);
    memcpy(hex + 8, s + 9, 4);
    hex[12] = 0;
    int64_t ms = (int64_t)strtoull(hex, NULL, 16), now = hxe_store_now_ms();
    if (ms > now || now - ms > 60000)
        return 0;
    for (int i = 0; i < 36; i++)
        if (i != 8 && i != 13 && i != 18 && i != 23 && !strchr("0123456789abcdef", s[i]))
            return 0;
    return 1;
}

#define ADT "MSH|^~\\&|ADT|HOSP|LAB|HOSP|20240101||ADT^A01|C1|P|2.5\rPID|1||123^^^H^MR||DOE^JANE\r"

static int64_t add(hxe_store *s, const char *tenant, const char *channel, const char *ctl,
                   int64_t at, const char *const *dests, size_t nd)
{
    hxe_store_msg_in in = {.tenant = tenant, .channel = channel, .received_at = at,
                           .control_id = ctl, .sender = "ADT^HOSP", .msg_type = "ADT^A01",
                           .content = ADT, .content_len = strlen(ADT),
                           .destinations = dests, .ndestinations = nd};
    hxe_store_msg_ref ref;
    hxe_err err = {0};
    if (hxe_store_msg_add(s, &in, &ref, &err))
        fail_msg("msg_add: %s", err.msg);
    return ref.id;
}

static void creates_and_versions_the_schema(void **state)
{
    (void)state;
    int v = -1;
    hxe_err err = {0};
    assert_int_equal(hxe_store_schema_version(g_db, &v, &err), HXE_ENOTFOUND);
    hxe_store *s = open_store();
    assert_int_equal(hxe_store_schema_version(g_db, &v, &err), 0);
    assert_int_equal(v, HXE_STORE_SCHEMA_VERSION);
    add(s, "t1", "adt", "C1", 0, NULL, 0);
    /* WAL mode: the commit went to the -wal file beside the database */
    char wal[160];
    snprintf(wal, sizeof wal, "%s-wal", g_db);
    assert_int_equal(access(wal, F_OK), 0);
    hxe_store_close(s);
    /* reopening an existing store keeps its rows */
    s = open_store();
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_msg m;
    assert_int_equal(hxe_store_msg_get(s, "t1", 1, &a, &m, &err), 0);
    assert_string_equal(m.control_id, "C1");
    hxe_arena_free(&a);
    hxe_store_close(s);
    /* "sqlite:" prefix names the same file */
    char uri[160];
    snprintf(uri, sizeof uri, "sqlite:%s", g_db);
    assert_int_equal(hxe_store_open(&s, uri, NULL, &err), 0);
    hxe_store_close(s);
}

static void refuses_what_it_cannot_read(void **state)
{
    (void)state;
    hxe_store *s = NULL;
    hxe_err err = {0};
    hxe_store_opts o;
    hxe_store_opts_init(&o);
    o.create = 0;
    assert_int_equal(hxe_store_open(&s, g_db, &o, &err), HXE_ENOTFOUND);
    assert_null(s);
    assert_int_equal(hxe_store_open(&s, "postgres://db/hxe", NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "planned"));
    /* a database written by a newer hxe */
    hxe_store_close(open_store());
    sql("UPDATE hxe_schema SET version = 99");
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "newer"));
    assert_null(s);
    /* a SQLite file that is something else */
    unlink(g_db);
    sql("CREATE TABLE patients (name TEXT)");
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "not an hxe store"));
    /* not a database at all */
    unlink(g_db);
    FILE *f = fopen(g_db, "w");
    fputs("this is plainly not a SQLite database, it is a text file of some length....", f);
    fclose(f);
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), HXE_EIO);
    assert_null(s);
}

static void message_round_trip(void **state)
{
    (void)state;
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    static const char raw[] = "MSH|^~\\&|A\0B|C\r";  /* NUL inside: stored as bytes */
    const char *dests[] = {"lab", "archive"};
    hxe_store_msg_in in = {.tenant = "t1", .channel = "adt", .received_at = 1700000000000,
                           .control_id = "MSG0001", .sender = "ADT^HOSP", .msg_type = "ADT^A01",
                           .content = raw, .content_len = sizeof raw - 1,
                           .destinations = dests, .ndestinations = 2,
                           .event_detail = "from 10.0.0.7"};
    hxe_store_msg_ref r1, r2;
    assert_int_equal(hxe_store_msg_add(s, &in, &r1, &err), 0);
    assert_true(r1.id > 0);
    assert_false(r1.duplicate);
    assert_true(is_uuid_v7_now(r1.correlation_id));
    assert_int_equal(hxe_store_msg_add(s, &in, &r2, &err), 0);
    assert_true(r2.id > r1.id);
    assert_string_not_equal(r1.correlation_id, r2.correlation_id);
    assert_true(is_uuid_v7_now(r2.correlation_id));
    assert_true(strncmp(r1.correlation_id, r2.correlation_id, 13) <= 0);

    hxe_store_msg m;
    assert_int_equal(hxe_store_msg_get(s, "t1", r1.id, &a, &m, &err), 0);
    assert_string_equal(m.tenant, "t1");
    assert_string_equal(m.channel, "adt");
    assert_string_equal(m.correlation_id, r1.correlation_id);
    assert_string_equal(m.sender, "ADT^HOSP");
    assert_string_equal(m.msg_type, "ADT^A01");
    assert_int_equal(m.received_at, 1700000000000);
    assert_int_equal(m.content_len, sizeof raw - 1);
    assert_memory_equal(m.content, raw, sizeof raw - 1);
    assert_int_equal(m.content_pruned_at, 0);

    int64_t id;
    assert_int_equal(hxe_store_msg_find(s, "t1", r2.correlation_id, &id, &err), 0);
    assert_int_equal(id, r2.id);

    hxe_store_delivery *d;
    size_t n;
    assert_int_equal(hxe_store_deliveries(s, "t1", r1.id, &a, &d, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].destination, "lab");
    assert_string_equal(d[1].destination, "archive");
    assert_int_equal(d[0].state, HXE_STORE_QUEUED);
    assert_int_equal(d[0].attempts, 0);
    assert_int_equal(d[0].next_at, 1700000000000);
    char key[128];
    snprintf(key, sizeof key, "%s:lab", r1.correlation_id);
    assert_string_equal(d[0].idempotency_key, key);

    hxe_store_event *ev;
    assert_int_equal(hxe_store_events(s, "t1", r1.id, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_string_equal(ev[0].kind, "received");
    assert_string_equal(ev[0].detail, "from 10.0.0.7");
    assert_int_equal(ev[0].at, 1700000000000);
    assert_int_equal(hxe_store_event_add(s, "t1", r1.id, 1700000000500, "filtered", NULL,
                                         "rule 2 kept it", &err), 0);
    assert_int_equal(hxe_store_events(s, "t1", r1.id, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].kind, "filtered");

    /* the caller's own correlation id is kept, and unique per tenant */
    in.correlation_id = "lab-batch-7.42";
    hxe_store_msg_ref r3;
    assert_int_equal(hxe_store_msg_add(s, &in, &r3, &err), 0);
    assert_string_equal(r3.correlation_id, "lab-batch-7.42");
    assert_int_equal(hxe_store_msg_add(s, &in, &r3, &err), HXE_EINVAL);
    assert_non_null(strstr(err.msg, "correlation id"));

    /* deliveries added later (after a filter), one per new destination */
    const char *more[] = {"fhir"};
    assert_int_equal(hxe_store_deliveries_add(s, "t1", r2.id, more, 1, 0, &err), 0);
    assert_int_equal(hxe_store_deliveries_add(s, "t1", r2.id, more, 1, 0, &err), HXE_EINVAL);
    assert_int_equal(hxe_store_deliveries(s, "t1", r2.id, &a, &d, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(hxe_store_deliveries_add(s, "t1", 999, more, 1, 0, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_msg_get(s, "t1", 999, &a, &m, &err), HXE_ENOTFOUND);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void content_versions(void **state)
{
    (void)state;
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    int64_t id = add(s, "t1", "adt", "C1", 0, NULL, 0);
    const char *p;
    size_t n;
    assert_int_equal(hxe_store_content_get(s, "t1", id, HXE_STORE_RAW, NULL, &a, &p, &n, &err), 0);
    assert_int_equal(n, strlen(ADT));
    assert_string_equal(p, ADT);
    assert_int_equal(hxe_store_content_get(s, "t1", id, HXE_STORE_TRANSFORMED, NULL, &a, &p, &n,
                                           &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_content_add(s, "t1", id, HXE_STORE_TRANSFORMED, NULL, 0, "v1", 2,
                                           &err), 0);
    assert_int_equal(hxe_store_content_add(s, "t1", id, HXE_STORE_TRANSFORMED, NULL, 0, "v2", 2,
                                           &err), 0);
    assert_int_equal(hxe_store_content_add(s, "t1", id, HXE_STORE_TRANSFORMED, "fhir", 0,
                                           "{\"x\":1}", 7, &err), 0);
    /* the newest version wins; per-destination versions are kept apart */
    assert_int_equal(hxe_store_content_get(s, "t1", id, HXE_STORE_TRANSFORMED, NULL, &a, &p, &n,
                                           &err), 0);
    assert_string_equal(p, "v2");
    assert_int_equal(hxe_store_content_get(s, "t1", id, HXE_STORE_TRANSFORMED, "fhir", &a, &p,
                                           &n, &err), 0);
    assert_string_equal(p, "{\"x\":1}");
    assert_int_equal(hxe_store_content_add(s, "t1", id, HXE_STORE_RAW, NULL, 0, "x", 1, &err),
                     HXE_EINVAL);
    assert_int_equal(hxe_store_content_add(s, "t1", id + 1, HXE_STORE_RESPONSE, NULL, 0, "x", 1,
                                           &err), HXE_ENOTFOUND);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static int64_t count_messages(hxe_store *s, const char *tenant)
{
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_stats st;
    hxe_err err = {0};
    assert_int_equal(hxe_store_stats_get(s, tenant, &a, &st, &err), 0);
    int64_t n = 0;
    for (size_t i = 0; i < st.nchannels; i++)
        n += st.channels[i].messages;
    hxe_arena_free(&a);
    return n;
}

static void bad_arguments_change_nothing(void **state)
{
    (void)state;
    hxe_store_opts o;
    hxe_store_opts_init(&o);
    o.max_content = 64;
    o.max_destinations = 2;
    o.max_name = 16;
    hxe_store *s;
    hxe_err err = {0};
    assert_int_equal(hxe_store_open(&s, g_db, &o, &err), 0);
    const char *three[] = {"a", "b", "c"}, *twice[] = {"a", "a"};
    char big[65] = {0};
    memset(big, 'x', 64);
    struct {
        hxe_store_msg_in in;
        int rc;
        const char *says;
    } cases[] = {
        {{.channel = "adt"}, HXE_EINVAL, "tenant"},
        {{.tenant = "t1"}, HXE_EINVAL, "channel"},
        {{.tenant = "t1", .channel = "a\nb"}, HXE_EINVAL, "control character"},
        {{.tenant = "t1", .channel = "aaaaaaaaaaaaaaaaa"}, HXE_EINVAL, "limit"},
        {{.tenant = "t\xff", .channel = "adt"}, HXE_EINVAL, "UTF-8"},
        {{.tenant = "t1", .channel = "adt", .content = big, .content_len = 65}, HXE_ETOOBIG, "content"},
        {{.tenant = "t1", .channel = "adt", .destinations = three, .ndestinations = 3}, HXE_ETOOBIG, "destinations"},
        {{.tenant = "t1", .channel = "adt", .destinations = twice, .ndestinations = 2}, HXE_EINVAL, "twice"},
        {{.tenant = "t1", .channel = "adt", .correlation_id = "has space"}, HXE_EINVAL, "correlation"},
        {{.tenant = "t1", .channel = "adt", .correlation_id = ""}, HXE_EINVAL, "correlation"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hxe_store_msg_ref r;
        int rc = hxe_store_msg_add(s, &cases[i].in, &r, &err);
        if (rc != cases[i].rc || !strstr(err.msg, cases[i].says))
            fail_msg("case %zu: rc %d (%s)", i, rc, err.msg);
    }
    assert_int_equal(count_messages(s, "t1"), 0);
    /* content exactly at the limit is fine */
    hxe_store_msg_in ok = {.tenant = "t1", .channel = "adt", .content = big, .content_len = 64};
    hxe_store_msg_ref r;
    assert_int_equal(hxe_store_msg_add(s, &ok, &r, &err), 0);
    assert_int_equal(count_messages(s, "t1"), 1);
    /* long event text is cut, at a character boundary */
    char detail[2000];
    memset(detail, 'a', sizeof detail);
    memcpy(detail + 1023, "\xc3\xa9", 2); /* é straddles the limit of 1024 bytes */
    detail[sizeof detail - 1] = '\0';
    assert_int_equal(hxe_store_event_add(s, "t1", r.id, 0, "note", NULL, detail, &err), 0);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_event *ev;
    size_t n;
    assert_int_equal(hxe_store_events(s, "t1", r.id, &a, &ev, &n, &err), 0);
    assert_int_equal(strlen(ev[1].detail), 1023);
    assert_int_equal(ev[1].detail[1022], 'a');
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void duplicates_within_the_window(void **state)
{
    (void)state;
    hxe_store *s = open_store();
    hxe_err err = {0};
    const int64_t t0 = 1700000000000;
    int64_t first = add(s, "t1", "adt", "CTL42", t0, NULL, 0);
    hxe_store_msg_ref r;
    assert_int_equal(hxe_store_find_duplicate(s, "t1", "adt", "ADT^HOSP", "CTL42", t0 + 10000, 60,
                                              &r, &err), 0);
    assert_int_equal(r.id, first);
    assert_true(r.duplicate);
    /* outside the window, another sender, another channel, another id */
    assert_int_equal(hxe_store_find_duplicate(s, "t1", "adt", "ADT^HOSP", "CTL42", t0 + 10000, 5,
                                              &r, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_find_duplicate(s, "t1", "adt", "ADT^OTHER", "CTL42", t0 + 1, 60,
                                              &r, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_find_duplicate(s, "t1", "orm", "ADT^HOSP", "CTL42", t0 + 1, 60,
                                              &r, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_find_duplicate(s, "t1", "adt", "ADT^HOSP", "CTL43", t0 + 1, 60,
                                              &r, &err), HXE_ENOTFOUND);
    /* msg_add with a window stores nothing for a duplicate */
    const char *dests[] = {"lab"};
    hxe_store_msg_in in = {.tenant = "t1", .channel = "adt", .received_at = t0 + 30000,
                           .control_id = "CTL42", .sender = "ADT^HOSP", .content = ADT,
                           .content_len = strlen(ADT), .destinations = dests,
                           .ndestinations = 1, .dup_window_s = 60};
    assert_int_equal(hxe_store_msg_add(s, &in, &r, &err), 0);
    assert_true(r.duplicate);
    assert_int_equal(r.id, first);
    assert_int_equal(count_messages(s, "t1"), 1);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_event *ev;
    hxe_store_delivery *d;
    size_t n;
    assert_int_equal(hxe_store_events(s, "t1", first, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].kind, "duplicate");
    assert_int_equal(hxe_store_deliveries(s, "t1", first, &a, &d, &n, &err), 0);
    assert_int_equal(n, 0);
    /* after the window it is a new message */
    in.received_at = t0 + 61000;
    assert_int_equal(hxe_store_msg_add(s, &in, &r, &err), 0);
    assert_false(r.duplicate);
    assert_true(r.id > first);
    /* a message without a control id is never a duplicate */
    in.control_id = NULL;
    assert_int_equal(hxe_store_msg_add(s, &in, &r, &err), 0);
    assert_int_equal(hxe_store_msg_add(s, &in, &r, &err), 0);
    assert_false(r.duplicate);
    assert_int_equal(count_messages(s, "t1"), 4);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void explicit_transactions(void **state)
{
    (void)state;
    hxe_store *s = open_store();
    hxe_err err = {0};
    assert_int_equal(hxe_store_begin(s, &err), 0);
    assert_int_equal(hxe_store_begin(s, &err), HXE_EINVAL);
    add(s, "t1", "adt", "A", 0, NULL, 0);
    add(s, "t1", "adt", "B", 0, NULL, 0);
    hxe_store_rollback(s);
    assert_int_equal(count_messages(s, "t1"), 0);
    assert_int_equal(hxe_store_commit(s, &err), HXE_EINVAL);
    assert_int_equal(hxe_store_begin(s, &err), 0);
    add(s, "t1", "adt", "A", 0, NULL, 0);
    /* a failing call inside the transaction undoes only itself */
    hxe_store_msg_in dup = {.tenant = "t1", .channel = "adt", .correlation_id = "X1"};
    hxe_store_msg_ref r;
    assert_int_equal(hxe_store_msg_add(s, &dup, &r, &err), 0);
    assert_int_equal(hxe_store_msg_add(s, &dup, &r, &err), HXE_EINVAL);
    assert_int_equal(hxe_store_commit(s, &err), 0);
    hxe_store_close(s);
    s = open_store();
    assert_int_equal(count_messages(s, "t1"), 2);
    hxe_store_close(s);
}

static void statistics(void **state)
{
    (void)state;
    hxe_store *s = open_store();
    hxe_err err = {0};
    const char *two[] = {"lab", "archive"};
    add(s, "t1", "adt", "1", 1000, two, 2);
    add(s, "t1", "adt", "2", 3000, two, 1);
    add(s, "t1", "orm", "3", 2000, two + 1, 1);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_delivery *d;
    size_t n;
    hxe_store_queue q = {"t1", "adt", "lab", 1};
    assert_int_equal(hxe_store_claim(s, &q, 5000, 1, &a, &d, &n, &err), 0);
    assert_int_equal(n, 1);
    hxe_store_stats st;
    assert_int_equal(hxe_store_stats_get(s, "t1", &a, &st, &err), 0);
    assert_int_equal(st.nchannels, 2);
    assert_string_equal(st.channels[0].channel, "adt");
    assert_int_equal(st.channels[0].messages, 2);
    assert_int_equal(st.channels[0].oldest_at, 1000);
    assert_int_equal(st.channels[0].newest_at, 3000);
    assert_int_equal(st.channels[1].messages, 1);
    assert_int_equal(st.nqueues, 3);
    /* adt/archive, adt/lab, orm/archive */
    assert_string_equal(st.queues[0].destination, "archive");
    assert_int_equal(st.queues[0].count[HXE_STORE_QUEUED], 1);
    assert_string_equal(st.queues[1].destination, "lab");
    assert_int_equal(st.queues[1].count[HXE_STORE_QUEUED], 1);
    assert_int_equal(st.queues[1].count[HXE_STORE_SENDING], 1);
    assert_string_equal(st.queues[2].channel, "orm");
    hxe_arena_free(&a);
    hxe_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(creates_and_versions_the_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_what_it_cannot_read, setup, teardown),
        cmocka_unit_test_setup_teardown(message_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(content_versions, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments_change_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicates_within_the_window, setup, teardown),
        cmocka_unit_test_setup_teardown(explicit_transactions, setup, teardown),
        cmocka_unit_test_setup_teardown(statistics, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
