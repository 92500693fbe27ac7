/*
 * run_dest_http.c — the HTTP destination kind: each delivery is POSTed
 * (or PUT, `method: PUT`)
 * (net.h HTTP client, libcurl on the runtime's loop) to the destination's
 * url with the configured headers, Content-Type
 * x-application/hl7-v2+er7 unless the headers give one, and
 * `Idempotency-Key: <the store's idempotency key>` — the same key on
 * every attempt of one delivery, so a receiver can drop the copy a retry
 * makes after a lost response.
 *
 * Outcomes:
 * - 2xx: sent. The response body (at most 64 KiB of it) is kept as the
 *   delivery's RESPONSE content version.
 * - 408, 425, 429, 5xx except 501/505, and every failure without a
 *   response (connect error, timeout, TLS, lost connection, a response
 *   over 1 MiB): failed, retried by the retry policy. A Retry-After
 *   header (seconds or an HTTP date) makes the next attempt wait at least
 *   that long, capped by retry.max_interval.
 * - Any other status (other 4xx, 501, 505, 1xx/3xx left over): permanent,
 *   dead at once whatever attempts are left — the same request would get
 *   the same answer, and a dead letter is what an operator looks at.
 *
 * TLS: `tls.ca` is the trust (else the system's), `tls.cert` + `tls.key`
 * a client certificate. Header values may be secrets: never logged.
 */
#include "engine/run_int.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define HTTP_DEST_MAX_RESPONSE ((size_t)1 << 20)
#define HTTP_DEST_KEEP_RESPONSE ((size_t)64 << 10)

typedef struct http_dest {
    hxe_http_client *c;
    hxe_http_header *hdrs;       /* config headers + ours; ours filled per send */
    size_t nh;
    int has_ctype;
    int busy, closing, closed;
} http_dest;

static const char hl7_type[] = "x-application/hl7-v2+er7";

static int hopen(hxe_run_dest *d, hxe_err *err)
{
    const hxe_dest_conf *c = d->conf;
    http_dest *h = hxe_calloc(1, sizeof *h);
    if (!h)
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    h->hdrs = hxe_calloc(c->nheaders + 2, sizeof *h->hdrs);
    if (!h->hdrs) {
        hxe_free(h);
        return hxe_err_set(err, HXE_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < c->nheaders; i++) {
        const char *n = c->headers[i].name, *v = c->headers[i].value ? c->headers[i].value : "";
        if (strcasecmp(n, "Idempotency-Key") == 0)
            continue;   /* ours: the store's key */
        if (strcasecmp(n, "Content-Type") == 0)
            h->has_ctype = 1;
        h->hdrs[h->nh++] = (hxe_http_header){{n, strlen(n)}, {v, strlen(v)}};
    }
    hxe_http_client_opts o = {0};
    o.ca_file = c->tls.ca;
    o.cert_file = c->tls.cert;
    o.key_file = c->tls.key;
    o.connect_timeout_ms = c->connect_timeout_ms;
    o.timeout_ms = c->timeout_ms;
    o.max_response = HTTP_DEST_MAX_RESPONSE;
    o.max_host_connections = 1;   /* one delivery in flight per destination */
    int rc = hxe_http_client_new(&h->c, &d->ch->run->loop, &o, err);
    if (rc) {
        hxe_free(h->hdrs);
        hxe_free(h);
        return rc;
    }
    d->impl = h;
    return 0;
}

/* Retry-After as milliseconds from now; 0 when absent or unreadable. */
static uint64_t retry_after_ms(const hxe_http_result *res)
{
    hxe_slice v;
    if (!hxe_http_header_find(res->headers, res->n_headers, "Retry-After", &v) || v.n == 0 ||
        v.n > 64)
        return 0;
    char buf[65];
    memcpy(buf, v.p, v.n);
    buf[v.n] = 0;
    size_t i = 0;
    while (buf[i] == ' ')
        i++;
    if (buf[i] >= '0' && buf[i] <= '9') {
        uint64_t s = 0;
        for (; buf[i] >= '0' && buf[i] <= '9'; i++)
            if ((s = s * 10 + (uint64_t)(buf[i] - '0')) > 86400)
                s = 86400;   /* a day is more than any cap */
        return s * 1000;
    }
    time_t t = curl_getdate(buf, NULL);
    if (t <= 0)
        return 0;
    int64_t ms = (int64_t)t * 1000 - (int64_t)hxe__run_now();
    return ms > 0 ? (uint64_t)ms : 0;
}

static void finish(hxe_run_dest *d)
{
    http_dest *h = d->impl;
    h->busy = 0;
    if (d->state == RUN_DEST_CLOSING && !h->closing) {
        h->closing = 1;
        hxe_http_client_close(h->c, NULL, NULL);
        hxe_free(h->hdrs);
        hxe_free(h);
        d->impl = NULL;
        hxe__run_dest_closed(d);
    }
}

static void on_done(hxe_http_client *c, const hxe_http_result *res, void *data)
{
    (void)c;
    hxe_run_dest *d = data;
    http_dest *h = d->impl;
    char reason[220];
    if (res->outcome == HXE_HTTP_RESPONSE && res->status >= 200 && res->status < 300) {
        size_t n = res->body_len > HTTP_DEST_KEEP_RESPONSE ? HTTP_DEST_KEEP_RESPONSE
                                                           : res->body_len;
        h->busy = 2;   /* done() may close us: finish() below decides */
        hxe__run_dest_done(d, 1, res->body, n, NULL);
    } else {
        if (res->outcome == HXE_HTTP_RESPONSE) {
            int again = hxe_http_result_retryable(res);
            d->permanent = !again;
            d->retry_after_ms = again ? retry_after_ms(res) : 0;
            snprintf(reason, sizeof reason, "http %d%s", res->status,
                     again ? "" : " (permanent)");
        } else {
            snprintf(reason, sizeof reason, "http %s%s%s", hxe_http_outcome_name(res->outcome),
                     res->reason && res->reason[0] ? ": " : "", res->reason ? res->reason : "");
        }
        h->busy = 2;
        hxe__run_dest_done(d, 0, NULL, 0, reason);
    }
    finish(d);
}

static int hsend(hxe_run_dest *d, const run_delivery *dl, hxe_err *err)
{
    http_dest *h = d->impl;
    if (!h || h->closing)
        return hxe_err_set(err, HXE_EIO, "http sender closed");
    size_t n = h->nh;
    const char *key = dl->idempotency_key ? dl->idempotency_key : "";
    h->hdrs[n++] = (hxe_http_header){{"Idempotency-Key", 15}, {key, strlen(key)}};
    if (!h->has_ctype)
        h->hdrs[n++] = (hxe_http_header){{"Content-Type", 12}, {hl7_type, sizeof hl7_type - 1}};
    hxe_http_call call = {d->conf->method == 1 ? "PUT" : "POST", d->conf->url, h->hdrs, n, dl->content, dl->content_len, 0};
    int rc = hxe_http_client_send(h->c, &call, on_done, d, err);
    if (rc == 0)
        h->busy = 1;
    return rc;
}

/* Shutdown deadline: the request in flight ends now (reported as
 * cancelled, a failure the next start retries). */
static void hcancel(hxe_run_dest *d)
{
    http_dest *h = d->impl;
    if (h && !h->closing && h->busy == 1) {
        h->closing = 1;
        hxe_http_client_close(h->c, NULL, NULL);
        h->closed = 1;
    }
}

static void hclose(hxe_run_dest *d)
{
    http_dest *h = d->impl;
    if (!h)
        return;
    if (h->busy == 2)
        return;   /* inside on_done: finish() closes */
    if (!h->closing)
        hxe_http_client_close(h->c, NULL, NULL);
    h->closing = 1;
    hxe_free(h->hdrs);
    hxe_free(h);
    d->impl = NULL;
    hxe__run_dest_closed(d);
}

const run_dest_ops hxe__run_dest_http = {"http", hopen, hsend, hcancel, hclose};
