/*
 * policy.c — delivery policies as pure functions: the retry schedule
 * (exponential backoff with jitter), the circuit breaker and the
 * token-bucket rate limit. None of them reads a clock or sleeps: the
 * caller passes "now" (milliseconds, any epoch, never going backwards in
 * normal use) and a PRNG it owns, so the runtime decides when to wake and
 * the tests run in no time.
 */
#include "engine.h"

#include <math.h>

/* ---- PRNG: splitmix64 (small, fast, good enough for jitter) ---- */
void hxe_rng_seed(hxe_rng *r, uint64_t seed) { r->s = seed; }

uint64_t hxe_rng_next(hxe_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

uint64_t hxe_rng_upto(hxe_rng *r, uint64_t bound)
{
    if (bound == UINT64_MAX)
        return hxe_rng_next(r);
    /* rejection sampling: no modulo bias */
    uint64_t range = bound + 1;
    uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    uint64_t x;
    do {
        x = hxe_rng_next(r);
    } while (x >= limit);
    return x % range;
}

/* ---- retry ---- */
void hxe_retry_conf_default(hxe_retry_conf *c)
{
    c->max_attempts = HXE_RETRY_DEFAULT_ATTEMPTS;
    c->initial_ms = HXE_RETRY_DEFAULT_INITIAL_MS;
    c->max_ms = HXE_RETRY_DEFAULT_MAX_MS;
    c->multiplier = HXE_RETRY_DEFAULT_MULTIPLIER;
    c->jitter = HXE_JITTER_FULL;
}

int hxe_retry_next(const hxe_retry_conf *c, uint32_t failures, hxe_rng *rng, uint64_t *delay_ms)
{
    *delay_ms = 0;
    if (c->max_attempts && failures >= c->max_attempts)
        return 1;
    if (failures == 0)
        return 0; /* nothing failed yet: go now */
    double mult = c->multiplier < 1.0 ? 1.0 : c->multiplier;
    double d = (double)c->initial_ms * pow(mult, (double)(failures - 1));
    uint64_t base;
    if (!(d < (double)c->max_ms)) /* also catches inf and nan */
        base = c->max_ms;
    else
        base = (uint64_t)d;
    switch (c->jitter) {
    case HXE_JITTER_FULL:
        *delay_ms = rng ? hxe_rng_upto(rng, base) : base;
        break;
    case HXE_JITTER_EQUAL:
        *delay_ms = base - base / 2 + (rng ? hxe_rng_upto(rng, base / 2) : base / 2);
        break;
    default:
        *delay_ms = base;
        break;
    }
    return 0;
}

/* ---- circuit breaker ---- */
void hxe_breaker_init(hxe_breaker *b, const hxe_breaker_conf *c)
{
    b->conf = *c;
    b->state = HXE_BREAKER_CLOSED;
    b->consecutive = 0;
    b->opened_at = 0;
    b->probing = 0;
}

int hxe_breaker_allow(hxe_breaker *b, uint64_t now, uint64_t *wait_ms)
{
    *wait_ms = 0;
    if (b->conf.failures == 0 || b->state == HXE_BREAKER_CLOSED)
        return 1;
    if (b->state == HXE_BREAKER_OPEN) {
        uint64_t until = b->opened_at + b->conf.open_for_ms;
        if (now < until) {
            *wait_ms = until - now;
            return 0;
        }
        b->state = HXE_BREAKER_HALF_OPEN;
        b->probing = 0;
    }
    /* half-open: one probe at a time */
    if (b->probing)
        return 0;
    b->probing = 1;
    return 1;
}

void hxe_breaker_success(hxe_breaker *b, uint64_t now)
{
    (void)now;
    b->state = HXE_BREAKER_CLOSED;
    b->consecutive = 0;
    b->probing = 0;
}

void hxe_breaker_failure(hxe_breaker *b, uint64_t now)
{
    if (b->conf.failures == 0)
        return;
    if (b->state == HXE_BREAKER_HALF_OPEN ||
        (b->state == HXE_BREAKER_CLOSED && ++b->consecutive >= b->conf.failures)) {
        b->state = HXE_BREAKER_OPEN;
        b->opened_at = now;
        b->probing = 0;
        b->consecutive = 0;
    }
    /* a failure reported while open (an attempt started before it
     * opened) changes nothing: the open period runs from the first */
}

const char *hxe_breaker_state_name(int state)
{
    switch (state) {
    case HXE_BREAKER_CLOSED: return "closed";
    case HXE_BREAKER_OPEN: return "open";
    case HXE_BREAKER_HALF_OPEN: return "half-open";
    default: return "unknown";
    }
}

/* ---- token bucket ---- */
static double burst_of(const hxe_ratelimit_conf *c)
{
    if (c->burst)
        return (double)c->burst;
    return c->per_second > 1.0 ? ceil(c->per_second) : 1.0;
}

void hxe_ratelimit_init(hxe_ratelimit *r, const hxe_ratelimit_conf *c, uint64_t now)
{
    r->conf = *c;
    r->tokens = burst_of(c);
    r->last = now;
}

uint64_t hxe_ratelimit_take(hxe_ratelimit *r, uint64_t now)
{
    if (!(r->conf.per_second > 0))
        return 0;
    double burst = burst_of(&r->conf);
    if (now > r->last) {
        r->tokens += (double)(now - r->last) * r->conf.per_second / 1000.0;
        if (r->tokens > burst)
            r->tokens = burst;
        r->last = now;
    }
    /* a tiny epsilon so 0.999999... from float steps counts as a token */
    if (r->tokens >= 1.0 - 1e-9) {
        r->tokens -= 1.0;
        if (r->tokens < 0)
            r->tokens = 0;
        return 0;
    }
    double wait = ceil((1.0 - r->tokens) * 1000.0 / r->conf.per_second);
    return wait < 1.0 ? 1 : (uint64_t)wait;
}
