/*
 * run_http_src.c — the HTTP POST source kind: a net.h HTTP server per
 * channel (host, port, path, tls, max_message as the largest body). Each
 * request body is one HL7 v2 message and goes through hxe__run_ingest,
 * the same path as MLLP: parse, accept list, validation, duplicates, and
 * the durable commit before the answer.
 *
 * The answer is the HL7 ACK as the body (x-application/hl7-v2+er7) with
 * a status that says what happened:
 *   200  AA/CA: committed (or a duplicate of a committed message)
 *   400  AR: unreadable, type not accepted, or a rejecting validation error
 *   422  AE: validation failed (validation: error)
 *   503  not stored (the store could not commit): the ACK is an AE saying
 *        so, with Retry-After: 1. Never 200 unless committed.
 * Before ingesting, the request itself is checked: another path is 404, a
 * method other than POST 405, a Content-Type that is not HL7 or text 415,
 * an empty body 400, and a body holding more than one message 400 (one
 * request is one message with one ACK: a batch would need one answer per
 * message, which HTTP cannot give). Oversize bodies are the server's 413.
 *
 * Which answer a negative ACK is: hxe__run_ingest answers a rejected
 * message inside the call (and counts it as `rejected`); everything that
 * went to the store is answered later. So an answer given during the call
 * with the rejected counter moved is a reject, and any other negative
 * answer is a store failure.
 */
#include "engine/run_int.h"

#include <string.h>
#include <strings.h>

typedef struct http_src {
    hxe_http_server *srv;
    int port;
} http_src;

/* One request in flight through the ingest path. */
typedef struct http_tok {
    hxe_http_req *req;
    hxe_run_channel *ch;
    int in_call;
    int *answered;               /* the caller's flag while in the call */
    uint64_t rejected_before;
} http_tok;

static const char hl7_type[] = "x-application/hl7-v2+er7";

void hxe__run_msa1(const char *ack, size_t n, char code[3])
{
    code[0] = code[1] = code[2] = 0;
    for (size_t i = 0; ack && i + 7 <= n; i++)
        if ((i == 0 || ack[i - 1] == '\r' || ack[i - 1] == '\n') &&
            memcmp(ack + i, "MSA", 3) == 0) {
            code[0] = ack[i + 4];
            code[1] = ack[i + 5];
            return;
        }
}

static void plain(hxe_http_req *req, int status, const char *text)
{
    hxe_http_header h[2] = {{{"Content-Type", 12}, {"text/plain", 10}},
                            {{"Allow", 5}, {"POST", 4}}};
    size_t nh = status == 405 ? 2 : 1;
    hxe_http_respond(req, status, h, nh, text, strlen(text));
}

static void respond(void *tok, const char *ack, size_t len)
{
    http_tok *t = tok;
    hxe_run_channel *ch = t->ch;
    char code[3];
    hxe__run_msa1(ack, len, code);
    int rejected = t->in_call &&
                   atomic_load_explicit(&ch->count.rejected, memory_order_relaxed) !=
                       t->rejected_before;
    int status;
    if (!ack)
        status = 503;
    else if (code[0] && code[1] == 'A')
        status = 200;
    else if (rejected)
        status = code[1] == 'E' ? 422 : 400;
    else
        status = 503;
    if (!ack) {
        hxe_http_header h[2] = {{{"Content-Type", 12}, {"text/plain", 10}},
                                {{"Retry-After", 11}, {"1", 1}}};
        static const char msg[] = "message not stored, send it again\n";
        hxe_http_respond(t->req, status, h, 2, msg, sizeof msg - 1);
    } else {
        hxe_http_header h[2] = {{{"Content-Type", 12}, {hl7_type, sizeof hl7_type - 1}},
                                {{"Retry-After", 11}, {"1", 1}}};
        hxe_http_respond(t->req, status, h, status == 503 ? 2 : 1, ack, len);
    }
    if (t->answered)
        *t->answered = 1;
    hxe_free(t);
}

static const run_reply http_reply = {respond};

static int type_ok(const hxe_http_request *r)
{
    hxe_slice v;
    if (!hxe_http_header_find(r->headers, r->n_headers, "Content-Type", &v))
        return 1;   /* none: take the body as HL7 */
    size_t n = 0;
    while (n < v.n && v.p[n] != ';')
        n++;
    while (n > 0 && (v.p[n - 1] == ' ' || v.p[n - 1] == '\t'))
        n--;
    static const char *const ok[] = {hl7_type, "application/hl7-v2", "application/hl7-v2+er7",
                                     "text/plain"};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        if (strlen(ok[i]) == n && strncasecmp(v.p, ok[i], n) == 0)
            return 1;
    return 0;
}

/* Messages in the body (a reader over it; junk is left for the parser
 * to refuse). Stops counting at 2. */
static size_t count_messages(const char *p, size_t n)
{
    hxe_hl7_reader rd;
    hxe_hl7_reader_init(&rd, p, n, NULL);
    hxe_slice u;
    int kind;
    size_t k = 0;
    while (k < 2 && (kind = hxe_hl7_reader_next(&rd, &u, NULL)) != HXE_HL7_UNIT_END)
        if (kind == HXE_HL7_UNIT_MESSAGE)
            k++;
    return k;
}

static void on_request(hxe_http_server *srv, hxe_http_req *req, const hxe_http_request *r,
                       void *data)
{
    (void)srv;
    hxe_run_channel *ch = data;
    const char *want = ch->conf->source.http_path ? ch->conf->source.http_path : "/";
    if (r->path.n != strlen(want) || memcmp(r->path.p, want, r->path.n) != 0) {
        plain(req, 404, "no HL7 endpoint here\n");
        return;
    }
    if (strcmp(r->method, "POST") != 0) {
        plain(req, 405, "POST one HL7 v2 message\n");
        return;
    }
    if (!type_ok(r)) {
        plain(req, 415, "Content-Type must be x-application/hl7-v2+er7 or text/plain\n");
        return;
    }
    if (r->body.n == 0) {
        plain(req, 400, "empty body: POST one HL7 v2 message\n");
        return;
    }
    if (count_messages(r->body.p, r->body.n) > 1) {
        plain(req, 400, "more than one message in the body: POST one message per request\n");
        return;
    }
    http_tok *t = hxe_calloc(1, sizeof *t);
    if (!t) {
        plain(req, 503, "out of memory\n");
        return;
    }
    t->req = req;
    t->ch = ch;
    t->in_call = 1;
    t->rejected_before = atomic_load_explicit(&ch->count.rejected, memory_order_relaxed);
    int answered = 0;
    t->answered = &answered;
    hxe__run_ingest(ch, r->body.p, r->body.n, &http_reply, t, r->peer);
    /* answered inside the call: t is gone; otherwise the store has the
     * message and the answer comes later, outside any call */
    if (!answered) {
        t->in_call = 0;
        t->answered = NULL;
    }
}

static int start(hxe_run_channel *ch, hxe_err *err)
{
    const hxe_source_conf *s = &ch->conf->source;
    http_src *h = hxe_calloc(1, sizeof *h);
    if (!h)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    int rc;
    if (s->tls.enabled && !ch->tls) {
        hxe_tls_opts t = {s->tls.cert, s->tls.key, s->tls.ca, s->tls.require_client_cert, 0};
        if ((rc = hxe_tls_new(&ch->tls, HXE_TLS_SERVER, &t, err))) {
            hxe_free(h);
            return rc;
        }
    }
    hxe_http_server_opts o = {0};
    o.host = s->host;
    o.port = s->port;
    o.max_body = (size_t)s->max_message;
    o.max_connections = s->max_connections;
    o.idle_timeout_ms = s->idle_timeout_ms;
    o.tls = ch->tls;
    o.name = ch->conf->name;
    if ((rc = hxe_http_server_new(&h->srv, &ch->run->loop, &o, on_request, ch, err))) {
        hxe_free(h);
        return rc;
    }
    h->port = hxe_http_server_port(h->srv);
    ch->src_impl = h;
    return 0;
}

static void on_stopped(hxe_http_server *srv, void *data)
{
    hxe_run_channel *ch = data;
    http_src *h = ch->src_impl;
    hxe_http_server_stats st;
    hxe_http_server_stats_get(srv, &st);
    hxe_log(HXE_LOG_INFO, "source_stopped", HXE_LF_STR("tenant", ch->conf->tenant),
            HXE_LF_STR("channel", ch->conf->name), HXE_LF_INT("connections", st.connections),
            HXE_LF_INT("requests", st.requests), HXE_LF_INT("bad_requests", st.bad_requests),
            HXE_LF_INT("too_large", st.too_large), HXE_LF_INT("tls_failures", st.tls_failures),
            HXE_LF_INT("dropped_responses", st.dropped_responses));
    hxe_free(h);
    ch->src_impl = NULL;
    hxe__run_source_stopped(ch);
}

static void stop(hxe_run_channel *ch, uint64_t deadline_ms)
{
    http_src *h = ch->src_impl;
    if (!h || !h->srv)
        return;
    hxe_http_server *srv = h->srv;
    h->srv = NULL;
    hxe_http_server_stop(srv, deadline_ms, on_stopped, ch);
}

static int port(const hxe_run_channel *ch)
{
    const http_src *h = ch->src_impl;
    return h ? h->port : 0;
}

const run_source_ops hxe__run_source_http = {"http", start, stop, port};
