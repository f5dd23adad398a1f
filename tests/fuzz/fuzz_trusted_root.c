/* libFuzzer target: Sigstore trusted roots (ms_trusted_root_parse, as `modelseal verify
 * --trusted-root` reads trusted_root.json). The keys and certificates a root holds are kept as
 * DER and decoded only when a verification uses them; the target decodes every one of them
 * (sigstore_log_key, sigstore_authority_chain) as a verification would. A short input is also read
 * as an RFC 3339 time (ms_rfc3339_parse, the parser of the root's validFor times). */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "modelseal/sigstore.h"

#include "sigstore/sigstore_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void decode_logs(const ms_log_instance *logs, size_t n)
{
    ms_error err;
    for (size_t i = 0; i < n; i++) {
        EVP_PKEY *key = sigstore_log_key(&logs[i], &err);
        EVP_PKEY_free(key);
        (void)sigstore_time_in_range(&logs[i].valid, 1700000000);
        (void)sigstore_log_find(logs, n, logs[i].log_id, logs[i].log_id_len);
    }
}

static void decode_authorities(const ms_authority *a, size_t n)
{
    ms_error err;
    for (size_t i = 0; i < n; i++) {
        STACK_OF(X509) *chain = sigstore_authority_chain(&a[i], &err);
        sk_X509_pop_free(chain, X509_free);
        (void)sigstore_time_in_range(&a[i].valid, 1700000000);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_trusted_root *root = NULL;

    if (size < 64) {
        char text[64];
        int64_t t;
        memcpy(text, data, size);
        text[size] = '\0';
        (void)ms_rfc3339_parse(text, &t);
    }
    if (ms_trusted_root_parse(data, size, "trusted_root.json", &root, &err) != 0)
        goto out;
    decode_logs(root->tlogs, root->n_tlogs);
    decode_logs(root->ctlogs, root->n_ctlogs);
    decode_authorities(root->cas, root->n_cas);
    decode_authorities(root->tsas, root->n_tsas);
    if (ms_trusted_root_count_tlogs(root) != root->n_tlogs ||
        ms_trusted_root_count_tsas(root) != root->n_tsas)
        abort();
    ms_trusted_root_free(root);
out:
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
