/* The claims file: reading with bounds and line numbers, appending with deduplication, finding
 * claims, default paths, and eight processes appending to one file at once. */
#include "config.h"

#include <sys/wait.h>

#include "unit.h"

#include "modelseal/claims.h"
#include "modelseal/key.h"
#include "modelseal/sign.h"
#include "util/fs.h"

static ms_key *test_key;

static int setup(void **state)
{
    ms_error err;
    (void)state;
    return ms_key_generate(MS_KEY_ED25519, &test_key, &err);
}

static int teardown(void **state)
{
    (void)state;
    ms_key_free(test_key);
    return 0;
}

/* A signed claim line: subject digest = `fill` repeated, predicate type `pt`, predicate {"n":n}.
 * Returns a malloc'd line (no newline). */
static char *make_line(uint8_t fill, const char *pt, int n)
{
    char hex[65], payload[512];
    memset(hex, "0123456789abcdef"[fill & 15], 64);
    hex[64] = '\0';
    snprintf(payload, sizeof payload,
             "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\","
             "\"digest\":{\"sha256\":\"%s\"}}],\"predicateType\":\"%s\",\"predicate\":{\"n\":%d}}",
             hex, pt, n);
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    if (t_sign_statement((const uint8_t *)payload, strlen(payload), test_key, NULL, &out, &err))
        fail_msg("sign: %s", err.message);
    return msx_buf_detach(&out);
}

static char *slurp(const char *path, size_t *len)
{
    ms_buf b = MS_BUF_INIT;
    ms_error err;
    if (msx_file_read(path, (size_t)1 << 30, &b, &err) != 0)
        fail_msg("read %s: %s", path, err.message);
    *len = b.len;
    return msx_buf_detach(&b);
}

static int append1(const char *path, const char *line, size_t *added, ms_error *err)
{
    size_t len = strlen(line);
    return ms_claims_append(path, &line, &len, 1, added, err);
}

static void test_append_read_find(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    size_t added = 99;
    ms_claims *c = NULL;
    (void)state;
    unit_tmpdir(dir);
    unit_path(path, dir, "claims.jsonl");
    char *a = make_line(1, "https://slsa.dev/provenance/v1", 1);
    char *b = make_line(2, "https://modelseal/dataset-manifest/v1", 2);
    const char *lines[] = {a, b};
    size_t lens[] = {strlen(a), strlen(b)};
    assert_int_equal(ms_claims_append(path, lines, lens, 2, &added, &err), 0);
    assert_int_equal(added, 2);

    size_t len;
    char *text = slurp(path, &len);
    assert_int_equal(len, lens[0] + lens[1] + 2);
    assert_memory_equal(text, a, lens[0]);
    assert_int_equal(text[lens[0]], '\n');
    assert_int_equal(text[len - 1], '\n');
    free(text);

    assert_int_equal(ms_claims_read(path, 0, &c, &err), 0);
    assert_int_equal(c->n, 2);
    assert_int_equal(c->items[0].line_number, 1);
    assert_int_equal(c->items[1].line_number, 2);
    assert_string_equal(c->items[1].text, b);
    assert_string_equal(c->items[1].statement->predicate_type,
                        "https://modelseal/dataset-manifest/v1");

    uint8_t d1[32], d2[32], d3[32];
    memset(d1, 0x11, 32);
    memset(d2, 0x22, 32);
    memset(d3, 0x33, 32);
    assert_int_equal(ms_claims_find(c, d1, NULL, 0), 0);
    assert_int_equal(ms_claims_find(c, d1, "https://slsa.dev/provenance/v1", 0), 0);
    assert_int_equal(ms_claims_find(c, d1, "https://modelseal/dataset-manifest/v1", 0), 2);
    assert_int_equal(ms_claims_find(c, d2, NULL, 0), 1);
    assert_int_equal(ms_claims_find(c, d1, NULL, 1), 2);
    assert_int_equal(ms_claims_find(c, d3, NULL, 0), 2);
    ms_claims_free(c);
    free(a);
    free(b);
    unit_rmtree(dir);
}

static void test_dedupe(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    size_t added = 99, len1, len2;
    (void)state;
    unit_tmpdir(dir);
    unit_path(path, dir, "c.jsonl");
    char *a = make_line(1, "x", 1), *b = make_line(1, "x", 2);
    assert_int_equal(append1(path, a, &added, &err), 0);
    assert_int_equal(added, 1);
    struct stat st1, st2;
    assert_int_equal(stat(path, &st1), 0);
    char *before = slurp(path, &len1);

    /* Already present: nothing added, the file is not rewritten (same inode). */
    assert_int_equal(append1(path, a, &added, &err), 0);
    assert_int_equal(added, 0);
    assert_int_equal(stat(path, &st2), 0);
    assert_int_equal(st1.st_ino, st2.st_ino);
    char *after = slurp(path, &len2);
    assert_int_equal(len1, len2);
    assert_memory_equal(before, after, len1);
    free(after);

    /* Repeated within one call: kept once. */
    const char *lines[] = {b, a, b};
    size_t lens[] = {strlen(b), strlen(a), strlen(b)};
    assert_int_equal(ms_claims_append(path, lines, lens, 3, &added, &err), 0);
    assert_int_equal(added, 1);
    ms_claims *c = NULL;
    assert_int_equal(ms_claims_read(path, 0, &c, &err), 0);
    assert_int_equal(c->n, 2);
    assert_string_equal(c->items[0].text, a);
    assert_string_equal(c->items[1].text, b);
    ms_claims_free(c);
    free(before);
    free(a);
    free(b);
    unit_rmtree(dir);
}

/* A file whose last line lacks its newline: read fine; an append keeps the line intact. */
static void test_missing_final_newline(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    size_t added = 0, len;
    (void)state;
    unit_tmpdir(dir);
    unit_path(path, dir, "c.jsonl");
    char *a = make_line(1, "x", 1), *b = make_line(2, "x", 2);
    unit_write_str(dir, "c.jsonl", a);
    assert_int_equal(append1(path, b, &added, &err), 0);
    assert_int_equal(added, 1);
    char *text = slurp(path, &len);
    assert_int_equal(len, strlen(a) + strlen(b) + 2);
    assert_memory_equal(text, a, strlen(a));
    assert_int_equal(text[strlen(a)], '\n');
    free(text);
    free(a);
    free(b);
    unit_rmtree(dir);
}

static void expect_bad_file(const char *dir, const char *content, const char *needle)
{
    char path[PATH_MAX];
    ms_error err;
    ms_claims *c = NULL;
    size_t added = 7, len;
    unit_write_str(dir, "bad.jsonl", content);
    unit_path(path, dir, "bad.jsonl");
    assert_int_equal(ms_claims_read(path, 0, &c, &err), MS_EINPUT);
    assert_null(c);
    unit_assert_contains(err.message, path);
    unit_assert_contains(err.message, needle);
    /* An append refuses too, and leaves the file byte for byte. */
    char *good = make_line(9, "x", 9);
    assert_int_equal(append1(path, good, &added, &err), MS_EINPUT);
    unit_assert_contains(err.message, needle);
    char *text = slurp(path, &len);
    assert_int_equal(len, strlen(content));
    assert_memory_equal(text, content, len);
    free(text);
    free(good);
}

static void test_malformed_lines(void **state)
{
    char dir[PATH_MAX];
    ms_buf b = MS_BUF_INIT;
    (void)state;
    unit_tmpdir(dir);
    char *a = make_line(1, "x", 1), *c = make_line(2, "x", 2);

    msx_buf_printf(&b, "%s\n{not json\n%s\n", a, c);
    expect_bad_file(dir, (const char *)b.data, "line 2: ");
    msx_buf_reset(&b);
    msx_buf_printf(&b, "%s\n%s\n\n", a, c);
    expect_bad_file(dir, (const char *)b.data, "line 3: empty line");
    msx_buf_reset(&b);
    msx_buf_printf(
        &b, "%s\n%s\n{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}\n", a, c);
    expect_bad_file(dir, (const char *)b.data, "line 3: ");
    msx_buf_reset(&b);
    msx_buf_printf(&b, "[1,2]\n%s\n", a);
    expect_bad_file(dir, (const char *)b.data, "line 1: ");
    /* A statement with two subjects is not a claim. */
    msx_buf_reset(&b);
    {
        const char *payload = "{\"_type\":\"https://in-toto.io/Statement/"
                              "v1\",\"subject\":[],\"predicateType\":\"x\"}";
        ms_buf line = MS_BUF_INIT;
        ms_error err;
        assert_int_equal(t_sign_statement((const uint8_t *)payload, strlen(payload), test_key, NULL,
                                          &line, &err),
                         0);
        msx_buf_printf(&b, "%s\n%s\n", a, (const char *)line.data);
        msx_buf_free(&line);
    }
    expect_bad_file(dir, (const char *)b.data, "line 2: ");
    msx_buf_free(&b);
    free(a);
    free(c);
    unit_rmtree(dir);
}

static void test_bounds(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];
    ms_error err;
    ms_claims *c = NULL;
    (void)state;
    unit_tmpdir(dir);

    /* A file over the size bound (sparse: nothing is read). */
    unit_path(path, dir, "huge.jsonl");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)MS_CLAIMS_MAX_SIZE + 1), 0);
    close(fd);
    assert_int_equal(ms_claims_read(path, 0, &c, &err), MS_EINPUT);
    unit_assert_contains(err.message, path);
    unit_assert_contains(err.message, "limit");
    char *good = make_line(3, "x", 3);
    size_t added = 5;
    assert_int_equal(append1(path, good, &added, &err), MS_EINPUT);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, (off_t)MS_CLAIMS_MAX_SIZE + 1);

    /* A line over the line bound. */
    size_t n = MS_CLAIMS_MAX_LINE + 1;
    char *big = malloc(n + strlen(good) + 2);
    assert_non_null(big);
    memcpy(big, good, strlen(good));
    big[strlen(good)] = '\n';
    memset(big + strlen(good) + 1, 'x', n);
    assert_int_equal(
        ms_claims_parse((const uint8_t *)big, strlen(good) + 1 + n, "big.jsonl", &c, &err),
        MS_EINPUT);
    unit_assert_contains(err.message, "big.jsonl: line 2: longer than the limit");
    /* A new line that is not a claim is refused before anything is touched. */
    unit_path(path, dir, "c.jsonl");
    assert_int_equal(append1(path, "{\"a\":1}", &added, &err), MS_EINPUT);
    unit_assert_contains(err.message, "new claim 1");
    assert_int_equal(stat(path, &st), -1);
    const char *two = "x\ny";
    size_t two_len = 3;
    assert_int_equal(ms_claims_append(path, &two, &two_len, 1, &added, &err), MS_EINPUT);
    unit_assert_contains(err.message, "one line");
    free(big);
    free(good);
    unit_rmtree(dir);
}

static void test_missing_and_default_paths(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX], want[PATH_MAX];
    ms_error err;
    ms_claims *c = NULL;
    (void)state;
    unit_tmpdir(dir);
    unit_path(path, dir, "none.jsonl");
    assert_int_equal(ms_claims_read(path, 0, &c, &err), MS_EINPUT);
    unit_assert_contains(err.message, "none.jsonl");
    assert_int_equal(ms_claims_read(path, 1, &c, &err), 0);
    assert_int_equal(c->n, 0);
    ms_claims_free(c);
    assert_int_equal(ms_claims_parse((const uint8_t *)"", 0, "empty", &c, &err), 0);
    assert_int_equal(c->n, 0);
    ms_claims_free(c);

    char *p = ms_claims_default_path(dir, &err);
    assert_string_equal(p, unit_path(want, dir, "claims.jsonl"));
    free(p);
    char slash[PATH_MAX + 8];
    snprintf(slash, sizeof slash, "%s//", dir);
    p = ms_claims_default_path(slash, &err);
    assert_string_equal(p, want);
    free(p);
    unit_write_str(dir, "model.bin", "w");
    p = ms_claims_default_path(unit_path(path, dir, "model.bin"), &err);
    assert_string_equal(p, unit_path(want, dir, "model.bin.claims.jsonl"));
    free(p);
    assert_null(ms_claims_default_path(unit_path(path, dir, "absent"), &err));
    assert_int_equal(err.code, MS_EINPUT);
    unit_assert_contains(err.message, "absent");
    unit_rmtree(dir);
}

#define WRITERS 8
#define PER_WRITER 6

/* Eight processes append distinct lines, one call per line, all at once: every line ends up in
 * the file exactly once, and the file stays valid. */
static void test_concurrent_appenders(void **state)
{
    char dir[PATH_MAX], path[PATH_MAX];
    char *lines[WRITERS][PER_WRITER];
    ms_error err;
    (void)state;
    unit_tmpdir(dir);
    unit_path(path, dir, "claims.jsonl");
    char *seed = make_line(0, "seed", 0);
    assert_int_equal(append1(path, seed, NULL, &err), 0);
    for (int w = 0; w < WRITERS; w++)
        for (int i = 0; i < PER_WRITER; i++)
            lines[w][i] = make_line((uint8_t)w, "concurrent", w * 100 + i);
    int pipefd[2];
    assert_int_equal(pipe(pipefd), 0);
    pid_t pids[WRITERS];
    for (int w = 0; w < WRITERS; w++) {
        pids[w] = fork();
        assert_true(pids[w] >= 0);
        if (pids[w] == 0) {
            char go;
            close(pipefd[1]);
            if (read(pipefd[0], &go, 1) < 0) /* start together */
                _exit(3);
            for (int i = 0; i < PER_WRITER; i++) {
                ms_error e;
                if (append1(path, lines[w][i], NULL, &e) != 0)
                    _exit(1);
            }
            _exit(0);
        }
    }
    close(pipefd[0]);
    close(pipefd[1]); /* EOF releases every writer */
    for (int w = 0; w < WRITERS; w++) {
        int status = 0;
        assert_int_equal(waitpid(pids[w], &status, 0), pids[w]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    ms_claims *c = NULL;
    assert_int_equal(ms_claims_read(path, 0, &c, &err), 0);
    assert_int_equal(c->n, 1 + WRITERS * PER_WRITER);
    assert_string_equal(c->items[0].text, seed);
    for (int w = 0; w < WRITERS; w++) {
        for (int i = 0; i < PER_WRITER; i++) {
            int found = 0;
            for (size_t k = 0; k < c->n; k++)
                found += strcmp(c->items[k].text, lines[w][i]) == 0;
            assert_int_equal(found, 1);
            free(lines[w][i]);
        }
    }
    ms_claims_free(c);
    free(seed);
    /* No temporary file is left behind. */
    unit_path(path, dir, "x");
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    unit_rmtree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_read_find),
        cmocka_unit_test(test_dedupe),
        cmocka_unit_test(test_missing_final_newline),
        cmocka_unit_test(test_malformed_lines),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_missing_and_default_paths),
        cmocka_unit_test(test_concurrent_appenders),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
