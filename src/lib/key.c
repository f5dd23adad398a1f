/* Signing keys: generation, public and secret key files, signing and verification.
 *
 * Ed25519 goes through libsodium; ECDSA P-256/P-384/P-521 through OpenSSL's EVP interface.
 * Our secret key format is described in doc/modelseal-keys.5; PKCS#8 and SEC1 PEM keys are read
 * through OpenSSL's PEM decoder. Every buffer that holds secret material is sodium_malloc'd and
 * wiped on every path out. This file does not know about DSSE or bundles. */
#include "config.h"

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

#include "modelseal/fs.h"
#include "modelseal/key.h"

#define ED25519_SEED_BYTES 32

/* Largest key file we read; real keys are well under 4 KiB. */
#define KEY_FILE_MAX (64 * 1024)

/* Secret key record (modelseal-keys(5)); all integers big-endian. */
#define SK_MAGIC "MSSK"
#define SK_VERSION 1
#define SK_KDF_NONE 0
#define SK_KDF_ARGON2ID 1
#define SK_OFF_OPSLIMIT 8
#define SK_OFF_MEMLIMIT 16
#define SK_OFF_SALT 24
#define SK_SALT_BYTES 16
#define SK_OFF_NONCE 40
#define SK_NONCE_BYTES 24
#define SK_OFF_LENGTH 64
#define SK_HEADER_BYTES 68
#define SK_TAG_BYTES 16
#define SK_CHECKSUM_BYTES 32
#define SK_MATERIAL_MAX 8192
#define SK_MEMLIMIT_MAX (1024ULL * 1024 * 1024)
#define SK_OPSLIMIT_MAX 64ULL
#define SK_BEGIN "-----BEGIN MODELSEAL SECRET KEY-----"
#define SK_END "-----END MODELSEAL SECRET KEY-----"

struct ms_key {
    ms_key_type type;
    int secret;    /* 1 when the key can sign */
    uint8_t *spki; /* canonical SubjectPublicKeyInfo DER (malloc) */
    size_t spki_len;
    uint8_t ed_public[crypto_sign_PUBLICKEYBYTES];
    uint8_t *ed_secret; /* Ed25519 secret key (seed || public), sodium_malloc; NULL if public */
    EVP_PKEY *pkey;     /* ECDSA key, public or private; NULL for Ed25519 */
};

/* DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow. */
static const uint8_t ed25519_spki_prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static int crypto_ready(ms_error *err)
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

static int type_valid(unsigned t)
{
    return t >= MS_KEY_ED25519 && t <= MS_KEY_ECDSA_P521;
}

/* The OpenSSL curve name (for generation) and digest of an ECDSA type. */
static const char *ec_curve_name(ms_key_type type)
{
    return type == MS_KEY_ECDSA_P256 ? "P-256" : type == MS_KEY_ECDSA_P384 ? "P-384" : "P-521";
}

static const EVP_MD *ec_digest(ms_key_type type)
{
    return type == MS_KEY_ECDSA_P256   ? EVP_sha256()
           : type == MS_KEY_ECDSA_P384 ? EVP_sha384()
                                       : EVP_sha512();
}

/* The OpenSSL reason for the most recent failure, and an empty error queue afterwards. */
static const char *openssl_reason(void)
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
        return ms_error_set(err, MS_EENV, "cannot encode the public key: %s", openssl_reason());
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
    free(key->spki);
    sodium_memzero(key, sizeof *key);
    free(key);
}

/* A new Ed25519 key from a 32-byte seed. */
static int key_from_seed(const uint8_t *seed, ms_key **out, ms_error *err)
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
static int key_adopt_evp(EVP_PKEY *pkey, int secret, const char *what, ms_key **out, ms_error *err)
{
    ms_key *key = NULL;
    uint8_t *seed = NULL;
    ms_key_type type;
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
                                      openssl_reason());
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
    int rc = crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!type_valid(type))
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
                            openssl_reason());
    return key_adopt_evp(pkey, 1, "generated key", out, err);
}

int ms_key_from_evp(struct evp_pkey_st *pkey, ms_key **out, ms_error *err)
{
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
           CRYPTO_memcmp(a->spki, b->spki, a->spki_len) == 0;
}

/* Wrap `der` as PEM with the given label, 64 base64 characters a line, into `out`. */
static int pem_armour(const uint8_t *der, size_t len, const char *label, char *out, size_t cap)
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

/* Room pem_armour needs for `len` bytes of DER and `label`. */
static size_t pem_size(size_t len, const char *label)
{
    size_t b64 = (len + 2) / 3 * 4;
    return b64 + b64 / 64 + 1 + 2 * strlen(label) + 40;
}

char *ms_key_public_pem(const ms_key *key)
{
    size_t cap = pem_size(key->spki_len, "PUBLIC KEY");
    char *pem = malloc(cap);
    if (!pem || pem_armour(key->spki, key->spki_len, "PUBLIC KEY", pem, cap) < 0) {
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
    int rc = ms_file_write_atomic(path, pem, strlen(pem), 0644, 0, err);
    free(pem);
    return rc;
}

static int parse_public(const uint8_t *data, size_t len, const char *what, ms_key **out,
                        ms_error *err)
{
    EVP_PKEY *pkey = NULL;
    if (len > KEY_FILE_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %d bytes", what,
                            KEY_FILE_MAX);
    if (memmem(data, len, "-----BEGIN", 10)) {
        BIO *bio = BIO_new_mem_buf(data, (int)len);
        if (!bio)
            return ms_error_nomem(err);
        pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
        BIO_free(bio);
        if (!pkey)
            return ms_error_set(err, MS_EINPUT, "%s: no readable PUBLIC KEY PEM block (%s)", what,
                                openssl_reason());
    } else {
        const unsigned char *p = data;
        pkey = d2i_PUBKEY(NULL, &p, (long)len);
        if (!pkey || p != data + len) {
            EVP_PKEY_free(pkey);
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
    int rc = ms_file_read(path, KEY_FILE_MAX, &buf, err);
    if (rc == 0)
        rc = parse_public(buf.data ? buf.data : (const uint8_t *)"", buf.len, path, out, err);
    ms_buf_free(&buf);
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
    int rc = crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "cannot sign with a public key");
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
    if (EVP_DigestSignInit(ctx, NULL, ec_digest(key->type), NULL, key->pkey) != 1 ||
        EVP_DigestSign(ctx, NULL, &n, msg, len) != 1) {
        rc = ms_error_set(err, MS_EENV, "cannot sign: %s", openssl_reason());
        goto out;
    }
    s = malloc(n);
    if (!s) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (EVP_DigestSign(ctx, s, &n, msg, len) != 1) {
        rc = ms_error_set(err, MS_EENV, "cannot sign: %s", openssl_reason());
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
    int rc = crypto_ready(err);
    if (rc < 0)
        return rc;
    if (key->type == MS_KEY_ED25519) {
        ok = sig_len == crypto_sign_BYTES &&
             crypto_sign_verify_detached(sig, msg, len, key->ed_public) == 0;
    } else {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        if (!ctx)
            return ms_error_nomem(err);
        ok = EVP_DigestVerifyInit(ctx, NULL, ec_digest(key->type), NULL, key->pkey) == 1 &&
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

/* ---- modelseal secret key format ---- */

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | p[i];
    return v;
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 3; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The key material we store: the Ed25519 seed or the ECDSA key as PKCS#8 DER. The result is
 * sodium_malloc'd; free it with sodium_free. */
static int secret_material(const ms_key *key, uint8_t **out, size_t *out_len, ms_error *err)
{
    if (key->type == MS_KEY_ED25519) {
        uint8_t *m = sodium_malloc(ED25519_SEED_BYTES);
        if (!m)
            return ms_error_nomem(err);
        crypto_sign_ed25519_sk_to_seed(m, key->ed_secret);
        *out = m;
        *out_len = ED25519_SEED_BYTES;
        return 0;
    }
    PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(key->pkey);
    int n = p8 ? i2d_PKCS8_PRIV_KEY_INFO(p8, NULL) : -1;
    if (n <= 0 || n > SK_MATERIAL_MAX) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        return ms_error_set(err, MS_EENV, "cannot encode the secret key: %s", openssl_reason());
    }
    uint8_t *m = sodium_malloc((size_t)n);
    if (!m) {
        PKCS8_PRIV_KEY_INFO_free(p8);
        return ms_error_nomem(err);
    }
    unsigned char *p = m;
    i2d_PKCS8_PRIV_KEY_INFO(p8, &p);
    PKCS8_PRIV_KEY_INFO_free(p8);
    *out = m;
    *out_len = (size_t)n;
    return 0;
}

static void checksum(const uint8_t *header, const uint8_t *material, size_t len,
                     uint8_t out[SK_CHECKSUM_BYTES])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, SK_CHECKSUM_BYTES);
    crypto_generichash_update(&st, header, SK_HEADER_BYTES);
    crypto_generichash_update(&st, material, len);
    crypto_generichash_final(&st, out, SK_CHECKSUM_BYTES);
    sodium_memzero(&st, sizeof st);
}

static int derive_key(uint8_t out[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
                      const char *passphrase, size_t pass_len, const uint8_t *salt,
                      uint64_t opslimit, uint64_t memlimit, ms_error *err)
{
    if (crypto_pwhash(out, crypto_aead_xchacha20poly1305_ietf_KEYBYTES, passphrase, pass_len, salt,
                      opslimit, (size_t)memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0)
        return ms_error_set(err, MS_ENOMEM, "cannot derive the key from the passphrase: out of "
                                            "memory");
    return 0;
}

int ms_key_save_secret(const ms_key *key, const char *path, const char *passphrase, int force,
                       ms_error *err)
{
    uint8_t *material = NULL, *record = NULL, *dk = NULL;
    char *text = NULL;
    size_t material_len = 0, record_len = 0, text_cap = 0;
    int rc = crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "%s: cannot save a public key as a secret key", path);
    if (passphrase && !*passphrase)
        return ms_error_set(err, MS_EINPUT,
                            "%s: empty passphrase (save without a passphrase instead)", path);
    if (passphrase && strlen(passphrase) > MS_KEY_PASSPHRASE_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: passphrase longer than %d bytes", path,
                            MS_KEY_PASSPHRASE_MAX);
    rc = secret_material(key, &material, &material_len, err);
    if (rc < 0)
        goto out;
    record_len = SK_HEADER_BYTES + material_len + (passphrase ? SK_TAG_BYTES : SK_CHECKSUM_BYTES);
    record = sodium_malloc(record_len);
    if (!record) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memset(record, 0, SK_HEADER_BYTES);
    memcpy(record, SK_MAGIC, 4);
    record[4] = SK_VERSION;
    record[5] = (uint8_t)key->type;
    record[6] = passphrase ? SK_KDF_ARGON2ID : SK_KDF_NONE;
    put_u32(record + SK_OFF_LENGTH, (uint32_t)material_len);
    if (passphrase) {
        uint64_t ops = crypto_pwhash_OPSLIMIT_INTERACTIVE, mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
        put_u64(record + SK_OFF_OPSLIMIT, ops);
        put_u64(record + SK_OFF_MEMLIMIT, mem);
        randombytes_buf(record + SK_OFF_SALT, SK_SALT_BYTES);
        randombytes_buf(record + SK_OFF_NONCE, SK_NONCE_BYTES);
        dk = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        if (!dk) {
            rc = ms_error_nomem(err);
            goto out;
        }
        rc = derive_key(dk, passphrase, strlen(passphrase), record + SK_OFF_SALT, ops, mem, err);
        if (rc < 0)
            goto out;
        crypto_aead_xchacha20poly1305_ietf_encrypt(record + SK_HEADER_BYTES, NULL, material,
                                                   material_len, record, SK_HEADER_BYTES, NULL,
                                                   record + SK_OFF_NONCE, dk);
    } else {
        memcpy(record + SK_HEADER_BYTES, material, material_len);
        checksum(record, material, material_len, record + SK_HEADER_BYTES + material_len);
    }
    text_cap = pem_size(record_len, "MODELSEAL SECRET KEY");
    text = sodium_malloc(text_cap);
    if (!text) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (pem_armour(record, record_len, "MODELSEAL SECRET KEY", text, text_cap) < 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = ms_file_write_atomic(path, text, strlen(text), 0600, !force, err);
out:
    if (material) {
        sodium_memzero(material, material_len);
        sodium_free(material);
    }
    if (record) {
        sodium_memzero(record, record_len);
        sodium_free(record);
    }
    if (dk) {
        sodium_memzero(dk, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        sodium_free(dk);
    }
    if (text) {
        sodium_memzero(text, text_cap);
        sodium_free(text);
    }
    return rc;
}

/* Find the base64 body between our BEGIN and END lines. */
static int find_armour(const char *data, size_t len, const char *path, const char **body,
                       size_t *body_len, ms_error *err)
{
    const char *end_data = data + len;
    const char *begin = data;
    for (;;) {
        begin = memmem(begin, (size_t)(end_data - begin), SK_BEGIN, strlen(SK_BEGIN));
        if (!begin)
            return ms_error_set(err, MS_EINPUT, "%s: no " SK_BEGIN " line", path);
        if (begin == data || begin[-1] == '\n')
            break;
        begin++;
    }
    const char *p = begin + strlen(SK_BEGIN);
    if (p < end_data && *p == '\r')
        p++;
    if (p >= end_data || *p != '\n')
        return ms_error_set(err, MS_EINPUT, "%s: malformed " SK_BEGIN " line", path);
    p++;
    const char *end = memmem(p, (size_t)(end_data - p), SK_END, strlen(SK_END));
    if (!end || end[-1] != '\n')
        return ms_error_set(err, MS_EINPUT, "%s: truncated secret key (no " SK_END " line)", path);
    for (const char *q = end + strlen(SK_END); q < end_data; q++) {
        if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t')
            return ms_error_set(err, MS_EINPUT, "%s: unexpected text after " SK_END, path);
    }
    *body = p;
    *body_len = (size_t)(end - p);
    return 0;
}

/* Ask for a passphrase into a sodium_malloc'd buffer of MS_KEY_PASSPHRASE_MAX + 1 bytes. */
static int ask_passphrase(ms_passphrase_fn fn, void *ctx, const char *path, char **out,
                          ms_error *err)
{
    if (!fn)
        return ms_error_set(err, MS_EINPUT, "%s: the key is encrypted and no passphrase was given",
                            path);
    char *buf = sodium_malloc(MS_KEY_PASSPHRASE_MAX + 1);
    if (!buf)
        return ms_error_nomem(err);
    memset(buf, 0, MS_KEY_PASSPHRASE_MAX + 1);
    int rc = fn(ctx, buf, MS_KEY_PASSPHRASE_MAX + 1, err);
    if (rc == 0 && !memchr(buf, '\0', MS_KEY_PASSPHRASE_MAX + 1))
        rc = ms_error_set(err, MS_EINPUT, "%s: passphrase longer than %d bytes", path,
                          MS_KEY_PASSPHRASE_MAX);
    if (rc < 0) {
        sodium_memzero(buf, MS_KEY_PASSPHRASE_MAX + 1);
        sodium_free(buf);
        return rc;
    }
    *out = buf;
    return 0;
}

static void free_passphrase(char *pass)
{
    if (pass) {
        sodium_memzero(pass, MS_KEY_PASSPHRASE_MAX + 1);
        sodium_free(pass);
    }
}

/* Turn decrypted key material of type `type` into a key. */
static int key_from_material(ms_key_type type, const uint8_t *m, size_t len, const char *path,
                             ms_key **out, ms_error *err)
{
    if (type == MS_KEY_ED25519) {
        if (len != ED25519_SEED_BYTES)
            return ms_error_set(err, MS_EINPUT, "%s: corrupted key (Ed25519 seed of %zu bytes)",
                                path, len);
        return key_from_seed(m, out, err);
    }
    const unsigned char *p = m;
    PKCS8_PRIV_KEY_INFO *p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)len);
    EVP_PKEY *pkey = p8 && p == m + len ? EVP_PKCS82PKEY(p8) : NULL;
    PKCS8_PRIV_KEY_INFO_free(p8);
    ms_key *key = NULL;
    if (!pkey) {
        ERR_clear_error();
        return ms_error_set(err, MS_EINPUT, "%s: corrupted key (malformed PKCS#8 material)", path);
    }
    int rc = key_adopt_evp(pkey, 1, path, &key, err);
    if (rc < 0)
        return rc;
    if (key->type != type) {
        ms_key_free(key);
        return ms_error_set(err, MS_EINPUT, "%s: corrupted key (material is not %s)", path,
                            ms_key_type_name(type));
    }
    *out = key;
    return 0;
}

static int load_modelseal_secret(const char *data, size_t len, const char *path,
                                 ms_passphrase_fn get_passphrase, void *ctx, ms_key **out,
                                 ms_error *err)
{
    const char *body;
    size_t body_len, rec_len = 0;
    uint8_t *rec = NULL, *plain = NULL, *dk = NULL;
    char *pass = NULL;
    int rc = find_armour(data, len, path, &body, &body_len, err);
    if (rc < 0)
        return rc;
    rec = sodium_malloc(body_len + 1);
    if (!rec)
        return ms_error_nomem(err);
    const char *b64_end = NULL;
    if (sodium_base642bin(rec, body_len + 1, body, body_len, "\r\n", &rec_len, &b64_end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        b64_end != body + body_len) {
        rc = ms_error_set(err, MS_EINPUT, "%s: corrupted key (invalid base64)", path);
        goto out;
    }
    if (rec_len < SK_HEADER_BYTES || memcmp(rec, SK_MAGIC, 4) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: corrupted key (bad header)", path);
        goto out;
    }
    if (rec[4] != SK_VERSION) {
        rc = ms_error_set(err, MS_EINPUT, "%s: unsupported secret key format version %u", path,
                          rec[4]);
        goto out;
    }
    unsigned type = rec[5], kdf = rec[6];
    uint64_t ops = get_u64(rec + SK_OFF_OPSLIMIT), mem = get_u64(rec + SK_OFF_MEMLIMIT);
    size_t mlen = get_u32(rec + SK_OFF_LENGTH);
    size_t trailer = kdf == SK_KDF_ARGON2ID ? SK_TAG_BYTES : SK_CHECKSUM_BYTES;
    if (!type_valid(type) || (kdf != SK_KDF_NONE && kdf != SK_KDF_ARGON2ID) || rec[7] != 0 ||
        mlen == 0 || mlen > SK_MATERIAL_MAX || rec_len != SK_HEADER_BYTES + mlen + trailer) {
        rc = ms_error_set(err, MS_EINPUT, "%s: corrupted key (bad header or length)", path);
        goto out;
    }
    plain = sodium_malloc(mlen);
    if (!plain) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (kdf == SK_KDF_NONE) {
        uint8_t sum[SK_CHECKSUM_BYTES];
        memcpy(plain, rec + SK_HEADER_BYTES, mlen);
        checksum(rec, plain, mlen, sum);
        if (ops != 0 || mem != 0 || !sodium_is_zero(rec + SK_OFF_SALT, SK_OFF_LENGTH - SK_OFF_SALT) ||
            sodium_memcmp(sum, rec + SK_HEADER_BYTES + mlen, SK_CHECKSUM_BYTES) != 0) {
            rc = ms_error_set(err, MS_EINPUT, "%s: corrupted key (checksum mismatch)", path);
            goto out;
        }
    } else {
        if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > SK_OPSLIMIT_MAX ||
            mem < crypto_pwhash_MEMLIMIT_MIN || mem > SK_MEMLIMIT_MAX || mem > SIZE_MAX) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: Argon2id limits out of range (opslimit %llu, memlimit %llu)",
                              path, (unsigned long long)ops, (unsigned long long)mem);
            goto out;
        }
        rc = ask_passphrase(get_passphrase, ctx, path, &pass, err);
        if (rc < 0)
            goto out;
        dk = sodium_malloc(crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        if (!dk) {
            rc = ms_error_nomem(err);
            goto out;
        }
        rc = derive_key(dk, pass, strlen(pass), rec + SK_OFF_SALT, ops, mem, err);
        if (rc < 0)
            goto out;
        if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, rec + SK_HEADER_BYTES,
                                                       mlen + SK_TAG_BYTES, rec, SK_HEADER_BYTES,
                                                       rec + SK_OFF_NONCE, dk) != 0) {
            rc = ms_error_set(err, MS_EINPUT, "%s: wrong passphrase or corrupted key", path);
            goto out;
        }
    }
    rc = key_from_material((ms_key_type)type, plain, mlen, path, out, err);
out:
    if (rec) {
        sodium_memzero(rec, body_len + 1);
        sodium_free(rec);
    }
    if (plain) {
        sodium_memzero(plain, mlen);
        sodium_free(plain);
    }
    if (dk) {
        sodium_memzero(dk, crypto_aead_xchacha20poly1305_ietf_KEYBYTES);
        sodium_free(dk);
    }
    free_passphrase(pass);
    return rc;
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
    pp->rc = ask_passphrase(pp->fn, pp->ctx, pp->path, &pass, pp->err);
    if (pp->rc < 0)
        return -1;
    size_t n = strlen(pass);
    if (size <= 0 || n >= (size_t)size) {
        free_passphrase(pass);
        pp->rc = ms_error_set(pp->err, MS_EINPUT, "%s: passphrase too long", pp->path);
        return -1;
    }
    memcpy(buf, pass, n);
    free_passphrase(pass);
    return (int)n;
}

static int load_pem_secret(const char *data, size_t len, const char *path,
                           ms_passphrase_fn get_passphrase, void *ctx, ms_key **out, ms_error *err)
{
    struct pem_pass pp = {get_passphrase, ctx, path, err, 0, 0};
    BIO *bio = BIO_new_mem_buf(data, (int)len);
    if (!bio)
        return ms_error_nomem(err);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, pem_pass_cb, &pp);
    BIO_free(bio);
    if (!pkey) {
        const char *reason = openssl_reason();
        if (pp.rc < 0)
            return pp.rc;
        if (pp.called)
            return ms_error_set(err, MS_EINPUT, "%s: wrong passphrase or corrupted key", path);
        return ms_error_set(err, MS_EINPUT, "%s: no readable private key (%s)", path, reason);
    }
    return key_adopt_evp(pkey, 1, path, out, err);
}

int ms_key_load_secret(const char *path, ms_passphrase_fn get_passphrase, void *ctx, ms_key **out,
                       ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = crypto_ready(err);
    if (rc < 0)
        return rc;
    rc = ms_file_read(path, KEY_FILE_MAX, &buf, err);
    if (rc < 0)
        goto out;
    const char *text = buf.data ? (const char *)buf.data : "";
    if (memmem(text, buf.len, SK_BEGIN, strlen(SK_BEGIN)))
        rc = load_modelseal_secret(text, buf.len, path, get_passphrase, ctx, out, err);
    else if (memmem(text, buf.len, "-----BEGIN", 10))
        rc = load_pem_secret(text, buf.len, path, get_passphrase, ctx, out, err);
    else
        rc = ms_error_set(err, MS_EINPUT, "%s: not a secret key file (no PEM block)", path);
out:
    if (buf.data)
        sodium_memzero(buf.data, buf.cap);
    ms_buf_free(&buf);
    return rc;
}
