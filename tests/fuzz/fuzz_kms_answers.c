/* libFuzzer target: what a key service answers (kms_internal.h). The first byte picks the
 * parser, the rest is its input: 0 Vault's key (GET /v1/transit/keys/NAME), 1 Vault's signature
 * for an ECDSA P-256 key of version 3, 2 the same for an Ed25519 key, 3 AWS KMS's GetPublicKey,
 * 4 AWS KMS's Sign for a fixed key ARN and ECDSA_SHA_256. Whatever the input, what parses is
 * consistent: a public key of a type that signs, a version in range, a bounded signature. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/kms_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ARN "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

static int signing_type(ms_key_type t)
{
    return t == MS_KEY_ECDSA_P256 || t == MS_KEY_ECDSA_P384 || t == MS_KEY_ED25519;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_key *pub = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    char *id = NULL;
    unsigned long version = 0;
    if (size < 1)
        return 0;
    unsigned which = data[0] % 5;
    data++;
    size--;
    switch (which) {
    case 0:
        if (vault_parse_key(data, size, "vault", &pub, &version, &err) == 0 &&
            (!pub || !signing_type(ms_key_get_type(pub)) || version < 1 || version > 1000000000UL))
            abort();
        break;
    case 1:
    case 2:
        if (vault_parse_signature(data, size, "vault",
                                  which == 1 ? MS_KEY_ECDSA_P256 : MS_KEY_ED25519, 3, &sig,
                                  &sig_len, &err) == 0 &&
            (!sig || sig_len == 0 || sig_len > 256 || (which == 2 && sig_len != 64)))
            abort();
        break;
    case 3:
        if (awskms_parse_public_key(data, size, "aws", NULL, &id, &pub, &err) == 0 &&
            (!pub || !id || !id[0] || ms_key_get_type(pub) == MS_KEY_ED25519 ||
             !signing_type(ms_key_get_type(pub))))
            abort();
        break;
    default:
        if (awskms_parse_sign(data, size, "aws", NULL, ARN, "ECDSA_SHA_256", &sig, &sig_len,
                              &err) == 0 &&
            (!sig || sig_len == 0 || sig_len > 256))
            abort();
        break;
    }
    ms_key_free(pub);
    free(sig);
    free(id);
    return 0;
}
