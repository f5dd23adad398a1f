/* Command-line options, each written once: a table of cli_option rows per command gives
 * getopt_long its options (cli_getopt), the OPTIONS part of --help (cli_print_help) and the
 * shell completion (cmd_completion.c); tests/cli/test_man.sh checks the man pages against it. */
#ifndef MODELSEAL_CLI_OPTIONS_H
#define MODELSEAL_CLI_OPTIONS_H

#include <getopt.h>
#include <stddef.h>

/* What getopt_long returns for each long option (cli_option.id); one name per option across
 * the program, so commands that share an option share its id. */
enum {
    /* hashing (cli_hash_option) */
    OPT_METHOD = 1000,
    OPT_SHARD_SIZE,
    OPT_ALGORITHM,
    OPT_THREADS,
    OPT_IGNORE,
    OPT_NO_IGNORE_GIT,
    OPT_ALLOW_SYMLINKS,
    OPT_PROGRESS,
    OPT_NO_PROGRESS,
    OPT_BUFFER_SIZE,
    OPT_ALLOW_LFS_POINTERS,
    OPT_FROM_LFS_POINTERS,
    /* keyless signing (cli_sigstore_option) */
    OPT_SIGSTORE,
    OPT_IDENTITY_TOKEN,
    OPT_SIGNING_CONFIG,
    OPT_SIGSTORE_STAGING,
    OPT_OIDC_CLIENT_ID,
    OPT_NO_BROWSER,
    OPT_REKOR_V2_ENTRY,
    /* the commands' own */
    OPT_JSON,
    OPT_KEY,
    OPT_PWFILE,
    OPT_SIGNATURE,
    OPT_CLAIMS,
    OPT_CERT,
    OPT_CHAIN,
    OPT_ALLOW_EMPTY,
    OPT_IDENTITY,
    OPT_ISSUER,
    OPT_TRUSTED_ROOT,
    OPT_STAGING,
    OPT_IGNORE_UNSIGNED,
    OPT_POLICY,
    OPT_INTOTO,
    OPT_BUNDLE,
    OPT_NAME,
    OPT_VERSION,
    OPT_SOURCE,
    OPT_LICENSE,
    OPT_OUTPUT,
    OPT_NO_PASSWORD,
    OPT_FORCE,
    OPT_BUILDER_ID,
    OPT_BUILD_TYPE,
    OPT_PARAMS,
    OPT_PARAM,
    OPT_GIT_REPO,
    OPT_GIT_REMOTE,
    OPT_ALLOW_DIRTY,
    OPT_NO_GIT,
    OPT_DATASET,
    OPT_BASE_MODEL,
    OPT_DEPENDENCY,
    OPT_INVOCATION_ID,
    OPT_STARTED_ON,
    OPT_FINISHED_ON,
    OPT_REPO,
    OPT_REMOTE,
    OPT_PRE_COMMIT,
    OPT_COMMIT,
    OPT_PRINT,
    OPT_DRY_RUN,
    OPT_ALLOW_KEY_CHANGE,
    OPT_STAGED,
    OPT_STDIN,
    OPT_MODEL_KEY,
    OPT_PROVENANCE_KEY,
    OPT_DATASET_KEY,
    OPT_REPOSITORY,
    OPT_FORMAT,
    OPT_SUPPLIER,
    OPT_TYPE_OF_MODEL,
    OPT_DATASET_TYPE,
    OPT_NAMESPACE,
    /* sign and verify --incremental (incremental.c) */
    OPT_INCREMENTAL,
    OPT_NO_CACHE,
    /* PKCS#11 (keygen --pkcs11) */
    OPT_PKCS11,
    /* dataset --partition, --partitions (dataset_partition.c) */
    OPT_PARTITION,
    OPT_PARTITIONS,
    /* datasets in object storage (dataset manifest/verify s3://...) */
    OPT_S3_ENDPOINT
};

/* cli_option.flags */
enum {
    CLI_JOIN = 1u << 0, /* shown on the previous row's --help line ("--progress, --no-progress");
                           the previous row carries the help text */
    CLI_PATH = 1u << 1  /* the argument is a file or directory (shell completion offers files) */
};

/* One row of a command's table, in --help order. The table ends with a row of zeros. */
typedef struct cli_option {
    const char *name;  /* long name without "--"; NULL: a text or include row */
    char short_name;   /* 'o' for -o, or 0 */
    int has_arg;       /* no_argument or required_argument */
    const char *arg;   /* the argument in --help ("KEY", "files|shards"); NULL without one */
    const char *help;  /* --help text; each '\n' starts a line at column 25. A text row's is
                          printed as it is */
    int id;            /* what cli_getopt returns for it */
    unsigned flags;    /* CLI_JOIN, CLI_PATH */
    unsigned only;     /* the subcommands that take it (bit i: subcommand i); 0: all */
    const char *label; /* the --help column instead of "--name ARG", or NULL */
    const struct cli_option *include; /* an include row: the rows of this shared table */
} cli_option;

/* The rows every table ends with: -q, --quiet (which cli_getopt takes itself, setting
 * cli_quiet) and -h, --help. */
extern const struct cli_option cli_common_options[];
#define CLI_OPTION_HELP                                                                            \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, 0, 0, 0, NULL, cli_common_options                                  \
    }
/* Set by -q/--quiet on any command: informational lines (cli_info) and progress are not
 * printed; errors, warnings and what the command exists to print (a digest, --json, a policy,
 * a log) still are. */
extern int cli_quiet;
/* --json (any command that has it) was given; --json=pretty asks for indented output (else
 * one compact line). cli_getopt sets them. */
extern int cli_json, cli_json_pretty;
/* What cli_getopt returns for --json=VALUE other than pretty (cli_option_other reports it). */
#define CLI_OPT_BAD_JSON (-2)
/* A text row (a heading or a note among the options). */
#define CLI_OPTION_TEXT(text)                                                                      \
    {                                                                                              \
        NULL, 0, 0, NULL, text, 0, 0, 0, NULL, NULL                                                \
    }
/* The rows of a shared table, for the subcommands `only`. */
#define CLI_OPTION_INCLUDE(table, only)                                                            \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, 0, 0, only, NULL, table                                            \
    }
#define CLI_OPTION_END                                                                             \
    {                                                                                              \
        NULL, 0, 0, NULL, NULL, 0, 0, 0, NULL, NULL                                                \
    }

/* The shared tables: the hashing options (cli_hash_option) and the keyless signing options
 * (cli_sigstore_option). */
extern const cli_option cli_hash_option_table[];
extern const cli_option cli_sigstore_option_table[];

/* A command's --help: `usage` (the usage lines and description, through the "Options:"
 * heading), the option table, then `footer` (or NULL). A command made of subcommands lists
 * them in `subs` (subcommand i is bit i of cli_option.only). */
struct cli_subcommand;
typedef struct cli_help {
    const char *usage;
    const cli_option *options;
    const char *footer;
    const struct cli_subcommand *subs;
    size_t n_subs;
} cli_help;

/* getopt_long over the rows of `table` that subcommand mask `which` takes (0: a command
 * without subcommands), with the short options of those rows, ':' first (missing arguments
 * are told apart, see cli_option_other). Set optind = 1 before the first call. Returns what
 * getopt_long returns: a row's id, '?', ':' or -1. Main thread only. */
int cli_getopt(int argc, char **argv, const cli_option *table, unsigned which);

/* Print the option rows of `table` as --help shows them. */
void cli_print_options(const cli_option *table);

/* Visit every option row of `table` (include rows expanded) taken by subcommand mask `which`
 * (0: every row), in order; a name met before is not visited again. */
typedef void (*cli_option_fn)(void *ctx, const cli_option *o);
void cli_options_each(const cli_option *table, unsigned which, cli_option_fn fn, void *ctx);

#endif
