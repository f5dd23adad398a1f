/* Merging partial manifests (ms_dataset_merge) into the manifest one unpartitioned run writes.
 *
 * Every part is read with the canonical reader (dataset_reader_open_part: the header with its
 * partition members, every line checked, counts and the share's root digest checked at the
 * end). The headers must describe one run: the same dataset, algorithm, partition count and
 * walk (paths count and digest), each index once. Then a k-way merge on a binary heap of the
 * parts' current lines (memory: one line and one decompressor per part) writes the lines in
 * path order, each copied as it stands (the reader checked it is the canonical line), with the
 * same body compressor settings and frame layout as ms_dataset_manifest_write (dataset.c): a
 * header frame, then one body frame, fed in the same chunks, so the bytes are the same. */
#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "dataset_internal.h"
#include "modelseal/dataset.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

typedef struct part_in {
    const char *name;
    ms_dataset_reader *r;
    ms_dataset_info info;
    dataset_part_info pi;
    const char *path; /* the current line (the reader's buffer) */
    uint64_t size;
    uint8_t digest[MS_HASH_MAX_SIZE];
} part_in;

typedef struct merger {
    part_in *parts;
    size_t *heap, n_heap; /* indices of parts with a current line; least path on top */
    const char *output;
    ZSTD_CCtx *cctx;
    uint8_t *zout;
    size_t zout_size;
    int body_fd;
} merger;

static int before(const merger *m, size_t a, size_t b)
{
    int c = strcmp(m->parts[a].path, m->parts[b].path);
    return c < 0 || (c == 0 && a < b);
}

static void sift_down(merger *m, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, least = i;
        if (l < m->n_heap && before(m, m->heap[l], m->heap[least]))
            least = l;
        if (l + 1 < m->n_heap && before(m, m->heap[l + 1], m->heap[least]))
            least = l + 1;
        if (least == i)
            return;
        size_t t = m->heap[i];
        m->heap[i] = m->heap[least];
        m->heap[least] = t;
        i = least;
    }
}

/* The part's next line (1), its end (0, the part's counts and root checked), or an error. */
static int next(part_in *p, ms_error *err)
{
    return ms_dataset_reader_next(p->r, &p->path, &p->size, p->digest, err);
}

static int compress_body(merger *m, const void *data, size_t len, ZSTD_EndDirective mode,
                         ms_error *err)
{
    return dataset_compress_to(m->cctx, m->zout, m->zout_size, m->body_fd, m->output, data, len,
                               mode, err);
}

static int same_text(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The first header field in which two parts' datasets differ, or NULL. */
static const char *dataset_differs(const ms_dataset_info *a, const ms_dataset_info *b)
{
    if (!same_text(a->name, b->name))
        return "name";
    if (!same_text(a->version, b->version))
        return "version";
    if (!same_text(a->source, b->source))
        return "source";
    if (!same_text(a->license, b->license))
        return "license";
    if (a->n_ignore_paths != b->n_ignore_paths)
        return "ignore";
    for (size_t i = 0; i < a->n_ignore_paths; i++) {
        if (strcmp(a->ignore_paths[i], b->ignore_paths[i]) != 0)
            return "ignore";
    }
    return NULL;
}

/* The parts' headers describe one run: one dataset, algorithm, count and walk; each index once,
 * none missing. */
static int check_parts(const part_in *parts, size_t n, ms_error *err)
{
    const part_in *first = &parts[0];
    uint32_t count = first->pi.count;
    size_t *holder = NULL;
    int rc = 0;
    for (size_t i = 1; i < n; i++) {
        const part_in *p = &parts[i];
        const char *field = dataset_differs(&first->info, &p->info);
        if (field)
            return ms_error_set(err, MS_EINPUT,
                                "%s: a part of another dataset than %s (their \"%s\" differs)",
                                p->name, first->name, field);
        if (p->info.algorithm != first->info.algorithm)
            return ms_error_set(err, MS_EINPUT, "%s: algorithm %s, but %s's is %s", p->name,
                                ms_hash_name(p->info.algorithm), first->name,
                                ms_hash_name(first->info.algorithm));
        if (p->pi.count != count)
            return ms_error_set(err, MS_EINPUT,
                                "%s: part %u of %u, but %s is part %u of %u (parts of different "
                                "runs)",
                                p->name, p->pi.index, p->pi.count, first->name, first->pi.index,
                                count);
    }
    if (!(holder = malloc(count * sizeof *holder)))
        return ms_error_nomem(err);
    for (uint32_t i = 0; i < count; i++)
        holder[i] = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        uint32_t k = parts[i].pi.index;
        if (holder[k] != SIZE_MAX) {
            rc = ms_error_set(err, MS_EINPUT, "%s: part %u of %u again (%s is part %u too)",
                              parts[i].name, k, count, parts[holder[k]].name, k);
            goto out;
        }
        holder[k] = i;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (holder[k] == SIZE_MAX) {
            rc = ms_error_set(err, MS_EINPUT,
                              "part %u of %u is missing (%zu part%s given, none of them part %u)",
                              k, count, n, n == 1 ? "" : "s", k);
            goto out;
        }
    }
    for (size_t i = 1; i < n; i++) {
        const part_in *p = &parts[i];
        if (p->pi.paths != first->pi.paths ||
            sodium_memcmp(p->pi.paths_digest, first->pi.paths_digest, MS_SHA256_SIZE) != 0) {
            uint64_t a = p->pi.paths, b = first->pi.paths, d = a > b ? a - b : b - a;
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: its walk saw other paths than %s's (%llu paths against %llu: "
                              "at least %llu differ%s); the dataset changed while it was being "
                              "hashed: hash it again",
                              p->name, first->name, (unsigned long long)a, (unsigned long long)b,
                              (unsigned long long)(d ? d : 1), (d ? d : 1) == 1 ? "s" : "");
            goto out;
        }
    }
out:
    free(holder);
    return rc;
}

int ms_dataset_merge(const char *const *part_paths, size_t n_parts, const char *output,
                     ms_dataset_info *info, ms_error *err)
{
    merger m;
    ms_file_temp body = {.fd = -1}, fin = {.fd = -1};
    ms_buf lines = MS_BUF_INIT, header = MS_BUF_INIT;
    ms_hasher *root = NULL, *paths = NULL;
    ms_dataset_info hdr;
    uint8_t paths_digest[MS_SHA256_SIZE];
    uint64_t files = 0, bytes = 0;
    size_t dlen;
    int rc = 0;

    memset(&m, 0, sizeof m);
    memset(&hdr, 0, sizeof hdr);
    m.body_fd = -1;
    m.output = output;
    if (n_parts == 0)
        return ms_error_set(err, MS_EINPUT, "no parts to merge");
    if (n_parts > MS_DATASET_MAX_PARTITIONS)
        return ms_error_set(err, MS_EINPUT, "%zu parts: at most %u", n_parts,
                            MS_DATASET_MAX_PARTITIONS);
    if (!(m.parts = calloc(n_parts, sizeof *m.parts)) ||
        !(m.heap = calloc(n_parts, sizeof *m.heap)))
        goto nomem;
    for (size_t i = 0; i < n_parts; i++) {
        part_in *p = &m.parts[i];
        p->name = part_paths[i];
        if (!(p->r = dataset_reader_open_part(p->name, &p->info, &p->pi, err))) {
            rc = err ? err->code : MS_EINPUT;
            goto out;
        }
    }
    if ((rc = check_parts(m.parts, n_parts, err)) != 0)
        goto out;
    dlen = ms_hash_size(m.parts[0].info.algorithm);
    uint32_t count = m.parts[0].pi.count;

    if (!(root = ms_hasher_new(MS_HASH_SHA256)) || !(paths = ms_hasher_new(MS_HASH_SHA256)) ||
        !(m.cctx = ZSTD_createCCtx()))
        goto nomem;
    m.zout_size = ZSTD_CStreamOutSize();
    if (!(m.zout = malloc(m.zout_size)))
        goto nomem;
    if (ZSTD_isError(ZSTD_CCtx_setParameter(m.cctx, ZSTD_c_compressionLevel, DEFAULT_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(m.cctx, ZSTD_c_checksumFlag, 1))) {
        rc = ms_error_set(err, MS_EENV, "zstd: cannot set the compression parameters");
        goto out;
    }
    if ((rc = msx_file_temp_open(&body, output, 0600, err)) != 0 ||
        (rc = msx_file_temp_open(&fin, output, 0644, err)) != 0)
        goto out;
    m.body_fd = body.fd;

    for (size_t i = 0; i < n_parts; i++) {
        if ((rc = next(&m.parts[i], err)) < 0)
            goto out;
        if (rc == 1)
            m.heap[m.n_heap++] = i;
    }
    rc = 0;
    for (size_t i = m.n_heap / 2; i-- > 0;)
        sift_down(&m, i);
    while (m.n_heap) {
        size_t k = m.heap[0];
        part_in *p = &m.parts[k];
        size_t len = strlen(p->path);
        /* The same path in another part is next in order: one of the top's children (an
         * element equal to the least has parents equal to it up to the top). This is the only
         * check a path in two parts needs: it is refused at its first pop. A path repeated
         * within one part is refused by its reader (paths strictly increase). */
        for (size_t c = 1; c <= 2 && c < m.n_heap; c++) {
            if (strcmp(m.parts[m.heap[c]].path, p->path) == 0) {
                rc = ms_error_set(err, MS_EINPUT, "\"%.200s\" is in two parts: %s and %s", p->path,
                                  p->name, m.parts[m.heap[c]].name);
                goto out;
            }
        }
        if (ms_dataset_partition_of(p->path, len, count) != p->pi.index) {
            rc = ms_error_set(err, MS_EINPUT, "%s: \"%.200s\" is not in its share (part %u of %u)",
                              p->name, p->path, p->pi.index, count);
            goto out;
        }
        /* The part's line as it stands: the reader checked it is the canonical encoding of its
         * values, the very bytes dataset_file_line would make again. */
        size_t line_len;
        const char *line = dataset_reader_line(p->r, &line_len);
        if (msx_buf_append(&lines, line, line_len))
            goto nomem;
        if (__builtin_add_overflow(bytes, p->size, &bytes)) {
            rc = ms_error_set(err, MS_EINPUT, "the parts hold more than 2^64 bytes together");
            goto out;
        }
        files++;
        if (ms_hasher_update(root, p->digest, dlen) != 0 ||
            ms_hasher_update(paths, p->path, len + 1) != 0) {
            rc = ms_error_set(err, MS_EENV, "hashing failed");
            goto out;
        }
        if (lines.len >= LINES_FLUSH) {
            if ((rc = compress_body(&m, lines.data, lines.len, ZSTD_e_continue, err)) != 0)
                goto out;
            msx_buf_reset(&lines);
        }
        if ((rc = next(p, err)) < 0)
            goto out;
        if (rc == 0)
            m.heap[0] = m.heap[--m.n_heap];
        rc = 0;
        sift_down(&m, 0);
    }
    if ((rc = compress_body(&m, lines.data, lines.len, ZSTD_e_continue, err)) != 0)
        goto out;
    /* Every part's walk saw the list the parts hold together (each file hashed by its share). */
    if (ms_hasher_final(paths, paths_digest) != 0) {
        rc = ms_error_set(err, MS_EENV, "hashing failed");
        goto out;
    }
    if (files != m.parts[0].pi.paths ||
        sodium_memcmp(paths_digest, m.parts[0].pi.paths_digest, MS_SHA256_SIZE) != 0) {
        uint64_t a = files, b = m.parts[0].pi.paths, d = a > b ? a - b : b - a;
        rc = ms_error_set(err, MS_EINPUT,
                          "the parts list %llu files together, but their walks saw %llu paths "
                          "(at least %llu differ; %s and the others): the dataset changed while "
                          "it was being hashed: hash it again",
                          (unsigned long long)a, (unsigned long long)b,
                          (unsigned long long)(d ? d : 1), m.parts[0].name);
        goto out;
    }
    if ((rc = compress_body(&m, NULL, 0, ZSTD_e_end, err)) != 0)
        goto out;

    /* The header, its own frame, first: the dataset's values, the whole run's counts. */
    hdr = m.parts[0].info; /* borrowed strings */
    hdr.files = files;
    hdr.bytes = bytes;
    if (ms_hasher_final(root, hdr.root_digest) != 0) {
        rc = ms_error_set(err, MS_EENV, "root digest: hashing failed");
        goto out;
    }
    if ((rc = dataset_header_line(&hdr, &header, err)) != 0)
        goto out;
    if ((rc = dataset_finish_file(m.cctx, &header, body.fd, &fin, output, err)) != 0)
        goto out;
    if (info) {
        ms_dataset_info_clear(info);
        *info = m.parts[0].info; /* handed over */
        memset(&m.parts[0].info, 0, sizeof m.parts[0].info);
        info->files = files;
        info->bytes = bytes;
        memcpy(info->root_digest, hdr.root_digest, MS_SHA256_SIZE);
        memset(info->manifest_digest, 0, MS_SHA256_SIZE);
    }
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    if (m.parts) {
        for (size_t i = 0; i < n_parts; i++) {
            ms_dataset_reader_free(m.parts[i].r);
            ms_dataset_info_clear(&m.parts[i].info);
        }
    }
    free(m.parts);
    free(m.heap);
    ZSTD_freeCCtx(m.cctx);
    free(m.zout);
    ms_hasher_free(root);
    ms_hasher_free(paths);
    msx_buf_free(&lines);
    msx_buf_free(&header);
    msx_file_temp_discard(&body);
    msx_file_temp_discard(&fin);
    return rc;
}
