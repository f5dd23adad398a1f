/* modelseal sign: hash a model and write its OMS signature (a Sigstore bundle) atomically. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const cli_option sign_options[] = {
    {"key", 0, required_argument, "KEY",
     "secret key: a modelseal key (modelseal keygen) or a PKCS#8/SEC1\n"
     "PEM key, Ed25519 or ECDSA P-256/P-384/P-521, encrypted or not",
     OPT_KEY, CLI_PATH, 0, NULL, NULL},
    {"certificate", 0, required_argument, "PEM",
     "signing certificate for KEY (the bundle then carries the chain)", OPT_CERT, CLI_PATH, 0, NULL,
     NULL},
    {"certificate-chain", 0, required_argument, "PEM",
     "intermediate certificates to include (repeatable)", OPT_CHAIN, CLI_PATH, 0, NULL, NULL},
    {"signature", 0, required_argument, "OUT", "where to write the signature", OPT_SIGNATURE,
     CLI_PATH, 0, NULL, NULL},
    {"password-file", 0, required_argument, "FILE",
     "read the key's passphrase from FILE (else MODELSEAL_PASSWORD, else\n"
     "a prompt on the terminal)",
     OPT_PWFILE, CLI_PATH, 0, NULL, NULL},
    {"allow-empty", 0, no_argument, NULL, "sign a model with no files", OPT_ALLOW_EMPTY, 0, 0, NULL,
     NULL},
    CLI_OPTION_INCLUDE(cli_sigstore_option_table, 0),
    CLI_OPTION_INCLUDE(cli_hash_option_table, 0),
    {"incremental", 0, no_argument, NULL,
     "reuse the digests of files unchanged since the last run (the\n"
     "signer's cache, modelseal-cache(5)); report reused, re-hashed,\n"
     "added and removed files",
     OPT_INCREMENTAL, 0, 0, NULL, NULL},
    {"no-cache", 0, no_argument, NULL,
     "with --incremental: do not read or write the cache (as\n"
     "MODELSEAL_NO_CACHE=1)",
     OPT_NO_CACHE, 0, 0, NULL, NULL},
    {"json", 0, no_argument, NULL,
     "print {model, root_digest, signature, resources, signer[, incremental]}", OPT_JSON, 0, 0,
     NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_sign_help = {
    "Usage: modelseal sign --key KEY [--certificate LEAF.pem [--certificate-chain PEM]...]\n"
    "                      [--signature OUT] [OPTIONS] MODEL\n"
    "       modelseal sign --sigstore [--identity-token T] [--signing-config FILE|--staging]\n"
    "                      [--signature OUT] [OPTIONS] MODEL\n"
    "Hash MODEL and write its signature: a Sigstore bundle (v0.3) with a DSSE-enveloped in-toto\n"
    "statement, predicate https://model_signing/signature/v1.0 (OMS, as model_signing makes).\n"
    "The default OUT is MODEL/model.sig for a directory, MODEL.sig for a single file; it is\n"
    "never hashed, and is replaced atomically.\n\n"
    "Options:\n",
    sign_options, NULL, NULL, 0};

/* Shards: the empty files have no shards, so the signature will not cover them and verify
 * will report them as extra. Name how many and the first few. */
static void warn_empty_files(const char *model, const ms_manifest *m)
{
    enum { SHOWN = 3 };
    fprintf(stderr, "modelseal: warning: %s: %zu empty file%s (", cli_quote(model),
            m->n_empty_files, m->n_empty_files == 1 ? "" : "s");
    for (size_t i = 0; i < m->n_empty_files && i < SHOWN; i++)
        fprintf(stderr, "%s%s", i ? ", " : "",
                cli_quote(strcmp(m->empty_files[i], ".") == 0 ? model : m->empty_files[i]));
    fprintf(stderr,
            "%s) not covered: empty files have no shards, so a shards signature cannot cover "
            "them and verify will report them as extra; --method files would cover them\n",
            m->n_empty_files > SHOWN ? ", ..." : "");
}

int cmd_sign(int argc, char **argv)
{
    cli_hash_options ho;
    cli_progress progress;
    cli_passphrase_source pw = {0};
    cli_sigstore_options sso = {0};
    char *identity = NULL;
    const char *key_path = NULL, *cert_path = NULL, *sig_arg = NULL;
    const char **chain_paths = NULL;
    size_t n_chain = 0;
    char *sig_path = NULL, *sig_rel = NULL;
    int allow_empty = 0, json = 0, opt, status = EXIT_OK, lock_fd = -1;
    ms_key *key = NULL;
    ms_x509_chain *chain = NULL;
    ms_manifest *m = NULL;
    ms_buf bundle = MS_BUF_INIT;
    cli_incremental inc = {0};
    ms_error err;

    ms_error_clear(&err);
    cli_hash_options_init(&ho);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, sign_options, 0)) != -1) {
        int handled = cli_hash_option(&ho, opt, optarg);
        if (handled < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (handled || cli_sigstore_option(&sso, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_CERT:
            cert_path = optarg;
            break;
        case OPT_CHAIN: {
            const char **p = realloc(chain_paths, (n_chain + 1) * sizeof *p);
            if (!p) {
                cli_message("out of memory");
                status = EXIT_ENVIRONMENT;
                goto out;
            }
            chain_paths = p;
            chain_paths[n_chain++] = optarg;
            break;
        }
        case OPT_SIGNATURE:
            sig_arg = optarg;
            break;
        case OPT_PWFILE:
            pw.password_file = optarg;
            break;
        case OPT_ALLOW_EMPTY:
            allow_empty = 1;
            break;
        case OPT_INCREMENTAL:
            inc.on = 1;
            break;
        case OPT_NO_CACHE:
            inc.no_cache = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_model_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    if ((status = cli_sigstore_check(&sso, key_path != NULL)) != EXIT_OK)
        goto out;
    if (sso.enabled && cert_path) {
        status = cli_usage_error("--certificate needs --key (--sigstore gets its certificate "
                                 "from Fulcio)");
        goto out;
    }
    if (inc.on && sso.enabled) {
        status = cli_usage_error("--incremental needs --key (a keyless signer's identity is known "
                                 "only once the model is hashed, too late to check the previous "
                                 "signature with it)");
        goto out;
    }
    if (n_chain && !cert_path) {
        status = cli_usage_error("--certificate-chain needs --certificate");
        goto out;
    }
    const char *model = argv[optind];
    if ((status = cli_hash_options_finish(&ho, model)) != 0 ||
        (status = cli_hash_options_lfs(&ho, 1)) != 0)
        goto out;
    sig_path = sig_arg ? strdup(sig_arg) : ms_sign_default_signature_path(model, &err);
    if (!sig_path) {
        status = sig_arg ? EXIT_ENVIRONMENT : cli_fail(&err);
        goto out;
    }
    /* A signature written inside the model under another name is left out of the hash. */
    {
        sig_rel = msx_path_inside_model(model, sig_path);
        if (sig_rel && strcmp(sig_rel, MS_SIGNATURE_FILE) == 0) {
            free(sig_rel);
            sig_rel = NULL;
        }
    }
    if (cert_path) {
        if (!(chain = ms_x509_chain_new())) {
            cli_message("out of memory");
            status = EXIT_ENVIRONMENT;
            goto out;
        }
        int rc = ms_x509_chain_append_source(chain, cert_path, &err);
        for (size_t i = 0; rc == 0 && i < n_chain; i++)
            rc = ms_x509_chain_append_file(chain, chain_paths[i], &err);
        if (rc) {
            status = cli_fail(&err);
            goto out;
        }
    }
    pw.pin = key_path && ms_key_is_token_uri(key_path);
    if (key_path && ms_key_open_signer(key_path, cli_passphrase_callback, &pw, &key, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* Keyless: a bad signing config or no token source is found before hours of hashing. */
    if (sso.enabled && cli_sigstore_preflight(&sso, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (ms_sign_record_ignores(&ho.ser, ho.opts.no_ignore_git_paths, sig_rel)) {
        cli_message("out of memory");
        status = EXIT_ENVIRONMENT;
        goto out;
    }
    ho.opts.signature_path = sig_path;
    /* Two signers of one model take turns: hash and write under the signature directory's lock. */
    if ((lock_fd = msx_file_lock_dir(sig_path, &err)) < 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* A signer killed between naming its temporary file and renaming it leaves the name behind:
     * remove it before hashing, or it would be signed as part of the model. */
    if (msx_file_remove_stale_temps(sig_path, NULL, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* --incremental: nothing is reused unless the previous signature is this signer's. */
    if ((status = cli_incremental_open(&inc, model)) != EXIT_OK ||
        (status = cli_incremental_check_previous(&inc, sig_path, key)) != EXIT_OK)
        goto out;
    ho.opts.cache = inc.cache;
    cli_progress_start(&progress,
                       json && ho.progress < CLI_PROGRESS_BAR ? CLI_PROGRESS_NONE : ho.progress,
                       "hashing");
    ho.opts.progress = cli_progress_update;
    ho.opts.progress_ctx = &progress;
    int rc = ms_manifest_build(model, &ho.ser, &ho.opts, &m, &err);
    cli_progress_end(&progress);
    if (rc == 0 && m->n_empty_files)
        warn_empty_files(model, m);
    if (rc == 0 && sso.enabled) {
        char *payload = NULL;
        size_t payload_len = 0;
        if (m->n_resources == 0 && !allow_empty)
            rc = ms_error_set(
                &err, MS_EINPUT,
                "%s: the model has no files to sign (use --allow-empty to sign it anyway)", model);
        if (rc == 0)
            rc = ms_statement_build(m, &payload, &payload_len, &err);
        if (rc == 0)
            rc = cli_sigstore_sign_statement(&sso, (const uint8_t *)payload, payload_len, &bundle,
                                             &err);
        ms_free(payload);
    } else if (rc == 0) {
        char *text = NULL;
        size_t text_len = 0;
        rc = ms_sign_manifest(m, key, chain, allow_empty, &text, &text_len, &err);
        if (rc == 0)
            rc = cli_take(&bundle, text, text_len, &err);
    }
    if (rc == 0)
        rc = msx_file_write_atomic(sig_path, bundle.data, bundle.len, 0644, 0, &err);
    if (rc) {
        status = cli_fail(&err);
        goto out;
    }
    cli_incremental_save(&inc);
    char root[80], hint[65] = "";
    cli_format_root(m->root_digest, root);
    if (key)
        ms_key_hint(key, hint);
    else
        identity = cli_sigstore_identity(&bundle);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "model", cli_model_json(m->model_name, m->root_digest, model));
        cJSON_AddStringToObject(o, "signature", sig_path);
        cJSON_AddNumberToObject(o, "resources", (double)m->n_resources);
        cJSON_AddItemToObject(o, "hard_links", cli_hard_links_json(&ho.links));
        if (sso.enabled) {
            cJSON_AddItemToObject(o, "signer",
                                  cli_signer_json("sigstore", NULL, identity, NULL, NULL, 0));
        } else {
            char *leaf_identity = chain ? ms_x509_leaf_identity(chain) : NULL;
            char *leaf_subject = chain ? ms_x509_leaf_subject(chain) : NULL;
            cJSON_AddItemToObject(o, "signer",
                                  cli_signer_json(chain ? "certificate" : "key", hint,
                                                  leaf_identity, leaf_subject, NULL, 0));
            ms_free(leaf_identity);
            ms_free(leaf_subject);
        }
        cli_incremental_json(&inc, o);
        status = cli_print_json(o);
    } else if (sso.enabled) {
        char name[256];
        cli_info("Signed %s: %zu resource%s, root %s\nSignature: %s (Sigstore, %s)\n",
                 cli_quote(cli_model_name(model, name, sizeof name)), m->n_resources,
                 m->n_resources == 1 ? "" : "s", root, cli_quote(sig_path),
                 identity ? cli_quote(identity) : "unknown identity");
    } else {
        char name[256];
        cli_info("Signed %s: %zu resource%s, root %s\nSignature: %s (key %.16s)\n",
                 cli_quote(cli_model_name(model, name, sizeof name)), m->n_resources,
                 m->n_resources == 1 ? "" : "s", root, cli_quote(sig_path), hint);
    }
    if (!json)
        cli_incremental_print(&inc, stdout);
    cli_progress_summary(&progress, "hashed", cli_manifest_files(m));
out:
    cli_incremental_free(&inc);
    if (lock_fd >= 0)
        close(lock_fd);
    msx_buf_free(&bundle);
    ms_manifest_free(m);
    ms_key_free(key);
    ms_x509_chain_free(chain);
    free(chain_paths);
    free(sig_path);
    free(sig_rel);
    free(identity);
    cli_hash_options_free(&ho);
    return status;
}
