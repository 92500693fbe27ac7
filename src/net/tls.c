/*
 * tls.c — TLS contexts: certificate, key and trust for servers and
 * clients, TLS 1.3 by default (1.2 on request for old peers).
 *
 * A server may require client certificates (mutual TLS) signed by its CA
 * file. A client always verifies the server: against the CA file, or the
 * system's CAs, and (per stream, see stream.c) the host name or IP.
 */
#include "net/net_int.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

void hxe__tls_reason(SSL *ssl, char *buf, size_t size)
{
    unsigned long e = ERR_peek_last_error();
    buf[0] = '\0';
    if (ssl) {
        long v = SSL_get_verify_result(ssl);
        if (v != X509_V_OK) {
            snprintf(buf, size, "certificate verification failed: %s",
                     X509_verify_cert_error_string(v));
            ERR_clear_error();
            return;
        }
    }
    if (e) {
        char tmp[200];
        ERR_error_string_n(e, tmp, sizeof tmp);
        const char *r = ERR_reason_error_string(e);
        snprintf(buf, size, "%s", r ? r : tmp);
    } else {
        snprintf(buf, size, "TLS failure");
    }
    ERR_clear_error();
}

static int fail(hxe_tls_ctx *c, hxe_err *err, const char *what, const char *file)
{
    char why[200];
    hxe__tls_reason(NULL, why, sizeof why);
    SSL_CTX_free(c->ctx);
    hxe_free(c);
    return hxe_err_set(err, HXE_EINVAL, "TLS: %s%s%s: %s", what, file ? " " : "", file ? file : "",
                       why);
}

int hxe_tls_new(hxe_tls_ctx **out, int role, const hxe_tls_opts *o, hxe_err *err)
{
    static const hxe_tls_opts none;
    if (!o)
        o = &none;
    *out = NULL;
    if (role != HXE_TLS_SERVER && role != HXE_TLS_CLIENT)
        return hxe_err_set(err, HXE_EINVAL, "TLS: unknown role %d", role);
    if (o->min_version && o->min_version != 12 && o->min_version != 13)
        return hxe_err_set(err, HXE_EINVAL, "TLS: min_version must be 12 or 13, not %d",
                           o->min_version);
    if (role == HXE_TLS_SERVER && (!o->cert_file || !o->key_file))
        return hxe_err_set(err, HXE_EINVAL, "TLS: a server needs a certificate and a key");
    if (o->verify_client && (role != HXE_TLS_SERVER || !o->ca_file))
        return hxe_err_set(err, HXE_EINVAL, "TLS: mutual TLS needs a server with a CA file");
    if ((o->cert_file != NULL) != (o->key_file != NULL))
        return hxe_err_set(err, HXE_EINVAL, "TLS: a certificate needs its key and a key its certificate");

    hxe_tls_ctx *c = hxe_calloc(1, sizeof *c);
    if (!c)
        return hxe_err_set(err, HXE_ENOMEM, "TLS: out of memory");
    c->role = role;
    ERR_clear_error();
    c->ctx = SSL_CTX_new(role == HXE_TLS_SERVER ? TLS_server_method() : TLS_client_method());
    if (!c->ctx)
        return fail(c, err, "cannot create a context", NULL);
    SSL_CTX_set_min_proto_version(c->ctx, o->min_version == 12 ? TLS1_2_VERSION : TLS1_3_VERSION);
    SSL_CTX_set_options(c->ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    if (o->cert_file) {
        if (SSL_CTX_use_certificate_chain_file(c->ctx, o->cert_file) != 1)
            return fail(c, err, "cannot load the certificate", o->cert_file);
        if (SSL_CTX_use_PrivateKey_file(c->ctx, o->key_file, SSL_FILETYPE_PEM) != 1)
            return fail(c, err, "cannot load the key", o->key_file);
        if (SSL_CTX_check_private_key(c->ctx) != 1)
            return fail(c, err, "the key does not match the certificate", o->key_file);
    }
    if (o->ca_file) {
        if (SSL_CTX_load_verify_locations(c->ctx, o->ca_file, NULL) != 1)
            return fail(c, err, "cannot load the CA file", o->ca_file);
    } else if (role == HXE_TLS_CLIENT) {
        if (SSL_CTX_set_default_verify_paths(c->ctx) != 1)
            return fail(c, err, "cannot load the system CAs", NULL);
    }
    if (role == HXE_TLS_SERVER) {
        /* no session tickets: nothing to resume across restarts anyway,
         * and each handshake stays one round trip of plain messages */
        SSL_CTX_set_num_tickets(c->ctx, 0);
        SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
        if (o->verify_client) {
            STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(o->ca_file);
            if (!names)
                return fail(c, err, "cannot read CA names from", o->ca_file);
            SSL_CTX_set_client_CA_list(c->ctx, names);
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        } else {
            SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
        }
    } else {
        SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    }
    *out = c;
    return 0;
}

void hxe_tls_free(hxe_tls_ctx *c)
{
    if (!c)
        return;
    SSL_CTX_free(c->ctx);
    hxe_free(c);
}
