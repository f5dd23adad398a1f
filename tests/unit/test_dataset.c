/* Unit tests for dataset manifests (dataset.c, dataset_verify.c): exact bytes, order, streaming
 * batches and frames, determinism, every refusal of a malformed manifest, the re-hash of a
 * directory, and the dataset statement. */
#include "unit.h"

#include <dirent.h>
#include <zstd.h>

#include "modelseal/dataset.h"
#include "modelseal/modelseal.h"

#define SHA_HELLO "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
#define SHA_X "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881"
#define SHA_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Decompress a whole zstd file (any number of frames) with the streaming API. */
static void decompress_file(const char *path, ms_buf *out)
{
    ms_buf in = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(msx_file_read(path, (size_t)1 << 30, &in, &err), 0);
    ZSTD_DCtx *d = ZSTD_createDCtx();
    ZSTD_inBuffer zi = {in.data, in.len, 0};
    uint8_t buf[4096];
    size_t ret = 1;
    int full = 0;
    while (zi.pos < zi.size || full) {
        ZSTD_outBuffer zo = {buf, sizeof buf, 0};
        ret = ZSTD_decompressStream(d, &zo, &zi);
        assert_false(ZSTD_isError(ret));
        assert_int_equal(msx_buf_append(out, buf, zo.pos), 0);
        full = zo.pos == sizeof buf;
    }
    assert_int_equal(ret, 0);
    ZSTD_freeDCtx(d);
    msx_buf_free(&in);
}

/* Number of zstd frames in a file. */
static size_t count_frames(const char *path)
{
    ms_buf in = MS_BUF_INIT;
    ms_error err;
    size_t n = 0, off = 0;
    assert_int_equal(msx_file_read(path, (size_t)1 << 30, &in, &err), 0);
    while (off < in.len) {
        size_t f = ZSTD_findFrameCompressedSize(in.data + off, in.len - off);
        assert_false(ZSTD_isError(f));
        off += f;
        n++;
    }
    msx_buf_free(&in);
    return n;
}

static void write_frames(const char *path, const char *const *parts, size_t n_parts,
                         const char *trailer, size_t trailer_len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    for (size_t i = 0; i < n_parts; i++) {
        size_t len = strlen(parts[i]), bound = ZSTD_compressBound(len);
        void *buf = malloc(bound);
        size_t c = ZSTD_compress(buf, bound, parts[i], len, 3);
        assert_false(ZSTD_isError(c));
        assert_int_equal(fwrite(buf, 1, c, f), c);
        free(buf);
    }
    if (trailer_len)
        assert_int_equal(fwrite(trailer, 1, trailer_len, f), trailer_len);
    assert_int_equal(fclose(f), 0);
}

static void make_small_tree(char *dir)
{
    unit_tmpdir(dir);
    unit_write_str(dir, "data/a.txt", "hello");
    unit_write_str(dir, "data/a/b", "x");
    unit_write_str(dir, "data/model.sig", "x");      /* a model's walk skips it: data here */
    unit_write_str(dir, "data/.gitignore", "hello"); /* the same */
    unit_write_str(dir, "data/sub/model.sig", "");
}

static int write_manifest(const char *root, const char *name, const char *out, size_t batch,
                          ms_dataset_info *info, ms_error *err)
{
    ms_dataset_options o;
    memset(&o, 0, sizeof o);
    o.name = name;
    o.threads = 2;
    o.batch_files = batch;
    return ms_dataset_manifest_write(root, &o, out, info, err);
}

static void test_exact_bytes_and_order(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], out[PATH_MAX], want[2048];
    ms_dataset_info info;
    ms_buf text = MS_BUF_INIT;
    ms_error err;
    uint8_t digests[5 * 32], root[32];
    char root_hex[65];
    memset(&info, 0, sizeof info);
    make_small_tree(dir);
    unit_path(data, dir, "data");
    unit_path(out, dir, "d.dsm.jsonl.zst");
    assert_int_equal(write_manifest(data, "demo", out, 0, &info, &err), 0);
    /* "a.txt" sorts before "a/b" ('.' < '/'); no name is skipped, not .gitignore or model.sig
     * at the root: a dataset lists every file. */
    unit_unhex(SHA_HELLO, digests, 32);
    unit_unhex(SHA_HELLO, digests + 32, 32);
    unit_unhex(SHA_X, digests + 64, 32);
    unit_unhex(SHA_X, digests + 96, 32);
    unit_unhex(SHA_EMPTY, digests + 128, 32);
    assert_int_equal(ms_sha256(digests, sizeof digests, root), 0);
    msx_hex_encode(root, 32, root_hex);
    snprintf(want, sizeof want,
             "{\"_type\":\"https://modelseal/dataset-manifest/v1\",\"name\":\"demo\","
             "\"version\":null,\"source\":null,\"license\":null,\"ignore\":[],"
             "\"algorithm\":\"sha256\",\"files\":5,\"bytes\":12,\"root_digest\":\"sha256:%s\"}\n"
             "{\"path\":\".gitignore\",\"size\":5,\"digest\":\"" SHA_HELLO "\"}\n"
             "{\"path\":\"a.txt\",\"size\":5,\"digest\":\"" SHA_HELLO "\"}\n"
             "{\"path\":\"a/b\",\"size\":1,\"digest\":\"" SHA_X "\"}\n"
             "{\"path\":\"model.sig\",\"size\":1,\"digest\":\"" SHA_X "\"}\n"
             "{\"path\":\"sub/model.sig\",\"size\":0,\"digest\":\"" SHA_EMPTY "\"}\n",
             root_hex);
    decompress_file(out, &text);
    assert_string_equal((char *)text.data, want);
    assert_int_equal(count_frames(out), 2); /* header frame + body frame */
    assert_memory_equal(info.root_digest, root, 32);
    assert_int_equal(info.files, 5);
    assert_int_equal(info.bytes, 12);
    assert_int_equal(info.n_ignore_paths, 0);

    /* With what a model's walk skips left out explicitly, the root equals the model root of the
     * same directory (files method). */
    ms_serialization ser;
    ms_manifest *m = NULL;
    ms_dataset_info ign;
    const char *model_names[] = {"model.sig", ".gitignore"};
    ms_dataset_options o;
    memset(&ign, 0, sizeof ign);
    memset(&o, 0, sizeof o);
    o.name = "demo";
    o.ignore_paths = model_names;
    o.n_ignore_paths = 2;
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, &ign, &err), 0);
    ms_serialization_init(&ser);
    assert_int_equal(ms_manifest_build(data, &ser, NULL, &m, &err), 0);
    assert_memory_equal(m->root_digest, ign.root_digest, 32);
    assert_int_equal(ign.files, 3);
    assert_int_equal(ign.n_ignore_paths, 2);
    assert_string_equal(ign.ignore_paths[0], ".gitignore");
    assert_string_equal(ign.ignore_paths[1], "model.sig");
    ms_manifest_free(m);
    ms_serialization_clear(&ser);
    ms_dataset_info_clear(&ign);
    assert_int_equal(write_manifest(data, "demo", out, 0, NULL, &err), 0);

    /* Reading it back: the info, and the manifest digest over the decompressed bytes. */
    ms_dataset_info back;
    uint8_t md[32];
    memset(&back, 0, sizeof back);
    assert_int_equal(ms_dataset_info_load(out, &back, &err), 0);
    assert_string_equal(back.name, "demo");
    assert_null(back.version);
    assert_null(back.license);
    assert_int_equal(back.files, 5);
    assert_memory_equal(back.root_digest, root, 32);
    assert_int_equal(ms_sha256(text.data, text.len, md), 0);
    assert_memory_equal(back.manifest_digest, md, 32);
    ms_dataset_info_clear(&back);
    ms_dataset_info_clear(&info);
    msx_buf_free(&text);
    unit_rmtree(dir);
}

static void test_determinism_and_batches(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], o1[PATH_MAX], o2[PATH_MAX], o3[PATH_MAX];
    ms_buf t1 = MS_BUF_INIT, t2 = MS_BUF_INIT, t3 = MS_BUF_INIT;
    ms_error err;
    unit_tmpdir(dir);
    unit_path(data, dir, "data");
    for (int i = 0; i < 40; i++) {
        char rel[64], content[64];
        snprintf(rel, sizeof rel, "d%02d/f%d %s", i % 7, i, i % 3 ? "x" : "é");
        snprintf(content, sizeof content, "file %d", i);
        unit_write_str(data, rel, content);
    }
    unit_path(o1, dir, "one.zst");
    unit_path(o2, dir, "two.zst");
    unit_path(o3, dir, "three.zst");
    assert_int_equal(write_manifest(data, "n", o1, 0, NULL, &err), 0);
    assert_int_equal(write_manifest(data, "n", o2, 0, NULL, &err), 0);
    assert_int_equal(write_manifest(data, "n", o3, 3, NULL, &err), 0); /* 14 batches */
    decompress_file(o1, &t1);
    decompress_file(o2, &t2);
    decompress_file(o3, &t3);
    assert_int_equal(t1.len, t2.len);
    assert_memory_equal(t1.data, t2.data, t1.len);
    assert_int_equal(t1.len, t3.len);
    assert_memory_equal(t1.data, t3.data, t1.len);
    /* Paths are strictly increasing in byte order. */
    const char *prev = NULL;
    char *save = NULL, *line = strtok_r((char *)t1.data, "\n", &save);
    int n = 0;
    for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save), n++) {
        if (prev)
            assert_true(strcmp(prev, line) < 0);
        prev = line;
    }
    assert_int_equal(n, 40);
    msx_buf_free(&t1);
    msx_buf_free(&t2);
    msx_buf_free(&t3);
    unit_rmtree(dir);
}

/* ---- hand-made manifests ------------------------------------------------------------------ */

typedef struct fline {
    const char *path_json; /* the JSON string as it appears, quotes included */
    uint64_t size;
    const char *digest_hex;
} fline;

/* The "ignore" list manifest_text writes, as JSON. */
static const char *text_ignore = "[]";

/* A manifest text with a header whose counts and root are right for `lines` (unless the caller
 * overrides them: files/bytes >= 0 and root_hex). */
static void manifest_text(char *out, size_t cap, const char *type, const fline *lines, size_t n,
                          long long files, long long bytes, const char *root_hex)
{
    uint8_t buf[64 * 32], root[32];
    char hex[65];
    uint64_t total = 0;
    size_t off;
    for (size_t i = 0; i < n; i++) {
        unit_unhex(lines[i].digest_hex, buf + 32 * i, 32);
        total += lines[i].size;
    }
    assert_int_equal(ms_sha256(buf, 32 * n, root), 0);
    msx_hex_encode(root, 32, hex);
    off = (size_t)snprintf(out, cap,
                           "{\"_type\":\"%s\",\"name\":\"t\",\"version\":\"1\",\"source\":null,"
                           "\"license\":\"MIT\",\"ignore\":%s,\"algorithm\":\"sha256\","
                           "\"files\":%llu,\"bytes\":%llu,\"root_digest\":\"sha256:%s\"}\n",
                           type, text_ignore,
                           files >= 0 ? (unsigned long long)files : (unsigned long long)n,
                           bytes >= 0 ? (unsigned long long)bytes : (unsigned long long)total,
                           root_hex ? root_hex : hex);
    for (size_t i = 0; i < n; i++)
        off += (size_t)snprintf(
            out + off, cap - off, "{\"path\":%s,\"size\":%llu,\"digest\":\"%s\"}\n",
            lines[i].path_json, (unsigned long long)lines[i].size, lines[i].digest_hex);
}

static int load_text(const char *dir, const char *text, ms_error *err)
{
    char path[PATH_MAX];
    const char *parts[] = {text};
    ms_dataset_info info;
    memset(&info, 0, sizeof info);
    unit_path(path, dir, "m.zst");
    write_frames(path, parts, 1, NULL, 0);
    int rc = ms_dataset_info_load(path, &info, err);
    ms_dataset_info_clear(&info);
    return rc;
}

static void expect_refused(const char *dir, const char *text, const char *needle)
{
    ms_error err;
    ms_error_clear(&err);
    assert_int_equal(load_text(dir, text, &err), MS_EINPUT);
    unit_assert_contains(err.message, "m.zst");
    unit_assert_contains(err.message, needle);
}

static void refuse_lines(const char *dir, const fline *lines, size_t n, const char *needle)
{
    char text[8192];
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, lines, n, -1, -1, NULL);
    expect_refused(dir, text, needle);
}

static void test_refusals(void **state)
{
    (void)state;
    char dir[PATH_MAX], text[8192], path[PATH_MAX];
    ms_error err;
    unit_tmpdir(dir);
    fline good[] = {{"\"a.txt\"", 5, SHA_HELLO}, {"\"a/b\"", 1, SHA_X}};
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, NULL);
    assert_int_equal(load_text(dir, text, &err), 0);

    fline unsorted[] = {{"\"a/b\"", 1, SHA_X}, {"\"a.txt\"", 5, SHA_HELLO}};
    refuse_lines(dir, unsorted, 2, "line 3: not sorted: \"a.txt\" comes after \"a/b\"");
    fline dup[] = {{"\"a\"", 1, SHA_X}, {"\"a\"", 1, SHA_X}};
    refuse_lines(dir, dup, 2, "line 3: duplicate path \"a\"");
    fline abs[] = {{"\"/etc/passwd\"", 1, SHA_X}};
    refuse_lines(dir, abs, 1, "line 2: path \"/etc/passwd\" is not a safe relative path");
    fline dotdot[] = {{"\"a/../../x\"", 1, SHA_X}};
    refuse_lines(dir, dotdot, 1, "is not a safe relative path");
    fline nul[] = {{"\"a\\u0000b\"", 1, SHA_X}};
    refuse_lines(dir, nul, 1, "line 2: path: contains NUL (\\u0000)");
    fline backslash[] = {{"\"a\\\\b\"", 1, SHA_X}};
    refuse_lines(dir, backslash, 1, "path \"a\\b\" is not a safe relative path");
    fline dot[] = {{"\"./a\"", 1, SHA_X}};
    refuse_lines(dir, dot, 1, "not a safe relative path");
    fline noncanon[] = {{"\"\\u0061\"", 1, SHA_X}};
    refuse_lines(dir, noncanon, 1, "line 2: not in canonical form");
    fline upper[] = {
        {"\"a\"", 1, "2D711642B726B04401627CA9FBAC32F5C8530FB1903CC4DB02258717921A4881"}};
    refuse_lines(dir, upper, 1, "line 2: digest: expected lowercase hex");

    /* Header disagreeing with its lines. */
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, 3, -1, NULL);
    expect_refused(dir, text, "the header says 3 files, the manifest lists 2");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, 1, -1, NULL);
    expect_refused(dir, text, "line 3: more file lines than the header's 1");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, 7, NULL);
    expect_refused(dir, text, "the header says 7 bytes, the file lines add up to 6");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, SHA_X);
    expect_refused(dir, text, "root_digest sha256:" SHA_X " in the header does not match");
    manifest_text(text, sizeof text, "https://example.com/other/v1", good, 2, -1, -1, NULL);
    expect_refused(dir, text, "line 1: _type: unsupported \"https://example.com/other/v1\"");

    /* Missing header; a second header; spacing; no final newline; empty. */
    expect_refused(dir, "{\"path\":\"a\",\"size\":1,\"digest\":\"" SHA_X "\"}\n",
                   "line 1: missing header: the first line is a file line");
    expect_refused(dir, "hello\n", "line 1: missing header");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 0, -1, -1, NULL);
    {
        size_t hl = strlen(text);
        memmove(text + hl, text, hl);
        text[2 * hl] = '\0';
    }
    expect_refused(dir, text, "line 2: a second header line");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, NULL);
    text[strlen(text) - 1] = '\0';
    expect_refused(dir, text, "line 3: truncated (no newline at the end)");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, NULL);
    char *colon = strstr(text, "\"name\":");
    memmove(colon + 8, colon + 7, strlen(colon + 7) + 1);
    colon[7] = ' ';
    /* Valid JSON with the right members: said to be a matter of form. */
    expect_refused(dir, text,
                   "line 1: not in canonical form: expected {\"_type\":...,\"name\":...,");
    expect_refused(dir, text, "stopped at: name: expected a string)");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, NULL);
    colon = strstr(text, "\"name\":\"t\"");
    memmove(colon + 14, colon + 9, strlen(colon + 9) + 1);
    memcpy(colon + 8, "\\u0074", 6); /* "t" written as an escape */
    expect_refused(dir, text, "line 1: not in canonical form");
    expect_refused(dir, "", "empty manifest (no header line)");

    /* A line over 64 KiB. */
    {
        size_t n = 70000;
        char *big = malloc(n + 4096);
        char *p = malloc(n + 3);
        p[0] = '"';
        memset(p + 1, 'a', n);
        p[n + 1] = '"';
        p[n + 2] = '\0';
        fline one[] = {{p, 1, SHA_X}};
        manifest_text(big, n + 4096, MS_DATASET_MANIFEST_TYPE, one, 1, -1, -1, NULL);
        expect_refused(dir, big, "line 2: longer than 65536 bytes");
        free(big);
        free(p);
    }

    /* Not zstd; truncated; trailing garbage after the last frame; empty file. */
    unit_path(path, dir, "plain.jsonl");
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 2, -1, -1, NULL);
    unit_write_str(dir, "plain.jsonl", text);
    ms_dataset_info info;
    memset(&info, 0, sizeof info);
    assert_int_equal(ms_dataset_info_load(path, &info, &err), MS_EINPUT);
    unit_assert_contains(err.message, "plain.jsonl: not a zstd stream");
    {
        const char *parts[] = {text};
        ms_buf whole = MS_BUF_INIT;
        unit_path(path, dir, "cut.zst");
        write_frames(path, parts, 1, NULL, 0);
        assert_int_equal(msx_file_read(path, 1 << 20, &whole, &err), 0);
        unit_write(dir, "cut.zst", whole.data, whole.len - 5);
        assert_int_equal(ms_dataset_info_load(path, &info, &err), MS_EINPUT);
        unit_assert_contains(err.message, "cut.zst: truncated zstd stream");
        msx_buf_free(&whole);
        unit_path(path, dir, "trail.zst");
        write_frames(path, parts, 1, "garbage after the frame", 23);
        assert_int_equal(ms_dataset_info_load(path, &info, &err), MS_EINPUT);
        unit_assert_contains(err.message, "trail.zst: invalid zstd data after");
    }
    unit_write(dir, "empty.zst", "", 0);
    unit_path(path, dir, "empty.zst");
    assert_int_equal(ms_dataset_info_load(path, &info, &err), MS_EINPUT);
    unit_assert_contains(err.message, "empty.zst: not a zstd stream (empty file)");
    unit_path(path, dir, "missing.zst");
    assert_int_equal(ms_dataset_info_load(path, &info, &err), MS_EINPUT);
    unit_assert_contains(err.message, "missing.zst: No such file");
    unit_rmtree(dir);
}

/* Frames may split the text anywhere, even inside a line. */
static void test_multi_frame(void **state)
{
    (void)state;
    char dir[PATH_MAX], text[8192], path[PATH_MAX];
    ms_dataset_info info;
    ms_error err;
    uint8_t md[32];
    memset(&info, 0, sizeof info);
    unit_tmpdir(dir);
    fline good[] = {{"\"a.txt\"", 5, SHA_HELLO}, {"\"a/b\"", 1, SHA_X}, {"\"z\"", 0, SHA_EMPTY}};
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    size_t len = strlen(text);
    char *p1 = strndup(text, 100), *p2 = strndup(text + 100, 200), *p3 = strdup(text + 300);
    const char *parts[] = {p1, p2, p3};
    unit_path(path, dir, "three.zst");
    write_frames(path, parts, 3, NULL, 0);
    assert_int_equal(count_frames(path), 3);
    assert_int_equal(ms_dataset_info_load(path, &info, &err), 0);
    assert_int_equal(info.files, 3);
    assert_int_equal(ms_sha256(text, len, md), 0);
    assert_memory_equal(info.manifest_digest, md, 32);
    free(p1);
    free(p2);
    free(p3);
    ms_dataset_info_clear(&info);
    unit_rmtree(dir);
}

/* ---- writing refusals and the output inside the dataset ---------------------------------- */

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    size_t n = 0;
    struct dirent *de;
    assert_non_null(d);
    while ((de = readdir(d)) != NULL)
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_write_refusals(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], out[PATH_MAX], outdir[PATH_MAX], fifo[PATH_MAX];
    ms_error err;
    unit_tmpdir(dir);
    unit_path(data, dir, "data");
    unit_path(outdir, dir, "out");
    unit_mkdirs(dir, "out");
    unit_path(out, outdir, "m.zst");
    unit_mkdirs(dir, "data");
    unit_write_str(data, "ok.txt", "ok");
    unit_write_str(data, "bad\xff.txt", "x");
    assert_int_equal(write_manifest(data, "n", out, 0, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "bad\xff.txt: file name is not valid UTF-8");
    assert_int_equal(count_entries(outdir), 0); /* no output, no temporary file */

    unit_rmtree(data);
    unit_mkdirs(dir, "data");
    unit_write_str(data, "ok.txt", "ok");
    unit_path(fifo, data, "pipe");
    assert_int_equal(mkfifo(fifo, 0644), 0);
    assert_int_equal(write_manifest(data, "n", out, 0, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "pipe: is a FIFO");
    assert_int_equal(count_entries(outdir), 0);
    unlink(fifo);

    ms_dataset_options o;
    memset(&o, 0, sizeof o);
    o.name = "bad\nname";
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "name: contains a control character");
    o.name = "n";
    const char *ign[] = {"ok.txt"};
    o.ignore_paths = ign;
    o.n_ignore_paths = 1;
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "no files");
    assert_int_equal(count_entries(outdir), 0);

    /* The output and its temporary files inside the dataset are left out of it. */
    char inside[PATH_MAX];
    ms_dataset_info a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    unit_path(inside, data, "m.zst");
    assert_int_equal(write_manifest(data, "n", inside, 0, &a, &err), 0);
    assert_int_equal(write_manifest(data, "n", inside, 0, &b, &err), 0); /* again, over it */
    assert_int_equal(a.files, 1);
    assert_int_equal(b.files, 1);
    assert_memory_equal(a.root_digest, b.root_digest, 32);
    assert_int_equal(count_entries(data), 2);
    ms_dataset_info_clear(&a);
    ms_dataset_info_clear(&b);
    unit_rmtree(dir);
}

/* ---- re-hashing a directory --------------------------------------------------------------- */

typedef struct diffs {
    char text[1024];
} diffs;

static void collect(void *ctx, ms_dataset_diff_kind kind, const char *path)
{
    diffs *d = ctx;
    static const char *const names[] = {"missing", "extra", "changed"};
    size_t n = strlen(d->text);
    snprintf(d->text + n, sizeof d->text - n, "%s:%s;", names[kind], path);
}

typedef struct check_ctx {
    ms_dataset_info *seen;
    int calls, refuse;
} check_ctx;

static int check_manifest(void *ctx, const ms_dataset_info *info, ms_error *err)
{
    check_ctx *c = ctx;
    c->calls++;
    memcpy(c->seen->manifest_digest, info->manifest_digest, MS_SHA256_SIZE);
    memcpy(c->seen->root_digest, info->root_digest, MS_SHA256_SIZE);
    c->seen->files = info->files;
    return c->refuse ? ms_error_set(err, MS_EVERIFY, "not the manifest meant") : 0;
}

static void test_verify_dir(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], out[PATH_MAX];
    ms_dataset_verify_result res;
    ms_dataset_verify_options vo;
    diffs d;
    ms_error err;
    unit_tmpdir(dir);
    unit_path(data, dir, "data");
    unit_path(out, dir, "m.zst");
    unit_mkdirs(dir, "data");
    unit_write_str(data, "a.txt", "hello");
    unit_write_str(data, "a/b", "x");
    unit_write_str(data, "c/d", "same size");
    unit_write_str(data, "e", "gone");
    assert_int_equal(write_manifest(data, "n", out, 0, NULL, &err), 0);
    memset(&vo, 0, sizeof vo);
    memset(&d, 0, sizeof d);
    vo.diff = collect;
    vo.diff_ctx = &d;
    vo.batch_files = 1;
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), 0);
    assert_int_equal(res.files, 4);
    assert_string_equal(d.text, "");

    unit_write_str(data, "a/b", "y");          /* same size, other bytes */
    unit_write_str(data, "c/d", "other size"); /* size differs */
    unit_write_str(data, "b.new", "new");
    char e[PATH_MAX];
    unlink(unit_path(e, data, "e"));
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), MS_EVERIFY);
    assert_string_equal(d.text, "changed:a/b;extra:b.new;changed:c/d;missing:e;");
    assert_int_equal(res.missing, 1);
    assert_int_equal(res.extra, 1);
    assert_int_equal(res.changed, 2);
    unit_assert_contains(err.message, "1 missing, 1 extra, 2 changed");

    /* --ignore at verify time hides an extra file. */
    const char *ign[] = {"b.new"};
    vo.ignore_paths = ign;
    vo.n_ignore_paths = 1;
    memset(&d, 0, sizeof d);
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), MS_EVERIFY);
    assert_string_equal(d.text, "changed:a/b;changed:c/d;missing:e;");

    /* manifest_check sees what ms_dataset_info_load gives, once, before any difference; when
     * it refuses, its answer stands and nothing is told. */
    ms_dataset_info loaded, seen;
    memset(&loaded, 0, sizeof loaded);
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ms_dataset_info_load(out, &loaded, &err), 0);
    check_ctx cc = {&seen, 0, 0};
    vo.manifest_check = check_manifest;
    vo.check_ctx = &cc;
    memset(&d, 0, sizeof d);
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), MS_EVERIFY);
    assert_int_equal(cc.calls, 1);
    assert_memory_equal(seen.manifest_digest, loaded.manifest_digest, MS_SHA256_SIZE);
    assert_memory_equal(seen.root_digest, loaded.root_digest, MS_SHA256_SIZE);
    assert_int_equal(seen.files, loaded.files);
    assert_string_equal(d.text, "changed:a/b;changed:c/d;missing:e;");
    cc.refuse = 1;
    memset(&d, 0, sizeof d);
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), MS_EVERIFY);
    assert_int_equal(cc.calls, 2);
    assert_string_equal(d.text, "");
    assert_string_equal(err.message, "not the manifest meant");
    ms_dataset_info_clear(&loaded);
    unit_rmtree(dir);
}

/* ---- the ignore list ---------------------------------------------------------------------- */

/* A dataset lists every file but what its "ignore" list names; the list is recorded sorted and
 * each once, read back canonically, and applied by ms_dataset_verify_dir from the manifest. */
static void test_ignore_list(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], out[PATH_MAX], outdir[PATH_MAX], text[8192];
    ms_dataset_options o;
    ms_dataset_info info, back;
    ms_dataset_verify_options vo;
    ms_dataset_verify_result res;
    ms_buf whole = MS_BUF_INIT;
    diffs d;
    ms_error err;
    memset(&o, 0, sizeof o);
    memset(&info, 0, sizeof info);
    memset(&back, 0, sizeof back);
    unit_tmpdir(dir);
    unit_path(data, dir, "data");
    unit_path(outdir, dir, "out");
    unit_path(out, outdir, "m.zst");
    unit_mkdirs(dir, "out");
    unit_mkdirs(dir, "data");
    unit_write_str(data, "a.txt", "hello");
    unit_write_str(data, "claims.jsonl", "{\"text\":\"poison\"}\n");
    unit_write_str(data, ".git/HEAD", "x");
    unit_write_str(data, "cache/1", "x");
    unit_write_str(data, "cache.txt", "x");
    unit_write_str(data, "tmp/a/b", "x");

    /* Recorded byte-sorted, each once; the ignored files are not listed, the rest all are. */
    const char *ign[] = {"tmp/a", "cache", "tmp/a"};
    o.name = "n";
    o.ignore_paths = ign;
    o.n_ignore_paths = 3;
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, &info, &err), 0);
    assert_int_equal(info.n_ignore_paths, 2);
    assert_string_equal(info.ignore_paths[0], "cache");
    assert_string_equal(info.ignore_paths[1], "tmp/a");
    assert_int_equal(info.files, 4); /* .git/HEAD, a.txt, cache.txt, claims.jsonl */
    decompress_file(out, &whole);
    unit_assert_contains((char *)whole.data,
                         "\"license\":null,\"ignore\":[\"cache\",\"tmp/a\"],\"algorithm\"");
    unit_assert_contains((char *)whole.data, "{\"path\":\".git/HEAD\",");
    unit_assert_contains((char *)whole.data, "{\"path\":\"claims.jsonl\",");
    assert_null(strstr((char *)whole.data, "cache/1"));
    assert_null(strstr((char *)whole.data, "tmp/a/b"));
    assert_int_equal(ms_dataset_info_load(out, &back, &err), 0);
    assert_int_equal(back.n_ignore_paths, 2);
    assert_string_equal(back.ignore_paths[1], "tmp/a");

    /* verify applies the manifest's list: the ignored files may change; nothing else is skipped
     * (a .github/ or a claims.jsonl is data). */
    memset(&vo, 0, sizeof vo);
    memset(&d, 0, sizeof d);
    vo.diff = collect;
    vo.diff_ctx = &d;
    unit_write_str(data, "cache/1", "changed");
    unit_write_str(data, "tmp/a/new", "new");
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), 0);
    assert_int_equal(res.files, 4);
    unit_write_str(data, ".github/cat.txt", "x");
    unit_write_str(data, "claims.jsonl", "{\"text\":\"other poison\"}\n");
    assert_int_equal(ms_dataset_verify_dir(out, data, &vo, &res, &err), MS_EVERIFY);
    assert_string_equal(d.text, "extra:.github/cat.txt;changed:claims.jsonl;");

    /* Refused when writing: an unsafe path; a list too long for a header line (before any
     * hashing, nothing left behind). */
    const char *unsafe[] = {"a/../b"};
    o.ignore_paths = unsafe;
    o.n_ignore_paths = 1;
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "--ignore a/../b: not a relative path inside the dataset");
    const char *absolute[] = {"/etc"};
    o.ignore_paths = absolute;
    assert_int_equal(ms_dataset_manifest_write(data, &o, out, NULL, &err), MS_EINPUT);
    unit_assert_contains(err.message, "--ignore /etc: not a relative path");
    {
        enum { MANY = 4000 };
        char(*names)[24] = calloc(MANY, sizeof *names);
        const char **many = calloc(MANY, sizeof *many);
        for (size_t i = 0; i < MANY; i++) {
            snprintf(names[i], sizeof names[i], "ignored-path-%06zu", i);
            many[i] = names[i];
        }
        o.ignore_paths = many;
        o.n_ignore_paths = MANY;
        unlink(out);
        assert_int_equal(ms_dataset_manifest_write(data, &o, out, NULL, &err), MS_EINPUT);
        unit_assert_contains(err.message, "4000 ignored paths) would be longer than 65536 bytes");
        assert_int_equal(count_entries(outdir), 0);
        free(names);
        free(many);
    }

    /* Refused when reading: not sorted, twice, unsafe, not canonical, missing (a header from
     * before the list), and a file line under an ignored path. */
    fline good[] = {
        {"\"a.txt\"", 5, SHA_HELLO}, {"\"sub.txt\"", 1, SHA_X}, {"\"sub0/x\"", 1, SHA_X}};
    text_ignore = "[\"a\",\"sub\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    assert_int_equal(load_text(dir, text, &err), 0); /* beside "sub", not under it */
    text_ignore = "[\"b\",\"a\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: not sorted: \"a\" comes after \"b\"");
    text_ignore = "[\"a\",\"a\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: \"a\" is listed twice");
    text_ignore = "[\"a/../b\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: \"a/../b\" is not a safe relative path");
    text_ignore = "[\"\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: \"\" is not a safe relative path");
    text_ignore = "[\"\\u0061\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: not in canonical form");
    text_ignore = "[\"a\" ]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: expected ',' or ']' after a path");
    text_ignore = "null";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    expect_refused(dir, text, "line 1: ignore: expected an array of paths");
    text_ignore = "[]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, good, 3, -1, -1, NULL);
    char *field = strstr(text, ",\"ignore\":[]");
    memmove(field, field + 12, strlen(field + 12) + 1);
    expect_refused(dir, text, "line 1: expected \"ignore\" after \"license\"");
    fline under[] = {{"\"a.txt\"", 5, SHA_HELLO}, {"\"sub/deep/x\"", 1, SHA_X}};
    text_ignore = "[\"sub/deep\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, under, 2, -1, -1, NULL);
    expect_refused(dir, text, "line 3: path \"sub/deep/x\" is one the header's \"ignore\" list");
    text_ignore = "[\"a.txt\"]";
    manifest_text(text, sizeof text, MS_DATASET_MANIFEST_TYPE, under, 2, -1, -1, NULL);
    expect_refused(dir, text, "line 2: path \"a.txt\" is one the header's \"ignore\" list");
    text_ignore = "[]";

    msx_buf_free(&whole);
    ms_dataset_info_clear(&info);
    ms_dataset_info_clear(&back);
    unit_rmtree(dir);
}

/* ---- statements --------------------------------------------------------------------------- */

static ms_statement *parse(const ms_buf *payload)
{
    ms_statement *st = NULL;
    ms_error err;
    assert_int_equal(ms_statement_parse_generic(payload->data, payload->len, &st, &err), 0);
    return st;
}

static void test_statement(void **state)
{
    (void)state;
    ms_dataset_info info, back;
    ms_buf payload = MS_BUF_INIT;
    ms_error err;
    memset(&info, 0, sizeof info);
    memset(&back, 0, sizeof back);
    info.name = strdup("imagenet-mini");
    info.version = strdup("2024.1");
    info.license = strdup("CC-BY-4.0");
    info.algorithm = MS_HASH_BLAKE2B;
    info.files = 200000;
    info.bytes = 204800000;
    memset(info.root_digest, 0xab, 32);
    memset(info.manifest_digest, 0xcd, 32);
    assert_int_equal(t_dataset_statement_build(&info, &payload, &err), 0);
    assert_string_equal(
        (char *)payload.data,
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"imagenet-mini\","
        "\"digest\":{\"sha256\":\"abababababababababababababababababababababababababababababababab"
        "\"}}],\"predicateType\":\"https://modelseal/dataset-manifest/v1\",\"predicate\":{"
        "\"name\":\"imagenet-mini\",\"version\":\"2024.1\",\"source\":null,\"license\":"
        "\"CC-BY-4.0\",\"algorithm\":\"blake2b\",\"files\":200000,\"bytes\":204800000,"
        "\"manifest_digest\":{\"sha256\":\"cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"
        "cdcdcdcd\"}}}");
    ms_statement *st = parse(&payload);
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), 0);
    assert_int_equal(ms_dataset_info_from_statement(st, &back, &err), 0);
    assert_string_equal(back.name, "imagenet-mini");
    assert_string_equal(back.version, "2024.1");
    assert_null(back.source);
    assert_string_equal(back.license, "CC-BY-4.0");
    assert_int_equal(back.algorithm, MS_HASH_BLAKE2B);
    assert_int_equal(back.files, 200000);
    assert_int_equal(back.bytes, 204800000);
    assert_memory_equal(back.root_digest, info.root_digest, 32);
    assert_memory_equal(back.manifest_digest, info.manifest_digest, 32);

    /* Each mismatch is MS_EVERIFY naming the field. */
    info.manifest_digest[0] ^= 1;
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EVERIFY);
    unit_assert_contains(err.message, "manifest_digest: signed sha256:cdcd");
    info.manifest_digest[0] ^= 1;
    info.root_digest[31] ^= 1;
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EVERIFY);
    unit_assert_contains(err.message, "root digest: signed sha256:abab");
    info.root_digest[31] ^= 1;
    info.files++;
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EVERIFY);
    unit_assert_contains(err.message, "files: signed 200000, the manifest lists 200001");
    info.files--;
    free(info.version);
    info.version = NULL;
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EVERIFY);
    unit_assert_contains(err.message, "version:");
    free(info.name);
    info.name = strdup("other");
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EVERIFY);
    unit_assert_contains(err.message, "for dataset \"imagenet-mini\", the manifest is \"other\"");
    ms_statement_free(st);

    /* Not a dataset statement at all: MS_EINPUT. */
    const char *oms = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\","
                      "\"digest\":{\"sha256\":\"" SHA_X "\"}}],\"predicateType\":"
                      "\"https://model_signing/signature/v1.0\",\"predicate\":{}}";
    assert_int_equal(ms_statement_parse_generic((const uint8_t *)oms, strlen(oms), &st, &err), 0);
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), MS_EINPUT);
    unit_assert_contains(err.message, "not a dataset statement");
    ms_statement_free(st);
    /* A dataset statement with a field of the wrong type. */
    const char *badfiles =
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\","
        "\"digest\":{\"sha256\":\"" SHA_X "\"}}],\"predicateType\":"
        "\"https://modelseal/dataset-manifest/v1\",\"predicate\":{\"name\":\"m\",\"version\":null,"
        "\"source\":null,\"license\":null,\"algorithm\":\"sha256\",\"files\":\"3\",\"bytes\":1,"
        "\"manifest_digest\":{\"sha256\":\"" SHA_X "\"}}}";
    assert_int_equal(
        ms_statement_parse_generic((const uint8_t *)badfiles, strlen(badfiles), &st, &err), 0);
    assert_int_equal(ms_dataset_info_from_statement(st, &back, &err), MS_EINPUT);
    unit_assert_contains(err.message, "predicate.files: not a non-negative integer");
    ms_statement_free(st);
    ms_dataset_info_clear(&back);
    ms_dataset_info_clear(&info);
    msx_buf_free(&payload);
}

/* Sign a manifest's statement and check the signature and the binding end to end. */
static void test_sign_round_trip(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], out[PATH_MAX];
    ms_dataset_info info;
    ms_key *key = NULL;
    ms_bundle *bundle = NULL;
    ms_statement *st = NULL;
    ms_buf payload = MS_BUF_INIT, signed_bundle = MS_BUF_INIT;
    ms_error err;
    memset(&info, 0, sizeof info);
    make_small_tree(dir);
    unit_path(data, dir, "data");
    unit_path(out, dir, "d.zst");
    assert_int_equal(write_manifest(data, "demo", out, 0, NULL, &err), 0);
    assert_int_equal(ms_dataset_info_load(out, &info, &err), 0);
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &key, &err), 0);
    assert_int_equal(t_dataset_statement_build(&info, &payload, &err), 0);
    assert_int_equal(t_sign_statement(payload.data, payload.len, key, NULL, &signed_bundle, &err),
                     0);
    assert_int_equal(ms_bundle_parse(signed_bundle.data, signed_bundle.len, &bundle, &err), 0);
    ms_trust trust = {.keys = (const ms_key *const *)&key, .n_keys = 1};
    assert_int_equal(ms_verify_bundle_signature(bundle, &trust, NULL, &err), 0);
    const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
    assert_int_equal(ms_statement_parse_generic(env->payload, env->payload_len, &st, &err), 0);
    assert_int_equal(ms_dataset_statement_check(st, &info, &err), 0);
    ms_statement_free(st);
    ms_bundle_free(bundle);
    ms_key_free(key);
    msx_buf_free(&payload);
    msx_buf_free(&signed_bundle);
    ms_dataset_info_clear(&info);
    unit_rmtree(dir);
}

/* ---- partitions (dataset_partition.c, dataset_merge.c) ----------------------------------------
 */

/* Read a whole file's raw (compressed) bytes. */
static void raw_file(const char *path, ms_buf *out)
{
    ms_error err;
    msx_buf_reset(out);
    assert_int_equal(msx_file_read(path, (size_t)1 << 24, out, &err), 0);
}

static void test_partitions(void **state)
{
    (void)state;
    char dir[PATH_MAX], data[PATH_MAX], one[PATH_MAX], parts[3][PATH_MAX], merged[PATH_MAX];
    ms_buf a = MS_BUF_INIT, b = MS_BUF_INIT;
    ms_dataset_info info;
    ms_error err;
    /* The share of a path: SHA-256(path)[:8] big-endian mod N (values from Python's hashlib). */
    assert_int_equal(ms_dataset_partition_of("a", 1, 7), 4);
    assert_int_equal(ms_dataset_partition_of("d00/0", 5, 3), 1);
    assert_int_equal(ms_dataset_partition_of("caf\xc3\xa9.txt", 9, 65536), 9292);
    assert_int_equal(ms_dataset_partition_of("x", 1, 2), 0);
    assert_int_equal(ms_dataset_partition_of("a", 1, 1), 0);
    assert_int_equal(ms_dataset_partition_of("a", 1, 0), 0);

    unit_tmpdir(dir);
    unit_path(data, dir, "data");
    for (int i = 0; i < 40; i++) {
        char rel[64], content[64];
        snprintf(rel, sizeof rel, "d%02d/f%d %s", i % 7, i, i % 3 ? "x" : "\xc3\xa9");
        snprintf(content, sizeof content, "file %d", i);
        unit_write_str(data, rel, content);
    }
    unit_path(one, dir, "one.zst");
    unit_path(merged, dir, "merged.zst");
    assert_int_equal(write_manifest(data, "n", one, 0, NULL, &err), 0);
    const char *list[3];
    uint64_t files = 0;
    for (uint32_t i = 0; i < 3; i++) {
        ms_dataset_options o;
        char rel[32];
        memset(&o, 0, sizeof o);
        o.name = "n";
        o.threads = 2;
        o.batch_files = 3; /* the window does not change the bytes */
        o.partition_index = i;
        o.partition_count = 3;
        snprintf(rel, sizeof rel, "part%u.zst", i);
        unit_path(parts[i], dir, rel);
        memset(&info, 0, sizeof info);
        assert_int_equal(ms_dataset_manifest_write(data, &o, parts[i], &info, &err), 0);
        files += info.files;
        ms_dataset_info_clear(&info);
        list[2 - i] = parts[i]; /* in reverse */
        /* A part is not a manifest. */
        assert_int_equal(ms_dataset_info_load(parts[i], &info, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "a partial manifest"));
    }
    assert_int_equal(files, 40);
    memset(&info, 0, sizeof info);
    assert_int_equal(ms_dataset_merge(list, 3, merged, &info, &err), 0);
    assert_int_equal(info.files, 40);
    ms_dataset_info_clear(&info);
    raw_file(one, &a);
    raw_file(merged, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    /* Refusals: nothing to merge, a part missing, a whole manifest. */
    assert_int_equal(ms_dataset_merge(list, 0, merged, NULL, &err), MS_EINPUT);
    assert_int_equal(ms_dataset_merge(list, 2, merged, NULL, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "is missing"));
    const char *whole[] = {one};
    assert_int_equal(ms_dataset_merge(whole, 1, merged, NULL, &err), MS_EINPUT);
    /* verify_dir by shares: each hashes its own, together all 40; a bad share is refused. */
    files = 0;
    for (uint32_t i = 0; i < 3; i++) {
        ms_dataset_verify_options vo;
        ms_dataset_verify_result res;
        memset(&vo, 0, sizeof vo);
        vo.partition_index = i;
        vo.partition_count = 3;
        assert_int_equal(ms_dataset_verify_dir(one, data, &vo, &res, &err), 0);
        files += res.files;
        if (i == 2) {
            vo.partition_index = 3;
            assert_int_equal(ms_dataset_verify_dir(one, data, &vo, &res, &err), MS_EINPUT);
        }
    }
    assert_int_equal(files, 40);
    msx_buf_free(&a);
    msx_buf_free(&b);
    unit_rmtree(dir);
}

/* A bucket operand gets the checks a directory gets, before any request: the header's fields,
 * an output that is a directory, a share out of range (no credentials or network needed). */
static void test_s3_checked_first(void **state)
{
    (void)state;
    char dir[PATH_MAX], out[PATH_MAX];
    ms_dataset_options o;
    ms_dataset_verify_options vo;
    ms_dataset_verify_result res;
    ms_error err;
    unit_tmpdir(dir);
    unit_path(out, dir, "out.zst");
    memset(&o, 0, sizeof o);
    o.name = "n";
    o.version = "";
    assert_int_equal(ms_dataset_manifest_write("s3://bucket/p", &o, out, NULL, &err), MS_EINPUT);
    assert_string_equal(err.message, "version: empty");
    o.version = "1";
    o.license = "a\tb";
    assert_int_equal(ms_dataset_manifest_write("s3://bucket/p", &o, out, NULL, &err), MS_EINPUT);
    assert_string_equal(err.message, "license: contains a control character");
    o.license = NULL;
    assert_int_equal(ms_dataset_manifest_write("s3://bucket/p", &o, dir, NULL, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, ": is a directory"));
    assert_int_equal(access(out, F_OK), -1);
    memset(&vo, 0, sizeof vo);
    vo.partition_index = 3;
    vo.partition_count = 3;
    assert_int_equal(ms_dataset_verify_dir(out, "s3://bucket/p", &vo, &res, &err), MS_EINPUT);
    assert_string_equal(err.message, "partition 3 of 3: the index runs from 0 to 2");
    vo.partition_index = 0;
    vo.partition_count = MS_DATASET_MAX_PARTITIONS + 1;
    assert_int_equal(ms_dataset_verify_dir(out, "s3://bucket/p", &vo, &res, &err), MS_EINPUT);
    assert_string_equal(err.message, "partition count 65537: expected 1 to 65536");
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_bytes_and_order),
        cmocka_unit_test(test_determinism_and_batches),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_multi_frame),
        cmocka_unit_test(test_write_refusals),
        cmocka_unit_test(test_verify_dir),
        cmocka_unit_test(test_ignore_list),
        cmocka_unit_test(test_statement),
        cmocka_unit_test(test_sign_round_trip),
        cmocka_unit_test(test_partitions),
        cmocka_unit_test(test_s3_checked_first),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
