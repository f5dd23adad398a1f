/* Deployment policies and the chain they verify (modelseal-policy(5), `verify --policy`).
 *
 * A policy (JSON, version 1) names trusted keys and, per link of a model's chain, which keys
 * may sign it and what it must say: the model signature, its SLSA provenance, the datasets it
 * was trained on, the training code's commit and the base model it was fine-tuned from.
 * Parsing is strict (unknown fields, wrong types, undefined key names are errors naming the
 * field). Verification trusts nothing but the policy's keys and fails closed: every link the
 * policy requires must be shown to hold, and anything that cannot be checked is a failure. */
#ifndef MODELSEAL_POLICY_H
#define MODELSEAL_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "hash.h"
#include "key.h"
#include "manifest.h"
#include "sigstore.h"
#include "verify.h"
#include "x509.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_POLICY_MAX_SIZE ((size_t)1 << 20)
#define MS_POLICY_VERSION 1
#define MS_POLICY_DEFAULT_MAX_DEPTH 4
#define MS_POLICY_MAX_DEPTH_LIMIT 64

typedef struct ms_policy_strings {
    char **items;
    size_t n;
} ms_policy_strings;

/* One entry of "keys": a public key; a certificate chain (trusted roots and intermediates)
 * with the exact identity (SAN) the signing certificate must carry; or a Sigstore keyless
 * identity (SAN and OIDC issuer) verified offline against a trusted root. */
typedef struct ms_policy_key {
    char *name;
    char *path;                     /* the file, resolved against the policy's directory */
    ms_key *key;                    /* public_key; NULL otherwise */
    ms_x509_chain *roots;           /* certificate_chain; NULL otherwise */
    char *identity;                 /* with roots or sigstore_root */
    ms_trusted_root *sigstore_root; /* sigstore.trusted_root; NULL otherwise */
    char *issuer;                   /* sigstore.issuer */
} ms_policy_key;

/* A section's signers: key names, and their indices into ms_policy.keys. */
typedef struct ms_policy_signers {
    ms_policy_strings names;
    size_t *index;
} ms_policy_signers;

typedef struct ms_policy_dataset_data {
    char *name;
    char *manifest; /* resolved path of the manifest file */
    char *path;     /* resolved path of the data directory */
} ms_policy_dataset_data;

typedef struct ms_policy {
    char *file;         /* the policy file as given */
    int has_expires;    /* 0: never expires */
    int64_t expires;    /* unix seconds */
    char *expires_text; /* as written */
    ms_policy_key *keys;
    size_t n_keys;

    ms_policy_signers model_signers;
    /* model.ignore: exact paths relative to the model, left out when it is re-hashed (besides
     * the signature's own ignore paths) */
    ms_policy_strings model_ignore;

    int has_provenance;
    int provenance_required; /* default 1 */
    ms_policy_signers provenance_signers;
    ms_policy_strings builder_ids;
    int has_build_types;
    ms_policy_strings build_types;
    int has_allowed_parameters;
    ms_policy_strings allowed_parameters;

    int has_datasets;
    ms_policy_signers dataset_signers;
    ms_policy_strings datasets_required;
    ms_policy_dataset_data *datasets_data;
    size_t n_datasets_data;

    int has_code;
    int code_required; /* default 1 */
    ms_policy_strings code_uris;
    ms_policy_strings code_refs;
    char *code_repository; /* resolved; NULL when not given */
    int allow_dirty;       /* default 0 */

    int has_base_model;
    int base_model_required; /* default 0 */
    ms_policy_signers base_model_signers;
    int require_provenance; /* default 0 */
    unsigned max_depth;     /* default MS_POLICY_DEFAULT_MAX_DEPTH */
} ms_policy;

/* Parse policy text (untrusted, at most MS_POLICY_MAX_SIZE bytes, strict JSON) and load the
 * key and certificate files it names. Relative paths are taken relative to `base_dir` (NULL:
 * the current directory). `what` names the document in messages. Any unknown field, wrong type,
 * missing mandatory field, undefined key name or version other than 1 is MS_EINPUT naming the
 * field path ("policy.provenance.builder_ids[1]: not a string"). *out is new (ms_policy_free).
 * 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_policy_parse(const uint8_t *text, size_t len, const char *what, const char *base_dir,
                           ms_policy **out, ms_error *err);

/* Read and parse the policy file `path`; paths inside it are relative to its directory. */
MS_API int ms_policy_load(const char *path, ms_policy **out, ms_error *err);

MS_API void ms_policy_free(ms_policy *p);

/* 1 when the policy has expired at `now` (unix seconds), else 0. */
MS_API int ms_policy_expired(const ms_policy *p, int64_t now);

/* 1 when `ref` matches `pattern`: equal, or `pattern` ends in '*' and `ref` starts with the
 * part before it. */
MS_API int ms_policy_ref_matches(const char *pattern, const char *ref);

/* ---- the chain (chain.c, chain_provenance.c, chain_inputs.c) ------------------------------ */

/* One verdict. `link` is "policy", "model", "provenance", "dataset", "code" or "base-model";
 * `name` is the dataset's or base model's name (NULL otherwise); nested links are a base
 * model's own provenance and base models. */
typedef struct ms_chain_link {
    char *link;
    char *name;
    int ok;
    char *reason;
    struct ms_chain_link *links;
    size_t n_links;
} ms_chain_link;

typedef struct ms_chain_result {
    ms_chain_link *links; /* in order: policy, model, provenance, dataset..., code, base-model... */
    size_t n_links;
    char *model_name; /* the signed subject name; NULL when the signature did not verify */
    int has_digest;   /* 1 when model_digest holds the signed, verified root digest */
    uint8_t model_digest[MS_SHA256_SIZE];
    size_t n_failed; /* top-level links that failed */
    /* The model's own files that differ from its signature (the model link), empty otherwise. */
    ms_manifest_diff diff;
} ms_chain_result;

typedef struct ms_chain_options {
    const char *signature_path; /* NULL: MODEL/model.sig or MODEL.sig */
    const char *claims_path;    /* NULL: MODEL/claims.jsonl or MODEL.claims.jsonl */
    ms_manifest_options hash;   /* threads, buffer, progress for the model re-hash */
    unsigned dataset_threads;   /* threads for re-hashing data directories; 0: online CPUs */
    int64_t now;                /* unix seconds; 0: the current time */
} ms_chain_options;

/* Verify `model`'s chain against `policy`, filling `res` (clear it with
 * ms_chain_result_clear) with one verdict per link. 0 when every link holds; MS_EVERIFY when
 * one fails (err names the first); MS_EINPUT when the claims file, the model's signature or
 * another bundle is malformed or unreadable; MS_EENV / MS_ENOMEM. */
MS_API int ms_chain_verify(const ms_policy *policy, const char *model, const ms_chain_options *opts,
                           ms_chain_result *res, ms_error *err);

MS_API void ms_chain_result_clear(ms_chain_result *res);

/* The trust a policy key stands for, as ms_verify_bundle_signature takes it: its public key
 * (through *slot, which must live as long as t), its certificate roots and identity, or its
 * Sigstore trusted root, identity and issuer. t->at_time is 0 (the caller sets it). */
MS_API void ms_policy_key_trust(const ms_policy_key *k, const ms_key **slot, ms_trust *t);

#ifdef __cplusplus
}
#endif
#endif
