#!/bin/sh
# Partitioned dataset manifests (on demand, not part of the test suite): 200,000 files of 1 KiB
# in 200 folders, hashed
#   single:      one `dataset manifest --threads 2` process;
#   partitioned: two `dataset manifest --threads 1 --partition I/2` processes at once, then
#                `dataset merge` (its time included);
# the merged manifest must equal the single one byte for byte. Target: partitioned <= 1.15x
# single (the fan-out costs almost nothing, so N machines give close to Nx).
# Timed in turns, the fastest of ROUNDS (default 3) each. BENCH_DIR=/dev/shm builds the tree in
# memory (creating 200,000 files on a busy disk takes minutes; the page cache is warm either way).
. "$(dirname "$0")/common.sh"
echo "machine: $(nproc) CPUs, load average$(uptime | sed 's/.*load average//')"
rounds=${ROUNDS:-3}

echo "building 200,000 x 1 KiB in 200 folders under $B ..."
/usr/bin/python3 - "$B/small" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(1024 * 64)
for d in range(200):
    dd = f"{root}/d{d:04}"
    os.makedirs(dd)
    for f in range(1000):
        i = (d * 1000 + f) % 64
        fd = os.open(f"{dd}/f{f:05}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, block[i * 1024:(i + 1) * 1024])
        os.close(fd)
PY
find "$B/small" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache

cat >"$B/parts.sh" <<EOF
set -e
"$MS" dataset manifest --name small --threads 1 --partition 0/2 --output "$B/p0.zst" "$B/small" >/dev/null &
a=\$!
"$MS" dataset manifest --name small --threads 1 --partition 1/2 --output "$B/p1.zst" "$B/small" >/dev/null &
b=\$!
wait \$a
wait \$b
"$MS" dataset merge --output "$B/merged.zst" "$B/p1.zst" "$B/p0.zst" >/dev/null
EOF
faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a + 0 < b + 0) }'; }
one="" two=""
for _ in $(seq "$rounds"); do
    r=$(time_cmd "$MS" dataset manifest --name small --threads 2 --output "$B/single.zst" "$B/small")
    if faster "${r% *}" "$one"; then one=${r% *}; fi
    r=$(time_cmd sh "$B/parts.sh")
    if faster "${r% *}" "$two"; then two=${r% *}; fi
    cmp "$B/single.zst" "$B/merged.zst" || { echo "merged manifest differs from the single one" >&2; exit 1; }
done
m=$(best_of "$rounds" "$MS" dataset merge --output "$B/merged.zst" "$B/p1.zst" "$B/p0.zst")
echo "single process, 2 threads: $one s"
echo "2 partitions in 2 processes (1 thread each) + merge: $two s = $(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }') x single (target <= 1.15)"
echo "of which the merge of 2 parts (200,000 lines): ${m% *} s, peak RSS ${m#* } KiB"
