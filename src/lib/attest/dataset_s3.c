/* Dataset manifests of S3-compatible object storage (s3://BUCKET[/PREFIX]): the listing is
 * read one ListObjectsV2 page at a time, the objects of a page are fetched in parallel (a
 * bounded number of GETs in flight, each body streamed into its worker's hasher: no temporary
 * files, memory independent of object size), and the lines come out in key order, which is the
 * manifest's path order. While a page's objects are fetched, one thread lists the next page,
 * so the listing costs no time of its own after the first page. The output is the same, byte for
 * byte, as dataset.c's for the same files on disk: the same lines (dataset_file_line), header
 * (dataset_header_line), root digest and zstd frames (level, checksum, and the same flush points).
 * Verification merges the manifest's lines with the listing the same way. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "dataset_internal.h"
#include "hash/engine.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "modelseal/manifest.h"
#include "net/s3.h"
#include "util/buf.h"
#include "util/fs.h"

#define DEFAULT_IN_FLIGHT 16
#define MAX_IN_FLIGHT 256

/* ---- the listing, as relative paths in order ---------------------------------------------- */

typedef struct item {
    const char *key;  /* the page's */
    const char *path; /* key without the prefix */
    const char *etag;
    uint64_t size;
    int hash; /* fetch and hash it */
    int lfs;  /* a git LFS pointer (checked when small enough to be one) */
    int kind; /* verify: what it turned out to be (see the REC_ values) */
    uint8_t want[MS_HASH_MAX_SIZE];
    uint8_t digest[MS_HASH_MAX_SIZE];
} item;

typedef struct s3_source {
    const char *url; /* as given, for messages */
    s3_location loc;
    s3_client *client;
    s3_page page;
    int started;
    /* The listing one page ahead: a thread runs s3_list_page for the page after s->page while
     * that page is fetched (the client is shared: it is only read; the listing has its own
     * HTTP session, list_session). */
    http_session *list_session;
    pthread_t ahead_thread;
    int ahead_running, ahead_rc;
    const char *ahead_token; /* s->page's next_token, or NULL for the first page */
    s3_page ahead;
    ms_error ahead_err;
    char *last_key; /* the previous key: keys must come in strictly increasing order */
    const char *const *ignore;
    size_t n_ignore;
    /* --partition: a manifest's share takes each path through `part` (dataset_partition.c, in
     * listing order, which is path order); a verify's keeps the paths of share_index of
     * share_count (0: every path). */
    dataset_part *part;
    uint32_t share_index, share_count;
    /* the fetch */
    ms_hash_algorithm algorithm;
    unsigned threads;
    http_session **sessions;
    item *items;
    size_t n_items;
} s3_source;

static int ignored(const s3_source *s, const char *path)
{
    for (size_t i = 0; i < s->n_ignore; i++) {
        size_t n = strlen(s->ignore[i]);
        if (strncmp(path, s->ignore[i], n) == 0 && (path[n] == '\0' || path[n] == '/'))
            return 1;
    }
    return 0;
}

static int source_open(s3_source *s, const char *url, const ms_dataset_remote *remote,
                       unsigned threads, ms_hash_algorithm algorithm, ms_error *err)
{
    int rc;
    memset(s, 0, sizeof *s);
    s->url = url;
    s->algorithm = algorithm;
    s->threads = threads ? threads : DEFAULT_IN_FLIGHT;
    if (s->threads > MAX_IN_FLIGHT)
        s->threads = MAX_IN_FLIGHT;
    if ((rc = s3_location_parse(url, &s->loc, err)) != 0)
        return rc;
    s3_client_options co = {.endpoint = remote ? remote->s3_endpoint : NULL,
                            .http = {.retries = -1}};
    if (remote) {
        co.http.backoff_ms = remote->backoff_ms;
        co.http.timeout_ms = remote->timeout_ms;
    }
    if (!(s->client = s3_client_new(&co, s->loc.bucket, err)))
        return err->code ? err->code : MS_ENOMEM;
    if (!(s->list_session = http_session_new()) ||
        !(s->sessions = calloc(s->threads, sizeof *s->sessions)) ||
        !(s->items = calloc(S3_MAX_PAGE_KEYS, sizeof *s->items)))
        return ms_error_nomem(err);
    for (unsigned i = 0; i < s->threads; i++) {
        if (!(s->sessions[i] = http_session_new()))
            return ms_error_nomem(err);
    }
    return 0;
}

static void *list_ahead(void *arg)
{
    s3_source *s = arg;
    s->ahead_rc = s3_list_page(s->client, s->list_session, s->loc.prefix, s->ahead_token, &s->ahead,
                               &s->ahead_err);
    return NULL;
}

static int ahead_start(s3_source *s, const char *token, ms_error *err)
{
    s->ahead_token = token;
    s->ahead_rc = 0;
    memset(&s->ahead_err, 0, sizeof s->ahead_err);
    int e = pthread_create(&s->ahead_thread, NULL, list_ahead, s);
    if (e != 0)
        return ms_error_set(err, MS_EENV, "cannot start the listing thread: %s", strerror(e));
    s->ahead_running = 1;
    return 0;
}

/* The page the thread listed, into s->page (the previous page freed). */
static int ahead_take(s3_source *s, ms_error *err)
{
    pthread_join(s->ahead_thread, NULL);
    s->ahead_running = 0;
    if (s->ahead_rc != 0) {
        *err = s->ahead_err;
        s3_page_clear(&s->ahead);
        return s->ahead_rc;
    }
    s3_page_clear(&s->page);
    s->page = s->ahead;
    memset(&s->ahead, 0, sizeof s->ahead);
    return 0;
}

static void source_close(s3_source *s)
{
    if (s->ahead_running) { /* an error ended the run with a page still being listed */
        pthread_join(s->ahead_thread, NULL);
        s3_page_clear(&s->ahead);
    }
    http_session_free(s->list_session);
    if (s->sessions) {
        for (unsigned i = 0; i < s->threads; i++)
            http_session_free(s->sessions[i]);
    }
    free(s->sessions);
    free(s->items);
    free(s->last_key);
    s3_page_clear(&s->page);
    s3_client_free(s->client);
    s3_location_clear(&s->loc);
    memset(s, 0, sizeof *s);
}

/* The next page of the listing as items (folder markers and ignored paths left out, every key
 * checked). 1 with s->items/s->n_items (possibly 0 items), 0 at the end. */
static int source_next_page(s3_source *s, ms_error *err)
{
    int rc;
    if (s->started && !s->page.truncated)
        return 0;
    if (!s->started && (rc = ahead_start(s, NULL, err)) != 0)
        return rc;
    if ((rc = ahead_take(s, err)) != 0)
        return rc;
    s->started = 1;
    /* The next page is listed while the caller fetches this one; its token stays valid until
     * the next call, which waits for that listing before it frees this page. */
    if (s->page.truncated && (rc = ahead_start(s, s->page.next_token, err)) != 0)
        return rc;
    s->n_items = 0;
    size_t plen = strlen(s->loc.prefix);
    for (size_t i = 0; i < s->page.n; i++) {
        const s3_object *o = &s->page.objects[i];
        size_t klen = strlen(o->key);
        if (s->last_key && strcmp(s->last_key, o->key) >= 0)
            return ms_error_set(err, MS_EINPUT,
                                "%s: the listing is not in key order at s3://%s/%.1100s", s->url,
                                s->loc.bucket, o->key);
        free(s->last_key);
        if (!(s->last_key = strdup(o->key)))
            return ms_error_nomem(err);
        if (strncmp(o->key, s->loc.prefix, plen) != 0)
            return ms_error_set(err, MS_EINPUT, "s3://%s/%.1100s: outside the prefix '%s'",
                                s->loc.bucket, o->key, s->loc.prefix);
        if (o->size == 0 && klen > 0 && o->key[klen - 1] == '/')
            continue; /* a folder marker */
        const char *path = o->key + plen;
        size_t len = klen - plen;
        if (!msx_path_is_safe(path, len) || !msx_path_fits_limits(path, len) ||
            !msx_utf8_valid(path, len))
            return ms_error_set(err, MS_EINPUT,
                                "s3://%s/%.1100s: not a valid relative path below the prefix "
                                "(empty segment, '.', '..', backslash, invalid UTF-8 or too long)",
                                s->loc.bucket, o->key);
        if (ignored(s, path))
            continue;
        if (s->part && s->part->info.count) {
            int t = dataset_part_take(s->part, path, err);
            if (t < 0)
                return t;
            if (t == 0)
                continue; /* another share's object */
        } else if (s->share_count &&
                   ms_dataset_partition_of(path, len, s->share_count) != s->share_index) {
            continue;
        }
        item *it = &s->items[s->n_items++];
        memset(it, 0, sizeof *it);
        it->key = o->key;
        it->path = path;
        it->etag = o->etag;
        it->size = o->size;
        it->hash = 1;
    }
    return 1;
}

/* ---- fetching and hashing a page ------------------------------------------------------------ */

typedef struct feed {
    ms_hasher *hasher;
    uint64_t got, size;
    const s3_source *s;
    const item *it;
    uint8_t head[MS_LFS_POINTER_MAX]; /* a small object's bytes, to spot a git LFS pointer */
} feed;

static int feed_begin(void *ctx, ms_error *err)
{
    feed *f = ctx;
    f->got = 0;
    if (ms_hasher_reset(f->hasher) != 0)
        return ms_error_set(err, MS_EENV, "hashing failed");
    return 0;
}

static int feed_data(void *ctx, const uint8_t *bytes, size_t len, ms_error *err)
{
    feed *f = ctx;
    if (len > f->size - f->got)
        return ms_error_set(err, MS_EINPUT,
                            "s3://%s/%.1100s: changed during the run (longer than listed)",
                            f->s->loc.bucket, f->it->key);
    if (f->size <= MS_LFS_POINTER_MAX)
        memcpy(f->head + f->got, bytes, len);
    f->got += len;
    if (ms_hasher_update(f->hasher, bytes, len) != 0)
        return ms_error_set(err, MS_EENV, "hashing failed");
    return 0;
}

static int fetch_one(void *ctx, size_t index, unsigned worker_index, hash_worker *w, ms_error *err)
{
    s3_source *s = ctx;
    item *it = &s->items[index];
    feed f = {.hasher = w->hasher, .size = it->size, .s = s, .it = it};
    int rc;
    if (!it->hash)
        return 0;
    if (it->size == 0) { /* nothing to fetch: the listing says it is empty */
        if (ms_hasher_reset(w->hasher) != 0 || ms_hasher_final(w->hasher, it->digest) != 0)
            return ms_error_set(err, MS_EENV, "hashing failed");
        return 0;
    }
    http_stream st = {.begin = feed_begin, .data = feed_data, .ctx = &f};
    if ((rc = s3_get(s->client, s->sessions[worker_index], it->key, it->etag, it->size, &st,
                     err)) != 0)
        return rc;
    if (f.got != it->size)
        return ms_error_set(
            err, MS_EINPUT, "s3://%s/%.1100s: changed during the run (%llu bytes, %llu listed)",
            s->loc.bucket, it->key, (unsigned long long)f.got, (unsigned long long)it->size);
    if (ms_hasher_final(w->hasher, it->digest) != 0)
        return ms_error_set(err, MS_EENV, "hashing failed");
    uint8_t oid[32];
    uint64_t lfs_size;
    it->lfs = it->size <= MS_LFS_POINTER_MAX &&
              ms_lfs_pointer_parse_ext(f.head, (size_t)it->size, oid, &lfs_size);
    return 0;
}

static int fetch_page(s3_source *s, ms_error *err)
{
    size_t todo = 0;
    for (size_t i = 0; i < s->n_items; i++)
        todo += s->items[i].hash;
    if (!todo)
        return 0;
    hash_batch b = {
        .algorithm = s->algorithm,
        .threads = s->threads, /* hash_batch_run starts at most one per item */
        .items = s->n_items,
        .buffer_size = 0,
        .fn = fetch_one,
        .ctx = s,
    };
    return hash_batch_run(&b, err);
}

/* ---- writing ------------------------------------------------------------------------------- */

typedef struct zwriter {
    const char *output;
    ZSTD_CCtx *cctx;
    uint8_t *zout;
    size_t zout_size;
    int fd;
} zwriter;

static int zwrite(zwriter *w, const void *data, size_t len, ZSTD_EndDirective mode, ms_error *err)
{
    return dataset_compress_to(w->cctx, w->zout, w->zout_size, w->fd, w->output, data, len, mode,
                               err);
}

int dataset_s3_manifest_write(const char *url, const ms_dataset_options *opts, const char *output,
                              ms_dataset_info *info, ms_error *err)
{
    s3_source s;
    ms_dataset_info hdr;
    ms_buf header = MS_BUF_INIT, lines = MS_BUF_INIT;
    ms_file_temp body = {.fd = -1}, fin = {.fd = -1};
    zwriter z = {.output = output};
    ms_hasher *root = NULL;
    uint64_t files = 0, bytes = 0;
    size_t dlen = ms_hash_size(opts->algorithm);
    dataset_part part;
    int rc;

    memset(&s, 0, sizeof s);
    memset(&hdr, 0, sizeof hdr);
    memset(&part, 0, sizeof part);
    if (!opts->name || !opts->name[0])
        return ms_error_set(err, MS_EINPUT, "name: missing");
    hdr.name = (char *)opts->name;
    hdr.version = (char *)opts->version;
    hdr.source = (char *)(opts->source ? opts->source : url);
    hdr.license = (char *)opts->license;
    hdr.algorithm = opts->algorithm;
    if ((rc = dataset_header_ignores(opts, &hdr, err)) != 0) /* as dataset.c records it */
        goto out;
    if (opts->partition_count &&
        (rc = dataset_part_begin(&part, opts->partition_index, opts->partition_count, err)) != 0)
        goto out;
    /* The header must fit a line whatever the counts turn out to be (as dataset.c checks). */
    hdr.files = hdr.bytes = part.info.paths = UINT64_MAX;
    if ((rc = dataset_part_header_line(&hdr, &part.info, &header, err)) != 0)
        goto out;
    part.info.paths = 0;
    if (header.len > MS_DATASET_MAX_LINE) {
        rc = ms_error_set(err, MS_EINPUT, "the header line would be longer than %zu bytes",
                          MS_DATASET_MAX_LINE);
        goto out;
    }
    msx_buf_reset(&header);

    if ((rc = source_open(&s, url, opts->remote, opts->threads, opts->algorithm, err)) != 0)
        goto out;
    s.ignore = (const char *const *)hdr.ignore_paths;
    s.n_ignore = hdr.n_ignore_paths;
    s.part = &part;
    root = ms_hasher_new(MS_HASH_SHA256);
    z.cctx = ZSTD_createCCtx();
    z.zout_size = ZSTD_CStreamOutSize();
    z.zout = malloc(z.zout_size);
    if (!root || !z.cctx || !z.zout)
        goto nomem;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_compressionLevel,
                                            opts->level ? opts->level : DEFAULT_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(z.cctx, ZSTD_c_checksumFlag, 1))) {
        rc = ms_error_set(err, MS_EINPUT, "zstd: bad compression level %d", opts->level);
        goto out;
    }
    if ((rc = msx_file_temp_open(&body, output, 0600, err)) != 0 ||
        (rc = msx_file_temp_open(&fin, output, 0644, err)) != 0)
        goto out;
    z.fd = body.fd;

    while ((rc = source_next_page(&s, err)) == 1) {
        if ((rc = fetch_page(&s, err)) != 0)
            goto out;
        for (size_t i = 0; i < s.n_items; i++) {
            const item *it = &s.items[i];
            if (it->lfs && !opts->allow_lfs_pointers) { /* as dataset.c refuses one */
                rc = ms_error_set(err, MS_EINPUT,
                                  "s3://%s/%.1100s: a git LFS pointer, not the file's content "
                                  "(run 'git lfs pull', or sign from pointers with "
                                  "--from-lfs-pointers)",
                                  s.loc.bucket, it->key);
                goto out;
            }
            if (__builtin_add_overflow(bytes, it->size, &bytes)) {
                rc = ms_error_set(err, MS_EINPUT, "%s: the dataset is larger than 2^64 bytes", url);
                goto out;
            }
            files++;
            if ((rc = dataset_file_line(it->path, it->size, it->digest, dlen, &lines, err)) != 0)
                goto out;
            if (ms_hasher_update(root, it->digest, dlen) != 0) {
                rc = ms_error_set(err, MS_EENV, "root digest: hashing failed");
                goto out;
            }
            if (lines.len >= LINES_FLUSH) {
                rc = zwrite(&z, lines.data, lines.len, ZSTD_e_continue, err);
                msx_buf_reset(&lines);
                if (rc != 0)
                    goto out;
            }
        }
        if (opts->progress) /* a page at a time, on this thread, as dataset.c reports */
            opts->progress(opts->progress_ctx, bytes, 0);
    }
    if (rc < 0)
        goto out;
    if ((rc = zwrite(&z, lines.data, lines.len, ZSTD_e_continue, err)) != 0)
        goto out;
    if (part.info.count && (rc = dataset_part_finish(&part, err)) != 0)
        goto out;
    if (part.info.count ? part.info.paths == 0 : files == 0) { /* a share may be empty */
        rc = ms_error_set(err, MS_EINPUT, "%s: no objects (nothing to list)", url);
        goto out;
    }
    if ((rc = zwrite(&z, NULL, 0, ZSTD_e_end, err)) != 0)
        goto out;
    hdr.files = files;
    hdr.bytes = bytes;
    if (ms_hasher_final(root, hdr.root_digest) != 0) {
        rc = ms_error_set(err, MS_EENV, "root digest: hashing failed");
        goto out;
    }
    msx_buf_reset(&header);
    if ((rc = dataset_part_header_line(&hdr, &part.info, &header, err)) != 0)
        goto out;
    if ((rc = dataset_finish_file(z.cctx, &header, body.fd, &fin, output, err)) != 0)
        goto out;
    if (info) {
        ms_dataset_info_clear(info);
        info->name = strdup(hdr.name);
        info->version = hdr.version ? strdup(hdr.version) : NULL;
        info->source = strdup(hdr.source);
        info->license = hdr.license ? strdup(hdr.license) : NULL;
        if (!info->name || !info->source || (hdr.version && !info->version) ||
            (hdr.license && !info->license)) {
            ms_dataset_info_clear(info);
            goto nomem;
        }
        info->ignore_paths = hdr.ignore_paths;
        info->n_ignore_paths = hdr.n_ignore_paths;
        hdr.ignore_paths = NULL;
        hdr.n_ignore_paths = 0;
        info->algorithm = opts->algorithm;
        info->files = files;
        info->bytes = bytes;
        memcpy(info->root_digest, hdr.root_digest, MS_SHA256_SIZE);
    }
    rc = 0;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    source_close(&s);
    dataset_part_end(&part);
    ms_hasher_free(root);
    ZSTD_freeCCtx(z.cctx);
    free(z.zout);
    msx_buf_free(&header);
    msx_buf_free(&lines);
    msx_file_temp_discard(&body);
    msx_file_temp_discard(&fin);
    for (size_t i = 0; i < hdr.n_ignore_paths; i++)
        free(hdr.ignore_paths[i]);
    free(hdr.ignore_paths);
    return rc;
}

/* ---- verifying ------------------------------------------------------------------------------ */

enum { REC_SAME, REC_MISSING, REC_EXTRA, REC_CHANGED };

/* Differences, held (kind byte, path, NUL) until the whole manifest is known good. */
static int diff_note(ms_buf *spool, ms_dataset_verify_result *res, int kind, const char *path,
                     ms_error *err)
{
    if (kind == REC_MISSING)
        res->missing++;
    else if (kind == REC_EXTRA)
        res->extra++;
    else
        res->changed++;
    unsigned char k = (unsigned char)kind;
    if (msx_buf_append(spool, &k, 1) || msx_buf_append(spool, path, strlen(path) + 1))
        return ms_error_nomem(err);
    return 0;
}

typedef struct mcursor {
    ms_dataset_reader *r;
    uint32_t share_index, share_count; /* --partition: other shares' lines are read and skipped */
    int have;
    char *path; /* a copy: the reader's is valid until its next call */
    uint64_t size;
    uint8_t digest[MS_HASH_MAX_SIZE];
} mcursor;

static int mnext(mcursor *m, ms_error *err)
{
    const char *p;
    int rc;
    do
        rc = ms_dataset_reader_next(m->r, &p, &m->size, m->digest, err);
    while (rc == 1 && m->share_count &&
           ms_dataset_partition_of(p, strlen(p), m->share_count) != m->share_index);
    free(m->path);
    m->path = NULL;
    if (rc < 0)
        return rc;
    m->have = rc;
    if (rc && !(m->path = strdup(p)))
        return ms_error_nomem(err);
    return 0;
}

int dataset_s3_verify(const char *manifest_path, const char *url,
                      const ms_dataset_verify_options *opts, ms_dataset_verify_result *res,
                      ms_error *err)
{
    s3_source s;
    ms_dataset_info info;
    mcursor m = {0};
    ms_buf spool = MS_BUF_INIT, page = MS_BUF_INIT; /* page: this page's differences, in order */
    const char **ign = NULL;
    int rc;
    size_t dlen, n_ign = 0;
    uint64_t hashed = 0; /* bytes of the objects hashed, for progress */

    memset(&s, 0, sizeof s);
    memset(&info, 0, sizeof info);
    memset(res, 0, sizeof *res);
    if (!(m.r = ms_dataset_reader_open(manifest_path, &info, err)))
        return err->code ? err->code : MS_ENOMEM;
    dlen = ms_hash_size(info.algorithm);
    if ((rc = source_open(&s, url, opts->remote, opts->threads, info.algorithm, err)) != 0)
        goto out;
    /* The manifest's ignore list, and the caller's names that are not data. */
    if (!(ign = calloc(info.n_ignore_paths + opts->n_ignore_paths + 1, sizeof *ign)))
        goto nomem;
    for (size_t i = 0; i < info.n_ignore_paths; i++)
        ign[n_ign++] = info.ignore_paths[i];
    for (size_t i = 0; i < opts->n_ignore_paths; i++)
        if (opts->ignore_paths[i])
            ign[n_ign++] = opts->ignore_paths[i];
    s.ignore = ign;
    s.n_ignore = n_ign;
    if (opts->partition_count) { /* its range checked by ms_dataset_verify_dir */
        s.share_index = m.share_index = opts->partition_index;
        s.share_count = m.share_count = opts->partition_count;
    }

    if ((rc = mnext(&m, err)) != 0)
        goto out;
    while ((rc = source_next_page(&s, err)) == 1) {
        /* Merge this page's objects with the manifest's lines; the page's differences are
         * recorded in path order: 'M' + path (missing) or 'I' + the item's index. */
        msx_buf_reset(&page);
        for (size_t i = 0; i < s.n_items; i++) {
            item *it = &s.items[i];
            it->hash = 0;
            while (m.have && strcmp(m.path, it->path) < 0) {
                if (msx_buf_append(&page, "M", 1) ||
                    msx_buf_append(&page, m.path, strlen(m.path) + 1))
                    goto nomem;
                if ((rc = mnext(&m, err)) != 0)
                    goto out;
            }
            if (m.have && strcmp(m.path, it->path) == 0) {
                it->kind = m.size != it->size ? REC_CHANGED : REC_SAME;
                it->hash = it->kind == REC_SAME;
                memcpy(it->want, m.digest, dlen);
                if ((rc = mnext(&m, err)) != 0)
                    goto out;
            } else {
                it->kind = REC_EXTRA;
            }
            if (msx_buf_append(&page, "I", 1) || msx_buf_append(&page, &i, sizeof i))
                goto nomem;
        }
        if ((rc = fetch_page(&s, err)) != 0)
            goto out;
        for (size_t j = 0; j < page.len;) {
            if (page.data[j] == 'M') {
                const char *p = (const char *)page.data + j + 1;
                if ((rc = diff_note(&spool, res, REC_MISSING, p, err)) != 0)
                    goto out;
                j += 2 + strlen(p);
                continue;
            }
            size_t i;
            memcpy(&i, page.data + j + 1, sizeof i);
            j += 1 + sizeof i;
            item *it = &s.items[i];
            if (it->hash) {
                res->files++;
                hashed += it->size;
                if (sodium_memcmp(it->digest, it->want, dlen) != 0)
                    it->kind = REC_CHANGED;
            }
            if (it->kind != REC_SAME && (rc = diff_note(&spool, res, it->kind, it->path, err)))
                goto out;
        }
        if (opts->progress)
            opts->progress(opts->progress_ctx, hashed, 0);
    }
    if (rc < 0)
        goto out;
    while (m.have) {
        if ((rc = diff_note(&spool, res, REC_MISSING, m.path, err)) != 0 ||
            (rc = mnext(&m, err)) != 0)
            goto out;
    }
    /* The whole manifest is read and good: check what it is, then tell the differences. */
    ms_dataset_reader_digest(m.r, info.manifest_digest);
    if (opts->manifest_check && (rc = opts->manifest_check(opts->check_ctx, &info, err)) != 0)
        goto out;
    if (opts->diff) {
        for (size_t i = 0; i < spool.len;) {
            int kind = spool.data[i];
            const char *p = (const char *)spool.data + i + 1;
            opts->diff(opts->diff_ctx,
                       kind == REC_MISSING ? MS_DATASET_MISSING
                       : kind == REC_EXTRA ? MS_DATASET_EXTRA
                                           : MS_DATASET_CHANGED,
                       p);
            i += 2 + strlen(p);
        }
    }
    if (opts->info) {
        ms_dataset_info_clear(opts->info);
        *opts->info = info;
        memset(&info, 0, sizeof info);
    }
    rc = res->missing || res->extra || res->changed
             ? ms_error_set(err, MS_EVERIFY,
                            "%s does not match %s: %llu missing, %llu extra, %llu changed", url,
                            manifest_path, (unsigned long long)res->missing,
                            (unsigned long long)res->extra, (unsigned long long)res->changed)
             : 0;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    source_close(&s);
    free(ign);
    free(m.path);
    msx_buf_free(&spool);
    msx_buf_free(&page);
    ms_dataset_reader_free(m.r);
    ms_dataset_info_clear(&info);
    return rc;
}
