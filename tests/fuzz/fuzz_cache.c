/* libFuzzer target: the digest cache file (ms_digest_cache_parse, as `sign --incremental` and
 * `verify --incremental` read $XDG_CACHE_HOME/modelseal/NAME.cache; modelseal-cache(5)). A cache
 * that parses is written back and must parse again to the same text; each of its files is then
 * looked up as a run would (same stat: reused unless racily clean). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash/cache_run.h"
#include "modelseal/cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MODEL "/fuzz/model"
#define DEV 1

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_digest_cache *c = NULL, *again = NULL;
    char *text = NULL, *text2 = NULL;
    size_t len = 0, len2 = 0;

    if (ms_digest_cache_parse((const char *)data, size, "fuzz.cache", MODEL, DEV, &c, &err) != 0)
        return 0;
    if (ms_digest_cache_serialize(c, &text, &len, &err) != 0)
        abort();
    if (ms_digest_cache_parse(text, len, "again", MODEL, DEV, &again, &err) != 0)
        abort(); /* what we write, we read */
    if (ms_digest_cache_serialize(again, &text2, &len2, &err) != 0 || len2 != len ||
        memcmp(text, text2, len) != 0)
        abort();
    ms_free(text2);
    ms_digest_cache_free(again);
    /* A run over the files it lists, each with the stat it records (parsed back from the text:
     * the lines after the header). */
    if (hash_cache_begin(c, MS_HASH_SHA256, 0, 0, &err) == 0) {
        const char *p = text;
        for (int line = 0; p && p < text + len; line++) {
            const char *nl = memchr(p, '\n', (size_t)(text + len - p));
            if (line >= 5 && nl && strncmp(p, "end\n", 4) != 0) {
                ms_file_entry e;
                char hexpath[8200], path[4100];
                unsigned long long dev, ino, sz;
                long long ms, cs;
                long mn, cn;
                memset(&e, 0, sizeof e);
                if (sscanf(p, "%llu %llu %llu %lld %ld %lld %ld %8199s", &dev, &ino, &sz, &ms, &mn,
                           &cs, &cn, hexpath) == 8) {
                    size_t hl = strlen(hexpath);
                    for (size_t i = 0; i + 1 < hl && i / 2 < sizeof path - 1; i += 2) {
                        unsigned v;
                        sscanf(hexpath + i, "%2x", &v);
                        path[i / 2] = (char)v;
                        path[i / 2 + 1] = '\0';
                    }
                    e.path = path;
                    e.dev = dev;
                    e.ino = ino;
                    e.size = sz;
                    e.mtime_sec = ms;
                    e.mtime_nsec = mn;
                    e.ctime_sec = cs;
                    e.ctime_nsec = cn;
                    uint8_t digests[MS_HASH_MAX_SIZE];
                    if (hash_cache_lookup(c, &e, 1, digests, &err) == 1)
                        (void)hash_cache_record(c, &e, 1, digests, &err);
                }
            }
            p = nl ? nl + 1 : NULL;
        }
        (void)hash_cache_end(c, &err);
    }
    ms_free(text);
    ms_digest_cache_free(c);
    return 0;
}
