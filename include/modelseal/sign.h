/* Signing: a model manifest (or any in-toto statement) into a Sigstore bundle with a DSSE
 * envelope, signed by a key, optionally with its certificate chain.
 *
 * The bundle is `application/vnd.dev.sigstore.bundle.v0.3+json`; key signatures carry
 * verificationMaterial.publicKey.hint (hex SHA-256 of the public key PEM), certificate
 * signatures carry x509CertificateChain (leaf first). Compatible with model_signing. */
#ifndef MODELSEAL_SIGN_H
#define MODELSEAL_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "key.h"
#include "manifest.h"
#include "x509.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The ignore_paths a signature records: model.sig, claims.jsonl and (unless `no_git_paths`)
 * .git, .github, .gitattributes, .gitignore are added to ser's own, then the list is sorted.
 * model_signing verifies with exactly this list. 0 or MS_ENOMEM. */
MS_API int ms_sign_record_ignores(ms_serialization *ser, int no_git_paths,
                                  const char *signature_rel);

/* Sign an in-toto statement payload: DSSE over PAE("application/vnd.in-toto+json", payload)
 * with `key` (a secret key). With `chain` (leaf first; the leaf's public key must be `key`'s),
 * the bundle carries the chain; otherwise the key hint. Returns the compact bundle JSON in
 * `*bundle_json` (malloc'd, NUL-terminated, `*bundle_len` bytes; release with ms_free). 0,
 * MS_EINPUT (public key only, or chain for another key) or MS_ENOMEM. */
MS_API int ms_sign_statement(const uint8_t *payload, size_t len, const ms_key *key,
                             const ms_x509_chain *chain, char **bundle_json, size_t *bundle_len,
                             ms_error *err);

/* Sign a model manifest: the OMS statement for `m`, then ms_sign_statement. An empty manifest
 * is refused (MS_EINPUT) unless allow_empty. */
MS_API int ms_sign_manifest(const ms_manifest *m, const ms_key *key, const ms_x509_chain *chain,
                            int allow_empty, char **bundle_json, size_t *bundle_len, ms_error *err);

/* Where a model's signature lives by default: MODEL/model.sig for a directory, MODEL.sig beside
 * a single file. Returns a malloc'd path, or NULL with err set (missing model: MS_EINPUT). */
MS_API char *ms_sign_default_signature_path(const char *model, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
