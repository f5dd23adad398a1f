#!/bin/sh
# modelseal inspect: every released model_signing signature and every valid spec vector is shown
# with the signer and subject that an independent decoding (Python) finds; the output says it
# verified nothing; malformed bundles are exit 2 naming the file.
. "$(dirname "$0")/lib.sh"
set -e

R=$MS_VECTORS/oms/model-transparency-releases
S=$MS_VECTORS/oms/spec-v1.0/test-vectors/v1.0

# What a bundle says, decoded independently: "kind root hint" (hint "-" for certificates).
cat >"$T/expect.py" <<'EOF'
import base64, hashlib, json, sys
from cryptography.hazmat.primitives import serialization

b = json.load(open(sys.argv[1]))
vm = b["verificationMaterial"]
if "publicKey" in vm:
    kind = "public-key"
    pk = vm["publicKey"]
    if "hint" in pk:
        hint = pk["hint"]
    else:
        raw = base64.b64decode(pk["rawBytes"])
        key = serialization.load_pem_public_key(raw) if b"-----BEGIN" in raw else serialization.load_der_public_key(raw)
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        hint = hashlib.sha256(pem).hexdigest()
elif "x509CertificateChain" in vm:
    kind, hint = "certificate-chain", "-"
else:
    kind, hint = "certificate", "-"
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
if st["predicateType"] == "https://model_signing/Digests/v0.1":
    # Legacy: one subject per file; the root is over the files in name order.
    subjects = sorted(st["subject"], key=lambda s: s["name"].encode())
    root = hashlib.sha256(b"".join(bytes.fromhex(s["digest"]["sha256"]) for s in subjects)).hexdigest()
else:
    root = st["subject"][0]["digest"]["sha256"]
print(kind, "sha256:" + root, hint)
EOF

# What modelseal inspect --json says, in the same form, plus the "verified" flag.
cat >"$T/got.py" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
s = o["signer"]
assert s["kind"] in ("key", "certificate", "sigstore") and (s["kind"] == "key") == (s["material"] == "public-key"), s
assert o["model"]["path"] is None, o["model"]
print(s["material"], o["model"]["digest"], s.get("hint") or "-", o["verified"])
EOF

for sig in "$R"/*/model.sig "$S"/valid/*.bundle.json; do
    name=${sig#"$MS_VECTORS"/oms/}
    check_status "inspect $name" 0 ms inspect "$sig"
    if ! grep -q '^status: *not verified: use modelseal verify$' "$OUT"; then
        fail "$name: output does not say it is not verified"
    else
        pass
    fi
    want=$($PY "$T/expect.py" "$sig")
    root=$(echo "$want" | cut -d' ' -f2)
    check_eq "$name: text root digest" "$(sed -n 's/^root digest: *//p' "$OUT")" "$root"
    check_status "inspect --json $name" 0 ms inspect --json "$sig"
    check_eq "$name: --json kind, root digest, hint" "$($PY "$T/got.py" "$OUT")" "$want False"
done

# Signer identities, from the vectors' README: Sigstore keyless signatures by one identity.
for sig in "$R"/v1.*-sigstore/model.sig "$S"/valid/sigstore.bundle.json; do
    run ms inspect --json "$sig"
    check_eq "$sig: identity" "$($PY -c 'import json,sys; s=json.load(open(sys.argv[1]))["signer"]; print(s["kind"], s["identity"], s["issuer"])' "$OUT")" \
        "sigstore stefanb@us.ibm.com https://sigstore.verify.ibm.com/oauth2"
done
run ms inspect "$R/v1.1.0-sigstore/model.sig"
check_eq "sigstore: tlog entries shown" "$(sed -n 's/^tlog entries: *//p' "$OUT")" "1 (present, not checked)"
check_eq "sigstore: timestamps shown" "$(sed -n 's/^timestamps: *//p' "$OUT")" "present, not checked"
run ms inspect "$R/v1.0.1-elliptic-key/model.sig"
check_eq "legacy raw key: key details" "$(sed -n 's/^key details: *//p' "$OUT")" "PKIX_ECDSA_P384_SHA_384"
check_eq "no tlog entries" "$(sed -n 's/^tlog entries: *//p' "$OUT")" "none"

# The predicate's serialization, JSON against the payload.
run ms inspect --json "$R/v1.1.0-elliptic-key/model.sig"
check_eq "serialization and resource count" \
    "$($PY -c 'import json,sys; o=json.load(open(sys.argv[1])); print(json.dumps(o["serialization"], sort_keys=True), o["resources"], o["predicate_type"], o["model"]["name"])' "$OUT")" \
    "$($PY -c '
import base64, json, sys
b = json.load(open(sys.argv[1]))
st = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
p = st["predicate"]
print(json.dumps(p["serialization"], sort_keys=True), len(p["resources"]), st["predicateType"], st["subject"][0]["name"])' "$R/v1.1.0-elliptic-key/model.sig")"
run ms inspect "$R/v1.1.0-elliptic-key/model.sig"
check_eq "text ignore paths" "$(sed -n '/^ignore paths:/,/^resources:/p' "$OUT" | sed '$d' | cut -c18-)" \
    "$($PY -c '
import base64, json, sys
b = json.load(open(sys.argv[1]))
print("\n".join(json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))["predicate"]["serialization"]["ignore_paths"]))' "$R/v1.1.0-elliptic-key/model.sig")"
check_eq "text method" "$(sed -n 's/^method: *//p' "$OUT")" "files"
check_eq "text resources" "$(sed -n 's/^resources: *//p' "$OUT")" "2"

# Legacy v0.1 predicate: no model name, one subject per file.
run ms inspect --json "$R/v0.2.0-certificate/model.sig"
check_eq "legacy predicate" "$($PY -c 'import json,sys; o=json.load(open(sys.argv[1])); print(o["legacy"], o["model"]["name"], o["resources"])' "$OUT")" "True None 2"

# A well-formed statement with another predicate: shown, with the reason verify refuses it.
check_status "wrong predicate is shown" 0 ms inspect --json "$S/invalid-payload/wrong-predicate.bundle.json"
check_eq "wrong predicate: problem" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["payload_problem"])' "$OUT")" \
    'statement: unsupported predicateType "https://example.com/wrong-predicate/v1.0"'

# Malformed bundles: exit 2, one line naming the file and the field.
check_fails "empty bundle" 2 "$S/invalid/empty.bundle.json: bundle" ms inspect "$S/invalid/empty.bundle.json"
check_fails "no envelope" 2 "$S/invalid/missing-envelope.bundle.json: bundle: neither dsseEnvelope" \
    ms inspect "$S/invalid/missing-envelope.bundle.json"
check_fails "no tlog entries for a Sigstore certificate" 2 \
    "$S/invalid/missing-tlog-entries.bundle.json: bundle verificationMaterial.tlogEntries" \
    ms inspect "$S/invalid/missing-tlog-entries.bundle.json"
check_fails "no verification material" 2 \
    "$S/invalid/missing-verification-material.bundle.json: bundle verificationMaterial: missing" \
    ms inspect --json "$S/invalid/missing-verification-material.bundle.json"
head -c 300 "$R/v1.1.0-sigstore/model.sig" >"$T/truncated.sig"
check_fails "truncated bundle" 2 "$T/truncated.sig: " ms inspect "$T/truncated.sig"
printf 'garbage\n' >"$T/garbage.sig"
check_fails "garbage" 2 "$T/garbage.sig: " ms inspect "$T/garbage.sig"
: >"$T/empty.sig"
check_fails "empty file" 2 "$T/empty.sig: " ms inspect "$T/empty.sig"
head -c 4096 /dev/urandom >"$T/random.sig"
check_fails "random bytes" 2 "$T/random.sig: " ms inspect "$T/random.sig"
$PY - "$R/v1.1.0-elliptic-key/model.sig" "$T/badpayload.sig" <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
b["dsseEnvelope"]["payload"] = base64.b64encode(b"not json").decode()
json.dump(b, open(sys.argv[2], "w"))
EOF
check_fails "payload is not a statement" 2 "$T/badpayload.sig: statement" ms inspect "$T/badpayload.sig"
$PY - "$R/v1.1.0-certificate/model.sig" "$T/badcert.sig" <<'EOF'
import base64, json, sys
b = json.load(open(sys.argv[1]))
b["verificationMaterial"]["x509CertificateChain"]["certificates"][0]["rawBytes"] = base64.b64encode(b"\x30\x03abc").decode()
json.dump(b, open(sys.argv[2], "w"))
EOF
check_fails "malformed certificate" 2 "$T/badcert.sig: " ms inspect "$T/badcert.sig"
check_fails "missing file" 2 "$T/nope.sig" ms inspect "$T/nope.sig"
check_fails "directory" 2 "$T" ms inspect "$T"

# Usage.
check_fails "no SIG" 2 "missing SIG" ms inspect
check_fails "two SIGs" 2 "expected exactly one SIG" ms inspect "$T/a" "$T/b"
check_fails "unknown option" 2 "--help" ms inspect --verify "$R/v1.1.0-sigstore/model.sig"
check_status "--help" 0 ms inspect --help
if grep -q '^Usage: modelseal inspect' "$OUT"; then pass; else fail "--help text"; fi

finish
