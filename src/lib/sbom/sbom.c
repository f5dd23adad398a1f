/* AI bill of materials: the rendering options (checked before anything is read), the choice of
 * format, and policy mode (the chain verified first, then the evidence collected with the
 * policy's signers for each role). The evidence is collected in sbom_collect.c, the documents
 * are built by sbom_cyclonedx.c and sbom_spdx.c with the tree builder and writer of
 * sbom_json.c. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "hash/walk.h"
#include "modelseal/policy.h"
#include "modelseal/sbom.h"
#include "util/buf.h"
#include "util/encoding.h"

#include "sbom_internal.h"

/* ---- options ------------------------------------------------------------------------------ */

static const char *const dataset_type_names[] = {
    "audio",  "categorical", "graph",     "image", "noAssertion", "numeric",   "other",
    "sensor", "structured",  "syntactic", "text",  "timeseries",  "timestamp", "video"};
#define N_DATASET_TYPES (sizeof dataset_type_names / sizeof dataset_type_names[0])

int ms_sbom_format_parse(const char *text, ms_sbom_format *out, ms_error *err)
{
    if (text && strcmp(text, "cyclonedx") == 0)
        *out = MS_SBOM_CYCLONEDX;
    else if (text && strcmp(text, "spdx") == 0)
        *out = MS_SBOM_SPDX;
    else
        return ms_error_set(err, MS_EINPUT, "--format %s: unknown format (cyclonedx or spdx)",
                            text ? text : "(none)");
    return 0;
}

/* UTF-8 without control characters, not empty. */
static int check_text(const char *what, const char *s, ms_error *err)
{
    size_t len = strlen(s);
    if (len == 0)
        return ms_error_set(err, MS_EINPUT, "%s: empty", what);
    if (len > 4096)
        return ms_error_set(err, MS_EINPUT, "%s: longer than 4096 bytes", what);
    if (!msx_utf8_valid(s, len))
        return ms_error_set(err, MS_EINPUT, "%s: not valid UTF-8", what);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return ms_error_set(err, MS_EINPUT, "%s: contains a control character", what);
    return 0;
}

int ms_sbom_options_check(const ms_sbom_options *o, ms_error *err)
{
    const struct {
        const char *what, *value;
    } texts[] = {{"--name", o->name},
                 {"--version", o->version},
                 {"--supplier", o->supplier},
                 {"--license", o->license},
                 {"--type-of-model", o->type_of_model},
                 {"--namespace", o->namespace_iri}};
    int rc;
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        if (texts[i].value && (rc = check_text(texts[i].what, texts[i].value, err)) != 0)
            return rc;
    if (o->namespace_iri) {
        /* An absolute IRI: scheme ":" something, no spaces, not a blank node. */
        const char *s = o->namespace_iri;
        size_t scheme = 0;
        while ((s[scheme] >= 'a' && s[scheme] <= 'z') || (s[scheme] >= 'A' && s[scheme] <= 'Z') ||
               (scheme > 0 && ((s[scheme] >= '0' && s[scheme] <= '9') || s[scheme] == '+' ||
                               s[scheme] == '-' || s[scheme] == '.')))
            scheme++;
        if (scheme == 0 || s[scheme] != ':' || s[scheme + 1] == '\0' || strchr(s, ' ') ||
            strchr(s, '"') || strchr(s, '<') || strchr(s, '>') || strncmp(s, "_:", 2) == 0)
            return ms_error_set(err, MS_EINPUT,
                                "--namespace %s: not an absolute IRI (like https://example.com/"
                                "sbom/model)",
                                s);
    }
    for (size_t i = 0; i < o->n_dataset_types; i++) {
        const ms_sbom_dataset_type *t = &o->dataset_types[i];
        if ((rc = check_text("--dataset-type NAME", t->name, err)) != 0)
            return rc;
        size_t k = 0;
        while (k < N_DATASET_TYPES && strcmp(dataset_type_names[k], t->type) != 0)
            k++;
        if (k == N_DATASET_TYPES)
            return ms_error_set(err, MS_EINPUT,
                                "--dataset-type %s=%s: unknown type (audio, categorical, graph, "
                                "image, noAssertion, numeric, other, sensor, structured, "
                                "syntactic, text, timeseries, timestamp, video)",
                                t->name, t->type);
    }
    char when[32];
    return ms_sbom_time_text(o->timestamp, when, err);
}

size_t sbom_dataset_types(const ms_sbom_options *o, const char *dataset_name, const char **types)
{
    size_t n = 0;
    /* Walk the fixed list in its (sorted) order: sorted output, each type once. */
    for (size_t k = 0; k < N_DATASET_TYPES; k++)
        for (size_t i = 0; i < o->n_dataset_types; i++)
            if (strcmp(o->dataset_types[i].name, dataset_name) == 0 &&
                strcmp(o->dataset_types[i].type, dataset_type_names[k]) == 0) {
                types[n++] = dataset_type_names[k];
                break;
            }
    return n;
}

int sbom_check_dataset_names(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_error *err)
{
    for (size_t i = 0; i < o->n_dataset_types; i++) {
        size_t k = 0;
        while (k < ev->model.n_datasets &&
               strcmp(ev->model.datasets[k].name, o->dataset_types[i].name) != 0)
            k++;
        if (k == ev->model.n_datasets)
            return ms_error_set(err, MS_EINPUT,
                                "--dataset-type %s=%s: the model's verified provenance names no "
                                "dataset \"%s\"",
                                o->dataset_types[i].name, o->dataset_types[i].type,
                                o->dataset_types[i].name);
    }
    return 0;
}

const char *sbom_model_name(const ms_sbom_evidence *ev, const ms_sbom_options *o)
{
    if (o->name)
        return o->name;
    return ev->model.name ? ev->model.name : "model";
}

int ms_sbom_time_text(int64_t t, char out[32], ms_error *err)
{
    /* 253402300799 = 9999-12-31T23:59:59Z */
    struct tm tm;
    time_t tt = (time_t)t;
    if (t < 0 || t > INT64_C(253402300799) || !gmtime_r(&tt, &tm))
        return ms_error_set(err, MS_EINPUT,
                            "timestamp %" PRId64 ": outside 1970-01-01 .. 9999-12-31", t);
    if (strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        return ms_error_set(err, MS_EINPUT, "timestamp %" PRId64 ": cannot be formatted", t);
    return 0;
}

int ms_sbom_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37])
{
    uint8_t md[EVP_MAX_MD_SIZE];
    unsigned md_len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    int ok = c && EVP_DigestInit_ex(c, EVP_sha1(), NULL) == 1 && EVP_DigestUpdate(c, ns, 16) == 1 &&
             EVP_DigestUpdate(c, name, len) == 1 && EVP_DigestFinal_ex(c, md, &md_len) == 1 &&
             md_len >= 16;
    EVP_MD_CTX_free(c);
    if (!ok)
        return MS_ENOMEM;
    md[6] = (uint8_t)((md[6] & 0x0f) | 0x50); /* version 5 */
    md[8] = (uint8_t)((md[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    char hex[33];
    msx_hex_encode(md, 16, hex);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
    return 0;
}

int ms_sbom_render(ms_sbom_format format, const ms_sbom_evidence *ev, const ms_sbom_options *o,
                   char **out, size_t *out_len, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc;
    switch (format) {
    case MS_SBOM_CYCLONEDX:
        rc = sbom_cyclonedx(ev, o, &buf, err);
        break;
    case MS_SBOM_SPDX:
        rc = sbom_spdx(ev, o, &buf, err);
        break;
    default:
        rc = ms_error_set(err, MS_EINPUT, "unknown SBOM format %d", (int)format);
        break;
    }
    if (rc == 0 && msx_buf_export(&buf, out, out_len) != 0)
        rc = ms_error_nomem(err);
    msx_buf_free(&buf);
    return rc;
}

/* ---- policy mode -------------------------------------------------------------------------- */

typedef struct role_trust {
    const ms_key **slots;
    ms_trust *items;
    size_t n;
} role_trust;

static int role_trust_make(const ms_policy *p, const ms_policy_signers *s, int64_t now,
                           role_trust *rt)
{
    memset(rt, 0, sizeof *rt);
    if (!s->names.n)
        return 0;
    rt->slots = calloc(s->names.n, sizeof *rt->slots);
    rt->items = calloc(s->names.n, sizeof *rt->items);
    if (!rt->slots || !rt->items)
        return MS_ENOMEM;
    for (size_t i = 0; i < s->names.n; i++) {
        ms_policy_key_trust(&p->keys[s->index[i]], &rt->slots[i], &rt->items[i]);
        rt->items[i].at_time = now;
    }
    rt->n = s->names.n;
    return 0;
}

static void role_trust_free(role_trust *rt)
{
    free(rt->slots);
    free(rt->items);
}

int ms_sbom_collect_policy(const ms_policy *policy, const char *model,
                           const ms_chain_options *chain, ms_chain_result *res,
                           ms_sbom_evidence **out, ms_error *err)
{
    role_trust r_model, r_prov, r_data, r_base;
    ms_sbom_collect_options o;
    int rc;
    *out = NULL;
    memset(&r_model, 0, sizeof r_model);
    memset(&r_prov, 0, sizeof r_prov);
    memset(&r_data, 0, sizeof r_data);
    memset(&r_base, 0, sizeof r_base);
    if ((rc = ms_chain_verify(policy, model, chain, res, err)) != 0)
        return rc;
    int64_t now = chain->now ? chain->now : (int64_t)time(NULL);
    if (role_trust_make(policy, &policy->model_signers, now, &r_model) ||
        (policy->has_provenance &&
         role_trust_make(policy, &policy->provenance_signers, now, &r_prov)) ||
        (policy->has_datasets && role_trust_make(policy, &policy->dataset_signers, now, &r_data)) ||
        (policy->has_base_model &&
         role_trust_make(policy, &policy->base_model_signers, now, &r_base))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memset(&o, 0, sizeof o);
    o.signature_path = chain->signature_path;
    o.claims_path = chain->claims_path;
    o.model = (ms_sbom_signers){r_model.items, r_model.n};
    o.provenance = (ms_sbom_signers){r_prov.items, r_prov.n};
    o.datasets = (ms_sbom_signers){r_data.items, r_data.n};
    o.base_models = (ms_sbom_signers){r_base.items, r_base.n};
    o.verify_model_files = 0; /* the chain re-hashed it */
    o.max_depth = policy->has_base_model ? policy->max_depth : MS_SBOM_MAX_DEPTH;
    rc = ms_sbom_collect(model, &o, out, err);
out:
    role_trust_free(&r_model);
    role_trust_free(&r_prov);
    role_trust_free(&r_data);
    role_trust_free(&r_base);
    return rc;
}
