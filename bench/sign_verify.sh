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
