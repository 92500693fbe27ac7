/*
 * test_store_queue.c — the destination queues: FIFO by receipt, the head
 * in flight when ordered (one or a batch, released when not attempted), the claim -> sent / failed / dead transitions and
 * their events, the content a claim hands out, queues kept apart, two
 * connections never claiming the same delivery, and recovery of deliveries
 * left `sending` when the store is reopened after a crash.
 */
#include "helpers/testutil.h"
#include "store/store.h"

#include <dirent.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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

static hxe_store *open_with(int recover)
{
    hxe_store_opts o;
    hxe_store_opts_init(&o);
    o.recover = recover;
    hxe_store *s = NULL;
    hxe_err err = {0};
    if (hxe_store_open(&s, g_db, &o, &err))
        fail_msg("open: %s", err.msg);
    return s;
}

#define T0 1700000000000LL

/* A message numbered i (its content says so), received at T0 + i. */
static int64_t add(hxe_store *s, int i, const char *const *dests, size_t nd)
{
    char content[64];
    snprintf(content, sizeof content, "MSH|^~\\&|A|B|C|D|||ORU^R01|M%d|P|2.5\r", i);
    hxe_store_msg_in in = {.tenant = "t1", .channel = "oru", .received_at = T0 + i,
                           .content = content, .content_len = strlen(content),
                           .destinations = dests, .ndestinations = nd};
    hxe_store_msg_ref r;
    hxe_err err = {0};
    if (hxe_store_msg_add(s, &in, &r, &err))
        fail_msg("msg_add: %s", err.msg);
    return r.id;
}

static const char *lab[] = {"lab"};

static size_t claim(hxe_store *s, const char *dest, int ordered, int64_t now, size_t max,
                    hxe_arena *a, hxe_store_delivery **d)
{
    hxe_store_queue q = {"t1", "oru", dest, ordered};
    size_t n;
    hxe_err err = {0};
    if (hxe_store_claim(s, &q, now, max, a, d, &n, &err))
        fail_msg("claim: %s", err.msg);
    return n;
}

static int state_of(hxe_store *s, int64_t msg_id, const char *dest, uint32_t *attempts)
{
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_delivery *d;
    size_t n;
    hxe_err err = {0};
    assert_int_equal(hxe_store_deliveries(s, "t1", msg_id, &a, &d, &n, &err), 0);
    int st = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(d[i].destination, dest) == 0) {
            st = d[i].state;
            if (attempts)
                *attempts = d[i].attempts;
        }
    hxe_arena_free(&a);
    return st;
}

static void fifo_and_one_in_flight(void **state)
{
    (void)state;
    hxe_store *s = open_with(1);
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    int64_t ids[5];
    for (int i = 0; i < 5; i++)
        ids[i] = add(s, i, lab, 1);
    hxe_store_delivery *d;
    /* ordered, one at a time: in receipt order; nothing while one is in flight */
    for (int i = 0; i < 2; i++) {
        assert_int_equal(claim(s, "lab", 1, T0 + 100, 1, &a, &d), 1);
        assert_int_equal(d[0].message_id, ids[i]);
        assert_int_equal(d[0].state, HXE_STORE_SENDING);
        char want[16];
        snprintf(want, sizeof want, "|M%d|", i);
        assert_non_null(strstr(d[0].content, want));
        assert_int_equal(d[0].content_kind, HXE_STORE_RAW);
        int64_t did = d[0].id;
        assert_int_equal(claim(s, "lab", 1, T0 + 100, 10, &a, &d), 0);
        assert_int_equal(hxe_store_mark_sent(s, "t1", did, T0 + 200, "OUT", 3, "MSA|AA", 6,
                                             &err), 0);
        assert_int_equal(hxe_store_mark_sent(s, "t1", did, T0 + 200, NULL, 0, NULL, 0, &err),
                         HXE_EINVAL);
        assert_int_equal(state_of(s, ids[i], "lab", NULL), HXE_STORE_SENT);
    }
    /* ordered, a batch: the head of the queue in order, then nothing until
     * all of it is settled; the ones not attempted go back as they were */
    assert_int_equal(claim(s, "lab", 1, T0 + 100, 10, &a, &d), 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d[i].message_id, ids[2 + i]);
        assert_int_equal(d[i].state, HXE_STORE_SENDING);
    }
    int64_t head = d[0].id, rest[2] = {d[1].id, d[2].id};
    assert_int_equal(claim(s, "lab", 1, T0 + 100, 10, &a, &d), 0);
    assert_int_equal(hxe_store_mark_sent(s, "t1", head, T0 + 200, NULL, 0, NULL, 0, &err), 0);
    assert_int_equal(claim(s, "lab", 1, T0 + 200, 10, &a, &d), 0);
    assert_int_equal(hxe_store_release(s, "t1", rest, 2, T0 + 200, &err), 0);
    uint32_t att = 9;
    assert_int_equal(state_of(s, ids[3], "lab", &att), HXE_STORE_QUEUED);
    assert_int_equal(att, 0);
    /* only what is sending can be released, and only by its tenant */
    assert_int_equal(hxe_store_release(s, "t1", rest, 1, T0 + 200, &err), HXE_EINVAL);
    assert_int_equal(hxe_store_release(s, "t2", rest, 1, T0 + 200, &err), HXE_ENOTFOUND);
    assert_int_equal(claim(s, "lab", 1, T0 + 300, 10, &a, &d), 2);
    assert_int_equal(d[0].id, rest[0]);
    assert_int_equal(d[1].id, rest[1]);
    for (int i = 0; i < 2; i++)
        assert_int_equal(hxe_store_mark_sent(s, "t1", rest[i], T0 + 300, NULL, 0, NULL, 0,
                                             &err), 0);
    assert_int_equal(claim(s, "lab", 1, T0 + 300, 10, &a, &d), 0);
    /* unordered: many at once, oldest first */
    for (int i = 5; i < 12; i++)
        add(s, i, lab, 1);
    assert_int_equal(claim(s, "lab", 0, T0 + 300, 4, &a, &d), 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(d[i].message_id, ids[4] + 1 + i);
        assert_int_equal(d[i].state, HXE_STORE_SENDING);
    }
    assert_int_equal(claim(s, "lab", 0, T0 + 300, 10, &a, &d), 3);
    assert_int_equal(d[0].message_id, ids[4] + 5);
    /* and the bytes sent and the response were kept */
    const char *p;
    size_t n;
    assert_int_equal(hxe_store_content_get(s, "t1", ids[0], HXE_STORE_RESPONSE, "lab", &a, &p, &n,
                                           &err), 0);
    assert_string_equal(p, "MSA|AA");
    assert_int_equal(hxe_store_content_get(s, "t1", ids[0], HXE_STORE_SENT_BYTES, "lab", &a, &p,
                                           &n, &err), 0);
    assert_string_equal(p, "OUT");
    hxe_store_event *ev;
    assert_int_equal(hxe_store_events(s, "t1", ids[0], &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].kind, "sent");
    assert_string_equal(ev[1].destination, "lab");
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void failures_retries_and_dead_letters(void **state)
{
    (void)state;
    hxe_store *s = open_with(1);
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    int64_t m1 = add(s, 1, lab, 1), m2 = add(s, 2, lab, 1);
    hxe_store_delivery *d;
    assert_int_equal(claim(s, "lab", 1, T0 + 10, 1, &a, &d), 1);
    int64_t d1 = d[0].id;
    assert_int_equal(hxe_store_mark_failed(s, "t1", d1, T0 + 20, T0 + 5000,
                                           "connection refused", &err), 0);
    uint32_t att;
    assert_int_equal(state_of(s, m1, "lab", &att), HXE_STORE_ERROR);
    assert_int_equal(att, 1);
    /* ordered: the failed head holds back the queue until it is due */
    assert_int_equal(claim(s, "lab", 1, T0 + 1000, 1, &a, &d), 0);
    assert_int_equal(claim(s, "lab", 1, T0 + 1000, 10, &a, &d), 0);
    /* unordered: later deliveries go ahead */
    assert_int_equal(claim(s, "lab", 0, T0 + 1000, 5, &a, &d), 1);
    assert_int_equal(d[0].message_id, m2);
    assert_int_equal(hxe_store_mark_sent(s, "t1", d[0].id, T0 + 1001, NULL, 0, NULL, 0, &err), 0);
    /* due again: the same delivery, its attempts counted */
    assert_int_equal(claim(s, "lab", 1, T0 + 5000, 1, &a, &d), 1);
    assert_int_equal(d[0].id, d1);
    assert_int_equal(d[0].attempts, 1);
    assert_string_equal(d[0].last_error, "connection refused");
    /* mark_failed only from sending; mark_dead ends it */
    assert_int_equal(hxe_store_mark_dead(s, "t1", d1, T0 + 5001, "AR: rejected", &err), 0);
    assert_int_equal(state_of(s, m1, "lab", &att), HXE_STORE_DEAD);
    assert_int_equal(att, 2);
    assert_int_equal(hxe_store_mark_failed(s, "t1", d1, T0 + 5002, T0 + 9000, "x", &err),
                     HXE_EINVAL);
    assert_non_null(strstr(err.msg, "is dead"));
    assert_int_equal(hxe_store_mark_sent(s, "t1", d1, T0 + 5002, NULL, 0, NULL, 0, &err),
                     HXE_EINVAL);
    assert_int_equal(hxe_store_mark_sent(s, "t1", 9999, T0, NULL, 0, NULL, 0, &err),
                     HXE_ENOTFOUND);
    /* a dead letter does not block an ordered queue */
    int64_t m3 = add(s, 3, lab, 1);
    assert_int_equal(claim(s, "lab", 1, T0 + 6000, 1, &a, &d), 1);
    assert_int_equal(d[0].message_id, m3);
    /* dead straight from queued (e.g. no route), attempts unchanged */
    int64_t m4 = add(s, 4, lab, 1);
    hxe_store_delivery *all;
    size_t n;
    assert_int_equal(hxe_store_deliveries(s, "t1", m4, &a, &all, &n, &err), 0);
    assert_int_equal(hxe_store_mark_dead(s, "t1", all[0].id, T0 + 7000, "no route", &err), 0);
    assert_int_equal(state_of(s, m4, "lab", &att), HXE_STORE_DEAD);
    assert_int_equal(att, 0);
    /* the history tells the story, without content */
    hxe_store_event *ev;
    assert_int_equal(hxe_store_events(s, "t1", m1, &a, &ev, &n, &err), 0);
    assert_int_equal(n, 3);
    assert_string_equal(ev[1].kind, "failed");
    assert_non_null(strstr(ev[1].detail, "attempt 1: connection refused"));
    assert_string_equal(ev[2].kind, "dead");
    assert_non_null(strstr(ev[2].detail, "attempt 2: AR: rejected"));
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void content_to_send(void **state)
{
    (void)state;
    hxe_store *s = open_with(1);
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    const char *both[] = {"lab", "fhir"};
    int64_t m = add(s, 1, both, 2);
    assert_int_equal(hxe_store_content_add(s, "t1", m, HXE_STORE_TRANSFORMED, NULL, 0, "ALL", 3,
                                           &err), 0);
    assert_int_equal(hxe_store_content_add(s, "t1", m, HXE_STORE_TRANSFORMED, "fhir", 0,
                                           "{\"resourceType\":\"Bundle\"}", 26, &err), 0);
    hxe_store_delivery *d;
    assert_int_equal(claim(s, "lab", 1, T0 + 10, 1, &a, &d), 1);
    assert_string_equal(d[0].content, "ALL");
    assert_int_equal(d[0].content_kind, HXE_STORE_TRANSFORMED);
    assert_int_equal(claim(s, "fhir", 1, T0 + 10, 1, &a, &d), 1);
    assert_string_equal(d[0].content, "{\"resourceType\":\"Bundle\"}");
    /* queues of different destinations are independent */
    assert_int_equal(claim(s, "lab", 1, T0 + 10, 1, &a, &d), 0);
    assert_int_equal(claim(s, "nowhere", 0, T0 + 10, 1, &a, &d), 0);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void recovery_after_a_crash(void **state)
{
    (void)state;
    hxe_store *s = open_with(1);
    hxe_err err = {0};
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    int64_t m[3];
    for (int i = 0; i < 3; i++)
        m[i] = add(s, i, lab, 1);
    hxe_store_delivery *d;
    assert_int_equal(claim(s, "lab", 0, T0 + 10, 2, &a, &d), 2);
    hxe_store_close(s); /* as if the process died: two in flight */
    /* a tool opening beside a running engine must not steal its work */
    s = open_with(0);
    assert_int_equal(state_of(s, m[0], "lab", NULL), HXE_STORE_SENDING);
    hxe_store_close(s);
    s = open_with(1);
    for (int i = 0; i < 3; i++)
        assert_int_equal(state_of(s, m[i], "lab", NULL), HXE_STORE_QUEUED);
    hxe_store_event *ev;
    size_t n;
    assert_int_equal(hxe_store_events(s, "t1", m[0], &a, &ev, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ev[1].kind, "recovered");
    /* the queue resumes from the oldest */
    assert_int_equal(claim(s, "lab", 1, T0 + 20, 1, &a, &d), 1);
    assert_int_equal(d[0].message_id, m[0]);
    uint64_t again = 9;
    assert_int_equal(hxe_store_recover(s, 0, &again, &err), 0);
    assert_int_equal(again, 1);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

/* ---- two connections claiming from one unordered queue ---- */
struct claimer {
    hxe_store *s;
    int64_t got[200];
    size_t n;
    int rc;
};

static void *claimer_main(void *arg)
{
    struct claimer *c = arg;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_queue q = {"t1", "oru", "lab", 0};
    for (;;) {
        hxe_store_delivery *d;
        size_t n;
        hxe_arena_reset(&a);
        if ((c->rc = hxe_store_claim(c->s, &q, T0 + 1000, 3, &a, &d, &n, NULL)) || n == 0)
            break;
        for (size_t i = 0; i < n && c->n < 200; i++)
            c->got[c->n++] = d[i].id;
    }
    hxe_arena_free(&a);
    return NULL;
}

static void concurrent_claims_never_overlap(void **state)
{
    (void)state;
    hxe_store *s = open_with(1);
    hxe_err err = {0};
    assert_int_equal(hxe_store_begin(s, &err), 0);
    for (int i = 0; i < 100; i++)
        add(s, i, lab, 1);
    assert_int_equal(hxe_store_commit(s, &err), 0);
    struct claimer c[2] = {{0}};
    pthread_t th[2];
    for (int i = 0; i < 2; i++) {
        assert_int_equal(hxe_store_connect(s, &c[i].s, &err), 0);
        pthread_create(&th[i], NULL, claimer_main, &c[i]);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].rc, 0);
        hxe_store_close(c[i].s);
    }
    assert_int_equal(c[0].n + c[1].n, 100);
    char seen[101] = {0};
    for (int i = 0; i < 2; i++)
        for (size_t j = 0; j < c[i].n; j++) {
            assert_in_range(c[i].got[j], 1, 100);
            assert_int_equal(seen[c[i].got[j]], 0);
            seen[c[i].got[j]] = 1;
        }
    hxe_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fifo_and_one_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_retries_and_dead_letters, setup, teardown),
        cmocka_unit_test_setup_teardown(content_to_send, setup, teardown),
        cmocka_unit_test_setup_teardown(recovery_after_a_crash, setup, teardown),
        cmocka_unit_test_setup_teardown(concurrent_claims_never_overlap, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
