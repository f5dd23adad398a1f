/* libFuzzer target: X.509 certificates, as PEM chains (ms_x509_parse_pem_chain, as
 * `modelseal verify --certificate-chain` reads them) and as one DER certificate
 * (ms_x509_chain_add_der, as a bundle's rawBytes are read); the leaf accessors run on whatever
 * parsed, and the chain is validated against itself at a fixed time. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "modelseal/x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void inspect(const ms_x509_chain *chain)
{
    ms_error err;
    ms_key *key = NULL;
    uint8_t *der = NULL;
    size_t der_len = 0;

    if (ms_x509_leaf_public_key(chain, &key, &err) == 0)
        ms_key_free(key);
    free(ms_x509_leaf_identity(chain));
    (void)ms_x509_leaf_has_identity(chain, "signer@example.com");
    free(ms_x509_leaf_subject(chain));
    free(ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.1"));
    free(ms_x509_leaf_extension_string(chain, "1.3.6.1.4.1.57264.1.8"));
    if (ms_x509_chain_der(chain, ms_x509_chain_count(chain) - 1, &der, &der_len) == 0)
        free(der);
    (void)ms_x509_verify_chain(chain, chain, 1700000000, &err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_x509_chain *chain = NULL;

    if (ms_x509_parse_pem_chain(data, size, &chain, &err) == 0) {
        inspect(chain);
        ms_x509_chain_free(chain);
    }
    chain = ms_x509_chain_new();
    if (chain && ms_x509_chain_add_der(chain, data, size, &err) == 0)
        inspect(chain);
    ms_x509_chain_free(chain);
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
