/* RFC 7512 PKCS#11 URIs: "pkcs11:" path attributes separated by ';', then an optional '?' and
 * query attributes separated by '&'. The text comes from the command line or a script, so it
 * is read as hostile input: bounded, every percent escape checked, nothing repeated, and the PIN
 * (pin-value) kept in sodium_malloc'd memory and left out of the text errors quote. This file
 * does not talk to tokens (key_pkcs11.c does). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "pkcs11_internal.h"
#include "util/encoding.h"

#define SCHEME "pkcs11:"

int p11_uri_is(const char *text)
{
    return text && strncasecmp(text, SCHEME, strlen(SCHEME)) == 0;
}

static void free_secret(char *s)
{
    if (s) {
        sodium_memzero(s, strlen(s));
        sodium_free(s);
    }
}

void p11_uri_free(p11_uri *uri)
{
    if (!uri)
        return;
    char **strings[] = {&uri->token,
                        &uri->manufacturer,
                        &uri->serial,
                        &uri->model,
                        &uri->slot_description,
                        &uri->slot_manufacturer,
                        &uri->library_manufacturer,
                        &uri->library_description,
                        &uri->object,
                        &uri->module_path,
                        &uri->module_name,
                        &uri->pin_source,
                        &uri->display};
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++)
        free(*strings[i]);
    free(uri->id);
    free_secret(uri->pin_value);
    free(uri);
}

/* Percent-decode text[0..len) into out (room for P11_URI_VALUE_MAX bytes); *n is the length.
 * `name` names the attribute in errors; the value itself is never quoted (it may be a PIN). */
static int decode(const char *text, size_t len, const char *name, uint8_t *out, size_t *n,
                  ms_error *err)
{
    size_t k = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (k == P11_URI_VALUE_MAX)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: %s is longer than %d bytes", name,
                                P11_URI_VALUE_MAX);
        if (c == '%') {
            int hi = i + 2 < len ? msx_hex_digit((unsigned char)text[i + 1]) : -1;
            int lo = i + 2 < len ? msx_hex_digit((unsigned char)text[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return ms_error_set(err, MS_EINPUT,
                                    "pkcs11 URI: %s: '%%' must be followed by two hex digits",
                                    name);
            out[k++] = (uint8_t)(hi * 16 + lo);
            i += 2;
        } else if (c <= 0x20 || c >= 0x7f) {
            return ms_error_set(err, MS_EINPUT,
                                "pkcs11 URI: %s: byte 0x%02x must be percent-encoded", name, c);
        } else {
            out[k++] = c;
        }
    }
    *n = k;
    return 0;
}

/* A decoded text value as a new C string (sodium_malloc'd when `secret`). */
static int decode_string(const char *text, size_t len, const char *name, int secret, char **dst,
                         ms_error *err)
{
    uint8_t *buf = sodium_malloc(P11_URI_VALUE_MAX);
    size_t n = 0;
    int rc;
    if (!buf)
        return ms_error_nomem(err);
    if ((rc = decode(text, len, name, buf, &n, err)) != 0)
        goto out;
    if (memchr(buf, '\0', n)) {
        rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: %s contains a NUL byte", name);
        goto out;
    }
    char *s = secret ? sodium_malloc(n + 1) : malloc(n + 1);
    if (!s) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memcpy(s, buf, n);
    s[n] = '\0';
    *dst = s;
out:
    sodium_memzero(buf, P11_URI_VALUE_MAX);
    sodium_free(buf);
    return rc;
}

static int parse_slot_id(const char *text, size_t len, unsigned long *out, ms_error *err)
{
    unsigned long v = 0;
    if (len == 0 || len > 20)
        return ms_error_set(err, MS_EINPUT, "pkcs11 URI: slot-id must be a decimal number");
    for (size_t i = 0; i < len; i++) {
        if (text[i] < '0' || text[i] > '9' || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (unsigned long)(text[i] - '0'), &v))
            return ms_error_set(err, MS_EINPUT,
                                "pkcs11 URI: slot-id must be a decimal number that fits");
    }
    *out = v;
    return 0;
}

static int parse_type(const char *text, size_t len, enum p11_uri_type *out, ms_error *err)
{
    static const struct {
        const char *name;
        enum p11_uri_type type;
    } types[] = {{"private", P11_TYPE_PRIVATE},
                 {"public", P11_TYPE_PUBLIC},
                 {"cert", P11_TYPE_CERT},
                 {"secret-key", P11_TYPE_SECRET_KEY},
                 {"data", P11_TYPE_DATA}};
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        if (strlen(types[i].name) == len && memcmp(types[i].name, text, len) == 0) {
            *out = types[i].type;
            return 0;
        }
    }
    return ms_error_set(err, MS_EINPUT,
                        "pkcs11 URI: type must be private, public, cert, secret-key or data");
}

/* Is the attribute name[0..len) `want`? */
static int is(const char *name, size_t len, const char *want)
{
    return strlen(want) == len && memcmp(name, want, len) == 0;
}

/* One attribute, name=value. `query` says which part it is in. */
static int attribute(p11_uri *u, const char *a, size_t len, int query, ms_error *err)
{
    const char *eq = memchr(a, '=', len);
    if (!eq || eq == a)
        return ms_error_set(err, MS_EINPUT, "pkcs11 URI: %s attribute without a name=value form",
                            query ? "a query" : "a path");
    size_t nlen = (size_t)(eq - a);
    const char *v = eq + 1;
    size_t vlen = len - nlen - 1;
    char name[32];
    if (nlen >= sizeof name)
        return ms_error_set(err, MS_EINPUT, "pkcs11 URI: an attribute name is too long");
    memcpy(name, a, nlen);
    name[nlen] = '\0';
    for (size_t i = 0; i < nlen; i++)
        if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
              name[i] == '-'))
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: malformed attribute name");

    struct {
        const char *name;
        char **dst;
        int query;
    } strings[] = {
        {"token", &u->token, 0},
        {"manufacturer", &u->manufacturer, 0},
        {"serial", &u->serial, 0},
        {"model", &u->model, 0},
        {"slot-description", &u->slot_description, 0},
        {"slot-manufacturer", &u->slot_manufacturer, 0},
        {"library-manufacturer", &u->library_manufacturer, 0},
        {"library-description", &u->library_description, 0},
        {"object", &u->object, 0},
        {"module-path", &u->module_path, 1},
        {"module-name", &u->module_name, 1},
        {"pin-source", &u->pin_source, 1},
    };
    for (size_t i = 0; i < sizeof strings / sizeof strings[0]; i++) {
        if (!is(a, nlen, strings[i].name))
            continue;
        if (strings[i].query != query)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: %s belongs in the %s", name,
                                strings[i].query ? "query (after '?')" : "path (before '?')");
        if (*strings[i].dst)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: %s is given twice", name);
        return decode_string(v, vlen, name, 0, strings[i].dst, err);
    }
    if (!query && is(a, nlen, "id")) {
        if (u->has_id)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: id is given twice");
        uint8_t *buf = malloc(P11_URI_VALUE_MAX);
        size_t n = 0;
        if (!buf)
            return ms_error_nomem(err);
        int rc = decode(v, vlen, "id", buf, &n, err);
        if (rc == 0 && n > P11_URI_ID_MAX)
            rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: id is longer than %d bytes",
                              P11_URI_ID_MAX);
        if (rc != 0) {
            free(buf);
            return rc;
        }
        u->id = buf;
        u->id_len = n;
        u->has_id = 1;
        return 0;
    }
    if (!query && is(a, nlen, "slot-id")) {
        if (u->has_slot_id)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: slot-id is given twice");
        u->has_slot_id = 1;
        return parse_slot_id(v, vlen, &u->slot_id, err);
    }
    if (!query && is(a, nlen, "type")) {
        if (u->type != P11_TYPE_ANY)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: type is given twice");
        return parse_type(v, vlen, &u->type, err);
    }
    if (!query && is(a, nlen, "library-version"))
        return 0; /* describes the module; not used to pick one */
    if (query && is(a, nlen, "pin-value")) {
        if (u->pin_value)
            return ms_error_set(err, MS_EINPUT, "pkcs11 URI: pin-value is given twice");
        return decode_string(v, vlen, "pin-value", 1, &u->pin_value, err);
    }
    if (nlen > 2 && name[0] == 'x' && name[1] == '-')
        return 0; /* vendor attributes (RFC 7512 section 2.3): not ours, ignored */
    return ms_error_set(err, MS_EINPUT, "pkcs11 URI: unknown %s attribute %s",
                        query ? "query" : "path", name);
}

/* The URI without its pin-value attribute. */
static char *display_form(const char *text)
{
    size_t len = strlen(text);
    char *out = malloc(len + 1);
    if (!out)
        return NULL;
    const char *q = strchr(text, '?');
    size_t k = 0;
    if (!q) {
        memcpy(out, text, len + 1);
        return out;
    }
    memcpy(out, text, (size_t)(q - text));
    k = (size_t)(q - text);
    const char *p = q + 1;
    int first = 1;
    while (*p) {
        size_t alen = strcspn(p, "&");
        if (!(alen >= 10 && memcmp(p, "pin-value=", 10) == 0)) {
            out[k++] = first ? '?' : '&';
            memcpy(out + k, p, alen);
            k += alen;
            first = 0;
        }
        p += alen;
        if (*p == '&')
            p++;
    }
    out[k] = '\0';
    return out;
}

int p11_uri_parse(const char *text, p11_uri **out, ms_error *err)
{
    p11_uri *u = NULL;
    int rc = 0;
    if (sodium_init() < 0)
        return ms_error_set(err, MS_EENV, "cannot initialise libsodium");
    if (!p11_uri_is(text))
        return ms_error_set(err, MS_EINPUT, "not a pkcs11 URI (it must start with \"pkcs11:\")");
    size_t len = strnlen(text, P11_URI_MAX + 1);
    if (len > P11_URI_MAX)
        return ms_error_set(err, MS_EINPUT, "pkcs11 URI: longer than %d characters", P11_URI_MAX);
    if (!(u = calloc(1, sizeof *u)))
        return ms_error_nomem(err);
    const char *p = text + strlen(SCHEME);
    const char *q = strchr(p, '?');
    const char *path_end = q ? q : text + len;
    /* The path: ';'-separated; an empty path (or an empty attribute at its end) names nothing. */
    while (p < path_end) {
        const char *semi = memchr(p, ';', (size_t)(path_end - p));
        const char *end = semi ? semi : path_end;
        if (end == p) {
            rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: an empty path attribute");
            goto out;
        }
        if ((rc = attribute(u, p, (size_t)(end - p), 0, err)) != 0)
            goto out;
        p = semi ? semi + 1 : path_end;
        if (semi && p == path_end) {
            rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: an empty path attribute");
            goto out;
        }
    }
    if (q) {
        p = q + 1;
        const char *end_all = text + len;
        if (p == end_all) {
            rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: an empty query after '?'");
            goto out;
        }
        while (p <= end_all) {
            const char *amp = memchr(p, '&', (size_t)(end_all - p));
            const char *end = amp ? amp : end_all;
            if (end == p) {
                rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: an empty query attribute");
                goto out;
            }
            if ((rc = attribute(u, p, (size_t)(end - p), 1, err)) != 0)
                goto out;
            if (!amp)
                break;
            p = amp + 1;
        }
    }
    if (u->pin_source && u->pin_value) {
        rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: pin-source and pin-value both given");
        goto out;
    }
    if (u->module_path && u->module_name) {
        rc = ms_error_set(err, MS_EINPUT, "pkcs11 URI: module-path and module-name both given");
        goto out;
    }
    if (!(u->display = display_form(text))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    *out = u;
    u = NULL;
out:
    p11_uri_free(u);
    return rc;
}
