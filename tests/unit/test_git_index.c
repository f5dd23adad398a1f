/* Unit tests for the reader of git's index file (lin_index_find, internal to the lineage module:
 * linked statically). Index files are built here byte by byte in formats 2, 3 and 4, then
 * broken one field at a time: every malformed one must be refused with nothing found, so that
 * `lineage record` hashes the commit's blobs instead of trusting the checkout. */
#include "config.h"

#include "unit.h"

#include <openssl/sha.h>

#include "../../src/lib/lineage/lineage_internal.h"

#define CAP 4096

typedef struct ent {
    const char *name;
    unsigned stage;  /* 0..3 */
    unsigned xflags; /* extended flags (version 3 and later) */
    int assume_valid;
    int strip; /* version 4: bytes of the previous name to drop; -1: the right count */
} ent;

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Recompute the SHA-1 trailer of the index in out[0, len). */
static void reseal(uint8_t *out, size_t len)
{
    SHA1(out, len - 20, out + len - 20);
}

/* An index of `version` with entries e[0, n) (entry k has inode 100 + k and an object id of
 * bytes k + 1), then the extension bytes, then the checksum. Its length. */
static size_t build(uint8_t *out, uint32_t version, const ent *e, size_t n, const void *ext,
                    size_t ext_len)
{
    size_t len = 12;
    const char *prev = "";
    memset(out, 0, CAP);
    memcpy(out, "DIRC", 4);
    put32(out + 4, version);
    put32(out + 8, (uint32_t)n);
    for (size_t k = 0; k < n; k++) {
        uint8_t *p = out + len;
        size_t name_len = strlen(e[k].name), fixed = e[k].xflags ? 64 : 62;
        put32(p, 1000), put32(p + 4, 1), put32(p + 8, 2000), put32(p + 12, 2);
        put32(p + 16, 7), put32(p + 20, 100 + (uint32_t)k), put32(p + 24, 0100644);
        put32(p + 36, 42);
        memset(p + 40, (int)k + 1, 20);
        unsigned flags = (name_len < 0xfff ? (unsigned)name_len : 0xfffu) | e[k].stage << 12 |
                         (e[k].xflags ? 0x4000u : 0) | (e[k].assume_valid ? 0x8000u : 0);
        p[60] = (uint8_t)(flags >> 8), p[61] = (uint8_t)flags;
        if (e[k].xflags)
            p[62] = (uint8_t)(e[k].xflags >> 8), p[63] = (uint8_t)e[k].xflags;
        len += fixed;
        if (version == 4) {
            size_t common = 0, plen = strlen(prev);
            while (common < plen && e[k].name[common] == prev[common])
                common++;
            size_t strip = e[k].strip >= 0 ? (size_t)e[k].strip : plen - common;
            assert_true(strip < 128); /* one byte of varint */
            out[len++] = (uint8_t)strip;
            size_t keep = strip <= plen ? plen - strip : 0;
            memcpy(out + len, e[k].name + keep, name_len - keep + 1);
            len += name_len - keep + 1;
        } else {
            memcpy(out + len, e[k].name, name_len);
            len = (len - fixed + ((fixed + name_len + 8) & ~(size_t)7));
        }
        prev = e[k].name;
        assert_true(len < CAP - 100);
    }
    if (ext_len) /* (memcpy from NULL is undefined even for 0 bytes) */
        memcpy(out + len, ext, ext_len);
    len += ext_len + 20;
    reseal(out, len);
    return len;
}

static const char *const names[] = {".gitattributes", "a.bin", "m/.gitattributes", "m/w.bin",
                                    "z.bin"};
#define N_NAMES (sizeof names / sizeof *names)

/* Look names[] up in out[0, len): the return value; *attrs and found[] filled. */
static int find(const uint8_t *data, size_t len, lin_index_want *w, int *attrs)
{
    ms_error err;
    memset(w, 0, N_NAMES * sizeof *w);
    for (size_t i = 0; i < N_NAMES; i++)
        w[i].rel = names[i], w[i].rel_len = strlen(names[i]);
    *attrs = 0;
    err.message[0] = '\0';
    int rc = lin_index_find(data, len, w, N_NAMES, attrs, &err);
    if (rc != 0) {
        assert_int_equal(rc, MS_EINPUT);
        assert_true(strncmp(err.message, "git index: ", 11) == 0);
        assert_int_equal(*attrs, 0);
        for (size_t i = 0; i < N_NAMES; i++)
            assert_int_equal(w[i].found, 0);
    }
    return rc;
}

static const ent good[] = {{"a.bin", 0, 0, 0, -1},
                           {"b/c.bin", 0, 0, 0, -1},
                           {"m/.gitattributes", 0, 0, 0, -1},
                           {"m/w.bin", 0, 0, 0, -1},
                           {"m/w.bin.old", 0, 0, 0, -1}};
#define N_GOOD (sizeof good / sizeof *good)

static void test_valid(void **state)
{
    (void)state;
    static const uint8_t tree[] = {'T', 'R', 'E', 'E', 0, 0, 0, 3, 'x', 'y', 'z'};
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    for (uint32_t version = 2; version <= 4; version++) {
        size_t len = build(buf, version, good, N_GOOD, tree, sizeof tree);
        assert_int_equal(find(buf, len, w, &attrs), 0);
        assert_int_equal(attrs, 1); /* m/.gitattributes */
        assert_int_equal(w[0].found, 0);
        assert_int_equal(w[1].found, 1); /* a.bin, entry 0 */
        assert_int_equal(w[1].ino, 100);
        assert_int_equal(w[1].mode, 0100644);
        assert_int_equal(w[1].size, 42);
        assert_int_equal(w[1].mtime_s, 2000);
        assert_int_equal(w[1].mtime_ns, 2);
        assert_int_equal(w[1].ctime_s, 1000);
        assert_int_equal(w[1].dev, 7);
        assert_int_equal(w[1].oid[0], 1);
        assert_int_equal(w[3].found, 1); /* m/w.bin, entry 3 */
        assert_int_equal(w[3].ino, 103);
        assert_int_equal(w[3].oid[19], 4);
        assert_int_equal(w[4].found, 0);
        /* the checksum is not what decides (see lin_index_find): an all-zero one (index.skipHash)
         * and a wrong one read the same */
        memset(buf + len - 20, 0, 20);
        assert_int_equal(find(buf, len, w, &attrs), 0);
        assert_int_equal(w[3].found, 1);
        buf[len - 1] = 1;
        assert_int_equal(find(buf, len, w, &attrs), 0);
        assert_int_equal(w[3].found, 1);
    }
}

static void test_flags(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    /* conflict stages of a.bin, skip-worktree .gitattributes, intent-to-add m/w.bin,
     * assume-valid z.bin: none found, but the attributes file counts */
    const ent e[] = {{".gitattributes", 0, 0x4000, 0, -1},
                     {"a.bin", 1, 0, 0, -1},
                     {"a.bin", 2, 0, 0, -1},
                     {"a.bin", 3, 0, 0, -1},
                     {"m/w.bin", 0, 0x2000, 0, -1},
                     {"z.bin", 0, 0, 1, -1}};
    for (uint32_t version = 3; version <= 4; version++) {
        size_t len = build(buf, version, e, sizeof e / sizeof *e, NULL, 0);
        assert_int_equal(find(buf, len, w, &attrs), 0);
        assert_int_equal(attrs, 1);
        for (size_t i = 0; i < N_NAMES; i++)
            assert_int_equal(w[i].found, 0);
    }
    /* extended flags in version 2, unknown extended flags */
    size_t len = build(buf, 2, e, sizeof e / sizeof *e, NULL, 0);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    const ent unknown[] = {{"a.bin", 0, 0x1000, 0, -1}};
    len = build(buf, 3, unknown, 1, NULL, 0);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
}

static void test_order(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    const ent unsorted[] = {{"m/w.bin", 0, 0, 0, -1}, {"a.bin", 0, 0, 0, -1}};
    const ent twice[] = {{"a.bin", 0, 0, 0, -1}, {"a.bin", 0, 0, 0, -1}};
    const ent merged[] = {{"a.bin", 0, 0, 0, -1}, {"a.bin", 2, 0, 0, -1}};
    const ent stages[] = {{"a.bin", 2, 0, 0, -1}, {"a.bin", 1, 0, 0, -1}};
    const ent prefix[] = {{"a.bin.x", 0, 0, 0, -1}, {"a.bin", 0, 0, 0, -1}};
    const ent *cases[] = {unsorted, twice, merged, stages, prefix};
    for (uint32_t version = 2; version <= 4; version++) {
        for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
            size_t len = build(buf, version, cases[c], 2, NULL, 0);
            assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
        }
    }
}

static void test_truncated(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    size_t len = build(buf, 2, good, N_GOOD, NULL, 0);
    /* a truncated header, no checksum room, wrong signature */
    assert_int_equal(find(buf, 0, w, &attrs), MS_EINPUT);
    assert_int_equal(find(buf, 12, w, &attrs), MS_EINPUT);
    assert_int_equal(find(buf, 31, w, &attrs), MS_EINPUT);
    buf[0] = 'X';
    reseal(buf, len);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    /* every shorter file (resealed) is refused */
    for (uint32_t version = 2; version <= 4; version++) {
        size_t full = build(buf, version, good, N_GOOD, NULL, 0);
        for (size_t cut = 32; cut < full; cut++) {
            build(buf, version, good, N_GOOD, NULL, 0);
            reseal(buf, cut);
            assert_int_equal(find(buf, cut, w, &attrs), MS_EINPUT);
        }
    }
}

static void test_counts_and_lengths(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    for (uint32_t version = 2; version <= 4; version++) {
        /* an entry count beyond the file: by a little, and by far */
        size_t len = build(buf, version, good, N_GOOD, NULL, 0);
        put32(buf + 8, N_GOOD + 1);
        reseal(buf, len);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
        put32(buf + 8, 0xffffffffu);
        reseal(buf, len);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
        /* fewer entries than there are: the rest is not a valid extension */
        put32(buf + 8, N_GOOD - 1);
        reseal(buf, len);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
        /* a name length in the flags that is not the name's: shorter, longer, zero */
        const unsigned lens[] = {4, 6, 0, 0xfff};
        for (size_t i = 0; i < sizeof lens / sizeof *lens; i++) {
            len = build(buf, version, good, 1, NULL, 0); /* "a.bin" */
            buf[12 + 60] = (uint8_t)(lens[i] >> 8), buf[12 + 61] = (uint8_t)lens[i];
            reseal(buf, len);
            assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
        }
        /* a name with no NUL before the end of the entries */
        len = build(buf, version, good, 1, NULL, 0);
        memset(buf + 12 + 62, 'x', len - 20 - 12 - 62);
        reseal(buf, len);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    }
    /* a name of 0xfff bytes or more says 0xfff: accepted up to 4095 bytes; a longer one is
     * refused (no checked-out file can have it, and the reader's window holds one entry whole) */
    static char long_name[5000];
    static uint8_t big[CAP * 2];
    const size_t name_lens[] = {4095, 4096, 4200};
    for (size_t i = 0; i < sizeof name_lens / sizeof *name_lens; i++) {
        size_t nl = name_lens[i], len = 12;
        memset(big, 0, sizeof big);
        memset(long_name, 'q', nl);
        memcpy(big, "DIRC", 4);
        put32(big + 4, 2);
        put32(big + 8, 1);
        put32(big + 12 + 24, 0100644);
        big[12 + 60] = 0x0f, big[12 + 61] = 0xff;
        memcpy(big + 12 + 62, long_name, nl);
        len += (62 + nl + 8) & ~(size_t)7;
        len += 20;
        reseal(big, len);
        assert_int_equal(find(big, len, w, &attrs), nl < 4096 ? 0 : MS_EINPUT);
        big[12 + 61] = 0xfe;
        reseal(big, len);
        assert_int_equal(find(big, len, w, &attrs), MS_EINPUT);
    }
}

static void test_v4_prefix(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    /* "m/w.bin" after "m/.gitattributes" drops 14 bytes; dropping 17 (longer than the
     * previous name) is refused, as is a first entry that drops anything */
    ent e[] = {{"m/.gitattributes", 0, 0, 0, -1}, {"m/w.bin", 0, 0, 0, -1}};
    size_t len = build(buf, 4, e, 2, NULL, 0);
    assert_int_equal(find(buf, len, w, &attrs), 0);
    assert_int_equal(w[3].found, 1);
    e[1].strip = 17;
    len = build(buf, 4, e, 2, NULL, 0);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    e[1].strip = -1;
    e[0].strip = 1;
    len = build(buf, 4, e, 2, NULL, 0);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    /* a varint that never ends, and one of more than 9 bytes */
    e[0].strip = -1;
    len = build(buf, 4, e, 1, NULL, 0);
    memset(buf + 12 + 62, 0xff, len - 20 - 12 - 62);
    reseal(buf, len);
    assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    /* the same name rebuilt the long way: 0x80 0x00 means 128, not 0 */
    const ent one[] = {{"a.bin", 0, 0, 0, -1}};
    len = build(buf, 4, one, 1, NULL, 0);
    uint8_t two[CAP];
    memcpy(two, buf, 12 + 62);
    two[12 + 62] = 0x80, two[12 + 63] = 0x00;
    memcpy(two + 12 + 64, buf + 12 + 63, len - 20 - 12 - 63);
    reseal(two, len + 1);
    assert_int_equal(find(two, len + 1, w, &attrs), MS_EINPUT);
}

/* A reader over memory that counts what it served and can pretend the file ends early. */
typedef struct counted {
    const uint8_t *data;
    size_t len, served, cut;
} counted;

static ssize_t counted_pread(void *ctx, void *buf, size_t n, uint64_t off)
{
    counted *c = ctx;
    size_t len = c->cut ? c->cut : c->len;
    if (off >= len)
        return 0;
    size_t k = len - (size_t)off < n ? len - (size_t)off : n;
    memcpy(buf, c->data + off, k);
    c->served += k;
    return (ssize_t)k;
}

/* An index far larger than the reader's window (20,000 entries of 64 to 200 bytes, names of
 * up to 120 bytes), in versions 2 and 4, with a large optional extension after the entries:
 * the wants are found wherever they sit, across window refills, whatever the window; the
 * extension is skipped without being read; a file that ends early is refused. */
static void test_large(void **state)
{
    (void)state;
    enum { N = 20000, EXT = 300000 };
    static uint8_t idx[N * 208 + EXT + 64];
    static char lnames[N][128];
    const char *want_names[] = {"d00000/f00000.bin", "d00099/f09999.bin", "d00199/f19999.bin",
                                "d00200/missing"};
    const size_t n_wants = sizeof want_names / sizeof *want_names;
    for (size_t k = 0; k < N; k++) /* sorted; a tail of (k % 100) x's varies the length */
        snprintf(lnames[k], sizeof lnames[k], "d%05zu/f%05zu.bin%.*s", k / 100, k, (int)(k % 100),
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    /* wants name entries without the tail: use entries whose k % 100 == 0 or whose name is
     * given exactly */
    snprintf(lnames[9999], sizeof lnames[9999], "d00099/f09999.bin");
    snprintf(lnames[19999], sizeof lnames[19999], "d00199/f19999.bin");
    for (uint32_t version = 2; version <= 4; version += 2) {
        size_t len = 12;
        memset(idx, 0, sizeof idx);
        memcpy(idx, "DIRC", 4);
        put32(idx + 4, version);
        put32(idx + 8, N);
        const char *prev = "";
        for (size_t k = 0; k < N; k++) {
            uint8_t *p = idx + len;
            size_t nl = strlen(lnames[k]);
            put32(p + 20, 100 + (uint32_t)k), put32(p + 24, 0100644);
            p[40] = (uint8_t)k, p[41] = (uint8_t)(k >> 8);
            p[60] = (uint8_t)(nl >> 8), p[61] = (uint8_t)nl;
            len += 62;
            if (version == 4) {
                size_t common = 0, pl = strlen(prev);
                while (common < pl && lnames[k][common] == prev[common])
                    common++;
                size_t strip = pl - common;
                assert_true(strip < 128);
                idx[len++] = (uint8_t)strip;
                memcpy(idx + len, lnames[k] + common, nl - common + 1);
                len += nl - common + 1;
            } else {
                memcpy(idx + len, lnames[k], nl);
                len = len - 62 + ((62 + nl + 8) & ~(size_t)7);
            }
            prev = lnames[k];
        }
        size_t entries_end = len;
        memcpy(idx + len, "TREE", 4);
        put32(idx + len + 4, EXT);
        len += 8 + EXT;
        len += 20;
        reseal(idx, len);
        const size_t windows[] = {LIN_INDEX_WINDOW_MIN, 12345, (size_t)256 << 10};
        for (size_t wi = 0; wi < sizeof windows / sizeof *windows; wi++) {
            lin_index_want w[4];
            ms_error err;
            int attrs = 0;
            counted c = {idx, len, 0, 0};
            memset(w, 0, sizeof w);
            for (size_t i = 0; i < n_wants; i++)
                w[i].rel = want_names[i], w[i].rel_len = strlen(want_names[i]);
            assert_int_equal(
                lin_index_scan(counted_pread, &c, len, windows[wi], w, n_wants, &attrs, &err), 0);
            assert_int_equal(w[0].found, 1);
            assert_int_equal(w[0].ino, 100);
            assert_int_equal(w[1].found, 1);
            assert_int_equal(w[1].ino, 100 + 9999);
            assert_int_equal(w[1].oid[0], (uint8_t)9999);
            assert_int_equal(w[2].found, 1);
            assert_int_equal(w[2].ino, 100 + 19999);
            assert_int_equal(w[2].oid[1], (uint8_t)(19999 >> 8));
            assert_int_equal(w[3].found, 0);
            /* what was read: the entries, and of the extension at most a window's worth */
            assert_true(c.served >= entries_end);
            assert_true(c.served <= entries_end + 8 + windows[wi]);
            assert_true(c.served < len - 20 - (EXT - windows[wi]) + 8);
            /* ending early: in the entries, in the extension */
            const size_t cuts[] = {entries_end / 2, entries_end + 4, len - 21};
            for (size_t ci = 0; ci < sizeof cuts / sizeof *cuts; ci++) {
                counted cc = {idx, len, 0, cuts[ci]};
                int a2 = 0;
                int rc =
                    lin_index_scan(counted_pread, &cc, len, windows[wi], w, n_wants, &a2, &err);
                if (cuts[ci] > entries_end + 8) {
                    /* (an extension skipped unread: its bytes are not looked at) */
                    assert_int_equal(rc, 0);
                    continue;
                }
                assert_int_equal(rc, MS_EINPUT);
                for (size_t i = 0; i < n_wants; i++)
                    assert_int_equal(w[i].found, 0);
            }
        }
    }
}

/* The scan made ahead (lin_index_prefetch_*): it finds the index by walking up from a
 * subdirectory, or through a ".git" file naming the git directory; it answers only for the very
 * index file it read (any change to its stat, and it declines), and declines when a wanted file
 * is not among what it kept; an attributes file it did not keep is not in the index. */
static void test_prefetch(void **state)
{
    (void)state;
    static const uint8_t tree[] = {'T', 'R', 'E', 'E', 0, 0, 0, 0};
    const ent e[] = {{"a.bin", 0, 0, 0, -1},
                     {"m/.gitattributes", 0, 0, 0, -1},
                     {"m/w.bin", 0, 0, 0, -1},
                     {"z.bin", 0, 0, 1, -1}}; /* assume-valid */
    uint8_t buf[CAP];
    char dir[PATH_MAX], other[PATH_MAX], path[PATH_MAX], sub[PATH_MAX], gitfile[PATH_MAX + 16];
    int key1, key2; /* stand-ins for repositories: only their addresses are used */
    git_repository *r1 = (git_repository *)&key1, *r2 = (git_repository *)&key2;
    unit_tmpdir(dir);
    unit_tmpdir(other);
    size_t len = build(buf, 2, e, sizeof e / sizeof *e, tree, sizeof tree);
    unit_write(dir, ".git/index", buf, len);
    unit_mkdirs(dir, "m/deep");
    /* the git directory of `other` lives in dir/.git (a linked worktree's ".git" file) */
    snprintf(gitfile, sizeof gitfile, "gitdir: %s/.git\n", dir);
    unit_write_str(other, ".git", gitfile);
    struct stat ist;
    assert_int_equal(stat(unit_path(path, dir, ".git/index"), &ist), 0);
    for (int how = 0; how < 2; how++) {
        lin_index_want w[N_NAMES];
        int attrs = 0;
        unit_path(sub, how == 0 ? dir : other, how == 0 ? "m/deep" : ".");
        lin_index_prefetch *pf = lin_index_prefetch_start(sub, 10); /* (sizes are 42) */
        assert_non_null(pf);
        lin_index_prefetch_attach(pf, r1);
        memset(w, 0, sizeof w);
        for (size_t i = 0; i < N_NAMES; i++) { /* the probes have no tag, the files have */
            w[i].rel = names[i], w[i].rel_len = strlen(names[i]);
            w[i].tag = strstr(names[i], ".gitattributes") ? NULL : (void *)w;
        }
        /* z.bin is kept (assume-valid, so not found); every file wanted was kept */
        assert_int_equal(lin_index_prefetch_answer(r1, &ist, w, N_NAMES, &attrs), 1);
        assert_int_equal(attrs, 1);      /* m/.gitattributes */
        assert_int_equal(w[0].found, 0); /* .gitattributes: not in the index */
        assert_int_equal(w[1].found, 1); /* a.bin */
        assert_int_equal(w[1].ino, 100);
        assert_int_equal(w[3].found, 1); /* m/w.bin */
        assert_int_equal(w[3].ino, 102);
        assert_int_equal(w[3].oid[0], 3);
        assert_int_equal(w[4].found, 0); /* z.bin */
        /* another repository, another index file (a changed stat): declined */
        assert_int_equal(lin_index_prefetch_answer(r2, &ist, w, N_NAMES, &attrs), 0);
        struct stat changed = ist;
        changed.st_ctim.tv_nsec ^= 1;
        assert_int_equal(lin_index_prefetch_answer(r1, &changed, w, N_NAMES, &attrs), 0);
        changed = ist;
        changed.st_ino ^= 1;
        assert_int_equal(lin_index_prefetch_answer(r1, &changed, w, N_NAMES, &attrs), 0);
        /* a file wanted that it did not keep (too small for min_size, or absent) */
        lin_index_want small = {.rel = "b.bin", .rel_len = 5, .tag = w};
        assert_int_equal(lin_index_prefetch_answer(r1, &ist, &small, 1, &attrs), 0);
        lin_index_prefetch_detach(r1);
        assert_int_equal(lin_index_prefetch_answer(r1, &ist, w, N_NAMES, &attrs), 0);
    }
    /* min_size above every entry: only the attributes file is kept */
    lin_index_prefetch *pf = lin_index_prefetch_start(dir, 100);
    assert_non_null(pf);
    lin_index_prefetch_attach(pf, r2);
    lin_index_want one = {.rel = "a.bin", .rel_len = 5, .tag = &one};
    int attrs = 0;
    assert_int_equal(lin_index_prefetch_answer(r2, &ist, &one, 1, &attrs), 0);
    lin_index_prefetch_detach(r2);
    /* a damaged index: nothing answered; never attached: freed as it is */
    buf[12 + 61] = 9; /* a.bin's name length */
    unit_write(dir, ".git/index", buf, len);
    assert_int_equal(stat(unit_path(path, dir, ".git/index"), &ist), 0);
    pf = lin_index_prefetch_start(dir, 10);
    assert_non_null(pf);
    lin_index_prefetch_attach(pf, r1);
    assert_int_equal(lin_index_prefetch_answer(r1, &ist, &one, 1, &attrs), 0);
    lin_index_prefetch_detach(r1);
    lin_index_prefetch_free(lin_index_prefetch_start(dir, 10));
    /* no repository above: nothing to scan */
    assert_null(lin_index_prefetch_start("/", 10));
    unit_rmtree(dir);
    unit_rmtree(other);
}

static void test_version_and_extensions(void **state)
{
    (void)state;
    uint8_t buf[CAP];
    lin_index_want w[N_NAMES];
    int attrs;
    const uint32_t bad[] = {0, 1, 5, 0x7fffffff};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t len = build(buf, 2, good, N_GOOD, NULL, 0);
        put32(buf + 4, bad[i]);
        reseal(buf, len);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    }
    /* optional extensions are skipped; a split index ("link"), a sparse index ("sdir"), an
     * extension running past the end, or trailing bytes are refused */
    static const uint8_t ok[] = {'T', 'R', 'E', 'E', 0, 0, 0, 0, 'R', 'E', 'U', 'C', 0, 0, 0, 1, 0};
    static const uint8_t link[] = {'l', 'i', 'n', 'k', 0, 0, 0, 0};
    static const uint8_t sdir[] = {'s', 'd', 'i', 'r', 0, 0, 0, 0};
    static const uint8_t past[] = {'T', 'R', 'E', 'E', 0, 0, 0, 9, 1, 2, 3, 4, 5, 6, 7, 8};
    static const uint8_t huge[] = {'T', 'R', 'E', 'E', 0xff, 0xff, 0xff, 0xff};
    static const uint8_t tail[] = {'T', 'R', 'E', 'E', 0, 0, 0, 0, 1, 2, 3};
    size_t len = build(buf, 2, good, N_GOOD, ok, sizeof ok);
    assert_int_equal(find(buf, len, w, &attrs), 0);
    assert_int_equal(w[3].found, 1);
    const uint8_t *refused[] = {link, sdir, past, huge, tail};
    const size_t sizes[] = {sizeof link, sizeof sdir, sizeof past, sizeof huge, sizeof tail};
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        len = build(buf, 2, good, N_GOOD, refused[i], sizes[i]);
        assert_int_equal(find(buf, len, w, &attrs), MS_EINPUT);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_order),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_counts_and_lengths),
        cmocka_unit_test(test_v4_prefix),
        cmocka_unit_test(test_version_and_extensions),
        cmocka_unit_test(test_large),
        cmocka_unit_test(test_prefetch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
