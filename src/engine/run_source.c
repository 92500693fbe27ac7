/*
 * run_source.c — the MLLP source kind: a net.h listener per channel with
 * the channel's limits (max message, connections, idle timeout) and TLS
 * (mutual when require_client_cert). Each frame goes to hxe__run_ingest;
 * the answer goes back with hxe_mllp_respond, which keeps the order of
 * messages on their connection whatever order the commits finish in.
 *
 * The other source kinds (HTTP POST in run_http_src.c, the directory
 * poller in run_dir_src.c) implement run_source_ops the same way: hand
 * bytes to hxe__run_ingest with a run_reply that answers in their own
 * protocol. hxe__run_source_for picks the kind of a channel.
 */
#include "engine/run_int.h"

typedef struct mllp_src {
    hxe_mllp_server *srv;
    int port;
} mllp_src;

static void respond(void *tok, const char *ack, size_t len)
{
    hxe_mllp_req *req = tok;
    if (!ack)
        hxe_mllp_discard(req);
    else
        hxe_mllp_respond(req, ack, len);
}

static const run_reply mllp_reply = {respond};

static void on_message(hxe_mllp_server *srv, hxe_mllp_req *req, const char *msg, size_t len,
                       void *data)
{
    (void)srv;
    hxe_run_channel *ch = data;
    hxe__run_ingest(ch, msg, len, &mllp_reply, req, hxe_mllp_req_peer(req));
}

static int start(hxe_run_channel *ch, hxe_err *err)
{
    const hxe_source_conf *s = &ch->conf->source;
    mllp_src *m = hxe_calloc(1, sizeof *m);
    if (!m)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    int rc;
    if (s->tls.enabled && !ch->tls) {
        hxe_tls_opts t = {s->tls.cert, s->tls.key, s->tls.ca, s->tls.require_client_cert, 0};
        if ((rc = hxe_tls_new(&ch->tls, HXE_TLS_SERVER, &t, err))) {
            hxe_free(m);
            return rc;
        }
    }
    hxe_mllp_server_opts o = {0};
    o.host = s->host;
    o.port = s->port;
    o.max_message = (size_t)s->max_message;
    o.max_connections = s->max_connections;
    o.idle_timeout_ms = s->idle_timeout_ms;
    o.tls = ch->tls;
    o.name = ch->conf->name;
    if ((rc = hxe_mllp_server_new(&m->srv, &ch->run->loop, &o, on_message, ch, err))) {
        hxe_free(m);
        return rc;
    }
    m->port = hxe_mllp_server_port(m->srv);
    ch->src_impl = m;
    return 0;
}

static void on_stopped(hxe_mllp_server *srv, void *data)
{
    (void)srv;
    hxe_run_channel *ch = data;
    mllp_src *m = ch->src_impl;
    hxe_mllp_server_stats st;
    hxe_mllp_server_stats_get(srv, &st);
    hxe_log(HXE_LOG_INFO, "source_stopped", HXE_LF_STR("tenant", ch->conf->tenant),
            HXE_LF_STR("channel", ch->conf->name), HXE_LF_INT("connections", st.connections),
            HXE_LF_INT("frames", st.frames), HXE_LF_INT("discarded_bytes", st.discarded),
            HXE_LF_INT("oversize", st.oversize), HXE_LF_INT("tls_failures", st.tls_failures),
            HXE_LF_INT("dropped_answers", st.dropped_answers));
    hxe_free(m);
    ch->src_impl = NULL;
    hxe__run_source_stopped(ch);
}

static void stop(hxe_run_channel *ch, uint64_t deadline_ms)
{
    mllp_src *m = ch->src_impl;
    if (!m || !m->srv)
        return;
    hxe_mllp_server *srv = m->srv;
    m->srv = NULL;
    hxe_mllp_server_stop(srv, deadline_ms, on_stopped, ch);
}

static int port(const hxe_run_channel *ch)
{
    const mllp_src *m = ch->src_impl;
    return m ? m->port : 0;
}

const run_source_ops hxe__run_source_mllp = {"mllp", start, stop, port};

const run_source_ops *hxe__run_source_for(int type)
{
    switch (type) {
    case HXE_SOURCE_MLLP: return &hxe__run_source_mllp;
    case HXE_SOURCE_HTTP: return &hxe__run_source_http;
    case HXE_SOURCE_DIRECTORY: return &hxe__run_source_dir;
    default: return NULL;
    }
}
