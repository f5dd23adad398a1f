/* X.509 certificate chains on OpenSSL: parsing, path validation at a time, leaf inspection.
 *
 * Used for certificate-signed OMS bundles and Fulcio certificates. It does not fetch anything,
 * check revocation or look at SCTs; the caller decides which roots and which time to trust. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "key_internal.h"
#include "modelseal/x509.h"
#include "util/fs.h"

struct ms_x509_chain {
    STACK_OF(X509) * certs;
};

ms_x509_chain *ms_x509_chain_new(void)
{
    ms_x509_chain *chain = calloc(1, sizeof *chain);
    if (!chain)
        return NULL;
    chain->certs = sk_X509_new_null();
    if (!chain->certs) {
        free(chain);
        return NULL;
    }
    return chain;
}

void ms_x509_chain_free(ms_x509_chain *chain)
{
    if (!chain)
        return;
    sk_X509_pop_free(chain->certs, X509_free);
    free(chain);
}

size_t ms_x509_chain_count(const ms_x509_chain *chain)
{
    return chain ? (size_t)sk_X509_num(chain->certs) : 0;
}

static X509 *leaf_of(const ms_x509_chain *chain)
{
    return ms_x509_chain_count(chain) ? sk_X509_value(chain->certs, 0) : NULL;
}

/* Append `cert`, taking ownership in every case. */
static int chain_push(ms_x509_chain *chain, X509 *cert, const char *what, ms_error *err)
{
    if (ms_x509_chain_count(chain) >= MS_X509_CHAIN_MAX) {
        X509_free(cert);
        return ms_error_set(err, MS_EINPUT, "%s: more than %d certificates", what,
                            MS_X509_CHAIN_MAX);
    }
    if (!sk_X509_push(chain->certs, cert)) {
        X509_free(cert);
        return ms_error_nomem(err);
    }
    return 0;
}

static int parse_pem(const uint8_t *pem, size_t len, const char *what, ms_x509_chain **out,
                     ms_error *err)
{
    ms_x509_chain *chain = NULL;
    BIO *bio = NULL;
    int rc;
    if (len > MS_X509_PEM_MAX)
        return ms_error_set(err, MS_EINPUT, "%s: larger than the limit of %d bytes", what,
                            MS_X509_PEM_MAX);
    chain = ms_x509_chain_new();
    bio = BIO_new_mem_buf(pem, (int)len);
    if (!chain || !bio) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (;;) {
        X509 *cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
        if (!cert) {
            unsigned long e = ERR_peek_last_error();
            if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
                break;
            rc = ms_error_set(err, MS_EINPUT, "%s: malformed certificate %zu: %s", what,
                              ms_x509_chain_count(chain) + 1,
                              e ? ERR_reason_error_string(e) : "unknown error");
            goto out;
        }
        rc = chain_push(chain, cert, what, err);
        if (rc < 0)
            goto out;
    }
    if (ms_x509_chain_count(chain) == 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: no PEM certificate", what);
        goto out;
    }
    *out = chain;
    chain = NULL;
    rc = 0;
out:
    ERR_clear_error();
    BIO_free(bio);
    ms_x509_chain_free(chain);
    return rc;
}

int ms_x509_parse_pem_chain(const uint8_t *pem, size_t len, ms_x509_chain **out, ms_error *err)
{
    return parse_pem(pem, len, "certificate chain", out, err);
}

int ms_x509_load_chain_file(const char *path, ms_x509_chain **out, ms_error *err)
{
    ms_buf buf = MS_BUF_INIT;
    int rc = msx_file_read(path, MS_X509_PEM_MAX, &buf, err);
    if (rc == 0)
        rc = parse_pem(buf.data ? buf.data : (const uint8_t *)"", buf.len, path, out, err);
    msx_buf_free(&buf);
    return rc;
}

int ms_x509_chain_add_der(ms_x509_chain *chain, const uint8_t *der, size_t len, ms_error *err)
{
    if (len > MS_X509_PEM_MAX)
        return ms_error_set(err, MS_EINPUT, "certificate larger than the limit of %d bytes",
                            MS_X509_PEM_MAX);
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    ERR_clear_error();
    if (!cert || p != der + len) {
        X509_free(cert);
        return ms_error_set(err, MS_EINPUT, "malformed DER certificate");
    }
    return chain_push(chain, cert, "certificate chain", err);
}

int ms_x509_chain_der(const ms_x509_chain *chain, size_t index, uint8_t **der, size_t *len)
{
    if (index >= ms_x509_chain_count(chain))
        return MS_EINPUT;
    unsigned char *enc = NULL;
    int n = i2d_X509(sk_X509_value(chain->certs, (int)index), &enc);
    if (n <= 0) {
        ERR_clear_error();
        return MS_ENOMEM;
    }
    uint8_t *copy = malloc((size_t)n);
    if (copy)
        memcpy(copy, enc, (size_t)n);
    OPENSSL_free(enc);
    if (!copy)
        return MS_ENOMEM;
    *der = copy;
    *len = (size_t)n;
    return 0;
}

/* Subject of `cert` as one line, malloc'd. */
static char *name_line(const X509_NAME *name)
{
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    if (!bio)
        return NULL;
    unsigned long flags =
        (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
    if (X509_NAME_print_ex(bio, name, 0, flags) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        text = malloc((size_t)n + 1);
        if (text) {
            if (n > 0)
                memcpy(text, data, (size_t)n);
            text[n] = '\0';
        }
    }
    BIO_free(bio);
    ERR_clear_error();
    return text;
}

char *ms_x509_leaf_subject(const ms_x509_chain *chain)
{
    X509 *leaf = leaf_of(chain);
    return leaf ? name_line(X509_get_subject_name(leaf)) : NULL;
}

static void format_time(const ASN1_TIME *t, char out[32])
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "(unreadable time)");
}

/* A verification failure from OpenSSL as our message. */
static int chain_error(X509_STORE_CTX *ctx, ms_error *err)
{
    int e = X509_STORE_CTX_get_error(ctx);
    X509 *cur = X509_STORE_CTX_get_current_cert(ctx);
    char *subject = cur ? name_line(X509_get_subject_name(cur)) : NULL;
    const char *who = subject ? subject : "(unknown certificate)";
    char when[32];
    int rc;
    switch (e) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
        format_time(cur ? X509_get0_notAfter(cur) : NULL, when);
        rc = ms_error_set(err, MS_EVERIFY, "certificate expired at %s: %s", when, who);
        break;
    case X509_V_ERR_CERT_NOT_YET_VALID:
        format_time(cur ? X509_get0_notBefore(cur) : NULL, when);
        rc = ms_error_set(err, MS_EVERIFY, "certificate not yet valid until %s: %s", when, who);
        break;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
        rc = ms_error_set(err, MS_EVERIFY,
                          "certificate chain does not lead to a trusted root: %s (%s)",
                          X509_verify_cert_error_string(e), who);
        break;
    default:
        rc = ms_error_set(err, MS_EVERIFY, "certificate chain does not verify: %s (%s)",
                          X509_verify_cert_error_string(e), who);
        break;
    }
    free(subject);
    return rc;
}

/* The leaf must be usable for signing. A keyUsage extension that is present must include
 * digitalSignature; and either that or extendedKeyUsage codeSigning must be there. */
static int check_leaf_usage(X509 *leaf, ms_error *err)
{
    uint32_t flags = X509_get_extension_flags(leaf);
    int has_ku = (flags & EXFLAG_KUSAGE) != 0;
    int digital_signature = has_ku && (X509_get_key_usage(leaf) & KU_DIGITAL_SIGNATURE);
    int code_signing =
        (flags & EXFLAG_XKUSAGE) && (X509_get_extended_key_usage(leaf) & XKU_CODE_SIGN);
    if ((has_ku && !digital_signature) || (!digital_signature && !code_signing)) {
        char *subject = name_line(X509_get_subject_name(leaf));
        int rc = ms_error_set(err, MS_EVERIFY,
                              "certificate %s: not usable for signing (needs keyUsage "
                              "digitalSignature or extendedKeyUsage codeSigning)",
                              subject ? subject : "(leaf)");
        free(subject);
        return rc;
    }
    return 0;
}

int ms_x509_verify_chain(const ms_x509_chain *leaf_and_intermediates,
                         const ms_x509_chain *trusted_roots, int64_t at_time, ms_error *err)
{
    X509_STORE *store = NULL;
    X509_STORE_CTX *ctx = NULL;
    STACK_OF(X509) *untrusted = NULL;
    X509 *leaf = leaf_of(leaf_and_intermediates);
    int rc;
    if (!leaf)
        return ms_error_set(err, MS_EINPUT, "empty certificate chain");
    if (ms_x509_chain_count(trusted_roots) == 0)
        return ms_error_set(err, MS_EINPUT, "no trusted root certificates");
    if (at_time < 0)
        return ms_error_set(err, MS_EINPUT, "verification time before 1970");
    store = X509_STORE_new();
    ctx = X509_STORE_CTX_new();
    untrusted = sk_X509_new_null();
    if (!store || !ctx || !untrusted) {
        rc = ms_error_nomem(err);
        goto out;
    }
    for (size_t i = 0; i < ms_x509_chain_count(trusted_roots); i++) {
        if (X509_STORE_add_cert(store, sk_X509_value(trusted_roots->certs, (int)i)) != 1) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    for (size_t i = 1; i < ms_x509_chain_count(leaf_and_intermediates); i++) {
        if (!sk_X509_push(untrusted, sk_X509_value(leaf_and_intermediates->certs, (int)i))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if (X509_STORE_CTX_init(ctx, store, leaf, untrusted) != 1) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (at_time != 0)
        X509_STORE_CTX_set_time(ctx, 0, (time_t)at_time);
    if (X509_verify_cert(ctx) != 1) {
        rc = chain_error(ctx, err);
        goto out;
    }
    rc = check_leaf_usage(leaf, err);
out:
    ERR_clear_error();
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    return rc;
}

int ms_x509_leaf_public_key(const ms_x509_chain *chain, ms_key **out, ms_error *err)
{
    X509 *leaf = leaf_of(chain);
    if (!leaf)
        return ms_error_set(err, MS_EINPUT, "empty certificate chain");
    EVP_PKEY *pkey = X509_get0_pubkey(leaf);
    ERR_clear_error();
    if (!pkey)
        return ms_error_set(err, MS_EINPUT, "certificate: unreadable subject public key");
    return key_from_evp(pkey, out, err);
}

/* A SAN entry's string when it is an email address or URI (or DNS name, `with_dns`), else NULL.
 * The string may contain NULs; callers compare by length. */
static const ASN1_IA5STRING *san_text(const GENERAL_NAME *gn, int with_dns)
{
    switch (gn->type) {
    case GEN_EMAIL:
        return gn->d.rfc822Name;
    case GEN_URI:
        return gn->d.uniformResourceIdentifier;
    case GEN_DNS:
        return with_dns ? gn->d.dNSName : NULL;
    }
    return NULL;
}

static char *copy_text(const unsigned char *data, long n)
{
    if (n < 0 || (n > 0 && memchr(data, '\0', (size_t)n)))
        return NULL;
    char *text = malloc((size_t)n + 1);
    if (text) {
        if (n > 0)
            memcpy(text, data, (size_t)n);
        text[n] = '\0';
    }
    return text;
}

char *ms_x509_leaf_identity(const ms_x509_chain *chain)
{
    X509 *leaf = leaf_of(chain);
    char *result = NULL;
    if (!leaf)
        return NULL;
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && i < sk_GENERAL_NAME_num(names); i++) {
        const ASN1_IA5STRING *s = san_text(sk_GENERAL_NAME_value(names, i), 0);
        if (!s)
            continue;
        const unsigned char *data = ASN1_STRING_get0_data(s);
        int n = ASN1_STRING_length(s);
        result = copy_text(data, n);
        if (result)
            break;
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return result;
}

int ms_x509_leaf_has_identity(const ms_x509_chain *chain, const char *identity)
{
    X509 *leaf = leaf_of(chain);
    int found = 0;
    if (!leaf || !identity)
        return 0;
    size_t want = strlen(identity);
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    for (int i = 0; names && !found && i < sk_GENERAL_NAME_num(names); i++) {
        const ASN1_IA5STRING *s = san_text(sk_GENERAL_NAME_value(names, i), 1);
        if (s && ASN1_STRING_length(s) >= 0 && (size_t)ASN1_STRING_length(s) == want &&
            memcmp(ASN1_STRING_get0_data(s), identity, want) == 0)
            found = 1;
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return found;
}

/* Fulcio's first extensions (issuer, GitHub workflow fields) hold the raw string bytes rather
 * than a DER string. */
static int fulcio_raw_oid(const char *oid)
{
    static const char prefix[] = "1.3.6.1.4.1.57264.1.";
    if (strncmp(oid, prefix, sizeof prefix - 1) != 0)
        return 0;
    const char *arc = oid + sizeof prefix - 1;
    return arc[0] >= '1' && arc[0] <= '6' && arc[1] == '\0';
}

char *ms_x509_leaf_extension_string(const ms_x509_chain *chain, const char *oid)
{
    X509 *leaf = leaf_of(chain);
    char *result = NULL;
    if (!leaf || !oid)
        return NULL;
    ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
    int idx = obj ? X509_get_ext_by_OBJ(leaf, obj, -1) : -1;
    ASN1_OBJECT_free(obj);
    if (idx < 0)
        goto out;
    const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(X509_get_ext(leaf, idx));
    const unsigned char *data = ASN1_STRING_get0_data(value);
    long n = ASN1_STRING_length(value);
    if (fulcio_raw_oid(oid)) {
        result = copy_text(data, n);
        goto out;
    }
    const unsigned char *p = data;
    ASN1_TYPE *t = d2i_ASN1_TYPE(NULL, &p, n);
    if (t && p == data + n &&
        (t->type == V_ASN1_UTF8STRING || t->type == V_ASN1_IA5STRING ||
         t->type == V_ASN1_PRINTABLESTRING))
        result = copy_text(ASN1_STRING_get0_data(t->value.asn1_string),
                           ASN1_STRING_length(t->value.asn1_string));
    ASN1_TYPE_free(t);
out:
    ERR_clear_error();
    return result;
}

int ms_x509_chain_append_file(ms_x509_chain *chain, const char *path, ms_error *err)
{
    ms_x509_chain *more = NULL;
    int rc = ms_x509_load_chain_file(path, &more, err);
    for (size_t i = 0; rc == 0 && i < ms_x509_chain_count(more); i++) {
        uint8_t *der = NULL;
        size_t len = 0;
        if ((rc = ms_x509_chain_der(more, i, &der, &len)) != 0)
            rc = ms_error_set(err, rc, "%s: cannot encode certificate %zu", path, i);
        else
            rc = ms_x509_chain_add_der(chain, der, len, err);
        free(der);
    }
    ms_x509_chain_free(more);
    return rc;
}
