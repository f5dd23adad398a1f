/* libFuzzer target: RFC 7512 PKCS#11 URIs (p11_uri_parse, as `--key pkcs11:...` and
 * `--certificate pkcs11:...` read them). Whatever the input, a URI that parses has bounded,
 * NUL-free strings, an id within its bound, and a display form (what errors quote) whose query
 * carries no pin-value. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys/pkcs11_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_string(const char *s)
{
    if (s && strlen(s) > P11_URI_VALUE_MAX)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    p11_uri *u = NULL;
    char *text = malloc(size + 8);
    if (!text)
        return 0;
    /* Half the inputs get the scheme for free, so the fuzzer spends its time past it. */
    size_t k = 0;
    if (size > 0 && (data[0] & 1)) {
        memcpy(text, "pkcs11:", 7);
        k = 7;
        data++;
        size--;
    }
    memcpy(text + k, data, size);
    text[k + size] = '\0';
    if (p11_uri_parse(text, &u, &err) == 0) {
        const char *strings[] = {u->token,
                                 u->manufacturer,
                                 u->serial,
                                 u->model,
                                 u->slot_description,
                                 u->slot_manufacturer,
                                 u->library_manufacturer,
                                 u->library_description,
                                 u->object,
                                 u->module_path,
                                 u->module_name,
                                 u->pin_source,
                                 u->pin_value};
        for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
            check_string(strings[i]);
        if ((u->has_id && u->id_len > P11_URI_ID_MAX) || (!u->has_id && u->id) || !u->display ||
            strlen(u->display) > strlen(text) || (u->pin_source && u->pin_value))
            abort();
        const char *q = strchr(u->display, '?');
        if (q && (strncmp(q + 1, "pin-value=", 10) == 0 || strstr(q, "&pin-value=")))
            abort();
    }
    p11_uri_free(u);
    free(text);
    return 0;
}
