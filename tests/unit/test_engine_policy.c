/*
 * test_engine_policy.c — delivery policies with an injected clock: the
 * retry schedule (growth, cap, dead after max attempts, jitter inside its
 * bounds and reproducible from the seed), the circuit breaker's
 * transitions, and the token bucket's rate and burst.
 */
#include "helpers/testutil.h"

#include "engine/engine.h"

#include <string.h>

static void retry_without_jitter(void **state)
{
    (void)state;
    hxe_retry_conf c = {5, 1000, 10000, 2.0, HXE_JITTER_NONE};
    uint64_t d;
    const uint64_t want[] = {1000, 2000, 4000, 8000};
    for (uint32_t f = 1; f <= 4; f++) {
        assert_int_equal(hxe_retry_next(&c, f, NULL, &d), 0);
        assert_int_equal(d, want[f - 1]);
    }
    /* the fifth failure was the last attempt */
    assert_int_equal(hxe_retry_next(&c, 5, NULL, &d), 1);
    assert_int_equal(d, 0);
    assert_int_equal(hxe_retry_next(&c, 6, NULL, &d), 1);
    /* capped at max_interval */
    c.max_attempts = 0; /* never dead */
    assert_int_equal(hxe_retry_next(&c, 5, NULL, &d), 0);
    assert_int_equal(d, 10000);
    assert_int_equal(hxe_retry_next(&c, 1000000, NULL, &d), 0);
    assert_int_equal(d, 10000);
    assert_int_equal(hxe_retry_next(&c, 4000000000u, NULL, &d), 0);
    assert_int_equal(d, 10000);
    /* multiplier 1: constant */
    hxe_retry_conf flat = {3, 500, 60000, 1.0, HXE_JITTER_NONE};
    assert_int_equal(hxe_retry_next(&flat, 2, NULL, &d), 0);
    assert_int_equal(d, 500);
    /* one attempt only: the first failure is final */
    hxe_retry_conf once = {1, 500, 60000, 2.0, HXE_JITTER_NONE};
    assert_int_equal(hxe_retry_next(&once, 1, NULL, &d), 1);
    /* defaults */
    hxe_retry_conf def;
    hxe_retry_conf_default(&def);
    assert_int_equal(def.max_attempts, 10);
    assert_int_equal(def.jitter, HXE_JITTER_FULL);
}

static void retry_jitter_bounds(void **state)
{
    (void)state;
    hxe_rng rng;
    hxe_rng_seed(&rng, 42);
    hxe_retry_conf full = {0, 1000, 30000, 2.0, HXE_JITTER_FULL};
    hxe_retry_conf equal = {0, 1000, 30000, 2.0, HXE_JITTER_EQUAL};
    for (uint32_t f = 1; f <= 8; f++) {
        uint64_t base = 1000u << (f - 1);
        if (base > 30000)
            base = 30000;
        uint64_t lo_full = UINT64_MAX, hi_full = 0, lo_eq = UINT64_MAX, hi_eq = 0, sum = 0;
        for (int i = 0; i < 2000; i++) {
            uint64_t d;
            assert_int_equal(hxe_retry_next(&full, f, &rng, &d), 0);
            assert_true(d <= base);
            lo_full = d < lo_full ? d : lo_full;
            hi_full = d > hi_full ? d : hi_full;
            sum += d;
            assert_int_equal(hxe_retry_next(&equal, f, &rng, &d), 0);
            assert_true(d >= base - base / 2 && d <= base);
            lo_eq = d < lo_eq ? d : lo_eq;
            hi_eq = d > hi_eq ? d : hi_eq;
        }
        /* the draws spread over the whole range, not a corner of it */
        assert_true(lo_full < base / 10);
        assert_true(hi_full > base - base / 10);
        assert_true(lo_eq < base / 2 + base / 10);
        assert_true(hi_eq > base - base / 10);
        uint64_t mean = sum / 2000;
        assert_true(mean > base * 4 / 10 && mean < base * 6 / 10);
    }
    /* the same seed gives the same schedule; another seed another */
    hxe_rng a, b, c;
    hxe_rng_seed(&a, 7);
    hxe_rng_seed(&b, 7);
    hxe_rng_seed(&c, 8);
    int differ = 0;
    for (uint32_t f = 1; f <= 10; f++) {
        uint64_t da, db, dc;
        hxe_retry_next(&full, f, &a, &da);
        hxe_retry_next(&full, f, &b, &db);
        hxe_retry_next(&full, f, &c, &dc);
        assert_int_equal(da, db);
        differ |= da != dc;
    }
    assert_true(differ);
    /* upto is inclusive and unbiased enough at tiny bounds */
    int seen[3] = {0, 0, 0};
    for (int i = 0; i < 3000; i++) {
        uint64_t x = hxe_rng_upto(&a, 2);
        assert_true(x <= 2);
        seen[x]++;
    }
    for (int i = 0; i < 3; i++)
        assert_true(seen[i] > 800 && seen[i] < 1200);
    assert_int_equal(hxe_rng_upto(&a, 0), 0);
}

static void breaker_transitions(void **state)
{
    (void)state;
    hxe_breaker_conf c = {3, 10000};
    hxe_breaker b;
    hxe_breaker_init(&b, &c);
    uint64_t wait, now = 1000;
    assert_int_equal(b.state, HXE_BREAKER_CLOSED);
    assert_true(hxe_breaker_allow(&b, now, &wait));
    /* two failures, a success: the count starts again */
    hxe_breaker_failure(&b, now);
    hxe_breaker_failure(&b, now);
    hxe_breaker_success(&b, now);
    hxe_breaker_failure(&b, now);
    hxe_breaker_failure(&b, now);
    assert_int_equal(b.state, HXE_BREAKER_CLOSED);
    /* the third consecutive failure opens it */
    hxe_breaker_failure(&b, now);
    assert_int_equal(b.state, HXE_BREAKER_OPEN);
    assert_string_equal(hxe_breaker_state_name(b.state), "open");
    assert_false(hxe_breaker_allow(&b, now + 1, &wait));
    assert_int_equal(wait, 9999);
    assert_false(hxe_breaker_allow(&b, now + 9999, &wait));
    assert_int_equal(wait, 1);
    /* after open_for: one probe, and only one */
    assert_true(hxe_breaker_allow(&b, now + 10000, &wait));
    assert_int_equal(b.state, HXE_BREAKER_HALF_OPEN);
    assert_false(hxe_breaker_allow(&b, now + 10001, &wait));
    assert_int_equal(wait, 0);
    /* the probe fails: open again, for a full period from now */
    now += 10500;
    hxe_breaker_failure(&b, now);
    assert_int_equal(b.state, HXE_BREAKER_OPEN);
    assert_false(hxe_breaker_allow(&b, now + 9000, &wait));
    assert_int_equal(wait, 1000);
    /* the next probe succeeds: closed, traffic flows */
    assert_true(hxe_breaker_allow(&b, now + 10000, &wait));
    hxe_breaker_success(&b, now + 10001);
    assert_int_equal(b.state, HXE_BREAKER_CLOSED);
    assert_true(hxe_breaker_allow(&b, now + 10002, &wait));
    assert_true(hxe_breaker_allow(&b, now + 10002, &wait));
    /* a breaker with failures 0 never opens */
    hxe_breaker_conf off = {0, 1000};
    hxe_breaker_init(&b, &off);
    for (int i = 0; i < 100; i++)
        hxe_breaker_failure(&b, 5);
    assert_true(hxe_breaker_allow(&b, 5, &wait));
    assert_int_equal(b.state, HXE_BREAKER_CLOSED);
}

static void token_bucket(void **state)
{
    (void)state;
    hxe_ratelimit_conf c = {10.0, 5};
    hxe_ratelimit r;
    uint64_t now = 100000;
    hxe_ratelimit_init(&r, &c, now);
    /* a full bucket: the burst goes at once */
    for (int i = 0; i < 5; i++)
        assert_int_equal(hxe_ratelimit_take(&r, now), 0);
    /* then one every 100 ms */
    assert_int_equal(hxe_ratelimit_take(&r, now), 100);
    assert_int_equal(hxe_ratelimit_take(&r, now + 40), 60);
    assert_int_equal(hxe_ratelimit_take(&r, now + 100), 0);
    assert_int_equal(hxe_ratelimit_take(&r, now + 100), 100);
    /* over a simulated minute, callers that wait as told get 10/s */
    now += 100;
    uint64_t start = now;
    int sent = 0;
    while (now < start + 60000) {
        uint64_t w = hxe_ratelimit_take(&r, now);
        if (w == 0)
            sent++;
        else
            now += w;
    }
    assert_true(sent >= 599 && sent <= 601);
    /* idle time refills up to the burst, never beyond */
    now += 3600000;
    for (int i = 0; i < 5; i++)
        assert_int_equal(hxe_ratelimit_take(&r, now), 0);
    assert_true(hxe_ratelimit_take(&r, now) > 0);
    /* a clock going backwards does not mint tokens */
    assert_true(hxe_ratelimit_take(&r, now - 50000) > 0);
    /* fractional rates: one every two seconds, burst defaults to 1 */
    hxe_ratelimit_conf slow = {0.5, 0};
    hxe_ratelimit_init(&r, &slow, 0);
    assert_int_equal(hxe_ratelimit_take(&r, 0), 0);
    assert_int_equal(hxe_ratelimit_take(&r, 0), 2000);
    assert_int_equal(hxe_ratelimit_take(&r, 1999), 1);
    assert_int_equal(hxe_ratelimit_take(&r, 2000), 0);
    /* fast rates: several per millisecond */
    hxe_ratelimit_conf fast = {5000.0, 0};
    hxe_ratelimit_init(&r, &fast, 0);
    sent = 0;
    for (uint64_t t = 0; t < 1000;) {
        uint64_t w = hxe_ratelimit_take(&r, t);
        if (w == 0)
            sent++;
        else
            t += w;
    }
    assert_true(sent >= 9990 && sent <= 10010); /* 5000 burst + 5000 in the second */
    /* unlimited */
    hxe_ratelimit_conf none = {0, 0};
    hxe_ratelimit_init(&r, &none, 0);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(hxe_ratelimit_take(&r, 0), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_without_jitter),
        cmocka_unit_test(retry_jitter_bounds),
        cmocka_unit_test(breaker_transitions),
        cmocka_unit_test(token_bucket),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
