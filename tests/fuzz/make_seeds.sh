#!/bin/sh
# Make the raw seed inputs of every fuzz target from the test vectors and from modelseal's own
# output, into OUT/<name>/ (not minimised: run `tests/fuzz/fuzz_<name> -merge=1
# tests/fuzz/corpus/<name> OUT/<name>` on a fresh corpus directory to keep what adds coverage).
# Usage: MODELSEAL=build/release/modelseal sh tests/fuzz/make_seeds.sh OUT
# Needs openssl and /usr/bin/python3 with PyNaCl (python3-nacl).
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
vec=${MS_VECTORS:-$top/tests/vectors}
ms=${MODELSEAL:-$top/build/release/modelseal}
pass=fuzz-passphrase # the passphrase fuzz_secret_key answers with
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in bundle statement json predicate public_key secret_key x509 dsse claims policy; do
    mkdir -p "$out/$t"
done

# Our own keys and signatures: every key type, each kind of bundle material.
printf '%s\n' "$pass" >"$tmp/pass"
mkdir -p "$tmp/model/sub"
printf 'weights' >"$tmp/model/a.bin"
printf 'config' >"$tmp/model/sub/b.json"
"$ms" keygen --password-file "$tmp/pass" --output "$tmp/keygen-enc" >/dev/null
cp "$tmp/keygen-enc.key" "$out/secret_key/keygen-ed25519-enc.key"
for alg in ed25519 ecdsa-p256 ecdsa-p384 ecdsa-p521; do
    "$ms" keygen --algorithm "$alg" --no-password --output "$tmp/$alg" >/dev/null
    cp "$tmp/$alg.pub" "$out/public_key/$alg.pub"
    openssl pkey -pubin -in "$tmp/$alg.pub" -outform DER -out "$out/public_key/$alg.der"
    cp "$tmp/$alg.key" "$out/secret_key/$alg.key"
    "$ms" sign --key "$tmp/$alg.key" --signature "$out/bundle/own-$alg.sig" "$tmp/model" \
        >/dev/null
done
"$ms" sign --key "$tmp/ecdsa-p256.key" --method shards --shard-size 3 --algorithm blake2b \
    --ignore sub --signature "$out/bundle/own-shards.sig" "$tmp/model" >/dev/null
"$ms" sign --key "$tmp/ecdsa-p256.key" --signature "$out/bundle/own-file.sig" \
    "$tmp/model/a.bin" >/dev/null
certs=$vec/oms/model-transparency-releases/keys/certificate
"$ms" sign --key "$certs/signing-key.pem" --certificate "$certs/signing-key-cert.pem" \
    --certificate-chain "$certs/int-ca-cert.pem" --signature "$out/bundle/own-chain.sig" \
    "$tmp/model" >/dev/null

# Vectors: every bundle, public and secret keys, certificates.
i=0
for f in $(find "$vec/oms" -name model.sig -o -name '*.bundle.json' | sort); do
    i=$((i + 1))
    cp "$f" "$out/bundle/vector-$i.json"
done
cp "$certs/signing-key-pub.pem" "$out/public_key/vector-pub.pem"
cp "$certs/signing-key.pem" "$out/secret_key/vector-key.pem"
for c in ca-cert int-ca-cert signing-key-cert; do
    cp "$certs/$c.pem" "$out/x509/$c.pem"
done
cat "$certs/signing-key-cert.pem" "$certs/int-ca-cert.pem" "$certs/ca-cert.pem" \
    >"$out/x509/chain.pem"
openssl pkey -in "$certs/signing-key.pem" -pubout -outform DER -out "$out/public_key/vector.der"

# OpenSSL's secret key forms: PKCS#8, encrypted PKCS#8 (PBKDF2 and scrypt), SEC1 plain and
# legacy-encrypted, and an RSA key (refused) for each reader.
openssl genpkey -algorithm ed25519 -out "$out/secret_key/openssl-ed25519.pem" 2>/dev/null
openssl genpkey -algorithm ed25519 -aes-128-cbc -pass "pass:$pass" \
    -out "$out/secret_key/openssl-ed25519-enc.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
    -out "$tmp/p256.pem" 2>/dev/null
openssl pkcs8 -topk8 -in "$tmp/p256.pem" -v2 aes-128-cbc -iter 2 -passout "pass:$pass" \
    -out "$out/secret_key/openssl-p256-pkcs8-enc.pem"
openssl pkcs8 -topk8 -in "$tmp/p256.pem" -scrypt -scrypt_N 16 -scrypt_r 1 -scrypt_p 1 \
    -passout "pass:$pass" -out "$out/secret_key/openssl-p256-scrypt.pem"
openssl ec -in "$tmp/p256.pem" -out "$out/secret_key/openssl-p256-sec1.pem" 2>/dev/null
openssl ec -in "$tmp/p256.pem" -aes128 -passout "pass:$pass" \
    -out "$out/secret_key/openssl-p256-sec1-enc.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa.pem" 2>/dev/null
cp "$tmp/rsa.pem" "$out/secret_key/openssl-rsa.pem"
openssl pkey -in "$tmp/rsa.pem" -pubout -out "$out/public_key/rsa.pub"

# Everything derived from the bundles: envelopes, statements, predicates, DER certificates,
# claims files; encrypted modelseal keys with small Argon2id limits (keygen's would be refused
# by the fuzz target's lowered limit).
/usr/bin/python3 - "$out" "$tmp" "$pass" "$vec" <<'EOF'
import base64, json, os, sys
import nacl.bindings as nb
import nacl.pwhash

out, tmp, passphrase, vec = sys.argv[1:5]
bundles = sorted(os.listdir(os.path.join(out, "bundle")))
claims = []
for i, name in enumerate(bundles):
    raw = open(os.path.join(out, "bundle", name), "rb").read()
    try:
        b = json.loads(raw)
    except ValueError:
        continue
    if not isinstance(b, dict):
        continue
    env = b.get("dsseEnvelope")
    vm = b.get("verificationMaterial", {})
    ders = []
    if "certificate" in vm:
        ders.append(vm["certificate"]["rawBytes"])
    for c in vm.get("x509CertificateChain", {}).get("certificates", []):
        ders.append(c["rawBytes"])
    for j, d in enumerate(ders):
        open(os.path.join(out, "x509", "%s-%d.der" % (name, j)), "wb").write(base64.b64decode(d))
    if not env:
        continue
    open(os.path.join(out, "dsse", name), "w").write(json.dumps(env))
    payload = base64.b64decode(env["payload"])
    open(os.path.join(out, "statement", name), "wb").write(payload)
    st = json.loads(payload)
    if isinstance(st.get("predicate"), dict) and st["predicate"]:
        open(os.path.join(out, "predicate", name), "w").write(json.dumps(st["predicate"]))
    if b.get("mediaType", "").endswith("v0.3+json") and name.startswith("own-"):
        claims.append(json.dumps(b, separators=(",", ":")))
golden = os.path.join(vec, "oms/model-transparency-goldens/_signing/testdata/signing/TestPayload")
for name in sorted(os.listdir(golden))[:8]:
    data = open(os.path.join(golden, name), "rb").read()
    open(os.path.join(out, "statement", "golden-" + name), "wb").write(data)
    pred = json.loads(data).get("predicate")
    if pred:
        open(os.path.join(out, "predicate", "golden-" + name), "w").write(json.dumps(pred))
for k in range(1, len(claims) + 1):
    open(os.path.join(out, "claims", "claims-%d.jsonl" % k), "w").write("\n".join(claims[:k]) + "\n")
open(os.path.join(out, "claims", "empty.jsonl"), "w").write("")

# JSON: a sample of every kind of document above, plus small edge cases.
for sub in ("bundle", "statement", "predicate", "dsse"):
    for name in sorted(os.listdir(os.path.join(out, sub)))[:4]:
        data = open(os.path.join(out, sub, name), "rb").read()
        open(os.path.join(out, "json", sub + "-" + name), "wb").write(data)
for k, text in enumerate(['{"a":[1,-2.5e3,true,false,null],"b":{"c":"\\u00e9\\ud83d\\ude00"}}',
                          '[[[[[]]]]]', '"x"', '0', '{"a":1,"a":2}', '{"s":"\\u0000"}']):
    open(os.path.join(out, "json", "edge-%d.json" % k), "w").write(text)

# modelseal secret key records (modelseal-keys(5)), encrypted with small Argon2id limits.
def u64(v): return v.to_bytes(8, "big")
for alg, code in (("ed25519", 1), ("ecdsa-p256", 2), ("ecdsa-p384", 3), ("ecdsa-p521", 4)):
    text = open(os.path.join(tmp, alg + ".key")).read()
    lines = text.strip().splitlines()
    rec = base64.b64decode("".join(lines[1:-1]))
    assert rec[:4] == b"MSSK" and rec[6] == 0
    mlen = int.from_bytes(rec[64:68], "big")
    material = rec[68:68 + mlen]
    ops, mem = 1, 1 << 16
    salt, nonce = os.urandom(16), os.urandom(24)
    header = b"MSSK" + bytes([1, code, 1, 0]) + u64(ops) + u64(mem) + salt + nonce + mlen.to_bytes(4, "big")
    key = nacl.pwhash.argon2id.kdf(32, passphrase.encode(), salt, opslimit=ops, memlimit=mem)
    ct = nb.crypto_aead_xchacha20poly1305_ietf_encrypt(material, header, nonce, key)
    body = base64.b64encode(header + ct).decode()
    armour = [lines[0]] + [body[i:i + 64] for i in range(0, len(body), 64)] + [lines[-1]]
    open(os.path.join(out, "secret_key", alg + "-enc.key"), "w").write("\n".join(armour) + "\n")
EOF
# Policies (modelseal-policy(5)) naming the key files fuzz_policy provides.
cat >"$out/policy/full.json" <<'EOF'
{"version": 1, "expires": "2030-01-01T00:00:00Z",
 "keys": {"release": {"public_key": "keys/release.pub"}, "ci": {"public_key": "keys/ci.pub"},
          "data": {"public_key": "keys/data.pub"},
          "vendor": {"certificate_chain": ["keys/vendor-ca.pem"], "identity": "a@b.example"}},
 "model": {"signers": ["release", "vendor"]},
 "provenance": {"required": true, "signers": ["ci"], "builder_ids": ["https://ci.example/r"],
                "build_types": ["https://modelseal/training/v1"], "allowed_parameters": ["lr"]},
 "datasets": {"signers": ["data"], "required": ["set-a"],
              "data": {"set-a": {"manifest": "set-a.dsm.jsonl.zst", "path": "/data/set-a"}}},
 "code": {"required": false, "uris": ["git+https://example.com/t.git"],
          "refs": ["refs/heads/main", "refs/tags/v*"], "repository": "/srv/t", "allow_dirty": true},
 "base_model": {"required": true, "signers": ["vendor"], "require_provenance": true,
                "max_depth": 8}}
EOF
printf '%s' '{"version":1,"keys":{"k":{"public_key":"keys/ci.pub"}},"model":{"signers":["k"]}}' \
    >"$out/policy/minimal.json"
printf '%s' '{"version":1,"keys":{"k":{"public_key":"keys/data.pub"}},"model":{"signers":["k"]},"provenance":{"required":false,"signers":["k"]},"datasets":{"signers":["k"]}}' \
    >"$out/policy/optional.json"

echo "seeds in $out: $(find "$out" -type f | wc -l) files"
