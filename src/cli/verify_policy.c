/* modelseal verify --policy: verify a model's whole chain (signature, provenance, datasets,
 * code, base models) against a deployment policy and report one verdict per link.
 * cmd_verify.c hands over here when --policy is given; the library does the checking
 * (ms_chain_verify), this file parses options and renders the verdicts. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "modelseal/policy.h"

static void print_links(const ms_chain_link *links, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++) {
        const ms_chain_link *l = &links[i];
        char named[MS_ERROR_MESSAGE_MAX + 512];
        cli_info("%*s%s %s%s%s: %s\n", depth * 4, "", l->ok ? "\u2713" : "\u2717", l->link,
                 l->name ? " " : "", l->name ? cli_quote(l->name) : "",
                 cli_quote(cli_operand_named(l->reason, named, sizeof named)));
        print_links(l->links, l->n_links, depth + 1);
    }
}

static cJSON *links_json(const ms_chain_link *links, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++) {
        const ms_chain_link *l = &links[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToArray(a, o);
        cJSON_AddStringToObject(o, "link", l->link);
        if (l->name)
            cJSON_AddStringToObject(o, "name", l->name);
        else
            cJSON_AddNullToObject(o, "name");
        cJSON_AddBoolToObject(o, "ok", l->ok);
        cJSON_AddStringToObject(o, "reason", l->reason);
        if (l->n_links)
            cJSON_AddItemToObject(o, "links", links_json(l->links, l->n_links));
    }
    return a;
}

/* The report (modelseal-json(7), doc/schemas/verify-policy.schema.json): the vocabulary of
 * verify's, with the verdict of every link. */
static int report_json(const char *model, const ms_chain_result *res, int rc, const ms_error *err)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "verified", rc == 0);
    cJSON_AddItemToObject(
        o, "model",
        cli_model_json(res->model_name, res->has_digest ? res->model_digest : NULL, model));
    cJSON_AddItemToObject(o, "links", links_json(res->links, res->n_links));
    cli_diff_json(o, &res->diff);
    cli_outcome_json(o, rc, err);
    return cli_print_json(o);
}

int cli_verify_policy(int argc, char **argv)
{
    const char *policy_path = NULL;
    ms_chain_options copts;
    ms_chain_result res;
    ms_policy *policy = NULL;
    cli_progress progress;
    int json = 0, progress_mode = CLI_PROGRESS_UNSET, opt, status;
    ms_error err;

    memset(&copts, 0, sizeof copts);
    memset(&res, 0, sizeof res);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, cmd_verify_help.options, CLI_VERIFY_POLICY)) != -1) {
        switch (opt) {
        case OPT_POLICY:
            policy_path = optarg;
            break;
        case OPT_SIGNATURE:
            copts.signature_path = optarg;
            break;
        case OPT_CLAIMS:
            copts.claims_path = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_THREADS:
            if (cli_parse_threads(optarg, &copts.hash.threads) != 0)
                return cli_usage_error("--threads: expected a count from 1 to 1024, got '%s'",
                                       optarg);
            copts.dataset_threads = copts.hash.threads;
            break;
        case OPT_PROGRESS:
            progress_mode = optarg ? cli_progress_parse(optarg) : CLI_PROGRESS_BAR;
            if (progress_mode == -2)
                return cli_usage_error("--progress: expected auto, bar, plain or none, not '%s'",
                                       optarg);
            break;
        case OPT_NO_PROGRESS:
            progress_mode = 0;
            break;
        case OPT_KEY: /* the key mode's options */
        case OPT_CHAIN:
        case OPT_IDENTITY:
        case OPT_ISSUER:
        case OPT_TRUSTED_ROOT:
        case OPT_STAGING:
            return cli_usage_error("%s: trusted keys come from the policy in --policy mode",
                                   argv[optind - 1]);
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (!cli_model_operand(argc, argv, "MODEL"))
        return EXIT_USAGE;
    if (!policy_path)
        return cli_usage_error("missing --policy");
    const char *model = argv[optind];
    if (ms_policy_load(policy_path, &policy, &err) != 0)
        return cli_fail(&err);
    /* An expired policy fails its own link; one about to expire is said before the work. */
    if (!ms_policy_expired(policy, (int64_t)time(NULL)))
        cli_policy_expiry_warning(policy, (int64_t)time(NULL));

    cli_progress_start(&progress,
                       json && progress_mode < CLI_PROGRESS_BAR ? CLI_PROGRESS_NONE : progress_mode,
                       "verifying");
    copts.hash.progress = cli_progress_update;
    copts.hash.progress_ctx = &progress;
    int rc = ms_chain_verify(policy, model, &copts, &res, &err);
    cli_progress_end(&progress);
    if (rc == 0)
        cli_progress_summary(&progress, "hashed", CLI_FILES_UNKNOWN);
    if (json) {
        int jst = report_json(model, &res, rc, &err);
        status = rc ? ms_error_exit_status(rc) : jst;
        if (rc && rc != MS_EVERIFY)
            cli_fail(&err);
        goto out;
    }
    if (rc && rc != MS_EVERIFY) {
        print_links(res.links, res.n_links, 0);
        status = cli_fail(&err);
        goto out;
    }
    print_links(res.links, res.n_links, 0);
    if (rc == 0)
        cli_info("VERIFIED\n");
    else {
        cli_info("NOT VERIFIED (%zu of %zu links failed)\n", res.n_failed, res.n_links);
        char named[MS_ERROR_MESSAGE_MAX + 512];
        cli_message("%s", cli_operand_named(err.message, named, sizeof named));
    }
    status = ms_error_exit_status(rc);
out:
    ms_chain_result_clear(&res);
    ms_policy_free(policy);
    return status;
}
