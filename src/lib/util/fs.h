/* Whole-file helpers: bounded reads and atomic writes.
 *
 * Every file modelseal writes goes through msx_file_write_atomic: a temporary file in the same
 * directory, fsync, rename over the target, fsync of the directory. A failure at any step leaves
 * the previous file untouched and no temporary file behind. */
#ifndef MODELSEAL_FS_H
#define MODELSEAL_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "buf.h"
#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Flags for msx_file_open_regular and msx_file_read_regular. */
#define MS_FILE_NOFOLLOW 1   /* a symbolic link is refused, not followed (files inside a model) */
#define MS_FILE_MISSING_OK 2 /* a missing file is not an error (see each function) */

/* Open a file modelseal reads as input (signature, bundle, manifest, claims, policy, key,
 * certificate, trusted root, signing configuration, password file...): without blocking
 * (O_NONBLOCK, so a FIFO or a device cannot hold the open), then fstat, and only a regular
 * file is kept, with O_NONBLOCK cleared. Anything else is MS_EINPUT naming the path and what
 * it is ("is a FIFO, not a regular file"), at once. With MS_FILE_NOFOLLOW a symbolic link is
 * refused the same way; without it a link is followed and its target must be a regular file.
 * On success *fd is the open descriptor (the caller closes it) and `st` (may be NULL) its
 * fstat. With MS_FILE_MISSING_OK a missing file (ENOENT, or ENOTDIR: a path through a
 * non-directory names no file) is success with *fd = -1. */
int msx_file_open_regular(const char *path, int flags, int *fd, struct stat *st, ms_error *err);

/* What a file of mode `mode` is, for messages: "a FIFO", "a directory", "a character
 * device", "a block device", "a socket", "a symbolic link", "a regular file". */
const char *msx_file_kind(mode_t mode);

/* Read a whole file opened by msx_file_open_regular with `flags`, of at most `max_size` bytes,
 * into `out` (appended; NUL-terminated). A larger file is MS_EINPUT naming the limit. Returns
 * 0, or 1 when MS_FILE_MISSING_OK is given and the file does not exist (nothing read). */
int msx_file_read_regular(const char *path, size_t max_size, int flags, ms_buf *out, ms_error *err);

/* msx_file_read_regular with no flags, or "-" for standard input (which may be a pipe). A
 * missing, unreadable or non-regular file is MS_EINPUT naming the path and the cause. */
int msx_file_read(const char *path, size_t max_size, ms_buf *out, ms_error *err);

/* Replace `path` with `data` atomically (see above). `mode` is the new file's permission bits.
 * With `exclusive`, an existing `path` is an error (MS_EINPUT) and is left alone. */
int msx_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          int exclusive, ms_error *err);

/* Write all `len` bytes to `fd` (again after EINTR and short writes). 0, or -1 with errno. */
int msx_write_all(int fd, const void *data, size_t len);

/* Temporary files are "<target>.tmp.XXXXXX" (six letters or digits). */
#define MS_FILE_TEMP_INFIX ".tmp."

/* A file being written in place of `target`. Where the file system supports O_TMPFILE it has no
 * name until msx_file_temp_commit (so a process killed meanwhile leaves nothing behind); elsewhere
 * it is a named temporary file in the same directory (`temp_path`). */
typedef struct ms_file_temp {
    int fd;          /* write the contents here */
    char *target;    /* the file it will replace (owned) */
    char *temp_path; /* NULL while unnamed (owned) */
    mode_t mode;
} ms_file_temp;

/* Start writing a replacement for `path` with permission bits `mode`. A missing directory is
 * MS_EINPUT, any other failure MS_EENV; on failure `t` needs no discard. */
int msx_file_temp_open(ms_file_temp *t, const char *path, mode_t mode, ms_error *err);

/* fsync the contents, put them in place of the target (with `exclusive`, an existing target is
 * MS_EINPUT and is left alone) and fsync the directory. Always releases `t`, on failure removing
 * every temporary name. */
int msx_file_temp_commit(ms_file_temp *t, int exclusive, ms_error *err);

/* Abandon a replacement: close it and remove its temporary name if any. Accepts NULL and a
 * released `t`. */
void msx_file_temp_discard(ms_file_temp *t);

/* Remove "<path>.tmp.XXXXXX" regular files left in path's directory by a writer that was killed
 * (only the named fallback or the instant between link and rename leave one). Call it holding
 * msx_file_lock_dir on that directory, so that no live writer's file is taken. `removed` (may be
 * NULL) receives the count. */
int msx_file_remove_stale_temps(const char *path, size_t *removed, ms_error *err);

/* 1 when the relative path `path` (`len` bytes) could name a file here: every component at most
 * NAME_MAX bytes and the whole shorter than PATH_MAX. Names from bundles and manifests that fail
 * it are malformed input, not missing files. */
int msx_path_fits_limits(const char *path, size_t len);

/* Take an exclusive lock (flock) on the directory holding `path`, waiting for it; writers of a
 * model's signature and claims serialise on it. Returns the locked descriptor (close it to
 * unlock), or -1 with err set. */
int msx_file_lock_dir(const char *path, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
