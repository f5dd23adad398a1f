/* Whole-file I/O: bounded reads of untrusted files and crash-safe atomic writes. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "modelseal/fs.h"

int ms_file_read(const char *path, size_t max_size, ms_buf *out, ms_error *err)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    int rc = 0;
    struct stat st;
    if (fd < 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s", path, strerror(errno));
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: is a directory", path);
        goto out;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_size) {
        rc = ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %zu bytes", path, max_size);
        goto out;
    }
    size_t start = out->len;
    for (;;) {
        if (ms_buf_reserve(out, 65536)) {
            rc = ms_error_nomem(err);
            goto out;
        }
        ssize_t n = read(fd, out->data + out->len, 65536);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            rc = ms_error_set(err, MS_EINPUT, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        out->len += (size_t)n;
        out->data[out->len] = '\0';
        if (out->len - start > max_size) {
            rc = ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %zu bytes", path,
                              max_size);
            goto out;
        }
    }
out:
    if (fd != STDIN_FILENO)
        close(fd);
    return rc;
}

static int write_all(int fd, const unsigned char *p, size_t len)
{
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

int ms_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive,
                         ms_error *err)
{
    char *tmp = NULL, *dircopy = NULL;
    int fd = -1, rc = 0;
    size_t n = strlen(path) + 32;
    if (exclusive && access(path, F_OK) == 0)
        return ms_error_set(err, MS_EINPUT, "%s: already exists", path);
    tmp = malloc(n);
    dircopy = strdup(path);
    if (!tmp || !dircopy) {
        free(tmp);
        tmp = NULL;
        rc = ms_error_nomem(err);
        goto out;
    }
    snprintf(tmp, n, "%s.tmp.XXXXXX", path);
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot create a temporary file: %s", path,
                          strerror(errno));
        free(tmp);
        tmp = NULL;
        goto out;
    }
    if (fchmod(fd, mode) != 0 || write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = ms_error_set(err, MS_EENV, "%s: cannot write: %s", path, strerror(errno));
        goto out;
    }
    fd = -1;
    if (exclusive) {
        /* link() fails if the target appeared meanwhile: never replace a file we must not. */
        if (link(tmp, path) != 0) {
            rc = ms_error_set(err, errno == EEXIST ? MS_EINPUT : MS_EENV, "%s: %s", path,
                              errno == EEXIST ? "already exists" : strerror(errno));
            goto out;
        }
        unlink(tmp);
    } else if (rename(tmp, path) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: cannot replace: %s", path, strerror(errno));
        goto out;
    }
    free(tmp);
    tmp = NULL;
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
out:
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(dircopy);
    return rc;
}

int ms_file_lock_dir(const char *path, ms_error *err)
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
