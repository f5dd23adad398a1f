/* Lineage: the repository's `.modelseal.json` (tracked models and dataset globs, with their
 * keys), glob matching, and digest parsing. The file is untrusted: strict JSON, every field's
 * type checked, unknown fields refused by name, paths confined to the repository. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash/walk.h"
#include "lineage_internal.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

void ms_lineage_config_free(ms_lineage_config *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_models; i++) {
        free(c->models[i].path);
        free(c->models[i].key);
    }
    for (size_t i = 0; i < c->n_datasets; i++) {
        free(c->datasets[i].path);
        free(c->datasets[i].key);
    }
    free(c->models);
    free(c->datasets);
    free(c);
}

static int has_glob(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == '*' || s[i] == '?' || s[i] == '[')
            return 1;
    return 0;
}

/* Normalise a configured path: strip leading "./" and trailing '/', then require a safe
 * relative path (no absolute, ".", "..", empty components, backslash). A glob component may
 * not be "." or ".." either, and ".." can never be produced by a glob, so a glob that passes
 * cannot leave the repository. Returns a malloc'd copy or NULL with err set. */
static char *normalise_path(const char *raw, const char *field, int glob_ok, ms_error *err)
{
    const char *p = raw;
    size_t len;
    if (*p == '/') {
        ms_error_set(err, MS_EINPUT, "%s: %s: an absolute path leaves the repository",
                     MS_LINEAGE_CONFIG_FILE, field);
        return NULL;
    }
    while (p[0] == '.' && p[1] == '/')
        p += 2;
    len = strlen(p);
    while (len > 0 && p[len - 1] == '/')
        len--;
    if (len == 0) {
        ms_error_set(err, MS_EINPUT, "%s: %s: empty path (the repository root is not an artifact)",
                     MS_LINEAGE_CONFIG_FILE, field);
        return NULL;
    }
    /* ".." anywhere, even as a glob's literal component, escapes the repository. */
    for (size_t i = 0; i < len;) {
        size_t j = i;
        while (j < len && p[j] != '/')
            j++;
        if ((j - i == 2 && p[i] == '.' && p[i + 1] == '.')) {
            ms_error_set(err, MS_EINPUT, "%s: %s: \"%s\" leaves the repository (\"..\")",
                         MS_LINEAGE_CONFIG_FILE, field, raw);
            return NULL;
        }
        i = j + 1;
    }
    if (!msx_path_is_safe(p, len)) {
        ms_error_set(err, MS_EINPUT,
                     "%s: %s: \"%s\" is not a plain relative path inside the repository",
                     MS_LINEAGE_CONFIG_FILE, field, raw);
        return NULL;
    }
    if (!glob_ok && has_glob(p, len)) {
        ms_error_set(err, MS_EINPUT, "%s: %s: a model path cannot be a glob (\"%s\")",
                     MS_LINEAGE_CONFIG_FILE, field, raw);
        return NULL;
    }
    if (len >= 4 && memcmp(p, ".git", 4) == 0 && (len == 4 || p[4] == '/')) {
        ms_error_set(err, MS_EINPUT, "%s: %s: \"%s\" is inside .git", MS_LINEAGE_CONFIG_FILE, field,
                     raw);
        return NULL;
    }
    char *out = strndup(p, len);
    if (!out)
        ms_error_nomem(err);
    return out;
}

static int parse_entries(const cJSON *arr, const char *name, int glob_ok, ms_lineage_entry **out,
                         size_t *n_out, ms_error *err)
{
    char field[96];
    int n;
    if (!cJSON_IsArray(arr))
        return ms_error_set(err, MS_EINPUT, "%s: %s: not an array", MS_LINEAGE_CONFIG_FILE, name);
    n = cJSON_GetArraySize(arr);
    if (n > MS_LINEAGE_MAX_ENTRIES)
        return ms_error_set(err, MS_EINPUT, "%s: %s: more than %d entries", MS_LINEAGE_CONFIG_FILE,
                            name, MS_LINEAGE_MAX_ENTRIES);
    *out = calloc(n > 0 ? (size_t)n : 1, sizeof **out);
    if (!*out)
        return ms_error_nomem(err);
    int i = 0;
    for (const cJSON *e = arr->child; e; e = e->next, i++) {
        ms_lineage_entry *ent = &(*out)[i];
        const cJSON *path = NULL, *key = NULL;
        if (!cJSON_IsObject(e))
            return ms_error_set(err, MS_EINPUT, "%s: %s[%d]: not an object", MS_LINEAGE_CONFIG_FILE,
                                name, i);
        for (const cJSON *f = e->child; f; f = f->next) {
            if (strcmp(f->string, "path") == 0)
                path = f;
            else if (strcmp(f->string, "key") == 0)
                key = f;
            else
                return ms_error_set(err, MS_EINPUT, "%s: %s[%d].%s: unknown field",
                                    MS_LINEAGE_CONFIG_FILE, name, i, f->string);
        }
        (*n_out)++;
        snprintf(field, sizeof field, "%s[%d].path", name, i);
        if (!path)
            return ms_error_set(err, MS_EINPUT, "%s: %s: missing", MS_LINEAGE_CONFIG_FILE, field);
        if (!cJSON_IsString(path))
            return ms_error_set(err, MS_EINPUT, "%s: %s: not a string", MS_LINEAGE_CONFIG_FILE,
                                field);
        if (!(ent->path = normalise_path(path->valuestring, field, glob_ok, err)))
            return err ? err->code : MS_EINPUT;
        if (key && !cJSON_IsNull(key)) {
            snprintf(field, sizeof field, "%s[%d].key", name, i);
            if (!cJSON_IsString(key))
                return ms_error_set(err, MS_EINPUT, "%s: %s: not a string", MS_LINEAGE_CONFIG_FILE,
                                    field);
            if (!(ent->key = normalise_path(key->valuestring, field, 0, err)))
                return err ? err->code : MS_EINPUT;
        }
        for (int k = 0; k < i; k++) {
            if (strcmp((*out)[k].path, ent->path) == 0)
                return ms_error_set(err, MS_EINPUT, "%s: %s[%d].path: \"%s\" is listed twice",
                                    MS_LINEAGE_CONFIG_FILE, name, i, ent->path);
        }
    }
    return 0;
}

int ms_lineage_config_parse(const uint8_t *text, size_t len, ms_lineage_config **out, ms_error *err)
{
    cJSON *root = NULL;
    ms_lineage_config *c = NULL;
    const cJSON *version = NULL, *models = NULL, *datasets = NULL;
    int rc;

    *out = NULL;
    if ((rc = msx_json_parse(text, len, MS_LINEAGE_CONFIG_MAX, MS_LINEAGE_CONFIG_FILE, &root,
                             err)) != 0)
        return rc;
    if (!cJSON_IsObject(root)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: not a JSON object", MS_LINEAGE_CONFIG_FILE);
        goto out;
    }
    for (const cJSON *f = root->child; f; f = f->next) {
        if (strcmp(f->string, "version") == 0)
            version = f;
        else if (strcmp(f->string, "models") == 0)
            models = f;
        else if (strcmp(f->string, "datasets") == 0)
            datasets = f;
        else {
            rc = ms_error_set(err, MS_EINPUT, "%s: %s: unknown field", MS_LINEAGE_CONFIG_FILE,
                              f->string);
            goto out;
        }
    }
    if (!version) {
        rc = ms_error_set(err, MS_EINPUT, "%s: version: missing", MS_LINEAGE_CONFIG_FILE);
        goto out;
    }
    if (!cJSON_IsNumber(version) || version->valuedouble != 1.0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: version: must be 1", MS_LINEAGE_CONFIG_FILE);
        goto out;
    }
    if (!(c = calloc(1, sizeof *c))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (models && (rc = parse_entries(models, "models", 0, &c->models, &c->n_models, err)) != 0)
        goto out;
    if (datasets &&
        (rc = parse_entries(datasets, "datasets", 1, &c->datasets, &c->n_datasets, err)) != 0)
        goto out;
    *out = c;
    c = NULL;
out:
    ms_lineage_config_free(c);
    cJSON_Delete(root);
    return rc;
}

/* Match one '[...]' class at *pp against byte ch; advances *pp past the class. Returns 1/0, or
 * -1 for an unterminated class (then '[' is literal). */
static int match_class(const char **pp, unsigned char ch)
{
    const char *p = *pp + 1;
    int negate = 0, matched = 0;
    if (*p == '!' || *p == '^') {
        negate = 1;
        p++;
    }
    const char *start = p;
    while (*p && (*p != ']' || p == start)) {
        if (*p == '/')
            return -1;
        if (p[1] == '-' && p[2] && p[2] != ']') {
            if ((unsigned char)p[0] <= ch && ch <= (unsigned char)p[2])
                matched = 1;
            p += 3;
        } else {
            if ((unsigned char)*p == ch)
                matched = 1;
            p++;
        }
    }
    if (*p != ']')
        return -1;
    *pp = p + 1;
    return matched != negate;
}

int ms_lineage_glob_match(const char *pattern, const char *path)
{
    const char *p = pattern, *s = path;
    const char *star_p = NULL, *star_s = NULL;
    while (*s) {
        if (*p == '*') {
            while (*p == '*')
                p++;
            star_p = p;
            star_s = s;
            continue;
        }
        if (*p == '?' && *s != '/') {
            p++;
            s++;
            continue;
        }
        if (*p == '[' && *s != '/') {
            const char *q = p;
            int m = match_class(&q, (unsigned char)*s);
            if (m == 1) {
                p = q;
                s++;
                continue;
            }
            if (m == -1 && *s == '[') {
                p++;
                s++;
                continue;
            }
        } else if (*p && *p != '?' && *p != '[' && *p == *s) {
            p++;
            s++;
            continue;
        }
        /* Mismatch: let the last '*' take one more byte, but never a '/'. */
        if (star_p && *star_s != '/') {
            star_s++;
            s = star_s;
            p = star_p;
            continue;
        }
        return 0;
    }
    while (*p == '*')
        p++;
    return *p == '\0';
}

size_t ms_lineage_glob_prefix(const char *pattern)
{
    size_t last_slash = 0;
    for (size_t i = 0; pattern[i]; i++) {
        char c = pattern[i];
        if (c == '*' || c == '?' || c == '[')
            return last_slash;
        if (c == '/')
            last_slash = i;
    }
    return last_slash;
}

int ms_lineage_parse_digest(const char *text, uint8_t out[MS_SHA256_SIZE], ms_error *err)
{
    const char *hex = text;
    if (strncmp(hex, "sha256:", 7) == 0)
        hex += 7;
    if (strlen(hex) != 64 || msx_hex_decode(hex, 64, out, MS_SHA256_SIZE, NULL) != 0)
        return ms_error_set(err, MS_EINPUT, "\"%s\": not a SHA-256 digest (sha256:<64 hex>)", text);
    return 0;
}

int ms_lineage_record(const ms_lineage_options *opts, const char *rev, int write, char **note,
                      size_t *note_len, int *written, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = lin_record(opts, rev, write, note ? &buf : NULL, written, err);
    if (rc == 0 && note && msx_buf_export(&buf, note, note_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}
