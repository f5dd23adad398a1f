/* msx_walk: enumerate a model's regular files in OMS order, one directory at a time.
 *
 * Directories are opened relative to their parent's descriptor with O_NOFOLLOW, so a directory
 * swapped for a symlink during the walk is refused rather than followed. Entries of each
 * directory are sorted with directories keyed as "name/", which yields full-path byte order
 * without ever holding more than one directory's names per level. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash/walk.h"
#include "util/buf.h"

#define MS_WALK_MAX_DEPTH 256

const char *const msx_walk_git_paths[] = {".git", ".github", ".gitattributes", ".gitignore",
                                          ".cache/huggingface"};
const size_t msx_walk_git_paths_count = sizeof msx_walk_git_paths / sizeof msx_walk_git_paths[0];

typedef struct dir_item {
    char *key; /* the name, plus "/" for a directory */
    size_t name_len;
    int have_stat; /* st is an lstat of the entry; else only st.st_mode is set (from d_type) */
    struct stat st;
} dir_item;

typedef struct walk_state {
    const ms_walk_options *opts;
    const char *root;
    char *root_real; /* realpath of the root, for symlink containment */
    char *hf_repo;   /* a Hugging Face cache snapshot: the real path of its repository, else NULL */
    int hf_blobs_fd; /* and its blobs/ directory (-1 when not a snapshot) */
    ms_walk_fn fn;
    void *ctx;
    ms_error *err;
    uint64_t dir_serial; /* directories visited so far */
    char path[PATH_MAX]; /* current relative path */
} walk_state;

int msx_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    while (i < len) {
        /* ASCII, the common case, eight bytes at a time */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & UINT64_C(0x8080808080808080))
                break;
            i += 8;
        }
        if (i == len)
            break;
        unsigned c = p[i];
        size_t n;
        unsigned min;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1, min = 0x80, c &= 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, min = 0x800, c &= 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3, min = 0x10000, c &= 0x07;
        } else {
            return 0;
        }
        if (len - i <= n)
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            c = (c << 6) | (p[i + k] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

int msx_path_is_safe(const char *path, size_t len)
{
    if (len == 0 || path[0] == '/')
        return 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && (path[i] == '\0' || path[i] == '\\'))
            return 0;
        if (i == len || path[i] == '/') {
            size_t clen = i - start;
            if (clen == 0 || (clen == 1 && path[start] == '.') ||
                (clen == 2 && path[start] == '.' && path[start + 1] == '.'))
                return 0;
            start = i + 1;
        }
    }
    return 1;
}

char *msx_path_normalize_ignore(const char *root, const char *path, ms_error *err)
{
    char *copy = NULL;
    const char *p = path;
    if (path[0] == '/') {
        char *rreal = realpath(root, NULL);
        size_t rl = rreal ? strlen(rreal) : 0;
        if (rreal && strncmp(path, rreal, rl) == 0 && path[rl] == '/') {
            copy = strdup(path + rl + 1);
        } else if (strncmp(path, root, strlen(root)) == 0 && path[strlen(root)] == '/') {
            copy = strdup(path + strlen(root) + 1);
        } else {
            free(rreal);
            ms_error_set(err, MS_EINPUT, "%s: ignore path is outside the model %s", path, root);
            return NULL;
        }
        free(rreal);
    } else {
        while (p[0] == '.' && p[1] == '/')
            p += 2;
        copy = strdup(p);
    }
    if (!copy) {
        ms_error_nomem(err);
        return NULL;
    }
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/')
        copy[--n] = '\0';
    if (!msx_path_is_safe(copy, n)) {
        ms_error_set(err, MS_EINPUT, "%s: ignore path must be a relative path inside the model",
                     path);
        free(copy);
        return NULL;
    }
    return copy;
}

char *msx_path_inside_model(const char *root, const char *path)
{
    char *root_real = realpath(root, NULL);
    char *copy = strdup(path), *copy2 = strdup(path), *dir_real = NULL, *result = NULL;
    struct stat st;
    if (!root_real || !copy || !copy2 || stat(root_real, &st) != 0 || !S_ISDIR(st.st_mode))
        goto out;
    dir_real = realpath(dirname(copy), NULL);
    if (!dir_real)
        goto out;
    const char *base = basename(copy2);
    size_t rl = strlen(root_real);
    if (strcmp(dir_real, root_real) == 0) {
        result = strdup(base);
    } else if (strncmp(dir_real, root_real, rl) == 0 && dir_real[rl] == '/') {
        ms_buf b = MS_BUF_INIT;
        if (msx_buf_printf(&b, "%s/%s", dir_real + rl + 1, base) == 0)
            result = msx_buf_detach(&b);
        msx_buf_free(&b);
    }
out:
    free(root_real);
    free(dir_real);
    free(copy);
    free(copy2);
    return result;
}

static int is_ignored(const walk_state *ws, const char *rel)
{
    const ms_walk_options *o = ws->opts;
    for (size_t i = 0; i < o->n_ignore_paths; i++) {
        if (o->ignore_paths[i][0] == rel[0] && strcmp(o->ignore_paths[i], rel) == 0)
            return 1;
    }
    if (o->ignore_git_paths && rel[0] == '.') {
        for (size_t i = 0; i < msx_walk_git_paths_count; i++) {
            if (strcmp(msx_walk_git_paths[i], rel) == 0)
                return 1;
        }
    }
    return 0;
}

static int compare_items(const void *a, const void *b)
{
    return strcmp(((const dir_item *)a)->key, ((const dir_item *)b)->key);
}

static const char *kind_name(mode_t m)
{
    if (S_ISFIFO(m))
        return "a FIFO";
    if (S_ISSOCK(m))
        return "a socket";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    return "not a regular file";
}

static void fill_entry(ms_file_entry *e, const struct stat *st)
{
    e->size = (uint64_t)st->st_size;
    e->mtime_sec = st->st_mtim.tv_sec;
    e->mtime_nsec = st->st_mtim.tv_nsec;
    e->ctime_sec = st->st_ctim.tv_sec;
    e->ctime_nsec = st->st_ctim.tv_nsec;
    e->dev = (uint64_t)st->st_dev;
    e->ino = (uint64_t)st->st_ino;
    e->nlink = (uint64_t)st->st_nlink;
}

/* The file type a directory entry's d_type names, as st_mode bits (0 when unknown). */
static mode_t dtype_mode(unsigned char type)
{
    switch (type) {
    case DT_REG:
        return S_IFREG;
    case DT_DIR:
        return S_IFDIR;
    case DT_LNK:
        return S_IFLNK;
    case DT_FIFO:
        return S_IFIFO;
    case DT_SOCK:
        return S_IFSOCK;
    case DT_CHR:
        return S_IFCHR;
    case DT_BLK:
        return S_IFBLK;
    default:
        return 0;
    }
}

size_t msx_hf_repo_len(const char *path)
{
    static const char *const kinds[] = {"models--", "datasets--", "spaces--"};
    const char *prev = NULL; /* the component before `c` */
    for (const char *c = path[0] == '/' ? path + 1 : path; *c;) {
        const char *end = strchr(c, '/');
        size_t len = end ? (size_t)(end - c) : strlen(c);
        if (prev && len == 9 && memcmp(c, "snapshots", 9) == 0 && end && end[1]) {
            for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
                size_t kl = strlen(kinds[k]);
                if (strncmp(prev, kinds[k], kl) == 0 && prev[kl] != '/' && prev[kl] != '\0')
                    return (size_t)(c - 1 - path);
            }
        }
        if (!end)
            break;
        prev = c;
        c = end + 1;
    }
    return 0;
}

int msx_hf_blobs_open(const char *root, int *fd, ms_error *err)
{
    int rc = 0, repo_fd = -1;
    char *real = realpath(root, NULL);
    *fd = -1;
    if (!real)
        return ms_error_set(err, MS_EINPUT, "%s: %s", root, strerror(errno));
    size_t len = msx_hf_repo_len(real);
    if (len == 0)
        goto out;
    real[len] = '\0';
    /* Both are real paths: no link may stand in for the repository or its blobs/. */
    repo_fd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (repo_fd >= 0)
        *fd = openat(repo_fd, "blobs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (repo_fd < 0 || *fd < 0) {
        if (errno != ENOENT && errno != ENOTDIR && errno != ELOOP)
            rc = ms_error_set(err, MS_EENV, "%s/blobs: cannot open: %s", real, strerror(errno));
        *fd = -1;
    }
out:
    if (repo_fd >= 0)
        close(repo_fd);
    free(real);
    return rc;
}

/* A link of a Hugging Face cache snapshot: 1 (e filled, e->target the blob's name) when it reads
 * "../"... "blobs/NAME" (or the blob's real path) and leads, with no further link, from its own
 * directory to a regular file NAME in the repository's blobs/; 0 when it is any other link. */
static int hf_link(walk_state *ws, int dirfd, const char *name, ms_file_entry *e)
{
    char link[PATH_MAX];
    struct stat st;
    ssize_t n = readlinkat(dirfd, name, link, sizeof link - 1);
    if (n <= 0)
        return 0;
    link[n] = '\0';
    const char *blob;
    size_t rl = strlen(ws->hf_repo);
    if (link[0] == '/') {
        if (strncmp(link, ws->hf_repo, rl) != 0 || strncmp(link + rl, "/blobs/", 7) != 0)
            return 0;
        blob = link + rl + 7;
    } else {
        /* Up from the link's directory (a real path: the walk follows no directory link). */
        char dir[PATH_MAX];
        const char *p = link;
        const char *slash = strrchr(ws->path, '/');
        if ((size_t)snprintf(dir, sizeof dir, "%s/%.*s", ws->root_real,
                             slash ? (int)(slash - ws->path) : 0, ws->path) >= sizeof dir)
            return 0;
        size_t dl = strlen(dir);
        if (dir[dl - 1] == '/')
            dir[--dl] = '\0';
        while (strncmp(p, "../", 3) == 0) {
            char *up = strrchr(dir, '/');
            if (!up || up == dir)
                return 0;
            *up = '\0';
            p += 3;
        }
        if (strcmp(dir, ws->hf_repo) != 0 || strncmp(p, "blobs/", 6) != 0)
            return 0;
        blob = p + 6;
    }
    if (!blob[0] || strchr(blob, '/') || strcmp(blob, ".") == 0 || strcmp(blob, "..") == 0)
        return 0;
    if (fstatat(ws->hf_blobs_fd, blob, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (!(e->target = strdup(blob)))
        return ms_error_nomem(ws->err);
    fill_entry(e, &st);
    e->hf_blob = 1;
    return 1;
}

/* An allowed symlink: it must resolve to a regular file inside the root. */
static int resolve_symlink(walk_state *ws, const char *rel, ms_file_entry *e, char **target)
{
    ms_buf full = MS_BUF_INIT;
    int rc = 0;
    char *real = NULL;
    struct stat st;
    if (msx_buf_printf(&full, "%s/%s", ws->root, rel)) {
        rc = ms_error_nomem(ws->err);
        goto out;
    }
    real = realpath((char *)full.data, NULL);
    if (!real) {
        rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: cannot resolve symbolic link: %s", ws->root,
                          rel, strerror(errno));
        goto out;
    }
    size_t rl = strlen(ws->root_real);
    if (strncmp(real, ws->root_real, rl) != 0 || real[rl] != '/') {
        rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: symbolic link points outside the model (%s)",
                          ws->root, rel, real);
        goto out;
    }
    if (stat(real, &st) != 0) {
        rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: %s", ws->root, rel, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: symbolic link to a directory is not followed",
                          ws->root, rel);
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: symbolic link target is %s", ws->root, rel,
                          kind_name(st.st_mode));
        goto out;
    }
    fill_entry(e, &st);
    *target = strdup(real + rl + 1);
    if (!*target)
        rc = ms_error_nomem(ws->err);
out:
    free(real);
    msx_buf_free(&full);
    return rc;
}

static int walk_dir(walk_state *ws, int dirfd, size_t path_len, int depth)
{
    DIR *dir = NULL;
    dir_item *items = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    uint64_t serial = ++ws->dir_serial;
    int dup_fd = dup(dirfd);
    if (dup_fd < 0 || !(dir = fdopendir(dup_fd))) {
        if (dup_fd >= 0)
            close(dup_fd);
        return ms_error_set(ws->err, MS_EENV, "%s/%s: cannot read directory: %s", ws->root,
                            ws->path, strerror(errno));
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            if (errno) {
                rc = ms_error_set(ws->err, MS_EENV, "%s/%s: cannot read directory: %s", ws->root,
                                  ws->path, strerror(errno));
                goto out;
            }
            break;
        }
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            dir_item *p = realloc(items, ncap * sizeof *items);
            if (!p) {
                rc = ms_error_nomem(ws->err);
                goto out;
            }
            items = p;
            cap = ncap;
        }
        dir_item *it = &items[n];
        mode_t type = ws->opts->no_stat ? dtype_mode(de->d_type) : 0;
        it->have_stat = type == 0;
        if (type) {
            memset(&it->st, 0, sizeof it->st);
            it->st.st_mode = type;
        } else if (fstatat(dirfd, name, &it->st, AT_SYMLINK_NOFOLLOW) != 0) {
            rc = ms_error_set(ws->err, errno == ENOENT ? MS_EINPUT : MS_EENV, "%s/%s%s%s: %s",
                              ws->root, ws->path, path_len ? "/" : "", name, strerror(errno));
            goto out;
        }
        it->name_len = strlen(name);
        it->key = malloc(it->name_len + 2);
        if (!it->key) {
            rc = ms_error_nomem(ws->err);
            goto out;
        }
        memcpy(it->key, name, it->name_len);
        it->key[it->name_len] = S_ISDIR(it->st.st_mode) ? '/' : '\0';
        it->key[it->name_len + 1] = '\0';
        n++;
    }
    closedir(dir);
    dir = NULL;
    if (n > 1) /* items is NULL for an empty directory; qsort(NULL, 0, ...) is undefined */
        qsort(items, n, sizeof *items, compare_items);

    for (size_t i = 0; i < n && rc == 0; i++) {
        dir_item *it = &items[i];
        size_t sep = path_len ? 1 : 0;
        if (path_len + sep + it->name_len >= sizeof ws->path) {
            ws->path[path_len] = '\0';
            rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: a name inside is longer than PATH_MAX",
                              ws->root, ws->path);
            break;
        }
        if (sep)
            ws->path[path_len] = '/';
        memcpy(ws->path + path_len + sep, it->key, it->name_len);
        size_t child_len = path_len + sep + it->name_len;
        ws->path[child_len] = '\0';
        const char *rel = ws->path;
        if (is_ignored(ws, rel))
            continue;
        if (!msx_utf8_valid(it->key, it->name_len)) {
            rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: file name is not valid UTF-8", ws->root,
                              rel);
            break;
        }
        if (memchr(it->key, '\\', it->name_len)) {
            rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: file name contains a backslash", ws->root,
                              rel);
            break;
        }
        mode_t m = it->st.st_mode;
        if (S_ISDIR(m)) {
            if (depth >= MS_WALK_MAX_DEPTH) {
                rc = ms_error_set(ws->err, MS_EINPUT,
                                  "%s/%s: directories nested deeper than %d levels", ws->root, rel,
                                  MS_WALK_MAX_DEPTH);
                break;
            }
            /* The key ends in '/' (for ordering): open the bare name, since a trailing slash
             * makes the kernel follow a symbolic link despite O_NOFOLLOW. */
            it->key[it->name_len] = '\0';
            int fd = openat(dirfd, it->key, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            it->key[it->name_len] = '/';
            struct stat st;
            if (fd < 0) {
                rc = ms_error_set(ws->err, errno == ELOOP || errno == ENOTDIR ? MS_EINPUT : MS_EENV,
                                  "%s/%s: cannot open directory: %s", ws->root, rel,
                                  errno == ELOOP || errno == ENOTDIR
                                      ? "it was replaced during the walk (no longer a directory)"
                                      : strerror(errno));
                break;
            }
            if (fstat(fd, &st) != 0 ||
                (it->have_stat && (st.st_dev != it->st.st_dev || st.st_ino != it->st.st_ino))) {
                close(fd);
                rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: directory changed during the walk",
                                  ws->root, rel);
                break;
            }
            rc = walk_dir(ws, fd, child_len, depth + 1);
            close(fd);
        } else if (S_ISREG(m) || S_ISLNK(m)) {
            ms_file_entry e;
            memset(&e, 0, sizeof e);
            e.path = ws->path;
            e.dir_fd = dirfd;
            e.name = it->key;
            e.dir_serial = serial;
            if (S_ISLNK(m) && ws->hf_blobs_fd >= 0 && (rc = hf_link(ws, dirfd, it->key, &e)) != 0) {
                if (rc < 0)
                    break;
                rc = 0;
                /* Opened by name in blobs/: the walk's one blobs/ visit. */
                e.dir_fd = ws->hf_blobs_fd;
                e.name = e.target;
                e.dir_serial = UINT64_MAX;
            } else if (S_ISLNK(m)) {
                if (!ws->opts->allow_symlinks) {
                    rc = ms_error_set(
                        ws->err, MS_EINPUT,
                        "%s/%s: is a symbolic link (use --allow-symlinks to follow it)", ws->root,
                        rel);
                    break;
                }
                rc = resolve_symlink(ws, rel, &e, &e.target);
                if (rc)
                    break;
            } else if (it->have_stat) {
                fill_entry(&e, &it->st);
            }
            rc = ws->fn(&e, ws->ctx, ws->err);
            free(e.target);
        } else {
            rc = ms_error_set(ws->err, MS_EINPUT, "%s/%s: is %s, not a regular file", ws->root, rel,
                              kind_name(m));
        }
        ws->path[path_len] = '\0';
    }
out:
    if (dir)
        closedir(dir);
    for (size_t i = 0; i < n; i++)
        free(items[i].key);
    free(items);
    return rc;
}

int msx_walk(const char *root, const ms_walk_options *opts, ms_walk_fn fn, void *ctx, ms_error *err)
{
    walk_state ws;
    struct stat st;
    int rc = 0, fd = -1;
    memset(&ws, 0, sizeof ws);
    ws.opts = opts;
    ws.root = root;
    ws.fn = fn;
    ws.ctx = ctx;
    ws.err = err;
    ws.hf_blobs_fd = -1;
    if (stat(root, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s", root, strerror(errno));
    if (S_ISREG(st.st_mode)) {
        ms_file_entry e;
        memset(&e, 0, sizeof e);
        e.path = ".";
        e.dir_fd = -1;
        fill_entry(&e, &st);
        return fn(&e, ctx, err);
    }
    if (!S_ISDIR(st.st_mode))
        return ms_error_set(err, MS_EINPUT, "%s: is %s, not a model file or directory", root,
                            kind_name(st.st_mode));
    ws.root_real = realpath(root, NULL);
    if (!ws.root_real)
        return ms_error_set(err, MS_EINPUT, "%s: %s", root, strerror(errno));
    fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: cannot open directory: %s", root, strerror(errno));
        goto out;
    }
    if ((rc = msx_hf_blobs_open(ws.root_real, &ws.hf_blobs_fd, err)) != 0)
        goto out;
    if (ws.hf_blobs_fd >= 0 &&
        !(ws.hf_repo = strndup(ws.root_real, msx_hf_repo_len(ws.root_real)))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ws.path[0] = '\0';
    rc = walk_dir(&ws, fd, 0, 0);
out:
    if (fd >= 0)
        close(fd);
    if (ws.hf_blobs_fd >= 0)
        close(ws.hf_blobs_fd);
    free(ws.hf_repo);
    free(ws.root_real);
    return rc;
}

static int collect_one(const ms_file_entry *e, void *ctx, ms_error *err)
{
    ms_file_list *list = ctx;
    if (list->count == list->cap) {
        size_t ncap = list->cap ? list->cap * 2 : 256;
        ms_file_entry *p = realloc(list->entries, ncap * sizeof *p);
        if (!p)
            return ms_error_nomem(err);
        list->entries = p;
        list->cap = ncap;
    }
    ms_file_entry *d = &list->entries[list->count];
    *d = *e;
    d->dir_fd = -1;
    d->name = NULL;
    d->path = strdup(e->path);
    d->target = e->target ? strdup(e->target) : NULL;
    if (!d->path || (e->target && !d->target)) {
        free(d->path);
        free(d->target);
        return ms_error_nomem(err);
    }
    list->count++;
    return 0;
}

int msx_walk_collect(const char *root, const ms_walk_options *opts, ms_file_list *out,
                     ms_error *err)
{
    int rc = msx_walk(root, opts, collect_one, out, err);
    if (rc)
        msx_file_list_free(out);
    return rc;
}

void msx_file_list_free(ms_file_list *list)
{
    if (!list)
        return;
    for (size_t i = 0; i < list->count; i++) {
        free(list->entries[i].path);
        free(list->entries[i].target);
    }
    free(list->entries);
    list->entries = NULL;
    list->count = list->cap = 0;
}

/* One component of an hf:// name: not empty, not "." or "..", no '/' or backslash. */
static int hf_name_ok(const char *s, size_t len)
{
    return len > 0 && memchr(s, '/', len) == NULL && msx_path_is_safe(s, len);
}

int msx_hf_resolve(const char *spec, const char *cache, int dataset, char **path, ms_error *err)
{
    ms_buf dir = MS_BUF_INIT, ref = MS_BUF_INIT;
    char commit[256];
    struct stat st;
    int rc = 0;
    const char *p = spec + 5, *kind = "models";
    *path = NULL;
    if (strncmp(spec, "hf://", 5) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: not an hf:// name", spec);
    if (dataset) {
        if (strncmp(p, "datasets/", 9) != 0)
            return ms_error_set(err, MS_EINPUT, "%s: expected hf://datasets/ORG/NAME[@REV]", spec);
        p += 9;
        kind = "datasets";
    }
    const char *slash = strchr(p, '/'), *at = strchr(p, '@');
    const char *name_end = at ? at : p + strlen(p);
    const char *rev = at ? at + 1 : "main";
    if (!slash || slash > name_end || !hf_name_ok(p, (size_t)(slash - p)) ||
        !hf_name_ok(slash + 1, (size_t)(name_end - slash - 1)) ||
        !msx_path_is_safe(rev, strlen(rev)) || strchr(rev, '@'))
        return ms_error_set(err, MS_EINPUT, "%s: expected hf://%sORG/NAME[@REV]", spec,
                            dataset ? "datasets/" : "");
    if (msx_buf_printf(&dir, "%s/%s--%.*s--%.*s", cache, kind, (int)(slash - p), p,
                       (int)(name_end - slash - 1), slash + 1) ||
        msx_buf_printf(&ref, "%s/refs/%s", (const char *)dir.data, rev)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* A ref names a commit; otherwise REV is the commit itself. */
    snprintf(commit, sizeof commit, "%s", rev);
    FILE *f = fopen((const char *)ref.data, "re");
    if (f) {
        size_t n = fread(commit, 1, sizeof commit - 1, f);
        fclose(f);
        commit[n] = '\0';
        while (n > 0 && (commit[n - 1] == '\n' || commit[n - 1] == '\r' || commit[n - 1] == ' '))
            commit[--n] = '\0';
        if (!hf_name_ok(commit, n)) {
            rc = ms_error_set(err, MS_EINPUT, "%s: not a commit name", (const char *)ref.data);
            goto out;
        }
    }
    if (msx_buf_printf(&dir, "/snapshots/%s", commit)) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (stat((const char *)dir.data, &st) != 0 || !S_ISDIR(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: not in the Hugging Face cache (looked for %s; offline, nothing is "
                          "downloaded)",
                          spec, (const char *)dir.data);
        goto out;
    }
    *path = msx_buf_detach(&dir);
    if (!*path)
        rc = ms_error_nomem(err);
out:
    msx_buf_free(&dir);
    msx_buf_free(&ref);
    return rc;
}
