/* Shared pieces of the SBOM code (sbom.c, sbom_collect.c, sbom_json.c, sbom_cyclonedx.c,
 * sbom_spdx.c): a cJSON tree builder that records running out of memory once instead of at
 * every call, the deterministic JSON writer, and small helpers about packages and datasets.
 * Not installed; the symbols are hidden from the shared library's interface. */
#ifndef MODELSEAL_SBOM_INTERNAL_H
#define MODELSEAL_SBOM_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/sbom.h"
#include "util/buf.h"

/* A tree under construction. Every helper is a no-op once `oom` is set (or when its parent is
 * NULL, which then sets it), so a renderer checks `oom` once at the end. */
typedef struct sbom_tree {
    int oom;
} sbom_tree;

/* Add to `parent` (an object: under `key`; an array: `key` is NULL) and return the new item. */
cJSON *sbom_object(sbom_tree *t, cJSON *parent, const char *key);
cJSON *sbom_array(sbom_tree *t, cJSON *parent, const char *key);
cJSON *sbom_string(sbom_tree *t, cJSON *parent, const char *key, const char *value);
cJSON *sbom_uint(sbom_tree *t, cJSON *parent, const char *key, uint64_t value);
cJSON *sbom_bool(sbom_tree *t, cJSON *parent, const char *key, int value);
/* Add a deep copy of `item`. */
cJSON *sbom_copy(sbom_tree *t, cJSON *parent, const char *key, const cJSON *item);

/* Write `root` as JSON: two-space indentation, members in insertion order, strings escaped
 * minimally (", \ and control characters), numbers only as the raw integers sbom_uint made,
 * and a final newline. Replaces `out`'s contents. 0 or MS_ENOMEM. */
int sbom_json_write(const cJSON *root, ms_buf *out);

/* A JSON value as text for a property ("3", "0.001", "{\"name\":\"adam\"}"; a string as is).
 * malloc'd, NULL when out of memory. */
char *sbom_value_text(const cJSON *v);

/* "sha256:<hex>" into out (72 bytes). */
void sbom_digest_text(const uint8_t d[MS_SHA256_SIZE], char out[72]);
/* Lowercase hex of `d` into out (65 bytes). */
void sbom_hex(const uint8_t d[MS_SHA256_SIZE], char out[65]);

/* For a purl "pkg:TYPE/NAMESPACE/NAME@VERSION?QUALIFIERS#SUBPATH": NAME and VERSION
 * (percent-encoding kept), each malloc'd (*version NULL when absent). Another URI: its whole
 * text is the name. 0 or MS_ENOMEM. */
int sbom_package_name(const char *uri, char **name, char **version);
/* 1 when `uri` is a package URL ("pkg:" followed by a type and a name). */
int sbom_is_purl(const char *uri);

/* The SPDX dataset types of `dataset_name` given in the options, sorted and without repeats,
 * into types (at most 14 entries); returns the count. */
size_t sbom_dataset_types(const ms_sbom_options *o, const char *dataset_name, const char **types);

/* 0 when every option's dataset name is a dataset of the evidence, else MS_EINPUT. */
int sbom_check_dataset_names(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_error *err);

/* The name the document gives the model: --name, else the signed subject name. */
const char *sbom_model_name(const ms_sbom_evidence *ev, const ms_sbom_options *o);

/* The two renderers behind ms_sbom_render (sbom_cyclonedx.c, sbom_spdx.c): the document
 * replaces the contents of `out`. 0, MS_EINPUT or MS_ENOMEM. */
int sbom_cyclonedx(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_buf *out,
                   ms_error *err);
int sbom_spdx(const ms_sbom_evidence *ev, const ms_sbom_options *o, ms_buf *out, ms_error *err);

/* A model's externalParameters as the cJSON tree the collector parsed (NULL without
 * provenance); ms_sbom_model.external_parameters_json is the same as text. */
static inline cJSON *sbom_model_parameters(const ms_sbom_model *m)
{
    return (cJSON *)m->priv;
}

#endif
