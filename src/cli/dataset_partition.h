/* modelseal dataset: partitions (--partition, --partitions) and `dataset merge`
 * (dataset_partition.c), for cmd_dataset.c. */
#ifndef MODELSEAL_CLI_DATASET_PARTITION_H
#define MODELSEAL_CLI_DATASET_PARTITION_H

#include <stdint.h>

#include "options.h"

/* The share --partition ARG (I/N or auto) names, with --partitions N (partitions_arg, may be
 * NULL). For auto: SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT or SLURM_ARRAY_TASK_MIN and
 * MAX (a Slurm job array), else JOB_COMPLETION_INDEX with --partitions (a Kubernetes Indexed
 * Job); which one is said on stderr. EXIT_OK, or EXIT_USAGE reported. */
int cli_dataset_partition(const char *arg, const char *partitions_arg, uint32_t *index,
                          uint32_t *count);

/* --partition, --partitions and --s3-endpoint, as dataset manifest and dataset verify take them
 * (zero-initialised; `index` and `count` set by cli_dataset_share_finish, count 0: no share). */
typedef struct cli_dataset_share {
    const char *partition, *partitions, *s3_endpoint;
    uint32_t index, count;
} cli_dataset_share;

/* 1 when `opt` is one of the three (its argument kept), else 0. */
int cli_dataset_share_option(cli_dataset_share *s, int opt, const char *arg);

/* After the options, with the DIR operand (NULL: none given): --partition needs DIR,
 * --s3-endpoint an s3://BUCKET[/PREFIX] DIR, then the share (cli_dataset_partition). EXIT_OK, or
 * EXIT_USAGE reported. */
int cli_dataset_share_finish(cli_dataset_share *s, const char *dir);

/* `modelseal dataset merge [--output FILE] PART...`, parsed with `table` (subcommand bit
 * `which`). */
int cli_dataset_merge(int argc, char **argv, const cli_option *table, unsigned which);

#endif
