/* Re-hashing a directory against a dataset manifest (ms_dataset_verify_dir): the manifest read
 * with the canonical reader, the directory walked and hashed with the streaming engine. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "dataset_internal.h"
#include "hash/engine.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "modelseal/manifest.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

/* ---- re-hashing a directory against a manifest -------------------------------------------- */

enum { REC_MISSING, REC_EXTRA, REC_CHANGED, REC_COMPARE };

#define SPOOL_MEMORY ((size_t)1 << 20) /* differences kept in memory before spilling to a file */

/* What travels with each file through the hash stream. */
typedef struct record {
    int kind;
    uint8_t digest[MS_HASH_MAX_SIZE]; /* REC_COMPARE: the manifest's */
} record;

typedef struct verifier {
    const char *dir;
    const ms_dataset_verify_options *opts;
    ms_dataset_verify_result *res;
    ms_dataset_reader *reader;
    ms_hash_stream *stream;
    size_t dlen;
    /* the manifest's current line (lookahead) */
    int m_have;
    const char *m_path;
    uint64_t m_size;
    uint8_t m_digest[MS_HASH_MAX_SIZE];
    /* differences, held until the whole manifest has been read and found well formed */
    ms_buf spool;
    FILE *spill;
    uint64_t bytes; /* hashed so far, for opts->progress */
} verifier;

/* 1 when `path` is in the share checked (every path without --partition). */
static int in_share(const verifier *v, const char *path)
{
    uint32_t n = v->opts->partition_count;
    return n == 0 || ms_dataset_partition_of(path, strlen(path), n) == v->opts->partition_index;
}

static int advance(verifier *v, ms_error *err)
{
    int rc;
    do
        rc = ms_dataset_reader_next(v->reader, &v->m_path, &v->m_size, v->m_digest, err);
    while (rc == 1 && !in_share(v, v->m_path)); /* another share's line: read and checked */
    if (rc < 0)
        return rc;
    v->m_have = rc;
    return 0;
}

/* Count a difference and keep it (kind byte, length, path) for reporting at the end. */
static int note(verifier *v, int kind, const char *path, ms_error *err)
{
    if (kind == REC_MISSING)
        v->res->missing++;
    else if (kind == REC_EXTRA)
        v->res->extra++;
    else
        v->res->changed++;
    if (!v->opts->diff)
        return 0;
    uint32_t len = (uint32_t)strlen(path);
    unsigned char head[5] = {(unsigned char)kind, (unsigned char)(len >> 24),
                             (unsigned char)(len >> 16), (unsigned char)(len >> 8),
                             (unsigned char)len};
    if (msx_buf_append(&v->spool, head, sizeof head) || msx_buf_append(&v->spool, path, len))
        return ms_error_nomem(err);
    if (v->spool.len >= SPOOL_MEMORY) {
        if (!v->spill && !(v->spill = tmpfile()))
            return ms_error_set(err, MS_EENV, "cannot create a temporary file: %s",
                                strerror(errno));
        if (fwrite(v->spool.data, 1, v->spool.len, v->spill) != v->spool.len)
            return ms_error_set(err, MS_EENV, "cannot write a temporary file: %s", strerror(errno));
        msx_buf_reset(&v->spool);
    }
    return 0;
}

static void report_one(verifier *v, int kind, const char *path)
{
    ms_dataset_diff_kind k = kind == REC_MISSING ? MS_DATASET_MISSING
                             : kind == REC_EXTRA ? MS_DATASET_EXTRA
                                                 : MS_DATASET_CHANGED;
    v->opts->diff(v->opts->diff_ctx, k, path);
}

/* Report the records in `data` (whole records only). */
static int replay(verifier *v, const uint8_t *data, size_t len, ms_error *err)
{
    char *path = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < len;) {
        uint32_t n = (uint32_t)data[i + 1] << 24 | (uint32_t)data[i + 2] << 16 |
                     (uint32_t)data[i + 3] << 8 | data[i + 4];
        if (n + 1 > cap) {
            char *p = realloc(path, n + 1);
            if (!p) {
                free(path);
                return ms_error_nomem(err);
            }
            path = p;
            cap = n + 1;
        }
        memcpy(path, data + i + 5, n);
        path[n] = '\0';
        report_one(v, data[i], path);
        i += 5 + (size_t)n;
    }
    free(path);
    return 0;
}

/* Report every kept difference, in path order. */
static int report_all(verifier *v, ms_error *err)
{
    int rc = 0;
    if (!v->opts->diff)
        return 0;
    if (v->spill) {
        ms_buf all = MS_BUF_INIT;
        uint8_t chunk[65536];
        size_t n;
        if (fflush(v->spill) != 0 || fseek(v->spill, 0, SEEK_SET) != 0)
            return ms_error_set(err, MS_EENV, "temporary file: %s", strerror(errno));
        /* Records may straddle chunks: keep the unfinished tail for the next round. */
        while ((n = fread(chunk, 1, sizeof chunk, v->spill)) > 0) {
            if (msx_buf_append(&all, chunk, n)) {
                msx_buf_free(&all);
                return ms_error_nomem(err);
            }
            size_t whole = 0;
            while (all.len - whole >= 5) {
                size_t rl =
                    5 + ((size_t)all.data[whole + 1] << 24 | (size_t)all.data[whole + 2] << 16 |
                         (size_t)all.data[whole + 3] << 8 | all.data[whole + 4]);
                if (all.len - whole < rl)
                    break;
                whole += rl;
            }
            if ((rc = replay(v, all.data, whole, err)) != 0)
                break;
            memmove(all.data, all.data + whole, all.len - whole);
            all.len -= whole;
        }
        if (rc == 0 && ferror(v->spill))
            rc = ms_error_set(err, MS_EENV, "temporary file: read error");
        msx_buf_free(&all);
        if (rc)
            return rc;
    }
    return replay(v, v->spool.data, v->spool.len, err);
}

/* A file back from the hash stream, in path order. */
static int on_result(void *ctx, const ms_hash_stream_file *f, ms_error *err)
{
    verifier *v = ctx;
    const record *rec = f->user;
    if (rec->kind != REC_COMPARE)
        return note(v, rec->kind, f->path, err);
    if (!f->hashed)
        return note(v, REC_CHANGED, f->path, err); /* another size */
    v->res->files++;
    if (v->opts->progress && !__builtin_add_overflow(v->bytes, f->size, &v->bytes))
        v->opts->progress(v->opts->progress_ctx, v->bytes, 0);
    if (sodium_memcmp(rec->digest, f->digest, v->dlen) != 0)
        return note(v, REC_CHANGED, f->path, err);
    return 0;
}

static int pass_through(verifier *v, int kind, const char *path, ms_error *err)
{
    ms_file_entry e;
    record rec;
    memset(&e, 0, sizeof e);
    memset(&rec, 0, sizeof rec);
    e.path = (char *)path; /* only read */
    e.dir_fd = -1;
    rec.kind = kind;
    return hash_stream_add(v->stream, &e, 0, -1, &rec, err);
}

static int on_disk_file(const ms_file_entry *e, void *ctx, ms_error *err)
{
    verifier *v = ctx;
    int rc;
    if (!in_share(v, e->path))
        return 0;
    for (;;) {
        if (!v->m_have)
            return pass_through(v, REC_EXTRA, e->path, err);
        int cmp = strcmp(v->m_path, e->path);
        if (cmp > 0)
            return pass_through(v, REC_EXTRA, e->path, err);
        if (cmp == 0) {
            record rec;
            memset(&rec, 0, sizeof rec);
            rec.kind = REC_COMPARE;
            memcpy(rec.digest, v->m_digest, v->dlen);
            if (v->m_size > INT64_MAX)
                rc = pass_through(v, REC_CHANGED, e->path, err);
            else
                rc = hash_stream_add(v->stream, e, 1, (int64_t)v->m_size, &rec, err);
            return rc ? rc : advance(v, err);
        }
        if ((rc = pass_through(v, REC_MISSING, v->m_path, err)) != 0 || (rc = advance(v, err)) != 0)
            return rc;
    }
}

int ms_dataset_verify_dir(const char *manifest_path, const char *dir,
                          const ms_dataset_verify_options *opts, ms_dataset_verify_result *res,
                          ms_error *err)
{
    verifier v;
    ms_dataset_info info;
    const char **ignores = NULL;
    char *manifest_rel = NULL;
    size_t n_ignores = 0;
    int rc = 0;
    struct stat st;

    if (opts->partition_count &&
        (rc = dataset_part_check(opts->partition_index, opts->partition_count, err)) != 0)
        return rc;
    if (strncmp(dir, "s3://", 5) == 0) /* a bucket (dataset_s3.c) */
        return dataset_s3_verify(manifest_path, dir, opts, res, err);
    memset(&v, 0, sizeof v);
    memset(&info, 0, sizeof info);
    memset(res, 0, sizeof *res);
    v.dir = dir;
    v.opts = opts;
    v.res = res;
    if (stat(dir, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return ms_error_set(err, MS_EINPUT, "%s: not a directory", dir);
    if (!(v.reader = ms_dataset_reader_open(manifest_path, &info, err)))
        return err ? err->code : MS_EINPUT;
    v.dlen = ms_hash_size(info.algorithm);
    ms_hash_stream_options so = {
        .root = dir,
        .algorithm = info.algorithm,
        .threads = opts->threads,
        .window = opts->batch_files,
        .buffer_size = opts->buffer_size,
        .user_size = sizeof(record),
        .done = on_result,
        .ctx = &v,
    };
    if (!(v.stream = hash_stream_new(&so, err))) {
        rc = err ? err->code : MS_ENOMEM;
        goto out;
    }
    /* The manifest's own "ignore" list (its header is read and checked by now; the rest of it
     * is before anything is told), the caller's files that are not data, the manifest itself. */
    ignores = calloc(info.n_ignore_paths + opts->n_ignore_paths + 2, sizeof *ignores);
    if (!ignores) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < info.n_ignore_paths; i++)
        ignores[n_ignores++] = info.ignore_paths[i];
    for (size_t i = 0; i < opts->n_ignore_paths; i++)
        ignores[n_ignores++] = opts->ignore_paths[i];
    if ((manifest_rel = msx_path_inside_model(dir, manifest_path)) != NULL)
        ignores[n_ignores++] = manifest_rel;
    ms_walk_options wopts = {
        .ignore_paths = ignores,
        .n_ignore_paths = n_ignores,
        .allow_symlinks = 0,
        .ignore_git_paths = 0,
        .no_stat = 1,
    };
    if ((rc = advance(&v, err)) != 0 || (rc = msx_walk(dir, &wopts, on_disk_file, &v, err)) != 0)
        goto out;
    while (v.m_have) {
        if ((rc = pass_through(&v, REC_MISSING, v.m_path, err)) != 0 ||
            (rc = advance(&v, err)) != 0)
            goto out;
    }
    if ((rc = hash_stream_finish(v.stream, err)) != 0)
        goto out;
    /* The whole manifest has been read and checked: now the differences may be told, once the
     * caller agrees it is the manifest meant. */
    ms_dataset_reader_digest(v.reader, info.manifest_digest);
    if (opts->manifest_check && (rc = opts->manifest_check(opts->check_ctx, &info, err)) != 0)
        goto out;
    if (opts->info) {
        ms_dataset_info_clear(opts->info);
        *opts->info = info;
        memset(&info, 0, sizeof info);
    }
    if ((rc = report_all(&v, err)) != 0)
        goto out;
    if (res->missing || res->extra || res->changed)
        rc = ms_error_set(err, MS_EVERIFY,
                          "%s does not match %s: %llu missing, %llu extra, %llu changed", dir,
                          manifest_path, (unsigned long long)res->missing,
                          (unsigned long long)res->extra, (unsigned long long)res->changed);
out:
    hash_stream_free(v.stream);
    msx_buf_free(&v.spool);
    if (v.spill)
        fclose(v.spill);
    free(ignores);
    free(manifest_rel);
    ms_dataset_reader_free(v.reader);
    ms_dataset_info_clear(&info);
    return rc;
}
