/* Lineage: reading tracked artifacts from a commit's tree with libgit2 — the configuration,
 * signatures, claims, dataset manifests, and the model files themselves, hashed from their
 * blobs (a Git LFS pointer stands for its content through its `oid sha256:`). Every blob is
 * untrusted input. The one use of the working tree: a large model file that git's index says is
 * checked out clean (see worktree_mark) is read from the checked-out file, which spares
 * inflating it from a pack into memory; its bytes count only when git's object id computed over
 * them in the same read is the commit's blob id (hash_worktree), else the blob is hashed. The
 * index only says where to look; the content hashed is always the commit's. */
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
/* Blobs larger than this in total are hashed on several threads. */
#define PARALLEL_MIN_BYTES ((uint64_t)16 << 20)
/* Files at least this large are read from the working tree when the index says they are clean
 * (and count when their bytes prove to be the blob). */
#define WORKTREE_MIN_BYTES ((uint64_t)1 << 20)
#define MAX_THREADS 16u

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

static int git_fail(ms_error *err, const char *what)
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

static void set_reason(lin_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(lin_state *st, const char *fmt, ...)
{
    va_list ap;
    if (st->reason)
        return; /* keep the first */
    va_start(ap, fmt);
    if (vasprintf(&st->reason, fmt, ap) < 0)
        st->reason = NULL;
    va_end(ap);
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
    const size_t vlen = sizeof LFS_VERSION_LINE - 1;
    const char *p = (const char *)data, *end = (const char *)data + len;
    uint64_t n = 0;
    if (!data || len > MS_LFS_POINTER_MAX || len < vlen || memcmp(p, LFS_VERSION_LINE, vlen) != 0)
        return 0;
    p += vlen;
    if ((size_t)(end - p) < 4 + 7 + 64 + 1 || memcmp(p, "oid sha256:", 11) != 0)
        return 0;
    p += 11;
    for (size_t i = 0; i < 64; i++) {
        char c = p[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return 0;
    }
    if (p[64] != '\n')
        return 0;
    const char *hex = p;
    p += 65;
    if ((size_t)(end - p) < 7 || memcmp(p, "size ", 5) != 0)
        return 0;
    p += 5;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (n > (UINT64_MAX - d) / 10)
            return 0;
        n = n * 10 + d;
        p++;
    }
    if (p == digits || (p - digits > 1 && digits[0] == '0'))
        return 0;
    if (p >= end || *p != '\n' || p + 1 != end)
        return 0;
    for (size_t i = 0; i < MS_SHA256_SIZE; i++) {
        unsigned hi = (unsigned)(hex[2 * i] <= '9' ? hex[2 * i] - '0' : hex[2 * i] - 'a' + 10);
        unsigned lo =
            (unsigned)(hex[2 * i + 1] <= '9' ? hex[2 * i + 1] - '0' : hex[2 * i + 1] - 'a' + 10);
        oid[i] = (uint8_t)(hi << 4 | lo);
    }
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
        rc = git_fail(err, path);
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
        return git_fail(err, path);
    if (git_tree_entry_type(e) != GIT_OBJECT_BLOB ||
        git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
        git_tree_entry_free(e);
        return 0;
    }
    rc = git_blob_lookup(out, repo, git_tree_entry_id(e));
    git_tree_entry_free(e);
    if (rc < 0)
        return git_fail(err, path);
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
        return git_fail(err, path);
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

static char *path_join(const char *a, const char *b)
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
    if (is_tree)
        return 0; /* the directory's id covers model.sig and claims.jsonl */
    if (!(p = path_join(path, ".sig")))
        return ms_error_nomem(err);
    rc = entry_oid(tree, p, 1, &id->sig, NULL, err);
    free(p);
    if (rc < 0)
        return rc;
    if (kind == LIN_MODEL) {
        if (!(p = path_join(path, ".claims.jsonl")))
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
           git_oid_equal(&a->claims, &b->claims);
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
    if (!ms_utf8_valid(full, len)) {
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
            return git_fail(err, pattern);
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
            return git_fail(err, pattern);
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
        return git_fail(err, pattern);
    qsort(out->items + before, out->n - before, sizeof *out->items, cmp_str);
    return 0;
}

/* ---- hashing a model from its tree ----------------------------------------------------------- */

typedef struct tfile {
    char *path; /* relative to the model root; "." for a single-file model */
    git_oid oid;
    uint64_t size;
    /* worktree_mark: the checked-out file holds exactly the blob's bytes, as long as its stat
     * is still this (the index entry's) */
    int worktree;
    struct stat wt;
} tfile;

typedef struct tfiles {
    tfile *items;
    size_t n, cap;
    uint64_t bytes;
} tfiles;

static void tfiles_clear(tfiles *f)
{
    for (size_t i = 0; i < f->n; i++)
        free(f->items[i].path);
    free(f->items);
    memset(f, 0, sizeof *f);
}

static int ignored_path(const char *path, const ms_serialization *ser, int ignore_git)
{
    if (strcmp(path, MS_SIGNATURE_FILE) == 0 || strcmp(path, MS_CLAIMS_FILE) == 0)
        return 1;
    if (ignore_git) {
        for (size_t i = 0; i < ms_walk_git_paths_count; i++) {
            size_t l = strlen(ms_walk_git_paths[i]);
            if (strncmp(path, ms_walk_git_paths[i], l) == 0 && (path[l] == 0 || path[l] == '/'))
                return 1;
        }
    }
    for (size_t i = 0; i < ser->n_ignore_paths; i++) {
        size_t l = strlen(ser->ignore_paths[i]);
        if (strncmp(path, ser->ignore_paths[i], l) == 0 && (path[l] == 0 || path[l] == '/'))
            return 1;
    }
    return 0;
}

static int tfiles_add(tfiles *f, const char *path, const git_oid *oid, ms_error *err)
{
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 64;
        tfile *items = realloc(f->items, cap * sizeof *items);
        if (!items)
            return ms_error_nomem(err);
        f->items = items;
        f->cap = cap;
    }
    if (f->n >= 10000000)
        return ms_error_set(err, MS_EINPUT, "%s: too many files", path);
    tfile *t = &f->items[f->n];
    memset(t, 0, sizeof *t);
    if (!(t->path = strdup(path)))
        return ms_error_nomem(err);
    git_oid_cpy(&t->oid, oid);
    f->n++;
    return 0;
}

/* Collect the files of a directory model in OMS order: git orders a tree's entries by name with
 * subtrees compared as "name/", which is exactly full-path byte order. */
static int collect_tree(git_repository *repo, const git_tree *tree, const char *prefix,
                        const char *model, const ms_serialization *ser, int ignore_git, tfiles *out,
                        unsigned depth, ms_error *err)
{
    size_t n = git_tree_entrycount(tree);
    char *full = NULL;
    int rc = 0;
    if (depth > 256)
        return ms_error_set(err, MS_EINPUT, "%s: directories nested too deeply", model);
    for (size_t i = 0; i < n && rc == 0; i++) {
        const git_tree_entry *e = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(e);
        size_t nl = strlen(name), pl = prefix ? strlen(prefix) : 0;
        free(full);
        if (!(full = malloc(pl + nl + 2))) {
            rc = ms_error_nomem(err);
            break;
        }
        if (prefix)
            snprintf(full, pl + nl + 2, "%s/%s", prefix, name);
        else
            memcpy(full, name, nl + 1);
        if (ignored_path(full, ser, ignore_git) &&
            (prefix == NULL || (strcmp(full, MS_SIGNATURE_FILE) && strcmp(full, MS_CLAIMS_FILE))))
            continue;
        if (!ms_utf8_valid(name, nl) || strchr(name, '\\')) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: a file name in the model is not valid UTF-8 or has a backslash",
                              model);
            break;
        }
        git_object_t t = git_tree_entry_type(e);
        if (t == GIT_OBJECT_TREE) {
            git_tree *sub = NULL;
            if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0) {
                rc = git_fail(err, model);
                break;
            }
            rc = collect_tree(repo, sub, full, model, ser, ignore_git, out, depth + 1, err);
            git_tree_free(sub);
        } else if (t == GIT_OBJECT_BLOB && git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
            rc = ms_error_set(err, MS_EINPUT, "%s/%s: a symbolic link in the model", model, full);
        } else if (t == GIT_OBJECT_BLOB) {
            rc = tfiles_add(out, full, git_tree_entry_id(e), err);
        } else {
            rc = ms_error_set(err, MS_EINPUT, "%s/%s: a submodule in the model", model, full);
        }
    }
    free(full);
    return rc;
}

/* Hash one blob's content into the resources for file `f` (files: one; shards: one per range). */
typedef struct hash_out {
    uint8_t *digests; /* files: one digest per file; shards: filled per shard below */
    int lfs;          /* set when any LFS pointer was met */
} hash_out;

typedef struct hash_job {
    const char *gitdir;
    const char *workdir;  /* NULL for a bare repository */
    git_repository *repo; /* the caller's (used by thread 0 only) */
    const tfiles *files;
    const ms_serialization *ser;
    const char *model;
    ms_resource *res;  /* n_res, laid out by file then shard */
    size_t *first_res; /* per file: index of its first resource */
    _Atomic size_t next;
    _Atomic int failed;
    pthread_mutex_t lock;
    ms_error err;
    int rc;
} hash_job;

static int shard_count(uint64_t size, uint64_t shard, size_t *out)
{
    uint64_t k = size / shard + (size % shard != 0);
    if (k > 10000000)
        return -1;
    *out = (size_t)k;
    return 0;
}

static void job_fail(hash_job *job, int rc, const ms_error *e)
{
    pthread_mutex_lock(&job->lock);
    if (!job->rc) {
        job->rc = rc;
        job->err = *e;
    }
    pthread_mutex_unlock(&job->lock);
    atomic_store(&job->failed, 1);
}

/* Hash a large loose object through a stream with a fixed buffer, which spares holding (and
 * faulting in) two copies of it. 1 when done, 0 when the object cannot be streamed (packed
 * objects: the caller reads it whole), < 0 on error. */
#define STREAM_MIN_BYTES ((size_t)4 << 20)
#define STREAM_BUFFER ((size_t)1 << 20)

/* The thread's read buffer, made on first need and aligned to the page: copies out of the page
 * cache into a buffer that is not aligned to the cache line (malloc's large blocks start 16 bytes
 * into a page) run a quarter slower, which alone cost `lineage record` 7 % against `modelseal
 * verify`. NULL when there is no memory. */
static uint8_t *read_buffer(uint8_t **bufp)
{
    void *p = NULL;
    if (!*bufp && posix_memalign(&p, 4096, STREAM_BUFFER) == 0)
        *bufp = p;
    return *bufp;
}

/* One file's resources hashed as its bytes arrive in order: the files method makes one digest,
 * the shards method one per shard_size bytes. */
typedef struct shard_feed {
    ms_hasher *h;
    ms_resource *r;                            /* the file's first resource */
    size_t dlen, k;                            /* digest size; resources done */
    uint64_t len, done, shard_end, shard_size; /* shard_size 0: the files method */
} shard_feed;

/* -1 when the hasher fails. */
static int feed_start(shard_feed *s, const hash_job *job, ms_hasher *h, size_t i, uint64_t len)
{
    const ms_serialization *ser = job->ser;
    memset(s, 0, sizeof *s);
    s->h = h;
    s->r = &job->res[job->first_res[i]];
    s->dlen = ms_hash_size(ser->algorithm);
    s->len = len;
    s->shard_size = ser->method == MS_METHOD_SHARDS ? ser->shard_size : 0;
    s->shard_end = s->shard_size ? s->shard_size : UINT64_MAX;
    if (ms_hasher_reset(h))
        return -1;
    if (len == 0 && !s->shard_size) { /* an empty file has a digest; it has no shard */
        if (ms_hasher_final(h, s->r->digest))
            return -1;
        s->r->digest_len = s->dlen;
    }
    return 0;
}

/* How many bytes to take next, at most `cap`: never past the file's or the shard's end. */
static size_t feed_want(const shard_feed *s, size_t cap)
{
    uint64_t left = s->len - s->done, shard_left = s->shard_end - s->done;
    if (shard_left < left)
        left = shard_left;
    return left < (uint64_t)cap ? (size_t)left : cap;
}

/* Take the next n (<= feed_want) bytes; a shard or the file that ends there gets its digest.
 * -1 when the hasher fails. */
static int feed_take(shard_feed *s, const uint8_t *data, size_t n)
{
    if (ms_hasher_update(s->h, data, n))
        return -1;
    s->done += (uint64_t)n;
    if (s->done == s->shard_end || s->done == s->len) {
        if (ms_hasher_final(s->h, s->r[s->k].digest) || ms_hasher_reset(s->h))
            return -1;
        s->r[s->k++].digest_len = s->dlen;
        if (s->shard_size)
            s->shard_end = s->done + s->shard_size;
    }
    return 0;
}

static int hash_streamed(hash_job *job, git_repository *repo, ms_hasher *h, uint8_t **bufp,
                         size_t i, ms_error *err)
{
    const tfile *f = &job->files->items[i];
    size_t len = 0;
    git_odb *odb = NULL;
    git_odb_stream *st = NULL;
    git_object_t type;
    uint8_t *buf;
    shard_feed feed;
    int rc = 0;
    if (git_repository_odb(&odb, repo) < 0)
        return 0;
    if (git_odb_open_rstream(&st, &len, &type, odb, &f->oid) < 0 || len < STREAM_MIN_BYTES) {
        git_error_clear();
        goto out;
    }
    if (!(buf = read_buffer(bufp))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (feed_start(&feed, job, h, i, (uint64_t)len)) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    while (feed.done < feed.len) {
        int n = git_odb_stream_read(st, (char *)buf, feed_want(&feed, STREAM_BUFFER));
        if (n <= 0) {
            rc = git_fail(err, f->path);
            goto out;
        }
        if (feed_take(&feed, buf, (size_t)n)) {
            rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
            goto out;
        }
    }
    rc = 1;
out:
    if (st)
        git_odb_stream_free(st);
    git_odb_free(odb);
    return rc;
}

static int ts_before(int64_t s1, long n1, int64_t s2, long n2)
{
    return s1 < s2 || (s1 == s2 && n1 < n2);
}

/* 1 when the file named by the format exists (or the name is too long to tell: assume so). */
static int file_exists(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int file_exists(const char *fmt, ...)
{
    char path[PATH_MAX];
    struct stat st;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= sizeof path || lstat(path, &st) == 0;
}

/* 1 when no attributes file can apply to `rel`: none in the index (index_has_attributes),
 * none in the work tree on its way from the root, no info/attributes, no global or system one.
 * Then git_attr_get_many, which loads the whole index, is not needed. */
static int no_attributes(git_repository *repo, const char *rel, int index_has_attributes)
{
    const char *workdir = git_repository_workdir(repo), *home = getenv("HOME"),
               *xdg = getenv("XDG_CONFIG_HOME");
    git_config *cfg = NULL;
    git_buf buf = GIT_BUF_INIT;
    int set = 0;
    const char *common = git_repository_commondir(repo);
    if (index_has_attributes || !workdir ||
        file_exists("%sinfo/attributes", git_repository_path(repo)) ||
        (common && file_exists("%sinfo/attributes", common)) || /* (a linked worktree's) */
        file_exists("/etc/gitattributes") ||
        (xdg && *xdg ? file_exists("%s/git/attributes", xdg)
                     : (!home || file_exists("%s/.config/git/attributes", home))))
        return 0;
    for (const char *sl = rel;; sl++) {
        sl = strchr(sl, '/');
        if (file_exists("%s%.*s%s.gitattributes", workdir, sl ? (int)(sl - rel) : 0, rel,
                        sl ? "/" : ""))
            return 0;
        if (!sl)
            break;
    }
    if (git_repository_config_snapshot(&cfg, repo) < 0) {
        git_error_clear();
        return 0;
    }
    set = git_config_get_string_buf(&buf, cfg, "core.attributesFile") == 0;
    git_buf_dispose(&buf);
    git_error_clear();
    git_config_free(cfg);
    return !set;
}

/* 1 when no attribute or setting makes the checked-out bytes of `path` differ from its blob:
 * no filter driver (Git LFS, custom), no text/eol conversion, no ident, no encoding. A hint
 * that spares reading a converted file twice (the system-wide attributes are not consulted):
 * what is hashed is bound to the blob by hash_worktree whatever this says. */
static int worktree_plain(git_repository *repo, const char *path, int index_has_attributes)
{
    static const char *const names[] = {"filter", "text",  "eol",
                                        "crlf",   "ident", "working-tree-encoding"};
    const char *values[sizeof names / sizeof names[0]];
    git_config *cfg = NULL;
    int autocrlf = 0;
    if (no_attributes(repo, path, index_has_attributes))
        goto config;
    if (git_attr_get_many(values, repo, GIT_ATTR_CHECK_NO_SYSTEM, path,
                          sizeof names / sizeof names[0], (const char **)names) < 0) {
        git_error_clear();
        return 0;
    }
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        if (GIT_ATTR_IS_TRUE(values[k]) || GIT_ATTR_HAS_VALUE(values[k]))
            return 0;
    }
config:
    if (git_repository_config_snapshot(&cfg, repo) < 0) {
        git_error_clear();
        return 0;
    }
    const char *v = NULL;
    git_buf buf = GIT_BUF_INIT;
    if (git_config_get_string_buf(&buf, cfg, "core.autocrlf") == 0) {
        v = buf.ptr;
        autocrlf = !(strcmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcmp(v, "no") == 0 ||
                     strcmp(v, "off") == 0);
    }
    git_buf_dispose(&buf);
    git_error_clear();
    git_config_free(cfg);
    return !autocrlf;
}

static int want_cmp(const void *a, const void *b)
{
    const lin_index_want *x = a, *y = b;
    return lin_index_name_cmp(x->rel, x->rel_len, y->rel, y->rel_len);
}

/* Mark the files whose checked-out copy is likely to hold exactly the commit's blob, by git's own
 * test: the index entry for the path names the same blob, the file's lstat (size, mtime and
 * ctime to the nanosecond, inode, device) is the one the index recorded when it hashed the
 * file, and that was not in the index's last moments (a "racily clean" entry proves nothing);
 * the blob's size is the file's (so no LFS smudge or conversion happened), and no attribute asks
 * for a conversion. Anything else, or any doubt: the file is hashed from its blob. This is only
 * where to look: whoever writes .git/index controls every field compared here, so the bytes
 * read count only when they prove to be the blob (hash_worktree). */
static void worktree_mark(git_repository *repo, tfiles *files, const char *model)
{
    const char *workdir = git_repository_workdir(repo);
    git_odb *odb = NULL;
    lin_index_want *wants = NULL;
    size_t n = 0;
    int index_attrs = 0;
    struct stat ist;
    if (!workdir || git_repository_odb(&odb, repo) < 0 || GIT_OID_RAWSZ != 20)
        goto out;
    /* Only files of WORKTREE_MIN_BYTES or more are worth it. Each comes with probes for the
     * attributes files of its directories (the only ones that apply to it). */
    size_t cap = 0, n_files = 0;
    for (size_t i = 0; i < files->n; i++) {
        tfile *f = &files->items[i];
        size_t bsize;
        git_object_t type;
        char *rel = NULL;
        if (git_odb_read_header(&bsize, &type, odb, &f->oid) != 0 ||
            (uint64_t)bsize < WORKTREE_MIN_BYTES)
            continue;
        if (strcmp(f->path, ".") == 0 ? asprintf(&rel, "%s", model) < 0
                                      : asprintf(&rel, "%s/%s", model, f->path) < 0)
            continue;
        size_t depth = 1;
        for (const char *c = rel; *c; c++)
            depth += *c == '/';
        if (n + depth + 1 > cap) {
            size_t ncap = (n + depth + 1) * 2;
            lin_index_want *nw = realloc(wants, ncap * sizeof *nw);
            if (!nw) {
                free(rel);
                goto out;
            }
            memset(nw + cap, 0, (ncap - cap) * sizeof *nw);
            wants = nw;
            cap = ncap;
        }
        wants[n].rel = rel;
        wants[n].rel_len = strlen(rel);
        wants[n].tag = f;
        f->size = bsize;
        n++;
        n_files++;
        for (const char *sl = rel;; sl++) { /* ".gitattributes", "a/.gitattributes", ... */
            sl = strchr(sl, '/');
            char *probe = NULL;
            if (asprintf(&probe, "%.*s%s.gitattributes", sl ? (int)(sl - rel) : 0, rel,
                         sl ? "/" : "") < 0)
                goto out;
            wants[n].rel = probe;
            wants[n].rel_len = strlen(probe);
            n++;
            if (!sl)
                break;
        }
    }
    if (n_files == 0)
        goto out;
    qsort(wants, n, sizeof *wants, want_cmp);
    size_t kept = 0; /* probes shared by several files: once */
    for (size_t i = 0; i < n; i++) {
        if (kept && strcmp(wants[kept - 1].rel, wants[i].rel) == 0) {
            if (!wants[kept - 1].tag)
                wants[kept - 1].tag = wants[i].tag;
            free((char *)wants[i].rel);
            continue;
        }
        wants[kept++] = wants[i];
    }
    n = kept;
    if (lin_index_lookup(repo, wants, n, &index_attrs, &ist) != 0)
        goto out;
    for (size_t i = 0; i < n; i++) {
        lin_index_want *w = &wants[i];
        tfile *f = w->tag;
        char *full = NULL;
        struct stat st;
        if (!f)
            continue; /* a probe */
        /* (the index keeps sizes, inodes and devices truncated to 32 bits) */
        if (w->found && memcmp(w->oid, f->oid.id, 20) == 0 && (w->mode & 0170000) == 0100000 &&
            asprintf(&full, "%s%s", workdir, w->rel) >= 0 && lstat(full, &st) == 0 &&
            S_ISREG(st.st_mode) && (uint64_t)st.st_size == f->size &&
            (uint32_t)st.st_size == w->size && (uint32_t)st.st_mtim.tv_sec == w->mtime_s &&
            (uint32_t)st.st_mtim.tv_nsec == w->mtime_ns &&
            (uint32_t)st.st_ctim.tv_sec == w->ctime_s &&
            (uint32_t)st.st_ctim.tv_nsec == w->ctime_ns && (uint32_t)st.st_ino == w->ino &&
            (uint32_t)st.st_dev == w->dev &&
            ts_before(st.st_mtim.tv_sec, st.st_mtim.tv_nsec, ist.st_mtim.tv_sec,
                      ist.st_mtim.tv_nsec) &&
            worktree_plain(repo, w->rel, index_attrs)) {
            f->worktree = 1;
            f->wt = st;
        }
        free(full);
    }
out:
    git_error_clear();
    if (wants) {
        for (size_t i = 0; i < n; i++)
            free((char *)wants[i].rel);
    }
    free(wants);
    git_odb_free(odb);
}

/* The stat a file had when the index was compared with it, or when read: unchanged? */
static int same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Hash a file marked by worktree_mark from the working tree: opened beneath the work tree
 * without following symlinks, it must still have the stat the index recorded, before and after
 * reading. The index only says where to look: the bytes count only when git's object id of the
 * very bytes hashed ("blob <size>\0" and the content, SHA-1 as the repository's objects) is
 * the tree's. 1 when done, 0 when not (the caller uses the blob), < 0 on error. */
static int hash_worktree(hash_job *job, ms_hasher *h, uint8_t **bufp, size_t i, ms_error *err)
{
    const tfile *f = &job->files->items[i];
    char *full = NULL, header[32];
    uint8_t *buf, oid[EVP_MAX_MD_SIZE];
    unsigned oid_len = 0;
    struct stat st, after;
    shard_feed feed;
    EVP_MD_CTX *blob_id = NULL;
    int fd = -1, rc = 0, header_len;
    if (!job->workdir)
        return 0;
    if (strcmp(f->path, ".") == 0
            ? asprintf(&full, "%s%s", job->workdir, job->model) < 0
            : asprintf(&full, "%s%s/%s", job->workdir, job->model, f->path) < 0)
        return ms_error_nomem(err);
    fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0 || fstat(fd, &st) != 0 || !same_stat(&st, &f->wt))
        goto out; /* it changed since the index saw it: use the blob */
    if (!(buf = read_buffer(bufp)) || !(blob_id = EVP_MD_CTX_new())) {
        rc = ms_error_nomem(err);
        goto out;
    }
    header_len = snprintf(header, sizeof header, "blob %llu", (unsigned long long)st.st_size);
    if (EVP_DigestInit_ex(blob_id, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(blob_id, header, (size_t)header_len + 1) != 1) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (feed_start(&feed, job, h, i, (uint64_t)st.st_size)) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    while (feed.done < feed.len) {
        ssize_t n = pread(fd, buf, feed_want(&feed, STREAM_BUFFER), (off_t)feed.done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto out; /* shrank or unreadable: use the blob */
        if (feed_take(&feed, buf, (size_t)n) || EVP_DigestUpdate(blob_id, buf, (size_t)n) != 1) {
            rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
            goto out;
        }
    }
    if (fstat(fd, &after) != 0 || !same_stat(&after, &st))
        goto out; /* written to while read: use the blob */
    if (EVP_DigestFinal_ex(blob_id, oid, &oid_len) != 1) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    if (oid_len != GIT_OID_RAWSZ || memcmp(oid, f->oid.id, GIT_OID_RAWSZ) != 0)
        goto out; /* not the commit's blob, whatever the index says: use the blob */
    rc = 1;
out:
    EVP_MD_CTX_free(blob_id);
    if (fd >= 0)
        close(fd);
    free(full);
    return rc;
}

/* `*repop` is the thread's repository, opened on first need (NULL until then): a thread whose
 * files all come from the working tree never opens one. */
static int hash_one(hash_job *job, git_repository **repop, ms_hasher *h, uint8_t **bufp, size_t i,
                    ms_error *err)
{
    const tfile *f = &job->files->items[i];
    git_blob *blob = NULL;
    const ms_serialization *ser = job->ser;
    ms_resource *r = &job->res[job->first_res[i]];
    shard_feed feed;
    int rc = f->worktree ? hash_worktree(job, h, bufp, i, err) : 0;
    if (rc == 0 && !*repop && git_repository_open(repop, job->gitdir) < 0)
        return git_fail(err, job->gitdir);
    git_repository *repo = *repop;
    if (rc == 0)
        rc = hash_streamed(job, repo, h, bufp, i, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (git_blob_lookup(&blob, repo, &f->oid) < 0)
        return git_fail(err, f->path);
    const uint8_t *data = git_blob_rawcontent(blob);
    uint64_t size = (uint64_t)git_blob_rawsize(blob);
    uint8_t oid[MS_SHA256_SIZE];
    if (size <= MS_LFS_POINTER_MAX && ms_lfs_pointer_parse(data, (size_t)size, oid, NULL)) {
        if (ser->method != MS_METHOD_FILES || ser->algorithm != MS_HASH_SHA256) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s/%s: a Git LFS pointer can only be checked against a files-method "
                              "SHA-256 signature",
                              job->model, f->path);
        } else {
            memcpy(r->digest, oid, MS_SHA256_SIZE);
            r->digest_len = MS_SHA256_SIZE;
        }
        goto out;
    }
    if (feed_start(&feed, job, h, i, size)) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    while (feed.done < feed.len) {
        size_t n = feed_want(&feed, SIZE_MAX);
        if (feed_take(&feed, data + feed.done, n)) {
            rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
            goto out;
        }
    }
out:
    git_blob_free(blob);
    return rc;
}

static void *hash_worker(void *arg)
{
    hash_job *job = arg;
    git_repository *repo = NULL;
    uint8_t *buf = NULL;
    ms_hasher *h = ms_hasher_new(job->ser->algorithm);
    ms_error err;
    ms_error_clear(&err);
    if (!h) {
        ms_error_nomem(&err);
        job_fail(job, MS_ENOMEM, &err);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&job->next, 1);
        if (i >= job->files->n || atomic_load(&job->failed))
            break;
        int rc = hash_one(job, &repo, h, &buf, i, &err);
        if (rc) {
            job_fail(job, rc, &err);
            break;
        }
    }
    git_repository_free(repo);
    free(buf);
    ms_hasher_free(h);
    return NULL;
}

/* Hash `files` as `ser` says into a new manifest named `model_name`. */
static int hash_files(git_repository *repo, const tfiles *files, const ms_serialization *ser,
                      const char *model, ms_manifest **out, ms_error *err)
{
    ms_manifest *m = ms_manifest_new();
    size_t n_res = 0;
    hash_job job;
    int rc = 0;
    memset(&job, 0, sizeof job);
    pthread_mutex_init(&job.lock, NULL);
    *out = NULL;
    if (!m || ms_serialization_copy(&m->serialization, ser)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (ser->method == MS_METHOD_SHARDS && ser->shard_size == 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: shard size 0", model);
        goto out;
    }
    job.first_res = calloc(files->n + 1, sizeof *job.first_res);
    if (!job.first_res) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* Lay out the resources: shards need each blob's size first (read from the header only). */
    git_odb *odb = NULL;
    if (ser->method == MS_METHOD_SHARDS && git_repository_odb(&odb, repo) < 0) {
        rc = git_fail(err, model);
        goto out;
    }
    for (size_t i = 0; i < files->n; i++) {
        size_t k = 1;
        job.first_res[i] = n_res;
        if (ser->method == MS_METHOD_SHARDS) {
            size_t sz;
            git_object_t t;
            if (git_odb_read_header(&sz, &t, odb, &files->items[i].oid) < 0) {
                git_odb_free(odb);
                rc = git_fail(err, files->items[i].path);
                goto out;
            }
            files->items[i].size = sz;
            if (shard_count(sz, ser->shard_size, &k)) {
                git_odb_free(odb);
                rc = ms_error_set(err, MS_EINPUT, "%s: too many shards", model);
                goto out;
            }
        }
        n_res += k;
    }
    git_odb_free(odb);
    m->resources = calloc(n_res ? n_res : 1, sizeof *m->resources);
    if (!m->resources) {
        rc = ms_error_nomem(err);
        goto out;
    }
    m->n_resources = n_res;
    for (size_t i = 0; i < files->n; i++) {
        size_t first = job.first_res[i],
               k = (i + 1 < files->n ? job.first_res[i + 1] : n_res) - first;
        for (size_t s = 0; s < k; s++) {
            char *name;
            if (ser->method == MS_METHOD_FILES) {
                name = strdup(files->items[i].path);
            } else {
                uint64_t start = (uint64_t)s * ser->shard_size;
                uint64_t end = files->items[i].size - start > ser->shard_size
                                   ? start + ser->shard_size
                                   : files->items[i].size;
                if (asprintf(&name, "%s:%llu:%llu", files->items[i].path, (unsigned long long)start,
                             (unsigned long long)end) < 0)
                    name = NULL;
            }
            if (!name) {
                rc = ms_error_nomem(err);
                goto out;
            }
            m->resources[first + s].name = name;
        }
    }

    job.gitdir = git_repository_path(repo);
    job.workdir = git_repository_workdir(repo);
    job.repo = repo;
    job.files = files;
    job.ser = ser;
    job.model = model;
    job.res = m->resources;
    uint64_t total = 0;
    git_odb *hodb = NULL;
    if (git_repository_odb(&hodb, repo) == 0) {
        for (size_t i = 0; i < files->n && total < PARALLEL_MIN_BYTES; i++) {
            size_t sz;
            git_object_t t;
            if (git_odb_read_header(&sz, &t, hodb, &files->items[i].oid) == 0)
                total += sz;
        }
        git_odb_free(hodb);
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned threads = cpus > 0 ? (unsigned)cpus : 1;
    if (threads > MAX_THREADS)
        threads = MAX_THREADS;
    if (threads > files->n)
        threads = (unsigned)files->n;
    if (total < PARALLEL_MIN_BYTES || threads < 2) {
        ms_hasher *h = ms_hasher_new(ser->algorithm);
        if (!h) {
            rc = ms_error_nomem(err);
            goto out;
        }
        uint8_t *buf = NULL;
        for (size_t i = 0; i < files->n && rc == 0; i++)
            rc = hash_one(&job, &repo, h, &buf, i, err);
        free(buf);
        ms_hasher_free(h);
        if (rc)
            goto out;
    } else {
        pthread_t tids[MAX_THREADS];
        unsigned started = 0;
        for (; started < threads; started++)
            if (pthread_create(&tids[started], NULL, hash_worker, &job) != 0)
                break;
        if (started == 0) {
            rc = ms_error_set(err, MS_EENV, "cannot start hashing threads");
            goto out;
        }
        for (unsigned t = 0; t < started; t++)
            pthread_join(tids[t], NULL);
        if (job.rc) {
            if (err)
                *err = job.err;
            rc = job.rc;
            goto out;
        }
        if (atomic_load(&job.next) < files->n) {
            rc = ms_error_set(err, MS_EENV, "hashing stopped early");
            goto out;
        }
    }
    if ((rc = ms_manifest_root(m->resources, m->n_resources, m->root_digest)) != 0) {
        rc = ms_error_set(err, rc, "cannot compute the root digest");
        goto out;
    }
    *out = m;
    m = NULL;
out:
    pthread_mutex_destroy(&job.lock);
    free(job.first_res);
    ms_manifest_free(m);
    return rc;
}

/* Build the manifest of the model whose tree entry is `e` (a tree, or a blob for a single
 * file), as `ser` says. */
static int manifest_from_tree(git_repository *repo, const git_tree_entry *e, const char *model,
                              const ms_serialization *ser, int ignore_git, ms_manifest **out,
                              ms_error *err)
{
    tfiles files = {0};
    int rc;
    *out = NULL;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        git_tree *t = NULL;
        if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
            return git_fail(err, model);
        rc = collect_tree(repo, t, NULL, model, ser, ignore_git, &files, 0, err);
        git_tree_free(t);
    } else if (git_tree_entry_type(e) == GIT_OBJECT_BLOB &&
               git_tree_entry_filemode(e) != GIT_FILEMODE_LINK) {
        rc = tfiles_add(&files, ".", git_tree_entry_id(e), err);
    } else {
        rc = ms_error_set(err, MS_EINPUT, "%s: neither a file nor a directory", model);
    }
    if (rc == 0) {
        worktree_mark(repo, &files, model);
        rc = hash_files(repo, &files, ser, model, out, err);
    }
    tfiles_clear(&files);
    return rc;
}

/* ---- signatures, claims, provenance ---------------------------------------------------------- */

static char *signer_of(const ms_bundle *b)
{
    const char *hint = ms_bundle_key_hint(b);
    if (ms_bundle_certificate_count(b) > 0) {
        ms_x509_chain *chain = ms_x509_chain_new();
        char *id = NULL;
        size_t len;
        const uint8_t *der = ms_bundle_certificate(b, 0, &len);
        if (chain && der && ms_x509_chain_add_der(chain, der, len, NULL) == 0)
            id = ms_x509_leaf_identity(chain);
        ms_x509_chain_free(chain);
        if (id)
            return id;
    }
    return hint ? strdup(hint) : NULL;
}

/* Parse the key at key_path in the tree. 1 with *key, 0 when absent/malformed (reason set). */
static int load_key(const lin_view *v, const char *key_path, ms_key **key, lin_state *st,
                    ms_error *err)
{
    git_blob *blob = NULL;
    ms_error kerr;
    *key = NULL;
    int rc = lin_blob_at(v->repo, v->tree, key_path, &blob, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        set_reason(st, "the configured key %s is not in the commit", key_path);
        return 0;
    }
    rc = ms_key_parse_public(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), key, &kerr);
    git_blob_free(blob);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc) {
        set_reason(st, "the configured key %s is not a public key", key_path);
        return 0;
    }
    return 1;
}

/* Check the bundle's signature with the configured key; sets st->sig invalid on failure. */
static int check_key(const lin_view *v, const ms_bundle *b, const char *key_path, lin_state *st,
                     ms_error *err)
{
    ms_key *key = NULL;
    ms_signer_info info;
    ms_error verr;
    memset(&info, 0, sizeof info);
    int rc = load_key(v, key_path, &key, st, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        st->sig = LIN_INVALID;
        return 0;
    }
    const ms_key *keys[1] = {key};
    ms_trust trust = {.keys = keys, .n_keys = 1};
    rc = ms_verify_bundle_signature(b, &trust, &info, &verr);
    if (rc == MS_ENOMEM) {
        ms_key_free(key);
        return ms_error_nomem(err);
    }
    if (rc) {
        st->sig = LIN_INVALID;
        set_reason(st, "not signed by the configured key %s: %s", key_path, verr.message);
    } else if (info.hint[0]) {
        free(st->signer);
        st->signer = strdup(info.hint);
    }
    ms_signer_info_clear(&info);
    ms_key_free(key);
    return 0;
}

static int claims_and_datasets(const lin_view *v, const char *claims_path, lin_state *st,
                               ms_error *err)
{
    git_blob *blob = NULL;
    ms_claims *claims = NULL;
    ms_error cerr;
    int rc;
    if (!(st->claims = cJSON_CreateArray()) || !(st->datasets = cJSON_CreateArray()))
        return ms_error_nomem(err);
    if ((rc = lin_blob_at(v->repo, v->tree, claims_path, &blob, err)) <= 0)
        return rc;
    const uint8_t *text = git_blob_rawcontent(blob);
    size_t len = (size_t)git_blob_rawsize(blob);
    rc = ms_claims_parse(text, len, claims_path, &claims, &cerr);
    if (rc == MS_ENOMEM) {
        git_blob_free(blob);
        return ms_error_nomem(err);
    }
    if (rc) {
        /* A malformed claims file: no claim is trusted; the reason is kept for `check`. */
        git_blob_free(blob);
        return 0;
    }
    for (size_t i = 0; i < claims->n; i++) {
        const ms_claim *c = &claims->items[i];
        uint8_t d[MS_SHA256_SIZE];
        char hex[72];
        cJSON *o = cJSON_CreateObject();
        ms_sha256(c->text, c->len, d);
        lin_format_digest(d, hex);
        if (!o || !cJSON_AddItemToArray(st->claims, o) ||
            !cJSON_AddStringToObject(o, "predicateType", c->statement->predicate_type) ||
            !cJSON_AddStringToObject(o, "digest", hex)) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if (st->has_digest) {
        for (size_t i = ms_claims_find(claims, st->digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, 0);
             i < claims->n;
             i = ms_claims_find(claims, st->digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, i + 1)) {
            ms_provenance *p = NULL;
            if (ms_provenance_parse(claims->items[i].statement, &p, &cerr) != 0)
                continue;
            for (size_t k = 0; k < p->n_deps; k++) {
                const ms_provenance_dependency *d = &p->deps[k];
                const char *sha = ms_provenance_dependency_digest(d, "sha256");
                if (!d->role || strcmp(d->role, "dataset") != 0)
                    continue;
                cJSON *o = cJSON_CreateObject();
                char digest[80];
                snprintf(digest, sizeof digest, "sha256:%s", sha ? sha : "");
                if (!o || !cJSON_AddItemToArray(st->datasets, o) ||
                    !(d->name ? cJSON_AddStringToObject(o, "name", d->name)
                              : cJSON_AddNullToObject(o, "name")) ||
                    !(sha ? cJSON_AddStringToObject(o, "digest", digest)
                          : cJSON_AddNullToObject(o, "digest"))) {
                    ms_provenance_free(p);
                    rc = ms_error_nomem(err);
                    goto out;
                }
            }
            ms_provenance_free(p);
            break; /* the first provenance for this model */
        }
    }
out:
    ms_claims_free(claims);
    git_blob_free(blob);
    return rc;
}

static char *basename_dup(const char *path)
{
    const char *s = strrchr(path, '/');
    return strdup(s ? s + 1 : path);
}

/* The signature at sig_path in the tree, read for a state: 0 when there is none, or it does not
 * parse or carry a statement (st->sig is then LIN_INVALID with the reason); 1 with *bundle and
 * *stmt (`generic`: any statement, as ms_statement_from_bundle); negative on an environment
 * error. *sig, *bundle and *stmt are the caller's to free, whatever the result. */
static int read_signature(const lin_view *v, const char *sig_path, int generic, git_blob **sig,
                          ms_bundle **bundle, ms_statement **stmt, lin_state *st, ms_error *err)
{
    ms_error lerr;
    int rc = lin_blob_at(v->repo, v->tree, sig_path, sig, err);
    if (rc != 1)
        return rc;
    rc = ms_bundle_parse(git_blob_rawcontent(*sig), (size_t)git_blob_rawsize(*sig), bundle, &lerr);
    if (rc == 0)
        rc = ms_statement_from_bundle(*bundle, generic, stmt, &lerr);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc) {
        st->sig = LIN_INVALID;
        set_reason(st, "%s", lerr.message);
        return 0;
    }
    return 1;
}

static int model_state(const lin_view *v, const char *path, const char *key_path, int verify,
                       lin_state *st, ms_error *err)
{
    git_tree_entry *e = NULL;
    git_blob *sig = NULL;
    ms_bundle *bundle = NULL;
    ms_statement *stmt = NULL;
    ms_manifest *actual = NULL;
    ms_manifest_diff diff;
    char *sig_path = NULL, *claims_path = NULL;
    ms_error lerr;
    int rc = git_tree_entry_bypath(&e, v->tree, path);
    memset(&diff, 0, sizeof diff);
    if (rc == GIT_ENOTFOUND)
        return 0;
    if (rc < 0)
        return git_fail(err, path);
    st->present = 1;
    int is_dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
    if (is_dir) {
        sig_path = malloc(strlen(path) + sizeof "/" MS_SIGNATURE_FILE);
        claims_path = malloc(strlen(path) + sizeof "/" MS_CLAIMS_FILE);
        if (sig_path && claims_path) {
            sprintf(sig_path, "%s/%s", path, MS_SIGNATURE_FILE);
            sprintf(claims_path, "%s/%s", path, MS_CLAIMS_FILE);
        }
    } else {
        sig_path = path_join(path, ".sig");
        claims_path = path_join(path, ".claims.jsonl");
    }
    if (!sig_path || !claims_path) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = read_signature(v, sig_path, 0, &sig, &bundle, &stmt, st, err)) < 0)
        goto out;
    if (rc == 1) {
        st->sig = LIN_VALID;
        st->has_digest = 1;
        memcpy(st->digest, stmt->subject_digest, MS_SHA256_SIZE);
        if (stmt->subject_name && !(st->name = strdup(stmt->subject_name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        st->signer = signer_of(bundle);
    }
    rc = 0;
    if (!st->name && !(st->name = basename_dup(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }

    if (st->sig == LIN_VALID && verify) {
        const ms_manifest *signed_m = stmt->manifest;
        uint8_t root[MS_SHA256_SIZE];
        if (ms_manifest_root(signed_m->resources, signed_m->n_resources, root) != 0 ||
            memcmp(root, stmt->subject_digest, MS_SHA256_SIZE) != 0) {
            st->sig = LIN_INVALID;
            set_reason(st, "the subject digest does not match the signed resources");
        }
        if (st->sig == LIN_VALID && key_path && (rc = check_key(v, bundle, key_path, st, err)) < 0)
            goto out;
        if (st->sig == LIN_VALID) {
            rc = manifest_from_tree(v->repo, e, path, &signed_m->serialization,
                                    !signed_m->serialization.has_ignore_paths, &actual, &lerr);
            if (rc == MS_ENOMEM || rc == MS_EENV) {
                if (err)
                    *err = lerr;
                goto out;
            }
            if (rc) {
                st->sig = LIN_INVALID;
                set_reason(st, "%s", lerr.message);
            } else {
                rc = ms_manifest_compare(signed_m, actual, &diff, &lerr);
                if (rc == MS_ENOMEM) {
                    rc = ms_error_nomem(err);
                    goto out;
                }
                if (rc) {
                    char msg[512];
                    int off = snprintf(msg, sizeof msg, "the files do not match the signature:");
                    for (size_t i = 0; i < diff.n_changed && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " changed %s",
                                        diff.changed[i]);
                    for (size_t i = 0; i < diff.n_missing && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " missing %s",
                                        diff.missing[i]);
                    for (size_t i = 0; i < diff.n_extra && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " extra %s",
                                        diff.extra[i]);
                    st->sig = LIN_INVALID;
                    set_reason(st, "%s", rc == MS_EVERIFY ? msg : lerr.message);
                }
                rc = 0;
            }
        }
    } else if (st->sig != LIN_VALID) {
        /* Unsigned (or an unreadable signature): the digest of the files as they are. */
        ms_serialization ser;
        ms_serialization_init(&ser);
        rc = manifest_from_tree(v->repo, e, path, &ser, 1, &actual, &lerr);
        ms_serialization_clear(&ser);
        if (rc == MS_ENOMEM || rc == MS_EENV) {
            if (err)
                *err = lerr;
            goto out;
        }
        if (rc == 0) {
            st->has_digest = 1;
            memcpy(st->digest, actual->root_digest, MS_SHA256_SIZE);
        } else {
            set_reason(st, "%s", lerr.message);
        }
        if (st->sig == LIN_UNSIGNED)
            set_reason(st, "%s", "no signature");
        rc = 0;
    }
    if (verify)
        rc = claims_and_datasets(v, claims_path, st, err);
out:
    ms_manifest_diff_clear(&diff);
    ms_manifest_free(actual);
    ms_statement_free(stmt);
    ms_bundle_free(bundle);
    git_blob_free(sig);
    git_tree_entry_free(e);
    free(sig_path);
    free(claims_path);
    return rc;
}

/* Write a blob to a private temporary file (the dataset reader works on paths). */
static int blob_to_temp(const git_blob *blob, char *path, size_t size, ms_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/modelseal-lineage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return ms_error_set(err, MS_EENV, "cannot create a temporary file in %s",
                            tmp && *tmp ? tmp : "/tmp");
    const uint8_t *p = git_blob_rawcontent(blob);
    size_t left = (size_t)git_blob_rawsize(blob);
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return ms_error_set(err, MS_EENV, "cannot write a temporary file");
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0) {
        unlink(path);
        return ms_error_set(err, MS_EENV, "cannot write a temporary file");
    }
    return 0;
}

static int dataset_state(const lin_view *v, const char *path, const char *key_path, int verify,
                         lin_state *st, ms_error *err)
{
    git_blob *blob = NULL, *sig = NULL;
    ms_bundle *bundle = NULL;
    ms_statement *stmt = NULL;
    ms_dataset_info info;
    char *sig_path = NULL, tmp[4096] = "";
    ms_error lerr;
    int have_info = 0, rc;
    memset(&info, 0, sizeof info);
    if ((rc = lin_blob_at(v->repo, v->tree, path, &blob, err)) <= 0)
        return rc;
    st->present = 1;
    if (!(st->claims = cJSON_CreateArray()) || !(st->datasets = cJSON_CreateArray()) ||
        !(sig_path = path_join(path, ".sig"))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = blob_to_temp(blob, tmp, sizeof tmp, err)) != 0) {
        tmp[0] = 0;
        goto out;
    }
    rc = ms_dataset_info_load(tmp, &info, &lerr);
    if (rc == MS_ENOMEM) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (rc == 0) {
        have_info = 1;
        st->has_digest = 1;
        memcpy(st->digest, info.root_digest, MS_SHA256_SIZE);
        if (info.name && !(st->name = strdup(info.name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    } else {
        /* Replace the temporary file's name in the message with the path in the tree. */
        const char *m = lerr.message;
        size_t tl = strlen(tmp);
        char msg[MS_ERROR_MESSAGE_MAX];
        if (strncmp(m, tmp, tl) == 0)
            m += tl;
        snprintf(msg, sizeof msg, "%s%s", path, m);
        set_reason(st, "%s", msg);
    }
    if ((rc = read_signature(v, sig_path, 1, &sig, &bundle, &stmt, st, err)) < 0)
        goto out;
    if (rc == 1) {
        st->sig = LIN_VALID;
        st->signer = signer_of(bundle);
        if (!st->has_digest) {
            /* The manifest is unreadable: name the dataset as its signature does. */
            st->has_digest = 1;
            memcpy(st->digest, stmt->subject_digest, MS_SHA256_SIZE);
        }
        if (!st->name && stmt->subject_name && !(st->name = strdup(stmt->subject_name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    rc = 0;
    if (!st->name && !(st->name = basename_dup(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (!verify)
        goto out;
    if (!have_info) {
        st->sig = st->sig == LIN_UNSIGNED ? LIN_UNSIGNED : LIN_INVALID;
        if (st->sig == LIN_UNSIGNED)
            set_reason(st, "%s", "no signature");
        goto out;
    }
    if (st->sig == LIN_UNSIGNED) {
        set_reason(st, "%s", "no signature");
        goto out;
    }
    if (st->sig == LIN_VALID) {
        rc = ms_dataset_statement_check(stmt, &info, &lerr);
        if (rc == MS_ENOMEM) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (rc) {
            st->sig = LIN_INVALID;
            set_reason(st, "the signature is for another manifest: %s", lerr.message);
        }
        rc = 0;
    }
    if (st->sig == LIN_VALID && key_path)
        rc = check_key(v, bundle, key_path, st, err);
out:
    if (tmp[0])
        unlink(tmp);
    ms_dataset_info_clear(&info);
    ms_statement_free(stmt);
    ms_bundle_free(bundle);
    git_blob_free(sig);
    git_blob_free(blob);
    free(sig_path);
    return rc;
}

int lin_state_get(const lin_view *v, lin_kind kind, const char *path, const char *key_path,
                  int verify, lin_state *st, ms_error *err)
{
    memset(st, 0, sizeof *st);
    if (kind == LIN_MODEL)
        return model_state(v, path, key_path, verify, st, err);
    return dataset_state(v, path, key_path, verify, st, err);
}
