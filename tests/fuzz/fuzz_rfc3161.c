/* libFuzzer target: RFC 3161 timestamps (ms_rfc3161_verify, as the Sigstore verifier reads a
 * bundle's timestampVerificationData.rfc3161Timestamps[].signedTimestamp): the input is the DER
 * TimeStampResp or TimeStampToken, verified over a fixed signature (the DSSE signature of the
 * v1.1.0-sigstore vector bundle, which the seed tokens timestamp) against the public-good
 * trusted root of tests/vectors/sigstore, both loaded once. The vectors directory is
 * $MS_VECTORS, else the source tree's. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "modelseal/bundle.h"
#include "modelseal/sigstore.h"
#include "util/buf.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_trusted_root *root;
static uint8_t *signature;
static size_t signature_len;

static void load(void)
{
    char path[4096];
    const char *vec = getenv("MS_VECTORS");
    ms_buf text = MS_BUF_INIT;
    ms_bundle *b = NULL;
    ms_error err;
    if (!vec || !*vec)
        vec = FUZZ_VECTORS;
    snprintf(path, sizeof path, "%s/sigstore/sigstore.trusted_root.json", vec);
    if (ms_trusted_root_load(path, &root, &err) != 0)
        goto fail;
    snprintf(path, sizeof path, "%s/oms/model-transparency-releases/v1.1.0-sigstore/model.sig",
             vec);
    if (msx_file_read(path, (size_t)1 << 20, &text, &err) != 0 ||
        ms_bundle_parse(text.data, text.len, &b, &err) != 0)
        goto fail;
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    if (!env || env->n_signatures != 1 || !(signature = malloc(env->signatures[0].len)))
        abort();
    memcpy(signature, env->signatures[0].sig, env->signatures[0].len);
    signature_len = env->signatures[0].len;
    ms_bundle_free(b);
    msx_buf_free(&text);
    return;
fail:
    fprintf(stderr, "fuzz_rfc3161: %s\n", err.message);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    int64_t t = 0;

    if (!root)
        load();
    (void)ms_rfc3161_verify(data, size, signature, signature_len, root, &t, &err);
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
