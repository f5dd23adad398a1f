/* modelseal inspect: show what a signature bundle says (signer, subject, serialization) without
 * checking any of it. Verification is modelseal verify's job; this command says so. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cli.h"

static const cli_option inspect_options[] = {
    {"json", 0, no_argument, NULL, "print the same as a JSON object", OPT_JSON, 0, 0, NULL, NULL},
    CLI_OPTION_HELP,
    CLI_OPTION_END,
};

const cli_help cmd_inspect_help = {
    "Usage: modelseal inspect [--json] SIG\n"
    "Show what the signature bundle SIG says: signer (key hint or certificate identity),\n"
    "subject, root digest, serialization, transparency log entries. Nothing is verified:\n"
    "use modelseal verify for that.\n\n"
    "Options:\n",
    inspect_options, NULL, NULL, 0};

#define NOT_VERIFIED "not verified: use modelseal verify"

/* Everything we show, gathered first so that text and JSON say the same. */
typedef struct inspection {
    const char *kind; /* "public-key", "certificate-chain" or "certificate" */
    char hint[65];    /* key hint (given or computed from raw bytes); "" when unknown */
    const char *key_details;
    char *key_problem; /* why a raw public key could not be read */
    size_t n_certificates;
    char *subject; /* leaf certificate subject */
    char *identity;
    char *cert_issuer; /* leaf certificate issuer DN */
    char *oidc_issuer; /* Fulcio extension */
    ms_statement *st;
    char *payload_problem; /* why the payload is not an OMS statement (generic parse worked) */
} inspection;

static void inspection_clear(inspection *in)
{
    free(in->key_problem);
    free(in->subject);
    free(in->identity);
    free(in->cert_issuer);
    free(in->oidc_issuer);
    free(in->payload_problem);
    ms_statement_free(in->st);
}

/* The issuer of a DER certificate on one line, as ms_x509_leaf_subject writes subjects. */
static char *issuer_line(const uint8_t *der, size_t len)
{
    const unsigned char *p = der;
    X509 *cert = d2i_X509(NULL, &p, (long)len);
    BIO *bio = BIO_new(BIO_s_mem());
    char *text = NULL;
    unsigned long flags =
        (XN_FLAG_ONELINE & ~XN_FLAG_SPC_EQ & ~ASN1_STRFLGS_ESC_MSB) | ASN1_STRFLGS_UTF8_CONVERT;
    if (cert && bio && X509_NAME_print_ex(bio, X509_get_issuer_name(cert), 0, flags) >= 0) {
        char *data = NULL;
        long n = BIO_get_mem_data(bio, &data);
        if (n >= 0 && (text = malloc((size_t)n + 1)) != NULL) {
            memcpy(text, data, (size_t)n);
            text[n] = '\0';
        }
    }
    BIO_free(bio);
    X509_free(cert);
    ERR_clear_error();
    return text;
}

static int inspect_certificates(const ms_bundle *b, inspection *in, ms_error *err)
{
    ms_x509_chain *chain = ms_x509_chain_new();
    if (!chain)
        return ms_error_nomem(err);
    in->n_certificates = ms_bundle_certificate_count(b);
    for (size_t i = 0; i < in->n_certificates; i++) {
        size_t len = 0;
        const uint8_t *der = ms_bundle_certificate(b, i, &len);
        int rc = ms_x509_chain_add_der(chain, der, len, err);
        if (rc != 0) {
            ms_x509_chain_free(chain);
            return rc;
        }
        if (i == 0)
            in->cert_issuer = issuer_line(der, len);
    }
    in->subject = ms_x509_leaf_subject(chain);
    in->identity = ms_x509_leaf_identity(chain);
    in->oidc_issuer = cli_leaf_oidc_issuer(chain);
    ms_x509_chain_free(chain);
    return 0;
}

static int inspect_signer(const ms_bundle *b, inspection *in, ms_error *err)
{
    switch (ms_bundle_material_kind(b)) {
    case MS_MATERIAL_PUBLIC_KEY: {
        in->kind = "public-key";
        in->key_details = ms_bundle_key_details(b);
        const char *hint = ms_bundle_key_hint(b);
        size_t raw_len = 0;
        const uint8_t *raw = ms_bundle_public_key_raw(b, &raw_len);
        if (hint) {
            snprintf(in->hint, sizeof in->hint, "%s", hint);
        } else if (raw) {
            /* Legacy bundles carry the key itself: show the hint it would have. */
            ms_key *key = NULL;
            ms_error kerr;
            ms_error_clear(&kerr);
            if (ms_key_parse_public(raw, raw_len, &key, &kerr) == 0) {
                if (ms_key_hint(key, in->hint) != 0)
                    in->hint[0] = '\0';
                if (!in->key_details)
                    in->key_details = ms_key_details(key);
            } else if (!(in->key_problem = strdup(kerr.message))) {
                return ms_error_nomem(err);
            }
            ms_key_free(key);
        }
        return 0;
    }
    case MS_MATERIAL_X509_CHAIN:
        in->kind = "certificate-chain";
        return inspect_certificates(b, in, err);
    case MS_MATERIAL_CERTIFICATE:
        in->kind = "certificate";
        return inspect_certificates(b, in, err);
    case MS_MATERIAL_NONE:
        break;
    }
    return ms_error_set(err, MS_EINPUT, "verificationMaterial: none");
}

/* Read the payload as an OMS statement; a well-formed statement of another kind is shown with
 * the reason it is not one. */
static int inspect_payload(const ms_dsse_envelope *env, inspection *in, ms_error *err)
{
    ms_error serr;
    ms_error_clear(&serr);
    int rc = ms_statement_parse(env->payload, env->payload_len, &in->st, &serr);
    if (rc == 0)
        return 0;
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    rc = ms_statement_parse_generic(env->payload, env->payload_len, &in->st, err);
    if (rc != 0)
        return rc;
    in->payload_problem = strdup(serr.message);
    return in->payload_problem ? 0 : ms_error_nomem(err);
}

static size_t tlog_count(const ms_bundle *b)
{
    return ms_bundle_tlog_entry_count(b);
}

static void print_field(const char *label, const char *value)
{
    printf("%-16s %s\n", label, cli_quote(value)); /* values come from the bundle */
}

static void print_text(const char *path, const ms_bundle *b, const inspection *in)
{
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    char buf[128];
    print_field("file:", path);
    print_field("status:", NOT_VERIFIED);
    print_field("media type:", ms_bundle_media_type(b));
    if (strcmp(in->kind, "public-key") == 0) {
        snprintf(buf, sizeof buf, "public key%s",
                 ms_bundle_key_hint(b) ? "" : " (given in the bundle)");
        print_field("signer:", buf);
        print_field("key hint:", in->hint[0] ? in->hint : "(none)");
        if (in->key_details)
            print_field("key details:", in->key_details);
        if (in->key_problem)
            print_field("key problem:", in->key_problem);
    } else {
        snprintf(buf, sizeof buf, "%s (%zu in the bundle)",
                 strcmp(in->kind, "certificate") == 0 ? "Sigstore certificate"
                                                      : "X.509 certificate chain",
                 in->n_certificates);
        print_field("signer:", buf);
        print_field("subject:", in->subject && in->subject[0] ? in->subject : "(empty)");
        print_field("identity:", in->identity ? in->identity : "(no email or URI)");
        if (in->cert_issuer)
            print_field("issued by:", in->cert_issuer);
        if (in->oidc_issuer)
            print_field("OIDC issuer:", in->oidc_issuer);
    }
    if (!env) {
        print_field("content:", "messageSignature (not an OMS signature: no statement)");
    } else {
        const ms_statement *st = in->st;
        char root[80];
        print_field("payload type:", env->payload_type);
        print_field("predicate type:", st->predicate_type);
        if (in->payload_problem)
            print_field("payload:", in->payload_problem);
        if (st->legacy) {
            snprintf(buf, sizeof buf, "(legacy predicate: one subject per file)");
            print_field("model:", buf);
        } else {
            print_field("model:", st->subject_name);
        }
        cli_format_root(st->subject_digest, root);
        print_field("root digest:", root);
        if (st->manifest) {
            const ms_serialization *ser = &st->manifest->serialization;
            print_field("method:", ms_method_name(ser->method));
            print_field("hash type:", ms_hash_name(ser->algorithm));
            if (ser->method == MS_METHOD_SHARDS) {
                snprintf(buf, sizeof buf, "%llu", (unsigned long long)ser->shard_size);
                print_field("shard size:", buf);
            }
            print_field("allow symlinks:", ser->allow_symlinks ? "yes" : "no");
            if (!ser->has_ignore_paths)
                print_field("ignore paths:", "(not recorded)");
            else if (ser->n_ignore_paths == 0)
                print_field("ignore paths:", "(none)");
            for (size_t i = 0; i < ser->n_ignore_paths; i++)
                print_field(i ? "" : "ignore paths:", ser->ignore_paths[i]);
            snprintf(buf, sizeof buf, "%zu", st->manifest->n_resources);
            print_field("resources:", buf);
        }
        snprintf(buf, sizeof buf, "%zu", env->n_signatures);
        print_field("signatures:", buf);
    }
    size_t n_tlog = tlog_count(b);
    if (n_tlog)
        snprintf(buf, sizeof buf, "%zu (present, not checked)", n_tlog);
    else
        snprintf(buf, sizeof buf, "none");
    print_field("tlog entries:", buf);
    print_field("timestamps:", ms_bundle_has_timestamp_data(b) ? "present, not checked" : "none");
}

/* cJSON_Add* that tolerates a NULL value (adds JSON null). */
static int add_string(cJSON *o, const char *name, const char *value)
{
    return value ? cJSON_AddStringToObject(o, name, value) != NULL
                 : cJSON_AddNullToObject(o, name) != NULL;
}

static cJSON *inspection_json(const char *path, const ms_bundle *b, const inspection *in)
{
    const ms_dsse_envelope *env = ms_bundle_envelope(b);
    /* The signer in the vocabulary of every command (modelseal-json(7)): a certificate with
     * Fulcio's OIDC issuer is a Sigstore signer. Nothing is verified: no signing time. */
    const char *kind = strcmp(in->kind, "public-key") == 0 ? "key"
                       : in->oidc_issuer                   ? "sigstore"
                                                           : "certificate";
    cJSON *o = cJSON_CreateObject();
    cJSON *signer = cli_signer_json(kind, in->hint, in->identity, in->subject, in->oidc_issuer, 0);
    int ok = o && signer && add_string(o, "file", path) && cJSON_AddFalseToObject(o, "verified") &&
             add_string(o, "note", NOT_VERIFIED) &&
             add_string(o, "media_type", ms_bundle_media_type(b)) &&
             add_string(signer, "material", in->kind) &&
             cJSON_AddNumberToObject(signer, "certificates", (double)in->n_certificates) &&
             add_string(signer, "certificate_issuer", in->cert_issuer) &&
             add_string(signer, "key_details", in->key_details) &&
             add_string(signer, "problem", in->key_problem);
    if (ok) {
        cJSON_AddItemToObject(o, "signer", signer);
        signer = NULL;
    }
    if (ok && env) {
        const ms_statement *st = in->st;
        ok = add_string(o, "payload_type", env->payload_type) &&
             add_string(o, "predicate_type", st->predicate_type) &&
             (!in->payload_problem || add_string(o, "payload_problem", in->payload_problem)) &&
             cJSON_AddBoolToObject(o, "legacy", st->legacy) &&
             cJSON_AddItemToObject(o, "model",
                                   cli_model_json(st->subject_name, st->subject_digest, NULL)) &&
             cJSON_AddNumberToObject(o, "signatures", (double)env->n_signatures);
        if (ok && st->manifest) {
            cJSON *ser = cli_json_take(ms_serialization_json(&st->manifest->serialization));
            ok = ser != NULL;
            if (ok) {
                cJSON_AddItemToObject(o, "serialization", ser);
                ok = cJSON_AddNumberToObject(o, "resources", (double)st->manifest->n_resources) !=
                     NULL;
            }
        }
    } else if (ok) {
        ok = add_string(o, "payload_type", NULL) &&
             cJSON_AddItemToObject(o, "model", cli_model_json(NULL, NULL, NULL));
    }
    if (ok)
        ok = cJSON_AddNumberToObject(o, "tlog_entries", (double)tlog_count(b)) &&
             cJSON_AddBoolToObject(o, "timestamps", ms_bundle_has_timestamp_data(b));
    cJSON_Delete(signer);
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

int cmd_inspect(int argc, char **argv)
{
    ms_buf data = MS_BUF_INIT;
    ms_bundle *b = NULL;
    inspection in;
    ms_error err;
    int json = 0, opt, status = EXIT_OK;

    memset(&in, 0, sizeof in);
    ms_error_clear(&err);
    optind = 1;
    while ((opt = cli_getopt(argc, argv, inspect_options, 0)) != -1) {
        if (opt == OPT_JSON)
            json = 1;
        else
            return cli_option_other(opt, argv);
    }
    if (!cli_operand(argc, argv, "SIG"))
        return EXIT_USAGE;
    const char *path = argv[optind];

    int rc = msx_file_read(path, MS_BUNDLE_MAX_SIZE, &data, &err);
    if (rc == 0)
        rc = ms_bundle_parse(data.data, data.len, &b, &err);
    if (rc == 0)
        rc = inspect_signer(b, &in, &err);
    if (rc == 0 && ms_bundle_envelope(b))
        rc = inspect_payload(ms_bundle_envelope(b), &in, &err);
    if (rc != 0) {
        /* msx_file_read names the file already; the parsers name the field. */
        if (strncmp(err.message, path, strlen(path)) != 0) {
            ms_error prefixed;
            ms_error_set(&prefixed, rc, "%s: %s", path, err.message);
            err = prefixed;
        }
        status = cli_fail(&err);
        goto out;
    }
    if (json) {
        cJSON *o = inspection_json(path, b, &in);
        if (!o) {
            cli_message("out of memory");
            status = EXIT_ENVIRONMENT;
            goto out;
        }
        status = cli_print_json(o);
    } else {
        print_text(path, b, &in);
    }
out:
    inspection_clear(&in);
    ms_bundle_free(b);
    msx_buf_free(&data);
    return status;
}
