/* The keyless signing options shared by sign, dataset sign and attest provenance: where the
 * signing config and the identity token come from, and how the browser sign-in is shown; and
 * the trusted root verify and blob verify check Sigstore evidence against. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

extern char **environ;

const cli_option cli_sigstore_option_table[] = {
    {"sigstore", 0, no_argument, NULL,
     "sign keylessly with Sigstore (Fulcio certificate, Rekor entry,\n"
     "timestamp) instead of --key; see modelseal-sigstore(7)",
     OPT_SIGSTORE, 0, 0, NULL, NULL},
    {"identity-token", 0, required_argument, "T",
     "the OIDC identity token (else SIGSTORE_ID_TOKEN, GitHub Actions,\n"
     "or a browser sign-in)",
     OPT_IDENTITY_TOKEN, 0, 0, NULL, NULL},
    {"signing-config", 0, required_argument, "FILE",
     "the Sigstore services to use (default: public-good)", OPT_SIGNING_CONFIG, CLI_PATH, 0, NULL,
     NULL},
    {"staging", 0, no_argument, NULL, "use Sigstore's staging instance", OPT_SIGSTORE_STAGING, 0, 0,
     NULL, NULL},
    {"oidc-client-id", 0, required_argument, "ID",
     "OAuth client for the browser sign-in (default sigstore)", OPT_OIDC_CLIENT_ID, 0, 0, NULL,
     NULL},
    {"no-browser", 0, no_argument, NULL, "print the sign-in URL, do not open a browser",
     OPT_NO_BROWSER, 0, 0, NULL, NULL},
    {"rekor-v2-entry", 0, required_argument, "KIND",
     "how a Rekor v2 log records the envelope: hashedrekord (over the\n"
     "SHA-256 of the PAE; default) or dsse (0.0.2)",
     OPT_REKOR_V2_ENTRY, 0, 0, NULL, NULL},
    CLI_OPTION_END,
};

int cli_sigstore_option(cli_sigstore_options *o, int opt, const char *arg)
{
    switch (opt) {
    case OPT_SIGSTORE:
        o->enabled = 1;
        return 1;
    case OPT_IDENTITY_TOKEN:
        o->identity_token = arg;
        break;
    case OPT_SIGNING_CONFIG:
        o->signing_config = arg;
        break;
    case OPT_SIGSTORE_STAGING:
        o->staging = 1;
        break;
    case OPT_OIDC_CLIENT_ID:
        o->oidc_client_id = arg;
        break;
    case OPT_NO_BROWSER:
        o->no_browser = 1;
        break;
    case OPT_REKOR_V2_ENTRY:
        o->rekor_v2_entry = arg;
        break;
    default:
        return 0;
    }
    o->any_given = 1;
    return 1;
}

int cli_sigstore_check(const cli_sigstore_options *o, int have_key)
{
    if (o->enabled && have_key)
        return cli_usage_error("--sigstore and --key exclude each other");
    if (!o->enabled && !have_key)
        return cli_usage_error("--key is required (or --sigstore to sign keylessly)");
    if (!o->enabled && o->any_given)
        return cli_usage_error("--identity-token, --signing-config, --staging, --oidc-client-id, "
                               "--no-browser and --rekor-v2-entry need --sigstore");
    if (o->rekor_v2_entry && strcmp(o->rekor_v2_entry, "hashedrekord") != 0 &&
        strcmp(o->rekor_v2_entry, "dsse") != 0)
        return cli_usage_error("--rekor-v2-entry: '%s' is neither hashedrekord nor dsse",
                               o->rekor_v2_entry);
    if (o->staging && o->signing_config)
        return cli_usage_error("--staging and --signing-config exclude each other");
    return EXIT_OK;
}

/* The directory of the default trusted roots and signing configs: $MODELSEAL_SIGSTORE_DIR when
 * set, else the installed one. Nothing else is looked at (never the source tree). */
static const char *sigstore_dir(void)
{
    const char *env = getenv("MODELSEAL_SIGSTORE_DIR");
    return env && *env ? env : MS_PKGDATADIR;
}

/* A non-negative number from the environment, or `dflt`. */
static long env_number(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    long n = strtol(v, &end, 10);
    return *end || n < 0 ? dflt : n;
}

typedef struct browser_ctx {
    int open; /* run $BROWSER (or xdg-open on a terminal) */
} browser_ctx;

static void show_url(const char *url, void *ctx)
{
    const browser_ctx *b = ctx;
    fprintf(stderr, "modelseal: sign in to Sigstore in a browser at:\n  %s\n", cli_quote(url));
    fflush(stderr);
    if (!b->open)
        return;
    const char *browser = getenv("BROWSER");
    if (!browser || !*browser)
        browser = "xdg-open";
    char *argv[] = {(char *)browser, (char *)url, NULL};
    pid_t pid;
    /* Best effort: the URL is printed either way. The child is not waited for. */
    if (posix_spawnp(&pid, browser, NULL, NULL, argv, environ) != 0)
        fprintf(stderr, "modelseal: cannot run %s; open the URL yourself\n", cli_quote(browser));
}

/* A default trust file (not named on the command line) that cannot be read: the installation
 * (or $MODELSEAL_SIGSTORE_DIR) lacks it, an environment problem (MS_EENV, exit 3) naming the
 * path looked at. 0 when readable. */
static int check_default_file(const char *path, const char *what, const char *option, ms_error *err)
{
    if (access(path, R_OK) == 0)
        return 0;
    return ms_error_set(err, MS_EENV, "%s: %s (the default %s; give %s FILE)", path,
                        strerror(errno), what, option);
}

/* The library options from the command line and the environment (path: PATH_MAX bytes for the
 * default signing config's path). MS_EENV when that default is not readable. */
static int library_options(const cli_sigstore_options *o, ms_sigstore_sign_options *so,
                           browser_ctx *b, char *path, ms_error *err)
{
    const char *name = o->staging ? "staging_signing_config.v0.2.json" : "signing_config.v0.2.json";
    const char *browser = getenv("BROWSER");
    int tty = isatty(STDERR_FILENO);

    memset(so, 0, sizeof *so);
    b->open = !o->no_browser && ((browser && *browser) || tty);
    if (o->signing_config) {
        so->signing_config = o->signing_config;
    } else {
        snprintf(path, PATH_MAX, "%s/%s", sigstore_dir(), name);
        so->signing_config = path;
        if (check_default_file(path, "signing config", "--signing-config", err) != 0)
            return MS_EENV;
    }
    so->identity_token = o->identity_token;
    /* A browser sign-in needs someone to open the URL: a terminal, or a $BROWSER to run. */
    so->interactive = tty || (browser && *browser && !o->no_browser);
    so->oidc_client_id = o->oidc_client_id;
    so->rekor_v2_dsse = o->rekor_v2_entry && strcmp(o->rekor_v2_entry, "dsse") == 0;
    so->show_url = show_url;
    so->show_url_ctx = b;
    so->timeout_ms = env_number("MODELSEAL_HTTP_TIMEOUT_MS", 0);
    so->connect_timeout_ms = so->timeout_ms > 0 && so->timeout_ms < 10000 ? so->timeout_ms : 0;
    so->retries = (int)env_number("MODELSEAL_HTTP_RETRIES", -1);
    so->backoff_ms = env_number("MODELSEAL_HTTP_BACKOFF_MS", 0);
    so->interactive_timeout_ms = env_number("MODELSEAL_OIDC_TIMEOUT_MS", 0);
    return 0;
}

int cli_sigstore_preflight(const cli_sigstore_options *o, ms_error *err)
{
    char path[PATH_MAX];
    browser_ctx b;
    ms_sigstore_sign_options so;
    int rc = library_options(o, &so, &b, path, err);
    return rc ? rc : ms_sigstore_sign_preflight(&so, err);
}

int cli_sigstore_sign_statement(const cli_sigstore_options *o, const uint8_t *payload, size_t len,
                                ms_buf *out, ms_error *err)
{
    char path[PATH_MAX];
    browser_ctx b;
    ms_sigstore_sign_options so;
    int rc = library_options(o, &so, &b, path, err);
    char *text = NULL;
    size_t text_len = 0;
    if (rc == 0)
        rc = ms_sigstore_sign_dsse(&so, payload, len, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

int cli_sigstore_sign_message(const cli_sigstore_options *o, const uint8_t sha256[32], ms_buf *out,
                              ms_error *err)
{
    char path[PATH_MAX];
    browser_ctx b;
    ms_sigstore_sign_options so;
    int rc = library_options(o, &so, &b, path, err);
    char *text = NULL;
    size_t text_len = 0;
    if (rc == 0)
        rc = ms_sigstore_sign_message(&so, sha256, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

char *cli_sigstore_identity(const ms_buf *bundle)
{
    ms_bundle *b = NULL;
    ms_x509_chain *chain = NULL;
    char *id = NULL;
    size_t len;
    if (ms_bundle_parse(bundle->data, bundle->len, &b, NULL) == 0 &&
        ms_bundle_certificate_count(b) > 0 && (chain = ms_x509_chain_new())) {
        const uint8_t *der = ms_bundle_certificate(b, 0, &len);
        if (ms_x509_chain_add_der(chain, der, len, NULL) == 0)
            id = ms_x509_leaf_identity(chain);
    }
    ms_x509_chain_free(chain);
    ms_bundle_free(b);
    return id;
}

int cli_sigstore_root_load(const char *path, int staging, cli_root_need need, ms_trusted_root **out)
{
    const char *name = staging ? "staging_trusted_root.json" : "trusted_root.json";
    char buf[PATH_MAX];
    ms_error err;
    *out = NULL;
    if (!path) {
        snprintf(buf, sizeof buf, "%s/%s", sigstore_dir(), name);
        path = buf;
        if (need == CLI_ROOT_IF_INSTALLED && access(path, F_OK) != 0 && errno == ENOENT)
            return EXIT_OK; /* none installed: go on without */
        if (check_default_file(path, "trusted root", "--trusted-root", &err) != 0)
            return cli_fail(&err);
    }
    if (ms_trusted_root_load(path, out, &err) != 0)
        return cli_fail(&err);
    return EXIT_OK;
}
