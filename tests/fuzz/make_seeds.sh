#!/bin/sh
# Make the raw seed inputs of every fuzz target from the test vectors and from modelseal's own
# output, into OUT/<name>/ (not minimised: run `tests/fuzz/fuzz_<name> -merge=1
# tests/fuzz/corpus/<name> OUT/<name>` on a fresh corpus directory to keep what adds coverage).
# Usage: MODELSEAL=build/release/modelseal sh tests/fuzz/make_seeds.sh OUT
# Needs openssl, zstd, git and /usr/bin/python3 with PyNaCl (python3-nacl).
set -eu
out=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
vec=${MS_VECTORS:-$top/tests/vectors}
ms=${MODELSEAL:-$top/build/release/modelseal}
pass=fuzz-passphrase # the passphrase fuzz_secret_key answers with
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in bundle statement json predicate public_key secret_key x509 dsse claims policy dataset \
    trusted_root checkpoint rfc3161 provenance lineage sigstore_bundle git_index cache pkcs11_uri kms_answers; do
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
# Digest caches (modelseal-cache(5)) of sign --incremental, files and shards, with the model line
# fuzz_cache expects (device 1, /fuzz/model).
fuzz_model=$(printf /fuzz/model | od -An -tx1 | tr -d ' \n')
for how in "files" "shards --shard-size 3" "shards --shard-size 3 --algorithm blake2b"; do
    rm -rf "$tmp/xdg"
    sleep 0.2 # past the racily clean window, so that the second run reuses
    XDG_CACHE_HOME=$tmp/xdg "$ms" sign --incremental --key "$tmp/ed25519.key" --method $how \
        --signature "$tmp/cache.sig" "$tmp/model" >/dev/null
    name=$(echo "$how" | tr -c 'a-z0-9\n' -)
    sed "2s/.*/model 1 $fuzz_model/" "$tmp"/xdg/modelseal/*.cache >"$out/cache/$name.cache"
done
printf 'modelseal-cache 1\nmodel 1 %s\nsettings sha256 files 0\nstamp 0 0\nfiles 0\nend\n' \
    "$fuzz_model" >"$out/cache/empty.cache"
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

# ---- targets of the datasets, provenance, lineage and Sigstore modules ----------------------
# Dataset manifests: fuzz_dataset's first byte is 1 for JSON Lines text (compressed by the
# target) and 0 for a zstd stream as it is.
mkdir -p "$tmp/ds/sub" "$tmp/ds2/x y" "$tmp/ds3/deep/er"
printf 'a' >"$tmp/ds/a.txt"
printf 'bb' >"$tmp/ds/sub/b.bin"
: >"$tmp/ds/empty"
printf 'caf\303\251' >"$tmp/ds2/x y/$(printf 'caf\303\251').txt"
printf '{}' >"$tmp/ds2/z.json"
printf 'q' >"$tmp/ds3/deep/er/q.txt"
"$ms" dataset manifest --name set --version 1.0 --source https://data.example/set \
    --license CC-BY-4.0 --output "$tmp/set.dsm.jsonl.zst" "$tmp/ds" >/dev/null
"$ms" dataset manifest --name "set two" --algorithm blake2b --output "$tmp/set2.dsm.jsonl.zst" \
    "$tmp/ds2" >/dev/null
"$ms" dataset manifest --name one --output "$tmp/set3.dsm.jsonl.zst" "$tmp/ds3" >/dev/null
# An ignore list in the header: a directory and a file left out, a .git kept (data).
mkdir -p "$tmp/ds4/cache/x" "$tmp/ds4/.git" "$tmp/ds4/keep"
printf 'c' >"$tmp/ds4/cache/x/c"
printf 'h' >"$tmp/ds4/.git/HEAD"
printf 'k' >"$tmp/ds4/keep/k.txt"
printf 'k' >"$tmp/ds4/cache.txt"
printf 'l' >"$tmp/ds4/local.tmp"
"$ms" dataset manifest --name ign --ignore cache --ignore local.tmp \
    --output "$tmp/set4.dsm.jsonl.zst" "$tmp/ds4" >/dev/null
for m in set set2 set3 set4; do
    { printf '\000'; cat "$tmp/$m.dsm.jsonl.zst"; } >"$out/dataset/$m-zst"
    { printf '\001'; zstd -qdc "$tmp/$m.dsm.jsonl.zst"; } >"$out/dataset/$m-text"
done
# Two frames: the header in one, the file lines in the next.
zstd -qdc "$tmp/set.dsm.jsonl.zst" | head -n 1 | zstd -q -c >"$tmp/frames"
zstd -qdc "$tmp/set.dsm.jsonl.zst" | tail -n +2 | zstd -q -c >>"$tmp/frames"
{ printf '\000'; cat "$tmp/frames"; } >"$out/dataset/set-frames"
# Partial manifests (dataset manifest --partition): a share with files, an empty share.
"$ms" dataset manifest --name set --partition 1/3 --output "$tmp/part1.zst" "$tmp/ds" >/dev/null
"$ms" dataset manifest --name one --partition 0/2 --output "$tmp/part0.zst" "$tmp/ds3" >/dev/null
"$ms" dataset manifest --name one --partition 1/2 --output "$tmp/part1b.zst" "$tmp/ds3" >/dev/null
for m in part1 part0 part1b; do
    { printf '\000'; cat "$tmp/$m.zst"; } >"$out/dataset/$m-zst"
    { printf '\001'; zstd -qdc "$tmp/$m.zst"; } >"$out/dataset/$m-text"
done

# Provenance statements: attest a model with every kind of dependency, with and without git.
"$ms" dataset sign --key "$tmp/ed25519.key" "$tmp/set.dsm.jsonl.zst" >/dev/null
mkdir -p "$tmp/pm" "$tmp/base"
printf 'w' >"$tmp/pm/w.bin"
printf 'base' >"$tmp/base/b.bin"
"$ms" sign --key "$tmp/ed25519.key" "$tmp/base" >/dev/null
"$ms" sign --key "$tmp/ed25519.key" "$tmp/pm" >/dev/null
printf '{"epochs": 3, "lr": 0.0003, "layers": [1, 2], "opt": {"name": "adam"}}\n' >"$tmp/params.json"
"$ms" attest provenance --key "$tmp/ed25519.key" --builder-id https://ci.example/runner \
    --no-git --params "$tmp/params.json" --param seed=42 --dataset "$tmp/set.dsm.jsonl.zst" \
    --base-model "$tmp/base" --dependency pkg:pypi/torch@2.5.1 \
    --dependency "pkg:pypi/numpy@2.0.0=sha256:$(printf '%064d' 7)" --invocation-id run-1 \
    --started-on 2025-01-31T12:00:00Z --finished-on 2025-01-31T13:00:00.5+01:00 "$tmp/pm" \
    >/dev/null
git init -q -b main "$tmp/code"
git -C "$tmp/code" config user.name Fuzz
git -C "$tmp/code" config user.email fuzz@example.com
git -C "$tmp/code" remote add origin https://git.example.com/train.git
printf 'print(1)\n' >"$tmp/code/train.py"
git -C "$tmp/code" add -A
git -C "$tmp/code" commit -qm train
"$ms" attest provenance --key "$tmp/ecdsa-p256.key" --builder-id https://ci.example/other \
    --build-type https://example.com/build/v2 --git-repo "$tmp/code" "$tmp/pm" >/dev/null

# Lineage: a repository with a tracked model (with the claims above) and dataset, two commits.
repo=$tmp/repo
git init -q -b main "$repo"
git -C "$repo" config user.name Fuzz
git -C "$repo" config user.email fuzz@example.com
mkdir -p "$repo/models" "$repo/keys" "$repo/data"
cp -r "$tmp/pm" "$repo/models/m"
cp "$tmp/ed25519.pub" "$repo/keys/ed.pub"
cp "$tmp/set.dsm.jsonl.zst" "$tmp/set.dsm.jsonl.zst.sig" "$repo/data/"
printf '%s\n' '{"version":1,"models":[{"path":"models/m","key":"keys/ed.pub"}],"datasets":[{"path":"data/*.dsm.jsonl.zst","key":"keys/ed.pub"}]}' \
    >"$repo/.modelseal.json"
git -C "$repo" add -A
git -C "$repo" commit -qm one
(cd "$repo" && "$ms" lineage record --print --dry-run) >"$tmp/note1"
printf 'x' >"$repo/models/m/w.bin"
git -C "$repo" rm -q data/set.dsm.jsonl.zst.sig
git -C "$repo" commit -qam two
(cd "$repo" && "$ms" lineage record --print --dry-run) >"$tmp/note2"

# git's index file in each format, over the paths fuzz_git_index looks up: version 2; 3 (an
# intent-to-add and a skip-worktree entry: extended flags); 4 (prefix-compressed names); one
# with the stages of a conflict; one with an all-zero checksum (index.skipHash).
gi=$tmp/gitindex
git init -q "$gi"
git -C "$gi" config user.name Fuzz
git -C "$gi" config user.email fuzz@example.com
mkdir -p "$gi/b/d" "$gi/m" "$gi/zz"
for f in .gitattributes a.bin b/c.bin b/d/e.bin m/.gitattributes m/w.bin zz/y.bin; do
    printf '%s\n' "$f" >"$gi/$f"
done
git -C "$gi" add -A
cp "$gi/.git/index" "$out/git_index/v2-no-tree"
git -C "$gi" commit -qm one
cp "$gi/.git/index" "$out/git_index/v2"
printf 'z\n' >"$gi/z.bin"
git -C "$gi" add -N z.bin
git -C "$gi" update-index --skip-worktree b/c.bin
cp "$gi/.git/index" "$out/git_index/v3"
git -C "$gi" update-index --index-version 4
cp "$gi/.git/index" "$out/git_index/v4"
git -C "$gi" update-index --index-version 2 --no-skip-worktree b/c.bin
git -C "$gi" rm -q --cached z.bin
# (as git >= 2.40 writes with index.skipHash: the same bytes, an all-zero checksum)
size=$(wc -c <"$gi/.git/index")
{ head -c $((size - 20)) "$gi/.git/index"; head -c 20 /dev/zero; } >"$out/git_index/v2-skiphash"
git -C "$gi" checkout -qb side
printf 'side\n' >"$gi/m/w.bin"
git -C "$gi" commit -qam side
git -C "$gi" checkout -q -
printf 'main\n' >"$gi/m/w.bin"
git -C "$gi" commit -qam main
git -C "$gi" merge -q side >/dev/null 2>&1 || true
cp "$gi/.git/index" "$out/git_index/v2-conflict"

/usr/bin/python3 - "$out" "$tmp" "$vec" "$top" <<'EOF'
import base64, glob, hashlib, json, os, subprocess, sys
import nacl.signing

out, tmp, vec, top = sys.argv[1:5]
def put(sub, name, data):
    if isinstance(data, str):
        data = data.encode()
    open(os.path.join(out, sub, name), "wb").write(data)

# Provenance: the statements of the claims file (and one of every other claim type).
for i, line in enumerate(open(os.path.join(tmp, "pm", "claims.jsonl"))):
    b = json.loads(line)
    put("provenance", "claim-%d.json" % i, base64.b64decode(b["dsseEnvelope"]["payload"]))

# Lineage (first byte: 0 config, 1 LFS pointer, 2 glob NUL path, 3 digest, 4 note).
commit = "0123456789abcdef0123456789abcdef01234567"
for k in (1, 2):
    note = json.loads(open(os.path.join(tmp, "note%d" % k)).read())
    note["commit"] = commit
    put("lineage", "note-%d" % k, b"\x04" + json.dumps(note, separators=(",", ":")).encode())
put("lineage", "config-full", b"\x00" + open(os.path.join(tmp, "repo", ".modelseal.json"), "rb").read())
put("lineage", "config-min", b"\x00" + b'{"version": 1}')
put("lineage", "config-models", b"\x00" + b'{"version":1,"models":[{"path":"a/b"},{"path":"c.bin","key":"k/c.pub"}],"datasets":[{"path":"d/[!x]?/*.zst"},{"path":"e/[a-c]*"}]}')
oid = hashlib.sha256(b"weights").hexdigest()
put("lineage", "lfs", b"\x01version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 7\n" % oid.encode())
put("lineage", "lfs-zero", b"\x01version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 0\n" % oid.encode())
for i, (pat, path) in enumerate([("data/*.dsm.jsonl.zst", "data/a.dsm.jsonl.zst"),
                                 ("d/[!x]?/*", "d/ab/c"), ("[a-c]*/x?", "b1/xy"), ("a/[]]b", "a/]b")]):
    put("lineage", "glob-%d" % i, b"\x02" + pat.encode() + b"\x00" + path.encode())
put("lineage", "digest-prefixed", b"\x03sha256:" + oid.encode())
put("lineage", "digest-upper", b"\x03" + oid.upper().encode())

# Trusted roots: the vectors' and the installed ones.
for f in sorted(glob.glob(os.path.join(vec, "sigstore", "*trusted_root.json")) +
                glob.glob(os.path.join(top, "keys", "*trusted_root.json"))):
    put("trusted_root", os.path.basename(os.path.dirname(f)) + "-" + os.path.basename(f),
        open(f, "rb").read())

# Sigstore bundles, and what their tlog entries and timestamps hold.
bundles = sorted(glob.glob(os.path.join(vec, "oms", "model-transparency-releases", "*-sigstore", "model.sig")))
bundles += [os.path.join(vec, "oms", "spec-v1.0", "test-vectors", "v1.0", "valid", "sigstore.bundle.json")]
# sigstore-conformance: a managed-key bundle with a Rekor entry and a TSA timestamp (it verifies
# in fuzz_sigstore_bundle's key mode), message signatures from Rekor v1 and v2, a DSSE one.
bundles += [os.path.join(vec, "conformance", "bundle-verify", d, "bundle.sigstore.json")
            for d in ("managed-key-happy-path", "happy-path-v0.3", "rekor2-happy-path",
                      "happy-path-intoto-in-dsse-v3")]
for i, f in enumerate(bundles):
    raw = open(f, "rb").read()
    put("sigstore_bundle", "vector-%d.json" % i, raw)
    vm = json.loads(raw).get("verificationMaterial", {})
    for j, e in enumerate(vm.get("tlogEntries", [])):
        cp = e.get("inclusionProof", {}).get("checkpoint", {}).get("envelope")
        if cp:
            put("checkpoint", "rekor-%d-%d" % (i, j), cp)
    for j, t in enumerate(vm.get("timestampVerificationData", {}).get("rfc3161Timestamps", [])):
        der = base64.b64decode(t["signedTimestamp"])
        put("rfc3161", "response-%d-%d.der" % (i, j), der)
        resp = os.path.join(tmp, "resp.der")
        open(resp, "wb").write(der)
        tok = os.path.join(out, "rfc3161", "token-%d-%d.der" % (i, j))
        subprocess.run(["openssl", "ts", "-reply", "-in", resp, "-token_out", "-out", tok],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

# Checkpoints signed by fuzz_checkpoint's Ed25519 test log (seed bytes 1..32, log ID the
# SHA-256 of its SubjectPublicKeyInfo), with extension lines and cosignatures.
sk = nacl.signing.SigningKey(bytes(range(1, 33)))
spki = bytes.fromhex("302a300506032b6570032100") + bytes(sk.verify_key)
log_id = hashlib.sha256(spki).digest()
other = nacl.signing.SigningKey(bytes(range(101, 133)))
def note(body, signers):
    lines = ""
    for name, key, kid in signers:
        sig = key.sign(body.encode()).signature
        lines += "\u2014 %s %s\n" % (name, base64.b64encode(kid + sig).decode())
    return body + "\n" + lines
root = base64.b64encode(hashlib.sha256(b"root").digest()).decode()
me = ("log.fuzz.example", sk, log_id[:4])
witness = ("witness.example/w1", other, b"\x01\x02\x03\x04")
put("checkpoint", "ed25519", note("log.fuzz.example - 1\n12345\n%s\n" % root, [me]))
put("checkpoint", "ed25519-ext", note("log.fuzz.example - 1\n1\n%s\nextension line\n" % root, [witness, me]))
put("checkpoint", "ed25519-bad", note("log.fuzz.example - 1\n0\n%s\n" % root, [("log.fuzz.example", other, log_id[:4])]))
EOF

# PKCS#11 URIs (RFC 7512): every attribute we read, escapes, vendor attributes, and refusals.
i=0
for u in 'pkcs11:token=ms;object=release-key?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=1234' \
    'pkcs11:token=My%20Token;id=%01%02%ff;type=private?pin-source=file:/run/pin' \
    'pkcs11:manufacturer=SoftHSM%20project;serial=abc;model=SoftHSM%20v2;slot-id=3;slot-description=x;slot-manufacturer=y;library-manufacturer=z;library-description=w;library-version=2.6?module-name=softhsm2&x-vendor=1' \
    'pkcs11:' 'pkcs11:object=a;object=b' 'pkcs11:object=%zz'; do
    printf '%s' "$u" >"$out/pkcs11_uri/uri-$i"
    i=$((i + 1))
done

# Key services' answers (fuzz_kms_answers: the first byte picks the parser): Vault's key and
# signatures, AWS KMS's GetPublicKey and Sign, with real keys, and some refusals.
/usr/bin/python3 - "$out/kms_answers" <<'EOF'
import base64, json, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
out = sys.argv[1]
def put(name, which, doc):
    open(f"{out}/{name}", "wb").write(bytes([which]) + json.dumps(doc).encode())
p256 = ec.generate_private_key(ec.SECP256R1())
ed = ed25519.Ed25519PrivateKey.generate()
pem = p256.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
der = p256.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
edraw = ed.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
sig = p256.sign(b"x" * 32, ec.ECDSA(hashes.SHA256()))
edsig = ed.sign(b"message")
put("vault-key-p256", 0, {"data": {"type": "ecdsa-p256", "latest_version": 2, "supports_signing": True,
    "keys": {"1": {"public_key": pem}, "2": {"public_key": pem, "name": "P-256"}}}})
put("vault-key-ed25519", 0, {"data": {"type": "ed25519", "latest_version": 1,
    "keys": {"1": {"public_key": base64.b64encode(edraw).decode()}}}})
put("vault-key-aes", 0, {"data": {"type": "aes256-gcm96", "latest_version": 1, "keys": {"1": 1767225600}}})
put("vault-sig-p256", 1, {"data": {"signature": "vault:v3:" + base64.b64encode(sig).decode(), "key_version": 3}})
put("vault-sig-old", 1, {"data": {"signature": "vault:v2:" + base64.b64encode(sig).decode()}})
put("vault-sig-ed25519", 2, {"data": {"signature": "vault:v3:" + base64.b64encode(edsig).decode(), "key_version": 3}})
put("vault-errors", 0, {"errors": ["permission denied"]})
arn = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
put("aws-public-key", 3, {"KeyId": arn, "PublicKey": base64.b64encode(der).decode(), "KeySpec": "ECC_NIST_P256",
    "CustomerMasterKeySpec": "ECC_NIST_P256", "KeyUsage": "SIGN_VERIFY", "SigningAlgorithms": ["ECDSA_SHA_256"]})
put("aws-public-key-rsa", 3, {"KeyId": arn, "PublicKey": "AAAA", "KeySpec": "RSA_2048", "KeyUsage": "SIGN_VERIFY"})
put("aws-sign", 4, {"KeyId": arn, "Signature": base64.b64encode(sig).decode(), "SigningAlgorithm": "ECDSA_SHA_256"})
put("aws-sign-other", 4, {"KeyId": arn.replace("1234abcd", "5678abcd"), "Signature": base64.b64encode(sig).decode()})
put("aws-error", 4, {"__type": "com.amazonaws.kms#NotFoundException", "message": "Key does not exist"})
EOF

echo "seeds in $out: $(find "$out" -type f | wc -l) files"
