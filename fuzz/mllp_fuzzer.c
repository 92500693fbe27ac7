/*
 * mllp_fuzzer.c — libFuzzer target for the MLLP framer (net/): any bytes,
 * fed whole and again in pieces whose sizes come from the input, with a
 * small size limit so the oversize path is reached too.
 *
 * Checks: both feeds give the same frames and counters (the parser is
 * truly resumable), every byte is accounted for (frame content + 3 framing
 * bytes per frame + discarded + the unfinished frame), and no frame is
 * larger than the limit.
 */
#include "net/net.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIMIT 512

typedef struct sum {
    uint64_t frames, content, hash;
} sum;

static int on_frame(void *arg, const char *p, size_t n)
{
    sum *s = arg;
    if (n > LIMIT)
        __builtin_trap();
    s->frames++;
    s->content += n;
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ (uint8_t)p[i]) * 1099511628211ull;
    s->hash = (s->hash ^ 0x100) * 1099511628211ull;   /* frame boundary */
    return 0;
}

static int feed(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, sum *s,
                hxe_mllp_framer *f)
{
    hxe_mllp_framer_init(f, LIMIT, on_frame, s);
    size_t pos = 0, k = 0;
    int rc = 0;
    while (pos < size && rc == 0) {
        size_t step = size - pos;
        if (ncuts) {
            step = 1 + cuts[k++ % ncuts] % 64;
            if (step > size - pos)
                step = size - pos;
        }
        rc = hxe_mllp_framer_feed(f, (const char *)data + pos, step, NULL);
        pos += step;
    }
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the first 8 bytes choose the piece sizes, the rest is the stream */
    size_t ncuts = size < 8 ? size : 8;
    const uint8_t *cuts = data;
    data += ncuts;
    size -= ncuts;

    sum whole = {0, 0, 14695981039346656037ull}, split = whole;
    hxe_mllp_framer a, b;
    int ra = feed(data, size, NULL, 0, &whole, &a);
    int rb = feed(data, size, cuts, ncuts, &split, &b);
    if ((ra != 0) != (rb != 0))
        __builtin_trap();
    if (ra == 0) {
        if (whole.frames != split.frames || whole.hash != split.hash ||
            a.discarded != b.discarded || hxe_mllp_framer_pending(&a) != hxe_mllp_framer_pending(&b))
            __builtin_trap();
        size_t pending = hxe_mllp_framer_pending(&a);
        int in_frame = a.state == 1 || a.state == 2;
        if (a.bytes != size ||
            whole.content + 3 * whole.frames + a.discarded + pending + (in_frame ? 1 : 0) != size)
            __builtin_trap();
    } else if (whole.frames != split.frames || whole.hash != split.hash) {
        /* the frames before the failure are the same too */
        __builtin_trap();
    }
    hxe_mllp_framer_free(&a);
    hxe_mllp_framer_free(&b);
    return 0;
}
