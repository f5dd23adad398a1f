/* modelseal's secret key file (modelseal-keys(5)): the armoured MSSK record, unencrypted with a
 * BLAKE2b checksum or encrypted with Argon2id + XChaCha20-Poly1305, and the passphrase request
 * shared with the PEM reader in key.c. Key objects themselves live in key.c. Every buffer that
 * holds secret material is sodium_malloc'd and wiped on every path out. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "modelseal/key.h"
#include "util/fs.h"

#include "key_internal.h"

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
#define SK_END "-----END MODELSEAL SECRET KEY-----"

/* Argon2id limits a key file may ask for; only keyfile_set_kdf_limit_for_testing lowers
 * them. */
static uint64_t sk_opslimit_max = SK_OPSLIMIT_MAX;
static uint64_t sk_memlimit_max = SK_MEMLIMIT_MAX;

void keyfile_set_kdf_limit_for_testing(uint64_t max_opslimit, uint64_t max_memlimit)
{
    sk_opslimit_max =
        max_opslimit && max_opslimit < SK_OPSLIMIT_MAX ? max_opslimit : SK_OPSLIMIT_MAX;
    sk_memlimit_max =
        max_memlimit && max_memlimit < SK_MEMLIMIT_MAX ? max_memlimit : SK_MEMLIMIT_MAX;
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
        return ms_error_set(err, MS_EENV, "cannot encode the secret key: %s", key_openssl_reason());
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
        return ms_error_set(err, MS_ENOMEM,
                            "cannot derive the key from the passphrase: out of "
                            "memory");
    return 0;
}

int ms_key_save_secret(const ms_key *key, const char *path, const char *passphrase, int force,
                       ms_error *err)
{
    uint8_t *material = NULL, *record = NULL, *dk = NULL;
    char *text = NULL;
    size_t material_len = 0, record_len = 0, text_cap = 0;
    int rc = key_crypto_ready(err);
    if (rc < 0)
        return rc;
    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "%s: cannot save a public key as a secret key", path);
    if (key->token)
        return ms_error_set(err, MS_EINPUT, "%s: a key on a token cannot be written to a file",
                            path);
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
    text_cap = key_pem_size(record_len, "MODELSEAL SECRET KEY");
    text = sodium_malloc(text_cap);
    if (!text) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (key_pem_armour(record, record_len, "MODELSEAL SECRET KEY", text, text_cap) < 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = msx_file_write_atomic(path, text, strlen(text), 0600, !force, err);
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
int keyfile_ask_passphrase(ms_passphrase_fn fn, void *ctx, const char *path, char **out,
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

void keyfile_free_passphrase(char *pass)
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

int keyfile_load(const char *data, size_t len, const char *path, ms_passphrase_fn get_passphrase,
                 void *ctx, ms_key **out, ms_error *err)
{
    const char *body = NULL;
    size_t body_len = 0, rec_len = 0;
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
    if (!key_type_valid(type) || (kdf != SK_KDF_NONE && kdf != SK_KDF_ARGON2ID) || rec[7] != 0 ||
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
        if (ops != 0 || mem != 0 ||
            !sodium_is_zero(rec + SK_OFF_SALT, SK_OFF_LENGTH - SK_OFF_SALT) ||
            sodium_memcmp(sum, rec + SK_HEADER_BYTES + mlen, SK_CHECKSUM_BYTES) != 0) {
            rc = ms_error_set(err, MS_EINPUT, "%s: corrupted key (checksum mismatch)", path);
            goto out;
        }
    } else {
        if (ops < crypto_pwhash_OPSLIMIT_MIN || ops > sk_opslimit_max ||
            mem < crypto_pwhash_MEMLIMIT_MIN || mem > sk_memlimit_max || mem > SIZE_MAX) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: Argon2id limits out of range (opslimit %llu, memlimit %llu)",
                              path, (unsigned long long)ops, (unsigned long long)mem);
            goto out;
        }
        rc = keyfile_ask_passphrase(get_passphrase, ctx, path, &pass, err);
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
    keyfile_free_passphrase(pass);
    return rc;
}
