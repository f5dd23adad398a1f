/* SLSA Provenance v1 for a trained model (modelseal-claims(5)): building the in-toto statement
 * `modelseal attest provenance` signs, reading one back for the chain policy, and the facts
 * about the training code's git checkout (libgit2).
 *
 * The statement's single subject is the model as its model.sig names it. Its
 * buildDefinition.resolvedDependencies carry annotations.role: "code" (uri git+<url>@<ref>,
 * digest gitCommit, annotations.dirty), "dataset" (digest sha256 = the dataset root,
 * annotations.version and manifest_sha256), "base-model" (digest sha256 = its root) and
 * "package" (a purl, digest when given), in that order. */
#ifndef MODELSEAL_PROVENANCE_H
#define MODELSEAL_PROVENANCE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "hash.h"
#include "statement.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_SLSA_PROVENANCE_PREDICATE_TYPE "https://slsa.dev/provenance/v1"
#define MS_PROVENANCE_DEFAULT_BUILD_TYPE "https://modelseal/training/v1"
#define MS_PROVENANCE_MAX_DEPENDENCIES 100000
#define MS_PROVENANCE_MAX_DIGESTS 64

/* ---- git (gitinfo.c) ---------------------------------------------------------------------- */

typedef struct ms_git_info {
    char commit[41]; /* HEAD's commit, 40 lowercase hex */
    char *ref;       /* HEAD's symbolic ref ("refs/heads/main"); NULL when HEAD is detached */
    char *url;       /* the remote's URL exactly as configured, or "file://<repository path>"
                        when the repository has no such remote */
    int has_remote;  /* 1 when url came from the remote */
    char *path;      /* the working tree (or, for a bare repository, the git directory),
                        absolute, without a trailing slash */
    int dirty;       /* modified/staged tracked files, or untracked files not ignored */
} ms_git_info;

/* Describe the repository that holds `start` (a path inside its working tree; NULL: the
 * current directory), found the way `git` finds it (walking up). `remote` names the remote
 * whose URL is recorded (NULL: "origin"); a missing remote gives the file:// form. No repository
 * is MS_EINPUT "<path>: not in a git repository"; an unborn HEAD (no commit yet) is MS_EINPUT.
 * Fill `info` (clear it with ms_git_info_clear). 0, MS_EINPUT, MS_EENV or MS_ENOMEM. */
MS_API int ms_git_info_load(const char *start, const char *remote, ms_git_info *info,
                            ms_error *err);

/* Release what `info` holds and zero it. Accepts NULL. */
MS_API void ms_git_info_clear(ms_git_info *info);

/* ---- provenance --------------------------------------------------------------------------- */

typedef struct ms_provenance_digest {
    char *algorithm; /* "sha256", "gitCommit", ... */
    char *value;
} ms_provenance_digest;

/* One resolvedDependencies entry (an in-toto ResourceDescriptor). */
typedef struct ms_provenance_dependency {
    char *role; /* annotations.role ("code", "dataset", "base-model", "package"); NULL if none */
    char *name; /* NULL when absent */
    char *uri;  /* NULL when absent */
    ms_provenance_digest *digests; /* in document order */
    size_t n_digests;
    /* From the annotations object (read them; the library keeps them in step with it): */
    char *manifest_sha256;  /* annotations.manifest_sha256; NULL when absent or not a string */
    char *version;          /* annotations.version; NULL when absent or not a string */
    int dirty;              /* annotations.dirty: 1, 0, or -1 when absent or not a boolean */
    char *annotations_json; /* the annotations object as compact JSON; NULL when absent */
    void *priv;             /* the library's own (the annotations, parsed) */
} ms_provenance_dependency;

typedef struct ms_provenance {
    char *subject_name;
    uint8_t subject_digest[MS_SHA256_SIZE];
    char *build_type; /* buildDefinition.buildType */
    void *priv;       /* the library's own (externalParameters, parsed; see
                         ms_provenance_parameters_json) */
    ms_provenance_dependency *deps;
    size_t n_deps;
    char *builder_id;      /* runDetails.builder.id */
    char *builder_version; /* runDetails.builder.version.modelseal; NULL when absent */
    char *invocation_id;   /* runDetails.metadata.invocationId; NULL when absent */
    char *started_on;      /* runDetails.metadata.startedOn; NULL when absent */
    char *finished_on;     /* runDetails.metadata.finishedOn; NULL when absent */
} ms_provenance;

/* A new, empty provenance: build type MS_PROVENANCE_DEFAULT_BUILD_TYPE, externalParameters {}.
 * NULL when out of memory. */
MS_API ms_provenance *ms_provenance_new(void);
MS_API void ms_provenance_free(ms_provenance *p);

/* Set a string field (a copy; NULL clears it). 0 or MS_ENOMEM. */
MS_API int ms_provenance_set_string(char **field, const char *value, ms_error *err);

/* Replace externalParameters with the JSON text `json` (strict JSON, at most 16 MiB), which must
 * be an object. `what` names the source in messages ("params.json: not a JSON object").
 * 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_provenance_set_parameters(ms_provenance *p, const uint8_t *json, size_t len,
                                        const char *what, ms_error *err);

/* Add "KEY=VALUE" (split at the first '=') to externalParameters as a string, replacing a
 * parameter of the same name. An empty key or no '=' is MS_EINPUT. */
MS_API int ms_provenance_add_parameter(ms_provenance *p, const char *key_value, ms_error *err);

/* Dependencies, added in the order the statement lists them (code, datasets, base models,
 * packages; the builder does not reorder).
 * code: uri "git+<url>@<ref>" ("git+<url>" when ref is NULL), digest gitCommit (40 hex).
 * dataset: `source` and `version` may be NULL (uri then absent, annotations.version null).
 * package: `uri` non-empty; `sha256_hex` NULL or 64 hex digits (stored lowercase).
 * 0, MS_EINPUT (malformed value, naming it) or MS_ENOMEM. */
MS_API int ms_provenance_add_code(ms_provenance *p, const ms_git_info *git, ms_error *err);
MS_API int ms_provenance_add_dataset(ms_provenance *p, const char *name, const char *source,
                                     const char *version, const uint8_t root[MS_SHA256_SIZE],
                                     const uint8_t manifest_digest[MS_SHA256_SIZE], ms_error *err);
MS_API int ms_provenance_add_base_model(ms_provenance *p, const char *name,
                                        const uint8_t root[MS_SHA256_SIZE], ms_error *err);
MS_API int ms_provenance_add_package(ms_provenance *p, const char *uri, const char *sha256_hex,
                                     ms_error *err);

/* Parse "--dependency URI[=sha256:HEX]": split at the last "=sha256:". *uri and *hex are
 * malloc'd (*hex NULL when no digest is given). 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_provenance_split_dependency(const char *arg, char **uri, char **hex, ms_error *err);

/* Normalise an RFC 3339 date-time ("2025-01-31T12:00:00Z", "...T13:00:00.5+01:00") to UTC with a
 * "Z" (fraction digits kept): `out` needs 64 bytes. `field` names it in messages. 0 or MS_EINPUT.
 */
MS_API int ms_provenance_rfc3339_utc(const char *text, const char *field, char out[64],
                                     ms_error *err);

/* The current time as RFC 3339 UTC with seconds ("2025-01-31T12:00:00Z"). */
MS_API void ms_provenance_now(char out[64]);

/* The statement payload, compact JSON, in this key order:
 * {"_type","subject":[{"name","digest":{"sha256"}}],"predicateType":"https://slsa.dev/provenance/v1",
 *  "predicate":{"buildDefinition":{"buildType","externalParameters","resolvedDependencies"},
 *   "runDetails":{"builder":{"id","version":{"modelseal":ms_version()}},
 *    "metadata":{"invocationId"?,"startedOn"?,"finishedOn"?}}}}.
 * Dependencies are written name, uri, digest, annotations (each when present). The subject name
 * and builder id are required (MS_EINPUT naming the field). *payload is malloc'd (release
 * with ms_free), *len bytes. 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_provenance_build(const ms_provenance *p, char **payload, size_t *len, ms_error *err);

/* Read a provenance statement (from ms_statement_parse_generic; untrusted): predicateType must
 * be SLSA v1, buildDefinition.buildType a string, externalParameters an object,
 * resolvedDependencies (optional) an array of objects whose name/uri are strings, digest an
 * object of strings and annotations an object (role, when present, a string), and
 * runDetails.builder.id a string. Every type is checked; messages name the field
 * ("predicate.buildDefinition.resolvedDependencies[2].digest.sha256: not a string").
 * On success *out is new (ms_provenance_free). 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_provenance_parse(const ms_statement *st, ms_provenance **out, ms_error *err);

/* The digest value for `algorithm` ("sha256", "gitCommit"), or NULL. */
MS_API const char *ms_provenance_dependency_digest(const ms_provenance_dependency *d,
                                                   const char *algorithm);

/* The names of externalParameters, in document order: the i-th, or NULL past the end. */
MS_API const char *ms_provenance_parameter_key(const ms_provenance *p, size_t i);

/* buildDefinition.externalParameters as compact JSON text (an object; "{}" when there are no
 * parameters). *out is malloc'd (release with ms_free). 0 or MS_ENOMEM. */
MS_API int ms_provenance_parameters_json(const ms_provenance *p, char **out, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
