/* Unit tests for chain verification (chain.c): a signed model with a provenance, a dataset
 * statement and a base model signature in its claims file, made with the library; the
 * verdict of every link for the good chain and for tampered ones. (The git repository checks,
 * data re-hashing and the CLI are covered by tests/cli/test_chain.sh.) */
#include "config.h"

#include "unit.h"

#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/key.h"
#include "modelseal/manifest.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/sign.h"
#include "util/fs.h"

enum { RELEASE, CI, DATA, VENDOR, ROGUE, N_KEYS };
static const char *const key_names[N_KEYS] = {"release", "ci", "data", "vendor", "rogue"};
static ms_key *keys[N_KEYS];
static char dir[PATH_MAX], model[PATH_MAX], claims[PATH_MAX];
static uint8_t model_root[32], base_root[32], pets_root[32], pets_manifest[32];
static char *base_line, *pets_line;

static const char policy_text[] =
    "{\"version\": 1, \"expires\": \"2099-01-01T00:00:00Z\",\n"
    " \"keys\": {\"release\": {\"public_key\": \"release.pub\"}, \"ci\": {\"public_key\": "
    "\"ci.pub\"},\n"
    "          \"data\": {\"public_key\": \"data.pub\"}, \"vendor\": {\"public_key\": "
    "\"vendor.pub\"}},\n"
    " \"model\": {\"signers\": [\"release\"]},\n"
    " \"provenance\": {\"signers\": [\"ci\"], \"builder_ids\": [\"https://ci.example/b\"], "
    "\"allowed_parameters\": [\"epochs\"]},\n"
    " \"datasets\": {\"signers\": [\"data\"], \"required\": [\"pets\"]},\n"
    " \"code\": {\"uris\": [\"git+https://g.example/train.git\"], \"refs\": "
    "[\"refs/heads/main\"]},\n"
    " \"base_model\": {\"required\": true, \"signers\": [\"vendor\"]}}\n";

/* A signed claims line (compact bundle) for `payload`, malloc'd. */
static char *sign_line(const ms_buf *payload, int key)
{
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(t_sign_statement(payload->data, payload->len, keys[key], NULL, &out, &err), 0);
    return msx_buf_detach(&out);
}

/* A signed model.sig for the directory `path`; its root into root. Returns the bundle text. */
static char *sign_model(const char *path, int key, uint8_t root[32])
{
    ms_serialization ser;
    ms_manifest_options opts;
    ms_manifest *m = NULL;
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    ms_serialization_init(&ser);
    memset(&opts, 0, sizeof opts);
    opts.threads = 1;
    assert_int_equal(ms_sign_record_ignores(&ser, 0, NULL), 0);
    assert_int_equal(ms_manifest_build(path, &ser, &opts, &m, &err), 0);
    assert_int_equal(t_sign_manifest(m, keys[key], NULL, 0, &out, &err), 0);
    memcpy(root, m->root_digest, 32);
    ms_manifest_free(m);
    ms_serialization_clear(&ser);
    return msx_buf_detach(&out);
}

typedef struct prov_spec {
    int key;
    const uint8_t *subject;
    const char *builder;
    const char *param; /* "k=v" or NULL */
    int dirty;
    int with_dataset;
    const uint8_t *base; /* base model digest or NULL */
    const char *base_name;
} prov_spec;

static char *provenance_line(const prov_spec *s)
{
    ms_provenance *p = ms_provenance_new();
    ms_buf payload = MS_BUF_INIT;
    ms_error err;
    ms_git_info git;
    assert_non_null(p);
    memcpy(p->subject_digest, s->subject, 32);
    assert_int_equal(ms_provenance_set_string(&p->subject_name, "model", &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->builder_id, s->builder, &err), 0);
    if (s->param)
        assert_int_equal(ms_provenance_add_parameter(p, s->param, &err), 0);
    memset(&git, 0, sizeof git);
    memcpy(git.commit, "0123456789abcdef0123456789abcdef01234567", 41);
    git.url = "https://g.example/train.git";
    git.ref = "refs/heads/main";
    git.dirty = s->dirty;
    assert_int_equal(ms_provenance_add_code(p, &git, &err), 0);
    if (s->with_dataset)
        assert_int_equal(
            ms_provenance_add_dataset(p, "pets", NULL, "1", pets_root, pets_manifest, &err), 0);
    if (s->base)
        assert_int_equal(ms_provenance_add_base_model(p, s->base_name, s->base, &err), 0);
    assert_int_equal(t_provenance_build(p, &payload, &err), 0);
    char *line = sign_line(&payload, s->key);
    msx_buf_free(&payload);
    ms_provenance_free(p);
    return line;
}

/* The good provenance, with one field changed by the caller. */
static prov_spec good(void)
{
    prov_spec s = {CI, model_root, "https://ci.example/b", "epochs=3", 0, 1, base_root, "base"};
    return s;
}

/* Write the claims file from NULL-terminated lines. */
static void write_claims(const char *first, ...)
{
    ms_buf text = MS_BUF_INIT;
    va_list ap;
    va_start(ap, first);
    for (const char *l = first; l; l = va_arg(ap, const char *))
        assert_int_equal(msx_buf_printf(&text, "%s\n", l), 0);
    va_end(ap);
    ms_error err;
    assert_int_equal(msx_file_write_atomic(claims, text.data ? text.data : (unsigned char *)"",
                                           text.len, 0644, 0, &err),
                     0);
    msx_buf_free(&text);
}

static int setup(void **state)
{
    (void)state;
    ms_error err;
    char path[PATH_MAX], name[64];
    unit_tmpdir(dir);
    for (int i = 0; i < N_KEYS; i++) {
        assert_int_equal(ms_key_generate(MS_KEY_ED25519, &keys[i], &err), 0);
        snprintf(name, sizeof name, "%s.pub", key_names[i]);
        assert_int_equal(ms_key_save_public(keys[i], unit_path(path, dir, name), &err), 0);
    }
    unit_mkdirs(dir, "model");
    unit_path(model, dir, "model");
    unit_write_str(model, "weights.bin", "weights");
    unit_write_str(model, "config.json", "{}");
    unit_path(claims, model, "claims.jsonl");
    char *sig = sign_model(model, RELEASE, model_root);
    unit_write_str(model, "model.sig", sig);
    free(sig);
    unit_write_str(dir, "base/w.bin", "base weights");
    unit_path(path, dir, "base");
    base_line = sign_model(path, VENDOR, base_root);

    ms_dataset_info info;
    ms_buf payload = MS_BUF_INIT;
    memset(&info, 0, sizeof info);
    info.name = "pets";
    info.version = "1";
    info.algorithm = MS_HASH_SHA256;
    info.files = 2;
    info.bytes = 8;
    ms_sha256("pets", 4, pets_root);
    ms_sha256("manifest", 8, pets_manifest);
    memcpy(info.root_digest, pets_root, 32);
    memcpy(info.manifest_digest, pets_manifest, 32);
    assert_int_equal(t_dataset_statement_build(&info, &payload, &err), 0);
    pets_line = sign_line(&payload, DATA);
    msx_buf_free(&payload);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_KEYS; i++)
        ms_key_free(keys[i]);
    free(base_line);
    free(pets_line);
    unit_rmtree(dir);
    return 0;
}

/* The verdicts as "policy+ model+ dataset:pets- ..." (nested links in brackets). */
static void verdicts(const ms_chain_link *links, size_t n, ms_buf *out)
{
    for (size_t i = 0; i < n; i++) {
        msx_buf_printf(out, "%s%s%s%s%s", out->len && out->data[out->len - 1] != '[' ? " " : "",
                       links[i].link, links[i].name ? ":" : "", links[i].name ? links[i].name : "",
                       links[i].ok ? "+" : "-");
        if (links[i].n_links) {
            msx_buf_append_str(out, "[");
            verdicts(links[i].links, links[i].n_links, out);
            msx_buf_append_str(out, "]");
        }
    }
}

/* Verify the model with `text` as the policy; expect `rc` and the verdict string `want`. */
static void expect_with(const char *text, int64_t now, int rc, const char *want,
                        ms_chain_result *res)
{
    ms_policy *p = NULL;
    ms_error err;
    ms_chain_options opts;
    ms_buf got = MS_BUF_INIT;
    memset(&opts, 0, sizeof opts);
    opts.now = now;
    opts.hash.threads = 1;
    assert_int_equal(
        ms_policy_parse((const uint8_t *)text, strlen(text), "policy.json", dir, &p, &err), 0);
    int got_rc = ms_chain_verify(p, model, &opts, res, &err);
    verdicts(res->links, res->n_links, &got);
    if (got_rc != rc || strcmp(got.data ? (char *)got.data : "", want) != 0)
        fail_msg("rc %d (expected %d), verdicts '%s' (expected '%s'), error '%s'", got_rc, rc,
                 got.data ? (char *)got.data : "", want, err.message);
    msx_buf_free(&got);
    ms_policy_free(p);
}

static void expect(int rc, const char *want, ms_chain_result *res)
{
    expect_with(policy_text, 0, rc, want, res);
}

/* The reason of the first link named `link` (and `name`), or fail. */
static const char *reason(const ms_chain_result *res, const char *link)
{
    for (size_t i = 0; i < res->n_links; i++)
        if (strcmp(res->links[i].link, link) == 0)
            return res->links[i].reason;
    fail_msg("no %s link", link);
    return NULL;
}

static void assert_contains(const char *text, const char *part)
{
    if (!strstr(text, part))
        fail_msg("'%s' does not contain '%s'", text, part);
}

static void test_good_chain(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    char *prov = provenance_line(&s);
    write_claims(prov, pets_line, base_line, NULL);
    expect(0, "policy+ model+ provenance+ dataset:pets+ code+ base-model:base+", &res);
    assert_int_equal(res.n_failed, 0);
    assert_true(res.has_digest);
    assert_memory_equal(res.model_digest, model_root, 32);
    assert_string_equal(res.model_name, "model");
    assert_contains(reason(&res, "policy"), "valid until 2099-01-01T00:00:00Z");
    assert_contains(reason(&res, "model"), "signed by \"release\"; 2 files re-hashed");
    assert_contains(reason(&res, "provenance"), "line 1 signed by \"ci\"");
    assert_contains(reason(&res, "dataset"), "signed by \"data\" (line 2); data not re-hashed");
    assert_contains(reason(&res, "code"),
                    "git+https://g.example/train.git at refs/heads/main, commit "
                    "0123456789abcdef0123456789abcdef01234567");
    assert_contains(reason(&res, "code"), "commit not checked against a repository");
    assert_contains(reason(&res, "base-model"), "signed by \"vendor\" (line 3");
    ms_chain_result_clear(&res);
    free(prov);
}

static void test_untrusted_provenance(void **state)
{
    (void)state;
    ms_chain_result res;
    ms_policy *p = NULL;
    ms_error err;
    prov_spec s = good();
    s.key = ROGUE;
    char *rogue = provenance_line(&s);
    s.key = DATA;
    char *data = provenance_line(&s);
    write_claims(rogue, data, pets_line, base_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance- dataset- code- base-model-", &res);
    assert_int_equal(res.n_failed, 4);
    assert_contains(reason(&res, "provenance"),
                    "(ignored: line 1 signed by a key the policy does not name; line 2 signed "
                    "by key \"data\", not one of policy.provenance.signers)");
    assert_contains(reason(&res, "code"), "no trusted provenance");
    ms_chain_result_clear(&res);
    /* The first failure is the error message. */
    assert_int_equal(
        ms_policy_parse((const uint8_t *)policy_text, strlen(policy_text), "p", dir, &p, &err), 0);
    assert_int_equal(ms_chain_verify(p, model, NULL, &res, &err), MS_EVERIFY);
    assert_contains(err.message, "provenance: no provenance for sha256:");
    ms_chain_result_clear(&res);
    ms_policy_free(p);
    free(rogue);
    free(data);
}

static void test_allow_lists(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    s.builder = "https://evil.example/b";
    char *line = provenance_line(&s);
    write_claims(line, pets_line, base_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance- dataset- code- base-model-", &res);
    assert_contains(reason(&res, "provenance"),
                    "line 1: builder id \"https://evil.example/b\" is not in "
                    "policy.provenance.builder_ids");
    ms_chain_result_clear(&res);
    free(line);

    s = good();
    s.param = "lr=0.1";
    line = provenance_line(&s);
    write_claims(line, pets_line, base_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance- dataset- code- base-model-", &res);
    assert_contains(reason(&res, "provenance"),
                    "parameter \"lr\" is not in policy.provenance.allowed_parameters");
    ms_chain_result_clear(&res);
    free(line);
}

static void test_two_provenances(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    char *a = provenance_line(&s);
    s.with_dataset = 0;
    char *b = provenance_line(&s);
    write_claims(a, pets_line, base_line, a, NULL); /* the same line twice: agree */
    expect(0, "policy+ model+ provenance+ dataset:pets+ code+ base-model:base+", &res);
    ms_chain_result_clear(&res);
    write_claims(a, pets_line, base_line, b, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance- dataset- code- base-model-", &res);
    assert_contains(reason(&res, "provenance"),
                    "lines 1 and 4: two trusted provenances for this digest disagree");
    ms_chain_result_clear(&res);
    free(a);
    free(b);
}

static void test_dataset_and_code(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    char *line = provenance_line(&s);
    write_claims(line, base_line, NULL); /* no dataset statement */
    expect(MS_EVERIFY, "policy+ model+ provenance+ dataset:pets- code+ base-model:base+", &res);
    assert_contains(reason(&res, "dataset"), "no dataset statement for sha256:");
    assert_contains(reason(&res, "dataset"), "signed by a key in policy.datasets.signers (data)");
    ms_chain_result_clear(&res);
    free(line);

    s.with_dataset = 0;
    line = provenance_line(&s);
    write_claims(line, base_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance+ dataset:pets- code+ base-model:base+", &res);
    assert_contains(reason(&res, "dataset"),
                    "required by policy.datasets.required, not in the provenance");
    ms_chain_result_clear(&res);
    free(line);

    s = good();
    s.dirty = 1;
    line = provenance_line(&s);
    write_claims(line, pets_line, base_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance+ dataset:pets+ code- base-model:base+", &res);
    assert_contains(reason(&res, "code"), "built from a dirty working tree");
    ms_chain_result_clear(&res);
    free(line);
}

static void test_base_models(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    char *line = provenance_line(&s);
    write_claims(line, pets_line, NULL); /* no base model signature */
    expect(MS_EVERIFY, "policy+ model+ provenance+ dataset:pets+ code+ base-model:base-", &res);
    assert_contains(reason(&res, "base-model"), "no model signature for sha256:");
    ms_chain_result_clear(&res);

    /* A base whose own (vendor-signed) provenance names our model: a cycle. */
    prov_spec b = {VENDOR, base_root, "https://vendor.example/b", NULL, 0, 0, model_root, "model"};
    char *base_prov = provenance_line(&b);
    write_claims(line, pets_line, base_line, base_prov, NULL);
    expect(MS_EVERIFY,
           "policy+ model+ provenance+ dataset:pets+ code+ "
           "base-model:base-[provenance+ base-model:model-]",
           &res);
    assert_contains(res.links[5].links[1].reason, "cycle (this digest already appears");
    ms_chain_result_clear(&res);
    free(base_prov);

    /* No base model in the provenance while the policy requires one. */
    free(line);
    s.base = NULL;
    line = provenance_line(&s);
    write_claims(line, pets_line, NULL);
    expect(MS_EVERIFY, "policy+ model+ provenance+ dataset:pets+ code+ base-model-", &res);
    assert_contains(reason(&res, "base-model"), "the provenance names no base model");
    ms_chain_result_clear(&res);
    free(line);
}

static void test_policy_and_model_links(void **state)
{
    (void)state;
    ms_chain_result res;
    prov_spec s = good();
    char *line = provenance_line(&s);
    write_claims(line, pets_line, base_line, NULL);
    /* Expired: 2099-01-01T00:00:00Z is 4070908800. */
    expect_with(policy_text, INT64_C(4070908800), MS_EVERIFY,
                "policy- model+ provenance+ dataset:pets+ code+ base-model:base+", &res);
    assert_contains(reason(&res, "policy"), "expired at 2099-01-01T00:00:00Z");
    ms_chain_result_clear(&res);
    expect_with(policy_text, INT64_C(4070908799), 0,
                "policy+ model+ provenance+ dataset:pets+ code+ base-model:base+", &res);
    ms_chain_result_clear(&res);

    /* A changed file: the model link fails; the signed digest still names the model. */
    unit_write_str(model, "config.json", "{\"x\": 1}");
    expect(MS_EVERIFY, "policy+ model- provenance+ dataset:pets+ code+ base-model:base+", &res);
    assert_contains(reason(&res, "model"), "config.json");
    /* ... and every file that differs is in the result (verify --policy --json lists them). */
    assert_int_equal(res.diff.n_changed, 1);
    assert_string_equal(res.diff.changed[0], "config.json");
    assert_int_equal(res.diff.n_missing + res.diff.n_extra, 0);
    ms_chain_result_clear(&res);
    assert_int_equal(res.diff.n_changed, 0);
    unit_write_str(model, "config.json", "{}");

    /* Missing claims file: no provenance. */
    unlink(claims);
    expect(MS_EVERIFY, "policy+ model+ provenance- dataset- code- base-model-", &res);
    ms_chain_result_clear(&res);

    /* A minimal policy: every other link not required. */
    static const char minimal[] = "{\"version\": 1, \"keys\": {\"v\": {\"public_key\": "
                                  "\"release.pub\"}}, \"model\": {\"signers\": [\"v\"]}}";
    expect_with(minimal, 0, 0, "policy+ model+ provenance+ dataset+ code+ base-model+", &res);
    assert_string_equal(reason(&res, "code"), "not required by the policy");
    ms_chain_result_clear(&res);

    /* Signed by a key the model signers do not include. */
    static const char wrong[] = "{\"version\": 1, \"keys\": {\"v\": {\"public_key\": "
                                "\"vendor.pub\"}}, \"model\": {\"signers\": [\"v\"]}}";
    expect_with(wrong, 0, MS_EVERIFY, "policy+ model- provenance+ dataset+ code+ base-model+",
                &res);
    assert_contains(reason(&res, "model"), "not signed by a key in policy.model.signers (v)");
    assert_false(res.has_digest);
    ms_chain_result_clear(&res);
    free(line);
}

static void test_malformed_claims(void **state)
{
    (void)state;
    ms_chain_result res;
    ms_policy *p = NULL;
    ms_error err;
    write_claims(pets_line, "garbage", NULL);
    assert_int_equal(
        ms_policy_parse((const uint8_t *)policy_text, strlen(policy_text), "p", dir, &p, &err), 0);
    assert_int_equal(ms_chain_verify(p, model, NULL, &res, &err), MS_EINPUT);
    assert_contains(err.message, "line 2");
    assert_int_equal(res.n_links, 0);
    ms_chain_result_clear(&res);
    ms_policy_free(p);
    unlink(claims);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_chain),
        cmocka_unit_test(test_untrusted_provenance),
        cmocka_unit_test(test_allow_lists),
        cmocka_unit_test(test_two_provenances),
        cmocka_unit_test(test_dataset_and_code),
        cmocka_unit_test(test_base_models),
        cmocka_unit_test(test_policy_and_model_links),
        cmocka_unit_test(test_malformed_claims),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
