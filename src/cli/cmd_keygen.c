/* modelseal keygen: make a key pair, PREFIX.pub (SubjectPublicKeyInfo PEM) and PREFIX.key
 * (modelseal's secret key format, encrypted unless --no-password). Neither file is replaced
 * without --force, and both are checked before either is written. With --pkcs11 URI the pair is
 * made on a PKCS#11 token, its private half not extractable, and --output names the public key
 * file alone. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static const cli_option keygen_options[] = {
    {"output", 'o', required_argument, "PREFIX",
     "write PREFIX.pub and PREFIX.key (with --pkcs11:\n"
     "the public key file itself)",
     'o', CLI_PATH, 0, NULL, NULL},
    {"pkcs11", 0, required_argument, "URI",
     "make the pair on the PKCS#11 token URI names\n"
     "(pkcs11:token=...;object=LABEL; modelseal-keys(5));\n"
     "the PIN: the URI's pin-source or pin-value,\n"
     "--password-file, $MODELSEAL_PASSWORD, else asked",
     OPT_PKCS11, 0, 0, NULL, NULL},
    {"algorithm", 0, required_argument, "ed25519|ecdsa-p256",
     "key type (default ed25519; ecdsa-p384 and ecdsa-p521\n"
     "are accepted too)",
     OPT_ALGORITHM, 0, 0, NULL, NULL},
    {"no-password", 0, no_argument, NULL, "store the secret key unencrypted", OPT_NO_PASSWORD, 0, 0,
     NULL, NULL},
    {"password-file", 0, required_argument, "FILE",
     "read the passphrase from the first line of FILE\n"
     "(default: $MODELSEAL_PASSWORD, else asked twice on the terminal)",
     OPT_PWFILE, CLI_PATH, 0, NULL, NULL},
    {"force", 0, no_argument, NULL, "replace existing key files", OPT_FORCE, 0, 0, NULL, NULL},
    {"json", 0, no_argument, NULL, "print {public_key, secret_key, algorithm, hint}", OPT_JSON, 0,
     0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_keygen_help = {
    "Usage: modelseal keygen [OPTIONS] --output PREFIX\n"
    "       modelseal keygen --pkcs11 URI [--algorithm ALG] --output PUBLIC.pem\n"
    "Make a signing key pair: PREFIX.pub (public key, PEM) and PREFIX.key (secret key, mode 0600,\n"
    "encrypted with a passphrase unless --no-password), or a pair on a PKCS#11 token whose\n"
    "public key is written to PUBLIC.pem. See modelseal-keys(5).\n\n"
    "Options:\n",
    keygen_options, NULL, NULL, 0};

/* PREFIX + suffix, malloc'd; NULL when out of memory. */
static char *with_suffix(const char *prefix, const char *suffix)
{
    char *s = NULL;
    return asprintf(&s, "%s%s", prefix, suffix) < 0 ? NULL : s;
}

/* 0 when `path` may be written; else reports and returns EXIT_USAGE. */
static int check_target(const char *path, int force)
{
    struct stat st;
    if (lstat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        cli_message("%s: %s", path, strerror(errno));
        return EXIT_USAGE;
    }
    if (S_ISDIR(st.st_mode)) {
        cli_message("%s: is a directory", path);
        return EXIT_USAGE;
    }
    if (!force) {
        cli_message("%s: already exists (use --force to replace it)", path);
        return EXIT_USAGE;
    }
    return 0;
}

static int print_result(int json, const char *pub, const char *sec, ms_key_type type,
                        const char *hint, int encrypted)
{
    if (json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "public_key", pub) ||
            !cJSON_AddStringToObject(o, "secret_key", sec) ||
            !cJSON_AddStringToObject(o, "algorithm", ms_key_type_name(type)) ||
            !cJSON_AddStringToObject(o, "hint", hint) ||
            !cJSON_AddBoolToObject(o, "encrypted", encrypted)) {
            cJSON_Delete(o);
            cli_message("out of memory");
            return EXIT_ENVIRONMENT;
        }
        return cli_print_json(o);
    }
    cli_info("algorithm:  %s\n"
             "public key: %s\n"
             "secret key: %s (%s)\n"
             "hint:       %s\n",
             ms_key_type_name(type), cli_quote(pub), cli_quote(sec),
             encrypted ? "encrypted" : "NOT encrypted: protect it with file permissions", hint);
    return EXIT_OK;
}

/* keygen --pkcs11: the pair on the token, the public key in `pub`. */
static int keygen_on_token(const char *uri, ms_key_type type, const char *pub, int force,
                           const char *password_file, int json)
{
    cli_passphrase_source source = {password_file, 0, 1};
    ms_key *key = NULL;
    ms_error err;
    char hint[65];
    int status;
    ms_error_clear(&err);
    if ((status = check_target(pub, force)) != 0)
        return status;
    if (ms_key_generate_on_token(uri, type, cli_passphrase_callback, &source, &key, &err) != 0 ||
        ms_key_save_public(key, pub, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (ms_key_hint(key, hint) != 0) {
        status = cli_out_of_memory();
        goto out;
    }
    if (json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "public_key", pub) ||
            !cJSON_AddStringToObject(o, "algorithm", ms_key_type_name(type)) ||
            !cJSON_AddStringToObject(o, "hint", hint) || !cJSON_AddBoolToObject(o, "on_token", 1)) {
            cJSON_Delete(o);
            status = cli_out_of_memory();
            goto out;
        }
        status = cli_print_json(o);
    } else {
        printf("algorithm:  %s\n"
               "public key: %s\n"
               "secret key: on the PKCS#11 token (not extractable)\n"
               "hint:       %s\n",
               ms_key_type_name(type), cli_quote(pub), hint);
    }
out:
    ms_key_free(key);
    return status;
}

int cmd_keygen(int argc, char **argv)
{
    cli_passphrase_source source = {NULL, 1, 0};
    const char *pkcs11 = NULL;
    const char *prefix = NULL;
    char *pub = NULL, *sec = NULL, *passphrase = NULL;
    ms_key_type type = MS_KEY_ED25519;
    ms_key *key = NULL;
    ms_error err;
    ms_buf old_pub = MS_BUF_INIT;
    int json = 0, no_password = 0, force = 0, had_pub = 1, opt, status = EXIT_OK;

    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, keygen_options, 0)) != -1) {
        switch (opt) {
        case 'o':
            prefix = optarg;
            break;
        case OPT_ALGORITHM:
            if (ms_key_type_parse(optarg, &type) != 0)
                return cli_usage_error(
                    "--algorithm: expected ed25519, ecdsa-p256, ecdsa-p384 or ecdsa-p521, not '%s'",
                    optarg);
            break;
        case OPT_NO_PASSWORD:
            no_password = 1;
            break;
        case OPT_PWFILE:
            source.password_file = optarg;
            break;
        case OPT_FORCE:
            force = 1;
            break;
        case OPT_PKCS11:
            pkcs11 = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (optind < argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!prefix || !*prefix)
        return cli_usage_error("missing --output PREFIX");
    if (no_password && source.password_file)
        return cli_usage_error("--no-password and --password-file exclude each other");
    if (pkcs11 && no_password)
        return cli_usage_error("--no-password does not apply to a key on a token (--pkcs11)");
    if (pkcs11)
        return keygen_on_token(pkcs11, type, prefix, force, source.password_file, json);

    pub = with_suffix(prefix, ".pub");
    sec = with_suffix(prefix, ".key");
    if (!pub || !sec) {
        cli_message("out of memory");
        status = EXIT_ENVIRONMENT;
        goto out;
    }
    /* Both checks before anything is written, so a refusal leaves both files as they were. */
    if ((status = check_target(pub, force)) != 0 || (status = check_target(sec, force)) != 0)
        goto out;
    if (!no_password) {
        passphrase = cli_passphrase_get(&source, &err);
        if (!passphrase) {
            status = cli_fail(&err);
            goto out;
        }
        if (!*passphrase) {
            cli_message("empty passphrase (use --no-password for an unencrypted key)");
            status = EXIT_USAGE;
            goto out;
        }
    }
    /* The public half first, then the secret half; if the second write fails, the first is
     * undone, so the pair on disk always matches (and --force never loses the old secret key
     * to a failed write). */
    if (msx_file_read(pub, 1 << 16, &old_pub, &err) != 0) {
        if (access(pub, F_OK) == 0) {
            status = cli_fail(&err);
            goto out;
        }
        had_pub = 0;
        ms_error_clear(&err);
    }
    if (ms_key_generate(type, &key, &err) != 0 || ms_key_save_public(key, pub, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (ms_key_save_secret(key, sec, passphrase, force, &err) != 0) {
        status = cli_fail(&err);
        ms_error undo_err;
        ms_error_clear(&undo_err);
        if (!had_pub)
            unlink(pub);
        else if (msx_file_write_atomic(pub, old_pub.data, old_pub.len, 0644, 0, &undo_err) != 0)
            cli_message("%s: cannot restore the previous public key: %s", pub, undo_err.message);
        goto out;
    }
    char hint[65];
    if (ms_key_hint(key, hint) != 0) {
        cli_message("out of memory");
        status = EXIT_ENVIRONMENT;
        goto out;
    }
    status = print_result(json, pub, sec, type, hint, passphrase != NULL);
out:
    cli_passphrase_free(passphrase);
    ms_key_free(key);
    msx_buf_free(&old_pub);
    free(pub);
    free(sec);
    return status;
}
