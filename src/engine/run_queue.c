/*
 * run_queue.c — one worker per destination: takes the next due delivery
 * of its queue from the store (FIFO: at most one in flight, a delivery
 * waiting for its retry holds back those after it), applies the circuit
 * breaker and the rate limit, hands it to the destination kind, and
 * records the outcome: sent (with the response kept as a content
 * version), failed (due again after the retry policy's delay) or dead
 * (the last attempt failed: a dead letter for `hxe dlq`). The claim and
 * the mark are jobs on the store thread (run_store.c); the worker's state
 * says which step it is in: idle, claiming, sending, marking.
 *
 * When to look again: at once after a delivery or a commit of this
 * channel (kick), at the retry time it set itself (next_due), at the end
 * of an open breaker or a rate-limit wait, and otherwise every
 * opts.poll_ms — which finds retries scheduled by an earlier process and
 * dead letters an operator put back. (A store call returning the next due
 * time of a queue would make the poll unnecessary.)
 */
#include "engine/run_int.h"

#include <math.h>
#include <string.h>

static void timer_cb(uv_timer_t *t);

static void arm(hxe_run_dest *d, uint64_t ms)
{
    uv_timer_start(&d->timer, timer_cb, ms, 0);
}

void hxe__run_dest_kick(hxe_run_dest *d)
{
    if (d->state != RUN_DEST_IDLE || d->ch->run->stopping)
        return;
    arm(d, 0);
}

static uint64_t seed_of(const char *a, const char *b)
{
    uint64_t h = 1469598103934665603ULL ^ hxe__run_now();
    for (const char *p = a; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (const char *p = b; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

int hxe__run_dest_init(hxe_run_dest *d, hxe_run_channel *ch, const hxe_dest_conf *conf,
                       hxe_err *err)
{
    memset(d, 0, sizeof *d);
    d->ch = ch;
    d->conf = conf;
    uv_timer_init(&ch->run->loop, &d->timer);
    d->timer.data = d;
    hxe_arena_init(&d->arena, 64 * 1024, 0);
    d->queue = (hxe_store_queue){ch->conf->tenant, ch->conf->name, conf->name, 1};
    hxe_breaker_init(&d->breaker, &conf->breaker);
    hxe_ratelimit_init(&d->rate, &conf->rate_limit, hxe__run_now());
    hxe_rng_seed(&d->rng, seed_of(ch->conf->name, conf->name));
    d->ops = hxe__run_dest_for(conf->type);
    if (!d->ops) {
        d->state = RUN_DEST_CLOSED;
        return hxe_err_set(err, HXE_EINVAL, "destination %s: this type is planned", conf->name);
    }
    int rc = d->ops->open(d, err);
    if (rc) {
        d->ops = NULL;
        return rc;
    }
    return 0;
}

static void give_token_back(hxe_run_dest *d)
{
    const hxe_ratelimit_conf *c = &d->rate.conf;
    if (!(c->per_second > 0))
        return;
    double burst = c->burst ? c->burst : fmax(1.0, ceil(c->per_second));
    d->rate.tokens = fmin(burst, d->rate.tokens + 1.0);
}

static void log_store_error(hxe_run_dest *d, const char *where, const hxe_err *e)
{
    hxe_log(HXE_LOG_ERROR, "store_error", HXE_LF_STR("tenant", d->ch->conf->tenant),
            HXE_LF_STR("channel", d->ch->conf->name), HXE_LF_STR("destination", d->conf->name),
            HXE_LF_STR("where", where), HXE_LF_STR("error", e->msg));
}

static void claim_work(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    hxe_arena_reset(&d->arena);
    d->ds = NULL;
    d->claimed = 0;
    hxe_err_clear(&d->job_err);
    d->job_rc = hxe_store_claim(r->q, &d->queue, (int64_t)hxe__run_now(), 1, &d->arena, &d->ds,
                                &d->claimed, &d->job_err);
}

static void claim_after(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    uint64_t now = hxe__run_now();
    d->state = RUN_DEST_IDLE;
    if (d->job_rc || d->claimed == 0) {
        give_token_back(d);
        if (d->job_rc)
            log_store_error(d, "claim", &d->job_err);
        if (r->stopping) {
            hxe__run_maybe_finish(r);
            return;
        }
        uint64_t next = r->opts.poll_ms;
        if (!d->job_rc && d->next_due && (uint64_t)d->next_due > now &&
            (uint64_t)d->next_due - now < next)
            next = (uint64_t)d->next_due - now;
        arm(d, next);
        return;
    }
    /* Claimed: it is sent even when a stop began meanwhile (the stop
     * waits for it, within its deadline). */
    uint64_t bw = 0;
    hxe_breaker_allow(&d->breaker, now, &bw);   /* open -> half-open: this is the probe */
    const hxe_store_delivery *x = &d->ds[0];
    d->cur = (run_delivery){x->id, x->message_id, x->attempts, x->correlation_id,
                            x->idempotency_key, NULL, x->received_at, x->content,
                            x->content_len};
    d->state = RUN_DEST_SENDING;
    d->sent_at = now;
    hxe_err e = {0};
    int rc = d->ops->send(d, &d->cur, &e);
    if (rc == 1)
        hxe__run_dest_done(d, 1, NULL, 0, NULL);
    else if (rc < 0)
        hxe__run_dest_done(d, 0, NULL, 0, e.msg[0] ? e.msg : "cannot send");
}

static void step(hxe_run_dest *d)
{
    hxe_run *r = d->ch->run;
    if (d->state != RUN_DEST_IDLE || r->stopping)
        return;
    uint64_t now = hxe__run_now();
    /* an open breaker: wait without taking a delivery */
    if (d->breaker.state == HXE_BREAKER_OPEN &&
        now < d->breaker.opened_at + d->breaker.conf.open_for_ms) {
        arm(d, d->breaker.opened_at + d->breaker.conf.open_for_ms - now);
        return;
    }
    uint64_t wait = hxe_ratelimit_take(&d->rate, now);
    if (wait) {
        arm(d, wait);
        return;
    }
    d->state = RUN_DEST_CLAIMING;
    d->job.work = claim_work;
    d->job.after = claim_after;
    d->job.data = d;
    hxe__run_job(r, &d->job);
}

static void timer_cb(uv_timer_t *t) { step(t->data); }

static void mark_work(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    const char *tenant = d->ch->conf->tenant;
    hxe_err_clear(&d->job_err);
    switch (d->mark_kind) {
    case 1:
        d->job_rc = hxe_store_mark_sent(r->q, tenant, d->cur.id, d->mark_now, NULL, 0,
                                        d->mark_resp, d->mark_resp_len, &d->job_err);
        break;
    case 2:
        d->job_rc = hxe_store_mark_failed(r->q, tenant, d->cur.id, d->mark_now, d->mark_next,
                                          d->mark_reason, &d->job_err);
        break;
    default:
        d->job_rc = hxe_store_mark_dead(r->q, tenant, d->cur.id, d->mark_now, d->mark_reason,
                                        &d->job_err);
        break;
    }
}

static void mark_after(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    if (d->job_rc)
        log_store_error(d, d->mark_kind == 1 ? "mark_sent" : d->mark_kind == 2 ? "mark_failed"
                                                                              : "mark_dead",
                        &d->job_err);
    d->state = RUN_DEST_IDLE;
    if (r->stopping)
        hxe__run_maybe_finish(r);
    else
        arm(d, 0);
}

void hxe__run_dest_done(hxe_run_dest *d, int ok, const char *resp, size_t resp_len,
                        const char *reason)
{
    hxe_run_channel *ch = d->ch;
    hxe_run *r = ch->run;
    const char *tenant = ch->conf->tenant;
    int64_t now = (int64_t)hxe__run_now();
    d->mark_now = now;
    d->mark_resp = NULL;
    d->mark_resp_len = 0;
    snprintf(d->mark_reason, sizeof d->mark_reason, "%s", reason ? reason : "");
    int permanent = d->permanent;
    uint64_t retry_after = d->retry_after_ms;
    d->permanent = 0;
    d->retry_after_ms = 0;
    if (ok) {
        hxe_breaker_success(&d->breaker, (uint64_t)now);
        d->mark_kind = 1;
        if (resp && resp_len) {
            d->mark_resp = hxe_arena_strndup(&d->arena, resp, resp_len);
            d->mark_resp_len = d->mark_resp ? resp_len : 0;
        }
        RUN_INC(ch, delivered);
        hxe_log(HXE_LOG_DEBUG, "delivered", HXE_LF_STR("tenant", tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("destination", d->conf->name),
                HXE_LF_STR("correlation_id", d->cur.correlation_id),
                HXE_LF_INT("message_id", d->cur.message_id),
                HXE_LF_INT("attempt", d->cur.attempts + 1),
                HXE_LF_INT("ms", (uint64_t)now - d->sent_at));
    } else {
        int was = d->breaker.state;
        hxe_breaker_failure(&d->breaker, (uint64_t)now);
        if (d->breaker.state == HXE_BREAKER_OPEN && was != HXE_BREAKER_OPEN) {
            RUN_INC(ch, breaker_opens);
            hxe_log(HXE_LOG_WARN, "breaker_open", HXE_LF_STR("tenant", tenant),
                    HXE_LF_STR("channel", ch->conf->name),
                    HXE_LF_STR("destination", d->conf->name),
                    HXE_LF_INT("open_ms", d->breaker.conf.open_for_ms));
        }
        uint32_t attempts = d->cur.attempts + 1;
        uint64_t delay = 0;
        int dead = hxe_retry_next(&d->conf->retry, attempts, &d->rng, &delay);
        if (permanent && !dead) {
            dead = 1;
            delay = 0;
        }
        if (!dead && retry_after > delay)
            delay = retry_after < d->conf->retry.max_ms ? retry_after : d->conf->retry.max_ms;
        if (dead) {
            d->mark_kind = 3;
            RUN_INC(ch, dead);
        } else {
            d->mark_kind = 2;
            d->next_due = now + (int64_t)delay;
            d->mark_next = d->next_due;
            RUN_INC(ch, failed);
        }
        hxe_log(HXE_LOG_WARN, dead ? "dead" : "delivery_failed", HXE_LF_STR("tenant", tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("destination", d->conf->name),
                HXE_LF_STR("correlation_id", d->cur.correlation_id),
                HXE_LF_INT("message_id", d->cur.message_id), HXE_LF_INT("attempt", attempts),
                HXE_LF_INT("retry_in_ms", dead ? 0 : delay), HXE_LF_STR("reason", d->mark_reason));
    }
    d->state = RUN_DEST_MARKING;
    d->job.work = mark_work;
    d->job.after = mark_after;
    d->job.data = d;
    hxe__run_job(r, &d->job);
}

void hxe__run_dest_cancel(hxe_run_dest *d)
{
    if (d->state == RUN_DEST_SENDING && d->ops && d->ops->cancel)
        d->ops->cancel(d);
}

void hxe__run_dest_close(hxe_run_dest *d)
{
    uv_timer_stop(&d->timer);
    uv_close((uv_handle_t *)&d->timer, NULL);
    if (d->ops && d->state != RUN_DEST_CLOSED) {
        d->state = RUN_DEST_CLOSING;
        d->ops->close(d);
    }
}
