/* Hashing: algorithms and the parallel, chunked hashing engine.
 *
 * SHA-256 goes through OpenSSL EVP (it uses the CPU's SHA extensions); BLAKE2b-512 through
 * libsodium. The engine hashes work items (whole files or byte ranges of files) on a fixed pool
 * of threads, each reading with pread into its own buffer: memory is O(threads x buffer) for any
 * model size. A file whose identity, size, mtime or ctime differs from what the walk saw, before
 * or after hashing, is an error rather than a digest of mixed bytes. */
#ifndef MODELSEAL_HASH_H
#define MODELSEAL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The walk's file list (internal, src/lib/hash/walk.h), for the engine below. */
typedef struct ms_file_list ms_file_list;
typedef struct ms_file_entry ms_file_entry;

typedef enum ms_hash_algorithm {
    MS_HASH_SHA256 = 0,
    MS_HASH_BLAKE2B = 1 /* BLAKE2b-512 */
} ms_hash_algorithm;

#define MS_HASH_MAX_SIZE 64
#define MS_SHA256_SIZE 32
#define MS_HASH_DEFAULT_BUFFER (4u << 20)

/* Digest length in bytes (32 or 64). */
MS_API size_t ms_hash_size(ms_hash_algorithm alg);
/* "sha256" or "blake2b" (the OMS hash_type names). */
MS_API const char *ms_hash_name(ms_hash_algorithm alg);
/* Parse an OMS hash_type name. 0 or MS_EINPUT. */
MS_API int ms_hash_parse(const char *name, ms_hash_algorithm *alg);

/* Incremental hashing. */
typedef struct ms_hasher ms_hasher;
/* Returns NULL when out of memory or the algorithm is unavailable. Free with ms_hasher_free. */
MS_API ms_hasher *ms_hasher_new(ms_hash_algorithm alg);
MS_API int ms_hasher_reset(ms_hasher *h);
MS_API int ms_hasher_update(ms_hasher *h, const void *data, size_t len);
/* Writes ms_hash_size(alg) bytes. The hasher must be reset before reuse. */
MS_API int ms_hasher_final(ms_hasher *h, uint8_t *out);
MS_API void ms_hasher_free(ms_hasher *h);

/* One-shot SHA-256 of a buffer. */
MS_API int ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_SIZE]);

/* One unit of work: bytes [start, end) of files->entries[file]. */
typedef struct ms_hash_item {
    size_t file;
    uint64_t start;
    uint64_t end;
    uint8_t digest[MS_HASH_MAX_SIZE]; /* filled by ms_hash_run */
} ms_hash_item;

typedef void (*ms_hash_progress_fn)(void *ctx, uint64_t bytes_done, uint64_t bytes_total);

typedef struct ms_hash_job {
    const char *root;          /* the model path given to ms_walk */
    const ms_file_list *files; /* from ms_walk */
    ms_hash_item *items;       /* in/out */
    size_t n_items;
    ms_hash_algorithm algorithm;
    unsigned threads;             /* 0: online CPUs */
    size_t buffer_size;           /* 0: MS_HASH_DEFAULT_BUFFER */
    ms_hash_progress_fn progress; /* optional, called on the calling thread */
    void *progress_ctx;
} ms_hash_job;

/* Hash every item. Returns 0, MS_EINPUT (a file vanished, changed, or is not what the walk saw),
 * MS_EENV (read error) or MS_ENOMEM. */
int ms_hash_run(const ms_hash_job *job, ms_error *err);

/* ---- streaming: hash files as a walk finds them ---------------------------------------------
 *
 * Files are added in walk order, hashed on worker threads while the walk goes on, and handed
 * back to a callback on the adding thread in the order they were added. At most `window` files
 * are in flight; when the window is full, adding waits for the oldest file, and the adding
 * thread hashes queued files itself meanwhile, so walking, hashing and consuming share the
 * cores. Each file is opened relative to its directory (the walk's dir_fd, duplicated while
 * needed) with O_NOFOLLOW | O_NONBLOCK; its size, identity, mtime and ctime come from the open
 * file, and a file whose size, identity, mtime or ctime differ after hashing is an error. A small
 * file read in one go with no fstat before it must have a ctime and an mtime older than the open
 * by two seconds. */
typedef struct ms_hash_stream ms_hash_stream;

typedef struct ms_hash_stream_file {
    const char *path;      /* as added */
    int hashed;            /* 0: added with hash = 0, or the size differed from expect_size */
    uint64_t size;         /* hashed: the file's size */
    uint64_t nlink;        /* hashed: its hard link count (above 1: it has other names) */
    const uint8_t *digest; /* hashed: ms_hash_size(algorithm) bytes */
    const void *user;      /* the user_size bytes given to ms_hash_stream_add */
} ms_hash_stream_file;

/* Called on the adding thread, once per file, in the order added. 0 or an MS_E* code. */
typedef int (*ms_hash_stream_fn)(void *ctx, const ms_hash_stream_file *file, ms_error *err);

typedef struct ms_hash_stream_options {
    const char *root; /* the directory walked (for messages) */
    ms_hash_algorithm algorithm;
    unsigned threads;   /* threads hashing, the adding thread included; 0: online CPUs */
    size_t window;      /* files in flight; 0: 4096 */
    size_t buffer_size; /* the most each thread reads at once; 0: MS_HASH_DEFAULT_BUFFER */
    size_t user_size;   /* bytes of caller data carried with each file (at most 256) */
    ms_hash_stream_fn done;
    void *ctx;
    /* For tests (NULL otherwise): called on a hashing thread with each file's descriptor after
     * each read, before the fstat that checks the file did not change (a writer's window). */
    void (*after_read)(void *after_read_ctx, int fd);
    void *after_read_ctx;
} ms_hash_stream_options;

/* NULL with err set (MS_EINPUT for bad options, MS_ENOMEM, MS_EENV when no thread starts). */
ms_hash_stream *ms_hash_stream_new(const ms_hash_stream_options *opts, ms_error *err);

/* Add one file found by ms_walk (it needs e->path, and with `hash`, e->dir_fd and e->name; an
 * entry with dir_fd < 0 cannot be hashed). With hash = 0 the file is only passed through, in
 * order, to the callback. With expect_size >= 0 a file of another size is not read (hashed = 0,
 * size set). `user` (opts->user_size bytes, may be NULL) is copied. May call the callback for
 * earlier files. 0 or the first error of a file or of the callback. */
int ms_hash_stream_add(ms_hash_stream *s, const ms_file_entry *e, int hash, int64_t expect_size,
                       const void *user, ms_error *err);

/* Wait for every file added and hand the rest to the callback. 0 or the first error. */
int ms_hash_stream_finish(ms_hash_stream *s, ms_error *err);

/* Stop the workers (abandoning files not yet handed back) and free. Accepts NULL. */
void ms_hash_stream_free(ms_hash_stream *s);

#ifdef __cplusplus
}
#endif
#endif
