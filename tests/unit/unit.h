/* Shared helpers for the cmocka unit tests: throwaway directories, files with given content,
 * recursive removal, hex comparison and the location of the test vectors.
 *
 * Everything here is static inline so that each test program can use any subset. Helpers fail
 * the running test (cmocka's fail_msg) instead of returning errors. */
#ifndef MODELSEAL_TESTS_UNIT_H
#define MODELSEAL_TESTS_UNIT_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>

#include <cmocka.h>

/* The unit tests link the convenience library (libmscore.la): util/ and the walk are theirs too. */
#include "hash/walk.h"
#include "modelseal/modelseal.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

/* Join `dir` and `rel` into `out` (PATH_MAX bytes). */
static inline const char *unit_path(char *out, const char *dir, const char *rel)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, rel);
    if (n < 0 || n >= PATH_MAX)
        fail_msg("path too long: %s/%s", dir, rel);
    return out;
}

/* Make a fresh empty directory under $TMPDIR (or /tmp); `out` gets its path (PATH_MAX bytes). */
static inline void unit_tmpdir(char *out)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base)
        base = "/tmp";
    unit_path(out, base, "ms_unit_XXXXXX");
    if (!mkdtemp(out))
        fail_msg("mkdtemp %s: %s", out, strerror(errno));
}

/* mkdir -p of `dir`/`rel` (every component of `rel`; `dir` itself may be missing if its
 * parent exists). */
static inline void unit_mkdirs(const char *dir, const char *rel)
{
    char path[PATH_MAX];
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        fail_msg("mkdir %s: %s", dir, strerror(errno));
    unit_path(path, dir, rel);
    size_t skip = strlen(dir) + 1;
    for (char *p = path + skip;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(path, 0755) != 0 && errno != EEXIST)
                fail_msg("mkdir %s: %s", path, strerror(errno));
            *p = c;
            if (c == '\0')
                break;
        }
    }
}

/* Write `len` bytes to `dir`/`rel`, creating parent directories. */
static inline void unit_write(const char *dir, const char *rel, const void *data, size_t len)
{
    char path[PATH_MAX];
    const char *slash = strrchr(rel, '/');
    if (slash) {
        char parent[PATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", (int)(slash - rel), rel);
        unit_mkdirs(dir, parent);
    }
    unit_path(path, dir, rel);
    FILE *f = fopen(path, "wb");
    if (!f)
        fail_msg("fopen %s: %s", path, strerror(errno));
    if (len && fwrite(data, 1, len, f) != len)
        fail_msg("fwrite %s", path);
    if (fclose(f) != 0)
        fail_msg("fclose %s", path);
}

/* Write a C string (without its NUL) to `dir`/`rel`. */
static inline void unit_write_str(const char *dir, const char *rel, const char *text)
{
    unit_write(dir, rel, text, strlen(text));
}

static inline int unit_rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        return rmdir(path);
    return unlink(path);
}

/* rm -rf `path` (symlinks are removed, never followed). A missing path is fine. */
static inline void unit_rmtree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (nftw(path, unit_rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
        fail_msg("cannot remove %s: %s", path, strerror(errno));
}

/* Assert that the `len` bytes at `bin` are the lowercase hex string `hex`. */
#define unit_assert_hex(bin, len, hex)                                                             \
    do {                                                                                           \
        char unit_hex_buf_[2 * 128 + 1];                                                           \
        assert_true((len) <= 128);                                                                 \
        msx_hex_encode((bin), (len), unit_hex_buf_);                                               \
        assert_string_equal(unit_hex_buf_, (hex));                                                 \
    } while (0)

/* Decode `hex` into `out` (at most `cap` bytes); returns the length. Fails the test if bad. */
static inline size_t unit_unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = 0;
    if (msx_hex_decode(hex, strlen(hex), out, cap, &n) != 0)
        fail_msg("bad hex in test data: %s", hex);
    return n;
}

/* The test vectors directory: $MS_VECTORS or the source tree's copy. */
static inline const char *unit_vectors_dir(void)
{
    const char *v = getenv("MS_VECTORS");
    return v && *v ? v : "/work/main/tests/vectors";
}

/* Assert that `msg` contains `needle` (with both shown on failure). */
#define unit_assert_contains(msg, needle)                                                          \
    do {                                                                                           \
        if (!strstr((msg), (needle)))                                                              \
            fail_msg("message \"%s\" does not contain \"%s\"", (msg), (needle));                   \
    } while (0)

/* The API hands text back malloc'd (released with ms_free); the tests keep it in an ms_buf.
 * unit_take appends `text` to `out` (after emptying it when `replace`) and frees it. */
static inline int unit_take(int rc, char *text, size_t len, ms_buf *out, int replace)
{
    if (rc == 0 && replace)
        msx_buf_reset(out);
    if (rc == 0 && text && msx_buf_append(out, text, len) != 0)
        rc = MS_ENOMEM;
    ms_free(text);
    return rc;
}

static inline int t_sign_statement(const uint8_t *payload, size_t len, const ms_key *key,
                                   const ms_x509_chain *chain, ms_buf *out, ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_sign_statement(payload, len, key, chain, &t, &n, err);
    return unit_take(rc, t, n, out, 0);
}

static inline int t_sign_manifest(const ms_manifest *m, const ms_key *key,
                                  const ms_x509_chain *chain, int allow_empty, ms_buf *out,
                                  ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_sign_manifest(m, key, chain, allow_empty, &t, &n, err);
    return unit_take(rc, t, n, out, 0);
}

static inline int t_blob_sign(const ms_blob_artifact *a, const ms_key *key, ms_buf *out,
                              ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_blob_sign(a, key, &t, &n, err);
    return unit_take(rc, t, n, out, 0);
}

static inline int t_provenance_build(const ms_provenance *p, ms_buf *out, ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_provenance_build(p, &t, &n, err);
    return unit_take(rc, t, n, out, 1);
}

static inline int t_dataset_statement_build(const ms_dataset_info *info, ms_buf *out, ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_dataset_statement_build(info, &t, &n, err);
    return unit_take(rc, t, n, out, 1);
}

static inline int t_sbom_render(ms_sbom_format format, const ms_sbom_evidence *ev,
                                const ms_sbom_options *o, ms_buf *out, ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_sbom_render(format, ev, o, &t, &n, err);
    return unit_take(rc, t, n, out, 1);
}

static inline int t_lineage_record(const ms_lineage_options *opts, const char *rev, int write,
                                   ms_buf *note, int *written, ms_error *err)
{
    char *t = NULL;
    size_t n = 0;
    int rc = ms_lineage_record(opts, rev, write, note ? &t : NULL, note ? &n : NULL, written, err);
    return note ? unit_take(rc, t, n, note, 1) : rc;
}

#endif
