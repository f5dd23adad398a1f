/* Signatures over arbitrary artifacts ("blobs"), as every Sigstore client makes them: a
 * `messageSignature` bundle (the artifact's SHA-256 digest and a signature over the artifact)
 * or a DSSE bundle of an in-toto statement whose subject is the artifact.
 *
 * Models have their own signatures (sign.h, verify.h); this module is for single files, for
 * interoperability with other Sigstore clients and the sigstore-conformance suite. Verification
 * is offline: by managed key, or keylessly by certificate identity and OIDC issuer against a
 * trusted root (sigstore.h). Keyless signing is sigstore_sign.h. */
#ifndef MODELSEAL_BLOB_H
#define MODELSEAL_BLOB_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "key.h"
#include "sigstore.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest in-toto statement signed or checked, in bytes. */
#define MS_BLOB_MAX_STATEMENT ((size_t)16 << 20)

/* The artifact being signed or verified: its SHA-256 digest always, its bytes when it was
 * opened from a file (mapped read-only). */
typedef struct ms_blob_artifact {
    uint8_t sha256[32];
    const uint8_t *data; /* NULL when only the digest is known */
    size_t len;
    void *map; /* private: the mapping to release */
    size_t map_len;
} ms_blob_artifact;

/* Open the regular file `path` (mapped read-only) and hash it. MS_EINPUT naming the path when
 * it is missing, unreadable or not a regular file; MS_EENV when it cannot be mapped. Release
 * with ms_blob_artifact_close. */
MS_API int ms_blob_artifact_open(const char *path, ms_blob_artifact *a, ms_error *err);

/* An artifact known only by its digest: "sha256:" followed by exactly 64 hex digits.
 * 0 or MS_EINPUT. */
MS_API int ms_blob_artifact_from_digest(const char *text, ms_blob_artifact *a, ms_error *err);

/* 1 when `text` has the digest form above (the conformance protocol's FILE_OR_DIGEST rule:
 * a digest form that names no existing path is a digest). */
MS_API int ms_blob_is_digest(const char *text);

/* Unmap. Accepts a zeroed or already closed artifact. */
MS_API void ms_blob_artifact_close(ms_blob_artifact *a);

/* Sign the artifact with `key` (a secret key) as a messageSignature bundle (v0.3): messageDigest
 * SHA2_256 and the signature, with publicKey.hint (hex SHA-256 of the public key PEM). ECDSA
 * P-256 signs the SHA-256 digest; Ed25519 signs the artifact's bytes (so `a` must have been
 * opened from a file). The compact JSON goes to *bundle_json (malloc'd, *bundle_len bytes;
 * release with ms_free). 0; MS_EINPUT (public key, another key type, digest-only artifact for
 * Ed25519); MS_ENOMEM. */
MS_API int ms_blob_sign(const ms_blob_artifact *a, const ms_key *key, char **bundle_json,
                        size_t *bundle_len, ms_error *err);

/* Check that `payload` is an in-toto statement (v1 or v0.1: `_type`, a non-empty `subject`
 * array of {name, digest}) and, when `sha256` is non-NULL, that one subject's digest.sha256 is
 * it. 0; MS_EINPUT when it is not a statement (`what` names it); MS_EVERIFY when no subject
 * matches. */
MS_API int ms_blob_check_statement(const uint8_t *payload, size_t len, const uint8_t *sha256,
                                   const char *what, ms_error *err);

typedef struct ms_blob_trust {
    const ms_key *key;    /* a managed public key, or NULL for keyless */
    const char *identity; /* keyless: the certificate's exact SAN */
    const char *issuer;   /* keyless: the exact OIDC issuer */
    /* Required for keyless bundles and for key bundles that carry transparency log entries or
     * timestamps (which are then all verified against it). */
    const ms_trusted_root *root;
} ms_blob_trust;

typedef struct ms_blob_result {
    int dsse;              /* 1: a DSSE bundle of an in-toto statement; 0: messageSignature */
    char hint[65];         /* hex SHA-256 of the signing key's public PEM */
    char *identity;        /* keyless: the certificate's SAN (malloc'd); NULL with a key */
    char *issuer;          /* keyless: the OIDC issuer (malloc'd) */
    int64_t signing_time;  /* the earliest verified timestamp; 0 when none */
    size_t n_tlog_entries; /* verified transparency log entries */
    size_t n_timestamps;   /* verified timestamps */
} ms_blob_result;

MS_API void ms_blob_result_clear(ms_blob_result *res);

/* Verify the bundle JSON over the artifact: the trust material (key, or identity and issuer
 * with every Sigstore check of ms_sigstore_verify_bundle), the signature, and for a DSSE
 * bundle that the statement names the artifact's SHA-256 as a subject digest. `res` (optional)
 * is filled on success. 0; MS_EVERIFY naming the failed check; MS_EINPUT for a malformed bundle
 * or a missing trusted root; MS_ENOMEM. */
MS_API int ms_blob_verify(const uint8_t *bundle_json, size_t len, const ms_blob_artifact *a,
                          const ms_blob_trust *trust, ms_blob_result *res, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
