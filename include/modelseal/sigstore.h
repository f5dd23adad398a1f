/* Sigstore keyless signatures, verified offline against a trusted root.
 *
 * A trusted root (protobuf-specs TrustedRoot, `trusted_root.json`) names the Fulcio certificate
 * authorities, the Rekor transparency logs, the certificate transparency logs and the timestamp
 * authorities of one Sigstore instance, each with a validity window. From it alone, with no
 * network, this module checks a bundle's Fulcio leaf certificate (chain at the signing time,
 * codeSigning, identity and OIDC issuer, embedded SCT), its transparency log entries (the body
 * matches the bundle, RFC 6962 inclusion proof, signed checkpoint, signed entry timestamp) and
 * its RFC 3161 timestamps, then the signature itself; the log entries and timestamps of a
 * bundle signed with a managed key too. Keyless signing (Fulcio, Rekor, TSA over the network)
 * is sigstore_sign.h. */
#ifndef MODELSEAL_SIGSTORE_H
#define MODELSEAL_SIGSTORE_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "export.h"
#include "key.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds on what we parse: trusted root size, entries per list, certificates per chain,
 * checkpoint size and signature lines, inclusion proof length. */
#define MS_TRUSTED_ROOT_MAX_SIZE ((size_t)1 << 20)
#define MS_TRUSTED_ROOT_MAX_ENTRIES 64
#define MS_TRUSTED_ROOT_MAX_CHAIN 10
#define MS_CHECKPOINT_MAX_SIZE ((size_t)64 << 10)
#define MS_CHECKPOINT_MAX_SIGNATURES 64
#define MS_MERKLE_MAX_PROOF 64

/* OIDs of the Fulcio leaf's OIDC issuer: the DER string form, then the legacy raw form. */
#define MS_FULCIO_OID_ISSUER_V2 "1.3.6.1.4.1.57264.1.8"
#define MS_FULCIO_OID_ISSUER_V1 "1.3.6.1.4.1.57264.1.1"

typedef struct ms_trusted_root ms_trusted_root;

/* ---- trusted root (trusted_root.c) ---- */

/* Parse trusted_root.json text (trusted, but still bounded and type-checked): mediaType
 * (application/vnd.dev.sigstore.trustedroot+json;version=0.1, ...trustedroot.v0.1+json or
 * ...trustedroot.v0.2+json), tlogs and ctlogs (baseUrl, publicKey {rawBytes, keyDetails,
 * validFor {start[, end]}}, logId.keyId), certificateAuthorities and timestampAuthorities
 * (certChain.certificates[].rawBytes, validFor). A validity window needs its start; times are
 * RFC 3339. `what` names the file in messages. *out is new (ms_trusted_root_free).
 * 0, MS_EINPUT naming the field, or MS_ENOMEM. */
MS_API int ms_trusted_root_parse(const uint8_t *json, size_t len, const char *what,
                                 ms_trusted_root **out, ms_error *err);

/* ms_trusted_root_parse on a file; errors name `path`. MS_EENV when it cannot be read. */
MS_API int ms_trusted_root_load(const char *path, ms_trusted_root **out, ms_error *err);

/* Counts of the four lists (for reports and tests). */
MS_API size_t ms_trusted_root_count_tlogs(const ms_trusted_root *root);
MS_API size_t ms_trusted_root_count_ctlogs(const ms_trusted_root *root);
MS_API size_t ms_trusted_root_count_cas(const ms_trusted_root *root);
MS_API size_t ms_trusted_root_count_tsas(const ms_trusted_root *root);

/* Release. Accepts NULL. */
MS_API void ms_trusted_root_free(ms_trusted_root *root);

/* Parse an RFC 3339 time ("2021-03-07T03:20:29Z", fractions and ±hh:mm offsets accepted;
 * fractions are dropped) into unix seconds. 0 or MS_EINPUT. */
MS_API int ms_rfc3339_parse(const char *text, int64_t *out);

/* ---- Merkle trees and checkpoints (merkle.c) ---- */

/* RFC 6962 hashes: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right). */
MS_API void ms_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32]);
MS_API void ms_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32]);

/* Verify an RFC 6962 / RFC 9162 inclusion proof: the leaf hash at `index` in a tree of
 * `tree_size` leaves, with the audit path `proof` (n_proof hashes of 32 bytes, leaf to root),
 * leads to `root`. 0; MS_EVERIFY naming the cause (index out of range, wrong path length, a
 * different root: the computed root is given in hex). */
MS_API int ms_merkle_verify_inclusion(uint64_t index, uint64_t tree_size, const uint8_t leaf[32],
                                      const uint8_t (*proof)[32], size_t n_proof,
                                      const uint8_t root[32], ms_error *err);

typedef struct ms_checkpoint_signature {
    char *name;      /* key name */
    uint8_t hint[4]; /* key ID (first 4 bytes) */
    uint8_t *sig;    /* signature bytes after the key ID */
    size_t sig_len;
} ms_checkpoint_signature;

/* A signed note (C2SP signed-note) carrying a transparency log checkpoint (C2SP
 * tlog-checkpoint): origin, tree size, root hash, optional extension lines, a blank line, and
 * signature lines "\u2014 <name> <base64(key ID || signature)>". */
typedef struct ms_checkpoint {
    char *origin;
    uint64_t tree_size;
    uint8_t root_hash[32];
    char *text; /* the signed text: every line up to and including the one before the blank */
    size_t text_len;
    ms_checkpoint_signature *signatures;
    size_t n_signatures;
} ms_checkpoint;

/* Parse an untrusted signed-note checkpoint (at most MS_CHECKPOINT_MAX_SIZE bytes and
 * MS_CHECKPOINT_MAX_SIGNATURES signature lines). Lines end in "\n"; the origin must be
 * non-empty, the size decimal without sign or leading zeros, the root hash base64 of 32 bytes,
 * and at least one signature line must follow the blank line. Unparsable signature lines are
 * errors; lines of unknown signers are kept and ignored by the verifier. 0 or MS_EINPUT naming
 * the line; cp is zeroed first and must be cleared with ms_checkpoint_clear. */
MS_API int ms_checkpoint_parse(const char *text, size_t len, ms_checkpoint *cp, ms_error *err);

MS_API void ms_checkpoint_clear(ms_checkpoint *cp);

/* Verify the checkpoint's signature by the transparency log of `root` whose log ID is `log_id`:
 * a signature line whose name is the log's key name (its baseUrl without the scheme) and whose
 * key ID is the first 4 bytes of the log ID must verify over cp->text with the log key (ECDSA
 * over SHA-256 for Rekor v1 logs, Ed25519 for v2 logs); other lines (witness cosignatures) are
 * ignored. 0; MS_EVERIFY ("no signature by <name>", "the signature by <name> does not
 * verify"); MS_EINPUT when the log is not in the trusted root. */
MS_API int ms_checkpoint_verify(const ms_checkpoint *cp, const ms_trusted_root *root,
                                const uint8_t *log_id, size_t log_id_len, ms_error *err);

/* ---- RFC 3161 timestamps (rfc3161.c) ---- */

/* Verify a DER TimeStampResp (or a bare TimeStampToken) over `data` (the signature bytes)
 * against the timestamp authorities of `root`: status granted, message imprint equal to the
 * hash of `data`, a CMS signature by a certificate chaining (at the token's genTime) to one
 * authority's chain, with the timeStamping purpose, the authority valid at genTime. On success
 * *gen_time is genTime in unix seconds. 0; MS_EVERIFY with the cause; MS_EINPUT when the
 * token does not parse. */
MS_API int ms_rfc3161_verify(const uint8_t *token, size_t len, const uint8_t *data, size_t data_len,
                             const ms_trusted_root *root, int64_t *gen_time, ms_error *err);

/* ---- bundle verification (sigstore_verify.c) ---- */

typedef struct ms_sigstore_policy {
    const char *identity; /* the leaf's SAN (email, URI or DNS), exactly */
    const char *issuer;   /* the OIDC issuer extension's value, exactly */
    /* messageSignature bundles: the SHA-256 of the artifact (DSSE bundles: NULL) */
    const uint8_t *artifact_sha256;
    /* A managed key instead of identity and issuer: the bundle must carry publicKey material,
     * its log entries must name this key, and its signature must verify with it; there is no
     * certificate, chain or SCT to check. NULL: keyless (identity and issuer required). */
    const ms_key *key;
    /* messageSignature bundles: the artifact's bytes, when known (an Ed25519 message signature
     * covers the artifact itself, not its digest); NULL otherwise. */
    const uint8_t *artifact;
    size_t artifact_len;
    /* With `key`: the bundle must carry at least one transparency log entry, and it must verify
     * against the trusted root (which is then required). An RFC 3161 timestamp alone proves a
     * time, not that the signature was published, so it does not count. Keyless bundles always
     * need an entry. */
    int require_tlog_entry;
} ms_sigstore_policy;

typedef struct ms_sigstore_result {
    int64_t signing_time;  /* the earliest verified timestamp, unix seconds */
    size_t n_timestamps;   /* verified timestamps (signed entry timestamps + RFC 3161) */
    size_t n_tlog_entries; /* verified transparency log entries */
    char *identity;        /* the leaf's SAN, malloc'd */
    char *issuer;          /* the leaf's OIDC issuer, malloc'd */
    char *subject;         /* the leaf's subject, malloc'd (often empty for Fulcio) */
    char hint[65];         /* hex SHA-256 of the leaf public key PEM */
} ms_sigstore_result;

MS_API void ms_sigstore_result_clear(ms_sigstore_result *res);

/* Verify a keyless Sigstore bundle (verificationMaterial.certificate, or an
 * x509CertificateChain without its root) offline against `root`; or, with policy->key, a
 * managed-key bundle's log entries and timestamps against `root` and its signature with the
 * key (the certificate checks below do not apply; a signing time is needed only when an entry
 * has no signed entry timestamp). In order:
 *   certificate identity (SAN == policy->identity), certificate issuer (OIDC issuer extension
 *   == policy->issuer), certificate usage (codeSigning), tlog entry (each entry's log is in the
 *   root and its canonicalizedBody is a dsse 0.0.1, intoto 0.0.2, hashedrekord 0.0.1/0.0.2 or
 *   dsse 0.0.2 entry for this envelope or message signature, leaf certificate and signature),
 *   inclusion proof (RFC 6962, to the proof's root), checkpoint (same size and root, signed by
 *   the log), signed entry timestamp (Rekor v1), RFC 3161 timestamp (every one must verify),
 *   signing time (at least one verified time; the log keys valid then), certificate chain (to
 *   a Fulcio CA valid at every verified time, the leaf valid then), SCT (one embedded SCT from
 *   a trusted CT log verifies), signature (the DSSE envelope's one signature over the PAE, or
 *   the message signature with the leaf key: ECDSA over the artifact's SHA-256 digest, Ed25519
 *   over the artifact itself, which policy->artifact must then give).
 * With policy->key, `root` may be NULL when the bundle has no log entry and no timestamp (only
 * the signature is checked then) and policy->require_tlog_entry is 0; identity and issuer are
 * ignored and res carries none. With policy->require_tlog_entry, a key bundle without a log entry
 * is refused (MS_EVERIFY) whatever timestamps it carries.
 * Messages start with "sigstore <check>: ". 0; MS_EVERIFY; MS_EINPUT for malformed bundle
 * fields or a missing trusted root; MS_ENOMEM. `res` (optional) is filled on success. */
MS_API int ms_sigstore_verify_bundle(const ms_bundle *bundle, const ms_trusted_root *root,
                                     const ms_sigstore_policy *policy, ms_sigstore_result *res,
                                     ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
