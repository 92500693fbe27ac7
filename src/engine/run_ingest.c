/*
 * run_ingest.c — one message from a source, up to its acknowledgment:
 * correlation id, parse, accept list, validation per the channel's
 * strictness, commit through the store's group-commit writer, and the ACK
 * once the writer says the message is durable (or a negative ACK when it
 * could not be stored). Duplicates are decided by the writer inside the
 * commit transaction, so two copies arriving together cannot both pass.
 *
 * What is answered at once, without storing anything (counted as
 * `rejected`, logged with the reason and the places of the problems):
 * - AR: the bytes cannot be read as HL7 v2, or the type is not accepted;
 * - AE/AR: validation `error` and the message has errors (AR when they
 *   are of the rejecting kind: MSH, unsupported type/version...).
 * A rejected message is not stored because the sender keeps it (a
 * negative ACK means "not taken") and because a stored copy would make
 * the corrected resend, which normally keeps its MSH-10, a duplicate.
 */
#include "engine/run_int.h"

#include <string.h>

typedef struct ingest_pending {
    run_pending base;
    hxe_run_channel *ch;
    const run_reply *rp;
    void *tok;
    char corr[HXE_STORE_CORR_MAX + 1];
    char *ack_ok, *ack_bad;       /* in the same block, after the struct */
    size_t ack_ok_len, ack_bad_len;
} ingest_pending;

static int ack_index(const char *ack, size_t n)
{
    /* MSA-1 of an ACK we built: find "\rMSA|" */
    static const char *const codes[HXE_RUN_NACKS] = {"AA", "AE", "AR", "CA", "CE", "CR"};
    for (size_t i = 0; i + 7 <= n; i++)
        if (ack[i] == '\r' && memcmp(ack + i + 1, "MSA", 3) == 0) {
            const char *c = ack + i + 5;
            for (int k = 0; k < HXE_RUN_NACKS; k++)
                if (c[0] == codes[k][0] && c[1] == codes[k][1])
                    return k;
        }
    return -1;
}

static void answer(hxe_run_channel *ch, const run_reply *rp, void *tok, const char *ack, size_t n)
{
    int k = ack_index(ack, n);
    if (k >= 0)
        atomic_fetch_add_explicit(&ch->count.acked[k], 1, memory_order_relaxed);
    rp->respond(tok, ack, n);
}

/* Builds the ACK. force: 0 (what the issues deserve) or 'A', 'E', 'R'.
 * When the message asks for no acknowledgment (enhanced mode NE...), an
 * MLLP peer still waits for an answer: we send one from the header. */
static int build_ack(const hxe_hl7_msg *m, const char *raw, size_t len, const hxe_issues *is,
                     int force, const char *text, hxe_buf *out)
{
    int kind = HXE_HL7_ACK_APPLICATION;
    if (m && hxe_hl7_field(m, 0, 15).n > 0)
        kind = HXE_HL7_ACK_ACCEPT;   /* we answer at commit: the accept level */
    hxe_hl7_ack_opts o = {kind, NULL, NULL, text, force};
    int rc = hxe_hl7_ack(m, raw, len, is, &o, out);
    if (rc == 1) {
        hxe_buf_truncate(out, 0);
        o.force_code = force ? force : 'A';
        rc = hxe_hl7_ack(NULL, raw, len, NULL, &o, out);
    }
    return rc < 0 ? rc : 0;
}

static void issue_places(const hxe_issues *is, char *buf, size_t size)
{
    /* "PID-7 102, MSH-9 200" — places and codes, never values */
    size_t o = 0;
    buf[0] = 0;
    for (size_t i = 0; i < is->n && o + 24 < size; i++) {
        const hxe_issue *it = &is->v[i];
        if (it->severity < HXE_SEV_ERROR)
            continue;
        int w = snprintf(buf + o, size - o, "%s%s-%u %u", o ? ", " : "",
                         it->loc.seg[0] ? it->loc.seg : "?", it->loc.field, it->code);
        if (w < 0 || (size_t)w >= size - o)
            break;
        o += (size_t)w;
    }
}

static void reject(hxe_run_channel *ch, const hxe_hl7_msg *m, const char *raw, size_t len,
                   const hxe_issues *is, int force, const char *reason, const char *corr,
                   const run_reply *rp, void *tok, const char *peer)
{
    hxe_buf ack = HXE_BUF_INIT;
    RUN_INC(ch, rejected);
    char places[256];
    issue_places(is, places, sizeof places);
    if (build_ack(m, raw, len, is, force, NULL, &ack) == 0 && ack.len) {
        answer(ch, rp, tok, ack.p, ack.len);
    } else {
        /* not even an AR could be built (out of memory): say nothing
         * rather than something wrong; the connection closes */
        rp->respond(tok, NULL, 0);
    }
    hxe_log(HXE_LOG_WARN, "rejected", HXE_LF_STR("tenant", ch->conf->tenant),
            HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("correlation_id", corr),
            HXE_LF_STR("reason", reason), HXE_LF_STR("issues", places),
            HXE_LF_INT("errors", is->errors), HXE_LF_STR("peer", peer ? peer : ""));
    hxe_buf_free(&ack);
}

static void ingest_done(run_pending *base)
{
    ingest_pending *p = (ingest_pending *)base;
    hxe_run_channel *ch = p->ch;
    if (base->rc == 0 && base->ref.duplicate) {
        RUN_INC(ch, duplicates);
        answer(ch, p->rp, p->tok, p->ack_ok, p->ack_ok_len);
        hxe_log(HXE_LOG_INFO, "duplicate", HXE_LF_STR("tenant", ch->conf->tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("correlation_id", p->corr),
                HXE_LF_INT("message_id", base->ref.id));
    } else if (base->rc == 0) {
        RUN_INC(ch, stored);
        answer(ch, p->rp, p->tok, p->ack_ok, p->ack_ok_len);
        hxe_log(HXE_LOG_DEBUG, "stored", HXE_LF_STR("tenant", ch->conf->tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("correlation_id", p->corr),
                HXE_LF_INT("message_id", base->ref.id));
        if (ch->running) {
            hxe__run_process_kick(ch);
            if (!hxe__run_has_process(ch))
                for (size_t j = 0; j < ch->ndests; j++)
                    hxe__run_dest_kick(&ch->dests[j]);
        }
    } else {
        RUN_INC(ch, store_failures);
        answer(ch, p->rp, p->tok, p->ack_bad, p->ack_bad_len);
        hxe_log(HXE_LOG_ERROR, "store_failed", HXE_LF_STR("tenant", ch->conf->tenant),
                HXE_LF_STR("channel", ch->conf->name), HXE_LF_STR("correlation_id", p->corr),
                HXE_LF_STR("error", base->error));
    }
    hxe_free(p);
}

/* "MSH-3|MSH-4" as written, for duplicate detection and the record. */
static void sender_of(const hxe_hl7_msg *m, char *buf, size_t size)
{
    hxe_slice a = hxe_hl7_field(m, 0, 3), b = hxe_hl7_field(m, 0, 4);
    snprintf(buf, size, "%.*s|%.*s", (int)(a.n > 120 ? 120 : a.n), a.p,
             (int)(b.n > 120 ? 120 : b.n), b.p);
}

void hxe__run_ingest(hxe_run_channel *ch, const char *msg, size_t len, const run_reply *rp,
                     void *tok, const char *peer)
{
    hxe_run *r = ch->run;
    const hxe_channel_conf *c = ch->conf;
    RUN_INC(ch, received);
    hxe_arena *a = &r->scratch;
    hxe_arena_reset(a);
    hxe_issues is = HXE_ISSUES_INIT;
    hxe_err e = {0};
    hxe_buf ok = HXE_BUF_INIT, bad = HXE_BUF_INIT;
    char corr[HXE_STORE_UUID_LEN + 1];
    if (hxe_store_uuid(corr, &e))
        snprintf(corr, sizeof corr, "%s", "");

    hxe_hl7_opts po = {c->source.max_message ? (size_t)c->source.max_message : 0, 0, 0};
    hxe_hl7_msg *m = NULL;
    if (hxe_hl7_parse(&m, a, msg, len, &po, &is, &e) != 0) {
        reject(ch, NULL, msg, len, &is, 'R', "unreadable", corr, rp, tok, peer);
        goto out;
    }
    char type[64];
    hxe_config_msg_type(m, type, sizeof type);
    if (!hxe_config_accepts(c, type, strlen(type))) {
        hxe_loc loc = hxe_loc_none();
        memcpy(loc.seg, "MSH", 4);
        loc.seg_pos = 1;
        loc.seg_seq = 1;
        loc.field = 9;
        hxe_issue *it = hxe_issues_add(&is, HXE_SEV_ERROR, HXE_HL7_ERR_UNSUPPORTED_TYPE, &loc,
                                       "message type not accepted by this channel");
        if (it)
            it->reject = 1;
        reject(ch, m, msg, len, &is, 'R', "type_not_accepted", corr, rp, tok, peer);
        goto out;
    }
    if (c->validation != HXE_VALIDATION_OFF) {
        hxe_hl7_validate_opts vo = {c->validation_version, 0};
        if (hxe_hl7_validate(m, &vo, &is) < 0) {
            reject(ch, m, msg, len, &is, 'E', "validator_failed", corr, rp, tok, peer);
            goto out;
        }
        int v = hxe_hl7_verdict(m, &is);
        if (c->validation == HXE_VALIDATION_ERROR && v != 'A') {
            reject(ch, m, msg, len, &is, v, "invalid", corr, rp, tok, peer);
            goto out;
        }
    }
    if (build_ack(m, msg, len, &is, 'A', NULL, &ok) ||
        build_ack(m, msg, len, &is, 'E', "message not stored, send it again", &bad)) {
        reject(ch, m, msg, len, &is, 'E', "out_of_memory", corr, rp, tok, peer);
        goto out;
    }

    ingest_pending *p = hxe_calloc(1, sizeof *p + ok.len + bad.len + 2);
    if (!p) {
        answer(ch, rp, tok, bad.p, bad.len);
        RUN_INC(ch, store_failures);
        goto out;
    }
    p->base.done = ingest_done;
    p->ch = ch;
    p->rp = rp;
    p->tok = tok;
    snprintf(p->corr, sizeof p->corr, "%s", corr);
    p->ack_ok = (char *)(p + 1);
    memcpy(p->ack_ok, ok.p, ok.len);
    p->ack_ok_len = ok.len;
    p->ack_bad = p->ack_ok + ok.len + 1;
    memcpy(p->ack_bad, bad.p, bad.len);
    p->ack_bad_len = bad.len;

    char sender[256], control[200], detail[96];
    sender_of(m, sender, sizeof sender);
    hxe_slice cid = hxe_hl7_field(m, 0, 10);
    snprintf(control, sizeof control, "%.*s", (int)(cid.n > 190 ? 190 : cid.n), cid.p);
    detail[0] = 0;
    if (c->validation != HXE_VALIDATION_OFF && is.n)
        snprintf(detail, sizeof detail, "validation: %zu errors, %zu issues", is.errors, is.n);
    uint64_t win = c->duplicate_window_ms ? (c->duplicate_window_ms + 999) / 1000 : 0;
    hxe_store_msg_in in = {0};
    in.tenant = c->tenant;
    in.channel = c->name;
    in.correlation_id = corr[0] ? corr : NULL;
    in.received_at = 0;
    in.control_id = control[0] ? control : NULL;
    in.sender = sender;
    in.msg_type = type[0] ? type : NULL;
    in.content = msg;
    in.content_len = len;
    in.destinations = (const char *const *)ch->entry;
    in.ndestinations = ch->nentry;
    in.event_detail = detail[0] ? detail : NULL;
    in.dup_window_s = win > UINT32_MAX ? UINT32_MAX : (uint32_t)win;
    if (hxe__run_submit(r, &in, &p->base, &e) != 0) {
        RUN_INC(ch, store_failures);
        answer(ch, rp, tok, p->ack_bad, p->ack_bad_len);
        hxe_log(HXE_LOG_ERROR, "store_failed", HXE_LF_STR("tenant", c->tenant),
                HXE_LF_STR("channel", c->name), HXE_LF_STR("correlation_id", corr),
                HXE_LF_STR("error", e.msg));
        hxe_free(p);
    }
out:
    hxe_buf_free(&ok);
    hxe_buf_free(&bad);
    hxe_issues_free(&is);
}
