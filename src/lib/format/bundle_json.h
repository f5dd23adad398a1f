/* Bundles inside the library (not installed; format/ and the layers above it): the forms that
 * work on the library's own buffer and JSON trees. include/modelseal/bundle.h is the API. */
#ifndef MODELSEAL_FORMAT_BUNDLE_JSON_H
#define MODELSEAL_FORMAT_BUNDLE_JSON_H

#include "modelseal/bundle.h"
#include "util/buf.h"

/* ms_bundle_serialize into `out` (its contents replaced). */
int bundle_serialize(const ms_bundle *b, ms_buf *out, ms_error *err);

#endif
