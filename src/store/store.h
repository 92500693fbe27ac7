/*
 * store.h — the durable message store: messages and their raw content,
 * content versions, deliveries (one per message and destination: the
 * destination queues), the event history of each message, duplicate
 * detection, pruning, dead letters and statistics.
 *
 * One interface, several backends: hxe_store is a struct of function
 * pointers (hxe_store_ops) and every hxe_store_* call below dispatches
 * through it. The SQLite backend (WAL, one file, no setup) is the default;
 * a PostgreSQL backend can be added without touching callers. No SQL lives
 * outside src/store/.
 *
 * Rules that hold across this header:
 * - Tenants. Every row carries a tenant id; every function that reads or
 *   writes rows takes the tenant and never returns or changes another
 *   tenant's rows (an id of another tenant is simply "not found"). The one
 *   exception is recovery on open, which is a property of the process.
 * - Times are milliseconds since the Unix epoch (UTC). Functions take the
 *   current time as `now` so tests can inject it; 0 means "the clock".
 * - Results that hold strings or bytes are allocated from an arena the
 *   caller passes; they live until the caller resets or frees that arena.
 *   Inputs are copied: the caller's buffers are free when a call returns.
 * - Fallible functions return 0 or a negative HXE_E* code and fill a
 *   caller-owned hxe_err (may be NULL). HXE_ENOTFOUND means "no such row
 *   for this tenant"; HXE_EINVAL a bad argument or a row in the wrong
 *   state; HXE_EIO a database failure (the message names the statement).
 *   Error texts name ids and places, never message content.
 * - Threads. One hxe_store handle is one database connection: use it from
 *   one thread at a time. Open one handle per thread (the group-commit
 *   writer opens its own). Several processes may use the same SQLite file
 *   at once (the `hxe dlq` command beside a running engine); a busy
 *   database is waited for up to opts.busy_timeout_ms.
 * - Detail and error texts given to the store must not carry PHI: the
 *   store cannot tell, and it shows them in `hxe dlq` and the dashboard.
 */
#ifndef HXE_STORE_H
#define HXE_STORE_H

#include "base/base.h"

#define HXE_STORE_SCHEMA_VERSION 1   /* the schema this code writes */
#define HXE_STORE_UUID_LEN 36        /* 8-4-4-4-12 lowercase hex */
#define HXE_STORE_CORR_MAX 64        /* a caller's own correlation id: up to 64
                                        printable ASCII bytes (a fixed part of
                                        the format, not an option) */

/* ---- delivery states and content kinds (stored as their names) ---- */
enum hxe_store_state {
    HXE_STORE_QUEUED = 1,    /* waiting for its first attempt (or a retry from the DLQ) */
    HXE_STORE_SENDING = 2,   /* claimed by a sender, in flight */
    HXE_STORE_SENT = 3,      /* delivered; final */
    HXE_STORE_ERROR = 4,     /* an attempt failed; retried at next_at */
    HXE_STORE_DEAD = 5,      /* gave up: a dead letter, waiting for retry or discard */
    HXE_STORE_DISCARDED = 6  /* a dead letter an operator discarded; final */
};
#define HXE_STORE_NSTATES 7  /* array size for per-state counts indexed by state */

const char *hxe_store_state_name(int state);   /* "queued", ...; "?" when unknown */
int hxe_store_state_parse(const char *name);   /* 0 when unknown */

enum hxe_store_content_kind {
    HXE_STORE_RAW = 0,          /* the message as received (kept on the message) */
    HXE_STORE_TRANSFORMED = 1,  /* a transformer's output */
    HXE_STORE_SENT_BYTES = 2,   /* exactly what was sent to a destination */
    HXE_STORE_RESPONSE = 3      /* what the destination answered */
};
const char *hxe_store_kind_name(int kind);     /* "raw", "transformed", "sent", "response" */

/* ---- options ---- */
typedef struct hxe_store_opts {
    int create;               /* 1 (default): create the database when missing */
    int recover;              /* 1 (default): on open, deliveries left `sending`
                                 return to `queued` (the engine sets it; tools
                                 beside a running engine must clear it) */
    int synchronous_full;     /* 1 (default): every commit is fsynced before it
                                 returns; 0: WAL "NORMAL" (a crash may lose the
                                 last commits of this connection, never corrupt) */
    int busy_timeout_ms;      /* wait for another connection's lock; default 5000 */
    int wal_autocheckpoint;   /* WAL pages before a checkpoint; default 1000 */
    size_t max_name;          /* tenant, channel, destination, sender, control id,
                                 type, event kind; default 256 bytes */
    size_t max_text;          /* event details and error texts; longer ones are
                                 cut at a UTF-8 boundary; default 1024 bytes */
    size_t max_content;       /* one content blob; default 64 MiB */
    size_t max_destinations;  /* deliveries per message; default 64 */
    size_t prune_batch;       /* messages per pruning transaction; default 1000 */
} hxe_store_opts;

void hxe_store_opts_init(hxe_store_opts *o);

/* ---- rows ---- */

/* A message to store: raw content, its deliveries and its first event. */
typedef struct hxe_store_msg_in {
    const char *tenant;           /* required */
    const char *channel;          /* required */
    const char *correlation_id;   /* NULL: the store makes a UUID (v7) */
    int64_t received_at;          /* 0: now */
    const char *control_id;       /* MSH-10; may be NULL */
    const char *sender;           /* e.g. "MSH-3^MSH-4" values; may be NULL */
    const char *msg_type;         /* e.g. "ADT^A01"; may be NULL */
    const void *content;          /* raw bytes; may be empty */
    size_t content_len;
    const char *const *destinations;  /* one queued delivery each; may be 0 */
    size_t ndestinations;
    const char *event_kind;       /* NULL: "received" */
    const char *event_detail;     /* may be NULL; no PHI */
    uint32_t dup_window_s;        /* > 0: if a message of the same tenant,
                                     channel, sender and control id was received
                                     within this many seconds before, store
                                     nothing and return that one (duplicate) */
} hxe_store_msg_in;

/* What msg_add (and the writer's callback) return about a message. */
typedef struct hxe_store_msg_ref {
    int64_t id;
    char correlation_id[HXE_STORE_CORR_MAX + 1];
    int duplicate;                /* 1: nothing stored; id is the earlier message */
} hxe_store_msg_ref;

typedef struct hxe_store_msg {
    int64_t id;
    const char *tenant, *channel, *correlation_id;
    const char *control_id, *sender, *msg_type;  /* "" when not given */
    int64_t received_at;
    const char *content;          /* NULL once pruned */
    size_t content_len;
    int64_t content_pruned_at;    /* 0 while the content is kept */
} hxe_store_msg;

typedef struct hxe_store_delivery {
    int64_t id, message_id;
    const char *tenant, *channel, *destination;
    const char *correlation_id;
    const char *idempotency_key;  /* correlation id + ":" + destination */
    int state;                    /* enum hxe_store_state */
    uint32_t attempts;
    int64_t next_at;              /* when it is due (queued/error) */
    const char *last_error;       /* "" when none */
    int64_t received_at, created_at, updated_at;
    /* hxe_store_claim only: what to send. The newest TRANSFORMED version for
     * this destination, else the newest for all destinations, else RAW. */
    const char *content;
    size_t content_len;
    int content_kind;
} hxe_store_delivery;

typedef struct hxe_store_event {
    int64_t id, message_id, at;
    const char *kind;             /* e.g. received, sent, failed, dead, retried */
    const char *destination;      /* "" when about the whole message */
    const char *detail;           /* "" when none */
} hxe_store_event;

/* One destination queue. Ordered (FIFO) queues hand out their head in
 * order and nothing more while any of it is in flight, and a delivery
 * waiting for its retry holds back the ones after it; unordered queues
 * hand out whatever is due, oldest first. */
typedef struct hxe_store_queue {
    const char *tenant, *channel, *destination;
    int ordered;
} hxe_store_queue;

/* Selects rows of one tenant; channel and destination NULL = all. */
typedef struct hxe_store_filter {
    const char *tenant;
    const char *channel;
    const char *destination;
} hxe_store_filter;

/* Pruning of one channel (or all channels of a tenant when channel is
 * NULL). Ages in milliseconds before `now` by receipt time; 0 = keep. */
typedef struct hxe_store_prune_rule {
    const char *tenant;
    const char *channel;
    int64_t content_age_ms;   /* raw content and content versions */
    int64_t meta_age_ms;      /* the message, its deliveries and events */
    int prune_dead;           /* 0 (default): keep messages with dead letters */
} hxe_store_prune_rule;

typedef struct hxe_store_prune_result {
    uint64_t contents_pruned;     /* messages whose content was removed */
    uint64_t messages_deleted;    /* messages removed with their metadata */
} hxe_store_prune_result;

typedef struct hxe_store_channel_stat {
    const char *channel;
    int64_t messages;
    int64_t oldest_at, newest_at;  /* receipt times */
} hxe_store_channel_stat;

typedef struct hxe_store_queue_stat {
    const char *channel, *destination;
    int64_t count[HXE_STORE_NSTATES];  /* indexed by enum hxe_store_state */
} hxe_store_queue_stat;

typedef struct hxe_store_stats {
    hxe_store_channel_stat *channels;
    size_t nchannels;
    hxe_store_queue_stat *queues;
    size_t nqueues;
} hxe_store_stats;

/* ---- the interface a backend implements ---- */
typedef struct hxe_store hxe_store;
typedef struct hxe_store_ops {
    const char *name;
    /* another connection to the same database, same options */
    int (*connect)(hxe_store *s, hxe_store **out, hxe_err *err);
    void (*close)(hxe_store *s);
    int (*begin)(hxe_store *s, hxe_err *err);
    int (*commit)(hxe_store *s, hxe_err *err);
    void (*rollback)(hxe_store *s);
    int (*recover)(hxe_store *s, int64_t now, uint64_t *n, hxe_err *err);
    int (*msg_add)(hxe_store *s, const hxe_store_msg_in *in, int64_t now,
                   const char *corr, hxe_store_msg_ref *out, hxe_err *err);
    int (*msg_get)(hxe_store *s, const char *tenant, int64_t id, hxe_arena *a,
                   hxe_store_msg *out, hxe_err *err);
    int (*msg_find)(hxe_store *s, const char *tenant, const char *corr, int64_t *id, hxe_err *err);
    int (*find_duplicate)(hxe_store *s, const char *tenant, const char *channel,
                          const char *sender, const char *control_id, int64_t since,
                          hxe_store_msg_ref *out, hxe_err *err);
    int (*content_add)(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                       const char *destination, int64_t now, const void *data,
                       size_t len, hxe_err *err);
    int (*content_get)(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                       const char *destination, hxe_arena *a, const char **data,
                       size_t *len, hxe_err *err);
    int (*event_add)(hxe_store *s, const char *tenant, int64_t msg_id, int64_t now,
                     const char *kind, const char *destination, const char *detail,
                     hxe_err *err);
    int (*events)(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                  hxe_store_event **out, size_t *n, hxe_err *err);
    int (*deliveries_add)(hxe_store *s, const char *tenant, int64_t msg_id,
                          const char *const *dests, size_t n, int64_t now, hxe_err *err);
    int (*deliveries)(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                      hxe_store_delivery **out, size_t *n, hxe_err *err);
    int (*claim)(hxe_store *s, const hxe_store_queue *q, int64_t now, size_t max,
                 hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err);
    int (*mark_sent)(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                     const void *sent, size_t sent_len, const void *resp,
                     size_t resp_len, hxe_err *err);
    int (*mark_failed)(hxe_store *s, const char *tenant, int64_t id, int64_t now,
                       int64_t next_at, int dead, const char *error, hxe_err *err);
    int (*release)(hxe_store *s, const char *tenant, const int64_t *ids, size_t n,
                   int64_t now, hxe_err *err);
    int (*prune)(hxe_store *s, const hxe_store_prune_rule *r, int64_t now,
                 hxe_store_prune_result *out, hxe_err *err);
    int (*dlq_list)(hxe_store *s, const hxe_store_filter *f, int64_t after_id,
                    size_t limit, hxe_arena *a, hxe_store_delivery **out, size_t *n,
                    hxe_err *err);
    int (*dlq_act)(hxe_store *s, int to_state, const hxe_store_filter *f,
                   const int64_t *ids, size_t nids, int64_t now, uint64_t *changed,
                   hxe_err *err);
    int (*stats)(hxe_store *s, const char *tenant, hxe_arena *a, hxe_store_stats *out,
                 hxe_err *err);
} hxe_store_ops;

/* Backends embed this first in their own struct. Callers treat it as opaque. */
struct hxe_store {
    const hxe_store_ops *ops;
    hxe_store_opts opts;
    /* Store-internal (the group-commit writer's fast path): inside an
     * explicit transaction, calls skip their own savepoint, so a failed
     * call may leave part of its work behind and the caller must roll the
     * whole transaction back. */
    int no_savepoints;
};

/* ---- opening ---- */

/* Opens (and creates, migrates, recovers) a store. `where` is a file path
 * or "sqlite:PATH". opts may be NULL for the defaults. A database written
 * by a newer hxe (higher schema version) is refused. */
int hxe_store_open(hxe_store **out, const char *where, const hxe_store_opts *opts,
                   hxe_err *err);
/* A second connection to the same database (for another thread). */
int hxe_store_connect(hxe_store *s, hxe_store **out, hxe_err *err);
void hxe_store_close(hxe_store *s);
/* The schema version a database file holds (0 when none), without changing it. */
int hxe_store_schema_version(const char *where, int *version, hxe_err *err);

/* Explicit transactions: calls between begin and commit share one commit
 * (one fsync). Calls outside one commit on their own. Not nestable. */
int hxe_store_begin(hxe_store *s, hxe_err *err);
int hxe_store_commit(hxe_store *s, hxe_err *err);
void hxe_store_rollback(hxe_store *s);

/* Deliveries left `sending` (by a crashed process) return to `queued`, with
 * a "recovered" event each; all tenants. Done by hxe_store_open when
 * opts.recover is set; *n (may be NULL) gets the count. */
int hxe_store_recover(hxe_store *s, int64_t now, uint64_t *n, hxe_err *err);

/* ---- messages, content versions, events ---- */

/* Stores one message with its deliveries and first event in one commit
 * (or in the caller's transaction). With in->dup_window_s, a duplicate is
 * not stored: out->duplicate = 1 and out->id names the earlier message. */
int hxe_store_msg_add(hxe_store *s, const hxe_store_msg_in *in, hxe_store_msg_ref *out,
                      hxe_err *err);
int hxe_store_msg_get(hxe_store *s, const char *tenant, int64_t id, hxe_arena *a,
                      hxe_store_msg *out, hxe_err *err);
/* The id of the tenant's message with this correlation id. */
int hxe_store_msg_find(hxe_store *s, const char *tenant, const char *correlation_id,
                       int64_t *id, hxe_err *err);
/* The newest message of the same tenant, channel, sender and control id
 * received at or after received_at - window_s. 0 and *out filled when
 * there is one, HXE_ENOTFOUND when not. */
int hxe_store_find_duplicate(hxe_store *s, const char *tenant, const char *channel,
                             const char *sender, const char *control_id,
                             int64_t received_at, uint32_t window_s,
                             hxe_store_msg_ref *out, hxe_err *err);

/* A content version (TRANSFORMED, SENT_BYTES or RESPONSE). destination NULL
 * means "for every destination" (a channel-wide transform). */
int hxe_store_content_add(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                          const char *destination, int64_t now, const void *data,
                          size_t len, hxe_err *err);
/* The newest version of a kind (RAW: the message's content) for exactly
 * that destination (NULL: the channel-wide one). HXE_ENOTFOUND when none
 * or pruned. *data is NUL-terminated for convenience. */
int hxe_store_content_get(hxe_store *s, const char *tenant, int64_t msg_id, int kind,
                          const char *destination, hxe_arena *a, const char **data,
                          size_t *len, hxe_err *err);
int hxe_store_event_add(hxe_store *s, const char *tenant, int64_t msg_id, int64_t now,
                        const char *kind, const char *destination, const char *detail,
                        hxe_err *err);
/* The message's history, oldest first. */
int hxe_store_events(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                     hxe_store_event **out, size_t *n, hxe_err *err);

/* ---- deliveries: the destination queues ---- */

/* One `queued` delivery per destination, due now. A destination the
 * message already has is refused (HXE_EINVAL) and nothing is added. */
int hxe_store_deliveries_add(hxe_store *s, const char *tenant, int64_t msg_id,
                             const char *const *destinations, size_t n, int64_t now,
                             hxe_err *err);
/* The message's deliveries, in destination order of creation. */
int hxe_store_deliveries(hxe_store *s, const char *tenant, int64_t msg_id, hxe_arena *a,
                         hxe_store_delivery **out, size_t *n, hxe_err *err);
/* Takes up to max due deliveries of a queue, oldest message first, moves
 * them to `sending` and returns them with the content to send. Ordered:
 * the head of the queue, up to the first delivery in flight or waiting
 * for its retry (the caller sends them one after another, in order, and
 * stops at the first failure). *n = 0 when nothing is due (or, ordered,
 * the head is in flight or waiting). */
int hxe_store_claim(hxe_store *s, const hxe_store_queue *q, int64_t now, size_t max,
                    hxe_arena *a, hxe_store_delivery **out, size_t *n, hxe_err *err);
/* sending -> sent; keeps the bytes sent and the response as content
 * versions when given (either may be NULL). Records a "sent" event. */
int hxe_store_mark_sent(hxe_store *s, const char *tenant, int64_t delivery_id,
                        int64_t now, const void *sent, size_t sent_len,
                        const void *response, size_t response_len, hxe_err *err);
/* sending -> queued, attempts and due time unchanged, no event: claimed
 * deliveries that were not attempted (those after a failure in an ordered
 * batch, or left when the engine stops). Each must be the tenant's and
 * `sending`, or nothing changes (the error names the first that is not). */
int hxe_store_release(hxe_store *s, const char *tenant, const int64_t *ids, size_t n,
                      int64_t now, hxe_err *err);
/* sending -> error: attempts + 1, due again at next_at; "failed" event. */
int hxe_store_mark_failed(hxe_store *s, const char *tenant, int64_t delivery_id,
                          int64_t now, int64_t next_at, const char *error, hxe_err *err);
/* sending, queued or error -> dead (attempts + 1 when it was sending);
 * "dead" event. */
int hxe_store_mark_dead(hxe_store *s, const char *tenant, int64_t delivery_id,
                        int64_t now, const char *error, hxe_err *err);

/* ---- pruning ---- */

/* Removes old content and old metadata by rule, in transactions of
 * opts.prune_batch messages. A message with a delivery still queued,
 * sending or in error (or dead, unless rule->prune_dead) is never touched. */
int hxe_store_prune(hxe_store *s, const hxe_store_prune_rule *rule, int64_t now,
                    hxe_store_prune_result *out, hxe_err *err);

/* ---- dead letters ---- */

/* Dead deliveries of the filter with id > after_id, oldest first, at most
 * limit (0 = 1000). */
int hxe_store_dlq_list(hxe_store *s, const hxe_store_filter *f, int64_t after_id,
                       size_t limit, hxe_arena *a, hxe_store_delivery **out, size_t *n,
                       hxe_err *err);
/* dead -> queued (attempts reset to 0, due now, "retried" event), or
 * dead -> discarded (kept for the record, "discarded" event). With ids,
 * each must be a dead letter matching the filter or nothing changes
 * (HXE_ENOTFOUND names the first that is not); with ids NULL, every dead
 * letter matching the filter. All in one transaction. */
int hxe_store_dlq_retry(hxe_store *s, const hxe_store_filter *f, const int64_t *ids,
                        size_t nids, int64_t now, uint64_t *changed, hxe_err *err);
int hxe_store_dlq_discard(hxe_store *s, const hxe_store_filter *f, const int64_t *ids,
                          size_t nids, int64_t now, uint64_t *changed, hxe_err *err);

/* ---- statistics ---- */

/* Messages per channel and deliveries per channel, destination and state. */
int hxe_store_stats_get(hxe_store *s, const char *tenant, hxe_arena *a, hxe_store_stats *out,
                    hxe_err *err);

/* ---- group commit ----
 * A writer is one thread owning its own connection. Any thread submits a
 * message (copied at once); the writer takes everything waiting (up to a
 * batch), writes it in ONE transaction, commits once (one fsync for the
 * whole batch), then calls each submission's callback with the stored ids
 * or an error. An acknowledgment may be sent once the callback reports
 * rc == 0: the raw message is then durable.
 *
 * The callbacks run ON THE WRITER THREAD, in submission order. Keep them
 * short; an event-loop caller hands the result to its loop (uv_async_send).
 * A callback must not call hxe_store_writer_stop or _free. */
typedef struct hxe_store_writer hxe_store_writer;

typedef struct hxe_store_writer_opts {
    size_t batch_max;        /* messages per transaction; default 512 */
    size_t batch_bytes;      /* content bytes per transaction; default 32 MiB
                                (a single larger message still goes alone) */
    uint32_t max_wait_us;    /* after the first message, wait up to this long
                                for more before committing; default 0 (batches
                                form while the previous commit runs) */
    size_t queue_max;        /* waiting messages; beyond, submit fails with
                                HXE_ETOOBIG (back-pressure); default 100,000 */
    size_t queue_bytes;      /* waiting content bytes; default 512 MiB */
} hxe_store_writer_opts;

void hxe_store_writer_opts_init(hxe_store_writer_opts *o);

typedef struct hxe_store_commit {
    int rc;                  /* 0: durably committed (or a duplicate) */
    hxe_store_msg_ref ref;   /* id, correlation id, duplicate flag */
    const char *error;       /* rc != 0: why (valid during the callback) */
} hxe_store_commit_result;

typedef void (*hxe_store_commit_cb)(const hxe_store_commit_result *c, void *data);

/* Starts a writer on a new connection to s's database. */
int hxe_store_writer_start(hxe_store_writer **out, hxe_store *s,
                           const hxe_store_writer_opts *opts, hxe_err *err);
/* Queues a message. Fails (and cb is never called) when the arguments are
 * bad (HXE_EINVAL), the queue is full (HXE_ETOOBIG) or the writer is
 * stopped (HXE_EERROR). Otherwise cb is called exactly once. */
int hxe_store_writer_submit(hxe_store_writer *w, const hxe_store_msg_in *in,
                            hxe_store_commit_cb cb, void *data, hxe_err *err);
/* Refuses new submissions, writes and completes everything already
 * submitted, and joins the thread. Idempotent; call it from one thread. */
void hxe_store_writer_stop(hxe_store_writer *w);
/* Stops (if needed), closes the writer's connection and frees it. */
void hxe_store_writer_free(hxe_store_writer *w);

typedef struct hxe_store_writer_stats {
    uint64_t commits;        /* transactions committed */
    uint64_t messages;       /* messages stored (duplicates not counted) */
    uint64_t duplicates;
    uint64_t failed;         /* submissions completed with an error */
    uint64_t largest_batch;
} hxe_store_writer_stats;

void hxe_store_writer_stats_get(hxe_store_writer *w, hxe_store_writer_stats *out);

/* ---- helpers ---- */

/* A time-ordered (version 7) UUID: the clock in ms, then 74 bits from
 * OpenSSL's RAND_bytes; NUL-terminated. */
int hxe_store_uuid(char out[HXE_STORE_UUID_LEN + 1], hxe_err *err);
/* The clock, in milliseconds since the Unix epoch. */
int64_t hxe_store_now_ms(void);

#endif
