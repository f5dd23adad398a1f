/* Unit tests for the model walk (src/lib/hash/walk.h): OMS ordering, default and explicit
 * ignores, symlink policy, refusal of special files and hostile names, and the path helpers. */
#include "config.h"

#include "unit.h"

#include "hash/walk.h"
#include "modelseal/error.h"

typedef struct fixture {
    char dir[PATH_MAX];
    ms_file_list list;
    ms_error err;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    unit_tmpdir(f->dir);
    ms_error_clear(&f->err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    msx_file_list_free(&f->list);
    unit_rmtree(f->dir);
    free(f);
    return 0;
}

static const ms_walk_options default_opts = {NULL, 0, 0, 1, 0};

static int walk(fixture *f, const ms_walk_options *opts)
{
    msx_file_list_free(&f->list);
    ms_error_clear(&f->err);
    return msx_walk_collect(f->dir, opts ? opts : &default_opts, &f->list, &f->err);
}

/* Assert the walk listed exactly `names` (NULL-terminated), in that order. */
static void assert_names(const fixture *f, const char *const *names)
{
    size_t n = 0;
    while (names[n])
        n++;
    for (size_t i = 0; i < f->list.count && i < n; i++) {
        if (strcmp(f->list.entries[i].path, names[i]) != 0)
            fail_msg("entry %zu is \"%s\", expected \"%s\"", i, f->list.entries[i].path, names[i]);
    }
    if (f->list.count != n)
        fail_msg("%zu entries, expected %zu", f->list.count, n);
}

static void symlink_in(const fixture *f, const char *target, const char *rel)
{
    char path[PATH_MAX];
    if (symlink(target, unit_path(path, f->dir, rel)) != 0)
        fail_msg("symlink %s: %s", path, strerror(errno));
}

/* Expect a refusal with `code` whose message names `needle1` and `needle2`. */
static void expect_refusal(fixture *f, const ms_walk_options *opts, int code, const char *needle1,
                           const char *needle2)
{
    int rc = walk(f, opts);
    if (rc != code)
        fail_msg("walk returned %d (%s), expected %d", rc, f->err.message, code);
    assert_int_equal(f->err.code, code);
    unit_assert_contains(f->err.message, needle1);
    if (needle2)
        unit_assert_contains(f->err.message, needle2);
    assert_int_equal(f->list.count, 0); /* nothing half-collected is left */
}

static void test_order(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "a.txt", "1");
    unit_write_str(f->dir, "a/b", "2");
    unit_write_str(f->dir, "a/c.txt", "3");
    unit_write_str(f->dir, "a/c/d", "4");
    unit_write_str(f->dir, "a-b", "5");
    unit_write_str(f->dir, "a0", "6");
    unit_write_str(f->dir, "Z", "7");
    unit_write_str(f->dir, "b", "8");
    unit_write_str(f->dir, "\xc3\xa9t\xc3\xa9", "9"); /* "été": bytes > 0x7f sort last */
    unit_write_str(f->dir, "\xe2\x82\xac/x", "10");   /* "€/x" */
    unit_write_str(f->dir, "\xf0\x9f\x98\x80", "11"); /* an emoji */
    unit_write_str(f->dir, "~", "12");
    assert_int_equal(walk(f, NULL), 0);
    static const char *const expect[] = {"Z",
                                         "a-b",
                                         "a.txt",
                                         "a/b",
                                         "a/c.txt",
                                         "a/c/d",
                                         "a0",
                                         "b",
                                         "~",
                                         "\xc3\xa9t\xc3\xa9",
                                         "\xe2\x82\xac/x",
                                         "\xf0\x9f\x98\x80",
                                         NULL};
    assert_names(f, expect);
    for (size_t i = 0; i < f->list.count; i++)
        assert_null(f->list.entries[i].target);
}

static void test_entry_metadata(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    struct stat st;
    unit_write_str(f->dir, "w.bin", "twelve bytes");
    assert_int_equal(stat(unit_path(path, f->dir, "w.bin"), &st), 0);
    assert_int_equal(walk(f, NULL), 0);
    assert_int_equal(f->list.count, 1);
    const ms_file_entry *e = &f->list.entries[0];
    assert_string_equal(e->path, "w.bin");
    assert_int_equal(e->size, 12);
    assert_int_equal(e->mtime_sec, st.st_mtim.tv_sec);
    assert_int_equal(e->mtime_nsec, st.st_mtim.tv_nsec);
    assert_int_equal(e->dev, st.st_dev);
    assert_int_equal(e->ino, st.st_ino);
}

static void make_git_tree(const fixture *f)
{
    unit_write_str(f->dir, ".git/config", "x");
    unit_write_str(f->dir, ".github/workflows/ci.yml", "x");
    unit_write_str(f->dir, ".gitattributes", "x");
    unit_write_str(f->dir, ".gitignore", "x");
    unit_write_str(f->dir, ".gitmodules", "x"); /* not in the default list */
    unit_write_str(f->dir, "d/.git/HEAD", "x");
    unit_write_str(f->dir, "d/.gitignore", "x");
    unit_write_str(f->dir, "w", "x");
}

static void test_git_paths_ignored_at_root_only(void **state)
{
    fixture *f = *state;
    make_git_tree(f);
    assert_int_equal(walk(f, NULL), 0);
    static const char *const expect[] = {".gitmodules", "d/.git/HEAD", "d/.gitignore", "w", NULL};
    assert_names(f, expect);
    assert_int_equal(msx_walk_git_paths_count, 5);
}

static void test_git_paths_kept_when_asked(void **state)
{
    fixture *f = *state;
    make_git_tree(f);
    ms_walk_options o = {NULL, 0, 0, 0, 0};
    assert_int_equal(walk(f, &o), 0);
    static const char *const expect[] = {".git/config",
                                         ".gitattributes",
                                         ".github/workflows/ci.yml",
                                         ".gitignore",
                                         ".gitmodules",
                                         "d/.git/HEAD",
                                         "d/.gitignore",
                                         "w",
                                         NULL};
    assert_names(f, expect);
}

static void test_ignore_paths(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "a/skip.txt", "x");
    unit_write_str(f->dir, "a/keep.txt", "x");
    unit_write_str(f->dir, "a/b", "x"); /* "b" as a root ignore does not hide "a/b" */
    unit_write_str(f->dir, "b/x/y", "x");
    unit_write_str(f->dir, "b/z", "x");
    unit_write_str(f->dir, "bb", "x");
    unit_write_str(f->dir, "b.txt", "x");
    static const char *const ignores[] = {"a/skip.txt", "b", "not/there"};
    ms_walk_options o = {ignores, 3, 0, 1, 0};
    assert_int_equal(walk(f, &o), 0);
    static const char *const expect[] = {"a/b", "a/keep.txt", "b.txt", "bb", NULL};
    assert_names(f, expect);
}

static void test_ignored_bad_entries_are_not_examined(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "ok", "x");
    assert_int_equal(mkfifo(unit_path(path, f->dir, "pipe"), 0600), 0);
    static const char *const ignores[] = {"pipe"};
    ms_walk_options o = {ignores, 1, 0, 1, 0};
    assert_int_equal(walk(f, &o), 0);
    static const char *const expect[] = {"ok", NULL};
    assert_names(f, expect);
}

static void test_signature_not_skipped_by_walk(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "model.sig", "{}");
    unit_write_str(f->dir, "claims.jsonl", "{}");
    unit_write_str(f->dir, "w", "x");
    assert_int_equal(walk(f, NULL), 0);
    static const char *const expect[] = {"claims.jsonl", "model.sig", "w", NULL};
    assert_names(f, expect);
}

static void test_single_file_model(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "model.bin", "0123456789");
    ms_error_clear(&f->err);
    assert_int_equal(
        msx_walk_collect(unit_path(path, f->dir, "model.bin"), &default_opts, &f->list, &f->err),
        0);
    assert_int_equal(f->list.count, 1);
    assert_string_equal(f->list.entries[0].path, ".");
    assert_null(f->list.entries[0].target);
    assert_int_equal(f->list.entries[0].size, 10);
}

static void test_empty_directory(void **state)
{
    fixture *f = *state;
    unit_mkdirs(f->dir, "empty/sub"); /* directories without files give no entries */
    assert_int_equal(walk(f, NULL), 0);
    assert_int_equal(f->list.count, 0);
}

static void test_missing_root(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_path(path, f->dir, "no-such-model");
    ms_error_clear(&f->err);
    assert_int_equal(msx_walk_collect(path, &default_opts, &f->list, &f->err), MS_EINPUT);
    assert_int_equal(f->err.code, MS_EINPUT);
    unit_assert_contains(f->err.message, "no-such-model");
    unit_assert_contains(f->err.message, "No such file");
}

static void test_fifo_refused(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "a", "x");
    unit_mkdirs(f->dir, "d");
    assert_int_equal(mkfifo(unit_path(path, f->dir, "d/my.pipe"), 0600), 0);
    expect_refusal(f, NULL, MS_EINPUT, "d/my.pipe", "FIFO");

    /* A FIFO given as the model itself is refused too. */
    ms_error_clear(&f->err);
    assert_int_equal(msx_walk_collect(path, &default_opts, &f->list, &f->err), MS_EINPUT);
    unit_assert_contains(f->err.message, "my.pipe");
    unit_assert_contains(f->err.message, "FIFO");
}

static void test_symlink_refused_by_default(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "real", "x");
    symlink_in(f, "real", "link");
    expect_refusal(f, NULL, MS_EINPUT, "link", "symbolic link");
}

static void test_symlink_allowed_inside(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "d/target.bin", "0123456789abcdef");
    symlink_in(f, "d/target.bin", "link");
    symlink_in(f, "../d/target.bin", "d/rel"); /* relative to its own directory */
    unit_mkdirs(f->dir, "e");
    symlink_in(f, "../link", "e/chain"); /* a link to a link */
    ms_walk_options o = {NULL, 0, 1, 1, 0};
    assert_int_equal(walk(f, &o), 0);
    static const char *const expect[] = {"d/rel", "d/target.bin", "e/chain", "link", NULL};
    assert_names(f, expect);
    const ms_file_entry *real = &f->list.entries[1];
    assert_null(real->target);
    for (size_t i = 0; i < 4; i++) {
        if (i == 1)
            continue;
        const ms_file_entry *e = &f->list.entries[i];
        assert_non_null(e->target);
        assert_string_equal(e->target, "d/target.bin");
        assert_int_equal(e->size, 16); /* the target's size, not the link's */
        assert_int_equal(e->ino, real->ino);
        assert_int_equal(e->dev, real->dev);
    }
}

static void test_symlink_outside_refused(void **state)
{
    fixture *f = *state;
    char outside[PATH_MAX];
    unit_write_str(f->dir, "model/w", "x");
    unit_write_str(f->dir, "secret", "x");
    symlink_in(f, "../secret", "model/link");
    ms_walk_options o = {NULL, 0, 1, 1, 0};
    ms_error_clear(&f->err);
    assert_int_equal(msx_walk_collect(unit_path(outside, f->dir, "model"), &o, &f->list, &f->err),
                     MS_EINPUT);
    unit_assert_contains(f->err.message, "model/link");
    unit_assert_contains(f->err.message, "outside");
    assert_int_equal(f->list.count, 0);

    /* An absolute link elsewhere is refused the same way. */
    assert_int_equal(unlink(unit_path(outside, f->dir, "model/link")), 0);
    assert_int_equal(symlink("/etc/passwd", outside), 0);
    ms_error_clear(&f->err);
    assert_int_equal(msx_walk_collect(unit_path(outside, f->dir, "model"), &o, &f->list, &f->err),
                     MS_EINPUT);
    unit_assert_contains(f->err.message, "outside");
}

static void test_symlink_to_directory_refused(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "d/x", "x");
    symlink_in(f, "d", "dlink");
    ms_walk_options o = {NULL, 0, 1, 1, 0};
    expect_refusal(f, &o, MS_EINPUT, "dlink", "directory");
    /* Without allow_symlinks it is refused as a symlink. */
    expect_refusal(f, NULL, MS_EINPUT, "dlink", "symbolic link");
}

static void test_symlink_loop_refused(void **state)
{
    fixture *f = *state;
    symlink_in(f, "loop2", "loop1");
    symlink_in(f, "loop1", "loop2");
    ms_walk_options o = {NULL, 0, 1, 1, 0};
    expect_refusal(f, &o, MS_EINPUT, "loop1", "symbolic link");
}

static void test_symlink_dangling_refused(void **state)
{
    fixture *f = *state;
    symlink_in(f, "nowhere", "dangling");
    ms_walk_options o = {NULL, 0, 1, 1, 0};
    expect_refusal(f, &o, MS_EINPUT, "dangling", "No such file");
}

static void test_non_utf8_name_refused(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "d/bad\xff\xfe.bin", "x");
    expect_refusal(f, NULL, MS_EINPUT, "d/bad", "UTF-8");
    /* Also for a directory name. */
    unit_rmtree(f->dir);
    assert_int_equal(mkdir(f->dir, 0700), 0);
    unit_write_str(f->dir, "\xc0\xaf/x", "x"); /* overlong '/' */
    expect_refusal(f, NULL, MS_EINPUT, "UTF-8", NULL);
}

static void test_backslash_name_refused(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "d/a\\b", "x");
    expect_refusal(f, NULL, MS_EINPUT, "d/a\\b", "backslash");
}

static void test_deep_nesting(void **state)
{
    fixture *f = *state;
    char rel[PATH_MAX];
    size_t n = 0;
    for (int i = 0; i < 300; i++) {
        memcpy(rel + n, "d/", 2);
        n += 2;
        if (i == 199) {
            /* 200 levels are fine. */
            memcpy(rel + n, "f", 2);
            unit_write_str(f->dir, rel, "x");
            assert_int_equal(walk(f, NULL), 0);
            assert_int_equal(f->list.count, 1);
            assert_int_equal(strlen(f->list.entries[0].path), 401);
        }
    }
    memcpy(rel + n, "f", 2);
    unit_write_str(f->dir, rel, "x");
    expect_refusal(f, NULL, MS_EINPUT, "d/d/d/", "deeper than");
}

static int stop_at_second(const ms_file_entry *e, void *ctx, ms_error *err)
{
    int *calls = ctx;
    if (++*calls == 2)
        return ms_error_set(err, MS_EENV, "%s: stop here", e->path);
    return 0;
}

static void test_callback_stops_walk(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "a", "x");
    unit_write_str(f->dir, "b/c", "x");
    unit_write_str(f->dir, "d", "x");
    int calls = 0;
    ms_error_clear(&f->err);
    assert_int_equal(msx_walk(f->dir, &default_opts, stop_at_second, &calls, &f->err), MS_EENV);
    assert_int_equal(calls, 2);
    assert_string_equal(f->err.message, "b/c: stop here");
}

/* The race the walk must win: between listing a directory and opening a subdirectory, the
 * subdirectory is replaced by a symbolic link to somewhere outside the model. The swap is done
 * from the callback for the file listed before it ("a.txt" < "b/"). */
typedef struct swap_ctx {
    const fixture *f;
    char outside[PATH_MAX];
    int calls;
    int saw_outside; /* a file from outside the model reached the callback */
} swap_ctx;

static int swap_dir_for_symlink(const ms_file_entry *e, void *ctx, ms_error *err)
{
    swap_ctx *c = ctx;
    char b[PATH_MAX], moved[PATH_MAX];
    (void)err;
    c->calls++;
    if (strstr(e->path, "secret"))
        c->saw_outside = 1;
    if (strcmp(e->path, "a.txt") == 0) {
        unit_path(b, c->f->dir, "b");
        unit_path(moved, c->outside, "b-moved");
        if (rename(b, moved) != 0 || symlink(c->outside, b) != 0)
            fail_msg("swap: %s", strerror(errno));
    }
    return 0;
}

static void run_swap(fixture *f, int no_stat)
{
    swap_ctx c = {.f = f};
    unit_tmpdir(c.outside);
    unit_write_str(c.outside, "secret", "not part of the model");
    unit_write_str(f->dir, "a.txt", "first");
    unit_write_str(f->dir, "b/inner", "inside");
    ms_walk_options o = {NULL, 0, 0, 1, no_stat};
    ms_error_clear(&f->err);
    int rc = msx_walk(f->dir, &o, swap_dir_for_symlink, &c, &f->err);
    assert_int_equal(rc, MS_EINPUT);
    unit_assert_contains(f->err.message, "b");
    assert_int_equal(c.calls, 1); /* a.txt only: nothing under the swapped-in link */
    assert_int_equal(c.saw_outside, 0);
    unit_rmtree(c.outside);
}

static void test_directory_swapped_for_symlink(void **state)
{
    run_swap(*state, 0);
}

static void test_directory_swapped_for_symlink_no_stat(void **state)
{
    run_swap(*state, 1);
}

static void test_path_is_safe(void **state)
{
    (void)state;
    static const char *const unsafe[] = {".",     "..", "a/../b", "/abs", "a//b", "a\\b", "",
                                         "a/./b", "a/", "./a",    "a/..", "a/.",  "/",    "../x"};
    static const char *const safe[] = {"a",   "a/b",  "a..b",    ".hidden",
                                       "...", "a/.b", "d0/d1/f", "\xc3\xa9"};
    for (size_t i = 0; i < sizeof unsafe / sizeof unsafe[0]; i++) {
        if (msx_path_is_safe(unsafe[i], strlen(unsafe[i])))
            fail_msg("\"%s\" accepted as safe", unsafe[i]);
    }
    for (size_t i = 0; i < sizeof safe / sizeof safe[0]; i++) {
        if (!msx_path_is_safe(safe[i], strlen(safe[i])))
            fail_msg("\"%s\" refused as unsafe", safe[i]);
    }
    /* An embedded NUL within the given length is unsafe; the length bounds the check. */
    assert_false(msx_path_is_safe("a\0b", 3));
    assert_true(msx_path_is_safe("ab/../c", 2));
}

static void test_utf8_valid(void **state)
{
    (void)state;
    static const char *const invalid[] = {
        "\xc0\xaf",         /* overlong '/' */
        "\xe0\x80\xaf",     /* overlong, 3 bytes */
        "\xf0\x80\x80\xaf", /* overlong, 4 bytes */
        "\xed\xa0\x80",     /* surrogate U+D800 */
        "\xed\xbf\xbf",     /* surrogate U+DFFF */
        "\xf4\x90\x80\x80", /* U+110000 */
        "\xf5\x80\x80\x80", /* lead byte beyond the range */
        "\xff",
        "\xfe",
        "\x80",                 /* stray continuation */
        "\xc3",                 /* truncated 2-byte */
        "\xe2\x82",             /* truncated 3-byte */
        "\xf0\x9f\x98",         /* truncated 4-byte */
        "a\xc3",                /* truncated at the end */
        "\xc3\x28",             /* bad continuation */
        "\xf8\x88\x80\x80\x80", /* 5-byte form */
        /* past the eight-bytes-at-a-time ASCII scan */
        "0123456789abcdef\xc3\x28",
        "abcdefg\x80",
        "0123456789abcdef01234567\xff",
        "0123456789abcdef\xc3\xa9-then-ascii-\xed\xa0\x80",
    };
    static const char *const valid[] = {
        "",
        "plain ascii",
        "\xc3\xa9",
        "\xe2\x82\xac",
        "\xf0\x9f\x98\x80",
        "\xef\xbb\xbf",
        "\xed\x9f\xbf",     /* U+D7FF, just below the surrogates */
        "\xee\x80\x80",     /* U+E000, just above */
        "\xf4\x8f\xbf\xbf", /* U+10FFFF */
        "\xc2\x80",         /* smallest 2-byte */
        "0123456789abcdef\xc3\xa9-then-more-ascii-0123456789\xf0\x9f\x98\x80",
        "exactly8",
        "sixteen-bytes-ab",
    };
    for (size_t i = 0; i < sizeof invalid / sizeof invalid[0]; i++) {
        if (msx_utf8_valid(invalid[i], strlen(invalid[i])))
            fail_msg("invalid UTF-8 #%zu accepted", i);
    }
    for (size_t i = 0; i < sizeof valid / sizeof valid[0]; i++) {
        if (!msx_utf8_valid(valid[i], strlen(valid[i])))
            fail_msg("valid UTF-8 #%zu refused", i);
    }
    /* The length bounds the check: a sequence cut by `len` is invalid. */
    assert_false(msx_utf8_valid("\xc3\xa9", 1));
}

static void expect_normalized(const char *root, const char *in, const char *out)
{
    ms_error err;
    ms_error_clear(&err);
    char *got = msx_path_normalize_ignore(root, in, &err);
    if (!got)
        fail_msg("\"%s\" refused: %s", in, err.message);
    assert_string_equal(got, out);
    free(got);
}

static void expect_not_normalized(const char *root, const char *in, const char *needle)
{
    ms_error err;
    ms_error_clear(&err);
    char *got = msx_path_normalize_ignore(root, in, &err);
    if (got)
        fail_msg("\"%s\" accepted as \"%s\"", in, got);
    assert_int_equal(err.code, MS_EINPUT);
    unit_assert_contains(err.message, needle);
}

static void test_normalize_ignore(void **state)
{
    fixture *f = *state;
    char abs[PATH_MAX], sibling[PATH_MAX + 16];
    expect_normalized(f->dir, "./x/", "x");
    expect_normalized(f->dir, "x", "x");
    expect_normalized(f->dir, "././a/b//", "a/b");
    expect_normalized(f->dir, unit_path(abs, f->dir, "sub/file"), "sub/file");
    expect_normalized(f->dir, unit_path(abs, f->dir, "sub/"), "sub");
    expect_not_normalized(f->dir, "../x", "../x");
    expect_not_normalized(f->dir, "a/../../x", "a/../../x");
    expect_not_normalized(f->dir, "/etc/passwd", "/etc/passwd");
    /* A sibling directory whose name extends the root's is outside. */
    snprintf(sibling, sizeof sibling, "%s-other/x", f->dir);
    expect_not_normalized(f->dir, sibling, "outside");
    /* The root itself is not something to ignore. */
    expect_not_normalized(f->dir, ".", ".");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_order),
        T(test_entry_metadata),
        T(test_git_paths_ignored_at_root_only),
        T(test_git_paths_kept_when_asked),
        T(test_ignore_paths),
        T(test_ignored_bad_entries_are_not_examined),
        T(test_signature_not_skipped_by_walk),
        T(test_single_file_model),
        T(test_empty_directory),
        T(test_missing_root),
        T(test_fifo_refused),
        T(test_symlink_refused_by_default),
        T(test_symlink_allowed_inside),
        T(test_symlink_outside_refused),
        T(test_symlink_to_directory_refused),
        T(test_symlink_loop_refused),
        T(test_symlink_dangling_refused),
        T(test_non_utf8_name_refused),
        T(test_backslash_name_refused),
        T(test_deep_nesting),
        T(test_callback_stops_walk),
        T(test_directory_swapped_for_symlink),
        T(test_directory_swapped_for_symlink_no_stat),
        T(test_path_is_safe),
        T(test_utf8_valid),
        T(test_normalize_ignore),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
