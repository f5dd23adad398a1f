/* modelseal hooks: install or remove the git hooks that record lineage after each commit and
 * check pushes (modelseal-hooks(1)). The scripts come from contrib/hooks (installed under
 * $(pkgdatadir)/hooks); an existing hook is kept beside ours as NAME.pre-modelseal and still
 * runs first, so installing chains rather than overwrites, and uninstalling restores it. */
#include "config.h"

#include <errno.h>
#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "modelseal/lineage.h"
#include "util/fs.h"

#ifndef MS_PKGDATADIR
#define MS_PKGDATADIR "/usr/local/share/modelseal"
#endif

static int hooks_install(int argc, char **argv);
static int hooks_uninstall(int argc, char **argv);
static const cli_subcommand hooks_subs[] = {{"install", hooks_install},
                                            {"uninstall", hooks_uninstall}};

static const cli_option hooks_options[] = {
    {"repo", 0, required_argument, "PATH",
     "the repository (default: found from the current directory)", OPT_REPO, CLI_PATH, 0, NULL,
     NULL},
    {"remote", 0, required_argument, "NAME",
     "the remote whose push refspecs are extended (default origin;\n"
     "skipped with a note when the repository has no such remote)",
     OPT_REMOTE, 0, 0, NULL, NULL},
    {"pre-commit", 0, no_argument, NULL, "also install the pre-commit hook", OPT_PRE_COMMIT, 0, 0,
     NULL, NULL},
    {"force", 0, no_argument, NULL,
     "replace a saved NAME.pre-modelseal that differs from the hook\n"
     "being moved there (that saved hook is lost)",
     OPT_FORCE, 0, 0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_hooks_help = {
    "Usage: modelseal hooks install [--repo PATH] [--remote NAME] [--pre-commit] [--force]\n"
    "       modelseal hooks uninstall [--repo PATH]\n"
    "Install the git hooks of modelseal-lineage(1) in a repository: post-commit (lineage\n"
    "record), pre-push (lineage check of what is pushed) and, with --pre-commit, pre-commit\n"
    "(lineage check --staged). A hook already there is kept as NAME.pre-modelseal and still runs\n"
    "first; installing twice changes nothing; core.hooksPath is respected. install also sets\n"
    "notes.displayRef to refs/notes/modelseal (git log shows the notes) and adds HEAD and\n"
    "refs/notes/modelseal to the remote's push refspecs, so a plain 'git push' sends the current\n"
    "branch and the notes. uninstall restores what was there. See modelseal-hooks(1).\n\n"
    "Options:\n",
    hooks_options,
    "Environment: MODELSEAL_HOOKS_DIR, a directory with the hook scripts to install.\n"
    "Exit status: 0 done, 2 bad usage or a hook that would be lost without --force, 3 I/O "
    "error.\n",
    hooks_subs, sizeof hooks_subs / sizeof hooks_subs[0]};

#define HOOK_MARKER "# modelseal-hook"
#define PROGRAM_MARKER "# modelseal-program"
#define SAVED_SUFFIX ".pre-modelseal"
#define SCRIPT_MAX ((size_t)64 << 10)
#define NOTES_DISPLAY_KEY "notes.displayRef"
#define STATE_DISPLAY_KEY "modelseal.hooksDisplayRef"
#define STATE_REMOTE_KEY "modelseal.hooksRemote"
#define STATE_PUSH_KEY "modelseal.hooksPushRefspec"

static const char *const hook_names[] = {"post-commit", "pre-push", "pre-commit"};

static int git_status(const char *what)
{
    const git_error *e = git_error_last();
    cli_message("%s: %s", what, e && e->message ? e->message : "git error");
    return EXIT_ENVIRONMENT;
}

/* ---- locating things --------------------------------------------------------------------- */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The directory holding the hook scripts to install: $MODELSEAL_HOOKS_DIR, else the installed
 * one (never the source tree). */
static const char *scripts_dir(char *buf, size_t size)
{
    const char *env = getenv("MODELSEAL_HOOKS_DIR");
    const char *candidates[2] = {env && *env ? env : NULL, MS_PKGDATADIR "/hooks"};
    for (size_t i = 0; i < 2; i++) {
        if (!candidates[i])
            continue;
        snprintf(buf, size, "%s/post-commit", candidates[i]);
        if (is_file(buf))
            return candidates[i];
    }
    return NULL;
}

/* The absolute path of this program, for the hooks to call (a libtool wrapper in a build tree
 * is preferred to the real binary under .libs, which cannot run on its own). */
static int program_path(char *out, size_t size)
{
    const char *env = getenv("MODELSEAL");
    if (env && env[0] == '/' && access(env, X_OK) == 0) {
        snprintf(out, size, "%s", env);
        return 0;
    }
    ssize_t n = readlink("/proc/self/exe", out, size - 1);
    if (n <= 0)
        return -1;
    out[n] = '\0';
    char *slash = strrchr(out, '/');
    if (slash && slash - out >= 6 && strncmp(slash - 6, "/.libs", 6) == 0) {
        char wrapper[PATH_MAX];
        const char *base = slash + 1;
        if (strncmp(base, "lt-", 3) == 0)
            base += 3;
        snprintf(wrapper, sizeof wrapper, "%.*s/%s", (int)(slash - 6 - out), out, base);
        if (access(wrapper, X_OK) == 0)
            snprintf(out, size, "%s", wrapper);
    }
    return 0;
}

/* The hooks directory: core.hooksPath (relative to the working tree, as git takes it) or
 * GIT_COMMON_DIR/hooks. */
static int hooks_dir(git_repository *repo, char *out, size_t size)
{
    git_config *cfg = NULL;
    git_buf buf = {0};
    int rc;
    if (git_repository_config_snapshot(&cfg, repo) < 0)
        return git_status("reading the git configuration");
    rc = git_config_get_path(&buf, cfg, "core.hooksPath");
    if (rc == 0 && buf.ptr[0]) {
        if (buf.ptr[0] == '/') {
            snprintf(out, size, "%s", buf.ptr);
        } else {
            const char *base = git_repository_workdir(repo) ? git_repository_workdir(repo)
                                                            : git_repository_path(repo);
            snprintf(out, size, "%s%s", base, buf.ptr);
        }
    } else {
        snprintf(out, size, "%shooks", git_repository_commondir(repo));
    }
    git_buf_dispose(&buf);
    git_config_free(cfg);
    size_t len = strlen(out);
    while (len > 1 && out[len - 1] == '/')
        out[--len] = '\0';
    return 0;
}

static int mkdir_p(const char *path)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* ---- scripts ----------------------------------------------------------------------------- */

static int read_text(const char *path, ms_buf *out)
{
    ms_error err;
    msx_buf_reset(out);
    if (msx_file_read(path, SCRIPT_MAX, out, &err) != 0)
        return -1;
    return 0;
}

static int is_ours(const ms_buf *b)
{
    return b->len > 0 && strstr((const char *)b->data, "\n" HOOK_MARKER) != NULL;
}

/* The script to install: the template with the program line pointing at this program. */
static int render_script(const char *template_path, const char *program, ms_buf *out)
{
    ms_buf t = MS_BUF_INIT;
    int status = 0;
    if (read_text(template_path, &t) != 0) {
        cli_message("%s: cannot read the hook script", template_path);
        msx_buf_free(&t);
        return EXIT_ENVIRONMENT;
    }
    msx_buf_reset(out);
    const char *p = (const char *)t.data, *end = p + t.len;
    int replaced = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p + 1) : (size_t)(end - p);
        if (!replaced && memmem(p, len, PROGRAM_MARKER, sizeof PROGRAM_MARKER - 1)) {
            /* [ -n "${MODELSEAL:-}" ] || MODELSEAL='<program>' # modelseal-program */
            msx_buf_append_str(out, "[ -n \"${MODELSEAL:-}\" ] || MODELSEAL='");
            for (const char *c = program; *c; c++) {
                if (*c == '\'')
                    msx_buf_append_str(out, "'\\''");
                else
                    msx_buf_append(out, c, 1);
            }
            msx_buf_append_str(out, "' " PROGRAM_MARKER "\n");
            replaced = 1;
        } else {
            msx_buf_append(out, p, len);
        }
        p += len;
    }
    if (!replaced || !is_ours(out)) {
        cli_message("%s: not a modelseal hook script", template_path);
        status = EXIT_ENVIRONMENT;
    }
    msx_buf_free(&t);
    return status;
}

static int same_text(const ms_buf *a, const ms_buf *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

/* ---- configuration ----------------------------------------------------------------------- */

typedef struct find_value {
    const char *value;
    int found;
} find_value;

static int find_value_cb(const git_config_entry *e, void *payload)
{
    find_value *f = payload;
    if (e->value && strcmp(e->value, f->value) == 0)
        f->found = 1;
    return 0;
}

static int has_value(git_config *cfg, const char *name, const char *value)
{
    find_value f = {.value = value};
    git_config_get_multivar_foreach(cfg, name, NULL, find_value_cb, &f);
    return f.found;
}

static int ensure_notes_ref(git_repository *repo)
{
    git_reference *ref = NULL;
    git_treebuilder *tb = NULL;
    git_signature *sig = NULL;
    git_oid tree_oid, commit_oid;
    git_tree *tree = NULL;
    if (git_reference_lookup(&ref, repo, MS_LINEAGE_NOTES_REF) == 0) {
        git_reference_free(ref);
        return 0;
    }
    /* A push refspec naming a ref that does not exist fails the whole push: start the notes
     * ref with an empty notes commit. */
    int status = 0;
    if (git_treebuilder_new(&tb, repo, NULL) < 0 || git_treebuilder_write(&tree_oid, tb) < 0 ||
        git_tree_lookup(&tree, repo, &tree_oid) < 0) {
        status = git_status("creating " MS_LINEAGE_NOTES_REF);
        goto out;
    }
    if (git_signature_default(&sig, repo) < 0 &&
        git_signature_now(&sig, "modelseal", "modelseal@localhost") < 0) {
        status = git_status("creating " MS_LINEAGE_NOTES_REF);
        goto out;
    }
    if (git_commit_create(&commit_oid, repo, MS_LINEAGE_NOTES_REF, sig, sig, NULL,
                          "modelseal: lineage notes\n", tree, 0, NULL) < 0)
        status = git_status("creating " MS_LINEAGE_NOTES_REF);
out:
    git_tree_free(tree);
    git_signature_free(sig);
    git_treebuilder_free(tb);
    return status;
}

static int configure_install(git_repository *repo, const char *remote_name, int remote_given)
{
    git_config *cfg = NULL, *local = NULL;
    git_remote *remote = NULL;
    git_strarray specs = {0};
    int status = 0;
    if (git_repository_config(&cfg, repo) < 0 ||
        git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0) {
        status = git_status("opening the repository's configuration");
        goto out;
    }
    if (has_value(cfg, NOTES_DISPLAY_KEY, MS_LINEAGE_NOTES_REF)) {
        cli_info("notes.displayRef: already shows %s\n", MS_LINEAGE_NOTES_REF);
    } else {
        if (git_config_set_multivar(local, NOTES_DISPLAY_KEY, "^refs/notes/modelseal$",
                                    MS_LINEAGE_NOTES_REF) < 0 ||
            git_config_set_bool(local, STATE_DISPLAY_KEY, 1) < 0) {
            status = git_status("setting notes.displayRef");
            goto out;
        }
        cli_info("notes.displayRef: added %s (git log shows the lineage notes)\n",
                 MS_LINEAGE_NOTES_REF);
    }
    int rc = git_remote_lookup(&remote, repo, remote_name);
    if (rc == GIT_ENOTFOUND || rc == GIT_EINVALIDSPEC) {
        if (remote_given) {
            cli_message("no remote named '%s'", remote_name);
            status = EXIT_USAGE;
        } else {
            cli_info("remote %s: none, push refspecs not set (run 'modelseal hooks install' again "
                     "after adding it)\n",
                     cli_quote(remote_name));
        }
        goto out;
    }
    if (rc < 0) {
        status = git_status(remote_name);
        goto out;
    }
    if (git_remote_get_push_refspecs(&specs, remote) < 0) {
        status = git_status(remote_name);
        goto out;
    }
    static const char *const wanted[] = {"HEAD", MS_LINEAGE_NOTES_REF};
    int added = 0;
    for (size_t i = 0; i < 2; i++) {
        int present = 0;
        for (size_t k = 0; k < specs.count; k++)
            if (strcmp(specs.strings[k], wanted[i]) == 0)
                present = 1;
        if (present)
            continue;
        if (git_remote_add_push(repo, remote_name, wanted[i]) < 0 ||
            git_config_set_multivar(local, STATE_PUSH_KEY, "^$", wanted[i]) < 0) {
            status = git_status("adding a push refspec");
            goto out;
        }
        added++;
    }
    if (added && git_config_set_string(local, STATE_REMOTE_KEY, remote_name) < 0) {
        status = git_status("saving the hooks state");
        goto out;
    }
    cli_info("remote %s: push refspecs %s HEAD and %s\n", cli_quote(remote_name),
             added ? "now include" : "already include", MS_LINEAGE_NOTES_REF);
    status = ensure_notes_ref(repo);
out:
    git_strarray_dispose(&specs);
    git_remote_free(remote);
    git_config_free(local);
    git_config_free(cfg);
    return status;
}

/* Escape a value for a POSIX extended regular expression matching it exactly. */
static void regex_exact(const char *value, char *out, size_t size)
{
    size_t o = 0;
    if (o + 1 < size)
        out[o++] = '^';
    for (const char *c = value; *c && o + 3 < size; c++) {
        if (strchr(".[]{}()\\*+?|^$", *c))
            out[o++] = '\\';
        out[o++] = *c;
    }
    if (o + 1 < size)
        out[o++] = '$';
    out[o] = '\0';
}

typedef struct collect_values {
    char *items[16];
    size_t n;
} collect_values;

static int collect_cb(const git_config_entry *e, void *payload)
{
    collect_values *c = payload;
    if (c->n < 16 && e->value && (c->items[c->n] = strdup(e->value)))
        c->n++;
    return 0;
}

static int configure_uninstall(git_repository *repo)
{
    git_config *cfg = NULL, *local = NULL;
    git_buf remote = {0};
    collect_values pushed = {0};
    int displayed = 0, status = 0;
    char re[512];
    if (git_repository_config(&cfg, repo) < 0 ||
        git_config_open_level(&local, cfg, GIT_CONFIG_LEVEL_LOCAL) < 0) {
        status = git_status("opening the repository's configuration");
        goto out;
    }
    if (git_config_get_bool(&displayed, local, STATE_DISPLAY_KEY) == 0 && displayed) {
        regex_exact(MS_LINEAGE_NOTES_REF, re, sizeof re);
        git_config_delete_multivar(local, NOTES_DISPLAY_KEY, re);
        git_config_delete_entry(local, STATE_DISPLAY_KEY);
        cli_info("notes.displayRef: removed %s\n", MS_LINEAGE_NOTES_REF);
    }
    git_config_get_multivar_foreach(local, STATE_PUSH_KEY, NULL, collect_cb, &pushed);
    if (pushed.n && git_config_get_string_buf(&remote, local, STATE_REMOTE_KEY) == 0) {
        char key[600];
        snprintf(key, sizeof key, "remote.%s.push", remote.ptr);
        for (size_t i = 0; i < pushed.n; i++) {
            regex_exact(pushed.items[i], re, sizeof re);
            git_config_delete_multivar(local, key, re);
        }
        cli_info("remote %s: removed the push refspecs modelseal added\n", cli_quote(remote.ptr));
    }
    if (pushed.n)
        git_config_delete_multivar(local, STATE_PUSH_KEY, ".*");
    git_config_delete_entry(local, STATE_REMOTE_KEY);
out:
    for (size_t i = 0; i < pushed.n; i++)
        free(pushed.items[i]);
    git_buf_dispose(&remote);
    git_config_free(local);
    git_config_free(cfg);
    return status;
}

/* ---- install / uninstall ------------------------------------------------------------------- */

typedef struct hook_plan {
    const char *name;
    char target[PATH_MAX], saved[PATH_MAX];
    ms_buf script;  /* what to install */
    ms_buf current; /* what is there (empty when nothing) */
    int exists, ours;
} hook_plan;

static int hooks_run(int argc, char **argv, int install)
{
    const char *repo_path = ".", *remote = "origin";
    int opt, pre_commit = 0, force = 0, remote_given = 0, status = EXIT_OK;
    git_repository *repo = NULL;
    char dir[PATH_MAX], program[PATH_MAX], buf[PATH_MAX];
    hook_plan plans[3];
    size_t n_plans = 0;
    memset(plans, 0, sizeof plans);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, hooks_options, 0)) != -1) {
        switch (opt) {
        case OPT_REPO:
            repo_path = optarg;
            break;
        case OPT_REMOTE:
            remote = optarg;
            remote_given = 1;
            break;
        case OPT_PRE_COMMIT:
            pre_commit = 1;
            break;
        case OPT_FORCE:
            force = 1;
            break;
        default:
            return cli_option_other(opt, argv);
        }
    }
    if (optind != argc)
        return cli_usage_error("unexpected argument '%s'", argv[optind]);
    if (!install && (pre_commit || force || remote_given))
        return cli_usage_error("uninstall takes only --repo");

    git_libgit2_init();
    int rc = git_repository_open_ext(&repo, repo_path, 0, NULL);
    if (rc == GIT_ENOTFOUND) {
        cli_message("%s: not in a git repository", repo_path);
        status = EXIT_USAGE;
        goto out;
    }
    if (rc < 0) {
        status = git_status(repo_path);
        goto out;
    }
    if ((status = hooks_dir(repo, dir, sizeof dir)) != 0)
        goto out;
    const char *sdir = NULL;
    if (install) {
        if (!(sdir = scripts_dir(buf, sizeof buf))) {
            cli_message("cannot find the hook scripts (looked in $MODELSEAL_HOOKS_DIR and "
                        "%s/hooks)",
                        MS_PKGDATADIR);
            status = EXIT_ENVIRONMENT;
            goto out;
        }
        if (program_path(program, sizeof program) != 0) {
            cli_message("cannot find this program's own path");
            status = EXIT_ENVIRONMENT;
            goto out;
        }
    }

    /* Plan every hook first, so that a refusal changes nothing at all. */
    size_t want = install ? (pre_commit ? 3 : 2) : 3;
    for (size_t i = 0; i < want; i++) {
        hook_plan *p = &plans[n_plans++];
        p->name = hook_names[i];
        snprintf(p->target, sizeof p->target, "%s/%s", dir, p->name);
        snprintf(p->saved, sizeof p->saved, "%s/%s%s", dir, p->name, SAVED_SUFFIX);
        struct stat st;
        p->exists = lstat(p->target, &st) == 0;
        if (p->exists && read_text(p->target, &p->current) != 0)
            msx_buf_reset(&p->current); /* unreadable or not a file: treat as foreign */
        p->ours = p->exists && is_ours(&p->current);
        if (!install)
            continue;
        snprintf(buf, sizeof buf, "%s/%s", sdir, p->name);
        if ((status = render_script(buf, program, &p->script)) != 0)
            goto out;
        if (p->exists && !p->ours && is_file(p->saved) && !force) {
            ms_buf saved = MS_BUF_INIT;
            int same = read_text(p->saved, &saved) == 0 && same_text(&saved, &p->current);
            msx_buf_free(&saved);
            if (!same) {
                cli_message("%s: a hook is there and %s already holds a different one: moving "
                            "it would lose that one (use --force to replace it)",
                            p->target, p->saved);
                status = EXIT_USAGE;
                goto out;
            }
        }
    }

    if (install && mkdir_p(dir) != 0) {
        cli_message("%s: cannot create the hooks directory: %s", dir, strerror(errno));
        status = EXIT_ENVIRONMENT;
        goto out;
    }
    for (size_t i = 0; i < n_plans; i++) {
        hook_plan *p = &plans[i];
        ms_error err;
        if (install) {
            if (p->ours && same_text(&p->current, &p->script)) {
                cli_info("%s: already installed\n", p->name);
                continue;
            }
            const char *note = "";
            if (p->exists && !p->ours) {
                if (rename(p->target, p->saved) != 0) {
                    cli_message("%s: cannot move the existing hook to %s: %s", p->target, p->saved,
                                strerror(errno));
                    status = EXIT_ENVIRONMENT;
                    goto out;
                }
                note = " (the hook that was there is kept as NAME" SAVED_SUFFIX " and runs first)";
            }
            if (msx_file_write_atomic(p->target, p->script.data, p->script.len, 0755, 0, &err) !=
                0) {
                status = cli_fail(&err);
                goto out;
            }
            cli_info("%s: %s%s\n", p->name, p->ours ? "updated" : "installed", note);
        } else {
            if (p->exists && !p->ours) {
                cli_info("%s: not a modelseal hook, left alone\n", p->name);
                continue;
            }
            if (is_file(p->saved)) {
                if (rename(p->saved, p->target) != 0) {
                    cli_message("%s: cannot restore %s: %s", p->target, p->saved, strerror(errno));
                    status = EXIT_ENVIRONMENT;
                    goto out;
                }
                cli_info("%s: restored the hook that was there before\n", p->name);
            } else if (p->exists) {
                if (unlink(p->target) != 0) {
                    cli_message("%s: cannot remove: %s", p->target, strerror(errno));
                    status = EXIT_ENVIRONMENT;
                    goto out;
                }
                cli_info("%s: removed\n", p->name);
            }
        }
    }
    status = install ? configure_install(repo, remote, remote_given) : configure_uninstall(repo);
    if (status == 0 && install)
        cli_info("hooks directory: %s\n", cli_quote(dir));
out:
    for (size_t i = 0; i < n_plans; i++) {
        msx_buf_free(&plans[i].script);
        msx_buf_free(&plans[i].current);
    }
    git_repository_free(repo);
    git_libgit2_shutdown();
    if (fflush(stdout) != 0 && status == 0) {
        cli_message("cannot write to standard output");
        status = EXIT_ENVIRONMENT;
    }
    return status;
}

static int hooks_install(int argc, char **argv)
{
    return hooks_run(argc, argv, 1);
}

static int hooks_uninstall(int argc, char **argv)
{
    return hooks_run(argc, argv, 0);
}

int cmd_hooks(int argc, char **argv)
{
    return cli_dispatch(argc, argv, "hooks", &cmd_hooks_help);
}
