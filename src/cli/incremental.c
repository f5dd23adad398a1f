/* --incremental and --no-cache for sign and verify: opening the signer's digest cache
 * (modelseal-cache(5)), checking a signer's previous signature before anything is reused, and
 * the report of reused, re-hashed, added and removed files (text and JSON). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

/* MODELSEAL_NO_CACHE set to anything but "" or "0" turns the cache off, as --no-cache does. */
static int env_no_cache(void)
{
    const char *v = getenv("MODELSEAL_NO_CACHE");
    return v && v[0] && strcmp(v, "0") != 0;
}

int cli_incremental_open(cli_incremental *inc, const char *model)
{
    ms_error err;
    const ms_cache_report *r;
    ms_error_clear(&err);
    if (!inc->on)
        return EXIT_OK;
    if (inc->no_cache || env_no_cache()) {
        inc->off_reason = inc->no_cache ? "--no-cache" : "MODELSEAL_NO_CACHE";
        return EXIT_OK;
    }
    if (ms_digest_cache_open(model, NULL, &inc->cache, &err) != 0)
        return cli_fail(&err);
    r = ms_digest_cache_report(inc->cache);
    if (r->refused)
        cli_message("warning: cache not used: %s; hashing every file", r->refused);
    return EXIT_OK;
}

int cli_incremental_check_previous(cli_incremental *inc, const char *sig_path, const ms_key *key)
{
    ms_buf text = MS_BUF_INIT;
    ms_bundle *bundle = NULL;
    uint8_t *pae = NULL;
    size_t pae_len = 0;
    ms_error err;
    const char *why = NULL;
    int ok = 0, status = EXIT_OK;
    ms_error_clear(&err);
    if (!inc->cache)
        return EXIT_OK;
    int r = msx_file_read_regular(sig_path, MS_BUNDLE_MAX_SIZE, MS_FILE_MISSING_OK, &text, &err);
    if (r == 1)
        goto out; /* no previous signature: nothing to check */
    if (r != 0)
        why = err.message;
    else if (ms_bundle_parse(text.data, text.len, &bundle, &err) != 0)
        why = err.message;
    else {
        const ms_dsse_envelope *env = ms_bundle_envelope(bundle);
        if (!env)
            why = "it has no DSSE envelope";
        else if (ms_dsse_pae(env->payload_type, env->payload, env->payload_len, &pae, &pae_len))
            why = "out of memory";
        for (size_t i = 0; !why && !ok && i < env->n_signatures; i++)
            ok = ms_key_verify(key, pae, pae_len, env->signatures[i].sig, env->signatures[i].len,
                               NULL) == 0;
        if (!why && !ok)
            why = "it is not signed with this key";
    }
    if (why) {
        ms_buf msg = MS_BUF_INIT;
        if (msx_buf_printf(&msg, "%s does not verify with the signer's key (%s): nothing reused",
                           cli_quote(sig_path), why) ||
            ms_digest_cache_distrust(inc->cache, (const char *)msg.data, &err) != 0) {
            cli_message("out of memory");
            status = EXIT_ENVIRONMENT;
        } else
            cli_message("warning: %s", (const char *)msg.data);
        msx_buf_free(&msg);
    }
out:
    ms_free(pae);
    ms_bundle_free(bundle);
    msx_buf_free(&text);
    return status;
}

void cli_incremental_save(cli_incremental *inc)
{
    ms_error err;
    ms_error_clear(&err);
    if (inc->cache && ms_digest_cache_save(inc->cache, &err) != 0)
        cli_message("warning: the cache was not saved: %s", err.message);
}

void cli_incremental_print(const cli_incremental *inc, FILE *out)
{
    if (!inc->on || cli_quiet)
        return;
    if (!inc->cache) {
        fprintf(out, "Incremental: cache off (%s): every file hashed\n", inc->off_reason);
        return;
    }
    const ms_cache_report *r = ms_digest_cache_report(inc->cache);
    fprintf(out, "Incremental: %zu reused, %zu re-hashed, %zu added, %zu removed\n", r->n_reused,
            r->n_rehashed, r->n_added, r->n_removed);
    for (size_t i = 0; i < r->n_rehashed; i++)
        fprintf(out, "  re-hashed: %s (%s)\n", cli_quote(r->rehashed[i]), r->rehash_reasons[i]);
    for (size_t i = 0; i < r->n_added; i++)
        fprintf(out, "  added:     %s\n", cli_quote(r->added[i]));
    for (size_t i = 0; i < r->n_removed; i++)
        fprintf(out, "  removed:   %s\n", cli_quote(r->removed[i]));
}

static void add_paths(cJSON *o, const char *name, char *const *v, size_t n)
{
    cJSON *a = cJSON_AddArrayToObject(o, name);
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateString(v[i]));
}

void cli_incremental_json(const cli_incremental *inc, cJSON *parent)
{
    if (!inc->on)
        return;
    cJSON *o = cJSON_AddObjectToObject(parent, "incremental");
    const ms_cache_report *r = inc->cache ? ms_digest_cache_report(inc->cache) : NULL;
    if (inc->cache)
        cJSON_AddStringToObject(o, "cache", ms_digest_cache_path(inc->cache));
    else
        cJSON_AddNullToObject(o, "cache");
    if (!inc->cache)
        cJSON_AddStringToObject(o, "not_used", inc->off_reason);
    else if (r->refused)
        cJSON_AddStringToObject(o, "not_used", r->refused);
    else
        cJSON_AddNullToObject(o, "not_used");
    add_paths(o, "reused", r ? r->reused : NULL, r ? r->n_reused : 0);
    cJSON *a = cJSON_AddArrayToObject(o, "rehashed");
    for (size_t i = 0; r && i < r->n_rehashed; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "path", r->rehashed[i]);
        cJSON_AddStringToObject(e, "reason", r->rehash_reasons[i]);
        cJSON_AddItemToArray(a, e);
    }
    add_paths(o, "added", r ? r->added : NULL, r ? r->n_added : 0);
    add_paths(o, "removed", r ? r->removed : NULL, r ? r->n_removed : 0);
}

void cli_incremental_free(cli_incremental *inc)
{
    ms_digest_cache_free(inc->cache);
    inc->cache = NULL;
}
