/* SLSA provenance: the exact statement for fixed inputs, parsing it back, refusals of bad
 * statements and arguments, RFC 3339 handling, and git facts read with libgit2 from real
 * repositories made with the git command. */
#include "config.h"

#include "unit.h"

#include "modelseal/provenance.h"
#include "modelseal/version.h"

static const char HEX_A[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
static const char HEX_B[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
static const char HEX_C[] = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
static const char HEX_D[] = "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd";
static const char COMMIT[] = "0123456789abcdef0123456789abcdef01234567";

/* A provenance with one dependency of every kind and every optional field set. */
static ms_provenance *fixed_provenance(void)
{
    ms_error err;
    ms_provenance *p = ms_provenance_new();
    uint8_t a[32], b[32], c[32], d[32];
    assert_non_null(p);
    unit_unhex(HEX_A, a, 32);
    unit_unhex(HEX_B, b, 32);
    unit_unhex(HEX_C, c, 32);
    unit_unhex(HEX_D, d, 32);
    memcpy(p->subject_digest, a, 32);
    assert_int_equal(ms_provenance_set_string(&p->subject_name, "my-model", &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->builder_id, "https://ci.example/runner", &err),
                     0);
    const char *params = "{\"epochs\":3,\"lr\":0.5,\"tags\":[\"a\"]}";
    assert_int_equal(
        ms_provenance_set_parameters(p, (const uint8_t *)params, strlen(params), "p.json", &err),
        0);
    assert_int_equal(ms_provenance_add_parameter(p, "seed=42", &err), 0);
    assert_int_equal(ms_provenance_add_parameter(p, "epochs=4", &err), 0); /* replaces */
    assert_int_equal(ms_provenance_add_parameter(p, "expr=a=b", &err), 0); /* first '=' */
    ms_git_info git;
    memset(&git, 0, sizeof git);
    memcpy(git.commit, COMMIT, 41);
    git.url = "https://github.com/org/train.git";
    git.ref = "refs/heads/main";
    assert_int_equal(ms_provenance_add_code(p, &git, &err), 0);
    assert_int_equal(
        ms_provenance_add_dataset(p, "cats", "https://data.example/cats", "1.0", b, c, &err), 0);
    assert_int_equal(ms_provenance_add_dataset(p, "dogs", NULL, NULL, c, d, &err), 0);
    assert_int_equal(ms_provenance_add_base_model(p, "base", d, &err), 0);
    assert_int_equal(ms_provenance_add_package(p, "pkg:pypi/torch@2.5.1", HEX_A, &err), 0);
    assert_int_equal(ms_provenance_add_package(p, "pkg:generic/x?a=b", NULL, &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->invocation_id, "run-7", &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->started_on, "2025-01-31T12:00:00Z", &err), 0);
    assert_int_equal(ms_provenance_set_string(&p->finished_on, "2025-01-31T13:30:00Z", &err), 0);
    return p;
}

static void test_build_exact(void **state)
{
    ms_error err;
    ms_buf payload = MS_BUF_INIT, want = MS_BUF_INIT;
    (void)state;
    ms_provenance *p = fixed_provenance();
    assert_int_equal(t_provenance_build(p, &payload, &err), 0);
    msx_buf_printf(
        &want,
        "{\"_type\":\"https://in-toto.io/Statement/v1\","
        "\"subject\":[{\"name\":\"my-model\",\"digest\":{\"sha256\":\"%s\"}}],"
        "\"predicateType\":\"https://slsa.dev/provenance/v1\","
        "\"predicate\":{\"buildDefinition\":{\"buildType\":\"https://modelseal/training/v1\","
        "\"externalParameters\":{\"epochs\":\"4\",\"lr\":0.5,\"tags\":[\"a\"],\"seed\":\"42\","
        "\"expr\":\"a=b\"},"
        "\"resolvedDependencies\":["
        "{\"name\":\"code\",\"uri\":\"git+https://github.com/org/train.git@refs/heads/main\","
        "\"digest\":{\"gitCommit\":\"%s\"},\"annotations\":{\"role\":\"code\",\"dirty\":false}},"
        "{\"name\":\"cats\",\"uri\":\"https://data.example/cats\",\"digest\":{\"sha256\":\"%s\"},"
        "\"annotations\":{\"role\":\"dataset\",\"version\":\"1.0\",\"manifest_sha256\":\"%s\"}},"
        "{\"name\":\"dogs\",\"digest\":{\"sha256\":\"%s\"},"
        "\"annotations\":{\"role\":\"dataset\",\"version\":null,\"manifest_sha256\":\"%s\"}},"
        "{\"name\":\"base\",\"digest\":{\"sha256\":\"%s\"},\"annotations\":{\"role\":\"base-"
        "model\"}},"
        "{\"uri\":\"pkg:pypi/torch@2.5.1\",\"digest\":{\"sha256\":\"%s\"},"
        "\"annotations\":{\"role\":\"package\"}},"
        "{\"uri\":\"pkg:generic/x?a=b\",\"annotations\":{\"role\":\"package\"}}]},"
        "\"runDetails\":{\"builder\":{\"id\":\"https://ci.example/runner\","
        "\"version\":{\"modelseal\":\"%s\"}},"
        "\"metadata\":{\"invocationId\":\"run-7\",\"startedOn\":\"2025-01-31T12:00:00Z\","
        "\"finishedOn\":\"2025-01-31T13:30:00Z\"}}}}",
        HEX_A, COMMIT, HEX_B, HEX_C, HEX_C, HEX_D, HEX_D, HEX_A, ms_version());
    assert_string_equal((const char *)payload.data, (const char *)want.data);
    ms_provenance_free(p);
    msx_buf_free(&payload);
    msx_buf_free(&want);
}

/* Detached HEAD: no @ref; dirty recorded; no metadata fields when none are set. */
static void test_build_minimal(void **state)
{
    ms_error err;
    ms_buf payload = MS_BUF_INIT, want = MS_BUF_INIT;
    (void)state;
    ms_provenance *p = ms_provenance_new();
    ms_provenance_set_string(&p->subject_name, "m", &err);
    ms_provenance_set_string(&p->builder_id, "b", &err);
    ms_provenance_set_string(&p->build_type, "https://example/bt", &err);
    ms_git_info git;
    memset(&git, 0, sizeof git);
    memcpy(git.commit, COMMIT, 41);
    git.url = "file:///src/repo";
    git.dirty = 1;
    assert_int_equal(ms_provenance_add_code(p, &git, &err), 0);
    assert_int_equal(p->deps[0].dirty, 1);
    assert_int_equal(t_provenance_build(p, &payload, &err), 0);
    msx_buf_printf(&want,
                   "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\","
                   "\"digest\":{\"sha256\":\"%064d\"}}],"
                   "\"predicateType\":\"https://slsa.dev/provenance/v1\","
                   "\"predicate\":{\"buildDefinition\":{\"buildType\":\"https://example/bt\","
                   "\"externalParameters\":{},\"resolvedDependencies\":[{\"name\":\"code\","
                   "\"uri\":\"git+file:///src/repo\",\"digest\":{\"gitCommit\":\"%s\"},"
                   "\"annotations\":{\"role\":\"code\",\"dirty\":true}}]},"
                   "\"runDetails\":{\"builder\":{\"id\":\"b\",\"version\":{\"modelseal\":\"%s\"}},"
                   "\"metadata\":{}}}}",
                   0, COMMIT, ms_version());
    assert_string_equal((const char *)payload.data, (const char *)want.data);

    /* The builder id is required. */
    ms_provenance_set_string(&p->builder_id, NULL, &err);
    assert_int_equal(t_provenance_build(p, &payload, &err), MS_EINPUT);
    unit_assert_contains(err.message, "runDetails.builder.id");
    ms_provenance_free(p);
    msx_buf_free(&payload);
    msx_buf_free(&want);
}

static ms_provenance *parse_text(const char *text, int want_rc, const char *needle)
{
    ms_statement *st = NULL;
    ms_provenance *p = NULL;
    ms_error err;
    assert_int_equal(ms_statement_parse_generic((const uint8_t *)text, strlen(text), &st, &err), 0);
    int rc = ms_provenance_parse(st, &p, &err);
    ms_statement_free(st);
    assert_int_equal(rc, want_rc);
    if (needle)
        unit_assert_contains(err.message, needle);
    return p;
}

static void test_parse_round_trip(void **state)
{
    ms_error err;
    ms_buf payload = MS_BUF_INIT, again = MS_BUF_INIT;
    (void)state;
    ms_provenance *p = fixed_provenance();
    assert_int_equal(t_provenance_build(p, &payload, &err), 0);
    ms_provenance *q = parse_text((const char *)payload.data, 0, NULL);
    assert_string_equal(q->subject_name, "my-model");
    assert_memory_equal(q->subject_digest, p->subject_digest, 32);
    assert_string_equal(q->build_type, MS_PROVENANCE_DEFAULT_BUILD_TYPE);
    assert_string_equal(q->builder_id, "https://ci.example/runner");
    assert_string_equal(q->builder_version, ms_version());
    assert_string_equal(q->invocation_id, "run-7");
    assert_string_equal(q->started_on, "2025-01-31T12:00:00Z");
    assert_string_equal(q->finished_on, "2025-01-31T13:30:00Z");
    assert_string_equal(ms_provenance_parameter_key(q, 0), "epochs");
    assert_string_equal(ms_provenance_parameter_key(q, 3), "seed");
    assert_string_equal(ms_provenance_parameter_key(q, 4), "expr");
    assert_null(ms_provenance_parameter_key(q, 5));
    assert_int_equal(q->n_deps, 6);
    const char *roles[] = {"code", "dataset", "dataset", "base-model", "package", "package"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(q->deps[i].role, roles[i]);
    assert_string_equal(q->deps[0].uri, "git+https://github.com/org/train.git@refs/heads/main");
    assert_string_equal(ms_provenance_dependency_digest(&q->deps[0], "gitCommit"), COMMIT);
    assert_null(ms_provenance_dependency_digest(&q->deps[0], "sha256"));
    assert_int_equal(q->deps[0].dirty, 0);
    assert_string_equal(q->deps[0].annotations_json, "{\"role\":\"code\",\"dirty\":false}");
    assert_null(q->deps[0].manifest_sha256);
    assert_null(q->deps[0].version);
    assert_string_equal(q->deps[1].name, "cats");
    assert_string_equal(ms_provenance_dependency_digest(&q->deps[1], "sha256"), HEX_B);
    assert_string_equal(q->deps[1].manifest_sha256, HEX_C);
    assert_string_equal(q->deps[1].version, "1.0");
    assert_int_equal(q->deps[1].dirty, -1);
    assert_null(q->deps[2].uri);
    assert_null(q->deps[2].version); /* null */
    assert_string_equal(q->deps[2].manifest_sha256, HEX_D);
    assert_string_equal(q->deps[3].annotations_json, "{\"role\":\"base-model\"}");
    /* The builder fills the same fields as the parser. */
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(p->deps[i].annotations_json, q->deps[i].annotations_json);
        assert_int_equal(p->deps[i].dirty, q->deps[i].dirty);
    }
    assert_string_equal(p->deps[1].manifest_sha256, HEX_C);
    assert_string_equal(p->deps[1].version, "1.0");
    char *params = NULL;
    assert_int_equal(ms_provenance_parameters_json(q, &params, &err), 0);
    assert_string_equal(params, "{\"epochs\":\"4\",\"lr\":0.5,\"tags\":[\"a\"],\"seed\":\"42\","
                                "\"expr\":\"a=b\"}");
    ms_free(params);
    assert_string_equal(q->deps[4].uri, "pkg:pypi/torch@2.5.1");
    assert_int_equal(q->deps[5].n_digests, 0);
    /* Rebuilding what was parsed gives the same bytes. */
    assert_int_equal(t_provenance_build(q, &again, &err), 0);
    assert_string_equal((const char *)again.data, (const char *)payload.data);
    ms_provenance_free(p);
    ms_provenance_free(q);
    msx_buf_free(&payload);
    msx_buf_free(&again);
}

#define STMT_HEAD                                                                                  \
    "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"m\",\"digest\":{"     \
    "\"sha256\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}}],"
#define SLSA "\"predicateType\":\"https://slsa.dev/provenance/v1\","

/* The typed annotation fields: a value of another type counts as absent; annotations_json is
 * the object as written (other keys kept). */
static void test_parse_annotation_fields(void **state)
{
    (void)state;
    ms_provenance *p = parse_text(
        STMT_HEAD SLSA "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\","
                       "\"externalParameters\":{\"k\":[1,{\"a\":null}]},"
                       "\"resolvedDependencies\":[{\"uri\":\"u\",\"annotations\":{"
                       "\"dirty\":\"no\",\"version\":2,\"manifest_sha256\":null,\"x\":[true]}},"
                       "{\"uri\":\"v\"}]},"
                       "\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}",
        0, NULL);
    assert_int_equal(p->n_deps, 2);
    assert_int_equal(p->deps[0].dirty, -1);
    assert_null(p->deps[0].version);
    assert_null(p->deps[0].manifest_sha256);
    assert_null(p->deps[0].role);
    assert_string_equal(p->deps[0].annotations_json,
                        "{\"dirty\":\"no\",\"version\":2,\"manifest_sha256\":null,\"x\":[true]}");
    assert_null(p->deps[1].annotations_json);
    assert_int_equal(p->deps[1].dirty, -1);
    char *params = NULL;
    ms_error err;
    assert_int_equal(ms_provenance_parameters_json(p, &params, &err), 0);
    assert_string_equal(params, "{\"k\":[1,{\"a\":null}]}");
    ms_free(params);
    ms_provenance_free(p);

    /* A new provenance has empty parameters; add_parameter shows in the text. */
    p = ms_provenance_new();
    assert_int_equal(ms_provenance_parameters_json(p, &params, &err), 0);
    assert_string_equal(params, "{}");
    ms_free(params);
    assert_int_equal(ms_provenance_add_parameter(p, "a=1", &err), 0);
    assert_int_equal(ms_provenance_parameters_json(p, &params, &err), 0);
    assert_string_equal(params, "{\"a\":\"1\"}");
    ms_free(params);
    ms_provenance_free(p);
}

static void test_parse_refusals(void **state)
{
    (void)state;
    /* The smallest valid one. */
    ms_provenance *p =
        parse_text(STMT_HEAD SLSA "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\","
                                  "\"externalParameters\":{}},\"runDetails\":{\"builder\":{"
                                  "\"id\":\"b\"}}}}",
                   0, NULL);
    assert_int_equal(p->n_deps, 0);
    assert_null(p->builder_version);
    assert_null(p->started_on);
    ms_provenance_free(p);

    parse_text(STMT_HEAD "\"predicateType\":\"https://model_signing/signature/v1.0\","
                         "\"predicate\":{}}",
               MS_EINPUT, "predicateType");
    parse_text(STMT_HEAD SLSA "\"predicate\":{\"runDetails\":{}}}", MS_EINPUT,
               "predicate.buildDefinition: missing");
    parse_text(STMT_HEAD SLSA "\"predicate\":{\"buildDefinition\":{\"buildType\":1}}}", MS_EINPUT,
               "buildType");
    parse_text(STMT_HEAD SLSA "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\","
                              "\"externalParameters\":[]}}}",
               MS_EINPUT, "externalParameters");
    parse_text(STMT_HEAD SLSA "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\","
                              "\"externalParameters\":{}},\"runDetails\":{\"builder\":{}}}}",
               MS_EINPUT, "predicate.runDetails.builder.id");
    parse_text(STMT_HEAD SLSA
               "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\",\"externalParameters\":{},"
               "\"resolvedDependencies\":[{\"uri\":\"u\"},{\"digest\":{\"sha256\":5}}]},"
               "\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}",
               MS_EINPUT, "resolvedDependencies[1].digest.sha256: not a string");
    parse_text(STMT_HEAD SLSA
               "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\",\"externalParameters\":{},"
               "\"resolvedDependencies\":[{\"uri\":\"u\",\"annotations\":{\"role\":[]}}]},"
               "\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}",
               MS_EINPUT, "resolvedDependencies[0].annotations.role: not a string");
    parse_text(STMT_HEAD SLSA
               "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\",\"externalParameters\":{},"
               "\"resolvedDependencies\":[{\"annotations\":{}}]},"
               "\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}",
               MS_EINPUT, "has none of name, uri, digest");
    parse_text(STMT_HEAD SLSA
               "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\",\"externalParameters\":{},"
               "\"resolvedDependencies\":{}},\"runDetails\":{\"builder\":{\"id\":\"b\"}}}}",
               MS_EINPUT, "resolvedDependencies: not an array");
    parse_text(STMT_HEAD SLSA
               "\"predicate\":{\"buildDefinition\":{\"buildType\":\"t\",\"externalParameters\":{}},"
               "\"runDetails\":{\"builder\":{\"id\":\"b\"},\"metadata\":{\"startedOn\":1}}}}",
               MS_EINPUT, "predicate.runDetails.metadata.startedOn: not a string");
}

static void test_arguments(void **state)
{
    ms_error err;
    char *uri = NULL, *hex = NULL;
    (void)state;
    ms_provenance *p = ms_provenance_new();
    assert_int_equal(ms_provenance_set_parameters(p, (const uint8_t *)"[1]", 3, "p.json", &err),
                     MS_EINPUT);
    assert_string_equal(err.message, "p.json: not a JSON object");
    assert_int_equal(ms_provenance_set_parameters(p, (const uint8_t *)"{\"a\":", 5, "p.json", &err),
                     MS_EINPUT);
    unit_assert_contains(err.message, "p.json");
    assert_int_equal(
        ms_provenance_set_parameters(p, (const uint8_t *)"{\"a\":1,\"a\":2}", 13, "p.json", &err),
        MS_EINPUT);
    assert_int_equal(ms_provenance_add_parameter(p, "novalue", &err), MS_EINPUT);
    unit_assert_contains(err.message, "--param novalue");
    assert_int_equal(ms_provenance_add_parameter(p, "=v", &err), MS_EINPUT);
    assert_int_equal(ms_provenance_add_parameter(p, "k=", &err), 0);

    /* --dependency splits at the last "=sha256:". */
    char arg[256];
    snprintf(arg, sizeof arg, "pkg:generic/a?x=sha256:1=sha256:%s", HEX_B);
    assert_int_equal(ms_provenance_split_dependency(arg, &uri, &hex, &err), 0);
    assert_string_equal(uri, "pkg:generic/a?x=sha256:1");
    assert_string_equal(hex, HEX_B);
    free(uri);
    free(hex);
    assert_int_equal(ms_provenance_split_dependency("pkg:pypi/x@1?a=b", &uri, &hex, &err), 0);
    assert_string_equal(uri, "pkg:pypi/x@1?a=b");
    assert_null(hex);
    free(uri);
    assert_int_equal(ms_provenance_split_dependency("pkg:x=sha256:abc", &uri, &hex, &err),
                     MS_EINPUT);
    unit_assert_contains(err.message, "not 64 hex");
    snprintf(arg, sizeof arg, "=sha256:%s", HEX_B);
    assert_int_equal(ms_provenance_split_dependency(arg, &uri, &hex, &err), MS_EINPUT);
    unit_assert_contains(err.message, "empty URI");
    assert_int_equal(ms_provenance_add_package(p, "pkg:x", "zz", &err), MS_EINPUT);
    assert_int_equal(p->n_deps, 0);
    ms_provenance_free(p);
}

static void test_rfc3339(void **state)
{
    char out[64];
    ms_error err;
    (void)state;
    assert_int_equal(ms_provenance_rfc3339_utc("2025-01-31T12:00:00Z", "--started-on", out, &err),
                     0);
    assert_string_equal(out, "2025-01-31T12:00:00Z");
    assert_int_equal(ms_provenance_rfc3339_utc("2025-01-01T00:30:00.250+01:00", "f", out, &err), 0);
    assert_string_equal(out, "2024-12-31T23:30:00.250Z");
    assert_int_equal(ms_provenance_rfc3339_utc("2024-02-29t23:00:00-02:00", "f", out, &err), 0);
    assert_string_equal(out, "2024-03-01T01:00:00Z");
    const char *bad[] = {"2025-01-31",
                         "2025-01-31 12:00:00Z",
                         "2025-13-01T00:00:00Z",
                         "2025-02-29T00:00:00Z",
                         "2025-01-31T12:00:00",
                         "2025-01-31T24:00:00Z",
                         "2025-01-31T12:00:00.Z",
                         "2025-01-31T12:00:00Zx",
                         "yesterday"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ms_provenance_rfc3339_utc(bad[i], "--finished-on", out, &err), MS_EINPUT);
        unit_assert_contains(err.message, "--finished-on");
        unit_assert_contains(err.message, bad[i]);
    }
    ms_provenance_now(out);
    assert_int_equal(strlen(out), 20);
    assert_int_equal(out[19], 'Z');
}

/* ---- git ---------------------------------------------------------------------------------- */

/* Run a shell command in `dir`; fail the test on a non-zero status. */
static void sh(const char *dir, const char *cmd)
{
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full,
             "cd '%s' && export GIT_CONFIG_NOSYSTEM=1 HOME='%s' && (%s) >/dev/null 2>&1", dir, dir,
             cmd);
    if (system(full) != 0)
        fail_msg("command failed in %s: %s", dir, cmd);
}

/* The first line of a shell command's output. */
static void sh_out(const char *dir, const char *cmd, char *out, size_t cap)
{
    char full[PATH_MAX * 2];
    snprintf(full, sizeof full, "cd '%s' && HOME='%s' %s", dir, dir, cmd);
    FILE *f = popen(full, "r");
    assert_non_null(f);
    if (!fgets(out, (int)cap, f))
        out[0] = '\0';
    pclose(f);
    out[strcspn(out, "\n")] = '\0';
}

static void load(const char *start, const char *remote, ms_git_info *g)
{
    ms_error err;
    if (ms_git_info_load(start, remote, g, &err) != 0)
        fail_msg("ms_git_info_load(%s): %s", start, err.message);
}

static void test_gitinfo(void **state)
{
    char dir[PATH_MAX], repo[PATH_MAX], real[PATH_MAX], want[PATH_MAX + 16], head[128];
    char sub[PATH_MAX];
    ms_git_info g;
    ms_error err;
    (void)state;
    if (system("git --version >/dev/null 2>&1") != 0)
        skip();
    unit_tmpdir(dir);
    unit_path(repo, dir, "repo");
    unit_mkdirs(repo, "src");
    sh(repo, "git init -q -b main . && git config user.name T && git config user.email t@e"
             " && git config commit.gpgsign false");
    unit_write_str(repo, "src/train.py", "print(1)\n");
    unit_write_str(repo, ".gitignore", "*.log\nbuild/\n");
    sh(repo, "git add -A && git commit -q -m one");
    sh_out(repo, "git rev-parse HEAD", head, sizeof head);
    assert_non_null(realpath(repo, real));

    /* Found from a subdirectory; no remote: file:// URL of the working tree. */
    load(unit_path(sub, repo, "src"), NULL, &g);
    assert_string_equal(g.commit, head);
    assert_string_equal(g.ref, "refs/heads/main");
    assert_string_equal(g.path, real);
    snprintf(want, sizeof want, "file://%s", real);
    assert_string_equal(g.url, want);
    assert_int_equal(g.has_remote, 0);
    assert_int_equal(g.dirty, 0);
    ms_git_info_clear(&g);

    /* Remotes: recorded as configured. */
    sh(repo, "git remote add origin git@github.com:Org/Train.git/ && git remote add up "
             "https://example.com/x");
    load(repo, NULL, &g);
    assert_string_equal(g.url, "git@github.com:Org/Train.git/");
    assert_int_equal(g.has_remote, 1);
    ms_git_info_clear(&g);
    load(repo, "up", &g);
    assert_string_equal(g.url, "https://example.com/x");
    ms_git_info_clear(&g);
    load(repo, "missing", &g);
    assert_string_equal(g.url, want);
    ms_git_info_clear(&g);
    assert_int_equal(ms_git_info_load(repo, "bad name..", &g, &err), MS_EINPUT);
    unit_assert_contains(err.message, "remote name");

    /* Dirty: a modified tracked file, a staged change, an untracked file. */
    unit_write_str(repo, "src/train.py", "print(2)\n");
    load(repo, NULL, &g);
    assert_int_equal(g.dirty, 1);
    ms_git_info_clear(&g);
    sh(repo, "git add src/train.py");
    load(repo, NULL, &g);
    assert_int_equal(g.dirty, 1);
    ms_git_info_clear(&g);
    sh(repo, "git reset -q --hard");
    load(repo, NULL, &g);
    assert_int_equal(g.dirty, 0);
    ms_git_info_clear(&g);
    unit_write_str(repo, "notes/new.txt", "x");
    load(repo, NULL, &g);
    assert_int_equal(g.dirty, 1);
    ms_git_info_clear(&g);
    sh(repo, "rm -rf notes");
    /* Only ignored files added: clean. */
    unit_write_str(repo, "run.log", "x");
    unit_write_str(repo, "build/out/a.o", "x");
    load(repo, NULL, &g);
    assert_int_equal(g.dirty, 0);
    ms_git_info_clear(&g);

    /* Detached HEAD: no ref. */
    unit_write_str(repo, "src/more.py", "2\n");
    sh(repo, "git add -A && git commit -q -m two && git checkout -q --detach HEAD~1");
    sh_out(repo, "git rev-parse HEAD", head, sizeof head);
    load(repo, NULL, &g);
    assert_string_equal(g.commit, head);
    assert_null(g.ref);
    ms_git_info_clear(&g);
    /* Another branch. */
    sh(repo, "git checkout -q -b feature/x");
    load(repo, NULL, &g);
    assert_string_equal(g.ref, "refs/heads/feature/x");
    ms_git_info_clear(&g);

    /* Not a repository; an empty one. */
    char none[PATH_MAX], empty[PATH_MAX];
    unit_path(none, dir, "plain");
    unit_mkdirs(none, "x");
    assert_int_equal(ms_git_info_load(none, NULL, &g, &err), MS_EINPUT);
    unit_assert_contains(err.message, "not in a git repository");
    unit_assert_contains(err.message, none);
    unit_path(empty, dir, "empty");
    unit_mkdirs(empty, "x");
    sh(empty, "git init -q .");
    assert_int_equal(ms_git_info_load(empty, NULL, &g, &err), MS_EINPUT);
    unit_assert_contains(err.message, "no commit");
    unit_rmtree(dir);
}

int main(void)
{
    /* The repositories live under a temporary directory that must not itself be in a repo. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_exact),      cmocka_unit_test(test_build_minimal),
        cmocka_unit_test(test_parse_round_trip), cmocka_unit_test(test_parse_annotation_fields),
        cmocka_unit_test(test_parse_refusals),   cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_rfc3339),          cmocka_unit_test(test_gitinfo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
