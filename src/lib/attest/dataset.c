/* Writing dataset manifests: a streaming walk, pipelined hashing, and a two-frame zstd file.
 *
 * The walk (msx_walk, without a stat per entry) calls back per file in full-path byte order
 * while holding one directory's names per level. Each file goes straight into a hash stream
 * (ms_hash_stream): worker threads hash the files queued so far while the walk reads on, and
 * the lines come back in order, on this thread, to be compressed into a body frame in a
 * temporary file.
 * The header, whose counts and root digest are known only at the end, becomes a frame of its
 * own; header frame + body frame go into a second temporary file that is fsynced and renamed
 * over the output. This file also holds the canonical line encoder the reader checks against. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "dataset_internal.h"
#include "hash/engine.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "modelseal/manifest.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

#define DEFAULT_WINDOW 4096

void ms_dataset_info_clear(ms_dataset_info *info)
{
    if (!info)
        return;
    free(info->name);
    free(info->version);
    free(info->source);
    free(info->license);
    for (size_t i = 0; i < info->n_ignore_paths; i++)
        free(info->ignore_paths[i]);
    free(info->ignore_paths);
    memset(info, 0, sizeof *info);
}

/* ---- canonical lines ---------------------------------------------------------------------- */

/* Append `s` as a JSON string: '"' and '\\' escaped, \b \f \n \r \t in short form, other
 * control characters as \u00xx, everything else (valid UTF-8) verbatim. */
static int append_json_string(ms_buf *out, const char *s, size_t len, const char *field,
                              ms_error *err)
{
    static const char hex[] = "0123456789abcdef";
    if (!msx_utf8_valid(s, len))
        return ms_error_set(err, MS_EINPUT, "%s: not valid UTF-8", field);
    if (msx_buf_reserve(out, len + 2))
        return ms_error_nomem(err);
    out->data[out->len++] = '"';
    size_t plain = 0; /* the common case: nothing to escape */
    while (plain < len && (unsigned char)s[plain] >= 0x20 && s[plain] != '"' && s[plain] != '\\')
        plain++;
    if (plain == len) {
        memcpy(out->data + out->len, s, len);
        out->len += len;
        out->data[out->len++] = '"';
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7];
        size_t n = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c, n = 2;
        } else if (c < 0x20) {
            const char *shortform = NULL;
            switch (c) {
            case '\b':
                shortform = "\\b";
                break;
            case '\f':
                shortform = "\\f";
                break;
            case '\n':
                shortform = "\\n";
                break;
            case '\r':
                shortform = "\\r";
                break;
            case '\t':
                shortform = "\\t";
                break;
            default:
                break;
            }
            if (shortform) {
                memcpy(esc, shortform, 2);
                n = 2;
            } else {
                memcpy(esc, "\\u00", 4);
                esc[4] = hex[c >> 4], esc[5] = hex[c & 15], n = 6;
            }
        }
        if (n == 0) {
            if (msx_buf_append(out, &s[i], 1))
                return ms_error_nomem(err);
        } else if (msx_buf_append(out, esc, n)) {
            return ms_error_nomem(err);
        }
    }
    if (msx_buf_append(out, "\"", 1))
        return ms_error_nomem(err);
    return 0;
}

static int append_nullable(ms_buf *out, const char *key, const char *value, ms_error *err)
{
    if (msx_buf_printf(out, ",\"%s\":", key))
        return ms_error_nomem(err);
    if (!value)
        return msx_buf_append_str(out, "null") ? ms_error_nomem(err) : 0;
    return append_json_string(out, value, strlen(value), key, err);
}

int dataset_header_line(const ms_dataset_info *info, ms_buf *out, ms_error *err)
{
    char root[2 * MS_SHA256_SIZE + 1];
    int rc;
    if (!info->name)
        return ms_error_set(err, MS_EINPUT, "name: missing");
    if (msx_buf_append_str(out, "{\"_type\":\"" MS_DATASET_MANIFEST_TYPE "\",\"name\":"))
        return ms_error_nomem(err);
    if ((rc = append_json_string(out, info->name, strlen(info->name), "name", err)) != 0 ||
        (rc = append_nullable(out, "version", info->version, err)) != 0 ||
        (rc = append_nullable(out, "source", info->source, err)) != 0 ||
        (rc = append_nullable(out, "license", info->license, err)) != 0)
        return rc;
    if (msx_buf_append_str(out, ",\"ignore\":["))
        return ms_error_nomem(err);
    for (size_t i = 0; i < info->n_ignore_paths; i++) {
        const char *p = info->ignore_paths[i];
        if (i && msx_buf_append_str(out, ","))
            return ms_error_nomem(err);
        if ((rc = append_json_string(out, p, strlen(p), "ignore", err)) != 0)
            return rc;
    }
    if (msx_buf_append_str(out, "]"))
        return ms_error_nomem(err);
    msx_hex_encode(info->root_digest, MS_SHA256_SIZE, root);
    if (msx_buf_printf(out,
                       ",\"algorithm\":\"%s\",\"files\":%llu,\"bytes\":%llu,"
                       "\"root_digest\":\"sha256:%s\"}\n",
                       ms_hash_name(info->algorithm), (unsigned long long)info->files,
                       (unsigned long long)info->bytes, root))
        return ms_error_nomem(err);
    return 0;
}

int dataset_file_line(const char *path, uint64_t size, const uint8_t *digest, size_t digest_len,
                      ms_buf *out, ms_error *err)
{
    static const char hexdigits[] = "0123456789abcdef";
    char tail[64 + 2 * MS_HASH_MAX_SIZE], num[24];
    size_t n = 0, k = sizeof num;
    int rc;
    if (digest_len > MS_HASH_MAX_SIZE)
        return ms_error_set(err, MS_EINPUT, "%s: digest too long", path);
    if (msx_buf_append_str(out, "{\"path\":"))
        return ms_error_nomem(err);
    if ((rc = append_json_string(out, path, strlen(path), path, err)) != 0)
        return rc;
    /* ,"size":N,"digest":"<hex>"}\n without printf: this runs once per file. */
    do {
        num[--k] = (char)('0' + size % 10);
        size /= 10;
    } while (size);
    memcpy(tail, ",\"size\":", 8);
    n = 8;
    memcpy(tail + n, num + k, sizeof num - k);
    n += sizeof num - k;
    memcpy(tail + n, ",\"digest\":\"", 11);
    n += 11;
    for (size_t i = 0; i < digest_len; i++) {
        tail[n++] = hexdigits[digest[i] >> 4];
        tail[n++] = hexdigits[digest[i] & 15];
    }
    memcpy(tail + n, "\"}\n", 3);
    n += 3;
    if (msx_buf_append(out, tail, n))
        return ms_error_nomem(err);
    return 0;
}

/* ---- the writer --------------------------------------------------------------------------- */

typedef struct writer {
    const char *dir;
    const char *output;
    const ms_dataset_options *opts;
    ms_hash_stream *stream;
    ZSTD_CCtx *cctx;
    int body_fd;
    ms_buf lines;  /* lines not yet compressed */
    uint8_t *zout; /* compressor output buffer */
    size_t zout_size;
    ms_hasher *root; /* SHA-256 over the raw digests, in order */
    uint64_t files, bytes;
    dataset_part part; /* part.info.count 0: the whole dataset (dataset_partition.c) */
} writer;

int dataset_compress_to(ZSTD_CCtx *cctx, uint8_t *zout, size_t zout_size, int fd,
                        const char *output, const void *data, size_t len, ZSTD_EndDirective mode,
                        ms_error *err)
{
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer zo = {zout, zout_size, 0};
        size_t left = ZSTD_compressStream2(cctx, &zo, &in, mode);
        if (ZSTD_isError(left))
            return ms_error_set(err, MS_EENV, "%s: zstd compression failed: %s", output,
                                ZSTD_getErrorName(left));
        if (zo.pos && msx_write_all(fd, zout, zo.pos) != 0)
            return ms_error_set(err, MS_EENV, "%s: cannot write a temporary file: %s", output,
                                strerror(errno));
        if (mode == ZSTD_e_end ? left == 0 : in.pos == in.size)
            return 0;
    }
}

static int compress_to_body(writer *w, const void *data, size_t len, ZSTD_EndDirective mode,
                            ms_error *err)
{
    return dataset_compress_to(w->cctx, w->zout, w->zout_size, w->body_fd, w->output, data, len,
                               mode, err);
}

/* A file that begins like a git LFS pointer: refused when it is one (read again by name: a
 * refusal binds nothing, so a file changed since it was hashed only changes the verdict). */
static int refuse_lfs_pointer(const writer *w, const char *rel, ms_error *err)
{
    uint8_t buf[MS_LFS_POINTER_MAX + 1], oid[32];
    uint64_t size;
    ms_buf path = MS_BUF_INIT;
    int rc = 0;
    if (msx_buf_printf(&path, "%s/%s", w->dir, rel) != 0)
        return ms_error_nomem(err);
    int fd = open((const char *)path.data, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf, 0) : -1;
    if (fd >= 0)
        close(fd);
    if (n > 0 && ms_lfs_pointer_parse_ext(buf, (size_t)n, oid, &size))
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: a git LFS pointer, not the file's content (run 'git lfs pull', or "
                          "sign from pointers with --from-lfs-pointers)",
                          (const char *)path.data);
    msx_buf_free(&path);
    return rc;
}

/* A file came back hashed (in walk order): its line, its digest into the root. */
static int on_hashed(void *ctx, const ms_hash_stream_file *f, ms_error *err)
{
    writer *w = ctx;
    size_t dlen = ms_hash_size(w->opts->algorithm);
    int rc;
    if (f->lfs_like && !w->opts->allow_lfs_pointers && (rc = refuse_lfs_pointer(w, f->path, err)))
        return rc;
    if (__builtin_add_overflow(w->bytes, f->size, &w->bytes))
        return ms_error_set(err, MS_EINPUT, "%s: the dataset is larger than 2^64 bytes", w->dir);
    w->files++;
    if (w->opts->progress)
        w->opts->progress(w->opts->progress_ctx, w->bytes, 0);
    if (f->nlink > 1 && w->opts->hard_link)
        w->opts->hard_link(w->opts->hard_link_ctx, f->path, f->nlink);
    if ((rc = dataset_file_line(f->path, f->size, f->digest, dlen, &w->lines, err)) != 0)
        return rc;
    if (ms_hasher_update(w->root, f->digest, dlen) != 0)
        return ms_error_set(err, MS_EENV, "root digest: hashing failed");
    if (w->lines.len >= LINES_FLUSH) {
        rc = compress_to_body(w, w->lines.data, w->lines.len, ZSTD_e_continue, err);
        msx_buf_reset(&w->lines);
    }
    return rc;
}

static int on_file(const ms_file_entry *e, void *ctx, ms_error *err)
{
    writer *w = ctx;
    int rc;
    if (e->target && !e->hf_blob)
        return ms_error_set(err, MS_EINPUT, "%s/%s: symbolic links are not part of a dataset",
                            w->dir, e->path);
    if (w->part.info.count && (rc = dataset_part_take(&w->part, e->path, err)) <= 0)
        return rc; /* another share's file */
    return hash_stream_add(w->stream, e, 1, -1, NULL, err);
}

static int check_text(const char *value, const char *field, ms_error *err)
{
    size_t len = strlen(value);
    if (len == 0)
        return ms_error_set(err, MS_EINPUT, "%s: empty", field);
    if (len > MS_DATASET_MAX_FIELD)
        return ms_error_set(err, MS_EINPUT, "%s: longer than %zu bytes", field,
                            MS_DATASET_MAX_FIELD);
    if (!msx_utf8_valid(value, len))
        return ms_error_set(err, MS_EINPUT, "%s: not valid UTF-8", field);
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)value[i] < 0x20 || value[i] == 0x7f)
            return ms_error_set(err, MS_EINPUT, "%s: contains a control character", field);
    }
    return 0;
}

static int cmp_path(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void free_paths(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

/* The "ignore" list the header records: opts' paths checked, copied, byte-sorted, each once.
 * On failure hdr->ignore_paths holds what was copied so far (the caller frees it). */
int dataset_header_ignores(const ms_dataset_options *opts, ms_dataset_info *hdr, ms_error *err)
{
    size_t n = 0;
    if (opts->n_ignore_paths == 0)
        return 0;
    if (!(hdr->ignore_paths = calloc(opts->n_ignore_paths, sizeof *hdr->ignore_paths)))
        return ms_error_nomem(err);
    for (size_t i = 0; i < opts->n_ignore_paths; i++) {
        const char *p = opts->ignore_paths[i];
        size_t len = strlen(p);
        if (!msx_path_is_safe(p, len) || !msx_path_fits_limits(p, len))
            return ms_error_set(
                err, MS_EINPUT,
                "--ignore %.200s: not a relative path inside the dataset (absolute, "
                "empty, '.', '..', backslash or too long)",
                p);
        if (!msx_utf8_valid(p, len))
            return ms_error_set(err, MS_EINPUT, "--ignore %.200s: not valid UTF-8", p);
        if (!(hdr->ignore_paths[hdr->n_ignore_paths] = strdup(p)))
            return ms_error_nomem(err);
        hdr->n_ignore_paths++;
    }
    qsort(hdr->ignore_paths, hdr->n_ignore_paths, sizeof *hdr->ignore_paths, cmp_path);
    for (size_t i = 0; i < hdr->n_ignore_paths; i++) {
        if (n && strcmp(hdr->ignore_paths[n - 1], hdr->ignore_paths[i]) == 0)
            free(hdr->ignore_paths[i]);
        else
            hdr->ignore_paths[n++] = hdr->ignore_paths[i];
    }
    hdr->n_ignore_paths = n;
    return 0;
}

static int add_ignore(const char ***list, size_t *n, const char *path)
{
    const char **p = realloc(*list, (*n + 1) * sizeof *p);
    if (!p)
        return -1;
    p[(*n)++] = path;
    *list = p;
    return 0;
}

int dataset_finish_file(ZSTD_CCtx *cctx, const ms_buf *header, int body_fd, ms_file_temp *fin,
                        const char *output, ms_error *err)
{
    unsigned char buf[65536];
    size_t bound = ZSTD_compressBound(header->len);
    void *hframe = malloc(bound);
    if (!hframe)
        return ms_error_nomem(err);
    ZSTD_CCtx_reset(cctx, ZSTD_reset_session_only);
    size_t hlen = ZSTD_compress2(cctx, hframe, bound, header->data, header->len);
    int rc = ZSTD_isError(hlen) ? ms_error_set(err, MS_EENV, "%s: zstd compression failed: %s",
                                               output, ZSTD_getErrorName(hlen))
             : msx_write_all(fin->fd, hframe, hlen) != 0
                 ? ms_error_set(err, MS_EENV, "%s: cannot write: %s", output, strerror(errno))
                 : 0;
    free(hframe);
    if (rc != 0)
        return rc;
    if (lseek(body_fd, 0, SEEK_SET) != 0)
        return ms_error_set(err, MS_EENV, "%s: temporary file: %s", output, strerror(errno));
    for (;;) {
        ssize_t n = read(body_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return ms_error_set(err, MS_EENV, "%s: temporary file: %s", output, strerror(errno));
        if (n == 0)
            return msx_file_temp_commit(fin, 0, err);
        if (msx_write_all(fin->fd, buf, (size_t)n) != 0)
            return ms_error_set(err, MS_EENV, "%s: cannot write: %s", output, strerror(errno));
    }
}

int ms_dataset_manifest_write(const char *dir, const ms_dataset_options *opts, const char *output,
                              ms_dataset_info *info, ms_error *err)
{
    writer w;
    ms_dataset_info hdr;
    ms_buf header = MS_BUF_INIT;
    const char **ignores = NULL;
    size_t n_ignores = 0;
    ms_file_temp body = {.fd = -1}, fin = {.fd = -1};
    char *out_rel = NULL, *body_rel = NULL, *final_rel = NULL;
    int rc = 0, is_s3 = strncmp(dir, "s3://", 5) == 0;
    struct stat st;

    memset(&w, 0, sizeof w);
    memset(&hdr, 0, sizeof hdr);
    w.body_fd = -1;
    w.dir = dir;
    w.output = output;
    w.opts = opts;

    if (!opts->name)
        return ms_error_set(err, MS_EINPUT, "name: missing");
    if ((rc = check_text(opts->name, "name", err)) != 0 ||
        (opts->version && (rc = check_text(opts->version, "version", err)) != 0) ||
        (opts->source && (rc = check_text(opts->source, "source", err)) != 0) ||
        (opts->license && (rc = check_text(opts->license, "license", err)) != 0))
        return rc;
    if (is_s3) {
        /* Without --source a bucket's manifest records its URL as the source. */
        if (!opts->source && (rc = check_text(dir, "source", err)) != 0)
            return rc;
    } else if (stat(dir, &st) != 0) {
        return ms_error_set(err, MS_EINPUT, "%s: %s", dir, strerror(errno));
    } else if (!S_ISDIR(st.st_mode)) {
        return ms_error_set(err, MS_EINPUT, "%s: not a directory", dir);
    }
    if (stat(output, &st) == 0 && S_ISDIR(st.st_mode))
        return ms_error_set(err, MS_EINPUT, "%s: is a directory", output);
    if (is_s3) /* a bucket (dataset_s3.c), its fields checked as a directory's */
        return dataset_s3_manifest_write(dir, opts, output, info, err);
    hdr.name = (char *)opts->name;
    hdr.version = (char *)opts->version;
    hdr.source = (char *)opts->source;
    hdr.license = (char *)opts->license;
    hdr.algorithm = opts->algorithm;
    if ((rc = dataset_header_ignores(opts, &hdr, err)) != 0)
        goto out;
    if (opts->partition_count &&
        (rc = dataset_part_begin(&w.part, opts->partition_index, opts->partition_count, err)) != 0)
        goto out;
    /* The header must fit a line whatever the counts turn out to be: know it before hashing. */
    hdr.files = hdr.bytes = w.part.info.paths = UINT64_MAX;
    if ((rc = dataset_part_header_line(&hdr, &w.part.info, &header, err)) != 0)
        goto out;
    w.part.info.paths = 0;
    if (header.len > MS_DATASET_MAX_LINE) {
        rc = ms_error_set(err, MS_EINPUT,
                          "the header line (name, version, source, license and %zu ignored "
                          "paths) would be longer than %zu bytes",
                          hdr.n_ignore_paths, MS_DATASET_MAX_LINE);
        goto out;
    }
    msx_buf_reset(&header);

    ms_hash_stream_options so = {
        .root = dir,
        .algorithm = opts->algorithm,
        .threads = opts->threads,
        .window = opts->batch_files ? opts->batch_files : DEFAULT_WINDOW,
        .buffer_size = opts->buffer_size,
        .done = on_hashed,
        .ctx = &w,
    };
    if (!(w.stream = hash_stream_new(&so, err))) {
        rc = err ? err->code : MS_ENOMEM;
        goto out;
    }
    w.root = ms_hasher_new(MS_HASH_SHA256);
    w.cctx = ZSTD_createCCtx();
    w.zout_size = ZSTD_CStreamOutSize();
    w.zout = malloc(w.zout_size);
    if (!w.root || !w.cctx || !w.zout) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_compressionLevel,
                                            opts->level ? opts->level : DEFAULT_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w.cctx, ZSTD_c_checksumFlag, 1))) {
        rc = ms_error_set(err, MS_EINPUT, "zstd: bad compression level %d", opts->level);
        goto out;
    }

    /* Both temporary files exist before the walk, so that when they (or the output) lie inside
     * the dataset they can be left out of it. */
    if ((rc = msx_file_temp_open(&body, output, 0600, err)) != 0 ||
        (rc = msx_file_temp_open(&fin, output, 0644, err)) != 0)
        goto out;
    w.body_fd = body.fd;
    out_rel = msx_path_inside_model(dir, output);
    body_rel = body.temp_path ? msx_path_inside_model(dir, body.temp_path) : NULL;
    final_rel = fin.temp_path ? msx_path_inside_model(dir, fin.temp_path) : NULL;
    /* What the header records, and the files this run makes; nothing else (a dataset has no
     * names skipped whatever they are, unlike a model's model.sig, claims.jsonl and .git). */
    for (size_t i = 0; i < hdr.n_ignore_paths; i++) {
        if (add_ignore(&ignores, &n_ignores, hdr.ignore_paths[i])) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if ((out_rel && add_ignore(&ignores, &n_ignores, out_rel)) ||
        (body_rel && add_ignore(&ignores, &n_ignores, body_rel)) ||
        (final_rel && add_ignore(&ignores, &n_ignores, final_rel))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ms_walk_options wopts = {
        .ignore_paths = ignores,
        .n_ignore_paths = n_ignores,
        .allow_symlinks = 0,
        .ignore_git_paths = 0,
        .no_stat = 1,
    };
    if ((rc = msx_walk(dir, &wopts, on_file, &w, err)) != 0 ||
        (rc = hash_stream_finish(w.stream, err)) != 0 ||
        (rc = compress_to_body(&w, w.lines.data, w.lines.len, ZSTD_e_continue, err)) != 0)
        goto out;
    if (w.part.info.count && (rc = dataset_part_finish(&w.part, err)) != 0)
        goto out;
    if (w.part.info.count ? w.part.info.paths == 0 : w.files == 0) { /* a share may be empty */
        rc = ms_error_set(err, MS_EINPUT, "%s: no files (nothing to list)", dir);
        goto out;
    }
    if ((rc = compress_to_body(&w, NULL, 0, ZSTD_e_end, err)) != 0)
        goto out;

    /* The header, its own frame, first. */
    hdr.files = w.files;
    hdr.bytes = w.bytes;
    if (ms_hasher_final(w.root, hdr.root_digest) != 0) {
        rc = ms_error_set(err, MS_EENV, "root digest: hashing failed");
        goto out;
    }
    if ((rc = dataset_part_header_line(&hdr, &w.part.info, &header, err)) != 0)
        goto out;
    if ((rc = dataset_finish_file(w.cctx, &header, w.body_fd, &fin, output, err)) != 0)
        goto out;
    if (info) {
        ms_dataset_info_clear(info);
        info->name = strdup(opts->name);
        info->version = opts->version ? strdup(opts->version) : NULL;
        info->source = opts->source ? strdup(opts->source) : NULL;
        info->license = opts->license ? strdup(opts->license) : NULL;
        if (!info->name || (opts->version && !info->version) || (opts->source && !info->source) ||
            (opts->license && !info->license)) {
            ms_dataset_info_clear(info);
            rc = ms_error_nomem(err);
            goto out;
        }
        info->ignore_paths = hdr.ignore_paths; /* handed over */
        info->n_ignore_paths = hdr.n_ignore_paths;
        hdr.ignore_paths = NULL;
        hdr.n_ignore_paths = 0;
        info->algorithm = opts->algorithm;
        info->files = w.files;
        info->bytes = w.bytes;
        memcpy(info->root_digest, hdr.root_digest, MS_SHA256_SIZE);
    }
out:
    hash_stream_free(w.stream);
    ms_hasher_free(w.root);
    ZSTD_freeCCtx(w.cctx);
    free(w.zout);
    msx_buf_free(&w.lines);
    msx_buf_free(&header);
    msx_file_temp_discard(&body);
    msx_file_temp_discard(&fin);
    free(out_rel);
    free(body_rel);
    free(final_rel);
    free(ignores);
    free_paths(hdr.ignore_paths, hdr.n_ignore_paths);
    dataset_part_end(&w.part);
    return rc;
}

int ms_dataset_statement_build(const ms_dataset_info *info, char **payload, size_t *len,
                               ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = dataset_statement_build(info, &buf, err);
    if (rc == 0 && msx_buf_export(&buf, payload, len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}
