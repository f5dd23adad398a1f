#!/bin/sh
# Hashing throughput against the machine's SHA-256 ceiling (OpenSSL in memory), from page cache.
# Builds: 2 x 768 MiB files (and the same as a Hugging Face cache snapshot), 1 x 1.5 GiB file,
# 50,000 files of 4 KiB in 100 folders.
. "$(dirname "$0")/common.sh"

echo "building models in $B ..."
mkdir -p "$B/two" "$B/one" "$B/small"
head -c 805306368 /dev/urandom >"$B/two/a.bin"
head -c 805306368 /dev/urandom >"$B/two/b.bin"
head -c 1610612736 /dev/urandom >"$B/one/w.bin"
/usr/bin/python3 - "$B/small" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(4096 * 64)
for d in range(100):
    os.mkdir(f"{root}/d{d:03}")
    for f in range(500):
        i = (d * 500 + f) % 64
        with open(f"{root}/d{d:03}/f{f:04}", "wb") as fh:
            fh.write(block[i * 4096:(i + 1) * 4096])
PY
cat "$B/two/a.bin" "$B/two/b.bin" "$B/one/w.bin" >/dev/null
find "$B/small" -type f -exec cat {} + >/dev/null

C1=$(ceiling)
C2=$(ceiling -multi "$(nproc)")
BYTES=1610612736
echo "ceiling: SHA-256 in memory $(rate "$C1" 1) on one core, $(rate "$C2" 1) on $(nproc) cores"

r=$(best_of 3 "$MS" digest "$B/two")
echo "files,  2 x 768 MiB:  ${r% *} s  $(rate $BYTES "${r% *}")  = $(ratio $BYTES "${r% *}" "$C2") of the $(nproc)-core ceiling   peak RSS ${r#* } KiB"
# The same two files as a Hugging Face cache snapshot (links into the repository's blobs/, which
# are hard links to the files above: the same pages in the cache). Runs alternate, real files then
# snapshot, so that both meet the same load; the ratio is of the medians (target <= 1.05).
H=$B/hub/models--bench--two
mkdir -p "$H/blobs" "$H/snapshots/r1"
ln "$B/two/a.bin" "$H/blobs/a"
ln "$B/two/b.bin" "$H/blobs/b"
ln -s ../../blobs/a "$H/snapshots/r1/a.bin"
ln -s ../../blobs/b "$H/snapshots/r1/b.bin"
[ "$("$MS" digest "$H/snapshots/r1" 2>/dev/null)" = "$("$MS" digest "$B/two" 2>/dev/null)" ] || {
    echo "the snapshot's digest differs from the files'" >&2
    exit 1
}
: >"$B/ab"
for _ in 1 2 3 4 5; do
    r=$(time_cmd "$MS" digest "$B/two" 2>/dev/null) # (the warnings that the files have 2 names)
    s=$(time_cmd "$MS" digest "$H/snapshots/r1" 2>/dev/null)
    echo "${r% *} ${s% *}" >>"$B/ab"
done
sort -g -k1,1 "$B/ab" | awk 'NR == 3 { print $1 }' >"$B/ab.real"
sort -g -k2,2 "$B/ab" | awk 'NR == 3 { print $2 }' >"$B/ab.snap"
echo "snapshot, 2 x 768 MiB: median $(cat "$B/ab.snap") s vs $(cat "$B/ab.real") s as real files = $(awk -v s="$(cat "$B/ab.snap")" -v r="$(cat "$B/ab.real")" 'BEGIN { printf "%.3f", s / r }')x (target <= 1.05; runs: $(tr '\n' ';' <"$B/ab"))"
r=$(best_of 3 "$MS" digest --method shards --shard-size 67108864 "$B/one")
echo "shards (64 MiB), 1 x 1.5 GiB: ${r% *} s  $(rate $BYTES "${r% *}")  = $(ratio $BYTES "${r% *}" "$C2") of the $(nproc)-core ceiling   peak RSS ${r#* } KiB"
r=$(best_of 3 "$MS" digest --method shards "$B/one")
echo "shards (default 1e9), 1 x 1.5 GiB: ${r% *} s  $(rate $BYTES "${r% *}")  = $(ratio $BYTES "${r% *}" "$C2") of the $(nproc)-core ceiling   peak RSS ${r#* } KiB"
r=$(best_of 3 "$MS" digest "$B/one")
echo "files,  1 x 1.5 GiB:  ${r% *} s  $(rate $BYTES "${r% *}")  = $(ratio $BYTES "${r% *}" "$C1") of the 1-core ceiling   peak RSS ${r#* } KiB"
r=$(best_of 3 "$MS" digest "$B/small")
echo "files,  50,000 x 4 KiB: ${r% *} s (target <= 0.75 s)   peak RSS ${r#* } KiB"

r=$(best_of 1 sha256sum "$B/one/w.bin")
echo "reference: sha256sum 1 x 1.5 GiB: ${r% *} s  $(rate $BYTES "${r% *}")"
r=$(best_of 1 sh -c "find '$B/small' -type f -print0 | xargs -0 -P$(nproc) sha256sum")
echo "reference: find | xargs -P$(nproc) sha256sum, 50,000 x 4 KiB: ${r% *} s"
