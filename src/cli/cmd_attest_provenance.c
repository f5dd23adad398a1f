/* modelseal attest provenance: sign a SLSA v1 provenance statement about a signed model and
 * append it to the claims file with the evidence it points to (attest_evidence.c reads it). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "attest.h"
#include "cli.h"
#include "modelseal/claims.h"
#include "modelseal/provenance.h"

#define MAX_PARAMS_FILE ((size_t)16 << 20)

typedef struct provenance_args {
    const char *key_path, *builder_id, *build_type, *params_path, *git_repo, *git_remote;
    const char *invocation_id, *started_on, *finished_on, *sig_arg, *claims_arg;
    int allow_dirty, no_git;
    attest_strlist params, datasets, base_models, dependencies; /* borrowed argv strings */
    cli_passphrase_source pw;
} provenance_args;

/* Everything the statement records, gathered from the arguments (no key needed yet). */
static int gather(const provenance_args *a, ms_provenance *p, attest_strlist *lines, ms_error *err)
{
    int rc = 0;
    ms_buf params = MS_BUF_INIT;
    ms_git_info git;
    char ts[64];

    memset(&git, 0, sizeof git);
    if ((rc = ms_provenance_set_string(&p->builder_id, a->builder_id, err)) != 0)
        goto out;
    if (a->build_type && (rc = ms_provenance_set_string(&p->build_type, a->build_type, err)) != 0)
        goto out;
    if (a->params_path) {
        if ((rc = msx_file_read(a->params_path, MAX_PARAMS_FILE, &params, err)) != 0 ||
            (rc = ms_provenance_set_parameters(p, params.data, params.len, a->params_path, err)) !=
                0)
            goto out;
    }
    for (size_t i = 0; i < a->params.n; i++)
        if ((rc = ms_provenance_add_parameter(p, a->params.items[i], err)) != 0)
            goto out;
    if (a->invocation_id &&
        (rc = ms_provenance_set_string(&p->invocation_id, a->invocation_id, err)) != 0)
        goto out;
    const char *times[2] = {a->started_on, a->finished_on};
    char **fields[2] = {&p->started_on, &p->finished_on};
    const char *names[2] = {"--started-on", "--finished-on"};
    for (int i = 0; i < 2; i++) {
        if (times[i])
            rc = ms_provenance_rfc3339_utc(times[i], names[i], ts, err);
        else
            ms_provenance_now(ts);
        if (rc != 0 || (rc = ms_provenance_set_string(fields[i], ts, err)) != 0)
            goto out;
    }
    if (!a->no_git) {
        if ((rc = ms_git_info_load(a->git_repo, a->git_remote, &git, err)) != 0)
            goto out;
        if (git.dirty && !a->allow_dirty) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%s: the working tree has uncommitted changes or untracked files: "
                              "commit them, or pass --allow-dirty",
                              git.path);
            goto out;
        }
        if ((rc = ms_provenance_add_code(p, &git, err)) != 0)
            goto out;
    }
    for (size_t i = 0; i < a->datasets.n; i++)
        if ((rc = attest_add_dataset(p, a->datasets.items[i], lines, err)) != 0)
            goto out;
    for (size_t i = 0; i < a->base_models.n; i++)
        if ((rc = attest_add_base_model(p, a->base_models.items[i], lines, err)) != 0)
            goto out;
    for (size_t i = 0; i < a->dependencies.n; i++) {
        char *uri = NULL, *hex = NULL;
        rc = ms_provenance_split_dependency(a->dependencies.items[i], &uri, &hex, err);
        if (rc == 0)
            rc = ms_provenance_add_package(p, uri, hex, err);
        free(uri);
        free(hex);
        if (rc != 0)
            goto out;
    }
out:
    ms_git_info_clear(&git);
    msx_buf_free(&params);
    return rc;
}

int cli_attest_provenance(int argc, char **argv)
{
    provenance_args a;
    cli_sigstore_options sso = {0};
    char *identity = NULL;
    attest_strlist lines = {0};
    ms_provenance *p = NULL;
    ms_claims *existing = NULL;
    ms_key *key = NULL;
    ms_buf payload = MS_BUF_INIT, bundle = MS_BUF_INIT;
    char *sig_path = NULL, *claims_path = NULL, *model_line = NULL, *name = NULL;
    size_t model_line_len = 0;
    uint8_t root[MS_SHA256_SIZE];
    int opt, status = EXIT_OK;
    ms_error err;

    memset(&a, 0, sizeof a);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, cmd_attest_help.options, ATTEST_PROVENANCE)) != -1) {
        attest_strlist *list = NULL;
        if (cli_sigstore_option(&sso, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KEY:
            a.key_path = optarg;
            break;
        case OPT_PWFILE:
            a.pw.password_file = optarg;
            break;
        case OPT_BUILDER_ID:
            a.builder_id = optarg;
            break;
        case OPT_BUILD_TYPE:
            a.build_type = optarg;
            break;
        case OPT_PARAMS:
            a.params_path = optarg;
            break;
        case OPT_PARAM:
            list = &a.params;
            break;
        case OPT_GIT_REPO:
            a.git_repo = optarg;
            break;
        case OPT_GIT_REMOTE:
            a.git_remote = optarg;
            break;
        case OPT_ALLOW_DIRTY:
            a.allow_dirty = 1;
            break;
        case OPT_NO_GIT:
            a.no_git = 1;
            break;
        case OPT_DATASET:
            list = &a.datasets;
            break;
        case OPT_BASE_MODEL:
            list = &a.base_models;
            break;
        case OPT_DEPENDENCY:
            list = &a.dependencies;
            break;
        case OPT_INVOCATION_ID:
            a.invocation_id = optarg;
            break;
        case OPT_STARTED_ON:
            a.started_on = optarg;
            break;
        case OPT_FINISHED_ON:
            a.finished_on = optarg;
            break;
        case OPT_SIGNATURE:
            a.sig_arg = optarg;
            break;
        case OPT_CLAIMS:
            a.claims_arg = optarg;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
        if (list && attest_strlist_add(list, optarg, strlen(optarg)) != 0) {
            status = cli_out_of_memory();
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    if ((status = cli_sigstore_check(&sso, a.key_path != NULL)) != EXIT_OK)
        goto out;
    if (!a.builder_id || !a.builder_id[0]) {
        status = cli_usage_error("--builder-id is required (runDetails.builder.id)");
        goto out;
    }
    if (a.no_git && (a.allow_dirty || a.git_repo || a.git_remote)) {
        status = cli_usage_error("--no-git excludes --allow-dirty, --git-repo and --git-remote");
        goto out;
    }
    const char *model = argv[optind];

    /* The subject: the model as its signature names it (the model itself is not read). */
    sig_path = a.sig_arg ? strdup(a.sig_arg) : ms_sign_default_signature_path(model, &err);
    if (!sig_path) {
        status = a.sig_arg ? cli_out_of_memory() : cli_fail(&err);
        goto out;
    }
    if (!a.sig_arg && !attest_file_exists(sig_path)) {
        ms_error_set(&err, MS_EINPUT, "%s: no signature: sign the model first (modelseal sign)",
                     sig_path);
        status = cli_fail(&err);
        goto out;
    }
    if (attest_read_model_subject(sig_path, MS_BUNDLE_MAX_SIZE, &model_line, &model_line_len, &name,
                                  root, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    claims_path = a.claims_arg ? strdup(a.claims_arg) : ms_claims_default_path(model, &err);
    if (!claims_path) {
        status = a.claims_arg ? cli_out_of_memory() : cli_fail(&err);
        goto out;
    }
    /* A damaged claims file is refused before anything is signed. */
    if (ms_claims_read(claims_path, 1, &existing, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (!(p = ms_provenance_new()) || ms_provenance_set_string(&p->subject_name, name, &err)) {
        status = cli_out_of_memory();
        goto out;
    }
    memcpy(p->subject_digest, root, MS_SHA256_SIZE);
    if (gather(&a, p, &lines, &err) != 0 || cli_provenance_build(p, &payload, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (sso.enabled
            ? cli_sigstore_sign_statement(&sso, payload.data, payload.len, &bundle, &err) != 0
            : ((a.pw.pin = ms_key_is_token_uri(a.key_path),
                ms_key_open_signer(a.key_path, cli_passphrase_callback, &a.pw, &key, &err)) != 0 ||
               cli_sign_statement(payload.data, payload.len, key, &bundle, &err) != 0)) {
        status = cli_fail(&err);
        goto out;
    }
    /* The provenance first, then the evidence it points to. */
    attest_strlist all = {0};
    int ok = attest_strlist_add(&all, (char *)bundle.data, bundle.len) == 0;
    for (size_t i = 0; ok && i < lines.n; i++)
        ok = attest_strlist_add(&all, lines.items[i], lines.lens[i]) == 0;
    if (!ok) {
        attest_strlist_free(&all, 0);
        status = cli_out_of_memory();
        goto out;
    }
    size_t added = 0;
    int rc = ms_claims_append(claims_path, (const char *const *)all.items, all.lens, all.n, &added,
                              &err);
    size_t total = all.n;
    attest_strlist_free(&all, 0);
    if (rc != 0) {
        status = cli_fail(&err);
        goto out;
    }
    char rootstr[80], signer[300];
    cli_format_root(root, rootstr);
    if (key) {
        char hint[65];
        ms_key_hint(key, hint);
        snprintf(signer, sizeof signer, "key %.16s", hint);
    } else {
        identity = cli_sigstore_identity(&bundle);
        snprintf(signer, sizeof signer, "Sigstore, %.200s",
                 identity ? identity : "unknown identity");
    }
    cli_info("Attested %s: provenance for %s %s (%s)\n"
             "Claims: %s (%zu line%s added, %zu already present)\n",
             cli_quote(model), cli_quote(name), rootstr, cli_quote(signer), cli_quote(claims_path),
             added, added == 1 ? "" : "s", total - added);
out:
    msx_buf_free(&payload);
    msx_buf_free(&bundle);
    ms_key_free(key);
    free(identity);
    ms_provenance_free(p);
    ms_claims_free(existing);
    attest_strlist_free(&lines, 1);
    attest_strlist_free(&a.params, 0);
    attest_strlist_free(&a.datasets, 0);
    attest_strlist_free(&a.base_models, 0);
    attest_strlist_free(&a.dependencies, 0);
    free(sig_path);
    free(claims_path);
    free(model_line);
    free(name);
    return status;
}
