"""cffi builder of modelseal._native (API mode): compiled against the installed
<modelseal/modelseal.h> and linked with libmodelseal, both found with pkg-config.

The declarations below are the part of the C API the package calls; "..." lets the C compiler
fill in the layout of each structure, so only the fields read or written here are named.
Set PKG_CONFIG_PATH (and PKG_CONFIG_SYSROOT_DIR for a DESTDIR copy) to build against a
library that is not installed system-wide.
"""
import os
import shlex
import subprocess

from cffi import FFI

CDEF = r"""
#define MS_SHA256_SIZE 32
#define MS_HASH_MAX_SIZE 64

typedef struct ms_error { int code; char message[...]; ...; } ms_error;
void ms_free(void *p);
int ms_error_exit_status(int code);
void ms_error_clear(ms_error *err);
const char *ms_version(void);

typedef enum ms_hash_algorithm { MS_HASH_SHA256 = 0, MS_HASH_BLAKE2B = 1 } ms_hash_algorithm;
int ms_hash_parse(const char *name, ms_hash_algorithm *alg);
typedef void (*ms_hash_progress_fn)(void *ctx, uint64_t bytes_done, uint64_t bytes_total);

typedef enum ms_method { MS_METHOD_FILES = 0, MS_METHOD_SHARDS = 1 } ms_method;
int ms_method_parse(const char *name, ms_method *method);
typedef struct ms_serialization {
    ms_method method; ms_hash_algorithm algorithm; uint64_t shard_size; int allow_symlinks;
    char **ignore_paths; size_t n_ignore_paths; ...;
} ms_serialization;
typedef struct ms_resource { char *name; uint8_t digest[64]; size_t digest_len; ...; } ms_resource;
typedef struct ms_manifest {
    char *model_name; ms_serialization serialization; ms_resource *resources; size_t n_resources;
    uint8_t root_digest[32]; char **empty_files; size_t n_empty_files; ...;
} ms_manifest;
typedef struct ms_manifest_options {
    unsigned threads; size_t buffer_size; int no_ignore_git_paths; const char *signature_path;
    ms_hash_progress_fn progress; void *progress_ctx; int lfs_pointers; ...;
} ms_manifest_options;
void ms_serialization_init(ms_serialization *ser);
int ms_serialization_add_ignore(ms_serialization *ser, const char *path);
void ms_serialization_clear(ms_serialization *ser);
int ms_manifest_build(const char *path, const ms_serialization *ser,
                      const ms_manifest_options *opts, ms_manifest **out, ms_error *err);
void ms_manifest_free(ms_manifest *m);
char *ms_serialization_json(const ms_serialization *ser);
char *ms_resources_json(const ms_manifest *m);
char *ms_ignore_path_normalize(const char *model, const char *path, ms_error *err);
typedef struct ms_manifest_diff {
    char **missing; size_t n_missing; char **extra; size_t n_extra; char **changed;
    size_t n_changed; ...;
} ms_manifest_diff;

typedef struct ms_key ms_key;
typedef int (*ms_passphrase_fn)(void *ctx, char *buf, size_t buf_size, ms_error *err);
int ms_key_load_secret(const char *path, ms_passphrase_fn get_passphrase, void *ctx,
                       ms_key **out, ms_error *err);
int ms_key_open_signer(const char *source, ms_passphrase_fn get_secret, void *ctx, ms_key **out,
                       ms_error *err);
int ms_key_parse_secret(const uint8_t *data, size_t len, const char *what,
                        ms_passphrase_fn get_passphrase, void *ctx, ms_key **out, ms_error *err);
int ms_key_load_public(const char *path, ms_key **out, ms_error *err);
int ms_key_parse_public(const uint8_t *pem_or_der, size_t len, ms_key **out, ms_error *err);
int ms_key_hint(const ms_key *key, char hex[65]);
int ms_key_is_secret(const ms_key *key);
void ms_key_free(ms_key *key);

typedef struct ms_x509_chain ms_x509_chain;
ms_x509_chain *ms_x509_chain_new(void);
int ms_x509_chain_append_file(ms_x509_chain *chain, const char *path, ms_error *err);
int ms_x509_parse_pem_chain(const uint8_t *pem, size_t len, ms_x509_chain **out, ms_error *err);
size_t ms_x509_chain_count(const ms_x509_chain *chain);
int ms_x509_chain_der(const ms_x509_chain *chain, size_t index, uint8_t **der, size_t *len);
int ms_x509_chain_add_der(ms_x509_chain *chain, const uint8_t *der, size_t len, ms_error *err);
void ms_x509_chain_free(ms_x509_chain *chain);

typedef struct ms_trusted_root ms_trusted_root;
int ms_trusted_root_load(const char *path, ms_trusted_root **out, ms_error *err);
void ms_trusted_root_free(ms_trusted_root *root);

typedef struct ms_dsse_envelope { uint8_t *payload; size_t payload_len; ...; } ms_dsse_envelope;
typedef struct ms_bundle ms_bundle;
int ms_bundle_parse(const uint8_t *json, size_t len, ms_bundle **out, ms_error *err);
const ms_dsse_envelope *ms_bundle_envelope(const ms_bundle *b);
void ms_bundle_free(ms_bundle *b);

typedef struct ms_statement {
    char *subject_name; uint8_t subject_digest[32]; char *predicate_type; ms_manifest *manifest;
    ...;
} ms_statement;
int ms_statement_parse(const uint8_t *payload, size_t len, ms_statement **out, ms_error *err);
int ms_statement_parse_generic(const uint8_t *payload, size_t len, ms_statement **out,
                               ms_error *err);
void ms_statement_free(ms_statement *st);

typedef struct ms_trust {
    const ms_key *const *keys; size_t n_keys; const ms_x509_chain *roots; const char *identity;
    int64_t at_time; const ms_trusted_root *sigstore_root; const char *sigstore_issuer;
    int key_bundle_logged; ...;
} ms_trust;
typedef struct ms_signer_info {
    char kind[16]; char hint[65]; char *identity; char *subject; char *issuer;
    int64_t signing_time; ...;
} ms_signer_info;
void ms_signer_info_clear(ms_signer_info *info);
int ms_verify_bundle_signature(const ms_bundle *bundle, const ms_trust *trust,
                               ms_signer_info *info, ms_error *err);
typedef struct ms_verify_options {
    ms_manifest_options hash; const char *const *extra_ignores; size_t n_extra_ignores;
    const char *signature_path; int ignore_unsigned_files; int allow_empty; int allow_symlinks;
    ...;
} ms_verify_options;
typedef struct ms_verify_result {
    ms_statement *statement; ms_signer_info signer; ms_manifest_diff diff; size_t n_files; ...;
} ms_verify_result;
void ms_verify_result_clear(ms_verify_result *res);
int ms_verify_model(const char *model, const uint8_t *bundle_json, size_t len,
                    const ms_trust *trust, const ms_verify_options *opts,
                    ms_verify_result *res, ms_error *err);

int ms_sign_record_ignores(ms_serialization *ser, int no_git_paths, const char *signature_rel);
int ms_sign_statement(const uint8_t *payload, size_t len, const ms_key *key,
                      const ms_x509_chain *chain, char **bundle_json, size_t *bundle_len,
                      ms_error *err);
int ms_sign_manifest(const ms_manifest *m, const ms_key *key, const ms_x509_chain *chain,
                     int allow_empty, char **bundle_json, size_t *bundle_len, ms_error *err);
char *ms_sign_default_signature_path(const char *model, ms_error *err);

typedef struct ms_policy ms_policy;
int ms_policy_load(const char *path, ms_policy **out, ms_error *err);
int ms_policy_parse(const uint8_t *text, size_t len, const char *what, const char *base_dir,
                    ms_policy **out, ms_error *err);
void ms_policy_free(ms_policy *p);
typedef struct ms_chain_link {
    char *link; char *name; int ok; char *reason; struct ms_chain_link *links; size_t n_links;
    ...;
} ms_chain_link;
typedef struct ms_chain_result {
    ms_chain_link *links; size_t n_links; char *model_name; int has_digest;
    uint8_t model_digest[32]; size_t n_failed; ms_manifest_diff diff; ...;
} ms_chain_result;
typedef struct ms_chain_options {
    const char *signature_path; const char *claims_path; ms_manifest_options hash;
    unsigned dataset_threads; int64_t now; ...;
} ms_chain_options;
int ms_chain_verify(const ms_policy *policy, const char *model, const ms_chain_options *opts,
                    ms_chain_result *res, ms_error *err);
void ms_chain_result_clear(ms_chain_result *res);

typedef struct ms_dataset_info {
    char *name; char *version; char *source; char *license; char **ignore_paths;
    size_t n_ignore_paths; ms_hash_algorithm algorithm; uint64_t files; uint64_t bytes;
    uint8_t root_digest[32]; uint8_t manifest_digest[32]; ...;
} ms_dataset_info;
void ms_dataset_info_clear(ms_dataset_info *info);
typedef struct ms_dataset_options {
    const char *name; const char *version; const char *source; const char *license;
    ms_hash_algorithm algorithm; unsigned threads; const char *const *ignore_paths;
    size_t n_ignore_paths; int allow_lfs_pointers; ...;
} ms_dataset_options;
int ms_dataset_manifest_write(const char *dir, const ms_dataset_options *opts,
                              const char *output, ms_dataset_info *info, ms_error *err);
int ms_dataset_info_load(const char *manifest_path, ms_dataset_info *info, ms_error *err);
typedef enum ms_dataset_diff_kind {
    MS_DATASET_MISSING = 0, MS_DATASET_EXTRA = 1, MS_DATASET_CHANGED = 2
} ms_dataset_diff_kind;
typedef void (*ms_dataset_diff_fn)(void *ctx, ms_dataset_diff_kind kind, const char *path);
typedef struct ms_dataset_verify_options {
    unsigned threads; const char *const *ignore_paths; size_t n_ignore_paths;
    ms_dataset_diff_fn diff; void *diff_ctx; ms_dataset_info *info;
    int (*manifest_check)(void *ctx, const ms_dataset_info *info, ms_error *err);
    void *check_ctx; ...;
} ms_dataset_verify_options;
typedef struct ms_dataset_verify_result {
    uint64_t missing; uint64_t extra; uint64_t changed; uint64_t files; ...;
} ms_dataset_verify_result;
int ms_dataset_verify_dir(const char *manifest_path, const char *dir,
                          const ms_dataset_verify_options *opts,
                          ms_dataset_verify_result *res, ms_error *err);
int ms_dataset_statement_build(const ms_dataset_info *info, char **payload, size_t *len,
                               ms_error *err);
int ms_dataset_statement_check(const ms_statement *st, const ms_dataset_info *info,
                               ms_error *err);

typedef struct ms_git_info { char commit[41]; char *ref; char *url; int dirty; char *path; ...; }
    ms_git_info;
int ms_git_info_load(const char *start, const char *remote, ms_git_info *info, ms_error *err);
void ms_git_info_clear(ms_git_info *info);
typedef struct ms_provenance {
    char *subject_name; uint8_t subject_digest[32]; char *build_type; char *builder_id;
    char *invocation_id; char *started_on; char *finished_on; ...;
} ms_provenance;
ms_provenance *ms_provenance_new(void);
void ms_provenance_free(ms_provenance *p);
int ms_provenance_set_string(char **field, const char *value, ms_error *err);
int ms_provenance_set_parameters(ms_provenance *p, const uint8_t *json, size_t len,
                                 const char *what, ms_error *err);
int ms_provenance_add_code(ms_provenance *p, const ms_git_info *git, ms_error *err);
int ms_provenance_add_dataset(ms_provenance *p, const char *name, const char *source,
                              const char *version, const uint8_t root[32],
                              const uint8_t manifest_digest[32], ms_error *err);
int ms_provenance_add_package(ms_provenance *p, const char *uri, const char *sha256_hex,
                              ms_error *err);
int ms_provenance_rfc3339_utc(const char *text, const char *field, char out[64], ms_error *err);
void ms_provenance_now(char out[64]);
int ms_provenance_build(const ms_provenance *p, char **payload, size_t *len, ms_error *err);

typedef struct ms_claim { char *text; size_t len; ...; } ms_claim;
typedef struct ms_claims { ms_claim *items; size_t n; ...; } ms_claims;
int ms_provenance_add_base_model(ms_provenance *p, const char *name, const uint8_t root[32],
                                 ms_error *err);
int ms_claims_read(const char *path, int missing_ok, ms_claims **out, ms_error *err);
int ms_claims_append(const char *path, const char *const *lines, const size_t *lens, size_t n,
                     size_t *added, ms_error *err);
char *ms_claims_default_path(const char *model, ms_error *err);
void ms_claims_free(ms_claims *c);

typedef enum ms_sbom_format { MS_SBOM_CYCLONEDX = 1, MS_SBOM_SPDX = 2 } ms_sbom_format;
typedef struct ms_sbom_evidence ms_sbom_evidence;
void ms_sbom_evidence_free(ms_sbom_evidence *ev);
typedef struct ms_sbom_options {
    const char *name; const char *version; const char *supplier; const char *license;
    const char *type_of_model; const char *namespace_iri; int64_t timestamp; ...;
} ms_sbom_options;
int ms_sbom_format_parse(const char *text, ms_sbom_format *out, ms_error *err);
int ms_sbom_options_check(const ms_sbom_options *o, ms_error *err);
typedef struct ms_sbom_signers { const ms_trust *items; size_t n; } ms_sbom_signers;
typedef struct ms_sbom_collect_options {
    const char *signature_path; const char *claims_path; ms_sbom_signers model;
    ms_sbom_signers provenance; ms_sbom_signers datasets; ms_sbom_signers base_models;
    int verify_model_files; ms_manifest_options hash; int strict; ...;
} ms_sbom_collect_options;
int ms_sbom_collect(const char *model, const ms_sbom_collect_options *opts,
                    ms_sbom_evidence **out, ms_error *err);
int ms_sbom_collect_policy(const ms_policy *policy, const char *model,
                           const ms_chain_options *chain, ms_chain_result *res,
                           ms_sbom_evidence **out, ms_error *err);
int ms_sbom_render(ms_sbom_format format, const ms_sbom_evidence *ev, const ms_sbom_options *o,
                   char **out, size_t *out_len, ms_error *err);

extern "Python" void _ms_py_progress(void *ctx, uint64_t done, uint64_t total);
extern "Python" int _ms_py_passphrase(void *ctx, char *buf, size_t buf_size, ms_error *err);
extern "Python" void _ms_py_dataset_diff(void *ctx, ms_dataset_diff_kind kind, const char *path);
"""


def _pkg_config(*args):
    exe = os.environ.get("PKG_CONFIG", "pkg-config")
    try:
        out = subprocess.run([exe, *args, "modelseal"], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        raise SystemExit("modelseal: pkg-config cannot find libmodelseal (install the C "
                         "library, or set PKG_CONFIG_PATH to its lib/pkgconfig): %s" % e)
    return shlex.split(out)


def _flags():
    cflags, libs = _pkg_config("--cflags"), _pkg_config("--libs")
    inc = [f[2:] for f in cflags if f.startswith("-I")]
    libdirs = [f[2:] for f in libs if f.startswith("-L")]
    return dict(
        include_dirs=inc,
        extra_compile_args=[f for f in cflags if not f.startswith("-I")],
        library_dirs=libdirs,
        libraries=[f[2:] for f in libs if f.startswith("-l")],
        extra_link_args=[f for f in libs if not f.startswith(("-l", "-L"))],
    )


ffibuilder = FFI()
ffibuilder.cdef(CDEF)
ffibuilder.set_source("modelseal._native", "#include <modelseal/modelseal.h>\n", **_flags())

if __name__ == "__main__":
    ffibuilder.compile(verbose=False)
