#!/bin/sh
# -q/--quiet on every command: --help lists it; a command that succeeds prints none of its
# summary lines (nothing on stdout unless printing is what it is for: a digest, --json); errors
# and the exit status are unchanged.
. "$(dirname "$0")/lib.sh"
set -e

ms --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' >"$T/commands"
[ -s "$T/commands" ] && pass || fail "no commands in modelseal --help"
while read -r cmd; do
    [ "$cmd" = help ] && continue
    ms "$cmd" --help | grep -q '^  -q, --quiet ' && pass || fail "$cmd --help lacks -q, --quiet"
done <"$T/commands"

# quiet DESCRIPTION CMD...: exit 0 and nothing on stdout or stderr.
quiet() {
    d=$1
    shift
    check_status "$d" 0 ms "$@"
    check_eq "$d: stdout" "$(cat "$OUT")" ""
    check_eq "$d: stderr" "$(cat "$ERR")" ""
}
M=$T/model
mkdir -p "$M" "$T/data"
printf 'weights' >"$M/w.bin"
printf 'rows' >"$T/data/rows.csv"
quiet "keygen -q" keygen -q --no-password --output "$T/k"
quiet "sign --quiet" sign --quiet --key "$T/k.key" "$M"
quiet "verify -q" verify -q --key "$T/k.pub" "$M"
check_status "verify without -q prints its lines" 0 ms verify --key "$T/k.pub" "$M"
grep -q "^Verified " "$OUT" && pass || fail "no Verified line without -q"
quiet "dataset manifest -q" dataset manifest -q --name rows --output "$T/rows.dsm.jsonl.zst" "$T/data"
quiet "dataset sign -q" dataset sign -q --key "$T/k.key" "$T/rows.dsm.jsonl.zst"
quiet "dataset verify -q" dataset verify -q --key "$T/k.pub" "$T/rows.dsm.jsonl.zst" "$T/data"
quiet "attest provenance -q" attest provenance -q --key "$T/k.key" --builder-id https://ci.example.com \
    --no-git --dataset "$T/rows.dsm.jsonl.zst" "$M"
quiet "sbom -q --output" sbom -q --format cyclonedx --key "$T/k.pub" --output "$T/bom.json" "$M"
[ -s "$T/bom.json" ] && pass || fail "sbom -q wrote no BOM"
printf 'blob' >"$T/blob.txt"
quiet "blob sign -q" blob sign -q --key "$T/k.key" --bundle "$T/blob.sigstore.json" "$T/blob.txt"
quiet "blob verify -q" blob verify -q --key "$T/k.pub" --bundle "$T/blob.sigstore.json" "$T/blob.txt"
ms policy init --model-key "$T/k.pub" >"$T/policy.json" 2>/dev/null
quiet "verify --policy -q (no verdict tree)" verify --policy "$T/policy.json" -q "$M"
# What a command exists to print is still printed.
check_status "digest -q" 0 ms digest -q "$M"
check_eq "digest -q prints the digest" "$(cat "$OUT")" "$(ms digest "$M")"
check_status "verify -q --json" 0 ms verify -q --json --key "$T/k.pub" "$M"
grep -q '"verified"' "$OUT" && pass || fail "verify -q --json printed no JSON"
# Failures still say why, with the same exit status.
printf 'x' >>"$M/w.bin"
check_fails "verify -q of a changed model" 1 "changed" ms verify -q --key "$T/k.pub" "$M"
check_eq "verify -q of a changed model: stdout" "$(cat "$OUT")" ""
check_fails "verify --policy -q of a changed model" 1 "model:" ms verify -q --policy "$T/policy.json" "$M"
check_eq "verify --policy -q: no verdict tree" "$(cat "$OUT")" ""
finish
