/* Keys held by a key service over HTTP (keys/ may use net/): HashiCorp Vault's transit engine
 * (hashivault://, key_vault.c) and AWS KMS (awskms://, key_awskms.c); what they share is in
 * key_remote.c. Not installed; private to keys/ (and the fuzz target of the answer parsers). */
#ifndef MODELSEAL_KMS_INTERNAL_H
#define MODELSEAL_KMS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/key.h"
#include "net/http.h"
#include "util/buf.h"

/* Bounds: a key's name or id in a URI, an answer from the service, a token. */
#define REMOTE_NAME_MAX 1024
#define REMOTE_ANSWER_MAX ((size_t)256 * 1024)
#define REMOTE_TOKEN_MAX 8192

enum remote_kind { REMOTE_VAULT = 1, REMOTE_AWS };

/* A key that signs in a key service. The ms_key it hangs from holds the public key the service
 * reported; every signature is checked with it before it is returned. */
typedef struct key_remote {
    enum remote_kind kind;
    char *display;       /* the URI as given: what messages quote (it carries no secret) */
    const char *service; /* "Vault", "AWS KMS": names the service in messages */
    ms_http_options http;
    ms_key_type type;
    /* Vault */
    char *sign_url;          /* VAULT_ADDR/v1/MOUNT/sign/NAME */
    char *token;             /* X-Vault-Token: ... (the whole header line; wiped) */
    char *namespace;         /* X-Vault-Namespace: ... header line, or NULL */
    const char *token_value; /* inside `token`: the secret alone, for http's `secret` */
    unsigned long version;   /* the key version whose public key we hold */
    /* AWS KMS */
    struct awskms *aws;
} key_remote;

/* ---- key_remote.c ---- */

/* 1 when `source` starts with "hashivault://" or "awskms://". */
int key_remote_is(const char *source);

/* Open the key the URI names: its type and public key from the service, as a signing ms_key.
 * Errors name the URI (never a token or a secret key). */
int key_remote_open(const char *source, ms_key **out, ms_error *err);

/* Sign as ms_key_sign does, in the service; the signature is checked with the public key the
 * service reported before it is returned (an answer that does not verify is refused). */
int key_remote_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig,
                    size_t *sig_len, ms_error *err);

/* Wipe and release. Accepts NULL. */
void key_remote_free(key_remote *r);

/* The HTTP options from MODELSEAL_HTTP_TIMEOUT_MS, MODELSEAL_HTTP_RETRIES and
 * MODELSEAL_HTTP_BACKOFF_MS (as for the Sigstore client; unset: the defaults). */
void remote_http_options(ms_http_options *o);

/* ---- key_vault.c ---- */

int vault_open(key_remote *r, const char *name, ms_key **out, ms_error *err);
int vault_sign(const key_remote *r, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
               ms_error *err);

/* The answer of GET /v1/MOUNT/keys/NAME: the key's type, its latest version and that version's
 * public key (*pub, the caller's). `what` names the key in messages. Hostile input. */
int vault_parse_key(const uint8_t *body, size_t len, const char *what, ms_key **pub,
                    unsigned long *version, ms_error *err);

/* The answer of POST /v1/MOUNT/sign/NAME: "vault:v<version>:<base64>" for `version`, the
 * signature (*sig, malloc'd; DER for ECDSA, 64 bytes for Ed25519). Hostile input. */
int vault_parse_signature(const uint8_t *body, size_t len, const char *what, ms_key_type type,
                          unsigned long version, uint8_t **sig, size_t *sig_len, ms_error *err);

/* ---- key_awskms.c ---- */

int awskms_open(key_remote *r, const char *rest, ms_key **out, ms_error *err);
int awskms_sign(const key_remote *r, const uint8_t *msg, size_t len, uint8_t **sig, size_t *sig_len,
                ms_error *err);
void awskms_free(struct awskms *a);

/* The answer of GetPublicKey: the key's ARN (*key_id, malloc'd), its type and public key.
 * `secret` (NULL: none) is the credential no message may show: a KeyId quoting it is refused,
 * and a quoted KeySpec holding it is not shown. */
int awskms_parse_public_key(const uint8_t *body, size_t len, const char *what, const char *secret,
                            char **key_id, ms_key **pub, ms_error *err);

/* The answer of Sign: the signature (*sig, malloc'd) made by `key_id` with `algorithm`; an
 * answer for another key or algorithm is refused (a KeyId holding `secret` is not shown). */
int awskms_parse_sign(const uint8_t *body, size_t len, const char *what, const char *secret,
                      const char *key_id, const char *algorithm, uint8_t **sig, size_t *sig_len,
                      ms_error *err);

#endif
