/* ms_pool: run a batch of independent items on a fixed set of threads.
 *
 * Scheduling is one atomic fetch-add per item on a shared counter; there is no queue. The
 * calling thread waits on a condition variable with a timeout, so it can report progress. */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util/pool.h"

typedef struct pool_state {
    const ms_pool_batch *batch;
    atomic_size_t next;
    atomic_int failed;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    unsigned running;
    ms_error first_error;
} pool_state;

typedef struct worker_arg {
    pool_state *state;
    unsigned index;
} worker_arg;

static void record_error(pool_state *st, const ms_error *e)
{
    pthread_mutex_lock(&st->lock);
    if (!atomic_load(&st->failed)) {
        st->first_error = *e;
        atomic_store(&st->failed, 1);
    }
    pthread_mutex_unlock(&st->lock);
}

static void *worker_main(void *p)
{
    worker_arg *arg = p;
    pool_state *st = arg->state;
    const ms_pool_batch *b = st->batch;
    ms_error e;
    ms_error_clear(&e);
    while (!atomic_load_explicit(&st->failed, memory_order_relaxed)) {
        size_t i = atomic_fetch_add_explicit(&st->next, 1, memory_order_relaxed);
        if (i >= b->items)
            break;
        int rc = b->fn(b->ctx, i, arg->index, &e);
        if (rc != 0) {
            if (e.code == MS_OK)
                ms_error_set(&e, rc, "work item %zu failed", i);
            e.code = rc;
            record_error(st, &e);
            break;
        }
    }
    pthread_mutex_lock(&st->lock);
    st->running--;
    pthread_cond_signal(&st->done_cond);
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

unsigned msx_pool_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1u : (n > 1024 ? 1024u : (unsigned)n);
}

static int run_inline(const ms_pool_batch *b, ms_error *err)
{
    struct timespec last, now;
    unsigned tick_ms = b->tick_ms ? b->tick_ms : 200;
    clock_gettime(CLOCK_MONOTONIC, &last);
    for (size_t i = 0; i < b->items; i++) {
        int rc = b->fn(b->ctx, i, 0, err);
        if (rc != 0)
            return rc;
        if (b->tick) {
            clock_gettime(CLOCK_MONOTONIC, &now);
            long ms = (now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000;
            if (ms >= (long)tick_ms) {
                b->tick(b->ctx);
                last = now;
            }
        }
    }
    if (b->tick)
        b->tick(b->ctx);
    return 0;
}

int msx_pool_run(const ms_pool_batch *b, ms_error *err)
{
    unsigned threads = b->threads ? b->threads : 1;
    if (b->items == 0) {
        if (b->tick)
            b->tick(b->ctx);
        return 0;
    }
    if ((size_t)threads > b->items)
        threads = (unsigned)b->items;
    if (threads == 1)
        return run_inline(b, err);

    pool_state st;
    memset(&st, 0, sizeof st);
    st.batch = b;
    atomic_init(&st.next, 0);
    atomic_init(&st.failed, 0);
    pthread_mutex_init(&st.lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st.done_cond, &ca);
    pthread_condattr_destroy(&ca);

    int rc = 0;
    pthread_t *tids = calloc(threads, sizeof *tids);
    worker_arg *args = calloc(threads, sizeof *args);
    unsigned started = 0;
    if (!tids || !args) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (unsigned t = 0; t < threads; t++) {
        args[t].state = &st;
        args[t].index = t;
        pthread_mutex_lock(&st.lock);
        st.running++;
        pthread_mutex_unlock(&st.lock);
        int e = pthread_create(&tids[t], NULL, worker_main, &args[t]);
        if (e != 0) {
            pthread_mutex_lock(&st.lock);
            st.running--;
            pthread_mutex_unlock(&st.lock);
            if (started == 0) {
                rc = ms_error_set(err, MS_EENV, "cannot start a worker thread: %s", strerror(e));
                goto out;
            }
            break; /* run with the threads we have */
        }
        started++;
    }
    unsigned tick_ms = b->tick_ms ? b->tick_ms : 200;
    pthread_mutex_lock(&st.lock);
    while (st.running > 0) {
        if (b->tick) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += (long)(tick_ms % 1000) * 1000000L;
            ts.tv_sec += tick_ms / 1000 + ts.tv_nsec / 1000000000L;
            ts.tv_nsec %= 1000000000L;
            int w = pthread_cond_timedwait(&st.done_cond, &st.lock, &ts);
            if (w == ETIMEDOUT && st.running > 0) {
                pthread_mutex_unlock(&st.lock);
                b->tick(b->ctx);
                pthread_mutex_lock(&st.lock);
            }
        } else {
            pthread_cond_wait(&st.done_cond, &st.lock);
        }
    }
    pthread_mutex_unlock(&st.lock);
    for (unsigned t = 0; t < started; t++)
        pthread_join(tids[t], NULL);
    if (b->tick)
        b->tick(b->ctx);
    if (atomic_load(&st.failed)) {
        if (err)
            *err = st.first_error;
        rc = st.first_error.code;
    }
out:
    free(tids);
    free(args);
    pthread_mutex_destroy(&st.lock);
    pthread_cond_destroy(&st.done_cond);
    return rc;
}
