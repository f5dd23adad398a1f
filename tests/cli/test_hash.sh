#!/bin/sh
# modelseal hash and digest on real files, checked against sha256sum, b2sum and dd.
. "$(dirname "$0")/lib.sh"
set -e

M=$T/model
mkdir -p "$M/sub/deeper" "$M/.git" "$M/.github"
head -c 300000 /dev/urandom >"$M/weights.bin"
printf 'config' >"$M/config.json"
printf '' >"$M/empty"
head -c 12345 /dev/urandom >"$M/sub/deeper/part"
printf 'x' >"$M/a.txt"
mkdir -p "$M/a"
printf 'y' >"$M/a/b"
printf 'ref: refs/heads/main' >"$M/.git/HEAD"
printf 'ci' >"$M/.github/ci.yml"
printf 'ignored' >"$M/.gitignore"
printf 'sig' >"$M/model.sig"
printf '{}' >"$M/claims.jsonl"

# Per-file digests equal sha256sum's, in full-path byte order ("a.txt" before "a/b").
check_status "hash" 0 ms hash --no-progress "$M"
head -n -1 "$OUT" >"$T/ours"
(cd "$M" && LC_ALL=C find . -type f ! -path './.git/*' ! -path './.github/*' ! -name .gitignore \
    ! -name model.sig ! -name claims.jsonl | sed 's|^\./||' | LC_ALL=C sort | while read -r f; do
    sha256sum "$f"
done) >"$T/theirs"
check_file_eq "hash lines equal sha256sum" "$T/ours" "$T/theirs"
check_eq "a.txt sorts before a/b" "$(cut -c67- "$T/ours" | grep -n '^a' | tr '\n' ' ')" "1:a.txt 2:a/b "
ROOT_LINE=$(tail -n 1 "$OUT")
check_eq "root line names the model" "${ROOT_LINE#*  }" "model"

# The root is SHA-256 over the concatenated raw digests, and digest prints just that.
WANT_ROOT=$(cut -d' ' -f1 "$T/ours" | xxd -r -p | sha256sum | cut -d' ' -f1)
check_eq "root digest" "${ROOT_LINE%%  *}" "sha256:$WANT_ROOT"
check_status "digest" 0 ms digest "$M"
check_eq "digest prints sha256:<root>" "$(cat "$OUT")" "sha256:$WANT_ROOT"

# Threads and buffer sizes do not change anything.
for th in 1 2 7; do
    run ms digest --threads "$th" --buffer-size 4096 "$M"
    check_eq "digest with $th threads" "$(cat "$OUT")" "sha256:$WANT_ROOT"
done

# model.sig, claims.jsonl and git paths are ignored by default; git paths can be included.
run ms hash --no-ignore-git-paths "$M"
grep -q '  .git/HEAD$' "$OUT" && grep -q '  .github/ci.yml$' "$OUT" && grep -q '  .gitignore$' "$OUT" &&
    pass || fail "--no-ignore-git-paths includes git paths"
grep -q 'model.sig$\|claims.jsonl$' "$OUT" && fail "model.sig/claims.jsonl never hashed" || pass

# --ignore takes files and directories, relative or absolute under the model.
run ms hash --ignore sub --ignore "$M/weights.bin" --ignore ./a/ "$M"
grep -q 'sub/deeper/part\|weights.bin\|a/b$' "$OUT" && fail "--ignore" || pass
check_eq "--ignore keeps the rest" "$(head -n -1 "$OUT" | wc -l)" "3"
check_fails "--ignore outside the model" 2 "outside the model" ms hash --ignore /etc/passwd "$M"
check_fails "--ignore with .." 2 "relative path inside the model" ms hash --ignore ../x "$M"

# BLAKE2b-512 digests equal b2sum's.
run ms hash --algorithm blake2b "$M"
head -n -1 "$OUT" >"$T/ours_b2"
(cd "$M" && cut -c131- "$T/ours_b2" | while read -r f; do b2sum "$f"; done) >"$T/theirs_b2"
check_file_eq "blake2b lines equal b2sum" "$T/ours_b2" "$T/theirs_b2"
WANT_B2_ROOT=$(cut -d' ' -f1 "$T/ours_b2" | xxd -r -p | sha256sum | cut -d' ' -f1)
check_eq "blake2b root is SHA-256 of the BLAKE2b digests" "$(tail -n 1 "$OUT" | cut -d' ' -f1)" \
    "sha256:$WANT_B2_ROOT"

# Shards: each range equals dd | sha256sum; exact multiples and off-by-one sizes.
S=$T/shards
mkdir -p "$S"
head -c 3000 /dev/urandom >"$S/exact"      # 3 shards of 1000
head -c 2999 /dev/urandom >"$S/minus1"     # 2 full + 999
head -c 3001 /dev/urandom >"$S/plus1"      # 3 full + 1
printf '' >"$S/zero"                        # no shards at all
check_status "hash shards" 0 ms hash --method shards --shard-size 1000 "$S"
head -n -1 "$OUT" >"$T/ours_sh"
: >"$T/theirs_sh"
for f in exact minus1 plus1; do
    size=$(stat -c %s "$S/$f")
    start=0
    while [ "$start" -lt "$size" ]; do
        end=$((start + 1000)); [ "$end" -gt "$size" ] && end=$size
        d=$(dd if="$S/$f" bs=1 skip="$start" count=$((end - start)) status=none | sha256sum | cut -d' ' -f1)
        echo "$d  $f:$start:$end" >>"$T/theirs_sh"
        start=$end
    done
done
check_file_eq "shard digests equal dd | sha256sum" "$T/ours_sh" "$T/theirs_sh"
grep -q 'plus1:3000:3001$' "$T/ours_sh" && grep -q 'minus1:2000:2999$' "$T/ours_sh" && pass ||
    fail "shard names at the edges"
grep -q '  zero' "$T/ours_sh" && fail "an empty file has no shards" || pass

# --json carries the OMS field names and the same digests.
check_status "hash --json" 0 ms hash --json --method shards --shard-size 1000 "$S"
$PY - "$OUT" "$T/ours_sh" <<'PY' && pass || fail "hash --json content"
import json, sys
doc = json.load(open(sys.argv[1]))
assert set(doc) == {"model", "serialization", "resources", "hard_links"}, doc.keys()
assert doc["hard_links"] == [], doc["hard_links"]
assert doc["model"]["name"] == "shards" and doc["model"]["path"].endswith("/shards"), doc["model"]
ser = doc["serialization"]
assert ser == {"method": "shards", "hash_type": "sha256", "allow_symlinks": False, "shard_size": 1000}, ser
lines = [l.split("  ", 1) for l in open(sys.argv[2]).read().splitlines()]
assert [(r["digest"], r["name"]) for r in doc["resources"]] == [(d, n) for d, n in lines]
assert all(r["algorithm"] == "sha256-sharded-1000" for r in doc["resources"])
assert doc["model"]["digest"].startswith("sha256:") and len(doc["model"]["digest"]) == 71
PY
check_status "digest --json" 0 ms digest --json "$M"
$PY -c "import json,sys; d=json.load(open('$OUT')); assert d=={'model':{'name':'model','digest':'sha256:$WANT_ROOT','path':'$M'}}, d" &&
    pass || fail "digest --json content"

# A single-file model: one resource named ".", as model_signing names it.
printf 'hello' >"$T/single.bin"
run ms hash "$T/single.bin"
check_eq "single-file model" "$(head -n 1 "$OUT")" "$(printf hello | sha256sum | cut -d' ' -f1)  ."

# Progress: only on request or on a terminal; never on stdout.
run ms digest --progress --buffer-size 4096 --threads 1 "$M"
check_eq "progress keeps stdout clean" "$(cat "$OUT")" "sha256:$WANT_ROOT"
run ms digest "$M"
grep -q '^hashing' "$ERR" && fail "no progress when stderr is not a terminal" || pass
# The summary line every long command ends with: files, bytes, time, throughput; none with -q.
grep -Eq '^hashed [0-9]+ files, [0-9.]+ [KMG]?i?B in [0-9.]+s \([0-9.]+ [KMG]?i?B/s\)$' "$ERR" && pass ||
    fail "summary line: $(cat "$ERR")"
check_eq "one line on stderr" "$(wc -l <"$ERR")" 1
run ms digest -q "$M"
check_eq "-q: no summary" "$(cat "$ERR")" ""
# --progress=plain: plain lines (one every MODELSEAL_PROGRESS_INTERVAL seconds; 10 by default),
# no carriage returns, for CI and pod logs; MODELSEAL_PROGRESS says the same.
run env MODELSEAL_PROGRESS_INTERVAL=0.000001 "$MODELSEAL" digest --progress=plain --buffer-size 4096 \
    --threads 1 "$M"
check_eq "plain: stdout clean" "$(cat "$OUT")" "sha256:$WANT_ROOT"
grep -Eq '^hashing [0-9.]+ [KMG]?i?B / [0-9.]+ [KMG]?i?B \([0-9]+%\), [0-9.]+ [KMG]?i?B/s, ETA [0-9.hms]+$' "$ERR" &&
    pass || fail "plain progress lines: $(head -3 "$ERR")"
grep -q "$(printf '\r')" "$ERR" && fail "plain: a carriage return" || pass
run env MODELSEAL_PROGRESS=plain MODELSEAL_PROGRESS_INTERVAL=0.000001 "$MODELSEAL" digest \
    --buffer-size 4096 --threads 1 "$M"
grep -q '^hashing .*ETA' "$ERR" && pass || fail "MODELSEAL_PROGRESS=plain: $(head -3 "$ERR")"
run env MODELSEAL_PROGRESS=plain MODELSEAL_PROGRESS_INTERVAL=0.000001 "$MODELSEAL" digest \
    --progress=none "$M"
grep -q '^hashing' "$ERR" && fail "--progress=none beats MODELSEAL_PROGRESS" || pass
check_fails "--progress=sometimes" 2 "--progress: expected auto, bar, plain or none, not 'sometimes'" \
    ms digest --progress=sometimes "$M"
run env MODELSEAL_PROGRESS=loud "$MODELSEAL" digest "$M"
grep -q "warning: MODELSEAL_PROGRESS: expected auto, bar, plain or none, not 'loud'" "$ERR" && pass ||
    fail "a bad MODELSEAL_PROGRESS warns: $(cat "$ERR")"
# Datasets: the same progress and summary line; the total is not known before the walk ends.
NFILES=$(find "$M" -type f | wc -l)
run env MODELSEAL_PROGRESS_INTERVAL=0.000001 "$MODELSEAL" dataset manifest --progress=plain \
    --name m --output "$T/m.dsm.jsonl.zst" "$M"
check_eq "dataset manifest --progress=plain: exit" "$STATUS" 0
grep -Eq '^hashing [0-9.]+ [KMG]?i?B, [0-9.]+ [KMG]?i?B/s$' "$ERR" && pass ||
    fail "dataset manifest: plain progress lines: $(head -3 "$ERR")"
grep -Eq "^hashed $NFILES files, [0-9.]+ [KMG]?i?B in [0-9.]+s \([0-9.]+ [KMG]?i?B/s\)$" "$ERR" && pass ||
    fail "dataset manifest: summary line: $(cat "$ERR")"
run env MODELSEAL_PROGRESS_INTERVAL=0.000001 "$MODELSEAL" dataset verify --progress=plain \
    "$T/m.dsm.jsonl.zst" "$M"
check_eq "dataset verify --progress=plain: exit" "$STATUS" 0
grep -Eq '^verifying [0-9.]+ [KMG]?i?B, [0-9.]+ [KMG]?i?B/s$' "$ERR" && pass ||
    fail "dataset verify: plain progress lines: $(head -3 "$ERR")"
grep -Eq "^hashed $NFILES files, 3[0-9]{2}\.[0-9] KiB in " "$ERR" && pass ||
    fail "dataset verify: summary line: $(cat "$ERR")"
check_eq "dataset verify -q: stderr" "$(ms dataset verify -q "$T/m.dsm.jsonl.zst" "$M" 2>&1 >/dev/null)" ""
# The bar is erased before the names of the files that differ.
printf 'X' >"$M/a.txt"
run ms dataset verify --progress=bar "$T/m.dsm.jsonl.zst" "$M"
check_eq "dataset verify, a changed file: exit" "$STATUS" 1
grep -q "$(printf '\r\033')\[K  changed: a.txt$" "$ERR" && pass ||
    fail "dataset verify --progress=bar: the bar is not erased before the names: $(od -c "$ERR" | head -5)"
printf 'x' >"$M/a.txt"
if command -v script >/dev/null 2>&1; then
    head -c 50000000 /dev/zero >"$T/big.bin"
    script -qec "$MODELSEAL digest --threads 1 --buffer-size 4096 --algorithm blake2b $T/big.bin" /dev/null >"$T/tty" 2>&1 || true
    grep -q 'hashing' "$T/tty" && pass || fail "progress shown on a terminal"
fi
finish
