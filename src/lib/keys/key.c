/* Signing keys: key objects, generation, public keys, signing and verification, and reading
 * secret keys in OpenSSL's PEM forms (PKCS#8, encrypted PKCS#8, SEC1).
 *
 * Ed25519 goes through libsodium; ECDSA P-256/P-384/P-521 through OpenSSL's EVP interface.
 * modelseal's own secret key format (doc/modelseal-keys.5) lives in key_file.c. Every buffer that
 * holds secret material is sodium_malloc'd and wiped on every path out. This file does not know
 * about DSSE or bundles. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "key_internal.h"
#include "key_legacy.h"
#include "kms_internal.h"
#include "modelseal/key.h"
#include "pkcs11_internal.h"
#include "util/fs.h"

/* DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow. */
static const uint8_t ed25519_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

int key_crypto_ready(ms_error *err)
{
    if (sodium_init() < 0)
        return ms_error_set(err, MS_EENV, "cannot initialise libsodium");
    return 0;
}

const char *ms_key_type_name(ms_key_type type)
{
    switch (type) {
    case MS_KEY_ED25519:
        return "ed25519";
    case MS_KEY_ECDSA_P256:
        return "ecdsa-p256";
    case MS_KEY_ECDSA_P384:
        return "ecdsa-p384";
    case MS_KEY_ECDSA_P521:
        return "ecdsa-p521";
    }
    return "unknown";
}

int ms_key_type_parse(const char *name, ms_key_type *type)
{
    static const ms_key_type all[] = {MS_KEY_ED25519, MS_KEY_ECDSA_P256, MS_KEY_ECDSA_P384,
                                      MS_KEY_ECDSA_P521};
    if (!name)
        return MS_EINPUT;
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(name, ms_key_type_name(all[i])) == 0) {
            *type = all[i];
            return 0;
        }
    }
    return MS_EINPUT;
}

int key_type_valid(unsigned t)
{
    return t >= MS_KEY_ED25519 && t <= MS_KEY_ECDSA_P521;
}

/* The OpenSSL curve name (for generation) and digest of an ECDSA type. */
static const char *ec_curve_name(ms_key_type type)
{
    return type == MS_KEY_ECDSA_P256 ? "P-256" : type == MS_KEY_ECDSA_P384 ? "P-384" : "P-521";
}

const EVP_MD *key_ec_digest(ms_key_type type)
{
    return type == MS_KEY_ECDSA_P256   ? EVP_sha256()
           : type == MS_KEY_ECDSA_P384 ? EVP_sha384()
                                       : EVP_sha512();
}

/* The OpenSSL reason for the most recent failure, and an empty error queue afterwards. */
const char *key_openssl_reason(void)
{
    static __thread char text[160];
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    snprintf(text, sizeof text, "%s", r ? r : "unknown OpenSSL error");
    ERR_clear_error();
    return text;
}

/* Which of our types an OpenSSL key is; others are MS_EINPUT naming the algorithm. */
static int evp_key_type(EVP_PKEY *pkey, ms_key_type *type, const char *what, ms_error *err)
{
    int id = EVP_PKEY_get_base_id(pkey);
    if (id == EVP_PKEY_ED25519) {
        *type = MS_KEY_ED25519;
        return 0;
    }
    if (id == EVP_PKEY_EC) {
        char group[64];
        size_t glen = 0;
        int nid = NID_undef;
        if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &glen) == 1)
            nid = OBJ_txt2nid(group);
        ERR_clear_error();
        if (nid == NID_X9_62_prime256v1)
            *type = MS_KEY_ECDSA_P256;
        else if (nid == NID_secp384r1)
            *type = MS_KEY_ECDSA_P384;
        else if (nid == NID_secp521r1)
            *type = MS_KEY_ECDSA_P521;
        else
            return ms_error_set(err, MS_EINPUT,
                                "%s: EC key on an unsupported curve %s (P-256, P-384 and P-521 are "
                                "supported)",
                                what, glen ? group : "(explicit parameters)");
        return 0;
    }
    const char *name = EVP_PKEY_get0_type_name(pkey);
    return ms_error_set(err, MS_EINPUT,
                        "%s: %s keys are not supported (ed25519, ecdsa-p256, ecdsa-p384 and "
                        "ecdsa-p521 are)",
                        what, name ? name : "unknown");
}

static void ed25519_spki(const uint8_t pk[32], uint8_t out[44])
{
    memcpy(out, ed25519_spki_prefix, sizeof ed25519_spki_prefix);
    memcpy(out + sizeof ed25519_spki_prefix, pk, 32);
}

/* Compute key->spki from the public key. */
static int key_set_spki(ms_key *key, ms_error *err)
{
    if (key->type == MS_KEY_ED25519) {
        key->spki = malloc(44);
        if (!key->spki)
            return ms_error_nomem(err);
        ed25519_spki(key->ed_public, key->spki);
        key->spki_len = 44;
        return 0;
    }
    /* Always the uncompressed point, as OpenSSL and `cryptography` write it, so hints agree. */
    EVP_PKEY_set_utf8_string_param(key->pkey, OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                   "uncompressed");
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(key->pkey, &der);
    if (n <= 0) {
        return ms_error_set(err, MS_EENV, "cannot encode the public key: %s", key_openssl_reason());
    }
    key->spki = malloc((size_t)n);
    if (!key->spki) {
        OPENSSL_free(der);
        return ms_error_nomem(err);
    }
    memcpy(key->spki, der, (size_t)n);
    key->spki_len = (size_t)n;
    OPENSSL_free(der);
    return 0;
}

void ms_key_free(ms_key *key)
{
    if (!key)
        return;
    if (key->ed_secret) {
        sodium_memzero(key->ed_secret, crypto_sign_SECRETKEYBYTES);
        sodium_free(key->ed_secret);
    }
    EVP_PKEY_free(key->pkey);
    key_token_free(key->token);
    key_remote_free(key->remote);
    free(key->spki);
    sodium_memzero(key, sizeof *key);
    free(key);
}

/* A new Ed25519 key from a 32-byte seed. */
int key_from_seed(const uint8_t *seed, ms_key **out, ms_error *err)
{
    ms_key *key = calloc(1, sizeof *key);
    if (!key)
        return ms_error_nomem(err);
    key->type = MS_KEY_ED25519;
    key->ed_secret = sodium_malloc(crypto_sign_SECRETKEYBYTES);
    if (!key->ed_secret) {
        ms_key_free(key);
        return ms_error_nomem(err);
    }
    crypto_sign_seed_keypair(key->ed_public, key->ed_secret, seed);
    key->secret = 1;
    int rc = key_set_spki(key, err);
    if (rc < 0) {
        ms_key_free(key);
        return rc;
    }
    *out = key;
    return 0;
}

/* Make an ms_key from an OpenSSL key, taking ownership of `pkey` in every case. With `secret`,
 * the private key is kept; otherwise only the public part. */
int key_adopt_evp(EVP_PKEY *pkey, int secret, const char *what, ms_key **out, ms_error *err)
{
    ms_key *key = NULL;
    uint8_t *seed = NULL;
    ms_key_type type = MS_KEY_ED25519;
    int rc = evp_key_type(pkey, &type, what, err);
    if (rc < 0)
        goto out;
    if (type == MS_KEY_ED25519 && secret) {
        size_t n = ED25519_SEED_BYTES;
        seed = sodium_malloc(ED25519_SEED_BYTES);
        if (!seed) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (EVP_PKEY_get_raw_private_key(pkey, seed, &n) != 1 || n != ED25519_SEED_BYTES) {
            rc = ms_error_set(err, MS_EINPUT, "%s: malformed Ed25519 private key", what);
            goto out;
        }
        rc = key_from_seed(seed, &key, err);
        if (rc < 0)
            goto out;
    } else {
        key = calloc(1, sizeof *key);
        if (!key) {
            rc = ms_error_nomem(err);
            goto out;
        }
        key->type = type;
        key->secret = secret;
        if (type == MS_KEY_ED25519) {
            size_t n = sizeof key->ed_public;
            if (EVP_PKEY_get_raw_public_key(pkey, key->ed_public, &n) != 1 ||
                n != sizeof key->ed_public) {
                rc = ms_error_set(err, MS_EINPUT, "%s: malformed Ed25519 public key", what);
                goto out;
            }
        } else {
            key->pkey = pkey;
            pkey = NULL;
            if (!secret) {
                /* Drop any private part: a round trip through SubjectPublicKeyInfo. */
                unsigned char *der = NULL;
                int n = i2d_PUBKEY(key->pkey, &der);
                const unsigned char *p = der;
                EVP_PKEY *pub = n > 0 ? d2i_PUBKEY(NULL, &p, n) : NULL;
                OPENSSL_free(der);
                if (!pub) {
                    rc = ms_error_set(err, MS_EINPUT, "%s: malformed public key: %s", what,
                                      key_openssl_reason());
                    goto out;
                }
                EVP_PKEY_free(key->pkey);
                key->pkey = pub;
            }
        }
        rc = key_set_spki(key, err);
        if (rc < 0)
            goto out;
    }
    *out = key;
    key = NULL;
    rc = 0;
out:
    if (seed) {
        sodium_memzero(seed, ED25519_SEED_BYTES);
        sodium_free(seed);
    }
    EVP_PKEY_free(pkey);
    ms_key_free(key);
    ERR_clear_error();
    return rc;
}

int ms_key_generate(ms_key_type type, ms_key **out, ms_error *err)
{
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!key_type_valid(type))
        return ms_error_set(err, MS_EINPUT, "unknown key type %d", (int)type);
    if (type == MS_KEY_ED25519) {
        uint8_t *seed = sodium_malloc(ED25519_SEED_BYTES);
        if (!seed)
            return ms_error_nomem(err);
        randombytes_buf(seed, ED25519_SEED_BYTES);
        rc = key_from_seed(seed, out, err);
        sodium_memzero(seed, ED25519_SEED_BYTES);
        sodium_free(seed);
        return rc;
    }
    EVP_PKEY *pkey = EVP_EC_gen(ec_curve_name(type));
    if (!pkey)
        return ms_error_set(err, MS_EENV, "cannot generate an %s key: %s", ms_key_type_name(type),
                            key_openssl_reason());
    return key_adopt_evp(pkey, 1, "generated key", out, err);
}

int key_from_evp(EVP_PKEY *pkey, ms_key **out, ms_error *err)
{
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!pkey)
        return ms_error_set(err, MS_EINPUT, "no public key");
    if (EVP_PKEY_up_ref(pkey) != 1)
        return ms_error_set(err, MS_EENV, "cannot reference the public key");
    return key_adopt_evp(pkey, 0, "certificate key", out, err);
}

ms_key_type ms_key_get_type(const ms_key *key)
{
    return key->type;
}

int ms_key_is_secret(const ms_key *key)
{
    return key && key->secret;
}

const char *ms_key_details(const ms_key *key)
{
    switch (key->type) {
    case MS_KEY_ED25519:
        return "PKIX_ED25519";
    case MS_KEY_ECDSA_P256:
        return "PKIX_ECDSA_P256_SHA_256";
    case MS_KEY_ECDSA_P384:
        return "PKIX_ECDSA_P384_SHA_384";
    case MS_KEY_ECDSA_P521:
        return "PKIX_ECDSA_P521_SHA_512";
    }
    return "UNKNOWN";
}

int ms_key_equal(const ms_key *a, const ms_key *b)
{
    return a && b && a->type == b->type && a->spki_len == b->spki_len &&
           sodium_memcmp(a->spki, b->spki, a->spki_len) == 0;
}

/* Wrap `der` as PEM with the given label, 64 base64 characters a line, into `out`. */
int key_pem_armour(const uint8_t *der, size_t len, const char *label, char *out, size_t cap)
{
    size_t b64_len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *b64 = sodium_malloc(b64_len);
    if (!b64)
        return MS_ENOMEM;
    sodium_bin2base64(b64, b64_len, der, len, sodium_base64_VARIANT_ORIGINAL);
    size_t n = strlen(b64), pos = 0;
    int w = snprintf(out, cap, "-----BEGIN %s-----\n", label);
    pos = (size_t)w;
    for (size_t i = 0; i < n; i += 64) {
        size_t chunk = n - i < 64 ? n - i : 64;
        memcpy(out + pos, b64 + i, chunk);
        pos += chunk;
        out[pos++] = '\n';
    }
    snprintf(out + pos, cap - pos, "-----END %s-----\n", label);
    sodium_memzero(b64, b64_len);
    sodium_free(b64);
    return 0;
}

/* Room key_pem_armour needs for `len` bytes of DER and `label`. */
size_t key_pem_size(size_t len, const char *label)
{
    size_t b64 = (len + 2) / 3 * 4;
    return b64 + b64 / 64 + 1 + 2 * strlen(label) + 40;
}

char *ms_key_public_pem(const ms_key *key)
{
    size_t cap = key_pem_size(key->spki_len, "PUBLIC KEY");
    char *pem = malloc(cap);
    if (!pem || key_pem_armour(key->spki, key->spki_len, "PUBLIC KEY", pem, cap) < 0) {
        free(pem);
        return NULL;
    }
    return pem;
}

int ms_key_hint(const ms_key *key, char hex[65])
{
    uint8_t digest[32];
    char *pem = ms_key_public_pem(key);
    if (!pem)
        return MS_ENOMEM;
    int ok = EVP_Digest(pem, strlen(pem), digest, NULL, EVP_sha256(), NULL);
    free(pem);
    if (ok != 1) {
        ERR_clear_error();
        return MS_ENOMEM;
    }
    for (size_t i = 0; i < sizeof digest; i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

int ms_key_save_public(const ms_key *key, const char *path, ms_error *err)
{
    char *pem = ms_key_public_pem(key);
    if (!pem)
        return ms_error_nomem(err);
    int rc = msx_file_write_atomic(path, pem, strlen(pem), 0644, 0, err);
    free(pem);
    return rc;
}

/* " (e.g. NAME.to)" when `path` is NAME.from, else "": the likely other half of a key pair. */
static void other_half(const char *path, const char *from, const char *to, char *out, size_t n)
{
    size_t len = strlen(path), flen = strlen(from);
    out[0] = '\0';
    if (len > flen && strcmp(path + len - flen, from) == 0 && len - flen < (size_t)INT_MAX)
        snprintf(out, n, ", e.g. %.*s%s", (int)(len - flen), path, to);
}

/* Whether a PEM text has a BEGIN line whose label ends in `label_end` ("PRIVATE KEY" matches
 * PKCS#8, EC and encrypted keys): a block of the other kind (a secret key where a public one is
 * needed, or the reverse) is named as such, the common mix-up of the two files of a pair. */
static int pem_has(const uint8_t *data, size_t len, const char *label_end)
{
    char end[64];
    snprintf(end, sizeof end, "%s-----", label_end);
    for (const uint8_t *p = data; (p = memmem(p, len - (size_t)(p - data), "-----BEGIN ", 11));
         p += 11) {
        const uint8_t *eol = memchr(p, '\n', len - (size_t)(p - data));
        size_t line = eol ? (size_t)(eol - p) : len - (size_t)(p - data);
        if (memmem(p, line, end, strlen(end)))
            return 1;
    }
    return 0;
}

static int parse_public(const uint8_t *data, size_t len, const char *what, ms_key **out,
                        ms_error *err)
{
    EVP_PKEY *pkey = NULL;
    /* Every key object must find libsodium ready: ms_key_hint armours through sodium_malloc. */
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!data || len == 0)
        return ms_error_set(err, MS_EINPUT, "%s: empty public key", what);
    if (len > KEY_FILE_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %d bytes", what,
                            KEY_FILE_MAX);
    if (memmem(data, len, "-----BEGIN", 10)) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (!bio)
            return ms_error_nomem(err);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!pkey && (pem_has(data, len, "PRIVATE KEY") || pem_has(data, len, "SECRET KEY"))) {
            char hint[PATH_MAX + 16];
            ERR_clear_error();
            other_half(what, ".key", ".pub", hint, sizeof hint);
            return ms_error_set(err, MS_EINPUT,
                                "%s is a secret key; verifying needs the public key%s (no "
                                "readable PUBLIC KEY PEM block)",
                                what, hint);
        }
        if (!pkey)
            return ms_error_set(err, MS_EINPUT, "%s: no readable PUBLIC KEY PEM block (%s)", what,
                                key_openssl_reason());
    } else {
        const unsigned char *p = data;
        pkey = d2i_PUBKEY(NULL, &p, (long)len);
        if (!pkey || p != data + len) {
            EVP_PKEY_free(pkey);
            ERR_clear_error(); /* leave no failure queued for the caller's next OpenSSL call */
            return ms_error_set(err, MS_EINPUT,
                                "%s: not a public key (neither PEM nor DER SubjectPublicKeyInfo)",
                                what);
        }
    }
    return key_adopt_evp(pkey, 0, what, out, err);
}

int ms_key_parse_public(const uint8_t *pem_or_der, size_t len, ms_key **out, ms_error *err)
{
    return parse_public(pem_or_der, len, "public key", out, err);
}

int ms_key_load_public(const char *path, ms_key **out, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = msx_file_read(path, KEY_FILE_MAX, &buf, err);
    if (rc == 0)
        rc = parse_public(buf.data ? buf.data : (const uint8_t *)"", buf.len, path, out, err);
    msx_buf_free(&buf);
    return rc;
}

/* ---- signing ---- */

static int hint_prefix(const ms_key *key, char out[17])
{
    char hex[65];
    if (ms_key_hint(key, hex) < 0) {
        snprintf(out, 17, "?");
        return MS_ENOMEM;
    }
    memcpy(out, hex, 16);
    out[16] = '\0';
    return 0;
}

int ms_key_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
                ms_error *err)
{
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "cannot sign with a public key");
    if (key->token)
        return key_token_sign(key, msg, len, sig, sig_len, err);
    if (key->remote)
        return key_remote_sign(key, msg, len, sig, sig_len, err);
    if (key->type == MS_KEY_ED25519) {
        uint8_t *s = malloc(crypto_sign_BYTES);
        if (!s)
            return ms_error_nomem(err);
        crypto_sign_detached(s, NULL, msg, len, key->ed_secret);
        *sig = s;
        *sig_len = crypto_sign_BYTES;
        return 0;
    }
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    uint8_t *s = NULL;
    size_t n = 0;
    if (!ctx) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (EVP_DigestSignInit(ctx, NULL, key_ec_digest(key->type), NULL, key->pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, msg, len) != 1) {
        rc = ms_error_set(err, MS_EENV, "cannot sign: %s", key_openssl_reason());
        goto out;
    }
    s = malloc(n);
    if (!s) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (EVP_DigestSign(ctx, s, &n, msg, len) != 1) {
        rc = ms_error_set(err, MS_EENV, "cannot sign: %s", key_openssl_reason());
        goto out;
    }
    *sig = s;
    *sig_len = n;
    s = NULL;
    rc = 0;
out:
    free(s);
    EVP_MD_CTX_free(ctx);
    return rc;
}

int ms_key_verify(const ms_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                  size_t sig_len, ms_error *err)
{
    int ok = 0;
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (key->type == MS_KEY_ED25519) {
        ok = sig_len == crypto_sign_BYTES &&
             crypto_sign_verify_detached(sig, msg, len, key->ed_public) == 0;
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
            return ms_error_nomem(err);
        ok = EVP_DigestVerifyInit(ctx, NULL, key_ec_digest(key->type), NULL, key->pkey) == 1 &&
             EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
        EVP_MD_CTX_free(ctx);
        ERR_clear_error();
    }
    if (ok)
        return 0;
    char prefix[17];
    hint_prefix(key, prefix);
    return ms_error_set(err, MS_EVERIFY, "signature does not verify with key %s", prefix);
}

int key_verify_ecdsa_sha256(const ms_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len)
{
    int ok = 0;
    if (!key || key->type == MS_KEY_ED25519 || !key->pkey)
        return MS_EVERIFY;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx)
        return MS_EVERIFY;
    ok = EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
         EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 0 : MS_EVERIFY;
}

/* State for OpenSSL's passphrase callback. */
struct pem_pass {
    ms_passphrase_fn fn;
    void *ctx;
    const char *path;
    ms_error *err;
    int called;
    int rc;
};

static int pem_pass_cb(char *buf, int size, int rwflag, void *u)
{
    struct pem_pass *pp = u;
    char *pass = NULL;
    (void)rwflag;
    pp->called = 1;
    if (pp->rc < 0)
        return -1;
    pp->rc = keyfile_ask_passphrase(pp->fn, pp->ctx, pp->path, &pass, pp->err);
    if (pp->rc < 0)
        return -1;
    size_t n = strlen(pass);
    if (size <= 0 || n >= (size_t)size) {
        keyfile_free_passphrase(pass);
        pp->rc = ms_error_set(pp->err, MS_EINPUT, "%s: passphrase too long", pp->path);
        return -1;
    }
    memcpy(buf, pass, n);
    keyfile_free_passphrase(pass);
    return (int)n;
}

/* The key derivation cost an encrypted PKCS#8 key may ask for. OpenSSL runs whatever the file
 * states: 2^31 PBKDF2 iterations stall for minutes. `openssl pkcs8`/`genpkey` write 2048
 * iterations (scrypt N=16384, r=8, p=1) and other tools up to about 10^6 iterations. */
#define PBKDF2_MAX_ITERATIONS UINT64_C(10000000)
#define SCRYPT_MAX_WORK (UINT64_C(1) << 23) /* N * r * p: 2^20, 8, 1 */

/* An iteration count within PBKDF2_MAX_ITERATIONS, else MS_EINPUT naming `kdf`. */
static int check_iterations(const ASN1_INTEGER *iter, const char *kdf, const char *path,
                            ms_error *err)
{
    uint64_t n = 0;
    if (!iter || ASN1_INTEGER_get_uint64(&n, iter) != 1)
        return ms_error_set(err, MS_EINPUT, "%s: encrypted key: malformed %s iteration count", path,
                            kdf);
    if (n > PBKDF2_MAX_ITERATIONS)
        return ms_error_set(err, MS_EINPUT,
                            "%s: encrypted key asks for %llu %s iterations, more than the limit "
                            "of %llu",
                            path, (unsigned long long)n, kdf,
                            (unsigned long long)PBKDF2_MAX_ITERATIONS);
    return 0;
}

static int check_scrypt(const SCRYPT_PARAMS *sp, const char *path, ms_error *err)
{
    uint64_t n = 0, r = 0, p = 0, work;
    if (ASN1_INTEGER_get_uint64(&n, sp->costParameter) != 1 ||
        ASN1_INTEGER_get_uint64(&r, sp->blockSize) != 1 ||
        ASN1_INTEGER_get_uint64(&p, sp->parallelizationParameter) != 1)
        return ms_error_set(err, MS_EINPUT, "%s: encrypted key: malformed scrypt parameters", path);
    if (__builtin_mul_overflow(n, r, &work) || __builtin_mul_overflow(work, p, &work) ||
        work > SCRYPT_MAX_WORK)
        return ms_error_set(err, MS_EINPUT,
                            "%s: encrypted key asks for scrypt N=%llu r=%llu p=%llu, more work "
                            "than the limit (N*r*p at most %llu)",
                            path, (unsigned long long)n, (unsigned long long)r,
                            (unsigned long long)p, (unsigned long long)SCRYPT_MAX_WORK);
    return 0;
}

/* Refuse an EncryptedPrivateKeyInfo whose key derivation costs more than the limits above:
 * PBES2 with PBKDF2 or scrypt, and PBES1 / PKCS#12 PBE iteration counts. Anything else (not
 * an encrypted key, unknown schemes) is left for OpenSSL to read or refuse. */
static int check_pbe_cost(const uint8_t *der, long len, const char *path, ms_error *err)
{
    const unsigned char *p = der;
    const X509_ALGOR *alg = NULL;
    PBE2PARAM *pbe2 = NULL;
    PBKDF2PARAM *kdf = NULL;
    SCRYPT_PARAMS *sp = NULL;
    PBEPARAM *pbe1 = NULL;
    int rc = 0;
    X509_SIG *sig = d2i_X509_SIG(NULL, &p, len);
    if (!sig)
        goto out;
    X509_SIG_get0(sig, &alg, NULL);
    if (!alg || !alg->parameter)
        goto out;
    if (OBJ_obj2nid(alg->algorithm) != NID_pbes2) {
        if ((pbe1 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBEPARAM), alg->parameter)))
            rc = check_iterations(pbe1->iter, "PBE", path, err); /* PBES1, PKCS#12 */
        goto out;
    }
    pbe2 = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBE2PARAM), alg->parameter);
    if (!pbe2 || !pbe2->keyfunc || !pbe2->keyfunc->parameter)
        goto out;
    switch (OBJ_obj2nid(pbe2->keyfunc->algorithm)) {
    case NID_id_pbkdf2:
        kdf = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(PBKDF2PARAM), pbe2->keyfunc->parameter);
        if (kdf)
            rc = check_iterations(kdf->iter, "PBKDF2", path, err);
        break;
    case NID_id_scrypt:
        sp = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(SCRYPT_PARAMS), pbe2->keyfunc->parameter);
        if (sp)
            rc = check_scrypt(sp, path, err);
        break;
    default:
        break;
    }
out:
    PBEPARAM_free(pbe1);
    SCRYPT_PARAMS_free(sp);
    PBKDF2PARAM_free(kdf);
    PBE2PARAM_free(pbe2);
    X509_SIG_free(sig);
    ERR_clear_error();
    return rc;
}

/* A key file has one or two PEM blocks; more are refused rather than each examined. */
#define PEM_MAX_BLOCKS 16

/* check_pbe_cost on every PEM block of the file, whatever its label. Every "-----BEGIN " is
 * read from on its own: OpenSSL's decoders skip blocks they cannot read and go on to the next,
 * so a block reading them one after the other stops at could still be decrypted. */
static int check_pem_pbe_cost(const char *data, size_t len, const char *path, ms_error *err)
{
    static const char begin[] = "-----BEGIN ";
    const char *at;
    size_t pos = 0, blocks = 0;
    int rc = 0;
    while (rc == 0 && pos < len && (at = memmem(data + pos, len - pos, begin, sizeof begin - 1))) {
        char *name = NULL, *header = NULL;
        unsigned char *der = NULL;
        long der_len = 0;
        size_t off = (size_t)(at - data);
        if (++blocks > PEM_MAX_BLOCKS) {
            rc = ms_error_set(err, MS_EINPUT, "%s: more than %d PEM blocks", path, PEM_MAX_BLOCKS);
            break;
        }
        BIO *bio = BIO_new_mem_buf(at, (int)(len - off));
        if (!bio) {
            rc = ms_error_nomem(err);
            break;
        }
        if (PEM_read_bio(bio, &name, &header, &der, &der_len) == 1)
            rc = check_pbe_cost(der, der_len, path, err);
        OPENSSL_free(name);
        OPENSSL_free(header);
        OPENSSL_free(der);
        BIO_free(bio);
        pos = off + 1;
    }
    ERR_clear_error(); /* blocks that do not read are errors to PEM_read_bio */
    return rc;
}

static int load_pem_secret(const char *data, size_t len, const char *path,
                           ms_passphrase_fn get_passphrase, void *ctx, ms_key **out, ms_error *err)
{
    struct pem_pass pp = {get_passphrase, ctx, path, err, 0, 0};
    int rc = check_pem_pbe_cost(data, len, path, err);
    if (rc < 0)
        return rc;
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio)
        return ms_error_nomem(err);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &pp);
    BIO_free(bio);
    if (!pkey) {
        const char *reason = key_openssl_reason();
        if (pp.rc < 0)
            return pp.rc;
        if (pp.called)
            return ms_error_set(err, MS_EINPUT, "%s: wrong passphrase or corrupted key", path);
        if (pem_has((const uint8_t *)data, len, "PUBLIC KEY")) {
            char hint[PATH_MAX + 16];
            other_half(path, ".pub", ".key", hint, sizeof hint);
            return ms_error_set(err, MS_EINPUT,
                                "%s is a public key; signing needs the secret key%s", path, hint);
        }
        return ms_error_set(err, MS_EINPUT, "%s: no readable private key (%s)", path, reason);
    }
    return key_adopt_evp(pkey, 1, path, out, err);
}

/* The parse of a secret key's text, whoever read it: `data` is NUL-terminated (len bytes). */
static int parse_secret_text(const char *data, size_t len, const char *what,
                             ms_passphrase_fn get_passphrase, void *ctx, ms_key **out,
                             ms_error *err)
{
    if (memmem(data, len, SK_BEGIN, strlen(SK_BEGIN)))
        return keyfile_load(data, len, what, get_passphrase, ctx, out, err);
    if (memmem(data, len, "-----BEGIN", 10))
        return load_pem_secret(data, len, what, get_passphrase, ctx, out, err);
    return ms_error_set(err, MS_EINPUT, "%s: not a secret key file (no PEM block)", what);
}

int ms_key_load_secret(const char *path, ms_passphrase_fn get_passphrase, void *ctx, ms_key **out,
                       ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    rc = msx_file_read(path, KEY_FILE_MAX, &buf, err);
    if (rc < 0)
        goto out;
    rc = parse_secret_text(buf.data ? (const char *)buf.data : "", buf.len, path, get_passphrase,
                           ctx, out, err);
out:
    if (buf.data)
        sodium_memzero(buf.data, buf.cap);
    msx_buf_free(&buf);
    return rc;
}

int ms_key_parse_secret(const uint8_t *data, size_t len, const char *what,
                        ms_passphrase_fn get_passphrase, void *ctx, ms_key **out, ms_error *err)
{
    if (!what)
        what = "secret key";
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (len > KEY_FILE_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: larger than %d bytes: not a secret key", what,
                            KEY_FILE_MAX);
    /* A NUL-terminated copy in guarded memory, wiped on the way out. */
    char *text = sodium_malloc(len + 1);
    if (!text)
        return ms_error_nomem(err);
    if (len)
        memcpy(text, data, len);
    text[len] = '\0';
    rc = parse_secret_text(text, len, what, get_passphrase, ctx, out, err);
    sodium_memzero(text, len + 1);
    sodium_free(text);
    return rc;
}
