#!/bin/sh
# Our bundles checked by independent implementations: dsse_verify.py verifies the DSSE envelope
# with securesystemslib (PyNaCl / its ECDSA schemes) and with `cryptography` over a PAE it builds
# itself, and checks the in-toto statement and the key hint. Keys: modelseal Ed25519 and
# ECDSA P-256, and an OpenSSL-generated P-384 PKCS#8 key.
. "$(dirname "$0")/../cli/lib.sh"
normal_run_only "securesystemslib's view of modelseal's envelopes (the same bytes)"
set -e

DV=$SRCDIR/tests/interop/dsse_verify.py
if ! $PY -c 'import securesystemslib.signer, cryptography' 2>/dev/null; then
    echo "$(basename "$0"): SKIP: $PY cannot import securesystemslib and cryptography" >&2
    exit 77
fi

# edit_bundle MODE IN OUT [ARG]: rewrite a bundle without re-signing it.
#   payload   change one byte of the payload (the subject's name), keep the signature
#   hint ARG  set verificationMaterial.publicKey.hint to ARG
edit_bundle() {
    $PY - "$@" <<'PY'
import base64, json, sys
mode, src, dst = sys.argv[1:4]
b = json.load(open(src))
env = b["dsseEnvelope"]
if mode == "payload":
    p = bytearray(base64.b64decode(env["payload"]))
    i = p.index(b'"name":"') + len('"name":"')
    p[i] ^= 0x01
    env["payload"] = base64.b64encode(bytes(p)).decode()
elif mode == "hint":
    b["verificationMaterial"]["publicKey"]["hint"] = sys.argv[4]
json.dump(b, open(dst, "w"))
PY
}

# resign BUNDLE KEY.pem OUT WHAT: a statement that breaks one OMS rule, validly signed with an
# OpenSSL ECDSA P-384 key (so only dsse_verify.py's statement checks can refuse it).
resign() {
    $PY - "$@" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
src, keyfile, dst, what = sys.argv[1:5]
key = serialization.load_pem_private_key(open(keyfile, "rb").read(), None)
b = json.load(open(src))
env = b["dsseEnvelope"]
st = json.loads(base64.b64decode(env["payload"]))
if what == "digest":
    d = st["predicate"]["resources"][0]["digest"]
    st["predicate"]["resources"][0]["digest"] = ("0" if d[0] != "0" else "1") + d[1:]
elif what == "predicate":
    st["predicateType"] = "https://example.com/other/v1"
payload = json.dumps(st).encode()
t = env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)
env["payload"] = base64.b64encode(payload).decode()
env["signatures"][0]["sig"] = base64.b64encode(key.sign(pae, ec.ECDSA(hashes.SHA384()))).decode()
json.dump(b, open(dst, "w"))
PY
}

# The checker itself first: it accepts a vector signed by model_signing (OMS spec, P-384), whose
# hint is over the PEM block of the public key file.
REL=$MS_VECTORS/oms/model-transparency-releases
sed -n '/-----BEGIN PUBLIC KEY-----/,$p' "$REL/keys/certificate/signing-key-pub.pem" >"$T/oms-pub.pem"
check_status "dsse_verify.py accepts the OMS spec key vector" 0 \
    $PY "$DV" "$MS_VECTORS/oms/spec-v1.0/test-vectors/v1.0/valid/key.bundle.json" "$T/oms-pub.pem"

# Keys.
ms keygen --no-password --output "$T/ed25519" >/dev/null
ms keygen --algorithm ecdsa-p256 --no-password --output "$T/p256" >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.key" 2>/dev/null
openssl pkey -in "$T/p384.key" -pubout -out "$T/p384.pub"
head -n 1 "$T/p384.key" | grep -q '^-----BEGIN PRIVATE KEY-----$' && pass || fail "P-384 key is PKCS#8"
ms keygen --no-password --output "$T/other" >/dev/null

M=$T/model
make_sample_model "$M"
head -c 5000 /dev/urandom >"$M/weights.bin"

for k in ed25519 p256 p384; do
    for method in files shards; do
        sig=$T/$k-$method.sig
        check_status "$k $method: sign" 0 \
            ms sign --key "$T/$k.key" --method "$method" --shard-size 1024 --signature "$sig" "$M"
        check_status "$k $method: dsse_verify.py" 0 $PY "$DV" "$sig" "$T/$k.pub"
        grep -q "^OK: .*verified by securesystemslib and cryptography" "$OUT" && pass ||
            fail "$k $method: dsse_verify.py says OK"

        # One payload byte changed, the signature kept: both verifiers refuse it.
        edit_bundle payload "$sig" "$T/tampered.sig"
        check_fails "$k $method: tampered payload (securesystemslib)" 1 "securesystemslib: Failed to verify" \
            $PY "$DV" "$T/tampered.sig" "$T/$k.pub"
        check_fails "$k $method: tampered payload (cryptography)" 1 "cryptography: the signature does not verify" \
            $PY "$DV" "$T/tampered.sig" "$T/$k.pub"
    done
    # Signed by another key: refused by the hint, and by both verifiers when the hint is forged.
    sig=$T/$k-files.sig
    check_fails "$k: another key" 1 "publicKey.hint" $PY "$DV" "$sig" "$T/other.pub"
    edit_bundle hint "$sig" "$T/forged.sig" "$(sha256sum "$T/other.pub" | cut -d' ' -f1)"
    check_fails "$k: another key, forged hint" 1 "securesystemslib: " $PY "$DV" "$T/forged.sig" "$T/other.pub"
    grep -q "cryptography: the signature does not verify" "$ERR" && pass || fail "$k: forged hint (cryptography)"
done

# A single-file model.
make_file_model "$T/single.bin"
check_status "single file: sign" 0 ms sign --key "$T/p256.key" "$T/single.bin"
check_status "single file: dsse_verify.py" 0 $PY "$DV" "$T/single.bin.sig" "$T/p256.pub"

# The statement checks, on validly signed bundles that break one OMS rule.
resign "$T/p384-files.sig" "$T/p384.key" "$T/bad-digest.sig" digest
check_fails "subject digest not over the resources" 1 "subject sha256" $PY "$DV" "$T/bad-digest.sig" "$T/p384.pub"
resign "$T/p384-files.sig" "$T/p384.key" "$T/bad-predicate.sig" predicate
check_fails "other predicateType" 1 "predicateType" $PY "$DV" "$T/bad-predicate.sig" "$T/p384.pub"
# ... and modelseal agrees with both refusals.
check_fails "modelseal: subject digest" 1 "subject digest" \
    ms verify --key "$T/p384.pub" --signature "$T/bad-digest.sig" "$M"
check_fails "modelseal: predicateType" 2 "predicateType" \
    ms verify --key "$T/p384.pub" --signature "$T/bad-predicate.sig" "$M"
finish
