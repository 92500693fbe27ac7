/*
 * http_parse.c — the HTTP/1.1 request reader: http-parser (Debian's
 * libhttp-parser) driven with hxe's limits (header size and count, body
 * size, chunked bodies), resumable across reads, plus header helpers and
 * status texts. The server (http_server.c) feeds it one connection's
 * bytes; see http_int.h for the contract.
 */
#include "net/http_int.h"

#include <string.h>
#include <strings.h>

enum { RD_BETWEEN = 0, RD_HEADERS, RD_BODY, RD_FAILED };
enum { EV_NONE = 0, EV_HEADERS, EV_COMPLETE };

/* The reader is reached from http-parser's callbacks through p.data; the
 * event of one execute call is kept here, beside it. */
typedef struct rd_ctx {
    hxe__http_reader *rd;
    int event;
    int expect;
    const char *chunk;        /* the bytes given to this execute call */
    const char *field_end;    /* where the last header-name piece ended */
} rd_ctx;

static int rd_fail(hxe__http_reader *rd, int status, const char *why)
{
    if (rd->state != RD_FAILED) {
        rd->state = RD_FAILED;
        rd->status = status;
        snprintf(rd->why, sizeof rd->why, "%s", why);
    }
    return -1;
}

static int rd_append(hxe__http_reader *rd, const char *at, size_t len)
{
    if (hxe_buf_append(&rd->data, at, len))
        return rd_fail(rd, 503, "out of memory");
    return 0;
}

static int cb_begin(http_parser *p)
{
    hxe__http_reader *rd = ((rd_ctx *)p->data)->rd;
    hxe_buf_truncate(&rd->data, 0);
    rd->target_len = 0;
    rd->n_hdr = 0;
    rd->last_value = 1;
    rd->continue_sent = 0;
    rd->state = RD_HEADERS;
    return 0;
}

static int cb_url(http_parser *p, const char *at, size_t len)
{
    hxe__http_reader *rd = ((rd_ctx *)p->data)->rd;
    rd->target_len += len;
    return rd_append(rd, at, len);
}

static int cb_field(http_parser *p, const char *at, size_t len)
{
    rd_ctx *x = p->data;
    hxe__http_reader *rd = x->rd;
    if (rd->state == RD_BODY)   /* trailers: bounded by http-parser, not kept */
        return 0;
    /* A name continues only across a feed boundary: http-parser reports
     * the piece it has at the end of one call and the rest at the start
     * of the next. Two names in a row otherwise mean the first header's
     * value was empty (and not reported). */
    int cont = !rd->last_value && rd->field_open && at == x->chunk;
    x->field_end = at + len;
    if (!cont) {
        /* one name past the limit is kept: the count is checked when its
         * value starts, so a name that turns out malformed fails the same
         * way (400) however the bytes were cut */
        if (rd->n_hdr > rd->lim.max_headers)
            return rd_fail(rd, 431, "too many header fields");
        if (rd->n_hdr == rd->cap_hdr) {
            size_t cap = rd->cap_hdr ? rd->cap_hdr * 2 : 16;
            hxe__http_hoff *h = hxe_realloc(rd->hdr, cap * sizeof *h);
            if (!h)
                return rd_fail(rd, 503, "out of memory");
            rd->hdr = h;
            rd->cap_hdr = cap;
        }
        hxe__http_hoff *h = &rd->hdr[rd->n_hdr++];
        h->name = rd->data.len;
        h->name_len = 0;
        h->value = rd->data.len;
        h->value_len = 0;
        rd->last_value = 0;
    }
    rd->hdr[rd->n_hdr - 1].name_len += len;
    return rd_append(rd, at, len);
}

static int cb_value(http_parser *p, const char *at, size_t len)
{
    hxe__http_reader *rd = ((rd_ctx *)p->data)->rd;
    if (rd->state == RD_BODY || !rd->n_hdr)
        return 0;
    hxe__http_hoff *h = &rd->hdr[rd->n_hdr - 1];
    if (!rd->last_value) {
        if (rd->n_hdr > rd->lim.max_headers)
            return rd_fail(rd, 431, "too many header fields");
        h->value = rd->data.len;
        h->value_len = 0;
        rd->last_value = 1;
    }
    h->value_len += len;
    return rd_append(rd, at, len);
}

static int cb_headers_done(http_parser *p)
{
    rd_ctx *x = p->data;
    hxe__http_reader *rd = x->rd;
    if (rd->n_hdr > rd->lim.max_headers)
        return rd_fail(rd, 431, "too many header fields");
    if ((p->flags & F_CONTENTLENGTH) && p->content_length > rd->lim.max_body)
        return rd_fail(rd, 413, "declared body over the limit");
    rd->body_off = rd->data.len;
    rd->state = RD_BODY;
    if ((p->flags & F_CONTENTLENGTH) && p->content_length &&
        hxe_buf_reserve(&rd->data, (size_t)p->content_length))
        return rd_fail(rd, 503, "out of memory");
    for (size_t i = 0; i < rd->n_hdr; i++) {
        const hxe__http_hoff *h = &rd->hdr[i];
        if (h->name_len == 6 && !strncasecmp(rd->data.p + h->name, "expect", 6) &&
            h->value_len == 12 && !strncasecmp(rd->data.p + h->value, "100-continue", 12))
            x->expect = (p->flags & F_CHUNKED) || p->content_length > 0;
    }
    x->event = EV_HEADERS;
    http_parser_pause(p, 1);
    return 0;
}

static int cb_body(http_parser *p, const char *at, size_t len)
{
    hxe__http_reader *rd = ((rd_ctx *)p->data)->rd;
    if (rd->data.len - rd->body_off + len > rd->lim.max_body)
        return rd_fail(rd, 413, "body over the limit");
    return rd_append(rd, at, len);
}

static int cb_complete(http_parser *p)
{
    rd_ctx *x = p->data;
    x->rd->done_keep_alive = http_should_keep_alive(p);
    x->event = EV_COMPLETE;
    http_parser_pause(p, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = cb_begin,
    .on_url = cb_url,
    .on_header_field = cb_field,
    .on_header_value = cb_value,
    .on_headers_complete = cb_headers_done,
    .on_body = cb_body,
    .on_message_complete = cb_complete,
};

void hxe__http_reader_init(hxe__http_reader *rd, const hxe__http_limits *lim)
{
    memset(rd, 0, sizeof *rd);
    rd->lim = *lim;
    http_parser_init(&rd->p, HTTP_REQUEST);
    hxe_buf_init(&rd->data, lim->max_header_size + lim->max_body + 64);
}

void hxe__http_reader_free(hxe__http_reader *rd)
{
    hxe_buf_free(&rd->data);
    hxe_free(rd->hdr);
    rd->hdr = NULL;
    rd->n_hdr = rd->cap_hdr = 0;
}

int hxe__http_reader_feed(hxe__http_reader *rd, const char *p, size_t n, size_t *used)
{
    *used = 0;
    while (*used < n) {
        if (rd->state == RD_FAILED)
            return HXE__HTTP_FAILED;
        size_t chunk = n - *used;
        int in_head = rd->state != RD_BODY;
        if (in_head && chunk > rd->lim.max_header_size - rd->hdr_bytes + 1)
            chunk = rd->lim.max_header_size - rd->hdr_bytes + 1;
        if (!rd->started_us)
            rd->started_us = hxe__now_us() | 1;
        rd_ctx x = {rd, EV_NONE, 0, p + *used, NULL};
        rd->p.data = &x;
        size_t got = http_parser_execute(&rd->p, &settings, p + *used, chunk);
        rd->p.data = NULL;
        rd->field_open = !rd->last_value && x.field_end == p + *used + got;
        *used += got;
        if (in_head)
            rd->hdr_bytes += got;
        enum http_errno e = HTTP_PARSER_ERRNO(&rd->p);
        if (rd->state == RD_FAILED)
            return HXE__HTTP_FAILED;
        if (e == HPE_PAUSED) {
            http_parser_pause(&rd->p, 0);
            if (x.event == EV_COMPLETE) {
                rd->upgrade = rd->p.upgrade;
                rd->state = RD_BETWEEN;
                rd->hdr_bytes = 0;
                rd->started_us = 0;
                return HXE__HTTP_REQUEST;
            }
            if (x.event == EV_HEADERS && x.expect && !rd->continue_sent) {
                rd->continue_sent = 1;
                return HXE__HTTP_CONTINUE;
            }
            continue;
        }
        if (e != HPE_OK) {
            char why[120];
            snprintf(why, sizeof why, "bad request: %s", http_errno_description(e));
            rd_fail(rd, e == HPE_HEADER_OVERFLOW ? 431 : 400, why);
            return HXE__HTTP_FAILED;
        }
        if (rd->state != RD_BODY && rd->hdr_bytes > rd->lim.max_header_size) {
            rd_fail(rd, 431, "request line and headers over the limit");
            return HXE__HTTP_FAILED;
        }
        if (got < chunk) {   /* http-parser stopped without saying why */
            rd_fail(rd, 400, "bad request: parser stopped");
            return HXE__HTTP_FAILED;
        }
    }
    return rd->state == RD_FAILED ? HXE__HTTP_FAILED : HXE__HTTP_MORE;
}

/* path and query of a request target: origin form "/p?q", absolute form
 * "http://host/p?q" (path from the first '/' after the authority), "*". */
static void split_target(hxe_slice t, hxe_slice *path, hxe_slice *query)
{
    size_t start = 0, end = t.n;
    if (t.n && t.p[0] != '/') {
        const char *s = memchr(t.p, ':', t.n);
        if (s && (size_t)(s - t.p) + 3 <= t.n && s[1] == '/' && s[2] == '/') {
            size_t i = (size_t)(s - t.p) + 3;
            while (i < t.n && t.p[i] != '/' && t.p[i] != '?' && t.p[i] != '#')
                i++;
            start = i;
        }
    }
    const char *h = memchr(t.p + start, '#', t.n - start);
    if (h)
        end = (size_t)(h - t.p);
    const char *q = memchr(t.p + start, '?', end - start);
    size_t pend = q ? (size_t)(q - t.p) : end;
    *path = hxe_slice_of(t.p + start, pend - start);
    *query = q ? hxe_slice_of(q + 1, end - pend - 1) : hxe_slice_of(t.p + end, 0);
}

int hxe__http_reader_take(hxe__http_reader *rd, hxe__http_msg *m)
{
    memset(m, 0, sizeof *m);
    if (rd->n_hdr) {
        m->headers = hxe_malloc(rd->n_hdr * sizeof *m->headers);
        if (!m->headers)
            return HXE_ENOMEM;
    }
    if (hxe_buf_reserve(&rd->data, 1)) {
        hxe_free(m->headers);
        m->headers = NULL;
        return HXE_ENOMEM;
    }
    m->data = rd->data;
    hxe_buf_init(&rd->data, rd->lim.max_header_size + rd->lim.max_body + 64);
    const char *d = m->data.p;
    for (size_t i = 0; i < rd->n_hdr; i++) {
        m->headers[i].name = hxe_slice_of(d + rd->hdr[i].name, rd->hdr[i].name_len);
        m->headers[i].value = hxe_slice_of(d + rd->hdr[i].value, rd->hdr[i].value_len);
    }
    snprintf(m->method, sizeof m->method, "%s", http_method_str((enum http_method)rd->p.method));
    hxe_http_request *r = &m->r;
    r->method = m->method;
    r->target = hxe_slice_of(d, rd->target_len);
    split_target(r->target, &r->path, &r->query);
    r->headers = m->headers;
    r->n_headers = rd->n_hdr;
    r->body = hxe_slice_of(d + rd->body_off, m->data.len - rd->body_off);
    r->version_minor = rd->p.http_minor;
    r->keep_alive = rd->done_keep_alive && !rd->upgrade;
    rd->n_hdr = 0;
    return 0;
}

void hxe__http_msg_free(hxe__http_msg *m)
{
    hxe_buf_free(&m->data);
    hxe_free(m->headers);
    m->headers = NULL;
}

int hxe__http_header_ok(hxe_slice name, hxe_slice value)
{
    static const char tchar[] = "!#$%&'*+-.^_`|~";
    if (!name.n)
        return 0;
    for (size_t i = 0; i < name.n; i++) {
        unsigned char ch = (unsigned char)name.p[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              (ch && strchr(tchar, ch))))
            return 0;
    }
    for (size_t i = 0; i < value.n; i++)
        if (value.p[i] == '\r' || value.p[i] == '\n' || value.p[i] == '\0')
            return 0;
    return 1;
}

int hxe_http_header_find(const hxe_http_header *h, size_t n, const char *name, hxe_slice *out)
{
    size_t len = name ? strlen(name) : 0;
    for (size_t i = 0; h && i < n; i++)
        if (h[i].name.n == len && !strncasecmp(h[i].name.p, name, len)) {
            if (out)
                *out = h[i].value;
            return 1;
        }
    if (out)
        *out = hxe_slice_of("", 0);
    return 0;
}

const char *hxe_http_status_text(int status)
{
    if (status < 100 || status > 599)
        return "";
    const char *s = http_status_str((enum http_status)status);
    return s && s[0] != '<' ? s : "";
}
