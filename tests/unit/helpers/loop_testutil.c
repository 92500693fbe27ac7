/*
 * loop_testutil.c — driving a libuv loop from a test (loop_testutil.h).
 */
#include "helpers/loop_testutil.h"

#include <time.h>

int tu_pump(uv_loop_t *loop, int (*cond)(void *), void *arg, int timeout_ms)
{
    uint64_t end = uv_hrtime() / 1000000 + (uint64_t)timeout_ms;
    while (!cond || !cond(arg)) {
        if (uv_hrtime() / 1000000 > end)
            return cond ? 0 : 1;
        uv_run(loop, UV_RUN_NOWAIT);
        nanosleep(&(struct timespec){0, 200000}, NULL);
    }
    return 1;
}
