/*
 * run_dir_src.c — the directory poller source kind. Every poll_interval
 * the folder is listed (in the libuv thread pool, as is every file
 * operation here, so the loop never waits for the disk); regular files
 * whose name matches `pattern` (fnmatch; names starting with '.' are
 * skipped) are taken one at a time, in name order, once they are stable:
 * the same size and mtime at two polls in a row (and, with min_age, last
 * modified at least that long ago), so a file still being
 * written is left alone until its writer is done.
 *
 * A file is read whole (at most 64 × max_message, at most 1 GiB) and cut
 * into messages with hxe_hl7_reader (plain streams, MLLP-framed logs,
 * FHS/BHS batches). Each message goes through hxe__run_ingest — the MLLP
 * path: parse, accept list, validation, duplicates, durable commit — up
 * to 32 at a time. When every message is answered:
 * - all committed (AA, duplicates included): the file moves to done_dir;
 * - some rejected (AR/AE, or bytes that are no message): the file moves
 *   to error_dir with a sidecar NAME.err listing, per rejected message,
 *   its number, line, byte offset, MSA-1 and the ERR locations and codes
 *   — never content. The good messages of that file are committed and
 *   delivered all the same;
 * - some not stored (the store failed): the file stays where it is and is
 *   taken again at a later poll.
 * A name already in done_dir/error_dir gets a ".<ms>" suffix.
 *
 * Restart safety rests on duplicate detection (MSH-10 and the sender,
 * within the channel's duplicate_window, 24 h by default): a file whose
 * messages were committed but which was not moved before a crash (or is
 * dropped in again) is read again, and each message is acknowledged as a
 * duplicate, neither stored nor delivered twice. A channel with
 * `duplicate_window: 0` gets a warning at start: there a crash between
 * the commit and the move ingests the file again.
 */
#include "engine/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIR_INFLIGHT 32
#define DIR_MAX_FILES 4096      /* names looked at per poll */

typedef struct dir_entry {
    char *name;
    int64_t size, mtime_ns;
} dir_entry;

typedef struct dir_list {
    dir_entry *v;
    size_t n;
} dir_list;

/* One message of the current file. */
typedef struct dir_unit {
    size_t off, len;
    int junk;
    char code[3];            /* MSA-1 answered; "" until answered */
    int outcome;             /* 0 pending, 1 committed, 2 rejected, 3 not stored */
    char err[120];           /* ERR-2/ERR-3 of a reject */
} dir_unit;

typedef struct dir_src dir_src;

typedef struct dir_tok {
    dir_src *ds;
    size_t unit;
    int in_call, *answered;
    uint64_t rejected_before;
} dir_tok;

struct dir_src {
    hxe_run_channel *ch;
    uv_timer_t timer;
    uv_work_t work;
    int work_busy;           /* a thread-pool job is out */
    int stopping, timer_closed;
    /* the listing */
    dir_list prev, cur;      /* last poll, this poll */
    size_t next;             /* next entry of cur to look at */
    /* the file in progress */
    char name[256];
    char *buf;
    size_t len;
    dir_unit *u;
    size_t nu, fed, inflight;
    int pumping;
    char errtext[200];       /* work step failure ("" ok) */
    int work_kind;           /* 1 list, 2 read, 3 move */
    char target[4096];
    char *sidecar;           /* text to write beside an errored file */
    size_t sidecar_len;
};

static void poll_next(dir_src *ds);
static void maybe_stopped(dir_src *ds);

static void list_free(dir_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

/* ---- thread-pool steps (no runtime state touched but ds's own) ---- */

static void list_work(dir_src *ds)
{
    const hxe_source_conf *s = &ds->ch->conf->source;
    const char *pat = s->pattern ? s->pattern : "*";
    DIR *d = opendir(s->dir);
    if (!d) {
        snprintf(ds->errtext, sizeof ds->errtext, "cannot list the folder: %s", strerror(errno));
        return;
    }
    size_t cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) && ds->cur.n < DIR_MAX_FILES) {
        if (e->d_name[0] == '.' || fnmatch(pat, e->d_name, 0) != 0 || strlen(e->d_name) > 250)
            continue;
        char path[4096];
        struct stat st;
        if (snprintf(path, sizeof path, "%s/%s", s->dir, e->d_name) >= (int)sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (ds->cur.n == cap) {
            size_t nc = cap ? cap * 2 : 16;
            dir_entry *v = realloc(ds->cur.v, nc * sizeof *v);
            if (!v)
                break;
            ds->cur.v = v;
            cap = nc;
        }
        char *nm = strdup(e->d_name);
        if (!nm)
            break;
        ds->cur.v[ds->cur.n++] = (dir_entry){nm, (int64_t)st.st_size,
                                             (int64_t)st.st_mtim.tv_sec * 1000000000LL +
                                                 st.st_mtim.tv_nsec};
    }
    closedir(d);
    if (ds->cur.n)
        qsort(ds->cur.v, ds->cur.n, sizeof *ds->cur.v, entry_cmp);
}

static uint64_t max_file(const hxe_source_conf *s)
{
    uint64_t m = s->max_message ? s->max_message : (uint64_t)16 << 20;
    m = m > ((uint64_t)1 << 30) / 64 ? (uint64_t)1 << 30 : m * 64;
    return m;
}

static void read_work(dir_src *ds)
{
    const hxe_source_conf *s = &ds->ch->conf->source;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", s->dir, ds->name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(ds->errtext, sizeof ds->errtext, "cannot open: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    if ((uint64_t)st.st_size > max_file(s)) {
        snprintf(ds->errtext, sizeof ds->errtext, "too large");
        close(fd);
        return;
    }
    size_t n = (size_t)st.st_size;
    ds->buf = malloc(n + 1);
    size_t off = 0;
    while (ds->buf && off < n) {
        ssize_t r = read(fd, ds->buf + off, n - off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        off += (size_t)r;
    }
    close(fd);
    if (!ds->buf || off != n) {
        snprintf(ds->errtext, sizeof ds->errtext, "cannot read the file");
        free(ds->buf);
        ds->buf = NULL;
        return;
    }
    ds->buf[n] = 0;
    ds->len = n;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Moves the file to ds->target's folder (a name not yet there), with
 * the sidecar first when there is one. */
static void move_work(dir_src *ds)
{
    const hxe_source_conf *s = &ds->ch->conf->source;
    char src[4096], dst[4600], dir[4096];
    snprintf(dir, sizeof dir, "%s", ds->target);
    snprintf(src, sizeof src, "%s/%s", s->dir, ds->name);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(ds->errtext, sizeof ds->errtext, "cannot create %s: %s",
                 ds->sidecar ? "error_dir" : "done_dir", strerror(errno));
        return;
    }
    snprintf(dst, sizeof dst, "%s/%s", dir, ds->name);
    struct stat st;
    if (lstat(dst, &st) == 0)
        snprintf(dst, sizeof dst, "%s/%s.%llu", dir, ds->name,
                 (unsigned long long)hxe__run_now());
    if (ds->sidecar) {
        char side[4700];
        snprintf(side, sizeof side, "%s.err", dst);
        int fd = open(side, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
        if (fd >= 0) {
            size_t off = 0;
            while (off < ds->sidecar_len) {
                ssize_t w = write(fd, ds->sidecar + off, ds->sidecar_len - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            fsync(fd);
            close(fd);
        }
    }
    if (rename(src, dst) != 0) {
        snprintf(ds->errtext, sizeof ds->errtext, "cannot move the file: %s", strerror(errno));
        return;
    }
    fsync_dir(dir);
    fsync_dir(s->dir);
}

static void work_cb(uv_work_t *w)
{
    dir_src *ds = w->data;
    ds->errtext[0] = 0;
    switch (ds->work_kind) {
    case 1: list_work(ds); break;
    case 2: read_work(ds); break;
    default: move_work(ds); break;
    }
}

static void after_cb(uv_work_t *w, int status);

static void queue(dir_src *ds, int kind)
{
    ds->work_kind = kind;
    ds->work.data = ds;
    ds->work_busy = 1;
    int rc = uv_queue_work(&ds->ch->run->loop, &ds->work, work_cb, after_cb);
    if (rc) {
        ds->work_busy = 0;
        hxe_log(HXE_LOG_ERROR, "dir_poll_failed", HXE_LF_STR("channel", ds->ch->conf->name),
                HXE_LF_STR("error", uv_strerror(rc)));
    }
}

/* ---- the loop side ---- */

static void timer_cb(uv_timer_t *t)
{
    dir_src *ds = t->data;
    if (ds->stopping || ds->work_busy || ds->buf)
        return;
    list_free(&ds->cur);
    queue(ds, 1);
}

static void arm(dir_src *ds)
{
    if (!ds->stopping)
        uv_timer_start(&ds->timer, timer_cb, ds->ch->conf->source.poll_interval_ms
                                                 ? ds->ch->conf->source.poll_interval_ms
                                                 : 5000, 0);
}

static void file_done(dir_src *ds)
{
    free(ds->buf);
    ds->buf = NULL;
    ds->len = 0;
    free(ds->u);
    ds->u = NULL;
    ds->nu = ds->fed = ds->inflight = 0;
    hxe_free(ds->sidecar);
    ds->sidecar = NULL;
    ds->sidecar_len = 0;
}

static size_t line_of(const char *p, size_t off)
{
    size_t line = 1;
    for (size_t i = 0; i < off; i++)
        if (p[i] == '\n' || (p[i] == '\r' && p[i + 1] != '\n'))
            line++;
    return line;
}

/* ERR-2 and ERR-3 of the first ERR segment of an ACK: places and codes. */
static void err_places(const char *ack, size_t n, char *out, size_t size)
{
    out[0] = 0;
    for (size_t i = 0; i + 4 <= n; i++) {
        if (!(i == 0 || ack[i - 1] == '\r') || memcmp(ack + i, "ERR|", 4) != 0)
            continue;
        const char *p = ack + i + 4, *end = ack + n;
        const char *f[4] = {0};
        size_t fl[4] = {0};
        for (int k = 1; k <= 3 && p < end; k++) {
            const char *q = p;
            while (q < end && *q != '|' && *q != '\r')
                q++;
            f[k] = p;
            fl[k] = (size_t)(q - p);
            if (q >= end || *q == '\r')
                break;
            p = q + 1;
        }
        snprintf(out, size, "ERR-2 %.*s ERR-3 %.*s", (int)(fl[2] > 40 ? 40 : fl[2]),
                 f[2] ? f[2] : "", (int)(fl[3] > 60 ? 60 : fl[3]), f[3] ? f[3] : "");
        return;
    }
}

static void all_answered(dir_src *ds)
{
    const hxe_channel_conf *c = ds->ch->conf;
    size_t ok = 0, bad = 0, failed = 0;
    for (size_t i = 0; i < ds->nu; i++) {
        ok += ds->u[i].outcome == 1;
        bad += ds->u[i].outcome == 2;
        failed += ds->u[i].outcome == 3;
    }
    if (failed || ds->stopping) {
        /* not all stored: the file stays for a later poll (or the next
         * start); what was committed is a duplicate then */
        hxe_log(HXE_LOG_WARN, "dir_file_kept", HXE_LF_STR("tenant", c->tenant),
                HXE_LF_STR("channel", c->name), HXE_LF_STR("file", ds->name),
                HXE_LF_INT("not_stored", failed), HXE_LF_INT("committed", ok));
        file_done(ds);
        if (ds->stopping)
            maybe_stopped(ds);
        else
            poll_next(ds);
        return;
    }
    if (bad) {
        hxe_buf b = HXE_BUF_INIT;
        int rc = hxe_buf_printf(&b, "file %s: %zu of %zu messages rejected\n", ds->name, bad,
                                ds->nu);
        for (size_t i = 0; i < ds->nu && !rc; i++) {
            const dir_unit *u = &ds->u[i];
            if (u->outcome != 2)
                continue;
            rc = hxe_buf_printf(&b, "message %zu line %zu byte %zu: %s%s%s\n", i + 1,
                                line_of(ds->buf, u->off), u->off,
                                u->junk ? "not a message" : u->code[0] ? u->code : "rejected",
                                u->err[0] ? " " : "", u->err);
        }
        ds->sidecar = b.p;   /* owned now; freed in file_done */
        ds->sidecar_len = rc ? 0 : b.len;
        if (!ds->sidecar) {
            ds->sidecar = hxe_malloc(1);
            ds->sidecar_len = 0;
        }
    }
    snprintf(ds->target, sizeof ds->target, "%s", bad ? c->source.error_dir : c->source.done_dir);
    hxe_log(bad ? HXE_LOG_WARN : HXE_LOG_INFO, bad ? "dir_file_error" : "dir_file_done",
            HXE_LF_STR("tenant", c->tenant), HXE_LF_STR("channel", c->name),
            HXE_LF_STR("file", ds->name), HXE_LF_INT("messages", ds->nu),
            HXE_LF_INT("committed", ok), HXE_LF_INT("rejected", bad));
    queue(ds, 3);
}

static void pump(dir_src *ds);

static void respond(void *tok, const char *ack, size_t len)
{
    dir_tok *t = tok;
    dir_src *ds = t->ds;
    dir_unit *u = &ds->u[t->unit];
    hxe__run_msa1(ack, len, u->code);
    int rejected = t->in_call && atomic_load_explicit(&ds->ch->count.rejected,
                                                      memory_order_relaxed) != t->rejected_before;
    if (ack && u->code[0] && u->code[1] == 'A')
        u->outcome = 1;
    else if (ack && rejected) {
        u->outcome = 2;
        err_places(ack, len, u->err, sizeof u->err);
    } else
        u->outcome = 3;
    ds->inflight--;
    if (t->answered)
        *t->answered = 1;
    int in_call = t->in_call;
    hxe_free(t);
    if (!in_call)
        pump(ds);
}

static const run_reply dir_reply = {respond};

/* Feeds messages while fewer than DIR_INFLIGHT are unanswered; when all
 * are fed and answered, decides the file's fate. */
static void pump(dir_src *ds)
{
    if (ds->pumping)
        return;
    ds->pumping = 1;
    hxe_run_channel *ch = ds->ch;
    while (ds->fed < ds->nu && ds->inflight < DIR_INFLIGHT && !ds->stopping) {
        size_t i = ds->fed++;
        dir_unit *u = &ds->u[i];
        if (u->junk) {
            u->outcome = 2;
            RUN_INC(ch, received);
            RUN_INC(ch, rejected);
            continue;
        }
        dir_tok *t = hxe_calloc(1, sizeof *t);
        if (!t) {
            u->outcome = 3;
            continue;
        }
        t->ds = ds;
        t->unit = i;
        t->in_call = 1;
        t->rejected_before = atomic_load_explicit(&ch->count.rejected, memory_order_relaxed);
        int answered = 0;
        t->answered = &answered;
        ds->inflight++;
        hxe__run_ingest(ch, ds->buf + u->off, u->len, &dir_reply, t, "directory");
        if (!answered) {
            t->in_call = 0;
            t->answered = NULL;
        }
    }
    ds->pumping = 0;
    if (ds->inflight == 0 && (ds->fed == ds->nu || ds->stopping)) {
        if (ds->stopping && ds->fed < ds->nu)
            for (size_t i = ds->fed; i < ds->nu; i++)
                ds->u[i].outcome = 3;
        all_answered(ds);
    }
}

static int only_space(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r' && p[i] != '\n' && p[i] != 0x1a)
            return 0;
    return 1;
}

static void start_file(dir_src *ds)
{
    hxe_hl7_reader rd;
    hxe_hl7_reader_init(&rd, ds->buf, ds->len, NULL);
    hxe_slice s;
    size_t off, cap = 0;
    int kind;
    while ((kind = hxe_hl7_reader_next(&rd, &s, &off)) != HXE_HL7_UNIT_END) {
        if (kind == HXE_HL7_UNIT_JUNK && only_space(s.p, s.n))
            continue;
        if (ds->nu == cap) {
            size_t nc = cap ? cap * 2 : 16;
            dir_unit *v = realloc(ds->u, nc * sizeof *v);
            if (!v)
                break;
            ds->u = v;
            cap = nc;
        }
        ds->u[ds->nu++] = (dir_unit){(size_t)(s.p - ds->buf), s.n, kind == HXE_HL7_UNIT_JUNK,
                                     "", 0, ""};
    }
    (void)off;
    pump(ds);
}

/* The next stable file of this poll's listing, else the next poll. */
static void poll_next(dir_src *ds)
{
    if (ds->stopping) {
        maybe_stopped(ds);
        return;
    }
    int64_t min_age = (int64_t)ds->ch->conf->source.min_age_ms, now = hxe_store_now_ms();
    while (ds->next < ds->cur.n) {
        const dir_entry *e = &ds->cur.v[ds->next++];
        const dir_entry *p = NULL;
        for (size_t i = 0; i < ds->prev.n && !p; i++)
            if (strcmp(ds->prev.v[i].name, e->name) == 0)
                p = &ds->prev.v[i];
        if (!p || p->size != e->size || p->mtime_ns != e->mtime_ns)
            continue;   /* new or still changing: next poll */
        if (min_age && e->mtime_ns / 1000000 > now - min_age)
            continue;   /* younger than source.min_age: a later poll */
        snprintf(ds->name, sizeof ds->name, "%s", e->name);
        queue(ds, 2);
        return;
    }
    /* this listing becomes the one the next poll compares with */
    list_free(&ds->prev);
    ds->prev = ds->cur;
    ds->cur = (dir_list){NULL, 0};
    arm(ds);
}

static void after_cb(uv_work_t *w, int status)
{
    dir_src *ds = w->data;
    ds->work_busy = 0;
    const hxe_channel_conf *c = ds->ch->conf;
    if (status == UV_ECANCELED && !ds->errtext[0])
        snprintf(ds->errtext, sizeof ds->errtext, "cancelled");
    switch (ds->work_kind) {
    case 1:
        if (ds->errtext[0])
            hxe_log(HXE_LOG_ERROR, "dir_poll_failed", HXE_LF_STR("tenant", c->tenant),
                    HXE_LF_STR("channel", c->name), HXE_LF_STR("error", ds->errtext));
        ds->next = 0;
        poll_next(ds);
        return;
    case 2:
        if (ds->errtext[0]) {
            hxe_log(HXE_LOG_ERROR, "dir_read_failed", HXE_LF_STR("tenant", c->tenant),
                    HXE_LF_STR("channel", c->name), HXE_LF_STR("file", ds->name),
                    HXE_LF_STR("error", ds->errtext));
            if (strcmp(ds->errtext, "too large") == 0 && !ds->stopping) {
                /* no message of it was read: to error_dir with the reason */
                static const char why[] = "file over the size limit (64 x max_message); not read\n";
                ds->sidecar = hxe_malloc(sizeof why);
                if (ds->sidecar) {
                    memcpy(ds->sidecar, why, sizeof why);
                    ds->sidecar_len = sizeof why - 1;
                    snprintf(ds->target, sizeof ds->target, "%s", c->source.error_dir);
                    queue(ds, 3);
                    return;
                }
            }
            poll_next(ds);
            return;
        }
        if (ds->stopping) {
            file_done(ds);
            maybe_stopped(ds);
            return;
        }
        start_file(ds);
        return;
    default:
        if (ds->errtext[0])
            hxe_log(HXE_LOG_ERROR, "dir_move_failed", HXE_LF_STR("tenant", c->tenant),
                    HXE_LF_STR("channel", c->name), HXE_LF_STR("file", ds->name),
                    HXE_LF_STR("error", ds->errtext));
        file_done(ds);
        poll_next(ds);
        return;
    }
}

static int start(hxe_run_channel *ch, hxe_err *err)
{
    const hxe_source_conf *s = &ch->conf->source;
    if (!s->dir || !s->done_dir || !s->error_dir)
        return hxe_err_set(err, HXE_EINVAL, "channel %s: directory source without a path",
                           ch->conf->name);
    int rc = hxe__run_mkdirs(s->dir, err);
    if (rc)
        return rc;
    dir_src *ds = hxe_calloc(1, sizeof *ds);
    if (!ds)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    ds->ch = ch;
    uv_timer_init(&ch->run->loop, &ds->timer);
    ds->timer.data = ds;
    ch->src_impl = ds;
    if (!ch->conf->duplicate_window_ms)
        hxe_log(HXE_LOG_WARN, "dir_no_duplicate_window", HXE_LF_STR("tenant", ch->conf->tenant),
                HXE_LF_STR("channel", ch->conf->name),
                HXE_LF_STR("why", "a crash between commit and move would ingest a file twice"));
    hxe_log(HXE_LOG_INFO, "polling", HXE_LF_STR("tenant", ch->conf->tenant),
            HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("path", s->dir),
            HXE_LF_INT("interval_ms", s->poll_interval_ms));
    /* the first listing at once: a file present at start is taken at the
     * second poll (it must be seen stable once) */
    uv_timer_start(&ds->timer, timer_cb, 0, 0);
    return 0;
}

static void timer_closed(uv_handle_t *h)
{
    dir_src *ds = h->data;
    hxe_run_channel *ch = ds->ch;
    list_free(&ds->prev);
    list_free(&ds->cur);
    file_done(ds);
    hxe_free(ds);
    ch->src_impl = NULL;
    hxe__run_source_stopped(ch);
}

/* Stopped once no thread-pool job is out and no message is unanswered. */
static void maybe_stopped(dir_src *ds)
{
    if (!ds->stopping || ds->work_busy || ds->inflight || ds->timer_closed)
        return;
    ds->timer_closed = 1;
    uv_close((uv_handle_t *)&ds->timer, timer_closed);
}

static void stop(hxe_run_channel *ch, uint64_t deadline_ms)
{
    (void)deadline_ms;
    dir_src *ds = ch->src_impl;
    if (!ds || ds->stopping)
        return;
    ds->stopping = 1;
    uv_timer_stop(&ds->timer);
    if (ds->buf && !ds->work_busy && ds->inflight == 0 && ds->fed < ds->nu) {
        file_done(ds);   /* never happens between pumps, but be safe */
    }
    maybe_stopped(ds);
}

static int port(const hxe_run_channel *ch)
{
    (void)ch;
    return 0;
}

const run_source_ops hxe__run_source_dir = {"directory", start, stop, port};
