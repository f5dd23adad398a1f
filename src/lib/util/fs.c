/* Whole-file I/O: bounded reads of untrusted files and crash-safe atomic writes. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/fs.h"

const char *msx_file_kind(mode_t mode)
{
    if (S_ISREG(mode))
        return "a regular file";
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISCHR(mode))
        return "a character device";
    if (S_ISBLK(mode))
        return "a block device";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISLNK(mode))
        return "a symbolic link";
    return "not a regular file";
}

int msx_file_open_regular(const char *path, int flags, int *fdp, struct stat *stp, ms_error *err)
{
    struct stat st;
    int rc = 0;
    /* O_NONBLOCK: opening a FIFO (no writer) or a device must not wait; the fstat below then
     * refuses it. O_NOCTTY: a terminal named here must not become our controlling one. */
    int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    if (flags & MS_FILE_NOFOLLOW)
        oflags |= O_NOFOLLOW;
    int fd = open(path, oflags);
    *fdp = -1;
    if (fd < 0) {
        int e = errno;
        /* missing: no such file, or a path through something that is not a directory */
        if ((e == ENOENT || e == ENOTDIR) && (flags & MS_FILE_MISSING_OK))
            return 0;
        /* O_NOFOLLOW on a symbolic link fails with ELOOP: name what the path is. */
        if (e == ELOOP && (flags & MS_FILE_NOFOLLOW) && lstat(path, &st) == 0 &&
            S_ISLNK(st.st_mode))
            return ms_error_set(err, MS_EINPUT, "%s: is a symbolic link, not a regular file", path);
        return ms_error_set(err, e == ENOMEM ? MS_ENOMEM : MS_EINPUT, "%s: %s", path, strerror(e));
    }
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: is %s, not a regular file", path,
                          msx_file_kind(st.st_mode));
        goto out;
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (stp)
        *stp = st;
    *fdp = fd;
    fd = -1;
out:
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Read `fd` to its end, at most `max_size` bytes, appending to `out`. */
static int read_bounded(int fd, const char *path, size_t max_size, ms_buf *out, ms_error *err)
{
    size_t start = out->len;
    for (;;) {
        if (msx_buf_reserve(out, 65536))
            return ms_error_nomem(err);
        ssize_t n = read(fd, out->data + out->len, 65536);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return ms_error_set(err, MS_EINPUT, "%s: %s", path, strerror(errno));
        }
        if (n == 0)
            return 0;
        out->len += (size_t)n;
        out->data[out->len] = '\0';
        if (out->len - start > max_size)
            return ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %zu bytes", path,
                                max_size);
    }
}

int msx_file_read_regular(const char *path, size_t max_size, int flags, ms_buf *out, ms_error *err)
{
    struct stat st;
    int fd = -1;
    int rc = msx_file_open_regular(path, flags, &fd, &st, err);
    if (rc != 0)
        return rc;
    if (fd < 0)
        return 1; /* missing, and MS_FILE_MISSING_OK */
    if ((uint64_t)st.st_size > max_size)
        rc = ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %zu bytes", path, max_size);
    else
        rc = read_bounded(fd, path, max_size, out, err);
    close(fd);
    return rc;
}

int msx_file_read(const char *path, size_t max_size, ms_buf *out, ms_error *err)
{
    if (strcmp(path, "-") != 0)
        return msx_file_read_regular(path, max_size, 0, out, err);
    /* Standard input was named on purpose: a pipe is what it usually is. */
    return read_bounded(STDIN_FILENO, "-", max_size, out, err);
}

int msx_write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* "<path>.tmp.XXXXXX" with six random characters from the mkstemp alphabet, which
 * msx_file_remove_stale_temps recognises. */
static int temp_name(const char *path, char *out, size_t size)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char r[6];
    if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r)
        return -1;
    char suffix[7];
    for (size_t i = 0; i < 6; i++)
        suffix[i] = alphabet[r[i] % (sizeof alphabet - 1)];
    suffix[6] = '\0';
    int n = snprintf(out, size, "%s%s%s", path, MS_FILE_TEMP_INFIX, suffix);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

int msx_file_temp_open(ms_file_temp *t, const char *path, mode_t mode, ms_error *err)
{
    char *dircopy = NULL;
    int rc = 0;
    memset(t, 0, sizeof *t);
    t->fd = -1;
    size_t n = strlen(path) + sizeof MS_FILE_TEMP_INFIX + 8;
    if (!(t->target = strdup(path)) || !(dircopy = strdup(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    t->mode = mode;
#ifdef O_TMPFILE
    /* An unnamed file: whatever kills us before the commit leaves nothing behind. Naming it
     * later goes through /proc/self/fd (or AT_EMPTY_PATH, which needs privilege). */
    if (access("/proc/self/fd", X_OK) == 0 || geteuid() == 0) {
        t->fd = open(dirname(dircopy), O_TMPFILE | O_RDWR | O_CLOEXEC, mode);
        if (t->fd >= 0)
            goto out;
        if (errno == ENOENT || errno == ENOTDIR) {
            rc = ms_error_set(err, MS_EINPUT, "%s: cannot create: %s", path, strerror(errno));
            goto out;
        }
    }
#endif
    /* File systems without O_TMPFILE: a named temporary file, removed on every failure. */
    if (!(t->temp_path = malloc(n))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    snprintf(t->temp_path, n, "%s%sXXXXXX", path, MS_FILE_TEMP_INFIX);
    t->fd = mkostemp(t->temp_path, O_CLOEXEC);
    if (t->fd < 0) {
        rc = ms_error_set(err, errno == ENOENT || errno == ENOTDIR ? MS_EINPUT : MS_EENV,
                          "%s: cannot create a temporary file: %s", path, strerror(errno));
        free(t->temp_path);
        t->temp_path = NULL;
        goto out;
    }
out:
    free(dircopy);
    if (rc != 0)
        msx_file_temp_discard(t);
    return rc;
}

/* Give the unnamed file t->fd the name `name` (fails with EEXIST if it exists). */
static int link_unnamed(int fd, const char *name)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    if (linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0)
        return 0;
    if (errno != ENOENT)
        return -1;
    /* No /proc: AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, which root normally has. */
    return linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH);
}

int msx_file_temp_commit(ms_file_temp *t, int exclusive, ms_error *err)
{
    char *dircopy = NULL, *name = NULL;
    int rc = 0;
    if (fchmod(t->fd, t->mode) != 0 || fsync(t->fd) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", t->target, strerror(errno));
        goto out;
    }
    if (!t->temp_path) {
        if (exclusive) {
            if (link_unnamed(t->fd, t->target) != 0) {
                rc = ms_error_set(err, errno == EEXIST ? MS_EINPUT : MS_EENV, "%s: %s", t->target,
                                  errno == EEXIST ? "already exists" : strerror(errno));
                goto out;
            }
            goto synced;
        }
        /* A name exists only between this link and the rename below: microseconds. */
        size_t n = strlen(t->target) + sizeof MS_FILE_TEMP_INFIX + 8;
        if (!(name = malloc(n))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        int tries = 0;
        for (;;) {
            if (temp_name(t->target, name, n) != 0) {
                rc = ms_error_set(err, MS_EENV, "%s: cannot name a temporary file", t->target);
                goto out;
            }
            if (link_unnamed(t->fd, name) == 0)
                break;
            if (errno != EEXIST || ++tries == 100) {
                rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", t->target, strerror(errno));
                goto out;
            }
        }
        t->temp_path = name;
        name = NULL;
    }
    if (close(t->fd) != 0) {
        t->fd = -1;
        rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", t->target, strerror(errno));
        goto out;
    }
    t->fd = -1;
    if (exclusive) {
        /* link() fails if the target appeared meanwhile: never replace a file we must not. */
        if (link(t->temp_path, t->target) != 0) {
            rc = ms_error_set(err, errno == EEXIST ? MS_EINPUT : MS_EENV, "%s: %s", t->target,
                              errno == EEXIST ? "already exists" : strerror(errno));
            goto out;
        }
        unlink(t->temp_path);
    } else if (rename(t->temp_path, t->target) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot replace: %s", t->target, strerror(errno));
        goto out;
    }
    free(t->temp_path);
    t->temp_path = NULL;
synced:
    if ((dircopy = strdup(t->target)) != NULL) {
        int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
out:
    free(name);
    free(dircopy);
    msx_file_temp_discard(t);
    return rc;
}

void msx_file_temp_discard(ms_file_temp *t)
{
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
    if (t->temp_path)
        unlink(t->temp_path);
    free(t->temp_path);
    t->temp_path = NULL;
    free(t->target);
    t->target = NULL;
}

int msx_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode,
                          int exclusive, ms_error *err)
{
    ms_file_temp t;
    int rc = 0;
    if (exclusive && access(path, F_OK) == 0)
        return ms_error_set(err, MS_EINPUT, "%s: already exists", path);
    if ((rc = msx_file_temp_open(&t, path, mode, err)) != 0)
        return rc;
    if (msx_write_all(t.fd, data, len) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", path, strerror(errno));
        msx_file_temp_discard(&t);
        return rc;
    }
    return msx_file_temp_commit(&t, exclusive, err);
}

/* Is `name` "<base>.tmp." followed by six characters of the mkstemp alphabet? */
static int is_stale_temp(const char *name, const char *base)
{
    size_t b = strlen(base), infix = strlen(MS_FILE_TEMP_INFIX);
    if (strncmp(name, base, b) != 0 || strncmp(name + b, MS_FILE_TEMP_INFIX, infix) != 0)
        return 0;
    const char *s = name + b + infix;
    for (size_t i = 0; i < 6; i++) {
        char c = s[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return 0;
    }
    return s[6] == '\0';
}

int msx_file_remove_stale_temps(const char *path, size_t *removed, ms_error *err)
{
    char *dircopy = strdup(path), *basecopy = strdup(path);
    DIR *d = NULL;
    int rc = 0;
    size_t n = 0;
    if (!dircopy || !basecopy) {
        rc = ms_error_nomem(err);
        goto out;
    }
    const char *dir = dirname(dircopy), *base = basename(basecopy);
    if (!(d = opendir(dir))) {
        if (errno != ENOENT)
            rc = ms_error_set(err, MS_EENV, "%s: cannot list: %s", dir, strerror(errno));
        goto out;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        struct stat st;
        if (!is_stale_temp(e->d_name, base))
            continue;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0) {
            rc = ms_error_set(err, MS_EENV, "%s/%s: cannot remove a stale temporary file: %s", dir,
                              e->d_name, strerror(errno));
            goto out;
        }
        n++;
    }
out:
    if (d)
        closedir(d);
    if (removed)
        *removed = n;
    free(dircopy);
    free(basecopy);
    return rc;
}

int msx_path_fits_limits(const char *path, size_t len)
{
    size_t component = 0;
    if (len >= PATH_MAX)
        return 0;
    for (size_t i = 0; i < len; i++) {
        component = path[i] == '/' ? 0 : component + 1;
        if (component > NAME_MAX)
            return 0;
    }
    return 1;
}

int msx_file_lock_dir(const char *path, ms_error *err)
{
    char *copy = strdup(path);
    if (!copy) {
        ms_error_nomem(err);
        return -1;
    }
    const char *dir = dirname(copy);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        ms_error_set(err, errno == ENOENT || errno == ENOTDIR ? MS_EINPUT : MS_EENV,
                     "%s: cannot open the directory to lock it: %s", dir, strerror(errno));
        free(copy);
        return -1;
    }
    while (flock(fd, LOCK_EX) != 0) {
        if (errno == EINTR)
            continue;
        ms_error_set(err, MS_EENV, "%s: cannot lock: %s", dir, strerror(errno));
        close(fd);
        free(copy);
        return -1;
    }
    free(copy);
    return fd;
}
