/* Unit tests for artifact ("blob") signatures: opening an artifact or a digest operand,
 * message signatures made with P-256 and Ed25519 keys and verified from the file and from the
 * digest, in-toto statements checked against the artifact, managed-key bundles whose Rekor
 * entries are verified against the trusted root (sigstore-conformance vectors), and keyless
 * message-signature bundles; each change is refused by the check that names it. */
#include "config.h"

#include "unit.h"

#include <openssl/sha.h>

#include "modelseal/blob.h"
#include "modelseal/bundle.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#define A_TXT_SHA256 "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf"
#define CONFORMANCE_ID                                                                             \
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/"      \
    "workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
#define CONFORMANCE_ISSUER "https://token.actions.githubusercontent.com"

static void assert_error(int rc, int code, const ms_error *err, const char *needle)
{
    if (rc != code)
        fail_msg("rc %d, expected %d (%s)", rc, code, err->message);
    unit_assert_contains(err->message, needle);
}

static const char *vector(const char *rel, char path[PATH_MAX])
{
    return unit_path(path, unit_vectors_dir(), rel);
}

static void read_vector(const char *rel, ms_buf *out)
{
    char path[PATH_MAX];
    ms_error err;
    if (msx_file_read(vector(rel, path), MS_BUNDLE_MAX_SIZE, out, &err) != 0)
        fail_msg("%s: %s", path, err.message);
}

static ms_trusted_root *load_root(const char *rel)
{
    char path[PATH_MAX];
    ms_trusted_root *root = NULL;
    ms_error err;
    if (ms_trusted_root_load(vector(rel, path), &root, &err) != 0)
        fail_msg("%s", err.message);
    return root;
}

static void open_a_txt(ms_blob_artifact *a)
{
    char path[PATH_MAX];
    ms_error err;
    if (ms_blob_artifact_open(vector("conformance/bundle-verify/a.txt", path), a, &err) != 0)
        fail_msg("%s", err.message);
}

static void test_artifact_forms(void **state)
{
    (void)state;
    char dir[PATH_MAX], path[PATH_MAX];
    ms_blob_artifact a;
    ms_error err;
    unit_tmpdir(dir);
    unit_write_str(dir, "hello", "hello\n");
    assert_int_equal(ms_blob_artifact_open(unit_path(path, dir, "hello"), &a, &err), 0);
    assert_int_equal(a.len, 6);
    assert_memory_equal(a.data, "hello\n", 6);
    unit_assert_hex(a.sha256, 32,
                    "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    ms_blob_artifact_close(&a);
    assert_null(a.data);

    unit_write_str(dir, "empty", "");
    assert_int_equal(ms_blob_artifact_open(unit_path(path, dir, "empty"), &a, &err), 0);
    assert_int_equal(a.len, 0);
    assert_non_null(a.data);
    unit_assert_hex(a.sha256, 32,
                    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ms_blob_artifact_close(&a);

    assert_error(ms_blob_artifact_open(unit_path(path, dir, "missing"), &a, &err), MS_EINPUT, &err,
                 "missing: No such file");
    assert_error(ms_blob_artifact_open(dir, &a, &err), MS_EINPUT, &err, "not a regular file");

    assert_true(ms_blob_is_digest("sha256:" A_TXT_SHA256));
    assert_true(ms_blob_is_digest(
        "sha256:A0CFC71271D6E278E57CD332FF957C3F7043FDDA354C4CBB190A30D56EFA01BF"));
    assert_false(ms_blob_is_digest("sha256:" A_TXT_SHA256 "0"));
    assert_false(ms_blob_is_digest("sha512:" A_TXT_SHA256));
    assert_false(ms_blob_is_digest("sha256:a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d"
                                   "56efa01bg"));
    assert_int_equal(ms_blob_artifact_from_digest("sha256:" A_TXT_SHA256, &a, &err), 0);
    assert_null(a.data);
    unit_assert_hex(a.sha256, 32, A_TXT_SHA256);
    ms_blob_artifact_close(&a);
    assert_error(ms_blob_artifact_from_digest("sha256:abcd", &a, &err), MS_EINPUT, &err,
                 "not a digest of the form sha256:<64 hex digits>");
    unit_rmtree(dir);
}

static void test_statement(void **state)
{
    (void)state;
    uint8_t digest[32], other[32];
    ms_buf stmt = MS_BUF_INIT;
    ms_error err;
    unit_unhex(A_TXT_SHA256, digest, sizeof digest);
    memset(other, 0x11, sizeof other);
    read_vector("conformance/statement.json", &stmt);
    assert_int_equal(ms_blob_check_statement(stmt.data, stmt.len, digest, "s", &err), 0);
    assert_int_equal(ms_blob_check_statement(stmt.data, stmt.len, NULL, "s", &err), 0);
    assert_error(ms_blob_check_statement(stmt.data, stmt.len, other, "s", &err), MS_EVERIFY, &err,
                 "s: no subject has the artifact's digest sha256:1111");
    static const char *const bad[] = {
        "[1]",
        "{\"_type\":\"https://in-toto.io/Statement/v2\",\"subject\":[{\"digest\":{}}]}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\"}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[]}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"x\"}]}",
        "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{}],}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc =
            ms_blob_check_statement((const uint8_t *)bad[i], strlen(bad[i]), digest, "s", &err);
        if (rc != MS_EINPUT)
            fail_msg("statement %zu: rc %d (%s)", i, rc, err.message);
    }
    msx_buf_free(&stmt);
}

/* Sign a.txt with a fresh key of `type` and verify it: from the file, from the digest (P-256
 * only), with another key, over another artifact, with a forged signature. */
static void sign_and_verify(ms_key_type type)
{
    ms_key *key = NULL, *other = NULL;
    ms_blob_artifact a, digest_only, changed;
    ms_buf bundle = MS_BUF_INIT;
    ms_blob_result res;
    ms_error err;
    open_a_txt(&a);
    assert_int_equal(ms_blob_artifact_from_digest("sha256:" A_TXT_SHA256, &digest_only, &err), 0);
    memset(&changed, 0, sizeof changed);
    changed.data = (const uint8_t *)"b";
    changed.len = 1;
    SHA256(changed.data, 1, changed.sha256);
    assert_int_equal(ms_key_generate(type, &key, &err), 0);
    assert_int_equal(ms_key_generate(type, &other, &err), 0);
    assert_int_equal(t_blob_sign(&a, key, &bundle, &err), 0);

    ms_bundle *b = NULL;
    assert_int_equal(ms_bundle_parse(bundle.data, bundle.len, &b, &err), 0);
    const ms_message_signature *m = ms_bundle_message_signature(b);
    assert_non_null(m);
    assert_string_equal(m->digest_algorithm, "SHA2_256");
    unit_assert_hex(m->digest, m->digest_len, A_TXT_SHA256);
    char hint[65];
    assert_int_equal(ms_key_hint(key, hint), 0);
    assert_string_equal(ms_bundle_key_hint(b), hint);
    /* The signature is what ms_key_verify accepts over the artifact itself. */
    assert_int_equal(ms_key_verify(key, a.data, a.len, m->signature, m->signature_len, &err), 0);
    ms_bundle_free(b);

    ms_blob_trust trust = {.key = key};
    assert_int_equal(ms_blob_verify(bundle.data, bundle.len, &a, &trust, &res, &err), 0);
    assert_false(res.dsse);
    assert_string_equal(res.hint, hint);
    assert_null(res.identity);
    assert_int_equal(res.n_tlog_entries, 0);
    ms_blob_result_clear(&res);
    int rc = ms_blob_verify(bundle.data, bundle.len, &digest_only, &trust, &res, &err);
    if (type == MS_KEY_ED25519)
        assert_error(rc, MS_EINPUT, &err, "checked over the artifact itself, not its digest");
    else
        assert_int_equal(rc, 0);
    assert_error(ms_blob_verify(bundle.data, bundle.len, &changed, &trust, NULL, &err), MS_EVERIFY,
                 &err, "the bundle's message digest is not the artifact's SHA-256");
    ms_blob_trust wrong = {.key = other};
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &wrong, NULL, &err), MS_EVERIFY, &err,
                 "the message signature does not verify with the managed key");
    ms_blob_trust keyless = {.identity = "x", .issuer = "y"};
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &keyless, NULL, &err), MS_EINPUT, &err,
                 "keyless verification needs a trusted root");

    /* A public key cannot sign; an Ed25519 signature needs the bytes. */
    ms_buf ignored = MS_BUF_INIT;
    assert_error(t_blob_sign(&digest_only, key, &ignored, &err), MS_EINPUT, &err, "not its digest");
    msx_buf_free(&ignored);
    ms_blob_artifact_close(&a);
    ms_key_free(key);
    ms_key_free(other);
    msx_buf_free(&bundle);
}

static void test_sign_p256(void **state)
{
    (void)state;
    sign_and_verify(MS_KEY_ECDSA_P256);
}

static void test_sign_ed25519(void **state)
{
    (void)state;
    sign_and_verify(MS_KEY_ED25519);
}

static void test_sign_refuses(void **state)
{
    (void)state;
    ms_key *key = NULL, *pub = NULL;
    ms_blob_artifact a;
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    open_a_txt(&a);
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P384, &key, &err), 0);
    assert_error(t_blob_sign(&a, key, &out, &err), MS_EINPUT, &err,
                 "ECDSA P-256 or Ed25519 key, not ecdsa-p384");
    char *pem = ms_key_public_pem(key);
    assert_int_equal(ms_key_parse_public((const uint8_t *)pem, strlen(pem), &pub, &err), 0);
    assert_error(t_blob_sign(&a, pub, &out, &err), MS_EINPUT, &err, "not a public key");
    assert_int_equal(out.len, 0);
    free(pem);
    ms_key_free(pub);
    ms_key_free(key);
    ms_blob_artifact_close(&a);
    msx_buf_free(&out);
}

/* The conformance suite's managed-key bundles: a P-256 message signature with a Rekor v1
 * hashedrekord entry (and a TSA timestamp), verified against the trusted root. */
static void test_managed_key_with_log_entry(void **state)
{
    (void)state;
    ms_buf bundle = MS_BUF_INIT, pem = MS_BUF_INIT;
    ms_trusted_root *root = load_root("sigstore/sigstore.trusted_root.json");
    ms_trusted_root *staging = load_root("sigstore/sigstage.trusted_root.json");
    ms_key *key = NULL, *other = NULL;
    ms_blob_artifact a;
    ms_blob_result res;
    ms_error err;
    open_a_txt(&a);
    read_vector("conformance/bundle-verify/managed-key-happy-path/bundle.sigstore.json", &bundle);
    read_vector("conformance/bundle-verify/managed-key-happy-path/key.pub", &pem);
    assert_int_equal(ms_key_parse_public(pem.data, pem.len, &key, &err), 0);
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P256, &other, &err), 0);

    ms_blob_trust trust = {.key = key, .root = root};
    assert_int_equal(ms_blob_verify(bundle.data, bundle.len, &a, &trust, &res, &err), 0);
    assert_int_equal(res.n_tlog_entries, 1);
    assert_int_equal(res.n_timestamps, 2); /* the signed entry timestamp and the TSA's */
    assert_int_equal(res.signing_time, 1766077479);
    ms_blob_result_clear(&res);

    /* The log entry must be checked: no trusted root, another instance's root, another key. */
    trust.root = NULL;
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &trust, NULL, &err), MS_EINPUT, &err,
                 "checking them needs a trusted root");
    trust.root = staging;
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &trust, NULL, &err), MS_EVERIFY, &err,
                 "is not in the trusted root");
    trust.root = root;
    trust.key = other;
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &trust, NULL, &err), MS_EVERIFY, &err,
                 "sigstore tlog entry: the logged public key is not this bundle's");

    /* The same bundle verified by identity is refused: it has no certificate. */
    ms_blob_trust keyless = {
        .identity = CONFORMANCE_ID, .issuer = CONFORMANCE_ISSUER, .root = root};
    assert_error(ms_blob_verify(bundle.data, bundle.len, &a, &keyless, NULL, &err), MS_EVERIFY,
                 &err, "signed with a managed key, not with a certificate");

    ms_blob_artifact_close(&a);
    ms_key_free(key);
    ms_key_free(other);
    ms_trusted_root_free(root);
    ms_trusted_root_free(staging);
    msx_buf_free(&bundle);
    msx_buf_free(&pem);
}

/* Keyless: a message signature bundle (Rekor v1 hashedrekord) and a DSSE one, by identity. */
static void test_keyless(void **state)
{
    (void)state;
    ms_buf msg = MS_BUF_INIT, dsse = MS_BUF_INIT;
    ms_trusted_root *root = load_root("sigstore/sigstore.trusted_root.json");
    ms_blob_artifact a, digest_only, other;
    ms_blob_result res;
    ms_error err;
    open_a_txt(&a);
    assert_int_equal(ms_blob_artifact_from_digest("sha256:" A_TXT_SHA256, &digest_only, &err), 0);
    memset(&other, 0, sizeof other);
    memset(other.sha256, 0x22, sizeof other.sha256);
    read_vector("conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json", &msg);
    read_vector("conformance/bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
                &dsse);
    ms_blob_trust trust = {.identity = CONFORMANCE_ID, .issuer = CONFORMANCE_ISSUER, .root = root};
    assert_int_equal(ms_blob_verify(msg.data, msg.len, &a, &trust, &res, &err), 0);
    assert_false(res.dsse);
    assert_string_equal(res.identity, CONFORMANCE_ID);
    assert_string_equal(res.issuer, CONFORMANCE_ISSUER);
    assert_true(res.signing_time > 0);
    ms_blob_result_clear(&res);
    assert_int_equal(ms_blob_verify(msg.data, msg.len, &digest_only, &trust, NULL, &err), 0);
    assert_int_equal(ms_blob_verify(dsse.data, dsse.len, &digest_only, &trust, &res, &err), 0);
    assert_true(res.dsse);
    ms_blob_result_clear(&res);
    assert_error(ms_blob_verify(dsse.data, dsse.len, &other, &trust, NULL, &err), MS_EVERIFY, &err,
                 "the signed statement: no subject has the artifact's digest");
    assert_error(ms_blob_verify(msg.data, msg.len, &other, &trust, NULL, &err), MS_EVERIFY, &err,
                 "message digest is not the artifact's");
    trust.identity = "someone@example.com";
    assert_error(ms_blob_verify(msg.data, msg.len, &a, &trust, NULL, &err), MS_EVERIFY, &err,
                 "sigstore certificate identity");
    trust.identity = CONFORMANCE_ID;
    trust.issuer = "https://accounts.google.com";
    assert_error(ms_blob_verify(msg.data, msg.len, &a, &trust, NULL, &err), MS_EVERIFY, &err,
                 "sigstore certificate issuer");
    ms_blob_trust none = {.root = root};
    assert_error(ms_blob_verify(msg.data, msg.len, &a, &none, NULL, &err), MS_EINPUT, &err,
                 "needs a key, or an identity and an issuer");
    assert_error(ms_blob_verify((const uint8_t *)"{", 1, &a, &trust, NULL, &err), MS_EINPUT, &err,
                 "bundle");
    ms_blob_artifact_close(&a);
    ms_trusted_root_free(root);
    msx_buf_free(&msg);
    msx_buf_free(&dsse);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_artifact_forms), cmocka_unit_test(test_statement),
        cmocka_unit_test(test_sign_p256),      cmocka_unit_test(test_sign_ed25519),
        cmocka_unit_test(test_sign_refuses),   cmocka_unit_test(test_managed_key_with_log_entry),
        cmocka_unit_test(test_keyless),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
