/* Sigstore bundle JSON: strict reading of any OMS signer's model.sig, writing of ours.
 * The verification material is decoded and kept as data; nothing is verified here. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/bundle_json.h"
#include "format/dsse_json.h"
#include "modelseal/bundle.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

#define HINT_MAX 1024
#define PUBLIC_KEY_MAX ((size_t)1 << 20)

typedef struct cert_blob {
    uint8_t *der;
    size_t len;
} cert_blob;

struct ms_bundle {
    char *media_type;
    ms_dsse_envelope *envelope;
    ms_message_signature *message_signature;
    ms_bundle_material material;
    char *key_hint;
    uint8_t *key_raw;
    size_t key_raw_len;
    char *key_details;
    cert_blob *certs;
    size_t n_certs;
    cJSON *tlog_entries;
    cJSON *timestamp_data;
};

static const char *const known_media_types[] = {
    MS_BUNDLE_MEDIA_TYPE_V03,
    MS_BUNDLE_MEDIA_TYPE_V03_ALT,
    MS_BUNDLE_MEDIA_TYPE_V02,
    MS_BUNDLE_MEDIA_TYPE_V01,
};

static void clear_material(ms_bundle *b)
{
    free(b->key_hint);
    free(b->key_raw);
    free(b->key_details);
    for (size_t i = 0; i < b->n_certs; i++)
        free(b->certs[i].der);
    free(b->certs);
    b->key_hint = NULL;
    b->key_raw = NULL;
    b->key_raw_len = 0;
    b->key_details = NULL;
    b->certs = NULL;
    b->n_certs = 0;
    b->material = MS_MATERIAL_NONE;
}

static void message_signature_free(ms_message_signature *m)
{
    if (!m)
        return;
    free(m->digest_algorithm);
    free(m->digest);
    free(m->signature);
    free(m);
}

void ms_bundle_free(ms_bundle *b)
{
    if (!b)
        return;
    clear_material(b);
    free(b->media_type);
    ms_dsse_envelope_free(b->envelope);
    message_signature_free(b->message_signature);
    cJSON_Delete(b->tlog_entries);
    cJSON_Delete(b->timestamp_data);
    free(b);
}

/* ---- parsing ---------------------------------------------------------------------------- */

/* An optional string field: NULL when absent, a copy otherwise. */
static int copy_optional_string(const cJSON *obj, const char *key, const char *field, size_t max,
                                char **out, ms_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!item)
        return 0;
    if (!cJSON_IsString(item))
        return ms_error_set(err, MS_EINPUT, "%s: not a string", field);
    if (strlen(item->valuestring) > max)
        return ms_error_set(err, MS_EINPUT, "%s: longer than %zu characters", field, max);
    *out = strdup(item->valuestring);
    return *out ? 0 : ms_error_nomem(err);
}

static int parse_message_signature(ms_bundle *b, const cJSON *obj, ms_error *err)
{
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "bundle messageSignature: not an object");
    b->message_signature = calloc(1, sizeof(*b->message_signature));
    if (!b->message_signature)
        return ms_error_nomem(err);
    ms_message_signature *m = b->message_signature;
    int rc = msx_json_base64_field(cJSON_GetObjectItemCaseSensitive(obj, "signature"),
                                   "bundle messageSignature.signature", MS_DSSE_MAX_SIGNATURE, 0,
                                   &m->signature, &m->signature_len, err);
    if (rc != 0)
        return rc;
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "messageDigest");
    if (!md)
        return 0;
    if (!cJSON_IsObject(md))
        return ms_error_set(err, MS_EINPUT, "bundle messageSignature.messageDigest: not an object");
    rc = copy_optional_string(md, "algorithm", "bundle messageSignature.messageDigest.algorithm",
                              64, &m->digest_algorithm, err);
    if (rc != 0)
        return rc;
    return msx_json_base64_field(cJSON_GetObjectItemCaseSensitive(md, "digest"),
                                 "bundle messageSignature.messageDigest.digest", 1024, 0,
                                 &m->digest, &m->digest_len, err);
}

static int add_certificate(ms_bundle *b, const uint8_t *der, size_t len, ms_error *err)
{
    if (len == 0 || len > MS_BUNDLE_MAX_CERTIFICATE_SIZE)
        return ms_error_set(err, MS_EINPUT, "bundle certificate: %s", len ? "too large" : "empty");
    if (b->n_certs >= MS_BUNDLE_MAX_CERTIFICATES)
        return ms_error_set(err, MS_EINPUT, "bundle certificates: more than %d",
                            MS_BUNDLE_MAX_CERTIFICATES);
    cert_blob *grown = realloc(b->certs, (b->n_certs + 1) * sizeof(*b->certs));
    if (!grown)
        return ms_error_nomem(err);
    b->certs = grown;
    b->certs[b->n_certs].der = malloc(len);
    if (!b->certs[b->n_certs].der)
        return ms_error_nomem(err);
    memcpy(b->certs[b->n_certs].der, der, len);
    b->certs[b->n_certs].len = len;
    b->n_certs++;
    return 0;
}

/* Decode one {rawBytes} certificate object and append it. */
static int parse_certificate(ms_bundle *b, const cJSON *obj, const char *field, ms_error *err)
{
    char sub[96];
    uint8_t *der = NULL;
    size_t len = 0;
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "%s: not an object", field);
    snprintf(sub, sizeof(sub), "%s.rawBytes", field);
    int rc = msx_json_base64_field(cJSON_GetObjectItemCaseSensitive(obj, "rawBytes"), sub,
                                   MS_BUNDLE_MAX_CERTIFICATE_SIZE, 0, &der, &len, err);
    if (rc == 0)
        rc = add_certificate(b, der, len, err);
    free(der);
    return rc;
}

static int parse_public_key(ms_bundle *b, const cJSON *pk, ms_error *err)
{
    if (!cJSON_IsObject(pk))
        return ms_error_set(err, MS_EINPUT, "bundle verificationMaterial.publicKey: not an object");
    int rc = copy_optional_string(pk, "hint", "bundle verificationMaterial.publicKey.hint",
                                  HINT_MAX, &b->key_hint, err);
    if (rc == 0)
        rc = copy_optional_string(pk, "keyDetails",
                                  "bundle verificationMaterial.publicKey.keyDetails", 128,
                                  &b->key_details, err);
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(pk, "rawBytes");
    if (rc == 0 && raw)
        rc = msx_json_base64_field(raw, "bundle verificationMaterial.publicKey.rawBytes",
                                   PUBLIC_KEY_MAX, 0, &b->key_raw, &b->key_raw_len, err);
    return rc;
}

static int parse_material(ms_bundle *b, const cJSON *vm, ms_error *err)
{
    int rc = 0;
    char field[96];
    if (!cJSON_IsObject(vm))
        return ms_error_set(err, MS_EINPUT, "bundle verificationMaterial: %s",
                            vm ? "not an object" : "missing");
    const cJSON *pk = cJSON_GetObjectItemCaseSensitive(vm, "publicKey");
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(vm, "x509CertificateChain");
    const cJSON *cert = cJSON_GetObjectItemCaseSensitive(vm, "certificate");
    int kinds = !!pk + !!chain + !!cert;
    if (kinds != 1)
        return ms_error_set(err, MS_EINPUT,
                            "bundle verificationMaterial: %s of publicKey, x509CertificateChain, "
                            "certificate",
                            kinds ? "more than one" : "none");
    if (pk) {
        b->material = MS_MATERIAL_PUBLIC_KEY;
        rc = parse_public_key(b, pk, err);
    } else if (chain) {
        b->material = MS_MATERIAL_X509_CHAIN;
        const cJSON *certs =
            cJSON_IsObject(chain) ? cJSON_GetObjectItemCaseSensitive(chain, "certificates") : NULL;
        if (!cJSON_IsArray(certs))
            return ms_error_set(err, MS_EINPUT,
                                "bundle verificationMaterial.x509CertificateChain.certificates: %s",
                                !cJSON_IsObject(chain) ? "not in an object"
                                : certs                ? "not an array"
                                                       : "missing");
        int n = cJSON_GetArraySize(certs);
        if (n < 1 || n > MS_BUNDLE_MAX_CERTIFICATES)
            return ms_error_set(err, MS_EINPUT,
                                "bundle verificationMaterial.x509CertificateChain.certificates: %s",
                                n < 1 ? "empty" : "too many certificates");
        int i = 0;
        const cJSON *c;
        cJSON_ArrayForEach(c, certs)
        {
            snprintf(field, sizeof(field),
                     "bundle verificationMaterial.x509CertificateChain.certificates[%d]", i++);
            rc = parse_certificate(b, c, field, err);
            if (rc != 0)
                return rc;
        }
    } else {
        b->material = MS_MATERIAL_CERTIFICATE;
        rc = parse_certificate(b, cert, "bundle verificationMaterial.certificate", err);
    }
    if (rc != 0)
        return rc;

    const cJSON *tlog = cJSON_GetObjectItemCaseSensitive(vm, "tlogEntries");
    if (tlog) {
        if (!cJSON_IsArray(tlog))
            return ms_error_set(err, MS_EINPUT,
                                "bundle verificationMaterial.tlogEntries: not an array");
        int n = cJSON_GetArraySize(tlog);
        if (n > MS_BUNDLE_MAX_TLOG_ENTRIES)
            return ms_error_set(err, MS_EINPUT,
                                "bundle verificationMaterial.tlogEntries: more than %d entries",
                                MS_BUNDLE_MAX_TLOG_ENTRIES);
        const cJSON *e;
        cJSON_ArrayForEach(e, tlog)
        {
            if (!cJSON_IsObject(e))
                return ms_error_set(err, MS_EINPUT,
                                    "bundle verificationMaterial.tlogEntries: an entry is not an "
                                    "object");
        }
        b->tlog_entries = cJSON_Duplicate(tlog, 1);
        if (!b->tlog_entries)
            return ms_error_nomem(err);
    }
    /* A Fulcio leaf is short-lived: without a log entry nothing proves when it signed. */
    if (b->material == MS_MATERIAL_CERTIFICATE && cJSON_GetArraySize(b->tlog_entries) < 1)
        return ms_error_set(err, MS_EINPUT,
                            "bundle verificationMaterial.tlogEntries: %s; a Sigstore certificate "
                            "bundle needs at least one transparency log entry",
                            b->tlog_entries ? "empty" : "missing");
    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(vm, "timestampVerificationData");
    if (ts) {
        if (!cJSON_IsObject(ts))
            return ms_error_set(
                err, MS_EINPUT,
                "bundle verificationMaterial.timestampVerificationData: not an object");
        b->timestamp_data = cJSON_Duplicate(ts, 1);
        if (!b->timestamp_data)
            return ms_error_nomem(err);
    }
    return 0;
}

int ms_bundle_parse(const uint8_t *json, size_t len, ms_bundle **out, ms_error *err)
{
    int rc = 0;
    cJSON *root = NULL;
    ms_bundle *b = calloc(1, sizeof(*b));
    if (!b)
        return ms_error_nomem(err);
    rc = msx_json_parse(json, len, MS_BUNDLE_MAX_SIZE, "bundle", &root, err);
    if (rc != 0)
        goto out;
    if (!cJSON_IsObject(root)) {
        rc = ms_error_set(err, MS_EINPUT, "bundle: not a JSON object");
        goto out;
    }
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
    if (!cJSON_IsString(mt)) {
        rc = ms_error_set(err, MS_EINPUT, "bundle mediaType: %s", mt ? "not a string" : "missing");
        goto out;
    }
    for (size_t i = 0; i < sizeof(known_media_types) / sizeof(known_media_types[0]); i++) {
        if (strcmp(mt->valuestring, known_media_types[i]) == 0)
            b->media_type = strdup(known_media_types[i]);
    }
    if (!b->media_type) {
        rc = ms_error_set(err, MS_EINPUT, "bundle mediaType: unsupported \"%.200s\"",
                          mt->valuestring);
        goto out;
    }

    const cJSON *dsse = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "messageSignature");
    if (!!dsse == !!msg) {
        rc = dsse ? ms_error_set(err, MS_EINPUT, "bundle: both dsseEnvelope and messageSignature")
                  : ms_error_set(err, MS_EINPUT,
                                 "bundle: neither dsseEnvelope nor messageSignature");
        goto out;
    }
    if (dsse) {
        rc = dsse_from_json(dsse, &b->envelope, err);
        if (rc != 0)
            goto out;
        if (strcmp(b->envelope->payload_type, MS_DSSE_INTOTO_PAYLOAD_TYPE) != 0) {
            rc = ms_error_set(err, MS_EINPUT,
                              "bundle dsseEnvelope.payloadType: \"%.200s\", expected %s",
                              b->envelope->payload_type, MS_DSSE_INTOTO_PAYLOAD_TYPE);
            goto out;
        }
    } else {
        rc = parse_message_signature(b, msg, err);
        if (rc != 0)
            goto out;
    }
    rc = parse_material(b, cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"), err);
    if (rc != 0)
        goto out;
    *out = b;
    b = NULL;
out:
    cJSON_Delete(root);
    ms_bundle_free(b);
    return rc;
}

/* ---- building --------------------------------------------------------------------------- */

int ms_bundle_new_dsse(const ms_dsse_envelope *env, ms_bundle **out, ms_error *err)
{
    ms_bundle *b = calloc(1, sizeof(*b));
    if (!b)
        return ms_error_nomem(err);
    b->media_type = strdup(MS_BUNDLE_MEDIA_TYPE_V03);
    if (!b->media_type) {
        ms_bundle_free(b);
        return ms_error_nomem(err);
    }
    int rc = ms_dsse_envelope_copy(env, &b->envelope, err);
    if (rc != 0) {
        ms_bundle_free(b);
        return rc;
    }
    *out = b;
    return 0;
}

int ms_bundle_new_message(const char *digest_algorithm, const uint8_t *digest, size_t digest_len,
                          const uint8_t *sig, size_t sig_len, ms_bundle **out, ms_error *err)
{
    ms_message_signature *m = NULL;
    ms_bundle *b = NULL;
    if (!digest_algorithm || !digest_algorithm[0] || digest_len == 0 || digest_len > 1024)
        return ms_error_set(err, MS_EINPUT, "bundle messageSignature.messageDigest: %s",
                            digest_len > 1024 ? "too long" : "empty");
    if (sig_len == 0 || sig_len > MS_DSSE_MAX_SIGNATURE)
        return ms_error_set(err, MS_EINPUT, "bundle messageSignature.signature: %s",
                            sig_len ? "too large" : "empty");
    if (!(b = calloc(1, sizeof(*b))) || !(m = calloc(1, sizeof(*m))))
        goto nomem;
    b->message_signature = m;
    if (!(b->media_type = strdup(MS_BUNDLE_MEDIA_TYPE_V03)) ||
        !(m->digest_algorithm = strdup(digest_algorithm)) || !(m->digest = malloc(digest_len)) ||
        !(m->signature = malloc(sig_len)))
        goto nomem;
    memcpy(m->digest, digest, digest_len);
    m->digest_len = digest_len;
    memcpy(m->signature, sig, sig_len);
    m->signature_len = sig_len;
    *out = b;
    return 0;
nomem:
    if (!b)
        free(m);
    ms_bundle_free(b);
    return ms_error_nomem(err);
}

int ms_bundle_set_key_hint(ms_bundle *b, const char *hint, ms_error *err)
{
    if (!hint || !hint[0] || strlen(hint) > HINT_MAX)
        return ms_error_set(err, MS_EINPUT, "bundle publicKey.hint: %s",
                            hint && hint[0] ? "too long" : "empty");
    char *copy = strdup(hint);
    if (!copy)
        return ms_error_nomem(err);
    clear_material(b);
    b->key_hint = copy;
    b->material = MS_MATERIAL_PUBLIC_KEY;
    return 0;
}

int ms_bundle_set_chain(ms_bundle *b, const uint8_t *const *ders, const size_t *lens, size_t n,
                        ms_error *err)
{
    if (n < 1 || n > MS_BUNDLE_MAX_CERTIFICATES)
        return ms_error_set(err, MS_EINPUT, "bundle x509CertificateChain: %s",
                            n ? "too many certificates" : "no certificates");
    clear_material(b);
    for (size_t i = 0; i < n; i++) {
        int rc = add_certificate(b, ders[i], lens[i], err);
        if (rc != 0) {
            clear_material(b);
            return rc;
        }
    }
    b->material = MS_MATERIAL_X509_CHAIN;
    return 0;
}

int ms_bundle_set_certificate(ms_bundle *b, const uint8_t *der, size_t len, ms_error *err)
{
    clear_material(b);
    int rc = add_certificate(b, der, len, err);
    if (rc != 0) {
        clear_material(b);
        return rc;
    }
    b->material = MS_MATERIAL_CERTIFICATE;
    return 0;
}

static int replace_json(cJSON **slot, const cJSON *json, int want_array, const char *field,
                        ms_error *err)
{
    cJSON *copy = NULL;
    if (json) {
        if (want_array ? !cJSON_IsArray(json) : !cJSON_IsObject(json))
            return ms_error_set(err, MS_EINPUT, "bundle %s: not %s", field,
                                want_array ? "an array" : "an object");
        copy = cJSON_Duplicate(json, 1);
        if (!copy)
            return ms_error_nomem(err);
    }
    cJSON_Delete(*slot);
    *slot = copy;
    return 0;
}

int bundle_set_tlog_entries(ms_bundle *b, const cJSON *json, ms_error *err)
{
    return replace_json(&b->tlog_entries, json, 1, "tlogEntries", err);
}

int bundle_set_timestamp_data(ms_bundle *b, const cJSON *json, ms_error *err)
{
    return replace_json(&b->timestamp_data, json, 0, "timestampVerificationData", err);
}

/* Add {"<key>": base64(data)} to obj. 0 or -1 (out of memory). */
static int add_base64(cJSON *obj, const char *key, const uint8_t *data, size_t len)
{
    char *b64 = msx_base64_encode(data, len);
    int ok = b64 && cJSON_AddStringToObject(obj, key, b64);
    free(b64);
    return ok ? 0 : -1;
}

static cJSON *material_to_json(const ms_bundle *b)
{
    cJSON *vm = cJSON_CreateObject();
    cJSON *obj, *arr, *item;
    if (!vm)
        return NULL;
    switch (b->material) {
    case MS_MATERIAL_PUBLIC_KEY:
        obj = cJSON_AddObjectToObject(vm, "publicKey");
        if (!obj || (b->key_hint && !cJSON_AddStringToObject(obj, "hint", b->key_hint)) ||
            (b->key_raw && add_base64(obj, "rawBytes", b->key_raw, b->key_raw_len) != 0) ||
            (b->key_details && !cJSON_AddStringToObject(obj, "keyDetails", b->key_details)))
            goto fail;
        break;
    case MS_MATERIAL_X509_CHAIN:
        obj = cJSON_AddObjectToObject(vm, "x509CertificateChain");
        arr = obj ? cJSON_AddArrayToObject(obj, "certificates") : NULL;
        if (!arr)
            goto fail;
        for (size_t i = 0; i < b->n_certs; i++) {
            item = cJSON_CreateObject();
            if (!item)
                goto fail;
            cJSON_AddItemToArray(arr, item);
            if (add_base64(item, "rawBytes", b->certs[i].der, b->certs[i].len) != 0)
                goto fail;
        }
        break;
    case MS_MATERIAL_CERTIFICATE:
        obj = cJSON_AddObjectToObject(vm, "certificate");
        if (!obj || add_base64(obj, "rawBytes", b->certs[0].der, b->certs[0].len) != 0)
            goto fail;
        break;
    case MS_MATERIAL_NONE:
        goto fail;
    }
    item = b->tlog_entries ? cJSON_Duplicate(b->tlog_entries, 1) : cJSON_CreateArray();
    if (!item)
        goto fail;
    cJSON_AddItemToObject(vm, "tlogEntries", item);
    if (b->timestamp_data) {
        item = cJSON_Duplicate(b->timestamp_data, 1);
        if (!item)
            goto fail;
        cJSON_AddItemToObject(vm, "timestampVerificationData", item);
    }
    return vm;
fail:
    cJSON_Delete(vm);
    return NULL;
}

static cJSON *message_signature_to_json(const ms_message_signature *m)
{
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return NULL;
    if (m->digest || m->digest_algorithm) {
        cJSON *md = cJSON_AddObjectToObject(obj, "messageDigest");
        if (!md ||
            (m->digest_algorithm &&
             !cJSON_AddStringToObject(md, "algorithm", m->digest_algorithm)) ||
            (m->digest && add_base64(md, "digest", m->digest, m->digest_len) != 0))
            goto fail;
    }
    if (add_base64(obj, "signature", m->signature, m->signature_len) != 0)
        goto fail;
    return obj;
fail:
    cJSON_Delete(obj);
    return NULL;
}

int bundle_serialize(const ms_bundle *b, ms_buf *out, ms_error *err)
{
    int rc = 0;
    char *text = NULL;
    cJSON *item;
    if (b->material == MS_MATERIAL_NONE)
        return ms_error_set(err, MS_EINPUT, "bundle: no verification material");
    if (!b->envelope && !b->message_signature)
        return ms_error_set(err, MS_EINPUT, "bundle: no dsseEnvelope or messageSignature");
    cJSON *root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "mediaType", b->media_type))
        goto nomem;
    item = material_to_json(b);
    if (!item)
        goto nomem;
    cJSON_AddItemToObject(root, "verificationMaterial", item);
    if (b->envelope) {
        item = dsse_to_json(b->envelope);
        if (!item)
            goto nomem;
        cJSON_AddItemToObject(root, "dsseEnvelope", item);
    } else {
        item = message_signature_to_json(b->message_signature);
        if (!item)
            goto nomem;
        cJSON_AddItemToObject(root, "messageSignature", item);
    }
    text = cJSON_PrintUnformatted(root);
    msx_buf_reset(out);
    if (!text || msx_buf_append_str(out, text) != 0)
        goto nomem;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    free(text);
    cJSON_Delete(root);
    return rc;
}

/* ---- accessors -------------------------------------------------------------------------- */

const char *ms_bundle_media_type(const ms_bundle *b)
{
    return b->media_type;
}

const ms_dsse_envelope *ms_bundle_envelope(const ms_bundle *b)
{
    return b->envelope;
}

const ms_message_signature *ms_bundle_message_signature(const ms_bundle *b)
{
    return b->message_signature;
}

ms_bundle_material ms_bundle_material_kind(const ms_bundle *b)
{
    return b->material;
}

const char *ms_bundle_key_hint(const ms_bundle *b)
{
    return b->key_hint;
}

const uint8_t *ms_bundle_public_key_raw(const ms_bundle *b, size_t *len)
{
    if (len)
        *len = b->key_raw_len;
    return b->key_raw;
}

const char *ms_bundle_key_details(const ms_bundle *b)
{
    return b->key_details;
}

size_t ms_bundle_certificate_count(const ms_bundle *b)
{
    return b->n_certs;
}

const uint8_t *ms_bundle_certificate(const ms_bundle *b, size_t i, size_t *len)
{
    if (i >= b->n_certs) {
        if (len)
            *len = 0;
        return NULL;
    }
    if (len)
        *len = b->certs[i].len;
    return b->certs[i].der;
}

const cJSON *bundle_tlog_entries(const ms_bundle *b)
{
    return b->tlog_entries;
}

const cJSON *bundle_timestamp_data(const ms_bundle *b)
{
    return b->timestamp_data;
}

int ms_bundle_serialize(const ms_bundle *b, char **out, size_t *out_len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = bundle_serialize(b, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, out, out_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}

static int set_json_text(ms_bundle *b, const char *json, size_t len, int tlog, ms_error *err)
{
    cJSON *tree = NULL;
    int rc = 0;
    if (json &&
        (rc = msx_json_parse((const uint8_t *)json, len, MS_BUNDLE_MAX_SIZE,
                             tlog ? "tlogEntries" : "timestampVerificationData", &tree, err)) != 0)
        return rc;
    rc = tlog ? bundle_set_tlog_entries(b, tree, err) : bundle_set_timestamp_data(b, tree, err);
    cJSON_Delete(tree);
    return rc;
}

int ms_bundle_set_tlog_entries_json(ms_bundle *b, const char *json, size_t len, ms_error *err)
{
    return set_json_text(b, json, len, 1, err);
}

int ms_bundle_set_timestamp_data_json(ms_bundle *b, const char *json, size_t len, ms_error *err)
{
    return set_json_text(b, json, len, 0, err);
}

size_t ms_bundle_tlog_entry_count(const ms_bundle *b)
{
    return cJSON_IsArray(b->tlog_entries) ? (size_t)cJSON_GetArraySize(b->tlog_entries) : 0;
}

int ms_bundle_has_timestamp_data(const ms_bundle *b)
{
    return b->timestamp_data != NULL;
}

static int print_json(const cJSON *tree, char **out, ms_error *err)
{
    *out = NULL;
    if (tree && !(*out = cJSON_PrintUnformatted(tree)))
        return ms_error_nomem(err);
    return 0;
}

int ms_bundle_tlog_entries_json(const ms_bundle *b, char **out, ms_error *err)
{
    return print_json(b->tlog_entries, out, err);
}

int ms_bundle_timestamp_data_json(const ms_bundle *b, char **out, ms_error *err)
{
    return print_json(b->timestamp_data, out, err);
}
