/* The OMS model manifest: a model's resources (files or shards) with their digests, the
 * serialization that produced them, and the root digest that a signature's subject names.
 *
 * Resource order is full-path byte order; the shards of one file follow in start-offset order.
 * The root digest is SHA-256 over the concatenated raw resource digests in listed order
 * (always SHA-256, whatever the hash type). */
#ifndef MODELSEAL_MANIFEST_H
#define MODELSEAL_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "cache.h"
#include "error.h"
#include "export.h"
#include "hash.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ms_method { MS_METHOD_FILES = 0, MS_METHOD_SHARDS = 1 } ms_method;

#define MS_DEFAULT_SHARD_SIZE UINT64_C(1000000000)
#define MS_SIGNATURE_FILE "model.sig"
#define MS_CLAIMS_FILE "claims.jsonl"

typedef struct ms_serialization {
    ms_method method;
    ms_hash_algorithm algorithm;
    uint64_t shard_size; /* shards only; > 0 */
    int allow_symlinks;
    char **ignore_paths; /* recorded in the predicate; relative to the model root */
    size_t n_ignore_paths;
    int has_ignore_paths; /* 0 when the predicate did not record ignore_paths at all */
} ms_serialization;

typedef struct ms_resource {
    char *name; /* "path" or "path:start:end" */
    uint8_t digest[MS_HASH_MAX_SIZE];
    size_t digest_len;
} ms_resource;

typedef struct ms_manifest {
    char *model_name; /* basename of the model path */
    ms_serialization serialization;
    ms_resource *resources;
    size_t n_resources;
    uint8_t root_digest[MS_SHA256_SIZE];
    /* Built by ms_manifest_build under the shards method: the regular files of size 0 it met
     * (after opts->include), in path order. They have no shards, so no resource names them
     * and no shards signature covers them. Empty under the files method. */
    char **empty_files;
    size_t n_empty_files;
} ms_manifest;

typedef struct ms_manifest_options {
    unsigned threads;           /* 0: online CPUs */
    size_t buffer_size;         /* 0: default */
    int no_ignore_git_paths;    /* also hash .git, .github, .gitattributes, .gitignore */
    const char *signature_path; /* a signature file inside the model to skip (besides model.sig) */
    /* Optional filter: hash only files for which include(path) returns 1. */
    int (*include)(void *ctx, const char *path);
    void *include_ctx;
    ms_hash_progress_fn progress;
    void *progress_ctx;
    /* Optional: called in path order, before hashing, for each file with more than one hard
     * link (its content is hashed, but it may be changed through another name). */
    void (*hard_link)(void *ctx, const char *path, uint64_t nlink);
    void *hard_link_ctx;
    /* git LFS pointer files (ms_lfs_pointer_parse_ext): MS_LFS_HASH hashes them as any file (the
     * default), MS_LFS_REFUSE refuses them (MS_EINPUT naming the file), MS_LFS_OIDS takes a
     * pointer's oid as the digest of the content it stands for (files method, sha256 only). */
    int lfs_pointers;
    /* Optional: the signer's digest cache (cache.h). A file it vouches for is not read; every
     * file's digests are recorded in it for ms_digest_cache_save, and its report says which
     * files were reused, re-hashed, added and removed. */
    ms_digest_cache *cache;
} ms_manifest_options;

enum { MS_LFS_HASH = 0, MS_LFS_REFUSE = 1, MS_LFS_OIDS = 2 };

/* The largest git LFS pointer file (the LFS v1 pointer format; also in lineage.h). */
#ifndef MS_LFS_POINTER_MAX
#define MS_LFS_POINTER_MAX 1024
#endif

/* 1 when the `len` bytes at `data` are a git LFS v1 pointer, exactly: "version
 * https://git-lfs.github.com/spec/v1", optional "ext-N-NAME sha256:HEX" lines, "oid
 * sha256:<64 lowercase hex>", "size <decimal>", each ending in one '\n', nothing else, at most
 * MS_LFS_POINTER_MAX bytes; then *oid holds the content's SHA-256 and *size its length.
 * (lineage's ms_lfs_pointer_parse is the same without extension lines.) */
MS_API int ms_lfs_pointer_parse_ext(const uint8_t *data, size_t len, uint8_t oid[32],
                                    uint64_t *size);

/* Serialization defaults: files, sha256, shard size 1e9, no symlinks, no ignore paths. */
MS_API void ms_serialization_init(ms_serialization *ser);
/* Deep copy (dst is overwritten). 0 or MS_ENOMEM. */
MS_API int ms_serialization_copy(ms_serialization *dst, const ms_serialization *src);
/* Append one ignore path (copied) unless already present. 0 or MS_ENOMEM. */
MS_API int ms_serialization_add_ignore(ms_serialization *ser, const char *path);
MS_API void ms_serialization_clear(ms_serialization *ser);
/* "files" / "shards"; parse returns 0 or MS_EINPUT. */
MS_API const char *ms_method_name(ms_method method);
MS_API int ms_method_parse(const char *name, ms_method *method);

/* An ignore path as a user gives it, made what ms_serialization_add_ignore and
 * ms_verify_options.extra_ignores take: "./" prefixes and trailing '/' stripped, an absolute
 * path under the model directory `model` made relative to it. Returns a malloc'd path (release
 * with ms_free), or NULL with err set (MS_EINPUT when it leaves the model or is unsafe). */
MS_API char *ms_ignore_path_normalize(const char *model, const char *path, ms_error *err);

/* Hash the model at `path` as `ser` says and return a new manifest in *out (free with
 * ms_manifest_free). The walk skips ser->ignore_paths, model.sig and claims.jsonl at the root,
 * the git paths unless opts->no_ignore_git_paths, and opts->signature_path. Under the shards
 * method the empty files met are listed in (*out)->empty_files (resources and digests are
 * model_signing's: an empty file has no shard). */
MS_API int ms_manifest_build(const char *path, const ms_serialization *ser,
                             const ms_manifest_options *opts, ms_manifest **out, ms_error *err);

/* SHA-256 over the concatenated raw digests of `resources` in listed order. */
MS_API int ms_manifest_root(const ms_resource *resources, size_t n, uint8_t out[MS_SHA256_SIZE]);

/* The OMS resource "algorithm" string for a serialization: "sha256", "blake2b", or
 * "<hash>-sharded-<shard_size>" for shards. Writes into out (at least 64 bytes). */
MS_API void ms_resource_algorithm(const ms_serialization *ser, char *out, size_t out_size);

/* The file a resource name refers to: "path" for files, "path" of "path:start:end" for shards.
 * Returns a malloc'd string or NULL (out of memory or not a valid shard name). */
MS_API char *ms_resource_file(const char *name, ms_method method);

/* Differences between what was signed and what is on disk, by file path. */
typedef struct ms_manifest_diff {
    char **missing;
    size_t n_missing; /* signed, not on disk */
    char **extra;
    size_t n_extra; /* on disk, not signed */
    char **changed;
    size_t n_changed; /* on disk with other bytes */
    /* Shards: the empty files among `extra` (sorted; each also in `extra`): no shards
     * signature can cover them (set by ms_verify_model, not by ms_manifest_compare). */
    char **empty_extra;
    size_t n_empty_extra;
} ms_manifest_diff;

/* Told after an empty file's name in empty_extra. */
#define MS_EMPTY_FILE_NOTE "(empty files have no shards; a shards signature cannot cover them)"

/* Compare by resource name. Returns 0 when identical as sets, MS_EVERIFY when they differ (diff
 * filled, sorted, each file once), MS_EINPUT when `expected` names a resource twice, MS_ENOMEM.
 * Digest comparisons are constant-time. */
MS_API int ms_manifest_compare(const ms_manifest *expected, const ms_manifest *actual,
                               ms_manifest_diff *diff, ms_error *err);
MS_API void ms_manifest_diff_clear(ms_manifest_diff *diff);
/* 1 when `path` is in diff->empty_extra (an extra file because it is empty), else 0. */
MS_API int ms_manifest_diff_is_empty_extra(const ms_manifest_diff *diff, const char *path);

/* The predicate's "serialization" object and "resources" array (OMS field names) as compact JSON
 * text, malloc'd (release with ms_free); NULL when out of memory. A statement is read back with
 * ms_statement_parse. */
MS_API char *ms_serialization_json(const ms_serialization *ser);
MS_API char *ms_resources_json(const ms_manifest *m);

/* A file that belongs to a model: MODEL/<inside_name> for a directory model, MODEL<beside_suffix>
 * beside a single-file model (model.sig / MODEL.sig, claims.jsonl / MODEL.claims.jsonl).
 * Returns a malloc'd path, or NULL with err set (a missing model is MS_EINPUT). */
MS_API char *ms_model_companion_path(const char *model, const char *inside_name,
                                     const char *beside_suffix, ms_error *err);

/* For a directory model: MODEL/model.sig and MODEL/claims.jsonl, which hashing leaves out, must
 * each be missing or a regular file (not a link); anything else is MS_EINPUT naming the path and
 * what it is. 0 for a single-file model. ms_manifest_build calls it. */
MS_API int ms_model_check_companions(const char *model, ms_error *err);

/* A new empty manifest (NULL when out of memory). */
MS_API ms_manifest *ms_manifest_new(void);
MS_API void ms_manifest_free(ms_manifest *m);

#ifdef __cplusplus
}
#endif
#endif
