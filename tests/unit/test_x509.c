/* Unit tests for the x509 module: the OMS certificate vectors (validity window, untrusted roots,
 * the leaf key verifying a bundle), a Fulcio certificate's identity and extensions, key usage,
 * and refusal of malformed or oversized input. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "modelseal/key.h"
#include "modelseal/x509.h"
#include "util/encoding.h"
#include "util/fs.h"

/* 2025-04-30, 2036-07-18: before and after the vector certificates' validity. */
#define BEFORE_VALIDITY 1746000000
#define AFTER_VALIDITY 2100000000

static const char *vectors(void)
{
    const char *v = getenv("MS_VECTORS");
    return v && *v ? v : "/work/main/tests/vectors";
}

static char *vector(const char *rel)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/oms/model-transparency-releases/%s", vectors(), rel);
    return p;
}

static ms_buf read_file(const char *path)
{
    ms_buf buf = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(msx_file_read(path, 1 << 22, &buf, &err), 0);
    return buf;
}

static ms_x509_chain *load(const char *rel)
{
    ms_x509_chain *chain = NULL;
    ms_error err;
    assert_int_equal(ms_x509_load_chain_file(vector(rel), &chain, &err), 0);
    return chain;
}

/* Leaf then intermediate, as one PEM text. */
static ms_x509_chain *vector_chain(void)
{
    ms_buf pem = read_file(vector("keys/certificate/signing-key-cert.pem"));
    ms_buf inter = read_file(vector("keys/certificate/int-ca-cert.pem"));
    ms_x509_chain *chain = NULL;
    ms_error err;
    assert_int_equal(msx_buf_append(&pem, inter.data, inter.len), 0);
    assert_int_equal(ms_x509_parse_pem_chain(pem.data, pem.len, &chain, &err), 0);
    assert_int_equal(ms_x509_chain_count(chain), 2);
    msx_buf_free(&pem);
    msx_buf_free(&inter);
    return chain;
}

static void add_cert(ms_x509_chain *chain, X509 *cert)
{
    unsigned char *der = NULL;
    int n = i2d_X509(cert, &der);
    ms_error err;
    assert_true(n > 0);
    assert_int_equal(ms_x509_chain_add_der(chain, der, (size_t)n, &err), 0);
    OPENSSL_free(der);
}

static void add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    assert_non_null(ext);
    assert_int_equal(X509_add_ext(cert, ext, -1), 1);
    X509_EXTENSION_free(ext);
}

/* A certificate for `key` named `cn`, signed by issuer/issuer_key (self-signed when NULL), valid
 * from an hour ago for a day. `ku`/`eku` are OpenSSL extension values or NULL. */
static X509 *make_cert(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *issuer_key, int ca,
                       const char *ku, const char *eku)
{
    static long serial = 1;
    X509 *c = X509_new();
    assert_non_null(c);
    X509_set_version(c, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(c), serial++);
    X509_gmtime_adj(X509_getm_notBefore(c), -3600);
    X509_gmtime_adj(X509_getm_notAfter(c), 86400);
    X509_NAME *name = X509_get_subject_name(c);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
    X509_set_pubkey(c, key);
    if (ca)
        add_ext(c, issuer ? issuer : c, NID_basic_constraints, "critical,CA:TRUE");
    if (ku)
        add_ext(c, issuer ? issuer : c, NID_key_usage, ku);
    if (eku)
        add_ext(c, issuer ? issuer : c, NID_ext_key_usage, eku);
    assert_true(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return c;
}

static void test_vector_chain_validity(void **state)
{
    (void)state;
    ms_x509_chain *chain = vector_chain();
    ms_x509_chain *roots = load("keys/certificate/ca-cert.pem");
    ms_error err;

    assert_int_equal(ms_x509_verify_chain(chain, roots, 0, &err), 0);
    assert_int_equal(ms_x509_verify_chain(chain, roots, 1800000000, &err), 0);

    assert_int_equal(ms_x509_verify_chain(chain, roots, BEFORE_VALIDITY, &err), MS_EVERIFY);
    assert_non_null(
        strstr(err.message, "certificate not yet valid until 2025-05-02T23:36:28Z: CN="));

    assert_int_equal(ms_x509_verify_chain(chain, roots, AFTER_VALIDITY, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "certificate expired at 2035-04-30T23:36:28Z: CN="));

    /* the intermediate may come with the roots instead */
    ms_x509_chain *leaf_only = load("keys/certificate/signing-key-cert.pem");
    assert_int_equal(ms_x509_verify_chain(leaf_only, roots, 0, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "certificate chain does not lead to a trusted root: "));
    ms_buf pem = read_file(vector("keys/certificate/ca-cert.pem"));
    ms_buf inter = read_file(vector("keys/certificate/int-ca-cert.pem"));
    assert_int_equal(msx_buf_append(&pem, inter.data, inter.len), 0);
    ms_x509_chain *both = NULL;
    assert_int_equal(ms_x509_parse_pem_chain(pem.data, pem.len, &both, &err), 0);
    assert_int_equal(ms_x509_verify_chain(leaf_only, both, 0, &err), 0);

    /* the intermediate alone is not a root: the path must end at a self-signed certificate */
    ms_x509_chain *inter_only = load("keys/certificate/int-ca-cert.pem");
    assert_int_equal(ms_x509_verify_chain(leaf_only, inter_only, 0, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "does not lead to a trusted root"));

    char *subject = ms_x509_leaf_subject(chain);
    assert_string_equal(subject, "CN=intermediate-ca");
    free(subject);
    assert_null(ms_x509_leaf_identity(chain));
    assert_false(ms_x509_leaf_has_identity(chain, "intermediate-ca"));
    assert_null(ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.1"));

    ms_x509_chain_free(inter_only);
    ms_x509_chain_free(both);
    msx_buf_free(&pem);
    msx_buf_free(&inter);
    ms_x509_chain_free(leaf_only);
    ms_x509_chain_free(roots);
    ms_x509_chain_free(chain);
}

static void test_unrelated_root(void **state)
{
    (void)state;
    ms_x509_chain *chain = vector_chain();
    ms_x509_chain *roots = ms_x509_chain_new();
    ms_error err;
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *other = make_cert("root-ca", key, NULL, NULL, 1, "critical,keyCertSign", NULL);
    add_cert(roots, other);
    assert_int_equal(ms_x509_verify_chain(chain, roots, 0, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "certificate chain does not lead to a trusted root: "));
    X509_free(other);
    EVP_PKEY_free(key);
    ms_x509_chain_free(roots);
    ms_x509_chain_free(chain);
}

/* The leaf must be allowed to sign. */
static void test_leaf_usage(void **state)
{
    (void)state;
    static const struct {
        const char *ku, *eku;
        int rc;
    } cases[] = {
        {"critical,digitalSignature", NULL, 0},
        {NULL, "codeSigning", 0},
        {"critical,digitalSignature", "codeSigning", 0},
        {"critical,keyEncipherment", "codeSigning", MS_EVERIFY},
        {NULL, "serverAuth", MS_EVERIFY},
        {NULL, NULL, MS_EVERIFY},
    };
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    X509 *ca = make_cert("test-root", ca_key, NULL, NULL, 1, "critical,keyCertSign", NULL);
    ms_x509_chain *roots = ms_x509_chain_new();
    add_cert(roots, ca);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ms_error err;
        EVP_PKEY *key = EVP_EC_gen("P-384");
        X509 *leaf = make_cert("signer", key, ca, ca_key, 0, cases[i].ku, cases[i].eku);
        ms_x509_chain *chain = ms_x509_chain_new();
        add_cert(chain, leaf);
        assert_int_equal(ms_x509_verify_chain(chain, roots, 0, &err), cases[i].rc);
        if (cases[i].rc)
            assert_string_equal(err.message,
                                "certificate CN=signer: not usable for signing (needs keyUsage "
                                "digitalSignature or extendedKeyUsage codeSigning)");
        ms_key *k = NULL;
        assert_int_equal(ms_x509_leaf_public_key(chain, &k, &err), 0);
        assert_int_equal(ms_key_get_type(k), MS_KEY_ECDSA_P384);
        assert_false(ms_key_is_secret(k));
        ms_key_free(k);
        ms_x509_chain_free(chain);
        X509_free(leaf);
        EVP_PKEY_free(key);
    }
    ms_x509_chain_free(roots);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
}

/* The bundle's chain (base64 DER), its leaf key, and the DSSE signature over the PAE. */
static void test_certificate_bundle(void **state)
{
    (void)state;
    ms_buf text = read_file(vector("v1.1.0-certificate/model.sig"));
    cJSON *root = cJSON_Parse((char *)text.data);
    assert_non_null(root);
    cJSON *vm = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
    cJSON *certs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(vm, "x509CertificateChain"), "certificates");
    ms_x509_chain *chain = ms_x509_chain_new();
    ms_error err;
    cJSON *c;
    size_t index = 0;
    cJSON_ArrayForEach(c, certs)
    {
        const char *b64 = cJSON_GetObjectItemCaseSensitive(c, "rawBytes")->valuestring;
        uint8_t *der = NULL, *back = NULL;
        size_t der_len = 0, back_len = 0;
        assert_int_equal(msx_base64_decode(b64, strlen(b64), &der, &der_len), 0);
        assert_int_equal(ms_x509_chain_add_der(chain, der, der_len, &err), 0);
        assert_int_equal(ms_x509_chain_der(chain, index++, &back, &back_len), 0);
        assert_int_equal(back_len, der_len);
        assert_memory_equal(back, der, der_len);
        free(back);
        free(der);
    }
    assert_int_equal(ms_x509_chain_count(chain), 2);
    uint8_t *none = NULL;
    size_t none_len = 0;
    assert_int_equal(ms_x509_chain_der(chain, 2, &none, &none_len), MS_EINPUT);

    ms_x509_chain *roots = load("keys/certificate/ca-cert.pem");
    assert_int_equal(ms_x509_verify_chain(chain, roots, 0, &err), 0);

    ms_key *key = NULL, *pub = NULL;
    assert_int_equal(ms_x509_leaf_public_key(chain, &key, &err), 0);
    assert_int_equal(ms_key_load_public(vector("keys/certificate/signing-key-pub.pem"), &pub, &err),
                     0);
    assert_true(ms_key_equal(key, pub));

    cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
    const char *type = cJSON_GetObjectItemCaseSensitive(env, "payloadType")->valuestring;
    const char *payload64 = cJSON_GetObjectItemCaseSensitive(env, "payload")->valuestring;
    const char *sig64 =
        cJSON_GetObjectItemCaseSensitive(
            cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(env, "signatures"), 0), "sig")
            ->valuestring;
    uint8_t *payload = NULL, *sig = NULL;
    size_t payload_len = 0, sig_len = 0;
    assert_int_equal(msx_base64_decode(payload64, strlen(payload64), &payload, &payload_len), 0);
    assert_int_equal(msx_base64_decode(sig64, strlen(sig64), &sig, &sig_len), 0);
    ms_buf pae = MS_BUF_INIT;
    assert_int_equal(msx_buf_printf(&pae, "DSSEv1 %zu %s %zu ", strlen(type), type, payload_len),
                     0);
    assert_int_equal(msx_buf_append(&pae, payload, payload_len), 0);
    assert_int_equal(ms_key_verify(key, pae.data, pae.len, sig, sig_len, &err), 0);
    pae.data[pae.len - 2] ^= 1;
    assert_int_equal(ms_key_verify(key, pae.data, pae.len, sig, sig_len, &err), MS_EVERIFY);

    msx_buf_free(&pae);
    free(payload);
    free(sig);
    ms_key_free(key);
    ms_key_free(pub);
    ms_x509_chain_free(roots);
    ms_x509_chain_free(chain);
    cJSON_Delete(root);
    msx_buf_free(&text);
}

/* A Fulcio certificate: SAN email, issuer extensions, and its chain to the public-good CA at the
 * time Rekor logged it. The trust root lives beside the OMS vectors when present. */
static void test_fulcio_certificate(void **state)
{
    (void)state;
    ms_buf text = read_file(vector("v1.1.0-sigstore/model.sig"));
    cJSON *root = cJSON_Parse((char *)text.data);
    cJSON *vm = cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial");
    const char *b64 = cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(vm, "certificate"), "rawBytes")
                          ->valuestring;
    double logged = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vm, "tlogEntries"), 0),
        "integratedTime"));
    const char *it = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(vm, "tlogEntries"), 0),
        "integratedTime"));
    int64_t when = it ? strtoll(it, NULL, 10) : (int64_t)logged;
    assert_int_equal(when, 1760062340);
    uint8_t *der = NULL;
    size_t der_len = 0;
    ms_error err;
    assert_int_equal(msx_base64_decode(b64, strlen(b64), &der, &der_len), 0);
    ms_x509_chain *chain = ms_x509_chain_new();
    assert_int_equal(ms_x509_chain_add_der(chain, der, der_len, &err), 0);

    char *id = ms_x509_leaf_identity(chain);
    assert_string_equal(id, "stefanb@us.ibm.com");
    free(id);
    assert_true(ms_x509_leaf_has_identity(chain, "stefanb@us.ibm.com"));
    assert_false(ms_x509_leaf_has_identity(chain, "stefanb@us.ibm.co"));
    assert_false(ms_x509_leaf_has_identity(chain, "stefanb@us.ibm.com.evil"));
    char *issuer = ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.1");
    assert_string_equal(issuer, "https://sigstore.verify.ibm.com/oauth2");
    free(issuer);
    issuer = ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.8");
    assert_string_equal(issuer, "https://sigstore.verify.ibm.com/oauth2");
    free(issuer);
    assert_null(ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.9"));
    assert_null(ms_x509_leaf_extension_string(chain, "not an oid"));
    char *subject = ms_x509_leaf_subject(chain);
    assert_string_equal(subject, "");
    free(subject);

    char trusted[600];
    snprintf(trusted, sizeof trusted, "%s/sigstore/sigstore.trusted_root.json", vectors());
    FILE *f = fopen(trusted, "r");
    if (!f)
        snprintf(trusted, sizeof trusted,
                 "/work/shared/vectors/sigstore/sigstore.trusted_root.json");
    else
        fclose(f);
    f = fopen(trusted, "r");
    if (f) {
        fclose(f);
        ms_buf tr = read_file(trusted);
        cJSON *troot = cJSON_Parse((char *)tr.data);
        ms_x509_chain *roots = ms_x509_chain_new();
        cJSON *ca, *cert;
        cJSON_ArrayForEach(ca, cJSON_GetObjectItemCaseSensitive(troot, "certificateAuthorities"))
        {
            cJSON_ArrayForEach(
                cert, cJSON_GetObjectItemCaseSensitive(
                          cJSON_GetObjectItemCaseSensitive(ca, "certChain"), "certificates"))
            {
                const char *raw = cJSON_GetObjectItemCaseSensitive(cert, "rawBytes")->valuestring;
                uint8_t *d = NULL;
                size_t dl = 0;
                assert_int_equal(msx_base64_decode(raw, strlen(raw), &d, &dl), 0);
                assert_int_equal(ms_x509_chain_add_der(roots, d, dl, &err), 0);
                free(d);
            }
        }
        /* intermediates and roots both among the trusted certificates */
        assert_int_equal(ms_x509_verify_chain(chain, roots, when, &err), 0);
        assert_int_equal(ms_x509_verify_chain(chain, roots, 0, &err), MS_EVERIFY);
        assert_non_null(strstr(err.message, "certificate expired at 2025-10-10T02:22:19Z"));
        assert_int_equal(ms_x509_verify_chain(chain, roots, when - 3600, &err), MS_EVERIFY);
        assert_non_null(
            strstr(err.message, "certificate not yet valid until 2025-10-10T02:12:19Z"));
        ms_x509_chain_free(roots);
        cJSON_Delete(troot);
        msx_buf_free(&tr);
    }

    free(der);
    ms_x509_chain_free(chain);
    cJSON_Delete(root);
    msx_buf_free(&text);
}

static void test_refusals(void **state)
{
    (void)state;
    ms_x509_chain *chain = NULL;
    ms_error err;
    static const char bad_pem[] = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    assert_int_equal(
        ms_x509_parse_pem_chain((const uint8_t *)bad_pem, strlen(bad_pem), &chain, &err),
        MS_EINPUT);
    assert_non_null(strstr(err.message, "certificate chain: malformed certificate 1"));
    assert_int_equal(ms_x509_parse_pem_chain((const uint8_t *)"hello", 5, &chain, &err), MS_EINPUT);
    assert_string_equal(err.message, "certificate chain: no PEM certificate");
    assert_int_equal(ms_x509_parse_pem_chain((const uint8_t *)"", 0, &chain, &err), MS_EINPUT);

    /* a good certificate followed by a damaged one */
    ms_buf pem = read_file(vector("keys/certificate/ca-cert.pem"));
    ms_buf two = MS_BUF_INIT;
    assert_int_equal(msx_buf_append(&two, pem.data, pem.len), 0);
    assert_int_equal(msx_buf_append_str(&two, bad_pem), 0);
    assert_int_equal(ms_x509_parse_pem_chain(two.data, two.len, &chain, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "malformed certificate 2"));
    msx_buf_free(&two);

    /* at most MS_X509_CHAIN_MAX certificates */
    ms_buf many = MS_BUF_INIT;
    for (int i = 0; i < MS_X509_CHAIN_MAX; i++)
        assert_int_equal(msx_buf_append(&many, pem.data, pem.len), 0);
    assert_int_equal(ms_x509_parse_pem_chain(many.data, many.len, &chain, &err), 0);
    assert_int_equal(ms_x509_chain_count(chain), MS_X509_CHAIN_MAX);
    ms_x509_chain_free(chain);
    chain = NULL;
    assert_int_equal(msx_buf_append(&many, pem.data, pem.len), 0);
    assert_int_equal(ms_x509_parse_pem_chain(many.data, many.len, &chain, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "more than 16 certificates"));
    msx_buf_free(&many);

    /* DER: exact length only */
    ms_x509_chain *one = load("keys/certificate/ca-cert.pem");
    uint8_t *der = NULL;
    size_t der_len = 0;
    assert_int_equal(ms_x509_chain_der(one, 0, &der, &der_len), 0);
    ms_x509_chain *c2 = ms_x509_chain_new();
    uint8_t *longer = malloc(der_len + 1);
    memcpy(longer, der, der_len);
    longer[der_len] = 0;
    assert_int_equal(ms_x509_chain_add_der(c2, longer, der_len + 1, &err), MS_EINPUT);
    assert_string_equal(err.message, "malformed DER certificate");
    assert_int_equal(ms_x509_chain_add_der(c2, der, der_len - 1, &err), MS_EINPUT);
    assert_int_equal(ms_x509_chain_count(c2), 0);
    free(longer);
    free(der);

    /* empty chains, RSA leaf key, missing file */
    assert_int_equal(ms_x509_verify_chain(c2, one, 0, &err), MS_EINPUT);
    assert_int_equal(ms_x509_verify_chain(one, c2, 0, &err), MS_EINPUT);
    ms_key *key = NULL;
    assert_int_equal(ms_x509_leaf_public_key(c2, &key, &err), MS_EINPUT);
    assert_int_equal(ms_x509_leaf_public_key(one, &key, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "RSA keys are not supported"));
    assert_null(key);
    assert_null(ms_x509_leaf_subject(c2));
    assert_null(ms_x509_leaf_identity(c2));
    assert_int_equal(ms_x509_load_chain_file("/nonexistent/chain.pem", &chain, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "/nonexistent/chain.pem: "));
    assert_int_equal(ms_x509_chain_count(NULL), 0);
    ms_x509_chain_free(NULL);

    ms_x509_chain_free(c2);
    ms_x509_chain_free(one);
    msx_buf_free(&pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vector_chain_validity),
        cmocka_unit_test(test_unrelated_root),
        cmocka_unit_test(test_leaf_usage),
        cmocka_unit_test(test_certificate_bundle),
        cmocka_unit_test(test_fulcio_certificate),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
