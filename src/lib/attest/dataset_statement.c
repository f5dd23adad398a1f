/* The dataset statement: build it from a manifest's header, read it back, check it. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "dataset_internal.h"
#include "format/statement_json.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "modelseal/manifest.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define MAX_JSON_INTEGER (UINT64_C(1) << 53)

/* ---- the dataset statement ---------------------------------------------------------------- */

/* Add `s` (or null) to `obj`; 1 on success. */
static int add_nullable(cJSON *obj, const char *key, const char *s)
{
    cJSON *item = s ? cJSON_CreateString(s) : cJSON_CreateNull();
    if (!item || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        return 0;
    }
    return 1;
}

int dataset_statement_build(const ms_dataset_info *info, ms_buf *payload, ms_error *err)
{
    char root[2 * MS_SHA256_SIZE + 1], mdig[2 * MS_SHA256_SIZE + 1];
    char *text = NULL;
    int rc = 0;
    if (!info->name || !info->name[0])
        return ms_error_set(err, MS_EINPUT, "dataset statement: no name");
    if (info->files > MAX_JSON_INTEGER || info->bytes > MAX_JSON_INTEGER)
        return ms_error_set(err, MS_EINPUT,
                            "dataset statement: files or bytes above 2^53 cannot be stated "
                            "exactly in JSON");
    msx_hex_encode(info->root_digest, MS_SHA256_SIZE, root);
    msx_hex_encode(info->manifest_digest, MS_SHA256_SIZE, mdig);
    /* Every cJSON call below returns NULL only when out of memory; `ok` collects them. */
    cJSON *st = cJSON_CreateObject();
    int ok = st && cJSON_AddStringToObject(st, "_type", MS_INTOTO_STATEMENT_TYPE);
    cJSON *subjects = ok ? cJSON_AddArrayToObject(st, "subject") : NULL;
    cJSON *subject = cJSON_CreateObject();
    ok = ok && subjects && subject && cJSON_AddItemToArray(subjects, subject);
    if (!ok)
        cJSON_Delete(subject);
    ok = ok && cJSON_AddStringToObject(subject, "name", info->name);
    cJSON *sd = ok ? cJSON_AddObjectToObject(subject, "digest") : NULL;
    ok = ok && sd && cJSON_AddStringToObject(sd, "sha256", root) &&
         cJSON_AddStringToObject(st, "predicateType", MS_DATASET_PREDICATE_TYPE);
    cJSON *pred = ok ? cJSON_AddObjectToObject(st, "predicate") : NULL;
    ok = ok && pred && cJSON_AddStringToObject(pred, "name", info->name) &&
         add_nullable(pred, "version", info->version) &&
         add_nullable(pred, "source", info->source) &&
         add_nullable(pred, "license", info->license) &&
         cJSON_AddStringToObject(pred, "algorithm", ms_hash_name(info->algorithm)) &&
         msx_json_add_uint(pred, "files", info->files) &&
         msx_json_add_uint(pred, "bytes", info->bytes);
    cJSON *md = ok ? cJSON_AddObjectToObject(pred, "manifest_digest") : NULL;
    ok = ok && md && cJSON_AddStringToObject(md, "sha256", mdig);
    if (!ok || !(text = cJSON_PrintUnformatted(st))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    msx_buf_reset(payload);
    if (msx_buf_append_str(payload, text))
        rc = ms_error_nomem(err);
out:
    free(text);
    cJSON_Delete(st);
    return rc;
}

static int pred_text(const cJSON *pred, const char *field, int nullable, char **out, ms_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(pred, field);
    *out = NULL;
    if (!item)
        return ms_error_set(err, MS_EINPUT, "dataset statement: predicate.%s: missing", field);
    if (nullable && cJSON_IsNull(item))
        return 0;
    if (!cJSON_IsString(item) || !item->valuestring[0])
        return ms_error_set(err, MS_EINPUT, "dataset statement: predicate.%s: not a%s string",
                            field, nullable ? " non-empty string or null, nor" : " non-empty");
    if (!(*out = strdup(item->valuestring)))
        return ms_error_nomem(err);
    return 0;
}

static int pred_count(const cJSON *pred, const char *field, uint64_t *out, ms_error *err)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(pred, field);
    double d = item ? item->valuedouble : -1;
    if (!cJSON_IsNumber(item) || !(d >= 0) || d > (double)MAX_JSON_INTEGER ||
        (double)(uint64_t)d != d)
        return ms_error_set(err, MS_EINPUT,
                            "dataset statement: predicate.%s: not a non-negative integer", field);
    *out = (uint64_t)d;
    return 0;
}

int ms_dataset_info_from_statement(const ms_statement *st, ms_dataset_info *info, ms_error *err)
{
    ms_dataset_info tmp;
    char *alg = NULL;
    int rc = 0;
    memset(&tmp, 0, sizeof tmp);
    if (!st->predicate_type || strcmp(st->predicate_type, MS_DATASET_PREDICATE_TYPE) != 0)
        return ms_error_set(err, MS_EINPUT, "not a dataset statement (predicateType %.200s)",
                            st->predicate_type ? st->predicate_type : "missing");
    const cJSON *pred = statement_predicate(st);
    if (!cJSON_IsObject(pred))
        return ms_error_set(err, MS_EINPUT, "dataset statement: predicate: missing");
    if ((rc = pred_text(pred, "name", 0, &tmp.name, err)) != 0 ||
        (rc = pred_text(pred, "version", 1, &tmp.version, err)) != 0 ||
        (rc = pred_text(pred, "source", 1, &tmp.source, err)) != 0 ||
        (rc = pred_text(pred, "license", 1, &tmp.license, err)) != 0 ||
        (rc = pred_text(pred, "algorithm", 0, &alg, err)) != 0 ||
        (rc = pred_count(pred, "files", &tmp.files, err)) != 0 ||
        (rc = pred_count(pred, "bytes", &tmp.bytes, err)) != 0)
        goto out;
    if (ms_hash_parse(alg, &tmp.algorithm) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "dataset statement: predicate.algorithm: unknown %.64s",
                          alg);
        goto out;
    }
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(pred, "manifest_digest");
    const cJSON *mh = cJSON_IsObject(md) ? cJSON_GetObjectItemCaseSensitive(md, "sha256") : NULL;
    size_t n = 0;
    if (!cJSON_IsString(mh) || strlen(mh->valuestring) != 2 * MS_SHA256_SIZE ||
        msx_hex_decode(mh->valuestring, 2 * MS_SHA256_SIZE, tmp.manifest_digest, MS_SHA256_SIZE,
                       &n) != 0) {
        rc = ms_error_set(err, MS_EINPUT,
                          "dataset statement: predicate.manifest_digest.sha256: not 64 hex digits");
        goto out;
    }
    if (!st->subject_name || strcmp(st->subject_name, tmp.name) != 0) {
        rc = ms_error_set(err, MS_EINPUT,
                          "dataset statement: subject name differs from predicate.name");
        goto out;
    }
    memcpy(tmp.root_digest, st->subject_digest, MS_SHA256_SIZE);
    ms_dataset_info_clear(info);
    *info = tmp;
    memset(&tmp, 0, sizeof tmp);
out:
    free(alg);
    ms_dataset_info_clear(&tmp);
    return rc;
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int ms_dataset_statement_check(const ms_statement *st, const ms_dataset_info *info, ms_error *err)
{
    ms_dataset_info s;
    char a[2 * MS_SHA256_SIZE + 1], b[2 * MS_SHA256_SIZE + 1];
    int rc;
    memset(&s, 0, sizeof s);
    if ((rc = ms_dataset_info_from_statement(st, &s, err)) != 0)
        return rc;
    if (strcmp(s.name, info->name) != 0) {
        rc = ms_error_set(err, MS_EVERIFY,
                          "the signed statement is for dataset \"%.200s\", the manifest is "
                          "\"%.200s\"",
                          s.name, info->name);
    } else if (sodium_memcmp(s.root_digest, info->root_digest, MS_SHA256_SIZE) != 0) {
        msx_hex_encode(s.root_digest, MS_SHA256_SIZE, a);
        msx_hex_encode(info->root_digest, MS_SHA256_SIZE, b);
        rc = ms_error_set(err, MS_EVERIFY,
                          "root digest: signed sha256:%s, the manifest's is sha256:%s", a, b);
    } else if (sodium_memcmp(s.manifest_digest, info->manifest_digest, MS_SHA256_SIZE) != 0) {
        msx_hex_encode(s.manifest_digest, MS_SHA256_SIZE, a);
        msx_hex_encode(info->manifest_digest, MS_SHA256_SIZE, b);
        rc = ms_error_set(err, MS_EVERIFY,
                          "manifest_digest: signed sha256:%s, the manifest's is sha256:%s (the "
                          "manifest is not the one that was signed)",
                          a, b);
    } else if (!same_text(s.version, info->version)) {
        rc = ms_error_set(err, MS_EVERIFY, "version: the signed statement and the manifest differ");
    } else if (!same_text(s.source, info->source)) {
        rc = ms_error_set(err, MS_EVERIFY, "source: the signed statement and the manifest differ");
    } else if (!same_text(s.license, info->license)) {
        rc = ms_error_set(err, MS_EVERIFY, "license: the signed statement and the manifest differ");
    } else if (s.algorithm != info->algorithm) {
        rc = ms_error_set(err, MS_EVERIFY, "algorithm: signed %s, the manifest's is %s",
                          ms_hash_name(s.algorithm), ms_hash_name(info->algorithm));
    } else if (s.files != info->files) {
        rc = ms_error_set(err, MS_EVERIFY, "files: signed %llu, the manifest lists %llu",
                          (unsigned long long)s.files, (unsigned long long)info->files);
    } else if (s.bytes != info->bytes) {
        rc = ms_error_set(err, MS_EVERIFY, "bytes: signed %llu, the manifest has %llu",
                          (unsigned long long)s.bytes, (unsigned long long)info->bytes);
    }
    ms_dataset_info_clear(&s);
    return rc;
}
