/* modelseal completion: a bash or zsh completion script, written from the command table and
 * each command's option table (options.h), so that it offers exactly what the program takes.
 * `make install` installs both (Makefile.am). */
#include "config.h"

#include <string.h>

#include "cli.h"

static int completion_bash(int argc, char **argv);
static int completion_zsh(int argc, char **argv);
static const cli_subcommand completion_subs[] = {{"bash", completion_bash},
                                                 {"zsh", completion_zsh}};

static const cli_option completion_options[] = {
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_completion_help = {
    "Usage: modelseal completion bash|zsh\n"
    "Print a shell completion script for modelseal: its commands, subcommands and options, and\n"
    "files where an option takes a path. make install puts them where the shells look\n"
    "(bash-completion/completions/modelseal and zsh/vendor-completions/_modelseal under\n"
    "DATADIR); or load one by hand:\n"
    "  bash: source <(modelseal completion bash)\n"
    "  zsh:  modelseal completion zsh > ~/.zfunc/_modelseal  (a directory of $fpath)\n\n"
    "Options:\n",
    completion_options, NULL, completion_subs, sizeof completion_subs / sizeof completion_subs[0]};

/* How each shell says the few things the script does. */
typedef struct shell {
    const char *preamble;  /* sets cur, prev, cmd, sub (the word after it), n (cur's index) */
    const char *words[2];  /* offer the words between these two and return */
    const char *subs;      /* offer the words of $subs and return */
    const char *files;     /* offer file names and return */
    const char *postamble; /* after the case that sets opts */
} shell;

static const shell bash = {
    "# bash completion for modelseal, written by 'modelseal completion bash'.\n"
    "_modelseal_words() {\n"
    "    COMPREPLY=($(compgen -W \"$1\" -- \"$cur\"))\n"
    "}\n"
    "_modelseal_files() {\n"
    "    compopt -o filenames 2>/dev/null\n"
    "    COMPREPLY=($(compgen -f -- \"$cur\"))\n"
    "}\n"
    "_modelseal() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
    "    local cmd=${COMP_WORDS[1]} key subs='' opts=''\n"
    "    local n=$COMP_CWORD sub=${COMP_WORDS[2]}\n"
    "    COMPREPLY=()\n",
    {"_modelseal_words '", "'; return"},
    "_modelseal_words \"$subs\"; return",
    "_modelseal_files; return",
    "    case $cur in\n"
    "    -*) _modelseal_words \"$opts\" ;;\n"
    "    *) _modelseal_files ;;\n"
    "    esac\n"
    "}\n"
    "complete -F _modelseal modelseal\n",
};

static const shell zsh = {
    "#compdef modelseal\n"
    "# zsh completion for modelseal, written by 'modelseal completion zsh'.\n"
    "_modelseal() {\n"
    "    local cur=${words[CURRENT]} prev=${words[CURRENT-1]}\n"
    "    local cmd=${words[2]} key subs='' opts=''\n"
    "    local n=$((CURRENT - 1)) sub=${words[3]}\n",
    {"compadd -- ", "; return"},
    "compadd -- ${=subs}; return",
    "_files; return",
    "    case $cur in\n"
    "    -*) compadd -- ${=opts} ;;\n"
    "    *) _files ;;\n"
    "    esac\n"
    "}\n"
    "if [ \"$funcstack[1]\" = _modelseal ]; then\n"
    "    _modelseal \"$@\"\n"
    "else\n"
    "    compdef _modelseal modelseal\n"
    "fi\n",
};

static void print_offer(const shell *sh, const char *words)
{
    printf("%s%s%s", sh->words[0], words, sh->words[1]);
}

typedef struct arg_case {
    const shell *sh;
    const char *key; /* "dataset sign" */
} arg_case;

/* An argument written as lower-case choices ("files|shards") is completed with them. */
static int is_choice_list(const char *arg)
{
    return arg && strchr(arg, '|') &&
           strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789-|") == strlen(arg);
}

/* One branch of the case on "$key $prev": what to offer after an option that takes an
 * argument. */
static void print_arg_case(void *ctx, const cli_option *o)
{
    const arg_case *c = ctx;
    if (o->has_arg != required_argument)
        return;
    printf("    '%s --%s'", c->key, o->name);
    if (o->short_name)
        printf(" | '%s -%c'", c->key, o->short_name);
    fputs(") ", stdout);
    if (o->flags & CLI_PATH) {
        fputs(c->sh->files, stdout);
    } else if (is_choice_list(o->arg)) {
        char words[128];
        snprintf(words, sizeof words, "%s", o->arg);
        for (char *p = words; *p; p++)
            if (*p == '|')
                *p = ' ';
        print_offer(c->sh, words);
    } else {
        fputs("return", stdout); /* a value, not a file: nothing to offer */
    }
    fputs(" ;;\n", stdout);
}

static void print_option_words(void *ctx, const cli_option *o)
{
    (void)ctx;
    if (o->short_name)
        printf("-%c ", o->short_name);
    printf("--%s ", o->name);
}

/* Every key ("cmd" or "cmd sub") with its options, as `case` branches. */
static void print_keys(const shell *sh, int args)
{
    for (size_t i = 0; i < cli_commands_count; i++) {
        const cli_command *c = &cli_commands[i];
        const cli_help *h = c->help;
        size_t n_keys = h->n_subs ? h->n_subs : 1;
        if (!h->options)
            continue;
        for (size_t k = 0; k < n_keys; k++) {
            char key[64];
            unsigned which = h->n_subs ? 1u << k : 0;
            if (h->n_subs)
                snprintf(key, sizeof key, "%s %s", c->name, h->subs[k].name);
            else
                snprintf(key, sizeof key, "%s", c->name);
            if (args) {
                arg_case ac = {sh, key};
                cli_options_each(h->options, which, print_arg_case, &ac);
            } else {
                printf("    '%s') opts='", key);
                cli_options_each(h->options, which, print_option_words, NULL);
                fputs("' ;;\n", stdout);
            }
        }
    }
}

static int print_script(const shell *sh)
{
    char names[512];
    size_t used = 0;
    names[0] = '\0';
    for (size_t i = 0; i < cli_commands_count; i++) {
        int w =
            snprintf(names + used, sizeof names - used, "%s%s", i ? " " : "", cli_commands[i].name);
        if (w > 0 && (size_t)w < sizeof names - used)
            used += (size_t)w;
    }
    fputs(sh->preamble, stdout);
    /* the command */
    fputs("    if [ \"$n\" -eq 1 ]; then\n        case $cur in\n        -*) ", stdout);
    print_offer(sh, "--help --version");
    fputs(" ;;\n        *) ", stdout);
    print_offer(sh, names);
    fputs(" ;;\n        esac\n    fi\n", stdout);
    fputs("    key=$cmd\n    case $cmd in\n    help)\n        [ \"$n\" -eq 2 ] || return\n        ",
          stdout);
    print_offer(sh, names);
    fputs(" ;;\n", stdout);
    for (size_t i = 0; i < cli_commands_count; i++) {
        const cli_help *h = cli_commands[i].help;
        if (!h->n_subs)
            continue;
        printf("    '%s') subs='", cli_commands[i].name);
        for (size_t k = 0; k < h->n_subs; k++)
            printf("%s%s", k ? " " : "", h->subs[k].name);
        fputs("' ;;\n", stdout);
    }
    fputs("    esac\n", stdout);
    /* the subcommand */
    fputs("    if [ -n \"$subs\" ]; then\n        if [ \"$n\" -eq 2 ]; then\n"
          "            case $cur in\n            -*) ",
          stdout);
    print_offer(sh, "-h --help");
    printf(" ;;\n            *) %s ;;\n            esac\n        fi\n", sh->subs);
    fputs("        key=\"$cmd $sub\"\n    fi\n", stdout);
    /* an option's argument */
    fputs("    case \"$key $prev\" in\n", stdout);
    print_keys(sh, 1);
    fputs("    esac\n", stdout);
    /* the options */
    fputs("    case $key in\n", stdout);
    print_keys(sh, 0);
    fputs("    esac\n", stdout);
    fputs(sh->postamble, stdout);
    return EXIT_OK;
}

static int completion_run(int argc, char **argv, const shell *sh)
{
    int opt;
    optind = 1;
    while ((opt = cli_getopt(argc, argv, completion_options, 0)) != -1) {
        return cli_option_other(opt, argv);
    }
    if (argc != optind)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    return print_script(sh);
}

static int completion_bash(int argc, char **argv)
{
    return completion_run(argc, argv, &bash);
}

static int completion_zsh(int argc, char **argv)
{
    return completion_run(argc, argv, &zsh);
}

int cmd_completion(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "completion", &cmd_completion_help);
}
