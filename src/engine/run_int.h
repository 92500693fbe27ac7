/*
 * run_int.h — private to the channel runtime (run_*.c): the runtime, its
 * channels, the writer hand-back queue, the processing stage and the
 * destination queue workers, and the two small interfaces new kinds plug
 * into (a source kind, a destination kind).
 *
 * Threads: everything here lives on the loop thread except the pieces
 * marked "any thread" (the hand-back queue and the counters).
 */
#ifndef HXE_RUN_INT_H
#define HXE_RUN_INT_H

#include "engine/engine.h"
#include "net/net.h"
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <uv.h>

/* The processing stage (filter + transformer) is itself a queue of the
 * store: a message of a channel with a filter or transformer is stored
 * with one delivery to this pseudo-destination; processing it adds the
 * real deliveries in the same transaction that marks it sent. A name the
 * configuration cannot give a destination ('@' is refused there). */
#define HXE_RUN_PROCESS_DEST "@process"

typedef struct hxe_run_channel hxe_run_channel;
typedef struct hxe_run_dest hxe_run_dest;

/* ---- the store thread (run_store.c) ----
 * work() runs on the store thread and may use run->q; after() runs on
 * the loop. The job is the caller's (usually embedded in its owner). */
typedef struct run_job run_job;
struct run_job {
    run_job *next;
    void (*work)(run_job *j);
    void (*after)(run_job *j);
    void *data;
};

void hxe__run_job(hxe_run *r, run_job *j);

/* ---- counters (written on the loop, read from any thread) ---- */
typedef struct run_counters {
    _Atomic uint64_t received, rejected, store_failures, duplicates, stored, filtered,
        process_failed, delivered, failed, dead, breaker_opens;
    _Atomic uint64_t acked[HXE_RUN_NACKS];
} run_counters;

#define RUN_INC(ch, field) atomic_fetch_add_explicit(&(ch)->count.field, 1, memory_order_relaxed)

/* ---- writer submissions handed back to the loop ----
 * The writer's callback runs on its thread: it fills `result` and pushes
 * the pending item on the runtime's locked list, then wakes the loop,
 * which calls `done` there. */
typedef struct run_pending run_pending;
struct run_pending {
    run_pending *next;
    hxe_run *run;
    void (*done)(run_pending *p);           /* on the loop */
    int rc;
    hxe_store_msg_ref ref;
    char error[160];
};

/* Submits to the writer; p->done is called later on the loop (exactly
 * once) unless this returns an error. */
int hxe__run_submit(hxe_run *r, const hxe_store_msg_in *in, run_pending *p, hxe_err *err);

/* ---- a source kind ----
 * A source turns bytes from outside into calls of hxe__run_ingest and
 * gives a way to answer: MLLP (run_source.c), HTTP POST (run_http_src.c),
 * the directory poller (run_dir_src.c). */
typedef struct run_reply {
    /* Answers the message (the bytes are copied). Called exactly once per
     * ingested message, on the loop. */
    void (*respond)(void *tok, const char *ack, size_t len);
} run_reply;

typedef struct run_source_ops {
    const char *kind;
    int (*start)(hxe_run_channel *ch, hxe_err *err);
    /* Stop taking messages; call hxe__run_source_stopped(ch) when done. */
    void (*stop)(hxe_run_channel *ch, uint64_t deadline_ms);
    int (*port)(const hxe_run_channel *ch);
} run_source_ops;

extern const run_source_ops hxe__run_source_mllp;
extern const run_source_ops hxe__run_source_http;
extern const run_source_ops hxe__run_source_dir;
/* The kind for enum hxe_source_type; NULL when there is none. */
const run_source_ops *hxe__run_source_for(int type);
void hxe__run_source_stopped(hxe_run_channel *ch);

/* MSA-1 of an ACK into code ("" when none); in run_http_src.c. */
void hxe__run_msa1(const char *ack, size_t n, char code[3]);

/* One message from a source: parse, accept, validate, commit, answer. */
void hxe__run_ingest(hxe_run_channel *ch, const char *msg, size_t len, const run_reply *rp,
                     void *tok, const char *peer);

/* ---- a destination kind ----
 * send() starts one delivery and later calls hxe__run_dest_done exactly
 * once, never from inside send(). cancel() makes a send in flight end
 * soon (shutdown deadline). close() frees the kind's state and calls
 * hxe__run_dest_closed(d) when done. */
typedef struct run_delivery {
    int64_t id, message_id;
    uint32_t attempts;
    const char *correlation_id, *idempotency_key, *control_id;
    int64_t received_at;
    const char *content;
    size_t content_len;
} run_delivery;

typedef struct run_dest_ops {
    const char *kind;
    int (*open)(hxe_run_dest *d, hxe_err *err);
    int (*send)(hxe_run_dest *d, const run_delivery *dl, hxe_err *err);
    void (*cancel)(hxe_run_dest *d);
    void (*close)(hxe_run_dest *d);
} run_dest_ops;

extern const run_dest_ops hxe__run_dest_mllp;
extern const run_dest_ops hxe__run_dest_file;
extern const run_dest_ops hxe__run_dest_channel;
extern const run_dest_ops hxe__run_dest_http;
/* The kind for enum hxe_dest_type; NULL when there is none. */
const run_dest_ops *hxe__run_dest_for(int type);

/* ok: 1 sent; resp (may be NULL) is kept as the RESPONSE version.
 * reason: one line without content when !ok. Before a failure a kind
 * may set d->permanent (dead at once, whatever attempts are left) or
 * d->retry_after_ms (the least wait before the next attempt, capped by
 * retry.max_interval); both are reset here. */
void hxe__run_dest_done(hxe_run_dest *d, int ok, const char *resp, size_t resp_len,
                        const char *reason);
void hxe__run_dest_closed(hxe_run_dest *d);

enum run_dest_state { RUN_DEST_IDLE = 0, RUN_DEST_SENDING = 1, RUN_DEST_CLOSING = 2,
                      RUN_DEST_CLOSED = 3, RUN_DEST_CLAIMING = 4, RUN_DEST_MARKING = 5 };

struct hxe_run_dest {
    hxe_run_channel *ch;
    const hxe_dest_conf *conf;
    const run_dest_ops *ops;
    void *impl;                  /* the kind's state */
    int permanent;               /* set by the kind before a failed done() */
    uint64_t retry_after_ms;     /* likewise: a server's Retry-After */
    hxe_store_queue queue;
    hxe_breaker breaker;
    hxe_ratelimit rate;
    hxe_rng rng;
    uv_timer_t timer;
    int state;
    int scheduled;               /* timer armed */
    int64_t next_due;            /* earliest known retry time; 0 = none */
    hxe_arena arena;             /* the claimed deliveries (ds) */
    run_delivery cur;            /* ds[next], in flight */
    uint64_t sent_at;
    /* one store job at a time: settle what was attempted, then claim the
     * next head of the queue (run_queue.c) */
    run_job job;
    int job_rc;
    hxe_err job_err;
    const char *job_where;       /* what failed: "settle" or "claim" */
    size_t want;                 /* deliveries to claim (rate tokens taken) */
    size_t claimed, next;        /* ds[0 .. claimed), ds[next] is in flight */
    hxe_store_delivery *ds;
    hxe_arena marena;            /* the responses kept until settled */
    struct run_sent {
        int64_t id, at;
        const char *resp;        /* in marena; may be NULL */
        size_t resp_len;
    } *sent;                     /* RUN_DEST_BATCH_MAX */
    size_t nsent;
    int64_t rel[64];             /* claimed, not attempted: to release */
    size_t nrel;
    int mark_kind;               /* the failed one: 0 none, 2 failed, 3 dead */
    int64_t mark_id, mark_now, mark_next;
    char mark_reason[256];
};

#define RUN_DEST_BATCH_MAX 64    /* deliveries per claim; see hxe_run_opts */

/* ---- pruning (run_prune.c): every store.pruning.interval, each
 * channel's content and metadata older than its pruning ages are removed
 * on the store thread ---- */
void hxe__run_prune_init(hxe_run *r);
void hxe__run_prune_start(hxe_run *r);   /* the first run soon, then every interval */
void hxe__run_prune_stop(hxe_run *r);    /* no more runs (one in flight finishes) */
void hxe__run_prune_close(hxe_run *r);

/* Wakes the worker soon (no-op while sending or stopping). */
void hxe__run_dest_kick(hxe_run_dest *d);
int hxe__run_dest_init(hxe_run_dest *d, hxe_run_channel *ch, const hxe_dest_conf *conf,
                       hxe_err *err);
void hxe__run_dest_cancel(hxe_run_dest *d);
void hxe__run_dest_close(hxe_run_dest *d);

/* ---- a channel ---- */
struct hxe_run_channel {
    hxe_run *run;
    const hxe_channel_conf *conf;
    size_t index;
    int running;                 /* enabled and started */
    const run_source_ops *src;
    void *src_impl;
    int src_stopped;
    int port;                    /* bound port, kept for the counters */
    hxe_tls_ctx *tls;
    hxe_script *filter_lua, *xform_lua;
    /* what a newly stored message of this channel is queued to: the
     * processing stage, or the destinations themselves */
    const char **entry;
    size_t nentry;
    const char **dest_names;
    hxe_run_dest *dests;
    size_t ndests;
    /* the processing stage (a job on the store thread) */
    uv_timer_t ptimer;
    int pbusy, pagain;
    run_job pjob;
    size_t pclaimed;
    int prc;
    hxe_arena parena;            /* claimed batch (store thread) */
    hxe_arena pscratch;          /* one message's parse (store thread) */
    run_counters count;
};

int hxe__run_process_init(hxe_run_channel *ch, hxe_err *err);
void hxe__run_process_kick(hxe_run_channel *ch);
void hxe__run_process_close(hxe_run_channel *ch);
int hxe__run_has_process(const hxe_run_channel *ch);

/* ---- the runtime ---- */
struct hxe_run {
    const hxe_config *cfg;
    hxe_run_opts opts;
    uv_loop_t loop;
    int loop_ready;
    hxe_store *store;            /* opened with recovery; the writer's parent */
    hxe_store *q;                /* the store thread's connection: claims, marks */
    hxe_store *qr;               /* the loop's connection: reads only */
    hxe_store_writer *writer;
    hxe_run_channel *ch;
    size_t nch;
    /* hand-back from the writer thread */
    uv_async_t wake;
    pthread_mutex_t mu;
    run_pending *head, *tail;    /* under mu */
    size_t inflight;             /* submissions not yet done (loop only) */
    /* stop */
    uv_async_t stop_async;
    _Atomic int stop_asked;
    int stopping;                /* loop only */
    int finishing;
    uv_timer_t deadline;
    /* pruning (run_prune.c) */
    uv_timer_t prune_timer;
    run_job prune_job;
    int prune_busy;
    int handles_open;            /* loop handles still to close */
    int closed_dests;
    hxe_arena scratch;           /* per ingested message (loop) */
    /* the store thread */
    pthread_t sthread;
    pthread_mutex_t smu;
    pthread_cond_t scv;
    run_job *jhead, *jtail;      /* queued, under smu */
    run_job *dhead, *dtail;      /* done, under smu */
    int sstop, sready, sstarted, sclosed;
    uv_async_t jwake;
    size_t jobs;                 /* queued and not yet after()'d (loop) */
};

int hxe__run_store_start(hxe_run *r, hxe_err *err);
void hxe__run_store_stop(hxe_run *r);
void hxe__run_store_close(hxe_run *r);
void hxe__run_store_free(hxe_run *r);

uint64_t hxe__run_now(void);
/* mkdir -p */
int hxe__run_mkdirs(const char *path, hxe_err *err);
/* Checks whether the shutdown can move on; called after every event that
 * may end a piece of in-flight work. */
void hxe__run_maybe_finish(hxe_run *r);
hxe_run_channel *hxe__run_channel_find(hxe_run *r, const char *tenant, const char *name);

#endif
