/* CycloneDX 1.6 JSON ML-BOM from the verified evidence (ms_sbom_cyclonedx).
 *
 * metadata.component is the model (machine-learning-model, its root digest as SHA-256, a
 * modelCard whose datasets reference the data components and whose properties are the
 * provenance's externalParameters, pedigree.ancestors for the base models recursively and
 * pedigree.commits for the training commit); components are the datasets (type data) and the
 * package dependencies; dependencies link the model to them. bom-refs derive from digests
 * (models, datasets) or package URLs; arrays are sorted; the only time is metadata.timestamp. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/sbom.h"
#include "modelseal/version.h"

#include "sbom_internal.h"

/* RFC 4122 appendix C: the URL namespace. */
static const uint8_t uuid_ns_url[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                        0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};

static void model_ref(const uint8_t d[MS_SHA256_SIZE], char out[80])
{
    char text[72];
    sbom_digest_text(d, text);
    snprintf(out, 80, "model:%s", text);
}

static void dataset_ref(const uint8_t d[MS_SHA256_SIZE], char out[80])
{
    char text[72];
    sbom_digest_text(d, text);
    snprintf(out, 80, "dataset:%s", text);
}

/* A package's bom-ref: its purl, or "package:" + the URI. malloc'd. */
static char *package_ref(const ms_sbom_package *p)
{
    if (sbom_is_purl(p->uri))
        return strdup(p->uri);
    size_t n = strlen(p->uri) + sizeof "package:";
    char *r = malloc(n);
    if (r)
        snprintf(r, n, "package:%s", p->uri);
    return r;
}

static void add_hash(sbom_tree *t, cJSON *component, const uint8_t d[MS_SHA256_SIZE])
{
    char hex[65];
    sbom_hex(d, hex);
    cJSON *h = sbom_object(t, sbom_array(t, component, "hashes"), NULL);
    sbom_string(t, h, "alg", "SHA-256");
    sbom_string(t, h, "content", hex);
}

static void add_property(sbom_tree *t, cJSON *props, const char *name, const char *value)
{
    cJSON *p = sbom_object(t, props, NULL);
    sbom_string(t, p, "name", name);
    sbom_string(t, p, "value", value);
}

static void add_license(sbom_tree *t, cJSON *component, const char *expression)
{
    if (!expression)
        return;
    cJSON *l = sbom_object(t, sbom_array(t, component, "licenses"), NULL);
    sbom_string(t, l, "expression", expression);
}

static void add_commit(sbom_tree *t, cJSON *pedigree, const ms_sbom_code *code)
{
    cJSON *c = sbom_object(t, sbom_array(t, pedigree, "commits"), NULL);
    sbom_string(t, c, "uid", code->commit);
    sbom_string(t, c, "url", code->url);
}

/* Properties about where the model came from (sorted by name). */
static void add_build_properties(sbom_tree *t, cJSON *component, const ms_sbom_model *m)
{
    char root[72];
    sbom_digest_text(m->digest, root);
    cJSON *props = sbom_array(t, component, "properties");
    if (m->has_provenance && m->build_type)
        add_property(t, props, "modelseal:buildType", m->build_type);
    if (m->has_provenance && m->builder_id)
        add_property(t, props, "modelseal:builderId", m->builder_id);
    if (m->has_code) {
        add_property(t, props, "modelseal:code:dirty", m->code.dirty ? "true" : "false");
        if (m->code.ref)
            add_property(t, props, "modelseal:code:ref", m->code.ref);
    }
    if (m->has_provenance && m->finished_on)
        add_property(t, props, "modelseal:finishedOn", m->finished_on);
    if (m->has_provenance && m->invocation_id)
        add_property(t, props, "modelseal:invocationId", m->invocation_id);
    add_property(t, props, "modelseal:rootDigest", root);
    add_property(t, props, "modelseal:signatureVerified", m->has_signature ? "true" : "false");
    if (m->has_provenance && m->started_on)
        add_property(t, props, "modelseal:startedOn", m->started_on);
}

/* A base model as a pedigree ancestor, with its own ancestors and commit. */
static void add_ancestor(sbom_tree *t, cJSON *ancestors, const ms_sbom_model *b)
{
    cJSON *c = sbom_object(t, ancestors, NULL);
    sbom_string(t, c, "type", "machine-learning-model");
    sbom_string(t, c, "name", b->name);
    add_hash(t, c, b->digest);
    if (b->n_bases || b->has_code) {
        cJSON *ped = sbom_object(t, c, "pedigree");
        if (b->n_bases) {
            cJSON *anc = sbom_array(t, ped, "ancestors");
            for (size_t i = 0; i < b->n_bases; i++)
                add_ancestor(t, anc, &b->bases[i]);
        }
        if (b->has_code)
            add_commit(t, ped, &b->code);
    }
    add_build_properties(t, c, b);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* modelCard: the task, datasets by reference, externalParameters as properties. */
static int add_model_card(sbom_tree *t, cJSON *component, const ms_sbom_model *m,
                          const ms_sbom_options *o)
{
    size_t n_params = 0;
    for (const cJSON *c = sbom_model_parameters(m) ? sbom_model_parameters(m)->child : NULL; c;
         c = c->next)
        n_params++;
    if (!o->type_of_model && !m->n_datasets && !n_params)
        return 0;
    cJSON *card = sbom_object(t, component, "modelCard");
    if (o->type_of_model || m->n_datasets) {
        cJSON *mp = sbom_object(t, card, "modelParameters");
        if (o->type_of_model)
            sbom_string(t, mp, "architectureFamily", o->type_of_model);
        if (m->n_datasets) {
            cJSON *ds = sbom_array(t, mp, "datasets");
            for (size_t i = 0; i < m->n_datasets; i++) {
                char ref[80];
                dataset_ref(m->datasets[i].root_digest, ref);
                sbom_string(t, sbom_object(t, ds, NULL), "ref", ref);
            }
        }
    }
    if (!n_params)
        return 0;
    const cJSON **params = malloc(n_params * sizeof *params);
    if (!params)
        return MS_ENOMEM;
    size_t i = 0;
    for (const cJSON *c = sbom_model_parameters(m)->child; c; c = c->next)
        params[i++] = c;
    qsort(params, n_params, sizeof *params, cmp_key);
    cJSON *props = sbom_array(t, card, "properties");
    int rc = 0;
    for (i = 0; i < n_params && !rc; i++) {
        char *value = sbom_value_text(params[i]);
        size_t len = strlen(params[i]->string) + sizeof "modelseal:parameter:";
        char *name = malloc(len);
        if (!value || !name)
            rc = MS_ENOMEM;
        else {
            snprintf(name, len, "modelseal:parameter:%s", params[i]->string);
            add_property(t, props, name, value);
        }
        free(value);
        free(name);
    }
    free(params);
    return rc;
}

static void add_dataset(sbom_tree *t, cJSON *components, const ms_sbom_dataset *ds,
                        const ms_sbom_options *o)
{
    char ref[80], manifest[72], num[24];
    const char *types[16];
    dataset_ref(ds->root_digest, ref);
    cJSON *c = sbom_object(t, components, NULL);
    sbom_string(t, c, "type", "data");
    sbom_string(t, c, "bom-ref", ref);
    sbom_string(t, c, "name", ds->name);
    if (ds->version)
        sbom_string(t, c, "version", ds->version);
    add_hash(t, c, ds->root_digest);
    add_license(t, c, ds->license);
    cJSON *d = sbom_object(t, sbom_array(t, c, "data"), NULL);
    sbom_string(t, d, "type", "dataset");
    sbom_string(t, d, "name", ds->name);
    if (ds->source)
        sbom_string(t, sbom_object(t, d, "contents"), "url", ds->source);
    cJSON *props = sbom_array(t, c, "properties");
    if (ds->has_statement) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)ds->bytes);
        add_property(t, props, "modelseal:dataset:bytes", num);
    }
    size_t n_types = sbom_dataset_types(o, ds->name, types);
    for (size_t i = 0; i < n_types; i++)
        add_property(t, props, "modelseal:dataset:datasetType", types[i]);
    if (ds->has_statement) {
        snprintf(num, sizeof num, "%llu", (unsigned long long)ds->files);
        add_property(t, props, "modelseal:dataset:files", num);
    }
    if (ds->has_manifest_digest) {
        sbom_digest_text(ds->manifest_digest, manifest);
        add_property(t, props, "modelseal:dataset:manifestDigest", manifest);
    }
    add_property(t, props, "modelseal:dataset:signatureVerified",
                 ds->has_statement ? "true" : "false");
}

static int add_package(sbom_tree *t, cJSON *components, const ms_sbom_package *p)
{
    char *name = NULL, *version = NULL, *ref = package_ref(p);
    if (!ref || sbom_package_name(p->uri, &name, &version) != 0) {
        free(ref);
        return MS_ENOMEM;
    }
    cJSON *c = sbom_object(t, components, NULL);
    sbom_string(t, c, "type", "library");
    sbom_string(t, c, "bom-ref", ref);
    sbom_string(t, c, "name", name);
    if (version)
        sbom_string(t, c, "version", version);
    if (p->has_sha256)
        add_hash(t, c, p->sha256);
    if (sbom_is_purl(p->uri))
        sbom_string(t, c, "purl", p->uri);
    else {
        cJSON *x = sbom_object(t, sbom_array(t, c, "externalReferences"), NULL);
        sbom_string(t, x, "type", "distribution");
        sbom_string(t, x, "url", p->uri);
    }
    free(name);
    free(version);
    free(ref);
    return 0;
}

static int add_dependencies(sbom_tree *t, cJSON *bom, const ms_sbom_model *m)
{
    size_t n = m->n_datasets + m->n_packages;
    char **refs = calloc(n ? n : 1, sizeof *refs);
    char mref[80];
    int rc = 0;
    if (!refs)
        return MS_ENOMEM;
    for (size_t i = 0; i < m->n_datasets && !rc; i++) {
        if (!(refs[i] = malloc(80)))
            rc = MS_ENOMEM;
        else
            dataset_ref(m->datasets[i].root_digest, refs[i]);
    }
    for (size_t i = 0; i < m->n_packages && !rc; i++)
        if (!(refs[m->n_datasets + i] = package_ref(&m->packages[i])))
            rc = MS_ENOMEM;
    if (!rc) {
        qsort(refs, n, sizeof *refs, cmp_str);
        cJSON *deps = sbom_array(t, bom, "dependencies");
        cJSON *top = sbom_object(t, deps, NULL);
        model_ref(m->digest, mref);
        sbom_string(t, top, "ref", mref);
        if (n) {
            cJSON *on = sbom_array(t, top, "dependsOn");
            for (size_t i = 0; i < n; i++)
                sbom_string(t, on, NULL, refs[i]);
        }
        for (size_t i = 0; i < n; i++)
            sbom_string(t, sbom_object(t, deps, NULL), "ref", refs[i]);
    }
    for (size_t i = 0; i < n; i++)
        free(refs[i]);
    free(refs);
    return rc;
}

int sbom_cyclonedx(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_buf *out, ms_error *err)
{
    const ms_sbom_model *m = &ev->model;
    sbom_tree t = {0};
    char when[32], root[72], uuid[37], serial[64], mref[80];
    ms_buf name = MS_BUF_INIT;
    cJSON *bom = NULL;
    int rc;
    if ((rc = ms_sbom_options_check(o, err)) != 0 ||
        (rc = sbom_check_dataset_names(ev, o, err)) != 0 ||
        (rc = ms_sbom_time_text(o->timestamp, when, err)) != 0)
        return rc;
    sbom_digest_text(m->digest, root);
    /* The serial number names this model at this time. */
    if (msx_buf_printf(&name, "modelseal:cyclonedx:%s:%s", root, when) ||
        ms_sbom_uuid_v5(uuid_ns_url, name.data, name.len, uuid) != 0) {
        msx_buf_free(&name);
        return ms_error_nomem(err);
    }
    msx_buf_free(&name);
    snprintf(serial, sizeof serial, "urn:uuid:%s", uuid);
    if (!(bom = cJSON_CreateObject()))
        return ms_error_nomem(err);
    sbom_string(&t, bom, "bomFormat", "CycloneDX");
    sbom_string(&t, bom, "specVersion", MS_SBOM_CYCLONEDX_SPEC);
    sbom_string(&t, bom, "serialNumber", serial);
    sbom_uint(&t, bom, "version", 1);

    cJSON *meta = sbom_object(&t, bom, "metadata");
    sbom_string(&t, meta, "timestamp", when);
    cJSON *tool =
        sbom_object(&t, sbom_array(&t, sbom_object(&t, meta, "tools"), "components"), NULL);
    sbom_string(&t, tool, "type", "application");
    sbom_string(&t, tool, "name", "modelseal");
    sbom_string(&t, tool, "version", ms_version());

    cJSON *mc = sbom_object(&t, meta, "component");
    model_ref(m->digest, mref);
    sbom_string(&t, mc, "type", "machine-learning-model");
    sbom_string(&t, mc, "bom-ref", mref);
    if (o->supplier)
        sbom_string(&t, sbom_object(&t, mc, "supplier"), "name", o->supplier);
    sbom_string(&t, mc, "name", sbom_model_name(ev, o));
    if (o->version)
        sbom_string(&t, mc, "version", o->version);
    add_hash(&t, mc, m->digest);
    add_license(&t, mc, o->license);
    if (m->n_bases || m->has_code) {
        cJSON *ped = sbom_object(&t, mc, "pedigree");
        if (m->n_bases) {
            cJSON *anc = sbom_array(&t, ped, "ancestors");
            for (size_t i = 0; i < m->n_bases; i++)
                add_ancestor(&t, anc, &m->bases[i]);
        }
        if (m->has_code)
            add_commit(&t, ped, &m->code);
    }
    if ((rc = add_model_card(&t, mc, m, o)) != 0)
        goto out;
    add_build_properties(&t, mc, m);

    if (m->n_datasets || m->n_packages) {
        cJSON *components = sbom_array(&t, bom, "components");
        for (size_t i = 0; i < m->n_datasets; i++)
            add_dataset(&t, components, &m->datasets[i], o);
        for (size_t i = 0; i < m->n_packages && !rc; i++)
            rc = add_package(&t, components, &m->packages[i]);
        if (rc)
            goto out;
    }
    if ((rc = add_dependencies(&t, bom, m)) != 0)
        goto out;
    if (t.oom) {
        rc = MS_ENOMEM;
        goto out;
    }
    rc = sbom_json_write(bom, out);
out:
    cJSON_Delete(bom);
    return rc == MS_ENOMEM ? ms_error_nomem(err) : rc;
}
