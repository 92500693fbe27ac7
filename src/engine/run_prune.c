/*
 * run_prune.c — pruning while `hxe serve` runs: every
 * store.pruning.interval (1 h by default, and once a few seconds after
 * start), each channel's message content older than its
 * pruning.content_days is removed, and whole messages (metadata, events,
 * deliveries) older than pruning.metadata_days. A message with a delivery
 * still queued, in flight, failed or dead is never touched: the store's
 * rule (hxe_store_prune), so pruning can never lose a message that is not
 * finished or that an operator may still retry.
 *
 * It runs as a job on the store thread, in transactions of
 * opts.prune_batch messages, so delivery claims interleave with a long
 * prune instead of waiting for all of it.
 */
#include "engine/run_int.h"

#define PRUNE_FIRST_MS 5000   /* the first run, after start-up traffic settles */
#define DAY_MS 86400000LL

static void prune_work(run_job *j)
{
    hxe_run *r = j->data;
    for (size_t i = 0; i < r->nch; i++) {
        const hxe_channel_conf *c = r->ch[i].conf;
        if (!c->pruning.content_days && !c->pruning.metadata_days)
            continue;
        hxe_store_prune_rule rule = {c->tenant, c->name, (int64_t)c->pruning.content_days * DAY_MS,
                                     (int64_t)c->pruning.metadata_days * DAY_MS, 0};
        hxe_store_prune_result res = {0, 0};
        hxe_err e = {0};
        if (hxe_store_prune(r->q, &rule, 0, &res, &e))
            hxe_log(HXE_LOG_ERROR, "store_error", HXE_LF_STR("tenant", c->tenant),
                    HXE_LF_STR("channel", c->name), HXE_LF_STR("where", "prune"),
                    HXE_LF_STR("error", e.msg));
        else if (res.contents_pruned || res.messages_deleted)
            hxe_log(HXE_LOG_INFO, "pruned", HXE_LF_STR("tenant", c->tenant),
                    HXE_LF_STR("channel", c->name),
                    HXE_LF_INT("contents", res.contents_pruned),
                    HXE_LF_INT("messages", res.messages_deleted));
    }
}

static void prune_cb(uv_timer_t *t);

static void prune_after(run_job *j)
{
    hxe_run *r = j->data;
    r->prune_busy = 0;
    if (r->stopping)
        hxe__run_maybe_finish(r);
    else
        uv_timer_start(&r->prune_timer, prune_cb, r->cfg->store.pruning.interval_ms, 0);
}

static void prune_cb(uv_timer_t *t)
{
    hxe_run *r = t->data;
    if (r->stopping || r->prune_busy)
        return;
    r->prune_busy = 1;
    r->prune_job.work = prune_work;
    r->prune_job.after = prune_after;
    r->prune_job.data = r;
    hxe__run_job(r, &r->prune_job);
}

void hxe__run_prune_init(hxe_run *r)
{
    uv_timer_init(&r->loop, &r->prune_timer);
    r->prune_timer.data = r;
}

void hxe__run_prune_start(hxe_run *r)
{
    uint64_t first = r->cfg->store.pruning.interval_ms;
    if (!first)
        return;
    uv_timer_start(&r->prune_timer, prune_cb, first < PRUNE_FIRST_MS ? first : PRUNE_FIRST_MS, 0);
}

void hxe__run_prune_stop(hxe_run *r) { uv_timer_stop(&r->prune_timer); }

static void close_cb(uv_handle_t *h) { (void)h; }

void hxe__run_prune_close(hxe_run *r)
{
    uv_timer_stop(&r->prune_timer);
    uv_close((uv_handle_t *)&r->prune_timer, close_cb);
}
