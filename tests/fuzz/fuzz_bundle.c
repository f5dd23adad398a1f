/* libFuzzer target: Sigstore bundles (ms_bundle_parse, as `modelseal verify` and `inspect` read
 * them); a bundle that parses is also written back (bundle_serialize), the result must parse
 * again, and its DSSE payload goes through ms_statement_parse. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/bundle_json.h"
#include "format/statement_json.h"
#include "modelseal/bundle.h"
#include "modelseal/statement.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_bundle *b = NULL, *again = NULL;
    ms_statement *st = NULL;
    ms_buf out = MS_BUF_INIT;

    if (ms_bundle_parse(data, size, &b, &err) != 0)
        return 0;
    /* Whatever parsed must serialize, and what we write must read back. */
    if (bundle_serialize(b, &out, &err) == 0 &&
        ms_bundle_parse(out.data, out.len, &again, &err) != 0)
        abort();
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    if (env && ms_statement_parse(env->payload, env->payload_len, &st, &err) == 0)
        (void)statement_predicate(st);
    for (size_t i = 0; i < ms_bundle_certificate_count(b); i++) {
        size_t len = 0;
        (void)ms_bundle_certificate(b, i, &len);
    }
    ms_statement_free(st);
    ms_bundle_free(again);
    ms_bundle_free(b);
    msx_buf_free(&out);
    return 0;
}
