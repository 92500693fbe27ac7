/*
 * test_store_writer.c — group commit. Many threads submit; every message
 * completes once, after its commit, with fewer transactions than
 * messages; a bad message fails alone; stop drains; a full queue pushes
 * back; and durability: a child process submitting messages is killed
 * with SIGKILL at random moments, and every message it had reported as
 * committed is in the file afterwards, with its content.
 */
#include "helpers/testutil.h"
#include "store/store.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char g_dir[64];
static char g_db[128];

static int setup(void **state)
{
    (void)state;
    if (tu_tmpdir(g_dir))
        return -1;
    snprintf(g_db, sizeof g_db, "%s/store.db", g_dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    tu_rmtree(g_dir);
    return 0;
}

static hxe_store *open_store(void)
{
    hxe_store *s = NULL;
    hxe_err err = {0};
    if (hxe_store_open(&s, g_db, NULL, &err))
        fail_msg("open: %s", err.msg);
    return s;
}

static void content_of(int i, char *buf, size_t size)
{
    snprintf(buf, size, "MSH|^~\\&|LAB|FAC|EHR|HOSP|20240101||ORU^R01|CTL%d|P|2.5\r"
                        "OBX|1|NM|GLU||%d|mmol/L\r", i, i * 7);
}

/* ---- completions, gathered under a lock ---- */
#define MAXMSG 2000
struct done {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t n;
    int rc[MAXMSG];
    int64_t id[MAXMSG];
    int dup[MAXMSG];
    int calls[MAXMSG];
    /* the first callback waits here until `release` is set, so the
     * submissions behind it pile up into batches */
    int hold, release;
};

static struct done g_done;

static int g_done_init;

static void done_reset(void)
{
    if (g_done_init) {
        pthread_mutex_destroy(&g_done.mu);
        pthread_cond_destroy(&g_done.cv);
    }
    g_done_init = 1;
    memset(&g_done, 0, sizeof g_done);
    pthread_mutex_init(&g_done.mu, NULL);
    pthread_cond_init(&g_done.cv, NULL);
}

static void on_commit(const hxe_store_commit_result *c, void *data)
{
    size_t i = (size_t)(uintptr_t)data;
    pthread_mutex_lock(&g_done.mu);
    g_done.rc[i] = c->rc;
    g_done.id[i] = c->ref.id;
    g_done.dup[i] = c->ref.duplicate;
    g_done.calls[i]++;
    g_done.n++;
    pthread_cond_broadcast(&g_done.cv);
    while (g_done.hold && !g_done.release)
        pthread_cond_wait(&g_done.cv, &g_done.mu);
    pthread_mutex_unlock(&g_done.mu);
}

static void release_and_wait(size_t total)
{
    pthread_mutex_lock(&g_done.mu);
    g_done.release = 1;
    pthread_cond_broadcast(&g_done.cv);
    while (g_done.n < total)
        pthread_cond_wait(&g_done.cv, &g_done.mu);
    pthread_mutex_unlock(&g_done.mu);
}

static void wait_first(void)
{
    pthread_mutex_lock(&g_done.mu);
    while (g_done.n == 0)
        pthread_cond_wait(&g_done.cv, &g_done.mu);
    pthread_mutex_unlock(&g_done.mu);
}

static int submit(hxe_store_writer *w, size_t i, hxe_err *err)
{
    char content[160], ctl[16];
    content_of((int)i, content, sizeof content);
    snprintf(ctl, sizeof ctl, "CTL%zu", i);
    const char *dests[] = {"lab"};
    hxe_store_msg_in in = {.tenant = "t1", .channel = "oru", .control_id = ctl,
                           .sender = "LAB^FAC", .content = content,
                           .content_len = strlen(content), .destinations = dests,
                           .ndestinations = 1};
    return hxe_store_writer_submit(w, &in, on_commit, (void *)(uintptr_t)i, err);
}

struct submitter {
    hxe_store_writer *w;
    size_t from, to;
    int failures;
};

static void *submitter_main(void *arg)
{
    struct submitter *sb = arg;
    for (size_t i = sb->from; i < sb->to; i++)
        if (submit(sb->w, i, NULL))
            sb->failures++;
    return NULL;
}

static void many_threads_share_commits(void **state)
{
    (void)state;
    enum { THREADS = 4, PER = 250, TOTAL = THREADS * PER };
    done_reset();
    g_done.hold = 1;
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_store_writer_opts o;
    hxe_store_writer_opts_init(&o);
    o.batch_max = 300;
    hxe_store_writer *w;
    assert_int_equal(hxe_store_writer_start(&w, s, &o, &err), 0);
    struct submitter sb[THREADS];
    pthread_t th[THREADS];
    for (int t = 0; t < THREADS; t++) {
        sb[t] = (struct submitter){w, (size_t)t * PER, (size_t)(t + 1) * PER, 0};
        pthread_create(&th[t], NULL, submitter_main, &sb[t]);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(sb[t].failures, 0);
    }
    release_and_wait(TOTAL);
    hxe_store_writer_stats st;
    hxe_store_writer_stats_get(w, &st);
    hxe_store_writer_free(w);
    assert_int_equal(st.messages, TOTAL);
    assert_int_equal(st.failed, 0);
    /* everything queued behind the held first callback: a handful of
     * transactions, none larger than batch_max */
    assert_true(st.commits >= (TOTAL + 299) / 300);
    assert_true(st.commits <= 10);
    assert_true(st.largest_batch <= 300);
    /* each completion once, each id distinct and stored with its content */
    hxe_arena a;
    hxe_arena_init(&a, 1 << 16, 0);
    char *seen = calloc(TOTAL * 2, 1);
    for (size_t i = 0; i < TOTAL; i++) {
        assert_int_equal(g_done.calls[i], 1);
        assert_int_equal(g_done.rc[i], 0);
        assert_in_range(g_done.id[i], 1, TOTAL * 2 - 1);
        assert_int_equal(seen[g_done.id[i]], 0);
        seen[g_done.id[i]] = 1;
        hxe_store_msg m;
        char want[160];
        content_of((int)i, want, sizeof want);
        hxe_arena_reset(&a);
        assert_int_equal(hxe_store_msg_get(s, "t1", g_done.id[i], &a, &m, &err), 0);
        assert_string_equal(m.content, want);
    }
    free(seen);
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void batch_limit_and_bad_message_alone(void **state)
{
    (void)state;
    done_reset();
    g_done.hold = 1;
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_store_writer_opts o;
    hxe_store_writer_opts_init(&o);
    o.batch_max = 10;
    hxe_store_writer *w;
    assert_int_equal(hxe_store_writer_start(&w, s, &o, &err), 0);
    assert_int_equal(submit(w, 0, &err), 0);
    wait_first();
    /* queued behind the held callback: 50 messages, one of them reusing a
     * correlation id (a constraint failure inside the batch) */
    hxe_store_msg_in in = {.tenant = "t1", .channel = "oru", .correlation_id = "fixed-1"};
    assert_int_equal(hxe_store_writer_submit(w, &in, on_commit, (void *)(uintptr_t)1, &err), 0);
    assert_int_equal(hxe_store_writer_submit(w, &in, on_commit, (void *)(uintptr_t)2, &err), 0);
    for (size_t i = 3; i < 51; i++)
        assert_int_equal(submit(w, i, &err), 0);
    /* refused at once, never called back: bad arguments */
    hxe_store_msg_in bad = {.tenant = "t1"};
    assert_int_equal(hxe_store_writer_submit(w, &bad, on_commit, (void *)(uintptr_t)60, &err),
                     HXE_EINVAL);
    release_and_wait(51);
    hxe_store_writer_stats st;
    hxe_store_writer_stats_get(w, &st);
    hxe_store_writer_free(w);
    assert_int_equal(g_done.rc[1], 0);
    assert_int_equal(g_done.rc[2], HXE_EINVAL);
    for (size_t i = 3; i < 51; i++)
        assert_int_equal(g_done.rc[i], 0);
    assert_int_equal(g_done.calls[60], 0);
    assert_int_equal(st.messages, 50);
    assert_int_equal(st.failed, 1);
    assert_int_equal(st.largest_batch, 10);
    assert_true(st.commits >= 6); /* 1 + 50 in batches of at most 10 */
    hxe_store_close(s);
}

static void stop_drains_and_refuses(void **state)
{
    (void)state;
    done_reset();
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_store_writer *w;
    assert_int_equal(hxe_store_writer_start(&w, s, NULL, &err), 0);
    for (size_t i = 0; i < 200; i++)
        assert_int_equal(submit(w, i, &err), 0);
    hxe_store_writer_stop(w);
    /* every submission completed before stop returned */
    assert_int_equal(g_done.n, 200);
    assert_int_equal(submit(w, 300, &err), HXE_EERROR);
    assert_non_null(strstr(err.msg, "stopped"));
    hxe_store_writer_stop(w);
    hxe_store_writer_free(w);
    assert_int_equal(g_done.n, 200);
    assert_int_equal(g_done.calls[300], 0);
    hxe_arena a;
    hxe_arena_init(&a, 4096, 0);
    hxe_store_msg m;
    for (size_t i = 0; i < 200; i++) {
        assert_int_equal(g_done.rc[i], 0);
        assert_int_equal(hxe_store_msg_get(s, "t1", g_done.id[i], &a, &m, &err), 0);
    }
    hxe_arena_free(&a);
    hxe_store_close(s);
}

static void back_pressure_and_duplicates(void **state)
{
    (void)state;
    done_reset();
    g_done.hold = 1;
    hxe_store *s = open_store();
    hxe_err err = {0};
    hxe_store_writer_opts o;
    hxe_store_writer_opts_init(&o);
    o.queue_max = 3;
    hxe_store_writer *w;
    assert_int_equal(hxe_store_writer_start(&w, s, &o, &err), 0);
    assert_int_equal(submit(w, 0, &err), 0);
    wait_first();
    /* the same control id twice within the window: one message, one duplicate */
    hxe_store_msg_in in = {.tenant = "t1", .channel = "oru", .control_id = "SAME",
                           .sender = "LAB^FAC", .dup_window_s = 300};
    assert_int_equal(hxe_store_writer_submit(w, &in, on_commit, (void *)(uintptr_t)1, &err), 0);
    assert_int_equal(hxe_store_writer_submit(w, &in, on_commit, (void *)(uintptr_t)2, &err), 0);
    assert_int_equal(submit(w, 3, &err), 0);
    assert_int_equal(submit(w, 4, &err), HXE_ETOOBIG);
    release_and_wait(4);
    hxe_store_writer_stats st;
    hxe_store_writer_stats_get(w, &st);
    hxe_store_writer_free(w);
    assert_int_equal(g_done.rc[2], 0);
    assert_false(g_done.dup[1]);
    assert_true(g_done.dup[2]);
    assert_int_equal(g_done.id[2], g_done.id[1]);
    assert_int_equal(st.duplicates, 1);
    assert_int_equal(st.messages, 3);
    assert_int_equal(g_done.calls[4], 0);
    hxe_store_close(s);
}

/* ---- durability under SIGKILL ---- */

static void child_cb(const hxe_store_commit_result *c, void *data)
{
    int fd = (int)(intptr_t)data >> 20, i = (int)((intptr_t)data & 0xfffff);
    if (c->rc)
        return;
    char line[128];
    int n = snprintf(line, sizeof line, "%d %lld %s\n", i, (long long)c->ref.id,
                     c->ref.correlation_id);
    /* one short write to a pipe is atomic: a line is whole or absent */
    if (write(fd, line, (size_t)n) != n)
        _exit(3);
}

static void nap_us(long us)
{
    struct timespec ts = {0, us * 1000};
    nanosleep(&ts, NULL);
}

static void child_run(int fd, int base)
{
    hxe_store *s;
    hxe_store_writer *w;
    if (hxe_store_open(&s, g_db, NULL, NULL) || hxe_store_writer_start(&w, s, NULL, NULL))
        _exit(2);
    for (int i = base; i < base + 100000; i++) {
        char content[160];
        content_of(i, content, sizeof content);
        hxe_store_msg_in in = {.tenant = "t1", .channel = "oru", .content = content,
                               .content_len = strlen(content)};
        void *data = (void *)(((intptr_t)fd << 20) | i);
        while (hxe_store_writer_submit(w, &in, child_cb, data, NULL) == HXE_ETOOBIG)
            nap_us(100);
        if (i % 8 == 0)
            nap_us(50);
    }
    hxe_store_writer_free(w);
    hxe_store_close(s);
    _exit(0);
}

static void killed_writer_loses_nothing_committed(void **state)
{
    (void)state;
    srand((unsigned)time(NULL) ^ (unsigned)getpid());
    size_t checked = 0;
    for (int round = 0; round < 3; round++) {
        int p[2];
        assert_int_equal(pipe(p), 0);
        int base = round * 100000;
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(p[0]);
            child_run(p[1], base);
        }
        close(p[1]);
        /* kill after a random number of reported commits */
        int target = 20 + rand() % 400, lines = 0;
        char buf[1 << 16];
        size_t len = 0;
        while (lines < target) {
            ssize_t r = read(p[0], buf + len, sizeof buf - len - 1);
            if (r <= 0)
                break;
            for (ssize_t k = 0; k < r; k++)
                lines += buf[len + (size_t)k] == '\n';
            len += (size_t)r;
            if (len > sizeof buf - 256)
                break;
        }
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        assert_true(WIFSIGNALED(status));
        /* whatever was reported before death counts too */
        ssize_t r;
        while (len < sizeof buf - 1 && (r = read(p[0], buf + len, sizeof buf - 1 - len)) > 0)
            len += (size_t)r;
        close(p[0]);
        /* only whole lines: the buffer may have filled mid-line */
        while (len > 0 && buf[len - 1] != '\n')
            len--;
        buf[len] = '\0';

        hxe_store *s = open_store();
        hxe_arena a;
        hxe_arena_init(&a, 4096, 0);
        hxe_err err = {0};
        char *save = NULL;
        for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            int i;
            long long id;
            char corr[80];
            if (sscanf(line, "%d %lld %79s", &i, &id, corr) != 3)
                break; /* a torn last line cannot happen; stop if it does */
            hxe_store_msg m;
            hxe_arena_reset(&a);
            if (hxe_store_msg_get(s, "t1", id, &a, &m, &err))
                fail_msg("round %d: message %lld (#%d) reported committed, then lost: %s",
                         round, id, i, err.msg);
            char want[160];
            content_of(i, want, sizeof want);
            assert_string_equal(m.content, want);
            assert_string_equal(m.correlation_id, corr);
            checked++;
        }
        hxe_arena_free(&a);
        hxe_store_close(s);
    }
    assert_true(checked >= 60);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(many_threads_share_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(batch_limit_and_bad_message_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(stop_drains_and_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(back_pressure_and_duplicates, setup, teardown),
        cmocka_unit_test_setup_teardown(killed_writer_loses_nothing_committed, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (g_done_init) {
        pthread_mutex_destroy(&g_done.mu);
        pthread_cond_destroy(&g_done.cv);
    }
    return rc;
}
