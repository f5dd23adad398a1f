/* Shared pieces of the modelseal program: the command table, error reporting, the hashing
 * options every hashing command accepts, and progress display. The library does the work;
 * this layer parses arguments and renders results. */
#ifndef MODELSEAL_CLI_H
#define MODELSEAL_CLI_H

#include <getopt.h>
#include <stdio.h>

#include "modelseal/modelseal.h"
#include "options.h"
/* The program links the convenience library (libmscore.la), so it shares the helpers of util/
 * and the model walk, which are not installed. */
#include "hash/walk.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

/* Exit statuses (modelseal(1)). */
enum { EXIT_OK = 0, EXIT_NOT_VERIFIED = 1, EXIT_USAGE = 2, EXIT_ENVIRONMENT = 3 };

typedef struct cli_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const cli_help *help; /* --help: usage, options, subcommands */
} cli_command;

extern const cli_command cli_commands[];
extern const size_t cli_commands_count;

/* The running command's name, for messages ("modelseal hash: ..."). */
extern const char *cli_current;

/* `s` as msx_quote_encode shows it (control characters, C1 and invalid UTF-8 escaped), for
 * printing a name from outside (file and resource names, identities, URIs, reasons) in human
 * output. The string lives until eight more calls. Main thread only (a callback on a hashing
 * thread quotes with msx_quote_encode). "(out of memory)" when there is no memory; NULL gives
 * NULL. */
const char *cli_quote(const char *s);

/* Append `len` bytes of `text`, which the library handed over, to `out` and release `text` with
 * ms_free (the API returns malloc'd text; the program keeps working with ms_buf). Accepts NULL
 * text. 0 or MS_ENOMEM (err set). */
int cli_take(ms_buf *out, char *text, size_t len, ms_error *err);
/* The JSON text the library handed over, as a new cJSON tree (NULL when text is NULL or does not
 * parse); `text` is released with ms_free. */
cJSON *cli_json_take(char *text);
/* The API calls that hand back text, with the text appended to an ms_buf (cli_take). */
int cli_sign_statement(const uint8_t *payload, size_t len, const ms_key *key, ms_buf *out,
                       ms_error *err);
int cli_blob_sign(const ms_blob_artifact *a, const ms_key *key, ms_buf *out, ms_error *err);
int cli_provenance_build(const ms_provenance *p, ms_buf *out, ms_error *err);
int cli_dataset_statement_build(const ms_dataset_info *info, ms_buf *out, ms_error *err);

/* Print "modelseal CMD: message" to stderr, the message quoted as cli_quote does (its names
 * may come from outside). */
void cli_message(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print an informational line (a command's summary: "Signed ...", "Wrote ...") to stdout,
 * unless -q/--quiet. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Open a JSON array streamed to stdout ("[", and a newline with --json=pretty); a failure after
 * it adds no error document. */
void cli_json_stream_start(void);
/* Report a library error and return its exit status. A message that names the snapshot an
 * hf:// operand resolved to is prefixed with the operand as given (cli_operand_named). */
int cli_fail(const ms_error *err);
/* `msg`, or "hf://ORG/NAME[@REV]: msg" in `buf` when it names the snapshot that operand resolved
 * to. */
const char *cli_operand_named(const char *msg, char *buf, size_t n);
/* Report a usage error (with a pointer to --help) and return EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What a getopt loop does with what is not its command's own option: -h/--help prints the
 * running command's help and returns EXIT_OK; getopt_long's '?' (unknown option) or ':'
 * (missing argument; cli_getopt's optstring starts with ':', and opterr is off, see main.c) is
 * reported as one line, returning EXIT_USAGE. */
int cli_option_other(int opt, char **argv);
/* "Did you mean": the nearest of the names offered to what the user typed, among those close
 * enough (at most two edits: insertions, deletions, substitutions, swaps of adjacent letters,
 * and fewer edits than `typed` has letters); `name` stays NULL when none is. */
typedef struct cli_nearest {
    const char *typed, *name;
    size_t best;
} cli_nearest;
void cli_nearest_init(cli_nearest *n, const char *typed);
void cli_nearest_offer(cli_nearest *n, const char *candidate);
/* The long option (without "--") of the table cli_getopt last used that is nearest to `name`
 * (without "--", up to any '='), or NULL when none is similar. */
const char *cli_getopt_nearest(const char *name);
/* The command's one operand after its options (argv[optind]); NULL, with the usage error
 * ("missing NAME" / "expected exactly one NAME") reported, when there is not exactly one. */
const char *cli_operand(int argc, char **argv, const char *name);
/* cli_operand for a model: an hf://ORG/NAME[@REV] operand is replaced (in argv) by its snapshot
 * in the local Hugging Face cache; NULL when missing, malformed or not in the cache (reported,
 * exit status 2). cli_resolve_hf does that for one argument: EXIT_OK or the status reported. */
const char *cli_model_operand(int argc, char **argv, const char *name);
int cli_resolve_hf(char **arg, int dataset);
/* `path`, or "hf://ORG/NAME[@REV] (SNAPSHOT)" in `buf` when it is the snapshot that hf:// operand
 * resolved to. */
const char *cli_operand_name(const char *path, char *buf, size_t n);
/* How a model is named in "Signed"/"Verified" lines: as given, except that "." or ".." (or a
 * path ending in one) is named by the directory's own name, and an hf:// operand's snapshot as
 * cli_operand_name says (in `buf`). */
const char *cli_model_name(const char *model, char *buf, size_t n);
/* Warn on stderr when policy `p` has expired at `now`, or expires within CLI_POLICY_WARN_DAYS
 * (policy check, verify --policy). */
#define CLI_POLICY_WARN_DAYS 30
void cli_policy_expiry_warning(const ms_policy *p, int64_t now);
/* Print a command's help to stdout and return EXIT_OK. */
int cli_print_help(const char *command);

/* A command made of subcommands ("dataset manifest|sign|verify"). */
typedef struct cli_subcommand {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the subcommand */
} cli_subcommand;
/* Run the subcommand argv[1] of `command` (one of help->subs; cli_current becomes
 * "command sub"); --help and -h print the command's help; a missing or unknown subcommand is a
 * usage error listing them. */
int cli_dispatch(int argc, char **argv, const char *command, const cli_help *help);

/* "2023-07-12T15:56:36Z" (UTC) for a unix time; the number itself if it cannot be shown. */
void cli_format_time(int64_t t, char *buf, size_t size);

/* Parse a byte count / a positive count; 0 on success. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_threads(const char *s, unsigned *out);
/* Report "out of memory" and return EXIT_ENVIRONMENT. */
int cli_out_of_memory(void);

/* ---- trusted public keys ------------------------------------------------------------------ */
/* The keys of a repeatable `--key PUB` (verify, dataset verify, attest list, sbom, blob verify),
 * in the order given. Zero-initialise, add with cli_keys_add, release with cli_keys_free. */
typedef struct cli_keys {
    ms_key **items;
    size_t n;
} cli_keys;

/* Load the public key (PEM) at `path` and add it. EXIT_OK, or the failure's exit status after
 * reporting it (the library's message naming the file, or "out of memory"). */
int cli_keys_add(cli_keys *keys, const char *path);
/* The keys as ms_trust.keys takes them (NULL when there are none). */
const ms_key *const *cli_keys_trusted(const cli_keys *keys);
/* Free every key and the list, and leave it empty. */
void cli_keys_free(cli_keys *keys);

/* ---- hashing options (rows: cli_hash_option_table) --------------------------------------- */

/* Files with more than one hard link met while hashing (a warning is printed for each). */
typedef struct cli_hard_links {
    const char *root; /* the model or dataset path, for the warnings */
    char **paths;     /* relative to the root */
    uint64_t *links;
    size_t n;
} cli_hard_links;

/* The hard_link callback of ms_manifest_options / ms_dataset_options (ctx: cli_hard_links):
 * "modelseal: warning: PATH has N hard links; its content is hashed, but it may be changed
 * through another name" on stderr, and the path kept for --json. */
void cli_hard_link_seen(void *ctx, const char *path, uint64_t nlink);
/* [{"path": ..., "links": N}, ...] (an empty array when there were none); NULL without memory. */
cJSON *cli_hard_links_json(const cli_hard_links *h);
void cli_hard_links_free(cli_hard_links *h);

typedef struct cli_hash_options {
    ms_serialization ser;
    ms_manifest_options opts;
    char **user_ignores; /* as given, normalised once the model path is known */
    size_t n_user_ignores;
    int progress;         /* CLI_PROGRESS_* */
    cli_hard_links links; /* opts.hard_link reports here (set by cli_hash_options_finish) */
    int allow_lfs;        /* --allow-lfs-pointers */
    int from_lfs;         /* --from-lfs-pointers */
} cli_hash_options;

void cli_hash_options_init(cli_hash_options *o);
/* Set opts.lfs_pointers from --allow-lfs-pointers / --from-lfs-pointers: pointers are refused
 * unless allowed when `refuse`, else hashed as files. EXIT_OK or EXIT_USAGE (reported). */
int cli_hash_options_lfs(cli_hash_options *o, int refuse);
void cli_hash_options_free(cli_hash_options *o);
/* Handle one hashing option; returns 1 if `opt` was one, 0 if not, -1 on a bad value
 * (already reported). */
int cli_hash_option(cli_hash_options *o, int opt, const char *arg);
/* Normalise the --ignore paths against the model and add them to o->ser. 0 or exit status. */
int cli_hash_options_finish(cli_hash_options *o, const char *model);

/* ---- --incremental (incremental.c): the signer's digest cache for sign and verify --------- */

typedef struct cli_incremental {
    int on;                 /* --incremental */
    int no_cache;           /* --no-cache */
    const char *off_reason; /* on, but the cache turned off: "--no-cache" or "MODELSEAL_NO_CACHE" */
    ms_digest_cache *cache; /* open while on and not turned off */
} cli_incremental;

/* Open the cache of `model` when --incremental is on and the cache is not turned off; a cache
 * that is not used is warned about on stderr. EXIT_OK or an exit status (reported). */
int cli_incremental_open(cli_incremental *inc, const char *model);
/* sign: a previous signature at `sig_path` that does not verify with `key` means nothing is
 * reused (warned about). EXIT_OK or EXIT_ENVIRONMENT (reported). */
int cli_incremental_check_previous(cli_incremental *inc, const char *sig_path, const ms_key *key);
/* Save the cache (a failure is only warned about: the cache is never needed). */
void cli_incremental_save(cli_incremental *inc);
/* The report: "Incremental: N reused, ..." and a line per file not reused; in JSON, an
 * "incremental" object in `parent`. Nothing when --incremental is off. */
void cli_incremental_print(const cli_incremental *inc, FILE *out);
void cli_incremental_json(const cli_incremental *inc, cJSON *parent);
void cli_incremental_free(cli_incremental *inc);

/* ---- progress ----------------------------------------------------------------------------- */

/* --progress=MODE (MODELSEAL_PROGRESS): auto is the bar when stderr is a terminal, else none;
 * plain is a line every MODELSEAL_PROGRESS_INTERVAL seconds (default 10), for CI and pod logs. */
enum {
    CLI_PROGRESS_UNSET = -3, /* no option given: MODELSEAL_PROGRESS, else auto */
    CLI_PROGRESS_AUTO = -1,
    CLI_PROGRESS_NONE = 0,
    CLI_PROGRESS_BAR = 1,
    CLI_PROGRESS_PLAIN = 2
};
/* The mode named by `s` (auto, bar, plain, none), or -2. */
int cli_progress_parse(const char *s);

typedef struct cli_progress {
    int mode;       /* CLI_PROGRESS_BAR, _PLAIN or _NONE once started */
    double started; /* monotonic seconds */
    double last;    /* when the last plain line was printed */
    double interval;
    int drawn;
    const char *label;
    uint64_t done, total; /* as last reported */
} cli_progress;

void cli_progress_start(cli_progress *p, int mode, const char *label);
/* ms_hash_progress_fn: records the count, draws the bar or prints a plain line on stderr. */
void cli_progress_update(void *ctx, uint64_t done, uint64_t total);
/* Erase the bar. */
void cli_progress_end(cli_progress *p);
/* The one summary line a long command ends with on stderr, unless -q: "DONE N files, SIZE in
 * TIME (RATE/s)". */
#define CLI_FILES_UNKNOWN UINT64_MAX /* leaves the count out */
void cli_progress_summary(const cli_progress *p, const char *done, uint64_t files);
/* How many files a manifest covers (a file's shards count once, empty files too). */
uint64_t cli_manifest_files(const ms_manifest *m);

/* ---- output helpers ----------------------------------------------------------------------- */

/* Print a cJSON value to stdout (pretty) with a newline and free it. EXIT_OK or EXIT_ENVIRONMENT.
 */
int cli_print_json(cJSON *json);
/* "sha256:<hex>" into out (at least 72 bytes). */
void cli_format_root(const uint8_t digest[MS_SHA256_SIZE], char *out);

/* The shared vocabulary of --json (modelseal-json(7), doc/schemas/common.schema.json). */
/* "model": {"name","digest","path"}, each null when not known (root: the 32-byte root digest or
 * NULL). NULL when out of memory. */
cJSON *cli_model_json(const char *name, const uint8_t *root, const char *path);
/* "signer": {"kind","hint","identity","subject","issuer","signing_time"}, kind one of key,
 * certificate, sigstore; an empty or NULL string and a 0 time are null. NULL when out of memory. */
cJSON *cli_signer_json(const char *kind, const char *hint, const char *identity,
                       const char *subject, const char *issuer, int64_t signing_time);
cJSON *cli_signer_info_json(const ms_signer_info *s);
/* A report's "changed", "missing" and "extra" arrays (verify, verify --policy). */
void cli_diff_json(cJSON *o, const ms_manifest_diff *d);
/* A report's "error" (null on success; cli_error_json's object) and "exit_status" members. */
void cli_outcome_json(cJSON *o, int rc, const ms_error *err);
/* The OIDC issuer of the chain's leaf from Fulcio's extensions, the DER-string one (v2), then
 * the raw one (v1); NULL when it has neither (a certificate with one is a Sigstore signer's).
 * Allocated. */
char *cli_leaf_oidc_issuer(const ms_x509_chain *chain);
/* The "error" object, as the error document has it: {"exit","code","message","path"}. code is
 * cli_error_code's; NULL when out of memory. */
cJSON *cli_error_json(int status, const char *code, const char *message);
/* The stable code of an error (modelseal-json(7)): not-verified (exit 1), input (2),
 * out-of-memory, environment (3). */
const char *cli_error_code(int ms_code);

/* ---- commands (one cmd_<name>.c each) ----------------------------------------------------- */
/* hash and digest share one implementation; digest_only prints just the root. */
int cli_hash_command(int argc, char **argv, int digest_only);
int cmd_hash(int argc, char **argv);
int cmd_digest(int argc, char **argv);
extern const cli_help cmd_hash_help;
extern const cli_help cmd_digest_help;
int cmd_keygen(int argc, char **argv);
extern const cli_help cmd_keygen_help;
int cmd_sign(int argc, char **argv);
extern const cli_help cmd_sign_help;
int cmd_verify(int argc, char **argv);
extern const cli_help cmd_verify_help;
int cmd_inspect(int argc, char **argv);
extern const cli_help cmd_inspect_help;
int cmd_dataset(int argc, char **argv);
extern const cli_help cmd_dataset_help;
int cmd_attest(int argc, char **argv);
extern const cli_help cmd_attest_help;
int cmd_lineage(int argc, char **argv);
extern const cli_help cmd_lineage_help;
int cmd_hooks(int argc, char **argv);
extern const cli_help cmd_hooks_help;
int cmd_policy(int argc, char **argv);
extern const cli_help cmd_policy_help;
int cmd_sbom(int argc, char **argv);
extern const cli_help cmd_sbom_help;
int cmd_blob(int argc, char **argv);
extern const cli_help cmd_blob_help;
int cmd_completion(int argc, char **argv);
extern const cli_help cmd_completion_help;
/* verify --policy (verify_policy.c): called by cmd_verify with the same argv. The two modes of
 * verify are the two "subcommands" of its option table. */
enum { CLI_VERIFY_KEYS = 1u << 0, CLI_VERIFY_POLICY = 1u << 1 };
int cli_verify_policy(int argc, char **argv);

/* ---- keyless signing options (sigstore_opts.c) -------------------------------------------- */
/* `--sigstore` and its companions (rows: cli_sigstore_option_table), shared by sign, dataset
 * sign, attest provenance and blob sign. */
typedef struct cli_sigstore_options {
    int enabled; /* --sigstore */
    int staging;
    int no_browser;
    int any_given;              /* a keyless option other than --sigstore was given */
    const char *rekor_v2_entry; /* --rekor-v2-entry KIND */
    const char *identity_token;
    const char *signing_config;
    const char *oidc_client_id;
} cli_sigstore_options;

/* Handle one keyless option; 1 if `opt` was one, 0 if not. */
int cli_sigstore_option(cli_sigstore_options *o, int opt, const char *arg);
/* Usage checks for a signing command: exactly one of --key (have_key) and --sigstore, and the
 * other keyless options only with --sigstore.
 * EXIT_OK or EXIT_USAGE (reported). */
int cli_sigstore_check(const cli_sigstore_options *o, int have_key);
/* Before hashing: the signing config and a token source are there (ms_sigstore_sign_preflight).
 * 0 or a library code with err set. */
int cli_sigstore_preflight(const cli_sigstore_options *o, ms_error *err);
/* Sign an in-toto statement keylessly (ms_sigstore_sign_dsse) with the options, the installed
 * signing config and the MODELSEAL_HTTP_TIMEOUT_MS / MODELSEAL_HTTP_RETRIES /
 * MODELSEAL_OIDC_TIMEOUT_MS environment. Appends the bundle to `out`. */
int cli_sigstore_sign_statement(const cli_sigstore_options *o, const uint8_t *payload, size_t len,
                                ms_buf *out, ms_error *err);
/* The same for an artifact given by its SHA-256 (ms_sigstore_sign_message: a messageSignature
 * bundle logged as hashedrekord). */
int cli_sigstore_sign_message(const cli_sigstore_options *o, const uint8_t sha256[32], ms_buf *out,
                              ms_error *err);
/* The identity (SAN) of a keyless bundle's certificate, new; NULL if none. */
char *cli_sigstore_identity(const ms_buf *bundle);
/* The Sigstore trusted root to verify with: `path`, else the installed trusted_root.json
 * (public-good, or with `staging` the staging instance's), else the source tree's keys/ (tests
 * and uninstalled runs). EXIT_OK, or the failure's exit status after reporting it. */
typedef enum cli_root_need {
    CLI_ROOT_REQUIRED,
    /* No `path` given and the default file does not exist: *out = NULL and EXIT_OK. For
     * verification with a key, which needs a root only for a bundle's log entries and
     * timestamps (the library refuses those without one, saying so). An installed but
     * unreadable or malformed root is still an error. */
    CLI_ROOT_IF_INSTALLED,
} cli_root_need;
int cli_sigstore_root_load(const char *path, int staging, cli_root_need need,
                           ms_trusted_root **out);

/* ---- passphrases (passphrase.c) ----------------------------------------------------------- */
/* Where a secret key's passphrase comes from, in this order: password_file (its first line,
 * without the newline; at most MS_KEY_PASSPHRASE_MAX bytes), the environment variable
 * MODELSEAL_PASSWORD, else a prompt with echo off on the controlling terminal (/dev/tty), asked
 * twice when `confirm` (new keys). No terminal and no other source is MS_EINPUT "a passphrase is
 * needed: ...". */
typedef struct cli_passphrase_source {
    const char *password_file; /* NULL: not given */
    int confirm;               /* 1: prompt twice and require the same answer */
    int pin;                   /* 1: a token's PIN (the prompt says "PIN") */
} cli_passphrase_source;

/* ms_passphrase_fn; ctx is a cli_passphrase_source (NULL: no file, no confirmation). */
int cli_passphrase_callback(void *ctx, char *buf, size_t size, ms_error *err);
/* The passphrase in a new sodium_malloc'd buffer of MS_KEY_PASSPHRASE_MAX + 1 bytes (release it
 * with cli_passphrase_free); NULL after filling err. */
char *cli_passphrase_get(const cli_passphrase_source *src, ms_error *err);
/* Wipe and release a cli_passphrase_get buffer. Accepts NULL. */
void cli_passphrase_free(char *passphrase);
#endif
