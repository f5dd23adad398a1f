#!/bin/sh
# attest provenance on a signed 1.5 GiB model: it reads the model's signature, never the
# weights, so it must take well under 0.2 s (issue 6) however large the model is.
# Run on demand: sh bench/attest.sh
. "$(dirname "$0")/common.sh"

mkdir -p "$B/model" "$B/data" "$B/repo"
head -c 805306368 /dev/urandom >"$B/model/a.bin"
head -c 805306368 /dev/urandom >"$B/model/b.bin"
"$MS" keygen --no-password --output "$B/k" >/dev/null
r=$(time_cmd "$MS" sign --key "$B/k.key" "$B/model")
echo "sign 1.5 GiB model (hashes it):   ${r% *} s"

# A small dataset and a training repository, so that every part of the statement is built.
for i in 1 2 3; do printf 'sample %s' "$i" >"$B/data/$i.txt"; done
"$MS" dataset manifest --name bench --output "$B/bench.dsm.jsonl.zst" "$B/data" >/dev/null
"$MS" dataset sign --key "$B/k.key" "$B/bench.dsm.jsonl.zst" >/dev/null
(
    cd "$B/repo"
    HOME=$B GIT_CONFIG_NOSYSTEM=1 git init -q -b main .
    printf 'train\n' >train.py
    git add train.py
    git -c user.name=bench -c user.email=bench@example.com -c commit.gpgsign=false commit -q -m bench
)

# Each run appends one new line (startedOn differs); the fastest of 5.
r=$(best_of 5 "$MS" attest provenance --key "$B/k.key" --builder-id https://bench.example/runner \
    --git-repo "$B/repo" --dataset "$B/bench.dsm.jsonl.zst" --param epochs=3 \
    --dependency pkg:pypi/torch@2.5.1 "$B/model")
secs=${r% *}
echo "attest provenance, 1.5 GiB model:  $secs s   peak RSS ${r#* } KiB   (limit 0.2 s)"
if awk -v s="$secs" 'BEGIN { exit !(s < 0.2) }'; then echo "attest: PASS"; else
    echo "attest: FAIL"
    exit 1
fi
