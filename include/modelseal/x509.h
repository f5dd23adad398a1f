/* X.509 certificate chains: parsing, path validation at a given time, and leaf inspection.
 *
 * A chain is an ordered list of certificates; by convention the first is the leaf (signing)
 * certificate and the rest are intermediates. Trusted roots are passed as a second chain. Built on
 * OpenSSL. This module knows nothing of Fulcio, Rekor or SCTs beyond reading extension values. */
#ifndef MODELSEAL_X509_H
#define MODELSEAL_X509_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "export.h"
#include "key.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ms_x509_chain ms_x509_chain;

/* Limits on what we parse: certificates per chain, and bytes of PEM input. */
#define MS_X509_CHAIN_MAX 16
#define MS_X509_PEM_MAX (1024 * 1024)

/* An empty chain; NULL when out of memory. Free with ms_x509_chain_free. */
MS_API ms_x509_chain *ms_x509_chain_new(void);

/* Parse one or more PEM certificates ("-----BEGIN CERTIFICATE-----"; text between blocks is
 * ignored) in order. No certificate, a malformed one, more than MS_X509_CHAIN_MAX or more than
 * MS_X509_PEM_MAX bytes are MS_EINPUT. *out is owned by the caller. */
MS_API int ms_x509_parse_pem_chain(const uint8_t *pem, size_t len, ms_x509_chain **out,
                                   ms_error *err);

/* ms_x509_parse_pem_chain on a file; errors name `path`. */
MS_API int ms_x509_load_chain_file(const char *path, ms_x509_chain **out, ms_error *err);

/* Append one DER certificate (e.g. decoded from a bundle's rawBytes). Trailing bytes, a malformed
 * certificate or a full chain are MS_EINPUT. */
/* Append every certificate of the PEM file at `path` to `chain` (same bounds as
 * ms_x509_load_chain_file). 0, MS_EINPUT naming the file, or MS_ENOMEM. */
MS_API int ms_x509_chain_append_file(ms_x509_chain *chain, const char *path, ms_error *err);

/* As ms_x509_chain_append_file, or, for a `source` starting with "pkcs11:", the one certificate
 * object on a PKCS#11 token that RFC 7512 URI names (read without logging in; modules found as
 * ms_key_open_signer finds them). Errors name the URI without its PIN. */
MS_API int ms_x509_chain_append_source(ms_x509_chain *chain, const char *source, ms_error *err);

MS_API int ms_x509_chain_add_der(ms_x509_chain *chain, const uint8_t *der, size_t len,
                                 ms_error *err);

/* Validate the path from the first certificate of `leaf_and_intermediates` to a certificate of
 * `trusted_roots` at `at_time` (unix seconds; 0 = now). Intermediates may be in either list; the
 * path must end at a self-signed certificate of `trusted_roots`. The leaf must allow
 * digitalSignature (keyUsage) or codeSigning (extendedKeyUsage). 0 when valid; MS_EVERIFY with
 * "certificate expired at ...", "certificate not yet valid until ...", "certificate chain does
 * not lead to a trusted root: ..." or another reason; MS_EINPUT for an empty chain. */
MS_API int ms_x509_verify_chain(const ms_x509_chain *leaf_and_intermediates,
                                const ms_x509_chain *trusted_roots, int64_t at_time, ms_error *err);

/* The leaf's subject public key as an ms_key (Ed25519 or ECDSA P-256/384/521 only). */
MS_API int ms_x509_leaf_public_key(const ms_x509_chain *chain, ms_key **out, ms_error *err);

/* The leaf's first subjectAltName email address or URI, malloc'd; NULL when it has none. */
MS_API char *ms_x509_leaf_identity(const ms_x509_chain *chain);

/* 1 when `identity` equals (exactly, byte for byte) one of the leaf's subjectAltName email
 * addresses, URIs or DNS names; else 0. */
MS_API int ms_x509_leaf_has_identity(const ms_x509_chain *chain, const char *identity);

/* The leaf's subject as one line ("CN=signer, O=Example"), malloc'd; NULL when out of memory or
 * the chain is empty. */
MS_API char *ms_x509_leaf_subject(const ms_x509_chain *chain);

/* The text value of the leaf's extension `oid` (dotted form), malloc'd; NULL when the extension
 * is absent or its value is not text. Fulcio's 1.3.6.1.4.1.57264.1.1-.6 hold raw strings; later
 * Fulcio extensions (1.3.6.1.4.1.57264.1.8 ...) hold a DER string, which is decoded. */
MS_API char *ms_x509_leaf_extension_string(const ms_x509_chain *chain, const char *oid);

/* Number of certificates in the chain (0 for NULL). */
MS_API size_t ms_x509_chain_count(const ms_x509_chain *chain);

/* The DER encoding of certificate `index`; *der is malloc'd (free() it). 0, MS_EINPUT (no such
 * index) or MS_ENOMEM. */
MS_API int ms_x509_chain_der(const ms_x509_chain *chain, size_t index, uint8_t **der, size_t *len);

/* Release. Accepts NULL. */
MS_API void ms_x509_chain_free(ms_x509_chain *chain);

#ifdef __cplusplus
}
#endif
#endif
