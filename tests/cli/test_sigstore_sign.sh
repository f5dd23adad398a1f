#!/bin/sh
# Keyless signing end to end (issue 9) against a private Sigstore instance on 127.0.0.1
# (tests/interop/mock_sigstore.mjs: Fulcio, Rekor v1 or v2, a CT log, a timestamp authority and
# an OIDC issuer): `sign`, `dataset sign` and `attest provenance` with --sigstore, each bundle
# verified by modelseal verify with the mock's trusted root (and refused under another identity,
# issuer or root) and independently by @sigstore/verify (tests/interop/sigstore_verify_keyless.mjs);
# the identity token from --identity-token, SIGSTORE_ID_TOKEN, GitHub Actions ambient credentials
# and the interactive PKCE flow (BROWSER = a curl script); then every network fault the mock
# injects: a clear error naming the service, the right exit code, and no signature written.
#
# No internet: everything is on 127.0.0.1. Skipped (77) only without node. The sigstore-js
# cross-checks need the pinned npm packages (installed as tests/interop/test_sigstore_js.sh
# does); when npm cannot reach its registry they are left out, saying so, and the rest runs.
. "$(dirname "$0")/lib.sh"
set -e

NAME=$(basename "$0")
IDIR=$SRCDIR/tests/interop
MOCK=$IDIR/mock_sigstore.mjs
SVK=$IDIR/sigstore_verify_keyless.mjs

if ! command -v node >/dev/null 2>&1; then
    echo "$NAME: SKIP: no node command (the mock Sigstore instance is a Node.js script)" >&2
    exit 77
fi

MOCK_PIDS=""
cleanup() {
    for p in $MOCK_PIDS; do kill "$p" 2>/dev/null || :; done
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# The pinned sigstore-js packages, as test_sigstore_js.sh installs them (same cache).
. "$IDIR/sigstore_js_env.sh"
JS=0
if [ "$SANITIZED" = 1 ]; then
    # @sigstore/verify's view of the same bytes is checked in the normal run.
    echo "note: the sanitizer run leaves out the @sigstore/verify cross-checks (the normal run has them)"
else
    sigstore_js_setup "$T" || JS=$?
    case $JS in
    0) JS=1 ;;
    1)
        JS=0
        echo "note: $SIGSTORE_JS_UNAVAILABLE: the @sigstore/verify cross-checks are left out"
        ;;
    *) exit 1 ;;
    esac
fi

# Bounded waits everywhere: a request may take 10 s, the slow fault below lowers it.
MODELSEAL_HTTP_TIMEOUT_MS=10000
MODELSEAL_OIDC_TIMEOUT_MS=20000
export MODELSEAL_HTTP_TIMEOUT_MS MODELSEAL_OIDC_TIMEOUT_MS
# Ambient credentials of the machine running the tests must not leak in.
unset SIGSTORE_ID_TOKEN ACTIONS_ID_TOKEN_REQUEST_URL ACTIONS_ID_TOKEN_REQUEST_TOKEN BROWSER \
    2>/dev/null || :

# start_mock DIR ARGS...: run the mock with its files in DIR; sets D, ISS, TOKEN, MOCK_PID.
start_mock() {
    D=$1
    shift
    mkdir -p "$D"
    node "$MOCK" --dir "$D" "$@" >"$D.log" 2>&1 &
    MOCK_PID=$!
    MOCK_PIDS="$MOCK_PIDS $MOCK_PID"
    mock_wait_ready "$D/ready" "$MOCK_PID" "$D.log"
    ISS=$(cat "$D/issuer")
    TOKEN=$(cat "$D/token")
}
stop_mock() {
    kill "$MOCK_PID" 2>/dev/null || :
    wait "$MOCK_PID" 2>/dev/null || :
}

# sverify ARGS...: modelseal verify with the mock's trust material.
sverify() { ms verify --issuer "$ISS" --trusted-root "$D/trusted_root.json" "$@"; }

# js_verify DESCRIPTION BUNDLE IDENTITY: @sigstore/verify accepts the bundle (in MODE v2, a
# hashedrekord 0.0.2 entry for a DSSE envelope: it refuses it, the known incompatibility).
js_verify() {
    [ $JS -eq 1 ] || return 0
    if [ "${MODE:-}" = v2 ]; then
        js_refuses "$1 (hashedrekord 0.0.2 for DSSE: known @sigstore/verify refusal)" "$2" "$3" \
            "TLOG_BODY_ERROR"
        return 0
    fi
    run node "$SVK" "$2" "$D/trusted_root.json" "$3" "$ISS"
    if [ "$STATUS" -eq 0 ] && grep -qF "certificate for $3 from $ISS" "$OUT"; then pass; else
        fail "$1: @sigstore/verify: exit $STATUS: $(cat "$OUT" "$ERR")"
    fi
}
# js_refuses DESCRIPTION BUNDLE IDENTITY TEXT: @sigstore/verify refuses it (exit 1), saying TEXT.
js_refuses() {
    [ $JS -eq 1 ] || return 0
    check_fails "$1: @sigstore/verify" 1 "$4" node "$SVK" "$2" "$D/trusted_root.json" "$3" "$ISS"
}

# bundle_shape BUNDLE REKOR: "kind version|promise|timestamps|certificate" of a keyless bundle.
bundle_shape() {
    $PY - "$1" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
vm = b["verificationMaterial"]
assert b["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json", b["mediaType"]
assert set(vm) <= {"certificate", "tlogEntries", "timestampVerificationData"}, vm.keys()
(e,) = vm["tlogEntries"]
ts = vm.get("timestampVerificationData", {}).get("rfc3161Timestamps", [])
print("%s %s|%s|%d|%s" % (e["kindVersion"]["kind"], e["kindVersion"]["version"],
      "promise" if "inclusionPromise" in e else "no promise", len(ts),
      "certificate" if "rawBytes" in vm.get("certificate", {}) else "no certificate"))
PY
}

# no_token_in FILE...: the identity token appears in none of them.
no_token_in() {
    for f in "$@"; do
        if grep -qF "$TOKEN" "$f"; then fail "the identity token is in $f"; else pass; fi
    done
}

# Three shapes: Rekor v1 (a dsse 0.0.1 entry); Rekor v2 as the issue specifies, a hashedrekord
# 0.0.2 entry over SHA-256(PAE) (the default), which @sigstore/verify 3.1.1 refuses for DSSE
# bundles (it compares the digest with SHA-256 of the payload: asserted below as a known
# incompatibility); and Rekor v2 with --rekor-v2-entry dsse (a dsse 0.0.2 entry, as Sigstore's
# own clients log envelopes), which both verifiers accept.
for MODE in v1 v2 v2dsse; do
    case $MODE in
    v2dsse) REKOR=v2 XO="--rekor-v2-entry dsse" ;;
    *) REKOR=$MODE XO= ;;
    esac
    start_mock "$T/mock-$MODE" --rekor $REKOR
    SC=$D/signing_config.json
    W=$T/$MODE
    M=$W/model
    mkdir -p "$W"
    make_sample_model "$M"
    head -c 20000 /dev/urandom >"$M/weights.bin"

    # ---- a model ----
    check_status "$MODE: sign --sigstore" 0 \
        ms sign --sigstore $XO --signing-config "$SC" --identity-token "$TOKEN" "$M"
    no_token_in "$OUT" "$ERR" "$D/requests.log" "$M/model.sig"
    shape=$(bundle_shape "$M/model.sig")
    case $MODE/$shape in
    v1/"dsse 0.0.1|promise|1|certificate") pass ;;
    v2/"hashedrekord 0.0.2|no promise|1|certificate") pass ;;
    v2dsse/"dsse 0.0.2|no promise|1|certificate") pass ;;
    *) fail "$MODE: bundle shape '$shape'" ;;
    esac
    for req in "POST /api/v2/signingCert 201" "POST /api/$REKOR/log/entries 201" \
        "POST /api/v1/timestamp 200"; do
        grep -qx "$req" "$D/requests.log" && pass ||
            fail "$MODE: no '$req' in $(cat "$D/requests.log")"
    done
    check_status "$MODE: verify" 0 sverify --identity signer@mock.test "$M"
    grep -q "^Signer: Sigstore certificate for signer@mock.test from $ISS, signed " "$OUT" &&
        pass ||
        fail "$MODE: signer line: $(cat "$OUT")"
    check_fails "$MODE: another identity" 1 \
        "sigstore certificate identity: the certificate is for signer@mock.test" \
        sverify --identity other@mock.test "$M"
    check_fails "$MODE: another issuer" 1 "issuer" \
        ms verify --identity signer@mock.test --issuer https://accounts.example.com \
        --trusted-root "$D/trusted_root.json" "$M"
    # The public-good root (the default) does not know this instance's CA or logs.
    check_status "$MODE: the public-good trusted root" 1 \
        ms verify --identity signer@mock.test --issuer "$ISS" "$M"
    printf 'x' >>"$M/f0"
    check_fails "$MODE: a changed model file" 1 "f0" sverify --identity signer@mock.test "$M"
    printf 'This is file f0 in root.' >"$M/f0"
    check_status "$MODE: restored" 0 sverify --identity signer@mock.test "$M"

    # The same bundle verified by @sigstore/verify.
    js_verify "$MODE: model" "$M/model.sig" signer@mock.test
    [ $MODE = v2 ] || js_refuses "$MODE: model, another identity" "$M/model.sig" other@mock.test \
        "UNTRUSTED_SIGNER_ERROR: certificate identity error"

    # ---- a dataset, a provenance claim, and the whole chain under a policy ----
    mkdir -p "$W/data/train"
    printf 'a' >"$W/data/train/1.txt"
    printf 'b' >"$W/data/train/2.txt"
    ms dataset manifest --name set --output "$W/set.dsm.jsonl.zst" "$W/data" >/dev/null
    check_status "$MODE: dataset sign --sigstore" 0 \
        ms dataset sign --sigstore $XO --signing-config "$SC" --identity-token "$TOKEN" \
        "$W/set.dsm.jsonl.zst"
    [ -s "$W/set.dsm.jsonl.zst.sig" ] && pass || fail "$MODE: no dataset signature"
    js_verify "$MODE: dataset" "$W/set.dsm.jsonl.zst.sig" signer@mock.test
    # The model's bundle with the dataset signature's tlog entry (a valid entry of the same log,
    # for another envelope): refused by both verifiers.
    $PY - "$M/model.sig" "$W/set.dsm.jsonl.zst.sig" "$W/swapped.sig" <<'PY'
import json, sys
b = json.load(open(sys.argv[1]))
other = json.load(open(sys.argv[2]))
b["verificationMaterial"]["tlogEntries"] = other["verificationMaterial"]["tlogEntries"]
json.dump(b, open(sys.argv[3], "w"))
PY
    check_fails "$MODE: another envelope's tlog entry" 1 \
        "sigstore tlog entry: the logged $([ $MODE = v2 ] && echo "digest is not this envelope's PAE's" ||
            echo "payload hash is not this envelope's")" \
        sverify --identity signer@mock.test --signature "$W/swapped.sig" "$M"
    js_refuses "$MODE: another envelope's tlog entry" "$W/swapped.sig" signer@mock.test \
        "TLOG_BODY_ERROR"
    check_status "$MODE: attest provenance --sigstore" 0 \
        ms attest provenance --sigstore $XO --signing-config "$SC" --identity-token "$TOKEN" \
        --builder-id https://ci.example.com/r --no-git --dataset "$W/set.dsm.jsonl.zst" "$M"
    n=0
    while IFS= read -r line; do
        n=$((n + 1))
        printf '%s' "$line" >"$W/claim$n.sig"
        js_verify "$MODE: claims line $n" "$W/claim$n.sig" signer@mock.test
    done <"$M/claims.jsonl"
    check_eq "$MODE: claims lines" "$n" 2
    grep -q '"verificationMaterial":{"certificate"' "$M/claims.jsonl" && pass ||
        fail "$MODE: the provenance claim is not keyless"
    cat >"$W/policy.json" <<EOF
{"version": 1,
 "keys": {"mock": {"sigstore": {"identity": "signer@mock.test", "issuer": "$ISS",
                                "trusted_root": "$D/trusted_root.json"}}},
 "model": {"signers": ["mock"]},
 "provenance": {"required": true, "signers": ["mock"], "builder_ids": ["https://ci.example.com/r"]},
 "datasets": {"signers": ["mock"], "required": ["set"]}}
EOF
    check_status "$MODE: verify --policy, every signer keyless" 0 \
        ms verify --policy "$W/policy.json" "$M"
    for link in model provenance "dataset set"; do
        grep -q "^✓ $link" "$OUT" && pass || fail "$MODE: policy: no ✓ $link in $(cat "$OUT")"
    done
    sed 's/"identity": "signer@mock.test"/"identity": "other@mock.test"/' "$W/policy.json" \
        >"$W/other.json"
    check_status "$MODE: verify --policy, another identity" 1 \
        ms verify --policy "$W/other.json" "$M"

    if [ $REKOR = v1 ]; then
        # ---- where the identity token comes from ----
        S=$W/token-src
        make_file_model "$S"
        # SIGSTORE_ID_TOKEN.
        run env SIGSTORE_ID_TOKEN="$TOKEN" "$MODELSEAL" sign --sigstore --signing-config "$SC" "$S"
        check_eq "SIGSTORE_ID_TOKEN: exit" "$STATUS" 0
        check_status "SIGSTORE_ID_TOKEN: verify" 0 sverify --identity signer@mock.test "$S"
        # GitHub Actions ambient credentials (the mock's token for actions@mock.test).
        AURL=$(cat "$D/actions_url")
        ABEARER=$(cat "$D/actions_token")
        rm -f "$S.sig"
        run env ACTIONS_ID_TOKEN_REQUEST_URL="$AURL" ACTIONS_ID_TOKEN_REQUEST_TOKEN="$ABEARER" \
            "$MODELSEAL" sign --sigstore --signing-config "$SC" "$S"
        check_eq "GitHub Actions: exit" "$STATUS" 0
        grep -qx "GET /actions/token 200" "$D/requests.log" && pass ||
            fail "GitHub Actions: no token request"
        check_status "GitHub Actions: verify as actions@mock.test" 0 \
            sverify --identity actions@mock.test "$S"
        js_verify "GitHub Actions" "$S.sig" actions@mock.test
        cp "$S.sig" "$W/before.sig"
        run env ACTIONS_ID_TOKEN_REQUEST_URL="$AURL" ACTIONS_ID_TOKEN_REQUEST_TOKEN=wrong \
            "$MODELSEAL" sign --sigstore --signing-config "$SC" "$S"
        check_eq "GitHub Actions, wrong bearer: exit" "$STATUS" 3
        grep -q "GitHub Actions OIDC" "$ERR" && pass ||
            fail "GitHub Actions, wrong bearer: $(cat "$ERR")"
        check_file_eq "GitHub Actions, wrong bearer: signature unchanged" "$S.sig" "$W/before.sig"
        # Precedence: --identity-token over SIGSTORE_ID_TOKEN over GitHub Actions.
        ATOKEN=$(curl -sf -H "Authorization: Bearer $ABEARER" "$AURL&audience=sigstore" |
            $PY -c 'import json,sys; print(json.load(sys.stdin)["value"])')
        run env SIGSTORE_ID_TOKEN="$ATOKEN" "$MODELSEAL" sign --sigstore --signing-config "$SC" \
            --identity-token "$TOKEN" "$S"
        check_status "--identity-token wins over SIGSTORE_ID_TOKEN" 0 \
            sverify --identity signer@mock.test "$S"
        run env SIGSTORE_ID_TOKEN="$TOKEN" ACTIONS_ID_TOKEN_REQUEST_URL="$AURL" \
            ACTIONS_ID_TOKEN_REQUEST_TOKEN="$ABEARER" \
            "$MODELSEAL" sign --sigstore --signing-config "$SC" "$S"
        check_status "SIGSTORE_ID_TOKEN wins over GitHub Actions" 0 \
            sverify --identity signer@mock.test "$S"
        # The interactive flow: BROWSER follows the authorization URL's redirect to modelseal's
        # listener on 127.0.0.1, as a browser does after the login (browser@mock.test).
        cat >"$W/browser" <<'EOF'
#!/bin/sh
exec curl -sfL -o /dev/null --max-time 20 "$1"
EOF
        chmod +x "$W/browser"
        rm -f "$S.sig"
        run env BROWSER="$W/browser" "$MODELSEAL" sign --sigstore --signing-config "$SC" "$S"
        check_eq "interactive PKCE: exit" "$STATUS" 0
        grep -q "$ISS/authorize?" "$ERR" && pass ||
            fail "interactive PKCE: the URL is not shown: $(cat "$ERR")"
        grep -qx "POST /token 200" "$D/requests.log" && pass ||
            fail "interactive PKCE: no token exchange"
        check_status "interactive PKCE: verify as browser@mock.test" 0 \
            sverify --identity browser@mock.test "$S"
        # No token at all and nothing interactive: a usage error, nothing written.
        cp "$S.sig" "$W/before.sig"
        check_fails "no identity token" 2 "identity token" \
            ms sign --sigstore --signing-config "$SC" "$S"
        check_file_eq "no identity token: signature unchanged" "$S.sig" "$W/before.sig"
        # Both found before hashing: the model below would fail hashing (a FIFO), yet the
        # message is about the token or the signing config.
        mkdir -p "$W/fifo-model"
        mkfifo "$W/fifo-model/pipe"
        check_fails "no identity token, before hashing" 2 "no identity token" \
            ms sign --sigstore --signing-config "$SC" "$W/fifo-model"
        printf '{"mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json"' \
            >"$W/broken.json"
        check_fails "a broken signing config, before hashing" 2 "broken.json" \
            ms sign --sigstore --signing-config "$W/broken.json" --identity-token "$TOKEN" \
            "$W/fifo-model"
        # A token the mock's Fulcio refuses (its signature altered): exit 3 naming Fulcio.
        BAD=$($PY -c '
import sys
h, p, s = sys.argv[1].split(".")
s = s[:5] + ("B" if s[5] != "B" else "C") + s[6:]
print(".".join([h, p, s]))' "$TOKEN")
        check_fails "a forged token" 3 "Fulcio" \
            ms sign --sigstore --signing-config "$SC" --identity-token "$BAD" "$S"
        check_file_eq "a forged token: signature unchanged" "$S.sig" "$W/before.sig"
        # --sigstore with --key: a usage error.
        ms keygen --no-password --output "$W/k" >/dev/null
        check_status "--sigstore with --key" 2 \
            ms sign --sigstore --signing-config "$SC" --key "$W/k.key" "$S"
        check_fails "--rekor-v2-entry of another kind" 2 "neither hashedrekord nor dsse" \
            ms sign --sigstore --rekor-v2-entry intoto --signing-config "$SC" "$S"
        check_fails "--rekor-v2-entry without --sigstore" 2 "need --sigstore" \
            ms sign --rekor-v2-entry dsse --key "$W/k.key" "$S"
    fi
    stop_mock
done

# ---- network faults: a clear error naming the service, nothing written ----------------------
F=$T/faults
mkdir -p "$F"
make_file_model "$F/m.bin"
ms keygen --no-password --output "$F/k" >/dev/null
ms sign --key "$F/k.key" "$F/m.bin" >/dev/null
cp "$F/m.bin.sig" "$F/old.sig"

# Retries wait 20 ms, then 40, ... (MODELSEAL_HTTP_BACKOFF_MS), not 250 ms and up: the faults
# below retry dozens of times.
MODELSEAL_HTTP_BACKOFF_MS=20
export MODELSEAL_HTTP_BACKOFF_MS
# fault DESCRIPTION FAULT STATUS SERVICE CAUSE: sign against the running mock with FAULT in
# force (written to its DIR/fault: one mock serves the whole series); exit STATUS, one error line
# naming SERVICE and saying CAUSE, the old signature byte-identical; and a model never signed
# gets no signature file (nor any temporary file).
fault() {
    echo "$2" >"$D/fault"
    : >"$D/requests.log"
    check_fails "$1" "$3" "modelseal sign: $4" \
        ms sign --sigstore --signing-config "$D/signing_config.json" --identity-token "$TOKEN" \
        "$F/m.bin"
    grep -qF -- "$5" "$ERR" && pass || fail "$1: stderr lacks '$5': $(cat "$ERR")"
    check_file_eq "$1: the old signature is unchanged" "$F/m.bin.sig" "$F/old.sig"
    no_token_in "$ERR" "$D/requests.log"
    mkdir "$F/new"
    make_file_model "$F/new/n.bin"
    check_status "$1: unsigned model" "$3" ms sign --sigstore \
        --signing-config "$D/signing_config.json" --identity-token "$TOKEN" "$F/new/n.bin"
    check_eq "$1: unsigned model: nothing written" "$(ls -A "$F/new")" n.bin
    rm -rf "$F/new"
}
# retried REKOR: 500 then success on each service: retried, signed, and the log shows the
# retries.
retried() {
    echo 500-then-ok >"$D/fault"
    : >"$D/requests.log"
    rm -f "$F/m.bin.sig"
    check_status "$1: 500 then ok: retried" 0 \
        ms sign --sigstore --signing-config "$D/signing_config.json" \
        --identity-token "$TOKEN" "$F/m.bin"
    for p in "/api/v2/signingCert 500" "/api/v2/signingCert 201" "/api/$1/log/entries 500" \
        "/api/$1/log/entries 201" "/api/v1/timestamp 500" "/api/v1/timestamp 200"; do
        grep -qx "POST $p" "$D/requests.log" && pass || fail "$1: 500 then ok: no 'POST $p'"
    done
    check_status "$1: 500 then ok: verify" 0 sverify --identity signer@mock.test "$F/m.bin"
    cp "$F/old.sig" "$F/m.bin.sig"
}
start_mock "$F/mock-v1" --rekor v1
for s in fulcio:Fulcio rekor:Rekor "tsa:timestamp authority"; do
    svc=${s%%:*}
    label=${s#*:}
    MODELSEAL_HTTP_TIMEOUT_MS=1000 MODELSEAL_HTTP_RETRIES=1 fault "slow $svc" "slow:$svc" 3 \
        "$label" "timed out"
    fault "truncated $svc" "truncated:$svc" 3 "$label" "truncated"
    # A complete answer that is malformed: the service misbehaves, not the network (exit 2).
    fault "malformed answer $svc" "garbage:$svc" 2 "$label" "$label"
    # One retry allowed: two requests per signing, two signings.
    MODELSEAL_HTTP_RETRIES=1 fault "500 forever $svc" "500:$svc" 3 "$label" "HTTP status 500"
    check_eq "500 forever $svc: bounded retries" "$(grep -c ' 500$' "$D/requests.log")" 4
done
fault "Fulcio certifies another key" wrong-cert-key 1 Fulcio "another public key"
fault "Rekor v1 logs another signature" wrong-log-entry 1 Rekor "another signature"
retried v1
# A fault file the mock cannot read is no fault (and the mock says so in its log).
echo nonsense >"$D/fault"
: >"$D/requests.log"
check_status "mock: a malformed fault file means no fault" 0 ms sign --sigstore \
    --signing-config "$D/signing_config.json" --identity-token "$TOKEN" --signature "$F/x.sig" \
    "$F/m.bin"
grep -qx "bad fault file: nonsense" "$D/requests.log" && pass || fail "mock: no bad fault line"
stop_mock
start_mock "$F/mock-v2" --rekor v2
for s in fulcio:Fulcio rekor:Rekor "tsa:timestamp authority"; do
    fault "oversized ${s%%:*}" "oversized:${s%%:*}" 3 "${s#*:}" "larger than"
done
fault "Rekor v2 logs another signature" wrong-log-entry 1 Rekor "another signature"
retried v2
stop_mock

# The mock itself refuses what it must (so the faults above are the client's findings).
start_mock "$F/mock-self" --rekor v1
check_eq "mock: Fulcio without a token" \
    "$(curl -s -o /dev/null -w '%{http_code}' -X POST -d '{}' "$ISS/api/v2/signingCert")" 401
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$F/p.key" 2>/dev/null
$PY - "$TOKEN" "$F/p.key" >"$F/pop.json" <<'PY'
import json, sys
from cryptography.hazmat.primitives import serialization
key = serialization.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
pub = key.public_key().public_bytes(serialization.Encoding.PEM,
                                    serialization.PublicFormat.SubjectPublicKeyInfo).decode()
print(json.dumps({"credentials": {"oidcIdentityToken": sys.argv[1]},
                  "publicKeyRequest": {"publicKey": {"algorithm": "ECDSA", "content": pub},
                                       "proofOfPossession": "MEUCIQD="}}))
PY
check_eq "mock: Fulcio with a bad proof of possession" "$(curl -s -o /dev/null -w '%{http_code}' \
    -X POST --data-binary "@$F/pop.json" "$ISS/api/v2/signingCert")" 400
check_eq "mock: PKCE with a wrong verifier" "$(
    q="response_type=code&client_id=sigstore&redirect_uri=http://127.0.0.1:9/cb&state=s"
    q="$q&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    loc=$(curl -s -o /dev/null -w '%{redirect_url}' "$ISS/authorize?$q")
    code=${loc#*code=}
    code=${code%%&*}
    q="grant_type=authorization_code&code=$code&redirect_uri=http://127.0.0.1:9/cb"
    curl -s -o /dev/null -w '%{http_code}' --data "$q&code_verifier=wrong" "$ISS/token"
)" 400
stop_mock
check_fails "mock: an unknown fault" 2 "unknown fault" node "$MOCK" --dir "$T/x" --fault nope
if [ $JS -eq 1 ]; then
    check_fails "sigstore_verify_keyless.mjs: no issuer" 2 "usage: " node "$SVK" "$F/old.sig" \
        "$D/trusted_root.json" signer@mock.test
    check_fails "sigstore_verify_keyless.mjs: a key-signed bundle" 1 "not a certificate" \
        node "$SVK" "$F/old.sig" "$D/trusted_root.json" signer@mock.test "$ISS"
fi

finish
