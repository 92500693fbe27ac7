/*
 * net.h — the network layer: TLS contexts, one stream type (plain TCP or
 * TLS over libuv), MLLP framing, the MLLP listener and the MLLP sender.
 *
 * Everything runs on one libuv loop that the caller owns and runs. Every
 * function here must be called from that loop's thread; callbacks come
 * from it too. Objects are created with *_new and end with an asynchronous
 * *_close / *_stop whose callback is the last one they make; the library
 * frees them after that callback returns.
 *
 * Nothing here logs or reports message content: log lines and error texts
 * name connections (id, peer address), byte counts and reasons.
 */
#ifndef HXE_NET_H
#define HXE_NET_H

#include "base/base.h"

#include <uv.h>

/* ---- TLS ----
 * A context holds certificate, key and trust; every stream made with it
 * shares it. TLS 1.3 is the minimum unless min_version says 12. */
enum hxe_tls_role {
    HXE_TLS_SERVER = 0,
    HXE_TLS_CLIENT = 1
};

typedef struct hxe_tls_opts {
    const char *cert_file;   /* PEM certificate chain; required for servers */
    const char *key_file;    /* PEM private key (unencrypted) */
    const char *ca_file;     /* PEM CAs that peers are checked against; for a
                                client NULL means the system's CAs */
    int verify_client;       /* server: mutual TLS, a client certificate signed
                                by ca_file is required */
    int min_version;         /* 13 (default when 0) or 12 for old peers */
} hxe_tls_opts;

typedef struct hxe_tls_ctx hxe_tls_ctx;

int hxe_tls_new(hxe_tls_ctx **out, int role, const hxe_tls_opts *opts, hxe_err *err);
/* Streams already made keep working (they hold their own reference). */
void hxe_tls_free(hxe_tls_ctx *ctx);

/* ---- streams: TCP, optionally TLS (OpenSSL with memory BIOs) ---- */
enum hxe_net_close {
    HXE_NET_CLOSE_LOCAL = 0,   /* we closed it */
    HXE_NET_CLOSE_EOF = 1,     /* the peer closed it */
    HXE_NET_CLOSE_ERROR = 2,   /* a socket error */
    HXE_NET_CLOSE_TLS = 3,     /* TLS handshake, verification or record failure */
    HXE_NET_CLOSE_CONNECT = 4, /* could not resolve or connect */
    HXE_NET_CLOSE_TIMEOUT = 5  /* connect or TLS handshake took too long */
};
const char *hxe_net_close_name(int code);

typedef struct hxe_net_stream hxe_net_stream;

typedef struct hxe_net_stream_cbs {
    /* Connected streams: TCP connected and the TLS handshake done.
     * Accepted streams: called after a TLS handshake; a plain accepted
     * stream is open when hxe_net_accept returns and gets no call. May be NULL. */
    void (*on_open)(hxe_net_stream *s);
    /* Bytes received (decrypted). */
    void (*on_read)(hxe_net_stream *s, const char *p, size_t n);
    /* The last call: the stream is gone when it returns. reason is one line
     * without content ("connection reset by peer", a TLS alert...). */
    void (*on_close)(hxe_net_stream *s, int code, const char *reason);
} hxe_net_stream_cbs;

typedef struct hxe_net_stream_opts {
    hxe_net_stream_cbs cbs;
    void *data;                  /* hxe_net_stream_data() */
    const hxe_tls_ctx *tls;      /* NULL: plain TCP */
    const char *server_name;     /* client TLS: name or IP the server certificate
                                    must match; NULL: the host connected to */
    uint64_t open_timeout_ms;    /* connect + handshake; 0 = 10 s */
    uint64_t close_timeout_ms;   /* graceful close flushing; 0 = 5 s */
} hxe_net_stream_opts;

/* Accepts one connection from a listening libuv stream. */
int hxe_net_accept(hxe_net_stream **out, uv_stream_t *server, const hxe_net_stream_opts *opts,
                   hxe_err *err);
/* Starts connecting to host:port (an IP address or a name, resolved
 * asynchronously; IPv4 is preferred when a name has both). Failures
 * arrive later through on_close (HXE_NET_CLOSE_CONNECT/TLS/TIMEOUT). */
int hxe_net_connect(hxe_net_stream **out, uv_loop_t *loop, const char *host, int port,
                    const hxe_net_stream_opts *opts, hxe_err *err);
/* Queues bytes (copied) made of n parts. HXE_EIO when the stream is not open. */
int hxe_net_stream_write(hxe_net_stream *s, const hxe_slice *parts, size_t n);
/* graceful: stop reading, send what is queued (and a TLS close_notify),
 * then close, within close_timeout_ms. Otherwise close at once. Safe to
 * call more than once and from any callback of the stream. */
void hxe_net_stream_close(hxe_net_stream *s, int graceful);
void hxe_net_stream_pause(hxe_net_stream *s);   /* stop reading */
void hxe_net_stream_resume(hxe_net_stream *s);
int hxe_net_stream_is_open(const hxe_net_stream *s);
int hxe_net_stream_is_tls(const hxe_net_stream *s);
void *hxe_net_stream_data(const hxe_net_stream *s);
/* "ip:port" of the peer ("" before connecting). */
const char *hxe_net_stream_peer(const hxe_net_stream *s);
/* Bytes queued for writing and not yet taken by the kernel. */
size_t hxe_net_stream_queued(const hxe_net_stream *s);

/* ---- MLLP framing: 0x0B message 0x1C 0x0D ----
 * A resumable parser: feed it bytes as they arrive, in pieces of any
 * size; it calls back once per whole frame. Bytes outside a frame are
 * discarded and counted. A 0x0B inside a frame starts the frame again
 * (the partial one is counted as discarded); a 0x1C not followed by 0x0D
 * is content. A frame whose content would pass max fails the feed with
 * HXE_ETOOBIG and the framer stays failed: close the connection. */
#define HXE_MLLP_SB 0x0B
#define HXE_MLLP_EB 0x1C
#define HXE_MLLP_CR 0x0D
#define HXE_MLLP_MAX_MESSAGE_DEFAULT ((size_t)16 << 20)

/* Return 0 to go on; anything else stops the feed, which returns it. The
 * bytes are valid only during the call. */
typedef int (*hxe_mllp_frame_cb)(void *data, const char *p, size_t n);

typedef struct hxe_mllp_framer {
    /* read-only */
    uint64_t frames;       /* whole frames delivered */
    uint64_t discarded;    /* bytes outside frames (and of restarted frames) */
    uint64_t bytes;        /* bytes fed */
    /* private */
    hxe_buf buf;
    size_t max;
    int state;
    hxe_mllp_frame_cb cb;
    void *data;
} hxe_mllp_framer;

/* max: largest message content in bytes; 0 = HXE_MLLP_MAX_MESSAGE_DEFAULT */
void hxe_mllp_framer_init(hxe_mllp_framer *f, size_t max, hxe_mllp_frame_cb cb, void *data);
int hxe_mllp_framer_feed(hxe_mllp_framer *f, const char *p, size_t n, hxe_err *err);
/* Bytes of an unfinished frame held (0 between frames). */
size_t hxe_mllp_framer_pending(const hxe_mllp_framer *f);
/* Forgets an unfinished frame and a failure; counters stay. */
void hxe_mllp_framer_reset(hxe_mllp_framer *f);
void hxe_mllp_framer_free(hxe_mllp_framer *f);
/* Appends one framed message to out. */
int hxe_mllp_frame(hxe_buf *out, const char *msg, size_t n) HXE_WARN_UNUSED;

/* ---- MLLP listener ----
 * Accepts many persistent connections. Each whole frame is handed to the
 * engine as a request; the engine answers later (after its durable
 * commit) with hxe_mllp_respond, from the loop thread, in any order:
 * answers go out in the order the messages arrived on their connection.
 * A request stays valid until it is answered or discarded, even when its
 * connection or the whole listener is gone by then (the answer is then
 * dropped). Every request must be answered or discarded exactly once. */
typedef struct hxe_mllp_server hxe_mllp_server;
typedef struct hxe_mllp_req hxe_mllp_req;

typedef struct hxe_mllp_server_opts {
    const char *host;            /* address to bind; NULL = "127.0.0.1" */
    int port;                    /* 0 = any free port (see hxe_mllp_server_port) */
    int backlog;                 /* 0 = 128 */
    size_t max_message;          /* 0 = 16 MiB */
    unsigned max_connections;    /* 0 = 1024; more are accepted and closed at once */
    unsigned max_pending;        /* unanswered requests per connection before
                                    reading pauses; 0 = 64 */
    uint64_t idle_timeout_ms;    /* close a connection with nothing to do after
                                    this long; 0 = 300 s; UINT64_MAX = never */
    uint64_t handshake_timeout_ms;  /* TLS handshake; 0 = 10 s */
    const hxe_tls_ctx *tls;      /* NULL = plain TCP */
    const char *name;            /* for log lines; NULL = "mllp" */
} hxe_mllp_server_opts;

typedef struct hxe_mllp_server_stats {
    uint64_t connections;        /* accepted in total */
    uint64_t open;               /* open now */
    uint64_t refused;            /* closed at once: over max_connections or stopping */
    uint64_t frames;             /* messages handed to the engine */
    uint64_t bytes_in;           /* bytes received (after TLS) */
    uint64_t discarded;          /* bytes outside frames */
    uint64_t oversize;           /* connections closed for a frame over max_message */
    uint64_t tls_failures;       /* handshakes or TLS records that failed */
    uint64_t idle_closes;        /* connections closed by the idle timeout */
    uint64_t acks;               /* answers written */
    uint64_t dropped_answers;    /* answers for connections already gone */
} hxe_mllp_server_stats;

/* The engine's callback: one whole message; msg is valid during the call
 * only (copy it or commit it before returning). */
typedef void (*hxe_mllp_on_message)(hxe_mllp_server *srv, hxe_mllp_req *req, const char *msg,
                                    size_t len, void *data);

/* Binds and listens. HXE_EIO with err set when the address is unusable. */
int hxe_mllp_server_new(hxe_mllp_server **out, uv_loop_t *loop, const hxe_mllp_server_opts *opts,
                        hxe_mllp_on_message on_message, void *data, hxe_err *err);
int hxe_mllp_server_port(const hxe_mllp_server *srv);
void hxe_mllp_server_stats_get(const hxe_mllp_server *srv, hxe_mllp_server_stats *out);
/* Graceful stop: stop accepting and reading, let requests in flight be
 * answered for up to deadline_ms, then close every connection. on_stopped
 * (may be NULL) is the last call; the server is freed after it. */
void hxe_mllp_server_stop(hxe_mllp_server *srv, uint64_t deadline_ms,
                          void (*on_stopped)(hxe_mllp_server *srv, void *data), void *data);

/* Answers a request with ack (copied, framed here). Returns 0 when the
 * answer is queued, 1 when its connection is gone (nothing is sent and
 * nothing leaks), HXE_EINVAL for a NULL request. req is invalid after. */
int hxe_mllp_respond(hxe_mllp_req *req, const char *ack, size_t len);
/* Gives up a request without answering: its connection is closed (later
 * answers on it could not keep their order). req is invalid after. */
void hxe_mllp_discard(hxe_mllp_req *req);
/* Where a request came from, for logs and the store. */
uint64_t hxe_mllp_req_conn_id(const hxe_mllp_req *req);
uint64_t hxe_mllp_req_seq(const hxe_mllp_req *req);      /* 1-based on its connection */
const char *hxe_mllp_req_peer(const hxe_mllp_req *req);  /* "ip:port" */

/* ---- MLLP sender ----
 * Keeps one connection, sends one message at a time and waits for its
 * ACK. A failure (connect error, timeout, lost connection, an answer that
 * is not this message's ACK) closes the connection and the next connect
 * waits a backoff that doubles from backoff_min_ms to backoff_max_ms; a
 * good ACK resets it. After a timeout the connection is closed, so a late
 * ACK can never be taken for the next message's. */
typedef struct hxe_mllp_client hxe_mllp_client;

typedef struct hxe_mllp_client_opts {
    const char *host;            /* IP or name */
    int port;
    const hxe_tls_ctx *tls;      /* NULL = plain TCP */
    const char *server_name;     /* TLS: name the certificate must match; NULL = host */
    uint64_t ack_timeout_ms;     /* 0 = 30 s */
    uint64_t connect_timeout_ms; /* connect + handshake; 0 = 10 s */
    uint64_t backoff_min_ms;     /* 0 = 500 ms */
    uint64_t backoff_max_ms;     /* 0 = 30 s */
    size_t max_ack;              /* largest ACK accepted; 0 = 16 MiB */
} hxe_mllp_client_opts;

enum hxe_mllp_outcome {
    HXE_MLLP_ACCEPTED = 0,   /* MSA-1 AA or CA */
    HXE_MLLP_NEGATIVE = 1,   /* MSA-1 AE, AR, CE or CR (see code) */
    HXE_MLLP_TIMEOUT = 2,    /* no ACK within ack_timeout_ms */
    HXE_MLLP_CONN_ERROR = 3, /* could not connect, or the connection was lost */
    HXE_MLLP_BAD_ACK = 4,    /* an answer that is not an ACK of this message */
    HXE_MLLP_CANCELLED = 5   /* the client was closed first */
};
const char *hxe_mllp_outcome_name(int outcome);

typedef struct hxe_mllp_result {
    int outcome;             /* enum hxe_mllp_outcome */
    char code[3];            /* MSA-1 as received ("AA".."CR"), "" when none */
    const char *ack;         /* the ACK bytes (unframed), valid during the call */
    size_t ack_len;
    uint64_t latency_us;     /* from writing the message to its answer or failure */
    const char *reason;      /* one line for failures, "" otherwise; no content */
} hxe_mllp_result;

typedef void (*hxe_mllp_send_cb)(hxe_mllp_client *c, const hxe_mllp_result *r, void *data);

typedef struct hxe_mllp_client_stats {
    uint64_t connects;           /* connections opened */
    uint64_t connect_failures;
    uint64_t sent;               /* messages written */
    uint64_t acks;               /* ACKs matched to their message */
    uint64_t timeouts;
    uint64_t unexpected;         /* frames received when no message waited */
} hxe_mllp_client_stats;

int hxe_mllp_client_new(hxe_mllp_client **out, uv_loop_t *loop, const hxe_mllp_client_opts *opts,
                        hxe_err *err);
/* Sends one message (copied); cb reports the outcome exactly once, never
 * from inside this call. HXE_EINVAL when a send is still in flight or the
 * client is closing. MSA-2 of the answer must match this message's MSH-10
 * when the message has one. */
int hxe_mllp_client_send(hxe_mllp_client *c, const char *msg, size_t len, hxe_mllp_send_cb cb,
                         void *data, hxe_err *err);
int hxe_mllp_client_busy(const hxe_mllp_client *c);
void hxe_mllp_client_stats_get(const hxe_mllp_client *c, hxe_mllp_client_stats *out);
/* Closes the connection; a send in flight reports HXE_MLLP_CANCELLED.
 * on_closed (may be NULL) is the last call; the client is freed after. */
void hxe_mllp_client_close(hxe_mllp_client *c, void (*on_closed)(hxe_mllp_client *c, void *data),
                           void *data);

/* ======================================================================
 * HTTP/1.1 (http_server.c, http_client.c; docs/http.md)
 * ====================================================================== */

/* A header as received or to send. Names compare case-insensitively. */
typedef struct hxe_http_header {
    hxe_slice name;
    hxe_slice value;
} hxe_http_header;

/* The first header called name (case-insensitive) among n; 1 when found
 * (value in *out), 0 when absent (*out empty). */
int hxe_http_header_find(const hxe_http_header *h, size_t n, const char *name, hxe_slice *out);

/* ---- HTTP server ----
 * Requests are parsed with http-parser (keep-alive, pipelining, chunked
 * bodies) and handed to the engine one by one; the engine answers later
 * (after its durable commit, from the loop thread) with hxe_http_respond,
 * in any order: responses go out in the order the requests arrived on
 * their connection. The server answers bad requests itself (400, 413,
 * 431, 408) and then closes that connection. A request handle follows the
 * MLLP listener's rules: it stays valid until answered or discarded, even
 * when its connection or the whole server is gone (the answer is then
 * dropped); every request must be answered or discarded exactly once. */
typedef struct hxe_http_server hxe_http_server;
typedef struct hxe_http_req hxe_http_req;

#define HXE_HTTP_MAX_BODY_DEFAULT ((size_t)16 << 20)

typedef struct hxe_http_server_opts {
    const char *host;              /* address to bind; NULL = "127.0.0.1" */
    int port;                      /* 0 = any free port (hxe_http_server_port) */
    int backlog;                   /* 0 = 128 */
    size_t max_header_size;        /* request line + headers, bytes; 0 = 64 KiB;
                                      over it: 431 */
    unsigned max_headers;          /* header fields per request; 0 = 100; over: 431 */
    size_t max_body;               /* body bytes (after de-chunking); 0 = 16 MiB;
                                      over it: 413 */
    unsigned max_connections;      /* 0 = 1024; more are accepted and closed at once */
    unsigned max_pending;          /* unanswered requests per connection before
                                      parsing and reading pause; 0 = 16 */
    uint64_t idle_timeout_ms;      /* a keep-alive connection with no request in
                                      progress and none unanswered is closed;
                                      0 = 60 s; UINT64_MAX = never */
    uint64_t request_timeout_ms;   /* first byte to last byte of one request;
                                      over it: 408; 0 = 30 s; UINT64_MAX = never */
    uint64_t handshake_timeout_ms; /* TLS handshake; 0 = 10 s */
    const hxe_tls_ctx *tls;        /* NULL = plain TCP */
    const char *name;              /* for log lines; NULL = "http" */
} hxe_http_server_opts;

typedef struct hxe_http_server_stats {
    uint64_t connections;          /* accepted in total */
    uint64_t open;                 /* open now */
    uint64_t refused;              /* closed at once: over max_connections or stopping */
    uint64_t requests;             /* handed to the engine */
    uint64_t bytes_in;             /* received (after TLS) */
    uint64_t bad_requests;         /* answered 400 by the server */
    uint64_t too_large;            /* answered 413 */
    uint64_t header_too_large;     /* answered 431 */
    uint64_t timeouts;             /* answered 408 */
    uint64_t idle_closes;          /* closed by the idle timeout */
    uint64_t tls_failures;         /* handshakes or TLS records that failed */
    uint64_t responses;            /* responses written (the server's own included) */
    uint64_t dropped_responses;    /* answers for connections already gone */
} hxe_http_server_stats;

/* What the engine sees of a request. Every pointer stays valid until the
 * request is answered or discarded. Nothing is decoded: path and query
 * are the bytes sent. */
typedef struct hxe_http_request {
    const char *method;            /* "GET", "POST", "PUT", ... */
    hxe_slice target;              /* as sent: "/fhir/Patient?_id=1" */
    hxe_slice path;                /* "/fhir/Patient" */
    hxe_slice query;               /* "_id=1" (no '?'); empty when none */
    const hxe_http_header *headers;
    size_t n_headers;
    hxe_slice body;                /* whole body, de-chunked; NUL-terminated */
    int version_minor;             /* HTTP/1.x */
    int keep_alive;                /* 0: the connection closes after the response */
    uint64_t conn_id;              /* for logs and the store */
    uint64_t seq;                  /* 1-based on its connection */
    const char *peer;              /* "ip:port" */
} hxe_http_request;

typedef void (*hxe_http_on_request)(hxe_http_server *srv, hxe_http_req *req,
                                    const hxe_http_request *r, void *data);

/* Binds and listens. HXE_EIO with err set when the address is unusable. */
int hxe_http_server_new(hxe_http_server **out, uv_loop_t *loop, const hxe_http_server_opts *opts,
                        hxe_http_on_request on_request, void *data, hxe_err *err);
int hxe_http_server_port(const hxe_http_server *srv);
void hxe_http_server_stats_get(const hxe_http_server *srv, hxe_http_server_stats *out);
/* Graceful stop, as hxe_mllp_server_stop: stop accepting and reading, let
 * requests in flight be answered for up to deadline_ms, then close every
 * connection. on_stopped (may be NULL) is the last call. */
void hxe_http_server_stop(hxe_http_server *srv, uint64_t deadline_ms,
                          void (*on_stopped)(hxe_http_server *srv, void *data), void *data);

/* The request behind a handle (also after its connection is gone). */
const hxe_http_request *hxe_http_req_get(const hxe_http_req *req);
/* Answers a request: status 200..599, headers (copied; Content-Length,
 * Transfer-Encoding, Connection and Date are the server's and refused
 * here), body (copied; not sent for HEAD, 204 and 304). Returns 0 when
 * queued, 1 when the connection is gone (nothing sent, req freed),
 * HXE_EINVAL for a NULL request, a bad status or a header with bytes that
 * cannot be sent (CR, LF, NUL; a name that is not a token) — then nothing
 * happened and req is still valid. Otherwise req is invalid after. */
int hxe_http_respond(hxe_http_req *req, int status, const hxe_http_header *headers, size_t n,
                     const char *body, size_t len);
/* Gives up a request without answering: its connection is closed (later
 * responses on it could not keep their order). req is invalid after. */
void hxe_http_discard(hxe_http_req *req);
/* The reason phrase of a status ("Not Found"; "" when unknown). */
const char *hxe_http_status_text(int status);

/* ---- HTTP client (libcurl multi interface on the libuv loop) ----
 * Many requests at once; connections are kept and reused per host. */
typedef struct hxe_http_client hxe_http_client;

typedef struct hxe_http_client_opts {
    const char *ca_file;           /* PEM CAs that servers are verified against;
                                      NULL = the system's */
    const char *cert_file;         /* client certificate (mutual TLS), PEM */
    const char *key_file;          /* its key, PEM, unencrypted */
    int tls_min_version;           /* 12 (default when 0) or 13 */
    uint64_t connect_timeout_ms;   /* connect + TLS handshake; 0 = 10 s */
    uint64_t timeout_ms;           /* whole request; 0 = 30 s */
    size_t max_response;           /* response body; 0 = 16 MiB; over: TOO_BIG */
    unsigned max_connections;      /* kept in total; 0 = 64 */
    unsigned max_host_connections; /* at once per host; 0 = 8 */
    const char *user_agent;        /* NULL = "hxe/<version>" */
} hxe_http_client_opts;

/* One request. Everything is copied by hxe_http_client_send. */
typedef struct hxe_http_call {
    const char *method;            /* NULL = "POST"; "PUT", "GET", "DELETE", ... */
    const char *url;               /* http:// or https:// */
    const hxe_http_header *headers;/* e.g. Content-Type, Idempotency-Key */
    size_t n_headers;
    const char *body;
    size_t body_len;
    uint64_t timeout_ms;           /* 0 = the client's */
} hxe_http_call;

enum hxe_http_outcome {
    HXE_HTTP_RESPONSE = 0,         /* a response came: see status */
    HXE_HTTP_CONNECT_ERROR = 1,    /* could not resolve or connect (refused, unreachable) */
    HXE_HTTP_TIMEOUT = 2,          /* connect or whole-request timeout */
    HXE_HTTP_TLS_ERROR = 3,        /* handshake or certificate verification failed */
    HXE_HTTP_IO_ERROR = 4,         /* connection lost, no or malformed response */
    HXE_HTTP_TOO_BIG = 5,          /* response body over max_response */
    HXE_HTTP_CANCELLED = 6,        /* the client was closed first */
    HXE_HTTP_ERROR = 7             /* anything else (bad URL, out of memory) */
};
const char *hxe_http_outcome_name(int outcome);

typedef struct hxe_http_result {
    int outcome;                   /* enum hxe_http_outcome */
    int status;                    /* HTTP status with HXE_HTTP_RESPONSE, else 0 */
    const char *body;              /* valid during the callback; NUL-terminated */
    size_t body_len;
    const hxe_http_header *headers;/* of the final response; valid during the callback */
    size_t n_headers;
    int reused;                    /* 1: went over a connection kept from before */
    uint64_t latency_us;           /* from send to completion */
    const char *reason;            /* one line for failures, "" otherwise; no content */
} hxe_http_result;

/* A hint for retry policies: 1 for failures a later attempt may cure
 * (connect errors, timeouts, lost connections, 408, 425, 429, 5xx except
 * 501 and 505), 0 for success, TLS failures, other 4xx and TOO_BIG. */
int hxe_http_result_retryable(const hxe_http_result *r);

typedef void (*hxe_http_done_cb)(hxe_http_client *c, const hxe_http_result *r, void *data);

typedef struct hxe_http_client_stats {
    uint64_t sent;                 /* requests started */
    uint64_t responses;            /* completed with a response (any status) */
    uint64_t failures;             /* completed without one */
    uint64_t connects;             /* new connections made */
    uint64_t active;               /* in flight now */
} hxe_http_client_stats;

int hxe_http_client_new(hxe_http_client **out, uv_loop_t *loop, const hxe_http_client_opts *opts,
                        hxe_err *err);
/* Starts one request; cb reports its outcome exactly once, never from
 * inside this call. HXE_EINVAL for a missing or non-HTTP URL, a header
 * with CR/LF/NUL, or a client that is closing. */
int hxe_http_client_send(hxe_http_client *c, const hxe_http_call *call, hxe_http_done_cb cb,
                         void *data, hxe_err *err);
void hxe_http_client_stats_get(const hxe_http_client *c, hxe_http_client_stats *out);
/* Cancels what is in flight (each reports HXE_HTTP_CANCELLED, from inside
 * this call), closes the kept connections; on_closed (may be NULL) is the
 * last call; the client is freed after. */
void hxe_http_client_close(hxe_http_client *c, void (*on_closed)(hxe_http_client *c, void *data),
                           void *data);

#endif
