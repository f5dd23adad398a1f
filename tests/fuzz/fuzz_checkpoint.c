/* libFuzzer target: transparency log checkpoints (C2SP signed notes; ms_checkpoint_parse, as
 * the Sigstore verifier reads a tlog entry's inclusionProof.checkpoint.envelope). A checkpoint
 * that parses is verified (ms_checkpoint_verify) against every log of a trusted root: the
 * public-good root of tests/vectors/sigstore (Rekor's ECDSA and Ed25519 logs) with one more
 * Ed25519 log added, "log.fuzz.example", whose key is derived from a fixed seed (bytes 1..32)
 * and whose log ID is the SHA-256 of its SubjectPublicKeyInfo, so that seeds signed with that
 * key (tests/fuzz/make_seeds.sh) reach the successful path. The vectors directory is
 * $MS_VECTORS, else the source tree's. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/err.h>
#include <sodium.h>

#include "modelseal/hash.h"
#include "modelseal/sigstore.h"
#include "util/buf.h"
#include "util/encoding.h"
#include "util/fs.h"

#include "sigstore/sigstore_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ms_trusted_root *root;

static void add_test_log(cJSON *doc)
{
    static const uint8_t prefix[12] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                       0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
    uint8_t seed[32], pk[32], sk[64], spki[44], id[MS_SHA256_SIZE];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i + 1);
    if (sodium_init() < 0 || crypto_sign_seed_keypair(pk, sk, seed) != 0)
        abort();
    memcpy(spki, prefix, sizeof prefix);
    memcpy(spki + sizeof prefix, pk, sizeof pk);
    if (ms_sha256(spki, sizeof spki, id) != 0)
        abort();
    char *key_b64 = msx_base64_encode(spki, sizeof spki),
         *id_b64 = msx_base64_encode(id, sizeof id);
    cJSON *tlogs = cJSON_GetObjectItemCaseSensitive(doc, "tlogs");
    cJSON *log = cJSON_CreateObject(), *pub, *valid, *lid;
    if (!key_b64 || !id_b64 || !cJSON_IsArray(tlogs) || !log ||
        !cJSON_AddStringToObject(log, "baseUrl", "https://log.fuzz.example") ||
        !cJSON_AddStringToObject(log, "hashAlgorithm", "SHA2_256") ||
        !(pub = cJSON_AddObjectToObject(log, "publicKey")) ||
        !cJSON_AddStringToObject(pub, "rawBytes", key_b64) ||
        !cJSON_AddStringToObject(pub, "keyDetails", "PKIX_ED25519") ||
        !(valid = cJSON_AddObjectToObject(pub, "validFor")) ||
        !cJSON_AddStringToObject(valid, "start", "2020-01-01T00:00:00Z") ||
        !(lid = cJSON_AddObjectToObject(log, "logId")) ||
        !cJSON_AddStringToObject(lid, "keyId", id_b64) || !cJSON_AddItemToArray(tlogs, log))
        abort();
    sodium_memzero(sk, sizeof sk);
    free(key_b64);
    free(id_b64);
}

static void load_root(void)
{
    char path[4096];
    const char *vec = getenv("MS_VECTORS");
    ms_buf text = MS_BUF_INIT;
    ms_error err;
    snprintf(path, sizeof path, "%s/sigstore/sigstore.trusted_root.json",
             vec && *vec ? vec : FUZZ_VECTORS);
    if (msx_file_read(path, MS_TRUSTED_ROOT_MAX_SIZE, &text, &err) != 0) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err.message);
        abort();
    }
    cJSON *doc = cJSON_ParseWithLength((const char *)text.data, text.len);
    if (!doc)
        abort();
    add_test_log(doc);
    char *out = cJSON_PrintUnformatted(doc);
    if (!out || ms_trusted_root_parse((const uint8_t *)out, strlen(out), path, &root, &err) != 0) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err.message);
        abort();
    }
    cJSON_free(out);
    cJSON_Delete(doc);
    msx_buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ms_error err;
    ms_checkpoint cp;

    if (!root)
        load_root();
    if (ms_checkpoint_parse((const char *)data, size, &cp, &err) != 0)
        return 0;
    if (cp.text_len >= size || cp.n_signatures == 0)
        abort();
    for (size_t i = 0; i < root->n_tlogs; i++)
        (void)ms_checkpoint_verify(&cp, root, root->tlogs[i].log_id, root->tlogs[i].log_id_len,
                                   &err);
    ms_checkpoint_clear(&cp);
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
