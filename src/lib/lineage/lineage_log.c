/* Lineage: `lineage log` and `lineage find` — the history of an artifact, from the notes where
 * they are valid and from the trees otherwise. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lineage_internal.h"
#include "lineage_notes_internal.h"
#include "util/json.h"

/* ---- log ------------------------------------------------------------------------------------- */

int lin_walker_start_head(walker *w, ms_error *err)
{
    git_oid head;
    int rc = git_reference_name_to_id(&head, w->repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
        return 0;
    if (rc < 0)
        return lin_git_fail(err, "HEAD");
    return lin_walker_add(w, &head, 0, err);
}

static void fill_entry_commit(ms_lineage_log_entry *e, const git_commit *c, char *author,
                              size_t author_size)
{
    const git_signature *a = git_commit_author(c);
    lin_oid_hex(git_commit_id(c), e->commit);
    e->time = git_commit_time(c);
    e->offset_minutes = git_commit_time_offset(c);
    snprintf(author, author_size, "%s <%s>", a && a->name ? a->name : "",
             a && a->email ? a->email : "");
    e->author = author;
}

const char *lin_str_or_null(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(f) ? f->valuestring : NULL;
}

/* The datasets of a log entry, made from the recorded array (NULL: none) and owned here until
 * log_datasets_clear. */
typedef struct log_datasets {
    ms_lineage_dataset_ref *refs;
    char *json;
} log_datasets;

static void log_datasets_clear(log_datasets *h)
{
    free(h->refs);
    free(h->json);
    h->refs = NULL;
    h->json = NULL;
}

static int log_datasets_set(ms_lineage_log_entry *e, const cJSON *arr, log_datasets *h,
                            ms_error *err)
{
    size_t n = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, arr)
    {
        n++;
    }
    h->refs = n ? calloc(n, sizeof *h->refs) : NULL;
    h->json = arr ? cJSON_PrintUnformatted(arr) : strdup("[]");
    if ((n && !h->refs) || !h->json) {
        log_datasets_clear(h);
        return ms_error_nomem(err);
    }
    n = 0;
    cJSON_ArrayForEach(d, arr)
    {
        h->refs[n].name = lin_str_or_null(d, "name");
        h->refs[n].digest = lin_str_or_null(d, "digest");
        n++;
    }
    e->datasets = h->refs;
    e->n_datasets = n;
    e->datasets_json = h->json;
    return 0;
}

typedef struct log_tree_ctx {
    const lin_view *v, *pv;
    const char *path;
    ms_lineage_log_entry *e;
    ms_lineage_log_fn fn;
    void *fn_ctx;
} log_tree_ctx;

static int log_tree_one(void *ctx, const lin_change *c, ms_error *err)
{
    log_tree_ctx *l = ctx;
    lin_state now, before;
    char d1[72], d2[72];
    int rc = 0;
    if (strcmp(c->path, l->path) != 0)
        return 0;
    memset(&now, 0, sizeof now);
    memset(&before, 0, sizeof before);
    if (c->now.present && (rc = lin_state_get(l->v, c->kind, c->path, c->key, 1, &now, err)) != 0)
        goto out;
    if (c->before.present &&
        (rc = lin_state_get(l->pv, c->kind, c->path, NULL, 0, &before, err)) != 0)
        goto out;
    if (now.has_digest)
        lin_format_digest(now.digest, d1);
    if (before.has_digest)
        lin_format_digest(before.digest, d2);
    l->e->path = c->path;
    l->e->kind = lin_kind_name(c->kind);
    l->e->digest = now.present && now.has_digest ? d1 : NULL;
    l->e->previous = before.present && before.has_digest ? d2 : NULL;
    l->e->change = !c->before.present ? "added" : !c->now.present ? "removed" : "changed";
    l->e->signature = now.present ? lin_sig_name(now.sig) : "unsigned";
    l->e->source = "tree";
    log_datasets ds = {NULL, NULL};
    if ((rc = log_datasets_set(l->e, now.datasets, &ds, err)) != 0)
        goto out;
    rc = l->fn(l->fn_ctx, l->e, err);
    log_datasets_clear(&ds);
out:
    lin_state_clear(&now);
    lin_state_clear(&before);
    return rc;
}

/* The configuration entry that tracks `path` in v (a model path or a matching dataset glob). */
static int tracked_kind(const lin_view *v, const char *path, const char **key)
{
    *key = NULL;
    if (v->config) {
        for (size_t i = 0; i < v->config->n_models; i++)
            if (strcmp(v->config->models[i].path, path) == 0) {
                *key = v->config->models[i].key;
                return LIN_MODEL;
            }
        for (size_t i = 0; i < v->config->n_datasets; i++)
            if (ms_lineage_glob_match(v->config->datasets[i].path, path)) {
                *key = v->config->datasets[i].key;
                return LIN_DATASET;
            }
    }
    return -1;
}

/* A commit without a (valid) note: compare the artifact at `path` with the first parent's. */
static int log_from_tree(git_repository *repo, const git_commit *c, const char *path,
                         lin_kind guess, ms_lineage_log_entry *e, ms_lineage_log_fn fn,
                         void *fn_ctx, const ms_lineage_options *opts, ms_error *err)
{
    git_tree *tree = NULL, *ptree = NULL;
    git_commit *parent = NULL;
    lin_ident now, before;
    lin_view v, pv;
    int rc = 0;
    memset(&v, 0, sizeof v);
    memset(&pv, 0, sizeof pv);
    memset(&before, 0, sizeof before);
    if (git_commit_tree(&tree, c) < 0)
        return lin_git_fail(err, "reading a commit's tree");
    if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0) {
        if (git_commit_tree(&ptree, parent) < 0) {
            rc = lin_git_fail(err, "reading a commit's tree");
            goto out;
        }
    }
    /* Cheap test first: did the artifact change at all? */
    if ((rc = lin_ident_get(repo, tree, guess, path, &now, err)) != 0)
        goto out;
    if (ptree && (rc = lin_ident_get(repo, ptree, guess, path, &before, err)) != 0)
        goto out;
    if (lin_ident_equal(&now, &before))
        goto out;
    char what[64];
    char hex[41];
    lin_oid_hex(git_commit_id(c), hex);
    snprintf(what, sizeof what, "commit %.12s", hex);
    ms_error verr;
    if ((rc = lin_view_init(&v, repo, tree, what, &verr)) != 0) {
        if (rc == MS_ENOMEM || rc == MS_EENV) {
            if (err)
                *err = verr;
            tree = NULL;
            goto out;
        }
        lin_warnf(opts, "%s (its artifacts are read as if unconfigured)", verr.message);
        ms_lineage_config_free(v.config);
        v.config = NULL;
    }
    tree = NULL; /* owned by v */
    pv.repo = repo;
    if (ptree) {
        if (lin_view_init(&pv, repo, ptree, NULL, &verr) != 0) {
            ms_lineage_config_free(pv.config);
            pv.config = NULL;
        }
        ptree = NULL;
    }
    const char *key = NULL;
    int k = tracked_kind(&v, path, &key);
    lin_change ch = {.kind = k < 0 ? guess : (lin_kind)k, .path = path, .key = key};
    ch.now = now;
    ch.before = before;
    ch.changed = 1;
    log_tree_ctx l = {.v = &v, .pv = &pv, .path = path, .e = e, .fn = fn, .fn_ctx = fn_ctx};
    rc = log_tree_one(&l, &ch, err);
out:
    git_tree_free(tree);
    git_tree_free(ptree);
    git_commit_free(parent);
    lin_view_clear(&v);
    lin_view_clear(&pv);
    return rc;
}

static char *normalise_query_path(const char *path)
{
    while (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/')
        len--;
    return strndup(path, len);
}

int ms_lineage_log(const ms_lineage_options *opts, const char *path_in, ms_lineage_log_fn fn,
                   void *ctx, ms_error *err)
{
    git_repository *repo = NULL;
    git_commit *notes = NULL;
    walker w;
    char author[512];
    char *path = normalise_query_path(path_in);
    lin_kind guess = LIN_MODEL;
    git_oid oid;
    int rc;
    memset(&w, 0, sizeof w);
    if (!path)
        return ms_error_nomem(err);
    if ((rc = lin_open(opts, &repo, err)) != 0) {
        free(path);
        return rc;
    }
    w.repo = repo;
    w.opts = opts;
    notes = lin_notes_commit(repo);
    {
        /* Which kind of artifact is it? Ask HEAD's configuration; else guess by name. */
        git_commit *head = NULL;
        git_tree *t = NULL;
        lin_view v;
        memset(&v, 0, sizeof v);
        size_t pl = strlen(path), sl = strlen(".dsm.jsonl.zst");
        if (pl > sl && strcmp(path + pl - sl, ".dsm.jsonl.zst") == 0)
            guess = LIN_DATASET;
        if (lin_resolve_commit(repo, "HEAD", &head, NULL) == 0 && git_commit_tree(&t, head) == 0) {
            const char *key;
            if (lin_view_init(&v, repo, t, NULL, NULL) == 0) {
                int k = tracked_kind(&v, path, &key);
                if (k >= 0)
                    guess = (lin_kind)k;
            }
            lin_view_clear(&v);
        }
        git_commit_free(head);
    }
    if ((rc = lin_walker_start_head(&w, err)) != 0)
        goto out;
    while ((rc = lin_walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        cJSON *note = NULL;
        ms_lineage_log_entry e;
        memset(&e, 0, sizeof e);
        rc = 0;
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = lin_git_fail(err, "reading a commit");
            goto out;
        }
        fill_entry_commit(&e, c, author, sizeof author);
        if (lin_read_note(repo, notes, &oid, opts, &note)) {
            const cJSON *arts = cJSON_GetObjectItemCaseSensitive(note, "artifacts");
            for (const cJSON *a = arts->child; a && rc >= 0; a = a->next) {
                if (strcmp(lin_str_or_null(a, "path"), path) != 0)
                    continue;
                e.path = path;
                e.kind = lin_str_or_null(a, "kind");
                e.digest = lin_str_or_null(a, "digest");
                e.previous = lin_str_or_null(a, "previous");
                e.change = lin_str_or_null(a, "change");
                e.signature = lin_str_or_null(a, "signature");
                e.source = "note";
                log_datasets ds = {NULL, NULL};
                rc =
                    log_datasets_set(&e, cJSON_GetObjectItemCaseSensitive(a, "datasets"), &ds, err);
                if (rc == 0)
                    rc = fn(ctx, &e, err);
                log_datasets_clear(&ds);
                if (rc > 0)
                    rc = 0;
                if (rc)
                    break;
            }
            cJSON_Delete(note);
        } else {
            rc = log_from_tree(repo, c, path, guess, &e, fn, ctx, opts, err);
        }
        git_commit_free(c);
        if (rc)
            goto out;
    }
out:
    lin_walker_clear(&w);
    git_commit_free(notes);
    lin_close(repo);
    free(path);
    return rc < 0 ? rc : 0;
}

/* ---- find ------------------------------------------------------------------------------------ */

typedef struct find_ctx {
    const lin_view *v, *pv;
    const uint8_t *digest;
    char commit[41];
    cJSON *note; /* this commit's valid note (hits from it are not repeated) */
    ms_lineage_find_fn fn;
    void *fn_ctx;
} find_ctx;

static int noted(const cJSON *note, const char *path)
{
    const cJSON *arts = note ? cJSON_GetObjectItemCaseSensitive(note, "artifacts") : NULL;
    for (const cJSON *a = arts ? arts->child : NULL; a; a = a->next)
        if (strcmp(lin_str_or_null(a, "path"), path) == 0)
            return 1;
    return 0;
}

static int find_one(void *ctx, const lin_change *c, ms_error *err)
{
    find_ctx *f = ctx;
    lin_state now, before;
    int rc = 0;
    if (!c->now.present || noted(f->note, c->path))
        return 0;
    memset(&now, 0, sizeof now);
    memset(&before, 0, sizeof before);
    if ((rc = lin_state_get(f->v, c->kind, c->path, NULL, 0, &now, err)) != 0)
        goto out;
    if (!now.has_digest || memcmp(now.digest, f->digest, MS_SHA256_SIZE) != 0)
        goto out;
    if (c->before.present &&
        (rc = lin_state_get(f->pv, c->kind, c->path, NULL, 0, &before, err)) != 0)
        goto out;
    if (before.has_digest && memcmp(before.digest, f->digest, MS_SHA256_SIZE) == 0)
        goto out; /* only its signature or claims changed: not where it was introduced */
    ms_lineage_hit hit = {.path = c->path, .kind = lin_kind_name(c->kind), .source = "tree"};
    memcpy(hit.commit, f->commit, sizeof hit.commit);
    rc = f->fn(f->fn_ctx, &hit, err);
out:
    lin_state_clear(&now);
    lin_state_clear(&before);
    return rc;
}

int ms_lineage_find(const ms_lineage_options *opts, const char *digest_text, ms_lineage_find_fn fn,
                    void *ctx, ms_error *err)
{
    git_repository *repo = NULL;
    git_commit *notes = NULL;
    uint8_t digest[MS_SHA256_SIZE];
    char want[72];
    walker w;
    git_oid oid;
    int rc;
    memset(&w, 0, sizeof w);
    if ((rc = ms_lineage_parse_digest(digest_text, digest, err)) != 0)
        return rc;
    lin_format_digest(digest, want);
    if ((rc = lin_open(opts, &repo, err)) != 0)
        return rc;
    w.repo = repo;
    w.opts = opts;
    notes = lin_notes_commit(repo);
    if ((rc = lin_walker_start_head(&w, err)) != 0)
        goto out;
    while ((rc = lin_walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        cJSON *note = NULL;
        lin_view v, pv;
        char what[64];
        find_ctx f = {.digest = digest, .fn = fn, .fn_ctx = ctx};
        lin_oid_hex(&oid, f.commit);
        snprintf(what, sizeof what, "commit %.12s", f.commit);
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = lin_git_fail(err, "reading a commit");
            goto out;
        }
        rc = 0;
        if (lin_read_note(repo, notes, &oid, opts, &note)) {
            const cJSON *arts = cJSON_GetObjectItemCaseSensitive(note, "artifacts");
            for (const cJSON *a = arts->child; a && rc == 0; a = a->next) {
                const char *d = lin_str_or_null(a, "digest"), *p = lin_str_or_null(a, "previous");
                if (!d || strcmp(d, want) != 0 || (p && strcmp(p, want) == 0))
                    continue;
                ms_lineage_hit hit = {.path = lin_str_or_null(a, "path"),
                                      .kind = lin_str_or_null(a, "kind"),
                                      .source = "note"};
                memcpy(hit.commit, f.commit, sizeof hit.commit);
                rc = fn(ctx, &hit, err);
            }
        }
        f.note = note;
        ms_error verr;
        if (rc == 0) {
            int vrc = lin_views_for_commit(repo, c, what, &v, &pv, 0, opts, &verr);
            if (vrc == MS_ENOMEM || vrc == MS_EENV) {
                if (err)
                    *err = verr;
                rc = vrc;
            } else if (vrc == 0) {
                f.v = &v;
                f.pv = &pv;
                rc = lin_for_each_artifact(&v, &pv, pv.tree == NULL, NULL, find_one, &f, err);
            } else {
                lin_warnf(opts, "%s", verr.message);
            }
            lin_view_clear(&v);
            lin_view_clear(&pv);
        }
        cJSON_Delete(note);
        git_commit_free(c);
        if (rc)
            goto out;
    }
out:
    lin_walker_clear(&w);
    git_commit_free(notes);
    lin_close(repo);
    return rc < 0 ? rc : 0;
}
