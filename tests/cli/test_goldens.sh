#!/bin/sh
# Digests equal the OMS reference goldens (model_signing's own test expectations): manifest
# lines `name:digest` and statement subjects/resources, for files, shards at 1e9 and at 8.
. "$(dirname "$0")/lib.sh"
set -e

G=$MS_VECTORS/oms/model-transparency-goldens
[ -d "$G" ] || { echo "goldens missing at $G"; exit 99; }

make_sample_model "$T/sample_model"
make_deep_model "$T/deep_model"
make_file_model "$T/file_model"
: >"$T/empty_file_model"
mkdir -p "$T/empty_folder_model"
mkdir -p "$T/empty_file_inside_model" && : >"$T/empty_file_inside_model/empty_file"
# The reference symlink model holds one link to a file elsewhere; ours points inside the model
# (links leaving the model are refused) and ignores the target, which hashes the same bytes.
mkdir -p "$T/symlink_model"
make_file_model "$T/symlink_model/target"
ln -s target "$T/symlink_model/symlink_file"

model_for() {
    case $1 in
    sample_model_*) echo "$T/sample_model" ;;
    deep_model_*) echo "$T/deep_model" ;;
    empty_model_file*) echo "$T/empty_file_model" ;;
    empty_model_folder*) echo "$T/empty_folder_model" ;;
    model_folder_with_empty_file*) echo "$T/empty_file_inside_model" ;;
    symlink_model_folder*) echo "$T/symlink_model" ;;
    *) echo "$T/file_model" ;;
    esac
}
options_for() { # golden name, method dir
    opts="--allow-symlinks --ignore target"
    case $1 in
    *_small_shards) opts="$opts --method shards --shard-size 8" ;;
    *_shard) opts="$opts --method shards" ;;
    *) [ "$2" = file_shard ] && opts="$opts --method shards" ;;
    esac
    echo "$opts"
}

# Serialization goldens: `name:digest` lines.
n=0
for dir in file file_shard; do
    for g in "$G/_serialization/testdata/$dir/TestSerializer/"*; do
        name=$(basename "$g")
        case $name in sample_model_file*) model=$T/file_model ;; *) model=$(model_for "$name") ;; esac
        # shellcheck disable=SC2046
        run ms hash $(options_for "$name" "$dir") "$model"
        if [ "$STATUS" -ne 0 ]; then fail "golden $dir/$name: exit $STATUS"; continue; fi
        head -n -1 "$OUT" | awk '{ print $2 ":" $1 }' >"$T/got"
        grep -v '^$' "$g" >"$T/want" || true
        check_file_eq "golden $dir/$name" "$T/got" "$T/want"
        n=$((n + 1))
    done
done
check_eq "serialization goldens checked" "$n" "21"

# Payload goldens: subject digest = our root, and the resources equal ours exactly.
n=0
for g in "$G/_signing/testdata/signing/TestPayload/"*; do
    name=$(basename "$g")
    case $name in sample_model_file*) model=$T/file_model ;; *) model=$(model_for "$name") ;; esac
    # shellcheck disable=SC2046
    run ms hash --json $(options_for "$name" signing) "$model"
    if [ "$STATUS" -ne 0 ]; then fail "payload golden $name: exit $STATUS"; continue; fi
    if $PY - "$OUT" "$g" <<'PY'; then pass; else fail "payload golden $name"; fi
import json, sys
ours = json.load(open(sys.argv[1]))
want = json.load(open(sys.argv[2]))
assert ours["model"]["digest"] == "sha256:" + want["subject"][0]["digest"]["sha256"], "root"
key = lambda r: (r["name"], r["algorithm"], r["digest"])
assert [key(r) for r in ours["resources"]] == [key(r) for r in want["predicate"]["resources"]], "resources"
ws = want["predicate"]["serialization"]
assert ours["serialization"]["method"] == ws["method"] and ours["serialization"]["hash_type"] == ws["hash_type"]
assert ours["serialization"].get("shard_size", 0) == ws.get("shard_size", 0)
PY
    n=$((n + 1))
done
check_eq "payload goldens checked" "$n" "21"
finish
