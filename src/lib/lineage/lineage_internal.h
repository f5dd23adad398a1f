/* Internal to the lineage module: the per-commit view of tracked artifacts shared by
 * lineage_tree.c (reading trees and blobs) and lineage_notes.c (notes, log, find, check). */
#ifndef MODELSEAL_LINEAGE_INTERNAL_H
#define MODELSEAL_LINEAGE_INTERNAL_H

#include <sys/stat.h>

#include <git2.h>

#include <cjson/cJSON.h>

#include "modelseal/lineage.h"
#include "modelseal/manifest.h"
#include "util/buf.h"

/* Nothing here is part of the library's interface (nothing is exported without MS_API,
 * include/modelseal/export.h). */

typedef enum lin_kind { LIN_MODEL = 0, LIN_DATASET = 1 } lin_kind;
typedef enum lin_sig { LIN_UNSIGNED = 0, LIN_VALID = 1, LIN_INVALID = 2 } lin_sig;

/* What identifies an artifact's content in a tree: the entry itself (a tree for a directory
 * model, a blob otherwise), its signature blob and its claims blob (zero when absent); for a
 * model that is a Hugging Face cache snapshot, also its repository's blobs/ tree (the bytes its
 * links stand for). */
typedef struct lin_ident {
    int present;
    git_oid entry, sig, claims, blobs;
} lin_ident;

/* One artifact's state in one commit. */
typedef struct lin_state {
    int present;
    int has_digest;
    uint8_t digest[MS_SHA256_SIZE];
    char *name;
    lin_sig sig;
    char *signer;    /* key hint or certificate identity; NULL when unknown */
    char *reason;    /* why the signature is invalid / why there is no digest */
    cJSON *claims;   /* [{predicateType, digest}] */
    cJSON *datasets; /* [{name, digest}] from the provenance */
} lin_state;

void lin_state_clear(lin_state *s);

/* A commit's tree with its configuration (NULL when the tree has no .modelseal.json). */
typedef struct lin_view {
    git_repository *repo;
    git_tree *tree; /* owned */
    ms_lineage_config *config;
    git_oid config_oid;
    int has_config;
} lin_view;

/* Open the repository named by opts (discovered upwards) after initialising libgit2 (balanced
 * by lin_close). */
int lin_open(const ms_lineage_options *opts, git_repository **repo, ms_error *err);
/* The same; with scan_index, a thread meanwhile scans the index of the repository the path most
 * likely names, for the checked-out files worth reading (see worktree_mark and
 * lin_index_prefetch_start). */
int lin_open_ex(const ms_lineage_options *opts, int scan_index, git_repository **repo,
                ms_error *err);
void lin_close(git_repository *repo);

/* Fill `v` for `tree` (taken over) and parse its configuration. A malformed configuration is
 * MS_EINPUT with `what` ("commit abc123") prefixed to the message. */
int lin_view_init(lin_view *v, git_repository *repo, git_tree *tree, const char *what,
                  ms_error *err);
void lin_view_clear(lin_view *v);

/* The blob at `path` in `tree`: 1 with *out, 0 when absent or not a blob, < 0 on error. */
int lin_blob_at(git_repository *repo, git_tree *tree, const char *path, git_blob **out,
                ms_error *err);

/* The identity of the artifact at `path` (kind decides where its signature lives). */
int lin_ident_get(git_repository *repo, git_tree *tree, lin_kind kind, const char *path,
                  lin_ident *id, ms_error *err);
int lin_ident_equal(const lin_ident *a, const lin_ident *b);

/* Matching dataset manifest paths of a glob in a tree: sorted, malloc'd strings. */
typedef struct lin_paths {
    char **items;
    size_t n, cap;
} lin_paths;
void lin_paths_clear(lin_paths *p);
int lin_paths_add(lin_paths *p, const char *s, ms_error *err);
int lin_dataset_paths(const lin_view *v, const char *pattern, lin_paths *out,
                      ms_lineage_warn_fn warn, void *warn_ctx, ms_error *err);

/* Compute the state of the artifact at `path` in `v`. With `verify`, the signature status is
 * established (files against the signature, the configured key `key_path`); without it only
 * the digest and name. Per-artifact problems end up in st->reason, not as errors; the return
 * value is < 0 only for environment failures (out of memory, unreadable repository). */
int lin_state_get(const lin_view *v, lin_kind kind, const char *path, const char *key_path,
                  int verify, lin_state *st, ms_error *err);

/* "sha256:<hex>" into out (72 bytes). */
void lin_format_digest(const uint8_t d[MS_SHA256_SIZE], char out[72]);

/* ---- git's index file (lineage_tree.c) ----
 * A path looked up in the index (.git/index, outside input) and what the index records for it. */
typedef struct lin_index_want {
    const char *rel; /* path in the repository, as the index spells it */
    size_t rel_len;
    void *tag; /* the caller's */
    /* Set by lin_index_find: 1 when the path has one entry, at stage 0, and git is told to check
     * it (not assume-valid, skip-worktree nor intent-to-add); then the fields below are filled. */
    int found;
    uint32_t ctime_s, ctime_ns, mtime_s, mtime_ns, dev, ino, mode, size;
    uint8_t oid[20];
} lin_index_want;

/* Index files larger than this are not read (the caller hashes blobs instead). */
#define LIN_INDEX_MAX ((size_t)256 << 20)

/* Where lin_index_scan reads the index: like pread(2), EINTR handled; a short count is fine, 0
 * means the file ended. */
typedef ssize_t (*lin_index_pread)(void *ctx, void *buf, size_t n, uint64_t off);

/* The smallest window lin_index_scan reads through (an entry with the longest name it accepts
 * fits twice). */
#define LIN_INDEX_WINDOW_MIN ((size_t)8192)

/* Look up `wants` (sorted by rel in byte order, no duplicates, n > 0) in an index file of `len`
 * bytes read through `rd` in pieces of at most `window` bytes (never held whole): format 2, 3
 * or 4 followed by a trailer of 20 bytes (its SHA-1, not checked: see lin_index_scan), entries
 * sorted as git sorts them, every name length consistent and below 4096 bytes, only optional
 * extensions besides the entries (skipped without being read). *has_attributes is set when a
 * want whose name ends in ".gitattributes" is in the index at any stage. 0, or MS_EINPUT naming
 * what is wrong (MS_ENOMEM when the window cannot be had); then no want is found. */
int lin_index_scan(lin_index_pread rd, void *ctx, uint64_t len, size_t window,
                   lin_index_want *wants, size_t n, int *has_attributes, ms_error *err);

/* Look `wants` up (as lin_index_scan) in the index of `repo` (its git directory's "index"): from
 * the scan made ahead for `repo` when that read the same file, unchanged (device, inode, size,
 * mtime, ctime), else by scanning it through a window of 256 KiB. *st gets the file's stat. 0,
 * or -1 when there is no index, it is refused or it changed while read; then no want is
 * found. */
int lin_index_lookup(git_repository *repo, lin_index_want *wants, size_t n, int *has_attributes,
                     struct stat *st);

/* git's order of names: bytes, then length. */
int lin_index_name_cmp(const char *a, size_t alen, const char *b, size_t blen);

/* A scan of the index made ahead, on a thread, for the repository that discovery from `start`
 * most likely opens: it keeps the entries of files of `min_size` bytes or more (by the index's
 * 32-bit size) and every ".gitattributes". NULL when there is no index to guess or no thread.
 * Attach it to the repository once that is open; detach (which frees) before freeing the
 * repository; free one never attached. */
typedef struct lin_index_prefetch lin_index_prefetch;
lin_index_prefetch *lin_index_prefetch_start(const char *start, uint64_t min_size);
void lin_index_prefetch_attach(lin_index_prefetch *pf, git_repository *repo);
void lin_index_prefetch_detach(git_repository *repo);
void lin_index_prefetch_free(lin_index_prefetch *pf);

/* Answer `wants` (as lin_index_scan) from the scan made ahead for `repo`, when it read the same
 * index file as `ist` (device, inode, size, mtime, ctime) whole: 1. 0 when there is no such
 * scan or a wanted file was not kept (scan the index then). */
int lin_index_prefetch_answer(git_repository *repo, const struct stat *ist, lin_index_want *wants,
                              size_t n, int *attrs);

/* The same over an index held in data[0, len) (tests and the fuzzer: it serves the bytes in
 * odd-sized pieces through the smallest window). */
int lin_index_find(const uint8_t *data, size_t len, lin_index_want *wants, size_t n,
                   int *has_attributes, ms_error *err);

/* Shared by the files of lineage/. lineage_repo.c: */
/* Files at least this large are read from the working tree when the index says they are clean
 * (and count when their bytes prove to be the blob). */
#define WORKTREE_MIN_BYTES ((uint64_t)1 << 20)
/* MS_EENV with "what: " and libgit2's last error message. */
int lin_git_fail(ms_error *err, const char *what);
/* a and b concatenated in new memory; NULL when out of memory. */
char *lin_path_join(const char *a, const char *b);
/* lineage_tree.c: build the manifest of the model whose tree entry is `e` (a tree, or a blob for
 * a single file) in the commit's tree `root`, as `ser` says. A model that is a Hugging Face cache
 * snapshot (.../models--NAME/snapshots/REV) has its links into the repository's own blobs/
 * followed, as on disk (hash/walk.h). */
int lin_manifest_from_tree(git_repository *repo, const git_tree *root, const git_tree_entry *e,
                           const char *model, const ms_serialization *ser, int ignore_git,
                           ms_manifest **out, ms_error *err);

/* ms_lineage_record with the note appended to `note` (optional) (lineage_notes.c). */
int lin_record(const ms_lineage_options *opts, const char *rev, int write, ms_buf *note,
               int *written, ms_error *err);

#endif
