/* Lineage: hashing a model from a commit's tree with libgit2 — the model files themselves,
 * hashed from their blobs (a Git LFS pointer stands for its content through its `oid sha256:`).
 * Every blob is untrusted input. The one use of the working tree: a large model file that git's
 * index says is checked out clean (see worktree_mark) is read from the checked-out file, which
 * spares inflating it from a pack into memory; its bytes count only when git's object id
 * computed over them in the same read is the commit's blob id (hash_worktree), else the blob is
 * hashed. The index only says where to look; the content hashed is always the commit's. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "hash/engine.h"
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

/* Blobs larger than this in total are hashed on several threads. */
#define PARALLEL_MIN_BYTES ((uint64_t)16 << 20)
#define MAX_THREADS 16u

/* ---- hashing a model from its tree ----------------------------------------------------------- */

typedef struct tfile {
    char *path; /* relative to the model root; "." for a single-file model */
    git_oid oid;
    /* a link of a Hugging Face cache snapshot (hf_link): the blob's path in the repository,
     * where the working tree holds its bytes; NULL otherwise */
    char *blob_path;
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
    for (size_t i = 0; i < f->n; i++) {
        free(f->items[i].path);
        free(f->items[i].blob_path);
    }
    free(f->items);
    memset(f, 0, sizeof *f);
}

static int ignored_path(const char *path, const ms_serialization *ser, int ignore_git)
{
    if (strcmp(path, MS_SIGNATURE_FILE) == 0 || strcmp(path, MS_CLAIMS_FILE) == 0)
        return 1;
    if (ignore_git) {
        for (size_t i = 0; i < msx_walk_git_paths_count; i++) {
            size_t l = strlen(msx_walk_git_paths[i]);
            if (strncmp(path, msx_walk_git_paths[i], l) == 0 && (path[l] == 0 || path[l] == '/'))
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

/* A link in a Hugging Face cache snapshot stored in git (the model lies at
 * .../models--NAME/snapshots/REV, hf_repo bytes of `model` being .../models--NAME): 1, with *oid
 * and *blob_path (new) set, when the link `full` (relative to the model) reads "../".."blobs/NAME"
 * and leads from its own directory exactly to a regular file (not a link) NAME in that
 * repository's own blobs/ in the commit's tree `root`; 0 for any other link, which keeps being
 * refused. The rules are the walk's on disk (hash/walk.c), but for absolute link texts, which
 * name no place in a commit. */
static int hf_link(git_repository *repo, const git_tree *root, const char *model, size_t hf_repo,
                   const char *full, const git_tree_entry *e, git_oid *oid, char **blob_path,
                   ms_error *err)
{
    git_blob *link = NULL;
    git_tree_entry *be = NULL;
    char text[4096], dir[8192];
    int rc = 0;
    *blob_path = NULL;
    if (git_blob_lookup(&link, repo, git_tree_entry_id(e)) < 0)
        return lin_git_fail(err, model);
    git_object_size_t n = git_blob_rawsize(link);
    if (n == 0 || n >= sizeof text) {
        git_blob_free(link);
        return 0;
    }
    memcpy(text, git_blob_rawcontent(link), (size_t)n);
    text[n] = '\0';
    git_blob_free(link);
    if (strlen(text) != (size_t)n || text[0] == '/')
        return 0;
    /* Up from the link's own directory (model/dirname(full)); a tree path holds no link. */
    const char *slash = strrchr(full, '/');
    if ((size_t)snprintf(dir, sizeof dir, "%s%s%.*s", model, slash ? "/" : "",
                         slash ? (int)(slash - full) : 0, full) >= sizeof dir)
        return 0;
    const char *p = text;
    while (strncmp(p, "../", 3) == 0) {
        char *up = strrchr(dir, '/');
        if (!up)
            return 0;
        *up = '\0';
        p += 3;
    }
    const char *blob = p + 6;
    if (strlen(dir) != hf_repo || strncmp(dir, model, hf_repo) != 0 ||
        strncmp(p, "blobs/", 6) != 0 || !blob[0] || strchr(blob, '/') || strcmp(blob, ".") == 0 ||
        strcmp(blob, "..") == 0)
        return 0;
    char *path = NULL;
    if (asprintf(&path, "%.*s/blobs/%s", (int)hf_repo, model, blob) < 0)
        return ms_error_nomem(err);
    int found = git_tree_entry_bypath(&be, root, path);
    if (found == GIT_ENOTFOUND) {
        git_error_clear();
        free(path);
        return 0;
    }
    if (found < 0) {
        rc = lin_git_fail(err, path);
        free(path);
        return rc;
    }
    if (git_tree_entry_type(be) == GIT_OBJECT_BLOB &&
        git_tree_entry_filemode(be) != GIT_FILEMODE_LINK) {
        git_oid_cpy(oid, git_tree_entry_id(be));
        *blob_path = path;
        rc = 1;
    } else {
        free(path);
    }
    git_tree_entry_free(be);
    return rc;
}

/* Collect the files of a directory model in OMS order: git orders a tree's entries by name with
 * subtrees compared as "name/", which is exactly full-path byte order. `root` is the commit's
 * tree; hf_repo, when the model is a Hugging Face cache snapshot, its repository's length in
 * `model` (msx_hf_repo_len), else 0. */
static int collect_tree(git_repository *repo, const git_tree *root, size_t hf_repo,
                        const git_tree *tree, const char *prefix, const char *model,
                        const ms_serialization *ser, int ignore_git, tfiles *out, unsigned depth,
                        ms_error *err)
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
        if (!msx_utf8_valid(name, nl) || strchr(name, '\\')) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: a file name in the model is not valid UTF-8 or has a backslash",
                              model);
            break;
        }
        git_object_t t = git_tree_entry_type(e);
        if (t == GIT_OBJECT_TREE) {
            git_tree *sub = NULL;
            if (git_tree_lookup(&sub, repo, git_tree_entry_id(e)) < 0) {
                rc = lin_git_fail(err, model);
                break;
            }
            rc = collect_tree(repo, root, hf_repo, sub, full, model, ser, ignore_git, out,
                              depth + 1, err);
            git_tree_free(sub);
        } else if (t == GIT_OBJECT_BLOB && git_tree_entry_filemode(e) == GIT_FILEMODE_LINK) {
            git_oid oid;
            char *blob_path = NULL;
            if (hf_repo &&
                (rc = hf_link(repo, root, model, hf_repo, full, e, &oid, &blob_path, err)) != 0) {
                if (rc == 1 && (rc = tfiles_add(out, full, &oid, err)) == 0)
                    out->items[out->n - 1].blob_path = blob_path;
                else
                    free(blob_path);
                continue;
            }
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

/* One model's files hashed into its resources, on the workers of hash/'s engine. */
typedef struct hash_job {
    const char *gitdir;
    const char *workdir; /* NULL for a bare repository */
    git_repository *
        *repos; /* per worker: its own, opened on first need (one worker: the caller's) */
    const tfiles *files;
    const ms_serialization *ser;
    const char *model;
    ms_resource *res;  /* n_res, laid out by file then shard */
    size_t *first_res; /* per file: index of its first resource */
} hash_job;

static int shard_count(uint64_t size, uint64_t shard, size_t *out)
{
    uint64_t k = size / shard + (size % shard != 0);
    if (k > 10000000)
        return -1;
    *out = (size_t)k;
    return 0;
}

/* Hash a large loose object through a stream with a fixed buffer, which spares holding (and
 * faulting in) two copies of it. 1 when done, 0 when the object cannot be streamed (packed
 * objects: the caller reads it whole), < 0 on error. */
#define STREAM_MIN_BYTES ((size_t)4 << 20)
#define STREAM_BUFFER ((size_t)1 << 20)

/* The worker's read buffer, made on first need and aligned to the page: copies out of the page
 * cache into a buffer that is not aligned to the cache line (malloc's large blocks start 16 bytes
 * into a page) run a quarter slower, which alone cost `lineage record` 7 % against `modelseal
 * verify`. NULL when there is no memory. */
static uint8_t *read_buffer(hash_worker *w)
{
    ms_error e;
    return hash_worker_grow(w, STREAM_BUFFER, &e) == 0 ? w->buf : NULL;
}

/* File i's resources hashed from a source as its bytes arrive in order: the files method makes
 * one digest, the shards method one per shard_size bytes. */
typedef struct file_out {
    ms_resource *r; /* the file's first resource */
    size_t dlen;
} file_out;

static int take_digest(void *ctx, size_t k, const uint8_t *digest)
{
    file_out *o = ctx;
    memcpy(o->r[k].digest, digest, o->dlen);
    o->r[k].digest_len = o->dlen;
    return 0;
}

/* Feed file i's `len` bytes from `read`/`src` into its resources. */
static hash_feed_status feed_file(const hash_job *job, hash_worker *w, size_t i, uint64_t len,
                                  hash_read_fn read, void *src, size_t chunk, file_out *o,
                                  hash_feed_job *f)
{
    const ms_serialization *ser = job->ser;
    o->r = &job->res[job->first_res[i]];
    o->dlen = ms_hash_size(ser->algorithm);
    memset(f, 0, sizeof *f);
    f->read = read;
    f->src = src;
    f->end = len;
    f->segment = ser->method == MS_METHOD_SHARDS ? ser->shard_size : 0;
    f->chunk = chunk;
    f->digest = take_digest;
    f->ctx = o;
    return hash_feed(w, f);
}

static ssize_t read_odb_stream(void *src, uint64_t off, uint8_t *buf, size_t want,
                               const uint8_t **data)
{
    (void)off;
    (void)data;
    int n = git_odb_stream_read(src, (char *)buf, want);
    return n > 0 ? n : n == 0 ? 0 : -EIO;
}

static int hash_streamed(hash_job *job, git_repository *repo, hash_worker *w, size_t i,
                         ms_error *err)
{
    const tfile *f = &job->files->items[i];
    size_t len = 0;
    git_odb *odb = NULL;
    git_odb_stream *st = NULL;
    git_object_t type;
    file_out o;
    hash_feed_job fj;
    int rc = 0;
    if (git_repository_odb(&odb, repo) < 0)
        return 0;
    if (git_odb_open_rstream(&st, &len, &type, odb, &f->oid) < 0 || len < STREAM_MIN_BYTES) {
        git_error_clear();
        goto out;
    }
    if (!read_buffer(w)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    hash_feed_status fs =
        feed_file(job, w, i, (uint64_t)len, read_odb_stream, st, STREAM_BUFFER, &o, &fj);
    if (fs == HASH_FEED_SHORT || fs == HASH_FEED_READ) {
        rc = lin_git_fail(err, f->path);
        goto out;
    }
    if (fs != HASH_FEED_OK) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
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
        if (f->blob_path                ? asprintf(&rel, "%s", f->blob_path) < 0
            : strcmp(f->path, ".") == 0 ? asprintf(&rel, "%s", model) < 0
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

/* The checked-out file as a source: its bytes also go into git's object id of them. */
typedef struct worktree_src {
    int fd;
    EVP_MD_CTX *blob_id;
    int failed; /* the object id's hash failed */
} worktree_src;

static ssize_t read_worktree(void *src, uint64_t off, uint8_t *buf, size_t want,
                             const uint8_t **data)
{
    worktree_src *s = src;
    ssize_t n = hash_read_fd(&s->fd, off, buf, want, data);
    if (n > 0 && EVP_DigestUpdate(s->blob_id, buf, (size_t)n) != 1) {
        s->failed = 1;
        return 0;
    }
    return n;
}

/* Hash a file marked by worktree_mark from the working tree: opened beneath the work tree
 * without following symlinks, it must still have the stat the index recorded, before and after
 * reading. The index only says where to look: the bytes count only when git's object id of the
 * very bytes hashed ("blob <size>\0" and the content, SHA-1 as the repository's objects) is
 * the tree's. 1 when done, 0 when not (the caller uses the blob), < 0 on error. */
static int hash_worktree(hash_job *job, hash_worker *w, size_t i, ms_error *err)
{
    const tfile *f = &job->files->items[i];
    char *full = NULL, header[32];
    uint8_t oid[EVP_MAX_MD_SIZE];
    unsigned oid_len = 0;
    struct stat st, after;
    worktree_src src = {-1, NULL, 0};
    file_out o;
    hash_feed_job fj;
    int rc = 0, header_len;
    if (!job->workdir)
        return 0;
    if (f->blob_path ? asprintf(&full, "%s%s", job->workdir, f->blob_path) < 0
        : strcmp(f->path, ".") == 0
            ? asprintf(&full, "%s%s", job->workdir, job->model) < 0
            : asprintf(&full, "%s%s/%s", job->workdir, job->model, f->path) < 0)
        return ms_error_nomem(err);
    src.fd = open(full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (src.fd < 0 || fstat(src.fd, &st) != 0 || !same_stat(&st, &f->wt))
        goto out; /* it changed since the index saw it: use the blob */
    if (!read_buffer(w) || !(src.blob_id = EVP_MD_CTX_new())) {
        rc = ms_error_nomem(err);
        goto out;
    }
    header_len = snprintf(header, sizeof header, "blob %llu", (unsigned long long)st.st_size);
    if (EVP_DigestInit_ex(src.blob_id, EVP_sha1(), NULL) != 1 ||
        EVP_DigestUpdate(src.blob_id, header, (size_t)header_len + 1) != 1) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    posix_fadvise(src.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    hash_feed_status fs =
        feed_file(job, w, i, (uint64_t)st.st_size, read_worktree, &src, STREAM_BUFFER, &o, &fj);
    if (fs == HASH_FEED_HASH || src.failed) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    if (fs != HASH_FEED_OK)
        goto out; /* shrank or unreadable: use the blob */
    if (fstat(src.fd, &after) != 0 || !same_stat(&after, &st))
        goto out; /* written to while read: use the blob */
    if (EVP_DigestFinal_ex(src.blob_id, oid, &oid_len) != 1) {
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
        goto out;
    }
    if (oid_len != GIT_OID_RAWSZ || sodium_memcmp(oid, f->oid.id, GIT_OID_RAWSZ) != 0)
        goto out; /* not the commit's blob, whatever the index says: use the blob */
    rc = 1;
out:
    EVP_MD_CTX_free(src.blob_id);
    if (src.fd >= 0)
        close(src.fd);
    free(full);
    return rc;
}

/* A blob held in memory as a source: no copy. */
static ssize_t read_memory(void *src, uint64_t off, uint8_t *buf, size_t want, const uint8_t **data)
{
    (void)buf;
    *data = (const uint8_t *)src + off;
    return (ssize_t)want;
}

/* Hash file i on worker `wi`: from the working tree when worktree_mark marked it and its bytes
 * prove to be the blob, else from a stream of a large loose object, else from the blob. The
 * worker's repository is opened on first need: a worker whose files all come from the working
 * tree never opens one. */
static int hash_one(void *ctx, size_t i, unsigned wi, hash_worker *w, ms_error *err)
{
    hash_job *job = ctx;
    const tfile *f = &job->files->items[i];
    git_blob *blob = NULL;
    const ms_serialization *ser = job->ser;
    ms_resource *r = &job->res[job->first_res[i]];
    file_out o;
    hash_feed_job fj;
    int rc = f->worktree ? hash_worktree(job, w, i, err) : 0;
    if (rc == 0 && !job->repos[wi] && git_repository_open(&job->repos[wi], job->gitdir) < 0)
        return lin_git_fail(err, job->gitdir);
    git_repository *repo = job->repos[wi];
    if (rc == 0)
        rc = hash_streamed(job, repo, w, i, err);
    if (rc != 0)
        return rc < 0 ? rc : 0;
    if (git_blob_lookup(&blob, repo, &f->oid) < 0)
        return lin_git_fail(err, f->path);
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
    if (feed_file(job, w, i, size, read_memory, (void *)data, SIZE_MAX, &o, &fj) != HASH_FEED_OK)
        rc = ms_error_set(err, MS_EENV, "%s: hashing failed", f->path);
out:
    git_blob_free(blob);
    return rc;
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
        rc = lin_git_fail(err, model);
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
                rc = lin_git_fail(err, files->items[i].path);
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
    if (total < PARALLEL_MIN_BYTES || threads < 2)
        threads = 1; /* on this thread, with the caller's repository */
    if (!(job.repos = calloc(threads, sizeof *job.repos))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (threads == 1)
        job.repos[0] = repo;
    hash_batch batch = {.algorithm = ser->algorithm,
                        .threads = threads,
                        .items = files->n,
                        .fn = hash_one,
                        .ctx = &job};
    rc = files->n ? hash_batch_run(&batch, err) : 0;
    if (threads > 1) {
        for (unsigned t = 0; t < threads; t++)
            git_repository_free(job.repos[t]);
    }
    free(job.repos);
    if (rc)
        goto out;
    if ((rc = ms_manifest_root(m->resources, m->n_resources, m->root_digest)) != 0) {
        rc = ms_error_set(err, rc, "cannot compute the root digest");
        goto out;
    }
    *out = m;
    m = NULL;
out:
    free(job.first_res);
    ms_manifest_free(m);
    return rc;
}

/* Build the manifest of the model whose tree entry is `e` (a tree, or a blob for a single
 * file), as `ser` says. */
int lin_manifest_from_tree(git_repository *repo, const git_tree *root, const git_tree_entry *e,
                           const char *model, const ms_serialization *ser, int ignore_git,
                           ms_manifest **out, ms_error *err)
{
    tfiles files = {0};
    int rc;
    *out = NULL;
    if (git_tree_entry_type(e) == GIT_OBJECT_TREE) {
        git_tree *t = NULL;
        if (git_tree_lookup(&t, repo, git_tree_entry_id(e)) < 0)
            return lin_git_fail(err, model);
        rc = collect_tree(repo, root, msx_hf_repo_len(model), t, NULL, model, ser, ignore_git,
                          &files, 0, err);
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
