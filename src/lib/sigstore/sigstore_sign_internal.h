/* Internals of keyless signing shared by signing_config.c, oidc.c and sigstore_sign.c (and
 * tested by tests/unit/test_sigstore_sign.c, linked statically). Not installed; the symbols
 * are hidden from the shared library's interface. */
#ifndef MODELSEAL_SIGSTORE_SIGN_INTERNAL_H
#define MODELSEAL_SIGSTORE_SIGN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "modelseal/error.h"
#include "modelseal/sigstore_sign.h"
#include "net/http.h"

#define MS_SIGNING_CONFIG_MEDIA_TYPE "application/vnd.dev.sigstore.signingconfig.v0.2+json"
#define MS_SIGNING_CONFIG_MAX_SIZE ((size_t)1 << 20)
#define MS_SIGNING_CONFIG_MAX_SERVICES 32
#define MS_SIGNING_CONFIG_URL_MAX 2048
/* At most this many logs or timestamp authorities are used for one signature. */
#define MS_SIGN_MAX_SELECTED 4
#define MS_OIDC_TOKEN_MAX ((size_t)16 << 10)

/* ---- signing config (signing_config.c) ---- */

typedef struct ms_sigstore_service {
    char *url;
    long major;         /* majorApiVersion */
    int64_t start, end; /* validFor; end INT64_MAX when open */
} ms_sigstore_service;

typedef enum ms_service_selector {
    MS_SELECT_ANY = 0,
    MS_SELECT_ALL,
    MS_SELECT_EXACT
} ms_service_selector;

typedef struct ms_signing_config {
    ms_sigstore_service *cas, *oidcs, *tlogs, *tsas;
    size_t n_cas, n_oidcs, n_tlogs, n_tsas;
    ms_service_selector tlog_selector, tsa_selector;
    size_t tlog_count, tsa_count; /* for MS_SELECT_EXACT */
} ms_signing_config;

/* The services one signature uses (pointers into the config). */
typedef struct ms_sigstore_services {
    const ms_sigstore_service *ca;   /* Fulcio, API v1 */
    const ms_sigstore_service *oidc; /* NULL when the config names none valid now */
    const ms_sigstore_service *tlogs[MS_SIGN_MAX_SELECTED];
    size_t n_tlogs;
    const ms_sigstore_service *tsas[MS_SIGN_MAX_SELECTED];
    size_t n_tsas;
} ms_sigstore_services;

/* Parse signing_config.v0.2.json strictly: the media type, only the known fields, every type
 * checked, URLs https:// (or http:// to a loopback host), validFor RFC 3339 with start, the
 * selectors ALL, ANY or EXACT (with a positive count). `what` names the file in messages.
 * *out is new (signing_config_free). 0, MS_EINPUT or MS_ENOMEM. */
int signing_config_parse(const uint8_t *json, size_t len, const char *what, ms_signing_config **out,
                         ms_error *err);
void signing_config_free(ms_signing_config *c);

/* Choose the services valid at `now`: the first Fulcio with API v1, the first OIDC issuer,
 * the Rekor logs of the highest supported API version (1 or 2) per the tlog selector, the
 * timestamp authorities (API v1) per the TSA selector. A Rekor v2 log needs a timestamp
 * authority. 0 or MS_EINPUT naming what is missing. */
int signing_config_select(const ms_signing_config *c, int64_t now, const char *what,
                          ms_sigstore_services *out, ms_error *err);

/* ---- OpenID Connect (oidc.c) ---- */

/* The identity token, from the sources in order (see ms_sigstore_sign_options). *token is
 * new (free it with oidc_token_free). `issuer` is the signing config's OIDC URL (NULL if
 * none: the interactive flow is then impossible). 0, MS_EINPUT (no source), MS_EENV. */
int oidc_get_token(const ms_sigstore_sign_options *opts, const char *issuer,
                   const ms_http_options *http, char **token, ms_error *err);
/* Whether oidc_get_token has a source to try (without contacting anything): an explicit
 * token, SIGSTORE_ID_TOKEN, GitHub Actions variables, or the interactive flow with an issuer.
 * 0 or MS_EINPUT with the message oidc_get_token would give. */
int oidc_token_available(const ms_sigstore_sign_options *opts, const char *issuer, ms_error *err);
/* Wipe and free a token. Accepts NULL. */
void oidc_token_free(char *token);

/* The identity a token names for Fulcio's proof of possession: its `email` claim when
 * present, else `sub`; and `iss`. The payload is decoded, not verified (Fulcio verifies the
 * token). *subject and *issuer are new (free()). 0, MS_EINPUT ("identity token: ..."; never
 * quoting the token) or MS_ENOMEM. */
int jwt_claims(const char *token, char **subject, char **issuer, ms_error *err);
/* A claim string of the token's payload (NULL when absent or not a string); new (free()). */
char *jwt_claim(const char *token, const char *name);

/* PKCE (RFC 7636): a new verifier (43 base64url characters from 32 random bytes) and the S256
 * challenge of a verifier (base64url of its SHA-256, 43 characters). 0 or MS_EENV. */
int pkce_verifier(char out[44]);
void pkce_challenge(const char *verifier, char out[44]);
/* base64url without padding of `len` bytes into out (at least 4*len/3 + 4 bytes). */
void base64url_encode(const uint8_t *data, size_t len, char *out);

/* Parse the redirect's request line "GET /path?query HTTP/1.1": 1 and the query's code and
 * state (new strings) when the path is `path`; 0 when it is another path (ignore it); -1 with
 * err set on an authorization error or a malformed request. */
int oidc_parse_redirect(const char *request_line, const char *path, char **code, char **state,
                        ms_error *err);

/* ---- service answers (sigstore_answers.c) ---- */

/* Add a standard base64 string member to a JSON object. 0 or MS_ENOMEM. */
int answers_add_base64(cJSON *obj, const char *name, const void *data, size_t len);

/* The leaf certificate (DER, new) from a Fulcio v2 signingCert answer: the first PEM of
 * signedCertificateEmbeddedSct.chain.certificates. 0, MS_EINPUT naming the field. */
int answers_fulcio_parse_response(const uint8_t *json, size_t len, const char *service,
                                  uint8_t **leaf_der, size_t *leaf_len, ms_error *err);

/* A Rekor v1 POST answer {uuid: {body, integratedTime, logID, logIndex, verification}} as a
 * bundle tlogEntries item, after checking that the logged body is a `kind` 0.0.1 entry
 * ("dsse": payloadHash = `digest`, the SHA-256 of the payload; "hashedrekord": data.hash =
 * `digest`, the artifact's) carrying `signature` and the certificate `leaf_der` (MS_EVERIFY
 * otherwise). *entry is new. */
int answers_rekor_v1_parse_response(const uint8_t *json, size_t len, const char *service,
                                    const char *kind, const uint8_t digest[32],
                                    const uint8_t *signature, size_t sig_len,
                                    const uint8_t *leaf_der, size_t leaf_len, cJSON **entry,
                                    ms_error *err);

/* A Rekor v2 answer (a TransparencyLogEntry) checked the same way: a `kind` ("dsse" or
 * "hashedrekord") 0.0.2 entry whose payloadHash / data digest is `digest`. *entry is new. */
int answers_rekor_v2_parse_response(const uint8_t *json, size_t len, const char *service,
                                    const char *kind, const uint8_t digest[32],
                                    const uint8_t *signature, size_t sig_len,
                                    const uint8_t *leaf_der, size_t leaf_len, cJSON **entry,
                                    ms_error *err);

#endif
