#!/bin/sh
# A file with more than one hard link (issue 11): its content is hashed like any file, and
# hash, sign and dataset manifest say so on stderr and in --json, since the same bytes can be
# changed through a name outside the model; a file with one link is not reported.
. "$(dirname "$0")/lib.sh"
set -e

M=$T/model
mkdir -p "$M/sub"
head -c 5000 /dev/urandom >"$T/outside.bin"
printf 'config' >"$M/config.json"
ln "$T/outside.bin" "$M/sub/weights.bin"
WANT="modelseal: warning: $M/sub/weights.bin has 2 hard links; its content is hashed, but it may be changed through another name"

# hash: the digest is the content's, and the warning names the file and its link count.
check_status "hash a model with a hard link" 0 ms hash "$M"
grep -q "^$(sha256sum "$T/outside.bin" | cut -d' ' -f1)  sub/weights.bin$" "$OUT" && pass ||
    fail "the hard-linked file is hashed as its content"
grep -qxF "$WANT" "$ERR" && pass || fail "hash warns: $(cat "$ERR")"
[ "$(grep -c warning "$ERR")" -eq 1 ] && pass || fail "only the hard-linked file is reported"

check_status "hash --json" 0 ms hash --json "$M"
$PY -c "import json; d=json.load(open('$OUT')); assert d['hard_links']==[{'path':'sub/weights.bin','links':2}], d['hard_links']" &&
    pass || fail "hash --json lists the hard link"

# A third name: the count follows.
ln "$T/outside.bin" "$T/third.bin"
check_status "hash with three links" 0 ms hash --json "$M"
$PY -c "import json; d=json.load(open('$OUT')); assert d['hard_links']==[{'path':'sub/weights.bin','links':3}], d" &&
    pass || fail "the link count is reported"
grep -qF "sub/weights.bin has 3 hard links" "$ERR" && pass || fail "warning with 3 links"
rm "$T/third.bin"

# No hard links: no warning, an empty list.
mkdir -p "$T/plain"
printf 'x' >"$T/plain/a.bin"
check_status "hash without hard links" 0 ms hash --json "$T/plain"
grep -q warning "$ERR" && fail "no warning without hard links: $(cat "$ERR")" || pass
$PY -c "import json; d=json.load(open('$OUT')); assert d['hard_links']==[], d" && pass ||
    fail "an empty hard_links list"
check_status "digest --json stays as it was" 0 ms digest --json "$T/plain"
$PY -c "import json; d=json.load(open('$OUT')); assert set(d)=={'model'} and set(d['model'])=={'name','digest','path'}, d" && pass ||
    fail "digest --json has no hard_links"

# A single-file model that is a hard link.
ln "$T/outside.bin" "$T/single.bin"
check_status "hash a hard-linked single-file model" 0 ms hash "$T/single.bin"
grep -qxF "modelseal: warning: $T/single.bin has 3 hard links; its content is hashed, but it may be changed through another name" "$ERR" &&
    pass || fail "the single file is reported: $(cat "$ERR")"
rm "$T/single.bin"

# sign warns too and lists it in --json; verify passes until the other name is written to.
ms keygen --no-password --output "$T/k" >/dev/null
check_status "sign a model with a hard link" 0 ms sign --key "$T/k.key" --json "$M"
$PY -c "import json; d=json.load(open('$OUT')); assert d['hard_links']==[{'path':'sub/weights.bin','links':2}], d" &&
    pass || fail "sign --json lists the hard link"
grep -qxF "$WANT" "$ERR" && pass || fail "sign warns: $(cat "$ERR")"
check_status "verify the signed model" 0 ms verify --key "$T/k.pub" "$M"
printf 'poison' | dd of="$T/outside.bin" bs=1 seek=100 conv=notrunc status=none
check_fails "a write through the outside name changes the model" 1 "sub/weights.bin" \
    ms verify --key "$T/k.pub" "$M"

# dataset manifest: the same warning; the line's digest is the content's.
check_status "dataset manifest with a hard link" 0 ms dataset manifest --name d --output "$T/d.zst" "$M"
grep -qxF "$WANT" "$ERR" && pass || fail "dataset manifest warns: $(cat "$ERR")"
zstd -dcq "$T/d.zst" | grep -qF "{\"path\":\"sub/weights.bin\",\"size\":5000,\"digest\":\"$(sha256sum "$T/outside.bin" | cut -d' ' -f1)\"}" &&
    pass || fail "the manifest line has the content's digest"
check_status "dataset verify" 0 ms dataset verify "$T/d.zst" "$M"

finish
