#!/bin/sh
# verify --policy end to end (issue 7): a model fine-tuned from a signed base model, trained
# from a committed repository on two signed datasets, verifies with every link ✓; then the
# tamper matrix, each exit 1 naming the failing link; then the exit-2 cases.
. "$(dirname "$0")/lib.sh"
set -e

HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
for tool in git zstd; do
    if ! command -v $tool >/dev/null 2>&1; then
        echo "test_chain.sh: $tool not installed: skipped"
        exit 77
    fi
done

for k in release ci data vendor rogue; do ms keygen --no-password --output "$T/$k" >/dev/null; done

# The training code: main, a tag, and a branch the policy does not allow.
R=$T/train
mkdir -p "$R"
git -C "$R" init -q -b main
git -C "$R" config user.name Tester
git -C "$R" config user.email tester@example.com
git -C "$R" config commit.gpgsign false
printf 'print("train")\n' >"$R/train.py"
git -C "$R" add -A
git -C "$R" commit -q -m first
git -C "$R" tag v1.0
printf 'print("train v2")\n' >"$R/train.py"
git -C "$R" commit -q -am second
git -C "$R" remote add origin https://github.com/acme/train.git
COMMIT=$(git -C "$R" rev-parse HEAD)

# Two signed datasets.
mkdir -p "$T/pets/cat" "$T/pets/dog" "$T/birds"
printf 'meow' >"$T/pets/cat/1.txt"
printf 'woof' >"$T/pets/dog/1.txt"
printf 'tweet' >"$T/birds/1.txt"
ms dataset manifest --name pets --output "$T/pets.dsm.jsonl.zst" "$T/pets" >/dev/null
ms dataset sign --key "$T/data.key" "$T/pets.dsm.jsonl.zst" >/dev/null
ms dataset manifest --name birds --output "$T/birds.dsm.jsonl.zst" "$T/birds" >/dev/null
ms dataset sign --key "$T/data.key" "$T/birds.dsm.jsonl.zst" >/dev/null

# The base model, signed by the vendor.
B=$T/base
mkdir -p "$B"
printf 'base weights' >"$B/w.bin"
ms sign --key "$T/vendor.key" "$B" >/dev/null

# The model, fine-tuned from it.
M=$T/model
mkdir -p "$M"
head -c 50000 /dev/urandom >"$M/weights.bin"
printf '{"layers": 2}' >"$M/config.json"
ms sign --key "$T/release.key" "$M" >/dev/null
DATASETS="--dataset $T/pets.dsm.jsonl.zst --dataset $T/birds.dsm.jsonl.zst"
# attest_to CLAIMS [OPTIONS...]: a provenance of $M (defaults: the good one) into CLAIMS.
attest_to() {
    c=$1
    shift
    ms attest provenance --key "$T/ci.key" --builder-id https://ci.example.com/gpu-runner \
        --param epochs=3 --git-repo "$R" --claims "$c" "$@" "$M" >/dev/null
}
attest_to "$M/claims.jsonl" $DATASETS --base-model "$B"

P=$T/policy.json
cat >"$P" <<EOF
{
  "version": 1,
  "expires": "2099-12-31T00:00:00Z",
  "keys": {
    "release": {"public_key": "release.pub"},
    "ci": {"public_key": "ci.pub"},
    "data": {"public_key": "data.pub"},
    "vendor": {"public_key": "vendor.pub"}
  },
  "model": {"signers": ["release"]},
  "provenance": {"required": true, "signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu-runner"],
                 "build_types": ["https://modelseal/training/v1"], "allowed_parameters": ["epochs", "lr", "seed"]},
  "datasets": {"signers": ["data"], "required": ["pets", "birds"],
               "data": {"pets": {"manifest": "pets.dsm.jsonl.zst", "path": "pets"}}},
  "code": {"required": true, "uris": ["git+https://github.com/acme/train.git"], "refs": ["refs/heads/main", "refs/tags/v*"],
           "repository": "train", "allow_dirty": false},
  "base_model": {"required": true, "signers": ["vendor"], "require_provenance": false, "max_depth": 4}
}
EOF
# policy_with PYTHON-EXPR: a variant of the policy (p is the parsed policy) in $T/variant.json.
policy_with() {
    $PY -c "import json,sys; p=json.load(open(sys.argv[1])); $1; json.dump(p, open(sys.argv[2], 'w'))" "$P" "$T/variant.json"
}

# ---- the positive path ----------------------------------------------------------------------
check_status "the whole chain verifies" 0 ms verify --policy "$P" "$M"
check_eq "links" "$(cut -d: -f1 "$OUT" | tr '\n' '|')" \
    "✓ policy|✓ model|✓ provenance|✓ dataset pets|✓ dataset birds|✓ code|✓ base-model base|VERIFIED|"
grep -q "^✓ dataset pets: .*2 files re-hashed" "$OUT" && pass || fail "pets re-hashed: $(cat "$OUT")"
grep -q "^✓ dataset birds: .*data not re-hashed" "$OUT" && pass || fail "birds not re-hashed"
grep -q "^✓ code: git+https://github.com/acme/train.git at refs/heads/main, commit $COMMIT: in $T/./train, reachable from refs/heads/main$\|^✓ code: .*reachable from refs/heads/main$" "$OUT" && pass || fail "code verdict: $(grep code "$OUT")"
check_status "--json" 0 ms verify --policy "$P" --json "$M"
check_eq "json shape" "$($PY -c "
import json,sys
r=json.load(open(sys.argv[1]))
assert set(r)=={'verified','model','links','changed','missing','extra','error','exit_status'}, r.keys()
assert set(r['model'])=={'name','digest','path'} and r['model']['path']==sys.argv[3], r['model']
assert (r['changed'], r['missing'], r['extra'], r['error'], r['exit_status'])==([], [], [], None, 0), r
for l in r['links']: assert set(l)<={'link','name','ok','reason','links'}, l
print(r['verified'], r['model']['name'], r['model']['digest']==sys.argv[2], [(l['link'], l['name'], l['ok']) for l in r['links']])" "$OUT" "$(ms digest "$M")" "$M")" \
    "True model True [('policy', None, True), ('model', None, True), ('provenance', None, True), ('dataset', 'pets', True), ('dataset', 'birds', True), ('code', None, True), ('base-model', 'base', True)]"
# The verdict does not depend on where the claims file is, only on what it says.
cp "$M/claims.jsonl" "$T/moved.jsonl"
check_status "--claims elsewhere" 0 ms verify --policy "$P" --claims "$T/moved.jsonl" "$M"
# Missing sections: listed as not required.
cat >"$T/minimal.json" <<EOF
{"version": 1, "keys": {"release": {"public_key": "release.pub"}}, "model": {"signers": ["release"]}}
EOF
check_status "a minimal policy" 0 ms verify --policy "$T/minimal.json" "$M"
check_eq "minimal: not required" "$(grep -c ': not required by the policy$' "$OUT")" 4
# A shards signature cannot cover an empty file: one added (an __init__.py turns a directory
# into a Python package) fails the model link, as it fails verify.
S=$T/shards-model
mkdir -p "$S"
head -c 3000 /dev/urandom >"$S/w.bin"
ms sign --key "$T/release.key" --method shards --shard-size 1024 "$S" >/dev/null
check_status "a shards model verifies under the policy" 0 ms verify --policy "$T/minimal.json" "$S"
: >"$S/__init__.py"
check_status "an empty __init__.py added to a shards model" 1 ms verify --policy "$T/minimal.json" "$S"
grep -qF "✗ model: $S: the model does not match its signature (0 changed, 0 missing, 1 extra): extra __init__.py (empty files have no shards; a shards signature cannot cover them)" "$OUT" && pass ||
    fail "the model link names the empty file: $(cat "$OUT")"

# ---- the tamper matrix: exit 1, the failing link named --------------------------------------
# fails_at DESCRIPTION LINK TEXT CMD...: exit 1, the link's line is ✗ and says TEXT, every
# other link ✓, and stderr names the link.
fails_at() {
    desc=$1 link=$2 text=$3
    shift 3
    run "$@"
    if [ "$STATUS" -ne 1 ]; then
        fail "$desc: exit $STATUS, expected 1 ($(cat "$OUT" "$ERR" | tr '\n' '|'))"
    elif ! grep -q "^✗ $link: .*$text" "$OUT"; then
        fail "$desc: no '✗ $link: ...$text' in: $(tr '\n' '|' <"$OUT")"
    elif ! grep -q "^modelseal verify: $link: " "$ERR"; then
        fail "$desc: stderr does not name $link: $(cat "$ERR")"
    elif ! tail -n 1 "$OUT" | grep -q "^NOT VERIFIED ([0-9]* of [0-9]* links failed)$"; then
        fail "$desc: last line: $(tail -n 1 "$OUT")"
    else
        pass
    fi
}

attest_to "$T/c-rogue.jsonl" $DATASETS --base-model "$B"
sed -i 1d "$T/c-rogue.jsonl"
ms attest provenance --key "$T/rogue.key" --builder-id https://ci.example.com/gpu-runner \
    --param epochs=3 --git-repo "$R" --claims "$T/c-rogue.jsonl" $DATASETS --base-model "$B" "$M" >/dev/null
fails_at "provenance signed by an unknown key" provenance \
    "no provenance for sha256:.* (ignored: line [0-9]* signed by a key the policy does not name)" \
    ms verify --policy "$P" --claims "$T/c-rogue.jsonl" "$M"
check_eq "rogue: dependent links fail too" "$(grep '^✗' "$OUT" | cut -d: -f1 | tr '\n' '|')" "✗ provenance|✗ dataset|✗ code|✗ base-model|"

O=$T/other
mkdir -p "$O"
printf 'another model' >"$O/w.bin"
ms sign --key "$T/release.key" "$O" >/dev/null
ms attest provenance --key "$T/ci.key" --builder-id https://ci.example.com/gpu-runner --git-repo "$R" \
    --claims "$T/c-other.jsonl" $DATASETS --base-model "$B" "$O" >/dev/null
fails_at "provenance for another model's digest" provenance "no provenance for $(ms digest "$M")" \
    ms verify --policy "$P" --claims "$T/c-other.jsonl" "$M"

ms attest provenance --key "$T/ci.key" --builder-id https://evil.example/runner --param epochs=3 \
    --git-repo "$R" --claims "$T/c-builder.jsonl" $DATASETS --base-model "$B" "$M" >/dev/null
fails_at "builder id not allowed" provenance \
    'builder id "https://evil.example/runner" is not in policy.provenance.builder_ids' \
    ms verify --policy "$P" --claims "$T/c-builder.jsonl" "$M"

attest_to "$T/c-param.jsonl" $DATASETS --base-model "$B" --param optimizer=sgd
fails_at "a parameter not allowed" provenance \
    'parameter "optimizer" is not in policy.provenance.allowed_parameters' \
    ms verify --policy "$P" --claims "$T/c-param.jsonl" "$M"

mkdir -p "$T/nosig"
cp "$T/birds.dsm.jsonl.zst" "$T/nosig/"
attest_to "$T/c-nods.jsonl" --dataset "$T/pets.dsm.jsonl.zst" --dataset "$T/nosig/birds.dsm.jsonl.zst" --base-model "$B"
fails_at "a dataset statement missing from the claims" "dataset birds" \
    "no dataset statement for sha256:.* signed by a key in policy.datasets.signers (data)" \
    ms verify --policy "$P" --claims "$T/c-nods.jsonl" "$M"

ms dataset sign --key "$T/rogue.key" --signature "$T/birds.rogue.sig" "$T/birds.dsm.jsonl.zst" >/dev/null
attest_to "$T/c-dskey.jsonl" --dataset "$T/pets.dsm.jsonl.zst" --dataset "$T/birds.dsm.jsonl.zst=$T/birds.rogue.sig" --base-model "$B"
fails_at "a dataset signed by the wrong key" "dataset birds" \
    "no dataset statement .*(ignored: line [0-9]* signed by a key the policy does not name)" \
    ms verify --policy "$P" --claims "$T/c-dskey.jsonl" "$M"

printf 'MEOW' >"$T/pets/cat/1.txt"
fails_at "one data file changed" "dataset pets" "1 changed, 0 missing, 0 extra: changed cat/1.txt" \
    ms verify --policy "$P" "$M"
printf 'meow' >"$T/pets/cat/1.txt"
printf 'new' >"$T/pets/cat/2.txt"
fails_at "one data file added" "dataset pets" "0 changed, 0 missing, 1 extra: extra cat/2.txt" \
    ms verify --policy "$P" "$M"
rm "$T/pets/cat/2.txt"
# A model's skipped names are data in a dataset: a claims.jsonl and a .github/ dropped in it.
printf '{"text":"poison"}\n' >"$T/pets/claims.jsonl"
mkdir "$T/pets/.github"
printf 'x\n' >"$T/pets/.github/cat.txt"
fails_at "a claims.jsonl and a .github/ added to a dataset" "dataset pets" \
    "0 changed, 0 missing, 2 extra: extra .github/cat.txt, extra claims.jsonl" \
    ms verify --policy "$P" "$M"
# What the manifest's ignore list names is left out by the policy's check too, and only that.
mkdir -p "$T/ign"
ms dataset manifest --name pets --ignore .github --output "$T/ign/pets.dsm.jsonl.zst" "$T/pets" >/dev/null
ms dataset sign --key "$T/data.key" "$T/ign/pets.dsm.jsonl.zst" >/dev/null
attest_to "$T/c-ign.jsonl" --dataset "$T/ign/pets.dsm.jsonl.zst" --dataset "$T/birds.dsm.jsonl.zst" --base-model "$B"
policy_with "p['datasets']['data']['pets']['manifest']='$T/ign/pets.dsm.jsonl.zst'"
check_status "the manifest's ignore list applies" 0 ms verify --policy "$T/variant.json" --claims "$T/c-ign.jsonl" "$M"
grep -q "^✓ dataset pets: .*3 files re-hashed" "$OUT" && pass || fail "pets with its ignore list: $(grep pets "$OUT")"
printf 'y\n' >"$T/pets/.github/dog.txt"
check_status "a file added under an ignored path" 0 ms verify --policy "$T/variant.json" --claims "$T/c-ign.jsonl" "$M"
printf '{"text":"more poison"}\n' >"$T/pets/claims.jsonl"
fails_at "a file outside the ignore list changed" "dataset pets" "1 changed, 0 missing, 0 extra: changed claims.jsonl" \
    ms verify --policy "$T/variant.json" --claims "$T/c-ign.jsonl" "$M"
rm -r "$T/pets/claims.jsonl" "$T/pets/.github"

# A manifest whose path was renamed (dog/1.txt -> dog/9.txt: same order, same root digest).
mkdir -p "$T/renamed"
zstd -dc "$T/pets.dsm.jsonl.zst" | sed 's|"dog/1.txt"|"dog/9.txt"|' | zstd -q -o "$T/renamed/pets.dsm.jsonl.zst"
policy_with "p['datasets']['data']['pets']['manifest']='$T/renamed/pets.dsm.jsonl.zst'"
fails_at "a manifest with a path renamed" "dataset pets" "not the signed manifest (manifest digest differs)" \
    ms verify --policy "$T/variant.json" "$M"
# The same renamed manifest signed by the data key: the provenance's manifest_sha256 still differs.
ms dataset sign --key "$T/data.key" "$T/renamed/pets.dsm.jsonl.zst" >/dev/null
attest_to "$T/c-renamed.jsonl" $DATASETS --base-model "$B"
sed -n '/./p' "$T/renamed/pets.dsm.jsonl.zst.sig" >>"$T/c-renamed.jsonl"
printf '\n' >>"$T/c-renamed.jsonl"
fails_at "a signed manifest with a path renamed" "dataset pets" \
    "the signed manifest digest differs from the provenance's manifest_sha256" \
    ms verify --policy "$P" --claims "$T/c-renamed.jsonl" "$M"

# The commit is missing from the repository the policy names.
R2=$T/elsewhere
mkdir -p "$R2"
git -C "$R2" init -q -b main
printf 'x' >"$R2/x"
git -C "$R2" add -A
git -C "$R2" -c user.name=T -c user.email=t@e commit -q -m other
policy_with "p['code']['repository']='elsewhere'"
fails_at "a commit missing from the repository" code "commit $COMMIT is not in" \
    ms verify --policy "$T/variant.json" "$M"

# The commit only on a branch the policy does not allow.
git -C "$R" checkout -q -b experiment
printf 'print("experiment")\n' >"$R/train.py"
git -C "$R" commit -q -am experiment
attest_to "$T/c-branch.jsonl" $DATASETS --base-model "$B"
fails_at "a commit built from a branch the policy does not allow" code \
    "ref refs/heads/experiment does not match policy.code.refs" \
    ms verify --policy "$P" --claims "$T/c-branch.jsonl" "$M"
# Recorded as main, but in the policy's repository only a feature branch holds it.
EXP=$(git -C "$R" rev-parse HEAD)
git -C "$R" checkout -q main
git -C "$R" reset -q --hard "$EXP"
attest_to "$T/c-reach.jsonl" $DATASETS --base-model "$B"
git -C "$R" reset -q --hard "$COMMIT"
fails_at "a commit only on a branch the policy does not allow" code \
    "commit $EXP is not reachable from a ref matching policy.code.refs" \
    ms verify --policy "$P" --claims "$T/c-reach.jsonl" "$M"
check_status "the same with refs/heads/* allowed" 0 sh -c "
    $PY -c \"import json; p=json.load(open('$P')); p['code']['refs']=['refs/heads/*']; json.dump(p, open('$T/heads.json','w'))\" &&
    '$MODELSEAL' verify --policy '$T/heads.json' --claims '$T/c-reach.jsonl' '$M'"
git -C "$R" tag -a -m t v2.0 "$EXP"
policy_with "p['code']['refs']=['refs/tags/v*']"
fails_at "ref check before reachability" code "ref refs/heads/main does not match policy.code.refs" \
    ms verify --policy "$T/variant.json" --claims "$T/c-reach.jsonl" "$M"

printf 'print("local edit")\n' >"$R/train.py"
attest_to "$T/c-dirty.jsonl" $DATASETS --base-model "$B" --allow-dirty
git -C "$R" checkout -q -- train.py
fails_at "a dirty build under allow_dirty: false" code \
    "built from a dirty working tree (policy.code.allow_dirty is false)" \
    ms verify --policy "$P" --claims "$T/c-dirty.jsonl" "$M"
policy_with "p['code']['allow_dirty']=True"
check_status "the dirty build with allow_dirty: true" 0 ms verify --policy "$T/variant.json" --claims "$T/c-dirty.jsonl" "$M"

B2=$T/base2
mkdir -p "$B2"
printf 'base weights' >"$B2/w.bin"
printf 'more' >"$B2/x.bin"
ms sign --key "$T/rogue.key" "$B2" >/dev/null
attest_to "$T/c-basekey.jsonl" $DATASETS --base-model "$B2"
fails_at "a base model signed by the wrong key" "base-model base2" \
    "no model signature for sha256:.* signed by a key in policy.base_model.signers (vendor)" \
    ms verify --policy "$P" --claims "$T/c-basekey.jsonl" "$M"

# A chain of base models: G (grandparent) <- P1 <- model; max_depth 1 refuses it.
G=$T/grand
mkdir -p "$G"
printf 'grand' >"$G/w.bin"
ms sign --key "$T/vendor.key" "$G" >/dev/null
ms attest provenance --key "$T/vendor.key" --builder-id https://vendor.example/b --no-git "$G" >/dev/null
P1=$T/parent
mkdir -p "$P1"
printf 'parent' >"$P1/w.bin"
ms sign --key "$T/vendor.key" "$P1" >/dev/null
ms attest provenance --key "$T/vendor.key" --builder-id https://vendor.example/b --no-git --base-model "$G" "$P1" >/dev/null
attest_to "$T/c-deep.jsonl" $DATASETS --base-model "$P1"
policy_with "p['base_model']['max_depth']=2; p['base_model']['require_provenance']=True"
check_status "a chain of two base models within max_depth 2" 0 ms verify --policy "$T/variant.json" --claims "$T/c-deep.jsonl" "$M"
check_eq "nested links" "$(grep '^    ' "$OUT" | cut -d: -f1 | tr '\n' '|')" "    ✓ provenance|    ✓ base-model grand|        ✓ provenance|"
policy_with "p['base_model']['max_depth']=1; p['base_model']['require_provenance']=True"
fails_at "a base chain deeper than max_depth" "base-model parent" "its own chain fails" \
    ms verify --policy "$T/variant.json" --claims "$T/c-deep.jsonl" "$M"
grep -q "^    ✗ base-model grand: .*deeper than policy.base_model.max_depth (1)" "$OUT" && pass || fail "depth: nested verdict: $(tr '\n' '|' <"$OUT")"
policy_with "p['base_model']['require_provenance']=True"
check_status "require_provenance: the direct base has none" 1 ms verify --policy "$T/variant.json" "$M"
grep -q "^    ✗ provenance: no provenance for sha256:.*require_provenance" "$OUT" && pass || fail "require_provenance verdict"

# A crafted cycle: X's provenance names Y, Y's names X.
X=$T/cx
Y=$T/cy
mkdir -p "$X" "$Y"
printf 'x' >"$X/w.bin"
printf 'y' >"$Y/w.bin"
ms sign --key "$T/vendor.key" "$X" >/dev/null
ms sign --key "$T/vendor.key" "$Y" >/dev/null
ms attest provenance --key "$T/vendor.key" --builder-id https://vendor.example/b --no-git --base-model "$Y" "$X" >/dev/null
ms attest provenance --key "$T/vendor.key" --builder-id https://vendor.example/b --no-git --base-model "$X" "$Y" >/dev/null
attest_to "$T/c-cycle.jsonl" $DATASETS --base-model "$Y"
fails_at "a crafted cycle of base models" "base-model cy" "its own chain fails" \
    ms verify --policy "$P" --claims "$T/c-cycle.jsonl" "$M"
grep -q "^        ✗ base-model cy: sha256:.*: cycle" "$OUT" && pass || fail "cycle: nested verdict: $(tr '\n' '|' <"$OUT")"

policy_with "p['expires']='2020-01-01T00:00:00Z'"
fails_at "an expired policy" policy "expired at 2020-01-01T00:00:00Z" ms verify --policy "$T/variant.json" "$M"

# A model file changed after the provenance was made: unsigned change, and re-signed.
M2=$T/model2
cp -r "$M" "$M2"
printf '{"layers": 3}' >"$M2/config.json"
fails_at "a model file changed (not re-signed)" model "changed" ms verify --policy "$P" "$M2"
ms sign --key "$T/release.key" "$M2" >/dev/null
fails_at "a model file changed and re-signed" provenance "no provenance for $(ms digest "$M2")" \
    ms verify --policy "$P" "$M2"
rm "$M2/model.sig"
fails_at "no model.sig" model "model.sig: missing" ms verify --policy "$P" "$M2"

# Two trusted provenances that disagree fail closed.
cp "$M/claims.jsonl" "$T/c-two.jsonl"
attest_to "$T/c-two.jsonl" --dataset "$T/pets.dsm.jsonl.zst" --base-model "$B"
fails_at "two trusted provenances that disagree" provenance "two trusted provenances for this digest disagree" \
    ms verify --policy "$P" --claims "$T/c-two.jsonl" "$M"

# A required dataset the provenance does not name; a data entry it does not list.
attest_to "$T/c-onlypets.jsonl" --dataset "$T/pets.dsm.jsonl.zst" --base-model "$B"
fails_at "a required dataset missing from the provenance" "dataset birds" \
    "required by policy.datasets.required, not in the provenance" \
    ms verify --policy "$P" --claims "$T/c-onlypets.jsonl" "$M"
policy_with "p['datasets']['required']=[]; p['datasets']['data']['birds']={'manifest':'birds.dsm.jsonl.zst','path':'birds'}"
fails_at "a datasets.data entry the provenance does not list" "dataset birds" \
    "listed in policy.datasets.data, not in the provenance" \
    ms verify --policy "$T/variant.json" --claims "$T/c-onlypets.jsonl" "$M"

# No code dependency (--no-git) while the policy requires code.
ms attest provenance --key "$T/ci.key" --builder-id https://ci.example.com/gpu-runner --no-git \
    --claims "$T/c-nogit.jsonl" $DATASETS --base-model "$B" "$M" >/dev/null
fails_at "no code dependency" code "the provenance names no code dependency" \
    ms verify --policy "$P" --claims "$T/c-nogit.jsonl" "$M"

# A Sigstore keyless signer (verified offline against the policy's trusted root): the
# model_signing release vector.
cp -R "$MS_VECTORS/oms/model-transparency-releases/v1.1.0-sigstore" "$T/sigstore-model"
chmod -R u+w "$T/sigstore-model"
cp "$MS_VECTORS/sigstore/sigstore.trusted_root.json" "$T/"
cat >"$T/sigstore.json" <<'EOF'
{"version": 1,
 "keys": {"ibm": {"sigstore": {"identity": "stefanb@us.ibm.com", "issuer": "https://sigstore.verify.ibm.com/oauth2",
                               "trusted_root": "sigstore.trusted_root.json"}}},
 "model": {"signers": ["ibm"]}}
EOF
check_status "a Sigstore keyless model signer" 0 ms verify --policy "$T/sigstore.json" "$T/sigstore-model"
grep -q '^✓ model: .*signed by "ibm"' "$OUT" && pass || fail "sigstore model verdict: $(cat "$OUT")"
sed 's/stefanb@us.ibm.com/someone@example.com/' "$T/sigstore.json" >"$T/sigstore-other.json"
fails_at "a Sigstore signer with another identity" model "not signed by a key in policy.model.signers (ibm)" \
    ms verify --policy "$T/sigstore-other.json" "$T/sigstore-model"

# ---- exit 2: malformed or unreadable input ---------------------------------------------------
policy_with "p['model']['signer']=['release']"
check_fails "a policy with an unknown field" 2 "policy.model.signer: unknown field" \
    ms verify --policy "$T/variant.json" "$M"
policy_with "p['model']['signers']=['relase']"
check_fails "a misspelled key name" 2 'policy.model.signers[0]: key "relase" is not defined in policy.keys' \
    ms verify --policy "$T/variant.json" "$M"
printf 'version: 1\n' >"$T/notjson.json"
check_fails "a policy that is not JSON" 2 "$T/notjson.json" ms verify --policy "$T/notjson.json" "$M"
cp "$M/claims.jsonl" "$T/garbage.jsonl"
printf 'garbage\n' >>"$T/garbage.jsonl"
N=$(wc -l <"$T/garbage.jsonl" | tr -d ' ')
check_fails "a claims file with a garbage line" 2 "$T/garbage.jsonl: line $N:" \
    ms verify --policy "$P" --claims "$T/garbage.jsonl" "$M"
check_status "--json on exit 2" 2 ms verify --policy "$P" --claims "$T/garbage.jsonl" --json "$M"
$PY -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['verified'] is False and 'line' in r['error']['message'] and r['error']['exit'] == 2 and r['error']['code'] == 'input' and r['exit_status'] == 2" "$OUT" && pass || fail "--json exit 2 report"
printf 'not a bundle' >"$T/bad.sig"
check_fails "a malformed model.sig" 2 "$T/bad.sig" ms verify --policy "$P" --signature "$T/bad.sig" "$M"
check_fails "a missing policy" 2 "$T/none.json" ms verify --policy "$T/none.json" "$M"
check_fails "a missing model" 2 "$T/nomodel" ms verify --policy "$P" "$T/nomodel"
check_fails "--key with --policy" 2 "trusted keys come from the policy" \
    ms verify --policy "$P" --key "$T/release.pub" "$M"
check_fails "--policy without MODEL" 2 "missing MODEL" ms verify --policy "$P"
# The key mode is unchanged.
check_status "verify --key still works" 0 ms verify --key "$T/release.pub" "$M"

finish
