/* The hashing engines (internal to the library, not installed): the parallel, chunked engine
 * (hash_run) and the streaming engine (ms_hash_stream_*).
 *
 * The engine hashes work items (whole files or byte ranges of files) on a fixed pool of
 * threads, each reading with pread into its own buffer: memory is O(threads x buffer) for any
 * model size. A file whose identity, size, mtime or ctime differs from what the walk saw, before
 * or after hashing, is an error rather than a digest of mixed bytes. */
#ifndef MODELSEAL_HASH_ENGINE_H
#define MODELSEAL_HASH_ENGINE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hash/walk.h"
#include "modelseal/error.h"
#include "modelseal/hash.h"

/* One unit of work: bytes [start, end) of files->entries[file]. */
typedef struct ms_hash_item {
    size_t file;
    uint64_t start;
    uint64_t end;
    uint8_t digest[MS_HASH_MAX_SIZE]; /* filled by hash_run */
} ms_hash_item;

typedef struct ms_hash_job {
    const char *root;          /* the model path given to msx_walk */
    const ms_file_list *files; /* from msx_walk */
    ms_hash_item *items;       /* in/out */
    size_t n_items;
    ms_hash_algorithm algorithm;
    unsigned threads;             /* 0: online CPUs */
    size_t buffer_size;           /* 0: MS_HASH_DEFAULT_BUFFER */
    ms_hash_progress_fn progress; /* optional, called on the calling thread */
    void *progress_ctx;
    /* Optional: called on a hashing thread with the bytes of each item that is a whole file of
     * at most MS_HASH_LFS_MAX bytes beginning like a git LFS pointer (MS_HASH_LFS_VERSION),
     * once they are hashed and the file proved unchanged (so git LFS pointers are found from
     * the one read that hashes them; other files cost a comparison of their first bytes). Items
     * of distinct files may be handed over at once, on different threads. */
    void (*lfs_check)(void *lfs_ctx, size_t item, const uint8_t *data, size_t len);
    void *lfs_ctx;
} ms_hash_job;

/* Hash every item. Returns 0, MS_EINPUT (a file vanished, changed, or is not what the walk saw),
 * MS_EENV (read error) or MS_ENOMEM. */
int hash_run(const ms_hash_job *job, ms_error *err);

/* ---- streaming: hash files as a walk finds them ---------------------------------------------
 *
 * Files are added in walk order, hashed on worker threads while the walk goes on, and handed
 * back to a callback on the adding thread in the order they were added. At most `window` files
 * are in flight; when the window is full, adding waits for the oldest file, and the adding
 * thread hashes queued files itself meanwhile, so walking, hashing and consuming share the
 * cores. Each file is opened relative to its directory (the walk's dir_fd, duplicated while
 * needed) with O_NOFOLLOW | O_NONBLOCK; its size, identity, mtime and ctime come from the open
 * file, and a file whose size, identity, mtime or ctime differ after hashing is an error. A small
 * file read in one go with no fstat before it must have a ctime and an mtime older than the open
 * by two seconds. With BLAKE3 and more than one thread, a file longer than 4 x buffer_size is
 * hashed as subtrees of BLAKE3's tree on `threads` threads at once (as hash_run does). */
typedef struct ms_hash_stream ms_hash_stream;

typedef struct ms_hash_stream_file {
    const char *path;      /* as added */
    int hashed;            /* 0: added with hash = 0, or the size differed from expect_size */
    uint64_t size;         /* hashed: the file's size */
    uint64_t nlink;        /* hashed: its hard link count (above 1: it has other names) */
    const uint8_t *digest; /* hashed: ms_hash_size(algorithm) bytes */
    const void *user;      /* the user_size bytes given to hash_stream_add */
    /* hashed: 1 when the file has at most MS_HASH_LFS_MAX bytes and begins like a git LFS
     * pointer ("version https://git-lfs.github.com/spec/v1\n"), for the caller to look closer */
    int lfs_like;
} ms_hash_stream_file;

#define MS_HASH_LFS_VERSION "version https://git-lfs.github.com/spec/v1\n"
#define MS_HASH_LFS_MAX 1024

/* Called on the adding thread, once per file, in the order added. 0 or an MS_E* code. */
typedef int (*ms_hash_stream_fn)(void *ctx, const ms_hash_stream_file *file, ms_error *err);

typedef struct ms_hash_stream_options {
    const char *root; /* the directory walked (for messages) */
    ms_hash_algorithm algorithm;
    unsigned threads;   /* threads hashing, the adding thread included; 0: online CPUs */
    size_t window;      /* files in flight; 0: 4096 */
    size_t buffer_size; /* the most each thread reads at once; 0: MS_HASH_DEFAULT_BUFFER */
    size_t user_size;   /* bytes of caller data carried with each file (at most 256) */
    ms_hash_stream_fn done;
    void *ctx;
    /* For tests (NULL otherwise): called on a hashing thread with each file's descriptor after
     * each read, before the fstat that checks the file did not change (a writer's window). */
    void (*after_read)(void *after_read_ctx, int fd);
    void *after_read_ctx;
} ms_hash_stream_options;

/* NULL with err set (MS_EINPUT for bad options, MS_ENOMEM, MS_EENV when no thread starts). */
ms_hash_stream *hash_stream_new(const ms_hash_stream_options *opts, ms_error *err);

/* Add one file found by msx_walk (it needs e->path, and with `hash`, e->dir_fd and e->name; an
 * entry with dir_fd < 0 cannot be hashed). With hash = 0 the file is only passed through, in
 * order, to the callback. With expect_size >= 0 a file of another size is not read (hashed = 0,
 * size set). `user` (opts->user_size bytes, may be NULL) is copied. May call the callback for
 * earlier files. 0 or the first error of a file or of the callback. */
int hash_stream_add(ms_hash_stream *s, const ms_file_entry *e, int hash, int64_t expect_size,
                    const void *user, ms_error *err);

/* Wait for every file added and hand the rest to the callback. 0 or the first error. */
int hash_stream_finish(ms_hash_stream *s, ms_error *err);

/* Stop the workers (abandoning files not yet handed back) and free. Accepts NULL. */
void hash_stream_free(ms_hash_stream *s);

/* ---- the worker core: what every engine hashes with ------------------------------------------
 *
 * The batch engine (hash_run), the streaming engine (ms_hash_stream_*) and lineage's hashing
 * of git blobs all hash through this: a worker (a hasher and a read buffer) feeds the bytes of
 * one item from a source to its hasher (hash_feed), and a batch of items runs on a fixed set of
 * workers (hash_batch_run). A source is a callback, so bytes come from a file, a git object
 * stream or memory alike. Nothing here is part of the library's interface. */

/* One worker: its hasher and its read buffer (page-aligned; grown on demand). */
typedef struct hash_worker {
    ms_hasher *hasher;
    uint8_t *buf;
    size_t cap;
} hash_worker;

/* Make the buffer at least `want` bytes (its contents are not kept). 0 or MS_ENOMEM. */
int hash_worker_grow(hash_worker *w, size_t want, ms_error *err);
void hash_worker_clear(hash_worker *w);

/* A source of bytes. Give the bytes at offset `off`, at most `want` (> 0) of them: copied into
 * `buf` (which has room for `want`), or held by the source with *data pointed at them. Returns
 * the count (> 0), 0 when the source ended early, or -errno for a read error. */
typedef ssize_t (*hash_read_fn)(void *src, uint64_t off, uint8_t *buf, size_t want,
                                const uint8_t **data);

/* pread(2) on the file descriptor *(int *)src. */
ssize_t hash_read_fd(void *src, uint64_t off, uint8_t *buf, size_t want, const uint8_t **data);

typedef enum hash_feed_status {
    HASH_FEED_OK = 0,
    HASH_FEED_SHORT, /* the source ended before `end` (a file shrank) */
    HASH_FEED_READ,  /* a read error: read_errno */
    HASH_FEED_HASH,  /* the hasher failed */
    HASH_FEED_STOP   /* the digest callback returned non-zero: stop_code */
} hash_feed_status;

/* One item's bytes [start, end) of a source into a worker's hasher, with one digest per
 * `segment` bytes from start (0: one digest for the whole range, even an empty one). */
typedef struct hash_feed_job {
    hash_read_fn read;
    void *src;
    uint64_t start, end;
    uint64_t segment;
    size_t chunk; /* the most asked of the source at once; 0: the worker's buffer */
    /* segment k (0, 1, ...) is done: its digest (ms_hash_size bytes). Non-zero stops the feed. */
    int (*digest)(void *ctx, size_t k, const uint8_t *digest);
    void *ctx;
    /* Optional: after each read that gave bytes (a test's writer window), and a counter of the
     * bytes hashed. */
    void (*after_read)(void *ctx);
    void *after_read_ctx;
    atomic_uint_fast64_t *progress;
    /* out */
    uint64_t fail_off; /* where the source ended or failed */
    int read_errno;
    int stop_code;
} hash_feed_job;

/* Feed it. The worker's hasher is reset first; its buffer must hold `chunk` bytes (or be
 * non-empty when chunk is 0) unless every read gives *data. */
hash_feed_status hash_feed(hash_worker *w, hash_feed_job *job);

/* A batch of items on a fixed set of workers: fn(ctx, item, worker index, worker) for each item,
 * items taken in turn by `threads` threads (1: the calling thread, in order); the first error
 * stops the batch and is the one returned. Each worker gets a hasher of `algorithm` and a buffer
 * of `buffer_size` bytes (0: none until hash_worker_grow). */
typedef int (*hash_item_fn)(void *ctx, size_t item, unsigned worker_index, hash_worker *w,
                            ms_error *err);
typedef struct hash_batch {
    ms_hash_algorithm algorithm;
    unsigned threads;
    size_t items;
    size_t buffer_size;
    hash_item_fn fn;
    void *ctx;
    void (*tick)(void *ctx); /* optional, on the calling thread every 200 ms and at the end */
} hash_batch;

int hash_batch_run(const hash_batch *b, ms_error *err);

#endif
