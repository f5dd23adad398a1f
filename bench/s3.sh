#!/bin/sh
# Datasets in S3-compatible object storage (on demand, not part of the test suite), against the
# loopback mock store tests/interop/mock_s3.mjs:
#   20,000 objects of 4 KiB: `dataset manifest s3://...` against `dataset manifest DIR` of the
#     same files on local disk (target: within 3x), the two manifests byte-identical;
#   1,000,000 made-up keys (empty objects: the listing alone): peak RSS of `dataset manifest`
#     (target <= 64 MiB).
# The mock runs with --no-verify here: its @aws-sdk/signature-v4 check of each request costs
# the single-threaded Node.js server more than modelseal's whole request (the suite's
# tests/interop/test_s3.sh checks every signature). BENCH_VERIFY=1 keeps the checks on.
# Needs node and the pinned npm packages (tests/interop/package.json). Knob: SKIP_MILLION=1.
. "$(dirname "$0")/common.sh"
echo "machine: $(nproc) CPUs, load average$(uptime | sed 's/.*load average//')"

SRCDIR=$top
. "$top/tests/interop/sigstore_js_env.sh"
sigstore_js_setup "$B" || { echo "npm packages unavailable: ${SIGSTORE_JS_UNAVAILABLE:-}"; exit 1; }

mkdir -p "$B/mock"
node "$top/tests/interop/mock_s3.mjs" --dir "$B/mock" $([ "${BENCH_VERIFY:-0}" = 1 ] || echo --no-verify) \
    >"$B/mock.log" 2>&1 &
MOCK=$!
trap 'kill $MOCK 2>/dev/null; rm -rf "$B"' EXIT
mock_wait_ready "$B/mock/port" "$MOCK" "$B/mock.log"
EP=http://127.0.0.1:$(cat "$B/mock/port")
AWS_ACCESS_KEY_ID=AKIDMOCK AWS_SECRET_ACCESS_KEY=mock-secret
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 2>/dev/null || :
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY

echo "building 20,000 x 4 KiB in 20 folders under $B ..."
/usr/bin/python3 - "$B/small" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(4096 * 64)
for d in range(20):
    os.makedirs(f"{root}/d{d:02}")
    for f in range(1000):
        i = (d * 1000 + f) % 64
        with open(f"{root}/d{d:02}/f{f:04}", "wb") as fh:
            fh.write(block[i * 4096:(i + 1) * 4096])
PY
curl -sf -XPOST --data "{\"load_dir\":{\"bucket\":\"bench\",\"dir\":\"$B/small\"}}" "$EP/__control" >/dev/null
find "$B/small" -type f -print0 | xargs -0 cat >/dev/null # warm the page cache

# In turns (local, bucket; three times), the fastest of each.
faster() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(b == "" || a + 0 < b + 0) }'; }
loc="" rem="" rem_rss=""
for _ in 1 2 3; do
    r=$(time_cmd "$MS" dataset manifest --name bench --source s3://bench \
        --output "$B/local.dsm.jsonl.zst" "$B/small")
    if faster "${r% *}" "$loc"; then loc=${r% *}; fi
    r=$(time_cmd "$MS" dataset manifest --name bench --s3-endpoint "$EP" \
        --output "$B/s3.dsm.jsonl.zst" s3://bench)
    if faster "${r% *}" "$rem"; then rem=${r% *} rem_rss=${r#* }; fi
done
cmp -s "$B/local.dsm.jsonl.zst" "$B/s3.dsm.jsonl.zst" && same=identical || same=DIFFERENT
echo "local: dataset manifest DIR: $loc s"
echo "bucket: dataset manifest s3://bench (16 GETs in flight): $rem s  peak RSS $rem_rss KiB" \
    "= $(awk -v a="$rem" -v b="$loc" 'BEGIN { printf "%.2f", a / b }') x local (target <= 3); manifests $same"

# What the mock itself costs: its CPU time (from /proc) during one more bucket run, and curl's
# own parallel transfer (curl -Z, 16 at a time, keep-alive; no signing, no hashing, bodies
# thrown away) of the same 20,000 objects: the floor any client meets against this server.
cpu() { awk '{ print $14 + $15 }' "/proc/$MOCK/stat"; }
hz=$(getconf CLK_TCK)
c0=$(cpu)
r=$(time_cmd "$MS" dataset manifest --name bench --s3-endpoint "$EP" --output "$B/s3.dsm.jsonl.zst" s3://bench)
c1=$(cpu)
echo "  the mock's CPU time during that run: $(awk -v t=$((c1 - c0)) -v hz="$hz" -v w="${r% *}" 'BEGIN { printf "%.2f s of %.2f s wall", t / hz, w }')"
if curl --help all 2>/dev/null | grep -q -- '--parallel-max'; then
    find "$B/small" -type f | sed "s|^$B/small/|url = \"$EP/bench/|; s|\$|\"\noutput = /dev/null|" >"$B/curl.cfg"
    r=$(best_of 3 curl -sf --no-progress-meter -Z --parallel-max 16 -K "$B/curl.cfg")
    echo "reference: curl -Z --parallel-max 16, the same 20,000 GETs unsigned and unhashed: ${r% *} s" \
        "= $(awk -v a="${r% *}" -v b="$loc" 'BEGIN { printf "%.2f", a / b }') x local;" \
        "modelseal = $(awk -v a="$rem" -v b="${r% *}" 'BEGIN { printf "%.2f", a / b }') x curl"
fi

[ "${SKIP_MILLION:-0}" = 1 ] && exit 0
curl -sf -XPOST --data '{"fake":{"bucket":"million","count":1000000,"size":0}}' "$EP/__control" >/dev/null
r=$(time_cmd "$MS" dataset manifest --name million --s3-endpoint "$EP" \
    --output "$B/million.dsm.jsonl.zst" s3://million/k)
echo "1,000,000 keys (1,000 pages): $(echo "$r" | awk '{ printf "%s s  peak RSS %d KiB = %.1f MiB (target <= 64)", $1, $2, $2 / 1024 }')"
echo "  $(zstdcat "$B/million.dsm.jsonl.zst" | head -1 | grep -o '"files":[0-9]*')"
