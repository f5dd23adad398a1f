/* modelseal digest: a model's root digest only, as model_signing digest prints it. */
#include "config.h"

#include "cli.h"

const char cmd_digest_usage[] =
    "Usage: modelseal digest [OPTIONS] MODEL\n"
    "Print the model's root digest as 'sha256:<hex>' (what model_signing digest prints): SHA-256\n"
    "over the concatenated resource digests, in resource order.\n\n"
    "Options:\n" CLI_HASH_OPTIONS_HELP "  --json                 print {model, root_digest}\n"
    "  -h, --help             show this help\n";

int cmd_digest(int argc, char **argv)
{
    return cli_hash_command(argc, argv, 1);
}
