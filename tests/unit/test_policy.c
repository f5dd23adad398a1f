/* Unit tests for policy parsing (policy.c): a full policy, defaults, relative paths, ref
 * patterns, expiry, and every kind of refusal with the field path in the message. */
#include "config.h"

#include "unit.h"

#include "modelseal/key.h"
#include "modelseal/policy.h"
#include "util/fs.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void)state;
    unit_tmpdir(dir);
    unit_mkdirs(dir, "keys");
    const char *names[] = {"keys/release.pub", "keys/ci.pub", "keys/data.pub"};
    for (size_t i = 0; i < 3; i++) {
        ms_key *k = NULL;
        ms_error err;
        char path[PATH_MAX];
        assert_int_equal(ms_key_generate(i == 1 ? MS_KEY_ECDSA_P256 : MS_KEY_ED25519, &k, &err), 0);
        assert_int_equal(ms_key_save_public(k, unit_path(path, dir, names[i]), &err), 0);
        ms_key_free(k);
    }
    char ca[PATH_MAX], dst[PATH_MAX];
    snprintf(ca, sizeof ca, "%s/oms/model-transparency-releases/keys/certificate/ca-cert.pem",
             unit_vectors_dir());
    ms_buf pem = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(msx_file_read(ca, 1 << 20, &pem, &err), 0);
    unit_write(dir, "keys/vendor-ca.pem", pem.data, pem.len);
    msx_buf_free(&pem);
    (void)dst;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unit_rmtree(dir);
    return 0;
}

static const char full[] =
    "{\"version\": 1, \"expires\": \"2027-12-31T00:00:00Z\",\n"
    " \"keys\": {\"release\": {\"public_key\": \"keys/release.pub\"},\n"
    "          \"ci\": {\"public_key\": \"keys/ci.pub\"},\n"
    "          \"data\": {\"public_key\": \"keys/data.pub\"},\n"
    "          \"vendor\": {\"certificate_chain\": [\"keys/vendor-ca.pem\"], \"identity\": "
    "\"release@vendor.example\"}},\n"
    " \"model\": {\"signers\": [\"release\"]},\n"
    " \"provenance\": {\"required\": true, \"signers\": [\"ci\"], \"builder_ids\": "
    "[\"https://ci.example.com/gpu-runner\"],\n"
    "   \"build_types\": [\"https://modelseal/training/v1\"], \"allowed_parameters\": "
    "[\"epochs\", \"lr\", \"seed\"]},\n"
    " \"datasets\": {\"signers\": [\"data\"], \"required\": [\"imagenet-subset\"],\n"
    "   \"data\": {\"imagenet-subset\": {\"manifest\": \"imagenet-subset.dsm.jsonl.zst\", "
    "\"path\": \"/data/imagenet-subset\"}}},\n"
    " \"code\": {\"required\": true, \"uris\": [\"git+https://github.com/acme/train.git\"], "
    "\"refs\": [\"refs/heads/main\", \"refs/tags/v*\"],\n"
    "   \"repository\": \"/srv/git/train\", \"allow_dirty\": false},\n"
    " \"base_model\": {\"required\": false, \"signers\": [\"vendor\"], \"require_provenance\": "
    "false, \"max_depth\": 4}}\n";

/* Parse `text` with base directory `dir`; return the code, keep the message in err. */
static int parse(const char *text, ms_policy **p, ms_error *err)
{
    return ms_policy_parse((const uint8_t *)text, strlen(text), "policy.json", dir, p, err);
}

static void test_full_policy(void **state)
{
    (void)state;
    ms_policy *p = NULL;
    ms_error err;
    char want[PATH_MAX];
    assert_int_equal(parse(full, &p, &err), 0);
    assert_int_equal(p->has_expires, 1);
    assert_int_equal(p->expires, 1830211200); /* 2027-12-31T00:00:00Z */
    assert_int_equal(p->n_keys, 4);
    assert_string_equal(p->keys[0].name, "release");
    assert_non_null(p->keys[0].key);
    assert_string_equal(p->keys[0].path, unit_path(want, dir, "keys/release.pub"));
    assert_int_equal(ms_key_get_type(p->keys[1].key), MS_KEY_ECDSA_P256);
    assert_null(p->keys[3].key);
    assert_int_equal(ms_x509_chain_count(p->keys[3].roots), 1);
    assert_string_equal(p->keys[3].identity, "release@vendor.example");
    assert_int_equal(p->model_signers.names.n, 1);
    assert_int_equal(p->model_signers.index[0], 0);
    assert_true(p->has_provenance && p->provenance_required);
    assert_int_equal(p->provenance_signers.index[0], 1);
    assert_string_equal(p->builder_ids.items[0], "https://ci.example.com/gpu-runner");
    assert_true(p->has_build_types && p->has_allowed_parameters);
    assert_int_equal(p->allowed_parameters.n, 3);
    assert_int_equal(p->dataset_signers.index[0], 2);
    assert_string_equal(p->datasets_required.items[0], "imagenet-subset");
    assert_int_equal(p->n_datasets_data, 1);
    assert_string_equal(p->datasets_data[0].manifest,
                        unit_path(want, dir, "imagenet-subset.dsm.jsonl.zst"));
    assert_string_equal(p->datasets_data[0].path, "/data/imagenet-subset");
    assert_true(p->has_code && p->code_required && !p->allow_dirty);
    assert_int_equal(p->code_refs.n, 2);
    assert_string_equal(p->code_repository, "/srv/git/train");
    assert_true(p->has_base_model && !p->base_model_required && !p->require_provenance);
    assert_int_equal(p->base_model_signers.index[0], 3);
    assert_int_equal(p->max_depth, 4);
    assert_false(ms_policy_expired(p, 1830211199));
    assert_true(ms_policy_expired(p, 1830211200));
    ms_policy_free(p);
}

static void test_defaults(void **state)
{
    (void)state;
    ms_policy *p = NULL;
    ms_error err;
    assert_int_equal(
        parse("{\"version\": 1, \"keys\": {\"k\": {\"public_key\": \"keys/release.pub\"}},"
              " \"model\": {\"signers\": [\"k\"]}}",
              &p, &err),
        0);
    assert_false(p->has_expires);
    assert_false(ms_policy_expired(p, INT64_MAX));
    assert_false(p->has_provenance || p->has_datasets || p->has_code || p->has_base_model);
    ms_policy_free(p);
    assert_int_equal(
        parse("{\"version\": 1, \"keys\": {\"k\": {\"public_key\": \"keys/release.pub\"}},"
              " \"model\": {\"signers\": [\"k\"]},"
              " \"provenance\": {\"signers\": [\"k\"], \"builder_ids\": [\"b\"]},"
              " \"datasets\": {\"signers\": [\"k\"]},"
              " \"code\": {\"uris\": [\"git+u\"], \"refs\": [\"refs/heads/*\"]},"
              " \"base_model\": {\"signers\": [\"k\"]}}",
              &p, &err),
        0);
    assert_true(p->provenance_required);
    assert_false(p->has_build_types || p->has_allowed_parameters);
    assert_int_equal(p->datasets_required.n, 0);
    assert_int_equal(p->n_datasets_data, 0);
    assert_true(p->code_required);
    assert_false(p->allow_dirty);
    assert_null(p->code_repository);
    assert_false(p->base_model_required || p->require_provenance);
    assert_int_equal(p->max_depth, MS_POLICY_DEFAULT_MAX_DEPTH);
    ms_policy_free(p);
}

static void test_load_relative_to_file(void **state)
{
    (void)state;
    char path[PATH_MAX], want[PATH_MAX];
    ms_policy *p = NULL;
    ms_error err;
    unit_write_str(dir, "policy.json",
                   "{\"version\": 1, \"keys\": {\"k\": {\"public_key\": \"keys/release.pub\"}},"
                   " \"model\": {\"signers\": [\"k\"]}}");
    assert_int_equal(ms_policy_load(unit_path(path, dir, "policy.json"), &p, &err), 0);
    assert_string_equal(p->keys[0].path, unit_path(want, dir, "keys/release.pub"));
    assert_string_equal(p->file, path);
    ms_policy_free(p);
    assert_int_equal(ms_policy_load(unit_path(path, dir, "missing.json"), &p, &err), MS_EINPUT);
    assert_null(p);
    assert_non_null(strstr(err.message, "missing.json"));
}

static void test_sigstore_key(void **state)
{
    (void)state;
    char text[2048];
    ms_policy *p = NULL;
    ms_error err;
    snprintf(text, sizeof text,
             "{\"version\": 1, \"keys\": {\"s\": {\"sigstore\": {\"identity\": "
             "\"stefanb@us.ibm.com\", \"issuer\": \"https://sigstore.verify.ibm.com/oauth2\", "
             "\"trusted_root\": \"%s/sigstore/sigstore.trusted_root.json\"}}},"
             " \"model\": {\"signers\": [\"s\"]}}",
             unit_vectors_dir());
    assert_int_equal(parse(text, &p, &err), 0);
    assert_null(p->keys[0].key);
    assert_null(p->keys[0].roots);
    assert_non_null(p->keys[0].sigstore_root);
    assert_string_equal(p->keys[0].identity, "stefanb@us.ibm.com");
    assert_string_equal(p->keys[0].issuer, "https://sigstore.verify.ibm.com/oauth2");
    ms_policy_free(p);
}

static void test_ref_patterns(void **state)
{
    (void)state;
    assert_true(ms_policy_ref_matches("refs/heads/main", "refs/heads/main"));
    assert_false(ms_policy_ref_matches("refs/heads/main", "refs/heads/main2"));
    assert_false(ms_policy_ref_matches("refs/heads/main", "refs/heads/mai"));
    assert_true(ms_policy_ref_matches("refs/tags/v*", "refs/tags/v1.2"));
    assert_true(ms_policy_ref_matches("refs/tags/v*", "refs/tags/v"));
    assert_false(ms_policy_ref_matches("refs/tags/v*", "refs/tags/x1"));
    assert_false(ms_policy_ref_matches("refs/tags/v*", "refs/heads/v1"));
}

/* Each refusal: replace `from` in the full policy with `to`; expect `message` (a substring). */
typedef struct bad_case {
    const char *from, *to, *message;
} bad_case;

static char *replace(const char *text, const char *from, const char *to)
{
    const char *at = strstr(text, from);
    if (!at)
        fail_msg("test bug: '%s' not in the policy", from);
    size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
    char *out = malloc(n);
    assert_non_null(out);
    snprintf(out, n, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

static void test_refusals(void **state)
{
    (void)state;
    static const bad_case cases[] = {
        {"\"version\": 1", "\"version\": 2", "policy.json: policy.version: unsupported version 2"},
        {"\"version\": 1,", "", "policy.version: missing"},
        {"\"version\": 1", "\"version\": \"1\"", "policy.version: not a number"},
        {"\"version\": 1", "\"version\": 1, \"comment\": \"x\"", "policy.comment: unknown field"},
        {"\"expires\": \"2027-12-31T00:00:00Z\"", "\"expires\": \"2027-12-31\"",
         "policy.expires: \"2027-12-31\": not an RFC 3339 date-time"},
        {"\"expires\": \"2027-12-31T00:00:00Z\"", "\"expires\": 2027",
         "policy.expires: not a string"},
        {"{\"public_key\": \"keys/release.pub\"}", "{\"public_key\": \"keys/nope.pub\"}",
         "policy.keys.release.public_key: "},
        {"{\"public_key\": \"keys/release.pub\"}", "{\"public_key\": \"keys/vendor-ca.pem\"}",
         "policy.keys.release.public_key: "},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"public_key\": \"keys/release.pub\", \"identity\": \"x\"}",
         "policy.keys.release.identity: only with certificate_chain"},
        {"{\"public_key\": \"keys/release.pub\"}", "{}",
         "policy.keys.release: needs exactly one of public_key, certificate_chain and sigstore"},
        {"{\"public_key\": \"keys/release.pub\"}", "{\"pubkey\": \"keys/release.pub\"}",
         "policy.keys.release.pubkey: unknown field"},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"sigstore\": {\"identity\": \"a\", \"issuer\": \"b\"}}",
         "policy.keys.release.sigstore.trusted_root: missing"},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"sigstore\": {\"identity\": \"a\", \"trusted_root\": \"keys/release.pub\"}}",
         "policy.keys.release.sigstore.issuer: missing"},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"sigstore\": {\"identity\": \"a\", \"issuer\": \"b\", \"trusted_root\": "
         "\"keys/release.pub\"}}",
         "policy.keys.release.sigstore.trusted_root: "},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"public_key\": \"keys/release.pub\", \"sigstore\": {}}",
         "policy.keys.release: needs exactly one of public_key, certificate_chain and sigstore"},
        {"{\"public_key\": \"keys/release.pub\"}",
         "{\"sigstore\": {\"identity\": \"a\", \"issuer\": \"b\", \"root\": \"x\"}}",
         "policy.keys.release.sigstore.root: unknown field"},
        {", \"identity\": \"release@vendor.example\"", "", "policy.keys.vendor.identity: missing"},
        {"[\"keys/vendor-ca.pem\"]", "[]", "policy.keys.vendor.certificate_chain: empty list"},
        {"[\"keys/vendor-ca.pem\"]", "[\"keys/release.pub\"]",
         "policy.keys.vendor.certificate_chain[0]: "},
        {"\"model\": {\"signers\": [\"release\"]}", "\"model\": {\"signers\": [\"relase\"]}",
         "policy.model.signers[0]: key \"relase\" is not defined in policy.keys"},
        {"\"model\": {\"signers\": [\"release\"]},", "", "policy.model: missing"},
        {"\"model\": {\"signers\": [\"release\"]}", "\"model\": {\"signers\": []}",
         "policy.model.signers: empty list"},
        {"\"model\": {\"signers\": [\"release\"]}", "\"model\": {\"signers\": \"release\"}",
         "policy.model.signers: not an array"},
        {"\"model\": {\"signers\": [\"release\"]}", "\"model\": {}",
         "policy.model.signers: missing"},
        {"[\"https://ci.example.com/gpu-runner\"]", "[\"https://ci.example.com/gpu-runner\", 7]",
         "policy.provenance.builder_ids[1]: not a string"},
        {"[\"https://ci.example.com/gpu-runner\"]",
         "[\"https://ci.example.com/gpu-runner\", \"https://ci.example.com/gpu-runner\"]",
         "policy.provenance.builder_ids[1]: \"https://ci.example.com/gpu-runner\" is listed twice"},
        {"\"required\": true, \"signers\": [\"ci\"]",
         "\"required\": \"yes\", \"signers\": [\"ci\"]",
         "policy.provenance.required: not a boolean"},
        {"\"signers\": [\"ci\"]", "\"signers\": [\"ci\", \"cj\"]",
         "policy.provenance.signers[1]: key \"cj\" is not defined"},
        {"\"builder_ids\": [\"https://ci.example.com/gpu-runner\"],", "",
         "policy.provenance.builder_ids: missing"},
        {"\"allowed_parameters\": [\"epochs\", \"lr\", \"seed\"]",
         "\"allowed_parameters\": [\"epochs\", \"\"]",
         "policy.provenance.allowed_parameters[1]: empty string"},
        {"\"required\": [\"imagenet-subset\"]", "\"required\": \"imagenet-subset\"",
         "policy.datasets.required: not an array"},
        {"\"path\": \"/data/imagenet-subset\"", "\"dir\": \"/data/imagenet-subset\"",
         "policy.datasets.data.imagenet-subset.dir: unknown field"},
        {", \"path\": \"/data/imagenet-subset\"", "",
         "policy.datasets.data.imagenet-subset.path: missing"},
        {"\"refs/tags/v*\"", "\"refs/tags/v*-rc\"",
         "policy.code.refs[1]: \"refs/tags/v*-rc\": a full ref starting with refs/"},
        {"\"refs/heads/main\"", "\"main\"", "policy.code.refs[0]: \"main\": a full ref"},
        {"\"allow_dirty\": false", "\"allow_dirty\": 0", "policy.code.allow_dirty: not a boolean"},
        {"\"uris\": [\"git+https://github.com/acme/train.git\"]", "\"uris\": []",
         "policy.code.uris: empty list"},
        {"\"max_depth\": 4", "\"max_depth\": 0",
         "policy.base_model.max_depth: not an integer from 1 to 64"},
        {"\"max_depth\": 4", "\"max_depth\": 1.5",
         "policy.base_model.max_depth: not an integer from 1 to 64"},
        {"\"max_depth\": 4", "\"max_depth\": \"4\"", "policy.base_model.max_depth: not a number"},
        {"\"signers\": [\"vendor\"]", "\"signers\": [\"vendor\"], \"depth\": 1",
         "policy.base_model.depth: unknown field"},
        {" \"provenance\": {", " \"provenanc\": {", "policy.provenanc: unknown field"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = replace(full, cases[i].from, cases[i].to);
        ms_policy *p = (ms_policy *)1;
        ms_error err;
        int rc = parse(text, &p, &err);
        if (rc != MS_EINPUT || !strstr(err.message, cases[i].message))
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, err.message,
                     cases[i].message);
        assert_null(p);
        free(text);
    }
}

static void test_dependent_sections_need_provenance(void **state)
{
    (void)state;
    static const char *const sections[] = {
        "\"datasets\": {\"signers\": [\"k\"]}",
        "\"code\": {\"uris\": [\"git+u\"], \"refs\": [\"refs/heads/main\"]}",
        "\"base_model\": {\"signers\": [\"k\"]}"};
    static const char *const names[] = {"policy.datasets", "policy.code", "policy.base_model"};
    for (size_t i = 0; i < 3; i++) {
        char text[1024];
        ms_policy *p = NULL;
        ms_error err;
        snprintf(text, sizeof text,
                 "{\"version\": 1, \"keys\": {\"k\": {\"public_key\": \"keys/release.pub\"}},"
                 " \"model\": {\"signers\": [\"k\"]}, %s}",
                 sections[i]);
        assert_int_equal(parse(text, &p, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, names[i]));
        assert_non_null(strstr(err.message, "needs a provenance section"));
    }
}

static void test_not_json(void **state)
{
    (void)state;
    ms_policy *p = NULL;
    ms_error err;
    assert_int_equal(parse("version: 1", &p, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "policy.json"));
    assert_int_equal(parse("[]", &p, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "policy: not an object"));
    /* Duplicate keys are refused by the strict JSON layer. */
    assert_int_equal(parse("{\"version\": 1, \"version\": 1}", &p, &err), MS_EINPUT);
    assert_int_equal(parse("{\"version\": 1, \"model\": {\"signers\": [\"k\"]}}", &p, &err),
                     MS_EINPUT);
    assert_non_null(strstr(err.message, "policy.keys: missing"));
    assert_int_equal(parse("{\"version\": 1, \"keys\": [], \"model\": {}}", &p, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "policy.keys: not an object"));
    assert_int_equal(parse("{\"version\": 1, \"keys\": {}, \"model\": {}}", &p, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "policy.keys: no keys defined"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_policy),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_load_relative_to_file),
        cmocka_unit_test(test_sigstore_key),
        cmocka_unit_test(test_ref_patterns),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_dependent_sections_need_provenance),
        cmocka_unit_test(test_not_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
