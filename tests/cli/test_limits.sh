#!/bin/sh
# Size limits, the fast versions (bench/limits.sh runs the big ones): every hostile size is a
# clear exit 2 naming the bound, quickly, or is handled correctly (a 1 GiB sparse file).
. "$(dirname "$0")/lib.sh"
set -e

ms keygen --no-password -o "$T/k" >/dev/null
M=$T/model
mkdir -p "$M"
printf 'w' >"$M/w"
ms sign --key "$T/k.key" "$M" >/dev/null
ms attest provenance --key "$T/k.key" --builder-id https://ci.example/b --no-git "$M" >/dev/null
deep() { $PY -c "import sys; open(sys.argv[1],'w').write('['*100000 + ']'*100000 + sys.argv[2])" "$1" "${2:-}"; }

# JSON nested 100,000 deep, in every JSON input, refused at once (never a stack overflow).
deep "$T/deep.sig"
check_fails "bundle nested 100,000 deep" 2 "$T/deep.sig" timeout 10 "$MODELSEAL" inspect "$T/deep.sig"
deep "$T/deep.claims" '\n'
check_fails "claims line nested 100,000 deep" 2 "$T/deep.claims" \
    timeout 10 "$MODELSEAL" attest list --claims "$T/deep.claims" "$M"
deep "$T/deep.policy"
check_fails "policy nested 100,000 deep" 2 "$T/deep.policy" timeout 10 "$MODELSEAL" policy check "$T/deep.policy"
deep "$T/deep.root"
check_fails "trusted root nested 100,000 deep" 2 "$T/deep.root" timeout 10 "$MODELSEAL" verify \
    --identity a@example.com --issuer https://issuer.example --trusted-root "$T/deep.root" "$M"
printf '{"a":%s}\n' "$($PY -c "print('['*100000 + ']'*100000)")" | zstd -q -c >"$T/deep.dsm.jsonl.zst"
check_fails "dataset manifest line nested 100,000 deep" 2 "$T/deep.dsm.jsonl.zst" \
    timeout 10 "$MODELSEAL" dataset verify "$T/deep.dsm.jsonl.zst"

# A bundle over MS_BUNDLE_MAX_SIZE (128 MiB; sparse, so nothing is read past the size check).
truncate -s 129M "$T/huge.sig"
check_fails "a 129 MiB bundle" 2 "larger than the limit of 134217728 bytes" \
    timeout 10 "$MODELSEAL" verify --key "$T/k.pub" --signature "$T/huge.sig" "$M"
# A claims file over MS_CLAIMS_MAX_SIZE (256 MiB): refused for reading and for appending.
truncate -s 257M "$T/huge.claims"
check_fails "a 257 MiB claims file" 2 "larger than the limit of 268435456 bytes" \
    timeout 10 "$MODELSEAL" attest list --claims "$T/huge.claims" "$M"
truncate -s 257M "$M/claims.jsonl"
check_fails "appending to a 257 MiB claims file" 2 "$M/claims.jsonl" \
    timeout 10 "$MODELSEAL" attest provenance --key "$T/k.key" --builder-id https://ci.example/c --no-git "$M"
check_eq "the oversized claims file is left alone" "$(stat -c %s "$M/claims.jsonl")" 269484032
rm "$M/claims.jsonl"

# A 10 MB dataset manifest line (the bound is MS_DATASET_MAX_LINE, 64 KiB).
D=$T/data
mkdir -p "$D"
printf 'row' >"$D/r"
ms dataset manifest --name d --output "$T/d.dsm.jsonl.zst" "$D" >/dev/null
zstd -dc "$T/d.dsm.jsonl.zst" | $PY -c "
import sys
lines = sys.stdin.read().splitlines()
lines[1] = lines[1].replace('\"path\":\"r\"', '\"path\":\"' + 'r' * 10_000_000 + '\"')
sys.stdout.write(''.join(l + '\n' for l in lines))" | zstd -q -c >"$T/long.dsm.jsonl.zst"
check_fails "a 10 MB manifest line" 2 "line 2: longer than 65536 bytes" \
    timeout 10 "$MODELSEAL" dataset verify "$T/long.dsm.jsonl.zst" "$D"
# A 10 MB line with no newline at all (the reader never holds more than the bound).
head -c 10000000 /dev/zero | tr '\0' x | zstd -q -c >"$T/noline.dsm.jsonl.zst"
check_fails "a 10 MB first line" 2 "line 1: longer than 65536 bytes" \
    timeout 10 "$MODELSEAL" dataset verify "$T/noline.dsm.jsonl.zst"
# A claims line over MS_CLAIMS_MAX_LINE (16 MiB).
$PY -c "import sys; open(sys.argv[1],'w').write('{\"a\":\"' + 'x' * (17 << 20) + '\"}\n')" "$T/longline.claims"
check_fails "a 17 MiB claims line" 2 "$T/longline.claims" \
    timeout 10 "$MODELSEAL" attest list --claims "$T/longline.claims" "$M"

# A 1 GiB sparse file is hashed to the digest of 1 GiB of zeros, with flat memory.
S=$T/sparse
mkdir -p "$S"
truncate -s 1G "$S/zeros"
want=$(head -c 1G /dev/zero | sha256sum | cut -d' ' -f1)
if [ -x /usr/bin/time ]; then
    # Flat memory, judged against this build's own baseline (a sanitizer build's allocator and
    # shadow memory raise every RSS): hashing 1 GiB may cost at most twice what hashing 1 MiB
    # costs in the same run, plus 128 MiB, far below the 1 GiB a whole-file read would take.
    mkdir -p "$T/small"
    head -c 1048576 /dev/urandom >"$T/small/one"
    run /usr/bin/time -f '%M' "$MODELSEAL" hash "$T/small"
    base=$(tail -1 "$ERR")
    run /usr/bin/time -f '%M' "$MODELSEAL" hash "$S"
    rss=$(tail -1 "$ERR")
    echo "note: hashing a 1 GiB sparse file: peak RSS $rss KiB (1 MiB file: $base KiB)"
    [ "$rss" -lt $((2 * base + 131072)) ] && pass ||
        fail "1 GiB sparse file: peak RSS $rss KiB against $base KiB for 1 MiB"
else
    run ms hash "$S"
fi
check_eq "1 GiB sparse file digest" "$(grep '  zeros$' "$OUT" | cut -d' ' -f1)" "$want"
run ms hash --method shards --shard-size 268435456 "$S"
check_eq "1 GiB sparse file, 4 shards" "$(grep -c '  zeros:' "$OUT")" 4
check_eq "each 256 MiB shard" "$(grep '  zeros:268435456:536870912$' "$OUT" | cut -d' ' -f1)" \
    "$(head -c 256M /dev/zero | sha256sum | cut -d' ' -f1)"

finish
