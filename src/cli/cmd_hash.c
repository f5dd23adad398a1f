/* modelseal hash: every resource digest of a model in sha256sum format, then the root. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const cli_option hash_options[] = {
    CLI_OPTION_INCLUDE(cli_hash_option_table, 0),
    {"json", 0, no_argument, NULL,
     "print {model, root_digest, serialization, resources,\nhard_links}", OPT_JSON, 0, 0, NULL,
     NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_hash_help = {
    "Usage: modelseal hash [OPTIONS] MODEL\n"
    "Hash a model file or directory and print one line per resource, '<hexdigest>  <name>'\n"
    "(the format of sha256sum), then the root digest line 'sha256:<hex>  <model name>'.\n"
    "A name with a backslash, newline or carriage return is written as sha256sum does:\n"
    "the line starts with '\\' and they appear as '\\\\', '\\n' and '\\r'.\n\n"
    "Options:\n",
    hash_options, NULL, NULL, 0};

static cJSON *manifest_json(const ms_manifest *m, const char *path)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ser = cli_json_take(ms_serialization_json(&m->serialization));
    cJSON *res = cli_json_take(ms_resources_json(m));
    if (!o || !ser || !res ||
        !cJSON_AddItemToObject(o, "model", cli_model_json(m->model_name, m->root_digest, path))) {
        cJSON_Delete(o);
        cJSON_Delete(ser);
        cJSON_Delete(res);
        return NULL;
    }
    cJSON_AddItemToObject(o, "serialization", ser);
    cJSON_AddItemToObject(o, "resources", res);
    return o;
}

/* "<digest>  <name>" as GNU sha256sum (coreutils 9.1) writes it, so that `sha256sum -c` and
 * `b2sum -c` read the name back: a name with a backslash, newline or carriage return starts the
 * line with a backslash and has them as \\, \n and \r; every other byte is written as it is,
 * as sha256sum does (its -c reads no other escape). These lines are a checksum file: --json is
 * the form for other readers, and every other command quotes names (cli_quote). */
static void print_sum_line(const char *digest, const char *name)
{
    int escaped = strpbrk(name, "\\\n\r") != NULL;
    printf("%s%s  ", escaped ? "\\" : "", digest);
    for (const char *p = name; *p; p++) {
        if (escaped && (*p == '\\' || *p == '\n' || *p == '\r')) {
            putchar('\\');
            putchar(*p == '\\' ? '\\' : *p == '\n' ? 'n' : 'r');
        } else {
            putchar(*p);
        }
    }
    putchar('\n');
}

int cli_hash_command(int argc, char **argv, int digest_only)
{
    cli_hash_options ho;
    cli_progress progress;
    ms_manifest *m = NULL;
    ms_error err;
    int json = 0, opt, status = EXIT_OK;

    ms_error_clear(&err);
    cli_hash_options_init(&ho);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, (digest_only ? &cmd_digest_help : &cmd_hash_help)->options,
                             0)) != -1) {
        int handled = cli_hash_option(&ho, opt, optarg);
        if (handled < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (handled)
            continue;
        if (opt == OPT_JSON) {
            json = 1;
        } else {
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_model_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    const char *model = argv[optind];
    if ((status = cli_hash_options_finish(&ho, model)) != 0 ||
        (status = cli_hash_options_lfs(&ho, 1)) != 0)
        goto out;
    cli_progress_start(&progress,
                       json && ho.progress < CLI_PROGRESS_BAR ? CLI_PROGRESS_NONE : ho.progress,
                       "hashing");
    ho.opts.progress = cli_progress_update;
    ho.opts.progress_ctx = &progress;
    int rc = ms_manifest_build(model, &ho.ser, &ho.opts, &m, &err);
    cli_progress_end(&progress);
    if (rc) {
        status = cli_fail(&err);
        goto out;
    }
    cli_progress_summary(&progress, "hashed", cli_manifest_files(m));
    char root[80];
    cli_format_root(m->root_digest, root);
    if (json) {
        cJSON *o = manifest_json(m, model);
        if (digest_only) {
            cJSON_DeleteItemFromObject(o, "resources");
            cJSON_DeleteItemFromObject(o, "serialization");
        } else if (o) {
            cJSON *links = cli_hard_links_json(&ho.links);
            if (!links || !cJSON_AddItemToObject(o, "hard_links", links)) {
                cJSON_Delete(links);
                cJSON_Delete(o);
                o = NULL;
            }
        }
        status = cli_print_json(o);
    } else if (digest_only) {
        printf("%s\n", root);
    } else {
        char hex[MS_HASH_MAX_SIZE * 2 + 1];
        for (size_t i = 0; i < m->n_resources; i++) {
            msx_hex_encode(m->resources[i].digest, m->resources[i].digest_len, hex);
            print_sum_line(hex, m->resources[i].name);
        }
        print_sum_line(root, m->model_name);
    }
out:
    ms_manifest_free(m);
    cli_hash_options_free(&ho);
    return status;
}

int cmd_hash(int argc, char **argv)
{
    return cli_hash_command(argc, argv, 0);
}
