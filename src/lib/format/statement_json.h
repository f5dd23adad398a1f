/* Statements inside the library (not installed; format/ and the layers above it): the forms that
 * work on the library's own buffer and JSON trees. include/modelseal/statement.h is the API. */
#ifndef MODELSEAL_FORMAT_STATEMENT_JSON_H
#define MODELSEAL_FORMAT_STATEMENT_JSON_H

#include <cjson/cJSON.h>

#include "modelseal/statement.h"
#include "util/buf.h"

/* ms_statement_build into `payload_out` (its contents replaced). */
int statement_build(const ms_manifest *m, ms_buf *payload_out, ms_error *err);

/* The parsed predicate object (owned by the statement), or NULL when the statement has none. */
const cJSON *statement_predicate(const ms_statement *st);

#endif
