/* Unit tests for the OMS manifest (include/modelseal/manifest.h): the reference models of the
 * OMS project hashed to their golden resource and root digests (read from the vectors at run
 * time), skipping rules, comparison, and hostile-input checks on the predicate's JSON. */
#include "config.h"

#include "unit.h"

#include "format/manifest_json.h"
#include "modelseal/error.h"
#include "modelseal/manifest.h"

#define GOLDENS "oms/model-transparency-goldens"

static char models[PATH_MAX]; /* the reference models, built once */

typedef struct fixture {
    char dir[PATH_MAX];
    ms_error err;
    ms_manifest *a, *b;
    ms_manifest_diff diff;
} fixture;

/* ---- the OMS reference models ---------------------------------------------------------------- */

static void make_sample_model(const char *dir)
{
    char rel[64], text[64];
    unit_mkdirs(dir, ".");
    for (int i = 0; i < 2; i++) {
        for (int j = 0; j < 3; j++) {
            snprintf(rel, sizeof rel, "d%d/f%d%d", i, i, j);
            snprintf(text, sizeof text, "This is file f%d%d in d%d.", i, j, i);
            unit_write_str(dir, rel, text);
        }
    }
    for (int i = 0; i < 4; i++) {
        snprintf(rel, sizeof rel, "f%d", i);
        snprintf(text, sizeof text, "This is file f%d in root.", i);
        unit_write_str(dir, rel, text);
    }
}

static int group_setup(void **state)
{
    char path[PATH_MAX], rel[64], text[64];
    (void)state;
    unit_tmpdir(models);
    make_sample_model(unit_path(path, models, "sample_model"));
    for (int i = 0; i < 4; i++) {
        snprintf(rel, sizeof rel, "deep_model/d0/d1/d2/d3/d4/f%d", i);
        snprintf(text, sizeof text, "This is file f%d.", i);
        unit_write_str(models, rel, text);
    }
    unit_write_str(models, "file_model", "This is a simple model");
    unit_mkdirs(models, "empty_folder_model");
    unit_write_str(models, "empty_file_model", "");
    unit_write_str(models, "empty_file_inside_model/empty_file", "");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    unit_rmtree(models);
    return 0;
}

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
    ms_manifest_free(f->a);
    ms_manifest_free(f->b);
    ms_manifest_diff_clear(&f->diff);
    unit_rmtree(f->dir);
    free(f);
    return 0;
}

static ms_manifest *build(const char *path, const ms_serialization *ser,
                          const ms_manifest_options *opts)
{
    ms_manifest *m = NULL;
    ms_error err;
    ms_error_clear(&err);
    int rc = ms_manifest_build(path, ser, opts, &m, &err);
    if (rc != 0)
        fail_msg("ms_manifest_build %s: %d %s", path, rc, err.message);
    assert_non_null(m);
    return m;
}

static void ser_files(ms_serialization *ser)
{
    ms_serialization_init(ser);
}

static void ser_shards(ms_serialization *ser, uint64_t shard)
{
    ms_serialization_init(ser);
    ser->method = MS_METHOD_SHARDS;
    ser->shard_size = shard;
}

/* Resource names of `m`, joined by spaces (for readable assertions). Caller frees. */
static char *names_of(const ms_manifest *m)
{
    size_t len = 1;
    for (size_t i = 0; i < m->n_resources; i++)
        len += strlen(m->resources[i].name) + 1;
    char *s = calloc(1, len);
    assert_non_null(s);
    for (size_t i = 0; i < m->n_resources; i++) {
        if (i)
            strcat(s, " ");
        strcat(s, m->resources[i].name);
    }
    return s;
}

static void assert_names(const ms_manifest *m, const char *expect)
{
    char *got = names_of(m);
    assert_string_equal(got, expect);
    free(got);
}

static void assert_same_manifest(const ms_manifest *x, const ms_manifest *y)
{
    assert_int_equal(x->n_resources, y->n_resources);
    for (size_t i = 0; i < x->n_resources; i++) {
        assert_string_equal(x->resources[i].name, y->resources[i].name);
        assert_int_equal(x->resources[i].digest_len, y->resources[i].digest_len);
        assert_memory_equal(x->resources[i].digest, y->resources[i].digest,
                            x->resources[i].digest_len);
    }
    assert_memory_equal(x->root_digest, y->root_digest, MS_SHA256_SIZE);
}

/* ---- goldens ------------------------------------------------------------------------------- */

static char *read_golden(const char *rel)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%s", unit_vectors_dir(), GOLDENS, rel);
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open golden file %s: %s (set MS_VECTORS)", path, strerror(errno));
    char *text = calloc(1, 1 << 20);
    assert_non_null(text);
    size_t n = fread(text, 1, (1 << 20) - 1, fp);
    fclose(fp);
    text[n] = '\0';
    return text;
}

/* Check `m` against a `name:hexdigest` golden file (one resource per line, in order). */
static void check_lines_golden(const ms_manifest *m, const char *rel)
{
    char *text = read_golden(rel);
    size_t i = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *colon = strrchr(line, ':');
        assert_non_null(colon);
        *colon = '\0';
        if (i >= m->n_resources)
            fail_msg("%s: golden has more resources than the %zu built", rel, m->n_resources);
        if (strcmp(m->resources[i].name, line) != 0)
            fail_msg("%s: resource %zu is %s, golden says %s", rel, i, m->resources[i].name, line);
        unit_assert_hex(m->resources[i].digest, m->resources[i].digest_len, colon + 1);
        i++;
    }
    if (i != m->n_resources)
        fail_msg("%s: golden has %zu resources, built %zu", rel, i, m->n_resources);
    free(text);
}

static const struct {
    const char *golden; /* under _serialization/testdata/<dir>/TestSerializer/ */
    const char *model;
} serializer_goldens[] = {
    {"sample_model_folder", "sample_model"},
    {"deep_model_folder", "deep_model"},
    {"sample_model_file", "file_model"},
    {"empty_model_folder", "empty_folder_model"},
    {"empty_model_file", "empty_file_model"},
    {"model_folder_with_empty_file", "empty_file_inside_model"},
};

static void test_golden_files(void **state)
{
    char path[PATH_MAX], rel[256];
    (void)state;
    ms_serialization ser;
    ser_files(&ser);
    for (size_t i = 0; i < sizeof serializer_goldens / sizeof serializer_goldens[0]; i++) {
        ms_manifest *m = build(unit_path(path, models, serializer_goldens[i].model), &ser, NULL);
        snprintf(rel, sizeof rel, "_serialization/testdata/file/TestSerializer/%s",
                 serializer_goldens[i].golden);
        check_lines_golden(m, rel);
        assert_string_equal(m->model_name, serializer_goldens[i].model);
        ms_manifest_free(m);
    }
}

static void test_golden_shards(void **state)
{
    char path[PATH_MAX], rel[256];
    (void)state;
    for (int small = 0; small < 2; small++) {
        ms_serialization ser;
        ser_shards(&ser, small ? 8 : MS_DEFAULT_SHARD_SIZE);
        for (size_t i = 0; i < sizeof serializer_goldens / sizeof serializer_goldens[0]; i++) {
            ms_manifest *m =
                build(unit_path(path, models, serializer_goldens[i].model), &ser, NULL);
            snprintf(rel, sizeof rel, "_serialization/testdata/file_shard/TestSerializer/%s%s",
                     serializer_goldens[i].golden, small ? "_small_shards" : "");
            check_lines_golden(m, rel);
            ms_manifest_free(m);
        }
    }
}

static const char *const payload_goldens[] = {
    "sample_model_folder",
    "sample_model_folder_shard",
    "sample_model_folder_small_shards",
    "deep_model_folder",
    "deep_model_folder_shard",
    "deep_model_folder_small_shards",
    "sample_model_file",
    "sample_model_file_shard",
    "sample_model_file_small_shards",
    "empty_model_folder",
    "empty_model_folder_shard",
    "empty_model_folder_small_shards",
    "empty_model_file",
    "empty_model_file_shard",
    "empty_model_file_small_shards",
    "model_folder_with_empty_file",
    "model_folder_with_empty_file_shard",
    "model_folder_with_empty_file_small_shards",
};

/* Each statement names the model (subject name) and its root digest, and records the
 * serialization (shard_size as a float such as 8.0) and the resources. */
static void test_golden_payloads(void **state)
{
    char rel[256], path[PATH_MAX];
    (void)state;
    for (size_t i = 0; i < sizeof payload_goldens / sizeof payload_goldens[0]; i++) {
        snprintf(rel, sizeof rel, "_signing/testdata/signing/TestPayload/%s", payload_goldens[i]);
        char *text = read_golden(rel);
        cJSON *st = cJSON_Parse(text);
        free(text);
        assert_non_null(st);
        const cJSON *subject = cJSON_GetArrayItem(cJSON_GetObjectItem(st, "subject"), 0);
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(subject, "name"));
        const char *root = cJSON_GetStringValue(
            cJSON_GetObjectItem(cJSON_GetObjectItem(subject, "digest"), "sha256"));
        const cJSON *pred = cJSON_GetObjectItem(st, "predicate");
        assert_non_null(name);
        assert_non_null(root);

        ms_error err;
        ms_error_clear(&err);
        ms_manifest *signed_m = ms_manifest_new();
        assert_non_null(signed_m);
        if (serialization_from_json(cJSON_GetObjectItem(pred, "serialization"),
                                    &signed_m->serialization, &err) != 0 ||
            resources_from_json(cJSON_GetObjectItem(pred, "resources"), signed_m, &err) != 0)
            fail_msg("%s: %s", rel, err.message);
        unit_assert_hex(signed_m->root_digest, 32, root);

        ms_manifest *m = build(unit_path(path, models, name), &signed_m->serialization, NULL);
        assert_string_equal(m->model_name, name);
        unit_assert_hex(m->root_digest, 32, root);
        assert_same_manifest(m, signed_m);
        ms_manifest_diff d;
        assert_int_equal(ms_manifest_compare(signed_m, m, &d, &err), 0);
        assert_int_equal(d.n_missing + d.n_extra + d.n_changed, 0);
        ms_manifest_diff_clear(&d);

        /* Our JSON for the same manifest parses back to the same thing. */
        cJSON *ser_json = serialization_to_json(&m->serialization);
        cJSON *res_json = resources_to_json(m);
        ms_manifest *back = ms_manifest_new();
        assert_int_equal(serialization_from_json(ser_json, &back->serialization, &err), 0);
        assert_int_equal(resources_from_json(res_json, back, &err), 0);
        assert_same_manifest(back, m);
        cJSON *expect_res = cJSON_GetObjectItem(pred, "resources");
        assert_int_equal(cJSON_GetArraySize(res_json), cJSON_GetArraySize(expect_res));
        for (int k = 0; k < cJSON_GetArraySize(res_json); k++) {
            const cJSON *x = cJSON_GetArrayItem(res_json, k),
                        *y = cJSON_GetArrayItem(expect_res, k);
            assert_string_equal(cJSON_GetObjectItem(x, "name")->valuestring,
                                cJSON_GetObjectItem(y, "name")->valuestring);
            assert_string_equal(cJSON_GetObjectItem(x, "algorithm")->valuestring,
                                cJSON_GetObjectItem(y, "algorithm")->valuestring);
            assert_string_equal(cJSON_GetObjectItem(x, "digest")->valuestring,
                                cJSON_GetObjectItem(y, "digest")->valuestring);
        }
        cJSON_Delete(ser_json);
        cJSON_Delete(res_json);
        ms_manifest_free(back);
        ms_manifest_free(m);
        ms_manifest_free(signed_m);
        cJSON_Delete(st);
    }
}

/* ---- building ------------------------------------------------------------------------------ */

static void test_empty_models(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    ms_serialization ser;
    ser_files(&ser);
    f->a = build(unit_path(path, models, "empty_folder_model"), &ser, NULL);
    assert_int_equal(f->a->n_resources, 0);
    unit_assert_hex(f->a->root_digest, 32,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    f->b = build(unit_path(path, models, "empty_file_model"), &ser, NULL);
    assert_names(f->b, ".");
    unit_assert_hex(f->b->resources[0].digest, 32,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_blake2b(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    ms_serialization ser;
    ser_files(&ser);
    ser.algorithm = MS_HASH_BLAKE2B;
    f->a = build(unit_path(path, models, "file_model"), &ser, NULL);
    assert_names(f->a, ".");
    assert_int_equal(f->a->resources[0].digest_len, 64);
    /* The root is SHA-256 over the 64-byte resource digest, whatever the hash type. */
    uint8_t root[32];
    assert_int_equal(ms_sha256(f->a->resources[0].digest, 64, root), 0);
    assert_memory_equal(f->a->root_digest, root, 32);
    char alg[64];
    ms_resource_algorithm(&ser, alg, sizeof alg);
    assert_string_equal(alg, "blake2b");
    ser.method = MS_METHOD_SHARDS;
    ser.shard_size = 1024;
    ms_resource_algorithm(&ser, alg, sizeof alg);
    assert_string_equal(alg, "blake2b-sharded-1024");
}

static void test_signature_files_skipped(void **state)
{
    fixture *f = *state;
    char sig[PATH_MAX];
    unit_write_str(f->dir, "w", "weights");
    unit_write_str(f->dir, "model.sig", "{}");
    unit_write_str(f->dir, "claims.jsonl", "{}");
    unit_write_str(f->dir, "sub/model.sig", "nested: kept");
    unit_write_str(f->dir, "sub/claims.jsonl", "nested: kept");
    unit_write_str(f->dir, "sigs/other.sig", "{}");
    unit_write_str(f->dir, ".git/HEAD", "ref");
    ms_serialization ser;
    ser_files(&ser);
    f->a = build(f->dir, &ser, NULL);
    assert_names(f->a, "sigs/other.sig sub/claims.jsonl sub/model.sig w");

    ms_manifest_options opts;
    memset(&opts, 0, sizeof opts);
    opts.signature_path = unit_path(sig, f->dir, "sigs/other.sig");
    f->b = build(f->dir, &ser, &opts);
    assert_names(f->b, "sub/claims.jsonl sub/model.sig w");
    ms_manifest_free(f->b);

    /* no_ignore_git_paths hashes .git too; model.sig stays skipped. */
    memset(&opts, 0, sizeof opts);
    opts.no_ignore_git_paths = 1;
    f->b = build(f->dir, &ser, &opts);
    assert_names(f->b, ".git/HEAD sigs/other.sig sub/claims.jsonl sub/model.sig w");
}

static void test_ignore_paths(void **state)
{
    fixture *f = *state;
    make_sample_model(f->dir);
    ms_serialization ser;
    ser_files(&ser);
    assert_int_equal(ms_serialization_add_ignore(&ser, "d0"), 0);
    assert_int_equal(ms_serialization_add_ignore(&ser, "f2"), 0);
    assert_int_equal(ms_serialization_add_ignore(&ser, "d0"), 0); /* duplicate: kept once */
    assert_int_equal(ser.n_ignore_paths, 2);
    assert_int_equal(ser.has_ignore_paths, 1);
    f->a = build(f->dir, &ser, NULL);
    assert_names(f->a, "d1/f10 d1/f11 d1/f12 f0 f1 f3");
    /* The manifest records the serialization it was built with. */
    assert_int_equal(f->a->serialization.n_ignore_paths, 2);
    assert_string_equal(f->a->serialization.ignore_paths[0], "d0");
    ms_serialization_clear(&ser);
}

static int only_d1(void *ctx, const char *path)
{
    int *calls = ctx;
    (*calls)++;
    return strncmp(path, "d1/", 3) == 0;
}

static void test_include_filter(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    int calls = 0;
    ms_serialization ser;
    ser_files(&ser);
    ms_manifest_options opts;
    memset(&opts, 0, sizeof opts);
    opts.include = only_d1;
    opts.include_ctx = &calls;
    f->a = build(unit_path(path, models, "sample_model"), &ser, &opts);
    assert_int_equal(calls, 10);
    assert_names(f->a, "d1/f10 d1/f11 d1/f12");
    /* The digests are those of the full model's entries. */
    f->b = build(path, &ser, NULL);
    for (size_t i = 0; i < 3; i++)
        assert_memory_equal(f->a->resources[i].digest, f->b->resources[3 + i].digest, 32);
    uint8_t root[32];
    assert_int_equal(ms_manifest_root(f->a->resources, 3, root), 0);
    assert_memory_equal(root, f->a->root_digest, 32);
}

static void test_threads_identical(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    for (int shards = 0; shards < 2; shards++) {
        ms_serialization ser;
        if (shards)
            ser_shards(&ser, 5);
        else
            ser_files(&ser);
        ms_manifest_options o1, o2;
        memset(&o1, 0, sizeof o1);
        memset(&o2, 0, sizeof o2);
        o1.threads = 1;
        o2.threads = 2;
        o2.buffer_size = 3;
        ms_manifest *x = build(unit_path(path, models, "sample_model"), &ser, &o1);
        ms_manifest *y = build(path, &ser, &o2);
        assert_same_manifest(x, y);
        ms_manifest_free(x);
        ms_manifest_free(y);
    }
    (void)f;
}

static void test_build_refusals(void **state)
{
    fixture *f = *state;
    char path[PATH_MAX];
    ms_serialization ser;
    ser_shards(&ser, 0);
    unit_write_str(f->dir, "w", "x");
    assert_int_equal(ms_manifest_build(f->dir, &ser, NULL, &f->a, &f->err), MS_EINPUT);
    assert_null(f->a);
    unit_assert_contains(f->err.message, "shard size");

    ser_files(&ser);
    ms_error_clear(&f->err);
    assert_int_equal(
        ms_manifest_build(unit_path(path, f->dir, "missing"), &ser, NULL, &f->a, &f->err),
        MS_EINPUT);
    assert_null(f->a);
    unit_assert_contains(f->err.message, "missing");

    /* A symlink in the model without allow_symlinks. */
    assert_int_equal(symlink("w", unit_path(path, f->dir, "link")), 0);
    ms_error_clear(&f->err);
    assert_int_equal(ms_manifest_build(f->dir, &ser, NULL, &f->a, &f->err), MS_EINPUT);
    unit_assert_contains(f->err.message, "link");
    ser.allow_symlinks = 1;
    f->a = build(f->dir, &ser, NULL);
    assert_names(f->a, "link w");
    assert_memory_equal(f->a->resources[0].digest, f->a->resources[1].digest, 32);
}

/* ---- comparing ----------------------------------------------------------------------------- */

static void assert_list(char **list, size_t n, const char *expect)
{
    char joined[1024] = "";
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(joined, " ");
        strcat(joined, list[i]);
    }
    assert_string_equal(joined, expect);
}

static void compare_after_changes(fixture *f, const ms_serialization *ser)
{
    char path[PATH_MAX];
    make_sample_model(f->dir);
    f->a = build(f->dir, ser, NULL);

    /* Unchanged: identical. */
    ms_manifest *same = build(f->dir, ser, NULL);
    assert_int_equal(ms_manifest_compare(f->a, same, &f->diff, &f->err), 0);
    assert_int_equal(f->diff.n_missing + f->diff.n_extra + f->diff.n_changed, 0);
    ms_manifest_diff_clear(&f->diff);
    ms_manifest_free(same);

    assert_int_equal(unlink(unit_path(path, f->dir, "f0")), 0);     /* missing */
    assert_int_equal(unlink(unit_path(path, f->dir, "d1/f11")), 0); /* missing */
    unit_write_str(f->dir, "new", "an extra file");                 /* extra */
    unit_write_str(f->dir, "d0/f01", "This is file f01 in d0!");    /* same size, last shard */
    unit_write_str(f->dir, "f1", "This is file f1 in root");        /* one byte shorter */
    f->b = build(f->dir, ser, NULL);
    assert_int_equal(ms_manifest_compare(f->a, f->b, &f->diff, &f->err), MS_EVERIFY);
    assert_list(f->diff.missing, f->diff.n_missing, "d1/f11 f0");
    assert_list(f->diff.extra, f->diff.n_extra, "new");
    assert_list(f->diff.changed, f->diff.n_changed, "d0/f01 f1");

    /* The other way round, missing and extra swap. */
    ms_manifest_diff_clear(&f->diff);
    assert_int_equal(ms_manifest_compare(f->b, f->a, &f->diff, &f->err), MS_EVERIFY);
    assert_list(f->diff.missing, f->diff.n_missing, "new");
    assert_list(f->diff.extra, f->diff.n_extra, "d1/f11 f0");
    assert_list(f->diff.changed, f->diff.n_changed, "d0/f01 f1");
}

static void test_compare_files(void **state)
{
    ms_serialization ser;
    ser_files(&ser);
    compare_after_changes(*state, &ser);
}

static void test_compare_shards(void **state)
{
    ms_serialization ser;
    ser_shards(&ser, 8);
    compare_after_changes(*state, &ser);
}

static void test_compare_shard_sets(void **state)
{
    fixture *f = *state;
    ms_serialization ser;
    ser_shards(&ser, 8);
    unit_write_str(f->dir, "a", "0123456789abcdef");    /* 2 shards */
    unit_write_str(f->dir, "b", "0123456789abcdefXYZ"); /* 3 shards */
    unit_write_str(f->dir, "c:0:8", "a file named like a shard");
    f->a = build(f->dir, &ser, NULL);
    assert_names(f->a,
                 "a:0:8 a:8:16 b:0:8 b:8:16 b:16:19 c:0:8:0:8 c:0:8:8:16 c:0:8:16:24 c:0:8:24:25");
    unit_write_str(f->dir, "a", "0123456789abcdef+"); /* a third shard appears */
    unit_write_str(f->dir, "b", "0123456789abcdef");  /* the third shard goes, others equal */
    f->b = build(f->dir, &ser, NULL);
    assert_int_equal(ms_manifest_compare(f->a, f->b, &f->diff, &f->err), MS_EVERIFY);
    assert_int_equal(f->diff.n_missing, 0);
    assert_int_equal(f->diff.n_extra, 0);
    assert_list(f->diff.changed, f->diff.n_changed, "a b");
}

static void test_compare_duplicate(void **state)
{
    fixture *f = *state;
    f->a = ms_manifest_new();
    f->b = ms_manifest_new();
    assert_non_null(f->a);
    f->a->resources = calloc(2, sizeof *f->a->resources);
    f->a->resources[0].name = strdup("dup");
    f->a->resources[1].name = strdup("dup");
    f->a->resources[0].digest_len = f->a->resources[1].digest_len = 32;
    f->a->n_resources = 2;
    assert_int_equal(ms_manifest_compare(f->a, f->b, &f->diff, &f->err), MS_EINPUT);
    unit_assert_contains(f->err.message, "dup");
    unit_assert_contains(f->err.message, "twice");
}

static void test_resource_file(void **state)
{
    (void)state;
    char *s = ms_resource_file("a:b:0:8", MS_METHOD_SHARDS);
    assert_string_equal(s, "a:b");
    free(s);
    s = ms_resource_file("d0/f00:16:23", MS_METHOD_SHARDS);
    assert_string_equal(s, "d0/f00");
    free(s);
    s = ms_resource_file(".:0:8", MS_METHOD_SHARDS);
    assert_string_equal(s, ".");
    free(s);
    s = ms_resource_file("a:b:0:8", MS_METHOD_FILES);
    assert_string_equal(s, "a:b:0:8");
    free(s);
    assert_null(ms_resource_file("f", MS_METHOD_SHARDS));
    assert_null(ms_resource_file("f:8", MS_METHOD_SHARDS));
    assert_null(ms_resource_file(":0:8", MS_METHOD_SHARDS));
}

/* ---- JSON ---------------------------------------------------------------------------------- */

static cJSON *parse(const char *text)
{
    cJSON *j = cJSON_Parse(text);
    if (!j)
        fail_msg("test JSON does not parse: %s", text);
    return j;
}

static void test_serialization_json_round_trip(void **state)
{
    (void)state;
    ms_serialization ser, back;
    ms_error err;
    char *text;

    ser_files(&ser);
    cJSON *j = serialization_to_json(&ser);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text,
                        "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false}");
    free(text);
    assert_int_equal(serialization_from_json(j, &back, &err), 0);
    assert_int_equal(back.method, MS_METHOD_FILES);
    assert_int_equal(back.has_ignore_paths, 0);
    cJSON_Delete(j);

    ser_shards(&ser, 8);
    ser.algorithm = MS_HASH_BLAKE2B;
    ser.allow_symlinks = 1;
    ser.has_ignore_paths = 1; /* recorded, even though empty */
    j = serialization_to_json(&ser);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text,
                        "{\"method\":\"shards\",\"hash_type\":\"blake2b\",\"allow_symlinks\":true,"
                        "\"shard_size\":8,\"ignore_paths\":[]}");
    free(text);
    assert_int_equal(serialization_from_json(j, &back, &err), 0);
    assert_int_equal(back.method, MS_METHOD_SHARDS);
    assert_int_equal(back.algorithm, MS_HASH_BLAKE2B);
    assert_int_equal(back.shard_size, 8);
    assert_int_equal(back.allow_symlinks, 1);
    assert_int_equal(back.has_ignore_paths, 1);
    assert_int_equal(back.n_ignore_paths, 0);
    cJSON_Delete(j);

    ser_files(&ser);
    assert_int_equal(ms_serialization_add_ignore(&ser, "a"), 0);
    assert_int_equal(ms_serialization_add_ignore(&ser, "b/c"), 0);
    j = serialization_to_json(&ser);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text,
                        "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false,"
                        "\"ignore_paths\":[\"a\",\"b/c\"]}");
    free(text);
    assert_int_equal(serialization_from_json(j, &back, &err), 0);
    assert_int_equal(back.n_ignore_paths, 2);
    assert_string_equal(back.ignore_paths[1], "b/c");
    ms_serialization copy;
    assert_int_equal(ms_serialization_copy(&copy, &back), 0);
    assert_int_equal(copy.n_ignore_paths, 2);
    assert_string_equal(copy.ignore_paths[0], "a");
    assert_int_equal(copy.has_ignore_paths, 1);
    ms_serialization_clear(&copy);
    ms_serialization_clear(&back);
    ms_serialization_clear(&ser);
    cJSON_Delete(j);

    /* shard_size as a float, as the OMS reference implementation writes it; unknown fields are
     * ignored; allow_symlinks may be absent. */
    j = parse("{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":8.0,\"x\":1}");
    assert_int_equal(serialization_from_json(j, &back, &err), 0);
    assert_int_equal(back.shard_size, 8);
    assert_int_equal(back.allow_symlinks, 0);
    cJSON_Delete(j);
    j = parse("{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":1000000000.0}");
    assert_int_equal(serialization_from_json(j, &back, &err), 0);
    assert_int_equal(back.shard_size, MS_DEFAULT_SHARD_SIZE);
    cJSON_Delete(j);
    /* The method name helpers. */
    ms_method method = MS_METHOD_SHARDS;
    assert_int_equal(ms_method_parse("files", &method), 0);
    assert_int_equal(method, MS_METHOD_FILES);
    assert_int_equal(ms_method_parse("Files", &method), MS_EINPUT);
    assert_string_equal(ms_method_name(MS_METHOD_SHARDS), "shards");
}

static void expect_ser_refused(const char *text, const char *needle1, const char *needle2)
{
    ms_serialization ser;
    ms_error err;
    ms_error_clear(&err);
    cJSON *j = parse(text);
    int rc = serialization_from_json(j, &ser, &err);
    if (rc != MS_EINPUT)
        fail_msg("%s: returned %d, expected MS_EINPUT", text, rc);
    assert_int_equal(err.code, MS_EINPUT);
    unit_assert_contains(err.message, needle1);
    if (needle2)
        unit_assert_contains(err.message, needle2);
    ms_serialization_clear(&ser);
    cJSON_Delete(j);
}

static void test_serialization_json_refusals(void **state)
{
    (void)state;
    static const char *const bad_shards[] = {"0",    "-1",   "1.5", "\"8\"", "1152921504606846976",
                                             "null", "true", "[8]", "1e300"};
    char text[256];
    for (size_t i = 0; i < sizeof bad_shards / sizeof bad_shards[0]; i++) {
        snprintf(text, sizeof text,
                 "{\"method\":\"shards\",\"hash_type\":\"sha256\",\"shard_size\":%s}",
                 bad_shards[i]);
        expect_ser_refused(text, "shard_size", NULL);
    }
    expect_ser_refused("{\"method\":\"shards\",\"hash_type\":\"sha256\"}", "shard_size", NULL);
    expect_ser_refused("{\"method\":\"file\",\"hash_type\":\"sha256\"}", "method", NULL);
    expect_ser_refused("{\"hash_type\":\"sha256\"}", "method", NULL);
    expect_ser_refused("{\"method\":\"files\",\"hash_type\":\"md5\"}", "hash_type", "md5");
    expect_ser_refused("{\"method\":\"files\",\"hash_type\":7}", "hash_type", NULL);
    expect_ser_refused("{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":\"yes\"}",
                       "allow_symlinks", NULL);
    expect_ser_refused("{\"method\":\"files\",\"hash_type\":\"sha256\",\"ignore_paths\":\"a\"}",
                       "ignore_paths", NULL);
    expect_ser_refused(
        "{\"method\":\"files\",\"hash_type\":\"sha256\",\"ignore_paths\":[\"../x\"]}",
        "ignore_paths", "../x");
    expect_ser_refused(
        "{\"method\":\"files\",\"hash_type\":\"sha256\",\"ignore_paths\":[\"ok\",3]}",
        "ignore_paths", NULL);
    expect_ser_refused("[]", "serialization", NULL);
}

static const char SHA_A[] = "a37010c994067764d86540bf479d93b4d0c3bb3955de7b61f951caf2fd0301b0";

/* Parse one resources array under `ser`, expecting a refusal naming `needle`. */
static void expect_res_refused(const ms_serialization *ser, const char *text, const char *needle)
{
    ms_manifest *m = ms_manifest_new();
    ms_error err;
    ms_error_clear(&err);
    assert_int_equal(ms_serialization_copy(&m->serialization, ser), 0);
    cJSON *j = parse(text);
    int rc = resources_from_json(j, m, &err);
    if (rc != MS_EINPUT)
        fail_msg("%s: returned %d, expected MS_EINPUT", text, rc);
    assert_int_equal(err.code, MS_EINPUT);
    unit_assert_contains(err.message, needle);
    assert_int_equal(m->n_resources, 0);
    cJSON_Delete(j);
    ms_manifest_free(m);
}

static void res_refused(const ms_serialization *ser, const char *name, const char *alg,
                        const char *digest, const char *needle)
{
    char text[1024];
    snprintf(text, sizeof text,
             "[{\"name\":\"%s\",\"algorithm\":\"%s\",\"digest\":\"%s\"},"
             "{\"name\":\"%s\",\"algorithm\":\"%s\",\"digest\":\"%s\"}]",
             ser->method == MS_METHOD_SHARDS ? "ok:0:8" : "ok", alg, SHA_A, name, alg, digest);
    expect_res_refused(ser, text, needle);
}

static void test_resources_json_refusals(void **state)
{
    (void)state;
    ms_serialization files, shards;
    ser_files(&files);
    ser_shards(&shards, 8);
    /* Names that escape the model. */
    res_refused(&files, "/etc/passwd", "sha256", SHA_A, "/etc/passwd");
    res_refused(&files, "..", "sha256", SHA_A, "\"..\"");
    res_refused(&files, "../x", "sha256", SHA_A, "../x");
    res_refused(&files, "a/../../b", "sha256", SHA_A, "a/../../b");
    res_refused(&files, "a\\\\b", "sha256", SHA_A, "a\\b");
    res_refused(&files, "a//b", "sha256", SHA_A, "a//b");
    res_refused(&files, "", "sha256", SHA_A, "empty");
    res_refused(&shards, "/abs:0:8", "sha256-sharded-8", SHA_A, "/abs:0:8");
    res_refused(&shards, "../x:0:8", "sha256-sharded-8", SHA_A, "../x:0:8");
    /* Bad shard names. */
    static const char *const bad_shards[] = {
        "f:8:0",  "f:0:9",  "f:01:8", "f",    "f:0",  "f:4:8",  "f:0:0",
        "f:-0:8", "f:0:+8", "f:0:8x", "f::8", "f:0:", "f:8:24", "f:18446744073709551616:8"};
    for (size_t i = 0; i < sizeof bad_shards / sizeof bad_shards[0]; i++)
        res_refused(&shards, bad_shards[i], "sha256-sharded-8", SHA_A, bad_shards[i]);
    /* Digests. */
    char longer[80], upper[80];
    snprintf(longer, sizeof longer, "%s00", SHA_A);
    snprintf(upper, sizeof upper, "%s", SHA_A);
    upper[10] = 'F';
    res_refused(&files, "short", "sha256", "a37010c9", "short");
    res_refused(&files, "long", "sha256", longer, "long");
    res_refused(&files, "odd", "sha256",
                "a37010c994067764d86540bf479d93b4d0c3bb3955de7b61f951caf2fd0301b", "odd");
    res_refused(&files, "upper", "sha256", upper, "upper");
    res_refused(&files, "nothex", "sha256",
                "g37010c994067764d86540bf479d93b4d0c3bb3955de7b61f951caf2fd0301b0", "nothex");
    /* Algorithms. */
    char text[512];
    snprintf(text, sizeof text, "[{\"name\":\"w\",\"algorithm\":\"blake2b\",\"digest\":\"%s\"}]",
             SHA_A);
    expect_res_refused(&files, text, "w");
    snprintf(text, sizeof text,
             "[{\"name\":\"w:0:8\",\"algorithm\":\"sha256-sharded-16\",\"digest\":\"%s\"}]", SHA_A);
    expect_res_refused(&shards, text, "w:0:8");
    /* Duplicates. */
    snprintf(text, sizeof text,
             "[{\"name\":\"w\",\"algorithm\":\"sha256\",\"digest\":\"%s\"},"
             "{\"name\":\"x\",\"algorithm\":\"sha256\",\"digest\":\"%s\"},"
             "{\"name\":\"w\",\"algorithm\":\"sha256\",\"digest\":\"%s\"}]",
             SHA_A, SHA_A, SHA_A);
    expect_res_refused(&files, text, "\"w\" is listed twice");
    /* Wrong shapes. */
    expect_res_refused(&files, "{}", "resources");
    expect_res_refused(&files, "[1]", "resources[0]");
    snprintf(text, sizeof text, "[{\"name\":\"w\",\"algorithm\":\"sha256\",\"digest\":7}]");
    expect_res_refused(&files, text, "resources[0]");
    snprintf(text, sizeof text, "[{\"name\":[],\"algorithm\":\"sha256\",\"digest\":\"%s\"}]",
             SHA_A);
    expect_res_refused(&files, text, "resources[0]");
}

static void test_resources_json_accepts(void **state)
{
    (void)state;
    ms_error err;
    ms_manifest *m = ms_manifest_new();
    char text[1024];
    ms_serialization_init(&m->serialization);
    m->serialization.method = MS_METHOD_SHARDS;
    m->serialization.shard_size = 8;
    /* A single-file model's shards are named ".:start:end"; a colon in a file name is fine. */
    snprintf(text, sizeof text,
             "[{\"name\":\".:0:8\",\"algorithm\":\"sha256-sharded-8\",\"digest\":\"%s\"},"
             "{\"name\":\"a:b:8:13\",\"algorithm\":\"sha256-sharded-8\",\"digest\":\"%s\"}]",
             SHA_A, SHA_A);
    cJSON *j = parse(text);
    assert_int_equal(resources_from_json(j, m, &err), 0);
    assert_int_equal(m->n_resources, 2);
    assert_string_equal(m->resources[1].name, "a:b:8:13");
    unit_assert_hex(m->resources[1].digest, 32, SHA_A);
    uint8_t root[32];
    assert_int_equal(ms_manifest_root(m->resources, m->n_resources, root), 0);
    assert_memory_equal(root, m->root_digest, 32);
    cJSON_Delete(j);
    /* An empty list is a valid (empty) model: the root is SHA-256 of nothing. */
    j = parse("[]");
    assert_int_equal(resources_from_json(j, m, &err), 0);
    assert_int_equal(m->n_resources, 0);
    unit_assert_hex(m->root_digest, 32,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    cJSON_Delete(j);
    ms_manifest_free(m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

#define LFS_OID "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
#define LFS_V "version https://git-lfs.github.com/spec/v1\n"

static int lfs_ext(const char *text, uint8_t oid[32], uint64_t *size)
{
    return ms_lfs_pointer_parse_ext((const uint8_t *)text, strlen(text), oid, size);
}

/* git LFS v1 pointers, extension lines included; anything else is an ordinary file. */
static void test_lfs_pointer_ext(void **state)
{
    (void)state;
    uint8_t oid[32], want[32];
    uint64_t size = 0;
    unit_unhex(LFS_OID, want, sizeof want);
    assert_int_equal(lfs_ext(LFS_V "oid sha256:" LFS_OID "\nsize 12345\n", oid, &size), 1);
    assert_memory_equal(oid, want, 32);
    assert_int_equal(size, 12345);
    assert_int_equal(lfs_ext(LFS_V "ext-0-foo sha256:" LFS_OID "\next-1-bar.baz sha256:" LFS_OID
                                   "\noid sha256:" LFS_OID "\nsize 0\n",
                             oid, &size),
                     1);
    assert_int_equal(size, 0);
    static const char *const bad[] = {
        "",
        LFS_V,
        LFS_V "oid sha256:" LFS_OID "\nsize 12\n\n",
        LFS_V "oid sha256:" LFS_OID "\nsize 12",
        LFS_V "oid sha256:" LFS_OID "\nsize 012\n",
        LFS_V "oid sha256:" LFS_OID "\nsize 99999999999999999999\n",
        LFS_V "oid sha256:" LFS_OID "\nsize \n",
        "version https://git-lfs.github.com/spec/v1\r\noid sha256:" LFS_OID "\r\nsize 1\r\n",
        LFS_V
        "oid sha256:4D7A214614AB2935C943F9E0FF69D22EADBB8F32B1258DAAA5E2CA24D17E2393\nsize 1\n",
        LFS_V "oid sha256:4d7a\nsize 1\n",
        LFS_V "size 1\noid sha256:" LFS_OID "\n",
        LFS_V "ext-1-a sha256:" LFS_OID "\next-0-b sha256:" LFS_OID "\noid sha256:" LFS_OID
              "\nsize 1\n",
        LFS_V "ext-0- sha256:" LFS_OID "\noid sha256:" LFS_OID "\nsize 1\n",
        LFS_V "ext-0-a sha256:4d7a\noid sha256:" LFS_OID "\nsize 1\n",
        LFS_V "oid sha256:" LFS_OID "\next-0-a sha256:" LFS_OID "\nsize 1\n",
        LFS_V "oid sha256:" LFS_OID "\nsize 1\nextra\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (lfs_ext(bad[i], oid, &size) != 0)
            fail_msg("accepted as a pointer: bad[%zu]", i);
    char big[MS_LFS_POINTER_MAX + 200];
    memset(big, 'x', sizeof big);
    memcpy(big, LFS_V, strlen(LFS_V));
    assert_int_equal(ms_lfs_pointer_parse_ext((const uint8_t *)big, sizeof big, oid, &size), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_files),
        cmocka_unit_test(test_golden_shards),
        cmocka_unit_test(test_golden_payloads),
        T(test_empty_models),
        T(test_blake2b),
        T(test_signature_files_skipped),
        T(test_ignore_paths),
        T(test_include_filter),
        T(test_threads_identical),
        T(test_build_refusals),
        T(test_compare_files),
        T(test_compare_shards),
        T(test_compare_shard_sets),
        T(test_compare_duplicate),
        cmocka_unit_test(test_resource_file),
        cmocka_unit_test(test_serialization_json_round_trip),
        cmocka_unit_test(test_serialization_json_refusals),
        cmocka_unit_test(test_resources_json_refusals),
        cmocka_unit_test(test_resources_json_accepts),
        cmocka_unit_test(test_lfs_pointer_ext),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
