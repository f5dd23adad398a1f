/* libFuzzer target: ListObjectsV2 answers (s3_list_parse, as `dataset manifest s3://...` reads
 * every page from the store). Whatever the input, a page that parses holds at most
 * S3_MAX_PAGE_KEYS objects whose keys are non-empty, NUL-free and at most S3_MAX_KEY bytes,
 * sizes below 2^63, printable ETags, and a continuation token exactly when it says it is
 * truncated. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/s3.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    s3_page page;
    if (s3_list_parse((const char *)data, size, &page, &err) != 0)
        return 0;
    if (page.n > S3_MAX_PAGE_KEYS || (page.truncated != (page.next_token != NULL)))
        abort();
    for (size_t i = 0; i < page.n; i++) {
        const s3_object *o = &page.objects[i];
        size_t n = strlen(o->key);
        if (n == 0 || n > S3_MAX_KEY || o->size >= (UINT64_C(1) << 63) ||
            strlen(o->etag) >= MS_HTTP_MAX_ETAG || o->etag[0] == '\0')
            abort();
        for (const char *e = o->etag; *e; e++)
            if ((unsigned char)*e < 0x20 || *e == 0x7f)
                abort();
    }
    s3_page_clear(&page);
    return 0;
}
