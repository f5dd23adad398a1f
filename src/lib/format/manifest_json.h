/* Manifests inside the library (not installed; format/ and the layers above it): the
 * predicate's serialization and resources as cJSON trees (statement.c reads and writes them).
 * include/modelseal/manifest.h is the API. */
#ifndef MODELSEAL_FORMAT_MANIFEST_JSON_H
#define MODELSEAL_FORMAT_MANIFEST_JSON_H

#include <cjson/cJSON.h>

#include "modelseal/manifest.h"

/* New cJSON objects, or NULL (no memory). */
cJSON *serialization_to_json(const ms_serialization *ser);
cJSON *resources_to_json(const ms_manifest *m);
/* The parsers treat input as hostile: types, ranges and names are checked; resource names must
 * be safe relative paths (see msx_path_is_safe) and unique; unknown fields are ignored. */
int serialization_from_json(const cJSON *json, ms_serialization *ser, ms_error *err);
/* Parse "resources" into m->resources (m->serialization must already be set: it decides how
 * names and algorithms are checked). Recomputes m->root_digest over the listed order. */
int resources_from_json(const cJSON *json, ms_manifest *m, ms_error *err);

#endif
