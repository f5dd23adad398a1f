/* modelseal attest: signed statements about a model in its claims file.
 *   attest provenance: SLSA v1 provenance (training code, datasets, base models, packages),
 *                      signed, appended with the evidence it points to;
 *   attest list:       what the claims file holds, and whether each claim verifies. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/provenance.h"

const char cmd_attest_usage[] =
    "Usage: modelseal attest provenance --key KEY --builder-id URI [OPTIONS] MODEL\n"
    "       modelseal attest list [--key PUB]... [--json] [--claims FILE] MODEL\n"
    "provenance: sign a SLSA v1 provenance statement about MODEL (its subject is the model as\n"
    "its signature names it: sign the model first) and append it to the claims file, with\n"
    "copies of the evidence it depends on (dataset signatures, base models' model.sig and\n"
    "claims). The claims file is MODEL/claims.jsonl for a directory (never hashed),\n"
    "MODEL.claims.jsonl beside a single file. list: show each claim: line, predicate type,\n"
    "subject, signer and, with --key, whether its signature verifies.\n\n"
    "provenance options:\n"
    "  --key KEY              secret key to sign with (as modelseal sign)\n"
    "  --password-file FILE   the key's passphrase (else MODELSEAL_PASSWORD, else a prompt)\n"
    "  --builder-id URI       runDetails.builder.id: who ran the training (required)\n"
    "  --build-type URI       buildDefinition.buildType (default https://modelseal/training/v1)\n"
    "  --params FILE.json     externalParameters: a JSON object (training configuration)\n"
    "  --param KEY=VALUE      add a string parameter (repeatable; replaces one of that name)\n"
    "  --git-repo PATH        the training code's repository (default: found from the current\n"
    "                         directory)\n"
    "  --git-remote NAME      the remote whose URL is recorded (default origin)\n"
    "  --allow-dirty          accept uncommitted changes or untracked files (recorded as dirty)\n"
    "  --no-git               record no code dependency\n"
    "  --dataset MANIFEST[=SIG]  a dataset manifest and its signature (default MANIFEST.sig when\n"
    "                         present); repeatable\n"
    "  --base-model PATH      a base model: a directory with model.sig, or a .sig file;\n"
    "                         repeatable\n"
    "  --dependency URI[=sha256:HEX]  a package (e.g. pkg:pypi/torch@2.5.1); repeatable\n"
    "  --invocation-id ID     runDetails.metadata.invocationId\n"
    "  --started-on RFC3339   start of the training (default: now)\n"
    "  --finished-on RFC3339  end of the training (default: now)\n"
    "  --signature SIG        the model's signature (default MODEL/model.sig or MODEL.sig)\n"
    "  --claims FILE          the claims file to append to\n"
    "list options:\n"
    "  --key PUB              trusted public key (repeatable): check each claim's signature\n"
    "  --json                 print a JSON array\n"
    "  --claims FILE          the claims file to read\n"
    "  -h, --help             show this help\n";

enum {
    OPT_KEY = OPT_FIRST_COMMAND_OPTION,
    OPT_PWFILE,
    OPT_BUILDER_ID,
    OPT_BUILD_TYPE,
    OPT_PARAMS,
    OPT_PARAM,
    OPT_GIT_REPO,
    OPT_GIT_REMOTE,
    OPT_ALLOW_DIRTY,
    OPT_NO_GIT,
    OPT_DATASET,
    OPT_BASE_MODEL,
    OPT_DEPENDENCY,
    OPT_INVOCATION_ID,
    OPT_STARTED_ON,
    OPT_FINISHED_ON,
    OPT_SIGNATURE,
    OPT_CLAIMS
};

#define MAX_PARAMS_FILE ((size_t)16 << 20)

/* A growable list of strings (owned or borrowed, per list). */
typedef struct strlist {
    char **items;
    size_t *lens;
    size_t n;
} strlist;

static int strlist_add(strlist *l, char *s, size_t len)
{
    char **items = reallocarray(l->items, l->n + 1, sizeof *items);
    if (!items)
        return -1;
    l->items = items;
    size_t *lens = reallocarray(l->lens, l->n + 1, sizeof *lens);
    if (!lens)
        return -1;
    l->lens = lens;
    l->items[l->n] = s;
    l->lens[l->n++] = len;
    return 0;
}

static void strlist_free(strlist *l, int owned)
{
    for (size_t i = 0; owned && i < l->n; i++)
        free(l->items[i]);
    free(l->items);
    free(l->lens);
    memset(l, 0, sizeof *l);
}

static int out_of_memory(void)
{
    cli_message("out of memory");
    return EXIT_ENVIRONMENT;
}

/* Prefix err's message with "path: " unless it already starts with it. */
static void name_file(ms_error *err, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(err->message, path, n) == 0)
        return;
    char msg[MS_ERROR_MESSAGE_MAX];
    snprintf(msg, sizeof msg, "%s", err->message);
    ms_error_set(err, err->code, "%s: %s", path, msg);
}

/* A signature bundle file as one claims line: trailing whitespace removed, a multi-line
 * (pretty-printed) bundle made compact. *line is malloc'd; *bundle and *st (generic statement)
 * are new. Errors name the file. */
static int read_bundle_line(const char *path, size_t max, char **line, size_t *len,
                            ms_bundle **bundle, ms_statement **st, ms_error *err)
{
    ms_buf data = MS_BUF_INIT;
    cJSON *json = NULL;
    int rc = ms_file_read(path, max, &data, err);
    *line = NULL;
    *bundle = NULL;
    *st = NULL;
    if (rc != 0)
        goto out;
    size_t n = data.len;
    while (n > 0 && strchr(" \t\r\n", data.data[n - 1]))
        n--;
    if (memchr(data.data, '\n', n) || memchr(data.data, '\r', n)) {
        if ((rc = ms_json_parse(data.data, n, max, path, &json, err)) != 0)
            goto out;
        if (!(*line = cJSON_PrintUnformatted(json))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        n = strlen(*line);
    } else if (!(*line = strndup((const char *)data.data, n))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    *len = n;
    if ((rc = ms_bundle_parse((const uint8_t *)*line, n, bundle, err)) != 0)
        goto out;
    const ms_dsse_envelope *env = ms_bundle_envelope(*bundle);
    if (!env) {
        rc = ms_error_set(err, MS_EINPUT, "dsseEnvelope: missing");
        goto out;
    }
    rc = ms_statement_parse_generic(env->payload, env->payload_len, st, err);
out:
    if (rc != 0) {
        name_file(err, path);
        free(*line);
        *line = NULL;
        ms_bundle_free(*bundle);
        *bundle = NULL;
        ms_statement_free(*st);
        *st = NULL;
    }
    cJSON_Delete(json);
    ms_buf_free(&data);
    return rc;
}

static int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Read a model signature (OMS, at most `max` bytes) and return its subject name and root.
 * Errors name the file. */
static int read_model_subject(const char *sig_path, size_t max, char **line, size_t *len,
                              char **name, uint8_t root[MS_SHA256_SIZE], ms_error *err)
{
    ms_bundle *b = NULL;
    ms_statement *generic = NULL, *st = NULL;
    *name = NULL;
    int rc = read_bundle_line(sig_path, max, line, len, &b, &generic, err);
    if (rc != 0)
        return rc;
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    rc = ms_statement_parse(env->payload, env->payload_len, &st, err);
    if (rc == 0 && !st->subject_name)
        rc = ms_error_set(err, MS_EINPUT,
                          "a legacy signature (one subject per file) names no model: re-sign it");
    if (rc == 0) {
        memcpy(root, st->subject_digest, MS_SHA256_SIZE);
        if (!(*name = strdup(st->subject_name)))
            rc = ms_error_nomem(err);
    }
    if (rc != 0) {
        name_file(err, sig_path);
        free(*line);
        *line = NULL;
    }
    ms_statement_free(st);
    ms_statement_free(generic);
    ms_bundle_free(b);
    return rc;
}

typedef struct provenance_args {
    const char *key_path, *builder_id, *build_type, *params_path, *git_repo, *git_remote;
    const char *invocation_id, *started_on, *finished_on, *sig_arg, *claims_arg;
    int allow_dirty, no_git;
    strlist params, datasets, base_models, dependencies; /* borrowed argv strings */
    cli_passphrase_source pw;
} provenance_args;

/* --dataset MANIFEST[=SIG]: the dependency, and the signature line to copy (if any). */
static int add_dataset(ms_provenance *p, const char *arg, strlist *lines, ms_error *err)
{
    ms_dataset_info info;
    ms_bundle *b = NULL;
    ms_statement *st = NULL;
    char *manifest = NULL, *sig = NULL, *line = NULL;
    size_t len = 0;
    int rc = 0;

    memset(&info, 0, sizeof info);
    const char *eq = strchr(arg, '=');
    if (eq == arg || (eq && eq[1] == '\0')) {
        rc = ms_error_set(err, MS_EINPUT, "--dataset %s: expected MANIFEST[=SIG]", arg);
        goto out;
    }
    manifest = eq ? strndup(arg, (size_t)(eq - arg)) : strdup(arg);
    if (!manifest) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (eq) {
        sig = strdup(eq + 1);
    } else {
        ms_buf b2 = MS_BUF_INIT;
        if (ms_buf_printf(&b2, "%s.sig", manifest) == 0)
            sig = ms_buf_detach(&b2);
        ms_buf_free(&b2);
        if (sig && !file_exists(sig)) {
            free(sig);
            sig = NULL;
            goto load;
        }
    }
    if (!sig) {
        rc = ms_error_nomem(err);
        goto out;
    }
load:
    if ((rc = ms_dataset_info_load(manifest, &info, err)) != 0) {
        name_file(err, manifest);
        goto out;
    }
    if (sig) {
        if ((rc = read_bundle_line(sig, MS_CLAIMS_MAX_LINE, &line, &len, &b, &st, err)) != 0)
            goto out;
        rc = ms_dataset_statement_check(st, &info, err);
        if (rc == MS_EVERIFY) {
            char msg[MS_ERROR_MESSAGE_MAX];
            snprintf(msg, sizeof msg, "%s", err->message);
            rc = ms_error_set(err, MS_EINPUT, "%s: signature is for another manifest than %s (%s)",
                              sig, manifest, msg);
            goto out;
        }
        if (rc != 0) {
            name_file(err, sig);
            goto out;
        }
    }
    rc = ms_provenance_add_dataset(p, info.name, info.source, info.version, info.root_digest,
                                   info.manifest_digest, err);
    if (rc == 0 && line) {
        if (strlist_add(lines, line, len) != 0)
            rc = ms_error_nomem(err);
        else
            line = NULL;
    }
out:
    ms_dataset_info_clear(&info);
    ms_statement_free(st);
    ms_bundle_free(b);
    free(line);
    free(manifest);
    free(sig);
    return rc;
}

/* --base-model PATH: where its signature and claims are. */
static int base_model_paths(const char *path, char **sig, char **claims, ms_error *err)
{
    struct stat st;
    ms_buf s = MS_BUF_INIT, c = MS_BUF_INIT;
    int rc = 0;
    *sig = *claims = NULL;
    if (stat(path, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "--base-model %s: %s", path, strerror(errno));
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/')
        n--;
    if (S_ISDIR(st.st_mode)) {
        rc = ms_buf_printf(&s, "%.*s/%s", (int)n, path, MS_SIGNATURE_FILE) ||
             ms_buf_printf(&c, "%.*s/%s", (int)n, path, MS_CLAIMS_FILE);
    } else if (ends_with(path, "/" MS_SIGNATURE_FILE) || strcmp(path, MS_SIGNATURE_FILE) == 0) {
        size_t dir = n - strlen(MS_SIGNATURE_FILE);
        rc = ms_buf_printf(&s, "%s", path) ||
             ms_buf_printf(&c, "%.*s%s", (int)dir, path, MS_CLAIMS_FILE);
    } else if (ends_with(path, ".sig")) {
        rc = ms_buf_printf(&s, "%s", path) ||
             ms_buf_printf(&c, "%.*s.claims.jsonl", (int)(n - 4), path);
    } else {
        rc = ms_buf_printf(&s, "%s.sig", path) || ms_buf_printf(&c, "%s.claims.jsonl", path);
    }
    if (rc) {
        ms_buf_free(&s);
        ms_buf_free(&c);
        return ms_error_nomem(err);
    }
    *sig = ms_buf_detach(&s);
    *claims = ms_buf_detach(&c);
    ms_buf_free(&s);
    ms_buf_free(&c);
    if (!*sig || !*claims)
        return ms_error_nomem(err);
    if (!file_exists(*sig))
        return ms_error_set(err, MS_EINPUT, "--base-model %s: no signature (%s): sign it first",
                            path, *sig);
    return 0;
}

static int add_base_model(ms_provenance *p, const char *path, strlist *lines, ms_error *err)
{
    char *sig = NULL, *claims_path = NULL, *line = NULL, *name = NULL;
    size_t len = 0;
    uint8_t root[MS_SHA256_SIZE];
    ms_claims *claims = NULL;
    int rc = base_model_paths(path, &sig, &claims_path, err);
    if (rc == 0)
        rc = read_model_subject(sig, MS_CLAIMS_MAX_LINE, &line, &len, &name, root, err);
    if (rc == 0)
        rc = ms_provenance_add_base_model(p, name, root, err);
    if (rc == 0) {
        if (strlist_add(lines, line, len) != 0)
            rc = ms_error_nomem(err);
        else
            line = NULL;
    }
    if (rc == 0)
        rc = ms_claims_read(claims_path, 1, &claims, err);
    for (size_t i = 0; rc == 0 && i < claims->n; i++) {
        char *copy = strndup(claims->items[i].text, claims->items[i].len);
        if (!copy || strlist_add(lines, copy, claims->items[i].len) != 0) {
            free(copy);
            rc = ms_error_nomem(err);
        }
    }
    ms_claims_free(claims);
    free(sig);
    free(claims_path);
    free(line);
    free(name);
    return rc;
}

/* Everything the statement records, gathered from the arguments (no key needed yet). */
static int gather(const provenance_args *a, ms_provenance *p, strlist *lines, ms_error *err)
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
        if ((rc = ms_file_read(a->params_path, MAX_PARAMS_FILE, &params, err)) != 0 ||
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
        if ((rc = add_dataset(p, a->datasets.items[i], lines, err)) != 0)
            goto out;
    for (size_t i = 0; i < a->base_models.n; i++)
        if ((rc = add_base_model(p, a->base_models.items[i], lines, err)) != 0)
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
    ms_buf_free(&params);
    return rc;
}

static int attest_provenance(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"password-file", required_argument, NULL, OPT_PWFILE},
        {"builder-id", required_argument, NULL, OPT_BUILDER_ID},
        {"build-type", required_argument, NULL, OPT_BUILD_TYPE},
        {"params", required_argument, NULL, OPT_PARAMS},
        {"param", required_argument, NULL, OPT_PARAM},
        {"git-repo", required_argument, NULL, OPT_GIT_REPO},
        {"git-remote", required_argument, NULL, OPT_GIT_REMOTE},
        {"allow-dirty", no_argument, NULL, OPT_ALLOW_DIRTY},
        {"no-git", no_argument, NULL, OPT_NO_GIT},
        {"dataset", required_argument, NULL, OPT_DATASET},
        {"base-model", required_argument, NULL, OPT_BASE_MODEL},
        {"dependency", required_argument, NULL, OPT_DEPENDENCY},
        {"invocation-id", required_argument, NULL, OPT_INVOCATION_ID},
        {"started-on", required_argument, NULL, OPT_STARTED_ON},
        {"finished-on", required_argument, NULL, OPT_FINISHED_ON},
        {"signature", required_argument, NULL, OPT_SIGNATURE},
        {"claims", required_argument, NULL, OPT_CLAIMS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    provenance_args a;
    strlist lines = {0};
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
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        strlist *list = NULL;
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
        case 'h':
            status = cli_print_help("attest");
            goto out;
        default:
            status = cli_option_error(opt, argv);
            goto out;
        }
        if (list && strlist_add(list, optarg, strlen(optarg)) != 0) {
            status = out_of_memory();
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    if (!a.key_path) {
        status = cli_usage_error("--key is required");
        goto out;
    }
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
        status = a.sig_arg ? out_of_memory() : cli_fail(&err);
        goto out;
    }
    if (!a.sig_arg && !file_exists(sig_path)) {
        ms_error_set(&err, MS_EINPUT, "%s: no signature: sign the model first (modelseal sign)",
                     sig_path);
        status = cli_fail(&err);
        goto out;
    }
    if (read_model_subject(sig_path, MS_BUNDLE_MAX_SIZE, &model_line, &model_line_len, &name, root,
                           &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    claims_path = a.claims_arg ? strdup(a.claims_arg) : ms_claims_default_path(model, &err);
    if (!claims_path) {
        status = a.claims_arg ? out_of_memory() : cli_fail(&err);
        goto out;
    }
    /* A damaged claims file is refused before anything is signed. */
    if (ms_claims_read(claims_path, 1, &existing, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (!(p = ms_provenance_new()) || ms_provenance_set_string(&p->subject_name, name, &err)) {
        status = out_of_memory();
        goto out;
    }
    memcpy(p->subject_digest, root, MS_SHA256_SIZE);
    if (gather(&a, p, &lines, &err) != 0 || ms_provenance_build(p, &payload, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (ms_key_load_secret(a.key_path, cli_passphrase_callback, &a.pw, &key, &err) != 0 ||
        ms_sign_statement(payload.data, payload.len, key, NULL, &bundle, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    /* The provenance first, then the evidence it points to. */
    strlist all = {0};
    int ok = strlist_add(&all, (char *)bundle.data, bundle.len) == 0;
    for (size_t i = 0; ok && i < lines.n; i++)
        ok = strlist_add(&all, lines.items[i], lines.lens[i]) == 0;
    if (!ok) {
        strlist_free(&all, 0);
        status = out_of_memory();
        goto out;
    }
    size_t added = 0;
    int rc = ms_claims_append(claims_path, (const char *const *)all.items, all.lens, all.n, &added,
                              &err);
    size_t total = all.n;
    strlist_free(&all, 0);
    if (rc != 0) {
        status = cli_fail(&err);
        goto out;
    }
    char rootstr[80], hint[65];
    cli_format_root(root, rootstr);
    ms_key_hint(key, hint);
    printf("Attested %s: provenance for %s %s (key %.16s)\n"
           "Claims: %s (%zu line%s added, %zu already present)\n",
           model, name, rootstr, hint, claims_path, added, added == 1 ? "" : "s", total - added);
out:
    ms_buf_free(&payload);
    ms_buf_free(&bundle);
    ms_key_free(key);
    ms_provenance_free(p);
    ms_claims_free(existing);
    strlist_free(&lines, 1);
    strlist_free(&a.params, 0);
    strlist_free(&a.datasets, 0);
    strlist_free(&a.base_models, 0);
    strlist_free(&a.dependencies, 0);
    free(sig_path);
    free(claims_path);
    free(model_line);
    free(name);
    return status;
}

/* ---- list --------------------------------------------------------------------------------- */

typedef struct claim_view {
    const char *kind; /* "key" or "certificate" */
    char hint[65];
    char *identity;
    int checked, verified;
    char reason[MS_ERROR_MESSAGE_MAX];
} claim_view;

static void describe_signer(const ms_bundle *b, claim_view *v)
{
    ms_bundle_material kind = ms_bundle_material_kind(b);
    if (kind == MS_MATERIAL_PUBLIC_KEY) {
        v->kind = "key";
        const char *hint = ms_bundle_key_hint(b);
        size_t raw_len = 0;
        const uint8_t *raw = ms_bundle_public_key_raw(b, &raw_len);
        if (hint) {
            snprintf(v->hint, sizeof v->hint, "%s", hint);
        } else if (raw) {
            ms_key *key = NULL;
            ms_error ignored;
            if (ms_key_parse_public(raw, raw_len, &key, &ignored) == 0 &&
                ms_key_hint(key, v->hint) != 0)
                v->hint[0] = '\0';
            ms_key_free(key);
        }
        return;
    }
    v->kind = "certificate";
    ms_x509_chain *chain = ms_x509_chain_new();
    size_t len = 0;
    const uint8_t *der = ms_bundle_certificate(b, 0, &len);
    ms_error ignored;
    if (chain && der && ms_x509_chain_add_der(chain, der, len, &ignored) == 0)
        v->identity = ms_x509_leaf_identity(chain);
    ms_x509_chain_free(chain);
}

static int attest_list(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"claims", required_argument, NULL, OPT_CLAIMS},
        {"json", no_argument, NULL, OPT_JSON},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    strlist key_paths = {0};
    ms_key **keys = NULL;
    size_t n_keys = 0;
    const char *claims_arg = NULL;
    char *claims_path = NULL;
    ms_claims *claims = NULL;
    cJSON *array = NULL;
    int json = 0, opt, status = EXIT_OK;
    ms_error err;

    ms_error_clear(&err);
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (opt) {
        case OPT_KEY:
            if (strlist_add(&key_paths, optarg, strlen(optarg)) != 0) {
                status = out_of_memory();
                goto out;
            }
            break;
        case OPT_CLAIMS:
            claims_arg = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case 'h':
            status = cli_print_help("attest");
            goto out;
        default:
            status = cli_option_error(opt, argv);
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    const char *model = argv[optind];
    if (key_paths.n && !(keys = calloc(key_paths.n, sizeof *keys))) {
        status = out_of_memory();
        goto out;
    }
    for (; n_keys < key_paths.n; n_keys++) {
        if (ms_key_load_public(key_paths.items[n_keys], &keys[n_keys], &err) != 0) {
            status = cli_fail(&err);
            goto out;
        }
    }
    claims_path = claims_arg ? strdup(claims_arg) : ms_claims_default_path(model, &err);
    if (!claims_path) {
        status = claims_arg ? out_of_memory() : cli_fail(&err);
        goto out;
    }
    if (ms_claims_read(claims_path, 0, &claims, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (json && !(array = cJSON_CreateArray())) {
        status = out_of_memory();
        goto out;
    }
    ms_trust trust;
    memset(&trust, 0, sizeof trust);
    trust.keys = (const ms_key *const *)keys;
    trust.n_keys = n_keys;
    if (!json)
        printf("%s: %zu claim%s\n", claims_path, claims->n, claims->n == 1 ? "" : "s");
    for (size_t i = 0; i < claims->n; i++) {
        const ms_claim *c = &claims->items[i];
        claim_view v;
        char root[80];
        memset(&v, 0, sizeof v);
        describe_signer(c->bundle, &v);
        if (n_keys) {
            ms_signer_info info;
            ms_error verr;
            memset(&info, 0, sizeof info);
            ms_error_clear(&verr);
            v.checked = 1;
            v.verified = ms_verify_bundle_signature(c->bundle, &trust, &info, &verr) == 0;
            if (!v.verified)
                snprintf(v.reason, sizeof v.reason, "%s", verr.message);
            ms_signer_info_clear(&info);
        }
        cli_format_root(c->statement->subject_digest, root);
        const char *subject = c->statement->subject_name ? c->statement->subject_name : "";
        if (json) {
            cJSON *o = cJSON_CreateObject(), *s = NULL, *g = NULL;
            int ok = o && cJSON_AddItemToArray(array, o) &&
                     cJSON_AddNumberToObject(o, "line", (double)c->line_number) &&
                     cJSON_AddStringToObject(o, "predicate_type", c->statement->predicate_type) &&
                     (s = cJSON_AddObjectToObject(o, "subject")) &&
                     cJSON_AddStringToObject(s, "name", subject) &&
                     cJSON_AddStringToObject(s, "digest", root) &&
                     (g = cJSON_AddObjectToObject(o, "signer")) &&
                     cJSON_AddStringToObject(g, "kind", v.kind);
            if (ok && strcmp(v.kind, "key") == 0)
                ok = (v.hint[0] ? cJSON_AddStringToObject(g, "hint", v.hint)
                                : cJSON_AddNullToObject(g, "hint")) != NULL;
            else if (ok)
                ok = (v.identity ? cJSON_AddStringToObject(g, "identity", v.identity)
                                 : cJSON_AddNullToObject(g, "identity")) != NULL;
            if (ok && v.checked)
                ok = cJSON_AddBoolToObject(o, "verified", v.verified) &&
                     (v.verified || cJSON_AddStringToObject(o, "reason", v.reason));
            if (!ok) {
                free(v.identity);
                status = out_of_memory();
                goto out;
            }
        } else {
            printf("claim %zu: %s\n", c->line_number, c->statement->predicate_type);
            printf("  subject:   %s %s\n", subject, root);
            if (strcmp(v.kind, "key") == 0)
                printf("  signer:    key %s\n", v.hint[0] ? v.hint : "(no hint)");
            else
                printf("  signer:    certificate %s\n",
                       v.identity ? v.identity : "(no email or URI)");
            if (v.checked && v.verified)
                printf("  signature: verified\n");
            else if (v.checked)
                printf("  signature: NOT verified: %s\n", v.reason);
        }
        free(v.identity);
    }
    if (json) {
        status = cli_print_json(array);
        array = NULL;
    }
out:
    cJSON_Delete(array);
    for (size_t i = 0; i < n_keys; i++)
        ms_key_free(keys[i]);
    free(keys);
    strlist_free(&key_paths, 0);
    ms_claims_free(claims);
    free(claims_path);
    return status;
}

int cmd_attest(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("expected a subcommand: provenance or list");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cli_print_help("attest");
    if (strcmp(argv[1], "provenance") == 0) {
        cli_current = "attest provenance";
        return attest_provenance(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "list") == 0) {
        cli_current = "attest list";
        return attest_list(argc - 1, argv + 1);
    }
    return cli_usage_error("unknown subcommand '%s' (provenance or list)", argv[1]);
}
