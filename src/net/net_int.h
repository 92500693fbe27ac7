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

static inline uint64_t hxe__now_us(void) { return uv_hrtime() / 1000; }

#endif
