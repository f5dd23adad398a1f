/* Unit tests for the key module: generation, key files (ours, PKCS#8, SEC1), interoperability
 * with the openssl command, OMS vectors, refusal of damaged keys and bad signatures, PKCS#11 URIs,
 * and what key services (Vault, AWS KMS) answer. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "keys/key_internal.h"
#include "keys/kms_internal.h"
#include "keys/pkcs11_internal.h"
#include "modelseal/key.h"
#include "util/encoding.h"
#include "util/fs.h"

static char tmpdir[64];
static const ms_key_type all_types[] = {MS_KEY_ED25519, MS_KEY_ECDSA_P256, MS_KEY_ECDSA_P384,
                                        MS_KEY_ECDSA_P521};

static const char *vectors(void)
{
    const char *v = getenv("MS_VECTORS");
    return v && *v ? v : "/work/main/tests/vectors";
}

static char *path_in(const char *name)
{
    static char paths[8][512];
    static int next;
    char *p = paths[next++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static char *vector(const char *rel)
{
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "%s/oms/model-transparency-releases/%s", vectors(), rel);
    return p;
}

static int have_openssl(void)
{
    return system("openssl version >/dev/null 2>&1") == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static ms_buf read_file(const char *path)
{
    ms_buf buf = MS_BUF_INIT;
    ms_error err;
    assert_int_equal(msx_file_read(path, 1 << 20, &buf, &err), 0);
    return buf;
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

struct pass_ctx {
    const char *pass;
    int calls;
    int fail;
};

static int get_pass(void *ctx, char *buf, size_t size, ms_error *err)
{
    struct pass_ctx *pc = ctx;
    pc->calls++;
    if (pc->fail)
        return ms_error_set(err, MS_EENV, "no terminal to ask for a passphrase");
    assert_true(size >= MS_KEY_PASSPHRASE_MAX + 1);
    snprintf(buf, size, "%s", pc->pass);
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ms_test_key.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void sign_and_verify(const ms_key *signer, const ms_key *verifier)
{
    static const uint8_t msg[] = "hello, model";
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    ms_error err;
    assert_int_equal(ms_key_sign(signer, msg, sizeof msg - 1, &sig, &sig_len, &err), 0);
    assert_int_equal(ms_key_verify(verifier, msg, sizeof msg - 1, sig, sig_len, &err), 0);
    assert_int_equal(ms_key_verify(verifier, msg, sizeof msg - 2, sig, sig_len, &err), MS_EVERIFY);
    free(sig);
}

static void test_type_names(void **state)
{
    (void)state;
    ms_key_type t;
    assert_string_equal(ms_key_type_name(MS_KEY_ED25519), "ed25519");
    assert_string_equal(ms_key_type_name(MS_KEY_ECDSA_P521), "ecdsa-p521");
    assert_string_equal(ms_key_type_name((ms_key_type)99), "unknown");
    assert_int_equal(ms_key_type_parse("ecdsa-p384", &t), 0);
    assert_int_equal(t, MS_KEY_ECDSA_P384);
    assert_int_equal(ms_key_type_parse("rsa", &t), MS_EINPUT);
    assert_int_equal(ms_key_type_parse("ED25519", &t), MS_EINPUT);

    static const char *details[] = {"PKIX_ED25519", "PKIX_ECDSA_P256_SHA_256",
                                    "PKIX_ECDSA_P384_SHA_384", "PKIX_ECDSA_P521_SHA_512"};
    for (size_t i = 0; i < 4; i++) {
        ms_key *k = NULL;
        ms_error err;
        assert_int_equal(ms_key_generate(all_types[i], &k, &err), 0);
        assert_string_equal(ms_key_details(k), details[i]);
        assert_int_equal(ms_key_get_type(k), all_types[i]);
        assert_true(ms_key_is_secret(k));
        ms_key_free(k);
    }
    ms_key *k = NULL;
    ms_error err;
    assert_int_equal(ms_key_generate((ms_key_type)7, &k, &err), MS_EINPUT);
    ms_key_free(NULL);
}

/* Generate, save (plain and encrypted), reload, compare and sign for every key type. */
static void test_round_trips(void **state)
{
    (void)state;
    for (size_t i = 0; i < 4; i++) {
        ms_key *key = NULL, *loaded = NULL, *pub = NULL;
        ms_error err;
        struct pass_ctx pc = {"correct horse", 0, 0};
        struct stat st;
        const char *plain = path_in("plain.key"), *enc = path_in("enc.key");
        const char *pubp = path_in("key.pub");
        char hint1[65], hint2[65];
        remove(plain);
        remove(enc);

        assert_int_equal(ms_key_generate(all_types[i], &key, &err), 0);
        assert_int_equal(ms_key_save_secret(key, plain, NULL, 0, &err), 0);
        assert_int_equal(stat(plain, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
        ms_buf text = read_file(plain);
        assert_non_null(strstr((char *)text.data, "-----BEGIN MODELSEAL SECRET KEY-----\n"));
        msx_buf_free(&text);

        /* unencrypted: the passphrase callback is never called */
        assert_int_equal(ms_key_load_secret(plain, get_pass, &pc, &loaded, &err), 0);
        assert_int_equal(pc.calls, 0);
        assert_true(ms_key_equal(key, loaded));
        assert_true(ms_key_is_secret(loaded));
        sign_and_verify(loaded, key);
        ms_key_free(loaded);
        loaded = NULL;

        /* no overwrite without force */
        assert_int_equal(ms_key_save_secret(key, plain, NULL, 0, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "exists"));
        assert_int_equal(ms_key_save_secret(key, plain, NULL, 1, &err), 0);

        /* encrypted */
        assert_int_equal(ms_key_save_secret(key, enc, "correct horse", 0, &err), 0);
        assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &loaded, &err), 0);
        assert_int_equal(pc.calls, 1);
        assert_true(ms_key_equal(key, loaded));
        sign_and_verify(loaded, key);
        ms_key_free(loaded);
        loaded = NULL;

        pc.pass = "correct horsf";
        assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &loaded, &err), MS_EINPUT);
        assert_null(loaded);
        assert_non_null(strstr(err.message, "enc.key: wrong passphrase or corrupted key"));
        assert_int_equal(ms_key_load_secret(enc, NULL, NULL, &loaded, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "no passphrase"));
        pc.fail = 1;
        assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &loaded, &err), MS_EENV);
        assert_string_equal(err.message, "no terminal to ask for a passphrase");

        /* public key */
        assert_int_equal(ms_key_save_public(key, pubp, &err), 0);
        assert_int_equal(ms_key_load_public(pubp, &pub, &err), 0);
        assert_false(ms_key_is_secret(pub));
        assert_true(ms_key_equal(key, pub));
        sign_and_verify(key, pub);
        assert_int_equal(ms_key_hint(key, hint1), 0);
        assert_int_equal(ms_key_hint(pub, hint2), 0);
        assert_string_equal(hint1, hint2);
        assert_int_equal(strlen(hint1), 64);
        char *pem = ms_key_public_pem(pub);
        ms_buf file = read_file(pubp);
        assert_string_equal(pem, (char *)file.data);
        msx_buf_free(&file);
        free(pem);

        /* a public key cannot sign or be saved as a secret key */
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        assert_int_equal(ms_key_sign(pub, (const uint8_t *)"x", 1, &sig, &sig_len, &err),
                         MS_EINPUT);
        assert_int_equal(ms_key_save_secret(pub, path_in("pub.key"), NULL, 0, &err), MS_EINPUT);
        assert_int_equal(ms_key_save_secret(key, path_in("empty.key"), "", 0, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "empty passphrase"));

        /* two different keys are not equal */
        ms_key *other = NULL;
        assert_int_equal(ms_key_generate(all_types[i], &other, &err), 0);
        assert_false(ms_key_equal(key, other));
        assert_false(ms_key_equal(key, NULL));
        ms_key_free(other);
        ms_key_free(pub);
        ms_key_free(key);
    }
}

/* Rewrite a modelseal secret key file after changing its decoded record with `edit`. */
static void edit_record(const char *src, const char *dst, void (*edit)(uint8_t *rec, size_t *len))
{
    ms_buf text = read_file(src);
    char *body = strchr((char *)text.data, '\n') + 1;
    char *end = strstr(body, "-----END");
    char b64[8192];
    size_t n = 0;
    for (char *p = body; p < end; p++)
        if (*p != '\n')
            b64[n++] = *p;
    uint8_t *rec = NULL;
    size_t rec_len = 0;
    assert_int_equal(msx_base64_decode(b64, n, &rec, &rec_len), 0);
    edit(rec, &rec_len);
    char *enc = msx_base64_encode(rec, rec_len);
    char out[9000];
    snprintf(out, sizeof out,
             "-----BEGIN MODELSEAL SECRET KEY-----\n%s\n-----END MODELSEAL SECRET KEY-----\n", enc);
    write_file(dst, out, strlen(out));
    free(enc);
    free(rec);
    msx_buf_free(&text);
}

static void edit_none(uint8_t *rec, size_t *len)
{
    (void)rec;
    (void)len;
}

static void edit_memlimit(uint8_t *rec, size_t *len)
{
    (void)len;
    rec[16 + 3] = 0x80; /* memlimit 2^39 bytes */
}

static void edit_version(uint8_t *rec, size_t *len)
{
    (void)len;
    rec[4] = 2;
}

static void edit_type(uint8_t *rec, size_t *len)
{
    (void)len;
    rec[5] = 2;
}

static void edit_truncate(uint8_t *rec, size_t *len)
{
    (void)rec;
    *len -= 1;
}

static void edit_material(uint8_t *rec, size_t *len)
{
    (void)len;
    rec[70] ^= 1;
}

static void test_damaged_files(void **state)
{
    (void)state;
    ms_key *key = NULL, *loaded = NULL;
    ms_error err;
    struct pass_ctx pc = {"pw", 0, 0};
    const char *plain = path_in("d-plain.key"), *enc = path_in("d-enc.key");
    const char *bad = path_in("d-bad.key");
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &key, &err), 0);
    assert_int_equal(ms_key_save_secret(key, plain, NULL, 0, &err), 0);
    assert_int_equal(ms_key_save_secret(key, enc, "pw", 0, &err), 0);

    /* re-encoding an unchanged record still loads (the test helper itself is sound) */
    edit_record(plain, bad, edit_none);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), 0);
    assert_true(ms_key_equal(key, loaded));
    ms_key_free(loaded);
    loaded = NULL;

    edit_record(plain, bad, edit_truncate);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "d-bad.key: corrupted key"));

    edit_record(plain, bad, edit_material);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "d-bad.key: corrupted key (checksum mismatch)"));

    edit_record(plain, bad, edit_type);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "corrupted key"));

    edit_record(enc, bad, edit_material);
    assert_int_equal(ms_key_load_secret(bad, get_pass, &pc, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "wrong passphrase or corrupted key"));

    edit_record(enc, bad, edit_type); /* the header is authenticated */
    assert_int_equal(ms_key_load_secret(bad, get_pass, &pc, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "wrong passphrase or corrupted key"));

    pc.calls = 0;
    edit_record(enc, bad, edit_memlimit);
    assert_int_equal(ms_key_load_secret(bad, get_pass, &pc, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "Argon2id limits out of range"));
    assert_int_equal(pc.calls, 0);

    edit_record(enc, bad, edit_version);
    assert_int_equal(ms_key_load_secret(bad, get_pass, &pc, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "unsupported secret key format version 2"));

    /* text-level damage: a changed base64 character, a missing END line, a short body */
    ms_buf text = read_file(plain);
    char *b = strchr((char *)text.data, '\n') + 10;
    *b = *b == 'A' ? 'B' : 'A';
    write_file(bad, text.data, text.len);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    *b = '*';
    write_file(bad, text.data, text.len);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "invalid base64"));
    msx_buf_free(&text);

    text = read_file(plain);
    write_file(bad, text.data, text.len / 2);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "truncated"));
    msx_buf_free(&text);

    write_file(bad, "hello\n", 6);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "not a secret key"));
    assert_int_equal(ms_key_load_secret(path_in("missing.key"), NULL, NULL, &loaded, &err),
                     MS_EINPUT);

    /* over the size limit */
    char *big = calloc(1, 70000);
    memset(big, 'A', 69999);
    write_file(bad, big, 69999);
    free(big);
    assert_int_equal(ms_key_load_secret(bad, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "limit"));
    assert_null(loaded);
    ms_key_free(key);
}

/* RFC 8032 section 7.1, test 1: a PKCS#8 Ed25519 key built from the seed signs the empty
 * message with the published signature. */
static void test_ed25519_known_answer(void **state)
{
    (void)state;
    static const char pem[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
                              "-----END PRIVATE KEY-----\n";
    static const char want_sig[] = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e0652249"
                                   "01555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e"
                                   "7a100b";
    static const char want_pub[] = "-----BEGIN PUBLIC KEY-----\n"
                                   "MCowBQYDK2VwAyEA11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\n"
                                   "-----END PUBLIC KEY-----\n";
    ms_key *key = NULL;
    ms_error err;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    char hex[129];
    const char *p = path_in("rfc8032.pem");
    write_file(p, pem, strlen(pem));
    assert_int_equal(ms_key_load_secret(p, NULL, NULL, &key, &err), 0);
    assert_int_equal(ms_key_get_type(key), MS_KEY_ED25519);
    assert_int_equal(ms_key_sign(key, (const uint8_t *)"", 0, &sig, &sig_len, &err), 0);
    assert_int_equal(sig_len, 64);
    msx_hex_encode(sig, sig_len, hex);
    assert_string_equal(hex, want_sig);
    char *pub = ms_key_public_pem(key);
    assert_string_equal(pub, want_pub);
    free(pub);
    free(sig);
    ms_key_free(key);
}

/* Keys and signatures as OpenSSL makes and reads them. */
static void test_openssl_interop(void **state)
{
    (void)state;
    if (!have_openssl())
        skip();
    ms_error err;
    static const struct {
        const char *args;
        ms_key_type type;
        const char *pass;
    } gen[] = {
        {"-algorithm ed25519", MS_KEY_ED25519, NULL},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256", MS_KEY_ECDSA_P256, NULL},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-384", MS_KEY_ECDSA_P384, NULL},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-521", MS_KEY_ECDSA_P521, NULL},
        {"-algorithm ed25519 -aes256 -pass pass:x", MS_KEY_ED25519, "x"},
        {"-algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 -pass pass:x", MS_KEY_ECDSA_P256,
         "x"},
    };
    for (size_t i = 0; i < sizeof gen / sizeof gen[0]; i++) {
        const char *kp = path_in("ossl.pem"), *pubp = path_in("ossl.pub");
        ms_key *key = NULL, *pub = NULL;
        struct pass_ctx pc = {gen[i].pass, 0, 0};
        assert_int_equal(run("openssl genpkey %s -out %s 2>/dev/null", gen[i].args, kp), 0);
        assert_int_equal(
            run("openssl pkey -in %s -passin pass:x -pubout -out %s 2>/dev/null", kp, pubp), 0);
        assert_int_equal(ms_key_load_secret(kp, get_pass, &pc, &key, &err), 0);
        assert_int_equal(pc.calls, gen[i].pass ? 1 : 0);
        assert_int_equal(ms_key_get_type(key), gen[i].type);
        assert_int_equal(ms_key_load_public(pubp, &pub, &err), 0);
        assert_true(ms_key_equal(key, pub));
        /* our PEM is byte for byte what openssl writes */
        ms_buf file = read_file(pubp);
        char *pem = ms_key_public_pem(key);
        assert_string_equal(pem, (char *)file.data);
        free(pem);
        msx_buf_free(&file);
        sign_and_verify(key, pub);
        if (gen[i].pass) {
            pc.pass = "y";
            ms_key *bad = NULL;
            assert_int_equal(ms_key_load_secret(kp, get_pass, &pc, &bad, &err), MS_EINPUT);
            assert_non_null(strstr(err.message, "ossl.pem: wrong passphrase or corrupted key"));
            assert_int_equal(ms_key_load_secret(kp, NULL, NULL, &bad, &err), MS_EINPUT);
            assert_non_null(strstr(err.message, "no passphrase"));
        }
        ms_key_free(pub);
        ms_key_free(key);
    }

    /* legacy SEC1 PEM with Proc-Type/DEK-Info encryption */
    {
        const char *kp = path_in("sec1.pem"), *ep = path_in("sec1-enc.pem");
        ms_key *key = NULL;
        struct pass_ctx pc = {"x", 0, 0};
        assert_int_equal(
            run("openssl ecparam -name secp384r1 -genkey -noout -out %s 2>/dev/null", kp), 0);
        assert_int_equal(
            run("openssl ec -in %s -aes256 -passout pass:x -out %s 2>/dev/null", kp, ep), 0);
        ms_buf text = read_file(ep);
        assert_non_null(strstr((char *)text.data, "DEK-Info"));
        msx_buf_free(&text);
        assert_int_equal(ms_key_load_secret(ep, get_pass, &pc, &key, &err), 0);
        assert_int_equal(pc.calls, 1);
        assert_int_equal(ms_key_get_type(key), MS_KEY_ECDSA_P384);
        ms_key_free(key);
        key = NULL;
        pc.pass = "z";
        assert_int_equal(ms_key_load_secret(ep, get_pass, &pc, &key, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "wrong passphrase or corrupted key"));
    }

    /* our keys and signatures, read and checked by openssl */
    for (size_t i = 0; i < 4; i++) {
        const char *pubp = path_in("ours.pub"), *msgp = path_in("msg"), *sigp = path_in("sig");
        static const char *dgst[] = {NULL, "-sha256", "-sha384", "-sha512"};
        static const uint8_t msg[] = "sign me, openssl";
        ms_key *key = NULL;
        uint8_t *sig = NULL;
        size_t sig_len = 0;
        assert_int_equal(ms_key_generate(all_types[i], &key, &err), 0);
        assert_int_equal(ms_key_save_public(key, pubp, &err), 0);
        assert_int_equal(run("openssl pkey -pubin -in %s -noout 2>/dev/null", pubp), 0);
        assert_int_equal(ms_key_sign(key, msg, sizeof msg - 1, &sig, &sig_len, &err), 0);
        write_file(msgp, msg, sizeof msg - 1);
        write_file(sigp, sig, sig_len);
        if (all_types[i] == MS_KEY_ED25519)
            assert_int_equal(run("openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s "
                                 "-sigfile %s >/dev/null 2>&1",
                                 pubp, msgp, sigp),
                             0);
        else
            assert_int_equal(run("openssl dgst %s -verify %s -signature %s %s >/dev/null 2>&1",
                                 dgst[i], pubp, sigp, msgp),
                             0);
        free(sig);
        ms_key_free(key);
    }

    /* RSA keys are refused by name */
    {
        const char *kp = path_in("rsa.pem"), *pubp = path_in("rsa.pub");
        ms_key *key = NULL;
        assert_int_equal(run("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "
                             "%s 2>/dev/null && openssl pkey -in %s -pubout -out %s",
                             kp, kp, pubp),
                         0);
        assert_int_equal(ms_key_load_secret(kp, NULL, NULL, &key, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "RSA keys are not supported"));
        assert_int_equal(ms_key_load_public(pubp, &key, &err), MS_EINPUT);
        assert_non_null(strstr(err.message, "RSA keys are not supported"));
        assert_null(key);
    }
}

/* Decode the first signature and payload of an OMS bundle and build the DSSE PAE. */
static void bundle_pae(const char *path, uint8_t **pae, size_t *pae_len, uint8_t **sig,
                       size_t *sig_len, char hint[65])
{
    ms_buf text = read_file(path);
    cJSON *root = cJSON_Parse((char *)text.data);
    assert_non_null(root);
    cJSON *env = cJSON_GetObjectItemCaseSensitive(root, "dsseEnvelope");
    const char *type = cJSON_GetObjectItemCaseSensitive(env, "payloadType")->valuestring;
    const char *payload64 = cJSON_GetObjectItemCaseSensitive(env, "payload")->valuestring;
    cJSON *s0 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(env, "signatures"), 0);
    const char *sig64 = cJSON_GetObjectItemCaseSensitive(s0, "sig")->valuestring;
    cJSON *pk = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "verificationMaterial"), "publicKey");
    if (hint)
        snprintf(hint, 65, "%s", cJSON_GetObjectItemCaseSensitive(pk, "hint")->valuestring);
    uint8_t *payload = NULL;
    size_t payload_len = 0;
    assert_int_equal(msx_base64_decode(payload64, strlen(payload64), &payload, &payload_len), 0);
    assert_int_equal(msx_base64_decode(sig64, strlen(sig64), sig, sig_len), 0);
    ms_buf out = MS_BUF_INIT;
    assert_int_equal(msx_buf_printf(&out, "DSSEv1 %zu %s %zu ", strlen(type), type, payload_len),
                     0);
    assert_int_equal(msx_buf_append(&out, payload, payload_len), 0);
    *pae_len = out.len;
    *pae = out.data;
    free(payload);
    cJSON_Delete(root);
    msx_buf_free(&text);
}

static void test_oms_vectors(void **state)
{
    (void)state;
    ms_key *pub = NULL, *secret = NULL;
    ms_error err;
    uint8_t *pae = NULL, *sig = NULL;
    size_t pae_len = 0, sig_len = 0;
    char hint[65], want_hint[65];

    /* a text header precedes the PEM block */
    assert_int_equal(ms_key_load_public(vector("keys/certificate/signing-key-pub.pem"), &pub, &err),
                     0);
    assert_int_equal(ms_key_get_type(pub), MS_KEY_ECDSA_P384);
    assert_string_equal(ms_key_details(pub), "PKIX_ECDSA_P384_SHA_384");
    /* SEC1 "EC PRIVATE KEY", also with a text header */
    assert_int_equal(
        ms_key_load_secret(vector("keys/certificate/signing-key.pem"), NULL, NULL, &secret, &err),
        0);
    assert_true(ms_key_equal(pub, secret));

    bundle_pae(vector("v1.1.0-elliptic-key/model.sig"), &pae, &pae_len, &sig, &sig_len, want_hint);
    /* the hint is over the canonical PEM block only, not the file with its text header */
    assert_int_equal(ms_key_hint(pub, hint), 0);
    assert_string_equal(hint, want_hint);
    assert_string_equal(hint, "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e");

    assert_int_equal(ms_key_verify(pub, pae, pae_len, sig, sig_len, &err), 0);

    /* garbage signatures: flipped bit, truncated, empty, random, Ed25519-sized */
    sig[sig_len / 2] ^= 1;
    assert_int_equal(ms_key_verify(pub, pae, pae_len, sig, sig_len, &err), MS_EVERIFY);
    assert_string_equal(err.message, "signature does not verify with key e8450dec4eb99dae");
    sig[sig_len / 2] ^= 1;
    assert_int_equal(ms_key_verify(pub, pae, pae_len, sig, sig_len - 1, &err), MS_EVERIFY);
    assert_int_equal(ms_key_verify(pub, pae, pae_len, sig, 0, &err), MS_EVERIFY);
    assert_int_equal(ms_key_verify(pub, pae, pae_len - 1, sig, sig_len, &err), MS_EVERIFY);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = (uint8_t)(i * 37 + 11);
    junk[0] = 0x30;
    junk[1] = 0x82;
    assert_int_equal(ms_key_verify(pub, pae, pae_len, junk, sizeof junk, &err), MS_EVERIFY);
    assert_int_equal(ms_key_verify(pub, pae, pae_len, junk, 64, &err), MS_EVERIFY);

    /* our signature with the vector key verifies too */
    sign_and_verify(secret, pub);

    ms_key *ed = NULL;
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &ed, &err), 0);
    assert_int_equal(ms_key_verify(ed, pae, pae_len, junk, 64, &err), MS_EVERIFY);
    assert_int_equal(ms_key_verify(ed, pae, pae_len, sig, sig_len, &err), MS_EVERIFY);
    ms_key_free(ed);

    free(pae);
    free(sig);
    ms_key_free(pub);
    ms_key_free(secret);
}

/* An EncryptedPrivateKeyInfo PEM file with this algorithm and 48 bytes of ciphertext: how a
 * hostile key file states its key derivation cost (no derivation runs to make it). */
static void write_pkcs8_with(const char *path, X509_ALGOR *alg)
{
    static const uint8_t junk[48] = {1, 2, 3};
    X509_SIG *sig = X509_SIG_new();
    X509_ALGOR *a = NULL;
    ASN1_OCTET_STRING *data = NULL;
    assert_non_null(alg);
    assert_non_null(sig);
    X509_SIG_getm(sig, &a, &data);
    assert_int_equal(X509_ALGOR_copy(a, alg), 1);
    assert_int_equal(ASN1_OCTET_STRING_set(data, junk, sizeof junk), 1);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(PEM_write_PKCS8(f, sig), 1);
    assert_int_equal(fclose(f), 0);
    X509_SIG_free(sig);
    X509_ALGOR_free(alg);
}

static void test_pkcs8_kdf_cost(void **state)
{
    (void)state;
    if (!have_openssl())
        skip();
    ms_error err;
    ms_key *key = NULL;
    struct pass_ctx pc = {"x", 0, 0};
    const char *plain = path_in("p8.pem"), *enc = path_in("p8-enc.pem");
    char want[1024];
    assert_int_equal(run("openssl genpkey -algorithm ed25519 -out %s 2>/dev/null", plain), 0);

    /* what tools write is read: openssl's defaults (2048 iterations; scrypt N=16384 r=8 p=1),
     * and 600,000 iterations */
    static const char *const accepted[] = {"-v2 aes-256-cbc", "-v2 aes-256-cbc -iter 600000",
                                           "-scrypt"};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        assert_int_equal(
            run("openssl pkcs8 -topk8 -in %s %s -passout pass:x -out %s", plain, accepted[i], enc),
            0);
        pc.calls = 0;
        assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), 0);
        assert_int_equal(pc.calls, 1);
        assert_int_equal(ms_key_get_type(key), MS_KEY_ED25519);
        ms_key_free(key);
        key = NULL;
    }

    /* one iteration over the limit is refused before any passphrase is asked for */
    assert_int_equal(run("openssl pkcs8 -topk8 -in %s -v2 aes-256-cbc -iter 10000001 -passout "
                         "pass:x -out %s",
                         plain, enc),
                     0);
    pc.calls = 0;
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    snprintf(want, sizeof want,
             "%s: encrypted key asks for 10000001 PBKDF2 iterations, more than the limit of "
             "10000000",
             enc);
    assert_string_equal(err.message, want);
    assert_int_equal(pc.calls, 0);
    assert_null(key);

    /* hostile files (stating a cost that would stall for minutes) */
    write_pkcs8_with(
        enc, PKCS5_pbe2_set_iv(EVP_aes_256_cbc(), 2147483647, NULL, 0, NULL, NID_hmacWithSHA256));
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "asks for 2147483647 PBKDF2 iterations"));
    write_pkcs8_with(enc, PKCS5_pbe2_set_scrypt(EVP_aes_256_cbc(), NULL, 0, NULL, 16384, 8, 1024));
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    snprintf(want, sizeof want,
             "%s: encrypted key asks for scrypt N=16384 r=8 p=1024, more work than the limit "
             "(N*r*p at most 8388608)",
             enc);
    assert_string_equal(err.message, want);
    write_pkcs8_with(enc,
                     PKCS5_pbe_set(NID_pbe_WithSHA1And3_Key_TripleDES_CBC, 100000000, NULL, 0));
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "asks for 100000000 PBE iterations"));
    /* behind a block that does not read (OpenSSL skips it and decrypts the next one) */
    static const char bad_block[] =
        "-----BEGIN PRIVATE KEY-----\n!!!!\n-----END PRIVATE KEY-----\n";
    ms_buf hostile = read_file(enc);
    ms_buf both = MS_BUF_INIT;
    assert_int_equal(msx_buf_append(&both, bad_block, strlen(bad_block)), 0);
    assert_int_equal(msx_buf_append(&both, hostile.data, hostile.len), 0);
    write_file(enc, both.data, both.len);
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "asks for 100000000 PBE iterations"));
    /* and a file of many blocks is refused as a whole */
    msx_buf_reset(&both);
    for (int i = 0; i < 17; i++)
        assert_int_equal(msx_buf_append(&both, bad_block, strlen(bad_block)), 0);
    write_file(enc, both.data, both.len);
    assert_int_equal(ms_key_load_secret(enc, get_pass, &pc, &key, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "p8-enc.pem: more than 16 PEM blocks"));
    msx_buf_free(&both);
    msx_buf_free(&hostile);
    assert_int_equal(pc.calls, 0);
    assert_int_equal(ERR_peek_error(), 0);
}

static void test_parse_public(void **state)
{
    (void)state;
    ms_key *key = NULL, *again = NULL;
    ms_error err;
    ms_buf text = read_file(vector("keys/certificate/signing-key-pub.pem"));
    assert_int_equal(ms_key_parse_public(text.data, text.len, &key, &err), 0);

    /* DER SubjectPublicKeyInfo, exact length only */
    char *pem = ms_key_public_pem(key);
    char *b = strchr(pem, '\n') + 1, *e = strstr(pem, "-----END");
    char b64[512];
    size_t n = 0;
    for (char *p = b; p < e; p++)
        if (*p != '\n')
            b64[n++] = *p;
    uint8_t *der = NULL;
    size_t der_len = 0;
    assert_int_equal(msx_base64_decode(b64, n, &der, &der_len), 0);
    assert_int_equal(ms_key_parse_public(der, der_len, &again, &err), 0);
    assert_true(ms_key_equal(key, again));
    ms_key_free(again);
    again = NULL;
    uint8_t *longer = malloc(der_len + 1);
    memcpy(longer, der, der_len);
    longer[der_len] = 0;
    assert_int_equal(ms_key_parse_public(longer, der_len + 1, &again, &err), MS_EINPUT);
    assert_int_equal(ms_key_parse_public(der, der_len - 1, &again, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "public key: not a public key"));
    /* a failed parse leaves nothing in OpenSSL's error queue */
    assert_int_equal(ERR_peek_error(), 0);
    assert_int_equal(ms_key_parse_public((const uint8_t *)"\x30\x03\x02\x01\x01", 5, &again, &err),
                     MS_EINPUT);
    assert_int_equal(ERR_peek_error(), 0);
    free(longer);

    /* an RSA SubjectPublicKeyInfo (the vector root CA's key) is refused by name */
    FILE *f = fopen(vector("keys/certificate/ca-cert.pem"), "r");
    assert_non_null(f);
    X509 *ca = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    assert_non_null(ca);
    unsigned char *rsa = NULL;
    int rsa_len = i2d_PUBKEY(X509_get0_pubkey(ca), &rsa);
    assert_true(rsa_len > 0);
    assert_int_equal(ms_key_parse_public(rsa, (size_t)rsa_len, &again, &err), MS_EINPUT);
    assert_string_equal(err.message, "public key: RSA keys are not supported (ed25519, "
                                     "ecdsa-p256, ecdsa-p384 and ecdsa-p521 are)");
    OPENSSL_free(rsa);
    X509_free(ca);

    /* a certificate or a private key is not a public key */
    ms_buf cert = read_file(vector("keys/certificate/ca-cert.pem"));
    assert_int_equal(ms_key_parse_public(cert.data, cert.len, &again, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "PUBLIC KEY"));
    msx_buf_free(&cert);
    assert_int_equal(ms_key_load_public(vector("keys/certificate/signing-key.pem"), &again, &err),
                     MS_EINPUT);
    assert_non_null(strstr(err.message, "signing-key.pem is a secret key; verifying needs the "
                                        "public key (no readable PUBLIC KEY PEM block)"));
    assert_int_equal(ms_key_parse_public((const uint8_t *)"", 0, &again, &err), MS_EINPUT);
    assert_null(again);

    free(der);
    free(pem);
    msx_buf_free(&text);
    ms_key_free(key);
}

/* ms_key_parse_secret: the bytes of a key file give the key ms_key_load_secret reads from it,
 * encrypted or not, in modelseal's format and as PKCS#8; `what` names it in messages. */
static void test_parse_secret(void **state)
{
    (void)state;
    ms_key *key = NULL, *loaded = NULL;
    ms_error err;
    struct pass_ctx pc = {"correct horse", 0, 0};
    const char *enc = path_in("parse-enc.key");
    remove(enc);
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P256, &key, &err), 0);
    assert_int_equal(ms_key_save_secret(key, enc, "correct horse", 0, &err), 0);
    ms_buf text = read_file(enc);
    assert_int_equal(ms_key_parse_secret(text.data, text.len, "mem", get_pass, &pc, &loaded, &err),
                     0);
    assert_int_equal(pc.calls, 1);
    assert_true(ms_key_equal(key, loaded));
    assert_true(ms_key_is_secret(loaded));
    ms_key_free(loaded);
    loaded = NULL;
    pc.pass = "wrong";
    assert_int_equal(ms_key_parse_secret(text.data, text.len, "mem", get_pass, &pc, &loaded, &err),
                     MS_EINPUT);
    assert_null(loaded);
    assert_non_null(strstr(err.message, "mem: wrong passphrase or corrupted key"));
    msx_buf_free(&text);

    ms_buf pem = read_file(vector("keys/certificate/signing-key.pem"));
    assert_int_equal(ms_key_parse_secret(pem.data, pem.len, NULL, NULL, NULL, &loaded, &err), 0);
    assert_int_equal(ms_key_get_type(loaded), MS_KEY_ECDSA_P384);
    ms_key_free(loaded);
    loaded = NULL;
    assert_int_equal(ms_key_parse_secret(pem.data, 20, NULL, NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "secret key: "));
    msx_buf_free(&pem);
    assert_int_equal(
        ms_key_parse_secret((const uint8_t *)"", 0, "empty", NULL, NULL, &loaded, &err), MS_EINPUT);
    assert_string_equal(err.message, "empty: not a secret key file (no PEM block)");
    static uint8_t big[(64 << 10) + 1];
    assert_int_equal(ms_key_parse_secret(big, sizeof big, "big", NULL, NULL, &loaded, &err),
                     MS_EINPUT);
    assert_null(loaded);
    ms_key_free(key);
}

/* RFC 7512 URIs: what each attribute becomes, and what is refused (never quoting a PIN). */
static void test_pkcs11_uri(void **state)
{
    (void)state;
    ms_error err;
    p11_uri *u = NULL;
    assert_int_equal(p11_uri_parse("pkcs11:token=My%20Token;object=k;id=%01%00%ff;type=private;"
                                   "slot-id=42;x-vendor=1?module-path=/m.so&pin-value=12%2634",
                                   &u, &err),
                     0);
    assert_string_equal(u->token, "My Token");
    assert_string_equal(u->object, "k");
    assert_int_equal(u->id_len, 3);
    assert_memory_equal(u->id, "\x01\x00\xff", 3);
    assert_int_equal(u->type, P11_TYPE_PRIVATE);
    assert_int_equal(u->slot_id, 42);
    assert_string_equal(u->module_path, "/m.so");
    assert_string_equal(u->pin_value, "12&34");
    /* The display form drops pin-value, wherever it sits in the query. */
    assert_string_equal(u->display,
                        "pkcs11:token=My%20Token;object=k;id=%01%00%ff;type=private;slot-id=42;"
                        "x-vendor=1?module-path=/m.so");
    p11_uri_free(u);
    u = NULL;
    assert_int_equal(p11_uri_parse("PKCS11:?pin-value=1&module-name=softhsm2", &u, &err), 0);
    assert_string_equal(u->display, "PKCS11:?module-name=softhsm2");
    p11_uri_free(u);
    u = NULL;
    assert_int_equal(p11_uri_parse("pkcs11:", &u, &err), 0);
    assert_null(u->token);
    p11_uri_free(u);

    static const struct {
        const char *uri, *message;
    } bad[] = {
        {"file:key.pem", "must start with \"pkcs11:\""},
        {"pkcs11:object=%4", "'%' must be followed by two hex digits"},
        {"pkcs11:object=%zz", "'%' must be followed by two hex digits"},
        {"pkcs11:object=a b", "byte 0x20 must be percent-encoded"},
        {"pkcs11:object=%00x", "object contains a NUL byte"},
        {"pkcs11:object=a;object=b", "object is given twice"},
        {"pkcs11:colour=red", "unknown path attribute colour"},
        {"pkcs11:token=a?colour=red", "unknown query attribute colour"},
        {"pkcs11:module-path=/m.so", "module-path belongs in the query"},
        {"pkcs11:?token=a", "token belongs in the path"},
        {"pkcs11:object=a;", "an empty path attribute"},
        {"pkcs11:object=a?", "an empty query after '?'"},
        {"pkcs11:?pin-value=1&&module-name=x", "an empty query attribute"},
        {"pkcs11:type=key", "type must be"},
        {"pkcs11:slot-id=99999999999999999999999", "slot-id must be a decimal number"},
        {"pkcs11:noequals", "without a name=value form"},
        {"pkcs11:?pin-value=pin-7431&pin-source=file:/p", "pin-source and pin-value both given"},
        {"pkcs11:?pin-value=pin-7431&pin-value=pin-7432", "pin-value is given twice"},
        {"pkcs11:?module-name=a&module-path=/b", "module-path and module-name both given"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        u = NULL;
        assert_int_equal(p11_uri_parse(bad[i].uri, &u, &err), MS_EINPUT);
        assert_null(u);
        if (!strstr(err.message, bad[i].message))
            fail_msg("%s: '%s' lacks '%s'", bad[i].uri, err.message, bad[i].message);
        if (strstr(err.message, "pin-743"))
            fail_msg("%s: the message quotes the PIN: '%s'", bad[i].uri, err.message);
    }
    /* Bounds: the whole URI, one value, the id. */
    char *big = malloc(P11_URI_MAX + 64);
    assert_non_null(big);
    strcpy(big, "pkcs11:object=");
    memset(big + 14, 'a', P11_URI_MAX);
    big[14 + P11_URI_MAX] = '\0';
    assert_int_equal(p11_uri_parse(big, &u, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "longer than 4096 characters"));
    big[14 + P11_URI_VALUE_MAX + 1] = '\0';
    assert_int_equal(p11_uri_parse(big, &u, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "object is longer than 1024 bytes"));
    strcpy(big, "pkcs11:id=");
    for (int i = 0; i < P11_URI_ID_MAX + 1; i++)
        strcat(big, "%41");
    assert_int_equal(p11_uri_parse(big, &u, &err), MS_EINPUT);
    assert_non_null(strstr(err.message, "id is longer than 256 bytes"));
    free(big);
    assert_int_equal(ms_key_is_token_uri("pkcs11:x"), 1);
    assert_int_equal(ms_key_is_token_uri("./pkcs11:x"), 0);
}

/* Answers of key services (key_vault.c, key_awskms.c): what is accepted and what is refused,
 * with which code; and the URIs refused before any request. */
static void test_key_services(void **state)
{
    (void)state;
    ms_error err;
    ms_key *p256 = NULL, *p384 = NULL, *ed = NULL, *pub = NULL;
    uint8_t *sig = NULL;
    size_t sig_len = 0;
    unsigned long version = 0;
    char *id = NULL, doc[4096];
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P256, &p256, &err), 0);
    assert_int_equal(ms_key_generate(MS_KEY_ECDSA_P384, &p384, &err), 0);
    assert_int_equal(ms_key_generate(MS_KEY_ED25519, &ed, &err), 0);
    char *ed_b64 = msx_base64_encode(ed->ed_public, 32);
    char *der_b64 = msx_base64_encode(p256->spki, p256->spki_len);
    assert_non_null(ed_b64);
    assert_non_null(der_b64);
#define PARSE_VAULT_KEY(text)                                                                      \
    vault_parse_key((const uint8_t *)(text), strlen(text), "v", &pub, &version, &err)
    /* Vault: an Ed25519 key is its 32 bytes in base64, under the latest version. */
    snprintf(doc, sizeof doc,
             "{\"data\":{\"type\":\"ed25519\",\"latest_version\":2,\"keys\":{\"1\":{\"public_key\":"
             "\"AAAA\"},\"2\":{\"public_key\":\"%s\"}}}}",
             ed_b64);
    assert_int_equal(PARSE_VAULT_KEY(doc), 0);
    assert_int_equal(version, 2);
    assert_true(ms_key_equal(pub, ed));
    ms_key_free(pub);
    pub = NULL;
    /* Another type than the public key's, a key that cannot sign, a fractional version, no
     * public key for the latest version. */
    snprintf(
        doc, sizeof doc,
        "{\"data\":{\"type\":\"ecdsa-p256\",\"latest_version\":1,\"keys\":{\"1\":{\"public_key\":"
        "\"%s\"}}}}",
        ed_b64);
    assert_int_equal(PARSE_VAULT_KEY(doc), MS_EENV);
    assert_null(pub);
    assert_int_equal(PARSE_VAULT_KEY("{\"data\":{\"type\":\"aes256-gcm96\",\"latest_version\":1}}"),
                     MS_EINPUT);
    assert_non_null(strstr(err.message, "a Vault key of type aes256-gcm96 cannot sign here"));
    /* 1.5 is refused, though keys."1" (what 1.5 would truncate to) is a good public key */
    snprintf(doc, sizeof doc,
             "{\"data\":{\"type\":\"ed25519\",\"latest_version\":1.5,\"keys\":{\"1\":{"
             "\"public_key\":\"%s\"}}}}",
             ed_b64);
    assert_int_equal(PARSE_VAULT_KEY(doc), MS_EENV);
    assert_null(pub);
    assert_non_null(strstr(err.message, "data.latest_version is not a version number"));
    assert_int_equal(
        PARSE_VAULT_KEY("{\"data\":{\"type\":\"ed25519\",\"latest_version\":3,\"keys\":{}}}"),
        MS_EENV);
    assert_non_null(strstr(err.message, "no public key for version 3"));
    assert_int_equal(PARSE_VAULT_KEY("{\"data\":{\"type\":\"ed25519\"},\"data\":{}}"), MS_EINPUT);
#undef PARSE_VAULT_KEY
    /* Vault signatures: of the version asked for, of the right size. */
    const char *sig64 = "vault:v3:"
                        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMzQ1"
                        "Njc4OTo7PD0+Pw==";
    snprintf(doc, sizeof doc, "{\"data\":{\"signature\":\"%s\",\"key_version\":3}}", sig64);
    assert_int_equal(vault_parse_signature((const uint8_t *)doc, strlen(doc), "v", MS_KEY_ED25519,
                                           3, &sig, &sig_len, &err),
                     0);
    assert_int_equal(sig_len, 64);
    assert_int_equal(sig[63], 63);
    free(sig);
    sig = NULL;
    assert_int_equal(vault_parse_signature((const uint8_t *)doc, strlen(doc), "v", MS_KEY_ED25519,
                                           2, &sig, &sig_len, &err),
                     MS_EENV);
    assert_non_null(strstr(err.message, "not one by version 2 of the key; refused"));
    snprintf(doc, sizeof doc, "{\"data\":{\"signature\":\"vault:v3:AAEC\"}}");
    assert_int_equal(vault_parse_signature((const uint8_t *)doc, strlen(doc), "v", MS_KEY_ED25519,
                                           3, &sig, &sig_len, &err),
                     MS_EENV);
    assert_null(sig);
    /* AWS KMS: GetPublicKey's spec decides; Sign's answer must name the key and algorithm. */
    const char *arn = "arn:aws:kms:eu-west-1:111122223333:key/k1";
    snprintf(doc, sizeof doc,
             "{\"KeyId\":\"%s\",\"KeySpec\":\"ECC_NIST_P256\",\"KeyUsage\":\"SIGN_VERIFY\","
             "\"SigningAlgorithms\":[\"ECDSA_SHA_256\"],\"PublicKey\":\"%s\"}",
             arn, der_b64);
    assert_int_equal(
        awskms_parse_public_key((const uint8_t *)doc, strlen(doc), "a", NULL, &id, &pub, &err), 0);
    assert_string_equal(id, arn);
    assert_true(ms_key_equal(pub, p256));
    ms_key_free(pub);
    pub = NULL;
    free(id);
    id = NULL;
    snprintf(doc, sizeof doc,
             "{\"KeyId\":\"%s\",\"KeySpec\":\"ECC_NIST_P384\",\"PublicKey\":\"%s\"}", arn, der_b64);
    assert_int_equal(
        awskms_parse_public_key((const uint8_t *)doc, strlen(doc), "a", NULL, &id, &pub, &err),
        MS_EENV);
    assert_null(pub);
    assert_null(id);
    snprintf(doc, sizeof doc,
             "{\"KeyId\":\"%s\",\"KeySpec\":\"ECC_SECG_P256K1\",\"PublicKey\":\"%s\"}", arn,
             der_b64);
    assert_int_equal(
        awskms_parse_public_key((const uint8_t *)doc, strlen(doc), "a", NULL, &id, &pub, &err),
        MS_EINPUT);
    assert_non_null(strstr(err.message, "a key of spec ECC_SECG_P256K1 cannot sign here"));
    snprintf(
        doc, sizeof doc,
        "{\"KeyId\":\"%s\",\"Signature\":\"MAYCAQECAQE=\",\"SigningAlgorithm\":\"ECDSA_SHA_256\"}",
        arn);
    assert_int_equal(awskms_parse_sign((const uint8_t *)doc, strlen(doc), "a", NULL, arn,
                                       "ECDSA_SHA_256", &sig, &sig_len, &err),
                     0);
    assert_int_equal(sig_len, 8);
    free(sig);
    sig = NULL;
    assert_int_equal(awskms_parse_sign((const uint8_t *)doc, strlen(doc), "a", NULL, arn,
                                       "ECDSA_SHA_384", &sig, &sig_len, &err),
                     MS_EENV);
    assert_int_equal(awskms_parse_sign((const uint8_t *)doc, strlen(doc), "a", NULL,
                                       "arn:aws:kms:eu-west-1:111122223333:key/k2", "ECDSA_SHA_256",
                                       &sig, &sig_len, &err),
                     MS_EENV);
    assert_non_null(strstr(err.message, "the answer is for key "
                                        "arn:aws:kms:eu-west-1:111122223333:key/k1, not"));
    assert_null(sig);
    /* A service echoing the request's credential: never in a message, never kept as the ARN. */
    const char *token = "SESSIONTOKEN-s3cr3t";
    snprintf(doc, sizeof doc,
             "{\"KeyId\":\"%s/%s\",\"KeySpec\":\"ECC_NIST_P256\",\"PublicKey\":\"%s\"}", arn, token,
             der_b64);
    assert_int_equal(
        awskms_parse_public_key((const uint8_t *)doc, strlen(doc), "a", token, &id, &pub, &err),
        MS_EENV);
    assert_null(id);
    assert_null(pub);
    assert_null(strstr(err.message, token));
    snprintf(doc, sizeof doc, "{\"KeyId\":\"%s\",\"KeySpec\":\"%s\",\"PublicKey\":\"%s\"}", arn,
             token, der_b64);
    assert_int_equal(
        awskms_parse_public_key((const uint8_t *)doc, strlen(doc), "a", token, &id, &pub, &err),
        MS_EINPUT);
    assert_null(strstr(err.message, token));
    snprintf(doc, sizeof doc, "{\"KeyId\":\"%s\",\"Signature\":\"MAYCAQECAQE=\"}", token);
    assert_int_equal(awskms_parse_sign((const uint8_t *)doc, strlen(doc), "a", token, arn,
                                       "ECDSA_SHA_256", &sig, &sig_len, &err),
                     MS_EENV);
    assert_non_null(strstr(err.message, "the answer is for key"));
    assert_null(strstr(err.message, token));
    assert_null(sig);
    /* URIs refused before any request. */
    assert_int_equal(ms_key_is_token_uri("hashivault://k"), 0);
    unsetenv("VAULT_ADDR");
    assert_int_equal(ms_key_open_signer("hashivault://k", NULL, NULL, &pub, &err), MS_EINPUT);
    assert_string_equal(err.message,
                        "hashivault://k: VAULT_ADDR is not set (the Vault server's URL)");
    assert_int_equal(ms_key_open_signer("hashivault://a b", NULL, NULL, &pub, &err), MS_EINPUT);
    assert_int_equal(ms_key_open_signer("awskms://", NULL, NULL, &pub, &err), MS_EINPUT);
    assert_int_equal(
        ms_key_open_signer("awskms:///arn:aws:kms:eu/x:1:key/k", NULL, NULL, &pub, &err),
        MS_EINPUT);
    assert_non_null(strstr(err.message, "the ARN's region is not a region name"));
    assert_int_equal(ms_key_open_signer("awskms:///key\"id", NULL, NULL, &pub, &err), MS_EINPUT);
    assert_null(pub);
    free(ed_b64);
    free(der_b64);
    ms_key_free(p256);
    ms_key_free(p384);
    ms_key_free(ed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_type_names),      cmocka_unit_test(test_round_trips),
        cmocka_unit_test(test_damaged_files),   cmocka_unit_test(test_ed25519_known_answer),
        cmocka_unit_test(test_openssl_interop), cmocka_unit_test(test_oms_vectors),
        cmocka_unit_test(test_parse_public),    cmocka_unit_test(test_pkcs8_kdf_cost),
        cmocka_unit_test(test_parse_secret),    cmocka_unit_test(test_pkcs11_uri),
        cmocka_unit_test(test_key_services),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
