/* Hashing: algorithms and the parallel, chunked hashing engine.
 *
 * SHA-256 goes through OpenSSL EVP (it uses the CPU's SHA extensions); BLAKE2b-512 through
 * libsodium. The engine hashes work items (whole files or byte ranges of files) on a fixed pool
 * of threads, each reading with pread into its own buffer: memory is O(threads x buffer) for any
 * model size. A file whose identity, size or mtime differs from what the walk saw, before or
 * after hashing, is an error rather than a digest of mixed bytes. */
#ifndef MODELSEAL_HASH_H
#define MODELSEAL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "walk.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_hash_algorithm {
    MS_HASH_SHA256 = 0,
    MS_HASH_BLAKE2B = 1 /* BLAKE2b-512 */
} ms_hash_algorithm;

#define MS_HASH_MAX_SIZE 64
#define MS_SHA256_SIZE 32
#define MS_HASH_DEFAULT_BUFFER (4u << 20)

/* Digest length in bytes (32 or 64). */
size_t ms_hash_size(ms_hash_algorithm alg);
/* "sha256" or "blake2b" (the OMS hash_type names). */
const char *ms_hash_name(ms_hash_algorithm alg);
/* Parse an OMS hash_type name. 0 or MS_EINPUT. */
int ms_hash_parse(const char *name, ms_hash_algorithm *alg);

/* Incremental hashing. */
typedef struct ms_hasher ms_hasher;
/* Returns NULL when out of memory or the algorithm is unavailable. Free with ms_hasher_free. */
ms_hasher *ms_hasher_new(ms_hash_algorithm alg);
int ms_hasher_reset(ms_hasher *h);
int ms_hasher_update(ms_hasher *h, const void *data, size_t len);
/* Writes ms_hash_size(alg) bytes. The hasher must be reset before reuse. */
int ms_hasher_final(ms_hasher *h, uint8_t *out);
void ms_hasher_free(ms_hasher *h);

/* One-shot SHA-256 of a buffer. */
int ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_SIZE]);

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

#ifdef __cplusplus
}
#endif
#endif
