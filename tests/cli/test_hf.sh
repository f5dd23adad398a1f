#!/bin/sh
# Hugging Face cache snapshots: links of a snapshot followed into the repository's own blobs/
# (and no other link), hf://ORG/NAME[@REV] resolved offline, and a snapshot signed or verified
# exactly as the same files downloaded as real files (issue 18 §1).
. "$(dirname "$0")/lib.sh"
set -e

ms keygen --no-password -o "$T/k" >/dev/null

# A fake cache: blobs named by their hash, refs/main, a snapshot of relative links (one nested).
C=$T/hub
R=$C/models--acme--tiny
SNAP=$R/snapshots/0123456789abcdef0123456789abcdef01234567
mkdir -p "$R/blobs" "$R/refs" "$SNAP/tokenizer"
blob() { # blob FILE-IN-SNAPSHOT CONTENT: store CONTENT as a blob and link FILE to it
    h=$(printf '%s' "$2" | sha256sum | cut -d' ' -f1)
    printf '%s' "$2" >"$R/blobs/$h"
    up=$(printf '%s' "$1" | sed 's|[^/]*/|../|g; s|[^/]*$||')
    ln -s "../../$up""blobs/$h" "$SNAP/$1"
}
blob model.safetensors "weights weights weights"
blob config.json '{"hidden": 8}'
blob tokenizer/vocab.txt "a b c"
blob tokenizer/merges.txt "a b"
basename "$SNAP" >"$R/refs/main"
printf 'v1 release' >/dev/null

# The same files, downloaded as real files.
COPY=$T/copy
mkdir -p "$COPY"
cp -RL "$SNAP/." "$COPY/"
[ ! -L "$COPY/config.json" ] && [ -L "$SNAP/config.json" ] && pass || fail "layout"

# --- digest, hash, sign, verify: identical on the snapshot and on the copy ---------------------
run ms digest "$COPY"
WANT=$(cat "$OUT")
check_status "digest snapshot" 0 ms digest "$SNAP"
check_eq "digest: snapshot = copy" "$(cat "$OUT")" "$WANT"
run ms hash "$COPY"
sed '$d' "$OUT" >"$T/hash.copy"
check_status "hash snapshot" 0 ms hash "$SNAP"
sed '$d' "$OUT" >"$T/hash.snap"
check_file_eq "hash: resources named by their link's path" "$T/hash.snap" "$T/hash.copy"
grep -q "  tokenizer/vocab.txt\$" "$T/hash.snap" && pass || fail "hash: nested link named in the snapshot"

check_status "sign snapshot" 0 ms sign --key "$T/k.key" --signature "$T/snap.sig" "$SNAP"
check_status "sign copy" 0 ms sign --key "$T/k.key" --signature "$T/copy.sig" "$COPY"
check_status "signed digests equal" 0 $PY -c "
import base64, json, sys
def st(p):
    env = json.load(open(p))['dsseEnvelope']
    return json.loads(base64.b64decode(env['payload']))
a, b = st(sys.argv[1]), st(sys.argv[2])
assert a['subject'][0]['digest'] == b['subject'][0]['digest'], (a['subject'], b['subject'])
assert a['predicate']['resources'] == b['predicate']['resources']
assert a['predicate']['serialization'] == b['predicate']['serialization']
" "$T/snap.sig" "$T/copy.sig"
check_status "verify snapshot, its own signature" 0 ms verify --key "$T/k.pub" --signature "$T/snap.sig" "$SNAP"
check_status "verify copy, snapshot's signature" 0 ms verify --key "$T/k.pub" --signature "$T/snap.sig" "$COPY"
check_status "verify snapshot, copy's signature" 0 ms verify --key "$T/k.pub" --signature "$T/copy.sig" "$SNAP"
check_status "verify snapshot --ignore-unsigned-files" 0 ms verify --key "$T/k.pub" --ignore-unsigned-files --signature "$T/copy.sig" "$SNAP"

# A blob changed after signing: named by the link's path.
h=$(readlink "$SNAP/config.json" | sed 's|.*/||')
printf '{"hidden": 9}' >"$R/blobs/$h"
check_fails "changed blob" 1 "config.json" ms verify --key "$T/k.pub" --signature "$T/copy.sig" "$SNAP"
# By hf:// name, the failure names the operand as given (and the snapshot it resolved to).
HF_HUB_CACHE=$C check_fails "changed blob, hf://" 1 "modelseal verify: hf://acme/tiny@main: $SNAP: the model does not match its signature" ms verify --key "$T/k.pub" --signature "$T/copy.sig" hf://acme/tiny@main
grep -q "^  changed: config.json\$" "$ERR" && pass || fail "changed blob, hf://: names the file: $(cat "$ERR")"
printf '{"hidden": 8}' >"$R/blobs/$h"

# --- hf://ORG/NAME[@REV] ---------------------------------------------------------------------
HF_HUB_CACHE=$C check_status "hf:// digest" 0 ms digest hf://acme/tiny
check_eq "hf:// digest = copy" "$(sed 's/  .*//' "$OUT")" "$(printf '%s' "$WANT" | sed 's/  .*//')"
HF_HUB_CACHE=$C check_status "hf:// verify (@main)" 0 ms verify --key "$T/k.pub" --signature "$T/copy.sig" hf://acme/tiny@main
grep -q "^Verified hf://acme/tiny@main ($SNAP): 4 files, root sha256:[0-9a-f]*\$" "$OUT" && pass || fail "hf:// success line names the operand: $(cat "$OUT")"
HF_HUB_CACHE=$C check_status "hf:// verify (@commit)" 0 ms verify --key "$T/k.pub" --signature "$T/copy.sig" "hf://acme/tiny@$(basename "$SNAP")"
mkdir -p "$T/home/hub"
ln -s "$R" "$T/home/hub/models--acme--tiny2"
HF_HOME=$T/home check_status "hf:// through HF_HOME/hub" 0 ms hash hf://acme/tiny2
mkdir -p "$T/user/.cache/huggingface"
ln -s "$C" "$T/user/.cache/huggingface/hub"
HOME=$T/user check_status "hf:// through ~/.cache/huggingface/hub" 0 ms digest hf://acme/tiny
HF_HUB_CACHE=$C check_fails "hf:// rev not in the cache" 2 "$C/models--acme--tiny/snapshots/v9" ms digest hf://acme/tiny@v9
HF_HUB_CACHE=$C check_fails "hf:// model not in the cache" 2 "looked for $C/models--acme--none/snapshots/main" ms sign --key "$T/k.key" hf://acme/none
HF_HUB_CACHE=$C check_fails "hf:// malformed" 2 "expected hf://ORG/NAME[@REV]" ms digest hf://acme
HF_HUB_CACHE=$C check_fails "hf:// ../" 2 "expected hf://ORG/NAME[@REV]" ms digest hf://acme/..
HF_HUB_CACHE=$C check_fails "hf://datasets for a dataset missing" 2 "$C/datasets--acme--d/snapshots/main" ms dataset manifest --name d --output "$T/d.manifest" hf://datasets/acme/d
# A dataset snapshot, by hf://datasets/ORG/NAME: the same manifest as its files as real files.
DR=$C/datasets--acme--d
DS=$DR/snapshots/1111111111111111111111111111111111111111
mkdir -p "$DR/blobs" "$DR/refs" "$DS/train"
for f in train/a.jsonl train/b.jsonl README.md; do
    printf 'rows of %s\n' "$f" >"$T/blob"
    h=$(sha256sum "$T/blob" | cut -d' ' -f1)
    mv "$T/blob" "$DR/blobs/$h"
    case $f in */*) ln -s "../../../blobs/$h" "$DS/$f" ;; *) ln -s "../../blobs/$h" "$DS/$f" ;; esac
done
basename "$DS" >"$DR/refs/main"
mkdir -p "$T/dcopy"
cp -RL "$DS/." "$T/dcopy/"
HF_HUB_CACHE=$C check_status "dataset manifest hf://datasets" 0 ms dataset manifest --name d --output "$T/d-snap.manifest" hf://datasets/acme/d
check_status "dataset manifest of the copy" 0 ms dataset manifest --name d --output "$T/d-copy.manifest" "$T/dcopy"
check_file_eq "dataset manifests equal" "$T/d-snap.manifest" "$T/d-copy.manifest"
HF_HUB_CACHE=$C check_status "dataset verify hf://datasets" 0 ms dataset verify "$T/d-copy.manifest" hf://datasets/acme/d
grep -q "^Data: hf://datasets/acme/d ($DS) matches (3 files hashed)\$" "$OUT" && pass || fail "dataset verify hf:// names the operand: $(cat "$OUT")"
check_status "dataset verify copy against the snapshot's manifest" 0 ms dataset verify "$T/d-snap.manifest" "$T/dcopy"
HF_HUB_CACHE=$C check_fails "hf:// model name for a dataset" 2 "expected hf://datasets/ORG/NAME[@REV]" ms dataset manifest --name d --output "$T/x.manifest" hf://acme/d
# Signing in place (the default model.sig) and verifying by hf:// name.
HF_HUB_CACHE=$C check_status "sign hf://" 0 ms sign --key "$T/k.key" hf://acme/tiny
grep -q "^Signed hf://acme/tiny ($SNAP): 4 resources, root sha256:" "$OUT" && pass || fail "sign hf:// names the operand: $(cat "$OUT")"
[ -f "$SNAP/model.sig" ] && pass || fail "sign hf:// writes the snapshot's model.sig"
HF_HUB_CACHE=$C check_status "verify hf://" 0 ms verify --key "$T/k.pub" hf://acme/tiny
check_status "copy verifies against the snapshot's signature" 0 ms verify --key "$T/k.pub" --signature "$SNAP/model.sig" "$COPY"
rm "$SNAP/model.sig"

# --- every other link keeps today's refusals ---------------------------------------------------
# Outside blobs/ (the repository's refs/), a link chain in blobs/, a link to a directory in
# blobs/, a blob of another repository.
bad() { # bad DESCRIPTION LINK-TARGET
    ln -s "$2" "$SNAP/bad"
    check_fails "$1" 2 "bad: is a symbolic link (use --allow-symlinks" ms digest "$SNAP"
    check_fails "$1 (--allow-symlinks)" 2 "/bad: " ms digest --allow-symlinks "$SNAP"
    rm "$SNAP/bad"
}
bad "link outside blobs/" ../../refs/main
ln -s "$(readlink "$SNAP/config.json" | sed 's|.*/||')" "$R/blobs/chain"
bad "link to a link in blobs/" ../../blobs/chain
mkdir "$R/blobs/dir"
bad "link to a directory in blobs/" ../../blobs/dir
bad "link to a missing blob" ../../blobs/nothing
mkdir -p "$C/models--acme--other/blobs"
printf 'x' >"$C/models--acme--other/blobs/x"
bad "link to another repository's blob" ../../../models--acme--other/blobs/x
bad "link through another directory" ../../snapshots/../blobs/chain
bad "absolute link elsewhere" "$COPY/config.json"
# A link written as the blob's absolute real path is the same link.
ln -s "$(cd "$R/blobs" && pwd -P)/$(readlink "$SNAP/config.json" | sed 's|.*/||')" "$SNAP/abs.json"
check_status "absolute link to the repository's own blob" 0 ms hash "$SNAP"
grep -q "  abs.json\$" "$OUT" && pass || fail "absolute link hashed"
rm "$SNAP/abs.json"
# blobs/ itself a link: not a genuine layout.
mv "$R/blobs" "$R/realblobs"
ln -s realblobs "$R/blobs"
check_fails "blobs/ is a link" 2 "is a symbolic link (use --allow-symlinks" ms digest "$SNAP"
rm "$R/blobs"
mv "$R/realblobs" "$R/blobs"
# A snapshot-like directory outside a cache layout (no models--/datasets--/spaces-- repository).
F=$T/notacache/acme-tiny
mkdir -p "$F/snapshots/r1"
cp -R "$R/blobs" "$F/blobs"
cp -P "$SNAP/config.json" "$F/snapshots/r1/config.json"
check_fails "snapshot-like, not a cache" 2 "config.json: is a symbolic link (use --allow-symlinks" ms digest "$F/snapshots/r1"
check_fails "snapshot-like, not a cache, --allow-symlinks" 2 "symbolic link points outside the model" ms digest --allow-symlinks "$F/snapshots/r1"
check_fails "repository dir (not a snapshot)" 2 "is a symbolic link (use --allow-symlinks" ms digest "$R"

# --- verify --allow-symlinks: the same meaning as for sign --------------------------------------
L=$T/links
mkdir -p "$L"
printf 'data' >"$L/w.bin"
ln -s w.bin "$L/alias.bin"
check_status "sign --allow-symlinks" 0 ms sign --key "$T/k.key" --allow-symlinks "$L"
check_status "verify it" 0 ms verify --key "$T/k.pub" "$L"
mkdir -p "$T/links-copy"
cp "$L/w.bin" "$L/model.sig" "$T/links-copy/"
cp "$L/w.bin" "$T/links-copy/alias.bin"
ms sign --key "$T/k.key" "$T/links-copy" >/dev/null
check_fails "verify without --allow-symlinks" 2 "alias.bin: is a symbolic link (use --allow-symlinks" ms verify --key "$T/k.pub" --signature "$T/links-copy/model.sig" "$L"
check_status "verify --allow-symlinks" 0 ms verify --key "$T/k.pub" --allow-symlinks --signature "$T/links-copy/model.sig" "$L"

# --- model_signing's released signature, its files re-laid as a snapshot ------------------------
V=$MS_VECTORS/oms/model-transparency-releases/v1.1.0-elliptic-key
R2=$C/models--sigstore--signme
S2=$R2/snapshots/fedcba9876543210fedcba9876543210fedcba98
mkdir -p "$R2/blobs" "$S2"
for f in signme-1 signme-2 ignore-me; do
    h=$(sha256sum "$V/$f" | cut -d' ' -f1)
    cp "$V/$f" "$R2/blobs/$h"
    ln -s "../../blobs/$h" "$S2/$f"
done
cp "$V/model.sig" "$T/release.sig"
check_status "release vector verifies on a snapshot" 0 ms verify --key "$MS_VECTORS/oms/model-transparency-releases/keys/certificate/signing-key-pub.pem" --signature "$T/release.sig" "$S2"

# --- hf download --local-dir: its .cache/huggingface metadata is left out, and recorded -------
D=$T/local-dir
mkdir -p "$D/.cache/huggingface/download/sub"
cp -R "$COPY/." "$D/"
printf 'etag\ncommit\n' >"$D/.cache/huggingface/download/config.json.metadata"
printf 'x' >"$D/.cache/huggingface/.gitignore"
check_status "local-dir: digest = copy" 0 ms digest "$D"
check_eq "local-dir: digest" "$(sed 's/  .*//' "$OUT")" "$(printf '%s' "$WANT" | sed 's/  .*//')"
check_status "local-dir: sign" 0 ms sign --key "$T/k.key" "$D"
check_status "local-dir: .cache/huggingface recorded" 0 $PY -c "
import base64, json, sys
env = json.load(open(sys.argv[1]))['dsseEnvelope']
ign = json.loads(base64.b64decode(env['payload']))['predicate']['serialization']['ignore_paths']
assert '.cache/huggingface' in ign, ign
" "$D/model.sig"
check_status "local-dir: verify" 0 ms verify --key "$T/k.pub" "$D"
printf 'newer etag\n' >"$D/.cache/huggingface/download/config.json.metadata"
check_status "local-dir: verify after the metadata changed" 0 ms verify --key "$T/k.pub" "$D"
check_status "local-dir: the copy verifies with it" 0 ms verify --key "$T/k.pub" --signature "$D/model.sig" "$COPY"
run ms hash --no-ignore-git-paths "$D"
grep -q "  .cache/huggingface/download/config.json.metadata\$" "$OUT" && pass || fail "--no-ignore-git-paths hashes .cache/huggingface"
# Only at the root: a nested .cache/huggingface is model content.
mkdir -p "$D/sub/.cache/huggingface"
printf 'y' >"$D/sub/.cache/huggingface/f"
run ms hash "$D"
grep -q "  sub/.cache/huggingface/f\$" "$OUT" && pass || fail "nested .cache/huggingface hashed"
rm -r "$D/sub"

# --- the policy's model.ignore: paths the verifier leaves out --------------------------------------
check_status "policy init --ignore" 0 ms policy init --model-key "$T/k.pub" --ignore notes.txt --ignore ./logs/
cp "$OUT" "$T/pol.json"
grep -q '"model": {"signers": \["release"\], "ignore": \["notes.txt", "./logs/"\]}' "$T/pol.json" && pass || fail "init writes model.ignore: $(cat "$T/pol.json")"
check_status "policy check" 0 ms policy check "$T/pol.json"
grep -q "^         leaving out (model.ignore): notes.txt, logs\$" "$OUT" && pass || fail "policy check prints model.ignore: $(cat "$OUT")"
M=$T/pm
mkdir -p "$M"
printf 'w' >"$M/w.bin"
ms sign --key "$T/k.key" "$M" >/dev/null
mkdir -p "$M/logs"
printf 'added later' >"$M/notes.txt"
printf 'added later' >"$M/logs/run.txt"
check_status "verify --policy: model.ignore leaves them out" 0 ms verify --policy "$T/pol.json" "$M"
sed 's/, "ignore": \[[^]]*\]//' "$T/pol.json" >"$T/pol-noignore.json"
check_status "verify --policy without model.ignore: extra files" 1 ms verify --policy "$T/pol-noignore.json" "$M"
check_fails "verify --policy still refuses --ignore" 2 "--ignore" ms verify --policy "$T/pol.json" --ignore notes.txt "$M"
sed 's|"ignore": \["notes.txt"|"ignore": ["../notes.txt"|' "$T/pol.json" >"$T/pol-bad.json"
check_fails "model.ignore outside the model" 2 "policy.model.ignore[0]: not a relative path inside the model" ms policy check "$T/pol-bad.json"
# A snapshot under a policy, by path and by hf:// name.
ms sign --key "$T/k.key" "$SNAP" >/dev/null
check_status "verify --policy on a snapshot" 0 ms verify --policy "$T/pol-noignore.json" "$SNAP"
HF_HUB_CACHE=$C check_status "verify --policy hf://" 0 ms verify --policy "$T/pol-noignore.json" hf://acme/tiny
grep -q "^✓ model: hf://acme/tiny: $SNAP/model.sig signed by " "$OUT" && pass || fail "verify --policy hf:// names the operand: $(cat "$OUT")"
h=$(readlink "$SNAP/config.json" | sed 's|.*/||')
printf '{"hidden": 9}' >"$R/blobs/$h"
HF_HUB_CACHE=$C check_fails "verify --policy hf://, a blob changed" 1 "modelseal verify: hf://acme/tiny: model: $SNAP: the model does not match its signature" ms verify --policy "$T/pol-noignore.json" hf://acme/tiny
printf '{"hidden": 8}' >"$R/blobs/$h"
HF_HUB_CACHE=$C check_fails "verify --policy hf:// not in the cache" 2 "looked for $C/models--acme--tiny/snapshots/v9" ms verify --policy "$T/pol-noignore.json" hf://acme/tiny@v9
rm "$SNAP/model.sig"
# A --local-dir download verifies under a policy with no ignore at all.
check_status "local-dir: verify --policy" 0 ms verify --policy "$T/pol-noignore.json" "$D"

# --- --ignore values are exact paths: warn when one matches nothing --------------------------------
run ms digest --ignore '*.json' "$COPY"
check_eq "glob --ignore: exit" "$STATUS" 0
grep -qF "warning: --ignore *.json matches no path: ignore paths are exact paths, not patterns (OMS v1.0 §6.1.1)" "$ERR" && pass || fail "glob --ignore warns: $(cat "$ERR")"
run ms sign --key "$T/k.key" --signature "$T/w.sig" --ignore nothing-here "$COPY"
check_eq "unmatched --ignore: exit" "$STATUS" 0
grep -qF "warning: --ignore nothing-here matches no path in the model" "$ERR" && pass || fail "unmatched --ignore warns: $(cat "$ERR")"
run ms digest --ignore config.json --ignore tokenizer/ "$COPY"
check_eq "matching --ignore: silent" "$(grep -v "^hashed " "$ERR")" ""

# --- lineage: a snapshot kept in git, its links followed into its own blobs/ as on disk -----------
command -v git >/dev/null || { echo "test_hf.sh: git not found" >&2; exit 99; }
G=$T/lrepo
LSNAP=hub/models--acme--tiny/snapshots/$(basename "$SNAP")
lgit() { GIT_CONFIG_NOSYSTEM=1 HOME=$T git -C "$G" -c user.name=T -c user.email=t@example.com "$@"; }
mkdir -p "$G/hub" "$G/keys"
lgit init -q
cp -a "$R" "$G/hub/"
cp "$T/k.pub" "$G/keys/k.pub"
printf '{"version": 1, "models": [{"path": "%s", "key": "keys/k.pub"}]}\n' "$LSNAP" >"$G/.modelseal.json"
ms sign --key "$T/k.key" "$G/$LSNAP" >/dev/null
lgit add -A
lgit commit -qm snapshot
check_status "lineage record: a snapshot in git" 0 ms lineage record --repo "$G" --print --dry-run
cp "$OUT" "$T/lnote.json"
check_status "lineage: the snapshot's note" 0 $PY -c "
import json, sys
a = json.load(open(sys.argv[1]))['artifacts']
assert [x['path'] for x in a] == [sys.argv[2]], a
assert a[0]['signature'] == 'valid' and a[0]['change'] == 'added', a[0]
assert a[0]['digest'] == sys.argv[3], (a[0]['digest'], sys.argv[3])
" "$T/lnote.json" "$LSNAP" "$(printf '%s' "$WANT" | sed 's/  .*//')"
check_status "lineage check: the snapshot" 0 ms lineage check --repo "$G"
# A blob rewritten under the same name (no link changes): the model changed, and no longer matches.
h=$(readlink "$SNAP/config.json" | sed 's|.*/||')
printf '{"hidden": 7}' >"$G/hub/models--acme--tiny/blobs/$h"
lgit commit -qam "blob rewritten"
check_fails "lineage check: a blob rewritten in git" 1 "$LSNAP: the files do not match the signature: changed config.json" ms lineage check --repo "$G" HEAD^..HEAD
lgit reset -q --hard HEAD^
# Any other link keeps being refused in git too.
ln -s ../../refs/main "$G/$LSNAP/bad"
lgit add -A
lgit commit -qm "a link outside blobs/"
check_fails "lineage check: a link outside blobs/" 1 "$LSNAP/bad: a symbolic link in the model" ms lineage check --repo "$G" HEAD^..HEAD
lgit reset -q --hard HEAD^
ln -s ../../../models--acme--tiny/blobs/$h "$G/$LSNAP/bad"
lgit add -A
lgit commit -qm "a link through the repository's name"
check_fails "lineage check: a link leaving the repository" 1 "$LSNAP/bad: a symbolic link in the model" ms lineage check --repo "$G" HEAD^..HEAD
lgit reset -q --hard HEAD^

# --- papercuts (§4): a single file's name is not signed; "." is named by the directory's name ------
mkdir -p "$T/work/my-model"
printf 'single' >"$T/work/weights.bin"
ms sign --key "$T/k.key" "$T/work/weights.bin" >/dev/null
check_status "verify a single file" 0 ms verify --key "$T/k.pub" "$T/work/weights.bin"
grep -q "^Verified $T/work/weights.bin: 1 file, root sha256:[0-9a-f]* (a single file: the signature does not bind its name)\$" "$OUT" && pass || fail "single-file success line: $(cat "$OUT")"
cp "$T/work/weights.bin" "$T/work/renamed.bin"
check_status "a renamed copy verifies with the same signature" 0 ms verify --key "$T/k.pub" --signature "$T/work/weights.bin.sig" "$T/work/renamed.bin"
printf 'w' >"$T/work/my-model/w.bin"
(cd "$T/work/my-model" && ms sign --key "$T/k.key" . >"$OUT" 2>"$ERR") && pass || fail "sign ."
grep -q "^Signed my-model: 1 resource, root " "$OUT" && pass || fail "Signed names the directory: $(cat "$OUT")"
(cd "$T/work/my-model" && ms verify --key "$T/k.pub" . >"$OUT" 2>"$ERR") && pass || fail "verify ."
grep -q "^Verified my-model: 1 file, root sha256:[0-9a-f]*\$" "$OUT" && pass || fail "Verified names the directory: $(cat "$OUT")"
(cd "$T/work/my-model" && ms verify --key "$T/k.pub" ../my-model/ >"$OUT" 2>"$ERR") && pass || fail "verify ../my-model/"
grep -q "^Verified ../my-model/: 1 file" "$OUT" && pass || fail "other paths as given: $(cat "$OUT")"

finish
