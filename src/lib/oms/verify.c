/* Verifying bundles and models: the signature over the exact payload bytes with trusted
 * material only, then the statement, the subject digest, and a re-hash of the model. */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle_json.h"
#include "format/dsse_json.h"
#include "hash/walk.h"
#include "keys/key_legacy.h"
#include "modelseal/dsse.h"
#include "modelseal/verify.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

#define MS_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

void ms_signer_info_clear(ms_signer_info *info)
{
    if (!info)
        return;
    free(info->identity);
    free(info->subject);
    free(info->issuer);
    memset(info, 0, sizeof *info);
}

void ms_verify_result_clear(ms_verify_result *res)
{
    if (!res)
        return;
    ms_statement_free(res->statement);
    ms_signer_info_clear(&res->signer);
    ms_manifest_diff_clear(&res->diff);
    memset(res, 0, sizeof *res);
}

/* The encodings a signature may have been made over: the DSSE PAE, and for model_signing v0.2's
 * legacy statements only, the PAE that version wrote (dsse_legacy_pae), with SHA-256. */
typedef struct signed_forms {
    ms_buf pae;
    ms_buf legacy_pae; /* empty unless the payload is a legacy statement */
} signed_forms;

/* Is the payload a statement of predicate type MS_OMS_LEGACY_PREDICATE_TYPE? Unparseable
 * payloads are not (the statement reader reports them after the signature). */
static int payload_is_legacy(const ms_dsse_envelope *env)
{
    cJSON *root = NULL;
    if (msx_json_parse(env->payload, env->payload_len, MS_DSSE_MAX_PAYLOAD, "payload", &root,
                       NULL) != 0)
        return 0;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "predicateType");
    int legacy = cJSON_IsString(t) && strcmp(t->valuestring, MS_OMS_LEGACY_PREDICATE_TYPE) == 0;
    cJSON_Delete(root);
    return legacy;
}

/* Does any envelope signature verify with `key`? */
static int envelope_verifies(const ms_dsse_envelope *env, const signed_forms *forms,
                             const ms_key *key)
{
    for (size_t i = 0; i < env->n_signatures; i++) {
        ms_error ignored;
        const ms_dsse_signature *s = &env->signatures[i];
        if (ms_key_verify(key, forms->pae.data, forms->pae.len, s->sig, s->len, &ignored) == 0)
            return 1;
        if (forms->legacy_pae.len > 0 &&
            key_verify_ecdsa_sha256(key, forms->legacy_pae.data, forms->legacy_pae.len, s->sig,
                                    s->len) == 0)
            return 1;
    }
    return 0;
}

/* -- Sigstore: a key bundle that carries transparency log entries or timestamps (or must be in
 * a log: trust->key_bundle_logged), verified with a trusted root: the entries must be for this
 * key and signature, and verify. -- */
static int verify_key_with_sigstore(const ms_bundle *bundle, const ms_trust *trust,
                                    ms_signer_info *info, ms_error *err)
{
    int rc = MS_EVERIFY;
    for (size_t k = 0; k < trust->n_keys; k++) {
        ms_sigstore_policy policy = {.key = trust->keys[k],
                                     .require_tlog_entry = trust->key_bundle_logged};
        ms_sigstore_result res;
        rc = ms_sigstore_verify_bundle(bundle, trust->sigstore_root, &policy, &res, err);
        if (rc == 0 && info) {
            snprintf(info->kind, sizeof info->kind, "key");
            ms_key_hint(trust->keys[k], info->hint);
            info->signing_time = res.signing_time;
        }
        if (rc == 0)
            ms_sigstore_result_clear(&res);
        /* Another key's bundle fails at its log entry or its signature: try the next key. */
        if (rc != MS_EVERIFY)
            break;
    }
    return rc;
}
/* -- end Sigstore -- */

static int verify_with_keys(const ms_bundle *bundle, const ms_dsse_envelope *env,
                            const signed_forms *pae, const ms_trust *trust, ms_signer_info *info,
                            ms_error *err)
{
    const char *bundle_hint = ms_bundle_key_hint(bundle);
    if (trust->n_keys == 0)
        return ms_error_set(
            err, MS_EVERIFY,
            "the bundle is signed with a key, but no trusted public key was given (--key)");
    if (trust->sigstore_root &&
        (trust->key_bundle_logged || cJSON_GetArraySize(bundle_tlog_entries(bundle)) > 0 ||
         bundle_timestamp_data(bundle)))
        return verify_key_with_sigstore(bundle, trust, info, err);
    for (size_t k = 0; k < trust->n_keys; k++) {
        if (envelope_verifies(env, pae, trust->keys[k])) {
            if (info) {
                snprintf(info->kind, sizeof info->kind, "key");
                ms_key_hint(trust->keys[k], info->hint);
            }
            return 0;
        }
    }
    /* Name both sides: the keys tried (their hints, at most four) and the key the bundle says
     * signed it, so a wrong --key is seen at once. */
    char tried[4 * 66 + 8] = "";
    size_t used = 0;
    for (size_t k = 0; k < trust->n_keys && k < 4; k++) {
        char hex[65];
        if (ms_key_hint(trust->keys[k], hex) != 0)
            snprintf(hex, sizeof hex, "?");
        int n = snprintf(tried + used, sizeof tried - used, "%s%s", k ? ", " : "", hex);
        if (n < 0 || (size_t)n >= sizeof tried - used)
            break;
        used += (size_t)n;
    }
    if (trust->n_keys > 4 && used + 6 < sizeof tried)
        snprintf(tried + used, sizeof tried - used, ", ...");
    return ms_error_set(err, MS_EVERIFY,
                        "the signature does not verify with the trusted key%s %s; the bundle "
                        "names %s%s",
                        trust->n_keys > 1 ? "s" : "", tried, bundle_hint ? "key " : "no key",
                        bundle_hint ? bundle_hint : "");
}

/* The leaf's OIDC issuer (Fulcio's extension 1.3.6.1.4.1.57264.1.8, else the older .1.1) must
 * be `want`; an absent one does not match. On success *issuer is the leaf's (malloc'd). */
static int check_leaf_issuer(const ms_x509_chain *chain, const char *want, char **issuer,
                             ms_error *err)
{
    char *got = ms_x509_leaf_extension_string(chain, MS_FULCIO_OID_ISSUER_V2);
    if (!got)
        got = ms_x509_leaf_extension_string(chain, MS_FULCIO_OID_ISSUER_V1);
    if (!got || strcmp(got, want) != 0) {
        int rc =
            ms_error_set(err, MS_EVERIFY, "the signing certificate's OIDC issuer is %s, not %s",
                         got ? got : "absent", want);
        free(got);
        return rc;
    }
    *issuer = got;
    return 0;
}

static int verify_with_certificates(const ms_bundle *bundle, const ms_dsse_envelope *env,
                                    const signed_forms *pae, const ms_trust *trust,
                                    ms_signer_info *info, ms_error *err)
{
    ms_x509_chain *chain = NULL;
    ms_key *leaf_key = NULL;
    char *issuer = NULL;
    int rc = 0;
    size_t n = ms_bundle_certificate_count(bundle);
    if (!trust->roots)
        return ms_error_set(err, MS_EVERIFY,
                            "the bundle is signed with a certificate, but no trusted "
                            "certificate chain was given (--certificate-chain)");
    if (n == 0)
        return ms_error_set(err, MS_EINPUT, "the bundle carries no certificate");
    chain = ms_x509_chain_new();
    if (!chain)
        return ms_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *der = ms_bundle_certificate(bundle, i, &len);
        if ((rc = ms_x509_chain_add_der(chain, der, len, err)) != 0)
            goto out;
    }
    if ((rc = ms_x509_verify_chain(chain, trust->roots, trust->at_time, err)) != 0)
        goto out;
    if (trust->identity && !ms_x509_leaf_has_identity(chain, trust->identity)) {
        char *id = ms_x509_leaf_identity(chain);
        rc = ms_error_set(err, MS_EVERIFY, "the signing certificate is for %s, not %s",
                          id ? id : "no identity", trust->identity);
        free(id);
        goto out;
    }
    if (trust->sigstore_issuer &&
        (rc = check_leaf_issuer(chain, trust->sigstore_issuer, &issuer, err)) != 0)
        goto out;
    if ((rc = ms_x509_leaf_public_key(chain, &leaf_key, err)) != 0)
        goto out;
    if (!envelope_verifies(env, pae, leaf_key)) {
        rc = ms_error_set(err, MS_EVERIFY,
                          "the signature does not verify with the certificate's key");
        goto out;
    }
    if (info) {
        snprintf(info->kind, sizeof info->kind, "certificate");
        ms_key_hint(leaf_key, info->hint);
        info->identity = ms_x509_leaf_identity(chain);
        info->subject = ms_x509_leaf_subject(chain);
        info->issuer = issuer; /* checked with trust->sigstore_issuer, or NULL */
        issuer = NULL;
    }
out:
    free(issuer);
    ms_key_free(leaf_key);
    ms_x509_chain_free(chain);
    return rc;
}

/* -- Sigstore keyless: offline verification against a trusted root (sigstore_verify.c) -- */

/* A certificate bundle goes to the Sigstore verifier when a trusted root is given and the
 * bundle carries log entries or timestamps, or no plain certificate roots were given. */
static int use_sigstore(const ms_bundle *bundle, const ms_trust *trust)
{
    const cJSON *entries = bundle_tlog_entries(bundle);
    if (!trust->sigstore_root)
        return 0;
    return !trust->roots || cJSON_GetArraySize(entries) > 0 ||
           bundle_timestamp_data(bundle) != NULL;
}

static int verify_with_sigstore(const ms_bundle *bundle, const ms_trust *trust,
                                ms_signer_info *info, ms_error *err)
{
    ms_sigstore_policy policy = {.identity = trust->identity, .issuer = trust->sigstore_issuer};
    ms_sigstore_result res;
    if (!trust->identity || !trust->sigstore_issuer)
        return ms_error_set(err, MS_EINPUT,
                            "a Sigstore bundle is verified by identity and issuer (--identity, "
                            "--issuer)");
    int rc = ms_sigstore_verify_bundle(bundle, trust->sigstore_root, &policy, &res, err);
    if (rc == 0 && info) {
        snprintf(info->kind, sizeof info->kind, "sigstore");
        memcpy(info->hint, res.hint, sizeof info->hint);
        info->identity = res.identity;
        info->issuer = res.issuer;
        info->subject = res.subject;
        info->signing_time = res.signing_time;
        res.identity = res.issuer = res.subject = NULL;
    }
    if (rc == 0)
        ms_sigstore_result_clear(&res);
    return rc;
}

/* -- end Sigstore -- */

int ms_verify_bundle_signature(const ms_bundle *bundle, const ms_trust *trust, ms_signer_info *info,
                               ms_error *err)
{
    const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
    signed_forms forms = {MS_BUF_INIT, MS_BUF_INIT};
    int rc;
    if (!env)
        return ms_error_set(err, MS_EINPUT, "the bundle has no DSSE envelope");
    if (strcmp(env->payload_type, MS_INTOTO_PAYLOAD_TYPE) != 0)
        return ms_error_set(err, MS_EINPUT, "dsseEnvelope.payloadType is \"%s\", not %s",
                            env->payload_type, MS_INTOTO_PAYLOAD_TYPE);
    if (dsse_pae(env->payload_type, env->payload, env->payload_len, &forms.pae) ||
        (payload_is_legacy(env) &&
         dsse_legacy_pae(env->payload_type, env->payload, env->payload_len, &forms.legacy_pae))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    switch (ms_bundle_material_kind(bundle)) {
    case MS_MATERIAL_PUBLIC_KEY:
        rc = verify_with_keys(bundle, env, &forms, trust, info, err);
        break;
    case MS_MATERIAL_X509_CHAIN:
    case MS_MATERIAL_CERTIFICATE:
        if (use_sigstore(bundle, trust)) /* Sigstore keyless */
            rc = verify_with_sigstore(bundle, trust, info, err);
        else
            rc = verify_with_certificates(bundle, env, &forms, trust, info, err);
        break;
    default:
        rc = ms_error_set(err, MS_EINPUT, "the bundle has no verification material");
    }
out:
    msx_buf_free(&forms.pae);
    msx_buf_free(&forms.legacy_pae);
    return rc;
}

/* --ignore-unsigned-files: hash only files the signature lists. */
typedef struct listed_files {
    char **paths; /* sorted */
    size_t n;
} listed_files;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int include_listed(void *ctx, const char *path)
{
    const listed_files *l = ctx;
    return bsearch(&path, l->paths, l->n, sizeof *l->paths, cmp_str) != NULL;
}

static void listed_files_clear(listed_files *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->paths[i]);
    free(l->paths);
}

static int format_diff(const char *model, const ms_manifest_diff *d, ms_error *err)
{
    return ms_error_set(
        err, MS_EVERIFY,
        "%s: the model does not match its signature (%zu changed, %zu missing, %zu extra)", model,
        d->n_changed, d->n_missing, d->n_extra);
}

/* Shards: the model's empty files (m->empty_files) have no shards, so the bundle cannot list
 * them; each is a file present in the model and absent from the resources, which fails by
 * default (OMS v1.0, 8.5). One that the bundle lists shards of was emptied: changed, not missing.
 * Any other is extra, and also in empty_extra so that it can be told why. 0 or MS_ENOMEM. */
static int add_empty_files(ms_manifest_diff *d, const ms_manifest *actual)
{
    int more_extra = 0;
    for (size_t i = 0; i < actual->n_empty_files; i++) {
        const char *f = actual->empty_files[i];
        char **was = d->n_missing
                         ? bsearch(&f, d->missing, d->n_missing, sizeof *d->missing, cmp_str)
                         : NULL;
        if (was) {
            free(*was);
            memmove(was, was + 1, (size_t)(d->missing + d->n_missing - was - 1) * sizeof *was);
            d->n_missing--;
            if (msx_strlist_add(&d->changed, &d->n_changed, f))
                return MS_ENOMEM;
            qsort(d->changed, d->n_changed, sizeof *d->changed, cmp_str);
            continue;
        }
        if (msx_strlist_add(&d->extra, &d->n_extra, f) ||
            msx_strlist_add(&d->empty_extra, &d->n_empty_extra, f))
            return MS_ENOMEM;
        more_extra = 1;
    }
    if (more_extra)
        qsort(d->extra, d->n_extra, sizeof *d->extra, cmp_str);
    return 0;
}

/* A single-file model's one resource is named "." (as model_signing names it); people are told
 * the file's own name instead. */
static int name_single_file(ms_manifest_diff *d, const char *model_name)
{
    char **lists[] = {d->changed, d->missing, d->extra, d->empty_extra};
    size_t counts[] = {d->n_changed, d->n_missing, d->n_extra, d->n_empty_extra};
    for (int k = 0; k < 4; k++) {
        for (size_t i = 0; i < counts[k]; i++) {
            if (strcmp(lists[k][i], ".") == 0) {
                char *copy = strdup(model_name);
                if (!copy)
                    return MS_ENOMEM;
                free(lists[k][i]);
                lists[k][i] = copy;
            }
        }
    }
    return 0;
}

int ms_verify_model(const char *model, const uint8_t *bundle_json, size_t len,
                    const ms_trust *trust, const ms_verify_options *opts, ms_verify_result *res,
                    ms_error *err)
{
    ms_bundle *bundle = NULL;
    ms_manifest *actual = NULL;
    ms_serialization ser;
    listed_files listed = {0};
    uint8_t root[MS_SHA256_SIZE];
    int rc;

    memset(res, 0, sizeof *res);
    ms_serialization_init(&ser);
    if ((rc = ms_bundle_parse(bundle_json, len, &bundle, err)) != 0)
        goto out;
    if ((rc = ms_verify_bundle_signature(bundle, trust, &res->signer, err)) != 0)
        goto out;
    if ((rc = ms_statement_from_bundle(bundle, 0, &res->statement, err)) != 0)
        goto out;
    const ms_manifest *signed_m = res->statement->manifest;
    if ((rc = ms_manifest_root(signed_m->resources, signed_m->n_resources, root)) != 0) {
        rc = ms_error_set(err, rc, "cannot compute the root digest");
        goto out;
    }
    if (sodium_memcmp(root, res->statement->subject_digest, MS_SHA256_SIZE) != 0) {
        rc =
            ms_error_set(err, MS_EVERIFY, "the subject digest does not match the signed resources");
        goto out;
    }
    if (signed_m->n_resources == 0 && !opts->allow_empty) {
        rc = ms_error_set(err, MS_EVERIFY,
                          "the signature covers no files (use --allow-empty to accept that)");
        goto out;
    }

    /* Re-hash with the serialization the bundle names. A bundle that records its ignore paths
     * says exactly what was left out; an older one relies on the default git ignores. */
    if ((rc = ms_serialization_copy(&ser, &signed_m->serialization)) != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (opts->allow_symlinks)
        ser.allow_symlinks = 1;
    for (size_t i = 0; i < opts->n_extra_ignores; i++) {
        if (ms_serialization_add_ignore(&ser, opts->extra_ignores[i])) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    ms_manifest_options hopts = opts->hash;
    hopts.no_ignore_git_paths = signed_m->serialization.has_ignore_paths;
    hopts.signature_path = opts->signature_path;
    if (opts->ignore_unsigned_files) {
        listed.paths = calloc(signed_m->n_resources + 1, sizeof *listed.paths);
        if (!listed.paths) {
            rc = ms_error_nomem(err);
            goto out;
        }
        for (size_t i = 0; i < signed_m->n_resources; i++) {
            char *f = ms_resource_file(signed_m->resources[i].name, ser.method);
            if (!f) {
                rc = ms_error_nomem(err);
                goto out;
            }
            listed.paths[listed.n++] = f;
        }
        qsort(listed.paths, listed.n, sizeof *listed.paths, cmp_str);
        hopts.include = include_listed;
        hopts.include_ctx = &listed;
    }
    if ((rc = ms_manifest_build(model, &ser, &hopts, &actual, err)) != 0)
        goto out;
    for (size_t i = 0; i < actual->n_resources; i++) {
        if (i == 0 || ser.method == MS_METHOD_FILES)
            res->n_files++;
        else {
            char *a = ms_resource_file(actual->resources[i - 1].name, ser.method);
            char *b = ms_resource_file(actual->resources[i].name, ser.method);
            res->n_files += a && b && strcmp(a, b) != 0;
            free(a);
            free(b);
        }
    }
    rc = ms_manifest_compare(signed_m, actual, &res->diff, err);
    if ((rc == 0 || rc == MS_EVERIFY) && actual->n_empty_files) {
        if (add_empty_files(&res->diff, actual) != 0)
            rc = ms_error_nomem(err);
        else
            rc = MS_EVERIFY;
    }
    if (rc == MS_EVERIFY && name_single_file(&res->diff, actual->model_name) != 0)
        rc = ms_error_nomem(err);
    if (rc == MS_EVERIFY)
        rc = format_diff(model, &res->diff, err);
out:
    listed_files_clear(&listed);
    ms_serialization_clear(&ser);
    ms_manifest_free(actual);
    ms_bundle_free(bundle);
    return rc;
}
