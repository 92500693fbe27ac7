/*
 * test_store_prune.c — pruning by age, with "now" given through the API:
 * content goes first (raw and versions), metadata later; a message whose
 * deliveries are unfinished is never touched; dead letters are kept unless
 * asked; rules are per channel; batches loop until done.
 */
#include "helpers/testutil.h"
#include "store/store.h"

#include <dirent.h>
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

#define DAY 86400000LL
#define T0 1700000000000LL

static hxe_store *open_store(size_t batch)
{
    hxe_store_opts o;
    hxe_store_opts_init(&o);
    o.prune_batch = batch;
    hxe_store *s = NULL;
    hxe_err err = {0};
    if (hxe_store_open(&s, g_db, &o, &err))
        fail_msg("open: %s", err.msg);
    return s;
}

/* A message received at `at` with one delivery (to a destination of its
 * own) left in `state`. */
static int64_t add(hxe_store *s, const char *channel, int64_t at, int state)
{
    static int seq;
    char content[64], dest[16];
    snprintf(content, sizeof content, "MSH|^~\\&|X|Y|||||ADT^A01|P%d|P|2.5\r", ++seq);
    snprintf(dest, sizeof dest, "d%d", seq);
    const char *lab[] = {dest};
    hxe_store_msg_in in = {.tenant = "t1", .channel = channel, .received_at = at,
                           .content = content, .content_len = strlen(content),
                           .destinations = lab, .ndestinations = state ? 1 : 0};
    hxe_store_msg_ref r;
    hxe_err err = {0};
    if (hxe_store_msg_add(s, &in, &r, &err))
        fail_msg("msg_add: %s", err.msg);
    assert_int_equal(hxe_store_content_add(s, "t1", r.id, HXE_STORE_TRANSFORMED, NULL, at,
                                           "T", 1, &err), 0);
    if (state == 0 || state == HXE_STORE_QUEUED)
        return r.id;
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_delivery *d;
    size_t n;
    hxe_store_queue q = {"t1", channel, dest, 0};
    assert_int_equal(hxe_store_claim(s, &q, at + 1, 1, &a, &d, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(d[0].message_id, r.id);
    if (state == HXE_STORE_SENT)
        assert_int_equal(hxe_store_mark_sent(s, "t1", d[0].id, at + 2, "S", 1, "R", 1, &err), 0);
    else if (state == HXE_STORE_ERROR)
        assert_int_equal(hxe_store_mark_failed(s, "t1", d[0].id, at + 2, at + DAY * 100, "down",
                                               &err), 0);
    else if (state == HXE_STORE_DEAD)
        assert_int_equal(hxe_store_mark_dead(s, "t1", d[0].id, at + 2, "gave up", &err), 0);
    hxe_arena_free(&a);
    return r.id;
}

enum { GONE, META_ONLY, WHOLE };

static int what_is_left(hxe_store *s, int64_t id)
{
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_msg m;
    hxe_err err = {0};
    int rc = hxe_store_msg_get(s, "t1", id, &a, &m, &err), left;
    if (rc == HXE_ENOTFOUND) {
        hxe_store_event *ev;
        hxe_store_delivery *d;
        size_t ne, nd;
        assert_int_equal(hxe_store_events(s, "t1", id, &a, &ev, &ne, &err), 0);
        assert_int_equal(hxe_store_deliveries(s, "t1", id, &a, &d, &nd, &err), 0);
        assert_int_equal(ne + nd, 0); /* nothing dangling */
        left = GONE;
    } else {
        assert_int_equal(rc, 0);
        const char *p;
        size_t n;
        int vrc = hxe_store_content_get(s, "t1", id, HXE_STORE_TRANSFORMED, NULL, &a, &p, &n, &err);
        if (m.content) {
            assert_int_equal(vrc, 0);
            assert_int_equal(m.content_pruned_at, 0);
            left = WHOLE;
        } else {
            assert_int_equal(vrc, HXE_ENOTFOUND);
            assert_true(m.content_pruned_at > 0);
            left = META_ONLY;
        }
    }
    hxe_arena_free(&a);
    return left;
}

static void content_then_metadata_by_age(void **state)
{
    (void)state;
    hxe_store *s = open_store(1000);
    hxe_err err = {0};
    int64_t old = add(s, "adt", T0, HXE_STORE_SENT);          /* 40 days before now */
    int64_t mid = add(s, "adt", T0 + 25 * DAY, HXE_STORE_SENT); /* 15 days */
    int64_t recent = add(s, "adt", T0 + 39 * DAY, HXE_STORE_SENT); /* 1 day */
    int64_t nodest = add(s, "adt", T0, 0);                    /* never routed */
    const int64_t now = T0 + 40 * DAY;
    hxe_store_prune_rule r = {.tenant = "t1", .channel = "adt", .content_age_ms = 7 * DAY,
                              .meta_age_ms = 30 * DAY};
    hxe_store_prune_result pr;
    assert_int_equal(hxe_store_prune(s, &r, now, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 2);
    assert_int_equal(pr.contents_pruned, 1);
    assert_int_equal(what_is_left(s, old), GONE);
    assert_int_equal(what_is_left(s, nodest), GONE);
    assert_int_equal(what_is_left(s, mid), META_ONLY);
    assert_int_equal(what_is_left(s, recent), WHOLE);
    /* pruning again finds nothing new */
    assert_int_equal(hxe_store_prune(s, &r, now, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted + pr.contents_pruned, 0);
    /* an age of 0 keeps: content only */
    r.meta_age_ms = 0;
    assert_int_equal(hxe_store_prune(s, &r, now + 30 * DAY, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 0);
    assert_int_equal(pr.contents_pruned, 1);
    assert_int_equal(what_is_left(s, mid), META_ONLY);
    assert_int_equal(what_is_left(s, recent), META_ONLY);
    r.content_age_ms = -1;
    assert_int_equal(hxe_store_prune(s, &r, now, &pr, &err), HXE_EINVAL);
    hxe_store_close(s);
}

static void unfinished_deliveries_protect(void **state)
{
    (void)state;
    hxe_store *s = open_store(1000);
    hxe_err err = {0};
    int64_t queued = add(s, "adt", T0, HXE_STORE_QUEUED);
    int64_t sending = add(s, "adt", T0, HXE_STORE_SENDING);
    int64_t error = add(s, "adt", T0, HXE_STORE_ERROR);
    int64_t dead = add(s, "adt", T0, HXE_STORE_DEAD);
    int64_t sent = add(s, "adt", T0, HXE_STORE_SENT);
    hxe_store_prune_rule r = {.tenant = "t1", .content_age_ms = DAY, .meta_age_ms = 2 * DAY};
    hxe_store_prune_result pr;
    assert_int_equal(hxe_store_prune(s, &r, T0 + 10 * DAY, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 1);
    assert_int_equal(what_is_left(s, sent), GONE);
    assert_int_equal(what_is_left(s, queued), WHOLE);
    assert_int_equal(what_is_left(s, sending), WHOLE);
    assert_int_equal(what_is_left(s, error), WHOLE);
    assert_int_equal(what_is_left(s, dead), WHOLE);
    /* dead letters go only when asked */
    r.prune_dead = 1;
    assert_int_equal(hxe_store_prune(s, &r, T0 + 10 * DAY, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 1);
    assert_int_equal(what_is_left(s, dead), GONE);
    assert_int_equal(what_is_left(s, error), WHOLE);
    hxe_store_close(s);
}

static void per_channel_and_in_batches(void **state)
{
    (void)state;
    hxe_store *s = open_store(3);
    hxe_err err = {0};
    int64_t adt[10], orm[2];
    for (int i = 0; i < 10; i++)
        adt[i] = add(s, "adt", T0 + i, HXE_STORE_SENT);
    for (int i = 0; i < 2; i++)
        orm[i] = add(s, "orm", T0 + i, HXE_STORE_SENT);
    hxe_store_prune_rule r = {.tenant = "t1", .channel = "adt", .content_age_ms = DAY};
    hxe_store_prune_result pr;
    assert_int_equal(hxe_store_prune(s, &r, T0 + 2 * DAY, &pr, &err), 0);
    assert_int_equal(pr.contents_pruned, 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(what_is_left(s, adt[i]), META_ONLY);
    for (int i = 0; i < 2; i++)
        assert_int_equal(what_is_left(s, orm[i]), WHOLE);
    /* no channel: every channel of the tenant */
    r.channel = NULL;
    r.meta_age_ms = DAY;
    assert_int_equal(hxe_store_prune(s, &r, T0 + 2 * DAY, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 12);
    assert_int_equal(what_is_left(s, orm[1]), GONE);
    hxe_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(content_then_metadata_by_age, setup, teardown),
        cmocka_unit_test_setup_teardown(unfinished_deliveries_protect, setup, teardown),
        cmocka_unit_test_setup_teardown(per_channel_and_in_batches, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
