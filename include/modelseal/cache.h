/* The signer's digest cache: what `sign --incremental` and `verify --incremental` remember of
 * the last run on a model, so that a file provably unchanged since is not read again.
 *
 * One cache file per model, keyed by the model's real path and device, under
 * $XDG_CACHE_HOME/modelseal/ (else ~/.cache/modelseal/): mode 0600 in a 0700 directory owned
 * by the user, replaced atomically, its format in modelseal-cache(5). It belongs to the signer,
 * never travels with the model and is never needed: a missing, malformed, foreign-owned or
 * group/world-writable cache is refused and every file is hashed. A cache file the user owns
 * is believed: whoever can write it can make the user sign what it says.
 *
 * A file's digests are reused when and only when its device, inode, size, mtime (ns) and ctime
 * (ns) are the ones recorded, the run that recorded them began more than the file system's
 * timestamp granularity after the file's mtime and ctime ("racily clean": a write in the same
 * tick would not have moved them), and the algorithm, method and shard size are the same. */
#ifndef MODELSEAL_CACHE_H
#define MODELSEAL_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Limits of one cache file: its size and the files it may list (more files are not cached:
 * the cache is then not written and every file is hashed next time). */
#define MS_CACHE_MAX_SIZE ((size_t)256 << 20)
#define MS_CACHE_MAX_FILES (4u * 1024 * 1024)
/* The most digests one file may have (shards): a file of 16 TiB in shards of 1 GB. */
#define MS_CACHE_MAX_DIGESTS 20000u

typedef struct ms_digest_cache ms_digest_cache;

/* What one run did with each file of the model, against the cache's record of the last run.
 * Paths are the model's resource paths ("." for a single-file model), in walk order. */
typedef struct ms_cache_report {
    char **reused; /* digests taken from the cache */
    size_t n_reused;
    char **rehashed;             /* listed in the cache, but hashed again */
    const char **rehash_reasons; /* why, one per rehashed path: "size changed", "inode
                                    changed", "mtime changed", "ctime changed", "racily clean",
                                    "settings changed", "cache not used" */
    size_t n_rehashed;
    char **added; /* not in the cache (new since the last run) */
    size_t n_added;
    char **removed; /* in the cache, no longer in the model */
    size_t n_removed;
    /* Why the cache could not be read or trusted (malformed, foreign-owned, group/world-writable,
     * for another model...), or why it was not used: NULL when it was. malloc'd. */
    char *refused;
} ms_cache_report;

/* Open the cache of the model at `model` (a file or directory that exists). `dir` is the cache
 * directory; NULL: $XDG_CACHE_HOME/modelseal (when XDG_CACHE_HOME is an absolute path), else
 * $HOME/.cache/modelseal, created (0700) when missing. A cache file that cannot be trusted or
 * parsed is not an error: the cache opens empty with the report's `refused` naming the file and
 * the cause, and saving replaces it. A cache directory that is not a directory of the user's,
 * or that group or others may write, is refused the same way and nothing is saved into it.
 * Returns 0 with *out (free with ms_digest_cache_free), MS_EINPUT when the model does not exist,
 * MS_ENOMEM. */
MS_API int ms_digest_cache_open(const char *model, const char *dir, ms_digest_cache **out,
                                ms_error *err);

/* Use nothing the cache holds this run (the report's `refused` says `why`, copied); what is
 * hashed is still recorded and saved. For a signer whose previous signature did not verify. */
MS_API int ms_digest_cache_distrust(ms_digest_cache *c, const char *why, ms_error *err);

/* Write what this run recorded in place of the cache file (temporary file, fsync, rename; mode
 * 0600). Nothing is written when no run recorded anything or the directory was refused. 0,
 * MS_EENV (I/O) or MS_ENOMEM. */
MS_API int ms_digest_cache_save(ms_digest_cache *c, ms_error *err);

/* The cache file's path (owned by the cache). */
MS_API const char *ms_digest_cache_path(const ms_digest_cache *c);

/* This run's report (owned by the cache; valid until it is freed). */
MS_API const ms_cache_report *ms_digest_cache_report(const ms_digest_cache *c);

MS_API void ms_digest_cache_free(ms_digest_cache *c);

/* Parse cache file text (`len` bytes) for the model `model_real` on device `model_dev` (the
 * checks of ownership and mode are ms_digest_cache_open's). 0 with the entries loaded into a
 * new cache (*out), or MS_EINPUT naming `name` and the line and cause, or MS_ENOMEM. For tests
 * and fuzzing. */
MS_API int ms_digest_cache_parse(const char *text, size_t len, const char *name,
                                 const char *model_real, uint64_t model_dev, ms_digest_cache **out,
                                 ms_error *err);

/* The cache text of `c` as ms_digest_cache_save would write it (what it loaded, when no run
 * recorded anything), malloc'd (release with ms_free). 0 or MS_ENOMEM. */
MS_API int ms_digest_cache_serialize(const ms_digest_cache *c, char **text, size_t *len,
                                     ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
