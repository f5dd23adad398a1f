/* libFuzzer target: keyless Sigstore bundles verified offline (ms_bundle_parse then
 * ms_sigstore_verify_bundle, as `modelseal verify --identity --issuer` checks them): the
 * certificate, the transparency log entries (canonicalized body, inclusion proof, checkpoint,
 * signed entry timestamp), RFC 3161 timestamps and the signature, on hostile input. The
 * trusted root is the public-good one of tests/vectors/sigstore, loaded once; the identity and
 * issuer are those of the *-sigstore vector bundles, so that the seeds verify. A
 * messageSignature bundle is checked against a fixed artifact digest. The vectors directory is
 * $MS_VECTORS, else the source tree's. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "modelseal/bundle.h"
#include "modelseal/sigstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_trusted_root *root;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint8_t artifact[32] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                         12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
                                         23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
    ms_error err;
    ms_bundle *b = NULL;
    ms_sigstore_result res;

    if (!root) {
        char path[4096];
        const char *vec = getenv("MS_VECTORS");
        snprintf(path, sizeof path, "%s/sigstore/sigstore.trusted_root.json",
                 vec && *vec ? vec : FUZZ_VECTORS);
        if (ms_trusted_root_load(path, &root, &err) != 0) {
            fprintf(stderr, "fuzz_sigstore_bundle: %s\n", err.message);
            abort();
        }
    }
    if (ms_bundle_parse(data, size, &b, &err) != 0)
        goto out;
    ms_sigstore_policy policy = {"stefanb@us.ibm.com", "https://sigstore.verify.ibm.com/oauth2",
                                 ms_bundle_message_signature(b) ? artifact : NULL};
    (void)ms_sigstore_verify_bundle(b, root, &policy, &res, &err);
    ms_sigstore_result_clear(&res);
    ms_bundle_free(b);
out:
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
