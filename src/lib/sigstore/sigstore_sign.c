/* Sigstore keyless signing: identity token → ephemeral P-256 key → Fulcio certificate →
 * signature → Rekor entry (v1 dsse/hashedrekord 0.0.1, v2 hashedrekord/dsse 0.0.2) → RFC 3161
 * timestamp → bundle v0.3. Every service answer is parsed strictly and checked to be about our
 * key and our signature before it goes into the bundle; the offline verifier (with the
 * instance's trusted root) checks the rest. */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <sodium.h>

#include "format/bundle_json.h"
#include "format/dsse_json.h"
#include "modelseal/bundle.h"
#include "modelseal/dsse.h"
#include "sigstore_sign_internal.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define KEY_DETAILS "PKIX_ECDSA_P256_SHA_256"

/* ---- the signing session ---- */

typedef struct session {
    const ms_sigstore_sign_options *opts;
    ms_http_options http;
    ms_signing_config *config;
    ms_sigstore_services svc;
    char *token;
    EVP_PKEY *key;
    uint8_t *leaf;
    size_t leaf_len;
    char *leaf_pem;
    uint8_t *sig; /* the signature over the PAE or the artifact digest (DER ECDSA) */
    size_t sig_len;
    cJSON *tlog_entries;
    cJSON *timestamps; /* timestampVerificationData or NULL */
} session;

static void session_free(session *s)
{
    signing_config_free(s->config);
    oidc_token_free(s->token);
    EVP_PKEY_free(s->key); /* OpenSSL clears the private scalar when freeing it */
    free(s->leaf);
    free(s->leaf_pem);
    free(s->sig);
    cJSON_Delete(s->tlog_entries);
    cJSON_Delete(s->timestamps);
}

/* URL = base without trailing '/' + path. */
static int join_url(ms_buf *out, const char *base, const char *path)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/')
        n--;
    msx_buf_reset(out);
    return msx_buf_append(out, base, n) || msx_buf_append_str(out, path) ? MS_ENOMEM : 0;
}

/* ECDSA-SHA256 over a message (prehashed: data is the 32-byte digest). */
static int ecdsa_sign(EVP_PKEY *key, const uint8_t *data, size_t len, int prehashed, uint8_t **sig,
                      size_t *sig_len, ms_error *err)
{
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    int ok = 0;
    *sig = NULL;
    *sig_len = 0;
    if (prehashed) {
        ok = (pctx = EVP_PKEY_CTX_new(key, NULL)) && EVP_PKEY_sign_init(pctx) == 1 &&
             EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_sign(pctx, NULL, sig_len, data, len) == 1 && (*sig = malloc(*sig_len)) &&
             EVP_PKEY_sign(pctx, *sig, sig_len, data, len) == 1;
    } else {
        ok = (md = EVP_MD_CTX_new()) &&
             EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
             EVP_DigestSign(md, NULL, sig_len, data, len) == 1 && (*sig = malloc(*sig_len)) &&
             EVP_DigestSign(md, *sig, sig_len, data, len) == 1;
    }
    EVP_MD_CTX_free(md);
    EVP_PKEY_CTX_free(pctx);
    ERR_clear_error();
    if (!ok) {
        free(*sig);
        *sig = NULL;
        return ms_error_set(err, MS_EENV, "cannot sign with the ephemeral key");
    }
    return 0;
}

/* Read the signing config and select its services (no token, no network). */
static int load_config(session *s, const ms_sigstore_sign_options *opts, ms_error *err)
{
    ms_buf text = MS_BUF_INIT;
    int rc;
    if (!opts->signing_config)
        return ms_error_set(err, MS_EINPUT, "no signing config given");
    if ((rc = msx_file_read(opts->signing_config, MS_SIGNING_CONFIG_MAX_SIZE, &text, err)) == 0 &&
        (rc = signing_config_parse(text.data, text.len, opts->signing_config, &s->config, err)) ==
            0)
        rc = signing_config_select(s->config, (int64_t)time(NULL), opts->signing_config, &s->svc,
                                   err);
    msx_buf_free(&text);
    return rc;
}

int ms_sigstore_sign_preflight(const ms_sigstore_sign_options *opts, ms_error *err)
{
    session s;
    memset(&s, 0, sizeof s);
    int rc = load_config(&s, opts, err);
    if (rc == 0)
        rc = oidc_token_available(opts, s.svc.oidc ? s.svc.oidc->url : NULL, err);
    signing_config_free(s.config);
    return rc;
}

static int prepare(session *s, const ms_sigstore_sign_options *opts, ms_error *err)
{
    int rc;
    memset(s, 0, sizeof *s);
    s->opts = opts;
    s->http.timeout_ms = opts->timeout_ms;
    s->http.connect_timeout_ms = opts->connect_timeout_ms;
    s->http.retries = opts->retries;
    s->http.backoff_ms = opts->backoff_ms;
    if ((rc = load_config(s, opts, err)) != 0)
        return rc;
    return oidc_get_token(opts, s->svc.oidc ? s->svc.oidc->url : NULL, &s->http, &s->token, err);
}

/* An ephemeral key, certified by Fulcio for the token's identity. */
static int certify(session *s, ms_error *err)
{
    char *subject = NULL, *issuer = NULL, *pem = NULL;
    uint8_t *pop = NULL;
    size_t pop_len = 0;
    BIO *bio = NULL;
    cJSON *req = NULL;
    ms_buf url = MS_BUF_INIT, answer = MS_BUF_INIT;
    X509 *leaf = NULL;
    int rc;

    if ((rc = jwt_claims(s->token, &subject, &issuer, err)) != 0)
        goto out;
    if (!(s->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"))) {
        ERR_clear_error();
        rc = ms_error_set(err, MS_EENV, "cannot make an ephemeral ECDSA P-256 key");
        goto out;
    }
    if ((rc = ecdsa_sign(s->key, (const uint8_t *)subject, strlen(subject), 0, &pop, &pop_len,
                         err)) != 0)
        goto out;
    BUF_MEM *mem = NULL;
    if (!(bio = BIO_new(BIO_s_mem())) || PEM_write_bio_PUBKEY(bio, s->key) != 1 ||
        BIO_get_mem_ptr(bio, &mem) != 1 || !(pem = strndup(mem->data, mem->length)))
        goto nomem;
    cJSON *cred, *pkr, *pk;
    if (!(req = cJSON_CreateObject()) || !(cred = cJSON_AddObjectToObject(req, "credentials")) ||
        !cJSON_AddStringToObject(cred, "oidcIdentityToken", s->token) ||
        !(pkr = cJSON_AddObjectToObject(req, "publicKeyRequest")) ||
        !(pk = cJSON_AddObjectToObject(pkr, "publicKey")) ||
        !cJSON_AddStringToObject(pk, "algorithm", "ECDSA") ||
        !cJSON_AddStringToObject(pk, "content", pem) ||
        answers_add_base64(pkr, "proofOfPossession", pop, pop_len) != 0)
        goto nomem;
    char *body = cJSON_PrintUnformatted(req);
    if (!body)
        goto nomem;
    if (join_url(&url, s->svc.ca->url, "/api/v2/signingCert") != 0) {
        OPENSSL_cleanse(body, strlen(body));
        free(body);
        goto nomem;
    }
    ms_http_request hr = {.service = "Fulcio",
                          .url = (const char *)url.data,
                          .body = body,
                          .body_len = strlen(body),
                          .content_type = "application/json",
                          .accept = "application/json",
                          .secret = s->token};
    rc = http_perform(&s->http, &hr, &answer, err);
    OPENSSL_cleanse(body, strlen(body));
    free(body);
    if (rc != 0 || (rc = answers_fulcio_parse_response(answer.data, answer.len, "Fulcio", &s->leaf,
                                                       &s->leaf_len, err)) != 0)
        goto out;
    const unsigned char *p = s->leaf;
    leaf = d2i_X509(NULL, &p, (long)s->leaf_len);
    if (!leaf || EVP_PKEY_eq(X509_get0_pubkey(leaf), s->key) != 1) {
        ERR_clear_error();
        rc = ms_error_set(err, MS_EVERIFY,
                          "Fulcio (%s): the certificate is for another public key, not ours",
                          s->svc.ca->url);
        goto out;
    }
    BIO_free(bio);
    if (!(bio = BIO_new(BIO_s_mem())) || PEM_write_bio_X509(bio, leaf) != 1 ||
        BIO_get_mem_ptr(bio, &mem) != 1 || !(s->leaf_pem = strndup(mem->data, mem->length)))
        goto nomem;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    ERR_clear_error();
    if (req) {
        /* The request held the token: wipe the tree's copy. */
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(req, "credentials"), "oidcIdentityToken");
        if (cJSON_IsString(c))
            OPENSSL_cleanse(c->valuestring, strlen(c->valuestring));
    }
    cJSON_Delete(req);
    X509_free(leaf);
    BIO_free(bio);
    free(subject);
    free(issuer);
    free(pem);
    free(pop);
    msx_buf_free(&url);
    msx_buf_free(&answer);
    return rc;
}

/* POST the proposed entry to one Rekor and append its tlogEntries item: for an envelope a dsse
 * entry (0.0.1 on v1, 0.0.2 on v2; payload_digest is the SHA-256 of its payload), else a
 * hashedrekord entry over signed_digest, the artifact's SHA-256. */
static int log_entry(session *s, const ms_sigstore_service *log, const ms_dsse_envelope *env,
                     const uint8_t payload_digest[32], const uint8_t signed_digest[32],
                     ms_error *err)
{
    cJSON *req = NULL, *entry = NULL;
    ms_buf url = MS_BUF_INIT, answer = MS_BUF_INIT;
    char *body = NULL, *envelope = NULL;
    int rc = 0;
    cJSON *spec, *o, *sig, *v;
    if (!(req = cJSON_CreateObject()))
        goto nomem;
    /* On Rekor v2 an envelope is logged as the contract says, a hashedrekord 0.0.2
     * entry over SHA-256(PAE) (signed_digest), unless the caller asks for the dsse 0.0.2 entry
     * Sigstore's own clients make (the only form @sigstore/verify 3.x accepts for DSSE). */
    int v2_dsse = log->major == 2 && env && s->opts->rekor_v2_dsse;
    const char *kind = env && (log->major == 1 || v2_dsse) ? "dsse" : "hashedrekord";
    const uint8_t *logged = env && (log->major == 1 || v2_dsse) ? payload_digest : signed_digest;
    if (v2_dsse) {
        /* A dsse 0.0.2 entry with the envelope and its verifier. */
        cJSON *ej = dsse_to_json(env), *vs, *one;
        if (!ej || !(o = cJSON_AddObjectToObject(req, "dsseRequestV002")) ||
            !cJSON_AddItemToObject(o, "envelope", ej)) {
            cJSON_Delete(ej);
            goto nomem;
        }
        if (!(vs = cJSON_AddArrayToObject(o, "verifiers")) || !(one = cJSON_CreateObject()) ||
            !cJSON_AddItemToArray(vs, one) ||
            !(v = cJSON_AddObjectToObject(one, "x509Certificate")) ||
            answers_add_base64(v, "rawBytes", s->leaf, s->leaf_len) ||
            !cJSON_AddStringToObject(one, "keyDetails", KEY_DETAILS))
            goto nomem;
    } else if (log->major == 2) {
        if (!(o = cJSON_AddObjectToObject(req, "hashedRekordRequestV002")) ||
            answers_add_base64(o, "digest", signed_digest, 32) ||
            !(sig = cJSON_AddObjectToObject(o, "signature")) ||
            answers_add_base64(sig, "content", s->sig, s->sig_len) ||
            !(v = cJSON_AddObjectToObject(sig, "verifier")) ||
            !(o = cJSON_AddObjectToObject(v, "x509Certificate")) ||
            answers_add_base64(o, "rawBytes", s->leaf, s->leaf_len) ||
            !cJSON_AddStringToObject(v, "keyDetails", KEY_DETAILS))
            goto nomem;
    } else if (env) {
        cJSON *ej = dsse_to_json(env);
        envelope = ej ? cJSON_PrintUnformatted(ej) : NULL;
        cJSON_Delete(ej);
        cJSON *vs;
        if (!envelope || !cJSON_AddStringToObject(req, "apiVersion", "0.0.1") ||
            !cJSON_AddStringToObject(req, "kind", "dsse") ||
            !(spec = cJSON_AddObjectToObject(req, "spec")) ||
            !(o = cJSON_AddObjectToObject(spec, "proposedContent")) ||
            !cJSON_AddStringToObject(o, "envelope", envelope) ||
            !(vs = cJSON_AddArrayToObject(o, "verifiers")))
            goto nomem;
        char *pem64 = msx_base64_encode((const uint8_t *)s->leaf_pem, strlen(s->leaf_pem));
        cJSON *item = pem64 ? cJSON_CreateString(pem64) : NULL;
        free(pem64);
        if (!item || !cJSON_AddItemToArray(vs, item)) {
            cJSON_Delete(item);
            goto nomem;
        }
    } else {
        char hex[65];
        cJSON *h, *pk;
        msx_hex_encode(signed_digest, 32, hex);
        if (!cJSON_AddStringToObject(req, "apiVersion", "0.0.1") ||
            !cJSON_AddStringToObject(req, "kind", "hashedrekord") ||
            !(spec = cJSON_AddObjectToObject(req, "spec")) ||
            !(o = cJSON_AddObjectToObject(spec, "data")) ||
            !(h = cJSON_AddObjectToObject(o, "hash")) ||
            !cJSON_AddStringToObject(h, "algorithm", "sha256") ||
            !cJSON_AddStringToObject(h, "value", hex) ||
            !(sig = cJSON_AddObjectToObject(spec, "signature")) ||
            answers_add_base64(sig, "content", s->sig, s->sig_len) ||
            !(pk = cJSON_AddObjectToObject(sig, "publicKey")) ||
            answers_add_base64(pk, "content", s->leaf_pem, strlen(s->leaf_pem)))
            goto nomem;
    }
    if (!(body = cJSON_PrintUnformatted(req)) ||
        join_url(&url, log->url, log->major == 2 ? "/api/v2/log/entries" : "/api/v1/log/entries"))
        goto nomem;
    ms_http_request hr = {.service = "Rekor",
                          .url = (const char *)url.data,
                          .body = body,
                          .body_len = strlen(body),
                          .content_type = "application/json",
                          .accept = "application/json"};
    if ((rc = http_perform(&s->http, &hr, &answer, err)) != 0)
        goto out;
    if (log->major == 2)
        rc = answers_rekor_v2_parse_response(answer.data, answer.len, "Rekor", kind, logged, s->sig,
                                             s->sig_len, s->leaf, s->leaf_len, &entry, err);
    else
        rc = answers_rekor_v1_parse_response(answer.data, answer.len, "Rekor", kind, logged, s->sig,
                                             s->sig_len, s->leaf, s->leaf_len, &entry, err);
    if (rc != 0) {
        /* Name the log: a config may list several. */
        ms_error named;
        ms_error_set(&named, rc, "%s (%s)", err ? err->message : "", log->url);
        if (err)
            *err = named;
        goto out;
    }
    if (!cJSON_AddItemToArray(s->tlog_entries, entry)) {
        cJSON_Delete(entry);
        goto nomem;
    }
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    cJSON_Delete(req);
    free(body);
    free(envelope);
    msx_buf_free(&url);
    msx_buf_free(&answer);
    return rc;
}

/* An RFC 3161 timestamp over the signature from one authority. */
static int timestamp(session *s, const ms_sigstore_service *tsa, ms_error *err)
{
    TS_REQ *req = NULL;
    TS_MSG_IMPRINT *mi = NULL;
    X509_ALGOR *alg = NULL;
    ASN1_INTEGER *nonce = NULL;
    BIGNUM *bn = NULL;
    TS_RESP *resp = NULL;
    unsigned char *der = NULL;
    uint8_t hash[32];
    ms_buf answer = MS_BUF_INIT;
    const char *svc = "timestamp authority";
    int der_len, rc = 0;

    SHA256(s->sig, s->sig_len, hash);
    if (!(req = TS_REQ_new()) || !TS_REQ_set_version(req, 1) || !(mi = TS_MSG_IMPRINT_new()) ||
        !(alg = X509_ALGOR_new()) ||
        !X509_ALGOR_set0(alg, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL) ||
        !TS_MSG_IMPRINT_set_algo(mi, alg) || !TS_MSG_IMPRINT_set_msg(mi, hash, sizeof hash) ||
        !TS_REQ_set_msg_imprint(req, mi) || !(bn = BN_new()) ||
        !BN_rand(bn, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
        !(nonce = BN_to_ASN1_INTEGER(bn, NULL)) || !TS_REQ_set_nonce(req, nonce) ||
        !TS_REQ_set_cert_req(req, 1) || (der_len = i2d_TS_REQ(req, &der)) <= 0)
        goto nomem;
    ms_http_request hr = {.service = svc,
                          .url = tsa->url,
                          .body = der,
                          .body_len = (size_t)der_len,
                          .content_type = "application/timestamp-query",
                          .accept = "application/timestamp-reply"};
    if ((rc = http_perform(&s->http, &hr, &answer, err)) != 0)
        goto out;
    const unsigned char *p = answer.data;
    if (answer.len == 0 || answer.len > LONG_MAX ||
        !(resp = d2i_TS_RESP(NULL, &p, (long)answer.len)) || p != answer.data + answer.len) {
        rc = ms_error_set(err, MS_EINPUT, "%s (%s): the answer is not a DER TimeStampResp", svc,
                          tsa->url);
        goto out;
    }
    long status = ASN1_INTEGER_get(TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp)));
    TS_TST_INFO *info = TS_RESP_get_tst_info(resp);
    if ((status != 0 && status != 1) || !info || !TS_RESP_get_token(resp)) {
        rc = ms_error_set(err, MS_EENV, "%s (%s): the request was refused (status %ld)", svc,
                          tsa->url, status);
        goto out;
    }
    const ASN1_INTEGER *got_nonce = TS_TST_INFO_get_nonce(info);
    TS_MSG_IMPRINT *got = TS_TST_INFO_get_msg_imprint(info);
    ASN1_OCTET_STRING *got_hash = got ? TS_MSG_IMPRINT_get_msg(got) : NULL;
    X509_ALGOR *got_alg = got ? TS_MSG_IMPRINT_get_algo(got) : NULL;
    if (!got_nonce || ASN1_INTEGER_cmp(got_nonce, nonce) != 0) {
        rc = ms_error_set(err, MS_EVERIFY, "%s (%s): the timestamp's nonce is not ours", svc,
                          tsa->url);
        goto out;
    }
    if (!got_hash || !got_alg || OBJ_obj2nid(got_alg->algorithm) != NID_sha256 ||
        ASN1_STRING_length(got_hash) != 32 ||
        sodium_memcmp(ASN1_STRING_get0_data(got_hash), hash, 32) != 0) {
        rc = ms_error_set(err, MS_EVERIFY, "%s (%s): the timestamp is for another signature", svc,
                          tsa->url);
        goto out;
    }
    cJSON *list = s->timestamps
                      ? cJSON_GetObjectItemCaseSensitive(s->timestamps, "rfc3161Timestamps")
                      : NULL,
          *item;
    if (!list) {
        if ((!s->timestamps && !(s->timestamps = cJSON_CreateObject())) ||
            !(list = cJSON_AddArrayToObject(s->timestamps, "rfc3161Timestamps")))
            goto nomem;
    }
    if (!(item = cJSON_CreateObject()) || !cJSON_AddItemToArray(list, item) ||
        answers_add_base64(item, "signedTimestamp", answer.data, answer.len))
        goto nomem;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    ERR_clear_error();
    TS_REQ_free(req);
    TS_MSG_IMPRINT_free(mi);
    X509_ALGOR_free(alg);
    ASN1_INTEGER_free(nonce);
    BN_free(bn);
    TS_RESP_free(resp);
    OPENSSL_free(der);
    msx_buf_free(&answer);
    return rc;
}

/* Log and timestamp the signature with every selected service. */
static int record(session *s, const ms_dsse_envelope *env, const uint8_t payload_digest[32],
                  const uint8_t signed_digest[32], ms_error *err)
{
    int rc = 0;
    if (!(s->tlog_entries = cJSON_CreateArray()))
        return ms_error_nomem(err);
    for (size_t i = 0; rc == 0 && i < s->svc.n_tlogs; i++)
        rc = log_entry(s, s->svc.tlogs[i], env, payload_digest, signed_digest, err);
    for (size_t i = 0; rc == 0 && i < s->svc.n_tsas; i++)
        rc = timestamp(s, s->svc.tsas[i], err);
    return rc;
}

static int sign_dsse(const ms_sigstore_sign_options *opts, const uint8_t *payload, size_t len,
                     ms_buf *out, ms_error *err)
{
    session s;
    ms_buf pae = MS_BUF_INIT, json = MS_BUF_INIT;
    ms_dsse_envelope *env = NULL;
    ms_bundle *bundle = NULL;
    uint8_t payload_digest[32], pae_digest[32];
    int rc;

    if ((rc = prepare(&s, opts, err)) != 0 || (rc = certify(&s, err)) != 0)
        goto out;
    if (dsse_pae(MS_DSSE_INTOTO_PAYLOAD_TYPE, payload, len, &pae) != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = ecdsa_sign(s.key, pae.data, pae.len, 0, &s.sig, &s.sig_len, err)) != 0)
        goto out;
    EVP_PKEY_free(s.key); /* no further use: drop the private key now */
    s.key = NULL;
    if (!(env = ms_dsse_envelope_new(MS_DSSE_INTOTO_PAYLOAD_TYPE, payload, len))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    SHA256(payload, len, payload_digest);
    SHA256(pae.data, pae.len, pae_digest);
    if ((rc = ms_dsse_envelope_add_signature(env, s.sig, s.sig_len, NULL, err)) != 0 ||
        (rc = record(&s, env, payload_digest, pae_digest, err)) != 0 ||
        (rc = ms_bundle_new_dsse(env, &bundle, err)) != 0 ||
        (rc = ms_bundle_set_certificate(bundle, s.leaf, s.leaf_len, err)) != 0 ||
        (rc = bundle_set_tlog_entries(bundle, s.tlog_entries, err)) != 0 ||
        (s.timestamps && (rc = bundle_set_timestamp_data(bundle, s.timestamps, err)) != 0) ||
        (rc = bundle_serialize(bundle, &json, err)) != 0)
        goto out;
    rc = msx_buf_append(out, json.data, json.len) ? ms_error_nomem(err) : 0;
out:
    session_free(&s);
    msx_buf_free(&pae);
    msx_buf_free(&json);
    ms_dsse_envelope_free(env);
    ms_bundle_free(bundle);
    return rc;
}

static int sign_message(const ms_sigstore_sign_options *opts, const uint8_t sha256[32], ms_buf *out,
                        ms_error *err)
{
    session s;
    cJSON *root = NULL, *vm, *cert, *ms, *md;
    ms_bundle *bundle = NULL;
    ms_buf json = MS_BUF_INIT;
    char *text = NULL;
    int rc;

    if ((rc = prepare(&s, opts, err)) != 0 || (rc = certify(&s, err)) != 0 ||
        (rc = ecdsa_sign(s.key, sha256, 32, 1, &s.sig, &s.sig_len, err)) != 0)
        goto out;
    EVP_PKEY_free(s.key);
    s.key = NULL;
    if ((rc = record(&s, NULL, sha256, sha256, err)) != 0)
        goto out;
    /* Built as JSON, then read back by the bundle module and written its way. */
    if (!(root = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(root, "mediaType", MS_BUNDLE_MEDIA_TYPE_V03) ||
        !(vm = cJSON_AddObjectToObject(root, "verificationMaterial")) ||
        !(cert = cJSON_AddObjectToObject(vm, "certificate")) ||
        answers_add_base64(cert, "rawBytes", s.leaf, s.leaf_len) ||
        !cJSON_AddItemReferenceToObject(vm, "tlogEntries", s.tlog_entries) ||
        (s.timestamps &&
         !cJSON_AddItemReferenceToObject(vm, "timestampVerificationData", s.timestamps)) ||
        !(ms = cJSON_AddObjectToObject(root, "messageSignature")) ||
        !(md = cJSON_AddObjectToObject(ms, "messageDigest")) ||
        !cJSON_AddStringToObject(md, "algorithm", "SHA2_256") ||
        answers_add_base64(md, "digest", sha256, 32) ||
        answers_add_base64(ms, "signature", s.sig, s.sig_len) ||
        !(text = cJSON_PrintUnformatted(root))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = ms_bundle_parse((const uint8_t *)text, strlen(text), &bundle, err)) != 0 ||
        (rc = bundle_serialize(bundle, &json, err)) != 0)
        goto out;
    rc = msx_buf_append(out, json.data, json.len) ? ms_error_nomem(err) : 0;
out:
    cJSON_Delete(root);
    free(text);
    session_free(&s);
    ms_bundle_free(bundle);
    msx_buf_free(&json);
    return rc;
}

int ms_sigstore_sign_dsse(const ms_sigstore_sign_options *opts, const uint8_t *payload, size_t len,
                          char **bundle_json, size_t *bundle_len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = sign_dsse(opts, payload, len, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, bundle_json, bundle_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}

int ms_sigstore_sign_message(const ms_sigstore_sign_options *opts, const uint8_t sha256[32],
                             char **bundle_json, size_t *bundle_len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = sign_message(opts, sha256, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, bundle_json, bundle_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}
