/* The transparency log entries and RFC 3161 timestamps of a Sigstore bundle, checked offline
 * against the trusted root: each entry's log, its canonicalized body bound to this bundle's
 * envelope or message signature and signer (certificate or managed key), the RFC 6962 inclusion
 * proof, the signed checkpoint and the signed entry timestamp; then every timestamp over the
 * signature. The verified times are collected for the certificate checks. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <sodium.h>

#include "format/bundle_json.h"
#include "sigstore_verify_internal.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

#define MAX_BODY_SIZE ((size_t)96 << 20)
#define MAX_SIGNATURE_SIZE ((size_t)64 << 10)

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *it = field(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* What int_field accepts, for the messages that refuse a field. */
#define INT_FIELD_PROBLEMS "negative, not a whole number or above 9223372036854775807"

/* A protobuf-JSON int64: a decimal string or an integral number (exact in a double), from 0 to
 * INT64_MAX. 1 when present and valid, 0 when absent, -1 when malformed, negative or larger (a
 * longer string is refused as it is read, before it can overflow). */
static int int_field(const cJSON *obj, const char *name, int64_t *out)
{
    const cJSON *it = field(obj, name);
    if (!it || cJSON_IsNull(it))
        return 0;
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(int64_t)d)
            return -1;
        *out = (int64_t)d;
        return 1;
    }
    if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) > 19)
        return -1;
    int64_t v = 0;
    for (const char *p = it->valuestring; *p; p++) {
        if (*p < '0' || *p > '9' || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, *p - '0', &v))
            return -1;
    }
    *out = v;
    return 1;
}

/* Decode the base64 string field `name` of obj; `where` names it. */
static int b64_field(const cJSON *obj, const char *name, const char *where, size_t max,
                     uint8_t **out, size_t *len, ms_error *err)
{
    char w[192];
    snprintf(w, sizeof w, "%s.%s", where, name);
    return msx_json_base64_field(field(obj, name), w, max, 0, out, len, err);
}

/* ---- transparency log entry bodies ---- */

/* 1 when the public key (PEM or DER SubjectPublicKeyInfo) is the managed key. */
static int key_is_ours(const ms_sigstore_vctx *c, const uint8_t *data, size_t len)
{
    ms_key *k = NULL;
    ms_error ignored;
    int same =
        c->key && ms_key_parse_public(data, len, &k, &ignored) == 0 && ms_key_equal(k, c->key);
    ms_key_free(k);
    return same;
}

/* 1 when the PEM text holds exactly the bundle's leaf certificate (managed key mode: the
 * key). */
static int pem_is_signer(const ms_sigstore_vctx *c, const uint8_t *pem, size_t len)
{
    if (c->key)
        return key_is_ours(c, pem, len);
    if (len > INT_MAX)
        return 0;
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int same = x && X509_cmp(x, c->leaf) == 0;
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return same;
}

static int der_is_leaf(const ms_sigstore_vctx *c, const uint8_t *der, size_t len)
{
    return c->leaf && len == c->leaf_der_len && memcmp(der, c->leaf_der, len) == 0;
}

static int sig_is_ours(const ms_sigstore_vctx *c, const uint8_t *sig, size_t len)
{
    return len == c->sig_len && memcmp(sig, c->sig, len) == 0;
}

/* A hex SHA-256 {algorithm: "sha256", value} (Rekor v1) equal to `want`. */
static int hex_hash_is(const cJSON *h, const uint8_t want[32])
{
    const char *alg = string_field(h, "algorithm"), *value = string_field(h, "value");
    uint8_t got[32];
    size_t n;
    return alg && value && strcmp(alg, "sha256") == 0 &&
           msx_hex_decode(value, strlen(value), got, sizeof got, &n) == 0 && n == 32 &&
           sodium_memcmp(got, want, 32) == 0;
}

/* A HashOutput {algorithm: "SHA2_256", digest: base64} (Rekor v2) equal to `want`. */
static int hash_output_is(const cJSON *h, const uint8_t want[32])
{
    const char *alg = string_field(h, "algorithm"), *digest = string_field(h, "digest");
    uint8_t *got = NULL;
    size_t n = 0;
    int same = alg && digest && strcmp(alg, "SHA2_256") == 0 &&
               msx_base64_decode(digest, strlen(digest), &got, &n) == 0 && n == 32 &&
               sodium_memcmp(got, want, 32) == 0;
    free(got);
    return same;
}

/* A base64 string field decoded and compared. */
static int b64_equals(const cJSON *obj, const char *name,
                      int (*same)(const ms_sigstore_vctx *, const uint8_t *, size_t),
                      const ms_sigstore_vctx *c)
{
    const char *s = string_field(obj, name);
    uint8_t *raw = NULL;
    size_t n = 0;
    int ok = s && msx_base64_decode(s, strlen(s), &raw, &n) == 0 && same(c, raw, n);
    free(raw);
    return ok;
}

/* A base64 string whose decoding is itself base64 (Rekor's intoto 0.0.2). */
static int b64b64_equals(const cJSON *obj, const char *name,
                         int (*same)(const ms_sigstore_vctx *, const uint8_t *, size_t),
                         const ms_sigstore_vctx *c)
{
    const char *s = string_field(obj, name);
    uint8_t *once = NULL, *twice = NULL;
    size_t n1 = 0, n2 = 0;
    int ok = s && msx_base64_decode(s, strlen(s), &once, &n1) == 0 &&
             msx_base64_decode((const char *)once, n1, &twice, &n2) == 0 && same(c, twice, n2);
    free(once);
    free(twice);
    return ok;
}

static int payload_is_ours(const ms_sigstore_vctx *c, const uint8_t *p, size_t n)
{
    return n == c->env->payload_len && memcmp(p, c->env->payload, n) == 0;
}

/* A Rekor v2 Verifier holding the leaf, {x509Certificate: {rawBytes}, keyDetails}, or in
 * managed key mode the key, {publicKey: {rawBytes}, keyDetails}. */
static int verifier_is_signer(const cJSON *v, const ms_sigstore_vctx *c)
{
    if (c->key)
        return b64_equals(field(v, "publicKey"), "rawBytes", key_is_ours, c);
    return b64_equals(field(v, "x509Certificate"), "rawBytes", der_is_leaf, c);
}

static const char *signer_kind(const ms_sigstore_vctx *c)
{
    return c->key ? "public key" : "certificate";
}

/* Compare the decoded canonicalizedBody with this bundle. 0 or MS_EVERIFY naming what
 * differs. */
static int match_body(ms_sigstore_vctx *c, const cJSON *body, const char *kind, const char *version,
                      ms_error *err)
{
    const char *what = "tlog entry";
    const cJSON *spec = field(body, "spec");
    const char *bkind = string_field(body, "kind"), *bver = string_field(body, "apiVersion");
    if (!bkind || !bver || strcmp(bkind, kind) != 0 || strcmp(bver, version) != 0)
        return sv_fail(err, MS_EVERIFY, what,
                       "the body is a %s %s entry, but kindVersion says %s %s", bkind ? bkind : "?",
                       bver ? bver : "?", kind, version);
    if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.1") == 0) {
        const cJSON *sigs = field(spec, "signatures");
        if (!c->env)
            return sv_fail(err, MS_EVERIFY, what,
                           "a dsse entry for a bundle without DSSE envelope");
        if (!hex_hash_is(field(spec, "payloadHash"), c->payload_sha256))
            return sv_fail(err, MS_EVERIFY, what, "the logged payload hash is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64_equals(cJSON_GetArrayItem(sigs, 0), "signature", sig_is_ours, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!b64_equals(cJSON_GetArrayItem(sigs, 0), "verifier", pem_is_signer, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged %s is not this bundle's",
                           signer_kind(c));
        return 0;
    }
    if (strcmp(kind, "intoto") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *content = field(spec, "content");
        const cJSON *env = field(content, "envelope");
        const cJSON *sigs = field(env, "signatures");
        const char *type = string_field(env, "payloadType");
        if (!c->env)
            return sv_fail(err, MS_EVERIFY, what,
                           "an intoto entry for a bundle without DSSE envelope");
        if (!hex_hash_is(field(content, "payloadHash"), c->payload_sha256) || !type ||
            strcmp(type, c->env->payload_type) != 0 ||
            (field(env, "payload") && !b64b64_equals(env, "payload", payload_is_ours, c)))
            return sv_fail(err, MS_EVERIFY, what, "the logged payload is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64b64_equals(cJSON_GetArrayItem(sigs, 0), "sig", sig_is_ours, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!b64_equals(cJSON_GetArrayItem(sigs, 0), "publicKey", pem_is_signer, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged %s is not this bundle's",
                           signer_kind(c));
        return 0;
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.1") == 0) {
        const cJSON *sig = field(spec, "signature");
        if (!c->msg)
            return sv_fail(err, MS_EVERIFY, what,
                           "a hashedrekord 0.0.1 entry for a bundle without message signature");
        if (!hex_hash_is(field(field(spec, "data"), "hash"), c->digest))
            return sv_fail(err, MS_EVERIFY, what, "the logged digest is not the artifact's");
        if (!b64_equals(sig, "content", sig_is_ours, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged signature is not this bundle's");
        if (!b64_equals(field(sig, "publicKey"), "content", pem_is_signer, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged %s is not this bundle's",
                           signer_kind(c));
        return 0;
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *v2 = field(spec, "hashedRekordV002");
        const cJSON *sig = field(v2, "signature");
        if (!hash_output_is(field(v2, "data"), c->digest))
            return sv_fail(err, MS_EVERIFY, what, "the logged digest is not this %s's",
                           c->env ? "envelope's PAE" : "artifact");
        if (!b64_equals(sig, "content", sig_is_ours, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged signature is not this bundle's");
        if (!verifier_is_signer(field(sig, "verifier"), c))
            return sv_fail(err, MS_EVERIFY, what, "the logged %s is not this bundle's",
                           signer_kind(c));
        return 0;
    }
    if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *v2 = field(spec, "dsseV002");
        const cJSON *sigs = field(v2, "signatures");
        if (!c->env)
            return sv_fail(err, MS_EVERIFY, what,
                           "a dsse entry for a bundle without DSSE envelope");
        if (!hash_output_is(field(v2, "payloadHash"), c->payload_sha256))
            return sv_fail(err, MS_EVERIFY, what, "the logged payload hash is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64_equals(cJSON_GetArrayItem(sigs, 0), "content", sig_is_ours, c))
            return sv_fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!verifier_is_signer(field(cJSON_GetArrayItem(sigs, 0), "verifier"), c))
            return sv_fail(err, MS_EVERIFY, what, "the logged %s is not this bundle's",
                           signer_kind(c));
        return 0;
    }
    return sv_fail(err, MS_EVERIFY, what, "unsupported entry kind %s %s", kind, version);
}

/* ---- one transparency log entry ---- */

static int check_inclusion(ms_sigstore_vctx *c, const cJSON *proof, size_t idx, const uint8_t *body,
                           size_t body_len, const ms_log_instance *log, EVP_PKEY *key,
                           ms_error *err)
{
    char where[64];
    const cJSON *hashes = field(proof, "hashes");
    uint8_t(*path)[32] = NULL;
    uint8_t *root_hash = NULL, leaf[32];
    size_t root_len = 0, n = 0;
    int64_t index, size;
    ms_checkpoint cp;
    int rc;
    memset(&cp, 0, sizeof cp);
    snprintf(where, sizeof where, "tlogEntries[%zu].inclusionProof", idx);
    if (int_field(proof, "logIndex", &index) != 1)
        return sv_fail(err, MS_EINPUT, "inclusion proof",
                       "%s.logIndex: missing, " INT_FIELD_PROBLEMS, where);
    if (int_field(proof, "treeSize", &size) != 1)
        return sv_fail(err, MS_EINPUT, "inclusion proof",
                       "%s.treeSize: missing, " INT_FIELD_PROBLEMS, where);
    if ((rc = b64_field(proof, "rootHash", where, 32, &root_hash, &root_len, err)) != 0)
        return rc;
    if (root_len != 32) {
        rc = sv_fail(err, MS_EINPUT, "inclusion proof", "rootHash is not a SHA-256 hash");
        goto out;
    }
    if (hashes && !cJSON_IsArray(hashes)) {
        rc = sv_fail(err, MS_EINPUT, "inclusion proof", "hashes is not an array");
        goto out;
    }
    n = hashes ? (size_t)cJSON_GetArraySize(hashes) : 0;
    if (n > MS_MERKLE_MAX_PROOF) {
        rc = sv_fail(err, MS_EINPUT, "inclusion proof", "more than %d hashes", MS_MERKLE_MAX_PROOF);
        goto out;
    }
    if (n && !(path = calloc(n, sizeof *path))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const cJSON *h = cJSON_GetArrayItem(hashes, (int)i);
        uint8_t *raw = NULL;
        size_t len = 0;
        if (!cJSON_IsString(h) ||
            msx_base64_decode(h->valuestring, strlen(h->valuestring), &raw, &len) != 0 ||
            len != 32) {
            free(raw);
            rc = sv_fail(err, MS_EINPUT, "inclusion proof", "hashes[%zu] is not a SHA-256 hash", i);
            goto out;
        }
        memcpy(path[i], raw, 32);
        free(raw);
    }
    ms_merkle_leaf_hash(body, body_len, leaf);
    if ((rc = ms_merkle_verify_inclusion((uint64_t)index, (uint64_t)size, leaf,
                                         (const uint8_t(*)[32])path, n, root_hash, err)) != 0) {
        rc = sv_fail(err, rc, "inclusion proof", "%s", err ? err->message : "invalid");
        goto out;
    }
    const cJSON *checkpoint = field(proof, "checkpoint");
    if (!checkpoint) {
        if (c->v01) {
            rc = 0; /* a v0.1 bundle: the signed entry timestamp vouches for the entry */
            goto out;
        }
        rc = sv_fail(err, MS_EVERIFY, "checkpoint", "the inclusion proof has no checkpoint");
        goto out;
    }
    const char *env = string_field(checkpoint, "envelope");
    if (!env) {
        rc = sv_fail(err, MS_EINPUT, "checkpoint", "checkpoint.envelope is not a string");
        goto out;
    }
    if ((rc = ms_checkpoint_parse(env, strlen(env), &cp, err)) != 0) {
        /* "checkpoint line 2: ..." becomes "sigstore checkpoint line 2: ..." */
        char msg[MS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "checkpoint: malformed");
        rc = ms_error_set(err, rc, "sigstore %s", msg);
        goto out;
    }
    if (cp.tree_size != (uint64_t)size || sodium_memcmp(cp.root_hash, root_hash, 32) != 0) {
        rc = sv_fail(err, MS_EVERIFY, "checkpoint",
                     "the checkpoint (size %llu) commits to another tree than the inclusion proof "
                     "(size %lld)",
                     (unsigned long long)cp.tree_size, (long long)size);
        goto out;
    }
    if ((rc = sigstore_checkpoint_verify_log(&cp, log, key, err)) != 0) {
        rc = sv_fail(err, rc, "checkpoint", "%s", err ? err->message : "invalid");
        goto out;
    }
out:
    ms_checkpoint_clear(&cp);
    free(path);
    free(root_hash);
    return rc;
}

int sv_check_entry(ms_sigstore_vctx *c, const cJSON *entry, size_t idx, ms_error *err)
{
    char where[64];
    uint8_t *log_id = NULL, *body = NULL, *set = NULL;
    size_t log_id_len = 0, body_len = 0, set_len = 0;
    int64_t log_index = 0, itime = 0;
    cJSON *doc = NULL;
    EVP_PKEY *key = NULL;
    ms_buf payload = MS_BUF_INIT;
    char hex[17];
    int rc, has_time;

    snprintf(where, sizeof where, "tlogEntries[%zu]", idx);
    if (!cJSON_IsObject(entry))
        return sv_fail(err, MS_EINPUT, "tlog entry", "%s is not an object", where);
    if (int_field(entry, "logIndex", &log_index) != 1)
        return sv_fail(err, MS_EINPUT, "tlog entry", "%s.logIndex: missing, " INT_FIELD_PROBLEMS,
                       where);
    if ((has_time = int_field(entry, "integratedTime", &itime)) < 0)
        return sv_fail(err, MS_EINPUT, "tlog entry", "%s.integratedTime: " INT_FIELD_PROBLEMS,
                       where);
    const cJSON *kv = field(entry, "kindVersion");
    const char *kind = string_field(kv, "kind"), *version = string_field(kv, "version");
    if (!kind || !version)
        return sv_fail(err, MS_EINPUT, "tlog entry", "%s.kindVersion: missing", where);
    snprintf(where, sizeof where, "tlogEntries[%zu].logId", idx);
    if ((rc = b64_field(field(entry, "logId"), "keyId", where, MS_LOG_ID_MAX, &log_id, &log_id_len,
                        err)) != 0)
        goto out;
    const ms_log_instance *log =
        sigstore_log_find(c->root->tlogs, c->root->n_tlogs, log_id, log_id_len);
    if (!log) {
        msx_hex_encode(log_id, log_id_len < 8 ? log_id_len : 8, hex);
        rc = sv_fail(err, MS_EVERIFY, "tlog entry", "log %s... is not in the trusted root", hex);
        goto out;
    }
    if (!(key = sigstore_log_key(log, err))) {
        rc = MS_EINPUT;
        goto out;
    }
    snprintf(where, sizeof where, "tlogEntries[%zu]", idx);
    if ((rc = b64_field(entry, "canonicalizedBody", where, MAX_BODY_SIZE, &body, &body_len, err)) !=
        0)
        goto out;
    if ((rc = msx_json_parse(body, body_len, MAX_BODY_SIZE, "tlog entry body", &doc, err)) != 0)
        goto out;
    if ((rc = match_body(c, doc, kind, version, err)) != 0)
        goto out;

    const cJSON *proof = field(entry, "inclusionProof");
    if (proof) {
        if ((rc = check_inclusion(c, proof, idx, body, body_len, log, key, err)) != 0)
            goto out;
    } else if (!c->v01) {
        rc = sv_fail(err, MS_EVERIFY, "inclusion proof", "%s has no inclusion proof", where);
        goto out;
    }

    const cJSON *promise = field(entry, "inclusionPromise");
    if (promise) {
        if (has_time != 1 || itime == 0) {
            rc = sv_fail(err, MS_EINPUT, "signed entry timestamp", "%s has no integratedTime",
                         where);
            goto out;
        }
        snprintf(where, sizeof where, "tlogEntries[%zu].inclusionPromise", idx);
        if ((rc = b64_field(promise, "signedEntryTimestamp", where, MAX_SIGNATURE_SIZE, &set,
                            &set_len, err)) != 0)
            goto out;
        if (sv_set_payload(body, body_len, itime, log_id, log_id_len, log_index, &payload) != 0) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (!sigstore_log_key_verify(key, payload.data, payload.len, set, set_len)) {
            rc =
                sv_fail(err, MS_EVERIFY, "signed entry timestamp",
                        "the signature by %s over the entry and its integratedTime does not verify",
                        log->key_name);
            goto out;
        }
        if (!sigstore_time_in_range(&log->valid, itime)) {
            char when[40];
            rc = sv_fail(err, MS_EVERIFY, "signed entry timestamp",
                         "the key of %s was not valid at the integratedTime %s", log->key_name,
                         sigstore_time_format(itime, when, sizeof when));
            goto out;
        }
        c->times[c->n_times++] = itime;
    } else if (c->v01) {
        rc = sv_fail(err, MS_EVERIFY, "signed entry timestamp",
                     "a v0.1 bundle's %s needs an inclusion promise", where);
        goto out;
    } else
        c->untimed[c->n_untimed++] = log;
    c->n_entries++;
    rc = 0;
out:
    EVP_PKEY_free(key);
    msx_buf_free(&payload);
    cJSON_Delete(doc);
    free(set);
    free(body);
    free(log_id);
    return rc;
}

int sv_check_timestamps(ms_sigstore_vctx *c, ms_error *err)
{
    const cJSON *data = bundle_timestamp_data(c->bundle);
    const cJSON *list = field(data, "rfc3161Timestamps");
    if (!list)
        return 0;
    if (!cJSON_IsArray(list))
        return sv_fail(err, MS_EINPUT, "RFC 3161 timestamp", "rfc3161Timestamps is not an array");
    int n = cJSON_GetArraySize(list);
    if (n > MS_SIGSTORE_MAX_TIMESTAMPS)
        return sv_fail(err, MS_EINPUT, "RFC 3161 timestamp", "more than %d timestamps",
                       MS_SIGSTORE_MAX_TIMESTAMPS);
    for (int i = 0; i < n; i++) {
        char where[64];
        uint8_t *der = NULL;
        size_t len = 0;
        int64_t t;
        snprintf(where, sizeof where, "rfc3161Timestamps[%d]", i);
        int rc = b64_field(cJSON_GetArrayItem(list, i), "signedTimestamp", where, 256 << 10, &der,
                           &len, err);
        if (rc != 0)
            return sv_fail(err, rc, "RFC 3161 timestamp", "%s", err ? err->message : "invalid");
        rc = ms_rfc3161_verify(der, len, c->sig, c->sig_len, c->root, &t, err);
        free(der);
        if (rc != 0)
            return sv_fail(err, rc, "RFC 3161 timestamp", "%s: %s", where,
                           err ? err->message : "invalid");
        c->times[c->n_times++] = t;
    }
    return 0;
}
