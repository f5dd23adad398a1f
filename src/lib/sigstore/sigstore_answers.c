/* The answers of Fulcio and Rekor (v1 and v2) for keyless signing, parsed strictly and checked
 * to be about our key and our signature (see sigstore_sign_internal.h); the Rekor v1 answer is
 * also turned into a bundle's tlogEntries item. Nothing here touches the network. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "sigstore_sign_internal.h"
#include "util/encoding.h"
#include "util/json.h"

#define ANSWER_JSON_MAX ((size_t)4 << 20)
#define FULCIO_MAX_CHAIN 10
#define MAX_PROOF_HASHES 64

/* ---- helpers ---- */

static char *b64(const void *data, size_t len)
{
    return msx_base64_encode(data, len);
}

int answers_add_base64(cJSON *obj, const char *name, const void *data, size_t len)
{
    char *s = b64(data, len);
    int ok = s && cJSON_AddStringToObject(obj, name, s);
    free(s);
    return ok ? 0 : MS_ENOMEM;
}

/* A JSON number that is a non-negative integer below 2^53. */
static int uint_value(const cJSON *n, uint64_t *out)
{
    if (!cJSON_IsNumber(n) || n->valuedouble < 0 || n->valuedouble > 9007199254740991.0 ||
        n->valuedouble != (double)(uint64_t)n->valuedouble)
        return -1;
    *out = (uint64_t)n->valuedouble;
    return 0;
}

/* A string of decimal digits (protobuf JSON int64). */
static int is_decimal(const cJSON *s)
{
    if (!cJSON_IsString(s) || !s->valuestring[0] || strlen(s->valuestring) > 19)
        return 0;
    for (const char *p = s->valuestring; *p; p++) {
        if (*p < '0' || *p > '9')
            return 0;
    }
    return 1;
}

/* Decode standard base64 text; NULL on failure. */
static uint8_t *unb64(const char *s, size_t *len)
{
    uint8_t *out = NULL;
    if (!s || msx_base64_decode(s, strlen(s), &out, len) != 0)
        return NULL;
    return out;
}

/* 1 when the base64 string `s` decodes to exactly `want`. */
static int b64_is(const cJSON *s, const uint8_t *want, size_t want_len)
{
    size_t n = 0;
    uint8_t *raw = cJSON_IsString(s) ? unb64(s->valuestring, &n) : NULL;
    int same = raw && n == want_len && sodium_memcmp(raw, want, n) == 0;
    free(raw);
    return same;
}

/* 1 when the base64 string `s` is a PEM certificate whose DER is `der`. */
static int b64_pem_is_cert(const cJSON *s, const uint8_t *der, size_t der_len)
{
    size_t n = 0;
    uint8_t *pem = cJSON_IsString(s) ? unb64(s->valuestring, &n) : NULL;
    int same = 0;
    if (pem && n < INT32_MAX) {
        BIO *bio = BIO_new_mem_buf(pem, (int)n);
        X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
        unsigned char *got = NULL;
        int got_len = x ? i2d_X509(x, &got) : -1;
        same = got_len > 0 && (size_t)got_len == der_len && memcmp(got, der, der_len) == 0;
        OPENSSL_free(got);
        X509_free(x);
        BIO_free(bio);
    }
    ERR_clear_error();
    free(pem);
    return same;
}

static const cJSON *member(const cJSON *obj, const char *name)
{
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, name) : NULL;
}

static const char *string_member(const cJSON *obj, const char *name)
{
    const cJSON *s = member(obj, name);
    return cJSON_IsString(s) ? s->valuestring : NULL;
}

/* ---- Fulcio ---- */

int answers_fulcio_parse_response(const uint8_t *json, size_t len, const char *service,
                                  uint8_t **leaf_der, size_t *leaf_len, ms_error *err)
{
    cJSON *root = NULL;
    BIO *bio = NULL;
    X509 *leaf = NULL;
    unsigned char *der = NULL;
    int rc = msx_json_parse(json, len, ANSWER_JSON_MAX, "Fulcio answer", &root, err);
    *leaf_der = NULL;
    *leaf_len = 0;
    if (rc != 0)
        return rc;
    const cJSON *embedded = member(root, "signedCertificateEmbeddedSct");
    if (!embedded) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: %s", service,
                          member(root, "signedCertificateDetachedSct")
                              ? "a certificate with a detached SCT (a bundle needs the SCT "
                                "embedded; is this a CT-less Fulcio?)"
                              : "no signedCertificateEmbeddedSct");
        goto out;
    }
    const cJSON *certs = member(member(embedded, "chain"), "certificates");
    int n = cJSON_IsArray(certs) ? cJSON_GetArraySize(certs) : -1;
    if (n < 1 || n > FULCIO_MAX_CHAIN) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s answer: signedCertificateEmbeddedSct.chain.certificates: %s", service,
                          n < 0 ? "missing or not an array" : "not 1 to 10 entries");
        goto out;
    }
    for (int i = 0; i < n; i++) {
        if (!cJSON_IsString(cJSON_GetArrayItem(certs, i))) {
            rc = ms_error_set(err, MS_EINPUT, "%s answer: certificates[%d]: not a string", service,
                              i);
            goto out;
        }
    }
    const char *pem = cJSON_GetArrayItem(certs, 0)->valuestring;
    bio = BIO_new_mem_buf(pem, -1);
    if (!bio) {
        rc = ms_error_nomem(err);
        goto out;
    }
    leaf = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    int der_len = leaf ? i2d_X509(leaf, &der) : -1;
    ERR_clear_error();
    if (der_len <= 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: certificates[0]: not a PEM certificate",
                          service);
        goto out;
    }
    if (!(*leaf_der = malloc((size_t)der_len))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memcpy(*leaf_der, der, (size_t)der_len);
    *leaf_len = (size_t)der_len;
out:
    OPENSSL_free(der);
    X509_free(leaf);
    BIO_free(bio);
    cJSON_Delete(root);
    return rc;
}

/* ---- Rekor v1 ---- */

/* Check the decoded body of a v1 entry against what we logged. */
static int check_v1_body(const cJSON *body, const char *service, const char *kind,
                         const uint8_t digest[32], const uint8_t *sig, size_t sig_len,
                         const uint8_t *leaf, size_t leaf_len, ms_error *err)
{
    const char *k = string_member(body, "kind"), *v = string_member(body, "apiVersion");
    const cJSON *spec = member(body, "spec");
    char hex[65];
    msx_hex_encode(digest, 32, hex);
    if (!k || !v || strcmp(k, kind) != 0 || strcmp(v, "0.0.1") != 0)
        return ms_error_set(err, MS_EVERIFY, "%s: the log entry is a %s %s entry, not %s 0.0.1",
                            service, k ? k : "?", v ? v : "?", kind);
    if (strcmp(kind, "dsse") == 0) {
        const cJSON *sigs = member(spec, "signatures");
        const cJSON *ph = member(spec, "payloadHash");
        const char *alg = string_member(ph, "algorithm"), *val = string_member(ph, "value");
        if (!alg || !val || strcmp(alg, "sha256") != 0 || strcmp(val, hex) != 0)
            return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another payload",
                                service);
        if (!cJSON_IsArray(sigs) || cJSON_GetArraySize(sigs) != 1 ||
            !b64_is(member(cJSON_GetArrayItem(sigs, 0), "signature"), sig, sig_len))
            return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another signature",
                                service);
        if (!b64_pem_is_cert(member(cJSON_GetArrayItem(sigs, 0), "verifier"), leaf, leaf_len))
            return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another certificate",
                                service);
        return 0;
    }
    const cJSON *hash = member(member(spec, "data"), "hash");
    const cJSON *s = member(spec, "signature");
    const char *alg = string_member(hash, "algorithm"), *val = string_member(hash, "value");
    if (!alg || !val || strcmp(alg, "sha256") != 0 || strcmp(val, hex) != 0)
        return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another artifact", service);
    if (!b64_is(member(s, "content"), sig, sig_len))
        return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another signature", service);
    if (!b64_pem_is_cert(member(member(s, "publicKey"), "content"), leaf, leaf_len))
        return ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another certificate",
                            service);
    return 0;
}

/* Hex text to a base64 string member. */
static int add_hex_as_b64(cJSON *obj, const char *name, const char *hex, size_t max)
{
    uint8_t raw[64];
    size_t n = 0;
    if (!hex || strlen(hex) > 2 * max || msx_hex_decode(hex, strlen(hex), raw, max, &n) != 0 ||
        n == 0)
        return MS_EINPUT;
    return answers_add_base64(obj, name, raw, n) ? MS_ENOMEM : 0;
}

static cJSON *add_decimal(cJSON *obj, const char *name, uint64_t v)
{
    char s[24];
    snprintf(s, sizeof s, "%llu", (unsigned long long)v);
    return cJSON_AddStringToObject(obj, name, s);
}

int answers_rekor_v1_parse_response(const uint8_t *json, size_t len, const char *service,
                                    const char *kind, const uint8_t digest[32],
                                    const uint8_t *signature, size_t sig_len,
                                    const uint8_t *leaf_der, size_t leaf_len, cJSON **entry,
                                    ms_error *err)
{
    cJSON *root = NULL, *body = NULL, *e = NULL;
    uint8_t *body_raw = NULL;
    size_t body_len = 0;
    uint64_t integrated, index, p_index, p_size;
    int rc = msx_json_parse(json, len, ANSWER_JSON_MAX, "Rekor answer", &root, err);
    *entry = NULL;
    if (rc != 0)
        return rc;
    if (!cJSON_IsObject(root) || !root->child || root->child->next) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: not an object with exactly one entry",
                          service);
        goto out;
    }
    const cJSON *le = root->child;
    const cJSON *verification = member(le, "verification");
    const cJSON *proof = member(verification, "inclusionProof");
    const cJSON *hashes = member(proof, "hashes");
    const char *body_b64 = string_member(le, "body"), *log_id = string_member(le, "logID");
    const char *set = string_member(verification, "signedEntryTimestamp");
    const char *checkpoint = string_member(proof, "checkpoint");
    const char *root_hash = string_member(proof, "rootHash");
    const char *bad = NULL;
    if (!body_b64)
        bad = "body";
    else if (uint_value(member(le, "integratedTime"), &integrated))
        bad = "integratedTime";
    else if (!log_id)
        bad = "logID";
    else if (uint_value(member(le, "logIndex"), &index))
        bad = "logIndex";
    else if (!set)
        bad = "verification.signedEntryTimestamp";
    else if (!cJSON_IsObject(proof))
        bad = "verification.inclusionProof";
    else if (!checkpoint)
        bad = "verification.inclusionProof.checkpoint";
    else if (!root_hash)
        bad = "verification.inclusionProof.rootHash";
    else if (uint_value(member(proof, "logIndex"), &p_index))
        bad = "verification.inclusionProof.logIndex";
    else if (uint_value(member(proof, "treeSize"), &p_size))
        bad = "verification.inclusionProof.treeSize";
    else if (!cJSON_IsArray(hashes) || cJSON_GetArraySize(hashes) > MAX_PROOF_HASHES)
        bad = "verification.inclusionProof.hashes";
    if (bad) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: %s: missing or malformed", service, bad);
        goto out;
    }
    if (!(body_raw = unb64(body_b64, &body_len))) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: body: not base64", service);
        goto out;
    }
    if ((rc = msx_json_parse(body_raw, body_len, ANSWER_JSON_MAX, "Rekor entry body", &body,
                             err)) != 0 ||
        (rc = check_v1_body(body, service, kind, digest, signature, sig_len, leaf_der, leaf_len,
                            err)) != 0)
        goto out;

    cJSON *o;
    if (!(e = cJSON_CreateObject()) || !add_decimal(e, "logIndex", index) ||
        !(o = cJSON_AddObjectToObject(e, "logId")))
        goto nomem;
    if ((rc = add_hex_as_b64(o, "keyId", log_id, 64)) != 0)
        goto bad_hex;
    if (!(o = cJSON_AddObjectToObject(e, "kindVersion")) ||
        !cJSON_AddStringToObject(o, "kind", kind) ||
        !cJSON_AddStringToObject(o, "version", "0.0.1") ||
        !add_decimal(e, "integratedTime", integrated) ||
        !(o = cJSON_AddObjectToObject(e, "inclusionPromise")) ||
        !cJSON_AddStringToObject(o, "signedEntryTimestamp", set) ||
        !(o = cJSON_AddObjectToObject(e, "inclusionProof")) || !add_decimal(o, "logIndex", p_index))
        goto nomem;
    if ((rc = add_hex_as_b64(o, "rootHash", root_hash, 32)) != 0)
        goto bad_hex;
    if (!add_decimal(o, "treeSize", p_size))
        goto nomem;
    cJSON *list = cJSON_AddArrayToObject(o, "hashes");
    if (!list)
        goto nomem;
    for (int i = 0; i < cJSON_GetArraySize(hashes); i++) {
        const cJSON *h = cJSON_GetArrayItem(hashes, i);
        uint8_t raw[32];
        size_t n = 0;
        if (!cJSON_IsString(h) || strlen(h->valuestring) != 64 ||
            msx_hex_decode(h->valuestring, 64, raw, sizeof raw, &n) != 0 || n != 32)
            goto bad_hex;
        char *s = b64(raw, 32);
        cJSON *item = s ? cJSON_CreateString(s) : NULL;
        free(s);
        if (!item || !cJSON_AddItemToArray(list, item)) {
            cJSON_Delete(item);
            goto nomem;
        }
    }
    cJSON *cp = cJSON_AddObjectToObject(o, "checkpoint");
    if (!cp || !cJSON_AddStringToObject(cp, "envelope", checkpoint) ||
        !cJSON_AddStringToObject(e, "canonicalizedBody", body_b64))
        goto nomem;
    *entry = e;
    e = NULL;
    rc = 0;
    goto out;
bad_hex:
    rc = ms_error_set(err, MS_EINPUT,
                      "%s answer: logID, rootHash or hashes: not hex of the "
                      "right length",
                      service);
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    cJSON_Delete(e);
    cJSON_Delete(body);
    cJSON_Delete(root);
    free(body_raw);
    return rc;
}

/* ---- Rekor v2 ---- */

int answers_rekor_v2_parse_response(const uint8_t *json, size_t len, const char *service,
                                    const char *want_kind, const uint8_t digest[32],
                                    const uint8_t *signature, size_t sig_len,
                                    const uint8_t *leaf_der, size_t leaf_len, cJSON **entry,
                                    ms_error *err)
{
    cJSON *root = NULL, *body = NULL;
    uint8_t *body_raw = NULL;
    size_t body_len = 0;
    int rc = msx_json_parse(json, len, ANSWER_JSON_MAX, "Rekor answer", &root, err);
    *entry = NULL;
    if (rc != 0)
        return rc;
    const cJSON *kv = member(root, "kindVersion"), *proof = member(root, "inclusionProof");
    const char *kind = string_member(kv, "kind"), *version = string_member(kv, "version");
    const char *body_b64 = string_member(root, "canonicalizedBody");
    const char *bad = NULL;
    if (!cJSON_IsObject(root))
        bad = "the answer";
    else if (!is_decimal(member(root, "logIndex")))
        bad = "logIndex";
    else if (!string_member(member(root, "logId"), "keyId"))
        bad = "logId.keyId";
    else if (!kind || !version)
        bad = "kindVersion";
    else if (!cJSON_IsObject(proof) || !is_decimal(member(proof, "logIndex")) ||
             !is_decimal(member(proof, "treeSize")) || !string_member(proof, "rootHash") ||
             !string_member(member(proof, "checkpoint"), "envelope"))
        bad = "inclusionProof";
    else if (!body_b64)
        bad = "canonicalizedBody";
    if (bad) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: %s: missing or malformed", service, bad);
        goto out;
    }
    if (strcmp(kind, want_kind) != 0 || strcmp(version, "0.0.2") != 0) {
        rc = ms_error_set(err, MS_EVERIFY, "%s: the log entry is a %s %s entry, not %s 0.0.2",
                          service, kind, version, want_kind);
        goto out;
    }
    if (!(body_raw = unb64(body_b64, &body_len))) {
        rc = ms_error_set(err, MS_EINPUT, "%s answer: canonicalizedBody: not base64", service);
        goto out;
    }
    if ((rc = msx_json_parse(body_raw, body_len, ANSWER_JSON_MAX, "Rekor entry body", &body,
                             err)) != 0)
        goto out;
    const char *bk = string_member(body, "kind"), *bv = string_member(body, "apiVersion");
    int dsse = strcmp(want_kind, "dsse") == 0;
    const cJSON *spec = member(member(body, "spec"), dsse ? "dsseV002" : "hashedRekordV002");
    const cJSON *data = member(spec, dsse ? "payloadHash" : "data"),
                *sig = member(spec, "signature");
    const cJSON *sigs = member(spec, "signatures");
    const char *alg = string_member(data, "algorithm");
    if (dsse)
        sig = cJSON_IsArray(sigs) && cJSON_GetArraySize(sigs) == 1 ? cJSON_GetArrayItem(sigs, 0)
                                                                   : NULL;
    if (!bk || !bv || strcmp(bk, want_kind) != 0 || strcmp(bv, "0.0.2") != 0) {
        rc = ms_error_set(err, MS_EVERIFY, "%s: the logged body is not a %s 0.0.2 entry", service,
                          want_kind);
        goto out;
    }
    if (!alg || strcmp(alg, "SHA2_256") != 0 || !b64_is(member(data, "digest"), digest, 32)) {
        rc = ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another %s", service,
                          dsse ? "payload" : "digest");
        goto out;
    }
    if (!b64_is(member(sig, "content"), signature, sig_len)) {
        rc = ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another signature", service);
        goto out;
    }
    if (!b64_is(member(member(member(sig, "verifier"), "x509Certificate"), "rawBytes"), leaf_der,
                leaf_len)) {
        rc = ms_error_set(err, MS_EVERIFY, "%s: the log entry is for another certificate", service);
        goto out;
    }
    if (!(*entry = cJSON_Duplicate(root, 1)))
        rc = ms_error_nomem(err);
out:
    cJSON_Delete(body);
    cJSON_Delete(root);
    free(body_raw);
    return rc;
}
