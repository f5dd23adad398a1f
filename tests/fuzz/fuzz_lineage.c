/* libFuzzer target: the untrusted inputs of `modelseal lineage`. The first byte selects the
 * parser of the rest:
 *   0  .modelseal.json (ms_lineage_config_parse); the globs of a configuration that parses
 *      are matched against its model paths and themselves (ms_lineage_glob_match, _prefix)
 *   1  a Git LFS pointer (ms_lfs_pointer_parse)
 *   2  a glob and a path separated by a NUL byte (ms_lineage_glob_match, _prefix)
 *   3  a digest argument (ms_lineage_parse_digest)
 *   4  a lineage note of commit 0123...4567 (parse_note, then the fields `lineage log` reads,
 *      the datasets as log hands them out included)
 * The note reader is internal to lineage_notes.c (static), and what log and find read of a note
 * to lineage_log.c, so those files are compiled into this target; their external functions then
 * come from here rather than from the library archive. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modelseal/lineage.h"

#include "lineage/lineage_log.c"
#include "lineage/lineage_notes.c"

#define FUZZ_COMMIT "0123456789abcdef0123456789abcdef01234567"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_config(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_lineage_config *c = NULL;
    if (ms_lineage_config_parse(data, size, &c, &err) != 0)
        return;
    for (size_t i = 0; i < c->n_datasets; i++) {
        const char *pattern = c->datasets[i].path;
        if (ms_lineage_glob_prefix(pattern) > strlen(pattern))
            abort();
        (void)ms_lineage_glob_match(pattern, pattern);
        for (size_t j = 0; j < c->n_models; j++)
            (void)ms_lineage_glob_match(pattern, c->models[j].path);
    }
    ms_lineage_config_free(c);
}

static void fuzz_lfs(const uint8_t *data, size_t size)
{
    uint8_t oid[MS_SHA256_SIZE];
    uint64_t n = 0;
    if (ms_lfs_pointer_parse(data, size, oid, &n) == 1 && size > MS_LFS_POINTER_MAX)
        abort();
}

/* A NUL-terminated copy of data[0, size). */
static char *text_of(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

static void fuzz_glob(const uint8_t *data, size_t size)
{
    char *s = text_of(data, size);
    size_t plen = strlen(s);
    const char *path = plen < size ? s + plen + 1 : "";
    if (ms_lineage_glob_prefix(s) > plen)
        abort();
    (void)ms_lineage_glob_match(s, path);
    free(s);
}

static void fuzz_digest(const uint8_t *data, size_t size)
{
    ms_error err;
    uint8_t d[MS_SHA256_SIZE];
    char *s = text_of(data, size);
    (void)ms_lineage_parse_digest(s, d, &err);
    free(s);
}

static void fuzz_note(const uint8_t *data, size_t size)
{
    char why[MS_ERROR_MESSAGE_MAX];
    char *s = text_of(data, size);
    cJSON *note = parse_note(s, FUZZ_COMMIT, why, sizeof why);
    if (note) {
        /* What `lineage log` and `lineage find` read from a valid note. */
        const cJSON *arts = cJSON_GetObjectItemCaseSensitive(note, "artifacts");
        for (const cJSON *a = arts->child; a; a = a->next) {
            const char *fields[] = {"path", "kind", "digest", "previous", "change", "signature"};
            for (size_t k = 0; k < sizeof fields / sizeof *fields; k++)
                (void)lin_str_or_null(a, fields[k]);
            (void)noted(note, lin_str_or_null(a, "path"));
            /* The entry's datasets: typed references and the text, which the program parses
             * back for `log --json` and must print as it was recorded. */
            ms_lineage_log_entry e;
            log_datasets ds = {NULL, NULL};
            ms_error err;
            memset(&e, 0, sizeof e);
            if (log_datasets_set(&e, cJSON_GetObjectItemCaseSensitive(a, "datasets"), &ds, &err) ==
                0) {
                cJSON *back = cJSON_Parse(e.datasets_json);
                char *again = back ? cJSON_PrintUnformatted(back) : NULL;
                if (back &&
                    (!cJSON_IsArray(back) || (size_t)cJSON_GetArraySize(back) != e.n_datasets ||
                     (again && strcmp(again, e.datasets_json) != 0)))
                    abort();
                cJSON_free(again);
                cJSON_Delete(back);
            }
            log_datasets_clear(&ds);
        }
        (void)noted(note, "model");
        cJSON_Delete(note);
    }
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    switch (data[0] % 5) {
    case 0:
        fuzz_config(data + 1, size - 1);
        break;
    case 1:
        fuzz_lfs(data + 1, size - 1);
        break;
    case 2:
        fuzz_glob(data + 1, size - 1);
        break;
    case 3:
        fuzz_digest(data + 1, size - 1);
        break;
    default:
        fuzz_note(data + 1, size - 1);
        break;
    }
    return 0;
}
