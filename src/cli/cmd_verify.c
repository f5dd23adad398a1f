/* modelseal verify: check a model against its signature with trusted keys or certificates. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"

enum { KEYS = CLI_VERIFY_KEYS, POLICY = CLI_VERIFY_POLICY };

static const cli_option verify_options[] = {
    {"key", 0, required_argument, "PUB", "trusted public key (PEM; Ed25519 or ECDSA); repeatable",
     OPT_KEY, CLI_PATH, 0, NULL, NULL},
    {"certificate-chain", 0, required_argument, "PEM",
     "trusted root (and intermediate) certificates; repeatable", OPT_CHAIN, CLI_PATH, 0, NULL,
     NULL},
    {"identity", 0, required_argument, "SAN",
     "with certificates: the signer's exact SAN (email, URI or DNS)", OPT_IDENTITY, 0, 0, NULL,
     NULL},
    {"signature", 0, required_argument, "SIG",
     "the signature (default MODEL/model.sig, or MODEL.sig for a file)", OPT_SIGNATURE, CLI_PATH, 0,
     NULL, NULL},
    {"ignore", 0, required_argument, "PATH",
     "also leave PATH out (relative to the model root; repeatable)", OPT_IGNORE, CLI_PATH, KEYS,
     NULL, NULL},
    {"ignore-unsigned-files", 0, no_argument, NULL, "hash only the files the signature lists",
     OPT_IGNORE_UNSIGNED, 0, KEYS, NULL, NULL},
    {"allow-empty", 0, no_argument, NULL, "accept a signature over no files", OPT_ALLOW_EMPTY, 0,
     KEYS, NULL, NULL},
    {"allow-symlinks", 0, no_argument, NULL, "follow symbolic links to files inside the model",
     OPT_ALLOW_SYMLINKS, 0, KEYS, NULL, NULL},
    {"from-lfs-pointers", 0, no_argument, NULL,
     "check a git LFS pointer's oid against the signed digest\n"
     "(a clone without LFS content; files method, sha256)",
     OPT_FROM_LFS_POINTERS, 0, KEYS, NULL, NULL},
    {"threads", 0, required_argument, "N", "as for hash", OPT_THREADS, 0, 0, NULL, NULL},
    {"buffer-size", 0, required_argument, "BYTES", NULL, OPT_BUFFER_SIZE, CLI_JOIN, KEYS, NULL,
     NULL},
    {"progress", 0, optional_argument, NULL, NULL, OPT_PROGRESS, CLI_JOIN, 0, "--progress[=MODE]",
     NULL},
    {"no-progress", 0, no_argument, NULL, NULL, OPT_NO_PROGRESS, CLI_JOIN, 0, NULL, NULL},
    {"incremental", 0, no_argument, NULL,
     "reuse the digests of files unchanged since the last run (the\n"
     "verifier's cache, modelseal-cache(5)); report them",
     OPT_INCREMENTAL, 0, KEYS, NULL, NULL},
    {"no-cache", 0, no_argument, NULL, "with --incremental: do not read or write the cache",
     OPT_NO_CACHE, 0, KEYS, NULL, NULL},
    {"json", 0, no_argument, NULL, "print a machine-readable report", OPT_JSON, 0, 0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_TEXT("Sigstore (checked offline; see modelseal-sigstore(7)):\n"),
    {"issuer", 0, required_argument, "URL", "keyless: the signer's exact identity and OIDC issuer",
     OPT_ISSUER, 0, 0, "--identity ID --issuer URL", NULL},
    {"trusted-root", 0, required_argument, "FILE",
     "the instance's trusted_root.json (default: public-good)", OPT_TRUSTED_ROOT, CLI_PATH, 0, NULL,
     NULL},
    {"staging", 0, no_argument, NULL, "use the Sigstore staging instance's trusted root",
     OPT_STAGING, 0, 0, NULL, NULL},
    CLI_OPTION_TEXT(
        "  --key PUB with --trusted-root or --staging (and no --issuer): the key bundle must "
        "carry\n"
        "                         transparency log entries or timestamps, verified against that "
        "root\n"),
    /* -- policy: with --policy, verify_policy.c parses these rows (the others refused) -- */
    CLI_OPTION_TEXT(
        "With --policy, verify the whole chain (signature, provenance, datasets, code, base "
        "models)\n"
        "against a deployment policy, one verdict per link (modelseal-policy(5)):\n"),
    {"policy", 0, required_argument, "POLICY", "the policy file; it names every trusted key",
     OPT_POLICY, CLI_PATH, POLICY, NULL, NULL},
    {"claims", 0, required_argument, "FILE",
     "the claims file (default MODEL/claims.jsonl or MODEL.claims.jsonl)", OPT_CLAIMS, CLI_PATH,
     POLICY, NULL, NULL},
    /* -- end policy -- */
    CLI_OPTION_END,
};

const cli_help cmd_verify_help = {
    "Usage: modelseal verify (--key PUB... [--trusted-root FILE | --staging] |\n"
    "                         --certificate-chain ROOT.pem... [--identity SAN] |\n"
    "                         --identity ID --issuer URL [--trusted-root FILE | --staging])\n"
    "                        [--signature SIG] [--ignore PATH]... [--ignore-unsigned-files]\n"
    "                        [--json] MODEL\n"
    /* -- policy -- */
    "       modelseal verify --policy POLICY [--signature SIG] [--claims FILE] [--json] MODEL\n"
    /* -- end policy -- */
    "Verify MODEL against its signature: the signature over the exact payload with a trusted key,\n"
    "a certificate chaining to a trusted root, or a Sigstore keyless certificate and its\n"
    "transparency log proofs; the subject digest against the signed resources; then a re-hash\n"
    "of the model with the signature's own serialization, naming every missing, extra and\n"
    "changed file.\n\n"
    "Options:\n",
    verify_options,
    "Exit status: 0 verified, 1 not verified, 2 malformed or unreadable input, 3 I/O error.\n",
    NULL, 0};

/* The report (modelseal-json(7), doc/schemas/verify.schema.json): the same in every case. */
static int report_json(const char *model, const char *sig_path, int rc, const ms_error *err,
                       const ms_verify_result *res, const cli_incremental *inc)
{
    cJSON *o = cJSON_CreateObject();
    const ms_statement *st = res->statement;
    cJSON_AddBoolToObject(o, "verified", rc == 0);
    cJSON_AddItemToObject(
        o, "model",
        cli_model_json(st ? st->subject_name : NULL, st ? st->subject_digest : NULL, model));
    cJSON_AddStringToObject(o, "signature", sig_path);
    cJSON_AddItemToObject(
        o, "signer", res->signer.kind[0] ? cli_signer_info_json(&res->signer) : cJSON_CreateNull());
    if (st)
        cJSON_AddNumberToObject(o, "resources", (double)st->manifest->n_resources);
    else
        cJSON_AddNullToObject(o, "resources");
    cJSON_AddNumberToObject(o, "files_hashed", (double)res->n_files);
    cli_diff_json(o, &res->diff);
    cli_incremental_json(inc, o);
    cli_outcome_json(o, rc, err);
    return cli_print_json(o);
}

int cmd_verify(int argc, char **argv)
{
    cli_hash_options ho;
    cli_progress progress;
    cli_keys keys = {0};
    ms_x509_chain *roots = NULL;
    const char *identity = NULL, *sig_arg = NULL;
    const char *issuer = NULL, *trusted_root_path = NULL; /* Sigstore */
    int staging = 0;
    ms_trusted_root *sigstore_root = NULL;
    char *sig_path = NULL;
    int json = 0, opt, status = EXIT_OK;
    ms_verify_options vopts;
    ms_verify_result res;
    ms_buf bundle = MS_BUF_INIT;
    cli_incremental inc = {0};
    ms_error err;

    memset(&vopts, 0, sizeof vopts);
    memset(&res, 0, sizeof res);
    ms_error_clear(&err);
    cli_hash_options_init(&ho);
    /* -- policy: `verify --policy POLICY` verifies the whole chain (verify_policy.c) -- */
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (strcmp(argv[i], "--policy") == 0 || strncmp(argv[i], "--policy=", 9) == 0) {
            cli_hash_options_free(&ho);
            return cli_verify_policy(argc, argv);
        }
    /* -- end policy -- */
    optind = 1;
    while ((opt = cli_getopt(argc, argv, verify_options, KEYS)) != -1) {
        int handled = cli_hash_option(&ho, opt, optarg);
        if (handled < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (handled)
            continue;
        switch (opt) {
        case OPT_KEY:
            if ((status = cli_keys_add(&keys, optarg)) != EXIT_OK)
                goto out;
            break;
        case OPT_CHAIN:
            if (!roots && !(roots = ms_x509_chain_new())) {
                cli_message("out of memory");
                status = EXIT_ENVIRONMENT;
                goto out;
            }
            if (ms_x509_chain_append_file(roots, optarg, &err) != 0) {
                status = cli_fail(&err);
                goto out;
            }
            break;
        case OPT_IDENTITY:
            identity = optarg;
            break;
        case OPT_SIGNATURE:
            sig_arg = optarg;
            break;
        case OPT_IGNORE_UNSIGNED:
            vopts.ignore_unsigned_files = 1;
            break;
        case OPT_ALLOW_EMPTY:
            vopts.allow_empty = 1;
            break;
        case OPT_ISSUER:
            issuer = optarg;
            break;
        case OPT_TRUSTED_ROOT:
            trusted_root_path = optarg;
            break;
        case OPT_STAGING:
            staging = 1;
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
    /* A trusted root serves keyless verification (--identity, --issuer) and, with --key and no
     * --issuer, the log entries and timestamps of a key bundle. */
    int root_given = trusted_root_path || staging;
    int keyless = issuer || (root_given && !keys.n);
    int key_log = keys.n && root_given && !issuer;
    if (trusted_root_path && staging) {
        status = cli_usage_error("--trusted-root and --staging exclude each other");
        goto out;
    }
    if (keyless && (!identity || !issuer)) {
        status = cli_usage_error("Sigstore verification needs --identity and --issuer");
        goto out;
    }
    if (!keys.n && !roots && !keyless) {
        status = cli_usage_error(
            "give a trusted --key or --certificate-chain, or --identity and --issuer (Sigstore)");
        goto out;
    }
    if (identity && !roots && !keyless) {
        status = cli_usage_error("--identity goes with --certificate-chain or --issuer");
        goto out;
    }
    if ((keyless || key_log) &&
        (status = cli_sigstore_root_load(trusted_root_path, staging, CLI_ROOT_REQUIRED,
                                         &sigstore_root)) != EXIT_OK)
        goto out;
    const char *model = argv[optind];
    if ((status = cli_hash_options_finish(&ho, model)) != 0 ||
        (status = cli_hash_options_lfs(&ho, 0)) != 0)
        goto out;
    sig_path = sig_arg ? strdup(sig_arg) : ms_sign_default_signature_path(model, &err);
    if (!sig_path) {
        status = sig_arg ? EXIT_ENVIRONMENT : cli_fail(&err);
        goto out;
    }
    /* The default model.sig is inside the model, where a link is not expected. */
    if (msx_file_read_regular(sig_path, MS_BUNDLE_MAX_SIZE, sig_arg ? 0 : MS_FILE_NOFOLLOW, &bundle,
                              &err) != 0) {
        struct stat st;
        /* No signature where one is looked for by default: say how to get one. */
        if (!sig_arg && lstat(sig_path, &st) != 0 && errno == ENOENT)
            ms_error_set(&err, err.code,
                         "%s: No such file or directory (sign the model first, or point to "
                         "the signature with --signature)",
                         sig_path);
        status = cli_fail(&err);
        goto out;
    }
    ms_trust trust = {
        .keys = cli_keys_trusted(&keys),
        .n_keys = keys.n,
        .roots = roots,
        .identity = identity,
        .sigstore_root = sigstore_root,
        .sigstore_issuer = issuer,
        .key_bundle_logged = key_log,
    };
    if ((status = cli_incremental_open(&inc, model)) != EXIT_OK)
        goto out;
    ho.opts.cache = inc.cache;
    vopts.hash = ho.opts;
    vopts.allow_symlinks = ho.ser.allow_symlinks;
    vopts.extra_ignores = (const char *const *)ho.ser.ignore_paths;
    vopts.n_extra_ignores = ho.ser.n_ignore_paths;
    vopts.signature_path = sig_path;
    cli_progress_start(&progress,
                       json && ho.progress < CLI_PROGRESS_BAR ? CLI_PROGRESS_NONE : ho.progress,
                       "verifying");
    vopts.hash.progress = cli_progress_update;
    vopts.hash.progress_ctx = &progress;
    int rc = ms_verify_model(model, bundle.data, bundle.len, &trust, &vopts, &res, &err);
    cli_progress_end(&progress);
    if (rc == 0)
        cli_progress_summary(&progress, "hashed", res.n_files);
    /* What was hashed is true of the files whatever the verdict: keep it (a run that never got
     * to hashing recorded nothing, and nothing is saved). */
    cli_incremental_save(&inc);
    if (rc == MS_EINPUT && strncmp(err.message, sig_path, strlen(sig_path)) != 0 &&
        !res.statement && !res.signer.kind[0]) {
        /* A malformed bundle: name the file. */
        ms_error named;
        ms_error_set(&named, rc, "%s: %s", sig_path, err.message);
        err = named;
    }
    if (json) {
        int jst = report_json(model, sig_path, rc, &err, &res, &inc);
        status = rc ? ms_error_exit_status(rc) : jst;
        goto out;
    }
    if (rc) {
        status = cli_fail(&err);
        for (size_t i = 0; i < res.diff.n_changed; i++)
            fprintf(stderr, "  changed: %s\n", cli_quote(res.diff.changed[i]));
        for (size_t i = 0; i < res.diff.n_missing; i++)
            fprintf(stderr, "  missing: %s\n", cli_quote(res.diff.missing[i]));
        for (size_t i = 0; i < res.diff.n_extra; i++)
            fprintf(stderr, "  extra:   %s%s\n", cli_quote(res.diff.extra[i]),
                    ms_manifest_diff_is_empty_extra(&res.diff, res.diff.extra[i])
                        ? " " MS_EMPTY_FILE_NOTE
                        : "");
        cli_incremental_print(&inc, stderr);
        goto out;
    }
    char root[80];
    cli_format_root(res.statement->subject_digest, root);
    char name[256];
    struct stat st;
    /* OMS hashes a single-file model's bytes only: its name is not part of what was signed. */
    int single = stat(model, &st) == 0 && S_ISREG(st.st_mode);
    cli_info("Verified %s: %zu file%s, root %s%s\n",
             cli_quote(cli_model_name(model, name, sizeof name)), res.n_files,
             res.n_files == 1 ? "" : "s", root,
             single ? " (a single file: the signature does not bind its name)" : "");
    if (strcmp(res.signer.kind, "sigstore") == 0) {
        char when[40];
        cli_format_time(res.signer.signing_time, when, sizeof when);
        cli_info("Signer: Sigstore certificate for %s from %s, signed %s (key %.16s)\n",
                 res.signer.identity ? cli_quote(res.signer.identity) : "?",
                 cli_quote(res.signer.issuer), when, cli_quote(res.signer.hint));
    } else if (res.signer.identity && res.signer.issuer) /* a certificate chain and --issuer */
        cli_info("Signer: certificate for %s from %s (key %.16s)\n", cli_quote(res.signer.identity),
                 cli_quote(res.signer.issuer), cli_quote(res.signer.hint));
    else if (res.signer.identity)
        cli_info("Signer: certificate for %s (key %.16s)\n", cli_quote(res.signer.identity),
                 cli_quote(res.signer.hint));
    else if (res.signer.subject)
        cli_info("Signer: certificate %s (key %.16s)\n", cli_quote(res.signer.subject),
                 cli_quote(res.signer.hint));
    else if (res.signer.signing_time) { /* a key bundle's log entries or timestamps verified */
        char when[40];
        cli_format_time(res.signer.signing_time, when, sizeof when);
        cli_info("Signer: key %s, signed %s (verified against the trusted root)\n",
                 cli_quote(res.signer.hint), when);
    } else
        cli_info("Signer: key %s\n", cli_quote(res.signer.hint));
    cli_incremental_print(&inc, stdout);
out:
    cli_incremental_free(&inc);
    ms_verify_result_clear(&res);
    msx_buf_free(&bundle);
    cli_keys_free(&keys);
    ms_x509_chain_free(roots);
    ms_trusted_root_free(sigstore_root);
    free(sig_path);
    cli_hash_options_free(&ho);
    return status;
}
