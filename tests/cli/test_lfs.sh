#!/bin/sh
# git LFS pointers (issue 18 §3): refused by sign, hash and digest unless --allow-lfs-pointers;
# with --from-lfs-pointers a pointer stands for its content (its oid is the file's digest), so a
# clone without LFS content signs and verifies as the downloaded model does.
. "$(dirname "$0")/lib.sh"
set -e

if ! command -v git-lfs >/dev/null 2>&1; then
    echo "test_lfs.sh: git-lfs is not installed (scripts/setup installs it)"
    exit 77
fi
HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
git config --global user.email test@example.com
git config --global user.name test
git config --global init.defaultBranch main
ms keygen --no-password -o "$T/k" >/dev/null

MSG="a git LFS pointer, not the file's content (run 'git lfs pull', or sign from pointers with --from-lfs-pointers)"

# --- pointer files made by git lfs pointer --------------------------------------------------------
P=$T/pointers
mkdir -p "$P"
head -c 3000 /dev/urandom >"$T/weights.bin"
git lfs pointer --file="$T/weights.bin" >"$P/weights.bin" 2>/dev/null
printf 'cfg' >"$P/config.json"
check_fails "digest refuses a pointer" 2 "$P/weights.bin: $MSG" ms digest "$P"
check_fails "hash refuses a pointer" 2 "$P/weights.bin: $MSG" ms hash "$P"
check_fails "sign refuses a pointer" 2 "$P/weights.bin: $MSG" ms sign --key "$T/k.key" "$P"
[ ! -e "$P/model.sig" ] && pass || fail "no signature written"
check_fails "a single-file pointer" 2 "$P/weights.bin: $MSG" ms digest "$P/weights.bin"
# Found in the bytes hashed (shards of a pointer's size or more), or looked at before hashing when
# shards smaller than a pointer split it.
check_fails "shards refuse a pointer" 2 "$P/weights.bin: $MSG" ms digest --method shards "$P"
check_fails "small shards refuse a pointer" 2 "$P/weights.bin: $MSG" ms digest --method shards --shard-size 64 "$P"
check_status "small shards --allow-lfs-pointers" 0 ms digest --method shards --shard-size 64 --allow-lfs-pointers "$P"
# The first pointer in resource order is the one named, whichever thread found it first.
mkdir -p "$T/many"
for i in 1 2 3 4 5 6 7 8 9; do printf 'not a pointer %s' "$i" >"$T/many/a$i"; cp "$P/weights.bin" "$T/many/p$i"; done
check_fails "the first pointer is named" 2 "$T/many/p1: $MSG" ms digest --threads 4 "$T/many"
# A pointer kept as a Hugging Face snapshot's blob: refused as the same file downloaded is.
HR=$T/hub/models--acme--lfs
mkdir -p "$HR/blobs" "$HR/snapshots/r1"
cp "$P/weights.bin" "$HR/blobs/b1"
ln -s ../../blobs/b1 "$HR/snapshots/r1/weights.bin"
check_fails "a pointer as a snapshot's blob" 2 "$HR/snapshots/r1/weights.bin: $MSG" ms digest "$HR/snapshots/r1"
check_status "a pointer as a snapshot's blob, --from-lfs-pointers" 0 ms hash --from-lfs-pointers "$HR/snapshots/r1"
check_eq "the snapshot's pointer stands for the content" "$(grep '  weights.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$T/weights.bin" | cut -d' ' -f1)"
check_status "hash --allow-lfs-pointers" 0 ms hash --allow-lfs-pointers "$P"
check_eq "the pointer's own bytes are hashed" "$(grep '  weights.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$P/weights.bin" | cut -d' ' -f1)"
check_status "hash --from-lfs-pointers" 0 ms hash --from-lfs-pointers "$P"
check_eq "the pointer stands for the content" "$(grep '  weights.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$T/weights.bin" | cut -d' ' -f1)"
check_fails "--from-lfs-pointers, shards" 2 "--from-lfs-pointers needs --method files and --algorithm sha256" ms digest --from-lfs-pointers --method shards "$P"
check_fails "--from-lfs-pointers, blake2b" 2 "--from-lfs-pointers needs --method files and --algorithm sha256" ms sign --key "$T/k.key" --from-lfs-pointers --algorithm blake2b "$P"
check_fails "both flags" 2 "exclude each other" ms digest --from-lfs-pointers --allow-lfs-pointers "$P"

# dataset manifest: refused too, unless --allow-lfs-pointers.
check_fails "dataset manifest refuses a pointer" 2 "$P/weights.bin: $MSG" ms dataset manifest --name p --output "$T/p.manifest" "$P"
[ ! -e "$T/p.manifest" ] && pass || fail "no manifest written"
check_status "dataset manifest --allow-lfs-pointers" 0 ms dataset manifest --name p --allow-lfs-pointers --output "$T/p.manifest" "$P"
check_status "and it verifies" 0 ms dataset verify "$T/p.manifest" "$P"
# A file written just now (the engine's careful path) is looked at too.
cp "$P/weights.bin" "$P/fresh.bin"
check_fails "dataset manifest refuses a fresh pointer" 2 "$MSG" ms dataset manifest --name p --output "$T/p2.manifest" "$P"
rm "$P/fresh.bin"

# Extension lines (LFS v1 pointer format) are part of a pointer.
OID=$(sha256sum "$T/weights.bin" | cut -d' ' -f1)
E=$T/ext
mkdir -p "$E"
printf 'version https://git-lfs.github.com/spec/v1\next-0-foo sha256:%s\noid sha256:%s\nsize 3000\n' "$OID" "$OID" >"$E/w.bin"
check_fails "a pointer with an extension line" 2 "$E/w.bin: $MSG" ms digest "$E"

# Malformed pointers are ordinary files: bad hex, an extra line, more than 1024 bytes.
B=$T/bad
mkdir -p "$B"
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 3000\n' "$(printf '%s' "$OID" | tr 'a-f' 'A-F')" >"$B/hex.bin"
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 3000\nextra line\n' "$OID" >"$B/extra.bin"
{ printf 'version https://git-lfs.github.com/spec/v1\n'; i=0; while [ $i -lt 12 ]; do printf 'ext-%d-x%0100d sha256:%s\n' $((i % 10)) 0 "$OID"; i=$((i + 1)); done; printf 'oid sha256:%s\nsize 3000\n' "$OID"; } >"$B/big.bin"
[ "$(wc -c <"$B/big.bin")" -gt 1024 ] && pass || fail "big pointer is big"
check_status "malformed pointers are ordinary files" 0 ms hash "$B"
check_eq "hex.bin hashed as it is" "$(grep '  hex.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$B/hex.bin" | cut -d' ' -f1)"
check_eq "extra.bin hashed as it is" "$(grep '  extra.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$B/extra.bin" | cut -d' ' -f1)"
check_eq "big.bin hashed as it is" "$(grep '  big.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$B/big.bin" | cut -d' ' -f1)"
check_status "malformed pointers: dataset manifest" 0 ms dataset manifest --name b --output "$T/b.manifest" "$B"
check_status "malformed pointers under --from-lfs-pointers" 0 ms hash --from-lfs-pointers "$B"
check_eq "hex.bin still its own bytes" "$(grep '  hex.bin$' "$OUT" | cut -d' ' -f1)" "$(sha256sum "$B/hex.bin" | cut -d' ' -f1)"

# --- a real repository with LFS filters: a pointer-only clone and the smudged tree ----------------
R=$T/repo
git init -q "$R"
(
    cd "$R"
    git lfs install --local >/dev/null
    git lfs track '*.safetensors' '*.bin' >/dev/null
    head -c 200000 /dev/urandom >model.safetensors
    mkdir -p sub
    head -c 5000 /dev/urandom >sub/extra.bin
    printf '{"hidden": 8}' >config.json
    git add . && git commit -qm model
)
head -c 60 "$R/model.safetensors" | grep -q '^version https://git-lfs' && fail "the working tree holds content" || pass
GIT_LFS_SKIP_SMUDGE=1 git clone -q "file://$R" "$T/clone"
grep -q '^version https://git-lfs.github.com/spec/v1$' "$T/clone/model.safetensors" && pass || fail "the clone holds pointers"
run ms digest "$R"
FULL=$(cut -d' ' -f1 "$OUT")
check_status "digest --from-lfs-pointers on the pointer clone" 0 ms digest --from-lfs-pointers "$T/clone"
check_eq "pointer clone = smudged tree" "$(cut -d' ' -f1 "$OUT")" "$FULL"
check_fails "plain digest of the clone refuses" 2 "$MSG" ms digest "$T/clone"
check_status "sign --from-lfs-pointers" 0 ms sign --key "$T/k.key" --from-lfs-pointers --signature "$T/clone.sig" "$T/clone"
check_status "that signature verifies the downloaded model" 0 ms verify --key "$T/k.pub" --signature "$T/clone.sig" "$R"
check_status "sign the downloaded model" 0 ms sign --key "$T/k.key" --signature "$T/full.sig" "$R"
check_status "verify --from-lfs-pointers: the clone names the signed content" 0 ms verify --key "$T/k.pub" --from-lfs-pointers --signature "$T/full.sig" "$T/clone"
check_fails "plain verify of the pointer clone" 1 "model.safetensors" ms verify --key "$T/k.pub" --signature "$T/full.sig" "$T/clone"
# A pointer whose oid disagrees with the signature: named.
OTHER=$(printf 'other' | sha256sum | cut -d' ' -f1)
sed -i "s/^oid sha256:.*/oid sha256:$OTHER/" "$T/clone/sub/extra.bin"
check_fails "a pointer with another oid" 1 "sub/extra.bin" ms verify --key "$T/k.pub" --from-lfs-pointers --signature "$T/full.sig" "$T/clone"
grep -q "changed: sub/extra.bin" "$ERR" && pass || fail "named as changed"
# A shards signature cannot be checked from pointers.
ms sign --key "$T/k.key" --method shards --signature "$T/shards.sig" "$R" >/dev/null
check_fails "verify --from-lfs-pointers, shards signature" 2 "files method with sha256" ms verify --key "$T/k.pub" --from-lfs-pointers --signature "$T/shards.sig" "$T/clone"

finish
