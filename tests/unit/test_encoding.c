/* Unit tests for hex and base64 (src/lib/util/encoding.h): round trips, RFC 4648 known
 * answers and strict refusal of anything that is not canonical input; and the escaped form of
 * names for terminals (msx_quote_encode). */
#include "config.h"

#include "unit.h"

#include "modelseal/error.h"
#include "util/encoding.h"

static void test_hex_round_trip(void **state)
{
    (void)state;
    uint8_t all[256];
    char hex[2 * 256 + 1];
    uint8_t back[256];
    size_t n = 0;
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    msx_hex_encode(all, sizeof all, hex);
    assert_int_equal(strlen(hex), 512);
    assert_memory_equal(hex, "000102030405060708090a0b0c0d0e0f", 32);
    assert_string_equal(hex + 480, "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff");
    assert_int_equal(msx_hex_decode(hex, strlen(hex), back, sizeof back, &n), 0);
    assert_int_equal(n, 256);
    assert_memory_equal(back, all, 256);

    /* The empty string encodes and decodes to nothing. */
    msx_hex_encode(all, 0, hex);
    assert_string_equal(hex, "");
    n = 99;
    assert_int_equal(msx_hex_decode("", 0, back, sizeof back, &n), 0);
    assert_int_equal(n, 0);
}

static void test_hex_uppercase_accepted(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 0;
    assert_int_equal(msx_hex_decode("DEADbeef", 8, out, sizeof out, &n), 0);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "\xde\xad\xbe\xef", 4);
    /* out_len may be NULL. */
    assert_int_equal(msx_hex_decode("00FF", 4, out, sizeof out, NULL), 0);
    assert_memory_equal(out, "\x00\xff", 2);
}

static void test_hex_refusals(void **state)
{
    (void)state;
    uint8_t out[4];
    size_t n = 0;
    assert_int_equal(msx_hex_decode("abc", 3, out, sizeof out, &n), MS_EINPUT);   /* odd */
    assert_int_equal(msx_hex_decode("zz", 2, out, sizeof out, &n), MS_EINPUT);    /* non-hex */
    assert_int_equal(msx_hex_decode("0g", 2, out, sizeof out, &n), MS_EINPUT);    /* non-hex */
    assert_int_equal(msx_hex_decode("00 1", 4, out, sizeof out, &n), MS_EINPUT);  /* space */
    assert_int_equal(msx_hex_decode("0x00", 4, out, sizeof out, &n), MS_EINPUT);  /* prefix */
    assert_int_equal(msx_hex_decode("00:11", 5, out, sizeof out, &n), MS_EINPUT); /* separator */
    assert_int_equal(msx_hex_decode("0011223344", 10, out, sizeof out, &n), MS_EINPUT); /* 5 > 4 */
    /* The length given is what counts: an embedded NUL inside it is not hex. */
    assert_int_equal(msx_hex_decode("00\0\0", 4, out, sizeof out, &n), MS_EINPUT);
    /* Exactly filling the buffer is fine. */
    assert_int_equal(msx_hex_decode("00112233", 8, out, sizeof out, &n), 0);
    assert_int_equal(n, 4);
}

static void test_hex_digit(void **state)
{
    (void)state;
    const char *digits = "0123456789abcdef", *upper = "ABCDEF";
    for (int i = 0; i < 16; i++)
        assert_int_equal(msx_hex_digit(digits[i]), i);
    for (int i = 0; i < 6; i++)
        assert_int_equal(msx_hex_digit(upper[i]), 10 + i);
    /* Every other byte value (and EOF) is not a digit, including the neighbours of the ranges. */
    int accepted = 0;
    for (int c = -1; c < 256; c++)
        accepted += msx_hex_digit(c) >= 0;
    assert_int_equal(accepted, 22);
    assert_int_equal(msx_hex_digit('/'), -1);
    assert_int_equal(msx_hex_digit(':'), -1);
    assert_int_equal(msx_hex_digit('@'), -1);
    assert_int_equal(msx_hex_digit('G'), -1);
    assert_int_equal(msx_hex_digit('`'), -1);
    assert_int_equal(msx_hex_digit('g'), -1);
    assert_int_equal(msx_hex_digit(0), -1);
    assert_int_equal(msx_hex_digit(0xe6), -1);
}

static const char *const rfc4648[][2] = {
    {"", ""},
    {"f", "Zg=="},
    {"fo", "Zm8="},
    {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="},
    {"fooba", "Zm9vYmE="},
    {"foobar", "Zm9vYmFy"},
};

static void test_base64_known_answers(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof rfc4648 / sizeof rfc4648[0]; i++) {
        const char *plain = rfc4648[i][0], *b64 = rfc4648[i][1];
        char *enc = msx_base64_encode((const uint8_t *)plain, strlen(plain));
        assert_non_null(enc);
        assert_string_equal(enc, b64);
        free(enc);
        uint8_t *dec = NULL;
        size_t n = 99;
        assert_int_equal(msx_base64_decode(b64, strlen(b64), &dec, &n), 0);
        assert_non_null(dec);
        assert_int_equal(n, strlen(plain));
        assert_memory_equal(dec, plain, n);
        assert_int_equal(dec[n], 0); /* NUL-terminated */
        free(dec);
    }
}

static void test_base64_binary_round_trip(void **state)
{
    (void)state;
    uint8_t all[256];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)(255 - i);
    for (size_t len = 0; len <= sizeof all; len += 37) {
        char *enc = msx_base64_encode(all, len);
        assert_non_null(enc);
        assert_int_equal(strlen(enc), (len + 2) / 3 * 4);
        uint8_t *dec = NULL;
        size_t n = 0;
        assert_int_equal(msx_base64_decode(enc, strlen(enc), &dec, &n), 0);
        assert_int_equal(n, len);
        if (len)
            assert_memory_equal(dec, all, len);
        free(dec);
        free(enc);
    }
    /* '+' and '/' are the standard alphabet's last two characters. */
    char *enc = msx_base64_encode((const uint8_t *)"\xfb\xff", 2);
    assert_string_equal(enc, "+/8=");
    free(enc);
}

static void test_base64_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "Zg",         /* missing padding */
        "Zg=",        /* short padding */
        "Zg===",      /* too much padding */
        "Zm9=v",      /* padding in the middle */
        "=Zm9",       /* leading padding */
        "Zm9v====",   /* a whole block of padding */
        "Zm9*",       /* not in the alphabet */
        "Zm9-",       /* URL-safe alphabet */
        "Zm9_",       /* URL-safe alphabet */
        "Zm 9v",      /* space */
        "Zm9v\n",     /* newline */
        " Zm9v",      /* leading space */
        "Zm9v\tYmFy", /* tab */
        "Zm\r\n9v",   /* CRLF */
        "Z",          /* length 1 */
        "Zm9vY",      /* length not a multiple of 4 */
        "Zh==",       /* non-zero trailing bits (non-canonical) */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint8_t *dec = (uint8_t *)"untouched";
        size_t n = 12345;
        int rc = msx_base64_decode(bad[i], strlen(bad[i]), &dec, &n);
        if (rc != MS_EINPUT)
            fail_msg("\"%s\" gave %d, expected MS_EINPUT", bad[i], rc);
        assert_string_equal((const char *)dec, "untouched");
    }
    /* The declared length is authoritative: a NUL inside it is refused. */
    uint8_t *dec = NULL;
    size_t n = 0;
    assert_int_equal(msx_base64_decode("Zm9v\0\0\0\0", 8, &dec, &n), MS_EINPUT);
}

/* msx_quote_encode on `len` bytes equals `want`. */
static void check_quote(const char *in, size_t len, const char *want)
{
    char *got = msx_quote_encode(in, len);
    assert_non_null(got);
    if (strcmp(got, want) != 0)
        fail_msg("quoted \"%s\", expected \"%s\"", got, want);
    free(got);
}

static void test_quote_escapes(void **state)
{
    (void)state;
    /* Printable ASCII and UTF-8 letters (2, 3 and 4 bytes) are kept. */
    check_quote("plain/name.bin", 14, "plain/name.bin");
    check_quote("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", 14,
                "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
    check_quote("", 0, "");
    /* The name, ESC and all. */
    check_quote("x\033[2K\033[1A\033[2K\rVERIFIED\n\033[8m", 27,
                "x\\033[2K\\033[1A\\033[2K\\rVERIFIED\\n\\033[8m");
    /* Backslash, tab, every other C0, NUL inside the length, DEL. */
    check_quote("a\\b\tc", 5, "a\\\\b\\tc");
    check_quote("\001\037\177", 3, "\\001\\037\\177");
    check_quote("a\0b", 3, "a\\000b");
    /* C1 (U+0080..U+009F, both bytes escaped); U+00A0 is kept. */
    check_quote("\xc2\x80\xc2\x9b\xc2\x9f\xc2\xa0", 8, "\\302\\200\\302\\233\\302\\237\xc2\xa0");
    /* Invalid UTF-8: a stray continuation byte, 0xFF, a truncated sequence, an overlong form,
     * a surrogate, a code point above U+10FFFF; escaped byte by byte, what follows kept. */
    check_quote("\x80x", 2, "\\200x");
    check_quote("\xff", 1, "\\377");
    check_quote("\xe6\x97", 2, "\\346\\227");
    check_quote("\xc0\xaf", 2, "\\300\\257");
    check_quote("\xed\xa0\x80", 3, "\\355\\240\\200");
    check_quote("\xf4\x90\x80\x80", 4, "\\364\\220\\200\\200");
    check_quote("\xc3"
                "A\xc3\xa9",
                4, "\\303A\xc3\xa9");
    /* The worst case, four bytes out per byte in. */
    check_quote("\001\001", 2, "\\001\\001");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hex_round_trip),
        cmocka_unit_test(test_hex_uppercase_accepted),
        cmocka_unit_test(test_hex_refusals),
        cmocka_unit_test(test_hex_digit),
        cmocka_unit_test(test_base64_known_answers),
        cmocka_unit_test(test_base64_binary_round_trip),
        cmocka_unit_test(test_base64_refusals),
        cmocka_unit_test(test_quote_escapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
