/* modelseal dataset: write, sign and verify dataset manifests (modelseal-dataset(1)). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset_partition.h"
#include "modelseal/dataset.h"

static int dataset_manifest(int argc, char **argv);
static int dataset_sign(int argc, char **argv);
static int dataset_verify(int argc, char **argv);
static int dataset_merge(int argc, char **argv);
static const cli_subcommand dataset_subs[] = {{"manifest", dataset_manifest},
                                              {"sign", dataset_sign},
                                              {"verify", dataset_verify},
                                              {"merge", dataset_merge}};
enum { MANIFEST = 1u << 0, SIGN = 1u << 1, VERIFY = 1u << 2, MERGE = 1u << 3 }; /* dataset_subs */

static const cli_option dataset_options[] = {
    {"name", 0, required_argument, "NAME", "the dataset's name (manifest; required)", OPT_NAME, 0,
     MANIFEST, NULL, NULL},
    {"version", 0, required_argument, "V", "recorded in the header (else null)", OPT_VERSION, 0,
     MANIFEST, NULL, NULL},
    {"source", 0, required_argument, "URI", NULL, OPT_SOURCE, CLI_JOIN, MANIFEST, NULL, NULL},
    {"license", 0, required_argument, "SPDX-ID", NULL, OPT_LICENSE, CLI_JOIN, MANIFEST, NULL, NULL},
    {"algorithm", 0, required_argument, "sha256|blake2b|blake3", "per-file digest (default sha256)",
     OPT_ALGORITHM, 0, MANIFEST, NULL, NULL},
    {"threads", 0, required_argument, "N", "hashing threads (default: online CPUs)", OPT_THREADS, 0,
     MANIFEST | VERIFY, NULL, NULL},
    {"buffer-size", 0, required_argument, "BYTES", "read buffer per thread (default 4194304)",
     OPT_BUFFER_SIZE, 0, MANIFEST | VERIFY, NULL, NULL},
    {"progress", 0, optional_argument, NULL,
     "progress on stderr: auto (a bar on a terminal, the\n"
     "default, or $MODELSEAL_PROGRESS), bar, plain (a line every\n"
     "10 s, for CI and pod logs) or none; --progress alone: bar",
     OPT_PROGRESS, 0, MANIFEST | VERIFY, "--progress[=MODE]", NULL},
    {"no-progress", 0, no_argument, NULL, NULL, OPT_NO_PROGRESS, CLI_JOIN, MANIFEST | VERIFY, NULL,
     NULL},
    {"ignore", 0, required_argument, "PATH",
     "manifest: leave PATH (relative to DIR) out and record it in the\n"
     "manifest; repeatable. Nothing else is left out: not .git, not\n"
     "model.sig, not claims.jsonl",
     OPT_IGNORE, CLI_PATH, MANIFEST | VERIFY, NULL, NULL},
    {"output", 0, required_argument, "FILE", "where to write the manifest", OPT_OUTPUT, CLI_PATH,
     MANIFEST | MERGE, NULL, NULL},
    {"partition", 0, required_argument, "I/N|auto",
     "manifest, verify: only share I of N (0 <= I < N); auto: from\n"
     "SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX",
     OPT_PARTITION, 0, MANIFEST | VERIFY, NULL, NULL},
    {"partitions", 0, required_argument, "N",
     "with --partition auto under a Kubernetes Indexed Job: N shares", OPT_PARTITIONS, 0,
     MANIFEST | VERIFY, NULL, NULL},
    {"s3-endpoint", 0, required_argument, "URL",
     "an S3-compatible store for s3://BUCKET[/PREFIX] (path-style;\n"
     "default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS)",
     OPT_S3_ENDPOINT, 0, MANIFEST | VERIFY, NULL, NULL},
    {"allow-lfs-pointers", 0, no_argument, NULL,
     "manifest: list a git LFS pointer file as it is (refused\nby default)", OPT_ALLOW_LFS_POINTERS,
     0, MANIFEST, NULL, NULL},
    {"key", 0, required_argument, "KEY|PUB",
     "sign: the secret key; verify: a trusted public key (repeatable)", OPT_KEY, CLI_PATH,
     SIGN | VERIFY, NULL, NULL},
    {"password-file", 0, required_argument, "F", "read the secret key's passphrase from F",
     OPT_PWFILE, CLI_PATH, SIGN, NULL, NULL},
    {"signature", 0, required_argument, "FILE",
     "the signature to write or check (default MANIFEST.sig)", OPT_SIGNATURE, CLI_PATH,
     SIGN | VERIFY, NULL, NULL},
    CLI_OPTION_TEXT("Keyless signing (sign):\n"),
    CLI_OPTION_INCLUDE(cli_sigstore_option_table, SIGN),
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_dataset_help = {
    "Usage: modelseal dataset manifest --name NAME [--version V] [--source URI]\n"
    "                         [--license SPDX-ID] [--algorithm sha256|blake2b|blake3]\n"
    "                         [--threads N] [--ignore PATH]... [--output FILE]\n"
    "                         [--allow-lfs-pointers] [--partition I/N|auto [--partitions N]]\n"
    "                         [--s3-endpoint URL] DIR|s3://BUCKET[/PREFIX]\n"
    "       modelseal dataset sign --key KEY [--password-file F] [--signature OUT] MANIFEST\n"
    "       modelseal dataset sign --sigstore [--identity-token T] [--signing-config FILE]\n"
    "                         [--staging] [--signature OUT] MANIFEST\n"
    "       modelseal dataset verify [--key PUB... [--signature SIG]] [--threads N]\n"
    "                         [--partition I/N|auto [--partitions N]] [--s3-endpoint URL]\n"
    "                         MANIFEST [DIR|s3://BUCKET[/PREFIX]]\n"
    "       modelseal dataset merge --output FILE PART...\n"
    "Dataset manifests: a zstd stream of JSON Lines listing every file of DIR with its size and\n"
    "digest, headed by the dataset's name, version, source, license, ignored paths, counts and\n"
    "root digest. See modelseal-dataset(1).\n\n"
    "manifest  hash DIR and write FILE (default ./NAME" MS_DATASET_SUFFIX "); the last line\n"
    "          printed is the root digest, sha256:<hex>\n"
    "sign      sign the manifest: a Sigstore bundle (default MANIFEST.sig) whose statement\n"
    "          binds the name, the root digest and the SHA-256 of the decompressed manifest\n"
    "verify    check the manifest; with --key its signature (default MANIFEST.sig); with DIR\n"
    "          re-hash the data and name every missing, extra and changed file (every file\n"
    "          of DIR but those the manifest's ignore list names)\n"
    "merge     merge the parts NAME.part-I-of-N" MS_DATASET_SUFFIX " that 'manifest\n"
    "          --partition I/N' wrote into the manifest one unpartitioned run writes\n\n"
    "Options:\n",
    dataset_options,
    "Exit status: 0 done or verified, 1 the data or signature does not match, 2 malformed or\n"
    "unreadable input or bad usage, 3 I/O error.\n",
    dataset_subs, sizeof dataset_subs / sizeof dataset_subs[0]};

/* SPDX license identifiers and expressions: letters, digits, '.', '-', '+', ':', '(', ')' and
 * spaces (for "MIT OR Apache-2.0"). */
static int spdx_like(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr(".-+:() ", c)))
            return 0;
    }
    return 1;
}

static char *default_output(const char *name, uint32_t index, uint32_t count)
{
    char part[40] = ""; /* count > 0: ./NAME.part-I-of-N.dsm.jsonl.zst */
    if (count)
        snprintf(part, sizeof part, ".part-%u-of-%u", index, count);
    size_t n = strlen(name) + strlen(part) + sizeof MS_DATASET_SUFFIX + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "./%s%s%s", name, part, MS_DATASET_SUFFIX);
    return p;
}

static char *signature_for(const char *manifest)
{
    size_t n = strlen(manifest) + 5;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.sig", manifest);
    return p;
}

/* ---- s3://BUCKET[/PREFIX] operands ------------------------------------------------------- */

static int is_s3(const char *operand)
{
    return strncmp(operand, "s3://", 5) == 0;
}

/* The network's settings for a bucket operand (MODELSEAL_HTTP_BACKOFF_MS: the first wait before
 * a retry, for tests; MODELSEAL_HTTP_TIMEOUT_MS: the bound of one request), and its --ignore paths
 * as given (relative to PREFIX: there is no directory to resolve them against; the library checks
 * them). */
static int s3_operand(cli_hash_options *ho, const char *endpoint, ms_dataset_remote *remote)
{
    const char *b = getenv("MODELSEAL_HTTP_BACKOFF_MS");
    memset(remote, 0, sizeof *remote);
    remote->s3_endpoint = endpoint;
    if (b && *b) {
        char *end;
        long v = strtol(b, &end, 10);
        if (*end || v < 1 || v > 60000)
            return cli_usage_error("MODELSEAL_HTTP_BACKOFF_MS: not a number of milliseconds");
        remote->backoff_ms = v;
    }
    const char *t = getenv("MODELSEAL_HTTP_TIMEOUT_MS"); /* per request, as for Sigstore */
    if (t && *t) {
        char *end;
        long v = strtol(t, &end, 10);
        if (*end || v < 1 || v > 3600000)
            return cli_usage_error("MODELSEAL_HTTP_TIMEOUT_MS: not a number of milliseconds");
        remote->timeout_ms = v;
    }
    for (size_t i = 0; i < ho->n_user_ignores; i++) {
        if (ms_serialization_add_ignore(&ho->ser, ho->user_ignores[i]))
            return cli_out_of_memory();
    }
    return EXIT_OK;
}

/* ---- manifest ----------------------------------------------------------------------------- */

static int dataset_manifest(int argc, char **argv)
{
    cli_hash_options ho;
    ms_dataset_options dopts;
    ms_dataset_info info;
    ms_dataset_remote remote;
    const char *output_arg = NULL;
    cli_dataset_share share = {0};
    char *output = NULL;
    int opt, status = EXIT_OK;
    ms_error err;

    memset(&dopts, 0, sizeof dopts);
    memset(&info, 0, sizeof info);
    ms_error_clear(&err);
    cli_hash_options_init(&ho);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, dataset_options, MANIFEST)) != -1) {
        int handled = cli_hash_option(&ho, opt, optarg);
        if (handled < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (handled || cli_dataset_share_option(&share, opt, optarg))
            continue;
        switch (opt) {
        case OPT_NAME:
            dopts.name = optarg;
            break;
        case OPT_VERSION:
            dopts.version = optarg;
            break;
        case OPT_SOURCE:
            dopts.source = optarg;
            break;
        case OPT_LICENSE:
            dopts.license = optarg;
            break;
        case OPT_OUTPUT:
            output_arg = optarg;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "DIR")) {
        status = EXIT_USAGE;
        goto out;
    }
    if (!is_s3(argv[optind]) && (status = cli_resolve_hf(&argv[optind], 1)) != EXIT_OK)
        goto out;
    if (!dopts.name) {
        status = cli_usage_error("--name is required");
        goto out;
    }
    if (!dopts.name[0]) {
        status = cli_usage_error("--name: empty");
        goto out;
    }
    if (!output_arg && (strchr(dopts.name, '/') || strcmp(dopts.name, ".") == 0 ||
                        strcmp(dopts.name, "..") == 0)) {
        status = cli_usage_error("--name '%s' cannot make a file name; give --output", dopts.name);
        goto out;
    }
    if (dopts.license && !spdx_like(dopts.license)) {
        status = cli_usage_error("--license: '%s' is not an SPDX license identifier or expression",
                                 dopts.license);
        goto out;
    }
    const char *dir = argv[optind];
    if ((status = cli_dataset_share_finish(&share, dir)) != EXIT_OK)
        goto out;
    dopts.partition_index = share.index;
    dopts.partition_count = share.count;
    if ((status = is_s3(dir) ? s3_operand(&ho, share.s3_endpoint, &remote)
                             : cli_hash_options_finish(&ho, dir)) != 0)
        goto out;
    dopts.remote = is_s3(dir) ? &remote : NULL;
    output = output_arg ? strdup(output_arg)
                        : default_output(dopts.name, dopts.partition_index, dopts.partition_count);
    if (!output) {
        status = cli_out_of_memory();
        goto out;
    }
    dopts.algorithm = ho.ser.algorithm;
    dopts.threads = ho.opts.threads;
    dopts.buffer_size = ho.opts.buffer_size;
    dopts.ignore_paths = (const char *const *)ho.ser.ignore_paths;
    dopts.n_ignore_paths = ho.ser.n_ignore_paths;
    dopts.hard_link = ho.opts.hard_link; /* warns on stderr (cli_hash_options_finish) */
    dopts.hard_link_ctx = ho.opts.hard_link_ctx;
    dopts.allow_lfs_pointers = ho.allow_lfs;
    cli_progress progress;
    cli_progress_start(&progress, ho.progress, "hashing");
    dopts.progress = cli_progress_update;
    dopts.progress_ctx = &progress;
    int rc = ms_dataset_manifest_write(dir, &dopts, output, &info, &err);
    cli_progress_end(&progress);
    if (rc != 0) {
        status = cli_fail(&err);
        goto out;
    }
    cli_progress_summary(&progress, "hashed", info.files);
    char root[80];
    cli_format_root(info.root_digest, root);
    if (dopts.partition_count)
        cli_info("Wrote %s: part %u of %u of dataset %s, %llu file%s, %llu bytes\n",
                 cli_quote(output), dopts.partition_index, dopts.partition_count,
                 cli_quote(info.name), (unsigned long long)info.files, info.files == 1 ? "" : "s",
                 (unsigned long long)info.bytes);
    else
        cli_info("Wrote %s: dataset %s, %llu file%s, %llu bytes\n%s\n", cli_quote(output),
                 cli_quote(info.name), (unsigned long long)info.files, info.files == 1 ? "" : "s",
                 (unsigned long long)info.bytes, root);
    if (fflush(stdout) != 0)
        status = EXIT_ENVIRONMENT;
out:
    free(output);
    ms_dataset_info_clear(&info);
    cli_hash_options_free(&ho);
    return status;
}

/* ---- sign --------------------------------------------------------------------------------- */

static int dataset_sign(int argc, char **argv)
{
    cli_passphrase_source pw = {0};
    cli_sigstore_options sso = {0};
    const char *key_path = NULL, *sig_arg = NULL;
    char *sig_path = NULL, *identity = NULL;
    int opt, status = EXIT_OK;
    ms_dataset_info info;
    ms_key *key = NULL;
    ms_buf payload = MS_BUF_INIT, bundle = MS_BUF_INIT;
    ms_error err;

    memset(&info, 0, sizeof info);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, dataset_options, SIGN)) != -1) {
        if (cli_sigstore_option(&sso, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_PWFILE:
            pw.password_file = optarg;
            break;
        case OPT_SIGNATURE:
            sig_arg = optarg;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MANIFEST")) {
        status = EXIT_USAGE;
        goto out;
    }
    if ((status = cli_sigstore_check(&sso, key_path != NULL)) != EXIT_OK)
        goto out;
    const char *manifest = argv[optind];
    sig_path = sig_arg ? strdup(sig_arg) : signature_for(manifest);
    if (!sig_path) {
        status = cli_out_of_memory();
        goto out;
    }
    if (ms_dataset_info_load(manifest, &info, &err) != 0 ||
        (key_path &&
         (pw.pin = ms_key_is_token_uri(key_path),
          ms_key_open_signer(key_path, cli_passphrase_callback, &pw, &key, &err)) != 0) ||
        cli_dataset_statement_build(&info, &payload, &err) != 0 ||
        (key ? cli_sign_statement(payload.data, payload.len, key, &bundle, &err)
             : cli_sigstore_sign_statement(&sso, payload.data, payload.len, &bundle, &err)) != 0 ||
        msx_file_write_atomic(sig_path, bundle.data, bundle.len, 0644, 0, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    char root[80], signer[300];
    cli_format_root(info.root_digest, root);
    if (key) {
        char hint[65];
        ms_key_hint(key, hint);
        snprintf(signer, sizeof signer, "key %.16s", hint);
    } else {
        identity = cli_sigstore_identity(&bundle);
        snprintf(signer, sizeof signer, "Sigstore, %.200s",
                 identity ? identity : "unknown identity");
    }
    cli_info("Signed dataset %s: %llu file%s, root %s\nSignature: %s (%s)\n", cli_quote(info.name),
             (unsigned long long)info.files, info.files == 1 ? "" : "s", root, cli_quote(sig_path),
             cli_quote(signer));
    if (fflush(stdout) != 0)
        status = EXIT_ENVIRONMENT;
out:
    msx_buf_free(&payload);
    msx_buf_free(&bundle);
    ms_key_free(key);
    free(sig_path);
    free(identity);
    ms_dataset_info_clear(&info);
    return status;
}

/* ---- verify ------------------------------------------------------------------------------- */

static void print_diff(void *ctx, ms_dataset_diff_kind kind, const char *path)
{
    cli_progress_end(ctx); /* the bar's line is erased before the first name */
    static const char *const names[] = {"missing: ", "extra:   ", "changed: "};
    char *quoted = msx_quote_encode(path, strlen(path)); /* may be on a hashing thread */
    fprintf(stderr, "  %s%s\n", names[kind], quoted ? quoted : "(out of memory)");
    free(quoted);
}

/* The signature at sig_path: that it verifies with a trusted key (its statement in *st); and,
 * with info, that it is over that very manifest. */
static int check_signature(const char *sig_path, const cli_keys *keys, const ms_dataset_info *info,
                           ms_signer_info *signer, ms_statement **st, ms_error *err)
{
    ms_buf text = MS_BUF_INIT;
    ms_bundle *bundle = NULL;
    int rc;
    ms_trust trust = {.keys = cli_keys_trusted(keys), .n_keys = keys->n};
    *st = NULL;
    if ((rc = msx_file_read(sig_path, MS_BUNDLE_MAX_SIZE, &text, err)) != 0)
        goto out;
    if ((rc = ms_bundle_parse(text.data, text.len, &bundle, err)) != 0 ||
        (rc = ms_verify_bundle_signature(bundle, &trust, signer, err)) != 0) {
        ms_error named;
        ms_error_set(&named, rc, "%s: %s", sig_path, err->message);
        *err = named;
        goto out;
    }
    const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
    if ((rc = ms_statement_parse_generic(env->payload, env->payload_len, st, err)) != 0 ||
        (info && (rc = ms_dataset_statement_check(*st, info, err)) != 0)) {
        ms_error named;
        ms_error_set(&named, rc, "%s: %s", sig_path, err->message);
        *err = named;
    }
out:
    ms_bundle_free(bundle);
    msx_buf_free(&text);
    return rc;
}

/* What a verified signature is over, checked against the manifest once it has been read whole
 * (ms_dataset_verify_options.manifest_check). */
typedef struct signed_manifest {
    const char *sig_path;
    const ms_statement *st;
} signed_manifest;

static int check_signed_manifest(void *ctx, const ms_dataset_info *info, ms_error *err)
{
    const signed_manifest *sm = ctx;
    int rc = ms_dataset_statement_check(sm->st, info, err);
    if (rc != 0) {
        ms_error named;
        ms_error_set(&named, rc, "%s: %s", sm->sig_path, err->message);
        *err = named;
    }
    return rc;
}

static int dataset_verify(int argc, char **argv)
{
    cli_hash_options ho;
    cli_keys keys = {0};
    ms_dataset_remote remote;
    const char *sig_arg = NULL;
    cli_dataset_share share = {0};
    char *sig_path = NULL, *sig_rel = NULL;
    int opt, status = EXIT_OK;
    ms_dataset_info info;
    ms_signer_info signer;
    ms_statement *st = NULL;
    ms_dataset_verify_result res;
    ms_error err;

    memset(&info, 0, sizeof info);
    memset(&signer, 0, sizeof signer);
    memset(&res, 0, sizeof res);
    ms_error_clear(&err);
    cli_hash_options_init(&ho);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, dataset_options, VERIFY)) != -1) {
        if (opt == OPT_IGNORE) {
            /* One list for every verifier of a manifest (this command and a policy's check). */
            status = cli_usage_error("--ignore: dataset verify leaves out exactly what the "
                                     "manifest's \"ignore\" list names (dataset manifest "
                                     "--ignore)");
            goto out;
        }
        int handled = cli_hash_option(&ho, opt, optarg);
        if (handled < 0) {
            status = EXIT_USAGE;
            goto out;
        }
        if (handled || cli_dataset_share_option(&share, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KEY:
            if ((status = cli_keys_add(&keys, optarg)) != EXIT_OK)
                goto out;
            break;
        case OPT_SIGNATURE:
            sig_arg = optarg;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (argc - optind < 1 || argc - optind > 2) {
        status = cli_usage_error(argc - optind ? "expected MANIFEST [DIR]" : "missing MANIFEST");
        goto out;
    }
    if (sig_arg && !keys.n) {
        status = cli_usage_error("--signature goes with --key");
        goto out;
    }
    if (argc - optind == 2 && !is_s3(argv[optind + 1]) &&
        (status = cli_resolve_hf(&argv[optind + 1], 1)) != EXIT_OK)
        goto out;
    const char *manifest = argv[optind];
    const char *dir = argc - optind == 2 ? argv[optind + 1] : NULL;
    if ((status = cli_dataset_share_finish(&share, dir)) != EXIT_OK)
        goto out;
    if (dir && (status = is_s3(dir) ? s3_operand(&ho, share.s3_endpoint, &remote)
                                    : cli_hash_options_finish(&ho, dir)) != 0)
        goto out;

    /* 1. Without DIR, the manifest itself: well formed, consistent (exit 2 otherwise). With
     * DIR, step 3 reads and checks it in the same pass as the data. */
    if (!dir && ms_dataset_info_load(manifest, &info, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* 2. The signature; that it is over this very manifest is checked here without DIR, and
     * with DIR once step 3 has read the manifest, before any difference is told. */
    if (keys.n) {
        sig_path = sig_arg ? strdup(sig_arg) : signature_for(manifest);
        if (!sig_path) {
            status = cli_out_of_memory();
            goto out;
        }
        if (check_signature(sig_path, &keys, dir ? NULL : &info, &signer, &st, &err) != 0) {
            status = cli_fail(&err);
            goto out;
        }
    }
    /* 3. The data. */
    if (dir) {
        /* The signature, when it lies inside DIR, is not data. */
        sig_rel = sig_path && !is_s3(dir) ? msx_path_inside_model(dir, sig_path) : NULL;
        cli_progress progress;
        const char *not_data[] = {sig_rel};
        signed_manifest sm = {sig_path, st};
        ms_dataset_verify_options vopts = {
            .threads = ho.opts.threads,
            .buffer_size = ho.opts.buffer_size,
            .ignore_paths = not_data,
            .n_ignore_paths = sig_rel ? 1 : 0,
            .diff = print_diff,
            .diff_ctx = &progress,
            .info = &info,
            .manifest_check = st ? check_signed_manifest : NULL,
            .check_ctx = &sm,
            .partition_index = share.index,
            .partition_count = share.count,
            .remote = is_s3(dir) ? &remote : NULL,
            .progress = cli_progress_update,
            .progress_ctx = &progress,
        };
        cli_progress_start(&progress, ho.progress, "verifying");
        int rc = ms_dataset_verify_dir(manifest, dir, &vopts, &res, &err);
        cli_progress_end(&progress);
        if (rc != 0) {
            status = cli_fail(&err);
            goto out;
        }
        cli_progress_summary(&progress, "hashed", res.files);
    }
    char root[80];
    cli_format_root(info.root_digest, root);
    cli_info("Verified %s: dataset %s, %llu file%s, %llu bytes, root %s\n", cli_quote(manifest),
             cli_quote(info.name), (unsigned long long)info.files, info.files == 1 ? "" : "s",
             (unsigned long long)info.bytes, root);
    if (keys.n)
        cli_info("Signature: %s (key %s)\n", cli_quote(sig_path), cli_quote(signer.hint));
    char dir_name[4608];
    if (dir && share.count)
        cli_info("Data: share %u of %u of %s matches (%llu files hashed)\n", share.index,
                 share.count,
                 cli_quote(is_s3(dir) ? dir : cli_operand_name(dir, dir_name, sizeof dir_name)),
                 (unsigned long long)res.files);
    else if (dir)
        cli_info("Data: %s matches (%llu files hashed)\n",
                 cli_quote(is_s3(dir) ? dir : cli_operand_name(dir, dir_name, sizeof dir_name)),
                 (unsigned long long)res.files);
    if (fflush(stdout) != 0)
        status = EXIT_ENVIRONMENT;
out:
    cli_keys_free(&keys);
    free(sig_path);
    free(sig_rel);
    ms_signer_info_clear(&signer);
    ms_statement_free(st);
    ms_dataset_info_clear(&info);
    cli_hash_options_free(&ho);
    return status;
}

/* ---- merge (dataset_partition.c) ------------------------------------------------------------ */

static int dataset_merge(int argc, char **argv)
{
    return cli_dataset_merge(argc, argv, dataset_options, MERGE);
}

int cmd_dataset(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "dataset", &cmd_dataset_help);
}
