/* Bundles inside the library (not installed; format/ and the layers above it): the forms that
 * work on the library's own buffer and JSON trees. include/modelseal/bundle.h is the API. */
#ifndef MODELSEAL_FORMAT_BUNDLE_JSON_H
#define MODELSEAL_FORMAT_BUNDLE_JSON_H

#include <cjson/cJSON.h>

#include "modelseal/bundle.h"
#include "util/buf.h"

/* ms_bundle_serialize into `out` (its contents replaced). */
int bundle_serialize(const ms_bundle *b, ms_buf *out, ms_error *err);

/* tlogEntries (an array) / timestampVerificationData (an object) as cJSON trees: replaced by a
 * deep copy of `json` (NULL removes them; 0, MS_EINPUT or MS_ENOMEM), or read (NULL when
 * absent). */
int bundle_set_tlog_entries(ms_bundle *b, const cJSON *json, ms_error *err);
int bundle_set_timestamp_data(ms_bundle *b, const cJSON *json, ms_error *err);
const cJSON *bundle_tlog_entries(const ms_bundle *b);
const cJSON *bundle_timestamp_data(const ms_bundle *b);

#endif
