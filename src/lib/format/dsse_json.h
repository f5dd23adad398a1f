/* DSSE inside the library (not installed; format/ and the layers above it): the forms that
 * work on the library's own buffer and JSON trees. include/modelseal/dsse.h is the API. */
#ifndef MODELSEAL_FORMAT_DSSE_JSON_H
#define MODELSEAL_FORMAT_DSSE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/dsse.h"
#include "util/buf.h"

/* ms_dsse_pae into `out` (its contents replaced). 0 or MS_ENOMEM. */
int dsse_pae(const char *payload_type, const uint8_t *payload, size_t len, ms_buf *out);

/* The pre-authentication encoding model_signing v0.2 signed (verify-only history, never
 * produced): "DSSEV1 <type length> <type> <payload length> " followed by the payload written as
 * Python writes a bytes object (b'...', the quote Python would choose, \\ \t \n \r and the
 * quote escaped, other bytes outside 0x20..0x7e as \xNN). Into `out` (replaced). 0 or MS_ENOMEM. */
int dsse_legacy_pae(const char *payload_type, const uint8_t *payload, size_t len, ms_buf *out);

/* The envelope from / as a cJSON object (ms_dsse_envelope_parse and _serialize over text). */
int dsse_from_json(const cJSON *obj, ms_dsse_envelope **out, ms_error *err);
cJSON *dsse_to_json(const ms_dsse_envelope *env);

#endif
