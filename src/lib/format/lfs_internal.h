/* Private to format/: finding the git LFS pointers among a model's files (lfs.c) for manifest.c,
 * from the bytes the hashing engine reads (manifest_lfs_check) or, when shards smaller than a
 * pointer split one over several items, by a scan before hashing (manifest_lfs_scan). */
#ifndef MODELSEAL_FORMAT_LFS_INTERNAL_H
#define MODELSEAL_FORMAT_LFS_INTERNAL_H

#include <stdint.h>

#include "hash/engine.h"
#include "hash/walk.h"
#include "modelseal/error.h"

/* What manifest_lfs_check fills: per file of the walk, 1 and its oid when it is a pointer. */
typedef struct manifest_lfs {
    const ms_hash_item *items;
    char *is_ptr;
    uint8_t (*oids)[32];
} manifest_lfs;

/* ms_hash_job.lfs_check with a manifest_lfs as its context: marks the item's file when its bytes
 * are a git LFS pointer (ms_lfs_pointer_parse_ext). */
void manifest_lfs_check(void *ctx, size_t item, const uint8_t *data, size_t len);

/* MS_EINPUT naming the first file marked in is_ptr, with the message that says what to do; 0
 * when there is none. */
int manifest_lfs_refuse(const char *root, const ms_file_list *files, const char *is_ptr,
                        ms_error *err);

/* Which of the walked files under `root` (those marked in `only`, when it is not NULL) are git
 * LFS pointers: each is marked in is_ptr[i] and its oid put in oids[i]. A candidate (a file of
 * pointer size) is opened without following links and must be the file the walk listed. 0 or a
 * negative MS_E*. */
int manifest_lfs_scan(const char *root, const ms_file_list *files, const char *only, char *is_ptr,
                      uint8_t (*oids)[32], ms_error *err);

#endif
