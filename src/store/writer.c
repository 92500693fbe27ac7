/*
 * writer.c — group commit: one thread, one connection, many messages per
 * transaction.
 *
 * Why: an acknowledgment may only leave once the raw message is durable,
 * and durability costs an fsync. One fsync per message caps throughput at
 * the disk's flush rate; sharing one fsync among every message that
 * arrived while the previous one ran makes the cost per message shrink as
 * load grows, with no added latency at low load (by default the writer
 * never waits for a batch to fill: a batch is whatever queued up during
 * the previous commit).
 *
 * Submitters copy their message into one heap block and append it to a
 * FIFO under a mutex; the thread takes up to batch_max messages (and
 * batch_bytes of content), writes them in one transaction (each in its own
 * savepoint, so one bad message fails alone), commits, and then calls each
 * callback in order. The backend is reached only through hxe_store_*
 * calls, so the writer works with any backend.
 */
#include "store/internal.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

typedef struct witem {
    struct witem *next;
    hxe_store_msg_in in;         /* pointers into this same block */
    hxe_store_commit_cb cb;
    void *data;
    hxe_store_commit_result result;
    hxe_err err;
} witem;

struct hxe_store_writer {
    hxe_store *conn;             /* owned; used by the thread only */
    hxe_store_writer_opts opts;
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t cv;           /* work arrived, or stop was asked */
    witem *head, *tail;          /* under mu */
    size_t queued, queued_bytes; /* under mu */
    int stopping;                /* under mu: no more submissions */
    hxe_store_writer_stats stats;/* under mu */
};

void hxe_store_writer_opts_init(hxe_store_writer_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch_max = 512;
    o->batch_bytes = (size_t)32 << 20;
    o->max_wait_us = 0;
    o->queue_max = 100000;
    o->queue_bytes = (size_t)512 << 20;
}

/* ---- copying a submission into one block ---- */

static size_t str_size(const char *s) { return s ? strlen(s) + 1 : 0; }

static char *put_str(char **p, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *d = *p;
    memcpy(d, s, n);
    *p += n;
    return d;
}

static witem *item_copy(const hxe_store_msg_in *in)
{
    size_t size = sizeof(witem) + in->ndestinations * sizeof(char *) + in->content_len +
                  str_size(in->tenant) + str_size(in->channel) + str_size(in->correlation_id) +
                  str_size(in->control_id) + str_size(in->sender) + str_size(in->msg_type) +
                  str_size(in->event_kind) + str_size(in->event_detail);
    for (size_t i = 0; i < in->ndestinations; i++)
        size += str_size(in->destinations[i]);
    witem *it = hxe_calloc(1, size);
    if (!it)
        return NULL;
    char *p = (char *)(it + 1);
    const char **dests = (const char **)(void *)p;
    p += in->ndestinations * sizeof(char *);
    it->in = *in;
    if (in->content_len) {
        memcpy(p, in->content, in->content_len);
        it->in.content = p;
        p += in->content_len;
    }
    it->in.tenant = put_str(&p, in->tenant);
    it->in.channel = put_str(&p, in->channel);
    it->in.correlation_id = put_str(&p, in->correlation_id);
    it->in.control_id = put_str(&p, in->control_id);
    it->in.sender = put_str(&p, in->sender);
    it->in.msg_type = put_str(&p, in->msg_type);
    it->in.event_kind = put_str(&p, in->event_kind);
    it->in.event_detail = put_str(&p, in->event_detail);
    for (size_t i = 0; i < in->ndestinations; i++)
        dests[i] = put_str(&p, in->destinations[i]);
    it->in.destinations = in->ndestinations ? dests : NULL;
    /* received now, not when the batch is written: the time is the
     * message's, and the duplicate window counts from it */
    if (!it->in.received_at)
        it->in.received_at = hxe_store_now_ms();
    return it;
}

/* ---- the thread ---- */

/* Writes every message of the batch in one transaction and commits.
 * fast: without a savepoint per message (about a quarter of the writer's
 * work); then any failure ends the attempt (returns 1) and the caller
 * runs it again the careful way, where each message has its savepoint
 * and one bad message fails alone. */
static int write_all(hxe_store_writer *w, witem *batch, int fast)
{
    hxe_err err = {0};
    witem *it;
    int rc = hxe_store_begin(w->conn, &err);
    if (rc) {
        for (it = batch; it; it = it->next) {
            it->result.rc = rc;
            it->err = err;
        }
        return rc;
    }
    w->conn->no_savepoints = fast;
    for (it = batch; it; it = it->next) {
        hxe_err_clear(&it->err);
        it->result.rc = hxe_store_msg_add(w->conn, &it->in, &it->result.ref, &it->err);
        if (fast && it->result.rc)
            break;
    }
    w->conn->no_savepoints = 0;
    if (fast && it) {
        hxe_store_rollback(w->conn);
        return 1;
    }
    rc = hxe_store_commit(w->conn, &err);
    /* a failed commit undoes the whole batch: every message fails */
    for (it = batch; rc && it; it = it->next)
        if (it->result.rc == 0) {
            it->result.rc = rc;
            it->err = err;
        }
    return rc;
}

static void write_batch(hxe_store_writer *w, witem *batch, size_t n)
{
    witem *it;
    int rc = write_all(w, batch, 1);
    if (rc == 1)
        rc = write_all(w, batch, 0);
    uint64_t ok = 0, dup = 0, failed = 0;
    for (it = batch; it; it = it->next) {
        if (it->result.rc)
            failed++;
        else if (it->result.ref.duplicate)
            dup++;
        else
            ok++;
    }
    pthread_mutex_lock(&w->mu);
    if (!rc)
        w->stats.commits++;
    w->stats.messages += ok;
    w->stats.duplicates += dup;
    w->stats.failed += failed;
    if (n > w->stats.largest_batch)
        w->stats.largest_batch = n;
    pthread_mutex_unlock(&w->mu);
    /* callbacks only after the commit returned: each one may ACK */
    while (batch) {
        it = batch;
        batch = it->next;
        it->result.error = it->result.rc ? it->err.msg : NULL;
        it->cb(&it->result, it->data);
        hxe_free(it);
    }
}

static void wait_for_more(hxe_store_writer *w)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    long long ns = until.tv_nsec + (long long)w->opts.max_wait_us * 1000;
    until.tv_sec += (time_t)(ns / 1000000000);
    until.tv_nsec = (long)(ns % 1000000000);
    while (!w->stopping && w->queued < w->opts.batch_max &&
           pthread_cond_timedwait(&w->cv, &w->mu, &until) == 0)
        ;
}

static void *writer_main(void *arg)
{
    hxe_store_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->cv, &w->mu);
        if (!w->head)
            break; /* stopping and drained */
        if (w->opts.max_wait_us)
            wait_for_more(w);
        witem *batch = w->head, *last = w->head;
        size_t n = 1, bytes = last->in.content_len;
        while (last->next && n < w->opts.batch_max &&
               bytes + last->next->in.content_len <= w->opts.batch_bytes) {
            last = last->next;
            bytes += last->in.content_len;
            n++;
        }
        w->head = last->next;
        if (!w->head)
            w->tail = NULL;
        last->next = NULL;
        w->queued -= n;
        w->queued_bytes -= bytes;
        pthread_mutex_unlock(&w->mu);
        write_batch(w, batch, n);
        pthread_mutex_lock(&w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* ---- the interface ---- */

int hxe_store_writer_start(hxe_store_writer **out, hxe_store *s,
                           const hxe_store_writer_opts *opts, hxe_err *err)
{
    *out = NULL;
    hxe_store_writer *w = hxe_calloc(1, sizeof *w);
    if (!w)
        return hxe_err_set(err, HXE_ENOMEM, "store writer: out of memory");
    if (opts)
        w->opts = *opts;
    else
        hxe_store_writer_opts_init(&w->opts);
    if (!w->opts.batch_max || !w->opts.batch_bytes || !w->opts.queue_max ||
        !w->opts.queue_bytes) {
        hxe_free(w);
        return hxe_err_set(err, HXE_EINVAL, "store writer: a limit is zero");
    }
    int rc = hxe_store_connect(s, &w->conn, err);
    if (rc) {
        hxe_free(w);
        return rc;
    }
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        hxe_store_close(w->conn);
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        hxe_free(w);
        return hxe_err_set(err, HXE_EERROR, "store writer: cannot start its thread");
    }
    w->started = 1;
    *out = w;
    return 0;
}

int hxe_store_writer_submit(hxe_store_writer *w, const hxe_store_msg_in *in,
                            hxe_store_commit_cb cb, void *data, hxe_err *err)
{
    if (!w || !cb)
        return hxe_err_set(err, HXE_EINVAL, "store writer: no writer or no callback");
    /* the connection's options are fixed once opened: safe to read here */
    int rc = hxe__store_check_msg(w->conn, in, err);
    if (rc)
        return rc;
    witem *it = item_copy(in);
    if (!it)
        return hxe_err_set(err, HXE_ENOMEM, "store writer: out of memory");
    it->cb = cb;
    it->data = data;
    pthread_mutex_lock(&w->mu);
    if (w->stopping)
        rc = hxe_err_set(err, HXE_EERROR, "store writer: stopped");
    else if (w->queued >= w->opts.queue_max ||
             w->queued_bytes + in->content_len > w->opts.queue_bytes)
        rc = hxe_err_set(err, HXE_ETOOBIG, "store writer: queue full (%zu messages waiting)",
                         w->queued);
    if (!rc) {
        if (w->tail)
            w->tail->next = it;
        else
            w->head = it;
        w->tail = it;
        w->queued++;
        w->queued_bytes += in->content_len;
        pthread_cond_signal(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    if (rc)
        hxe_free(it);
    return rc;
}

void hxe_store_writer_stop(hxe_store_writer *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stopping = 1;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
    if (w->started) {
        pthread_join(w->thread, NULL);
        w->started = 0;
    }
}

void hxe_store_writer_free(hxe_store_writer *w)
{
    if (!w)
        return;
    hxe_store_writer_stop(w);
    hxe_store_close(w->conn);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    hxe_free(w);
}

void hxe_store_writer_stats_get(hxe_store_writer *w, hxe_store_writer_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->stats;
    pthread_mutex_unlock(&w->mu);
}
