/* Whole-file helpers: bounded reads and atomic writes.
 *
 * Every file modelseal writes goes through ms_file_write_atomic: a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory. A failure at any step leaves
 * the previous file untouched and no temporary file behind. */
#ifndef MODELSEAL_FS_H
#define MODELSEAL_FS_H

#include <stddef.h>
#include <sys/types.h>

#include "buf.h"
#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read a whole regular file (or "-" for standard input) of at most `max_size` bytes into `out`
 * (appended; NUL-terminated). A larger file is MS_EINPUT naming the limit; a missing or
 * unreadable one is MS_EINPUT naming the path and errno. */
int ms_file_read(const char *path, size_t max_size, ms_buf *out, ms_error *err);

/* Replace `path` with `data` atomically (see above). `mode` is the new file's permission bits.
 * With `exclusive`, an existing `path` is an error (MS_EINPUT) and is left alone. */
int ms_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive,
                         ms_error *err);

/* Take an exclusive lock (flock) on the directory holding `path`, waiting for it; writers of a
 * model's signature and claims serialise on it. Returns the locked descriptor (close it to
 * unlock), or -1 with err set. */
int ms_file_lock_dir(const char *path, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
