/* The evidence `attest provenance` copies into the claims file beside the statement it signs:
 * signature files read as compact claims lines, a model signature's subject, a dataset's
 * manifest and signature (--dataset), a base model's signature and claims (--base-model). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest.h"
#include "cli.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/provenance.h"

int attest_strlist_add(attest_strlist *l, char *s, size_t len)
{
    char **items = reallocarray(l->items, l->n + 1, sizeof *items);
    if (!items)
        return -1;
    l->items = items;
    size_t *lens = reallocarray(l->lens, l->n + 1, sizeof *lens);
    if (!lens)
        return -1;
    l->lens = lens;
    l->items[l->n] = s;
    l->lens[l->n++] = len;
    return 0;
}

void attest_strlist_free(attest_strlist *l, int owned)
{
    for (size_t i = 0; owned && i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    memset(l, 0, sizeof *l);
}

/* Prefix err's message with "path: " unless it already starts with it. */
static void name_file(ms_error *err, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(err->message, path, n) == 0)
        return;
    char msg[MS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    ms_error_set(err, err->code, "%s: %s", path, msg);
}

/* A signature bundle file as one claims line: trailing whitespace removed, a multi-line
 * (pretty-printed) bundle made compact. *line is malloc'd; *bundle and *st (generic statement)
 * are new. Errors name the file. */
static int read_bundle_line(const char *path, size_t max, char **line, size_t *len,
                            ms_bundle **bundle, ms_statement **st, ms_error *err)
{
    ms_buf data = MS_BUF_INIT;
    cJSON *json = NULL;
    int rc = msx_file_read(path, max, &data, err);
    *line = NULL;
    *bundle = NULL;
    *st = NULL;
    if (rc != 0)
        goto out;
    size_t n = data.len;
    while (n > 0 && strchr(" \t\r\n", data.data[n - 1]))
        n--;
    if (memchr(data.data, '\n', n) || memchr(data.data, '\r', n)) {
        if ((rc = msx_json_parse(data.data, n, max, path, &json, err)) != 0)
            goto out;
        if (!(*line = cJSON_PrintUnformatted(json))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        n = strlen(*line);
    } else if (!(*line = strndup((const char *)data.data, n))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    *len = n;
    if ((rc = ms_bundle_parse((const uint8_t *)*line, n, bundle, err)) != 0)
        goto out;
    const ms_dsse_envelope *env = ms_bundle_envelope(*bundle);
    if (!env) {
        rc = ms_error_set(err, MS_EINPUT, "dsseEnvelope: missing");
        goto out;
    }
    rc = ms_statement_parse_generic(env->payload, env->payload_len, st, err);
out:
    if (rc != 0) {
        name_file(err, path);
        free(*line);
        *line = NULL;
        ms_bundle_free(*bundle);
        *bundle = NULL;
        ms_statement_free(*st);
        *st = NULL;
    }
    cJSON_Delete(json);
    msx_buf_free(&data);
    return rc;
}

int attest_file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Read a model signature (OMS, at most `max` bytes) and return its subject name and root.
 * Errors name the file. */
int attest_read_model_subject(const char *sig_path, size_t max, char **line, size_t *len,
                              char **name, uint8_t root[MS_SHA256_SIZE], ms_error *err)
{
    ms_bundle *b = NULL;
    ms_statement *generic = NULL, *st = NULL;
    *name = NULL;
    int rc = read_bundle_line(sig_path, max, line, len, &b, &generic, err);
    if (rc != 0)
        return rc;
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    rc = ms_statement_parse(env->payload, env->payload_len, &st, err);
    if (rc == 0 && !st->subject_name)
        rc = ms_error_set(err, MS_EINPUT,
                          "a legacy signature (one subject per file) names no model: re-sign it");
    if (rc == 0) {
        memcpy(root, st->subject_digest, MS_SHA256_SIZE);
        if (!(*name = strdup(st->subject_name)))
            rc = ms_error_nomem(err);
    }
    if (rc != 0) {
        name_file(err, sig_path);
        free(*line);
        *line = NULL;
    }
    ms_statement_free(st);
    ms_statement_free(generic);
    ms_bundle_free(b);
    return rc;
}

/* --dataset MANIFEST[=SIG]: the dependency, and the signature line to copy (if any). */
int attest_add_dataset(ms_provenance *p, const char *arg, attest_strlist *lines, ms_error *err)
{
    ms_dataset_info info;
    ms_bundle *b = NULL;
    ms_statement *st = NULL;
    char *manifest = NULL, *sig = NULL, *line = NULL;
    size_t len = 0;
    int rc = 0;

    memset(&info, 0, sizeof info);
    const char *eq = strchr(arg, '=');
    if (eq == arg || (eq && eq[1] == '\0')) {
        rc = ms_error_set(err, MS_EINPUT, "--dataset %s: expected MANIFEST[=SIG]", arg);
        goto out;
    }
    manifest = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
    if (!manifest) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (eq) {
        sig = strdup(eq + 1);
    } else {
        ms_buf b2 = MS_BUF_INIT;
        if (msx_buf_printf(&b2, "%s.sig", manifest) == 0)
            sig = msx_buf_detach(&b2);
        msx_buf_free(&b2);
        if (sig && !attest_file_exists(sig)) {
            free(sig);
            sig = NULL;
            goto load;
        }
    }
    if (!sig) {
        rc = ms_error_nomem(err);
        goto out;
    }
load:
    if ((rc = ms_dataset_info_load(manifest, &info, err)) != 0) {
        name_file(err, manifest);
        goto out;
    }
    if (sig) {
        if ((rc = read_bundle_line(sig, MS_CLAIMS_MAX_LINE, &line, &len, &b, &st, err)) != 0)
            goto out;
        rc = ms_dataset_statement_check(st, &info, err);
        if (rc == MS_EVERIFY) {
            char msg[MS_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            rc = ms_error_set(err, MS_EINPUT, "%s: signature is for another manifest than %s (%s)",
                              sig, manifest, msg);
            goto out;
        }
        if (rc != 0) {
            name_file(err, sig);
            goto out;
        }
    }
    rc = ms_provenance_add_dataset(p, info.name, info.source, info.version, info.root_digest,
                                   info.manifest_digest, err);
    if (rc == 0 && line) {
        if (attest_strlist_add(lines, line, len) != 0)
            rc = ms_error_nomem(err);
        else
            line = NULL;
    }
out:
    ms_dataset_info_clear(&info);
    ms_statement_free(st);
    ms_bundle_free(b);
    free(line);
    free(manifest);
    free(sig);
    return rc;
}

/* --base-model PATH: where its signature and claims are. */
static int base_model_paths(const char *path, char **sig, char **claims, ms_error *err)
{
    struct stat st;
    ms_buf s = MS_BUF_INIT, c = MS_BUF_INIT;
    int rc = 0;
    *sig = *claims = NULL;
    if (stat(path, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "--base-model %s: %s", path, strerror(errno));
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (S_ISDIR(st.st_mode)) {
        rc = msx_buf_printf(&s, "%.*s/%s", (int)n, path, MS_SIGNATURE_FILE) ||
             msx_buf_printf(&c, "%.*s/%s", (int)n, path, MS_CLAIMS_FILE);
    } else if (ends_with(path, "/" MS_SIGNATURE_FILE) || strcmp(path, MS_SIGNATURE_FILE) == 0) {
        size_t dir = n - strlen(MS_SIGNATURE_FILE);
        rc = msx_buf_printf(&s, "%s", path) ||
             msx_buf_printf(&c, "%.*s%s", (int)dir, path, MS_CLAIMS_FILE);
    } else if (ends_with(path, ".sig")) {
        rc = msx_buf_printf(&s, "%s", path) ||
             msx_buf_printf(&c, "%.*s.claims.jsonl", (int)(n - 4), path);
    } else {
        rc = msx_buf_printf(&s, "%s.sig", path) || msx_buf_printf(&c, "%s.claims.jsonl", path);
    }
    if (rc) {
        msx_buf_free(&s);
        msx_buf_free(&c);
        return ms_error_nomem(err);
    }
    *sig = msx_buf_detach(&s);
    *claims = msx_buf_detach(&c);
    msx_buf_free(&s);
    msx_buf_free(&c);
    if (!*sig || !*claims)
        return ms_error_nomem(err);
    if (!attest_file_exists(*sig))
        return ms_error_set(err, MS_EINPUT, "--base-model %s: no signature (%s): sign it first",
                            path, *sig);
    return 0;
}

int attest_add_base_model(ms_provenance *p, const char *path, attest_strlist *lines, ms_error *err)
{
    char *sig = NULL, *claims_path = NULL, *line = NULL, *name = NULL;
    size_t len = 0;
    uint8_t root[MS_SHA256_SIZE];
    ms_claims *claims = NULL;
    int rc = base_model_paths(path, &sig, &claims_path, err);
    if (rc == 0)
        rc = attest_read_model_subject(sig, MS_CLAIMS_MAX_LINE, &line, &len, &name, root, err);
    if (rc == 0)
        rc = ms_provenance_add_base_model(p, name, root, err);
    if (rc == 0) {
        if (attest_strlist_add(lines, line, len) != 0)
            rc = ms_error_nomem(err);
        else
            line = NULL;
    }
    if (rc == 0)
        rc = ms_claims_read(claims_path, 1, &claims, err);
    for (size_t i = 0; rc == 0 && i < claims->n; i++) {
        char *copy = strndup(claims->items[i].text, claims->items[i].len);
        if (!copy || attest_strlist_add(lines, copy, claims->items[i].len) != 0) {
            free(copy);
            rc = ms_error_nomem(err);
        }
    }
    ms_claims_free(claims);
    free(sig);
    free(claims_path);
    free(line);
    free(name);
    return rc;
}
