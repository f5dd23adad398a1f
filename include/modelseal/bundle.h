/* Sigstore bundles (JSON form of protobuf-specs Bundle): reading bundles made by any OMS signer
 * (media types v0.1, v0.2, v0.3) and writing ours (v0.3, one compact line, no newline).
 *
 * A bundle carries the verification material as data (public key hint or bytes, certificates,
 * transparency log entries, timestamps); checking it is the verifier's job. */
#ifndef MODELSEAL_BUNDLE_H
#define MODELSEAL_BUNDLE_H

#include <stddef.h>
#include <stdint.h>

#include "dsse.h"
#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_BUNDLE_MEDIA_TYPE_V03 "application/vnd.dev.sigstore.bundle.v0.3+json"
#define MS_BUNDLE_MEDIA_TYPE_V03_ALT "application/vnd.dev.sigstore.bundle+json;version=0.3"
#define MS_BUNDLE_MEDIA_TYPE_V02 "application/vnd.dev.sigstore.bundle+json;version=0.2"
#define MS_BUNDLE_MEDIA_TYPE_V01 "application/vnd.dev.sigstore.bundle+json;version=0.1"
#define MS_BUNDLE_MAX_SIZE ((size_t)128 << 20)
#define MS_BUNDLE_MAX_CERTIFICATES 16
#define MS_BUNDLE_MAX_CERTIFICATE_SIZE ((size_t)1 << 20)
#define MS_BUNDLE_MAX_TLOG_ENTRIES 64

typedef enum ms_bundle_material {
    MS_MATERIAL_NONE = 0,   /* only in a new bundle before a setter ran */
    MS_MATERIAL_PUBLIC_KEY, /* verificationMaterial.publicKey {hint | rawBytes} */
    MS_MATERIAL_X509_CHAIN, /* verificationMaterial.x509CertificateChain, leaf first */
    MS_MATERIAL_CERTIFICATE /* verificationMaterial.certificate (v0.3 single leaf) */
} ms_bundle_material;

/* messageSignature, kept as raw fields for the Sigstore verifier. */
typedef struct ms_message_signature {
    char *digest_algorithm; /* messageDigest.algorithm, e.g. "SHA2_256"; NULL when absent */
    uint8_t *digest;        /* messageDigest.digest; NULL when absent */
    size_t digest_len;
    uint8_t *signature;
    size_t signature_len;
} ms_message_signature;

typedef struct ms_bundle ms_bundle;

/* Parse a bundle (untrusted). Checks: size <= MS_BUNDLE_MAX_SIZE, strict JSON (see
 * no duplicate keys, bounded depth), a known mediaType, exactly one of dsseEnvelope (payloadType
 * must be in-toto) / messageSignature, verificationMaterial with exactly one of publicKey,
 * x509CertificateChain (1..16 certificates), certificate; a `certificate` (Sigstore keyless)
 * needs at least one tlogEntries entry. Base64 fields are decoded. On success *out is new
 * (ms_bundle_free). 0, MS_EINPUT (message names the field) or MS_ENOMEM. */
MS_API int ms_bundle_parse(const uint8_t *json, size_t len, ms_bundle **out, ms_error *err);

/* A new v0.3 bundle around a deep copy of `env`, with no verification material yet.
 * 0 or MS_ENOMEM. */
MS_API int ms_bundle_new_dsse(const ms_dsse_envelope *env, ms_bundle **out, ms_error *err);

/* A new v0.3 bundle with a messageSignature: a copy of the artifact's digest (messageDigest:
 * `digest_algorithm`, e.g. "SHA2_256") and of the signature over the artifact, with no
 * verification material yet. 0, MS_EINPUT (empty or oversized fields) or MS_ENOMEM. */
MS_API int ms_bundle_new_message(const char *digest_algorithm, const uint8_t *digest,
                                 size_t digest_len, const uint8_t *sig, size_t sig_len,
                                 ms_bundle **out, ms_error *err);

/* Material setters: each replaces any material set before.
 * set_key_hint: publicKey {"hint": hint} (our key bundles: hex SHA-256 of the public key PEM).
 * set_chain: x509CertificateChain with copies of the DER certificates, leaf first (1..16).
 * set_certificate: the v0.3 single `certificate` (Sigstore keyless leaf).
 * 0, MS_EINPUT (empty/too many/too large) or MS_ENOMEM. */
MS_API int ms_bundle_set_key_hint(ms_bundle *b, const char *hint, ms_error *err);
MS_API int ms_bundle_set_chain(ms_bundle *b, const uint8_t *const *ders, const size_t *lens,
                               size_t n, ms_error *err);
MS_API int ms_bundle_set_certificate(ms_bundle *b, const uint8_t *der, size_t len, ms_error *err);
/* Replace tlogEntries (must be an array) / timestampVerificationData (must be an object) with
 * the JSON text `json` (`len` bytes, strict JSON); NULL removes them. 0, MS_EINPUT or
 * MS_ENOMEM. */
MS_API int ms_bundle_set_tlog_entries_json(ms_bundle *b, const char *json, size_t len,
                                           ms_error *err);
MS_API int ms_bundle_set_timestamp_data_json(ms_bundle *b, const char *json, size_t len,
                                             ms_error *err);

/* Serialize as one line of compact JSON without a trailing newline (byte for byte what
 * model_signing 1.1 writes for the same content; a claims file adds its own "\n"): mediaType,
 * verificationMaterial
 * (material, then tlogEntries, [] when none was set, then timestampVerificationData if set),
 * then dsseEnvelope or messageSignature, into *out (malloc'd, NUL-terminated, *out_len bytes;
 * release with ms_free). A parsed bundle is written with the fields this module models
 * (unknown fields are dropped). 0, MS_EINPUT (no material or no content) or MS_ENOMEM. */
MS_API int ms_bundle_serialize(const ms_bundle *b, char **out, size_t *out_len, ms_error *err);

/* Accessors; the returned pointers are owned by the bundle. */
MS_API const char *ms_bundle_media_type(const ms_bundle *b);
MS_API const ms_dsse_envelope *ms_bundle_envelope(const ms_bundle *b); /* NULL if none */
MS_API const ms_message_signature *
ms_bundle_message_signature(const ms_bundle *b); /* NULL if none */
MS_API ms_bundle_material ms_bundle_material_kind(const ms_bundle *b);
MS_API const char *ms_bundle_key_hint(const ms_bundle *b); /* may be NULL */
/* Legacy publicKey.rawBytes (PEM text or DER) and keyDetails; NULL when absent. */
MS_API const uint8_t *ms_bundle_public_key_raw(const ms_bundle *b, size_t *len);
MS_API const char *ms_bundle_key_details(const ms_bundle *b);
/* Certificates as DER, leaf first: the chain, or the single `certificate` (count 1). */
MS_API size_t ms_bundle_certificate_count(const ms_bundle *b);
MS_API const uint8_t *ms_bundle_certificate(const ms_bundle *b, size_t i, size_t *len);
/* The number of tlogEntries (0 when absent); 1 when timestampVerificationData is present. */
MS_API size_t ms_bundle_tlog_entry_count(const ms_bundle *b);
MS_API int ms_bundle_has_timestamp_data(const ms_bundle *b);
/* tlogEntries / timestampVerificationData as compact JSON text in *out (malloc'd, release with
 * ms_free), or *out = NULL when absent. 0 or MS_ENOMEM. */
MS_API int ms_bundle_tlog_entries_json(const ms_bundle *b, char **out, ms_error *err);
MS_API int ms_bundle_timestamp_data_json(const ms_bundle *b, char **out, ms_error *err);

MS_API void ms_bundle_free(ms_bundle *b);

#ifdef __cplusplus
}
#endif
#endif
