/* libFuzzer target: what keyless signing reads from outside (sigstore_sign_internal.h). The
 * first byte picks the parser, the rest is its input: 0 a signing config (parsed, then its
 * services chosen at a fixed time), 1 a Fulcio signingCert answer, 2 a Rekor v1 answer (dsse),
 * 3 a Rekor v1 answer (hashedrekord), 4 a Rekor v2 answer (dsse, then hashedrekord), 5 an
 * identity token's claims, 6 the OAuth redirect's request line. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>

#include "sigstore/sigstore_sign_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t digest[32] = {1, 2, 3};
static const uint8_t sig[8] = {4, 5, 6};
static const uint8_t leaf[16] = {7, 8, 9};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    cJSON *entry = NULL;
    if (size < 1)
        return 0;
    unsigned which = data[0] % 7;
    data++;
    size--;
    switch (which) {
    case 0: {
        ms_signing_config *c = NULL;
        ms_sigstore_services s;
        if (signing_config_parse(data, size, "signing_config.json", &c, &err) == 0) {
            if (signing_config_select(c, 1780000000LL, "sc", &s, &err) == 0 &&
                (!s.ca || s.n_tlogs == 0 || s.n_tlogs > MS_SIGN_MAX_SELECTED))
                abort();
            signing_config_free(c);
        }
        break;
    }
    case 1: {
        uint8_t *der = NULL;
        size_t len = 0;
        if (answers_fulcio_parse_response(data, size, "Fulcio", &der, &len, &err) == 0 && len == 0)
            abort();
        free(der);
        break;
    }
    case 2:
    case 3:
        (void)answers_rekor_v1_parse_response(data, size, "Rekor",
                                              which == 2 ? "dsse" : "hashedrekord", digest, sig,
                                              sizeof sig, leaf, sizeof leaf, &entry, &err);
        break;
    case 4:
        (void)answers_rekor_v2_parse_response(data, size, "Rekor", "dsse", digest, sig, sizeof sig,
                                              leaf, sizeof leaf, &entry, &err);
        cJSON_Delete(entry);
        entry = NULL;
        (void)answers_rekor_v2_parse_response(data, size, "Rekor", "hashedrekord", digest, sig,
                                              sizeof sig, leaf, sizeof leaf, &entry, &err);
        break;
    case 5:
    case 6: {
        char *text = malloc(size + 1), *a = NULL, *b = NULL;
        if (!text)
            return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        if (which == 5) {
            if (jwt_claims(text, &a, &b, &err) == 0 && (!a || !b))
                abort();
            free(jwt_claim(text, "nonce"));
        } else {
            (void)oidc_parse_redirect(text, "/auth/callback", &a, &b, &err);
        }
        free(a);
        free(b);
        free(text);
        break;
    }
    }
    cJSON_Delete(entry);
    ERR_clear_error();
    return 0;
}
