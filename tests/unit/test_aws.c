/* Unit tests for net/aws.c: Signature Version 4 against AWS's published examples (the S3
 * GET Object, list and PUT Object examples and the signature test suite's get-vanilla, their
 * values kept here as data), the shared credentials and config files (profiles, comments,
 * sub-settings, malformed lines), the credential chain's order, the region, the XML helpers
 * the STS and S3 answers are read with, and percent-decoding (lenient and strict). */
#include "config.h"

#include "unit.h"

#include "net/aws.h"

#define T_20130524 1369353600LL /* 2013-05-24T00:00:00Z */
#define T_20150830 1440938160LL /* 2015-08-30T12:36:00Z */

static const char *authorization(const aws_signed *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (strncmp(s->headers[i], "Authorization: ", 15) == 0)
            return s->headers[i] + 15;
    fail_msg("no Authorization header");
    return NULL;
}

static void set_example_creds(aws_credentials *c, const char *id, const char *secret)
{
    ms_error err;
    assert_int_equal(aws_credentials_set(c, id, secret, NULL, "test", &err), 0);
}

static void test_sigv4_s3_get_object(void **state)
{
    (void)state;
    aws_credentials c = {0};
    aws_signed s;
    ms_error err;
    set_example_creds(&c, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    const char *h[] = {"Range: bytes=0-9"};
    aws_sigv4_request r = {.method = "GET",
                           .url = "https://examplebucket.s3.amazonaws.com/test.txt",
                           .service = "s3",
                           .region = "us-east-1",
                           .headers = h,
                           .n_headers = 1,
                           .content_sha256_header = 1,
                           .when = T_20130524};
    assert_int_equal(aws_sigv4_sign(&r, &c, &s, &err), 0);
    assert_string_equal(authorization(&s),
                        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
                        "aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb4"
                        "1");
    assert_int_equal(s.n, 3);
    assert_string_equal(s.headers[1], "X-Amz-Date: 20130524T000000Z");
    assert_string_equal(s.headers[2], "X-Amz-Content-Sha256: "
                                      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785"
                                      "2b855");
    aws_signed_clear(&s);
    aws_credentials_clear(&c);
}

static void test_sigv4_s3_list(void **state)
{
    (void)state;
    aws_credentials c = {0};
    aws_signed s;
    ms_error err;
    ms_buf canonical = MS_BUF_INIT, to_sign = MS_BUF_INIT;
    set_example_creds(&c, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    /* the query in another order: the canonical form sorts it */
    aws_sigv4_request r = {.method = "GET",
                           .url = "https://examplebucket.s3.amazonaws.com/?prefix=J&max-keys=2",
                           .service = "s3",
                           .region = "us-east-1",
                           .content_sha256_header = 1,
                           .when = T_20130524};
    assert_int_equal(aws_sigv4_sign(&r, &c, &s, &err), 0);
    unit_assert_contains(authorization(&s), "SignedHeaders=host;x-amz-content-sha256;x-amz-date, "
                                            "Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59"
                                            "db6670ed5711ef69dc6f7");
    assert_int_equal(aws_sigv4_canonical(&r, &c, &canonical, &to_sign, &err), 0);
    assert_int_equal(msx_buf_append(&canonical, "", 1), 0);
    unit_assert_contains((const char *)canonical.data, "GET\n/\nmax-keys=2&prefix=J\nhost:");
    msx_buf_free(&canonical);
    msx_buf_free(&to_sign);
    aws_signed_clear(&s);
    aws_credentials_clear(&c);
}

static void test_sigv4_s3_put_object(void **state)
{
    (void)state;
    aws_credentials c = {0};
    aws_signed s;
    ms_error err;
    set_example_creds(&c, "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    const char *h[] = {"Date: Fri, 24 May 2013 00:00:00 GMT",
                       "x-amz-storage-class: REDUCED_REDUNDANCY"};
    const char body[] = "Welcome to Amazon S3.";
    aws_sigv4_request r = {.method = "PUT",
                           .url = "https://examplebucket.s3.amazonaws.com/test%24file.text",
                           .service = "s3",
                           .region = "us-east-1",
                           .headers = h,
                           .n_headers = 2,
                           .body = body,
                           .body_len = sizeof body - 1,
                           .content_sha256_header = 1,
                           .when = T_20130524};
    assert_int_equal(aws_sigv4_sign(&r, &c, &s, &err), 0);
    unit_assert_contains(authorization(&s),
                         "SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-"
                         "class, Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af"
                         "0ece108bd");
    aws_signed_clear(&s);
    aws_credentials_clear(&c);
}

static void test_sigv4_get_vanilla(void **state)
{
    (void)state;
    aws_credentials c = {0};
    aws_signed s;
    ms_error err;
    set_example_creds(&c, "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
    aws_sigv4_request r = {.method = "GET",
                           .url = "https://example.amazonaws.com/",
                           .service = "service",
                           .region = "us-east-1",
                           .when = T_20150830};
    assert_int_equal(aws_sigv4_sign(&r, &c, &s, &err), 0);
    assert_string_equal(authorization(&s),
                        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/"
                        "aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf"
                        "1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
    assert_int_equal(s.n, 2); /* no content hash header outside S3, no token */
    aws_signed_clear(&s);
    aws_credentials_clear(&c);
}

static void test_sigv4_token_and_port(void **state)
{
    (void)state;
    aws_credentials c = {0};
    aws_signed s;
    ms_error err;
    ms_buf canonical = MS_BUF_INIT, to_sign = MS_BUF_INIT;
    assert_int_equal(aws_credentials_set(&c, "AKID", "SECRET", "TOKEN/+=", "test", &err), 0);
    aws_sigv4_request r = {.method = "GET",
                           .url = "http://127.0.0.1:9000/bucket/a%20b/c~d?list-type=2&"
                                  "continuation-token=x%2By%3D",
                           .service = "s3",
                           .region = "us-east-1",
                           .payload_hash = "UNSIGNED-PAYLOAD",
                           .content_sha256_header = 1,
                           .when = T_20130524};
    assert_int_equal(aws_sigv4_sign(&r, &c, &s, &err), 0);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.headers[3], "X-Amz-Security-Token: TOKEN/+=");
    unit_assert_contains(authorization(&s),
                         "SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
    assert_int_equal(aws_sigv4_canonical(&r, &c, &canonical, &to_sign, &err), 0);
    assert_int_equal(msx_buf_append(&canonical, "", 1), 0);
    assert_string_equal((const char *)canonical.data,
                        "GET\n/bucket/a%20b/c~d\ncontinuation-token=x%2By%3D&list-type=2\n"
                        "host:127.0.0.1:9000\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"
                        "x-amz-date:20130524T000000Z\nx-amz-security-token:TOKEN/+=\n\n"
                        "host;x-amz-content-sha256;x-amz-date;x-amz-security-token\n"
                        "UNSIGNED-PAYLOAD");
    /* a header without a name */
    const char *bad[] = {": x"};
    r.headers = bad;
    r.n_headers = 1;
    aws_signed s2;
    assert_int_equal(aws_sigv4_sign(&r, &c, &s2, &err), MS_EINPUT);
    msx_buf_free(&canonical);
    msx_buf_free(&to_sign);
    aws_signed_clear(&s);
    aws_credentials_clear(&c);
}

/* ---- files ---- */

static void test_ini(void **state)
{
    (void)state;
    const char text[] = "# comment\n"
                        "[default]\n"
                        "aws_access_key_id = AKDEFAULT\n"
                        "  ; indented comment\n"
                        "[profile dev]\r\n"
                        "region=eu-west-3 \r\n"
                        "s3 =\n"
                        "  addressing_style = path\n"
                        "aws_secret_access_key = a=b\n"
                        "[ default ]\n"
                        "aws_access_key_id = AKLAST\n";
    char *v = NULL;
    ms_error err;
    assert_int_equal(
        aws_ini_get(text, sizeof text - 1, "f", "default", "aws_access_key_id", &v, &err), 1);
    assert_string_equal(v, "AKLAST"); /* the last wins */
    aws_value_free(v);
    assert_int_equal(aws_ini_get(text, sizeof text - 1, "f", "profile dev", "region", &v, &err), 1);
    assert_string_equal(v, "eu-west-3");
    aws_value_free(v);
    assert_int_equal(
        aws_ini_get(text, sizeof text - 1, "f", "profile dev", "aws_secret_access_key", &v, &err),
        1);
    assert_string_equal(v, "a=b");
    aws_value_free(v);
    assert_int_equal(
        aws_ini_get(text, sizeof text - 1, "f", "profile dev", "addressing_style", &v, &err), 0);
    assert_null(v);
    assert_int_equal(aws_ini_get(text, sizeof text - 1, "f", "nope", "region", &v, &err), 0);

    const char bad[] = "[default]\nthis line has no equals sign\n";
    assert_int_equal(aws_ini_get(bad, sizeof bad - 1, "creds", "default", "x", &v, &err),
                     MS_EINPUT);
    assert_string_equal(err.message,
                        "creds:2: not a [section], a comment or a \"key = value\" line");
    const char bad2[] = "[default\n";
    assert_int_equal(aws_ini_get(bad2, sizeof bad2 - 1, "c", "default", "x", &v, &err), MS_EINPUT);
    const char nul[] = "[default]\nx = a\0b\n";
    assert_int_equal(aws_ini_get(nul, sizeof nul - 1, "c", "default", "x", &v, &err), MS_EINPUT);
}

static void clear_env(void)
{
    static const char *const vars[] = {"AWS_ACCESS_KEY_ID",
                                       "AWS_SECRET_ACCESS_KEY",
                                       "AWS_SESSION_TOKEN",
                                       "AWS_PROFILE",
                                       "AWS_SHARED_CREDENTIALS_FILE",
                                       "AWS_CONFIG_FILE",
                                       "AWS_WEB_IDENTITY_TOKEN_FILE",
                                       "AWS_ROLE_ARN",
                                       "AWS_REGION",
                                       "AWS_DEFAULT_REGION",
                                       "AWS_ENDPOINT_URL_STS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
        unsetenv(vars[i]);
}

static void test_chain(void **state)
{
    (void)state;
    char dir[PATH_MAX], cred[PATH_MAX], conf[PATH_MAX], region[64];
    aws_credentials c = {0};
    ms_error err;
    unit_tmpdir(dir);
    unit_path(cred, dir, "credentials");
    unit_path(conf, dir, "config");
    unit_write_str(dir, "credentials",
                   "[default]\naws_access_key_id = AKFILE\n"
                   "aws_secret_access_key = SKFILE\n"
                   "[dev]\naws_access_key_id = AKDEV\naws_secret_access_key = SKDEV\n"
                   "aws_session_token = TKDEV\n"
                   "[half]\naws_access_key_id = AKHALF\n");
    unit_write_str(dir, "config",
                   "[default]\nregion = us-west-2\n[profile dev]\nregion = eu-central-1\n"
                   "[profile cfg]\naws_access_key_id = AKCFG\n"
                   "aws_secret_access_key = SKCFG\n");
    clear_env();
    setenv("HOME", dir, 1); /* no ~/.aws there */
    assert_int_equal(aws_credentials_load(NULL, &c, &err), MS_EENV);
    unit_assert_contains(err.message, "no AWS credentials");
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "");
    setenv("HOME", conf, 1); /* a file: ~/.aws/config names no file either (ENOTDIR) */
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "");
    assert_int_equal(aws_credentials_load(NULL, &c, &err), MS_EENV);
    unit_assert_contains(err.message, "no AWS credentials");
    setenv("HOME", dir, 1);

    setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1);
    setenv("AWS_CONFIG_FILE", conf, 1);
    assert_int_equal(aws_credentials_load(NULL, &c, &err), 0);
    assert_string_equal(c.access_key_id, "AKFILE");
    assert_string_equal(c.secret_access_key, "SKFILE");
    assert_null(c.session_token);
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "us-west-2");

    setenv("AWS_PROFILE", "dev", 1);
    assert_int_equal(aws_credentials_load(NULL, &c, &err), 0);
    assert_string_equal(c.access_key_id, "AKDEV");
    assert_string_equal(c.session_token, "TKDEV");
    unit_assert_contains(c.source, "profile dev");
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "eu-central-1");
    setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "ap-south-1");
    setenv("AWS_REGION", "sa-east-1", 1);
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), 0);
    assert_string_equal(region, "sa-east-1");
    setenv("AWS_REGION", "Bad Region", 1);
    assert_int_equal(aws_region_resolve(NULL, region, sizeof region, &err), MS_EINPUT);
    unsetenv("AWS_REGION");

    aws_load_options o = {.profile = "cfg"};
    assert_int_equal(aws_credentials_load(&o, &c, &err), 0);
    assert_string_equal(c.access_key_id, "AKCFG");

    setenv("AWS_PROFILE", "half", 1);
    assert_int_equal(aws_credentials_load(NULL, &c, &err), MS_EINPUT);
    unit_assert_contains(err.message, "aws_access_key_id without aws_secret_access_key");
    assert_null(c.access_key_id);

    /* the environment first; never its values in a message */
    setenv("AWS_ACCESS_KEY_ID", "AKENV", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "SKENV", 1);
    setenv("AWS_SESSION_TOKEN", "TKENV", 1);
    assert_int_equal(aws_credentials_load(NULL, &c, &err), 0);
    assert_string_equal(c.access_key_id, "AKENV");
    assert_string_equal(c.session_token, "TKENV");
    assert_string_equal(c.source, "environment");
    unsetenv("AWS_SECRET_ACCESS_KEY");
    assert_int_equal(aws_credentials_load(NULL, &c, &err), MS_EENV);
    assert_string_equal(err.message, "AWS_ACCESS_KEY_ID is set without AWS_SECRET_ACCESS_KEY");

    /* web identity: STS refused (nothing listens there) is an error naming STS */
    clear_env();
    unit_path(cred, dir, "token");
    unit_write_str(dir, "token", "eyJtoken\n");
    setenv("AWS_WEB_IDENTITY_TOKEN_FILE", cred, 1);
    setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/r", 1);
    setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1/", 1);
    ms_http_options http = {.retries = 0, .connect_timeout_ms = 2000};
    aws_load_options wo = {.http = &http};
    assert_int_equal(aws_credentials_load(&wo, &c, &err), MS_EENV);
    unit_assert_contains(err.message, "STS (http://127.0.0.1:1/)");
    assert_null(strstr(err.message, "eyJtoken"));
    clear_env();
    aws_credentials_clear(&c);
    unit_rmtree(dir);
}

static void test_xml(void **state)
{
    (void)state;
    const char x[] = "<?xml version=\"1.0\"?><R xmlns=\"u\"><KeyCount>2</KeyCount>"
                     "<Contents><Key>a&amp;b&#x2F;&#47;&lt;</Key><Size>3</Size></Contents>"
                     "<Contents><Key/><Size>0</Size></Contents><Bad>&bogus;</Bad></R>";
    size_t pos = 0, a, b, ia, ib;
    ms_buf t = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(aws_xml_next(x, sizeof x - 1, &pos, "Contents", &a, &b), 1);
    size_t inner = a;
    assert_int_equal(aws_xml_next(x, b, &inner, "Key", &ia, &ib), 1);
    assert_int_equal(aws_xml_text(x + ia, ib - ia, 100, &t, &err), 0);
    assert_string_equal((const char *)t.data, "a&b//<");
    assert_int_equal(aws_xml_next(x, sizeof x - 1, &pos, "Contents", &a, &b), 1);
    inner = a;
    assert_int_equal(aws_xml_next(x, b, &inner, "Key", &ia, &ib), 1);
    assert_int_equal(ib - ia, 0);
    assert_int_equal(aws_xml_next(x, sizeof x - 1, &pos, "Contents", &a, &b), 0);
    pos = 0;
    assert_int_equal(aws_xml_next(x, sizeof x - 1, &pos, "Key", &a, &b), 1); /* not KeyCount */
    pos = 0;
    assert_int_equal(aws_xml_next(x, sizeof x - 1, &pos, "Bad", &a, &b), 1);
    assert_int_equal(aws_xml_text(x + a, b - a, 100, &t, &err), MS_EINPUT);
    assert_int_equal(aws_xml_text("&#0;", 4, 100, &t, &err), MS_EINPUT);
    assert_int_equal(aws_xml_text("&#xD800;", 8, 100, &t, &err), MS_EINPUT);
    assert_int_equal(aws_xml_text("abcdef", 6, 3, &t, &err), MS_EINPUT);
    /* unterminated */
    pos = 0;
    assert_int_equal(aws_xml_next("<Key>abc", 8, &pos, "Key", &a, &b), 0);
    msx_buf_free(&t);
}

/* Percent-decoding: lenient (a SigV4 query, a bad escape kept) and strict (a listed key). */
static void test_uri_decode(void **state)
{
    (void)state;
    ms_buf t = MS_BUF_INIT;
    assert_int_equal(aws_uri_decode(&t, "a%2Fb%20c+%00d%e9", 17, 1), 0);
    assert_int_equal(t.len, 9);
    assert_memory_equal(t.data, "a/b c+\0d", 8);
    assert_int_equal(t.data[8], 0xe9);
    assert_int_equal(aws_uri_decode(&t, "x%4", 3, 0), 0); /* contents replaced, '%' kept */
    assert_int_equal(t.len, 3);
    assert_memory_equal(t.data, "x%4", 3);
    assert_int_equal(aws_uri_decode(&t, "%zz%41", 6, 0), 0);
    assert_memory_equal(t.data, "%zzA", 4);
    assert_int_equal(t.len, 4);
    assert_int_equal(aws_uri_decode(&t, "x%4", 3, 1), MS_EINPUT);
    assert_int_equal(aws_uri_decode(&t, "%zz", 3, 1), MS_EINPUT);
    assert_int_equal(aws_uri_decode(&t, "a%", 2, 1), MS_EINPUT);
    assert_int_equal(aws_uri_decode(&t, "%41", 3, 1), 0);
    assert_int_equal(t.len, 1);
    assert_int_equal(t.data[0], 'A');
    msx_buf_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sigv4_s3_get_object),
        cmocka_unit_test(test_sigv4_s3_list),
        cmocka_unit_test(test_sigv4_s3_put_object),
        cmocka_unit_test(test_sigv4_get_vanilla),
        cmocka_unit_test(test_sigv4_token_and_port),
        cmocka_unit_test(test_ini),
        cmocka_unit_test(test_chain),
        cmocka_unit_test(test_xml),
        cmocka_unit_test(test_uri_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
