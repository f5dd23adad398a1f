/* Hex and base64 encodings, strict on input. Built on libsodium's constant-time codecs. */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/error.h"
#include "util/encoding.h"

void msx_hex_encode(const uint8_t *data, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, data, len);
}

int msx_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap, size_t *out_len)
{
    size_t bin_len = 0;
    const char *end = NULL;
    if (hex_len % 2 != 0 || hex_len / 2 > out_cap)
        return MS_EINPUT;
    if (sodium_hex2bin(out, out_cap, hex, hex_len, NULL, &bin_len, &end) != 0 ||
        end != hex + hex_len || bin_len != hex_len / 2)
        return MS_EINPUT;
    if (out_len)
        *out_len = bin_len;
    return 0;
}

int msx_hex_digit(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char *msx_base64_encode(const uint8_t *data, size_t len)
{
    if (len > (SIZE_MAX / 4) * 3 - 3)
        return NULL;
    size_t n = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(n);
    if (!out)
        return NULL;
    sodium_bin2base64(out, n, data, len, sodium_base64_VARIANT_ORIGINAL);
    return out;
}

int msx_base64_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
{
    size_t cap = text_len / 4 * 3 + 3;
    uint8_t *bin = malloc(cap + 1);
    size_t bin_len = 0;
    const char *end = NULL;
    if (!bin)
        return MS_ENOMEM;
    if (text_len % 4 != 0 ||
        sodium_base642bin(bin, cap, text, text_len, NULL, &bin_len, &end,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text + text_len) {
        free(bin);
        return MS_EINPUT;
    }
    bin[bin_len] = 0;
    *out = bin;
    *out_len = bin_len;
    return 0;
}

/* The length of the well-formed UTF-8 sequence at p (at most `left` bytes), 0 if there is none;
 * its code point in *cp. */
static size_t utf8_sequence(const unsigned char *p, size_t left, unsigned *cp)
{
    unsigned c = p[0];
    size_t n;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    } else if ((c & 0xE0) == 0xC0) {
        n = 1, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        n = 2, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        n = 3, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (left <= n)
        return 0;
    for (size_t k = 1; k <= n; k++) {
        if ((p[k] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (p[k] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return n + 1;
}

char *msx_quote_encode(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t cap;
    /* at most four output bytes per input byte ("\ooo") */
    if (__builtin_mul_overflow(len, 4, &cap) || __builtin_add_overflow(cap, 1, &cap))
        return NULL;
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp = 0;
        size_t n = utf8_sequence(p + i, len - i, &cp);
        int escape = n == 0 || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F);
        if (!escape && cp != '\\') {
            memcpy(out + o, p + i, n);
            o += n;
            i += n;
            continue;
        }
        if (n == 0)
            n = 1; /* an invalid byte: escape it alone and look at the next one afresh */
        for (size_t k = 0; k < n; k++) {
            unsigned char b = p[i + k];
            out[o++] = '\\';
            if (b == '\\' || b == '\t' || b == '\n' || b == '\r') {
                out[o++] = b == '\\' ? '\\' : b == '\t' ? 't' : b == '\n' ? 'n' : 'r';
            } else {
                out[o++] = (char)('0' + (b >> 6));
                out[o++] = (char)('0' + ((b >> 3) & 7));
                out[o++] = (char)('0' + (b & 7));
            }
        }
        i += n;
    }
    out[o] = 0;
    return out;
}
