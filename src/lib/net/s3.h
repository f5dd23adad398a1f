/* S3-compatible object storage, read side: s3:// URLs, the endpoint and addressing style,
 * ListObjectsV2 (one page at a time) and GET streamed to a callback, every request signed
 * with SigV4 (net/aws.h) and sent through net/http.h. Not installed.
 *
 * Endpoint: the caller's (--s3-endpoint), else AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL:
 * path-style addressing (ENDPOINT/BUCKET/KEY); else AWS itself with virtual-hosted addressing
 * (https://BUCKET.s3.REGION.amazonaws.com/KEY; path-style on s3.REGION.amazonaws.com for a
 * bucket name with dots, which a wildcard certificate does not cover). Region: aws.h's, else
 * us-east-1. */
#ifndef MODELSEAL_NET_S3_H
#define MODELSEAL_NET_S3_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "net/aws.h"
#include "net/http.h"
#include "util/buf.h"

#define S3_MAX_KEY 1024       /* S3's own limit, in bytes */
#define S3_MAX_PAGE_KEYS 1000 /* what one ListObjectsV2 answer may hold */
#define S3_MAX_LIST_ANSWER ((size_t)8 << 20)

/* s3://BUCKET[/PREFIX]: the bucket (3 to 63 of [a-z0-9.-], S3's rule, and also "_" and
 * capitals for other stores) and the prefix, "" or ending in '/' (one is added: PREFIX names a
 * folder). MS_EINPUT naming the URL otherwise. */
typedef struct s3_location {
    char bucket[64];
    char *prefix; /* malloc'd */
} s3_location;

int s3_location_parse(const char *url, s3_location *loc, ms_error *err);
void s3_location_clear(s3_location *loc);

typedef struct s3_client s3_client;

typedef struct s3_client_options {
    const char *endpoint; /* NULL: the environment, else AWS */
    ms_http_options http;
} s3_client_options;

/* Resolve endpoint, region and credentials (aws_credentials_load). NULL with err set. */
s3_client *s3_client_new(const s3_client_options *o, const char *bucket, ms_error *err);
void s3_client_free(s3_client *c);

/* One object of a listing. */
typedef struct s3_object {
    char *key; /* decoded; malloc'd */
    uint64_t size;
    char etag[MS_HTTP_MAX_ETAG]; /* as listed, quotes included */
} s3_object;

typedef struct s3_page {
    s3_object *objects;
    size_t n;
    int truncated;
    char *next_token; /* malloc'd; NULL when not truncated */
} s3_page;

void s3_page_clear(s3_page *p);

/* Parse one ListObjectsV2 answer (encoding-type=url: keys are percent-decoded). Hostile input:
 * bounded (S3_MAX_PAGE_KEYS keys of at most S3_MAX_KEY bytes, sizes below 2^63), checked.
 * 0, MS_EINPUT (naming the cause), MS_ENOMEM. */
int s3_list_parse(const char *xml, size_t len, s3_page *page, ms_error *err);

/* One page of the listing of `prefix` after `token` (NULL: the first). MS_EENV for the
 * network and the service ("S3 (URL): ..."), MS_EINPUT for a malformed answer. `session`
 * (optional) keeps the listing's connection. The client is only read: threads may share it,
 * each with its own session. */
int s3_list_page(const s3_client *c, http_session *session, const char *prefix, const char *token,
                 s3_page *page, ms_error *err);

/* GET the object `key`, as long as its ETag is still `etag` (If-Match) and its size `size`:
 * the body goes to stream->data as it arrives (stream->begin before each attempt). MS_EINPUT
 * "KEY: changed during the run" when the store answers 412 or another size; MS_EENV for the
 * network and the service. `session` (optional) keeps a connection per thread. */
int s3_get(const s3_client *c, http_session *session, const char *key, const char *etag,
           uint64_t size, http_stream *stream, ms_error *err);

#endif
