/* modelseal attest: signed statements about a model in its claims file.
 *   attest provenance: SLSA v1 provenance (training code, datasets, base models, packages),
 *                      signed, appended with the evidence it points to;
 *   attest list:       what the claims file holds, and whether each claim verifies.
 * This file holds the help text and the dispatch; the subcommands are cmd_attest_provenance.c
 * (with attest_evidence.c) and cmd_attest_list.c. */
#include "config.h"

#include <string.h>

#include "attest.h"
#include "cli.h"

static const cli_subcommand attest_subs[] = {{"provenance", cli_attest_provenance},
                                             {"list", cli_attest_list}};

static const cli_option attest_options[] = {
    {"key", 0, required_argument, "KEY", "secret key to sign with (as modelseal sign)", OPT_KEY,
     CLI_PATH, ATTEST_PROVENANCE, NULL, NULL},
    {"password-file", 0, required_argument, "FILE",
     "the key's passphrase (else MODELSEAL_PASSWORD, else a prompt)", OPT_PWFILE, CLI_PATH,
     ATTEST_PROVENANCE, NULL, NULL},
    {"builder-id", 0, required_argument, "URI",
     "runDetails.builder.id: who ran the training (required)", OPT_BUILDER_ID, 0, ATTEST_PROVENANCE,
     NULL, NULL},
    {"build-type", 0, required_argument, "URI",
     "buildDefinition.buildType (default https://modelseal/training/v1)", OPT_BUILD_TYPE, 0,
     ATTEST_PROVENANCE, NULL, NULL},
    {"params", 0, required_argument, "FILE.json",
     "externalParameters: a JSON object (training configuration)", OPT_PARAMS, CLI_PATH,
     ATTEST_PROVENANCE, NULL, NULL},
    {"param", 0, required_argument, "KEY=VALUE",
     "add a string parameter (repeatable; replaces one of that name)", OPT_PARAM, 0,
     ATTEST_PROVENANCE, NULL, NULL},
    {"git-repo", 0, required_argument, "PATH",
     "the training code's repository (default: found from the current\n"
     "directory)",
     OPT_GIT_REPO, CLI_PATH, ATTEST_PROVENANCE, NULL, NULL},
    {"git-remote", 0, required_argument, "NAME",
     "the remote whose URL is recorded (default origin)", OPT_GIT_REMOTE, 0, ATTEST_PROVENANCE,
     NULL, NULL},
    {"allow-dirty", 0, no_argument, NULL,
     "accept uncommitted changes or untracked files (recorded as dirty)", OPT_ALLOW_DIRTY, 0,
     ATTEST_PROVENANCE, NULL, NULL},
    {"no-git", 0, no_argument, NULL, "record no code dependency", OPT_NO_GIT, 0, ATTEST_PROVENANCE,
     NULL, NULL},
    {"dataset", 0, required_argument, "MANIFEST[=SIG]",
     "a dataset manifest and its signature (default MANIFEST.sig when\n"
     "present); repeatable",
     OPT_DATASET, CLI_PATH, ATTEST_PROVENANCE, NULL, NULL},
    {"base-model", 0, required_argument, "PATH",
     "a base model: a directory with model.sig, or a .sig file;\n"
     "repeatable",
     OPT_BASE_MODEL, CLI_PATH, ATTEST_PROVENANCE, NULL, NULL},
    {"dependency", 0, required_argument, "URI[=sha256:HEX]",
     "a package (e.g. pkg:pypi/torch@2.5.1); repeatable", OPT_DEPENDENCY, 0, ATTEST_PROVENANCE,
     NULL, NULL},
    {"invocation-id", 0, required_argument, "ID", "runDetails.metadata.invocationId",
     OPT_INVOCATION_ID, 0, ATTEST_PROVENANCE, NULL, NULL},
    {"started-on", 0, required_argument, "RFC3339", "start of the training (default: now)",
     OPT_STARTED_ON, 0, ATTEST_PROVENANCE, NULL, NULL},
    {"finished-on", 0, required_argument, "RFC3339", "end of the training (default: now)",
     OPT_FINISHED_ON, 0, ATTEST_PROVENANCE, NULL, NULL},
    {"signature", 0, required_argument, "SIG",
     "the model's signature (default MODEL/model.sig or MODEL.sig)", OPT_SIGNATURE, CLI_PATH,
     ATTEST_PROVENANCE, NULL, NULL},
    {"claims", 0, required_argument, "FILE", "the claims file to append to", OPT_CLAIMS, CLI_PATH,
     ATTEST_PROVENANCE, NULL, NULL},
    CLI_OPTION_INCLUDE(cli_sigstore_option_table, ATTEST_PROVENANCE),
    CLI_OPTION_TEXT("list options:\n"),
    {"key", 0, required_argument, "PUB",
     "trusted public key (repeatable): check each claim's signature", OPT_KEY, CLI_PATH,
     ATTEST_LIST, NULL, NULL},
    {"json", 0, no_argument, NULL, "print a JSON array", OPT_JSON, 0, ATTEST_LIST, NULL, NULL},
    {"claims", 0, required_argument, "FILE", "the claims file to read", OPT_CLAIMS, CLI_PATH,
     ATTEST_LIST, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_attest_help = {
    "Usage: modelseal attest provenance --key KEY --builder-id URI [OPTIONS] MODEL\n"
    "       modelseal attest provenance --sigstore --builder-id URI [OPTIONS] MODEL\n"
    "       modelseal attest list [--key PUB]... [--json] [--claims FILE] MODEL\n"
    "provenance: sign a SLSA v1 provenance statement about MODEL (its subject is the model as\n"
    "its signature names it: sign the model first) and append it to the claims file, with\n"
    "copies of the evidence it depends on (dataset signatures, base models' model.sig and\n"
    "claims). The claims file is MODEL/claims.jsonl for a directory (never hashed),\n"
    "MODEL.claims.jsonl beside a single file. list: show each claim: line, predicate type,\n"
    "subject, signer and, with --key, whether its signature verifies.\n\n"
    "provenance options:\n",
    attest_options, NULL, attest_subs, sizeof attest_subs / sizeof attest_subs[0]};

int cmd_attest(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "attest", &cmd_attest_help);
}
