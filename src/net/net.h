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

#endif
