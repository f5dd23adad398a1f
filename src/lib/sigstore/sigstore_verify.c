/* Offline verification of Sigstore bundles against a trusted root: the order of the checks
 * (ms_sigstore_verify_bundle), the bundle's content (DSSE envelope or message signature) and
 * the signature itself, and the signed entry timestamp's payload. The Fulcio leaf, its chain and
 * SCT are checked in sigstore_cert.c, the transparency log entries and RFC 3161 timestamps in
 * sigstore_tlog.c. Managed-key bundles that carry log entries or timestamps go through the same
 * checks with the key in place of the certificate. Every check that fails names itself
 * ("sigstore <check>: ..."); nothing is fetched from the network. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "format/bundle_json.h"
#include "format/dsse_json.h"
#include "modelseal/dsse.h"
#include "modelseal/key.h"
#include "modelseal/x509.h"
#include "sigstore_verify_internal.h"
#include "util/buf.h"
#include "util/encoding.h"

/* "sigstore <check>: <message>" */
int sv_fail(ms_error *err, int code, const char *check, const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_error_set(err, code, "sigstore %s: %s", check, msg);
}

void ms_sigstore_result_clear(ms_sigstore_result *res)
{
    if (!res)
        return;
    free(res->identity);
    free(res->issuer);
    free(res->subject);
    memset(res, 0, sizeof *res);
}

int sv_set_payload(const uint8_t *body, size_t body_len, int64_t integrated_time,
                   const uint8_t *log_id, size_t log_id_len, int64_t log_index, ms_buf *out)
{
    /* RFC 8785: keys sorted, no whitespace, integers as digits; base64 and hex need no
     * escaping. */
    char *b64 = msx_base64_encode(body, body_len);
    char hex[2 * MS_LOG_ID_MAX + 1];
    if (!b64 || log_id_len > MS_LOG_ID_MAX) {
        free(b64);
        return MS_ENOMEM;
    }
    msx_hex_encode(log_id, log_id_len, hex);
    msx_buf_reset(out);
    int rc = msx_buf_printf(out,
                            "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\","
                            "\"logIndex\":%lld}",
                            b64, (long long)integrated_time, hex, (long long)log_index);
    free(b64);
    return rc ? MS_ENOMEM : 0;
}

/* ---- the signature ---- */

/* A message signature: ECDSA over the artifact's SHA-256 digest (prehashed, as Sigstore
 * clients sign), Ed25519 over the artifact itself. 1 when valid. */
static int message_verifies(const ms_sigstore_vctx *c, const ms_key *key, EVP_PKEY *pkey)
{
    ms_error ignored;
    if (ms_key_get_type(key) == MS_KEY_ED25519)
        return c->policy->artifact &&
               ms_key_verify(key, c->policy->artifact, c->policy->artifact_len, c->sig, c->sig_len,
                             &ignored) == 0;
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(pkey, NULL);
    int ok = pctx && EVP_PKEY_verify_init(pctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_verify(pctx, c->sig, c->sig_len, c->digest, 32) == 1;
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    return ok;
}

/* The managed key as an OpenSSL key (for digest-only ECDSA checks); NULL for Ed25519. */
static EVP_PKEY *managed_evp(const ms_key *key)
{
    char *pem = ms_key_public_pem(key);
    BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
    EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    free(pem);
    ERR_clear_error();
    return pkey;
}

static int check_signature(ms_sigstore_vctx *c, ms_sigstore_result *res, ms_error *err)
{
    ms_key *leaf_key = NULL;
    EVP_PKEY *pkey = NULL;
    const ms_key *key = c->key;
    const char *whose = c->key ? "the managed key" : "the certificate's key";
    int rc = 0;
    if (!key) {
        if ((rc = ms_x509_leaf_public_key(c->leaf_chain, &leaf_key, err)) != 0)
            return sv_fail(err, rc, "signature", "%s", err ? err->message : "unusable key");
        key = leaf_key;
    }
    if (c->env) {
        ms_error ignored;
        if (ms_key_verify(key, c->pae.data, c->pae.len, c->sig, c->sig_len, &ignored) != 0)
            rc = sv_fail(err, MS_EVERIFY, "signature", "the DSSE signature does not verify with %s",
                         whose);
    } else {
        int ed25519 = ms_key_get_type(key) == MS_KEY_ED25519;
        if (ed25519 && !c->policy->artifact)
            rc = sv_fail(err, MS_EINPUT, "signature",
                         "an Ed25519 message signature is checked over the artifact itself, not "
                         "its digest");
        else if (!ed25519 && !(pkey = c->key ? managed_evp(key) : X509_get_pubkey(c->leaf)))
            rc = ms_error_nomem(err);
        else if (!message_verifies(c, key, pkey))
            rc = sv_fail(err, MS_EVERIFY, "signature",
                         "the message signature does not verify with %s over the artifact", whose);
    }
    if (rc == 0 && res && ms_key_hint(key, res->hint) != 0)
        rc = ms_error_nomem(err);
    EVP_PKEY_free(pkey);
    ms_key_free(leaf_key);
    return rc;
}

static int load_content(ms_sigstore_vctx *c, ms_error *err)
{
    c->env = ms_bundle_envelope(c->bundle);
    c->msg = ms_bundle_message_signature(c->bundle);
    if (c->env) {
        if (c->env->n_signatures != 1)
            return sv_fail(err, MS_EVERIFY, "signature",
                           "the DSSE envelope has %zu signatures; Sigstore signs with exactly one",
                           c->env->n_signatures);
        c->sig = c->env->signatures[0].sig;
        c->sig_len = c->env->signatures[0].len;
        if (dsse_pae(c->env->payload_type, c->env->payload, c->env->payload_len, &c->pae))
            return ms_error_nomem(err);
        SHA256(c->pae.data, c->pae.len, c->digest);
        SHA256(c->env->payload, c->env->payload_len, c->payload_sha256);
        return 0;
    }
    if (!c->msg)
        return sv_fail(err, MS_EINPUT, "signature", "the bundle has no DSSE envelope or message");
    if (!c->policy->artifact_sha256)
        return sv_fail(err, MS_EINPUT, "signature",
                       "a message signature bundle needs the artifact's SHA-256 digest");
    memcpy(c->digest, c->policy->artifact_sha256, 32);
    if (c->msg->digest) {
        if (!c->msg->digest_algorithm || strcmp(c->msg->digest_algorithm, "SHA2_256") != 0 ||
            c->msg->digest_len != 32 || sodium_memcmp(c->msg->digest, c->digest, 32) != 0)
            return sv_fail(err, MS_EVERIFY, "signature",
                           "the bundle's message digest is not the artifact's SHA-256");
    }
    c->sig = c->msg->signature;
    c->sig_len = c->msg->signature_len;
    if (!c->sig || c->sig_len == 0)
        return sv_fail(err, MS_EINPUT, "signature", "the message signature is empty");
    return 0;
}

int ms_sigstore_verify_bundle(const ms_bundle *bundle, const ms_trusted_root *root,
                              const ms_sigstore_policy *policy, ms_sigstore_result *res,
                              ms_error *err)
{
    ms_sigstore_vctx *c = calloc(1, sizeof *c);
    X509 *issuer = NULL;
    int rc;
    if (res)
        memset(res, 0, sizeof *res);
    if (!c)
        return ms_error_nomem(err);
    c->bundle = bundle;
    c->root = root;
    c->policy = policy;
    if (!policy || (!root && (!policy->key || policy->require_tlog_entry)) ||
        (!policy->key && (!policy->identity || !policy->issuer))) {
        rc = ms_error_set(err, MS_EINPUT,
                          "sigstore: a trusted root and an identity and issuer (or a managed "
                          "key) are required");
        goto out;
    }
    c->key = policy->key;
    c->v01 = strcmp(ms_bundle_media_type(bundle), MS_BUNDLE_MEDIA_TYPE_V01) == 0;
    if ((rc = sv_load_material(c, err)) != 0 || (rc = load_content(c, err)) != 0 ||
        (!c->key && (rc = sv_check_identity(c, err)) != 0))
        goto out;

    const cJSON *entries = bundle_tlog_entries(bundle);
    int n = cJSON_IsArray(entries) ? cJSON_GetArraySize(entries) : 0;
    if (!root && (n > 0 || bundle_timestamp_data(bundle))) {
        rc = ms_error_set(err, MS_EINPUT,
                          "sigstore: the bundle carries transparency log entries or timestamps; "
                          "checking them needs a trusted root");
        goto out;
    }
    if (n == 0 && !c->key) {
        rc = sv_fail(err, MS_EVERIFY, "tlog entry", "the bundle has no transparency log entry");
        goto out;
    }
    if (n == 0 && policy->require_tlog_entry) {
        /* A timestamp alone shows when the signature existed, not that it was published. */
        rc = sv_fail(err, MS_EVERIFY, "tlog entry",
                     "the key bundle carries no transparency log entry to verify "
                     "against the trusted root (a timestamp alone does not count)");
        goto out;
    }
    if (n > MS_BUNDLE_MAX_TLOG_ENTRIES) {
        rc = sv_fail(err, MS_EINPUT, "tlog entry", "more than %d entries",
                     MS_BUNDLE_MAX_TLOG_ENTRIES);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = sv_check_entry(c, cJSON_GetArrayItem(entries, i), (size_t)i, err)) != 0)
            goto out;
    }
    if ((rc = sv_check_timestamps(c, err)) != 0)
        goto out;
    /* A managed key has no validity window: a time is needed only to check log keys. */
    if (c->n_times == 0 && (!c->key || c->n_untimed > 0)) {
        rc = sv_fail(err, MS_EVERIFY, "signing time",
                     "no verified timestamp (a signed entry timestamp or an RFC 3161 timestamp)");
        goto out;
    }
    int64_t first = c->n_times ? c->times[0] : 0;
    for (size_t i = 1; i < c->n_times; i++)
        first = c->times[i] < first ? c->times[i] : first;
    for (size_t i = 0; i < c->n_untimed; i++) {
        if (!sigstore_time_in_range(&c->untimed[i]->valid, first)) {
            char when[40];
            rc = sv_fail(err, MS_EVERIFY, "signing time", "the key of %s was not valid at %s",
                         c->untimed[i]->key_name, sigstore_time_format(first, when, sizeof when));
            goto out;
        }
    }
    if (!c->key &&
        ((rc = sv_verify_chain(c, &issuer, err)) != 0 || (rc = sv_check_sct(c, issuer, err)) != 0))
        goto out;
    if ((rc = check_signature(c, res, err)) != 0)
        goto out;
    if (res) {
        res->signing_time = first;
        res->n_timestamps = c->n_times;
        res->n_tlog_entries = c->n_entries;
        if (!c->key) { /* managed key mode: no identity */
            res->identity = strdup(policy->identity);
            res->issuer = strdup(policy->issuer);
            res->subject = ms_x509_leaf_subject(c->leaf_chain);
        }
        if (res->subject && !res->subject[0]) { /* Fulcio leaves have an empty subject */
            free(res->subject);
            res->subject = NULL;
        }
        if (!c->key && (!res->identity || !res->issuer)) {
            ms_sigstore_result_clear(res);
            rc = ms_error_nomem(err);
        }
    }
out:
    X509_free(issuer);
    X509_free(c->leaf);
    sk_X509_pop_free(c->intermediates, X509_free);
    ms_x509_chain_free(c->leaf_chain);
    msx_buf_free(&c->pae);
    free(c);
    return rc;
}
