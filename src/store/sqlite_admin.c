/*
 * sqlite_admin.c — the operator's side of the SQLite backend: pruning by
 * age, the dead-letter queue (list, retry, discard) and statistics.
 *
 * These run rarely and take optional filters, so their SQL is built per
 * call from fixed fragments (values are always bound, never pasted).
 * Pruning works in batches of opts.prune_batch messages, one transaction
 * each, so a running engine's writer is never held off for long.
 */
#include "store/sqlite_internal.h"

#include <string.h>

/* Messages (ids) a prune step may touch: old enough, with every delivery
 * finished. */
static const char unfinished[] =
    " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id"
    " AND (d.state IN ('queued', 'sending', 'error') OR (?4 = 0 AND d.state = 'dead')))";

static int prune_step(sq_store *q, const hxe_store_prune_rule *r, int meta, int64_t cutoff,
                      int64_t now, uint64_t *count, int *more, hxe_err *err)
{
    char sql[768];
    snprintf(sql, sizeof sql,
             "SELECT m.id FROM messages m WHERE m.tenant = ?1%s"
             " AND m.received_at < ?3%s%s ORDER BY m.received_at LIMIT ?5",
             r->channel ? " AND m.channel = ?2" : "",
             meta ? "" : " AND m.content_pruned_at IS NULL", unfinished);
    size_t batch = q->base.opts.prune_batch;
    int64_t *ids = hxe_malloc(batch * sizeof *ids);
    if (!ids)
        return hxe_err_set(err, HXE_ENOMEM, "prune: out of memory");
    sqlite3_stmt *st = NULL;
    size_t n = 0;
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        goto out;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = hxe__sq_fail(q, "prune", err);
        goto end;
    }
    hxe__sq_bind_text(st, 1, r->tenant, strlen(r->tenant));
    if (r->channel)
        hxe__sq_bind_text(st, 2, r->channel, strlen(r->channel));
    sqlite3_bind_int64(st, 3, cutoff);
    sqlite3_bind_int(st, 4, r->prune_dead);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)batch);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && n < batch)
        ids[n++] = sqlite3_column_int64(st, 0);
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rc = hxe__sq_fail(q, "prune", err);
    sqlite3_finalize(st);
    st = NULL;

    static const char *const content_sql[] = {
        "DELETE FROM contents WHERE message_id = ?1",
        "UPDATE messages SET content = NULL, content_pruned_at = ?2 WHERE id = ?1",
    };
    static const char *const meta_sql[] = {
        "DELETE FROM events WHERE message_id = ?1",
        "DELETE FROM contents WHERE message_id = ?1",
        "DELETE FROM deliveries WHERE message_id = ?1",
        "DELETE FROM messages WHERE id = ?1",
    };
    const char *const *stmts = meta ? meta_sql : content_sql;
    size_t nstmts = meta ? 4 : 2;
    for (size_t k = 0; k < nstmts && !rc && n; k++) {
        if (sqlite3_prepare_v2(q->db, stmts[k], -1, &st, NULL) != SQLITE_OK) {
            rc = hxe__sq_fail(q, "prune", err);
            break;
        }
        for (size_t i = 0; i < n && !rc; i++) {
            sqlite3_bind_int64(st, 1, ids[i]);
            if (!meta)
                sqlite3_bind_int64(st, 2, now);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = hxe__sq_fail(q, "prune", err);
            sqlite3_reset(st);
        }
        sqlite3_finalize(st);
        st = NULL;
    }
end:
    rc = hxe__sq_tx_end(q, own, rc, err);
out:
    hxe_free(ids);
    if (!rc) {
        *count += n;
        *more = n == batch;
    }
    return rc;
}

int hxe__sq_prune(hxe_store *s, const hxe_store_prune_rule *r, int64_t now,
                  hxe_store_prune_result *out, hxe_err *err)
{
    sq_store *q = SQ(s);
    int rc = 0, more;
    /* metadata first: what is deleted whole needs no content pass */
    if (r->meta_age_ms > 0) {
        do
            rc = prune_step(q, r, 1, now - r->meta_age_ms, now, &out->messages_deleted, &more, err);
        while (!rc && more);
    }
    if (!rc && r->content_age_ms > 0) {
        do
            rc = prune_step(q, r, 0, now - r->content_age_ms, now, &out->contents_pruned, &more,
                            err);
        while (!rc && more);
    }
    return rc;
}

/* ---- dead letters ---- */

/* " AND d.channel = ?N AND d.destination = ?M" for the filter's fields;
 * binds them from index `first`. */
static void filter_sql(const hxe_store_filter *f, char *buf, size_t size, int first)
{
    int n = 0;
    buf[0] = '\0';
    if (f->channel)
        n = snprintf(buf, size, " AND d.channel = ?%d", first++);
    if (f->destination)
        snprintf(buf + n, size - (size_t)n, " AND d.destination = ?%d", first);
}

static int filter_bind(sqlite3_stmt *st, const hxe_store_filter *f, int first)
{
    if (f->channel)
        hxe__sq_bind_text(st, first++, f->channel, strlen(f->channel));
    if (f->destination)
        hxe__sq_bind_text(st, first, f->destination, strlen(f->destination));
    return 0;
}

int hxe__sq_dlq_list(hxe_store *s, const hxe_store_filter *f, int64_t after_id, size_t limit,
                     hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err)
{
    sq_store *q = SQ(s);
    char fs[96], sql[768];
    filter_sql(f, fs, sizeof fs, 4);
    snprintf(sql, sizeof sql,
             "SELECT " SQ_DELIV_COLS "WHERE d.tenant = ?1 AND d.state = 'dead' AND d.id > ?2%s"
             " ORDER BY d.id LIMIT ?3",
             fs);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "list dead letters", err);
    hxe__sq_bind_text(st, 1, f->tenant, strlen(f->tenant));
    sqlite3_bind_int64(st, 2, after_id);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)limit);
    filter_bind(st, f, 4);
    sq_vec v = {.elem = sizeof(hxe_store_delivery)};
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        hxe_store_delivery *d = hxe__sq_vec_push(&v);
        if (!d || hxe__sq_read_delivery(st, a, d)) {
            rc = hxe_err_set(err, HXE_ENOMEM, "dead letters: out of memory");
            break;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = hxe__sq_fail(q, "list dead letters", err);
    sqlite3_finalize(st);
    size_t count = v.n;
    *out = hxe__sq_vec_finish(&v, a);
    if (!rc && count && !*out)
        rc = hxe_err_set(err, HXE_ENOMEM, "dead letters: the arena is full");
    *n = rc ? 0 : count;
    return rc;
}

/* Runs `sql` (an INSERT of events, then an UPDATE, over the same WHERE)
 * with the common bindings: ?1 tenant, ?2 now, ?3 id (when given), ?4.. the
 * filter. Returns the rows changed by the UPDATE in *changed. */
static int dlq_run(sq_store *q, const char *sql, const hxe_store_filter *f, int64_t id,
                   int64_t now, uint64_t *changed, hxe_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "dead letters", err);
    hxe__sq_bind_text(st, 1, f->tenant, strlen(f->tenant));
    sqlite3_bind_int64(st, 2, now);
    if (id)
        sqlite3_bind_int64(st, 3, id);
    filter_bind(st, f, 4);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : hxe__sq_fail(q, "dead letters", err);
    sqlite3_finalize(st);
    if (changed)
        *changed = rc ? 0 : (uint64_t)sqlite3_changes(q->db);
    return rc;
}

int hxe__sq_dlq_act(hxe_store *s, int to, const hxe_store_filter *f, const int64_t *ids,
                    size_t nids, int64_t now, uint64_t *changed, hxe_err *err)
{
    sq_store *q = SQ(s);
    int retry = to == HXE_STORE_QUEUED;
    if (!retry && to != HXE_STORE_DISCARDED)
        return hxe_err_set(err, HXE_EINVAL, "dead letters: state %d is not an action", to);
    char fs[96], where[256], ev[768], up[768];
    filter_sql(f, fs, sizeof fs, 4);
    snprintf(where, sizeof where, "WHERE d.tenant = ?1 AND d.state = 'dead'%s%s",
             ids ? " AND d.id = ?3" : "", fs);
    snprintf(ev, sizeof ev,
             "INSERT INTO events (tenant, message_id, at, kind, destination, detail)"
             " SELECT d.tenant, d.message_id, ?2, '%s', d.destination,"
             " 'delivery ' || d.id || ': %s after ' || d.attempts || ' attempts'"
             " FROM deliveries d %s",
             retry ? "retried" : "discarded",
             retry ? "dead letter queued again" : "dead letter discarded", where);
    snprintf(up, sizeof up,
             "UPDATE deliveries AS d SET state = '%s', updated_at = ?2%s %s",
             retry ? "queued" : "discarded",
             retry ? ", attempts = 0, next_at = ?2, last_error = ''" : "", where);
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        return rc;
    if (!ids) {
        rc = dlq_run(q, ev, f, 0, now, NULL, err);
        if (!rc)
            rc = dlq_run(q, up, f, 0, now, changed, err);
    }
    for (size_t i = 0; ids && i < nids && !rc; i++) {
        uint64_t one = 0;
        rc = dlq_run(q, ev, f, ids[i], now, NULL, err);
        if (!rc)
            rc = dlq_run(q, up, f, ids[i], now, &one, err);
        if (!rc && one == 0)
            rc = hxe_err_set(err, HXE_ENOTFOUND,
                             "delivery %lld: not a dead letter of this tenant%s",
                             (long long)ids[i],
                             f->channel || f->destination ? ", channel and destination" : "");
        *changed += one;
    }
    rc = hxe__sq_tx_end(q, own, rc, err);
    if (rc)
        *changed = 0;
    return rc;
}

/* ---- statistics ---- */

int hxe__sq_stats(hxe_store *s, const char *tenant, hxe_arena *a, hxe_store_stats *out,
                  hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st = NULL;
    sq_vec ch = {.elem = sizeof(hxe_store_channel_stat)};
    sq_vec qs = {.elem = sizeof(hxe_store_queue_stat)};
    int rc = 0, step;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT channel, count(*), min(received_at), max(received_at)"
                           " FROM messages WHERE tenant = ?1 GROUP BY channel ORDER BY channel",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = hxe__sq_fail(q, "statistics", err);
        goto out;
    }
    hxe__sq_bind_text(st, 1, tenant, strlen(tenant));
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        hxe_store_channel_stat *c = hxe__sq_vec_push(&ch);
        if (!c || !(c->channel = hxe__sq_text(st, 0, a))) {
            rc = HXE_ENOMEM;
            break;
        }
        c->messages = sqlite3_column_int64(st, 1);
        c->oldest_at = sqlite3_column_int64(st, 2);
        c->newest_at = sqlite3_column_int64(st, 3);
    }
    if (!rc && step != SQLITE_DONE)
        rc = hxe__sq_fail(q, "statistics", err);
    sqlite3_finalize(st);
    st = NULL;
    if (rc)
        goto out;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT channel, destination, state, count(*) FROM deliveries"
                           " WHERE tenant = ?1 GROUP BY channel, destination, state"
                           " ORDER BY channel, destination",
                           -1, &st, NULL) != SQLITE_OK) {
        rc = hxe__sq_fail(q, "statistics", err);
        goto out;
    }
    hxe__sq_bind_text(st, 1, tenant, strlen(tenant));
    hxe_store_queue_stat *cur = NULL;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        const char *d = (const char *)sqlite3_column_text(st, 1);
        if (!cur || strcmp(cur->channel, c) != 0 || strcmp(cur->destination, d) != 0) {
            if (!(cur = hxe__sq_vec_push(&qs)) || !(cur->channel = hxe__sq_text(st, 0, a)) ||
                !(cur->destination = hxe__sq_text(st, 1, a))) {
                rc = HXE_ENOMEM;
                break;
            }
        }
        int state = hxe_store_state_parse((const char *)sqlite3_column_text(st, 2));
        cur->count[state] += sqlite3_column_int64(st, 3);
    }
    if (!rc && step != SQLITE_DONE)
        rc = hxe__sq_fail(q, "statistics", err);
    sqlite3_finalize(st);
out:
    if (rc == HXE_ENOMEM)
        hxe_err_set(err, rc, "statistics: out of memory");
    out->nchannels = ch.n;
    out->channels = hxe__sq_vec_finish(&ch, a);
    out->nqueues = qs.n;
    out->queues = hxe__sq_vec_finish(&qs, a);
    if (!rc && ((out->nchannels && !out->channels) || (out->nqueues && !out->queues)))
        rc = hxe_err_set(err, HXE_ENOMEM, "statistics: the arena is full");
    if (rc)
        memset(out, 0, sizeof *out);
    return rc;
}
