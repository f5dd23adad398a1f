/* Hex and base64 encodings, strict on input. Built on libsodium's constant-time codecs. */
#include "config.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/encoding.h"
#include "modelseal/error.h"

void ms_hex_encode(const uint8_t *data, size_t len, char *out)
{
    sodium_bin2hex(out, len * 2 + 1, data, len);
}

int ms_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap, size_t *out_len)
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

char *ms_base64_encode(const uint8_t *data, size_t len)
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

int ms_base64_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
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
