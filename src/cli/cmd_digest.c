/* modelseal digest: a model's root digest only, as model_signing digest prints it. */
#include "config.h"

#include "cli.h"

static const cli_option digest_options[] = {
    CLI_OPTION_INCLUDE(cli_hash_option_table, 0),
    {"json", 0, no_argument, NULL, "print {model, root_digest}", OPT_JSON, 0, 0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_digest_help = {
    "Usage: modelseal digest [OPTIONS] MODEL\n"
    "Print the model's root digest as 'sha256:<hex>' (what model_signing digest prints): SHA-256\n"
    "over the concatenated resource digests, in resource order.\n\n"
    "Options:\n",
    digest_options, NULL, NULL, 0};

int cmd_digest(int argc, char **argv)
{
    return cli_hash_command(argc, argv, 1);
}
