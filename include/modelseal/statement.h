/* in-toto Statement v1: building the OMS signature payload from a manifest, and reading
 * statements back (the OMS predicate into a manifest, or any predicate generically).
 *
 * Parsing does not check the subject digest against the resources; the verifier does that. */
#ifndef MODELSEAL_STATEMENT_H
#define MODELSEAL_STATEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "export.h"
#include "hash.h"
#include "manifest.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_INTOTO_STATEMENT_TYPE "https://in-toto.io/Statement/v1"
#define MS_OMS_PREDICATE_TYPE "https://model_signing/signature/v1.0"
/* model_signing 0.2.0: one subject per file, empty predicate. Read-only history. */
#define MS_OMS_LEGACY_PREDICATE_TYPE "https://model_signing/Digests/v0.1"
#define MS_STATEMENT_MAX_SIZE ((size_t)64 << 20)
#define MS_STATEMENT_MAX_LEGACY_SUBJECTS 1000000

typedef struct ms_statement {
    char *subject_name; /* NULL for the legacy v0.1 predicate (it has one subject per file) */
    uint8_t subject_digest[MS_SHA256_SIZE]; /* legacy: the root computed over its subjects */
    char *predicate_type;
    ms_manifest *manifest; /* OMS predicates only (NULL from ms_statement_parse_generic);
                              model_name = subject name (NULL for legacy) */
    int legacy;            /* 1 when the predicate was MS_OMS_LEGACY_PREDICATE_TYPE */
    void *priv;            /* the parsed document (the library's own; do not touch) */
} ms_statement;

/* The OMS signature payload for `m`: compact JSON
 * {"_type":..., "subject":[{"name":model_name,"digest":{"sha256":hex root}}],
 *  "predicateType":"https://model_signing/signature/v1.0",
 *  "predicate":{"serialization":..., "resources":[...]}}.
 * Deterministic for a given manifest. *payload is malloc'd (release with ms_free), *len bytes.
 * 0, MS_EINPUT (no model name) or MS_ENOMEM. */
MS_API int ms_statement_build(const ms_manifest *m, char **payload, size_t *len, ms_error *err);

/* Parse an OMS statement (untrusted payload bytes): _type must be in-toto Statement v1, exactly
 * one subject with a name and a 64-hex sha256 digest, predicateType the OMS v1.0 one (predicate
 * with its serialization and resources) or the legacy v0.1 one (each
 * subject becomes a files/sha256 resource). Any other predicateType: MS_EINPUT "unsupported
 * predicateType". On success *out is new (ms_statement_free). 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_statement_parse(const uint8_t *payload, size_t len, ms_statement **out,
                              ms_error *err);

/* Parse any in-toto Statement v1 (exactly one subject with a sha256 digest; any predicateType;
 * the predicate, if present, must be an object). No manifest is built. */
MS_API int ms_statement_parse_generic(const uint8_t *payload, size_t len, ms_statement **out,
                                      ms_error *err);

/* The statement a parsed bundle's DSSE envelope carries: ms_statement_parse (generic = 0) or
 * ms_statement_parse_generic (generic = 1) on the envelope payload. MS_EINPUT when the bundle
 * has no DSSE envelope. The signature is NOT verified here. */
MS_API int ms_statement_from_bundle(const ms_bundle *bundle, int generic, ms_statement **out,
                                    ms_error *err);

/* The predicate object as compact JSON text in *out (malloc'd, release with ms_free), or
 * *out = NULL when the statement has none. 0 or MS_ENOMEM. */
MS_API int ms_statement_predicate_json(const ms_statement *st, char **out, ms_error *err);

MS_API void ms_statement_free(ms_statement *st);

#ifdef __cplusplus
}
#endif
#endif
