/* Strict parsing of untrusted JSON (bundles, statements, claims, policies, manifests).
 *
 * cJSON does the parsing; this layer bounds size and depth before it runs, and refuses what
 * cJSON would silently accept or mangle (duplicate keys, \u0000 that truncates a string,
 * invalid UTF-8, trailing data). */
#ifndef MODELSEAL_JSON_H
#define MODELSEAL_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_JSON_MAX_DEPTH 64

/* Parse untrusted JSON text strictly: at most `max_len` bytes, nesting at most MS_JSON_MAX_DEPTH
 * (checked before parsing, without recursion), well-formed UTF-8, no control characters or
 * \u0000 inside strings, no duplicate keys in any object, nothing but whitespace after the value.
 * `what` names the document in messages ("bundle", "statement"). On success *out is a new cJSON
 * tree (cJSON_Delete it). Returns 0, MS_EINPUT or MS_ENOMEM. */
int msx_json_parse(const uint8_t *text, size_t len, size_t max_len, const char *what, cJSON **out,
                   ms_error *err);

/* Add an unsigned integer member written exactly (cJSON's numbers are doubles and print only 15
 * significant digits). Returns the new item, or NULL when out of memory. */
cJSON *msx_json_add_uint(cJSON *object, const char *name, uint64_t value);

/* Decode the base64 string `item` (standard alphabet, padded) into a new buffer (*out, free()
 * it) of at most `max` bytes; an empty one only with `allow_empty`. `field` names it in
 * messages ("dsseEnvelope.payload: not valid base64"). 0, MS_EINPUT or MS_ENOMEM. */
int msx_json_base64_field(const cJSON *item, const char *field, size_t max, int allow_empty,
                          uint8_t **out, size_t *out_len, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
