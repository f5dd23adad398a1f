/* Dataset manifests inside attest/ (not installed): dataset.c writes the canonical lines,
 * dataset_verify.c reads them back and builds the statement. include/modelseal/dataset.h is
 * the API. */
#ifndef MODELSEAL_DATASET_INTERNAL_H
#define MODELSEAL_DATASET_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/dataset.h"
#include "util/buf.h"

/* The canonical header / file line (with its newline) appended to `out`. 0 or MS_ENOMEM
 * (MS_EINPUT when a string is not valid UTF-8). */
int dataset_header_line(const ms_dataset_info *info, ms_buf *out, ms_error *err);
int dataset_file_line(const char *path, uint64_t size, const uint8_t *digest, size_t digest_len,
                      ms_buf *out, ms_error *err);

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
