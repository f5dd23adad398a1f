#!/bin/sh
# Dataset manifests at scale (on demand, not part of the test suite):
#   200,000 files of 1 KiB in 200 folders: `dataset manifest` against
#     `find | xargs -0 -P2 sha256sum` on the same warm tree (target <= 0.5x);
#   `dataset verify MANIFEST DIR` against `dataset manifest` (target <= 1.1x);
#   1,000,000 empty files in 1,000 folders: peak RSS of `dataset manifest` (target <= 64 MiB);
#   the floor for the small files: bench/small_files_floor.c does only the per-file system calls
#     and SHA-256 on 2 threads; modelseal is reported against it too.
# Knob: SKIP_MILLION=1 stops after the small files.
. "$(dirname "$0")/common.sh"
echo "machine: $(nproc) CPUs, load average$(uptime | sed 's/.*load average//')"

make_tree() { # DIR FOLDERS FILES_PER_FOLDER BYTES
    /usr/bin/python3 - "$@" <<'PY'
import os, sys
root, folders, per, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
block = os.urandom(size * 64) if size else b""
for d in range(folders):
    dd = f"{root}/d{d:04}"
    os.makedirs(dd)
    for f in range(per):
        i = (d * per + f) % 64
        fd = os.open(f"{dd}/f{f:05}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        if size:
            os.write(fd, block[i * size:(i + 1) * size])
        os.close(fd)
PY
}

echo "building 200,000 x 1 KiB in 200 folders under $B ..."
make_tree "$B/small" 200 1000 1024
find "$B/small" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache

# Timed in turns (reference, manifest, verify, five times over), so that a machine that speeds
# up or slows down meanwhile weighs on all three alike; the fastest run of each counts.
faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a + 0 < b + 0) }'; }
ref="" man="" man_rss="" ver="" ver_rss=""
for _ in 1 2 3 4 5; do
    r=$(time_cmd sh -c "find '$B/small' -type f -print0 | xargs -0 -P2 sha256sum")
    if faster "${r% *}" "$ref"; then ref=${r% *}; fi
    r=$(time_cmd "$MS" dataset manifest --name small --output "$B/small.dsm.jsonl.zst" "$B/small")
    if faster "${r% *}" "$man"; then man=${r% *} man_rss=${r#* }; fi
    r=$(time_cmd "$MS" dataset verify "$B/small.dsm.jsonl.zst" "$B/small")
    if faster "${r% *}" "$ver"; then ver=${r% *} ver_rss=${r#* }; fi
done
echo "reference: find | xargs -0 -P2 sha256sum: $ref s"
echo "dataset manifest: $man s  peak RSS $man_rss KiB  = $(awk -v a="$man" -v b="$ref" 'BEGIN { printf "%.2f", a / b }') x the reference (target <= 0.5)"
echo "dataset verify with DIR: $ver s  peak RSS $ver_rss KiB  = $(awk -v a="$ver" -v b="$man" 'BEGIN { printf "%.2f", a / b }') x dataset manifest (target <= 1.1)"
# The floor: a minimal C program doing only the per-file work (openat, pread, fstat, close,
# SHA-256) on 2 threads, nothing else; and the same without the fstat that detects a file
# written to while it was read.
cc -O2 -o "$B/floor" "$top/bench/small_files_floor.c" -lcrypto -lpthread
fl=$("$B/floor" "$B/small")
[ "${fl#* }" = 200000 ] || { echo "floor program counted ${fl#* } files" >&2; exit 1; }
fn=$("$B/floor" "$B/small" --no-fstat)
echo "floor (bench/small_files_floor.c): ${fl% *} s = $(awk -v a="${fl% *}" -v b="$ref" 'BEGIN { printf "%.2f", a / b }') x the reference;" \
    "modelseal = $(awk -v a="$man" -v b="${fl% *}" 'BEGIN { printf "%.2f", a / b }') x the floor;" \
    "without the fstat: ${fn% *} s"
rm -rf "$B/small" "$B/small.dsm.jsonl.zst"

[ "${SKIP_MILLION:-0}" = 1 ] && exit 0
echo "building 1,000,000 empty files in 1,000 folders ..."
make_tree "$B/empty" 1000 1000 0
r=$(best_of 1 "$MS" dataset manifest --name empty --output "$B/empty.dsm.jsonl.zst" "$B/empty")
echo "dataset manifest, 1,000,000 empty files: ${r% *} s  peak RSS ${r#* } KiB (target <= 65536 KiB)"
r=$(best_of 1 "$MS" dataset verify "$B/empty.dsm.jsonl.zst" "$B/empty")
echo "dataset verify with DIR, 1,000,000 empty files: ${r% *} s  peak RSS ${r#* } KiB"
