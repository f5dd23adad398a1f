/* The OMS model manifest: build it by walking and hashing a model, compare two of them, and
 * convert its serialization and resources to and from the OMS predicate's JSON. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "format/manifest_json.h"
#include "hash/cache_run.h"
#include "hash/engine.h"
#include "hash/walk.h"
#include "lfs_internal.h"
#include "modelseal/manifest.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define MS_MAX_RESOURCES (16u * 1024 * 1024)
#define MS_MAX_IGNORE_PATHS 4096
#define MS_MAX_JSON_INTEGER UINT64_C(9007199254740992) /* 2^53: exact in a double */

void ms_serialization_init(ms_serialization *ser)
{
    memset(ser, 0, sizeof *ser);
    ser->method = MS_METHOD_FILES;
    ser->algorithm = MS_HASH_SHA256;
    ser->shard_size = MS_DEFAULT_SHARD_SIZE;
}

void ms_serialization_clear(ms_serialization *ser)
{
    if (!ser)
        return;
    for (size_t i = 0; i < ser->n_ignore_paths; i++)
        free(ser->ignore_paths[i]);
    free(ser->ignore_paths);
    ms_serialization_init(ser);
}

int ms_serialization_add_ignore(ms_serialization *ser, const char *path)
{
    for (size_t i = 0; i < ser->n_ignore_paths; i++) {
        if (strcmp(ser->ignore_paths[i], path) == 0)
            return 0;
    }
    char **p = realloc(ser->ignore_paths, (ser->n_ignore_paths + 1) * sizeof *p);
    if (!p)
        return MS_ENOMEM;
    ser->ignore_paths = p;
    if (!(p[ser->n_ignore_paths] = strdup(path)))
        return MS_ENOMEM;
    ser->n_ignore_paths++;
    ser->has_ignore_paths = 1;
    return 0;
}

int ms_serialization_copy(ms_serialization *dst, const ms_serialization *src)
{
    ms_serialization_init(dst);
    dst->method = src->method;
    dst->algorithm = src->algorithm;
    dst->shard_size = src->shard_size;
    dst->allow_symlinks = src->allow_symlinks;
    for (size_t i = 0; i < src->n_ignore_paths; i++) {
        if (ms_serialization_add_ignore(dst, src->ignore_paths[i])) {
            ms_serialization_clear(dst);
            return MS_ENOMEM;
        }
    }
    dst->has_ignore_paths = src->has_ignore_paths;
    return 0;
}

const char *ms_method_name(ms_method method)
{
    return method == MS_METHOD_SHARDS ? "shards" : "files";
}

int ms_method_parse(const char *name, ms_method *method)
{
    if (strcmp(name, "files") == 0)
        *method = MS_METHOD_FILES;
    else if (strcmp(name, "shards") == 0)
        *method = MS_METHOD_SHARDS;
    else
        return MS_EINPUT;
    return 0;
}

void ms_resource_algorithm(const ms_serialization *ser, char *out, size_t out_size)
{
    if (ser->method == MS_METHOD_SHARDS)
        snprintf(out, out_size, "%s-sharded-%" PRIu64, ms_hash_name(ser->algorithm),
                 ser->shard_size);
    else
        snprintf(out, out_size, "%s", ms_hash_name(ser->algorithm));
}

ms_manifest *ms_manifest_new(void)
{
    ms_manifest *m = calloc(1, sizeof *m);
    if (m)
        ms_serialization_init(&m->serialization);
    return m;
}

void ms_manifest_free(ms_manifest *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n_resources; i++)
        free(m->resources[i].name);
    free(m->resources);
    free(m->model_name);
    for (size_t i = 0; i < m->n_empty_files; i++)
        free(m->empty_files[i]);
    free(m->empty_files);
    ms_serialization_clear(&m->serialization);
    free(m);
}

int ms_manifest_root(const ms_resource *resources, size_t n, uint8_t out[MS_SHA256_SIZE])
{
    ms_hasher *h = ms_hasher_new(MS_HASH_SHA256);
    if (!h)
        return MS_ENOMEM;
    for (size_t i = 0; i < n; i++)
        ms_hasher_update(h, resources[i].digest, resources[i].digest_len);
    int rc = ms_hasher_final(h, out);
    ms_hasher_free(h);
    return rc;
}

/* ---- building ----------------------------------------------------------------------------- */

typedef struct include_ctx {
    const ms_manifest_options *opts;
    ms_file_list *list;
} include_ctx;

static char *model_basename(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return NULL;
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    char *base = basename(copy);
    char *result = NULL;
    if (strcmp(base, ".") == 0 || strcmp(base, "..") == 0 || strcmp(base, "/") == 0) {
        char *real = realpath(path, NULL);
        if (real) {
            result = strdup(strcmp(real, "/") == 0 ? "/" : basename(real));
            free(real);
        }
    } else {
        result = strdup(base);
    }
    free(copy);
    return result;
}

static int add_walk_ignore(const char ***list, size_t *n, const char *path)
{
    const char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return MS_ENOMEM;
    p[(*n)++] = path;
    *list = p;
    return 0;
}

/* model.sig and claims.jsonl are left out of a directory model's hash, and are read by name
 * (verify, attest, policies). One that exists but is not a regular file (a FIFO, a directory, a
 * device, a symbolic link) is refused rather than skipped unseen: whoever reads it next would
 * otherwise find something other than a file there. */
int ms_model_check_companions(const char *model, ms_error *err)
{
    static const char *const names[] = {MS_SIGNATURE_FILE, MS_CLAIMS_FILE};
    struct stat st;
    if (stat(model, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0; /* a single file's companions are beside it, not skipped inside it */
    size_t n = strlen(model);
    while (n > 1 && model[n - 1] == '/')
        n--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        ms_buf p = MS_BUF_INIT;
        if (msx_buf_printf(&p, "%.*s/%s", (int)n, model, names[i]))
            return ms_error_nomem(err);
        int rc = 0;
        if (lstat((const char *)p.data, &st) == 0 && !S_ISREG(st.st_mode))
            rc = ms_error_set(err, MS_EINPUT, "%s: is %s, not a regular file", (const char *)p.data,
                              msx_file_kind(st.st_mode));
        msx_buf_free(&p);
        if (rc)
            return rc;
    }
    return 0;
}

/* Ask the cache about every file (but LFS pointers) and copy the digests it vouches for into
 * the file's items (items of one file are adjacent, in file order). *reused (malloc'd, one byte
 * per file) marks them. */
static int cache_reuse(ms_digest_cache *cache, const ms_file_list *files, ms_hash_item *items,
                       size_t n_items, const char *is_ptr, ms_hash_algorithm alg, char **reused,
                       ms_error *err)
{
    size_t dlen = ms_hash_size(alg);
    uint8_t *d = NULL;
    int rc = 0;
    if (!(*reused = calloc(files->count ? files->count : 1, 1)))
        return ms_error_nomem(err);
    for (size_t i = 0, a = 0; i < files->count; i++) {
        size_t b = a;
        while (b < n_items && items[b].file == i)
            b++;
        if (!(is_ptr && is_ptr[i])) {
            free(d);
            if (!(d = malloc((b - a) * dlen + 1))) {
                rc = ms_error_nomem(err);
                break;
            }
            rc = hash_cache_lookup(cache, &files->entries[i], b - a, d, err);
            if (rc < 0)
                break;
            if (rc == 1) {
                (*reused)[i] = 1;
                for (size_t k = a; k < b; k++)
                    memcpy(items[k].digest, d + (k - a) * dlen, dlen);
            }
            rc = 0;
        }
        a = b;
    }
    free(d);
    return rc;
}

/* After hashing: each reused file must still be the one the walk saw, and every file's digests
 * (but an LFS pointer's, which are its content's) go into the cache's record. */
static int cache_record(ms_digest_cache *cache, const char *root, const ms_file_list *files,
                        const ms_hash_item *items, size_t n_items, const char *is_ptr,
                        const char *reused, ms_hash_algorithm alg, ms_error *err)
{
    size_t dlen = ms_hash_size(alg);
    uint8_t *d = NULL;
    int rc = 0;
    for (size_t i = 0, a = 0; i < files->count; i++) {
        size_t b = a;
        while (b < n_items && items[b].file == i)
            b++;
        if (reused && reused[i] && (rc = hash_cache_still(root, &files->entries[i], err)) != 0)
            break;
        if (!(is_ptr && is_ptr[i])) {
            free(d);
            if (!(d = malloc((b - a) * dlen + 1))) {
                rc = ms_error_nomem(err);
                break;
            }
            for (size_t k = a; k < b; k++)
                memcpy(d + (k - a) * dlen, items[k].digest, dlen);
            if ((rc = hash_cache_record(cache, &files->entries[i], b - a, d, err)) != 0)
                break;
        }
        a = b;
    }
    free(d);
    return rc ? rc : hash_cache_end(cache, err);
}

static char *shard_name(const char *path, uint64_t start, uint64_t end)
{
    ms_buf b = MS_BUF_INIT;
    if (msx_buf_printf(&b, "%s:%" PRIu64 ":%" PRIu64, path, start, end)) {
        msx_buf_free(&b);
        return NULL;
    }
    return msx_buf_detach(&b);
}

char *ms_ignore_path_normalize(const char *model, const char *path, ms_error *err)
{
    if (!model || !path) {
        ms_error_set(err, MS_EINPUT, "ignore path: missing");
        return NULL;
    }
    return msx_path_normalize_ignore(model, path, err);
}

int ms_manifest_build(const char *path, const ms_serialization *ser,
                      const ms_manifest_options *opts, ms_manifest **out, ms_error *err)
{
    ms_manifest_options defaults;
    ms_file_list files = {0};
    ms_hash_item *items = NULL, *run = NULL;
    size_t n_run = 0;
    const char **ignores = NULL;
    char *sig_rel = NULL, *is_ptr = NULL, *reused = NULL;
    uint8_t(*oids)[32] = NULL;
    size_t n_ignores = 0, n_items = 0;
    ms_manifest *m = NULL;
    int rc = 0;

    if (!opts) {
        memset(&defaults, 0, sizeof defaults);
        opts = &defaults;
    }
    if (ser->method == MS_METHOD_SHARDS && ser->shard_size == 0)
        return ms_error_set(err, MS_EINPUT, "shard size must be greater than 0");
    if (ser->method == MS_METHOD_SHARDS && ser->algorithm == MS_HASH_BLAKE3)
        return ms_error_set(err, MS_EINPUT,
                            "blake3 hashes each file whole (BLAKE3's own tree runs on every "
                            "core; model_signing has no BLAKE3 shards): use the files method");

    if ((rc = ms_model_check_companions(path, err)) != 0)
        return rc;
    m = ms_manifest_new();
    if (!m || ms_serialization_copy(&m->serialization, ser) ||
        !(m->model_name = model_basename(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < ser->n_ignore_paths; i++) {
        if (add_walk_ignore(&ignores, &n_ignores, ser->ignore_paths[i])) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if (add_walk_ignore(&ignores, &n_ignores, MS_SIGNATURE_FILE) ||
        add_walk_ignore(&ignores, &n_ignores, MS_CLAIMS_FILE)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (opts->signature_path) {
        sig_rel = msx_path_inside_model(path, opts->signature_path);
        if (sig_rel && add_walk_ignore(&ignores, &n_ignores, sig_rel)) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    /* The cache's run starts before the walk: every stat it records comes after its stamp. */
    if (opts->cache &&
        (rc = hash_cache_begin(opts->cache, ser->algorithm, ser->method == MS_METHOD_SHARDS,
                               ser->shard_size, err)) != 0)
        goto out;
    ms_walk_options wopts = {
        .ignore_paths = ignores,
        .n_ignore_paths = n_ignores,
        .allow_symlinks = ser->allow_symlinks,
        .ignore_git_paths = !opts->no_ignore_git_paths,
    };
    if ((rc = msx_walk_collect(path, &wopts, &files, err)) != 0)
        goto out;

    if (opts->include) {
        size_t kept = 0;
        for (size_t i = 0; i < files.count; i++) {
            if (opts->include(opts->include_ctx, files.entries[i].path)) {
                files.entries[kept++] = files.entries[i];
            } else {
                free(files.entries[i].path);
                free(files.entries[i].target);
            }
        }
        files.count = kept;
    }
    if (opts->hard_link) {
        for (size_t i = 0; i < files.count; i++) {
            if (files.entries[i].nlink > 1)
                opts->hard_link(opts->hard_link_ctx, files.entries[i].path, files.entries[i].nlink);
        }
    }

    /* Count work items with overflow checks, then lay them out in resource order. */
    for (size_t i = 0; i < files.count; i++) {
        uint64_t k = 1;
        if (ser->method == MS_METHOD_SHARDS)
            k = files.entries[i].size / ser->shard_size +
                (files.entries[i].size % ser->shard_size != 0);
        if (k == 0 && msx_strlist_add(&m->empty_files, &m->n_empty_files, files.entries[i].path)) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (k > MS_MAX_RESOURCES || n_items + k > MS_MAX_RESOURCES) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: more than %u resources; use a larger --shard-size", path,
                              MS_MAX_RESOURCES);
            goto out;
        }
        n_items += (size_t)k;
    }
    items = calloc(n_items ? n_items : 1, sizeof *items);
    m->resources = calloc(n_items ? n_items : 1, sizeof *m->resources);
    if (!items || !m->resources) {
        rc = ms_error_nomem(err);
        goto out;
    }
    size_t k = 0;
    for (size_t i = 0; i < files.count; i++) {
        uint64_t size = files.entries[i].size;
        if (ser->method == MS_METHOD_FILES) {
            items[k].file = i;
            items[k].start = 0;
            items[k].end = size;
            k++;
            continue;
        }
        for (uint64_t start = 0; start < size; start += ser->shard_size) {
            items[k].file = i;
            items[k].start = start;
            items[k].end = size - start > ser->shard_size ? start + ser->shard_size : size;
            k++;
        }
    }
    /* git LFS pointers: refused, or standing for their content (its oid is its digest). The
     * engine finds them in the bytes it hashes; only shards smaller than a pointer, which split
     * one over several items, need a look before. */
    manifest_lfs lfs = {items, NULL, NULL};
    int lfs_in_engine = 0;
    if (opts->lfs_pointers != MS_LFS_HASH) {
        if (opts->lfs_pointers == MS_LFS_OIDS &&
            (ser->method != MS_METHOD_FILES || ser->algorithm != MS_HASH_SHA256)) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: LFS pointers stand for their content only under the files "
                              "method with sha256",
                              path);
            goto out;
        }
        if (!(is_ptr = calloc(files.count ? files.count : 1, 1)) ||
            !(oids = calloc(files.count ? files.count : 1, sizeof *oids))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        lfs.is_ptr = is_ptr;
        lfs.oids = oids;
        lfs_in_engine = ser->method == MS_METHOD_FILES || ser->shard_size >= MS_LFS_POINTER_MAX;
        if (!lfs_in_engine &&
            ((rc = manifest_lfs_scan(path, &files, NULL, is_ptr, oids, err)) != 0 ||
             (opts->lfs_pointers == MS_LFS_REFUSE &&
              (rc = manifest_lfs_refuse(path, &files, is_ptr, err)) != 0)))
            goto out;
    }
    /* The signer's cache: the digests of files it vouches for are not computed again. */
    if (opts->cache && (rc = cache_reuse(opts->cache, &files, items, n_items, is_ptr,
                                         ser->algorithm, &reused, err)) != 0)
        goto out;
    n_run = n_items;
    if (reused) {
        if (!(run = calloc(n_items ? n_items : 1, sizeof *run))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        n_run = 0;
        for (size_t i = 0; i < n_items; i++)
            if (!reused[items[i].file])
                run[n_run++] = items[i];
        lfs.items = run;
    }
    ms_hash_job job = {
        .root = path,
        .files = &files,
        .items = run ? run : items,
        .n_items = n_run,
        .algorithm = ser->algorithm,
        .threads = opts->threads,
        .buffer_size = opts->buffer_size,
        .progress = opts->progress,
        .progress_ctx = opts->progress_ctx,
        .lfs_check = lfs_in_engine ? manifest_lfs_check : NULL,
        .lfs_ctx = &lfs,
    };
    if ((rc = hash_run(&job, err)) != 0)
        goto out;
    for (size_t i = 0, j = 0; run && i < n_items; i++)
        if (!reused[items[i].file])
            items[i] = run[j++];
    /* The engine saw only the files it hashed; a reused one may be a pointer too (the cache
     * does not say what a file was taken for): look at the reused files of pointer size. */
    if (reused && is_ptr && lfs_in_engine &&
        (rc = manifest_lfs_scan(path, &files, reused, is_ptr, oids, err)) != 0)
        goto out;
    if (is_ptr && opts->lfs_pointers == MS_LFS_REFUSE &&
        (rc = manifest_lfs_refuse(path, &files, is_ptr, err)) != 0)
        goto out;
    for (size_t i = 0; is_ptr && opts->lfs_pointers == MS_LFS_OIDS && i < n_items; i++)
        if (is_ptr[items[i].file])
            memcpy(items[i].digest, oids[items[i].file], 32);
    if (opts->cache && (rc = cache_record(opts->cache, path, &files, items, n_items, is_ptr, reused,
                                          ser->algorithm, err)) != 0)
        goto out;
    size_t dlen = ms_hash_size(ser->algorithm);
    for (size_t i = 0; i < n_items; i++) {
        const char *fpath = files.entries[items[i].file].path;
        ms_resource *r = &m->resources[i];
        r->name = ser->method == MS_METHOD_SHARDS ? shard_name(fpath, items[i].start, items[i].end)
                                                  : strdup(fpath);
        if (!r->name) {
            rc = ms_error_nomem(err);
            goto out;
        }
        memcpy(r->digest, items[i].digest, dlen);
        r->digest_len = dlen;
        m->n_resources++;
    }
    if ((rc = ms_manifest_root(m->resources, m->n_resources, m->root_digest)) != 0) {
        rc = ms_error_set(err, rc, "cannot compute the root digest");
        goto out;
    }
out:
    msx_file_list_free(&files);
    free(items);
    free(run);
    free(reused);
    free(is_ptr);
    free(oids);
    free(ignores);
    free(sig_rel);
    if (rc) {
        ms_manifest_free(m);
        m = NULL;
    }
    *out = m;
    return rc;
}

/* ---- comparing ---------------------------------------------------------------------------- */

static int cmp_resource_ptr(const void *a, const void *b)
{
    const ms_resource *ra = *(const ms_resource *const *)a;
    const ms_resource *rb = *(const ms_resource *const *)b;
    return strcmp(ra->name, rb->name);
}

static int cmp_str_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void strlist_sort_unique(char **list, size_t *n)
{
    if (*n == 0)
        return;
    qsort(list, *n, sizeof *list, cmp_str_ptr);
    size_t k = 1;
    for (size_t i = 1; i < *n; i++) {
        if (strcmp(list[i], list[k - 1]) == 0)
            free(list[i]);
        else
            list[k++] = list[i];
    }
    *n = k;
}

static int in_sorted(char *const *list, size_t n, const char *s)
{
    return n && bsearch(&s, list, n, sizeof *list, cmp_str_ptr) != NULL; /* list NULL when empty */
}

char *ms_resource_file(const char *name, ms_method method)
{
    if (method == MS_METHOD_FILES)
        return strdup(name);
    const char *end_colon = strrchr(name, ':');
    if (!end_colon || end_colon == name)
        return NULL;
    const char *p = end_colon - 1;
    while (p > name && *p != ':')
        p--;
    if (*p != ':' || p == name)
        return NULL;
    return strndup(name, (size_t)(p - name));
}

void ms_manifest_diff_clear(ms_manifest_diff *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n_missing; i++)
        free(d->missing[i]);
    for (size_t i = 0; i < d->n_extra; i++)
        free(d->extra[i]);
    for (size_t i = 0; i < d->n_changed; i++)
        free(d->changed[i]);
    for (size_t i = 0; i < d->n_empty_extra; i++)
        free(d->empty_extra[i]);
    free(d->missing);
    free(d->extra);
    free(d->changed);
    free(d->empty_extra);
    memset(d, 0, sizeof *d);
}

int ms_manifest_diff_is_empty_extra(const ms_manifest_diff *d, const char *path)
{
    return in_sorted(d->empty_extra, d->n_empty_extra, path);
}

int ms_manifest_compare(const ms_manifest *expected, const ms_manifest *actual,
                        ms_manifest_diff *diff, ms_error *err)
{
    const ms_resource **ex = NULL, **ac = NULL;
    char **ex_files = NULL, **ac_files = NULL;
    size_t n_ex_files = 0, n_ac_files = 0;
    /* Touched: files with at least one differing resource; classified at the end. */
    char **touched = NULL;
    size_t n_touched = 0;
    ms_method method = expected->serialization.method;
    int rc = 0;

    memset(diff, 0, sizeof *diff);
    ex = malloc((expected->n_resources + 1) * sizeof *ex);
    ac = malloc((actual->n_resources + 1) * sizeof *ac);
    if (!ex || !ac) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < expected->n_resources; i++)
        ex[i] = &expected->resources[i];
    for (size_t i = 0; i < actual->n_resources; i++)
        ac[i] = &actual->resources[i];
    qsort(ex, expected->n_resources, sizeof *ex, cmp_resource_ptr);
    qsort(ac, actual->n_resources, sizeof *ac, cmp_resource_ptr);
    for (size_t i = 1; i < expected->n_resources; i++) {
        if (strcmp(ex[i - 1]->name, ex[i]->name) == 0) {
            rc = ms_error_set(err, MS_EINPUT, "resource %s is listed twice", ex[i]->name);
            goto out;
        }
    }
    for (int side = 0; side < 2; side++) {
        const ms_manifest *m = side ? actual : expected;
        for (size_t i = 0; i < m->n_resources; i++) {
            char *f = ms_resource_file(m->resources[i].name, method);
            int e = !f || msx_strlist_add(side ? &ac_files : &ex_files,
                                          side ? &n_ac_files : &n_ex_files, f);
            free(f);
            if (e) {
                rc = ms_error_nomem(err);
                goto out;
            }
        }
    }
    strlist_sort_unique(ex_files, &n_ex_files);
    strlist_sort_unique(ac_files, &n_ac_files);

    size_t i = 0, j = 0;
    while (i < expected->n_resources || j < actual->n_resources) {
        int c;
        if (i >= expected->n_resources)
            c = 1;
        else if (j >= actual->n_resources)
            c = -1;
        else
            c = strcmp(ex[i]->name, ac[j]->name);
        const char *name = c <= 0 ? ex[i]->name : ac[j]->name;
        int differs = c != 0;
        if (c == 0) {
            differs = ex[i]->digest_len != ac[j]->digest_len ||
                      sodium_memcmp(ex[i]->digest, ac[j]->digest, ex[i]->digest_len) != 0;
        }
        if (differs) {
            char *f = ms_resource_file(name, method);
            int e = !f || msx_strlist_add(&touched, &n_touched, f);
            free(f);
            if (e) {
                rc = ms_error_nomem(err);
                goto out;
            }
        }
        if (c <= 0)
            i++;
        if (c >= 0)
            j++;
    }
    strlist_sort_unique(touched, &n_touched);
    for (size_t k = 0; k < n_touched; k++) {
        int in_ex = in_sorted(ex_files, n_ex_files, touched[k]);
        int in_ac = in_sorted(ac_files, n_ac_files, touched[k]);
        char ***list = in_ex && in_ac ? &diff->changed : (in_ex ? &diff->missing : &diff->extra);
        size_t *n = in_ex && in_ac ? &diff->n_changed : (in_ex ? &diff->n_missing : &diff->n_extra);
        if (msx_strlist_add(list, n, touched[k])) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if (n_touched)
        rc = MS_EVERIFY;
out:
    if (rc && rc != MS_EVERIFY)
        ms_manifest_diff_clear(diff);
    for (size_t k = 0; k < n_ex_files; k++)
        free(ex_files[k]);
    for (size_t k = 0; k < n_ac_files; k++)
        free(ac_files[k]);
    for (size_t k = 0; k < n_touched; k++)
        free(touched[k]);
    free(ex_files);
    free(ac_files);
    free(touched);
    free(ex);
    free(ac);
    return rc;
}

/* ---- JSON ---------------------------------------------------------------------------------- */

cJSON *serialization_to_json(const ms_serialization *ser)
{
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "method", ms_method_name(ser->method)) ||
        !cJSON_AddStringToObject(o, "hash_type", ms_hash_name(ser->algorithm)) ||
        !cJSON_AddBoolToObject(o, "allow_symlinks", ser->allow_symlinks ? 1 : 0))
        goto fail;
    if (ser->method == MS_METHOD_SHARDS &&
        !cJSON_AddNumberToObject(o, "shard_size", (double)ser->shard_size))
        goto fail;
    if (ser->has_ignore_paths) {
        cJSON *a = cJSON_AddArrayToObject(o, "ignore_paths");
        if (!a)
            goto fail;
        for (size_t i = 0; i < ser->n_ignore_paths; i++) {
            cJSON *s = cJSON_CreateString(ser->ignore_paths[i]);
            if (!s || !cJSON_AddItemToArray(a, s)) {
                cJSON_Delete(s);
                goto fail;
            }
        }
    }
    return o;
fail:
    cJSON_Delete(o);
    return NULL;
}

cJSON *resources_to_json(const ms_manifest *m)
{
    char alg[64];
    char hex[MS_HASH_MAX_SIZE * 2 + 1];
    cJSON *a = cJSON_CreateArray();
    if (!a)
        return NULL;
    ms_resource_algorithm(&m->serialization, alg, sizeof alg);
    for (size_t i = 0; i < m->n_resources; i++) {
        cJSON *r = cJSON_CreateObject();
        msx_hex_encode(m->resources[i].digest, m->resources[i].digest_len, hex);
        if (!r || !cJSON_AddItemToArray(a, r) ||
            !cJSON_AddStringToObject(r, "name", m->resources[i].name) ||
            !cJSON_AddStringToObject(r, "algorithm", alg) ||
            !cJSON_AddStringToObject(r, "digest", hex)) {
            if (r && !cJSON_IsArray(a))
                cJSON_Delete(r);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

/* A JSON number that must be a positive integer exactly representable as a double. */
static int json_uint(const cJSON *v, uint64_t *out)
{
    if (!cJSON_IsNumber(v))
        return MS_EINPUT;
    double d = v->valuedouble;
    if (!(d >= 1.0) || d > (double)MS_MAX_JSON_INTEGER || d != (double)(uint64_t)d)
        return MS_EINPUT;
    *out = (uint64_t)d;
    return 0;
}

int serialization_from_json(const cJSON *json, ms_serialization *ser, ms_error *err)
{
    ms_serialization_init(ser);
    if (!cJSON_IsObject(json))
        return ms_error_set(err, MS_EINPUT, "predicate.serialization: not a JSON object");
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(json, "method");
    const cJSON *hash_type = cJSON_GetObjectItemCaseSensitive(json, "hash_type");
    const cJSON *allow = cJSON_GetObjectItemCaseSensitive(json, "allow_symlinks");
    const cJSON *shard = cJSON_GetObjectItemCaseSensitive(json, "shard_size");
    const cJSON *ignores = cJSON_GetObjectItemCaseSensitive(json, "ignore_paths");
    if (!cJSON_IsString(method) || ms_method_parse(method->valuestring, &ser->method))
        return ms_error_set(err, MS_EINPUT,
                            "predicate.serialization.method: expected \"files\" or \"shards\"");
    if (!cJSON_IsString(hash_type) || ms_hash_parse(hash_type->valuestring, &ser->algorithm))
        return ms_error_set(err, MS_EINPUT, "predicate.serialization.hash_type: unsupported %s%s%s",
                            cJSON_IsString(hash_type) ? "\"" : "value",
                            cJSON_IsString(hash_type) ? hash_type->valuestring : "",
                            cJSON_IsString(hash_type) ? "\"" : "");
    if (allow && !cJSON_IsBool(allow))
        return ms_error_set(err, MS_EINPUT,
                            "predicate.serialization.allow_symlinks: expected a boolean");
    ser->allow_symlinks = cJSON_IsTrue(allow);
    if (ser->method == MS_METHOD_SHARDS && ser->algorithm == MS_HASH_BLAKE3)
        return ms_error_set(err, MS_EINPUT,
                            "predicate.serialization: hash_type \"blake3\" with method \"shards\" "
                            "(model_signing hashes BLAKE3 files whole; no such serialization "
                            "exists)");
    if (ser->method == MS_METHOD_SHARDS) {
        if (!shard || json_uint(shard, &ser->shard_size))
            return ms_error_set(err, MS_EINPUT,
                                "predicate.serialization.shard_size: expected a positive integer");
    }
    if (ignores) {
        int n = cJSON_GetArraySize(ignores);
        if (!cJSON_IsArray(ignores) || n > MS_MAX_IGNORE_PATHS)
            return ms_error_set(err, MS_EINPUT,
                                "predicate.serialization.ignore_paths: expected an array of "
                                "at most %d paths",
                                MS_MAX_IGNORE_PATHS);
        const cJSON *p;
        cJSON_ArrayForEach(p, ignores)
        {
            if (!cJSON_IsString(p) || !msx_path_is_safe(p->valuestring, strlen(p->valuestring))) {
                ms_serialization_clear(ser);
                return ms_error_set(
                    err, MS_EINPUT,
                    "predicate.serialization.ignore_paths: %s is not a relative path",
                    cJSON_IsString(p) ? p->valuestring : "(not a string)");
            }
            if (ms_serialization_add_ignore(ser, p->valuestring)) {
                ms_serialization_clear(ser);
                return ms_error_nomem(err);
            }
        }
        ser->has_ignore_paths = 1;
    }
    return 0;
}

/* Parse a decimal offset without sign or leading zeros. */
static int parse_offset(const char *s, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            return -1;
    }
    *out = v;
    return 0;
}

static int check_resource_name(const ms_serialization *ser, const char *name, ms_error *err)
{
    size_t len = strlen(name);
    size_t path_len = len;
    if (len == 0 || len > PATH_MAX + 48)
        return ms_error_set(err, MS_EINPUT,
                            "predicate.resources: a resource name is empty or too long");
    if (ser->method == MS_METHOD_SHARDS) {
        const char *c2 = strrchr(name, ':');
        const char *c1 = NULL;
        uint64_t start, end;
        if (c2) {
            for (const char *p = c2 - 1; p >= name; p--) {
                if (*p == ':') {
                    c1 = p;
                    break;
                }
            }
        }
        if (!c1 || parse_offset(c1 + 1, (size_t)(c2 - c1 - 1), &start) ||
            parse_offset(c2 + 1, strlen(c2 + 1), &end) || start >= end ||
            start % ser->shard_size != 0 || end - start > ser->shard_size)
            return ms_error_set(
                err, MS_EINPUT,
                "predicate.resources: \"%s\" is not a valid shard name (path:start:end)", name);
        path_len = (size_t)(c1 - name);
    }
    if (!msx_path_fits_limits(name, path_len))
        return ms_error_set(err, MS_EINPUT,
                            "predicate.resources: \"%.200s...\" is longer than a file name "
                            "(NAME_MAX) or path (PATH_MAX) can be",
                            name);
    if ((path_len == 1 && name[0] == '.') || msx_path_is_safe(name, path_len))
        return 0;
    return ms_error_set(err, MS_EINPUT,
                        "predicate.resources: \"%s\" is not a relative path inside the model "
                        "(absolute, \"..\", backslash or empty component)",
                        name);
}

int resources_from_json(const cJSON *json, ms_manifest *m, ms_error *err)
{
    char want_alg[64];
    const char *plain_alg = ms_hash_name(m->serialization.algorithm);
    size_t dlen = ms_hash_size(m->serialization.algorithm);
    int rc = 0;
    if (!cJSON_IsArray(json))
        return ms_error_set(err, MS_EINPUT, "predicate.resources: not a JSON array");
    int n = cJSON_GetArraySize(json);
    if (n < 0 || (unsigned)n > MS_MAX_RESOURCES)
        return ms_error_set(err, MS_EINPUT, "predicate.resources: more than %u entries",
                            MS_MAX_RESOURCES);
    ms_resource_algorithm(&m->serialization, want_alg, sizeof want_alg);
    ms_resource *res = calloc((size_t)n + 1, sizeof *res);
    if (!res)
        return ms_error_nomem(err);
    size_t k = 0;
    const cJSON *r;
    cJSON_ArrayForEach(r, json)
    {
        const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name");
        const cJSON *digest = cJSON_GetObjectItemCaseSensitive(r, "digest");
        const cJSON *alg = cJSON_GetObjectItemCaseSensitive(r, "algorithm");
        if (!cJSON_IsObject(r) || !cJSON_IsString(name) || !cJSON_IsString(digest) ||
            !cJSON_IsString(alg)) {
            rc = ms_error_set(
                err, MS_EINPUT,
                "predicate.resources[%zu]: expected an object with string name, digest and "
                "algorithm",
                k);
            goto out;
        }
        if ((rc = check_resource_name(&m->serialization, name->valuestring, err)) != 0)
            goto out;
        if (strcmp(alg->valuestring, want_alg) != 0 && strcmp(alg->valuestring, plain_alg) != 0) {
            rc = ms_error_set(err, MS_EINPUT,
                              "predicate.resources[%zu] (%s): algorithm \"%s\", expected \"%s\"", k,
                              name->valuestring, alg->valuestring, want_alg);
            goto out;
        }
        size_t hl = strlen(digest->valuestring);
        int lower = 1;
        for (size_t i = 0; i < hl; i++)
            lower &= !(digest->valuestring[i] >= 'A' && digest->valuestring[i] <= 'F');
        if (hl != dlen * 2 || !lower ||
            msx_hex_decode(digest->valuestring, hl, res[k].digest, sizeof res[k].digest, NULL)) {
            rc = ms_error_set(
                err, MS_EINPUT,
                "predicate.resources[%zu] (%s): digest is not %zu lowercase hex digits", k,
                name->valuestring, dlen * 2);
            goto out;
        }
        res[k].digest_len = dlen;
        if (!(res[k].name = strdup(name->valuestring))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        k++;
    }
    /* Names must be unique: a duplicate could hide a file behind another's digest. */
    {
        const ms_resource **sorted = malloc((k + 1) * sizeof *sorted);
        if (!sorted) {
            rc = ms_error_nomem(err);
            goto out;
        }
        for (size_t i = 0; i < k; i++)
            sorted[i] = &res[i];
        qsort(sorted, k, sizeof *sorted, cmp_resource_ptr);
        for (size_t i = 1; i < k; i++) {
            if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0) {
                rc = ms_error_set(err, MS_EINPUT, "predicate.resources: \"%s\" is listed twice",
                                  sorted[i]->name);
                break;
            }
        }
        free(sorted);
        if (rc)
            goto out;
    }
    for (size_t i = 0; i < m->n_resources; i++)
        free(m->resources[i].name);
    free(m->resources);
    m->resources = res;
    m->n_resources = k;
    res = NULL;
    if ((rc = ms_manifest_root(m->resources, m->n_resources, m->root_digest)) != 0)
        rc = ms_error_set(err, rc, "cannot compute the root digest");
out:
    if (res) {
        for (size_t i = 0; i < k; i++)
            free(res[i].name);
        free(res);
    }
    return rc;
}

char *ms_model_companion_path(const char *model, const char *inside_name, const char *beside_suffix,
                              ms_error *err)
{
    struct stat st;
    ms_buf b = MS_BUF_INIT;
    if (stat(model, &st) != 0) {
        ms_error_set(err, MS_EINPUT, "%s: %s", model, strerror(errno));
        return NULL;
    }
    size_t n = strlen(model);
    while (n > 1 && model[n - 1] == '/')
        n--;
    int rc = S_ISDIR(st.st_mode) ? msx_buf_printf(&b, "%.*s/%s", (int)n, model, inside_name)
                                 : msx_buf_printf(&b, "%.*s%s", (int)n, model, beside_suffix);
    if (rc) {
        msx_buf_free(&b);
        ms_error_nomem(err);
        return NULL;
    }
    return msx_buf_detach(&b);
}

static char *print_json(cJSON *obj)
{
    char *text = obj ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return text;
}

char *ms_serialization_json(const ms_serialization *ser)
{
    return print_json(serialization_to_json(ser));
}

char *ms_resources_json(const ms_manifest *m)
{
    return print_json(resources_to_json(m));
}
