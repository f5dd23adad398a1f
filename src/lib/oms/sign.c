/* Signing statements and model manifests into Sigstore bundles (DSSE, in-toto). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "format/bundle_json.h"
#include "format/dsse_json.h"
#include "format/statement_json.h"
#include "hash/walk.h"
#include "modelseal/bundle.h"
#include "modelseal/dsse.h"
#include "modelseal/sign.h"
#include "modelseal/statement.h"
#include "util/buf.h"

#define MS_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int ms_sign_record_ignores(ms_serialization *ser, int no_git_paths, const char *signature_rel)
{
    if (ms_serialization_add_ignore(ser, MS_SIGNATURE_FILE) ||
        ms_serialization_add_ignore(ser, MS_CLAIMS_FILE))
        return MS_ENOMEM;
    if (signature_rel && ms_serialization_add_ignore(ser, signature_rel))
        return MS_ENOMEM;
    for (size_t i = 0; !no_git_paths && i < msx_walk_git_paths_count; i++) {
        if (ms_serialization_add_ignore(ser, msx_walk_git_paths[i]))
            return MS_ENOMEM;
    }
    qsort(ser->ignore_paths, ser->n_ignore_paths, sizeof *ser->ignore_paths, cmp_str);
    ser->has_ignore_paths = 1;
    return 0;
}

static int sign_statement(const uint8_t *payload, size_t len, const ms_key *key,
                          const ms_x509_chain *chain, ms_buf *out, ms_error *err)
{
    ms_buf pae = MS_BUF_INIT;
    uint8_t *sig = NULL, **ders = NULL;
    size_t sig_len = 0, *der_lens = NULL, n_certs = 0;
    ms_dsse_envelope *env = NULL;
    ms_bundle *bundle = NULL;
    ms_key *leaf_key = NULL;
    int rc = 0;

    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "signing needs a secret key, not a public key");
    if (len > MS_DSSE_MAX_PAYLOAD)
        return ms_error_set(err, MS_EINPUT,
                            "the statement is %zu bytes, over the limit of %zu bytes a signature "
                            "may carry (too many files: sign fewer, larger files)",
                            len, MS_DSSE_MAX_PAYLOAD);
    if (chain) {
        n_certs = ms_x509_chain_count(chain);
        if (n_certs == 0)
            return ms_error_set(err, MS_EINPUT, "the certificate chain is empty");
        if ((rc = ms_x509_leaf_public_key(chain, &leaf_key, err)) != 0)
            goto out;
        if (!ms_key_equal(leaf_key, key)) {
            rc = ms_error_set(err, MS_EINPUT, "the signing certificate is for another key");
            goto out;
        }
    }
    if (dsse_pae(MS_INTOTO_PAYLOAD_TYPE, payload, len, &pae)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = ms_key_sign(key, pae.data, pae.len, &sig, &sig_len, err)) != 0)
        goto out;
    env = ms_dsse_envelope_new(MS_INTOTO_PAYLOAD_TYPE, payload, len);
    if (!env) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = ms_dsse_envelope_add_signature(env, sig, sig_len, NULL, err)) != 0 ||
        (rc = ms_bundle_new_dsse(env, &bundle, err)) != 0)
        goto out;
    if (chain) {
        ders = calloc(n_certs, sizeof *ders);
        der_lens = calloc(n_certs, sizeof *der_lens);
        if (!ders || !der_lens) {
            rc = ms_error_nomem(err);
            goto out;
        }
        for (size_t i = 0; i < n_certs; i++) {
            if ((rc = ms_x509_chain_der(chain, i, &ders[i], &der_lens[i])) != 0) {
                rc = ms_error_set(err, rc, "cannot encode certificate %zu of the chain", i);
                goto out;
            }
        }
        rc = ms_bundle_set_chain(bundle, (const uint8_t *const *)ders, der_lens, n_certs, err);
    } else {
        char hint[65];
        if (ms_key_hint(key, hint) != 0) {
            rc = ms_error_nomem(err);
            goto out;
        }
        rc = ms_bundle_set_key_hint(bundle, hint, err);
    }
    if (rc == 0)
        rc = bundle_serialize(bundle, out, err);
out:
    if (ders) {
        for (size_t i = 0; i < n_certs; i++)
            free(ders[i]);
    }
    free(ders);
    free(der_lens);
    free(sig);
    msx_buf_free(&pae);
    ms_dsse_envelope_free(env);
    ms_bundle_free(bundle);
    ms_key_free(leaf_key);
    return rc;
}

int ms_sign_statement(const uint8_t *payload, size_t len, const ms_key *key,
                      const ms_x509_chain *chain, char **bundle_json, size_t *bundle_len,
                      ms_error *err)
{
    ms_buf out = MS_BUF_INIT;
    int rc = sign_statement(payload, len, key, chain, &out, err);
    if (rc == 0 && msx_buf_export(&out, bundle_json, bundle_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&out);
    return rc;
}

int ms_sign_manifest(const ms_manifest *m, const ms_key *key, const ms_x509_chain *chain,
                     int allow_empty, char **bundle_json, size_t *bundle_len, ms_error *err)
{
    ms_buf payload = MS_BUF_INIT, out = MS_BUF_INIT;
    if (m->n_resources == 0 && !allow_empty)
        return ms_error_set(
            err, MS_EINPUT,
            "%s: the model has no files to sign (use --allow-empty to sign it anyway)",
            m->model_name ? m->model_name : "model");
    int rc = statement_build(m, &payload, err);
    if (rc == 0)
        rc = sign_statement(payload.data, payload.len, key, chain, &out, err);
    if (rc == 0 && msx_buf_export(&out, bundle_json, bundle_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&payload);
    msx_buf_free(&out);
    return rc;
}

char *ms_sign_default_signature_path(const char *model, ms_error *err)
{
    return ms_model_companion_path(model, MS_SIGNATURE_FILE, ".sig", err);
}
