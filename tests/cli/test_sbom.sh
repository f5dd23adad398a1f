#!/bin/sh
# shellcheck disable=SC2086 # $KEYS and $SBOM_OPTS are option lists, split on purpose
# modelseal sbom end to end: a model fine-tuned from a signed base model, trained from a real git
# repository on two signed datasets with package dependencies, all made with the real CLI; both
# BOM formats checked field by field against `modelseal digest`, `git` and the provenance, and
# validated by independent tools (the OWASP CycloneDX library's strict JSON validator from npm;
# ajv from npm and Debian's python3-jsonschema against the SPDX 3.0.1 schema), each npm one also
# shown to catch a field broken on purpose; determinism; --policy mode; claims left out; refusals (nothing written).
#
# The npm packages (pinned in tests/interop/package-lock.json) come from tests/interop/node_modules
# when it holds exactly the pinned versions, else from the install test_sigstore_js.sh makes in
# the cache keyed by the lock file's hash (made here the same way when it is missing). Without
# node/npm or a reachable registry the npm validations are skipped (said on stderr), the
# rest still runs.
. "$(dirname "$0")/lib.sh"
set -e

# The npm cache lives under the real user's cache (shared with test_sigstore_js.sh); git reads
# no configuration but the repositories' own.
MS_NODE_CACHE=${MS_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/modelseal-node}
HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
unset SOURCE_DATE_EPOCH
if ! command -v git >/dev/null 2>&1; then
    echo "test_sbom.sh: git not installed: skipped"
    exit 77
fi
NAME=$(basename "$0")
IDIR=$SRCDIR/tests/interop
EPOCH=1700000000
WHEN=2023-11-14T22:13:20Z

# ---- the evidence, made with the real CLI --------------------------------------------------
ms keygen --no-password --output "$T/owner" >/dev/null
ms keygen --no-password --algorithm ecdsa-p256 --output "$T/data" >/dev/null
ms keygen --no-password --output "$T/rogue" >/dev/null

R=$T/repo
mkdir -p "$R"
git -C "$R" init -q -b main
git -C "$R" config user.name Tester
git -C "$R" config user.email tester@example.com
git -C "$R" config commit.gpgsign false
printf 'print("train")\n' >"$R/train.py"
git -C "$R" add -A
git -C "$R" commit -q -m "first"
git -C "$R" remote add origin https://git.example.com/acme/train.git
HEAD=$(git -C "$R" rev-parse HEAD)
URL=$(git -C "$R" remote get-url origin)

# The base model, with its own provenance.
B=$T/base
mkdir -p "$B"
head -c 3000 /dev/urandom >"$B/weights.bin"
ms sign --key "$T/owner.key" "$B" >/dev/null
ms attest provenance --key "$T/owner.key" --builder-id https://ci.example.com/base \
    --git-repo "$R" --started-on 2025-01-01T00:00:00Z --finished-on 2025-01-01T01:00:00Z \
    "$B" >/dev/null

# Two datasets.
mkdir -p "$T/pets/cat" "$T/notes"
printf 'meow' >"$T/pets/cat/1.txt"
printf 'woof' >"$T/pets/dog.txt"
printf 'a note' >"$T/notes/n.txt"
ms dataset manifest --name pets --version 2.0 --source https://data.example.com/pets \
    --license CC-BY-4.0 --output "$T/pets.dsm.jsonl.zst" "$T/pets" >/dev/null
ms dataset sign --key "$T/data.key" "$T/pets.dsm.jsonl.zst" >/dev/null
ms dataset manifest --name notes --output "$T/notes.dsm.jsonl.zst" "$T/notes" >/dev/null
ms dataset sign --key "$T/data.key" "$T/notes.dsm.jsonl.zst" >/dev/null

# The model.
M=$T/model
mkdir -p "$M"
head -c 5000 /dev/urandom >"$M/weights.bin"
printf '{"layers": 2}' >"$M/config.json"
ms sign --key "$T/owner.key" "$M" >/dev/null
printf '{"epochs": 3, "lr": 0.001, "optimizer": {"name": "adam"}}' >"$T/params.json"
TORCH=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ms attest provenance --key "$T/owner.key" --builder-id https://ci.example.com/gpu \
    --git-repo "$R" --params "$T/params.json" --param seed=7 \
    --dataset "$T/pets.dsm.jsonl.zst" --dataset "$T/notes.dsm.jsonl.zst" --base-model "$B" \
    --dependency "pkg:pypi/torch@2.5.1=sha256:$TORCH" --dependency "pkg:pypi/numpy@2.1.0" \
    --started-on 2025-02-01T00:00:00Z --finished-on 2025-02-01T02:00:00Z "$M" >/dev/null
cp "$M/claims.jsonl" "$T/claims.orig"

ROOT=$(ms digest "$M")
BASE_ROOT=$(ms digest "$B")
PETS_ROOT=$(ms digest "$T/pets")
NOTES_ROOT=$(ms digest "$T/notes")

# q FILE [STATEMENTS; ]EXPRS: evaluate Python expressions (comma-separated, printed with spaces)
# on the JSON document `d` in FILE, after the statements (separated by "; ").
# spdx_q: the same, with `g` = {spdxId: element}, `by(type)` = the elements of a type and
# `rel(type)` = the relationships of a type.
PYQ='
import json, sys
d = json.load(open(sys.argv[1]))
g = {e.get("spdxId"): e for e in d.get("@graph", [])}
def by(t): return [e for e in d["@graph"] if e["type"] == t]
def rel(t): return [e for e in by("Relationship") if e["relationshipType"] == t]
code = sys.argv[2]
pre, _, expr = code.rpartition("; ")
exec(pre)
print(*eval("(" + expr + ",)"))'
q() { $PY -c "$PYQ" "$1" "$2"; }
spdx_q() { $PY -c "$PYQ" "$1" "$2"; }

KEYS="--key $T/owner.pub --key $T/data.pub"
SBOM_OPTS="--supplier Acme --license Apache-2.0 --version 1.0 --type-of-model transformer"

# ---- CycloneDX -----------------------------------------------------------------------------
CDX=$T/bom.cdx.json
run env SOURCE_DATE_EPOCH=$EPOCH "$MODELSEAL" sbom --format cyclonedx $KEYS $SBOM_OPTS \
    --output "$CDX" "$M"
check_eq "cyclonedx: exit" "$STATUS" 0
check_eq "cyclonedx: summary" "$(cat "$OUT")" \
    "Wrote $CDX: CycloneDX 1.6 for model $ROOT (2 datasets, 2 packages, 1 base model)"
check_eq "cyclonedx: nothing on stderr" "$(cat "$ERR")" ""
check_eq "cyclonedx: header" "$(q "$CDX" "d['bomFormat'], d['specVersion'], d['version'], d['metadata']['timestamp']")" \
    "CycloneDX 1.6 1 $WHEN"
# serialNumber: RFC 4122 v5 (URL namespace) of the model digest and the time.
check_eq "cyclonedx: serialNumber" "$(q "$CDX" "d['serialNumber']")" \
    "urn:uuid:$($PY -c "import uuid,sys; print(uuid.uuid5(uuid.NAMESPACE_URL, 'modelseal:cyclonedx:' + sys.argv[1] + ':$WHEN'))" "$ROOT")"
VERSION=$(ms --version | cut -d' ' -f2)
check_eq "cyclonedx: tool" "$(q "$CDX" "d['metadata']['tools']['components'][0]['name'], d['metadata']['tools']['components'][0]['version']")" \
    "modelseal $VERSION"
check_eq "cyclonedx: the model" "$(q "$CDX" "c=d['metadata']['component']; c['type'], c['name'], c['version'], c['supplier']['name'], c['licenses'][0]['expression']")" \
    "machine-learning-model model 1.0 Acme Apache-2.0"
check_eq "cyclonedx: model hash = modelseal digest" "$(q "$CDX" "'sha256:' + [h['content'] for h in d['metadata']['component']['hashes'] if h['alg']=='SHA-256'][0]")" "$ROOT"
check_eq "cyclonedx: commit = git" "$(q "$CDX" "c=d['metadata']['component']['pedigree']['commits'][0]; c['uid'], c['url']")" \
    "$HEAD $URL"
check_eq "cyclonedx: base model ancestry" "$(q "$CDX" "a=d['metadata']['component']['pedigree']['ancestors']; len(a), a[0]['type'], a[0]['name'], 'sha256:'+a[0]['hashes'][0]['content'], a[0]['pedigree']['commits'][0]['uid']")" \
    "1 machine-learning-model base $BASE_ROOT $HEAD"
check_eq "cyclonedx: datasets by digest" "$(q "$CDX" "' '.join(c['name']+'=sha256:'+c['hashes'][0]['content'] for c in d['components'] if c['type']=='data')")" \
    "notes=$NOTES_ROOT pets=$PETS_ROOT"
check_eq "cyclonedx: dataset data[]" "$(q "$CDX" "c=[c for c in d['components'] if c['name']=='pets'][0]; c['data'][0]['type'], c['data'][0]['name'], c['data'][0]['contents']['url'], c['licenses'][0]['expression'], c['version']")" \
    "dataset pets https://data.example.com/pets CC-BY-4.0 2.0"
check_eq "cyclonedx: modelCard datasets are references to the data components" \
    "$(q "$CDX" "sorted(r['ref'] for r in d['metadata']['component']['modelCard']['modelParameters']['datasets']) == sorted(c['bom-ref'] for c in d['components'] if c['type']=='data')")" "True"
check_eq "cyclonedx: externalParameters as properties" "$(q "$CDX" "' '.join(p['name'].split(':')[-1]+'='+p['value'] for p in d['metadata']['component']['modelCard']['properties'])")" \
    'epochs=3 lr=0.001 optimizer={"name":"adam"} seed=7'
check_eq "cyclonedx: packages" "$(q "$CDX" "' '.join(c['purl']+('/'+c['hashes'][0]['content'] if 'hashes' in c else '') for c in d['components'] if c['type']=='library')")" \
    "pkg:pypi/numpy@2.1.0 pkg:pypi/torch@2.5.1/$TORCH"
check_eq "cyclonedx: dependencies" "$(q "$CDX" "dep=d['dependencies'][0]; dep['ref']==d['metadata']['component']['bom-ref'], dep['dependsOn']==sorted(c['bom-ref'] for c in d['components'])")" \
    "True True"

# ---- SPDX ----------------------------------------------------------------------------------
SPDX=$T/bom.spdx.json
run env SOURCE_DATE_EPOCH=$EPOCH "$MODELSEAL" sbom --format spdx $KEYS $SBOM_OPTS \
    --dataset-type pets=image --dataset-type pets=text --output "$SPDX" "$M"
check_eq "spdx: exit" "$STATUS" 0
check_eq "spdx: header" "$(spdx_q "$SPDX" "d['@context'], by('CreationInfo')[0]['created'], by('CreationInfo')[0]['specVersion'], len(by('SpdxDocument'))")" \
    "https://spdx.org/rdf/3.0.1/spdx-context.jsonld $WHEN 3.0.1 1"
MODEL_ID=$(spdx_q "$SPDX" "by('SpdxDocument')[0]['rootElement'][0]")
check_eq "spdx: default namespace from the digest" "$MODEL_ID" \
    "urn:modelseal:sbom:sha256:${ROOT#sha256:}#model-sha256-${ROOT#sha256:}"
check_eq "spdx: the model" "$(spdx_q "$SPDX" "m=g['$MODEL_ID']; m['type'], m['name'], m['software_packageVersion'], g[m['suppliedBy']]['name'], m['ai_typeOfModel'][0]")" \
    "ai_AIPackage model 1.0 Acme transformer"
check_eq "spdx: model hash = modelseal digest" "$(spdx_q "$SPDX" "h=g['$MODEL_ID']['verifiedUsing'][0]; h['algorithm']+':'+h['hashValue']")" "$ROOT"
check_eq "spdx: commit as a vcs external reference" "$(spdx_q "$SPDX" "x=g['$MODEL_ID']['externalRef'][0]; x['externalRefType'], x['locator'][0]")" \
    "vcs git+$URL@$HEAD"
check_eq "spdx: datasets" "$(spdx_q "$SPDX" "' '.join(e['name']+'=sha256:'+e['verifiedUsing'][0]['hashValue']+'/'+str(e['dataset_datasetSize'])+'/'+','.join(e['dataset_datasetType']) for e in by('dataset_DatasetPackage'))")" \
    "notes=$NOTES_ROOT/6/noAssertion pets=$PETS_ROOT/8/image,text"
check_eq "spdx: dataset download location" "$(spdx_q "$SPDX" "[e['software_downloadLocation'] for e in by('dataset_DatasetPackage') if e['name']=='pets'][0]")" \
    "https://data.example.com/pets"
check_eq "spdx: trainedOn" "$(spdx_q "$SPDX" "r=rel('trainedOn'); len(r), r[0]['from']=='$MODEL_ID', sorted(g[t]['name'] for t in r[0]['to'])")" \
    "1 True ['notes', 'pets']"
check_eq "spdx: dependsOn" "$(spdx_q "$SPDX" "r=rel('dependsOn'); r[0]['from']=='$MODEL_ID', ' '.join(sorted(g[t]['software_packageUrl'] for t in r[0]['to']))")" \
    "True pkg:pypi/numpy@2.1.0 pkg:pypi/torch@2.5.1"
check_eq "spdx: descendantOf the base model" "$(spdx_q "$SPDX" "r=rel('descendantOf'); b=g[r[0]['to'][0]]; len(r), r[0]['from']=='$MODEL_ID', b['type'], b['name'], 'sha256:'+b['verifiedUsing'][0]['hashValue']")" \
    "1 True ai_AIPackage base $BASE_ROOT"
check_eq "spdx: licenses" "$(spdx_q "$SPDX" "' '.join(sorted(g[r['from']]['name']+'='+g[r['to'][0]]['simplelicensing_licenseExpression'] for r in rel('hasDeclaredLicense')))")" \
    "model=Apache-2.0 pets=CC-BY-4.0"
check_eq "spdx: every element is listed in the document" "$(spdx_q "$SPDX" "sorted(by('SpdxDocument')[0]['element']) == sorted(k for k in g if k and g[k]['type']!='SpdxDocument')")" "True"

# The base-model ancestry matches the chain: the provenance's base-model dependency, whose
# signature is in the claims file.
PROV_BASE=$(sed -n 1p "$M/claims.jsonl" | $PY -c '
import sys,json,base64
b=json.loads(sys.stdin.read()); s=json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
print(" ".join(d["name"]+"=sha256:"+d["digest"]["sha256"] for d in s["predicate"]["buildDefinition"]["resolvedDependencies"] if d["annotations"]["role"]=="base-model"))')
check_eq "ancestry = the provenance's base model" "$PROV_BASE" "base=$BASE_ROOT"

# ---- determinism ---------------------------------------------------------------------------
for f in cyclonedx spdx; do
    SOURCE_DATE_EPOCH=$EPOCH ms sbom --format $f $KEYS $SBOM_OPTS "$M" >"$T/$f.1" 2>/dev/null
    SOURCE_DATE_EPOCH=$EPOCH ms sbom --format $f $KEYS $SBOM_OPTS "$M" >"$T/$f.2" 2>/dev/null
    check_file_eq "$f: two runs are byte-identical" "$T/$f.1" "$T/$f.2"
done
check_file_eq "cyclonedx: standard output = --output file" "$T/cyclonedx.1" "$CDX"
SOURCE_DATE_EPOCH=$((EPOCH + 1)) ms sbom --format cyclonedx $KEYS $SBOM_OPTS "$M" >"$T/later" 2>/dev/null
check_eq "cyclonedx: only the time fields change with SOURCE_DATE_EPOCH" \
    "$(diff "$T/cyclonedx.1" "$T/later" | grep -c '^>')" 2
ms sbom --format cyclonedx $KEYS "$M" >"$T/now.json" 2>/dev/null
check_eq "cyclonedx: without SOURCE_DATE_EPOCH, now" "$(q "$T/now.json" "d['metadata']['timestamp'][:4]")" "$(date -u +%Y)"

# ---- policy mode ---------------------------------------------------------------------------
cat >"$T/policy.json" <<EOF
{"version": 1,
 "keys": {"owner": {"public_key": "owner.pub"}, "data": {"public_key": "data.pub"}},
 "model": {"signers": ["owner"]},
 "provenance": {"signers": ["owner"], "builder_ids": ["https://ci.example.com/gpu"]},
 "datasets": {"signers": ["data"], "required": ["pets", "notes"]},
 "code": {"uris": ["git+$URL"], "refs": ["refs/heads/main"], "repository": "$R"},
 "base_model": {"signers": ["owner"], "require_provenance": true}}
EOF
for f in cyclonedx spdx; do
    run env SOURCE_DATE_EPOCH=$EPOCH "$MODELSEAL" sbom --format $f --policy "$T/policy.json" \
        $SBOM_OPTS "$M"
    check_eq "policy $f: exit" "$STATUS" 0
    check_file_eq "policy $f: the same document as with the same keys" "$OUT" "$T/$f.1"
done
sed 's#https://ci.example.com/gpu#https://ci.example.com/other#' "$T/policy.json" >"$T/policy-bad.json"
check_fails "policy: a chain that fails writes nothing" 1 "the chain does not verify" \
    ms sbom --format spdx --policy "$T/policy-bad.json" --output "$T/nope.json" "$M"
grep -q "provenance: .*builder" "$ERR" && pass || fail "policy: the failed link is named: $(cat "$ERR")"
[ ! -e "$T/nope.json" ] && pass || fail "policy: output written by a failed chain"
check_fails "--policy with --key" 2 "exclude each other" \
    ms sbom --format spdx --policy "$T/policy.json" --key "$T/owner.pub" "$M"
# A Sigstore keyless policy key: the signature is verified offline against its trusted root,
# for the BOM as for the chain (the model_signing v1.1.0 release, signed on public-good).
cp -R "$MS_VECTORS/oms/model-transparency-releases/v1.1.0-sigstore" "$T/sigstore-model"
chmod -R u+w "$T/sigstore-model"
cp "$MS_VECTORS/sigstore/sigstore.trusted_root.json" "$T/"
cat >"$T/sigstore-policy.json" <<'EOF'
{"version": 1,
 "keys": {"ibm": {"sigstore": {"identity": "stefanb@us.ibm.com",
                               "issuer": "https://sigstore.verify.ibm.com/oauth2",
                               "trusted_root": "sigstore.trusted_root.json"}}},
 "model": {"signers": ["ibm"]}}
EOF
check_status "policy: a Sigstore keyless model signer" 0 ms sbom --format cyclonedx \
    --policy "$T/sigstore-policy.json" --output "$T/sigstore.cdx.json" "$T/sigstore-model"
check_eq "policy: the keyless model's digest" \
    "$(q "$T/sigstore.cdx.json" "d['metadata']['component']['hashes'][0]['content']")" \
    61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226
sed 's/stefanb@us.ibm.com/someone@example.com/' "$T/sigstore-policy.json" >"$T/sigstore-other.json"
check_fails "policy: another Sigstore identity" 1 "not signed by a key in policy.model.signers" \
    ms sbom --format cyclonedx --policy "$T/sigstore-other.json" "$T/sigstore-model"

# ---- claims signed by unknown keys are left out and listed ---------------------------------
ms attest provenance --key "$T/rogue.key" --builder-id https://rogue.example.com --no-git \
    --claims "$T/rogue-claims.jsonl" "$M" >/dev/null
cat "$T/claims.orig" "$T/rogue-claims.jsonl" >"$T/mixed.jsonl"
N=$(wc -l <"$T/mixed.jsonl" | tr -d ' ')
run env SOURCE_DATE_EPOCH=$EPOCH "$MODELSEAL" sbom --format cyclonedx $KEYS $SBOM_OPTS \
    --claims "$T/mixed.jsonl" "$M"
check_eq "left out: exit" "$STATUS" 0
grep -q "1 claim left out (not signed by a trusted key):" "$ERR" && pass || fail "left out: $(cat "$ERR")"
grep -q "^  $T/mixed.jsonl: line $N: provenance for $ROOT: signed by key .*, not a trusted key$" "$ERR" &&
    pass || fail "left out line: $(cat "$ERR")"
check_file_eq "left out: the BOM is made of the trusted claims" "$OUT" "$T/cyclonedx.1"
# model.sig itself must verify with a given key: with only the data key, exit 1.
check_fails "model.sig by a key not given" 1 "not signed by a trusted key" \
    ms sbom --format cyclonedx --key "$T/data.pub" --output "$T/nope.json" "$M"
[ ! -e "$T/nope.json" ] && pass || fail "untrusted model.sig: output written"

# ---- refusals: nothing written -------------------------------------------------------------
# A provenance whose payload was changed after signing (it still names the owner's key).
$PY - "$T/claims.orig" "$T/tampered.jsonl" <<'PY'
import base64, json, sys
lines = open(sys.argv[1]).read().splitlines()
b = json.loads(lines[0])
p = base64.b64decode(b["dsseEnvelope"]["payload"]).replace(b"ci.example.com/gpu", b"ci.example.com/gpX")
b["dsseEnvelope"]["payload"] = base64.b64encode(p).decode()
lines[0] = json.dumps(b, separators=(",", ":"))
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
echo old >"$T/out.json"
check_fails "tampered provenance: exit 1" 1 "line 1: the provenance for $ROOT names a trusted key" \
    ms sbom --format cyclonedx $KEYS --claims "$T/tampered.jsonl" --output "$T/out.json" "$M"
check_eq "tampered provenance: the output file is untouched" "$(cat "$T/out.json")" old
check_fails "tampered provenance, spdx to stdout: nothing printed" 1 "nothing written" \
    ms sbom --format spdx $KEYS --claims "$T/tampered.jsonl" "$M"
check_eq "tampered provenance: empty stdout" "$(wc -c <"$OUT" | tr -d ' ')" 0
# The model changed after it was signed.
cp "$M/weights.bin" "$T/weights.bak"
printf 'x' >>"$M/weights.bin"
check_fails "changed model file" 1 "nothing written" \
    ms sbom --format cyclonedx $KEYS --output "$T/nope.json" "$M"
[ ! -e "$T/nope.json" ] && pass || fail "changed model: output written"
cp "$T/weights.bak" "$M/weights.bin"
# A garbage claims line: malformed input.
{ cat "$T/claims.orig"; echo '{"garbage": true}'; } >"$T/garbage.jsonl"
check_fails "garbage claims line" 2 "line $(($(wc -l <"$T/claims.orig") + 1))" \
    ms sbom --format cyclonedx $KEYS --claims "$T/garbage.jsonl" --output "$T/nope.json" "$M"
[ ! -e "$T/nope.json" ] && pass || fail "garbage claims: output written"

# Usage errors: exit 2.
check_fails "unknown --format" 2 "--format xml: unknown format" \
    ms sbom --format xml $KEYS --output "$T/nope.json" "$M"
[ ! -e "$T/nope.json" ] && pass || fail "unknown format: output written"
check_fails "missing --format" 2 "missing --format" ms sbom $KEYS "$M"
check_fails "no keys" 2 "give the trusted keys" ms sbom --format spdx "$M"
check_fails "no model" 2 "missing MODEL" ms sbom --format spdx $KEYS
check_fails "unknown dataset type" 2 "--dataset-type pets=pictures: unknown type" \
    ms sbom --format spdx $KEYS --dataset-type pets=pictures "$M"
check_fails "dataset type for no dataset" 2 "--dataset-type cats=image: the model's verified provenance names no dataset" \
    ms sbom --format spdx $KEYS --dataset-type cats=image --output "$T/nope.json" "$M"
[ ! -e "$T/nope.json" ] && pass || fail "dataset type: output written"
check_fails "bad --dataset-type" 2 "expected NAME=TYPE" \
    ms sbom --format spdx $KEYS --dataset-type pets "$M"
check_fails "bad --namespace" 2 "--namespace not an iri: not an absolute IRI" \
    ms sbom --format spdx $KEYS --namespace "not an iri" "$M"
run env SOURCE_DATE_EPOCH=yesterday "$MODELSEAL" sbom --format spdx $KEYS "$M"
check_eq "bad SOURCE_DATE_EPOCH: exit 2" "$STATUS" 2
grep -q "SOURCE_DATE_EPOCH=yesterday: not a number" "$ERR" && pass || fail "SOURCE_DATE_EPOCH message"
check_fails "unknown option" 2 "unknown option" ms sbom --format spdx --colour "$M"
check_status "--help" 0 ms sbom --help
grep -q "^Usage: modelseal sbom --format cyclonedx|spdx" "$OUT" && pass || fail "help text"

# ---- a single-file model without claims ----------------------------------------------------
make_file_model "$T/single.bin"
ms sign --key "$T/owner.key" "$T/single.bin" >/dev/null
SOURCE_DATE_EPOCH=$EPOCH ms sbom --format cyclonedx --key "$T/owner.pub" \
    --output "$T/single.cdx.json" "$T/single.bin" >"$OUT"
grep -q "(0 datasets, 0 packages, 0 base models; no verified provenance)" "$OUT" && pass || fail "single: $(cat "$OUT")"
SOURCE_DATE_EPOCH=$EPOCH ms sbom --format spdx --key "$T/owner.pub" --namespace https://example.com/sbom/single \
    --output "$T/single.spdx.json" "$T/single.bin" >/dev/null
check_eq "single: hash = modelseal digest" "$(q "$T/single.cdx.json" "'sha256:'+d['metadata']['component']['hashes'][0]['content']")" \
    "$(ms digest "$T/single.bin")"
check_eq "single: --namespace" "$(spdx_q "$T/single.spdx.json" "by('SpdxDocument')[0]['spdxId']")" \
    "https://example.com/sbom/single#document"

# ---- independent validation ----------------------------------------------------------------
# Broken on purpose: a component type CycloneDX 1.6 does not have; an SPDX dataset type that is
# not in the vocabulary.
$PY - "$CDX" "$T/broken.cdx.json" "$SPDX" "$T/broken.spdx.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["metadata"]["component"]["type"] = "ml-model"
json.dump(d, open(sys.argv[2], "w"), indent=2)
d = json.load(open(sys.argv[3]))
for e in d["@graph"]:
    if e["type"] == "dataset_DatasetPackage":
        e["dataset_datasetType"] = ["pictures"]
json.dump(d, open(sys.argv[4], "w"), indent=2)
PY

# SPDX: Debian's python3-jsonschema, Draft 2020-12, the vendored SPDX 3.0.1 schema, on the
# single-file document (it takes seconds per document; ajv below checks all three).
if [ "$SANITIZED" = 1 ]; then
    echo "$NAME: the sanitizer run leaves out the independent validators (the normal run has them)"
elif $PY -c "from jsonschema import Draft202012Validator" 2>/dev/null; then
    run $PY "$IDIR/spdx_validate.py" "$T/single.spdx.json"
    check_eq "spdx validator (python3-jsonschema): ours valid" "$STATUS:$(cat "$OUT")" \
        "0:valid: $T/single.spdx.json"
else
    echo "$NAME: SKIP: SPDX validation: /usr/bin/python3 has no jsonschema with Draft 2020-12 (apt install python3-jsonschema)" >&2
fi

# CycloneDX: @cyclonedx/cyclonedx-library's JsonStrictValidator (bundled official schemas).
. "$SRCDIR/tests/interop/sigstore_js_env.sh" # the pinned npm packages, shared install
if [ "$SANITIZED" = 1 ]; then
    : # the independent validators run in the normal run (said above)
elif ! command -v node >/dev/null 2>&1; then
    echo "$NAME: SKIP: CycloneDX and SPDX (ajv) validation: no node command" >&2
elif ! node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 18) ? 0 : 1)'; then
    echo "$NAME: SKIP: CycloneDX and SPDX (ajv) validation: node $(node --version) is older than @cyclonedx/cyclonedx-library 10 needs (>=20.18)" >&2
else
    set +e
    sigstore_js_setup "$T"
    prc=$?
    set -e
    PREFIX=${MS_SIGSTORE_JS_PREFIX:-}
    if [ $prc -eq 2 ]; then
        fail "cannot install the pinned npm packages"
    elif [ $prc -ne 0 ]; then
        echo "$NAME: SKIP: CycloneDX and SPDX (ajv) validation: $SIGSTORE_JS_UNAVAILABLE" >&2
    else
        # SPDX with ajv (Draft 2020-12, strict, formats), the vendored SPDX 3.0.1 schema.
        run env MS_NODE_PREFIX="$PREFIX" node "$IDIR/spdx_validate.mjs" \
            "$SRCDIR/tests/vectors/spdx/schema-3.0.1.json" "$SPDX" "$T/single.spdx.json" \
            "$T/broken.spdx.json"
        check_eq "spdx validator (ajv): exit 1 (one broken)" "$STATUS" 1
        check_eq "spdx validator (ajv): ours valid" "$(cat "$OUT")" "valid: $SPDX
valid: $T/single.spdx.json"
        grep -q "^invalid: $T/broken.spdx.json: /@graph/[0-9]*/dataset_datasetType/0: must be equal to one of the allowed values" "$ERR" &&
            pass || fail "spdx validator (ajv): the broken field is named: $(head -3 "$ERR")"
        run env MS_NODE_PREFIX="$PREFIX" node "$IDIR/cyclonedx_validate.mjs" "$CDX" "$T/single.cdx.json" "$T/broken.cdx.json"
        check_eq "cyclonedx validator: exit 1 (one broken)" "$STATUS" 1
        check_eq "cyclonedx validator: ours valid" "$(cat "$OUT")" "valid: $CDX
valid: $T/single.cdx.json"
        grep -q "^invalid: $T/broken.cdx.json: /metadata/component/type: must be equal to one of the allowed values" "$ERR" &&
            pass || fail "cyclonedx validator: the broken field is named: $(head -3 "$ERR")"
        sed 's/"specVersion": "1.6"/"specVersion": "1.5"/' "$CDX" >"$T/v15.json"
        check_fails "cyclonedx validator: a 1.5 document is not validated as 1.6" 1 \
            "not a CycloneDX 1.6 document" \
            env MS_NODE_PREFIX="$PREFIX" node "$IDIR/cyclonedx_validate.mjs" "$T/v15.json"
    fi
fi
finish
