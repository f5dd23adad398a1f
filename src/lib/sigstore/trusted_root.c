/* Sigstore trusted_root.json: the Fulcio CAs, Rekor logs, CT logs and timestamp authorities of
 * one instance, parsed into OpenSSL objects for the offline verifier. The file is trust
 * material, but it is still parsed as untrusted text: bounded, every field's type checked. */
#include "config.h"

#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/rsa.h>

#include "sigstore_internal.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/json.h"

#define MAX_KEY_SIZE ((size_t)16 << 10)
#define MAX_CERT_SIZE ((size_t)64 << 10)

static const char *const media_types[] = {
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    "application/vnd.dev.sigstore.trustedroot.v0.1+json",
    "application/vnd.dev.sigstore.trustedroot.v0.2+json",
};

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int ms_rfc3339_parse(const char *text, int64_t *out)
{
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    unsigned y, mo, d, h, mi, s, oh = 0, om = 0;
    const char *p = text;
    int sign = 0;
    if (!text || strlen(text) < 20 || digits(p, 4, &y) || p[4] != '-' || digits(p + 5, 2, &mo) ||
        p[7] != '-' || digits(p + 8, 2, &d) || (p[10] != 'T' && p[10] != 't') ||
        digits(p + 11, 2, &h) || p[13] != ':' || digits(p + 14, 2, &mi) || p[16] != ':' ||
        digits(p + 17, 2, &s))
        return MS_EINPUT;
    p += 19;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return MS_EINPUT;
        for (int n = 0; isdigit((unsigned char)*p); n++, p++) {
            if (n >= 9)
                return MS_EINPUT;
        }
    }
    if (*p == 'Z' || *p == 'z')
        p++;
    else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return MS_EINPUT;
        p += 6;
    } else
        return MS_EINPUT;
    if (*p || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || s > 60)
        return MS_EINPUT;
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
        return MS_EINPUT;
    if (s == 60)
        s = 59; /* a leap second: the last representable second */
    int64_t t = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 + mi * 60 + s;
    t -= sign * ((int64_t)oh * 3600 + om * 60);
    *out = t;
    return 0;
}

const char *sigstore_time_format(int64_t t, char *buf, size_t size)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, size, "%lld", (long long)t);
    return buf;
}

int sigstore_asn1_time_unix(const ASN1_TIME *t, int64_t *out)
{
    struct tm tm;
    if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
        return -1;
    *out =
        days_from_civil((int64_t)tm.tm_year + 1900, (unsigned)tm.tm_mon + 1, (unsigned)tm.tm_mday) *
            86400 +
        (int64_t)tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
    return 0;
}

int sigstore_time_in_range(const ms_time_range *r, int64_t t)
{
    return t >= r->start && t <= r->end;
}

/* ---- fields ---- */

static const cJSON *field(const cJSON *obj, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(obj, name);
}

/* An optional string field: NULL when absent, MS_EINPUT when not a string. */
static int opt_string(const cJSON *obj, const char *name, const char *where, const char **out,
                      ms_error *err)
{
    const cJSON *it = field(obj, name);
    *out = NULL;
    if (!it || cJSON_IsNull(it)) /* protobuf JSON: null is the default, as if absent */
        return 0;
    if (!cJSON_IsString(it) || !it->valuestring)
        return ms_error_set(err, MS_EINPUT, "%s.%s: not a string", where, name);
    *out = it->valuestring;
    return 0;
}

/* validFor {start, end?}: start required. */
static int parse_range(const cJSON *obj, const char *where, ms_time_range *r, ms_error *err)
{
    const char *start, *end;
    char w[192];
    int rc;
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "%s.validFor: %s", where,
                            obj ? "not an object" : "missing");
    snprintf(w, sizeof w, "%s.validFor", where);
    if ((rc = opt_string(obj, "start", w, &start, err)) != 0 ||
        (rc = opt_string(obj, "end", w, &end, err)) != 0)
        return rc;
    if (!start)
        return ms_error_set(err, MS_EINPUT, "%s.validFor.start: missing", where);
    if (ms_rfc3339_parse(start, &r->start) != 0)
        return ms_error_set(err, MS_EINPUT, "%s.validFor.start: not an RFC 3339 time", where);
    r->end = INT64_MAX;
    if (end && ms_rfc3339_parse(end, &r->end) != 0)
        return ms_error_set(err, MS_EINPUT, "%s.validFor.end: not an RFC 3339 time", where);
    if (r->end < r->start)
        return ms_error_set(err, MS_EINPUT, "%s.validFor: ends before it starts", where);
    return 0;
}

static char *key_name_of(const char *url)
{
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t n = strlen(p);
    while (n > 0 && p[n - 1] == '/')
        n--;
    return strndup(p, n);
}

/* 1 when `der` is exactly one DER SEQUENCE: a cheap well-formedness check at parse time (the
 * full decode happens when a verification uses the object). */
static int der_sequence(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    long body;
    int tag, cls;
    if (len == 0 || len > LONG_MAX)
        return 0;
    int r = ASN1_get_object(&p, &body, &tag, &cls, (long)len);
    ERR_clear_error();
    return !(r & 0x80) && r == V_ASN1_CONSTRUCTED && tag == V_ASN1_SEQUENCE &&
           cls == V_ASN1_UNIVERSAL && (size_t)(p - der) + (size_t)body == len;
}

/* A log's public key: SubjectPublicKeyInfo DER, or PKCS#1 for PKCS1_RSA_* key details. */
static int parse_log_key(const cJSON *pk, const char *where, ms_log_instance *log, ms_error *err)
{
    const char *details;
    char w[160];
    int rc;
    if (!cJSON_IsObject(pk))
        return ms_error_set(err, MS_EINPUT, "%s.publicKey: %s", where,
                            pk ? "not an object" : "missing");
    snprintf(w, sizeof w, "%s.publicKey", where);
    if ((rc = opt_string(pk, "keyDetails", w, &details, err)) != 0)
        return rc;
    if ((rc = parse_range(field(pk, "validFor"), w, &log->valid, err)) != 0)
        return rc;
    snprintf(w, sizeof w, "%s.publicKey.rawBytes", where);
    if ((rc = msx_json_base64_field(field(pk, "rawBytes"), w, MAX_KEY_SIZE, 0, &log->key_der,
                                    &log->key_der_len, err)))
        return rc;
    if (!der_sequence(log->key_der, log->key_der_len))
        return ms_error_set(err, MS_EINPUT, "%s: not a DER public key", w);
    log->pkcs1_rsa = details && strncmp(details, "PKCS1_RSA", 9) == 0;
    return 0;
}

static int parse_log(const cJSON *obj, const char *where, ms_log_instance *log, ms_error *err)
{
    const char *url;
    uint8_t *id = NULL;
    size_t id_len = 0;
    char w[160];
    int rc;
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "%s: not an object", where);
    snprintf(log->what_buf, sizeof log->what_buf, "%s", strrchr(where, ' ') + 1);
    log->what = log->what_buf;
    if ((rc = opt_string(obj, "baseUrl", where, &url, err)) != 0)
        return rc;
    if (!url || !*url)
        return ms_error_set(err, MS_EINPUT, "%s.baseUrl: missing", where);
    if (!(log->base_url = strdup(url)) || !(log->key_name = key_name_of(url)))
        return ms_error_nomem(err);
    if ((rc = parse_log_key(field(obj, "publicKey"), where, log, err)) != 0)
        return rc;
    const cJSON *lid = field(obj, "logId");
    if (!cJSON_IsObject(lid))
        return ms_error_set(err, MS_EINPUT, "%s.logId: %s", where,
                            lid ? "not an object" : "missing");
    snprintf(w, sizeof w, "%s.logId.keyId", where);
    if ((rc = msx_json_base64_field(field(lid, "keyId"), w, MS_LOG_ID_MAX, 0, &id, &id_len, err)))
        return rc;
    memcpy(log->log_id, id, id_len);
    log->log_id_len = id_len;
    free(id);
    return 0;
}

static int parse_authority(const cJSON *obj, const char *where, ms_authority *a, ms_error *err)
{
    const char *uri;
    char w[160];
    int rc;
    if (!cJSON_IsObject(obj))
        return ms_error_set(err, MS_EINPUT, "%s: not an object", where);
    if ((rc = opt_string(obj, "uri", where, &uri, err)) != 0)
        return rc;
    if (uri && !(a->uri = strdup(uri)))
        return ms_error_nomem(err);
    if ((rc = parse_range(field(obj, "validFor"), where, &a->valid, err)) != 0)
        return rc;
    const cJSON *chain = field(obj, "certChain");
    const cJSON *certs = cJSON_IsObject(chain) ? field(chain, "certificates") : NULL;
    if (!cJSON_IsArray(certs))
        return ms_error_set(err, MS_EINPUT, "%s.certChain.certificates: missing", where);
    int n = cJSON_GetArraySize(certs);
    if (n < 1 || n > MS_TRUSTED_ROOT_MAX_CHAIN)
        return ms_error_set(err, MS_EINPUT, "%s.certChain.certificates: %d certificates (1 to %d)",
                            where, n, MS_TRUSTED_ROOT_MAX_CHAIN);
    snprintf(a->what, sizeof a->what, "%s", strrchr(where, ' ') + 1);
    for (int i = 0; i < n; i++) {
        const cJSON *c = cJSON_GetArrayItem(certs, i);
        snprintf(w, sizeof w, "%s.certChain.certificates[%d].rawBytes", where, i);
        if (!cJSON_IsObject(c))
            return ms_error_set(err, MS_EINPUT, "%s: not an object", w);
        if ((rc = msx_json_base64_field(field(c, "rawBytes"), w, MAX_CERT_SIZE, 0, &a->certs[i],
                                        &a->cert_lens[i], err)))
            return rc;
        a->n_certs++;
        if (!der_sequence(a->certs[i], a->cert_lens[i]))
            return ms_error_set(err, MS_EINPUT, "%s: not a DER certificate", w);
    }
    return 0;
}

static void log_clear(ms_log_instance *log)
{
    free(log->base_url);
    free(log->key_name);
    free(log->key_der);
}

static void authority_clear(ms_authority *a)
{
    free(a->uri);
    for (size_t i = 0; i < a->n_certs; i++)
        free(a->certs[i]);
}

/* An optional array field of at most MS_TRUSTED_ROOT_MAX_ENTRIES objects; *n = 0 if absent. */
static int list_of(const cJSON *doc, const char *name, const char *what, size_t elem_size,
                   void **out, size_t *n, ms_error *err)
{
    const cJSON *arr = field(doc, name);
    *out = NULL;
    *n = 0;
    if (!arr)
        return 0;
    if (!cJSON_IsArray(arr))
        return ms_error_set(err, MS_EINPUT, "%s: %s: not an array", what, name);
    int count = cJSON_GetArraySize(arr);
    if (count > MS_TRUSTED_ROOT_MAX_ENTRIES)
        return ms_error_set(err, MS_EINPUT, "%s: %s: more than %d entries", what, name,
                            MS_TRUSTED_ROOT_MAX_ENTRIES);
    if (count == 0)
        return 0;
    if (!(*out = calloc((size_t)count, elem_size)))
        return ms_error_nomem(err);
    *n = (size_t)count;
    return 0;
}

int ms_trusted_root_parse(const uint8_t *json, size_t len, const char *what, ms_trusted_root **out,
                          ms_error *err)
{
    cJSON *doc = NULL;
    ms_trusted_root *root = NULL;
    char where[160];
    int rc;
    *out = NULL;
    if (!what)
        what = "trusted root";
    if ((rc = msx_json_parse(json, len, MS_TRUSTED_ROOT_MAX_SIZE, what, &doc, err)) != 0)
        return rc;
    if (!cJSON_IsObject(doc)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: not a JSON object", what);
        goto out;
    }
    const cJSON *mt = field(doc, "mediaType");
    size_t m = 0;
    if (!cJSON_IsString(mt)) {
        rc = ms_error_set(err, MS_EINPUT, "%s: mediaType: %s", what,
                          mt ? "not a string" : "missing");
        goto out;
    }
    while (m < sizeof media_types / sizeof *media_types && strcmp(mt->valuestring, media_types[m]))
        m++;
    if (m == sizeof media_types / sizeof *media_types) {
        rc = ms_error_set(err, MS_EINPUT, "%s: mediaType \"%.80s\" is not a Sigstore trusted root",
                          what, mt->valuestring);
        goto out;
    }
    if (!(root = calloc(1, sizeof *root))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = list_of(doc, "tlogs", what, sizeof *root->tlogs, (void **)&root->tlogs,
                      &root->n_tlogs, err)) != 0 ||
        (rc = list_of(doc, "ctlogs", what, sizeof *root->ctlogs, (void **)&root->ctlogs,
                      &root->n_ctlogs, err)) != 0 ||
        (rc = list_of(doc, "certificateAuthorities", what, sizeof *root->cas, (void **)&root->cas,
                      &root->n_cas, err)) != 0 ||
        (rc = list_of(doc, "timestampAuthorities", what, sizeof *root->tsas, (void **)&root->tsas,
                      &root->n_tsas, err)) != 0)
        goto out;
    for (size_t i = 0; i < root->n_tlogs; i++) {
        snprintf(where, sizeof where, "%s: tlogs[%zu]", what, i);
        if ((rc = parse_log(cJSON_GetArrayItem(field(doc, "tlogs"), (int)i), where, &root->tlogs[i],
                            err)) != 0)
            goto out;
    }
    for (size_t i = 0; i < root->n_ctlogs; i++) {
        snprintf(where, sizeof where, "%s: ctlogs[%zu]", what, i);
        if ((rc = parse_log(cJSON_GetArrayItem(field(doc, "ctlogs"), (int)i), where,
                            &root->ctlogs[i], err)) != 0)
            goto out;
    }
    for (size_t i = 0; i < root->n_cas; i++) {
        snprintf(where, sizeof where, "%s: certificateAuthorities[%zu]", what, i);
        if ((rc = parse_authority(cJSON_GetArrayItem(field(doc, "certificateAuthorities"), (int)i),
                                  where, &root->cas[i], err)) != 0)
            goto out;
    }
    for (size_t i = 0; i < root->n_tsas; i++) {
        snprintf(where, sizeof where, "%s: timestampAuthorities[%zu]", what, i);
        if ((rc = parse_authority(cJSON_GetArrayItem(field(doc, "timestampAuthorities"), (int)i),
                                  where, &root->tsas[i], err)) != 0)
            goto out;
    }
    if (root->n_cas == 0 || root->n_tlogs == 0) {
        rc = ms_error_set(err, MS_EINPUT, "%s: no %s", what,
                          root->n_cas == 0 ? "certificateAuthorities" : "tlogs");
        goto out;
    }
    *out = root;
    root = NULL;
out:
    ms_trusted_root_free(root);
    cJSON_Delete(doc);
    return rc;
}

int ms_trusted_root_load(const char *path, ms_trusted_root **out, ms_error *err)
{
    ms_buf text = MS_BUF_INIT;
    int rc = msx_file_read(path, MS_TRUSTED_ROOT_MAX_SIZE, &text, err);
    if (rc == 0)
        rc = ms_trusted_root_parse(text.data, text.len, path, out, err);
    msx_buf_free(&text);
    return rc;
}

size_t ms_trusted_root_count_tlogs(const ms_trusted_root *root)
{
    return root ? root->n_tlogs : 0;
}

size_t ms_trusted_root_count_ctlogs(const ms_trusted_root *root)
{
    return root ? root->n_ctlogs : 0;
}

size_t ms_trusted_root_count_cas(const ms_trusted_root *root)
{
    return root ? root->n_cas : 0;
}

size_t ms_trusted_root_count_tsas(const ms_trusted_root *root)
{
    return root ? root->n_tsas : 0;
}

void ms_trusted_root_free(ms_trusted_root *root)
{
    if (!root)
        return;
    for (size_t i = 0; i < root->n_tlogs; i++)
        log_clear(&root->tlogs[i]);
    for (size_t i = 0; i < root->n_ctlogs; i++)
        log_clear(&root->ctlogs[i]);
    for (size_t i = 0; i < root->n_cas; i++)
        authority_clear(&root->cas[i]);
    for (size_t i = 0; i < root->n_tsas; i++)
        authority_clear(&root->tsas[i]);
    free(root->tlogs);
    free(root->ctlogs);
    free(root->cas);
    free(root->tsas);
    free(root);
}

const ms_log_instance *sigstore_log_find(const ms_log_instance *list, size_t n,
                                         const uint8_t *log_id, size_t log_id_len)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i].log_id_len == log_id_len && memcmp(list[i].log_id, log_id, log_id_len) == 0)
            return &list[i];
    }
    return NULL;
}

EVP_PKEY *sigstore_log_key(const ms_log_instance *log, ms_error *err)
{
    const unsigned char *p = log->key_der;
    EVP_PKEY *key = d2i_PUBKEY(NULL, &p, (long)log->key_der_len);
    if (key && p != log->key_der + log->key_der_len) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    if (!key && log->pkcs1_rsa) {
        p = log->key_der;
        key = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)log->key_der_len);
    }
    ERR_clear_error();
    int type = key ? EVP_PKEY_get_base_id(key) : 0;
    if (type != EVP_PKEY_EC && type != EVP_PKEY_ED25519 && type != EVP_PKEY_RSA) {
        EVP_PKEY_free(key);
        ms_error_set(err, MS_EINPUT, "trusted root: %s.publicKey: not an ECDSA, Ed25519 or RSA key",
                     log->what);
        return NULL;
    }
    return key;
}

STACK_OF(X509) * sigstore_authority_chain(const ms_authority *a, ms_error *err)
{
    STACK_OF(X509) *chain = sk_X509_new_null();
    if (!chain) {
        ms_error_nomem(err);
        return NULL;
    }
    for (size_t i = 0; i < a->n_certs; i++) {
        const unsigned char *p = a->certs[i];
        X509 *x = d2i_X509(NULL, &p, (long)a->cert_lens[i]);
        ERR_clear_error();
        if (!x || p != a->certs[i] + a->cert_lens[i] || !sk_X509_push(chain, x)) {
            X509_free(x);
            sk_X509_pop_free(chain, X509_free);
            ms_error_set(err, MS_EINPUT,
                         "trusted root: %s.certChain.certificates[%zu]: not a "
                         "certificate",
                         a->what, i);
            return NULL;
        }
    }
    return chain;
}

int sigstore_log_key_verify(EVP_PKEY *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len)
{
    const EVP_MD *md = NULL;
    EVP_MD_CTX *ctx;
    int ok = 0;
    if (!key)
        return 0;
    switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_EC: {
        int bits = EVP_PKEY_get_bits(key);
        md = bits > 384 ? EVP_sha512() : bits > 256 ? EVP_sha384() : EVP_sha256();
        break;
    }
    case EVP_PKEY_RSA:
        md = EVP_sha256();
        break;
    case EVP_PKEY_ED25519:
        break;
    default:
        return 0;
    }
    if (!(ctx = EVP_MD_CTX_new()))
        return 0;
    if (EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
        EVP_DigestVerify(ctx, sig, sig_len, msg, len) == 1)
        ok = 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    return ok;
}
