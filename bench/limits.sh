#!/bin/sh
# Hostile sizes at full scale (on demand, not part of the test suite; tests/cli/test_limits.sh
# runs small versions). Each is bounded (exit 2 naming the bound) or handled, and its peak RSS
# is printed:
#   a 100 GB sparse file (time and RSS; its 10 GB shards checked against OpenSSL's digest of
#   10 GB of zeros), a directory of 1,000,000 entries, a 1 GB bundle (sparse, and streamed on
#   standard input), JSON nested 100,000 deep, a dataset manifest line of 10 MB, a 1 GB claims
#   file. Needs ~1 GB of free space in BENCH_DIR (default /tmp) and a few minutes.
# usage: bench/limits.sh [sparse|many|bundle|deep|line|claims]...   (default: all of them)
. "$(dirname "$0")/common.sh"
sections=${*:-sparse many bundle deep line claims}
want() { case " $sections " in *" $1 "*) return 0 ;; esac; return 1; }

failures=0
# expect NAME STATUS CMD...: run CMD under /usr/bin/time, print "NAME: exit S, T s, RSS KiB".
expect() {
    name=$1 want=$2
    shift 2
    set +e
    /usr/bin/time -f "%e %M" -o "$B/.time" "$@" >"$B/.out" 2>"$B/.err"
    status=$?
    set -e
    # The last line: time(1) puts "Command exited with non-zero status N" before it.
    set -- $(tail -n 1 "$B/.time")
    secs=$1 rss=$2
    verdict=ok
    if [ "$status" -ne "$want" ]; then
        verdict="FAILED (expected exit $want)"
        failures=$((failures + 1))
    fi
    printf '%-44s exit %s  %6.2f s  peak RSS %7s KiB  %s\n' "$name:" "$status" "$secs" "$rss" "$verdict"
    if [ "$status" -ne 0 ]; then sed -n '1s/^/    /p' "$B/.err" | cut -c1-150; fi
}

"$MS" keygen --no-password -o "$B/k" >/dev/null
mkdir -p "$B/m"
printf 'w' >"$B/m/w"
"$MS" sign --key "$B/k.key" "$B/m" >/dev/null

if want sparse; then
echo "== a 100 GB sparse file"
mkdir -p "$B/sparse"
truncate -s 100G "$B/sparse/zeros"
expect "hash, files method (one digest)" 0 "$MS" hash --threads 2 "$B/sparse"
expect "hash, 10 GB shards" 0 "$MS" hash --threads 2 --method shards --shard-size 10737418240 "$B/sparse"
shards=$(grep -c '  zeros:' "$B/.out" || true)
want=$(head -c 10G /dev/zero | openssl dgst -sha256 -r | cut -d' ' -f1)
same=$(grep '  zeros:' "$B/.out" | cut -d' ' -f1 | sort -u)
if [ "$shards" = 10 ] && [ "$same" = "$want" ]; then
    echo "    10 shards, each the digest of 10 GB of zeros (OpenSSL): $want"
else
    echo "    WRONG: $shards shards, digests $same, expected $want"
    failures=$((failures + 1))
fi
rm -rf "$B/sparse"
fi

if want many; then
echo "== a directory of 1,000,000 entries"
mkdir -p "$B/many"
/usr/bin/python3 - "$B/many" <<'PY'
import os, sys
d = sys.argv[1]
for i in range(1_000_000):
    os.close(os.open(f"{d}/f{i:07}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
PY
expect "digest of 1,000,000 empty files" 0 "$MS" digest --threads 2 "$B/many"
# Its statement (117 MB) is over MS_DSSE_MAX_PAYLOAD (64 MiB), which no verifier would accept.
expect "sign of 1,000,000 empty files (bounded)" 2 "$MS" sign --key "$B/k.key" "$B/many"
expect "dataset manifest of 1,000,000 empty files" 0 "$MS" dataset manifest --name many --output "$B/many.dsm.jsonl.zst" "$B/many"
expect "dataset verify of 1,000,000 empty files" 0 "$MS" dataset verify --threads 2 "$B/many.dsm.jsonl.zst" "$B/many"
rm -rf "$B/many" "$B/many.dsm.jsonl.zst"
fi

if want bundle; then
echo "== a 1 GB bundle"
truncate -s 1G "$B/huge.sig"
expect "verify --signature (sparse 1 GB)" 2 "$MS" verify --key "$B/k.pub" --signature "$B/huge.sig" "$B/m"
expect "inspect - (1 GB streamed on stdin)" 2 sh -c "head -c 1G /dev/zero | '$MS' inspect -"
rm -f "$B/huge.sig"
fi

if want deep; then
echo "== JSON nested 100,000 deep"
/usr/bin/python3 -c "import sys; open(sys.argv[1],'w').write('['*100000 + ']'*100000)" "$B/deep.json"
expect "bundle" 2 "$MS" inspect "$B/deep.json"
expect "policy" 2 "$MS" policy check "$B/deep.json"
expect "claims file" 2 "$MS" attest list --claims "$B/deep.json" "$B/m"
fi

if want line; then
echo "== a 10 MB dataset manifest line"
/usr/bin/python3 -c "import sys; sys.stdout.write('{\"path\":\"' + 'r' * 10_000_000 + '\"}\n')" |
    zstd -q -c >"$B/long.dsm.jsonl.zst"
expect "dataset verify" 2 "$MS" dataset verify "$B/long.dsm.jsonl.zst"
fi

if want claims; then
echo "== a 1 GB claims file"
truncate -s 1G "$B/m/claims.jsonl"
expect "attest list (sparse 1 GB)" 2 "$MS" attest list "$B/m"
expect "attest provenance (append to it)" 2 "$MS" attest provenance --key "$B/k.key" --builder-id https://ci.example/b --no-git "$B/m"
rm -f "$B/m/claims.jsonl"
# A claims file just under the bound, of real lines: read in full, every line checked.
"$MS" attest provenance --key "$B/k.key" --builder-id https://ci.example/b --no-git "$B/m" >/dev/null
line=$(head -n 1 "$B/m/claims.jsonl")
/usr/bin/python3 - "$B/m/claims.jsonl" "$line" <<'PY'
import sys
path, line = sys.argv[1], sys.argv[2] + "\n"
n = (250 << 20) // len(line)
with open(path, "w") as f:
    f.write(line * n)
PY
ls -l "$B/m/claims.jsonl" | awk '{ printf "    claims.jsonl: %d bytes, identical lines\n", $5 }'
expect "attest list (250 MB of real claims)" 0 "$MS" attest list --key "$B/k.pub" "$B/m"
fi

[ "$failures" -eq 0 ] && echo "limits: all bounded or handled" || { echo "limits: $failures FAILED"; exit 1; }
