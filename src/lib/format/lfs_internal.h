/* Private to format/: the git LFS pointer scan manifest.c runs before hashing (lfs.c). */
#ifndef MODELSEAL_FORMAT_LFS_INTERNAL_H
#define MODELSEAL_FORMAT_LFS_INTERNAL_H

#include <stdint.h>

#include "hash/walk.h"
#include "modelseal/error.h"

/* Which of the walked files under `root` are git LFS pointers: with mode MS_LFS_REFUSE the first
 * one is refused (MS_EINPUT naming it); with MS_LFS_OIDS each is marked in is_ptr[i] and its
 * oid put in oids[i]. A candidate (a file of pointer size) is opened without following links
 * and must be the file the walk listed. 0 or a negative MS_E*. */
int manifest_lfs_scan(const char *root, const ms_file_list *files, int mode, char *is_ptr,
                      uint8_t (*oids)[32], ms_error *err);

#endif
