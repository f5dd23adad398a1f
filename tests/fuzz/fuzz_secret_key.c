/* libFuzzer target: secret key files (ms_key_load_secret, as `modelseal sign --key` reads them):
 * modelseal's armoured format, encrypted or not, and PKCS#8 / encrypted PKCS#8 / SEC1 PEM. The
 * input is written to a memfd and read back by path. Argon2id limits are lowered with the
 * library's testing hook so that one input never costs more than a few milliseconds. */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/err.h>

#include "modelseal/key.h"

#include "keys/key_internal.h"

#define FUZZ_PASSPHRASE "fuzz-passphrase"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fixed_passphrase(void *ctx, char *buf, size_t buf_size, ms_error *err)
{
    (void)ctx;
    (void)err;
    snprintf(buf, buf_size, "%s", FUZZ_PASSPHRASE);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    ms_error err;
    ms_key *key = NULL;

    if (fd < 0) {
        fd = memfd_create("fuzz_secret_key", MFD_CLOEXEC);
        if (fd < 0)
            abort();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        /* 2 passes over 1 MiB: enough to reach the decryption, cheap per input. */
        keyfile_set_kdf_limit_for_testing(2, (uint64_t)1 << 20);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    if (ms_key_load_secret(path, fixed_passphrase, NULL, &key, &err) == 0) {
        char *pem = ms_key_public_pem(key);
        free(pem);
        if (!ms_key_is_secret(key))
            abort();
        ms_key_free(key);
    }
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
