/* The dataset and code links of a policy chain: the training inputs the model's provenance
 * names (chain.c has the rest).
 *
 * A dataset is trusted when a dataset signer's statement for its root digest signs the manifest
 * the provenance names; with a policy.datasets.data entry its files are re-hashed too. The code
 * is the one code dependency: its URI and ref allowed by the policy, its commit recorded and
 * clean (unless allowed), and with policy.code.repository reachable from an allowed ref. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <sodium.h>

#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "util/buf.h"

#include "chain_internal.h"

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
    if (d->named++ >= MS_CHAIN_MAX_NAMED_FILES)
        return;
    if (msx_buf_printf(&d->text, "%s%s %s", d->text.len ? ", " : "", kinds[kind], path))
        d->nomem = 1;
}

static const ms_policy_dataset_data *data_entry(const ms_policy *p, const char *name)
{
    for (size_t i = 0; name && i < p->n_datasets_data; i++)
        if (strcmp(p->datasets_data[i].name, name) == 0)
            return &p->datasets_data[i];
    return NULL;
}

/* That the manifest read is the one the dataset's signature and the provenance name: checked by
 * ms_dataset_verify_dir once it has read the manifest whole, before any difference is told. */
typedef struct data_binding {
    const char *manifest;
    const uint8_t *root, *manifest_digest;
    int failed;
} data_binding;

static int check_binding(void *p, const ms_dataset_info *info, ms_error *err)
{
    data_binding *b = p;
    if (sodium_memcmp(info->manifest_digest, b->manifest_digest, MS_SHA256_SIZE) != 0) {
        b->failed = 1;
        return ms_error_set(err, MS_EVERIFY,
                            "%s: not the signed manifest (manifest digest differs)", b->manifest);
    }
    if (sodium_memcmp(info->root_digest, b->root, MS_SHA256_SIZE) != 0) {
        b->failed = 1;
        return ms_error_set(err, MS_EVERIFY, "%s: root digest differs from the provenance's",
                            b->manifest);
    }
    return 0;
}

/* Re-hash a data directory against its manifest (datasets.data), reading the manifest once.
 * 0 or MS_EVERIFY with why. */
static int check_data(chain_ctx *ctx, const ms_policy_dataset_data *d,
                      const uint8_t root[MS_SHA256_SIZE],
                      const uint8_t manifest_digest[MS_SHA256_SIZE], ms_buf *why, uint64_t *files)
{
    ms_dataset_verify_options vo;
    ms_dataset_verify_result vr;
    diff_names names = {MS_BUF_INIT, 0, 0};
    data_binding binding = {d->manifest, root, manifest_digest, 0};
    ms_error e;
    int rc;
    memset(&vo, 0, sizeof vo);
    memset(&vr, 0, sizeof vr);
    vo.manifest_check = check_binding;
    vo.check_ctx = &binding;
    vo.threads = ctx->opts->dataset_threads;
    vo.diff = on_diff;
    vo.diff_ctx = &names;
    rc = ms_dataset_verify_dir(d->manifest, d->path, &vo, &vr, &e);
    if (rc == MS_ENOMEM || names.nomem)
        goto nomem;
    *files = binding.failed ? 0 : vr.files;
    if (rc == MS_EVERIFY && !binding.failed) {
        rc = msx_buf_printf(why, "%s: %llu changed, %llu missing, %llu extra: %s%s", d->path,
                            (unsigned long long)vr.changed, (unsigned long long)vr.missing,
                            (unsigned long long)vr.extra, (const char *)names.text.data,
                            names.named > MS_CHAIN_MAX_NAMED_FILES ? ", ..." : "")
                 ? MS_ENOMEM
                 : MS_EVERIFY;
        goto out;
    }
    if (rc) {
        rc = msx_buf_printf(why, "%s", e.message) ? MS_ENOMEM : MS_EVERIFY;
        goto out;
    }
    goto out;
nomem:
    rc = MS_ENOMEM;
out:
    msx_buf_free(&names.text);
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
    if (chain_parse_hex(digest, 64, root) != 0) {
        l = chain_add_link(ctx, links, "dataset", name, 0,
                           "the provenance gives no sha256 digest (64 lowercase hex) for it");
        goto out;
    }
    chain_root_text(root, root_hex);
    if (!dep->manifest_sha256 || chain_parse_hex(dep->manifest_sha256, 64, want) != 0) {
        l = chain_add_link(
            ctx, links, "dataset", name, 0,
            "the provenance gives no annotations.manifest_sha256 (64 lowercase hex)");
        goto out;
    }
    if ((rc = chain_collect(ctx, root, MS_DATASET_PREDICATE_TYPE, &p->dataset_signers,
                            "policy.datasets.signers", &t)) != 0)
        goto out;
    if (t.n == 0) {
        l = chain_add_link(ctx, links, "dataset", name, 0,
                           "no dataset statement for %s signed by a key in policy.datasets.signers "
                           "(%s)%s",
                           root_hex, chain_signer_list(&p->dataset_signers, &names),
                           chain_ignored_suffix(&t, &tmp));
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
            l = chain_add_link(ctx, links, "dataset", name, 0, "line %zu: %s", c->line_number,
                               e.message);
            goto out;
        }
        if (sodium_memcmp(info.manifest_digest, want, MS_SHA256_SIZE) != 0) {
            l = chain_add_link(ctx, links, "dataset", name, 0,
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
            l = chain_add_link(ctx, links, "dataset", name, 0, "%s", (const char *)why.data);
            goto out;
        }
        if (rc)
            goto out;
    }
    char files_text[64];
    if (d)
        snprintf(files_text, sizeof files_text, "%llu files re-hashed", (unsigned long long)files);
    l = chain_add_link(ctx, links, "dataset", name, 1, "%s signed by \"%s\" (line %zu); %s%s",
                       root_hex, p->dataset_signers.names.items[t.signer[0]],
                       ctx->claims->items[t.claims[0]].line_number,
                       d ? files_text : "data not re-hashed (no policy.datasets.data entry)",
                       chain_ignored_suffix(&t, &tmp));
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    ms_dataset_info_clear(&info);
    chain_trusted_clear(&t);
    msx_buf_free(&why);
    msx_buf_free(&tmp);
    msx_buf_free(&names);
    return rc;
}

int chain_links_datasets(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links)
{
    const ms_policy *p = ctx->policy;
    size_t before = links->n;
    char label[64];
    if (!p->has_datasets)
        return chain_add_link(ctx, links, "dataset", NULL, 1, "not required by the policy")
                   ? 0
                   : MS_ENOMEM;
    if (state < 0)
        return chain_add_link(ctx, links, "dataset", NULL, 0,
                              "no trusted provenance to name the datasets")
                   ? 0
                   : MS_ENOMEM;
    for (size_t i = 0; pv && i < pv->n_deps; i++) {
        if (!chain_is_role(&pv->deps[i], "dataset"))
            continue;
        int rc = link_dataset(ctx, &pv->deps[i],
                              chain_dep_label(&pv->deps[i], i, label, sizeof label), links);
        if (rc)
            return rc;
    }
    /* Named by the policy but not by the provenance. */
    for (size_t r = 0; r < p->datasets_required.n; r++) {
        const char *want = p->datasets_required.items[r];
        int found = 0;
        for (size_t i = before; i < links->n; i++)
            found |= links->items[i].name && strcmp(links->items[i].name, want) == 0;
        if (!found && !chain_add_link(ctx, links, "dataset", want, 0,
                                      "required by policy.datasets.required, not in the %s",
                                      pv ? "provenance" : "claims (no provenance)"))
            return MS_ENOMEM;
    }
    for (size_t k = 0; k < p->n_datasets_data; k++) {
        const char *want = p->datasets_data[k].name;
        int found = 0;
        for (size_t i = before; i < links->n; i++)
            found |= links->items[i].name && strcmp(links->items[i].name, want) == 0;
        if (!found && !chain_add_link(ctx, links, "dataset", want, 0,
                                      "listed in policy.datasets.data, not in the provenance"))
            return MS_ENOMEM;
    }
    if (links->n == before &&
        !chain_add_link(ctx, links, "dataset", NULL, 1,
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
        if (msx_buf_printf(why, "%s: cannot open the git repository: %s", repo_path, git_message()))
            rc = MS_ENOMEM;
        goto out;
    }
    if (git_oid_fromstr(&oid, hex) < 0 || git_commit_lookup(&commit, repo, &oid) < 0) {
        if (msx_buf_printf(why, "commit %s is not in %s", hex, repo_path))
            rc = MS_ENOMEM;
        goto out;
    }
    if (git_reference_iterator_new(&it, repo) < 0) {
        if (msx_buf_printf(why, "%s: cannot list references: %s", repo_path, git_message()))
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
    else if (msx_buf_printf(why,
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

int chain_link_code(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links)
{
    const ms_policy *p = ctx->policy;
    const ms_provenance_dependency *code = NULL;
    ms_buf why = MS_BUF_INIT;
    char *base = NULL, *via = NULL;
    ms_chain_link *l = NULL;
    size_t n = 0;
    int rc = 0;
    if (!p->has_code) {
        l = chain_add_link(ctx, links, "code", NULL, 1, "not required by the policy");
        goto out;
    }
    if (state < 0) {
        l = chain_add_link(ctx, links, "code", NULL, 0, "no trusted provenance to name the code");
        goto out;
    }
    for (size_t i = 0; pv && i < pv->n_deps; i++)
        if (chain_is_role(&pv->deps[i], "code")) {
            code = &pv->deps[i];
            n++;
        }
    if (n == 0) {
        l = chain_add_link(ctx, links, "code", NULL, !p->code_required, "%s%s",
                           pv ? "the provenance names no code dependency" : "no provenance",
                           p->code_required ? "" : "; not required");
        goto out;
    }
    if (n > 1) {
        l = chain_add_link(ctx, links, "code", NULL, 0,
                           "the provenance names %zu code dependencies (exactly one expected)", n);
        goto out;
    }
    if (!code->uri) {
        l = chain_add_link(ctx, links, "code", NULL, 0, "the code dependency has no uri");
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
    if (!chain_list_has(&p->code_uris, base)) {
        l = chain_add_link(ctx, links, "code", NULL, 0, "uri \"%s\" is not in policy.code.uris",
                           base);
        goto out;
    }
    int ref_ok = 0;
    for (size_t i = 0; ref && i < p->code_refs.n && !ref_ok; i++)
        ref_ok = ms_policy_ref_matches(p->code_refs.items[i], ref);
    if (!ref) {
        l = chain_add_link(ctx, links, "code", NULL, 0,
                           "no ref recorded (detached HEAD): policy.code.refs cannot be checked");
        goto out;
    }
    if (!ref_ok) {
        l = chain_add_link(ctx, links, "code", NULL, 0, "ref %s does not match policy.code.refs",
                           ref);
        goto out;
    }
    const char *commit = ms_provenance_dependency_digest(code, "gitCommit");
    uint8_t raw[20];
    if (chain_parse_hex(commit, 40, raw) != 0) {
        l = chain_add_link(ctx, links, "code", NULL, 0,
                           "no digest.gitCommit (40 lowercase hex) in the code dependency");
        goto out;
    }
    if (!p->allow_dirty && code->dirty != 0) {
        l = chain_add_link(
            ctx, links, "code", NULL, 0, "%s",
            code->dirty == 1 ? "built from a dirty working tree (policy.code.allow_dirty is false)"
                             : "the code dependency does not record annotations.dirty = false");
        goto out;
    }
    if (!p->code_repository) {
        l = chain_add_link(ctx, links, "code", NULL, 1,
                           "%s at %s, commit %s%s (commit not checked against a repository: no "
                           "policy.code.repository)",
                           base, ref, commit, code->dirty == 1 ? " (dirty, allowed)" : "");
        goto out;
    }
    rc = check_repository(ctx, p->code_repository, commit, &why, &via);
    if (rc == MS_EVERIFY) {
        rc = 0;
        l = chain_add_link(ctx, links, "code", NULL, 0, "%s", (const char *)why.data);
        goto out;
    }
    if (rc)
        goto out;
    l = chain_add_link(ctx, links, "code", NULL, 1,
                       "%s at %s, commit %s%s: in %s, reachable from %s", base, ref, commit,
                       code->dirty == 1 ? " (dirty, allowed)" : "", p->code_repository, via);
out:
    if (!rc && !l)
        rc = MS_ENOMEM;
    msx_buf_free(&why);
    free(base);
    free(via);
    return rc;
}
