/* Signing keys: Ed25519 (libsodium) and ECDSA P-256/P-384/P-521 (OpenSSL).
 *
 * An ms_key holds a public key, or a secret key together with its public key. Public keys are
 * read and written as SubjectPublicKeyInfo PEM, the form `openssl pkey -pubin` reads and OMS
 * bundles hint at. Secret keys are written in modelseal's own armoured, optionally
 * passphrase-encrypted format (modelseal-keys(5)); PKCS#8 and SEC1 PEM keys made by OpenSSL or
 * model_signing users are read as well. Secret bytes live in sodium_malloc'd memory and are wiped
 * on every path out. This module signs and verifies raw messages; DSSE framing is elsewhere. */
#ifndef MODELSEAL_KEY_H
#define MODELSEAL_KEY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_key_type {
    MS_KEY_ED25519 = 1,
    MS_KEY_ECDSA_P256 = 2,
    MS_KEY_ECDSA_P384 = 3,
    MS_KEY_ECDSA_P521 = 4
} ms_key_type;

typedef struct ms_key ms_key;

/* Longest passphrase accepted, in bytes, excluding the terminating NUL. */
#define MS_KEY_PASSPHRASE_MAX 1023

/* Asked for a passphrase when, and only when, a secret key file is encrypted. Write a
 * NUL-terminated passphrase into buf (buf_size bytes, at least MS_KEY_PASSPHRASE_MAX + 1) and
 * return 0, or return a negative MS_E* code after filling err (e.g. no terminal). The caller wipes
 * buf afterwards. */
typedef int (*ms_passphrase_fn)(void *ctx, char *buf, size_t buf_size, ms_error *err);

/* "ed25519", "ecdsa-p256", "ecdsa-p384", "ecdsa-p521"; "unknown" for anything else. */
MS_API const char *ms_key_type_name(ms_key_type type);

/* Parse one of the names above into *type. 0, or MS_EINPUT for an unknown name. */
MS_API int ms_key_type_parse(const char *name, ms_key_type *type);

/* Generate a fresh secret key of `type`. *out is owned by the caller (ms_key_free). 0, MS_EINPUT
 * (unknown type), MS_EENV (randomness / crypto failure) or MS_ENOMEM. */
MS_API int ms_key_generate(ms_key_type type, ms_key **out, ms_error *err);

/* Write the public part as SubjectPublicKeyInfo PEM (mode 0644, atomic, replaces `path`). */
MS_API int ms_key_save_public(const ms_key *key, const char *path, ms_error *err);

/* Write a secret key in modelseal's format (modelseal-keys(5)), mode 0600. With a non-NULL,
 * non-empty `passphrase` the key material is encrypted (Argon2id + XChaCha20-Poly1305); NULL
 * writes it unencrypted and "" is refused. An existing file is refused (MS_EINPUT) unless
 * `force`. A public-only key is MS_EINPUT. */
MS_API int ms_key_save_secret(const ms_key *key, const char *path, const char *passphrase,
                              int force, ms_error *err);

/* Read a secret key: modelseal's format, PKCS#8 PEM ("PRIVATE KEY"), encrypted PKCS#8
 * ("ENCRYPTED PRIVATE KEY") or SEC1 ("EC PRIVATE KEY", legacy PEM encryption too), for the four
 * supported key types. `get_passphrase` (may be NULL) is called only for encrypted files. A wrong
 * passphrase, a damaged file, an unsupported algorithm or a file over 64 KiB are MS_EINPUT naming
 * `path`; errors from get_passphrase are passed on. *out is owned by the caller. */
MS_API int ms_key_load_secret(const char *path, ms_passphrase_fn get_passphrase, void *ctx,
                              ms_key **out, ms_error *err);

/* Parse a secret key held in memory (`len` bytes, at most 64 KiB): the forms and rules of
 * ms_key_load_secret, with `what` (NULL: "secret key") naming it in messages. The caller wipes
 * its own copy of the bytes. *out is owned by the caller. 0, MS_EINPUT, MS_EENV or MS_ENOMEM. */
MS_API int ms_key_parse_secret(const uint8_t *data, size_t len, const char *what,
                               ms_passphrase_fn get_passphrase, void *ctx, ms_key **out,
                               ms_error *err);

/* A key that signs, from a key source (modelseal-keys(5)): a secret key file, read as
 * ms_key_load_secret does, or, when `source` starts with "pkcs11:", the private key on a PKCS#11
 * token that RFC 7512 URI names (module: the URI's module-path or module-name, else
 * $MODELSEAL_PKCS11_MODULE, else p11-kit's configured modules). The key never leaves the token:
 * ms_key_sign signs there (ECDSA P-256/P-384/P-521 over the curve's hash, Ed25519 where the
 * token has CKM_EDDSA) and checks each signature with the public key read from the token's
 * public-key object or certificate. A token's PIN comes from the URI's pin-source, else its
 * pin-value, else `get_secret` (asked once; a rejected PIN is never retried); it is wiped after
 * use and no message quotes it. Errors: a module that cannot be loaded is MS_EENV naming it; no
 * such token or key, a rejected PIN ("PIN rejected by the token"), a key type the token cannot
 * sign with, a malformed URI are MS_EINPUT naming the URI without its PIN. *out is owned by the
 * caller (ms_key_free ends the token session).
 * A source starting with "hashivault://" names a key in HashiCorp Vault's transit engine
 * ($VAULT_ADDR, $VAULT_TOKEN or ~/.vault-token, $VAULT_NAMESPACE); one starting with
 * "awskms://" a key in AWS KMS (credentials and region as the AWS SDKs find them): the service
 * signs, over HTTPS (plain HTTP only to loopback), and each signature is checked with the public
 * key the service reported (modelseal-keys(5)). No such key, a key type that cannot sign, a
 * malformed URI or missing configuration are MS_EINPUT; an unreachable, failing or throttling
 * service, refused credentials, or an answer that does not verify are MS_EENV naming the
 * service. No message carries a token or secret. */
MS_API int ms_key_open_signer(const char *source, ms_passphrase_fn get_secret, void *ctx,
                              ms_key **out, ms_error *err);

/* 1 when `source` is a PKCS#11 URI ("pkcs11:..."), else 0. */
MS_API int ms_key_is_token_uri(const char *source);

/* Generate a key pair of `type` on the PKCS#11 token `uri` names, labelled with the URI's
 * object= (required) and given its id= (else 16 random bytes): the private key is sensitive and
 * not extractable. A token already holding an object of that label (or id) is MS_EINPUT, as is
 * a type the token cannot make or sign with. PIN and errors as ms_key_open_signer. *out is the
 * new public key (ms_key_save_public writes it), owned by the caller. */
MS_API int ms_key_generate_on_token(const char *uri, ms_key_type type, ms_passphrase_fn get_pin,
                                    void *ctx, ms_key **out, ms_error *err);

/* Read a public key file (see ms_key_parse_public); errors name `path`. */
MS_API int ms_key_load_public(const char *path, ms_key **out, ms_error *err);

/* Parse a SubjectPublicKeyInfo public key, PEM ("PUBLIC KEY"; text before the block is ignored)
 * or DER. Only Ed25519 and ECDSA P-256/P-384/P-521 keys are accepted; others (RSA, ...) are
 * MS_EINPUT naming the algorithm. *out is owned by the caller. */
MS_API int ms_key_parse_public(const uint8_t *pem_or_der, size_t len, ms_key **out, ms_error *err);

/* The public key as canonical SubjectPublicKeyInfo PEM text (64-column base64, trailing newline),
 * byte-identical to `openssl pkey -pubout`. malloc'd (free() it); NULL when out of memory. */
MS_API char *ms_key_public_pem(const ms_key *key);

/* Lowercase hex SHA-256 of ms_key_public_pem's text: the OMS `publicKey.hint`. 0 or MS_ENOMEM. */
MS_API int ms_key_hint(const ms_key *key, char hex[65]);

/* The Sigstore `keyDetails` name: "PKIX_ED25519", "PKIX_ECDSA_P256_SHA_256",
 * "PKIX_ECDSA_P384_SHA_384" or "PKIX_ECDSA_P521_SHA_512". */
MS_API const char *ms_key_details(const ms_key *key);

MS_API ms_key_type ms_key_get_type(const ms_key *key);

/* 1 when the key can sign, 0 for a public key. */
MS_API int ms_key_is_secret(const ms_key *key);

/* Sign `msg`. Ed25519: pure Ed25519, 64 bytes. ECDSA: the message is hashed with the curve's
 * hash (SHA-256/384/512 for P-256/384/521), DER-encoded signature. *sig is malloc'd (free() it).
 * A public-only key is MS_EINPUT. */
MS_API int ms_key_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig,
                       size_t *sig_len, ms_error *err);

/* Check a signature made as ms_key_sign does. 0 when valid; MS_EVERIFY when it is not, whatever
 * the signature bytes are ("signature does not verify with key <hint prefix>"). */
MS_API int ms_key_verify(const ms_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                         size_t sig_len, ms_error *err);

/* 1 when both keys have the same type and public key, else 0. NULL never equals anything. */
MS_API int ms_key_equal(const ms_key *a, const ms_key *b);

/* Wipe and release. Accepts NULL. */
MS_API void ms_key_free(ms_key *key);

#ifdef __cplusplus
}
#endif
#endif
