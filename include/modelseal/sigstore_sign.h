/* Sigstore keyless signing: an identity token from OpenID Connect, a short-lived Fulcio
 * certificate for an ephemeral ECDSA P-256 key, the signature logged in Rekor (v1 or v2) and
 * timestamped by an RFC 3161 timestamp authority, all put in one Sigstore bundle (v0.3).
 *
 * The services come from a signing config (protobuf-specs SigningConfig v0.2,
 * `signing_config.v0.2.json`). Network access goes through libcurl with TLS verification on
 * (plain http:// only to a loopback address, for tests and local instances), bounded time,
 * bounded retries and bounded response bodies. The ephemeral key never leaves memory and is
 * wiped after use; the identity token never appears in an error message. */
#ifndef MODELSEAL_SIGSTORE_SIGN_H
#define MODELSEAL_SIGSTORE_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_sigstore_sign_options {
    /* The signing config file (required: the CLI passes the installed public-good or staging
     * one unless --signing-config names another). */
    const char *signing_config;
    /* The identity token. NULL: SIGSTORE_ID_TOKEN, then GitHub Actions ambient credentials
     * (ACTIONS_ID_TOKEN_REQUEST_URL / ACTIONS_ID_TOKEN_REQUEST_TOKEN, audience "sigstore"),
     * then, when `interactive`, the OAuth 2.0 authorization-code flow with PKCE against the
     * signing config's OIDC issuer (redirect received on 127.0.0.1). */
    const char *identity_token;
    int interactive;
    /* The OAuth client ID for the interactive flow (NULL: "sigstore"). */
    const char *oidc_client_id;
    /* Called with the authorization URL the user must open (may be NULL: nothing shown). */
    void (*show_url)(const char *url, void *ctx);
    void *show_url_ctx;
    /* Per-request total timeout and connect timeout in milliseconds (0: 60000 / 10000), and
     * the number of retries on 5xx and connection errors (negative: 3). */
    long timeout_ms;
    long connect_timeout_ms;
    int retries;
    /* How long the interactive flow waits for the browser's redirect, in milliseconds (0: five
     * minutes). */
    long interactive_timeout_ms;
    /* How a Rekor v2 log records a DSSE envelope: 0 (default) a `hashedrekord` 0.0.2 entry over
     * the SHA-256 of the PAE; 1 a `dsse` 0.0.2 entry (the form @sigstore/verify 3.x accepts). */
    int rekor_v2_dsse;
    /* The wait before the first retry in milliseconds, doubled after each retry up to 16 times
     * that (0: 250 ms, so at most 4 s). */
    long backoff_ms;
} ms_sigstore_sign_options;

/* Check, before any long work, what signing will need first: the signing config parses and
 * names services valid now, and an identity token source exists (an explicit token,
 * SIGSTORE_ID_TOKEN, GitHub Actions variables, or the interactive flow with an OIDC issuer).
 * Contacts nothing. 0 or the error signing would give (MS_EINPUT, MS_EENV). */
MS_API int ms_sigstore_sign_preflight(const ms_sigstore_sign_options *opts, ms_error *err);

/* Sign an in-toto statement keylessly: DSSE over PAE("application/vnd.in-toto+json", payload),
 * logged as a Rekor v1 `dsse` 0.0.1 entry or, on a Rekor v2 log, a `hashedrekord` 0.0.2 entry
 * over the SHA-256 of the PAE (or a `dsse` 0.0.2 entry with opts->rekor_v2_dsse; whichever log
 * the signing config selects), with an RFC 3161 timestamp over the
 * signature when the config names a timestamp authority (required for Rekor v2). The
 * compact bundle JSON (v0.3, verificationMaterial.certificate) goes to *bundle_json (malloc'd,
 * *bundle_len bytes; release with ms_free).
 * 0; MS_EENV naming the service on network failure or a refused request (exit 3); MS_EVERIFY
 * when a service answers with something for another key or signature; MS_EINPUT for a
 * malformed signing config, token or response; MS_ENOMEM. */
MS_API int ms_sigstore_sign_dsse(const ms_sigstore_sign_options *opts, const uint8_t *payload,
                                 size_t len, char **bundle_json, size_t *bundle_len, ms_error *err);

/* Sign an artifact keylessly as a message signature (ECDSA over the artifact, given by its
 * SHA-256 digest), logged as a `hashedrekord` entry (0.0.1 on Rekor v1, 0.0.2 on v2).
 * Same results as ms_sigstore_sign_dsse. */
MS_API int ms_sigstore_sign_message(const ms_sigstore_sign_options *opts, const uint8_t sha256[32],
                                    char **bundle_json, size_t *bundle_len, ms_error *err);

#ifdef __cplusplus
}
#endif
#endif
