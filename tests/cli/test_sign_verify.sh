#!/bin/sh
# sign and verify end to end: key kinds, certificates, defaults, options, JSON reports.
. "$(dirname "$0")/lib.sh"
set -e

M=$T/model
mkdir -p "$M/sub"
head -c 200000 /dev/urandom >"$M/weights.bin"
printf '{"layers": 2}' >"$M/config.json"
printf 'tok' >"$M/sub/tokenizer.json"

ms keygen --no-password --output "$T/ed" >/dev/null
ms keygen --no-password --algorithm ecdsa-p256 --output "$T/p256" >/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$T/p384.pem" 2>/dev/null
openssl pkey -in "$T/p384.pem" -pubout -out "$T/p384.pub"
openssl genpkey -algorithm ed25519 -out "$T/osl-ed.pem" -aes256 -pass pass:s3cret 2>/dev/null
openssl pkey -in "$T/osl-ed.pem" -passin pass:s3cret -pubout -out "$T/osl-ed.pub"

for k in ed p256; do
    check_status "sign with $k" 0 ms sign --key "$T/$k.key" "$M"
    grep -q "^Signed $M: 3 resources, root sha256:" "$OUT" && pass || fail "sign output ($k)"
    [ -s "$M/model.sig" ] && pass || fail "default signature path MODEL/model.sig"
    check_status "verify with $k" 0 ms verify --key "$T/$k.pub" "$M"
    grep -q "^Verified $M: 3 files, root sha256:" "$OUT" && pass || fail "verify output ($k)"
done
check_status "sign with an OpenSSL P-384 PKCS#8 key" 0 ms sign --key "$T/p384.pem" "$M"
check_status "verify P-384" 0 ms verify --key "$T/p384.pub" "$M"
check_status "sign with an encrypted PKCS#8 Ed25519 key" 0 env MODELSEAL_PASSWORD=s3cret "$MODELSEAL" sign --key "$T/osl-ed.pem" "$M"
check_status "verify it" 0 ms verify --key "$T/osl-ed.pub" "$M"
check_fails "wrong passphrase" 2 "$T/osl-ed.pem" env MODELSEAL_PASSWORD=nope "$MODELSEAL" sign --key "$T/osl-ed.pem" "$M"
check_fails "no passphrase source" 2 "a passphrase is needed" env -u MODELSEAL_PASSWORD "$MODELSEAL" sign --key "$T/osl-ed.pem" "$M" </dev/null

# The signature names the model by its root digest, which equals `modelseal digest`.
ms sign --key "$T/ed.key" "$M" >/dev/null
ROOT=$(ms digest "$M")
SUBJECT=$($PY -c "import json,base64,sys; b=json.load(open(sys.argv[1])); s=json.loads(base64.b64decode(b['dsseEnvelope']['payload'])); print('sha256:'+s['subject'][0]['digest']['sha256'], s['subject'][0]['name'], s['predicateType'], b['mediaType'], sorted(s['predicate']['serialization']['ignore_paths']))" "$M/model.sig")
check_eq "statement subject, predicate, media type, ignore paths" "$SUBJECT" \
    "$ROOT model https://model_signing/signature/v1.0 application/vnd.dev.sigstore.bundle.v0.3+json ['.cache/huggingface', '.git', '.gitattributes', '.github', '.gitignore', 'claims.jsonl', 'model.sig']"

# Adding model.sig or claims.jsonl does not change the model.
printf '{"claim": 1}\n' >"$M/claims.jsonl"
check_status "claims.jsonl is not part of the model" 0 ms verify --key "$T/ed.pub" "$M"
rm "$M/claims.jsonl"

# --signature elsewhere, and inside the model under another name (then left out of the hash).
check_status "sign --signature outside" 0 ms sign --key "$T/ed.key" --signature "$T/out.sig" "$M"
check_status "verify --signature outside" 0 ms verify --key "$T/ed.pub" --signature "$T/out.sig" "$M"
check_status "sign --signature inside" 0 ms sign --key "$T/ed.key" --signature "$M/sub/release.sig" "$M"
check_status "verify --signature inside" 0 ms verify --key "$T/ed.pub" --signature "$M/sub/release.sig" "$M"
rm "$M/sub/release.sig"

# Shards and BLAKE2b: verify re-hashes with the bundle's own serialization.
check_status "sign shards blake2b" 0 ms sign --key "$T/ed.key" --method shards --shard-size 65536 --algorithm blake2b "$M"
check_status "verify shards blake2b" 0 ms verify --key "$T/ed.pub" "$M"
$PY -c "import json,base64,sys; s=json.loads(base64.b64decode(json.load(open(sys.argv[1]))['dsseEnvelope']['payload'])); r=s['predicate']['resources']; assert r[0]=={'name':'config.json:0:13','algorithm':'blake2b-sharded-65536','digest':r[0]['digest']} and len(r[0]['digest'])==128 and s['predicate']['serialization']['shard_size']==65536, r[0]" "$M/model.sig" && pass || fail "shard resources in the statement"

# Single-file model: MODEL.sig beside it.
printf 'single' >"$T/one.bin"
check_status "sign a single file" 0 ms sign --key "$T/ed.key" "$T/one.bin"
[ -s "$T/one.bin.sig" ] && pass || fail "single-file signature at MODEL.sig"
check_status "verify a single file" 0 ms verify --key "$T/ed.pub" "$T/one.bin"
printf 'changed' >"$T/one.bin"
check_fails "changed single file" 1 "changed: one.bin" ms verify --key "$T/ed.pub" "$T/one.bin"

# --ignore at verify, --ignore-unsigned-files.
ms sign --key "$T/ed.key" "$M" >/dev/null
printf 'new' >"$M/notes.txt"
check_fails "an added file is extra" 1 "extra:   notes.txt" ms verify --key "$T/ed.pub" "$M"
grep -q "^  extra:   notes.txt$" "$ERR" && pass || fail "extra file listed"
check_status "--ignore the added file" 0 ms verify --key "$T/ed.pub" --ignore notes.txt "$M"
check_status "--ignore-unsigned-files" 0 ms verify --key "$T/ed.pub" --ignore-unsigned-files "$M"
rm "$M/notes.txt"

# Several trusted keys: any one may have signed.
check_status "one of several keys" 0 ms verify --key "$T/p256.pub" --key "$T/ed.pub" "$M"

# Empty models: refused unless --allow-empty, at sign and at verify.
mkdir -p "$T/empty"
check_fails "sign an empty model" 2 "no files to sign" ms sign --key "$T/ed.key" "$T/empty"
check_status "sign --allow-empty" 0 ms sign --key "$T/ed.key" --allow-empty "$T/empty"
check_fails "verify an empty signature" 1 "covers no files" ms verify --key "$T/ed.pub" "$T/empty"
check_status "verify --allow-empty" 0 ms verify --key "$T/ed.pub" --allow-empty "$T/empty"

# Certificates: a chain to a given root, an identity, an expired leaf, an untrusted root.
P=$T/pki
mkdir -p "$P"
$PY "$SRCDIR/tests/cli/make_certs.py" "$P"
check_status "sign with a certificate" 0 ms sign --key "$P/leaf.key" --certificate "$P/leaf.pem" "$M"
$PY -c "import json,sys; b=json.load(open(sys.argv[1])); assert len(b['verificationMaterial']['x509CertificateChain']['certificates'])==1" "$M/model.sig" && pass || fail "bundle carries the chain"
check_status "verify with the root" 0 ms verify --certificate-chain "$P/ca.pem" "$M"
grep -q "^Signer: certificate for ml@example.com" "$OUT" && pass || fail "signer identity shown"
check_status "verify with the identity" 0 ms verify --certificate-chain "$P/ca.pem" --identity ml@example.com "$M"
check_fails "another identity" 1 "not release@example.com" ms verify --certificate-chain "$P/ca.pem" --identity release@example.com "$M"
check_fails "untrusted root" 1 "trusted root" ms verify --certificate-chain "$P/other-ca.pem" "$M"
check_fails "a key does not verify a certificate bundle" 1 "--certificate-chain" ms verify --key "$T/ed.pub" "$M"
check_fails "certificate for another key" 2 "another key" ms sign --key "$T/p256.key" --certificate "$P/leaf.pem" "$M"
check_status "sign with an expired certificate" 0 ms sign --key "$P/leaf.key" --certificate "$P/expired.pem" "$M"
check_fails "expired leaf" 1 "expired" ms verify --certificate-chain "$P/ca.pem" "$M"

# JSON reports.
ms sign --key "$T/ed.key" "$M" >/dev/null
check_status "verify --json" 0 ms verify --json --key "$T/ed.pub" "$M"
$PY - "$OUT" "$ROOT" "$(sha256sum "$T/ed.pub" | cut -d' ' -f1)" "$M" <<'PY' && pass || fail "verify --json report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is True and r["exit_status"] == 0, r
assert r["model"]["digest"] == sys.argv[2] and r["model"]["path"] == sys.argv[4], r
assert r["signer"] == {"kind": "key", "hint": sys.argv[3], "identity": None, "subject": None,
                       "issuer": None, "signing_time": None}, r["signer"]
assert r["error"] is None, r
assert r["files_hashed"] == 3 and r["resources"] == 3 and r["changed"] == r["missing"] == r["extra"] == []
PY
flip_byte "$M/weights.bin" 100
check_status "verify --json, tampered" 1 ms verify --json --key "$T/ed.pub" "$M"
$PY -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['verified'] is False and r['changed']==['weights.bin'] and r['exit_status']==1, r" "$OUT" && pass || fail "verify --json failure report"
check_status "sign --json" 0 ms sign --json --key "$T/ed.key" "$M"
$PY -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['resources']==3 and r['signer']['kind']=='key' and r['model']['digest'].startswith('sha256:'), r" "$OUT" && pass || fail "sign --json"

# Two signers of one model take turns: sign waits for the lock on the signature's directory,
# here held for 2 s by flock(1), and then writes a complete signature. The holder leaves a mark
# just before it lets go: a sign that waited finds it there when it returns (an order of
# events, not a time).
if command -v flock >/dev/null 2>&1; then
    rm -f "$T/released"
    flock "$M" sh -c 'sleep 2; : >"$1"' sh "$T/released" &
    holder=$!
    tries=0 # until the holder has the lock (flock -n fails), at most 5 s
    while flock -n "$M" true && [ $tries -lt 100 ]; do
        sleep 0.05
        tries=$((tries + 1))
    done
    check_status "sign while another writer holds the lock" 0 ms sign --key "$T/ed.key" "$M"
    if [ -e "$T/released" ]; then pass; else fail "sign returned while the lock was held"; fi
    wait $holder || true
    check_status "the signature written after the wait verifies" 0 ms verify --key "$T/ed.pub" "$M"
fi

# Usage errors.
check_fails "sign without --key" 2 "--key is required" ms sign "$M"
check_fails "verify without trust" 2 "give a trusted --key or --certificate-chain" ms verify "$M"
check_fails "--identity without certificates" 2 "--identity goes with --certificate-chain" ms verify --key "$T/ed.pub" --identity x "$M"
check_fails "missing key file" 2 "$T/nope.key" ms sign --key "$T/nope.key" "$M"
check_fails "a public key is not a secret key" 2 "$T/ed.pub" ms sign --key "$T/ed.pub" "$M"
check_fails "missing signature" 2 "$T/model2/model.sig" sh -c "mkdir -p '$T/model2' && echo x >'$T/model2/f' && '$MODELSEAL' verify --key '$T/ed.pub' '$T/model2'"
finish
