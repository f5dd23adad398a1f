/* Strict parsing of untrusted JSON: bounds and checks around cJSON. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/encoding.h"
#include "util/json.h"

/* Length of the well-formed UTF-8 sequence starting at s[0] (a byte >= 0x80), or 0. */
static size_t utf8_sequence(const uint8_t *s, size_t avail)
{
    uint8_t c = s[0];
    size_t n;
    uint8_t lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else
        return 0;
    if (avail < n || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xBF)
            return 0;
    }
    return n;
}

/* One pass over the text before cJSON sees it: bounds nesting (cJSON recurses), and refuses what
 * cJSON would silently accept or truncate (raw control bytes and \u0000 in strings, bad UTF-8). */
static int json_prescan(const uint8_t *s, size_t len, const char *what, ms_error *err)
{
    size_t depth = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (!in_string) {
            if (c == '"')
                in_string = 1;
            else if (c == '{' || c == '[') {
                if (++depth > MS_JSON_MAX_DEPTH)
                    return ms_error_set(err, MS_EINPUT, "%s: JSON nested deeper than %d", what,
                                        MS_JSON_MAX_DEPTH);
            } else if ((c == '}' || c == ']') && depth > 0)
                depth--;
            continue;
        }
        if (c == '"')
            in_string = 0;
        else if (c == '\\') {
            if (i + 1 < len && s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                return ms_error_set(err, MS_EINPUT, "%s: JSON string contains NUL (\\u0000)", what);
            i++; /* skip the escaped character; cJSON checks the escape itself */
        } else if (c < 0x20)
            return ms_error_set(err, MS_EINPUT, "%s: control character in a JSON string", what);
        else if (c >= 0x80) {
            size_t n = utf8_sequence(s + i, len - i);
            if (n == 0)
                return ms_error_set(err, MS_EINPUT, "%s: invalid UTF-8 at byte %zu", what, i);
            i += n - 1;
        }
    }
    return 0;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Refuse duplicate keys anywhere: parsers disagree about which one wins. Recursion is bounded
 * by the prescan's depth limit. */
static int json_unique_keys(const cJSON *node, const char *what, ms_error *err)
{
    int rc = 0;
    const char **keys = NULL;
    const cJSON *child;
    if (cJSON_IsObject(node)) {
        size_t n = 0;
        cJSON_ArrayForEach(child, node) n++;
        if (n > 1) {
            keys = malloc(n * sizeof(*keys));
            if (!keys)
                return ms_error_nomem(err);
            size_t i = 0;
            cJSON_ArrayForEach(child, node) keys[i++] = child->string ? child->string : "";
            qsort(keys, n, sizeof(*keys), compare_keys);
            for (i = 1; i < n; i++) {
                if (strcmp(keys[i - 1], keys[i]) == 0) {
                    rc = ms_error_set(err, MS_EINPUT, "%s: duplicate JSON key \"%.64s\"", what,
                                      keys[i]);
                    goto out;
                }
            }
        }
    }
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        cJSON_ArrayForEach(child, node)
        {
            rc = json_unique_keys(child, what, err);
            if (rc != 0)
                goto out;
        }
    }
out:
    free(keys);
    return rc;
}

int msx_json_parse(const uint8_t *text, size_t len, size_t max_len, const char *what, cJSON **out,
                   ms_error *err)
{
    const char *end = NULL;
    cJSON *root = NULL;
    int rc;
    if (len > max_len)
        return ms_error_set(err, MS_EINPUT, "%s: larger than %zu bytes", what, max_len);
    if (len == 0)
        return ms_error_set(err, MS_EINPUT, "%s: empty", what);
    rc = json_prescan(text, len, what, err);
    if (rc != 0)
        return rc;
    root = cJSON_ParseWithLengthOpts((const char *)text, len, &end, 0);
    if (!root) {
        size_t at = end && end >= (const char *)text ? (size_t)(end - (const char *)text) : 0;
        return ms_error_set(err, MS_EINPUT, "%s: not valid JSON (at byte %zu)", what, at);
    }
    for (size_t at = (size_t)(end - (const char *)text); at < len; at++) {
        char c = (char)text[at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cJSON_Delete(root);
            return ms_error_set(err, MS_EINPUT, "%s: trailing data after JSON (at byte %zu)", what,
                                at);
        }
    }
    rc = json_unique_keys(root, what, err);
    if (rc != 0) {
        cJSON_Delete(root);
        return rc;
    }
    *out = root;
    return 0;
}

int msx_json_base64_field(const cJSON *item, const char *field, size_t max, int allow_empty,
                          uint8_t **out, size_t *out_len, ms_error *err)
{
    if (!cJSON_IsString(item) || !item->valuestring)
        return ms_error_set(err, MS_EINPUT, "%s: %s", field, item ? "not a string" : "missing");
    size_t text_len = strlen(item->valuestring);
    if (text_len == 0 && !allow_empty)
        return ms_error_set(err, MS_EINPUT, "%s: empty", field);
    if (text_len / 4 > max / 3 + 1)
        return ms_error_set(err, MS_EINPUT, "%s: larger than %zu bytes", field, max);
    int rc = msx_base64_decode(item->valuestring, text_len, out, out_len);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc != 0)
        return ms_error_set(err, MS_EINPUT, "%s: not valid base64", field);
    if (*out_len > max) {
        free(*out);
        *out = NULL;
        return ms_error_set(err, MS_EINPUT, "%s: larger than %zu bytes", field, max);
    }
    return 0;
}

cJSON *msx_json_add_uint(cJSON *object, const char *name, uint64_t value)
{
    char text[24];
    snprintf(text, sizeof text, "%llu", (unsigned long long)value);
    return cJSON_AddRawToObject(object, name, text);
}
