/* Lineage: the per-commit note under refs/notes/modelseal, and the history commands built on
 * it (record, log, find, check). History is walked one commit at a time in committer-time
 * order with our own walker (missing parents — shallow clones — end the walk there instead of
 * failing it); notes are untrusted input, validated field by field and ignored with a warning
 * when they are not ours. */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lineage_internal.h"
#include "util/buf.h"
#include "util/json.h"

/* ---- small helpers --------------------------------------------------------------------------- */

static int git_fail(ms_error *err, const char *what)
{
    const git_error *e = git_error_last();
    return ms_error_set(err, MS_EENV, "%s: %s", what, e && e->message ? e->message : "git error");
}

static void warnf(const ms_lineage_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warnf(const ms_lineage_options *o, const char *fmt, ...)
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

static const char *kind_name(lin_kind k)
{
    return k == LIN_MODEL ? "model" : "dataset";
}

static const char *sig_name(lin_sig s)
{
    return s == LIN_VALID ? "valid" : s == LIN_INVALID ? "invalid" : "unsigned";
}

static void oid_hex(const git_oid *oid, char out[41])
{
    git_oid_tostr(out, 41, oid);
}

/* Prefix `what: ` to err's message. */
static void prefix_error(ms_error *err, const char *what)
{
    if (!err || !what)
        return;
    char msg[MS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    ms_error_set(err, err->code, "%s: %s", what, msg);
}

/* ---- the commit walker ----------------------------------------------------------------------- */

enum { NODE_UNINTERESTING = 1, NODE_QUEUED = 2 };

typedef struct walk_node {
    git_oid oid;
    int flags;
    int used;
} walk_node;

typedef struct heap_item {
    git_oid oid;
    int64_t time;
} heap_item;

typedef struct walker {
    git_repository *repo;
    walk_node *table; /* every commit seen, by oid (open addressing) */
    size_t cap, count;
    heap_item *heap; /* queued commits, newest first */
    size_t n_heap, cap_heap;
    size_t interesting_queued;
    int shallow_warned;
    const ms_lineage_options *opts;
} walker;

static void walker_clear(walker *w)
{
    free(w->table);
    free(w->heap);
    memset(w, 0, sizeof *w);
}

static size_t oid_hash(const git_oid *oid)
{
    size_t h;
    memcpy(&h, oid->id, sizeof h);
    return h;
}

static int table_grow(walker *w, ms_error *err)
{
    size_t cap = w->cap ? w->cap * 2 : 1024;
    walk_node *t = calloc(cap, sizeof *t);
    if (!t)
        return ms_error_nomem(err);
    for (size_t i = 0; i < w->cap; i++) {
        if (!w->table[i].used)
            continue;
        size_t j = oid_hash(&w->table[i].oid) & (cap - 1);
        while (t[j].used)
            j = (j + 1) & (cap - 1);
        t[j] = w->table[i];
    }
    free(w->table);
    w->table = t;
    w->cap = cap;
    return 0;
}

static walk_node *table_find(walker *w, const git_oid *oid)
{
    if (!w->cap)
        return NULL;
    size_t j = oid_hash(oid) & (w->cap - 1);
    while (w->table[j].used) {
        if (git_oid_equal(&w->table[j].oid, oid))
            return &w->table[j];
        j = (j + 1) & (w->cap - 1);
    }
    return NULL;
}

static walk_node *table_add(walker *w, const git_oid *oid, ms_error *err)
{
    if ((w->count + 1) * 2 > w->cap && table_grow(w, err) != 0)
        return NULL;
    size_t j = oid_hash(oid) & (w->cap - 1);
    while (w->table[j].used)
        j = (j + 1) & (w->cap - 1);
    w->table[j].used = 1;
    git_oid_cpy(&w->table[j].oid, oid);
    w->count++;
    return &w->table[j];
}

static int heap_before(const heap_item *a, const heap_item *b)
{
    if (a->time != b->time)
        return a->time > b->time;
    return memcmp(a->oid.id, b->oid.id, GIT_OID_RAWSZ) < 0;
}

static int heap_push(walker *w, const git_oid *oid, int64_t time, ms_error *err)
{
    if (w->n_heap == w->cap_heap) {
        size_t cap = w->cap_heap ? w->cap_heap * 2 : 256;
        heap_item *h = realloc(w->heap, cap * sizeof *h);
        if (!h)
            return ms_error_nomem(err);
        w->heap = h;
        w->cap_heap = cap;
    }
    size_t i = w->n_heap++;
    git_oid_cpy(&w->heap[i].oid, oid);
    w->heap[i].time = time;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!heap_before(&w->heap[i], &w->heap[p]))
            break;
        heap_item t = w->heap[i];
        w->heap[i] = w->heap[p];
        w->heap[p] = t;
        i = p;
    }
    return 0;
}

static void heap_pop(walker *w, heap_item *out)
{
    *out = w->heap[0];
    w->heap[0] = w->heap[--w->n_heap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < w->n_heap && heap_before(&w->heap[l], &w->heap[m]))
            m = l;
        if (r < w->n_heap && heap_before(&w->heap[r], &w->heap[m]))
            m = r;
        if (m == i)
            break;
        heap_item t = w->heap[i];
        w->heap[i] = w->heap[m];
        w->heap[m] = t;
        i = m;
    }
}

/* Queue commit `oid` (interesting or not). A commit that cannot be read (beyond a shallow
 * boundary) is skipped: history ends there. */
static int walker_add(walker *w, const git_oid *oid, int uninteresting, ms_error *err)
{
    walk_node *n = table_find(w, oid);
    if (n) {
        if (uninteresting && !(n->flags & NODE_UNINTERESTING)) {
            if (n->flags & NODE_QUEUED)
                w->interesting_queued--;
            n->flags |= NODE_UNINTERESTING;
        }
        return 0;
    }
    git_commit *c = NULL;
    if (git_commit_lookup(&c, w->repo, oid) < 0) {
        if (!w->shallow_warned) {
            char hex[41];
            oid_hex(oid, hex);
            warnf(w->opts,
                  "commit %.12s is not in the repository (shallow clone?): history ends there",
                  hex);
            w->shallow_warned = 1;
        }
        return 0;
    }
    int64_t t = git_commit_time(c);
    git_commit_free(c);
    if (!(n = table_add(w, oid, err)))
        return MS_ENOMEM;
    n->flags = (uninteresting ? NODE_UNINTERESTING : 0) | NODE_QUEUED;
    if (!uninteresting)
        w->interesting_queued++;
    return heap_push(w, oid, t, err);
}

/* The next interesting commit, newest first: 1 with *out, 0 at the end. */
static int walker_next(walker *w, git_oid *out, ms_error *err)
{
    while (w->n_heap && w->interesting_queued > 0) {
        heap_item item;
        heap_pop(w, &item);
        walk_node *n = table_find(w, &item.oid);
        int unint = n->flags & NODE_UNINTERESTING;
        n->flags &= ~NODE_QUEUED;
        if (!unint)
            w->interesting_queued--;
        git_commit *c = NULL;
        if (git_commit_lookup(&c, w->repo, &item.oid) < 0)
            return git_fail(err, "reading a commit");
        unsigned np = git_commit_parentcount(c);
        for (unsigned i = 0; i < np; i++) {
            int rc = walker_add(w, git_commit_parent_id(c, i), unint, err);
            if (rc) {
                git_commit_free(c);
                return rc;
            }
        }
        git_commit_free(c);
        if (!unint) {
            git_oid_cpy(out, &item.oid);
            return 1;
        }
    }
    return 0;
}

/* ---- views of commits ------------------------------------------------------------------------ */

/* The commit's view and its first parent's (pv->tree NULL when there is none or it is missing). */
static int views_for_commit(git_repository *repo, const git_commit *c, const char *what,
                            lin_view *v, lin_view *pv, int parent_config_strict,
                            const ms_lineage_options *opts, ms_error *err)
{
    git_tree *tree = NULL, *ptree = NULL;
    git_commit *parent = NULL;
    int rc;
    memset(v, 0, sizeof *v);
    memset(pv, 0, sizeof *pv);
    pv->repo = repo;
    if (git_commit_tree(&tree, c) < 0)
        return git_fail(err, what);
    if ((rc = lin_view_init(v, repo, tree, what, err)) != 0)
        return rc;
    if (git_commit_parentcount(c) == 0)
        return 0;
    if (git_commit_parent(&parent, c, 0) < 0) {
        warnf(opts,
              "%s: its parent is not in the repository (shallow clone?): treated as a root "
              "commit",
              what);
        return 0;
    }
    rc = git_commit_tree(&ptree, parent);
    git_commit_free(parent);
    if (rc < 0)
        return git_fail(err, what);
    ms_error perr;
    rc = lin_view_init(pv, repo, ptree, "its parent", &perr);
    if (rc == MS_ENOMEM || rc == MS_EENV || (rc && parent_config_strict)) {
        if (err)
            *err = perr;
        prefix_error(err, what);
        return rc;
    }
    if (rc) {
        warnf(opts, "%s: %s (ignored)", what, perr.message);
        ms_lineage_config_free(pv->config);
        pv->config = NULL;
        pv->has_config = 0;
    }
    return 0;
}

/* ---- enumerating the tracked artifacts a commit touches -------------------------------------- */

typedef struct lin_change {
    lin_kind kind;
    const char *path;
    const char *key;
    lin_ident now, before;
    int changed;
} lin_change;

typedef int (*change_fn)(void *ctx, const lin_change *c, ms_error *err);

/* `pvs`: the views the commit is compared with (its parents', `npv` of them, none for a root
 * commit); the artifact changed when it differs from any of them. c.before is the first's. */
static int visit(const lin_view *v, const lin_view *const *pvs, size_t npv, lin_kind kind,
                 const char *path, const char *key, int all, change_fn fn, void *ctx, ms_error *err)
{
    lin_change c = {.kind = kind, .path = path, .key = key};
    int rc;
    if ((rc = lin_ident_get(v->repo, v->tree, kind, path, &c.now, err)) != 0)
        return rc;
    c.changed = npv == 0 && c.now.present;
    for (size_t i = 0; i < npv && !c.changed; i++) {
        lin_ident before = {0};
        if ((rc = lin_ident_get(pvs[i]->repo, pvs[i]->tree, kind, path, &before, err)) != 0)
            return rc;
        if (i == 0)
            c.before = before;
        c.changed = !lin_ident_equal(&c.now, &before);
    }
    if (!c.changed && !(all && c.now.present))
        return 0;
    return fn(ctx, &c, err);
}

/* Same subtree in both trees? (Then no glob below it can have changed.) */
static int same_subtree(const lin_view *v, const lin_view *pv, const char *pattern)
{
    size_t plen = ms_lineage_glob_prefix(pattern);
    if (!pv || !pv->tree)
        return 0;
    if (plen == 0)
        return git_oid_equal(git_tree_id(v->tree), git_tree_id(pv->tree));
    char *prefix = strndup(pattern, plen);
    git_tree_entry *a = NULL, *b = NULL;
    int same = 0;
    if (prefix) {
        int ra = git_tree_entry_bypath(&a, v->tree, prefix);
        int rb = git_tree_entry_bypath(&b, pv->tree, prefix);
        if (ra == GIT_ENOTFOUND && rb == GIT_ENOTFOUND)
            same = 1;
        else if (ra == 0 && rb == 0)
            same = git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b));
    }
    git_tree_entry_free(a);
    git_tree_entry_free(b);
    free(prefix);
    return same;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Call fn for each tracked artifact of v's configuration that changed since any of the `npv`
 * views in `pvs` (all present ones with `all`, or when there is none): models in configuration
 * order, then each dataset glob's manifests in path order (the union of every tree's matches). */
static int artifacts_against(const lin_view *v, const lin_view *const *pvs, size_t npv, int all,
                             const ms_lineage_options *opts, change_fn fn, void *ctx, ms_error *err)
{
    const ms_lineage_config *cfg = v->config;
    int rc = 0;
    if (!cfg)
        return 0;
    for (size_t i = 0; i < cfg->n_models && rc == 0; i++)
        rc = visit(v, pvs, npv, LIN_MODEL, cfg->models[i].path, cfg->models[i].key, all, fn, ctx,
                   err);
    for (size_t i = 0; i < cfg->n_datasets && rc == 0; i++) {
        const ms_lineage_entry *e = &cfg->datasets[i];
        lin_paths paths = {0};
        size_t same = 0;
        for (size_t j = 0; j < npv && !all; j++)
            same += (size_t)same_subtree(v, pvs[j], e->path);
        if (npv > 0 && same == npv)
            continue;
        rc = lin_dataset_paths(v, e->path, &paths, opts ? opts->warn : NULL,
                               opts ? opts->warn_ctx : NULL, err);
        for (size_t j = 0; j < npv && rc == 0; j++)
            rc = lin_dataset_paths(pvs[j], e->path, &paths, NULL, NULL, err);
        if (rc == 0 && npv > 0)
            qsort(paths.items, paths.n, sizeof *paths.items, cmp_path);
        for (size_t k = 0; k < paths.n && rc == 0; k++) {
            if (k > 0 && strcmp(paths.items[k], paths.items[k - 1]) == 0)
                continue;
            rc = visit(v, pvs, npv, LIN_DATASET, paths.items[k], e->key, all, fn, ctx, err);
        }
        lin_paths_clear(&paths);
    }
    return rc;
}

/* The same against one parent's view (none when pv or its tree is NULL). */
static int for_each_artifact(const lin_view *v, const lin_view *pv, int all,
                             const ms_lineage_options *opts, change_fn fn, void *ctx, ms_error *err)
{
    const lin_view *pvs[1] = {pv};
    return artifacts_against(v, pvs, pv && pv->tree ? 1 : 0, all, opts, fn, ctx, err);
}

static const ms_lineage_entry *config_find(const ms_lineage_config *c, lin_kind kind,
                                           const char *path)
{
    if (!c)
        return NULL;
    const ms_lineage_entry *list = kind == LIN_MODEL ? c->models : c->datasets;
    size_t n = kind == LIN_MODEL ? c->n_models : c->n_datasets;
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i].path, path) == 0)
            return &list[i];
    return NULL;
}

/* Changes to the trust anchors between pv's configuration and v's: per artifact entry of the
 * parent's configuration, a key added, removed (or the entry dropped), replaced by another
 * path, or whose file changed. Appends {"artifact","kind","key","change"} objects to `arr`. */
static int key_changes(const lin_view *v, const lin_view *pv, cJSON *arr, ms_error *err)
{
    if (!pv || !pv->tree || !pv->config)
        return 0;
    for (int k = 0; k < 2; k++) {
        lin_kind kind = k == 0 ? LIN_MODEL : LIN_DATASET;
        const ms_lineage_entry *list = k == 0 ? pv->config->models : pv->config->datasets;
        size_t n = k == 0 ? pv->config->n_models : pv->config->n_datasets;
        for (size_t i = 0; i < n; i++) {
            const ms_lineage_entry *old = &list[i];
            const ms_lineage_entry *cur = config_find(v->config, kind, old->path);
            const char *old_key = old->key, *new_key = cur ? cur->key : NULL;
            const char *change = NULL;
            if (!old_key && !new_key)
                continue;
            if (!old_key)
                change = "added";
            else if (!new_key)
                change = "removed";
            else if (strcmp(old_key, new_key) != 0)
                change = "changed";
            else {
                git_blob *a = NULL, *b = NULL;
                int ra = lin_blob_at(v->repo, v->tree, new_key, &a, err);
                int rb = ra < 0 ? ra : lin_blob_at(pv->repo, pv->tree, old_key, &b, err);
                int differ = ra != rb || (a && b && !git_oid_equal(git_blob_id(a), git_blob_id(b)));
                git_blob_free(a);
                git_blob_free(b);
                if (ra < 0 || rb < 0)
                    return ra < 0 ? ra : rb;
                if (differ)
                    change = "changed";
            }
            if (!change)
                continue;
            cJSON *o = cJSON_CreateObject();
            if (!o || !cJSON_AddItemToArray(arr, o) ||
                !cJSON_AddStringToObject(o, "artifact", old->path) ||
                !cJSON_AddStringToObject(o, "kind", kind_name(kind)) ||
                !cJSON_AddStringToObject(o, "key", new_key ? new_key : old_key) ||
                !cJSON_AddStringToObject(o, "change", change))
                return ms_error_nomem(err);
        }
    }
    return 0;
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
        cJSON_AddStringToObject(o, "kind", kind_name(c->kind)) &&
        (named->name ? cJSON_AddStringToObject(o, "name", named->name)
                     : cJSON_AddNullToObject(o, "name")) &&
        cJSON_AddItemToObject(o, "digest", digest_json(now)) &&
        cJSON_AddItemToObject(o, "previous", digest_json(before)) &&
        cJSON_AddStringToObject(o, "change", change) &&
        (now->present && now->signer ? cJSON_AddStringToObject(o, "signer", now->signer)
                                     : cJSON_AddNullToObject(o, "signer")) &&
        cJSON_AddStringToObject(o, "signature", now->present ? sig_name(now->sig) : "unsigned");
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

static int resolve_commit(git_repository *repo, const char *rev, git_commit **out, ms_error *err)
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
    oid_hex(git_commit_id(c), hex);
    snprintf(what, sizeof what, "commit %.12s", hex);
    if ((rc = views_for_commit(repo, c, what, &v, &pv, 0, opts, err)) != 0)
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
    if ((rc = for_each_artifact(&v, &pv, pv.tree == NULL, opts, record_one, &r, err)) != 0)
        goto out;
    if ((rc = key_changes(&v, &pv, keys, err)) != 0)
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
    ms_buf_reset(text);
    rc = ms_buf_append_str(text, s) || ms_buf_append(text, "\n", 1) ? ms_error_nomem(err) : 0;
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
        rc = git_fail(err, "making the notes commit signature");
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
        rc = git_fail(err, what);
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
    if ((rc = resolve_commit(repo, rev ? rev : "HEAD", &c, err)) != 0)
        goto out;
    if ((rc = build_note(repo, c, opts, text, err)) != 0)
        goto out;
    if (write)
        rc = write_note(repo, git_commit_id(c), text, written, err);
out:
    ms_buf_free(&local);
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
    if (ms_json_parse((const uint8_t *)text, len, MS_LINEAGE_NOTE_MAX, "note", &root, &perr)) {
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
static git_commit *notes_commit(git_repository *repo)
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
static int read_note(git_repository *repo, git_commit *notes, const git_oid *oid,
                     const ms_lineage_options *opts, cJSON **out)
{
    git_note *note = NULL;
    char hex[41], why[MS_ERROR_MESSAGE_MAX];
    *out = NULL;
    if (!notes || git_note_commit_read(&note, repo, notes, oid) < 0)
        return 0;
    oid_hex(oid, hex);
    const char *msg = git_note_message(note);
    *out = msg ? parse_note(msg, hex, why, sizeof why) : NULL;
    if (!msg)
        snprintf(why, sizeof why, "empty");
    git_note_free(note);
    if (!*out) {
        warnf(opts,
              "commit %.12s: its %s note is not a modelseal lineage note (%s): not trusted, "
              "read from the tree instead",
              hex, MS_LINEAGE_NOTES_REF, why);
        return 0;
    }
    return 1;
}

/* ---- log ------------------------------------------------------------------------------------- */

static int walker_start_head(walker *w, ms_error *err)
{
    git_oid head;
    int rc = git_reference_name_to_id(&head, w->repo, "HEAD");
    if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
        return 0;
    if (rc < 0)
        return git_fail(err, "HEAD");
    return walker_add(w, &head, 0, err);
}

static void fill_entry_commit(ms_lineage_log_entry *e, const git_commit *c, char *author,
                              size_t author_size)
{
    const git_signature *a = git_commit_author(c);
    oid_hex(git_commit_id(c), e->commit);
    e->time = git_commit_time(c);
    e->offset_minutes = git_commit_time_offset(c);
    snprintf(author, author_size, "%s <%s>", a && a->name ? a->name : "",
             a && a->email ? a->email : "");
    e->author = author;
}

static const char *str_or_null(const cJSON *o, const char *name)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(f) ? f->valuestring : NULL;
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
    l->e->kind = kind_name(c->kind);
    l->e->digest = now.present && now.has_digest ? d1 : NULL;
    l->e->previous = before.present && before.has_digest ? d2 : NULL;
    l->e->change = !c->before.present ? "added" : !c->now.present ? "removed" : "changed";
    l->e->signature = now.present ? sig_name(now.sig) : "unsigned";
    l->e->datasets = now.datasets;
    l->e->source = "tree";
    cJSON *empty = NULL;
    if (!l->e->datasets && !(l->e->datasets = empty = cJSON_CreateArray())) {
        rc = ms_error_nomem(err);
        goto out;
    }
    rc = l->fn(l->fn_ctx, l->e, err);
    cJSON_Delete(empty);
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
        return git_fail(err, "reading a commit's tree");
    if (git_commit_parentcount(c) > 0 && git_commit_parent(&parent, c, 0) == 0) {
        if (git_commit_tree(&ptree, parent) < 0) {
            rc = git_fail(err, "reading a commit's tree");
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
    oid_hex(git_commit_id(c), hex);
    snprintf(what, sizeof what, "commit %.12s", hex);
    ms_error verr;
    if ((rc = lin_view_init(&v, repo, tree, what, &verr)) != 0) {
        if (rc == MS_ENOMEM || rc == MS_EENV) {
            if (err)
                *err = verr;
            tree = NULL;
            goto out;
        }
        warnf(opts, "%s (its artifacts are read as if unconfigured)", verr.message);
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
    notes = notes_commit(repo);
    {
        /* Which kind of artifact is it? Ask HEAD's configuration; else guess by name. */
        git_commit *head = NULL;
        git_tree *t = NULL;
        lin_view v;
        memset(&v, 0, sizeof v);
        size_t pl = strlen(path), sl = strlen(".dsm.jsonl.zst");
        if (pl > sl && strcmp(path + pl - sl, ".dsm.jsonl.zst") == 0)
            guess = LIN_DATASET;
        if (resolve_commit(repo, "HEAD", &head, NULL) == 0 && git_commit_tree(&t, head) == 0) {
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
    if ((rc = walker_start_head(&w, err)) != 0)
        goto out;
    while ((rc = walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        cJSON *note = NULL;
        ms_lineage_log_entry e;
        memset(&e, 0, sizeof e);
        rc = 0;
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = git_fail(err, "reading a commit");
            goto out;
        }
        fill_entry_commit(&e, c, author, sizeof author);
        if (read_note(repo, notes, &oid, opts, &note)) {
            const cJSON *arts = cJSON_GetObjectItemCaseSensitive(note, "artifacts");
            for (const cJSON *a = arts->child; a && rc >= 0; a = a->next) {
                if (strcmp(str_or_null(a, "path"), path) != 0)
                    continue;
                e.path = path;
                e.kind = str_or_null(a, "kind");
                e.digest = str_or_null(a, "digest");
                e.previous = str_or_null(a, "previous");
                e.change = str_or_null(a, "change");
                e.signature = str_or_null(a, "signature");
                e.datasets = cJSON_GetObjectItemCaseSensitive(a, "datasets");
                e.source = "note";
                cJSON *empty = NULL;
                if (!e.datasets && !(e.datasets = empty = cJSON_CreateArray()))
                    rc = ms_error_nomem(err);
                else
                    rc = fn(ctx, &e, err);
                cJSON_Delete(empty);
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
    walker_clear(&w);
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
        if (strcmp(str_or_null(a, "path"), path) == 0)
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
    ms_lineage_hit hit = {.path = c->path, .kind = kind_name(c->kind), .source = "tree"};
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
    notes = notes_commit(repo);
    if ((rc = walker_start_head(&w, err)) != 0)
        goto out;
    while ((rc = walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        cJSON *note = NULL;
        lin_view v, pv;
        char what[64];
        find_ctx f = {.digest = digest, .fn = fn, .fn_ctx = ctx};
        oid_hex(&oid, f.commit);
        snprintf(what, sizeof what, "commit %.12s", f.commit);
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = git_fail(err, "reading a commit");
            goto out;
        }
        rc = 0;
        if (read_note(repo, notes, &oid, opts, &note)) {
            const cJSON *arts = cJSON_GetObjectItemCaseSensitive(note, "artifacts");
            for (const cJSON *a = arts->child; a && rc == 0; a = a->next) {
                const char *d = str_or_null(a, "digest"), *p = str_or_null(a, "previous");
                if (!d || strcmp(d, want) != 0 || (p && strcmp(p, want) == 0))
                    continue;
                ms_lineage_hit hit = {.path = str_or_null(a, "path"),
                                      .kind = str_or_null(a, "kind"),
                                      .source = "note"};
                memcpy(hit.commit, f.commit, sizeof hit.commit);
                rc = fn(ctx, &hit, err);
            }
        }
        f.note = note;
        ms_error verr;
        if (rc == 0) {
            int vrc = views_for_commit(repo, c, what, &v, &pv, 0, opts, &verr);
            if (vrc == MS_ENOMEM || vrc == MS_EENV) {
                if (err)
                    *err = verr;
                rc = vrc;
            } else if (vrc == 0) {
                f.v = &v;
                f.pv = &pv;
                rc = for_each_artifact(&v, &pv, pv.tree == NULL, NULL, find_one, &f, err);
            } else {
                warnf(opts, "%s", verr.message);
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
    walker_clear(&w);
    git_commit_free(notes);
    lin_close(repo);
    return rc < 0 ? rc : 0;
}

/* ---- check ----------------------------------------------------------------------------------- */

typedef struct check_ctx {
    const lin_view *v;
    char commit[41];
    ms_lineage_problem_fn fn;
    void *fn_ctx;
    size_t problems;
} check_ctx;

static void report(check_ctx *k, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(check_ctx *k, const char *path, const char *fmt, ...)
{
    char msg[MS_ERROR_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    k->problems++;
    if (k->fn) {
        ms_lineage_problem p = {.path = path, .message = msg};
        memcpy(p.commit, k->commit, sizeof p.commit);
        k->fn(k->fn_ctx, &p);
    }
}

static int check_one(void *ctx, const lin_change *c, ms_error *err)
{
    check_ctx *k = ctx;
    lin_state st;
    int rc;
    if (!c->now.present)
        return 0; /* removing an artifact leaves nothing unsigned */
    if ((rc = lin_state_get(k->v, c->kind, c->path, c->key, 1, &st, err)) != 0) {
        lin_state_clear(&st);
        return rc;
    }
    if (st.sig == LIN_UNSIGNED)
        report(k, c->path, "the %s is not signed", kind_name(c->kind));
    else if (st.sig == LIN_INVALID)
        report(k, c->path, "%s", st.reason ? st.reason : "the signature is not valid");
    lin_state_clear(&st);
    return 0;
}

/* Did any configured key's file change between the two trees? */
static int keys_touched(const lin_view *v, const lin_view *pv)
{
    for (int k = 0; k < 2 && v->config; k++) {
        const ms_lineage_entry *list = k == 0 ? v->config->models : v->config->datasets;
        size_t n = k == 0 ? v->config->n_models : v->config->n_datasets;
        for (size_t i = 0; i < n; i++) {
            if (!list[i].key)
                continue;
            git_tree_entry *a = NULL, *b = NULL;
            int ra = git_tree_entry_bypath(&a, v->tree, list[i].key);
            int rb = git_tree_entry_bypath(&b, pv->tree, list[i].key);
            int differ =
                ra != rb || (ra == 0 && !git_oid_equal(git_tree_entry_id(a), git_tree_entry_id(b)));
            git_tree_entry_free(a);
            git_tree_entry_free(b);
            if (differ)
                return 1;
        }
    }
    return 0;
}

/* What `lineage check` compares a commit with: a parent's tree, or a base of the range. */
typedef struct check_against {
    lin_view view;
    char label[96]; /* how a key change names it ("" when it is the only parent) */
} check_against;

typedef struct check_against_list {
    check_against *items;
    size_t n, cap;
} check_against_list;

static void against_clear(check_against_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        lin_view_clear(&l->items[i].view);
    free(l->items);
    memset(l, 0, sizeof *l);
}

/* Append the view of `tree` (taken over) labelled `label`. A malformed configuration there is
 * reported through opts->warn and ignored (as for a parent). */
static int against_add(check_against_list *l, git_repository *repo, git_tree *tree,
                       const char *what, const char *label, const ms_lineage_options *opts,
                       ms_error *err)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 4;
        check_against *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            git_tree_free(tree);
            return ms_error_nomem(err);
        }
        l->items = items;
        l->cap = cap;
    }
    check_against *c = &l->items[l->n++];
    snprintf(c->label, sizeof c->label, "%s", label);
    ms_error perr;
    int rc = lin_view_init(&c->view, repo, tree, label[0] ? label : "its parent", &perr);
    if (rc == MS_ENOMEM || rc == MS_EENV) {
        if (err)
            *err = perr;
        prefix_error(err, what);
        return rc;
    }
    if (rc) {
        warnf(opts, "%s: %s (ignored)", what, perr.message);
        ms_lineage_config_free(c->view.config);
        c->view.config = NULL;
        c->view.has_config = 0;
    }
    return 0;
}

/* Check one view against those it is compared with (none: a new history). */
static int check_view(check_ctx *k, const lin_view *v, const check_against_list *against,
                      const ms_lineage_check_options *copts, const ms_lineage_options *opts,
                      int *examined, ms_error *err)
{
    const lin_view *pvs[16] = {0}, **pv = pvs;
    size_t n = against->n;
    int rc = 0, opted = v->has_config, all = n == 0;
    *examined = 0;
    if (n > sizeof pvs / sizeof pvs[0] && !(pv = malloc(n * sizeof *pv)))
        return ms_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        pv[i] = &against->items[i].view;
        opted |= pv[i]->has_config;
        all |= !pv[i]->has_config || !git_oid_equal(&v->config_oid, &pv[i]->config_oid) ||
               keys_touched(v, pv[i]);
    }
    if (!opted)
        goto out; /* not opted in */
    *examined = 1;
    k->v = v;
    if ((rc = artifacts_against(v, pv, n, all, opts, check_one, k, err)) != 0)
        goto out;
    /* The trust configuration may change only where allowed, against every parent: a merge
     * taking the other side's key, or a parentless commit replacing the base's, changes it. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        cJSON *keys = cJSON_CreateArray();
        if (!keys) {
            rc = ms_error_nomem(err);
            break;
        }
        if ((rc = key_changes(v, pv[i], keys, err)) == 0 && !copts->allow_key_change) {
            const char *label = against->items[i].label;
            for (const cJSON *o = keys->child; o; o = o->next) {
                const char *what = str_or_null(o, "change");
                report(k, str_or_null(o, "key"),
                       "the configured key of %s %s was %s%s%s (rotating a trust anchor needs "
                       "--allow-key-change)",
                       str_or_null(o, "kind"), str_or_null(o, "artifact"),
                       strcmp(what, "added") == 0     ? "added"
                       : strcmp(what, "removed") == 0 ? "removed"
                                                      : "changed",
                       label[0] ? " against " : "", label);
            }
        }
        cJSON_Delete(keys);
    }
out:
    if (pv != pvs)
        free(pv);
    return rc;
}

/* Compare with each commit that is to become a parent of the staged tree: HEAD and, while a
 * merge is being concluded, each MERGE_HEAD. */
typedef struct staged_parents {
    git_repository *repo;
    check_against_list *list;
    const ms_lineage_options *opts;
    int rc;
    ms_error *err;
} staged_parents;

static int staged_merge_head(const git_oid *oid, void *payload)
{
    staged_parents *sp = payload;
    git_commit *c = NULL;
    git_tree *tree = NULL;
    char hex[41], label[96];
    oid_hex(oid, hex);
    if (git_commit_lookup(&c, sp->repo, oid) < 0 || git_commit_tree(&tree, c) < 0) {
        git_commit_free(c);
        sp->rc = git_fail(sp->err, "reading MERGE_HEAD");
        return -1;
    }
    git_commit_free(c);
    snprintf(label, sizeof label, "MERGE_HEAD %.12s", hex);
    if ((sp->rc = against_add(sp->list, sp->repo, tree, "the staged tree", label, sp->opts,
                              sp->err)) != 0)
        return -1;
    return 0;
}

static int check_staged(git_repository *repo, const ms_lineage_check_options *copts,
                        const ms_lineage_options *opts, check_ctx *k, size_t *checked,
                        ms_error *err)
{
    git_index *index = NULL;
    git_oid tree_oid;
    git_tree *tree = NULL, *ptree = NULL;
    git_commit *head = NULL;
    lin_view v;
    check_against_list against = {0};
    int rc, examined = 0;
    memset(&v, 0, sizeof v);
    snprintf(k->commit, sizeof k->commit, "index");
    if (copts->index_file ? git_index_open(&index, copts->index_file) < 0
                          : git_repository_index(&index, repo) < 0)
        return git_fail(err, "reading the index");
    /* Staged blobs are already in the object database; writing the tree objects is what
     * `git commit` does first, and changes nothing else. */
    if (git_index_write_tree_to(&tree_oid, index, repo) < 0) {
        rc = git_fail(err, "the index (unresolved conflicts?)");
        goto out;
    }
    if (git_tree_lookup(&tree, repo, &tree_oid) < 0) {
        rc = git_fail(err, "reading the staged tree");
        goto out;
    }
    if ((rc = lin_view_init(&v, repo, tree, "the staged tree", err)) != 0) {
        tree = NULL;
        goto out;
    }
    tree = NULL;
    if (resolve_commit(repo, "HEAD", &head, NULL) == 0 && git_commit_tree(&ptree, head) == 0) {
        rc = against_add(&against, repo, ptree, "the staged tree", "", NULL, err);
        ptree = NULL;
        if (rc)
            goto out;
        staged_parents sp = {repo, &against, opts, 0, err};
        if (git_repository_mergehead_foreach(repo, staged_merge_head, &sp) < 0 && sp.rc) {
            rc = sp.rc;
            goto out;
        }
        git_error_clear();
        if (against.n > 1) /* (a merge: HEAD is named too) */
            snprintf(against.items[0].label, sizeof against.items[0].label, "HEAD");
    }
    rc = check_view(k, &v, &against, copts, opts, &examined, err);
    if (checked)
        *checked = (size_t)examined;
out:
    git_tree_free(tree);
    git_tree_free(ptree);
    git_commit_free(head);
    lin_view_clear(&v);
    against_clear(&against);
    git_index_free(index);
    return rc;
}

/* What commit `c` (in the range) is compared with: each parent (one missing from the repository
 * is left out with a warning); a commit with none (a root, or beyond a shallow boundary) is
 * compared with each base of the range instead, whose everything it replaces. */
static int check_against_for(git_repository *repo, const git_commit *c, const char *what,
                             const git_oid *bases, size_t n_bases, const ms_lineage_options *opts,
                             check_against_list *out, ms_error *err)
{
    unsigned np = git_commit_parentcount(c);
    char hex[41], label[96];
    int rc = 0;
    for (unsigned i = 0; i < np && rc == 0; i++) {
        git_commit *parent = NULL;
        git_tree *ptree = NULL;
        if (git_commit_parent(&parent, c, i) < 0) {
            git_error_clear();
            warnf(opts,
                  "%s: its parent %u is not in the repository (shallow clone?): left out of the "
                  "comparison",
                  what, i + 1);
            continue;
        }
        rc = git_commit_tree(&ptree, parent);
        oid_hex(git_commit_id(parent), hex);
        git_commit_free(parent);
        if (rc < 0)
            return git_fail(err, what);
        if (np == 1)
            label[0] = '\0';
        else
            snprintf(label, sizeof label, "parent %u (%.12s)", i + 1, hex);
        rc = against_add(out, repo, ptree, what, label, opts, err);
    }
    int orphan = out->n == 0;
    for (size_t i = 0; i < n_bases && orphan && rc == 0; i++) {
        git_tree *btree = NULL;
        git_object *obj = NULL;
        oid_hex(&bases[i], hex);
        if (git_object_lookup(&obj, repo, &bases[i], GIT_OBJECT_ANY) < 0 ||
            git_object_peel((git_object **)&btree, obj, GIT_OBJECT_TREE) < 0) {
            git_object_free(obj);
            return git_fail(err, what);
        }
        git_object_free(obj);
        snprintf(label, sizeof label,
                 "the range's base %.12s, which this parentless commit replaces", hex);
        rc = against_add(out, repo, btree, what, label, opts, err);
    }
    return rc;
}

/* Resolve a revision to a commit id. 0, or MS_EINPUT. */
static int rev_to_oid(git_repository *repo, const char *rev, git_oid *out, ms_error *err)
{
    git_commit *c = NULL;
    int rc = resolve_commit(repo, rev, &c, err);
    if (rc == 0) {
        git_oid_cpy(out, git_commit_id(c));
        git_commit_free(c);
    }
    return rc;
}

/* Hide everything reachable from remote-tracking refs. */
static int hide_remotes(walker *w, ms_error *err)
{
    git_reference_iterator *it = NULL;
    git_reference *ref = NULL;
    int rc = 0;
    if (git_reference_iterator_glob_new(&it, w->repo, "refs/remotes/*") < 0)
        return git_fail(err, "listing remote-tracking refs");
    while (rc == 0 && git_reference_next(&ref, it) == 0) {
        git_object *obj = NULL;
        if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
            rc = walker_add(w, git_object_id(obj), 1, err);
            git_object_free(obj);
        }
        git_reference_free(ref);
    }
    git_reference_iterator_free(it);
    return rc;
}

/* The base of a range "BASE..": a commit, or a tree (the empty tree: a new repository, whose
 * every commit is in the range). 1 for a commit, 2 for a tree, 0 when it is neither. */
static int rev_to_base(git_repository *repo, const char *rev, git_oid *out)
{
    git_object *obj = NULL, *peeled = NULL;
    int kind = 0;
    if (git_revparse_single(&obj, repo, rev) == 0) {
        if (git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT) == 0)
            kind = 1;
        else if (git_object_peel(&peeled, obj, GIT_OBJECT_TREE) == 0)
            kind = 2;
        if (kind)
            git_oid_cpy(out, git_object_id(peeled));
    }
    git_error_clear();
    git_object_free(peeled);
    git_object_free(obj);
    return kind;
}

/* Remember `oid` as a base of the ranges (once). */
static int base_add(git_oid **bases, size_t *n, const git_oid *oid, ms_error *err)
{
    for (size_t i = 0; i < *n; i++)
        if (git_oid_equal(&(*bases)[i], oid))
            return 0;
    git_oid *b = realloc(*bases, (*n + 1) * sizeof *b);
    if (!b)
        return ms_error_nomem(err);
    git_oid_cpy(&b[(*n)++], oid);
    *bases = b;
    return 0;
}

int ms_lineage_check(const ms_lineage_options *opts, const ms_lineage_check_options *copts,
                     size_t *checked, ms_error *err)
{
    git_repository *repo = NULL;
    walker w;
    git_oid oid, *bases = NULL;
    size_t n_bases = 0;
    check_ctx k = {.fn = copts->problem, .fn_ctx = copts->problem_ctx};
    size_t n_checked = 0;
    int rc, hidden = 0;
    memset(&w, 0, sizeof w);
    if (checked)
        *checked = 0;
    if ((rc = lin_open_ex(opts, 1, &repo, err)) != 0)
        return rc;
    w.repo = repo;
    w.opts = opts;
    if (copts->staged) {
        rc = check_staged(repo, copts, opts, &k, checked, err);
        goto done;
    }
    for (size_t i = 0; i < copts->n_ranges; i++) {
        const char *r = copts->ranges[i];
        const char *dots = strstr(r, "..");
        git_oid a, b;
        if (dots && dots[2] != '.') {
            char *left = strndup(r, (size_t)(dots - r));
            const char *right = dots[2] ? dots + 2 : "HEAD";
            int base = 0;
            if (!left) {
                rc = ms_error_nomem(err);
                goto out;
            }
            rc = rev_to_oid(repo, right, &b, err);
            if (rc == 0 && (base = rev_to_base(repo, left[0] ? left : "HEAD", &a)) != 0) {
                hidden = 1;
                rc = base_add(&bases, &n_bases, &a, err);
                if (rc == 0 && base == 1)
                    rc = walker_add(&w, &a, 1, err);
            } else if (rc == 0) {
                warnf(opts,
                      "%s: %s is not in this repository: checking what no remote-tracking "
                      "ref has instead",
                      r, left);
            }
            free(left);
            if (rc == 0)
                rc = walker_add(&w, &b, 0, err);
        } else if (r[0] == '^') {
            if ((rc = rev_to_oid(repo, r + 1, &a, err)) == 0) {
                hidden = 1;
                rc = base_add(&bases, &n_bases, &a, err);
                if (rc == 0)
                    rc = walker_add(&w, &a, 1, err);
            }
        } else if ((rc = rev_to_oid(repo, r, &b, err)) == 0) {
            rc = walker_add(&w, &b, 0, err);
        }
        if (rc)
            goto out;
    }
    if (copts->n_ranges == 0 && (rc = walker_start_head(&w, err)) != 0)
        goto out;
    if ((!hidden || copts->hide_remotes) && (rc = hide_remotes(&w, err)) != 0)
        goto out;
    while ((rc = walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        git_tree *tree = NULL;
        lin_view v;
        check_against_list against = {0};
        char what[64];
        int examined = 0;
        memset(&v, 0, sizeof v);
        oid_hex(&oid, k.commit);
        snprintf(what, sizeof what, "commit %.12s", k.commit);
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = git_fail(err, "reading a commit");
            goto out;
        }
        if (git_commit_tree(&tree, c) < 0)
            rc = git_fail(err, what);
        else
            rc = lin_view_init(&v, repo, tree, what, err);
        if (rc == 0)
            rc = check_against_for(repo, c, what, bases, n_bases, opts, &against, err);
        if (rc == 0)
            rc = check_view(&k, &v, &against, copts, opts, &examined, err);
        n_checked += (size_t)examined;
        lin_view_clear(&v);
        against_clear(&against);
        git_commit_free(c);
        if (rc)
            goto out;
    }
out:
    if (checked)
        *checked = n_checked;
done:
    free(bases);
    walker_clear(&w);
    lin_close(repo);
    if (rc < 0)
        return rc;
    if (k.problems)
        return ms_error_set(err, MS_EVERIFY, "%zu problem%s found", k.problems,
                            k.problems == 1 ? "" : "s");
    return 0;
}
