/*
 * uuid.c — the UUID v5 (RFC 9562: SHA-1 of a namespace and a name) that
 * every fullUrl and the Bundle id are, so that the same message gives the
 * same Bundle. SHA-1 (FIPS 180-4) is written out here: a Bundle has
 * dozens of entries, and OpenSSL's EVP interface allocated and looked the
 * digest up for each one, a tenth of a conversion. The state can be
 * copied, so the message key is hashed once (cv.keyh) and each entry adds
 * its own part.
 */
#include "convert/internal.h"

#include <string.h>

/* hxe's UUID v5 namespace for v2 -> FHIR (a fixed random v4 UUID) */
static const unsigned char ns_v2fhir[16] = {0x6c, 0x1e, 0x4b, 0x8a, 0x2f, 0x53, 0x4d, 0x0e,
                                            0x9a, 0x71, 0x3c, 0x52, 0xe8, 0x0b, 0x94, 0x2d};

static uint32_t rol(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

/* The 80 rounds written out in the usual way (as in Steve Reid's public
 * domain SHA-1): a 16-word rolling schedule and the five variables
 * renamed instead of moved, so the compiler keeps everything in
 * registers. Two blocks are hashed per entry; the plain loop cost twice
 * as much. */
#define SHA1_W(i) (w[(i) & 15] = rol(w[((i) + 13) & 15] ^ w[((i) + 8) & 15] ^ \
                                     w[((i) + 2) & 15] ^ w[(i) & 15], 1))
#define SHA1_R0(v, x, y, z, u, i) \
    u += ((x & (y ^ z)) ^ z) + w[i] + 0x5a827999 + rol(v, 5); x = rol(x, 30);
#define SHA1_R1(v, x, y, z, u, i) \
    u += ((x & (y ^ z)) ^ z) + SHA1_W(i) + 0x5a827999 + rol(v, 5); x = rol(x, 30);
#define SHA1_R2(v, x, y, z, u, i) \
    u += (x ^ y ^ z) + SHA1_W(i) + 0x6ed9eba1 + rol(v, 5); x = rol(x, 30);
#define SHA1_R3(v, x, y, z, u, i) \
    u += (((x | y) & z) | (x & y)) + SHA1_W(i) + 0x8f1bbcdc + rol(v, 5); x = rol(x, 30);
#define SHA1_R4(v, x, y, z, u, i) \
    u += (x ^ y ^ z) + SHA1_W(i) + 0xca62c1d6 + rol(v, 5); x = rol(x, 30);
/* five rounds, the variables turning one place each time */
#define SHA1_5(R, i) \
    R(a, b, c, d, e, (i)) R(e, a, b, c, d, (i) + 1) R(d, e, a, b, c, (i) + 2) \
    R(c, d, e, a, b, (i) + 3) R(b, c, d, e, a, (i) + 4)

static void sha1_block(cv_sha1 *s, const unsigned char *p)
{
    uint32_t w[16], a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3], e = s->h[4];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    SHA1_5(SHA1_R0, 0) SHA1_5(SHA1_R0, 5) SHA1_5(SHA1_R0, 10)
    SHA1_R0(a, b, c, d, e, 15) SHA1_R1(e, a, b, c, d, 16) SHA1_R1(d, e, a, b, c, 17)
    SHA1_R1(c, d, e, a, b, 18) SHA1_R1(b, c, d, e, a, 19)
    SHA1_5(SHA1_R2, 20) SHA1_5(SHA1_R2, 25) SHA1_5(SHA1_R2, 30) SHA1_5(SHA1_R2, 35)
    SHA1_5(SHA1_R3, 40) SHA1_5(SHA1_R3, 45) SHA1_5(SHA1_R3, 50) SHA1_5(SHA1_R3, 55)
    SHA1_5(SHA1_R4, 60) SHA1_5(SHA1_R4, 65) SHA1_5(SHA1_R4, 70) SHA1_5(SHA1_R4, 75)
    s->h[0] += a;
    s->h[1] += b;
    s->h[2] += c;
    s->h[3] += d;
    s->h[4] += e;
}

void cv_sha1_update(cv_sha1 *s, const void *data, size_t n)
{
    const unsigned char *p = data;
    s->bits += (uint64_t)n * 8;
    while (n > 0) {
        size_t k = 64 - s->nbuf < n ? 64 - s->nbuf : n;
        memcpy(s->buf + s->nbuf, p, k);
        s->nbuf += k;
        p += k;
        n -= k;
        if (s->nbuf == 64) {
            sha1_block(s, s->buf);
            s->nbuf = 0;
        }
    }
}

void cv_uuid5_start(cv_sha1 *s)
{
    static const uint32_t h0[5] = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};
    memcpy(s->h, h0, sizeof h0);
    s->nbuf = 0;
    s->bits = 0;
    cv_sha1_update(s, ns_v2fhir, sizeof ns_v2fhir);
}

static void sha1_final(cv_sha1 *s, unsigned char out[20])
{
    uint64_t bits = s->bits;
    s->buf[s->nbuf++] = 0x80;
    if (s->nbuf > 56) {
        memset(s->buf + s->nbuf, 0, 64 - s->nbuf);
        sha1_block(s, s->buf);
        s->nbuf = 0;
    }
    memset(s->buf + s->nbuf, 0, 56 - s->nbuf);
    for (int i = 0; i < 8; i++)
        s->buf[56 + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha1_block(s, s->buf);
    for (int i = 0; i < 5; i++) {
        out[4 * i] = (unsigned char)(s->h[i] >> 24);
        out[4 * i + 1] = (unsigned char)(s->h[i] >> 16);
        out[4 * i + 2] = (unsigned char)(s->h[i] >> 8);
        out[4 * i + 3] = (unsigned char)s->h[i];
    }
}

/* the UUID v5 of the state s (namespace and name so far) */
void cv_uuid5_of(cv_sha1 *s, char *out)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char h[20];
    sha1_final(s, h);
    h[6] = (unsigned char)((h[6] & 0x0f) | 0x50);
    h[8] = (unsigned char)((h[8] & 0x3f) | 0x80);
    memcpy(out, "urn:uuid:", 9);
    char *o = out + 9;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *o++ = '-';
        *o++ = hex[h[i] >> 4];
        *o++ = hex[h[i] & 15];
    }
    *o = 0;
}

void cv_uuid5(const char *name, size_t n, char *out)
{
    cv_sha1 s;
    cv_uuid5_start(&s);
    cv_sha1_update(&s, name, n);
    cv_uuid5_of(&s, out);
}
