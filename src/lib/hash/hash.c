/* Hash algorithms, the parallel chunked hashing engine, and the streaming engine.
 *
 * Each worker owns one read buffer and one hasher for the whole batch, so per-item cost is the
 * system calls (open, fstat, pread, fstat, close) and the hash itself. Files are opened beneath
 * the model root with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) and must be the very file
 * the walk listed (device, inode, size, mtime, ctime), before and after hashing. ctime is what
 * catches a writer that puts mtime back (futimens) after writing: setting mtime sets ctime to
 * the present, and nothing in user space can set ctime.
 *
 * The streaming engine (ms_hash_stream) hashes files while a walk is still finding them, for
 * dataset manifests of millions of small files, where system calls are nearly all the cost:
 * each file is opened by name in its directory's descriptor (one path component), and a small
 * file not written to for a while costs open, one pread, one fstat and close. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
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

#include "hash/walk.h"
#include "modelseal/hash.h"
#include "util/pool.h"

struct ms_hasher {
    ms_hash_algorithm alg;
    EVP_MD_CTX *md_ctx;
    EVP_MD *md; /* fetched once: EVP_sha256() would be looked up again at every reset */
    crypto_generichash_state b2;
};

size_t ms_hash_size(ms_hash_algorithm alg)
{
    return alg == MS_HASH_BLAKE2B ? 64 : 32;
}

const char *ms_hash_name(ms_hash_algorithm alg)
{
    return alg == MS_HASH_BLAKE2B ? "blake2b" : "sha256";
}

int ms_hash_parse(const char *name, ms_hash_algorithm *alg)
{
    if (strcmp(name, "sha256") == 0)
        *alg = MS_HASH_SHA256;
    else if (strcmp(name, "blake2b") == 0)
        *alg = MS_HASH_BLAKE2B;
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
    return crypto_generichash_init(&h->b2, NULL, 0, 64) == 0 ? 0 : MS_EENV;
}

int ms_hasher_update(ms_hasher *h, const void *data, size_t len)
{
    if (h->alg == MS_HASH_SHA256)
        return EVP_DigestUpdate(h->md_ctx, data, len) == 1 ? 0 : MS_EENV;
    return crypto_generichash_update(&h->b2, data, len) == 0 ? 0 : MS_EENV;
}

int ms_hasher_final(ms_hasher *h, uint8_t *out)
{
    if (h->alg == MS_HASH_SHA256)
        return EVP_DigestFinal_ex(h->md_ctx, out, NULL) == 1 ? 0 : MS_EENV;
    return crypto_generichash_final(&h->b2, out, 64) == 0 ? 0 : MS_EENV;
}

void ms_hasher_free(ms_hasher *h)
{
    if (!h)
        return;
    EVP_MD_CTX_free(h->md_ctx);
    EVP_MD_free(h->md);
    sodium_memzero(&h->b2, sizeof h->b2);
    free(h);
}

int ms_sha256(const void *data, size_t len, uint8_t out[MS_SHA256_SIZE])
{
    return EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL) == 1 ? 0 : MS_EENV;
}

/* ---- the engine --------------------------------------------------------------------------- */

#define MS_ASSIST_SLOTS 8
#define MS_ASSIST_CHUNK ((size_t)256 << 10)

typedef struct worker {
    uint8_t *buffer;
    ms_hasher *hasher;
    int assist;                      /* this worker's items are read by a helper thread */
    uint8_t *slots[MS_ASSIST_SLOTS]; /* the helper's ring, when assist */
} worker;

typedef struct engine {
    const ms_hash_job *job;
    int root_fd; /* the model directory, or -1 for a single-file model */
    size_t buffer_size;
    worker *workers;
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

static const char *root_path(const char *root, const char *rel, char *buf, size_t n)
{
    if (strcmp(rel, ".") == 0)
        snprintf(buf, n, "%s", root);
    else
        snprintf(buf, n, "%s/%s", root, rel);
    return buf;
}

static const char *display_path(const ms_hash_job *job, const ms_file_entry *e, char *buf, size_t n)
{
    return root_path(job->root, e->path, buf, n);
}

/* Identity, size, mtime and ctime as the walk (or the first fstat) saw them? */
static int same_file(const struct stat *st, const ms_file_entry *e)
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
static void wait_past_ctime(const struct stat *st)
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

static int changed_error_at(const char *root, const ms_file_entry *e, const struct stat *st,
                            const char *when, ms_error *err)
{
    char path[4200];
    root_path(root, e->path, path, sizeof path);
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
    return changed_error_at(job->root, e, st, when, err);
}

/* Read bytes [start, end) of `fd` and feed them to the worker's hasher. Returns 0, an errno value
 * (> 0) for a read error at *fail_off, or -1 when the file ended early (it shrank). */
static int hash_direct(engine *en, worker *w, int fd, const ms_hash_item *item, uint64_t *fail_off)
{
    uint64_t off = item->start;
    while (off < item->end) {
        uint64_t want64 = item->end - off;
        size_t want = want64 > en->buffer_size ? en->buffer_size : (size_t)want64;
        ssize_t n = pread(fd, w->buffer, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *fail_off = off;
            return n < 0 ? errno : -1;
        }
        ms_hasher_update(w->hasher, w->buffer, (size_t)n);
        off += (uint64_t)n;
        atomic_fetch_add_explicit(&en->bytes_done, (uint64_t)n, memory_order_relaxed);
    }
    return 0;
}

/* With a core to spare, a reader thread copies the next chunks out of the page cache while this
 * thread hashes the current one: the copy (and its memory stalls) leaves the hashing core. The
 * ring is MS_ASSIST_SLOTS chunks of MS_ASSIST_CHUNK bytes; the reader never gets further ahead. */
typedef struct assist_ring {
    worker *w;
    int fd;
    uint64_t start, end;
    size_t len[MS_ASSIST_SLOTS];
    atomic_int filled[MS_ASSIST_SLOTS];
    atomic_int stop;   /* the hasher gave up */
    atomic_int status; /* reader: 0, errno, or -1 for an early end of file */
    uint64_t fail_off;
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
            n = pread(r->fd, r->w->slots[slot], want, (off_t)off);
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

static int hash_assisted(engine *en, worker *w, int fd, const ms_hash_item *item,
                         uint64_t *fail_off)
{
    assist_ring r;
    pthread_t tid;
    memset(&r, 0, sizeof r);
    r.w = w;
    r.fd = fd;
    r.start = item->start;
    r.end = item->end;
    for (int k = 0; k < MS_ASSIST_SLOTS; k++)
        atomic_init(&r.filled[k], 0);
    atomic_init(&r.stop, 0);
    atomic_init(&r.status, 0);
    int result = 0;
    if (pthread_create(&tid, NULL, assist_reader, &r) != 0)
        return hash_direct(en, w, fd, item, fail_off);
    uint64_t off = item->start;
    for (size_t k = 0; off < item->end; k++) {
        size_t slot = k % MS_ASSIST_SLOTS;
        ring_wait(&r.filled[slot], 1, &r.status);
        if (!atomic_load_explicit(&r.filled[slot], memory_order_acquire)) {
            result = atomic_load(&r.status);
            *fail_off = r.fail_off;
            break;
        }
        size_t n = r.len[slot];
        ms_hasher_update(w->hasher, w->slots[slot], n);
        atomic_fetch_add_explicit(&en->bytes_done, (uint64_t)n, memory_order_relaxed);
        off += n;
        ring_set(&r.filled[slot], 0);
    }
    ring_set(&r.stop, 1);
    pthread_join(tid, NULL);
    return result;
}

static int hash_item(void *ctx, size_t index, unsigned worker_index, ms_error *err)
{
    engine *en = ctx;
    const ms_hash_job *job = en->job;
    ms_hash_item *item = &job->items[index];
    const ms_file_entry *e = &job->files->entries[item->file];
    worker *w = &en->workers[worker_index];
    char path[4200];
    struct stat st;
    int rc = 0;
    int fd;

    if (en->root_fd < 0)
        fd = open(job->root, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
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
    if (!same_file(&st, e)) {
        rc = changed_error(job, e, &st, "since it was listed", err);
        goto out;
    }
    wait_past_ctime(&st);
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
    if ((rc = ms_hasher_reset(w->hasher)) != 0) {
        rc = ms_error_set(err, rc, "hash initialisation failed");
        goto out;
    }
    uint64_t fail_off = 0;
    int read_status = w->assist ? hash_assisted(en, w, fd, item, &fail_off)
                                : hash_direct(en, w, fd, item, &fail_off);
    if (read_status > 0) {
        rc = ms_error_set(err, read_status == EISDIR ? MS_EINPUT : MS_EENV,
                          "%s: read error at offset %llu: %s",
                          display_path(job, e, path, sizeof path), (unsigned long long)fail_off,
                          strerror(read_status));
        goto out;
    }
    if (read_status < 0) {
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
    if (!same_file(&st, e)) {
        rc = changed_error(job, e, &st, "while hashing", err);
        goto out;
    }
    if (ms_hasher_final(w->hasher, item->digest) != 0)
        rc = ms_error_set(err, MS_EENV, "hash finalisation failed");
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

int ms_hash_run(const ms_hash_job *job, ms_error *err)
{
    engine en;
    int rc = 0;
    struct stat st;
    memset(&en, 0, sizeof en);
    en.job = job;
    en.root_fd = -1;
    en.buffer_size = job->buffer_size ? job->buffer_size : MS_HASH_DEFAULT_BUFFER;
    atomic_init(&en.bytes_done, 0);
    for (size_t i = 0; i < job->n_items; i++)
        en.bytes_total += job->items[i].end - job->items[i].start;

    unsigned threads = job->threads ? job->threads : ms_pool_default_threads();
    /* Cores beyond one per item become read-ahead helpers for large items. */
    int assist = job->n_items > 0 && (size_t)threads >= 2 * job->n_items;
    if ((size_t)threads > job->n_items)
        threads = job->n_items ? (unsigned)job->n_items : 1;

    if (stat(job->root, &st) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s", job->root, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        en.root_fd = open(job->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (en.root_fd < 0)
            return ms_error_set(err, MS_EINPUT, "%s: %s", job->root, strerror(errno));
    }
    en.workers = calloc(threads, sizeof *en.workers);
    if (!en.workers) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* Never allocate more than the largest item needs: small-file models stay small. */
    uint64_t largest = 0;
    for (size_t i = 0; i < job->n_items; i++) {
        uint64_t len = job->items[i].end - job->items[i].start;
        if (len > largest)
            largest = len;
    }
    if (largest < en.buffer_size)
        en.buffer_size = largest < 4096 ? 4096 : (size_t)largest;
    for (unsigned t = 0; t < threads; t++) {
        if (posix_memalign((void **)&en.workers[t].buffer, 4096, en.buffer_size) != 0)
            en.workers[t].buffer = NULL;
        en.workers[t].hasher = ms_hasher_new(job->algorithm);
        if (!en.workers[t].buffer || !en.workers[t].hasher) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (assist && largest >= 4 * MS_ASSIST_CHUNK) {
            en.workers[t].assist = 1;
            for (int k = 0; k < MS_ASSIST_SLOTS; k++) {
                if (posix_memalign((void **)&en.workers[t].slots[k], 4096, MS_ASSIST_CHUNK) != 0) {
                    en.workers[t].slots[k] = NULL;
                    rc = ms_error_nomem(err);
                    goto out;
                }
            }
        }
    }
    ms_pool_batch batch = {
        .threads = threads,
        .items = job->n_items,
        .fn = hash_item,
        .ctx = &en,
        .tick = job->progress ? engine_tick : NULL,
        .tick_ms = 200,
    };
    rc = ms_pool_run(&batch, err);
out:
    if (en.workers) {
        for (unsigned t = 0; t < threads; t++) {
            free(en.workers[t].buffer);
            for (int k = 0; k < MS_ASSIST_SLOTS; k++)
                free(en.workers[t].slots[k]);
            ms_hasher_free(en.workers[t].hasher);
        }
        free(en.workers);
    }
    if (en.root_fd >= 0)
        close(en.root_fd);
    return rc;
}

/* ---- the streaming engine ----------------------------------------------------------------- */

#define STREAM_DEFAULT_WINDOW 4096
#define STREAM_MAX_USER 256
#define STREAM_MAX_DIRS 128 /* directory descriptors held at once */
#define STREAM_MIN_BUFFER ((size_t)64 << 10)

enum { SLOT_QUEUED = 0, SLOT_DONE = 1 };

typedef struct stream_dir {
    int fd; /* a duplicate of the walk's directory descriptor */
    uint64_t serial;
    size_t refs; /* queued files, plus one while it is the current directory (adding thread) */
} stream_dir;

typedef struct stream_slot {
    char *path;       /* owned */
    const char *name; /* inside path */
    stream_dir *dir;  /* NULL: pass through */
    int64_t expect_size;
    int hashed;
    uint64_t size, nlink;
    uint8_t digest[MS_HASH_MAX_SIZE];
    atomic_int state;
} stream_slot;

typedef struct stream_worker {
    uint8_t *buf;
    size_t cap;
    ms_hasher *hasher;
} stream_worker;

struct ms_hash_stream {
    ms_hash_stream_options o;
    size_t window, buffer_size;
    stream_slot *slots;
    unsigned char *user;
    stream_worker *workers; /* [0] is the adding thread's */
    unsigned n_threads;     /* hashers: the adding thread and the workers */
    unsigned n_workers;     /* worker threads started */
    pthread_t *tids;
    size_t head, tail;        /* adding thread: next slot to fill / to hand back */
    char pad1[64];            /* the adding thread's fields and the shared counters: other lines */
    atomic_size_t published;  /* slots below this may be claimed */
    atomic_size_t next;       /* next slot to claim */
    atomic_int stop, failed;  /* failed: error holds the first failure */
    atomic_int idle, waiting; /* workers asleep on work_cv; adding thread asleep on done_cv */
    atomic_int noatime;       /* open with O_NOATIME (cleared when it is not allowed) */
    char pad2[64];
    pthread_mutex_t lock;
    pthread_cond_t work_cv, done_cv;
    ms_error error;
    stream_dir *cur; /* the directory of the last file added */
    size_t live_dirs;
};

static void stream_fail(ms_hash_stream *s, const ms_error *e)
{
    pthread_mutex_lock(&s->lock);
    if (!atomic_load(&s->failed)) {
        s->error = *e;
        atomic_store(&s->failed, 1);
    }
    atomic_store(&s->stop, 1);
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->lock);
}

static int stream_grow(stream_worker *w, size_t want, ms_error *err)
{
    if (want <= w->cap)
        return 0;
    size_t cap = want < STREAM_MIN_BUFFER ? STREAM_MIN_BUFFER : want;
    uint8_t *nb = NULL;
    if (posix_memalign((void **)&nb, 4096, cap) != 0)
        return ms_error_nomem(err);
    free(w->buf);
    w->buf = nb;
    w->cap = cap;
    return 0;
}

/* The quick way for a small file that has not been written to lately: one read to its end and
 * one fstat. It is done (returns 1, the digest in sl) when the read reached the end of the file
 * (a short read), the file is regular, its size is the bytes read, and its ctime (and mtime) is
 * older than `t0` (taken before the open) by STREAM_QUIET_SECONDS. Otherwise 0: take the careful
 * way.
 *
 * Why that proves the bytes read are the file's: the fstat comes after the read, and any write
 * or truncation between the open and that fstat would have set ctime to the time of writing,
 * which is after t0 (ctime comes from the same real-time clock, to a tick, far below the
 * margin). mtime alone proves nothing: a writer can put it back with futimens, but doing so
 * sets ctime to the present too, and nothing in user space sets ctime back. (Changing the
 * system clock needs privilege, and a privileged writer could change the file after we return
 * anyway.) */
#define STREAM_QUIET_SECONDS 2
static int stream_quick(ms_hash_stream *s, stream_worker *w, stream_slot *sl, int fd,
                        const struct timespec *t0, ms_error *err)
{
    struct stat st;
    ssize_t n;
    if (stream_grow(w, STREAM_MIN_BUFFER, err) != 0)
        return err->code;
    do {
        n = pread(fd, w->buf, w->cap, 0);
    } while (n < 0 && errno == EINTR);
    if (s->o.after_read)
        s->o.after_read(s->o.after_read_ctx, fd);
    if (n < 0 || (size_t)n == w->cap || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        (uint64_t)st.st_size != (uint64_t)n ||
        st.st_mtim.tv_sec >= t0->tv_sec - STREAM_QUIET_SECONDS ||
        st.st_ctim.tv_sec >= t0->tv_sec - STREAM_QUIET_SECONDS)
        return 0;
    sl->size = (uint64_t)n;
    sl->nlink = (uint64_t)st.st_nlink;
    if (sl->expect_size >= 0 && (uint64_t)sl->expect_size != sl->size)
        return 1; /* not hashed: the caller knows it differs */
    if (ms_hasher_reset(w->hasher) != 0 || ms_hasher_update(w->hasher, w->buf, (size_t)n) != 0 ||
        ms_hasher_final(w->hasher, sl->digest) != 0)
        return ms_error_set(err, MS_EENV, "hashing failed");
    sl->hashed = 1;
    return 1;
}

/* Hash one file: open it in its directory; the quick way, or: check it, read it, check it
 * again. */
static int stream_hash(ms_hash_stream *s, stream_worker *w, stream_slot *sl, ms_error *err)
{
    char path[4200];
    struct stat st, now;
    struct timespec t0;
    ms_file_entry before;
    int rc = 0;
    clock_gettime(CLOCK_REALTIME_COARSE, &t0); /* at most a tick behind: only safer */
    int flags = O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
    int fd = openat(sl->dir->fd, sl->name, flags | (atomic_load(&s->noatime) ? O_NOATIME : 0));
    if (fd < 0 && errno == EPERM && atomic_load(&s->noatime)) {
        /* O_NOATIME is for the file's owner: reading others' files updates atime as usual */
        atomic_store(&s->noatime, 0);
        fd = openat(sl->dir->fd, sl->name, flags);
    }
    if (fd < 0) {
        int e = errno;
        int code = (e == EACCES || e == ENOENT || e == ELOOP || e == ENXIO) ? MS_EINPUT : MS_EENV;
        return ms_error_set(err, code, "%s: cannot open: %s",
                            root_path(s->o.root, sl->path, path, sizeof path),
                            e == ELOOP ? "replaced by a symbolic link" : strerror(e));
    }
    if ((rc = stream_quick(s, w, sl, fd, &t0, err)) != 0) {
        rc = rc == 1 ? 0 : rc;
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", root_path(s->o.root, sl->path, path, sizeof path),
                          strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: is not a regular file",
                          root_path(s->o.root, sl->path, path, sizeof path));
        goto out;
    }
    sl->size = (uint64_t)st.st_size;
    sl->nlink = (uint64_t)st.st_nlink;
    if (sl->expect_size >= 0 && (uint64_t)sl->expect_size != sl->size)
        goto out; /* not hashed: the caller knows it differs */
    memset(&before, 0, sizeof before);
    before.path = sl->path;
    before.size = sl->size;
    before.mtime_sec = st.st_mtim.tv_sec;
    before.mtime_nsec = st.st_mtim.tv_nsec;
    before.ctime_sec = st.st_ctim.tv_sec;
    before.ctime_nsec = st.st_ctim.tv_nsec;
    wait_past_ctime(&st);
    before.dev = (uint64_t)st.st_dev;
    before.ino = (uint64_t)st.st_ino;
    size_t want_buf = sl->size < s->buffer_size ? (size_t)sl->size : s->buffer_size;
    if ((rc = stream_grow(w, want_buf, err)) != 0)
        goto out;
    if (sl->size > s->buffer_size)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (ms_hasher_reset(w->hasher) != 0) {
        rc = ms_error_set(err, MS_EENV, "hash initialisation failed");
        goto out;
    }
    for (uint64_t off = 0; off < sl->size;) {
        uint64_t left = sl->size - off;
        size_t want = left > w->cap ? w->cap : (size_t)left;
        ssize_t n = pread(fd, w->buf, want, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ms_error_set(err, errno == EISDIR ? MS_EINPUT : MS_EENV,
                              "%s: read error at offset %llu: %s",
                              root_path(s->o.root, sl->path, path, sizeof path),
                              (unsigned long long)off, strerror(errno));
            goto out;
        }
        if (n == 0) { /* it shrank */
            if (fstat(fd, &now) != 0)
                now = st;
            rc = changed_error_at(s->o.root, &before, &now, "while hashing", err);
            goto out;
        }
        ms_hasher_update(w->hasher, w->buf, (size_t)n);
        off += (uint64_t)n;
        if (s->o.after_read)
            s->o.after_read(s->o.after_read_ctx, fd);
    }
    if (fstat(fd, &now) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s", root_path(s->o.root, sl->path, path, sizeof path),
                          strerror(errno));
        goto out;
    }
    if (!same_file(&now, &before)) {
        rc = changed_error_at(s->o.root, &before, &now, "while hashing", err);
        goto out;
    }
    if (ms_hasher_final(w->hasher, sl->digest) != 0) {
        rc = ms_error_set(err, MS_EENV, "hash finalisation failed");
        goto out;
    }
    sl->hashed = 1;
out:
    close(fd);
    return rc;
}

/* Claim and hash one queued slot. 1 when one was hashed, 0 when none was queued, or an error. */
#define STREAM_CLAIM 4 /* slots claimed at once: fewer trips to the shared counter */
static int stream_work_one(ms_hash_stream *s, stream_worker *w, ms_error *err)
{
    size_t i = atomic_load(&s->next), k;
    for (;;) {
        size_t pub = atomic_load(&s->published);
        if (i >= pub || atomic_load_explicit(&s->stop, memory_order_relaxed))
            return 0;
        k = pub - i < STREAM_CLAIM ? pub - i : STREAM_CLAIM;
        if (atomic_compare_exchange_weak(&s->next, &i, i + k))
            break;
    }
    for (size_t j = i; j < i + k; j++) {
        stream_slot *sl = &s->slots[j % s->window];
        if (sl->dir) {
            int rc = stream_hash(s, w, sl, err);
            if (rc != 0)
                return rc;
        }
        atomic_store(&sl->state, SLOT_DONE);
        if (atomic_load(&s->waiting)) {
            pthread_mutex_lock(&s->lock);
            pthread_cond_signal(&s->done_cv);
            pthread_mutex_unlock(&s->lock);
        }
    }
    return 1;
}

typedef struct stream_arg {
    ms_hash_stream *s;
    unsigned index;
} stream_arg;

static void *stream_worker_main(void *p)
{
    stream_arg *a = p;
    ms_hash_stream *s = a->s;
    stream_worker *w = &s->workers[a->index];
    ms_error e;
    ms_error_clear(&e);
    while (!atomic_load(&s->stop)) {
        int rc = stream_work_one(s, w, &e);
        if (rc < 0) {
            stream_fail(s, &e);
            break;
        }
        if (rc == 1)
            continue;
        pthread_mutex_lock(&s->lock);
        atomic_fetch_add(&s->idle, 1);
        while (!atomic_load(&s->stop) && atomic_load(&s->next) >= atomic_load(&s->published))
            pthread_cond_wait(&s->work_cv, &s->lock);
        atomic_fetch_sub(&s->idle, 1);
        pthread_mutex_unlock(&s->lock);
    }
    free(a);
    return NULL;
}

static void stream_dir_release(ms_hash_stream *s, stream_dir *d)
{
    if (d && --d->refs == 0) {
        close(d->fd);
        free(d);
        s->live_dirs--;
    }
}

/* Hand the oldest slot to the callback and free it. */
static int stream_consume(ms_hash_stream *s, ms_error *err)
{
    stream_slot *sl = &s->slots[s->tail % s->window];
    ms_hash_stream_file f = {
        .path = sl->path,
        .hashed = sl->hashed,
        .size = sl->size,
        .nlink = sl->nlink,
        .digest = sl->digest,
        .user = s->o.user_size ? s->user + (s->tail % s->window) * s->o.user_size : NULL,
    };
    int rc = s->o.done ? s->o.done(s->o.ctx, &f, err) : 0;
    free(sl->path);
    sl->path = NULL;
    stream_dir_release(s, sl->dir);
    sl->dir = NULL;
    atomic_store(&sl->state, SLOT_QUEUED);
    s->tail++;
    return rc;
}

static int stream_failed(ms_hash_stream *s, ms_error *err)
{
    pthread_mutex_lock(&s->lock);
    ms_error e = s->error;
    pthread_mutex_unlock(&s->lock);
    if (err)
        *err = e;
    return e.code ? e.code : MS_EENV;
}

/* Conditions to drain until. */
static int stream_has_room(const ms_hash_stream *s)
{
    return s->head - s->tail < s->window;
}

static int stream_few_dirs(const ms_hash_stream *s)
{
    return s->live_dirs < STREAM_MAX_DIRS;
}

static int stream_never(const ms_hash_stream *s)
{
    (void)s;
    return 0;
}

/* Hand back finished slots at the tail. Without `until`, stop at the first unfinished one;
 * with it, wait for the unfinished ones (hashing queued ones on this thread meanwhile) until
 * until(s) holds or every slot is handed back. */
static int stream_drain(ms_hash_stream *s, int (*until)(const ms_hash_stream *), ms_error *err)
{
    while (s->tail < s->head) {
        if (atomic_load(&s->failed))
            return stream_failed(s, err);
        if (until && until(s))
            return 0;
        stream_slot *sl = &s->slots[s->tail % s->window];
        if (atomic_load(&sl->state) == SLOT_DONE) {
            int rc = stream_consume(s, err);
            if (rc != 0) {
                stream_fail(s, err);
                return rc;
            }
            continue;
        }
        if (!until)
            return 0;
        int rc = stream_work_one(s, &s->workers[0], err);
        if (rc < 0) {
            stream_fail(s, err);
            return rc;
        }
        if (rc == 1)
            continue;
        /* Everything queued is being hashed: sleep until a worker finishes one. */
        pthread_mutex_lock(&s->lock);
        atomic_store(&s->waiting, 1);
        while (atomic_load(&sl->state) != SLOT_DONE && !atomic_load(&s->failed))
            pthread_cond_wait(&s->done_cv, &s->lock);
        atomic_store(&s->waiting, 0);
        pthread_mutex_unlock(&s->lock);
    }
    return atomic_load(&s->failed) ? stream_failed(s, err) : 0;
}

ms_hash_stream *ms_hash_stream_new(const ms_hash_stream_options *opts, ms_error *err)
{
    ms_hash_stream *s = NULL;
    int ok = 0;
    if (opts->user_size > STREAM_MAX_USER) {
        ms_error_set(err, MS_EINPUT, "hash stream: user data over %d bytes", STREAM_MAX_USER);
        return NULL;
    }
    if (!(s = calloc(1, sizeof *s)))
        goto out;
    s->o = *opts;
    s->window = opts->window ? opts->window : STREAM_DEFAULT_WINDOW;
    s->buffer_size = opts->buffer_size ? opts->buffer_size : MS_HASH_DEFAULT_BUFFER;
    atomic_init(&s->published, 0);
    atomic_init(&s->next, 0);
    atomic_init(&s->stop, 0);
    atomic_init(&s->failed, 0);
    atomic_init(&s->idle, 0);
    atomic_init(&s->waiting, 0);
    atomic_init(&s->noatime, 1);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    unsigned threads = opts->threads ? opts->threads : ms_pool_default_threads();
    s->n_threads = threads;
    if (!(s->slots = calloc(s->window, sizeof *s->slots)) ||
        (opts->user_size && !(s->user = calloc(s->window, opts->user_size))) ||
        !(s->workers = calloc(threads, sizeof *s->workers)) ||
        !(s->tids = calloc(threads, sizeof *s->tids)))
        goto out;
    for (size_t i = 0; i < s->window; i++)
        atomic_init(&s->slots[i].state, SLOT_QUEUED);
    for (unsigned t = 0; t < threads; t++) {
        if (!(s->workers[t].hasher = ms_hasher_new(opts->algorithm)))
            goto out;
    }
    /* workers[0] belongs to the adding thread; the others get a thread each. */
    for (unsigned t = 1; t < threads; t++) {
        stream_arg *a = malloc(sizeof *a);
        if (!a)
            break;
        a->s = s;
        a->index = t;
        if (pthread_create(&s->tids[s->n_workers], NULL, stream_worker_main, a) != 0) {
            free(a);
            break; /* go on with the threads there are: the adding thread hashes too */
        }
        s->n_workers++;
    }
    ok = 1;
out:
    if (!ok) {
        ms_hash_stream_free(s);
        s = NULL;
        ms_error_nomem(err);
    }
    return s;
}

int ms_hash_stream_add(ms_hash_stream *s, const ms_file_entry *e, int hash, int64_t expect_size,
                       const void *user, ms_error *err)
{
    int rc;
    if (atomic_load(&s->failed))
        return stream_failed(s, err);
    if (hash && (e->dir_fd < 0 || !e->name))
        return ms_error_set(err, MS_EINPUT, "%s: cannot be hashed in a stream (no directory)",
                            e->path);
    /* A new directory: hold a duplicate of its descriptor while its files are queued. */
    if (hash && (!s->cur || s->cur->serial != e->dir_serial)) {
        stream_dir_release(s, s->cur);
        s->cur = NULL;
        if ((rc = stream_drain(s, stream_few_dirs, err)) != 0)
            return rc;
        stream_dir *d = calloc(1, sizeof *d);
        if (!d)
            return ms_error_nomem(err);
        d->fd = fcntl(e->dir_fd, F_DUPFD_CLOEXEC, 0);
        if (d->fd < 0) {
            free(d);
            return ms_error_set(err, MS_EENV, "%s: cannot hold its directory open: %s", e->path,
                                strerror(errno));
        }
        d->serial = e->dir_serial;
        d->refs = 1;
        s->live_dirs++;
        s->cur = d;
    }
    /* Room for one more. */
    if ((rc = stream_drain(s, stream_has_room, err)) != 0)
        return rc;
    stream_slot *sl = &s->slots[s->head % s->window];
    size_t plen = strlen(e->path);
    if (!(sl->path = malloc(plen + 1)))
        return ms_error_nomem(err);
    memcpy(sl->path, e->path, plen + 1);
    sl->name = hash ? sl->path + plen - strlen(e->name) : NULL;
    sl->dir = hash ? s->cur : NULL;
    if (sl->dir)
        sl->dir->refs++;
    sl->expect_size = expect_size;
    sl->hashed = 0;
    sl->size = sl->nlink = 0;
    if (s->o.user_size) {
        unsigned char *u = s->user + (s->head % s->window) * s->o.user_size;
        if (user)
            memcpy(u, user, s->o.user_size);
        else
            memset(u, 0, s->o.user_size);
    }
    s->head++;
    if (s->n_workers == 0) {
        /* No worker threads: hash it now, on this thread. */
        atomic_store(&s->published, s->head);
        if ((rc = stream_work_one(s, &s->workers[0], err)) < 0) {
            stream_fail(s, err);
            return rc;
        }
        return stream_drain(s, NULL, err);
    }
    atomic_store(&s->published, s->head);
    if (atomic_load(&s->idle)) {
        pthread_mutex_lock(&s->lock);
        pthread_cond_signal(&s->work_cv);
        pthread_mutex_unlock(&s->lock);
    }
    return stream_drain(s, NULL, err);
}

int ms_hash_stream_finish(ms_hash_stream *s, ms_error *err)
{
    int rc = stream_drain(s, stream_never, err);
    if (rc == 0) {
        stream_dir_release(s, s->cur);
        s->cur = NULL;
    }
    return rc;
}

void ms_hash_stream_free(ms_hash_stream *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    atomic_store(&s->stop, 1);
    pthread_cond_broadcast(&s->work_cv);
    pthread_mutex_unlock(&s->lock);
    for (unsigned t = 0; t < s->n_workers; t++)
        pthread_join(s->tids[t], NULL);
    if (s->slots) {
        for (; s->tail < s->head; s->tail++) {
            stream_slot *sl = &s->slots[s->tail % s->window];
            free(sl->path);
            stream_dir_release(s, sl->dir);
        }
    }
    stream_dir_release(s, s->cur);
    if (s->workers) {
        for (unsigned t = 0; t < s->n_threads; t++) {
            free(s->workers[t].buf);
            ms_hasher_free(s->workers[t].hasher);
        }
    }
    free(s->workers);
    free(s->tids);
    free(s->slots);
    free(s->user);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    free(s);
}
