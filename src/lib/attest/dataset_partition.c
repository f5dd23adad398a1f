/* Partitioned dataset manifests: which share a path belongs to, what a worker that hashes one
 * share records about its walk, and the partial manifest's header line.
 *
 * A share is a function of the manifest path alone (SHA-256 of the path's bytes, its first 8
 * bytes big-endian, modulo N), so shares are even whatever the directory's shape and the same
 * for paths from a walk or an object listing. Every worker walks the whole dataset (a walk
 * without a stat per entry costs little next to hashing) and records how many paths it saw and
 * the SHA-256 over each path and a NUL byte, in path order: parts whose walks saw different
 * lists are not merged (the dataset changed while it was being hashed). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "dataset_internal.h"
#include "modelseal/dataset.h"
#include "util/buf.h"
#include "util/encoding.h"

uint32_t ms_dataset_partition_of(const char *path, size_t len, uint32_t n)
{
    uint8_t d[MS_SHA256_SIZE];
    uint64_t v = 0;
    if (n <= 1)
        return 0;
    /* OpenSSL's, on the stack: this runs once per path. Should it fail (no memory for its
     * context), libsodium's SHA-256, which cannot fail, gives the same digest: every path has
     * a share, and the same one whichever computed it. */
    if (ms_sha256(path, len, d) != 0)
        crypto_hash_sha256(d, (const unsigned char *)path, len);
    for (int i = 0; i < 8; i++)
        v = v << 8 | d[i];
    return (uint32_t)(v % n);
}

int dataset_part_check(uint32_t index, uint32_t count, ms_error *err)
{
    if (count == 0 || count > MS_DATASET_MAX_PARTITIONS)
        return ms_error_set(err, MS_EINPUT, "partition count %u: expected 1 to %u", count,
                            MS_DATASET_MAX_PARTITIONS);
    if (index >= count)
        return ms_error_set(err, MS_EINPUT, "partition %u of %u: the index runs from 0 to %u",
                            index, count, count - 1);
    return 0;
}

int dataset_part_begin(dataset_part *p, uint32_t index, uint32_t count, ms_error *err)
{
    int rc;
    memset(p, 0, sizeof *p);
    if ((rc = dataset_part_check(index, count, err)) != 0)
        return rc;
    p->info.index = index;
    p->info.count = count;
    if (!(p->paths_hash = ms_hasher_new(MS_HASH_SHA256)))
        return ms_error_nomem(err);
    return 0;
}

int dataset_part_take(dataset_part *p, const char *path, ms_error *err)
{
    size_t len = strlen(path);
    if (ms_hasher_update(p->paths_hash, path, len + 1) != 0) /* with its NUL */
        return ms_error_set(err, MS_EENV, "path list digest: hashing failed");
    p->info.paths++;
    return ms_dataset_partition_of(path, len, p->info.count) == p->info.index;
}

int dataset_part_finish(dataset_part *p, ms_error *err)
{
    if (ms_hasher_final(p->paths_hash, p->info.paths_digest) != 0)
        return ms_error_set(err, MS_EENV, "path list digest: hashing failed");
    return 0;
}

void dataset_part_end(dataset_part *p)
{
    ms_hasher_free(p->paths_hash);
    p->paths_hash = NULL;
}

int dataset_part_header_line(const ms_dataset_info *info, const dataset_part_info *part,
                             ms_buf *out, ms_error *err)
{
    char hex[2 * MS_SHA256_SIZE + 1];
    size_t start = out->len;
    int rc = dataset_header_line(info, out, err);
    if (rc != 0 || !part || part->count == 0) /* not a partial manifest: the dataset's line */
        return rc;
    /* The dataset's line ends in "}\n": the partition members go before it. */
    if (out->len - start < 2 || memcmp(out->data + out->len - 2, "}\n", 2) != 0)
        return ms_error_set(err, MS_EINPUT, "header line: unexpected form");
    out->len -= 2;
    out->data[out->len] = '\0';
    msx_hex_encode(part->paths_digest, MS_SHA256_SIZE, hex);
    if (msx_buf_printf(out,
                       ",\"partition\":[%u,%u],\"paths\":%llu,\"paths_digest\":\"sha256:%s\"}\n",
                       part->index, part->count, (unsigned long long)part->paths, hex))
        return ms_error_nomem(err);
    return 0;
}
