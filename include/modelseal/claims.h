/* The claims file: attestations that travel with a model (modelseal-claims(5)).
 *
 * JSON Lines, one compact Sigstore bundle per line, each carrying a DSSE-enveloped in-toto
 * Statement v1 (provenance, dataset signatures, a base model's model.sig, ...). MODEL/claims.jsonl
 * for a directory model (never hashed, like model.sig), MODEL.claims.jsonl beside a single file.
 * Lines are found by subject digest and predicate type, not by position.
 *
 * Reading is bounded (file size, line length) and strict: every line must be a bundle whose
 * payload is an in-toto statement; the first bad line is reported by number. Appending is
 * atomic (temporary file, fsync, rename, directory fsync) and serialised between processes by
 * an exclusive flock on the directory that holds the file; existing lines are kept byte for
 * byte and a line already present is not added twice. */
#ifndef MODELSEAL_CLAIMS_H
#define MODELSEAL_CLAIMS_H

#include <stddef.h>
#include <stdint.h>

#include "bundle.h"
#include "error.h"
#include "export.h"
#include "hash.h"
#include "statement.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_CLAIMS_MAX_SIZE ((size_t)256 << 20) /* whole file */
#define MS_CLAIMS_MAX_LINE ((size_t)16 << 20)  /* one line, without its newline */

typedef struct ms_claim {
    size_t line_number;      /* 1-based line in the file */
    char *text;              /* the line as stored, without its newline (NUL-terminated) */
    size_t len;              /* bytes of text */
    ms_bundle *bundle;       /* parsed bundle */
    ms_statement *statement; /* its payload, parsed with ms_statement_parse_generic */
} ms_claim;

typedef struct ms_claims {
    ms_claim *items;
    size_t n;
} ms_claims;

/* Parse claims text (untrusted): at most MS_CLAIMS_MAX_SIZE bytes, lines separated by "\n" (the
 * last one may lack it), each at most MS_CLAIMS_MAX_LINE bytes, non-empty, a Sigstore bundle
 * (ms_bundle_parse) with a DSSE envelope whose payload is an in-toto Statement v1. `what` names
 * the file in messages: "claims.jsonl: line 3: dsseEnvelope: missing". Empty text gives zero
 * claims. On success *out is new (ms_claims_free). 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_claims_parse(const uint8_t *text, size_t len, const char *what, ms_claims **out,
                           ms_error *err);

/* Read and parse the claims file `path`. A missing file is zero claims when `missing_ok`,
 * else MS_EINPUT. A file over MS_CLAIMS_MAX_SIZE is MS_EINPUT naming the limit. */
MS_API int ms_claims_read(const char *path, int missing_ok, ms_claims **out, ms_error *err);

/* Check one line that is about to be added (no newline, same rules as a line of the file).
 * `what` names its origin in messages. 0, MS_EINPUT or MS_ENOMEM. */
MS_API int ms_claims_check_line(const char *line, size_t len, const char *what, ms_error *err);

/* Add `n` lines (each without a newline; `lens` their lengths) to the claims file `path`,
 * creating it (mode 0644) if missing: under an exclusive lock, the current file is read and
 * checked (a malformed file is MS_EINPUT and is left untouched), lines already present (byte
 * equality) or repeated in `lines` are skipped, and the result is written atomically. The file
 * is rewritten only when something is added. `added` (optional) receives the number of new
 * lines. Every new line is checked first (ms_claims_check_line). 0, MS_EINPUT, MS_EENV or
 * MS_ENOMEM; on error the file is unchanged. */
MS_API int ms_claims_append(const char *path, const char *const *lines, const size_t *lens,
                            size_t n, size_t *added, ms_error *err);

/* The index of the first claim at or after `start` whose statement subject digest is `digest`
 * (sha256) and, when `predicate_type` is not NULL, whose predicateType equals it; c->n when
 * there is none. */
MS_API size_t ms_claims_find(const ms_claims *c, const uint8_t digest[MS_SHA256_SIZE],
                             const char *predicate_type, size_t start);

/* The default claims file of a model: MODEL/claims.jsonl for a directory, MODEL.claims.jsonl
 * beside a single file. malloc'd, or NULL with err set (a missing model is MS_EINPUT). */
MS_API char *ms_claims_default_path(const char *model, ms_error *err);

MS_API void ms_claims_free(ms_claims *c);

#ifdef __cplusplus
}
#endif
#endif
