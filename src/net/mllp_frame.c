/*
 * mllp_frame.c — the MLLP framing parser: 0x0B content 0x1C 0x0D.
 *
 * Resumable: the state survives between feeds, so frames may be split at
 * any byte (even between 0x1C and 0x0D) and many frames may come in one
 * read. A frame that lies whole inside one feed is handed out in place,
 * without copying; only frames split across feeds are gathered in buf.
 * The size check runs before any byte is kept, so memory never grows
 * past max whatever the peer sends.
 */
#include "net/net.h"

#include <string.h>

enum {
    FR_OUTSIDE = 0,   /* between frames: discard until 0x0B */
    FR_IN = 1,        /* inside a frame */
    FR_IN_EB = 2,     /* inside, the last byte seen was 0x1C */
    FR_FAILED = 3     /* a frame went over max; nothing more is read */
};

/* Buffers bigger than this are released after their frame, so one big
 * message does not pin its memory to the connection for good. */
#define FR_KEEP_CAP ((size_t)64 << 10)

void hxe_mllp_framer_init(hxe_mllp_framer *f, size_t max, hxe_mllp_frame_cb cb, void *data)
{
    memset(f, 0, sizeof *f);
    f->max = max ? max : HXE_MLLP_MAX_MESSAGE_DEFAULT;
    hxe_buf_init(&f->buf, f->max + 1);
    f->cb = cb;
    f->data = data;
    f->state = FR_OUTSIDE;
}

void hxe_mllp_framer_free(hxe_mllp_framer *f)
{
    if (f)
        hxe_buf_free(&f->buf);
}

size_t hxe_mllp_framer_pending(const hxe_mllp_framer *f)
{
    return f->state == FR_IN || f->state == FR_IN_EB ? f->buf.len + (f->state == FR_IN_EB) : 0;
}

static void drop_buf(hxe_mllp_framer *f)
{
    if (f->buf.cap > FR_KEEP_CAP)
        hxe_buf_free(&f->buf);
    else
        hxe_buf_truncate(&f->buf, 0);
}

void hxe_mllp_framer_reset(hxe_mllp_framer *f)
{
    drop_buf(f);
    f->state = FR_OUTSIDE;
}

static int too_big(hxe_mllp_framer *f, hxe_err *err)
{
    f->state = FR_FAILED;
    drop_buf(f);
    return hxe_err_set(err, HXE_ETOOBIG,
                       "MLLP frame longer than %zu bytes (at byte %llu of the stream)", f->max,
                       (unsigned long long)f->bytes);
}

/* Keeps n more content bytes of the current frame. */
static int keep(hxe_mllp_framer *f, const char *p, size_t n, hxe_err *err)
{
    if (n > f->max - f->buf.len)
        return too_big(f, err);
    if (n && hxe_buf_append(&f->buf, p, n))
        return hxe_err_set(err, HXE_ENOMEM, "MLLP frame of %zu bytes: out of memory",
                           f->buf.len + n);
    return 0;
}

static int deliver(hxe_mllp_framer *f, const char *p, size_t n)
{
    f->frames++;
    f->state = FR_OUTSIDE;
    return f->cb ? f->cb(f->data, p, n) : 0;
}

int hxe_mllp_framer_feed(hxe_mllp_framer *f, const char *p, size_t n, hxe_err *err)
{
    if (f->state == FR_FAILED)
        return hxe_err_set(err, HXE_ETOOBIG, "MLLP stream already failed (frame over %zu bytes)",
                           f->max);
    if (!n)
        return 0;
    const char *end = p + n;
    f->bytes += n;
    while (p < end) {
        if (f->state == FR_OUTSIDE) {
            const char *sb = memchr(p, HXE_MLLP_SB, (size_t)(end - p));
            if (!sb) {
                f->discarded += (uint64_t)(end - p);
                return 0;
            }
            f->discarded += (uint64_t)(sb - p);
            p = sb + 1;
            f->state = FR_IN;
            continue;
        }
        if (f->state == FR_IN_EB) {
            if (*p == HXE_MLLP_CR) {
                p++;
                int rc = deliver(f, f->buf.p ? f->buf.p : "", f->buf.len);
                drop_buf(f);
                if (rc)
                    return rc;
                continue;
            }
            /* a lone 0x1C is content */
            f->state = FR_IN;
            int rc = keep(f, "\x1c", 1, err);
            if (rc)
                return rc;
            continue;
        }
        /* FR_IN: content up to the next 0x1C or 0x0B */
        const char *q = p;
        while (q < end && *q != HXE_MLLP_EB && *q != HXE_MLLP_SB)
            q++;
        size_t run = (size_t)(q - p);
        if (q < end && *q == HXE_MLLP_SB) {
            /* a new start block: the unfinished frame is abandoned */
            if (run + f->buf.len > f->max)
                return too_big(f, err);
            f->discarded += 1 + f->buf.len + run;  /* its 0x0B and content */
            drop_buf(f);
            p = q + 1;
            continue;
        }
        if (q + 1 < end && *q == HXE_MLLP_EB && q[1] == HXE_MLLP_CR) {
            int rc;
            if (f->buf.len == 0) {
                /* whole frame in this feed: hand it out in place */
                if (run > f->max)
                    return too_big(f, err);
                rc = deliver(f, p, run);
            } else {
                if ((rc = keep(f, p, run, err)) != 0)
                    return rc;
                rc = deliver(f, f->buf.p, f->buf.len);
                drop_buf(f);
            }
            p = q + 2;
            if (rc)
                return rc;
            continue;
        }
        if (q < end) {
            /* 0x1C as the last byte (wait for the next) or followed by
             * something other than 0x0D (content) */
            int rc = keep(f, p, run, err);
            if (rc)
                return rc;
            if (q + 1 == end) {
                f->state = FR_IN_EB;
                return 0;
            }
            if ((rc = keep(f, q, 1, err)) != 0)
                return rc;
            p = q + 1;
            continue;
        }
        int rc = keep(f, p, run, err);
        if (rc)
            return rc;
        p = end;
    }
    return 0;
}

int hxe_mllp_frame(hxe_buf *out, const char *msg, size_t n)
{
    int rc = hxe_buf_reserve(out, n + 3);
    if (rc)
        return rc;
    if ((rc = hxe_buf_putc(out, HXE_MLLP_SB)) || (rc = hxe_buf_append(out, msg, n)) ||
        (rc = hxe_buf_append(out, "\x1c\r", 2)))
        return rc;
    return 0;
}
