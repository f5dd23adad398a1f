/* Unit tests for BLAKE3 (issue 20, part 2): the hasher's answers on BLAKE3's official test
 * vectors (input byte i is i % 251), its name and size; a file cut into subtrees, each hashed
 * from its own first chunk to its chaining value in reads of any size, and joined
 * (src/lib/hash/hash_blake3.c), gives the one-shot digest at every length around chunk and
 * subtree boundaries; and the batch engine (hash_run) and the streaming engine (dataset
 * manifests) cut a BLAKE3 file across threads with the same result. */
#include "config.h"

#include <pthread.h>
#include <sys/stat.h>
#include <time.h>

#include "unit.h"

#include "../../src/lib/hash/engine.h"
#include "../../src/lib/hash/hash_internal.h"
#include "modelseal/hash.h"

static uint8_t *vector_input(size_t len)
{
    uint8_t *p = malloc(len ? len : 1);
    assert_non_null(p);
    for (size_t i = 0; i < len; i++)
        p[i] = (uint8_t)(i % 251);
    return p;
}

static void one_shot(const uint8_t *data, size_t len, uint8_t out[32])
{
    blake3_hasher h;
    blake3_hasher_init(&h);
    blake3_hasher_update(&h, data, len);
    blake3_hasher_finalize(&h, out, 32);
}

static void test_known_answers(void **state)
{
    (void)state;
    /* BLAKE3's test_vectors.json: the first 32 bytes of "hash" for these input lengths. */
    static const struct {
        size_t len;
        const char *hex;
    } kat[] = {
        {0, "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"},
        {1, "2d3adedff11b61f14c886e35afa036736dcd87a74d27b5c1510225d0f592e213"},
        {1023, "10108970eeda3eb932baac1428c7a2163b0e924c9a9e25b35bba72b28f70bd11"},
        {1024, "42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7"},
        {1025, "d00278ae47eb27b34faecf67b4fe263f82d5412916c1ffd97c8cb7fb814b8444"},
        {2049, "5f4d72f40d7a5f82b15ca2b2e44b1de3c2ef86c426c95c1af0b6879522563030"},
        {3073, "7124b49501012f81cc7f11ca069ec9226cecb8a2c850cfe644e327d22d3e1cd3"},
        {8193, "bab6c09cb8ce8cf459261398d2e7aef35700bf488116ceb94a36d0f5f1b7bc3b"},
        {31744, "62b6960e1a44bcc1eb1a611a8d6235b6b4b78f32e7abc4fb4c6cdcce94895c47"},
        {102400, "bc3e3d41a1146b069abffad3c0d44860cf664390afce4d9661f7902e7943e085"},
    };
    for (size_t i = 0; i < sizeof kat / sizeof kat[0]; i++) {
        uint8_t out[MS_HASH_MAX_SIZE];
        uint8_t *in = vector_input(kat[i].len);
        ms_hasher *h = ms_hasher_new(MS_HASH_BLAKE3);
        assert_non_null(h);
        /* in uneven steps, then again after a reset */
        for (int round = 0; round < 2; round++) {
            assert_int_equal(ms_hasher_reset(h), 0);
            for (size_t off = 0; off < kat[i].len;) {
                size_t n = kat[i].len - off < 777 ? kat[i].len - off : 777;
                assert_int_equal(ms_hasher_update(h, in + off, n), 0);
                off += n;
            }
            assert_int_equal(ms_hasher_final(h, out), 0);
            unit_assert_hex(out, 32, kat[i].hex);
        }
        ms_hasher_free(h);
        free(in);
    }
}

static void test_names_and_sizes(void **state)
{
    (void)state;
    ms_hash_algorithm alg = MS_HASH_SHA256;
    assert_int_equal(ms_hash_size(MS_HASH_BLAKE3), 32);
    assert_string_equal(ms_hash_name(MS_HASH_BLAKE3), "blake3");
    assert_int_equal(ms_hash_parse("blake3", &alg), 0);
    assert_int_equal(alg, MS_HASH_BLAKE3);
    alg = MS_HASH_SHA256;
    assert_int_equal(ms_hash_parse("BLAKE3", &alg), MS_EINPUT);
    assert_int_equal(ms_hash_parse("blake3-256", &alg), MS_EINPUT);
    assert_int_equal(ms_hash_parse("b3", &alg), MS_EINPUT);
    assert_int_equal(alg, MS_HASH_SHA256);
    assert_null(ms_hasher_new((ms_hash_algorithm)7));
}

#if HASH_B3_TREE
/* Cut [0, len) as the batch engine does, with subtrees of `piece` chunks: pieces of `piece`
 * chunks, the rest of the full chunks in descending powers of two, then the last chunk. Hash
 * each in reads of `step` bytes; join. */
static void tree_digest(const uint8_t *data, size_t len, uint64_t piece, size_t step,
                        uint8_t out[32])
{
    uint64_t full = (len - 1) / 1024, c = 0;
    size_t n = 0;
    uint8_t cvs[256 * 32];
    uint64_t firsts[256];
    uint64_t starts[256], ends[256];
    for (; full - c >= piece; c += piece, n++) {
        starts[n] = c;
        ends[n] = c + piece;
    }
    for (uint64_t bit = piece / 2; bit >= 1; bit /= 2) {
        if (full - c >= bit) {
            starts[n] = c;
            ends[n++] = c + bit;
            c += bit;
        }
    }
    starts[n] = full;
    ends[n++] = UINT64_MAX;
    assert_true(n <= 256);
    for (size_t k = 0; k < n; k++) {
        blake3_hasher h;
        size_t from = (size_t)starts[k] * 1024;
        size_t to = ends[k] == UINT64_MAX ? len : (size_t)ends[k] * 1024;
        blake3_hasher_init(&h);
        hash_b3_start_at(&h, starts[k]);
        for (size_t off = from; off < to;) {
            size_t m = to - off < step ? to - off : step;
            blake3_hasher_update(&h, data + off, m);
            off += m;
        }
        hash_b3_subtree_cv(&h, starts[k], cvs + k * 32);
        firsts[k] = starts[k];
    }
    assert_int_equal(hash_b3_join(cvs, firsts, n, out), 0);
}

static void test_subtrees_join_to_the_digest(void **state)
{
    (void)state;
    size_t max = 41 * 1024;
    uint8_t *data = vector_input(max);
    static const size_t steps[] = {1, 100, 1024, 4096, 1 << 20};
    /* just over, at and just under each chunk boundary, and mid-chunk, up to 40 chunks */
    for (size_t c = 1; c <= 40; c++) {
        static const size_t delta[] = {1, 512, 1023, 1024};
        for (size_t d = 0; d < 4; d++) {
            size_t len = c * 1024 + delta[d];
            uint8_t want[32], got[32];
            one_shot(data, len, want);
            for (uint64_t piece = 1; piece <= 16; piece *= 2) {
                size_t step = steps[(len + piece) % (sizeof steps / sizeof steps[0])];
                tree_digest(data, len, piece, step, got);
                if (memcmp(got, want, 32) != 0)
                    fail_msg(
                        "length %zu, pieces of %llu chunks, reads of %zu bytes: digest differs",
                        len, (unsigned long long)piece, step);
            }
        }
    }
    uint8_t cv[32], out[32];
    memset(cv, 0, sizeof cv);
    uint64_t first = 0;
    assert_int_equal(hash_b3_join(cv, &first, 1, out), -1); /* one piece is no tree */
    uint64_t back[2] = {4, 2};
    uint8_t two[64] = {0};
    assert_int_equal(hash_b3_join(two, back, 2, out), -1); /* pieces out of order */
    free(data);
}

/* A new temporary directory `dir` with files f0, f1, ... of sizes[i] bytes, each a prefix of
 * the returned input (300001 bytes: the largest the tests use; free it). */
static uint8_t *vector_files(char *dir, const size_t *sizes, size_t n)
{
    unit_tmpdir(dir);
    uint8_t *data = vector_input(300001);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        assert_true(sizes[i] <= 300001);
        snprintf(name, sizeof name, "f%zu", i);
        unit_write(dir, name, data, sizes[i]);
    }
    return data;
}

/* hash_run with BLAKE3 and threads: files longer than a piece (4 x the buffer) are cut. */
static void test_engine_cuts_files(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    ms_error err = {0};
    ms_file_list list = {0};
    static const size_t sizes[] = {0, 1, 16384, 16385, 100000, 300001};
    enum { N = sizeof sizes / sizeof sizes[0] };
    ms_walk_options walk_opts = {0};
    uint8_t *data = vector_files(dir, sizes, N);
    assert_int_equal(msx_walk_collect(dir, &walk_opts, &list, &err), 0);
    assert_int_equal(list.count, N);
    for (unsigned threads = 1; threads <= 3; threads++) {
        ms_hash_item items[N];
        memset(items, 0, sizeof items);
        for (size_t i = 0; i < N; i++) {
            items[i].file = i;
            items[i].end = list.entries[i].size;
        }
        ms_hash_job job = {.root = dir,
                           .files = &list,
                           .items = items,
                           .n_items = N,
                           .algorithm = MS_HASH_BLAKE3,
                           .threads = threads,
                           .buffer_size = 4096};
        assert_int_equal(hash_run(&job, &err), 0);
        for (size_t i = 0; i < N; i++) {
            uint8_t want[32];
            one_shot(data, (size_t)list.entries[i].size, want);
            if (memcmp(items[i].digest, want, 32) != 0)
                fail_msg("%s (%llu bytes), %u threads: digest differs", list.entries[i].path,
                         (unsigned long long)list.entries[i].size, threads);
        }
    }
    msx_file_list_free(&list);
    unit_rmtree(dir);
    free(data);
}

/* The streaming engine: a file longer than a piece is hashed as subtrees on several threads at
 * once. The first read of the largest file after the quick way's (stream_quick: one read, then
 * the careful way, since the file is new) blocks (up to 10 s) until a read of that file on
 * another thread comes: only its pieces hashed on two threads can end the wait, so `met`
 * proves the cut (one file in flight: window 1). */
typedef struct stream_meet {
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int armed, met, started, calls;
    pthread_t first;
    uint8_t digests[8][32];
    size_t n;
} stream_meet;

static void meet_after_read(void *ctx, int fd)
{
    stream_meet *m = ctx;
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_size != 300001) /* the largest file only */
        return;
    pthread_mutex_lock(&m->lock);
    if (m->armed && !m->met && ++m->calls > 1) { /* the first: the quick way's one read */
        if (!m->started) {
            struct timespec until;
            m->started = 1;
            m->first = pthread_self();
            clock_gettime(CLOCK_REALTIME, &until);
            until.tv_sec += 10;
            while (!m->met && pthread_cond_timedwait(&m->cv, &m->lock, &until) == 0)
                ;
            m->armed = 0; /* met, or timed out: the rest reads on */
        } else if (!pthread_equal(m->first, pthread_self())) {
            m->met = 1;
            pthread_cond_broadcast(&m->cv);
        }
    }
    pthread_mutex_unlock(&m->lock);
}

static int meet_done(void *ctx, const ms_hash_stream_file *file, ms_error *err)
{
    stream_meet *m = ctx;
    (void)err;
    assert_true(m->n < 8 && file->hashed);
    memcpy(m->digests[m->n++], file->digest, 32);
    return 0;
}

typedef struct stream_add_ctx {
    ms_hash_stream *s;
} stream_add_ctx;

static int meet_add(const ms_file_entry *e, void *ctx, ms_error *err)
{
    stream_add_ctx *a = ctx;
    return hash_stream_add(a->s, e, 1, -1, NULL, err);
}

static void test_stream_cuts_files(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    ms_error err = {0};
    static const size_t sizes[] = {1, 16385, 100000, 300001}; /* walk order: f0 .. f3 */
    enum { N = sizeof sizes / sizeof sizes[0] };
    ms_walk_options walk_opts = {0};
    uint8_t *data = vector_files(dir, sizes, N);
    /* window 1: one file at a time, so only a file's pieces overlap (and must: `met`); window
     * 4: files overlap too, and a worker meeting a large file while another is being cut hashes
     * it in one go (one file is cut at a time): the digests are the same. */
    static const struct {
        unsigned threads;
        size_t buffer, window;
    } runs[] = {{1, 4096, 1}, {2, 4096, 1}, {3, 5000, 1}, {2, 0, 1}, {3, 4096, 4}};
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        stream_meet m;
        memset(&m, 0, sizeof m);
        pthread_mutex_init(&m.lock, NULL);
        pthread_cond_init(&m.cv, NULL);
        ms_hash_stream_options so = {.root = dir,
                                     .algorithm = MS_HASH_BLAKE3,
                                     .threads = runs[r].threads,
                                     .window = runs[r].window,
                                     .buffer_size = runs[r].buffer,
                                     .done = meet_done,
                                     .ctx = &m,
                                     .after_read = meet_after_read,
                                     .after_read_ctx = &m};
        stream_add_ctx a = {hash_stream_new(&so, &err)};
        assert_non_null(a.s);
        int want_met = runs[r].threads > 1 && runs[r].buffer && runs[r].window == 1;
        m.armed = want_met;
        assert_int_equal(msx_walk(dir, &walk_opts, meet_add, &a, &err), 0);
        assert_int_equal(hash_stream_finish(a.s, &err), 0);
        hash_stream_free(a.s);
        assert_int_equal(m.n, N);
        for (size_t i = 0; i < N; i++) {
            uint8_t want[32];
            one_shot(data, sizes[i], want);
            if (memcmp(m.digests[i], want, 32) != 0)
                fail_msg("f%zu (%zu bytes), %u threads, buffer %zu: digest differs", i, sizes[i],
                         runs[r].threads, runs[r].buffer);
        }
        if (want_met && !m.met)
            fail_msg("%u threads, buffer %zu: no file was read on two threads at once",
                     runs[r].threads, runs[r].buffer);
        pthread_mutex_destroy(&m.lock);
        pthread_cond_destroy(&m.cv);
    }
    unit_rmtree(dir);
    free(data);
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_names_and_sizes),
#if HASH_B3_TREE
        cmocka_unit_test(test_subtrees_join_to_the_digest),
        cmocka_unit_test(test_engine_cuts_files),
        cmocka_unit_test(test_stream_cuts_files),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
