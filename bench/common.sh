# Shared pieces of the benchmarks: the binary, a scratch directory, ceilings, timing.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
MS=${MODELSEAL:-$top/build/release/modelseal}
if [ ! -x "$MS" ]; then "$top/scripts/build" "$top/build/release"; fi
# build/release/modelseal is the program itself (it links the library's code statically, so no
# libtool wrapper script runs before it); a stale .libs/modelseal from older builds is not used.
B=$(mktemp -d "${BENCH_DIR:-/tmp}/modelseal-bench.XXXXXX")
trap 'rm -rf "$B"' EXIT

# SHA-256 in memory with OpenSSL (bytes per second), on one core or with -multi N: the best of
# three 2-second runs (single runs vary by a third on a shared virtual machine).
ceiling() { # extra args for openssl speed
    for _ in 1 2 3; do
        openssl speed -seconds 2 -evp sha256 -bytes 1048576 "$@" 2>/dev/null |
            awk '/^sha256/ { v = $NF; sub(/k$/, "", v); print v * 1000 }'
    done | sort -g | tail -n 1
}

# time_cmd CMD...: prints "<seconds> <peak RSS KiB>" for one run.
time_cmd() {
    /usr/bin/time -f "%e %M" -o "$B/.time" "$@" >/dev/null
    cat "$B/.time"
}

# best_of N CMD...: the fastest of N runs, "<seconds> <peak RSS KiB>".
best_of() {
    n=$1
    shift
    best=""
    for _ in $(seq "$n"); do
        r=$(time_cmd "$@")
        if [ -z "$best" ] || awk -v a="${r% *}" -v b="${best% *}" 'BEGIN { exit !(a < b) }'; then best=$r; fi
    done
    echo "$best"
}

ratio() { awk -v bytes="$1" -v secs="$2" -v ceil="$3" 'BEGIN { printf "%.2f", (bytes / secs) / ceil }'; }
rate() { awk -v bytes="$1" -v secs="$2" 'BEGIN { printf "%.2f GB/s", bytes / secs / 1e9 }'; }
