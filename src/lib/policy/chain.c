/* Verifying a model's chain against a policy (`modelseal verify --policy`, modelseal-policy(5)).
 *
 * Links, in order: policy (current), model (model.sig by a model signer, files re-hashed),
 * provenance (SLSA v1 for the model's digest by a provenance signer, allow-lists), one dataset
 * link per dataset dependency, code (the training commit), one base-model link per base model
 * (recursively). Claims pair with the model and each other by digest; names only label links.
 * Trust comes only from the policy's keys: a claim signed by any other key is ignored (and
 * said so in the verdict), and every link the policy requires must be shown to hold. Any doubt
 * fails the link.
 *
 * This file: the verification context, which claims a role's signers vouch for, the policy and
 * model links, and the whole chain. The later links: chain_provenance.c (provenance, base
 * models) and chain_inputs.c (datasets, code). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modelseal/claims.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "modelseal/sign.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

#include "chain_internal.h"

/* ---- links and small helpers ------------------------------------------------------------- */

void chain_clear_link(ms_chain_link *l)
{
    free(l->link);
    free(l->name);
    free(l->reason);
    for (size_t i = 0; i < l->n_links; i++)
        chain_clear_link(&l->links[i]);
    free(l->links);
    memset(l, 0, sizeof *l);
}

void ms_chain_result_clear(ms_chain_result *res)
{
    if (!res)
        return;
    for (size_t i = 0; i < res->n_links; i++)
        chain_clear_link(&res->links[i]);
    free(res->links);
    free(res->model_name);
    ms_manifest_diff_clear(&res->diff);
    memset(res, 0, sizeof *res);
}

/* Append a verdict; NULL when out of memory (ctx->err set). */
ms_chain_link *chain_add_link(chain_ctx *ctx, link_list *list, const char *link, const char *name,
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
    int rc = msx_buf_vprintf(&reason, fmt, ap);
    va_end(ap);
    if (rc || !(l->link = strdup(link)) || (name && !(l->name = strdup(name))) ||
        !(l->reason = msx_buf_detach(&reason))) {
        chain_clear_link(l);
        goto nomem;
    }
    l->ok = ok;
    list->n++;
    return l;
nomem:
    msx_buf_free(&reason);
    ms_error_nomem(ctx->err);
    return NULL;
}

void chain_root_text(const uint8_t d[MS_SHA256_SIZE], char out[72])
{
    memcpy(out, "sha256:", 7);
    msx_hex_encode(d, MS_SHA256_SIZE, out + 7);
}

/* A lowercase hex string of exactly `n` digits decoded into out (n / 2 bytes). */
int chain_parse_hex(const char *s, size_t n, uint8_t *out)
{
    size_t got;
    if (!s || strlen(s) != n)
        return -1;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return -1;
    return msx_hex_decode(s, n, out, n / 2, &got) == 0 && got == n / 2 ? 0 : -1;
}

int chain_list_has(const ms_policy_strings *s, const char *v)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->items[i], v) == 0)
            return 1;
    return 0;
}

int chain_is_role(const ms_provenance_dependency *d, const char *role)
{
    return d->role && strcmp(d->role, role) == 0;
}

/* A dependency's label: its name, else "<role>[i]". */
const char *chain_dep_label(const ms_provenance_dependency *d, size_t i, char *buf, size_t size)
{
    if (d->name && d->name[0])
        return d->name;
    snprintf(buf, size, "%s[%zu]", d->role ? d->role : "dependency", i);
    return buf;
}

const char *chain_signer_list(const ms_policy_signers *s, ms_buf *b)
{
    msx_buf_reset(b);
    for (size_t i = 0; i < s->names.n; i++)
        if (msx_buf_printf(b, "%s%s", i ? ", " : "", s->names.items[i]))
            return "";
    return b->len ? (const char *)b->data : "";
}

/* ---- trust -------------------------------------------------------------------------------- */

void ms_policy_key_trust(const ms_policy_key *k, const ms_key **slot, ms_trust *t)
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
        ms_policy_key_trust(&ctx->policy->keys[k], &slot, &t);
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
    int rc = msx_buf_printf(note, "%sline %zu signed by %s%s%s", note->len ? "; " : "",
                            ctx->claims->items[c].line_number,
                            other ? "key \"" : "a key the policy does not name", other ? other : "",
                            other ? "\", not one of " : "");
    if (!rc && other)
        rc = msx_buf_append_str(note, field);
    return rc ? ms_error_nomem(ctx->err) : 0;
}

void chain_trusted_clear(trusted_set *t)
{
    free(t->claims);
    free(t->signer);
    msx_buf_free(&t->ignored);
    memset(t, 0, sizeof *t);
}

/* Every claim about `digest` of `type`, split into those a signer of `s` verifies and those
 * ignored. 0 or a fatal code. */
int chain_collect(chain_ctx *ctx, const uint8_t digest[MS_SHA256_SIZE], const char *type,
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
const char *chain_ignored_suffix(trusted_set *t, ms_buf *tmp)
{
    msx_buf_reset(tmp);
    if (!t->ignored.len || msx_buf_printf(tmp, " (ignored: %s)", (const char *)t->ignored.data))
        return "";
    return (const char *)tmp->data;
}

/* ---- policy and model links --------------------------------------------------------------- */

static int link_policy(chain_ctx *ctx, link_list *links)
{
    const ms_policy *p = ctx->policy;
    ms_chain_link *l;
    if (!p->has_expires)
        l = chain_add_link(ctx, links, "policy", NULL, 1, "%s: valid, no expiry date", p->file);
    else if (ms_policy_expired(p, ctx->now))
        l = chain_add_link(ctx, links, "policy", NULL, 0, "%s: expired at %s", p->file,
                           p->expires_text);
    else
        l = chain_add_link(ctx, links, "policy", NULL, 1, "%s: valid until %s", p->file,
                           p->expires_text);
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
        return chain_add_link(ctx, links, "model", NULL, 0, "%s", e.message) ? 0 : MS_ENOMEM;
    }
    if (!sig_path)
        return ms_error_nomem(ctx->err);
    for (size_t i = 0; i < p->model_signers.names.n; i++)
        if (msx_buf_printf(&names, "%s%s", i ? ", " : "", p->model_signers.names.items[i])) {
            rc = ms_error_nomem(ctx->err);
            goto out;
        }
    if (access(sig_path, F_OK) != 0) {
        rc = chain_add_link(ctx, links, "model", NULL, 0, "%s: missing (the model is not signed)",
                            sig_path)
                 ? 0
                 : MS_ENOMEM;
        goto out;
    }
    /* The default model.sig is inside the model, where a link is not expected. */
    if ((rc = msx_file_read_regular(sig_path, MS_BUNDLE_MAX_SIZE,
                                    ctx->opts->signature_path ? 0 : MS_FILE_NOFOLLOW, &bundle_json,
                                    &e)) != 0 ||
        (rc = ms_bundle_parse(bundle_json.data, bundle_json.len, &bundle, &e)) != 0) {
        rc = ms_error_set(ctx->err, rc, "%s: %s", sig_path, e.message);
        goto out;
    }
    /* Find the signer first (cheap), then hash the model once with that key alone. */
    long which = -1;
    for (size_t i = 0; i < p->model_signers.names.n && which < 0; i++) {
        const ms_key *slot;
        ms_trust t;
        ms_policy_key_trust(&p->keys[p->model_signers.index[i]], &slot, &t);
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
        rc = chain_add_link(ctx, links, "model", NULL, 0,
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
    ms_policy_key_trust(&p->keys[p->model_signers.index[which]], &slot, &t);
    t.at_time = ctx->now;
    vo.hash = ctx->opts->hash;
    vo.signature_path = sig_path;
    vo.extra_ignores = (const char *const *)p->model_ignore.items;
    vo.n_extra_ignores = p->model_ignore.n;
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
        /* Every file that differs goes into the result; the reason names the first few. */
        ms_manifest_diff_clear(&res->diff);
        res->diff = vr.diff;
        memset(&vr.diff, 0, sizeof vr.diff);
        /* Name the files that differ (the first few of each kind). */
        ms_buf files = MS_BUF_INIT;
        const struct {
            const char *kind;
            char **paths;
            size_t n;
        } kinds[] = {{"changed", res->diff.changed, res->diff.n_changed},
                     {"missing", res->diff.missing, res->diff.n_missing},
                     {"extra", res->diff.extra, res->diff.n_extra}};
        size_t named = 0;
        int brc = 0;
        for (size_t k = 0; k < 3; k++)
            for (size_t i = 0; i < kinds[k].n; i++)
                if (named++ < MS_CHAIN_MAX_NAMED_FILES)
                    brc |= msx_buf_printf(
                        &files, "%s%s %s%s", files.len ? ", " : ": ", kinds[k].kind,
                        kinds[k].paths[i],
                        k == 2 && ms_manifest_diff_is_empty_extra(&res->diff, kinds[k].paths[i])
                            ? " " MS_EMPTY_FILE_NOTE
                            : "");
        if (named > MS_CHAIN_MAX_NAMED_FILES)
            brc |= msx_buf_append_str(&files, ", ...");
        rc = !brc && chain_add_link(ctx, links, "model", NULL, 0, "%s%s", e.message,
                                    files.len ? (const char *)files.data : "")
                 ? 0
                 : ms_error_nomem(ctx->err);
        msx_buf_free(&files);
        goto out;
    }
    chain_root_text(vr.statement->subject_digest, root);
    rc = chain_add_link(ctx, links, "model", NULL, 1,
                        "%s signed by \"%s\"; %zu file%s re-hashed, root %s", sig_path,
                        p->model_signers.names.items[which], vr.n_files, vr.n_files == 1 ? "" : "s",
                        root)
             ? 0
             : MS_ENOMEM;
out:
    ms_verify_result_clear(&vr);
    ms_bundle_free(bundle);
    msx_buf_free(&bundle_json);
    msx_buf_free(&names);
    free(sig_path);
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
        (rc = chain_link_provenance(&ctx, res, &links, &pv, &state)) != 0 ||
        (rc = chain_links_datasets(&ctx, pv, state, &links)) != 0 ||
        (rc = chain_link_code(&ctx, pv, state, &links)) != 0 ||
        (rc = chain_links_base(&ctx, res, pv, state, &links)) != 0)
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
