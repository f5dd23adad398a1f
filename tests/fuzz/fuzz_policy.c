/* libFuzzer target: deployment policies (ms_policy_parse, as `modelseal verify --policy` reads
 * them). The key and certificate files a policy names are looked up in a directory made once
 * per process: keys/release.pub (Ed25519), keys/ci.pub (ECDSA P-256), keys/data.pub and
 * keys/vendor-ca.pem (a self-signed certificate), removed at exit. */
#include "config.h"

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>

#include "modelseal/key.h"
#include "modelseal/policy.h"
#include "util/fs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const key_files[] = {"keys/release.pub", "keys/ci.pub", "keys/data.pub"};
static const char ca_file[] = "keys/vendor-ca.pem";
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBPjCB8aADAgECAhR3Tk61rrbTSkKEKL0DoUIQ69UBJTAFBgMrZXAwFDESMBAG\n"
                             "A1UEAwwJZnV6eiByb290MCAXDTI2MTEyNTE3MzEwMVoYDzIxMjYxMTAxMTczMTAx\n"
                             "WjAUMRIwEAYDVQQDDAlmdXp6IHJvb3QwKjAFBgMrZXADIQCMW0YgLFlenM3jtWpo\n"
                             "D/dyKX+VYzWX5JMMVQ6RmCAmyqNTMFEwHQYDVR0OBBYEFIFm6+PBU3vXokjKQ6Jx\n"
                             "02ZuTxbKMB8GA1UdIwQYMBaAFIFm6+PBU3vXokjKQ6Jx02ZuTxbKMA8GA1UdEwEB\n"
                             "/wQFMAMBAf8wBQYDK2VwA0EA+ntqdsxQd4goa2YG8H7CJba+XSvPdHm3n/zAOQUX\n"
                             "wwvPVebd/4c6EY2JkWUodbzseymNnLBAXvj85Po21rzOBA==\n"
                             "-----END CERTIFICATE-----\n";
static char dir[] = "/tmp/fuzz_policy.XXXXXX";

static void remove_dir(void)
{
    char path[PATH_MAX];
    for (size_t i = 0; i < sizeof key_files / sizeof key_files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, key_files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/%s", dir, ca_file);
    unlink(path);
    snprintf(path, sizeof path, "%s/keys", dir);
    rmdir(path);
    rmdir(dir);
}

static void make_dir(void)
{
    char path[PATH_MAX];
    ms_error err;
    if (!mkdtemp(dir))
        abort();
    atexit(remove_dir);
    snprintf(path, sizeof path, "%s/keys", dir);
    if (mkdir(path, 0700) != 0)
        abort();
    for (size_t i = 0; i < sizeof key_files / sizeof key_files[0]; i++) {
        ms_key *k = NULL;
        snprintf(path, sizeof path, "%s/%s", dir, key_files[i]);
        if (ms_key_generate(i == 1 ? MS_KEY_ECDSA_P256 : MS_KEY_ED25519, &k, &err) != 0 ||
            ms_key_save_public(k, path, &err) != 0)
            abort();
        ms_key_free(k);
    }
    snprintf(path, sizeof path, "%s/%s", dir, ca_file);
    if (msx_file_write_atomic(path, ca_pem, strlen(ca_pem), 0644, 0, &err) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    ms_error err;
    ms_policy *p = NULL;

    if (!ready) {
        make_dir();
        ready = 1;
    }
    if (ms_policy_parse(data, size, "policy.json", dir, &p, &err) == 0) {
        (void)ms_policy_expired(p, 1700000000);
        for (size_t i = 0; i < p->code_refs.n; i++)
            (void)ms_policy_ref_matches(p->code_refs.items[i], "refs/heads/main");
        ms_policy_free(p);
    }
    if (ERR_peek_error() != 0) /* see fuzz_public_key.c */
        abort();
    return 0;
}
