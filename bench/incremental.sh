#!/bin/sh
# sign --incremental against a full sign in the same run (issue 20, part 1): a model of 16 big
# files (BENCH_GIB GiB in all; the issue's size is 16) plus 200 small ones and one 1 MiB file;
# the 1 MiB file is rewritten (same size) and the model re-signed. Claims: the incremental sign
# takes at most 1/20 of a full sign and at most 1 s, signs the same payload bytes as a full
# sign, and its peak RSS is no larger than the full sign's (plus 2 MiB of slack for the cache).
# Usage: [BENCH_GIB=16] [BENCH_DIR=/big/disk] sh bench/incremental.sh
. "$(dirname "$0")/common.sh"

GIB=${BENCH_GIB:-16}
M=$B/model
mkdir -p "$M/small"
per=$((GIB * 1024 / 16)) # MiB per big file
for i in $(seq -w 1 16); do
    head -c "$((per * 1048576))" /dev/urandom >"$M/shard-$i.bin"
done
for i in $(seq 1 200); do head -c 4096 /dev/urandom >"$M/small/f$i.json"; done
head -c 1048576 /dev/urandom >"$M/changed.bin"
"$MS" keygen --no-password --output "$B/k" >/dev/null
export XDG_CACHE_HOME=$B/cache
echo "model: 16 x $per MiB + 200 x 4 KiB + 1 MiB ($(du -sh "$M" | cut -f1)), $(nproc) cores"

# payload BUNDLE: the signed statement's base64, as in the bundle.
payload() { grep -o '"payload":"[^"]*"' "$1" | cut -d'"' -f4; }
change() { # a same-size rewrite of the 1 MiB file, then past the racily clean window
    head -c 1048576 /dev/urandom >"$B/new.bin"
    cat "$B/new.bin" >"$M/changed.bin"
    sleep 0.3
}

cat "$M"/*.bin >/dev/null # page cache warm, as for the full sign that follows
full=$(best_of 2 "$MS" sign --key "$B/k.key" --signature "$B/full.sig" "$M")
echo "full sign:                        ${full% *} s   peak RSS ${full#* } KiB"
first=$(time_cmd "$MS" sign --incremental --key "$B/k.key" "$M")
echo "first sign --incremental (cold):  ${first% *} s   peak RSS ${first#* } KiB  (hashes all, writes the cache)"
sleep 0.3
best=""
for run in 1 2 3; do
    change
    r=$(time_cmd "$MS" sign --incremental --key "$B/k.key" "$M")
    echo "sign --incremental, 1 MiB changed: ${r% *} s   peak RSS ${r#* } KiB  (run $run)"
    if [ -z "$best" ] || awk -v a="${r% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then best=$r; fi
done
"$MS" sign --incremental --key "$B/k.key" "$M" >"$B/report"
grep -q '^Incremental: 217 reused, 0 re-hashed' "$B/report" || {
    echo "unexpected report: $(cat "$B/report")"
    exit 1
}
change
"$MS" sign --incremental --key "$B/k.key" "$M" >"$B/report"
grep -x 'Incremental: 216 reused, 1 re-hashed, 0 added, 0 removed' "$B/report" >/dev/null || {
    echo "unexpected report: $(cat "$B/report")"
    exit 1
}
"$MS" sign --key "$B/k.key" --signature "$B/full.sig" "$M" >/dev/null
if [ "$(payload "$M/model.sig")" = "$(payload "$B/full.sig")" ]; then
    echo "payload: identical to a full sign's"
else
    echo "payload: DIFFERS from a full sign's"
    exit 1
fi
status=0
ratio=$(awk -v a="${best% *}" -v b="${full% *}" 'BEGIN { printf "%.1f", b / a }')
if awk -v a="${best% *}" -v b="${full% *}" 'BEGIN { exit !(a * 20 <= b && a <= 1) }'; then
    echo "incremental: ${best% *} s = 1/$ratio of a full sign (<= 1/20 and <= 1 s): ok"
else
    echo "incremental: ${best% *} s = 1/$ratio of a full sign: NOT within 1/20 and 1 s"
    status=1
fi
if [ "${best#* }" -le $((${full#* } + 2048)) ]; then
    echo "peak RSS: ${best#* } KiB incremental, ${full#* } KiB full: ok"
else
    echo "peak RSS: ${best#* } KiB incremental, ${full#* } KiB full: LARGER"
    status=1
fi
exit $status
