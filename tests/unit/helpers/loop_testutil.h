/*
 * loop_testutil.h — driving a libuv loop from a test until a condition
 * holds.
 */
#ifndef HXE_LOOP_TESTUTIL_H
#define HXE_LOOP_TESTUTIL_H

#include <uv.h>

/* Runs loop (non-blocking, with short sleeps) until cond(arg) is true or
 * timeout_ms has passed. Returns 1 when the condition held, 0 on timeout;
 * with cond NULL, runs for timeout_ms and returns 1. */
int tu_pump(uv_loop_t *loop, int (*cond)(void *), void *arg, int timeout_ms);

#endif
