/* in-toto Statement v1 for OMS: build the signed payload from a manifest, parse it back.
 * The predicate's fields are read and written by manifest.c (serialization and resources);
 * this file handles the statement around them and the legacy v0.1 form. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/manifest_json.h"
#include "format/statement_json.h"
#include "modelseal/dsse.h"
#include "modelseal/statement.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

int statement_build(const ms_manifest *m, ms_buf *payload_out, ms_error *err)
{
    int rc = 0;
    char hex[2 * MS_SHA256_SIZE + 1];
    char *text = NULL;
    cJSON *root = NULL, *subject, *digest, *predicate, *item;

    if (!m->model_name || !m->model_name[0])
        return ms_error_set(err, MS_EINPUT, "statement subject: the model name is empty");
    msx_hex_encode(m->root_digest, MS_SHA256_SIZE, hex);

    root = cJSON_CreateObject();
    if (!root || !cJSON_AddStringToObject(root, "_type", MS_INTOTO_STATEMENT_TYPE))
        goto nomem;
    item = cJSON_AddArrayToObject(root, "subject");
    subject = cJSON_CreateObject();
    if (!item || !subject)
        goto nomem_subject;
    cJSON_AddItemToArray(item, subject);
    if (!cJSON_AddStringToObject(subject, "name", m->model_name))
        goto nomem;
    digest = cJSON_AddObjectToObject(subject, "digest");
    if (!digest || !cJSON_AddStringToObject(digest, "sha256", hex))
        goto nomem;
    if (!cJSON_AddStringToObject(root, "predicateType", MS_OMS_PREDICATE_TYPE))
        goto nomem;
    predicate = cJSON_AddObjectToObject(root, "predicate");
    if (!predicate)
        goto nomem;
    item = serialization_to_json(&m->serialization);
    if (!item)
        goto nomem;
    cJSON_AddItemToObject(predicate, "serialization", item);
    item = resources_to_json(m);
    if (!item)
        goto nomem;
    cJSON_AddItemToObject(predicate, "resources", item);

    text = cJSON_PrintUnformatted(root);
    if (!text)
        goto nomem;
    msx_buf_reset(payload_out);
    if (msx_buf_append_str(payload_out, text) != 0)
        goto nomem;
    goto out;
nomem_subject:
    cJSON_Delete(subject);
nomem:
    rc = ms_error_nomem(err);
out:
    free(text);
    cJSON_Delete(root);
    return rc;
}

/* digest.sha256 of a subject: 64 hex digits into out. `where` names the subject. */
static int parse_subject_digest(const cJSON *subject, const char *where, uint8_t *out,
                                ms_error *err)
{
    const cJSON *digest = cJSON_GetObjectItemCaseSensitive(subject, "digest");
    if (!cJSON_IsObject(digest))
        return ms_error_set(err, MS_EINPUT, "statement %s.digest: %s", where,
                            digest ? "not an object" : "missing");
    const cJSON *sha = cJSON_GetObjectItemCaseSensitive(digest, "sha256");
    if (!cJSON_IsString(sha) || !sha->valuestring)
        return ms_error_set(err, MS_EINPUT, "statement %s.digest.sha256: %s", where,
                            sha ? "not a string" : "missing");
    size_t len = strlen(sha->valuestring), got = 0;
    int lower = 1;
    for (size_t i = 0; i < len; i++)
        lower &= !(sha->valuestring[i] >= 'A' && sha->valuestring[i] <= 'F');
    if (len != 2 * MS_SHA256_SIZE || !lower ||
        msx_hex_decode(sha->valuestring, len, out, MS_SHA256_SIZE, &got) != 0 ||
        got != MS_SHA256_SIZE)
        return ms_error_set(err, MS_EINPUT,
                            "statement %s.digest.sha256: not 64 lowercase hex digits", where);
    return 0;
}

static int parse_subject_name(const cJSON *subject, const char *where, const char **name,
                              ms_error *err)
{
    if (!cJSON_IsObject(subject))
        return ms_error_set(err, MS_EINPUT, "statement %s: not an object", where);
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(subject, "name");
    if (!cJSON_IsString(n) || !n->valuestring || !n->valuestring[0])
        return ms_error_set(err, MS_EINPUT, "statement %s.name: %s", where,
                            !n                  ? "missing"
                            : cJSON_IsString(n) ? "empty"
                                                : "not a string");
    *name = n->valuestring;
    return 0;
}

/* The v0.1 predicate (model_signing 0.2.0) signs one subject per file and leaves the predicate
 * empty. Map each subject to a files/sha256 resource and let manifest.c check the names. */
static int parse_legacy(ms_statement *st, const cJSON *subjects, ms_error *err)
{
    int rc = 0;
    char where[48];
    uint8_t digest[MS_SHA256_SIZE];
    cJSON *resources = NULL;
    int n = cJSON_GetArraySize(subjects);
    if (n < 1 || n > MS_STATEMENT_MAX_LEGACY_SUBJECTS)
        return ms_error_set(err, MS_EINPUT, "statement subject: %s",
                            n < 1 ? "empty" : "too many subjects");
    st->manifest = ms_manifest_new();
    resources = cJSON_CreateArray();
    if (!st->manifest || !resources) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ms_serialization_init(&st->manifest->serialization);
    int i = 0;
    const cJSON *subject;
    cJSON_ArrayForEach(subject, subjects)
    {
        const char *name = NULL;
        snprintf(where, sizeof(where), "subject[%d]", i);
        rc = parse_subject_name(subject, where, &name, err);
        if (rc == 0)
            rc = parse_subject_digest(subject, where, digest, err);
        if (rc != 0)
            goto out;
        const cJSON *ann = cJSON_GetObjectItemCaseSensitive(subject, "annotations");
        const cJSON *alg = cJSON_IsObject(ann)
                               ? cJSON_GetObjectItemCaseSensitive(ann, "actual_hash_algorithm")
                               : NULL;
        if (alg && !(cJSON_IsString(alg) && strcmp(alg->valuestring, "file-sha256") == 0)) {
            rc = ms_error_set(err, MS_EINPUT,
                              "statement %s.annotations.actual_hash_algorithm: unsupported "
                              "(only file-sha256)",
                              where);
            goto out;
        }
        const cJSON *sha = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(subject, "digest"), "sha256");
        cJSON *r = cJSON_CreateObject();
        if (!r) {
            rc = ms_error_nomem(err);
            goto out;
        }
        cJSON_AddItemToArray(resources, r);
        if (!cJSON_AddStringToObject(r, "name", name) ||
            !cJSON_AddStringToObject(r, "algorithm", "sha256") ||
            !cJSON_AddStringToObject(r, "digest", sha->valuestring)) {
            rc = ms_error_nomem(err);
            goto out;
        }
        i++;
    }
    rc = resources_from_json(resources, st->manifest, err);
    if (rc != 0)
        goto out;
    memcpy(st->subject_digest, st->manifest->root_digest, MS_SHA256_SIZE);
    st->legacy = 1;
out:
    cJSON_Delete(resources);
    return rc;
}

static int parse_statement(const uint8_t *payload, size_t len, int oms, ms_statement **out,
                           ms_error *err)
{
    int rc = 0;
    ms_statement *st = calloc(1, sizeof(*st));
    if (!st)
        return ms_error_nomem(err);
    cJSON *tree = NULL;
    rc = msx_json_parse(payload, len, MS_STATEMENT_MAX_SIZE, "statement", &tree, err);
    st->priv = tree;
    if (rc != 0)
        goto out;
    const cJSON *root = tree;
    if (!cJSON_IsObject(root)) {
        rc = ms_error_set(err, MS_EINPUT, "statement: not a JSON object");
        goto out;
    }
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "_type");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, MS_INTOTO_STATEMENT_TYPE) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "statement _type: %s, expected %s",
                          !type                  ? "missing"
                          : cJSON_IsString(type) ? "unsupported"
                                                 : "not a string",
                          MS_INTOTO_STATEMENT_TYPE);
        goto out;
    }
    const cJSON *ptype = cJSON_GetObjectItemCaseSensitive(root, "predicateType");
    if (!cJSON_IsString(ptype) || !ptype->valuestring[0]) {
        rc = ms_error_set(err, MS_EINPUT, "statement predicateType: %s",
                          !ptype                  ? "missing"
                          : cJSON_IsString(ptype) ? "empty"
                                                  : "not a string");
        goto out;
    }
    st->predicate_type = strdup(ptype->valuestring);
    if (!st->predicate_type) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const cJSON *predicate = cJSON_GetObjectItemCaseSensitive(root, "predicate");
    if (predicate && !cJSON_IsObject(predicate)) {
        rc = ms_error_set(err, MS_EINPUT, "statement predicate: not an object");
        goto out;
    }
    const cJSON *subjects = cJSON_GetObjectItemCaseSensitive(root, "subject");
    if (!cJSON_IsArray(subjects)) {
        rc = ms_error_set(err, MS_EINPUT, "statement subject: %s",
                          subjects ? "not an array" : "missing");
        goto out;
    }

    int is_oms = strcmp(st->predicate_type, MS_OMS_PREDICATE_TYPE) == 0;
    if (oms && strcmp(st->predicate_type, MS_OMS_LEGACY_PREDICATE_TYPE) == 0) {
        rc = parse_legacy(st, subjects, err);
        goto out;
    }
    if (oms && !is_oms) {
        rc = ms_error_set(err, MS_EINPUT, "statement: unsupported predicateType \"%.200s\"",
                          st->predicate_type);
        goto out;
    }
    if (cJSON_GetArraySize(subjects) != 1) {
        rc = ms_error_set(err, MS_EINPUT, "statement subject: %d subjects, expected exactly one",
                          cJSON_GetArraySize(subjects));
        goto out;
    }
    const char *name = NULL;
    rc = parse_subject_name(subjects->child, "subject[0]", &name, err);
    if (rc == 0)
        rc = parse_subject_digest(subjects->child, "subject[0]", st->subject_digest, err);
    if (rc != 0)
        goto out;
    st->subject_name = strdup(name);
    if (!st->subject_name) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (!oms)
        goto out;

    if (!predicate) {
        rc = ms_error_set(err, MS_EINPUT, "statement predicate: missing");
        goto out;
    }
    const cJSON *ser = cJSON_GetObjectItemCaseSensitive(predicate, "serialization");
    const cJSON *resources = cJSON_GetObjectItemCaseSensitive(predicate, "resources");
    if (!ser || !resources) {
        rc = ms_error_set(err, MS_EINPUT, "statement predicate.%s: missing",
                          ser ? "resources" : "serialization");
        goto out;
    }
    st->manifest = ms_manifest_new();
    if (!st->manifest) {
        rc = ms_error_nomem(err);
        goto out;
    }
    st->manifest->model_name = strdup(name);
    if (!st->manifest->model_name) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = serialization_from_json(ser, &st->manifest->serialization, err);
    if (rc == 0)
        rc = resources_from_json(resources, st->manifest, err);
out:
    if (rc == 0)
        *out = st;
    else
        ms_statement_free(st);
    return rc;
}

int ms_statement_parse(const uint8_t *payload, size_t len, ms_statement **out, ms_error *err)
{
    return parse_statement(payload, len, 1, out, err);
}

int ms_statement_parse_generic(const uint8_t *payload, size_t len, ms_statement **out,
                               ms_error *err)
{
    return parse_statement(payload, len, 0, out, err);
}

const cJSON *statement_predicate(const ms_statement *st)
{
    return cJSON_GetObjectItemCaseSensitive((const cJSON *)st->priv, "predicate");
}

int ms_statement_predicate_json(const ms_statement *st, char **out, ms_error *err)
{
    const cJSON *pred = statement_predicate(st);
    *out = NULL;
    if (pred && !(*out = cJSON_PrintUnformatted(pred)))
        return ms_error_nomem(err);
    return 0;
}

void ms_statement_free(ms_statement *st)
{
    if (!st)
        return;
    free(st->subject_name);
    free(st->predicate_type);
    ms_manifest_free(st->manifest);
    cJSON_Delete((cJSON *)st->priv);
    free(st);
}

int ms_statement_from_bundle(const ms_bundle *bundle, int generic, ms_statement **out,
                             ms_error *err)
{
    const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
    if (!env)
        return ms_error_set(err, MS_EINPUT, "the bundle has no DSSE envelope");
    return generic ? ms_statement_parse_generic(env->payload, env->payload_len, out, err)
                   : ms_statement_parse(env->payload, env->payload_len, out, err);
}

int ms_statement_build(const ms_manifest *m, char **payload, size_t *len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = statement_build(m, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, payload, len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}
