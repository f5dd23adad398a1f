/* DSSE: pre-authentication encoding, envelope JSON, and the strict reader for untrusted JSON.
 * No signing or verification here (key.c does that over ms_dsse_pae's output). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/dsse_json.h"
#include "modelseal/dsse.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

int dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, ms_buf *out)
{
    size_t type_len = strlen(payload_type);
    msx_buf_reset(out);
    if (msx_buf_printf(out, "DSSEv1 %zu %s %zu ", type_len, payload_type, len) != 0)
        return MS_ENOMEM;
    if (len > 0 && msx_buf_append(out, payload, len) != 0)
        return MS_ENOMEM;
    return 0;
}

int dsse_legacy_pae(const char *payload_type, const uint8_t *payload, size_t len, ms_buf *out)
{
    /* Python's repr of bytes: single quotes, unless the bytes hold a ' and no ". */
    char quote = '\'';
    if (len > 0 && memchr(payload, '\'', len) && !memchr(payload, '"', len))
        quote = '"';
    msx_buf_reset(out);
    if (msx_buf_printf(out, "DSSEV1 %zu %s %zu b%c", strlen(payload_type), payload_type, len,
                       quote) != 0)
        return MS_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = payload[i];
        int rc;
        if (c == '\\' || c == (uint8_t)quote)
            rc = msx_buf_printf(out, "\\%c", c);
        else if (c == '\t')
            rc = msx_buf_printf(out, "\\t");
        else if (c == '\n')
            rc = msx_buf_printf(out, "\\n");
        else if (c == '\r')
            rc = msx_buf_printf(out, "\\r");
        else if (c < 0x20 || c > 0x7e)
            rc = msx_buf_printf(out, "\\x%02x", c);
        else
            rc = msx_buf_append(out, &c, 1);
        if (rc != 0)
            return MS_ENOMEM;
    }
    if (msx_buf_append(out, &quote, 1) != 0)
        return MS_ENOMEM;
    return 0;
}

ms_dsse_envelope *ms_dsse_envelope_new(const char *payload_type, const uint8_t *payload, size_t len)
{
    if (len > MS_DSSE_MAX_PAYLOAD)
        return NULL;
    ms_dsse_envelope *env = calloc(1, sizeof(*env));
    if (!env)
        return NULL;
    env->payload_type = strdup(payload_type);
    env->payload = malloc(len + 1);
    if (!env->payload_type || !env->payload) {
        ms_dsse_envelope_free(env);
        return NULL;
    }
    if (len > 0)
        memcpy(env->payload, payload, len);
    env->payload[len] = 0;
    env->payload_len = len;
    return env;
}

int ms_dsse_envelope_add_signature(ms_dsse_envelope *env, const uint8_t *sig, size_t len,
                                   const char *keyid, ms_error *err)
{
    if (len == 0 || len > MS_DSSE_MAX_SIGNATURE)
        return ms_error_set(err, MS_EINPUT, "dsse signature: %s", len ? "too large" : "empty");
    if (env->n_signatures >= MS_DSSE_MAX_SIGNATURES)
        return ms_error_set(err, MS_EINPUT, "dsse signatures: more than %d",
                            MS_DSSE_MAX_SIGNATURES);
    ms_dsse_signature *grown =
        realloc(env->signatures, (env->n_signatures + 1) * sizeof(*env->signatures));
    if (!grown)
        return ms_error_nomem(err);
    env->signatures = grown;
    ms_dsse_signature *s = &env->signatures[env->n_signatures];
    s->sig = malloc(len);
    s->len = len;
    s->keyid = keyid ? strdup(keyid) : NULL;
    if (!s->sig || (keyid && !s->keyid)) {
        free(s->sig);
        free(s->keyid);
        return ms_error_nomem(err);
    }
    memcpy(s->sig, sig, len);
    env->n_signatures++;
    return 0;
}

int ms_dsse_envelope_copy(const ms_dsse_envelope *env, ms_dsse_envelope **out, ms_error *err)
{
    int rc = 0;
    ms_dsse_envelope *copy =
        ms_dsse_envelope_new(env->payload_type, env->payload, env->payload_len);
    if (!copy)
        return ms_error_nomem(err);
    for (size_t i = 0; i < env->n_signatures; i++) {
        const ms_dsse_signature *s = &env->signatures[i];
        rc = ms_dsse_envelope_add_signature(copy, s->sig, s->len, s->keyid, err);
        if (rc != 0)
            goto out;
    }
    *out = copy;
    copy = NULL;
out:
    ms_dsse_envelope_free(copy);
    return rc;
}

int dsse_from_json(const cJSON *obj, ms_dsse_envelope **out, ms_error *err)
{
    int rc = 0;
    ms_dsse_envelope *env = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    char field[64];

    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "dsseEnvelope: not an object");
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(obj, "payloadType");
    const cJSON *payload = cJSON_GetObjectItemCaseSensitive(obj, "payload");
    const cJSON *sigs = cJSON_GetObjectItemCaseSensitive(obj, "signatures");
    if (!cJSON_IsString(type) || !type->valuestring || !type->valuestring[0])
        return ms_error_set(err, MS_EINPUT, "dsseEnvelope.payloadType: %s",
                            !type                  ? "missing"
                            : cJSON_IsString(type) ? "empty"
                                                   : "not a string");
    if (!cJSON_IsArray(sigs))
        return ms_error_set(err, MS_EINPUT, "dsseEnvelope.signatures: %s",
                            sigs ? "not an array" : "missing");
    int n = cJSON_GetArraySize(sigs);
    if (n < 1 || n > MS_DSSE_MAX_SIGNATURES)
        return n < 1 ? ms_error_set(err, MS_EINPUT, "dsseEnvelope.signatures: empty")
                     : ms_error_set(err, MS_EINPUT, "dsseEnvelope.signatures: more than %d",
                                    MS_DSSE_MAX_SIGNATURES);

    env = calloc(1, sizeof(*env));
    if (!env)
        return ms_error_nomem(err);
    env->payload_type = strdup(type->valuestring);
    if (!env->payload_type) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = msx_json_base64_field(payload, "dsseEnvelope.payload", MS_DSSE_MAX_PAYLOAD, 1,
                               &env->payload, &env->payload_len, err);
    if (rc != 0)
        goto out;

    int i = 0;
    const cJSON *s;
    cJSON_ArrayForEach(s, sigs)
    {
        if (!cJSON_IsObject(s)) {
            rc = ms_error_set(err, MS_EINPUT, "dsseEnvelope.signatures[%d]: not an object", i);
            goto out;
        }
        snprintf(field, sizeof(field), "dsseEnvelope.signatures[%d].sig", i);
        rc = msx_json_base64_field(cJSON_GetObjectItemCaseSensitive(s, "sig"), field,
                                   MS_DSSE_MAX_SIGNATURE, 0, &sig, &sig_len, err);
        if (rc != 0)
            goto out;
        if (sig_len == 0) {
            rc = ms_error_set(err, MS_EINPUT, "%s: empty", field);
            goto out;
        }
        const cJSON *keyid = cJSON_GetObjectItemCaseSensitive(s, "keyid");
        if (keyid && !cJSON_IsNull(keyid) && !(cJSON_IsString(keyid) && keyid->valuestring)) {
            rc = ms_error_set(err, MS_EINPUT,
                              "dsseEnvelope.signatures[%d].keyid: not a string or null", i);
            goto out;
        }
        rc = ms_dsse_envelope_add_signature(env, sig, sig_len,
                                            cJSON_IsString(keyid) ? keyid->valuestring : NULL, err);
        if (rc != 0)
            goto out;
        free(sig);
        sig = NULL;
        i++;
    }
    *out = env;
    env = NULL;
out:
    free(sig);
    ms_dsse_envelope_free(env);
    return rc;
}

cJSON *dsse_to_json(const ms_dsse_envelope *env)
{
    char *b64 = NULL;
    cJSON *obj = cJSON_CreateObject();
    cJSON *sigs = NULL;
    if (!obj)
        goto fail;
    b64 = msx_base64_encode(env->payload, env->payload_len);
    if (!b64 || !cJSON_AddStringToObject(obj, "payload", b64) ||
        !cJSON_AddStringToObject(obj, "payloadType", env->payload_type))
        goto fail;
    free(b64);
    b64 = NULL;
    sigs = cJSON_AddArrayToObject(obj, "signatures");
    if (!sigs)
        goto fail;
    for (size_t i = 0; i < env->n_signatures; i++) {
        cJSON *s = cJSON_CreateObject();
        if (!s)
            goto fail;
        cJSON_AddItemToArray(sigs, s);
        b64 = msx_base64_encode(env->signatures[i].sig, env->signatures[i].len);
        if (!b64 || !cJSON_AddStringToObject(s, "sig", b64) ||
            !cJSON_AddStringToObject(s, "keyid",
                                     env->signatures[i].keyid ? env->signatures[i].keyid : ""))
            goto fail;
        free(b64);
        b64 = NULL;
    }
    return obj;
fail:
    free(b64);
    cJSON_Delete(obj);
    return NULL;
}

void ms_dsse_envelope_free(ms_dsse_envelope *env)
{
    if (!env)
        return;
    for (size_t i = 0; i < env->n_signatures; i++) {
        free(env->signatures[i].sig);
        free(env->signatures[i].keyid);
    }
    free(env->signatures);
    free(env->payload);
    free(env->payload_type);
    free(env);
}

/* ---- strict JSON ---------------------------------------------------------------------- */

int ms_dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, uint8_t **out,
                size_t *out_len)
{
    ms_buf pae = MS_BUF_INIT;
    char *text = NULL;
    if (dsse_pae(payload_type, payload, len, &pae) != 0 || msx_buf_export(&pae, &text, out_len)) {
        msx_buf_free(&pae);
        return MS_ENOMEM;
    }
    *out = (uint8_t *)text;
    return 0;
}

int ms_dsse_envelope_parse(const uint8_t *json, size_t len, ms_dsse_envelope **out, ms_error *err)
{
    cJSON *root = NULL;
    int rc = msx_json_parse(json, len, MS_DSSE_MAX_JSON, "DSSE envelope", &root, err);
    if (rc == 0)
        rc = dsse_from_json(root, out, err);
    cJSON_Delete(root);
    return rc;
}

int ms_dsse_envelope_serialize(const ms_dsse_envelope *env, char **out, size_t *out_len,
                               ms_error *err)
{
    cJSON *obj = dsse_to_json(env);
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    if (!text)
        return ms_error_nomem(err);
    *out = text;
    if (out_len)
        *out_len = strlen(text);
    return 0;
}
