/*
 * tls_testutil.h — certificates for TLS tests, made at run time with the
 * OpenSSL API: no key or certificate is ever committed.
 */
#ifndef HXE_TLS_TESTUTIL_H
#define HXE_TLS_TESTUTIL_H

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Writes DIR/NAME.key and DIR/NAME.pem: a P-256 key and a certificate for
 * cn (and subjectAltName san, e.g. "IP:127.0.0.1", when not NULL), a CA
 * when is_ca, signed by issuer/issuer_key (self-signed when NULL). The
 * caller frees *cert_out and *key_out. */
void tu_make_cert(const char *dir, const char *name, const char *cn, const char *san, int is_ca,
                  X509 *issuer, EVP_PKEY *issuer_key, X509 **cert_out, EVP_PKEY **key_out);

#endif
