/*
 * run.c — the channel runtime's life: opening the store and the writer,
 * building the channels, running the loop, handing the writer's results
 * back to the loop, the graceful shutdown, and the counters.
 *
 * Threads. Everything happens on one libuv loop (the thread calling
 * hxe_run_loop), except the store writer, which commits on its own thread
 * and calls back there: those callbacks only push a small record on a
 * locked list and wake the loop (uv_async), which does the rest; and the
 * store thread (run_store.c), which does the queue bookkeeping (claims,
 * marks) and the processing stage on its own connection, so the loop
 * never waits for SQLite.
 *
 * Shutdown (hxe_run_stop, SIGTERM in `hxe serve`): sources stop taking
 * messages and answer those in flight once committed (within
 * opts.shutdown_ms), queues stop claiming, current sends finish (or are
 * cancelled at the deadline and marked failed), the writer drains and the
 * store closes. What was queued stays queued: the next start resumes it.
 */
#include "engine/run_int.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

void hxe_run_opts_init(hxe_run_opts *o)
{
    memset(o, 0, sizeof *o);
    o->shutdown_ms = 10000;
    o->poll_ms = 1000;
    o->process_batch = 64;
    o->delivery_batch = 32;
    o->store_sync_full = 0;
}

uint64_t hxe__run_now(void) { return (uint64_t)hxe_store_now_ms(); }

hxe_run_channel *hxe__run_channel_find(hxe_run *r, const char *tenant, const char *name)
{
    for (size_t i = 0; i < r->nch; i++)
        if (strcmp(r->ch[i].conf->tenant, tenant) == 0 && strcmp(r->ch[i].conf->name, name) == 0)
            return &r->ch[i];
    return NULL;
}

/* ---- the writer's results, back on the loop ---- */

static void writer_cb(const hxe_store_commit_result *c, void *data)
{
    run_pending *p = data;
    hxe_run *r = p->run;
    p->rc = c->rc;
    p->ref = c->ref;
    p->error[0] = 0;
    if (c->rc && c->error)
        snprintf(p->error, sizeof p->error, "%s", c->error);
    p->next = NULL;
    pthread_mutex_lock(&r->mu);
    if (r->tail)
        r->tail->next = p;
    else
        r->head = p;
    r->tail = p;
    pthread_mutex_unlock(&r->mu);
    uv_async_send(&r->wake);
}

static void drain_results(hxe_run *r)
{
    pthread_mutex_lock(&r->mu);
    run_pending *p = r->head;
    r->head = r->tail = NULL;
    pthread_mutex_unlock(&r->mu);
    while (p) {
        run_pending *next = p->next;
        r->inflight--;
        p->done(p);
        p = next;
    }
    hxe__run_maybe_finish(r);
}

static void wake_cb(uv_async_t *h) { drain_results(h->data); }

int hxe__run_submit(hxe_run *r, const hxe_store_msg_in *in, run_pending *p, hxe_err *err)
{
    p->run = r;
    r->inflight++;
    int rc = hxe_store_writer_submit(r->writer, in, writer_cb, p, err);
    if (rc)
        r->inflight--;
    return rc;
}

/* ---- shutdown ---- */

static void close_cb(uv_handle_t *h) { (void)h; }

void hxe__run_source_stopped(hxe_run_channel *ch)
{
    ch->src_stopped = 1;
    hxe__run_maybe_finish(ch->run);
}

void hxe__run_dest_closed(hxe_run_dest *d)
{
    d->state = RUN_DEST_CLOSED;
    d->ch->run->closed_dests++;
}

static int all_quiet(hxe_run *r)
{
    if (r->inflight || r->jobs)
        return 0;
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        if ((ch->running && ch->src && !ch->src_stopped) || ch->pbusy)
            return 0;
        for (size_t j = 0; j < ch->ndests; j++)
            if (ch->dests[j].state != RUN_DEST_IDLE && ch->dests[j].state != RUN_DEST_CLOSED)
                return 0;
    }
    return 1;
}

void hxe__run_maybe_finish(hxe_run *r)
{
    if (!r->stopping || r->finishing || !all_quiet(r))
        return;
    r->finishing = 1;
    /* Everything submitted has been answered: the writer has nothing left;
     * stopping it joins its thread. */
    if (r->writer)
        hxe_store_writer_stop(r->writer);
    pthread_mutex_lock(&r->mu);
    int left = r->head != NULL;
    pthread_mutex_unlock(&r->mu);
    if (left)
        hxe_log(HXE_LOG_ERROR, "run_results_left", HXE_LF_STR("what", "writer results after drain"));
    hxe__run_store_stop(r);
    hxe__run_store_close(r);
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        for (size_t j = 0; j < ch->ndests; j++)
            hxe__run_dest_close(&ch->dests[j]);
        hxe__run_process_close(ch);
    }
    uv_timer_stop(&r->deadline);
    uv_close((uv_handle_t *)&r->deadline, close_cb);
    hxe__run_prune_close(r);
    uv_close((uv_handle_t *)&r->wake, close_cb);
    uv_close((uv_handle_t *)&r->stop_async, close_cb);
}

static void deadline_cb(uv_timer_t *t)
{
    hxe_run *r = t->data;
    hxe_log(HXE_LOG_WARN, "shutdown_deadline", HXE_LF_INT("inflight", r->inflight));
    for (size_t i = 0; i < r->nch; i++)
        for (size_t j = 0; j < r->ch[i].ndests; j++)
            hxe__run_dest_cancel(&r->ch[i].dests[j]);
}

static void begin_stop(hxe_run *r)
{
    if (r->stopping)
        return;
    r->stopping = 1;
    hxe_log(HXE_LOG_INFO, "stopping", HXE_LF_INT("inflight", r->inflight));
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        if (ch->running && ch->src && !ch->src_stopped)
            ch->src->stop(ch, r->opts.shutdown_ms);
        if (ch->running)
            uv_timer_stop(&ch->ptimer);
        for (size_t j = 0; j < ch->ndests; j++)
            if (ch->dests[j].state == RUN_DEST_IDLE)
                uv_timer_stop(&ch->dests[j].timer);
    }
    hxe__run_prune_stop(r);
    uv_timer_start(&r->deadline, deadline_cb, r->opts.shutdown_ms, 0);
    hxe__run_maybe_finish(r);
}

static void stop_cb(uv_async_t *h) { begin_stop(h->data); }

void hxe_run_stop(hxe_run *r)
{
    if (!r)
        return;
    atomic_store(&r->stop_asked, 1);
    uv_async_send(&r->stop_async);
}

/* ---- building ---- */

static int mkdirs(const char *path, hxe_err *err)
{
    char p[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof p)
        return hxe_err_set(err, HXE_EINVAL, "directory path too long");
    memcpy(p, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (p[i] == '/' || p[i] == 0) {
            char c = p[i];
            p[i] = 0;
            if (mkdir(p, 0750) != 0 && errno != EEXIST)
                return hxe_err_set(err, HXE_EIO, "cannot create directory %s: %s", p,
                                   strerror(errno));
            p[i] = c;
        }
    }
    return 0;
}

int hxe__run_mkdirs(const char *path, hxe_err *err) { return mkdirs(path, err); }

static int store_parent(const char *path, hxe_err *err)
{
    const char *p = strncmp(path, "sqlite:", 7) == 0 ? path + 7 : path;
    const char *slash = strrchr(p, '/');
    if (!slash || slash == p)
        return 0;
    char dir[4096];
    size_t n = (size_t)(slash - p);
    if (n >= sizeof dir)
        return hxe_err_set(err, HXE_EINVAL, "store path too long");
    memcpy(dir, p, n);
    dir[n] = 0;
    return mkdirs(dir, err);
}

static int channel_init(hxe_run *r, hxe_run_channel *ch, hxe_err *err)
{
    const hxe_channel_conf *c = ch->conf;
    hxe_arena_init(&ch->parena, 64 * 1024, 0);
    hxe_arena_init(&ch->pscratch, 64 * 1024, 0);
    ch->dest_names = hxe_calloc(c->ndests ? c->ndests : 1, sizeof *ch->dest_names);
    if (!ch->dest_names)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    for (size_t j = 0; j < c->ndests; j++)
        ch->dest_names[j] = c->dests[j].name;
    if (hxe__run_has_process(ch)) {
        static const char *const proc[1] = {HXE_RUN_PROCESS_DEST};
        ch->entry = (const char **)proc;
        ch->nentry = 1;
    } else {
        ch->entry = ch->dest_names;
        ch->nentry = c->ndests;
    }
    if (!c->enabled)
        return 0;
    if (!hxe__run_source_for(c->source.type))
        return hxe_err_set(err, HXE_EINVAL, "channel %s: unknown source type", c->name);
    ch->running = 1;
    int rc = hxe__run_process_init(ch, err);
    if (rc)
        return rc;
    ch->dests = hxe_calloc(c->ndests ? c->ndests : 1, sizeof *ch->dests);
    if (!ch->dests)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    for (size_t j = 0; j < c->ndests; j++) {
        rc = hxe__run_dest_init(&ch->dests[j], ch, &c->dests[j], err);
        ch->ndests = j + 1;
        if (rc)
            return rc;
    }
    (void)r;
    return 0;
}

static void run_teardown(hxe_run *r);

int hxe_run_new(hxe_run **out, const hxe_config *cfg, const hxe_run_opts *opts, hxe_err *err)
{
    *out = NULL;
    hxe_run *r = hxe_calloc(1, sizeof *r);
    if (!r)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    r->cfg = cfg;
    if (opts)
        r->opts = *opts;
    else
        hxe_run_opts_init(&r->opts);
    if (!r->opts.poll_ms)
        r->opts.poll_ms = 1000;
    if (!r->opts.process_batch)
        r->opts.process_batch = 64;
    if (!r->opts.delivery_batch)
        r->opts.delivery_batch = 32;
    if (r->opts.delivery_batch > RUN_DEST_BATCH_MAX)
        r->opts.delivery_batch = RUN_DEST_BATCH_MAX;
    if (!r->opts.shutdown_ms)
        r->opts.shutdown_ms = 10000;
    hxe_arena_init(&r->scratch, 64 * 1024, 0);
    pthread_mutex_init(&r->mu, NULL);
    int rc = uv_loop_init(&r->loop);
    if (rc) {
        pthread_mutex_destroy(&r->mu);
        hxe_free(r);
        return hxe_err_set(err, HXE_EIO, "event loop: %s", uv_strerror(rc));
    }
    r->loop_ready = 1;
    uv_async_init(&r->loop, &r->wake, wake_cb);
    r->wake.data = r;
    uv_async_init(&r->loop, &r->stop_async, stop_cb);
    r->stop_async.data = r;
    uv_timer_init(&r->loop, &r->deadline);
    r->deadline.data = r;
    hxe__run_prune_init(r);

    const char *path = cfg->store.path ? cfg->store.path : "./var/hxe.db";
    hxe_store_opts so;
    hxe_store_opts_init(&so);
    so.recover = 0;
    if ((rc = store_parent(path, err)) || (rc = hxe_store_open(&r->store, path, &so, err)))
        goto fail;
    uint64_t recovered = 0;
    if ((rc = hxe_store_recover(r->store, 0, &recovered, err)))
        goto fail;
    if (recovered)
        hxe_log(HXE_LOG_INFO, "recovered", HXE_LF_INT("deliveries", recovered));
    hxe_store_opts qo = so;
    qo.synchronous_full = r->opts.store_sync_full;
    if ((rc = hxe_store_open(&r->q, path, &qo, err)) ||
        (rc = hxe_store_open(&r->qr, path, &qo, err)) || (rc = hxe__run_store_start(r, err)))
        goto fail;
    hxe_store_writer_opts wo;
    hxe_store_writer_opts_init(&wo);
    if (cfg->store.group_commit_batch)
        wo.batch_max = cfg->store.group_commit_batch;
    wo.max_wait_us = (uint32_t)(cfg->store.group_commit_wait_ms * 1000 > 10000000
                                    ? 10000000
                                    : cfg->store.group_commit_wait_ms * 1000);
    if ((rc = hxe_store_writer_start(&r->writer, r->store, &wo, err)))
        goto fail;

    r->nch = cfg->nchannels;
    r->ch = hxe_calloc(r->nch ? r->nch : 1, sizeof *r->ch);
    if (!r->ch) {
        rc = hxe_err_set(err, HXE_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t i = 0; i < r->nch; i++) {
        r->ch[i].run = r;
        r->ch[i].conf = &cfg->channels[i];
        r->ch[i].index = i;
    }
    for (size_t i = 0; i < r->nch; i++)
        if ((rc = channel_init(r, &r->ch[i], err)))
            goto fail;
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        if (!ch->running)
            continue;
        const run_source_ops *sk = hxe__run_source_for(ch->conf->source.type);
        if ((rc = sk->start(ch, err)))
            goto fail;
        ch->src = sk;
        ch->port = ch->src->port(ch);
        hxe_log(HXE_LOG_INFO, "listening", HXE_LF_STR("tenant", ch->conf->tenant),
                HXE_LF_STR("channel", ch->conf->name),
                HXE_LF_STR("host", ch->conf->source.host ? ch->conf->source.host : "127.0.0.1"),
                HXE_LF_INT("port", ch->src->port(ch)),
                HXE_LF_STR("tls", ch->tls ? (ch->conf->source.tls.require_client_cert
                                                 ? "mutual" : "yes") : "no"));
    }
    *out = r;
    return 0;
fail:
    run_teardown(r);
    return rc ? rc : HXE_EERROR;
}

static void kick_all(hxe_run *r)
{
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        if (!ch->running)
            continue;
        hxe__run_process_kick(ch);
        for (size_t j = 0; j < ch->ndests; j++)
            hxe__run_dest_kick(&ch->dests[j]);
    }
}

int hxe_run_loop(hxe_run *r, hxe_err *err)
{
    if (!r)
        return hxe_err_set(err, HXE_EINVAL, "no runtime");
    if (!atomic_load(&r->stop_asked)) {
        kick_all(r);
        hxe__run_prune_start(r);
    }
    else
        begin_stop(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    return 0;
}

/* Stops whatever was started (the loop runs until every handle is
 * closed), then frees. Used by hxe_run_free and a failed hxe_run_new. */
static void run_teardown(hxe_run *r)
{
    if (r->loop_ready) {
        if (!r->finishing) {
            atomic_store(&r->stop_asked, 1);
            begin_stop(r);
            uv_run(&r->loop, UV_RUN_DEFAULT);
        }
        /* anything a kind left behind */
        uv_run(&r->loop, UV_RUN_DEFAULT);
        if (uv_loop_close(&r->loop) != 0)
            hxe_log(HXE_LOG_ERROR, "loop_not_closed", HXE_LF_STR("what", "handles left open"));
    }
    hxe_store_writer_free(r->writer);
    hxe__run_store_stop(r);
    hxe__run_store_free(r);
    for (size_t i = 0; i < r->nch; i++) {
        hxe_run_channel *ch = &r->ch[i];
        for (size_t j = 0; j < ch->ndests; j++) {
            hxe_arena_free(&ch->dests[j].arena);
            hxe_arena_free(&ch->dests[j].marena);
            hxe_free(ch->dests[j].sent);
        }
        hxe_free(ch->dests);
        hxe_free(ch->dest_names);
        hxe_script_free(ch->filter_lua);
        hxe_script_free(ch->xform_lua);
        hxe_tls_free(ch->tls);
        hxe_arena_free(&ch->parena);
        hxe_arena_free(&ch->pscratch);
    }
    hxe_free(r->ch);
    hxe_store_close(r->q);
    hxe_store_close(r->qr);
    hxe_store_close(r->store);
    hxe_arena_free(&r->scratch);
    pthread_mutex_destroy(&r->mu);
    hxe_free(r);
}

void hxe_run_free(hxe_run *r)
{
    if (r)
        run_teardown(r);
}

/* ---- counters ---- */

size_t hxe_run_channel_count(const hxe_run *r) { return r ? r->nch : 0; }

#define LOAD(f) atomic_load_explicit(&ch->count.f, memory_order_relaxed)

int hxe_run_channel_stats_get(const hxe_run *r, size_t i, hxe_run_channel_stats *out)
{
    if (!r || i >= r->nch)
        return HXE_ERANGE;
    const hxe_run_channel *ch = &r->ch[i];
    memset(out, 0, sizeof *out);
    out->tenant = ch->conf->tenant;
    out->channel = ch->conf->name;
    out->running = ch->running;
    out->port = ch->port;
    out->received = LOAD(received);
    for (int k = 0; k < HXE_RUN_NACKS; k++)
        out->acked[k] = atomic_load_explicit(&ch->count.acked[k], memory_order_relaxed);
    out->rejected = LOAD(rejected);
    out->store_failures = LOAD(store_failures);
    out->duplicates = LOAD(duplicates);
    out->stored = LOAD(stored);
    out->filtered = LOAD(filtered);
    out->process_failed = LOAD(process_failed);
    out->delivered = LOAD(delivered);
    out->failed = LOAD(failed);
    out->dead = LOAD(dead);
    out->breaker_opens = LOAD(breaker_opens);
    return 0;
}

void hxe_run_log_stats(const hxe_run *r)
{
    for (size_t i = 0; r && i < r->nch; i++) {
        hxe_run_channel_stats s;
        hxe_run_channel_stats_get(r, i, &s);
        hxe_log(HXE_LOG_INFO, "channel_stats", HXE_LF_STR("tenant", s.tenant),
                HXE_LF_STR("channel", s.channel), HXE_LF_INT("received", s.received),
                HXE_LF_INT("stored", s.stored), HXE_LF_INT("aa", s.acked[HXE_RUN_AA]),
                HXE_LF_INT("ae", s.acked[HXE_RUN_AE]), HXE_LF_INT("ar", s.acked[HXE_RUN_AR]),
                HXE_LF_INT("ca", s.acked[HXE_RUN_CA]), HXE_LF_INT("ce", s.acked[HXE_RUN_CE]),
                HXE_LF_INT("cr", s.acked[HXE_RUN_CR]), HXE_LF_INT("rejected", s.rejected),
                HXE_LF_INT("store_failures", s.store_failures),
                HXE_LF_INT("duplicates", s.duplicates), HXE_LF_INT("filtered", s.filtered),
                HXE_LF_INT("process_failed", s.process_failed),
                HXE_LF_INT("delivered", s.delivered), HXE_LF_INT("failed", s.failed),
                HXE_LF_INT("dead", s.dead), HXE_LF_INT("breaker_opens", s.breaker_opens));
    }
}
