/* Internal to hash/: the file checks the batch engine (hash.c) and the streaming engine
 * (hash_stream.c) share. */
#ifndef MODELSEAL_HASH_INTERNAL_H
#define MODELSEAL_HASH_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>

#include "hash/walk.h"
#include "modelseal/error.h"

/* Nothing here is part of the library's interface. */

/* "root/rel" in buf (n bytes), or root when rel is "."; returns buf. */
const char *hash_root_path(const char *root, const char *rel, char *buf, size_t n);
/* Identity, size, mtime and ctime as the walk (or the first fstat) saw them? */
int hash_same_file(const struct stat *st, const ms_file_entry *e);
/* Wait until the coarse clock is past the file's ctime (at most about 50 ms). */
void hash_wait_past_ctime(const struct stat *st);
/* MS_EINPUT: "root/path: changed <when> (size, mtime, ctime, inode before -> after)". */
int hash_changed_error_at(const char *root, const ms_file_entry *e, const struct stat *st,
                          const char *when, ms_error *err);

#endif
