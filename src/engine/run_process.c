/*
 * run_process.c — the processing stage of a channel: filter, then
 * transformer, after the raw message is committed and acknowledged.
 *
 * Why a queue: the stage must survive a crash between the ACK and the
 * creation of the deliveries. So a channel with a filter or transformer
 * stores each message with one delivery to the pseudo-destination
 * HXE_RUN_PROCESS_DEST ("@process"). This worker claims a batch of them,
 * and for each, in ONE store transaction for the batch: records the
 * outcome (filtered; or the transformed content version plus the real
 * deliveries), then marks the @process delivery sent. A crash before the
 * commit leaves them `sending`, which the next start requeues; nothing is
 * lost and nothing is delivered twice by this stage.
 *
 * A filter or transformer that fails (Lua error, instruction budget,
 * memory cap, a rule action that cannot apply) makes that message's
 * @process delivery a dead letter with the reason (script name and line,
 * never content): visible in `hxe dlq list`, retried with `hxe dlq retry`
 * once the script is fixed. The engine and the next message go on.
 */
#include "engine/run_int.h"

#include <string.h>

int hxe__run_has_process(const hxe_run_channel *ch)
{
    return ch->conf->filter.kind != HXE_STEP_NONE || ch->conf->transformer.kind != HXE_STEP_NONE;
}

static void timer_cb(uv_timer_t *t);

int hxe__run_process_init(hxe_run_channel *ch, hxe_err *err)
{
    uv_timer_init(&ch->run->loop, &ch->ptimer);
    ch->ptimer.data = ch;
    const hxe_channel_conf *c = ch->conf;
    int rc;
    if (c->filter.kind == HXE_STEP_LUA &&
        (rc = hxe_script_new(&ch->filter_lua, c->filter.lua.name, c->filter.lua.src,
                             c->filter.lua.len, HXE_SCRIPT_FILTER, &c->filter.lua.limits, err)))
        return rc;
    if (c->transformer.kind == HXE_STEP_LUA &&
        (rc = hxe_script_new(&ch->xform_lua, c->transformer.lua.name, c->transformer.lua.src,
                             c->transformer.lua.len, HXE_SCRIPT_TRANSFORMER,
                             &c->transformer.lua.limits, err)))
        return rc;
    return 0;
}

void hxe__run_process_kick(hxe_run_channel *ch)
{
    if (!ch->running || ch->run->stopping || !hxe__run_has_process(ch))
        return;
    if (ch->pbusy) {
        ch->pagain = 1;   /* a batch is running: look again right after it */
        return;
    }
    uv_timer_start(&ch->ptimer, timer_cb, 0, 0);
}

void hxe__run_process_close(hxe_run_channel *ch)
{
    if (!ch->running)
        return;
    uv_timer_stop(&ch->ptimer);
    uv_close((uv_handle_t *)&ch->ptimer, NULL);
}

static const char *step_status(const hxe_script *s)
{
    switch (s ? hxe_script_last_status(s) : HXE_SCRIPT_ERROR) {
    case HXE_SCRIPT_BUDGET: return "instruction_budget";
    case HXE_SCRIPT_MEMORY: return "memory_cap";
    default: return "error";
    }
}

/* One message. Returns 0 (its outcome is written in the transaction) or
 * a store error (the batch is rolled back). */
static int process_one(hxe_run_channel *ch, const hxe_store_delivery *d, int64_t now)
{
    hxe_run *r = ch->run;
    const hxe_channel_conf *c = ch->conf;
    hxe_arena *a = &ch->pscratch;
    hxe_arena_reset(a);
    hxe_err e = {0}, se = {0};
    hxe_hl7_msg *m = NULL;
    const char *stage = "filter", *why = NULL;
    char reason[HXE_ERR_MSG_MAX + 32];
    hxe_hl7_opts po = {c->source.max_message ? (size_t)c->source.max_message : 0, 0, 0};
    int rc, keep = 1;
    if (!d->content || hxe_hl7_parse(&m, a, d->content, d->content_len, &po, NULL, &e) != 0) {
        stage = "parse";
        why = d->content ? "unreadable" : "content pruned";
        goto failed;
    }
    if (c->filter.kind == HXE_STEP_RULES)
        rc = hxe_rule_eval(c->filter.rule, m, &keep, &e);
    else if (c->filter.kind == HXE_STEP_LUA)
        rc = hxe_script_run(ch->filter_lua, m, &keep, &e);
    else
        rc = 0;
    if (rc) {
        why = c->filter.kind == HXE_STEP_LUA ? step_status(ch->filter_lua) : "error";
        goto failed;
    }
    if (!keep) {
        if ((rc = hxe_store_event_add(r->q, c->tenant, d->message_id, now, "filtered", NULL,
                                      NULL, &se)) ||
            (rc = hxe_store_mark_sent(r->q, c->tenant, d->id, now, NULL, 0, NULL, 0, &se)))
            goto store_error;
        RUN_INC(ch, filtered);
        hxe_log(HXE_LOG_DEBUG, "filtered", HXE_LF_STR("tenant", c->tenant),
                HXE_LF_STR("channel", c->name), HXE_LF_STR("correlation_id", d->correlation_id),
                HXE_LF_INT("message_id", d->message_id));
        return 0;
    }
    stage = "transformer";
    if (c->transformer.kind == HXE_STEP_RULES)
        rc = hxe_xform_apply(c->transformer.xform, m, &e);
    else if (c->transformer.kind == HXE_STEP_LUA)
        rc = hxe_script_run(ch->xform_lua, m, &keep, &e);
    if (rc) {
        why = c->transformer.kind == HXE_STEP_LUA ? step_status(ch->xform_lua) : "error";
        goto failed;
    }
    if (m->modified) {
        hxe_buf out = HXE_BUF_INIT;
        if (hxe_hl7_write(m, &out)) {
            hxe_buf_free(&out);
            why = "cannot write the message";
            goto failed;
        }
        rc = hxe_store_content_add(r->q, c->tenant, d->message_id, HXE_STORE_TRANSFORMED, NULL,
                                   now, out.p, out.len, &se);
        hxe_buf_free(&out);
        if (rc || (rc = hxe_store_event_add(r->q, c->tenant, d->message_id, now, "transformed",
                                            NULL, NULL, &se)))
            goto store_error;
    }
    if ((c->ndests && (rc = hxe_store_deliveries_add(r->q, c->tenant, d->message_id,
                                                     (const char *const *)ch->dest_names,
                                                     c->ndests, now, &se))) ||
        (rc = hxe_store_mark_sent(r->q, c->tenant, d->id, now, NULL, 0, NULL, 0, &se)))
        goto store_error;
    return 0;

failed:
    snprintf(reason, sizeof reason, "%s %s: %s", stage, why ? why : "error",
             e.msg[0] ? e.msg : "failed");
    if ((rc = hxe_store_event_add(r->q, c->tenant, d->message_id, now, "process_failed", NULL,
                                  reason, &se)) ||
        (rc = hxe_store_mark_dead(r->q, c->tenant, d->id, now, reason, &se)))
        goto store_error;
    RUN_INC(ch, process_failed);
    RUN_INC(ch, dead);
    hxe_log(HXE_LOG_WARN, "process_failed", HXE_LF_STR("tenant", c->tenant),
            HXE_LF_STR("channel", c->name), HXE_LF_STR("correlation_id", d->correlation_id),
            HXE_LF_INT("message_id", d->message_id), HXE_LF_STR("stage", stage),
            HXE_LF_STR("reason", reason));
    return 0;

store_error:
    hxe_log(HXE_LOG_ERROR, "store_error", HXE_LF_STR("tenant", c->tenant),
            HXE_LF_STR("channel", c->name), HXE_LF_STR("where", "process"),
            HXE_LF_STR("error", se.msg));
    return rc;
}

/* On the store thread: claim a batch and process it in one transaction. */
static void batch_work(run_job *j)
{
    hxe_run_channel *ch = j->data;
    hxe_run *r = ch->run;
    const hxe_channel_conf *c = ch->conf;
    hxe_arena_reset(&ch->parena);
    hxe_store_queue q = {c->tenant, c->name, HXE_RUN_PROCESS_DEST, 0};
    int64_t now = hxe_store_now_ms();
    hxe_store_delivery *ds = NULL;
    size_t n = 0;
    hxe_err e = {0};
    ch->pclaimed = 0;
    ch->prc = 0;
    if (hxe_store_claim(r->q, &q, now, r->opts.process_batch, &ch->parena, &ds, &n, &e)) {
        hxe_log(HXE_LOG_ERROR, "store_error", HXE_LF_STR("tenant", c->tenant),
                HXE_LF_STR("channel", c->name), HXE_LF_STR("where", "process claim"),
                HXE_LF_STR("error", e.msg));
        ch->prc = -1;
        return;
    }
    if (n == 0)
        return;
    int rc = hxe_store_begin(r->q, &e);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = process_one(ch, &ds[i], now);
    if (rc == 0)
        rc = hxe_store_commit(r->q, &e);
    if (rc) {
        hxe_store_rollback(r->q);
        /* give them back: due again after a pause */
        for (size_t i = 0; i < n; i++)
            hxe_store_mark_failed(r->q, c->tenant, ds[i].id, now, now + (int64_t)r->opts.poll_ms,
                                  "processing could not be stored", NULL);
        ch->prc = rc;
        return;
    }
    ch->pclaimed = n;
}

/* Back on the loop. */
static void batch_after(run_job *j)
{
    hxe_run_channel *ch = j->data;
    hxe_run *r = ch->run;
    ch->pbusy = 0;
    if (ch->pclaimed)
        for (size_t k = 0; k < ch->ndests; k++)
            hxe__run_dest_kick(&ch->dests[k]);
    if (r->stopping) {
        hxe__run_maybe_finish(r);
        return;
    }
    int again = ch->pagain || ch->pclaimed == r->opts.process_batch;
    ch->pagain = 0;
    /* nothing due: look again later (operator retries, restarts) */
    uv_timer_start(&ch->ptimer, timer_cb, again && ch->prc == 0 ? 0 : r->opts.poll_ms, 0);
}

static void timer_cb(uv_timer_t *t)
{
    hxe_run_channel *ch = t->data;
    if (ch->run->stopping || ch->pbusy)
        return;
    ch->pbusy = 1;
    ch->pagain = 0;
    ch->pjob.work = batch_work;
    ch->pjob.after = batch_after;
    ch->pjob.data = ch;
    hxe__run_job(ch->run, &ch->pjob);
}
