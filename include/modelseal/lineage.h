/* Lineage in git: which model and dataset versions each commit made (modelseal-lineage(1)).
 *
 * A repository opts in with `.modelseal.json` at its root, naming its tracked models (a
 * directory with model.sig and claims.jsonl, or a single file with FILE.sig) and dataset
 * manifests (a glob), each optionally with the public key that must have signed it. Everything
 * is read from commits with libgit2 — the configuration, the keys, the signatures and the files
 * (blobs are hashed in memory; a Git LFS pointer is checked by its `oid sha256:`). A large file
 * git's index calls clean is read from the working tree instead, and counts only when git's
 * object id over the bytes read is the commit's blob id: the working tree and the index never
 * decide what is judged.
 *
 * `record` writes one JSON note per commit under refs/notes/modelseal describing the tracked
 * artifacts the commit added, changed or removed. `log` walks history newest first, one commit
 * at a time, reading notes and falling back to the trees for commits without one. `find` traces
 * a root digest back to the commits that introduced it. `check` refuses commits that leave a
 * tracked artifact unsigned, not matching its signature, or signed by another key. Notes are
 * untrusted: a malformed or foreign note is reported and ignored. */
#ifndef MODELSEAL_LINEAGE_H
#define MODELSEAL_LINEAGE_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "hash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define MS_LINEAGE_CONFIG_FILE ".modelseal.json"
#define MS_LINEAGE_CONFIG_MAX ((size_t)1 << 20)
#define MS_LINEAGE_MAX_ENTRIES 10000
#define MS_LINEAGE_NOTES_REF "refs/notes/modelseal"
#define MS_LINEAGE_NOTE_MAX ((size_t)16 << 20)
#define MS_LFS_POINTER_MAX 1024

/* ---- configuration (lineage_config.c) ----------------------------------------------------- */

typedef struct ms_lineage_entry {
    char *path; /* relative to the repository root, normalised (no "./", no trailing '/') */
    char *key;  /* public key file, relative to the root; NULL when none is configured */
} ms_lineage_entry;

typedef struct ms_lineage_config {
    ms_lineage_entry *models; /* literal paths */
    size_t n_models;
    ms_lineage_entry *datasets; /* globs ('*', '?', '[...]' within one path component) */
    size_t n_datasets;
} ms_lineage_config;

/* Parse `.modelseal.json` text (untrusted, strict JSON, at most MS_LINEAGE_CONFIG_MAX bytes):
 * {"version":1,"models":[{"path":..,"key":..}],"datasets":[{"path":..,"key":..}]}; "models"
 * and "datasets" are optional, "key" is optional. An unknown field, a wrong type, a version
 * other than 1, or a path that is empty, absolute, has "." / ".." / empty components, a
 * backslash, or otherwise could leave the repository is MS_EINPUT naming the field
 * (".modelseal.json: datasets[0].path: ..."). *out is new (ms_lineage_config_free). */
MS_API int ms_lineage_config_parse(const uint8_t *text, size_t len, ms_lineage_config **out,
                                   ms_error *err);
MS_API void ms_lineage_config_free(ms_lineage_config *c);

/* 1 when `path` matches the glob `pattern` ('*' and '?' never match '/', '[...]' and '[!...]'
 * classes, '\' is not special), else 0. Both are '/'-separated relative paths. */
MS_API int ms_lineage_glob_match(const char *pattern, const char *path);

/* The leading components of `pattern` without glob characters ("data" for "data/ *.zst"):
 * the directory to search. Returns its length (0: the repository root). */
MS_API size_t ms_lineage_glob_prefix(const char *pattern);

/* ---- Git LFS pointers (lineage_tree.c) ---------------------------------------------------- */

/* Recognise a Git LFS pointer file by its content: exactly the three lines
 * "version https://git-lfs.github.com/spec/v1", "oid sha256:<64 lowercase hex>", "size <N>"
 * (decimal, no leading zeros), each ending in "\n", at most MS_LFS_POINTER_MAX bytes in all.
 * Returns 1 and fills oid/size when it is one, 0 when it is not (any other content). */
MS_API int ms_lfs_pointer_parse(const uint8_t *data, size_t len, uint8_t oid[MS_SHA256_SIZE],
                                uint64_t *size);

/* ---- operations on a repository ------------------------------------------------------------ */

/* Diagnostics that do not stop the operation (a foreign note, a commit read from its tree). */
typedef void (*ms_lineage_warn_fn)(void *ctx, const char *message);

typedef struct ms_lineage_options {
    const char *repo; /* a path inside the repository (discovered upwards); NULL: "." */
    ms_lineage_warn_fn warn;
    void *warn_ctx;
} ms_lineage_options;

/* Build the note for commit `rev` (NULL: HEAD) from its tree and its first parent's, and, when
 * `write` is set, store it under MS_LINEAGE_NOTES_REF (unchanged notes are not rewritten, so
 * recording twice changes nothing). The note text (compact JSON, one line) is put in `*note`
 * (optional; malloc'd, `*note_len` bytes, release with ms_free). `*written` (optional) is 1 when a
 * note was created or replaced. No .modelseal.json in the commit, or a malformed one: MS_EINPUT
 * naming the field. */
MS_API int ms_lineage_record(const ms_lineage_options *opts, const char *rev, int write,
                             char **note, size_t *note_len, int *written, ms_error *err);

/* A dataset an entry names (its provenance's "dataset" dependencies): NULL where the record has
 * JSON null. */
typedef struct ms_lineage_dataset_ref {
    const char *name;
    const char *digest; /* "sha256:<hex>" */
} ms_lineage_dataset_ref;

/* One commit of `lineage log`. Strings and arrays are valid during the callback only. */
typedef struct ms_lineage_log_entry {
    char commit[41];
    int64_t time;       /* committer time, unix seconds */
    int offset_minutes; /* committer time zone */
    const char *author; /* "Name <email>" */
    const char *path;
    const char *kind;                       /* "model" / "dataset" */
    const char *digest;                     /* "sha256:<hex>" or NULL (removed) */
    const char *previous;                   /* "sha256:<hex>" or NULL */
    const char *change;                     /* "added" / "changed" / "removed" */
    const char *signature;                  /* "valid" / "invalid" / "unsigned" */
    const ms_lineage_dataset_ref *datasets; /* in recorded order */
    size_t n_datasets;
    const char *datasets_json; /* the same as recorded: a JSON array of {"name","digest"}, with
                                  any other keys a note carries ("[]" when none) */
    const char *source;        /* "note" / "tree" */
} ms_lineage_log_entry;

typedef int (*ms_lineage_log_fn)(void *ctx, const ms_lineage_log_entry *e, ms_error *err);

/* Walk history from HEAD, newest first (committer time), one commit at a time, and call `fn`
 * for each commit that changed the artifact at `path`: from its note when it has a valid one,
 * else from its tree and its first parent's (source "tree"; a malformed or foreign note is
 * reported through opts->warn). Shallow boundaries and missing parents end the walk there. */
MS_API int ms_lineage_log(const ms_lineage_options *opts, const char *path, ms_lineage_log_fn fn,
                          void *ctx, ms_error *err);

/* One place a digest was found. */
typedef struct ms_lineage_hit {
    char commit[41];
    const char *path;
    const char *kind;   /* "model" / "dataset" */
    const char *source; /* "note" / "tree" */
} ms_lineage_hit;

typedef int (*ms_lineage_find_fn)(void *ctx, const ms_lineage_hit *hit, ms_error *err);

/* Find the commits that introduced an artifact whose root digest is `digest` ("sha256:<hex>"
 * or "<hex>"): notes naming it, and commits whose tree has a tracked artifact signed with that
 * subject digest (or a dataset manifest with that root) where the first parent did not. Newest
 * first. A malformed digest is MS_EINPUT. */
MS_API int ms_lineage_find(const ms_lineage_options *opts, const char *digest,
                           ms_lineage_find_fn fn, void *ctx, ms_error *err);

/* One refusal of `lineage check`. */
typedef struct ms_lineage_problem {
    char commit[41];  /* 40 hex, or "index" for the staged tree */
    const char *path; /* artifact or key path; NULL for the commit itself */
    const char *message;
} ms_lineage_problem;

typedef void (*ms_lineage_problem_fn)(void *ctx, const ms_lineage_problem *p);

typedef struct ms_lineage_check_options {
    const char *const *ranges; /* "A..B", "REV" or "^REV"; none: HEAD */
    size_t n_ranges;
    int staged;             /* check the index against HEAD instead of commits */
    const char *index_file; /* with staged: this index file (git's GIT_INDEX_FILE); NULL: the
                               repository's */
    int allow_key_change;   /* accept commits that change a configured key */
    int hide_remotes;       /* always leave out commits reachable from remote-tracking refs */
    ms_lineage_problem_fn problem;
    void *problem_ctx;
} ms_lineage_check_options;

/* Check every commit of the ranges (when no range excludes anything, or with hide_remotes,
 * commits reachable from a remote-tracking ref are left out). A commit is judged against each of
 * its parents; one without a parent (a root, or beyond a shallow boundary) against each base of
 * the ranges ("BASE.." or "^BASE"; a BASE that is a tree, such as the empty tree, excludes
 * nothing), whose everything it replaces, and against nothing when there is no base (a new
 * history). Each tracked model or dataset the commit adds or changes against any of them (all
 * of them when the configuration, a key or the parent changes) must be signed, match its
 * signature, and be signed by the configured key; a configured key added, removed or changed
 * against any of them is a problem unless allowed. With `staged`, the staged tree is judged
 * against HEAD and, while a merge is concluded, each MERGE_HEAD. 0 when all pass; MS_EVERIFY
 * after reporting each problem; MS_EINPUT for a bad range or configuration; `*checked`
 * (optional) counts the commits examined. */
MS_API int ms_lineage_check(const ms_lineage_options *opts, const ms_lineage_check_options *copts,
                            size_t *checked, ms_error *err);

/* Parse "sha256:<hex>" or "<hex>" (64 hex digits, any case) into 32 bytes. 0 or MS_EINPUT. */
MS_API int ms_lineage_parse_digest(const char *text, uint8_t out[MS_SHA256_SIZE], ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
