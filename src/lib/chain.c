/* Verifying a model's chain against a policy (`modelseal verify --policy`, modelseal-policy(5)).
 *
 * Links, in order: policy (current), model (model.sig by a model signer, files re-hashed),
 * provenance (SLSA v1 for the model's digest by a provenance signer, allow-lists), one dataset
 * link per dataset dependency, code (the training commit), one base-model link per base model
 * (recursively). Claims pair with the model and each other by digest; names only label links.
 * Trust comes only from the policy's keys: a claim signed by any other key is ignored (and
 * said so in the verdict), and every link the policy requires must be shown to hold. Any doubt
 * fails the link. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "modelseal/buf.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/encoding.h"
#include "modelseal/fs.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/sign.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"

#define MAX_NAMED_FILES 10 /* differences named in a verdict */
#define MAX_BASE_LINKS                                                                             \
    4096 /* base-model links in one chain (a DAG of shared bases is a tree of                      \
            paths here: bound the work, fail closed beyond) */

typedef struct chain_ctx {
    const ms_policy *policy;
    const ms_chain_options *opts;
    ms_claims *claims;
    signed char **verified; /* per claim, allocated when first tried: per policy key,
                               0 not tried, 1 verifies, -1 does not */
    size_t base_links;      /* base-model links made so far (bounded) */
    int64_t now;
    ms_error *err; /* fatal errors only (out of memory) */
} chain_ctx;

/* A growable list of links. */
typedef struct link_list {
    ms_chain_link *items;
    size_t n;
} link_list;

static void link_clear(ms_chain_link *l)
{
    free(l->link);
    free(l->name);
    free(l->reason);
    for (size_t i = 0; i < l->n_links; i++)
        link_clear(&l->links[i]);
    free(l->links);
    memset(l, 0, sizeof *l);
}

void ms_chain_result_clear(ms_chain_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n_links; i++)
        link_clear(&res->links[i]);
    free(res->links);
    free(res->model_name);
    memset(res, 0, sizeof *res);
}

/* Append a verdict; NULL when out of memory (ctx->err set). */
static ms_chain_link *link_add(chain_ctx *ctx, link_list *list, const char *link, const char *name,
                               int ok, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static ms_chain_link *link_add(chain_ctx *ctx, link_list *list, const char *link, const char *name,
                               int ok, const char *fmt, ...)
{
    ms_buf reason = MS_BUF_INIT;
    va_list ap;
    ms_chain_link *p = realloc(list->items, (list->n + 1) * sizeof *p);
    if (!p)
        goto nomem;
    list->items = p;
    ms_chain_link *l = &p[list->n];
    memset(l, 0, sizeof *l);
    va_start(ap, fmt);
    int rc = ms_buf_vprintf(&reason, fmt, ap);
    va_end(ap);
    if (rc || !(l->link = strdup(link)) || (name && !(l->name = strdup(name))) ||
        !(l->reason = ms_buf_detach(&reason))) {
        link_clear(l);
        goto nomem;
    }
    l->ok = ok;
    list->n++;
    return l;
nomem:
    ms_buf_free(&reason);
    ms_error_nomem(ctx->err);
    return NULL;
}

static void root_text(const uint8_t d[MS_SHA256_SIZE], char out[72])
{
    memcpy(out, "sha256:", 7);
    ms_hex_encode(d, MS_SHA256_SIZE, out + 7);
}

/* A lowercase hex string of exactly `n` digits decoded into out (n / 2 bytes). */
static int parse_hex(const char *s, size_t n, uint8_t *out)
{
    size_t got;
    if (!s || strlen(s) != n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return -1;
    return ms_hex_decode(s, n, out, n / 2, &got) == 0 && got == n / 2 ? 0 : -1;
}

/* ---- trust -------------------------------------------------------------------------------- */

static void trust_for_key(const ms_policy_key *k, const ms_key **slot, ms_trust *t)
{
    memset(t, 0, sizeof *t);
    if (k->key) {
        *slot = k->key;
        t->keys = slot;
        t->n_keys = 1;
    } else if (k->sigstore_root) {
        t->sigstore_root = k->sigstore_root;
        t->identity = k->identity;
        t->sigstore_issuer = k->issuer;
    } else {
        t->roots = k->roots;
        t->identity = k->identity;
    }
}

/* Does claim `c` verify with policy key `k`? 1 / 0; a negative code when out of memory. */
static int claim_verifies(chain_ctx *ctx, size_t c, size_t k)
{
    if (!ctx->verified[c] && !(ctx->verified[c] = calloc(ctx->policy->n_keys, 1)))
        return ms_error_nomem(ctx->err);
    signed char *v = &ctx->verified[c][k];
    if (*v == 0) {
        const ms_key *slot;
        ms_trust t;
        ms_error e;
        trust_for_key(&ctx->policy->keys[k], &slot, &t);
        t.at_time = ctx->now;
        int rc = ms_verify_bundle_signature(ctx->claims->items[c].bundle, &t, NULL, &e);
        if (rc == MS_ENOMEM)
            return ms_error_nomem(ctx->err);
        *v = rc == 0 ? 1 : -1;
    }
    return *v == 1;
}

/* The first signer of `s` that verifies claim `c`: its index into s (or -1); negative codes
 * below -1 are fatal errors. */
static int claim_signer(chain_ctx *ctx, size_t c, const ms_policy_signers *s, long *which)
{
    *which = -1;
    for (size_t i = 0; i < s->names.n; i++) {
        int rc = claim_verifies(ctx, c, s->index[i]);
        if (rc < 0)
            return rc;
        if (rc == 1) {
            *which = (long)i;
            return 0;
        }
    }
    return 0;
}

/* Say why claim `c` is ignored for a role whose signers are listed at `field`. */
static int note_ignored(chain_ctx *ctx, size_t c, const char *field, ms_buf *note)
{
    const char *other = NULL;
    for (size_t k = 0; k < ctx->policy->n_keys && !other; k++) {
        int rc = claim_verifies(ctx, c, k);
        if (rc < 0)
            return rc;
        if (rc == 1)
            other = ctx->policy->keys[k].name;
    }
    int rc = ms_buf_printf(note, "%sline %zu signed by %s%s%s", note->len ? "; " : "",
                           ctx->claims->items[c].line_number,
                           other ? "key \"" : "a key the policy does not name", other ? other : "",
                           other ? "\", not one of " : "");
    if (!rc && other)
        rc = ms_buf_append_str(note, field);
    return rc ? ms_error_nomem(ctx->err) : 0;
}

typedef struct trusted_set {
    size_t *claims; /* indices into ctx->claims */
    long *signer;   /* index into the role's signers */
    size_t n;
    ms_buf ignored; /* "line 3 signed by ..." for claims of this digest and type not trusted */
} trusted_set;

static void trusted_set_clear(trusted_set *t)
{
    free(t->claims);
    free(t->signer);
    ms_buf_free(&t->ignored);
    memset(t, 0, sizeof *t);
}

/* Every claim about `digest` of `type`, split into those a signer of `s` verifies and those
 * ignored. 0 or a fatal code. */
static int collect(chain_ctx *ctx, const uint8_t digest[MS_SHA256_SIZE], const char *type,
                   const ms_policy_signers *s, const char *field, trusted_set *out)
{
    memset(out, 0, sizeof *out);
    for (size_t c = ms_claims_find(ctx->claims, digest, type, 0); c < ctx->claims->n;
         c = ms_claims_find(ctx->claims, digest, type, c + 1)) {
        long which;
        int rc = claim_signer(ctx, c, s, &which);
        if (rc)
            return rc;
        if (which < 0) {
            if ((rc = note_ignored(ctx, c, field, &out->ignored)) != 0)
                return rc;
            continue;
        }
        size_t *pc = realloc(out->claims, (out->n + 1) * sizeof *pc);
        if (pc)
            out->claims = pc;
        long *ps = realloc(out->signer, (out->n + 1) * sizeof *ps);
        if (ps)
            out->signer = ps;
        if (!pc || !ps)
            return ms_error_nomem(ctx->err);
        out->claims[out->n] = c;
        out->signer[out->n] = which;
        out->n++;
    }
    return 0;
}

/* " (ignored: ...)" when claims were ignored, else "". Points into t->ignored or a literal. */
static const char *ignored_suffix(trusted_set *t, ms_buf *tmp)
{
    ms_buf_reset(tmp);
    if (!t->ignored.len || ms_buf_printf(tmp, " (ignored: %s)", (const char *)t->ignored.data))
        return "";
    return (const char *)tmp->data;
}

/* ---- policy and model links --------------------------------------------------------------- */

static int link_policy(chain_ctx *ctx, link_list *links)
{
    const ms_policy *p = ctx->policy;
    ms_chain_link *l;
    if (!p->has_expires)
        l = link_add(ctx, links, "policy", NULL, 1, "%s: valid, no expiry date", p->file);
    else if (ms_policy_expired(p, ctx->now))
        l = link_add(ctx, links, "policy", NULL, 0, "%s: expired at %s", p->file, p->expires_text);
    else
        l = link_add(ctx, links, "policy", NULL, 1, "%s: valid until %s", p->file, p->expires_text);
    return l ? 0 : MS_ENOMEM;
}

static int link_model(chain_ctx *ctx, const char *model, link_list *links, ms_chain_result *res)
{
    const ms_policy *p = ctx->policy;
    char *sig_path = NULL;
    ms_buf bundle_json = MS_BUF_INIT, names = MS_BUF_INIT;
    ms_bundle *bundle = NULL;
    ms_verify_result vr;
    ms_error e;
    int rc = 0;
    memset(&vr, 0, sizeof vr);
    if (ctx->opts->signature_path)
        sig_path = strdup(ctx->opts->signature_path);
    else if (!(sig_path = ms_sign_default_signature_path(model, &e))) {
        if (e.code == MS_ENOMEM)
            return ms_error_nomem(ctx->err);
        return link_add(ctx, links, "model", NULL, 0, "%s", e.message) ? 0 : MS_ENOMEM;
    }
    if (!sig_path)
        return ms_error_nomem(ctx->err);
    for (size_t i = 0; i < p->model_signers.names.n; i++)
        if (ms_buf_printf(&names, "%s%s", i ? ", " : "", p->model_signers.names.items[i])) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
    if (access(sig_path, F_OK) != 0) {
        rc = link_add(ctx, links, "model", NULL, 0, "%s: missing (the model is not signed)",
                      sig_path)
                 ? 0
                 : MS_ENOMEM;
        goto out;
    }
    if ((rc = ms_file_read(sig_path, MS_BUNDLE_MAX_SIZE, &bundle_json, &e)) != 0 ||
        (rc = ms_bundle_parse(bundle_json.data, bundle_json.len, &bundle, &e)) != 0) {
        rc = ms_error_set(ctx->err, rc, "%s: %s", sig_path, e.message);
        goto out;
    }
    /* Find the signer first (cheap), then hash the model once with that key alone. */
    long which = -1;
    for (size_t i = 0; i < p->model_signers.names.n && which < 0; i++) {
        const ms_key *slot;
        ms_trust t;
        trust_for_key(&p->keys[p->model_signers.index[i]], &slot, &t);
        t.at_time = ctx->now;
        int vrc = ms_verify_bundle_signature(bundle, &t, NULL, &e);
        if (vrc == MS_ENOMEM) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
        if (vrc == 0)
            which = (long)i;
    }
    if (which < 0) {
        rc = link_add(ctx, links, "model", NULL, 0,
                      "%s: not signed by a key in policy.model.signers (%s)", sig_path,
                      (const char *)names.data)
                 ? 0
                 : MS_ENOMEM;
        goto out;
    }
    const ms_key *slot;
    ms_trust t;
    ms_verify_options vo;
    memset(&vo, 0, sizeof vo);
    trust_for_key(&p->keys[p->model_signers.index[which]], &slot, &t);
    t.at_time = ctx->now;
    vo.hash = ctx->opts->hash;
    vo.signature_path = sig_path;
    int vrc = ms_verify_model(model, bundle_json.data, bundle_json.len, &t, &vo, &vr, &e);
    if (vr.statement && vr.signer.kind[0]) {
        /* The signature verified: its subject is the model's signed identity. */
        memcpy(res->model_digest, vr.statement->subject_digest, MS_SHA256_SIZE);
        res->has_digest = 1;
        if (vr.statement->subject_name && !(res->model_name = strdup(vr.statement->subject_name))) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
    }
    if (vrc == MS_ENOMEM || vrc == MS_EINPUT) {
        rc = ms_error_set(ctx->err, vrc, "%s", e.message);
        goto out;
    }
    char root[72];
    if (vrc) {
        /* Name the files that differ (the first few of each kind). */
        ms_buf files = MS_BUF_INIT;
        const struct {
            const char *kind;
            char **paths;
            size_t n;
        } kinds[] = {{"changed", vr.diff.changed, vr.diff.n_changed},
                     {"missing", vr.diff.missing, vr.diff.n_missing},
                     {"extra", vr.diff.extra, vr.diff.n_extra}};
        size_t named = 0;
        int brc = 0;
        for (size_t k = 0; k < 3; k++)
            for (size_t i = 0; i < kinds[k].n; i++)
                if (named++ < MAX_NAMED_FILES)
                    brc |= ms_buf_printf(&files, "%s%s %s", files.len ? ", " : ": ", kinds[k].kind,
                                         kinds[k].paths[i]);
        if (named > MAX_NAMED_FILES)
            brc |= ms_buf_append_str(&files, ", ...");
        rc = !brc && link_add(ctx, links, "model", NULL, 0, "%s%s", e.message,
                              files.len ? (const char *)files.data : "")
                 ? 0
                 : ms_error_nomem(ctx->err);
        ms_buf_free(&files);
        goto out;
    }
    root_text(vr.statement->subject_digest, root);
    rc = link_add(ctx, links, "model", NULL, 1,
                  "%s signed by \"%s\"; %zu file%s re-hashed, root %s", sig_path,
                  p->model_signers.names.items[which], vr.n_files, vr.n_files == 1 ? "" : "s", root)
             ? 0
             : MS_ENOMEM;
out:
    ms_verify_result_clear(&vr);
    ms_bundle_free(bundle);
    ms_buf_free(&bundle_json);
    ms_buf_free(&names);
    free(sig_path);
    return rc;
}

/* ---- provenance --------------------------------------------------------------------------- */

static int list_has(const ms_policy_strings *s, const char *v)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], v) == 0)
            return 1;
    return 0;
}

/* The allow-lists of policy.provenance (top model only). 0 or MS_EVERIFY with `why`. */
static int check_allow_lists(const ms_policy *p, const ms_provenance *pv, ms_buf *why)
{
    if (!list_has(&p->builder_ids, pv->builder_id))
        return ms_buf_printf(why, "builder id \"%s\" is not in policy.provenance.builder_ids",
                             pv->builder_id)
                   ? MS_ENOMEM
                   : MS_EVERIFY;
    if (p->has_build_types && !list_has(&p->build_types, pv->build_type))
        return ms_buf_printf(why, "build type \"%s\" is not in policy.provenance.build_types",
                             pv->build_type)
                   ? MS_ENOMEM
                   : MS_EVERIFY;
    if (p->has_allowed_parameters) {
        const char *k;
        for (size_t i = 0; (k = ms_provenance_parameter_key(pv, i)) != NULL; i++)
            if (!list_has(&p->allowed_parameters, k))
                return ms_buf_printf(why,
                                     "parameter \"%s\" is not in "
                                     "policy.provenance.allowed_parameters",
                                     k)
                           ? MS_ENOMEM
                           : MS_EVERIFY;
    }
    return 0;
}

/* 1 when two provenances describe the same build (type, parameters, dependencies). */
static int provenances_agree(const ms_provenance *a, const ms_provenance *b)
{
    if (strcmp(a->build_type, b->build_type) != 0 ||
        !cJSON_Compare(a->external_parameters, b->external_parameters, 1) || a->n_deps != b->n_deps)
        return 0;
    for (size_t i = 0; i < a->n_deps; i++) {
        const ms_provenance_dependency *x = &a->deps[i], *y = &b->deps[i];
        if (!x->role != !y->role || (x->role && strcmp(x->role, y->role) != 0) ||
            !x->name != !y->name || (x->name && strcmp(x->name, y->name) != 0) ||
            !x->uri != !y->uri || (x->uri && strcmp(x->uri, y->uri) != 0) ||
            x->n_digests != y->n_digests || !x->annotations != !y->annotations ||
            (x->annotations && !cJSON_Compare(x->annotations, y->annotations, 1)))
            return 0;
        for (size_t j = 0; j < x->n_digests; j++)
            if (strcmp(x->digests[j].algorithm, y->digests[j].algorithm) != 0 ||
                strcmp(x->digests[j].value, y->digests[j].value) != 0)
                return 0;
    }
    return 1;
}

/* Read every trusted provenance in `t`; all must parse, pass `allow` (when given) and agree.
 * On success *out is the first (the caller frees it). 0, MS_EVERIFY with `why`, or fatal. */
static int read_provenances(chain_ctx *ctx, const trusted_set *t, int allow, ms_provenance **out,
                            ms_buf *why)
{
    ms_provenance *first = NULL;
    int rc = 0;
    *out = NULL;
    for (size_t i = 0; i < t->n; i++) {
        const ms_claim *c = &ctx->claims->items[t->claims[i]];
        ms_provenance *pv = NULL;
        ms_error e;
        rc = ms_provenance_parse(c->statement, &pv, &e);
        if (rc == MS_ENOMEM)
            goto nomem;
        if (rc) {
            rc = ms_buf_printf(why, "line %zu: %s", c->line_number, e.message) ? MS_ENOMEM
                                                                               : MS_EVERIFY;
            goto out;
        }
        ms_buf detail = MS_BUF_INIT;
        rc = allow ? check_allow_lists(ctx->policy, pv, &detail) : 0;
        if (rc == MS_EVERIFY &&
            ms_buf_printf(why, "line %zu: %s", c->line_number, (const char *)detail.data))
            rc = MS_ENOMEM;
        ms_buf_free(&detail);
        if (!rc && first && !provenances_agree(first, pv))
            rc = ms_buf_printf(why,
                               "lines %zu and %zu: two trusted provenances for this digest "
                               "disagree",
                               ctx->claims->items[t->claims[0]].line_number, c->line_number)
                     ? MS_ENOMEM
                     : MS_EVERIFY;
        if (!first)
            first = pv;
        else
            ms_provenance_free(pv);
        if (rc == MS_ENOMEM)
            goto nomem;
        if (rc)
            goto out;
    }
    *out = first;
    return 0;
nomem:
    rc = ms_error_nomem(ctx->err);
out:
    ms_provenance_free(first);
    return rc;
}

static const char *signer_list(const ms_policy_signers *s, ms_buf *b)
{
    ms_buf_reset(b);
    for (size_t i = 0; i < s->names.n; i++)
        if (ms_buf_printf(b, "%s%s", i ? ", " : "", s->names.items[i]))
            return "";
    return b->len ? (const char *)b->data : "";
}

/* The provenance link. *prov receives the trusted provenance when the link holds; *state is
 * 1 (holds, prov set), 0 (absent, not required) or -1 (failed). */
static int link_provenance(chain_ctx *ctx, const ms_chain_result *res, link_list *links,
                           ms_provenance **prov, int *state)
{
    const ms_policy *p = ctx->policy;
    trusted_set t = {0};
    ms_buf why = MS_BUF_INIT, tmp = MS_BUF_INIT, names = MS_BUF_INIT;
    char root[72];
    ms_chain_link *l = NULL;
    int rc = 0;
    *prov = NULL;
    *state = 0;
    if (!p->has_provenance) {
        l = link_add(ctx, links, "provenance", NULL, 1, "not required by the policy");
        goto out;
    }
    if (!res->has_digest) {
        *state = -1;
        l = link_add(ctx, links, "provenance", NULL, 0,
                     "no verified model digest to look up (the model link failed)");
        goto out;
    }
    root_text(res->model_digest, root);
    if ((rc = collect(ctx, res->model_digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE,
                      &p->provenance_signers, "policy.provenance.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        *state = p->provenance_required ? -1 : 0;
        l = link_add(ctx, links, "provenance", NULL, !p->provenance_required,
                     "no provenance for %s signed by a key in policy.provenance.signers "
                     "(%s)%s%s",
                     root, signer_list(&p->provenance_signers, &names),
                     p->provenance_required ? "" : "; not required", ignored_suffix(&t, &tmp));
        goto out;
    }
    rc = read_provenances(ctx, &t, 1, prov, &why);
    if (rc == MS_EVERIFY) {
        *state = -1;
        l = link_add(ctx, links, "provenance", NULL, 0, "%s%s", (const char *)why.data,
                     ignored_suffix(&t, &tmp));
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    *state = 1;
    size_t line = ctx->claims->items[t.claims[0]].line_number;
    l = link_add(ctx, links, "provenance", NULL, 1,
                 "line %zu signed by \"%s\"%s: builder %s, build type %s%s", line,
                 p->provenance_signers.names.items[t.signer[0]],
                 t.n > 1 ? " (and agreeing lines)" : "", (*prov)->builder_id, (*prov)->build_type,
                 ignored_suffix(&t, &tmp));
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    trusted_set_clear(&t);
    ms_buf_free(&why);
    ms_buf_free(&tmp);
    ms_buf_free(&names);
    return rc;
}

/* ---- datasets ----------------------------------------------------------------------------- */

typedef struct diff_names {
    ms_buf text;
    size_t named;
    int nomem;
} diff_names;

static void on_diff(void *ctx, ms_dataset_diff_kind kind, const char *path)
{
    static const char *const kinds[] = {"missing", "extra", "changed"};
    diff_names *d = ctx;
    if (d->named++ >= MAX_NAMED_FILES)
        return;
    if (ms_buf_printf(&d->text, "%s%s %s", d->text.len ? ", " : "", kinds[kind], path))
        d->nomem = 1;
}

static const ms_policy_dataset_data *data_entry(const ms_policy *p, const char *name)
{
    for (size_t i = 0; name && i < p->n_datasets_data; i++)
        if (strcmp(p->datasets_data[i].name, name) == 0)
            return &p->datasets_data[i];
    return NULL;
}

/* Re-hash a data directory against its manifest (datasets.data). 0 or MS_EVERIFY with why. */
static int check_data(chain_ctx *ctx, const ms_policy_dataset_data *d,
                      const uint8_t root[MS_SHA256_SIZE],
                      const uint8_t manifest_digest[MS_SHA256_SIZE], ms_buf *why, uint64_t *files)
{
    ms_dataset_info info;
    ms_dataset_verify_options vo;
    ms_dataset_verify_result vr;
    diff_names names = {MS_BUF_INIT, 0, 0};
    ms_error e;
    int rc;
    memset(&info, 0, sizeof info);
    memset(&vo, 0, sizeof vo);
    memset(&vr, 0, sizeof vr);
    rc = ms_dataset_info_load(d->manifest, &info, &e);
    if (rc == MS_ENOMEM)
        goto nomem;
    if (rc) {
        rc = ms_buf_printf(why, "%s", e.message) ? MS_ENOMEM : MS_EVERIFY;
        goto out;
    }
    if (sodium_memcmp(info.manifest_digest, manifest_digest, MS_SHA256_SIZE) != 0) {
        rc =
            ms_buf_printf(why, "%s: not the signed manifest (manifest digest differs)", d->manifest)
                ? MS_ENOMEM
                : MS_EVERIFY;
        goto out;
    }
    if (sodium_memcmp(info.root_digest, root, MS_SHA256_SIZE) != 0) {
        rc = ms_buf_printf(why, "%s: root digest differs from the provenance's", d->manifest)
                 ? MS_ENOMEM
                 : MS_EVERIFY;
        goto out;
    }
    vo.threads = ctx->opts->dataset_threads;
    vo.diff = on_diff;
    vo.diff_ctx = &names;
    rc = ms_dataset_verify_dir(d->manifest, d->path, &vo, &vr, &e);
    if (rc == MS_ENOMEM || names.nomem)
        goto nomem;
    *files = vr.files;
    if (rc == MS_EVERIFY) {
        rc = ms_buf_printf(why, "%s: %llu changed, %llu missing, %llu extra: %s%s", d->path,
                           (unsigned long long)vr.changed, (unsigned long long)vr.missing,
                           (unsigned long long)vr.extra, (const char *)names.text.data,
                           names.named > MAX_NAMED_FILES ? ", ..." : "")
                 ? MS_ENOMEM
                 : MS_EVERIFY;
        goto out;
    }
    if (rc) {
        rc = ms_buf_printf(why, "%s", e.message) ? MS_ENOMEM : MS_EVERIFY;
        goto out;
    }
    goto out;
nomem:
    rc = MS_ENOMEM;
out:
    ms_dataset_info_clear(&info);
    ms_buf_free(&names.text);
    return rc == MS_ENOMEM ? ms_error_nomem(ctx->err) : rc;
}

/* One dataset dependency. */
static int link_dataset(chain_ctx *ctx, const ms_provenance_dependency *dep, const char *name,
                        link_list *links)
{
    const ms_policy *p = ctx->policy;
    trusted_set t = {0};
    ms_buf why = MS_BUF_INIT, tmp = MS_BUF_INIT, names = MS_BUF_INIT;
    ms_dataset_info info;
    uint8_t root[MS_SHA256_SIZE], want[MS_SHA256_SIZE];
    char root_hex[72];
    ms_chain_link *l = NULL;
    int rc = 0;
    memset(&info, 0, sizeof info);
    const char *digest = ms_provenance_dependency_digest(dep, "sha256");
    if (parse_hex(digest, 64, root) != 0) {
        l = link_add(ctx, links, "dataset", name, 0,
                     "the provenance gives no sha256 digest (64 lowercase hex) for it");
        goto out;
    }
    root_text(root, root_hex);
    const cJSON *ms = cJSON_GetObjectItemCaseSensitive(dep->annotations, "manifest_sha256");
    if (!cJSON_IsString(ms) || parse_hex(ms->valuestring, 64, want) != 0) {
        l = link_add(ctx, links, "dataset", name, 0,
                     "the provenance gives no annotations.manifest_sha256 (64 lowercase hex)");
        goto out;
    }
    if ((rc = collect(ctx, root, MS_DATASET_PREDICATE_TYPE, &p->dataset_signers,
                      "policy.datasets.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        l = link_add(ctx, links, "dataset", name, 0,
                     "no dataset statement for %s signed by a key in policy.datasets.signers "
                     "(%s)%s",
                     root_hex, signer_list(&p->dataset_signers, &names), ignored_suffix(&t, &tmp));
        goto out;
    }
    for (size_t i = 0; i < t.n; i++) {
        const ms_claim *c = &ctx->claims->items[t.claims[i]];
        ms_error e;
        ms_dataset_info_clear(&info);
        rc = ms_dataset_info_from_statement(c->statement, &info, &e);
        if (rc == MS_ENOMEM) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
        if (rc) {
            rc = 0;
            l = link_add(ctx, links, "dataset", name, 0, "line %zu: %s", c->line_number, e.message);
            goto out;
        }
        if (sodium_memcmp(info.manifest_digest, want, MS_SHA256_SIZE) != 0) {
            l = link_add(ctx, links, "dataset", name, 0,
                         "line %zu: the signed manifest digest differs from the provenance's "
                         "manifest_sha256 (the manifest was changed)",
                         c->line_number);
            goto out;
        }
    }
    const ms_policy_dataset_data *d = data_entry(p, name);
    if (!d && info.name)
        d = data_entry(p, info.name);
    uint64_t files = 0;
    if (d) {
        rc = check_data(ctx, d, root, want, &why, &files);
        if (rc == MS_EVERIFY) {
            rc = 0;
            l = link_add(ctx, links, "dataset", name, 0, "%s", (const char *)why.data);
            goto out;
        }
        if (rc)
            goto out;
    }
    char files_text[64];
    if (d)
        snprintf(files_text, sizeof files_text, "%llu files re-hashed", (unsigned long long)files);
    l = link_add(ctx, links, "dataset", name, 1, "%s signed by \"%s\" (line %zu); %s%s", root_hex,
                 p->dataset_signers.names.items[t.signer[0]],
                 ctx->claims->items[t.claims[0]].line_number,
                 d ? files_text : "data not re-hashed (no policy.datasets.data entry)",
                 ignored_suffix(&t, &tmp));
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    ms_dataset_info_clear(&info);
    trusted_set_clear(&t);
    ms_buf_free(&why);
    ms_buf_free(&tmp);
    ms_buf_free(&names);
    return rc;
}

static int is_role(const ms_provenance_dependency *d, const char *role)
{
    return d->role && strcmp(d->role, role) == 0;
}

/* A dependency's label: its name, else "<role>[i]". */
static const char *dep_label(const ms_provenance_dependency *d, size_t i, char *buf, size_t size)
{
    if (d->name && d->name[0])
        return d->name;
    snprintf(buf, size, "%s[%zu]", d->role ? d->role : "dependency", i);
    return buf;
}

static int links_datasets(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links)
{
    const ms_policy *p = ctx->policy;
    size_t before = links->n;
    char label[64];
    if (!p->has_datasets)
        return link_add(ctx, links, "dataset", NULL, 1, "not required by the policy") ? 0
                                                                                      : MS_ENOMEM;
    if (state < 0)
        return link_add(ctx, links, "dataset", NULL, 0,
                        "no trusted provenance to name the datasets")
                   ? 0
                   : MS_ENOMEM;
    for (size_t i = 0; pv && i < pv->n_deps; i++) {
        if (!is_role(&pv->deps[i], "dataset"))
            continue;
        int rc =
            link_dataset(ctx, &pv->deps[i], dep_label(&pv->deps[i], i, label, sizeof label), links);
        if (rc)
            return rc;
    }
    /* Named by the policy but not by the provenance. */
    for (size_t r = 0; r < p->datasets_required.n; r++) {
        const char *want = p->datasets_required.items[r];
        int found = 0;
        for (size_t i = before; i < links->n; i++)
            found |= links->items[i].name && strcmp(links->items[i].name, want) == 0;
        if (!found && !link_add(ctx, links, "dataset", want, 0,
                                "required by policy.datasets.required, not in the %s",
                                pv ? "provenance" : "claims (no provenance)"))
            return MS_ENOMEM;
    }
    for (size_t k = 0; k < p->n_datasets_data; k++) {
        const char *want = p->datasets_data[k].name;
        int found = 0;
        for (size_t i = before; i < links->n; i++)
            found |= links->items[i].name && strcmp(links->items[i].name, want) == 0;
        if (!found && !link_add(ctx, links, "dataset", want, 0,
                                "listed in policy.datasets.data, not in the provenance"))
            return MS_ENOMEM;
    }
    if (links->n == before && !link_add(ctx, links, "dataset", NULL, 1,
                                        pv ? "the provenance names no datasets; none required"
                                           : "no provenance (not required); no datasets required"))
        return MS_ENOMEM;
    return 0;
}

/* ---- code --------------------------------------------------------------------------------- */

static const char *git_message(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* Is `hex` a commit of `repo_path` reachable from a ref matching the policy's refs?
 * 0 (yes, *via = the ref, malloc'd) or MS_EVERIFY with why; fatal codes. */
static int check_repository(chain_ctx *ctx, const char *repo_path, const char *hex, ms_buf *why,
                            char **via)
{
    const ms_policy *p = ctx->policy;
    git_repository *repo = NULL;
    git_commit *commit = NULL;
    git_reference_iterator *it = NULL;
    git_oid oid;
    int rc = MS_EVERIFY;
    *via = NULL;
    if (git_libgit2_init() < 0)
        return ms_error_set(ctx->err, MS_EENV, "cannot initialise libgit2: %s", git_message());
    if (git_repository_open_ext(&repo, repo_path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) < 0) {
        if (ms_buf_printf(why, "%s: cannot open the git repository: %s", repo_path, git_message()))
            rc = MS_ENOMEM;
        goto out;
    }
    if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(&commit, repo, &oid) < 0) {
        if (ms_buf_printf(why, "commit %s is not in %s", hex, repo_path))
            rc = MS_ENOMEM;
        goto out;
    }
    if (git_reference_iterator_new(&it, repo) < 0) {
        if (ms_buf_printf(why, "%s: cannot list references: %s", repo_path, git_message()))
            rc = MS_ENOMEM;
        goto out;
    }
    git_reference *ref;
    while (!*via && git_reference_next(&ref, it) == 0) {
        const char *name = git_reference_name(ref);
        int matches = 0;
        for (size_t i = 0; i < p->code_refs.n && !matches; i++)
            matches = ms_policy_ref_matches(p->code_refs.items[i], name);
        git_object *tip = NULL;
        if (matches && git_reference_peel(&tip, ref, GIT_OBJECT_COMMIT) == 0) {
            const git_oid *t = git_object_id(tip);
            if (git_oid_equal(t, &oid) || git_graph_descendant_of(repo, t, &oid) == 1) {
                if (!(*via = strdup(name))) {
                    git_object_free(tip);
                    git_reference_free(ref);
                    rc = MS_ENOMEM;
                    goto out;
                }
            }
        }
        git_object_free(tip);
        git_reference_free(ref);
    }
    if (*via)
        rc = 0;
    else if (ms_buf_printf(why,
                           "commit %s is not reachable from a ref matching policy.code.refs in %s",
                           hex, repo_path))
        rc = MS_ENOMEM;
out:
    git_reference_iterator_free(it);
    git_commit_free(commit);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc == MS_ENOMEM ? ms_error_nomem(ctx->err) : rc;
}

static int link_code(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links)
{
    const ms_policy *p = ctx->policy;
    const ms_provenance_dependency *code = NULL;
    ms_buf why = MS_BUF_INIT;
    char *base = NULL, *via = NULL;
    ms_chain_link *l = NULL;
    size_t n = 0;
    int rc = 0;
    if (!p->has_code) {
        l = link_add(ctx, links, "code", NULL, 1, "not required by the policy");
        goto out;
    }
    if (state < 0) {
        l = link_add(ctx, links, "code", NULL, 0, "no trusted provenance to name the code");
        goto out;
    }
    for (size_t i = 0; pv && i < pv->n_deps; i++)
        if (is_role(&pv->deps[i], "code")) {
            code = &pv->deps[i];
            n++;
        }
    if (n == 0) {
        l = link_add(ctx, links, "code", NULL, !p->code_required, "%s%s",
                     pv ? "the provenance names no code dependency" : "no provenance",
                     p->code_required ? "" : "; not required");
        goto out;
    }
    if (n > 1) {
        l = link_add(ctx, links, "code", NULL, 0,
                     "the provenance names %zu code dependencies (exactly one expected)", n);
        goto out;
    }
    if (!code->uri) {
        l = link_add(ctx, links, "code", NULL, 0, "the code dependency has no uri");
        goto out;
    }
    /* git+<url>@<ref>: split at the last "@refs/" (a URL may contain '@'). */
    const char *at = NULL;
    for (const char *s = strstr(code->uri, "@refs/"); s; s = strstr(s + 1, "@refs/"))
        at = s;
    const char *ref = at ? at + 1 : NULL;
    if (!(base = at ? strndup(code->uri, (size_t)(at - code->uri)) : strdup(code->uri))) {
        rc = ms_error_nomem(ctx->err);
        goto out;
    }
    if (!list_has(&p->code_uris, base)) {
        l = link_add(ctx, links, "code", NULL, 0, "uri \"%s\" is not in policy.code.uris", base);
        goto out;
    }
    int ref_ok = 0;
    for (size_t i = 0; ref && i < p->code_refs.n && !ref_ok; i++)
        ref_ok = ms_policy_ref_matches(p->code_refs.items[i], ref);
    if (!ref) {
        l = link_add(ctx, links, "code", NULL, 0,
                     "no ref recorded (detached HEAD): policy.code.refs cannot be checked");
        goto out;
    }
    if (!ref_ok) {
        l = link_add(ctx, links, "code", NULL, 0, "ref %s does not match policy.code.refs", ref);
        goto out;
    }
    const char *commit = ms_provenance_dependency_digest(code, "gitCommit");
    uint8_t raw[20];
    if (parse_hex(commit, 40, raw) != 0) {
        l = link_add(ctx, links, "code", NULL, 0,
                     "no digest.gitCommit (40 lowercase hex) in the code dependency");
        goto out;
    }
    const cJSON *dirty = cJSON_GetObjectItemCaseSensitive(code->annotations, "dirty");
    if (!p->allow_dirty && !cJSON_IsFalse(dirty)) {
        l = link_add(ctx, links, "code", NULL, 0, "%s",
                     cJSON_IsTrue(dirty)
                         ? "built from a dirty working tree (policy.code.allow_dirty is false)"
                         : "the code dependency does not record annotations.dirty = false");
        goto out;
    }
    if (!p->code_repository) {
        l = link_add(ctx, links, "code", NULL, 1,
                     "%s at %s, commit %s%s (commit not checked against a repository: no "
                     "policy.code.repository)",
                     base, ref, commit, cJSON_IsTrue(dirty) ? " (dirty, allowed)" : "");
        goto out;
    }
    rc = check_repository(ctx, p->code_repository, commit, &why, &via);
    if (rc == MS_EVERIFY) {
        rc = 0;
        l = link_add(ctx, links, "code", NULL, 0, "%s", (const char *)why.data);
        goto out;
    }
    if (rc)
        goto out;
    l = link_add(ctx, links, "code", NULL, 1, "%s at %s, commit %s%s: in %s, reachable from %s",
                 base, ref, commit, cJSON_IsTrue(dirty) ? " (dirty, allowed)" : "",
                 p->code_repository, via);
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    ms_buf_free(&why);
    free(base);
    free(via);
    return rc;
}

/* ---- base models -------------------------------------------------------------------------- */

typedef struct seen_list {
    uint8_t (*digests)[MS_SHA256_SIZE];
    size_t n;
} seen_list;

/* Does claim c carry a consistent OMS statement (subject digest = root over its resources)? */
static int oms_consistent(const ms_claim *c)
{
    ms_statement *st = NULL;
    ms_error e;
    uint8_t root[MS_SHA256_SIZE];
    int ok = ms_statement_from_bundle(c->bundle, 0, &st, &e) == 0 &&
             ms_manifest_root(st->manifest->resources, st->manifest->n_resources, root) == 0 &&
             sodium_memcmp(root, st->subject_digest, MS_SHA256_SIZE) == 0 &&
             sodium_memcmp(root, c->statement->subject_digest, MS_SHA256_SIZE) == 0;
    ms_statement_free(st);
    return ok;
}

static int link_base(chain_ctx *ctx, const ms_provenance_dependency *dep, const char *name,
                     unsigned depth, seen_list *seen, link_list *links);

/* The base model's own provenance and base models, as nested links of `parent`. */
static int base_nested(chain_ctx *ctx, const uint8_t digest[MS_SHA256_SIZE], unsigned depth,
                       seen_list *seen, link_list *nested)
{
    const ms_policy *p = ctx->policy;
    trusted_set t = {0};
    ms_provenance *pv = NULL;
    ms_buf why = MS_BUF_INIT, tmp = MS_BUF_INIT;
    char root[72], label[64];
    int rc;
    root_text(digest, root);
    if ((rc = collect(ctx, digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, &p->base_model_signers,
                      "policy.base_model.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        if (p->require_provenance &&
            !link_add(ctx, nested, "provenance", NULL, 0,
                      "no provenance for %s signed by a key in policy.base_model.signers "
                      "(policy.base_model.require_provenance)%s",
                      root, ignored_suffix(&t, &tmp)))
            rc = MS_ENOMEM;
        goto out;
    }
    rc = read_provenances(ctx, &t, 0, &pv, &why);
    if (rc == MS_EVERIFY) {
        rc = link_add(ctx, nested, "provenance", NULL, 0, "%s", (const char *)why.data) ? 0
                                                                                        : MS_ENOMEM;
        goto out;
    }
    if (rc)
        goto out;
    if (!link_add(ctx, nested, "provenance", NULL, 1, "line %zu signed by \"%s\": builder %s",
                  ctx->claims->items[t.claims[0]].line_number,
                  p->base_model_signers.names.items[t.signer[0]], pv->builder_id)) {
        rc = MS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < pv->n_deps; i++) {
        if (!is_role(&pv->deps[i], "base-model"))
            continue;
        if ((rc = link_base(ctx, &pv->deps[i], dep_label(&pv->deps[i], i, label, sizeof label),
                            depth + 1, seen, nested)) != 0)
            goto out;
    }
out:
    ms_provenance_free(pv);
    trusted_set_clear(&t);
    ms_buf_free(&why);
    ms_buf_free(&tmp);
    return rc;
}

static int link_base(chain_ctx *ctx, const ms_provenance_dependency *dep, const char *name,
                     unsigned depth, seen_list *seen, link_list *links)
{
    const ms_policy *p = ctx->policy;
    trusted_set t = {0};
    link_list nested = {0};
    ms_buf tmp = MS_BUF_INIT, names = MS_BUF_INIT;
    uint8_t digest[MS_SHA256_SIZE];
    char root[72];
    ms_chain_link *l = NULL;
    int rc = 0, pushed = 0;
    if (parse_hex(ms_provenance_dependency_digest(dep, "sha256"), 64, digest) != 0) {
        l = link_add(ctx, links, "base-model", name, 0,
                     "the provenance gives no sha256 digest (64 lowercase hex) for it");
        goto out;
    }
    root_text(digest, root);
    if (++ctx->base_links > MAX_BASE_LINKS) {
        l = link_add(ctx, links, "base-model", name, 0,
                     "%s: more than %d base-model links in the chain", root, MAX_BASE_LINKS);
        goto out;
    }
    if (depth > p->max_depth) {
        l = link_add(ctx, links, "base-model", name, 0,
                     "%s: the chain of base models is deeper than policy.base_model.max_depth "
                     "(%u)",
                     root, p->max_depth);
        goto out;
    }
    for (size_t i = 0; i < seen->n; i++)
        if (memcmp(seen->digests[i], digest, MS_SHA256_SIZE) == 0) {
            l = link_add(ctx, links, "base-model", name, 0,
                         "%s: cycle (this digest already appears in the chain)", root);
            goto out;
        }
    if ((rc = collect(ctx, digest, MS_OMS_PREDICATE_TYPE, &p->base_model_signers,
                      "policy.base_model.signers", &t)) != 0)
        goto out;
    size_t good = t.n;
    for (size_t i = 0; i < t.n; i++)
        if (!oms_consistent(&ctx->claims->items[t.claims[i]]))
            good = i;
    if (t.n == 0 || good != t.n) {
        l = link_add(ctx, links, "base-model", name, 0,
                     t.n == 0 ? "no model signature for %s signed by a key in "
                                "policy.base_model.signers (%s)%s"
                              : "%s: a trusted model signature for it is inconsistent%.0s%s",
                     root, signer_list(&p->base_model_signers, &names), ignored_suffix(&t, &tmp));
        goto out;
    }
    uint8_t(*grown)[MS_SHA256_SIZE] = realloc(seen->digests, (seen->n + 1) * sizeof *grown);
    if (!grown) {
        rc = ms_error_nomem(ctx->err);
        goto out;
    }
    seen->digests = grown;
    memcpy(seen->digests[seen->n++], digest, MS_SHA256_SIZE);
    pushed = 1;
    if ((rc = base_nested(ctx, digest, depth, seen, &nested)) != 0)
        goto out;
    size_t failed = 0;
    for (size_t i = 0; i < nested.n; i++)
        failed += !nested.items[i].ok;
    l = link_add(ctx, links, "base-model", name, failed == 0,
                 "%s signed by \"%s\" (line %zu; files not present, not re-hashed)%s%s", root,
                 p->base_model_signers.names.items[t.signer[0]],
                 ctx->claims->items[t.claims[0]].line_number, failed ? "; its own chain fails" : "",
                 ignored_suffix(&t, &tmp));
    if (l) {
        l->links = nested.items;
        l->n_links = nested.n;
        nested.items = NULL;
        nested.n = 0;
    }
out:
    if (pushed)
        seen->n--;
    if (!rc && !l)
        rc = MS_ENOMEM;
    for (size_t i = 0; i < nested.n; i++)
        link_clear(&nested.items[i]);
    free(nested.items);
    trusted_set_clear(&t);
    ms_buf_free(&tmp);
    ms_buf_free(&names);
    return rc;
}

static int links_base(chain_ctx *ctx, const ms_chain_result *res, const ms_provenance *pv,
                      int state, link_list *links)
{
    const ms_policy *p = ctx->policy;
    seen_list seen = {0};
    char label[64];
    size_t n = 0;
    int rc = 0;
    if (!p->has_base_model)
        return link_add(ctx, links, "base-model", NULL, 1, "not required by the policy")
                   ? 0
                   : MS_ENOMEM;
    if (state < 0)
        return link_add(ctx, links, "base-model", NULL, 0,
                        "no trusted provenance to name the base model")
                   ? 0
                   : MS_ENOMEM;
    if (!(seen.digests = malloc(sizeof *seen.digests)))
        return ms_error_nomem(ctx->err);
    memcpy(seen.digests[0], res->model_digest, MS_SHA256_SIZE);
    seen.n = 1;
    for (size_t i = 0; pv && i < pv->n_deps && !rc; i++) {
        if (!is_role(&pv->deps[i], "base-model"))
            continue;
        n++;
        rc = link_base(ctx, &pv->deps[i], dep_label(&pv->deps[i], i, label, sizeof label), 1, &seen,
                       links);
    }
    if (!rc && n == 0 &&
        !link_add(ctx, links, "base-model", NULL, !p->base_model_required, "%s%s",
                  pv ? "the provenance names no base model" : "no provenance",
                  p->base_model_required ? " (policy.base_model.required)" : "; none required"))
        rc = MS_ENOMEM;
    free(seen.digests);
    return rc;
}

/* ---- the whole chain ---------------------------------------------------------------------- */

int ms_chain_verify(const ms_policy *policy, const char *model, const ms_chain_options *opts,
                    ms_chain_result *res, ms_error *err)
{
    static const ms_chain_options defaults;
    chain_ctx ctx = {.policy = policy, .opts = opts ? opts : &defaults, .err = err};
    link_list links = {0};
    ms_provenance *pv = NULL;
    char *claims_path = NULL;
    int state = 0, rc;
    ms_error e;

    memset(res, 0, sizeof *res);
    ms_error_clear(err);
    ctx.now = ctx.opts->now ? ctx.opts->now : (int64_t)time(NULL);
    if (ctx.opts->claims_path)
        claims_path = strdup(ctx.opts->claims_path);
    else if (!(claims_path = ms_claims_default_path(model, &e))) {
        rc = ms_error_set(err, e.code, "%s", e.message);
        goto out;
    }
    if (!claims_path) {
        rc = ms_error_nomem(err);
        goto out;
    }
    /* The claims file first: a malformed one is refused before any hashing. */
    if ((rc = ms_claims_read(claims_path, 1, &ctx.claims, &e)) != 0) {
        rc = ms_error_set(err, rc, "%s", e.message);
        goto out;
    }
    if (!(ctx.verified = calloc(ctx.claims->n ? ctx.claims->n : 1, sizeof *ctx.verified))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = link_policy(&ctx, &links)) != 0 || (rc = link_model(&ctx, model, &links, res)) != 0 ||
        (rc = link_provenance(&ctx, res, &links, &pv, &state)) != 0 ||
        (rc = links_datasets(&ctx, pv, state, &links)) != 0 ||
        (rc = link_code(&ctx, pv, state, &links)) != 0 ||
        (rc = links_base(&ctx, res, pv, state, &links)) != 0)
        goto out;
    for (size_t i = 0; i < links.n; i++) {
        if (links.items[i].ok)
            continue;
        if (res->n_failed++ == 0)
            ms_error_set(err, MS_EVERIFY, "%s%s%s: %s", links.items[i].link,
                         links.items[i].name ? " " : "",
                         links.items[i].name ? links.items[i].name : "", links.items[i].reason);
    }
    rc = res->n_failed ? MS_EVERIFY : 0;
out:
    if (rc == MS_ENOMEM)
        ms_error_nomem(err);
    res->links = links.items;
    res->n_links = links.n;
    ms_provenance_free(pv);
    for (size_t i = 0; ctx.verified && i < ctx.claims->n; i++)
        free(ctx.verified[i]);
    free(ctx.verified);
    ms_claims_free(ctx.claims);
    free(claims_path);
    return rc;
}
