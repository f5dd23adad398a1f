/* Internals shared by key.c (key objects, public keys, signing, PEM secret keys) and key_file.c
 * (modelseal's own secret key file). Not installed; the symbols are hidden from the shared
 * library's interface. */
#ifndef MODELSEAL_KEY_INTERNAL_H
#define MODELSEAL_KEY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "modelseal/error.h"
#include "modelseal/key.h"

#define ED25519_SEED_BYTES 32

/* Largest key file we read; real keys are well under 4 KiB. */
#define KEY_FILE_MAX (64 * 1024)

/* First line of modelseal's secret key armour; ms_key_load_secret looks for it. */
#define SK_BEGIN "-----BEGIN MODELSEAL SECRET KEY-----"

struct ms_key {
    ms_key_type type;
    int secret;    /* 1 when the key can sign */
    uint8_t *spki; /* canonical SubjectPublicKeyInfo DER (malloc) */
    size_t spki_len;
    uint8_t ed_public[crypto_sign_PUBLICKEYBYTES];
    uint8_t *ed_secret; /* Ed25519 secret key (seed || public), sodium_malloc; NULL if public */
    EVP_PKEY *pkey;     /* ECDSA key, public or private; NULL for Ed25519 */
    /* A key that signs on a PKCS#11 token (key_pkcs11.c): the public parts above are the
     * token's public key, `secret` is 1, no secret bytes are here; NULL for file keys. */
    struct key_token *token;
    /* A key that signs in a key service, Vault or AWS KMS (key_remote.c): as for a token, the
     * public parts above are the service's public key; NULL for other keys. */
    struct key_remote *remote;
};

/* ---- key.c ---- */

/* sodium_init(); MS_EENV when it fails. */
int key_crypto_ready(ms_error *err);

/* 1 when `t` is one of the ms_key_type values. */
int key_type_valid(unsigned t);

/* The OpenSSL reason for the most recent failure (thread-local text); clears the error queue. */
const char *key_openssl_reason(void);

/* The hash an ECDSA key of `type` signs with (SHA-256 for P-256, SHA-384 for P-384, ...). */
const EVP_MD *key_ec_digest(ms_key_type type);

/* A new Ed25519 secret key from a 32-byte seed. */
int key_from_seed(const uint8_t *seed, ms_key **out, ms_error *err);

/* Copy the public part of an OpenSSL key (e.g. a certificate's subject key) into a new ms_key.
 * Same algorithm restrictions as ms_key_parse_public. The caller keeps `pkey`. */
int key_from_evp(EVP_PKEY *pkey, ms_key **out, ms_error *err);

/* An ms_key from an OpenSSL key, taking ownership of `pkey` in every case. With `secret` the
 * private key is kept; otherwise only the public part. `what` names the source in errors. */
int key_adopt_evp(EVP_PKEY *pkey, int secret, const char *what, ms_key **out, ms_error *err);

/* Wrap `der` as PEM under `label`, 64 base64 characters a line, into `out` of `cap` bytes
 * (at least key_pem_size(len, label)). 0 or MS_ENOMEM. */
int key_pem_armour(const uint8_t *der, size_t len, const char *label, char *out, size_t cap);
size_t key_pem_size(size_t len, const char *label);

/* ---- key_file.c ---- */

/* Ask `fn` for a passphrase into a new sodium_malloc'd buffer of MS_KEY_PASSPHRASE_MAX + 1 bytes
 * (*out; release with keyfile_free_passphrase). No callback, or an unterminated answer, is
 * MS_EINPUT naming `path`; the callback's errors are passed on. */
int keyfile_ask_passphrase(ms_passphrase_fn fn, void *ctx, const char *path, char **out,
                           ms_error *err);
/* Wipe and release a buffer from keyfile_ask_passphrase. Accepts NULL. */
void keyfile_free_passphrase(char *pass);

/* Read modelseal's armoured secret key record from `data` (the text of file `path`). */
int keyfile_load(const char *data, size_t len, const char *path, ms_passphrase_fn get_passphrase,
                 void *ctx, ms_key **out, ms_error *err);

/* Testing hook (fuzz targets): lower the largest Argon2id opslimit / memlimit (bytes) a key file
 * may ask for, process-wide, so that hostile inputs stay fast; a file asking for more is refused
 * as out of range. 0 (or a value above the built-in bound) restores the built-in bound. Not
 * thread-safe; never called by the library or the CLI. */
void keyfile_set_kdf_limit_for_testing(uint64_t max_opslimit, uint64_t max_memlimit);

#endif
