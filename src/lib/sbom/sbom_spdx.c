/* SPDX 3.0.1 JSON-LD AI and Dataset document from the verified evidence (ms_sbom_spdx).
 *
 * One @graph: the CreationInfo (a blank node every element points to), the modelseal agent and
 * tool, the supplier (an Organization, when given), the SpdxDocument, an ai_AIPackage for the
 * model and one for each base model, a dataset_DatasetPackage per dataset, a software_Package
 * per package dependency, license expressions, and the Relationships: trainedOn (model to its
 * datasets), dependsOn (model to its packages), descendantOf (a model to its base models,
 * recursively) and hasDeclaredLicense. The training commit is an ExternalRef of type vcs.
 * Element ids live under the namespace (default urn:modelseal:sbom:sha256:<model digest>) and
 * are derived from digests, so the same evidence always gives the same document. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/hash.h"
#include "modelseal/sbom.h"
#include "modelseal/version.h"
#include "util/buf.h"
#include "util/encoding.h"

#include "sbom_internal.h"

typedef struct spdx_ctx {
    sbom_tree t;
    const ms_sbom_evidence *ev;
    const ms_sbom_options *o;
    char *ns;                           /* the namespace, with its separator */
    cJSON *graph;                       /* the @graph array */
    cJSON *elements;                    /* SpdxDocument.element */
    uint8_t (*emitted)[MS_SHA256_SIZE]; /* base models already in the graph */
    size_t n_emitted;
    int oom;
} spdx_ctx;

/* ns + local id, malloc'd (NULL sets ctx->oom). */
static char *id_of(spdx_ctx *c, const char *local)
{
    size_t n = strlen(c->ns) + strlen(local) + 1;
    char *id = malloc(n);
    if (!id) {
        c->oom = 1;
        return NULL;
    }
    snprintf(id, n, "%s%s", c->ns, local);
    return id;
}

/* A new graph element of `type` with id ns+local (listed in the document unless it is the
 * document itself) and the shared creationInfo. */
static cJSON *element(spdx_ctx *c, const char *type, const char *local)
{
    char *id = id_of(c, local);
    if (!id)
        return NULL;
    cJSON *e = sbom_object(&c->t, c->graph, NULL);
    sbom_string(&c->t, e, "type", type);
    sbom_string(&c->t, e, "spdxId", id);
    sbom_string(&c->t, e, "creationInfo", "_:creationinfo");
    if (strcmp(type, "SpdxDocument") != 0)
        sbom_string(&c->t, c->elements, NULL, id);
    free(id);
    return e;
}

static void add_hash(spdx_ctx *c, cJSON *e, const uint8_t d[MS_SHA256_SIZE])
{
    char hex[65];
    sbom_hex(d, hex);
    cJSON *h = sbom_object(&c->t, sbom_array(&c->t, e, "verifiedUsing"), NULL);
    sbom_string(&c->t, h, "type", "Hash");
    sbom_string(&c->t, h, "algorithm", "sha256");
    sbom_string(&c->t, h, "hashValue", hex);
}

static void model_local(const uint8_t d[MS_SHA256_SIZE], char out[80])
{
    char hex[65];
    sbom_hex(d, hex);
    snprintf(out, 80, "model-sha256-%s", hex);
}

static void dataset_local(const uint8_t d[MS_SHA256_SIZE], char out[80])
{
    char hex[65];
    sbom_hex(d, hex);
    snprintf(out, 80, "dataset-sha256-%s", hex);
}

/* Packages and licenses are named by text: their local id holds the text's SHA-256. */
static void text_local(const char *prefix, const char *text, char out[96])
{
    uint8_t d[MS_SHA256_SIZE];
    char hex[65];
    ms_sha256(text, strlen(text), d);
    sbom_hex(d, hex);
    snprintf(out, 96, "%s-sha256-%s", prefix, hex);
}

/* A Relationship `from` -> `to` (local ids; `to` sorted by the caller), id derived from its
 * type and the from element. */
static void relationship(spdx_ctx *c, const char *type, const char *from, const char *const *to,
                         size_t n_to)
{
    char local[160];
    snprintf(local, sizeof local, "relationship-%s-%s", type, from);
    cJSON *r = element(c, "Relationship", local);
    char *from_id = id_of(c, from);
    if (!from_id)
        return;
    sbom_string(&c->t, r, "from", from_id);
    free(from_id);
    sbom_string(&c->t, r, "relationshipType", type);
    cJSON *arr = sbom_array(&c->t, r, "to");
    for (size_t i = 0; i < n_to; i++) {
        char *id = id_of(c, to[i]);
        if (!id)
            return;
        sbom_string(&c->t, arr, NULL, id);
        free(id);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A license expression element (once per distinct text) and the hasDeclaredLicense from `from`.
 */
static void declared_license(spdx_ctx *c, const char *from, const char *expression)
{
    char local[96];
    const char *to[1];
    text_local("license", expression, local);
    int seen = 0;
    char *id = id_of(c, local);
    if (!id)
        return;
    for (const cJSON *e = c->elements ? c->elements->child : NULL; e; e = e->next)
        if (strcmp(e->valuestring, id) == 0)
            seen = 1;
    free(id);
    if (!seen) {
        cJSON *l = element(c, "simplelicensing_LicenseExpression", local);
        sbom_string(&c->t, l, "simplelicensing_licenseExpression", expression);
    }
    to[0] = local;
    relationship(c, "hasDeclaredLicense", from, to, 1);
}

static void vcs_ref(spdx_ctx *c, cJSON *e, const ms_sbom_code *code)
{
    ms_buf locator = MS_BUF_INIT;
    if (msx_buf_printf(&locator, "git+%s@%s", code->url, code->commit)) {
        c->oom = 1;
        return;
    }
    cJSON *x = sbom_object(&c->t, sbom_array(&c->t, e, "externalRef"), NULL);
    sbom_string(&c->t, x, "type", "ExternalRef");
    sbom_string(&c->t, x, "externalRefType", "vcs");
    sbom_string(&c->t, sbom_array(&c->t, x, "locator"), NULL, (const char *)locator.data);
    if (code->ref)
        sbom_string(&c->t, x, "comment", code->ref);
    msx_buf_free(&locator);
}

/* The training facts in words (builder, build type, times, commit). */
static void training_info(spdx_ctx *c, cJSON *e, const ms_sbom_model *m)
{
    ms_buf b = MS_BUF_INIT;
    int rc = msx_buf_printf(&b, "SLSA provenance: builder %s, build type %s",
                            m->builder_id ? m->builder_id : "(none)",
                            m->build_type ? m->build_type : "(none)");
    if (!rc && m->invocation_id)
        rc = msx_buf_printf(&b, ", invocation %s", m->invocation_id);
    if (!rc && m->started_on)
        rc = msx_buf_printf(&b, ", started %s", m->started_on);
    if (!rc && m->finished_on)
        rc = msx_buf_printf(&b, ", finished %s", m->finished_on);
    if (!rc && m->has_code)
        rc = msx_buf_printf(&b, "; code git+%s@%s%s%s%s", m->code.url, m->code.commit,
                            m->code.ref ? " (" : "", m->code.ref ? m->code.ref : "",
                            m->code.ref ? ")" : "");
    if (!rc && m->has_code && m->code.dirty)
        rc = msx_buf_append_str(&b, ", built from a dirty working tree");
    if (rc)
        c->oom = 1;
    else
        sbom_string(&c->t, e, "ai_informationAboutTraining", (const char *)b.data);
    msx_buf_free(&b);
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

static void hyperparameters(spdx_ctx *c, cJSON *e, const cJSON *params)
{
    size_t n = 0, i = 0;
    for (const cJSON *p = params ? params->child : NULL; p; p = p->next)
        n++;
    if (!n)
        return;
    const cJSON **sorted = malloc(n * sizeof *sorted);
    if (!sorted) {
        c->oom = 1;
        return;
    }
    for (const cJSON *p = params->child; p; p = p->next)
        sorted[i++] = p;
    qsort(sorted, n, sizeof *sorted, cmp_key);
    cJSON *arr = sbom_array(&c->t, e, "ai_hyperparameter");
    for (i = 0; i < n; i++) {
        char *value = sbom_value_text(sorted[i]);
        if (!value) {
            c->oom = 1;
            break;
        }
        cJSON *d = sbom_object(&c->t, arr, NULL);
        sbom_string(&c->t, d, "type", "DictionaryEntry");
        sbom_string(&c->t, d, "key", sorted[i]->string);
        sbom_string(&c->t, d, "value", value);
        free(value);
    }
    free(sorted);
}

/* A base model and, recursively, its own base models (each digest once). */
static void base_model(spdx_ctx *c, const ms_sbom_model *b)
{
    for (size_t i = 0; i < c->n_emitted; i++)
        if (memcmp(c->emitted[i], b->digest, MS_SHA256_SIZE) == 0)
            return;
    uint8_t(*p)[MS_SHA256_SIZE] = realloc(c->emitted, (c->n_emitted + 1) * sizeof *p);
    if (!p) {
        c->oom = 1;
        return;
    }
    c->emitted = p;
    memcpy(p[c->n_emitted++], b->digest, MS_SHA256_SIZE);
    char local[80];
    model_local(b->digest, local);
    cJSON *e = element(c, "ai_AIPackage", local);
    sbom_string(&c->t, e, "name", b->name);
    add_hash(c, e, b->digest);
    sbom_string(&c->t, e, "software_primaryPurpose", "model");
    if (b->has_code)
        vcs_ref(c, e, &b->code);
    if (b->has_provenance)
        training_info(c, e, b);
    for (size_t i = 0; i < b->n_bases; i++)
        base_model(c, &b->bases[i]);
}

/* descendantOf relationships of `m` and, recursively, of its base models (each once). */
static void ancestry(spdx_ctx *c, const ms_sbom_model *m, uint8_t (*done)[MS_SHA256_SIZE],
                     size_t *n_done)
{
    if (!m->n_bases)
        return;
    for (size_t i = 0; i < *n_done; i++)
        if (memcmp(done[i], m->digest, MS_SHA256_SIZE) == 0)
            return;
    memcpy(done[(*n_done)++], m->digest, MS_SHA256_SIZE);
    char from[80];
    char(*to)[80] = malloc(m->n_bases * sizeof *to);
    const char **tp = malloc(m->n_bases * sizeof *tp);
    if (!to || !tp) {
        c->oom = 1;
        free(to);
        free(tp);
        return;
    }
    model_local(m->digest, from);
    for (size_t i = 0; i < m->n_bases; i++) {
        model_local(m->bases[i].digest, to[i]);
        tp[i] = to[i];
    }
    qsort(tp, m->n_bases, sizeof *tp, cmp_str);
    relationship(c, "descendantOf", from, tp, m->n_bases);
    free(tp);
    free(to);
    for (size_t i = 0; i < m->n_bases; i++)
        ancestry(c, &m->bases[i], done, n_done);
}

static size_t count_models(const ms_sbom_model *m)
{
    size_t n = 1;
    for (size_t i = 0; i < m->n_bases; i++)
        n += count_models(&m->bases[i]);
    return n;
}

static void dataset(spdx_ctx *c, const ms_sbom_dataset *ds)
{
    char local[80];
    const char *types[16];
    dataset_local(ds->root_digest, local);
    cJSON *e = element(c, "dataset_DatasetPackage", local);
    sbom_string(&c->t, e, "name", ds->name);
    if (ds->version)
        sbom_string(&c->t, e, "software_packageVersion", ds->version);
    if (ds->source)
        sbom_string(&c->t, e, "software_downloadLocation", ds->source);
    sbom_string(&c->t, e, "software_primaryPurpose", "data");
    add_hash(c, e, ds->root_digest);
    if (ds->has_manifest_digest) {
        char text[72], comment[160];
        sbom_digest_text(ds->manifest_digest, text);
        if (ds->has_statement)
            snprintf(comment, sizeof comment, "modelseal dataset manifest %s, %llu file%s", text,
                     (unsigned long long)ds->files, ds->files == 1 ? "" : "s");
        else
            snprintf(comment, sizeof comment, "modelseal dataset manifest %s", text);
        sbom_string(&c->t, e, "comment", comment);
    }
    if (ds->has_statement)
        sbom_uint(&c->t, e, "dataset_datasetSize", ds->bytes);
    size_t n = sbom_dataset_types(c->o, ds->name, types);
    cJSON *arr = sbom_array(&c->t, e, "dataset_datasetType");
    if (!n)
        sbom_string(&c->t, arr, NULL, "noAssertion");
    for (size_t i = 0; i < n; i++)
        sbom_string(&c->t, arr, NULL, types[i]);
}

static void package(spdx_ctx *c, const ms_sbom_package *p)
{
    char local[96], *name = NULL, *version = NULL;
    if (sbom_package_name(p->uri, &name, &version) != 0) {
        c->oom = 1;
        return;
    }
    text_local("package", p->uri, local);
    cJSON *e = element(c, "software_Package", local);
    sbom_string(&c->t, e, "name", name);
    if (version)
        sbom_string(&c->t, e, "software_packageVersion", version);
    if (sbom_is_purl(p->uri))
        sbom_string(&c->t, e, "software_packageUrl", p->uri);
    else
        sbom_string(&c->t, e, "software_downloadLocation", p->uri);
    sbom_string(&c->t, e, "software_primaryPurpose", "library");
    if (p->has_sha256)
        add_hash(c, e, p->sha256);
    free(name);
    free(version);
}

static int make_namespace(spdx_ctx *c)
{
    ms_buf b = MS_BUF_INIT;
    int rc;
    if (c->o->namespace_iri) {
        const char *ns = c->o->namespace_iri;
        char last = ns[strlen(ns) - 1];
        rc = msx_buf_printf(&b, "%s%s", ns, last == '/' || last == '#' || last == ':' ? "" : "#");
    } else {
        char hex[65];
        sbom_hex(c->ev->model.digest, hex);
        rc = msx_buf_printf(&b, "urn:modelseal:sbom:sha256:%s#", hex);
    }
    if (rc || !(c->ns = msx_buf_detach(&b))) {
        msx_buf_free(&b);
        return MS_ENOMEM;
    }
    return 0;
}

int sbom_spdx(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_buf *out, ms_error *err)
{
    const ms_sbom_model *m = &ev->model;
    spdx_ctx c;
    char when[32], model_id_local[80];
    cJSON *doc = NULL, *elements = NULL;
    uint8_t(*done)[MS_SHA256_SIZE] = NULL;
    int rc;
    memset(&c, 0, sizeof c);
    c.ev = ev;
    c.o = o;
    if ((rc = ms_sbom_options_check(o, err)) != 0 ||
        (rc = sbom_check_dataset_names(ev, o, err)) != 0 ||
        (rc = ms_sbom_time_text(o->timestamp, when, err)) != 0)
        return rc;
    if (make_namespace(&c) != 0 || !(doc = cJSON_CreateObject()) ||
        !(elements = cJSON_CreateArray())) {
        rc = MS_ENOMEM;
        goto out;
    }
    c.elements = elements;
    sbom_string(&c.t, doc, "@context", MS_SBOM_SPDX_CONTEXT);
    c.graph = sbom_array(&c.t, doc, "@graph");

    /* Who made the document, with what. */
    char *agent = id_of(&c, "agent-modelseal"), *tool = id_of(&c, "tool-modelseal");
    cJSON *ci = sbom_object(&c.t, c.graph, NULL);
    sbom_string(&c.t, ci, "type", "CreationInfo");
    sbom_string(&c.t, ci, "@id", "_:creationinfo");
    sbom_string(&c.t, ci, "specVersion", MS_SBOM_SPDX_SPEC);
    sbom_string(&c.t, ci, "created", when);
    if (agent && tool) {
        sbom_string(&c.t, sbom_array(&c.t, ci, "createdBy"), NULL, agent);
        sbom_string(&c.t, sbom_array(&c.t, ci, "createdUsing"), NULL, tool);
    }
    free(agent);
    free(tool);
    sbom_string(&c.t, element(&c, "SoftwareAgent", "agent-modelseal"), "name", "modelseal");
    cJSON *t = element(&c, "Tool", "tool-modelseal");
    ms_buf tool_name = MS_BUF_INIT;
    if (msx_buf_printf(&tool_name, "modelseal %s", ms_version()))
        c.oom = 1;
    else
        sbom_string(&c.t, t, "name", (const char *)tool_name.data);
    msx_buf_free(&tool_name);

    /* The document. Its element list is filled as the graph grows and attached at the end. */
    model_local(m->digest, model_id_local);
    const char *model_name = sbom_model_name(ev, o);
    cJSON *sd = element(&c, "SpdxDocument", "document");
    ms_buf doc_name = MS_BUF_INIT;
    if (msx_buf_printf(&doc_name, "AI bill of materials: %s", model_name))
        c.oom = 1;
    else
        sbom_string(&c.t, sd, "name", (const char *)doc_name.data);
    msx_buf_free(&doc_name);
    cJSON *profiles = sbom_array(&c.t, sd, "profileConformance");
    static const char *const profile_names[] = {"ai", "core", "dataset", "simpleLicensing",
                                                "software"};
    for (size_t i = 0; i < sizeof profile_names / sizeof profile_names[0]; i++)
        sbom_string(&c.t, profiles, NULL, profile_names[i]);
    char *root_id = id_of(&c, model_id_local);
    if (root_id)
        sbom_string(&c.t, sbom_array(&c.t, sd, "rootElement"), NULL, root_id);
    free(root_id);
    {
        char license_local[96];
        text_local("license", "CC0-1.0", license_local);
        char *lid = id_of(&c, license_local);
        if (lid)
            sbom_string(&c.t, sd, "dataLicense", lid);
        free(lid);
        cJSON *l = element(&c, "simplelicensing_LicenseExpression", license_local);
        sbom_string(&c.t, l, "simplelicensing_licenseExpression", "CC0-1.0");
    }

    /* The supplier. */
    char supplier_local[96] = "";
    if (o->supplier) {
        text_local("organization", o->supplier, supplier_local);
        sbom_string(&c.t, element(&c, "Organization", supplier_local), "name", o->supplier);
    }

    /* The model. */
    cJSON *me = element(&c, "ai_AIPackage", model_id_local);
    sbom_string(&c.t, me, "name", model_name);
    if (o->version)
        sbom_string(&c.t, me, "software_packageVersion", o->version);
    if (o->supplier) {
        char *sid = id_of(&c, supplier_local);
        if (sid)
            sbom_string(&c.t, me, "suppliedBy", sid);
        free(sid);
    }
    add_hash(&c, me, m->digest);
    sbom_string(&c.t, me, "software_primaryPurpose", "model");
    if (o->type_of_model)
        sbom_string(&c.t, sbom_array(&c.t, me, "ai_typeOfModel"), NULL, o->type_of_model);
    hyperparameters(&c, me, sbom_model_parameters(m));
    if (m->has_provenance)
        training_info(&c, me, m);
    if (m->has_code)
        vcs_ref(&c, me, &m->code);
    c.n_emitted = 0;
    if (!(c.emitted = malloc(sizeof *c.emitted))) {
        rc = MS_ENOMEM;
        goto out;
    }
    memcpy(c.emitted[0], m->digest, MS_SHA256_SIZE);
    c.n_emitted = 1;

    for (size_t i = 0; i < m->n_bases; i++)
        base_model(&c, &m->bases[i]);
    for (size_t i = 0; i < m->n_datasets; i++)
        dataset(&c, &m->datasets[i]);
    for (size_t i = 0; i < m->n_packages; i++)
        package(&c, &m->packages[i]);

    /* Relationships. */
    size_t n_to = m->n_datasets > m->n_packages ? m->n_datasets : m->n_packages;
    char(*to)[96] = malloc((n_to ? n_to : 1) * sizeof *to);
    const char **tp = malloc((n_to ? n_to : 1) * sizeof *tp);
    if (!to || !tp) {
        free(to);
        free(tp);
        rc = MS_ENOMEM;
        goto out;
    }
    if (m->n_datasets) {
        for (size_t i = 0; i < m->n_datasets; i++) {
            dataset_local(m->datasets[i].root_digest, to[i]);
            tp[i] = to[i];
        }
        qsort(tp, m->n_datasets, sizeof *tp, cmp_str);
        relationship(&c, "trainedOn", model_id_local, tp, m->n_datasets);
    }
    if (m->n_packages) {
        for (size_t i = 0; i < m->n_packages; i++) {
            text_local("package", m->packages[i].uri, to[i]);
            tp[i] = to[i];
        }
        qsort(tp, m->n_packages, sizeof *tp, cmp_str);
        relationship(&c, "dependsOn", model_id_local, tp, m->n_packages);
    }
    free(to);
    free(tp);
    size_t n_done = 0;
    if (!(done = malloc(count_models(m) * sizeof *done))) {
        rc = MS_ENOMEM;
        goto out;
    }
    ancestry(&c, m, done, &n_done);
    if (o->license)
        declared_license(&c, model_id_local, o->license);
    for (size_t i = 0; i < m->n_datasets; i++)
        if (m->datasets[i].license) {
            char local[80];
            dataset_local(m->datasets[i].root_digest, local);
            declared_license(&c, local, m->datasets[i].license);
        }

    /* The document lists every element but itself. */
    if (sd && !c.t.oom && !c.oom) {
        if (!cJSON_AddItemToObject(sd, "element", elements)) {
            rc = MS_ENOMEM;
            goto out;
        }
        elements = NULL;
    }
    if (c.t.oom || c.oom) {
        rc = MS_ENOMEM;
        goto out;
    }
    rc = sbom_json_write(doc, out);
out:
    cJSON_Delete(elements);
    cJSON_Delete(doc);
    free(done);
    free(c.emitted);
    free(c.ns);
    return rc == MS_ENOMEM ? ms_error_nomem(err) : rc;
}
