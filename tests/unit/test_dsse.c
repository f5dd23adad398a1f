/* Unit tests for dsse: PAE, envelope JSON both ways, and the strict JSON reader. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format/dsse_json.h"
#include "modelseal/dsse.h"
#include "util/buf.h"
#include "util/json.h"

static void assert_error(int rc, int code, const ms_error *err, const char *needle)
{
    assert_int_equal(rc, code);
    if (!strstr(err->message, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err->message, needle);
}

static int parse_envelope(const char *text, ms_dsse_envelope **env, ms_error *err)
{
    cJSON *json = NULL;
    int rc = msx_json_parse((const uint8_t *)text, strlen(text), 1 << 20, "envelope", &json, err);
    if (rc == 0)
        rc = dsse_from_json(json, env, err);
    cJSON_Delete(json);
    return rc;
}

static void test_pae_known_answer(void **state)
{
    (void)state;
    ms_buf out = MS_BUF_INIT;
    assert_int_equal(
        dsse_pae("http://example.com/HelloWorld", (const uint8_t *)"hello world", 11, &out), 0);
    assert_string_equal((const char *)out.data,
                        "DSSEv1 29 http://example.com/HelloWorld 11 hello world");
    /* The buffer is replaced, not appended to; an empty payload keeps the trailing space. */
    assert_int_equal(dsse_pae("t", NULL, 0, &out), 0);
    assert_int_equal(out.len, 13);
    assert_memory_equal(out.data, "DSSEv1 1 t 0 ", 13);
    /* Binary payloads are copied byte for byte, NULs included. */
    const uint8_t bin[3] = {0, 0xff, 0};
    assert_int_equal(dsse_pae(MS_DSSE_INTOTO_PAYLOAD_TYPE, bin, 3, &out), 0);
    assert_int_equal(out.len, strlen("DSSEv1 28 application/vnd.in-toto+json 3 ") + 3);
    assert_memory_equal(out.data + out.len - 3, bin, 3);
    msx_buf_free(&out);
}

/* model_signing v0.2's encoding: the payload as Python's repr of bytes (expected strings are
 * Python 3's output for the same bytes). */
static void test_legacy_pae(void **state)
{
    (void)state;
    ms_buf out = MS_BUF_INIT;
    assert_int_equal(dsse_legacy_pae("t", (const uint8_t *)"it's", 4, &out), 0);
    assert_int_equal(out.len, strlen("DSSEV1 1 t 4 b\"it's\""));
    assert_memory_equal(out.data, "DSSEV1 1 t 4 b\"it's\"", out.len);
    const uint8_t mixed[] = "a'b\"c\\\t\r\n\x00\x7f\xff~ ";
    const char *want = "DSSEV1 1 t 14 b'a\\'b\"c\\\\\\t\\r\\n\\x00\\x7f\\xff~ '";
    assert_int_equal(dsse_legacy_pae("t", mixed, sizeof mixed - 1, &out), 0);
    assert_int_equal(out.len, strlen(want));
    assert_memory_equal(out.data, want, out.len);
    assert_int_equal(dsse_legacy_pae("t", NULL, 0, &out), 0);
    assert_int_equal(out.len, strlen("DSSEV1 1 t 0 b''"));
    assert_memory_equal(out.data, "DSSEV1 1 t 0 b''", out.len);
    msx_buf_free(&out);
}

/* The public API: envelopes and the PAE as text and malloc'd bytes (released with ms_free). */
static void test_public_text_api(void **state)
{
    (void)state;
    ms_error err;
    ms_dsse_envelope *env = NULL, *again = NULL;
    const char *text = "{\"payload\":\"aGVsbG8=\",\"payloadType\":\"x/y\",\"signatures\":["
                       "{\"sig\":\"AQID\",\"keyid\":\"k1\"}]}";
    assert_int_equal(ms_dsse_envelope_parse((const uint8_t *)text, strlen(text), &env, &err), 0);
    char *out = NULL;
    size_t out_len = 0;
    assert_int_equal(ms_dsse_envelope_serialize(env, &out, &out_len, &err), 0);
    assert_string_equal(out, text);
    assert_int_equal(out_len, strlen(text));
    assert_int_equal(ms_dsse_envelope_parse((const uint8_t *)out, out_len, &again, &err), 0);
    assert_int_equal(again->payload_len, 5);
    ms_dsse_envelope_free(again);
    again = NULL;
    ms_free(out);
    /* Strict JSON, like every reader of outside input: a duplicate key is refused. */
    const char *dup = "{\"payload\":\"aGVsbG8=\",\"payload\":\"aGVsbG8=\"}";
    assert_int_equal(ms_dsse_envelope_parse((const uint8_t *)dup, strlen(dup), &again, &err),
                     MS_EINPUT);
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    assert_int_equal(ms_dsse_pae("t", (const uint8_t *)"ab", 2, &pae, &pae_len), 0);
    assert_int_equal(pae_len, 15);
    assert_memory_equal(pae, "DSSEv1 1 t 2 ab", 15);
    ms_free(pae);
    ms_dsse_envelope_free(env);
    ms_dsse_envelope_free(again);
}

static void test_envelope_keyid_forms(void **state)
{
    (void)state;
    ms_error err;
    ms_dsse_envelope *env = NULL;
    /* "aGVsbG8=" = "hello", "AQID" = 01 02 03 */
    const char *text = "{\"payload\":\"aGVsbG8=\",\"payloadType\":\"x/y\",\"signatures\":["
                       "{\"sig\":\"AQID\"},{\"sig\":\"AQID\",\"keyid\":null},"
                       "{\"sig\":\"AQID\",\"keyid\":\"\"},{\"sig\":\"AQID\",\"keyid\":\"k1\"}],"
                       "\"extra\":1}";
    assert_int_equal(parse_envelope(text, &env, &err), 0);
    assert_string_equal(env->payload_type, "x/y");
    assert_int_equal(env->payload_len, 5);
    assert_memory_equal(env->payload, "hello", 5);
    assert_int_equal(env->n_signatures, 4);
    assert_int_equal(env->signatures[0].len, 3);
    assert_memory_equal(env->signatures[0].sig, "\x01\x02\x03", 3);
    assert_null(env->signatures[0].keyid);
    assert_null(env->signatures[1].keyid);
    assert_string_equal(env->signatures[2].keyid, "");
    assert_string_equal(env->signatures[3].keyid, "k1");

    /* Out: NULL keyid written as "", order payload, payloadType, signatures. */
    cJSON *json = dsse_to_json(env);
    assert_non_null(json);
    char *printed = cJSON_PrintUnformatted(json);
    assert_string_equal(printed,
                        "{\"payload\":\"aGVsbG8=\",\"payloadType\":\"x/y\",\"signatures\":["
                        "{\"sig\":\"AQID\",\"keyid\":\"\"},{\"sig\":\"AQID\",\"keyid\":\"\"},"
                        "{\"sig\":\"AQID\",\"keyid\":\"\"},{\"sig\":\"AQID\",\"keyid\":\"k1\"}]}");
    free(printed);

    /* Round trip through JSON gives the same bytes. */
    ms_dsse_envelope *again = NULL;
    assert_int_equal(dsse_from_json(json, &again, &err), 0);
    assert_int_equal(again->payload_len, 5);
    assert_memory_equal(again->payload, "hello", 5);
    assert_int_equal(again->n_signatures, 4);
    cJSON_Delete(json);
    ms_dsse_envelope_free(again);

    ms_dsse_envelope *copy = NULL;
    assert_int_equal(ms_dsse_envelope_copy(env, &copy, &err), 0);
    assert_string_equal(copy->signatures[3].keyid, "k1");
    assert_null(copy->signatures[0].keyid);
    ms_dsse_envelope_free(copy);
    ms_dsse_envelope_free(env);
    ms_dsse_envelope_free(NULL);
}

static void test_envelope_refusals(void **state)
{
    (void)state;
    ms_error err;
    ms_dsse_envelope *env = NULL;
    struct {
        const char *json;
        const char *needle;
    } cases[] = {
        {"[]", "dsseEnvelope: not an object"},
        {"{\"payload\":\"aGVsbG8=\",\"signatures\":[{\"sig\":\"AQID\"}]}",
         "dsseEnvelope.payloadType: missing"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":7,\"signatures\":[{\"sig\":\"AQID\"}]}",
         "dsseEnvelope.payloadType: not a string"},
        {"{\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQID\"}]}",
         "dsseEnvelope.payload: missing"},
        {"{\"payload\":\"aGVsbG8\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQID\"}]}",
         "dsseEnvelope.payload: not valid base64"},
        {"{\"payload\":\"aGV*bG8=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQID\"}]}",
         "dsseEnvelope.payload: not valid base64"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQ ID\"}]}",
         "dsseEnvelope.signatures[0].sig: not valid base64"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"\"}]}",
         "dsseEnvelope.signatures[0].sig: empty"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[{\"keyid\":\"\"}]}",
         "dsseEnvelope.signatures[0].sig: missing"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[]}",
         "dsseEnvelope.signatures: empty"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":{}}",
         "dsseEnvelope.signatures: not an array"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[\"AQID\"]}",
         "dsseEnvelope.signatures[0]: not an object"},
        {"{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[{\"sig\":\"AQID\","
         "\"keyid\":5}]}",
         "dsseEnvelope.signatures[0].keyid: not a string or null"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        env = NULL;
        assert_error(parse_envelope(cases[i].json, &env, &err), MS_EINPUT, &err, cases[i].needle);
        assert_null(env);
    }

    /* 17 signatures: one too many. */
    char text[2048] = "{\"payload\":\"aGVsbG8=\",\"payloadType\":\"t\",\"signatures\":[";
    for (int i = 0; i < 17; i++)
        strcat(text, i ? ",{\"sig\":\"AQID\"}" : "{\"sig\":\"AQID\"}");
    strcat(text, "]}");
    assert_error(parse_envelope(text, &env, &err), MS_EINPUT, &err,
                 "dsseEnvelope.signatures: more than 16");
}

static void test_add_signature_bounds(void **state)
{
    (void)state;
    ms_error err;
    ms_dsse_envelope *env = ms_dsse_envelope_new("t", (const uint8_t *)"p", 1);
    assert_non_null(env);
    assert_error(ms_dsse_envelope_add_signature(env, (const uint8_t *)"", 0, NULL, &err), MS_EINPUT,
                 &err, "empty");
    for (int i = 0; i < MS_DSSE_MAX_SIGNATURES; i++)
        assert_int_equal(ms_dsse_envelope_add_signature(env, (const uint8_t *)"s", 1, "k", &err),
                         0);
    assert_error(ms_dsse_envelope_add_signature(env, (const uint8_t *)"s", 1, NULL, &err),
                 MS_EINPUT, &err, "more than 16");
    ms_dsse_envelope_free(env);
}

static int json_refused(const char *text, size_t len, const char *needle)
{
    ms_error err;
    cJSON *json = NULL;
    int rc = msx_json_parse((const uint8_t *)text, len, 1 << 20, "doc", &json, &err);
    assert_null(json);
    assert_error(rc, MS_EINPUT, &err, needle);
    return rc;
}

static void test_strict_json(void **state)
{
    (void)state;
    ms_error err;
    cJSON *json = NULL;
    const char *ok = " {\"a\":[1,{\"b\":\"\\u00e9\\n\\\"\"}],\"c\":"
                     "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\r\n";
    assert_int_equal(msx_json_parse((const uint8_t *)ok, strlen(ok), 1 << 20, "doc", &json, &err),
                     0);
    assert_string_equal(cJSON_GetObjectItem(json, "c")->valuestring,
                        "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    cJSON_Delete(json);

    json_refused("", 0, "doc: empty");
    json_refused("{\"a\":1", 6, "doc: not valid JSON");
    json_refused("hello", 5, "doc: not valid JSON");
    json_refused("{\"a\":1} x", 9, "doc: trailing data after JSON (at byte 8)");
    json_refused("{\"a\":1}{}", 9, "trailing data");
    json_refused("{\"a\":1}\0", 8, "trailing data");
    json_refused("{\"a\":1,\"a\":2}", 13, "doc: duplicate JSON key \"a\"");
    json_refused("{\"x\":[{\"k\":1,\"j\":0,\"k\":2}]}", 27, "duplicate JSON key \"k\"");
    json_refused("{\"a\":\"x\\u0000y\"}", 16, "NUL (\\u0000)");
    json_refused("{\"a\\u0000\":1}", 13, "NUL (\\u0000)");
    json_refused("{\"a\":\"x\ty\"}", 11, "control character");
    json_refused("{\"a\":\"x\0y\"}", 11, "control character");
    json_refused("{\"a\":\"\xc3\"}", 9, "invalid UTF-8");
    json_refused("{\"a\":\"\xc0\xaf\"}", 10, "invalid UTF-8");     /* overlong '/' */
    json_refused("{\"a\":\"\xed\xa0\x80\"}", 11, "invalid UTF-8"); /* surrogate */
    json_refused("{\"a\":\"\xf4\x90\x80\x80\"}", 12, "invalid UTF-8");
    assert_int_equal(msx_json_parse((const uint8_t *)"{}", 2, 1, "doc", &json, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "doc: larger than 1 bytes"));
}

static void test_deep_nesting(void **state)
{
    (void)state;
    /* 64 levels parse; 65 do not; 100,000 are refused quickly and without recursion. */
    char ok[200];
    memset(ok, '[', 64);
    memset(ok + 64, ']', 64);
    ms_error err;
    cJSON *json = NULL;
    assert_int_equal(msx_json_parse((const uint8_t *)ok, 128, 1 << 20, "doc", &json, &err), 0);
    cJSON_Delete(json);
    char deep65[140];
    memset(deep65, '[', 65);
    memset(deep65 + 65, ']', 65);
    json_refused(deep65, 130, "doc: JSON nested deeper than 64");

    size_t n = 100000;
    char *deep = malloc(2 * n);
    assert_non_null(deep);
    for (size_t i = 0; i < n; i++) {
        deep[i] = (i % 2) ? '[' : '{';
        deep[2 * n - 1 - i] = (i % 2) ? ']' : '}';
    }
    clock_t t0 = clock();
    json_refused(deep, 2 * n, "nested deeper than 64");
    assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 1.0);
    free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pae_known_answer),  cmocka_unit_test(test_legacy_pae),
        cmocka_unit_test(test_public_text_api),   cmocka_unit_test(test_envelope_keyid_forms),
        cmocka_unit_test(test_envelope_refusals), cmocka_unit_test(test_add_signature_bounds),
        cmocka_unit_test(test_strict_json),       cmocka_unit_test(test_deep_nesting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
