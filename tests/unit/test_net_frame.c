/*
 * test_net_frame.c — the MLLP framer on its own: frames split at every
 * byte, many frames in one read, junk between frames, a lone 0x1C, a
 * restarted frame, the size limit, and a real message cut at random.
 */
#include "helpers/testutil.h"
#include "net/net.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXF 64

typedef struct got {
    char *f[MAXF];
    size_t n[MAXF];
    const char *where[MAXF];
    size_t count;
    int stop_after;     /* return 7 after this many frames (0 = never) */
} got;

static int collect(void *data, const char *p, size_t n)
{
    got *g = data;
    if (g->count < MAXF) {
        g->f[g->count] = malloc(n + 1);
        memcpy(g->f[g->count], p, n);
        g->f[g->count][n] = '\0';
        g->n[g->count] = n;
        g->where[g->count] = p;
    }
    g->count++;
    return g->stop_after && g->count >= (size_t)g->stop_after ? 7 : 0;
}

static void got_free(got *g)
{
    for (size_t i = 0; i < g->count && i < MAXF; i++)
        free(g->f[i]);
    memset(g, 0, sizeof *g);
}

static const char STREAM[] = "junk\r\n\x0bMSH|A\rPID|1\x1c\r\n\x0b\x1c\r\x0bMSH|B\x1c\rtail";
#define STREAM_LEN (sizeof STREAM - 1)

static void check_stream(const got *g, const hxe_mllp_framer *f)
{
    assert_int_equal(g->count, 3);
    assert_string_equal(g->f[0], "MSH|A\rPID|1");
    assert_int_equal(g->n[1], 0);
    assert_string_equal(g->f[2], "MSH|B");
    assert_int_equal(f->frames, 3);
    /* "junk\r\n" + "\n" + "tail" */
    assert_int_equal(f->discarded, 11);
    assert_int_equal(f->bytes, STREAM_LEN);
}

static void whole_and_in_place(void **state)
{
    (void)state;
    got g = {0};
    hxe_mllp_framer f;
    hxe_mllp_framer_init(&f, 0, collect, &g);
    assert_int_equal(f.max, HXE_MLLP_MAX_MESSAGE_DEFAULT);
    assert_int_equal(hxe_mllp_framer_feed(&f, STREAM, STREAM_LEN, NULL), 0);
    check_stream(&g, &f);
    /* frames lying whole in one read are handed out without copying */
    assert_ptr_equal(g.where[0], STREAM + 7);
    assert_int_equal(hxe_mllp_framer_pending(&f), 0);
    hxe_mllp_framer_free(&f);
    got_free(&g);
}

static void split_at_every_byte(void **state)
{
    (void)state;
    for (size_t cut = 0; cut <= STREAM_LEN; cut++) {
        got g = {0};
        hxe_mllp_framer f;
        hxe_mllp_framer_init(&f, 100, collect, &g);
        assert_int_equal(hxe_mllp_framer_feed(&f, STREAM, cut, NULL), 0);
        assert_int_equal(hxe_mllp_framer_feed(&f, STREAM + cut, STREAM_LEN - cut, NULL), 0);
        check_stream(&g, &f);
        hxe_mllp_framer_free(&f);
        got_free(&g);
    }
    /* and one byte at a time */
    got g = {0};
    hxe_mllp_framer f;
    hxe_mllp_framer_init(&f, 100, collect, &g);
    for (size_t i = 0; i < STREAM_LEN; i++) {
        assert_int_equal(hxe_mllp_framer_feed(&f, STREAM + i, 1, NULL), 0);
        if (i == 9)   /* inside the first frame: "MSH" held */
            assert_int_equal(hxe_mllp_framer_pending(&f), 3);
    }
    check_stream(&g, &f);
    hxe_mllp_framer_free(&f);
    got_free(&g);
}

static void end_block_rules(void **state)
{
    (void)state;
    got g = {0};
    hxe_mllp_framer f;
    hxe_mllp_framer_init(&f, 100, collect, &g);
    /* a 0x1C not followed by 0x0D is content, in one read or split after it */
    const char a[] = "\x0b" "A\x1c" "B\x1c\r";
    assert_int_equal(hxe_mllp_framer_feed(&f, a, 3, NULL), 0);
    assert_int_equal(g.count, 0);
    assert_int_equal(hxe_mllp_framer_feed(&f, a + 3, 3, NULL), 0);
    assert_int_equal(g.count, 1);
    assert_int_equal(g.n[0], 3);
    assert_memory_equal(g.f[0], "A\x1c" "B", 3);
    const char b[] = "\x0bX\x1c\x1c\r";
    assert_int_equal(hxe_mllp_framer_feed(&f, b, 5, NULL), 0);
    assert_int_equal(g.count, 2);
    assert_int_equal(g.n[1], 2);
    assert_memory_equal(g.f[1], "X\x1c", 2);
    /* a new 0x0B inside a frame restarts it; the abandoned bytes count */
    uint64_t before = f.discarded;
    const char c[] = "\x0bLOST\x0bKEPT\x1c\r";
    assert_int_equal(hxe_mllp_framer_feed(&f, c, sizeof c - 1, NULL), 0);
    assert_int_equal(g.count, 3);
    assert_string_equal(g.f[2], "KEPT");
    assert_int_equal(f.discarded - before, 5);
    hxe_mllp_framer_free(&f);
    got_free(&g);
}

static void size_limit(void **state)
{
    (void)state;
    got g = {0};
    hxe_mllp_framer f;
    hxe_err err = {0};
    hxe_mllp_framer_init(&f, 10, collect, &g);
    /* exactly max is fine, whole or split */
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0b" "0123456789\x1c\r", 13, &err), 0);
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0b" "01234", 6, &err), 0);
    assert_int_equal(hxe_mllp_framer_feed(&f, "56789\x1c", 6, &err), 0);
    assert_int_equal(hxe_mllp_framer_feed(&f, "\r", 1, &err), 0);
    assert_int_equal(g.count, 2);
    assert_string_equal(g.f[1], "0123456789");
    /* one more byte fails, in one read */
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0b" "SECRET-PHI!\x1c\r", 14, &err), HXE_ETOOBIG);
    assert_non_null(strstr(err.msg, "longer than 10 bytes"));
    assert_null(strstr(err.msg, "SECRET"));
    assert_int_equal(g.count, 2);
    /* and the framer stays failed */
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0bok\x1c\r", 5, &err), HXE_ETOOBIG);
    assert_int_equal(g.count, 2);
    hxe_mllp_framer_free(&f);

    /* split: memory never grows past the limit before the failure */
    hxe_mllp_framer_init(&f, 1000, collect, &g);
    char chunk[300];
    memset(chunk, 'x', sizeof chunk);
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0b", 1, &err), 0);
    int rc = 0;
    size_t fed = 0;
    while (rc == 0 && fed < 10000) {
        rc = hxe_mllp_framer_feed(&f, chunk, sizeof chunk, &err);
        fed += sizeof chunk;
        assert_true(f.buf.len <= 1000);
    }
    assert_int_equal(rc, HXE_ETOOBIG);
    assert_int_equal(fed, 1200);
    /* a restarted frame is bounded too */
    hxe_mllp_framer_reset(&f);
    char big[1100];
    memset(big, 'y', sizeof big);
    big[0] = HXE_MLLP_SB;
    big[1099] = HXE_MLLP_SB;
    assert_int_equal(hxe_mllp_framer_feed(&f, big, sizeof big, &err), HXE_ETOOBIG);
    hxe_mllp_framer_free(&f);
    got_free(&g);
}

static void callback_stops_the_feed(void **state)
{
    (void)state;
    got g = {0};
    g.stop_after = 1;
    hxe_mllp_framer f;
    hxe_mllp_framer_init(&f, 0, collect, &g);
    assert_int_equal(hxe_mllp_framer_feed(&f, "\x0b" "A\x1c\r\x0b" "B\x1c\r", 8, NULL), 7);
    assert_int_equal(g.count, 1);
    hxe_mllp_framer_free(&f);
    got_free(&g);
}

static void frame_writer(void **state)
{
    (void)state;
    hxe_buf b = HXE_BUF_INIT;
    assert_int_equal(hxe_mllp_frame(&b, "MSH|x", 5), 0);
    assert_int_equal(b.len, 8);
    assert_memory_equal(b.p, "\x0bMSH|x\x1c\r", 8);
    hxe_buf_free(&b);
}

/* A real message, framed twice with junk between, cut at pseudo-random
 * places: both frames come out byte for byte. */
static void real_message_random_cuts(void **state)
{
    (void)state;
    size_t len = 0;
    char path[4096];
    const char *src = getenv("HXE_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/examples/adt_a01.hl7", src ? src : ".");
    char *msg = tu_read(path, &len);
    assert_non_null(msg);
    hxe_buf in = HXE_BUF_INIT;
    assert_int_equal(hxe_mllp_frame(&in, msg, len), 0);
    assert_int_equal(hxe_buf_append(&in, "\r\n\r\n", 4), 0);
    assert_int_equal(hxe_mllp_frame(&in, msg, len), 0);
    unsigned seed = 12345;
    for (int round = 0; round < 200; round++) {
        got g = {0};
        hxe_mllp_framer f;
        hxe_mllp_framer_init(&f, 0, collect, &g);
        size_t pos = 0;
        while (pos < in.len) {
            seed = seed * 1103515245u + 12345u;
            size_t step = 1 + (seed >> 16) % 97;
            if (step > in.len - pos)
                step = in.len - pos;
            assert_int_equal(hxe_mllp_framer_feed(&f, in.p + pos, step, NULL), 0);
            pos += step;
        }
        assert_int_equal(g.count, 2);
        for (int i = 0; i < 2; i++) {
            assert_int_equal(g.n[i], len);
            assert_memory_equal(g.f[i], msg, len);
        }
        assert_int_equal(f.discarded, 4);
        hxe_mllp_framer_free(&f);
        got_free(&g);
    }
    hxe_buf_free(&in);
    hxe_free(msg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(whole_and_in_place),
        cmocka_unit_test(split_at_every_byte),
        cmocka_unit_test(end_block_rules),
        cmocka_unit_test(size_limit),
        cmocka_unit_test(callback_stops_the_feed),
        cmocka_unit_test(frame_writer),
        cmocka_unit_test(real_message_random_cuts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
