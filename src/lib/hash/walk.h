/* Walking a model: which files a model is made of, in the order OMS lists them.
 *
 * A model is a regular file or a directory. Directories are walked one at a time with their
 * entries sorted so that the output is in full-path byte order (a directory sorts as "name/").
 * Directory symlinks are never followed; only regular files are listed; FIFOs, sockets and
 * devices are errors; names must be UTF-8 without backslashes; a symlink is an error unless
 * allowed, and an allowed one must resolve to a regular file inside the model root. Names are
 * untrusted and checked. */
#ifndef MODELSEAL_WALK_H
#define MODELSEAL_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_file_entry {
    char *path;        /* relative to the root, '/'-separated; "." for a single-file model */
    char *target;      /* allowed symlink: the resolved file, relative to the root; else NULL */
    uint64_t size;     /* bytes, at walk time */
    int64_t mtime_sec; /* modification time at walk time */
    long mtime_nsec;
    /* status change time at walk time: unlike mtime, no one can set it back (a write, a
     * truncation and setting mtime all move it to the present) */
    int64_t ctime_sec;
    long ctime_nsec;
    uint64_t dev; /* identity at walk time: the file hashed must be this one */
    uint64_t ino;
    uint64_t nlink; /* hard links at walk time: above 1, the file also has a name elsewhere */
    /* 1 when the entry is a link of a Hugging Face cache snapshot followed into its repository's
     * blobs/ directory: target is then the blob's name in that directory (msx_hf_blobs_open) */
    int hf_blob;
    /* Where the file is: its directory (open, valid only during the msx_walk callback; -1 for a
     * single-file model), its name in that directory, and a number that is the same for every
     * file of one directory visit and different for the next directory (0 for a single-file
     * model). Not kept by msx_walk_collect. */
    int dir_fd;
    const char *name;
    uint64_t dir_serial;
} ms_file_entry;

typedef struct ms_file_list {
    ms_file_entry *entries;
    size_t count;
    size_t cap;
} ms_file_list;

/* Paths that msx_walk skips by default at the model root (unless ignore_git_paths is off): git's
 * and the metadata a Hugging Face --local-dir download leaves (.cache/huggingface). */
extern const char *const msx_walk_git_paths[];
extern const size_t msx_walk_git_paths_count;

typedef struct ms_walk_options {
    const char *const *ignore_paths; /* relative to the root; a directory hides all below it */
    size_t n_ignore_paths;
    int allow_symlinks;   /* follow symlinks to files inside the root */
    int ignore_git_paths; /* skip msx_walk_git_paths at the root */
    /* Take the kind of each entry from the directory listing (d_type) instead of an lstat per
     * entry: files then carry only path, name, dir_fd and dir_serial (size, mtime, dev, ino and
     * nlink are 0) and whoever opens them takes those from the open file. Directories are still
     * opened with O_NOFOLLOW, so a symlink swapped in is refused. For streaming readers (dataset
     * manifests), where the lstat is a third of the cost of a small file. */
    int no_stat;
} ms_walk_options;

/* Called once per file in order. Return 0 to go on, or an MS_E* code (with err set) to stop. */
typedef int (*ms_walk_fn)(const ms_file_entry *entry, void *ctx, ms_error *err);

/* Walk `root` calling `fn` per regular file, in OMS order. Memory is bounded by the largest
 * single directory. Errors name the path and the cause (MS_EINPUT for bad model content or a
 * missing root, MS_EENV for I/O failures). */
int msx_walk(const char *root, const ms_walk_options *opts, ms_walk_fn fn, void *ctx,
             ms_error *err);

/* Walk `root` and keep every entry in `out` (which must be zeroed or freshly freed). */
int msx_walk_collect(const char *root, const ms_walk_options *opts, ms_file_list *out,
                     ms_error *err);

/* Free the entries (the list itself is caller-owned). Accepts an empty list. */
void msx_file_list_free(ms_file_list *list);

/* 1 when `path` is a relative path safe to join under a model root: not empty, no leading '/',
 * no "." or ".." or empty components, no NUL, no backslash. (Length is bounded by `len`.) */
int msx_path_is_safe(const char *path, size_t len);

/* 1 when the `len` bytes at `s` are well-formed UTF-8 (no overlong forms, no surrogates). */
int msx_utf8_valid(const char *s, size_t len);

/* Normalise a user-supplied ignore path: strips "./" prefixes and trailing '/', makes an absolute
 * path under `root` relative. Returns a malloc'd string, or NULL with err set (MS_EINPUT when it
 * escapes the root or is unsafe). */
char *msx_path_normalize_ignore(const char *root, const char *path, ms_error *err);

/* If `path` (a file name as the user gave it, relative to the current directory) lies inside
 * the model directory `root`, return its path relative to the root (malloc'd); otherwise, or
 * when `root` is not a directory, NULL. The file itself need not exist yet. */
char *msx_path_inside_model(const char *root, const char *path);

/* Hugging Face cache snapshots (<cache>/models--ORG--NAME/snapshots/REV/, or datasets--,
 * spaces--): msx_walk follows a link of such a snapshot, whatever allow_symlinks says, when it
 * resolves through no further link to a regular file in the repository's own blobs/ directory;
 * the resource keeps the link's path. Every other link keeps the rules above. */

/* Where `path` lies in a snapshot layout, .../{models,datasets,spaces}--NAME/snapshots/REV[/...]
 * (a real path, or a path relative to a git tree, as lineage looks at a snapshot stored in git):
 * the length of the repository's path (.../models--NAME), else 0. */
size_t msx_hf_repo_len(const char *path);

/* Open the blobs/ directory of the snapshot `root` (a real directory) lies in: 0 with *fd set,
 * or *fd = -1 when `root` is not inside a snapshot layout; negative MS_E* on failure. */
int msx_hf_blobs_open(const char *root, int *fd, ms_error *err);

/* Resolve `spec` (hf://ORG/NAME[@REV], or hf://datasets/ORG/NAME[@REV] when `dataset`) to the
 * snapshot directory in the cache `cache` (a hub directory), offline: REV (default main) is a
 * ref whose commit refs/REV names, or a commit. Returns 0 and a malloc'd *path, or MS_EINPUT
 * for a malformed spec or, naming where it looked, a snapshot that is not there. */
int msx_hf_resolve(const char *spec, const char *cache, int dataset, char **path, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
