/* Unit tests for hashing (include/modelseal/hash.h, src/lib/hash/engine.h): SHA-256 and BLAKE2b-512
 * known answers, incremental hashing, and the parallel engine on shard ranges at and around shard
 * boundaries, checked against libsodium's own one-shot functions; files that change between the
 * walk and the hashing are refused; the worker core (hash_feed from a source callback, with
 * segments; hash_batch_run). */
#include "config.h"

#include <sodium.h>
#include <sys/stat.h>
#include <time.h>

#include "unit.h"

#include "../../src/lib/hash/engine.h"
#include "hash/walk.h"
#include "modelseal/error.h"
#include "modelseal/hash.h"

#define SHARD 10000u

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

static const ms_walk_options walk_opts = {NULL, 0, 0, 1, 0};

/* Deterministic, non-repeating test bytes; `seed` makes each file different. */
static uint8_t *make_bytes(size_t len, unsigned seed)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    uint32_t x = 2463534242u ^ seed;
    for (size_t i = 0; i < len; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)(x >> 24);
    }
    return p;
}

/* The reference digest, computed with libsodium directly (not through ms_hasher). */
static void reference_digest(ms_hash_algorithm alg, const uint8_t *data, size_t len, uint8_t *out)
{
    if (alg == MS_HASH_SHA256)
        assert_int_equal(crypto_hash_sha256(out, data, len), 0);
    else
        assert_int_equal(crypto_generichash(out, 64, data, len, NULL, 0), 0);
}

static void test_known_answers(void **state)
{
    (void)state;
    static const struct {
        ms_hash_algorithm alg;
        const char *msg;
        const char *hex;
    } kat[] = {
        {MS_HASH_SHA256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {MS_HASH_SHA256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {MS_HASH_SHA256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {MS_HASH_BLAKE2B, "",
         "786a02f742015903c6c6fd852552d272912f4740e15847618a86e217f71f5419d25e1031afee5853138964449"
         "34"
         "eb04b903a685b1448b755d56f701afe9be2ce"},
        {MS_HASH_BLAKE2B, "abc",
         "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4"
         "53"
         "3cc9518d38aa8dbf1925ab92386edd4009923"},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint8_t out[MS_HASH_MAX_SIZE];
        size_t n = ms_hash_size(kat[i].alg);
        ms_hasher *h = ms_hasher_new(kat[i].alg);
        assert_non_null(h);
        assert_int_equal(ms_hasher_update(h, kat[i].msg, strlen(kat[i].msg)), 0);
        assert_int_equal(ms_hasher_final(h, out), 0);
        unit_assert_hex(out, n, kat[i].hex);
        /* Reset and reuse gives the same answer. */
        assert_int_equal(ms_hasher_reset(h), 0);
        assert_int_equal(ms_hasher_update(h, kat[i].msg, strlen(kat[i].msg)), 0);
        assert_int_equal(ms_hasher_final(h, out), 0);
        unit_assert_hex(out, n, kat[i].hex);
        ms_hasher_free(h);
        if (kat[i].alg == MS_HASH_SHA256) {
            assert_int_equal(ms_sha256(kat[i].msg, strlen(kat[i].msg), out), 0);
            unit_assert_hex(out, 32, kat[i].hex);
        }
    }
    ms_hasher_free(NULL);
}

static void test_names_and_sizes(void **state)
{
    (void)state;
    ms_hash_algorithm alg = MS_HASH_BLAKE2B;
    assert_int_equal(ms_hash_size(MS_HASH_SHA256), 32);
    assert_int_equal(ms_hash_size(MS_HASH_BLAKE2B), 64);
    assert_string_equal(ms_hash_name(MS_HASH_SHA256), "sha256");
    assert_string_equal(ms_hash_name(MS_HASH_BLAKE2B), "blake2b");
    assert_int_equal(ms_hash_parse("sha256", &alg), 0);
    assert_int_equal(alg, MS_HASH_SHA256);
    assert_int_equal(ms_hash_parse("blake2b", &alg), 0);
    assert_int_equal(alg, MS_HASH_BLAKE2B);
    assert_int_equal(ms_hash_parse("SHA256", &alg), MS_EINPUT);
    assert_int_equal(ms_hash_parse("sha-256", &alg), MS_EINPUT);
    assert_int_equal(ms_hash_parse("blake2b-512", &alg), MS_EINPUT);
    assert_int_equal(ms_hash_parse("", &alg), MS_EINPUT);
    assert_int_equal(alg, MS_HASH_BLAKE2B); /* untouched on refusal */
}

static void test_incremental_equals_one_shot(void **state)
{
    (void)state;
    const size_t len = 3001;
    uint8_t *data = make_bytes(len, 7);
    static const size_t splits[] = {0, 1, 63, 64, 65, 127, 128, 129, 1000, 2999, 3000, 3001};
    for (int a = 0; a < 2; a++) {
        ms_hash_algorithm alg = a ? MS_HASH_BLAKE2B : MS_HASH_SHA256;
        uint8_t want[MS_HASH_MAX_SIZE], got[MS_HASH_MAX_SIZE];
        reference_digest(alg, data, len, want);
        ms_hasher *h = ms_hasher_new(alg);
        assert_non_null(h);
        for (size_t i = 0; i < sizeof splits / sizeof splits[0]; i++) {
            for (size_t j = i; j < sizeof splits / sizeof splits[0]; j++) {
                assert_int_equal(ms_hasher_reset(h), 0);
                assert_int_equal(ms_hasher_update(h, data, splits[i]), 0);
                assert_int_equal(ms_hasher_update(h, data + splits[i], splits[j] - splits[i]), 0);
                assert_int_equal(ms_hasher_update(h, data + splits[j], len - splits[j]), 0);
                assert_int_equal(ms_hasher_final(h, got), 0);
                assert_memory_equal(got, want, ms_hash_size(alg));
            }
        }
        /* Byte at a time. */
        assert_int_equal(ms_hasher_reset(h), 0);
        for (size_t i = 0; i < len; i++)
            assert_int_equal(ms_hasher_update(h, data + i, 1), 0);
        assert_int_equal(ms_hasher_final(h, got), 0);
        assert_memory_equal(got, want, ms_hash_size(alg));
        ms_hasher_free(h);
    }
    free(data);
}

/* Files whose sizes sit at and around multiples of the shard size. */
static const size_t file_sizes[] = {0,
                                    1,
                                    SHARD - 1,
                                    SHARD,
                                    SHARD + 1,
                                    2 * SHARD - 1,
                                    2 * SHARD,
                                    2 * SHARD + 1,
                                    3 * SHARD - 1,
                                    3 * SHARD,
                                    3 * SHARD + 1};
#define N_FILES (sizeof file_sizes / sizeof file_sizes[0])

typedef struct progress_seen {
    uint64_t last_done, last_total;
    unsigned calls;
} progress_seen;

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
    progress_seen *p = ctx;
    assert_true(done <= total);
    assert_true(done >= p->last_done); /* never goes backwards */
    p->last_done = done;
    p->last_total = total;
    p->calls++;
}

static void test_engine_shards(void **state)
{
    fixture *f = *state;
    uint8_t *content[N_FILES];
    char name[32];
    for (size_t i = 0; i < N_FILES; i++) {
        content[i] = make_bytes(file_sizes[i], (unsigned)i + 100);
        snprintf(name, sizeof name, "d/size_%06zu", file_sizes[i]);
        unit_write(f->dir, name, content[i], file_sizes[i]);
    }
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    assert_int_equal(f->list.count, N_FILES);
    /* The walk order is the names' order, which is the sizes' order (zero-padded). */

    /* Items: every shard of every file, then every whole file, then a few odd ranges. */
    ms_hash_item items[256];
    size_t n = 0;
    for (size_t i = 0; i < N_FILES; i++) {
        for (size_t start = 0; start < file_sizes[i]; start += SHARD) {
            size_t end = file_sizes[i] - start > SHARD ? start + SHARD : file_sizes[i];
            items[n++] = (ms_hash_item){.file = i, .start = start, .end = end};
        }
        items[n++] = (ms_hash_item){.file = i, .start = 0, .end = file_sizes[i]};
        if (file_sizes[i] >= 3) /* a range that starts and ends inside a buffer */
            items[n++] = (ms_hash_item){.file = i, .start = 1, .end = file_sizes[i] - 1};
        items[n++] = (ms_hash_item){.file = i, .start = file_sizes[i], .end = file_sizes[i]};
    }
    assert_true(n <= sizeof items / sizeof items[0]);
    uint64_t total = 0;
    for (size_t k = 0; k < n; k++)
        total += items[k].end - items[k].start;

    for (int a = 0; a < 2; a++) {
        for (unsigned threads = 1; threads <= 3; threads += 2) {
            ms_hash_algorithm alg = a ? MS_HASH_BLAKE2B : MS_HASH_SHA256;
            progress_seen seen = {0, 0, 0};
            for (size_t k = 0; k < n; k++)
                memset(items[k].digest, 0xAA, sizeof items[k].digest);
            ms_hash_job job = {.root = f->dir,
                               .files = &f->list,
                               .items = items,
                               .n_items = n,
                               .algorithm = alg,
                               .threads = threads,
                               .buffer_size = 4096,
                               .progress = on_progress,
                               .progress_ctx = &seen};
            ms_error_clear(&f->err);
            int rc = hash_run(&job, &f->err);
            if (rc != 0)
                fail_msg("hash_run: %d %s", rc, f->err.message);
            for (size_t k = 0; k < n; k++) {
                uint8_t want[MS_HASH_MAX_SIZE];
                reference_digest(alg, content[items[k].file] + items[k].start,
                                 (size_t)(items[k].end - items[k].start), want);
                if (memcmp(want, items[k].digest, ms_hash_size(alg)) != 0)
                    fail_msg("%s threads=%u: item %zu (%s %llu-%llu) digest differs",
                             ms_hash_name(alg), threads, k, f->list.entries[items[k].file].path,
                             (unsigned long long)items[k].start, (unsigned long long)items[k].end);
            }
            /* Progress ends at the total (one final report at least). */
            assert_true(seen.calls >= 1);
            assert_int_equal(seen.last_total, total);
            assert_int_equal(seen.last_done, total);
        }
    }
    for (size_t i = 0; i < N_FILES; i++)
        free(content[i]);
}

static void test_engine_default_buffer_and_threads(void **state)
{
    fixture *f = *state;
    uint8_t *data = make_bytes(50000, 3);
    unit_write(f->dir, "w", data, 50000);
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    ms_hash_item item = {.file = 0, .start = 0, .end = 50000};
    ms_hash_job job = {.root = f->dir, .files = &f->list, .items = &item, .n_items = 1};
    assert_int_equal(hash_run(&job, &f->err), 0);
    uint8_t want[32];
    reference_digest(MS_HASH_SHA256, data, 50000, want);
    assert_memory_equal(item.digest, want, 32);
    /* No items at all is fine. */
    job.n_items = 0;
    assert_int_equal(hash_run(&job, &f->err), 0);
    free(data);
}

static void test_engine_single_file_model(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "model.bin", "This is a simple model");
    unit_path(path, f->dir, "model.bin");
    assert_int_equal(msx_walk_collect(path, &walk_opts, &f->list, &f->err), 0);
    assert_string_equal(f->list.entries[0].path, ".");
    ms_hash_item items[3] = {{.file = 0, .start = 0, .end = 8},
                             {.file = 0, .start = 8, .end = 16},
                             {.file = 0, .start = 16, .end = 22}};
    ms_hash_job job = {.root = path, .files = &f->list, .items = items, .n_items = 3, .threads = 2};
    assert_int_equal(hash_run(&job, &f->err), 0);
    /* The OMS golden digests of this model's 8-byte shards. */
    unit_assert_hex(items[0].digest, 32,
                    "a37010c994067764d86540bf479d93b4d0c3bb3955de7b61f951caf2fd0301b0");
    unit_assert_hex(items[1].digest, 32,
                    "bd762002a3528a27fb9a8822f822b949d3c9ab7e860af33039c9aa70ebbbe682");
    unit_assert_hex(items[2].digest, 32,
                    "a791e1e893ea4260c77475725101fb4cc6ad85f6340f21f10b239184e318cd21");
}

/* Walk a model of two files ("a" and "b", 20000 bytes each), let `change` alter it, then hash;
 * expect `code` and a message naming file "b" and containing `needle`. */
static void expect_changed(fixture *f, void (*change)(fixture *), int code, const char *needle)
{
    uint8_t *data = make_bytes(20000, 9);
    char path[PATH_MAX];
    unit_write(f->dir, "a", data, 20000);
    unit_write(f->dir, "b", data, 20000);
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    assert_int_equal(f->list.count, 2);
    change(f);
    ms_hash_item items[2] = {{.file = 0, .start = 0, .end = 20000},
                             {.file = 1, .start = 0, .end = 20000}};
    for (unsigned threads = 1; threads <= 2; threads++) {
        ms_hash_job job = {.root = f->dir,
                           .files = &f->list,
                           .items = items,
                           .n_items = 2,
                           .threads = threads,
                           .buffer_size = 4096};
        ms_error_clear(&f->err);
        int rc = hash_run(&job, &f->err);
        if (rc != code)
            fail_msg("hash_run returned %d (%s), expected %d", rc, f->err.message, code);
        assert_int_equal(f->err.code, code);
        unit_assert_contains(f->err.message, unit_path(path, f->dir, "b"));
        unit_assert_contains(f->err.message, needle);
    }
    free(data);
}

static void grow_b(fixture *f)
{
    char path[PATH_MAX];
    FILE *fp = fopen(unit_path(path, f->dir, "b"), "ab");
    assert_non_null(fp);
    fputc('x', fp);
    fclose(fp);
}

static void shrink_b(fixture *f)
{
    char path[PATH_MAX];
    assert_int_equal(truncate(unit_path(path, f->dir, "b"), 100), 0);
}

static void touch_b(fixture *f)
{
    char path[PATH_MAX];
    /* Same size and bytes, another modification time. */
    struct timespec times[2] = {{0, UTIME_OMIT}, {f->list.entries[1].mtime_sec - 100, 0}};
    assert_int_equal(utimensat(AT_FDCWD, unit_path(path, f->dir, "b"), times, 0), 0);
}

static void replace_b_same_metadata(fixture *f)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    /* Another inode with the same size and mtime: still not the file that was listed. */
    uint8_t *data = make_bytes(20000, 10);
    unit_write(f->dir, "b.new", data, 20000);
    struct timespec times[2] = {{0, UTIME_OMIT},
                                {f->list.entries[1].mtime_sec, f->list.entries[1].mtime_nsec}};
    assert_int_equal(utimensat(AT_FDCWD, unit_path(tmp, f->dir, "b.new"), times, 0), 0);
    assert_int_equal(rename(tmp, unit_path(path, f->dir, "b")), 0);
    free(data);
}

/* Sleep past the kernel's timestamp tick (at most 10 ms at HZ=100), so that a change made now
 * gets another ctime than the one before. */
static void next_tick(void)
{
    struct timespec t = {0, 25000000};
    nanosleep(&t, NULL);
}

/* Write `len` bytes over the start of `path` (same size) and put its mtime back to `mtime`. */
static void overwrite_keep_mtime(const char *path, const uint8_t *data, size_t len,
                                 const struct timespec *mtime)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, len, 0), (ssize_t)len);
    struct timespec times[2] = {{0, UTIME_OMIT}, *mtime};
    assert_int_equal(futimens(fd, times), 0);
    close(fd);
}

static void rewrite_b_keep_mtime(fixture *f)
{
    char path[PATH_MAX];
    /* Other bytes, same size, and the mtime put back: only ctime tells. */
    uint8_t *data = make_bytes(20000, 11);
    struct timespec mtime = {f->list.entries[1].mtime_sec, f->list.entries[1].mtime_nsec};
    next_tick();
    overwrite_keep_mtime(unit_path(path, f->dir, "b"), data, 20000, &mtime);
    free(data);
}

static void symlink_b(fixture *f)
{
    char path[PATH_MAX];
    assert_int_equal(unlink(unit_path(path, f->dir, "b")), 0);
    assert_int_equal(symlink("a", path), 0);
}

static void remove_b(fixture *f)
{
    char path[PATH_MAX];
    assert_int_equal(unlink(unit_path(path, f->dir, "b")), 0);
}

static void test_changed_size(void **state)
{
    expect_changed(*state, grow_b, MS_EINPUT, "changed");
    msx_file_list_free(&((fixture *)*state)->list);
    expect_changed(*state, shrink_b, MS_EINPUT, "changed");
}

static void test_changed_mtime(void **state)
{
    expect_changed(*state, touch_b, MS_EINPUT, "changed");
}

static void test_rewritten_mtime_restored(void **state)
{
    expect_changed(*state, rewrite_b_keep_mtime, MS_EINPUT, "ctime");
}

static void test_replaced_file(void **state)
{
    expect_changed(*state, replace_b_same_metadata, MS_EINPUT, "changed");
}

static void test_replaced_by_symlink(void **state)
{
    expect_changed(*state, symlink_b, MS_EINPUT, "symbolic link");
}

static void test_removed_file(void **state)
{
    expect_changed(*state, remove_b, MS_EINPUT, "No such file");
}

/* A Hugging Face cache snapshot: links a and b to blobs h1 and h2 of the repository. The engine
 * opens a blob by its name in blobs/ (not through the link) and checks it is the file the walk
 * resolved: each way of swapping it between the walk and the open is refused, naming the link. */
static void hf_swap_blob(fixture *f)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    uint8_t *data = make_bytes(20000, 12);
    const ms_file_entry *e = &f->list.entries[1];
    unit_write(f->dir, "hub/models--a--b/blobs/h2.new", data, 20000);
    struct timespec times[2] = {{0, UTIME_OMIT}, {e->mtime_sec, e->mtime_nsec}};
    unit_path(tmp, f->dir, "hub/models--a--b/blobs/h2.new");
    assert_int_equal(utimensat(AT_FDCWD, tmp, times, 0), 0);
    assert_int_equal(rename(tmp, unit_path(path, f->dir, "hub/models--a--b/blobs/h2")), 0);
    free(data);
}

static void hf_blob_to_link(fixture *f)
{
    char path[PATH_MAX];
    assert_int_equal(unlink(unit_path(path, f->dir, "hub/models--a--b/blobs/h2")), 0);
    assert_int_equal(symlink("h1", path), 0);
}

/* blobs/ itself replaced by a copy (other inodes, same names, sizes and times). */
static void hf_copy_blobs(fixture *f)
{
    char path[PATH_MAX], old[PATH_MAX], name[PATH_MAX];
    unit_path(path, f->dir, "hub/models--a--b/blobs");
    unit_path(old, f->dir, "hub/models--a--b/blobs.old");
    assert_int_equal(rename(path, old), 0);
    uint8_t *data = make_bytes(20000, 9);
    for (size_t i = 0; i < 2; i++) {
        const ms_file_entry *e = &f->list.entries[i];
        snprintf(name, sizeof name, "hub/models--a--b/blobs/%s", e->target);
        unit_write(f->dir, name, data, 20000);
        struct timespec times[2] = {{0, UTIME_OMIT}, {e->mtime_sec, e->mtime_nsec}};
        assert_int_equal(utimensat(AT_FDCWD, unit_path(path, f->dir, name), times, 0), 0);
    }
    free(data);
}

/* blobs/ replaced by a link to the very directory: no link may stand in for it. */
static void hf_link_blobs(fixture *f)
{
    char path[PATH_MAX], old[PATH_MAX];
    unit_path(path, f->dir, "hub/models--a--b/blobs");
    unit_path(old, f->dir, "hub/models--a--b/blobs.old");
    assert_int_equal(rename(path, old), 0);
    assert_int_equal(symlink("blobs.old", path), 0);
}

static void expect_hf_refused(fixture *f, void (*change)(fixture *), const char *needle)
{
    char snap[PATH_MAX], path[PATH_MAX];
    uint8_t *data = make_bytes(20000, 9);
    unit_write(f->dir, "hub/models--a--b/blobs/h1", data, 20000);
    unit_write(f->dir, "hub/models--a--b/blobs/h2", data, 20000);
    unit_mkdirs(f->dir, "hub/models--a--b/snapshots/r");
    unit_path(snap, f->dir, "hub/models--a--b/snapshots/r");
    assert_int_equal(symlink("../../blobs/h1", unit_path(path, snap, "a")), 0);
    assert_int_equal(symlink("../../blobs/h2", unit_path(path, snap, "b")), 0);
    assert_int_equal(msx_walk_collect(snap, &walk_opts, &f->list, &f->err), 0);
    assert_int_equal(f->list.count, 2);
    assert_true(f->list.entries[0].hf_blob && f->list.entries[1].hf_blob);
    ms_hash_item items[2] = {{.file = 0, .start = 0, .end = 20000},
                             {.file = 1, .start = 0, .end = 20000}};
    ms_hash_job job = {.root = snap, .files = &f->list, .items = items, .n_items = 2};
    assert_int_equal(hash_run(&job, &f->err), 0); /* as it is, the snapshot hashes */
    change(f);
    for (unsigned threads = 1; threads <= 2; threads++) {
        job.threads = threads;
        ms_error_clear(&f->err);
        assert_int_equal(hash_run(&job, &f->err), MS_EINPUT);
        /* named by the link's path (b, or a when all of blobs/ was swapped) */
        unit_assert_contains(
            f->err.message,
            unit_path(path, snap, change == hf_copy_blobs || change == hf_link_blobs ? "" : "b"));
        unit_assert_contains(f->err.message, needle);
    }
    free(data);
}

static void test_hf_blob_swapped(void **state)
{
    fixture *f = *state;
    void (*changes[])(fixture *) = {hf_swap_blob, hf_blob_to_link, hf_copy_blobs, hf_link_blobs};
    const char *needles[] = {"changed since it was listed", "a path component is a symbolic link",
                             "changed since it was listed", "cannot open"};
    for (size_t i = 0; i < 4; i++) {
        char path[PATH_MAX];
        unit_rmtree(unit_path(path, f->dir, "hub"));
        msx_file_list_free(&f->list);
        expect_hf_refused(f, changes[i], needles[i]);
    }
}

/* The engine hands the caller the bytes of whole files that begin like a git LFS pointer, and
 * only those: not a larger file, not an item that is part of a file, not other small files. */
typedef struct lfs_seen {
    size_t n, item[8], len[8];
    char first[8];
} lfs_seen;

static void lfs_record(void *ctx, size_t item, const uint8_t *data, size_t len)
{
    lfs_seen *s = ctx;
    if (s->n < 8) {
        s->item[s->n] = item;
        s->len[s->n] = len;
        s->first[s->n] = (char)data[len - 1];
        s->n++;
    }
}

static void test_engine_lfs_check(void **state)
{
    fixture *f = *state;
    char big[2000];
    const char *v = MS_HASH_LFS_VERSION;
    memset(big, 'x', sizeof big);
    memcpy(big, v, strlen(v));
    unit_write_str(f->dir, "a_pointer", "version https://git-lfs.github.com/spec/v1\noid ZZZ");
    unit_write_str(f->dir, "b_plain", "an ordinary small file, not a pointer at all, no..");
    unit_write(f->dir, "c_big", big, sizeof big);
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    assert_int_equal(f->list.count, 3);
    ms_hash_item items[5] = {{.file = 0, .start = 0, .end = 50},
                             {.file = 1, .start = 0, .end = 50},
                             {.file = 2, .start = 0, .end = 2000},
                             {.file = 0, .start = 0, .end = 25},
                             {.file = 0, .start = 25, .end = 50}};
    for (unsigned threads = 1; threads <= 2; threads++) {
        lfs_seen seen = {0};
        ms_hash_job job = {.root = f->dir,
                           .files = &f->list,
                           .items = items,
                           .n_items = 5,
                           .threads = threads,
                           .buffer_size = 16, /* grown: a pointer is read whole */
                           .lfs_check = lfs_record,
                           .lfs_ctx = &seen};
        assert_int_equal(hash_run(&job, &f->err), 0);
        assert_int_equal(seen.n, 1);
        assert_int_equal(seen.item[0], 0);
        assert_int_equal(seen.len[0], 50);
        assert_int_equal(seen.first[0], 'Z');
    }
}

static void test_range_outside_file(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "small", "0123456789");
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    ms_hash_item items[2] = {{.file = 0, .start = 0, .end = 11}, {.file = 0, .start = 6, .end = 5}};
    for (size_t i = 0; i < 2; i++) {
        ms_hash_job job = {
            .root = f->dir, .files = &f->list, .items = &items[i], .n_items = 1, .threads = 1};
        ms_error_clear(&f->err);
        assert_int_equal(hash_run(&job, &f->err), MS_EINPUT);
        unit_assert_contains(f->err.message, unit_path(path, f->dir, "small"));
        unit_assert_contains(f->err.message, "outside the file");
    }
}

/* A file replaced after the walk by a directory or a FIFO: no hang (the read comes before the
 * fstat that checks the file, and a FIFO is opened non-blocking), and an error naming it. */
static void test_replaced_by_special(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    for (int kind = 0; kind < 2; kind++) {
        msx_file_list_free(&f->list);
        unit_write_str(f->dir, "w", "0123456789");
        assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
        assert_int_equal(unlink(unit_path(path, f->dir, "w")), 0);
        assert_int_equal(kind == 0 ? mkdir(path, 0700) : mkfifo(path, 0600), 0);
        ms_hash_item item = {.file = 0, .start = 0, .end = 10};
        ms_hash_job job = {
            .root = f->dir, .files = &f->list, .items = &item, .n_items = 1, .threads = 1};
        ms_error_clear(&f->err);
        assert_int_equal(hash_run(&job, &f->err), MS_EINPUT);
        unit_assert_contains(f->err.message, path);
        unit_assert_contains(f->err.message, "is no longer a regular file");
        assert_int_equal(kind == 0 ? rmdir(path) : unlink(path), 0);
    }
}

static void test_missing_root(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    unit_write_str(f->dir, "w", "x");
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    ms_hash_item item = {.file = 0, .start = 0, .end = 1};
    ms_hash_job job = {
        .root = unit_path(path, f->dir, "gone"), .files = &f->list, .items = &item, .n_items = 1};
    assert_int_equal(hash_run(&job, &f->err), MS_EINPUT);
    unit_assert_contains(f->err.message, "gone");
}

/* ---- the streaming engine ---------------------------------------------------------------- */

typedef struct stream_seen {
    char paths[64][32];
    uint8_t digests[64][MS_HASH_MAX_SIZE];
    uint64_t sizes[64], nlinks[64];
    int hashed[64];
    unsigned tags[64];
    size_t n;
    ms_hash_stream *s;
    int pass_every; /* add every n-th file with hash = 0 (0: never) */
} stream_seen;

static int stream_done(void *ctx, const ms_hash_stream_file *file, ms_error *err)
{
    (void)err;
    stream_seen *seen = ctx;
    assert_true(seen->n < 64);
    snprintf(seen->paths[seen->n], sizeof seen->paths[0], "%s", file->path);
    memcpy(seen->digests[seen->n], file->digest, MS_HASH_MAX_SIZE);
    seen->sizes[seen->n] = file->size;
    seen->nlinks[seen->n] = file->nlink;
    seen->hashed[seen->n] = file->hashed;
    if (file->user)
        memcpy(&seen->tags[seen->n], file->user, sizeof(unsigned));
    seen->n++;
    return 0;
}

static int stream_add(const ms_file_entry *e, void *ctx, ms_error *err)
{
    stream_seen *seen = ctx;
    static unsigned tag;
    tag++;
    int hash = !(seen->pass_every && tag % (unsigned)seen->pass_every == 0);
    return hash_stream_add(seen->s, e, hash, -1, &tag, err);
}

/* Files come back in walk order with the digests the batch engine computes, whatever the thread
 * count and however small the window; pass-through files are not opened; hard links are
 * counted. */
static void test_stream_matches_engine(void **state)
{
    fixture *f = *state;
    char a[PATH_MAX], b[PATH_MAX];
    for (unsigned i = 0; i < 20; i++) {
        char rel[32];
        size_t len = i == 3 ? 300000 : (size_t)(i * 997);
        uint8_t *data = make_bytes(len, i);
        snprintf(rel, sizeof rel, "d%u/f%02u", i % 4, i);
        unit_write(f->dir, rel, data, len);
        free(data);
    }
    assert_int_equal(link(unit_path(a, f->dir, "d1/f05"), unit_path(b, f->dir, "linked")), 0);
    assert_int_equal(msx_walk_collect(f->dir, &walk_opts, &f->list, &f->err), 0);
    size_t n = f->list.count;
    assert_int_equal(n, 21);
    ms_hash_item *items = calloc(n, sizeof *items);
    assert_non_null(items);
    for (size_t i = 0; i < n; i++) {
        items[i].file = i;
        items[i].end = f->list.entries[i].size;
    }
    ms_hash_job job = {.root = f->dir,
                       .files = &f->list,
                       .items = items,
                       .n_items = n,
                       .algorithm = MS_HASH_SHA256,
                       .threads = 2};
    assert_int_equal(hash_run(&job, &f->err), 0);
    static const struct {
        unsigned threads;
        size_t window;
        int pass_every;
    } runs[] = {{1, 0, 0}, {2, 1, 0}, {3, 2, 3}, {2, 5, 0}, {4, 0, 2}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        stream_seen seen;
        memset(&seen, 0, sizeof seen);
        seen.pass_every = runs[r].pass_every;
        ms_hash_stream_options so = {.root = f->dir,
                                     .algorithm = MS_HASH_SHA256,
                                     .threads = runs[r].threads,
                                     .window = runs[r].window,
                                     .buffer_size = 4096,
                                     .user_size = sizeof(unsigned),
                                     .done = stream_done,
                                     .ctx = &seen};
        seen.s = hash_stream_new(&so, &f->err);
        assert_non_null(seen.s);
        ms_walk_options wo = walk_opts;
        wo.no_stat = r % 2; /* both ways of walking give the stream what it needs */
        assert_int_equal(msx_walk(f->dir, &wo, stream_add, &seen, &f->err), 0);
        assert_int_equal(hash_stream_finish(seen.s, &f->err), 0);
        hash_stream_free(seen.s);
        assert_int_equal(seen.n, n);
        for (size_t i = 0; i < n; i++) {
            assert_string_equal(seen.paths[i], f->list.entries[i].path);
            if (i > 0)
                assert_true(seen.tags[i] == seen.tags[i - 1] + 1);
            int passed = seen.pass_every && seen.tags[i] % (unsigned)seen.pass_every == 0;
            assert_int_equal(seen.hashed[i], !passed);
            if (passed)
                continue;
            assert_memory_equal(seen.digests[i], items[i].digest, MS_SHA256_SIZE);
            assert_int_equal(seen.sizes[i], f->list.entries[i].size);
            int is_link =
                strcmp(seen.paths[i], "linked") == 0 || strcmp(seen.paths[i], "d1/f05") == 0;
            assert_int_equal(seen.nlinks[i], is_link ? 2 : 1);
            assert_int_equal(f->list.entries[i].nlink, is_link ? 2 : 1);
        }
    }
    free(items);
}

/* A file removed after the walk listed it: an error naming it, not a digest. */
static int stream_add_then_remove(const ms_file_entry *e, void *ctx, ms_error *err)
{
    stream_seen *seen = ctx;
    if (strcmp(e->name, "gone") == 0 && unlinkat(e->dir_fd, e->name, 0) != 0)
        return ms_error_set(err, MS_EENV, "unlink failed");
    return hash_stream_add(seen->s, e, 1, -1, NULL, err);
}

static void test_stream_file_vanishes(void **state)
{
    fixture *f = *state;
    unit_write_str(f->dir, "a", "aaa");
    unit_write_str(f->dir, "gone", "soon");
    stream_seen seen;
    memset(&seen, 0, sizeof seen);
    ms_hash_stream_options so = {.root = f->dir,
                                 .algorithm = MS_HASH_SHA256,
                                 .threads = 2,
                                 .done = stream_done,
                                 .ctx = &seen};
    seen.s = hash_stream_new(&so, &f->err);
    assert_non_null(seen.s);
    ms_walk_options wo = walk_opts;
    wo.no_stat = 1;
    int rc = msx_walk(f->dir, &wo, stream_add_then_remove, &seen, &f->err);
    if (rc == 0)
        rc = hash_stream_finish(seen.s, &f->err);
    hash_stream_free(seen.s);
    assert_int_equal(rc, MS_EINPUT);
    assert_non_null(strstr(f->err.message, "gone: cannot open"));
}

/* A writer that writes into a file right after the streaming engine read it and puts its
 * mtime back (futimens): the digest handed back is never one of bytes the file no longer holds.
 * Either the file is reported changed, or what was hashed is what it now holds. The write comes
 * after the first read (the quick way's one read, which an old mtime let through before ctime
 * was checked) or after the second (the careful way's read, checked by mtime alone before). */
typedef struct racer {
    char path[PATH_MAX];
    struct timespec mtime;
    int calls, fire_at;
} racer;

static void race_after_read(void *ctx, int fd)
{
    racer *r = ctx;
    (void)fd;
    if (++r->calls != r->fire_at)
        return;
    uint8_t *data = make_bytes(5000, 13);
    overwrite_keep_mtime(r->path, data, 5000, &r->mtime);
    free(data);
}

static void test_stream_written_while_read(void **state)
{
    fixture *f = *state;
    for (int run = 0; run < 4; run++) {
        int old = run & 1;
        uint8_t *data = make_bytes(5000, 12);
        unit_write(f->dir, "w", data, 5000);
        free(data);
        racer r;
        memset(&r, 0, sizeof r);
        r.fire_at = 1 + (run >> 1);
        unit_path(r.path, f->dir, "w");
        struct stat st;
        if (old) { /* mtime well past the quick way's margin */
            struct timespec times[2] = {{0, UTIME_OMIT}, {time(NULL) - 100, 0}};
            assert_int_equal(utimensat(AT_FDCWD, r.path, times, 0), 0);
        }
        assert_int_equal(stat(r.path, &st), 0);
        r.mtime = st.st_mtim;
        stream_seen seen;
        memset(&seen, 0, sizeof seen);
        ms_hash_stream_options so = {.root = f->dir,
                                     .algorithm = MS_HASH_SHA256,
                                     .threads = 1,
                                     .done = stream_done,
                                     .ctx = &seen,
                                     .after_read = race_after_read,
                                     .after_read_ctx = &r};
        seen.s = hash_stream_new(&so, &f->err);
        assert_non_null(seen.s);
        ms_walk_options wo = walk_opts;
        wo.no_stat = 1;
        int rc = msx_walk(f->dir, &wo, stream_add, &seen, &f->err);
        if (rc == 0)
            rc = hash_stream_finish(seen.s, &f->err);
        hash_stream_free(seen.s);
        assert_true(r.calls >= r.fire_at);
        if (rc == 0) {
            uint8_t now[MS_SHA256_SIZE];
            uint8_t *after = make_bytes(5000, 13);
            reference_digest(MS_HASH_SHA256, after, 5000, now);
            free(after);
            assert_int_equal(seen.n, 1);
            if (memcmp(seen.digests[0], now, MS_SHA256_SIZE) != 0)
                fail_msg("%s mtime, write after read %d: a digest of bytes the file no longer "
                         "holds, and no error",
                         old ? "old" : "new", r.fire_at);
        } else {
            assert_int_equal(rc, MS_EINPUT);
            unit_assert_contains(f->err.message, "w: changed while hashing");
            unit_assert_contains(f->err.message, "ctime");
        }
    }
}

/* ---- the worker core (hash_feed, hash_batch_run) ---- */

typedef struct mem_src {
    const uint8_t *data;
    uint64_t len;  /* bytes the source has (may be fewer than asked for: it ends early) */
    size_t most;   /* the most it gives at once (short reads), 0: all asked */
    int zero_copy; /* give *data instead of copying */
    int fail_at;   /* > 0: a read at or past this offset fails with EIO */
} mem_src;

static ssize_t read_mem(void *src, uint64_t off, uint8_t *buf, size_t want, const uint8_t **data)
{
    mem_src *m = src;
    if (m->fail_at > 0 && off >= (uint64_t)m->fail_at)
        return -EIO;
    if (off >= m->len)
        return 0;
    size_t n = want;
    if (n > m->len - off)
        n = (size_t)(m->len - off);
    if (m->most && n > m->most)
        n = m->most;
    if (m->zero_copy)
        *data = m->data + off;
    else
        memcpy(buf, m->data + off, n);
    return (ssize_t)n;
}

typedef struct seen_digests {
    uint8_t d[16][MS_HASH_MAX_SIZE];
    size_t n;
} seen_digests;

static int keep_digest(void *ctx, size_t k, const uint8_t *digest)
{
    seen_digests *s = ctx;
    assert_int_equal(k, s->n);
    assert_true(s->n < 16);
    memcpy(s->d[s->n++], digest, MS_HASH_MAX_SIZE);
    return 0;
}

/* One digest per segment, equal to the one-shot digest of that segment's bytes, however the
 * source hands the bytes over (copied or not, in short pieces or whole); an empty range has one
 * digest without segments and none with them. */
static void test_feed_segments(void **state)
{
    (void)state;
    const uint64_t len = 25000, seg = 10000;
    uint8_t *data = make_bytes((size_t)len, 7);
    hash_worker w = {0};
    ms_error e;
    w.hasher = ms_hasher_new(MS_HASH_SHA256);
    assert_non_null(w.hasher);
    assert_int_equal(hash_worker_grow(&w, 4096, &e), 0);
    for (int mode = 0; mode < 4; mode++) {
        mem_src m = {data, len, mode & 1 ? 777 : 0, mode & 2, 0};
        seen_digests s = {.n = 0};
        hash_feed_job f = {.read = read_mem,
                           .src = &m,
                           .start = 0,
                           .end = len,
                           .segment = seg,
                           .chunk = m.zero_copy ? SIZE_MAX : 0,
                           .digest = keep_digest,
                           .ctx = &s};
        assert_int_equal(hash_feed(&w, &f), HASH_FEED_OK);
        assert_int_equal(s.n, 3);
        for (size_t k = 0; k < 3; k++) {
            uint8_t want[MS_HASH_MAX_SIZE];
            uint64_t a = k * seg, b = a + seg < len ? a + seg : len;
            reference_digest(MS_HASH_SHA256, data + a, (size_t)(b - a), want);
            assert_memory_equal(s.d[k], want, 32);
        }
    }
    /* A range inside the source, no segments: one digest of exactly those bytes. */
    {
        mem_src m = {data, len, 0, 0, 0};
        seen_digests s = {.n = 0};
        hash_feed_job f = {.read = read_mem,
                           .src = &m,
                           .start = 100,
                           .end = 20100,
                           .digest = keep_digest,
                           .ctx = &s};
        uint8_t want[MS_HASH_MAX_SIZE];
        assert_int_equal(hash_feed(&w, &f), HASH_FEED_OK);
        assert_int_equal(s.n, 1);
        reference_digest(MS_HASH_SHA256, data + 100, 20000, want);
        assert_memory_equal(s.d[0], want, 32);
    }
    /* Empty: one digest (of nothing) without segments, none with. */
    for (int with_seg = 0; with_seg < 2; with_seg++) {
        mem_src m = {data, 0, 0, 0, 0};
        seen_digests s = {.n = 0};
        hash_feed_job f = {.read = read_mem,
                           .src = &m,
                           .segment = with_seg ? seg : 0,
                           .digest = keep_digest,
                           .ctx = &s};
        uint8_t want[MS_HASH_MAX_SIZE];
        assert_int_equal(hash_feed(&w, &f), HASH_FEED_OK);
        assert_int_equal(s.n, with_seg ? 0 : 1);
        reference_digest(MS_HASH_SHA256, data, 0, want);
        if (!with_seg)
            assert_memory_equal(s.d[0], want, 32);
    }
    /* A source that ends early, and one that fails: where, and why. */
    {
        mem_src m = {data, 15000, 0, 0, 0};
        seen_digests s = {.n = 0};
        hash_feed_job f = {.read = read_mem,
                           .src = &m,
                           .end = len,
                           .segment = seg,
                           .digest = keep_digest,
                           .ctx = &s};
        assert_int_equal(hash_feed(&w, &f), HASH_FEED_SHORT);
        assert_int_equal(f.fail_off, 15000);
        assert_int_equal(s.n, 1); /* the first segment was whole */
        mem_src m2 = {data, len, 0, 0, 12288};
        hash_feed_job f2 = {.read = read_mem, .src = &m2, .end = len};
        assert_int_equal(hash_feed(&w, &f2), HASH_FEED_READ);
        assert_int_equal(f2.fail_off, 12288);
        assert_int_equal(f2.read_errno, EIO);
    }
    hash_worker_clear(&w);
    free(data);
}

typedef struct batch_seen {
    _Atomic unsigned done[64];
    unsigned threads;
} batch_seen;

static int batch_fn(void *ctx, size_t item, unsigned worker, hash_worker *w, ms_error *err)
{
    batch_seen *b = ctx;
    assert_true(worker < b->threads);
    assert_non_null(w->hasher);
    assert_true(w->cap >= 8192);
    if (item == 40)
        return ms_error_set(err, MS_EINPUT, "item %zu refused", item);
    b->done[item]++;
    return 0;
}

/* Every item once on workers with a hasher and a buffer; the first error stops the batch. */
static void test_batch_run(void **state)
{
    (void)state;
    for (unsigned threads = 1; threads <= 4; threads++) {
        batch_seen b;
        memset(&b, 0, sizeof b);
        b.threads = threads;
        ms_error e;
        hash_batch batch = {.algorithm = MS_HASH_BLAKE2B,
                            .threads = threads,
                            .items = 40,
                            .buffer_size = 8192,
                            .fn = batch_fn,
                            .ctx = &b};
        assert_int_equal(hash_batch_run(&batch, &e), 0);
        for (size_t i = 0; i < 40; i++)
            assert_int_equal(b.done[i], 1);
        batch.items = 64;
        assert_int_equal(hash_batch_run(&batch, &e), MS_EINPUT);
        assert_string_equal(e.message, "item 40 refused");
    }
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_names_and_sizes),
        cmocka_unit_test(test_incremental_equals_one_shot),
        T(test_engine_shards),
        T(test_engine_default_buffer_and_threads),
        T(test_engine_single_file_model),
        T(test_changed_size),
        T(test_changed_mtime),
        T(test_rewritten_mtime_restored),
        T(test_replaced_file),
        T(test_replaced_by_symlink),
        T(test_removed_file),
        T(test_hf_blob_swapped),
        T(test_engine_lfs_check),
        T(test_range_outside_file),
        T(test_missing_root),
        T(test_replaced_by_special),
        T(test_stream_matches_engine),
        T(test_stream_file_vanishes),
        T(test_stream_written_while_read),
        cmocka_unit_test(test_feed_segments),
        cmocka_unit_test(test_batch_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
