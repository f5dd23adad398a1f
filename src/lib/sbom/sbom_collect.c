/* AI bill of materials: collecting the verified evidence of a model (model.sig, claims file).
 *
 * Only what verifies is used: model.sig with the model's signers, provenance statements for the
 * model's digest with the provenance signers (several must say the same), dataset statements
 * for the datasets the provenance names with the dataset signers, base models' signatures and
 * provenance with the base-model signers. Claims about these digests signed by anyone else are
 * left out and listed. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "attest/provenance_json.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/provenance.h"
#include "modelseal/sbom.h"
#include "modelseal/sign.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"
#include "util/encoding.h"
#include "util/fs.h"

#include "sbom_internal.h"

/* ---- evidence ----------------------------------------------------------------------------- */

static void model_clear(ms_sbom_model *m)
{
    free(m->name);
    free(m->builder_id);
    free(m->build_type);
    free(m->invocation_id);
    free(m->started_on);
    free(m->finished_on);
    cJSON_Delete(sbom_model_parameters(m));
    free(m->external_parameters_json);
    free(m->code.url);
    free(m->code.ref);
    for (size_t i = 0; i < m->n_datasets; i++) {
        free(m->datasets[i].name);
        free(m->datasets[i].version);
        free(m->datasets[i].source);
        free(m->datasets[i].license);
    }
    free(m->datasets);
    for (size_t i = 0; i < m->n_packages; i++)
        free(m->packages[i].uri);
    free(m->packages);
    for (size_t i = 0; i < m->n_bases; i++)
        model_clear(&m->bases[i]);
    free(m->bases);
    memset(m, 0, sizeof *m);
}

void ms_sbom_evidence_free(ms_sbom_evidence *ev)
{
    if (!ev)
        return;
    model_clear(&ev->model);
    for (size_t i = 0; i < ev->n_left_out; i++)
        free(ev->left_out[i]);
    free(ev->left_out);
    free(ev);
}

typedef struct collect_ctx {
    const ms_sbom_collect_options *opts;
    const char *claims_path;
    ms_claims *claims;
    ms_sbom_evidence *ev;
    unsigned max_depth;
    const uint8_t (*path)[MS_SHA256_SIZE]; /* digests from the top model down (cycle check) */
    size_t path_len;
    ms_error *err;
} collect_ctx;

/* Does `bundle` verify with one of `s`? 1 / 0; MS_ENOMEM. */
static int verifies(const ms_bundle *bundle, const ms_sbom_signers *s, ms_error *err)
{
    for (size_t i = 0; i < s->n; i++) {
        ms_error e;
        int rc = ms_verify_bundle_signature(bundle, &s->items[i], NULL, &e);
        if (rc == MS_ENOMEM)
            return ms_error_nomem(err);
        if (rc == 0)
            return 1;
    }
    return 0;
}

static int left_out_add(collect_ctx *ctx, ms_buf *line)
{
    char **p = realloc(ctx->ev->left_out, (ctx->ev->n_left_out + 1) * sizeof *p);
    if (!p)
        return ms_error_nomem(ctx->err);
    ctx->ev->left_out = p;
    if (!(p[ctx->ev->n_left_out] = msx_buf_detach(line)))
        return ms_error_nomem(ctx->err);
    ctx->ev->n_left_out++;
    return 0;
}

/* Claim `c` does not verify with the role's signers `s`: with opts->strict, a claim whose key
 * hint names one of them is a failure; otherwise it is left out and listed. */
static int not_trusted(collect_ctx *ctx, size_t c, const ms_sbom_signers *s, const char *what)
{
    const ms_claim *cl = &ctx->claims->items[c];
    const char *hint = ms_bundle_key_hint(cl->bundle);
    char root[72];
    sbom_digest_text(cl->statement->subject_digest, root);
    if (ctx->opts->strict && hint) {
        for (size_t i = 0; i < s->n; i++)
            for (size_t k = 0; k < s->items[i].n_keys; k++) {
                char h[65];
                if (ms_key_hint(s->items[i].keys[k], h) != 0 || strcmp(h, hint) != 0)
                    continue;
                ms_error e;
                int rc = ms_verify_bundle_signature(cl->bundle, &s->items[i], NULL, &e);
                if (rc == MS_ENOMEM)
                    return ms_error_nomem(ctx->err);
                return ms_error_set(ctx->err, MS_EVERIFY,
                                    "%s: line %zu: the %s for %s names a trusted key (%.16s) but "
                                    "does not verify: %s",
                                    ctx->claims_path, cl->line_number, what, root, hint,
                                    rc ? e.message : "signature rejected");
            }
    }
    ms_buf line = MS_BUF_INIT;
    int rc;
    if (hint)
        rc =
            msx_buf_printf(&line, "%s: line %zu: %s for %s: signed by key %.16s, not a trusted key",
                           ctx->claims_path, cl->line_number, what, root, hint);
    else
        rc = msx_buf_printf(&line, "%s: line %zu: %s for %s: not signed by a trusted key",
                            ctx->claims_path, cl->line_number, what, root);
    if (rc) {
        msx_buf_free(&line);
        return ms_error_nomem(ctx->err);
    }
    rc = left_out_add(ctx, &line);
    msx_buf_free(&line);
    return rc;
}

/* The claims about `digest` of `type` that verify with `s` (indices into ctx->claims, at most
 * `cap`... grown as needed); the others go through not_trusted. */
static int trusted_claims(collect_ctx *ctx, const uint8_t digest[MS_SHA256_SIZE], const char *type,
                          const ms_sbom_signers *s, const char *what, size_t **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    for (size_t c = ms_claims_find(ctx->claims, digest, type, 0); c < ctx->claims->n;
         c = ms_claims_find(ctx->claims, digest, type, c + 1)) {
        int rc = verifies(ctx->claims->items[c].bundle, s, ctx->err);
        if (rc < 0)
            return rc;
        if (rc == 0) {
            if ((rc = not_trusted(ctx, c, s, what)) != 0)
                return rc;
            continue;
        }
        size_t *p = realloc(*out, (*n + 1) * sizeof *p);
        if (!p)
            return ms_error_nomem(ctx->err);
        *out = p;
        p[(*n)++] = c;
    }
    return 0;
}

static int dup_or_null(char **dst, const char *src, ms_error *err)
{
    *dst = NULL;
    if (src && !(*dst = strdup(src)))
        return ms_error_nomem(err);
    return 0;
}

/* 64 (or 40) lowercase hex digits. */
static int hex_field(const char *s, size_t n, uint8_t *out)
{
    size_t got;
    if (!s || strlen(s) != n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return -1;
    return out ? (msx_hex_decode(s, n, out, n / 2, &got) == 0 && got == n / 2 ? 0 : -1) : 0;
}

static int code_from(collect_ctx *ctx, const ms_claim *cl, const ms_provenance_dependency *d,
                     ms_sbom_model *m)
{
    const char *commit = ms_provenance_dependency_digest(d, "gitCommit");
    if (m->has_code)
        return ms_error_set(ctx->err, MS_EINPUT, "%s: line %zu: more than one code dependency",
                            ctx->claims_path, cl->line_number);
    if (!d->uri || strncmp(d->uri, "git+", 4) != 0 || !d->uri[4])
        return ms_error_set(ctx->err, MS_EINPUT,
                            "%s: line %zu: code dependency: uri is not git+<url>[@<ref>]",
                            ctx->claims_path, cl->line_number);
    if (hex_field(commit, 40, NULL) != 0)
        return ms_error_set(ctx->err, MS_EINPUT,
                            "%s: line %zu: code dependency: digest.gitCommit is not 40 "
                            "lowercase hex digits",
                            ctx->claims_path, cl->line_number);
    const char *url = d->uri + 4;
    const char *at = NULL;
    for (const char *p = strstr(url, "@refs/"); p; p = strstr(p + 1, "@refs/"))
        at = p;
    m->code.url = at ? strndup(url, (size_t)(at - url)) : strdup(url);
    if (!m->code.url || (at && !(m->code.ref = strdup(at + 1))))
        return ms_error_nomem(ctx->err);
    memcpy(m->code.commit, commit, 41);
    m->code.dirty = d->dirty == 1;
    m->has_code = 1;
    return 0;
}

/* Fill the dataset's statement facts from a verified dataset statement that agrees with the
 * provenance's manifest digest. */
static int dataset_statement(collect_ctx *ctx, ms_sbom_dataset *ds)
{
    size_t *idx = NULL, n = 0;
    int rc = trusted_claims(ctx, ds->root_digest, MS_DATASET_PREDICATE_TYPE, &ctx->opts->datasets,
                            "dataset statement", &idx, &n);
    if (rc)
        goto out;
    size_t mismatch_line = 0;
    for (size_t i = 0; i < n && !ds->has_statement; i++) {
        const ms_claim *cl = &ctx->claims->items[idx[i]];
        ms_dataset_info info;
        ms_error e;
        memset(&info, 0, sizeof info);
        if ((rc = ms_dataset_info_from_statement(cl->statement, &info, &e)) != 0) {
            rc = ms_error_set(ctx->err, rc, "%s: line %zu: %s", ctx->claims_path, cl->line_number,
                              e.message);
            goto out;
        }
        if (ds->has_manifest_digest &&
            sodium_memcmp(info.manifest_digest, ds->manifest_digest, MS_SHA256_SIZE) != 0) {
            mismatch_line = cl->line_number;
            ms_dataset_info_clear(&info);
            continue;
        }
        ds->has_statement = 1;
        ds->files = info.files;
        ds->bytes = info.bytes;
        if (!ds->has_manifest_digest) {
            memcpy(ds->manifest_digest, info.manifest_digest, MS_SHA256_SIZE);
            ds->has_manifest_digest = 1;
        }
        rc = dup_or_null(&ds->license, info.license, ctx->err);
        if (!rc && !ds->source)
            rc = dup_or_null(&ds->source, info.source, ctx->err);
        if (!rc && !ds->version)
            rc = dup_or_null(&ds->version, info.version, ctx->err);
        ms_dataset_info_clear(&info);
        if (rc)
            goto out;
    }
    if (!ds->has_statement && mismatch_line) {
        char want[65];
        sbom_hex(ds->manifest_digest, want);
        rc = ms_error_set(ctx->err, MS_EVERIFY,
                          "%s: line %zu: dataset \"%s\": its signed manifest digest is not the "
                          "one the provenance records (%s)",
                          ctx->claims_path, mismatch_line, ds->name, want);
    }
out:
    free(idx);
    return rc;
}

static int dataset_from(collect_ctx *ctx, const ms_claim *cl, const ms_provenance_dependency *d,
                        ms_sbom_model *m)
{
    uint8_t root[MS_SHA256_SIZE];
    if (hex_field(ms_provenance_dependency_digest(d, "sha256"), 64, root) != 0)
        return ms_error_set(ctx->err, MS_EINPUT,
                            "%s: line %zu: dataset dependency: digest.sha256 is not 64 "
                            "lowercase hex digits",
                            ctx->claims_path, cl->line_number);
    if (!d->name || !*d->name)
        return ms_error_set(ctx->err, MS_EINPUT, "%s: line %zu: dataset dependency without a name",
                            ctx->claims_path, cl->line_number);
    for (size_t i = 0; i < m->n_datasets; i++)
        if (memcmp(m->datasets[i].root_digest, root, MS_SHA256_SIZE) == 0)
            return 0; /* listed twice: once in the BOM */
    ms_sbom_dataset *p = realloc(m->datasets, (m->n_datasets + 1) * sizeof *p);
    if (!p)
        return ms_error_nomem(ctx->err);
    m->datasets = p;
    ms_sbom_dataset *ds = &p[m->n_datasets++];
    memset(ds, 0, sizeof *ds);
    memcpy(ds->root_digest, root, MS_SHA256_SIZE);
    if (cJSON_GetObjectItemCaseSensitive(provenance_annotations(d), "manifest_sha256")) {
        if (!d->manifest_sha256 || hex_field(d->manifest_sha256, 64, ds->manifest_digest) != 0)
            return ms_error_set(ctx->err, MS_EINPUT,
                                "%s: line %zu: dataset \"%s\": annotations.manifest_sha256 is not "
                                "64 lowercase hex digits",
                                ctx->claims_path, cl->line_number, d->name);
        ds->has_manifest_digest = 1;
    }
    if (dup_or_null(&ds->name, d->name, ctx->err) || dup_or_null(&ds->source, d->uri, ctx->err) ||
        dup_or_null(&ds->version, d->version, ctx->err))
        return MS_ENOMEM;
    return dataset_statement(ctx, ds);
}

static int package_from(collect_ctx *ctx, const ms_claim *cl, const ms_provenance_dependency *d,
                        ms_sbom_model *m)
{
    const char *sha = ms_provenance_dependency_digest(d, "sha256");
    uint8_t digest[MS_SHA256_SIZE];
    if (!d->uri || !*d->uri)
        return ms_error_set(ctx->err, MS_EINPUT, "%s: line %zu: package dependency without a uri",
                            ctx->claims_path, cl->line_number);
    if (sha && hex_field(sha, 64, digest) != 0)
        return ms_error_set(ctx->err, MS_EINPUT,
                            "%s: line %zu: package %s: digest.sha256 is not 64 lowercase hex "
                            "digits",
                            ctx->claims_path, cl->line_number, d->uri);
    for (size_t i = 0; i < m->n_packages; i++)
        if (strcmp(m->packages[i].uri, d->uri) == 0)
            return 0;
    ms_sbom_package *p = realloc(m->packages, (m->n_packages + 1) * sizeof *p);
    if (!p)
        return ms_error_nomem(ctx->err);
    m->packages = p;
    ms_sbom_package *pk = &p[m->n_packages];
    memset(pk, 0, sizeof *pk);
    if (!(pk->uri = strdup(d->uri)))
        return ms_error_nomem(ctx->err);
    m->n_packages++;
    if (sha) {
        memcpy(pk->sha256, digest, MS_SHA256_SIZE);
        pk->has_sha256 = 1;
    }
    return 0;
}

static int model_fill(collect_ctx *ctx, ms_sbom_model *m, const ms_sbom_signers *prov_signers,
                      unsigned depth);

static int base_from(collect_ctx *ctx, const ms_claim *cl, const ms_provenance_dependency *d,
                     ms_sbom_model *m, unsigned depth)
{
    uint8_t root[MS_SHA256_SIZE];
    char text[72];
    size_t *idx = NULL, n = 0;
    int rc;
    if (hex_field(ms_provenance_dependency_digest(d, "sha256"), 64, root) != 0)
        return ms_error_set(ctx->err, MS_EINPUT,
                            "%s: line %zu: base-model dependency: digest.sha256 is not 64 "
                            "lowercase hex digits",
                            ctx->claims_path, cl->line_number);
    for (size_t i = 0; i < m->n_bases; i++)
        if (memcmp(m->bases[i].digest, root, MS_SHA256_SIZE) == 0)
            return 0;
    sbom_digest_text(root, text);
    for (size_t i = 0; i < ctx->path_len; i++)
        if (memcmp(ctx->path[i], root, MS_SHA256_SIZE) == 0)
            return ms_error_set(ctx->err, MS_EVERIFY,
                                "%s: line %zu: base model %s is its own ancestor (a cycle)",
                                ctx->claims_path, cl->line_number, text);
    if (depth + 1 > ctx->max_depth)
        return ms_error_set(ctx->err, MS_EVERIFY,
                            "%s: line %zu: base model %s: the chain of base models is deeper "
                            "than %u",
                            ctx->claims_path, cl->line_number, text, ctx->max_depth);
    ms_sbom_model *p = realloc(m->bases, (m->n_bases + 1) * sizeof *p);
    if (!p)
        return ms_error_nomem(ctx->err);
    m->bases = p;
    ms_sbom_model *b = &p[m->n_bases++];
    memset(b, 0, sizeof *b);
    memcpy(b->digest, root, MS_SHA256_SIZE);
    /* Its own signature, as the claims file carries it. */
    if ((rc = trusted_claims(ctx, root, MS_OMS_PREDICATE_TYPE, &ctx->opts->base_models,
                             "base model signature", &idx, &n)) != 0)
        goto out;
    b->has_signature = n > 0;
    const char *name = d->name;
    if (!name && n)
        name = ctx->claims->items[idx[0]].statement->subject_name;
    if ((rc = dup_or_null(&b->name, name ? name : text, ctx->err)) != 0)
        goto out;
    rc = model_fill(ctx, b, &ctx->opts->base_models, depth + 1);
out:
    free(idx);
    return rc;
}

static int cmp_dataset(const void *a, const void *b)
{
    const ms_sbom_dataset *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : memcmp(x->root_digest, y->root_digest, MS_SHA256_SIZE);
}

static int cmp_package(const void *a, const void *b)
{
    return strcmp(((const ms_sbom_package *)a)->uri, ((const ms_sbom_package *)b)->uri);
}

static int cmp_model(const void *a, const void *b)
{
    const ms_sbom_model *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : memcmp(x->digest, y->digest, MS_SHA256_SIZE);
}

/* The provenance of m->digest (verified with prov_signers) and everything it names. */
static int model_fill(collect_ctx *ctx, ms_sbom_model *m, const ms_sbom_signers *prov_signers,
                      unsigned depth)
{
    size_t *idx = NULL, n = 0;
    ms_provenance *pv = NULL;
    ms_error e;
    int rc;
    const uint8_t(*saved_path)[MS_SHA256_SIZE] = ctx->path;
    uint8_t(*path)[MS_SHA256_SIZE] = malloc((ctx->path_len + 1) * sizeof *path);
    if (!path)
        return ms_error_nomem(ctx->err);
    if (ctx->path_len)
        memcpy(path, ctx->path, ctx->path_len * sizeof *path);
    memcpy(path[ctx->path_len], m->digest, MS_SHA256_SIZE);

    if ((rc = trusted_claims(ctx, m->digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, prov_signers,
                             "provenance", &idx, &n)) != 0 ||
        n == 0)
        goto out;
    const ms_claim *cl = &ctx->claims->items[idx[0]];
    const ms_dsse_envelope *env = ms_bundle_envelope(cl->bundle);
    for (size_t i = 1; i < n; i++) {
        const ms_claim *other = &ctx->claims->items[idx[i]];
        const ms_dsse_envelope *oe = ms_bundle_envelope(other->bundle);
        if (oe->payload_len != env->payload_len ||
            memcmp(oe->payload, env->payload, env->payload_len) != 0) {
            char root[72];
            sbom_digest_text(m->digest, root);
            rc = ms_error_set(ctx->err, MS_EVERIFY,
                              "%s: lines %zu and %zu: two trusted provenance statements for %s "
                              "disagree",
                              ctx->claims_path, cl->line_number, other->line_number, root);
            goto out;
        }
    }
    if ((rc = ms_provenance_parse(cl->statement, &pv, &e)) != 0) {
        rc = ms_error_set(ctx->err, rc, "%s: line %zu: %s", ctx->claims_path, cl->line_number,
                          e.message);
        goto out;
    }
    m->has_provenance = 1;
    if (dup_or_null(&m->builder_id, pv->builder_id, ctx->err) ||
        dup_or_null(&m->build_type, pv->build_type, ctx->err) ||
        dup_or_null(&m->invocation_id, pv->invocation_id, ctx->err) ||
        dup_or_null(&m->started_on, pv->started_on, ctx->err) ||
        dup_or_null(&m->finished_on, pv->finished_on, ctx->err)) {
        rc = MS_ENOMEM;
        goto out;
    }
    if (provenance_parameters(pv) &&
        (!(m->priv = cJSON_Duplicate(provenance_parameters(pv), 1)) ||
         !(m->external_parameters_json = cJSON_PrintUnformatted(sbom_model_parameters(m))))) {
        rc = ms_error_nomem(ctx->err);
        goto out;
    }
    ctx->path = (const uint8_t(*)[MS_SHA256_SIZE])path;
    ctx->path_len++;
    for (size_t i = 0; i < pv->n_deps && !rc; i++) {
        const ms_provenance_dependency *d = &pv->deps[i];
        if (!d->role)
            continue;
        if (strcmp(d->role, "code") == 0)
            rc = code_from(ctx, cl, d, m);
        else if (strcmp(d->role, "dataset") == 0)
            rc = dataset_from(ctx, cl, d, m);
        else if (strcmp(d->role, "package") == 0)
            rc = package_from(ctx, cl, d, m);
        else if (strcmp(d->role, "base-model") == 0)
            rc = base_from(ctx, cl, d, m, depth);
    }
    ctx->path_len--;
    ctx->path = saved_path;
    if (rc)
        goto out;
    if (m->n_datasets > 1)
        qsort(m->datasets, m->n_datasets, sizeof *m->datasets, cmp_dataset);
    if (m->n_packages > 1)
        qsort(m->packages, m->n_packages, sizeof *m->packages, cmp_package);
    if (m->n_bases > 1)
        qsort(m->bases, m->n_bases, sizeof *m->bases, cmp_model);
out:
    ms_provenance_free(pv);
    free(idx);
    free(path);
    return rc;
}

/* model.sig: verified with opts->model (and re-hashed when asked); fills name and digest. */
static int model_signature(collect_ctx *ctx, const char *model, ms_sbom_model *m)
{
    const ms_sbom_collect_options *o = ctx->opts;
    char *sig_path = NULL;
    ms_buf json = MS_BUF_INIT;
    ms_bundle *bundle = NULL;
    ms_statement *st = NULL;
    ms_verify_result vr;
    ms_error e;
    int rc;
    memset(&vr, 0, sizeof vr);
    if (o->signature_path)
        sig_path = strdup(o->signature_path);
    else if (!(sig_path = ms_sign_default_signature_path(model, &e)))
        return ms_error_set(ctx->err, e.code, "%s", e.message);
    if (!sig_path)
        return ms_error_nomem(ctx->err);
    if (access(sig_path, F_OK) != 0) {
        rc = ms_error_set(ctx->err, MS_EVERIFY, "%s: missing (the model is not signed)", sig_path);
        goto out;
    }
    /* The default model.sig is inside the model, where a link is not expected. */
    if ((rc = msx_file_read_regular(sig_path, MS_BUNDLE_MAX_SIZE,
                                    o->signature_path ? 0 : MS_FILE_NOFOLLOW, &json, &e)) != 0 ||
        (rc = ms_bundle_parse(json.data, json.len, &bundle, &e)) != 0) {
        rc = ms_error_set(ctx->err, rc, "%s: %s", sig_path, e.message);
        goto out;
    }
    size_t which = o->model.n;
    for (size_t i = 0; i < o->model.n && which == o->model.n; i++) {
        int vrc = ms_verify_bundle_signature(bundle, &o->model.items[i], NULL, &e);
        if (vrc == MS_ENOMEM) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
        if (vrc == 0)
            which = i;
    }
    if (which == o->model.n) {
        rc = ms_error_set(ctx->err, MS_EVERIFY, "%s: not signed by a trusted key%s%s", sig_path,
                          o->model.n ? ": " : "", o->model.n ? e.message : "");
        goto out;
    }
    const ms_statement *signed_st;
    if (o->verify_model_files) {
        ms_verify_options vo;
        memset(&vo, 0, sizeof vo);
        vo.hash = o->hash;
        vo.signature_path = sig_path;
        rc = ms_verify_model(model, json.data, json.len, &o->model.items[which], &vo, &vr, &e);
        if (rc) {
            rc = ms_error_set(ctx->err, rc, "%s", e.message);
            goto out;
        }
        signed_st = vr.statement;
    } else {
        if ((rc = ms_statement_from_bundle(bundle, 0, &st, &e)) != 0) {
            rc = ms_error_set(ctx->err, rc, "%s: %s", sig_path, e.message);
            goto out;
        }
        signed_st = st;
    }
    memcpy(m->digest, signed_st->subject_digest, MS_SHA256_SIZE);
    rc = dup_or_null(&m->name, signed_st->subject_name ? signed_st->subject_name : "model",
                     ctx->err);
    m->has_signature = 1;
out:
    ms_statement_free(st);
    ms_verify_result_clear(&vr);
    ms_bundle_free(bundle);
    msx_buf_free(&json);
    free(sig_path);
    return rc;
}

int ms_sbom_collect(const char *model, const ms_sbom_collect_options *opts, ms_sbom_evidence **out,
                    ms_error *err)
{
    collect_ctx ctx;
    char *claims_path = NULL;
    ms_error e;
    int rc;
    *out = NULL;
    memset(&ctx, 0, sizeof ctx);
    ctx.opts = opts;
    ctx.err = err;
    ctx.max_depth = opts->max_depth ? opts->max_depth : MS_SBOM_MAX_DEPTH;
    if (!(ctx.ev = calloc(1, sizeof *ctx.ev)))
        return ms_error_nomem(err);
    if ((rc = model_signature(&ctx, model, &ctx.ev->model)) != 0)
        goto out;
    if (opts->claims_path)
        claims_path = strdup(opts->claims_path);
    else if (!(claims_path = ms_claims_default_path(model, &e))) {
        rc = ms_error_set(err, e.code, "%s", e.message);
        goto out;
    }
    if (!claims_path) {
        rc = ms_error_nomem(err);
        goto out;
    }
    ctx.claims_path = claims_path;
    if ((rc = ms_claims_read(claims_path, 1, &ctx.claims, &e)) != 0) {
        rc = ms_error_set(err, rc, "%s", e.message);
        goto out;
    }
    rc = model_fill(&ctx, &ctx.ev->model, &opts->provenance, 0);
out:
    ms_claims_free(ctx.claims);
    free(claims_path);
    if (rc)
        ms_sbom_evidence_free(ctx.ev);
    else
        *out = ctx.ev;
    return rc;
}
