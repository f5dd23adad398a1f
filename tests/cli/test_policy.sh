#!/bin/sh
# modelseal policy check / init: what a valid policy prints, expiry warnings, the refusals
# (exit 2 naming the field), and starter policies that check clean and verify a model.
. "$(dirname "$0")/lib.sh"
set -e

HOME=$T
GIT_CONFIG_NOSYSTEM=1
export HOME GIT_CONFIG_NOSYSTEM
mkdir -p "$T/keys"
for k in release ci data; do ms keygen --no-password --output "$T/keys/$k" >/dev/null; done

P=$T/policy.json
cat >"$P" <<'EOF'
{
  "version": 1,
  "expires": "2099-12-31T00:00:00Z",
  "keys": {
    "release": {"public_key": "keys/release.pub"},
    "ci": {"public_key": "keys/ci.pub"},
    "data": {"public_key": "keys/data.pub"}
  },
  "model": {"signers": ["release"]},
  "provenance": {"signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu-runner"],
                 "allowed_parameters": ["epochs"]},
  "datasets": {"signers": ["data"], "required": ["pets"],
               "data": {"pets": {"manifest": "pets.dsm.jsonl.zst", "path": "/data/pets"}}},
  "code": {"uris": ["git+https://github.com/acme/train.git"], "refs": ["refs/heads/main", "refs/tags/v*"]},
  "base_model": {"signers": ["release"], "require_provenance": true, "max_depth": 2}
}
EOF
check_status "policy check" 0 ms policy check "$P"
check_eq "first line" "$(head -n 1 "$OUT")" "$P: valid policy (version 1)"
grep -q "^  release: ed25519 public key $T/keys/release.pub (hint " "$OUT" && pass || fail "key line: $(cat "$OUT")"
grep -q "^  policy: current until 2099-12-31T00:00:00Z$" "$OUT" && pass || fail "policy line"
grep -q "^  model: model.sig signed by one of: release$" "$OUT" && pass || fail "model line"
grep -q "^  provenance: required; SLSA v1" "$OUT" && pass || fail "provenance line"
grep -q "^    builder.id in: https://ci.example.com/gpu-runner$" "$OUT" && pass || fail "builder line"
grep -q "^    pets: manifest $T/pets.dsm.jsonl.zst, data /data/pets re-hashed$" "$OUT" && pass || fail "relative manifest path"
grep -q "^    commit not checked against a repository$" "$OUT" && pass || fail "no repository"
grep -q "^    provenance required (followed recursively); at most 2 levels deep$" "$OUT" && pass || fail "base line"
check_eq "no warning" "$(cat "$ERR")" ""
# From another directory: paths stay relative to the policy file.
(cd / && "$MODELSEAL" policy check "$P") >/dev/null 2>&1 && pass || fail "check from another directory"

# A Sigstore keyless key.
cp "$MS_VECTORS/sigstore/sigstore.trusted_root.json" "$T/root.json"
printf '{"version": 1, "keys": {"ibm": {"sigstore": {"identity": "stefanb@us.ibm.com", "issuer": "https://sigstore.verify.ibm.com/oauth2", "trusted_root": "root.json"}}}, "model": {"signers": ["ibm"]}}' >"$T/sig.json"
check_status "policy check: a sigstore key" 0 ms policy check "$T/sig.json"
grep -q "^  ibm: Sigstore identity stefanb@us.ibm.com from https://sigstore.verify.ibm.com/oauth2, trusted root $T/root.json$" "$OUT" && pass || fail "sigstore key line: $(cat "$OUT")"
grep -q "^  provenance: not required by the policy$" "$OUT" && pass || fail "minimal: provenance not required"

# Expiry warnings: still valid (exit 0).
$PY -c "import json,sys,datetime as d; p=json.load(open(sys.argv[1])); p['expires']=(d.datetime.utcnow()+d.timedelta(days=10)).strftime('%Y-%m-%dT%H:%M:%SZ'); json.dump(p, open(sys.argv[2],'w'))" "$P" "$T/soon.json"
check_status "expires soon" 0 ms policy check "$T/soon.json"
grep -q "^modelseal policy check: warning: the policy expires at .* (within 30 days)$" "$ERR" && pass || fail "soon warning: $(cat "$ERR")"
sed 's/2099-12-31T00:00:00Z/2020-01-01T00:00:00Z/' "$P" >"$T/expired.json"
check_status "expired" 0 ms policy check "$T/expired.json"
grep -q "^modelseal policy check: warning: the policy expired at 2020-01-01T00:00:00Z" "$ERR" && pass || fail "expired warning"

# Refusals: exit 2, one line naming the field.
bad() { # DESCRIPTION SED-EXPRESSION MESSAGE
    sed "$2" "$P" >"$T/bad.json"
    check_fails "$1" 2 "$3" ms policy check "$T/bad.json"
}
bad "unknown top-level field" 's/"version": 1,/"version": 1, "extra": true,/' "policy.extra: unknown field"
bad "unknown nested field" 's/"allowed_parameters"/"allowed_params"/' "policy.provenance.allowed_params: unknown field"
bad "misspelled key name" 's/"signers": \["ci"\]/"signers": ["cl"]/' 'policy.provenance.signers[0]: key "cl" is not defined in policy.keys'
bad "version 2" 's/"version": 1/"version": 2/' "policy.version: unsupported version 2"
bad "wrong type" 's/"max_depth": 2/"max_depth": "2"/' "policy.base_model.max_depth: not a number"
bad "builder id not a string" 's|\["https://ci.example.com/gpu-runner"\]|["https://ci.example.com/gpu-runner", 1]|' "policy.provenance.builder_ids[1]: not a string"
bad "missing key file" 's|keys/data.pub|keys/none.pub|' "policy.keys.data.public_key: $T/keys/none.pub"
bad "sigstore identity without a trusted root" 's|{"public_key": "keys/data.pub"}|{"sigstore": {"identity": "a@b", "issuer": "https://x"}}|' "policy.keys.data.sigstore.trusted_root: missing"
printf '{"version": 1,' >"$T/trunc.json"
check_fails "not JSON" 2 "$T/trunc.json" ms policy check "$T/trunc.json"
check_fails "missing file" 2 "$T/none.json" ms policy check "$T/none.json"
check_fails "no subcommand" 2 "missing subcommand" ms policy
check_fails "unknown subcommand" 2 "unknown subcommand 'chek'" ms policy chek "$P"
check_fails "check without POLICY" 2 "missing POLICY" ms policy check
check_status "policy --help" 0 ms policy --help
grep -q "^Usage: modelseal policy check POLICY" "$OUT" && pass || fail "help text"
check_status "help policy" 0 ms help policy

# init: a starter policy that checks clean and verifies a signed model.
cd "$T"
check_status "init --model-key" 0 ms policy init --model-key keys/release.pub
cp "$OUT" "$T/starter.json"
# init says the expiry it set (a year from today), on stderr.
year=$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['expires'])" "$T/starter.json")
check_eq "init: the expiry said" "$(cat "$ERR")" \
    "modelseal policy init: the policy expires at $year, a year from now (its \"expires\" field)"
check_status "starter policy checks" 0 ms policy check "$T/starter.json"
check_eq "starter: no warning" "$(cat "$ERR")" ""
$PY -c "import json,sys; p=json.load(open(sys.argv[1])); assert sorted(p)==['expires','keys','model','version'], p; print(p['keys'], p['model'])" "$T/starter.json" >"$T/summary" && pass || fail "starter content"
check_eq "starter keys" "$(cat "$T/summary")" "{'release': {'public_key': 'keys/release.pub'}} {'signers': ['release']}"
mkdir -p "$T/m"
printf 'w' >"$T/m/w.bin"
ms sign --key "$T/keys/release.key" "$T/m" >/dev/null
check_status "the starter policy verifies a signed model" 0 ms verify --policy "$T/starter.json" "$T/m"
check_eq "starter verdict" "$(tail -n 1 "$OUT")" "VERIFIED"
check_eq "verify --policy: no expiry warning a year ahead" "$(grep -v "^hashed " "$ERR")" ""
# verify --policy warns before the work when the policy expires within 30 days (still valid).
$PY -c "import json,sys,datetime as d; p=json.load(open(sys.argv[1])); p['expires']=(d.datetime.utcnow()+d.timedelta(days=10)).strftime('%Y-%m-%dT%H:%M:%SZ'); json.dump(p, open(sys.argv[2],'w'))" "$T/starter.json" "$T/starter-soon.json"
check_status "verify --policy: expires soon" 0 ms verify --policy "$T/starter-soon.json" "$T/m"
grep -q "^modelseal verify: warning: the policy expires at .* (within 30 days)$" "$ERR" && pass ||
    fail "verify --policy: soon warning: $(cat "$ERR")"

R=$T/train
mkdir -p "$R"
git -C "$R" init -q -b main
printf 'x' >"$R/train.py"
git -C "$R" add -A
git -C "$R" -c user.name=T -c user.email=t@e -c commit.gpgsign=false commit -q -m one
git -C "$R" remote add origin https://github.com/acme/train.git
check_status "init with everything" 0 ms policy init --model-key keys/release.pub \
    --provenance-key keys/ci.pub --builder-id https://ci.example.com/gpu-runner \
    --dataset-key keys/data.pub --repository train
cp "$OUT" "$T/full.json"
check_status "full starter checks" 0 ms policy check "$T/full.json"
check_eq "full starter sections" "$($PY -c "import json,sys; p=json.load(open(sys.argv[1])); print(sorted(p), p['provenance']['builder_ids'], p['code']['uris'], p['code']['refs'], p['code']['repository'], p['datasets'])" "$T/full.json")" \
    "['code', 'datasets', 'expires', 'keys', 'model', 'provenance', 'version'] ['https://ci.example.com/gpu-runner'] ['git+https://github.com/acme/train.git'] ['refs/heads/main'] train {'signers': ['data'], 'required': []}"
check_fails "init without --model-key" 2 "missing --model-key" ms policy init
check_fails "init: provenance key without builder" 2 "--provenance-key needs --builder-id" \
    ms policy init --model-key keys/release.pub --provenance-key keys/ci.pub
check_fails "init: dataset key without provenance" 2 "--dataset-key needs --provenance-key" \
    ms policy init --model-key keys/release.pub --dataset-key keys/data.pub
check_fails "init: a key that is not a key" 2 "$T/policy.json" ms policy init --model-key "$T/policy.json"
check_fails "init: not a repository" 2 "not in a git repository" \
    ms policy init --model-key keys/release.pub --provenance-key keys/ci.pub --builder-id b --repository /

finish
