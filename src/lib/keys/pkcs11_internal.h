/* PKCS#11 inside keys/: the RFC 7512 URI (pkcs11_uri.c) and keys that live on a token
 * (key_pkcs11.c). Not installed; private to keys/ (and the fuzz target of the URI parser). */
#ifndef MODELSEAL_PKCS11_INTERNAL_H
#define MODELSEAL_PKCS11_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/error.h"
#include "modelseal/key.h"

/* Bounds on what a URI may carry: the whole text, one decoded value, a CKA_ID. */
#define P11_URI_MAX 4096
#define P11_URI_VALUE_MAX 1024
#define P11_URI_ID_MAX 256

/* The object classes a URI's `type` names; 0 when it names none. */
enum p11_uri_type {
    P11_TYPE_ANY = 0,
    P11_TYPE_PRIVATE,
    P11_TYPE_PUBLIC,
    P11_TYPE_CERT,
    P11_TYPE_SECRET_KEY,
    P11_TYPE_DATA
};

/* A parsed pkcs11: URI. Every string is percent-decoded, NUL-free and NULL when absent. */
typedef struct p11_uri {
    /* path: the token */
    char *token, *manufacturer, *serial, *model;
    /* path: the slot and the module's library */
    char *slot_description, *slot_manufacturer, *library_manufacturer, *library_description;
    unsigned long slot_id;
    int has_slot_id;
    /* path: the object */
    char *object;
    uint8_t *id; /* may hold any byte */
    size_t id_len;
    int has_id;
    enum p11_uri_type type;
    /* query */
    char *module_path, *module_name, *pin_source;
    char *pin_value; /* sodium_malloc'd, wiped on release */
    /* The URI as given, without its pin-value: what error messages quote. */
    char *display;
} p11_uri;

/* 1 when `text` starts with "pkcs11:" (any case of the scheme). */
int p11_uri_is(const char *text);

/* Parse an RFC 7512 URI. Bounded (P11_URI_MAX characters, P11_URI_VALUE_MAX bytes a value,
 * P11_URI_ID_MAX bytes of id); a bad percent escape, a repeated or unknown attribute (other
 * than the x- vendor ones, which are ignored), a raw byte outside printable ASCII, a NUL in a
 * string value or both pin-source and pin-value are MS_EINPUT; no message quotes a PIN. *out is
 * owned by the caller (p11_uri_free). */
int p11_uri_parse(const char *text, p11_uri **out, ms_error *err);

/* Wipe and release. Accepts NULL. */
void p11_uri_free(p11_uri *uri);

/* ---- key_pkcs11.c ---- */

/* The token behind a key that signs on a token (opaque outside key_pkcs11.c). */
typedef struct key_token key_token;

/* Open the private key the URI names and make a signing ms_key of it (public part read from
 * the token's public-key object or certificate). The PIN: the URI's pin-source, its pin-value,
 * else get_pin (may be NULL). */
int key_token_open(const char *uri, ms_passphrase_fn get_pin, void *ctx, ms_key **out,
                   ms_error *err);

/* Sign with the token's key as ms_key_sign does for a file key; the result is checked with
 * the key's public part before it is returned. */
int key_token_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig,
                   size_t *sig_len, ms_error *err);

/* Log out, close the session and release the module. Accepts NULL. */
void key_token_free(key_token *token);

#endif
