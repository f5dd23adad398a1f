/* Hashing: the algorithms and an incremental hasher.
 *
 * SHA-256 goes through OpenSSL EVP (it uses the CPU's SHA extensions); BLAKE2b-512 through
 * libsodium; BLAKE3 (256-bit output) through the official C implementation (third_party/blake3,
 * or the system's libblake3). (The library's hashing engines are internal:
 * src/lib/hash/engine.h.) */
#ifndef MODELSEAL_HASH_H
#define MODELSEAL_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_hash_algorithm {
    MS_HASH_SHA256 = 0,
    MS_HASH_BLAKE2B = 1, /* BLAKE2b-512 */
    MS_HASH_BLAKE3 = 2   /* BLAKE3, 32-byte output (OMS hash_type "blake3") */
} ms_hash_algorithm;

#define MS_HASH_MAX_SIZE 64
#define MS_SHA256_SIZE 32
#define MS_HASH_DEFAULT_BUFFER (4u << 20)

/* Digest length in bytes (32 or 64). */
MS_API size_t ms_hash_size(ms_hash_algorithm alg);
/* "sha256", "blake2b" or "blake3" (the OMS hash_type names). */
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

/* Progress of a long hashing job (the engine calls it on the calling thread): bytes hashed so
 * far of the total. */
typedef void (*ms_hash_progress_fn)(void *ctx, uint64_t bytes_done, uint64_t bytes_total);

#ifdef __cplusplus
}
#endif
#endif
