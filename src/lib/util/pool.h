/* A fixed pool of worker threads for one batch of independent work items.
 *
 * Workers take item indices from a shared atomic counter (no queue, no per-item hand-off
 * beyond one atomic add), so tens of thousands of tiny items cost almost nothing to schedule.
 * The first failing item stops the batch; its error is the one reported. */
#ifndef MODELSEAL_POOL_H
#define MODELSEAL_POOL_H

#include <stddef.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Process item `index` on worker `worker` (0 <= worker < threads). Return 0 or an MS_E* code
 * with `err` filled. Called concurrently: `ctx` must tolerate that. */
typedef int (*ms_pool_fn)(void *ctx, size_t index, unsigned worker, ms_error *err);

/* Called on the calling thread about every `tick_ms` while the batch runs, and once at the end.
 * Must not block for long. */
typedef void (*ms_pool_tick_fn)(void *ctx);

typedef struct ms_pool_batch {
    unsigned threads;     /* >= 1; more than items is clamped */
    size_t items;         /* number of work items */
    ms_pool_fn fn;        /* the work */
    void *ctx;            /* passed to fn and tick */
    ms_pool_tick_fn tick; /* optional */
    unsigned tick_ms;     /* default 200 when 0 */
} ms_pool_batch;

/* Run a batch to completion or first error. With threads == 1 the items run on the calling
 * thread, in order. Returns 0, the first item's error code, or MS_EENV if no thread starts. */
int msx_pool_run(const ms_pool_batch *batch, ms_error *err);

/* The number of online CPUs (at least 1). */
unsigned msx_pool_default_threads(void);

#ifdef __cplusplus
}
#endif
#endif
