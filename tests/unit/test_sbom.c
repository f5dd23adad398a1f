/* Unit tests for the AI bill of materials (sbom.c, sbom_cyclonedx.c, sbom_spdx.c): evidence
 * collected from a model signed with the library and a claims file of signed statements
 * (provenance, dataset statement, base model signature and provenance), with trusted, unknown
 * and tampered signers; both renderers' output read back field by field; determinism; the
 * helpers (UUID v5, timestamps, options). Schema validation by independent tools and the CLI
 * are in tests/cli/test_sbom.sh. */
#include "config.h"

#include "unit.h"

#include <cjson/cJSON.h>

#include "../../src/lib/sbom/sbom_internal.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/key.h"
#include "modelseal/manifest.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/sbom.h"
#include "modelseal/sign.h"
#include "util/encoding.h"
#include "util/fs.h"

enum { OWNER, DATA, ROGUE, N_KEYS };
static ms_key *keys[N_KEYS];
static char dir[PATH_MAX], model[PATH_MAX], claims[PATH_MAX];
static uint8_t model_root[32], base_root[32], pets_root[32], pets_manifest[32];
static char *base_sig_line, *pets_line;
static const char commit[] = "0123456789abcdef0123456789abcdef01234567";
static const char torch_sha[] = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static char *sign_line(const ms_buf *payload, int key)
{
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(t_sign_statement(payload->data, payload->len, keys[key], NULL, &out, &err), 0);
    return msx_buf_detach(&out);
}

static char *sign_dir(const char *path, int key, uint8_t root[32])
{
    ms_serialization ser;
    ms_manifest_options opts;
    ms_manifest *m = NULL;
    ms_buf out = MS_BUF_INIT;
    ms_error err;
    ms_serialization_init(&ser);
    memset(&opts, 0, sizeof opts);
    opts.threads = 1;
    assert_int_equal(ms_sign_record_ignores(&ser, 0, NULL), 0);
    assert_int_equal(ms_manifest_build(path, &ser, &opts, &m, &err), 0);
    assert_int_equal(t_sign_manifest(m, keys[key], NULL, 0, &out, &err), 0);
    memcpy(root, m->root_digest, 32);
    ms_manifest_free(m);
    ms_serialization_clear(&ser);
    return msx_buf_detach(&out);
}

typedef struct prov {
    int key;
    const uint8_t *subject;
    const char *builder;
    const uint8_t *base; /* NULL: no base model */
    int with_dataset, with_packages;
    const char *epochs;
} prov;

static char *provenance_line(const prov *s)
{
    ms_provenance *p = ms_provenance_new();
    ms_buf payload = MS_BUF_INIT;
    ms_error err;
    ms_git_info git;
    char param[64];
    assert_non_null(p);
    memcpy(p->subject_digest, s->subject, 32);
    assert_int_equal(ms_provenance_set_string(&p->subject_name, "model", &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->builder_id, s->builder, &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->started_on, "2025-01-01T00:00:00Z", &err), 0);
    static const char params[] = "{\"lr\": 0.001, \"opt\": {\"name\": \"adam\"}}";
    assert_int_equal(
        ms_provenance_set_parameters(p, (const uint8_t *)params, strlen(params), "params", &err),
        0);
    snprintf(param, sizeof param, "epochs=%s", s->epochs ? s->epochs : "3");
    assert_int_equal(ms_provenance_add_parameter(p, param, &err), 0);
    memset(&git, 0, sizeof git);
    memcpy(git.commit, commit, 41);
    git.url = "ssh://git@g.example/org/train.git";
    git.ref = "refs/heads/main";
    assert_int_equal(ms_provenance_add_code(p, &git, &err), 0);
    if (s->with_dataset)
        assert_int_equal(ms_provenance_add_dataset(p, "pets", "https://data.example/pets", "2.0",
                                                   pets_root, pets_manifest, &err),
                         0);
    if (s->base)
        assert_int_equal(ms_provenance_add_base_model(p, "base", s->base, &err), 0);
    if (s->with_packages) {
        assert_int_equal(ms_provenance_add_package(p, "pkg:pypi/torch@2.5.1", torch_sha, &err), 0);
        assert_int_equal(ms_provenance_add_package(p, "pkg:generic/a\"b@1?x=1", NULL, &err), 0);
        assert_int_equal(ms_provenance_add_package(p, "https://example.com/tool.tgz", NULL, &err),
                         0);
    }
    assert_int_equal(t_provenance_build(p, &payload, &err), 0);
    char *line = sign_line(&payload, s->key);
    msx_buf_free(&payload);
    ms_provenance_free(p);
    return line;
}

static prov good(void)
{
    prov s = {OWNER, model_root, "https://ci.example/b", base_root, 1, 1, NULL};
    return s;
}

static char *dataset_line(int key, const uint8_t manifest[32], uint64_t bytes)
{
    ms_dataset_info info;
    ms_buf payload = MS_BUF_INIT;
    ms_error err;
    memset(&info, 0, sizeof info);
    info.name = "pets";
    info.version = "2.0";
    info.source = "https://data.example/pets";
    info.license = "CC-BY-4.0";
    info.algorithm = MS_HASH_SHA256;
    info.files = 2;
    info.bytes = bytes;
    memcpy(info.root_digest, pets_root, 32);
    memcpy(info.manifest_digest, manifest, 32);
    assert_int_equal(t_dataset_statement_build(&info, &payload, &err), 0);
    char *line = sign_line(&payload, key);
    msx_buf_free(&payload);
    return line;
}

/* Write the claims file from NULL-terminated lines. */
static void write_claims(const char *first, ...)
{
    ms_buf text = MS_BUF_INIT;
    va_list ap;
    va_start(ap, first);
    for (const char *l = first; l; l = va_arg(ap, const char *))
        assert_int_equal(msx_buf_printf(&text, "%s\n", l), 0);
    va_end(ap);
    ms_error err;
    assert_int_equal(msx_file_write_atomic(claims, text.data ? text.data : (unsigned char *)"",
                                           text.len, 0644, 0, &err),
                     0);
    msx_buf_free(&text);
}

/* A copy of a claims line whose payload has one byte changed (the signature no longer fits). */
static char *tamper_line(const char *line)
{
    cJSON *b = cJSON_Parse(line);
    assert_non_null(b);
    cJSON *env = cJSON_GetObjectItem(b, "dsseEnvelope");
    cJSON *payload = cJSON_GetObjectItem(env, "payload");
    uint8_t *raw = NULL;
    size_t len = 0;
    assert_int_equal(
        msx_base64_decode(payload->valuestring, strlen(payload->valuestring), &raw, &len), 0);
    char *at = strstr((char *)raw, "https://ci.example/b");
    assert_non_null(at);
    at[8] = 'X';
    char *enc = msx_base64_encode(raw, len);
    cJSON_SetValuestring(payload, enc);
    char *out = cJSON_PrintUnformatted(b);
    free(enc);
    free(raw);
    cJSON_Delete(b);
    return out;
}

static int setup(void **state)
{
    (void)state;
    ms_error err;
    char path[PATH_MAX];
    unit_tmpdir(dir);
    for (int i = 0; i < N_KEYS; i++)
        assert_int_equal(ms_key_generate(MS_KEY_ED25519, &keys[i], &err), 0);
    assert_int_equal(ms_key_save_public(keys[OWNER], unit_path(path, dir, "owner.pub"), &err), 0);
    assert_int_equal(ms_key_save_public(keys[DATA], unit_path(path, dir, "data.pub"), &err), 0);
    unit_mkdirs(dir, "model");
    unit_path(model, dir, "model");
    unit_write_str(model, "weights.bin", "weights");
    unit_path(claims, model, "claims.jsonl");
    char *sig = sign_dir(model, OWNER, model_root);
    unit_write_str(model, "model.sig", sig);
    free(sig);
    unit_write_str(dir, "base/w.bin", "base weights");
    base_sig_line = sign_dir(unit_path(path, dir, "base"), OWNER, base_root);
    ms_sha256("pets", 4, pets_root);
    ms_sha256("manifest", 8, pets_manifest);
    pets_line =
        dataset_line(DATA, pets_manifest,
                     UINT64_C(123456789012345)); /* 15 digits: cJSON writes at most 15 exactly */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < N_KEYS; i++)
        ms_key_free(keys[i]);
    free(base_sig_line);
    free(pets_line);
    unit_rmtree(dir);
    return 0;
}

/* Collect in key mode with OWNER and DATA trusted (strict, files re-hashed). */
static int collect_keys(ms_sbom_evidence **ev, ms_error *err)
{
    const ms_key *trusted[2] = {keys[OWNER], keys[DATA]};
    ms_trust t;
    ms_sbom_collect_options o;
    memset(&t, 0, sizeof t);
    memset(&o, 0, sizeof o);
    t.keys = trusted;
    t.n_keys = 2;
    o.model = o.provenance = o.datasets = o.base_models = (ms_sbom_signers){&t, 1};
    o.verify_model_files = 1;
    o.hash.threads = 1;
    o.strict = 1;
    return ms_sbom_collect(model, &o, ev, err);
}

static void hex_of(const uint8_t d[32], char out[65])
{
    msx_hex_encode(d, 32, out);
}

/* A full chain: model with provenance, dataset statement, base model signature and provenance. */
static void write_good_claims(void)
{
    prov p = good();
    char *pl = provenance_line(&p);
    prov bp = {OWNER, base_root, "https://ci.example/base", NULL, 0, 0, "1"};
    char *bl = provenance_line(&bp);
    write_claims(pl, pets_line, base_sig_line, bl, NULL);
    free(pl);
    free(bl);
}

static void test_collect_good(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_error err;
    write_good_claims();
    assert_int_equal(collect_keys(&ev, &err), 0);
    const ms_sbom_model *m = &ev->model;
    assert_string_equal(m->name, "model");
    assert_memory_equal(m->digest, model_root, 32);
    assert_true(m->has_provenance && m->has_signature && m->has_code);
    assert_string_equal(m->builder_id, "https://ci.example/b");
    assert_string_equal(m->code.url, "ssh://git@g.example/org/train.git");
    assert_string_equal(m->code.ref, "refs/heads/main");
    assert_string_equal(m->code.commit, commit);
    assert_int_equal(m->n_datasets, 1);
    assert_string_equal(m->datasets[0].name, "pets");
    assert_true(m->datasets[0].has_statement);
    assert_int_equal(m->datasets[0].bytes, UINT64_C(123456789012345));
    assert_string_equal(m->datasets[0].license, "CC-BY-4.0");
    assert_int_equal(m->n_packages, 3);
    /* sorted by URI */
    assert_string_equal(m->packages[0].uri, "https://example.com/tool.tgz");
    assert_string_equal(m->packages[1].uri, "pkg:generic/a\"b@1?x=1");
    assert_string_equal(m->packages[2].uri, "pkg:pypi/torch@2.5.1");
    assert_true(m->packages[2].has_sha256);
    assert_int_equal(m->n_bases, 1);
    assert_string_equal(m->bases[0].name, "base");
    assert_memory_equal(m->bases[0].digest, base_root, 32);
    assert_true(m->bases[0].has_signature && m->bases[0].has_provenance);
    assert_string_equal(m->bases[0].builder_id, "https://ci.example/base");
    assert_int_equal(ev->n_left_out, 0);
    ms_sbom_evidence_free(ev);
}

static void test_collect_left_out(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_error err;
    prov p = good();
    char *pl = provenance_line(&p);
    p.key = ROGUE;
    p.builder = "https://rogue.example/b";
    char *rogue = provenance_line(&p);
    write_claims(rogue, pl, NULL);
    assert_int_equal(collect_keys(&ev, &err), 0);
    assert_int_equal(ev->n_left_out, 1);
    assert_non_null(strstr(ev->left_out[0], "claims.jsonl: line 1: provenance for sha256:"));
    assert_non_null(strstr(ev->left_out[0], "not a trusted key"));
    assert_string_equal(ev->model.builder_id, "https://ci.example/b");
    /* The dataset statement and the base model signature are missing: still listed from the
     * provenance, without the statement's facts. */
    assert_false(ev->model.datasets[0].has_statement);
    assert_false(ev->model.bases[0].has_signature);
    ms_sbom_evidence_free(ev);
    /* Only the rogue provenance: the model without provenance. */
    write_claims(rogue, NULL);
    assert_int_equal(collect_keys(&ev, &err), 0);
    assert_false(ev->model.has_provenance);
    assert_int_equal(ev->model.n_datasets, 0);
    assert_int_equal(ev->n_left_out, 1);
    ms_sbom_evidence_free(ev);
    free(pl);
    free(rogue);
}

static void test_collect_refusals(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_error err;
    prov p = good();
    char *pl = provenance_line(&p);

    /* A provenance naming the trusted key whose payload was changed. */
    char *bad = tamper_line(pl);
    write_claims(bad, pets_line, NULL);
    assert_int_equal(collect_keys(&ev, &err), MS_EVERIFY);
    assert_null(ev);
    assert_non_null(strstr(err.message, "line 1: the provenance for sha256:"));
    assert_non_null(strstr(err.message, "names a trusted key"));
    free(bad);

    /* Two trusted provenances that disagree. */
    p.epochs = "4";
    char *other = provenance_line(&p);
    write_claims(pl, other, NULL);
    assert_int_equal(collect_keys(&ev, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "lines 1 and 2: two trusted provenance statements"));
    free(other);

    /* A dataset statement for another manifest. */
    uint8_t other_manifest[32];
    ms_sha256("other", 5, other_manifest);
    char *ds = dataset_line(DATA, other_manifest, 8);
    write_claims(pl, ds, NULL);
    assert_int_equal(collect_keys(&ev, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "line 2: dataset \"pets\": its signed manifest digest"));
    free(ds);

    /* A cycle: the base model's provenance names the model as its base. */
    prov bp = {OWNER, base_root, "https://ci.example/base", model_root, 0, 0, NULL};
    char *cyc = provenance_line(&bp);
    write_claims(pl, cyc, NULL);
    assert_int_equal(collect_keys(&ev, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "is its own ancestor (a cycle)"));
    free(cyc);

    /* A garbage claims line is malformed input. */
    write_claims(pl, "{\"not\": \"a bundle\"}", NULL);
    assert_int_equal(collect_keys(&ev, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "line 2"));

    /* The model changed after signing. */
    write_claims(pl, NULL);
    unit_write_str(model, "weights.bin", "changed");
    assert_int_equal(collect_keys(&ev, &err), MS_EVERIFY);
    unit_write_str(model, "weights.bin", "weights");
    assert_int_equal(collect_keys(&ev, &err), 0);
    ms_sbom_evidence_free(ev);

    /* model.sig by an unknown key. */
    ms_trust t;
    const ms_key *only[1] = {keys[DATA]};
    ms_sbom_collect_options o;
    memset(&t, 0, sizeof t);
    memset(&o, 0, sizeof o);
    t.keys = only;
    t.n_keys = 1;
    o.model = o.provenance = o.datasets = o.base_models = (ms_sbom_signers){&t, 1};
    o.strict = 1;
    assert_int_equal(ms_sbom_collect(model, &o, &ev, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "model.sig: not signed by a trusted key"));
    free(pl);
}

static void test_max_depth(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_error err;
    uint8_t grand[32];
    ms_sha256("grand", 5, grand);
    prov p = good();
    char *pl = provenance_line(&p);
    prov bp = {OWNER, base_root, "https://ci.example/base", grand, 0, 0, NULL};
    char *bl = provenance_line(&bp);
    write_claims(pl, bl, NULL);
    const ms_key *trusted[1] = {keys[OWNER]};
    ms_trust t;
    ms_sbom_collect_options o;
    memset(&t, 0, sizeof t);
    memset(&o, 0, sizeof o);
    t.keys = trusted;
    t.n_keys = 1;
    o.model = o.provenance = o.datasets = o.base_models = (ms_sbom_signers){&t, 1};
    o.max_depth = 1;
    assert_int_equal(ms_sbom_collect(model, &o, &ev, &err), MS_EVERIFY);
    assert_non_null(strstr(err.message, "deeper than 1"));
    o.max_depth = 2;
    assert_int_equal(ms_sbom_collect(model, &o, &ev, &err), 0);
    assert_int_equal(ev->model.bases[0].n_bases, 1);
    assert_memory_equal(ev->model.bases[0].bases[0].digest, grand, 32);
    ms_sbom_evidence_free(ev);
    free(pl);
    free(bl);
}

static const cJSON *get(const cJSON *o, const char *path)
{
    /* "a.b.0.c": members and array indices. */
    char buf[256];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *tok = strtok(buf, "."); tok && o; tok = strtok(NULL, ".")) {
        if (tok[0] >= '0' && tok[0] <= '9')
            o = cJSON_GetArrayItem(o, atoi(tok));
        else
            o = cJSON_GetObjectItemCaseSensitive(o, tok);
    }
    if (!o)
        fail_msg("no %s", path);
    return o;
}

static const char *str(const cJSON *o, const char *path)
{
    const cJSON *v = get(o, path);
    if (!cJSON_IsString(v))
        fail_msg("%s is not a string", path);
    return v->valuestring;
}

static void test_cyclonedx(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_buf a = MS_BUF_INIT, b = MS_BUF_INIT;
    ms_error err;
    char hex[65], want[128];
    write_good_claims();
    assert_int_equal(collect_keys(&ev, &err), 0);
    ms_sbom_options o;
    memset(&o, 0, sizeof o);
    o.timestamp = 1700000000;
    o.supplier = "Acme";
    o.license = "Apache-2.0";
    o.version = "1.0";
    assert_int_equal(sbom_cyclonedx(ev, &o, &a, &err), 0);
    assert_int_equal(t_sbom_render(MS_SBOM_CYCLONEDX, ev, &o, &b, &err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(a.data[a.len - 1], '\n');
    cJSON *doc = cJSON_ParseWithLength((const char *)a.data, a.len);
    assert_non_null(doc);
    assert_string_equal(str(doc, "bomFormat"), "CycloneDX");
    assert_string_equal(str(doc, "specVersion"), "1.6");
    /* serialNumber: UUID v5 (URL namespace) of the model digest and the time. */
    uint8_t ns_url[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                          0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    char uuid[37];
    hex_of(model_root, hex);
    snprintf(want, sizeof want, "modelseal:cyclonedx:sha256:%s:2023-11-14T22:13:20Z", hex);
    assert_int_equal(ms_sbom_uuid_v5(ns_url, want, strlen(want), uuid), 0);
    snprintf(want, sizeof want, "urn:uuid:%s", uuid);
    assert_string_equal(str(doc, "serialNumber"), want);
    assert_string_equal(str(doc, "metadata.timestamp"), "2023-11-14T22:13:20Z");
    assert_string_equal(str(doc, "metadata.tools.components.0.name"), "modelseal");
    const cJSON *mc = get(doc, "metadata.component");
    assert_string_equal(str(mc, "type"), "machine-learning-model");
    assert_string_equal(str(mc, "name"), "model");
    assert_string_equal(str(mc, "version"), "1.0");
    assert_string_equal(str(mc, "supplier.name"), "Acme");
    assert_string_equal(str(mc, "licenses.0.expression"), "Apache-2.0");
    assert_string_equal(str(mc, "hashes.0.alg"), "SHA-256");
    assert_string_equal(str(mc, "hashes.0.content"), hex);
    assert_string_equal(str(mc, "pedigree.commits.0.uid"), commit);
    assert_string_equal(str(mc, "pedigree.commits.0.url"), "ssh://git@g.example/org/train.git");
    hex_of(base_root, hex);
    assert_string_equal(str(mc, "pedigree.ancestors.0.name"), "base");
    assert_string_equal(str(mc, "pedigree.ancestors.0.hashes.0.content"), hex);
    hex_of(pets_root, hex);
    snprintf(want, sizeof want, "dataset:sha256:%s", hex);
    assert_string_equal(str(mc, "modelCard.modelParameters.datasets.0.ref"), want);
    /* externalParameters, sorted by name, values as text */
    assert_string_equal(str(mc, "modelCard.properties.0.name"), "modelseal:parameter:epochs");
    assert_string_equal(str(mc, "modelCard.properties.0.value"), "3");
    assert_string_equal(str(mc, "modelCard.properties.1.value"), "0.001");
    assert_string_equal(str(mc, "modelCard.properties.2.value"), "{\"name\":\"adam\"}");
    /* components: the dataset, then the packages by URI */
    assert_int_equal(cJSON_GetArraySize(get(doc, "components")), 4);
    assert_string_equal(str(doc, "components.0.bom-ref"), want);
    assert_string_equal(str(doc, "components.0.type"), "data");
    assert_string_equal(str(doc, "components.0.data.0.type"), "dataset");
    assert_string_equal(str(doc, "components.0.data.0.contents.url"), "https://data.example/pets");
    assert_string_equal(str(doc, "components.0.licenses.0.expression"), "CC-BY-4.0");
    assert_string_equal(str(doc, "components.0.hashes.0.content"), hex);
    assert_string_equal(str(doc, "components.0.properties.0.value"), "123456789012345");
    assert_string_equal(str(doc, "components.1.externalReferences.0.url"),
                        "https://example.com/tool.tgz");
    assert_string_equal(str(doc, "components.2.name"), "a\"b");
    assert_string_equal(str(doc, "components.2.version"), "1");
    assert_string_equal(str(doc, "components.3.purl"), "pkg:pypi/torch@2.5.1");
    assert_string_equal(str(doc, "components.3.hashes.0.content"), torch_sha);
    /* dependencies: the model on all four, sorted */
    assert_int_equal(cJSON_GetArraySize(get(doc, "dependencies.0.dependsOn")), 4);
    assert_string_equal(str(doc, "dependencies.0.dependsOn.0"), want);
    cJSON_Delete(doc);
    msx_buf_free(&a);
    msx_buf_free(&b);
    ms_sbom_evidence_free(ev);
}

/* The graph element of `type` (the n-th of that type). */
static const cJSON *element(const cJSON *doc, const char *type, int n)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(doc, "@graph"))
    {
        const cJSON *t = cJSON_GetObjectItem(e, "type");
        if (cJSON_IsString(t) && strcmp(t->valuestring, type) == 0 && n-- == 0)
            return e;
    }
    fail_msg("no %s", type);
    return NULL;
}

static const cJSON *relationship(const cJSON *doc, const char *kind)
{
    for (int i = 0;; i++) {
        const cJSON *r = element(doc, "Relationship", i);
        if (strcmp(str(r, "relationshipType"), kind) == 0)
            return r;
    }
}

static void test_spdx(void **state)
{
    (void)state;
    ms_sbom_evidence *ev = NULL;
    ms_buf a = MS_BUF_INIT, b = MS_BUF_INIT;
    ms_error err;
    char hex[65], want[256];
    write_good_claims();
    assert_int_equal(collect_keys(&ev, &err), 0);
    ms_sbom_dataset_type types[] = {{"pets", "text"}, {"pets", "image"}, {"pets", "text"}};
    ms_sbom_options o;
    memset(&o, 0, sizeof o);
    o.timestamp = 0;
    o.supplier = "Acme";
    o.type_of_model = "transformer";
    o.dataset_types = types;
    o.n_dataset_types = 3;
    assert_int_equal(sbom_spdx(ev, &o, &a, &err), 0);
    assert_int_equal(t_sbom_render(MS_SBOM_SPDX, ev, &o, &b, &err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_non_null(strstr((const char *)a.data, "\"dataset_datasetSize\": 123456789012345"));
    cJSON *doc = cJSON_ParseWithLength((const char *)a.data, a.len);
    assert_non_null(doc);
    assert_string_equal(str(doc, "@context"), "https://spdx.org/rdf/3.0.1/spdx-context.jsonld");
    const cJSON *ci = element(doc, "CreationInfo", 0);
    assert_string_equal(str(ci, "created"), "1970-01-01T00:00:00Z");
    assert_string_equal(str(ci, "specVersion"), "3.0.1");
    hex_of(model_root, hex);
    char ns[128];
    snprintf(ns, sizeof ns, "urn:modelseal:sbom:sha256:%s#", hex);
    const cJSON *mp = element(doc, "ai_AIPackage", 0);
    snprintf(want, sizeof want, "%smodel-sha256-%s", ns, hex);
    assert_string_equal(str(mp, "spdxId"), want);
    assert_string_equal(str(element(doc, "SpdxDocument", 0), "rootElement.0"), want);
    assert_string_equal(str(mp, "verifiedUsing.0.algorithm"), "sha256");
    assert_string_equal(str(mp, "verifiedUsing.0.hashValue"), hex);
    assert_string_equal(str(mp, "ai_typeOfModel.0"), "transformer");
    assert_string_equal(str(mp, "ai_hyperparameter.0.key"), "epochs");
    assert_string_equal(str(mp, "externalRef.0.externalRefType"), "vcs");
    snprintf(want, sizeof want, "git+ssh://git@g.example/org/train.git@%s", commit);
    assert_string_equal(str(mp, "externalRef.0.locator.0"), want);
    const cJSON *org = element(doc, "Organization", 0);
    assert_string_equal(str(org, "name"), "Acme");
    assert_string_equal(str(mp, "suppliedBy"), str(org, "spdxId"));
    const cJSON *base = element(doc, "ai_AIPackage", 1);
    hex_of(base_root, hex);
    assert_string_equal(str(base, "verifiedUsing.0.hashValue"), hex);
    const cJSON *ds = element(doc, "dataset_DatasetPackage", 0);
    assert_string_equal(str(ds, "software_downloadLocation"), "https://data.example/pets");
    assert_int_equal(cJSON_GetArraySize(get(ds, "dataset_datasetType")), 2);
    assert_string_equal(str(ds, "dataset_datasetType.0"), "image");
    assert_string_equal(str(ds, "dataset_datasetType.1"), "text");
    const cJSON *torch = element(doc, "software_Package", 2);
    assert_string_equal(str(torch, "software_packageUrl"), "pkg:pypi/torch@2.5.1");
    assert_string_equal(str(torch, "software_packageVersion"), "2.5.1");
    assert_string_equal(str(relationship(doc, "trainedOn"), "from"), str(mp, "spdxId"));
    assert_string_equal(str(relationship(doc, "trainedOn"), "to.0"), str(ds, "spdxId"));
    assert_int_equal(cJSON_GetArraySize(get(relationship(doc, "dependsOn"), "to")), 3);
    assert_string_equal(str(relationship(doc, "descendantOf"), "to.0"), str(base, "spdxId"));
    assert_string_equal(str(relationship(doc, "hasDeclaredLicense"), "from"), str(ds, "spdxId"));
    cJSON_Delete(doc);

    /* Another namespace; no dataset types: noAssertion. */
    o.namespace_iri = "https://example.com/sbom/m1";
    o.n_dataset_types = 0;
    assert_int_equal(sbom_spdx(ev, &o, &a, &err), 0);
    doc = cJSON_ParseWithLength((const char *)a.data, a.len);
    assert_non_null(doc);
    assert_string_equal(str(element(doc, "SpdxDocument", 0), "spdxId"),
                        "https://example.com/sbom/m1#document");
    assert_string_equal(str(element(doc, "dataset_DatasetPackage", 0), "dataset_datasetType.0"),
                        "noAssertion");
    cJSON_Delete(doc);

    /* A dataset type for a dataset the model does not have. */
    ms_sbom_dataset_type wrong[] = {{"cats", "image"}};
    o.dataset_types = wrong;
    o.n_dataset_types = 1;
    assert_int_equal(sbom_spdx(ev, &o, &a, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--dataset-type cats=image: "));
    assert_int_equal(sbom_cyclonedx(ev, &o, &a, &err), MS_EINPUT);
    msx_buf_free(&a);
    msx_buf_free(&b);
    ms_sbom_evidence_free(ev);
}

static void test_policy_mode(void **state)
{
    (void)state;
    static const char policy_text[] =
        "{\"version\": 1, \"keys\": {\"owner\": {\"public_key\": \"owner.pub\"},\n"
        "  \"data\": {\"public_key\": \"data.pub\"}},\n"
        " \"model\": {\"signers\": [\"owner\"]},\n"
        " \"provenance\": {\"signers\": [\"owner\"], \"builder_ids\": "
        "[\"https://ci.example/b\"]},\n"
        " \"datasets\": {\"signers\": [\"data\"], \"required\": [\"pets\"]},\n"
        " \"code\": {\"uris\": [\"git+ssh://git@g.example/org/train.git\"], \"refs\": "
        "[\"refs/heads/*\"]},\n"
        " \"base_model\": {\"signers\": [\"owner\"]}}\n";
    ms_policy *policy = NULL;
    ms_chain_options co;
    ms_chain_result res;
    ms_sbom_evidence *ev = NULL, *kev = NULL;
    ms_buf a = MS_BUF_INIT, b = MS_BUF_INIT;
    ms_error err;
    write_good_claims();
    assert_int_equal(ms_policy_parse((const uint8_t *)policy_text, strlen(policy_text), "policy",
                                     dir, &policy, &err),
                     0);
    memset(&co, 0, sizeof co);
    memset(&res, 0, sizeof res);
    co.hash.threads = 1;
    assert_int_equal(ms_sbom_collect_policy(policy, model, &co, &res, &ev, &err), 0);
    assert_int_equal(res.n_failed, 0);
    ms_chain_result_clear(&res);
    /* The same evidence as key mode gives the same document. */
    assert_int_equal(collect_keys(&kev, &err), 0);
    ms_sbom_options o;
    memset(&o, 0, sizeof o);
    assert_int_equal(sbom_spdx(ev, &o, &a, &err), 0);
    assert_int_equal(sbom_spdx(kev, &o, &b, &err), 0);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    ms_sbom_evidence_free(ev);
    ms_sbom_evidence_free(kev);
    ev = NULL;

    /* A chain that fails (the provenance by an unknown key): nothing collected. */
    prov p = good();
    p.key = ROGUE;
    char *rogue = provenance_line(&p);
    write_claims(rogue, pets_line, base_sig_line, NULL);
    assert_int_equal(ms_sbom_collect_policy(policy, model, &co, &res, &ev, &err), MS_EVERIFY);
    assert_null(ev);
    assert_true(res.n_failed > 0);
    ms_chain_result_clear(&res);
    free(rogue);
    ms_policy_free(policy);
    msx_buf_free(&a);
    msx_buf_free(&b);
}

static void test_helpers(void **state)
{
    (void)state;
    char uuid[37], when[32];
    ms_error err;
    /* RFC 4122 namespace DNS, "python.org" (the value Python's uuid.uuid5 gives). */
    const uint8_t ns_dns[16] = {0x6b, 0xa7, 0xb8, 0x10, 0x9d, 0xad, 0x11, 0xd1,
                                0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
    assert_int_equal(ms_sbom_uuid_v5(ns_dns, "python.org", 10, uuid), 0);
    assert_string_equal(uuid, "886313e1-3b8a-5372-9b90-0c9aee199e5d");
    assert_int_equal(ms_sbom_time_text(0, when, &err), 0);
    assert_string_equal(when, "1970-01-01T00:00:00Z");
    assert_int_equal(ms_sbom_time_text(INT64_C(253402300799), when, &err), 0);
    assert_string_equal(when, "9999-12-31T23:59:59Z");
    assert_int_equal(ms_sbom_time_text(-1, when, &err), MS_EINPUT);
    assert_int_equal(ms_sbom_time_text(INT64_C(253402300800), when, &err), MS_EINPUT);

    ms_sbom_format f;
    assert_int_equal(ms_sbom_format_parse("cyclonedx", &f, &err), 0);
    assert_int_equal(f, MS_SBOM_CYCLONEDX);
    assert_int_equal(ms_sbom_format_parse("spdx", &f, &err), 0);
    assert_int_equal(f, MS_SBOM_SPDX);
    assert_int_equal(ms_sbom_format_parse("SPDX", &f, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--format SPDX: unknown format"));

    ms_sbom_options o;
    memset(&o, 0, sizeof o);
    assert_int_equal(ms_sbom_options_check(&o, &err), 0);
    o.namespace_iri = "not an iri";
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--namespace"));
    o.namespace_iri = "_:blank";
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
    o.namespace_iri = "urn:x:y";
    assert_int_equal(ms_sbom_options_check(&o, &err), 0);
    o.name = "bad\nname";
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--name: contains a control character"));
    o.name = "\xff";
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--name: not valid UTF-8"));
    o.name = "caf\xc3\xa9";
    ms_sbom_dataset_type t = {"pets", "pictures"};
    o.dataset_types = &t;
    o.n_dataset_types = 1;
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "--dataset-type pets=pictures: unknown type"));
    t.type = "noAssertion";
    assert_int_equal(ms_sbom_options_check(&o, &err), 0);
    o.timestamp = -5;
    assert_int_equal(ms_sbom_options_check(&o, &err), MS_EINPUT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_helpers),
        cmocka_unit_test(test_collect_good),
        cmocka_unit_test(test_collect_left_out),
        cmocka_unit_test(test_collect_refusals),
        cmocka_unit_test(test_max_depth),
        cmocka_unit_test(test_cyclonedx),
        cmocka_unit_test(test_spdx),
        cmocka_unit_test(test_policy_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
