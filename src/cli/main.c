/* modelseal: the command table and dispatch. Each command lives in cmd_<name>.c. */
#include "config.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <getopt.h>

#include "cli.h"

static int cmd_help(int argc, char **argv);
static const cli_help cmd_help_help = {"Usage: modelseal help [COMMAND]\n"
                                       "Show the list of commands, or one command's help.\n",
                                       NULL, NULL, NULL, 0};

const cli_command cli_commands[] = {
    {"hash", cmd_hash, "print the digest of every file (or shard) of a model, then its root",
     &cmd_hash_help},
    {"digest", cmd_digest, "print a model's root digest (sha256:<hex>)", &cmd_digest_help},
    {"keygen", cmd_keygen, "make a signing key pair (Ed25519 or ECDSA P-256)", &cmd_keygen_help},
    {"sign", cmd_sign, "sign a model: write its OMS signature (model.sig)", &cmd_sign_help},
    {"verify", cmd_verify, "verify a model against its signature", &cmd_verify_help},
    {"policy", cmd_policy, "check a deployment policy, or print a starter one", &cmd_policy_help},
    {"blob", cmd_blob, "sign or verify a single file as any Sigstore client does", &cmd_blob_help},
    {"inspect", cmd_inspect, "show what a signature bundle says (without verifying it)",
     &cmd_inspect_help},
    {"dataset", cmd_dataset, "dataset manifests: manifest, sign, verify", &cmd_dataset_help},
    {"attest", cmd_attest, "attestations in the claims file: provenance, list", &cmd_attest_help},
    {"sbom", cmd_sbom,
     "write an AI bill of materials (CycloneDX 1.6 or SPDX 3.0.1) from the verified chain",
     &cmd_sbom_help},
    {"lineage", cmd_lineage, "lineage in git: record, log, find, check model and dataset versions",
     &cmd_lineage_help},
    {"hooks", cmd_hooks, "install or remove the git hooks that record lineage and check pushes",
     &cmd_hooks_help},
    {"completion", cmd_completion, "print a bash or zsh completion script", &cmd_completion_help},
    {"help", cmd_help, "show help for a command", &cmd_help_help},
};
const size_t cli_commands_count = sizeof cli_commands / sizeof cli_commands[0];

static void print_main_help(void)
{
    printf("Usage: modelseal [--version] [--help] COMMAND [ARGS]\n"
           "Sign ML model files and verify where they came from.\n\nCommands:\n");
    for (size_t i = 0; i < cli_commands_count; i++)
        printf("  %-10s %s\n", cli_commands[i].name, cli_commands[i].summary);
    printf("\nRun 'modelseal COMMAND --help' or 'modelseal help COMMAND' for a command's options.\n"
           "Exit status: 0 success or verified, 1 verification failed, 2 usage or input error,\n"
           "3 environment error (I/O, network). See modelseal(1).\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
        return cli_print_help("help");
    if (argc > 2)
        return cli_usage_error("too many arguments");
    if (argc == 2)
        return cli_print_help(argv[1]);
    print_main_help();
    return EXIT_OK;
}

int main(int argc, char **argv)
{
    opterr = 0; /* commands report option errors in one line of their own */
    /* Past a file size limit, write() fails with EFBIG and the command reports the file (exit
     * 3), instead of dying half-way with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2) {
        print_main_help();
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("modelseal %s\n", ms_version());
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_main_help();
        return EXIT_OK;
    }
    for (size_t i = 0; i < cli_commands_count; i++) {
        if (strcmp(cli_commands[i].name, argv[1]) == 0) {
            cli_current = cli_commands[i].name;
            int rc = cli_commands[i].run(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == EXIT_OK) {
                cli_message("cannot write to standard output");
                rc = EXIT_ENVIRONMENT;
            }
            return rc;
        }
    }
    cli_nearest near;
    cli_nearest_init(&near, argv[1]);
    for (size_t i = 0; i < cli_commands_count; i++)
        cli_nearest_offer(&near, cli_commands[i].name);
    if (near.name)
        fprintf(stderr,
                "modelseal: unknown command '%s'; did you mean '%s'? (see 'modelseal --help')\n",
                cli_quote(argv[1]), near.name);
    else
        fprintf(stderr, "modelseal: unknown command '%s' (see 'modelseal --help')\n",
                cli_quote(argv[1]));
    return EXIT_USAGE;
}
