/* The training code's git checkout, read with libgit2: HEAD's commit and symbolic ref, a remote's
 * URL as configured, and whether the working tree differs from HEAD. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <git2.h>

#include "modelseal/provenance.h"
#include "util/buf.h"

void ms_git_info_clear(ms_git_info *info)
{
    if (!info)
        return;
    free(info->ref);
    free(info->url);
    free(info->path);
    memset(info, 0, sizeof *info);
}

/* libgit2's last error message, never NULL. */
static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* Copy `s` without trailing slashes (keeping a lone "/"). */
static char *strip_slashes(const char *s)
{
    size_t n = strlen(s);
    while (n > 1 && s[n - 1] == '/')
        n--;
    return strndup(s, n);
}

static int read_remote_url(git_repository *repo, const char *remote, ms_git_info *info,
                           ms_error *err)
{
    git_config *cfg = NULL;
    git_buf value = {0};
    ms_buf key = MS_BUF_INIT;
    int rc = 0;

    if (msx_buf_printf(&key, "remote.%s.url", remote)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (git_repository_config_snapshot(&cfg, repo) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot read the git configuration: %s", info->path,
                          git_message());
        goto out;
    }
    int grc = git_config_get_string_buf(&value, cfg, (const char *)key.data);
    if (grc == 0 && value.ptr && value.ptr[0]) {
        info->url = strdup(value.ptr);
        info->has_remote = 1;
    } else if (grc == 0 || grc == GIT_ENOTFOUND) {
        ms_buf file = MS_BUF_INIT;
        if (msx_buf_printf(&file, "file://%s", info->path) == 0)
            info->url = msx_buf_detach(&file);
        msx_buf_free(&file);
    } else {
        rc = ms_error_set(err, MS_EINPUT, "%s: remote %s: %s", info->path, remote, git_message());
        goto out;
    }
    if (!info->url)
        rc = ms_error_nomem(err);
out:
    git_buf_dispose(&value);
    git_config_free(cfg);
    msx_buf_free(&key);
    return rc;
}

static int read_dirty(git_repository *repo, ms_git_info *info, ms_error *err)
{
    git_status_options opts;
    git_status_list *list = NULL;

    if (git_repository_is_bare(repo)) {
        info->dirty = 0;
        return 0;
    }
    /* Staged or unstaged changes to tracked files, and untracked files that are not ignored
     * (an untracked directory counts when it holds any file that is not ignored). */
    if (git_status_options_init(&opts, GIT_STATUS_OPTIONS_VERSION) != 0)
        return ms_error_set(err, MS_EENV, "cannot initialise git status options");
    opts.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
    opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
    if (git_status_list_new(&list, repo, &opts) != 0)
        return ms_error_set(err, MS_EENV, "%s: cannot read the git status: %s", info->path,
                            git_message());
    size_t n = git_status_list_entrycount(list);
    info->dirty = 0;
    for (size_t i = 0; i < n; i++) {
        const git_status_entry *e = git_status_byindex(list, i);
        if (e && e->status != GIT_STATUS_CURRENT && !(e->status & GIT_STATUS_IGNORED)) {
            info->dirty = 1;
            break;
        }
    }
    git_status_list_free(list);
    return 0;
}

int ms_git_info_load(const char *start, const char *remote, ms_git_info *info, ms_error *err)
{
    git_repository *repo = NULL;
    git_reference *head = NULL;
    git_oid oid;
    int rc = 0;

    memset(info, 0, sizeof *info);
    if (!start)
        start = ".";
    if (!remote)
        remote = "origin";
    if (git_libgit2_init() < 0)
        return ms_error_set(err, MS_EENV, "cannot initialise libgit2: %s", git_message());
    int valid = 0;
    if (git_remote_name_is_valid(&valid, remote) != 0 || !valid) {
        rc = ms_error_set(err, MS_EINPUT, "--git-remote %s: not a valid remote name", remote);
        goto out;
    }
    int grc = git_repository_open_ext(&repo, start, 0, NULL);
    if (grc == GIT_ENOTFOUND) {
        rc = ms_error_set(err, MS_EINPUT, "%s: not in a git repository", start);
        goto out;
    }
    if (grc != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: cannot open the git repository: %s", start,
                          git_message());
        goto out;
    }
    const char *where = git_repository_workdir(repo);
    if (!where)
        where = git_repository_path(repo);
    if (!(info->path = strip_slashes(where))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (git_repository_head_unborn(repo) == 1) {
        rc = ms_error_set(err, MS_EINPUT, "%s: HEAD has no commit yet", info->path);
        goto out;
    }
    if (git_reference_name_to_id(&oid, repo, "HEAD") != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: cannot resolve HEAD: %s", info->path, git_message());
        goto out;
    }
    git_oid_tostr(info->commit, sizeof info->commit, &oid);
    if (strlen(info->commit) != 40) {
        rc = ms_error_set(err, MS_EINPUT, "%s: HEAD is not a SHA-1 commit", info->path);
        goto out;
    }
    if (git_reference_lookup(&head, repo, "HEAD") != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: cannot read HEAD: %s", info->path, git_message());
        goto out;
    }
    if (git_reference_type(head) == GIT_REFERENCE_SYMBOLIC) {
        const char *target = git_reference_symbolic_target(head);
        if (target && strncmp(target, "refs/", 5) == 0 && !(info->ref = strdup(target))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if ((rc = read_remote_url(repo, remote, info, err)) != 0)
        goto out;
    rc = read_dirty(repo, info, err);
out:
    git_reference_free(head);
    git_repository_free(repo);
    git_libgit2_shutdown();
    if (rc != 0)
        ms_git_info_clear(info);
    return rc;
}
