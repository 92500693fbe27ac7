/*
 * sqlite_internal.h — the SQLite backend's private parts: the connection
 * struct, the cache of prepared statements used on hot paths, and the
 * helpers its files share (transactions, errors, reading columns).
 *
 * Every statement taken from the cache is reset before it is handed out
 * and must be reset (hxe__sq_done) as soon as its rows are read: a
 * statement left mid-way keeps a read snapshot open, which holds back WAL
 * checkpoints and hides other connections' commits.
 */
#ifndef HXE_STORE_SQLITE_INTERNAL_H
#define HXE_STORE_SQLITE_INTERNAL_H

#include "store/internal.h"

#include <sqlite3.h>

/* Hot-path statements, prepared once per connection. */
enum sq_stmt_id {
    SQ_MSG_INSERT,
    SQ_MSG_GET,
    SQ_MSG_FIND,
    SQ_MSG_DUP,
    SQ_MSG_RAW,
    SQ_DELIV_INSERT,
    SQ_EVENT_INSERT,
    SQ_CONTENT_INSERT,
    SQ_CONTENT_GET,
    SQ_CONTENT_TO_SEND,
    SQ_CLAIM_ORDERED,
    SQ_CLAIM_UNORDERED,
    SQ_DELIV_BY_ID,
    SQ_DELIV_STATE,
    SQ_MARK_SENT,
    SQ_MARK_FAILED,
    SQ_MARK_DEAD,
    SQ_CLAIM_ONE,
    SQ_RELEASE,
    SQ_NSTMT
};

typedef struct sq_store {
    hxe_store base;          /* first: callers see a hxe_store */
    sqlite3 *db;
    int busy_timeout_ms;      /* for the busy handler (sqlite.c) */
    char *path;
    int explicit_tx;         /* inside hxe_store_begin .. commit */
    sqlite3_stmt *st[SQ_NSTMT];
} sq_store;

#define SQ(s) ((sq_store *)(s))

/* The cached statement, reset and with its bindings cleared; NULL with
 * err filled when it cannot be prepared. */
sqlite3_stmt *hxe__sq_stmt(sq_store *q, enum sq_stmt_id id, hxe_err *err);
static inline void hxe__sq_done(sqlite3_stmt *st)
{
    if (st) {
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
    }
}
/* Fills err from the connection's last error; returns the HXE code:
 * constraint -> EINVAL, too big -> ETOOBIG, anything else -> EIO. SQLite's
 * messages name tables and columns, never values. */
int hxe__sq_fail(sq_store *q, const char *what, hxe_err *err);
int hxe__sq_exec(sq_store *q, const char *sql, hxe_err *err);

/* A unit of work: BEGIN IMMEDIATE when no transaction is open (so the
 * write lock is taken, waiting up to the busy timeout, before anything is
 * read), else a SAVEPOINT inside the caller's transaction. tx_end commits
 * or releases when rc is 0, rolls back otherwise, and returns the final rc. */
int hxe__sq_tx_begin(sq_store *q, int *own, hxe_err *err);
int hxe__sq_tx_end(sq_store *q, int own, int rc, hxe_err *err);

/* Column helpers: text copied into the arena ("" for NULL); NULL only when
 * the arena is exhausted. */
char *hxe__sq_text(sqlite3_stmt *st, int col, hxe_arena *a);
/* Bind text (NULL binds ""), copied by SQLite when transient. */
int hxe__sq_bind_text(sqlite3_stmt *st, int i, const char *s, size_t n);
/* A growable array copied into the arena when done (see sqlite_admin.c). */
typedef struct sq_vec {
    void *v;
    size_t n, cap, elem;
} sq_vec;
void *hxe__sq_vec_push(sq_vec *v);  /* zeroed slot, NULL when out of memory */
void *hxe__sq_vec_finish(sq_vec *v, hxe_arena *a); /* copies, frees the heap array */

/* The columns of a delivery row joined with its message, and the reader. */
#define SQ_DELIV_COLS                                                              \
    "d.id, d.message_id, d.tenant, d.channel, d.destination, m.correlation_id, " \
    "d.idempotency_key, d.state, d.attempts, d.next_at, d.last_error, "          \
    "m.received_at, d.created_at, d.updated_at "                                 \
    "FROM deliveries d JOIN messages m ON m.id = d.message_id "
int hxe__sq_read_delivery(sqlite3_stmt *st, hxe_arena *a, hxe_store_delivery *out);

/* The ops of each file. */
int hxe__sq_msg_add(hxe_store *s, const hxe_store_msg_in *in, int64_t now, const char *corr,
                    hxe_store_msg_ref *out, hxe_err *err);
int hxe__sq_msg_get(hxe_store *s, const char *tenant, int64_t id, hxe_arena *a,
                    hxe_store_msg *out, hxe_err *err);
int hxe__sq_msg_find(hxe_store *s, const char *tenant, const char *corr, int64_t *id,
                     hxe_err *err);
int hxe__sq_find_duplicate(hxe_store *s, const char *tenant, const char *channel,
                           const char *sender, const char *control_id, int64_t since,
                           hxe_store_msg_ref *out, hxe_err *err);
int hxe__sq_content_add(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                        const char *destination, int64_t now, const void *data, size_t len,
                        hxe_err *err);
int hxe__sq_content_get(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                        const char *destination, hxe_arena *a, const char **data,
                        size_t *len, hxe_err *err);
int hxe__sq_event_add(hxe_store *s, const char *tenant, int64_t msg_id, int64_t now,
                      const char *kind, const char *destination, const char *detail,
                      hxe_err *err);
int hxe__sq_events(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                   hxe_store_event **out, size_t *n, hxe_err *err);
int hxe__sq_deliveries_add(hxe_store *s, const char *tenant, int64_t msg_id,
                           const char *const *dests, size_t n, int64_t now, hxe_err *err);
int hxe__sq_deliveries(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                       hxe_store_delivery **out, size_t *n, hxe_err *err);
int hxe__sq_recover(hxe_store *s, int64_t now, uint64_t *n, hxe_err *err);
int hxe__sq_claim(hxe_store *s, const hxe_store_queue *qu, int64_t now, size_t max,
                  hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err);
int hxe__sq_mark_sent(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                      const void *sent, size_t sent_len, const void *resp, size_t resp_len,
                      hxe_err *err);
int hxe__sq_release(hxe_store *s, const char *tenant, const int64_t *ids, size_t n,
                     int64_t now, hxe_err *err);
int hxe__sq_mark_failed(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                        int64_t next_at, int dead, const char *error, hxe_err *err);
int hxe__sq_prune(hxe_store *s, const hxe_store_prune_rule *r, int64_t now,
                  hxe_store_prune_result *out, hxe_err *err);
int hxe__sq_dlq_list(hxe_store *s, const hxe_store_filter *f, int64_t after_id, size_t limit,
                     hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err);
int hxe__sq_dlq_act(hxe_store *s, int to_state, const hxe_store_filter *f, const int64_t *ids,
                    size_t nids, int64_t now, uint64_t *changed, hxe_err *err);
int hxe__sq_stats(hxe_store *s, const char *tenant, hxe_arena *a, hxe_store_stats *out,
                  hxe_err *err);

#endif
