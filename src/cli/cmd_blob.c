/* modelseal blob: sign and verify a single artifact the way every Sigstore client does
 * (messageSignature or DSSE in-toto bundles), for interoperability and the sigstore-conformance
 * suite (contrib/conformance). Models use sign/verify instead. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "modelseal/blob.h"

static int blob_sign(int argc, char **argv);
static int blob_verify(int argc, char **argv);
static const cli_subcommand blob_subs[] = {{"sign", blob_sign}, {"verify", blob_verify}};
enum { SIGN = 1u << 0, VERIFY = 1u << 1 }; /* bits of blob_subs */

static const cli_option blob_options[] = {
    {"key", 0, required_argument, "KEY",
     "sign: the secret key (modelseal keygen, or PKCS#8/SEC1 PEM);\n"
     "verify: the trusted public key (PEM)",
     OPT_KEY, CLI_PATH, 0, NULL, NULL},
    {"password-file", 0, required_argument, "FILE", "read the secret key's passphrase from FILE",
     OPT_PWFILE, CLI_PATH, SIGN, NULL, NULL},
    CLI_OPTION_INCLUDE(cli_sigstore_option_table, SIGN),
    {"in-toto", 0, required_argument, "STATEMENT",
     "sign this in-toto statement (DSSE) instead of a message signature", OPT_INTOTO, CLI_PATH,
     SIGN, NULL, NULL},
    {"bundle", 0, required_argument, "FILE", "the bundle to write (sign) or to check (verify)",
     OPT_BUNDLE, CLI_PATH, 0, NULL, NULL},
    {"identity", 0, required_argument, "ID", "keyless: the certificate's exact identity (SAN)",
     OPT_IDENTITY, 0, VERIFY, NULL, NULL},
    {"issuer", 0, required_argument, "URL", "keyless: the exact OIDC issuer", OPT_ISSUER, 0, VERIFY,
     NULL, NULL},
    {"trusted-root", 0, required_argument, "FILE",
     "the Sigstore instance's trusted_root.json (default: public-good)", OPT_TRUSTED_ROOT, CLI_PATH,
     VERIFY, NULL, NULL},
    {"staging", 0, no_argument, NULL, "use the Sigstore staging instance's trusted root",
     OPT_STAGING, 0, VERIFY, NULL, NULL},
    {"json", 0, no_argument, NULL, "verify: print a machine-readable report", OPT_JSON, 0, VERIFY,
     NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_blob_help = {
    "Usage: modelseal blob sign (--key KEY [--password-file FILE] | --sigstore [KEYLESS OPTIONS])\n"
    "                           --bundle OUT (ARTIFACT | --in-toto STATEMENT [ARTIFACT])\n"
    "       modelseal blob verify --bundle BUNDLE (--key PUB | --identity ID --issuer URL)\n"
    "                             [--trusted-root FILE | --staging] [--json] ARTIFACT|sha256:HEX\n"
    "Sign or verify one file (not a model) as any Sigstore client does.\n"
    "sign writes a Sigstore bundle (v0.3): a message signature over ARTIFACT (its SHA-256 digest\n"
    "and an ECDSA P-256 or Ed25519 signature), or with --in-toto a DSSE envelope of the in-toto\n"
    "STATEMENT (when ARTIFACT is given, it must be one of the statement's subjects). With\n"
    "--sigstore it signs keylessly: Fulcio certificate, Rekor entry (hashedrekord for a message\n"
    "signature) and timestamp.\n"
    "verify checks BUNDLE over ARTIFACT, given as a file or by its digest: the signature with a\n"
    "trusted key, or keylessly the Sigstore certificate, transparency log entries and timestamps\n"
    "offline against a trusted root (log entries in a key bundle are checked against it too);\n"
    "for a DSSE bundle, the statement must name ARTIFACT's SHA-256 as a subject.\n\n"
    "Options:\n",
    blob_options,
    "A digest operand is sha256: and 64 hex digits, and names no existing file. An Ed25519\n"
    "message signature covers the artifact itself, so it is verified from the file only.\n"
    "Exit status: 0 signed or verified, 1 not verified, 2 malformed or unreadable input,\n"
    "3 I/O error.\n",
    blob_subs, sizeof blob_subs / sizeof blob_subs[0]};

/* ARTIFACT|sha256:HEX: a digest form that names no existing path is a digest. */
static int open_artifact(const char *arg, ms_blob_artifact *a)
{
    ms_error err;
    int rc = ms_blob_is_digest(arg) && access(arg, F_OK) != 0
                 ? ms_blob_artifact_from_digest(arg, a, &err)
                 : ms_blob_artifact_open(arg, a, &err);
    return rc ? cli_fail(&err) : EXIT_OK;
}

static int blob_sign(int argc, char **argv)
{
    cli_passphrase_source pw = {0};
    cli_sigstore_options keyless = {0};
    const char *key_path = NULL, *statement_path = NULL, *out_path = NULL;
    ms_key *key = NULL;
    ms_blob_artifact artifact;
    ms_buf statement = MS_BUF_INIT, bundle = MS_BUF_INIT;
    ms_error err;
    int opt, status = EXIT_OK;

    memset(&artifact, 0, sizeof artifact);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, blob_options, SIGN)) != -1) {
        if (cli_sigstore_option(&keyless, opt, optarg))
            continue;
        switch (opt) {
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_PWFILE:
            pw.password_file = optarg;
            break;
        case OPT_INTOTO:
            statement_path = optarg;
            break;
        case OPT_BUNDLE:
            out_path = optarg;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    int n_operands = argc - optind;
    if ((status = cli_sigstore_check(&keyless, key_path != NULL)) != EXIT_OK)
        return status;
    if (pw.password_file && !key_path)
        return cli_usage_error("--password-file goes with --key");
    if (!out_path)
        return cli_usage_error("missing --bundle OUT");
    if (statement_path ? n_operands > 1 : n_operands != 1)
        return cli_usage_error(n_operands ? "expected exactly one ARTIFACT" : "missing ARTIFACT");
    if (n_operands == 1 && (status = open_artifact(argv[optind], &artifact)) != EXIT_OK)
        goto out;
    if (statement_path) {
        if (msx_file_read(statement_path, MS_BLOB_MAX_STATEMENT, &statement, &err) != 0 ||
            ms_blob_check_statement(statement.data, statement.len,
                                    n_operands ? artifact.sha256 : NULL, statement_path,
                                    &err) != 0) {
            status = cli_fail(&err);
            goto out;
        }
    }
    pw.pin = key_path && ms_key_is_token_uri(key_path);
    if (key_path && ms_key_open_signer(key_path, cli_passphrase_callback, &pw, &key, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    int rc;
    if (keyless.enabled && statement_path)
        rc = cli_sigstore_sign_statement(&keyless, statement.data, statement.len, &bundle, &err);
    else if (keyless.enabled)
        rc = cli_sigstore_sign_message(&keyless, artifact.sha256, &bundle, &err);
    else if (statement_path)
        rc = cli_sign_statement(statement.data, statement.len, key, &bundle, &err);
    else
        rc = cli_blob_sign(&artifact, key, &bundle, &err);
    if (rc == 0)
        rc = msx_file_write_atomic(out_path, bundle.data, bundle.len, 0644, 0, &err);
    if (rc != 0) {
        status = cli_fail(&err);
        goto out;
    }
    const char *what = statement_path ? statement_path : argv[optind];
    const char *shape = statement_path ? "in-toto statement" : "message signature";
    if (keyless.enabled) {
        char *id = cli_sigstore_identity(&bundle);
        cli_info("Signed %s (%s) keylessly as %s: %s\n", cli_quote(what), shape,
                 id ? cli_quote(id) : "?", cli_quote(out_path));
        free(id);
    } else {
        char hint[65];
        if (ms_key_hint(key, hint) != 0) {
            cli_message("out of memory");
            status = EXIT_ENVIRONMENT;
            goto out;
        }
        cli_info("Signed %s (%s) with key %.16s: %s\n", cli_quote(what), shape, hint,
                 cli_quote(out_path));
    }
out:
    ms_key_free(key);
    ms_blob_artifact_close(&artifact);
    msx_buf_free(&statement);
    msx_buf_free(&bundle);
    return status;
}

/* The report (modelseal-json(7), doc/schemas/blob-verify.schema.json). */
static int report_json(const char *artifact, const char *bundle_path, int rc, const ms_error *err,
                       const ms_blob_result *res)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "verified", rc == 0);
    cJSON_AddStringToObject(o, "artifact", artifact);
    cJSON_AddStringToObject(o, "bundle", bundle_path);
    if (rc == 0) {
        cJSON_AddStringToObject(o, "content", res->dsse ? "dsse" : "message_signature");
        cJSON_AddItemToObject(o, "signer",
                              cli_signer_json(res->identity ? "sigstore" : "key", res->hint,
                                              res->identity, NULL, res->issuer, res->signing_time));
        cJSON_AddNumberToObject(o, "tlog_entries", (double)res->n_tlog_entries);
        cJSON_AddNumberToObject(o, "timestamps", (double)res->n_timestamps);
    } else {
        cJSON_AddNullToObject(o, "signer");
    }
    cli_outcome_json(o, rc, err);
    return cli_print_json(o);
}

static int blob_verify(int argc, char **argv)
{
    const char *key_path = NULL, *bundle_path = NULL, *root_path = NULL;
    const char *identity = NULL, *issuer = NULL;
    int staging = 0, json = 0, n_key_options = 0, opt, status = EXIT_OK;
    cli_keys keys = {0};
    ms_trusted_root *root = NULL;
    ms_blob_artifact artifact;
    ms_blob_result res;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;

    memset(&artifact, 0, sizeof artifact);
    memset(&res, 0, sizeof res);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, blob_options, VERIFY)) != -1) {
        switch (opt) {
        case OPT_KEY:
            key_path = optarg;
            n_key_options++;
            break;
        case OPT_BUNDLE:
            bundle_path = optarg;
            break;
        case OPT_IDENTITY:
            identity = optarg;
            break;
        case OPT_ISSUER:
            issuer = optarg;
            break;
        case OPT_TRUSTED_ROOT:
            root_path = optarg;
            break;
        case OPT_STAGING:
            staging = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    const char *operand = cli_operand(argc, argv, "ARTIFACT");
    if (!operand)
        return EXIT_USAGE;
    if (!bundle_path)
        return cli_usage_error("missing --bundle BUNDLE");
    if (key_path ? identity || issuer : !identity || !issuer)
        return cli_usage_error("give --key, or --identity and --issuer");
    if (n_key_options > 1)
        return cli_usage_error("blob verify takes one --key");
    if (root_path && staging)
        return cli_usage_error("--trusted-root and --staging exclude each other");
    /* With --key, a root checks the bundle's log entries: the one given (--trusted-root,
     * --staging), else the installed default, else none (a bundle without log entries verifies
     * by its key alone). */
    if ((status = cli_sigstore_root_load(
             root_path, staging, key_path && !staging ? CLI_ROOT_IF_INSTALLED : CLI_ROOT_REQUIRED,
             &root)) != EXIT_OK)
        goto out;
    if (key_path && (status = cli_keys_add(&keys, key_path)) != EXIT_OK)
        goto out;
    if ((status = open_artifact(operand, &artifact)) != EXIT_OK)
        goto out;
    if (msx_file_read(bundle_path, MS_BUNDLE_MAX_SIZE, &bundle, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    ms_blob_trust trust = {
        .key = keys.n ? keys.items[0] : NULL, .identity = identity, .issuer = issuer, .root = root};
    int rc = ms_blob_verify(bundle.data, bundle.len, &artifact, &trust, &res, &err);
    if (rc == MS_EINPUT && strncmp(err.message, "sigstore", 8) != 0) {
        ms_error named; /* a malformed bundle: name the file */
        ms_error_set(&named, rc, "%s: %s", bundle_path, err.message);
        err = named;
    }
    if (json) {
        int jst = report_json(operand, bundle_path, rc, &err, &res);
        status = rc ? ms_error_exit_status(rc) : jst;
        goto out;
    }
    if (rc != 0) {
        status = cli_fail(&err);
        goto out;
    }
    cli_info("Verified %s (%s)\n", cli_quote(operand),
             res.dsse ? "in-toto statement" : "message signature");
    if (res.identity) {
        char when[40];
        cli_format_time(res.signing_time, when, sizeof when);
        cli_info("Signer: Sigstore certificate for %s from %s, signed %s (key %.16s)\n",
                 cli_quote(res.identity), cli_quote(res.issuer), when, cli_quote(res.hint));
    } else
        cli_info("Signer: key %s\n", cli_quote(res.hint));
out:
    ms_blob_result_clear(&res);
    ms_blob_artifact_close(&artifact);
    msx_buf_free(&bundle);
    cli_keys_free(&keys);
    ms_trusted_root_free(root);
    return status;
}

int cmd_blob(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "blob", &cmd_blob_help);
}
