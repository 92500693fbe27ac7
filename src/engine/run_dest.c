/*
 * run_dest.c — the destination kinds built today (run_dest_ops):
 *
 * - mllp: one net.h MLLP sender per destination (it keeps its
 *   connection, reconnects with backoff, checks that the ACK answers this
 *   message). AA/CA is success; AE/AR/CE/CR, timeouts and lost
 *   connections are failures for the retry policy. The ACK is kept as the
 *   delivery's RESPONSE content version.
 * - file: the message is written to DIR/.NAME.tmp-ID in the libuv thread
 *   pool (open, write, fsync, close), renamed to DIR/NAME (atomic: a
 *   reader never sees half a file) and the folder fsynced. With {id} in
 *   the name pattern (the default) a redelivery after a crash rewrites
 *   the same file, so a file destination is effectively exactly-once. The
 *   idempotency key is not written anywhere: the file holds the message
 *   only, and its name is the key.
 * - channel: the message becomes a new message of another channel of the
 *   same tenant, committed through the writer like a received one. Its
 *   correlation id is derived from the delivery's idempotency key, so a
 *   redelivery after a crash finds the copy already there and does not
 *   make a second one.
 *
 * HTTP is in run_dest_http.c. hxe__run_dest_for picks the kind of a
 * destination.
 */
#include "engine/run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ===================== mllp ===================== */

typedef struct mllp_dest {
    hxe_mllp_client *c;
    hxe_tls_ctx *tls;
    int closing, closed;
} mllp_dest;

static int mllp_open(hxe_run_dest *d, hxe_err *err)
{
    const hxe_dest_conf *c = d->conf;
    mllp_dest *m = hxe_calloc(1, sizeof *m);
    if (!m)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    int rc;
    if (c->tls.enabled) {
        hxe_tls_opts t = {c->tls.cert, c->tls.key, c->tls.ca, 0, 0};
        if ((rc = hxe_tls_new(&m->tls, HXE_TLS_CLIENT, &t, err))) {
            hxe_free(m);
            return rc;
        }
    }
    hxe_mllp_client_opts o = {0};
    o.host = c->host;
    o.port = c->port;
    o.tls = m->tls;
    o.ack_timeout_ms = c->ack_timeout_ms;
    o.connect_timeout_ms = c->connect_timeout_ms;
    /* the retry policy and the breaker space the attempts; the sender's
     * own reconnect backoff must not add a second, longer schedule */
    o.backoff_min_ms = 100;
    o.backoff_max_ms = c->retry.initial_ms > 100 ? c->retry.initial_ms : 100;
    if ((rc = hxe_mllp_client_new(&m->c, &d->ch->run->loop, &o, err))) {
        hxe_tls_free(m->tls);
        hxe_free(m);
        return rc;
    }
    d->impl = m;
    return 0;
}

static void mllp_result(hxe_mllp_client *c, const hxe_mllp_result *res, void *data)
{
    (void)c;
    hxe_run_dest *d = data;
    if (res->outcome == HXE_MLLP_ACCEPTED) {
        hxe__run_dest_done(d, 1, res->ack, res->ack_len, NULL);
        return;
    }
    char reason[200];
    snprintf(reason, sizeof reason, "mllp %s%s%s%s%s", hxe_mllp_outcome_name(res->outcome),
             res->code[0] ? " " : "", res->code, res->reason && res->reason[0] ? ": " : "",
             res->reason ? res->reason : "");
    hxe__run_dest_done(d, 0, NULL, 0, reason);
}

static int mllp_send(hxe_run_dest *d, const run_delivery *dl, hxe_err *err)
{
    mllp_dest *m = d->impl;
    if (m->closing)
        return hxe_err_set(err, HXE_EIO, "mllp sender closed");
    return hxe_mllp_client_send(m->c, dl->content, dl->content_len, mllp_result, d, err);
}

static void mllp_closed(hxe_mllp_client *c, void *data)
{
    (void)c;
    hxe_run_dest *d = data;
    mllp_dest *m = d->impl;
    m->closed = 1;
    if (d->state == RUN_DEST_CLOSING) {
        hxe_tls_free(m->tls);
        hxe_free(m);
        d->impl = NULL;
        hxe__run_dest_closed(d);
    }
}

static void mllp_cancel(hxe_run_dest *d)
{
    mllp_dest *m = d->impl;
    if (m && !m->closing) {
        m->closing = 1;
        hxe_mllp_client_close(m->c, mllp_closed, d);
    }
}

static void mllp_close(hxe_run_dest *d)
{
    mllp_dest *m = d->impl;
    if (!m)
        return;
    if (m->closed) {
        hxe_tls_free(m->tls);
        hxe_free(m);
        d->impl = NULL;
        hxe__run_dest_closed(d);
    } else if (!m->closing) {
        m->closing = 1;
        hxe_mllp_client_close(m->c, mllp_closed, d);
    }
}

const run_dest_ops hxe__run_dest_mllp = {"mllp", mllp_open, mllp_send, mllp_cancel, mllp_close};

/* ===================== file ===================== */

typedef struct file_job {
    uv_work_t req;
    hxe_run_dest *d;
    char final[4096], tmp[4096], dir[4096];
    const char *data;
    size_t len;
    int err_no;
    const char *step;
} file_job;

typedef struct file_dest {
    file_job job;
    int busy, want_close;
} file_dest;

static int file_open(hxe_run_dest *d, hxe_err *err)
{
    file_dest *f = hxe_calloc(1, sizeof *f);
    if (!f)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    int rc = hxe__run_mkdirs(d->conf->dir, err);
    if (rc) {
        hxe_free(f);
        return rc;
    }
    d->impl = f;
    return 0;
}

static void file_work(uv_work_t *req)
{
    file_job *j = req->data;
    j->err_no = 0;
    int fd = open(j->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    if (fd < 0) {
        j->err_no = errno;
        j->step = "open";
        return;
    }
    size_t off = 0;
    while (off < j->len) {
        ssize_t w = write(fd, j->data + off, j->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            j->err_no = w < 0 ? errno : EIO;
            j->step = "write";
            close(fd);
            unlink(j->tmp);
            return;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        j->err_no = errno;
        j->step = "fsync";
        close(fd);
        unlink(j->tmp);
        return;
    }
    close(fd);
    if (rename(j->tmp, j->final) != 0) {
        j->err_no = errno;
        j->step = "rename";
        unlink(j->tmp);
        return;
    }
    int dfd = open(j->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

static void file_after(uv_work_t *req, int status)
{
    file_job *j = req->data;
    hxe_run_dest *d = j->d;
    file_dest *f = d->impl;
    /* f->busy stays set during done(): a shutdown it triggers then only
     * asks for the close, which happens below */
    if (status == UV_ECANCELED) {
        j->err_no = ECANCELED;
        j->step = "queue";
    }
    if (j->err_no) {
        char reason[160];
        snprintf(reason, sizeof reason, "file %s failed: %s", j->step, strerror(j->err_no));
        hxe__run_dest_done(d, 0, NULL, 0, reason);
    } else {
        hxe__run_dest_done(d, 1, NULL, 0, NULL);
    }
    f->busy = 0;
    if (f->want_close) {
        hxe_free(f);
        d->impl = NULL;
        hxe__run_dest_closed(d);
    }
}

/* MSH-10 and the type of the content, for file names that ask for them. */
static void msh_values(hxe_run *r, const run_delivery *dl, char *cid, size_t cn, char *type,
                       size_t tn)
{
    cid[0] = type[0] = 0;
    hxe_arena_reset(&r->scratch);
    hxe_hl7_msg *m = NULL;
    if (hxe_hl7_parse(&m, &r->scratch, dl->content, dl->content_len, NULL, NULL, NULL) != 0)
        return;
    hxe_slice s = hxe_hl7_field(m, 0, 10);
    snprintf(cid, cn, "%.*s", (int)(s.n > 100 ? 100 : s.n), s.p);
    hxe_config_msg_type(m, type, tn);
}

static int file_send(hxe_run_dest *d, const run_delivery *dl, hxe_err *err)
{
    file_dest *f = d->impl;
    file_job *j = &f->job;
    const hxe_dest_conf *c = d->conf;
    char id[32], seq_ts[32], cid[128] = "", type[64] = "";
    snprintf(id, sizeof id, "%lld", (long long)dl->message_id);
    if (strstr(c->filename, "{control_id}") || strstr(c->filename, "{type}"))
        msh_values(d->ch->run, dl, cid, sizeof cid, type, sizeof type);
    time_t t = (time_t)(dl->received_at / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(seq_ts, sizeof seq_ts, "%Y%m%dT%H%M%SZ", &tm);
    hxe_filename_vars v = {d->ch->conf->name, id, cid, type, seq_ts, (uint64_t)dl->id};
    hxe_buf name = HXE_BUF_INIT;
    int rc = hxe_config_filename(c->filename, &v, &name);
    if (rc || name.len == 0 || name.len > 255) {
        hxe_buf_free(&name);
        return hxe_err_set(err, rc ? rc : HXE_EINVAL, "file name pattern gave no usable name");
    }
    snprintf(j->dir, sizeof j->dir, "%s", c->dir);
    int a = snprintf(j->final, sizeof j->final, "%s/%s", c->dir, name.p);
    int b = snprintf(j->tmp, sizeof j->tmp, "%s/.%s.tmp-%lld", c->dir, name.p, (long long)dl->id);
    hxe_buf_free(&name);
    if (a < 0 || b < 0 || (size_t)a >= sizeof j->final || (size_t)b >= sizeof j->tmp)
        return hxe_err_set(err, HXE_EINVAL, "file path too long");
    j->d = d;
    j->data = dl->content;
    j->len = dl->content_len;
    j->req.data = j;
    rc = uv_queue_work(&d->ch->run->loop, &j->req, file_work, file_after);
    if (rc)
        return hxe_err_set(err, HXE_EIO, "file: %s", uv_strerror(rc));
    f->busy = 1;
    return 0;
}

static void file_close(hxe_run_dest *d)
{
    file_dest *f = d->impl;
    if (!f)
        return;
    if (f->busy) {
        f->want_close = 1;
        return;
    }
    hxe_free(f);
    d->impl = NULL;
    hxe__run_dest_closed(d);
}

const run_dest_ops hxe__run_dest_file = {"file", file_open, file_send, NULL, file_close};

/* ===================== channel ===================== */

typedef struct handoff {
    run_pending base;
    hxe_run_dest *d;
    hxe_run_channel *target;
} handoff;

static int chan_open(hxe_run_dest *d, hxe_err *err)
{
    const hxe_dest_conf *c = d->conf;
    hxe_run *r = d->ch->run;
    if (c->channel_index >= r->nch)
        return hxe_err_set(err, HXE_EINVAL, "destination %s: no channel %s", c->name,
                           c->channel);
    d->impl = &r->ch[c->channel_index];
    return 0;
}

/* "h-" + 32 hex digits of SHA-256(idempotency key): deterministic, so a
 * redelivery finds the copy it made before. */
static void derived_corr(const char *key, char out[HXE_STORE_CORR_MAX + 1])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdn = 0;
    EVP_Digest(key, strlen(key), md, &mdn, EVP_sha256(), NULL);
    static const char hex[] = "0123456789abcdef";
    out[0] = 'h';
    out[1] = '-';
    for (unsigned i = 0; i < 16; i++) {
        out[2 + 2 * i] = hex[md[i] >> 4];
        out[3 + 2 * i] = hex[md[i] & 15];
    }
    out[34] = 0;
}

static void handoff_done(run_pending *base)
{
    handoff *h = (handoff *)base;
    hxe_run_dest *d = h->d;
    hxe_run_channel *t = h->target;
    if (base->rc == 0) {
        RUN_INC(t, stored);
        if (t->running) {
            hxe__run_process_kick(t);
            if (!hxe__run_has_process(t))
                for (size_t j = 0; j < t->ndests; j++)
                    hxe__run_dest_kick(&t->dests[j]);
        }
        char ref[32];
        snprintf(ref, sizeof ref, "message %lld", (long long)base->ref.id);
        hxe__run_dest_done(d, 1, ref, strlen(ref), NULL);
    } else {
        char reason[200];
        snprintf(reason, sizeof reason, "channel handoff not stored: %s", base->error);
        hxe__run_dest_done(d, 0, NULL, 0, reason);
    }
    hxe_free(h);
}

static int chan_send(hxe_run_dest *d, const run_delivery *dl, hxe_err *err)
{
    hxe_run *r = d->ch->run;
    hxe_run_channel *t = d->impl;
    char corr[HXE_STORE_CORR_MAX + 1];
    derived_corr(dl->idempotency_key ? dl->idempotency_key : "", corr);
    int64_t id = 0;
    hxe_err fe = {0};
    int rc = hxe_store_msg_find(r->qr, t->conf->tenant, corr, &id, &fe);
    if (rc == 0)
        return 1;   /* handed over before a crash: done */
    if (rc != HXE_ENOTFOUND) {
        *err = fe;
        return rc;
    }
    hxe_arena_reset(&r->scratch);
    hxe_hl7_msg *m = NULL;
    char type[64] = "", sender[256] = "", cid[200] = "", detail[160];
    if (hxe_hl7_parse(&m, &r->scratch, dl->content, dl->content_len, NULL, NULL, NULL) == 0) {
        hxe_config_msg_type(m, type, sizeof type);
        hxe_slice a = hxe_hl7_field(m, 0, 3), b = hxe_hl7_field(m, 0, 4);
        snprintf(sender, sizeof sender, "%.*s|%.*s", (int)(a.n > 120 ? 120 : a.n), a.p,
                 (int)(b.n > 120 ? 120 : b.n), b.p);
        hxe_slice s = hxe_hl7_field(m, 0, 10);
        snprintf(cid, sizeof cid, "%.*s", (int)(s.n > 190 ? 190 : s.n), s.p);
    }
    snprintf(detail, sizeof detail, "from channel %s, message %lld", d->ch->conf->name,
             (long long)dl->message_id);
    handoff *h = hxe_calloc(1, sizeof *h);
    if (!h)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    h->base.done = handoff_done;
    h->d = d;
    h->target = t;
    hxe_store_msg_in in = {0};
    in.tenant = t->conf->tenant;
    in.channel = t->conf->name;
    in.correlation_id = corr;
    in.control_id = cid[0] ? cid : NULL;
    in.sender = sender[0] ? sender : NULL;
    in.msg_type = type[0] ? type : NULL;
    in.content = dl->content;
    in.content_len = dl->content_len;
    in.destinations = (const char *const *)t->entry;
    in.ndestinations = t->nentry;
    in.event_detail = detail;
    RUN_INC(t, received);
    if ((rc = hxe__run_submit(r, &in, &h->base, err))) {
        hxe_free(h);
        return rc;
    }
    return 0;
}

static void chan_close(hxe_run_dest *d)
{
    d->impl = NULL;
    hxe__run_dest_closed(d);
}

const run_dest_ops hxe__run_dest_channel = {"channel", chan_open, chan_send, NULL, chan_close};

const run_dest_ops *hxe__run_dest_for(int type)
{
    switch (type) {
    case HXE_DEST_MLLP: return &hxe__run_dest_mllp;
    case HXE_DEST_FILE: return &hxe__run_dest_file;
    case HXE_DEST_CHANNEL: return &hxe__run_dest_channel;
    case HXE_DEST_HTTP: return &hxe__run_dest_http;
    default: return NULL;
    }
}
