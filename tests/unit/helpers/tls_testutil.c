/*
 * tls_testutil.c — certificates for TLS tests (see tls_testutil.h).
 */
#include "helpers/testutil.h"
#include "helpers/tls_testutil.h"

#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdio.h>

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ex);
    X509_add_ext(cert, ex, -1);
    X509_EXTENSION_free(ex);
}

/* Makes key + certificate files NAME.key / NAME.pem; signed by the
 * issuer's key (self-signed when issuer is NULL). */
void tu_make_cert(const char *dir, const char *name, const char *cn, const char *san, int is_ca,
                  X509 *issuer, EVP_PKEY *issuer_key, X509 **cert_out, EVP_PKEY **key_out)
{
    static long serial = 1;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    assert_non_null(key);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
    X509_set_pubkey(x, key);
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
    X509 *signer = issuer ? issuer : x;
    if (is_ca) {
        add_ext(x, signer, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, signer, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, signer, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, signer, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    add_ext(x, signer, NID_subject_key_identifier, "hash");
    if (san)
        add_ext(x, signer, NID_subject_alt_name, san);
    assert_true(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    char fn[600];
    snprintf(fn, sizeof fn, "%s/%s.pem", dir, name);
    FILE *f = fopen(fn, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    snprintf(fn, sizeof fn, "%s/%s.key", dir, name);
    f = fopen(fn, "w");
    assert_non_null(f);
    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    *cert_out = x;
    *key_out = key;
}
