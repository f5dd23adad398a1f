/* libFuzzer target: SLSA provenance statements (ms_statement_parse_generic then
 * ms_provenance_parse, as `modelseal verify --policy`, `sbom` and `lineage` read a claims
 * file's provenance). A provenance that parses has its accessors run, and when it can be built
 * again (ms_provenance_build) the result must read back with the same values (the typed
 * annotation fields, annotations_json and the parameters' text included). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/provenance.h"
#include "modelseal/statement.h"
#include "util/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_provenance *read_provenance(const uint8_t *data, size_t size, ms_statement **st)
{
    ms_error err;
    ms_provenance *p = NULL;
    if (ms_statement_parse_generic(data, size, st, &err) != 0)
        return NULL;
    if (ms_provenance_parse(*st, &p, &err) != 0)
        return NULL;
    return p;
}

static int same(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_statement *st = NULL, *st2 = NULL;
    ms_provenance *again = NULL;
    char *text = NULL, *params = NULL, *params2 = NULL;
    size_t text_len = 0;

    ms_provenance *p = read_provenance(data, size, &st);
    if (!p)
        goto out;
    for (size_t i = 0; i < p->n_deps; i++) {
        (void)ms_provenance_dependency_digest(&p->deps[i], "sha256");
        (void)ms_provenance_dependency_digest(&p->deps[i], "gitCommit");
    }
    for (size_t i = 0; ms_provenance_parameter_key(p, i); i++)
        ;
    if (ms_provenance_build(p, &text, &text_len, &err) != 0)
        goto out;
    if (!(again = read_provenance((const uint8_t *)text, text_len, &st2)))
        abort(); /* what we write, we read */
    if (again->n_deps != p->n_deps || !same(again->subject_name, p->subject_name) ||
        memcmp(again->subject_digest, p->subject_digest, sizeof p->subject_digest) != 0 ||
        !same(again->build_type, p->build_type) || !same(again->builder_id, p->builder_id) ||
        !same(again->invocation_id, p->invocation_id) || !same(again->started_on, p->started_on) ||
        !same(again->finished_on, p->finished_on))
        abort();
    for (size_t i = 0; i < p->n_deps; i++) {
        const ms_provenance_dependency *a = &p->deps[i], *b = &again->deps[i];
        if (!same(a->name, b->name) || !same(a->uri, b->uri) || !same(a->role, b->role) ||
            a->n_digests != b->n_digests || !same(a->annotations_json, b->annotations_json) ||
            !same(a->manifest_sha256, b->manifest_sha256) || !same(a->version, b->version) ||
            a->dirty != b->dirty || a->dirty < -1 || a->dirty > 1)
            abort();
    }
    if (ms_provenance_parameters_json(p, &params, &err) == 0 &&
        ms_provenance_parameters_json(again, &params2, &err) == 0 && !same(params, params2))
        abort();
out:
    ms_provenance_free(again);
    ms_provenance_free(p);
    ms_statement_free(st2);
    ms_statement_free(st);
    ms_free(text);
    ms_free(params);
    ms_free(params2);
    return 0;
}
