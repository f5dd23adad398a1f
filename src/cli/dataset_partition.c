/* modelseal dataset: which share a worker hashes (--partition I/N, --partition auto from a
 * Slurm job array or a Kubernetes Indexed Job) and `dataset merge` (modelseal-dataset(1)). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset_partition.h"
#include "modelseal/dataset.h"

/* A decimal number without sign, spaces or leading zeros, at most `max`. */
static int parse_number(const char *s, uint32_t max, uint32_t *out)
{
    uint64_t v = 0;
    if (!s || !*s || (s[0] == '0' && s[1]))
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

/* An environment variable's number; -1 (reported) when set but not a number, 0 when unset. */
static int env_number(const char *name, uint32_t *out, int *set)
{
    const char *v = getenv(name);
    *set = v != NULL;
    if (v && parse_number(v, UINT32_MAX - 1, out) != 0) {
        cli_usage_error("--partition auto: %s=%s is not a number", name, v);
        return -1;
    }
    return 0;
}

static int partition_auto(uint32_t partitions, int have_partitions, uint32_t *index,
                          uint32_t *count)
{
    uint32_t id, n, lo, hi, job;
    int set_id, set_n, set_lo, set_hi, set_job;
    if (env_number("SLURM_ARRAY_TASK_ID", &id, &set_id) ||
        env_number("SLURM_ARRAY_TASK_COUNT", &n, &set_n) ||
        env_number("SLURM_ARRAY_TASK_MIN", &lo, &set_lo) ||
        env_number("SLURM_ARRAY_TASK_MAX", &hi, &set_hi) ||
        env_number("JOB_COMPLETION_INDEX", &job, &set_job))
        return EXIT_USAGE;
    if (set_id) {
        const char *how;
        if (!set_lo)
            lo = 0;
        if (set_lo && set_hi) {
            if (hi < lo)
                return cli_usage_error("--partition auto: SLURM_ARRAY_TASK_MAX=%u is below "
                                       "SLURM_ARRAY_TASK_MIN=%u",
                                       hi, lo);
            if (set_n && n != hi - lo + 1)
                return cli_usage_error(
                    "--partition auto: the job array %u-%u has %u tasks, not consecutive "
                    "(SLURM_ARRAY_TASK_COUNT=%u): use --array=0-%u",
                    lo, hi, n, n, n ? n - 1 : 0);
            n = hi - lo + 1;
            how = set_n ? "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN, SLURM_ARRAY_TASK_MAX and "
                          "SLURM_ARRAY_TASK_COUNT"
                        : "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX";
        } else if (set_n) {
            how = set_lo ? "SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_COUNT"
                         : "SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT";
        } else {
            return cli_usage_error("--partition auto: SLURM_ARRAY_TASK_ID is set but neither "
                                   "SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MIN and "
                                   "SLURM_ARRAY_TASK_MAX");
        }
        if (id < lo || id - lo >= n)
            return cli_usage_error("--partition auto: SLURM_ARRAY_TASK_ID=%u is outside the "
                                   "array (%u tasks from %u)",
                                   id, n, lo);
        if (have_partitions && partitions != n)
            return cli_usage_error("--partitions %u, but the Slurm job array has %u tasks",
                                   partitions, n);
        *index = id - lo;
        *count = n;
        cli_message("partition %u of %u from %s", *index, *count, how);
        return EXIT_OK;
    }
    if (set_job) {
        if (!have_partitions)
            return cli_usage_error("--partition auto with JOB_COMPLETION_INDEX (a Kubernetes "
                                   "Indexed Job) needs --partitions N (the Job's completions)");
        if (job >= partitions)
            return cli_usage_error("--partition auto: JOB_COMPLETION_INDEX=%u is not below "
                                   "--partitions %u",
                                   job, partitions);
        *index = job;
        *count = partitions;
        cli_message("partition %u of %u from JOB_COMPLETION_INDEX and --partitions", *index,
                    *count);
        return EXIT_OK;
    }
    return cli_usage_error("--partition auto: none of SLURM_ARRAY_TASK_ID (a Slurm job array) "
                           "or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set");
}

int cli_dataset_partition(const char *arg, const char *partitions_arg, uint32_t *index,
                          uint32_t *count)
{
    uint32_t partitions = 0;
    if (partitions_arg && parse_number(partitions_arg, MS_DATASET_MAX_PARTITIONS, &partitions) != 0)
        return cli_usage_error("--partitions '%s': expected a number from 1 to %u", partitions_arg,
                               MS_DATASET_MAX_PARTITIONS);
    if (partitions_arg && partitions == 0)
        return cli_usage_error("--partitions 0: expected a number from 1 to %u",
                               MS_DATASET_MAX_PARTITIONS);
    if (!arg)
        return partitions_arg ? cli_usage_error("--partitions goes with --partition auto")
                              : EXIT_OK;
    if (strcmp(arg, "auto") == 0)
        return partition_auto(partitions, partitions_arg != NULL, index, count);
    const char *slash = strchr(arg, '/');
    char head[16];
    size_t hl = slash ? (size_t)(slash - arg) : 0;
    if (!slash || hl >= sizeof head)
        return cli_usage_error("--partition '%s': expected I/N (0 <= I < N) or auto", arg);
    memcpy(head, arg, hl);
    head[hl] = '\0';
    if (parse_number(head, MS_DATASET_MAX_PARTITIONS, index) != 0 ||
        parse_number(slash + 1, MS_DATASET_MAX_PARTITIONS, count) != 0 || *count == 0 ||
        *index >= *count)
        return cli_usage_error("--partition '%s': expected I/N with 0 <= I < N <= %u, or auto", arg,
                               MS_DATASET_MAX_PARTITIONS);
    if (partitions_arg && partitions != *count)
        return cli_usage_error("--partitions %u disagrees with --partition %s", partitions, arg);
    return EXIT_OK;
}

int cli_dataset_share_option(cli_dataset_share *s, int opt, const char *arg)
{
    switch (opt) {
    case OPT_PARTITION:
        s->partition = arg;
        return 1;
    case OPT_PARTITIONS:
        s->partitions = arg;
        return 1;
    case OPT_S3_ENDPOINT:
        s->s3_endpoint = arg;
        return 1;
    default:
        return 0;
    }
}

int cli_dataset_share_finish(cli_dataset_share *s, const char *dir)
{
    if (s->partition && !dir)
        return cli_usage_error("--partition checks a share of DIR: give DIR");
    if (s->s3_endpoint && !(dir && strncmp(dir, "s3://", 5) == 0))
        return cli_usage_error("--s3-endpoint goes with an s3://BUCKET[/PREFIX] operand");
    return cli_dataset_partition(s->partition, s->partitions, &s->index, &s->count);
}

int cli_dataset_merge(int argc, char **argv, const cli_option *table, unsigned which)
{
    const char *output = NULL;
    int opt, status = EXIT_OK;
    ms_dataset_info info;
    ms_error err;

    memset(&info, 0, sizeof info);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, table, which)) != -1) {
        switch (opt) {
        case OPT_OUTPUT:
            output = optarg;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (optind >= argc)
        return cli_usage_error("missing PART (the partial manifests to merge)");
    if (!output)
        return cli_usage_error("--output is required (the merged manifest)");
    if (ms_dataset_merge((const char *const *)&argv[optind], (size_t)(argc - optind), output, &info,
                         &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    char root[80];
    cli_format_root(info.root_digest, root);
    cli_info("Wrote %s: dataset %s, %llu file%s, %llu bytes, from %d parts\n%s\n",
             cli_quote(output), cli_quote(info.name), (unsigned long long)info.files,
             info.files == 1 ? "" : "s", (unsigned long long)info.bytes, argc - optind, root);
    if (fflush(stdout) != 0)
        status = EXIT_ENVIRONMENT;
out:
    ms_dataset_info_clear(&info);
    return status;
}
