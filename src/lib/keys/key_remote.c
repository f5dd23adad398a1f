/* Keys held by a key service (kms_internal.h): the URI schemes, the HTTP options, and the
 * check every signature from a service gets. The
 * services themselves are key_vault.c and key_awskms.c; HTTP is net/http.c. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "key_internal.h"
#include "kms_internal.h"

#define VAULT_SCHEME "hashivault://"
#define AWS_SCHEME "awskms://"

int key_remote_is(const char *source)
{
    return source && (strncasecmp(source, VAULT_SCHEME, strlen(VAULT_SCHEME)) == 0 ||
                      strncasecmp(source, AWS_SCHEME, strlen(AWS_SCHEME)) == 0);
}

/* A non-negative number from the environment, or `dflt`. */
static long env_number(const char *name, long dflt)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return dflt;
    long n = strtol(v, &end, 10);
    return *end || n < 0 ? dflt : n;
}

void remote_http_options(ms_http_options *o)
{
    memset(o, 0, sizeof *o);
    o->timeout_ms = env_number("MODELSEAL_HTTP_TIMEOUT_MS", 0);
    o->connect_timeout_ms = o->timeout_ms > 0 && o->timeout_ms < 10000 ? o->timeout_ms : 0;
    o->retries = (int)env_number("MODELSEAL_HTTP_RETRIES", -1);
    o->backoff_ms = env_number("MODELSEAL_HTTP_BACKOFF_MS", 0);
    o->max_response = REMOTE_ANSWER_MAX;
}

void key_remote_free(key_remote *r)
{
    if (!r)
        return;
    free(r->display);
    free(r->sign_url);
    if (r->token) {
        sodium_memzero(r->token, strlen(r->token));
        free(r->token);
    }
    free(r->namespace);
    awskms_free(r->aws);
    sodium_memzero(r, sizeof *r);
    free(r);
}

int key_remote_open(const char *source, ms_key **out, ms_error *err)
{
    key_remote *r = calloc(1, sizeof *r);
    ms_key *key = NULL;
    int rc;
    if (!r || !(r->display = strdup(source))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    remote_http_options(&r->http);
    if (strncasecmp(source, VAULT_SCHEME, strlen(VAULT_SCHEME)) == 0) {
        r->kind = REMOTE_VAULT;
        r->service = "Vault";
        rc = vault_open(r, source + strlen(VAULT_SCHEME), &key, err);
    } else {
        r->kind = REMOTE_AWS;
        r->service = "AWS KMS";
        rc = awskms_open(r, source + strlen(AWS_SCHEME), &key, err);
    }
    if (rc != 0)
        goto out;
    r->type = key->type;
    key->secret = 1;
    key->remote = r;
    r = NULL;
    *out = key;
    key = NULL;
out:
    ms_key_free(key);
    key_remote_free(r);
    return rc;
}

int key_remote_sign(const ms_key *key, const uint8_t *msg, size_t len, uint8_t **sig,
                    size_t *sig_len, ms_error *err)
{
    const key_remote *r = key->remote;
    uint8_t *s = NULL;
    size_t n = 0;
    int rc = r->kind == REMOTE_VAULT ? vault_sign(r, msg, len, &s, &n, err)
                                     : awskms_sign(r, msg, len, &s, &n, err);
    if (rc != 0)
        return rc;
    /* The service's answer is outside input: a signature by another key (or none at all) would
     * give bundles nobody can verify with the key the service reported. */
    ms_error ignored;
    if (ms_key_verify(key, msg, len, s, n, &ignored) != 0) {
        free(s);
        return ms_error_set(err, MS_EENV,
                            "%s: the signature %s returned does not verify with the key's public "
                            "key (an answer for another key?); refused",
                            r->display, r->service);
    }
    *sig = s;
    *sig_len = n;
    return 0;
}
