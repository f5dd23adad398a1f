/* Keys in HashiCorp Vault's transit secrets engine: `hashivault://NAME` (cosign's form).
 *
 * The server is $VAULT_ADDR, the token $VAULT_TOKEN (else the Vault CLI's ~/.vault-token), the
 * namespace $VAULT_NAMESPACE (Vault Enterprise, HCP), the engine's mount
 * $TRANSIT_SECRET_ENGINE_PATH (default "transit"), as cosign reads them. The key's type, latest
 * version and public key come from GET /v1/MOUNT/keys/NAME; signatures from POST
 * /v1/MOUNT/sign/NAME: ECDSA P-256/P-384 over the curve's hash, sent `prehashed` (the message
 * never leaves this process), DER ("asn1") signatures; Ed25519 over the message itself (the
 * algorithm hashes inside). Every answer is hostile input; the token never appears in a message. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "key_internal.h"
#include "kms_internal.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define TOKEN_HEADER "X-Vault-Token: "
#define NAMESPACE_HEADER "X-Vault-Namespace: "
#define ADDR_MAX 2048
#define VERSION_MAX 1000000000UL
#define SIG_MAX 256

static const uint8_t spki_ed25519[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

/* 1 when every byte of s[0..len) is in the set a key name, a mount path (with '/') or a
 * header value (any visible ASCII) may hold. */
static int name_ok(const char *s, size_t len, int slash)
{
    if (len == 0 || len > REMOTE_NAME_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || (slash && c == '/')))
            return 0;
    }
    return 1;
}

static int header_value_ok(const char *s, size_t len)
{
    if (len == 0 || len > REMOTE_TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x21 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

/* r->token: "X-Vault-Token: " and the token from $VAULT_TOKEN, else ~/.vault-token. */
static int load_token(key_remote *r, ms_error *err)
{
    const char *env = getenv("VAULT_TOKEN");
    ms_buf file = MS_BUF_INIT;
    const char *tok = NULL;
    size_t len = 0;
    int rc = 0;
    if (env && *env) {
        tok = env;
        len = strlen(env);
    } else {
        const char *home = getenv("HOME");
        char path[4096];
        if (home && *home &&
            (size_t)snprintf(path, sizeof path, "%s/.vault-token", home) < sizeof path) {
            ms_error ferr;
            int got =
                msx_file_read_regular(path, REMOTE_TOKEN_MAX, MS_FILE_MISSING_OK, &file, &ferr);
            if (got < 0) {
                rc = ms_error_set(err, MS_EINPUT, "%s: %s", r->display, ferr.message);
                goto out;
            }
            if (got == 0 && file.data) {
                tok = (const char *)file.data;
                len = file.len;
                while (len > 0 && (tok[len - 1] == '\n' || tok[len - 1] == '\r'))
                    len--;
            }
        }
    }
    if (!tok || len == 0) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: no Vault token: set VAULT_TOKEN (or log in with the vault "
                          "command, which writes ~/.vault-token)",
                          r->display);
        goto out;
    }
    if (!header_value_ok(tok, len)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: the Vault token is not one line of visible ASCII of at most %d "
                          "bytes",
                          r->display, REMOTE_TOKEN_MAX);
        goto out;
    }
    size_t hl = strlen(TOKEN_HEADER);
    if (!(r->token = malloc(hl + len + 1))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memcpy(r->token, TOKEN_HEADER, hl);
    memcpy(r->token + hl, tok, len);
    r->token[hl + len] = '\0';
    r->token_value = r->token + hl;
out:
    if (file.data)
        sodium_memzero(file.data, file.cap);
    msx_buf_free(&file);
    return rc;
}

/* Vault's error answer {"errors": ["..."]}: its first message, for ours. */
static void vault_reason(const key_remote *r, const ms_buf *answer, char *out, size_t size)
{
    cJSON *doc = NULL;
    ms_error ignored;
    out[0] = '\0';
    if (!answer->data ||
        msx_json_parse(answer->data, answer->len, REMOTE_ANSWER_MAX, "answer", &doc, &ignored) != 0)
        return;
    const cJSON *errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    const cJSON *first = cJSON_IsArray(errors) ? cJSON_GetArrayItem(errors, 0) : NULL;
    if (cJSON_IsString(first))
        http_excerpt(first->valuestring, strlen(first->valuestring), r->token_value, out, size);
    cJSON_Delete(doc);
}

/* A 4xx answer as our error: 404 (or "not found") is no such key (MS_EINPUT); the rest
 * (permission denied, a bad request) is the service's MS_EENV. */
static int vault_failure(const key_remote *r, const char *url, long status, const ms_buf *answer,
                         ms_error *err)
{
    char why[200];
    vault_reason(r, answer, why, sizeof why);
    if (status == 404 || strstr(why, "not found"))
        return ms_error_set(err, MS_EINPUT, "%s: no such key in Vault at %s%s%s", r->display,
                            getenv("VAULT_ADDR"), why[0] ? ": " : "", why);
    if (status == 401 || status == 403)
        return ms_error_set(err, MS_EENV, "Vault (%s): permission denied (HTTP status %ld)%s%s",
                            url, status, why[0] ? ": " : "", why);
    return ms_error_set(err, MS_EENV, "Vault (%s): HTTP status %ld%s%s", url, status,
                        why[0] ? ": " : "", why);
}

/* HTTP 429: Vault's rate limit quotas. */
static int throttled(long status, const ms_buf *answer)
{
    (void)answer;
    return status == 429;
}

static int vault_call(const key_remote *r, const char *url, const char *body, long *status,
                      ms_buf *answer, ms_error *err)
{
    const char *headers[2] = {r->token, r->namespace};
    ms_http_request req = {.service = "Vault",
                           .url = url,
                           .body = body,
                           .body_len = body ? strlen(body) : 0,
                           .content_type = body ? "application/json" : NULL,
                           .accept = "application/json",
                           .secret = r->token_value,
                           .headers = headers,
                           .n_headers = r->namespace ? 2 : 1,
                           .throttled = throttled};
    return http_perform_status(&r->http, &req, status, answer, err);
}

static int type_of(const char *name, ms_key_type *type)
{
    if (strcmp(name, "ecdsa-p256") == 0)
        *type = MS_KEY_ECDSA_P256;
    else if (strcmp(name, "ecdsa-p384") == 0)
        *type = MS_KEY_ECDSA_P384;
    else if (strcmp(name, "ed25519") == 0)
        *type = MS_KEY_ED25519;
    else
        return -1;
    return 0;
}

int vault_parse_key(const uint8_t *body, size_t len, const char *what, ms_key **pub,
                    unsigned long *version, ms_error *err)
{
    cJSON *doc = NULL;
    uint8_t *raw = NULL, *der = NULL;
    size_t raw_len = 0;
    ms_key_type type;
    ms_error perr;
    char vname[24];
    int rc = msx_json_parse(body, len, REMOTE_ANSWER_MAX, what, &doc, err);
    if (rc != 0)
        return rc;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(data, "type");
    const cJSON *latest = cJSON_GetObjectItemCaseSensitive(data, "latest_version");
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(data, "keys");
    const cJSON *signing = cJSON_GetObjectItemCaseSensitive(data, "supports_signing");
    if (!cJSON_IsObject(data) || !cJSON_IsString(t)) {
        rc = ms_error_set(err, MS_EENV, "%s: the answer has no data.type", what);
        goto out;
    }
    if (type_of(t->valuestring, &type) != 0 || cJSON_IsFalse(signing)) {
        char shown[80];
        http_excerpt(t->valuestring, strlen(t->valuestring), NULL, shown, sizeof shown);
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: a Vault key of type %s cannot sign here (ecdsa-p256, ecdsa-p384 or "
                          "ed25519 can)",
                          what, shown);
        goto out;
    }
    if (!cJSON_IsNumber(latest) || latest->valuedouble < 1 ||
        latest->valuedouble > (double)VERSION_MAX ||
        latest->valuedouble != (double)(unsigned long)latest->valuedouble) {
        rc = ms_error_set(err, MS_EENV, "%s: data.latest_version is not a version number", what);
        goto out;
    }
    *version = (unsigned long)latest->valuedouble;
    snprintf(vname, sizeof vname, "%lu", *version);
    const cJSON *entry =
        cJSON_IsObject(keys) ? cJSON_GetObjectItemCaseSensitive(keys, vname) : NULL;
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(entry, "public_key");
    if (!cJSON_IsString(pk) || !pk->valuestring[0]) {
        rc = ms_error_set(err, MS_EENV, "%s: the answer has no public key for version %s", what,
                          vname);
        goto out;
    }
    if (type == MS_KEY_ED25519) {
        /* Ed25519: the 32 bytes in base64. */
        if (msx_base64_decode(pk->valuestring, strlen(pk->valuestring), &raw, &raw_len) != 0 ||
            raw_len != 32) {
            rc = ms_error_set(err, MS_EENV,
                              "%s: data.keys.%s.public_key is not a base64 Ed25519 key", what,
                              vname);
            goto out;
        }
        if (!(der = malloc(sizeof spki_ed25519 + 32))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        memcpy(der, spki_ed25519, sizeof spki_ed25519);
        memcpy(der + sizeof spki_ed25519, raw, 32);
        rc = ms_key_parse_public(der, sizeof spki_ed25519 + 32, pub, &perr);
    } else {
        /* ECDSA: SubjectPublicKeyInfo PEM. */
        rc = ms_key_parse_public((const uint8_t *)pk->valuestring, strlen(pk->valuestring), pub,
                                 &perr);
    }
    if (rc != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: data.keys.%s.public_key: %s", what, vname,
                          perr.message);
        goto out;
    }
    if (ms_key_get_type(*pub) != type) {
        ms_key_free(*pub);
        *pub = NULL;
        rc = ms_error_set(err, MS_EENV, "%s: the public key is not of the key's type %s", what,
                          t->valuestring);
        goto out;
    }
out:
    free(raw);
    free(der);
    cJSON_Delete(doc);
    return rc;
}

int vault_parse_signature(const uint8_t *body, size_t len, const char *what, ms_key_type type,
                          unsigned long version, uint8_t **sig, size_t *sig_len, ms_error *err)
{
    cJSON *doc = NULL;
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    char prefix[40];
    int rc = msx_json_parse(body, len, REMOTE_ANSWER_MAX, what, &doc, err);
    if (rc != 0)
        return rc;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(doc, "data");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(data, "signature");
    const cJSON *kv = cJSON_GetObjectItemCaseSensitive(data, "key_version");
    if (!cJSON_IsString(s)) {
        rc = ms_error_set(err, MS_EENV, "%s: the answer has no data.signature", what);
        goto out;
    }
    snprintf(prefix, sizeof prefix, "vault:v%lu:", version);
    if (strncmp(s->valuestring, prefix, strlen(prefix)) != 0 ||
        (kv && (!cJSON_IsNumber(kv) || kv->valuedouble != (double)version))) {
        rc = ms_error_set(err, MS_EENV,
                          "%s: the signature is not one by version %lu of the key; refused", what,
                          version);
        goto out;
    }
    const char *b64 = s->valuestring + strlen(prefix);
    size_t b64_len = strlen(b64);
    if (b64_len > SIG_MAX * 2 || msx_base64_decode(b64, b64_len, &raw, &raw_len) != 0 ||
        raw_len == 0 || raw_len > SIG_MAX || (type == MS_KEY_ED25519 && raw_len != 64)) {
        rc = ms_error_set(err, MS_EENV, "%s: data.signature is not a %s signature in base64", what,
                          ms_key_type_name(type));
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

int vault_open(key_remote *r, const char *name, ms_key **out, ms_error *err)
{
    ms_buf url = MS_BUF_INIT, answer = MS_BUF_INIT;
    const char *addr = getenv("VAULT_ADDR");
    const char *mount = getenv("TRANSIT_SECRET_ENGINE_PATH");
    const char *ns = getenv("VAULT_NAMESPACE");
    long status = 0;
    int rc = 0;
    if (!name_ok(name, strlen(name), 0)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: a Vault key name is letters, digits, '-', '_' and '.' (at most %d)",
                          r->display, REMOTE_NAME_MAX);
        goto out;
    }
    if (!addr || !*addr) {
        rc = ms_error_set(err, MS_EINPUT, "%s: VAULT_ADDR is not set (the Vault server's URL)",
                          r->display);
        goto out;
    }
    size_t addr_len = strlen(addr);
    while (addr_len > 0 && addr[addr_len - 1] == '/')
        addr_len--;
    if (addr_len == 0 || addr_len > ADDR_MAX || !header_value_ok(addr, addr_len)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: VAULT_ADDR is not a URL", r->display);
        goto out;
    }
    if (!mount || !*mount)
        mount = "transit";
    while (*mount == '/')
        mount++;
    size_t mount_len = strlen(mount);
    while (mount_len > 0 && mount[mount_len - 1] == '/')
        mount_len--;
    if (!name_ok(mount, mount_len, 1)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: TRANSIT_SECRET_ENGINE_PATH is not a mount path (letters, digits, "
                          "'-', '_', '.', '/')",
                          r->display);
        goto out;
    }
    if (ns && *ns) {
        if (!header_value_ok(ns, strlen(ns))) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: VAULT_NAMESPACE is not one word of visible ASCII", r->display);
            goto out;
        }
        if (msx_buf_printf(&url, NAMESPACE_HEADER "%s", ns) != 0 ||
            !(r->namespace = msx_buf_detach(&url))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if ((rc = load_token(r, err)) != 0)
        goto out;
    if (msx_buf_printf(&url, "%.*s/v1/%.*s/sign/%s", (int)addr_len, addr, (int)mount_len, mount,
                       name) != 0 ||
        !(r->sign_url = msx_buf_detach(&url)) ||
        msx_buf_printf(&url, "%.*s/v1/%.*s/keys/%s", (int)addr_len, addr, (int)mount_len, mount,
                       name) != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = vault_call(r, (const char *)url.data, NULL, &status, &answer, err)) != 0)
        goto out;
    if (status >= 300) {
        rc = vault_failure(r, (const char *)url.data, status, &answer, err);
        goto out;
    }
    char what[REMOTE_NAME_MAX + 64];
    snprintf(what, sizeof what, "%s: Vault's answer", r->display);
    rc = vault_parse_key(answer.data, answer.len, what, out, &r->version, err);
out:
    msx_buf_free(&url);
    msx_buf_free(&answer);
    return rc;
}

int vault_sign(const key_remote *r, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
               ms_error *err)
{
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int digest_len = 0;
    cJSON *req = cJSON_CreateObject();
    char *input = NULL, *body = NULL;
    ms_buf answer = MS_BUF_INIT;
    long status = 0;
    int rc = 0;
    if (!req) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (r->type != MS_KEY_ED25519) {
        /* ECDSA: our hash of the message, which Vault signs as it is. */
        if (EVP_Digest(msg, len, digest, &digest_len, key_ec_digest(r->type), NULL) != 1) {
            rc = ms_error_set(err, MS_EENV, "cannot hash the message: %s", key_openssl_reason());
            goto out;
        }
        input = msx_base64_encode(digest, digest_len);
        if (!input || !cJSON_AddTrueToObject(req, "prehashed") ||
            !cJSON_AddStringToObject(req, "hash_algorithm",
                                     r->type == MS_KEY_ECDSA_P384 ? "sha2-384" : "sha2-256") ||
            !cJSON_AddStringToObject(req, "marshaling_algorithm", "asn1")) {
            rc = ms_error_nomem(err);
            goto out;
        }
    } else if (!(input = msx_base64_encode(msg, len))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (!cJSON_AddStringToObject(req, "input", input) ||
        !cJSON_AddNumberToObject(req, "key_version", (double)r->version) ||
        !(body = cJSON_PrintUnformatted(req))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = vault_call(r, r->sign_url, body, &status, &answer, err)) != 0)
        goto out;
    if (status >= 300) {
        rc = vault_failure(r, r->sign_url, status, &answer, err);
        goto out;
    }
    char what[REMOTE_NAME_MAX + 64];
    snprintf(what, sizeof what, "%s: Vault's answer", r->display);
    rc = vault_parse_signature(answer.data, answer.len, what, r->type, r->version, sig, sig_len,
                               err);
out:
    free(input);
    free(body);
    cJSON_Delete(req);
    msx_buf_free(&answer);
    return rc;
}
