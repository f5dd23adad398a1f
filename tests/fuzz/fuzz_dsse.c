/* libFuzzer target: DSSE envelopes, the `dsseEnvelope` object of a bundle, read strictly
 * (msx_json_parse) and then by dsse_from_json; an envelope that parses gets its
 * pre-authentication encoding (dsse_pae) and is written back (dsse_to_json), which must
 * read again. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "format/dsse_json.h"
#include "modelseal/dsse.h"
#include "util/buf.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    cJSON *root = NULL, *back = NULL;
    ms_dsse_envelope *env = NULL, *again = NULL;
    ms_buf pae = MS_BUF_INIT;

    if (msx_json_parse(data, size, (size_t)1 << 20, "envelope", &root, &err) != 0)
        return 0;
    if (dsse_from_json(root, &env, &err) != 0)
        goto out;
    if (dsse_pae(env->payload_type, env->payload, env->payload_len, &pae) != 0)
        goto out;
    back = dsse_to_json(env);
    if (back && dsse_from_json(back, &again, &err) != 0)
        abort();
out:
    ms_dsse_envelope_free(again);
    ms_dsse_envelope_free(env);
    cJSON_Delete(back);
    cJSON_Delete(root);
    msx_buf_free(&pae);
    return 0;
}
