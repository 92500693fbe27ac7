/*
 * http_fuzzer.c — libFuzzer target for the HTTP request reader (net/,
 * http-parser plus hxe's limits): any bytes, fed whole and again in pieces
 * whose sizes come from the input, with small limits so the 413 and 431
 * paths are reached too.
 *
 * Checks: both feeds give the same requests (method, target, path, query,
 * headers, body) and both fail or neither does; every request taken stays
 * within the limits, its body is NUL-terminated, and path and query lie
 * inside the target.
 */
#include "net/http_int.h"

#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const hxe__http_limits lim = {512, 8, 1024};

typedef struct sum {
    uint64_t requests, continues, hash;
    int status;
} sum;

static void mix(sum *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        s->hash = (s->hash ^ b[i]) * 1099511628211ull;
    s->hash = (s->hash ^ 0x100) * 1099511628211ull;   /* a boundary */
}

static int inside(hxe_slice in, hxe_slice part)
{
    return part.n == 0 || (part.p >= in.p && part.p + part.n <= in.p + in.n);
}

static void check(sum *s, const hxe__http_msg *m)
{
    const hxe_http_request *r = &m->r;
    if (r->n_headers > lim.max_headers || r->body.n > lim.max_body ||
        r->target.n > lim.max_header_size || r->body.p[r->body.n] != '\0' ||
        !inside(r->target, r->path) || !inside(r->target, r->query))
        __builtin_trap();
    s->requests++;
    mix(s, r->method, strlen(r->method));
    mix(s, r->target.p, r->target.n);
    mix(s, r->path.p, r->path.n);
    mix(s, r->query.p, r->query.n);
    for (size_t i = 0; i < r->n_headers; i++) {
        mix(s, r->headers[i].name.p, r->headers[i].name.n);
        mix(s, r->headers[i].value.p, r->headers[i].value.n);
    }
    mix(s, r->body.p, r->body.n);
    int flags[2] = {r->keep_alive, r->version_minor};
    mix(s, flags, sizeof flags);
}

static void feed(const uint8_t *data, size_t size, const uint8_t *cuts, size_t ncuts, sum *s)
{
    hxe__http_reader rd;
    hxe__http_reader_init(&rd, &lim);
    size_t pos = 0, k = 0;
    while (pos < size) {
        size_t step = size - pos;
        if (ncuts) {
            step = 1 + cuts[k++ % ncuts] % 64;
            if (step > size - pos)
                step = size - pos;
        }
        size_t off = 0;
        while (off < step) {
            size_t used = 0;
            int ev = hxe__http_reader_feed(&rd, (const char *)data + pos + off, step - off, &used);
            if (used > step - off)
                __builtin_trap();
            off += used;
            if (ev == HXE__HTTP_FAILED) {
                if (rd.status != 400 && rd.status != 413 && rd.status != 431)
                    __builtin_trap();
                s->status = rd.status;
                hxe__http_reader_free(&rd);
                return;
            }
            if (ev == HXE__HTTP_CONTINUE)
                s->continues++;
            if (ev == HXE__HTTP_REQUEST) {
                hxe__http_msg m;
                if (hxe__http_reader_take(&rd, &m) == 0) {
                    check(s, &m);
                    hxe__http_msg_free(&m);
                }
                if (!m.r.keep_alive) {   /* the server reads no further */
                    hxe__http_reader_free(&rd);
                    return;
                }
            }
            if (ev == HXE__HTTP_MORE)
                break;
        }
        pos += step;
    }
    s->status = hxe__http_reader_busy(&rd) ? 1 : 0;
    hxe__http_reader_free(&rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* the first 8 bytes choose the piece sizes, the rest is the stream */
    size_t ncuts = size < 8 ? size : 8;
    const uint8_t *cuts = data;
    data += ncuts;
    size -= ncuts;
    sum whole = {0, 0, 14695981039346656037ull, 0}, split = whole;
    feed(data, size, NULL, 0, &whole);
    feed(data, size, cuts, ncuts, &split);
    /* A request that breaks a limit and is malformed too may get 431 or
     * 413 one way and 400 the other (which is seen first depends on where
     * the bytes were cut); that it fails, and where, may not. */
    if (whole.requests != split.requests || whole.hash != split.hash ||
        (whole.status >= 400) != (split.status >= 400) ||
        (whole.status < 400 && whole.status != split.status) || whole.continues != split.continues)
        __builtin_trap();
    return 0;
}
