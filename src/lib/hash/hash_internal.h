/* Internal to hash/: the file checks the batch engine (hash.c) and the streaming engine
 * (hash_stream.c) share, and BLAKE3's tree across threads (hash_blake3.c). */
#ifndef MODELSEAL_HASH_INTERNAL_H
#define MODELSEAL_HASH_INTERNAL_H

#include <stddef.h>
#include <sys/stat.h>

#include "blake3.h"
#include "hash/walk.h"
#include "modelseal/error.h"
#include "modelseal/hash.h"

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

/* ---- BLAKE3's tree across threads (hash_blake3.c) ---------------------------------------
 * Only with the vendored BLAKE3 (its internal compression function): HASH_B3_TREE is 1. */
#ifdef HAVE_SYSTEM_BLAKE3
#define HASH_B3_TREE 0
#else
#define HASH_B3_TREE 1
/* Reset `h` to hash a subtree whose first chunk (1 KiB) has index `first`: an aligned run of a
 * power of two chunks (`first` a multiple of their count), or the file's last chunk (full or
 * not). */
void hash_b3_start_at(blake3_hasher *h, uint64_t first);
/* The subtree's chaining value (32 bytes; not the root) once its bytes are fed. */
void hash_b3_subtree_cv(const blake3_hasher *h, uint64_t first, uint8_t out[BLAKE3_OUT_LEN]);
/* The BLAKE3 digest of a file of n >= 2 consecutive subtrees, from their chaining values (n x 32
 * bytes, in order) and first chunk indexes (ascending; each a multiple of its subtree's chunk
 * count). 0, or -1 for a bad argument. */
int hash_b3_join(const uint8_t *cvs, const uint64_t *first_chunk, size_t n,
                 uint8_t out[BLAKE3_OUT_LEN]);
/* How a `len`-byte file is cut for reads of `buffer_size` bytes: pieces of 4 x buffer_size
 * rounded down to a power of two chunks, then the rest of the full chunks in descending powers
 * of two, then the last chunk. Returns the number of pieces (1: not cut) and, when `starts` is
 * not NULL, fills starts[0..count] with their offsets and `len`. */
size_t hash_b3_cut(uint64_t len, size_t buffer_size, uint64_t *starts);
/* Make a BLAKE3 hasher hash the subtree starting at chunk `first` from its next reset on (its
 * final gives the chaining value). */
void hash_b3_piece(ms_hasher *h, uint64_t first);
#endif

#endif
