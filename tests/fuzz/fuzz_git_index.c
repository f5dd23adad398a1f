/* libFuzzer target: git's index file (.git/index), which `modelseal lineage record` reads to
 * decide whether a checked-out file is the commit's blob (lin_index_find, internal to the
 * library and reached through the static link). The reader does not check the trailing SHA-1
 * (see lin_index_find), so every input reaches the entries. The paths
 * looked up are those of the seed repositories (tests/fuzz/make_seeds.sh). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lineage/lineage_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const paths[] = {
    ".gitattributes",
    "a.bin",
    "b/.gitattributes",
    "b/c.bin",
    "b/d/e.bin",
    "b/d/e.bin.extra",
    "m/.gitattributes",
    "m/w.bin",
    "m/z",
    "z.bin",
    "zz/.gitattributes",
    "zz/y.bin",
};
#define N_PATHS (sizeof paths / sizeof *paths)

static void find(const uint8_t *data, size_t size)
{
    lin_index_want wants[N_PATHS];
    ms_error err;
    int attrs = 0;
    memset(wants, 0, sizeof wants);
    for (size_t i = 0; i < N_PATHS; i++) {
        wants[i].rel = paths[i];
        wants[i].rel_len = strlen(paths[i]);
        wants[i].found = 1; /* must be cleared */
    }
    int rc = lin_index_find(data, size, wants, N_PATHS, &attrs, &err);
    if (rc == 0)
        return;
    for (size_t i = 0; i < N_PATHS; i++) {
        if (wants[i].found)
            abort(); /* a refused index vouches for nothing */
    }
    if (rc != MS_EINPUT || attrs || err.message[0] == '\0')
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    find(data, size);
    return 0;
}
