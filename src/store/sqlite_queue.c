/*
 * sqlite_queue.c — the destination queues in the SQLite backend: claiming
 * due deliveries, recording their outcome, and recovery after a crash.
 *
 * A queue is the set of deliveries of one (tenant, channel, destination)
 * that are not finished: queued, sending or error. Its order is the order
 * of the messages' ids, which is the order in which they were committed.
 * A claim is one UPDATE ... RETURNING inside a write transaction, so two
 * connections can never take the same delivery; an ordered queue's UPDATE
 * only matches when the oldest unfinished delivery is due and not already
 * in flight.
 */
#include "store/sqlite_internal.h"

#include <stdlib.h>
#include <string.h>

int hxe__sq_recover(hxe_store *s, int64_t now, uint64_t *n, hxe_err *err)
{
    sq_store *q = SQ(s);
    char sql[256];
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        return rc;
    snprintf(sql, sizeof sql,
             "INSERT INTO events (tenant, message_id, at, kind, destination, detail)"
             " SELECT tenant, message_id, %lld, 'recovered', destination,"
             " 'was in flight when the store was last closed; queued again'"
             " FROM deliveries WHERE state = 'sending'",
             (long long)now);
    rc = hxe__sq_exec(q, sql, err);
    if (!rc) {
        snprintf(sql, sizeof sql,
                 "UPDATE deliveries SET state = 'queued', updated_at = %lld"
                 " WHERE state = 'sending'",
                 (long long)now);
        rc = hxe__sq_exec(q, sql, err);
        *n = rc ? 0 : (uint64_t)sqlite3_changes(q->db);
    }
    return hxe__sq_tx_end(q, own, rc, err);
}

/* The content a claimed delivery sends: the newest transform for its
 * destination, else the newest channel-wide one, else the raw message. */
static int content_to_send(sq_store *q, hxe_store_delivery *d, hxe_arena *a, hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_CONTENT_TO_SEND, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, d->message_id);
    hxe__sq_bind_text(st, 2, d->tenant, strlen(d->tenant));
    hxe__sq_bind_text(st, 3, d->destination, strlen(d->destination));
    int step = sqlite3_step(st), kind = HXE_STORE_TRANSFORMED;
    if (step == SQLITE_DONE) {
        hxe__sq_done(st);
        if (!(st = hxe__sq_stmt(q, SQ_MSG_RAW, err)))
            return err ? err->code : HXE_EIO;
        sqlite3_bind_int64(st, 1, d->message_id);
        hxe__sq_bind_text(st, 2, d->tenant, strlen(d->tenant));
        step = sqlite3_step(st);
        kind = HXE_STORE_RAW;
    }
    int rc = 0;
    if (step == SQLITE_ROW) {
        const void *b = sqlite3_column_blob(st, 0);
        size_t n = (size_t)sqlite3_column_bytes(st, 0);
        char *c = hxe_arena_alloc(a, n + 1);
        if (c) {
            if (n)
                memcpy(c, b, n);
            c[n] = '\0';
            d->content = c;
            d->content_len = n;
            d->content_kind = kind;
        } else {
            rc = hxe_err_set(err, HXE_ENOMEM, "delivery %lld: the arena is full",
                             (long long)d->id);
        }
    } else {
        rc = hxe__sq_fail(q, "read content to send", err);
    }
    hxe__sq_done(st);
    return rc;
}

static int cmp_delivery(const void *x, const void *y)
{
    const hxe_store_delivery *a = x, *b = y;
    if (a->message_id != b->message_id)
        return a->message_id < b->message_id ? -1 : 1;
    return a->id < b->id ? -1 : a->id > b->id;
}

int hxe__sq_claim(hxe_store *s, const hxe_store_queue *qu, int64_t now, size_t max,
                  hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err)
{
    sq_store *q = SQ(s);
    int64_t ids_small[16], *ids = ids_small;
    size_t nids = 0;
    if (max > 16 && !(ids = hxe_malloc(max * sizeof *ids)))
        return hxe_err_set(err, HXE_ENOMEM, "claim: out of memory");
    sq_vec v = {.elem = sizeof(hxe_store_delivery)};
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        goto out;
    sqlite3_stmt *st = hxe__sq_stmt(q, qu->ordered ? SQ_CLAIM_ORDERED : SQ_CLAIM_UNORDERED, err);
    if (!st) {
        rc = hxe__sq_tx_end(q, own, err ? err->code : HXE_EIO, err);
        goto out;
    }
    hxe__sq_bind_text(st, 1, qu->tenant, strlen(qu->tenant));
    hxe__sq_bind_text(st, 2, qu->channel, strlen(qu->channel));
    hxe__sq_bind_text(st, 3, qu->destination, strlen(qu->destination));
    sqlite3_bind_int64(st, 4, now);
    sqlite3_bind_int64(st, 5, (sqlite3_int64)max);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW && nids < max) {
        /* ordered: the leading due rows; the first in flight or waiting
         * for its retry holds back everything after it */
        if (qu->ordered && sqlite3_column_int(st, 1))
            break;
        ids[nids++] = sqlite3_column_int64(st, 0);
    }
    if (step != SQLITE_DONE && step != SQLITE_ROW)
        rc = hxe__sq_fail(q, "claim", err);
    hxe__sq_done(st);
    for (size_t i = 0; qu->ordered && i < nids && !rc; i++) {
        if (!(st = hxe__sq_stmt(q, SQ_CLAIM_ONE, err))) {
            rc = err ? err->code : HXE_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, ids[i]);
        sqlite3_bind_int64(st, 2, now);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = hxe__sq_fail(q, "claim", err);
        hxe__sq_done(st);
    }
    for (size_t i = 0; i < nids && !rc; i++) {
        hxe_store_delivery *d = hxe__sq_vec_push(&v);
        if (!d) {
            rc = hxe_err_set(err, HXE_ENOMEM, "claim: out of memory");
            break;
        }
        if (!(st = hxe__sq_stmt(q, SQ_DELIV_BY_ID, err))) {
            rc = err ? err->code : HXE_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, ids[i]);
        hxe__sq_bind_text(st, 2, qu->tenant, strlen(qu->tenant));
        step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            if (hxe__sq_read_delivery(st, a, d))
                rc = hxe_err_set(err, HXE_ENOMEM, "delivery %lld: the arena is full",
                                 (long long)ids[i]);
        } else {
            rc = hxe__sq_fail(q, "read claimed delivery", err);
        }
        hxe__sq_done(st);
        if (!rc)
            rc = content_to_send(q, d, a, err);
    }
    /* when anything failed the claim is rolled back: nothing is left `sending` */
    rc = hxe__sq_tx_end(q, own, rc, err);
out:
    if (ids != ids_small)
        hxe_free(ids);
    if (!rc && v.n > 1)
        qsort(v.v, v.n, v.elem, cmp_delivery);
    size_t count = v.n;
    *out = hxe__sq_vec_finish(&v, a);
    if (!rc && count && !*out)
        rc = hxe_err_set(err, HXE_ENOMEM, "claim: the arena is full");
    *n = rc ? 0 : count;
    return rc;
}

/* Why an update of delivery `id` matched nothing: it is not the tenant's,
 * or it is in another state. */
static int explain_state(sq_store *q, const char *tenant, int64_t id, const char *want,
                         hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_DELIV_STATE, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    int rc;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        rc = hxe_err_set(err, HXE_EINVAL, "delivery %lld: is %s, not %s", (long long)id,
                         (const char *)sqlite3_column_text(st, 0), want);
    else if (step == SQLITE_DONE)
        rc = hxe_err_set(err, HXE_ENOTFOUND, "delivery %lld: not found", (long long)id);
    else
        rc = hxe__sq_fail(q, "read delivery state", err);
    hxe__sq_done(st);
    return rc;
}

/* Runs a mark statement: binds the common parameters, reads back the
 * message id, destination and attempts of the changed row. */
static int mark(sq_store *q, enum sq_stmt_id which, const char *tenant, int64_t id,
                int64_t now, int64_t next_at, const char *error, const char *want,
                int64_t *msg_id, char *dest, size_t dest_size, int64_t *attempts, hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, which, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    sqlite3_bind_int64(st, 3, now);
    if (which != SQ_MARK_SENT) {
        sqlite3_bind_int64(st, 4, next_at);
        hxe__sq_bind_text(st, 5, error, hxe__store_text_len(&q->base, error));
    }
    int rc = 0, step = sqlite3_step(st);
    if (step == SQLITE_ROW) {
        *msg_id = sqlite3_column_int64(st, 0);
        snprintf(dest, dest_size, "%s", (const char *)sqlite3_column_text(st, 1));
        *attempts = sqlite3_column_int64(st, 2);
        step = sqlite3_step(st);
    } else if (step == SQLITE_DONE) {
        hxe__sq_done(st);
        return explain_state(q, tenant, id, want, err);
    }
    if (step != SQLITE_DONE)
        rc = hxe__sq_fail(q, "update delivery", err);
    hxe__sq_done(st);
    return rc;
}

static int add_content(sq_store *q, const char *tenant, int64_t msg_id, const char *kind,
                       const char *dest, int64_t now, const void *data, size_t len,
                       hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_CONTENT_INSERT, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    hxe__sq_bind_text(st, 3, kind, strlen(kind));
    hxe__sq_bind_text(st, 4, dest, strlen(dest));
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_blob64(st, 6, len ? data : "", len, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : hxe__sq_fail(q, "add content", err);
    hxe__sq_done(st);
    return rc;
}

int hxe__sq_mark_sent(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                      const void *sent, size_t sent_len, const void *resp, size_t resp_len,
                      hxe_err *err)
{
    sq_store *q = SQ(s);
    int64_t msg_id = 0, attempts = 0;
    char *dest = hxe_malloc(q->base.opts.max_name + 1);
    if (!dest)
        return hxe_err_set(err, HXE_ENOMEM, "delivery %lld: out of memory", (long long)id);
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (!rc) {
        rc = mark(q, SQ_MARK_SENT, tenant, id, now, 0, NULL, "sending", &msg_id, dest,
                  q->base.opts.max_name + 1, &attempts, err);
        if (!rc && sent)
            rc = add_content(q, tenant, msg_id, "sent", dest, now, sent, sent_len, err);
        if (!rc && resp)
            rc = add_content(q, tenant, msg_id, "response", dest, now, resp, resp_len, err);
        if (!rc) {
            char detail[64];
            snprintf(detail, sizeof detail, "delivery %lld, attempt %lld", (long long)id,
                     (long long)attempts + 1);
            sqlite3_stmt *st = hxe__sq_stmt(q, SQ_EVENT_INSERT, err);
            if (!st) {
                rc = err ? err->code : HXE_EIO;
            } else {
                sqlite3_bind_int64(st, 1, msg_id);
                hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
                sqlite3_bind_int64(st, 3, now);
                hxe__sq_bind_text(st, 4, "sent", 4);
                hxe__sq_bind_text(st, 5, dest, strlen(dest));
                hxe__sq_bind_text(st, 6, detail, strlen(detail));
                if (sqlite3_step(st) != SQLITE_DONE)
                    rc = hxe__sq_fail(q, "add event", err);
                hxe__sq_done(st);
            }
        }
        rc = hxe__sq_tx_end(q, own, rc, err);
    }
    hxe_free(dest);
    return rc;
}

int hxe__sq_release(hxe_store *s, const char *tenant, const int64_t *ids, size_t n,
                     int64_t now, hxe_err *err)
{
    sq_store *q = SQ(s);
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    for (size_t i = 0; i < n && !rc; i++) {
        sqlite3_stmt *st = hxe__sq_stmt(q, SQ_RELEASE, err);
        if (!st) {
            rc = err ? err->code : HXE_EIO;
            break;
        }
        sqlite3_bind_int64(st, 1, ids[i]);
        hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
        sqlite3_bind_int64(st, 3, now);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = hxe__sq_fail(q, "release delivery", err);
        } else if (sqlite3_changes(q->db) == 0) {
            hxe__sq_done(st);
            rc = explain_state(q, tenant, ids[i], "sending", err);
            break;
        }
        hxe__sq_done(st);
    }
    return hxe__sq_tx_end(q, own, rc, err);
}

int hxe__sq_mark_failed(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                        int64_t next_at, int dead, const char *error, hxe_err *err)
{
    sq_store *q = SQ(s);
    int64_t msg_id = 0, attempts = 0;
    size_t dest_size = q->base.opts.max_name + 1;
    size_t elen = hxe__store_text_len(&q->base, error);
    char *dest = hxe_malloc(dest_size);
    char *detail = hxe_malloc(elen + 64);
    int rc = 0;
    if (!dest || !detail) {
        rc = hxe_err_set(err, HXE_ENOMEM, "delivery %lld: out of memory", (long long)id);
        goto out;
    }
    int own;
    if ((rc = hxe__sq_tx_begin(q, &own, err)))
        goto out;
    rc = mark(q, dead ? SQ_MARK_DEAD : SQ_MARK_FAILED, tenant, id, now, next_at, error,
              dead ? "sending, queued or error" : "sending", &msg_id, dest, dest_size,
              &attempts, err);
    if (!rc) {
        /* the error text is the caller's, already free of PHI by contract */
        snprintf(detail, elen + 64, "delivery %lld, attempt %lld: %.*s", (long long)id,
                 (long long)attempts, (int)elen, error ? error : "");
        sqlite3_stmt *st = hxe__sq_stmt(q, SQ_EVENT_INSERT, err);
        if (!st) {
            rc = err ? err->code : HXE_EIO;
        } else {
            sqlite3_bind_int64(st, 1, msg_id);
            hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
            sqlite3_bind_int64(st, 3, now);
            hxe__sq_bind_text(st, 4, dead ? "dead" : "failed", dead ? 4 : 6);
            hxe__sq_bind_text(st, 5, dest, strlen(dest));
            hxe__sq_bind_text(st, 6, detail, strlen(detail));
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = hxe__sq_fail(q, "add event", err);
            hxe__sq_done(st);
        }
    }
    rc = hxe__sq_tx_end(q, own, rc, err);
out:
    hxe_free(dest);
    hxe_free(detail);
    return rc;
}
