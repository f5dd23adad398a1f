/* libFuzzer target: the OMS predicate of a signature statement. The input is a predicate object
 * {"serialization": {...}, "resources": [...]}, read strictly (msx_json_parse) and then by
 * serialization_from_json and resources_from_json, as ms_statement_parse does. What parses
 * must read back the same after serialization_to_json / resources_to_json, written out as
 * text and parsed again (the writers may emit raw JSON number items, which only the text
 * carries). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "format/manifest_json.h"
#include "modelseal/manifest.h"
#include "util/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int read_predicate(const cJSON *root, ms_manifest *m, ms_error *err)
{
    int rc = serialization_from_json(cJSON_GetObjectItemCaseSensitive(root, "serialization"),
                                     &m->serialization, err);
    if (rc == 0)
        rc = resources_from_json(cJSON_GetObjectItemCaseSensitive(root, "resources"), m, err);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    cJSON *root = NULL, *back = NULL, *reread = NULL;
    ms_manifest *m = NULL, *again = NULL;
    char *text = NULL;

    if (msx_json_parse(data, size, (size_t)1 << 20, "predicate", &root, &err) != 0)
        return 0;
    m = ms_manifest_new();
    again = ms_manifest_new();
    if (!m || !again || read_predicate(root, m, &err) != 0)
        goto out;
    back = cJSON_CreateObject();
    if (!back)
        goto out;
    cJSON *ser = serialization_to_json(&m->serialization);
    cJSON *res = resources_to_json(m);
    if (ser)
        cJSON_AddItemToObject(back, "serialization", ser);
    if (res)
        cJSON_AddItemToObject(back, "resources", res);
    if (!ser || !res)
        goto out;
    text = cJSON_PrintUnformatted(back);
    if (!text)
        goto out;
    if (msx_json_parse((const uint8_t *)text, strlen(text), SIZE_MAX, "again", &reread, &err) != 0)
        abort();
    if (read_predicate(reread, again, &err) != 0 || again->n_resources != m->n_resources ||
        memcmp(again->root_digest, m->root_digest, sizeof m->root_digest) != 0)
        abort();
out:
    ms_manifest_free(again);
    ms_manifest_free(m);
    cJSON_free(text);
    cJSON_Delete(reread);
    cJSON_Delete(back);
    cJSON_Delete(root);
    return 0;
}
