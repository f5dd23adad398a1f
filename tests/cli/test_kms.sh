#!/bin/sh
# Keys in key services (modelseal-keys(5)): `--key hashivault://NAME` (Vault's transit engine)
# and `--key awskms://...` (AWS KMS), against tests/interop/mock_kms.mjs on 127.0.0.1, one mock
# process for every case. The mock checks what it receives (Vault: the token and namespace
# headers; AWS: every request's Signature Version 4, recomputed by @aws-sdk/signature-v4) and
# signs with real keys; every signature made through it verifies with the public key the mock
# reports, by modelseal verify, by `openssl dgst` / `openssl pkeyutl` and by securesystemslib
# (dsse_verify.py). Then the faults: 500s then success, throttling then success (and for too
# long), a service that never answers, no such key, a key that cannot sign, a signature by
# another key, an answer for another key; each with its exit status, the service named, no
# token in any message and no signature written.
. "$(dirname "$0")/lib.sh"
set -e

NAME=$(basename "$0")
IDIR=$SRCDIR/tests/interop
. "$IDIR/sigstore_js_env.sh"
sigstore_js_require "$T" "the mock key services are a Node.js script; the AWS mock checks SigV4 with @aws-sdk/signature-v4"

AKID=AKIDMODELSEALTEST01
ASECRET=mock/secret+key/for/modelseal/tests0123
MOCK_PID=
cleanup() {
    [ -n "$MOCK_PID" ] && kill "$MOCK_PID" 2>/dev/null || :
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
D=$T/mock
mkdir "$D"
node "$IDIR/mock_kms.mjs" --dir "$D" --aws-key-id "$AKID" --aws-secret "$ASECRET" >"$T/mock.log" 2>&1 &
MOCK_PID=$!
mock_wait_ready "$D/ready" "$MOCK_PID" "$T/mock.log"
PORT=$(cat "$D/port")
VTOKEN=$(cat "$D/vault_token")

# No ambient configuration of this machine leaks in; retries wait 10 ms, 20 ms, ...
unset VAULT_NAMESPACE TRANSIT_SECRET_ENGINE_PATH AWS_PROFILE AWS_SESSION_TOKEN AWS_ROLE_ARN \
    AWS_WEB_IDENTITY_TOKEN_FILE AWS_ENDPOINT_URL AWS_DEFAULT_REGION AWS_CONFIG_FILE \
    AWS_SHARED_CREDENTIALS_FILE MODELSEAL_HTTP_RETRIES 2>/dev/null || :
HOME=$T/home
mkdir "$HOME"
export HOME
VAULT_ADDR=http://127.0.0.1:$PORT
VAULT_TOKEN=$VTOKEN
MODELSEAL_HTTP_BACKOFF_MS=10
MODELSEAL_HTTP_TIMEOUT_MS=5000
export VAULT_ADDR VAULT_TOKEN MODELSEAL_HTTP_BACKOFF_MS MODELSEAL_HTTP_TIMEOUT_MS

M=$T/model
make_sample_model "$M"

# extract BUNDLE DIR: DIR/pae.bin and DIR/sig.bin, rebuilt here (not by modelseal).
extract() {
    mkdir -p "$2"
    $PY - "$1" "$2" <<'PY'
import base64, json, sys
env = json.load(open(sys.argv[1]))["dsseEnvelope"]
payload = base64.b64decode(env["payload"], validate=True)
t = env["payloadType"].encode()
open(sys.argv[2] + "/pae.bin", "wb").write(b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload))
open(sys.argv[2] + "/sig.bin", "wb").write(base64.b64decode(env["signatures"][0]["sig"]))
PY
}
# openssl_verify DESCRIPTION BUNDLE PUB TYPE: the DSSE signature checked by the openssl CLI.
openssl_verify() {
    extract "$2" "$T/x"
    case $4 in
    ed25519) run openssl pkeyutl -verify -pubin -inkey "$3" -rawin -in "$T/x/pae.bin" \
        -sigfile "$T/x/sig.bin" ;;
    p256) run openssl dgst -sha256 -verify "$3" -signature "$T/x/sig.bin" "$T/x/pae.bin" ;;
    p384) run openssl dgst -sha384 -verify "$3" -signature "$T/x/sig.bin" "$T/x/pae.bin" ;;
    esac
    [ "$STATUS" -eq 0 ] && pass || fail "$1: openssl verifies ($(cat "$OUT" "$ERR"))"
}
# signs DESCRIPTION KEY PUB [TYPE]: sign the model through the service; modelseal verifies the
# bundle with the public key the mock reported, and so do openssl (given TYPE) and, at the
# end, securesystemslib (the independent verifiers only in the normal run: same bytes).
signs() {
    sig=$T/$(printf '%s' "$1" | tr -c 'a-zA-Z0-9' _).sig
    check_status "$1: sign" 0 ms sign --key "$2" --signature "$sig" "$M"
    check_status "$1: modelseal verify" 0 ms verify --key "$3" --signature "$sig" "$M"
    if [ $# -gt 3 ] && [ "$SANITIZED" = 0 ]; then
        openssl_verify "$1" "$sig" "$3" "$4"
        printf '%s %s\n' "$sig" "$3" >>"$T/pairs"
    fi
}
# no_token DESCRIPTION: neither secret in the last command's messages.
no_token() {
    if grep -qF -e "$VTOKEN" -e "$ASECRET" "$OUT" "$ERR"; then fail "$1: a secret is in the message"; else pass; fi
}

# served_after DESCRIPTION PATTERN STATUSES: the mock's answers to the requests whose log line
# holds PATTERN were STATUSES, in order (the faults came first, and were retried).
served_after() {
    got=$(grep -F -e "$2" "$D/requests.log" | awk '{ print $NF }' | tr '\n' ' ')
    [ "$got" = "$3 " ] && pass || fail "$1: the mock answered $got, not $3"
}

# ---- Vault ----
signs "vault p256" hashivault://p256 "$D/vault-p256.pub" p256
signs "vault p384" hashivault://p384 "$D/vault-p384.pub" p384
signs "vault ed25519" hashivault://ed25519 "$D/vault-ed25519.pub" ed25519
signs "vault: the latest of three versions" hashivault://rotated "$D/vault-rotated.pub"
grep -q "sign/rotated ns=- 200" "$D/requests.log" && pass || fail "vault: rotated key signed"
VAULT_NAMESPACE=team
export VAULT_NAMESPACE
signs "vault namespace" hashivault://team-p256 "$D/vault-team-p256.pub"
unset VAULT_NAMESPACE
grep -q "sign/team-p256 ns=team 200" "$D/requests.log" && pass || fail "vault: the namespace header"
check_fails "vault: a key in another namespace" 2 "hashivault://team-p256: no such key in Vault" \
    ms sign --key hashivault://team-p256 --signature "$T/x.sig" "$M"
# The token from ~/.vault-token when VAULT_TOKEN is unset.
printf '%s\n' "$VTOKEN" >"$HOME/.vault-token"
check_status "vault: token from ~/.vault-token" 0 env -u VAULT_TOKEN "$MODELSEAL" sign \
    --key hashivault://p256 --signature "$T/home.sig" "$M"
rm "$HOME/.vault-token"
check_fails "vault: no token" 2 "no Vault token: set VAULT_TOKEN" \
    env -u VAULT_TOKEN "$MODELSEAL" sign --key hashivault://p256 --signature "$T/x.sig" "$M"
check_fails "vault: no VAULT_ADDR" 2 "hashivault://p256: VAULT_ADDR is not set" \
    env -u VAULT_ADDR "$MODELSEAL" sign --key hashivault://p256 --signature "$T/x.sig" "$M"
check_fails "vault: a wrong token" 3 "Vault (http://127.0.0.1:$PORT/v1/transit/keys/p256): permission denied" \
    env VAULT_TOKEN=hvs.wrong "$MODELSEAL" sign --key hashivault://p256 --signature "$T/x.sig" "$M"
check_fails "vault: plain http to another host" 3 "refused: only https:// URLs" \
    env VAULT_ADDR=http://vault.example.com:8200 "$MODELSEAL" sign --key hashivault://p256 \
    --signature "$T/x.sig" "$M"
check_fails "vault: a bad key name" 2 "a Vault key name is letters" \
    ms sign --key 'hashivault://a/../b' --signature "$T/x.sig" "$M"

# The other signing commands take the same keys.
printf 'artifact\n' >"$T/artifact"
check_status "vault: blob sign" 0 ms blob sign --key hashivault://p256 --bundle "$T/blob.json" "$T/artifact"
check_status "vault: blob verify" 0 ms blob verify --key "$D/vault-p256.pub" --bundle "$T/blob.json" "$T/artifact"
DS=$T/data
mkdir "$DS" && printf 'a\n' >"$DS/a.txt"
ms dataset manifest --name d --output "$T/d.zst" "$DS" >/dev/null
check_status "vault: dataset sign" 0 ms dataset sign --key hashivault://ed25519 "$T/d.zst"
check_status "vault: dataset verify" 0 ms dataset verify --key "$D/vault-ed25519.pub" "$T/d.zst" "$DS"
check_status "vault: sign MODEL/model.sig" 0 ms sign --key hashivault://p384 "$M"
check_status "vault: attest provenance" 0 ms attest provenance --key hashivault://p256 --no-git \
    --builder-id https://ci.example.com/r/1 "$M"
check_status "vault: attest list verifies it" 0 ms attest list --key "$D/vault-p256.pub" "$M"

# Faults.
S=$T/fault.sig
check_fails "vault: 500s, too many" 3 "Vault (http://127.0.0.1:$PORT/v1/transit/keys/flaky-always): HTTP status 500" \
    env MODELSEAL_HTTP_RETRIES=1 "$MODELSEAL" sign --key hashivault://flaky-always --signature "$S" "$M"
signs "vault: 500s, then served" hashivault://flaky "$D/vault-flaky.pub"
served_after "vault: 500s, then served" '/flaky ns=' "500 500 200 200"
check_fails "vault: throttled for too long" 3 "Vault (http://127.0.0.1:$PORT/v1/transit/keys/throttled-always): the service is throttling requests (HTTP status 429), still after 1 retries" \
    env MODELSEAL_HTTP_RETRIES=1 "$MODELSEAL" sign --key hashivault://throttled-always --signature "$S" "$M"
signs "vault: throttled, then served" hashivault://throttled "$D/vault-throttled.pub"
served_after "vault: throttled, then served" '/throttled ns=' "429 429 200 200"
check_fails "vault: no answer" 3 "Vault (http://127.0.0.1:$PORT/v1/transit/sign/slow): timed out" \
    env MODELSEAL_HTTP_TIMEOUT_MS=500 "$MODELSEAL" sign --key hashivault://slow --signature "$S" "$M"
check_fails "vault: no such key" 2 "hashivault://nothing: no such key in Vault at $VAULT_ADDR" \
    ms sign --key hashivault://nothing --signature "$S" "$M"
no_token "vault: no such key"
check_fails "vault: a key that cannot sign" 2 "a Vault key of type aes256-gcm96 cannot sign here" \
    ms sign --key hashivault://aes --signature "$S" "$M"
check_fails "vault: signed by another key" 3 "hashivault://bad-sig: the signature Vault returned does not verify with the key's public key" \
    ms sign --key hashivault://bad-sig --signature "$S" "$M"
check_fails "vault: ed25519 signed by another key" 3 "does not verify with the key's public key" \
    ms blob sign --key hashivault://bad-sig-ed --bundle "$S" "$T/artifact"
no_token "vault: faults"
[ ! -e "$S" ] && pass || fail "vault: no signature written by a failed signing"

# ---- AWS KMS ----
AWS_ACCESS_KEY_ID=$AKID
AWS_SECRET_ACCESS_KEY=$ASECRET
AWS_REGION=eu-west-1
AWS_ENDPOINT_URL_KMS=http://127.0.0.1:$PORT
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL_KMS
P256ID=$(cat "$D/aws-p256.id")
signs "aws p256 by alias" awskms:///alias/p256 "$D/aws-p256.pub" p256
signs "aws p384 by key id" "awskms:///$(cat "$D/aws-p384.id")" "$D/aws-p384.pub" p384
# The region is the ARN's (the mock finds the key only in the region the request was signed for).
signs "aws p256 by ARN" "awskms:///arn:aws:kms:us-east-2:111122223333:key/$P256ID" "$D/aws-p256.pub"
check_fails "aws: an ARN of another region" 2 "no such key in AWS KMS (NotFoundException" \
    ms sign --key "awskms:///arn:aws:kms:us-east-2:111122223333:key/nope" --signature "$T/x.sig" "$M"
check_status "aws: blob sign" 0 ms blob sign --key awskms:///alias/p256 --bundle "$T/ablob.json" "$T/artifact"
check_status "aws: blob verify" 0 ms blob verify --key "$D/aws-p256.pub" --bundle "$T/ablob.json" "$T/artifact"
check_status "aws: dataset sign" 0 ms dataset sign --key awskms:///alias/p384 --signature "$T/ad.sig" "$T/d.zst"
check_status "aws: dataset verify" 0 ms dataset verify --key "$D/aws-p384.pub" --signature "$T/ad.sig" "$T/d.zst" "$DS"

# Credentials: a profile of ~/.aws/credentials (its region in ~/.aws/config), and a web identity
# token exchanged with STS (the mock's) for temporary credentials with a session token.
mkdir "$HOME/.aws"
printf '[default]\naws_access_key_id = AKIDNOTTHISONE\naws_secret_access_key = x\n[release]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
    "$AKID" "$ASECRET" >"$HOME/.aws/credentials"
printf '[profile release]\nregion = eu-west-1\n' >"$HOME/.aws/config"
check_status "aws: AWS_PROFILE" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_REGION \
    AWS_PROFILE=release "$MODELSEAL" sign --key awskms:///alias/p256 --signature "$T/prof.sig" "$M"
check_status "aws: AWS_PROFILE: verify" 0 ms verify --key "$D/aws-p256.pub" --signature "$T/prof.sig" "$M"
check_status "aws: web identity" 0 env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_WEB_IDENTITY_TOKEN_FILE="$D/web_identity_token" AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT/" "$MODELSEAL" sign --key awskms:///alias/p384 \
    --signature "$T/wi.sig" "$M"
check_status "aws: web identity: verify" 0 ms verify --key "$D/aws-p384.pub" --signature "$T/wi.sig" "$M"
grep -q "sts AssumeRoleWithWebIdentity 200" "$D/requests.log" && pass || fail "aws: STS was asked"
# A service that quotes the session token in its error answer: the message leaves it out.
check_fails "aws: an answer quoting the session token" 3 "AWS KMS (http://127.0.0.1:$PORT/): HTTP status 400: AccessDeniedException" \
    env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
    AWS_WEB_IDENTITY_TOKEN_FILE="$D/web_identity_token" AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer \
    AWS_ENDPOINT_URL_STS="http://127.0.0.1:$PORT/" "$MODELSEAL" sign --key awskms:///alias/echo-token \
    --signature "$T/x.sig" "$M"
STOKEN=$(cat "$D/sts_session_token")
[ -n "$STOKEN" ] && grep -q "aws TrentService.GetPublicKey echo-token 400" "$D/requests.log" && pass ||
    fail "aws: the mock gave out a session token and quoted it"
if grep -qF -e "$STOKEN" "$OUT" "$ERR"; then fail "aws: the session token is in the message"; else pass; fi
rm -r "$HOME/.aws"

# Refused credentials and configuration.
check_fails "aws: a wrong secret key" 3 "AWS KMS (http://127.0.0.1:$PORT/): HTTP status 403: InvalidSignatureException" \
    env AWS_SECRET_ACCESS_KEY=wrong-secret-0451 "$MODELSEAL" sign --key awskms:///alias/p256 --signature "$T/x.sig" "$M"
grep -q "wrong-secret-0451" "$ERR" && fail "aws: the secret is in the message" || pass
check_fails "aws: an unknown access key" 3 "UnrecognizedClientException" \
    env AWS_ACCESS_KEY_ID=AKIDUNKNOWN "$MODELSEAL" sign --key awskms:///alias/p256 --signature "$T/x.sig" "$M"
check_fails "aws: no region" 2 "awskms:///alias/p256: no AWS region: set AWS_REGION" \
    env -u AWS_REGION "$MODELSEAL" sign --key awskms:///alias/p256 --signature "$T/x.sig" "$M"
check_fails "aws: no key" 2 "awskms://: name a key" ms sign --key awskms:// --signature "$T/x.sig" "$M"
# An endpoint in the URI is reached over https (the mock speaks plain http: no TLS handshake).
check_fails "aws: the URI's endpoint over https" 3 "AWS KMS (https://127.0.0.1:$PORT/)" \
    ms sign --key "awskms://127.0.0.1:$PORT/alias/p256" --signature "$T/x.sig" "$M"
check_fails "aws: plain http to another host" 3 "refused: only https:// URLs" \
    env AWS_ENDPOINT_URL_KMS=http://kms.example.com "$MODELSEAL" sign --key awskms:///alias/p256 \
    --signature "$T/x.sig" "$M"

# Faults.
check_fails "aws: 500s, too many" 3 "AWS KMS (http://127.0.0.1:$PORT/): HTTP status 500" \
    env MODELSEAL_HTTP_RETRIES=1 "$MODELSEAL" sign --key awskms:///alias/flaky-always --signature "$S" "$M"
signs "aws: 500s, then served" awskms:///alias/flaky "$D/aws-flaky.pub"
served_after "aws: 500s, then served" ' flaky ' "500 500 200 200"
check_fails "aws: throttled for too long" 3 "AWS KMS (http://127.0.0.1:$PORT/): the service is throttling requests (HTTP status 400), still after 1 retries" \
    env MODELSEAL_HTTP_RETRIES=1 "$MODELSEAL" sign --key awskms:///alias/throttled-always --signature "$S" "$M"
signs "aws: throttled, then served" awskms:///alias/throttled "$D/aws-throttled.pub"
served_after "aws: throttled, then served" ' throttled ' "400 400 200 200"
check_fails "aws: no answer" 3 "AWS KMS (http://127.0.0.1:$PORT/): timed out" \
    env MODELSEAL_HTTP_TIMEOUT_MS=500 "$MODELSEAL" sign --key awskms:///alias/slow --signature "$S" "$M"
check_fails "aws: no such key" 2 "awskms:///alias/nothing: no such key in AWS KMS (NotFoundException: Key 'alias/nothing' does not exist)" \
    ms sign --key awskms:///alias/nothing --signature "$S" "$M"
check_fails "aws: a symmetric key" 2 "awskms:///alias/sym: the key cannot sign (UnsupportedOperationException" \
    ms sign --key awskms:///alias/sym --signature "$S" "$M"
check_fails "aws: an RSA key" 2 "a key of spec RSA_2048 cannot sign here" \
    ms sign --key awskms:///alias/rsa --signature "$S" "$M"
check_fails "aws: signed by another key" 3 "awskms:///alias/bad-sig: the signature AWS KMS returned does not verify with the key's public key" \
    ms sign --key awskms:///alias/bad-sig --signature "$S" "$M"
check_fails "aws: an answer for another key" 3 "the answer is for key arn:aws:kms:eu-west-1:111122223333:key/$P256ID, not arn:aws:kms:eu-west-1:111122223333:key/$(cat "$D/aws-other-key.id"); refused" \
    ms sign --key awskms:///alias/other-key --signature "$S" "$M"
no_token "aws: faults"
[ ! -e "$S" ] && pass || fail "aws: no signature written by a failed signing"

# securesystemslib (dsse_verify.py) on every bundle signed through a service, in one
# interpreter (it starts slowly).
if [ "$SANITIZED" = 0 ]; then
    run $PY - "$IDIR/dsse_verify.py" "$T/pairs" <<'PY'
import importlib.util, sys
spec = importlib.util.spec_from_file_location("dsse_verify", sys.argv[1])
dv = importlib.util.module_from_spec(spec)
try:
    spec.loader.exec_module(dv)
except SystemExit as e:
    sys.exit(e.code)
bad = 0
for line in open(sys.argv[2]):
    sig, pub = line.split()
    try:
        assert dv.main(["dsse_verify.py", sig, pub]) == 0
    except Exception as e:
        print(f"{sig}: {type(e).__name__}: {e}", file=sys.stderr)
        bad += 1
sys.exit(1 if bad else 0)
PY
    case $STATUS in
    0) pass ;;
    77) echo "$NAME: note: securesystemslib missing, dsse_verify.py not run" >&2 ;;
    *) fail "dsse_verify.py (securesystemslib) on the services' bundles" ;;
    esac
    [ "$(grep -c '^OK: ' "$OUT")" = "$(wc -l <"$T/pairs")" ] && pass || [ "$STATUS" = 77 ] ||
        fail "dsse_verify.py: one OK line per bundle"
fi

finish
