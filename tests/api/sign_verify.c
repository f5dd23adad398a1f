/* The public API as a consumer sees it: only <modelseal/modelseal.h>, built with `pkg-config
 * --cflags --libs modelseal` against an installed copy (tests/api/test_api.sh). Usage:
 * sign_verify MODEL FILE: sign the directory MODEL with a new Ed25519 key, verify it, append to
 * FILE (a file of MODEL) and check that verification now refuses the model. Exit 0 when so. */
#include <modelseal/modelseal.h>
#include <stdio.h>

static int verify(const char *model, const char *bundle, size_t len, const ms_key *key)
{
    const ms_key *keys[1] = {key};
    ms_trust trust = {.keys = keys, .n_keys = 1};
    ms_verify_options opts = {0};
    ms_verify_result res = {0};
    ms_error err = {0};
    int rc = ms_verify_model(model, (const uint8_t *)bundle, len, &trust, &opts, &res, &err);
    printf("verify: %d %s\n", rc, err.message);
    ms_verify_result_clear(&res);
    return rc;
}

int main(int argc, char **argv)
{
    ms_error err = {0};
    ms_key *key = NULL;
    ms_manifest *m = NULL;
    ms_serialization ser;
    ms_manifest_options mo = {0};
    char *bundle = NULL;
    size_t len = 0;
    int ok = 0;
    FILE *f = NULL;
    ms_serialization_init(&ser);
    if (argc != 3 || ms_key_generate(MS_KEY_ED25519, &key, &err) != 0 ||
        ms_manifest_build(argv[1], &ser, &mo, &m, &err) != 0 ||
        ms_sign_manifest(m, key, NULL, 0, &bundle, &len, &err) != 0) {
        fprintf(stderr, "sign: %s\n", err.message);
        goto out;
    }
    printf("signed %s (modelseal %s): %zu files\n", argv[1], ms_version(), m->n_resources);
    if (verify(argv[1], bundle, len, key) != 0 || !(f = fopen(argv[2], "a")) ||
        fputs("tampered", f) == EOF || fclose(f) != 0)
        goto out;
    ok = verify(argv[1], bundle, len, key) == MS_EVERIFY;
out:
    ms_free(bundle);
    ms_manifest_free(m);
    ms_key_free(key);
    ms_serialization_clear(&ser);
    return ok ? 0 : 1;
}
