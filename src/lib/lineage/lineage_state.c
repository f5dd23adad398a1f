/* Lineage: the state of a tracked artifact in a commit — signatures, claims, dataset manifests
 * and provenance read from the commit's tree with libgit2 and checked. Every blob is untrusted
 * input. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "hash/walk.h"
#include "lineage_internal.h"
#include "modelseal/bundle.h"
#include "modelseal/claims.h"
#include "modelseal/dataset.h"
#include "modelseal/key.h"
#include "modelseal/manifest.h"
#include "modelseal/provenance.h"
#include "modelseal/statement.h"
#include "modelseal/verify.h"
#include "modelseal/x509.h"
#include "util/encoding.h"

/* ---- small helpers --------------------------------------------------------------------------- */

static void set_reason(lin_state *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_reason(lin_state *st, const char *fmt, ...)
{
    va_list ap;
    if (st->reason)
        return; /* keep the first */
    va_start(ap, fmt);
    if (vasprintf(&st->reason, fmt, ap) < 0)
        st->reason = NULL;
    va_end(ap);
}

/* ---- signatures, claims, provenance ---------------------------------------------------------- */

static char *signer_of(const ms_bundle *b)
{
    const char *hint = ms_bundle_key_hint(b);
    if (ms_bundle_certificate_count(b) > 0) {
        ms_x509_chain *chain = ms_x509_chain_new();
        char *id = NULL;
        size_t len;
        const uint8_t *der = ms_bundle_certificate(b, 0, &len);
        if (chain && der && ms_x509_chain_add_der(chain, der, len, NULL) == 0)
            id = ms_x509_leaf_identity(chain);
        ms_x509_chain_free(chain);
        if (id)
            return id;
    }
    return hint ? strdup(hint) : NULL;
}

/* Parse the key at key_path in the tree. 1 with *key, 0 when absent/malformed (reason set). */
static int load_key(const lin_view *v, const char *key_path, ms_key **key, lin_state *st,
                    ms_error *err)
{
    git_blob *blob = NULL;
    ms_error kerr;
    *key = NULL;
    int rc = lin_blob_at(v->repo, v->tree, key_path, &blob, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        set_reason(st, "the configured key %s is not in the commit", key_path);
        return 0;
    }
    rc = ms_key_parse_public(git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob), key, &kerr);
    git_blob_free(blob);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc) {
        set_reason(st, "the configured key %s is not a public key", key_path);
        return 0;
    }
    return 1;
}

/* Check the bundle's signature with the configured key; sets st->sig invalid on failure. */
static int check_key(const lin_view *v, const ms_bundle *b, const char *key_path, lin_state *st,
                     ms_error *err)
{
    ms_key *key = NULL;
    ms_signer_info info;
    ms_error verr;
    memset(&info, 0, sizeof info);
    int rc = load_key(v, key_path, &key, st, err);
    if (rc < 0)
        return rc;
    if (rc == 0) {
        st->sig = LIN_INVALID;
        return 0;
    }
    const ms_key *keys[1] = {key};
    ms_trust trust = {.keys = keys, .n_keys = 1};
    rc = ms_verify_bundle_signature(b, &trust, &info, &verr);
    if (rc == MS_ENOMEM) {
        ms_key_free(key);
        return ms_error_nomem(err);
    }
    if (rc) {
        st->sig = LIN_INVALID;
        set_reason(st, "not signed by the configured key %s: %s", key_path, verr.message);
    } else if (info.hint[0]) {
        free(st->signer);
        st->signer = strdup(info.hint);
    }
    ms_signer_info_clear(&info);
    ms_key_free(key);
    return 0;
}

static int claims_and_datasets(const lin_view *v, const char *claims_path, lin_state *st,
                               ms_error *err)
{
    git_blob *blob = NULL;
    ms_claims *claims = NULL;
    ms_error cerr;
    int rc;
    if (!(st->claims = cJSON_CreateArray()) || !(st->datasets = cJSON_CreateArray()))
        return ms_error_nomem(err);
    if ((rc = lin_blob_at(v->repo, v->tree, claims_path, &blob, err)) <= 0)
        return rc;
    const uint8_t *text = git_blob_rawcontent(blob);
    size_t len = (size_t)git_blob_rawsize(blob);
    rc = ms_claims_parse(text, len, claims_path, &claims, &cerr);
    if (rc == MS_ENOMEM) {
        git_blob_free(blob);
        return ms_error_nomem(err);
    }
    if (rc) {
        /* A malformed claims file: no claim is trusted; the reason is kept for `check`. */
        git_blob_free(blob);
        return 0;
    }
    for (size_t i = 0; i < claims->n; i++) {
        const ms_claim *c = &claims->items[i];
        uint8_t d[MS_SHA256_SIZE];
        char hex[72];
        cJSON *o = cJSON_CreateObject();
        ms_sha256(c->text, c->len, d);
        lin_format_digest(d, hex);
        if (!o || !cJSON_AddItemToArray(st->claims, o) ||
            !cJSON_AddStringToObject(o, "predicateType", c->statement->predicate_type) ||
            !cJSON_AddStringToObject(o, "digest", hex)) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    if (st->has_digest) {
        for (size_t i = ms_claims_find(claims, st->digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, 0);
             i < claims->n;
             i = ms_claims_find(claims, st->digest, MS_SLSA_PROVENANCE_PREDICATE_TYPE, i + 1)) {
            ms_provenance *p = NULL;
            if (ms_provenance_parse(claims->items[i].statement, &p, &cerr) != 0)
                continue;
            for (size_t k = 0; k < p->n_deps; k++) {
                const ms_provenance_dependency *d = &p->deps[k];
                const char *sha = ms_provenance_dependency_digest(d, "sha256");
                if (!d->role || strcmp(d->role, "dataset") != 0)
                    continue;
                cJSON *o = cJSON_CreateObject();
                char digest[80];
                snprintf(digest, sizeof digest, "sha256:%s", sha ? sha : "");
                if (!o || !cJSON_AddItemToArray(st->datasets, o) ||
                    !(d->name ? cJSON_AddStringToObject(o, "name", d->name)
                              : cJSON_AddNullToObject(o, "name")) ||
                    !(sha ? cJSON_AddStringToObject(o, "digest", digest)
                          : cJSON_AddNullToObject(o, "digest"))) {
                    ms_provenance_free(p);
                    rc = ms_error_nomem(err);
                    goto out;
                }
            }
            ms_provenance_free(p);
            break; /* the first provenance for this model */
        }
    }
out:
    ms_claims_free(claims);
    git_blob_free(blob);
    return rc;
}

static char *basename_dup(const char *path)
{
    const char *s = strrchr(path, '/');
    return strdup(s ? s + 1 : path);
}

/* The signature at sig_path in the tree, read for a state: 0 when there is none, or it does not
 * parse or carry a statement (st->sig is then LIN_INVALID with the reason); 1 with *bundle and
 * *stmt (`generic`: any statement, as ms_statement_from_bundle); negative on an environment
 * error. *sig, *bundle and *stmt are the caller's to free, whatever the result. */
static int read_signature(const lin_view *v, const char *sig_path, int generic, git_blob **sig,
                          ms_bundle **bundle, ms_statement **stmt, lin_state *st, ms_error *err)
{
    ms_error lerr;
    int rc = lin_blob_at(v->repo, v->tree, sig_path, sig, err);
    if (rc != 1)
        return rc;
    rc = ms_bundle_parse(git_blob_rawcontent(*sig), (size_t)git_blob_rawsize(*sig), bundle, &lerr);
    if (rc == 0)
        rc = ms_statement_from_bundle(*bundle, generic, stmt, &lerr);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc) {
        st->sig = LIN_INVALID;
        set_reason(st, "%s", lerr.message);
        return 0;
    }
    return 1;
}

static int model_state(const lin_view *v, const char *path, const char *key_path, int verify,
                       lin_state *st, ms_error *err)
{
    git_tree_entry *e = NULL;
    git_blob *sig = NULL;
    ms_bundle *bundle = NULL;
    ms_statement *stmt = NULL;
    ms_manifest *actual = NULL;
    ms_manifest_diff diff;
    char *sig_path = NULL, *claims_path = NULL;
    ms_error lerr;
    int rc = git_tree_entry_bypath(&e, v->tree, path);
    memset(&diff, 0, sizeof diff);
    if (rc == GIT_ENOTFOUND)
        return 0;
    if (rc < 0)
        return lin_git_fail(err, path);
    st->present = 1;
    int is_dir = git_tree_entry_type(e) == GIT_OBJECT_TREE;
    if (is_dir) {
        sig_path = malloc(strlen(path) + sizeof "/" MS_SIGNATURE_FILE);
        claims_path = malloc(strlen(path) + sizeof "/" MS_CLAIMS_FILE);
        if (sig_path && claims_path) {
            sprintf(sig_path, "%s/%s", path, MS_SIGNATURE_FILE);
            sprintf(claims_path, "%s/%s", path, MS_CLAIMS_FILE);
        }
    } else {
        sig_path = lin_path_join(path, ".sig");
        claims_path = lin_path_join(path, ".claims.jsonl");
    }
    if (!sig_path || !claims_path) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = read_signature(v, sig_path, 0, &sig, &bundle, &stmt, st, err)) < 0)
        goto out;
    if (rc == 1) {
        st->sig = LIN_VALID;
        st->has_digest = 1;
        memcpy(st->digest, stmt->subject_digest, MS_SHA256_SIZE);
        if (stmt->subject_name && !(st->name = strdup(stmt->subject_name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        st->signer = signer_of(bundle);
    }
    rc = 0;
    if (!st->name && !(st->name = basename_dup(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }

    if (st->sig == LIN_VALID && verify) {
        const ms_manifest *signed_m = stmt->manifest;
        uint8_t root[MS_SHA256_SIZE];
        if (ms_manifest_root(signed_m->resources, signed_m->n_resources, root) != 0 ||
            sodium_memcmp(root, stmt->subject_digest, MS_SHA256_SIZE) != 0) {
            st->sig = LIN_INVALID;
            set_reason(st, "the subject digest does not match the signed resources");
        }
        if (st->sig == LIN_VALID && key_path && (rc = check_key(v, bundle, key_path, st, err)) < 0)
            goto out;
        if (st->sig == LIN_VALID) {
            rc = lin_manifest_from_tree(v->repo, v->tree, e, path, &signed_m->serialization,
                                        !signed_m->serialization.has_ignore_paths, &actual, &lerr);
            if (rc == MS_ENOMEM || rc == MS_EENV) {
                if (err)
                    *err = lerr;
                goto out;
            }
            if (rc) {
                st->sig = LIN_INVALID;
                set_reason(st, "%s", lerr.message);
            } else {
                rc = ms_manifest_compare(signed_m, actual, &diff, &lerr);
                if (rc == MS_ENOMEM) {
                    rc = ms_error_nomem(err);
                    goto out;
                }
                if (rc) {
                    char msg[512];
                    int off = snprintf(msg, sizeof msg, "the files do not match the signature:");
                    for (size_t i = 0; i < diff.n_changed && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " changed %s",
                                        diff.changed[i]);
                    for (size_t i = 0; i < diff.n_missing && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " missing %s",
                                        diff.missing[i]);
                    for (size_t i = 0; i < diff.n_extra && off < 400; i++)
                        off += snprintf(msg + off, sizeof msg - (size_t)off, " extra %s",
                                        diff.extra[i]);
                    st->sig = LIN_INVALID;
                    set_reason(st, "%s", rc == MS_EVERIFY ? msg : lerr.message);
                }
                rc = 0;
            }
        }
    } else if (st->sig != LIN_VALID) {
        /* Unsigned (or an unreadable signature): the digest of the files as they are. */
        ms_serialization ser;
        ms_serialization_init(&ser);
        rc = lin_manifest_from_tree(v->repo, v->tree, e, path, &ser, 1, &actual, &lerr);
        ms_serialization_clear(&ser);
        if (rc == MS_ENOMEM || rc == MS_EENV) {
            if (err)
                *err = lerr;
            goto out;
        }
        if (rc == 0) {
            st->has_digest = 1;
            memcpy(st->digest, actual->root_digest, MS_SHA256_SIZE);
        } else {
            set_reason(st, "%s", lerr.message);
        }
        if (st->sig == LIN_UNSIGNED)
            set_reason(st, "%s", "no signature");
        rc = 0;
    }
    if (verify)
        rc = claims_and_datasets(v, claims_path, st, err);
out:
    ms_manifest_diff_clear(&diff);
    ms_manifest_free(actual);
    ms_statement_free(stmt);
    ms_bundle_free(bundle);
    git_blob_free(sig);
    git_tree_entry_free(e);
    free(sig_path);
    free(claims_path);
    return rc;
}

/* Write a blob to a private temporary file (the dataset reader works on paths). */
static int blob_to_temp(const git_blob *blob, char *path, size_t size, ms_error *err)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(path, size, "%s/modelseal-lineage-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0)
        return ms_error_set(err, MS_EENV, "cannot create a temporary file in %s",
                            tmp && *tmp ? tmp : "/tmp");
    const uint8_t *p = git_blob_rawcontent(blob);
    size_t left = (size_t)git_blob_rawsize(blob);
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w <= 0) {
            close(fd);
            unlink(path);
            return ms_error_set(err, MS_EENV, "cannot write a temporary file");
        }
        p += w;
        left -= (size_t)w;
    }
    if (close(fd) != 0) {
        unlink(path);
        return ms_error_set(err, MS_EENV, "cannot write a temporary file");
    }
    return 0;
}

static int dataset_state(const lin_view *v, const char *path, const char *key_path, int verify,
                         lin_state *st, ms_error *err)
{
    git_blob *blob = NULL, *sig = NULL;
    ms_bundle *bundle = NULL;
    ms_statement *stmt = NULL;
    ms_dataset_info info;
    char *sig_path = NULL, tmp[4096] = "";
    ms_error lerr;
    int have_info = 0, rc;
    memset(&info, 0, sizeof info);
    if ((rc = lin_blob_at(v->repo, v->tree, path, &blob, err)) <= 0)
        return rc;
    st->present = 1;
    if (!(st->claims = cJSON_CreateArray()) || !(st->datasets = cJSON_CreateArray()) ||
        !(sig_path = lin_path_join(path, ".sig"))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if ((rc = blob_to_temp(blob, tmp, sizeof tmp, err)) != 0) {
        tmp[0] = 0;
        goto out;
    }
    rc = ms_dataset_info_load(tmp, &info, &lerr);
    if (rc == MS_ENOMEM) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (rc == 0) {
        have_info = 1;
        st->has_digest = 1;
        memcpy(st->digest, info.root_digest, MS_SHA256_SIZE);
        if (info.name && !(st->name = strdup(info.name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    } else {
        /* Replace the temporary file's name in the message with the path in the tree. */
        const char *m = lerr.message;
        size_t tl = strlen(tmp);
        char msg[MS_ERROR_MESSAGE_MAX];
        if (strncmp(m, tmp, tl) == 0)
            m += tl;
        snprintf(msg, sizeof msg, "%s%s", path, m);
        set_reason(st, "%s", msg);
    }
    if ((rc = read_signature(v, sig_path, 1, &sig, &bundle, &stmt, st, err)) < 0)
        goto out;
    if (rc == 1) {
        st->sig = LIN_VALID;
        st->signer = signer_of(bundle);
        if (!st->has_digest) {
            /* The manifest is unreadable: name the dataset as its signature does. */
            st->has_digest = 1;
            memcpy(st->digest, stmt->subject_digest, MS_SHA256_SIZE);
        }
        if (!st->name && stmt->subject_name && !(st->name = strdup(stmt->subject_name))) {
            rc = ms_error_nomem(err);
            goto out;
        }
    }
    rc = 0;
    if (!st->name && !(st->name = basename_dup(path))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    if (!verify)
        goto out;
    if (!have_info) {
        st->sig = st->sig == LIN_UNSIGNED ? LIN_UNSIGNED : LIN_INVALID;
        if (st->sig == LIN_UNSIGNED)
            set_reason(st, "%s", "no signature");
        goto out;
    }
    if (st->sig == LIN_UNSIGNED) {
        set_reason(st, "%s", "no signature");
        goto out;
    }
    if (st->sig == LIN_VALID) {
        rc = ms_dataset_statement_check(stmt, &info, &lerr);
        if (rc == MS_ENOMEM) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if (rc) {
            st->sig = LIN_INVALID;
            set_reason(st, "the signature is for another manifest: %s", lerr.message);
        }
        rc = 0;
    }
    if (st->sig == LIN_VALID && key_path)
        rc = check_key(v, bundle, key_path, st, err);
out:
    if (tmp[0])
        unlink(tmp);
    ms_dataset_info_clear(&info);
    ms_statement_free(stmt);
    ms_bundle_free(bundle);
    git_blob_free(sig);
    git_blob_free(blob);
    free(sig_path);
    return rc;
}

int lin_state_get(const lin_view *v, lin_kind kind, const char *path, const char *key_path,
                  int verify, lin_state *st, ms_error *err)
{
    memset(st, 0, sizeof *st);
    if (kind == LIN_MODEL)
        return model_state(v, path, key_path, verify, st, err);
    return dataset_state(v, path, key_path, verify, st, err);
}
