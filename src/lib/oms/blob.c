/* Artifact ("blob") signatures: messageSignature bundles made with a managed key, and the
 * verification of messageSignature and DSSE bundles over one artifact by key or keylessly.
 * The Sigstore checks themselves (log entries, timestamps, certificates) are in
 * sigstore_verify.c; this file picks the trust path and binds the bundle to the artifact. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/sha.h>
#include <sodium.h>

#include "format/bundle_json.h"
#include "modelseal/blob.h"
#include "modelseal/bundle.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define STATEMENT_V1 "https://in-toto.io/Statement/v1"
#define STATEMENT_V01 "https://in-toto.io/Statement/v0.1"
#define MAX_SUBJECTS 1024

int ms_blob_artifact_open(const char *path, ms_blob_artifact *a, ms_error *err)
{
    struct stat st;
    int fd, rc = 0;
    memset(a, 0, sizeof *a);
    if ((rc = msx_file_open_regular(path, 0, &fd, &st, err)) != 0)
        return rc;
    if ((uint64_t)st.st_size > SIZE_MAX) {
        rc = ms_error_set(err, MS_EINPUT, "%s: too large to map", path);
        goto out;
    }
    a->len = (size_t)st.st_size;
    if (a->len == 0) {
        static const uint8_t empty[1];
        a->data = empty;
    } else {
        void *p = mmap(NULL, a->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            rc = ms_error_set(err, MS_EENV, "%s: cannot map: %s", path, strerror(errno));
            memset(a, 0, sizeof *a);
            goto out;
        }
        a->map = p;
        a->map_len = a->len;
        a->data = p;
    }
    SHA256(a->data, a->len, a->sha256);
out:
    close(fd);
    return rc;
}

int ms_blob_is_digest(const char *text)
{
    if (strncmp(text, "sha256:", 7) != 0 || strlen(text + 7) != 64)
        return 0;
    for (const char *p = text + 7; *p; p++) {
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
            return 0;
    }
    return 1;
}

int ms_blob_artifact_from_digest(const char *text, ms_blob_artifact *a, ms_error *err)
{
    size_t n = 0;
    memset(a, 0, sizeof *a);
    if (!ms_blob_is_digest(text) || msx_hex_decode(text + 7, 64, a->sha256, 32, &n) != 0 || n != 32)
        return ms_error_set(err, MS_EINPUT,
                            "%.80s: not a digest of the form sha256:<64 hex digits>", text);
    return 0;
}

void ms_blob_artifact_close(ms_blob_artifact *a)
{
    if (!a)
        return;
    if (a->map)
        munmap(a->map, a->map_len);
    memset(a, 0, sizeof *a);
}

static int sign_blob(const ms_blob_artifact *a, const ms_key *key, ms_buf *out, ms_error *err)
{
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    ms_bundle *b = NULL;
    ms_buf json = MS_BUF_INIT;
    char hint[65];
    int rc;
    if (!ms_key_is_secret(key))
        return ms_error_set(err, MS_EINPUT, "signing needs a secret key, not a public key");
    switch (ms_key_get_type(key)) {
    case MS_KEY_ECDSA_P256: /* ECDSA over SHA-256 of the artifact: the digest is what is signed */
    case MS_KEY_ED25519:    /* pure Ed25519 over the artifact's bytes */
        break;
    default:
        return ms_error_set(err, MS_EINPUT,
                            "a message signature is made with an ECDSA P-256 or Ed25519 key, not "
                            "%s (sign an in-toto statement instead)",
                            ms_key_type_name(ms_key_get_type(key)));
    }
    if (!a->data)
        return ms_error_set(err, MS_EINPUT, "signing needs the artifact itself, not its digest");
    if ((rc = ms_key_sign(key, a->data, a->len, &sig, &sig_len, err)) != 0)
        goto out;
    if ((rc = ms_key_hint(key, hint)) != 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = ms_bundle_new_message("SHA2_256", a->sha256, 32, sig, sig_len, &b, err)) != 0 ||
        (rc = ms_bundle_set_key_hint(b, hint, err)) != 0 ||
        (rc = bundle_serialize(b, &json, err)) != 0)
        goto out;
    if (msx_buf_append(out, json.data, json.len) != 0)
        rc = ms_error_nomem(err);
out:
    msx_buf_free(&json);
    ms_bundle_free(b);
    free(sig);
    return rc;
}

/* 1 when the subject's digest object holds sha256 == `want` (hex, either case). */
static int subject_matches(const cJSON *subject, const uint8_t want[32])
{
    const cJSON *digest = cJSON_GetObjectItemCaseSensitive(subject, "digest");
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(digest, "sha256");
    uint8_t got[32];
    size_t n = 0;
    return cJSON_IsString(hex) &&
           msx_hex_decode(hex->valuestring, strlen(hex->valuestring), got, sizeof got, &n) == 0 &&
           n == 32 && sodium_memcmp(got, want, 32) == 0;
}

int ms_blob_check_statement(const uint8_t *payload, size_t len, const uint8_t *sha256,
                            const char *what, ms_error *err)
{
    cJSON *doc = NULL;
    int rc, found = 0;
    if ((rc = msx_json_parse(payload, len, MS_BLOB_MAX_STATEMENT, what, &doc, err)) != 0)
        return rc;
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(doc, "_type");
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(doc, "subject");
    if (!cJSON_IsObject(doc) || !cJSON_IsString(type) ||
        (strcmp(type->valuestring, STATEMENT_V1) != 0 &&
         strcmp(type->valuestring, STATEMENT_V01) != 0)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: not an in-toto statement (_type %s or %s)", what,
                          STATEMENT_V1, STATEMENT_V01);
        goto out;
    }
    int n = cJSON_IsArray(subjects) ? cJSON_GetArraySize(subjects) : 0;
    if (n < 1 || n > MAX_SUBJECTS) {
        rc = ms_error_set(err, MS_EINPUT, "%s: subject: %s", what,
                          !cJSON_IsArray(subjects) ? "missing or not an array"
                          : n < 1                  ? "empty"
                                                   : "too many subjects");
        goto out;
    }
    const cJSON *s;
    int i = 0;
    cJSON_ArrayForEach(s, subjects)
    {
        const cJSON *digest = cJSON_GetObjectItemCaseSensitive(s, "digest");
        if (!cJSON_IsObject(s) || !cJSON_IsObject(digest)) {
            rc = ms_error_set(err, MS_EINPUT, "%s: subject[%d]: no digest object", what, i);
            goto out;
        }
        if (sha256 && subject_matches(s, sha256))
            found = 1;
        i++;
    }
    if (sha256 && !found) {
        char hex[65];
        msx_hex_encode(sha256, 32, hex);
        rc = ms_error_set(err, MS_EVERIFY, "%s: no subject has the artifact's digest sha256:%s",
                          what, hex);
        goto out;
    }
    rc = 0;
out:
    cJSON_Delete(doc);
    return rc;
}

void ms_blob_result_clear(ms_blob_result *res)
{
    if (!res)
        return;
    free(res->identity);
    free(res->issuer);
    memset(res, 0, sizeof *res);
}

int ms_blob_verify(const uint8_t *bundle_json, size_t len, const ms_blob_artifact *a,
                   const ms_blob_trust *trust, ms_blob_result *res, ms_error *err)
{
    ms_bundle *b = NULL;
    ms_sigstore_result sres;
    int rc;
    memset(&sres, 0, sizeof sres);
    if (res)
        memset(res, 0, sizeof *res);
    if (!trust || (!trust->key && (!trust->identity || !trust->issuer)))
        return ms_error_set(err, MS_EINPUT,
                            "verification needs a key, or an identity and an issuer");
    if (!trust->key && !trust->root)
        return ms_error_set(err, MS_EINPUT, "keyless verification needs a trusted root");
    if ((rc = ms_bundle_parse(bundle_json, len, &b, err)) != 0)
        goto out;
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    ms_sigstore_policy policy = {
        .identity = trust->identity,
        .issuer = trust->issuer,
        .artifact_sha256 = env ? NULL : a->sha256,
        .key = trust->key,
        .artifact = env ? NULL : a->data,
        .artifact_len = env ? 0 : a->len,
    };
    if ((rc = ms_sigstore_verify_bundle(b, trust->root, &policy, &sres, err)) != 0)
        goto out;
    /* The signature is good: now the statement must be about this artifact. */
    if (env && (rc = ms_blob_check_statement(env->payload, env->payload_len, a->sha256,
                                             "the signed statement", err)) != 0)
        goto out;
    if (res) {
        res->dsse = env != NULL;
        memcpy(res->hint, sres.hint, sizeof res->hint);
        res->identity = sres.identity;
        res->issuer = sres.issuer;
        sres.identity = sres.issuer = NULL;
        res->signing_time = sres.signing_time;
        res->n_tlog_entries = sres.n_tlog_entries;
        res->n_timestamps = sres.n_timestamps;
    }
out:
    ms_sigstore_result_clear(&sres);
    ms_bundle_free(b);
    return rc;
}

int ms_blob_sign(const ms_blob_artifact *a, const ms_key *key, char **bundle_json,
                 size_t *bundle_len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = sign_blob(a, key, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, bundle_json, bundle_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}
