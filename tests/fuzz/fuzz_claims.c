/* libFuzzer target: claims files (ms_claims_parse, as `modelseal attest` and `verify` read
 * MODEL/claims.jsonl): JSON Lines of Sigstore bundles carrying in-toto statements. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include "modelseal/claims.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t zero[MS_SHA256_SIZE];
    ms_error err;
    ms_claims *c = NULL;

    if (ms_claims_parse(data, size, "claims.jsonl", &c, &err) != 0)
        return 0;
    (void)ms_claims_find(c, zero, NULL, 0);
    for (size_t i = 0; i < c->n; i++)
        (void)ms_claims_find(c, c->items[i].statement->subject_digest,
                             c->items[i].statement->predicate_type, i);
    ms_claims_free(c);
    return 0;
}
