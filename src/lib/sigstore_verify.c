/* Offline verification of keyless Sigstore bundles against a trusted root: the Fulcio leaf
 * (identity, issuer, codeSigning, chain at the verified signing time, embedded SCT), each
 * transparency log entry (body bound to this bundle, inclusion proof, signed checkpoint, signed
 * entry timestamp), RFC 3161 timestamps, and finally the signature. Every check that fails
 * names itself ("sigstore <check>: ..."); nothing is fetched from the network. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "modelseal/dsse.h"
#include "modelseal/encoding.h"
#include "modelseal/json.h"
#include "modelseal/key.h"
#include "modelseal/x509.h"
#include "sigstore_internal.h"

#define MAX_BODY_SIZE ((size_t)96 << 20)
#define MAX_SIGNATURE_SIZE ((size_t)64 << 10)
#define MAX_TIMESTAMPS 32
#define MAX_TIMES (MS_BUNDLE_MAX_TLOG_ENTRIES + MAX_TIMESTAMPS)

typedef struct vctx {
    const ms_bundle *bundle;
    const ms_trusted_root *root;
    const ms_sigstore_policy *policy;
    int v01; /* bundle v0.1: a signed entry timestamp stands in for the inclusion proof */
    X509 *leaf;
    const uint8_t *leaf_der;
    size_t leaf_der_len;
    ms_x509_chain *leaf_chain;       /* the leaf alone, for the x509 module's inspectors */
    STACK_OF(X509) * intermediates;  /* from an x509CertificateChain bundle */
    const ms_dsse_envelope *env;     /* or */
    const ms_message_signature *msg; /* one of the two */
    const uint8_t *sig;              /* the one signature */
    size_t sig_len;
    ms_buf pae;                 /* DSSE: the bytes signed */
    uint8_t digest[32];         /* SHA-256 of the PAE, or of the artifact */
    uint8_t payload_sha256[32]; /* DSSE: SHA-256 of the payload */
    int64_t times[MAX_TIMES];   /* verified timestamps */
    size_t n_times;
    const ms_log_instance *untimed[MS_BUNDLE_MAX_TLOG_ENTRIES]; /* logs to check at those */
    size_t n_untimed;
    size_t n_entries;
} vctx;

/* "sigstore <check>: <message>" */
__attribute__((format(printf, 4, 5))) static int fail(ms_error *err, int code, const char *check,
                                                      const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return ms_error_set(err, code, "sigstore %s: %s", check, msg);
}

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

static const char *string_field(const cJSON *obj, const char *name)
{
    const cJSON *it = field(obj, name);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

/* A protobuf-JSON int64: a decimal string or an integral number, >= 0. 1 when present and
 * valid, 0 when absent, -1 when malformed or negative. */
static int int_field(const cJSON *obj, const char *name, int64_t *out)
{
    const cJSON *it = field(obj, name);
    if (!it || cJSON_IsNull(it))
        return 0;
    if (cJSON_IsNumber(it)) {
        double d = it->valuedouble;
        if (d < 0 || d > 9007199254740992.0 || d != (double)(int64_t)d)
            return -1;
        *out = (int64_t)d;
        return 1;
    }
    if (!cJSON_IsString(it) || !it->valuestring[0] || strlen(it->valuestring) > 19)
        return -1;
    int64_t v = 0;
    for (const char *p = it->valuestring; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
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
    return ms_json_base64_field(field(obj, name), w, max, 0, out, len, err);
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

int ms_sigstore_set_payload(const uint8_t *body, size_t body_len, int64_t integrated_time,
                            const uint8_t *log_id, size_t log_id_len, int64_t log_index,
                            ms_buf *out)
{
    /* RFC 8785: keys sorted, no whitespace, integers as digits; base64 and hex need no
     * escaping. */
    char *b64 = ms_base64_encode(body, body_len);
    char hex[2 * MS_LOG_ID_MAX + 1];
    if (!b64 || log_id_len > MS_LOG_ID_MAX) {
        free(b64);
        return MS_ENOMEM;
    }
    ms_hex_encode(log_id, log_id_len, hex);
    ms_buf_reset(out);
    int rc = ms_buf_printf(out,
                           "{\"body\":\"%s\",\"integratedTime\":%lld,\"logID\":\"%s\","
                           "\"logIndex\":%lld}",
                           b64, (long long)integrated_time, hex, (long long)log_index);
    free(b64);
    return rc ? MS_ENOMEM : 0;
}

/* ---- the leaf certificate ---- */

static int is_self_signed(X509 *x)
{
    return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

static int load_material(vctx *c, ms_error *err)
{
    size_t n = ms_bundle_certificate_count(c->bundle);
    ms_bundle_material kind = ms_bundle_material_kind(c->bundle);
    if (kind != MS_MATERIAL_CERTIFICATE && kind != MS_MATERIAL_X509_CHAIN)
        return fail(err, MS_EINPUT, "certificate chain", "the bundle carries no certificate");
    if (n == 0)
        return fail(err, MS_EINPUT, "certificate chain", "the bundle's certificate chain is empty");
    if (!(c->intermediates = sk_X509_new_null()) || !(c->leaf_chain = ms_x509_chain_new()))
        return ms_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *der = ms_bundle_certificate(c->bundle, i, &len);
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        ERR_clear_error();
        if (!x || p != der + len) {
            X509_free(x);
            return fail(err, MS_EINPUT, "certificate chain", "certificate %zu is not DER", i);
        }
        if (i == 0) {
            c->leaf = x;
            c->leaf_der = der;
            c->leaf_der_len = len;
            continue;
        }
        if (!sk_X509_push(c->intermediates, x)) {
            X509_free(x);
            return ms_error_nomem(err);
        }
        if (is_self_signed(x))
            return fail(err, MS_EVERIFY, "certificate chain",
                        "the bundle carries a root certificate; trust comes from the trusted root");
    }
    if (is_self_signed(c->leaf))
        return fail(err, MS_EVERIFY, "certificate chain", "the signing certificate is self-signed");
    return ms_x509_chain_add_der(c->leaf_chain, c->leaf_der, c->leaf_der_len, err);
}

static int check_identity(vctx *c, ms_error *err)
{
    const char *want_issuer = c->policy->issuer;
    if (!ms_x509_leaf_has_identity(c->leaf_chain, c->policy->identity)) {
        char *id = ms_x509_leaf_identity(c->leaf_chain);
        int rc = fail(err, MS_EVERIFY, "certificate identity", "the certificate is for %s, not %s",
                      id ? id : "no identity", c->policy->identity);
        free(id);
        return rc;
    }
    char *issuer = ms_x509_leaf_extension_string(c->leaf_chain, MS_FULCIO_OID_ISSUER_V2);
    if (!issuer)
        issuer = ms_x509_leaf_extension_string(c->leaf_chain, MS_FULCIO_OID_ISSUER_V1);
    if (!issuer || strcmp(issuer, want_issuer) != 0) {
        int rc = fail(err, MS_EVERIFY, "certificate issuer", "the OIDC issuer is %s, not %s",
                      issuer ? issuer : "absent", want_issuer);
        free(issuer);
        return rc;
    }
    free(issuer);
    uint32_t xku = X509_get_extended_key_usage(c->leaf);
    if (!(X509_get_extension_flags(c->leaf) & EXFLAG_XKUSAGE) || !(xku & XKU_CODE_SIGN))
        return fail(err, MS_EVERIFY, "certificate usage",
                    "the certificate lacks the codeSigning extended key usage");
    if ((X509_get_extension_flags(c->leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(c->leaf) & KU_DIGITAL_SIGNATURE))
        return fail(err, MS_EVERIFY, "certificate usage",
                    "the certificate's key usage lacks digitalSignature");
    return 0;
}

/* ---- transparency log entry bodies ---- */

/* 1 when the PEM text holds exactly the bundle's leaf certificate. */
static int pem_is_leaf(const vctx *c, const uint8_t *pem, size_t len)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    int same = x && X509_cmp(x, c->leaf) == 0;
    X509_free(x);
    BIO_free(bio);
    ERR_clear_error();
    return same;
}

static int der_is_leaf(const vctx *c, const uint8_t *der, size_t len)
{
    return len == c->leaf_der_len && memcmp(der, c->leaf_der, len) == 0;
}

static int sig_is_ours(const vctx *c, const uint8_t *sig, size_t len)
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
           ms_hex_decode(value, strlen(value), got, sizeof got, &n) == 0 && n == 32 &&
           CRYPTO_memcmp(got, want, 32) == 0;
}

/* A HashOutput {algorithm: "SHA2_256", digest: base64} (Rekor v2) equal to `want`. */
static int hash_output_is(const cJSON *h, const uint8_t want[32])
{
    const char *alg = string_field(h, "algorithm"), *digest = string_field(h, "digest");
    uint8_t *got = NULL;
    size_t n = 0;
    int same = alg && digest && strcmp(alg, "SHA2_256") == 0 &&
               ms_base64_decode(digest, strlen(digest), &got, &n) == 0 && n == 32 &&
               CRYPTO_memcmp(got, want, 32) == 0;
    free(got);
    return same;
}

/* A base64 string field decoded and compared. */
static int b64_equals(const cJSON *obj, const char *name,
                      int (*same)(const vctx *, const uint8_t *, size_t), const vctx *c)
{
    const char *s = string_field(obj, name);
    uint8_t *raw = NULL;
    size_t n = 0;
    int ok = s && ms_base64_decode(s, strlen(s), &raw, &n) == 0 && same(c, raw, n);
    free(raw);
    return ok;
}

/* A base64 string whose decoding is itself base64 (Rekor's intoto 0.0.2). */
static int b64b64_equals(const cJSON *obj, const char *name,
                         int (*same)(const vctx *, const uint8_t *, size_t), const vctx *c)
{
    const char *s = string_field(obj, name);
    uint8_t *once = NULL, *twice = NULL;
    size_t n1 = 0, n2 = 0;
    int ok = s && ms_base64_decode(s, strlen(s), &once, &n1) == 0 &&
             ms_base64_decode((const char *)once, n1, &twice, &n2) == 0 && same(c, twice, n2);
    free(once);
    free(twice);
    return ok;
}

static int payload_is_ours(const vctx *c, const uint8_t *p, size_t n)
{
    return n == c->env->payload_len && memcmp(p, c->env->payload, n) == 0;
}

/* A Rekor v2 Verifier holding the leaf: {x509Certificate: {rawBytes}, keyDetails}. */
static int verifier_is_leaf(const cJSON *v, const vctx *c)
{
    return b64_equals(field(v, "x509Certificate"), "rawBytes", der_is_leaf, c);
}

/* Compare the decoded canonicalizedBody with this bundle. 0 or MS_EVERIFY naming what
 * differs. */
static int match_body(vctx *c, const cJSON *body, const char *kind, const char *version,
                      ms_error *err)
{
    const char *what = "tlog entry";
    const cJSON *spec = field(body, "spec");
    const char *bkind = string_field(body, "kind"), *bver = string_field(body, "apiVersion");
    if (!bkind || !bver || strcmp(bkind, kind) != 0 || strcmp(bver, version) != 0)
        return fail(err, MS_EVERIFY, what, "the body is a %s %s entry, but kindVersion says %s %s",
                    bkind ? bkind : "?", bver ? bver : "?", kind, version);
    if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.1") == 0) {
        const cJSON *sigs = field(spec, "signatures");
        if (!c->env)
            return fail(err, MS_EVERIFY, what, "a dsse entry for a bundle without DSSE envelope");
        if (!hex_hash_is(field(spec, "payloadHash"), c->payload_sha256))
            return fail(err, MS_EVERIFY, what, "the logged payload hash is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64_equals(cJSON_GetArrayItem(sigs, 0), "signature", sig_is_ours, c))
            return fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!b64_equals(cJSON_GetArrayItem(sigs, 0), "verifier", pem_is_leaf, c))
            return fail(err, MS_EVERIFY, what, "the logged certificate is not this bundle's");
        return 0;
    }
    if (strcmp(kind, "intoto") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *content = field(spec, "content");
        const cJSON *env = field(content, "envelope");
        const cJSON *sigs = field(env, "signatures");
        const char *type = string_field(env, "payloadType");
        if (!c->env)
            return fail(err, MS_EVERIFY, what,
                        "an intoto entry for a bundle without DSSE envelope");
        if (!hex_hash_is(field(content, "payloadHash"), c->payload_sha256) || !type ||
            strcmp(type, c->env->payload_type) != 0 ||
            (field(env, "payload") && !b64b64_equals(env, "payload", payload_is_ours, c)))
            return fail(err, MS_EVERIFY, what, "the logged payload is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64b64_equals(cJSON_GetArrayItem(sigs, 0), "sig", sig_is_ours, c))
            return fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!b64_equals(cJSON_GetArrayItem(sigs, 0), "publicKey", pem_is_leaf, c))
            return fail(err, MS_EVERIFY, what, "the logged certificate is not this bundle's");
        return 0;
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.1") == 0) {
        const cJSON *sig = field(spec, "signature");
        if (!c->msg)
            return fail(err, MS_EVERIFY, what,
                        "a hashedrekord 0.0.1 entry for a bundle without message signature");
        if (!hex_hash_is(field(field(spec, "data"), "hash"), c->digest))
            return fail(err, MS_EVERIFY, what, "the logged digest is not the artifact's");
        if (!b64_equals(sig, "content", sig_is_ours, c))
            return fail(err, MS_EVERIFY, what, "the logged signature is not this bundle's");
        if (!b64_equals(field(sig, "publicKey"), "content", pem_is_leaf, c))
            return fail(err, MS_EVERIFY, what, "the logged certificate is not this bundle's");
        return 0;
    }
    if (strcmp(kind, "hashedrekord") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *v2 = field(spec, "hashedRekordV002");
        const cJSON *sig = field(v2, "signature");
        if (!hash_output_is(field(v2, "data"), c->digest))
            return fail(err, MS_EVERIFY, what, "the logged digest is not this %s's",
                        c->env ? "envelope's PAE" : "artifact");
        if (!b64_equals(sig, "content", sig_is_ours, c))
            return fail(err, MS_EVERIFY, what, "the logged signature is not this bundle's");
        if (!verifier_is_leaf(field(sig, "verifier"), c))
            return fail(err, MS_EVERIFY, what, "the logged certificate is not this bundle's");
        return 0;
    }
    if (strcmp(kind, "dsse") == 0 && strcmp(version, "0.0.2") == 0) {
        const cJSON *v2 = field(spec, "dsseV002");
        const cJSON *sigs = field(v2, "signatures");
        if (!c->env)
            return fail(err, MS_EVERIFY, what, "a dsse entry for a bundle without DSSE envelope");
        if (!hash_output_is(field(v2, "payloadHash"), c->payload_sha256))
            return fail(err, MS_EVERIFY, what, "the logged payload hash is not this envelope's");
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64_equals(cJSON_GetArrayItem(sigs, 0), "content", sig_is_ours, c))
            return fail(err, MS_EVERIFY, what, "the logged signature is not this envelope's");
        if (!verifier_is_leaf(field(cJSON_GetArrayItem(sigs, 0), "verifier"), c))
            return fail(err, MS_EVERIFY, what, "the logged certificate is not this bundle's");
        return 0;
    }
    return fail(err, MS_EVERIFY, what, "unsupported entry kind %s %s", kind, version);
}

/* ---- one transparency log entry ---- */

static int check_inclusion(vctx *c, const cJSON *proof, const uint8_t *body, size_t body_len,
                           const ms_log_instance *log, EVP_PKEY *key, ms_error *err)
{
    const char *where = "tlogEntries[].inclusionProof";
    const cJSON *hashes = field(proof, "hashes");
    uint8_t(*path)[32] = NULL;
    uint8_t *root_hash = NULL, leaf[32];
    size_t root_len = 0, n = 0;
    int64_t index, size;
    ms_checkpoint cp;
    int rc;
    memset(&cp, 0, sizeof cp);
    if (int_field(proof, "logIndex", &index) != 1 || int_field(proof, "treeSize", &size) != 1)
        return fail(err, MS_EINPUT, "inclusion proof", "logIndex or treeSize missing or invalid");
    if ((rc = b64_field(proof, "rootHash", where, 32, &root_hash, &root_len, err)) != 0)
        return rc;
    if (root_len != 32) {
        rc = fail(err, MS_EINPUT, "inclusion proof", "rootHash is not a SHA-256 hash");
        goto out;
    }
    if (hashes && !cJSON_IsArray(hashes)) {
        rc = fail(err, MS_EINPUT, "inclusion proof", "hashes is not an array");
        goto out;
    }
    n = hashes ? (size_t)cJSON_GetArraySize(hashes) : 0;
    if (n > MS_MERKLE_MAX_PROOF) {
        rc = fail(err, MS_EINPUT, "inclusion proof", "more than %d hashes", MS_MERKLE_MAX_PROOF);
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
            ms_base64_decode(h->valuestring, strlen(h->valuestring), &raw, &len) != 0 ||
            len != 32) {
            free(raw);
            rc = fail(err, MS_EINPUT, "inclusion proof", "hashes[%zu] is not a SHA-256 hash", i);
            goto out;
        }
        memcpy(path[i], raw, 32);
        free(raw);
    }
    ms_merkle_leaf_hash(body, body_len, leaf);
    if ((rc = ms_merkle_verify_inclusion((uint64_t)index, (uint64_t)size, leaf,
                                         (const uint8_t(*)[32])path, n, root_hash, err)) != 0) {
        rc = fail(err, rc, "inclusion proof", "%s", err ? err->message : "invalid");
        goto out;
    }
    const cJSON *checkpoint = field(proof, "checkpoint");
    if (!checkpoint) {
        if (c->v01) {
            rc = 0; /* a v0.1 bundle: the signed entry timestamp vouches for the entry */
            goto out;
        }
        rc = fail(err, MS_EVERIFY, "checkpoint", "the inclusion proof has no checkpoint");
        goto out;
    }
    const char *env = string_field(checkpoint, "envelope");
    if (!env) {
        rc = fail(err, MS_EINPUT, "checkpoint", "checkpoint.envelope is not a string");
        goto out;
    }
    if ((rc = ms_checkpoint_parse(env, strlen(env), &cp, err)) != 0) {
        /* "checkpoint line 2: ..." becomes "sigstore checkpoint line 2: ..." */
        char msg[MS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err ? err->message : "checkpoint: malformed");
        rc = ms_error_set(err, rc, "sigstore %s", msg);
        goto out;
    }
    if (cp.tree_size != (uint64_t)size || CRYPTO_memcmp(cp.root_hash, root_hash, 32) != 0) {
        rc = fail(err, MS_EVERIFY, "checkpoint",
                  "the checkpoint (size %llu) commits to another tree than the inclusion proof "
                  "(size %lld)",
                  (unsigned long long)cp.tree_size, (long long)size);
        goto out;
    }
    if ((rc = ms_checkpoint_verify_log(&cp, log, key, err)) != 0) {
        rc = fail(err, rc, "checkpoint", "%s", err ? err->message : "invalid");
        goto out;
    }
out:
    ms_checkpoint_clear(&cp);
    free(path);
    free(root_hash);
    return rc;
}

static int check_entry(vctx *c, const cJSON *entry, size_t idx, ms_error *err)
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
        return fail(err, MS_EINPUT, "tlog entry", "%s is not an object", where);
    if (int_field(entry, "logIndex", &log_index) != 1)
        return fail(err, MS_EINPUT, "tlog entry", "%s.logIndex: missing, negative or invalid",
                    where);
    if ((has_time = int_field(entry, "integratedTime", &itime)) < 0)
        return fail(err, MS_EINPUT, "tlog entry", "%s.integratedTime: negative or invalid", where);
    const cJSON *kv = field(entry, "kindVersion");
    const char *kind = string_field(kv, "kind"), *version = string_field(kv, "version");
    if (!kind || !version)
        return fail(err, MS_EINPUT, "tlog entry", "%s.kindVersion: missing", where);
    snprintf(where, sizeof where, "tlogEntries[%zu].logId", idx);
    if ((rc = b64_field(field(entry, "logId"), "keyId", where, MS_LOG_ID_MAX, &log_id, &log_id_len,
                        err)) != 0)
        goto out;
    const ms_log_instance *log = ms_log_find(c->root->tlogs, c->root->n_tlogs, log_id, log_id_len);
    if (!log) {
        ms_hex_encode(log_id, log_id_len < 8 ? log_id_len : 8, hex);
        rc = fail(err, MS_EVERIFY, "tlog entry", "log %s... is not in the trusted root", hex);
        goto out;
    }
    if (!(key = ms_log_key(log, err))) {
        rc = MS_EINPUT;
        goto out;
    }
    snprintf(where, sizeof where, "tlogEntries[%zu]", idx);
    if ((rc = b64_field(entry, "canonicalizedBody", where, MAX_BODY_SIZE, &body, &body_len, err)) !=
        0)
        goto out;
    if ((rc = ms_json_parse(body, body_len, MAX_BODY_SIZE, "tlog entry body", &doc, err)) != 0)
        goto out;
    if ((rc = match_body(c, doc, kind, version, err)) != 0)
        goto out;

    const cJSON *proof = field(entry, "inclusionProof");
    if (proof) {
        if ((rc = check_inclusion(c, proof, body, body_len, log, key, err)) != 0)
            goto out;
    } else if (!c->v01) {
        rc = fail(err, MS_EVERIFY, "inclusion proof", "%s has no inclusion proof", where);
        goto out;
    }

    const cJSON *promise = field(entry, "inclusionPromise");
    if (promise) {
        if (has_time != 1 || itime == 0) {
            rc = fail(err, MS_EINPUT, "signed entry timestamp", "%s has no integratedTime", where);
            goto out;
        }
        snprintf(where, sizeof where, "tlogEntries[%zu].inclusionPromise", idx);
        if ((rc = b64_field(promise, "signedEntryTimestamp", where, MAX_SIGNATURE_SIZE, &set,
                            &set_len, err)) != 0)
            goto out;
        if (ms_sigstore_set_payload(body, body_len, itime, log_id, log_id_len, log_index,
                                    &payload) != 0) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (!ms_log_key_verify(key, payload.data, payload.len, set, set_len)) {
            rc = fail(err, MS_EVERIFY, "signed entry timestamp",
                      "the signature by %s over the entry and its integratedTime does not verify",
                      log->key_name);
            goto out;
        }
        if (!ms_time_in_range(&log->valid, itime)) {
            char when[40];
            rc = fail(err, MS_EVERIFY, "signed entry timestamp",
                      "the key of %s was not valid at the integratedTime %s", log->key_name,
                      ms_time_format(itime, when, sizeof when));
            goto out;
        }
        c->times[c->n_times++] = itime;
    } else if (c->v01) {
        rc = fail(err, MS_EVERIFY, "signed entry timestamp",
                  "a v0.1 bundle's %s needs an inclusion promise", where);
        goto out;
    } else
        c->untimed[c->n_untimed++] = log;
    c->n_entries++;
    rc = 0;
out:
    EVP_PKEY_free(key);
    ms_buf_free(&payload);
    cJSON_Delete(doc);
    free(set);
    free(body);
    free(log_id);
    return rc;
}

static int check_timestamps(vctx *c, ms_error *err)
{
    const cJSON *data = ms_bundle_timestamp_data(c->bundle);
    const cJSON *list = field(data, "rfc3161Timestamps");
    if (!list)
        return 0;
    if (!cJSON_IsArray(list))
        return fail(err, MS_EINPUT, "RFC 3161 timestamp", "rfc3161Timestamps is not an array");
    int n = cJSON_GetArraySize(list);
    if (n > MAX_TIMESTAMPS)
        return fail(err, MS_EINPUT, "RFC 3161 timestamp", "more than %d timestamps",
                    MAX_TIMESTAMPS);
    for (int i = 0; i < n; i++) {
        char where[64];
        uint8_t *der = NULL;
        size_t len = 0;
        int64_t t;
        snprintf(where, sizeof where, "rfc3161Timestamps[%d]", i);
        int rc = b64_field(cJSON_GetArrayItem(list, i), "signedTimestamp", where, 256 << 10, &der,
                           &len, err);
        if (rc != 0)
            return fail(err, rc, "RFC 3161 timestamp", "%s", err ? err->message : "invalid");
        rc = ms_rfc3161_verify(der, len, c->sig, c->sig_len, c->root, &t, err);
        free(der);
        if (rc != 0)
            return fail(err, rc, "RFC 3161 timestamp", "%s: %s", where,
                        err ? err->message : "invalid");
        c->times[c->n_times++] = t;
    }
    return 0;
}

/* ---- the chain at the signing time, and the SCT ---- */

/* The leaf chains to a CA of the root valid at every verified time. Signatures do not depend
 * on the time, so the path is built and checked once, at the earliest time; then every
 * certificate of the path must be valid at each other time. On success *issuer is the leaf's
 * issuer (up-referenced). */
static int verify_chain(vctx *c, X509 **issuer, ms_error *err)
{
    char when[40], detail[160] = "no certificate authority of the trusted root was valid then";
    int64_t nb, na, first = c->times[0];
    if (ms_asn1_time_unix(X509_get0_notBefore(c->leaf), &nb) != 0 ||
        ms_asn1_time_unix(X509_get0_notAfter(c->leaf), &na) != 0)
        return fail(err, MS_EINPUT, "certificate chain", "unreadable certificate validity");
    for (size_t i = 0; i < c->n_times; i++) {
        int64_t t = c->times[i];
        first = t < first ? t : first;
        if (t < nb || t > na) {
            char b[40], a[40];
            return fail(err, MS_EVERIFY, "signing time",
                        "the verified time %s is outside the certificate's validity (%s to %s)",
                        ms_time_format(t, when, sizeof when), ms_time_format(nb, b, sizeof b),
                        ms_time_format(na, a, sizeof a));
        }
    }
    ms_time_format(first, when, sizeof when);
    for (size_t i = 0; i < c->root->n_cas; i++) {
        const ms_authority *ca = &c->root->cas[i];
        STACK_OF(X509) *ca_chain = NULL, *untrusted = NULL;
        X509_STORE *store = NULL;
        X509_STORE_CTX *ctx = NULL;
        int ok = 1, n;
        for (size_t k = 0; k < c->n_times; k++)
            ok = ok && ms_time_in_range(&ca->valid, c->times[k]);
        if (!ok)
            continue;
        ok = 0;
        if (!(ca_chain = ms_authority_chain(ca, err)))
            return MS_EINPUT;
        n = sk_X509_num(ca_chain);
        if (!(store = X509_STORE_new()) || !(ctx = X509_STORE_CTX_new()) ||
            !(untrusted = sk_X509_new_null()) ||
            X509_STORE_add_cert(store, sk_X509_value(ca_chain, n - 1)) != 1)
            goto next;
        for (int k = 0; k < n - 1; k++) {
            if (!sk_X509_push(untrusted, sk_X509_value(ca_chain, k)))
                goto next;
        }
        for (int k = 0; k < sk_X509_num(c->intermediates); k++) {
            if (!sk_X509_push(untrusted, sk_X509_value(c->intermediates, k)))
                goto next;
        }
        if (X509_STORE_CTX_init(ctx, store, c->leaf, untrusted) != 1)
            goto next;
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
        X509_STORE_CTX_set_time(ctx, 0, (time_t)first);
        if (X509_verify_cert(ctx) != 1) {
            snprintf(detail, sizeof detail, "%s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
            goto next;
        }
        STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
        ok = sk_X509_num(path) >= 2;
        for (int k = 0; ok && k < sk_X509_num(path); k++) {
            X509 *x = sk_X509_value(path, k);
            if (ms_asn1_time_unix(X509_get0_notBefore(x), &nb) != 0 ||
                ms_asn1_time_unix(X509_get0_notAfter(x), &na) != 0) {
                ok = 0;
                break;
            }
            for (size_t m = 0; ok && m < c->n_times; m++) {
                if (c->times[m] < nb || c->times[m] > na) {
                    snprintf(detail, sizeof detail, "a CA certificate was not valid at %s",
                             ms_time_format(c->times[m], when, sizeof when));
                    ok = 0;
                }
            }
        }
        if (ok && X509_up_ref(sk_X509_value(path, 1)))
            *issuer = sk_X509_value(path, 1);
        else
            ok = 0;
    next:
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted);
        X509_STORE_free(store);
        sk_X509_pop_free(ca_chain, X509_free);
        ERR_clear_error();
        if (ok)
            return 0;
    }
    return fail(err, MS_EVERIFY, "certificate chain",
                "the certificate does not chain to a Fulcio CA of the trusted root at %s (%s)",
                when, detail);
}

static int put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
    return n;
}

/* RFC 6962 section 3.2: the signed data of a precertificate SCT. */
static int sct_signed_data(const SCT *sct, const uint8_t issuer_hash[32], const uint8_t *tbs,
                           size_t tbs_len, ms_buf *out)
{
    unsigned char *ext = NULL;
    size_t ext_len = SCT_get0_extensions(sct, &ext);
    uint8_t head[2 + 8 + 2 + 32 + 3];
    size_t n = 0;
    if (tbs_len > 0xffffff || ext_len > 0xffff)
        return -1;
    head[n++] = 0; /* v1 */
    head[n++] = 0; /* certificate_timestamp */
    n += (size_t)put_be(head + n, SCT_get_timestamp(sct), 8);
    n += (size_t)put_be(head + n, 1, 2); /* precert_entry */
    memcpy(head + n, issuer_hash, 32);
    n += 32;
    n += (size_t)put_be(head + n, tbs_len, 3);
    uint8_t ext_head[2];
    put_be(ext_head, ext_len, 2);
    ms_buf_reset(out);
    if (ms_buf_append(out, head, n) || ms_buf_append(out, tbs, tbs_len) ||
        ms_buf_append(out, ext_head, 2) || (ext_len && ms_buf_append(out, ext, ext_len)))
        return -1;
    return 0;
}

static int check_sct(vctx *c, X509 *issuer, ms_error *err)
{
    STACK_OF(SCT) *scts = X509_get_ext_d2i(c->leaf, NID_ct_precert_scts, NULL, NULL);
    X509 *pre = NULL;
    unsigned char *tbs = NULL, *spki = NULL;
    uint8_t issuer_hash[32];
    ms_buf data = MS_BUF_INIT;
    size_t verified = 0, unknown = 0;
    int rc, idx, tbs_len, spki_len;
    ERR_clear_error();
    if (!scts || sk_SCT_num(scts) == 0) {
        rc = fail(err, MS_EVERIFY, "SCT", "the certificate carries no embedded SCT");
        goto out;
    }
    /* The precertificate's TBSCertificate: the leaf's, without the SCT list (and poison). */
    if (!(pre = X509_dup(c->leaf))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    while ((idx = X509_get_ext_by_NID(pre, NID_ct_precert_scts, -1)) >= 0)
        X509_EXTENSION_free(X509_delete_ext(pre, idx));
    while ((idx = X509_get_ext_by_NID(pre, NID_ct_precert_poison, -1)) >= 0)
        X509_EXTENSION_free(X509_delete_ext(pre, idx));
    tbs_len = i2d_re_X509_tbs(pre, &tbs);
    spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
    if (tbs_len <= 0 || spki_len <= 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    SHA256(spki, (size_t)spki_len, issuer_hash);
    for (int i = 0; i < sk_SCT_num(scts); i++) {
        const SCT *sct = sk_SCT_value(scts, i);
        unsigned char *id = NULL, *sig = NULL;
        size_t id_len = SCT_get0_log_id(sct, &id);
        size_t sig_len = SCT_get0_signature(sct, &sig);
        const ms_log_instance *log =
            SCT_get_version(sct) == SCT_VERSION_V1
                ? ms_log_find(c->root->ctlogs, c->root->n_ctlogs, id, id_len)
                : NULL;
        if (!log) {
            unknown++;
            continue;
        }
        if (sct_signed_data(sct, issuer_hash, tbs, (size_t)tbs_len, &data) != 0) {
            rc = ms_error_nomem(err);
            goto out;
        }
        EVP_PKEY *key = ms_log_key(log, err);
        if (!key) {
            rc = MS_EINPUT;
            goto out;
        }
        int valid = ms_log_key_verify(key, data.data, data.len, sig, sig_len);
        EVP_PKEY_free(key);
        if (!valid) {
            rc = fail(err, MS_EVERIFY, "SCT", "the SCT of %s does not verify", log->key_name);
            goto out;
        }
        int64_t t = (int64_t)(SCT_get_timestamp(sct) / 1000);
        if (!ms_time_in_range(&log->valid, t)) {
            char when[40];
            rc = fail(err, MS_EVERIFY, "SCT", "the key of %s was not valid at the SCT's time %s",
                      log->key_name, ms_time_format(t, when, sizeof when));
            goto out;
        }
        verified++;
    }
    if (verified == 0) {
        rc = fail(err, MS_EVERIFY, "SCT",
                  "none of the %zu embedded SCT%s is from a CT log of "
                  "the trusted root",
                  unknown, unknown == 1 ? "" : "s");
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    ms_buf_free(&data);
    OPENSSL_free(tbs);
    OPENSSL_free(spki);
    X509_free(pre);
    SCT_LIST_free(scts);
    return rc;
}

/* ---- the signature ---- */

static int check_signature(vctx *c, ms_sigstore_result *res, ms_error *err)
{
    ms_key *key = NULL;
    int rc = ms_x509_leaf_public_key(c->leaf_chain, &key, err);
    if (rc != 0)
        return fail(err, rc, "signature", "%s", err ? err->message : "unusable key");
    if (c->env) {
        ms_error ignored;
        if (ms_key_verify(key, c->pae.data, c->pae.len, c->sig, c->sig_len, &ignored) != 0)
            rc = fail(err, MS_EVERIFY, "signature",
                      "the DSSE signature does not verify with the certificate's key");
    } else {
        EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(X509_get0_pubkey(c->leaf), NULL);
        int ok = pctx && EVP_PKEY_verify_init(pctx) == 1 &&
                 EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
                 EVP_PKEY_verify(pctx, c->sig, c->sig_len, c->digest, 32) == 1;
        EVP_PKEY_CTX_free(pctx);
        ERR_clear_error();
        if (!ok)
            rc = fail(err, MS_EVERIFY, "signature",
                      "the message signature does not verify with the certificate's key over "
                      "the artifact's digest");
    }
    if (rc == 0 && res && ms_key_hint(key, res->hint) != 0)
        rc = ms_error_nomem(err);
    ms_key_free(key);
    return rc;
}

static int load_content(vctx *c, ms_error *err)
{
    c->env = ms_bundle_envelope(c->bundle);
    c->msg = ms_bundle_message_signature(c->bundle);
    if (c->env) {
        if (c->env->n_signatures != 1)
            return fail(err, MS_EVERIFY, "signature",
                        "the DSSE envelope has %zu signatures; Sigstore signs with exactly one",
                        c->env->n_signatures);
        c->sig = c->env->signatures[0].sig;
        c->sig_len = c->env->signatures[0].len;
        if (ms_dsse_pae(c->env->payload_type, c->env->payload, c->env->payload_len, &c->pae))
            return ms_error_nomem(err);
        SHA256(c->pae.data, c->pae.len, c->digest);
        SHA256(c->env->payload, c->env->payload_len, c->payload_sha256);
        return 0;
    }
    if (!c->msg)
        return fail(err, MS_EINPUT, "signature", "the bundle has no DSSE envelope or message");
    if (!c->policy->artifact_sha256)
        return fail(err, MS_EINPUT, "signature",
                    "a message signature bundle needs the artifact's SHA-256 digest");
    memcpy(c->digest, c->policy->artifact_sha256, 32);
    if (c->msg->digest) {
        if (!c->msg->digest_algorithm || strcmp(c->msg->digest_algorithm, "SHA2_256") != 0 ||
            c->msg->digest_len != 32 || CRYPTO_memcmp(c->msg->digest, c->digest, 32) != 0)
            return fail(err, MS_EVERIFY, "signature",
                        "the bundle's message digest is not the artifact's SHA-256");
    }
    c->sig = c->msg->signature;
    c->sig_len = c->msg->signature_len;
    if (!c->sig || c->sig_len == 0)
        return fail(err, MS_EINPUT, "signature", "the message signature is empty");
    return 0;
}

int ms_sigstore_verify_bundle(const ms_bundle *bundle, const ms_trusted_root *root,
                              const ms_sigstore_policy *policy, ms_sigstore_result *res,
                              ms_error *err)
{
    vctx *c = calloc(1, sizeof *c);
    X509 *issuer = NULL;
    int rc;
    if (res)
        memset(res, 0, sizeof *res);
    if (!c)
        return ms_error_nomem(err);
    c->bundle = bundle;
    c->root = root;
    c->policy = policy;
    if (!policy || !policy->identity || !policy->issuer || !root) {
        rc = ms_error_set(err, MS_EINPUT,
                          "sigstore: an identity, an issuer and a trusted root "
                          "are required");
        goto out;
    }
    c->v01 = strcmp(ms_bundle_media_type(bundle), MS_BUNDLE_MEDIA_TYPE_V01) == 0;
    if ((rc = load_material(c, err)) != 0 || (rc = load_content(c, err)) != 0 ||
        (rc = check_identity(c, err)) != 0)
        goto out;

    const cJSON *entries = ms_bundle_tlog_entries(bundle);
    int n = cJSON_IsArray(entries) ? cJSON_GetArraySize(entries) : 0;
    if (n == 0) {
        rc = fail(err, MS_EVERIFY, "tlog entry", "the bundle has no transparency log entry");
        goto out;
    }
    if (n > MS_BUNDLE_MAX_TLOG_ENTRIES) {
        rc = fail(err, MS_EINPUT, "tlog entry", "more than %d entries", MS_BUNDLE_MAX_TLOG_ENTRIES);
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if ((rc = check_entry(c, cJSON_GetArrayItem(entries, i), (size_t)i, err)) != 0)
            goto out;
    }
    if ((rc = check_timestamps(c, err)) != 0)
        goto out;
    if (c->n_times == 0) {
        rc = fail(err, MS_EVERIFY, "signing time",
                  "no verified timestamp (a signed entry timestamp or an RFC 3161 timestamp)");
        goto out;
    }
    int64_t first = c->times[0];
    for (size_t i = 1; i < c->n_times; i++)
        first = c->times[i] < first ? c->times[i] : first;
    for (size_t i = 0; i < c->n_untimed; i++) {
        if (!ms_time_in_range(&c->untimed[i]->valid, first)) {
            char when[40];
            rc = fail(err, MS_EVERIFY, "signing time", "the key of %s was not valid at %s",
                      c->untimed[i]->key_name, ms_time_format(first, when, sizeof when));
            goto out;
        }
    }
    if ((rc = verify_chain(c, &issuer, err)) != 0)
        goto out;
    if ((rc = check_sct(c, issuer, err)) != 0 || (rc = check_signature(c, res, err)) != 0)
        goto out;
    if (res) {
        res->signing_time = first;
        res->n_timestamps = c->n_times;
        res->n_tlog_entries = c->n_entries;
        res->identity = strdup(policy->identity);
        res->issuer = strdup(policy->issuer);
        res->subject = ms_x509_leaf_subject(c->leaf_chain);
        if (res->subject && !res->subject[0]) { /* Fulcio leaves have an empty subject */
            free(res->subject);
            res->subject = NULL;
        }
        if (!res->identity || !res->issuer) {
            ms_sigstore_result_clear(res);
            rc = ms_error_nomem(err);
        }
    }
out:
    X509_free(issuer);
    X509_free(c->leaf);
    sk_X509_pop_free(c->intermediates, X509_free);
    ms_x509_chain_free(c->leaf_chain);
    ms_buf_free(&c->pae);
    free(c);
    return rc;
}
