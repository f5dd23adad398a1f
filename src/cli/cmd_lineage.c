/* modelseal lineage: record, log, find and check which model and dataset versions each commit
 * made (modelseal-lineage(1)). The work is in the library (lineage.h); this file parses
 * arguments, reads the pre-push hook's standard input, and renders results. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "modelseal/lineage.h"

static int lineage_record(int argc, char **argv);
static int lineage_log(int argc, char **argv);
static int lineage_find(int argc, char **argv);
static int lineage_check(int argc, char **argv);
static const cli_subcommand lineage_subs[] = {{"record", lineage_record},
                                              {"log", lineage_log},
                                              {"find", lineage_find},
                                              {"check", lineage_check}};
enum { RECORD = 1u << 0, LOG = 1u << 1, FIND = 1u << 2, CHECK = 1u << 3 }; /* lineage_subs */

static const cli_option lineage_options[] = {
    {"repo", 0, required_argument, "PATH",
     "the repository (default: found from the current directory)", OPT_REPO, CLI_PATH, 0, NULL,
     NULL},
    {"commit", 0, required_argument, "REV", "record: the commit (default HEAD)", OPT_COMMIT, 0,
     RECORD, NULL, NULL},
    {"print", 0, no_argument, NULL, "record: print the note", OPT_PRINT, 0, RECORD, NULL, NULL},
    {"dry-run", 0, no_argument, NULL, "record: build the note without writing it", OPT_DRY_RUN, 0,
     RECORD, NULL, NULL},
    {"json", 0, no_argument, NULL, "log, find: print a JSON array", OPT_JSON, 0, LOG | FIND, NULL,
     NULL},
    {"allow-key-change", 0, no_argument, NULL, "check: accept commits that change a configured key",
     OPT_ALLOW_KEY_CHANGE, 0, CHECK, NULL, NULL},
    {"staged", 0, no_argument, NULL, "check: the staged tree (the index) against HEAD", OPT_STAGED,
     0, CHECK, NULL, NULL},
    {"stdin", 0, no_argument, NULL,
     "check: read the pre-push hook's lines ('<local ref> <local sha>\n"
     "<remote ref> <remote sha>') from standard input; notes refs\n"
     "and deletions are skipped",
     OPT_STDIN, 0, CHECK, NULL, NULL},
    CLI_OPTION_TEXT(
        "  RANGE                  check: A..B, REV or ^REV (default: commits reachable from HEAD\n"
        "                         and from no remote-tracking ref)\n"),
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_lineage_help = {
    "Usage: modelseal lineage record [--repo PATH] [--commit REV] [--print] [--dry-run] [--quiet]\n"
    "       modelseal lineage log [--repo PATH] [--json] PATH\n"
    "       modelseal lineage find [--repo PATH] [--json] DIGEST\n"
    "       modelseal lineage check [--repo PATH] [--allow-key-change] [--staged | --stdin]\n"
    "                               [RANGE]...\n"
    "Lineage in git: which model and dataset versions each commit made, read from the commits\n"
    "themselves with libgit2 (the tracked artifacts are listed in .modelseal.json at the root).\n"
    "See modelseal-lineage(1).\n\n"
    "record  write the note of a commit (default HEAD) under refs/notes/modelseal: the tracked\n"
    "        artifacts it added, changed or removed, with digests, signature status, claims and\n"
    "        the datasets their provenance names (what the post-commit hook runs)\n"
    "log     the commits that changed the artifact at PATH, newest first, from the notes, or\n"
    "        from the trees for commits without one\n"
    "find    the commits and paths that introduced an artifact with root DIGEST\n"
    "        (sha256:<hex> or <hex>)\n"
    "check   refuse commits that leave a tracked model or dataset unsigned, not matching its\n"
    "        signature, signed by another key than the configured one, or that change a\n"
    "        configured key (what the pre-push hook runs)\n\n"
    "Options:\n",
    lineage_options,
    "Exit status: 0 done (check: every commit passes; find: found), 1 check found a problem or\n"
    "find found nothing, 2 malformed input or configuration or bad usage, 3 I/O error.\n",
    lineage_subs, sizeof lineage_subs / sizeof lineage_subs[0]};

static void warn_cb(void *ctx, const char *message)
{
    (void)ctx;
    cli_message("warning: %s", message);
}

/* ---- record ---------------------------------------------------------------------------------- */

static int lineage_record(int argc, char **argv)
{
    ms_lineage_options o = {.warn = warn_cb};
    const char *rev = NULL;
    int opt, print = 0, dry = 0, written = 0;
    ms_buf note = MS_BUF_INIT;
    ms_error err;
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, lineage_options, RECORD)) != -1) {
        switch (opt) {
        case OPT_REPO:
            o.repo = optarg;
            break;
        case OPT_COMMIT:
            rev = optarg;
            break;
        case OPT_PRINT:
            print = 1;
            break;
        case OPT_DRY_RUN:
            dry = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    char *text = NULL;
    size_t text_len = 0;
    int rc = ms_lineage_record(&o, rev, !dry, &text, &text_len, &written, &err);
    if (rc == 0)
        rc = cli_take(&note, text, text_len, &err);
    if (rc) {
        msx_buf_free(&note);
        return cli_fail(&err);
    }
    if (print)
        fwrite(note.data, 1, note.len, stdout);
    if (!cli_quiet && !print) {
        cJSON *j = cJSON_Parse((const char *)note.data);
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "commit");
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "artifacts");
        int n = cJSON_GetArraySize(a);
        cli_info("commit %.12s: %d tracked artifact%s changed; note %s\n",
                 cJSON_IsString(c) ? cli_quote(c->valuestring) : "?", n, n == 1 ? "" : "s",
                 dry       ? "not written (--dry-run)"
                 : written ? "written"
                           : "unchanged");
        cJSON_Delete(j);
    }
    msx_buf_free(&note);
    if (fflush(stdout) != 0) {
        cli_message("cannot write to standard output");
        return EXIT_ENVIRONMENT;
    }
    return EXIT_OK;
}

/* ---- log ------------------------------------------------------------------------------------- */

typedef struct log_out {
    int json;
    size_t count;
} log_out;

static void format_date(int64_t t, int offset_minutes, char *out, size_t size, int iso)
{
    time_t local = (time_t)(t + (int64_t)offset_minutes * 60);
    struct tm tm;
    char base[40];
    int off = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    gmtime_r(&local, &tm);
    strftime(base, sizeof base, iso ? "%Y-%m-%dT%H:%M:%S" : "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(out, size, iso ? "%s%c%02d:%02d" : "%s %c%02d%02d", base,
             offset_minutes < 0 ? '-' : '+', off / 60, off % 60);
}

static cJSON *str_or_null(const char *s)
{
    return s ? cJSON_CreateString(s) : cJSON_CreateNull();
}

static int log_cb(void *ctx, const ms_lineage_log_entry *e, ms_error *err)
{
    log_out *lo = ctx;
    char date[64];
    if (lo->json) {
        cJSON *o = cJSON_CreateObject();
        format_date(e->time, e->offset_minutes, date, sizeof date, 1);
        if (!o || !cJSON_AddStringToObject(o, "commit", e->commit) ||
            !cJSON_AddStringToObject(o, "date", date) ||
            !cJSON_AddStringToObject(o, "author", e->author) ||
            !cJSON_AddStringToObject(o, "path", e->path) ||
            !cJSON_AddStringToObject(o, "kind", e->kind) ||
            !cJSON_AddItemToObject(o, "digest", str_or_null(e->digest)) ||
            !cJSON_AddItemToObject(o, "previous", str_or_null(e->previous)) ||
            !cJSON_AddStringToObject(o, "change", e->change) ||
            !cJSON_AddStringToObject(o, "signature", e->signature) ||
            !cJSON_AddItemToObject(o, "datasets", cJSON_Parse(e->datasets_json)) ||
            !cJSON_AddStringToObject(o, "source", e->source)) {
            cJSON_Delete(o);
            return ms_error_nomem(err);
        }
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
            return ms_error_nomem(err);
        printf("%s%s",
               lo->count ? (cli_json_pretty ? ",\n  " : ",") : (cli_json_pretty ? "  " : ""), s);
        free(s);
    } else {
        format_date(e->time, e->offset_minutes, date, sizeof date, 0);
        printf("%.12s  %s  %s\n", cli_quote(e->commit), date, cli_quote(e->author));
        /* Same content, new signature (or claims): not a change of the artifact itself. */
        int same = e->digest && e->previous && strcmp(e->digest, e->previous) == 0;
        printf("    %s %s: %s", same ? "re-signed" : cli_quote(e->change), cli_quote(e->kind),
               e->digest ? cli_quote(e->digest) : "(none)");
        if (same)
            printf(" (content unchanged)");
        else if (e->previous)
            printf(" (was %s)", cli_quote(e->previous));
        printf(", signature %s%s\n", cli_quote(e->signature),
               strcmp(e->source, "tree") == 0 ? " [no note: read from the tree]" : "");
        for (size_t i = 0; i < e->n_datasets; i++) {
            const ms_lineage_dataset_ref *d = &e->datasets[i];
            printf("    dataset %s %s\n", d->name ? cli_quote(d->name) : "(unnamed)",
                   d->digest ? cli_quote(d->digest) : "(no digest)");
        }
    }
    lo->count++;
    /* Stream: each commit is out before the walk goes on. */
    if (fflush(stdout) != 0)
        return ms_error_set(err, MS_EENV, "cannot write to standard output");
    return 0;
}

/* The options log and find share (--repo, --json) and their one operand, `what`. -1 when
 * parsing is done and argv[optind] is the operand, else the exit status (help or usage). */
static int log_find_options(int argc, char **argv, const char *what, ms_lineage_options *o,
                            log_out *lo)
{
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, lineage_options, LOG | FIND)) != -1) {
        switch (opt) {
        case OPT_REPO:
            o->repo = optarg;
            break;
        case OPT_JSON:
            lo->json = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    return cli_operand(argc, argv, what) ? -1 : EXIT_USAGE;
}

static int lineage_log(int argc, char **argv)
{
    ms_lineage_options o = {.warn = warn_cb};
    log_out lo = {0};
    ms_error err;
    ms_error_clear(&err);
    int status = log_find_options(argc, argv, "PATH", &o, &lo);
    if (status >= 0)
        return status;
    if (lo.json)
        cli_json_stream_start();
    int rc = ms_lineage_log(&o, argv[optind], log_cb, &lo, &err);
    if (lo.json)
        printf("%s]\n", lo.count && cli_json_pretty ? "\n" : "");
    if (rc)
        return cli_fail(&err);
    if (!lo.json && lo.count == 0)
        printf("no commit changed %s\n", cli_quote(argv[optind]));
    if (fflush(stdout) != 0) {
        cli_message("cannot write to standard output");
        return EXIT_ENVIRONMENT;
    }
    return EXIT_OK;
}

/* ---- find ------------------------------------------------------------------------------------ */

static int find_cb(void *ctx, const ms_lineage_hit *h, ms_error *err)
{
    log_out *lo = ctx;
    if (lo->json) {
        cJSON *o = cJSON_CreateObject();
        if (!o || !cJSON_AddStringToObject(o, "commit", h->commit) ||
            !cJSON_AddStringToObject(o, "path", h->path) ||
            !cJSON_AddStringToObject(o, "kind", h->kind) ||
            !cJSON_AddStringToObject(o, "source", h->source)) {
            cJSON_Delete(o);
            return ms_error_nomem(err);
        }
        char *s = cJSON_PrintUnformatted(o);
        cJSON_Delete(o);
        if (!s)
            return ms_error_nomem(err);
        printf("%s%s",
               lo->count ? (cli_json_pretty ? ",\n  " : ",") : (cli_json_pretty ? "  " : ""), s);
        free(s);
    } else {
        printf("%s  %s  (%s, from the %s)\n", cli_quote(h->commit), cli_quote(h->path),
               cli_quote(h->kind), strcmp(h->source, "note") == 0 ? "note" : "tree");
    }
    lo->count++;
    if (fflush(stdout) != 0)
        return ms_error_set(err, MS_EENV, "cannot write to standard output");
    return 0;
}

static int lineage_find(int argc, char **argv)
{
    ms_lineage_options o = {.warn = warn_cb};
    log_out lo = {0};
    uint8_t d[MS_SHA256_SIZE];
    ms_error err;
    ms_error_clear(&err);
    int status = log_find_options(argc, argv, "DIGEST", &o, &lo);
    if (status >= 0)
        return status;
    if (ms_lineage_parse_digest(argv[optind], d, &err) != 0)
        return cli_fail(&err);
    if (lo.json)
        cli_json_stream_start();
    int rc = ms_lineage_find(&o, argv[optind], find_cb, &lo, &err);
    if (lo.json)
        printf("%s]\n", lo.count && cli_json_pretty ? "\n" : "");
    if (rc)
        return cli_fail(&err);
    if (fflush(stdout) != 0) {
        cli_message("cannot write to standard output");
        return EXIT_ENVIRONMENT;
    }
    if (lo.count == 0) {
        cli_message("no commit introduced an artifact with digest %s", argv[optind]);
        return EXIT_NOT_VERIFIED;
    }
    return EXIT_OK;
}

/* ---- check ----------------------------------------------------------------------------------- */

static void problem_cb(void *ctx, const ms_lineage_problem *p)
{
    (void)ctx;
    if (strcmp(p->commit, "index") == 0)
        cli_message("staged: %s%s%s", p->path ? p->path : "", p->path ? ": " : "", p->message);
    else
        cli_message("commit %.12s: %s%s%s", p->commit, p->path ? p->path : "", p->path ? ": " : "",
                    p->message);
}

static int is_zero_sha(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s != '0')
            return 0;
    return 1;
}

static int is_hex_sha(const char *s)
{
    size_t n = strlen(s);
    if (n != 40 && n != 64)
        return 0;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return 0;
    return 1;
}

typedef struct ranges {
    char **items;
    size_t n, cap;
} ranges;

static void ranges_free(ranges *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->items[i]);
    free(r->items);
}

static int ranges_add(ranges *r, char *s)
{
    if (!s)
        return -1;
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        char **items = realloc(r->items, cap * sizeof *items);
        if (!items) {
            free(s);
            return -1;
        }
        r->items = items;
        r->cap = cap;
    }
    r->items[r->n++] = s;
    return 0;
}

/* Parse the pre-push hook's lines into ranges. 0, or an exit status. */
static int read_push_lines(ranges *r)
{
    char line[8192];
    size_t lineno = 0;
    while (fgets(line, sizeof line, stdin)) {
        char local_ref[4096], local_sha[128], remote_ref[4096], remote_sha[128];
        size_t len = strlen(line);
        lineno++;
        if (lineno > 100000)
            return cli_usage_error("standard input: too many lines");
        if (len == sizeof line - 1 && line[len - 1] != '\n')
            return cli_usage_error("standard input: line %zu is too long", lineno);
        if (len <= 1)
            continue;
        if (sscanf(line, "%4095s %127s %4095s %127s", local_ref, local_sha, remote_ref,
                   remote_sha) != 4 ||
            !is_hex_sha(local_sha) || !is_hex_sha(remote_sha))
            return cli_usage_error("standard input: line %zu is not '<local ref> <local sha> "
                                   "<remote ref> <remote sha>'",
                                   lineno);
        if (strncmp(local_ref, "refs/notes/", 11) == 0 ||
            strncmp(remote_ref, "refs/notes/", 11) == 0)
            continue;
        if (is_zero_sha(local_sha))
            continue; /* a deletion pushes no commit */
        char *range;
        if (is_zero_sha(remote_sha))
            range = strdup(local_sha);
        else if (asprintf(&range, "%s..%s", remote_sha, local_sha) < 0)
            range = NULL;
        if (ranges_add(r, range) != 0) {
            cli_message("out of memory");
            return EXIT_ENVIRONMENT;
        }
    }
    if (ferror(stdin)) {
        cli_message("cannot read standard input");
        return EXIT_ENVIRONMENT;
    }
    return 0;
}

static int lineage_check(int argc, char **argv)
{
    ms_lineage_options o = {.warn = warn_cb};
    ms_lineage_check_options co = {.problem = problem_cb};
    ranges r = {0};
    int opt, use_stdin = 0, status = EXIT_OK;
    size_t checked = 0;
    ms_error err;
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, lineage_options, CHECK)) != -1) {
        switch (opt) {
        case OPT_REPO:
            o.repo = optarg;
            break;
        case OPT_ALLOW_KEY_CHANGE:
            co.allow_key_change = 1;
            break;
        case OPT_STAGED:
            co.staged = 1;
            break;
        case OPT_STDIN:
            use_stdin = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (co.staged && use_stdin)
        return cli_usage_error("--staged and --stdin do not go together");
    if ((co.staged || use_stdin) && optind < argc)
        return cli_usage_error("RANGE does not go with --%s", co.staged ? "staged" : "stdin");
    if (co.staged)
        co.index_file = getenv("GIT_INDEX_FILE"); /* git commit -a / git commit PATH */
    if (use_stdin) {
        if ((status = read_push_lines(&r)) != 0)
            goto out;
        if (r.n == 0)
            goto out; /* only notes or deletions: nothing to check */
        co.ranges = (const char *const *)r.items;
        co.n_ranges = r.n;
        co.hide_remotes = 1;
    } else {
        co.ranges = (const char *const *)(argv + optind);
        co.n_ranges = (size_t)(argc - optind);
    }
    int rc = ms_lineage_check(&o, &co, &checked, &err);
    if (rc) {
        status = cli_fail(&err);
        goto out;
    }
    cli_info("%s: ok (%zu %s checked)\n", co.staged ? "staged tree" : "lineage check", checked,
             co.staged      ? "tree"
             : checked == 1 ? "commit"
                            : "commits");
out:
    ranges_free(&r);
    return status;
}

int cmd_lineage(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "lineage", &cmd_lineage_help);
}
