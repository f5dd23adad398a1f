/* Keys in AWS KMS: `awskms://[ENDPOINT]/KEY` (cosign's form), KEY a key id, alias/NAME or an
 * ARN (of a key or an alias); ENDPOINT, when given, is HOST[:PORT] reached over https.
 * Without one: $AWS_ENDPOINT_URL_KMS, else $AWS_ENDPOINT_URL, else
 * https://kms.REGION.amazonaws.com, the region being the ARN's, else AWS_REGION /
 * AWS_DEFAULT_REGION / the profile's. Credentials, region files and Signature Version 4 are
 * net/aws.c's, shared with object storage.
 *
 * GetPublicKey gives the key's ARN, spec and public key: ECC_NIST_P256 and ECC_NIST_P384 keys
 * sign (ECDSA_SHA_256 / ECDSA_SHA_384), other specs are refused. Sign gets our hash of the
 * message (MessageType DIGEST: the message never leaves this process); its answer must name the
 * same key ARN and algorithm, and its signature must verify (key_remote.c). Answers are hostile
 * input; no secret appears in a message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "key_internal.h"
#include "kms_internal.h"
#include "net/aws.h"
#include "util/encoding.h"
#include "util/json.h"

#define CONTENT_TYPE "Content-Type: application/x-amz-json-1.1"
#define SIG_MAX 256
#define URL_MAX 2048

struct awskms {
    char *url;       /* the endpoint, ending in "/" */
    char *key_id;    /* as the URI names it: what requests send */
    char *arn;       /* the key's ARN, from GetPublicKey: what a Sign answer must name */
    const char *alg; /* the key's signing algorithm: "ECDSA_SHA_256" or "ECDSA_SHA_384" */
    char region[64];
    aws_credentials creds;
};

void awskms_free(struct awskms *a)
{
    if (!a)
        return;
    free(a->url);
    free(a->key_id);
    free(a->arn);
    aws_credentials_clear(&a->creds);
    free(a);
}

static int key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '/' || c == ':';
}

static int host_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == ':' || c == '[' || c == ']';
}

/* The credential a message must never show: what goes on the wire, the session token when
 * there is one (the secret key itself never is sent). */
static const char *wire_secret(const struct awskms *a)
{
    return a->creds.session_token ? a->creds.session_token : a->creds.secret_access_key;
}

/* The "__type" of an error answer without its namespace ("com.amazonaws.kms#NotFoundException"
 * -> "NotFoundException"), and its message, both printable and bounded ("" when they could hold
 * `secret`). */
static void aws_reason(const ms_buf *answer, const char *secret, char *type, size_t type_size,
                       char *msg, size_t msg_size)
{
    cJSON *doc = NULL;
    ms_error ignored;
    type[0] = msg[0] = '\0';
    if (!answer->data ||
        msx_json_parse(answer->data, answer->len, REMOTE_ANSWER_MAX, "answer", &doc, &ignored) != 0)
        return;
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(doc, "__type");
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(doc, "message");
    if (!m)
        m = cJSON_GetObjectItemCaseSensitive(doc, "Message");
    if (cJSON_IsString(t)) {
        const char *hash = strrchr(t->valuestring, '#');
        const char *name = hash ? hash + 1 : t->valuestring;
        http_excerpt(name, strlen(name), secret, type, type_size);
    }
    if (cJSON_IsString(m))
        http_excerpt(m->valuestring, strlen(m->valuestring), secret, msg, msg_size);
    cJSON_Delete(doc);
}

/* HTTP 429, or KMS's ThrottlingException (a 400). */
static int throttled(long status, const ms_buf *answer)
{
    char type[64], msg[8];
    if (status == 429)
        return 1;
    aws_reason(answer, NULL, type, sizeof type, msg, sizeof msg); /* neither is shown */
    return strcmp(type, "ThrottlingException") == 0;
}

/* A 4xx answer as our error: no such key, or a key that cannot sign, is the user's (MS_EINPUT);
 * the rest (credentials, signatures, permissions) is the service's MS_EENV. */
static int aws_failure(const key_remote *r, long status, const ms_buf *answer, const char *secret,
                       ms_error *err)
{
    char type[64], msg[200];
    aws_reason(answer, secret, type, sizeof type, msg, sizeof msg);
    const char *sep = msg[0] ? ": " : "";
    if (strcmp(type, "NotFoundException") == 0)
        return ms_error_set(err, MS_EINPUT, "%s: no such key in AWS KMS (%s%s%s)", r->display, type,
                            sep, msg);
    if (strcmp(type, "InvalidKeyUsageException") == 0 ||
        strcmp(type, "UnsupportedOperationException") == 0 ||
        strcmp(type, "DisabledException") == 0 || strcmp(type, "KMSInvalidStateException") == 0)
        return ms_error_set(err, MS_EINPUT, "%s: the key cannot sign (%s%s%s)", r->display, type,
                            sep, msg);
    return ms_error_set(err, MS_EENV, "AWS KMS (%s): HTTP status %ld%s%s%s%s", r->aws->url, status,
                        type[0] ? ": " : "", type, sep, msg);
}

/* POST one KMS action (`target`: "GetPublicKey", "Sign") with `body`, signed; the 2xx answer
 * in `answer`. */
static int aws_call(const key_remote *r, const char *target, const char *body, ms_buf *answer,
                    ms_error *err)
{
    struct awskms *a = r->aws;
    char target_header[64];
    const char *sign_headers[2] = {CONTENT_TYPE, target_header};
    const char *send[2 + AWS_SIGNED_MAX];
    aws_signed signed_headers = {{NULL}, 0};
    long status = 0;
    const char *secret = wire_secret(a);
    snprintf(target_header, sizeof target_header, "X-Amz-Target: TrentService.%s", target);
    aws_sigv4_request sr = {.method = "POST",
                            .url = a->url,
                            .service = "kms",
                            .region = a->region,
                            .headers = sign_headers,
                            .n_headers = 2,
                            .body = body,
                            .body_len = strlen(body)};
    int rc = aws_sigv4_sign(&sr, &a->creds, &signed_headers, err);
    if (rc != 0)
        return rc;
    size_t n = 0;
    send[n++] = CONTENT_TYPE;
    send[n++] = target_header;
    for (size_t i = 0; i < signed_headers.n && i < AWS_SIGNED_MAX; i++)
        send[n++] = signed_headers.headers[i];
    ms_http_request req = {.service = "AWS KMS",
                           .url = a->url,
                           .body = body,
                           .body_len = strlen(body),
                           .accept = "application/json",
                           /* What is on the wire: the session token (the secret key never is) */
                           .secret = secret,
                           .headers = send,
                           .n_headers = n,
                           .throttled = throttled};
    rc = http_perform_status(&r->http, &req, &status, answer, err);
    if (rc == 0 && status >= 300)
        rc = aws_failure(r, status, answer, secret, err);
    aws_signed_clear(&signed_headers);
    return rc;
}

int awskms_parse_public_key(const uint8_t *body, size_t len, const char *what, const char *secret,
                            char **key_id, ms_key **pub, ms_error *err)
{
    cJSON *doc = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;
    ms_key_type type;
    ms_error perr;
    char shown[80];
    int rc = msx_json_parse(body, len, REMOTE_ANSWER_MAX, what, &doc, err);
    if (rc != 0)
        return rc;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "KeyId");
    const cJSON *spec = cJSON_GetObjectItemCaseSensitive(doc, "KeySpec");
    const cJSON *usage = cJSON_GetObjectItemCaseSensitive(doc, "KeyUsage");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(doc, "PublicKey");
    const cJSON *algs = cJSON_GetObjectItemCaseSensitive(doc, "SigningAlgorithms");
    if (!spec)
        spec = cJSON_GetObjectItemCaseSensitive(doc, "CustomerMasterKeySpec");
    if (!cJSON_IsString(id) || !id->valuestring[0] || strlen(id->valuestring) > REMOTE_NAME_MAX ||
        !cJSON_IsString(spec)) {
        rc = ms_error_set(err, MS_EENV, "%s: the answer lacks KeyId or KeySpec", what);
        goto out;
    }
    /* The KeyId is kept and named in later messages: one quoting the credential is refused. */
    if (secret && *secret && strstr(id->valuestring, secret)) {
        rc = ms_error_set(err, MS_EENV,
                          "%s: the answer's KeyId quotes the request's credential; "
                          "refused",
                          what);
        goto out;
    }
    http_excerpt(spec->valuestring, strlen(spec->valuestring), secret, shown, sizeof shown);
    if (strcmp(spec->valuestring, "ECC_NIST_P256") == 0)
        type = MS_KEY_ECDSA_P256;
    else if (strcmp(spec->valuestring, "ECC_NIST_P384") == 0)
        type = MS_KEY_ECDSA_P384;
    else {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: a key of spec %s cannot sign here (ECC_NIST_P256 or ECC_NIST_P384 "
                          "can)",
                          what, shown);
        goto out;
    }
    if (cJSON_IsString(usage) && strcmp(usage->valuestring, "SIGN_VERIFY") != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: the key's usage is not SIGN_VERIFY", what);
        goto out;
    }
    const char *alg = type == MS_KEY_ECDSA_P384 ? "ECDSA_SHA_384" : "ECDSA_SHA_256";
    if (cJSON_IsArray(algs)) {
        int found = 0;
        const cJSON *a;
        cJSON_ArrayForEach(a, algs) found |= cJSON_IsString(a) && strcmp(a->valuestring, alg) == 0;
        if (!found) {
            rc = ms_error_set(err, MS_EINPUT, "%s: the key does not offer %s", what, alg);
            goto out;
        }
    }
    if (!cJSON_IsString(pk) ||
        msx_base64_decode(pk->valuestring, strlen(pk->valuestring), &der, &der_len) != 0 ||
        ms_key_parse_public(der, der_len, pub, &perr) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: PublicKey is not a base64 SubjectPublicKeyInfo", what);
        goto out;
    }
    if (ms_key_get_type(*pub) != type) {
        ms_key_free(*pub);
        *pub = NULL;
        rc = ms_error_set(err, MS_EENV, "%s: the public key is not one of spec %s", what, shown);
        goto out;
    }
    if (!(*key_id = strdup(id->valuestring))) {
        ms_key_free(*pub);
        *pub = NULL;
        rc = ms_error_nomem(err);
    }
out:
    free(der);
    cJSON_Delete(doc);
    return rc;
}

int awskms_parse_sign(const uint8_t *body, size_t len, const char *what, const char *secret,
                      const char *key_id, const char *algorithm, uint8_t **sig, size_t *sig_len,
                      ms_error *err)
{
    cJSON *doc = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = msx_json_parse(body, len, REMOTE_ANSWER_MAX, what, &doc, err);
    if (rc != 0)
        return rc;
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(doc, "KeyId");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "Signature");
    const cJSON *alg = cJSON_GetObjectItemCaseSensitive(doc, "SigningAlgorithm");
    if (!cJSON_IsString(id) || strcmp(id->valuestring, key_id) != 0) {
        char shown[120] = "";
        if (cJSON_IsString(id))
            http_excerpt(id->valuestring, strlen(id->valuestring), secret, shown, sizeof shown);
        rc = ms_error_set(err, MS_EENV, "%s: the answer is for key %s, not %s; refused", what,
                          shown[0] ? shown : "(none)", key_id);
        goto out;
    }
    if (cJSON_IsString(alg) && strcmp(alg->valuestring, algorithm) != 0) {
        rc = ms_error_set(err, MS_EENV,
                          "%s: the answer is a signature of another algorithm than "
                          "%s; refused",
                          what, algorithm);
        goto out;
    }
    if (!cJSON_IsString(s) || strlen(s->valuestring) > 2 * SIG_MAX ||
        msx_base64_decode(s->valuestring, strlen(s->valuestring), &raw, &raw_len) != 0 ||
        raw_len == 0 || raw_len > SIG_MAX) {
        rc = ms_error_set(err, MS_EENV, "%s: Signature is not a signature in base64", what);
        goto out;
    }
    *sig = raw;
    *sig_len = raw_len;
    raw = NULL;
out:
    free(raw);
    cJSON_Delete(doc);
    return rc;
}

/* a->url from the URI's endpoint, or the environment, or the region. */
static int endpoint_url(const key_remote *r, struct awskms *a, const char *endpoint, size_t len,
                        ms_error *err)
{
    ms_buf url = MS_BUF_INIT;
    const char *env = getenv("AWS_ENDPOINT_URL_KMS");
    if (!env || !*env)
        env = getenv("AWS_ENDPOINT_URL");
    int rc;
    if (len > 0) {
        for (size_t i = 0; i < len; i++)
            if (!host_char(endpoint[i]))
                return ms_error_set(err, MS_EINPUT, "%s: the endpoint is not HOST[:PORT]",
                                    r->display);
        rc = msx_buf_printf(&url, "https://%.*s/", (int)len, endpoint);
    } else if (env && *env) {
        size_t n = strlen(env);
        while (n > 0 && env[n - 1] == '/')
            n--;
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)env[i] < 0x21 || (unsigned char)env[i] > 0x7e || env[i] == '?' ||
                env[i] == '#')
                return ms_error_set(err, MS_EINPUT,
                                    "%s: AWS_ENDPOINT_URL(_KMS) is not a URL without a query",
                                    r->display);
        if (n == 0 || n > URL_MAX)
            return ms_error_set(err, MS_EINPUT, "%s: AWS_ENDPOINT_URL(_KMS) is not a URL",
                                r->display);
        rc = msx_buf_printf(&url, "%.*s/", (int)n, env);
    } else {
        rc = msx_buf_printf(&url, "https://kms.%s.amazonaws.com/", a->region);
    }
    if (rc != 0 || !(a->url = msx_buf_detach(&url))) {
        msx_buf_free(&url);
        return ms_error_nomem(err);
    }
    return 0;
}

int awskms_open(key_remote *r, const char *rest, ms_key **out, ms_error *err)
{
    struct awskms *a = calloc(1, sizeof *a);
    cJSON *req = NULL;
    char *body = NULL;
    ms_buf answer = MS_BUF_INIT;
    int rc = 0;
    if (!a)
        return ms_error_nomem(err);
    r->aws = a;
    const char *slash = strchr(rest, '/');
    const char *key = slash ? slash + 1 : NULL;
    size_t key_len = key ? strlen(key) : 0;
    if (!key || key_len == 0 || key_len > REMOTE_NAME_MAX) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: name a key: awskms:///KEY-ID, awskms:///alias/NAME, "
                          "awskms:///arn:aws:kms:... (or awskms://ENDPOINT/KEY)",
                          r->display);
        goto out;
    }
    for (size_t i = 0; i < key_len; i++)
        if (!key_char(key[i])) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: a key id, alias or ARN is letters, digits, '-', '_', '/' "
                              "and ':'",
                              r->display);
            goto out;
        }
    if (!(a->key_id = strdup(key))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* The region: an ARN's own, else the configured one. */
    if (strncmp(key, "arn:", 4) == 0) {
        const char *p = key;
        for (int field = 0; field < 3 && p; field++)
            p = strchr(p, ':') ? strchr(p, ':') + 1 : NULL; /* arn : partition : service : */
        const char *end = p ? strchr(p, ':') : NULL;
        if (!p || !end || end == p || (size_t)(end - p) >= sizeof a->region ||
            strncmp(key + 4, "aws", 3) != 0 || !strstr(key, ":kms:")) {
            rc = ms_error_set(err, MS_EINPUT, "%s: not a KMS key or alias ARN", r->display);
            goto out;
        }
        memcpy(a->region, p, (size_t)(end - p));
        a->region[end - p] = '\0';
        /* It names a host (kms.REGION.amazonaws.com): [a-z0-9-] only. */
        if (strspn(a->region, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(a->region)) {
            rc = ms_error_set(err, MS_EINPUT, "%s: the ARN's region is not a region name",
                              r->display);
            goto out;
        }
    } else {
        if ((rc = aws_region_resolve(NULL, a->region, sizeof a->region, err)) != 0)
            goto out;
        if (!a->region[0]) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: no AWS region: set AWS_REGION (or a profile's region in "
                              "~/.aws/config), or name the key by its ARN",
                              r->display);
            goto out;
        }
    }
    if ((rc = endpoint_url(r, a, rest, (size_t)(slash - rest), err)) != 0)
        goto out;
    aws_load_options lo = {.region = a->region, .http = &r->http};
    if ((rc = aws_credentials_load(&lo, &a->creds, err)) != 0)
        goto out;
    if (!(req = cJSON_CreateObject()) || !cJSON_AddStringToObject(req, "KeyId", a->key_id) ||
        !(body = cJSON_PrintUnformatted(req))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = aws_call(r, "GetPublicKey", body, &answer, err)) != 0)
        goto out;
    char what[REMOTE_NAME_MAX + 64];
    snprintf(what, sizeof what, "%s: AWS KMS's answer", r->display);
    if ((rc = awskms_parse_public_key(answer.data, answer.len, what, wire_secret(a), &a->arn, out,
                                      err)) != 0)
        goto out;
    a->alg = ms_key_get_type(*out) == MS_KEY_ECDSA_P384 ? "ECDSA_SHA_384" : "ECDSA_SHA_256";
out:
    free(body);
    cJSON_Delete(req);
    msx_buf_free(&answer);
    return rc;
}

int awskms_sign(const key_remote *r, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
                ms_error *err)
{
    struct awskms *a = r->aws;
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    cJSON *req = NULL;
    char *input = NULL, *body = NULL;
    ms_buf answer = MS_BUF_INIT;
    int rc = 0;
    if (EVP_Digest(msg, len, digest, &digest_len, key_ec_digest(r->type), NULL) != 1)
        return ms_error_set(err, MS_EENV, "cannot hash the message: %s", key_openssl_reason());
    if (!(input = msx_base64_encode(digest, digest_len)) || !(req = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(req, "KeyId", a->key_id) ||
        !cJSON_AddStringToObject(req, "Message", input) ||
        !cJSON_AddStringToObject(req, "MessageType", "DIGEST") ||
        !cJSON_AddStringToObject(req, "SigningAlgorithm", a->alg) ||
        !(body = cJSON_PrintUnformatted(req))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = aws_call(r, "Sign", body, &answer, err)) != 0)
        goto out;
    char what[REMOTE_NAME_MAX + 64];
    snprintf(what, sizeof what, "%s: AWS KMS's answer", r->display);
    rc = awskms_parse_sign(answer.data, answer.len, what, wire_secret(a), a->arn, a->alg, sig,
                           sig_len, err);
out:
    free(input);
    free(body);
    cJSON_Delete(req);
    msx_buf_free(&answer);
    return rc;
}
