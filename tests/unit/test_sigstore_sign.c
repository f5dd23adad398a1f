/* Unit tests for keyless signing's pieces (linked statically: they are internal): signing config
 * parsing and service selection with the shipped public-good and staging configs and hostile
 * ones, PKCE (RFC 7636's own example), identity token claims, the OAuth redirect, the answers of
 * Fulcio and Rekor (v1 and v2) for our key and signature and for others, and the HTTP layer
 * against a server on 127.0.0.1 (retries, bounds, refused URLs). */
#include "config.h"

#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "../../src/lib/sigstore/sigstore_sign_internal.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

#define T_2026 1780000000LL /* 2026-05-28 */

static void assert_error(int rc, int code, const ms_error *err, const char *needle)
{
    if (rc != code)
        fail_msg("rc %d, expected %d (%s)", rc, code, err->message);
    unit_assert_contains(err->message, needle);
}

/* ---- signing config ---- */

static ms_signing_config *load_config(const char *name)
{
    char path[PATH_MAX];
    ms_buf text = MS_BUF_INIT;
    ms_signing_config *c = NULL;
    ms_error err;
    snprintf(path, sizeof path, "%s/keys/%s", getenv("SRCDIR") ? getenv("SRCDIR") : MS_SRCDIR,
             name);
    if (msx_file_read(path, 1 << 20, &text, &err) != 0)
        fail_msg("%s", err.message);
    if (signing_config_parse(text.data, text.len, name, &c, &err) != 0)
        fail_msg("%s: %s", name, err.message);
    msx_buf_free(&text);
    return c;
}

static void test_config_public_good(void **state)
{
    (void)state;
    ms_signing_config *c = load_config("signing_config.v0.2.json");
    ms_sigstore_services s;
    ms_error err;
    assert_int_equal(signing_config_select(c, T_2026, "sc", &s, &err), 0);
    assert_string_equal(s.ca->url, "https://fulcio.sigstore.dev");
    assert_string_equal(s.oidc->url, "https://oauth2.sigstore.dev/auth");
    assert_int_equal(s.n_tlogs, 1);
    assert_string_equal(s.tlogs[0]->url, "https://rekor.sigstore.dev");
    assert_int_equal(s.tlogs[0]->major, 1);
    assert_int_equal(s.n_tsas, 1);
    assert_string_equal(s.tsas[0]->url, "https://timestamp.sigstore.dev/api/v1/timestamp");
    /* Before the TSA's validFor.start (2025-07-04) there is none: Rekor v1 does without. */
    assert_int_equal(signing_config_select(c, 1735689600LL, "sc", &s, &err), 0);
    assert_int_equal(s.n_tsas, 0);
    /* Before Fulcio existed: nothing to sign with. */
    assert_error(signing_config_select(c, 1600000000LL, "sc", &s, &err), MS_EINPUT, &err,
                 "sc: caUrls: no Fulcio with majorApiVersion 1 is valid now");
    signing_config_free(c);
}

static void test_config_staging(void **state)
{
    (void)state;
    ms_signing_config *c = load_config("staging_signing_config.v0.2.json");
    ms_sigstore_services s;
    ms_error err;
    /* Rekor v2 is preferred over v1; the log valid now is chosen. */
    assert_int_equal(signing_config_select(c, T_2026, "sc", &s, &err), 0);
    assert_int_equal(s.n_tlogs, 1);
    assert_string_equal(s.tlogs[0]->url, "https://log2025-alpha3.rekor.sigstage.dev");
    assert_int_equal(s.tlogs[0]->major, 2);
    assert_int_equal(s.n_tsas, 1);
    /* 2025-09-01: alpha2's window. */
    assert_int_equal(signing_config_select(c, 1756684800LL, "sc", &s, &err), 0);
    assert_string_equal(s.tlogs[0]->url, "https://log2025-alpha2.rekor.sigstage.dev");
    /* 2025-01-01: no v2 log yet, so Rekor v1. */
    assert_int_equal(signing_config_select(c, 1735689600LL, "sc", &s, &err), 0);
    assert_string_equal(s.tlogs[0]->url, "https://rekor.sigstage.dev");
    assert_int_equal(s.tlogs[0]->major, 1);
    signing_config_free(c);
}

#define SC_HEAD "{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.2+json\","
#define SVC(u, v)                                                                                  \
    "{\"url\":\"" u "\",\"majorApiVersion\":" #v                                                   \
    ",\"validFor\":{\"start\":\"2020-01-01T00:00:00Z\"}}"
#define CA "\"caUrls\":[" SVC("https://ca.example", 1) "]"

static int parse_text(const char *text, ms_signing_config **c, ms_error *err)
{
    return signing_config_parse((const uint8_t *)text, strlen(text), "sc.json", c, err);
}

static void test_config_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        const char *needle;
    } cases[] = {
        {"[]", "sc.json: not a JSON object"},
        {"{\"mediaType\":\"application/vnd.dev.sigstore.signingconfig.v0.1+json\"}",
         "sc.json: mediaType: unsupported"},
        {"{\"caUrls\":[]}", "sc.json: mediaType: missing"},
        {SC_HEAD CA ",\"extra\":1}", "unknown field \"extra\""},
        {SC_HEAD "\"caUrls\":[" SVC("http://ca.example", 1) "]}", "caUrls[0].url: not https://"},
        {SC_HEAD "\"caUrls\":[" SVC("ftp://ca.example", 1) "]}", "caUrls[0].url: not https://"},
        {SC_HEAD "\"caUrls\":[" SVC("https://ca.example", 1.5) "]}",
         "caUrls[0].majorApiVersion: not a positive integer"},
        {SC_HEAD "\"caUrls\":[" SVC("https://ca.example", "1") "]}",
         "caUrls[0].majorApiVersion: not a positive integer"},
        {SC_HEAD "\"caUrls\":[{\"url\":\"https://a\",\"majorApiVersion\":1}]}",
         "caUrls[0].validFor: missing"},
        {SC_HEAD "\"caUrls\":[{\"url\":\"https://a\",\"majorApiVersion\":1,\"validFor\":{}}]}",
         "caUrls[0].validFor.start: missing"},
        {SC_HEAD "\"caUrls\":[{\"url\":\"https://a\",\"majorApiVersion\":1,\"validFor\":{\"start\":"
                 "\"yesterday\"}}]}",
         "caUrls[0].validFor.start: not an RFC 3339 time"},
        {SC_HEAD "\"caUrls\":[{\"url\":\"https://a\",\"majorApiVersion\":1,\"validFor\":{\"start\":"
                 "\"2024-01-01T00:00:00Z\",\"end\":\"2023-01-01T00:00:00Z\"}}]}",
         "caUrls[0].validFor: ends before it starts"},
        {SC_HEAD "\"caUrls\":[{\"url\":\"https://a\",\"majorApiVersion\":1,\"validFor\":{\"start\":"
                 "\"2024-01-01T00:00:00Z\"},\"color\":\"red\"}]}",
         "caUrls[0]: unknown field \"color\""},
        {SC_HEAD "\"caUrls\":{}}", "sc.json: caUrls: not an array"},
        {SC_HEAD CA ",\"rekorTlogConfig\":{\"selector\":\"SOME\"}}",
         "rekorTlogConfig.selector: \"SOME\" is not ALL, ANY or EXACT"},
        {SC_HEAD CA ",\"rekorTlogConfig\":{\"selector\":\"EXACT\"}}",
         "rekorTlogConfig.count: missing"},
        {SC_HEAD CA ",\"tsaConfig\":{\"selector\":\"EXACT\",\"count\":0}}",
         "tsaConfig.count: out of range"},
        {SC_HEAD CA ",\"tsaConfig\":{\"selector\":\"ANY\",\"count\":1}}",
         "tsaConfig.count: only for the EXACT selector"},
        {SC_HEAD CA ",\"caUrls\":[]}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ms_signing_config *c = NULL;
        ms_error err;
        int rc = parse_text(cases[i].text, &c, &err);
        if (rc != MS_EINPUT)
            fail_msg("case %zu: rc %d", i, rc);
        assert_null(c);
        unit_assert_contains(err.message, cases[i].needle);
    }
}

static void test_config_selection_refusals(void **state)
{
    (void)state;
    ms_signing_config *c = NULL;
    ms_sigstore_services s;
    ms_error err;
    /* Rekor v2 without a timestamp authority. */
    assert_int_equal(
        parse_text(SC_HEAD CA ",\"rekorTlogUrls\":[" SVC("https://log.example", 2) "]}", &c, &err),
        0);
    assert_error(signing_config_select(c, T_2026, "sc", &s, &err), MS_EINPUT, &err,
                 "sc: tsaUrls: a Rekor v2 log needs a timestamp authority");
    signing_config_free(c);
    /* Only a Rekor version we do not speak. */
    assert_int_equal(
        parse_text(SC_HEAD CA ",\"rekorTlogUrls\":[" SVC("https://log.example", 3) "]}", &c, &err),
        0);
    assert_error(signing_config_select(c, T_2026, "sc", &s, &err), MS_EINPUT, &err,
                 "no Rekor with majorApiVersion 1 or 2 is valid now");
    signing_config_free(c);
    /* EXACT 2 with one log. */
    assert_int_equal(parse_text(SC_HEAD CA ",\"rekorTlogUrls\":[" SVC(
                                    "https://log.example",
                                    1) "],"
                                       "\"rekorTlogConfig\":{\"selector\":\"EXACT\",\"count\":2}}",
                                &c, &err),
                     0);
    assert_error(signing_config_select(c, T_2026, "sc", &s, &err), MS_EINPUT, &err,
                 "rekorTlogConfig: EXACT 2, but only 1 Rekor v1 logs are valid now");
    signing_config_free(c);
    /* ALL: every log of the chosen version; loopback http is accepted. */
    assert_int_equal(
        parse_text(SC_HEAD CA ",\"rekorTlogUrls\":[" SVC("https://a.example", 1) "," SVC(
                       "http://127.0.0.1:8080",
                       1) "," SVC("https://b.example",
                                  2) "],\"tsaUrls\":[" SVC("https://tsa.example/api/v1/timestamp",
                                                           1) "],\"rekorTlogConfig\":{\"selector\":"
                                                              "\"ALL\"}}",
                   &c, &err),
        0);
    assert_int_equal(signing_config_select(c, T_2026, "sc", &s, &err), 0);
    assert_int_equal(s.n_tlogs, 1);
    assert_string_equal(s.tlogs[0]->url, "https://b.example");
    assert_null(s.oidc);
    signing_config_free(c);
}

/* ---- PKCE, tokens, redirect ---- */

static void test_pkce(void **state)
{
    (void)state;
    char challenge[44], v1[44], v2[44];
    /* RFC 7636 appendix B. */
    pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk", challenge);
    assert_string_equal(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
    assert_int_equal(pkce_verifier(v1), 0);
    assert_int_equal(pkce_verifier(v2), 0);
    assert_int_equal(strlen(v1), 43);
    assert_int_equal(strspn(v1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
                     43);
    assert_string_not_equal(v1, v2);
}

/* A compact JWS with this payload (the signature part is junk: it is not checked here). */
static char *make_token(const char *payload)
{
    static const char header[] = "{\"alg\":\"ES256\",\"typ\":\"JWT\"}";
    size_t hl = strlen(header), pl = strlen(payload);
    char *t = malloc(2 * (hl + pl) + 32);
    base64url_encode((const uint8_t *)header, hl, t);
    strcat(t, ".");
    base64url_encode((const uint8_t *)payload, pl, t + strlen(t));
    strcat(t, ".c2lnbmF0dXJl");
    return t;
}

static void test_jwt_claims(void **state)
{
    (void)state;
    char *sub, *iss;
    ms_error err;
    char *t = make_token("{\"iss\":\"https://issuer.example\",\"sub\":\"12345\","
                         "\"email\":\"alice@example.com\",\"nonce\":\"n1\"}");
    assert_int_equal(jwt_claims(t, &sub, &iss, &err), 0);
    assert_string_equal(sub, "alice@example.com");
    assert_string_equal(iss, "https://issuer.example");
    free(sub);
    free(iss);
    char *nonce = jwt_claim(t, "nonce");
    assert_string_equal(nonce, "n1");
    free(nonce);
    assert_null(jwt_claim(t, "aud"));
    free(t);
    /* No email: the subject. */
    t = make_token("{\"iss\":\"https://token.actions.githubusercontent.com\","
                   "\"sub\":\"repo:o/r:ref:refs/heads/main\"}");
    assert_int_equal(jwt_claims(t, &sub, &iss, &err), 0);
    assert_string_equal(sub, "repo:o/r:ref:refs/heads/main");
    free(sub);
    free(iss);
    free(t);

    static const struct {
        const char *payload;
        const char *needle;
    } bad[] = {
        {"{\"sub\":\"x\"}", "identity token: the iss claim is missing"},
        {"{\"iss\":\"i\"}", "identity token: the sub claim is missing"},
        {"{\"iss\":\"i\",\"email\":7}", "the email claim is not a non-empty string"},
        {"{\"iss\":\"i\",\"sub\":\"\"}", "the sub claim is not a non-empty string"},
        {"[1]", "identity token: the payload is not a JSON object"},
        {"{\"iss\":\"i\",\"sub\":\"a\",\"sub\":\"b\"}", "duplicate"},
        {"not json", "identity token payload"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        t = make_token(bad[i].payload);
        sub = iss = (char *)1;
        int rc = jwt_claims(t, &sub, &iss, &err);
        if (rc != MS_EINPUT)
            fail_msg("case %zu: rc %d", i, rc);
        assert_null(sub);
        unit_assert_contains(err.message, bad[i].needle);
        assert_null(strstr(err.message, t)); /* never quoted */
        free(t);
    }
    static const char *const shapes[] = {"", "abc", "a.b", "a.b.c.d", "a..c", "a.b!.c", "a.b.c\n"};
    for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
        int rc = jwt_claims(shapes[i], &sub, &iss, &err);
        if (rc != MS_EINPUT)
            fail_msg("shape %zu: rc %d", i, rc);
        unit_assert_contains(err.message, "identity token: ");
    }
}

static void test_token_sources(void **state)
{
    (void)state;
    ms_sigstore_sign_options o;
    char *tok = NULL;
    ms_error err;
    char *t = make_token("{\"iss\":\"i\",\"sub\":\"s\"}");
    memset(&o, 0, sizeof o);
    unsetenv("ACTIONS_ID_TOKEN_REQUEST_URL");
    unsetenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    /* The explicit token wins over the environment, surrounding whitespace dropped. */
    setenv("SIGSTORE_ID_TOKEN", "x.y.z", 1);
    char padded[4096];
    snprintf(padded, sizeof padded, "  %s\n", t);
    o.identity_token = padded;
    assert_int_equal(oidc_get_token(&o, NULL, NULL, &tok, &err), 0);
    assert_string_equal(tok, t);
    oidc_token_free(tok);
    o.identity_token = NULL;
    assert_int_equal(oidc_get_token(&o, NULL, NULL, &tok, &err), 0);
    assert_string_equal(tok, "x.y.z");
    oidc_token_free(tok);
    setenv("SIGSTORE_ID_TOKEN", "not a token", 1);
    assert_error(oidc_get_token(&o, NULL, NULL, &tok, &err), MS_EINPUT, &err,
                 "identity token from SIGSTORE_ID_TOKEN: not a JWT");
    assert_null(strstr(err.message, "not a token"));
    unsetenv("SIGSTORE_ID_TOKEN");
    assert_error(oidc_get_token(&o, NULL, NULL, &tok, &err), MS_EINPUT, &err,
                 "no identity token: give --identity-token");
    o.interactive = 1;
    assert_error(oidc_get_token(&o, NULL, NULL, &tok, &err), MS_EINPUT, &err,
                 "names no OIDC issuer");
    free(t);
}

static void test_redirect(void **state)
{
    (void)state;
    char *code, *st;
    ms_error err;
    assert_int_equal(oidc_parse_redirect("GET /auth/callback?code=a%2Fb+c&state=xyz HTTP/1.1",
                                         "/auth/callback", &code, &st, &err),
                     1);
    assert_string_equal(code, "a/b c");
    assert_string_equal(st, "xyz");
    free(code);
    free(st);
    assert_int_equal(
        oidc_parse_redirect("GET /favicon.ico HTTP/1.1", "/auth/callback", &code, &st, &err), 0);
    assert_null(code);
    assert_int_equal(oidc_parse_redirect("GET /auth/callback?error=access_denied&state=x "
                                         "HTTP/1.1",
                                         "/auth/callback", &code, &st, &err),
                     -1);
    unit_assert_contains(err.message, "OIDC: the authorization was refused: access_denied");
    assert_int_equal(oidc_parse_redirect("GET /auth/callback?code=abc HTTP/1.1", "/auth/callback",
                                         &code, &st, &err),
                     -1);
    unit_assert_contains(err.message, "the code or state is missing");
    assert_int_equal(oidc_parse_redirect("GET /auth/callback?code=a%zz&state=s HTTP/1.1",
                                         "/auth/callback", &code, &st, &err),
                     -1);
    unit_assert_contains(err.message, "malformed query");
    assert_int_equal(oidc_parse_redirect("GET /auth/callback?code=a%00&state=s HTTP/1.1",
                                         "/auth/callback", &code, &st, &err),
                     -1);
    assert_int_equal(
        oidc_parse_redirect("POST /auth/callback HTTP/1.1", "/auth/callback", &code, &st, &err),
        -1);
    assert_int_equal(oidc_parse_redirect("GET /auth/callback", "/auth/callback", &code, &st, &err),
                     -1);
}

/* ---- service answers ---- */

typedef struct fixture {
    EVP_PKEY *key;
    X509 *cert;
    uint8_t *der;
    size_t der_len;
    char *pem;
} fixture;

static void make_fixture(fixture *f, const char *cn)
{
    f->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    f->cert = X509_new();
    X509_set_version(f->cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(f->cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(f->cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(f->cert), 600);
    X509_NAME_add_entry_by_txt(X509_get_subject_name(f->cert), "CN", MBSTRING_ASC,
                               (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(f->cert, X509_get_subject_name(f->cert));
    X509_set_pubkey(f->cert, f->key);
    assert_true(X509_sign(f->cert, f->key, EVP_sha256()) > 0);
    unsigned char *d = NULL;
    int n = i2d_X509(f->cert, &d);
    assert_true(n > 0);
    f->der = malloc((size_t)n);
    memcpy(f->der, d, (size_t)n);
    f->der_len = (size_t)n;
    OPENSSL_free(d);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(bio, f->cert);
    BUF_MEM *mem;
    BIO_get_mem_ptr(bio, &mem);
    f->pem = strndup(mem->data, mem->length);
    BIO_free(bio);
}

static void free_fixture(fixture *f)
{
    EVP_PKEY_free(f->key);
    X509_free(f->cert);
    free(f->der);
    free(f->pem);
}

/* The PEM as a JSON string literal body (newlines escaped). */
static void json_escape(ms_buf *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            msx_buf_append_str(out, "\\n");
        else
            msx_buf_append(out, s, 1);
    }
}

static void test_fulcio_answer(void **state)
{
    (void)state;
    fixture f;
    ms_buf j = MS_BUF_INIT;
    uint8_t *der = NULL;
    size_t len = 0;
    ms_error err;
    make_fixture(&f, "leaf");
    msx_buf_append_str(&j, "{\"signedCertificateEmbeddedSct\":{\"chain\":{\"certificates\":[\"");
    json_escape(&j, f.pem);
    msx_buf_append_str(&j, "\",\"");
    json_escape(&j, f.pem);
    msx_buf_append_str(&j, "\"]}}}");
    assert_int_equal(answers_fulcio_parse_response(j.data, j.len, "Fulcio", &der, &len, &err), 0);
    assert_int_equal(len, f.der_len);
    assert_memory_equal(der, f.der, len);
    free(der);

    static const struct {
        const char *json;
        const char *needle;
    } bad[] = {
        {"{\"signedCertificateDetachedSct\":{}}",
         "Fulcio answer: a certificate with a detached SCT"},
        {"{}", "Fulcio answer: no signedCertificateEmbeddedSct"},
        {"{\"signedCertificateEmbeddedSct\":{\"chain\":{\"certificates\":[]}}}", "not 1 to 10"},
        {"{\"signedCertificateEmbeddedSct\":{\"chain\":{}}}", "missing or not an array"},
        {"{\"signedCertificateEmbeddedSct\":{\"chain\":{\"certificates\":[7]}}}",
         "certificates[0]: not a string"},
        {"{\"signedCertificateEmbeddedSct\":{\"chain\":{\"certificates\":[\"hello\"]}}}",
         "certificates[0]: not a PEM certificate"},
        {"{\"signedCertificateEmbeddedSct\":", "Fulcio answer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc = answers_fulcio_parse_response((const uint8_t *)bad[i].json, strlen(bad[i].json),
                                               "Fulcio", &der, &len, &err);
        if (rc != MS_EINPUT)
            fail_msg("case %zu: rc %d", i, rc);
        assert_null(der);
        unit_assert_contains(err.message, bad[i].needle);
    }
    msx_buf_free(&j);
    free_fixture(&f);
}

/* A Rekor v1 answer for a dsse entry with this signature and certificate PEM. */
static void v1_answer(ms_buf *out, const uint8_t payload_hash[32], const char *sig_b64,
                      const char *pem, const char *extra)
{
    char hex[65], *pem64 = msx_base64_encode((const uint8_t *)pem, strlen(pem));
    ms_buf body = MS_BUF_INIT;
    msx_hex_encode(payload_hash, 32, hex);
    msx_buf_printf(&body,
                   "{\"apiVersion\":\"0.0.1\",\"kind\":\"dsse\",\"spec\":{\"envelopeHash\":{"
                   "\"algorithm\":\"sha256\",\"value\":\"00\"},\"payloadHash\":{\"algorithm\":"
                   "\"sha256\",\"value\":\"%s\"},\"signatures\":[{\"signature\":\"%s\","
                   "\"verifier\":\"%s\"}]}}",
                   hex, sig_b64, pem64);
    char *body64 = msx_base64_encode(body.data, body.len);
    msx_buf_reset(out);
    msx_buf_printf(out,
                   "{\"24296fb24b8ad77a\":{\"body\":\"%s\",\"integratedTime\":1700000000,"
                   "\"logID\":\"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d\","
                   "\"logIndex\":1234,\"verification\":{\"inclusionProof\":{\"checkpoint\":"
                   "\"cp\\n\",\"hashes\":[\"%064d\"],\"logIndex\":34,\"rootHash\":\"%064d\","
                   "\"treeSize\":35},\"signedEntryTimestamp\":\"TUVVQ0lR\"}%s}}",
                   body64, 1, 2, extra);
    free(pem64);
    free(body64);
    msx_buf_free(&body);
}

static void test_rekor_v1_answer(void **state)
{
    (void)state;
    fixture f, other;
    ms_buf j = MS_BUF_INIT;
    uint8_t hash[32], sig[] = {1, 2, 3, 4};
    cJSON *entry = NULL;
    ms_error err;
    make_fixture(&f, "leaf");
    make_fixture(&other, "other");
    SHA256((const uint8_t *)"payload", 7, hash);

    v1_answer(&j, hash, "AQIDBA==", f.pem, "");
    assert_int_equal(answers_rekor_v1_parse_response(j.data, j.len, "Rekor", "dsse", hash, sig, 4,
                                                     f.der, f.der_len, &entry, &err),
                     0);
    char *text = cJSON_PrintUnformatted(entry);
    unit_assert_contains(text, "\"logIndex\":\"1234\"");
    unit_assert_contains(text,
                         "\"logId\":{\"keyId\":\"wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=\"}");
    unit_assert_contains(text, "\"kindVersion\":{\"kind\":\"dsse\",\"version\":\"0.0.1\"}");
    unit_assert_contains(text, "\"integratedTime\":\"1700000000\"");
    unit_assert_contains(text, "\"inclusionPromise\":{\"signedEntryTimestamp\":\"TUVVQ0lR\"}");
    unit_assert_contains(text, "\"treeSize\":\"35\"");
    unit_assert_contains(text, "\"checkpoint\":{\"envelope\":\"cp\\n\"}");
    free(text);
    cJSON_Delete(entry);

    /* Another signature, another certificate, another payload: not ours. */
    assert_error(answers_rekor_v1_parse_response(j.data, j.len, "Rekor", "dsse", hash,
                                                 (const uint8_t *)"\1\2\3\5", 4, f.der, f.der_len,
                                                 &entry, &err),
                 MS_EVERIFY, &err, "Rekor: the log entry is for another signature");
    assert_error(answers_rekor_v1_parse_response(j.data, j.len, "Rekor", "dsse", hash, sig, 4,
                                                 other.der, other.der_len, &entry, &err),
                 MS_EVERIFY, &err, "Rekor: the log entry is for another certificate");
    uint8_t hash2[32];
    SHA256((const uint8_t *)"payload2", 8, hash2);
    assert_error(answers_rekor_v1_parse_response(j.data, j.len, "Rekor", "dsse", hash2, sig, 4,
                                                 f.der, f.der_len, &entry, &err),
                 MS_EVERIFY, &err, "Rekor: the log entry is for another payload");
    assert_error(answers_rekor_v1_parse_response(j.data, j.len, "Rekor", "hashedrekord", hash, sig,
                                                 4, f.der, f.der_len, &entry, &err),
                 MS_EVERIFY, &err, "the log entry is a dsse 0.0.1 entry, not hashedrekord 0.0.1");
    assert_null(entry);

    /* Malformed answers. */
    static const char *const bad[] = {
        "{}",
        "{\"a\":{},\"b\":{}}",
        "{\"a\":{\"body\":\"e30=\"}}",
        "{\"a\":{\"body\":\"e30=\",\"integratedTime\":-1,\"logID\":\"00\",\"logIndex\":1}}",
        "[]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int rc =
            answers_rekor_v1_parse_response((const uint8_t *)bad[i], strlen(bad[i]), "Rekor",
                                            "dsse", hash, sig, 4, f.der, f.der_len, &entry, &err);
        if (rc != MS_EINPUT)
            fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
        unit_assert_contains(err.message, "Rekor answer");
    }
    msx_buf_free(&j);
    free_fixture(&f);
    free_fixture(&other);
}

static void test_rekor_v2_answer(void **state)
{
    (void)state;
    fixture f, other;
    uint8_t hash[32], sig[] = {9, 8, 7};
    cJSON *entry = NULL;
    ms_error err;
    ms_buf body = MS_BUF_INIT, j = MS_BUF_INIT;
    make_fixture(&f, "leaf");
    make_fixture(&other, "other");
    SHA256((const uint8_t *)"payload", 7, hash);
    char *hash64 = msx_base64_encode(hash, 32), *der64 = msx_base64_encode(f.der, f.der_len);
    msx_buf_printf(&body,
                   "{\"apiVersion\":\"0.0.2\",\"kind\":\"dsse\",\"spec\":{\"dsseV002\":{"
                   "\"payloadHash\":{\"algorithm\":\"SHA2_256\",\"digest\":\"%s\"},\"signatures\":"
                   "[{\"content\":\"CQgH\",\"verifier\":{\"x509Certificate\":{\"rawBytes\":\"%s\"},"
                   "\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\"}}]}}}",
                   hash64, der64);
    char *body64 = msx_base64_encode(body.data, body.len);
    msx_buf_printf(&j,
                   "{\"logIndex\":\"7\",\"logId\":{\"keyId\":\"AAAA\"},\"kindVersion\":{\"kind\":"
                   "\"dsse\",\"version\":\"0.0.2\"},\"integratedTime\":\"0\",\"inclusionProof\":{"
                   "\"logIndex\":\"7\",\"rootHash\":\"AAAA\",\"treeSize\":\"8\",\"hashes\":[],"
                   "\"checkpoint\":{\"envelope\":\"cp\"}},\"canonicalizedBody\":\"%s\"}",
                   body64);
    assert_int_equal(answers_rekor_v2_parse_response(j.data, j.len, "Rekor", "dsse", hash, sig, 3,
                                                     f.der, f.der_len, &entry, &err),
                     0);
    char *text = cJSON_PrintUnformatted(entry);
    assert_string_equal(text, (const char *)j.data); /* placed as answered */
    free(text);
    cJSON_Delete(entry);
    assert_error(answers_rekor_v2_parse_response(j.data, j.len, "Rekor", "dsse", hash, sig, 2,
                                                 f.der, f.der_len, &entry, &err),
                 MS_EVERIFY, &err, "another signature");
    assert_error(answers_rekor_v2_parse_response(j.data, j.len, "Rekor", "dsse", hash, sig, 3,
                                                 other.der, other.der_len, &entry, &err),
                 MS_EVERIFY, &err, "another certificate");
    assert_error(answers_rekor_v2_parse_response(j.data, j.len, "Rekor", "hashedrekord", hash, sig,
                                                 3, f.der, f.der_len, &entry, &err),
                 MS_EVERIFY, &err, "not hashedrekord 0.0.2");
    const char *bad = "{\"logIndex\":7}";
    assert_error(answers_rekor_v2_parse_response((const uint8_t *)bad, strlen(bad), "Rekor", "dsse",
                                                 hash, sig, 3, f.der, f.der_len, &entry, &err),
                 MS_EINPUT, &err, "Rekor answer: logIndex: missing or malformed");
    free(hash64);
    free(der64);
    free(body64);
    msx_buf_free(&body);
    msx_buf_free(&j);
    free_fixture(&f);
    free_fixture(&other);
}

/* ---- HTTP ---- */

static void test_url_policy(void **state)
{
    (void)state;
    assert_true(http_url_allowed("https://fulcio.sigstore.dev"));
    assert_true(http_url_allowed("http://127.0.0.1:8080/api"));
    assert_true(http_url_allowed("http://localhost/x"));
    assert_true(http_url_allowed("http://[::1]:9/x"));
    assert_false(http_url_allowed("http://fulcio.sigstore.dev"));
    assert_false(http_url_allowed("http://127.0.0.1.example.com/"));
    assert_false(http_url_allowed("ftp://127.0.0.1/"));
    assert_false(http_url_allowed("file:///etc/passwd"));
    assert_false(http_url_allowed("not a url"));
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    ms_http_request req = {.service = "Fulcio", .url = "http://example.com/x?token=secret"};
    assert_error(http_perform(NULL, &req, &out, &err), MS_EENV, &err,
                 "Fulcio (http://example.com/x): refused");
    assert_null(strstr(err.message, "secret"));
    ms_buf e = MS_BUF_INIT;
    assert_int_equal(http_append_escaped(&e, "a b/c~d"), 0);
    assert_string_equal((const char *)e.data, "a%20b%2Fc~d");
    msx_buf_free(&e);
}

/* A server on 127.0.0.1 answering each connection with the next of `answers` (then closing). */
static pid_t serve(const char *const *answers, size_t n, int *port)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(fd, 8), 0);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    *port = ntohs(sa.sin_port);
    pid_t pid = fork();
    if (pid == 0) {
        for (size_t i = 0; i < n; i++) {
            int c = accept(fd, NULL, NULL);
            char buf[65536];
            ssize_t got = 0, r;
            /* Read the request head and body (a short one: Content-Length up to 64 KiB). */
            while ((r = recv(c, buf + got, sizeof buf - 1 - (size_t)got, 0)) > 0) {
                got += r;
                buf[got] = '\0';
                char *end = strstr(buf, "\r\n\r\n");
                char *cl = strcasestr(buf, "Content-Length:");
                if (end && (!cl || (size_t)(got - (end + 4 - buf)) >= strtoul(cl + 15, NULL, 10)))
                    break;
            }
            if (strstr(buf, "Bearer s3cr3t"))
                (void)!write(c, answers[i], strlen(answers[i]));
            else if (strstr(buf, "Authorization"))
                (void)!write(c, "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n", 38);
            else
                (void)!write(c, answers[i], strlen(answers[i]));
            close(c);
        }
        _exit(0);
    }
    close(fd);
    return pid;
}

static void test_http_retries_and_bounds(void **state)
{
    (void)state;
    static const char *const answers[] = {
        "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 502 Bad\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        "HTTP/1.1 201 Created\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
        /* an error answer echoing the token: not quoted */
        "HTTP/1.1 401 No\r\nContent-Length: 16\r\nConnection: close\r\n\r\nbad token s3cr3t",
        "HTTP/1.1 400 No\r\nContent-Length: 13\r\nConnection: close\r\n\r\nwrong\nrequest",
        "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\nshort",
        "HTTP/1.1 200 OK\r\nContent-Length: 64\r\nConnection: close\r\n\r\n"
        "0123456789012345678901234567890123456789012345678901234567890123",
        "HTTP/1.1 500 Down\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown",
    };
    int port, status;
    char url[64];
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    pid_t pid = serve(answers, sizeof answers / sizeof *answers, &port);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api?x=1", port);
    ms_http_options o = {
        .timeout_ms = 5000, .connect_timeout_ms = 2000, .retries = 2, .max_response = 32};
    ms_http_request req = {.service = "Rekor",
                           .url = url,
                           .body = "{}",
                           .body_len = 2,
                           .content_type = "application/json",
                           .bearer = "s3cr3t"};
    /* two 5xx, then the answer */
    assert_int_equal(http_perform(&o, &req, &out, &err), 0);
    assert_string_equal((const char *)out.data, "hello");
    /* 4xx: no retry, an excerpt unless it holds the token */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/api", port);
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err, "HTTP status 401");
    assert_null(strstr(err.message, "s3cr3t"));
    unit_assert_contains(err.message, "Rekor (http://127.0.0.1:");
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err,
                 "HTTP status 400: wrong request");
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err, "truncated answer");
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err,
                 "the answer is larger than 32 bytes");
    assert_int_equal(out.len, 0);
    /* 500 on the last attempt (retries 0): reported with the status */
    o.retries = 0;
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err, "HTTP status 500: down");
    waitpid(pid, &status, 0);
    /* Nobody listening any more: a connection error after the retries, naming the service. */
    o.retries = 1;
    assert_error(http_perform(&o, &req, &out, &err), MS_EENV, &err, "Rekor (http://127.0.0.1:");
    unit_assert_contains(err.message, "(after retries)");
    msx_buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_public_good),
        cmocka_unit_test(test_config_staging),
        cmocka_unit_test(test_config_refusals),
        cmocka_unit_test(test_config_selection_refusals),
        cmocka_unit_test(test_pkce),
        cmocka_unit_test(test_jwt_claims),
        cmocka_unit_test(test_token_sources),
        cmocka_unit_test(test_redirect),
        cmocka_unit_test(test_fulcio_answer),
        cmocka_unit_test(test_rekor_v1_answer),
        cmocka_unit_test(test_rekor_v2_answer),
        cmocka_unit_test(test_url_policy),
        cmocka_unit_test(test_http_retries_and_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
