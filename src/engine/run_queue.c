/*
 * run_queue.c — one worker per destination: takes the head of its queue
 * from the store (FIFO: up to opts.delivery_batch deliveries, sent one
 * after another in order; a delivery waiting for its retry holds back
 * those after it), applies the circuit breaker and the rate limit, hands
 * each to the destination kind, and records the outcomes: sent (with the
 * response kept as a content version), failed (due again after the retry
 * policy's delay) or dead (the last attempt failed: a dead letter for
 * `hxe dlq`). The first failure ends the batch: the deliveries after it
 * go back to the queue unattempted, so the order holds.
 *
 * The store work is one job on the store thread (run_store.c) per batch:
 * settle the outcomes of the last batch and claim the next, in one
 * transaction. The worker's state says which step it is in: idle,
 * claiming (the job), sending.
 *
 * When to look again: at once after a batch or a commit of this channel
 * (kick), at the retry time it set itself (next_due), at the end of an
 * open breaker or a rate-limit wait, and otherwise every opts.poll_ms —
 * which finds retries scheduled by an earlier process and dead letters an
 * operator put back. (A store call returning the next due time of a queue
 * would make the poll unnecessary.)
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
    hxe_arena_init(&d->marena, 16 * 1024, 0);
    d->sent = hxe_calloc(RUN_DEST_BATCH_MAX, sizeof *d->sent);
    if (!d->sent) {
        d->state = RUN_DEST_CLOSED;
        return hxe_err_set(err, HXE_ENOMEM, "destination %s: out of memory", conf->name);
    }
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

static void give_tokens_back(hxe_run_dest *d, size_t n)
{
    const hxe_ratelimit_conf *c = &d->rate.conf;
    if (!(c->per_second > 0) || !n)
        return;
    double burst = c->burst ? c->burst : fmax(1.0, ceil(c->per_second));
    d->rate.tokens = fmin(burst, d->rate.tokens + (double)n);
}

static void log_store_error(hxe_run_dest *d, const char *where, const hxe_err *e)
{
    hxe_log(HXE_LOG_ERROR, "store_error", HXE_LF_STR("tenant", d->ch->conf->tenant),
            HXE_LF_STR("channel", d->ch->conf->name), HXE_LF_STR("destination", d->conf->name),
            HXE_LF_STR("where", where), HXE_LF_STR("error", e->msg));
}

/* ---- the store job: settle the last batch, claim the next ---- */

static int settle(hxe_run_dest *d, hxe_store *q, const char *tenant)
{
    int rc = 0;
    for (size_t i = 0; i < d->nsent && !rc; i++) {
        const struct run_sent *x = &d->sent[i];
        rc = hxe_store_mark_sent(q, tenant, x->id, x->at, NULL, 0, x->resp, x->resp_len,
                                 &d->job_err);
    }
    if (!rc && d->mark_kind == 2)
        rc = hxe_store_mark_failed(q, tenant, d->mark_id, d->mark_now, d->mark_next,
                                   d->mark_reason, &d->job_err);
    else if (!rc && d->mark_kind == 3)
        rc = hxe_store_mark_dead(q, tenant, d->mark_id, d->mark_now, d->mark_reason,
                                 &d->job_err);
    /* claimed but not attempted (after a failure, or at a stop): back to
     * the queue as they were */
    if (!rc && d->nrel)
        rc = hxe_store_release(q, tenant, d->rel, d->nrel, d->mark_now, &d->job_err);
    return rc;
}

static void job_work(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    const char *tenant = d->ch->conf->tenant;
    hxe_err_clear(&d->job_err);
    d->job_rc = 0;
    d->job_where = NULL;
    int tx = d->nsent || d->mark_kind || d->nrel;
    if (tx && (d->job_rc = hxe_store_begin(r->q, &d->job_err)) == 0 &&
        (d->job_rc = settle(d, r->q, tenant)) != 0)
        hxe_store_rollback(r->q);
    if (d->job_rc) {
        /* the outcomes are kept and settled again later (job_after) */
        d->job_where = "settle";
        return;
    }
    size_t want = d->want;
    hxe_arena_reset(&d->arena);
    d->ds = NULL;
    d->claimed = 0;
    if (want) {
        /* inside the settle transaction the claim has its own savepoint:
         * a failed claim leaves the outcomes to commit */
        int rc = hxe_store_claim(r->q, &d->queue, (int64_t)hxe__run_now(), want, &d->arena,
                                 &d->ds, &d->claimed, &d->job_err);
        if (rc) {
            d->job_rc = rc;
            d->job_where = "claim";
            d->claimed = 0;
        }
    }
    if (tx) {
        hxe_err e = {0};
        int rc = hxe_store_commit(r->q, &e);
        if (rc) {
            hxe_store_rollback(r->q);
            d->job_rc = rc;
            d->job_err = e;
            d->job_where = "settle";
            d->claimed = 0;   /* the claim went with it */
        }
    }
}

static void send_current(hxe_run_dest *d);

static void job_after(run_job *j)
{
    hxe_run_dest *d = j->data;
    hxe_run *r = d->ch->run;
    uint64_t now = hxe__run_now();
    if (d->job_rc)
        log_store_error(d, d->job_where ? d->job_where : "claim", &d->job_err);
    give_tokens_back(d, d->want > d->claimed ? d->want - d->claimed : 0);
    d->want = 0;
    d->state = RUN_DEST_IDLE;
    if (d->job_where && strcmp(d->job_where, "settle") == 0) {
        /* The store refused the outcomes (busy beyond its timeout, a disk
         * error): they are kept and recorded by the next job, which step()
         * runs after the poll interval; until then the queue waits,
         * rather than holding its head `sending` until a restart. */
        d->claimed = 0;
        if (r->stopping)
            hxe__run_maybe_finish(r);
        else
            arm(d, r->opts.poll_ms);
        return;
    }
    d->nsent = 0;
    d->mark_kind = 0;
    d->nrel = 0;
    d->next = 0;
    hxe_arena_reset(&d->marena);
    if (d->claimed == 0) {
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
    /* Claimed: sent even when a stop began meanwhile (the stop waits for
     * the one in flight, within its deadline; the rest go back). */
    uint64_t bw = 0;
    hxe_breaker_allow(&d->breaker, now, &bw);   /* open -> half-open: this is the probe */
    send_current(d);
}

/* Queues the store job: outcomes so far, and a claim of `want` more. */
static void run_job_now(hxe_run_dest *d, size_t want)
{
    d->want = want;
    d->state = RUN_DEST_CLAIMING;
    d->job.work = job_work;
    d->job.after = job_after;
    d->job.data = d;
    hxe__run_job(d->ch->run, &d->job);
}

/* How many to claim now (rate tokens taken for them); 0 and the timer
 * armed when the breaker or the rate limit says wait. */
static size_t how_many(hxe_run_dest *d, uint64_t now)
{
    hxe_run *r = d->ch->run;
    if (r->stopping)
        return 0;
    /* an open breaker: wait without taking a delivery */
    if (d->breaker.state == HXE_BREAKER_OPEN &&
        now < d->breaker.opened_at + d->breaker.conf.open_for_ms) {
        arm(d, d->breaker.opened_at + d->breaker.conf.open_for_ms - now);
        return 0;
    }
    uint64_t wait = hxe_ratelimit_take(&d->rate, now);
    if (wait) {
        arm(d, wait);
        return 0;
    }
    /* half-open: one probe, not a batch */
    size_t batch = d->conf->queue_batch ? d->conf->queue_batch : r->opts.delivery_batch;
    size_t max = d->breaker.state == HXE_BREAKER_CLOSED ? batch : 1, n = 1;
    while (n < max && hxe_ratelimit_take(&d->rate, now) == 0)
        n++;
    return n;
}

static void step(hxe_run_dest *d)
{
    if (d->state != RUN_DEST_IDLE || d->ch->run->stopping)
        return;
    size_t want = how_many(d, hxe__run_now());
    if (want || d->nsent || d->mark_kind || d->nrel)
        run_job_now(d, want);
}

/* The batch ends at ds[next] (attempted or not): what was claimed after
 * it goes back to the queue unattempted, so the order holds. */
static void end_batch(hxe_run_dest *d)
{
    d->nrel = 0;
    for (size_t i = d->next; i < d->claimed; i++)
        d->rel[d->nrel++] = d->ds[i].id;
    give_tokens_back(d, d->nrel);
}

static void timer_cb(uv_timer_t *t) { step(t->data); }

/* Records the outcome of ds[next]. Returns 1 when the next claimed
 * delivery should be sent now; otherwise the store job is queued. */
static int finish(hxe_run_dest *d, int ok, const char *resp, size_t resp_len,
                  const char *reason)
{
    hxe_run_channel *ch = d->ch;
    hxe_run *r = ch->run;
    const char *tenant = ch->conf->tenant;
    int64_t now = (int64_t)hxe__run_now();
    int permanent = d->permanent;
    uint64_t retry_after = d->retry_after_ms;
    d->permanent = 0;
    d->retry_after_ms = 0;
    d->mark_now = now;
    if (ok) {
        hxe_breaker_success(&d->breaker, (uint64_t)now);
        struct run_sent *x = &d->sent[d->nsent++];
        x->id = d->cur.id;
        x->at = now;
        x->resp = NULL;
        x->resp_len = 0;
        if (resp && resp_len) {
            x->resp = hxe_arena_strndup(&d->marena, resp, resp_len);
            x->resp_len = x->resp ? resp_len : 0;
        }
        RUN_INC(ch, delivered);
        hxe_log(HXE_LOG_DEBUG, "delivered", HXE_LF_STR("tenant", tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("destination", d->conf->name),
                HXE_LF_STR("correlation_id", d->cur.correlation_id),
                HXE_LF_INT("message_id", d->cur.message_id),
                HXE_LF_INT("attempt", d->cur.attempts + 1),
                HXE_LF_INT("ms", (uint64_t)now - d->sent_at));
        d->next++;
        if (d->next < d->claimed && !r->stopping)
            return 1;
        end_batch(d);
        run_job_now(d, how_many(d, (uint64_t)now));
        return 0;
    }
    snprintf(d->mark_reason, sizeof d->mark_reason, "%s", reason ? reason : "");
    int was = d->breaker.state;
    hxe_breaker_failure(&d->breaker, (uint64_t)now);
    if (d->breaker.state == HXE_BREAKER_OPEN && was != HXE_BREAKER_OPEN) {
        RUN_INC(ch, breaker_opens);
        hxe_log(HXE_LOG_WARN, "breaker_open", HXE_LF_STR("tenant", tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("destination", d->conf->name),
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
    d->mark_id = d->cur.id;
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
    d->next++;
    end_batch(d);
    /* a retry holds the queue: no claim until it is due (the timer) */
    run_job_now(d, dead ? how_many(d, (uint64_t)now) : 0);
    return 0;
}

/* Sends ds[next]; a kind that finishes at once (send() returns 1 or an
 * error) is handled here, in a loop rather than by recursion. */
static void send_current(hxe_run_dest *d)
{
    for (;;) {
        const hxe_store_delivery *x = &d->ds[d->next];
        d->cur = (run_delivery){x->id, x->message_id, x->attempts, x->correlation_id,
                                x->idempotency_key, NULL, x->received_at, x->content,
                                x->content_len};
        d->state = RUN_DEST_SENDING;
        d->sent_at = hxe__run_now();
        hxe_err e = {0};
        int rc = d->ops->send(d, &d->cur, &e);
        if (rc == 0)
            return;   /* the kind calls hxe__run_dest_done later */
        if (!finish(d, rc == 1, NULL, 0, rc == 1 ? NULL : e.msg[0] ? e.msg : "cannot send"))
            return;
    }
}

void hxe__run_dest_done(hxe_run_dest *d, int ok, const char *resp, size_t resp_len,
                        const char *reason)
{
    if (finish(d, ok, resp, resp_len, reason))
        send_current(d);
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
