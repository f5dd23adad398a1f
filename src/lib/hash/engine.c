/* The worker core every hashing engine shares (engine.h): a worker's buffer, the feed of one
 * item's bytes from a source callback into its hasher (one digest per segment), and a batch of
 * items on a fixed set of workers over the thread pool. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "util/pool.h"

int hash_worker_grow(hash_worker *w, size_t want, ms_error *err)
{
    if (want <= w->cap)
        return 0;
    uint8_t *nb = NULL;
    if (posix_memalign((void **)&nb, 4096, want) != 0)
        return ms_error_nomem(err);
    free(w->buf);
    w->buf = nb;
    w->cap = want;
    return 0;
}

void hash_worker_clear(hash_worker *w)
{
    free(w->buf);
    ms_hasher_free(w->hasher);
    memset(w, 0, sizeof *w);
}

ssize_t hash_read_fd(void *src, uint64_t off, uint8_t *buf, size_t want, const uint8_t **data)
{
    (void)data;
    for (;;) {
        ssize_t n = pread(*(int *)src, buf, want, (off_t)off);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return -errno;
    }
}

hash_feed_status hash_feed(hash_worker *w, hash_feed_job *job)
{
    size_t chunk = job->chunk ? job->chunk : w->cap;
    size_t k = 0;
    uint8_t digest[MS_HASH_MAX_SIZE];
    uint64_t off = job->start;
    uint64_t seg_end = job->segment ? job->start + job->segment : UINT64_MAX;
    if (ms_hasher_reset(w->hasher) != 0)
        return HASH_FEED_HASH;
    if (job->start == job->end && !job->segment) { /* an empty range has a digest */
        if (ms_hasher_final(w->hasher, digest) != 0)
            return HASH_FEED_HASH;
        if (job->digest && (job->stop_code = job->digest(job->ctx, 0, digest)) != 0)
            return HASH_FEED_STOP;
        return HASH_FEED_OK;
    }
    while (off < job->end) {
        uint64_t left = job->end - off, seg_left = seg_end - off;
        if (seg_left < left)
            left = seg_left;
        size_t want = left < (uint64_t)chunk ? (size_t)left : chunk;
        const uint8_t *data = NULL;
        ssize_t n = job->read(job->src, off, w->buf, want, &data);
        if (n <= 0) {
            job->fail_off = off;
            job->read_errno = n < 0 ? (int)-n : 0;
            return n < 0 ? HASH_FEED_READ : HASH_FEED_SHORT;
        }
        if ((size_t)n > want)
            n = (ssize_t)want;
        if (ms_hasher_update(w->hasher, data ? data : w->buf, (size_t)n) != 0)
            return HASH_FEED_HASH;
        off += (uint64_t)n;
        if (job->after_read)
            job->after_read(job->after_read_ctx);
        if (job->progress)
            atomic_fetch_add_explicit(job->progress, (uint64_t)n, memory_order_relaxed);
        if (off == seg_end || off == job->end) {
            if (ms_hasher_final(w->hasher, digest) != 0 ||
                (off < job->end && ms_hasher_reset(w->hasher) != 0))
                return HASH_FEED_HASH;
            if (job->digest && (job->stop_code = job->digest(job->ctx, k, digest)) != 0)
                return HASH_FEED_STOP;
            k++;
            if (job->segment)
                seg_end = off + job->segment;
        }
    }
    return HASH_FEED_OK;
}

typedef struct batch_ctx {
    const hash_batch *b;
    hash_worker *workers;
} batch_ctx;

static int batch_item(void *ctx, size_t index, unsigned worker, ms_error *err)
{
    batch_ctx *c = ctx;
    return c->b->fn(c->b->ctx, index, worker, &c->workers[worker], err);
}

static void batch_tick(void *ctx)
{
    batch_ctx *c = ctx;
    c->b->tick(c->b->ctx);
}

int hash_batch_run(const hash_batch *b, ms_error *err)
{
    batch_ctx c = {b, NULL};
    unsigned threads = b->threads ? b->threads : 1;
    int rc = 0;
    if ((size_t)threads > b->items)
        threads = b->items ? (unsigned)b->items : 1;
    if (!(c.workers = calloc(threads, sizeof *c.workers)))
        return ms_error_nomem(err);
    for (unsigned t = 0; t < threads; t++) {
        if (!(c.workers[t].hasher = ms_hasher_new(b->algorithm)) ||
            (b->buffer_size && hash_worker_grow(&c.workers[t], b->buffer_size, err) != 0)) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    ms_pool_batch batch = {
        .threads = threads,
        .items = b->items,
        .fn = batch_item,
        .ctx = &c,
        .tick = b->tick ? batch_tick : NULL,
        .tick_ms = 200,
    };
    rc = msx_pool_run(&batch, err);
out:
    for (unsigned t = 0; t < threads; t++)
        hash_worker_clear(&c.workers[t]);
    free(c.workers);
    return rc;
}
