/* libFuzzer target: the strict JSON reader every untrusted document goes through
 * (msx_json_parse), with a small size bound so that the limit is exercised too. What it accepts
 * must still be accepted after cJSON writes it back out. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"

#define FUZZ_JSON_MAX_LEN 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    cJSON *root = NULL, *again = NULL;

    if (msx_json_parse(data, size, FUZZ_JSON_MAX_LEN, "fuzz", &root, &err) != 0)
        return 0;
    char *text = cJSON_PrintUnformatted(root);
    if (text) {
        if (msx_json_parse((const uint8_t *)text, strlen(text), SIZE_MAX, "fuzz", &again, &err) !=
            0)
            abort();
        cJSON_Delete(again);
        cJSON_free(text);
    }
    cJSON_Delete(root);
    return 0;
}
