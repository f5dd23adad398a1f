/* Lineage: repository access with libgit2 — opening the repository and the per-commit view of
 * its tracked artifacts, Git LFS pointers, artifact identity (the tree entries that say whether
 * an artifact changed), and the dataset globs. Every blob is untrusted input. Hashing a model
 * from its tree is lineage_tree.c; the state of an artifact in a commit is lineage_state.c. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "hash/walk.h"
#include "lineage_internal.h"
#include "modelseal/bundle.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/key.h"
#include "modelseal/manifest.h"
#include "modelseal/provenance.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"
#include "modelseal/x509.h"
#include "util/encoding.h"

#define LFS_VERSION_LINE "version https://git-lfs.github.com/spec/v1\n"

/* ---- small helpers --------------------------------------------------------------------------- */

void lin_format_digest(const uint8_t d[MS_SHA256_SIZE], char out[72])
{
    static const char hex[] = "0123456789abcdef";
    memcpy(out, "sha256:", 7);
    for (size_t i = 0; i < MS_SHA256_SIZE; i++) {
        out[7 + 2 * i] = hex[d[i] >> 4];
        out[8 + 2 * i] = hex[d[i] & 15];
    }
    out[71] = '\0';
}

int lin_git_fail(ms_error *err, const char *what)
{
    const git_error *e = git_error_last();
    return ms_error_set(err, MS_EENV, "%s: %s", what, e && e->message ? e->message : "git error");
}

void lin_state_clear(lin_state *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->signer);
    free(s->reason);
    cJSON_Delete(s->claims);
    cJSON_Delete(s->datasets);
    memset(s, 0, sizeof *s);
}

void lin_paths_clear(lin_paths *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i]);
    free(p->items);
    memset(p, 0, sizeof *p);
}

int lin_paths_add(lin_paths *p, const char *s, ms_error *err)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        char **items = realloc(p->items, cap * sizeof *items);
        if (!items)
            return ms_error_nomem(err);
        p->items = items;
        p->cap = cap;
    }
    if (!(p->items[p->n] = strdup(s)))
        return ms_error_nomem(err);
    p->n++;
    return 0;
}

/* ---- Git LFS pointers ------------------------------------------------------------------------ */

int ms_lfs_pointer_parse(const uint8_t *data, size_t len, uint8_t oid[MS_SHA256_SIZE],
                         uint64_t *size)
{
    /* The manifest's parser (format/lfs.c) without extension lines: lineage names the content
     * by its oid alone, which an extension (a transformed object) would not be. */
    const size_t vlen = sizeof LFS_VERSION_LINE - 1;
    uint64_t n = 0;
    if (!data || len < vlen + 4 || memcmp(data + vlen, "ext-", 4) == 0 ||
        !ms_lfs_pointer_parse_ext(data, len, oid, &n))
        return 0;
    if (size)
        *size = n;
    return 1;
}

/* ---- repository and views -------------------------------------------------------------------- */

int lin_open_ex(const ms_lineage_options *opts, int scan_index, git_repository **repo,
                ms_error *err)
{
    const char *path = opts && opts->repo ? opts->repo : ".";
    lin_index_prefetch *pf = scan_index ? lin_index_prefetch_start(path, WORKTREE_MIN_BYTES) : NULL;
    *repo = NULL;
    if (git_libgit2_init() < 0) {
        lin_index_prefetch_free(pf);
        return ms_error_set(err, MS_EENV, "cannot initialise libgit2");
    }
    /* Objects are addressed by their ids already; re-hashing every blob read would only double
     * the cost of hashing models stored in git. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, 0);
    int rc = git_repository_open_ext(repo, path, 0, NULL);
    if (rc == GIT_ENOTFOUND) {
        lin_index_prefetch_free(pf);
        git_libgit2_shutdown();
        return ms_error_set(err, MS_EINPUT, "%s: not in a git repository", path);
    }
    if (rc < 0) {
        rc = lin_git_fail(err, path);
        lin_index_prefetch_free(pf);
        git_libgit2_shutdown();
        return rc;
    }
    if (pf)
        lin_index_prefetch_attach(pf, *repo);
    return 0;
}

int lin_open(const ms_lineage_options *opts, git_repository **repo, ms_error *err)
{
    return lin_open_ex(opts, 0, repo, err);
}

void lin_close(git_repository *repo)
{
    if (!repo)
        return;
    lin_index_prefetch_detach(repo);
    git_repository_free(repo);
    git_libgit2_shutdown();
}

int lin_blob_at(git_repository *repo, git_tree *tree, const char *path, git_blob **out,
                ms_error *err)
{
    git_tree_entry *e = NULL;
    *out = NULL;
    int rc = git_tree_entry_bypath(&e, tree, path);
    if (rc == GIT_ENOTFOUND)
        return 0;
    if (rc < 0)
        return lin_git_fail(err, path);
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
        git_tree_entry_free(e);
        return 0;
    }
    rc = git_blob_lookup(out, repo, git_tree_entry_id(e));
    git_tree_entry_free(e);
    if (rc < 0)
        return lin_git_fail(err, path);
    return 1;
}

int lin_view_init(lin_view *v, git_repository *repo, git_tree *tree, const char *what,
                  ms_error *err)
{
    git_blob *blob = NULL;
    int rc;
    memset(v, 0, sizeof *v);
    v->repo = repo;
    v->tree = tree;
    if ((rc = lin_blob_at(repo, tree, MS_LINEAGE_CONFIG_FILE, &blob, err)) <= 0)
        return rc;
    v->has_config = 1;
    git_oid_cpy(&v->config_oid, git_blob_id(blob));
    rc = ms_lineage_config_parse(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob),
                                 &v->config, err);
    git_blob_free(blob);
    if (rc && err && what) {
        char msg[MS_ERROR_MESSAGE_MAX];
        snprintf(msg, sizeof msg, "%s", err->message);
        ms_error_set(err, rc, "%s: %s", what, msg);
    }
    return rc;
}

void lin_view_clear(lin_view *v)
{
    if (!v)
        return;
    git_tree_free(v->tree);
    ms_lineage_config_free(v->config);
    memset(v, 0, sizeof *v);
}

/* ---- artifact identity ----------------------------------------------------------------------- */

static int entry_oid(git_tree *tree, const char *path, int blob_only, git_oid *out, int *is_tree,
                     ms_error *err)
{
    git_tree_entry *e = NULL;
    int rc = git_tree_entry_bypath(&e, tree, path);
    if (rc == GIT_ENOTFOUND)
        return 0;
    if (rc < 0)
        return lin_git_fail(err, path);
    git_object_t t = git_tree_entry_type(e);
    if (blob_only && t != GIT_OBJECT_BLOB) {
        git_tree_entry_free(e);
        return 0;
    }
    git_oid_cpy(out, git_tree_entry_id(e));
    if (is_tree)
        *is_tree = t == GIT_OBJECT_TREE;
    git_tree_entry_free(e);
    return 1;
}

char *lin_path_join(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *s = malloc(la + lb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, la);
    memcpy(s + la, b, lb + 1);
    return s;
}

int lin_ident_get(git_repository *repo, git_tree *tree, lin_kind kind, const char *path,
                  lin_ident *id, ms_error *err)
{
    int is_tree = 0, rc;
    char *p = NULL;
    (void)repo;
    memset(id, 0, sizeof *id);
    if ((rc = entry_oid(tree, path, kind == LIN_DATASET, &id->entry, &is_tree, err)) <= 0)
        return rc;
    id->present = 1;
    size_t hf_repo = kind == LIN_MODEL && is_tree ? msx_hf_repo_len(path) : 0;
    if (hf_repo) { /* a snapshot: its links stand for the bytes in the repository's blobs/ */
        if (asprintf(&p, "%.*s/blobs", (int)hf_repo, path) < 0)
            return ms_error_nomem(err);
        rc = entry_oid(tree, p, 0, &id->blobs, NULL, err);
        free(p);
        if (rc < 0)
            return rc;
    }
    if (is_tree)
        return 0; /* the directory's id covers model.sig and claims.jsonl */
    if (!(p = lin_path_join(path, ".sig")))
        return ms_error_nomem(err);
    rc = entry_oid(tree, p, 1, &id->sig, NULL, err);
    free(p);
    if (rc < 0)
        return rc;
    if (kind == LIN_MODEL) {
        if (!(p = lin_path_join(path, ".claims.jsonl")))
            return ms_error_nomem(err);
        rc = entry_oid(tree, p, 1, &id->claims, NULL, err);
        free(p);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int lin_ident_equal(const lin_ident *a, const lin_ident *b)
{
    if (a->present != b->present)
        return 0;
    if (!a->present)
        return 1;
    return git_oid_equal(&a->entry, &b->entry) && git_oid_equal(&a->sig, &b->sig) &&
           git_oid_equal(&a->claims, &b->claims) && git_oid_equal(&a->blobs, &b->blobs);
}

/* ---- dataset globs --------------------------------------------------------------------------- */

typedef struct glob_walk {
    const char *pattern;
    const char *prefix; /* the subtree's path ("" for the root) */
    size_t depth;       /* components of the pattern below the prefix */
    lin_paths *out;
    ms_lineage_warn_fn warn;
    void *warn_ctx;
    ms_error *err;
    int rc;
} glob_walk;

static size_t count_components(const char *s)
{
    size_t n = *s ? 1 : 0;
    for (; *s; s++)
        n += *s == '/';
    return n;
}

static int glob_cb(const char *root, const git_tree_entry *entry, void *payload)
{
    glob_walk *g = payload;
    const char *name = git_tree_entry_name(entry);
    size_t depth = count_components(root) + 1; /* root ends with '/' when not empty */
    char full[4096];
    int n = snprintf(full, sizeof full, "%s%s%s%s", g->prefix, *g->prefix ? "/" : "", root, name);
    if (n < 0 || (size_t)n >= sizeof full)
        return 1;
    if (root[0])
        depth--; /* "a/" counts as one component plus the empty tail */
    if (git_tree_entry_type(entry) == GIT_OBJECT_TREE)
        return depth < g->depth ? 0 : 1; /* do not descend deeper than the pattern reaches */
    if (git_tree_entry_type(entry) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(entry) == GIT_FILEMODE_LINK || depth != g->depth)
        return 0;
    size_t len = (size_t)n;
    if (len > 4 && memcmp(full + len - 4, ".sig", 4) == 0)
        return 0;
    if (!ms_lineage_glob_match(g->pattern, full))
        return 0;
    if (!msx_utf8_valid(full, len)) {
        if (g->warn)
            g->warn(g->warn_ctx, "skipping a dataset manifest whose path is not valid UTF-8");
        return 0;
    }
    if ((g->rc = lin_paths_add(g->out, full, g->err)) != 0)
        return -1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int lin_dataset_paths(const lin_view *v, const char *pattern, lin_paths *out,
                      ms_lineage_warn_fn warn, void *warn_ctx, ms_error *err)
{
    size_t plen = ms_lineage_glob_prefix(pattern);
    char *prefix = strndup(pattern, plen);
    git_tree *sub = NULL;
    int rc = 0;
    if (!prefix)
        return ms_error_nomem(err);
    if (plen == strlen(pattern)) {
        /* No glob at all: the pattern is one path. */
        git_oid oid;
        if ((rc = entry_oid(v->tree, pattern, 1, &oid, NULL, err)) > 0)
            rc = lin_paths_add(out, pattern, err);
        free(prefix);
        return rc < 0 ? rc : 0;
    }
    if (plen == 0) {
        sub = v->tree;
    } else {
        git_tree_entry *e = NULL;
        rc = git_tree_entry_bypath(&e, v->tree, prefix);
        if (rc == GIT_ENOTFOUND) {
            free(prefix);
            return 0;
        }
        if (rc < 0) {
            free(prefix);
            return lin_git_fail(err, pattern);
        }
        if (git_tree_entry_type(e) != GIT_OBJECT_TREE) {
            git_tree_entry_free(e);
            free(prefix);
            return 0;
        }
        rc = git_tree_lookup(&sub, v->repo, git_tree_entry_id(e));
        git_tree_entry_free(e);
        if (rc < 0) {
            free(prefix);
            return lin_git_fail(err, pattern);
        }
    }
    glob_walk g = {.pattern = pattern,
                   .prefix = prefix,
                   .depth = count_components(pattern + plen + (plen ? 1 : 0)),
                   .out = out,
                   .warn = warn,
                   .warn_ctx = warn_ctx,
                   .err = err};
    size_t before = out->n;
    rc = git_tree_walk(sub, GIT_TREEWALK_PRE, glob_cb, &g);
    if (sub != v->tree)
        git_tree_free(sub);
    free(prefix);
    if (g.rc)
        return g.rc;
    if (rc < 0)
        return lin_git_fail(err, pattern);
    qsort(out->items + before, out->n - before, sizeof *out->items, cmp_str);
    return 0;
}
