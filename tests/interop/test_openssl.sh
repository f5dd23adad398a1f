#!/bin/sh
# Our signatures checked by the openssl command line: the DSSE PAE is rebuilt from the bundle,
# ECDSA signatures (DER) go through `openssl dgst -verify` with the curve's hash, Ed25519
# through `openssl pkeyutl -verify -rawin`. Also: keygen's .pub is a PEM OpenSSL reads, and
# the bundle's publicKey.hint is the SHA-256 of that file.
. "$(dirname "$0")/../cli/lib.sh"
set -e

if ! command -v openssl >/dev/null 2>&1; then
    echo "$(basename "$0"): SKIP: no openssl command" >&2
    exit 77
fi

# extract BUNDLE DIR: DIR/pae.bin (PAE bytes), DIR/sig.bin (raw signature), DIR/hint.
extract() {
    mkdir -p "$2"
    $PY - "$1" "$2" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
payload = base64.b64decode(env["payload"], validate=True)
ptype = env["payloadType"].encode()
assert len(env["signatures"]) == 1, env["signatures"]
out = sys.argv[2]
open(out + "/pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload))
open(out + "/sig.bin", "wb").write(base64.b64decode(env["signatures"][0]["sig"], validate=True))
open(out + "/hint", "w").write(b["verificationMaterial"]["publicKey"]["hint"])
PY
}

# flip FILE OFFSET: xor one byte.
flip() {
    $PY -c "import sys; p=sys.argv[1]; b=bytearray(open(p,'rb').read()); b[int(sys.argv[2])]^=1; open(p,'wb').write(b)" "$1" "$2"
}

M=$T/model
make_sample_model "$M"
head -c 3000 /dev/urandom >"$M/weights.bin"

# Keys: modelseal ECDSA P-256 and Ed25519, and an OpenSSL P-384 PKCS#8 key.
ms keygen --algorithm ecdsa-p256 --no-password --output "$T/p256" >/dev/null
ms keygen --no-password --output "$T/ed25519" >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.key" 2>/dev/null
openssl pkey -in "$T/p384.key" -pubout -out "$T/p384.pub"

# keygen's public keys are SubjectPublicKeyInfo PEM that OpenSSL reads, of the right type.
for k in p256 ed25519; do
    check_status "openssl reads $k.pub" 0 openssl pkey -pubin -in "$T/$k.pub" -noout
    head -n 1 "$T/$k.pub" | grep -qx -- '-----BEGIN PUBLIC KEY-----' && pass || fail "$k.pub is SPKI PEM"
done
run openssl pkey -pubin -in "$T/p256.pub" -noout -text
grep -q 'NIST CURVE: P-256' "$OUT" && pass || fail "p256.pub is a P-256 key"
run openssl pkey -pubin -in "$T/ed25519.pub" -noout -text
grep -q 'ED25519 Public-Key' "$OUT" && pass || fail "ed25519.pub is an Ed25519 key"

# ECDSA: P-256 with SHA-256, P-384 with SHA-384; the signature is DER.
for spec in p256:sha256 p384:sha384; do
    k=${spec%%:*}
    md=${spec#*:}
    check_status "$k: sign" 0 ms sign --key "$T/$k.key" --signature "$T/$k.sig" "$M"
    extract "$T/$k.sig" "$T/$k"
    check_eq "$k: hint is sha256 of the .pub" "$(cat "$T/$k/hint")" "$(sha256sum "$T/$k.pub" | cut -d' ' -f1)"
    check_status "$k: signature is DER" 0 openssl asn1parse -inform DER -in "$T/$k/sig.bin"
    check_status "$k: openssl dgst -$md -verify" 0 \
        openssl dgst "-$md" -verify "$T/$k.pub" -signature "$T/$k/sig.bin" "$T/$k/pae.bin"
    check_eq "$k: Verified OK" "$(cat "$OUT")" "Verified OK"
    # The wrong hash is refused (the signature is over the curve's hash, not another one).
    other=sha512
    check_status "$k: with -$other" 1 \
        openssl dgst "-$other" -verify "$T/$k.pub" -signature "$T/$k/sig.bin" "$T/$k/pae.bin"
    # One flipped PAE byte, in the header and in the payload.
    cp "$T/$k/pae.bin" "$T/$k/pae1.bin"
    flip "$T/$k/pae1.bin" 5
    check_status "$k: flipped PAE header byte" 1 \
        openssl dgst "-$md" -verify "$T/$k.pub" -signature "$T/$k/sig.bin" "$T/$k/pae1.bin"
    grep -q "Verification failure" "$OUT" && pass || fail "$k: says Verification failure"
    cp "$T/$k/pae.bin" "$T/$k/pae2.bin"
    flip "$T/$k/pae2.bin" $(($(stat -c %s "$T/$k/pae.bin") - 10))
    check_status "$k: flipped PAE payload byte" 1 \
        openssl dgst "-$md" -verify "$T/$k.pub" -signature "$T/$k/sig.bin" "$T/$k/pae2.bin"
done
# The shards method is signed the same way.
check_status "p384 shards: sign" 0 ms sign --key "$T/p384.key" --method shards --shard-size 1000 \
    --signature "$T/p384s.sig" "$M"
extract "$T/p384s.sig" "$T/p384s"
check_status "p384 shards: openssl dgst -verify" 0 \
    openssl dgst -sha384 -verify "$T/p384.pub" -signature "$T/p384s/sig.bin" "$T/p384s/pae.bin"
# A signature by one key does not verify under another.
check_status "p256 signature, p384 key" 1 \
    openssl dgst -sha256 -verify "$T/p384.pub" -signature "$T/p256/sig.bin" "$T/p256/pae.bin"

# Ed25519: pure EdDSA over the PAE itself, a raw 64-byte signature.
check_status "ed25519: sign" 0 ms sign --key "$T/ed25519.key" --signature "$T/ed.sig" "$M"
extract "$T/ed.sig" "$T/ed"
check_eq "ed25519: hint is sha256 of the .pub" "$(cat "$T/ed/hint")" "$(sha256sum "$T/ed25519.pub" | cut -d' ' -f1)"
check_eq "ed25519: 64-byte signature" "$(stat -c %s "$T/ed/sig.bin")" 64
check_status "ed25519: openssl pkeyutl -verify" 0 openssl pkeyutl -verify -pubin -inkey "$T/ed25519.pub" \
    -rawin -in "$T/ed/pae.bin" -sigfile "$T/ed/sig.bin"
check_eq "ed25519: Signature Verified Successfully" "$(cat "$OUT")" "Signature Verified Successfully"
cp "$T/ed/pae.bin" "$T/ed/pae1.bin"
flip "$T/ed/pae1.bin" 40
check_status "ed25519: flipped PAE byte" 1 openssl pkeyutl -verify -pubin -inkey "$T/ed25519.pub" \
    -rawin -in "$T/ed/pae1.bin" -sigfile "$T/ed/sig.bin"
ms keygen --no-password --output "$T/other" >/dev/null
check_status "ed25519: another key" 1 openssl pkeyutl -verify -pubin -inkey "$T/other.pub" \
    -rawin -in "$T/ed/pae.bin" -sigfile "$T/ed/sig.bin"
finish
