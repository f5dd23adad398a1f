/* Verification: a Sigstore bundle's DSSE signature against trusted keys or certificate roots,
 * and a model against the OMS manifest the bundle signs.
 *
 * Trust comes only from the caller (keys, roots, identity), never from the bundle itself: a
 * bundle's own public key or hint only selects among trusted keys. */
#ifndef MODELSEAL_VERIFY_H
#define MODELSEAL_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "export.h"
#include "key.h"
#include "manifest.h"
#include "sigstore.h"
#include "statement.h"
#include "x509.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_trust {
    const ms_key *const *keys; /* trusted public keys (key-material bundles) */
    size_t n_keys;
    const ms_x509_chain *roots; /* trusted roots (certificate bundles); may hold intermediates */
    const char *identity;       /* with roots: required SAN (email, URI or DNS), or NULL */
    int64_t at_time;            /* certificate validity time, unix seconds; 0 = now */
    /* -- Sigstore keyless (sigstore.h) -- With a trusted root, a certificate bundle that carries
     * transparency log entries or timestamps (or any, when no `roots` are given) is verified
     * offline against it: `identity` is the required SAN, `sigstore_issuer` the required OIDC
     * issuer; `roots` and `at_time` do not apply to it. */
    const ms_trusted_root *sigstore_root;
    const char *sigstore_issuer; /* also required of a plain certificate bundle's leaf (its OIDC
                                    issuer extension) when set */
    /* With sigstore_root and keys: a key bundle must be in a transparency log of that root (at
     * least one entry, verified; timestamps alone are refused). Without it, a key bundle's log
     * entries and timestamps are verified against the root when it carries any. */
    int key_bundle_logged;
    /* -- end Sigstore -- */
} ms_trust;

typedef struct ms_signer_info {
    char kind[16];  /* "key", "certificate" or "sigstore" */
    char hint[65];  /* key: hex SHA-256 of the public key PEM */
    char *identity; /* certificate: the leaf's first SAN, malloc'd or NULL */
    char *subject;  /* certificate: the leaf subject, malloc'd or NULL */
    /* -- Sigstore keyless (kind "sigstore"; identity and subject as for a certificate) -- */
    char *issuer;         /* the OIDC issuer, malloc'd or NULL */
    int64_t signing_time; /* the earliest verified timestamp, unix seconds (also for a key
                             bundle whose log entries or timestamps were verified with a
                             trusted root); 0 otherwise */
    /* -- end Sigstore -- */
} ms_signer_info;

MS_API void ms_signer_info_clear(ms_signer_info *info);

/* Verify the bundle's DSSE envelope: its payload type must be in-toto, and one of its signatures
 * over the PAE of the exact payload bytes must verify with trusted material. On success, `info`
 * (optional) names the signer. MS_EVERIFY with the reason otherwise; MS_EINPUT when the bundle
 * has no DSSE envelope or its certificates do not parse. */
MS_API int ms_verify_bundle_signature(const ms_bundle *bundle, const ms_trust *trust,
                                      ms_signer_info *info, ms_error *err);

typedef struct ms_verify_options {
    ms_manifest_options hash;         /* threads, buffer, progress */
    const char *const *extra_ignores; /* user --ignore paths, relative to the model root */
    size_t n_extra_ignores;
    const char *signature_path; /* the signature file, skipped when inside the model */
    int ignore_unsigned_files;  /* hash only the files the bundle lists */
    int allow_empty;            /* accept a signature over no files */
    int allow_symlinks;         /* follow links to files inside the model, as signing may */
} ms_verify_options;

typedef struct ms_verify_result {
    ms_statement *statement; /* the signed statement (NULL if parsing never got that far) */
    ms_signer_info signer;
    ms_manifest_diff diff; /* missing, extra and changed files, when the model differs */
    size_t n_files;        /* files hashed */
} ms_verify_result;

MS_API void ms_verify_result_clear(ms_verify_result *res);

/* Verify `model` against the bundle JSON text: signature (trusted material), statement, subject
 * digest over the listed resources, then a re-hash of the model with the bundle's serialization
 * (plus opts' extra ignores) compared file by file. 0 = verified; MS_EVERIFY with err naming the
 * first failure and res->diff filled for file differences; MS_EINPUT for malformed input. */
MS_API int ms_verify_model(const char *model, const uint8_t *bundle_json, size_t len,
                           const ms_trust *trust, const ms_verify_options *opts,
                           ms_verify_result *res, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
