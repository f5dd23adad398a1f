/* Dataset manifests inside attest/ (not installed): dataset.c writes the canonical lines,
 * dataset_verify.c reads them back and builds the statement. include/modelseal/dataset.h is
 * the API. */
#ifndef MODELSEAL_DATASET_INTERNAL_H
#define MODELSEAL_DATASET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <zstd.h>

#include "modelseal/dataset.h"
#include "util/buf.h"
#include "util/fs.h"

/* The canonical header / file line (with its newline) appended to `out`. 0 or MS_ENOMEM
 * (MS_EINPUT when a string is not valid UTF-8). */
int dataset_header_line(const ms_dataset_info *info, ms_buf *out, ms_error *err);
int dataset_file_line(const char *path, uint64_t size, const uint8_t *digest, size_t digest_len,
                      ms_buf *out, ms_error *err);

/* ---- writing a manifest file (dataset.c; also dataset_merge.c and dataset_s3.c) ---------- */

/* Every writer's frames, so that a manifest's bytes do not depend on which wrote it: zstd
 * level DEFAULT_LEVEL (the fastest positive one: the lines compress 60x at any level) unless
 * the caller sets one, with checksums, the lines compressed in chunks of LINES_FLUSH bytes. */
#define DEFAULT_LEVEL 1
#define LINES_FLUSH ((size_t)256 << 10)

/* Feed `len` bytes (or, with ZSTD_e_end, the end of the frame) to `cctx` and append what it
 * produces, through the buffer `zout`, to `fd`: the body's temporary file of `output`. */
int dataset_compress_to(ZSTD_CCtx *cctx, uint8_t *zout, size_t zout_size, int fd,
                        const char *output, const void *data, size_t len, ZSTD_EndDirective mode,
                        ms_error *err);

/* The header's ignore list from opts->ignore_paths: each checked (a safe relative path, valid
 * UTF-8), byte-sorted, each once, copied into hdr->ignore_paths (owned by hdr, freed by its
 * caller even on error). 0, MS_EINPUT naming the path, or MS_ENOMEM. */
int dataset_header_ignores(const ms_dataset_options *opts, ms_dataset_info *hdr, ms_error *err);

/* Finish a manifest: the header line in its own frame, then the body file's frames, into `fin`,
 * which is then fsynced and renamed onto `output` (msx_file_temp_commit). */
int dataset_finish_file(ZSTD_CCtx *cctx, const ms_buf *header, int body_fd, ms_file_temp *fin,
                        const char *output, ms_error *err);

/* ---- partitions (dataset_partition.c) ---------------------------------------------------- */

/* What a partial manifest's header adds to the dataset's: its share, and the list of every
 * path its walk saw (count and SHA-256 over each path followed by a NUL byte, in path order). */
typedef struct dataset_part_info {
    uint32_t index, count; /* count 0: not a partial manifest */
    uint64_t paths;
    uint8_t paths_digest[MS_SHA256_SIZE];
} dataset_part_info;

/* A walk that hashes one share: every path goes through dataset_part_take, in walk order. */
typedef struct dataset_part {
    dataset_part_info info;
    ms_hasher *paths_hash;
} dataset_part;

/* 0, or MS_EINPUT when count is 0 or above MS_DATASET_MAX_PARTITIONS or index >= count. */
int dataset_part_check(uint32_t index, uint32_t count, ms_error *err);
/* 0, MS_EINPUT (dataset_part_check) or MS_ENOMEM. */
int dataset_part_begin(dataset_part *p, uint32_t index, uint32_t count, ms_error *err);
/* Count and hash the path; 1 when it is in this share, 0 when not, or a negative MS_E*. */
int dataset_part_take(dataset_part *p, const char *path, ms_error *err);
/* Finish the path digest (once, after the walk). */
int dataset_part_finish(dataset_part *p, ms_error *err);
void dataset_part_end(dataset_part *p);

/* The partial manifest's header line: the dataset's (dataset_header_line) with
 * ,"partition":[I,N],"paths":T,"paths_digest":"sha256:<hex>" before its closing brace; with
 * part NULL or part->count 0, the whole manifest's (dataset_header_line's alone). */
int dataset_part_header_line(const ms_dataset_info *info, const dataset_part_info *part,
                             ms_buf *out, ms_error *err);

/* ms_dataset_reader_open for a partial manifest: its header must have the partition members
 * (filled into *part); a whole manifest is refused. */
/* The line ms_dataset_reader_next returned last, with its newline: the canonical encoding of
 * its values (the reader checked that), valid until the next call. */
const char *dataset_reader_line(const ms_dataset_reader *r, size_t *len);

ms_dataset_reader *dataset_reader_open_part(const char *path, ms_dataset_info *info,
                                            dataset_part_info *part, ms_error *err);

/* ms_dataset_statement_build into `payload` (its contents replaced). */
int dataset_statement_build(const ms_dataset_info *info, ms_buf *payload, ms_error *err);

/* ms_dataset_manifest_write and ms_dataset_verify_dir for an s3://BUCKET[/PREFIX] operand
 * (dataset_s3.c). */
int dataset_s3_manifest_write(const char *url, const ms_dataset_options *opts, const char *output,
                              ms_dataset_info *info, ms_error *err);
int dataset_s3_verify(const char *manifest_path, const char *url,
                      const ms_dataset_verify_options *opts, ms_dataset_verify_result *res,
                      ms_error *err);

#endif
