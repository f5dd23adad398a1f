/* RFC 3161 timestamps in Sigstore bundles (timestampVerificationData.rfc3161Timestamps): a
 * timestamp authority's signed statement that a signature existed at genTime. Verified with
 * OpenSSL's TS API against the timestamp authorities of a trusted root, the signer's chain
 * checked at genTime (a TSA certificate that has since expired still vouches for the past). */
#include "config.h"

#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/pkcs7.h>
#include <openssl/ts.h>
#include <openssl/x509_vfy.h>

#include "sigstore_internal.h"

#define MAX_TOKEN_SIZE ((size_t)256 << 10)

/* The last OpenSSL error's reason, for messages. */
static const char *openssl_reason(void)
{
    unsigned long e = ERR_peek_last_error();
    const char *r = e ? ERR_reason_error_string(e) : NULL;
    return r ? r : "invalid";
}

/* Verify `resp` or `token` with one authority's chain at gen_time. 1 when it verifies. */
static int verify_with(STACK_OF(X509) * chain, TS_RESP *resp, PKCS7 *token, const uint8_t *data,
                       size_t data_len, int64_t gen_time)
{
    TS_VERIFY_CTX *ctx = TS_VERIFY_CTX_new();
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *certs = X509_chain_up_ref(chain);
    BIO *bio = BIO_new_mem_buf(data, (int)data_len);
    int ok = 0;
    int n = sk_X509_num(chain);
    if (!ctx || !store || !certs || !bio || n < 1 ||
        X509_STORE_add_cert(store, sk_X509_value(chain, n - 1)) != 1)
        goto fail;
    X509_VERIFY_PARAM *param = X509_STORE_get0_param(store);
    X509_VERIFY_PARAM_set_time(param, (time_t)gen_time);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_PARTIAL_CHAIN);
    TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    /* The context owns what is given to it from here on. */
    TS_VERIFY_CTX_set_data(ctx, bio);
    TS_VERIFY_CTX_set_store(ctx, store);
    TS_VERIFY_CTX_set_certs(ctx, certs);
    ok = (resp ? TS_RESP_verify_response(ctx, resp) : TS_RESP_verify_token(ctx, token)) == 1;
    TS_VERIFY_CTX_free(ctx);
    return ok;
fail:
    TS_VERIFY_CTX_free(ctx);
    X509_STORE_free(store);
    sk_X509_pop_free(certs, X509_free);
    BIO_free(bio);
    return 0;
}

int ms_rfc3161_verify(const uint8_t *der, size_t len, const uint8_t *data, size_t data_len,
                      const ms_trusted_root *root, int64_t *gen_time, ms_error *err)
{
    TS_RESP *resp = NULL;
    PKCS7 *token = NULL;
    TS_TST_INFO *info = NULL; /* owned only when made from a bare token */
    const TS_TST_INFO *tst;
    char when[40];
    int64_t t;
    int rc;

    ERR_clear_error();
    if (len == 0 || len > MAX_TOKEN_SIZE || data_len > INT32_MAX)
        return ms_error_set(err, MS_EINPUT, "empty or larger than %zu bytes", MAX_TOKEN_SIZE);
    const unsigned char *p = der;
    resp = d2i_TS_RESP(NULL, &p, (long)len);
    if (!resp || p != der + len) {
        TS_RESP_free(resp);
        resp = NULL;
        p = der;
        token = d2i_PKCS7(NULL, &p, (long)len);
        if (!token || p != der + len) {
            rc = ms_error_set(err, MS_EINPUT, "not a DER TimeStampResp or TimeStampToken");
            goto out;
        }
        info = PKCS7_to_TS_TST_INFO(token);
        tst = info;
    } else {
        const ASN1_INTEGER *status = TS_STATUS_INFO_get0_status(TS_RESP_get_status_info(resp));
        long s = status ? ASN1_INTEGER_get(status) : -1;
        if (s != 0 && s != 1) { /* granted, grantedWithMods */
            rc = ms_error_set(err, MS_EVERIFY, "the response's status is %ld, not granted", s);
            goto out;
        }
        tst = TS_RESP_get_tst_info(resp);
    }
    if (!tst || sigstore_asn1_time_unix(TS_TST_INFO_get_time(tst), &t) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "no readable TSTInfo genTime");
        goto out;
    }
    if (root->n_tsas == 0) {
        rc = ms_error_set(err, MS_EVERIFY, "the trusted root names no timestamp authority");
        goto out;
    }
    int in_window = 0;
    for (size_t i = 0; i < root->n_tsas; i++) {
        const ms_authority *tsa = &root->tsas[i];
        if (!sigstore_time_in_range(&tsa->valid, t))
            continue;
        in_window = 1;
        STACK_OF(X509) *chain = sigstore_authority_chain(tsa, err);
        if (!chain) {
            rc = MS_EINPUT;
            goto out;
        }
        int ok = verify_with(chain, resp, token, data, data_len, t);
        sk_X509_pop_free(chain, X509_free);
        if (ok) {
            *gen_time = t;
            rc = 0;
            goto out;
        }
    }
    if (!in_window)
        rc = ms_error_set(err, MS_EVERIFY,
                          "genTime %s is outside every trusted timestamp authority's validity",
                          sigstore_time_format(t, when, sizeof when));
    else
        rc = ms_error_set(err, MS_EVERIFY,
                          "not signed over this signature by a trusted timestamp authority (%s)",
                          openssl_reason());
out:
    ERR_clear_error();
    TS_TST_INFO_free(info);
    PKCS7_free(token);
    TS_RESP_free(resp);
    return rc;
}
