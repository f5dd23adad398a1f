#!/bin/sh
# Tampering with a signed model or its signature: each case gets the right exit status and a
# message naming what is wrong.
. "$(dirname "$0")/lib.sh"
set -e

ms keygen --no-password --output "$T/k" >/dev/null
ms keygen --no-password --output "$T/other" >/dev/null
fresh() { # a signed model in $M
    rm -rf "$T/m"
    M=$T/m
    mkdir -p "$M/layers"
    head -c 100000 /dev/urandom >"$M/layers/0.bin"
    head -c 100000 /dev/urandom >"$M/layers/1.bin"
    printf '{}' >"$M/config.json"
    ms sign --key "$T/k.key" "$M" >/dev/null
}
verify() { ms verify --key "$T/k.pub" "$@" "$M"; }

fresh
check_status "untouched model verifies" 0 verify
flip_byte "$M/layers/1.bin" 99999
check_fails "a changed byte (last byte of a file)" 1 "changed: layers/1.bin" verify

fresh
printf 'new' >"$M/layers/2.bin"
check_fails "an added file" 1 "extra:   layers/2.bin" verify

# Shards: an empty file has no shards, so no shards signature can list it. Present in the model
# and absent from the resources, it fails verification (OMS v1.0 8.5): signing warns, verify
# names each one, --ignore-unsigned-files still leaves unlisted files out.
EMPTY_NOTE="(empty files have no shards; a shards signature cannot cover them)"
S=$T/shards
mkdir -p "$S/sub"
head -c 3000 /dev/urandom >"$S/w.bin"
check_status "sign --method shards, no empty file" 0 ms sign --key "$T/k.key" --method shards --shard-size 1024 "$S"
check_eq "no warning without empty files" "$(grep -v "^hashed " "$ERR")" ""
check_status "it verifies" 0 ms verify --key "$T/k.pub" "$S"
: >"$S/__init__.py"
: >"$S/sub/modeling_evil.py"
check_fails "empty __init__.py and sub/modeling_evil.py added" 1 "(0 changed, 0 missing, 2 extra)" \
    ms verify --key "$T/k.pub" "$S"
check_eq "each named, with why" "$(grep '^  ' "$ERR" | tr '\n' '|')" \
    "  extra:   __init__.py $EMPTY_NOTE|  extra:   sub/modeling_evil.py $EMPTY_NOTE|"
check_status "--ignore-unsigned-files still leaves them out" 0 ms verify --key "$T/k.pub" --ignore-unsigned-files "$S"
run ms verify --key "$T/k.pub" --json "$S"
check_eq "--json: extra lists them" "$STATUS $($PY -c "import json,sys; r=json.load(open(sys.argv[1])); print(r['extra'], r['verified'])" "$OUT")" \
    "1 ['__init__.py', 'sub/modeling_evil.py'] False"
check_status "sign --method shards with empty files" 0 ms sign --key "$T/k.key" --method shards --shard-size 1024 "$S"
check_eq "sign warns, naming how many and which" "$(grep -v "^hashed " "$ERR")" \
    "modelseal: warning: $S: 2 empty files (__init__.py, sub/modeling_evil.py) not covered: empty files have no shards, so a shards signature cannot cover them and verify will report them as extra; --method files would cover them"
check_fails "a signed model with empty files does not verify" 1 "extra:   __init__.py $EMPTY_NOTE" \
    ms verify --key "$T/k.pub" "$S"
: >"$S/sub/a"
: >"$S/sub/b"
ms sign --key "$T/k.key" --method shards "$S" >/dev/null 2>"$T/warn"
grep -qF "warning: $S: 4 empty files (__init__.py, sub/a, sub/b, ...) not covered" "$T/warn" && pass ||
    fail "the first three of four named: $(cat "$T/warn")"
rm "$S/__init__.py" "$S/sub/modeling_evil.py" "$S/sub/a" "$S/sub/b"
ms sign --key "$T/k.key" --method shards --shard-size 1024 "$S" >/dev/null
: >"$S/w.bin"
check_fails "a signed file emptied is changed (not missing and extra)" 1 "(1 changed, 0 missing, 0 extra)" \
    ms verify --key "$T/k.pub" "$S"
grep -qx "  changed: w.bin" "$ERR" && pass || fail "the emptied file named changed"
: >"$S/e"
check_status "the files method covers empty files" 0 ms sign --key "$T/k.key" --method files "$S"
check_eq "no warning under the files method" "$(grep -v "^hashed " "$ERR")" ""
check_status "... and they verify" 0 ms verify --key "$T/k.pub" "$S"
rm "$S/e"
check_fails "... and a signed empty file removed is missing" 1 "missing: e" ms verify --key "$T/k.pub" "$S"
: >"$T/one.bin"
ms sign --key "$T/k.key" --method shards --allow-empty "$T/one.bin" >/dev/null 2>"$T/warn"
grep -qF "warning: $T/one.bin: 1 empty file ($T/one.bin) not covered" "$T/warn" && pass || fail "a single empty file: $(cat "$T/warn")"
check_fails "a single empty file under shards" 1 "extra:   one.bin $EMPTY_NOTE" \
    ms verify --key "$T/k.pub" --allow-empty "$T/one.bin"

fresh
rm "$M/config.json"
check_fails "a removed file" 1 "missing: config.json" verify

fresh
mv "$M/layers/0.bin" "$M/layers/9.bin"
check_fails "a renamed file" 1 "missing: layers/0.bin" verify
grep -q "extra:   layers/9.bin" "$ERR" && pass || fail "renamed file: new name listed as extra"

fresh
cp "$M/model.sig" "$T/a.sig"
mkdir -p "$T/m2"
printf 'another model' >"$T/m2/w.bin"
ms sign --key "$T/k.key" "$T/m2" >/dev/null
cp "$T/m2/model.sig" "$M/model.sig"
check_fails "a bundle from another model" 1 "does not match its signature" verify
cp "$T/a.sig" "$M/model.sig"

# The payload edited with the signature kept: change one resource digest, re-encode.
$PY - "$M/model.sig" "$T/edited.sig" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
s = json.loads(base64.b64decode(b["dsseEnvelope"]["payload"]))
d = s["predicate"]["resources"][0]["digest"]
s["predicate"]["resources"][0]["digest"] = ("0" if d[0] != "0" else "1") + d[1:]
b["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(s).encode()).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
check_fails "payload edited, signature kept" 1 "signature does not verify" verify --signature "$T/edited.sig"

# A flipped signature byte.
$PY - "$M/model.sig" "$T/flipped.sig" <<'PY'
import base64, json, sys
b = json.load(open(sys.argv[1]))
sig = bytearray(base64.b64decode(b["dsseEnvelope"]["signatures"][0]["sig"]))
sig[10] ^= 1
b["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(bytes(sig)).decode()
json.dump(b, open(sys.argv[2], "w"))
PY
check_fails "a flipped signature byte" 1 "signature does not verify" verify --signature "$T/flipped.sig"

# Signed by another key (the bundle even carries that key's hint).
ms sign --key "$T/other.key" --signature "$T/by-other.sig" "$M" >/dev/null
check_fails "signed by another key" 1 "signature does not verify with the trusted key" verify --signature "$T/by-other.sig"

# Malformed bundles: exit 2, naming the file.
head -c 200 "$M/model.sig" >"$T/truncated.sig"
check_fails "a truncated bundle" 2 "$T/truncated.sig" verify --signature "$T/truncated.sig"
printf 'not json at all' >"$T/garbage.sig"
check_fails "a non-JSON bundle" 2 "$T/garbage.sig" verify --signature "$T/garbage.sig"
: >"$T/empty.sig"
check_fails "an empty bundle" 2 "$T/empty.sig" verify --signature "$T/empty.sig"
$PY -c "import sys; open(sys.argv[1],'w').write('['*100000 + ']'*100000)" "$T/deep.sig"
check_fails "JSON nested 100,000 deep" 2 "$T/deep.sig" timeout 10 "$MODELSEAL" verify --key "$T/k.pub" --signature "$T/deep.sig" "$M"
truncate -s 200M "$T/huge.sig"
check_fails "a 200 MB bundle" 2 "larger than the limit" timeout 10 "$MODELSEAL" verify --key "$T/k.pub" --signature "$T/huge.sig" "$M"

# Hostile resource names in a validly signed statement: refused before any file is opened,
# also under --ignore-unsigned-files.
openssl genpkey -algorithm ed25519 -out "$T/raw.pem" 2>/dev/null
openssl pkey -in "$T/raw.pem" -pubout -out "$T/raw.pub"
printf 'secret outside the model' >"$T/outside"
for name in '../outside' '/etc/passwd' 'layers\\0.bin' 'a\u0000b' 'layers/./0.bin' 'layers//0.bin' 'dup'; do
    $PY - "$name" "$T/stmt.json" <<'PY'
import hashlib, json, sys
name = json.loads('"' + sys.argv[1] + '"')
digest = hashlib.sha256(b"x").hexdigest()
resources = [{"name": name, "algorithm": "sha256", "digest": digest}]
if name == "dup":
    resources.append(dict(resources[0]))
root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in resources)).hexdigest()
stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "m", "digest": {"sha256": root}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False},
                      "resources": resources}}
open(sys.argv[2], "w").write(json.dumps(stmt))
PY
    $PY "$SRCDIR/tests/cli/craft_bundle.py" "$T/raw.pem" "$T/stmt.json" "$T/hostile.sig"
    check_status "hostile name $name" 2 ms verify --key "$T/raw.pub" --signature "$T/hostile.sig" "$M"
    grep -q 'predicate.resources\|\\u0000\|control character\|listed twice' "$ERR" && pass || fail "hostile name $name: message names the resources"
    check_status "hostile name $name, --ignore-unsigned-files" 2 ms verify --key "$T/raw.pub" --ignore-unsigned-files --signature "$T/hostile.sig" "$M"
done
# The crafted-bundle path itself works: a well-formed statement signed this way verifies.
fresh
$PY - "$M" "$T/stmt.json" <<'PY'
import hashlib, json, os, sys
m = sys.argv[1]
names = sorted(["config.json", "layers/0.bin", "layers/1.bin"])
res = [{"name": n, "algorithm": "sha256", "digest": hashlib.sha256(open(os.path.join(m, n), "rb").read()).hexdigest()} for n in names]
root = hashlib.sha256(b"".join(bytes.fromhex(r["digest"]) for r in res)).hexdigest()
stmt = {"_type": "https://in-toto.io/Statement/v1", "subject": [{"name": "m", "digest": {"sha256": root}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False},
                      "resources": res}}
open(sys.argv[2], "w").write(json.dumps(stmt))
PY
$PY "$SRCDIR/tests/cli/craft_bundle.py" "$T/raw.pem" "$T/stmt.json" "$T/crafted.sig"
check_status "an independently made bundle verifies" 0 ms verify --key "$T/raw.pub" --signature "$T/crafted.sig" "$M"
# ... and a subject digest that does not match its resources is refused.
$PY -c "
import json,sys; s=json.load(open(sys.argv[1])); s['subject'][0]['digest']['sha256']='0'*64; json.dump(s,open(sys.argv[1],'w'))" "$T/stmt.json"
$PY "$SRCDIR/tests/cli/craft_bundle.py" "$T/raw.pem" "$T/stmt.json" "$T/crafted.sig"
check_fails "subject digest not over the resources" 1 "subject digest does not match" ms verify --key "$T/raw.pub" --signature "$T/crafted.sig" "$M"
finish
