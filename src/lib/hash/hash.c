/* Hash algorithms and the parallel chunked hashing engine (the streaming engine is in
 * hash_stream.c).
 *
 * Each worker owns one read buffer and one hasher for the whole batch, so per-item cost is the
 * system calls (open, fstat, pread, fstat, close) and the hash itself. Files are opened beneath
 * the model root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and must be the very file
 * the walk listed (device, inode, size, mtime, ctime), before and after hashing. ctime is what
 * catches a writer that puts mtime back (futimens) after writing: setting mtime sets ctime to
 * the present, and nothing in user space can set ctime. */
#include "config.h"

/* OpenSSL 3 keeps SHA256_Init/Update/Final, deprecated in favour of EVP, which adds a lookup
 * per digest: ms_sha256 uses them where the build of OpenSSL has them (this must come before
 * the first OpenSSL header), EVP_Digest where it leaves them out. Nothing else here uses a
 * deprecated function. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <sched.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_LINUX_OPENAT2_H
#include <linux/openat2.h>
#endif

#include "engine.h"
#include "hash/walk.h"
#include "hash_internal.h"
#include "modelseal/hash.h"
#include "util/pool.h"

struct ms_hasher {
    ms_hash_algorithm alg;
    EVP_MD_CTX *md_ctx;
    EVP_MD *md; /* fetched once: EVP_sha256() would be looked up again at every reset */
    crypto_generichash_state b2;
    blake3_hasher b3;
    /* BLAKE3 only, set by the batch engine for one item: the item is a subtree of a file whose
     * first chunk is chunk b3_first; final gives its chaining value, not a digest. */
    int b3_subtree;
    uint64_t b3_first;
};

size_t ms_hash_size(ms_hash_algorithm alg)
{
    return alg == MS_HASH_BLAKE2B ? 64 : 32;
}

const char *ms_hash_name(ms_hash_algorithm alg)
{
    switch (alg) {
    case MS_HASH_BLAKE2B:
        return "blake2b";
    case MS_HASH_BLAKE3:
        return "blake3";
    default:
        return "sha256";
    }
}

int ms_hash_parse(const char *name, ms_hash_algorithm *alg)
{
    if (strcmp(name, "sha256") == 0)
        *alg = MS_HASH_SHA256;
    else if (strcmp(name, "blake2b") == 0)
        *alg = MS_HASH_BLAKE2B;
    else if (strcmp(name, "blake3") == 0)
        *alg = MS_HASH_BLAKE3;
    else
        return MS_EINPUT;
    return 0;
}

ms_hasher *ms_hasher_new(ms_hash_algorithm alg)
{
    ms_hasher *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->alg = alg;
    if (alg != MS_HASH_SHA256 && alg != MS_HASH_BLAKE2B && alg != MS_HASH_BLAKE3) {
        free(h);
        return NULL;
    }
    if (alg == MS_HASH_BLAKE3)
        blake3_hasher_init(&h->b3);
    if (alg == MS_HASH_SHA256) {
        h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
        h->md_ctx = EVP_MD_CTX_new();
        if (!h->md || !h->md_ctx) {
            EVP_MD_free(h->md);
            EVP_MD_CTX_free(h->md_ctx);
            free(h);
            return NULL;
        }
    }
    if (ms_hasher_reset(h) != 0) {
        ms_hasher_free(h);
        return NULL;
    }
    return h;
}

int ms_hasher_reset(ms_hasher *h)
{
    if (h->alg == MS_HASH_SHA256)
        return EVP_DigestInit_ex(h->md_ctx, h->md, NULL) == 1 ? 0 : MS_EENV;
    if (h->alg == MS_HASH_BLAKE3) {
#if HASH_B3_TREE
        if (h->b3_subtree) {
            hash_b3_start_at(&h->b3, h->b3_first);
            return 0;
        }
#endif
        blake3_hasher_reset(&h->b3);
        return 0;
    }
    return crypto_generichash_init(&h->b2, NULL, 0, 64) == 0 ? 0 : MS_EENV;
}

int ms_hasher_update(ms_hasher *h, const void *data, size_t len)
{
    if (h->alg == MS_HASH_SHA256)
        return EVP_DigestUpdate(h->md_ctx, data, len) == 1 ? 0 : MS_EENV;
    if (h->alg == MS_HASH_BLAKE3) {
        blake3_hasher_update(&h->b3, data, len);
        return 0;
    }
    return crypto_generichash_update(&h->b2, data, len) == 0 ? 0 : MS_EENV;
}

int ms_hasher_final(ms_hasher *h, uint8_t *out)
{
    if (h->alg == MS_HASH_SHA256)
        return EVP_DigestFinal_ex(h->md_ctx, out, NULL) == 1 ? 0 : MS_EENV;
    if (h->alg == MS_HASH_BLAKE3) {
#if HASH_B3_TREE
        if (h->b3_subtree) {
            hash_b3_subtree_cv(&h->b3, h->b3_first, out);
            return 0;
        }
#endif
        blake3_hasher_finalize(&h->b3, out, BLAKE3_OUT_LEN);
        return 0;
    }
    return crypto_generichash_final(&h->b2, out, 64) == 0 ? 0 : MS_EENV;
}

#if HASH_B3_TREE
void hash_b3_piece(ms_hasher *h, uint64_t first)
{
    h->b3_subtree = 1;
    h->b3_first = first;
}
#endif

void ms_hasher_free(ms_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md_ctx);
    EVP_MD_free(h->md);
    sodium_memzero(&h->b2, sizeof h->b2);
    sodium_memzero(&h->b3, sizeof h->b3);
    free(h);
}

int ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_SIZE])
{
#if OPENSSL_VERSION_MAJOR == 3 && !defined(OPENSSL_NO_DEPRECATED_3_0)
    /* OpenSSL's own SHA-256 functions on a context on the stack: no lookup or allocation, so a
     * short input (a path, for its partition share, once per path) costs 60 ns, where
     * EVP_Digest's fetch costs 120 and libsodium's portable code 200. */
    SHA256_CTX c; /* SHA256_Final wipes the input block; the rest is the digest and a length */
    return SHA256_Init(&c) && SHA256_Update(&c, data, len) && SHA256_Final(out, &c) ? 0 : MS_EENV;
#else
    return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : MS_EENV;
#endif
}

/* ---- the engine --------------------------------------------------------------------------- */

#define MS_ASSIST_SLOTS 8
#define MS_ASSIST_CHUNK ((size_t)256 << 10)

typedef struct engine {
    const ms_hash_job *job;
    ms_hash_item *work;     /* what the workers hash: job->items, or the pieces of a BLAKE3 tree */
    unsigned char *subtree; /* NULL, or per work item: a subtree of a larger file (tree_split) */
    int root_fd;            /* the model directory, or -1 for a single-file model */
    int blobs_fd; /* a Hugging Face cache snapshot's blobs/ directory (msx_hf_blobs_open), or -1 */
    size_t buffer_size;
    int assist;                         /* items are read by a helper thread */
    uint8_t *(*slots)[MS_ASSIST_SLOTS]; /* per worker: the helper's ring, when assist */
    atomic_uint_fast64_t bytes_done;
    uint64_t bytes_total;
} engine;

static int open_beneath(int root_fd, const char *rel)
{
#if defined(HAVE_LINUX_OPENAT2_H) && defined(SYS_openat2)
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK; /* a FIFO swapped in: no wait */
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    int fd = (int)syscall(SYS_openat2, root_fd, rel, &how, sizeof how);
    if (fd >= 0 || errno != ENOSYS)
        return fd;
#endif
    /* Older kernels: the final component is not followed, and the caller checks that the file
     * opened is the one the walk listed (the walk never follows directory symlinks). */
    return openat(root_fd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
}

const char *hash_root_path(const char *root, const char *rel, char *buf, size_t n)
{
    if (strcmp(rel, ".") == 0)
        snprintf(buf, n, "%s", root);
    else
        snprintf(buf, n, "%s/%s", root, rel);
    return buf;
}

static const char *display_path(const ms_hash_job *job, const ms_file_entry *e, char *buf, size_t n)
{
    return hash_root_path(job->root, e->path, buf, n);
}

/* Identity, size, mtime and ctime as the walk (or the first fstat) saw them? */
int hash_same_file(const struct stat *st, const ms_file_entry *e)
{
    return (uint64_t)st->st_dev == e->dev && (uint64_t)st->st_ino == e->ino &&
           (uint64_t)st->st_size == e->size && st->st_mtim.tv_sec == e->mtime_sec &&
           st->st_mtim.tv_nsec == e->mtime_nsec && st->st_ctim.tv_sec == e->ctime_sec &&
           st->st_ctim.tv_nsec == e->ctime_nsec;
}

/* On many file systems ctime has the resolution of the kernel's coarse clock (a few ms): a write
 * in the same tick as the change that set it leaves it as it was. So a file whose ctime is not
 * yet in the past is read only once the coarse clock has moved beyond it; from then on every
 * write moves ctime, and the check after reading sees it. (What is written before reading starts
 * is simply what gets hashed.) A ctime in the future (a clock set back) is waited for at most
 * about 50 ms. */
void hash_wait_past_ctime(const struct stat *st)
{
    for (int i = 0; i < 50; i++) {
        struct timespec now, ms = {0, 1000000};
        clock_gettime(CLOCK_REALTIME_COARSE, &now);
        if (now.tv_sec > st->st_ctim.tv_sec ||
            (now.tv_sec == st->st_ctim.tv_sec && now.tv_nsec > st->st_ctim.tv_nsec))
            return;
        nanosleep(&ms, NULL);
    }
}

int hash_changed_error_at(const char *root, const ms_file_entry *e, const struct stat *st,
                          const char *when, ms_error *err)
{
    char path[4200];
    hash_root_path(root, e->path, path, sizeof path);
    return ms_error_set(
        err, MS_EINPUT,
        "%s: changed %s (size %llu -> %llu, mtime %lld.%09ld -> %lld.%09ld, ctime %lld.%09ld -> "
        "%lld.%09ld, inode %llu -> %llu)",
        path, when, (unsigned long long)e->size, (unsigned long long)st->st_size,
        (long long)e->mtime_sec, e->mtime_nsec, (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
        (long long)e->ctime_sec, e->ctime_nsec, (long long)st->st_ctim.tv_sec, st->st_ctim.tv_nsec,
        (unsigned long long)e->ino, (unsigned long long)st->st_ino);
}

static int changed_error(const ms_hash_job *job, const ms_file_entry *e, const struct stat *st,
                         const char *when, ms_error *err)
{
    return hash_changed_error_at(job->root, e, st, when, err);
}

/* With a core to spare, a reader thread copies the next chunks out of the page cache while this
 * thread hashes the current one: the copy (and its memory stalls) leaves the hashing core. The
 * ring is MS_ASSIST_SLOTS chunks of MS_ASSIST_CHUNK bytes; the reader never gets further ahead. */
typedef struct assist_ring {
    uint8_t **slots;
    int fd;
    uint64_t start, end;
    size_t len[MS_ASSIST_SLOTS];
    atomic_int filled[MS_ASSIST_SLOTS];
    atomic_int stop;   /* the hasher gave up */
    atomic_int status; /* reader: 0, errno, or -1 for an early end of file */
    uint64_t fail_off;
    size_t next; /* the hasher's next slot */
    int held;    /* the hasher holds slot next - 1 */
} assist_ring;

/* Wait until `*flag` equals `want` (or `*abort_flag` is set). The two sides run on two cores
 * and are microseconds apart, so the waiting side spins (yielding now and then) instead of
 * sleeping: a sleep/wake-up lets the scheduler put both threads on one core, which costs far
 * more than the spin. */
static void ring_wait(atomic_int *flag, int want, atomic_int *abort_flag)
{
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(flag, memory_order_acquire) == want ||
            atomic_load_explicit(abort_flag, memory_order_acquire))
            return;
        if (i % 256 == 0)
            sched_yield();
#if defined(__x86_64__) || defined(__i386__)
        else
            __builtin_ia32_pause();
#endif
    }
}

static void ring_set(atomic_int *flag, int value)
{
    atomic_store_explicit(flag, value, memory_order_release);
}

static void *assist_reader(void *p)
{
    assist_ring *r = p;
    uint64_t off = r->start;
    for (size_t k = 0; off < r->end; k++) {
        size_t slot = k % MS_ASSIST_SLOTS;
        ring_wait(&r->filled[slot], 0, &r->stop);
        if (atomic_load(&r->stop))
            return NULL;
        uint64_t want64 = r->end - off;
        size_t want = want64 > MS_ASSIST_CHUNK ? MS_ASSIST_CHUNK : (size_t)want64;
        ssize_t n;
        do {
            n = pread(r->fd, r->slots[slot], want, (off_t)off);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            r->fail_off = off;
            ring_set(&r->status, n < 0 ? errno : -1);
            return NULL;
        }
        r->len[slot] = (size_t)n;
        ring_set(&r->filled[slot], 1);
        off += (uint64_t)n;
    }
    return NULL;
}

/* The hasher's side of the ring, as a source: the next chunk the reader filled (the one given
 * before goes back to the reader). */
static ssize_t ring_read(void *src, uint64_t off, uint8_t *buf, size_t want, const uint8_t **data)
{
    assist_ring *r = src;
    (void)off;
    (void)buf;
    (void)want;
    if (r->held) {
        ring_set(&r->filled[(r->next - 1) % MS_ASSIST_SLOTS], 0);
        r->held = 0;
    }
    size_t slot = r->next % MS_ASSIST_SLOTS;
    ring_wait(&r->filled[slot], 1, &r->status);
    if (!atomic_load_explicit(&r->filled[slot], memory_order_acquire)) {
        int status = atomic_load(&r->status);
        return status > 0 ? -status : 0;
    }
    r->next++;
    r->held = 1;
    *data = r->slots[slot];
    return (ssize_t)r->len[slot];
}

/* Feed `f` (its range set) from a reader thread through the worker's ring; without a thread,
 * with plain reads. */
static hash_feed_status hash_assisted(hash_worker *w, uint8_t **slots, int fd, hash_feed_job *f)
{
    assist_ring r;
    pthread_t tid;
    memset(&r, 0, sizeof r);
    r.slots = slots;
    r.fd = fd;
    r.start = f->start;
    r.end = f->end;
    for (int k = 0; k < MS_ASSIST_SLOTS; k++)
        atomic_init(&r.filled[k], 0);
    atomic_init(&r.stop, 0);
    atomic_init(&r.status, 0);
    if (pthread_create(&tid, NULL, assist_reader, &r) != 0)
        return hash_feed(w, f);
    f->read = ring_read;
    f->src = &r;
    f->chunk = MS_ASSIST_CHUNK;
    hash_feed_status st = hash_feed(w, f);
    ring_set(&r.stop, 1);
    pthread_join(tid, NULL);
    return st;
}

typedef struct digest_out {
    uint8_t *out;
    size_t len;
} digest_out;

static int store_digest(void *ctx, size_t k, const uint8_t *digest)
{
    digest_out *d = ctx;
    (void)k;
    memcpy(d->out, digest, d->len);
    return 0;
}

/* A file that may be a git LFS pointer is read into the worker's buffer at its own offset,
 * whatever the size of each read, so that the whole file is there once hashed. */
typedef struct kept_src {
    int fd;
    uint8_t *base; /* the worker's buffer, at least as large as the file */
} kept_src;

static ssize_t read_fd_kept(void *src, uint64_t off, uint8_t *buf, size_t want,
                            const uint8_t **data)
{
    kept_src *k = src;
    (void)buf;
    ssize_t n = hash_read_fd(&k->fd, off, k->base + off, want, data);
    if (n > 0)
        *data = k->base + off;
    return n;
}

static int hash_item(void *ctx, size_t index, unsigned worker_index, hash_worker *w, ms_error *err)
{
    engine *en = ctx;
    const ms_hash_job *job = en->job;
    ms_hash_item *item = &en->work[index];
    const ms_file_entry *e = &job->files->entries[item->file];
    char path[4200];
    struct stat st;
    int rc = 0;
    int fd;

    if (en->root_fd < 0)
        fd = open(job->root, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    else if (e->hf_blob) /* one name in the blobs/ directory; checked below against the walk */
        fd = en->blobs_fd < 0
                 ? (errno = ENOENT, -1)
                 : openat(en->blobs_fd, e->target, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    else
        fd = open_beneath(en->root_fd, e->target ? e->target : e->path);
    if (fd < 0) {
        int code = (errno == EACCES || errno == ENOENT || errno == ELOOP || errno == EXDEV)
                       ? MS_EINPUT
                       : MS_EENV;
        return ms_error_set(
            err, code, "%s: cannot open: %s", display_path(job, e, path, sizeof path),
            errno == ELOOP ? "a path component is a symbolic link" : strerror(errno));
    }
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", display_path(job, e, path, sizeof path),
                          strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: is no longer a regular file",
                          display_path(job, e, path, sizeof path));
        goto out;
    }
    if (!hash_same_file(&st, e)) {
        rc = changed_error(job, e, &st, "since it was listed", err);
        goto out;
    }
    hash_wait_past_ctime(&st);
    if (item->end > e->size || item->start > item->end) {
        rc = ms_error_set(err, MS_EINPUT,
                          "%s: byte range %llu-%llu is outside the file (%llu bytes)",
                          display_path(job, e, path, sizeof path), (unsigned long long)item->start,
                          (unsigned long long)item->end, (unsigned long long)e->size);
        goto out;
    }
    if (item->end - item->start > en->buffer_size)
        posix_fadvise(fd, (off_t)item->start, (off_t)(item->end - item->start),
                      POSIX_FADV_SEQUENTIAL);
    w->hasher->b3_subtree = en->subtree && en->subtree[index];
    w->hasher->b3_first = item->start / 1024;
    digest_out d = {item->digest, ms_hash_size(job->algorithm)};
    size_t lfs_min = sizeof MS_HASH_LFS_VERSION - 1;
    int lfs = job->lfs_check && item->start == 0 && item->end == e->size && e->size >= lfs_min &&
              e->size <= MS_HASH_LFS_MAX && e->size <= w->cap;
    kept_src kept = {fd, w->buf};
    hash_feed_job f = {.read = lfs ? read_fd_kept : hash_read_fd,
                       .src = lfs ? (void *)&kept : (void *)&fd,
                       .start = item->start,
                       .end = item->end,
                       .digest = store_digest,
                       .ctx = &d,
                       .progress = &en->bytes_done};
    hash_feed_status fs =
        en->assist && !lfs ? hash_assisted(w, en->slots[worker_index], fd, &f) : hash_feed(w, &f);
    if (fs == HASH_FEED_HASH) {
        rc = ms_error_set(err, MS_EENV, "hash initialisation failed");
        goto out;
    }
    if (fs == HASH_FEED_READ) {
        rc = ms_error_set(err, f.read_errno == EISDIR ? MS_EINPUT : MS_EENV,
                          "%s: read error at offset %llu: %s",
                          display_path(job, e, path, sizeof path), (unsigned long long)f.fail_off,
                          strerror(f.read_errno));
        goto out;
    }
    if (fs == HASH_FEED_SHORT) {
        struct stat now;
        if (fstat(fd, &now) != 0)
            now = st;
        rc = changed_error(job, e, &now, "while hashing", err);
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", display_path(job, e, path, sizeof path),
                          strerror(errno));
        goto out;
    }
    if (!hash_same_file(&st, e))
        rc = changed_error(job, e, &st, "while hashing", err);
    else if (lfs && memcmp(w->buf, MS_HASH_LFS_VERSION, lfs_min) == 0)
        job->lfs_check(job->lfs_ctx, index, w->buf, (size_t)e->size);
out:
    close(fd);
    return rc;
}

static void engine_tick(void *ctx)
{
    engine *en = ctx;
    if (en->job->progress)
        en->job->progress(en->job->progress_ctx, atomic_load(&en->bytes_done), en->bytes_total);
}

#if HASH_B3_TREE
/* ---- BLAKE3: one large file on every core -------------------------------------------------
 *
 * With BLAKE3 and more than one thread, a file longer than a piece (4 x the read buffer, rounded
 * down to a power of two: 16 MiB by default) is cut into subtrees of BLAKE3's own tree by
 * hash_b3_cut (hash_blake3.c), the one cut the streaming engine uses too: pieces of that many
 * bytes (a power of two 1 KiB chunks, so each is an aligned subtree), then the rest of the full
 * chunks in descending powers of two, then the last chunk (1 to 1024 bytes). Every piece is a
 * work item of its own, on any thread; each gives its chaining value, and
 * hash_b3_join makes the file's digest from them: the digest of the file hashed in one go. */

typedef struct tree_split {
    ms_hash_item *pieces;   /* whole items and the pieces of split ones, in item order */
    unsigned char *subtree; /* per piece: 1 when it is a piece of a split item */
    size_t n_pieces;
    size_t *first; /* per item: its first piece */
    size_t *count; /* per item: its number of pieces (1: not split) */
} tree_split;

static void tree_split_free(tree_split *t)
{
    free(t->pieces);
    free(t->subtree);
    free(t->first);
    free(t->count);
    memset(t, 0, sizeof *t);
}

/* Cut the items longer than a piece (hash_b3_cut, as the streaming engine cuts one file); 0 or
 * MS_ENOMEM. */
static int tree_split_plan(const ms_hash_job *job, size_t buffer_size, tree_split *t, ms_error *err)
{
    size_t n = 0, most = 0;
    uint64_t *starts = NULL;
    memset(t, 0, sizeof *t);
    if (!(t->first = calloc(job->n_items + 1, sizeof *t->first)) ||
        !(t->count = calloc(job->n_items + 1, sizeof *t->count)))
        goto nomem;
    for (size_t i = 0; i < job->n_items; i++) {
        const ms_hash_item *it = &job->items[i];
        /* Only whole files are cut: a shard (start > 0) is hashed as it is. */
        size_t k = it->start == 0 ? hash_b3_cut(it->end, buffer_size, NULL) : 1;
        if (__builtin_add_overflow(n, k, &n))
            goto nomem;
        t->count[i] = k;
        most = k > most ? k : most;
    }
    if (!(t->pieces = calloc(n, sizeof *t->pieces)) || !(t->subtree = calloc(n, 1)) ||
        !(starts = calloc(most + 1, sizeof *starts)))
        goto nomem;
    size_t k = 0;
    for (size_t i = 0; i < job->n_items; i++) {
        const ms_hash_item *it = &job->items[i];
        t->first[i] = k;
        if (t->count[i] == 1) {
            t->pieces[k++] = *it;
            continue;
        }
        hash_b3_cut(it->end, buffer_size, starts);
        for (size_t j = 0; j < t->count[i]; j++) {
            t->pieces[k] = (ms_hash_item){it->file, starts[j], starts[j + 1], {0}};
            t->subtree[k++] = 1;
        }
    }
    t->n_pieces = k;
    free(starts);
    return 0;
nomem:
    free(starts);
    tree_split_free(t);
    return ms_error_nomem(err);
}

/* The items' digests from their pieces. */
static int tree_split_join(const ms_hash_job *job, const tree_split *t, ms_error *err)
{
    int rc = 0;
    uint8_t *cvs = NULL;
    uint64_t *firsts = NULL;
    size_t cap = 0;
    for (size_t i = 0; i < job->n_items; i++) {
        const ms_hash_item *p = &t->pieces[t->first[i]];
        size_t n = t->count[i];
        if (n == 1) {
            memcpy(job->items[i].digest, p->digest, sizeof p->digest);
            continue;
        }
        if (n > cap) {
            free(cvs);
            free(firsts);
            firsts = NULL;
            if (!(cvs = malloc(n * 32)) || !(firsts = malloc(n * sizeof *firsts))) {
                rc = ms_error_nomem(err);
                goto out;
            }
            cap = n;
        }
        for (size_t j = 0; j < n; j++) {
            memcpy(cvs + j * 32, p[j].digest, 32);
            firsts[j] = p[j].start / 1024;
        }
        if (hash_b3_join(cvs, firsts, n, job->items[i].digest) != 0) {
            rc = ms_error_set(err, MS_EENV, "BLAKE3: cannot join the pieces of a file");
            goto out;
        }
    }
out:
    free(cvs);
    free(firsts);
    return rc;
}
#endif

int hash_run(const ms_hash_job *job, ms_error *err)
{
    engine en;
    int rc = 0;
    struct stat st;
    memset(&en, 0, sizeof en);
    en.job = job;
    en.work = job->items;
    en.root_fd = -1;
    en.blobs_fd = -1;
    en.buffer_size = job->buffer_size ? job->buffer_size : MS_HASH_DEFAULT_BUFFER;
    atomic_init(&en.bytes_done, 0);
    for (size_t i = 0; i < job->n_items; i++)
        en.bytes_total += job->items[i].end - job->items[i].start;
    size_t n_work = job->n_items;
#if HASH_B3_TREE
    tree_split tree = {0};
#endif
    unsigned threads = job->threads ? job->threads : msx_pool_default_threads();

    if (stat(job->root, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s", job->root, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        en.root_fd = open(job->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (en.root_fd < 0)
            return ms_error_set(err, MS_EINPUT, "%s: %s", job->root, strerror(errno));
        for (size_t i = 0; i < job->files->count; i++) {
            if (job->files->entries[i].hf_blob) {
                if ((rc = msx_hf_blobs_open(job->root, &en.blobs_fd, err)) != 0)
                    goto out;
                break;
            }
        }
    }
#if HASH_B3_TREE
    if (job->algorithm == MS_HASH_BLAKE3 && threads > 1) {
        if ((rc = tree_split_plan(job, en.buffer_size, &tree, err)) != 0)
            goto out;
        en.work = tree.pieces;
        en.subtree = tree.subtree;
        n_work = tree.n_pieces;
    }
#endif
    /* Cores beyond one per item become read-ahead helpers for large items. */
    int assist = n_work > 0 && (size_t)threads >= 2 * n_work;
    if ((size_t)threads > n_work)
        threads = n_work ? (unsigned)n_work : 1;

    /* Never allocate more than the largest item needs: small-file models stay small. */
    uint64_t largest = 0;
    for (size_t i = 0; i < n_work; i++) {
        uint64_t len = en.work[i].end - en.work[i].start;
        if (len > largest)
            largest = len;
    }
    if (largest < en.buffer_size)
        en.buffer_size = largest < 4096 ? 4096 : (size_t)largest;
    if (job->lfs_check && en.buffer_size < MS_HASH_LFS_MAX) /* a pointer is read whole */
        en.buffer_size = MS_HASH_LFS_MAX;
    if (assist && largest >= 4 * MS_ASSIST_CHUNK) {
        en.assist = 1;
        if (!(en.slots = calloc(threads, sizeof *en.slots))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        for (unsigned t = 0; t < threads; t++) {
            for (int k = 0; k < MS_ASSIST_SLOTS; k++) {
                if (posix_memalign((void **)&en.slots[t][k], 4096, MS_ASSIST_CHUNK) != 0) {
                    en.slots[t][k] = NULL;
                    rc = ms_error_nomem(err);
                    goto out;
                }
            }
        }
    }
    hash_batch batch = {
        .algorithm = job->algorithm,
        .threads = threads,
        .items = n_work,
        .buffer_size = en.buffer_size,
        .fn = hash_item,
        .ctx = &en,
        .tick = job->progress ? engine_tick : NULL,
    };
    rc = hash_batch_run(&batch, err);
#if HASH_B3_TREE
    if (rc == 0 && tree.pieces)
        rc = tree_split_join(job, &tree, err);
#endif
out:
    if (en.slots) {
        for (unsigned t = 0; t < threads; t++)
            for (int k = 0; k < MS_ASSIST_SLOTS; k++)
                free(en.slots[t][k]);
        free(en.slots);
    }
#if HASH_B3_TREE
    tree_split_free(&tree);
#endif
    if (en.root_fd >= 0)
        close(en.root_fd);
    if (en.blobs_fd >= 0)
        close(en.blobs_fd);
    return rc;
}
