/* One HTTP request over libcurl for the Sigstore signing client (see http_internal.h): TLS
 * verified, loopback-only plain HTTP, no redirects, bounded time, retries and body size, and
 * messages that name the service and never carry a token. */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "net/http.h"

#define EXCERPT_MAX 160
#define BACKOFF_FIRST_MS 250L
#define BACKOFF_MAX_MS 4000L

struct http_session {
    CURL *curl;
};

http_session *http_session_new(void)
{
    http_session *s = calloc(1, sizeof *s);
    if (s && !(s->curl = curl_easy_init())) {
        free(s);
        s = NULL;
    }
    return s;
}

void http_session_free(http_session *s)
{
    if (!s)
        return;
    curl_easy_cleanup(s->curl);
    free(s);
}

typedef struct sink {
    ms_buf *buf;
    size_t max;
    int too_big;
    int nomem;
    CURL *curl;
    http_stream *stream; /* 2xx bodies go there */
    int stopped;         /* the stream's callback said stop: its code */
    ms_error *err;
} sink;

static size_t on_data(char *data, size_t size, size_t n, void *ctx)
{
    sink *s = ctx;
    size_t len;
    if (__builtin_mul_overflow(size, n, &len))
        return 0;
    if (s->stream) {
        long code = 0;
        curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
        if (code >= 200 && code < 300) {
            int rc = s->stream->data(s->stream->ctx, (const uint8_t *)data, len, s->err);
            if (rc != 0) {
                s->stopped = rc;
                return 0;
            }
            return len;
        }
    }
    if (len > s->max || s->buf->len > s->max - len) {
        s->too_big = 1;
        return 0;
    }
    if (msx_buf_append(s->buf, data, len) != 0) {
        s->nomem = 1;
        return 0;
    }
    return len;
}

int http_url_allowed(const char *url)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = 0;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (strcmp(scheme, "https") == 0)
        ok = 1;
    else if (strcmp(scheme, "http") == 0)
        ok = strcmp(host, "127.0.0.1") == 0 || strcmp(host, "[::1]") == 0 ||
             strcmp(host, "localhost") == 0;
out:
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return ok;
}

/* The URL for messages: without query or fragment (a query may carry parameters that are
 * nobody's business in a log). */
static void display_url(const char *url, char *out, size_t size)
{
    size_t n = strcspn(url, "?#");
    if (n >= size)
        n = size - 1;
    memcpy(out, url, n);
    out[n] = '\0';
}

void http_excerpt(const void *text, size_t len, const char *secret, char *out, size_t size)
{
    const unsigned char *t = text;
    size_t n = 0;
    if (size == 0)
        return;
    out[0] = '\0';
    if (!t)
        return;
    for (size_t i = 0; i < len && n + 1 < size && n < EXCERPT_MAX; i++) {
        unsigned char c = t[i];
        if (c == '\n' || c == '\r' || c == '\t')
            c = ' ';
        if (!isprint(c))
            c = '?';
        if (c == ' ' && (n == 0 || out[n - 1] == ' '))
            continue;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    /* A server echoing the request would put the secret in our message: leave it out. */
    if (secret && secret[0] && memmem(t, len, secret, strlen(secret)))
        out[0] = '\0';
}

/* An error answer's excerpt, "" when it holds the bearer token or the request's secret. */
static void excerpt(const ms_buf *body, const ms_http_request *req, char *out, size_t size)
{
    http_excerpt(body->data, body->len, req->secret, out, size);
    if (req->bearer && req->bearer[0] && body->data &&
        memmem(body->data, body->len, req->bearer, strlen(req->bearer)))
        out[0] = '\0';
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int http_append_escaped(ms_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        int rc;
        if (isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            rc = msx_buf_append(out, s, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = msx_buf_append(out, e, 3);
        }
        if (rc != 0)
            return MS_ENOMEM;
    }
    return 0;
}

/* Append "Name: value" ("Name:" when value is NULL, which removes a default header);
 * "Authorization" values are "Bearer <value>". 0 or MS_ENOMEM. */
static int add_header(struct curl_slist **list, ms_buf *scratch, const char *name,
                      const char *value)
{
    msx_buf_reset(scratch);
    int rc = value ? msx_buf_printf(scratch, "%s: %s%s", name,
                                    strcmp(name, "Authorization") == 0 ? "Bearer " : "", value)
                   : msx_buf_printf(scratch, "%s:", name);
    struct curl_slist *grown =
        rc == 0 ? curl_slist_append(*list, (const char *)scratch->data) : NULL;
    if (scratch->data)
        OPENSSL_cleanse(scratch->data, scratch->cap);
    if (!grown)
        return MS_ENOMEM;
    *list = grown;
    return 0;
}

/* Answer headers: ETag and Content-Length for a stream (the last answer's: each new status
 * line starts over). */
static size_t on_header(char *data, size_t size, size_t n, void *ctx)
{
    http_stream *st = ctx;
    size_t len = size * n; /* libcurl: size is 1 */
    if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
        st->etag[0] = '\0';
        st->content_length = -1;
    } else if (len > 5 && strncasecmp(data, "etag:", 5) == 0) {
        size_t a = 5, b = len;
        while (a < b && (data[a] == ' ' || data[a] == '\t'))
            a++;
        while (b > a && (data[b - 1] == '\r' || data[b - 1] == '\n' || data[b - 1] == ' '))
            b--;
        if (b - a < sizeof st->etag) {
            memcpy(st->etag, data + a, b - a);
            st->etag[b - a] = '\0';
        } else {
            st->etag[0] = '\0';
        }
    } else if (len > 15 && strncasecmp(data, "content-length:", 15) == 0) {
        int64_t v = 0;
        size_t i = 15;
        int digits = 0;
        while (i < len && data[i] == ' ')
            i++;
        for (; i < len && data[i] >= '0' && data[i] <= '9' && v <= INT64_MAX / 10 - 1; i++) {
            v = v * 10 + (data[i] - '0');
            digits++;
        }
        st->content_length = digits ? v : -1;
    }
    return len;
}

static int retryable(CURLcode code)
{
    return code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST ||
           code == CURLE_COULDNT_RESOLVE_PROXY || code == CURLE_SEND_ERROR ||
           code == CURLE_RECV_ERROR || code == CURLE_GOT_NOTHING;
}

int http_perform_stream(const ms_http_options *opts, const ms_http_request *req,
                        http_session *session, http_stream *stream, long *status, ms_buf *response,
                        ms_error *err)
{
    ms_http_options o = {0, 0, -1, 0, 0};
    struct curl_slist *headers = NULL;
    char where[512], errbuf[CURL_ERROR_SIZE], snippet[EXCERPT_MAX + 1];
    ms_buf hdr = MS_BUF_INIT;
    CURL *curl = NULL;
    int rc = 0;

    if (opts)
        o = *opts;
    if (o.timeout_ms <= 0)
        o.timeout_ms = MS_HTTP_DEFAULT_TIMEOUT_MS;
    if (o.connect_timeout_ms <= 0)
        o.connect_timeout_ms = MS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS;
    if (o.retries < 0)
        o.retries = MS_HTTP_DEFAULT_RETRIES;
    if (o.retries > MS_HTTP_MAX_RETRIES)
        o.retries = MS_HTTP_MAX_RETRIES;
    if (o.max_response == 0)
        o.max_response = MS_HTTP_DEFAULT_MAX_RESPONSE;
    if (status)
        *status = 0;
    display_url(req->url, where, sizeof where);
    if (!http_url_allowed(req->url))
        return ms_error_set(err, MS_EENV,
                            "%s (%s): refused: only https:// URLs, or http:// to 127.0.0.1, ::1 "
                            "or localhost",
                            req->service, where);
    if (session) {
        curl = session->curl;
        curl_easy_reset(curl);
    } else if (!(curl = curl_easy_init())) {
        return ms_error_set(err, MS_ENOMEM, "%s (%s): cannot start libcurl", req->service, where);
    }
    for (size_t i = 0; i < req->n_headers; i++) {
        struct curl_slist *grown = curl_slist_append(headers, req->headers[i]);
        if (!grown)
            goto nomem;
        headers = grown;
    }
    if ((req->content_type && add_header(&headers, &hdr, "Content-Type", req->content_type)) ||
        (req->accept && add_header(&headers, &hdr, "Accept", req->accept)) ||
        (req->bearer && add_header(&headers, &hdr, "Authorization", req->bearer)) ||
        add_header(&headers, &hdr, "Expect", NULL)) /* 100-continue only adds a round trip */
        goto nomem;

    curl_easy_setopt(curl, CURLOPT_URL, req->url);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the string form; the bit mask is deprecated */
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, o.timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, o.connect_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "modelseal/" PACKAGE_VERSION);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    if (stream) {
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, stream);
    }
    if (req->body) {
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
    }

    long backoff =
        o.backoff_ms > 0 && o.backoff_ms <= BACKOFF_MAX_MS ? o.backoff_ms : BACKOFF_FIRST_MS;
    long backoff_max = backoff * 16 < BACKOFF_MAX_MS ? backoff * 16 : BACKOFF_MAX_MS;
    for (int attempt = 0;; attempt++) {
        sink s = {response, o.max_response, 0, 0, curl, stream, 0, err};
        long code = 0;
        int last = attempt >= o.retries;
        msx_buf_reset(response);
        errbuf[0] = '\0';
        if (stream) {
            stream->etag[0] = '\0';
            stream->content_length = -1;
            if ((rc = stream->begin(stream->ctx, err)) != 0)
                goto out;
        }
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
        CURLcode cc = curl_easy_perform(curl);
        if (s.nomem)
            goto nomem;
        if (s.stopped) {
            rc = s.stopped;
            goto out;
        }
        if (s.too_big) {
            rc = ms_error_set(err, MS_EENV, "%s (%s): the answer is larger than %zu bytes",
                              req->service, where, o.max_response);
            goto out;
        }
        if (cc != CURLE_OK) {
            if (!last && (retryable(cc) || (stream && cc == CURLE_PARTIAL_FILE))) {
                sleep_ms(backoff);
                backoff = backoff * 2 > backoff_max ? backoff_max : backoff * 2;
                continue;
            }
            const char *cause = errbuf[0] ? errbuf : curl_easy_strerror(cc);
            if (cc == CURLE_OPERATION_TIMEDOUT)
                rc = ms_error_set(err, MS_EENV, "%s (%s): timed out (%s)", req->service, where,
                                  cause);
            else if (cc == CURLE_PARTIAL_FILE)
                rc = ms_error_set(err, MS_EENV, "%s (%s): truncated answer (%s)", req->service,
                                  where, cause);
            else
                rc = ms_error_set(err, MS_EENV, "%s (%s): %s%s", req->service, where, cause,
                                  retryable(cc) && o.retries ? " (after retries)" : "");
            goto out;
        }
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
        int slow_down =
            req->throttled && code >= 400 && code < 500 && req->throttled(code, response);
        if ((code >= 500 || slow_down) && !last) {
            sleep_ms(backoff);
            backoff = backoff * 2 > backoff_max ? backoff_max : backoff * 2;
            continue;
        }
        if (status)
            *status = code;
        if (slow_down) {
            rc = ms_error_set(err, MS_EENV,
                              "%s (%s): the service is throttling requests (HTTP status %ld), "
                              "still after %d retries",
                              req->service, where, code, o.retries);
            goto out;
        }
        if (code >= 200 && code < 300)
            goto out;
        if (status && code >= 400 && code < 500)
            goto out;
        excerpt(response, req, snippet, sizeof snippet);
        rc = ms_error_set(err, MS_EENV, "%s (%s): HTTP status %ld%s%s", req->service, where, code,
                          snippet[0] ? ": " : "", snippet);
        goto out;
    }
nomem:
    rc = ms_error_nomem(err);
out:
    if (rc != 0)
        msx_buf_reset(response);
    if (hdr.data)
        OPENSSL_cleanse(hdr.data, hdr.cap);
    msx_buf_free(&hdr);
    /* The Authorization header holds a token: wipe libcurl's copies before freeing them. */
    for (struct curl_slist *h = headers; h; h = h->next)
        OPENSSL_cleanse(h->data, strlen(h->data));
    curl_slist_free_all(headers);
    if (!session)
        curl_easy_cleanup(curl);
    else
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, NULL);
    return rc;
}

int http_perform_status(const ms_http_options *opts, const ms_http_request *req, long *status,
                        ms_buf *response, ms_error *err)
{
    return http_perform_stream(opts, req, NULL, NULL, status, response, err);
}

int http_perform(const ms_http_options *opts, const ms_http_request *req, ms_buf *response,
                 ms_error *err)
{
    return http_perform_status(opts, req, NULL, response, err);
}
