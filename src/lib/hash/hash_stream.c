/* The streaming engine (ms_hash_stream): hashes files while a walk is still finding them, for
 * dataset manifests of millions of small files, where system calls are nearly all the cost:
 * each file is opened by name in its directory's descriptor (one path component), and a small
 * file not written to for a while costs open, one pread, one fstat and close. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "hash_internal.h"
#include "modelseal/hash.h"
#include "util/pool.h"

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
    int lfs_like; /* begins like a git LFS pointer (ms_hash_stream_file.lfs_like) */
    uint64_t size, nlink;
    uint8_t digest[MS_HASH_MAX_SIZE];
    atomic_int state;
} stream_slot;

/* Whether `n` bytes that are a whole file begin like a git LFS pointer. */
static int lfs_like(const uint8_t *data, size_t n)
{
    size_t vl = sizeof MS_HASH_LFS_VERSION - 1;
    return n > vl && n <= MS_HASH_LFS_MAX && memcmp(data, MS_HASH_LFS_VERSION, vl) == 0;
}

struct ms_hash_stream {
    ms_hash_stream_options o;
    size_t window, buffer_size;
    stream_slot *slots;
    unsigned char *user;
    hash_worker *workers; /* [0] is the adding thread's */
    unsigned n_threads;   /* hashers: the adding thread and the workers */
    unsigned n_workers;   /* worker threads started */
    pthread_t *tids;
    size_t head, tail;        /* adding thread: next slot to fill / to hand back */
    char pad1[64];            /* the adding thread's fields and the shared counters: other lines */
    atomic_size_t published;  /* slots below this may be claimed */
    atomic_size_t next;       /* next slot to claim */
    atomic_int stop, failed;  /* failed: error holds the first failure */
    atomic_int idle, waiting; /* workers asleep on work_cv; adding thread asleep on done_cv */
    atomic_int noatime;       /* open with O_NOATIME (cleared when it is not allowed) */
    atomic_int tree_busy;     /* a file is being hashed as BLAKE3 subtrees (one at a time) */
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

static int stream_grow(hash_worker *w, size_t want, ms_error *err)
{
    if (want <= w->cap)
        return 0;
    return hash_worker_grow(w, want < STREAM_MIN_BUFFER ? STREAM_MIN_BUFFER : want, err);
}

/* The test's writer window after each read (ms_hash_stream_options.after_read). */
typedef struct after_read_arg {
    const ms_hash_stream_options *o;
    int fd;
    stream_slot *sl;
} after_read_arg;

static void call_after_read(void *ctx)
{
    after_read_arg *a = ctx;
    a->o->after_read(a->o->after_read_ctx, a->fd);
}

static int store_digest(void *ctx, size_t k, const uint8_t *digest)
{
    after_read_arg *a = ctx;
    (void)k;
    memcpy(a->sl->digest, digest, ms_hash_size(a->o->algorithm));
    return 0;
}

#if HASH_B3_TREE
/* BLAKE3: a file longer than a piece (4 x the read buffer, rounded down to a power of two: 16 MiB
 * by default) is cut into subtrees of BLAKE3's own tree (hash_b3_cut), which a batch of
 * s->n_threads threads (hash_batch_run) hashes from the file's open descriptor, each piece to its
 * chaining value; hash_b3_join makes the file's digest from them: one large file on every core,
 * as the batch engine does. The checks before and after are stream_hash's, around the whole. */
typedef struct stream_tree {
    ms_hash_stream *s;
    int fd;
    after_read_arg *ar;
    const uint64_t *starts;   /* n + 1 */
    uint8_t *cvs;             /* n x 32 */
    hash_feed_job *fails;     /* n: each piece's feed, for its status */
    hash_feed_status *status; /* n */
} stream_tree;

static int store_cv(void *ctx, size_t k, const uint8_t *digest)
{
    (void)k;
    memcpy(ctx, digest, BLAKE3_OUT_LEN);
    return 0;
}

static int stream_tree_piece(void *ctx, size_t i, unsigned worker_index, hash_worker *w,
                             ms_error *err)
{
    stream_tree *t = ctx;
    (void)worker_index;
    hash_b3_piece(w->hasher, t->starts[i] / 1024);
    hash_feed_job *f = &t->fails[i];
    *f = (hash_feed_job){.read = hash_read_fd,
                         .src = &t->fd,
                         .start = t->starts[i],
                         .end = t->starts[i + 1],
                         .digest = store_cv,
                         .ctx = t->cvs + i * BLAKE3_OUT_LEN,
                         .after_read = t->s->o.after_read ? call_after_read : NULL,
                         .after_read_ctx = t->ar};
    t->status[i] = hash_feed(w, f);
    /* any code stops the batch; stream_tree_feed reports the piece's status */
    return t->status[i] == HASH_FEED_OK ? 0 : ms_error_set(err, MS_EINPUT, "piece failed");
}

/* Hash [0, size) of `fd` as pieces on threads into sl->digest; the first failing piece's status
 * (fail_off, read_errno in *f), or HASH_FEED_HASH for memory or threads (err set). */
static hash_feed_status stream_tree_feed(ms_hash_stream *s, stream_slot *sl, int fd,
                                         after_read_arg *ar, hash_feed_job *f, ms_error *err)
{
    hash_feed_status fs = HASH_FEED_HASH;
    size_t n = hash_b3_cut(sl->size, s->buffer_size, NULL);
    uint64_t *starts = calloc(n + 1, sizeof *starts), *firsts = calloc(n, sizeof *firsts);
    uint8_t *cvs = calloc(n, BLAKE3_OUT_LEN);
    hash_feed_job *fails = calloc(n, sizeof *fails);
    hash_feed_status *status = calloc(n, sizeof *status);
    if (!starts || !firsts || !cvs || !fails || !status) {
        ms_error_nomem(err);
        goto out;
    }
    hash_b3_cut(sl->size, s->buffer_size, starts);
    stream_tree t = {s, fd, ar, starts, cvs, fails, status};
    hash_batch b = {.algorithm = MS_HASH_BLAKE3,
                    .threads = s->n_threads,
                    .items = n,
                    .buffer_size = s->buffer_size,
                    .fn = stream_tree_piece,
                    .ctx = &t};
    ms_error e;
    ms_error_clear(&e);
    int rc = hash_batch_run(&b, &e);
    for (size_t i = 0; i < n; i++) {
        if (status[i] != HASH_FEED_OK) { /* the earliest failing piece */
            fs = status[i];
            f->fail_off = fails[i].fail_off;
            f->read_errno = fails[i].read_errno;
            goto out;
        }
    }
    if (rc != 0) { /* no piece failed: memory or threads */
        *err = e;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        firsts[i] = starts[i] / 1024;
    if (hash_b3_join(cvs, firsts, n, sl->digest) != 0) {
        ms_error_set(err, MS_EENV, "BLAKE3: cannot join the pieces of a file");
        goto out;
    }
    fs = HASH_FEED_OK;
out:
    free(starts);
    free(firsts);
    free(cvs);
    free(fails);
    free(status);
    return fs;
}
#endif

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
static int stream_quick(ms_hash_stream *s, hash_worker *w, stream_slot *sl, int fd,
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
    sl->lfs_like = lfs_like(w->buf, (size_t)n);
    sl->hashed = 1;
    return 1;
}

/* Hash one file: open it in its directory; the quick way, or: check it, read it, check it
 * again. */
static int stream_hash(ms_hash_stream *s, hash_worker *w, stream_slot *sl, ms_error *err)
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
                            hash_root_path(s->o.root, sl->path, path, sizeof path),
                            e == ELOOP ? "replaced by a symbolic link" : strerror(e));
    }
    if ((rc = stream_quick(s, w, sl, fd, &t0, err)) != 0) {
        rc = rc == 1 ? 0 : rc;
        goto out;
    }
    if (fstat(fd, &st) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s",
                          hash_root_path(s->o.root, sl->path, path, sizeof path), strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: is not a regular file",
                          hash_root_path(s->o.root, sl->path, path, sizeof path));
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
    hash_wait_past_ctime(&st);
    before.dev = (uint64_t)st.st_dev;
    before.ino = (uint64_t)st.st_ino;
    if (sl->size > s->buffer_size)
        posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    after_read_arg ar = {&s->o, fd, sl};
    hash_feed_job f = {.read = hash_read_fd,
                       .src = &fd,
                       .start = 0,
                       .end = sl->size,
                       .digest = store_digest,
                       .ctx = &ar,
                       .after_read = s->o.after_read ? call_after_read : NULL,
                       .after_read_ctx = &ar};
    hash_feed_status fs;
    ms_error_clear(err);
#if HASH_B3_TREE
    /* A large BLAKE3 file is cut into subtrees hashed by n_threads threads of their own; one
     * file at a time, so that workers meeting large files together do not start n_threads
     * each. The others hash theirs in one go: the digest is the same either way. */
    int tree = 0, idle = 0;
    if (s->o.algorithm == MS_HASH_BLAKE3 && s->n_threads > 1 &&
        hash_b3_cut(sl->size, s->buffer_size, NULL) > 1)
        tree = atomic_compare_exchange_strong(&s->tree_busy, &idle, 1);
    if (tree) {
        fs = stream_tree_feed(s, sl, fd, &ar, &f, err);
        atomic_store(&s->tree_busy, 0);
    } else
#endif
    {
        /* the buffer is only needed here: subtrees are read into the batch's own buffers */
        size_t want_buf = sl->size < s->buffer_size ? (size_t)sl->size : s->buffer_size;
        if ((rc = stream_grow(w, want_buf, err)) != 0)
            goto out;
        fs = hash_feed(w, &f);
    }
    if (fs == HASH_FEED_HASH) {
        rc = err->code ? err->code : ms_error_set(err, MS_EENV, "hash initialisation failed");
        goto out;
    }
    if (fs == HASH_FEED_READ) {
        rc = ms_error_set(err, f.read_errno == EISDIR ? MS_EINPUT : MS_EENV,
                          "%s: read error at offset %llu: %s",
                          hash_root_path(s->o.root, sl->path, path, sizeof path),
                          (unsigned long long)f.fail_off, strerror(f.read_errno));
        goto out;
    }
    if (fs == HASH_FEED_SHORT) { /* it shrank */
        if (fstat(fd, &now) != 0)
            now = st;
        rc = hash_changed_error_at(s->o.root, &before, &now, "while hashing", err);
        goto out;
    }
    if (fstat(fd, &now) != 0) {
        rc = ms_error_set(err, MS_EENV, "%s: %s",
                          hash_root_path(s->o.root, sl->path, path, sizeof path), strerror(errno));
        goto out;
    }
    if (!hash_same_file(&now, &before)) {
        rc = hash_changed_error_at(s->o.root, &before, &now, "while hashing", err);
        goto out;
    }
    if (sl->size <= MS_HASH_LFS_MAX) { /* the careful way: a look at its first bytes */
        uint8_t head[sizeof MS_HASH_LFS_VERSION];
        ssize_t n = pread(fd, head, sizeof head, 0);
        sl->lfs_like = n == (ssize_t)sizeof head && lfs_like(head, (size_t)sl->size);
    }
    sl->hashed = 1;
out:
    close(fd);
    return rc;
}

/* Claim and hash one queued slot. 1 when one was hashed, 0 when none was queued, or an error. */
#define STREAM_CLAIM 4 /* slots claimed at once: fewer trips to the shared counter */
static int stream_work_one(ms_hash_stream *s, hash_worker *w, ms_error *err)
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
    hash_worker *w = &s->workers[a->index];
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
        .lfs_like = sl->lfs_like,
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

ms_hash_stream *hash_stream_new(const ms_hash_stream_options *opts, ms_error *err)
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
    atomic_init(&s->tree_busy, 0);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->work_cv, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    unsigned threads = opts->threads ? opts->threads : msx_pool_default_threads();
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
        hash_stream_free(s);
        s = NULL;
        ms_error_nomem(err);
    }
    return s;
}

int hash_stream_add(ms_hash_stream *s, const ms_file_entry *e, int hash, int64_t expect_size,
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
    /* A Hugging Face snapshot's link is opened by its blob's name, kept after the path. */
    size_t nlen = e->hf_blob && hash ? strlen(e->name) + 1 : 0;
    if (!(sl->path = malloc(plen + 1 + nlen)))
        return ms_error_nomem(err);
    memcpy(sl->path, e->path, plen + 1);
    if (nlen)
        memcpy(sl->path + plen + 1, e->name, nlen);
    sl->name = !hash ? NULL : nlen ? sl->path + plen + 1 : sl->path + plen - strlen(e->name);
    sl->dir = hash ? s->cur : NULL;
    if (sl->dir)
        sl->dir->refs++;
    sl->expect_size = expect_size;
    sl->hashed = 0;
    sl->lfs_like = 0;
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

int hash_stream_finish(ms_hash_stream *s, ms_error *err)
{
    int rc = stream_drain(s, stream_never, err);
    if (rc == 0) {
        stream_dir_release(s, s->cur);
        s->cur = NULL;
    }
    return rc;
}

void hash_stream_free(ms_hash_stream *s)
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
            hash_worker_clear(&s->workers[t]);
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
