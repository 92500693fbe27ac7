/*
 * sqlite_msg.c — messages, content versions, events and the creation of
 * deliveries in the SQLite backend.
 *
 * Tenant isolation here rests on one habit: every row is written by an
 * INSERT ... SELECT from the tenant's own message (`WHERE id = ? AND
 * tenant = ?`), and every read names the tenant. An id of another tenant
 * therefore inserts nothing and reads nothing, and the caller gets
 * HXE_ENOTFOUND, the same answer as for an id that does not exist.
 */
#include "store/sqlite_internal.h"

#include <string.h>

static int step_done(sq_store *q, sqlite3_stmt *st, const char *what, hxe_err *err)
{
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : hxe__sq_fail(q, what, err);
    hxe__sq_done(st);
    return rc;
}

/* Inserts an event row; HXE_ENOTFOUND when the message is not the tenant's. */
static int event_insert(sq_store *q, const char *tenant, int64_t msg_id, int64_t now,
                        const char *kind, const char *dest, const char *detail, hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_EVENT_INSERT, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    sqlite3_bind_int64(st, 3, now);
    hxe__sq_bind_text(st, 4, kind, strlen(kind));
    hxe__sq_bind_text(st, 5, dest, dest ? strlen(dest) : 0);
    hxe__sq_bind_text(st, 6, detail, hxe__store_text_len(&q->base, detail));
    int rc = step_done(q, st, "add event", err);
    if (!rc && sqlite3_changes(q->db) == 0)
        rc = hxe_err_set(err, HXE_ENOTFOUND, "message %lld: not found", (long long)msg_id);
    return rc;
}

static int deliveries_insert(sq_store *q, const char *tenant, int64_t msg_id,
                             const char *const *dests, size_t n, int64_t now, hxe_err *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *st = hxe__sq_stmt(q, SQ_DELIV_INSERT, err);
        if (!st)
            return err ? err->code : HXE_EIO;
        sqlite3_bind_int64(st, 1, msg_id);
        hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
        hxe__sq_bind_text(st, 3, dests[i], strlen(dests[i]));
        sqlite3_bind_int64(st, 4, now);
        int rc = step_done(q, st, "add delivery", err);
        if (rc == HXE_EINVAL)
            return hxe_err_set(err, rc, "message %lld: destination %zu already has a delivery",
                               (long long)msg_id, i + 1);
        if (rc)
            return rc;
        if (sqlite3_changes(q->db) == 0)
            return hxe_err_set(err, HXE_ENOTFOUND, "message %lld: not found", (long long)msg_id);
    }
    return 0;
}

static int dup_lookup(sq_store *q, const char *tenant, const char *channel, const char *sender,
                      const char *control_id, int64_t since, hxe_store_msg_ref *out,
                      hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_MSG_DUP, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    hxe__sq_bind_text(st, 1, tenant, strlen(tenant));
    hxe__sq_bind_text(st, 2, channel, strlen(channel));
    hxe__sq_bind_text(st, 3, sender, strlen(sender));
    hxe__sq_bind_text(st, 4, control_id, strlen(control_id));
    sqlite3_bind_int64(st, 5, since);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->id = sqlite3_column_int64(st, 0);
        const char *c = (const char *)sqlite3_column_text(st, 1);
        snprintf(out->correlation_id, sizeof out->correlation_id, "%s", c ? c : "");
        out->duplicate = 1;
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = HXE_ENOTFOUND;
    } else {
        rc = hxe__sq_fail(q, "find duplicate", err);
    }
    hxe__sq_done(st);
    return rc;
}

int hxe__sq_find_duplicate(hxe_store *s, const char *tenant, const char *channel,
                           const char *sender, const char *control_id, int64_t since,
                           hxe_store_msg_ref *out, hxe_err *err)
{
    return dup_lookup(SQ(s), tenant, channel, sender, control_id, since, out, err);
}

static int msg_insert(sq_store *q, const hxe_store_msg_in *in, int64_t now, const char *corr,
                      int64_t *id, hxe_err *err)
{
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_MSG_INSERT, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    hxe__sq_bind_text(st, 1, in->tenant, strlen(in->tenant));
    hxe__sq_bind_text(st, 2, in->channel, strlen(in->channel));
    hxe__sq_bind_text(st, 3, corr, strlen(corr));
    sqlite3_bind_int64(st, 4, now);
    hxe__sq_bind_text(st, 5, in->control_id, in->control_id ? strlen(in->control_id) : 0);
    hxe__sq_bind_text(st, 6, in->sender, in->sender ? strlen(in->sender) : 0);
    hxe__sq_bind_text(st, 7, in->msg_type, in->msg_type ? strlen(in->msg_type) : 0);
    /* the caller's buffer outlives the step, so SQLite need not copy it */
    sqlite3_bind_blob64(st, 8, in->content_len ? in->content : "", in->content_len,
                        SQLITE_STATIC);
    int rc = step_done(q, st, "add message", err);
    if (rc == HXE_EINVAL)
        return hxe_err_set(err, rc, "message: correlation id already used by this tenant");
    *id = sqlite3_last_insert_rowid(q->db);
    return rc;
}

int hxe__sq_msg_add(hxe_store *s, const hxe_store_msg_in *in, int64_t now, const char *corr,
                    hxe_store_msg_ref *out, hxe_err *err)
{
    sq_store *q = SQ(s);
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        return rc;
    /* the duplicate check runs inside the write transaction, so two copies
     * arriving together cannot both pass it */
    if (in->dup_window_s && in->control_id && *in->control_id) {
        rc = dup_lookup(q, in->tenant, in->channel, in->sender ? in->sender : "",
                        in->control_id, now - (int64_t)in->dup_window_s * 1000, out, err);
        if (rc == 0) {
            rc = event_insert(q, in->tenant, out->id, now, "duplicate", NULL,
                              "received again; acknowledged, not processed", err);
            return hxe__sq_tx_end(q, own, rc, err);
        }
        if (rc != HXE_ENOTFOUND)
            return hxe__sq_tx_end(q, own, rc, err);
        rc = 0;
    }
    int64_t id = 0;
    rc = msg_insert(q, in, now, corr, &id, err);
    if (!rc)
        rc = deliveries_insert(q, in->tenant, id, in->destinations, in->ndestinations, now, err);
    if (!rc)
        rc = event_insert(q, in->tenant, id, now, in->event_kind ? in->event_kind : "received",
                          NULL, in->event_detail, err);
    rc = hxe__sq_tx_end(q, own, rc, err);
    if (!rc) {
        out->id = id;
        out->duplicate = 0;
        snprintf(out->correlation_id, sizeof out->correlation_id, "%s", corr);
    }
    return rc;
}

int hxe__sq_msg_get(hxe_store *s, const char *tenant, int64_t id, hxe_arena *a,
                    hxe_store_msg *m, hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_MSG_GET, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        rc = 0;
        m->id = sqlite3_column_int64(st, 0);
        m->tenant = hxe__sq_text(st, 1, a);
        m->channel = hxe__sq_text(st, 2, a);
        m->correlation_id = hxe__sq_text(st, 3, a);
        m->control_id = hxe__sq_text(st, 4, a);
        m->sender = hxe__sq_text(st, 5, a);
        m->msg_type = hxe__sq_text(st, 6, a);
        m->received_at = sqlite3_column_int64(st, 7);
        m->content_pruned_at = sqlite3_column_int64(st, 9);
        if (sqlite3_column_type(st, 8) != SQLITE_NULL) {
            const void *b = sqlite3_column_blob(st, 8);
            m->content_len = (size_t)sqlite3_column_bytes(st, 8);
            char *c = hxe_arena_alloc(a, m->content_len + 1);
            if (c) {
                if (m->content_len)
                    memcpy(c, b, m->content_len);
                c[m->content_len] = '\0';
            } else {
                rc = HXE_ENOMEM;
            }
            m->content = c;
        }
        if (!m->tenant || !m->channel || !m->correlation_id || !m->control_id || !m->sender ||
            !m->msg_type)
            rc = HXE_ENOMEM;
        if (rc)
            hxe_err_set(err, rc, "message %lld: the arena is full", (long long)id);
    } else if (rc == SQLITE_DONE) {
        rc = hxe_err_set(err, HXE_ENOTFOUND, "message %lld: not found", (long long)id);
    } else {
        rc = hxe__sq_fail(q, "get message", err);
    }
    hxe__sq_done(st);
    return rc;
}

int hxe__sq_msg_find(hxe_store *s, const char *tenant, const char *corr, int64_t *id,
                     hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_MSG_FIND, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    hxe__sq_bind_text(st, 1, tenant, strlen(tenant));
    hxe__sq_bind_text(st, 2, corr, strlen(corr));
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        rc = 0;
    } else if (rc == SQLITE_DONE) {
        rc = hxe_err_set(err, HXE_ENOTFOUND, "correlation id: no such message");
    } else {
        rc = hxe__sq_fail(q, "find message", err);
    }
    hxe__sq_done(st);
    return rc;
}

/* ---- content versions ---- */

int hxe__sq_content_add(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                        const char *destination, int64_t now, const void *data, size_t len,
                        hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st = hxe__sq_stmt(q, SQ_CONTENT_INSERT, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    const char *k = hxe_store_kind_name(kind);
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    hxe__sq_bind_text(st, 3, k, strlen(k));
    hxe__sq_bind_text(st, 4, destination, destination ? strlen(destination) : 0);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_blob64(st, 6, len ? data : "", len, SQLITE_STATIC);
    int rc = step_done(q, st, "add content", err);
    if (!rc && sqlite3_changes(q->db) == 0)
        rc = hxe_err_set(err, HXE_ENOTFOUND, "message %lld: not found", (long long)msg_id);
    return rc;
}

/* Copies a blob column into the arena, NUL-terminated. */
static int blob_out(sqlite3_stmt *st, int col, hxe_arena *a, const char **data, size_t *len)
{
    const void *b = sqlite3_column_blob(st, col);
    size_t n = (size_t)sqlite3_column_bytes(st, col);
    char *c = hxe_arena_alloc(a, n + 1);
    if (!c)
        return HXE_ENOMEM;
    if (n)
        memcpy(c, b, n);
    c[n] = '\0';
    *data = c;
    *len = n;
    return 0;
}

int hxe__sq_content_get(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                        const char *destination, hxe_arena *a, const char **data,
                        size_t *len, hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st = hxe__sq_stmt(q, kind == HXE_STORE_RAW ? SQ_MSG_RAW : SQ_CONTENT_GET, err);
    if (!st)
        return err ? err->code : HXE_EIO;
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    if (kind != HXE_STORE_RAW) {
        const char *k = hxe_store_kind_name(kind);
        hxe__sq_bind_text(st, 3, k, strlen(k));
        hxe__sq_bind_text(st, 4, destination, destination ? strlen(destination) : 0);
    }
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        rc = blob_out(st, 0, a, data, len);
        if (rc)
            hxe_err_set(err, rc, "message %lld: the arena is full", (long long)msg_id);
    } else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
        rc = hxe_err_set(err, HXE_ENOTFOUND, "message %lld: no %s content%s", (long long)msg_id,
                         hxe_store_kind_name(kind), rc == SQLITE_ROW ? " (pruned)" : "");
    } else {
        rc = hxe__sq_fail(q, "get content", err);
    }
    hxe__sq_done(st);
    return rc;
}

/* ---- events and deliveries ---- */

int hxe__sq_event_add(hxe_store *s, const char *tenant, int64_t msg_id, int64_t now,
                      const char *kind, const char *destination, const char *detail,
                      hxe_err *err)
{
    return event_insert(SQ(s), tenant, msg_id, now, kind, destination, detail, err);
}

int hxe__sq_events(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                   hxe_store_event **out, size_t *n, hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT id, message_id, at, kind, destination, detail FROM events"
                           " WHERE message_id = ?1 AND tenant = ?2 ORDER BY id",
                           -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "list events", err);
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    sq_vec v = {.elem = sizeof(hxe_store_event)};
    int rc, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        hxe_store_event *e = hxe__sq_vec_push(&v);
        if (!e)
            break;
        e->id = sqlite3_column_int64(st, 0);
        e->message_id = sqlite3_column_int64(st, 1);
        e->at = sqlite3_column_int64(st, 2);
        e->kind = hxe__sq_text(st, 3, a);
        e->destination = hxe__sq_text(st, 4, a);
        e->detail = hxe__sq_text(st, 5, a);
        if (!e->kind || !e->destination || !e->detail)
            break;
    }
    if (step == SQLITE_DONE)
        rc = 0;
    else if (step == SQLITE_ROW)
        rc = hxe_err_set(err, HXE_ENOMEM, "message %lld: out of memory listing events",
                         (long long)msg_id);
    else
        rc = hxe__sq_fail(q, "list events", err);
    sqlite3_finalize(st);
    size_t count = v.n;
    *out = hxe__sq_vec_finish(&v, a);
    if (!rc && count && !*out)
        rc = hxe_err_set(err, HXE_ENOMEM, "message %lld: the arena is full", (long long)msg_id);
    *n = rc ? 0 : count;
    return rc;
}

int hxe__sq_deliveries_add(hxe_store *s, const char *tenant, int64_t msg_id,
                           const char *const *dests, size_t n, int64_t now, hxe_err *err)
{
    sq_store *q = SQ(s);
    int own, rc = hxe__sq_tx_begin(q, &own, err);
    if (rc)
        return rc;
    rc = deliveries_insert(q, tenant, msg_id, dests, n, now, err);
    return hxe__sq_tx_end(q, own, rc, err);
}

int hxe__sq_deliveries(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                       hxe_store_delivery **out, size_t *n, hxe_err *err)
{
    sq_store *q = SQ(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db,
                           "SELECT " SQ_DELIV_COLS
                           "WHERE d.message_id = ?1 AND d.tenant = ?2 ORDER BY d.id",
                           -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "list deliveries", err);
    sqlite3_bind_int64(st, 1, msg_id);
    hxe__sq_bind_text(st, 2, tenant, strlen(tenant));
    sq_vec v = {.elem = sizeof(hxe_store_delivery)};
    int rc = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        hxe_store_delivery *d = hxe__sq_vec_push(&v);
        if (!d || hxe__sq_read_delivery(st, a, d)) {
            rc = hxe_err_set(err, HXE_ENOMEM, "message %lld: out of memory listing deliveries",
                             (long long)msg_id);
            break;
        }
    }
    if (!rc && step != SQLITE_DONE)
        rc = hxe__sq_fail(q, "list deliveries", err);
    sqlite3_finalize(st);
    size_t count = v.n;
    *out = hxe__sq_vec_finish(&v, a);
    if (!rc && count && !*out)
        rc = hxe_err_set(err, HXE_ENOMEM, "message %lld: the arena is full", (long long)msg_id);
    *n = rc ? 0 : count;
    return rc;
}
