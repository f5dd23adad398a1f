/* Statements inside the library (not installed; format/ and the layers above it): the forms that
 * work on the library's own buffer and JSON trees. include/modelseal/statement.h is the API. */
#ifndef MODELSEAL_FORMAT_STATEMENT_JSON_H
#define MODELSEAL_FORMAT_STATEMENT_JSON_H

#include "modelseal/statement.h"
#include "util/buf.h"

/* ms_statement_build into `payload_out` (its contents replaced). */
int statement_build(const ms_manifest *m, ms_buf *payload_out, ms_error *err);

#endif
