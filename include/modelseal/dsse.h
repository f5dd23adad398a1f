/* DSSE envelopes (Dead Simple Signing Envelope): the pre-authentication encoding that is
 * signed, and the JSON envelope as it appears in a Sigstore bundle's `dsseEnvelope`.
 *
 * This module carries signatures as data; it never creates or checks one (see key.h). It also
 * hosts the strict JSON reader that every untrusted bundle or payload goes through. */
#ifndef MODELSEAL_DSSE_H
#define MODELSEAL_DSSE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_DSSE_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"
#define MS_DSSE_MAX_SIGNATURES 16
#define MS_DSSE_MAX_PAYLOAD ((size_t)64 << 20)   /* decoded payload bytes */
#define MS_DSSE_MAX_SIGNATURE ((size_t)64 << 10) /* decoded signature bytes */
#define MS_DSSE_MAX_JSON ((size_t)96 << 20)      /* an envelope's JSON text */

typedef struct ms_dsse_signature {
    uint8_t *sig; /* raw signature bytes */
    size_t len;
    char *keyid; /* NULL when absent or null; may be "" */
} ms_dsse_signature;

typedef struct ms_dsse_envelope {
    char *payload_type;
    uint8_t *payload; /* decoded bytes exactly as received (NUL after payload_len) */
    size_t payload_len;
    ms_dsse_signature *signatures;
    size_t n_signatures;
} ms_dsse_envelope;

/* The DSSE pre-authentication encoding, the bytes a signature covers:
 * "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths in ASCII decimal.
 * *out is malloc'd (release with ms_free), *out_len bytes. 0 or MS_ENOMEM. */
MS_API int ms_dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, uint8_t **out,
                       size_t *out_len);

/* A new envelope holding copies of `payload_type` and the payload, with no signatures (free with
 * ms_dsse_envelope_free). NULL when out of memory or the payload exceeds MS_DSSE_MAX_PAYLOAD. */
MS_API ms_dsse_envelope *ms_dsse_envelope_new(const char *payload_type, const uint8_t *payload,
                                              size_t len);

/* Append a copy of a signature; `keyid` may be NULL. 0, MS_EINPUT (empty, too large, or more
 * than MS_DSSE_MAX_SIGNATURES) or MS_ENOMEM. */
MS_API int ms_dsse_envelope_add_signature(ms_dsse_envelope *env, const uint8_t *sig, size_t len,
                                          const char *keyid, ms_error *err);

/* Deep copy into *out. 0 or MS_ENOMEM. */
MS_API int ms_dsse_envelope_copy(const ms_dsse_envelope *env, ms_dsse_envelope **out,
                                 ms_error *err);

/* Read an envelope from its JSON text (untrusted; strict JSON of at most MS_DSSE_MAX_JSON
 * bytes): `payload` and every `sig` must be standard
 * padded base64, `payloadType` a string, `signatures` 1..MS_DSSE_MAX_SIGNATURES objects whose
 * `keyid` is absent, null or a string. Unknown fields are ignored. On success *out is new (free
 * with ms_dsse_envelope_free). Returns 0, MS_EINPUT (message names the field) or MS_ENOMEM. */
MS_API int ms_dsse_envelope_parse(const uint8_t *json, size_t len, ms_dsse_envelope **out,
                                  ms_error *err);

/* The envelope as compact JSON text {payload, payloadType, signatures:[{sig, keyid}]} in *out
 * (malloc'd, *out_len bytes; release with ms_free); a NULL keyid is written as "" (as
 * model_signing 1.1 does). 0 or MS_ENOMEM. */
MS_API int ms_dsse_envelope_serialize(const ms_dsse_envelope *env, char **out, size_t *out_len,
                                      ms_error *err);

MS_API void ms_dsse_envelope_free(ms_dsse_envelope *env);

#ifdef __cplusplus
}
#endif
#endif
