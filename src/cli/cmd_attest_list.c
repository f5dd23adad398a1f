/* modelseal attest list: each claim of a claims file (line, predicate type, subject, signer)
 * and, with trusted keys, whether its signature verifies. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "attest.h"
#include "cli.h"
#include "modelseal/claims.h"

typedef struct claim_view {
    const char *kind; /* "key", "certificate" or "sigstore" (a certificate from Fulcio) */
    char hint[65];
    char *identity, *subject, *issuer; /* the leaf certificate's, malloc'd or NULL */
    int checked, verified;
    char reason[MS_ERROR_MESSAGE_MAX];
} claim_view;

static void describe_signer(const ms_bundle *b, claim_view *v)
{
    ms_bundle_material kind = ms_bundle_material_kind(b);
    if (kind == MS_MATERIAL_PUBLIC_KEY) {
        v->kind = "key";
        const char *hint = ms_bundle_key_hint(b);
        size_t raw_len = 0;
        const uint8_t *raw = ms_bundle_public_key_raw(b, &raw_len);
        if (hint) {
            snprintf(v->hint, sizeof v->hint, "%s", hint);
        } else if (raw) {
            ms_key *key = NULL;
            ms_error ignored;
            if (ms_key_parse_public(raw, raw_len, &key, &ignored) == 0 &&
                ms_key_hint(key, v->hint) != 0)
                v->hint[0] = '\0';
            ms_key_free(key);
        }
        return;
    }
    v->kind = "certificate";
    ms_x509_chain *chain = ms_x509_chain_new();
    size_t len = 0;
    const uint8_t *der = ms_bundle_certificate(b, 0, &len);
    ms_error ignored;
    if (chain && der && ms_x509_chain_add_der(chain, der, len, &ignored) == 0) {
        v->identity = ms_x509_leaf_identity(chain);
        v->subject = ms_x509_leaf_subject(chain);
        v->issuer = cli_leaf_oidc_issuer(chain);
        if (v->issuer)
            v->kind = "sigstore";
    }
    ms_x509_chain_free(chain);
}

int cli_attest_list(int argc, char **argv)
{
    attest_strlist key_paths = {0}; /* loaded once the operand is known */
    cli_keys keys = {0};
    const char *claims_arg = NULL;
    char *claims_path = NULL;
    ms_claims *claims = NULL;
    cJSON *array = NULL;
    int json = 0, opt, status = EXIT_OK;
    ms_error err;

    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, cmd_attest_help.options, ATTEST_LIST)) != -1) {
        switch (opt) {
        case OPT_KEY:
            if (attest_strlist_add(&key_paths, optarg, strlen(optarg)) != 0) {
                status = cli_out_of_memory();
                goto out;
            }
            break;
        case OPT_CLAIMS:
            claims_arg = optarg;
            break;
        case OPT_JSON:
            json = 1;
            break;
        default:
            status = cli_option_other(opt, argv);
            goto out;
        }
    }
    if (!cli_operand(argc, argv, "MODEL")) {
        status = EXIT_USAGE;
        goto out;
    }
    const char *model = argv[optind];
    for (size_t i = 0; i < key_paths.n; i++)
        if ((status = cli_keys_add(&keys, key_paths.items[i])) != EXIT_OK)
            goto out;
    claims_path = claims_arg ? strdup(claims_arg) : ms_claims_default_path(model, &err);
    if (!claims_path) {
        status = claims_arg ? cli_out_of_memory() : cli_fail(&err);
        goto out;
    }
    /* No claims file where one is looked for by default: an empty listing, as every listing
     * with nothing in it (a --claims FILE that is not there is an error). */
    struct stat st;
    int absent = !claims_arg && lstat(claims_path, &st) != 0 && errno == ENOENT;
    if (ms_claims_read(claims_path, !claims_arg, &claims, &err) != 0) {
        status = cli_fail(&err);
        goto out;
    }
    if (json && !(array = cJSON_CreateArray())) {
        status = cli_out_of_memory();
        goto out;
    }
    ms_trust trust;
    memset(&trust, 0, sizeof trust);
    trust.keys = cli_keys_trusted(&keys);
    trust.n_keys = keys.n;
    if (!json)
        printf("%s: %zu claim%s%s\n", cli_quote(claims_path), claims->n, claims->n == 1 ? "" : "s",
               absent ? " (no claims file)" : "");
    for (size_t i = 0; i < claims->n; i++) {
        const ms_claim *c = &claims->items[i];
        claim_view v;
        char root[80];
        memset(&v, 0, sizeof v);
        describe_signer(c->bundle, &v);
        if (keys.n) {
            ms_signer_info info;
            ms_error verr;
            memset(&info, 0, sizeof info);
            ms_error_clear(&verr);
            v.checked = 1;
            v.verified = ms_verify_bundle_signature(c->bundle, &trust, &info, &verr) == 0;
            if (!v.verified)
                snprintf(v.reason, sizeof v.reason, "%s", verr.message);
            ms_signer_info_clear(&info);
        }
        cli_format_root(c->statement->subject_digest, root);
        const char *subject = c->statement->subject_name ? c->statement->subject_name : "";
        if (json) {
            cJSON *o = cJSON_CreateObject(), *s = NULL;
            int ok = o && cJSON_AddItemToArray(array, o) &&
                     cJSON_AddNumberToObject(o, "line", (double)c->line_number) &&
                     cJSON_AddStringToObject(o, "predicate_type", c->statement->predicate_type) &&
                     (s = cJSON_AddObjectToObject(o, "subject")) &&
                     cJSON_AddStringToObject(s, "name", subject) &&
                     cJSON_AddStringToObject(s, "digest", root) &&
                     cJSON_AddItemToObject(
                         o, "signer",
                         cli_signer_json(v.kind, v.hint, v.identity, v.subject, v.issuer, 0));
            if (ok && v.checked)
                ok = cJSON_AddBoolToObject(o, "verified", v.verified) &&
                     (v.verified || cJSON_AddStringToObject(o, "reason", v.reason));
            if (!ok) {
                free(v.identity);
                free(v.subject);
                free(v.issuer);
                status = cli_out_of_memory();
                goto out;
            }
        } else {
            printf("claim %zu: %s\n", c->line_number, cli_quote(c->statement->predicate_type));
            printf("  subject:   %s %s\n", cli_quote(subject), root);
            if (strcmp(v.kind, "key") == 0)
                printf("  signer:    key %s\n", v.hint[0] ? cli_quote(v.hint) : "(no hint)");
            else
                printf("  signer:    certificate %s\n",
                       v.identity ? cli_quote(v.identity) : "(no email or URI)");
            if (v.checked && v.verified)
                printf("  signature: verified\n");
            else if (v.checked)
                printf("  signature: NOT verified: %s\n", cli_quote(v.reason));
        }
        free(v.identity);
        free(v.subject);
        free(v.issuer);
    }
    if (json) {
        status = cli_print_json(array);
        array = NULL;
    }
out:
    cJSON_Delete(array);
    cli_keys_free(&keys);
    attest_strlist_free(&key_paths, 0);
    ms_claims_free(claims);
    free(claims_path);
    return status;
}
