#!/bin/sh
# attest provenance / attest list end to end: real git repositories, signed datasets and base
# models, the claims file (appends, deduplication, defaults), independent verification of every
# claim, and the bad inputs of issue 6 (exit 2, one line naming the file or field, claims file
# unchanged byte for byte).
. "$(dirname "$0")/lib.sh"
set -e

# git reads no configuration but the repositories' own.
HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
if ! command -v git >/dev/null 2>&1; then
    echo "test_attest.sh: git not installed: skipped"
    exit 77
fi
DSSE="$PY $SRCDIR/tests/interop/dsse_verify.py"
HAVE_SSLIB=1
$PY -c "import securesystemslib" 2>/dev/null || HAVE_SSLIB=0

ms keygen --no-password --output "$T/ed" >/dev/null
ms keygen --no-password --algorithm ecdsa-p256 --output "$T/p256" >/dev/null

# The training code.
R=$T/repo
mkdir -p "$R"
git -C "$R" init -q -b main
git -C "$R" config user.name Tester
git -C "$R" config user.email tester@example.com
git -C "$R" config commit.gpgsign false
printf 'print("train")\n' >"$R/train.py"
printf '*.log\n' >"$R/.gitignore"
git -C "$R" add -A
git -C "$R" commit -q -m "first"
git -C "$R" remote add origin https://git.example.com/Org/Train.git

# The model and a dataset.
M=$T/model
mkdir -p "$M"
head -c 100000 /dev/urandom >"$M/weights.bin"
printf '{"layers": 2}' >"$M/config.json"
ms sign --key "$T/ed.key" "$M" >/dev/null
mkdir -p "$T/data/cat" "$T/data/dog"
printf 'meow' >"$T/data/cat/1.txt"
printf 'woof' >"$T/data/dog/1.txt"
ms dataset manifest --name pets --version 2.0 --source https://data.example/pets \
    --output "$T/pets.dsm.jsonl.zst" "$T/data" >/dev/null
ms dataset sign --key "$T/p256.key" "$T/pets.dsm.jsonl.zst" >/dev/null
mkdir -p "$T/data2"
printf 'x' >"$T/data2/x.txt"
ms dataset manifest --name other --output "$T/other.dsm.jsonl.zst" "$T/data2" >/dev/null
ms dataset sign --key "$T/ed.key" "$T/other.dsm.jsonl.zst" >/dev/null

ROOT=$(ms digest "$M")
TORCH=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
printf '{"epochs": 3, "optimizer": {"name": "adam"}}' >"$T/params.json"

# payload FILE LINE: the decoded statement of a claims line as JSON.
payload() {
    sed -n "${2}p" "$1" | $PY -c 'import sys,json,base64; b=json.loads(sys.stdin.read()); print(base64.b64decode(b["dsseEnvelope"]["payload"]).decode())'
}
# pyget FILE LINE EXPR: evaluate EXPR on the statement `s` of a claims line.
pyget() {
    payload "$1" "$2" | $PY -c "import sys,json; s=json.loads(sys.stdin.read()); print($3)"
}

check_status "attest provenance" 0 ms attest provenance --key "$T/ed.key" \
    --builder-id https://ci.example.com/runner/7 --git-repo "$R" \
    --params "$T/params.json" --param lr=0.001 --param note=a=b \
    --dataset "$T/pets.dsm.jsonl.zst" --dependency "pkg:pypi/torch@2.5.1=sha256:$TORCH" \
    --dependency "pkg:generic/tool?x=1" --invocation-id run-42 \
    --started-on 2025-03-01T10:00:00Z --finished-on 2025-03-01T12:00:00+01:00 "$M"
grep -q "^Attested $M: provenance for model $ROOT" "$OUT" && pass || fail "attest output"
grep -q "^Claims: $M/claims.jsonl (2 lines added, 0 already present)$" "$OUT" && pass || fail "claims output: $(cat "$OUT")"
C=$M/claims.jsonl
check_eq "claims lines" "$(wc -l <"$C" | tr -d ' ')" 2
check_eq "the dataset signature is copied as is" "$(sed -n 2p "$C")" "$(cat "$T/pets.dsm.jsonl.zst.sig")"

# The statement.
check_eq "predicate type and subject" "$(pyget "$C" 1 "s['predicateType'], s['subject'][0]['name'], 'sha256:'+s['subject'][0]['digest']['sha256']")" \
    "https://slsa.dev/provenance/v1 model $ROOT"
HEAD=$(git -C "$R" rev-parse HEAD)
REF=$(git -C "$R" symbolic-ref HEAD)
URL=$(git -C "$R" remote get-url origin)
check_eq "code dependency" "$(pyget "$C" 1 "json.dumps(s['predicate']['buildDefinition']['resolvedDependencies'][0], sort_keys=True)")" \
    "{\"annotations\": {\"dirty\": false, \"role\": \"code\"}, \"digest\": {\"gitCommit\": \"$HEAD\"}, \"name\": \"code\", \"uri\": \"git+$URL@$REF\"}"
check_eq "the URI splits at its last @refs/" "$(pyget "$C" 1 "s['predicate']['buildDefinition']['resolvedDependencies'][0]['uri'].rsplit('@refs/', 1)[1]")" "heads/main"
PETS_ROOT=$(tail -n 1 "$T/pets.dsm.jsonl.zst.sig" >/dev/null; ms digest "$T/data")
MANIFEST_SHA=$(zstd -dc "$T/pets.dsm.jsonl.zst" | sha256sum | cut -d' ' -f1)
check_eq "dataset dependency" "$(pyget "$C" 1 "json.dumps(s['predicate']['buildDefinition']['resolvedDependencies'][1])")" \
    "{\"name\": \"pets\", \"uri\": \"https://data.example/pets\", \"digest\": {\"sha256\": \"${PETS_ROOT#sha256:}\"}, \"annotations\": {\"role\": \"dataset\", \"version\": \"2.0\", \"manifest_sha256\": \"$MANIFEST_SHA\"}}"
check_eq "package dependencies" "$(pyget "$C" 1 "json.dumps(s['predicate']['buildDefinition']['resolvedDependencies'][2:])")" \
    "[{\"uri\": \"pkg:pypi/torch@2.5.1\", \"digest\": {\"sha256\": \"$TORCH\"}, \"annotations\": {\"role\": \"package\"}}, {\"uri\": \"pkg:generic/tool?x=1\", \"annotations\": {\"role\": \"package\"}}]"
check_eq "externalParameters" "$(pyget "$C" 1 "json.dumps(s['predicate']['buildDefinition']['externalParameters'])")" \
    '{"epochs": 3, "optimizer": {"name": "adam"}, "lr": "0.001", "note": "a=b"}'
VERSION=$(ms --version | cut -d' ' -f2)
check_eq "buildType and runDetails" "$(pyget "$C" 1 "s['predicate']['buildDefinition']['buildType'], json.dumps(s['predicate']['runDetails'])")" \
    "https://modelseal/training/v1 {\"builder\": {\"id\": \"https://ci.example.com/runner/7\", \"version\": {\"modelseal\": \"$VERSION\"}}, \"metadata\": {\"invocationId\": \"run-42\", \"startedOn\": \"2025-03-01T10:00:00Z\", \"finishedOn\": \"2025-03-01T11:00:00Z\"}}"

# The claims file is not part of the model.
check_eq "digest unchanged by claims.jsonl" "$(ms digest "$M")" "$ROOT"
check_status "verify unchanged by claims.jsonl" 0 ms verify --key "$T/ed.pub" "$M"

# Every claims line verifies independently (securesystemslib + cryptography).
verify_lines() { # CLAIMS: each line with whichever of our keys made it
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s' "$line" >"$T/line.json"
        if $DSSE --any-predicate "$T/line.json" "$T/ed.pub" >/dev/null 2>&1 ||
            $DSSE --any-predicate "$T/line.json" "$T/p256.pub" >/dev/null 2>&1; then pass; else
            fail "claims line $n of $1 does not verify independently"
        fi
    done <"$1"
}
if [ "$HAVE_SSLIB" = 1 ]; then verify_lines "$C"; fi

# attest list: text and JSON, with and without keys.
check_status "attest list" 0 ms attest list "$M"
grep -q "^claim 1: https://slsa.dev/provenance/v1$" "$OUT" && pass || fail "list: claim 1"
grep -q "^claim 2: https://modelseal/dataset-manifest/v1$" "$OUT" && pass || fail "list: claim 2"
grep -q "^  subject:   model $ROOT$" "$OUT" && pass || fail "list: subject"
grep -q "^  signer:    key $(sha256sum <"$T/ed.pub" | cut -d' ' -f1)$" "$OUT" && pass || fail "list: signer hint"
grep -q "signature:" "$OUT" && fail "list without keys shows no verdict" || pass
check_status "attest list --key ed" 0 ms attest list --key "$T/ed.pub" "$M"
check_eq "list --key ed: verdicts" "$(grep '^  signature:' "$OUT" | cut -c1-26 | tr '\n' '|')" \
    "  signature: verified|  signature: NOT verified:|"
check_status "attest list --key ed --key p256" 0 ms attest list --key "$T/ed.pub" --key "$T/p256.pub" "$M"
check_eq "both keys: all verified" "$(grep -c '^  signature: verified$' "$OUT")" 2
check_status "attest list --json" 0 ms attest list --json --key "$T/p256.pub" "$M"
check_eq "list --json" "$($PY -c "import json,sys; a=json.load(open(sys.argv[1])); print([(c['line'], c['predicate_type'], c['subject']['name'], c['signer']['kind'], c['verified']) for c in a])" "$OUT")" \
    "[(1, 'https://slsa.dev/provenance/v1', 'model', 'key', False), (2, 'https://modelseal/dataset-manifest/v1', 'pets', 'key', True)]"

# The same attestation again (same times, deterministic Ed25519): nothing added.
cp "$C" "$T/claims.before"
check_status "attest again" 0 ms attest provenance --key "$T/ed.key" \
    --builder-id https://ci.example.com/runner/7 --git-repo "$R" \
    --params "$T/params.json" --param lr=0.001 --param note=a=b \
    --dataset "$T/pets.dsm.jsonl.zst=$T/pets.dsm.jsonl.zst.sig" --dependency "pkg:pypi/torch@2.5.1=sha256:$TORCH" \
    --dependency "pkg:generic/tool?x=1" --invocation-id run-42 \
    --started-on 2025-03-01T10:00:00Z --finished-on 2025-03-01T12:00:00+01:00 "$M"
grep -q "(0 lines added, 2 already present)" "$OUT" && pass || fail "identical lines kept once: $(cat "$OUT")"
check_file_eq "claims unchanged by a repeated attestation" "$C" "$T/claims.before"

# Repository discovered from the current directory; default times; detached HEAD.
(cd "$R" && "$MODELSEAL" attest provenance --key "$T/ed.key" --builder-id b --claims "$T/cwd.jsonl" "$M") >/dev/null 2>"$ERR" && pass || fail "repository found from the current directory"
check_eq "cwd: commit" "$(pyget "$T/cwd.jsonl" 1 "s['predicate']['buildDefinition']['resolvedDependencies'][0]['digest']['gitCommit']")" "$HEAD"
pyget "$T/cwd.jsonl" 1 "s['predicate']['runDetails']['metadata']['startedOn']" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$' && pass || fail "default startedOn is RFC 3339 UTC"
git -C "$R" checkout -q --detach
check_status "detached HEAD" 0 ms attest provenance --key "$T/ed.key" --builder-id b --git-repo "$R" --claims "$T/detached.jsonl" "$M"
check_eq "detached: no @ref" "$(pyget "$T/detached.jsonl" 1 "s['predicate']['buildDefinition']['resolvedDependencies'][0]['uri']")" "git+$URL"
git -C "$R" checkout -q main
check_status "--git-remote without such a remote" 0 ms attest provenance --key "$T/ed.key" --builder-id b --git-repo "$R" --git-remote upstream --claims "$T/noremote.jsonl" "$M"
check_eq "no remote: git+file:// of the repository" "$(pyget "$T/noremote.jsonl" 1 "s['predicate']['buildDefinition']['resolvedDependencies'][0]['uri']")" \
    "git+file://$(cd "$R" && pwd -P)@refs/heads/main"
check_status "--no-git" 0 ms attest provenance --key "$T/ed.key" --builder-id b --no-git --build-type https://example.com/bt --claims "$T/nogit.jsonl" "$M"
check_eq "--no-git: no code dependency" "$(pyget "$T/nogit.jsonl" 1 "s['predicate']['buildDefinition']['resolvedDependencies'], s['predicate']['buildDefinition']['buildType']")" "[] https://example.com/bt"

# Base models travel: their model.sig and every line of their claims file.
B=$T/base
mkdir -p "$B"
printf 'base weights' >"$B/w.bin"
ms sign --key "$T/p256.key" "$B" >/dev/null
ms attest provenance --key "$T/p256.key" --builder-id base-builder --no-git --dataset "$T/other.dsm.jsonl.zst" "$B" >/dev/null
check_eq "base model claims" "$(wc -l <"$B/claims.jsonl" | tr -d ' ')" 2
BROOT=$(ms digest "$B")
M2=$T/finetuned
mkdir -p "$M2"
printf 'tuned' >"$M2/w.bin"
ms sign --key "$T/ed.key" "$M2" >/dev/null
check_status "attest with --base-model DIR" 0 ms attest provenance --key "$T/ed.key" --builder-id b --git-repo "$R" --dataset "$T/pets.dsm.jsonl.zst" --base-model "$B" "$M2"
C2=$M2/claims.jsonl
check_eq "fine-tuned claims: provenance, dataset sig, base sig, base claims" "$(wc -l <"$C2" | tr -d ' ')" 5
check_eq "base model.sig copied" "$(sed -n 3p "$C2")" "$(cat "$B/model.sig")"
check_eq "base claims copied" "$(sed -n 4,5p "$C2")" "$(cat "$B/claims.jsonl")"
check_eq "base-model dependency" "$(pyget "$C2" 1 "json.dumps(s['predicate']['buildDefinition']['resolvedDependencies'][2])")" \
    "{\"name\": \"base\", \"digest\": {\"sha256\": \"${BROOT#sha256:}\"}, \"annotations\": {\"role\": \"base-model\"}}"
if [ "$HAVE_SSLIB" = 1 ]; then verify_lines "$C2"; fi
# The same base given as its .sig file, and a single-file base model: lines kept once.
check_status "--base-model MODEL/model.sig" 0 ms attest provenance --key "$T/ed.key" --builder-id b --git-repo "$R" --base-model "$B/model.sig" --claims "$T/bysig.jsonl" "$M2"
check_eq "by .sig: same copies" "$(sed -n 2,4p "$T/bysig.jsonl")" "$(cat "$B/model.sig"; echo; cat "$B/claims.jsonl")"
printf 'one file' >"$T/single.bin"
ms sign --key "$T/ed.key" "$T/single.bin" >/dev/null
check_status "attest a single-file model" 0 ms attest provenance --key "$T/ed.key" --builder-id b --no-git --base-model "$T/single.bin.sig" --base-model "$T/single.bin" "$T/single.bin"
check_eq "single file: MODEL.claims.jsonl beside it, base sig once" "$(wc -l <"$T/single.bin.claims.jsonl" | tr -d ' ')" 2
check_status "attest list (single file)" 0 ms attest list "$T/single.bin"
# --signature elsewhere.
cp "$M/model.sig" "$T/elsewhere.sig"
check_status "--signature elsewhere" 0 ms attest provenance --key "$T/ed.key" --builder-id b --no-git --signature "$T/elsewhere.sig" --claims "$T/elsewhere.jsonl" "$M"

# ---- bad input: exit 2, one line naming the file or field, claims file unchanged -------------
cp "$C" "$T/keep.jsonl"
unchanged() {
    if cmp -s "$C" "$T/keep.jsonl"; then pass; else fail "$1: the claims file changed"; fi
}
attest() { ms attest provenance --key "$T/ed.key" --builder-id b --git-repo "$R" "$@"; }

printf 'not json\n' >>"$C"
cp "$C" "$T/keep.jsonl"
check_fails "claims file with a malformed line" 2 "$C: line 3:" attest "$M"
unchanged "malformed line"
check_fails "attest list on it" 2 "$C: line 3:" ms attest list "$M"
cp "$T/claims.before" "$C"
cp "$C" "$T/keep.jsonl"

truncate -s 300M "$T/huge.jsonl"
check_fails "claims file over the bound" 2 "$T/huge.jsonl: larger than the limit" attest --claims "$T/huge.jsonl" "$M"
check_eq "over the bound: unchanged" "$(stat -c %s "$T/huge.jsonl")" 314572800
rm -f "$T/huge.jsonl"

printf '[1, 2]' >"$T/list.json"
check_fails "--params not an object" 2 "$T/list.json: not a JSON object" attest --params "$T/list.json" "$M"
unchanged "--params not an object"
printf '{"a": ' >"$T/broken.json"
check_fails "--params not JSON" 2 "$T/broken.json" attest --params "$T/broken.json" "$M"
check_fails "--param without =" 2 "--param lr" attest --param lr "$M"
unchanged "--param"

check_fails "--dataset with another manifest's signature" 2 "signature is for another manifest" \
    attest --dataset "$T/pets.dsm.jsonl.zst=$T/other.dsm.jsonl.zst.sig" "$M"
grep -q "$T/other.dsm.jsonl.zst.sig" "$ERR" && pass || fail "names the signature file"
unchanged "--dataset wrong signature"
check_fails "--dataset missing manifest" 2 "$T/none.dsm.jsonl.zst" attest --dataset "$T/none.dsm.jsonl.zst" "$M"
unchanged "--dataset missing"

mkdir -p "$T/unsigned"
printf 'x' >"$T/unsigned/w.bin"
check_fails "base model without a signature" 2 "$T/unsigned" attest --base-model "$T/unsigned" "$M"
grep -q "no signature" "$ERR" && pass || fail "says there is no signature"
unchanged "base model without signature"

printf 'changed\n' >>"$R/train.py"
check_fails "dirty tree (modified file)" 2 "uncommitted changes" attest "$M"
grep -q "$(cd "$R" && pwd -P)" "$ERR" && pass || fail "dirty: names the repository"
unchanged "dirty tree"
check_status "--allow-dirty" 0 attest --allow-dirty --claims "$T/dirty.jsonl" "$M"
check_eq "--allow-dirty records dirty" "$(pyget "$T/dirty.jsonl" 1 "s['predicate']['buildDefinition']['resolvedDependencies'][0]['annotations']['dirty']")" True
git -C "$R" checkout -q -- train.py
printf 'new' >"$R/untracked.py"
check_fails "dirty tree (untracked file)" 2 "uncommitted changes" attest "$M"
unchanged "untracked file"
rm "$R/untracked.py"
printf 'log' >"$R/run.log"
check_status "ignored files only: clean" 0 attest --claims "$T/clean.jsonl" "$M"
rm "$R/run.log"

mkdir -p "$T/plain"
check_fails "not a git repository" 2 "$T/plain: not in a git repository" attest --git-repo "$T/plain" "$M"
unchanged "not a git repository"

mkdir -p "$T/nosig"
printf 'x' >"$T/nosig/w.bin"
check_fails "model not signed" 2 "$T/nosig/model.sig: no signature" attest --claims "$T/x.jsonl" "$T/nosig"
[ ! -e "$T/x.jsonl" ] && pass || fail "nothing written for an unsigned model"
check_fails "--signature missing" 2 "$T/absent.sig" attest --signature "$T/absent.sig" "$M"
check_fails "no --builder-id" 2 "--builder-id is required" ms attest provenance --key "$T/ed.key" --git-repo "$R" "$M"
check_fails "no --key" 2 "--key is required" ms attest provenance --builder-id b "$M"
check_fails "bad --started-on" 2 "--started-on yesterday" attest --started-on yesterday "$M"
check_fails "bad --dependency digest" 2 "not 64 hex digits" attest --dependency "pkg:x=sha256:abc" "$M"
check_fails "--no-git with --allow-dirty" 2 "--no-git excludes" ms attest provenance --key "$T/ed.key" --builder-id b --no-git --allow-dirty "$M"
check_fails "unknown option" 2 "unknown option '--frobnicate'" ms attest provenance --frobnicate "$M"
check_fails "unknown subcommand" 2 "unknown subcommand" ms attest frob "$M"
check_fails "wrong key for list" 2 "$T/nope.pub" ms attest list --key "$T/nope.pub" "$M"
# No claims file where one is looked for by default: an empty listing (exit 0), [] in JSON; a
# --claims FILE that is not there is an error.
check_status "list without a claims file" 0 ms attest list "$T/nosig"
check_eq "list without a claims file: empty" "$(cat "$OUT")" "$T/nosig/claims.jsonl: 0 claims (no claims file)"
check_status "list --json without a claims file" 0 ms attest list --json "$T/nosig"
check_eq "list --json without a claims file: []" "$(tr -d ' \n\t' <"$OUT")" "[]"
check_fails "list --claims of a missing file" 2 "nope.jsonl: no such claims file" \
    ms attest list --claims "$T/nope.jsonl" "$T/nosig"
unchanged "usage errors"
check_status "attest --help" 0 ms attest --help
grep -q "attest provenance --key KEY --builder-id URI" "$OUT" && pass || fail "help text"

finish
