#!/bin/sh
# --algorithm blake3 (issue 20, part 2): digests equal b3sum's, whole files cut across threads
# as BLAKE3 subtrees give the same digests, bundles carry model_signing's fields for BLAKE3 and
# verify after an independent recomputation (b3sum + Python's hashlib for the root), a bundle
# laid out as model_signing writes it (made here without modelseal) verifies, and the
# refusals.
. "$(dirname "$0")/lib.sh"
set -e

command -v b3sum >/dev/null || {
    echo "SKIP: b3sum missing (Debian package b3sum; scripts/setup installs it)"
    exit 77
}

ms keygen --no-password --output "$T/ed" >/dev/null
# A key of OpenSSL's for the bundles tests/cli/craft_bundle.py signs without modelseal.
openssl genpkey -algorithm ed25519 -out "$T/raw.pem" 2>/dev/null
openssl pkey -in "$T/raw.pem" -pubout -out "$T/raw.pub"

M=$T/model
mkdir -p "$M/sub"
# Sizes at BLAKE3's chunk (1 KiB) boundaries and around the pieces of --buffer-size 4096
# (16 KiB subtrees): a file cut into subtrees must hash as the whole file does.
for n in 0 1 1023 1024 1025 2048 3073 16383 16384 16385 40000 100000; do
    head -c "$n" /dev/urandom >"$M/f$n"
done
head -c 1000001 /dev/urandom >"$M/sub/big.bin"
printf 'config' >"$M/config.json"

# The b3sum lines, in the order hash prints them (full-path byte order).
(cd "$M" && LC_ALL=C find . -type f | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
    b3sum -- "$f"
done) >"$T/theirs"

# One thread (one hasher per file), two and three threads with small pieces (each file longer
# than 16 KiB is hashed as subtrees on different threads and joined), and the default.
for args in "--threads 1" "--threads 2 --buffer-size 4096" "--threads 3 --buffer-size 5000" ""; do
    # shellcheck disable=SC2086
    check_status "hash --algorithm blake3 $args" 0 ms hash --no-progress --algorithm blake3 $args "$M"
    head -n -1 "$OUT" >"$T/ours"
    check_file_eq "blake3 lines equal b3sum ($args)" "$T/ours" "$T/theirs"
done
ROOT_LINE=$(tail -n 1 "$OUT")
# OMS v1.0 6.5.1: the root is SHA-256 over the raw resource digests, whatever their algorithm.
check_eq "root is SHA-256 of the BLAKE3 digests" "$ROOT_LINE" \
    "sha256:$(cut -d' ' -f1 "$T/theirs" | $PY -c 'import hashlib,sys; print(hashlib.sha256(b"".join(bytes.fromhex(l) for l in sys.stdin.read().split())).hexdigest())')  model"
check_status "digest --algorithm blake3" 0 ms digest --algorithm blake3 --threads 2 --buffer-size 4096 "$M"
check_eq "digest prints the same root" "$(cat "$OUT")" "${ROOT_LINE%  model}"

# A one-file model: its single resource, cut across threads.
check_status "hash of a single file" 0 ms hash --algorithm blake3 --threads 2 --buffer-size 4096 "$M/sub/big.bin"
check_eq "single-file digest equals b3sum" "$(head -n 1 "$OUT" | cut -d' ' -f1)" "$(b3sum --no-names "$M/sub/big.bin")"

# ---- sign and verify ------------------------------------------------------------------------
check_status "sign --algorithm blake3" 0 ms sign --key "$T/ed.key" --algorithm blake3 --threads 2 --buffer-size 4096 "$M"
# model_signing's fields for BLAKE3 (its file serialization; BLAKE3 is never sharded), every
# digest recomputed with b3sum, and the subject's root with hashlib.sha256.
cat >"$T/recompute.py" <<'PY'
import base64, hashlib, json, os, subprocess, sys
sig, root = sys.argv[1:3]
bundle = json.load(open(sig))
st = json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
pred = st["predicate"]
assert st["predicateType"] == "https://model_signing/signature/v1.0", st["predicateType"]
ser = pred["serialization"]
assert ser["method"] == "files" and ser["hash_type"] == "blake3" and "shard_size" not in ser, ser
h = hashlib.sha256()
for r in pred["resources"]:
    assert sorted(r) == ["algorithm", "digest", "name"] and r["algorithm"] == "blake3", r
    out = subprocess.run(["b3sum", "--no-names", "--", os.path.join(root, r["name"])],
                         capture_output=True, check=True).stdout.decode().strip()
    assert r["digest"] == out, (r["name"], r["digest"], out)
    h.update(bytes.fromhex(r["digest"]))
assert st["subject"][0]["digest"] == {"sha256": h.hexdigest()}, (st["subject"], h.hexdigest())
print(len(pred["resources"]))
PY
run $PY "$T/recompute.py" "$M/model.sig" "$M"
check_eq "bundle recomputed with b3sum + hashlib.sha256" "$STATUS $(cat "$OUT")" "0 14"
check_status "verify" 0 ms verify --key "$T/ed.pub" "$M"
check_status "verify, two threads, small pieces" 0 ms verify --key "$T/ed.pub" --threads 2 --buffer-size 4096 "$M"
check_status "inspect shows the hash type" 0 ms inspect "$M/model.sig"
grep -q 'blake3' "$OUT" && pass || fail "inspect names blake3"

cp -r "$M" "$T/changed"
printf 'X' | dd of="$T/changed/sub/big.bin" bs=1 seek=600000 conv=notrunc 2>/dev/null
check_fails "a changed byte in the middle of a tree-hashed file" 1 "sub/big.bin" \
    ms verify --key "$T/ed.pub" --threads 2 --buffer-size 4096 "$T/changed"

# ---- a bundle as model_signing writes it, made without modelseal ----------------------------
# model_signing 1.1 with hashing_algorithm="blake3": method "files", hash_type "blake3", each
# resource {"algorithm": "blake3", "digest", "name"}, the subject the SHA-256 root. Digests from
# b3sum, signed by tests/cli/craft_bundle.py (pyca/cryptography).
# One Python process writes and signs every variant: "good" as above, then the mismatches.
$PY - "$M" "$T" "$SRCDIR/tests/cli" <<'PY'
import copy, hashlib, json, os, subprocess, sys
root, tmp, helpers = sys.argv[1:4]
sys.path.insert(0, helpers)
import craft_bundle
names = sorted((os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs
                if f != "model.sig"), key=lambda p: p.encode())
out = subprocess.run(["b3sum", "--no-names", "--"] + [os.path.join(root, n) for n in names],
                     capture_output=True, check=True).stdout.decode().split()
good = {"serialization": {"method": "files", "hash_type": "blake3", "allow_symlinks": False,
                          "ignore_paths": [".git", ".gitattributes", ".github", ".gitignore"]},
        "resources": [{"algorithm": "blake3", "digest": d, "name": n} for n, d in zip(names, out)]}
variants = {"good": good}
v = variants["shards"] = copy.deepcopy(good)
v["serialization"] = {"method": "shards", "hash_type": "blake3", "shard_size": 1000000000,
                      "allow_symlinks": False}
v = variants["sha256-names"] = copy.deepcopy(good)
for r in v["resources"]:
    r["algorithm"] = "sha256"
v = variants["long"] = copy.deepcopy(good)
for r in v["resources"]:
    r["digest"] *= 2
v = variants["type-sha256"] = copy.deepcopy(good)
v["serialization"]["hash_type"] = "sha256"
for mode, pred in variants.items():
    h = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in pred["resources"]))
    st = {"_type": "https://in-toto.io/Statement/v1",
          "subject": [{"name": os.path.basename(root), "digest": {"sha256": h.hexdigest()}}],
          "predicateType": "https://model_signing/signature/v1.0", "predicate": pred}
    with open(f"{tmp}/stmt-{mode}.json", "w") as f:
        json.dump(st, f)
    sys.argv = ["craft_bundle.py", f"{tmp}/raw.pem", f"{tmp}/stmt-{mode}.json", f"{tmp}/{mode}.sig"]
    craft_bundle.main()
PY
check_status "verify a model_signing-layout BLAKE3 bundle" 0 \
    ms verify --key "$T/raw.pub" --signature "$T/good.sig" "$M"
check_status "... cut across threads" 0 \
    ms verify --key "$T/raw.pub" --signature "$T/good.sig" --threads 2 --buffer-size 4096 "$M"
check_fails "... over a changed model" 1 "sub/big.bin" \
    ms verify --key "$T/raw.pub" --signature "$T/good.sig" "$T/changed"

# ---- refusals -------------------------------------------------------------------------------
check_fails "a BLAKE3 shards bundle" 2 'hash_type "blake3" with method "shards"' \
    ms verify --key "$T/raw.pub" --signature "$T/shards.sig" "$M"
check_fails "hash_type blake3, resources named sha256" 2 'algorithm "sha256", expected "blake3"' \
    ms verify --key "$T/raw.pub" --signature "$T/sha256-names.sig" "$M"
check_fails "hash_type blake3, 64-byte digests" 2 "digest is not 64 lowercase hex digits" \
    ms verify --key "$T/raw.pub" --signature "$T/long.sig" "$M"
check_fails "hash_type sha256, resources named blake3" 2 'algorithm "blake3", expected "sha256"' \
    ms verify --key "$T/raw.pub" --signature "$T/type-sha256.sig" "$M"
check_fails "--algorithm BLAKE3 (names are lower case)" 2 \
    "--algorithm: expected sha256, blake2b or blake3, not 'BLAKE3'" ms hash --algorithm BLAKE3 "$M"
check_fails "--algorithm blake3-256" 2 "--algorithm: expected sha256, blake2b or blake3, not 'blake3-256'" \
    ms digest --algorithm blake3-256 "$M"
check_fails "sign --method shards --algorithm blake3" 2 "blake3 hashes each file whole" \
    ms sign --key "$T/ed.key" --method shards --algorithm blake3 --signature "$T/no.sig" "$M"
[ ! -e "$T/no.sig" ] && pass || fail "no signature written after the refusal"
check_fails "--from-lfs-pointers with blake3" 2 "--from-lfs-pointers needs --method files and --algorithm sha256" \
    ms digest --from-lfs-pointers --algorithm blake3 "$M"
check_fails "dataset manifest --algorithm b3" 2 "--algorithm: expected sha256, blake2b or blake3, not 'b3'" \
    ms dataset manifest --name n --algorithm b3 "$M"

# ---- dataset manifest and verify --------------------------------------------------------------
# --buffer-size 4096: files over 16 KiB (sub/big.bin, 1000001 bytes, and others) are cut into
# BLAKE3 subtrees on the streaming engine's threads, as hash and sign cut them.
check_status "dataset manifest --algorithm blake3" 0 \
    ms dataset manifest --name b3 --algorithm blake3 --threads 2 --buffer-size 4096 \
    --output "$T/b3.dsm.jsonl.zst" "$M"
zstd -q -dc "$T/b3.dsm.jsonl.zst" >"$T/b3.jsonl"
run $PY - "$T/b3.jsonl" "$M" <<'PY'
import json, os, subprocess, sys
lines = open(sys.argv[1]).read().splitlines()
assert json.loads(lines[0])["algorithm"] == "blake3"
for l in lines[1:]:
    e = json.loads(l)
    want = subprocess.run(["b3sum", "--no-names", "--", os.path.join(sys.argv[2], e["path"])],
                          capture_output=True, check=True).stdout.decode().strip()
    assert e["digest"] == want, (e, want)
print(len(lines) - 1)
PY
check_eq "dataset digests equal b3sum" "$STATUS $(cat "$OUT")" "0 15"
check_status "dataset verify (algorithm from the manifest)" 0 ms dataset verify "$T/b3.dsm.jsonl.zst" "$M"
check_status "dataset verify, files cut across threads" 0 \
    ms dataset verify --threads 3 --buffer-size 5000 "$T/b3.dsm.jsonl.zst" "$M"
check_fails "dataset verify over a changed file" 1 "sub/big.bin" \
    ms dataset verify "$T/b3.dsm.jsonl.zst" "$T/changed"

finish
