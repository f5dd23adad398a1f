#!/bin/sh
# File-system tricks: Unicode normalisation twins kept apart, overlong names refused, a file
# bind-mounted over a model file detected. (Symlinks, FIFOs, devices, /proc, invalid UTF-8 and
# backslashes: test_bad_input.sh; hostile resource names in bundles: test_tamper.sh.)
. "$(dirname "$0")/lib.sh"
set -e

ms keygen --no-password -o "$T/k" >/dev/null
openssl genpkey -algorithm ed25519 -out "$T/raw.pem" 2>/dev/null
openssl pkey -in "$T/raw.pem" -pubout -out "$T/raw.pub"

# --- Unicode normalisation twins: é as U+00E9 (NFC) and as e + U+0301 (NFD) ---------------------
NFC=$(printf 'caf\303\251')
NFD=$(printf 'cafe\314\201')
U=$T/twins
mkdir -p "$U"
printf 'nfc weights' >"$U/$NFC"
printf 'nfd weights' >"$U/$NFD"
run ms hash "$U"
check_eq "twins: two resources" "$(grep -c '  caf' "$OUT")" 2
check_eq "twins: NFC digest" "$(grep "  $NFC\$" "$OUT" | cut -d' ' -f1)" "$(printf 'nfc weights' | sha256sum | cut -d' ' -f1)"
check_eq "twins: NFD digest" "$(grep "  $NFD\$" "$OUT" | cut -d' ' -f1)" "$(printf 'nfd weights' | sha256sum | cut -d' ' -f1)"
ms sign --key "$T/k.key" "$U" >/dev/null
check_status "twins: the signature lists both names, byte for byte" 0 $PY -c "
import base64, json, sys
env = json.load(open(sys.argv[1]))['dsseEnvelope']
names = [r['name'].encode() for r in json.loads(base64.b64decode(env['payload']))['predicate']['resources']]
assert names == [b'cafe\xcc\x81', b'caf\xc3\xa9'], names  # sorted by bytes
" "$U/model.sig"
check_status "twins: verify" 0 ms verify --key "$T/k.pub" "$U"
# Swap their contents: both are reported changed.
mv "$U/$NFC" "$T/swap"
mv "$U/$NFD" "$U/$NFC"
mv "$T/swap" "$U/$NFD"
check_fails "twins swapped" 1 "$NFC" ms verify --key "$T/k.pub" "$U"
grep -qF "$NFD" "$ERR" && pass || fail "twins swapped: the NFD twin is not named"
# One twin removed: the other does not stand in for it.
rm "$U/$NFD"
printf 'nfc weights' >"$U/$NFC"
check_fails "one twin missing" 1 "$NFD" ms verify --key "$T/k.pub" "$U"
# Dataset manifests keep them apart too.
printf 'nfd weights' >"$U/$NFD"
ms dataset manifest --name twins --output "$T/twins.dsm.jsonl.zst" "$U" >/dev/null
check_eq "twins: two manifest entries" "$(zstd -dc "$T/twins.dsm.jsonl.zst" | grep -c '"path":"caf')" 2
check_status "twins: dataset verify" 0 ms dataset verify "$T/twins.dsm.jsonl.zst" "$U"
mv "$U/$NFC" "$T/swap" && mv "$U/$NFD" "$U/$NFC" && mv "$T/swap" "$U/$NFD"
check_status "twins swapped: dataset verify" 1 ms dataset verify "$T/twins.dsm.jsonl.zst" "$U"

# --- Overlong names in validly signed bundles ---------------------------------------------------
M=$T/model
mkdir -p "$M"
printf 'x' >"$M/w"
# sign_resource NAME: a bundle listing one resource called NAME (Python escapes).
sign_resource() {
    $PY - "$1" "$T/stmt.json" <<'PY'
import hashlib, json, sys
name = sys.argv[1]
digest = hashlib.sha256(b"x").hexdigest()
res = [{"name": name, "algorithm": "sha256", "digest": digest}]
root = hashlib.sha256(bytes.fromhex(digest)).hexdigest()
stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "model", "digest": {"sha256": root}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False},
                      "resources": res}}
open(sys.argv[2], "w").write(json.dumps(stmt))
PY
    $PY "$SRCDIR/tests/cli/craft_bundle.py" "$T/raw.pem" "$T/stmt.json" "$T/crafted.sig"
}
NAME_MAX=$(getconf NAME_MAX "$T")
PATH_MAX=$(getconf PATH_MAX "$T")
long_component=$(head -c $((NAME_MAX + 1)) /dev/zero | tr '\0' a)
sign_resource "d/$long_component"
check_fails "resource name component over NAME_MAX" 2 "predicate.resources" \
    ms verify --key "$T/raw.pub" --signature "$T/crafted.sig" "$M"
long_path=$($PY -c "print('/'.join(['d' * 200] * ($PATH_MAX // 200 + 2)))")
sign_resource "$long_path"
check_fails "resource name over PATH_MAX" 2 "predicate.resources" \
    ms verify --key "$T/raw.pub" --signature "$T/crafted.sig" "$M"
# The crafting itself is sound: a resource named w verifies.
sign_resource w
check_status "crafted bundle with a sane name verifies" 0 \
    ms verify --key "$T/raw.pub" --signature "$T/crafted.sig" "$M"

# --- Overlong, absolute, .. and NUL paths in a dataset manifest ---------------------------------
D=$T/data
mkdir -p "$D"
printf 'row' >"$D/r"
ms dataset manifest --name d --output "$T/d.dsm.jsonl.zst" "$D" >/dev/null
# craft_manifest PATH: the manifest with its one entry renamed PATH (a JSON string body).
craft_manifest() {
    zstd -dc "$T/d.dsm.jsonl.zst" | $PY -c "
import sys
lines = sys.stdin.read().splitlines()
lines[1] = lines[1].replace('\"path\":\"r\"', '\"path\":\"' + sys.argv[1] + '\"')
sys.stdout.write(''.join(l + '\n' for l in lines))" "$1" | zstd -q -c >"$T/bad.dsm.jsonl.zst"
}
for bad in "d/$long_component" "$long_path" '/etc/passwd' '../r' 'a/../../r' 'r\\u0000x' 'a\\\\r'; do
    craft_manifest "$bad"
    check_status "dataset manifest path $(printf '%.40s' "$bad")" 2 ms dataset verify "$T/bad.dsm.jsonl.zst" "$D"
    grep -q 'path' "$ERR" && pass || fail "dataset manifest path $(printf '%.40s' "$bad"): message lacks the field"
done
craft_manifest r
check_status "crafted manifest with the same path verifies" 0 ms dataset verify "$T/bad.dsm.jsonl.zst" "$D"

# --- A file bind-mounted over a model file ------------------------------------------------------
B=$T/bind
mkdir -p "$B"
printf 'real weights' >"$B/w"
printf 'other' >"$B/x"
printf 'planted weights' >"$T/planted"
ms sign --key "$T/k.key" "$B" >/dev/null
if mount --bind "$T/planted" "$B/w" 2>/dev/null; then
    run ms verify --key "$T/k.pub" "$B"
    umount "$B/w"
    if [ "$STATUS" -eq 1 ] && grep -q "$B/w\|  w\| w:\|changed: w" "$ERR" "$OUT"; then pass; else
        fail "bind-mounted file: exit $STATUS, expected 1 naming w"
    fi
    check_status "after the unmount, verify" 0 ms verify --key "$T/k.pub" "$B"
    # Hashed, it is its content: never the hidden file's bytes.
    mount --bind "$T/planted" "$B/w"
    run ms hash "$B"
    umount "$B/w"
    check_eq "bind-mounted file hashed as what is mounted" "$(grep '  w$' "$OUT" | cut -d' ' -f1)" \
        "$(printf 'planted weights' | sha256sum | cut -d' ' -f1)"
    # A directory mounted over a regular file's place is not a regular file.
    mkdir -p "$T/emptydir"
    rm "$B/x" && mkdir "$B/x" && mount --bind "$T/emptydir" "$B/x"
    printf 'y' >"$T/emptydir/y"
    run ms verify --key "$T/k.pub" "$B"
    umount "$B/x"
    check_eq "directory mounted where a file was: verify fails" "$STATUS" 1
else
    echo "skip: bind-mounted file: mount --bind is not permitted here"
fi

finish
