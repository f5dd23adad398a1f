/* Unit tests for statement: building the OMS payload, parsing OMS, legacy and generic
 * statements, and refusing malformed or hostile ones. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/statement_json.h"
#include "modelseal/statement.h"
#include "util/encoding.h"
#include "util/fs.h"

#define D11 "1111111111111111111111111111111111111111111111111111111111111111"
#define D22 "2222222222222222222222222222222222222222222222222222222222222222"
/* SHA-256 of 32 bytes 0x11 followed by 32 bytes 0x22 */
#define ROOT "5189c77d29fe5d546a045ec46986852785fea5c13ac7da9c115ff5fb6edf817c"
#define SER_FILES "{\"method\":\"files\",\"hash_type\":\"sha256\",\"allow_symlinks\":false}"
#define RES(name, d) "{\"name\":\"" name "\",\"algorithm\":\"sha256\",\"digest\":\"" d "\"}"

static const char *vectors_dir(void)
{
    const char *v = getenv("MS_VECTORS");
    return v && v[0] ? v : "/work/main/tests/vectors";
}

static void assert_error(int rc, int code, const ms_error *err, const char *needle)
{
    assert_int_equal(rc, code);
    if (!strstr(err->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
}

static void hex_of(const uint8_t *d, char out[65])
{
    msx_hex_encode(d, 32, out);
}

/* A statement text around the given parts; the caller frees it. */
static char *make_statement(const char *type, const char *subjects, const char *ptype,
                            const char *predicate)
{
    size_t n = strlen(type) + strlen(subjects) + strlen(ptype) + strlen(predicate) + 128;
    char *s = malloc(n);
    assert_non_null(s);
    snprintf(s, n, "{\"_type\":\"%s\",\"subject\":%s,\"predicateType\":\"%s\",\"predicate\":%s}",
             type, subjects, ptype, predicate);
    return s;
}

static char *oms_statement(const char *resources)
{
    size_t n = strlen(resources) + strlen(SER_FILES) + 64;
    char *pred = malloc(n);
    assert_non_null(pred);
    snprintf(pred, n, "{\"serialization\":" SER_FILES ",\"resources\":[%s]}", resources);
    char *s = make_statement(MS_INTOTO_STATEMENT_TYPE,
                             "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                             MS_OMS_PREDICATE_TYPE, pred);
    free(pred);
    return s;
}

static int parse_text(const char *text, ms_statement **st, ms_error *err)
{
    *st = NULL;
    return ms_statement_parse((const uint8_t *)text, strlen(text), st, err);
}

static ms_manifest *small_manifest(void)
{
    ms_manifest *m = ms_manifest_new();
    assert_non_null(m);
    m->model_name = strdup("m");
    m->resources = calloc(2, sizeof(*m->resources));
    assert_non_null(m->resources);
    m->n_resources = 2;
    m->resources[0].name = strdup("a.bin");
    memset(m->resources[0].digest, 0x11, 32);
    m->resources[0].digest_len = 32;
    m->resources[1].name = strdup("dir/b.bin");
    memset(m->resources[1].digest, 0x22, 32);
    m->resources[1].digest_len = 32;
    assert_int_equal(ms_manifest_root(m->resources, 2, m->root_digest), 0);
    return m;
}

static void test_build_exact_and_round_trip(void **state)
{
    (void)state;
    ms_error err;
    ms_buf payload = MS_BUF_INIT;
    ms_manifest *m = small_manifest();
    assert_int_equal(statement_build(m, &payload, &err), 0);
    assert_string_equal(
        (const char *)payload.data,
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\","
        "\"digest\":{\"sha256\":\"" ROOT "\"}}],"
        "\"predicateType\":\"https://model_signing/signature/v1.0\","
        "\"predicate\":{\"serialization\":" SER_FILES
        ",\"resources\":[" RES("a.bin", D11) "," RES("dir/b.bin", D22) "]}}");

    ms_statement *st = NULL;
    assert_int_equal(ms_statement_parse(payload.data, payload.len, &st, &err), 0);
    char hex[65];
    hex_of(st->subject_digest, hex);
    assert_string_equal(hex, ROOT);
    assert_string_equal(st->subject_name, "m");
    assert_string_equal(st->predicate_type, MS_OMS_PREDICATE_TYPE);
    assert_int_equal(st->legacy, 0);
    assert_non_null(st->manifest);
    assert_string_equal(st->manifest->model_name, "m");
    assert_int_equal(st->manifest->n_resources, 2);
    assert_string_equal(st->manifest->resources[1].name, "dir/b.bin");
    assert_memory_equal(st->manifest->root_digest, m->root_digest, 32);
    assert_int_equal(st->manifest->serialization.method, MS_METHOD_FILES);
    assert_non_null(cJSON_GetObjectItem(statement_predicate(st), "resources"));
    ms_statement_free(st);

    /* Building twice gives the same bytes. */
    ms_buf again = MS_BUF_INIT;
    assert_int_equal(statement_build(m, &again, &err), 0);
    assert_int_equal(again.len, payload.len);
    assert_memory_equal(again.data, payload.data, payload.len);
    msx_buf_free(&again);

    /* No model name: refused. */
    free(m->model_name);
    m->model_name = NULL;
    assert_error(statement_build(m, &payload, &err), MS_EINPUT, &err, "model name");
    msx_buf_free(&payload);
    ms_manifest_free(m);
    ms_statement_free(NULL);
}

static void test_shards_and_unknown_fields(void **state)
{
    (void)state;
    ms_error err;
    ms_statement *st;
    /* Integral-float shard_size (model_signing writes 8.0), unknown fields anywhere ignored. */
    const char *text =
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"extra\":{\"x\":[1]},"
        "\"subject\":[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\",\"sha512\":\"ab\"},"
        "\"annotations\":{}}],\"predicateType\":\"https://model_signing/signature/v1.0\","
        "\"predicate\":{\"future\":true,\"serialization\":{\"method\":\"shards\",\"hash_type\":"
        "\"sha256\",\"allow_symlinks\":true,\"shard_size\":8.0},\"resources\":["
        "{\"name\":\"f:0:8\",\"algorithm\":\"sha256-sharded-8\",\"digest\":\"" D11 "\"},"
        "{\"name\":\"f:8:16\",\"algorithm\":\"sha256-sharded-8\",\"digest\":\"" D22 "\"}]}}";
    assert_int_equal(parse_text(text, &st, &err), 0);
    assert_int_equal(st->manifest->serialization.method, MS_METHOD_SHARDS);
    assert_int_equal(st->manifest->serialization.shard_size, 8);
    assert_int_equal(st->manifest->n_resources, 2);
    assert_memory_equal(st->manifest->root_digest, st->subject_digest, 32);
    ms_statement_free(st);
}

static void test_refusals(void **state)
{
    (void)state;
    ms_error err;
    ms_statement *st;
    struct {
        char *text;
        const char *needle;
    } cases[] = {
        {make_statement("https://in-toto.io/Statement/v0.1",
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        MS_OMS_PREDICATE_TYPE, "{}"),
         "statement _type: unsupported"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        "https://example.com/wrong-predicate/v1.0", "{}"),
         "unsupported predicateType \"https://example.com/wrong-predicate/v1.0\""},
        {make_statement(MS_INTOTO_STATEMENT_TYPE, "[]", MS_OMS_PREDICATE_TYPE, "{}"),
         "statement subject: 0 subjects, expected exactly one"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}},"
                        "{\"name\":\"n\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        MS_OMS_PREDICATE_TYPE, "{}"),
         "statement subject: 2 subjects"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE, "{}", MS_OMS_PREDICATE_TYPE, "{}"),
         "statement subject: not an array"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE, "[{\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        MS_OMS_PREDICATE_TYPE, "{}"),
         "statement subject[0].name: missing"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"abc\"}}]", MS_OMS_PREDICATE_TYPE,
                        "{}"),
         "statement subject[0].digest.sha256: not 64 lowercase hex digits"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "0\"}}]",
                        MS_OMS_PREDICATE_TYPE, "{}"),
         "subject[0].digest.sha256: not 64"},
        {make_statement(
             MS_INTOTO_STATEMENT_TYPE,
             "[{\"name\":\"m\",\"digest\":{\"sha256\":\"zz89c77d29fe5d546a045ec4698685278"
             "5fea5c13ac7da9c115ff5fb6edf817c\"}}]",
             MS_OMS_PREDICATE_TYPE, "{}"),
         "subject[0].digest.sha256: not 64"},
        {make_statement(
             MS_INTOTO_STATEMENT_TYPE,
             "[{\"name\":\"m\",\"digest\":{\"sha256\":\"5189C77D29FE5D546A045EC46986852785"
             "FEA5C13AC7DA9C115FF5FB6EDF817C\"}}]",
             MS_OMS_PREDICATE_TYPE, "{}"),
         "subject[0].digest.sha256: not 64 lowercase"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha512\":\"ab\"}}]", MS_OMS_PREDICATE_TYPE,
                        "{}"),
         "subject[0].digest.sha256: missing"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        MS_OMS_PREDICATE_TYPE, "[]"),
         "statement predicate: not an object"},
        {make_statement(MS_INTOTO_STATEMENT_TYPE,
                        "[{\"name\":\"m\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
                        MS_OMS_PREDICATE_TYPE, "{\"resources\":[]}"),
         "statement predicate.serialization: missing"},
        {oms_statement(RES("/etc/passwd", D11)), "predicate.resources: \"/etc/passwd\""},
        {oms_statement(RES("a/../../b", D11)), "predicate.resources: \"a/../../b\""},
        {oms_statement(RES("..", D11)), "predicate.resources: \"..\""},
        {oms_statement(RES("a\\\\b", D11)), "predicate.resources: \"a\\b\""},
        {oms_statement(RES("a\\u0000b", D11)), "statement: JSON string contains NUL (\\u0000)"},
        {oms_statement(RES("a.bin", D11) "," RES("a.bin", D22)), "listed twice"},
        {oms_statement(RES("a.bin", "11")), "predicate.resources[0]"},
        {strdup("{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":["),
         "statement: not valid JSON"},
        {strdup("not json"), "statement: not valid JSON"},
        {strdup("[1,2]"), "statement: not a JSON object"},
        {strdup("{\"_type\":\"https://in-toto.io/Statement/v1\",\"_type\":\"x\"}"),
         "duplicate JSON key \"_type\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_non_null(cases[i].text);
        if (parse_text(cases[i].text, &st, &err) != MS_EINPUT ||
            !strstr(err.message, cases[i].needle))
            fail_msg("case %zu: %s: \"%s\" lacks \"%s\"", i, cases[i].text, err.message,
                     cases[i].needle);
        assert_null(st);
        free(cases[i].text);
    }
    /* Size bound is checked before anything is read. */
    static const uint8_t tiny[1] = {'{'};
    st = NULL;
    assert_error(ms_statement_parse(tiny, MS_STATEMENT_MAX_SIZE + 1, &st, &err), MS_EINPUT, &err,
                 "statement: larger than");
}

static void test_deep_nesting(void **state)
{
    (void)state;
    ms_error err;
    ms_statement *st = NULL;
    size_t depth = 100000;
    char *text = malloc(2 * depth + 1);
    assert_non_null(text);
    memset(text, '[', depth);
    memset(text + depth, ']', depth);
    text[2 * depth] = 0;
    clock_t t0 = clock();
    assert_error(ms_statement_parse((const uint8_t *)text, 2 * depth, &st, &err), MS_EINPUT, &err,
                 "nested deeper than 64");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    free(text);
}

static void test_legacy_digests(void **state)
{
    (void)state;
    ms_error err;
    ms_statement *st;
    const char *subjects = "[{\"name\":\"a.bin\",\"digest\":{\"sha256\":\"" D11 "\"},"
                           "\"annotations\":{\"actual_hash_algorithm\":\"file-sha256\"}},"
                           "{\"name\":\"dir/b.bin\",\"digest\":{\"sha256\":\"" D22 "\"}}]";
    char *text = make_statement(MS_INTOTO_STATEMENT_TYPE, subjects, MS_OMS_LEGACY_PREDICATE_TYPE,
                                "{\"unused\":\"x\"}");
    assert_int_equal(parse_text(text, &st, &err), 0);
    free(text);
    assert_int_equal(st->legacy, 1);
    assert_null(st->subject_name);
    assert_null(st->manifest->model_name);
    assert_int_equal(st->manifest->n_resources, 2);
    assert_string_equal(st->manifest->resources[0].name, "a.bin");
    assert_int_equal(st->manifest->serialization.method, MS_METHOD_FILES);
    assert_int_equal(st->manifest->serialization.algorithm, MS_HASH_SHA256);
    char hex[65];
    hex_of(st->subject_digest, hex);
    assert_string_equal(hex, ROOT);
    ms_statement_free(st);

    text = make_statement(MS_INTOTO_STATEMENT_TYPE,
                          "[{\"name\":\"a.bin:0:8\",\"digest\":{\"sha256\":\"" D11 "\"},"
                          "\"annotations\":{\"actual_hash_algorithm\":\"shard-sha256\"}}]",
                          MS_OMS_LEGACY_PREDICATE_TYPE, "{}");
    assert_error(parse_text(text, &st, &err), MS_EINPUT, &err,
                 "subject[0].annotations.actual_hash_algorithm: unsupported");
    free(text);
    text = make_statement(MS_INTOTO_STATEMENT_TYPE,
                          "[{\"name\":\"../x\",\"digest\":{\"sha256\":\"" D11 "\"}}]",
                          MS_OMS_LEGACY_PREDICATE_TYPE, "{}");
    assert_error(parse_text(text, &st, &err), MS_EINPUT, &err, "predicate.resources");
    free(text);
    text = make_statement(MS_INTOTO_STATEMENT_TYPE, "[]", MS_OMS_LEGACY_PREDICATE_TYPE, "{}");
    assert_error(parse_text(text, &st, &err), MS_EINPUT, &err, "statement subject: empty");
    free(text);
}

static void test_generic(void **state)
{
    (void)state;
    ms_error err;
    ms_statement *st = NULL;
    char *text = make_statement(
        MS_INTOTO_STATEMENT_TYPE, "[{\"name\":\"ds\",\"digest\":{\"sha256\":\"" ROOT "\"}}]",
        "https://modelseal/dataset-manifest/v1", "{\"name\":\"ds\",\"files\":3}");
    assert_int_equal(ms_statement_parse_generic((const uint8_t *)text, strlen(text), &st, &err), 0);
    assert_string_equal(st->predicate_type, "https://modelseal/dataset-manifest/v1");
    assert_string_equal(st->subject_name, "ds");
    assert_null(st->manifest);
    assert_int_equal(cJSON_GetObjectItem(statement_predicate(st), "files")->valueint, 3);
    ms_statement_free(st);
    st = NULL;
    /* The OMS parser refuses the same statement. */
    assert_error(parse_text(text, &st, &err), MS_EINPUT, &err, "unsupported predicateType");
    free(text);

    const char *no_predicate =
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":"
        "\"x\",\"digest\":{\"sha256\":\"" ROOT "\"}}],\"predicateType\":\"t\"}";
    assert_int_equal(
        ms_statement_parse_generic((const uint8_t *)no_predicate, strlen(no_predicate), &st, &err),
        0);
    assert_null(statement_predicate(st));
    ms_statement_free(st);

    text = make_statement(MS_INTOTO_STATEMENT_TYPE, "[{\"name\":\"x\",\"digest\":{}}]", "t", "{}");
    assert_error(ms_statement_parse_generic((const uint8_t *)text, strlen(text), &st, &err),
                 MS_EINPUT, &err, "subject[0].digest.sha256: missing");
    free(text);
}

static void test_goldens(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *name;
        size_t n;
    } goldens[] = {
        {"deep_model_folder", "deep_model", 4},
        {"deep_model_folder_shard", "deep_model", 4},
        {"deep_model_folder_small_shards", "deep_model", 8},
        {"empty_model_file", "empty_file_model", 1},
        {"empty_model_file_shard", "empty_file_model", 0},
        {"empty_model_file_small_shards", "empty_file_model", 0},
        {"empty_model_folder", "empty_folder_model", 0},
        {"empty_model_folder_shard", "empty_folder_model", 0},
        {"empty_model_folder_small_shards", "empty_folder_model", 0},
        {"model_folder_with_empty_file", "empty_file_inside_model", 1},
        {"model_folder_with_empty_file_shard", "empty_file_inside_model", 0},
        {"model_folder_with_empty_file_small_shards", "empty_file_inside_model", 0},
        {"sample_model_file", "file_model", 1},
        {"sample_model_file_shard", "file_model", 1},
        {"sample_model_file_small_shards", "file_model", 3},
        {"sample_model_folder", "sample_model", 10},
        {"sample_model_folder_shard", "sample_model", 10},
        {"sample_model_folder_small_shards", "sample_model", 30},
        {"symlink_model_folder", "symlink_model", 1},
        {"symlink_model_folder_shard", "symlink_model", 1},
        {"symlink_model_folder_small_shards", "symlink_model", 3},
    };
    for (size_t i = 0; i < sizeof(goldens) / sizeof(goldens[0]); i++) {
        char path[1024];
        ms_error err;
        ms_buf text = MS_BUF_INIT;
        ms_statement *st = NULL;
        snprintf(path, sizeof(path),
                 "%s/oms/model-transparency-goldens/_signing/testdata/signing/TestPayload/%s",
                 vectors_dir(), goldens[i].file);
        assert_int_equal(msx_file_read(path, 1 << 20, &text, &err), 0);
        if (ms_statement_parse(text.data, text.len, &st, &err) != 0)
            fail_msg("%s: %s", goldens[i].file, err.message);
        assert_string_equal(st->subject_name, goldens[i].name);
        assert_int_equal(st->manifest->n_resources, goldens[i].n);
        /* The root computed over the listed resources is the signed subject digest. */
        assert_memory_equal(st->manifest->root_digest, st->subject_digest, 32);
        ms_statement_free(st);
        msx_buf_free(&text);
    }
}

/* The statement a bundle carries: OMS or generic; a message-signature bundle has none. */
static void test_from_bundle(void **state)
{
    (void)state;
    char path[4096];
    ms_buf text = MS_BUF_INIT;
    ms_bundle *b = NULL;
    ms_statement *st = NULL;
    ms_error err;
    snprintf(path, sizeof path, "%s/oms/model-transparency-releases/v1.1.0-elliptic-key/model.sig",
             vectors_dir());
    assert_int_equal(msx_file_read(path, MS_BUNDLE_MAX_SIZE, &text, &err), 0);
    assert_int_equal(ms_bundle_parse(text.data, text.len, &b, &err), 0);
    assert_int_equal(ms_statement_from_bundle(b, 0, &st, &err), 0);
    assert_non_null(st->manifest);
    assert_int_equal(st->manifest->n_resources, 2);
    ms_statement_free(st);
    st = NULL;
    assert_int_equal(ms_statement_from_bundle(b, 1, &st, &err), 0);
    assert_null(st->manifest);
    ms_statement_free(st);
    st = NULL;
    ms_bundle_free(b);
    b = NULL;

    static const char msg[] =
        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
        "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"ab\"}},"
        "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AAAA\"},"
        "\"signature\":\"AAAA\"}}";
    assert_int_equal(ms_bundle_parse((const uint8_t *)msg, sizeof msg - 1, &b, &err), 0);
    assert_int_equal(ms_statement_from_bundle(b, 1, &st, &err), MS_EINPUT);
    assert_null(st);
    assert_non_null(strstr(err.message, "no DSSE envelope"));
    ms_bundle_free(b);
    msx_buf_free(&text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_exact_and_round_trip),
        cmocka_unit_test(test_shards_and_unknown_fields),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_legacy_digests),
        cmocka_unit_test(test_generic),
        cmocka_unit_test(test_goldens),
        cmocka_unit_test(test_from_bundle),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
