/* The Fulcio leaf of a keyless Sigstore bundle, checked offline against the trusted root: the
 * material (no root certificate in the bundle), the identity, OIDC issuer and codeSigning usage,
 * the chain to a Fulcio CA at every verified signing time, and the embedded SCT (RFC 6962). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ct.h>
#include <openssl/err.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include "sigstore_verify_internal.h"
#include "util/buf.h"

/* ---- the leaf certificate ---- */

static int is_self_signed(X509 *x)
{
    return (X509_get_extension_flags(x) & EXFLAG_SS) != 0;
}

int sv_load_material(ms_sigstore_vctx *c, ms_error *err)
{
    size_t n = ms_bundle_certificate_count(c->bundle);
    ms_bundle_material kind = ms_bundle_material_kind(c->bundle);
    if (c->key) {
        if (kind != MS_MATERIAL_PUBLIC_KEY)
            return sv_fail(err, MS_EVERIFY, "public key",
                           "the bundle is signed with a certificate, not with a managed key");
        return 0;
    }
    if (kind == MS_MATERIAL_PUBLIC_KEY)
        return sv_fail(err, MS_EVERIFY, "certificate chain",
                       "the bundle is signed with a managed key, not with a certificate");
    if (kind != MS_MATERIAL_CERTIFICATE && kind != MS_MATERIAL_X509_CHAIN)
        return sv_fail(err, MS_EINPUT, "certificate chain", "the bundle carries no certificate");
    if (n == 0)
        return sv_fail(err, MS_EINPUT, "certificate chain",
                       "the bundle's certificate chain is empty");
    if (!(c->intermediates = sk_X509_new_null()) || !(c->leaf_chain = ms_x509_chain_new()))
        return ms_error_nomem(err);
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const uint8_t *der = ms_bundle_certificate(c->bundle, i, &len);
        const unsigned char *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)len);
        ERR_clear_error();
        if (!x || p != der + len) {
            X509_free(x);
            return sv_fail(err, MS_EINPUT, "certificate chain", "certificate %zu is not DER", i);
        }
        if (i == 0) {
            c->leaf = x;
            c->leaf_der = der;
            c->leaf_der_len = len;
            continue;
        }
        if (!sk_X509_push(c->intermediates, x)) {
            X509_free(x);
            return ms_error_nomem(err);
        }
        if (is_self_signed(x))
            return sv_fail(
                err, MS_EVERIFY, "certificate chain",
                "the bundle carries a root certificate; trust comes from the trusted root");
    }
    if (is_self_signed(c->leaf))
        return sv_fail(err, MS_EVERIFY, "certificate chain",
                       "the signing certificate is self-signed");
    return ms_x509_chain_add_der(c->leaf_chain, c->leaf_der, c->leaf_der_len, err);
}

int sv_check_identity(ms_sigstore_vctx *c, ms_error *err)
{
    const char *want_issuer = c->policy->issuer;
    if (!ms_x509_leaf_has_identity(c->leaf_chain, c->policy->identity)) {
        char *id = ms_x509_leaf_identity(c->leaf_chain);
        int rc =
            sv_fail(err, MS_EVERIFY, "certificate identity", "the certificate is for %s, not %s",
                    id ? id : "no identity", c->policy->identity);
        free(id);
        return rc;
    }
    char *issuer = ms_x509_leaf_extension_string(c->leaf_chain, MS_FULCIO_OID_ISSUER_V2);
    if (!issuer)
        issuer = ms_x509_leaf_extension_string(c->leaf_chain, MS_FULCIO_OID_ISSUER_V1);
    if (!issuer || strcmp(issuer, want_issuer) != 0) {
        int rc = sv_fail(err, MS_EVERIFY, "certificate issuer", "the OIDC issuer is %s, not %s",
                         issuer ? issuer : "absent", want_issuer);
        free(issuer);
        return rc;
    }
    free(issuer);
    uint32_t xku = X509_get_extended_key_usage(c->leaf);
    if (!(X509_get_extension_flags(c->leaf) & EXFLAG_XKUSAGE) || !(xku & XKU_CODE_SIGN))
        return sv_fail(err, MS_EVERIFY, "certificate usage",
                       "the certificate lacks the codeSigning extended key usage");
    if ((X509_get_extension_flags(c->leaf) & EXFLAG_KUSAGE) &&
        !(X509_get_key_usage(c->leaf) & KU_DIGITAL_SIGNATURE))
        return sv_fail(err, MS_EVERIFY, "certificate usage",
                       "the certificate's key usage lacks digitalSignature");
    return 0;
}

/* ---- the chain at the signing time, and the SCT ---- */

/* The leaf chains to a CA of the root valid at every verified time. Signatures do not depend
 * on the time, so the path is built and checked once, at the earliest time; then every
 * certificate of the path must be valid at each other time. On success *issuer is the leaf's
 * issuer (up-referenced). */
int sv_verify_chain(ms_sigstore_vctx *c, X509 **issuer, ms_error *err)
{
    char when[40], detail[160] = "no certificate authority of the trusted root was valid then";
    int64_t nb, na, first = c->times[0];
    if (sigstore_asn1_time_unix(X509_get0_notBefore(c->leaf), &nb) != 0 ||
        sigstore_asn1_time_unix(X509_get0_notAfter(c->leaf), &na) != 0)
        return sv_fail(err, MS_EINPUT, "certificate chain", "unreadable certificate validity");
    for (size_t i = 0; i < c->n_times; i++) {
        int64_t t = c->times[i];
        first = t < first ? t : first;
        if (t < nb || t > na) {
            char b[40], a[40];
            return sv_fail(err, MS_EVERIFY, "signing time",
                           "the verified time %s is outside the certificate's validity (%s to %s)",
                           sigstore_time_format(t, when, sizeof when),
                           sigstore_time_format(nb, b, sizeof b),
                           sigstore_time_format(na, a, sizeof a));
        }
    }
    sigstore_time_format(first, when, sizeof when);
    for (size_t i = 0; i < c->root->n_cas; i++) {
        const ms_authority *ca = &c->root->cas[i];
        STACK_OF(X509) *ca_chain = NULL, *untrusted = NULL;
        X509_STORE *store = NULL;
        X509_STORE_CTX *ctx = NULL;
        int ok = 1, n;
        for (size_t k = 0; k < c->n_times; k++)
            ok = ok && sigstore_time_in_range(&ca->valid, c->times[k]);
        if (!ok)
            continue;
        ok = 0;
        if (!(ca_chain = sigstore_authority_chain(ca, err)))
            return MS_EINPUT;
        n = sk_X509_num(ca_chain);
        if (!(store = X509_STORE_new()) || !(ctx = X509_STORE_CTX_new()) ||
            !(untrusted = sk_X509_new_null()) ||
            X509_STORE_add_cert(store, sk_X509_value(ca_chain, n - 1)) != 1)
            goto next;
        for (int k = 0; k < n - 1; k++) {
            if (!sk_X509_push(untrusted, sk_X509_value(ca_chain, k)))
                goto next;
        }
        for (int k = 0; k < sk_X509_num(c->intermediates); k++) {
            if (!sk_X509_push(untrusted, sk_X509_value(c->intermediates, k)))
                goto next;
        }
        if (X509_STORE_CTX_init(ctx, store, c->leaf, untrusted) != 1)
            goto next;
        X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
        X509_STORE_CTX_set_time(ctx, 0, (time_t)first);
        if (X509_verify_cert(ctx) != 1) {
            snprintf(detail, sizeof detail, "%s",
                     X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
            goto next;
        }
        STACK_OF(X509) *path = X509_STORE_CTX_get0_chain(ctx);
        ok = sk_X509_num(path) >= 2;
        for (int k = 0; ok && k < sk_X509_num(path); k++) {
            X509 *x = sk_X509_value(path, k);
            if (sigstore_asn1_time_unix(X509_get0_notBefore(x), &nb) != 0 ||
                sigstore_asn1_time_unix(X509_get0_notAfter(x), &na) != 0) {
                ok = 0;
                break;
            }
            for (size_t m = 0; ok && m < c->n_times; m++) {
                if (c->times[m] < nb || c->times[m] > na) {
                    snprintf(detail, sizeof detail, "a CA certificate was not valid at %s",
                             sigstore_time_format(c->times[m], when, sizeof when));
                    ok = 0;
                }
            }
        }
        if (ok && X509_up_ref(sk_X509_value(path, 1)))
            *issuer = sk_X509_value(path, 1);
        else
            ok = 0;
    next:
        X509_STORE_CTX_free(ctx);
        sk_X509_free(untrusted);
        X509_STORE_free(store);
        sk_X509_pop_free(ca_chain, X509_free);
        ERR_clear_error();
        if (ok)
            return 0;
    }
    return sv_fail(err, MS_EVERIFY, "certificate chain",
                   "the certificate does not chain to a Fulcio CA of the trusted root at %s (%s)",
                   when, detail);
}

static int put_be(uint8_t *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
    return n;
}

/* RFC 6962 section 3.2: the signed data of a precertificate SCT. */
static int sct_signed_data(const SCT *sct, const uint8_t issuer_hash[32], const uint8_t *tbs,
                           size_t tbs_len, ms_buf *out)
{
    unsigned char *ext = NULL;
    size_t ext_len = SCT_get0_extensions(sct, &ext);
    uint8_t head[2 + 8 + 2 + 32 + 3];
    size_t n = 0;
    if (tbs_len > 0xffffff || ext_len > 0xffff)
        return -1;
    head[n++] = 0; /* v1 */
    head[n++] = 0; /* certificate_timestamp */
    n += (size_t)put_be(head + n, SCT_get_timestamp(sct), 8);
    n += (size_t)put_be(head + n, 1, 2); /* precert_entry */
    memcpy(head + n, issuer_hash, 32);
    n += 32;
    n += (size_t)put_be(head + n, tbs_len, 3);
    uint8_t ext_head[2];
    put_be(ext_head, ext_len, 2);
    msx_buf_reset(out);
    if (msx_buf_append(out, head, n) || msx_buf_append(out, tbs, tbs_len) ||
        msx_buf_append(out, ext_head, 2) || (ext_len && msx_buf_append(out, ext, ext_len)))
        return -1;
    return 0;
}

int sv_check_sct(ms_sigstore_vctx *c, X509 *issuer, ms_error *err)
{
    STACK_OF(SCT) *scts = X509_get_ext_d2i(c->leaf, NID_ct_precert_scts, NULL, NULL);
    X509 *pre = NULL;
    unsigned char *tbs = NULL, *spki = NULL;
    uint8_t issuer_hash[32];
    ms_buf data = MS_BUF_INIT;
    size_t verified = 0, unknown = 0;
    int rc, idx, tbs_len, spki_len;
    ERR_clear_error();
    if (!scts || sk_SCT_num(scts) == 0) {
        rc = sv_fail(err, MS_EVERIFY, "SCT", "the certificate carries no embedded SCT");
        goto out;
    }
    /* The precertificate's TBSCertificate: the leaf's, without the SCT list (and poison). */
    if (!(pre = X509_dup(c->leaf))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    while ((idx = X509_get_ext_by_NID(pre, NID_ct_precert_scts, -1)) >= 0)
        X509_EXTENSION_free(X509_delete_ext(pre, idx));
    while ((idx = X509_get_ext_by_NID(pre, NID_ct_precert_poison, -1)) >= 0)
        X509_EXTENSION_free(X509_delete_ext(pre, idx));
    tbs_len = i2d_re_X509_tbs(pre, &tbs);
    spki_len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(issuer), &spki);
    if (tbs_len <= 0 || spki_len <= 0) {
        rc = ms_error_nomem(err);
        goto out;
    }
    SHA256(spki, (size_t)spki_len, issuer_hash);
    for (int i = 0; i < sk_SCT_num(scts); i++) {
        const SCT *sct = sk_SCT_value(scts, i);
        unsigned char *id = NULL, *sig = NULL;
        size_t id_len = SCT_get0_log_id(sct, &id);
        size_t sig_len = SCT_get0_signature(sct, &sig);
        const ms_log_instance *log =
            SCT_get_version(sct) == SCT_VERSION_V1
                ? sigstore_log_find(c->root->ctlogs, c->root->n_ctlogs, id, id_len)
                : NULL;
        if (!log) {
            unknown++;
            continue;
        }
        if (sct_signed_data(sct, issuer_hash, tbs, (size_t)tbs_len, &data) != 0) {
            rc = ms_error_nomem(err);
            goto out;
        }
        EVP_PKEY *key = sigstore_log_key(log, err);
        if (!key) {
            rc = MS_EINPUT;
            goto out;
        }
        int valid = sigstore_log_key_verify(key, data.data, data.len, sig, sig_len);
        EVP_PKEY_free(key);
        if (!valid) {
            rc = sv_fail(err, MS_EVERIFY, "SCT", "the SCT of %s does not verify", log->key_name);
            goto out;
        }
        int64_t t = (int64_t)(SCT_get_timestamp(sct) / 1000);
        if (!sigstore_time_in_range(&log->valid, t)) {
            char when[40];
            rc = sv_fail(err, MS_EVERIFY, "SCT", "the key of %s was not valid at the SCT's time %s",
                         log->key_name, sigstore_time_format(t, when, sizeof when));
            goto out;
        }
        verified++;
    }
    if (verified == 0) {
        rc = sv_fail(err, MS_EVERIFY, "SCT",
                     "none of the %zu embedded SCT%s is from a CT log of "
                     "the trusted root",
                     unknown, unknown == 1 ? "" : "s");
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    msx_buf_free(&data);
    OPENSSL_free(tbs);
    OPENSSL_free(spki);
    X509_free(pre);
    SCT_LIST_free(scts);
    return rc;
}
