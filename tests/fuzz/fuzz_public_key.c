/* libFuzzer target: public keys, PEM or DER SubjectPublicKeyInfo (ms_key_parse_public, as
 * `modelseal verify --key` reads them). A key that parses must survive a round trip through its
 * canonical PEM. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "modelseal/key.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_key *key = NULL, *again = NULL;
    char hint[65];

    if (ms_key_parse_public(data, size, &key, &err) != 0)
        goto out;
    char *pem = ms_key_public_pem(key);
    if (pem) {
        if (ms_key_parse_public((const uint8_t *)pem, strlen(pem), &again, &err) != 0 ||
            !ms_key_equal(key, again))
            abort();
        free(pem);
    }
    (void)ms_key_hint(key, hint);
    (void)ms_key_details(key);
out:
    ms_key_free(again);
    ms_key_free(key);
    /* The library leaves OpenSSL's per-thread error queue empty on every path: a failure left
     * queued would be blamed on the caller's next OpenSSL call (and, freed during the next
     * input, look to libFuzzer like an allocation that outlives a run). */
    if (ERR_peek_error() != 0)
        abort();
    return 0;
}
