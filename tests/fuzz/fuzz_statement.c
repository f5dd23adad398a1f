/* libFuzzer target: in-toto statements, the DSSE payload of a bundle: the OMS reader
 * (ms_statement_parse, as `modelseal verify` uses it) and the generic one
 * (ms_statement_parse_generic, for claims and attestations); an OMS v1.0 statement must read
 * with both. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/statement_json.h"
#include "modelseal/statement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_statement *st = NULL, *generic = NULL;
    int oms = ms_statement_parse(data, size, &st, &err) == 0;

    if (ms_statement_parse_generic(data, size, &generic, &err) == 0)
        (void)statement_predicate(generic);
    else if (oms && !st->legacy)
        abort(); /* an OMS v1.0 statement is an in-toto statement */
    ms_statement_free(generic);
    ms_statement_free(st);
    return 0;
}
