/* Unit tests for bundle: every model_signing release signature and OMS spec vector, refusals of
 * malformed and hostile bundles, and building + serializing our own. */
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

#include "format/bundle_json.h"
#include "format/statement_json.h"
#include "modelseal/bundle.h"
#include "modelseal/statement.h"
#include "util/encoding.h"
#include "util/fs.h"

#define ROOT_DIR "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"
#define ROOT_ONE "afa48c8674afe334b8a7dea34f7b46ab256e9255edf8da2132792341b667a45b"
#define ROOT_KEY "92745110b1ab4368471cbe31664e10174e954b113a3df333db860317b2c6dec4"
#define HINT "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"
#define NO_TLOG (-1)

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

static void read_vector(const char *rel, ms_buf *out)
{
    char path[1024];
    ms_error err;
    snprintf(path, sizeof(path), "%s/oms/%s", vectors_dir(), rel);
    if (msx_file_read(path, MS_BUNDLE_MAX_SIZE, out, &err) != 0)
        fail_msg("%s: %s", path, err.message);
}

typedef struct expected {
    const char *file;
    ms_bundle_material kind;
    size_t n_certs;
    const char *hint;  /* NULL: none */
    int raw_key;       /* legacy publicKey.rawBytes present */
    const char *keyid; /* NULL: absent or null */
    int tlog;          /* NO_TLOG: no tlogEntries field */
    int timestamps;
    const char *subject; /* NULL: legacy */
    const char *digest;  /* NULL: legacy */
    size_t n_resources;
    const char *first_resource;
} expected;

static void check_vector(const expected *e)
{
    ms_buf text = MS_BUF_INIT;
    ms_error err;
    ms_bundle *b = NULL;
    ms_statement *st = NULL;
    read_vector(e->file, &text);
    if (ms_bundle_parse(text.data, text.len, &b, &err) != 0)
        fail_msg("%s: %s", e->file, err.message);
    assert_string_equal(ms_bundle_media_type(b), MS_BUNDLE_MEDIA_TYPE_V03);
    assert_int_equal(ms_bundle_material_kind(b), e->kind);
    assert_int_equal(ms_bundle_certificate_count(b), e->n_certs);
    for (size_t i = 0; i < e->n_certs; i++) {
        size_t len = 0;
        const uint8_t *der = ms_bundle_certificate(b, i, &len);
        assert_true(len > 100);
        assert_int_equal(der[0], 0x30); /* DER SEQUENCE */
    }
    assert_null(ms_bundle_certificate(b, e->n_certs, NULL));
    if (e->hint)
        assert_string_equal(ms_bundle_key_hint(b), e->hint);
    else
        assert_null(ms_bundle_key_hint(b));
    size_t raw_len = 0;
    const uint8_t *raw = ms_bundle_public_key_raw(b, &raw_len);
    if (e->raw_key) {
        assert_non_null(raw);
        assert_int_equal(memcmp(raw, "-----BEGIN PUBLIC KEY-----", 26), 0);
        assert_string_equal(ms_bundle_key_details(b), "PKIX_ECDSA_P384_SHA_384");
    } else {
        assert_null(raw);
    }
    const cJSON *tlog = bundle_tlog_entries(b);
    if (e->tlog == NO_TLOG)
        assert_null(tlog);
    else
        assert_int_equal(cJSON_GetArraySize(tlog), e->tlog);
    assert_int_equal(bundle_timestamp_data(b) != NULL, e->timestamps);
    assert_null(ms_bundle_message_signature(b));

    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    assert_non_null(env);
    assert_string_equal(env->payload_type, MS_DSSE_INTOTO_PAYLOAD_TYPE);
    assert_int_equal(env->n_signatures, 1);
    assert_true(env->signatures[0].len >= 64);
    if (e->keyid)
        assert_string_equal(env->signatures[0].keyid, e->keyid);
    else
        assert_null(env->signatures[0].keyid);

    if (ms_statement_parse(env->payload, env->payload_len, &st, &err) != 0)
        fail_msg("%s: %s", e->file, err.message);
    char hex[65];
    msx_hex_encode(st->subject_digest, 32, hex);
    if (e->subject) {
        assert_int_equal(st->legacy, 0);
        assert_string_equal(st->subject_name, e->subject);
        assert_string_equal(hex, e->digest);
        assert_string_equal(st->manifest->model_name, e->subject);
    } else {
        assert_int_equal(st->legacy, 1);
        assert_null(st->subject_name);
    }
    assert_int_equal(st->manifest->n_resources, e->n_resources);
    assert_string_equal(st->manifest->resources[0].name, e->first_resource);
    /* What model_signing signed is consistent: the subject is the root over the resources. */
    assert_memory_equal(st->manifest->root_digest, st->subject_digest, 32);
    ms_statement_free(st);
    ms_bundle_free(b);
    msx_buf_free(&text);
}

static void test_release_vectors(void **state)
{
    (void)state;
    static const expected releases[] = {
        {"model-transparency-releases/v0.2.0-certificate/model.sig", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, NULL, NO_TLOG, 0, NULL, NULL, 2, "signme-1"},
        {"model-transparency-releases/v0.3.1-certificate/model.sig", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, NULL, NO_TLOG, 0, "v0.3.1-certificate", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v0.3.1-elliptic-key/model.sig", MS_MATERIAL_PUBLIC_KEY, 0,
         NULL, 1, NULL, NO_TLOG, 0, "signme-1", ROOT_ONE, 1, "."},
        {"model-transparency-releases/v0.3.1-sigstore/model.sig", MS_MATERIAL_CERTIFICATE, 1, NULL,
         0, NULL, 1, 1, "v0.3.1-sigstore", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.0.0-certificate/model.sig", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, NULL, NO_TLOG, 0, "v1.0.0-certificate", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.0.0-elliptic-key/model.sig", MS_MATERIAL_PUBLIC_KEY, 0,
         NULL, 1, NULL, NO_TLOG, 0, "signme-1", ROOT_ONE, 1, "."},
        {"model-transparency-releases/v1.0.0-sigstore/model.sig", MS_MATERIAL_CERTIFICATE, 1, NULL,
         0, NULL, 1, 1, "v1.0.0-sigstore", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.0.1-certificate/model.sig", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, NULL, NO_TLOG, 0, "v1.0.1-certificate", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.0.1-elliptic-key/model.sig", MS_MATERIAL_PUBLIC_KEY, 0,
         NULL, 1, NULL, NO_TLOG, 0, "v1.0.1-elliptic-key", ROOT_KEY, 2, "signme-1"},
        {"model-transparency-releases/v1.0.1-sigstore/model.sig", MS_MATERIAL_CERTIFICATE, 1, NULL,
         0, NULL, 1, 1, "v1.0.1-sigstore", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.1.0-certificate/model.sig", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, "", 0, 0, "v1.1.0-certificate", ROOT_DIR, 2, "signme-1"},
        {"model-transparency-releases/v1.1.0-elliptic-key/model.sig", MS_MATERIAL_PUBLIC_KEY, 0,
         HINT, 0, "", 0, 0, "v1.1.0-elliptic-key", ROOT_KEY, 2, "signme-1"},
        {"model-transparency-releases/v1.1.0-sigstore/model.sig", MS_MATERIAL_CERTIFICATE, 1, NULL,
         0, NULL, 1, 1, "v1.1.0-sigstore", ROOT_DIR, 2, "signme-1"},
    };
    for (size_t i = 0; i < sizeof(releases) / sizeof(releases[0]); i++)
        check_vector(&releases[i]);
}

static void test_spec_valid_vectors(void **state)
{
    (void)state;
    static const expected valid[] = {
        {"spec-v1.0/test-vectors/v1.0/valid/key.bundle.json", MS_MATERIAL_PUBLIC_KEY, 0, HINT, 0,
         "", 0, 0, "model", ROOT_KEY, 2, "signme-1"},
        {"spec-v1.0/test-vectors/v1.0/valid/certificate.bundle.json", MS_MATERIAL_X509_CHAIN, 2,
         NULL, 0, "", 0, 0, "model", ROOT_KEY, 2, "signme-1"},
        {"spec-v1.0/test-vectors/v1.0/valid/sigstore.bundle.json", MS_MATERIAL_CERTIFICATE, 1, NULL,
         0, NULL, 1, 1, "v1.1.0-sigstore", ROOT_DIR, 2, "signme-1"},
    };
    for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
        check_vector(&valid[i]);
}

static void test_spec_invalid_vectors(void **state)
{
    (void)state;
    static const struct {
        const char *file;
        const char *needle;
    } invalid[] = {
        {"spec-v1.0/test-vectors/v1.0/invalid/empty.bundle.json", "bundle: empty"},
        {"spec-v1.0/test-vectors/v1.0/invalid/missing-envelope.bundle.json",
         "bundle: neither dsseEnvelope nor messageSignature"},
        {"spec-v1.0/test-vectors/v1.0/invalid/missing-verification-material.bundle.json",
         "bundle verificationMaterial: missing"},
        {"spec-v1.0/test-vectors/v1.0/invalid/missing-tlog-entries.bundle.json",
         "bundle verificationMaterial.tlogEntries: missing"},
    };
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        ms_buf text = MS_BUF_INIT;
        ms_error err;
        ms_bundle *b = NULL;
        read_vector(invalid[i].file, &text);
        assert_error(ms_bundle_parse(text.data, text.len, &b, &err), MS_EINPUT, &err,
                     invalid[i].needle);
        assert_null(b);
        msx_buf_free(&text);
    }

    /* The wrong predicate is a well-formed bundle; its statement is refused. */
    ms_buf text = MS_BUF_INIT;
    ms_error err;
    ms_bundle *b = NULL;
    ms_statement *st = NULL;
    read_vector("spec-v1.0/test-vectors/v1.0/invalid-payload/wrong-predicate.bundle.json", &text);
    assert_int_equal(ms_bundle_parse(text.data, text.len, &b, &err), 0);
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    assert_error(
        ms_statement_parse(env->payload, env->payload_len, &st, &err), MS_EINPUT, &err,
        "statement: unsupported predicateType \"https://example.com/wrong-predicate/v1.0\"");
    assert_null(st);
    ms_bundle_free(b);
    msx_buf_free(&text);
}

/* Parsing then serializing model_signing 1.1's key and certificate bundles gives their bytes. */
static void test_reserialize_is_identical(void **state)
{
    (void)state;
    static const char *files[] = {
        "model-transparency-releases/v1.1.0-elliptic-key/model.sig",
        "model-transparency-releases/v1.1.0-certificate/model.sig",
        "spec-v1.0/test-vectors/v1.0/valid/key.bundle.json",
    };
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        ms_buf text = MS_BUF_INIT, out = MS_BUF_INIT;
        ms_error err;
        ms_bundle *b = NULL;
        read_vector(files[i], &text);
        assert_int_equal(ms_bundle_parse(text.data, text.len, &b, &err), 0);
        assert_int_equal(bundle_serialize(b, &out, &err), 0);
        if (i < 2) {
            assert_int_equal(out.len, text.len);
            assert_memory_equal(out.data, text.data, text.len);
        } else {
            /* The spec vector is pretty-printed: compare by content. */
            cJSON *x = cJSON_ParseWithLength((const char *)text.data, text.len);
            cJSON *y = cJSON_ParseWithLength((const char *)out.data, out.len);
            assert_true(cJSON_Compare(x, y, 1));
            cJSON_Delete(x);
            cJSON_Delete(y);
        }
        ms_bundle_free(b);
        msx_buf_free(&text);
        msx_buf_free(&out);
    }
}

#define MT "\"mediaType\":\"" MS_BUNDLE_MEDIA_TYPE_V03 "\""
#define KEY_VM "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"ab\"}}"
#define ENV                                                                                        \
    "\"dsseEnvelope\":{\"payload\":\"aGVsbG8=\",\"payloadType\":\"application/vnd.in-toto+json\"," \
    "\"signatures\":[{\"sig\":\"AQID\"}]}"
#define MSG                                                                                        \
    "\"messageSignature\":{\"messageDigest\":{\"algorithm\":\"SHA2_256\",\"digest\":\"AQID\"},"    \
    "\"signature\":\"BAUG\"}"
#define CERT "{\"rawBytes\":\"MIIB\"}"

static void test_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *needle;
    } cases[] = {
        {"{" KEY_VM "," ENV "}", "bundle mediaType: missing"},
        {"{\"mediaType\":\"application/json\"," KEY_VM "," ENV "}",
         "bundle mediaType: unsupported \"application/json\""},
        {"{\"mediaType\":3," KEY_VM "," ENV "}", "bundle mediaType: not a string"},
        {"{" MT "," KEY_VM "," ENV "," MSG "}", "bundle: both dsseEnvelope and messageSignature"},
        {"{" MT "," KEY_VM "}", "bundle: neither dsseEnvelope nor messageSignature"},
        {"{" MT "," ENV "}", "bundle verificationMaterial: missing"},
        {"{" MT ",\"verificationMaterial\":[]," ENV "}",
         "bundle verificationMaterial: not an object"},
        {"{" MT ",\"verificationMaterial\":{\"tlogEntries\":[]}," ENV "}",
         "bundle verificationMaterial: none of publicKey, x509CertificateChain, certificate"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{},\"certificate\":" CERT "}," ENV "}",
         "bundle verificationMaterial: more than one of"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{\"hint\":1}}," ENV "}",
         "bundle verificationMaterial.publicKey.hint: not a string"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{\"rawBytes\":\"LS0t=\"}}," ENV "}",
         "bundle verificationMaterial.publicKey.rawBytes: not valid base64"},
        {"{" MT ",\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":[]}}," ENV
         "}",
         "bundle verificationMaterial.x509CertificateChain.certificates: empty"},
        {"{" MT ",\"verificationMaterial\":{\"x509CertificateChain\":{}}," ENV "}",
         "bundle verificationMaterial.x509CertificateChain.certificates: missing"},
        {"{" MT ",\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":[" CERT
         ",{\"rawBytes\":\"M!IB\"}]}}," ENV "}",
         "bundle verificationMaterial.x509CertificateChain.certificates[1].rawBytes: not valid "
         "base64"},
        {"{" MT ",\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":[{}]}}," ENV
         "}",
         "certificates[0].rawBytes: missing"},
        {"{" MT ",\"verificationMaterial\":{\"certificate\":" CERT "}," ENV "}",
         "bundle verificationMaterial.tlogEntries: missing; a Sigstore certificate bundle needs"},
        {"{" MT ",\"verificationMaterial\":{\"certificate\":" CERT ",\"tlogEntries\":[]}," ENV "}",
         "bundle verificationMaterial.tlogEntries: empty"},
        {"{" MT
         ",\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"\"},\"tlogEntries\":[{}]}," ENV
         "}",
         "bundle verificationMaterial.certificate.rawBytes: empty"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{},\"tlogEntries\":{}}," ENV "}",
         "bundle verificationMaterial.tlogEntries: not an array"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{},\"tlogEntries\":[1]}," ENV "}",
         "bundle verificationMaterial.tlogEntries: an entry is not an object"},
        {"{" MT ",\"verificationMaterial\":{\"publicKey\":{},\"timestampVerificationData\":[]}," ENV
         "}",
         "bundle verificationMaterial.timestampVerificationData: not an object"},
        {"{" MT "," KEY_VM
         ",\"dsseEnvelope\":{\"payload\":\"aGVsbG8\",\"payloadType\":\"application/"
         "vnd.in-toto+json\",\"signatures\":[{\"sig\":\"AQID\"}]}}",
         "dsseEnvelope.payload: not valid base64"},
        {"{" MT "," KEY_VM
         ",\"dsseEnvelope\":{\"payload\":\"aGVsbG8=\",\"payloadType\":\"text/plain\","
         "\"signatures\":[{\"sig\":\"AQID\"}]}}",
         "bundle dsseEnvelope.payloadType: \"text/plain\", expected application/vnd.in-toto+json"},
        {"{" MT "," KEY_VM ",\"messageSignature\":{\"signature\":\"B AUG\"}}",
         "bundle messageSignature.signature: not valid base64"},
        {"{" MT "," KEY_VM ",\"messageSignature\":{}}",
         "bundle messageSignature.signature: missing"},
        {"{" MT "," KEY_VM "," ENV "} x", "bundle: trailing data after JSON"},
        {"{" MT "," MT "," KEY_VM "," ENV "}", "bundle: duplicate JSON key \"mediaType\""},
        {"hello", "bundle: not valid JSON"},
        {"["
         "{" MT "," KEY_VM "," ENV "}"
         "]",
         "bundle: not a JSON object"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ms_error err;
        ms_bundle *b = NULL;
        int rc = ms_bundle_parse((const uint8_t *)cases[i].json, strlen(cases[i].json), &b, &err);
        if (rc != MS_EINPUT || !strstr(err.message, cases[i].needle))
            fail_msg("case %zu: rc %d \"%s\" lacks \"%s\"", i, rc, err.message, cases[i].needle);
        assert_null(b);
    }
}

static void test_hostile_sizes(void **state)
{
    (void)state;
    ms_error err;
    ms_bundle *b = NULL;

    /* Truncated real bundle. */
    ms_buf text = MS_BUF_INIT;
    read_vector("model-transparency-releases/v1.1.0-sigstore/model.sig", &text);
    for (size_t cut = 1; cut < text.len; cut += text.len / 7) {
        assert_error(ms_bundle_parse(text.data, cut, &b, &err), MS_EINPUT, &err,
                     "bundle: not valid JSON");
        assert_null(b);
    }
    msx_buf_free(&text);

    /* A 200 MiB claim is refused on its length alone: nothing past the first byte is read. */
    static const uint8_t one[1] = {'{'};
    assert_error(ms_bundle_parse(one, (size_t)200 << 20, &b, &err), MS_EINPUT, &err,
                 "bundle: larger than 134217728 bytes");

    /* 100,000 levels of nesting: refused quickly, no deep recursion. */
    size_t depth = 100000;
    char *deep = malloc(3 * depth + 16);
    assert_non_null(deep);
    size_t n = 0;
    for (size_t i = 0; i < depth; i++) {
        memcpy(deep + n, i % 2 ? "[" : "{\"a\":", i % 2 ? 1 : 5);
        n += i % 2 ? 1 : 5;
    }
    clock_t t0 = clock();
    assert_error(ms_bundle_parse((const uint8_t *)deep, n, &b, &err), MS_EINPUT, &err,
                 "bundle: JSON nested deeper than 64");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    free(deep);
}

static void test_message_signature_and_media_types(void **state)
{
    (void)state;
    ms_error err;
    ms_bundle *b = NULL;
    const char *v01 =
        "{\"mediaType\":\"" MS_BUNDLE_MEDIA_TYPE_V01 "\",\"verificationMaterial\":{"
        "\"x509CertificateChain\":{\"certificates\":[" CERT "]},\"tlogEntries\":[{}]}," MSG "}";
    assert_int_equal(ms_bundle_parse((const uint8_t *)v01, strlen(v01), &b, &err), 0);
    assert_string_equal(ms_bundle_media_type(b), MS_BUNDLE_MEDIA_TYPE_V01);
    assert_null(ms_bundle_envelope(b));
    const ms_message_signature *m = ms_bundle_message_signature(b);
    assert_non_null(m);
    assert_string_equal(m->digest_algorithm, "SHA2_256");
    assert_int_equal(m->digest_len, 3);
    assert_memory_equal(m->signature, "\x04\x05\x06", 3);
    size_t len = 0;
    assert_memory_equal(ms_bundle_certificate(b, 0, &len), "\x30\x82\x01", 3);
    assert_int_equal(len, 3);
    ms_buf out = MS_BUF_INIT;
    assert_int_equal(bundle_serialize(b, &out, &err), 0);
    assert_string_equal((const char *)out.data,
                        "{\"mediaType\":\"" MS_BUNDLE_MEDIA_TYPE_V01 "\",\"verificationMaterial\":{"
                        "\"x509CertificateChain\":{\"certificates\":[" CERT
                        "]},\"tlogEntries\":[{}]}," MSG "}");
    msx_buf_free(&out);
    ms_bundle_free(b);

    const char *v02 = "{\"mediaType\":\"" MS_BUNDLE_MEDIA_TYPE_V02 "\"," KEY_VM "," ENV "}";
    assert_int_equal(ms_bundle_parse((const uint8_t *)v02, strlen(v02), &b, &err), 0);
    assert_string_equal(ms_bundle_media_type(b), MS_BUNDLE_MEDIA_TYPE_V02);
    assert_string_equal(ms_bundle_key_hint(b), "ab");
    ms_bundle_free(b);
    ms_bundle_free(NULL);
}

static ms_manifest *small_manifest(void)
{
    ms_manifest *m = ms_manifest_new();
    assert_non_null(m);
    m->model_name = strdup("tiny");
    m->resources = calloc(2, sizeof(*m->resources));
    assert_non_null(m->resources);
    m->n_resources = 2;
    m->resources[0].name = strdup("config.json");
    memset(m->resources[0].digest, 0xab, 32);
    m->resources[0].digest_len = 32;
    m->resources[1].name = strdup("weights/model.bin");
    memset(m->resources[1].digest, 0xcd, 32);
    m->resources[1].digest_len = 32;
    assert_int_equal(ms_manifest_root(m->resources, 2, m->root_digest), 0);
    return m;
}

/* manifest -> statement -> envelope -> bundle -> bytes -> bundle -> statement: same fields. */
/* A messageSignature bundle built here: exact JSON, read back, and its refusals. */
static void test_new_message(void **state)
{
    (void)state;
    const uint8_t digest[4] = {1, 2, 3, 4}, sig[3] = {0xfb, 0xff, 0x00};
    ms_bundle *b = NULL, *back = NULL;
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(ms_bundle_new_message("SHA2_256", digest, 4, sig, 3, &b, &err), 0);
    assert_int_equal(bundle_serialize(b, &out, &err), MS_EINPUT); /* no material yet */
    assert_int_equal(ms_bundle_set_key_hint(b, HINT, &err), 0);
    assert_int_equal(bundle_serialize(b, &out, &err), 0);
    assert_string_equal((const char *)out.data,
                        "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
                        "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"" HINT "\"},"
                        "\"tlogEntries\":[]},\"messageSignature\":{\"messageDigest\":{"
                        "\"algorithm\":\"SHA2_256\",\"digest\":\"AQIDBA==\"},"
                        "\"signature\":\"+/8A\"}}");
    assert_int_equal(ms_bundle_parse(out.data, out.len, &back, &err), 0);
    const ms_message_signature *m = ms_bundle_message_signature(back);
    assert_non_null(m);
    assert_null(ms_bundle_envelope(back));
    assert_string_equal(m->digest_algorithm, "SHA2_256");
    assert_int_equal(m->digest_len, 4);
    assert_memory_equal(m->digest, digest, 4);
    assert_int_equal(m->signature_len, 3);
    assert_memory_equal(m->signature, sig, 3);
    ms_bundle_free(back);
    ms_bundle_free(b);
    msx_buf_free(&out);

    b = NULL;
    assert_int_equal(ms_bundle_new_message("", digest, 4, sig, 3, &b, &err), MS_EINPUT);
    assert_int_equal(ms_bundle_new_message("SHA2_256", digest, 0, sig, 3, &b, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "messageDigest: empty"));
    assert_int_equal(ms_bundle_new_message("SHA2_256", digest, 4, sig, 0, &b, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "signature: empty"));
    assert_int_equal(
        ms_bundle_new_message("SHA2_256", digest, 4, sig, MS_DSSE_MAX_SIGNATURE + 1, &b, &err),
        MS_EINPUT);
    assert_non_null(strstr(err.message, "signature: too large"));
    assert_null(b);
}

static void test_round_trip(void **state)
{
    (void)state;
    ms_error err;
    ms_buf payload = MS_BUF_INIT, out = MS_BUF_INIT;
    ms_manifest *m = small_manifest();
    assert_int_equal(statement_build(m, &payload, &err), 0);
    ms_dsse_envelope *env =
        ms_dsse_envelope_new(MS_DSSE_INTOTO_PAYLOAD_TYPE, payload.data, payload.len);
    assert_non_null(env);
    const uint8_t sig[4] = {1, 2, 3, 4};
    assert_int_equal(ms_dsse_envelope_add_signature(env, sig, 4, NULL, &err), 0);

    for (int kind = 0; kind < 3; kind++) {
        ms_bundle *b = NULL, *back = NULL;
        ms_statement *st = NULL;
        assert_int_equal(ms_bundle_new_dsse(env, &b, &err), 0);
        assert_error(bundle_serialize(b, &out, &err), MS_EINPUT, &err,
                     "bundle: no verification material");
        const uint8_t leaf[3] = {0x30, 0x01, 0x00}, ca[4] = {0x30, 0x02, 0x05, 0x00};
        const uint8_t *ders[2] = {leaf, ca};
        const size_t lens[2] = {3, 4};
        if (kind == 0) {
            assert_int_equal(ms_bundle_set_key_hint(b, HINT, &err), 0);
        } else if (kind == 1) {
            assert_int_equal(ms_bundle_set_chain(b, ders, lens, 2, &err), 0);
        } else {
            cJSON *tlog = cJSON_Parse("[{\"logIndex\":\"7\"}]");
            cJSON *ts = cJSON_Parse("{\"rfc3161Timestamps\":[]}");
            assert_int_equal(ms_bundle_set_certificate(b, leaf, 3, &err), 0);
            assert_int_equal(bundle_set_tlog_entries(b, tlog, &err), 0);
            assert_int_equal(bundle_set_timestamp_data(b, ts, &err), 0);
            assert_error(bundle_set_tlog_entries(b, ts, &err), MS_EINPUT, &err,
                         "tlogEntries: not an array");
            cJSON_Delete(tlog);
            cJSON_Delete(ts);
        }
        assert_int_equal(bundle_serialize(b, &out, &err), 0);
        const char *text = (const char *)out.data;
        assert_null(strchr(text, '\n'));
        static const char *const starts[3] = {
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
            "\"verificationMaterial\":{\"publicKey\":{\"hint\":\"" HINT "\"},\"tlogEntries\":[]},"
            "\"dsseEnvelope\":{\"payload\":\"",
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
            "\"verificationMaterial\":{\"x509CertificateChain\":{\"certificates\":["
            "{\"rawBytes\":\"MAEA\"},{\"rawBytes\":\"MAIFAA==\"}]},\"tlogEntries\":[]},"
            "\"dsseEnvelope\":{\"payload\":\"",
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\","
            "\"verificationMaterial\":{\"certificate\":{\"rawBytes\":\"MAEA\"},\"tlogEntries\":"
            "[{\"logIndex\":\"7\"}],\"timestampVerificationData\":{\"rfc3161Timestamps\":[]}},"
            "\"dsseEnvelope\":{\"payload\":\"",
        };
        if (strncmp(text, starts[kind], strlen(starts[kind])) != 0)
            fail_msg("kind %d: %s", kind, text);
        const char *tail = "\",\"payloadType\":\"application/vnd.in-toto+json\",\"signatures\":"
                           "[{\"sig\":\"AQIDBA==\",\"keyid\":\"\"}]}}";
        assert_true(out.len > strlen(tail));
        assert_string_equal(text + out.len - strlen(tail), tail);

        assert_int_equal(ms_bundle_parse(out.data, out.len, &back, &err), 0);
        assert_int_equal(ms_bundle_material_kind(back), kind == 0   ? MS_MATERIAL_PUBLIC_KEY
                                                        : kind == 1 ? MS_MATERIAL_X509_CHAIN
                                                                    : MS_MATERIAL_CERTIFICATE);
        assert_int_equal(ms_bundle_certificate_count(back), kind == 0 ? 0 : kind == 1 ? 2 : 1);
        const ms_dsse_envelope *e2 = ms_bundle_envelope(back);
        assert_int_equal(e2->payload_len, payload.len);
        assert_memory_equal(e2->payload, payload.data, payload.len);
        assert_int_equal(e2->signatures[0].len, 4);
        assert_string_equal(e2->signatures[0].keyid, "");
        assert_int_equal(ms_statement_parse(e2->payload, e2->payload_len, &st, &err), 0);
        assert_string_equal(st->subject_name, "tiny");
        assert_memory_equal(st->subject_digest, m->root_digest, 32);
        assert_int_equal(st->manifest->n_resources, 2);
        assert_string_equal(st->manifest->resources[1].name, "weights/model.bin");
        assert_memory_equal(st->manifest->resources[1].digest, m->resources[1].digest, 32);
        ms_statement_free(st);
        ms_bundle_free(back);
        ms_bundle_free(b);
    }

    /* Setter bounds. */
    ms_bundle *b = NULL;
    assert_int_equal(ms_bundle_new_dsse(env, &b, &err), 0);
    assert_error(ms_bundle_set_key_hint(b, "", &err), MS_EINPUT, &err, "publicKey.hint: empty");
    assert_error(ms_bundle_set_chain(b, NULL, NULL, 0, &err), MS_EINPUT, &err, "no certificates");
    assert_error(ms_bundle_set_certificate(b, (const uint8_t *)"", 0, &err), MS_EINPUT, &err,
                 "certificate: empty");
    assert_int_equal(ms_bundle_material_kind(b), MS_MATERIAL_NONE);
    ms_bundle_free(b);

    ms_dsse_envelope_free(env);
    ms_manifest_free(m);
    msx_buf_free(&payload);
    msx_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_release_vectors),
        cmocka_unit_test(test_spec_valid_vectors),
        cmocka_unit_test(test_spec_invalid_vectors),
        cmocka_unit_test(test_reserialize_is_identical),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_hostile_sizes),
        cmocka_unit_test(test_message_signature_and_media_types),
        cmocka_unit_test(test_new_message),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
