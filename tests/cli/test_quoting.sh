#!/bin/sh
# Names from outside never reach a terminal or a log raw (issue 16, item 5): control
# characters (C0, DEL, C1) and invalid UTF-8 in file names, builder ids and reasons are shown
# as escapes (\033, \r, \n, \302\233, \377, and \\ for a backslash) by verify, verify --policy,
# dataset verify and the error messages; `hash` writes names as GNU sha256sum does, so that
# sha256sum -c and b2sum -c check its lines.
. "$(dirname "$0")/lib.sh"
set -e

HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
ESC=$(printf '\033')
CR=$(printf '\r')

# no_raw_controls DESCRIPTION FILE...: no byte of a C0 control other than newline, no DEL,
# no C1 (as UTF-8, 0xC2 0x80..0x9F) and no invalid UTF-8 in the files.
no_raw_controls() {
    local desc=$1
    shift
    if LC_ALL=C grep -qP '[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]' "$@"; then
        fail "$desc: a raw control character: $(cat "$@" | od -c | grep -m 3 '\\[0-9rt]')"
    elif ! $PY -c 'import sys
for f in sys.argv[1:]:
    open(f, "rb").read().decode("utf-8")' "$@" 2>/dev/null; then
        fail "$desc: invalid UTF-8"
    else
        pass
    fi
}
# has_text DESCRIPTION FILE TEXT: FILE has the bytes of TEXT (fixed string) on one line.
has_text() {
    if grep -qF -- "$3" "$2"; then pass; else fail "$1: lacks '$3': $(head -c 600 "$2")"; fi
}

ms keygen --no-password --output "$T/release" >/dev/null
ms keygen --no-password --output "$T/ci" >/dev/null
M=$T/m
mkdir -p "$M"
printf 'w' >"$M/w.bin"
printf 'c' >"$M/config.json"
ms sign --key "$T/release.key" "$M" >/dev/null
cd "$T"
ms policy init --model-key release.pub >"$T/policy.json"

# The issue's file name: on a terminal the raw bytes erase the line and print VERIFIED.
EVIL="x${ESC}[2K${ESC}[1A${ESC}[2K${CR}VERIFIED
${ESC}[8m"
EVIL_SHOWN='x\033[2K\033[1A\033[2K\rVERIFIED\n\033[8m'
printf 'evil' >"$M/$EVIL"
check_status "verify --policy, an extra file with escapes in its name" 1 \
    ms verify --policy "$T/policy.json" "$M"
no_raw_controls "verify --policy: stdout" "$OUT"
no_raw_controls "verify --policy: stderr" "$ERR"
has_text "verify --policy: the model link names the file, escaped" "$OUT" \
    "✗ model: $M: the model does not match its signature (0 changed, 0 missing, 1 extra): extra $EVIL_SHOWN"
check_eq "verify --policy: one line per link and the verdict" "$(wc -l <"$OUT")" 7
check_eq "verify --policy: the verdict" "$(tail -n 1 "$OUT")" "NOT VERIFIED (1 of 6 links failed)"
grep -qx 'VERIFIED' "$OUT" && fail "verify --policy: a line reads VERIFIED" || pass
has_text "verify --policy: the error message, escaped" "$ERR" "extra $EVIL_SHOWN"

check_status "verify --key, the same extra file" 1 ms verify --key "$T/release.pub" "$M"
no_raw_controls "verify: stdout" "$OUT"
no_raw_controls "verify: stderr" "$ERR"
grep -qxF "  extra:   $EVIL_SHOWN" "$ERR" && pass || fail "verify: extra line: $(cat "$ERR")"
rm "$M/$EVIL"

# C1 (U+009B is CSI), DEL, a tab, and letters that are not ASCII (kept as they are).
C1NAME="csi$(printf '\302\233')31m"
printf 'c1' >"$M/$C1NAME"
printf 'del' >"$M/del$(printf '\177')x"
printf 'tab' >"$M/t$(printf '\t')ab"
printf 'caf' >"$M/café"
printf 'C' >"$M/config.json"
check_status "verify --key, C1, DEL, tab and accents" 1 ms verify --key "$T/release.pub" "$M"
no_raw_controls "verify C1: stderr" "$ERR"
grep -qxF '  extra:   csi\302\23331m' "$ERR" && pass || fail "C1 escaped: $(cat "$ERR")"
grep -qxF '  extra:   del\177x' "$ERR" && pass || fail "DEL escaped: $(cat "$ERR")"
grep -qxF '  extra:   t\tab' "$ERR" && pass || fail "tab escaped: $(cat "$ERR")"
grep -qxF '  extra:   café' "$ERR" && pass || fail "accents kept: $(cat "$ERR")"
grep -qxF '  changed: config.json' "$ERR" && pass || fail "a plain name unchanged: $(cat "$ERR")"
check_status "verify --policy, C1" 1 ms verify --policy "$T/policy.json" "$M"
no_raw_controls "verify --policy C1: stdout" "$OUT"
no_raw_controls "verify --policy C1: stderr" "$ERR"
has_text "verify --policy C1: escaped" "$OUT" 'csi\302\23331m'
rm "$M/$C1NAME" "$M/del$(printf '\177')x" "$M/t$(printf '\t')ab" "$M/café"
printf 'c' >"$M/config.json"
check_status "the model verifies again" 0 ms verify --key "$T/release.pub" "$M"

# A reason from a bundle: the builder id of a provenance statement.
ms attest provenance --key "$T/ci.key" --no-git \
    --builder-id "https://ci.example/${ESC}[2K${CR}VERIFIED" "$M" >/dev/null
$PY -c "import json,sys; p=json.load(open(sys.argv[1])); p['keys']['ci']={'public_key':'ci.pub'}; p['provenance']={'signers':['ci'],'builder_ids':['https://ci.example/ok']}; json.dump(p,open(sys.argv[2],'w'))" \
    "$T/policy.json" "$T/prov.json"
check_status "verify --policy, a builder id with escapes" 1 ms verify --policy "$T/prov.json" "$M"
no_raw_controls "builder id: stdout" "$OUT"
no_raw_controls "builder id: stderr" "$ERR"
has_text "builder id: escaped in the reason" "$OUT" \
    '✗ provenance: line 1: builder id "https://ci.example/\033[2K\rVERIFIED" is not in policy.provenance.builder_ids'
check_status "attest list" 0 ms attest list --key "$T/ci.pub" "$M"
no_raw_controls "attest list: stdout" "$OUT"

# Invalid UTF-8 and a backslash: the walker refuses the name (exit 2); the message is quoted.
B=$T/bad
mkdir -p "$B"
printf 'x' >"$B/bad$(printf '\377')name${ESC}[8m"
check_fails "invalid UTF-8 in a name" 2 'bad\377name\033[8m: file name is not valid UTF-8' ms hash "$B"
no_raw_controls "invalid UTF-8: stderr" "$ERR"
rm "$B"/*
printf 'x' >"$B/a\\b"
check_fails "a backslash in a name" 2 'a\\b: file name contains a backslash' ms hash "$B"

# dataset verify: changed and extra files named with escapes.
D=$T/data
mkdir -p "$D"
printf 'one' >"$D/$EVIL"
printf 'two' >"$D/plain"
ms dataset manifest --name pets --output "$T/pets.dsm.jsonl.zst" "$D" >/dev/null
printf 'ONE' >"$D/$EVIL"
printf 'new' >"$D/$C1NAME"
check_status "dataset verify, changed and extra names with escapes" 1 \
    ms dataset verify "$T/pets.dsm.jsonl.zst" "$D"
no_raw_controls "dataset verify: stdout" "$OUT"
no_raw_controls "dataset verify: stderr" "$ERR"
grep -qxF "  changed: $EVIL_SHOWN" "$ERR" && pass || fail "dataset: changed line: $(cat "$ERR")"
grep -qxF '  extra:   csi\302\23331m' "$ERR" && pass || fail "dataset: extra line: $(cat "$ERR")"
rm "$D/$C1NAME"
printf 'one' >"$D/$EVIL"
check_status "dataset manifest, an ESC in the directory name" 0 \
    ms dataset manifest --name pets --output "$T/pets.dsm.jsonl.zst" "$D"
cp -r "$D" "$T/d${ESC}ir"
check_status "dataset verify, an ESC in the directory name" 0 \
    ms dataset verify "$T/pets.dsm.jsonl.zst" "$T/d${ESC}ir"
no_raw_controls "dataset verify: the summary" "$OUT"
has_text "dataset verify: the directory escaped" "$OUT" "Data: $T/d\\033ir matches"

# hash: names as GNU sha256sum writes them, byte for byte, and sha256sum -c reads them back.
H=$T/h
mkdir -p "$H"
printf 'a' >"$H/new
line"
printf 'b' >"$H/carriage${CR}return"
printf 'c' >"$H/$EVIL"
printf 'd' >"$H/t$(printf '\t')ab"
printf 'e' >"$H/$C1NAME"
printf 'f' >"$H/plain"
for algo in sha256 blake2b; do
    sum=sha256sum
    [ "$algo" = blake2b ] && sum=b2sum
    check_status "hash --algorithm $algo" 0 ms hash --algorithm "$algo" "$H"
    head -n -1 "$OUT" >"$T/ours"
    (cd "$H" && $sum -- *) >"$T/theirs"
    check_eq "hash $algo: as many lines as files" "$(wc -l <"$T/ours")" 6
    LC_ALL=C sort "$T/ours" >"$T/ours.sorted"
    LC_ALL=C sort "$T/theirs" >"$T/theirs.sorted"
    check_file_eq "hash $algo: the lines are $sum's, byte for byte" "$T/ours.sorted" "$T/theirs.sorted"
    grep -qxF "\\$(printf a | $sum | cut -d' ' -f1)  new\\nline" "$T/ours" && pass ||
        fail "hash $algo: the newline line"
    if (cd "$H" && $sum -c "$T/ours") >"$T/check" 2>&1; then pass; else
        fail "hash $algo: $sum -c: $(cat "$T/check")"
    fi
    check_eq "hash $algo: $sum -c checked every file" "$(grep -c ': OK$' "$T/check")" 6
    # A changed file is caught through its escaped name.
    printf 'A' >"$H/new
line"
    if (cd "$H" && $sum -c "$T/ours") >"$T/check" 2>&1; then
        fail "hash $algo: $sum -c passed a changed file"
    else
        pass
    fi
    printf 'a' >"$H/new
line"
done
# A single file: its name is the root line's.
printf 'x' >"$T/s\\b"
check_status "hash a single file with a backslash" 0 ms hash "$T/s\\b"
check_eq "hash single file: the root line" "$(tail -n 1 "$OUT" | sed 's/[0-9a-f]\{64\}/HEX/')" \
    '\sha256:HEX  s\\b'

finish
