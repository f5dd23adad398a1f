/* Unit tests for ms_buf (src/lib/util/buf.h): appends, formatted growth, reset, detach. */
#include "config.h"

#include "unit.h"

#include "modelseal/error.h"
#include "util/buf.h"

static void test_append(void **state)
{
    (void)state;
    ms_buf b = MS_BUF_INIT;
    assert_null(b.data);
    assert_int_equal(msx_buf_append(&b, "ab", 2), 0);
    assert_int_equal(msx_buf_append(&b, "\0c", 2), 0); /* binary-safe */
    assert_int_equal(msx_buf_append_str(&b, "de"), 0);
    assert_int_equal(msx_buf_append(&b, NULL, 0), 0); /* nothing to add is fine */
    assert_int_equal(b.len, 6);
    assert_memory_equal(b.data, "ab\0cde", 6);
    assert_int_equal(b.data[6], 0);
    assert_true(b.cap > b.len);
    msx_buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    msx_buf_free(&b); /* twice is harmless */
}

static void test_printf_growth(void **state)
{
    (void)state;
    ms_buf b = MS_BUF_INIT;
    char expect[16];
    size_t total = 0;
    for (int i = 0; i < 10000; i++) {
        assert_int_equal(msx_buf_printf(&b, "%d,", i), 0);
        total += (size_t)snprintf(expect, sizeof expect, "%d,", i);
        assert_int_equal(b.len, total);
        assert_int_equal(b.data[b.len], 0);
        assert_true(b.cap > b.len);
    }
    /* Spot-check the contents: the start, the end, and one value at a growth boundary. */
    assert_memory_equal(b.data, "0,1,2,3,", 8);
    assert_string_equal((char *)b.data + b.len - 10, "9998,9999,");
    assert_non_null(strstr((char *)b.data, ",4095,4096,4097,"));
    /* A single printf much larger than the capacity. */
    msx_buf_reset(&b);
    assert_int_equal(msx_buf_printf(&b, "%05000d|%s", 7, "end"), 0);
    assert_int_equal(b.len, 5004);
    assert_int_equal(b.data[4999], '7');
    assert_string_equal((char *)b.data + 5000, "|end");
    msx_buf_free(&b);
}

static void test_reset(void **state)
{
    (void)state;
    ms_buf b = MS_BUF_INIT;
    msx_buf_reset(&b); /* on an empty buffer: no allocation, no crash */
    assert_null(b.data);
    assert_int_equal(msx_buf_append_str(&b, "hello world"), 0);
    unsigned char *before = b.data;
    size_t cap = b.cap;
    msx_buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_ptr_equal(b.data, before); /* keeps the allocation */
    assert_int_equal(b.cap, cap);
    assert_string_equal((char *)b.data, "");
    assert_int_equal(msx_buf_append_str(&b, "x"), 0);
    assert_string_equal((char *)b.data, "x");
    msx_buf_free(&b);
}

static void test_detach(void **state)
{
    (void)state;
    ms_buf b = MS_BUF_INIT;
    char *s = msx_buf_detach(&b);
    assert_non_null(s);
    assert_string_equal(s, "");
    free(s);
    assert_null(b.data);

    assert_int_equal(msx_buf_printf(&b, "%s=%u", "k", 42u), 0);
    s = msx_buf_detach(&b);
    assert_string_equal(s, "k=42");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);

    /* The buffer is reusable after a detach. */
    assert_int_equal(msx_buf_append_str(&b, "again"), 0);
    assert_string_equal((char *)b.data, "again");
    msx_buf_free(&b);
}

static void test_reserve(void **state)
{
    (void)state;
    ms_buf b = MS_BUF_INIT;
    assert_int_equal(msx_buf_reserve(&b, 1000), 0);
    assert_true(b.cap >= 1001);
    assert_int_equal(b.len, 0);
    /* Sizes that would overflow are refused, not wrapped. */
    assert_int_equal(msx_buf_append_str(&b, "abc"), 0);
    assert_int_equal(msx_buf_reserve(&b, SIZE_MAX), MS_ENOMEM);
    assert_int_equal(msx_buf_reserve(&b, SIZE_MAX - 3), MS_ENOMEM);
    assert_string_equal((char *)b.data, "abc"); /* untouched */
    msx_buf_free(&b);
}

static void test_strlist_add(void **state)
{
    (void)state;
    char **list = NULL;
    size_t n = 0;
    char name[] = "a";
    assert_int_equal(msx_strlist_add(&list, &n, name), 0);
    name[0] = 'b'; /* the list holds a copy */
    assert_int_equal(msx_strlist_add(&list, &n, "c"), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0], "a");
    assert_string_equal(list[1], "c");
    for (size_t k = 0; k < n; k++)
        free(list[k]);
    free(list);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append),  cmocka_unit_test(test_printf_growth),
        cmocka_unit_test(test_reset),   cmocka_unit_test(test_detach),
        cmocka_unit_test(test_reserve), cmocka_unit_test(test_strlist_add),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
