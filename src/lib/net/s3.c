/* S3-compatible object storage, read side (see s3.h): locations, addressing, ListObjectsV2
 * pages parsed as hostile input, and GETs streamed to the caller under If-Match. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/s3.h"

struct s3_client {
    char bucket[64];
    char region[64];
    char *base; /* the bucket's URL, ending in '/': keys are appended */
    aws_credentials creds;
    ms_http_options http;
};

/* ---- locations ---- */

static int bucket_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
}

int s3_location_parse(const char *url, s3_location *loc, ms_error *err)
{
    memset(loc, 0, sizeof *loc);
    if (strncmp(url, "s3://", 5) != 0)
        return ms_error_set(err, MS_EINPUT, "%.200s: not an s3:// URL", url);
    const char *b = url + 5, *slash = strchr(b, '/');
    size_t blen = slash ? (size_t)(slash - b) : strlen(b);
    if (blen < 3 || blen > 63)
        return ms_error_set(err, MS_EINPUT, "%.200s: the bucket name must have 3 to 63 characters",
                            url);
    for (size_t i = 0; i < blen; i++) {
        if (!bucket_char(b[i]))
            return ms_error_set(err, MS_EINPUT,
                                "%.200s: the bucket name may hold only letters, digits, '.', '-' "
                                "and '_'",
                                url);
    }
    memcpy(loc->bucket, b, blen);
    loc->bucket[blen] = '\0';
    const char *p = slash ? slash + 1 : "";
    size_t plen = strlen(p);
    if (plen > S3_MAX_KEY)
        return ms_error_set(err, MS_EINPUT, "%.200s: the prefix is longer than %d bytes", url,
                            S3_MAX_KEY);
    /* PREFIX is a folder path: no empty, "." or ".." segment (URLs would squash them) */
    for (const char *seg = p; plen && *seg;) {
        size_t n = strcspn(seg, "/");
        if ((n == 0 && seg[n] == '/') || (n == 1 && seg[0] == '.') ||
            (n == 2 && seg[0] == '.' && seg[1] == '.'))
            return ms_error_set(err, MS_EINPUT,
                                "%.200s: the prefix has an empty, '.' or '..' segment", url);
        seg += n;
        if (*seg == '/')
            seg++;
    }
    if (!(loc->prefix = malloc(plen + 2)))
        return ms_error_nomem(err);
    memcpy(loc->prefix, p, plen);
    if (plen && p[plen - 1] != '/')
        loc->prefix[plen++] = '/';
    loc->prefix[plen] = '\0';
    return 0;
}

void s3_location_clear(s3_location *loc)
{
    if (!loc)
        return;
    free(loc->prefix);
    memset(loc, 0, sizeof *loc);
}

/* ---- the client ---- */

void s3_client_free(s3_client *c)
{
    if (!c)
        return;
    aws_credentials_clear(&c->creds);
    free(c->base);
    free(c);
}

s3_client *s3_client_new(const s3_client_options *o, const char *bucket, ms_error *err)
{
    s3_client *c = calloc(1, sizeof *c);
    ms_buf base = MS_BUF_INIT;
    int rc = 0;
    if (!c) {
        ms_error_nomem(err);
        return NULL;
    }
    snprintf(c->bucket, sizeof c->bucket, "%s", bucket);
    c->http = o->http;
    const char *endpoint = o->endpoint;
    if (!endpoint || !endpoint[0])
        endpoint = getenv("AWS_ENDPOINT_URL_S3");
    if (!endpoint || !endpoint[0])
        endpoint = getenv("AWS_ENDPOINT_URL");
    if ((rc = aws_region_resolve(NULL, c->region, sizeof c->region, err)) != 0)
        goto out;
    if (!c->region[0])
        snprintf(c->region, sizeof c->region, "us-east-1");
    if (endpoint && endpoint[0]) {
        size_t n = strlen(endpoint);
        while (n > 0 && endpoint[n - 1] == '/')
            n--;
        if (strchr(endpoint, '?') || strchr(endpoint, '#')) {
            rc = ms_error_set(err, MS_EINPUT, "S3 endpoint %.200s: a URL without query", endpoint);
            goto out;
        }
        if (msx_buf_append(&base, endpoint, n) || msx_buf_printf(&base, "/%s/", bucket))
            goto nomem;
    } else if (strchr(bucket, '.')) {
        if (msx_buf_printf(&base, "https://s3.%s.amazonaws.com/%s/", c->region, bucket))
            goto nomem;
    } else if (msx_buf_printf(&base, "https://%s.s3.%s.amazonaws.com/", bucket, c->region)) {
        goto nomem;
    }
    if (msx_buf_append(&base, "", 1))
        goto nomem;
    if (!http_url_allowed((const char *)base.data)) {
        rc = ms_error_set(err, MS_EINPUT,
                          "S3 endpoint %.200s: only https://, or http:// to 127.0.0.1, ::1 or "
                          "localhost",
                          (const char *)base.data);
        goto out;
    }
    c->base = (char *)base.data;
    base.data = NULL;
    aws_load_options lo = {.region = c->region, .http = &c->http};
    if ((rc = aws_credentials_load(&lo, &c->creds, err)) != 0)
        goto out;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    msx_buf_free(&base);
    if (rc != 0) {
        s3_client_free(c);
        return NULL;
    }
    return c;
}

/* ---- the listing ---- */

void s3_page_clear(s3_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->objects[i].key);
    free(p->objects);
    free(p->next_token);
    memset(p, 0, sizeof *p);
}

/* Percent-decode a key of an encoding-type=url listing ("+" stays: S3 encodes a space as %20)
 * into a malloc'd string. NUL bytes are kept (the caller refuses them by length). */
static int url_decode(const char *s, size_t len, char **out, size_t *out_len)
{
    ms_buf d = MS_BUF_INIT;
    int rc = aws_uri_decode(&d, s, len, 1);
    if (rc == 0 && msx_buf_append(&d, "", 1))
        rc = MS_ENOMEM;
    if (rc != 0) {
        msx_buf_free(&d);
        return rc;
    }
    *out = (char *)d.data;
    *out_len = d.len - 1;
    return 0;
}

static int parse_u64(const char *s, uint64_t *v)
{
    uint64_t x = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || x > (UINT64_C(1) << 62) / 10 * 2)
            return -1;
        x = x * 10 + (uint64_t)(*s - '0');
    }
    if (x >= (UINT64_C(1) << 63))
        return -1;
    *v = x;
    return 0;
}

/* The text of the first element `name` inside [from, to), decoded, into `out`. 1 found, 0 not. */
static int element(const char *xml, size_t from, size_t to, const char *name, size_t max,
                   ms_buf *out, ms_error *err)
{
    size_t pos = from, a, b;
    if (!aws_xml_next(xml, to, &pos, name, &a, &b))
        return 0;
    int rc = aws_xml_text(xml + a, b - a, max, out, err);
    if (rc != 0) {
        ms_error cause = *err; /* not formatted into itself */
        ms_error_set(err, rc, "ListObjectsV2 answer: %s: %s", name, cause.message);
        return rc;
    }
    return 1;
}

int s3_list_parse(const char *xml, size_t len, s3_page *page, ms_error *err)
{
    ms_buf t = MS_BUF_INIT;
    size_t pos = 0, a, b;
    int rc = 0;
    memset(page, 0, sizeof *page);
    if (!memmem(xml, len, "<ListBucketResult", 17)) {
        rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: not a ListBucketResult");
        goto out;
    }
    while (aws_xml_next(xml, len, &pos, "Contents", &a, &b)) {
        if (page->n >= S3_MAX_PAGE_KEYS) {
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: more than %d keys",
                              S3_MAX_PAGE_KEYS);
            goto out;
        }
        if (!page->objects && !(page->objects = calloc(S3_MAX_PAGE_KEYS, sizeof *page->objects)))
            goto nomem;
        s3_object *o = &page->objects[page->n];
        memset(o, 0, sizeof *o);
        /* Key */
        if ((rc = element(xml, a, b, "Key", 3 * S3_MAX_KEY, &t, err)) < 0)
            goto out;
        if (rc == 0) {
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: an object without a Key");
            goto out;
        }
        size_t klen;
        if ((rc = url_decode((const char *)t.data, t.len, &o->key, &klen)) != 0) {
            if (rc == MS_ENOMEM)
                goto nomem;
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: a Key badly percent-encoded");
            goto out;
        }
        page->n++;
        if (klen == 0 || klen > S3_MAX_KEY) {
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: a Key of %zu bytes", klen);
            goto out;
        }
        if (strlen(o->key) != klen) {
            rc = ms_error_set(err, MS_EINPUT,
                              "%.300s%%00...: not a valid relative path (an object key with a NUL "
                              "byte)",
                              o->key);
            goto out;
        }
        /* Size */
        if ((rc = element(xml, a, b, "Size", 32, &t, err)) < 0)
            goto out;
        if (rc == 0 || parse_u64((const char *)t.data, &o->size) != 0) {
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: %.300s: %s", o->key,
                              rc == 0 ? "no Size" : "a Size that is not a number below 2^63");
            goto out;
        }
        /* ETag */
        if ((rc = element(xml, a, b, "ETag", MS_HTTP_MAX_ETAG - 1, &t, err)) < 0)
            goto out;
        if (rc == 0 || t.len == 0 || t.len >= MS_HTTP_MAX_ETAG) {
            rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: %.300s: no ETag", o->key);
            goto out;
        }
        for (size_t i = 0; i < t.len; i++) {
            if ((unsigned char)t.data[i] < 0x20 || t.data[i] == 0x7f) {
                rc = ms_error_set(err, MS_EINPUT,
                                  "ListObjectsV2 answer: %.300s: an ETag with control characters",
                                  o->key);
                goto out;
            }
        }
        memcpy(o->etag, t.data, t.len + 1);
        rc = 0;
    }
    /* IsTruncated and NextContinuationToken (S3 sends them before the objects) */
    if ((rc = element(xml, 0, len, "IsTruncated", 8, &t, err)) < 0)
        goto out;
    if (rc == 0 ||
        (strcmp((const char *)t.data, "true") != 0 && strcmp((const char *)t.data, "false") != 0)) {
        rc = ms_error_set(err, MS_EINPUT, "ListObjectsV2 answer: no IsTruncated true or false");
        goto out;
    }
    page->truncated = strcmp((const char *)t.data, "true") == 0;
    rc = 0;
    if (page->truncated) {
        if ((rc = element(xml, 0, len, "NextContinuationToken", 4096, &t, err)) < 0)
            goto out;
        if (rc == 0 || t.len == 0) {
            rc = ms_error_set(err, MS_EINPUT,
                              "ListObjectsV2 answer: truncated without a NextContinuationToken");
            goto out;
        }
        if (!(page->next_token = strdup((const char *)t.data)))
            goto nomem;
        if (page->n == 0) {
            rc = ms_error_set(err, MS_EINPUT,
                              "ListObjectsV2 answer: an empty page that says there is more");
            goto out;
        }
    }
    rc = 0;
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    msx_buf_free(&t);
    if (rc != 0)
        s3_page_clear(page);
    return rc;
}

/* The S3 error code of an error answer (<Code>...</Code>), printable, into `out`. */
static void error_code(const ms_buf *body, char *out, size_t size)
{
    size_t pos = 0, a, b, n = 0;
    out[0] = '\0';
    if (!body->data || !aws_xml_next((const char *)body->data, body->len, &pos, "Code", &a, &b))
        return;
    for (size_t i = a; i < b && n + 1 < size && n < 64; i++) {
        char ch = (char)body->data[i];
        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            ch == '.' || ch == '-' || ch == '_')
            out[n++] = ch;
    }
    out[n] = '\0';
}

/* Sign and send one GET with the options `http`; `status` gets 2xx..4xx answers (5xx and the
 * network are retried inside and end as MS_EENV). */
static int signed_get(const s3_client *c, const ms_http_options *http, http_session *session,
                      const char *url, const char *if_match, http_stream *stream, long *status,
                      ms_buf *response, ms_error *err)
{
    aws_signed sig;
    const char *headers[AWS_SIGNED_MAX + 1];
    char im[MS_HTTP_MAX_ETAG + 16];
    size_t n = 0;
    int rc;
    if (if_match)
        snprintf(im, sizeof im, "If-Match: %s", if_match);
    const char *extra[] = {im};
    aws_sigv4_request r = {.method = "GET",
                           .url = url,
                           .service = "s3",
                           .region = c->region,
                           .headers = extra,
                           .n_headers = if_match ? 1 : 0,
                           .content_sha256_header = 1};
    if ((rc = aws_sigv4_sign(&r, &c->creds, &sig, err)) != 0)
        return rc;
    for (size_t i = 0; i < sig.n; i++)
        headers[n++] = sig.headers[i];
    if (if_match)
        headers[n++] = im;
    ms_http_request req = {.service = "S3",
                           .url = url,
                           .secret = c->creds.session_token ? c->creds.session_token
                                                            : c->creds.secret_access_key,
                           .headers = headers,
                           .n_headers = n};
    rc = http_perform_stream(http, &req, session, stream, status, response, err);
    aws_signed_clear(&sig);
    return rc;
}

static void display_url(const char *url, char *out, size_t size)
{
    size_t n = strcspn(url, "?#");
    if (n >= size)
        n = size - 1;
    memcpy(out, url, n);
    out[n] = '\0';
}

int s3_list_page(const s3_client *c, http_session *session, const char *prefix, const char *token,
                 s3_page *page, ms_error *err)
{
    ms_buf url = MS_BUF_INIT, answer = MS_BUF_INIT;
    long status = 0;
    int rc;
    memset(page, 0, sizeof *page);
    if (msx_buf_printf(&url, "%s?list-type=2&encoding-type=url&prefix=", c->base) ||
        aws_uri_encode(&url, prefix, strlen(prefix), 0))
        goto nomem;
    if (token && (msx_buf_printf(&url, "&continuation-token=") ||
                  aws_uri_encode(&url, token, strlen(token), 0)))
        goto nomem;
    if (msx_buf_append(&url, "", 1))
        goto nomem;
    ms_http_options http = c->http;
    http.max_response = S3_MAX_LIST_ANSWER;
    if ((rc = signed_get(c, &http, session, (const char *)url.data, NULL, NULL, &status, &answer,
                         err)) != 0)
        goto out;
    if (status < 200 || status >= 300) {
        char code[80], where[600];
        error_code(&answer, code, sizeof code);
        display_url((const char *)url.data, where, sizeof where);
        rc = ms_error_set(err, MS_EENV, "S3 (%s): HTTP status %ld%s%s%s", where, status,
                          code[0] ? " (" : "", code, code[0] ? ")" : "");
        goto out;
    }
    if ((rc = s3_list_parse((const char *)answer.data, answer.len, page, err)) != 0) {
        if (rc == MS_EINPUT) {
            char where[600];
            display_url((const char *)url.data, where, sizeof where);
            ms_error e2;
            ms_error_set(&e2, rc, "S3 (%s): %s", where, err->message);
            *err = e2;
        }
        goto out;
    }
    goto out;
nomem:
    rc = ms_error_nomem(err);
out:
    msx_buf_free(&url);
    msx_buf_free(&answer);
    return rc;
}

/* ---- GET ---- */

/* The same entity tag: quotes and a weak "W/" left aside (stores differ in what they send in a
 * listing and in a GET's header). */
static int same_etag(const char *a, const char *b)
{
    size_t la, lb;
    if (strncmp(a, "W/", 2) == 0)
        a += 2;
    if (strncmp(b, "W/", 2) == 0)
        b += 2;
    la = strlen(a), lb = strlen(b);
    if (la >= 2 && a[0] == '"' && a[la - 1] == '"')
        a++, la -= 2;
    if (lb >= 2 && b[0] == '"' && b[lb - 1] == '"')
        b++, lb -= 2;
    return la == lb && memcmp(a, b, la) == 0;
}

int s3_get(const s3_client *c, http_session *session, const char *key, const char *etag,
           uint64_t size, http_stream *stream, ms_error *err)
{
    ms_buf url = MS_BUF_INIT, answer = MS_BUF_INIT;
    long status = 0;
    int rc;
    char where[1600];
    if (msx_buf_printf(&url, "%s", c->base) || aws_uri_encode(&url, key, strlen(key), 1) ||
        msx_buf_append(&url, "", 1)) {
        msx_buf_free(&url);
        return ms_error_nomem(err);
    }
    display_url((const char *)url.data, where, sizeof where);
    if ((rc = signed_get(c, &c->http, session, (const char *)url.data, etag, stream, &status,
                         &answer, err)) != 0)
        goto out;
    if (status == 412 || status == 404) {
        rc = ms_error_set(err, MS_EINPUT, "s3://%s/%.1100s: %s during the run", c->bucket, key,
                          status == 412 ? "changed (its ETag is no longer the listed one)"
                                        : "deleted");
        goto out;
    }
    if (status < 200 || status >= 300) {
        char code[80];
        error_code(&answer, code, sizeof code);
        rc = ms_error_set(err, MS_EENV, "S3 (%s): HTTP status %ld%s%s%s", where, status,
                          code[0] ? " (" : "", code, code[0] ? ")" : "");
        goto out;
    }
    int etag_changed = stream->etag[0] && !same_etag(stream->etag, etag);
    if (etag_changed || (stream->content_length >= 0 && (uint64_t)stream->content_length != size)) {
        rc = ms_error_set(err, MS_EINPUT, "s3://%s/%.1100s: changed during the run (%s)", c->bucket,
                          key,
                          etag_changed ? "its ETag is no longer the listed one"
                                       : "its size is no longer the listed one");
        goto out;
    }
out:
    msx_buf_free(&url);
    msx_buf_free(&answer);
    return rc;
}
