#!/bin/sh
# sign --incremental and verify --incremental (modelseal-cache(5)): a digest is reused only for
# a file provably unchanged, whatever way it changed without changing size; a cache that cannot
# be trusted is refused and rebuilt; a right-owned lying cache is believed (the signer's own
# problem, as the man page says); the bundle equals a full sign's but for the signature.
. "$(dirname "$0")/lib.sh"
set -e

export XDG_CACHE_HOME=$T/cache
unset MODELSEAL_NO_CACHE
CACHE_DIR=$XDG_CACHE_HOME/modelseal

# payload BUNDLE: the DSSE payload (the signed statement), base64 as in the bundle (equal bytes,
# equal text: the bundle is compact JSON with one "payload").
payload() { grep -o '"payload":"[^"]*"' "$1" | cut -d'"' -f4; }

# same_as_full DESC MODEL [HASH OPTIONS]: MODEL/model.sig (just signed incrementally) carries the
# statement a full sign with the same options makes.
same_as_full() {
    local desc=$1 model=$2
    shift 2
    ms sign --key "$T/k.key" --signature "$T/full.sig" "$@" "$model" >/dev/null
    payload "$model/model.sig" >"$T/inc.payload"
    payload "$T/full.sig" >"$T/full.payload"
    [ -s "$T/full.payload" ] || fail "$desc: no payload in the bundle"
    check_file_eq "$desc: payload as a full sign's" "$T/inc.payload" "$T/full.payload"
}

# the cache file of MODEL (one per model)
cache_file() { ls "$CACHE_DIR"/*.cache | head -1; }

# set_digest FILE_PATH HEX: make the cache lie: FILE_PATH's digest becomes HEX (rewritten in
# place, so its owner and mode stay).
set_digest() {
    local c
    c=$(cache_file)
    awk -v p="$(printf %s "$1" | od -An -tx1 | tr -d ' \n')" -v d="$2" \
        'NF >= 9 && $8 == p { $9 = d } { print }' "$c" >"$T/cache.edit"
    cat "$T/cache.edit" >"$c"
}

# settle: the files' ctimes lie more than the granularity (100 ms) before the next run's stamp
settle() { sleep 0.15; }

ms keygen --no-password --output "$T/k" >/dev/null
ms keygen --no-password --output "$T/other" >/dev/null
M=$T/model
mkdir -p "$M/sub"
head -c 65536 /dev/urandom >"$M/weights.bin"
printf 'config one\n' >"$M/config.json"
printf 'tok\n' >"$M/sub/tok.txt"
head -c 4096 /dev/urandom >"$M/linked.bin"
ln "$M/linked.bin" "$T/outside-link"
settle

# ---- first and second run ----------------------------------------------------------------
check_status "first incremental sign" 0 ms sign --incremental --key "$T/k.key" "$M"
grep -qx 'Incremental: 0 reused, 0 re-hashed, 4 added, 0 removed' "$OUT" && pass ||
    fail "first run: all added: $(cat "$OUT")"
same_as_full "first run" "$M"
check_eq "one cache file, mode 0600" "$(stat -c %a "$(cache_file)")" 600
check_eq "cache directory mode 0700" "$(stat -c %a "$CACHE_DIR")" 700
check_eq "cache names the model" "$(sed -n 2p "$(cache_file)")" \
    "model $(stat -c %d "$M") $(printf %s "$(realpath "$M")" | od -An -tx1 | tr -d ' \n')"
settle
check_status "second incremental sign" 0 ms sign --incremental --key "$T/k.key" "$M"
grep -qx 'Incremental: 4 reused, 0 re-hashed, 0 added, 0 removed' "$OUT" && pass ||
    fail "second run: all reused: $(cat "$OUT")"
same_as_full "all reused" "$M"

# ---- every way a file changes without changing size ----------------------------------------
# A same-size rewrite in place with mtime put back: ctime moved.
stamp=$(stat -c %y "$M/weights.bin")
flip_byte "$M/weights.bin" 100
touch -d "$stamp" "$M/weights.bin"
check_eq "mtime restored" "$(stat -c %y "$M/weights.bin")" "$stamp"
settle
ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx '  re-hashed: weights.bin (ctime changed)' "$OUT" && pass ||
    fail "rewrite with mtime restored: $(cat "$OUT")"
same_as_full "rewrite with mtime restored" "$M"

# A rename over it: same size and mtime, another inode.
cp -p "$M/config.json" "$T/config.new"
printf 'config two\n' >"$T/config.new"
touch -r "$M/config.json" "$T/config.new"
mv "$T/config.new" "$M/config.json"
settle
ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx '  re-hashed: config.json (inode changed)' "$OUT" && pass ||
    fail "rename over: $(cat "$OUT")"
same_as_full "rename over" "$M"

# A hard link written through its other name: same inode, ctime moved.
stamp=$(stat -c %y "$M/linked.bin")
flip_byte "$T/outside-link" 7
touch -d "$stamp" "$T/outside-link"
settle
ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx '  re-hashed: linked.bin (ctime changed)' "$OUT" && pass ||
    fail "hard link written: $(cat "$OUT")"
# A hard link replaced: the name now links another file of the same size and mtime.
head -c 4096 /dev/urandom >"$T/replacement"
touch -r "$M/linked.bin" "$T/replacement"
ln -f "$T/replacement" "$M/linked.bin"
settle
ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx '  re-hashed: linked.bin (inode changed)' "$OUT" && pass ||
    fail "hard link replaced: $(cat "$OUT")"
same_as_full "hard link replaced" "$M"
rm "$T/outside-link" "$T/replacement"

# Changed within the clock tick of the cache's writing (racily clean): the stat cannot show such
# a change, so an entry recorded within the granularity of the file's last change is never
# believed. The cache is made to say exactly that: its stamp is the file's ctime (a run that began
# in the same tick as the last write) and its digest is of other bytes (what was read before a
# same-tick write).
printf 'racy 1\n' >"$M/racy.txt"
settle
ms sign --incremental --key "$T/k.key" "$M" >/dev/null
set_digest racy.txt "$(printf 'racy 0\n' | sha256sum | cut -c1-64)"
ctime=$(stat -c %.9Z "$M/racy.txt")
nsec=$(echo "${ctime#*.}" | sed 's/^0*\(.\)/\1/')
sed "4s/.*/stamp ${ctime%.*} $nsec/" "$(cache_file)" >"$T/cache.edit"
cat "$T/cache.edit" >"$(cache_file)"
ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx '  re-hashed: racy.txt (racily clean)' "$OUT" && pass ||
    fail "racily clean entry: $(cat "$OUT")"
same_as_full "racily clean" "$M"

# ---- lying caches ---------------------------------------------------------------------------
settle
ms sign --incremental --key "$T/k.key" "$M" >/dev/null
settle
true_digest=$(sha256sum "$M/config.json" | cut -c1-64)
lie=$(printf 'not the file\n' | sha256sum | cut -c1-64)
cp "$(cache_file)" "$T/good.cache"
# Owned by another user: nothing it says is believed; rebuilt, owned by the user.
set_digest config.json "$lie"
chown 12345 "$(cache_file)"
run ms sign --incremental --key "$T/k.key" "$M"
check_eq "foreign-owned cache: exit" "$STATUS" 0
grep -qF "cache not used: $(cache_file): owned by another user; hashing every file" "$ERR" &&
    pass || fail "foreign-owned cache refused: $(cat "$ERR")"
grep -qx 'Incremental: 0 reused, 0 re-hashed, 5 added, 0 removed' "$OUT" && pass ||
    fail "foreign-owned cache: nothing reused: $(cat "$OUT")"
same_as_full "foreign-owned cache" "$M"
check_eq "rebuilt cache owned by the user" "$(stat -c %u:%a "$(cache_file)")" "$(id -u):600"
grep -q " $true_digest\$" "$(cache_file)" && pass || fail "rebuilt cache has the true digest"
# Group- or world-writable: the same.
settle
ms sign --incremental --key "$T/k.key" "$M" >/dev/null
set_digest config.json "$lie"
chmod 0620 "$(cache_file)"
run ms sign --incremental --key "$T/k.key" "$M"
grep -qF "writable by group or others; hashing every file" "$ERR" && pass ||
    fail "group-writable cache refused: $(cat "$ERR")"
# A directory writable by others, or another user's: refused, and nothing is written into it.
settle
chmod 0777 "$CACHE_DIR"
before=$(stat -c %Y.%i "$(cache_file)")
run ms sign --incremental --key "$T/k.key" "$M"
grep -qF "cache not used: $CACHE_DIR: writable by group or others" "$ERR" && pass ||
    fail "world-writable directory refused: $(cat "$ERR")"
check_eq "nothing written in a refused directory" "$(stat -c %Y.%i "$(cache_file)")" "$before"
chmod 0700 "$CACHE_DIR"
chown 12345 "$CACHE_DIR"
run ms sign --incremental --key "$T/k.key" "$M"
grep -qF "cache not used: $CACHE_DIR: owned by another user" "$ERR" && pass ||
    fail "foreign directory refused: $(cat "$ERR")"
chown "$(id -u)" "$CACHE_DIR"
# Malformed: refused naming the line, rebuilt.
printf 'junk\n' >>"$(cache_file)"
run ms sign --incremental --key "$T/k.key" "$M"
grep -qF "text after \"end\"; hashing every file" "$ERR" && pass ||
    fail "malformed cache refused: $(cat "$ERR")"
# Right-owned and lying: believed. The signature then carries the lie (a full verify finds
# it); that cache is the signer's own problem, as modelseal-cache(5) says.
settle
ms sign --incremental --key "$T/k.key" "$M" >/dev/null
settle
set_digest config.json "$lie"
check_status "lying right-owned cache: signs" 0 ms sign --incremental --key "$T/k.key" "$M"
grep -qx 'Incremental: 5 reused, 0 re-hashed, 0 added, 0 removed' "$OUT" && pass ||
    fail "lying cache believed: $(cat "$OUT")"
payload "$M/model.sig" | base64 -d | grep -q "$lie" && pass || fail "the lie is signed"
check_fails "full verify finds the lie" 1 "changed: config.json" \
    ms verify --key "$T/k.pub" "$M"
check_status "verify --incremental believes its own cache" 0 \
    ms verify --incremental --key "$T/k.pub" "$M"
rm -r "$CACHE_DIR"
check_status "cache deleted: re-sign" 0 ms sign --incremental --key "$T/k.key" "$M"

# ---- another algorithm, method or shard size ------------------------------------------------
settle
run ms sign --incremental --key "$T/k.key" --algorithm blake2b "$M"
grep -qx 'Incremental: 0 reused, 5 re-hashed, 0 added, 0 removed' "$OUT" &&
    grep -qx '  re-hashed: weights.bin (settings changed)' "$OUT" && pass ||
    fail "cache of another algorithm: $(cat "$OUT")"
same_as_full "blake2b" "$M" --algorithm blake2b
settle
ms sign --incremental --key "$T/k.key" --method shards --shard-size 1000 "$M" >"$OUT"
grep -qx '  re-hashed: weights.bin (settings changed)' "$OUT" && pass ||
    fail "files cache for shards: $(cat "$OUT")"
settle
ms sign --incremental --key "$T/k.key" --method shards --shard-size 1000 "$M" >"$OUT"
grep -qx 'Incremental: 5 reused, 0 re-hashed, 0 added, 0 removed' "$OUT" && pass ||
    fail "shards reused: $(cat "$OUT")"
same_as_full "shards reused" "$M" --method shards --shard-size 1000
ms sign --incremental --key "$T/k.key" --method shards --shard-size 2000 "$M" >"$OUT"
grep -qx '  re-hashed: weights.bin (settings changed)' "$OUT" && pass ||
    fail "cache of another shard size: $(cat "$OUT")"

# ---- added and removed; the previous signature; --json -----------------------------------
settle
ms sign --incremental --key "$T/k.key" "$M" >/dev/null
rm "$M/sub/tok.txt"
printf 'new\n' >"$M/new.txt"
settle
ms sign --incremental --key "$T/k.key" --json "$M" >"$OUT"
$PY -c 'import json, sys
i = json.load(open(sys.argv[1]))["incremental"]
assert i["not_used"] is None and i["cache"].endswith(".cache"), i
assert sorted(i["reused"]) == ["config.json", "linked.bin", "racy.txt", "weights.bin"], i
assert i["rehashed"] == [] and i["added"] == ["new.txt"] and i["removed"] == ["sub/tok.txt"], i' \
    "$OUT" && pass || fail "--json report: $(cat "$OUT")"
# Another signer's model.sig: nothing is reused.
ms sign --key "$T/other.key" "$M" >/dev/null
settle
run ms sign --incremental --key "$T/k.key" "$M"
grep -qF "does not verify with the signer's key (it is not signed with this key): nothing reused" \
    "$ERR" && pass || fail "another signer's model.sig: $(cat "$ERR")"
grep -qx 'Incremental: 0 reused, 5 re-hashed, 0 added, 0 removed' "$OUT" &&
    grep -qx '  re-hashed: config.json (cache not used)' "$OUT" && pass ||
    fail "another signer's model.sig: nothing reused: $(cat "$OUT")"

# ---- verify --incremental -------------------------------------------------------------------
settle
check_status "verify --incremental" 0 ms verify --incremental --key "$T/k.pub" "$M"
grep -qx 'Incremental: 5 reused, 0 re-hashed, 0 added, 0 removed' "$OUT" && pass ||
    fail "verify reuses: $(cat "$OUT")"
flip_byte "$M/weights.bin" 9
settle
check_fails "verify --incremental sees a change" 1 "changed: weights.bin" \
    ms verify --incremental --key "$T/k.pub" "$M"
grep -qx '  re-hashed: weights.bin (mtime changed)' "$ERR" && pass ||
    fail "verify reports the re-hash: $(cat "$ERR")"

# ---- turned off ---------------------------------------------------------------------------
rm -r "$CACHE_DIR"
check_status "--no-cache" 0 ms sign --incremental --no-cache --key "$T/k.key" "$M"
grep -qx 'Incremental: cache off (--no-cache): every file hashed' "$OUT" && pass ||
    fail "--no-cache report: $(cat "$OUT")"
MODELSEAL_NO_CACHE=1 ms sign --incremental --key "$T/k.key" "$M" >"$OUT"
grep -qx 'Incremental: cache off (MODELSEAL_NO_CACHE): every file hashed' "$OUT" && pass ||
    fail "MODELSEAL_NO_CACHE report: $(cat "$OUT")"
[ ! -e "$CACHE_DIR" ] && pass || fail "no cache written when turned off"
check_fails "--incremental with --sigstore" 2 "--incremental needs --key" \
    ms sign --incremental --sigstore --identity-token x "$M"

# ---- two models signed at once, one cache directory -------------------------------------------
for m in a b; do
    mkdir -p "$T/$m"
    for i in 0 1 2 3 4 5 6 7; do head -c 20000 /dev/urandom >"$T/$m/f$i"; done
done
settle
for round in 1 2; do
    ms sign --incremental --key "$T/k.key" "$T/a" >"$T/a.out" 2>&1 &
    pa=$!
    ms sign --incremental --key "$T/k.key" "$T/b" >"$T/b.out" 2>&1 &
    pb=$!
    wait $pa && wait $pb && pass || fail "concurrent signs, round $round"
done
grep -qx 'Incremental: 8 reused, 0 re-hashed, 0 added, 0 removed' "$T/a.out" &&
    grep -qx 'Incremental: 8 reused, 0 re-hashed, 0 added, 0 removed' "$T/b.out" && pass ||
    fail "concurrent: each model's cache intact: $(cat "$T/a.out" "$T/b.out")"
check_eq "one cache file per model" "$(ls "$CACHE_DIR" | wc -l)" 2
same_as_full "concurrent a" "$T/a"

# A git LFS pointer the cache recorded (signed with --allow-lfs-pointers, so hashed as a file) is
# still a pointer when the next run reuses its digest: refused by default, its oid taken with
# --from-lfs-pointers, as without the cache.
L=$T/lfs
mkdir -p "$L"
printf 'weights' >"$L/real.bin"
OID=$(printf 'the content' | sha256sum | cut -c1-64)
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 11\n' "$OID" >"$L/w.bin"
touch -d '2 minutes ago' "$L/w.bin" "$L/real.bin"
sleep 0.3 # past the timestamp granularity (ctime is now): the cache may vouch for them
check_status "a pointer signed with --allow-lfs-pointers, cached" 0 \
    ms sign --incremental --allow-lfs-pointers --key "$T/k.key" "$L"
grep -q '^  re-hashed: \|^  added: ' "$OUT" && pass || fail "first run: hashed: $(cat "$OUT")"
run ms verify --incremental --key "$T/k.pub" "$L"
grep -q '^Incremental: 2 reused' "$OUT" && pass || fail "the cache vouches for both: $(cat "$OUT")"
check_fails "the reused pointer is refused" 2 "w.bin: a git LFS pointer, not the file's content" \
    ms sign --incremental --key "$T/k.key" --signature "$T/lfs2.sig" "$L"
check_status "--from-lfs-pointers with the cache" 0 \
    ms sign --incremental --from-lfs-pointers --key "$T/k.key" --signature "$T/lfs3.sig" "$L"
check_status "--from-lfs-pointers without it" 0 \
    ms sign --from-lfs-pointers --key "$T/k.key" --signature "$T/lfs4.sig" "$L"
check_eq "the same signed payload with and without the cache" "$(payload "$T/lfs3.sig")" \
    "$(payload "$T/lfs4.sig")"

finish
