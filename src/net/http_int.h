/*
 * http_int.h — what the HTTP files of net/ share and nobody else sees
 * (the fuzz target reads it too): the resumable request reader that wraps
 * http-parser with hxe's limits.
 *
 * The reader is a cursor in the shape of the MLLP framer: feed it bytes in
 * pieces of any size; it stops after each whole request (so the server
 * decides when to read the next one: pipelining, backpressure) and after
 * the headers of a request that expects "100 Continue". A failure carries
 * the status the server answers with (400, 413, 431) and the reader stays
 * failed: the connection cannot be resynchronised.
 */
#ifndef HXE_HTTP_INT_H
#define HXE_HTTP_INT_H

#include "net/net_int.h"

#include <http_parser.h>

typedef struct hxe__http_limits {
    size_t max_header_size;    /* bytes of request line + headers (+ trailers) */
    unsigned max_headers;
    size_t max_body;
} hxe__http_limits;

enum hxe__http_feed {
    HXE__HTTP_MORE = 0,        /* every byte taken, no request finished */
    HXE__HTTP_REQUEST = 1,     /* a whole request: take it with _take */
    HXE__HTTP_CONTINUE = 2,    /* headers of a request with Expect: 100-continue */
    HXE__HTTP_FAILED = 3       /* see status and why; stays failed */
};

/* Offsets into data while a request is gathered (data may move). */
typedef struct hxe__http_hoff {
    size_t name, name_len, value, value_len;
} hxe__http_hoff;

typedef struct hxe__http_reader {
    http_parser p;
    hxe__http_limits lim;
    int state;                 /* private: between, headers, body, failed */
    int last_value;            /* the last header piece was a value */
    int field_open;            /* the last call ended inside a header name */
    int continue_sent;
    size_t hdr_bytes;          /* header bytes of the current request so far */
    uint64_t started_us;       /* when its first byte came; 0 = between requests */
    /* the request gathered: target, then header names and values, then body */
    hxe_buf data;
    size_t target_len;
    size_t body_off;
    hxe__http_hoff *hdr;
    size_t n_hdr, cap_hdr;
    int done_keep_alive;       /* of the request just finished */
    int upgrade;               /* it asked for another protocol (or CONNECT) */
    /* after HXE__HTTP_FAILED */
    int status;                /* 400, 413 or 431 */
    char why[120];             /* one line, no content */
} hxe__http_reader;

/* A whole request, owned by the caller after _take (free with _msg_free). */
typedef struct hxe__http_msg {
    hxe_http_request r;        /* points into data and headers */
    hxe_buf data;
    hxe_http_header *headers;
    char method[16];
} hxe__http_msg;

void hxe__http_reader_init(hxe__http_reader *rd, const hxe__http_limits *lim);
void hxe__http_reader_free(hxe__http_reader *rd);
/* Feeds up to n bytes; *used says how many were taken (all of them with
 * HXE__HTTP_MORE; up to the end of the request with HXE__HTTP_REQUEST;
 * feed the rest again after taking it). */
int hxe__http_reader_feed(hxe__http_reader *rd, const char *p, size_t n, size_t *used);
/* After HXE__HTTP_REQUEST: moves the request out; HXE_ENOMEM or 0. */
int hxe__http_reader_take(hxe__http_reader *rd, hxe__http_msg *out);
/* 1 when part of a request has been read (bytes since the last one). */
static inline int hxe__http_reader_busy(const hxe__http_reader *rd) { return rd->started_us != 0; }
void hxe__http_msg_free(hxe__http_msg *m);

/* Header bytes that may be sent: a token name, a value without CR, LF or NUL. */
int hxe__http_header_ok(hxe_slice name, hxe_slice value);

#endif
