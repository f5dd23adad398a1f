/* Internal to lineage/: what the history files share — the small helpers and the note
 * (lineage_notes.c), the commit walker, the views of a commit and the artifacts it touches
 * (lineage_walk.c), and log's helpers that check uses (lineage_log.c). */
#ifndef MODELSEAL_LINEAGE_NOTES_INTERNAL_H
#define MODELSEAL_LINEAGE_NOTES_INTERNAL_H

#include "lineage_internal.h"

/* Nothing here is part of the library's interface. */

/* ---- lineage_walk.c ---- */

enum { NODE_UNINTERESTING = 1, NODE_QUEUED = 2 };

typedef struct walk_node {
    git_oid oid;
    int flags;
    int used;
} walk_node;

typedef struct heap_item {
    git_oid oid;
    int64_t time;
} heap_item;

typedef struct walker {
    git_repository *repo;
    walk_node *table; /* every commit seen, by oid (open addressing) */
    size_t cap, count;
    heap_item *heap; /* queued commits, newest first */
    size_t n_heap, cap_heap;
    size_t interesting_queued;
    int shallow_warned;
    const ms_lineage_options *opts;
} walker;

typedef struct lin_change {
    lin_kind kind;
    const char *path;
    const char *key;
    lin_ident now, before;
    int changed;
} lin_change;

typedef int (*change_fn)(void *ctx, const lin_change *c, ms_error *err);

/* Hand a warning to opts->warn (when set). */
void lin_warnf(const ms_lineage_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *lin_kind_name(lin_kind k);
const char *lin_sig_name(lin_sig s);
void lin_oid_hex(const git_oid *oid, char out[41]);
/* Prefix `what: ` to err's message. */
void lin_prefix_error(ms_error *err, const char *what);
void lin_walker_clear(walker *w);
/* Queue commit `oid` (interesting or not). A commit that cannot be read (beyond a shallow
 * boundary) is skipped: history ends there. */
int lin_walker_add(walker *w, const git_oid *oid, int uninteresting, ms_error *err);
/* The next interesting commit, newest first: 1 with *out, 0 at the end. */
int lin_walker_next(walker *w, git_oid *out, ms_error *err);
/* The commit's view and its first parent's (pv->tree NULL when there is none or it is missing). */
int lin_views_for_commit(git_repository *repo, const git_commit *c, const char *what, lin_view *v,
                         lin_view *pv, int parent_config_strict, const ms_lineage_options *opts,
                         ms_error *err);
/* Call fn for each tracked artifact of v's configuration that changed since any of the `npv`
 * views in `pvs` (all present ones with `all`, or when there is none): models in configuration
 * order, then each dataset glob's manifests in path order (the union of every tree's matches). */
int lin_artifacts_against(const lin_view *v, const lin_view *const *pvs, size_t npv, int all,
                          const ms_lineage_options *opts, change_fn fn, void *ctx, ms_error *err);
/* The same against one parent's view (none when pv or its tree is NULL). */
int lin_for_each_artifact(const lin_view *v, const lin_view *pv, int all,
                          const ms_lineage_options *opts, change_fn fn, void *ctx, ms_error *err);
/* Changes to the trust anchors between pv's configuration and v's: per artifact entry of the
 * parent's configuration, a key added, removed (or the entry dropped), replaced by another
 * path, or whose file changed. Appends {"artifact","kind","key","change"} objects to `arr`. */
int lin_key_changes(const lin_view *v, const lin_view *pv, cJSON *arr, ms_error *err);
int lin_resolve_commit(git_repository *repo, const char *rev, git_commit **out, ms_error *err);
/* The notes commit, or NULL when there are no notes. */
git_commit *lin_notes_commit(git_repository *repo);
/* The valid note of commit `oid`: 1 with *out, 0 when it has none or a bad one (warned). */
int lin_read_note(git_repository *repo, git_commit *notes, const git_oid *oid,
                  const ms_lineage_options *opts, cJSON **out);
int lin_walker_start_head(walker *w, ms_error *err);
const char *lin_str_or_null(const cJSON *o, const char *name);

#endif
