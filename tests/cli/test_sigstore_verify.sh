#!/bin/sh
# Sigstore keyless signatures verified offline: the model_signing release vectors signed on the
# public-good instance verify with its trusted root, by identity and OIDC issuer; each change to
# the model, the identity, the issuer or a field of the bundle's evidence (certificate, tlog
# entry body, inclusion proof, checkpoint, signed entry timestamp, integrated time) is refused
# with exit 1 and a message naming the failed check; a malformed trusted root is exit 2. A
# key-signed model whose envelope is in a transparency log verifies with --key and that log's
# trusted root, and damage to its entry is refused the same way.
. "$(dirname "$0")/lib.sh"
set -e

REL=$MS_VECTORS/oms/model-transparency-releases
ROOT=$MS_VECTORS/sigstore/sigstore.trusted_root.json
STAGE=$MS_VECTORS/sigstore/sigstage.trusted_root.json
SPEC=$MS_VECTORS/oms/spec-v1.0/test-vectors/v1.0/valid/sigstore.bundle.json
ID=stefanb@us.ibm.com
ISS=https://sigstore.verify.ibm.com/oauth2
cp -R "$REL" "$T/rel"
chmod -R u+w "$T/rel"

sverify() { ms verify --identity "$ID" --issuer "$ISS" --trusted-root "$ROOT" "$@"; }

# Every release vector verifies; v1.0.1 does not record its ignored path.
for v in v0.3.1 v1.0.0 v1.0.1 v1.1.0; do
    extra=
    [ "$v" = v1.0.1 ] && extra="--ignore ignore-me"
    # shellcheck disable=SC2086
    check_status "$v-sigstore verifies" 0 sverify $extra "$T/rel/$v-sigstore"
    grep -q "^Signer: Sigstore certificate for $ID from $ISS, signed 20" "$OUT" && pass ||
        fail "$v-sigstore: signer line"
done
check_fails "v1.0.1 without --ignore" 1 "extra:   ignore-me" sverify "$T/rel/v1.0.1-sigstore"

# The default trusted root is the public-good one shipped in keys/.
check_status "default trusted root" 0 \
    ms verify --identity "$ID" --issuer "$ISS" "$T/rel/v1.1.0-sigstore"

# The JSON report names the signer, its issuer and the verified signing time.
check_status "--json report" 0 sverify --json "$T/rel/v1.1.0-sigstore"
if $PY - "$OUT" <<'PY'; then pass; else fail "--json report fields"; fi
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signer"]
assert r["verified"] is True and r["exit_status"] == 0, r
assert s["kind"] == "sigstore", s
assert s["identity"] == "stefanb@us.ibm.com", s
assert s["issuer"] == "https://sigstore.verify.ibm.com/oauth2", s
assert s["signing_time"] == "2025-10-10T02:12:20Z", s
assert len(s["hint"]) == 64, s
assert r["model"]["digest"] == "sha256:61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226"
PY

# The OMS specification's valid/sigstore.bundle.json signs the v1.1.0-sigstore model.
check_status "spec valid/sigstore.bundle.json" 0 sverify --signature "$SPEC" "$T/rel/v1.1.0-sigstore"

M=$T/rel/v1.1.0-sigstore
SIG=$M/model.sig
cp "$SIG" "$T/good.sig"

# Identity and issuer are exact.
check_fails "another identity" 1 "sigstore certificate identity: the certificate is for $ID" \
    ms verify --identity "someone@us.ibm.com" --issuer "$ISS" --trusted-root "$ROOT" "$M"
check_fails "an identity prefix" 1 "sigstore certificate identity" \
    ms verify --identity "stefanb@us.ibm" --issuer "$ISS" --trusted-root "$ROOT" "$M"
check_fails "another issuer" 1 "sigstore certificate issuer: the OIDC issuer is $ISS" \
    ms verify --identity "$ID" --issuer "https://accounts.google.com" --trusted-root "$ROOT" "$M"

# One model byte.
cp "$M/signme-1" "$T/signme-1"
printf 'X' | dd of="$M/signme-1" bs=1 seek=2 conv=notrunc status=none
check_fails "one model byte" 1 "changed: signme-1" sverify "$M"
cp "$T/signme-1" "$M/signme-1"

# edit EXPR: apply a Python statement to the bundle `b` (with `e` its first tlog entry and
# `other` the v1.0.1 bundle) into $SIG.
edit() {
    $PY - "$T/good.sig" "$REL/v1.0.1-sigstore/model.sig" "$SIG" "$1" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
other = json.load(open(sys.argv[2]))
e = b["verificationMaterial"]["tlogEntries"][0]
def flip(s, at):
    raw = bytearray(base64.b64decode(s))
    raw[at] ^= 1
    return base64.b64encode(bytes(raw)).decode()
exec(sys.argv[4])
open(sys.argv[3], "w").write(json.dumps(b))
PY
}

edit 'b["verificationMaterial"]["certificate"] = other["verificationMaterial"]["certificate"]'
check_fails "a different certificate" 1 "sigstore tlog entry: the logged certificate" sverify "$M"

edit 'e["inclusionProof"]["hashes"][2] = flip(e["inclusionProof"]["hashes"][2], 7)'
check_fails "a modified inclusion proof hash" 1 "sigstore inclusion proof: the audit path" \
    sverify "$M"

edit 'c = e["inclusionProof"]["checkpoint"]; c["envelope"] = c["envelope"].replace("\n476246825\n", "\n476246826\n")'
check_fails "a modified checkpoint (tree size)" 1 "sigstore checkpoint" sverify "$M"

edit 'c = e["inclusionProof"]["checkpoint"]; l = c["envelope"].split(" "); l[-1] = flip(l[-1], 20) + "\n"; c["envelope"] = " ".join(l)'
check_fails "a modified checkpoint (signature)" 1 \
    "sigstore checkpoint: the signature by rekor.sigstore.dev does not verify" sverify "$M"

edit 'p = e["inclusionPromise"]; p["signedEntryTimestamp"] = flip(p["signedEntryTimestamp"], -1)'
check_fails "a modified signed entry timestamp" 1 "sigstore signed entry timestamp" sverify "$M"

edit 'e["integratedTime"] = str(int(e["integratedTime"]) - 60)'
check_fails "a modified integratedTime" 1 "sigstore signed entry timestamp" sverify "$M"

edit 'e["canonicalizedBody"] = other["verificationMaterial"]["tlogEntries"][0]["canonicalizedBody"]'
check_fails "a tlog body for another signature" 1 "sigstore tlog entry: the logged payload" \
    sverify "$M"

edit 'ts = b["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]; ts["signedTimestamp"] = flip(ts["signedTimestamp"], -9)'
check_fails "a modified RFC 3161 timestamp" 1 "sigstore RFC 3161 timestamp" sverify "$M"

edit 'del e["inclusionProof"]'
check_fails "no inclusion proof" 1 "sigstore inclusion proof" sverify "$M"
cp "$T/good.sig" "$SIG"
check_status "the restored bundle verifies" 0 sverify "$M"

# Another instance's trusted root does not vouch for public-good signatures.
check_fails "the staging root" 1 "is not in the trusted root" \
    ms verify --identity "$ID" --issuer "$ISS" --staging "$M"
check_fails "a staging --trusted-root" 1 "is not in the trusted root" \
    ms verify --identity "$ID" --issuer "$ISS" --trusted-root "$STAGE" "$M"

# A malformed or missing trusted root is an input error.
printf '{"mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs": [' \
    >"$T/truncated.json"
check_fails "a truncated trusted root" 2 "truncated.json" \
    ms verify --identity "$ID" --issuer "$ISS" --trusted-root "$T/truncated.json" "$M"
$PY - "$ROOT" "$T/nostart.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
del r["tlogs"][0]["publicKey"]["validFor"]["start"]
json.dump(r, open(sys.argv[2], "w"))
PY
check_fails "a trusted root without a validity start" 2 "tlogs[0].publicKey.validFor.start" \
    ms verify --identity "$ID" --issuer "$ISS" --trusted-root "$T/nostart.json" "$M"
check_fails "a missing trusted root" 2 "$T/absent.json" \
    ms verify --identity "$ID" --issuer "$ISS" --trusted-root "$T/absent.json" "$M"

# Usage: identity and issuer go together; one root.
check_fails "--issuer without --identity" 2 "needs --identity and --issuer" \
    ms verify --issuer "$ISS" "$M"
check_fails "--trusted-root without --issuer" 2 "needs --identity and --issuer" \
    ms verify --identity "$ID" --trusted-root "$ROOT" "$M"
check_fails "--staging and --trusted-root" 2 "exclude each other" \
    ms verify --identity "$ID" --issuer "$ISS" --staging --trusted-root "$ROOT" "$M"
check_fails "--identity alone" 2 "--identity" ms verify --identity "$ID" "$M"

# A key-signed model checked as Sigstore: nothing to check it with.
ms keygen --no-password --output "$T/k" >/dev/null
mkdir -p "$T/keyed"
printf 'weights' >"$T/keyed/w.bin"
ms sign --key "$T/k.key" "$T/keyed" >/dev/null
check_fails "a key bundle with only Sigstore trust" 1 "no trusted public key" \
    sverify "$T/keyed"

# ---- --key with --trusted-root / --staging: a key bundle's transparency log entry ----------
# tests/cli/add_log_entry.py logs the key-signed envelope in a test Rekor v1 log of its own
# (dsse 0.0.1 body, inclusion proof in a 7-leaf tree, signed checkpoint and entry timestamp)
# and writes a trusted root naming that log. With --key and the root, the entry is verified,
# its time reported, and any damage to it refused; the model is re-hashed as always.
ms keygen --no-password --output "$T/other" >/dev/null
KSIG=$T/keyed/model.sig
cp "$KSIG" "$T/keyed-plain.sig"
$PY "$SRCDIR/tests/cli/add_log_entry.py" "$KSIG" "$T/k.pub" "$ROOT" "$T/logged.sig" \
    "$T/testlog_root.json" 1767225600
cp "$T/logged.sig" "$KSIG"
kverify() { ms verify --key "$T/k.pub" --trusted-root "$T/testlog_root.json" "$@"; }
check_status "--key --trusted-root: the logged key bundle verifies" 0 kverify "$T/keyed"
if grep -q "^Signer: key [0-9a-f]\{64\}, signed 2026-01-01T00:00:00Z (verified against the trusted root)$" \
    "$OUT"; then pass; else fail "--key --trusted-root: signer line"; fi
check_status "--key --trusted-root --json" 0 kverify --json "$T/keyed"
if $PY - "$OUT" <<'PY'; then pass; else fail "--key --trusted-root: JSON report"; fi
import json, sys
r = json.load(open(sys.argv[1]))
s = r["signer"]
assert r["verified"] is True and r["files_hashed"] == 1, r
assert s["kind"] == "key" and s["signing_time"] == "2026-01-01T00:00:00Z", s
PY
# Without a trusted root the key signature alone is checked (the entry is not looked at).
check_status "--key alone still verifies it" 0 ms verify --key "$T/k.pub" "$T/keyed"
if grep -q "^Signer: key [0-9a-f]\{64\}$" "$OUT"; then pass; else fail "--key alone: signer line"; fi

# Damage to the entry, the envelope or the model is refused.
kedit() {
    $PY - "$T/logged.sig" "$KSIG" "$1" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
e = b["verificationMaterial"]["tlogEntries"][0]
exec(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"))
PY
}
kedit 'e["integratedTime"] = str(int(e["integratedTime"]) + 1)'
check_fails "key bundle: forged integratedTime" 1 "sigstore signed entry timestamp" kverify "$T/keyed"
kedit 'p = e["inclusionProof"]; p["hashes"][0], p["hashes"][1] = p["hashes"][1], p["hashes"][0]'
check_fails "key bundle: bad inclusion proof" 1 "sigstore inclusion proof" kverify "$T/keyed"
kedit 'p = e["inclusionProof"]["checkpoint"]; p["envelope"] = p["envelope"].replace("\n7\n", "\n8\n")'
check_fails "key bundle: checkpoint for another tree" 1 "sigstore checkpoint" kverify "$T/keyed"
kedit 'e["logIndex"] = "4"'
check_fails "key bundle: another log index" 1 "sigstore signed entry timestamp" kverify "$T/keyed"
# Integers above INT64_MAX are refused at the field that holds them (exit 2), never wrapped.
BIG="negative, not a whole number or above 9223372036854775807"
kedit 'e["logIndex"] = "9223372036854775808"'
check_fails "key bundle: logIndex 2^63" 2 "tlogEntries[0].logIndex: missing, $BIG" kverify "$T/keyed"
kedit 'e["logIndex"] = "9999999999999999999"'
check_fails "key bundle: logIndex 10^19-1" 2 "tlogEntries[0].logIndex: missing, $BIG" \
    kverify "$T/keyed"
kedit 'e["integratedTime"] = "9223372036854775808"'
check_fails "key bundle: integratedTime 2^63" 2 "tlogEntries[0].integratedTime: $BIG" \
    kverify "$T/keyed"
kedit 'e["inclusionProof"]["logIndex"] = "9223372036854775808"'
check_fails "key bundle: inclusion proof logIndex 2^63" 2 \
    "tlogEntries[0].inclusionProof.logIndex: missing, $BIG" kverify "$T/keyed"
kedit 'e["inclusionProof"]["treeSize"] = "18446744073709551615"'
check_fails "key bundle: treeSize 2^64-1" 2 "tlogEntries[0].inclusionProof.treeSize: missing, $BIG" \
    kverify "$T/keyed"
kedit 'e["inclusionProof"]["treeSize"] = "9223372036854775807"'
check_fails "key bundle: treeSize 2^63-1 is read, and is not the checkpoint's" 1 \
    "sigstore inclusion proof" kverify "$T/keyed"
cp "$T/logged.sig" "$KSIG"
check_fails "key bundle: another trusted key" 1 \
    "sigstore tlog entry: the logged public key is not this bundle's" \
    ms verify --key "$T/other.pub" --trusted-root "$T/testlog_root.json" "$T/keyed"
# The entry of an earlier signature attached to a new one (the model changed and re-signed).
printf 'new weights' >"$T/keyed/w.bin"
ms sign --key "$T/k.key" "$T/keyed" >/dev/null
$PY - "$KSIG" "$T/logged.sig" <<'PY'
import json, sys
new = json.load(open(sys.argv[1]))
old = json.load(open(sys.argv[2]))
new["verificationMaterial"]["tlogEntries"] = old["verificationMaterial"]["tlogEntries"]
json.dump(new, open(sys.argv[1], "w"))
PY
check_fails "key bundle: an earlier signature's entry" 1 \
    "sigstore tlog entry: the logged payload hash is not this envelope's" kverify "$T/keyed"
# The logged signature over files that changed since.
cp "$T/logged.sig" "$KSIG"
check_fails "key bundle: the model changed" 1 "changed: w.bin" kverify "$T/keyed"
printf 'weights' >"$T/keyed/w.bin"
check_status "key bundle: restored" 0 kverify "$T/keyed"

# Other roots do not know the test log; a key bundle without entries has nothing to offer them.
check_fails "--key --staging" 1 "is not in the trusted root" \
    ms verify --key "$T/k.pub" --staging "$T/keyed"
check_fails "--key --trusted-root (public-good)" 1 "is not in the trusted root" \
    ms verify --key "$T/k.pub" --trusted-root "$ROOT" "$T/keyed"
NOLOG="carries no transparency log entry to verify against the trusted root"
check_fails "--key --trusted-root, a bundle without entries" 1 "$NOLOG" \
    kverify --signature "$T/keyed-plain.sig" "$T/keyed"
check_status "--key --trusted-root --json, a bundle without entries" 1 \
    kverify --json --signature "$T/keyed-plain.sig" "$T/keyed"
if $PY - "$OUT" <<'PY'; then pass; else fail "--key --trusted-root: JSON refusal"; fi
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is False and r["exit_status"] == 1, r
assert "carries no transparency log entry" in r["error"]["message"], r
PY
# Log evidence is at least one transparency log entry: an empty timestampVerificationData, an
# empty list of timestamps, or a valid RFC 3161 timestamp alone (anyone can get one: it proves
# a time, not publication) is refused, never taken as nothing to check.
tsedit() {
    $PY - "$T/keyed-plain.sig" "$T/$1.sig" "$2" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
b["verificationMaterial"]["timestampVerificationData"] = json.loads(sys.argv[3])
json.dump(b, open(sys.argv[2], "w"))
PY
}
tsedit ts-empty '{}'
check_fails "--key --trusted-root, no entries and timestampVerificationData {}" 1 "$NOLOG" \
    kverify --signature "$T/ts-empty.sig" "$T/keyed"
tsedit ts-list '{"rfc3161Timestamps": []}'
check_fails "--key --trusted-root, no entries and an empty rfc3161Timestamps" 1 "$NOLOG" \
    kverify --signature "$T/ts-list.sig" "$T/keyed"
# tests/cli/add_timestamp.py timestamps the signature by a test TSA (openssl ts) and adds that
# TSA to the test log's root: with the log entry too, the bundle verifies (the timestamp is
# good); the same timestamp without the entry is refused.
$PY "$SRCDIR/tests/cli/add_timestamp.py" "$T/logged.sig" "$T/testlog_root.json" \
    "$T/logged-ts.sig" "$T/testlog_tsa_root.json"
$PY "$SRCDIR/tests/cli/add_timestamp.py" "$T/keyed-plain.sig" "$T/testlog_tsa_root.json" \
    "$T/ts-only.sig" "$T/ts-only-root.json"
tverify() { ms verify --key "$T/k.pub" --trusted-root "$1" --signature "$2" "$T/keyed"; }
check_status "--key --trusted-root: a log entry and an RFC 3161 timestamp" 0 \
    tverify "$T/testlog_tsa_root.json" "$T/logged-ts.sig"
check_fails "--key --trusted-root: an RFC 3161 timestamp alone" 1 "$NOLOG" \
    tverify "$T/ts-only-root.json" "$T/ts-only.sig"
check_status "--key alone: the timestamp-only bundle verifies by key" 0 \
    ms verify --key "$T/k.pub" --signature "$T/ts-only.sig" "$T/keyed"
check_fails "--key --trusted-root --identity" 2 "--identity goes with --certificate-chain or --issuer" \
    kverify --identity "$ID" "$T/keyed"
check_fails "--key --staging --trusted-root" 2 "exclude each other" kverify --staging "$T/keyed"

# ---- --certificate-chain with --issuer: the leaf's OIDC issuer is checked on this path too ---
# A private CA's bundles carry no log entries, so they are verified as plain certificates; the
# issuer given is still required of the leaf (Fulcio's 1.3.6.1.4.1.57264.1.8, else .1.1), and
# a leaf without one does not match.
P=$T/pki
mkdir -p "$P" "$T/certm"
$PY "$SRCDIR/tests/cli/make_certs.py" "$P"
printf 'weights' >"$T/certm/w.bin"
cverify() { ms verify --certificate-chain "$P/ca.pem" --identity ml@example.com "$@" "$T/certm"; }
ms sign --key "$P/leaf.key" --certificate "$P/issuer-leaf.pem" "$T/certm" >/dev/null
check_status "--certificate-chain --issuer: the leaf's issuer" 0 \
    cverify --issuer https://issuer.example
grep -q "^Signer: certificate for ml@example.com from https://issuer.example (key " "$OUT" &&
    pass || fail "--certificate-chain --issuer: signer line: $(cat "$OUT")"
check_fails "--certificate-chain --issuer: the leaf names another issuer" 1 \
    "the signing certificate's OIDC issuer is https://issuer.example, not https://accounts.example.com" \
    cverify --issuer https://accounts.example.com
check_status "--certificate-chain --issuer --json: another issuer" 1 \
    cverify --json --issuer https://accounts.example.com
if $PY - "$OUT" <<'PY'; then pass; else fail "--certificate-chain --issuer: JSON refusal"; fi
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verified"] is False and r["exit_status"] == 1, r
assert "OIDC issuer is https://issuer.example, not https://accounts.example.com" in r["error"]["message"], r
PY
ms sign --key "$P/leaf.key" --certificate "$P/issuer-v1-leaf.pem" "$T/certm" >/dev/null
check_status "--certificate-chain --issuer: the older extension" 0 \
    cverify --issuer https://issuer.example
check_fails "--certificate-chain --issuer: the older extension, another issuer" 1 \
    "OIDC issuer is https://issuer.example, not https://accounts.example.com" \
    cverify --issuer https://accounts.example.com
ms sign --key "$P/leaf.key" --certificate "$P/leaf.pem" "$T/certm" >/dev/null
check_fails "--certificate-chain --issuer: a leaf without an issuer" 1 \
    "the signing certificate's OIDC issuer is absent, not https://issuer.example" \
    cverify --issuer https://issuer.example
check_status "--certificate-chain without --issuer: no issuer needed" 0 cverify
grep -q "^Signer: certificate for ml@example.com (key " "$OUT" && pass ||
    fail "--certificate-chain: signer line: $(cat "$OUT")"

finish
