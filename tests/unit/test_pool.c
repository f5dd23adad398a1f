/* Unit tests for the worker pool (src/lib/util/pool.h): every item exactly once at several
 * thread counts, first error stops the batch and is reported, ticks, and edge cases. */
#include "config.h"

#include <stdatomic.h>
#include <time.h>

#include "unit.h"

#include "modelseal/error.h"
#include "util/pool.h"

#define N_ITEMS 100000

typedef struct count_ctx {
    atomic_uchar *seen;  /* per item: how many times it ran */
    atomic_size_t calls; /* total calls */
    atomic_uint ticks;
    unsigned threads;
    atomic_int bad_worker;    /* set when a worker index is out of range */
    size_t fail_at;           /* item that fails, or SIZE_MAX */
    atomic_size_t after_fail; /* calls started after the failing item returned */
    atomic_int failed;
} count_ctx;

static int count_item(void *p, size_t index, unsigned worker, ms_error *err)
{
    count_ctx *c = p;
    if (worker >= c->threads)
        atomic_store(&c->bad_worker, 1);
    if (atomic_load(&c->failed)) {
        /* Yield after the failure, so the failing worker gets to stop the batch. */
        struct timespec ts = {0, 100 * 1000};
        atomic_fetch_add(&c->after_fail, 1);
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add(&c->seen[index], 1);
    atomic_fetch_add(&c->calls, 1);
    if (index == c->fail_at) {
        atomic_store(&c->failed, 1);
        return ms_error_set(err, MS_EINPUT, "item %zu: refused on purpose", index);
    }
    return 0;
}

static void count_tick(void *p)
{
    count_ctx *c = p;
    atomic_fetch_add(&c->ticks, 1);
}

static count_ctx *count_new(unsigned threads, size_t items)
{
    count_ctx *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->seen = calloc(items ? items : 1, sizeof *c->seen);
    assert_non_null(c->seen);
    c->threads = threads;
    c->fail_at = SIZE_MAX;
    return c;
}

static void count_free(count_ctx *c)
{
    free(c->seen);
    free(c);
}

static void run_all_once(unsigned threads)
{
    count_ctx *c = count_new(threads, N_ITEMS);
    ms_pool_batch b = {.threads = threads,
                       .items = N_ITEMS,
                       .fn = count_item,
                       .ctx = c,
                       .tick = count_tick,
                       .tick_ms = 1};
    ms_error err;
    ms_error_clear(&err);
    assert_int_equal(msx_pool_run(&b, &err), 0);
    assert_int_equal(err.code, MS_OK);
    assert_int_equal(atomic_load(&c->calls), N_ITEMS);
    for (size_t i = 0; i < N_ITEMS; i++) {
        if (atomic_load(&c->seen[i]) != 1)
            fail_msg("threads=%u: item %zu ran %u times", threads, i, (unsigned)c->seen[i]);
    }
    assert_int_equal(atomic_load(&c->bad_worker), 0);
    assert_true(atomic_load(&c->ticks) >= 1); /* at least the final tick */
    count_free(c);
}

static void test_all_once_1(void **state)
{
    (void)state;
    run_all_once(1);
}

static void test_all_once_2(void **state)
{
    (void)state;
    run_all_once(2);
}

static void test_all_once_8(void **state)
{
    (void)state;
    run_all_once(8);
}

static int order_item(void *p, size_t index, unsigned worker, ms_error *err)
{
    size_t *next = p;
    (void)err;
    assert_int_equal(worker, 0);
    assert_int_equal(index, *next); /* one thread: in order, on the caller */
    (*next)++;
    return 0;
}

static void test_single_thread_in_order(void **state)
{
    (void)state;
    size_t next = 0;
    ms_pool_batch b = {.threads = 1, .items = 1000, .fn = order_item, .ctx = &next};
    assert_int_equal(msx_pool_run(&b, NULL), 0);
    assert_int_equal(next, 1000);
}

static void run_first_error(unsigned threads)
{
    count_ctx *c = count_new(threads, N_ITEMS);
    c->fail_at = 1234;
    ms_pool_batch b = {.threads = threads, .items = N_ITEMS, .fn = count_item, .ctx = c};
    ms_error err;
    ms_error_clear(&err);
    assert_int_equal(msx_pool_run(&b, &err), MS_EINPUT);
    assert_int_equal(err.code, MS_EINPUT);
    assert_string_equal(err.message, "item 1234: refused on purpose");
    assert_int_equal(atomic_load(&c->seen[1234]), 1);
    /* The batch stopped: with one thread nothing runs after the failure; with several, only the
     * few items other workers claimed before they saw the failure. */
    if (threads == 1)
        assert_int_equal(atomic_load(&c->calls), 1235);
    if (atomic_load(&c->after_fail) > 100)
        fail_msg("%zu items ran after the failure", atomic_load(&c->after_fail));
    assert_true(atomic_load(&c->calls) < N_ITEMS);
    count_free(c);
}

static void test_first_error_1(void **state)
{
    (void)state;
    run_first_error(1);
}

static void test_first_error_4(void **state)
{
    (void)state;
    run_first_error(4);
}

static int fail_silently(void *p, size_t index, unsigned worker, ms_error *err)
{
    (void)p;
    (void)worker;
    (void)err;
    return index == 3 ? MS_EENV : 0; /* a code without a message */
}

static void test_error_without_message(void **state)
{
    (void)state;
    ms_error err;
    ms_error_clear(&err);
    ms_pool_batch b = {.threads = 2, .items = 10, .fn = fail_silently};
    assert_int_equal(msx_pool_run(&b, &err), MS_EENV);
    assert_int_equal(err.code, MS_EENV);
    unit_assert_contains(err.message, "3");
}

static int slow_item(void *p, size_t index, unsigned worker, ms_error *err)
{
    (void)p;
    (void)index;
    (void)worker;
    (void)err;
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    return 0;
}

static void test_tick_called(void **state)
{
    (void)state;
    for (unsigned threads = 1; threads <= 3; threads += 2) {
        count_ctx *c = count_new(threads, 1);
        ms_pool_batch b = {.threads = threads,
                           .items = 30, /* about 60 ms of work at 2 ms per item */
                           .fn = slow_item,
                           .ctx = c,
                           .tick = count_tick,
                           .tick_ms = 5};
        assert_int_equal(msx_pool_run(&b, NULL), 0);
        assert_true(atomic_load(&c->ticks) >= 2); /* periodic ticks plus the final one */
        count_free(c);
    }
}

static void test_zero_items(void **state)
{
    (void)state;
    count_ctx *c = count_new(4, 0);
    ms_pool_batch b = {.threads = 4, .items = 0, .fn = count_item, .ctx = c, .tick = count_tick};
    ms_error err;
    ms_error_clear(&err);
    assert_int_equal(msx_pool_run(&b, &err), 0);
    assert_int_equal(atomic_load(&c->calls), 0);
    assert_int_equal(err.code, MS_OK);
    count_free(c);
}

static void test_more_threads_than_items(void **state)
{
    (void)state;
    count_ctx *c = count_new(64, 3);
    ms_pool_batch b = {.threads = 64, .items = 3, .fn = count_item, .ctx = c};
    assert_int_equal(msx_pool_run(&b, NULL), 0);
    assert_int_equal(atomic_load(&c->calls), 3);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(atomic_load(&c->seen[i]), 1);
    assert_int_equal(atomic_load(&c->bad_worker), 0);
    count_free(c);
}

static void test_zero_threads_means_one(void **state)
{
    (void)state;
    size_t next = 0;
    ms_pool_batch b = {.threads = 0, .items = 5, .fn = order_item, .ctx = &next};
    assert_int_equal(msx_pool_run(&b, NULL), 0);
    assert_int_equal(next, 5);
}

static void test_default_threads(void **state)
{
    (void)state;
    unsigned n = msx_pool_default_threads();
    assert_true(n >= 1 && n <= 1024);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_once_1),
        cmocka_unit_test(test_all_once_2),
        cmocka_unit_test(test_all_once_8),
        cmocka_unit_test(test_single_thread_in_order),
        cmocka_unit_test(test_first_error_1),
        cmocka_unit_test(test_first_error_4),
        cmocka_unit_test(test_error_without_message),
        cmocka_unit_test(test_tick_called),
        cmocka_unit_test(test_zero_items),
        cmocka_unit_test(test_more_threads_than_items),
        cmocka_unit_test(test_zero_threads_means_one),
        cmocka_unit_test(test_default_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
