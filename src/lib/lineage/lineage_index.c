/* Lineage: git's index file (.git/index), read for the few paths `lineage record` and `check`
 * ask about, and scanned ahead on a thread while libgit2 initialises. The index is outside
 * input and only ever a hint: a file is read from the working tree only when its entry names
 * the commit's blob and its stat data match the file (worktree_mark in lineage_tree.c), and the
 * bytes read count only when git's object id over them is the commit's blob id (hash_worktree):
 * the index chooses where to look, never what is trusted. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lineage_internal.h"
#include "util/fs.h"

/* ---- the index, read for a few paths ----
 * libgit2 loads the whole index (every entry allocated): for 100,000 files that is most of the
 * cost of `lineage record`. Only a few entries are needed here, so the index file is read and
 * scanned without allocating: format versions 2, 3 and 4 (prefix-compressed paths), every
 * length bounds-checked, refused at the first thing git itself would refuse or that this reader
 * does not understand (a split index's "link", a sparse index's "sdir"). It is only ever a
 * hint (see worktree_mark): a refused index means every file is hashed from its blob. */

#define INDEX_HEADER 12
#define INDEX_TRAILER 20 /* SHA-1 of everything before it (not checked: see lin_index_find) */
#define INDEX_NAME_MASK 0x0fffu
#define INDEX_EXTENDED 0x4000u
#define INDEX_ASSUME_VALID 0x8000u
#define INDEX_STAGE_MASK 0x3000u
#define INDEX_XFLAGS_KNOWN 0x6000u /* skip-worktree, intent-to-add */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* git's order of names: bytes, then length. */
int lin_index_name_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c)
        return c;
    return alen < blen ? -1 : alen > blen;
}

static int index_refuse(ms_error *err, uint32_t k, const char *why)
{
    return ms_error_set(err, MS_EINPUT, "git index: entry %" PRIu32 ": %s", k, why);
}

/* The index is read through a window of a few hundred KiB, parsed as it arrives: reading a
 * 10 MB index whole into fresh memory costs four times as long as the parse itself (page faults),
 * and extensions are skipped without being read. Every entry fits in the window whole. */
#define INDEX_NAME_MAX 4096 /* longer names are refused (no checked-out file has one) */
#define INDEX_ENTRY_MAX (64 + 9 + INDEX_NAME_MAX + 8)

typedef struct index_window {
    lin_index_pread rd;
    void *ctx;
    uint8_t *buf;
    size_t cap, lo, hi; /* unread bytes: buf[lo, hi) */
    uint64_t pos, end;  /* file offset of buf[hi]; where the trailer starts */
} index_window;

/* Have at least `need` (<= cap) unread bytes in the window, or all that remain before the
 * trailer. 0, or -1 when the file ends early or cannot be read. */
static int window_fill(index_window *w, size_t need)
{
    if (w->hi - w->lo >= need || w->pos == w->end)
        return 0;
    memmove(w->buf, w->buf + w->lo, w->hi - w->lo);
    w->hi -= w->lo;
    w->lo = 0;
    while (w->hi < w->cap && w->pos < w->end) {
        uint64_t left = w->end - w->pos;
        size_t want = left < (uint64_t)(w->cap - w->hi) ? (size_t)left : w->cap - w->hi;
        ssize_t r = w->rd(w->ctx, w->buf + w->hi, want, w->pos);
        if (r <= 0 || (size_t)r > want)
            return -1;
        w->hi += (size_t)r;
        w->pos += (uint64_t)r;
    }
    return 0;
}

/* Called for every entry in order: its name (not NUL-terminated), stage, whether git is told
 * to check the file (no assume-valid, skip-worktree nor intent-to-add flag) and its 62 fixed
 * bytes. Non-zero stops the walk with that value. */
typedef int (*index_visit)(void *ctx, const char *name, size_t name_len, unsigned stage,
                           int checked, const uint8_t *e);

static int index_walk(lin_index_pread rd, void *ctx, uint64_t len, size_t window, index_visit visit,
                      void *vctx, ms_error *err)
{
    char cur[INDEX_NAME_MAX]; /* the previous entry's name, then the current one's */
    size_t path_len = 0;
    unsigned prev_stage = 0;
    int rc = MS_EINPUT;
    uint32_t k = 0;
    index_window w = {.rd = rd, .ctx = ctx};
    if (window < LIN_INDEX_WINDOW_MIN)
        window = LIN_INDEX_WINDOW_MIN;
    if (len < INDEX_HEADER + INDEX_TRAILER || len > LIN_INDEX_MAX) {
        rc = ms_error_set(err, MS_EINPUT, "git index: not an index file");
        goto out;
    }
    if (!(w.buf = malloc(window))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    w.cap = window;
    w.end = len - INDEX_TRAILER;
    /* The trailing SHA-1 is not checked: it guards against a torn write, not an attacker (who
     * can write .git/index can write its checksum), and nothing here rests on it: the bytes of
     * a checked-out file count only when git's object id over them is the commit's blob id
     * (hash_worktree), whatever the index says. Hashing a 10 MB index would cost a tenth of the
     * time `lineage record` is allowed beyond hashing the model. */
    if (window_fill(&w, INDEX_HEADER) != 0 || w.hi < INDEX_HEADER ||
        memcmp(w.buf, "DIRC", 4) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "git index: not an index file");
        goto out;
    }
    uint32_t version = be32(w.buf + 4), count = be32(w.buf + 8);
    w.lo = INDEX_HEADER;
    if (version < 2 || version > 4) {
        rc = ms_error_set(err, MS_EINPUT, "git index: version %" PRIu32 " not supported", version);
        goto out;
    }
    /* Every entry takes at least 62 bytes and a name: the count cannot exceed what is there. */
    if (count > (w.end - INDEX_HEADER) / 64) {
        rc = ms_error_set(err, MS_EINPUT, "git index: %" PRIu32 " entries in %" PRIu64 " bytes",
                          count, len);
        goto out;
    }
    for (k = 0; k < count; k++) {
        if (window_fill(&w, INDEX_ENTRY_MAX) != 0) {
            rc = index_refuse(err, k, "cannot be read to its end");
            goto out;
        }
        const uint8_t *e = w.buf + w.lo, *p = e, *end = w.buf + w.hi;
        if (end - p < 62) {
            rc = index_refuse(err, k, "truncated");
            goto out;
        }
        unsigned flags = (unsigned)p[60] << 8 | p[61], xflags = 0, stage;
        size_t fixed = 62, name_len, keep = 0;
        const uint8_t *name, *nul;
        if (flags & INDEX_EXTENDED) {
            if (version < 3 || end - p < 64) {
                rc = index_refuse(err, k, "extended flags not allowed here");
                goto out;
            }
            xflags = (unsigned)p[62] << 8 | p[63];
            if (xflags & ~INDEX_XFLAGS_KNOWN) {
                rc = index_refuse(err, k, "unknown extended flags");
                goto out;
            }
            fixed = 64;
        }
        p += fixed;
        if (version == 4) {
            /* How many bytes of the previous name to drop: git's varint (each continuation
             * adds one before shifting), at most 9 bytes, no overflow in 64 bits. */
            uint64_t strip = 0;
            unsigned char c;
            int nb = 0;
            do {
                if (p == end || ++nb > 9) {
                    rc = index_refuse(err, k, "bad path prefix length");
                    goto out;
                }
                c = *p++;
                if (nb > 1)
                    strip++;
                strip = (strip << 7) | (c & 127u);
            } while (c & 128);
            if (strip > path_len) {
                rc = index_refuse(err, k, "path prefix longer than the previous path");
                goto out;
            }
            keep = path_len - (size_t)strip;
        }
        name = p;
        nul = memchr(p, 0, (size_t)(end - p));
        if (!nul) { /* (the window holds a whole entry of the longest name allowed) */
            rc = index_refuse(err, k, w.pos == w.end ? "name runs past the end" : "name too long");
            goto out;
        }
        name_len = keep + (size_t)(nul - name);
        if (name_len >= INDEX_NAME_MAX) {
            rc = index_refuse(err, k, "name too long");
            goto out;
        }
        if (name_len == 0 || (flags & INDEX_NAME_MASK) !=
                                 (name_len < INDEX_NAME_MASK ? name_len : INDEX_NAME_MASK)) {
            rc = index_refuse(err, k, "name length does not match the name");
            goto out;
        }
        size_t entry;
        if (version == 4) {
            entry = (size_t)(nul + 1 - e);
        } else {
            entry = (fixed + name_len + 8) & ~(size_t)7; /* NUL-padded to 8 bytes */
            if ((size_t)(end - e) < entry) {
                rc = index_refuse(err, k, "padding runs past the end");
                goto out;
            }
        }
        stage = (flags & INDEX_STAGE_MASK) >> 12;
        /* (the previous name, cur[0, path_len), shares cur[0, keep) with this one) */
        if (k > 0) {
            int cmp = lin_index_name_cmp((const char *)name, name_len - keep, cur + keep,
                                         path_len - keep);
            if (!(cmp > 0 || (cmp == 0 && prev_stage != 0 && stage > prev_stage))) {
                rc = index_refuse(err, k, "entries out of order");
                goto out;
            }
        }
        memcpy(cur + keep, name, name_len - keep);
        path_len = name_len;
        prev_stage = stage;
        if ((rc = visit(vctx, cur, path_len, stage, !(flags & INDEX_ASSUME_VALID) && xflags == 0,
                        e)) != 0)
            goto out;
        rc = MS_EINPUT;
        w.lo += entry;
    }
    /* Extensions: 4-byte signature, 4-byte size. Those starting with a capital letter are
     * optional (a cache of trees, resolve-undo, ...) and skipped unread; any other changes what
     * the entries mean (a split index's "link", a sparse index's "sdir") and is refused. */
    for (;;) {
        uint64_t at = w.pos - (w.hi - w.lo); /* file offset of the next unread byte */
        if (at == w.end)
            break;
        if (window_fill(&w, 8) != 0 || w.hi - w.lo < 8) {
            rc = ms_error_set(err, MS_EINPUT, "git index: truncated extension");
            goto out;
        }
        const uint8_t *p = w.buf + w.lo;
        uint32_t ext_len = be32(p + 4);
        if (!(p[0] >= 'A' && p[0] <= 'Z')) {
            rc = ms_error_set(
                err, MS_EINPUT, "git index: extension \"%c%c%c%c\" not supported",
                p[0] >= 32 && p[0] < 127 ? p[0] : '?', p[1] >= 32 && p[1] < 127 ? p[1] : '?',
                p[2] >= 32 && p[2] < 127 ? p[2] : '?', p[3] >= 32 && p[3] < 127 ? p[3] : '?');
            goto out;
        }
        if (ext_len > w.end - at - 8) {
            rc = ms_error_set(err, MS_EINPUT, "git index: extension runs past the end");
            goto out;
        }
        uint64_t skip = 8 + (uint64_t)ext_len;
        if (skip <= w.hi - w.lo) {
            w.lo += (size_t)skip;
        } else { /* past the window: not read at all */
            w.pos += skip - (w.hi - w.lo);
            w.lo = w.hi = 0;
        }
    }
    rc = 0;
out:
    free(w.buf);
    return rc;
}

static int is_attributes(const char *name, size_t len)
{
    return len >= 14 && memcmp(name + len - 14, ".gitattributes", 14) == 0 &&
           (len == 14 || name[len - 15] == '/');
}

static void want_fill(lin_index_want *wt, const uint8_t *e)
{
    wt->found = 1;
    wt->ctime_s = be32(e), wt->ctime_ns = be32(e + 4);
    wt->mtime_s = be32(e + 8), wt->mtime_ns = be32(e + 12);
    wt->dev = be32(e + 16), wt->ino = be32(e + 20), wt->mode = be32(e + 24);
    wt->size = be32(e + 36);
    memcpy(wt->oid, e + 40, 20);
}

/* The wants merged in (both in git's order), `next` the first not yet passed. */
typedef struct want_merge {
    lin_index_want *wants;
    size_t n, next;
    int attrs;
} want_merge;

static int want_visit(void *ctx, const char *name, size_t name_len, unsigned stage, int checked,
                      const uint8_t *e)
{
    want_merge *m = ctx;
    int cmp = -1;
    while (m->next < m->n &&
           (cmp = lin_index_name_cmp(m->wants[m->next].rel, m->wants[m->next].rel_len, name,
                                     name_len)) < 0)
        m->next++;
    if (m->next < m->n && cmp == 0) {
        if (is_attributes(name, name_len))
            m->attrs = 1; /* (at any stage, with any flag: git may read it from the index) */
        if (stage == 0 && checked)
            want_fill(&m->wants[m->next], e);
    }
    return 0;
}

int lin_index_scan(lin_index_pread rd, void *ctx, uint64_t len, size_t window,
                   lin_index_want *wants, size_t n, int *has_attributes, ms_error *err)
{
    want_merge m = {wants, n, 0, 0};
    for (size_t i = 0; i < n; i++)
        wants[i].found = 0;
    if (n == 0)
        return ms_error_set(err, MS_EINPUT, "git index: nothing to look up");
    int rc = index_walk(rd, ctx, len, window, want_visit, &m, err);
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            wants[i].found = 0;
        return rc;
    }
    if (m.attrs)
        *has_attributes = 1;
    return 0;
}

/* Held in memory: served in odd-sized pieces, through the smallest window, so that the tests and
 * the fuzzer take the paths a large index read from a file takes. */
typedef struct index_memory {
    const uint8_t *data;
    size_t len;
} index_memory;

static ssize_t index_memory_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
    const index_memory *m = ctx;
    if (off >= m->len)
        return 0;
    size_t k = m->len - (size_t)off < n ? m->len - (size_t)off : n;
    if (k > 4093)
        k = 4093;
    memcpy(buf, m->data + off, k);
    return (ssize_t)k;
}

int lin_index_find(const uint8_t *data, size_t len, lin_index_want *wants, size_t n,
                   int *has_attributes, ms_error *err)
{
    index_memory m = {data, len};
    return lin_index_scan(index_memory_pread, &m, len, LIN_INDEX_WINDOW_MIN, wants, n,
                          has_attributes, err);
}

#define INDEX_WINDOW ((size_t)256 << 10)

static ssize_t index_fd_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
    ssize_t r;
    if (off > (uint64_t)INT64_MAX)
        return -1;
    do {
        r = pread(*(const int *)ctx, buf, n, (off_t)off);
    } while (r < 0 && errno == EINTR);
    return r;
}

/* Open the index file at path for reading (read, not mapped: a file truncated under a mapping
 * would kill the process with SIGBUS): a regular file of a size an index can have. The
 * descriptor, or -1. */
static int index_open(const char *path, struct stat *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd >= 0 && (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size < 32 ||
                    (uint64_t)st->st_size > LIN_INDEX_MAX)) {
        close(fd);
        fd = -1;
    }
    return fd;
}

/* The index open at fd still as it was at `st` (not rewritten in place while read)? */
static int index_unchanged(int fd, const struct stat *st)
{
    struct stat now;
    return fstat(fd, &now) == 0 && now.st_ino == st->st_ino && now.st_size == st->st_size &&
           now.st_mtim.tv_sec == st->st_mtim.tv_sec && now.st_mtim.tv_nsec == st->st_mtim.tv_nsec &&
           now.st_ctim.tv_sec == st->st_ctim.tv_sec && now.st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* ---- the index, scanned ahead ----
 * `lineage record` and `check` spend their first milliseconds initialising libgit2 (Debian's
 * build parses every CA certificate there) and reading trees, on one core. Meanwhile a thread
 * scans the index of the repository the path most likely names, keeping the entries that
 * worktree_mark may ask for: files of the size it reads from the checkout or more (by the
 * index's 32-bit size) and every ".gitattributes". It is only a hint: worktree_mark uses it only
 * when the index it would read is the very file scanned (device, inode, size, mtime and ctime
 * unchanged), and scans the index itself whenever a file it wants is not among the kept entries. */

#define PREFETCH_MAX_ENTRIES 65536

struct lin_index_prefetch {
    git_repository *repo; /* whose (set once it is open) */
    struct lin_index_prefetch *next;
    pthread_t tid;
    int joined;
    atomic_int cancel;    /* no longer wanted: stop at the next entry */
    char *path;           /* the index file guessed */
    int ok;               /* scanned whole and kept */
    struct stat st;       /* the index file as scanned (unchanged during the scan) */
    uint64_t min_size;    /* files kept: this many bytes or more (by the 32-bit size) */
    lin_index_want *kept; /* in git's order; rel owned */
    size_t n, cap;
};

static pthread_mutex_t prefetch_lock = PTHREAD_MUTEX_INITIALIZER;
static lin_index_prefetch *prefetch_list;

static int prefetch_visit(void *ctx, const char *name, size_t name_len, unsigned stage, int checked,
                          const uint8_t *e)
{
    lin_index_prefetch *pf = ctx;
    if (atomic_load_explicit(&pf->cancel, memory_order_relaxed))
        return MS_EINPUT; /* (a partial scan is never used) */
    if (!is_attributes(name, name_len) && be32(e + 36) < pf->min_size)
        return 0;
    if (pf->n == pf->cap) {
        size_t ncap = pf->cap ? pf->cap * 2 : 64;
        if (ncap > PREFETCH_MAX_ENTRIES)
            return MS_ENOMEM; /* (not worth keeping: worktree_mark scans for itself) */
        lin_index_want *nk = realloc(pf->kept, ncap * sizeof *nk);
        if (!nk)
            return MS_ENOMEM;
        pf->kept = nk;
        pf->cap = ncap;
    }
    lin_index_want *k = &pf->kept[pf->n];
    memset(k, 0, sizeof *k);
    char *rel = malloc(name_len + 1);
    if (!rel)
        return MS_ENOMEM;
    memcpy(rel, name, name_len);
    rel[name_len] = '\0';
    k->rel = rel;
    k->rel_len = name_len;
    pf->n++;
    if (stage == 0 && checked) /* (found: git is told to check it, at stage 0) */
        want_fill(k, e);
    return 0;
}

static void *prefetch_main(void *arg)
{
    lin_index_prefetch *pf = arg;
    int fd = index_open(pf->path, &pf->st);
    if (fd >= 0) {
        ms_error err;
        pf->ok = index_walk(index_fd_pread, &fd, (uint64_t)pf->st.st_size, INDEX_WINDOW,
                            prefetch_visit, pf, &err) == 0 &&
                 index_unchanged(fd, &pf->st);
        close(fd);
    }
    return NULL;
}

/* The index of the repository that discovery from `start` would most likely open: the first
 * ".git" upwards, a directory or a file naming one ("gitdir: ..."). NULL when there is none. */
static char *guess_index(const char *start)
{
    char *dir = realpath(start, NULL);
    char *out = NULL;
    for (int depth = 0; dir && depth < 256 && !out; depth++) {
        char *dotgit = NULL;
        struct stat st;
        if (asprintf(&dotgit, "%s%s.git", dir, strcmp(dir, "/") == 0 ? "" : "/") < 0)
            break;
        if (lstat(dotgit, &st) == 0 && S_ISDIR(st.st_mode)) {
            if (asprintf(&out, "%s/index", dotgit) < 0)
                out = NULL;
            free(dotgit);
            break;
        }
        if (lstat(dotgit, &st) == 0 && S_ISREG(st.st_mode) && st.st_size < 4096) {
            ms_buf text = MS_BUF_INIT;
            char line[4096];
            size_t got = 0;
            if (msx_file_read_regular(dotgit, sizeof line - 1, MS_FILE_NOFOLLOW, &text, NULL) == 0)
                memcpy(line, text.data, got = text.len);
            msx_buf_free(&text);
            line[got] = '\0';
            line[strcspn(line, "\r\n")] = '\0';
            if (strncmp(line, "gitdir: ", 8) == 0 && line[8] &&
                asprintf(&out, "%s%s%s/index", line[8] == '/' ? "" : dir, line[8] == '/' ? "" : "/",
                         line + 8) < 0)
                out = NULL;
            free(dotgit);
            break;
        }
        free(dotgit);
        char *slash = strrchr(dir, '/');
        if (!slash || slash == dir)
            break;
        *slash = '\0';
    }
    free(dir);
    return out;
}

lin_index_prefetch *lin_index_prefetch_start(const char *start, uint64_t min_size)
{
    lin_index_prefetch *pf = calloc(1, sizeof *pf);
    if (!pf)
        return NULL;
    atomic_init(&pf->cancel, 0);
    pf->min_size = min_size;
    if (!(pf->path = guess_index(start)) || pthread_create(&pf->tid, NULL, prefetch_main, pf)) {
        free(pf->path);
        free(pf);
        return NULL;
    }
    return pf;
}

static void prefetch_join(lin_index_prefetch *pf)
{
    if (!pf->joined) {
        pthread_join(pf->tid, NULL);
        pf->joined = 1;
    }
}

void lin_index_prefetch_free(lin_index_prefetch *pf)
{
    if (!pf)
        return;
    atomic_store(&pf->cancel, 1); /* (a scan nobody asked for is not waited for to the end) */
    prefetch_join(pf);
    for (size_t i = 0; i < pf->n; i++)
        free((char *)pf->kept[i].rel);
    free(pf->kept);
    free(pf->path);
    free(pf);
}

void lin_index_prefetch_attach(lin_index_prefetch *pf, git_repository *repo)
{
    pf->repo = repo;
    pthread_mutex_lock(&prefetch_lock);
    pf->next = prefetch_list;
    prefetch_list = pf;
    pthread_mutex_unlock(&prefetch_lock);
}

/* The scan for `repo`, joined, or NULL. */
static lin_index_prefetch *prefetch_get(git_repository *repo)
{
    lin_index_prefetch *pf;
    pthread_mutex_lock(&prefetch_lock);
    for (pf = prefetch_list; pf && pf->repo != repo; pf = pf->next)
        ;
    if (pf)
        prefetch_join(pf);
    pthread_mutex_unlock(&prefetch_lock);
    return pf;
}

void lin_index_prefetch_detach(git_repository *repo)
{
    lin_index_prefetch *pf = NULL;
    pthread_mutex_lock(&prefetch_lock);
    for (lin_index_prefetch **pp = &prefetch_list; *pp; pp = &(*pp)->next) {
        if ((*pp)->repo == repo) {
            pf = *pp;
            *pp = pf->next;
            break;
        }
    }
    pthread_mutex_unlock(&prefetch_lock);
    lin_index_prefetch_free(pf);
}

/* Answer every want from the scan made ahead when it read the index at `ist`: 1 when done, 0
 * when the index must be scanned (another file, or a wanted file not kept). */
int lin_index_prefetch_answer(git_repository *repo, const struct stat *ist, lin_index_want *wants,
                              size_t n, int *attrs)
{
    const lin_index_prefetch *pf = prefetch_get(repo);
    if (!pf || !pf->ok || pf->st.st_dev != ist->st_dev || pf->st.st_ino != ist->st_ino ||
        pf->st.st_size != ist->st_size || pf->st.st_mtim.tv_sec != ist->st_mtim.tv_sec ||
        pf->st.st_mtim.tv_nsec != ist->st_mtim.tv_nsec ||
        pf->st.st_ctim.tv_sec != ist->st_ctim.tv_sec ||
        pf->st.st_ctim.tv_nsec != ist->st_ctim.tv_nsec)
        return 0;
    int a = 0;
    for (size_t i = 0; i < n; i++) {
        lin_index_want *w = &wants[i];
        size_t lo = 0, hi = pf->n;
        const lin_index_want *hit = NULL;
        w->found = 0;
        while (lo < hi) { /* (kept entries may repeat a name at several stages) */
            size_t mid = lo + (hi - lo) / 2;
            int cmp =
                lin_index_name_cmp(pf->kept[mid].rel, pf->kept[mid].rel_len, w->rel, w->rel_len);
            if (cmp < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t j = lo; j < pf->n && lin_index_name_cmp(pf->kept[j].rel, pf->kept[j].rel_len,
                                                            w->rel, w->rel_len) == 0;
             j++) {
            hit = &pf->kept[j];
            if (is_attributes(w->rel, w->rel_len))
                a = 1;
            if (hit->found) {
                w->ctime_s = hit->ctime_s, w->ctime_ns = hit->ctime_ns;
                w->mtime_s = hit->mtime_s, w->mtime_ns = hit->mtime_ns;
                w->dev = hit->dev, w->ino = hit->ino, w->mode = hit->mode, w->size = hit->size;
                memcpy(w->oid, hit->oid, 20);
                w->found = 1;
            }
        }
        /* Not kept: an attributes file is not in the index at all; a file may be there with a
         * size of 4 GiB or more that reads small in 32 bits: ask the index itself. */
        if (!hit && w->tag && !is_attributes(w->rel, w->rel_len)) {
            for (size_t j = 0; j < n; j++)
                wants[j].found = 0;
            return 0;
        }
    }
    if (a)
        *attrs = 1;
    return 1;
}

int lin_index_lookup(git_repository *repo, lin_index_want *wants, size_t n, int *has_attributes,
                     struct stat *st)
{
    char *path = NULL;
    int rc = -1, attrs = 0;
    for (size_t i = 0; i < n; i++)
        wants[i].found = 0;
    if (asprintf(&path, "%sindex", git_repository_path(repo)) < 0)
        return -1;
    int fd = index_open(path, st);
    free(path);
    if (fd < 0)
        return -1;
    ms_error err;
    if (lin_index_prefetch_answer(repo, st, wants, n, &attrs) ||
        (lin_index_scan(index_fd_pread, &fd, (uint64_t)st->st_size, INDEX_WINDOW, wants, n, &attrs,
                        &err) == 0 &&
         index_unchanged(fd, st))) {
        rc = 0;
    } else {
        for (size_t i = 0; i < n; i++)
            wants[i].found = 0;
    }
    close(fd);
    if (rc == 0 && attrs)
        *has_attributes = 1;
    return rc;
}
