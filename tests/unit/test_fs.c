/* Unit tests for the whole-file helpers (src/lib/util/fs.h): atomic replacement, exclusive
 * creation, abandoned writes leaving nothing behind, stale temporary files, path limits. */
#include "config.h"

#include <dirent.h>

#include "unit.h"

#include "modelseal/error.h"
#include "util/buf.h"
#include "util/fs.h"

/* Number of entries in `dir` besides . and .. */
static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void read_back(const char *path, const char *want)
{
    ms_buf b = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(msx_file_read(path, 1 << 20, &b, &err), 0);
    assert_int_equal(b.len, strlen(want));
    assert_memory_equal(b.data, want, b.len);
    msx_buf_free(&b);
}

static void test_write_atomic(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    struct stat st;
    unit_tmpdir(dir);
    unit_path(path, dir, "out");
    assert_int_equal(msx_file_write_atomic(path, "first", 5, 0640, 0, &err), 0);
    read_back(path, "first");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(msx_file_write_atomic(path, "second", 6, 0644, 0, &err), 0);
    read_back(path, "second");
    assert_int_equal(count_entries(dir), 1); /* no temporary file left */
    /* Exclusive: an existing file is MS_EINPUT and untouched. */
    assert_int_equal(msx_file_write_atomic(path, "third", 5, 0644, 1, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "already exists"));
    read_back(path, "second");
    unit_path(path, dir, "new");
    assert_int_equal(msx_file_write_atomic(path, "x", 1, 0600, 1, &err), 0);
    read_back(path, "x");
    assert_int_equal(count_entries(dir), 2);
    /* A missing directory is bad input, naming the path. */
    unit_path(path, dir, "no/such/file");
    assert_int_equal(msx_file_write_atomic(path, "x", 1, 0644, 0, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, path));
    unit_rmtree(dir);
}

static void test_temp_discard(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    ms_file_temp t;
    unit_tmpdir(dir);
    unit_write_str(dir, "target", "old");
    unit_path(path, dir, "target");
    assert_int_equal(msx_file_temp_open(&t, path, 0644, &err), 0);
    assert_int_equal(write(t.fd, "half", 4), 4);
    msx_file_temp_discard(&t);
    msx_file_temp_discard(&t); /* twice is harmless */
    msx_file_temp_discard(NULL);
    read_back(path, "old");
    assert_int_equal(count_entries(dir), 1);
    /* Committed: the new contents, still one entry. */
    assert_int_equal(msx_file_temp_open(&t, path, 0644, &err), 0);
    assert_int_equal(write(t.fd, "new", 3), 3);
    assert_int_equal(msx_file_temp_commit(&t, 0, &err), 0);
    read_back(path, "new");
    assert_int_equal(count_entries(dir), 1);
    /* Exclusive commit over an existing file: refused, nothing left. */
    assert_int_equal(msx_file_temp_open(&t, path, 0644, &err), 0);
    assert_int_equal(write(t.fd, "other", 5), 5);
    assert_int_equal(msx_file_temp_commit(&t, 1, &err), MS_EINPUT);
    read_back(path, "new");
    assert_int_equal(count_entries(dir), 1);
    unit_rmtree(dir);
}

static void test_stale_temps(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX], p[PATH_MAX];
    ms_error err;
    size_t removed = 99;
    unit_tmpdir(dir);
    unit_write_str(dir, "model.sig", "sig");
    unit_write_str(dir, "model.sig.tmp.AbC123", "stale");
    unit_write_str(dir, "model.sig.tmp.zzzzzz", "stale");
    unit_write_str(dir, "model.sig.tmp.AbC12", "five characters: kept");
    unit_write_str(dir, "model.sig.tmp.AbC1234", "seven characters: kept");
    unit_write_str(dir, "model.sig.tmp.AbC-23", "not the alphabet: kept");
    unit_write_str(dir, "other.sig.tmp.AbC123", "another target's: kept");
    unit_mkdirs(dir, "model.sig.tmp.Dir123"); /* not a regular file: kept */
    unit_path(path, dir, "model.sig");
    assert_int_equal(msx_file_remove_stale_temps(path, &removed, &err), 0);
    assert_int_equal(removed, 2);
    assert_int_equal(access(unit_path(p, dir, "model.sig.tmp.AbC123"), F_OK), -1);
    assert_int_equal(access(unit_path(p, dir, "model.sig.tmp.zzzzzz"), F_OK), -1);
    assert_int_equal(count_entries(dir), 6);
    read_back(path, "sig");
    /* Nothing to do, and a missing directory, are fine. */
    assert_int_equal(msx_file_remove_stale_temps(path, &removed, &err), 0);
    assert_int_equal(removed, 0);
    unit_path(path, dir, "nowhere/model.sig");
    assert_int_equal(msx_file_remove_stale_temps(path, NULL, &err), 0);
    unit_rmtree(dir);
}

static void test_path_limits(void **state)
{
    (void)state;
    char name[PATH_MAX + 2];
    assert_int_equal(msx_path_fits_limits("a/b", 3), 1);
    memset(name, 'a', NAME_MAX);
    assert_int_equal(msx_path_fits_limits(name, NAME_MAX), 1);
    memset(name, 'a', NAME_MAX + 1);
    assert_int_equal(msx_path_fits_limits(name, NAME_MAX + 1), 0);
    name[0] = 'd';
    name[1] = '/';
    assert_int_equal(msx_path_fits_limits(name, NAME_MAX + 1), 1); /* component of NAME_MAX - 1 */
    /* Components of 100 under PATH_MAX in total fit; PATH_MAX bytes do not. */
    for (size_t i = 0; i < sizeof name; i++)
        name[i] = i % 101 == 100 ? '/' : 'a';
    assert_int_equal(msx_path_fits_limits(name, PATH_MAX - 1), 1);
    assert_int_equal(msx_path_fits_limits(name, PATH_MAX), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_atomic),
        cmocka_unit_test(test_temp_discard),
        cmocka_unit_test(test_stale_temps),
        cmocka_unit_test(test_path_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
