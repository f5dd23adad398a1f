#!/bin/sh
# modelseal keygen: both algorithms, file modes, public keys OpenSSL reads, secret key records
# decoded independently (Python), encryption by default, refusal to overwrite, passphrase sources,
# and a generated key that signs a model whose signature names it.
. "$(dirname "$0")/lib.sh"
set -e

unset MODELSEAL_PASSWORD
cd "$T"

# Run without a controlling terminal, so that no test can ever wait at a prompt.
notty() { setsid -w "$@" </dev/null; }

# Decode PREFIX.key (modelseal-keys(5)) and check it against PREFIX.pub; prints
# "kdf=<0|1> type=<n> ops=<n> mem=<n> match=<yes|no|encrypted>".
cat >"$T/keyfile.py" <<'EOF'
import base64, hashlib, struct, sys
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

prefix = sys.argv[1]
text = open(prefix + ".key").read()
lines = text.splitlines()
begin = lines.index("-----BEGIN MODELSEAL SECRET KEY-----")
end = lines.index("-----END MODELSEAL SECRET KEY-----")
assert all(len(l) <= 64 for l in lines[begin + 1:end])
rec = base64.b64decode("".join(lines[begin + 1:end]), validate=True)
magic, version, ktype, kdf, reserved, ops, mem = struct.unpack(">4sBBBBQQ", rec[:24])
salt, nonce, (length,) = rec[24:40], rec[40:64], struct.unpack(">I", rec[64:68])
assert magic == b"MSSK" and version == 1 and reserved == 0, (magic, version, reserved)
trailer = 16 if kdf == 1 else 32
assert len(rec) == 68 + length + trailer, (len(rec), length)
pub = open(prefix + ".pub", "rb").read()
if kdf == 0:
    assert ops == mem == 0 and salt == bytes(16) and nonce == bytes(24)
    material = rec[68:68 + length]
    assert hashlib.blake2b(rec[:68] + material, digest_size=32).digest() == rec[68 + length:]
    if ktype == 1:
        key = ed25519.Ed25519PrivateKey.from_private_bytes(material)
    else:
        key = serialization.load_der_private_key(material, None)
    derived = key.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    match = "yes" if derived == pub else "no"
else:
    assert salt != bytes(16) and nonce != bytes(24)
    match = "encrypted"
print("kdf=%d type=%d ops=%d mem=%d match=%s" % (kdf, ktype, ops, mem, match))
EOF

mode() { stat -c %a "$1"; }

# ---- both algorithms, unencrypted so the records can be checked -----------------------------
check_status "keygen ed25519 --no-password" 0 ms keygen --no-password --output ed
check_eq "ed25519: key mode" "$(mode ed.key)" 600
check_eq "ed25519: public key mode" "$(mode ed.pub)" 644
check_status "openssl reads the Ed25519 public key" 0 openssl pkey -pubin -in ed.pub -noout -text
check_eq "openssl: Ed25519" "$(head -1 "$OUT")" "ED25519 Public-Key:"
check_eq "ed25519 record" "$($PY "$T/keyfile.py" ed)" "kdf=0 type=1 ops=0 mem=0 match=yes"
run ms keygen --no-password --force --output ed
check_eq "printed hint is the SHA-256 of the public key file" "$(sed -n 's/^hint: *//p' "$OUT")" "$(sha256sum ed.pub | cut -d' ' -f1)"
check_eq "secret key line" "$(sed -n 's/^secret key: *//p' "$OUT")" \
    "ed.key (NOT encrypted: protect it with file permissions)"
check_eq "public key line" "$(sed -n 's/^public key: *//p' "$OUT")" "ed.pub"

check_status "keygen ecdsa-p256 --no-password" 0 ms keygen --algorithm ecdsa-p256 --no-password -o p256
check_eq "p256: key mode" "$(mode p256.key)" 600
run openssl pkey -pubin -in p256.pub -noout -text
check_eq "openssl: P-256" "$(grep -c 'ASN1 OID: prime256v1' "$OUT")" 1
check_eq "p256 record" "$($PY "$T/keyfile.py" p256)" "kdf=0 type=2 ops=0 mem=0 match=yes"

check_status "a new key each time" 0 ms keygen --no-password -o ed2
if cmp -s ed.key ed2.key || cmp -s ed.pub ed2.pub; then fail "two keygens made the same key"; else pass; fi

# ---- encrypted by default ---------------------------------------------------------------------
export MODELSEAL_PASSWORD='correct horse'
check_status "keygen, passphrase from the environment" 0 ms keygen --output enc
check_eq "encrypted record (Argon2id, interactive limits)" "$($PY "$T/keyfile.py" enc)" \
    "kdf=1 type=1 ops=2 mem=67108864 match=encrypted"
check_eq "encrypted: key mode" "$(mode enc.key)" 600
check_eq "encrypted: secret key line" "$(sed -n 's/^secret key: *//p' "$OUT")" "enc.key (encrypted)"
check_status "keygen ecdsa-p256, encrypted" 0 ms keygen --algorithm ecdsa-p256 -o encp
check_eq "encrypted P-256 record" "$($PY "$T/keyfile.py" encp | cut -d' ' -f1,2,5)" \
    "kdf=1 type=2 match=encrypted"

# The encrypted key signs only with its passphrase; its signature names the key's hint.
make_sample_model model
unset MODELSEAL_PASSWORD
check_fails "sign with an encrypted key and no passphrase" 2 \
    "a passphrase is needed: set MODELSEAL_PASSWORD, use --password-file, or run on a terminal" \
    notty "$MODELSEAL" sign --key enc.key --signature s.sig model
check_fails "sign with the wrong passphrase" 2 "enc.key: wrong passphrase or corrupted key" \
    env MODELSEAL_PASSWORD=wrong "$MODELSEAL" sign --key enc.key --signature s.sig model
check_status "sign with the right passphrase" 0 \
    env MODELSEAL_PASSWORD='correct horse' "$MODELSEAL" sign --key enc.key --signature s.sig model
run ms inspect --json s.sig
check_eq "the signature names the key" \
    "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["signer"]["hint"])' "$OUT")" \
    "$(sha256sum enc.pub | cut -d' ' -f1)"
check_status "the signature verifies with the public key" 0 ms verify --key enc.pub --signature s.sig model
check_status "an unencrypted key signs without a passphrase" 0 notty "$MODELSEAL" sign --key p256.key \
    --signature p.sig model

# ---- --password-file --------------------------------------------------------------------------
printf 'from the file\nsecond line is ignored\n' >pass.txt
check_status "keygen --password-file" 0 notty "$MODELSEAL" keygen --password-file pass.txt -o filekey
check_eq "--password-file: encrypted" "$($PY "$T/keyfile.py" filekey | cut -d' ' -f1)" "kdf=1"
check_status "the passphrase is the first line, without its newline" 0 \
    env MODELSEAL_PASSWORD='from the file' "$MODELSEAL" sign --key filekey.key --signature f.sig model
check_status "--password-file wins over MODELSEAL_PASSWORD" 0 \
    env MODELSEAL_PASSWORD=other "$MODELSEAL" keygen --password-file pass.txt -o filekey2
check_status "... so the file's passphrase opens it" 0 \
    env MODELSEAL_PASSWORD='from the file' "$MODELSEAL" sign --key filekey2.key --signature f2.sig model
printf 'no newline' >pass2.txt
check_status "password file without a final newline" 0 notty "$MODELSEAL" keygen --password-file pass2.txt -o nonl
check_status "... passphrase read whole" 0 \
    env MODELSEAL_PASSWORD='no newline' "$MODELSEAL" sign --key nonl.key --signature n.sig model
check_fails "missing password file" 2 "$T/nope.txt: No such file or directory" \
    ms keygen --password-file "$T/nope.txt" -o nofile
printf '\nsecond\n' >emptyfirst.txt
check_fails "empty first line" 2 "emptyfirst.txt: empty passphrase" \
    ms keygen --password-file emptyfirst.txt -o nofile
$PY -c 'import sys; open(sys.argv[1], "w").write("x" * 5000)' long.txt
check_fails "overlong passphrase" 2 "long.txt: passphrase longer than 1023 bytes" \
    ms keygen --password-file long.txt -o nofile
check_eq "no key files left by the failures" "$(ls nofile.* 2>/dev/null | wc -l)" 0

# ---- no passphrase source --------------------------------------------------------------------
check_fails "no passphrase and no terminal" 2 \
    "a passphrase is needed: set MODELSEAL_PASSWORD, use --password-file, or run on a terminal" \
    notty "$MODELSEAL" keygen -o none
check_eq "nothing written without a passphrase" "$(ls none.* 2>/dev/null | wc -l)" 0
check_fails "empty MODELSEAL_PASSWORD" 2 "empty passphrase (use --no-password" \
    env MODELSEAL_PASSWORD= "$MODELSEAL" keygen -o none

# ---- refusing to overwrite ----------------------------------------------------------------------
cp ed.key ed.key.orig
cp ed.pub ed.pub.orig
check_fails "both files exist" 2 "ed.pub: already exists (use --force to replace it)" \
    ms keygen --no-password -o ed
check_file_eq "refused: secret key unchanged" ed.key ed.key.orig
check_file_eq "refused: public key unchanged" ed.pub ed.pub.orig
rm p256.pub
cp p256.key p256.key.orig
check_fails "only the secret key exists" 2 "p256.key: already exists" ms keygen --no-password -o p256
check_file_eq "refused: existing secret key unchanged" p256.key p256.key.orig
check_eq "refused: public key not written" "$(ls p256.pub 2>/dev/null | wc -l)" 0
printf 'keep me' >only.pub
check_fails "only the public key exists" 2 "only.pub: already exists" ms keygen --no-password -o only
check_eq "refused: secret key not written" "$(ls only.key 2>/dev/null | wc -l)" 0
check_eq "refused: public key untouched" "$(cat only.pub)" "keep me"
check_status "--force replaces both" 0 ms keygen --no-password --force -o ed
if cmp -s ed.key ed.key.orig || cmp -s ed.pub ed.pub.orig; then fail "--force: files unchanged"; else pass; fi
check_eq "--force: the new pair matches" "$($PY "$T/keyfile.py" ed)" "kdf=0 type=1 ops=0 mem=0 match=yes"
check_eq "--force: key mode" "$(mode ed.key)" 600
mkdir dir.key
check_fails "a directory in the way" 2 "dir.key: is a directory" ms keygen --no-password --force -o dir

# ---- --json -------------------------------------------------------------------------------------
check_status "keygen --json" 0 ms keygen --no-password --json --algorithm ecdsa-p256 -o js
check_eq "--json fields" "$($PY -c '
import json, sys
o = json.load(open(sys.argv[1]))
print(o["public_key"], o["secret_key"], o["algorithm"], o["hint"], o["encrypted"])' "$OUT")" \
    "js.pub js.key ecdsa-p256 $(sha256sum js.pub | cut -d' ' -f1) False"

# ---- usage --------------------------------------------------------------------------------------
check_fails "unknown --algorithm" 2 "--algorithm: expected ed25519" ms keygen --algorithm rsa --no-password -o x
check_fails "missing --output" 2 "missing --output PREFIX" ms keygen --no-password
check_fails "--no-password with --password-file" 2 "exclude each other" \
    ms keygen --no-password --password-file pass.txt -o x
check_fails "stray argument" 2 "unexpected argument 'extra'" ms keygen --no-password -o x extra
check_fails "unknown option" 2 "unknown option '--bogus'" ms keygen --bogus
check_eq "usage errors wrote nothing" "$(ls x.* 2>/dev/null | wc -l)" 0
check_status "--help" 0 ms keygen --help
if grep -q '^Usage: modelseal keygen' "$OUT"; then pass; else fail "--help text"; fi

finish
