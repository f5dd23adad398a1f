/* Unit tests for Sigstore offline verification: RFC 6962 Merkle proofs against trees built
 * here, the signed entry timestamp's canonical JSON, checkpoints (parsing hostile notes, Ed25519
 * signatures made here), trusted roots, RFC 3161 tokens, and whole bundles: the OMS release
 * vectors verify, and each tampered field fails the check that names it. */
#include "config.h"

#include "unit.h"

#include <openssl/sha.h>
#include <sodium.h>

#include "modelseal/bundle.h"
#include "modelseal/sigstore.h"
#include "util/encoding.h"
#include "util/fs.h"
#include "util/json.h"

#include "../../src/lib/sigstore/sigstore_verify_internal.h"

#define IDENTITY "stefanb@us.ibm.com"
#define ISSUER "https://sigstore.verify.ibm.com/oauth2"

static void assert_error(int rc, int code, const ms_error *err, const char *needle)
{
    if (rc != code)
        fail_msg("rc %d, expected %d (%s)", rc, code, err->message);
    unit_assert_contains(err->message, needle);
}

static void read_vector(const char *rel, ms_buf *out)
{
    char path[PATH_MAX];
    ms_error err;
    unit_path(path, unit_vectors_dir(), rel);
    if (msx_file_read(path, MS_BUNDLE_MAX_SIZE, out, &err) != 0)
        fail_msg("%s: %s", path, err.message);
}

static ms_trusted_root *public_good(void)
{
    char path[PATH_MAX];
    ms_trusted_root *root = NULL;
    ms_error err;
    unit_path(path, unit_vectors_dir(), "sigstore/sigstore.trusted_root.json");
    if (ms_trusted_root_load(path, &root, &err) != 0)
        fail_msg("%s", err.message);
    return root;
}

/* ---- Merkle trees, computed here from the RFC 6962 definitions ---- */

static void leaf_of(const uint8_t *d, size_t n, uint8_t out[32])
{
    uint8_t buf[64];
    assert_true(n < sizeof buf);
    buf[0] = 0;
    memcpy(buf + 1, d, n);
    SHA256(buf, n + 1, out);
}

static void node_of(const uint8_t l[32], const uint8_t r[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 1;
    memcpy(buf + 1, l, 32);
    memcpy(buf + 33, r, 32);
    SHA256(buf, sizeof buf, out);
}

/* Largest power of two below n (n > 1). */
static size_t split_of(size_t n)
{
    size_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* MTH(D[lo:hi]) over precomputed leaf hashes. */
static void mth(uint8_t (*leaves)[32], size_t lo, size_t hi, uint8_t out[32])
{
    if (hi - lo == 1) {
        memcpy(out, leaves[lo], 32);
        return;
    }
    size_t k = split_of(hi - lo);
    uint8_t l[32], r[32];
    mth(leaves, lo, lo + k, l);
    mth(leaves, lo + k, hi, r);
    node_of(l, r, out);
}

/* PATH(m, D[lo:hi]) of RFC 6962 section 2.1.1, appended leaf to root. */
static void audit_path(uint8_t (*leaves)[32], size_t m, size_t lo, size_t hi, uint8_t (*path)[32],
                       size_t *n)
{
    if (hi - lo == 1)
        return;
    size_t k = split_of(hi - lo);
    if (m < k) {
        audit_path(leaves, m, lo, lo + k, path, n);
        mth(leaves, lo + k, hi, path[(*n)++]);
    } else {
        audit_path(leaves, m - k, lo + k, hi, path, n);
        mth(leaves, lo, lo + k, path[(*n)++]);
    }
}

/* The certificate-transparency test leaves and the published roots of their prefixes. */
static const char *const ct_leaves[] = {"",
                                        "00",
                                        "10",
                                        "2021",
                                        "3031",
                                        "40414243",
                                        "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

static void load_ct_leaves(uint8_t (*leaves)[32])
{
    for (size_t i = 0; i < 8; i++) {
        uint8_t raw[16];
        size_t n = unit_unhex(ct_leaves[i], raw, sizeof raw);
        leaf_of(raw, n, leaves[i]);
    }
}

static void test_merkle_known_roots(void **state)
{
    (void)state;
    uint8_t leaves[8][32], root[32], h[32];
    ms_merkle_leaf_hash((const uint8_t *)"", 0, h);
    unit_assert_hex(h, 32, ct_roots[0]);
    load_ct_leaves(leaves);
    for (size_t n = 1; n <= 8; n++) {
        mth(leaves, 0, n, root);
        unit_assert_hex(root, 32, ct_roots[n - 1]);
    }
    ms_merkle_node_hash(leaves[0], leaves[1], h);
    unit_assert_hex(h, 32, ct_roots[1]);
}

/* Every leaf of every tree of 1..40 leaves: the proof built here verifies; any change fails. */
static void test_merkle_inclusion_all_sizes(void **state)
{
    (void)state;
    enum { N = 40 };
    uint8_t leaves[N][32], root[32], path[64][32];
    ms_error err;
    for (size_t i = 0; i < N; i++) {
        uint8_t d[4] = {(uint8_t)i, 0xab, (uint8_t)(i * 7), 1};
        leaf_of(d, sizeof d, leaves[i]);
    }
    for (size_t size = 1; size <= N; size++) {
        mth(leaves, 0, size, root);
        for (size_t m = 0; m < size; m++) {
            size_t n = 0;
            audit_path(leaves, m, 0, size, path, &n);
            if (ms_merkle_verify_inclusion(m, size, leaves[m], (const uint8_t(*)[32])path, n, root,
                                           &err) != 0)
                fail_msg("leaf %zu of %zu: %s", m, size, err.message);
            /* the wrong index, leaf or root */
            if (size > 1)
                assert_int_equal(ms_merkle_verify_inclusion((m + 1) % size, size, leaves[m],
                                                            (const uint8_t(*)[32])path, n, root,
                                                            &err),
                                 MS_EVERIFY);
            assert_int_equal(ms_merkle_verify_inclusion(m, size, leaves[(m + 1) % N],
                                                        (const uint8_t(*)[32])path, n, root, &err),
                             MS_EVERIFY);
            if (n > 0) {
                path[n - 1][5] ^= 0x01;
                assert_error(ms_merkle_verify_inclusion(m, size, leaves[m],
                                                        (const uint8_t(*)[32])path, n, root, &err),
                             MS_EVERIFY, &err, "leads to root");
                path[n - 1][5] ^= 0x01;
                /* one hash short */
                assert_error(ms_merkle_verify_inclusion(
                                 m, size, leaves[m], (const uint8_t(*)[32])path, n - 1, root, &err),
                             MS_EVERIFY, &err, "fewer than the tree needs");
            }
            /* one hash too many */
            memcpy(path[n], root, 32);
            assert_error(ms_merkle_verify_inclusion(m, size, leaves[m], (const uint8_t(*)[32])path,
                                                    n + 1, root, &err),
                         MS_EVERIFY, &err, "more than the tree needs");
        }
    }
}

static void test_merkle_refusals(void **state)
{
    (void)state;
    uint8_t leaf[32] = {0}, root[32] = {0}, path[1][32] = {{0}};
    ms_error err;
    assert_error(ms_merkle_verify_inclusion(5, 5, leaf, (const uint8_t(*)[32])path, 1, root, &err),
                 MS_EVERIFY, &err, "not below the tree size");
    assert_error(ms_merkle_verify_inclusion(0, 0, leaf, NULL, 0, root, &err), MS_EVERIFY, &err,
                 "not below the tree size");
    assert_error(ms_merkle_verify_inclusion(0, UINT64_MAX, leaf, (const uint8_t(*)[32])path,
                                            MS_MERKLE_MAX_PROOF + 1, root, &err),
                 MS_EVERIFY, &err, "at most");
    /* a one-leaf tree: the root is the leaf hash, the path empty */
    assert_int_equal(ms_merkle_verify_inclusion(0, 1, leaf, NULL, 0, leaf, &err), 0);
}

/* ---- signed entry timestamps ---- */

static void test_set_payload(void **state)
{
    (void)state;
    ms_buf out = MS_BUF_INIT;
    const uint8_t id[] = {0xc0, 0xd2, 0x3d, 0x6a};
    assert_int_equal(sv_set_payload((const uint8_t *)"abc", 3, 1700000000, id, sizeof id, 42, &out),
                     0);
    assert_string_equal((char *)out.data, "{\"body\":\"YWJj\",\"integratedTime\":1700000000,"
                                          "\"logID\":\"c0d23d6a\",\"logIndex\":42}");
    /* keys in RFC 8785 order, whatever the values */
    assert_int_equal(sv_set_payload((const uint8_t *)"", 0, 0, id, 1, 0, &out), 0);
    assert_string_equal((char *)out.data,
                        "{\"body\":\"\",\"integratedTime\":0,\"logID\":\"c0\",\"logIndex\":0}");
    msx_buf_free(&out);
}

/* ---- trusted roots and times ---- */

static void test_rfc3339(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(ms_rfc3339_parse("1970-01-01T00:00:00Z", &t), 0);
    assert_int_equal(t, 0);
    assert_int_equal(ms_rfc3339_parse("2021-01-12T11:53:27Z", &t), 0);
    assert_int_equal(t, 1610452407);
    assert_int_equal(ms_rfc3339_parse("2022-12-31T23:59:59.999Z", &t), 0);
    assert_int_equal(t, 1672531199);
    assert_int_equal(ms_rfc3339_parse("2024-02-29T01:00:00+01:00", &t), 0);
    assert_int_equal(t, 1709164800);
    assert_int_equal(ms_rfc3339_parse("2024-02-28T23:30:00-00:30", &t), 0);
    assert_int_equal(t, 1709164800);
    const char *bad[] = {"",
                         "2021-01-12",
                         "2021-01-12 11:53:27Z",
                         "2021-02-29T00:00:00Z",
                         "2021-13-01T00:00:00Z",
                         "2021-01-12T24:00:00Z",
                         "2021-01-12T11:53:27",
                         "2021-01-12T11:53:27.Z",
                         "2021-01-12T11:53:27.1234567890Z",
                         "2021-01-12T11:53:27Zjunk",
                         "2021-01-12T11:53:27+0100",
                         "２021-01-12T11:53:27Z"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (ms_rfc3339_parse(bad[i], &t) != MS_EINPUT)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_trusted_root_public_good(void **state)
{
    (void)state;
    ms_trusted_root *root = public_good();
    assert_int_equal(ms_trusted_root_count_tlogs(root), 2);
    assert_int_equal(ms_trusted_root_count_cas(root), 2);
    assert_int_equal(ms_trusted_root_count_ctlogs(root), 2);
    assert_int_equal(ms_trusted_root_count_tsas(root), 1);
    ms_trusted_root_free(root);
    ms_trusted_root_free(NULL);
    assert_int_equal(ms_trusted_root_count_tlogs(NULL), 0);
}

/* Parse the public-good root after `edit` changed it; returns the parser's code. */
static int parse_edited(void (*edit)(cJSON *), ms_error *err)
{
    ms_buf text = MS_BUF_INIT;
    cJSON *doc = NULL;
    ms_trusted_root *root = NULL;
    read_vector("sigstore/sigstore.trusted_root.json", &text);
    assert_int_equal(msx_json_parse(text.data, text.len, 1 << 20, "root", &doc, err), 0);
    edit(doc);
    char *out = cJSON_PrintUnformatted(doc);
    int rc = ms_trusted_root_parse((const uint8_t *)out, strlen(out), "edited", &root, err);
    ms_trusted_root_free(root);
    free(out);
    cJSON_Delete(doc);
    msx_buf_free(&text);
    return rc;
}

static cJSON *tlog0_key(cJSON *doc)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "tlogs"), 0),
                               "publicKey");
}

static void edit_media_type(cJSON *doc)
{
    cJSON_ReplaceItemInObject(doc, "mediaType", cJSON_CreateString("application/json"));
}
static void edit_no_start(cJSON *doc)
{
    cJSON_DeleteItemFromObject(cJSON_GetObjectItem(tlog0_key(doc), "validFor"), "start");
}
static void edit_bad_end(cJSON *doc)
{
    cJSON_AddStringToObject(cJSON_GetObjectItem(tlog0_key(doc), "validFor"), "end", "yesterday");
}
static void edit_null_end(cJSON *doc)
{
    cJSON_AddNullToObject(cJSON_GetObjectItem(tlog0_key(doc), "validFor"), "end");
}
static void edit_end_before_start(cJSON *doc)
{
    cJSON_AddStringToObject(cJSON_GetObjectItem(tlog0_key(doc), "validFor"), "end",
                            "2000-01-01T00:00:00Z");
}
static void edit_bad_key(cJSON *doc)
{
    cJSON_ReplaceItemInObject(tlog0_key(doc), "rawBytes", cJSON_CreateString("AAAA"));
}
static void edit_key_number(cJSON *doc)
{
    cJSON_ReplaceItemInObject(tlog0_key(doc), "rawBytes", cJSON_CreateNumber(7));
}
static void edit_tlogs_object(cJSON *doc)
{
    cJSON_ReplaceItemInObject(doc, "tlogs", cJSON_CreateObject());
}
static void edit_no_tlogs(cJSON *doc)
{
    cJSON_DeleteItemFromObject(doc, "tlogs");
}
static void edit_bad_cert(cJSON *doc)
{
    cJSON *ca = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "certificateAuthorities"), 1);
    cJSON *certs = cJSON_GetObjectItem(cJSON_GetObjectItem(ca, "certChain"), "certificates");
    cJSON_ReplaceItemInObject(cJSON_GetArrayItem(certs, 0), "rawBytes", cJSON_CreateString("MIIB"));
}
static void edit_empty_chain(cJSON *doc)
{
    cJSON *ca = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "certificateAuthorities"), 0);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(ca, "certChain"), "certificates",
                              cJSON_CreateArray());
}
static void edit_many_ctlogs(cJSON *doc)
{
    cJSON *ct = cJSON_GetObjectItem(doc, "ctlogs");
    for (int i = 0; i < MS_TRUSTED_ROOT_MAX_ENTRIES; i++)
        cJSON_AddItemToArray(ct, cJSON_Duplicate(cJSON_GetArrayItem(ct, 0), 1));
}

static void test_trusted_root_refusals(void **state)
{
    (void)state;
    ms_error err;
    ms_trusted_root *root = NULL;
    assert_int_equal(parse_edited(edit_null_end, &err), 0);
    assert_error(parse_edited(edit_media_type, &err), MS_EINPUT, &err, "mediaType");
    assert_error(parse_edited(edit_no_start, &err), MS_EINPUT, &err,
                 "edited: tlogs[0].publicKey.validFor.start: missing");
    assert_error(parse_edited(edit_bad_end, &err), MS_EINPUT, &err, "validFor.end: not an RFC");
    assert_error(parse_edited(edit_end_before_start, &err), MS_EINPUT, &err, "ends before");
    assert_error(parse_edited(edit_bad_key, &err), MS_EINPUT, &err,
                 "tlogs[0].publicKey.rawBytes: not a DER public key");
    assert_error(parse_edited(edit_key_number, &err), MS_EINPUT, &err, "rawBytes: not a string");
    assert_error(parse_edited(edit_tlogs_object, &err), MS_EINPUT, &err, "tlogs: not an array");
    assert_error(parse_edited(edit_no_tlogs, &err), MS_EINPUT, &err, "no tlogs");
    assert_error(parse_edited(edit_bad_cert, &err), MS_EINPUT, &err,
                 "certificateAuthorities[1].certChain.certificates[0].rawBytes");
    assert_error(parse_edited(edit_empty_chain, &err), MS_EINPUT, &err, "0 certificates");
    assert_error(parse_edited(edit_many_ctlogs, &err), MS_EINPUT, &err, "more than 64");
    const char *junk[] = {"", "[]", "{", "{\"mediaType\":1}", "null"};
    for (size_t i = 0; i < sizeof junk / sizeof *junk; i++) {
        assert_int_equal(
            ms_trusted_root_parse((const uint8_t *)junk[i], strlen(junk[i]), "j", &root, &err),
            MS_EINPUT);
        assert_null(root);
    }
    assert_int_not_equal(ms_trusted_root_load("/nonexistent/trusted_root.json", &root, &err), 0);
    unit_assert_contains(err.message, "/nonexistent/trusted_root.json");
}

/* ---- checkpoints ---- */

#define NOTE "log.example/2025\n7\n" /* then the root hash line */

static void test_checkpoint_parse(void **state)
{
    (void)state;
    ms_checkpoint cp;
    ms_error err;
    const char *text = "rekor.sigstore.dev - 1193050959916656506\n84437788\n"
                       "6LgsIBWGEM0QwyPvHIqtMBZOneCWtxe8D3AfxOaezq4=\nextension line\n\n"
                       "\xe2\x80\x94 rekor.sigstore.dev wNI9ajBFAiEA\n"
                       "\xe2\x80\x94 witness.example AAAAAAEC\n";
    assert_int_equal(ms_checkpoint_parse(text, strlen(text), &cp, &err), 0);
    assert_string_equal(cp.origin, "rekor.sigstore.dev - 1193050959916656506");
    assert_int_equal(cp.tree_size, 84437788);
    unit_assert_hex(cp.root_hash, 32,
                    "e8b82c20158610cd10c323ef1c8aad30164e9de096b717bc0f701fc4e69eceae");
    assert_int_equal(cp.text_len, strlen(text) - strlen(strstr(text, "\n\n")) + 1);
    assert_memory_equal(cp.text, text, cp.text_len);
    assert_int_equal(cp.n_signatures, 2);
    assert_string_equal(cp.signatures[0].name, "rekor.sigstore.dev");
    unit_assert_hex(cp.signatures[0].hint, 4, "c0d23d6a");
    assert_int_equal(cp.signatures[0].sig_len, 5);
    assert_string_equal(cp.signatures[1].name, "witness.example");
    assert_int_equal(cp.signatures[1].sig_len, 2);
    ms_checkpoint_clear(&cp);
    ms_checkpoint_clear(&cp);
}

static void test_checkpoint_hostile(void **state)
{
    (void)state;
    ms_checkpoint cp;
    ms_error err;
    const char *root = "6LgsIBWGEM0QwyPvHIqtMBZOneCWtxe8D3AfxOaezq4=\n";
    const char *sig = "\n\xe2\x80\x94 o wNI9ajBFAiEA\n";
    struct {
        const char *origin_size; /* origin and size lines */
        const char *root;        /* NULL: the good root line */
        const char *tail;        /* NULL: the good signature block */
        const char *needle;
    } cases[] = {
        {"", NULL, NULL, "line 2"},
        {"\n7\n", NULL, NULL, "line 1: no origin"},
        {"o\n7\n", NULL, "\xe2\x80\x94 o wNI9ajBFAiEA\n", "no blank line"},
        {"o\n", NULL, NULL, "line 2"},
        {"o\n07\n", NULL, NULL, "line 2: not a tree size"},
        {"o\n-7\n", NULL, NULL, "line 2"},
        {"o\n+7\n", NULL, NULL, "line 2"},
        {"o\n 7\n", NULL, NULL, "line 2"},
        {"o\n18446744073709551616\n", NULL, NULL, "line 2"},
        {"o\n7\n", "AAAA\n", NULL, "line 3"},
        {"o\n7\n", "not base64!\n", NULL, "line 3"},
        {"o\n7\n", "", NULL, "line 3"},
        {"o\n7\n", NULL, "\n", "no signature lines"},
        {"o\n7\n", NULL, "\n- o wNI9ajBFAiEA\n", "must start with"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94 o\n", "no key name"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94  wNI9ajBFAiEA\n", "no key name"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94 o AAAA\n", "not base64 of a key ID"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94 o wNI9ajBFAiEA!\n", "not base64"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94 o wNI9ajBFAiEA", "not terminated"},
        {"o\n7\n", NULL, "\n\xe2\x80\x94 o wNI9ajBFAiEA\n\n", "line"},
    };
    char text[512];
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s%s%s", cases[i].origin_size,
                 cases[i].root ? cases[i].root : root, cases[i].tail ? cases[i].tail : sig);
        int rc = ms_checkpoint_parse(text, strlen(text), &cp, &err);
        if (rc != MS_EINPUT)
            fail_msg("case %zu accepted", i);
        unit_assert_contains(err.message, cases[i].needle);
        assert_null(cp.origin);
        assert_int_equal(cp.n_signatures, 0);
    }
    /* a NUL byte, too many signatures, too large */
    snprintf(text, sizeof text, "o\n7\n%s%s", root, sig);
    assert_error(ms_checkpoint_parse(text, strlen(text) + 1, &cp, &err), MS_EINPUT, &err, "NUL");
    ms_buf many = MS_BUF_INIT;
    msx_buf_printf(&many, "o\n7\n%s\n", root);
    for (int i = 0; i <= MS_CHECKPOINT_MAX_SIGNATURES; i++)
        msx_buf_append_str(&many, "\xe2\x80\x94 o wNI9ajBFAiEA\n");
    assert_error(ms_checkpoint_parse((char *)many.data, many.len, &cp, &err), MS_EINPUT, &err,
                 "more than 64 signatures");
    char *big = calloc(1, MS_CHECKPOINT_MAX_SIZE + 2);
    memset(big, 'a', MS_CHECKPOINT_MAX_SIZE + 1);
    assert_error(ms_checkpoint_parse(big, MS_CHECKPOINT_MAX_SIZE + 1, &cp, &err), MS_EINPUT, &err,
                 "larger than");
    free(big);
    msx_buf_free(&many);
}

/* A trusted root whose only tlog is an Ed25519 log named `name` with public key `pk`. */
static ms_trusted_root *root_with_ed25519_log(const char *name, const uint8_t pk[32],
                                              uint8_t log_id[32])
{
    static const uint8_t spki_prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                          0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    uint8_t spki[44], idin[256];
    ms_buf text = MS_BUF_INIT;
    cJSON *doc = NULL;
    ms_error err;
    ms_trusted_root *root = NULL;
    char url[128];
    size_t n = strlen(name);
    memcpy(spki, spki_prefix, sizeof spki_prefix);
    memcpy(spki + 12, pk, 32);
    memcpy(idin, name, n);
    idin[n] = '\n';
    idin[n + 1] = 0x01;
    memcpy(idin + n + 2, pk, 32);
    SHA256(idin, n + 34, log_id);
    read_vector("sigstore/sigstore.trusted_root.json", &text);
    assert_int_equal(msx_json_parse(text.data, text.len, 1 << 20, "root", &doc, &err), 0);
    cJSON *tlogs = cJSON_CreateArray(), *log = cJSON_CreateObject(), *key = cJSON_CreateObject();
    snprintf(url, sizeof url, "https://%s", name);
    cJSON_AddStringToObject(log, "baseUrl", url);
    char *b64 = msx_base64_encode(spki, sizeof spki);
    cJSON_AddStringToObject(key, "rawBytes", b64);
    free(b64);
    cJSON_AddStringToObject(key, "keyDetails", "PKIX_ED25519");
    cJSON_AddItemToObject(key, "validFor", cJSON_Parse("{\"start\":\"2020-01-01T00:00:00Z\"}"));
    cJSON_AddItemToObject(log, "publicKey", key);
    b64 = msx_base64_encode(log_id, 32);
    cJSON *lid = cJSON_CreateObject();
    cJSON_AddStringToObject(lid, "keyId", b64);
    free(b64);
    cJSON_AddItemToObject(log, "logId", lid);
    cJSON_AddItemToArray(tlogs, log);
    cJSON_ReplaceItemInObject(doc, "tlogs", tlogs);
    char *out = cJSON_PrintUnformatted(doc);
    if (ms_trusted_root_parse((const uint8_t *)out, strlen(out), "test root", &root, &err) != 0)
        fail_msg("%s", err.message);
    free(out);
    cJSON_Delete(doc);
    msx_buf_free(&text);
    return root;
}

/* "— name base64(hint || sig)\n" for `note` signed with `sk`. */
static void sign_line(ms_buf *out, const char *name, const uint8_t hint[4], const char *note,
                      const uint8_t *sk)
{
    uint8_t raw[4 + crypto_sign_BYTES];
    memcpy(raw, hint, 4);
    crypto_sign_detached(raw + 4, NULL, (const uint8_t *)note, strlen(note), sk);
    char *b64 = msx_base64_encode(raw, sizeof raw);
    msx_buf_printf(out, "\xe2\x80\x94 %s %s\n", name, b64);
    free(b64);
}

static void test_checkpoint_verify_ed25519(void **state)
{
    (void)state;
    uint8_t pk[32], sk[64], other_pk[32], other_sk[64], log_id[32], root_hash[32] = {7};
    ms_checkpoint cp;
    ms_error err;
    ms_buf note = MS_BUF_INIT, text = MS_BUF_INIT;
    assert_int_equal(sodium_init() >= 0, 1);
    crypto_sign_keypair(pk, sk);
    crypto_sign_keypair(other_pk, other_sk);
    ms_trusted_root *root = root_with_ed25519_log("log.example", pk, log_id);
    char *b64 = msx_base64_encode(root_hash, 32);
    msx_buf_printf(&note, "log.example\n12\n%s\n", b64);
    free(b64);
    const uint8_t witness_hint[4] = {1, 2, 3, 4};

    /* a witness cosignature first, then the log's own: the log's verifies */
    msx_buf_printf(&text, "%s\n", (char *)note.data);
    sign_line(&text, "witness.example", witness_hint, (char *)note.data, other_sk);
    sign_line(&text, "log.example", log_id, (char *)note.data, sk);
    assert_int_equal(ms_checkpoint_parse((char *)text.data, text.len, &cp, &err), 0);
    assert_int_equal(cp.tree_size, 12);
    assert_int_equal(ms_checkpoint_verify(&cp, root, log_id, 32, &err), 0);
    ms_checkpoint_clear(&cp);

    /* the log's name with another key: no valid signature */
    msx_buf_reset(&text);
    msx_buf_printf(&text, "%s\n", (char *)note.data);
    sign_line(&text, "log.example", log_id, (char *)note.data, other_sk);
    assert_int_equal(ms_checkpoint_parse((char *)text.data, text.len, &cp, &err), 0);
    assert_error(ms_checkpoint_verify(&cp, root, log_id, 32, &err), MS_EVERIFY, &err,
                 "the signature by log.example does not verify");
    ms_checkpoint_clear(&cp);

    /* the right key under another name, or another key ID: no signature by the log */
    msx_buf_reset(&text);
    msx_buf_printf(&text, "%s\n", (char *)note.data);
    sign_line(&text, "log.example.evil", log_id, (char *)note.data, sk);
    sign_line(&text, "log.example", witness_hint, (char *)note.data, sk);
    assert_int_equal(ms_checkpoint_parse((char *)text.data, text.len, &cp, &err), 0);
    assert_error(ms_checkpoint_verify(&cp, root, log_id, 32, &err), MS_EVERIFY, &err,
                 "no signature by log.example");
    ms_checkpoint_clear(&cp);

    /* a changed tree size after signing */
    msx_buf_reset(&text);
    msx_buf_printf(&text, "%s\n", (char *)note.data);
    sign_line(&text, "log.example", log_id, (char *)note.data, sk);
    ((char *)text.data)[strlen("log.example\n1")] = '3';
    assert_int_equal(ms_checkpoint_parse((char *)text.data, text.len, &cp, &err), 0);
    assert_int_equal(cp.tree_size, 13);
    assert_int_equal(ms_checkpoint_verify(&cp, root, log_id, 32, &err), MS_EVERIFY);
    /* a log the root does not know */
    log_id[0] ^= 1;
    assert_int_equal(ms_checkpoint_verify(&cp, root, log_id, 32, &err), MS_EINPUT);
    ms_checkpoint_clear(&cp);

    msx_buf_free(&note);
    msx_buf_free(&text);
    ms_trusted_root_free(root);
}

/* ---- whole bundles ---- */

typedef struct fixture {
    ms_trusted_root *root;
    cJSON *doc; /* the bundle being edited */
} fixture;

static cJSON *load_bundle_json(const char *rel)
{
    ms_buf text = MS_BUF_INIT;
    cJSON *doc = NULL;
    ms_error err;
    read_vector(rel, &text);
    if (msx_json_parse(text.data, text.len, MS_BUNDLE_MAX_SIZE, "bundle", &doc, &err) != 0)
        fail_msg("%s", err.message);
    msx_buf_free(&text);
    return doc;
}

/* Verify the bundle `doc` with `root` for the identity and issuer. */
static int verify_doc(const cJSON *doc, const ms_trusted_root *root, const char *identity,
                      const char *issuer, ms_sigstore_result *res, ms_error *err)
{
    char *text = cJSON_PrintUnformatted(doc);
    ms_bundle *b = NULL;
    int rc = ms_bundle_parse((const uint8_t *)text, strlen(text), &b, err);
    free(text);
    if (rc)
        return rc;
    ms_sigstore_policy policy = {.identity = identity, .issuer = issuer};
    rc = ms_sigstore_verify_bundle(b, root, &policy, res, err);
    ms_bundle_free(b);
    return rc;
}

static cJSON *entry0(cJSON *doc)
{
    return cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "verificationMaterial"), "tlogEntries"), 0);
}

#define V110 "oms/model-transparency-releases/v1.1.0-sigstore/model.sig"

static void test_bundle_release_vectors(void **state)
{
    (void)state;
    const char *dirs[] = {"v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"};
    const int64_t times[] = {1746234602, 1746236086, 1759851228, 1760062340};
    const size_t stamps[] = {1, 1, 1, 2};
    ms_trusted_root *root = public_good();
    for (size_t i = 0; i < 4; i++) {
        char rel[128];
        ms_sigstore_result res;
        ms_error err;
        snprintf(rel, sizeof rel, "oms/model-transparency-releases/%s-sigstore/model.sig", dirs[i]);
        cJSON *doc = load_bundle_json(rel);
        if (verify_doc(doc, root, IDENTITY, ISSUER, &res, &err) != 0)
            fail_msg("%s: %s", dirs[i], err.message);
        assert_int_equal(res.signing_time, times[i]);
        assert_int_equal(res.n_timestamps, stamps[i]);
        assert_int_equal(res.n_tlog_entries, 1);
        assert_string_equal(res.identity, IDENTITY);
        assert_string_equal(res.issuer, ISSUER);
        assert_int_equal(strlen(res.hint), 64);
        ms_sigstore_result_clear(&res);
        cJSON_Delete(doc);
    }
    ms_trusted_root_free(root);
}

static int setup_v110(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->root = public_good();
    f->doc = load_bundle_json(V110);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    cJSON_Delete(f->doc);
    ms_trusted_root_free(f->root);
    free(f);
    return 0;
}

/* Replace the string field `name` of `obj` with `value`. */
static void set_string(cJSON *obj, const char *name, const char *value)
{
    assert_non_null(cJSON_GetObjectItem(obj, name));
    cJSON_ReplaceItemInObject(obj, name, cJSON_CreateString(value));
}

/* Flip one bit at decoded byte `at` (from the end when negative) of a base64 string item. */
static void flip_b64(cJSON *it, long at)
{
    uint8_t *raw = NULL;
    size_t n = 0;
    assert_true(cJSON_IsString(it));
    assert_int_equal(msx_base64_decode(it->valuestring, strlen(it->valuestring), &raw, &n), 0);
    size_t pos = at < 0 ? n - (size_t)-at : (size_t)at;
    assert_true(pos < n);
    raw[pos] ^= 0x01;
    char *b64 = msx_base64_encode(raw, n);
    assert_non_null(cJSON_SetValuestring(it, b64));
    free(b64);
    free(raw);
}

static void expect_failure(fixture *f, int code, const char *needle)
{
    ms_sigstore_result res;
    ms_error err;
    assert_error(verify_doc(f->doc, f->root, IDENTITY, ISSUER, &res, &err), code, &err, needle);
}

static cJSON *material(fixture *f)
{
    return cJSON_GetObjectItem(f->doc, "verificationMaterial");
}

static void test_bundle_identity_and_issuer(void **state)
{
    fixture *f = *state;
    ms_sigstore_result res;
    ms_error err;
    assert_error(verify_doc(f->doc, f->root, "stefanb@us.ibm.co", ISSUER, &res, &err), MS_EVERIFY,
                 &err, "sigstore certificate identity: the certificate is for stefanb@us.ibm.com");
    assert_error(verify_doc(f->doc, f->root, IDENTITY, "https://accounts.google.com", &res, &err),
                 MS_EVERIFY, &err, "sigstore certificate issuer: the OIDC issuer is " ISSUER);
    assert_error(verify_doc(f->doc, f->root, IDENTITY, ISSUER "/", &res, &err), MS_EVERIFY, &err,
                 "certificate issuer");
}

static void test_tamper_inclusion_proof(void **state)
{
    fixture *f = *state;
    cJSON *proof = cJSON_GetObjectItem(entry0(f->doc), "inclusionProof");
    flip_b64(cJSON_GetArrayItem(cJSON_GetObjectItem(proof, "hashes"), 3), 0);
    expect_failure(f, MS_EVERIFY, "sigstore inclusion proof: the audit path leads to root");
}

static void test_tamper_inclusion_index(void **state)
{
    fixture *f = *state;
    cJSON *proof = cJSON_GetObjectItem(entry0(f->doc), "inclusionProof");
    set_string(proof, "logIndex", "476246823");
    expect_failure(f, MS_EVERIFY, "sigstore inclusion proof");
}

static void test_tamper_checkpoint_signature(void **state)
{
    fixture *f = *state;
    cJSON *cp =
        cJSON_GetObjectItem(cJSON_GetObjectItem(entry0(f->doc), "inclusionProof"), "checkpoint");
    const char *env = cJSON_GetObjectItem(cp, "envelope")->valuestring;
    char *copy = strdup(env);
    char *sig = strstr(copy, " wNI9aj") + 7; /* past the key ID, into the signature */
    *sig = *sig == 'A' ? 'B' : 'A';
    set_string(cp, "envelope", copy);
    free(copy);
    expect_failure(f, MS_EVERIFY,
                   "sigstore checkpoint: the signature by rekor.sigstore.dev does not verify");
}

static void test_tamper_checkpoint_root(void **state)
{
    fixture *f = *state;
    cJSON *cp =
        cJSON_GetObjectItem(cJSON_GetObjectItem(entry0(f->doc), "inclusionProof"), "checkpoint");
    const char *env = cJSON_GetObjectItem(cp, "envelope")->valuestring;
    char *copy = strdup(env);
    char *root = strchr(strchr(copy, '\n') + 1, '\n') + 1;
    root[0] = root[0] == 'A' ? 'B' : 'A';
    set_string(cp, "envelope", copy);
    free(copy);
    expect_failure(f, MS_EVERIFY,
                   "sigstore checkpoint: the checkpoint (size 476246825) commits "
                   "to another tree");
}

static void test_tamper_checkpoint_garbage(void **state)
{
    fixture *f = *state;
    cJSON *cp =
        cJSON_GetObjectItem(cJSON_GetObjectItem(entry0(f->doc), "inclusionProof"), "checkpoint");
    set_string(cp, "envelope", "rekor.sigstore.dev\n");
    expect_failure(f, MS_EINPUT, "sigstore checkpoint: no blank line");
}

static void test_tamper_signed_entry_timestamp(void **state)
{
    fixture *f = *state;
    flip_b64(cJSON_GetObjectItem(cJSON_GetObjectItem(entry0(f->doc), "inclusionPromise"),
                                 "signedEntryTimestamp"),
             -3);
    expect_failure(f, MS_EVERIFY,
                   "sigstore signed entry timestamp: the signature by "
                   "rekor.sigstore.dev over the entry");
}

static void test_tamper_integrated_time(void **state)
{
    fixture *f = *state;
    set_string(entry0(f->doc), "integratedTime", "1760062341");
    expect_failure(f, MS_EVERIFY, "sigstore signed entry timestamp");
}

static void test_tamper_log_index(void **state)
{
    fixture *f = *state;
    set_string(entry0(f->doc), "logIndex", "598151087");
    expect_failure(f, MS_EVERIFY, "sigstore signed entry timestamp");
    set_string(entry0(f->doc), "logIndex", "-1");
    expect_failure(f, MS_EINPUT, "logIndex");
}

static void test_tamper_body_of_other_signature(void **state)
{
    fixture *f = *state;
    cJSON *other = load_bundle_json("oms/model-transparency-releases/v1.0.1-sigstore/model.sig");
    const char *body = cJSON_GetObjectItem(entry0(other), "canonicalizedBody")->valuestring;
    set_string(entry0(f->doc), "canonicalizedBody", body);
    expect_failure(f, MS_EVERIFY,
                   "sigstore tlog entry: the logged payload hash is not this "
                   "envelope's");
    cJSON_Delete(other);
}

static void test_tamper_kind(void **state)
{
    fixture *f = *state;
    set_string(cJSON_GetObjectItem(entry0(f->doc), "kindVersion"), "kind", "intoto");
    expect_failure(f, MS_EVERIFY, "sigstore tlog entry: the body is a dsse 0.0.1 entry");
}

static void test_other_certificate(void **state)
{
    fixture *f = *state;
    cJSON *other = load_bundle_json("oms/model-transparency-releases/v1.0.1-sigstore/model.sig");
    cJSON *cert = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(other, "verificationMaterial"), "certificate"),
        "rawBytes");
    set_string(cJSON_GetObjectItem(material(f), "certificate"), "rawBytes", cert->valuestring);
    expect_failure(f, MS_EVERIFY,
                   "sigstore tlog entry: the logged certificate is not this "
                   "bundle's");
    cJSON_Delete(other);
}

static void test_tamper_envelope_signature(void **state)
{
    fixture *f = *state;
    cJSON *sig = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(f->doc, "dsseEnvelope"), "signatures"), 0);
    flip_b64(cJSON_GetObjectItem(sig, "sig"), -2);
    expect_failure(f, MS_EVERIFY,
                   "sigstore tlog entry: the logged signature is not this "
                   "envelope's");
}

static void test_tamper_rfc3161(void **state)
{
    fixture *f = *state;
    cJSON *ts = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(material(f), "timestampVerificationData"),
                            "rfc3161Timestamps"),
        0);
    flip_b64(cJSON_GetObjectItem(ts, "signedTimestamp"), -5);
    expect_failure(f, MS_EVERIFY, "sigstore RFC 3161 timestamp: rfc3161Timestamps[0]");
}

/* Without the signed entry timestamp, the RFC 3161 timestamp alone dates the signature;
 * without both, nothing does. */
static void test_timestamp_sources(void **state)
{
    fixture *f = *state;
    ms_sigstore_result res;
    ms_error err;
    cJSON_DeleteItemFromObject(entry0(f->doc), "inclusionPromise");
    assert_int_equal(verify_doc(f->doc, f->root, IDENTITY, ISSUER, &res, &err), 0);
    assert_int_equal(res.n_timestamps, 1);
    assert_int_equal(res.signing_time, 1760062340);
    ms_sigstore_result_clear(&res);
    cJSON_DeleteItemFromObject(material(f), "timestampVerificationData");
    expect_failure(f, MS_EVERIFY, "sigstore signing time: no verified timestamp");
}

static void test_missing_inclusion_proof(void **state)
{
    fixture *f = *state;
    cJSON_DeleteItemFromObject(entry0(f->doc), "inclusionProof");
    expect_failure(f, MS_EVERIFY, "sigstore inclusion proof: tlogEntries[0] has no inclusion");
}

/* The same bundle against roots that lack what it needs. */
static void edit_no_ctlogs(cJSON *doc)
{
    cJSON_ReplaceItemInObject(doc, "ctlogs", cJSON_CreateArray());
}
static void edit_ca_expired(cJSON *doc)
{
    cJSON *cas = cJSON_GetObjectItem(doc, "certificateAuthorities");
    cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetArrayItem(cas, 1), "validFor"), "end",
                            "2025-01-01T00:00:00Z");
}
static void edit_tlog_expired(cJSON *doc)
{
    cJSON_AddStringToObject(cJSON_GetObjectItem(tlog0_key(doc), "validFor"), "end",
                            "2025-01-01T00:00:00Z");
}
static void edit_key_is_certificate(cJSON *doc)
{
    cJSON *ca = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "certificateAuthorities"), 1);
    cJSON *certs = cJSON_GetObjectItem(cJSON_GetObjectItem(ca, "certChain"), "certificates");
    const char *der = cJSON_GetObjectItem(cJSON_GetArrayItem(certs, 0), "rawBytes")->valuestring;
    cJSON_ReplaceItemInObject(tlog0_key(doc), "rawBytes", cJSON_CreateString(der));
}
static void edit_no_tsa(cJSON *doc)
{
    cJSON_DeleteItemFromObject(doc, "timestampAuthorities");
}

static void expect_with_root(fixture *f, void (*edit)(cJSON *), int code, const char *needle)
{
    ms_buf text = MS_BUF_INIT;
    cJSON *doc = NULL;
    ms_trusted_root *root = NULL;
    ms_sigstore_result res;
    ms_error err;
    read_vector("sigstore/sigstore.trusted_root.json", &text);
    assert_int_equal(msx_json_parse(text.data, text.len, 1 << 20, "root", &doc, &err), 0);
    edit(doc);
    char *out = cJSON_PrintUnformatted(doc);
    assert_int_equal(ms_trusted_root_parse((const uint8_t *)out, strlen(out), "r", &root, &err), 0);
    assert_error(verify_doc(f->doc, root, IDENTITY, ISSUER, &res, &err), code, &err, needle);
    ms_trusted_root_free(root);
    free(out);
    cJSON_Delete(doc);
    msx_buf_free(&text);
}

static void test_roots_lacking(void **state)
{
    fixture *f = *state;
    expect_with_root(f, edit_no_ctlogs, MS_EVERIFY,
                     "sigstore SCT: none of the 1 embedded SCT is from a CT "
                     "log of the trusted root");
    expect_with_root(f, edit_ca_expired, MS_EVERIFY,
                     "sigstore certificate chain: the certificate does not "
                     "chain to a Fulcio CA of the trusted root at "
                     "2025-10-10T02:12:20Z");
    expect_with_root(f, edit_tlog_expired, MS_EVERIFY,
                     "sigstore signed entry timestamp: the key of "
                     "rekor.sigstore.dev was not valid");
    expect_with_root(f, edit_no_tsa, MS_EVERIFY,
                     "sigstore RFC 3161 timestamp: rfc3161Timestamps[0]: the "
                     "trusted root names no timestamp authority");
    /* DER that is no key parses (keys are decoded when used), then fails as malformed input */
    expect_with_root(f, edit_key_is_certificate, MS_EINPUT,
                     "trusted root: tlogs[0].publicKey: not an ECDSA, Ed25519 or RSA key");
    char path[PATH_MAX];
    ms_trusted_root *staging = NULL;
    ms_sigstore_result res;
    ms_error err;
    unit_path(path, unit_vectors_dir(), "sigstore/sigstage.trusted_root.json");
    assert_int_equal(ms_trusted_root_load(path, &staging, &err), 0);
    assert_error(verify_doc(f->doc, staging, IDENTITY, ISSUER, &res, &err), MS_EVERIFY, &err,
                 "sigstore tlog entry: log c0d23d6ad406973f... is not in the trusted root");
    ms_trusted_root_free(staging);
}

static void test_rfc3161_direct(void **state)
{
    fixture *f = *state;
    ms_error err;
    uint8_t *token = NULL, *sig = NULL;
    size_t token_len = 0, sig_len = 0;
    int64_t t = 0;
    const cJSON *ts = cJSON_GetArrayItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(material(f), "timestampVerificationData"),
                            "rfc3161Timestamps"),
        0);
    const cJSON *s = cJSON_GetObjectItem(
        cJSON_GetArrayItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(f->doc, "dsseEnvelope"), "signatures"), 0),
        "sig");
    assert_int_equal(msx_json_base64_field(cJSON_GetObjectItem(ts, "signedTimestamp"), "t", 1 << 20,
                                           0, &token, &token_len, &err),
                     0);
    assert_int_equal(msx_json_base64_field(s, "s", 1 << 20, 0, &sig, &sig_len, &err), 0);
    assert_int_equal(ms_rfc3161_verify(token, token_len, sig, sig_len, f->root, &t, &err), 0);
    assert_int_equal(t, 1760062340);
    assert_error(ms_rfc3161_verify(token, token_len, sig, sig_len - 1, f->root, &t, &err),
                 MS_EVERIFY, &err, "message imprint mismatch");
    assert_error(ms_rfc3161_verify(token, token_len / 2, sig, sig_len, f->root, &t, &err),
                 MS_EINPUT, &err, "not a DER");
    assert_error(ms_rfc3161_verify(sig, sig_len, sig, sig_len, f->root, &t, &err), MS_EINPUT, &err,
                 "not a DER");
    free(token);
    free(sig);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merkle_known_roots),
        cmocka_unit_test(test_merkle_inclusion_all_sizes),
        cmocka_unit_test(test_merkle_refusals),
        cmocka_unit_test(test_set_payload),
        cmocka_unit_test(test_rfc3339),
        cmocka_unit_test(test_trusted_root_public_good),
        cmocka_unit_test(test_trusted_root_refusals),
        cmocka_unit_test(test_checkpoint_parse),
        cmocka_unit_test(test_checkpoint_hostile),
        cmocka_unit_test(test_checkpoint_verify_ed25519),
        cmocka_unit_test(test_bundle_release_vectors),
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup_v110, teardown)
        T(test_bundle_identity_and_issuer),
        T(test_tamper_inclusion_proof),
        T(test_tamper_inclusion_index),
        T(test_tamper_checkpoint_signature),
        T(test_tamper_checkpoint_root),
        T(test_tamper_checkpoint_garbage),
        T(test_tamper_signed_entry_timestamp),
        T(test_tamper_integrated_time),
        T(test_tamper_log_index),
        T(test_tamper_body_of_other_signature),
        T(test_tamper_kind),
        T(test_other_certificate),
        T(test_tamper_envelope_signature),
        T(test_tamper_rfc3161),
        T(test_timestamp_sources),
        T(test_missing_inclusion_proof),
        T(test_roots_lacking),
        T(test_rfc3161_direct),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
