/* libFuzzer target: dataset manifests (ms_dataset_reader_open / ms_dataset_reader_next and
 * ms_dataset_info_load, as `modelseal dataset verify` and `attest` read NAME.dsm.jsonl.zst).
 * The first input byte selects the form of the rest: odd, the rest is JSON Lines text that the
 * target compresses (ZSTD_compress) so that mutations reach the line parser; even, the rest is
 * written as it is (a zstd stream, reaching the decompression and its bounds). The file is a
 * memfd read back by path. A manifest that reads to the end must be canonical: its header and
 * file lines written again by dataset_header_line / dataset_file_line give back exactly
 * the decompressed bytes; its "ignore" list is strictly increasing (sorted, each once) and of
 * safe relative paths; and no file line names an ignored path or a path below one. The same
 * bytes are read as a partial manifest too (dataset_reader_open_part, as `dataset merge` reads
 * NAME.part-I-of-N.dsm.jsonl.zst): one that reads to the end is canonical the same way (its
 * header written again by dataset_part_header_line), has 0 <= I < N <= MS_DATASET_MAX_PARTITIONS,
 * and is never also a whole manifest. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zstd.h>

#include "attest/dataset_internal.h"
#include "hash/walk.h"
#include "modelseal/dataset.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fd = -1;
static char path[64];

static void write_input(const uint8_t *data, size_t size)
{
    if (ftruncate(fd, 0) != 0 || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
        abort();
}

/* 1 when `path` is `ignored` or lies below it. */
static int is_under(const char *p, const char *ignored)
{
    size_t n = strlen(ignored);
    return strncmp(p, ignored, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* Read the manifest line by line, re-encoding what it says into `again`. 0 when it read to a
 * clean end. */
static int read_all(ms_dataset_info *info, dataset_part_info *part, ms_buf *again,
                    uint8_t digest_out[MS_SHA256_SIZE])
{
    ms_error err;
    uint8_t digest[MS_HASH_MAX_SIZE];
    const char *p;
    uint64_t fsize;
    int rc;
    ms_dataset_reader *r = part ? dataset_reader_open_part(path, info, part, &err)
                                : ms_dataset_reader_open(path, info, &err);
    if (!r)
        return -1;
    size_t dlen = info->algorithm == MS_HASH_BLAKE2B ? 64 : MS_SHA256_SIZE;
    if (part &&
        (part->count == 0 || part->count > MS_DATASET_MAX_PARTITIONS || part->index >= part->count))
        abort(); /* a partition read must be a share I of N */
    if ((part ? dataset_part_header_line(info, part, again, &err)
              : dataset_header_line(info, again, &err)) != 0)
        abort(); /* a header that was read must be writable */
    for (size_t i = 0; i < info->n_ignore_paths; i++) {
        const char *ig = info->ignore_paths[i];
        if (!msx_path_is_safe(ig, strlen(ig)) || (i && strcmp(info->ignore_paths[i - 1], ig) >= 0))
            abort(); /* an ignore list read must be safe, sorted and each once */
    }
    while ((rc = ms_dataset_reader_next(r, &p, &fsize, digest, &err)) == 1) {
        if (dataset_file_line(p, fsize, digest, dlen, again, &err) != 0)
            abort();
        for (size_t i = 0; i < info->n_ignore_paths; i++)
            if (is_under(p, info->ignore_paths[i]))
                abort(); /* a file line under an ignored path was accepted */
    }
    if (rc == 0)
        ms_dataset_reader_digest(r, digest_out);
    ms_dataset_reader_free(r);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_dataset_info info, loaded, pinfo;
    dataset_part_info part;
    ms_buf again = MS_BUF_INIT, pagain = MS_BUF_INIT;
    uint8_t *packed = NULL;
    uint8_t digest[MS_SHA256_SIZE], check[MS_SHA256_SIZE];

    if (fd < 0) {
        fd = memfd_create("fuzz_dataset", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (size == 0)
        return 0;
    int text = data[0] & 1;
    data++;
    size--;
    if (text) {
        size_t cap = ZSTD_compressBound(size);
        packed = malloc(cap ? cap : 1);
        if (!packed)
            abort();
        size_t n = ZSTD_compress(packed, cap, data, size, 1);
        if (ZSTD_isError(n))
            abort();
        write_input(packed, n);
    } else {
        write_input(data, size);
    }

    memset(&info, 0, sizeof info);
    memset(&loaded, 0, sizeof loaded);
    int rc = read_all(&info, NULL, &again, digest);
    if (rc == 0) {
        /* Canonical: the same values write the same bytes. */
        if (ms_sha256(again.data, again.len, check) != 0 || memcmp(check, digest, sizeof check))
            abort();
        if (text && (again.len != size || memcmp(again.data, data, size) != 0))
            abort();
    }
    int lrc = ms_dataset_info_load(path, &loaded, &err);
    if ((lrc == 0) != (rc == 0))
        abort(); /* the two readers agree */
    if (lrc == 0 && (memcmp(loaded.manifest_digest, digest, sizeof digest) != 0 ||
                     memcmp(loaded.root_digest, info.root_digest, sizeof digest) != 0 ||
                     loaded.files != info.files || loaded.bytes != info.bytes ||
                     loaded.n_ignore_paths != info.n_ignore_paths))
        abort();
    for (size_t i = 0; lrc == 0 && i < info.n_ignore_paths; i++)
        if (strcmp(loaded.ignore_paths[i], info.ignore_paths[i]) != 0)
            abort();
    /* As a partial manifest: canonical too, and never both. */
    memset(&pinfo, 0, sizeof pinfo);
    memset(&part, 0, sizeof part);
    int prc = read_all(&pinfo, &part, &pagain, check);
    if (prc == 0 && rc == 0)
        abort(); /* a whole manifest read as a part, or a part as a whole manifest */
    if (prc == 0) {
        /* A part's reader computes no manifest digest (nothing refers to a part by digest). */
        static const uint8_t zero[MS_SHA256_SIZE];
        if (memcmp(check, zero, sizeof check) != 0)
            abort();
        if (text && (pagain.len != size || memcmp(pagain.data, data, size) != 0))
            abort();
    }
    ms_dataset_info_clear(&pinfo);
    msx_buf_free(&pagain);
    ms_dataset_info_clear(&loaded);
    ms_dataset_info_clear(&info);
    msx_buf_free(&again);
    free(packed);
    return 0;
}
