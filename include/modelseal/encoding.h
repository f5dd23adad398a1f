/* Hex and base64 (RFC 4648, standard alphabet, padded) for digests, keys and bundles. */
#ifndef MODELSEAL_ENCODING_H
#define MODELSEAL_ENCODING_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Write 2*len lowercase hex digits and a NUL into `out` (room for 2*len+1 bytes). */
void ms_hex_encode(const uint8_t *data, size_t len, char *out);

/* Decode exactly `hex_len` hex digits (either case, nothing else) into out[0..hex_len/2).
 * Returns 0, or MS_EINPUT when the text is not even-length hex or does not fit `out_cap`. */
int ms_hex_decode(const char *hex, size_t hex_len, uint8_t *out, size_t out_cap, size_t *out_len);

/* Base64-encode; returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *ms_base64_encode(const uint8_t *data, size_t len);

/* Decode standard padded base64 (no whitespace). On success *out is malloc'd (free() it, it
 * has a NUL after *out_len bytes). Returns 0, MS_EINPUT (not base64) or MS_ENOMEM. */
int ms_base64_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len);

#ifdef __cplusplus
}
#endif
#endif
