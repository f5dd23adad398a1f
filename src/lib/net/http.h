/* HTTP for the network clients (Sigstore signing, object storage, key services): one
 * request/response over libcurl, done carefully.
 * TLS verification is always on; plain http:// is allowed only to a loopback host (tests and
 * local instances); redirects are not followed; connect and total time are bounded; 5xx
 * answers, connection failures and answers the caller calls throttling are retried a bounded
 * number of times with backoff; the
 * response body is bounded. Not installed; the symbols are hidden from the shared library. */
#ifndef MODELSEAL_NET_HTTP_H
#define MODELSEAL_NET_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "util/buf.h"

#define MS_HTTP_DEFAULT_TIMEOUT_MS 60000L
#define MS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS 10000L
#define MS_HTTP_DEFAULT_RETRIES 3
#define MS_HTTP_MAX_RETRIES 10
#define MS_HTTP_DEFAULT_MAX_RESPONSE ((size_t)4 << 20)

typedef struct ms_http_options {
    long timeout_ms;         /* total per attempt; 0: MS_HTTP_DEFAULT_TIMEOUT_MS */
    long connect_timeout_ms; /* 0: MS_HTTP_DEFAULT_CONNECT_TIMEOUT_MS */
    int retries;             /* negative: MS_HTTP_DEFAULT_RETRIES; at most MS_HTTP_MAX_RETRIES */
    size_t max_response;     /* 0: MS_HTTP_DEFAULT_MAX_RESPONSE */
    long backoff_ms;         /* first wait before a retry, doubling to 16x; 0: 250 ms */
} ms_http_options;

typedef struct ms_http_request {
    const char *service; /* names the service in messages: "Fulcio", "Rekor", ... */
    const char *url;     /* https://..., or http:// to a loopback host */
    const void *body;    /* NULL: GET; else POST these bytes */
    size_t body_len;
    const char *content_type; /* of the body (NULL: none) */
    const char *accept;       /* Accept header (NULL: none) */
    const char *bearer;       /* Authorization: Bearer token (NULL: none); never in a message */
    const char *secret;       /* another string that must never appear in a message (NULL) */
    /* Further request headers, each "Name: value" (NULL: none). They may carry a signature or
     * a session token: libcurl's copies are wiped after use, and none is ever in a message. */
    const char *const *headers;
    size_t n_headers;
    /* Optional: 1 when a 4xx answer (its status and body) asks us to slow down (e.g. HTTP 429).
     * Such an answer is retried as a 5xx is (the same count and backoff); when the retries are
     * spent it is MS_EENV "<service> (<url>): the service is throttling requests ...". */
    int (*throttled)(long status, const ms_buf *body);
} ms_http_request;

/* 1 when `url` may be requested: https://HOST..., or http:// with HOST 127.0.0.1, ::1 or
 * localhost. */
int http_url_allowed(const char *url);

/* Perform the request. On 2xx the body replaces the contents of `response` and 0 is returned.
 * Anything else is MS_EENV with "<service> (<url>): <cause>" (the URL without its query):
 * refused URL, connection failure or timeout after the retries, HTTP status >= 300 (with a
 * short printable excerpt of the answer that never includes the bearer token or `secret`),
 * a truncated or oversized body. MS_ENOMEM. */
int http_perform(const ms_http_options *opts, const ms_http_request *req, ms_buf *response,
                 ms_error *err);

/* The same with the final HTTP status in *status (when not NULL) and 0 also for 4xx answers
 * (their body in `response`), for callers that interpret error answers (OAuth token endpoint). */
int http_perform_status(const ms_http_options *opts, const ms_http_request *req, long *status,
                        ms_buf *response, ms_error *err);

/* ---- streaming answers and connection reuse ---- */

#define MS_HTTP_MAX_ETAG 256

/* A 2xx body handed over as it arrives instead of being collected (memory independent of its
 * size), and the answer headers a client checks. */
typedef struct http_stream {
    /* Called before the body of each attempt (after a retry the body starts over): reset
     * whatever was fed so far. Non-zero ends the request with that value (err filled). */
    int (*begin)(void *ctx, ms_error *err);
    /* The bytes of a 2xx body, in order. Non-zero ends the request with that value. */
    int (*data)(void *ctx, const uint8_t *bytes, size_t len, ms_error *err);
    void *ctx;
    /* out: the final answer's ETag header as sent ("" when none, or longer than the buffer)
     * and its Content-Length (-1 when none) */
    char etag[MS_HTTP_MAX_ETAG];
    int64_t content_length;
} http_stream;

/* A connection kept open between requests of one thread (one libcurl handle). */
typedef struct http_session http_session;

/* NULL when out of memory. */
http_session *http_session_new(void);
/* Accepts NULL. */
void http_session_free(http_session *s);

/* As http_perform_status, with optional `session` (its connection reused; NULL: a fresh one)
 * and optional `stream` (a 2xx body goes to stream->data, not to `response`; a body cut short
 * is retried like a connection failure). Without `status`, any answer but 2xx is MS_EENV. */
int http_perform_stream(const ms_http_options *opts, const ms_http_request *req,
                        http_session *session, http_stream *stream, long *status, ms_buf *response,
                        ms_error *err);

/* A short printable excerpt of an answer's text (`len` bytes; at most 160 characters, control
 * characters and runs of blanks as one space) into `out` of `size` bytes: "" when the text
 * holds `secret` (NULL: none), so that a server echoing a request puts no secret in a message. */
void http_excerpt(const void *text, size_t len, const char *secret, char *out, size_t size);

/* Percent-encode `s` for a URL query or an application/x-www-form-urlencoded body
 * (unreserved characters kept). 0 or MS_ENOMEM. */
int http_append_escaped(ms_buf *out, const char *s);

#endif
