/*
 * sqlite.c — the SQLite backend: opening a connection (WAL, synchronous
 * FULL, busy timeout, foreign keys), creating and migrating the schema,
 * the cache of prepared statements, transactions, and the ops table.
 *
 * The schema is a list of migrations; hxe_schema holds the version the
 * file is at. Opening runs the missing migrations in one transaction, so
 * a file is always at a version this code knows, and a file from a newer
 * hxe is refused rather than misread. The SQL of each statement is here,
 * beside its id, so the whole storage format can be read in one place
 * (the prune and dead-letter statements, built per call, are in
 * sqlite_admin.c).
 */
#include "store/sqlite_internal.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* ---- the schema ---- */

static const char *const migrations[] = {
    /* 1: the first schema */
    "CREATE TABLE hxe_schema ("
    "  version INTEGER NOT NULL,"
    "  migrated_at INTEGER NOT NULL);"
    "INSERT INTO hxe_schema VALUES (0, 0);"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  correlation_id TEXT NOT NULL,"
    "  received_at INTEGER NOT NULL,"
    "  control_id TEXT NOT NULL DEFAULT '',"
    "  sender TEXT NOT NULL DEFAULT '',"
    "  msg_type TEXT NOT NULL DEFAULT '',"
    "  content BLOB,"
    "  content_pruned_at INTEGER);"
    "CREATE UNIQUE INDEX messages_correlation ON messages(tenant, correlation_id);"
    "CREATE INDEX messages_duplicate ON messages(tenant, channel, sender, control_id, received_at);"
    "CREATE INDEX messages_received ON messages(tenant, channel, received_at);"
    "CREATE INDEX messages_content ON messages(tenant, channel, received_at)"
    "  WHERE content_pruned_at IS NULL;"
    "CREATE TABLE contents ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  message_id INTEGER NOT NULL REFERENCES messages(id),"
    "  kind TEXT NOT NULL CHECK (kind IN ('transformed', 'sent', 'response')),"
    "  destination TEXT NOT NULL DEFAULT '',"
    "  created_at INTEGER NOT NULL,"
    "  data BLOB NOT NULL);"
    "CREATE INDEX contents_message ON contents(message_id, kind, destination);"
    "CREATE TABLE deliveries ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant TEXT NOT NULL,"
    "  message_id INTEGER NOT NULL REFERENCES messages(id),"
    "  channel TEXT NOT NULL,"
    "  destination TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN"
    "    ('queued', 'sending', 'sent', 'error', 'dead', 'discarded')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_at INTEGER NOT NULL,"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  idempotency_key TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (message_id, destination));"
    "CREATE INDEX deliveries_pending ON deliveries(tenant, channel, destination, message_id)"
    "  WHERE state IN ('queued', 'sending', 'error');"
    "CREATE INDEX deliveries_dead ON deliveries(tenant, id) WHERE state = 'dead';"
    "CREATE INDEX deliveries_sending ON deliveries(id) WHERE state = 'sending';"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant TEXT NOT NULL,"
    "  message_id INTEGER NOT NULL REFERENCES messages(id),"
    "  at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  destination TEXT NOT NULL DEFAULT '',"
    "  detail TEXT NOT NULL DEFAULT '');"
    "CREATE INDEX events_message ON events(message_id);",
};
_Static_assert(sizeof migrations / sizeof migrations[0] == HXE_STORE_SCHEMA_VERSION,
               "one migration per schema version");

/* ---- hot-path statements ---- */

static const char *const stmt_sql[SQ_NSTMT] = {
    [SQ_MSG_INSERT] =
        "INSERT INTO messages (tenant, channel, correlation_id, received_at, control_id,"
        " sender, msg_type, content) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [SQ_MSG_GET] =
        "SELECT id, tenant, channel, correlation_id, control_id, sender, msg_type,"
        " received_at, content, content_pruned_at FROM messages WHERE id = ?1 AND tenant = ?2",
    [SQ_MSG_FIND] = "SELECT id FROM messages WHERE tenant = ?1 AND correlation_id = ?2",
    [SQ_MSG_DUP] =
        "SELECT id, correlation_id FROM messages WHERE tenant = ?1 AND channel = ?2"
        " AND sender = ?3 AND control_id = ?4 AND received_at >= ?5"
        " ORDER BY received_at DESC, id DESC LIMIT 1",
    [SQ_MSG_RAW] =
        "SELECT content, content_pruned_at FROM messages WHERE id = ?1 AND tenant = ?2",
    [SQ_DELIV_INSERT] =
        "INSERT INTO deliveries (tenant, message_id, channel, destination, state, next_at,"
        " idempotency_key, created_at, updated_at)"
        " SELECT tenant, id, channel, ?3, 'queued', ?4, correlation_id || ':' || ?3, ?4, ?4"
        " FROM messages WHERE id = ?1 AND tenant = ?2",
    [SQ_EVENT_INSERT] =
        "INSERT INTO events (tenant, message_id, at, kind, destination, detail)"
        " SELECT tenant, id, ?3, ?4, ?5, ?6 FROM messages WHERE id = ?1 AND tenant = ?2",
    [SQ_CONTENT_INSERT] =
        "INSERT INTO contents (tenant, message_id, kind, destination, created_at, data)"
        " SELECT tenant, id, ?3, ?4, ?5, ?6 FROM messages WHERE id = ?1 AND tenant = ?2",
    [SQ_CONTENT_GET] =
        "SELECT data FROM contents WHERE message_id = ?1 AND tenant = ?2 AND kind = ?3"
        " AND destination = ?4 ORDER BY id DESC LIMIT 1",
    [SQ_CONTENT_TO_SEND] =
        "SELECT data FROM contents WHERE message_id = ?1 AND tenant = ?2"
        " AND kind = 'transformed' AND destination IN (?3, '')"
        " ORDER BY destination = '', id DESC LIMIT 1",
    /* ordered: the oldest unfinished delivery of the queue, only when it is
     * due and nothing is in flight (a sending one is then the oldest) */
    /* the head of an ordered queue: the claim takes the leading rows that
     * are due and stops at the first one in flight or waiting */
    [SQ_CLAIM_ORDERED] =
        "SELECT id, state = 'sending' OR next_at > ?4 FROM deliveries"
        " WHERE tenant = ?1 AND channel = ?2 AND destination = ?3"
        "  AND state IN ('queued', 'sending', 'error') ORDER BY message_id, id LIMIT ?5",
    [SQ_CLAIM_ONE] =
        "UPDATE deliveries SET state = 'sending', updated_at = ?2"
        " WHERE id = ?1 AND state IN ('queued', 'error')",
    [SQ_RELEASE] =
        "UPDATE deliveries SET state = 'queued', updated_at = ?3"
        " WHERE id = ?1 AND tenant = ?2 AND state = 'sending'",
    [SQ_CLAIM_UNORDERED] =
        "UPDATE deliveries SET state = 'sending', updated_at = ?4 WHERE id IN"
        " (SELECT id FROM deliveries WHERE tenant = ?1 AND channel = ?2 AND destination = ?3"
        "  AND state IN ('queued', 'sending', 'error') AND state <> 'sending'"
        "  AND next_at <= ?4 ORDER BY message_id, id LIMIT ?5) RETURNING id",
    [SQ_DELIV_BY_ID] = "SELECT " SQ_DELIV_COLS "WHERE d.id = ?1 AND d.tenant = ?2",
    [SQ_DELIV_STATE] = "SELECT state FROM deliveries WHERE id = ?1 AND tenant = ?2",
    [SQ_MARK_SENT] =
        "UPDATE deliveries SET state = 'sent', updated_at = ?3, last_error = ''"
        " WHERE id = ?1 AND tenant = ?2 AND state = 'sending'"
        " RETURNING message_id, destination, attempts",
    [SQ_MARK_FAILED] =
        "UPDATE deliveries SET state = 'error', attempts = attempts + 1, next_at = ?4,"
        " last_error = ?5, updated_at = ?3"
        " WHERE id = ?1 AND tenant = ?2 AND state = 'sending'"
        " RETURNING message_id, destination, attempts",
    [SQ_MARK_DEAD] =
        "UPDATE deliveries SET state = 'dead', attempts = attempts + (state = 'sending'),"
        " last_error = ?5, updated_at = ?3"
        " WHERE id = ?1 AND tenant = ?2 AND state IN ('sending', 'queued', 'error')"
        " RETURNING message_id, destination, attempts",
};

sqlite3_stmt *hxe__sq_stmt(sq_store *q, enum sq_stmt_id id, hxe_err *err)
{
    sqlite3_stmt *st = q->st[id];
    if (!st) {
        if (sqlite3_prepare_v3(q->db, stmt_sql[id], -1, SQLITE_PREPARE_PERSISTENT, &st,
                               NULL) != SQLITE_OK) {
            hxe__sq_fail(q, "prepare", err);
            return NULL;
        }
        q->st[id] = st;
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
}

/* ---- helpers ---- */

int hxe__sq_fail(sq_store *q, const char *what, hxe_err *err)
{
    int code = sqlite3_extended_errcode(q->db);
    int rc = HXE_EIO;
    if ((code & 0xff) == SQLITE_CONSTRAINT)
        rc = HXE_EINVAL;
    else if ((code & 0xff) == SQLITE_TOOBIG)
        rc = HXE_ETOOBIG;
    else if ((code & 0xff) == SQLITE_NOMEM)
        rc = HXE_ENOMEM;
    return hxe_err_set(err, rc, "store: %s: %s", what, sqlite3_errmsg(q->db));
}

int hxe__sq_exec(sq_store *q, const char *sql, hxe_err *err)
{
    if (sqlite3_exec(q->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, sql, err);
    return 0;
}

int hxe__sq_tx_begin(sq_store *q, int *own, hxe_err *err)
{
    *own = sqlite3_get_autocommit(q->db);
    if (!*own && q->base.no_savepoints)
        return 0;   /* the caller's transaction is all-or-nothing */
    return hxe__sq_exec(q, *own ? "BEGIN IMMEDIATE" : "SAVEPOINT hxe_op", err);
}

int hxe__sq_tx_end(sq_store *q, int own, int rc, hxe_err *err)
{
    if (!own && q->base.no_savepoints)
        return rc;
    if (own) {
        if (rc == 0 && (rc = hxe__sq_exec(q, "COMMIT", err)) == 0)
            return 0;
        if (!sqlite3_get_autocommit(q->db))
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    if (rc == 0)
        return hxe__sq_exec(q, "RELEASE hxe_op", err);
    sqlite3_exec(q->db, "ROLLBACK TO hxe_op", NULL, NULL, NULL);
    sqlite3_exec(q->db, "RELEASE hxe_op", NULL, NULL, NULL);
    return rc;
}

char *hxe__sq_text(sqlite3_stmt *st, int col, hxe_arena *a)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    int n = sqlite3_column_bytes(st, col);
    return hxe_arena_strndup(a, t ? (const char *)t : "", t ? (size_t)n : 0);
}

int hxe__sq_bind_text(sqlite3_stmt *st, int i, const char *s, size_t n)
{
    if (!s) {
        s = "";
        n = 0;
    }
    return sqlite3_bind_text64(st, i, s, n, SQLITE_TRANSIENT, SQLITE_UTF8);
}

void *hxe__sq_vec_push(sq_vec *v)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *p = hxe_realloc(v->v, cap * v->elem);
        if (!p)
            return NULL;
        v->v = p;
        v->cap = cap;
    }
    void *slot = (char *)v->v + v->n++ * v->elem;
    memset(slot, 0, v->elem);
    return slot;
}

void *hxe__sq_vec_finish(sq_vec *v, hxe_arena *a)
{
    void *out = NULL;
    if (v->n) {
        out = hxe_arena_alloc(a, v->n * v->elem);
        if (out)
            memcpy(out, v->v, v->n * v->elem);
    }
    hxe_free(v->v);
    v->v = NULL;
    v->cap = 0;
    return out;
}

int hxe__sq_read_delivery(sqlite3_stmt *st, hxe_arena *a, hxe_store_delivery *d)
{
    memset(d, 0, sizeof *d);
    d->id = sqlite3_column_int64(st, 0);
    d->message_id = sqlite3_column_int64(st, 1);
    d->tenant = hxe__sq_text(st, 2, a);
    d->channel = hxe__sq_text(st, 3, a);
    d->destination = hxe__sq_text(st, 4, a);
    d->correlation_id = hxe__sq_text(st, 5, a);
    d->idempotency_key = hxe__sq_text(st, 6, a);
    d->state = hxe_store_state_parse((const char *)sqlite3_column_text(st, 7));
    d->attempts = (uint32_t)sqlite3_column_int64(st, 8);
    d->next_at = sqlite3_column_int64(st, 9);
    d->last_error = hxe__sq_text(st, 10, a);
    d->received_at = sqlite3_column_int64(st, 11);
    d->created_at = sqlite3_column_int64(st, 12);
    d->updated_at = sqlite3_column_int64(st, 13);
    if (!d->tenant || !d->channel || !d->destination || !d->correlation_id ||
        !d->idempotency_key || !d->last_error)
        return HXE_ENOMEM;
    return 0;
}

/* ---- transactions the caller opens ---- */

static int sq_begin(hxe_store *s, hxe_err *err)
{
    sq_store *q = SQ(s);
    if (!sqlite3_get_autocommit(q->db))
        return hxe_err_set(err, HXE_EINVAL, "store: a transaction is already open");
    int rc = hxe__sq_exec(q, "BEGIN IMMEDIATE", err);
    q->explicit_tx = rc == 0;
    return rc;
}

static int sq_commit(hxe_store *s, hxe_err *err)
{
    sq_store *q = SQ(s);
    if (sqlite3_get_autocommit(q->db))
        return hxe_err_set(err, HXE_EINVAL, "store: no transaction is open");
    q->explicit_tx = 0;
    int rc = hxe__sq_exec(q, "COMMIT", err);
    if (rc && !sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

static void sq_rollback(hxe_store *s)
{
    sq_store *q = SQ(s);
    q->explicit_tx = 0;
    if (!sqlite3_get_autocommit(q->db))
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- opening and closing ---- */

static void sq_close(hxe_store *s)
{
    sq_store *q = SQ(s);
    if (!q)
        return;
    for (int i = 0; i < SQ_NSTMT; i++)
        sqlite3_finalize(q->st[i]);
    if (q->db) {
        if (!sqlite3_get_autocommit(q->db))
            sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        sqlite3_close_v2(q->db);
    }
    hxe_free(q->path);
    hxe_free(q);
}

static int sq_connect(hxe_store *s, hxe_store **out, hxe_err *err)
{
    hxe_store_opts o = s->opts;
    o.create = 0;
    o.recover = 0;
    return hxe__sq_open(out, SQ(s)->path, &o, err);
}

static const hxe_store_ops sq_ops = {
    .name = "sqlite",
    .connect = sq_connect,
    .close = sq_close,
    .begin = sq_begin,
    .commit = sq_commit,
    .rollback = sq_rollback,
    .recover = hxe__sq_recover,
    .msg_add = hxe__sq_msg_add,
    .msg_get = hxe__sq_msg_get,
    .msg_find = hxe__sq_msg_find,
    .find_duplicate = hxe__sq_find_duplicate,
    .content_add = hxe__sq_content_add,
    .content_get = hxe__sq_content_get,
    .event_add = hxe__sq_event_add,
    .events = hxe__sq_events,
    .deliveries_add = hxe__sq_deliveries_add,
    .deliveries = hxe__sq_deliveries,
    .claim = hxe__sq_claim,
    .mark_sent = hxe__sq_mark_sent,
    .mark_failed = hxe__sq_mark_failed,
    .release = hxe__sq_release,
    .prune = hxe__sq_prune,
    .dlq_list = hxe__sq_dlq_list,
    .dlq_act = hxe__sq_dlq_act,
    .stats = hxe__sq_stats,
};

/* One integer from a query; -1 when the query yields no row. */
static int query_int(sq_store *q, const char *sql, int64_t *v, hxe_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, sql, -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "read schema", err);
    int rc = sqlite3_step(st);
    *v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return hxe__sq_fail(q, "read schema", err);
    return 0;
}

/* The version the file is at: 0 for an empty file, HXE_EINVAL for a
 * database that holds tables but is not an hxe store. */
static int read_version(sq_store *q, int *version, hxe_err *err)
{
    int64_t v, tables;
    int rc = query_int(q, "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                          " AND name = 'hxe_schema'", &v, err);
    if (rc)
        return rc;
    if (v == 0) {
        if ((rc = query_int(q, "SELECT count(*) FROM sqlite_master", &tables, err)))
            return rc;
        if (tables > 0)
            return hxe_err_set(err, HXE_EINVAL,
                               "store %s: a SQLite database, but not an hxe store", q->path);
        *version = 0;
        return 0;
    }
    if ((rc = query_int(q, "SELECT max(version) FROM hxe_schema", &v, err)))
        return rc;
    *version = (int)v;
    return 0;
}

static int migrate(sq_store *q, hxe_err *err)
{
    int version, rc = hxe__sq_exec(q, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    if ((rc = read_version(q, &version, err)))
        goto out;
    if (version > HXE_STORE_SCHEMA_VERSION) {
        rc = hxe_err_set(err, HXE_EINVAL,
                         "store %s: schema version %d is newer than this hxe knows (%d)",
                         q->path, version, HXE_STORE_SCHEMA_VERSION);
        goto out;
    }
    for (int v = version; v < HXE_STORE_SCHEMA_VERSION && !rc; v++)
        rc = hxe__sq_exec(q, migrations[v], err);
    if (!rc && version < HXE_STORE_SCHEMA_VERSION) {
        char sql[128];
        snprintf(sql, sizeof sql, "UPDATE hxe_schema SET version = %d, migrated_at = %lld",
                 HXE_STORE_SCHEMA_VERSION, (long long)hxe_store_now_ms());
        rc = hxe__sq_exec(q, sql, err);
    }
out:
    if (rc) {
        sqlite3_exec(q->db, "ROLLBACK", NULL, NULL, NULL);
        return rc;
    }
    return hxe__sq_exec(q, "COMMIT", err);
}

/* Waiting for another connection's write lock: SQLite's own busy
 * handler sleeps 1 to 100 ms at a time, which is longer than the writer
 * usually holds the lock and starved delivery under load; this one polls
 * every 200 us until the configured timeout. */
static int busy_wait(void *data, int count)
{
    const sq_store *q = data;
    if ((long)count * 200 >= (long)q->busy_timeout_ms * 1000)
        return 0;
    struct timespec ts = {0, 200000};
    nanosleep(&ts, NULL);
    return 1;
}

static int configure(sq_store *q, const hxe_store_opts *o, hxe_err *err)
{
    char sql[96];
    sqlite3_extended_result_codes(q->db, 1);
    q->busy_timeout_ms = o->busy_timeout_ms;
    sqlite3_busy_handler(q->db, busy_wait, q);
    int64_t dummy;
    /* journal_mode answers with the mode in force: anything but wal means
     * the file cannot be shared safely (e.g. a network file system) */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(q->db, "PRAGMA journal_mode = WAL", -1, &st, NULL) != SQLITE_OK)
        return hxe__sq_fail(q, "open", err);
    int step = sqlite3_step(st);
    int wal = step == SQLITE_ROW &&
              strcmp((const char *)sqlite3_column_text(st, 0), "wal") == 0;
    sqlite3_finalize(st);
    if (step != SQLITE_ROW)
        return hxe__sq_fail(q, "open", err);
    if (!wal)
        return hxe_err_set(err, HXE_EIO, "store %s: cannot use WAL mode here", q->path);
    snprintf(sql, sizeof sql, "PRAGMA synchronous = %s", o->synchronous_full ? "FULL" : "NORMAL");
    int rc = hxe__sq_exec(q, sql, err);
    if (!rc)
        rc = hxe__sq_exec(q, "PRAGMA foreign_keys = ON", err);
    /* statement journals of the per-message savepoints stay in memory
     * instead of a temporary file per batch; a 16 MiB page cache */
    if (!rc)
        rc = hxe__sq_exec(q, "PRAGMA temp_store = MEMORY", err);
    if (!rc)
        rc = hxe__sq_exec(q, "PRAGMA cache_size = -16384", err);
    if (!rc) {
        snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint = %d", o->wal_autocheckpoint);
        rc = query_int(q, sql, &dummy, err);
    }
    return rc;
}

/* Once per process, before SQLite initialises: no memory statistics.
 * They take a global mutex around every allocation SQLite makes, which
 * the writer and the store thread then contend for (about a tenth of
 * their time); hxe does not read them. Fails harmlessly (SQLITE_MISUSE)
 * when the process initialised SQLite before. */
static pthread_once_t sq_configured = PTHREAD_ONCE_INIT;

static void sq_configure(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int hxe__sq_open(hxe_store **out, const char *path, const hxe_store_opts *o, hxe_err *err)
{
    *out = NULL;
    sq_store *q = hxe_calloc(1, sizeof *q);
    if (!q || !(q->path = hxe_strndup(path, strlen(path)))) {
        hxe_free(q);
        return hxe_err_set(err, HXE_ENOMEM, "store: out of memory");
    }
    q->base.ops = &sq_ops;
    q->base.opts = *o;
    pthread_once(&sq_configured, sq_configure);
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (o->create ? SQLITE_OPEN_CREATE : 0);
    int rc;
    if (sqlite3_open_v2(path, &q->db, flags, NULL) != SQLITE_OK) {
        rc = hxe_err_set(err, o->create ? HXE_EIO : HXE_ENOTFOUND, "store %s: cannot open: %s",
                         path, q->db ? sqlite3_errmsg(q->db) : "out of memory");
        goto fail;
    }
    if ((rc = configure(q, o, err)) || (rc = migrate(q, err)))
        goto fail;
    if (o->recover && (rc = hxe__sq_recover(&q->base, hxe_store_now_ms(), &(uint64_t){0}, err)))
        goto fail;
    *out = &q->base;
    return 0;
fail:
    sq_close(&q->base);
    return rc;
}

int hxe__sq_schema_version(const char *path, int *version, hxe_err *err)
{
    sq_store q = {0};
    q.path = (char *)path;
    *version = 0;
    if (sqlite3_open_v2(path, &q.db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        int rc = hxe_err_set(err, HXE_ENOTFOUND, "store %s: cannot open: %s", path,
                             q.db ? sqlite3_errmsg(q.db) : "out of memory");
        sqlite3_close_v2(q.db);
        return rc;
    }
    int rc = read_version(&q, version, err);
    sqlite3_close_v2(q.db);
    return rc;
}
