/* Provenance inside the library (not installed; attest/ and the layers above it): the parsed
 * JSON trees an ms_provenance keeps in its priv fields. include/modelseal/provenance.h is the
 * API. */
#ifndef MODELSEAL_ATTEST_PROVENANCE_JSON_H
#define MODELSEAL_ATTEST_PROVENANCE_JSON_H

#include <cjson/cJSON.h>

#include "modelseal/provenance.h"

/* buildDefinition.externalParameters (an object, owned by p), or NULL when p has none. */
static inline const cJSON *provenance_parameters(const ms_provenance *p)
{
    return (const cJSON *)p->priv;
}

/* The dependency's annotations object (owned by d), or NULL when it has none. */
static inline const cJSON *provenance_annotations(const ms_provenance_dependency *d)
{
    return (const cJSON *)d->priv;
}

#endif
