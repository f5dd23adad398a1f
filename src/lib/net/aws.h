/* AWS credentials, region and request signing (Signature Version 4) for every client of an AWS
 * service or of an S3-compatible one: object storage (net/s3.c) and AWS KMS keys. Not
 * installed; the symbols are hidden from the shared library.
 *
 * Credentials are looked for where the AWS SDKs look, in this order:
 *   1. the environment: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN);
 *   2. web identity: AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN (AWS_ROLE_SESSION_NAME), or
 *      the profile's web_identity_token_file and role_arn, exchanged with STS
 *      (AssumeRoleWithWebIdentity) for temporary credentials;
 *   3. the profile (AWS_PROFILE, else "default") of the shared credentials file
 *      (AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials), then of the config file
 *      (AWS_CONFIG_FILE, else ~/.aws/config; section [profile NAME], or [default]):
 *      aws_access_key_id, aws_secret_access_key, aws_session_token.
 * Secrets live in sodium_malloc'd memory, are wiped when cleared, and never appear in a
 * message: messages name where the credentials came from, never what they are. */
#ifndef MODELSEAL_NET_AWS_H
#define MODELSEAL_NET_AWS_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "modelseal/error.h"
#include "net/http.h"
#include "util/buf.h"

/* Largest credentials or config file read. */
#define AWS_MAX_CONFIG_FILE ((size_t)1 << 20)
/* Longest value taken from one (a session token is ~1 KiB). */
#define AWS_MAX_VALUE ((size_t)8 << 10)

typedef struct aws_credentials {
    char *access_key_id;     /* sodium_malloc'd; NULL until loaded */
    char *secret_access_key; /* sodium_malloc'd */
    char *session_token;     /* sodium_malloc'd; NULL when none */
    char source[160];        /* where they came from, for messages ("environment", ...) */
} aws_credentials;

/* Wipe and free; the struct is left empty. Accepts NULL. */
void aws_credentials_clear(aws_credentials *c);

/* Set the three strings (session_token may be NULL). 0 or MS_ENOMEM. */
int aws_credentials_set(aws_credentials *c, const char *access_key_id,
                        const char *secret_access_key, const char *session_token,
                        const char *source, ms_error *err);

typedef struct aws_load_options {
    const char *profile;         /* NULL: AWS_PROFILE, else "default" */
    const char *region;          /* for the STS endpoint (AWS_ENDPOINT_URL_STS, else
                                  * https://sts.REGION.amazonaws.com); NULL: aws_region_resolve */
    const ms_http_options *http; /* for STS (NULL: defaults) */
} aws_load_options;

/* Find credentials (see the top of this file) into *c (cleared first). 0; MS_EENV when there
 * are none (the message says where it looked) or STS refused; MS_EINPUT for a malformed file
 * (naming it and the line); MS_ENOMEM. */
int aws_credentials_load(const aws_load_options *o, aws_credentials *c, ms_error *err);

/* The region: AWS_REGION, else AWS_DEFAULT_REGION, else the profile's "region" in the config
 * file. 0 with out[0] == '\0' when none is set (the caller picks a default); MS_EINPUT for a
 * malformed config file or a region that is not [a-z0-9-]{1,63}. */
int aws_region_resolve(const char *profile, char *out, size_t size, ms_error *err);

/* ---- the INI-like files (exposed for the unit tests and the fuzz target) ---- */

/* The value of `key` in section `section` of a credentials/config file's text: 1 with *value
 * (malloc'd with sodium_malloc: free with aws_value_free) when found, 0 when not, MS_EINPUT
 * (a line that is neither a section, a comment, a sub-setting nor "key = value"; naming `file`
 * and the line number) or MS_ENOMEM. The last section of a name wins, as in the SDKs;
 * indented lines (sub-settings such as "s3 =" blocks) are skipped. */
int aws_ini_get(const char *text, size_t len, const char *file, const char *section,
                const char *key, char **value, ms_error *err);
void aws_value_free(char *value);

/* ---- Signature Version 4 ---- */

typedef struct aws_sigv4_request {
    const char *method;  /* "GET", "POST", ... */
    const char *url;     /* as sent: path and query already percent-encoded (RFC 3986) */
    const char *service; /* "s3", "kms", "sts", ...: S3's path is not encoded a second time */
    const char *region;
    const char *const *headers; /* further headers to sign (and send), "Name: value" */
    size_t n_headers;
    const void *body; /* the payload (NULL with body_len 0: none) */
    size_t body_len;
    const char *payload_hash;  /* NULL: hex SHA-256 of the body; else as given
                                  ("UNSIGNED-PAYLOAD") */
    int content_sha256_header; /* send (and sign) x-amz-content-sha256, as S3 requires */
    time_t when;               /* 0: now */
} aws_sigv4_request;

#define AWS_SIGNED_MAX 4

/* What to add to the request: "Authorization: AWS4-HMAC-SHA256 ...", "X-Amz-Date: ...", and
 * "X-Amz-Content-Sha256: ..." and "X-Amz-Security-Token: ..." when they apply. */
typedef struct aws_signed {
    char *headers[AWS_SIGNED_MAX]; /* malloc'd, wiped by aws_signed_clear (a token is a secret) */
    size_t n;
} aws_signed;

/* Sign. 0, MS_EINPUT (a URL that does not parse, a header without ':') or MS_ENOMEM. */
int aws_sigv4_sign(const aws_sigv4_request *r, const aws_credentials *c, aws_signed *out,
                   ms_error *err);
/* Wipe and free. Accepts NULL. */
void aws_signed_clear(aws_signed *s);

/* The canonical request and the string to sign for `r` (for tests; appended to the buffers). */
int aws_sigv4_canonical(const aws_sigv4_request *r, const aws_credentials *c, ms_buf *canonical,
                        ms_buf *to_sign, ms_error *err);

/* Percent-encode `s` (len bytes) as SigV4 wants: unreserved characters (A-Z a-z 0-9 - . _ ~)
 * kept, '/' kept when keep_slash, everything else %XX with upper-case hex. 0 or MS_ENOMEM. */
int aws_uri_encode(ms_buf *out, const char *s, size_t len, int keep_slash);

/* Percent-decode `s` (len bytes) into `out` (its contents replaced; no NUL added; NUL bytes
 * decoded are kept). A '%' not followed by two hex digits stays as it is, or with `strict` is
 * MS_EINPUT. 0, MS_EINPUT, MS_ENOMEM. */
int aws_uri_decode(ms_buf *out, const char *s, size_t len, int strict);

/* ---- XML answers (STS here, ListObjectsV2 in s3.c): a bounded, non-validating scan ---- */

/* The next element <name>...</name> (or <name/>) at or after *pos in xml[0, len): 1 with its
 * raw content in [*start, *end) and *pos just after it; 0 when there is none. Elements are
 * matched by name only (no namespaces, no nesting of the same name). */
int aws_xml_next(const char *xml, size_t len, size_t *pos, const char *name, size_t *start,
                 size_t *end);
/* Decode the five predefined entities and numeric references of text[0, len) into `out`
 * (replacing its contents, NUL-terminated). 0, MS_EINPUT (a bad reference, '<' in text, or
 * more than `max` bytes) or MS_ENOMEM. */
int aws_xml_text(const char *text, size_t len, size_t max, ms_buf *out, ms_error *err);

#endif
