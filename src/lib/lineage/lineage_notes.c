/* Lineage: the per-commit note under refs/notes/modelseal (record: build and write it; read it
 * back). Notes are untrusted input, validated field by field and ignored with a warning when
 * they are not ours. History is walked by lineage_walk.c; log and find are lineage_log.c, check
 * is lineage_check.c. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lineage_internal.h"
#include "lineage_notes_internal.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- small helpers --------------------------------------------------------------------------- */

void lin_warnf(const ms_lineage_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void lin_warnf(const ms_lineage_options *o, const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    if (!o || !o->warn)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    o->warn(o->warn_ctx, msg);
}

const char *lin_kind_name(lin_kind k)
{
    return k == LIN_MODEL ? "model" : "dataset";
}

const char *lin_sig_name(lin_sig s)
{
    return s == LIN_VALID ? "valid" : s == LIN_INVALID ? "invalid" : "unsigned";
}

void lin_oid_hex(const git_oid *oid, char out[41])
{
    git_oid_tostr(out, 41, oid);
}

/* Prefix `what: ` to err's message. */
void lin_prefix_error(ms_error *err, const char *what)
{
    if (!err || !what)
        return;
    char msg[MS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    ms_error_set(err, err->code, "%s: %s", what, msg);
}

/* ---- the note -------------------------------------------------------------------------------- */

static cJSON *digest_json(const lin_state *s)
{
    char hex[72];
    if (!s || !s->present || !s->has_digest)
        return cJSON_CreateNull();
    lin_format_digest(s->digest, hex);
    return cJSON_CreateString(hex);
}

static cJSON *artifact_json(const lin_change *c, const lin_state *now, const lin_state *before)
{
    const char *change = !c->before.present ? "added" : !c->now.present ? "removed" : "changed";
    const lin_state *named = now->present ? now : before;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    int ok =
        cJSON_AddStringToObject(o, "path", c->path) &&
        cJSON_AddStringToObject(o, "kind", lin_kind_name(c->kind)) &&
        (named->name ? cJSON_AddStringToObject(o, "name", named->name)
                     : cJSON_AddNullToObject(o, "name")) &&
        cJSON_AddItemToObject(o, "digest", digest_json(now)) &&
        cJSON_AddItemToObject(o, "previous", digest_json(before)) &&
        cJSON_AddStringToObject(o, "change", change) &&
        (now->present && now->signer ? cJSON_AddStringToObject(o, "signer", now->signer)
                                     : cJSON_AddNullToObject(o, "signer")) &&
        cJSON_AddStringToObject(o, "signature", now->present ? lin_sig_name(now->sig) : "unsigned");
    if (ok) {
        cJSON *claims = now->claims ? cJSON_Duplicate(now->claims, 1) : cJSON_CreateArray();
        cJSON *datasets = now->datasets ? cJSON_Duplicate(now->datasets, 1) : cJSON_CreateArray();
        ok = claims && datasets;
        if (ok) {
            cJSON_AddItemToObject(o, "claims", claims);
            cJSON_AddItemToObject(o, "datasets", datasets);
        } else {
            cJSON_Delete(claims);
            cJSON_Delete(datasets);
        }
    }
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

typedef struct record_ctx {
    const lin_view *v, *pv;
    cJSON *artifacts;
} record_ctx;

static int record_one(void *ctx, const lin_change *c, ms_error *err)
{
    record_ctx *r = ctx;
    lin_state now, before;
    int rc = 0;
    memset(&now, 0, sizeof now);
    memset(&before, 0, sizeof before);
    if (c->now.present && (rc = lin_state_get(r->v, c->kind, c->path, c->key, 1, &now, err)) != 0)
        goto out;
    if (c->before.present &&
        (rc = lin_state_get(r->pv, c->kind, c->path, NULL, 0, &before, err)) != 0)
        goto out;
    cJSON *o = artifact_json(c, &now, &before);
    if (!o || !cJSON_AddItemToArray(r->artifacts, o))
        rc = ms_error_nomem(err);
out:
    lin_state_clear(&now);
    lin_state_clear(&before);
    return rc;
}

int lin_resolve_commit(git_repository *repo, const char *rev, git_commit **out, ms_error *err)
{
    git_object *obj = NULL, *peeled = NULL;
    *out = NULL;
    if (git_revparse_single(&obj, repo, rev) < 0)
        return ms_error_set(err, MS_EINPUT, "%s: not a commit in the repository", rev);
    int rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    git_object_free(obj);
    if (rc < 0)
        return ms_error_set(err, MS_EINPUT, "%s: not a commit", rev);
    *out = (git_commit *)peeled;
    return 0;
}

/* Build the note text for commit c. */
static int build_note(git_repository *repo, const git_commit *c, const ms_lineage_options *opts,
                      ms_buf *text, ms_error *err)
{
    lin_view v, pv;
    char hex[41], what[64];
    cJSON *note = NULL, *keys = NULL;
    int rc;
    lin_oid_hex(git_commit_id(c), hex);
    snprintf(what, sizeof what, "commit %.12s", hex);
    if ((rc = lin_views_for_commit(repo, c, what, &v, &pv, 0, opts, err)) != 0)
        goto out;
    if (!v.has_config) {
        rc = ms_error_set(err, MS_EINPUT, "%s: no %s in its tree", what, MS_LINEAGE_CONFIG_FILE);
        goto out;
    }
    note = cJSON_CreateObject();
    keys = cJSON_CreateArray();
    record_ctx r = {.v = &v, .pv = &pv};
    if (!note || !keys || !cJSON_AddNumberToObject(note, "version", 1) ||
        !cJSON_AddStringToObject(note, "commit", hex) ||
        !(r.artifacts = cJSON_AddArrayToObject(note, "artifacts"))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = lin_for_each_artifact(&v, &pv, pv.tree == NULL, opts, record_one, &r, err)) != 0)
        goto out;
    if ((rc = lin_key_changes(&v, &pv, keys, err)) != 0)
        goto out;
    if (cJSON_GetArraySize(keys) > 0) {
        cJSON_AddItemToObject(note, "key_changes", keys);
        keys = NULL;
    }
    char *s = cJSON_PrintUnformatted(note);
    if (!s) {
        rc = ms_error_nomem(err);
        goto out;
    }
    msx_buf_reset(text);
    rc = msx_buf_append_str(text, s) || msx_buf_append(text, "\n", 1) ? ms_error_nomem(err) : 0;
    free(s);
out:
    cJSON_Delete(note);
    cJSON_Delete(keys);
    lin_view_clear(&v);
    lin_view_clear(&pv);
    return rc;
}

static int write_note(git_repository *repo, const git_oid *commit, const ms_buf *text, int *written,
                      ms_error *err)
{
    git_note *old = NULL;
    git_signature *sig = NULL;
    git_oid note_oid;
    int rc = 0;
    char *msg = strndup((const char *)text->data, text->len);
    if (!msg)
        return ms_error_nomem(err);
    if (git_note_read(&old, repo, MS_LINEAGE_NOTES_REF, commit) == 0) {
        const char *m = git_note_message(old);
        int same = m && strcmp(m, msg) == 0;
        git_note_free(old);
        if (same)
            goto out; /* idempotent: nothing to write */
    }
    if (git_signature_default(&sig, repo) < 0 &&
        git_signature_now(&sig, "modelseal", "modelseal@localhost") < 0) {
        rc = lin_git_fail(err, "making the notes commit signature");
        goto out;
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        rc = git_note_create(&note_oid, repo, MS_LINEAGE_NOTES_REF, sig, sig, commit, msg, 1);
        if (rc != GIT_EMODIFIED && rc != GIT_ELOCKED)
            break;
    }
    if (rc < 0) {
        char what[PATH_MAX + 64];
        snprintf(what, sizeof what, "%s%s: writing the lineage note", git_repository_path(repo),
                 MS_LINEAGE_NOTES_REF);
        rc = lin_git_fail(err, what);
        goto out;
    }
    rc = 0;
    if (written)
        *written = 1;
out:
    git_signature_free(sig);
    free(msg);
    return rc;
}

int lin_record(const ms_lineage_options *opts, const char *rev, int write, ms_buf *note,
               int *written, ms_error *err)
{
    git_repository *repo = NULL;
    git_commit *c = NULL;
    ms_buf local = MS_BUF_INIT;
    ms_buf *text = note ? note : &local;
    int rc;
    if (written)
        *written = 0;
    if ((rc = lin_open_ex(opts, 1, &repo, err)) != 0)
        return rc;
    if ((rc = lin_resolve_commit(repo, rev ? rev : "HEAD", &c, err)) != 0)
        goto out;
    if ((rc = build_note(repo, c, opts, text, err)) != 0)
        goto out;
    if (write)
        rc = write_note(repo, git_commit_id(c), text, written, err);
out:
    msx_buf_free(&local);
    git_commit_free(c);
    lin_close(repo);
    return rc;
}

/* ---- reading notes back (untrusted) ---------------------------------------------------------- */

static int is_digest_text(const char *s)
{
    if (strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
        return 0;
    for (size_t i = 7; i < 71; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int one_of(const char *s, const char *a, const char *b, const char *c)
{
    return strcmp(s, a) == 0 || strcmp(s, b) == 0 || (c && strcmp(s, c) == 0);
}

/* Validate a note: our format, for this commit. Returns the parsed tree (cJSON_Delete) or NULL
 * with `why` saying what is wrong. */
static cJSON *parse_note(const char *text, const char *commit_hex, char *why, size_t why_size)
{
    cJSON *root = NULL;
    ms_error perr;
    size_t len = strlen(text);
    if (msx_json_parse((const uint8_t *)text, len, MS_LINEAGE_NOTE_MAX, "note", &root, &perr)) {
        snprintf(why, why_size, "%s", perr.message);
        return NULL;
    }
    const cJSON *version = cJSON_GetObjectItemCaseSensitive(root, "version");
    const cJSON *commit = cJSON_GetObjectItemCaseSensitive(root, "commit");
    const cJSON *arts = cJSON_GetObjectItemCaseSensitive(root, "artifacts");
    if (!cJSON_IsObject(root)) {
        snprintf(why, why_size, "not a JSON object");
        goto bad;
    }
    if (!cJSON_IsNumber(version) || version->valuedouble != 1.0) {
        snprintf(why, why_size, "version: not 1");
        goto bad;
    }
    if (!cJSON_IsString(commit) || strcmp(commit->valuestring, commit_hex) != 0) {
        snprintf(why, why_size, "commit: does not name this commit");
        goto bad;
    }
    if (!cJSON_IsArray(arts)) {
        snprintf(why, why_size, "artifacts: not an array");
        goto bad;
    }
    int i = 0;
    for (const cJSON *a = arts->child; a; a = a->next, i++) {
        const cJSON *f;
        if (!cJSON_IsObject(a)) {
            snprintf(why, why_size, "artifacts[%d]: not an object", i);
            goto bad;
        }
        static const char *const strings[] = {"path", "kind", "change", "signature"};
        for (size_t k = 0; k < 4; k++) {
            f = cJSON_GetObjectItemCaseSensitive(a, strings[k]);
            if (!cJSON_IsString(f)) {
                snprintf(why, why_size, "artifacts[%d].%s: not a string", i, strings[k]);
                goto bad;
            }
        }
        if (!one_of(cJSON_GetObjectItemCaseSensitive(a, "kind")->valuestring, "model", "dataset",
                    NULL) ||
            !one_of(cJSON_GetObjectItemCaseSensitive(a, "change")->valuestring, "added", "changed",
                    "removed") ||
            !one_of(cJSON_GetObjectItemCaseSensitive(a, "signature")->valuestring, "valid",
                    "invalid", "unsigned")) {
            snprintf(why, why_size, "artifacts[%d]: kind, change or signature has an unknown value",
                     i);
            goto bad;
        }
        static const char *const digests[] = {"digest", "previous"};
        for (size_t k = 0; k < 2; k++) {
            f = cJSON_GetObjectItemCaseSensitive(a, digests[k]);
            if (!f || !(cJSON_IsNull(f) || (cJSON_IsString(f) && is_digest_text(f->valuestring)))) {
                snprintf(why, why_size, "artifacts[%d].%s: not sha256:<hex> or null", i,
                         digests[k]);
                goto bad;
            }
        }
        f = cJSON_GetObjectItemCaseSensitive(a, "datasets");
        if (f && !cJSON_IsArray(f)) {
            snprintf(why, why_size, "artifacts[%d].datasets: not an array", i);
            goto bad;
        }
        for (const cJSON *d = f ? f->child : NULL; d; d = d->next) {
            const cJSON *n = cJSON_GetObjectItemCaseSensitive(d, "name");
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(d, "digest");
            if (!cJSON_IsObject(d) || !(cJSON_IsString(n) || cJSON_IsNull(n)) ||
                !(cJSON_IsNull(g) || (cJSON_IsString(g) && is_digest_text(g->valuestring)))) {
                snprintf(why, why_size, "artifacts[%d].datasets: malformed entry", i);
                goto bad;
            }
        }
    }
    return root;
bad:
    cJSON_Delete(root);
    return NULL;
}

/* The notes commit, or NULL when there are no notes. */
git_commit *lin_notes_commit(git_repository *repo)
{
    git_reference *ref = NULL;
    git_object *obj = NULL;
    if (git_reference_lookup(&ref, repo, MS_LINEAGE_NOTES_REF) < 0)
        return NULL;
    int rc = git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT);
    git_reference_free(ref);
    return rc < 0 ? NULL : (git_commit *)obj;
}

/* The valid note of commit `oid`: 1 with *out, 0 when it has none or a bad one (warned). */
int lin_read_note(git_repository *repo, git_commit *notes, const git_oid *oid,
                  const ms_lineage_options *opts, cJSON **out)
{
    git_note *note = NULL;
    char hex[41], why[MS_ERROR_MESSAGE_MAX];
    *out = NULL;
    if (!notes || git_note_commit_read(&note, repo, notes, oid) < 0)
        return 0;
    lin_oid_hex(oid, hex);
    const char *msg = git_note_message(note);
    *out = msg ? parse_note(msg, hex, why, sizeof why) : NULL;
    if (!msg)
        snprintf(why, sizeof why, "empty");
    git_note_free(note);
    if (!*out) {
        lin_warnf(opts,
                  "commit %.12s: its %s note is not a modelseal lineage note (%s): not trusted, "
                  "read from the tree instead",
                  hex, MS_LINEAGE_NOTES_REF, why);
        return 0;
    }
    return 1;
}
