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

const char cmd_attest_usage[] =
    "Usage: modelseal attest provenance --key KEY --builder-id URI [OPTIONS] MODEL\n"
    "       modelseal attest provenance --sigstore --builder-id URI [OPTIONS] MODEL\n"
    "       modelseal attest list [--key PUB]... [--json] [--claims FILE] MODEL\n"
    "provenance: sign a SLSA v1 provenance statement about MODEL (its subject is the model as\n"
    "its signature names it: sign the model first) and append it to the claims file, with\n"
    "copies of the evidence it depends on (dataset signatures, base models' model.sig and\n"
    "claims). The claims file is MODEL/claims.jsonl for a directory (never hashed),\n"
    "MODEL.claims.jsonl beside a single file. list: show each claim: line, predicate type,\n"
    "subject, signer and, with --key, whether its signature verifies.\n\n"
    "provenance options:\n"
    "  --key KEY              secret key to sign with (as modelseal sign)\n"
    "  --password-file FILE   the key's passphrase (else MODELSEAL_PASSWORD, else a prompt)\n"
    "  --builder-id URI       runDetails.builder.id: who ran the training (required)\n"
    "  --build-type URI       buildDefinition.buildType (default https://modelseal/training/v1)\n"
    "  --params FILE.json     externalParameters: a JSON object (training configuration)\n"
    "  --param KEY=VALUE      add a string parameter (repeatable; replaces one of that name)\n"
    "  --git-repo PATH        the training code's repository (default: found from the current\n"
    "                         directory)\n"
    "  --git-remote NAME      the remote whose URL is recorded (default origin)\n"
    "  --allow-dirty          accept uncommitted changes or untracked files (recorded as dirty)\n"
    "  --no-git               record no code dependency\n"
    "  --dataset MANIFEST[=SIG]  a dataset manifest and its signature (default MANIFEST.sig when\n"
    "                         present); repeatable\n"
    "  --base-model PATH      a base model: a directory with model.sig, or a .sig file;\n"
    "                         repeatable\n"
    "  --dependency URI[=sha256:HEX]  a package (e.g. pkg:pypi/torch@2.5.1); repeatable\n"
    "  --invocation-id ID     runDetails.metadata.invocationId\n"
    "  --started-on RFC3339   start of the training (default: now)\n"
    "  --finished-on RFC3339  end of the training (default: now)\n"
    "  --signature SIG        the model's signature (default MODEL/model.sig or MODEL.sig)\n"
    "  --claims FILE          the claims file to append to\n" CLI_SIGSTORE_OPTIONS_HELP
    "list options:\n"
    "  --key PUB              trusted public key (repeatable): check each claim's signature\n"
    "  --json                 print a JSON array\n"
    "  --claims FILE          the claims file to read\n"
    "  -h, --help             show this help\n";

int cmd_attest(int argc, char **argv)
{
    static const cli_subcommand subs[] = {{"provenance", cli_attest_provenance},
                                          {"list", cli_attest_list}};
    return cli_dispatch(argc, argv, "attest", subs, sizeof subs / sizeof subs[0]);
}
