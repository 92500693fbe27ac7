/*
 * net_int.h — what the files of net/ share and nobody else sees: the TLS
 * context's inside and small time helpers.
 */
#ifndef HXE_NET_INT_H
#define HXE_NET_INT_H

#include "net/net.h"

#include <openssl/ssl.h>

struct hxe_tls_ctx {
    SSL_CTX *ctx;
    int role;            /* enum hxe_tls_role */
};

/* One line naming the latest OpenSSL failure (and a certificate
 * verification result when ssl is given and verification failed). */
void hxe__tls_reason(SSL *ssl, char *buf, size_t size);

/* Binds tcp (initialised by the caller) to host:port (IPv4 or IPv6
 * literal) and listens; *port_out gets the port bound (for port 0).
 * Returns 0, or a libuv error with *what saying why. */
int hxe__net_listen(uv_tcp_t *tcp, const char *host, int port, int backlog,
                    uv_connection_cb on_connection, int *port_out, const char **what);

static inline uint64_t hxe__now_us(void) { return uv_hrtime() / 1000; }

#endif
