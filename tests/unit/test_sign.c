/* Unit tests for signing and verification (sign.c, verify.c): round trips with each key kind
 * and with a certificate chain, the OMS release vectors, and refusals. */
#include "unit.h"

#include "format/dsse_json.h"
#include "modelseal/modelseal.h"

static const char *vectors(void)
{
    const char *v = getenv("MS_VECTORS");
    return v && *v ? v : "tests/vectors";
}

static void make_model(char *dir)
{
    unit_tmpdir(dir);
    unit_write(dir, "weights.bin", "0123456789abcdef", 16);
    unit_write(dir, "sub/config.json", "{}", 2);
}

static ms_manifest *build(const char *dir, ms_method method)
{
    ms_serialization ser;
    ms_manifest *m = NULL;
    ms_error err;
    ms_serialization_init(&ser);
    ser.method = method;
    ser.shard_size = 8;
    assert_int_equal(ms_sign_record_ignores(&ser, 0, NULL), 0);
    assert_int_equal(ms_manifest_build(dir, &ser, NULL, &m, &err), 0);
    ms_serialization_clear(&ser);
    return m;
}

static int verify(const char *dir, const ms_buf *bundle, const ms_key *key, ms_error *err)
{
    ms_verify_options opts;
    ms_verify_result res;
    memset(&opts, 0, sizeof opts);
    ms_trust trust = {.keys = &key, .n_keys = 1};
    int rc = ms_verify_model(dir, bundle->data, bundle->len, &trust, &opts, &res, err);
    ms_verify_result_clear(&res);
    return rc;
}

static void round_trip(ms_key_type type, ms_method method)
{
    char dir[PATH_MAX];
    ms_key *key = NULL, *other = NULL;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;
    make_model(dir);
    ms_manifest *m = build(dir, method);
    assert_int_equal(ms_key_generate(type, &key, &err), 0);
    assert_int_equal(ms_key_generate(type, &other, &err), 0);
    assert_int_equal(t_sign_manifest(m, key, NULL, 0, &bundle, &err), 0);
    assert_int_equal(verify(dir, &bundle, key, &err), 0);
    /* Another key: refused, naming the key hint the bundle carries. */
    assert_int_equal(verify(dir, &bundle, other, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "does not verify"));
    /* A changed byte: refused, naming the file. */
    unit_write(dir, "weights.bin", "0123456789abcdeX", 16);
    assert_int_equal(verify(dir, &bundle, key, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "(1 changed, 0 missing, 0 extra)"));
    unit_rmtree(dir);
    ms_manifest_free(m);
    ms_key_free(key);
    ms_key_free(other);
    msx_buf_free(&bundle);
}

static void test_round_trip_ed25519(void **state)
{
    (void)state;
    round_trip(MS_KEY_ED25519, MS_METHOD_FILES);
    round_trip(MS_KEY_ED25519, MS_METHOD_SHARDS);
}

static void test_round_trip_ecdsa(void **state)
{
    (void)state;
    round_trip(MS_KEY_ECDSA_P256, MS_METHOD_FILES);
    round_trip(MS_KEY_ECDSA_P384, MS_METHOD_SHARDS);
}

static void test_empty_model_refused(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    ms_key *key = NULL;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;
    unit_tmpdir(dir);
    ms_manifest *m = build(dir, MS_METHOD_FILES);
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &key, &err), 0);
    assert_int_equal(t_sign_manifest(m, key, NULL, 0, &bundle, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "no files"));
    assert_int_equal(t_sign_manifest(m, key, NULL, 1, &bundle, &err), 0);
    assert_int_equal(verify(dir, &bundle, key, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "covers no files"));
    msx_buf_free(&bundle);
    ms_manifest_free(m);
    ms_key_free(key);
    unit_rmtree(dir);
}

/* A statement too large for any verifier (over MS_DSSE_MAX_PAYLOAD, e.g. a model of a million
 * files) is refused as input, not reported as out of memory. */
static void test_oversized_statement_refused(void **state)
{
    (void)state;
    ms_key *key = NULL;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;
    size_t len = MS_DSSE_MAX_PAYLOAD + 1;
    uint8_t *payload = calloc(1, len);
    assert_non_null(payload);
    memset(payload, ' ', len);
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &key, &err), 0);
    assert_int_equal(t_sign_statement(payload, len, key, NULL, &bundle, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "over the limit of 67108864 bytes"));
    assert_null(bundle.data);
    free(payload);
    ms_key_free(key);
}

static ms_x509_chain *load_chain(const char *rel)
{
    char path[PATH_MAX];
    ms_x509_chain *c = NULL;
    ms_error err;
    snprintf(path, sizeof path, "%s/oms/model-transparency-releases/keys/certificate/%s", vectors(),
             rel);
    assert_int_equal(ms_x509_load_chain_file(path, &c, &err), 0);
    return c;
}

static void test_certificate_chain(void **state)
{
    (void)state;
    char dir[PATH_MAX], keypath[PATH_MAX];
    ms_key *key = NULL;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;
    ms_verify_options opts;
    ms_verify_result res;
    memset(&opts, 0, sizeof opts);
    snprintf(keypath, sizeof keypath,
             "%s/oms/model-transparency-releases/keys/certificate/signing-key.pem", vectors());
    assert_int_equal(ms_key_load_secret(keypath, NULL, NULL, &key, &err), 0);
    ms_x509_chain *leaf = load_chain("signing-key-cert.pem");
    ms_x509_chain *inter = load_chain("int-ca-cert.pem");
    ms_x509_chain *root = load_chain("ca-cert.pem");
    uint8_t *der;
    size_t len;
    assert_int_equal(ms_x509_chain_der(inter, 0, &der, &len), 0);
    assert_int_equal(ms_x509_chain_add_der(leaf, der, len, &err), 0);
    free(der);
    make_model(dir);
    ms_manifest *m = build(dir, MS_METHOD_FILES);
    assert_int_equal(t_sign_manifest(m, key, leaf, 0, &bundle, &err), 0);

    ms_trust trust = {.roots = root};
    assert_int_equal(ms_verify_model(dir, bundle.data, bundle.len, &trust, &opts, &res, &err), 0);
    assert_string_equal(res.signer.kind, "certificate");
    ms_verify_result_clear(&res);
    /* Expired at verification time. */
    trust.at_time = 2100000000; /* 2036 */
    assert_int_equal(ms_verify_model(dir, bundle.data, bundle.len, &trust, &opts, &res, &err),
                     MS_EVERIFY);
    assert_non_null(strstr(err.message, "expired"));
    ms_verify_result_clear(&res);
    /* A trusted key does not stand in for a certificate root. */
    ms_trust keys_only = {.keys = (const ms_key *const *)&key, .n_keys = 1};
    assert_int_equal(ms_verify_model(dir, bundle.data, bundle.len, &keys_only, &opts, &res, &err),
                     MS_EVERIFY);
    assert_non_null(strstr(err.message, "--certificate-chain"));
    ms_verify_result_clear(&res);
    /* An identity the certificate does not carry. */
    trust.at_time = 0;
    trust.identity = "someone@example.com";
    assert_int_equal(ms_verify_model(dir, bundle.data, bundle.len, &trust, &opts, &res, &err),
                     MS_EVERIFY);
    assert_non_null(strstr(err.message, "not someone@example.com"));
    ms_verify_result_clear(&res);
    /* A leaf for another key cannot sign. */
    ms_key *other = NULL;
    ms_buf b2 = MS_BUF_INIT;
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P384, &other, &err), 0);
    assert_int_equal(t_sign_manifest(m, other, leaf, 0, &b2, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "another key"));
    ms_key_free(other);
    msx_buf_free(&b2);

    msx_buf_free(&bundle);
    ms_manifest_free(m);
    ms_key_free(key);
    ms_x509_chain_free(leaf);
    ms_x509_chain_free(inter);
    ms_x509_chain_free(root);
    unit_rmtree(dir);
}

/* The model_signing v1.1.0 elliptic-key release verifies, ignoring nothing extra (it records
 * its ignore paths). */
static void test_release_vector(void **state)
{
    (void)state;
    char path[PATH_MAX + 32], model[PATH_MAX];
    ms_key *pub = NULL;
    ms_buf bundle = MS_BUF_INIT;
    ms_error err;
    snprintf(path, sizeof path,
             "%s/oms/model-transparency-releases/keys/certificate/signing-key-pub.pem", vectors());
    assert_int_equal(ms_key_load_public(path, &pub, &err), 0);
    snprintf(model, sizeof model, "%s/oms/model-transparency-releases/v1.1.0-elliptic-key",
             vectors());
    snprintf(path, sizeof path, "%s/model.sig", model);
    assert_int_equal(msx_file_read(path, MS_BUNDLE_MAX_SIZE, &bundle, &err), 0);
    assert_int_equal(verify(model, &bundle, pub, &err), 0);
    /* The same bytes with one payload character changed: the signature no longer holds. */
    char *p = strstr((char *)bundle.data, "\"payload\":\"");
    assert_non_null(p);
    p += 11;
    *p = *p == 'e' ? 'f' : 'e';
    assert_int_equal(verify(model, &bundle, pub, &err), MS_EVERIFY);
    msx_buf_free(&bundle);
    ms_key_free(pub);
}

/* Sigstore keyless releases: full Sigstore verification is later work, but the DSSE signature
 * must already verify with the key of the Fulcio leaf certificate the bundle carries. */
static void test_sigstore_vectors_dsse(void **state)
{
    (void)state;
    const char *dirs[] = {"v0.3.1-sigstore", "v1.0.0-sigstore", "v1.0.1-sigstore",
                          "v1.1.0-sigstore"};
    for (size_t d = 0; d < sizeof dirs / sizeof dirs[0]; d++) {
        char path[PATH_MAX + 64];
        ms_buf text = MS_BUF_INIT, pae = MS_BUF_INIT;
        ms_bundle *bundle = NULL;
        ms_x509_chain *chain = ms_x509_chain_new();
        ms_key *leaf = NULL;
        ms_error err;
        snprintf(path, sizeof path, "%s/oms/model-transparency-releases/%s/model.sig", vectors(),
                 dirs[d]);
        assert_int_equal(msx_file_read(path, MS_BUNDLE_MAX_SIZE, &text, &err), 0);
        assert_int_equal(ms_bundle_parse(text.data, text.len, &bundle, &err), 0);
        assert_true(ms_bundle_certificate_count(bundle) >= 1);
        size_t len;
        const uint8_t *der = ms_bundle_certificate(bundle, 0, &len);
        assert_int_equal(ms_x509_chain_add_der(chain, der, len, &err), 0);
        assert_int_equal(ms_x509_leaf_public_key(chain, &leaf, &err), 0);
        const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
        assert_int_equal(dsse_pae(env->payload_type, env->payload, env->payload_len, &pae), 0);
        assert_int_equal(ms_key_verify(leaf, pae.data, pae.len, env->signatures[0].sig,
                                       env->signatures[0].len, &err),
                         0);
        /* One changed payload byte and it no longer does. */
        pae.data[pae.len - 2] ^= 1;
        assert_int_equal(ms_key_verify(leaf, pae.data, pae.len, env->signatures[0].sig,
                                       env->signatures[0].len, &err),
                         MS_EVERIFY);
        ms_key_free(leaf);
        ms_x509_chain_free(chain);
        ms_bundle_free(bundle);
        msx_buf_free(&text);
        msx_buf_free(&pae);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_ed25519),
        cmocka_unit_test(test_round_trip_ecdsa),
        cmocka_unit_test(test_empty_model_refused),
        cmocka_unit_test(test_certificate_chain),
        cmocka_unit_test(test_release_vector),
        cmocka_unit_test(test_sigstore_vectors_dsse),
        cmocka_unit_test(test_oversized_statement_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
