/* Dataset manifests: a signed, streaming list of every file of a training dataset.
 *
 * A manifest is a zstd stream (one or more frames) of UTF-8 JSON Lines: a header line
 *   {"_type":"https://modelseal/dataset-manifest/v1","name":...,"version":...,"source":...,
 *    "license":...,"ignore":[...],"algorithm":"sha256","files":N,"bytes":N,
 *    "root_digest":"sha256:<hex>"}
 * then one {"path":...,"size":N,"digest":"<hex>"} line per regular file, in full-path byte
 * order (the order of a model's resources). A manifest covers every regular file under the
 * directory except the paths its "ignore" list names (byte-sorted, each once, each a safe
 * relative path; a directory hides all below it): a dataset has no names that are skipped
 * whatever they are (a model's model.sig, claims.jsonl and .git are data in a dataset).
 * Whoever checks a directory against the manifest applies that same list. The root digest is
 * computed as a model's under the files method (SHA-256 over the file digests in path order),
 * so `modelseal digest --no-ignore-git-paths DIR` with the same ignores prints the same value
 * when DIR holds no model.sig or claims.jsonl. The form is canonical: the reader accepts
 * exactly the bytes the writer produces for the same values, so one dataset has one manifest
 * and one manifest digest.
 *
 * Writing streams: the directory is walked one directory at a time and its files hashed as they
 * are found, a bounded window of them in flight; memory is bounded by the window and the
 * largest single directory. Reading streams
 * too, with every line, the total size and the decompression window bounded. */
#ifndef MODELSEAL_DATASET_H
#define MODELSEAL_DATASET_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "hash.h"
#include "statement.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_DATASET_PREDICATE_TYPE "https://modelseal/dataset-manifest/v1"
#define MS_DATASET_MANIFEST_TYPE MS_DATASET_PREDICATE_TYPE
/* Default file name suffix: NAME.dsm.jsonl.zst. */
#define MS_DATASET_SUFFIX ".dsm.jsonl.zst"
/* Longest line (header or file line, including its newline). */
#define MS_DATASET_MAX_LINE ((size_t)64 << 10)
/* Largest decompressed manifest. */
#define MS_DATASET_MAX_SIZE (UINT64_C(64) << 30)
/* Longest name, version, source or license. */
#define MS_DATASET_MAX_FIELD ((size_t)4096)

typedef struct ms_dataset_info {
    char *name, *version, *source, *license; /* version/source/license NULL when null */
    char **ignore_paths; /* the header's "ignore" list: byte-sorted, each once */
    size_t n_ignore_paths;
    ms_hash_algorithm algorithm;
    uint64_t files, bytes;
    uint8_t root_digest[MS_SHA256_SIZE];
    uint8_t manifest_digest[MS_SHA256_SIZE]; /* SHA-256 of the decompressed manifest */
} ms_dataset_info;

/* Free the strings and zero the struct. Accepts NULL. */
MS_API void ms_dataset_info_clear(ms_dataset_info *info);

/* Where a dataset in S3-compatible object storage is read from (s3://BUCKET[/PREFIX] given as
 * the directory): the endpoint (NULL: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS) and the
 * network's bounds (0: defaults). Region and credentials come from the environment and the AWS
 * profile files, as the AWS SDKs read them. */
typedef struct ms_dataset_remote {
    const char *s3_endpoint;
    long backoff_ms; /* first wait before a retry */
    long timeout_ms; /* per request */
} ms_dataset_remote;

/* ---- writing (dataset.c) ------------------------------------------------------------------ */

typedef struct ms_dataset_options {
    const char *name;    /* required: non-empty UTF-8, no control characters */
    const char *version; /* optional (NULL: null) */
    const char *source;  /* optional */
    const char *license; /* optional (an SPDX identifier) */
    ms_hash_algorithm algorithm;
    unsigned threads;   /* 0: online CPUs */
    size_t buffer_size; /* 0: default */
    /* Paths relative to DIR (normalised: no ".", "..", doubled or trailing slashes) left out of the
     * dataset and recorded in the header's "ignore" list, byte-sorted; a path given twice is
     * recorded once. Each must be a safe relative path (MS_EINPUT otherwise). */
    const char *const *ignore_paths;
    size_t n_ignore_paths;
    size_t batch_files;   /* files in flight (walked, not yet written); 0: 4096 */
    uint64_t batch_bytes; /* unused (files are hashed as the walk finds them) */
    int level;            /* zstd compression level; 0: 1 */
    /* Optional: called (on the calling thread, in path order) for each file that has more than
     * one hard link: its content is hashed, but it may be changed through another name. */
    void (*hard_link)(void *ctx, const char *path, uint64_t nlink);
    void *hard_link_ctx;
    /* A git LFS pointer file (ms_lfs_pointer_parse_ext) is refused (MS_EINPUT naming it)
     * unless this is set: then it is listed as the file it is. */
    int allow_lfs_pointers;
    /* A partial manifest (modelseal-dataset(1), "Partitions"): with partition_count N > 0, only
     * the files with ms_dataset_partition_of(path) == partition_index are hashed and listed,
     * and the header records the partition and the list of every path the walk saw. A share
     * may be empty (the dataset may not). */
    uint32_t partition_index, partition_count;
    /* For a dir of the form s3://BUCKET[/PREFIX] (NULL: defaults): the objects below PREFIX
     * are the files, their keys without PREFIX the paths; source defaults to the URL; threads
     * is the number of GETs in flight (0: 16). */
    const ms_dataset_remote *remote;
    /* Optional: called on the calling thread as files come back hashed, with the bytes hashed
     * so far and 0 for the total (not known before the walk ends). */
    ms_hash_progress_fn progress;
    void *progress_ctx;
} ms_dataset_options;

/* Hash the directory `dir` and write its manifest to `output` atomically (temporary files in
 * the output's directory, fsync, rename; nothing is left behind on failure). The walk follows
 * the model rules (regular files only, no symlinks, UTF-8 names) and lists every file
 * except opts->ignore_paths (recorded in the header) and the output and temporary files when
 * they lie inside `dir`: no name is skipped by default (not model.sig, claims.jsonl or .git).
 * On success `info` (optional) holds the header values; its manifest_digest is left zero (read
 * the file back with ms_dataset_info_load for it). 0, MS_EINPUT (bad dataset or option, or an
 * "ignore" list too long for a header line), MS_EENV, MS_ENOMEM. */
MS_API int ms_dataset_manifest_write(const char *dir, const ms_dataset_options *opts,
                                     const char *output, ms_dataset_info *info, ms_error *err);

/* ---- reading (dataset_verify.c) ----------------------------------------------------------- */

/* Read and fully validate a manifest file (streaming, bounded); fill info. A header without
 * the "ignore" list (written before it existed) is not canonical and is refused; so is a file
 * line whose path lies under an ignored path. 0 / MS_EINPUT (malformed: message names the file
 * and line number) / MS_EENV. */
MS_API int ms_dataset_info_load(const char *manifest_path, ms_dataset_info *info, ms_error *err);

/* Streaming reader of a manifest's file lines (after the header). */
typedef struct ms_dataset_reader ms_dataset_reader;

/* Open `path` and read its header into `info` (optional). NULL with err set on failure. */
MS_API ms_dataset_reader *ms_dataset_reader_open(const char *path, ms_dataset_info *info,
                                                 ms_error *err);
/* The next file line: 1 with *path (valid until the next call), *size and digest (algorithm's
 * size) filled; 0 at the end (after checking that the stream ended cleanly and that counts,
 * bytes and root digest agree with the header); a negative MS_E* code on malformed input. */
MS_API int ms_dataset_reader_next(ms_dataset_reader *r, const char **path, uint64_t *size,
                                  uint8_t *digest, ms_error *err);
/* SHA-256 of the decompressed bytes read so far (complete after next() returned 0). */
MS_API void ms_dataset_reader_digest(const ms_dataset_reader *r, uint8_t out[MS_SHA256_SIZE]);
MS_API void ms_dataset_reader_free(ms_dataset_reader *r);

/* One difference between a manifest and a directory. */
typedef enum ms_dataset_diff_kind {
    MS_DATASET_MISSING = 0, /* listed, not on disk */
    MS_DATASET_EXTRA = 1,   /* on disk, not listed */
    MS_DATASET_CHANGED = 2  /* listed, on disk with other bytes */
} ms_dataset_diff_kind;

typedef void (*ms_dataset_diff_fn)(void *ctx, ms_dataset_diff_kind kind, const char *path);

typedef struct ms_dataset_verify_options {
    unsigned threads;
    size_t buffer_size;
    /* Files relative to DIR that are not part of the data whatever the manifest says (the
     * signature file, when it lies inside DIR), skipped besides the manifest's own "ignore"
     * list. Not a way to leave data out: that is the manifest's list, so that every verifier of
     * one manifest checks the same files. */
    const char *const *ignore_paths;
    size_t n_ignore_paths;
    size_t batch_files;      /* files in flight; 0: 4096 */
    uint64_t batch_bytes;    /* unused */
    ms_dataset_diff_fn diff; /* optional: called per difference, in path order */
    void *diff_ctx;
    /* Optional: filled (as ms_dataset_info_load would) once the whole manifest has been read
     * and checked, so that one pass over the manifest does for both. */
    ms_dataset_info *info;
    /* Optional: called with that same information once the whole manifest has been read and
     * found well formed, before any difference is told; a non-zero return ends the check with
     * that value and nothing told (a signature over another manifest, say). */
    int (*manifest_check)(void *ctx, const ms_dataset_info *info, ms_error *err);
    void *check_ctx;
    /* With partition_count N > 0: check only the share partition_index of N (files on disk
     * and lines of the manifest alike); the rest of the manifest is still read and checked. */
    uint32_t partition_index, partition_count;
    /* For a dir of the form s3://BUCKET[/PREFIX] (see ms_dataset_options.remote). */
    const ms_dataset_remote *remote;
    /* Optional: as ms_dataset_options.progress, for the files of DIR as they are compared. */
    ms_hash_progress_fn progress;
    void *progress_ctx;
} ms_dataset_verify_options;

typedef struct ms_dataset_verify_result {
    uint64_t missing, extra, changed; /* counts of differences */
    uint64_t files;                   /* files hashed */
} ms_dataset_verify_result;

/* Re-hash `dir` against the manifest at `manifest_path`, which is validated as it is read, in
 * the same pass: differences are reported (through opts->diff, in path order) only after the
 * whole manifest has been read and found well formed, so a malformed manifest is refused
 * (MS_EINPUT) before any difference is told; until then they are held in memory, then in a
 * temporary file. Every regular file of `dir` is compared except the paths of the manifest's
 * "ignore" list, the manifest itself and opts->ignore_paths when inside `dir` (no name is
 * skipped by default: a .git or claims.jsonl inside a dataset is data).
 * 0 when the files match exactly; MS_EVERIFY when any file is missing, extra or changed (each
 * reported through opts->diff, counts in res); MS_EINPUT / MS_EENV / MS_ENOMEM otherwise. */
MS_API int ms_dataset_verify_dir(const char *manifest_path, const char *dir,
                                 const ms_dataset_verify_options *opts,
                                 ms_dataset_verify_result *res, ms_error *err);

/* ---- partitions (dataset_partition.c, dataset_merge.c) ------------------------------------- */

/* Most partitions of one dataset. */
#define MS_DATASET_MAX_PARTITIONS 65536u

/* The share (0 to n-1) of a manifest path: the first 8 bytes of SHA-256(path), big-endian,
 * modulo n. A function of the path string alone, so that any source of paths (a directory
 * walk, an object listing) splits a dataset the same way. n 0 gives 0. */
MS_API uint32_t ms_dataset_partition_of(const char *path, size_t len, uint32_t n);

/* Merge the partial manifests `parts` (all N parts of one run of `dataset manifest
 * --partition`, in any order) into `output`, atomically: a streaming k-way merge (memory
 * bounded by the number of parts, not files) whose result is byte for byte the manifest one
 * unpartitioned run would have written. MS_EINPUT, naming the part, for parts of different
 * datasets (name, version, source, license, ignore list), algorithms or partition counts, an
 * index missing or given twice, walks that saw different path lists, a path in two parts or
 * outside its share, or a malformed part; MS_EENV, MS_ENOMEM. `info` (optional) as
 * ms_dataset_manifest_write fills it. */
MS_API int ms_dataset_merge(const char *const *parts, size_t n_parts, const char *output,
                            ms_dataset_info *info, ms_error *err);

/* ---- statements (dataset_verify.c) -------------------------------------------------------- */

/* Build the dataset statement payload (in-toto Statement v1) for info: subject
 * [{"name":NAME,"digest":{"sha256":ROOT}}], predicateType MS_DATASET_PREDICATE_TYPE, predicate
 * {name, version, source, license, algorithm, files, bytes, manifest_digest:{sha256}}.
 * *payload is malloc'd (release with ms_free), *len bytes. 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_dataset_statement_build(const ms_dataset_info *info, char **payload, size_t *len,
                                      ms_error *err);

/* Check a parsed statement (ms_statement_parse_generic) is a dataset statement for exactly this
 * manifest: predicateType, subject name and root digest, manifest_digest,
 * name/version/source/license/algorithm/files/bytes. 0, or MS_EVERIFY naming the first mismatch;
 * MS_EINPUT when it is not a dataset statement at all. */
MS_API int ms_dataset_statement_check(const ms_statement *st, const ms_dataset_info *info,
                                      ms_error *err);

/* Read a dataset statement (no manifest at hand): fill info from the statement's subject and
 * predicate (manifest_digest from the predicate). For the policy/provenance layers.
 * 0, MS_EINPUT (not a dataset statement, or a field of the wrong type) or MS_ENOMEM. */
MS_API int ms_dataset_info_from_statement(const ms_statement *st, ms_dataset_info *info,
                                          ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
