/* Sigstore signing config (protobuf-specs SigningConfig v0.2): which Fulcio, OIDC issuer,
 * Rekor logs and timestamp authorities a keyless signature uses. Parsed strictly (a config
 * with a field we do not know could mean something we would ignore), then the services valid
 * now are chosen. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/sigstore.h"
#include "sigstore_sign_internal.h"
#include "util/json.h"

static void services_free(ms_sigstore_service *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        free(list[i].url);
    free(list);
}

void signing_config_free(ms_signing_config *c)
{
    if (!c)
        return;
    services_free(c->cas, c->n_cas);
    services_free(c->oidcs, c->n_oidcs);
    services_free(c->tlogs, c->n_tlogs);
    services_free(c->tsas, c->n_tsas);
    free(c);
}

/* 0 when every member of `obj` is one of `known` (NULL-terminated). */
static int only_known(const cJSON *obj, const char *const *known, const char *what,
                      const char *where, ms_error *err)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        size_t i = 0;
        while (known[i] && strcmp(known[i], m->string) != 0)
            i++;
        if (!known[i])
            return ms_error_set(err, MS_EINPUT, "%s: %s: unknown field \"%s\"", what, where,
                                m->string);
    }
    return 0;
}

static int parse_time(const cJSON *obj, const char *name, int64_t *out, const char *what,
                      const char *where, ms_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsString(t) || ms_rfc3339_parse(t->valuestring, out) != 0)
        return ms_error_set(err, MS_EINPUT, "%s: %s.validFor.%s: %s", what, where, name,
                            t ? "not an RFC 3339 time" : "missing");
    return 0;
}

static int parse_service(const cJSON *obj, ms_sigstore_service *s, const char *what,
                         const char *where, ms_error *err)
{
    static const char *const known[] = {"url", "majorApiVersion", "validFor", "operator", NULL};
    static const char *const known_valid[] = {"start", "end", NULL};
    int rc;
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "%s: %s: not an object", what, where);
    if ((rc = only_known(obj, known, what, where, err)) != 0)
        return rc;
    const cJSON *url = cJSON_GetObjectItemCaseSensitive(obj, "url");
    const cJSON *major = cJSON_GetObjectItemCaseSensitive(obj, "majorApiVersion");
    const cJSON *valid = cJSON_GetObjectItemCaseSensitive(obj, "validFor");
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(obj, "operator");
    if (!cJSON_IsString(url) || !url->valuestring[0])
        return ms_error_set(err, MS_EINPUT, "%s: %s.url: %s", what, where,
                            url ? "not a non-empty string" : "missing");
    if (strlen(url->valuestring) > MS_SIGNING_CONFIG_URL_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: %s.url: longer than %d characters", what, where,
                            MS_SIGNING_CONFIG_URL_MAX);
    if (!http_url_allowed(url->valuestring))
        return ms_error_set(err, MS_EINPUT,
                            "%s: %s.url: not https:// (plain http:// only to a loopback host)",
                            what, where);
    if (!cJSON_IsNumber(major) || major->valuedouble < 1 || major->valuedouble > 1000 ||
        major->valuedouble != (double)(long)major->valuedouble)
        return ms_error_set(err, MS_EINPUT, "%s: %s.majorApiVersion: %s", what, where,
                            major ? "not a positive integer" : "missing");
    if (op && !cJSON_IsString(op))
        return ms_error_set(err, MS_EINPUT, "%s: %s.operator: not a string", what, where);
    if (!cJSON_IsObject(valid))
        return ms_error_set(err, MS_EINPUT, "%s: %s.validFor: %s", what, where,
                            valid ? "not an object" : "missing");
    if ((rc = only_known(valid, known_valid, what, where, err)) != 0)
        return rc;
    s->end = INT64_MAX;
    if ((rc = parse_time(valid, "start", &s->start, what, where, err)) != 0 ||
        (cJSON_GetObjectItemCaseSensitive(valid, "end") &&
         (rc = parse_time(valid, "end", &s->end, what, where, err)) != 0))
        return rc;
    if (s->end < s->start)
        return ms_error_set(err, MS_EINPUT, "%s: %s.validFor: ends before it starts", what, where);
    s->major = (long)major->valuedouble;
    s->url = strdup(url->valuestring);
    return s->url ? 0 : ms_error_nomem(err);
}

static int parse_list(const cJSON *root, const char *name, ms_sigstore_service **out, size_t *n,
                      const char *what, ms_error *err)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(root, name);
    char where[64];
    if (!list)
        return 0;
    if (!cJSON_IsArray(list))
        return ms_error_set(err, MS_EINPUT, "%s: %s: not an array", what, name);
    int count = cJSON_GetArraySize(list);
    if (count > MS_SIGNING_CONFIG_MAX_SERVICES)
        return ms_error_set(err, MS_EINPUT, "%s: %s: more than %d entries", what, name,
                            MS_SIGNING_CONFIG_MAX_SERVICES);
    if (count == 0)
        return 0;
    if (!(*out = calloc((size_t)count, sizeof **out)))
        return ms_error_nomem(err);
    for (int i = 0; i < count; i++) {
        snprintf(where, sizeof where, "%s[%d]", name, i);
        int rc = parse_service(cJSON_GetArrayItem(list, i), &(*out)[i], what, where, err);
        (*n)++; /* counted even on failure so that the url is freed */
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int parse_selector(const cJSON *root, const char *name, ms_service_selector *sel,
                          size_t *count, const char *what, ms_error *err)
{
    static const char *const known[] = {"selector", "count", NULL};
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, name);
    *sel = MS_SELECT_ANY;
    *count = 1;
    if (!cfg)
        return 0;
    if (!cJSON_IsObject(cfg))
        return ms_error_set(err, MS_EINPUT, "%s: %s: not an object", what, name);
    int rc = only_known(cfg, known, what, name, err);
    if (rc != 0)
        return rc;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(cfg, "selector");
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cfg, "count");
    if (!cJSON_IsString(s))
        return ms_error_set(err, MS_EINPUT, "%s: %s.selector: %s", what, name,
                            s ? "not a string" : "missing");
    if (strcmp(s->valuestring, "ANY") == 0)
        *sel = MS_SELECT_ANY;
    else if (strcmp(s->valuestring, "ALL") == 0)
        *sel = MS_SELECT_ALL;
    else if (strcmp(s->valuestring, "EXACT") == 0)
        *sel = MS_SELECT_EXACT;
    else
        return ms_error_set(err, MS_EINPUT, "%s: %s.selector: \"%s\" is not ALL, ANY or EXACT",
                            what, name, s->valuestring);
    if (*sel == MS_SELECT_EXACT) {
        if (!cJSON_IsNumber(c) || c->valuedouble < 1 || c->valuedouble > MS_SIGN_MAX_SELECTED ||
            c->valuedouble != (double)(int)c->valuedouble)
            return ms_error_set(err, MS_EINPUT, "%s: %s.count: %s (EXACT needs 1 to %d)", what,
                                name, c ? "out of range" : "missing", MS_SIGN_MAX_SELECTED);
        *count = (size_t)c->valuedouble;
    } else if (c) {
        return ms_error_set(err, MS_EINPUT, "%s: %s.count: only for the EXACT selector", what,
                            name);
    }
    return 0;
}

int signing_config_parse(const uint8_t *json, size_t len, const char *what, ms_signing_config **out,
                         ms_error *err)
{
    static const char *const known[] = {"mediaType",     "caUrls",  "oidcUrls",
                                        "rekorTlogUrls", "tsaUrls", "rekorTlogConfig",
                                        "tsaConfig",     NULL};
    cJSON *root = NULL;
    ms_signing_config *c = NULL;
    int rc;
    *out = NULL;
    if ((rc = msx_json_parse(json, len, MS_SIGNING_CONFIG_MAX_SIZE, what, &root, err)) != 0)
        return rc;
    if (!cJSON_IsObject(root)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: not a JSON object", what);
        goto out;
    }
    if ((rc = only_known(root, known, what, "signing config", err)) != 0)
        goto out;
    const cJSON *mt = cJSON_GetObjectItemCaseSensitive(root, "mediaType");
    if (!cJSON_IsString(mt) || strcmp(mt->valuestring, MS_SIGNING_CONFIG_MEDIA_TYPE) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: mediaType: %s (expected %s)", what,
                          mt ? "unsupported" : "missing", MS_SIGNING_CONFIG_MEDIA_TYPE);
        goto out;
    }
    if (!(c = calloc(1, sizeof *c))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = parse_list(root, "caUrls", &c->cas, &c->n_cas, what, err)) != 0 ||
        (rc = parse_list(root, "oidcUrls", &c->oidcs, &c->n_oidcs, what, err)) != 0 ||
        (rc = parse_list(root, "rekorTlogUrls", &c->tlogs, &c->n_tlogs, what, err)) != 0 ||
        (rc = parse_list(root, "tsaUrls", &c->tsas, &c->n_tsas, what, err)) != 0 ||
        (rc = parse_selector(root, "rekorTlogConfig", &c->tlog_selector, &c->tlog_count, what,
                             err)) != 0 ||
        (rc = parse_selector(root, "tsaConfig", &c->tsa_selector, &c->tsa_count, what, err)) != 0)
        goto out;
    *out = c;
    c = NULL;
out:
    signing_config_free(c);
    cJSON_Delete(root);
    return rc;
}

static int valid_at(const ms_sigstore_service *s, int64_t now)
{
    return now >= s->start && now <= s->end;
}

/* Pick from `list` the services of API version `major` valid at `now` per the selector. */
static int pick(const ms_sigstore_service *list, size_t n, long major, int64_t now,
                ms_service_selector sel, size_t count, const ms_sigstore_service **out,
                size_t *n_out)
{
    size_t want = sel == MS_SELECT_ALL ? MS_SIGN_MAX_SELECTED : sel == MS_SELECT_ANY ? 1 : count;
    *n_out = 0;
    for (size_t i = 0; i < n && *n_out < want; i++) {
        if (list[i].major == major && valid_at(&list[i], now))
            out[(*n_out)++] = &list[i];
    }
    return sel == MS_SELECT_EXACT && *n_out < count ? -1 : 0;
}

int signing_config_select(const ms_signing_config *c, int64_t now, const char *what,
                          ms_sigstore_services *out, ms_error *err)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < c->n_cas && !out->ca; i++) {
        if (c->cas[i].major == 1 && valid_at(&c->cas[i], now))
            out->ca = &c->cas[i];
    }
    if (!out->ca)
        return ms_error_set(err, MS_EINPUT,
                            "%s: caUrls: no Fulcio with majorApiVersion 1 is valid now", what);
    for (size_t i = 0; i < c->n_oidcs && !out->oidc; i++) {
        if (valid_at(&c->oidcs[i], now))
            out->oidc = &c->oidcs[i];
    }
    /* The newest Rekor API we speak that the config offers now. */
    long major = 0;
    for (size_t i = 0; i < c->n_tlogs; i++) {
        long m = c->tlogs[i].major;
        if ((m == 1 || m == 2) && m > major && valid_at(&c->tlogs[i], now))
            major = m;
    }
    if (major == 0)
        return ms_error_set(err, MS_EINPUT,
                            "%s: rekorTlogUrls: no Rekor with majorApiVersion 1 or 2 is valid now",
                            what);
    if (pick(c->tlogs, c->n_tlogs, major, now, c->tlog_selector, c->tlog_count, out->tlogs,
             &out->n_tlogs) != 0)
        return ms_error_set(err, MS_EINPUT,
                            "%s: rekorTlogConfig: EXACT %zu, but only %zu Rekor v%ld logs are "
                            "valid now",
                            what, c->tlog_count, out->n_tlogs, major);
    if (pick(c->tsas, c->n_tsas, 1, now, c->tsa_selector, c->tsa_count, out->tsas, &out->n_tsas) !=
        0)
        return ms_error_set(err, MS_EINPUT,
                            "%s: tsaConfig: EXACT %zu, but only %zu timestamp authorities are "
                            "valid now",
                            what, c->tsa_count, out->n_tsas);
    if (major == 2 && out->n_tsas == 0)
        return ms_error_set(err, MS_EINPUT,
                            "%s: tsaUrls: a Rekor v2 log needs a timestamp authority, and none "
                            "is valid now",
                            what);
    return 0;
}
