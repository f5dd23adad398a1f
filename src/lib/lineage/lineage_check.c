/* Lineage: `lineage check` — every commit of a range, or the staged changes, checked against
 * the configuration's keys. */
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
        report(k, c->path, "the %s is not signed", lin_kind_name(c->kind));
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
        lin_prefix_error(err, what);
        return rc;
    }
    if (rc) {
        lin_warnf(opts, "%s: %s (ignored)", what, perr.message);
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
    if ((rc = lin_artifacts_against(v, pv, n, all, opts, check_one, k, err)) != 0)
        goto out;
    /* The trust configuration may change only where allowed, against every parent: a merge
     * taking the other side's key, or a parentless commit replacing the base's, changes it. */
    for (size_t i = 0; i < n && rc == 0; i++) {
        cJSON *keys = cJSON_CreateArray();
        if (!keys) {
            rc = ms_error_nomem(err);
            break;
        }
        if ((rc = lin_key_changes(v, pv[i], keys, err)) == 0 && !copts->allow_key_change) {
            const char *label = against->items[i].label;
            for (const cJSON *o = keys->child; o; o = o->next) {
                const char *what = lin_str_or_null(o, "change");
                report(k, lin_str_or_null(o, "key"),
                       "the configured key of %s %s was %s%s%s (rotating a trust anchor needs "
                       "--allow-key-change)",
                       lin_str_or_null(o, "kind"), lin_str_or_null(o, "artifact"),
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
    lin_oid_hex(oid, hex);
    if (git_commit_lookup(&c, sp->repo, oid) < 0 || git_commit_tree(&tree, c) < 0) {
        git_commit_free(c);
        sp->rc = lin_git_fail(sp->err, "reading MERGE_HEAD");
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
        return lin_git_fail(err, "reading the index");
    /* Staged blobs are already in the object database; writing the tree objects is what
     * `git commit` does first, and changes nothing else. */
    if (git_index_write_tree_to(&tree_oid, index, repo) < 0) {
        rc = lin_git_fail(err, "the index (unresolved conflicts?)");
        goto out;
    }
    if (git_tree_lookup(&tree, repo, &tree_oid) < 0) {
        rc = lin_git_fail(err, "reading the staged tree");
        goto out;
    }
    if ((rc = lin_view_init(&v, repo, tree, "the staged tree", err)) != 0) {
        tree = NULL;
        goto out;
    }
    tree = NULL;
    if (lin_resolve_commit(repo, "HEAD", &head, NULL) == 0 && git_commit_tree(&ptree, head) == 0) {
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
            lin_warnf(
                opts,
                "%s: its parent %u is not in the repository (shallow clone?): left out of the "
                "comparison",
                what, i + 1);
            continue;
        }
        rc = git_commit_tree(&ptree, parent);
        lin_oid_hex(git_commit_id(parent), hex);
        git_commit_free(parent);
        if (rc < 0)
            return lin_git_fail(err, what);
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
        lin_oid_hex(&bases[i], hex);
        if (git_object_lookup(&obj, repo, &bases[i], GIT_OBJECT_ANY) < 0 ||
            git_object_peel((git_object **)&btree, obj, GIT_OBJECT_TREE) < 0) {
            git_object_free(obj);
            return lin_git_fail(err, what);
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
    int rc = lin_resolve_commit(repo, rev, &c, err);
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
        return lin_git_fail(err, "listing remote-tracking refs");
    while (rc == 0 && git_reference_next(&ref, it) == 0) {
        git_object *obj = NULL;
        if (git_reference_peel(&obj, ref, GIT_OBJECT_COMMIT) == 0) {
            rc = lin_walker_add(w, git_object_id(obj), 1, err);
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
                    rc = lin_walker_add(&w, &a, 1, err);
            } else if (rc == 0) {
                lin_warnf(opts,
                          "%s: %s is not in this repository: checking what no remote-tracking "
                          "ref has instead",
                          r, left);
            }
            free(left);
            if (rc == 0)
                rc = lin_walker_add(&w, &b, 0, err);
        } else if (r[0] == '^') {
            if ((rc = rev_to_oid(repo, r + 1, &a, err)) == 0) {
                hidden = 1;
                rc = base_add(&bases, &n_bases, &a, err);
                if (rc == 0)
                    rc = lin_walker_add(&w, &a, 1, err);
            }
        } else if ((rc = rev_to_oid(repo, r, &b, err)) == 0) {
            rc = lin_walker_add(&w, &b, 0, err);
        }
        if (rc)
            goto out;
    }
    if (copts->n_ranges == 0 && (rc = lin_walker_start_head(&w, err)) != 0)
        goto out;
    if ((!hidden || copts->hide_remotes) && (rc = hide_remotes(&w, err)) != 0)
        goto out;
    while ((rc = lin_walker_next(&w, &oid, err)) == 1) {
        git_commit *c = NULL;
        git_tree *tree = NULL;
        lin_view v;
        check_against_list against = {0};
        char what[64];
        int examined = 0;
        memset(&v, 0, sizeof v);
        lin_oid_hex(&oid, k.commit);
        snprintf(what, sizeof what, "commit %.12s", k.commit);
        if (git_commit_lookup(&c, repo, &oid) < 0) {
            rc = lin_git_fail(err, "reading a commit");
            goto out;
        }
        if (git_commit_tree(&tree, c) < 0)
            rc = lin_git_fail(err, what);
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
    lin_walker_clear(&w);
    lin_close(repo);
    if (rc < 0)
        return rc;
    if (k.problems)
        return ms_error_set(err, MS_EVERIFY, "%zu problem%s found", k.problems,
                            k.problems == 1 ? "" : "s");
    return 0;
}
