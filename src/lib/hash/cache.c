/* The signer's digest cache (modelseal/cache.h): where it lives, the checks before it is
 * believed, its text format (modelseal-cache(5)) read as hostile input, and the record of one
 * run (cache_run.h).
 *
 * Not a trust anchor: it only saves reading files. Everything read from it is bounded and
 * checked; a cache that fails any check is dropped whole and rebuilt by hashing. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache_run.h"
#include "hash_internal.h"
#include "modelseal/cache.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

#define CACHE_MAGIC "modelseal-cache 1"
#define CACHE_MAX_PATH 4096
/* The file system's timestamp granularity, as the cache assumes it: timestamps with nanoseconds
 * move with the kernel's coarse clock (a tick, at most 10 ms), which 100 ms covers; timestamps
 * that are whole seconds may come from a file system that keeps seconds or two (FAT), so 2 s. */
#define CACHE_FINE_GRANULARITY_NS INT64_C(100000000)
#define CACHE_COARSE_GRANULARITY_NS INT64_C(2000000000)

typedef struct cache_entry {
    char *path;
    uint64_t dev, ino, size;
    int64_t mtime_sec, ctime_sec;
    long mtime_nsec, ctime_nsec;
    size_t n_digests;
    uint8_t *digests;
    int seen; /* met by this run's walk */
} cache_entry;

typedef struct strlist {
    char **v;
    size_t n, cap;
} strlist;

struct ms_digest_cache {
    char *path;       /* the cache file */
    char *model_real; /* the model's real path */
    uint64_t model_dev;
    int may_save; /* the directory is the user's own */
    /* what was loaded */
    ms_hash_algorithm alg;
    int sharded;
    uint64_t shard_size;
    int64_t stamp_sec;
    long stamp_nsec;
    cache_entry *old; /* sorted by path (strcmp) */
    size_t n_old;
    int distrust; /* reuse nothing this run */
    /* this run */
    int ran;   /* a run began */
    int ended; /* and went to its end: what it recorded may be saved */
    ms_hash_algorithm run_alg;
    int run_sharded;
    uint64_t run_shard_size;
    int64_t run_stamp_sec;
    long run_stamp_nsec;
    int settings_match;
    cache_entry *cur;
    size_t n_cur, cap_cur;
    int too_many; /* more files than MS_CACHE_MAX_FILES: not saved */
    strlist reused, rehashed, added, removed;
    const char **reasons;
    size_t cap_reasons;
    ms_cache_report report;
};

static void entry_clear(cache_entry *e)
{
    free(e->path);
    free(e->digests);
    memset(e, 0, sizeof *e);
}

static void entries_free(cache_entry *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        entry_clear(&v[i]);
    free(v);
}

static void strlist_free(strlist *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int strlist_push(strlist *l, const char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return MS_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return MS_ENOMEM;
    l->n++;
    return 0;
}

static void report_sync(ms_digest_cache *c)
{
    c->report.reused = c->reused.v;
    c->report.n_reused = c->reused.n;
    c->report.rehashed = c->rehashed.v;
    c->report.rehash_reasons = c->reasons;
    c->report.n_rehashed = c->rehashed.n;
    c->report.added = c->added.v;
    c->report.n_added = c->added.n;
    c->report.removed = c->removed.v;
    c->report.n_removed = c->removed.n;
}

static void run_clear(ms_digest_cache *c)
{
    entries_free(c->cur, c->n_cur);
    c->cur = NULL;
    c->n_cur = c->cap_cur = 0;
    strlist_free(&c->reused);
    strlist_free(&c->rehashed);
    strlist_free(&c->added);
    strlist_free(&c->removed);
    free(c->reasons);
    c->reasons = NULL;
    c->cap_reasons = 0;
    for (size_t i = 0; i < c->n_old; i++)
        c->old[i].seen = 0;
    c->ran = 0;
    c->ended = 0;
    c->too_many = 0;
    report_sync(c);
}

void ms_digest_cache_free(ms_digest_cache *c)
{
    if (!c)
        return;
    run_clear(c);
    entries_free(c->old, c->n_old);
    free(c->path);
    free(c->model_real);
    free(c->report.refused);
    free(c);
}

const char *ms_digest_cache_path(const ms_digest_cache *c)
{
    return c->path;
}

const ms_cache_report *ms_digest_cache_report(const ms_digest_cache *c)
{
    return &c->report;
}

static int set_refused(ms_digest_cache *c, ms_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int set_refused(ms_digest_cache *c, ms_error *err, const char *fmt, ...)
{
    ms_buf b = MS_BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    int rc = msx_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    if (rc) {
        msx_buf_free(&b);
        return ms_error_nomem(err);
    }
    free(c->report.refused);
    c->report.refused = msx_buf_detach(&b);
    return 0;
}

int ms_digest_cache_distrust(ms_digest_cache *c, const char *why, ms_error *err)
{
    c->distrust = 1;
    return set_refused(c, err, "%s", why);
}

/* ---- the text format ---------------------------------------------------------------------- */

/* A line of the text: [p, p + len), without its '\n'. */
typedef struct cursor {
    const char *p, *end;
    size_t line;
} cursor;

static int next_line(cursor *cur, const char **line, size_t *len)
{
    if (cur->p >= cur->end)
        return 0;
    const char *nl = memchr(cur->p, '\n', (size_t)(cur->end - cur->p));
    if (!nl)
        return -1; /* the last line has no newline */
    *line = cur->p;
    *len = (size_t)(nl - cur->p);
    cur->p = nl + 1;
    cur->line++;
    return 1;
}

/* Split a line into at most `max` fields at single spaces; an empty field (two spaces, a
 * leading or trailing one) is malformed. Returns the count, or -1. */
static long split(const char *line, size_t len, const char **f, size_t *fl, size_t max)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && line[i] != ' ')
            continue;
        if (i == start || n == max)
            return -1;
        f[n] = line + start;
        fl[n] = i - start;
        n++;
        start = i + 1;
    }
    return (long)n;
}

/* A decimal without sign or leading zeros, at most `max`. */
static int parse_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        if (__builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            return -1;
    }
    if (v > max)
        return -1;
    *out = v;
    return 0;
}

/* Seconds: a decimal with an optional '-' (before 1970), within int64. */
static int parse_sec(const char *s, size_t len, int64_t *out)
{
    uint64_t v;
    int neg = len > 0 && s[0] == '-';
    if (parse_u64(s + neg, len - (size_t)neg, (uint64_t)INT64_MAX, &v) != 0 || (neg && v == 0))
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static int parse_nsec(const char *s, size_t len, long *out)
{
    uint64_t v;
    if (parse_u64(s, len, 999999999, &v) != 0)
        return -1;
    *out = (long)v;
    return 0;
}

/* Lowercase hex only (the cache is written by us, read strictly). */
static int parse_hex(const char *s, size_t len, uint8_t *out, size_t want)
{
    if (len != 2 * want)
        return -1;
    for (size_t i = 0; i < want; i++) {
        int hi = msx_hex_digit((unsigned char)s[2 * i]),
            lo = msx_hex_digit((unsigned char)s[2 * i + 1]);
        if (hi < 0 || lo < 0 || (s[2 * i] >= 'A' && s[2 * i] <= 'F') ||
            (s[2 * i + 1] >= 'A' && s[2 * i + 1] <= 'F'))
            return -1;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

/* A path in hex: the model's real path (absolute) or a resource path ("." or a safe relative
 * path, UTF-8), malloc'd into *out. 0, -1 when malformed, MS_ENOMEM. */
static int parse_path(const char *s, size_t len, int model_path, char **out)
{
    size_t n = len / 2;
    *out = NULL;
    if (len % 2 || n == 0 || n > CACHE_MAX_PATH)
        return -1;
    char *p = malloc(n + 1);
    if (!p)
        return MS_ENOMEM;
    if (parse_hex(s, len, (uint8_t *)p, n) != 0 || memchr(p, '\0', n)) {
        free(p);
        return -1;
    }
    p[n] = '\0';
    int ok = model_path ? p[0] == '/'
                        : (strcmp(p, ".") == 0 || (msx_path_is_safe(p, n) && msx_utf8_valid(p, n)));
    if (!ok) {
        free(p);
        return -1;
    }
    *out = p;
    return 0;
}

static int field_is(const char *f, size_t fl, const char *word)
{
    return fl == strlen(word) && memcmp(f, word, fl) == 0;
}

static uint64_t digests_for(int sharded, uint64_t shard_size, uint64_t size)
{
    if (!sharded)
        return 1;
    return size / shard_size + (size % shard_size != 0);
}

#define MALFORMED(...)                                                                             \
    do {                                                                                           \
        rc = ms_error_set(err, MS_EINPUT, __VA_ARGS__);                                            \
        goto out;                                                                                  \
    } while (0)

int ms_digest_cache_parse(const char *text, size_t len, const char *name, const char *model_real,
                          uint64_t model_dev, ms_digest_cache **out, ms_error *err)
{
    cursor cur = {text, text + len, 0};
    const char *line, **f = NULL;
    size_t ll, *fl = NULL;
    long nf;
    uint64_t v, n_files = 0;
    ms_digest_cache *c = NULL;
    int rc = 0;
    *out = NULL;

    if (len > MS_CACHE_MAX_SIZE)
        return ms_error_set(err, MS_EINPUT, "%s: over %zu bytes", name, MS_CACHE_MAX_SIZE);
    if (!(c = calloc(1, sizeof *c)) || !(c->model_real = strdup(model_real)) ||
        !(f = calloc(8 + MS_CACHE_MAX_DIGESTS, sizeof *f)) ||
        !(fl = calloc(8 + MS_CACHE_MAX_DIGESTS, sizeof *fl)))
        goto nomem;
    c->model_dev = model_dev;
    /* header */
    if (next_line(&cur, &line, &ll) != 1 || !field_is(line, ll, CACHE_MAGIC))
        MALFORMED("%s: line 1: not a modelseal cache (want \"%s\")", name, CACHE_MAGIC);
    if (next_line(&cur, &line, &ll) != 1 || split(line, ll, f, fl, 3) != 3 ||
        !field_is(f[0], fl[0], "model"))
        MALFORMED("%s: line 2: want \"model DEVICE PATH\"", name);
    if (parse_u64(f[1], fl[1], UINT64_MAX, &v) != 0)
        MALFORMED("%s: line 2: bad device", name);
    {
        char *p = NULL;
        int pr = parse_path(f[2], fl[2], 1, &p);
        if (pr == MS_ENOMEM)
            goto nomem;
        if (pr != 0)
            MALFORMED("%s: line 2: bad model path", name);
        int same = v == model_dev && strcmp(p, model_real) == 0;
        free(p);
        if (!same)
            MALFORMED("%s: line 2: the cache of another model", name);
    }
    if (next_line(&cur, &line, &ll) != 1 || split(line, ll, f, fl, 4) != 4 ||
        !field_is(f[0], fl[0], "settings"))
        MALFORMED("%s: line 3: want \"settings ALGORITHM METHOD SHARD_SIZE\"", name);
    {
        char alg[32];
        if (fl[1] >= sizeof alg)
            MALFORMED("%s: line 3: unknown algorithm", name);
        memcpy(alg, f[1], fl[1]);
        alg[fl[1]] = '\0';
        if (ms_hash_parse(alg, &c->alg) != 0)
            MALFORMED("%s: line 3: unknown algorithm", name);
    }
    if (field_is(f[2], fl[2], "files"))
        c->sharded = 0;
    else if (field_is(f[2], fl[2], "shards"))
        c->sharded = 1;
    else
        MALFORMED("%s: line 3: method is neither files nor shards", name);
    if (parse_u64(f[3], fl[3], UINT64_MAX, &c->shard_size) != 0 ||
        (c->sharded ? c->shard_size == 0 : c->shard_size != 0))
        MALFORMED("%s: line 3: bad shard size (0 for files, above 0 for shards)", name);
    if (next_line(&cur, &line, &ll) != 1 || split(line, ll, f, fl, 3) != 3 ||
        !field_is(f[0], fl[0], "stamp") || parse_sec(f[1], fl[1], &c->stamp_sec) != 0 ||
        parse_nsec(f[2], fl[2], &c->stamp_nsec) != 0)
        MALFORMED("%s: line 4: want \"stamp SECONDS NANOSECONDS\"", name);
    if (next_line(&cur, &line, &ll) != 1 || split(line, ll, f, fl, 2) != 2 ||
        !field_is(f[0], fl[0], "files") ||
        parse_u64(f[1], fl[1], MS_CACHE_MAX_FILES, &n_files) != 0)
        MALFORMED("%s: line 5: want \"files COUNT\" (at most %u)", name, MS_CACHE_MAX_FILES);
    /* Each file line has at least 8 fields of one character and a newline: a count the text
     * cannot hold is refused before it is allocated. */
    if (n_files > len / 16)
        MALFORMED("%s: line 5: %" PRIu64 " files cannot fit in %zu bytes", name, n_files, len);
    if (n_files && !(c->old = calloc((size_t)n_files, sizeof *c->old)))
        goto nomem;
    size_t dlen = ms_hash_size(c->alg);
    for (uint64_t i = 0; i < n_files; i++) {
        cache_entry *e = &c->old[i];
        c->n_old = (size_t)i + 1; /* counted from the start: freed whole if it fails halfway */
        int r = next_line(&cur, &line, &ll);
        if (r != 1)
            MALFORMED("%s: line %zu: %" PRIu64 " files announced, %" PRIu64 " found", name,
                      cur.line + 1, n_files, i);
        nf = split(line, ll, f, fl, 8 + MS_CACHE_MAX_DIGESTS);
        if (nf < 9)
            MALFORMED("%s: line %zu: want \"DEVICE INODE SIZE MTIME MTIME_NS CTIME CTIME_NS PATH "
                      "DIGEST...\"",
                      name, cur.line);
        if (parse_u64(f[0], fl[0], UINT64_MAX, &e->dev) ||
            parse_u64(f[1], fl[1], UINT64_MAX, &e->ino) ||
            parse_u64(f[2], fl[2], (uint64_t)INT64_MAX, &e->size) ||
            parse_sec(f[3], fl[3], &e->mtime_sec) || parse_nsec(f[4], fl[4], &e->mtime_nsec) ||
            parse_sec(f[5], fl[5], &e->ctime_sec) || parse_nsec(f[6], fl[6], &e->ctime_nsec))
            MALFORMED("%s: line %zu: bad number", name, cur.line);
        int pr = parse_path(f[7], fl[7], 0, &e->path);
        if (pr == MS_ENOMEM)
            goto nomem;
        if (pr != 0)
            MALFORMED("%s: line %zu: bad path", name, cur.line);
        if (i > 0 && strcmp(c->old[i - 1].path, e->path) >= 0)
            MALFORMED("%s: line %zu: paths out of order or repeated", name, cur.line);
        uint64_t want = digests_for(c->sharded, c->shard_size, e->size);
        if (want != (uint64_t)(nf - 8))
            MALFORMED("%s: line %zu: %ld digests for %" PRIu64 " bytes (want %" PRIu64 ")", name,
                      cur.line, nf - 8, e->size, want);
        e->n_digests = (size_t)want;
        if (want && !(e->digests = malloc(e->n_digests * dlen)))
            goto nomem;
        for (size_t k = 0; k < e->n_digests; k++) {
            if (parse_hex(f[8 + k], fl[8 + k], e->digests + k * dlen, dlen) != 0)
                MALFORMED("%s: line %zu: digest %zu is not %zu lowercase hex digits", name,
                          cur.line, k + 1, 2 * dlen);
        }
    }
    if (next_line(&cur, &line, &ll) != 1 || !field_is(line, ll, "end"))
        MALFORMED("%s: line %zu: want \"end\"", name, cur.line + 1);
    if (cur.p != cur.end)
        MALFORMED("%s: line %zu: text after \"end\"", name, cur.line + 1);
    *out = c;
    c = NULL;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    free(f);
    free(fl);
    ms_digest_cache_free(c);
    return rc;
}

static int write_entry(ms_buf *b, const cache_entry *e, size_t dlen)
{
    char hex[2 * MS_HASH_MAX_SIZE + 1];
    size_t plen = strlen(e->path);
    if (msx_buf_printf(b, "%" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %ld %" PRId64 " %ld ",
                       e->dev, e->ino, e->size, e->mtime_sec, e->mtime_nsec, e->ctime_sec,
                       e->ctime_nsec) ||
        msx_buf_reserve(b, 2 * plen + 1))
        return MS_ENOMEM;
    msx_hex_encode((const uint8_t *)e->path, plen, (char *)b->data + b->len);
    b->len += 2 * plen;
    for (size_t k = 0; k < e->n_digests; k++) {
        msx_hex_encode(e->digests + k * dlen, dlen, hex);
        if (msx_buf_printf(b, " %s", hex))
            return MS_ENOMEM;
    }
    return msx_buf_append_str(b, "\n");
}

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const cache_entry *)a)->path, ((const cache_entry *)b)->path);
}

int ms_digest_cache_serialize(const ms_digest_cache *c, char **text, size_t *len, ms_error *err)
{
    ms_buf b = MS_BUF_INIT;
    size_t mlen = strlen(c->model_real);
    const cache_entry *v = c->ran ? c->cur : c->old;
    size_t n = c->ran ? c->n_cur : c->n_old;
    ms_hash_algorithm alg = c->ran ? c->run_alg : c->alg;
    int sharded = c->ran ? c->run_sharded : c->sharded;
    uint64_t shard = c->ran ? c->run_shard_size : c->shard_size;
    if (msx_buf_printf(&b, "%s\nmodel %" PRIu64 " ", CACHE_MAGIC, c->model_dev) ||
        msx_buf_reserve(&b, 2 * mlen + 1))
        goto nomem;
    msx_hex_encode((const uint8_t *)c->model_real, mlen, (char *)b.data + b.len);
    b.len += 2 * mlen;
    if (msx_buf_printf(&b, "\nsettings %s %s %" PRIu64 "\nstamp %" PRId64 " %ld\nfiles %zu\n",
                       ms_hash_name(alg), sharded ? "shards" : "files", sharded ? shard : 0,
                       c->ran ? c->run_stamp_sec : c->stamp_sec,
                       c->ran ? c->run_stamp_nsec : c->stamp_nsec, n))
        goto nomem;
    for (size_t i = 0; i < n; i++) {
        if (write_entry(&b, &v[i], ms_hash_size(alg)))
            goto nomem;
    }
    if (msx_buf_append_str(&b, "end\n") || msx_buf_export(&b, text, len))
        goto nomem;
    return 0;
nomem:
    msx_buf_free(&b);
    return ms_error_nomem(err);
}

/* ---- where it lives, and whether to believe it ---------------------------------------------- */

/* The cache directory's path: `dir`, or the XDG default. Creates the default's parent. */
static char *cache_dir_path(const char *dir, ms_error *err)
{
    ms_buf b = MS_BUF_INIT;
    if (dir) {
        if (msx_buf_append_str(&b, dir))
            goto nomem;
        return msx_buf_detach(&b);
    }
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (xdg && xdg[0] == '/') { /* the XDG spec: a relative path is to be ignored */
        if (msx_buf_printf(&b, "%s/modelseal", xdg))
            goto nomem;
        if (mkdir(xdg, 0700) != 0 && errno != EEXIST) {
            /* left to the directory check below to report */
        }
        return msx_buf_detach(&b);
    }
    const char *home = getenv("HOME");
    if (!home || home[0] != '/') {
        struct passwd *pw = getpwuid(geteuid());
        home = pw && pw->pw_dir && pw->pw_dir[0] == '/' ? pw->pw_dir : NULL;
    }
    if (!home) {
        ms_error_set(err, MS_EENV, "no cache directory: neither XDG_CACHE_HOME nor HOME is set");
        return NULL;
    }
    if (msx_buf_printf(&b, "%s/.cache", home))
        goto nomem;
    (void)mkdir((const char *)b.data, 0700);
    if (msx_buf_append_str(&b, "/modelseal"))
        goto nomem;
    return msx_buf_detach(&b);
nomem:
    msx_buf_free(&b);
    ms_error_nomem(err);
    return NULL;
}

/* Why a directory or file (lstat/fstat `st`) may not be believed, or NULL. */
static const char *untrusted(const struct stat *st)
{
    if (st->st_uid != geteuid())
        return "owned by another user";
    if (st->st_mode & (S_IWGRP | S_IWOTH))
        return "writable by group or others";
    return NULL;
}

int ms_digest_cache_open(const char *model, const char *dir, ms_digest_cache **out, ms_error *err)
{
    ms_digest_cache *c = NULL, *loaded = NULL;
    char *real = NULL, *dpath = NULL;
    ms_buf key = MS_BUF_INIT, name = MS_BUF_INIT, text = MS_BUF_INIT;
    ms_error perr;
    struct stat st;
    int rc = 0, fd = -1;
    uint8_t digest[MS_SHA256_SIZE];
    char hex[2 * MS_SHA256_SIZE + 1];
    *out = NULL;

    if (!(real = realpath(model, NULL)) || stat(real, &st) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: %s", model, strerror(errno));
        goto out;
    }
    if (!(c = calloc(1, sizeof *c)))
        goto nomem;
    c->model_real = real;
    real = NULL;
    c->model_dev = (uint64_t)st.st_dev;
    if (!(dpath = cache_dir_path(dir, err))) {
        rc = err ? err->code : MS_EENV;
        goto out;
    }
    /* The file's name: SHA-256 of the device and the real path. */
    if (msx_buf_printf(&key, "%" PRIu64 "%c%s", c->model_dev, '\0', c->model_real) ||
        ms_sha256(key.data, key.len, digest) != 0)
        goto nomem;
    msx_hex_encode(digest, 16, hex);
    if (msx_buf_printf(&name, "%s/%s.cache", dpath, hex))
        goto nomem;
    c->path = msx_buf_detach(&name);
    if (!c->path)
        goto nomem;

    if (mkdir(dpath, 0700) != 0 && errno != EEXIST) {
        rc = set_refused(c, err, "%s: cannot create: %s", dpath, strerror(errno));
        goto done;
    }
    if (lstat(dpath, &st) != 0) {
        rc = set_refused(c, err, "%s: %s", dpath, strerror(errno));
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        rc = set_refused(c, err, "%s: is %s, not a directory", dpath, msx_file_kind(st.st_mode));
        goto done;
    }
    if (untrusted(&st)) {
        rc = set_refused(c, err, "%s: %s", dpath, untrusted(&st));
        goto done;
    }
    c->may_save = 1;
    /* The file: the user's own, not writable by others, a regular file, parsed strictly. */
    ms_error_clear(&perr);
    if (msx_file_open_regular(c->path, MS_FILE_NOFOLLOW | MS_FILE_MISSING_OK, &fd, &st, &perr) !=
        0) {
        rc = set_refused(c, err, "%s", perr.message);
        goto done;
    }
    if (fd < 0)
        goto done; /* no cache yet */
    if (untrusted(&st)) {
        rc = set_refused(c, err, "%s: %s", c->path, untrusted(&st));
        goto done;
    }
    if ((uint64_t)st.st_size > MS_CACHE_MAX_SIZE) {
        rc = set_refused(c, err, "%s: over %zu bytes", c->path, MS_CACHE_MAX_SIZE);
        goto done;
    }
    for (;;) {
        if (msx_buf_reserve(&text, 65536))
            goto nomem;
        ssize_t n = read(fd, text.data + text.len, 65536);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = set_refused(c, err, "%s: %s", c->path, strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        text.len += (size_t)n;
        if (text.len > MS_CACHE_MAX_SIZE) {
            rc = set_refused(c, err, "%s: over %zu bytes", c->path, MS_CACHE_MAX_SIZE);
            goto done;
        }
    }
    rc = ms_digest_cache_parse((const char *)text.data, text.len, c->path, c->model_real,
                               c->model_dev, &loaded, &perr);
    if (rc == MS_ENOMEM)
        goto nomem;
    if (rc != 0) {
        rc = set_refused(c, err, "%s", perr.message);
        goto done;
    }
    c->alg = loaded->alg;
    c->sharded = loaded->sharded;
    c->shard_size = loaded->shard_size;
    c->stamp_sec = loaded->stamp_sec;
    c->stamp_nsec = loaded->stamp_nsec;
    c->old = loaded->old;
    c->n_old = loaded->n_old;
    loaded->old = NULL;
    loaded->n_old = 0;
done:
    if (rc == 0) {
        *out = c;
        c = NULL;
    }
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    if (fd >= 0)
        close(fd);
    ms_digest_cache_free(loaded);
    ms_digest_cache_free(c);
    free(real);
    free(dpath);
    msx_buf_free(&key);
    msx_buf_free(&name);
    msx_buf_free(&text);
    return rc;
}

int ms_digest_cache_save(ms_digest_cache *c, ms_error *err)
{
    char *text = NULL;
    size_t len = 0;
    if (!c->ended || !c->may_save || c->too_many)
        return 0;
    int rc = ms_digest_cache_serialize(c, &text, &len, err);
    if (rc == 0 && len > MS_CACHE_MAX_SIZE)
        rc = 0; /* too big to be read back: keep the old one */
    else if (rc == 0)
        rc = msx_file_write_atomic(c->path, text, len, 0600, 0, err);
    free(text);
    return rc;
}

/* ---- one run ------------------------------------------------------------------------------ */

int hash_cache_begin(ms_digest_cache *c, ms_hash_algorithm alg, int sharded, uint64_t shard_size,
                     ms_error *err)
{
    struct timespec now;
    run_clear(c);
    c->ran = 1;
    c->run_alg = alg;
    c->run_sharded = sharded;
    c->run_shard_size = sharded ? shard_size : 0;
    /* Before the walk: every stat and read of this run comes after it. The coarse clock is at
     * most a tick behind the real one, which only makes the stamp earlier, so safer. */
    clock_gettime(CLOCK_REALTIME_COARSE, &now);
    c->run_stamp_sec = (int64_t)now.tv_sec;
    c->run_stamp_nsec = now.tv_nsec;
    c->settings_match = c->n_old && !c->distrust && c->alg == alg && c->sharded == sharded &&
                        c->shard_size == c->run_shard_size;
    (void)err;
    return 0;
}

static int64_t ns_of(int64_t sec, long nsec)
{
    int64_t v;
    if (__builtin_mul_overflow(sec, INT64_C(1000000000), &v) || __builtin_add_overflow(v, nsec, &v))
        return sec < 0 ? INT64_MIN : INT64_MAX;
    return v;
}

/* The racily clean rule: the stamp must be later than mtime and ctime by more than the
 * granularity. */
static int racily_clean(const ms_digest_cache *c, const cache_entry *o)
{
    int64_t g = (o->mtime_nsec == 0 && o->ctime_nsec == 0) ? CACHE_COARSE_GRANULARITY_NS
                                                           : CACHE_FINE_GRANULARITY_NS;
    int64_t stamp = ns_of(c->stamp_sec, c->stamp_nsec);
    int64_t m = ns_of(o->mtime_sec, o->mtime_nsec), t = ns_of(o->ctime_sec, o->ctime_nsec);
    int64_t latest = m > t ? m : t, limit;
    if (__builtin_add_overflow(latest, g, &limit))
        return 1;
    return stamp <= limit;
}

int hash_cache_lookup(ms_digest_cache *c, const ms_file_entry *e, size_t n, uint8_t *digests,
                      ms_error *err)
{
    cache_entry key = {.path = e->path};
    cache_entry *o = c->n_old ? bsearch(&key, c->old, c->n_old, sizeof *c->old, cmp_entry) : NULL;
    const char *why = NULL;
    if (!o)
        return strlist_push(&c->added, e->path) ? ms_error_nomem(err) : 0;
    o->seen = 1;
    if (c->distrust || e->target || e->hf_blob)
        why = "cache not used";
    else if (!c->settings_match)
        why = "settings changed";
    else if (o->size != e->size)
        why = "size changed";
    else if (o->dev != e->dev || o->ino != e->ino)
        why = "inode changed";
    else if (o->mtime_sec != e->mtime_sec || o->mtime_nsec != e->mtime_nsec)
        why = "mtime changed";
    else if (o->ctime_sec != e->ctime_sec || o->ctime_nsec != e->ctime_nsec)
        why = "ctime changed";
    else if (racily_clean(c, o))
        why = "racily clean";
    else if (o->n_digests != n)
        why = "settings changed";
    if (why) {
        if (c->rehashed.n == c->cap_reasons) {
            size_t cap = c->cap_reasons ? c->cap_reasons * 2 : 16;
            const char **r = realloc(c->reasons, cap * sizeof *r);
            if (!r)
                return ms_error_nomem(err);
            c->reasons = r;
            c->cap_reasons = cap;
        }
        if (strlist_push(&c->rehashed, e->path))
            return ms_error_nomem(err);
        c->reasons[c->rehashed.n - 1] = why;
        report_sync(c);
        return 0;
    }
    if (n)
        memcpy(digests, o->digests, n * ms_hash_size(c->alg));
    if (strlist_push(&c->reused, e->path))
        return ms_error_nomem(err);
    report_sync(c);
    return 1;
}

int hash_cache_record(ms_digest_cache *c, const ms_file_entry *e, size_t n, const uint8_t *digests,
                      ms_error *err)
{
    size_t dlen = ms_hash_size(c->run_alg);
    if (c->too_many || e->target || e->hf_blob)
        return 0; /* files reached through links are not cached */
    if (c->n_cur >= MS_CACHE_MAX_FILES || n > MS_CACHE_MAX_DIGESTS) {
        c->too_many = 1;
        return 0;
    }
    if (c->n_cur == c->cap_cur) {
        size_t cap = c->cap_cur ? c->cap_cur * 2 : 64;
        cache_entry *v = realloc(c->cur, cap * sizeof *v);
        if (!v)
            return ms_error_nomem(err);
        c->cur = v;
        c->cap_cur = cap;
    }
    cache_entry *o = &c->cur[c->n_cur];
    memset(o, 0, sizeof *o);
    if (!(o->path = strdup(e->path)) || (n && !(o->digests = malloc(n * dlen)))) {
        free(o->path);
        return ms_error_nomem(err);
    }
    if (n)
        memcpy(o->digests, digests, n * dlen);
    o->n_digests = n;
    o->dev = e->dev;
    o->ino = e->ino;
    o->size = e->size;
    o->mtime_sec = e->mtime_sec;
    o->mtime_nsec = e->mtime_nsec;
    o->ctime_sec = e->ctime_sec;
    o->ctime_nsec = e->ctime_nsec;
    c->n_cur++;
    return 0;
}

int hash_cache_still(const char *root, const ms_file_entry *e, ms_error *err)
{
    char path[4200];
    struct stat st;
    int r = strcmp(e->path, ".") == 0
                ? stat(root, &st)
                : lstat(hash_root_path(root, e->path, path, sizeof path), &st);
    if (r != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s",
                            hash_root_path(root, e->path, path, sizeof path), strerror(errno));
    if (!hash_same_file(&st, e))
        return hash_changed_error_at(root, e, &st, "while hashing", err);
    return 0;
}

int hash_cache_end(ms_digest_cache *c, ms_error *err)
{
    for (size_t i = 0; i < c->n_old; i++) {
        if (!c->old[i].seen && strlist_push(&c->removed, c->old[i].path))
            return ms_error_nomem(err);
    }
    if (c->n_cur > 1)
        qsort(c->cur, c->n_cur, sizeof *c->cur, cmp_entry);
    c->ended = 1;
    report_sync(c);
    return 0;
}
