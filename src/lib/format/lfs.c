/* git LFS pointer files: recognising one (ms_lfs_pointer_parse_ext, manifest.h) and finding the
 * pointers among a model's files (lfs_internal.h): from the bytes the hashing engine reads, or
 * by a scan before hashing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hash/walk.h"
#include "lfs_internal.h"
#include "modelseal/manifest.h"
#include "util/encoding.h"

/* ---- git LFS pointers ---------------------------------------------------------------------- */

#define LFS_VERSION "version https://git-lfs.github.com/spec/v1\n"

/* The line at *p (up to '\n', which must be there): its length without the newline, or -1. */
static long lfs_line(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? (long)(nl - p) : -1;
}

static int lfs_hex64(const char *p, uint8_t out[32])
{
    for (int i = 0; i < 64; i++)
        if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
            return 0;
    size_t n;
    return msx_hex_decode(p, 64, out, 32, &n) == 0 && n == 32;
}

int ms_lfs_pointer_parse_ext(const uint8_t *data, size_t len, uint8_t oid[32], uint64_t *size)
{
    const char *p = (const char *)data, *end = p + len;
    size_t vl = sizeof LFS_VERSION - 1;
    long l;
    uint8_t ext[32];
    if (len > MS_LFS_POINTER_MAX || len < vl || memcmp(p, LFS_VERSION, vl) != 0)
        return 0;
    p += vl;
    /* Extensions: "ext-<digit>-<name> sha256:<hex>", in order of their digit. */
    int last = -1;
    while (end - p > 4 && memcmp(p, "ext-", 4) == 0) {
        if ((l = lfs_line(p, end)) < 0 || l < 6 + 1 + 7 + 64 || p[4] < '0' || p[4] > '9' ||
            p[4] - '0' <= last || p[5] != '-')
            return 0;
        last = p[4] - '0';
        const char *sp = memchr(p + 6, ' ', (size_t)l - 6);
        if (!sp || sp == p + 6 || sp + 1 + 7 + 64 != p + l || memcmp(sp + 1, "sha256:", 7) != 0 ||
            !lfs_hex64(sp + 8, ext))
            return 0;
        for (const char *c = p + 6; c < sp; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                  (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' || *c == '.'))
                return 0;
        p += l + 1;
    }
    if ((l = lfs_line(p, end)) != 4 + 7 + 64 || memcmp(p, "oid sha256:", 11) != 0 ||
        !lfs_hex64(p + 11, oid))
        return 0;
    p += l + 1;
    if ((l = lfs_line(p, end)) < 6 || l > 5 + 20 || memcmp(p, "size ", 5) != 0 ||
        (p[5] == '0' && l > 6))
        return 0;
    uint64_t v = 0;
    for (const char *c = p + 5; c < p + l; c++) {
        if (*c < '0' || *c > '9' || v > (UINT64_MAX - (uint64_t)(*c - '0')) / 10)
            return 0;
        v = v * 10 + (uint64_t)(*c - '0');
    }
    p += l + 1;
    if (p != end)
        return 0;
    *size = v;
    return 1;
}

/* The smallest pointer: the version line, an oid line and "size 0". */
#define LFS_POINTER_MIN (sizeof LFS_VERSION - 1 + 4 + 7 + 64 + 1 + 7)

void manifest_lfs_check(void *ctx, size_t item, const uint8_t *data, size_t len)
{
    manifest_lfs *l = ctx;
    size_t file = l->items[item].file;
    uint64_t size;
    if (ms_lfs_pointer_parse_ext(data, len, l->oids[file], &size))
        l->is_ptr[file] = 1;
}

int manifest_lfs_refuse(const char *root, const ms_file_list *files, const char *is_ptr,
                        ms_error *err)
{
    for (size_t i = 0; i < files->count; i++) {
        if (!is_ptr[i])
            continue;
        const char *p = files->entries[i].path;
        int dot = strcmp(p, ".") == 0;
        return ms_error_set(err, MS_EINPUT,
                            "%s%s%s: a git LFS pointer, not the file's content (run 'git lfs "
                            "pull', or sign from pointers with --from-lfs-pointers)",
                            root, dot ? "" : "/", dot ? "" : p);
    }
    return 0;
}

/* Which of the walked files (those marked in `only`, when it is not NULL) are LFS pointers,
 * marked in is_ptr with their oids. Each candidate (a small file) is opened without following
 * links and must be the file the walk listed. */
int manifest_lfs_scan(const char *root, const ms_file_list *files, const char *only, char *is_ptr,
                      uint8_t (*oids)[32], ms_error *err)
{
    int rc = 0;
    for (size_t i = 0; i < files->count && rc == 0; i++) {
        if (only && !only[i])
            continue;
        const ms_file_entry *e = &files->entries[i];
        uint8_t buf[MS_LFS_POINTER_MAX + 1];
        char where[PATH_MAX + 2];
        struct stat st;
        uint64_t size;
        if (e->size < LFS_POINTER_MIN || e->size > MS_LFS_POINTER_MAX || e->hf_blob)
            continue;
        if (strcmp(e->path, ".") == 0)
            snprintf(where, sizeof where, "%s", root);
        else
            snprintf(where, sizeof where, "%s/%s", root, e->target ? e->target : e->path);
        int fd = open(where, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) {
            rc = ms_error_set(err, errno == ENOENT || errno == ELOOP ? MS_EINPUT : MS_EENV,
                              "%s: cannot open: %s", where, strerror(errno));
            break;
        }
        ssize_t n = -1;
        if (fstat(fd, &st) == 0 && (uint64_t)st.st_dev == e->dev && (uint64_t)st.st_ino == e->ino &&
            (uint64_t)st.st_size == e->size)
            n = pread(fd, buf, sizeof buf, 0);
        close(fd);
        if (n < 0 || (uint64_t)n != e->size) {
            rc = ms_error_set(err, MS_EINPUT, "%s: changed since it was listed", where);
            break;
        }
        if (ms_lfs_pointer_parse_ext(buf, (size_t)n, oids[i], &size))
            is_ptr[i] = 1;
    }
    return rc;
}
