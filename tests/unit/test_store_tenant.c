/*
 * test_store_tenant.c — tenant isolation. Two tenants use the same channel
 * and destination names, the same control ids and the same correlation
 * ids; every read and write of one never sees or changes the other's rows,
 * and naming the other's ids is "not found".
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

#define T0 1700000000000LL
static const char *dests[] = {"lab", "fhir"};

/* Same channel, control id, sender and correlation id for both tenants. */
static int64_t add(hxe_store *s, const char *tenant, int i)
{
    char content[64], ctl[16], corr[32];
    snprintf(content, sizeof content, "MSH|^~\\&|%s|%d\r", tenant, i);
    snprintf(ctl, sizeof ctl, "CTL%d", i);
    snprintf(corr, sizeof corr, "corr-%d", i);
    hxe_store_msg_in in = {.tenant = tenant, .channel = "adt", .received_at = T0 + i,
                           .correlation_id = corr, .control_id = ctl, .sender = "ADT^HOSP",
                           .content = content, .content_len = strlen(content),
                           .destinations = dests, .ndestinations = 2};
    hxe_store_msg_ref r;
    hxe_err err = {0};
    if (hxe_store_msg_add(s, &in, &r, &err))
        fail_msg("msg_add %s: %s", tenant, err.msg);
    assert_false(r.duplicate);
    return r.id;
}

static void tenants_never_meet(void **state)
{
    (void)state;
    hxe_store *s;
    hxe_err err = {0};
    assert_int_equal(hxe_store_open(&s, g_db, NULL, &err), 0);
    hxe_arena a;
    hxe_arena_init(&a, 1 << 14, 0);
    int64_t ida[4], idb[4];
    for (int i = 0; i < 4; i++) {
        ida[i] = add(s, "acme", i);
        idb[i] = add(s, "zenith", i);
    }
    /* reads: by id, by correlation id, content, events, deliveries */
    hxe_store_msg m;
    assert_int_equal(hxe_store_msg_get(s, "acme", idb[0], &a, &m, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_msg_get(s, "zenith", idb[0], &a, &m, &err), 0);
    assert_non_null(strstr(m.content, "zenith"));
    int64_t id;
    assert_int_equal(hxe_store_msg_find(s, "acme", "corr-2", &id, &err), 0);
    assert_int_equal(id, ida[2]);
    assert_int_equal(hxe_store_msg_find(s, "zenith", "corr-2", &id, &err), 0);
    assert_int_equal(id, idb[2]);
    const char *p;
    size_t n;
    assert_int_equal(hxe_store_content_get(s, "acme", idb[1], HXE_STORE_RAW, NULL, &a, &p, &n,
                                           &err), HXE_ENOTFOUND);
    hxe_store_event *ev;
    assert_int_equal(hxe_store_events(s, "acme", idb[1], &a, &ev, &n, &err), 0);
    assert_int_equal(n, 0);
    hxe_store_delivery *d;
    assert_int_equal(hxe_store_deliveries(s, "acme", idb[1], &a, &d, &n, &err), 0);
    assert_int_equal(n, 0);
    /* writes on the other's message are refused */
    assert_int_equal(hxe_store_content_add(s, "acme", idb[1], HXE_STORE_TRANSFORMED, NULL, 0,
                                           "x", 1, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_event_add(s, "acme", idb[1], 0, "note", NULL, NULL, &err),
                     HXE_ENOTFOUND);
    const char *more[] = {"extra"};
    assert_int_equal(hxe_store_deliveries_add(s, "acme", idb[1], more, 1, 0, &err),
                     HXE_ENOTFOUND);
    /* duplicates are per tenant */
    hxe_store_msg_ref r;
    assert_int_equal(hxe_store_find_duplicate(s, "acme", "adt", "ADT^HOSP", "CTL1", T0 + 10, 60,
                                              &r, &err), 0);
    assert_int_equal(r.id, ida[1]);
    assert_int_equal(hxe_store_find_duplicate(s, "nobody", "adt", "ADT^HOSP", "CTL1", T0 + 10, 60,
                                              &r, &err), HXE_ENOTFOUND);

    /* the queue of acme/adt/lab holds only acme's deliveries */
    hxe_store_queue q = {"acme", "adt", "lab", 0};
    assert_int_equal(hxe_store_claim(s, &q, T0 + 100, 100, &a, &d, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        assert_string_equal(d[i].tenant, "acme");
        assert_int_equal(d[i].message_id, ida[i]);
        assert_non_null(strstr(d[i].content, "acme"));
    }
    int64_t acme_d0 = d[0].id;
    /* acme's claimed ids mean nothing to zenith, and the reverse */
    assert_int_equal(hxe_store_mark_sent(s, "zenith", acme_d0, 0, NULL, 0, NULL, 0, &err),
                     HXE_ENOTFOUND);
    assert_int_equal(hxe_store_mark_failed(s, "zenith", acme_d0, 0, 0, "x", &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_mark_dead(s, "zenith", acme_d0, 0, "x", &err), HXE_ENOTFOUND);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(hxe_store_mark_dead(s, "acme", d[i].id, T0 + 200, "gave up", &err), 0);
    /* zenith's queue is untouched: all four still due */
    hxe_store_queue qz = {"zenith", "adt", "lab", 0};
    hxe_store_delivery *dz;
    size_t nz;
    assert_int_equal(hxe_store_claim(s, &qz, T0 + 100, 100, &a, &dz, &nz, &err), 0);
    assert_int_equal(nz, 4);
    for (size_t i = 0; i < nz; i++) {
        assert_string_equal(dz[i].tenant, "zenith");
        assert_int_equal(hxe_store_mark_dead(s, "zenith", dz[i].id, T0 + 200, "gave up", &err), 0);
    }

    /* dead letters: lists, retries and discards stay in their tenant */
    hxe_store_filter fa = {"acme", "adt", NULL}, fz = {"zenith", NULL, "lab"};
    assert_int_equal(hxe_store_dlq_list(s, &fa, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(d[i].tenant, "acme");
    int64_t zid = dz[0].id;
    assert_int_equal(hxe_store_dlq_retry(s, &fa, &zid, 1, 0, NULL, &err), HXE_ENOTFOUND);
    assert_int_equal(hxe_store_dlq_discard(s, &fa, &zid, 1, 0, NULL, &err), HXE_ENOTFOUND);
    uint64_t changed;
    assert_int_equal(hxe_store_dlq_retry(s, &fa, NULL, 0, 0, &changed, &err), 0);
    assert_int_equal(changed, 4);
    assert_int_equal(hxe_store_dlq_list(s, &fz, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 4);
    assert_int_equal(hxe_store_dlq_discard(s, &fz, NULL, 0, 0, &changed, &err), 0);
    assert_int_equal(changed, 4);
    assert_int_equal(hxe_store_dlq_list(s, &fa, 0, 0, &a, &d, &n, &err), 0);
    assert_int_equal(n, 0);
    assert_int_equal(hxe_store_deliveries(s, "acme", ida[0], &a, &d, &n, &err), 0);
    assert_int_equal(d[0].state, HXE_STORE_QUEUED); /* retried, not discarded */

    /* pruning one tenant leaves the other whole */
    hxe_store_prune_rule rule = {.tenant = "zenith", .meta_age_ms = 1, .content_age_ms = 1,
                                 .prune_dead = 1};
    hxe_store_prune_result pr;
    /* zenith's fhir deliveries are still queued: finish them first */
    hxe_store_queue qzf = {"zenith", "adt", "fhir", 0};
    assert_int_equal(hxe_store_claim(s, &qzf, T0 + 300, 100, &a, &dz, &nz, &err), 0);
    for (size_t i = 0; i < nz; i++)
        assert_int_equal(hxe_store_mark_sent(s, "zenith", dz[i].id, T0 + 300, NULL, 0, NULL, 0,
                                             &err), 0);
    assert_int_equal(hxe_store_prune(s, &rule, T0 + 86400000, &pr, &err), 0);
    assert_int_equal(pr.messages_deleted, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(hxe_store_msg_get(s, "zenith", idb[i], &a, &m, &err), HXE_ENOTFOUND);
        assert_int_equal(hxe_store_msg_get(s, "acme", ida[i], &a, &m, &err), 0);
        assert_non_null(m.content);
    }
    /* statistics count one tenant */
    hxe_store_stats st;
    assert_int_equal(hxe_store_stats_get(s, "acme", &a, &st, &err), 0);
    assert_int_equal(st.nchannels, 1);
    assert_int_equal(st.channels[0].messages, 4);
    assert_int_equal(hxe_store_stats_get(s, "zenith", &a, &st, &err), 0);
    assert_int_equal(st.nchannels, 0);
    assert_int_equal(st.nqueues, 0);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tenants_never_meet, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
