#!/bin/sh
# verify --policy against what it is built on (on demand, not part of the test suite):
#   2 x 768 MiB model with provenance, two signed datasets (not re-hashed), a signed base model
#     and a git repository check: `verify --policy` against `verify --key` (target <= 1.1x);
#   the same chain with datasets.data on a 200,000-file dataset (1 KiB files, 200 folders):
#     `verify --policy` against `dataset verify MANIFEST DIR` + `verify --key` (target <= 1.1x).
# Each figure is the best of 5 runs on a warm page cache, the two commands compared taking
# turns (a shared virtual machine drifts by more than the difference being measured).
. "$(dirname "$0")/common.sh"

# pair_best N "CMD A" "CMD B": the best time of each over N interleaved runs, "<a> <b>".
pair_best() {
    a="" b=""
    for _ in $(seq "$1"); do
        ta=$(time_cmd sh -c "$2")
        tb=$(time_cmd sh -c "$3")
        ta=${ta% *} tb=${tb% *}
        if [ -z "$a" ] || awk -v x="$ta" -v y="$a" 'BEGIN { exit !(x < y) }'; then a=$ta; fi
        if [ -z "$b" ] || awk -v x="$tb" -v y="$b" 'BEGIN { exit !(x < y) }'; then b=$tb; fi
    done
    echo "$a $b"
}

HOME=$B
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
for k in release ci data vendor; do "$MS" keygen --no-password --output "$B/$k" >/dev/null; done

echo "building the chain under $B ..."
R=$B/train
mkdir -p "$R"
git -C "$R" init -q -b main
printf 'print("train")\n' >"$R/train.py"
git -C "$R" add -A
git -C "$R" -c user.name=B -c user.email=b@e -c commit.gpgsign=false commit -q -m train
git -C "$R" remote add origin https://github.com/acme/train.git

mkdir -p "$B/base" "$B/pets/cat" "$B/birds"
printf 'base' >"$B/base/w.bin"
"$MS" sign --key "$B/vendor.key" "$B/base" >/dev/null
printf 'meow' >"$B/pets/cat/1.txt"
printf 'tweet' >"$B/birds/1.txt"
for d in pets birds; do
    "$MS" dataset manifest --name $d --output "$B/$d.dsm.jsonl.zst" "$B/$d" >/dev/null
    "$MS" dataset sign --key "$B/data.key" "$B/$d.dsm.jsonl.zst" >/dev/null
done

/usr/bin/python3 - "$B/big" <<'PY'
import os, sys
os.makedirs(sys.argv[1])
for i in range(2):
    with open(f"{sys.argv[1]}/shard-{i}.bin", "wb") as f:
        for _ in range(768):
            f.write(os.urandom(1 << 20))
PY
M=$B/big
"$MS" sign --key "$B/release.key" "$M" >/dev/null
"$MS" attest provenance --key "$B/ci.key" --builder-id https://ci.example.com/gpu-runner \
    --git-repo "$R" --param epochs=3 --dataset "$B/pets.dsm.jsonl.zst" \
    --dataset "$B/birds.dsm.jsonl.zst" --base-model "$B/base" "$M" >/dev/null

policy() { # DATA-SECTION
    cat <<EOF
{"version": 1, "expires": "2099-01-01T00:00:00Z",
 "keys": {"release": {"public_key": "release.pub"}, "ci": {"public_key": "ci.pub"},
          "data": {"public_key": "data.pub"}, "vendor": {"public_key": "vendor.pub"}},
 "model": {"signers": ["release"]},
 "provenance": {"signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu-runner"],
                "allowed_parameters": ["epochs"]},
 "datasets": {"signers": ["data"], "required": ["pets", "birds"]$1},
 "code": {"uris": ["git+https://github.com/acme/train.git"], "refs": ["refs/heads/main"],
          "repository": "train"},
 "base_model": {"required": true, "signers": ["vendor"]}}
EOF
}
policy "" >"$B/policy.json"
"$MS" verify --policy "$B/policy.json" "$M" >/dev/null # warm, and proves the chain holds

r=$(pair_best 5 "'$MS' verify --key '$B/release.pub' '$M'" "'$MS' verify --policy '$B/policy.json' '$M'")
key=${r% *} pol=${r#* }
echo "verify --key, 2 x 768 MiB: $key s"
echo "verify --policy, same model + provenance, 2 datasets (not re-hashed), base model, git: $pol s  = $(awk -v a="$pol" -v b="$key" 'BEGIN { printf "%.3f", a / b }') x verify --key (target <= 1.1)"
r=$(best_of 1 "$MS" verify --policy "$B/policy.json" "$M")
echo "  peak RSS of verify --policy: ${r#* } KiB"
# The chain checks alone: the same claims and policy on a one-file model.
mkdir -p "$B/tiny"
printf 'w' >"$B/tiny/w.bin"
"$MS" sign --key "$B/release.key" "$B/tiny" >/dev/null
"$MS" attest provenance --key "$B/ci.key" --builder-id https://ci.example.com/gpu-runner \
    --git-repo "$R" --param epochs=3 --dataset "$B/pets.dsm.jsonl.zst" \
    --dataset "$B/birds.dsm.jsonl.zst" --base-model "$B/base" "$B/tiny" >/dev/null
r=$(pair_best 5 "'$MS' verify --key '$B/release.pub' '$B/tiny'" "'$MS' verify --policy '$B/policy.json' '$B/tiny'")
echo "the chain checks alone (one-byte model): verify --key ${r% *} s, verify --policy ${r#* } s"

echo "building 200,000 x 1 KiB in 200 folders ..."
/usr/bin/python3 - "$B/pets" <<'PY'
import os, sys
root = sys.argv[1]
block = os.urandom(1024 * 64)
for d in range(200):
    os.makedirs(f"{root}/d{d:04}")
    for f in range(1000):
        i = (d * 1000 + f) % 64
        with open(f"{root}/d{d:04}/f{f:05}", "wb") as fh:
            fh.write(block[i * 1024:(i + 1) * 1024])
PY
"$MS" dataset manifest --name pets --output "$B/pets.dsm.jsonl.zst" "$B/pets" >/dev/null
"$MS" dataset sign --key "$B/data.key" "$B/pets.dsm.jsonl.zst" >/dev/null
rm "$M/claims.jsonl"
"$MS" attest provenance --key "$B/ci.key" --builder-id https://ci.example.com/gpu-runner \
    --git-repo "$R" --param epochs=3 --dataset "$B/pets.dsm.jsonl.zst" \
    --dataset "$B/birds.dsm.jsonl.zst" --base-model "$B/base" "$M" >/dev/null
policy ', "data": {"pets": {"manifest": "pets.dsm.jsonl.zst", "path": "pets"}}' >"$B/policy-data.json"
"$MS" verify --policy "$B/policy-data.json" "$M" >/dev/null
find "$B/pets" -type f -print0 | xargs -0 cat >/dev/null

r=$(pair_best 5 "'$MS' dataset verify '$B/pets.dsm.jsonl.zst' '$B/pets' && '$MS' verify --key '$B/release.pub' '$M'" "'$MS' verify --policy '$B/policy-data.json' '$M'")
sep=${r% *} pol=${r#* }
echo "dataset verify (200,000 files) + verify --key: $sep s"
echo "verify --policy with datasets.data on the 200,000-file dataset: $pol s  = $(awk -v a="$pol" -v b="$sep" 'BEGIN { printf "%.3f", a / b }') x the separate commands (target <= 1.1)"
r=$(best_of 1 "$MS" verify --policy "$B/policy-data.json" "$M")
echo "  peak RSS of verify --policy with datasets.data: ${r#* } KiB"
