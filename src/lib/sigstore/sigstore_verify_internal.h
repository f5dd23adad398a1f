/* Internals of the Sigstore bundle verifier, shared by sigstore_verify.c (the order of the
 * checks, the signature), sigstore_cert.c (the Fulcio leaf, its chain and SCT) and
 * sigstore_tlog.c (transparency log entries and RFC 3161 timestamps): the verification context
 * one bundle's checks fill in turn. Not installed; the symbols are hidden. */
#ifndef MODELSEAL_SIGSTORE_VERIFY_INTERNAL_H
#define MODELSEAL_SIGSTORE_VERIFY_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/x509.h>

#include "modelseal/bundle.h"
#include "modelseal/key.h"
#include "modelseal/sigstore.h"
#include "modelseal/x509.h"
#include "sigstore_internal.h"
#include "util/buf.h"

#define MS_SIGSTORE_MAX_TIMESTAMPS 32
#define MS_SIGSTORE_MAX_TIMES (MS_BUNDLE_MAX_TLOG_ENTRIES + MS_SIGSTORE_MAX_TIMESTAMPS)

typedef struct ms_sigstore_vctx {
    const ms_bundle *bundle;
    const ms_trusted_root *root;
    const ms_sigstore_policy *policy;
    int v01;           /* bundle v0.1: a signed entry timestamp stands in for the inclusion proof */
    const ms_key *key; /* managed key mode (policy->key): no certificate */
    X509 *leaf;
    const uint8_t *leaf_der;
    size_t leaf_der_len;
    ms_x509_chain *leaf_chain;       /* the leaf alone, for the x509 module's inspectors */
    STACK_OF(X509) * intermediates;  /* from an x509CertificateChain bundle */
    const ms_dsse_envelope *env;     /* or */
    const ms_message_signature *msg; /* one of the two */
    const uint8_t *sig;              /* the one signature */
    size_t sig_len;
    ms_buf pae;                           /* DSSE: the bytes signed */
    uint8_t digest[32];                   /* SHA-256 of the PAE, or of the artifact */
    uint8_t payload_sha256[32];           /* DSSE: SHA-256 of the payload */
    int64_t times[MS_SIGSTORE_MAX_TIMES]; /* verified timestamps */
    size_t n_times;
    const ms_log_instance *untimed[MS_BUNDLE_MAX_TLOG_ENTRIES]; /* logs to check at those */
    size_t n_untimed;
    size_t n_entries;
} ms_sigstore_vctx;

/* "sigstore <check>: <message>" into err; returns `code`. */
int sv_fail(ms_error *err, int code, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- sigstore_cert.c ---- */

/* The bundle's verification material: in managed key mode it must be a public key; otherwise
 * the certificate (or chain without its root) is decoded into the context. */
int sv_load_material(ms_sigstore_vctx *c, ms_error *err);

/* The leaf's identity (SAN), OIDC issuer and codeSigning usage against the policy. */
int sv_check_identity(ms_sigstore_vctx *c, ms_error *err);

/* The leaf chains to a Fulcio CA of the root valid at every verified time; *issuer is the
 * leaf's issuer (up-referenced: X509_free it). */
int sv_verify_chain(ms_sigstore_vctx *c, X509 **issuer, ms_error *err);

/* One embedded SCT from a CT log of the root verifies over the precertificate. */
int sv_check_sct(ms_sigstore_vctx *c, X509 *issuer, ms_error *err);

/* ---- sigstore_tlog.c ---- */

/* One transparency log entry (tlogEntries[idx]): its log is in the root, its body is for this
 * bundle, its inclusion proof and checkpoint verify, and its signed entry timestamp (when
 * present) adds a verified time. */
int sv_check_entry(ms_sigstore_vctx *c, const cJSON *entry, size_t idx, ms_error *err);

/* Every RFC 3161 timestamp of the bundle verifies over the signature; each adds a verified
 * time. */
int sv_check_timestamps(ms_sigstore_vctx *c, ms_error *err);

/* The bytes a Rekor v1 signed entry timestamp covers: the RFC 8785 canonical JSON of
 * {"body": base64(body), "integratedTime": t, "logID": hex(log_id), "logIndex": i}.
 * Replaces the contents of `out`. 0 or MS_ENOMEM (sigstore_verify.c). */
int sv_set_payload(const uint8_t *body, size_t body_len, int64_t integrated_time,
                   const uint8_t *log_id, size_t log_id_len, int64_t log_index, ms_buf *out);

#endif
