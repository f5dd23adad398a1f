/* Policy files (modelseal-policy(5)): strict parsing and validation, and loading the keys and
 * certificate chains a policy names. Verifying a chain against a policy is chain.c's job.
 *
 * Every field is known: an unknown field, a wrong type, a missing mandatory field, a key name
 * used but not defined, or a version other than 1 is an error naming the field's path
 * ("policy.provenance.builder_ids[1]: not a string"). A policy we do not fully understand is
 * never applied in part. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash/walk.h"
#include "modelseal/policy.h"
#include "modelseal/sigstore.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#define MAX_LIST 4096 /* entries in any list of a policy */
#define MAX_KEYS 256  /* keys in a policy */

typedef struct parser {
    const char *what;     /* the file, for messages */
    const char *base_dir; /* relative paths are resolved against it (NULL: as given) */
    ms_error *err;
} parser;

/* MS_EINPUT "<what>: <path>: <cause>". */
static int fail(parser *ps, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(parser *ps, const char *path, const char *fmt, ...)
{
    char cause[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cause, sizeof cause, fmt, ap);
    va_end(ap);
    return ms_error_set(ps->err, MS_EINPUT, "%s: %s: %s", ps->what, path, cause);
}

/* A field path into out (size >= 4), with "..." when it does not fit. */
static void path_printf(char *out, size_t size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void path_printf(char *out, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, size, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= size)
        memcpy(out + size - 4, "...", 4);
}

/* "parent.name" into out. */
static void join(char *out, size_t size, const char *parent, const char *name)
{
    path_printf(out, size, "%s.%s", parent, name);
}

static void strings_clear(ms_policy_strings *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof *s);
}

static void signers_clear(ms_policy_signers *s)
{
    strings_clear(&s->names);
    free(s->index);
    s->index = NULL;
}

void ms_policy_free(ms_policy *p)
{
    if (!p)
        return;
    free(p->file);
    free(p->expires_text);
    for (size_t i = 0; i < p->n_keys; i++) {
        free(p->keys[i].name);
        free(p->keys[i].path);
        ms_key_free(p->keys[i].key);
        ms_x509_chain_free(p->keys[i].roots);
        free(p->keys[i].identity);
        ms_trusted_root_free(p->keys[i].sigstore_root);
        free(p->keys[i].issuer);
    }
    free(p->keys);
    signers_clear(&p->model_signers);
    signers_clear(&p->provenance_signers);
    strings_clear(&p->model_ignore);
    strings_clear(&p->builder_ids);
    strings_clear(&p->build_types);
    strings_clear(&p->allowed_parameters);
    signers_clear(&p->dataset_signers);
    strings_clear(&p->datasets_required);
    for (size_t i = 0; i < p->n_datasets_data; i++) {
        free(p->datasets_data[i].name);
        free(p->datasets_data[i].manifest);
        free(p->datasets_data[i].path);
    }
    free(p->datasets_data);
    strings_clear(&p->code_uris);
    strings_clear(&p->code_refs);
    free(p->code_repository);
    signers_clear(&p->base_model_signers);
    free(p);
}

int ms_policy_expired(const ms_policy *p, int64_t now)
{
    return p->has_expires && now >= p->expires;
}

int ms_policy_ref_matches(const char *pattern, const char *ref)
{
    size_t n = strlen(pattern);
    if (n > 0 && pattern[n - 1] == '*')
        return strncmp(pattern, ref, n - 1) == 0;
    return strcmp(pattern, ref) == 0;
}

/* ---- field helpers ------------------------------------------------------------------------ */

/* `obj` must be an object whose every member is named in `allowed` (NULL-terminated). */
static int check_object(parser *ps, const cJSON *obj, const char *path, const char *const *allowed)
{
    if (!cJSON_IsObject(obj))
        return fail(ps, path, "not an object");
    for (const cJSON *c = obj->child; c; c = c->next) {
        int known = 0;
        for (size_t i = 0; allowed[i]; i++)
            known |= strcmp(c->string, allowed[i]) == 0;
        if (!known) {
            char sub[512];
            join(sub, sizeof sub, path, c->string);
            return fail(ps, sub, "unknown field");
        }
    }
    return 0;
}

/* A non-empty string without control characters (JSON already excluded NUL). */
static int check_string(parser *ps, const cJSON *item, const char *path)
{
    if (!item)
        return fail(ps, path, "missing");
    if (!cJSON_IsString(item))
        return fail(ps, path, "not a string");
    if (!item->valuestring[0])
        return fail(ps, path, "empty string");
    for (const unsigned char *s = (const unsigned char *)item->valuestring; *s; s++)
        if (*s < 0x20 || *s == 0x7f)
            return fail(ps, path, "control character in string");
    return 0;
}

static int get_string(parser *ps, const cJSON *obj, const char *parent, const char *name,
                      char **out)
{
    char path[512];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    join(path, sizeof path, parent, name);
    int rc = check_string(ps, item, path);
    if (rc)
        return rc;
    if (!(*out = strdup(item->valuestring)))
        return ms_error_nomem(ps->err);
    return 0;
}

/* A boolean member, or `def` when absent. */
static int get_bool(parser *ps, const cJSON *obj, const char *parent, const char *name, int def,
                    int *out)
{
    char path[512];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    *out = def;
    if (!item)
        return 0;
    join(path, sizeof path, parent, name);
    if (!cJSON_IsBool(item))
        return fail(ps, path, "not a boolean");
    *out = cJSON_IsTrue(item) ? 1 : 0;
    return 0;
}

/* A list of strings; `non_empty` refuses []. Duplicates are refused: a list is a set. */
static int get_strings(parser *ps, const cJSON *obj, const char *parent, const char *name,
                       int non_empty, ms_policy_strings *out)
{
    char path[512], elem[560];
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, name);
    join(path, sizeof path, parent, name);
    if (!cJSON_IsArray(item))
        return fail(ps, path, item ? "not an array" : "missing");
    int n = cJSON_GetArraySize(item);
    if (n == 0 && non_empty)
        return fail(ps, path, "empty list");
    if (n > MAX_LIST)
        return fail(ps, path, "more than %d entries", MAX_LIST);
    if (n > 0 && !(out->items = calloc((size_t)n, sizeof *out->items)))
        return ms_error_nomem(ps->err);
    size_t i = 0;
    for (const cJSON *c = item->child; c; c = c->next, i++) {
        path_printf(elem, sizeof elem, "%s[%zu]", path, i);
        int rc = check_string(ps, c, elem);
        if (rc)
            return rc;
        for (size_t j = 0; j < out->n; j++)
            if (strcmp(out->items[j], c->valuestring) == 0)
                return fail(ps, elem, "\"%s\" is listed twice", c->valuestring);
        if (!(out->items[out->n] = strdup(c->valuestring)))
            return ms_error_nomem(ps->err);
        out->n++;
    }
    return 0;
}

/* A path, resolved against the policy's directory. */
static int get_path(parser *ps, const cJSON *obj, const char *parent, const char *name, char **out)
{
    char *raw = NULL;
    int rc = get_string(ps, obj, parent, name, &raw);
    if (rc)
        return rc;
    if (raw[0] == '/' || !ps->base_dir) {
        *out = raw;
        return 0;
    }
    ms_buf b = MS_BUF_INIT;
    rc = msx_buf_printf(&b, "%s/%s", ps->base_dir, raw);
    free(raw);
    if (rc)
        return ms_error_nomem(ps->err);
    *out = msx_buf_detach(&b);
    return *out ? 0 : ms_error_nomem(ps->err);
}

/* ---- sections ----------------------------------------------------------------------------- */

/* {"sigstore": {"identity", "issuer", "trusted_root"}}: a keyless signer, verified offline. */
static int parse_sigstore(parser *ps, const cJSON *sig, const char *parent, ms_policy_key *k)
{
    static const char *const allowed[] = {"identity", "issuer", "trusted_root", NULL};
    char path[512];
    ms_error rerr;
    int rc;
    join(path, sizeof path, parent, "sigstore");
    if ((rc = check_object(ps, sig, path, allowed)) != 0 ||
        (rc = get_string(ps, sig, path, "identity", &k->identity)) != 0 ||
        (rc = get_string(ps, sig, path, "issuer", &k->issuer)) != 0 ||
        (rc = get_path(ps, sig, path, "trusted_root", &k->path)) != 0)
        return rc;
    rc = ms_trusted_root_load(k->path, &k->sigstore_root, &rerr);
    if (rc) {
        char sub[560];
        path_printf(sub, sizeof sub, "%s.trusted_root", path);
        return rc == MS_ENOMEM ? ms_error_nomem(ps->err) : fail(ps, sub, "%s", rerr.message);
    }
    return 0;
}

static int parse_key(parser *ps, ms_policy *p, const cJSON *item, const char *path,
                     ms_policy_key *k)
{
    static const char *const allowed[] = {"public_key", "certificate_chain", "identity", "sigstore",
                                          NULL};
    char sub[512];
    int rc = check_object(ps, item, path, allowed);
    if (rc)
        return rc;
    (void)p;
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(item, "public_key");
    const cJSON *chain = cJSON_GetObjectItemCaseSensitive(item, "certificate_chain");
    const cJSON *identity = cJSON_GetObjectItemCaseSensitive(item, "identity");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(item, "sigstore");
    if (sig) {
        if (pub || chain || identity)
            return fail(ps, path,
                        "needs exactly one of public_key, certificate_chain and sigstore");
        return parse_sigstore(ps, sig, path, k);
    }
    if ((pub != NULL) == (chain != NULL))
        return fail(ps, path, "needs exactly one of public_key, certificate_chain and sigstore");
    if (pub) {
        if (identity) {
            join(sub, sizeof sub, path, "identity");
            return fail(ps, sub, "only with certificate_chain");
        }
        if ((rc = get_path(ps, item, path, "public_key", &k->path)) != 0)
            return rc;
        ms_error kerr;
        rc = ms_key_load_public(k->path, &k->key, &kerr);
        if (rc) {
            join(sub, sizeof sub, path, "public_key");
            return rc == MS_ENOMEM ? ms_error_nomem(ps->err) : fail(ps, sub, "%s", kerr.message);
        }
        return 0;
    }
    ms_policy_strings files = {0};
    join(sub, sizeof sub, path, "certificate_chain");
    if ((rc = get_strings(ps, item, path, "certificate_chain", 1, &files)) != 0)
        goto out;
    if (!identity) {
        join(sub, sizeof sub, path, "identity");
        rc = fail(ps, sub, "missing (a certificate chain needs the signer's exact identity)");
        goto out;
    }
    if ((rc = get_string(ps, item, path, "identity", &k->identity)) != 0)
        goto out;
    if (!(k->roots = ms_x509_chain_new())) {
        rc = ms_error_nomem(ps->err);
        goto out;
    }
    for (size_t i = 0; i < files.n; i++) {
        char elem[560];
        ms_buf full = MS_BUF_INIT;
        path_printf(elem, sizeof elem, "%s[%zu]", sub, i);
        if (files.items[i][0] == '/' || !ps->base_dir)
            rc = msx_buf_append_str(&full, files.items[i]);
        else
            rc = msx_buf_printf(&full, "%s/%s", ps->base_dir, files.items[i]);
        if (rc) {
            msx_buf_free(&full);
            rc = ms_error_nomem(ps->err);
            goto out;
        }
        ms_error cerr;
        rc = ms_x509_chain_append_file(k->roots, (const char *)full.data, &cerr);
        if (rc == 0 && !k->path) {
            k->path = msx_buf_detach(&full);
            if (!k->path)
                rc = ms_error_nomem(ps->err);
        }
        msx_buf_free(&full);
        if (rc) {
            if (rc != MS_ENOMEM)
                rc = fail(ps, elem, "%s", cerr.message);
            goto out;
        }
    }
out:
    strings_clear(&files);
    return rc;
}

static int parse_keys(parser *ps, ms_policy *p, const cJSON *keys)
{
    if (!keys)
        return fail(ps, "policy.keys", "missing");
    if (!cJSON_IsObject(keys))
        return fail(ps, "policy.keys", "not an object");
    int n = cJSON_GetArraySize(keys);
    if (n == 0)
        return fail(ps, "policy.keys", "no keys defined");
    if (n > MAX_KEYS)
        return fail(ps, "policy.keys", "more than %d keys", MAX_KEYS);
    if (!(p->keys = calloc((size_t)n, sizeof *p->keys)))
        return ms_error_nomem(ps->err);
    for (const cJSON *c = keys->child; c; c = c->next) {
        char path[512];
        join(path, sizeof path, "policy.keys", c->string);
        if (!c->string[0])
            return fail(ps, path, "empty key name");
        ms_policy_key *k = &p->keys[p->n_keys++];
        if (!(k->name = strdup(c->string)))
            return ms_error_nomem(ps->err);
        int rc = parse_key(ps, p, c, path, k);
        if (rc)
            return rc;
    }
    return 0;
}

/* "signers": a non-empty list of key names, each defined in policy.keys. */
static int parse_signers(parser *ps, const ms_policy *p, const cJSON *obj, const char *parent,
                         ms_policy_signers *s)
{
    int rc = get_strings(ps, obj, parent, "signers", 1, &s->names);
    if (rc)
        return rc;
    if (!(s->index = calloc(s->names.n, sizeof *s->index)))
        return ms_error_nomem(ps->err);
    for (size_t i = 0; i < s->names.n; i++) {
        size_t k = 0;
        while (k < p->n_keys && strcmp(p->keys[k].name, s->names.items[i]) != 0)
            k++;
        if (k == p->n_keys) {
            char path[560];
            path_printf(path, sizeof path, "%s.signers[%zu]", parent, i);
            return fail(ps, path, "key \"%s\" is not defined in policy.keys", s->names.items[i]);
        }
        s->index[i] = k;
    }
    return 0;
}

static int parse_model(parser *ps, ms_policy *p, const cJSON *o)
{
    static const char *const allowed[] = {"signers", "ignore", NULL};
    if (!o)
        return fail(ps, "policy.model", "missing");
    int rc = check_object(ps, o, "policy.model", allowed);
    if (rc || (rc = parse_signers(ps, p, o, "policy.model", &p->model_signers)) != 0)
        return rc;
    if (!cJSON_GetObjectItemCaseSensitive(o, "ignore"))
        return 0;
    if ((rc = get_strings(ps, o, "policy.model", "ignore", 0, &p->model_ignore)) != 0)
        return rc;
    /* The rules of --ignore: a relative path inside the model, "./" and a final "/" dropped. */
    for (size_t i = 0; i < p->model_ignore.n; i++) {
        char elem[64], *v = p->model_ignore.items[i];
        size_t n = strlen(v), skip = 0;
        while (v[skip] == '.' && v[skip + 1] == '/')
            skip += 2;
        memmove(v, v + skip, n - skip + 1);
        n -= skip;
        while (n > 1 && v[n - 1] == '/')
            v[--n] = '\0';
        if (!msx_path_is_safe(v, n)) {
            path_printf(elem, sizeof elem, "policy.model.ignore[%zu]", i);
            return fail(ps, elem, "not a relative path inside the model");
        }
    }
    return 0;
}

static int parse_provenance(parser *ps, ms_policy *p, const cJSON *o)
{
    static const char *const allowed[] = {
        "required", "signers", "builder_ids", "build_types", "allowed_parameters", NULL};
    const char *path = "policy.provenance";
    int rc;
    p->has_provenance = 1;
    if ((rc = check_object(ps, o, path, allowed)) != 0 ||
        (rc = get_bool(ps, o, path, "required", 1, &p->provenance_required)) != 0 ||
        (rc = parse_signers(ps, p, o, path, &p->provenance_signers)) != 0 ||
        (rc = get_strings(ps, o, path, "builder_ids", 1, &p->builder_ids)) != 0)
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(o, "build_types")) {
        p->has_build_types = 1;
        if ((rc = get_strings(ps, o, path, "build_types", 1, &p->build_types)) != 0)
            return rc;
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "allowed_parameters")) {
        p->has_allowed_parameters = 1;
        if ((rc = get_strings(ps, o, path, "allowed_parameters", 0, &p->allowed_parameters)) != 0)
            return rc;
    }
    return 0;
}

static int parse_datasets(parser *ps, ms_policy *p, const cJSON *o)
{
    static const char *const allowed[] = {"signers", "required", "data", NULL};
    static const char *const entry_allowed[] = {"manifest", "path", NULL};
    const char *path = "policy.datasets";
    int rc;
    p->has_datasets = 1;
    if ((rc = check_object(ps, o, path, allowed)) != 0 ||
        (rc = parse_signers(ps, p, o, path, &p->dataset_signers)) != 0)
        return rc;
    if (cJSON_GetObjectItemCaseSensitive(o, "required") &&
        (rc = get_strings(ps, o, path, "required", 0, &p->datasets_required)) != 0)
        return rc;
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(o, "data");
    if (!data)
        return 0;
    if (!cJSON_IsObject(data))
        return fail(ps, "policy.datasets.data", "not an object");
    int n = cJSON_GetArraySize(data);
    if (n > MAX_LIST)
        return fail(ps, "policy.datasets.data", "more than %d entries", MAX_LIST);
    if (n > 0 && !(p->datasets_data = calloc((size_t)n, sizeof *p->datasets_data)))
        return ms_error_nomem(ps->err);
    for (const cJSON *c = data->child; c; c = c->next) {
        char sub[512];
        join(sub, sizeof sub, "policy.datasets.data", c->string);
        if (!c->string[0])
            return fail(ps, sub, "empty dataset name");
        ms_policy_dataset_data *d = &p->datasets_data[p->n_datasets_data++];
        if (!(d->name = strdup(c->string)))
            return ms_error_nomem(ps->err);
        if ((rc = check_object(ps, c, sub, entry_allowed)) != 0 ||
            (rc = get_path(ps, c, sub, "manifest", &d->manifest)) != 0 ||
            (rc = get_path(ps, c, sub, "path", &d->path)) != 0)
            return rc;
    }
    return 0;
}

static int parse_code(parser *ps, ms_policy *p, const cJSON *o)
{
    static const char *const allowed[] = {"required",   "uris",        "refs",
                                          "repository", "allow_dirty", NULL};
    const char *path = "policy.code";
    int rc;
    p->has_code = 1;
    if ((rc = check_object(ps, o, path, allowed)) != 0 ||
        (rc = get_bool(ps, o, path, "required", 1, &p->code_required)) != 0 ||
        (rc = get_strings(ps, o, path, "uris", 1, &p->code_uris)) != 0 ||
        (rc = get_strings(ps, o, path, "refs", 1, &p->code_refs)) != 0 ||
        (rc = get_bool(ps, o, path, "allow_dirty", 0, &p->allow_dirty)) != 0)
        return rc;
    for (size_t i = 0; i < p->code_refs.n; i++) {
        const char *r = p->code_refs.items[i];
        const char *star = strchr(r, '*');
        if (strncmp(r, "refs/", 5) != 0 || (star && star[1] != '\0')) {
            char elem[80];
            path_printf(elem, sizeof elem, "policy.code.refs[%zu]", i);
            return fail(ps, elem,
                        "\"%s\": a full ref starting with refs/, with at most a final '*'", r);
        }
    }
    if (cJSON_GetObjectItemCaseSensitive(o, "repository") &&
        (rc = get_path(ps, o, path, "repository", &p->code_repository)) != 0)
        return rc;
    return 0;
}

static int parse_base_model(parser *ps, ms_policy *p, const cJSON *o)
{
    static const char *const allowed[] = {"required", "signers", "require_provenance", "max_depth",
                                          NULL};
    const char *path = "policy.base_model";
    int rc;
    p->has_base_model = 1;
    if ((rc = check_object(ps, o, path, allowed)) != 0 ||
        (rc = get_bool(ps, o, path, "required", 0, &p->base_model_required)) != 0 ||
        (rc = parse_signers(ps, p, o, path, &p->base_model_signers)) != 0 ||
        (rc = get_bool(ps, o, path, "require_provenance", 0, &p->require_provenance)) != 0)
        return rc;
    p->max_depth = MS_POLICY_DEFAULT_MAX_DEPTH;
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "max_depth");
    if (d) {
        double v = cJSON_GetNumberValue(d);
        if (!cJSON_IsNumber(d))
            return fail(ps, "policy.base_model.max_depth", "not a number");
        if (!(v >= 1 && v <= MS_POLICY_MAX_DEPTH_LIMIT) || v != (double)(unsigned)v)
            return fail(ps, "policy.base_model.max_depth", "not an integer from 1 to %d",
                        MS_POLICY_MAX_DEPTH_LIMIT);
        p->max_depth = (unsigned)v;
    }
    return 0;
}

static int parse_root(parser *ps, ms_policy *p, const cJSON *root)
{
    static const char *const allowed[] = {"version", "expires",    "keys",
                                          "model",   "provenance", "datasets",
                                          "code",    "base_model", NULL};
    int rc = check_object(ps, root, "policy", allowed);
    if (rc)
        return rc;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!v)
        return fail(ps, "policy.version", "missing");
    if (!cJSON_IsNumber(v))
        return fail(ps, "policy.version", "not a number");
    if (v->valuedouble != MS_POLICY_VERSION)
        return fail(ps, "policy.version", "unsupported version %g (this modelseal reads 1)",
                    v->valuedouble);
    if (cJSON_GetObjectItemCaseSensitive(root, "expires")) {
        if ((rc = get_string(ps, root, "policy", "expires", &p->expires_text)) != 0)
            return rc;
        if (ms_rfc3339_parse(p->expires_text, &p->expires) != 0)
            return fail(ps, "policy.expires", "\"%s\": not an RFC 3339 date-time", p->expires_text);
        p->has_expires = 1;
    }
    if ((rc = parse_keys(ps, p, cJSON_GetObjectItemCaseSensitive(root, "keys"))) != 0 ||
        (rc = parse_model(ps, p, cJSON_GetObjectItemCaseSensitive(root, "model"))) != 0)
        return rc;
    const cJSON *s;
    if ((s = cJSON_GetObjectItemCaseSensitive(root, "provenance")) &&
        (rc = parse_provenance(ps, p, s)) != 0)
        return rc;
    if ((s = cJSON_GetObjectItemCaseSensitive(root, "datasets")) &&
        (rc = parse_datasets(ps, p, s)) != 0)
        return rc;
    if ((s = cJSON_GetObjectItemCaseSensitive(root, "code")) && (rc = parse_code(ps, p, s)) != 0)
        return rc;
    if ((s = cJSON_GetObjectItemCaseSensitive(root, "base_model")) &&
        (rc = parse_base_model(ps, p, s)) != 0)
        return rc;
    /* Datasets, code and base models are read from the provenance: without a provenance
     * section nothing could be trusted to name them. */
    static const char *const dependent[] = {"datasets", "code", "base_model"};
    const int present[] = {p->has_datasets, p->has_code, p->has_base_model};
    for (size_t i = 0; i < 3; i++) {
        if (present[i] && !p->has_provenance) {
            char path[64];
            join(path, sizeof path, "policy", dependent[i]);
            return fail(ps, path,
                        "needs a provenance section (it is checked against the provenance)");
        }
    }
    return 0;
}

int ms_policy_parse(const uint8_t *text, size_t len, const char *what, const char *base_dir,
                    ms_policy **out, ms_error *err)
{
    parser ps = {what ? what : "policy", base_dir, err};
    cJSON *root = NULL;
    ms_policy *p = NULL;
    *out = NULL;
    int rc = msx_json_parse(text, len, MS_POLICY_MAX_SIZE, ps.what, &root, err);
    if (rc)
        return rc;
    if (!(p = calloc(1, sizeof *p)) || !(p->file = strdup(ps.what))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    p->provenance_required = 1;
    p->code_required = 1;
    p->max_depth = MS_POLICY_DEFAULT_MAX_DEPTH;
    if ((rc = parse_root(&ps, p, root)) != 0)
        goto out;
    *out = p;
    p = NULL;
out:
    cJSON_Delete(root);
    ms_policy_free(p);
    return rc;
}

int ms_policy_load(const char *path, ms_policy **out, ms_error *err)
{
    ms_buf text = MS_BUF_INIT;
    char *dir = NULL;
    *out = NULL;
    int rc = msx_file_read(path, MS_POLICY_MAX_SIZE, &text, err);
    if (rc)
        goto out;
    const char *slash = strrchr(path, '/');
    if (slash && !(dir = strndup(path, slash == path ? 1 : (size_t)(slash - path)))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = ms_policy_parse(text.data, text.len, path, dir, out, err);
out:
    free(dir);
    msx_buf_free(&text);
    return rc;
}
