#!/bin/sh
# --json everywhere: one compact document on one line on stdout (--json=pretty indents it),
# human messages on stderr only; a failure of exit status 2 or 3 prints an error document
# {"error":{"exit","code","message","path"}} (modelseal-json(7)); an empty listing is [].
. "$(dirname "$0")/lib.sh"
set -e

M=$T/model
mkdir -p "$M/sub"
printf 'weights' >"$M/w.bin"
printf 'tok' >"$M/sub/t.txt"
# one_doc DESCRIPTION: stdout ($OUT) is exactly one line, and that line one JSON document.
one_doc() {
    check_eq "$1: one line" "$(wc -l <"$OUT")" 1
    $PY -c "import json,sys; json.loads(open(sys.argv[1]).read())" "$OUT" && pass ||
        fail "$1: not one JSON document: $(head -c 300 "$OUT")"
}
check_status "keygen --json" 0 ms keygen --json --no-password --output "$T/k"
one_doc "keygen --json"
check_status "digest --json" 0 ms digest --json "$M"
one_doc "digest --json"
check_status "hash --json" 0 ms hash --json "$M"
one_doc "hash --json"
check_status "sign --json" 0 ms sign --json --key "$T/k.key" "$M"
one_doc "sign --json"
check_status "verify --json" 0 ms verify --json --key "$T/k.pub" "$M"
one_doc "verify --json"
$PY -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['verified'] is True and d['exit_status'] == 0, d" "$OUT" &&
    pass || fail "verify --json content"
check_status "inspect --json" 0 ms inspect --json "$M/model.sig"
one_doc "inspect --json"
check_status "attest list --json, no claims file" 0 ms attest list --json "$M"
check_eq "attest list --json, no claims file: []" "$(cat "$OUT")" "[]"
# verify --policy: the vocabulary of verify (model {name, digest, path}; changed, missing and
# extra; the error object), with the verdict of every link.
printf '{"version": 1, "keys": {"release": {"public_key": "k.pub"}}, "model": {"signers": ["release"]}}' \
    >"$T/policy.json"
check_status "verify --policy --json" 0 ms verify --policy "$T/policy.json" --json "$M"
one_doc "verify --policy --json"
# blob verify, lineage log and find: every command's --json is printed here once (and checked
# against its schema by test_json_schemas.sh).
printf 'blob' >"$T/blob.txt"
ms blob sign --key "$T/k.key" --bundle "$T/blob.sigstore.json" "$T/blob.txt" >/dev/null
check_status "blob verify --json" 0 ms blob verify --json --key "$T/k.pub" --bundle "$T/blob.sigstore.json" "$T/blob.txt"
one_doc "blob verify --json"
if command -v git >/dev/null; then
    R=$T/repo
    git init -q "$R"
    cp -R "$M" "$R/m"
    printf '{"version": 1, "models": [{"path": "m"}]}' >"$R/.modelseal.json"
    git -C "$R" config user.name Tester
    git -C "$R" config user.email tester@example.com
    (cd "$R" && git add -A && git commit -qm m)
    ms lineage record --repo "$R" >/dev/null
    check_status "lineage log --json" 0 ms lineage log --json --repo "$R" m
    one_doc "lineage log --json"
    check_status "lineage find --json" 0 ms lineage find --json --repo "$R" "$(ms digest "$M")"
    one_doc "lineage find --json"
fi
# A changed file: the report lists it in both modes, with the same error object.
cp "$M/w.bin" "$T/w.bin.saved"
printf 'other weights' >"$M/w.bin"
check_status "verify --json, a changed file" 1 ms verify --json --key "$T/k.pub" "$M"
cp "$OUT" "$T/verify.json"
check_status "verify --policy --json, a changed file" 1 ms verify --policy "$T/policy.json" --json "$M"
$PY - "$T/verify.json" "$OUT" "$M" <<'PY' && pass || fail "the reports of both modes: $(cat "$T/verify.json" "$OUT")"
import json, sys
v, p = (json.load(open(f)) for f in sys.argv[1:3])
for d in (v, p):
    assert d["verified"] is False and d["exit_status"] == 1, d
    assert (d["changed"], d["missing"], d["extra"]) == (["w.bin"], [], []), d
    assert d["model"]["path"] == sys.argv[3] and d["model"]["name"] == "model", d
    assert d["model"]["digest"].startswith("sha256:"), d
    e = d["error"]
    assert set(e) == {"exit", "code", "message", "path"}, e
    assert e["exit"] == 1 and e["code"] == "not-verified", e
assert v["signer"]["kind"] == "key" and set(v["signer"]) == {
    "kind", "hint", "identity", "subject", "issuer", "signing_time"}, v
PY
cp "$T/w.bin.saved" "$M/w.bin"
# --json=pretty: the same document, indented.
ms digest --json "$M" >"$T/compact.json"
check_status "digest --json=pretty" 0 ms digest --json=pretty "$M"
[ "$(wc -l <"$OUT")" -gt 1 ] && pass || fail "--json=pretty: one line"
$PY -c "import json,sys; assert json.load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" "$OUT" "$T/compact.json" &&
    pass || fail "--json=pretty: another document"
check_fails "--json=yaml" 2 "--json: expected --json or --json=pretty, not '--json=yaml'" \
    ms digest --json=yaml "$M"

# Errors: the error document on stdout, the message on stderr.
err_doc() { # DESCRIPTION EXIT CODE PATH(or null) MESSAGE-PREFIX
    one_doc "$1"
    $PY - "$OUT" "$2" "$3" "$4" "$5" <<'PY' && pass || fail "$1: error document: $(cat "$OUT")"
import json, sys
d = json.load(open(sys.argv[1]))
e = d["error"]
assert set(d) == {"error"} and set(e) == {"exit", "code", "message", "path"}, d
assert e["exit"] == int(sys.argv[2]) and e["code"] == sys.argv[3], e
assert e["path"] == (None if sys.argv[4] == "null" else sys.argv[4]), e
assert e["message"].startswith(sys.argv[5]), e
PY
}
mkdir -p "$T/unsigned"
printf 'x' >"$T/unsigned/a"
check_fails "verify --json of an unsigned model" 2 "$T/unsigned/model.sig: No such file" \
    ms verify --json --key "$T/k.pub" "$T/unsigned"
err_doc "verify --json of an unsigned model" 2 input "$T/unsigned/model.sig" "$T/unsigned/model.sig: No such file"
check_fails "digest --json of a missing model" 2 "No such file" ms digest --json "$T/nope"
err_doc "digest --json of a missing model" 2 input "$T/nope" "$T/nope: "
check_fails "sign --json with a misspelt option" 2 "did you mean '--key'" \
    ms sign --json --kye "$T/k.key" "$M"
err_doc "sign --json with a misspelt option" 2 usage null "unknown option '--kye'"
# Exit 3: the output directory cannot be written (a file stands where a directory should be).
printf 'file' >"$T/notadir"
run ms sign --json --key "$T/k.key" --signature "$T/notadir/m.sig" "$M"
case $STATUS in
2 | 3) pass ;;
*) fail "sign into a file's path: exit $STATUS" ;;
esac
err_doc "sign --json into a file's path" "$STATUS" "$([ "$STATUS" = 3 ] && echo environment || echo input)" \
    "$(sed -n 's/.*"path":"\([^"]*\)".*/\1/p' "$OUT" | grep . || echo null)" ""
# Without --json: nothing on stdout.
check_fails "verify of an unsigned model without --json" 2 "No such file" \
    ms verify --key "$T/k.pub" "$T/unsigned"
check_eq "no --json: stdout empty" "$(cat "$OUT")" ""
finish
