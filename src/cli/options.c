/* The option tables at work: getopt_long's arguments and the OPTIONS part of --help, built
 * from a command's cli_option rows (options.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The most options one getopt loop takes (sign: 26). */
enum { MAX_OPTIONS = 64 };

static int taken(const cli_option *o, unsigned which)
{
    return which == 0 || o->only == 0 || (o->only & which) != 0;
}

typedef struct seen_names {
    const char *names[MAX_OPTIONS];
    size_t n;
} seen_names;

static void each(const cli_option *table, unsigned which, cli_option_fn fn, void *ctx,
                 seen_names *seen)
{
    for (const cli_option *o = table; o->name || o->help || o->include; o++) {
        if (!taken(o, which))
            continue;
        if (o->include) {
            each(o->include, which, fn, ctx, seen);
            continue;
        }
        if (!o->name)
            continue;
        size_t i = 0;
        while (i < seen->n && strcmp(seen->names[i], o->name) != 0)
            i++;
        if (i < seen->n)
            continue;
        if (seen->n == MAX_OPTIONS) {
            fprintf(stderr, "modelseal: internal error: more than %d options\n", MAX_OPTIONS);
            abort();
        }
        seen->names[seen->n++] = o->name;
        fn(ctx, o);
    }
}

void cli_options_each(const cli_option *table, unsigned which, cli_option_fn fn, void *ctx)
{
    seen_names seen = {.n = 0};
    each(table, which, fn, ctx, &seen);
}

typedef struct getopt_args {
    struct option longopts[MAX_OPTIONS + 1];
    char shortopts[2 * MAX_OPTIONS + 2];
    size_t n_long, n_short;
} getopt_args;

static void add_option(void *ctx, const cli_option *o)
{
    getopt_args *g = ctx;
    /* --json takes an optional =pretty everywhere. */
    int has_arg = o->id == OPT_JSON ? optional_argument : o->has_arg;
    g->longopts[g->n_long++] = (struct option){o->name, has_arg, NULL, o->id};
    if (o->short_name) {
        g->shortopts[g->n_short++] = o->short_name;
        if (o->has_arg == required_argument)
            g->shortopts[g->n_short++] = ':';
    }
}

const cli_option cli_common_options[] = {
    {"quiet", 'q', no_argument, NULL,
     "print only errors, warnings and what the command\nexists to print (no summary lines, no "
     "progress)",
     'q', 0, 0, NULL, NULL},
    {"help", 'h', no_argument, NULL, "show this help", 'h', 0, 0, NULL, NULL},
    CLI_OPTION_END,
};
int cli_quiet;
int cli_json, cli_json_pretty;

static const cli_option *built_table; /* the table cli_getopt last built */

int cli_getopt(int argc, char **argv, const cli_option *table, unsigned which)
{
    static getopt_args args;
    static unsigned built_which;
    if (built_table != table || built_which != which) {
        memset(&args, 0, sizeof args);
        args.shortopts[args.n_short++] = ':';
        cli_options_each(table, which, add_option, &args);
        built_table = table;
        built_which = which;
    }
    int opt;
    while ((opt = getopt_long(argc, argv, args.shortopts, args.longopts, NULL)) == 'q')
        cli_quiet = 1;
    if (opt == OPT_JSON) {
        if (optarg && strcmp(optarg, "pretty") != 0)
            return CLI_OPT_BAD_JSON;
        cli_json = 1;
        cli_json_pretty = optarg != NULL;
    }
    return opt;
}

static void consider(void *ctx, const cli_option *o)
{
    cli_nearest_offer(ctx, o->name);
}

const char *cli_getopt_nearest(const char *name)
{
    char typed[80];
    size_t len = strcspn(name, "=");
    if (!built_table || len >= sizeof typed)
        return NULL;
    memcpy(typed, name, len);
    typed[len] = '\0';
    /* Every row of the command's table, whichever mode takes it: `verify --polcy` is told of
     * --policy although the key mode it was parsed in has no such option. */
    cli_nearest n;
    cli_nearest_init(&n, typed);
    cli_options_each(built_table, 0, consider, &n);
    return n.name;
}

/* "-o, --output PREFIX" */
static void print_label(const cli_option *o, size_t *width)
{
    int n;
    if (o->label)
        n = printf("%s", o->label);
    else if (o->short_name)
        n = printf("-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "",
                   o->arg ? o->arg : "");
    else
        n = printf("--%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
    if (n > 0)
        *width += (size_t)n;
}

void cli_print_options(const cli_option *table)
{
    enum { COLUMN = 25 }; /* where the help text starts */
    for (const cli_option *o = table; o->name || o->help || o->include; o++) {
        if (o->include) {
            cli_print_options(o->include);
            continue;
        }
        if (!o->name) {
            fputs(o->help, stdout);
            continue;
        }
        if (o->flags & CLI_JOIN)
            continue; /* printed with the row before */
        size_t width = 2;
        fputs("  ", stdout);
        print_label(o, &width);
        for (const cli_option *j = o + 1; j->name && (j->flags & CLI_JOIN); j++) {
            fputs(", ", stdout);
            width += 2;
            print_label(j, &width);
        }
        printf("%*s", width + 2 < COLUMN ? (int)(COLUMN - width) : 2, "");
        for (const char *h = o->help; *h; h++) {
            putchar(*h);
            if (*h == '\n')
                printf("%*s", COLUMN, "");
        }
        putchar('\n');
    }
}
