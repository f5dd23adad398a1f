/* The JSON both SBOM formats are written with: a cJSON tree builder that records running out of
 * memory once instead of at every call, a deterministic writer (insertion order, integers as
 * integers, minimal escaping), and small text helpers about digests and package URLs. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/encoding.h"

#include "sbom_internal.h"

/* ---- the tree builder --------------------------------------------------------------------- */

static cJSON *attach(sbom_tree *t, cJSON *parent, const char *key, cJSON *item)
{
    if (!item) {
        t->oom = 1;
        return NULL;
    }
    if (cJSON_IsArray(parent) ? !cJSON_AddItemToArray(parent, item)
                              : !cJSON_AddItemToObject(parent, key, item)) {
        cJSON_Delete(item);
        t->oom = 1;
        return NULL;
    }
    return item;
}

cJSON *sbom_object(sbom_tree *t, cJSON *parent, const char *key)
{
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    return attach(t, parent, key, cJSON_CreateObject());
}

cJSON *sbom_array(sbom_tree *t, cJSON *parent, const char *key)
{
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    return attach(t, parent, key, cJSON_CreateArray());
}

cJSON *sbom_string(sbom_tree *t, cJSON *parent, const char *key, const char *value)
{
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    return attach(t, parent, key, cJSON_CreateString(value));
}

cJSON *sbom_uint(sbom_tree *t, cJSON *parent, const char *key, uint64_t value)
{
    char text[24];
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    snprintf(text, sizeof text, "%" PRIu64, value);
    return attach(t, parent, key, cJSON_CreateRaw(text));
}

cJSON *sbom_bool(sbom_tree *t, cJSON *parent, const char *key, int value)
{
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    return attach(t, parent, key, cJSON_CreateBool(value));
}

cJSON *sbom_copy(sbom_tree *t, cJSON *parent, const char *key, const cJSON *item)
{
    if (t->oom || !parent)
        return t->oom = 1, NULL;
    return attach(t, parent, key, cJSON_Duplicate(item, 1));
}

/* ---- the writer --------------------------------------------------------------------------- */

static int write_string(ms_buf *out, const char *s)
{
    int rc = msx_buf_append(out, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; !rc && *p; p++) {
        if (*p == '"')
            rc = msx_buf_append(out, "\\\"", 2);
        else if (*p == '\\')
            rc = msx_buf_append(out, "\\\\", 2);
        else if (*p == '\n')
            rc = msx_buf_append(out, "\\n", 2);
        else if (*p == '\t')
            rc = msx_buf_append(out, "\\t", 2);
        else if (*p == '\r')
            rc = msx_buf_append(out, "\\r", 2);
        else if (*p < 0x20 || *p == 0x7f)
            rc = msx_buf_printf(out, "\\u%04x", *p);
        else
            rc = msx_buf_append(out, p, 1);
    }
    return rc ? rc : msx_buf_append(out, "\"", 1);
}

static int write_indent(ms_buf *out, unsigned depth)
{
    int rc = msx_buf_append(out, "\n", 1);
    for (unsigned i = 0; !rc && i < depth; i++)
        rc = msx_buf_append(out, "  ", 2);
    return rc;
}

static int write_value(ms_buf *out, const cJSON *v, unsigned depth)
{
    int rc = 0;
    if (cJSON_IsObject(v) || cJSON_IsArray(v)) {
        int obj = cJSON_IsObject(v);
        const cJSON *c = v->child;
        if (!c)
            return msx_buf_append_str(out, obj ? "{}" : "[]");
        rc = msx_buf_append(out, obj ? "{" : "[", 1);
        for (; !rc && c; c = c->next) {
            rc = write_indent(out, depth + 1);
            if (!rc && obj) {
                rc = write_string(out, c->string);
                if (!rc)
                    rc = msx_buf_append(out, ": ", 2);
            }
            if (!rc)
                rc = write_value(out, c, depth + 1);
            if (!rc && c->next)
                rc = msx_buf_append(out, ",", 1);
        }
        if (!rc)
            rc = write_indent(out, depth);
        return rc ? rc : msx_buf_append(out, obj ? "}" : "]", 1);
    }
    if (cJSON_IsString(v))
        return write_string(out, v->valuestring);
    if (cJSON_IsRaw(v))
        return msx_buf_append_str(out, v->valuestring);
    if (cJSON_IsTrue(v))
        return msx_buf_append_str(out, "true");
    if (cJSON_IsFalse(v))
        return msx_buf_append_str(out, "false");
    if (cJSON_IsNumber(v)) {
        /* Copied values (externalParameters): integers exactly, others with round-trip digits. */
        double d = v->valuedouble;
        if (d >= -9007199254740992.0 && d <= 9007199254740992.0 && d == (double)(int64_t)d)
            return msx_buf_printf(out, "%" PRId64, (int64_t)d);
        return msx_buf_printf(out, "%.17g", d);
    }
    return msx_buf_append_str(out, "null");
}

int sbom_json_write(const cJSON *root, ms_buf *out)
{
    msx_buf_reset(out);
    int rc = write_value(out, root, 0);
    if (!rc)
        rc = msx_buf_append(out, "\n", 1);
    return rc ? MS_ENOMEM : 0;
}

char *sbom_value_text(const cJSON *v)
{
    if (cJSON_IsString(v))
        return strdup(v->valuestring);
    if (cJSON_IsNumber(v)) {
        /* The shortest text that reads back as the same number. */
        char buf[40];
        for (int prec = 1; prec <= 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, v->valuedouble);
            if (strtod(buf, NULL) == v->valuedouble)
                break;
        }
        return strdup(buf);
    }
    char *text = cJSON_PrintUnformatted(v);
    return text;
}

void sbom_hex(const uint8_t d[MS_SHA256_SIZE], char out[65])
{
    msx_hex_encode(d, MS_SHA256_SIZE, out);
}

void sbom_digest_text(const uint8_t d[MS_SHA256_SIZE], char out[72])
{
    memcpy(out, "sha256:", 7);
    msx_hex_encode(d, MS_SHA256_SIZE, out + 7);
}

int sbom_is_purl(const char *uri)
{
    if (strncmp(uri, "pkg:", 4) != 0)
        return 0;
    const char *slash = strchr(uri + 4, '/');
    return slash && slash > uri + 4 && slash[1] != '\0';
}

int sbom_package_name(const char *uri, char **name, char **version)
{
    *name = *version = NULL;
    if (!sbom_is_purl(uri))
        return (*name = strdup(uri)) ? 0 : MS_ENOMEM;
    /* Drop "#subpath" and "?qualifiers", then split "namespace/name@version" at its last '/'. */
    size_t end = strcspn(uri, "?#");
    const char *start = uri + 4;
    const char *at = NULL, *last_slash = NULL;
    for (const char *p = start; p < uri + end; p++) {
        if (*p == '/' && !at)
            last_slash = p;
        else if (*p == '@')
            at = p;
    }
    const char *n = last_slash ? last_slash + 1 : start;
    const char *n_end = at ? at : uri + end;
    if (n_end <= n)
        return (*name = strdup(uri)) ? 0 : MS_ENOMEM;
    if (!(*name = strndup(n, (size_t)(n_end - n))))
        return MS_ENOMEM;
    if (at && at + 1 < uri + end && !(*version = strndup(at + 1, (size_t)(uri + end - at - 1)))) {
        free(*name);
        *name = NULL;
        return MS_ENOMEM;
    }
    return 0;
}
