/* modelseal policy: validate a deployment policy and say what it requires, link by link
 * (check), or print a starter policy (init). The format is modelseal-policy(5). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"

static int policy_check(int argc, char **argv);
static int policy_init(int argc, char **argv);
static const cli_subcommand policy_subs[] = {{"check", policy_check}, {"init", policy_init}};
enum { CHECK = 1u << 0, INIT = 1u << 1 }; /* bits of policy_subs */

static const cli_option policy_options[] = {
    {"model-key", 0, required_argument, "PUB", "public key that signs the model (model.sig)",
     OPT_MODEL_KEY, CLI_PATH, INIT, NULL, NULL},
    {"provenance-key", 0, required_argument, "PUB", "public key that signs provenance statements",
     OPT_PROVENANCE_KEY, CLI_PATH, INIT, NULL, NULL},
    {"builder-id", 0, required_argument, "URI", "the builder allowed to produce the model",
     OPT_BUILDER_ID, 0, INIT, NULL, NULL},
    {"dataset-key", 0, required_argument, "PUB", "public key that signs dataset manifests",
     OPT_DATASET_KEY, CLI_PATH, INIT, NULL, NULL},
    {"repository", 0, required_argument, "PATH", "local clone of the training code", OPT_REPOSITORY,
     CLI_PATH, INIT, NULL, NULL},
    {"ignore", 0, required_argument, "PATH",
     "a path the verifier leaves out of the model (model.ignore); repeatable", OPT_IGNORE, 0, INIT,
     NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_policy_help = {
    "Usage: modelseal policy check POLICY\n"
    "       modelseal policy init --model-key PUB [--provenance-key PUB --builder-id URI]\n"
    "                             [--dataset-key PUB] [--repository PATH] [--ignore PATH]...\n"
    "Deployment policies for 'modelseal verify --policy' (see modelseal-policy(5)).\n\n"
    "check  validate POLICY (every field, every key file) and print what each link of the\n"
    "       chain will require; warns when it has expired or expires within 30 days\n"
    "init   print a starter policy: the model must be signed by the --model-key; with\n"
    "       --provenance-key a SLSA provenance by that key from --builder-id is required;\n"
    "       with --dataset-key its datasets must be signed by that key; with --repository\n"
    "       (a local clone) the training commit must be on its current branch; each --ignore\n"
    "       PATH is left out of the model when it is verified (model.ignore). It expires in\n"
    "       one year. Paths are written as given and read relative to the policy file's\n"
    "       directory.\n\n"
    "Options:\n",
    policy_options, "Exit status: 0 valid, 2 invalid or unreadable policy or key.\n", policy_subs,
    sizeof policy_subs / sizeof policy_subs[0]};

static void print_list(const char *label, const ms_policy_strings *s)
{
    printf("%s", label);
    for (size_t i = 0; i < s->n; i++)
        printf("%s%s", i ? ", " : "", cli_quote(s->items[i]));
    printf("\n");
}

static void print_signers(const char *indent, const ms_policy_signers *s)
{
    print_list(indent, &s->names);
}

static int policy_check(int argc, char **argv)
{
    ms_policy *p = NULL;
    ms_error err;
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, policy_options, CHECK)) != -1) {
        return cli_option_other(opt, argv);
    }
    if (!cli_operand(argc, argv, "POLICY"))
        return EXIT_USAGE;
    if (ms_policy_load(argv[optind], &p, &err) != 0)
        return cli_fail(&err);

    int64_t now = (int64_t)time(NULL);
    printf("%s: valid policy (version 1)\n", cli_quote(argv[optind]));
    printf("keys:\n");
    for (size_t i = 0; i < p->n_keys; i++) {
        const ms_policy_key *k = &p->keys[i];
        if (k->key) {
            char hint[65];
            if (ms_key_hint(k->key, hint) != 0)
                hint[0] = '\0';
            printf("  %s: %s public key %s (hint %.16s)\n", cli_quote(k->name),
                   ms_key_type_name(ms_key_get_type(k->key)), cli_quote(k->path), hint);
        } else if (k->sigstore_root)
            printf("  %s: Sigstore identity %s from %s, trusted root %s\n", cli_quote(k->name),
                   cli_quote(k->identity), cli_quote(k->issuer), cli_quote(k->path));
        else
            printf("  %s: certificate chain %s (%zu certificate%s), identity %s\n",
                   cli_quote(k->name), cli_quote(k->path), ms_x509_chain_count(k->roots),
                   ms_x509_chain_count(k->roots) == 1 ? "" : "s", cli_quote(k->identity));
    }
    printf("links:\n");
    if (p->has_expires)
        printf("  policy: current until %s\n", cli_quote(p->expires_text));
    else
        printf("  policy: no expiry date\n");
    print_signers("  model: model.sig signed by one of: ", &p->model_signers);
    printf("         every file re-hashed against it\n");
    if (p->model_ignore.n)
        print_list("         leaving out (model.ignore): ", &p->model_ignore);
    if (!p->has_provenance)
        printf("  provenance: not required by the policy\n");
    else {
        printf("  provenance: %s; SLSA v1 for the model's digest\n",
               p->provenance_required ? "required" : "checked when present");
        print_signers("    signed by one of: ", &p->provenance_signers);
        print_list("    builder.id in: ", &p->builder_ids);
        if (p->has_build_types)
            print_list("    buildType in: ", &p->build_types);
        if (p->has_allowed_parameters)
            print_list("    externalParameters keys within: ", &p->allowed_parameters);
    }
    if (!p->has_datasets)
        printf("  dataset: not required by the policy\n");
    else {
        printf("  dataset: every dataset of the provenance has a signed statement\n");
        print_signers("    signed by one of: ", &p->dataset_signers);
        if (p->datasets_required.n)
            print_list("    required: ", &p->datasets_required);
        for (size_t i = 0; i < p->n_datasets_data; i++)
            printf("    %s: manifest %s, data %s re-hashed\n", cli_quote(p->datasets_data[i].name),
                   cli_quote(p->datasets_data[i].manifest), cli_quote(p->datasets_data[i].path));
    }
    if (!p->has_code)
        printf("  code: not required by the policy\n");
    else {
        printf("  code: %s; exactly one code dependency\n",
               p->code_required ? "required" : "checked when present");
        print_list("    uri in: ", &p->code_uris);
        print_list("    ref matching: ", &p->code_refs);
        printf("    dirty working tree: %s\n", p->allow_dirty ? "allowed" : "refused");
        if (p->code_repository)
            printf("    commit reachable from a matching ref in %s\n",
                   cli_quote(p->code_repository));
        else
            printf("    commit not checked against a repository\n");
    }
    if (!p->has_base_model)
        printf("  base-model: not required by the policy\n");
    else {
        printf("  base-model: %s; each base model has a signature\n",
               p->base_model_required ? "required" : "checked when present");
        print_signers("    signed by one of: ", &p->base_model_signers);
        printf("    provenance %s; at most %u level%s deep\n",
               p->require_provenance ? "required (followed recursively)" : "followed when present",
               p->max_depth, p->max_depth == 1 ? "" : "s");
    }
    cli_policy_expiry_warning(p, now);
    ms_policy_free(p);
    return EXIT_OK;
}

/* A JSON string literal for s (escaped). */
static int add_json_string(ms_buf *b, const char *s)
{
    cJSON *item = cJSON_CreateString(s);
    char *text = item ? cJSON_PrintUnformatted(item) : NULL;
    int rc = text ? msx_buf_append_str(b, text) : MS_ENOMEM;
    free(text);
    cJSON_Delete(item);
    return rc;
}

/* Check a public key file; exit status. */
static int check_key(const char *path)
{
    ms_key *k = NULL;
    ms_error err;
    if (ms_key_load_public(path, &k, &err) != 0)
        return cli_fail(&err);
    ms_key_free(k);
    return EXIT_OK;
}

static int policy_init(int argc, char **argv)
{
    const char *model_key = NULL, *prov_key = NULL, *data_key = NULL, *builder = NULL, *repo = NULL;
    const char *ignores[64];
    size_t n_ignores = 0;
    ms_git_info git;
    ms_buf b = MS_BUF_INIT;
    ms_policy *check = NULL;
    ms_error err;
    int opt, status = EXIT_OK, rc = 0;
    memset(&git, 0, sizeof git);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, policy_options, INIT)) != -1) {
        switch (opt) {
        case OPT_MODEL_KEY:
            model_key = optarg;
            break;
        case OPT_PROVENANCE_KEY:
            prov_key = optarg;
            break;
        case OPT_DATASET_KEY:
            data_key = optarg;
            break;
        case OPT_BUILDER_ID:
            builder = optarg;
            break;
        case OPT_REPOSITORY:
            repo = optarg;
            break;
        case OPT_IGNORE:
            if (n_ignores == sizeof ignores / sizeof ignores[0])
                return cli_usage_error("more than %zu --ignore paths", n_ignores);
            ignores[n_ignores++] = optarg;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (argc != optind)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!model_key)
        return cli_usage_error("missing --model-key");
    if (prov_key && !builder)
        return cli_usage_error("--provenance-key needs --builder-id (the allowed builder)");
    if (!prov_key && (builder || data_key || repo))
        return cli_usage_error("%s needs --provenance-key (it is checked against the provenance)",
                               builder    ? "--builder-id"
                               : data_key ? "--dataset-key"
                                          : "--repository");
    if ((status = check_key(model_key)) != 0 || (prov_key && (status = check_key(prov_key))) ||
        (data_key && (status = check_key(data_key))))
        return status;
    if (repo && ms_git_info_load(repo, NULL, &git, &err) != 0)
        return cli_fail(&err);

    char expires[32];
    time_t later = time(NULL) + 365 * 86400;
    struct tm tm;
    gmtime_r(&later, &tm);
    strftime(expires, sizeof expires, "%Y-%m-%dT00:00:00Z", &tm);
    rc |= msx_buf_printf(&b,
                         "{\n  \"version\": 1,\n  \"expires\": \"%s\",\n  \"keys\": {\n"
                         "    \"release\": {\"public_key\": ",
                         expires);
    rc |= add_json_string(&b, model_key);
    rc |= msx_buf_append_str(&b, "}");
    if (prov_key) {
        rc |= msx_buf_append_str(&b, ",\n    \"ci\": {\"public_key\": ");
        rc |= add_json_string(&b, prov_key);
        rc |= msx_buf_append_str(&b, "}");
    }
    if (data_key) {
        rc |= msx_buf_append_str(&b, ",\n    \"data\": {\"public_key\": ");
        rc |= add_json_string(&b, data_key);
        rc |= msx_buf_append_str(&b, "}");
    }
    rc |= msx_buf_append_str(&b, "\n  },\n  \"model\": {\"signers\": [\"release\"]");
    if (n_ignores) {
        rc |= msx_buf_append_str(&b, ", \"ignore\": [");
        for (size_t i = 0; i < n_ignores; i++) {
            rc |= msx_buf_append_str(&b, i ? ", " : "");
            rc |= add_json_string(&b, ignores[i]);
        }
        rc |= msx_buf_append_str(&b, "]");
    }
    rc |= msx_buf_append_str(&b, "}");
    if (prov_key) {
        rc |= msx_buf_append_str(&b, ",\n  \"provenance\": {\"required\": true, \"signers\": "
                                     "[\"ci\"], \"builder_ids\": [");
        rc |= add_json_string(&b, builder);
        rc |= msx_buf_append_str(&b, "]}");
    }
    if (data_key)
        rc |= msx_buf_append_str(&b, ",\n  \"datasets\": {\"signers\": [\"data\"], "
                                     "\"required\": []}");
    if (repo) {
        ms_buf uri = MS_BUF_INIT;
        rc |= msx_buf_printf(&uri, "git+%s", git.url);
        rc |= msx_buf_append_str(&b, ",\n  \"code\": {\"required\": true, \"uris\": [");
        rc |= add_json_string(&b, uri.data ? (const char *)uri.data : "");
        rc |= msx_buf_append_str(&b, "], \"refs\": [");
        rc |= add_json_string(&b, git.ref ? git.ref : "refs/heads/main");
        rc |= msx_buf_append_str(&b, "],\n           \"repository\": ");
        rc |= add_json_string(&b, repo);
        rc |= msx_buf_append_str(&b, ", \"allow_dirty\": false}");
        msx_buf_free(&uri);
    }
    rc |= msx_buf_append_str(&b, "\n}\n");
    if (rc) {
        cli_message("out of memory");
        status = EXIT_ENVIRONMENT;
        goto out;
    }
    /* What we print must be a valid policy (keys resolved from the current directory). */
    if (ms_policy_parse(b.data, b.len, "starter policy", NULL, &check, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    fputs((const char *)b.data, stdout);
    cli_message("the policy expires at %s, a year from now (its \"expires\" field)", expires);
out:
    ms_policy_free(check);
    ms_git_info_clear(&git);
    msx_buf_free(&b);
    return status;
}

int cmd_policy(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "policy", &cmd_policy_help);
}
