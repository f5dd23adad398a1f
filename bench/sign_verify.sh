#!/bin/sh
# Sign and verify time of a 2 x 768 MiB model against the 2-core SHA-256 ceiling (OpenSSL in
# memory), from page cache: key handling, JSON and signing must be invisible next to hashing.
. "$(dirname "$0")/common.sh"

mkdir -p "$B/two"
head -c 805306368 /dev/urandom >"$B/two/a.bin"
head -c 805306368 /dev/urandom >"$B/two/b.bin"
cat "$B/two/a.bin" "$B/two/b.bin" >/dev/null
"$MS" keygen --no-password --output "$B/k" >/dev/null
BYTES=1610612736
C2=$(ceiling -multi "$(nproc)")
echo "ceiling: SHA-256 in memory $(rate "$C2" 1) on $(nproc) cores"

r=$(best_of 3 "$MS" digest "$B/two")
echo "digest (hashing alone):        ${r% *} s  = $(ratio $BYTES "${r% *}" "$C2") of the ceiling"
r=$(best_of 3 "$MS" sign --key "$B/k.key" "$B/two")
echo "sign:                          ${r% *} s  = $(ratio $BYTES "${r% *}" "$C2") of the ceiling   peak RSS ${r#* } KiB"
r=$(best_of 3 "$MS" verify --key "$B/k.pub" "$B/two")
echo "verify:                        ${r% *} s  = $(ratio $BYTES "${r% *}" "$C2") of the ceiling   peak RSS ${r#* } KiB"
r=$(best_of 3 "$MS" verify --key "$B/k.pub" --ignore-unsigned-files "$B/two")
echo "verify --ignore-unsigned-files: ${r% *} s  = $(ratio $BYTES "${r% *}" "$C2") of the ceiling"
# Signing through a PKCS#11 token (SoftHSM2, a token made here) against a key file, both ECDSA
# P-256, on the same model: the token signs once per model, so the whole sign stays within 1.05x.
SOFTHSM=$(ls /usr/lib/softhsm/libsofthsm2.so /usr/lib/*/softhsm/libsofthsm2.so 2>/dev/null | head -n 1 || true)
if [ -n "$SOFTHSM" ] && command -v softhsm2-util >/dev/null 2>&1; then
    mkdir -p "$B/tokens"
    printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' "$B" \
        >"$B/softhsm2.conf"
    export SOFTHSM2_CONF="$B/softhsm2.conf"
    softhsm2-util --init-token --free --label bench --pin 1234 --so-pin 5678 >/dev/null
    TOKEN_KEY="pkcs11:token=bench;object=k?module-path=$SOFTHSM&pin-value=1234"
    "$MS" keygen --pkcs11 "$TOKEN_KEY" --algorithm ecdsa-p256 --output "$B/token.pub" >/dev/null
    "$MS" keygen --no-password --algorithm ecdsa-p256 --output "$B/p256" >/dev/null
    f=$(best_of 3 "$MS" sign --key "$B/p256.key" --signature "$B/file.sig" "$B/two")
    t=$(best_of 3 "$MS" sign --key "$TOKEN_KEY" --signature "$B/token.sig" "$B/two")
    echo "sign through SoftHSM (P-256): ${t% *} s; with a key file ${f% *} s; ratio" \
        "$(awk -v t="${t% *}" -v f="${f% *}" 'BEGIN { printf "%.3f", t / f }')x (claim: at most 1.05x)"
else
    echo "sign through SoftHSM: not measured (no softhsm2: scripts/setup installs it)"
fi

# The fixed cost beyond hashing: sign and verify a one-byte model.
mkdir -p "$B/tiny"
printf x >"$B/tiny/x"
r=$(best_of 5 "$MS" sign --key "$B/k.key" "$B/tiny")
echo "sign, 1-byte model (fixed cost): ${r% *} s"
r=$(best_of 5 "$MS" verify --key "$B/k.pub" "$B/tiny")
echo "verify, 1-byte model (fixed cost): ${r% *} s"

# Offline Sigstore verification against a key bundle: 50 runs each, on models of two small files.
V=$top/tests/vectors/oms/model-transparency-releases
cp -r "$V/v1.1.0-sigstore" "$B/sigstore-model"
cp -r "$V/v1.1.0-elliptic-key" "$B/key-model"
loop() { # runs CMD... 50 times, prints microseconds per run
    s=$(date +%s%N)
    for _ in $(seq 50); do "$@" >/dev/null; done
    e=$(date +%s%N)
    echo $(((e - s) / 50000))
}
k=$(loop "$MS" verify --key "$V/keys/certificate/signing-key-pub.pem" "$B/key-model")
s=$(loop "$MS" verify --identity stefanb@us.ibm.com --issuer https://sigstore.verify.ibm.com/oauth2 \
    --trusted-root "$top/tests/vectors/sigstore/sigstore.trusted_root.json" "$B/sigstore-model")
echo "verify, key bundle: ${k} us per run; Sigstore bundle (certificate, SCT, SET, inclusion proof, checkpoint, RFC 3161): ${s} us per run; overhead $(((s - k) / 1000)).$(((s - k) % 1000 / 100)) ms"
