/* Signature checks for historical formats other layers read but modelseal never produces (not
 * installed; keys/ and the layers above it). */
#ifndef MODELSEAL_KEYS_KEY_LEGACY_H
#define MODELSEAL_KEYS_KEY_LEGACY_H

#include <stddef.h>
#include <stdint.h>

#include "modelseal/key.h"

/* An ECDSA signature (DER) over `msg` hashed with SHA-256, whatever the curve: what
 * model_signing v0.2 made with P-384 keys. 0 when it verifies; MS_EVERIFY otherwise, and for
 * an Ed25519 key. No error message (callers report their own). */
int key_verify_ecdsa_sha256(const ms_key *key, const uint8_t *msg, size_t len, const uint8_t *sig,
                            size_t sig_len);

#endif
