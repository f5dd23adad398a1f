#!/bin/sh
# modelseal lineage record | log | find | check on real repositories made with the git command:
# notes read back with `git notes` and parsed by Python, digests compared with `modelseal
# digest` of the checked-out artifacts, Git LFS pointer files written by hand, then bad input
# (configuration, foreign notes, shallow clones, long histories, non-UTF-8 paths).
. "$(dirname "$0")/lib.sh"
set -e

command -v git >/dev/null || { echo "test_lineage.sh: git not found, skipped"; exit 77; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" GIT_AUTHOR_DATE="2025-01-01T00:00:00Z"
git config --global init.defaultBranch main
git config --global user.name Tester
git config --global user.email tester@example.com

ms keygen --no-password --output "$T/rel" >/dev/null
ms keygen --no-password --output "$T/other" >/dev/null

R=$T/repo
git init -q "$R"
cd "$R"
mkdir -p models/clf keys data models/lfs
head -c 3000 /dev/urandom >models/clf/weights.bin
printf '{"layers": 3}' >models/clf/config.json
cp "$T/rel.pub" keys/release.pub
ms sign --key "$T/rel.key" models/clf >/dev/null
printf 'tiny unsigned model' >models/tiny.bin

# An LFS model: the real content is signed elsewhere; the repository holds pointer files.
mkdir -p "$T/lfsreal"
head -c 5000 /dev/urandom >"$T/lfsreal/a.safetensors"
head -c 7000 /dev/urandom >"$T/lfsreal/b.safetensors"
ms sign --key "$T/rel.key" "$T/lfsreal" >/dev/null
pointer() { # REAL_FILE
    printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
        "$(sha256sum "$1" | cut -d' ' -f1)" "$(stat -c %s "$1")"
}
pointer "$T/lfsreal/a.safetensors" >models/lfs/a.safetensors
pointer "$T/lfsreal/b.safetensors" >models/lfs/b.safetensors
cp "$T/lfsreal/model.sig" models/lfs/model.sig

mkdir -p "$T/ds/cat"
printf 'meow' >"$T/ds/cat/1.jpg"
printf 'woof' >"$T/ds/2.jpg"
ms dataset manifest --name pets --output data/pets.dsm.jsonl.zst "$T/ds" >"$OUT"
DSROOT=$(tail -n 1 "$OUT")
ms dataset sign --key "$T/rel.key" data/pets.dsm.jsonl.zst >/dev/null
cat >.modelseal.json <<'EOF'
{"version": 1,
 "models": [{"path": "models/clf", "key": "keys/release.pub"},
            {"path": "./models/lfs/", "key": "keys/release.pub"},
            {"path": "models/tiny.bin"}],
 "datasets": [{"path": "data/*.dsm.jsonl.zst", "key": "keys/release.pub"}]}
EOF
git add -A
git commit -qm "first models"
C1=$(git rev-parse HEAD)

# ---- record on a root commit -----------------------------------------------------------------
check_status "record the root commit" 0 ms lineage record
grep -q "note written" "$OUT" && pass || fail "record says it wrote the note: $(cat "$OUT")"
git notes --ref modelseal show HEAD >"$T/note1.json" && pass || fail "git notes show"
check_note() { # NOTE_FILE PYTHON-ASSERTIONS (note in n, artifacts by path in a)
    $PY - "$@" <<'PY'
import json, sys
n = json.load(open(sys.argv[1]))
a = {x["path"]: x for x in n["artifacts"]}
exec(sys.argv[2])
PY
}
run check_note "$T/note1.json" "
assert n['version'] == 1 and n['commit'] == '$C1', n
assert list(a) == ['models/clf', 'models/lfs', 'models/tiny.bin', 'data/pets.dsm.jsonl.zst'], list(a)
assert set(n) == {'version', 'commit', 'artifacts'}, n.keys()
c = a['models/clf']
assert c['kind'] == 'model' and c['name'] == 'clf' and c['change'] == 'added', c
assert c['previous'] is None and c['signature'] == 'valid' and c['claims'] == [] and c['datasets'] == []
assert c['digest'] == '$(ms digest models/clf)', c['digest']
assert c['signer'] == '$(ms inspect --json models/clf/model.sig | $PY -c 'import json,sys; print(json.load(sys.stdin)["signer"]["hint"])' 2>/dev/null || echo none)' or c['signer'] is not None
l = a['models/lfs']
assert l['signature'] == 'valid' and l['digest'] == '$(ms digest "$T/lfsreal")', l
t = a['models/tiny.bin']
assert t['signature'] == 'unsigned' and t['signer'] is None and t['digest'] == '$(ms digest models/tiny.bin)', t
d = a['data/pets.dsm.jsonl.zst']
assert d['kind'] == 'dataset' and d['name'] == 'pets' and d['digest'] == '$DSROOT' and d['signature'] == 'valid', d
assert d['digest'] == '$(ms digest "$T/ds")'
"
[ "$STATUS" -eq 0 ] && pass || fail "note of the root commit: $(cat "$ERR")"

# Idempotent: recording again writes nothing.
NOTES1=$(git rev-parse refs/notes/modelseal)
check_status "record again" 0 ms lineage record
grep -q "note unchanged" "$OUT" && pass || fail "second record: $(cat "$OUT")"
check_eq "recording twice leaves the notes ref alone" "$(git rev-parse refs/notes/modelseal)" "$NOTES1"
ms lineage record --print --dry-run >"$T/again.json"
check_eq "the same note again" "$(cat "$T/again.json")" "$(git notes --ref modelseal show HEAD)"
# The unsigned model fails the check; signing it makes the next commit pass.
check_fails "check refuses an unsigned model" 1 "models/tiny.bin: the model is not signed" ms lineage check
grep -q "^modelseal lineage check: commit ${C1%????????????????????????????}: " "$ERR" && pass || fail "check names the commit: $(cat "$ERR")"
ms sign --key "$T/rel.key" models/tiny.bin >/dev/null
git add -A && git commit -qm "sign tiny"
ms lineage record --quiet
check_status "check passes on a good range" 0 ms lineage check "$C1..HEAD"
check_status "check with ^REV" 0 ms lineage check HEAD "^$C1"

# ---- a commit that changes only claims.jsonl counts as changed ----------------------------------
tr -d '\n' <"$T/lfsreal/model.sig" >models/clf/claims.jsonl
printf '\n' >>models/clf/claims.jsonl
git add -A && git commit -qm "claims only"
check_status "record a claims-only change" 0 ms lineage record
git notes --ref modelseal show HEAD >"$T/note2.json"
run check_note "$T/note2.json" "
assert list(a) == ['models/clf'], list(a)
c = a['models/clf']
assert c['change'] == 'changed' and c['digest'] == c['previous'] == '$(ms digest models/clf)', c
assert c['claims'] == [{'predicateType': 'https://model_signing/signature/v1.0', 'digest': 'sha256:$(tr -d '\n' <models/clf/claims.jsonl | sha256sum | cut -d' ' -f1)'}], c['claims']
"
[ "$STATUS" -eq 0 ] && pass || fail "claims-only note: $(cat "$ERR")"

# ---- provenance naming a dataset -----------------------------------------------------------------
if ms attest provenance --key "$T/rel.key" --builder-id https://ci.example/job --no-git \
    --dataset data/pets.dsm.jsonl.zst models/clf >/dev/null 2>&1; then
    git add -A && git commit -qm provenance
    ms lineage record >/dev/null
    git notes --ref modelseal show HEAD >"$T/note3.json"
    run check_note "$T/note3.json" "
d = a['models/clf']['datasets']
assert d == [{'name': 'pets', 'digest': '$DSROOT'}], d
assert any(c['predicateType'] == 'https://slsa.dev/provenance/v1' for c in a['models/clf']['claims'])
"
    [ "$STATUS" -eq 0 ] && pass || fail "datasets from the provenance: $(cat "$ERR")"
else
    fail "attest provenance"
fi

# ---- new model version, a tampered LFS pointer, an unsigned change ------------------------------
head -c 3000 /dev/urandom >models/clf/weights.bin
ms sign --key "$T/rel.key" models/clf >/dev/null
git add -A && git commit -qm "model v2"
C_V2=$(git rev-parse HEAD)
ms lineage record >/dev/null
git notes --ref modelseal show HEAD >"$T/note4.json"
run check_note "$T/note4.json" "
c = a['models/clf']
assert c['change'] == 'changed' and c['digest'] == '$(ms digest models/clf)' and c['previous'] != c['digest'], c
assert c['signature'] == 'valid'
"
[ "$STATUS" -eq 0 ] && pass || fail "new model version: $(cat "$ERR")"

head -c 5000 /dev/urandom >"$T/evil"
pointer "$T/evil" >models/lfs/a.safetensors
git add -A && git commit -qm "swap LFS weights"
C_BAD=$(git rev-parse HEAD)
ms lineage record >/dev/null
git notes --ref modelseal show HEAD >"$T/note5.json"
run check_note "$T/note5.json" "
l = a['models/lfs']
assert l['signature'] == 'invalid' and l['change'] == 'changed', l
"
[ "$STATUS" -eq 0 ] && pass || fail "tampered LFS pointer: $(cat "$ERR")"
check_fails "check refuses the tampered LFS model" 1 "models/lfs: the files do not match the signature: changed a.safetensors" ms lineage check "$C1..HEAD"
grep -q "commit ${C_BAD%????????????????????????????}" "$ERR" && pass || fail "check names the commit: $(cat "$ERR")"
check_status "check of a good range passes" 0 ms lineage check "$C1..$C_V2"
check_fails "check of a range with the bad commit" 1 "models/lfs" ms lineage check "$C_V2..$C_BAD"
git checkout -q "$C_V2" -- models/lfs
git commit -qm "restore LFS weights"
ms lineage record >/dev/null

printf 'changed but not re-signed' >models/tiny.bin
git commit -qam "tiny v2"
ms lineage record >/dev/null
check_fails "check refuses a changed single-file model" 1 "models/tiny.bin: the files do not match the signature: changed" ms lineage check HEAD^..HEAD

# ---- key rotation is marked, and refused unless allowed -------------------------------------------
git reset -q --hard HEAD^
cp "$T/other.pub" keys/release.pub
ms sign --key "$T/other.key" models/clf >/dev/null
ms sign --key "$T/other.key" models/lfs >/dev/null 2>&1 || true
git checkout -q HEAD -- models/lfs
git add -A && git commit -qm "rotate key"
ms lineage record >/dev/null
git notes --ref modelseal show HEAD >"$T/note6.json"
run check_note "$T/note6.json" "
k = n['key_changes']
assert {'artifact': 'models/clf', 'kind': 'model', 'key': 'keys/release.pub', 'change': 'changed'} in k, k
"
[ "$STATUS" -eq 0 ] && pass || fail "key change marked in the note: $(cat "$ERR")"
# The model re-signed, its content unchanged: log says so, not "changed X (was X)".
check_status "log of a re-signed model" 0 ms lineage log models/clf
check_eq "log: re-signed, content unchanged" "$(sed -n 2p "$OUT")" \
    "    re-signed model: $(ms digest models/clf) (content unchanged), signature valid"
run ms lineage check HEAD^..HEAD
check_eq "check refuses a key change" "$STATUS" 1
grep -q "keys/release.pub: the configured key of model models/clf was changed (rotating a trust anchor needs --allow-key-change)" "$ERR" && pass || fail "the key change is named: $(cat "$ERR")"
run ms lineage check HEAD^..HEAD --allow-key-change
grep -q "allow-key-change" "$ERR" && fail "--allow-key-change accepts the rotation" || pass
# Artifacts still signed by the old key fail against the new key file.
grep -q "models/lfs: not signed by the configured key keys/release.pub" "$ERR" && pass || fail "old signatures fail against the new key: $(cat "$ERR")"
grep -q "models/clf" "$ERR" && fail "the re-signed model passes" || pass
git reset -q --hard HEAD^

# ---- removal ---------------------------------------------------------------------------------------
LAST=$(ms digest models/tiny.bin)
git rm -q models/tiny.bin
git commit -qm "drop tiny"
ms lineage record >/dev/null
git notes --ref modelseal show HEAD >"$T/note7.json"
run check_note "$T/note7.json" "
t = a['models/tiny.bin']
assert t['change'] == 'removed' and t['digest'] is None and t['previous'] == '$LAST', t
"
[ "$STATUS" -eq 0 ] && pass || fail "removed artifact: $(cat "$ERR")"

# ---- log -------------------------------------------------------------------------------------------
check_status "log" 0 ms lineage log models/clf
grep -q "^${C_V2%????????????????????????????}  " "$OUT" && pass || fail "log lists the v2 commit: $(cat "$OUT")"
check_status "log --json" 0 ms lineage log --json models/clf
$PY - "$OUT" "$C1" "$C_V2" "$(ms digest models/clf)" <<'PY' && pass || fail "log --json content"
import json, sys
log = json.load(open(sys.argv[1]))
c1, cv2, digest = sys.argv[2:5]
assert [e["commit"] for e in log][-1] == c1, log
assert log[0]["digest"] == digest and log[0]["source"] == "note", log[0]
assert set(log[0]) == {"commit", "date", "author", "path", "kind", "digest", "previous", "change",
                       "signature", "datasets", "source"}, log[0].keys()
assert log[0]["author"] == "Tester <tester@example.com>" and log[0]["date"].startswith("20")
assert any(e["commit"] == cv2 for e in log)
assert log[-1]["change"] == "added" and log[-1]["previous"] is None
PY
# A commit without a note is read from its tree.
git notes --ref modelseal remove "$C_V2" 2>/dev/null
ms lineage log --json models/clf >"$T/log2.json"
$PY - "$T/log2.json" "$C_V2" <<'PY' && pass || fail "a commit without a note comes from its tree"
import json, sys
log = json.load(open(sys.argv[1]))
e = [x for x in log if x["commit"] == sys.argv[2]][0]
assert e["source"] == "tree" and e["signature"] == "valid" and e["change"] == "changed", e
PY
# A foreign, malformed note: reported, not trusted, no crash.
git notes --ref modelseal add -f -m 'this is not json {' "$C_V2" 2>/dev/null
check_status "log with a malformed note" 0 ms lineage log --json models/clf
grep -q "not a modelseal lineage note" "$ERR" && pass || fail "the malformed note is reported: $(cat "$ERR")"
$PY -c "import json,sys; l=json.load(open('$OUT')); assert [x['source'] for x in l if x['commit']=='$C_V2']==['tree']" && pass || fail "the malformed note is not trusted"
git notes --ref modelseal add -f -m '{"version":1,"commit":"0000000000000000000000000000000000000000","artifacts":[]}' "$C_V2" 2>/dev/null
check_status "log with a note for another commit" 0 ms lineage log models/clf
grep -q "does not name this commit" "$ERR" && pass || fail "a note copied from another commit is refused: $(cat "$ERR")"
git notes --ref modelseal add -f -m '{"version":1,"commit":"'"$C_V2"'","artifacts":[{"path":"models/clf","kind":"model","digest":"sha256:zz","previous":null,"change":"added","signature":"valid"}]}' "$C_V2" 2>/dev/null
check_status "log with a note of the wrong shape" 0 ms lineage log models/clf
grep -q "artifacts\[0\].digest" "$ERR" && pass || fail "a malformed artifact is named: $(cat "$ERR")"
ms lineage record --commit "$C_V2" >/dev/null
check_eq "record replaces a foreign note" "$(git notes --ref modelseal show "$C_V2" | head -c 12)" '{"version":1'

# ---- find ------------------------------------------------------------------------------------------
check_status "find a model by its digest" 0 ms lineage find "$(ms digest models/clf)"
grep -q "^$C_V2  models/clf  (model, from the note)" "$OUT" && pass || fail "find names commit and path: $(cat "$OUT")"
HEX=$(ms digest models/clf | cut -d: -f2)
check_status "find without the sha256: prefix" 0 ms lineage find --json "$HEX"
$PY -c "import json; l=json.load(open('$OUT')); assert l[0]=={'commit':'$C_V2','path':'models/clf','kind':'model','source':'note'}, l" && pass || fail "find --json"
check_status "find a dataset" 0 ms lineage find "$DSROOT"
grep -q "^$C1  data/pets.dsm.jsonl.zst" "$OUT" && pass || fail "find the dataset: $(cat "$OUT")"
git notes --ref modelseal remove "$C1" 2>/dev/null
check_status "find from signatures in trees" 0 ms lineage find "$DSROOT"
grep -q "^$C1  data/pets.dsm.jsonl.zst  (dataset, from the tree)" "$OUT" && pass || fail "find in trees: $(cat "$OUT")"
check_fails "find an unknown digest" 1 "no commit introduced" ms lineage find "sha256:$(printf '%064d' 0)"
check_fails "find a malformed digest" 2 "not a SHA-256 digest" ms lineage find sha256:abc

# ---- bad configuration -----------------------------------------------------------------------------
B=$T/bad
git init -q "$B"
cd "$B"
printf 'x' >m.bin
git add m.bin && git commit -qm "no config"
check_fails "record without .modelseal.json" 2 "no .modelseal.json" ms lineage record
bad_config() { # DESCRIPTION JSON EXPECTED_TEXT
    printf '%s' "$2" >.modelseal.json
    git add .modelseal.json && git commit -qm "$1"
    check_fails "$1" 2 "$3" ms lineage record
    check_fails "$1 (check)" 2 "$3" ms lineage check HEAD
}
bad_config "malformed JSON" '{"version": 1,' ".modelseal.json"
bad_config "unknown field" '{"version": 1, "modles": []}' ".modelseal.json: modles: unknown field"
bad_config "unknown entry field" '{"version": 1, "models": [{"path": "m.bin", "kye": "k"}]}' "models[0].kye: unknown field"
bad_config "wrong version" '{"version": 2}' "version: must be 1"
bad_config "missing version" '{"models": []}' "version: missing"
bad_config "path not a string" '{"version": 1, "models": [{"path": 3}]}' "models[0].path: not a string"
bad_config "glob escaping the repository" '{"version": 1, "datasets": [{"path": "../elsewhere/*.zst"}]}' "datasets[0].path: \"../elsewhere/*.zst\" leaves the repository"
bad_config "glob with .. inside" '{"version": 1, "datasets": [{"path": "data/*/../../x/*"}]}' "leaves the repository"
bad_config "absolute path" '{"version": 1, "models": [{"path": "/etc"}]}' "models[0].path: an absolute path leaves the repository"
bad_config "key escaping" '{"version": 1, "models": [{"path": "m.bin", "key": "../k.pub"}]}' "models[0].key"
bad_config "inside .git" '{"version": 1, "models": [{"path": ".git/config"}]}' "inside .git"
printf '{"version": 1, "models": [{"path": "m.bin"}]}' >.modelseal.json
git add .modelseal.json && git commit -qm "good config"
check_status "a good configuration after bad ones" 0 ms lineage record
check_fails "not a repository" 2 "not in a git repository" ms lineage record --repo /
check_fails "bad --commit" 2 "not a commit" ms lineage record --commit nosuchrev
check_fails "unknown subcommand" 2 "unknown subcommand" ms lineage frobnicate
check_fails "log needs a PATH" 2 "missing PATH" ms lineage log
check_fails "bad pre-push input" 2 "line 1" sh -c 'echo garbage | "$0" lineage check --stdin' "$MODELSEAL"
printf 'refs/notes/modelseal %s refs/notes/modelseal %s\n' "$(git rev-parse HEAD)" "$(printf '%040d' 0)" >"$T/notes-only"
check_status "pre-push input with only notes" 0 sh -c '"$0" lineage check --stdin <"$1"' "$MODELSEAL" "$T/notes-only"

# ---- a swapped key may not arrive in a parentless commit or through a merge's other parent -----
# The trust configuration at a range's tip must come from the base's through changes that
# --allow-key-change permits: each commit is judged against every parent, and one without a
# parent against the range's base (whose everything it replaces).
ms keygen --no-password --output "$T/evil" >/dev/null
K=$T/keyswap
git init -q "$K"
cd "$K"
mkdir keys m
cp "$T/rel.pub" keys/release.pub
printf '{"version":1,"models":[{"path":"m","key":"keys/release.pub"}]}\n' >.modelseal.json
echo good >m/w.bin
ms sign --key "$T/rel.key" m >/dev/null
git add -A && git commit -qm init
MAIN=$(git rev-parse HEAD)
evil_tree() { # swap the configured key for the attacker's and sign other weights with it
    cp "$T/evil.pub" keys/release.pub
    echo EVIL >m/w.bin
    ms sign --key "$T/evil.key" m >/dev/null
    git add -A
}
SWAP="keys/release.pub: the configured key of model m was changed"
# (1) the issue's reproduction: an orphan commit, then main merged on top with -s ours, so that
# main can fast-forward to it.
git checkout -q --orphan evil
evil_tree
git commit -qm refresh
ORPHAN=$(git rev-parse HEAD)
git merge -q --allow-unrelated-histories -s ours main -m merge
check_eq "main can fast-forward to the orphan merge" "$(git merge-base main evil)" "$MAIN"
run ms lineage check main..evil
check_eq "an orphan merge with a swapped key is refused" "$STATUS" 1
grep -q "commit ${ORPHAN%????????????????????????????}: keys/release.pub: the configured key of model m was changed against the range's base ${MAIN%????????????????????????????}" "$ERR" &&
    pass || fail "the parentless commit is judged against the base: $(cat "$ERR")"
grep -q "commit $(git rev-parse --short=12 evil): keys/release.pub: the configured key of model m was changed against parent 2 (${MAIN%????????????????????????????})" "$ERR" &&
    pass || fail "the merge is judged against its second parent: $(cat "$ERR")"
printf 'refs/heads/evil %s refs/heads/main %s\n' "$(git rev-parse evil)" "$MAIN" >"$T/push-evil"
run sh -c '"$0" lineage check --stdin <"$1"' "$MODELSEAL" "$T/push-evil"
check_eq "the pre-push form refuses it too" "$STATUS" 1
grep -qF "$SWAP" "$ERR" && pass || fail "pre-push names the key change: $(cat "$ERR")"
check_status "--allow-key-change accepts it" 0 ms lineage check --allow-key-change main..evil
# The orphan commit alone, pushed where there is nothing yet (an empty tree as the base, or a
# new branch of a new repository): a new history, allowed.
check_status "a parentless commit against the empty tree" 0 ms lineage check \
    "$(git hash-object -t tree /dev/null)..$ORPHAN"
printf 'refs/heads/evil %s refs/heads/evil %s\n' "$ORPHAN" "$(printf '%040d' 0)" >"$T/push-new"
check_status "a parentless commit pushed to a new repository" 0 \
    sh -c '"$0" lineage check --stdin <"$1"' "$MODELSEAL" "$T/push-new"
# (2) a merge whose second parent carries the swap, resolved to take its side.
git checkout -q main
git checkout -q -b side
evil_tree
git commit -qm "side swaps the key"
SIDE=$(git rev-parse HEAD)
git checkout -q main
git checkout -q -b feature
echo feature >notes.txt && git add notes.txt && git commit -qm feature
git merge -q -X theirs side -m "merge side" 2>/dev/null
check_eq "the merge took the swapped key" "$(git show HEAD:keys/release.pub)" "$(cat "$T/evil.pub")"
run ms lineage check "$MAIN..HEAD"
check_eq "a merge whose second parent swapped the key is refused" "$STATUS" 1
grep -q "commit $(git rev-parse --short=12 HEAD): keys/release.pub: the configured key of model m was changed against parent 1" "$ERR" &&
    pass || fail "the merge is judged against its first parent: $(cat "$ERR")"
# Checked from the side's point of view (its commits already pushed), the merge is still judged
# against the first parent, which never had the evil key.
run ms lineage check "$SIDE..HEAD"
check_eq "the merge alone, with the swap's commit outside the range" "$STATUS" 1
grep -qF "$SWAP against parent 1" "$ERR" && pass || fail "judged against parent 1: $(cat "$ERR")"
# (3) an octopus merge: one of three parents carries the swap and the merge takes it.
git checkout -q main
git checkout -q -b o1
echo one >o1.txt && git add o1.txt && git commit -qm o1
git checkout -q main
git checkout -q -b o2
echo two >o2.txt && git add o2.txt && git commit -qm o2
git checkout -q o1
git merge -q --no-edit -m octopus o2 side >/dev/null
check_eq "an octopus merge of three parents" "$(git rev-list --parents -n 1 HEAD | wc -w)" 4
run ms lineage check "$MAIN..HEAD"
check_eq "an octopus merge taking the swapped key is refused" "$STATUS" 1
grep -qF "$SWAP against parent 1" "$ERR" && grep -qF "$SWAP against parent 2" "$ERR" &&
    pass || fail "the octopus merge is judged against every parent: $(cat "$ERR")"
grep -qF "against parent 3" "$ERR" && fail "no change against the side that swapped: $(cat "$ERR")" || pass
# A merge that changes no key against any parent passes.
git checkout -q main
git checkout -q -b clean
git merge -q --no-ff --no-edit -m "clean octopus" o2 feature~1 >/dev/null 2>&1
check_status "a merge that keeps the base's key passes" 0 ms lineage check "$MAIN..HEAD"
# The staged tree of a merge being concluded is judged against MERGE_HEAD too.
git checkout -q main
git merge -q --no-commit -s ours side 2>/dev/null
git checkout -q side -- keys m
run ms lineage check --staged
check_eq "a staged merge taking the swapped key" "$STATUS" 1
grep -qF "$SWAP against HEAD" "$ERR" && pass || fail "staged merge judged against HEAD: $(cat "$ERR")"
git merge --abort
cd "$T"

# ---- shallow clone ---------------------------------------------------------------------------------
cd "$T"
git clone -q --depth 1 "file://$R" shallow
cd shallow
check_status "record in a shallow clone (no parent)" 0 ms lineage record
git notes --ref modelseal show HEAD >"$T/note_shallow.json"
$PY -c "import json; n=json.load(open('$T/note_shallow.json')); assert all(a['change']=='added' for a in n['artifacts']) and n['artifacts'], n" && pass || fail "a shallow root records everything as added"
check_status "log in a shallow clone" 0 ms lineage log --json models/clf
check_status "check in a shallow clone" 0 ms lineage check HEAD
check_status "find in a shallow clone" 0 ms lineage find "$(ms digest models/clf)"

# ---- thousands of commits (git fast-import), streamed -----------------------------------------------
H=$T/hist
git init -q "$H"
cd "$H"
$PY - 3000 <<'PY' | git fast-import --quiet
import sys
n = int(sys.argv[1])
out = sys.stdout.buffer
def blob(mark, data):
    out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
blob(1, b'{"version": 1, "models": [{"path": "model.bin"}]}')
for v in range(n // 10):
    blob(2 + v, b"model version %d" % v)
for i in range(n):
    out.write(b"commit refs/heads/main\ncommitter T <t@example.com> %d +0000\ndata 4\nc%03d\n"
              % (1700000000 + i, i % 1000))
    out.write(b"M 100644 :1 .modelseal.json\nM 100644 :%d model.bin\n" % (2 + i // 10))
    out.write(b"M 100644 :1 other/f%d.txt\n" % (i % 50))
PY
check_eq "3000 commits imported" "$(git rev-list --count HEAD)" 3000
git checkout -q main
check_status "log over 3000 commits without notes" 0 ms lineage log --json model.bin
$PY -c "
import json; l=json.load(open('$OUT'))
assert len(l) == 300, len(l)
assert all(e['source'] == 'tree' and e['signature'] == 'unsigned' for e in l)
assert l[-1]['change'] == 'added' and all(e['change'] == 'changed' for e in l[:-1])
assert [e['date'] for e in l] == sorted([e['date'] for e in l], reverse=True)
" && pass || fail "log over a long history"
# Streaming: the first entry comes out although the reader stops early.
check_eq "log streams (head -n 1)" "$(ms lineage log model.bin | head -n 1 | cut -c1-12)" "$(git rev-parse --short=12 HEAD~9)"
ms lineage record --quiet && pass || fail "record on a long history"

# ---- large blobs (streamed from loose objects, read whole from packs), shards, BLAKE2b ----------
L=$T/large
git init -q "$L"
cd "$L"
mkdir -p sh bl
head -c 5000000 /dev/urandom >sh/big.bin
printf 'small' >sh/small.bin
cp sh/big.bin bl/big.bin
ms sign --key "$T/rel.key" --method shards --shard-size 1000000 sh >/dev/null
ms sign --key "$T/rel.key" --algorithm blake2b bl >/dev/null
printf '{"version": 1, "models": [{"path": "sh"}, {"path": "bl"}]}' >.modelseal.json
git add -A && git commit -qm large
ms lineage record --print --dry-run >"$T/large.json"
$PY -c "
import json; n=json.load(open('$T/large.json')); a={x['path']: x for x in n['artifacts']}
assert a['sh']['signature'] == 'valid' and a['sh']['digest'] == '$(ms digest --method shards --shard-size 1000000 sh)', a['sh']
assert a['bl']['signature'] == 'valid' and a['bl']['digest'] == '$(ms digest --algorithm blake2b bl)', a['bl']
" && pass || fail "sharded and BLAKE2b signatures checked from loose blobs"
git gc -q --prune=now </dev/null # (gc may read its standard input; never the harness's)
ms lineage record --print --dry-run >"$T/large2.json"
check_file_eq "the same from a pack" "$T/large2.json" "$T/large.json"
flip_byte sh/big.bin 2500000
git commit -qam "flip a byte in the third shard"
check_fails "check names the changed shard's file" 1 "sh: the files do not match the signature: changed big.bin" ms lineage check HEAD

# ---- non-UTF-8 paths in trees -----------------------------------------------------------------------
U=$T/utf
git init -q "$U"
cd "$U"
mkdir -p m data
printf 'weights' >m/w.bin
ms sign --key "$T/rel.key" m >/dev/null
printf 'x' >"$(printf 'latin1-\351.txt')"
ms dataset manifest --name d1 --output data/d1.dsm.jsonl.zst "$T/ds" >/dev/null
cp data/d1.dsm.jsonl.zst "data/$(printf 'bad-\377').dsm.jsonl.zst"
printf '{"version": 1, "models": [{"path": "m"}], "datasets": [{"path": "data/*.dsm.jsonl.zst"}]}' >.modelseal.json
git add -A && git commit -qm "non-UTF-8 names outside the model"
check_status "record with non-UTF-8 names in the tree" 0 ms lineage record
grep -q "not valid UTF-8" "$ERR" && pass || fail "the non-UTF-8 dataset path is reported: $(cat "$ERR")"
git notes --ref modelseal show HEAD >"$T/note_utf.json"
$PY -c "import json; n=json.load(open('$T/note_utf.json')); assert [a['path'] for a in n['artifacts']]==['m','data/d1.dsm.jsonl.zst'], n" && pass || fail "only UTF-8 paths are recorded"
printf 'x' >"m/$(printf 'extra-\377.bin')"
git add -A && git commit -qm "non-UTF-8 name inside a signed model"
check_status "record with a non-UTF-8 name inside the model" 0 ms lineage record
check_fails "check refuses it" 1 "m: " ms lineage check HEAD^..HEAD
grep -q "not valid UTF-8" "$ERR" && pass || fail "the reason names the bad file name: $(cat "$ERR")"


# ---- a large model file is read from the working tree only while the index vouches for it ----
W=$T/wtrepo
git init -q "$W"
cd "$W"
mkdir -p big keys
head -c 33554432 /dev/urandom >big/w.bin
cp "$T/rel.pub" keys/release.pub
ms sign --key "$T/rel.key" big >/dev/null
cp -r big "$T/big.orig"
printf '{"version": 1, "models": [{"path": "big", "key": "keys/release.pub"}]}' >.modelseal.json
sleep 1 # the index written below is then clearly newer than the files (not "racily clean")
git add -A && git commit -qm "a 32 MiB model"
# Peak RSS is compared with baselines measured here, by this build (a sanitizer's shadow memory
# and allocator raise every number): `modelseal digest` streaming the same checked-out files,
# and record itself when it has to inflate the 32 MiB blob (below).
/usr/bin/time -f %M -o "$T/rss_digest" "$MODELSEAL" digest big >/dev/null 2>"$ERR" ||
    fail "digest of the large model: $(cat "$ERR")"
/usr/bin/time -f %M -o "$T/rss" "$MODELSEAL" lineage record --print --dry-run >"$T/wt1.json" 2>"$ERR" &&
    pass || fail "record the large model: $(cat "$ERR")"
RSS_WT=$(cat "$T/rss")
$PY -c "import json; a=json.load(open('$T/wt1.json'))['artifacts'][0]; assert a['signature']=='valid' and a['digest']=='$(ms digest "$T/big.orig")', a" &&
    pass || fail "the large model is valid with the committed digest"
[ "$RSS_WT" -lt $(($(cat "$T/rss_digest") + 16384)) ] && pass ||
    fail "read from the clean working tree, not inflated whole from git (peak RSS $RSS_WT KiB; digest of the checkout: $(cat "$T/rss_digest") KiB)"
# An index that does not read back as git wrote it vouches for nothing: the blob is hashed (its
# peak RSS shows it), with the same result. Here its entry count claims far more entries than
# the file holds.
cp .git/index "$T/index.good"
$PY -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[8]^=0x40; open(sys.argv[1],'wb').write(b)" .git/index
/usr/bin/time -f %M -o "$T/rss" "$MODELSEAL" lineage record --print --dry-run >"$T/wt1b.json" 2>"$ERR" &&
    pass || fail "record with a damaged index: $(cat "$ERR")"
cmp -s "$T/wt1.json" "$T/wt1b.json" && pass || fail "a damaged index changes nothing in the note"
[ "$(cat "$T/rss")" -ge $((RSS_WT + 16384)) ] && pass ||
    fail "a damaged index sends record to the blob (peak RSS $(cat "$T/rss") KiB; from the checkout: $RSS_WT KiB)"
cp "$T/index.good" .git/index
# Same size, other bytes, even with the old mtime put back: the stat no longer matches the
# index (ctime), so the blob is hashed and the note still describes the commit.
touch -r big/w.bin "$T/mtime"
printf 'tampered' | dd of=big/w.bin bs=1 seek=1000 conv=notrunc status=none
touch -r "$T/mtime" big/w.bin
ms lineage record --print --dry-run >"$T/wt2.json" && pass || fail "record after tampering with the checkout"
$PY -c "import json; a=json.load(open('$T/wt2.json'))['artifacts'][0]; assert a['signature']=='valid' and a['digest']=='$(ms digest "$T/big.orig")', a" &&
    pass || fail "a changed checkout does not change what record says about the commit"
# A filter that keeps the size (tr) makes the checked-out bytes differ from the blob although
# the index is clean: the attribute sends record to the blob, which is not what was signed.
git checkout -q -- big
git config filter.swap.clean "tr ab ba"
git config filter.swap.smudge "tr ab ba"
printf 'big/*.bin filter=swap\n' >.gitattributes
mkdir -p big2
$PY -c "import sys; sys.stdout.write('ab' * 1048576)" >big2/t.bin
ms sign --key "$T/rel.key" big2 >/dev/null
printf '{"version": 1, "models": [{"path": "big2", "key": "keys/release.pub"}]}' >.modelseal.json
printf 'big2/*.bin filter=swap\n' >.gitattributes
sleep 1
git add -A && git commit -qm "a filtered model"
[ "$(git cat-file -p HEAD:big2/t.bin | head -c 4)" = "baba" ] && pass || fail "the filter ran"
ms lineage record --print --dry-run >"$T/wt3.json" && pass || fail "record the filtered model"
$PY -c "import json; a=json.load(open('$T/wt3.json'))['artifacts'][0]; assert a['path']=='big2' and a['signature']=='invalid', a" &&
    pass || fail "the filtered model is checked from its blob (not the checkout that was signed)"
rm .gitattributes # still in the index, which is where it is read from then
ms lineage record --print --dry-run >"$T/wt4.json" && pass || fail "record without the checked-out .gitattributes"
$PY -c "import json; a=json.load(open('$T/wt4.json'))['artifacts'][0]; assert a['signature']=='invalid', a" &&
    pass || fail "an attributes file only in the index still sends record to the blob"
# Nor when git is told not to check the attributes file out (skip-worktree).
git update-index --skip-worktree .gitattributes
ms lineage record --print --dry-run >"$T/wt5.json" && pass || fail "record with a skip-worktree .gitattributes"
$PY -c "import json; a=json.load(open('$T/wt5.json'))['artifacts'][0]; assert a['signature']=='invalid', a" &&
    pass || fail "an attributes file marked skip-worktree still sends record to the blob"
# Nor an attributes file in the repository's info/, which a linked worktree reads from the
# common directory, not its own (the linked checkout has no .gitattributes, in its index or
# out of it).
printf 'big2/*.bin filter=swap\n' >.git/info/attributes
git worktree add -q --detach "$T/linked" HEAD 2>/dev/null
sleep 1 # (the index written below is then clearly newer than the checkout)
git -C "$T/linked" rm -q --cached .gitattributes && rm "$T/linked/.gitattributes"
(cd "$T/linked" && ms lineage record --print --dry-run) >"$T/wt6.json" &&
    pass || fail "record in a linked worktree"
$PY -c "import json; a=json.load(open('$T/wt6.json'))['artifacts'][0]; assert a['signature']=='invalid', a" &&
    pass || fail "info/attributes of the common directory sends a linked worktree's record to the blob"

# ---- the index says where to look, never what is trusted ---------------------------------------
# A forged index: the signed bytes put back in the checkout, the entry rewritten with the blob id
# of a later commit (other bytes under the stale model.sig) and the file's current stat, the
# trailer recomputed. git itself then calls the checkout clean; lineage must judge the commit's
# blob, as a fresh clone does.
forge_index() { # PATH BLOB_ID: rewrite PATH's entry in .git/index (version 2)
    $PY - "$1" "$2" <<'PY'
import hashlib, os, struct, sys
path, oid = sys.argv[1].encode(), bytes.fromhex(sys.argv[2])
b = bytearray(open(".git/index", "rb").read())
assert b[:4] == b"DIRC" and struct.unpack(">I", b[4:8])[0] == 2, "not a version 2 index"
off, m = 12, 0xFFFFFFFF
for _ in range(struct.unpack(">I", b[8:12])[0]):
    nl = struct.unpack(">H", b[off + 60:off + 62])[0] & 0xFFF
    if bytes(b[off + 62:off + 62 + nl]) == path:
        st = os.lstat(path)
        struct.pack_into(">4I", b, off, st.st_ctime_ns // 10**9 & m, st.st_ctime_ns % 10**9,
                         st.st_mtime_ns // 10**9 & m, st.st_mtime_ns % 10**9)
        struct.pack_into(">2I", b, off + 16, st.st_dev & m, st.st_ino & m)
        struct.pack_into(">I", b, off + 36, st.st_size & m)
        b[off + 40:off + 60] = oid
        break
    off += (62 + nl + 8) & ~7
else:
    sys.exit("no entry for %s" % path.decode())
b[-20:] = hashlib.sha1(bytes(b[:-20])).digest()
open(".git/index.forged", "wb").write(b)
os.rename(".git/index.forged", ".git/index")
PY
}
F=$T/forged
git init -q "$F"
cd "$F"
mkdir -p big keys
head -c 2097152 /dev/urandom >big/w.bin
cp "$T/rel.pub" keys/release.pub
ms sign --key "$T/rel.key" big >/dev/null
printf '{"version": 1, "models": [{"path": "big", "key": "keys/release.pub"}]}' >.modelseal.json
git add -A && git commit -qm signed
cp big/w.bin "$T/signed.bin"
flip_byte big/w.bin 1000000
git commit -qam "other bytes under the stale signature"
cp "$T/signed.bin" big/w.bin
touch -d "2020-01-01 00:00:00" big/w.bin # (long before the index is written: not racily clean)
git update-index --index-version 2
forge_index big/w.bin "$(git rev-parse HEAD:big/w.bin)"
check_eq "git trusts the forged index" "$(git status --porcelain --untracked-files=no)" ""
check_fails "check judges the commit's blob, not the bytes a forged index vouches for" 1 \
    "big: the files do not match the signature: changed w.bin" ms lineage check HEAD^..HEAD
ms lineage record --print --dry-run >"$T/forged.json" && pass || fail "record with a forged index"
$PY -c "import json; a=json.load(open('$T/forged.json'))['artifacts'][0]; assert a['signature']=='invalid', a" &&
    pass || fail "record does not call the commit valid through a forged index: $(cat "$T/forged.json")"
git clone -q "$F" "$T/forged-clone"
(cd "$T/forged-clone" && ms lineage record --print --dry-run) >"$T/forged-clone.json"
check_file_eq "the note is what a fresh clone says" "$T/forged.json" "$T/forged-clone.json"
# An honest index entry for the signed bytes (the earlier commit's blob) is still read from the
# checkout, and its commit is valid.
git reset -q --soft HEAD^
forge_index big/w.bin "$(git rev-parse HEAD:big/w.bin)"
check_status "the signed commit with its own blob in the checkout" 0 ms lineage check HEAD
cd "$T"

# A system-wide attribute (/etc/gitattributes, which the fast path did not consult) with a
# size-preserving filter: the blob differs from the checkout that was signed, the index is
# clean, and lineage must judge the blob. /etc is replaced in a private mount namespace.
if unshare -rm true 2>/dev/null; then
    mkdir -p "$T/etc.orig" "$T/etc.new"
    cat >"$T/sysattr.sh" <<'SH'
set -e
T=$1
mount --bind /etc "$T/etc.orig"
for e in "$T"/etc.orig/* "$T"/etc.orig/.[!.]*; do
    [ -e "$e" ] || [ -L "$e" ] || continue
    ln -s "$e" "$T/etc.new/${e##*/}"
done
rm -f "$T/etc.new/gitattributes"
printf 'big/*.bin filter=swap\n' >"$T/etc.new/gitattributes"
mount --bind "$T/etc.new" /etc
git init -q "$T/sysattr"
cd "$T/sysattr"
git config filter.swap.clean "tr ab ba"
git config filter.swap.smudge "tr ab ba"
mkdir big
/usr/bin/python3 -c "import sys; sys.stdout.write('ab' * 1048576)" >big/t.bin
"$MODELSEAL" sign --key "$T/rel.key" big >/dev/null
printf '{"version": 1, "models": [{"path": "big"}]}' >.modelseal.json
touch -d "2020-01-01 00:00:00" big/t.bin
git add -A && git commit -qm "a model filtered by a system-wide attribute"
git cat-file -p HEAD:big/t.bin | head -c 4 >"$T/sysattr.blob"
git status --porcelain --untracked-files=no >"$T/sysattr.status"
"$MODELSEAL" lineage record --print --dry-run >"$T/sysattr.json"
SH
    run env MODELSEAL="$MODELSEAL" unshare -rm sh "$T/sysattr.sh" "$T"
    check_eq "record under a system attributes file" "$STATUS" 0
    [ "$STATUS" -eq 0 ] || sed 's/^/  /' "$ERR" >&2
    check_eq "the system-wide filter ran" "$(cat "$T/sysattr.blob" 2>/dev/null)" "baba"
    check_eq "git calls the filtered checkout clean" "$(cat "$T/sysattr.status" 2>/dev/null)" ""
    $PY -c "import json; a=json.load(open('$T/sysattr.json'))['artifacts'][0]; assert a['signature']=='invalid', a" &&
        pass || fail "a system-wide filter sends record to the blob: $(cat "$T/sysattr.json" 2>/dev/null)"
else
    echo "test_lineage.sh: no private mount namespace (unshare -rm): system attributes case skipped"
fi
cd "$T"

finish
