/* AI bill of materials (`modelseal sbom`): a CycloneDX 1.6 ML-BOM or an SPDX 3.0.1 AI/Dataset
 * document generated from a model's verified evidence.
 *
 * Two steps. Collecting reads model.sig and the claims file and keeps only what verifies with
 * the trusted keys (or what a policy's chain verification accepted): the model (name, root
 * digest), its SLSA provenance (training commit, builder, externalParameters), the datasets it
 * was trained on (with their dataset statements when those verify), the package dependencies
 * and the base models, recursively. Claims signed by other keys are left out and listed.
 * Rendering turns that evidence into a document: deterministic for the same evidence and
 * options (sorted arrays, identifiers derived from digests, one timestamp chosen by the caller),
 * pretty-printed JSON with two-space indentation and a final newline. */
#ifndef MODELSEAL_SBOM_H
#define MODELSEAL_SBOM_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "hash.h"
#include "manifest.h"
#include "policy.h"
#include "verify.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_SBOM_MAX_DEPTH 64 /* base models followed at most this deep (key mode) */
#define MS_SBOM_CYCLONEDX_SPEC "1.6"
#define MS_SBOM_SPDX_SPEC "3.0.1"
#define MS_SBOM_SPDX_CONTEXT "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"

typedef enum ms_sbom_format { MS_SBOM_CYCLONEDX = 1, MS_SBOM_SPDX = 2 } ms_sbom_format;

/* ---- evidence ----------------------------------------------------------------------------- */

typedef struct ms_sbom_dataset {
    char *name;
    char *version; /* NULL when not given */
    char *source;  /* the dataset's URI; NULL when not given */
    char *license; /* from a verified dataset statement; NULL otherwise */
    uint8_t root_digest[MS_SHA256_SIZE];
    int has_manifest_digest; /* annotations.manifest_sha256 of the provenance */
    uint8_t manifest_digest[MS_SHA256_SIZE];
    int has_statement; /* 1 when a dataset statement for this digest verified: files, bytes */
    uint64_t files, bytes;
} ms_sbom_dataset;

typedef struct ms_sbom_package {
    char *uri; /* a purl ("pkg:pypi/torch@2.5.1") or another URI */
    int has_sha256;
    uint8_t sha256[MS_SHA256_SIZE];
} ms_sbom_package;

typedef struct ms_sbom_code {
    char *url; /* the repository URL as recorded (the URI without "git+" and "@refs/...") */
    char *ref; /* "refs/heads/main"; NULL when HEAD was detached */
    char commit[41];
    int dirty;
} ms_sbom_code;

typedef struct ms_sbom_model {
    char *name; /* the signed subject name (a base model: its dependency name) */
    uint8_t digest[MS_SHA256_SIZE];
    int has_signature;  /* base models: 1 when their own model.sig claim verified */
    int has_provenance; /* a provenance for this digest verified */
    char *builder_id, *build_type;
    char *invocation_id, *started_on, *finished_on; /* NULL when absent */
    char *external_parameters_json; /* compact JSON text (owned); NULL without provenance */
    void *priv;                     /* the library's own (the parameters, parsed) */
    int has_code;
    ms_sbom_code code;
    ms_sbom_dataset *datasets; /* sorted by name, then digest; one per digest */
    size_t n_datasets;
    ms_sbom_package *packages; /* sorted by URI; one per URI */
    size_t n_packages;
    struct ms_sbom_model *bases; /* base models, sorted by name, then digest */
    size_t n_bases;
} ms_sbom_model;

typedef struct ms_sbom_evidence {
    ms_sbom_model model;
    char **left_out; /* one line per claim left out, in claims-file order */
    size_t n_left_out;
} ms_sbom_evidence;

MS_API void ms_sbom_evidence_free(ms_sbom_evidence *ev);

/* Trusted signers for one role: a claim is used when any entry verifies it. */
typedef struct ms_sbom_signers {
    const ms_trust *items;
    size_t n;
} ms_sbom_signers;

typedef struct ms_sbom_collect_options {
    const char *signature_path; /* NULL: MODEL/model.sig or MODEL.sig */
    const char *claims_path; /* NULL: MODEL/claims.jsonl or MODEL.claims.jsonl (missing = none) */
    ms_sbom_signers model;   /* model.sig */
    ms_sbom_signers provenance;  /* the model's SLSA provenance */
    ms_sbom_signers datasets;    /* dataset statements */
    ms_sbom_signers base_models; /* base models' model.sig and their provenance */
    int verify_model_files;      /* 1: also re-hash the model against model.sig */
    ms_manifest_options hash;    /* for that re-hash */
    /* 1: a claim that names (by its key hint) a trusted key of its role but whose signature
     * does not verify is a failure (MS_EVERIFY), not a claim to leave out. */
    int strict;
    unsigned max_depth; /* base-model depth (the direct base model is 1); 0: MS_SBOM_MAX_DEPTH */
} ms_sbom_collect_options;

/* Collect the verified evidence of `model`. model.sig must verify with opts->model (and, with
 * verify_model_files, the files must re-hash to it); the provenance used is every one for the
 * model's digest that verifies with opts->provenance (several must agree byte for byte); its
 * datasets, packages, code and base models come from it; a dataset's statement is used when it
 * verifies with opts->datasets and its manifest digest equals the provenance's; base models are
 * followed through their own provenance (opts->base_models) up to max_depth, a digest seen twice
 * on one path being a cycle. On success *out is new (ms_sbom_evidence_free).
 * 0; MS_EVERIFY when something it uses does not verify or disagrees (err says what);
 * MS_EINPUT for a malformed signature, claims file or statement; MS_EENV; MS_ENOMEM. */
MS_API int ms_sbom_collect(const char *model, const ms_sbom_collect_options *opts,
                           ms_sbom_evidence **out, ms_error *err);

/* Policy mode: verify `model`'s whole chain against `policy` (ms_chain_verify; `res` receives
 * the verdicts, clear it with ms_chain_result_clear), then collect the evidence with the
 * policy's signers per role (model.signers; provenance.signers; datasets.signers;
 * base_model.signers). A chain that does not verify is MS_EVERIFY (err names the first failed
 * link) and nothing is collected. */
MS_API int ms_sbom_collect_policy(const ms_policy *policy, const char *model,
                                  const ms_chain_options *chain, ms_chain_result *res,
                                  ms_sbom_evidence **out, ms_error *err);

/* ---- rendering ---------------------------------------------------------------------------- */

typedef struct ms_sbom_dataset_type {
    const char *name; /* a dataset's name */
    const char *type; /* an SPDX dataset type: audio, categorical, graph, image, noAssertion,
                         numeric, other, sensor, structured, syntactic, text, timeseries,
                         timestamp, video */
} ms_sbom_dataset_type;

typedef struct ms_sbom_options {
    const char *name;          /* the model's name (NULL: the signed subject name) */
    const char *version;       /* the model's version (NULL: none) */
    const char *supplier;      /* an organisation name (NULL: none) */
    const char *license;       /* an SPDX license expression for the model (NULL: none) */
    const char *type_of_model; /* SPDX ai_typeOfModel; CycloneDX architectureFamily */
    const char *namespace_iri; /* SPDX element ids live under it (NULL: derived from the digest) */
    const ms_sbom_dataset_type *dataset_types;
    size_t n_dataset_types;
    int64_t timestamp; /* unix seconds: CycloneDX metadata.timestamp, SPDX CreationInfo.created */
} ms_sbom_options;

/* "cyclonedx" or "spdx". 0, or MS_EINPUT for anything else. */
MS_API int ms_sbom_format_parse(const char *text, ms_sbom_format *out, ms_error *err);

/* Check the options before anything is collected: strings are UTF-8 without control
 * characters, the namespace is an absolute IRI without whitespace, dataset types are SPDX's,
 * the timestamp lies in years 1970..9999. MS_EINPUT naming the option. */
MS_API int ms_sbom_options_check(const ms_sbom_options *o, ms_error *err);

/* Render the document. Every --dataset-type name must be one of the evidence's datasets
 * (MS_EINPUT otherwise). *out is malloc'd (release with ms_free), *out_len bytes.
 * 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_sbom_render(ms_sbom_format format, const ms_sbom_evidence *ev,
                          const ms_sbom_options *o, char **out, size_t *out_len, ms_error *err);

/* An RFC 4122 version 5 (name-based, SHA-1) UUID of `name` in namespace `ns`, lowercase text
 * (36 characters + NUL). 0, or MS_ENOMEM when the digest cannot be computed. */
MS_API int ms_sbom_uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/* `t` (unix seconds) as "YYYY-MM-DDTHH:MM:SSZ". MS_EINPUT outside years 1970..9999. */
MS_API int ms_sbom_time_text(int64_t t, char out[32], ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
