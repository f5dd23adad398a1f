/* modelseal sbom: write an AI bill of materials (CycloneDX 1.6 or SPDX 3.0.1) for a model from
 * its verified evidence: model.sig and the claims file, checked with --key or a whole --policy.
 * The library collects and renders (sbom.h); this file parses options, picks the one timestamp
 * (SOURCE_DATE_EPOCH or now), reports what was left out, and writes the file atomically. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "modelseal/policy.h"
#include "modelseal/sbom.h"

static const cli_option sbom_options[] = {
    {"format", 0, required_argument, "cyclonedx|spdx", "CycloneDX 1.6 JSON, or SPDX 3.0.1 JSON-LD",
     OPT_FORMAT, 0, 0, NULL, NULL},
    {"key", 0, required_argument, "PUB",
     "trusted public key (PEM) for every claim; repeatable. The model\n"
     "is re-hashed against model.sig; a claim that names a given key\n"
     "but does not verify is a failure",
     OPT_KEY, CLI_PATH, 0, NULL, NULL},
    {"policy", 0, required_argument, "POLICY",
     "verify the whole chain against a deployment policy first\n"
     "(as verify --policy), then use its signers per role",
     OPT_POLICY, CLI_PATH, 0, NULL, NULL},
    {"output", 0, required_argument, "FILE",
     "write the document to FILE atomically (default: standard output)", OPT_OUTPUT, CLI_PATH, 0,
     NULL, NULL},
    {"signature", 0, required_argument, "SIG",
     "the model's signature (default MODEL/model.sig or MODEL.sig)", OPT_SIGNATURE, CLI_PATH, 0,
     NULL, NULL},
    {"claims", 0, required_argument, "FILE",
     "the claims file (default MODEL/claims.jsonl or MODEL.claims.jsonl)", OPT_CLAIMS, CLI_PATH, 0,
     NULL, NULL},
    {"name", 0, required_argument, "N", "the model's name (default: the signed name) and version",
     OPT_NAME, 0, 0, NULL, NULL},
    {"version", 0, required_argument, "V", NULL, OPT_VERSION, CLI_JOIN, 0, NULL, NULL},
    {"supplier", 0, required_argument, "S", "the supplying organisation", OPT_SUPPLIER, 0, 0, NULL,
     NULL},
    {"license", 0, required_argument, "ID", "the model's SPDX license expression", OPT_LICENSE, 0,
     0, NULL, NULL},
    {"type-of-model", 0, required_argument, "TEXT",
     "SPDX ai_typeOfModel (CycloneDX modelCard architectureFamily)", OPT_TYPE_OF_MODEL, 0, 0, NULL,
     NULL},
    {"dataset-type", 0, required_argument, "NAME=TYPE",
     "SPDX dataset type of dataset NAME (audio, categorical, graph,\n"
     "image, noAssertion, numeric, other, sensor, structured, syntactic,\n"
     "text, timeseries, timestamp, video); repeatable",
     OPT_DATASET_TYPE, 0, 0, NULL, NULL},
    {"namespace", 0, required_argument, "IRI",
     "SPDX element ids live under IRI (default: derived from the digest)", OPT_NAMESPACE, 0, 0,
     NULL, NULL},
    {"threads", 0, required_argument, "N", "hashing threads for the model re-hash", OPT_THREADS, 0,
     0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_sbom_help = {
    "Usage: modelseal sbom --format cyclonedx|spdx (--policy POLICY | --key PUB...)\n"
    "                      [--output FILE] [--signature SIG] [--claims FILE]\n"
    "                      [--name N] [--version V] [--supplier S] [--license ID]\n"
    "                      [--type-of-model TEXT] [--dataset-type NAME=TYPE]...\n"
    "                      [--namespace IRI] MODEL\n"
    "Write an AI bill of materials for MODEL from its signed evidence: the model signature\n"
    "(model.sig), and from the claims file the SLSA provenance (training commit, parameters,\n"
    "datasets, packages, base models) and the dataset statements. Everything is verified first;\n"
    "only claims that verify are used, claims signed by other keys are left out and listed.\n\n"
    "Options:\n",
    sbom_options,
    "The document's only time (CycloneDX metadata.timestamp, SPDX CreationInfo.created) is\n"
    "SOURCE_DATE_EPOCH when set, else now: the same evidence and options give the same bytes.\n"
    "Exit status: 0 written, 1 the evidence does not verify (nothing written), 2 usage or\n"
    "malformed input, 3 I/O error.\n",
    NULL, 0};

/* SOURCE_DATE_EPOCH (decimal seconds) or the current time. 0 or EXIT_USAGE. */
static int pick_time(int64_t *out)
{
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (!s || !*s) {
        *out = (int64_t)time(NULL);
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v < 0 || s[0] == '+' || s[0] == ' ')
        return cli_usage_error("SOURCE_DATE_EPOCH=%s: not a number of seconds since 1970", s);
    *out = (int64_t)v;
    return 0;
}

static void print_failed_links(const ms_chain_link *links, size_t n, int depth)
{
    for (size_t i = 0; i < n; i++) {
        const ms_chain_link *l = &links[i];
        if (!l->ok)
            fprintf(stderr, "  %*s\u2717 %s%s%s: %s\n", depth * 4, "", l->link, l->name ? " " : "",
                    l->name ? cli_quote(l->name) : "", cli_quote(l->reason));
        print_failed_links(l->links, l->n_links, depth + 1);
    }
}

static size_t count_bases(const ms_sbom_model *m)
{
    size_t n = m->n_bases;
    for (size_t i = 0; i < m->n_bases; i++)
        n += count_bases(&m->bases[i]);
    return n;
}

int cmd_sbom(int argc, char **argv)
{
    const char *format_text = NULL, *policy_path = NULL, *output = NULL;
    const char *sig_path = NULL, *claims_path = NULL;
    cli_keys keys = {0};
    ms_sbom_dataset_type *types = NULL;
    char **type_names = NULL;
    size_t n_types = 0;
    ms_sbom_options so;
    ms_sbom_format format = MS_SBOM_CYCLONEDX;
    ms_sbom_evidence *ev = NULL;
    ms_policy *policy = NULL;
    ms_chain_result chain_res;
    ms_buf doc = MS_BUF_INIT;
    unsigned threads = 0;
    int opt, status = EXIT_OK;
    ms_error err;

    memset(&so, 0, sizeof so);
    memset(&chain_res, 0, sizeof chain_res);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, sbom_options, 0)) != -1) {
        switch (opt) {
        case OPT_FORMAT:
            format_text = optarg;
            break;
        case OPT_KEY:
            if ((status = cli_keys_add(&keys, optarg)) != EXIT_OK)
                goto out;
            break;
        case OPT_POLICY:
            policy_path = optarg;
            break;
        case OPT_OUTPUT:
            output = optarg;
            break;
        case OPT_SIGNATURE:
            sig_path = optarg;
            break;
        case OPT_CLAIMS:
            claims_path = optarg;
            break;
        case OPT_NAME:
            so.name = optarg;
            break;
        case OPT_VERSION:
            so.version = optarg;
            break;
        case OPT_SUPPLIER:
            so.supplier = optarg;
            break;
        case OPT_LICENSE:
            so.license = optarg;
            break;
        case OPT_TYPE_OF_MODEL:
            so.type_of_model = optarg;
            break;
        case OPT_NAMESPACE:
            so.namespace_iri = optarg;
            break;
        case OPT_DATASET_TYPE: {
            const char *eq = strrchr(optarg, '=');
            if (!eq || eq == optarg || !eq[1]) {
                status = cli_usage_error("--dataset-type %s: expected NAME=TYPE", optarg);
                goto out;
            }
            ms_sbom_dataset_type *p = realloc(types, (n_types + 1) * sizeof *p);
            if (p)
                types = p;
            char **q = realloc(type_names, (n_types + 1) * sizeof *q);
            if (q)
                type_names = q;
            if (!p || !q || !(type_names[n_types] = strndup(optarg, (size_t)(eq - optarg)))) {
                cli_message("out of memory");
                status = EXIT_ENVIRONMENT;
                goto out;
            }
            types[n_types].name = type_names[n_types];
            types[n_types].type = eq + 1;
            n_types++;
            break;
        }
        case OPT_THREADS:
            if (cli_parse_threads(optarg, &threads) != 0) {
                status =
                    cli_usage_error("--threads: expected a count from 1 to 1024, got '%s'", optarg);
                goto out;
            }
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    if (!format_text) {
        status = cli_usage_error("missing --format (cyclonedx or spdx)");
        goto out;
    }
    if (ms_sbom_format_parse(format_text, &format, &err) != 0) {
        status = cli_usage_error("%s", err.message);
        goto out;
    }
    if (policy_path && keys.n) {
        status = cli_usage_error("--policy and --key exclude each other");
        goto out;
    }
    if (!policy_path && !keys.n) {
        status = cli_usage_error("give the trusted keys: --key PUB... or --policy POLICY");
        goto out;
    }
    so.dataset_types = types;
    so.n_dataset_types = n_types;
    if ((status = pick_time(&so.timestamp)) != 0)
        goto out;
    if (ms_sbom_options_check(&so, &err) != 0) {
        status = cli_usage_error("%s", err.message);
        goto out;
    }
    const char *model = argv[optind];
    int rc;
    if (policy_path) {
        ms_chain_options co;
        memset(&co, 0, sizeof co);
        co.signature_path = sig_path;
        co.claims_path = claims_path;
        co.hash.threads = threads;
        co.dataset_threads = threads;
        if (ms_policy_load(policy_path, &policy, &err) != 0) {
            status = cli_fail(&err);
            goto out;
        }
        rc = ms_sbom_collect_policy(policy, model, &co, &chain_res, &ev, &err);
        if (rc == MS_EVERIFY) {
            cli_message("%s: the chain does not verify against %s: nothing written", model,
                        policy_path);
            print_failed_links(chain_res.links, chain_res.n_links, 0);
            if (!chain_res.n_failed)
                fprintf(stderr, "  %s\n", cli_quote(err.message));
            status = EXIT_NOT_VERIFIED;
            goto out;
        }
    } else {
        ms_trust trust;
        ms_sbom_collect_options co;
        memset(&trust, 0, sizeof trust);
        memset(&co, 0, sizeof co);
        trust.keys = cli_keys_trusted(&keys);
        trust.n_keys = keys.n;
        co.signature_path = sig_path;
        co.claims_path = claims_path;
        co.model = co.provenance = co.datasets = co.base_models = (ms_sbom_signers){&trust, 1};
        co.verify_model_files = 1;
        co.hash.threads = threads;
        co.strict = 1;
        rc = ms_sbom_collect(model, &co, &ev, &err);
        if (rc == MS_EVERIFY) {
            cli_message("%s: nothing written", err.message);
            status = EXIT_NOT_VERIFIED;
            goto out;
        }
    }
    if (rc) {
        status = cli_fail(&err);
        goto out;
    }
    if (ev->n_left_out) {
        cli_message("%zu claim%s left out (not signed by a trusted key):", ev->n_left_out,
                    ev->n_left_out == 1 ? "" : "s");
        for (size_t i = 0; i < ev->n_left_out; i++)
            fprintf(stderr, "  %s\n", cli_quote(ev->left_out[i]));
    }
    char *text = NULL;
    size_t text_len = 0;
    if (ms_sbom_render(format, ev, &so, &text, &text_len, &err) != 0 ||
        cli_take(&doc, text, text_len, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (output) {
        if (msx_file_write_atomic(output, doc.data, doc.len, 0644, 0, &err) != 0) {
            status = cli_fail(&err);
            goto out;
        }
        char root[80];
        cli_format_root(ev->model.digest, root);
        cli_info("Wrote %s: %s for %s %s (%zu dataset%s, %zu package%s, %zu base model%s%s)\n",
                 cli_quote(output), format == MS_SBOM_CYCLONEDX ? "CycloneDX 1.6" : "SPDX 3.0.1",
                 cli_quote(ev->model.name), root, ev->model.n_datasets,
                 ev->model.n_datasets == 1 ? "" : "s", ev->model.n_packages,
                 ev->model.n_packages == 1 ? "" : "s", count_bases(&ev->model),
                 count_bases(&ev->model) == 1 ? "" : "s",
                 ev->model.has_provenance ? "" : "; no verified provenance");
    } else if (fwrite(doc.data, 1, doc.len, stdout) != doc.len) {
        cli_message("cannot write to standard output");
        status = EXIT_ENVIRONMENT;
    }
out:
    msx_buf_free(&doc);
    ms_sbom_evidence_free(ev);
    ms_chain_result_clear(&chain_res);
    ms_policy_free(policy);
    cli_keys_free(&keys);
    for (size_t i = 0; i < n_types; i++)
        free(type_names[i]);
    free(type_names);
    free(types);
    return status;
}
