/*
 * test_store_dlq.c — dead letters: list with filters and paging, retry
 * (queued again, attempts reset, event) and discard (kept, event), all or
 * nothing with ids; and the same through `hxe dlq` ($HXE_BIN) while the
 * store is open in this process with a writer running, as beside a live
 * engine. The command's output never carries message content.
 */
#include "helpers/testutil.h"
#include "store/store.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

#define T0 1700000000000LL
#define SECRET "DOE^JANE^Q"   /* stands for PHI: must never be printed */

/* Messages on `channel` whose delivery to `dest` ended dead; returns the
 * delivery ids in order. */
static void make_dead(hxe_store *s, const char *channel, const char *dest, int count,
                      int64_t *out)
{
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    const char *dests[] = {dest};
    for (int i = 0; i < count; i++) {
        static int seq;
        char content[96];
        snprintf(content, sizeof content, "MSH|^~\\&|A|B|||||ADT^A01|D%d|P|2.5\rPID|1||||" SECRET "\r",
                 ++seq);
        hxe_store_msg_in in = {.tenant = "t1", .channel = channel, .received_at = T0 + seq,
                               .content = content, .content_len = strlen(content),
                               .destinations = dests, .ndestinations = 1};
        hxe_store_msg_ref r;
        assert_int_equal(hxe_store_msg_add(s, &in, &r, &err), 0);
        hxe_store_queue q = {"t1", channel, dest, 1};
        hxe_store_delivery *d;
        size_t n;
        assert_int_equal(hxe_store_claim(s, &q, T0 + 1000, 1, &a, &d, &n, &err), 0);
        assert_int_equal(n, 1);
        assert_int_equal(hxe_store_mark_dead(s, "t1", d[0].id, T0 + 2000,
                                             "HTTP 503 from endpoint", &err), 0);
        if (out)
            out[i] = d[0].id;
    }
    hxe_arena_free(&a);
}

static void list_retry_discard(void **state)
{
    (void)state;
    hxe_store *s;
    hxe_err err = {0};
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), 0);
    int64_t lab[5], fhir[2], orm[1];
    make_dead(s, "adt", "lab", 5, lab);
    make_dead(s, "adt", "fhir", 2, fhir);
    make_dead(s, "orm", "lab", 1, orm);
    hxe_arena a;
    hxe_arena_init(&a, 1 << 14, 0);
    hxe_store_delivery *d;
    size_t n;
    hxe_store_filter all = {"t1", NULL, NULL}, adt_lab = {"t1", "adt", "lab"},
                     lab_only = {"t1", NULL, "lab"};
    assert_int_equal(hxe_store_dlq_list(s, &all, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 8);
    assert_int_equal(hxe_store_dlq_list(s, &adt_lab, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 5);
    assert_int_equal(d[0].attempts, 1);
    assert_string_equal(d[0].last_error, "HTTP 503 from endpoint");
    assert_int_equal(hxe_store_dlq_list(s, &lab_only, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 6);
    /* paging: after an id, at most limit */
    assert_int_equal(hxe_store_dlq_list(s, &adt_lab, lab[1], 2, &a, &d, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(d[0].id, lab[2]);
    assert_int_equal(d[1].id, lab[3]);

    /* retry one: queued, attempts 0, due now, and claimable again */
    uint64_t changed;
    assert_int_equal(hxe_store_dlq_retry(s, &all, &lab[0], 1, T0 + 5000, &changed, &err), 0);
    assert_int_equal(changed, 1);
    hxe_store_queue q = {"t1", "adt", "lab", 1};
    assert_int_equal(hxe_store_claim(s, &q, T0 + 5000, 1, &a, &d, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].id, lab[0]);
    assert_int_equal(d[0].attempts, 0);
    assert_int_equal(d[0].last_error[0], '\0');
    hxe_store_event *ev;
    assert_int_equal(hxe_store_events(s, "t1", d[0].message_id, &a, &ev, &n, &err), 0);
    assert_string_equal(ev[n - 1].kind, "retried");
    assert_non_null(strstr(ev[n - 1].detail, "after 1 attempts"));

    /* all or nothing: one id that is not a dead letter spoils the lot */
    int64_t mixed[] = {lab[1], lab[0], lab[2]};
    assert_int_equal(hxe_store_dlq_discard(s, &all, mixed, 3, 0, &changed, &err), HXE_ENOTFOUND);
    assert_non_null(strstr(err.msg, "delivery"));
    assert_int_equal(changed, 0);
    assert_int_equal(hxe_store_dlq_list(s, &adt_lab, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 4);
    /* an id outside the filter is not a dead letter of it */
    assert_int_equal(hxe_store_dlq_retry(s, &adt_lab, fhir, 1, 0, &changed, &err), HXE_ENOTFOUND);

    /* discard by filter: kept with state discarded, and an event */
    assert_int_equal(hxe_store_dlq_discard(s, &lab_only, NULL, 0, T0 + 6000, &changed, &err), 0);
    assert_int_equal(changed, 5); /* adt/lab 1..4 and orm/lab */
    assert_int_equal(hxe_store_dlq_list(s, &all, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(d[0].destination, "fhir");
    assert_int_equal(hxe_store_deliveries(s, "t1", d[0].message_id - 1, &a, &d, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].state, HXE_STORE_DISCARDED);
    assert_int_equal(hxe_store_events(s, "t1", d[0].message_id, &a, &ev, &n, &err), 0);
    assert_string_equal(ev[n - 1].kind, "discarded");
    hxe_arena_free(&a);
    hxe_store_close(s);
}

/* ---- the command ---- */

static char g_out[1 << 16];

/* Runs `hxe ARGS` through the shell; returns the exit code, output in g_out. */
static int hxe(const char *args)
{
    const char *bin = getenv("HXE_BIN");
    if (!bin)
        fail_msg("HXE_BIN is not set (run through ctest)");
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s 2>&1", bin, args);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(g_out, 1, sizeof g_out - 1, p);
    g_out[n] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static size_t count_lines(const char *s, const char *with)
{
    size_t n = 0;
    for (const char *p = s; (p = strstr(p, with)); p++)
        n++;
    return n;
}

static void nop_cb(const hxe_store_commit_result *c, void *data)
{
    (void)c;
    (void)data;
}

static void command_beside_a_running_store(void **state)
{
    (void)state;
    hxe_store *s;
    hxe_err err = {0};
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), 0);
    int64_t lab[3], fhir[2];
    make_dead(s, "adt", "lab", 3, lab);
    make_dead(s, "adt", "fhir", 2, fhir);
    /* the "engine" keeps the store open with a writer */
    hxe_store_writer *w;
    assert_int_equal(hxe_store_writer_start(&w, s, NULL, &err), 0);
    hxe_store_msg_in in = {.tenant = "t1", .channel = "adt", .content = SECRET,
                           .content_len = strlen(SECRET)};
    assert_int_equal(hxe_store_writer_submit(w, &in, nop_cb, NULL, &err), 0);

    char args[512];
    snprintf(args, sizeof args, "dlq list --db %s --tenant t1", g_db);
    assert_int_equal(hxe(args), 0);
    assert_int_equal(count_lines(g_out, "delivery="), 5);
    assert_null(strstr(g_out, "DOE"));
    assert_null(strstr(g_out, "MSH"));
    char want[64];
    snprintf(want, sizeof want, "delivery=%lld ", (long long)lab[0]);
    assert_non_null(strstr(g_out, want));
    assert_non_null(strstr(g_out, "destination=\"fhir\""));
    assert_non_null(strstr(g_out, "attempts=1"));
    assert_non_null(strstr(g_out, "error=\"HTTP 503 from endpoint\""));
    assert_non_null(strstr(g_out, "5 dead letters"));
    snprintf(args, sizeof args, "dlq list --db %s --tenant t1 --destination fhir --limit 1", g_db);
    assert_int_equal(hxe(args), 0);
    assert_int_equal(count_lines(g_out, "delivery="), 1);
    snprintf(args, sizeof args, "dlq list --db %s --tenant other", g_db);
    assert_int_equal(hxe(args), 0);
    assert_int_equal(count_lines(g_out, "delivery="), 0);

    /* retry two by id, then discard the rest of a destination */
    snprintf(args, sizeof args, "dlq retry --db %s --tenant t1 %lld %lld", g_db,
             (long long)lab[0], (long long)lab[2]);
    assert_int_equal(hxe(args), 0);
    assert_non_null(strstr(g_out, "retried 2 dead letters"));
    snprintf(args, sizeof args, "dlq retry --db %s --tenant t1 %lld", g_db, (long long)lab[0]);
    assert_int_equal(hxe(args), 1);
    assert_non_null(strstr(g_out, "not a dead letter"));
    snprintf(args, sizeof args, "dlq discard --db %s --tenant t1 --destination fhir --all", g_db);
    assert_int_equal(hxe(args), 0);
    assert_non_null(strstr(g_out, "discarded 2 dead letters"));

    /* what the command did is what the store holds */
    hxe_store_writer_free(w);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_delivery *d;
    size_t n;
    hxe_store_filter all = {"t1", NULL, NULL};
    assert_int_equal(hxe_store_dlq_list(s, &all, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].id, lab[1]);
    hxe_arena_free(&a);
    hxe_store_close(s);

    /* usage errors and a missing store */
    assert_int_equal(hxe("dlq --help"), 0);
    assert_int_equal(hxe("dlq list --help"), 0);
    snprintf(args, sizeof args, "dlq list --db %s", g_db);
    assert_int_equal(hxe(args), 2);
    assert_non_null(strstr(g_out, "--tenant"));
    snprintf(args, sizeof args, "dlq retry --db %s --tenant t1", g_db);
    assert_int_equal(hxe(args), 2);
    snprintf(args, sizeof args, "dlq retry --db %s --tenant t1 --all 3", g_db);
    assert_int_equal(hxe(args), 2);
    snprintf(args, sizeof args, "dlq retry --db %s --tenant t1 x12", g_db);
    assert_int_equal(hxe(args), 2);
    assert_int_equal(hxe("dlq purge --db x --tenant t1"), 2);
    snprintf(args, sizeof args, "dlq list --db %s/missing.db --tenant t1", g_dir);
    assert_int_equal(hxe(args), 2);
    snprintf(args, sizeof args, "%s/missing.db", g_dir);
    assert_int_equal(access(args, F_OK), -1); /* and it was not created */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_retry_discard, setup, teardown),
        cmocka_unit_test_setup_teardown(command_beside_a_running_store, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
