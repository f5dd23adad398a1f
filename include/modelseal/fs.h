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

/* Temporary files are "<target>.tmp.XXXXXX" (six letters or digits). */
#define MS_FILE_TEMP_INFIX ".tmp."

/* A file being written in place of `target`. Where the file system supports O_TMPFILE it has no
 * name until ms_file_temp_commit (so a process killed meanwhile leaves nothing behind); elsewhere
 * it is a named temporary file in the same directory (`temp_path`). */
typedef struct ms_file_temp {
    int fd;          /* write the contents here */
    char *target;    /* the file it will replace (owned) */
    char *temp_path; /* NULL while unnamed (owned) */
    mode_t mode;
} ms_file_temp;

/* Start writing a replacement for `path` with permission bits `mode`. A missing directory is
 * MS_EINPUT, any other failure MS_EENV; on failure `t` needs no discard. */
int ms_file_temp_open(ms_file_temp *t, const char *path, mode_t mode, ms_error *err);

/* fsync the contents, put them in place of the target (with `exclusive`, an existing target is
 * MS_EINPUT and is left alone) and fsync the directory. Always releases `t`, on failure removing
 * every temporary name. */
int ms_file_temp_commit(ms_file_temp *t, int exclusive, ms_error *err);

/* Abandon a replacement: close it and remove its temporary name if any. Accepts NULL and a
 * released `t`. */
void ms_file_temp_discard(ms_file_temp *t);

/* Remove "<path>.tmp.XXXXXX" regular files left in path's directory by a writer that was killed
 * (only the named fallback or the instant between link and rename leave one). Call it holding
 * ms_file_lock_dir on that directory, so that no live writer's file is taken. `removed` (may be
 * NULL) receives the count. */
int ms_file_remove_stale_temps(const char *path, size_t *removed, ms_error *err);

/* 1 when the relative path `path` (`len` bytes) could name a file here: every component at most
 * NAME_MAX bytes and the whole shorter than PATH_MAX. Names from bundles and manifests that fail
 * it are malformed input, not missing files. */
int ms_path_fits_limits(const char *path, size_t len);

/* Take an exclusive lock (flock) on the directory holding `path`, waiting for it; writers of a
 * model's signature and claims serialise on it. Returns the locked descriptor (close it to
 * unlock), or -1 with err set. */
int ms_file_lock_dir(const char *path, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
