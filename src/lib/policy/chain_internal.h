/* Internals shared by the policy chain verifier's parts: chain.c (the context, which claims
 * a role's signers vouch for, the policy and model links, ms_chain_verify), chain_provenance.c
 * (the provenance link and the base-model links) and chain_inputs.c (the dataset and code
 * links). Not installed; the symbols are hidden from the shared library's interface. */
#ifndef MODELSEAL_CHAIN_INTERNAL_H
#define MODELSEAL_CHAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/claims.h"
#include "modelseal/error.h"
#include "modelseal/policy.h"
#include "modelseal/provenance.h"
#include "util/buf.h"

#define MS_CHAIN_MAX_NAMED_FILES 10 /* differences named in a verdict */

/* One verification of one model: the policy, the claims file, and which claims verify with
 * which policy keys (each signature is checked at most once per key). */
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

/* The claims about one digest and predicate type that a role's signers vouch for. */
typedef struct trusted_set {
    size_t *claims; /* indices into ctx->claims */
    long *signer;   /* index into the role's signers */
    size_t n;
    ms_buf ignored; /* "line 3 signed by ..." for claims of this digest and type not trusted */
} trusted_set;

/* ---- links (chain.c) ---------------------------------------------------------------------- */

/* Append a verdict; NULL when out of memory (ctx->err set). */
ms_chain_link *chain_add_link(chain_ctx *ctx, link_list *list, const char *link, const char *name,
                              int ok, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Free a link's strings and nested links, and zero it. */
void chain_clear_link(ms_chain_link *l);

/* ---- small helpers (chain.c) -------------------------------------------------------------- */

/* "sha256:<hex>" into out. */
void chain_root_text(const uint8_t d[MS_SHA256_SIZE], char out[72]);
/* A lowercase hex string of exactly `n` digits decoded into out (n / 2 bytes); 0 or -1. */
int chain_parse_hex(const char *s, size_t n, uint8_t *out);
/* 1 when `v` is one of the strings of `s`. */
int chain_list_has(const ms_policy_strings *s, const char *v);
/* 1 when the dependency has this role. */
int chain_is_role(const ms_provenance_dependency *d, const char *role);
/* A dependency's label: its name, else "<role>[i]" written into buf. */
const char *chain_dep_label(const ms_provenance_dependency *d, size_t i, char *buf, size_t size);
/* The signers' names, comma-separated, in b (or "" when out of memory). */
const char *chain_signer_list(const ms_policy_signers *s, ms_buf *b);

/* ---- trust (chain.c) ---------------------------------------------------------------------- */

/* Every claim about `digest` of `type`, split into those a signer of `s` verifies and those
 * ignored (said so with the policy field `field`). 0 or a fatal code. */
int chain_collect(chain_ctx *ctx, const uint8_t digest[MS_SHA256_SIZE], const char *type,
                  const ms_policy_signers *s, const char *field, trusted_set *out);
void chain_trusted_clear(trusted_set *t);
/* " (ignored: ...)" when claims were ignored, else "". Points into t->ignored or a literal. */
const char *chain_ignored_suffix(trusted_set *t, ms_buf *tmp);

/* ---- the links after the model's own ------------------------------------------------------ */
/* Each appends its verdicts to `links`; 0 or a fatal code (ctx->err set). */

/* The provenance link (chain_provenance.c). *prov receives the trusted provenance when the
 * link holds; *state is 1 (holds, prov set), 0 (absent, not required) or -1 (failed). */
int chain_link_provenance(chain_ctx *ctx, const ms_chain_result *res, link_list *links,
                          ms_provenance **prov, int *state);
/* One link per dataset the provenance names or the policy requires (chain_inputs.c). */
int chain_links_datasets(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links);
/* The code link: the training commit (chain_inputs.c). */
int chain_link_code(chain_ctx *ctx, const ms_provenance *pv, int state, link_list *links);
/* One link per base model, each with its own chain nested (chain_provenance.c). */
int chain_links_base(chain_ctx *ctx, const ms_chain_result *res, const ms_provenance *pv, int state,
                     link_list *links);

#endif
