/* SLSA Provenance v1 statements for trained models: building (attest provenance) and strict
 * reading (the chain policy). */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/statement_json.h"
#include "modelseal/provenance.h"
#include "modelseal/version.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/json.h"

#include "provenance_json.h"

#define MAX_PARAMETERS_SIZE ((size_t)16 << 20)

/* The trees behind the priv fields, writable (provenance_json.h gives them read-only). */
static cJSON *params_tree(const ms_provenance *p)
{
    return (cJSON *)p->priv;
}

static cJSON *annotations_tree(const ms_provenance_dependency *d)
{
    return (cJSON *)d->priv;
}

ms_provenance *ms_provenance_new(void)
{
    ms_provenance *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->build_type = strdup(MS_PROVENANCE_DEFAULT_BUILD_TYPE);
    p->priv = cJSON_CreateObject();
    if (!p->build_type || !p->priv) {
        ms_provenance_free(p);
        return NULL;
    }
    return p;
}

static void dependency_clear(ms_provenance_dependency *d)
{
    free(d->role);
    free(d->name);
    free(d->uri);
    for (size_t i = 0; i < d->n_digests; i++) {
        free(d->digests[i].algorithm);
        free(d->digests[i].value);
    }
    free(d->digests);
    free(d->manifest_sha256);
    free(d->version);
    free(d->annotations_json);
    cJSON_Delete(annotations_tree(d));
    memset(d, 0, sizeof *d);
}

static int dup_string_member(const cJSON *obj, const char *key, char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    return cJSON_IsString(v) && !(*out = strdup(v->valuestring)) ? MS_ENOMEM : 0;
}

/* Fill the dependency's typed annotation fields and annotations_json from its tree (after the
 * tree is complete). 0 or MS_ENOMEM. */
static int annotations_sync(ms_provenance_dependency *d)
{
    const cJSON *a = annotations_tree(d);
    free(d->manifest_sha256);
    free(d->version);
    free(d->annotations_json);
    d->manifest_sha256 = d->version = d->annotations_json = NULL;
    d->dirty = -1;
    if (!a)
        return 0;
    const cJSON *dirty = cJSON_GetObjectItemCaseSensitive(a, "dirty");
    d->dirty = cJSON_IsTrue(dirty) ? 1 : cJSON_IsFalse(dirty) ? 0 : -1;
    if (dup_string_member(a, "manifest_sha256", &d->manifest_sha256) != 0 ||
        dup_string_member(a, "version", &d->version) != 0 ||
        !(d->annotations_json = cJSON_PrintUnformatted(a)))
        return MS_ENOMEM;
    return 0;
}

void ms_provenance_free(ms_provenance *p)
{
    if (!p)
        return;
    free(p->subject_name);
    free(p->build_type);
    cJSON_Delete(params_tree(p));
    for (size_t i = 0; i < p->n_deps; i++)
        dependency_clear(&p->deps[i]);
    free(p->deps);
    free(p->builder_id);
    free(p->builder_version);
    free(p->invocation_id);
    free(p->started_on);
    free(p->finished_on);
    free(p);
}

int ms_provenance_set_string(char **field, const char *value, ms_error *err)
{
    char *copy = NULL;
    if (value && !(copy = strdup(value)))
        return ms_error_nomem(err);
    free(*field);
    *field = copy;
    return 0;
}

int ms_provenance_set_parameters(ms_provenance *p, const uint8_t *json, size_t len,
                                 const char *what, ms_error *err)
{
    cJSON *obj = NULL;
    int rc = msx_json_parse(json, len, MAX_PARAMETERS_SIZE, what, &obj, err);
    if (rc != 0)
        return rc;
    if (!cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return ms_error_set(err, MS_EINPUT, "%s: not a JSON object", what);
    }
    cJSON_Delete(params_tree(p));
    p->priv = obj;
    return 0;
}

int ms_provenance_add_parameter(ms_provenance *p, const char *key_value, ms_error *err)
{
    const char *eq = strchr(key_value, '=');
    if (!eq || eq == key_value)
        return ms_error_set(err, MS_EINPUT, "--param %s: expected KEY=VALUE with a non-empty KEY",
                            key_value);
    char *key = strndup(key_value, (size_t)(eq - key_value));
    cJSON *value = cJSON_CreateString(eq + 1);
    int rc = 0;
    if (!key || !value) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (!p->priv && !(p->priv = cJSON_CreateObject())) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (cJSON_GetObjectItemCaseSensitive(params_tree(p), key)) {
        if (!cJSON_ReplaceItemInObjectCaseSensitive(params_tree(p), key, value))
            rc = ms_error_nomem(err);
    } else if (!cJSON_AddItemToObject(params_tree(p), key, value)) {
        rc = ms_error_nomem(err);
    }
    if (rc == 0)
        value = NULL;
out:
    cJSON_Delete(value);
    free(key);
    return rc;
}

/* Append an empty dependency and return it, or NULL (out of memory / too many). */
static ms_provenance_dependency *new_dependency(ms_provenance *p, ms_error *err)
{
    if (p->n_deps >= MS_PROVENANCE_MAX_DEPENDENCIES) {
        ms_error_set(err, MS_EINPUT, "more than %d dependencies", MS_PROVENANCE_MAX_DEPENDENCIES);
        return NULL;
    }
    ms_provenance_dependency *d = reallocarray(p->deps, p->n_deps + 1, sizeof *d);
    if (!d) {
        ms_error_nomem(err);
        return NULL;
    }
    p->deps = d;
    d = &p->deps[p->n_deps++];
    memset(d, 0, sizeof *d);
    d->dirty = -1;
    return d;
}

static int add_digest(ms_provenance_dependency *d, const char *algorithm, const char *value)
{
    ms_provenance_digest *g = reallocarray(d->digests, d->n_digests + 1, sizeof *g);
    if (!g)
        return MS_ENOMEM;
    d->digests = g;
    g = &d->digests[d->n_digests];
    g->algorithm = strdup(algorithm);
    g->value = strdup(value);
    d->n_digests++;
    return g->algorithm && g->value ? 0 : MS_ENOMEM;
}

/* role into d->role and annotations {"role": role}. */
static int set_role(ms_provenance_dependency *d, const char *role)
{
    if (!(d->role = strdup(role)) || !(d->priv = cJSON_CreateObject()) ||
        !cJSON_AddStringToObject(annotations_tree(d), "role", role))
        return MS_ENOMEM;
    return 0;
}

/* The last dependency is complete: fill its annotation fields, or drop it after a failure (of
 * its building or of this) and return the error. */
static int finish_last(ms_provenance *p, int rc, ms_error *err)
{
    if (rc == 0 && (rc = annotations_sync(&p->deps[p->n_deps - 1])) == 0)
        return 0;
    dependency_clear(&p->deps[--p->n_deps]);
    return rc == MS_ENOMEM ? ms_error_nomem(err) : rc;
}

static int is_hex(const char *s, size_t n)
{
    uint8_t bin[32];
    return strlen(s) == n && msx_hex_decode(s, n, bin, sizeof bin, NULL) == 0;
}

int ms_provenance_add_code(ms_provenance *p, const ms_git_info *git, ms_error *err)
{
    if (!is_hex(git->commit, 40))
        return ms_error_set(err, MS_EINPUT, "code: commit %s is not 40 hex digits", git->commit);
    if (!git->url || !git->url[0])
        return ms_error_set(err, MS_EINPUT, "code: no repository URL");
    ms_provenance_dependency *d = new_dependency(p, err);
    if (!d)
        return err ? err->code : MS_ENOMEM;
    ms_buf uri = MS_BUF_INIT;
    int rc = msx_buf_printf(&uri, "git+%s", git->url);
    if (rc == 0 && git->ref)
        rc = msx_buf_printf(&uri, "@%s", git->ref);
    if (rc == 0 && (!(d->name = strdup("code")) || !(d->uri = msx_buf_detach(&uri))))
        rc = MS_ENOMEM;
    msx_buf_free(&uri);
    if (rc == 0)
        rc = add_digest(d, "gitCommit", git->commit);
    if (rc == 0)
        rc = set_role(d, "code");
    if (rc == 0 && !cJSON_AddBoolToObject(annotations_tree(d), "dirty", git->dirty != 0))
        rc = MS_ENOMEM;
    return finish_last(p, rc, err);
}

int ms_provenance_add_dataset(ms_provenance *p, const char *name, const char *source,
                              const char *version, const uint8_t root[MS_SHA256_SIZE],
                              const uint8_t manifest_digest[MS_SHA256_SIZE], ms_error *err)
{
    char root_hex[2 * MS_SHA256_SIZE + 1], manifest_hex[2 * MS_SHA256_SIZE + 1];
    if (!name || !name[0])
        return ms_error_set(err, MS_EINPUT, "dataset: no name");
    ms_provenance_dependency *d = new_dependency(p, err);
    if (!d)
        return err ? err->code : MS_ENOMEM;
    msx_hex_encode(root, MS_SHA256_SIZE, root_hex);
    msx_hex_encode(manifest_digest, MS_SHA256_SIZE, manifest_hex);
    int rc = 0;
    if (!(d->name = strdup(name)) || (source && !(d->uri = strdup(source))))
        rc = MS_ENOMEM;
    if (rc == 0)
        rc = add_digest(d, "sha256", root_hex);
    if (rc == 0)
        rc = set_role(d, "dataset");
    if (rc == 0 && !(version ? cJSON_AddStringToObject(annotations_tree(d), "version", version)
                             : cJSON_AddNullToObject(annotations_tree(d), "version")))
        rc = MS_ENOMEM;
    if (rc == 0 && !cJSON_AddStringToObject(annotations_tree(d), "manifest_sha256", manifest_hex))
        rc = MS_ENOMEM;
    return finish_last(p, rc, err);
}

int ms_provenance_add_base_model(ms_provenance *p, const char *name,
                                 const uint8_t root[MS_SHA256_SIZE], ms_error *err)
{
    char root_hex[2 * MS_SHA256_SIZE + 1];
    if (!name || !name[0])
        return ms_error_set(err, MS_EINPUT, "base model: no name");
    ms_provenance_dependency *d = new_dependency(p, err);
    if (!d)
        return err ? err->code : MS_ENOMEM;
    msx_hex_encode(root, MS_SHA256_SIZE, root_hex);
    int rc = (d->name = strdup(name)) ? 0 : MS_ENOMEM;
    if (rc == 0)
        rc = add_digest(d, "sha256", root_hex);
    if (rc == 0)
        rc = set_role(d, "base-model");
    return finish_last(p, rc, err);
}

int ms_provenance_add_package(ms_provenance *p, const char *uri, const char *sha256_hex,
                              ms_error *err)
{
    if (!uri || !uri[0])
        return ms_error_set(err, MS_EINPUT, "--dependency: empty URI");
    if (sha256_hex && !is_hex(sha256_hex, 64))
        return ms_error_set(err, MS_EINPUT, "--dependency %s: sha256 digest is not 64 hex digits",
                            uri);
    ms_provenance_dependency *d = new_dependency(p, err);
    if (!d)
        return err ? err->code : MS_ENOMEM;
    int rc = (d->uri = strdup(uri)) ? 0 : MS_ENOMEM;
    if (rc == 0 && sha256_hex) {
        char lower[65];
        for (size_t i = 0; i < 64; i++)
            lower[i] = (char)tolower((unsigned char)sha256_hex[i]);
        lower[64] = '\0';
        rc = add_digest(d, "sha256", lower);
    }
    if (rc == 0)
        rc = set_role(d, "package");
    return finish_last(p, rc, err);
}

int ms_provenance_split_dependency(const char *arg, char **uri, char **hex, ms_error *err)
{
    static const char sep[] = "=sha256:";
    const char *last = NULL;
    for (const char *s = strstr(arg, sep); s; s = strstr(s + 1, sep))
        last = s;
    *uri = NULL;
    *hex = NULL;
    size_t uri_len = last ? (size_t)(last - arg) : strlen(arg);
    if (uri_len == 0)
        return ms_error_set(err, MS_EINPUT, "--dependency %s: empty URI", arg);
    if (last && !is_hex(last + sizeof sep - 1, 64))
        return ms_error_set(err, MS_EINPUT, "--dependency %s: sha256 digest is not 64 hex digits",
                            arg);
    if (!(*uri = strndup(arg, uri_len)) || (last && !(*hex = strdup(last + sizeof sep - 1)))) {
        free(*uri);
        *uri = NULL;
        return ms_error_nomem(err);
    }
    return 0;
}

/* Read exactly `n` decimal digits at *s, advancing it. -1 when they are not there. */
static int digits(const char **s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*s)[i]))
            return -1;
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    return v;
}

int ms_provenance_rfc3339_utc(const char *text, const char *field, char out[64], ms_error *err)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const char *s = text;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int year = digits(&s, 4), mon, day, hour, min, sec;
    if (year < 0 || *s++ != '-' || (mon = digits(&s, 2)) < 1 || mon > 12 || *s++ != '-' ||
        (day = digits(&s, 2)) < 1 || day > mdays[mon - 1] || (*s != 'T' && *s != 't'))
        goto bad;
    s++;
    if ((hour = digits(&s, 2)) < 0 || hour > 23 || *s++ != ':' || (min = digits(&s, 2)) < 0 ||
        min > 59 || *s++ != ':' || (sec = digits(&s, 2)) < 0 || sec > 60)
        goto bad;
    if (mon == 2 && day == 29 && !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        goto bad;
    const char *frac = s;
    size_t frac_len = 0;
    if (*s == '.') {
        s++;
        while (isdigit((unsigned char)*s))
            s++;
        frac_len = (size_t)(s - frac);
        if (frac_len < 2 || frac_len > 20)
            goto bad;
    }
    long offset = 0;
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s++ == '-' ? -1 : 1, oh, om;
        if ((oh = digits(&s, 2)) < 0 || oh > 23 || *s++ != ':' || (om = digits(&s, 2)) < 0 ||
            om > 59)
            goto bad;
        offset = sign * (oh * 3600L + om * 60L);
    } else {
        goto bad;
    }
    if (*s != '\0')
        goto bad;
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec > 59 ? 59 : sec; /* a leap second is kept as :59 */
    time_t t = timegm(&tm) - offset;
    struct tm utc;
    if (!gmtime_r(&t, &utc) || utc.tm_year + 1900 < 0 || utc.tm_year + 1900 > 9999)
        goto bad;
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d%.*sZ", utc.tm_year + 1900, utc.tm_mon + 1,
             utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, (int)frac_len, frac);
    return 0;
bad:
    return ms_error_set(err, MS_EINPUT,
                        "%s %s: not an RFC 3339 date-time (e.g. 2025-01-31T12:00:00Z)", field,
                        text);
}

void ms_provenance_now(char out[64])
{
    time_t t = time(NULL);
    struct tm utc;
    gmtime_r(&t, &utc);
    strftime(out, 64, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* ---- building ----------------------------------------------------------------------------- */

static cJSON *dependency_json(const ms_provenance_dependency *d)
{
    cJSON *o = cJSON_CreateObject();
    int ok = o != NULL;
    if (ok && d->name)
        ok = cJSON_AddStringToObject(o, "name", d->name) != NULL;
    if (ok && d->uri)
        ok = cJSON_AddStringToObject(o, "uri", d->uri) != NULL;
    if (ok && d->n_digests) {
        cJSON *dg = cJSON_AddObjectToObject(o, "digest");
        ok = dg != NULL;
        for (size_t i = 0; ok && i < d->n_digests; i++)
            ok = cJSON_AddStringToObject(dg, d->digests[i].algorithm, d->digests[i].value) != NULL;
    }
    if (ok && provenance_annotations(d)) {
        cJSON *a = cJSON_Duplicate(provenance_annotations(d), 1);
        ok = a && cJSON_AddItemToObject(o, "annotations", a);
        if (!ok)
            cJSON_Delete(a);
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int provenance_build(const ms_provenance *p, ms_buf *payload, ms_error *err)
{
    char hex[2 * MS_SHA256_SIZE + 1];
    if (!p->subject_name || !p->subject_name[0])
        return ms_error_set(err, MS_EINPUT, "subject: no model name");
    if (!p->builder_id || !p->builder_id[0])
        return ms_error_set(err, MS_EINPUT, "runDetails.builder.id: required (--builder-id)");
    if (!p->build_type || !p->build_type[0])
        return ms_error_set(err, MS_EINPUT, "buildDefinition.buildType: empty");
    if (provenance_parameters(p) && !cJSON_IsObject(provenance_parameters(p)))
        return ms_error_set(err, MS_EINPUT, "buildDefinition.externalParameters: not an object");

    msx_hex_encode(p->subject_digest, MS_SHA256_SIZE, hex);
    cJSON *st = cJSON_CreateObject(), *subjects, *subject, *digest, *pred, *bd, *deps, *rd,
          *builder, *version, *meta;
    int ok = st && cJSON_AddStringToObject(st, "_type", MS_INTOTO_STATEMENT_TYPE) &&
             (subjects = cJSON_AddArrayToObject(st, "subject")) &&
             (subject = cJSON_CreateObject()) && cJSON_AddItemToArray(subjects, subject) &&
             cJSON_AddStringToObject(subject, "name", p->subject_name) &&
             (digest = cJSON_AddObjectToObject(subject, "digest")) &&
             cJSON_AddStringToObject(digest, "sha256", hex) &&
             cJSON_AddStringToObject(st, "predicateType", MS_SLSA_PROVENANCE_PREDICATE_TYPE) &&
             (pred = cJSON_AddObjectToObject(st, "predicate")) &&
             (bd = cJSON_AddObjectToObject(pred, "buildDefinition")) &&
             cJSON_AddStringToObject(bd, "buildType", p->build_type);
    if (ok) {
        cJSON *params = provenance_parameters(p) ? cJSON_Duplicate(provenance_parameters(p), 1)
                                                 : cJSON_CreateObject();
        ok = params && cJSON_AddItemToObject(bd, "externalParameters", params);
        if (!ok)
            cJSON_Delete(params);
    }
    ok = ok && (deps = cJSON_AddArrayToObject(bd, "resolvedDependencies"));
    for (size_t i = 0; ok && i < p->n_deps; i++) {
        cJSON *d = dependency_json(&p->deps[i]);
        ok = d && cJSON_AddItemToArray(deps, d);
        if (!ok)
            cJSON_Delete(d);
    }
    ok = ok && (rd = cJSON_AddObjectToObject(pred, "runDetails")) &&
         (builder = cJSON_AddObjectToObject(rd, "builder")) &&
         cJSON_AddStringToObject(builder, "id", p->builder_id) &&
         (version = cJSON_AddObjectToObject(builder, "version")) &&
         cJSON_AddStringToObject(version, "modelseal", ms_version()) &&
         (meta = cJSON_AddObjectToObject(rd, "metadata"));
    if (ok && p->invocation_id)
        ok = cJSON_AddStringToObject(meta, "invocationId", p->invocation_id) != NULL;
    if (ok && p->started_on)
        ok = cJSON_AddStringToObject(meta, "startedOn", p->started_on) != NULL;
    if (ok && p->finished_on)
        ok = cJSON_AddStringToObject(meta, "finishedOn", p->finished_on) != NULL;
    char *text = ok ? cJSON_PrintUnformatted(st) : NULL;
    cJSON_Delete(st);
    if (!text)
        return ms_error_nomem(err);
    msx_buf_reset(payload);
    int rc = msx_buf_append_str(payload, text);
    free(text);
    return rc ? ms_error_nomem(err) : 0;
}

/* ---- parsing ------------------------------------------------------------------------------ */

#define BD "predicate.buildDefinition"

/* An optional string member: absent/NULL fine (*out stays NULL), else must be a string. */
static int opt_string(const cJSON *obj, const char *key, const char *field, char **out,
                      ms_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v)
        return 0;
    if (!cJSON_IsString(v))
        return ms_error_set(err, MS_EINPUT, "%s.%s: not a string", field, key);
    return (*out = strdup(v->valuestring)) ? 0 : ms_error_nomem(err);
}

static int parse_dependency(const cJSON *o, size_t i, ms_provenance_dependency *d, ms_error *err)
{
    char field[96];
    snprintf(field, sizeof field, BD ".resolvedDependencies[%zu]", i);
    if (!cJSON_IsObject(o))
        return ms_error_set(err, MS_EINPUT, "%s: not an object", field);
    int rc = opt_string(o, "name", field, &d->name, err);
    if (rc == 0)
        rc = opt_string(o, "uri", field, &d->uri, err);
    if (rc != 0)
        return rc;
    const cJSON *dg = cJSON_GetObjectItemCaseSensitive(o, "digest");
    if (dg) {
        if (!cJSON_IsObject(dg))
            return ms_error_set(err, MS_EINPUT, "%s.digest: not an object", field);
        const cJSON *e;
        cJSON_ArrayForEach(e, dg)
        {
            if (!cJSON_IsString(e))
                return ms_error_set(err, MS_EINPUT, "%s.digest.%s: not a string", field, e->string);
            if (d->n_digests >= MS_PROVENANCE_MAX_DIGESTS)
                return ms_error_set(err, MS_EINPUT, "%s.digest: more than %d entries", field,
                                    MS_PROVENANCE_MAX_DIGESTS);
            if (add_digest(d, e->string, e->valuestring) != 0)
                return ms_error_nomem(err);
        }
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "annotations");
    if (a) {
        if (!cJSON_IsObject(a))
            return ms_error_set(err, MS_EINPUT, "%s.annotations: not an object", field);
        char afield[128];
        snprintf(afield, sizeof afield, "%s.annotations", field);
        if ((rc = opt_string(a, "role", afield, &d->role, err)) != 0)
            return rc;
        if (!(d->priv = cJSON_Duplicate(a, 1)))
            return ms_error_nomem(err);
    }
    if (!d->name && !d->uri && d->n_digests == 0)
        return ms_error_set(err, MS_EINPUT, "%s: has none of name, uri, digest", field);
    return annotations_sync(d) != 0 ? ms_error_nomem(err) : 0;
}

int ms_provenance_parse(const ms_statement *st, ms_provenance **out, ms_error *err)
{
    int rc = 0;
    ms_provenance *p = NULL;
    *out = NULL;
    if (!st->predicate_type || strcmp(st->predicate_type, MS_SLSA_PROVENANCE_PREDICATE_TYPE) != 0)
        return ms_error_set(err, MS_EINPUT, "predicateType %s: not %s",
                            st->predicate_type ? st->predicate_type : "(none)",
                            MS_SLSA_PROVENANCE_PREDICATE_TYPE);
    const cJSON *pred = statement_predicate(st);
    if (!cJSON_IsObject(pred))
        return ms_error_set(err, MS_EINPUT, "predicate: missing or not an object");
    if (!(p = calloc(1, sizeof *p)))
        return ms_error_nomem(err);
    memcpy(p->subject_digest, st->subject_digest, MS_SHA256_SIZE);
    if (st->subject_name && !(p->subject_name = strdup(st->subject_name))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const cJSON *bd = cJSON_GetObjectItemCaseSensitive(pred, "buildDefinition");
    if (!cJSON_IsObject(bd)) {
        rc = ms_error_set(err, MS_EINPUT, BD ": missing or not an object");
        goto out;
    }
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(bd, "buildType");
    if (!cJSON_IsString(bt)) {
        rc = ms_error_set(err, MS_EINPUT, BD ".buildType: missing or not a string");
        goto out;
    }
    if (!(p->build_type = strdup(bt->valuestring))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const cJSON *ep = cJSON_GetObjectItemCaseSensitive(bd, "externalParameters");
    if (!cJSON_IsObject(ep)) {
        rc = ms_error_set(err, MS_EINPUT, BD ".externalParameters: missing or not an object");
        goto out;
    }
    if (!(p->priv = cJSON_Duplicate(ep, 1))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const cJSON *deps = cJSON_GetObjectItemCaseSensitive(bd, "resolvedDependencies");
    if (deps) {
        if (!cJSON_IsArray(deps)) {
            rc = ms_error_set(err, MS_EINPUT, BD ".resolvedDependencies: not an array");
            goto out;
        }
        int n = cJSON_GetArraySize(deps);
        if (n > MS_PROVENANCE_MAX_DEPENDENCIES) {
            rc = ms_error_set(err, MS_EINPUT, BD ".resolvedDependencies: more than %d entries",
                              MS_PROVENANCE_MAX_DEPENDENCIES);
            goto out;
        }
        if (n > 0 && !(p->deps = calloc((size_t)n, sizeof *p->deps))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        const cJSON *d;
        cJSON_ArrayForEach(d, deps)
        {
            ms_provenance_dependency *dep = &p->deps[p->n_deps++];
            if ((rc = parse_dependency(d, p->n_deps - 1, dep, err)) != 0)
                goto out;
        }
    }
    const cJSON *rdt = cJSON_GetObjectItemCaseSensitive(pred, "runDetails");
    const cJSON *builder = cJSON_GetObjectItemCaseSensitive(rdt, "builder");
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(builder, "id");
    if (!cJSON_IsObject(rdt) || !cJSON_IsObject(builder) || !cJSON_IsString(id)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "predicate.runDetails.builder.id: missing or not a string");
        goto out;
    }
    if (!(p->builder_id = strdup(id->valuestring))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(builder, "version");
    if (version && !cJSON_IsObject(version)) {
        rc = ms_error_set(err, MS_EINPUT, "predicate.runDetails.builder.version: not an object");
        goto out;
    }
    if (version && (rc = opt_string(version, "modelseal", "predicate.runDetails.builder.version",
                                    &p->builder_version, err)) != 0)
        goto out;
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(rdt, "metadata");
    if (meta) {
        static const char mf[] = "predicate.runDetails.metadata";
        if (!cJSON_IsObject(meta)) {
            rc = ms_error_set(err, MS_EINPUT, "%s: not an object", mf);
            goto out;
        }
        if ((rc = opt_string(meta, "invocationId", mf, &p->invocation_id, err)) != 0 ||
            (rc = opt_string(meta, "startedOn", mf, &p->started_on, err)) != 0 ||
            (rc = opt_string(meta, "finishedOn", mf, &p->finished_on, err)) != 0)
            goto out;
    }
out:
    if (rc != 0) {
        ms_provenance_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

const char *ms_provenance_dependency_digest(const ms_provenance_dependency *d,
                                            const char *algorithm)
{
    for (size_t i = 0; i < d->n_digests; i++)
        if (strcmp(d->digests[i].algorithm, algorithm) == 0)
            return d->digests[i].value;
    return NULL;
}

const char *ms_provenance_parameter_key(const ms_provenance *p, size_t i)
{
    const cJSON *e;
    size_t k = 0;
    if (!provenance_parameters(p))
        return NULL;
    cJSON_ArrayForEach(e, provenance_parameters(p))
    {
        if (k++ == i)
            return e->string;
    }
    return NULL;
}

int ms_provenance_build(const ms_provenance *p, char **payload, size_t *len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = provenance_build(p, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, payload, len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}

int ms_provenance_parameters_json(const ms_provenance *p, char **out, ms_error *err)
{
    const cJSON *params = provenance_parameters(p);
    *out = params ? cJSON_PrintUnformatted(params) : strdup("{}");
    return *out ? 0 : ms_error_nomem(err);
}
