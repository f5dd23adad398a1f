/* Unit tests for the digest cache (modelseal/cache.h, hash/cache.c): the parser of the cache
 * file takes exactly modelseal-cache(5) and refuses each way of breaking it with the line and
 * the cause; what it writes it reads back; a lookup reuses a file's digests only when every
 * recorded stat field matches, the entry is not racily clean and the settings are the same. */
#include "config.h"

#include "unit.h"

#include "../../src/lib/hash/cache_run.h"

#define MODEL "/m"
#define MODEL_HEX "2f6d"
#define D32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

/* A cache of one file "a" (hex 61): dev 5, inode 6, size 3, mtime 100.5, ctime 100.7, stamp
 * `stamp`; `mid` replaces the file line when not NULL. */
static char *make(const char *settings, const char *stamp, const char *mid)
{
    ms_buf b = MS_BUF_INIT;
    assert_int_equal(msx_buf_printf(&b,
                                    "modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings %s\nstamp "
                                    "%s\nfiles 1\n%s\nend\n",
                                    settings, stamp, mid ? mid : "5 6 3 100 5 100 7 61 " D32),
                     0);
    return msx_buf_detach(&b);
}

static int parse(const char *text, ms_digest_cache **c, ms_error *err)
{
    return ms_digest_cache_parse(text, strlen(text), "t.cache", MODEL, 9, c, err);
}

static void refused(const char *text, const char *why)
{
    ms_digest_cache *c = NULL;
    ms_error err;
    ms_error_clear(&err);
    int rc = parse(text, &c, &err);
    if (rc != MS_EINPUT || c || !strstr(err.message, why))
        fail_msg("rc %d, '%s', want '%s' for:\n%s", rc, err.message, why, text);
}

static void test_round_trip(void **state)
{
    (void)state;
    char *t = make("sha256 files 0", "200 0", NULL), *out = NULL;
    size_t len = 0;
    ms_digest_cache *c = NULL;
    ms_error err;
    assert_int_equal(parse(t, &c, &err), 0);
    assert_int_equal(ms_digest_cache_serialize(c, &out, &len, &err), 0);
    assert_int_equal(len, strlen(t));
    assert_memory_equal(out, t, len);
    ms_free(out);
    ms_digest_cache_free(c);
    free(t);
}

static void test_malformed(void **state)
{
    (void)state;
    char *t;
    struct {
        const char *settings, *stamp, *mid, *why;
    } bad[] = {
        {"sha256 files 1", "1 0", NULL, "line 3: bad shard size"},
        {"sha256 shards 0", "1 0", NULL, "line 3: bad shard size"},
        {"md5 files 0", "1 0", NULL, "line 3: unknown algorithm"},
        {"sha256 bits 0", "1 0", NULL, "line 3: method"},
        {"sha256  files 0", "1 0", NULL, "line 3"},
        {"sha256 files 0", "1 1000000000", NULL, "line 4"},
        {"sha256 files 0", "01 0", NULL, "line 4"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 61", "line 6: want"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 61 " D32 " " D32, "2 digests"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 2e2e " D32, "line 6: bad path"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 2f61 " D32, "line 6: bad path"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 6 " D32, "line 6: bad path"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 6100 " D32, "line 6: bad path"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 100 7 61 " D32 "00", "digest 1"},
        {"sha256 files 0", "1 0",
         "5 6 3 100 5 100 7 61 00112233445566778899AABBCCDDEEFF001122"
         "33445566778899aabbccddeeff",
         "digest 1"},
        {"sha256 files 0", "1 0", "5 6 99999999999999999999 100 5 100 7 61 " D32, "bad number"},
        {"sha256 files 0", "1 0", "5 6 3 100 5 -0 7 61 " D32, "bad number"},
        {"sha256 shards 2", "1 0", "5 6 3 100 5 100 7 61 " D32, "1 digests for 3 bytes (want 2)"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        t = make(bad[i].settings, bad[i].stamp, bad[i].mid);
        refused(t, bad[i].why);
        free(t);
    }
    refused("", "line 1: not a modelseal cache");
    refused("modelseal-cache 2\n", "line 1");
    refused("modelseal-cache 1\nmodel 9 2f6e\n", "the cache of another model");
    refused("modelseal-cache 1\nmodel 8 " MODEL_HEX "\n", "the cache of another model");
    refused("modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings sha256 files 0\nstamp 1 0\nfiles "
            "99999\nend\n",
            "cannot fit");
    refused("modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings sha256 files 0\nstamp 1 0\nfiles "
            "0\nend",
            "want \"end\"");
    refused("modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings sha256 files 0\nstamp 1 0\nfiles "
            "0\nend\nx\n",
            "text after \"end\"");
    /* repeated or unordered paths */
    refused("modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings sha256 files 0\nstamp 1 0\nfiles "
            "2\n5 6 3 100 5 100 7 62 " D32 "\n5 6 3 100 5 100 7 61 " D32 "\nend\n",
            "line 7: paths out of order or repeated");
    refused("modelseal-cache 1\nmodel 9 " MODEL_HEX "\nsettings sha256 files 0\nstamp 1 0\nfiles "
            "2\n5 6 3 100 5 100 7 61 " D32 "\n5 6 3 100 5 100 7 61 " D32 "\nend\n",
            "line 7: paths out of order or repeated");
}

/* Look "a" up with the given stat under the given settings: 1 reused, else 0 and the reason. */
static int lookup(const char *stamp, ms_hash_algorithm alg, int sharded, uint64_t shard,
                  const ms_file_entry *e, const char **why)
{
    ms_digest_cache *c = NULL;
    ms_error err;
    uint8_t d[MS_HASH_MAX_SIZE * 2];
    char *t = make(sharded ? "sha256 shards 4" : "sha256 files 0", stamp, NULL);
    assert_int_equal(parse(t, &c, &err), 0);
    free(t);
    assert_int_equal(hash_cache_begin(c, alg, sharded, shard, &err), 0);
    int r = hash_cache_lookup(c, e, 1, d, &err);
    const ms_cache_report *rep = ms_digest_cache_report(c);
    *why = r ? NULL : rep->n_rehashed ? rep->rehash_reasons[0] : "added";
    if (r == 1) {
        uint8_t want[32];
        size_t n;
        assert_int_equal(msx_hex_decode(D32, 64, want, sizeof want, &n), 0);
        assert_memory_equal(d, want, 32);
        assert_int_equal(rep->n_reused, 1);
    }
    ms_digest_cache_free(c);
    return r;
}

static void test_lookup(void **state)
{
    (void)state;
    ms_file_entry e = {.path = "a",
                       .dev = 5,
                       .ino = 6,
                       .size = 3,
                       .mtime_sec = 100,
                       .mtime_nsec = 5,
                       .ctime_sec = 100,
                       .ctime_nsec = 7};
    const char *why;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &e, &why), 1);
    /* each stat field */
    ms_file_entry x = e;
    x.size = 4;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "size changed");
    x = e, x.ino = 7;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "inode changed");
    x = e, x.dev = 4;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "inode changed");
    x = e, x.mtime_nsec = 6;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "mtime changed");
    x = e, x.ctime_nsec = 8;
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "ctime changed");
    /* racily clean: the stamp within 100 ms of ctime 100.000000007 (nanosecond timestamps) */
    assert_int_equal(lookup("100 100000007", MS_HASH_SHA256, 0, 0, &e, &why), 0);
    assert_string_equal(why, "racily clean");
    assert_int_equal(lookup("100 100000008", MS_HASH_SHA256, 0, 0, &e, &why), 1);
    assert_int_equal(lookup("99 0", MS_HASH_SHA256, 0, 0, &e, &why), 0);
    assert_string_equal(why, "racily clean");
    /* whole-second timestamps: 2 s */
    x = e, x.mtime_nsec = 0, x.ctime_nsec = 0;
    ms_digest_cache *c = NULL;
    ms_error err;
    char *t = make("sha256 files 0", "102 0", "5 6 3 100 0 100 0 61 " D32);
    uint8_t d[64];
    assert_int_equal(parse(t, &c, &err), 0);
    assert_int_equal(hash_cache_begin(c, MS_HASH_SHA256, 0, 0, &err), 0);
    assert_int_equal(hash_cache_lookup(c, &x, 1, d, &err), 0);
    assert_string_equal(ms_digest_cache_report(c)->rehash_reasons[0], "racily clean");
    ms_digest_cache_free(c);
    free(t);
    /* settings */
    assert_int_equal(lookup("101 0", MS_HASH_BLAKE2B, 0, 0, &e, &why), 0);
    assert_string_equal(why, "settings changed");
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 1, 4, &e, &why), 1);
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 1, 8, &e, &why), 0);
    assert_string_equal(why, "settings changed");
    /* reached through a link: never */
    x = e, x.target = "b";
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "cache not used");
    /* not in the cache */
    x = e, x.path = "b";
    assert_int_equal(lookup("101 0", MS_HASH_SHA256, 0, 0, &x, &why), 0);
    assert_string_equal(why, "added");
}

/* The file checks of ms_digest_cache_open: owner and mode of the directory and the file. */
static void test_open_checks(void **state)
{
    (void)state;
    char dir[] = "/tmp/ms-cache-unit.XXXXXX", path[PATH_MAX];
    ms_digest_cache *c = NULL;
    ms_error err;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/cache", dir);
    assert_int_equal(ms_digest_cache_open(dir, path, &c, &err), 0);
    assert_null(ms_digest_cache_report(c)->refused); /* created, empty */
    ms_digest_cache_free(c);
    chmod(path, 0770);
    assert_int_equal(ms_digest_cache_open(dir, path, &c, &err), 0);
    assert_non_null(strstr(ms_digest_cache_report(c)->refused, "writable by group or others"));
    ms_digest_cache_free(c);
    chmod(path, 0700);
    assert_int_equal(ms_digest_cache_open("/nonexistent/model", path, &c, &err), MS_EINPUT);
    assert_null(c);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_open_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
