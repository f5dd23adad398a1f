/* Hex and base64 (RFC 4648, standard alphabet, padded) for digests, keys and bundles, and the
 * escaped form in which names from outside are shown on terminals and in logs. */
#ifndef MODELSEAL_ENCODING_H
#define MODELSEAL_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write 2*len lowercase hex digits and a NUL into `out` (room for 2*len+1 bytes). */
void msx_hex_encode(const uint8_t *data, size_t len, char *out);

/* Decode exactly `hex_len` hex digits (either case, nothing else) into out[0..hex_len/2).
 * Returns 0, or MS_EINPUT when the text is not even-length hex or does not fit `out_cap`. */
int msx_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* The value (0..15) of one hex digit, either case; -1 for any other character. For decoding
 * that is not a whole hex string (percent-encoding, JSON's \uXXXX); strings: msx_hex_decode. */
int msx_hex_digit(int c);

/* Base64-encode; returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *msx_base64_encode(const uint8_t *data, size_t len);

/* Decode standard padded base64 (no whitespace). On success *out is malloc'd (free() it, it
 * has a NUL after *out_len bytes). Returns 0, MS_EINPUT (not base64) or MS_ENOMEM. */
int msx_base64_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len);

/* Text safe to show on a terminal or in a log, for `len` bytes of a name or message from outside
 * (file names, identities, URIs, reasons from bundles). A backslash becomes \\ ; tab, newline
 * and carriage return become \t, \n and \r; every other byte of a control character (C0, DEL,
 * and both bytes of a C1 character U+0080..U+009F) or of an invalid UTF-8 sequence becomes a
 * backslash and three octal digits, as git's core.quotePath does (\033 for ESC, \302\233 for
 * U+009B). Printable UTF-8, non-ASCII letters included, is kept as it is. Returns a malloc'd
 * NUL-terminated string (free() it), or NULL when out of memory. */
char *msx_quote_encode(const char *s, size_t len);

#ifdef __cplusplus
}
#endif
#endif
