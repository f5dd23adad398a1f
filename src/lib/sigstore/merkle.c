/* Transparency log proofs: RFC 6962 Merkle tree hashes and inclusion proofs (the RFC 9162
 * verification algorithm), and checkpoints, the signed notes (C2SP signed-note and
 * tlog-checkpoint) that commit a log to a tree size and root hash. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "sigstore_internal.h"
#include "util/encoding.h"

/* The signature line prefix: U+2014 EM DASH, then a space. */
#define EM_DASH "\xe2\x80\x94 "

void ms_merkle_leaf_hash(const uint8_t *data, size_t len, uint8_t out[32])
{
    static const uint8_t prefix = 0x00;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    /* Out of memory leaves a hash no proof can match: verification then fails closed. */
    memset(out, 0, 32);
    if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 &&
        EVP_DigestUpdate(c, &prefix, 1) == 1 && EVP_DigestUpdate(c, data, len) == 1)
        EVP_DigestFinal_ex(c, out, NULL);
    EVP_MD_CTX_free(c);
}

void ms_merkle_node_hash(const uint8_t left[32], const uint8_t right[32], uint8_t out[32])
{
    uint8_t buf[65];
    buf[0] = 0x01;
    memcpy(buf + 1, left, 32);
    memcpy(buf + 33, right, 32);
    SHA256(buf, sizeof buf, out);
}

int ms_merkle_verify_inclusion(uint64_t index, uint64_t tree_size, const uint8_t leaf[32],
                               const uint8_t (*proof)[32], size_t n_proof, const uint8_t root[32],
                               ms_error *err)
{
    uint8_t r[32];
    char hex[65];
    if (index >= tree_size)
        return ms_error_set(err, MS_EVERIFY, "leaf index %llu is not below the tree size %llu",
                            (unsigned long long)index, (unsigned long long)tree_size);
    if (n_proof > MS_MERKLE_MAX_PROOF)
        return ms_error_set(err, MS_EVERIFY, "%zu proof hashes (at most %d)", n_proof,
                            MS_MERKLE_MAX_PROOF);
    uint64_t fn = index, sn = tree_size - 1;
    memcpy(r, leaf, 32);
    for (size_t i = 0; i < n_proof; i++) {
        if (sn == 0)
            return ms_error_set(err, MS_EVERIFY,
                                "the audit path has %zu hashes, more than the tree needs", n_proof);
        if ((fn & 1) || fn == sn) {
            ms_merkle_node_hash(proof[i], r, r);
            while (!(fn & 1) && fn != 0) {
                fn >>= 1;
                sn >>= 1;
            }
        } else
            ms_merkle_node_hash(r, proof[i], r);
        fn >>= 1;
        sn >>= 1;
    }
    if (sn != 0)
        return ms_error_set(err, MS_EVERIFY,
                            "the audit path has %zu hashes, fewer than the tree needs", n_proof);
    if (sodium_memcmp(r, root, 32) != 0) {
        msx_hex_encode(r, 32, hex);
        return ms_error_set(err, MS_EVERIFY,
                            "the audit path leads to root %s, not the expected one", hex);
    }
    return 0;
}

/* ---- checkpoints ---- */

void ms_checkpoint_clear(ms_checkpoint *cp)
{
    if (!cp)
        return;
    free(cp->origin);
    free(cp->text);
    for (size_t i = 0; i < cp->n_signatures; i++) {
        free(cp->signatures[i].name);
        free(cp->signatures[i].sig);
    }
    free(cp->signatures);
    memset(cp, 0, sizeof *cp);
}

/* The next line of [*pos, end): its start and length without the "\n"; the line must end in
 * "\n". 0, or -1 at the end of the text or when the last line is not terminated. */
static int next_line(const char *text, size_t end, size_t *pos, const char **line, size_t *len)
{
    if (*pos >= end)
        return -1;
    const char *nl = memchr(text + *pos, '\n', end - *pos);
    if (!nl)
        return -1;
    *line = text + *pos;
    *len = (size_t)(nl - *line);
    *pos += *len + 1;
    return 0;
}

static int parse_size(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || __builtin_mul_overflow(v, 10, &v) ||
            __builtin_add_overflow(v, (uint64_t)(s[i] - '0'), &v))
            return -1;
    }
    *out = v;
    return 0;
}

/* "— <name> <base64(key ID || signature)>" */
static int parse_signature_line(const char *line, size_t len, ms_checkpoint_signature *sig,
                                size_t lineno, ms_error *err)
{
    size_t pre = sizeof EM_DASH - 1;
    if (len < pre || memcmp(line, EM_DASH, pre) != 0)
        return ms_error_set(err, MS_EINPUT,
                            "checkpoint line %zu: a signature line must start with \"\u2014 \"",
                            lineno);
    const char *name = line + pre;
    const char *sp = memchr(name, ' ', len - pre);
    if (!sp || sp == name)
        return ms_error_set(err, MS_EINPUT, "checkpoint line %zu: no key name", lineno);
    const char *b64 = sp + 1;
    size_t b64_len = len - (size_t)(b64 - line);
    for (const char *p = name; p < sp; p++) {
        if ((unsigned char)*p <= 0x20 || *p == '+')
            return ms_error_set(err, MS_EINPUT, "checkpoint line %zu: invalid key name", lineno);
    }
    uint8_t *raw = NULL;
    size_t raw_len = 0;
    int rc = msx_base64_decode(b64, b64_len, &raw, &raw_len);
    if (rc == MS_ENOMEM)
        return ms_error_nomem(err);
    if (rc != 0 || raw_len < 5) {
        free(raw);
        return ms_error_set(err, MS_EINPUT,
                            "checkpoint line %zu: the signature is not base64 "
                            "of a key ID and a signature",
                            lineno);
    }
    if (!(sig->name = strndup(name, (size_t)(sp - name)))) {
        free(raw);
        return ms_error_nomem(err);
    }
    memcpy(sig->hint, raw, 4);
    sig->sig_len = raw_len - 4;
    memmove(raw, raw + 4, sig->sig_len);
    sig->sig = raw;
    return 0;
}

int ms_checkpoint_parse(const char *text, size_t len, ms_checkpoint *cp, ms_error *err)
{
    const char *line;
    size_t line_len, pos = 0, lineno = 0;
    uint8_t *root = NULL;
    size_t root_len = 0;
    int rc;
    memset(cp, 0, sizeof *cp);
    if (len > MS_CHECKPOINT_MAX_SIZE)
        return ms_error_set(err, MS_EINPUT, "checkpoint: larger than %zu bytes",
                            (size_t)MS_CHECKPOINT_MAX_SIZE);
    if (memchr(text, '\0', len))
        return ms_error_set(err, MS_EINPUT, "checkpoint: contains a NUL byte");
    /* The note text ends at the first blank line. */
    const char *blank = NULL;
    for (size_t i = 0; i + 1 < len; i++) {
        if (text[i] == '\n' && text[i + 1] == '\n') {
            blank = text + i + 1;
            break;
        }
    }
    if (len > 0 && text[0] == '\n')
        return ms_error_set(err, MS_EINPUT, "checkpoint line 1: no origin");
    if (!blank)
        return ms_error_set(err, MS_EINPUT, "checkpoint: no blank line before the signatures");
    size_t text_end = (size_t)(blank - text);
    if (next_line(text, text_end, &pos, &line, &line_len) != 0 || line_len == 0) {
        rc = ms_error_set(err, MS_EINPUT, "checkpoint line 1: no origin");
        goto out;
    }
    lineno = 1;
    if (!(cp->origin = strndup(line, line_len))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    lineno = 2;
    if (next_line(text, text_end, &pos, &line, &line_len) != 0 ||
        parse_size(line, line_len, &cp->tree_size) != 0) {
        rc = ms_error_set(err, MS_EINPUT, "checkpoint line 2: not a tree size");
        goto out;
    }
    lineno = 3;
    if (next_line(text, text_end, &pos, &line, &line_len) != 0 ||
        msx_base64_decode(line, line_len, &root, &root_len) != 0 || root_len != 32) {
        rc = ms_error_set(err, MS_EINPUT, "checkpoint line 3: not a base64 SHA-256 root hash");
        goto out;
    }
    memcpy(cp->root_hash, root, 32);
    /* Extension lines may follow; they are signed but not interpreted. */
    while (next_line(text, text_end, &pos, &line, &line_len) == 0)
        lineno++;
    if (!(cp->text = malloc(text_end + 1))) {
        rc = ms_error_nomem(err);
        goto out;
    }
    memcpy(cp->text, text, text_end);
    cp->text[text_end] = '\0';
    cp->text_len = text_end;
    /* Signatures: every line after the blank one, each ending in "\n". */
    pos = text_end + 1;
    lineno += 2;
    while (pos < len) {
        if (next_line(text, len, &pos, &line, &line_len) != 0) {
            rc = ms_error_set(err, MS_EINPUT, "checkpoint line %zu: not terminated by a newline",
                              lineno);
            goto out;
        }
        if (cp->n_signatures == MS_CHECKPOINT_MAX_SIGNATURES) {
            rc = ms_error_set(err, MS_EINPUT, "checkpoint: more than %d signatures",
                              MS_CHECKPOINT_MAX_SIGNATURES);
            goto out;
        }
        if (!cp->signatures &&
            !(cp->signatures = calloc(MS_CHECKPOINT_MAX_SIGNATURES, sizeof *cp->signatures))) {
            rc = ms_error_nomem(err);
            goto out;
        }
        if ((rc = parse_signature_line(line, line_len, &cp->signatures[cp->n_signatures], lineno,
                                       err)) != 0)
            goto out;
        cp->n_signatures++;
        lineno++;
    }
    if (cp->n_signatures == 0) {
        rc = ms_error_set(err, MS_EINPUT, "checkpoint: no signature lines");
        goto out;
    }
    rc = 0;
out:
    free(root);
    if (rc)
        ms_checkpoint_clear(cp);
    return rc;
}

int sigstore_checkpoint_verify_log(const ms_checkpoint *cp, const ms_log_instance *log,
                                   EVP_PKEY *key, ms_error *err)
{
    int named = 0;
    if (log->log_id_len < 4)
        return ms_error_set(err, MS_EINPUT, "the log ID of %s is shorter than a key ID",
                            log->key_name);
    for (size_t i = 0; i < cp->n_signatures; i++) {
        const ms_checkpoint_signature *s = &cp->signatures[i];
        if (strcmp(s->name, log->key_name) != 0 || memcmp(s->hint, log->log_id, 4) != 0)
            continue;
        named = 1;
        if (sigstore_log_key_verify(key, (const uint8_t *)cp->text, cp->text_len, s->sig,
                                    s->sig_len))
            return 0;
    }
    if (!named)
        return ms_error_set(err, MS_EVERIFY, "no signature by %s (key ID %02x%02x%02x%02x)",
                            log->key_name, log->log_id[0], log->log_id[1], log->log_id[2],
                            log->log_id[3]);
    return ms_error_set(err, MS_EVERIFY, "the signature by %s does not verify", log->key_name);
}

int ms_checkpoint_verify(const ms_checkpoint *cp, const ms_trusted_root *root,
                         const uint8_t *log_id, size_t log_id_len, ms_error *err)
{
    const ms_log_instance *log = sigstore_log_find(root->tlogs, root->n_tlogs, log_id, log_id_len);
    if (!log)
        return ms_error_set(err, MS_EINPUT, "the log is not in the trusted root");
    EVP_PKEY *key = sigstore_log_key(log, err);
    if (!key)
        return MS_EINPUT;
    int rc = sigstore_checkpoint_verify_log(cp, log, key, err);
    EVP_PKEY_free(key);
    return rc;
}
