#!/bin/sh
# Compatibility with signatures we did not make: the bundles released versions of model_signing
# wrote (v0.2.0 ... v1.1.0, ECDSA P-384 keys and a private certificate chain) and the OMS
# specification's v1.0 test vectors. Every vector is copied into $T before it is verified.
. "$(dirname "$0")/lib.sh"
set -e

REL=$MS_VECTORS/oms/model-transparency-releases
SPEC=$MS_VECTORS/oms/spec-v1.0/test-vectors/v1.0
sum_vectors() { (cd "$MS_VECTORS/oms" && find . -type f -exec sha256sum {} + | LC_ALL=C sort); }
sum_vectors >"$T/vectors.before"
cp -R "$REL" "$T/rel"
chmod -R u+w "$T/rel" # a distcheck source tree is read-only, and so are plain copies of it
KEYS=$T/rel/keys/certificate
PUB=$KEYS/signing-key-pub.pem # a gnutls text dump precedes the PEM block: we must skip it
CA=$KEYS/ca-cert.pem

# subject_digest BUNDLE: the statement's subject digest, decoded independently of modelseal.
subject_digest() {
    $PY - "$1" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
subject = json.loads(base64.b64decode(env["payload"]))["subject"]
assert len(subject) == 1, subject
print(subject[0]["digest"]["sha256"])
PY
}

# check_report DESCRIPTION KIND BUNDLE: $OUT is a --json report of a verified model.
check_report() {
    want=$(subject_digest "$3")
    if $PY - "$OUT" "$2" "sha256:$want" <<'PY'; then pass; else fail "$1: --json report"; fi
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is True, r
assert r["exit_status"] == 0, r
assert r["signer"]["kind"] == sys.argv[2], r["signer"]
assert r["signer"]["hint"] == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e", r
assert r["model"]["digest"] == sys.argv[3], (r["model"], sys.argv[3])
assert r["changed"] == [] and r["missing"] == [] and r["extra"] == [], r
PY
}

# vector_args DIR: sets MODEL and EXTRA (the --signature / --ignore options) for a release dir.
# v0.3.1 and v1.0.0 signed the single file signme-1 (their bundles name the one resource ".");
# v1.0.1 did not record its ignore paths, so ignore-me must be left out by hand; v1.1.0 records
# ignore-me in serialization.ignore_paths.
vector_args() {
    EXTRA=""
    if [ -e "$1/signme-2" ]; then
        MODEL=$1
    else
        MODEL=$1/signme-1
        EXTRA="--signature $1/model.sig"
    fi
    case $1 in */v1.0.1-*) EXTRA="$EXTRA --ignore ignore-me" ;; esac
}

# Released model_signing signatures, ECDSA P-384 key: v0.3.1, v1.0.0, v1.0.1, v1.1.0.
n=0
for d in "$T"/rel/*-elliptic-key; do
    v=$(basename "$d")
    vector_args "$d"
    # shellcheck disable=SC2086
    check_status "$v: verify --key" 0 ms verify --key "$PUB" $EXTRA "$MODEL"
    grep -q "^Verified " "$OUT" && pass || fail "$v: says Verified"
    # shellcheck disable=SC2086
    check_status "$v: verify --json" 0 ms verify --json --key "$PUB" $EXTRA "$MODEL"
    check_report "$v" key "$d/model.sig"
    n=$((n + 1))
done
check_eq "elliptic-key vectors seen" "$n" 4

# Released signatures with the private PKI: the bundle carries the leaf and the intermediate;
# we trust only the RSA-3072 root. v0.3.1, v1.0.0, v1.0.1, v1.1.0.
n=0
for d in "$T"/rel/v0.3.1-certificate "$T"/rel/v1.0.0-certificate "$T"/rel/v1.0.1-certificate \
    "$T"/rel/v1.1.0-certificate; do
    v=$(basename "$d")
    vector_args "$d"
    # shellcheck disable=SC2086
    check_status "$v: verify --certificate-chain" 0 ms verify --certificate-chain "$CA" $EXTRA "$MODEL"
    # shellcheck disable=SC2086
    check_status "$v: verify --json" 0 ms verify --json --certificate-chain "$CA" $EXTRA "$MODEL"
    check_report "$v" certificate "$d/model.sig"
    n=$((n + 1))
done
check_eq "certificate vectors seen" "$n" 4

# v1.0.1 really depends on the manual --ignore: without it ignore-me is an extra file.
check_status "v1.0.1 without --ignore" 1 ms verify --key "$PUB" "$T/rel/v1.0.1-elliptic-key"
grep -Eq '^ *extra: +ignore-me$' "$ERR" && pass || fail "v1.0.1 without --ignore: names extra ignore-me"

# The intermediate alone is not a trust anchor we were given; the leaf key is not the root.
check_status "certificate vector with the key instead of the chain" 1 \
    ms verify --key "$PUB" "$T/rel/v1.1.0-certificate"
check_status "key vector with only a CA" 1 \
    ms verify --certificate-chain "$CA" "$T/rel/v1.1.0-elliptic-key"

# v0.2.0 (OMS v1.0 section 11.2: verifiers may accept it): the legacy predicate
# https://model_signing/Digests/v0.1 (file digests in the subjects, no resources), signed over
# that version's own encoding: "DSSEV1 <len> <type> <len> " and the payload as Python prints a
# bytes object, ECDSA with SHA-256 on the P-384 key. Checked first with python3-cryptography,
# independently of modelseal, so the test knows what the signature covers.
V02=$T/rel/v0.2.0-certificate
legacy_check() {
    $PY - "$1" "$KEYS/signing-key-cert.pem" <<'PY'
import base64, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
payload = base64.b64decode(env["payload"])
t = env["payloadType"]
message = ("DSSEV1 %d %s %d %r" % (len(t), t, len(payload), payload)).encode()
cert = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
cert.public_key().verify(base64.b64decode(env["signatures"][0]["sig"]), message,
                         ec.ECDSA(hashes.SHA256()))
PY
}
legacy_check "$V02/model.sig" && pass || fail "v0.2.0: python3-cryptography checks the legacy signature"
check_status "v0.2.0-certificate: verify" 0 ms verify --certificate-chain "$CA" "$V02"
grep -q "^Verified .*: 2 files" "$OUT" && pass || fail "v0.2.0-certificate: says Verified, 2 files"
check_status "v0.2.0-certificate: verify --json" 0 ms verify --json --certificate-chain "$CA" "$V02"
$PY - "$OUT" <<'PY' && pass || fail "v0.2.0-certificate: --json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is True and r["signer"]["kind"] == "certificate", r
assert r["signer"]["hint"] == "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e", r
assert r["resources"] == 2 and r["changed"] == [] and r["extra"] == [], r
PY
# The legacy encoding is accepted for legacy statements only: the same kind of signature (made
# here with the test-only signing key) over a v1.0 statement is refused.
LEG=$T/legacy-v1
mkdir "$LEG"
cp "$T/rel/v1.1.0-certificate/signme-1" "$T/rel/v1.1.0-certificate/signme-2" \
    "$T/rel/v1.1.0-certificate/ignore-me" "$LEG/"
$PY - "$T/rel/v1.1.0-certificate/model.sig" "$KEYS/signing-key.pem" "$LEG/model.sig" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
b = json.load(open(sys.argv[1]))
env = b["dsseEnvelope"]
payload = base64.b64decode(env["payload"])
t = env["payloadType"]
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
message = ("DSSEV1 %d %s %d %r" % (len(t), t, len(payload), payload)).encode()
env["signatures"][0]["sig"] = base64.b64encode(key.sign(message, ec.ECDSA(hashes.SHA256()))).decode()
json.dump(b, open(sys.argv[3], "w"))
PY
check_fails "legacy encoding over a v1.0 statement" 1 "does not verify" \
    ms verify --certificate-chain "$CA" "$LEG"
# A changed file of the v0.2.0 model is named; a changed payload byte breaks the signature.
cp -R "$V02" "$T/v02-tampered"
flip_byte "$T/v02-tampered/signme-2" 0
check_fails "v0.2.0: tampered signme-2" 1 "changed: signme-2" \
    ms verify --certificate-chain "$CA" "$T/v02-tampered"
$PY - "$V02/model.sig" "$T/v02-payload.sig" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
p = base64.b64decode(b["dsseEnvelope"]["payload"]).replace(b"signme-2", b"signme-3")
b["dsseEnvelope"]["payload"] = base64.b64encode(p).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
check_fails "v0.2.0: changed payload" 1 "does not verify" \
    ms verify --certificate-chain "$CA" --signature "$T/v02-payload.sig" "$V02"
# We read this form and never write it: our bundles carry the v1.0 predicate.
mkdir "$T/ours" && printf 'x' >"$T/ours/f"
ms keygen --no-password --algorithm ecdsa-p384 --output "$T/ours" >/dev/null
check_status "sign with a P-384 key" 0 ms sign --key "$T/ours.key" "$T/ours"
$PY - "$T/ours/model.sig" <<'PY' && pass || fail "our bundle carries the v1.0 predicate"
import base64, json, sys
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
assert json.loads(base64.b64decode(env["payload"]))["predicateType"] == "https://model_signing/signature/v1.0"
PY

# *-sigstore vectors need Sigstore keyless verification (Fulcio chain, Rekor, SCT): a later
# issue. They are not exercised here.

# One changed byte of signme-1 in each copy: not verified, and the file is named. For the
# single-file models (v0.3.1, v1.0.0) the bundle's one resource is ".", but the report must
# still name the file the user can act on.
for d in "$T"/rel/*-elliptic-key "$T"/rel/v0.3.1-certificate "$T"/rel/v1.0.0-certificate \
    "$T"/rel/v1.0.1-certificate "$T"/rel/v1.1.0-certificate; do
    v=$(basename "$d")
    vector_args "$d"
    printf 'X' | dd of="$d/signme-1" bs=1 seek=3 conv=notrunc status=none
    case $v in *-elliptic-key) trust="--key $PUB" ;; *) trust="--certificate-chain $CA" ;; esac
    # shellcheck disable=SC2086
    check_fails "$v: tampered signme-1" 1 "changed: signme-1" ms verify $trust $EXTRA "$MODEL"
done

# OMS spec v1.0 vectors. valid/key and valid/certificate sign the v1.1.0-elliptic-key model:
# subject "model", resources signme-1 ("signme-1\n") and signme-2, ignore_paths naming ignore-me.
M=$T/model
mkdir -p "$M"
cp "$REL/v1.1.0-elliptic-key/signme-1" "$REL/v1.1.0-elliptic-key/signme-2" \
    "$REL/v1.1.0-elliptic-key/ignore-me" "$M/"
chmod u+w "$M"/*
check_eq "signme-1 content" "$(od -An -c "$M/signme-1" | tr -d ' ')" 'signme-1\n'
cp -R "$SPEC" "$T/spec"
S=$T/spec
check_status "spec valid/key.bundle.json" 0 ms verify --json --key "$PUB" --signature "$S/valid/key.bundle.json" "$M"
check_report "spec key vector" key "$S/valid/key.bundle.json"
check_status "spec valid/certificate.bundle.json" 0 \
    ms verify --json --certificate-chain "$CA" --signature "$S/valid/certificate.bundle.json" "$M"
check_report "spec certificate vector" certificate "$S/valid/certificate.bundle.json"
# valid/sigstore.bundle.json is keyless Sigstore (over the v1.1.0-sigstore model): later issue.

# The valid vectors bind the model too: a changed signme-2 is not what was signed.
printf 'X' | dd of="$M/signme-2" bs=1 seek=0 conv=notrunc status=none
check_fails "spec key vector, changed signme-2" 1 "changed: signme-2" \
    ms verify --key "$PUB" --signature "$S/valid/key.bundle.json" "$M"
cp "$REL/v1.1.0-elliptic-key/signme-2" "$M/"
chmod u+w "$M/signme-2"

# invalid/*: structurally malformed bundles -> 2 (malformed input), whatever the trust given:
#   empty                         a zero-byte file, not JSON at all
#   missing-envelope              no dsseEnvelope (nothing signed to check)
#   missing-verification-material no verificationMaterial (no key, no certificate)
#   missing-tlog-entries          a Sigstore certificate bundle without tlogEntries, which
#                                 bundle v0.3 requires
for v in empty:"empty" missing-envelope:"dsseEnvelope" \
    missing-verification-material:"verificationMaterial" missing-tlog-entries:"tlogEntries"; do
    name=${v%%:*}
    word=${v#*:}
    check_fails "spec invalid/$name (key)" 2 "$word" \
        ms verify --key "$PUB" --signature "$S/invalid/$name.bundle.json" "$M"
    check_fails "spec invalid/$name (chain)" 2 "$word" \
        ms verify --certificate-chain "$CA" --signature "$S/invalid/$name.bundle.json" "$M"
done
n=$(find "$S/invalid" "$S/invalid-payload" -name '*.json' | wc -l)
check_eq "every invalid vector is covered" "$n" 5

# invalid-payload/wrong-predicate: the key vector's statement with another predicateType, but
# the old signature kept. The signature does not cover these bytes, so this is a payload that
# is not what was signed: 1 (the signature is checked before the payload is believed).
check_fails "spec invalid-payload/wrong-predicate" 1 "signature does not verify" \
    ms verify --key "$PUB" --signature "$S/invalid-payload/wrong-predicate.bundle.json" "$M"
# The same statement properly signed (with the test-only vector key) is validly signed but not
# an OMS signature: malformed for us, 2, naming the predicateType.
$PY - "$KEYS/signing-key.pem" "$S/invalid-payload/wrong-predicate.bundle.json" "$T/wp.json" <<'PY'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
pem = open(sys.argv[1], "rb").read()
key = serialization.load_pem_private_key(pem[pem.index(b"-----BEGIN"):], None)
bundle = json.load(open(sys.argv[2]))
env = bundle["dsseEnvelope"]
payload, ptype = base64.b64decode(env["payload"]), env["payloadType"].encode()
pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype, len(payload), payload)
env["signatures"][0]["sig"] = base64.b64encode(key.sign(pae, ec.ECDSA(hashes.SHA384()))).decode()
json.dump(bundle, open(sys.argv[3], "w"))
PY
check_fails "wrong predicate, validly signed" 2 "predicateType" \
    ms verify --key "$PUB" --signature "$T/wp.json" "$M"

# Nothing was written into the source tree's vectors.
sum_vectors >"$T/vectors.after"
check_file_eq "vectors untouched" "$T/vectors.after" "$T/vectors.before"
finish
