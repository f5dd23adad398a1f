/* libFuzzer target: keyless Sigstore bundles verified offline (ms_bundle_parse then
 * ms_sigstore_verify_bundle, as `modelseal verify --identity --issuer` checks them): the
 * certificate, the transparency log entries (canonicalized body, inclusion proof, checkpoint,
 * signed entry timestamp), RFC 3161 timestamps and the signature, on hostile input. The
 * trusted root is the public-good one of tests/vectors/sigstore, loaded once; the identity and
 * issuer are those of the *-sigstore vector bundles, so that the seeds verify. A
 * messageSignature bundle is checked against a fixed artifact digest. A bundle signed with a
 * managed key goes through the same checks in key mode, with the sigstore-conformance suite's
 * managed key and artifact (tests/vectors/conformance), so that its managed-key bundles verify.
 * The vectors directory is $MS_VECTORS, else the source tree's. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/err.h>

#include "modelseal/bundle.h"
#include "modelseal/hash.h"
#include "modelseal/sigstore.h"
#include "util/buf.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_trusted_root *root;
static ms_key *managed_key;
static ms_buf managed_artifact = MS_BUF_INIT;
static uint8_t managed_sha256[32];

/* Load `rel` under the vectors directory, or abort. */
static void load_vector(const char *rel, ms_buf *out)
{
    char path[4096];
    const char *vec = getenv("MS_VECTORS");
    ms_error err;
    snprintf(path, sizeof path, "%s/%s", vec && *vec ? vec : FUZZ_VECTORS, rel);
    if (msx_file_read(path, (size_t)1 << 20, out, &err) != 0) {
        fprintf(stderr, "fuzz_sigstore_bundle: %s\n", err.message);
        abort();
    }
}

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
        ms_buf pem = MS_BUF_INIT;
        load_vector("conformance/bundle-verify/managed-key-happy-path/key.pub", &pem);
        load_vector("conformance/bundle-verify/a.txt", &managed_artifact);
        if (ms_key_parse_public(pem.data, pem.len, &managed_key, &err) != 0 ||
            ms_sha256(managed_artifact.data, managed_artifact.len, managed_sha256) != 0) {
            fprintf(stderr, "fuzz_sigstore_bundle: %s\n", err.message);
            abort();
        }
        msx_buf_free(&pem);
    }
    if (ms_bundle_parse(data, size, &b, &err) != 0)
        goto out;
    ms_sigstore_policy policy = {
        .identity = "stefanb@us.ibm.com",
        .issuer = "https://sigstore.verify.ibm.com/oauth2",
        .artifact_sha256 = ms_bundle_message_signature(b) ? artifact : NULL,
    };
    if (ms_bundle_material_kind(b) == MS_MATERIAL_PUBLIC_KEY) {
        int msg = ms_bundle_message_signature(b) != NULL;
        policy = (ms_sigstore_policy){
            .key = managed_key,
            .artifact_sha256 = msg ? managed_sha256 : NULL,
            .artifact = msg ? managed_artifact.data : NULL,
            .artifact_len = msg ? managed_artifact.len : 0,
        };
    }
    (void)ms_sigstore_verify_bundle(b, root, &policy, &res, &err);
    ms_sigstore_result_clear(&res);
    ms_bundle_free(b);
out:
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
