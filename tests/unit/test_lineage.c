/* Unit tests for lineage: .modelseal.json parsing (and its refusals, naming the field), glob
 * matching, Git LFS pointer recognition, digest parsing, and recording a note for commits built
 * with libgit2 in a throwaway repository (digests computed independently here). */
#include "config.h"

#include <git2.h>

#include "modelseal/hash.h"
#include "modelseal/lineage.h"
#include "unit.h"

#define CFG(s) ((const uint8_t *)(s)), (sizeof(s) - 1)

/* ---- configuration -----------------------------------------------------------------------------
 */

static void test_config_good(void **state)
{
    (void)state;
    ms_lineage_config *c = NULL;
    ms_error err;
    assert_int_equal(
        ms_lineage_config_parse(CFG("{\"version\": 1, \"models\": [{\"path\": \"./models/clf/\", "
                                    "\"key\": \"keys/release.pub\"}, {\"path\": \"m.bin\"}], "
                                    "\"datasets\": [{\"path\": \"data/*.dsm.jsonl.zst\", "
                                    "\"key\": null}]}"),
                                &c, &err),
        0);
    assert_int_equal(c->n_models, 2);
    assert_string_equal(c->models[0].path, "models/clf");
    assert_string_equal(c->models[0].key, "keys/release.pub");
    assert_null(c->models[1].key);
    assert_int_equal(c->n_datasets, 1);
    assert_string_equal(c->datasets[0].path, "data/*.dsm.jsonl.zst");
    assert_null(c->datasets[0].key);
    ms_lineage_config_free(c);
    assert_int_equal(ms_lineage_config_parse(CFG("{\"version\": 1}"), &c, &err), 0);
    assert_int_equal(c->n_models + c->n_datasets, 0);
    ms_lineage_config_free(c);
    ms_lineage_config_free(NULL);
}

static void expect_bad(const char *text, const char *needle)
{
    ms_lineage_config *c = (ms_lineage_config *)1;
    ms_error err;
    ms_error_clear(&err);
    int rc = ms_lineage_config_parse((const uint8_t *)text, strlen(text), &c, &err);
    if (rc != MS_EINPUT || c != NULL || !strstr(err.message, needle))
        fail_msg("%s: rc %d, message '%s', wanted '%s'", text, rc, err.message, needle);
}

static void test_config_bad(void **state)
{
    (void)state;
    expect_bad("", ".modelseal.json");
    expect_bad("[]", "not a JSON object");
    expect_bad("{\"version\": 1, \"extra\": true}", ".modelseal.json: extra: unknown field");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a\", \"sig\": \"x\"}]}",
               "models[0].sig: unknown field");
    expect_bad("{\"models\": []}", "version: missing");
    expect_bad("{\"version\": \"1\"}", "version: must be 1");
    expect_bad("{\"version\": 1.5}", "version: must be 1");
    expect_bad("{\"version\": 1, \"models\": {}}", "models: not an array");
    expect_bad("{\"version\": 1, \"models\": [3]}", "models[0]: not an object");
    expect_bad("{\"version\": 1, \"models\": [{}]}", "models[0].path: missing");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": true}]}", "models[0].path: not a string");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a\", \"key\": 1}]}",
               "models[0].key: not a string");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"\"}]}", "empty path");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"./\"}]}", "empty path");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"/abs\"}]}", "absolute path");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a/../../b\"}]}",
               "leaves the repository");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a\\\\b\"}]}",
               "not a plain relative path");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a//b\"}]}", "not a plain relative path");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"m/*\"}]}", "cannot be a glob");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \".git\"}]}", "inside .git");
    expect_bad("{\"version\": 1, \"models\": [{\"path\": \"a\"}, {\"path\": \"a/\"}]}",
               "models[1].path: \"a\" is listed twice");
    expect_bad("{\"version\": 1, \"datasets\": [{\"path\": \"../*.zst\"}]}",
               "datasets[0].path: \"../*.zst\" leaves the repository");
    expect_bad("{\"version\": 1, \"datasets\": [{\"path\": \"d/*/../*.zst\"}]}",
               "leaves the repository");
    expect_bad("{\"version\": 1, \"datasets\": [{\"path\": \"d\", \"key\": \"../k\"}]}",
               "datasets[0].key");
    expect_bad("{\"version\": 1, \"version\": 1}", "duplicate");
}

/* ---- globs
 * --------------------------------------------------------------------------------------- */

static void test_glob(void **state)
{
    (void)state;
    assert_true(ms_lineage_glob_match("data/*.zst", "data/a.zst"));
    assert_true(ms_lineage_glob_match("data/*.dsm.jsonl.zst", "data/imgs.dsm.jsonl.zst"));
    assert_false(ms_lineage_glob_match("data/*.zst", "data/sub/a.zst"));
    assert_false(ms_lineage_glob_match("data/*.zst", "data/a.zst.sig"));
    assert_true(ms_lineage_glob_match("*/x", "a/x"));
    assert_false(ms_lineage_glob_match("*", "a/x"));
    assert_true(ms_lineage_glob_match("d/?.bin", "d/a.bin"));
    assert_false(ms_lineage_glob_match("d/?.bin", "d/ab.bin"));
    assert_true(ms_lineage_glob_match("d/[ab]*", "d/b1"));
    assert_false(ms_lineage_glob_match("d/[!ab]*", "d/b1"));
    assert_true(ms_lineage_glob_match("d/[a-c]", "d/b"));
    assert_true(ms_lineage_glob_match("d/[x", "d/[x"));
    assert_true(ms_lineage_glob_match("**", "ab"));
    assert_true(ms_lineage_glob_match("a*b*c", "aXXbYYc"));
    assert_false(ms_lineage_glob_match("a*b*c", "aXXbYY/c"));
    assert_true(ms_lineage_glob_match("exact/path", "exact/path"));
    assert_false(ms_lineage_glob_match("exact/path", "exact/pat"));
    assert_int_equal(ms_lineage_glob_prefix("data/sets/*.zst"), 9);
    assert_int_equal(ms_lineage_glob_prefix("*.zst"), 0);
    assert_int_equal(ms_lineage_glob_prefix("a/b"), 1);
}

/* ---- LFS pointers -------------------------------------------------------------------------------
 */

#define OID "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"

static int lfs(const char *text, uint8_t oid[32], uint64_t *size)
{
    return ms_lfs_pointer_parse((const uint8_t *)text, strlen(text), oid, size);
}

static void test_lfs_pointer(void **state)
{
    (void)state;
    uint8_t oid[32], want[32];
    uint64_t size = 0;
    unit_unhex(OID, want, sizeof want);
    assert_int_equal(lfs("version https://git-lfs.github.com/spec/v1\noid sha256:" OID
                         "\nsize 12345\n",
                         oid, &size),
                     1);
    assert_memory_equal(oid, want, 32);
    assert_int_equal(size, 12345);
    assert_int_equal(
        lfs("version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 0\n", oid, &size),
        1);
    assert_int_equal(size, 0);
    static const char *const bad[] = {
        "",
        "version https://git-lfs.github.com/spec/v1\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 12\n\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 12",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 012\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize -1\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID
        "\nsize 99999999999999999999\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize \n",
        "version https://git-lfs.github.com/spec/v1\r\noid sha256:" OID "\r\nsize 1\r\n",
        "version https://git-lfs.github.com/spec/v2\noid sha256:" OID "\nsize 1\n",
        "version https://hawser.github.com/spec/v1\noid sha256:" OID "\nsize 1\n",
        "version https://git-lfs.github.com/spec/v1\noid "
        "sha256:4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393\nsize 1\n",
        "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a\nsize 1\n",
        "version https://git-lfs.github.com/spec/v1\noid sha512:" OID "\nsize 1\n",
        "version https://git-lfs.github.com/spec/v1\nsize 1\noid sha256:" OID "\n",
        "version https://git-lfs.github.com/spec/v1\next-0-foo sha256:" OID "\noid sha256:" OID
        "\nsize 1\n",
        "oid sha256:" OID "\nsize 1\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lfs(bad[i], oid, &size) != 0)
            fail_msg("accepted as a pointer: bad[%zu]", i);
    /* Bounded: a long buffer that starts like a pointer is not one. */
    char big[2048];
    memset(big, 'x', sizeof big);
    memcpy(big, "version https://git-lfs.github.com/spec/v1\n", 43);
    assert_int_equal(ms_lfs_pointer_parse((const uint8_t *)big, sizeof big, oid, &size), 0);
    assert_int_equal(ms_lfs_pointer_parse(NULL, 0, oid, &size), 0);
}

static void test_parse_digest(void **state)
{
    (void)state;
    uint8_t d[32], want[32];
    ms_error err;
    unit_unhex(OID, want, sizeof want);
    assert_int_equal(ms_lineage_parse_digest("sha256:" OID, d, &err), 0);
    assert_memory_equal(d, want, 32);
    assert_int_equal(
        ms_lineage_parse_digest("4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393",
                                d, &err),
        0);
    assert_memory_equal(d, want, 32);
    assert_int_equal(ms_lineage_parse_digest("sha256:abc", d, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "not a SHA-256 digest"));
    assert_int_equal(ms_lineage_parse_digest("sha512:" OID, d, &err), MS_EINPUT);
    assert_int_equal(ms_lineage_parse_digest("sha256:" OID "00", d, &err), MS_EINPUT);
    assert_int_equal(
        ms_lineage_parse_digest(
            "sha256:zd7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393", d, &err),
        MS_EINPUT);
}

/* ---- recording, on a repository built with libgit2
 * ------------------------------------------------ */

typedef struct repo_fixture {
    char dir[PATH_MAX];
    git_repository *repo;
} repo_fixture;

static void blob_into(git_treebuilder *tb, repo_fixture *f, const char *name, const char *data)
{
    git_oid oid;
    assert_int_equal(git_blob_create_from_buffer(&oid, f->repo, data, strlen(data)), 0);
    assert_int_equal(git_treebuilder_insert(NULL, tb, name, &oid, GIT_FILEMODE_BLOB), 0);
}

/* Commit a tree: .modelseal.json, m/{a.bin,b.bin} (b.bin an LFS pointer), and `extra` at the
 * root (a non-UTF-8 name). Returns the commit id. */
static void make_commit(repo_fixture *f, const char *config, const char *a_content,
                        const char *pointer, git_oid *out, const git_oid *parent)
{
    git_treebuilder *root = NULL, *m = NULL;
    git_oid mtree, rtree;
    git_tree *tree = NULL;
    git_signature *sig = NULL;
    git_commit *pc = NULL;
    assert_int_equal(git_treebuilder_new(&m, f->repo, NULL), 0);
    blob_into(m, f, "a.bin", a_content);
    blob_into(m, f, "b.bin", pointer);
    assert_int_equal(git_treebuilder_write(&mtree, m), 0);
    assert_int_equal(git_treebuilder_new(&root, f->repo, NULL), 0);
    blob_into(root, f, ".modelseal.json", config);
    blob_into(root, f, "latin1-\xe9.txt", "not UTF-8");
    assert_int_equal(git_treebuilder_insert(NULL, root, "m", &mtree, GIT_FILEMODE_TREE), 0);
    assert_int_equal(git_treebuilder_write(&rtree, root), 0);
    assert_int_equal(git_tree_lookup(&tree, f->repo, &rtree), 0);
    assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
    if (parent)
        assert_int_equal(git_commit_lookup(&pc, f->repo, parent), 0);
    const git_commit *parents[1] = {pc};
    assert_int_equal(git_commit_create(out, f->repo, "HEAD", sig, sig, NULL, "c\n", tree,
                                       parent ? 1 : 0, parents),
                     0);
    git_commit_free(pc);
    git_signature_free(sig);
    git_tree_free(tree);
    git_treebuilder_free(m);
    git_treebuilder_free(root);
}

static int setup_repo(void **state)
{
    repo_fixture *f = calloc(1, sizeof *f);
    unit_tmpdir(f->dir);
    git_libgit2_init();
    if (git_repository_init(&f->repo, f->dir, 0) != 0)
        return -1;
    *state = f;
    return 0;
}

static int teardown_repo(void **state)
{
    repo_fixture *f = *state;
    git_repository_free(f->repo);
    git_libgit2_shutdown();
    unit_rmtree(f->dir);
    free(f);
    return 0;
}

/* The unsigned model's root, computed here: SHA-256 over the files' SHA-256 digests (an LFS
 * pointer counts as its oid). */
static void expected_root(const char *a_content, const uint8_t lfs_oid[32], char out[72])
{
    uint8_t cat[64], root[32];
    ms_sha256(a_content, strlen(a_content), cat);
    memcpy(cat + 32, lfs_oid, 32);
    ms_sha256(cat, sizeof cat, root);
    strcpy(out, "sha256:");
    for (size_t i = 0; i < 32; i++)
        sprintf(out + 7 + 2 * i, "%02x", root[i]);
}

static void test_record(void **state)
{
    repo_fixture *f = *state;
    const char *config = "{\"version\": 1, \"models\": [{\"path\": \"m\"}]}";
    const char *pointer =
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 5\n";
    uint8_t oid_bytes[32];
    char root1[72], root2[72], hex[41];
    git_oid c1, c2;
    ms_buf note = MS_BUF_INIT;
    ms_error err;
    int written = -1;
    unit_unhex(OID, oid_bytes, sizeof oid_bytes);
    make_commit(f, config, "weights v1", pointer, &c1, NULL);
    expected_root("weights v1", oid_bytes, root1);

    ms_lineage_options o = {.repo = f->dir};
    assert_int_equal(t_lineage_record(&o, NULL, 0, &note, &written, &err), 0);
    assert_int_equal(written, 0);
    git_oid_tostr(hex, sizeof hex, &c1);
    char want[1024];
    snprintf(want, sizeof want,
             "{\"version\":1,\"commit\":\"%s\",\"artifacts\":[{\"path\":\"m\",\"kind\":\"model\","
             "\"name\":\"m\",\"digest\":\"%s\",\"previous\":null,\"change\":\"added\","
             "\"signer\":null,\"signature\":\"unsigned\",\"claims\":[],\"datasets\":[]}]}\n",
             hex, root1);
    assert_string_equal((const char *)note.data, want);

    /* Written, then idempotent. */
    assert_int_equal(t_lineage_record(&o, "HEAD", 1, &note, &written, &err), 0);
    assert_int_equal(written, 1);
    assert_int_equal(t_lineage_record(&o, "HEAD", 1, &note, &written, &err), 0);
    assert_int_equal(written, 0);

    /* A second commit changing one file: changed, with the previous digest. */
    make_commit(f, config, "weights v2", pointer, &c2, &c1);
    expected_root("weights v2", oid_bytes, root2);
    assert_int_equal(t_lineage_record(&o, NULL, 1, &note, &written, &err), 0);
    git_oid_tostr(hex, sizeof hex, &c2);
    snprintf(want, sizeof want,
             "{\"version\":1,\"commit\":\"%s\",\"artifacts\":[{\"path\":\"m\",\"kind\":\"model\","
             "\"name\":\"m\",\"digest\":\"%s\",\"previous\":\"%s\",\"change\":\"changed\","
             "\"signer\":null,\"signature\":\"unsigned\",\"claims\":[],\"datasets\":[]}]}\n",
             hex, root2, root1);
    assert_string_equal((const char *)note.data, want);

    /* check refuses both commits (unsigned). */
    ms_lineage_check_options co = {0};
    const char *range[1] = {"HEAD"};
    size_t checked = 0;
    co.ranges = range;
    co.n_ranges = 1;
    assert_int_equal(ms_lineage_check(&o, &co, &checked, &err), MS_EVERIFY);
    assert_int_equal(checked, 2);

    /* A malformed configuration is MS_EINPUT naming the field and the commit. */
    git_oid c3;
    make_commit(f, "{\"version\": 1, \"model\": []}", "x", pointer, &c3, &c2);
    assert_int_equal(t_lineage_record(&o, NULL, 1, &note, &written, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "model: unknown field"));
    assert_non_null(strstr(err.message, "commit "));
    msx_buf_free(&note);

    /* Not a repository. */
    ms_lineage_options none = {.repo = "/"};
    assert_int_equal(t_lineage_record(&none, NULL, 0, NULL, NULL, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "not in a git repository"));
}

/* What the log callback saw, copied. */
typedef struct log_seen {
    size_t n;
    char source[2][8];
    size_t n_datasets[2];
    char json[2][256];
    char name0[2][16], digest0[2][80];
    int name1_null, digest1_null;
} log_seen;

static int log_cb(void *ctx, const ms_lineage_log_entry *e, ms_error *err)
{
    log_seen *s = ctx;
    (void)err;
    assert_true(s->n < 2);
    snprintf(s->source[s->n], sizeof s->source[0], "%s", e->source);
    s->n_datasets[s->n] = e->n_datasets;
    snprintf(s->json[s->n], sizeof s->json[0], "%s", e->datasets_json);
    if (e->n_datasets > 0) {
        snprintf(s->name0[s->n], sizeof s->name0[0], "%s", e->datasets[0].name);
        snprintf(s->digest0[s->n], sizeof s->digest0[0], "%s", e->datasets[0].digest);
    }
    if (e->n_datasets > 1) {
        s->name1_null = e->datasets[1].name == NULL;
        s->digest1_null = e->datasets[1].digest == NULL;
    }
    s->n++;
    return 0;
}

/* lineage log hands out a note's datasets as typed references and as the array recorded
 * (other keys kept); a commit read from its tree has none ("[]"). */
static void test_log_datasets(void **state)
{
    repo_fixture *f = *state;
    const char *config = "{\"version\": 1, \"models\": [{\"path\": \"m\"}]}";
    const char *pointer =
        "version https://git-lfs.github.com/spec/v1\noid sha256:" OID "\nsize 5\n";
    const char *datasets = "[{\"name\":\"pets\",\"digest\":\"sha256:" OID "\","
                           "\"extra\":{\"k\":[1,2]}},{\"name\":null,\"digest\":null}]";
    git_oid c1, c2, noid;
    ms_buf note = MS_BUF_INIT, edited = MS_BUF_INIT;
    ms_error err;
    make_commit(f, config, "weights v1", pointer, &c1, NULL);
    ms_lineage_options o = {.repo = f->dir};
    assert_int_equal(t_lineage_record(&o, NULL, 0, &note, NULL, &err), 0);
    const char *text = (const char *)note.data, *at = strstr(text, "\"datasets\":[]");
    assert_non_null(at);
    msx_buf_printf(&edited, "%.*s\"datasets\":%s%s", (int)(at - text), text, datasets,
                   at + strlen("\"datasets\":[]"));
    git_signature *sig = NULL;
    assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
    assert_int_equal(git_note_create(&noid, f->repo, MS_LINEAGE_NOTES_REF, sig, sig, &c1,
                                     (const char *)edited.data, 0),
                     0);
    git_signature_free(sig);
    make_commit(f, config, "weights v2", pointer, &c2, &c1);

    log_seen seen;
    memset(&seen, 0, sizeof seen);
    assert_int_equal(ms_lineage_log(&o, "m", log_cb, &seen, &err), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.source[0], "tree");
    assert_int_equal(seen.n_datasets[0], 0);
    assert_string_equal(seen.json[0], "[]");
    assert_string_equal(seen.source[1], "note");
    assert_int_equal(seen.n_datasets[1], 2);
    assert_string_equal(seen.json[1], datasets);
    assert_string_equal(seen.name0[1], "pets");
    assert_string_equal(seen.digest0[1], "sha256:" OID);
    assert_true(seen.name1_null);
    assert_true(seen.digest1_null);
    msx_buf_free(&note);
    msx_buf_free(&edited);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_good),
        cmocka_unit_test(test_config_bad),
        cmocka_unit_test(test_glob),
        cmocka_unit_test(test_lfs_pointer),
        cmocka_unit_test(test_parse_digest),
        cmocka_unit_test_setup_teardown(test_record, setup_repo, teardown_repo),
        cmocka_unit_test_setup_teardown(test_log_datasets, setup_repo, teardown_repo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
