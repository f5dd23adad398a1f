/* Lineage: walking history one commit at a time in committer-time order with our own walker
 * (missing parents — shallow clones — end the walk there instead of failing it), the views of a
 * commit and its parents, and the tracked artifacts a commit touches. */
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

/* ---- the commit walker ----------------------------------------------------------------------- */

void lin_walker_clear(walker *w)
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
int lin_walker_add(walker *w, const git_oid *oid, int uninteresting, ms_error *err)
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
            lin_oid_hex(oid, hex);
            lin_warnf(w->opts,
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
int lin_walker_next(walker *w, git_oid *out, ms_error *err)
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
            return lin_git_fail(err, "reading a commit");
        unsigned np = git_commit_parentcount(c);
        for (unsigned i = 0; i < np; i++) {
            int rc = lin_walker_add(w, git_commit_parent_id(c, i), unint, err);
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
int lin_views_for_commit(git_repository *repo, const git_commit *c, const char *what, lin_view *v,
                         lin_view *pv, int parent_config_strict, const ms_lineage_options *opts,
                         ms_error *err)
{
    git_tree *tree = NULL, *ptree = NULL;
    git_commit *parent = NULL;
    int rc;
    memset(v, 0, sizeof *v);
    memset(pv, 0, sizeof *pv);
    pv->repo = repo;
    if (git_commit_tree(&tree, c) < 0)
        return lin_git_fail(err, what);
    if ((rc = lin_view_init(v, repo, tree, what, err)) != 0)
        return rc;
    if (git_commit_parentcount(c) == 0)
        return 0;
    if (git_commit_parent(&parent, c, 0) < 0) {
        lin_warnf(opts,
                  "%s: its parent is not in the repository (shallow clone?): treated as a root "
                  "commit",
                  what);
        return 0;
    }
    rc = git_commit_tree(&ptree, parent);
    git_commit_free(parent);
    if (rc < 0)
        return lin_git_fail(err, what);
    ms_error perr;
    rc = lin_view_init(pv, repo, ptree, "its parent", &perr);
    if (rc == MS_ENOMEM || rc == MS_EENV || (rc && parent_config_strict)) {
        if (err)
            *err = perr;
        lin_prefix_error(err, what);
        return rc;
    }
    if (rc) {
        lin_warnf(opts, "%s: %s (ignored)", what, perr.message);
        ms_lineage_config_free(pv->config);
        pv->config = NULL;
        pv->has_config = 0;
    }
    return 0;
}

/* ---- enumerating the tracked artifacts a commit touches -------------------------------------- */

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
int lin_artifacts_against(const lin_view *v, const lin_view *const *pvs, size_t npv, int all,
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
int lin_for_each_artifact(const lin_view *v, const lin_view *pv, int all,
                          const ms_lineage_options *opts, change_fn fn, void *ctx, ms_error *err)
{
    const lin_view *pvs[1] = {pv};
    return lin_artifacts_against(v, pvs, pv && pv->tree ? 1 : 0, all, opts, fn, ctx, err);
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
int lin_key_changes(const lin_view *v, const lin_view *pv, cJSON *arr, ms_error *err)
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
                !cJSON_AddStringToObject(o, "kind", lin_kind_name(kind)) ||
                !cJSON_AddStringToObject(o, "key", new_key ? new_key : old_key) ||
                !cJSON_AddStringToObject(o, "change", change))
                return ms_error_nomem(err);
        }
    }
    return 0;
}
