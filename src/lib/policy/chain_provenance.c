/* The provenance and base-model links of a policy chain (chain.c has the rest).
 *
 * Provenance: every SLSA v1 statement for the model's digest that a provenance signer vouches
 * for must parse, pass the policy's allow-lists and agree with the others. Base models: each
 * base model the provenance names needs a consistent model signature by a base-model signer,
 * then its own provenance and base models, recursively, as nested links, bounded in depth and
 * in number, and refused on a cycle. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "attest/provenance_json.h"
#include "modelseal/claims.h"
#include "modelseal/manifest.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/statement.h"
#include "util/buf.h"

#include "chain_internal.h"

#define MAX_BASE_LINKS                                                                             \
    4096 /* base-model links in one chain (a DAG of shared bases is a tree of                      \
            paths here: bound the work, fail closed beyond) */

/* ---- provenance --------------------------------------------------------------------------- */

/* The allow-lists of policy.provenance (top model only). 0 or MS_EVERIFY with `why`. */
static int check_allow_lists(const ms_policy *p, const ms_provenance *pv, ms_buf *why)
{
    if (!chain_list_has(&p->builder_ids, pv->builder_id))
        return msx_buf_printf(why, "builder id \"%s\" is not in policy.provenance.builder_ids",
                              pv->builder_id)
                   ? MS_ENOMEM
                   : MS_EVERIFY;
    if (p->has_build_types && !chain_list_has(&p->build_types, pv->build_type))
        return msx_buf_printf(why, "build type \"%s\" is not in policy.provenance.build_types",
                              pv->build_type)
                   ? MS_ENOMEM
                   : MS_EVERIFY;
    if (p->has_allowed_parameters) {
        const char *k;
        for (size_t i = 0; (k = ms_provenance_parameter_key(pv, i)) != NULL; i++)
            if (!chain_list_has(&p->allowed_parameters, k))
                return msx_buf_printf(why,
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
        !cJSON_Compare(provenance_parameters(a), provenance_parameters(b), 1) ||
        a->n_deps != b->n_deps)
        return 0;
    for (size_t i = 0; i < a->n_deps; i++) {
        const ms_provenance_dependency *x = &a->deps[i], *y = &b->deps[i];
        if (!x->role != !y->role || (x->role && strcmp(x->role, y->role) != 0) ||
            !x->name != !y->name || (x->name && strcmp(x->name, y->name) != 0) ||
            !x->uri != !y->uri || (x->uri && strcmp(x->uri, y->uri) != 0) ||
            x->n_digests != y->n_digests ||
            !provenance_annotations(x) != !provenance_annotations(y) ||
            (provenance_annotations(x) &&
             !cJSON_Compare(provenance_annotations(x), provenance_annotations(y), 1)))
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
            rc = msx_buf_printf(why, "line %zu: %s", c->line_number, e.message) ? MS_ENOMEM
                                                                                : MS_EVERIFY;
            goto out;
        }
        ms_buf detail = MS_BUF_INIT;
        rc = allow ? check_allow_lists(ctx->policy, pv, &detail) : 0;
        if (rc == MS_EVERIFY &&
            msx_buf_printf(why, "line %zu: %s", c->line_number, (const char *)detail.data))
            rc = MS_ENOMEM;
        msx_buf_free(&detail);
        if (!rc && first && !provenances_agree(first, pv))
            rc = msx_buf_printf(why,
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

/* The provenance link. *prov receives the trusted provenance when the link holds; *state is
 * 1 (holds, prov set), 0 (absent, not required) or -1 (failed). */
int chain_link_provenance(chain_ctx *ctx, const ms_chain_result *res, link_list *links,
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
        l = chain_add_link(ctx, links, "provenance", NULL, 1, "not required by the policy");
        goto out;
    }
    if (!res->has_digest) {
        *state = -1;
        l = chain_add_link(ctx, links, "provenance", NULL, 0,
                           "no verified model digest to look up (the model link failed)");
        goto out;
    }
    chain_root_text(res->model_digest, root);
    if ((rc = chain_collect(ctx, res->model_digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE,
                            &p->provenance_signers, "policy.provenance.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        *state = p->provenance_required ? -1 : 0;
        l = chain_add_link(ctx, links, "provenance", NULL, !p->provenance_required,
                           "no provenance for %s signed by a key in policy.provenance.signers "
                           "(%s)%s%s",
                           root, chain_signer_list(&p->provenance_signers, &names),
                           p->provenance_required ? "" : "; not required",
                           chain_ignored_suffix(&t, &tmp));
        goto out;
    }
    rc = read_provenances(ctx, &t, 1, prov, &why);
    if (rc == MS_EVERIFY) {
        *state = -1;
        l = chain_add_link(ctx, links, "provenance", NULL, 0, "%s%s", (const char *)why.data,
                           chain_ignored_suffix(&t, &tmp));
        rc = 0;
        goto out;
    }
    if (rc)
        goto out;
    *state = 1;
    size_t line = ctx->claims->items[t.claims[0]].line_number;
    l = chain_add_link(ctx, links, "provenance", NULL, 1,
                       "line %zu signed by \"%s\"%s: builder %s, build type %s%s", line,
                       p->provenance_signers.names.items[t.signer[0]],
                       t.n > 1 ? " (and agreeing lines)" : "", (*prov)->builder_id,
                       (*prov)->build_type, chain_ignored_suffix(&t, &tmp));
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    chain_trusted_clear(&t);
    msx_buf_free(&why);
    msx_buf_free(&tmp);
    msx_buf_free(&names);
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
    chain_root_text(digest, root);
    if ((rc = chain_collect(ctx, digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, &p->base_model_signers,
                            "policy.base_model.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        if (p->require_provenance &&
            !chain_add_link(ctx, nested, "provenance", NULL, 0,
                            "no provenance for %s signed by a key in policy.base_model.signers "
                            "(policy.base_model.require_provenance)%s",
                            root, chain_ignored_suffix(&t, &tmp)))
            rc = MS_ENOMEM;
        goto out;
    }
    rc = read_provenances(ctx, &t, 0, &pv, &why);
    if (rc == MS_EVERIFY) {
        rc = chain_add_link(ctx, nested, "provenance", NULL, 0, "%s", (const char *)why.data)
                 ? 0
                 : MS_ENOMEM;
        goto out;
    }
    if (rc)
        goto out;
    if (!chain_add_link(ctx, nested, "provenance", NULL, 1, "line %zu signed by \"%s\": builder %s",
                        ctx->claims->items[t.claims[0]].line_number,
                        p->base_model_signers.names.items[t.signer[0]], pv->builder_id)) {
        rc = MS_ENOMEM;
        goto out;
    }
    for (size_t i = 0; i < pv->n_deps; i++) {
        if (!chain_is_role(&pv->deps[i], "base-model"))
            continue;
        if ((rc =
                 link_base(ctx, &pv->deps[i], chain_dep_label(&pv->deps[i], i, label, sizeof label),
                           depth + 1, seen, nested)) != 0)
            goto out;
    }
out:
    ms_provenance_free(pv);
    chain_trusted_clear(&t);
    msx_buf_free(&why);
    msx_buf_free(&tmp);
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
    if (chain_parse_hex(ms_provenance_dependency_digest(dep, "sha256"), 64, digest) != 0) {
        l = chain_add_link(ctx, links, "base-model", name, 0,
                           "the provenance gives no sha256 digest (64 lowercase hex) for it");
        goto out;
    }
    chain_root_text(digest, root);
    if (++ctx->base_links > MAX_BASE_LINKS) {
        l = chain_add_link(ctx, links, "base-model", name, 0,
                           "%s: more than %d base-model links in the chain", root, MAX_BASE_LINKS);
        goto out;
    }
    if (depth > p->max_depth) {
        l = chain_add_link(
            ctx, links, "base-model", name, 0,
            "%s: the chain of base models is deeper than policy.base_model.max_depth "
            "(%u)",
            root, p->max_depth);
        goto out;
    }
    for (size_t i = 0; i < seen->n; i++)
        if (memcmp(seen->digests[i], digest, MS_SHA256_SIZE) == 0) {
            l = chain_add_link(ctx, links, "base-model", name, 0,
                               "%s: cycle (this digest already appears in the chain)", root);
            goto out;
        }
    if ((rc = chain_collect(ctx, digest, MS_OMS_PREDICATE_TYPE, &p->base_model_signers,
                            "policy.base_model.signers", &t)) != 0)
        goto out;
    size_t good = t.n;
    for (size_t i = 0; i < t.n; i++)
        if (!oms_consistent(&ctx->claims->items[t.claims[i]]))
            good = i;
    if (t.n == 0 || good != t.n) {
        l = chain_add_link(ctx, links, "base-model", name, 0,
                           t.n == 0 ? "no model signature for %s signed by a key in "
                                      "policy.base_model.signers (%s)%s"
                                    : "%s: a trusted model signature for it is inconsistent%.0s%s",
                           root, chain_signer_list(&p->base_model_signers, &names),
                           chain_ignored_suffix(&t, &tmp));
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
    l = chain_add_link(ctx, links, "base-model", name, failed == 0,
                       "%s signed by \"%s\" (line %zu; files not present, not re-hashed)%s%s", root,
                       p->base_model_signers.names.items[t.signer[0]],
                       ctx->claims->items[t.claims[0]].line_number,
                       failed ? "; its own chain fails" : "", chain_ignored_suffix(&t, &tmp));
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
        chain_clear_link(&nested.items[i]);
    free(nested.items);
    chain_trusted_clear(&t);
    msx_buf_free(&tmp);
    msx_buf_free(&names);
    return rc;
}

int chain_links_base(chain_ctx *ctx, const ms_chain_result *res, const ms_provenance *pv, int state,
                     link_list *links)
{
    const ms_policy *p = ctx->policy;
    seen_list seen = {0};
    char label[64];
    size_t n = 0;
    int rc = 0;
    if (!p->has_base_model)
        return chain_add_link(ctx, links, "base-model", NULL, 1, "not required by the policy")
                   ? 0
                   : MS_ENOMEM;
    if (state < 0)
        return chain_add_link(ctx, links, "base-model", NULL, 0,
                              "no trusted provenance to name the base model")
                   ? 0
                   : MS_ENOMEM;
    if (!(seen.digests = malloc(sizeof *seen.digests)))
        return ms_error_nomem(ctx->err);
    memcpy(seen.digests[0], res->model_digest, MS_SHA256_SIZE);
    seen.n = 1;
    for (size_t i = 0; pv && i < pv->n_deps && !rc; i++) {
        if (!chain_is_role(&pv->deps[i], "base-model"))
            continue;
        n++;
        rc = link_base(ctx, &pv->deps[i], chain_dep_label(&pv->deps[i], i, label, sizeof label), 1,
                       &seen, links);
    }
    if (!rc && n == 0 &&
        !chain_add_link(ctx, links, "base-model", NULL, !p->base_model_required, "%s%s",
                        pv ? "the provenance names no base model" : "no provenance",
                        p->base_model_required ? " (policy.base_model.required)"
                                               : "; none required"))
        rc = MS_ENOMEM;
    free(seen.digests);
    return rc;
}
