/* Internals shared by trusted_root.c, merkle.c, rfc3161.c and sigstore_verify.c: the parsed
 * trusted root with OpenSSL objects. Not installed; the symbols are hidden from the shared
 * library's interface. */
#ifndef MODELSEAL_SIGSTORE_INTERNAL_H
#define MODELSEAL_SIGSTORE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "modelseal/error.h"
#include "modelseal/sigstore.h"

#define MS_LOG_ID_MAX 64

/* A closed interval of unix seconds; `end` is INT64_MAX when open. */
typedef struct ms_time_range {
    int64_t start;
    int64_t end;
} ms_time_range;

/* A transparency log (Rekor) or certificate transparency log. Keys and certificates are kept
 * as DER and decoded when a verification needs them: OpenSSL 3 decoding costs ~0.2 ms per
 * object, and a bundle uses one log key of each kind and one CA. */
typedef struct ms_log_instance {
    char *base_url;
    char *key_name; /* base_url without scheme or trailing '/': the checkpoint key name */
    uint8_t log_id[MS_LOG_ID_MAX];
    size_t log_id_len;
    uint8_t *key_der; /* SubjectPublicKeyInfo, or PKCS#1 when pkcs1_rsa */
    size_t key_der_len;
    int pkcs1_rsa;
    ms_time_range valid;
    const char *what; /* "tlogs[0]" etc. for messages (points into the root's storage) */
    char what_buf[32];
} ms_log_instance;

/* A Fulcio CA or a timestamp authority: its chain as listed (issued certificates first, the
 * root last), DER. */
typedef struct ms_authority {
    char *uri;
    uint8_t *certs[MS_TRUSTED_ROOT_MAX_CHAIN];
    size_t cert_lens[MS_TRUSTED_ROOT_MAX_CHAIN];
    size_t n_certs;
    ms_time_range valid;
    char what[48];
} ms_authority;

struct ms_trusted_root {
    ms_log_instance *tlogs;
    size_t n_tlogs;
    ms_log_instance *ctlogs;
    size_t n_ctlogs;
    ms_authority *cas;
    size_t n_cas;
    ms_authority *tsas;
    size_t n_tsas;
};

/* The log of `list` with this log ID, or NULL. */
const ms_log_instance *sigstore_log_find(const ms_log_instance *list, size_t n,
                                         const uint8_t *log_id, size_t log_id_len);

/* 1 when t is in the closed interval. */
int sigstore_time_in_range(const ms_time_range *r, int64_t t);

/* The log's key, decoded (EVP_PKEY_free it); NULL with err set (MS_EINPUT naming the trusted
 * root field) when it is not an ECDSA, Ed25519 or RSA public key. */
EVP_PKEY *sigstore_log_key(const ms_log_instance *log, ms_error *err);

/* The authority's chain, decoded (sk_X509_pop_free it); NULL with err set when a certificate
 * does not decode. */
STACK_OF(X509) * sigstore_authority_chain(const ms_authority *a, ms_error *err);

/* Verify `sig` over `msg` with a log key: ECDSA hashes the message with the curve's hash
 * (SHA-256/384/512), RSA with SHA-256 (PKCS#1 v1.5), Ed25519 signs it as is. 1 when valid. */
int sigstore_log_key_verify(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len);

/* ms_checkpoint_verify with the log and its decoded key. */
int sigstore_checkpoint_verify_log(const ms_checkpoint *cp, const ms_log_instance *log,
                                   EVP_PKEY *key, ms_error *err);

/* An ASN.1 UTCTime / GeneralizedTime as unix seconds. 0 or -1. */
int sigstore_asn1_time_unix(const ASN1_TIME *t, int64_t *out);

/* "2023-07-12T15:56:36Z" for messages (buf of at least 32 bytes). */
const char *sigstore_time_format(int64_t t, char *buf, size_t size);

#endif
