/* Shared CLI helpers: messages, number parsing, hashing options, JSON output. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

const char *cli_current = NULL;

int cli_take(ms_buf *out, char *text, size_t len, ms_error *err)
{
    int rc = text && msx_buf_append(out, text, len) != 0 ? ms_error_nomem(err) : 0;
    ms_free(text);
    return rc;
}

int cli_sign_statement(const uint8_t *payload, size_t len, const ms_key *key, ms_buf *out,
                       ms_error *err)
{
    char *text = NULL;
    size_t text_len = 0;
    int rc = ms_sign_statement(payload, len, key, NULL, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

int cli_blob_sign(const ms_blob_artifact *a, const ms_key *key, ms_buf *out, ms_error *err)
{
    char *text = NULL;
    size_t text_len = 0;
    int rc = ms_blob_sign(a, key, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

int cli_provenance_build(const ms_provenance *p, ms_buf *out, ms_error *err)
{
    char *text = NULL;
    size_t text_len = 0;
    int rc = ms_provenance_build(p, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

int cli_dataset_statement_build(const ms_dataset_info *info, ms_buf *out, ms_error *err)
{
    char *text = NULL;
    size_t text_len = 0;
    int rc = ms_dataset_statement_build(info, &text, &text_len, err);
    return rc ? rc : cli_take(out, text, text_len, err);
}

cJSON *cli_json_take(char *text)
{
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    ms_free(text);
    return j;
}

const char *cli_quote(const char *s)
{
    static char *ring[8];
    static unsigned next;
    if (!s)
        return NULL;
    char *q = msx_quote_encode(s, strlen(s));
    if (!q)
        return "(out of memory)";
    free(ring[next]);
    ring[next] = q;
    next = (next + 1) % 8;
    return q;
}

/* "modelseal CMD: message" on stderr, without the newline; the message quoted as cli_quote does
 * (here with msx_quote_encode: messages may come from any thread). */
__attribute__((format(printf, 1, 0))) static void vmessage(const char *fmt, va_list ap)
{
    char *text = NULL, *quoted = NULL;
    fputs("modelseal", stderr);
    if (cli_current)
        fprintf(stderr, " %s", cli_current);
    fputs(": ", stderr);
    int n = vasprintf(&text, fmt, ap);
    if (n >= 0)
        quoted = msx_quote_encode(text, (size_t)n);
    fputs(quoted ? quoted : "out of memory", stderr);
    if (n >= 0)
        free(text);
    free(quoted);
}

void cli_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* The hf:// operand the user gave and the snapshot it resolved to (cli_resolve_hf), so that
 * messages about the snapshot name what the user typed. */
static const char *hf_operand, *hf_snapshot;

const char *cli_operand_named(const char *msg, char *buf, size_t n)
{
    if (!hf_operand || !strstr(msg, hf_snapshot) ||
        strncmp(msg, hf_operand, strlen(hf_operand)) == 0)
        return msg;
    snprintf(buf, n, "%s: %s", hf_operand, msg);
    return buf;
}

/* Set once a JSON document went to stdout: a later failure adds no error document. */
static int json_printed;

/* The file an error message starts with ("PATH: ..."), when that names something in the file
 * system or in an existing directory; "" otherwise. */
static void error_path(const char *message, char *path, size_t size)
{
    path[0] = '\0';
    const char *colon = strstr(message, ": ");
    if (!colon || (size_t)(colon - message) >= size)
        return;
    struct stat st;
    memcpy(path, message, (size_t)(colon - message));
    path[colon - message] = '\0';
    char *slash = strrchr(path, '/');
    int exists = lstat(path, &st) == 0;
    if (!exists && slash && slash != path) {
        *slash = '\0';
        exists = stat(path, &st) == 0 && S_ISDIR(st.st_mode);
        *slash = '/';
    }
    if (!exists)
        path[0] = '\0';
}

cJSON *cli_error_json(int status, const char *code, const char *message)
{
    char path[4096];
    error_path(message, path, sizeof path);
    cJSON *e = cJSON_CreateObject();
    if (!e || !cJSON_AddNumberToObject(e, "exit", status) ||
        !cJSON_AddStringToObject(e, "code", code) ||
        !cJSON_AddStringToObject(e, "message", message) ||
        !(path[0] ? cJSON_AddStringToObject(e, "path", path) : cJSON_AddNullToObject(e, "path"))) {
        cJSON_Delete(e);
        return NULL;
    }
    return e;
}

const char *cli_error_code(int ms_code)
{
    switch (ms_code) {
    case MS_EVERIFY:
        return "not-verified";
    case MS_EINPUT:
        return "input";
    case MS_ENOMEM:
        return "out-of-memory";
    default:
        return "environment";
    }
}

/* With --json, a failure of exit status 2 or 3 before the command printed its document is one
 * on stdout too: {"error":{"exit":N,"code":"usage|input|environment|out-of-memory",
 * "message":"...","path":"..."|null}} (modelseal-json(7)). */
static void json_error(int status, const char *code, const char *message)
{
    if (!cli_json || json_printed || (status != EXIT_USAGE && status != EXIT_ENVIRONMENT))
        return;
    cJSON *o = cJSON_CreateObject(), *e = cli_error_json(status, code, message);
    if (!o || !e || !cJSON_AddItemToObject(o, "error", e)) {
        cJSON_Delete(o);
        cJSON_Delete(e);
        return;
    }
    cli_print_json(o);
}

static cJSON *string_or_null(const char *s)
{
    return s && s[0] ? cJSON_CreateString(s) : cJSON_CreateNull();
}

cJSON *cli_model_json(const char *name, const uint8_t *root, const char *path)
{
    char text[80];
    if (root)
        cli_format_root(root, text);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddItemToObject(o, "name", string_or_null(name)) ||
        !cJSON_AddItemToObject(o, "digest", string_or_null(root ? text : NULL)) ||
        !cJSON_AddItemToObject(o, "path", string_or_null(path))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cJSON *cli_signer_json(const char *kind, const char *hint, const char *identity,
                       const char *subject, const char *issuer, int64_t signing_time)
{
    char when[40] = "";
    if (signing_time)
        cli_format_time(signing_time, when, sizeof when);
    cJSON *o = cJSON_CreateObject();
    if (!o || !cJSON_AddStringToObject(o, "kind", kind) ||
        !cJSON_AddItemToObject(o, "hint", string_or_null(hint)) ||
        !cJSON_AddItemToObject(o, "identity", string_or_null(identity)) ||
        !cJSON_AddItemToObject(o, "subject", string_or_null(subject)) ||
        !cJSON_AddItemToObject(o, "issuer", string_or_null(issuer)) ||
        !cJSON_AddItemToObject(o, "signing_time", string_or_null(when))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

void cli_diff_json(cJSON *o, const ms_manifest_diff *d)
{
    const char *names[] = {"changed", "missing", "extra"};
    char *const *lists[] = {d->changed, d->missing, d->extra};
    size_t counts[] = {d->n_changed, d->n_missing, d->n_extra};
    for (size_t k = 0; k < 3; k++) {
        cJSON *a = cJSON_AddArrayToObject(o, names[k]);
        for (size_t i = 0; a && i < counts[k]; i++)
            cJSON_AddItemToArray(a, cJSON_CreateString(lists[k][i]));
    }
}

void cli_outcome_json(cJSON *o, int rc, const ms_error *err)
{
    cJSON_AddItemToObject(
        o, "error",
        rc ? cli_error_json(ms_error_exit_status(rc), cli_error_code(rc), err->message)
           : cJSON_CreateNull());
    cJSON_AddNumberToObject(o, "exit_status", ms_error_exit_status(rc));
}

char *cli_leaf_oidc_issuer(const ms_x509_chain *chain)
{
    char *issuer = ms_x509_leaf_extension_string(chain, MS_FULCIO_OID_ISSUER_V2);
    return issuer ? issuer : ms_x509_leaf_extension_string(chain, MS_FULCIO_OID_ISSUER_V1);
}

cJSON *cli_signer_info_json(const ms_signer_info *s)
{
    return cli_signer_json(s->kind, s->hint, s->identity, s->subject, s->issuer, s->signing_time);
}

int cli_fail(const ms_error *err)
{
    char named[MS_ERROR_MESSAGE_MAX + 512];
    const char *message =
        err->message[0] ? cli_operand_named(err->message, named, sizeof named) : "unknown error";
    cli_message("%s", message);
    int status = ms_error_exit_status(err->code);
    status = status ? status : EXIT_ENVIRONMENT;
    json_error(status, cli_error_code(err->code), message);
    return status;
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    vmessage(fmt, ap);
    va_end(ap);
    char *text = NULL;
    if (cli_json && vasprintf(&text, fmt, again) >= 0)
        json_error(EXIT_USAGE, "usage", text);
    free(text);
    va_end(again);
    fprintf(stderr, "\nTry 'modelseal %s%s--help' for more information.\n",
            cli_current ? cli_current : "", cli_current ? " " : "");
    return EXIT_USAGE;
}

/* Optimal string alignment distance, capped: words longer than SIMILAR_MAX are never similar. */
#define SIMILAR_MAX 64
static int similar(const char *typed, const char *cand, size_t *distance)
{
    size_t n = strlen(typed), m = strlen(cand);
    size_t d[SIMILAR_MAX + 1][SIMILAR_MAX + 1];
    if (n == 0 || n > SIMILAR_MAX || m > SIMILAR_MAX)
        return 0;
    for (size_t i = 0; i <= n; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            size_t cost = typed[i - 1] != cand[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && typed[i - 1] == cand[j - 2] && typed[i - 2] == cand[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    *distance = d[n][m];
    return d[n][m] <= 2 && d[n][m] < n;
}

void cli_nearest_init(cli_nearest *n, const char *typed)
{
    n->typed = typed;
    n->name = NULL;
    n->best = SIZE_MAX;
}

void cli_nearest_offer(cli_nearest *n, const char *candidate)
{
    size_t dist;
    if (candidate && similar(n->typed, candidate, &dist) && dist < n->best) {
        n->best = dist;
        n->name = candidate;
    }
}

int cli_option_other(int opt, char **argv)
{
    if (opt == 'h') { /* the command's help: cli_current is "command" or "command sub" */
        char command[64];
        snprintf(command, sizeof command, "%.*s", (int)strcspn(cli_current, " "), cli_current);
        return cli_print_help(command);
    }
    if (opt == CLI_OPT_BAD_JSON)
        return cli_usage_error("--json: expected --json or --json=pretty, not '--json=%s'", optarg);
    const char *what = opt == ':' ? "missing argument for" : "unknown";
    const char *arg = argv[optind - 1];
    if (opt != ':' && strncmp(arg, "--", 2) == 0) {
        const char *near = cli_getopt_nearest(arg + 2);
        if (near)
            return cli_usage_error("unknown option '%.*s'; did you mean '--%s'?",
                                   (int)strcspn(arg, "="), arg, near);
    }
    if (strncmp(arg, "--", 2) == 0 || optopt <= 0 || optopt > 127)
        return cli_usage_error("%s option '%s'", what, arg);
    return cli_usage_error("%s option '-%c'", what, optopt);
}

const char *cli_operand(int argc, char **argv, const char *name)
{
    if (argc - optind == 1)
        return argv[optind];
    if (argc - optind == 0)
        cli_usage_error("missing %s", name);
    else
        cli_usage_error("expected exactly one %s", name);
    return NULL;
}

const char *cli_operand_name(const char *path, char *buf, size_t n)
{
    if (!hf_operand || strcmp(path, hf_snapshot) != 0)
        return path;
    snprintf(buf, n, "%s (%s)", hf_operand, hf_snapshot);
    return buf;
}

const char *cli_model_name(const char *model, char *buf, size_t n)
{
    if (cli_operand_name(model, buf, n) == buf)
        return buf;
    size_t len = strlen(model);
    while (len > 1 && model[len - 1] == '/')
        len--;
    size_t start = len;
    while (start > 0 && model[start - 1] != '/')
        start--;
    int dots = (len - start == 1 && model[start] == '.') ||
               (len - start == 2 && model[start] == '.' && model[start + 1] == '.');
    char *real = dots ? realpath(model, NULL) : NULL;
    const char *base = real ? strrchr(real, '/') : NULL;
    if (!base || !base[1]) {
        free(real);
        return model;
    }
    snprintf(buf, n, "%s", base + 1);
    free(real);
    return buf;
}

int cli_resolve_hf(char **arg, int dataset)
{
    if (strncmp(*arg, "hf://", 5) != 0)
        return EXIT_OK;
    ms_buf cache = MS_BUF_INIT;
    const char *hub = getenv("HF_HUB_CACHE"), *home = getenv("HF_HOME");
    char *path = NULL;
    ms_error err;
    ms_error_clear(&err);
    int rc = hub && hub[0]     ? msx_buf_append_str(&cache, hub)
             : home && home[0] ? msx_buf_printf(&cache, "%s/hub", home)
                               : msx_buf_printf(&cache, "%s/.cache/huggingface/hub",
                                                getenv("HOME") ? getenv("HOME") : "");
    if (rc) {
        msx_buf_free(&cache);
        cli_message("out of memory");
        return EXIT_ENVIRONMENT;
    }
    rc = msx_hf_resolve(*arg, (const char *)cache.data, dataset, &path, &err);
    msx_buf_free(&cache);
    if (rc)
        return cli_fail(&err);
    hf_operand = *arg;
    hf_snapshot = path;
    *arg = path; /* lives as long as the program (argv holds it) */
    return EXIT_OK;
}

const char *cli_model_operand(int argc, char **argv, const char *name)
{
    if (!cli_operand(argc, argv, name) || cli_resolve_hf(&argv[optind], 0) != EXIT_OK)
        return NULL;
    return argv[optind];
}

int cli_dispatch(int argc, char **argv, const char *command, const cli_help *help)
{
    const cli_subcommand *subs = help->subs;
    size_t n = help->n_subs;
    char names[256];
    size_t used = 0;
    names[0] = 0;
    for (size_t i = 0; i < n; i++) { /* "a, b or c" */
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(names + used, sizeof names - used, "%s%s", sep, subs[i].name);
        if (w < 0 || (size_t)w >= sizeof names - used)
            break;
        used += (size_t)w;
    }
    if (argc < 2)
        return cli_usage_error("missing subcommand: %s", names);
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)
        return cli_print_help(command);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(argv[1], subs[i].name) == 0) {
            static char current[64];
            snprintf(current, sizeof current, "%s %s", command, subs[i].name);
            cli_current = current;
            return subs[i].run(argc - 1, argv + 1);
        }
    }
    cli_nearest near;
    cli_nearest_init(&near, argv[1]);
    for (size_t i = 0; i < n; i++)
        cli_nearest_offer(&near, subs[i].name);
    if (near.name)
        return cli_usage_error("unknown subcommand '%s'; did you mean '%s'? (%s)", argv[1],
                               near.name, names);
    return cli_usage_error("unknown subcommand '%s' (%s)", argv[1], names);
}

void cli_format_time(int64_t t, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
}

int cli_print_help(const char *command)
{
    for (size_t i = 0; i < cli_commands_count; i++) {
        if (strcmp(cli_commands[i].name, command) == 0) {
            const cli_help *help = cli_commands[i].help;
            fputs(help->usage, stdout);
            if (help->options)
                cli_print_options(help->options);
            if (help->footer)
                fputs(help->footer, stdout);
            return EXIT_OK;
        }
    }
    cli_message("unknown command '%s' (see 'modelseal --help')", command);
    return EXIT_USAGE;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s[0] || s[0] == '-' || s[0] == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

int cli_parse_threads(const char *s, unsigned *out)
{
    uint64_t v;
    if (cli_parse_u64(s, &v) || v == 0 || v > 1024)
        return -1;
    *out = (unsigned)v;
    return 0;
}

int cli_out_of_memory(void)
{
    cli_message("out of memory");
    return EXIT_ENVIRONMENT;
}

int cli_keys_add(cli_keys *keys, const char *path)
{
    ms_key **items = realloc(keys->items, (keys->n + 1) * sizeof *items);
    ms_error err;
    if (!items)
        return cli_out_of_memory();
    keys->items = items;
    if (ms_key_load_public(path, &keys->items[keys->n], &err) != 0)
        return cli_fail(&err);
    keys->n++;
    return EXIT_OK;
}

const ms_key *const *cli_keys_trusted(const cli_keys *keys)
{
    return (const ms_key *const *)keys->items;
}

void cli_keys_free(cli_keys *keys)
{
    for (size_t i = 0; i < keys->n; i++)
        ms_key_free(keys->items[i]);
    free(keys->items);
    keys->items = NULL;
    keys->n = 0;
}

void cli_hash_options_init(cli_hash_options *o)
{
    memset(o, 0, sizeof *o);
    ms_serialization_init(&o->ser);
    o->progress = CLI_PROGRESS_UNSET;
}

int cli_hash_options_lfs(cli_hash_options *o, int refuse)
{
    if (o->allow_lfs && o->from_lfs)
        return cli_usage_error("--allow-lfs-pointers and --from-lfs-pointers exclude each other");
    if (o->from_lfs && (o->ser.method != MS_METHOD_FILES || o->ser.algorithm != MS_HASH_SHA256))
        return cli_usage_error("--from-lfs-pointers needs --method files and --algorithm sha256 "
                               "(a pointer's oid is the SHA-256 of the whole file)");
    o->opts.lfs_pointers = o->from_lfs               ? MS_LFS_OIDS
                           : refuse && !o->allow_lfs ? MS_LFS_REFUSE
                                                     : MS_LFS_HASH;
    return EXIT_OK;
}

void cli_hard_link_seen(void *ctx, const char *path, uint64_t nlink)
{
    cli_hard_links *h = ctx;
    /* quoted here, not with cli_quote: this may run on a hashing thread */
    char *root = msx_quote_encode(h->root, strlen(h->root));
    char *name = msx_quote_encode(path, strlen(path));
    if (!root || !name)
        fputs("modelseal: warning: (out of memory)", stderr);
    else if (strcmp(path, ".") == 0)
        fprintf(stderr, "modelseal: warning: %s", root);
    else
        fprintf(stderr, "modelseal: warning: %s/%s", root, name);
    free(root);
    free(name);
    fprintf(stderr,
            " has %llu hard links; its content is hashed, but it may be changed through another "
            "name\n",
            (unsigned long long)nlink);
    char **p = realloc(h->paths, (h->n + 1) * sizeof *p);
    if (p)
        h->paths = p;
    uint64_t *l = realloc(h->links, (h->n + 1) * sizeof *l);
    if (l)
        h->links = l;
    if (p && l && (p[h->n] = strdup(path)) != NULL) {
        l[h->n] = nlink;
        h->n++;
    }
}

cJSON *cli_hard_links_json(const cli_hard_links *h)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < h->n; i++) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddItemToArray(a, o) || !cJSON_AddStringToObject(o, "path", h->paths[i]) ||
            !cJSON_AddNumberToObject(o, "links", (double)h->links[i])) {
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

void cli_hard_links_free(cli_hard_links *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->paths[i]);
    free(h->paths);
    free(h->links);
    memset(h, 0, sizeof *h);
}

void cli_hash_options_free(cli_hash_options *o)
{
    cli_hard_links_free(&o->links);
    ms_serialization_clear(&o->ser);
    for (size_t i = 0; i < o->n_user_ignores; i++)
        free(o->user_ignores[i]);
    free(o->user_ignores);
}

const cli_option cli_hash_option_table[] = {
    {"method", 0, required_argument, "files|shards",
     "one digest per file (default), or per byte range of each file\n"
     "(a very large single file under files is one sequential digest:\n"
     "use shards to hash it on every core)",
     OPT_METHOD, 0, 0, NULL, NULL},
    {"shard-size", 0, required_argument, "BYTES",
     "shard length for --method shards (default 1000000000)", OPT_SHARD_SIZE, 0, 0, NULL, NULL},
    {"algorithm", 0, required_argument, "sha256|blake2b|blake3",
     "per-resource hash (default sha256; blake2b = BLAKE2b-512;\n"
     "blake3: files method only, each large file on every core)",
     OPT_ALGORITHM, 0, 0, NULL, NULL},
    {"threads", 0, required_argument, "N", "worker threads (default: online CPUs)", OPT_THREADS, 0,
     0, NULL, NULL},
    {"ignore", 0, required_argument, "PATH", "skip PATH (relative to the model root; repeatable)",
     OPT_IGNORE, CLI_PATH, 0, NULL, NULL},
    {"no-ignore-git-paths", 0, no_argument, NULL,
     "also hash .git, .github, .gitattributes, .gitignore, .cache/huggingface", OPT_NO_IGNORE_GIT,
     0, 0, NULL, NULL},
    {"allow-symlinks", 0, no_argument, NULL, "follow symbolic links to files inside the model",
     OPT_ALLOW_SYMLINKS, 0, 0, NULL, NULL},
    {"allow-lfs-pointers", 0, no_argument, NULL,
     "hash git LFS pointer files as they are (refused by default)", OPT_ALLOW_LFS_POINTERS, 0, 0,
     NULL, NULL},
    {"from-lfs-pointers", 0, no_argument, NULL,
     "a git LFS pointer stands for its content: its oid is the\n"
     "file's digest (files method, sha256)",
     OPT_FROM_LFS_POINTERS, 0, 0, NULL, NULL},
    {"buffer-size", 0, required_argument, "BYTES", "read buffer per thread (default 4194304)",
     OPT_BUFFER_SIZE, 0, 0, NULL, NULL},
    {"progress", 0, optional_argument, NULL,
     "progress on stderr: auto (a bar on a terminal, the\n"
     "default, or $MODELSEAL_PROGRESS), bar, plain (a line every\n"
     "10 s, for CI and pod logs) or none; --progress alone: bar",
     OPT_PROGRESS, 0, 0, "--progress[=MODE]", NULL},
    {"no-progress", 0, no_argument, NULL, NULL, OPT_NO_PROGRESS, CLI_JOIN, 0, NULL, NULL},
    CLI_OPTION_END,
};

int cli_hash_option(cli_hash_options *o, int opt, const char *arg)
{
    uint64_t v;
    switch (opt) {
    case OPT_METHOD:
        if (ms_method_parse(arg, &o->ser.method)) {
            cli_usage_error("--method: expected files or shards, not '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_SHARD_SIZE:
        if (cli_parse_u64(arg, &v) || v == 0 || v > (UINT64_C(1) << 53)) {
            cli_usage_error("--shard-size: expected a positive number of bytes, not '%s'", arg);
            return -1;
        }
        o->ser.shard_size = v;
        return 1;
    case OPT_ALGORITHM:
        if (ms_hash_parse(arg, &o->ser.algorithm)) {
            cli_usage_error("--algorithm: expected sha256, blake2b or blake3, not '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_THREADS:
        if (cli_parse_threads(arg, &o->opts.threads)) {
            cli_usage_error("--threads: expected a number from 1 to 1024, not '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_BUFFER_SIZE:
        if (cli_parse_u64(arg, &v) || v < 4096 || v > (UINT64_C(1) << 30)) {
            cli_usage_error("--buffer-size: expected 4096 to 1073741824 bytes, not '%s'", arg);
            return -1;
        }
        o->opts.buffer_size = (size_t)v;
        return 1;
    case OPT_IGNORE: {
        char **p = realloc(o->user_ignores, (o->n_user_ignores + 1) * sizeof *p);
        if (!p || !(p[o->n_user_ignores] = strdup(arg))) {
            cli_message("out of memory");
            return -1;
        }
        o->user_ignores = p;
        o->n_user_ignores++;
        return 1;
    }
    case OPT_NO_IGNORE_GIT:
        o->opts.no_ignore_git_paths = 1;
        return 1;
    case OPT_ALLOW_SYMLINKS:
        o->ser.allow_symlinks = 1;
        return 1;
    case OPT_ALLOW_LFS_POINTERS:
        o->allow_lfs = 1;
        return 1;
    case OPT_FROM_LFS_POINTERS:
        o->from_lfs = 1;
        return 1;
    case OPT_PROGRESS:
        o->progress = arg ? cli_progress_parse(arg) : CLI_PROGRESS_BAR;
        if (o->progress == -2) {
            cli_usage_error("--progress: expected auto, bar, plain or none, not '%s'", arg);
            return -1;
        }
        return 1;
    case OPT_NO_PROGRESS:
        o->progress = 0;
        return 1;
    default:
        return 0;
    }
}

/* An ignore path names one path exactly: say so when `value` (as given; `rel` normalised)
 * matches nothing in the model directory, the more so when it looks like a pattern. */
static void warn_unmatched_ignore(const char *model, const char *value, const char *rel)
{
    struct stat st;
    ms_buf path = MS_BUF_INIT;
    if (stat(model, &st) != 0 || !S_ISDIR(st.st_mode) ||
        msx_buf_printf(&path, "%s/%s", model, rel) != 0 ||
        lstat((const char *)path.data, &st) == 0 || errno != ENOENT) {
        msx_buf_free(&path);
        return;
    }
    msx_buf_free(&path);
    if (strpbrk(value, "*?["))
        cli_message("warning: --ignore %s matches no path: ignore paths are exact paths, not "
                    "patterns (OMS v1.0 \u00a76.1.1)",
                    cli_quote(value));
    else
        cli_message("warning: --ignore %s matches no path in the model", cli_quote(value));
}

int cli_hash_options_finish(cli_hash_options *o, const char *model)
{
    o->links.root = model;
    o->opts.hard_link = cli_hard_link_seen;
    o->opts.hard_link_ctx = &o->links;
    for (size_t i = 0; i < o->n_user_ignores; i++) {
        ms_error err;
        ms_error_clear(&err);
        char *rel = msx_path_normalize_ignore(model, o->user_ignores[i], &err);
        if (!rel)
            return cli_fail(&err);
        warn_unmatched_ignore(model, o->user_ignores[i], rel);
        int rc = ms_serialization_add_ignore(&o->ser, rel);
        free(rel);
        if (rc) {
            cli_message("out of memory");
            return EXIT_ENVIRONMENT;
        }
    }
    return 0;
}

void cli_json_stream_start(void)
{
    json_printed = 1;
    fputs(cli_json_pretty ? "[\n" : "[", stdout);
}

int cli_print_json(cJSON *json)
{
    char *text = json ? (cli_json_pretty ? cJSON_Print(json) : cJSON_PrintUnformatted(json)) : NULL;
    json_printed = 1;
    cJSON_Delete(json);
    if (!text) {
        cli_message("out of memory");
        return EXIT_ENVIRONMENT;
    }
    puts(text);
    free(text);
    return fflush(stdout) == 0 ? EXIT_OK : EXIT_ENVIRONMENT;
}

void cli_format_root(const uint8_t digest[MS_SHA256_SIZE], char *out)
{
    memcpy(out, "sha256:", 7);
    msx_hex_encode(digest, MS_SHA256_SIZE, out + 7);
}

void cli_policy_expiry_warning(const ms_policy *p, int64_t now)
{
    if (!p->has_expires)
        return;
    if (ms_policy_expired(p, now))
        cli_message("warning: the policy expired at %s: verification will fail", p->expires_text);
    else if (p->expires - now < (int64_t)CLI_POLICY_WARN_DAYS * 86400)
        cli_message("warning: the policy expires at %s (within %d days)", p->expires_text,
                    CLI_POLICY_WARN_DAYS);
}

void cli_info(const char *fmt, ...)
{
    va_list ap;
    if (cli_quiet)
        return;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
}
