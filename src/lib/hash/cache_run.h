/* The digest cache as the manifest builder uses it (internal, shared across layers; the cache
 * itself and its file format are in cache.c, the public side in modelseal/cache.h).
 *
 * A run: hash_cache_begin before the walk (it takes the time the entries will be stamped with),
 * hash_cache_lookup for each file the walk listed, hash_cache_record for each file's digests
 * (reused or hashed), hash_cache_still for each reused file once the hashing is over, and
 * hash_cache_end. Then ms_digest_cache_save writes the record. */
#ifndef MODELSEAL_HASH_CACHE_RUN_H
#define MODELSEAL_HASH_CACHE_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "hash/walk.h"
#include "modelseal/cache.h"
#include "modelseal/error.h"
#include "modelseal/hash.h"

/* Start a run with these settings (sharded: shards of shard_size bytes, else whole files).
 * 0 or MS_ENOMEM. */
int hash_cache_begin(ms_digest_cache *c, ms_hash_algorithm alg, int sharded, uint64_t shard_size,
                     ms_error *err);

/* 1 when the cache vouches for `e` (the walk's stat of it): its `n` digests are copied to
 * `digests` (n * ms_hash_size bytes). 0 when it must be hashed. Either way the file's fate goes
 * into the report. Negative MS_ENOMEM. A file the walk reached through a link (e->target) is
 * never reused. */
int hash_cache_lookup(ms_digest_cache *c, const ms_file_entry *e, size_t n, uint8_t *digests,
                      ms_error *err);

/* Remember `e`'s `n` digests (n * ms_hash_size bytes) for the next run. 0 or MS_ENOMEM. */
int hash_cache_record(ms_digest_cache *c, const ms_file_entry *e, size_t n, const uint8_t *digests,
                      ms_error *err);

/* A reused file must still be the one the walk listed once the other files are hashed (as a
 * hashed one must be after its reading): 0, or MS_EINPUT "changed while hashing" naming it. */
int hash_cache_still(const char *root, const ms_file_entry *e, ms_error *err);

/* End the run: the files the cache listed that the walk did not meet are reported removed.
 * 0 or MS_ENOMEM. */
int hash_cache_end(ms_digest_cache *c, ms_error *err);

#endif
