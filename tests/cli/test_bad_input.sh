#!/bin/sh
# Bad input: exit 2 and one line naming the path and the cause, never a hang or a crash.
. "$(dirname "$0")/lib.sh"
set -e

M=$T/model
mkdir -p "$M/sub"
printf 'ok' >"$M/ok"

check_fails "missing path" 2 "$T/nope: No such file or directory" ms hash "$T/nope"
check_fails "--shard-size 0" 2 "--shard-size: expected a positive number" ms hash --method shards --shard-size 0 "$M"
check_fails "--shard-size garbage" 2 "--shard-size" ms hash --shard-size 12abc "$M"
check_fails "--threads 0" 2 "--threads: expected a number from 1 to 1024" ms hash --threads 0 "$M"
check_fails "--threads negative" 2 "--threads" ms digest --threads -1 "$M"
check_fails "--method unknown" 2 "--method: expected files or shards" ms hash --method blocks "$M"
check_fails "--algorithm unknown" 2 "--algorithm: expected sha256, blake2b or blake3" ms hash --algorithm md5 "$M"

mkfifo "$M/sub/fifo"
check_fails "FIFO inside the model" 2 "$M/sub/fifo: is a FIFO, not a regular file" timeout 10 "$MODELSEAL" hash "$M"
rm "$M/sub/fifo"
$PY -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$M/sock"
check_fails "socket inside the model" 2 "$M/sock: is a socket, not a regular file" ms hash "$M"
rm "$M/sock"
if mknod "$M/null" c 1 3 2>/dev/null; then
    check_fails "device inside the model" 2 "$M/null: is a character device" ms hash "$M"
    rm "$M/null"
fi
check_fails "FIFO as the model" 2 "is a FIFO" sh -c "mkfifo '$T/f' && timeout 10 '$MODELSEAL' hash '$T/f'"

ln -s ok "$M/link"
check_fails "symlink without --allow-symlinks" 2 "$M/link: is a symbolic link (use --allow-symlinks" ms hash "$M"
run ms hash --allow-symlinks "$M"
check_eq "allowed symlink inside the model" "$(grep '  link$' "$OUT" | cut -d' ' -f1)" \
    "$(printf ok | sha256sum | cut -d' ' -f1)"
rm "$M/link"
printf 'secret' >"$T/outside"
ln -s ../outside "$M/escape"
check_fails "symlink outside the model, allowed" 2 "$M/escape: symbolic link points outside the model" \
    ms hash --allow-symlinks "$M"
rm "$M/escape"
ln -s /proc/self/environ "$M/proc"
check_fails "symlink to /proc/self" 2 "points outside the model" ms hash --allow-symlinks "$M"
rm "$M/proc"
ln -s sub "$M/dirlink"
check_fails "symlink to a directory" 2 "$M/dirlink: symbolic link to a directory is not followed" \
    ms hash --allow-symlinks "$M"
check_fails "directory symlink, not allowed" 2 "$M/dirlink: is a symbolic link" ms hash "$M"
rm "$M/dirlink"
ln -s loop "$M/loop"
check_fails "symlink loop" 2 "$M/loop: cannot resolve symbolic link" ms hash --allow-symlinks "$M"
rm "$M/loop"

# Unreadable file: root reads everything through CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, so
# run without them (as root still: another user may not reach the build tree, e.g. under /root).
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null 2>&1; then
    U=$T/unreadable
    mkdir -p "$U"
    printf 'x' >"$U/locked"
    chmod 000 "$U/locked"
    check_fails "unreadable file" 2 "$U/locked: cannot open: Permission denied" \
        setpriv --bounding-set=-dac_override,-dac_read_search "$MODELSEAL" hash "$U"
fi

# Invalid names: not UTF-8, backslash.
N=$T/names
mkdir -p "$N"
touch "$N/$(printf 'bad\377name')"
check_fails "non-UTF-8 file name" 2 "file name is not valid UTF-8" ms hash "$N"
rm -f "$N"/*
touch "$N/back\\slash"
check_fails "backslash in a file name" 2 "file name contains a backslash" ms hash "$N"

# A file that changes while it is hashed: a sparse 2 GiB file hashed slowly with BLAKE2b on one
# thread, touched once the hasher holds it open (a fixed sleep raced a slow start: a sanitizer
# build or a loaded machine opened the file only after it had been written to).
C=$T/changing
mkdir -p "$C"
truncate -s 2G "$C/weights"
"$MODELSEAL" digest --threads 1 --buffer-size 65536 --algorithm blake2b "$C" >"$T/c.out" \
    2>"$T/c.err" &
pid=$!
i=0
until ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$C/weights"; do
    i=$((i + 1))
    [ $i -lt 2000 ] && kill -0 $pid 2>/dev/null || break
    sleep 0.01
done
sleep 0.1 # past the open's first fstat; the 2 GiB take seconds more
printf 'tamper' | dd of="$C/weights" bs=1 seek=5 conv=notrunc status=none
set +e
wait $pid
echo $? >"$T/c.status"
set -e
check_eq "file changed while hashing: exit 2" "$(cat "$T/c.status")" "2"
grep -q "$C/weights: changed while hashing (size 2147483648 -> 2147483648, mtime" "$T/c.err" && pass ||
    fail "file changed while hashing names the file: $(cat "$T/c.err")"

# The trusted-key loader the verifying commands share (--key PUB, repeatable): an unreadable
# key or a secret key is exit 2 naming the file; any one of the keys given may have signed.
K=$T/keyed
mkdir -p "$K/data"
printf 'weights' >"$K/w.bin"
printf 'rows' >"$K/data/rows.csv"
ms keygen --no-password --output "$T/right" >/dev/null
ms keygen --no-password --output "$T/wrong" >/dev/null
ms sign --key "$T/right.key" "$K" >/dev/null
ms dataset manifest --name rows --output "$T/rows.manifest.json" "$K/data" >/dev/null
ms dataset sign --key "$T/right.key" "$T/rows.manifest.json" >/dev/null
ms attest provenance --key "$T/right.key" --builder-id https://ci.example.com --no-git "$K" \
    >/dev/null
for cmd in verify "sbom --format cyclonedx" "attest list" "dataset verify"; do
    target=$K
    [ "$cmd" = "dataset verify" ] && target=$T/rows.manifest.json
    # shellcheck disable=SC2086
    check_fails "$cmd: unreadable --key" 2 "$T/absent.pub: " ms $cmd --key "$T/absent.pub" "$target"
    # shellcheck disable=SC2086
    check_fails "$cmd: a secret key as --key" 2 \
        "$T/right.key is a secret key; verifying needs the public key, e.g. $T/right.pub" \
        ms $cmd --key "$T/right.key" "$target"
    # shellcheck disable=SC2086
    check_status "$cmd: the second --key signed" 0 \
        ms $cmd --key "$T/wrong.pub" --key "$T/right.pub" "$target"
done
check_fails "verify: only another --key" 1 "does not verify with the trusted key" \
    ms verify --key "$T/wrong.pub" "$K"
# The message names the key tried and the key the bundle names (each one's hint, as verify's
# Signer line shows it).
hint_of() { ms verify --key "$1" "$2" | sed -n 's/^Signer: key //p'; }
ms sign --key "$T/wrong.key" --signature "$T/by-wrong.sig" "$K" >/dev/null
right_hint=$(hint_of "$T/right.pub" "$K")
wrong_hint=$(ms verify --key "$T/wrong.pub" --signature "$T/by-wrong.sig" "$K" | sed -n 's/^Signer: key //p')
[ ${#right_hint} -eq 64 ] && [ ${#wrong_hint} -eq 64 ] && pass || fail "key hints: '$right_hint' '$wrong_hint'"
check_fails "verify: another --key: both hints named" 1 \
    "with the trusted key $wrong_hint; the bundle names key $right_hint" \
    ms verify --key "$T/wrong.pub" "$K"
check_fails "verify: two other keys: both named" 1 \
    "with the trusted keys $wrong_hint, $wrong_hint; the bundle names key $right_hint" \
    ms verify --key "$T/wrong.pub" --key "$T/wrong.pub" "$K"
# A model with no signature where verify looks by default: say how to get one.
mkdir -p "$T/unsigned"
printf 'w' >"$T/unsigned/w.bin"
check_fails "verify: no model.sig" 2 \
    "$T/unsigned/model.sig: No such file or directory (sign the model first, or point to the signature with --signature)" \
    ms verify --key "$T/right.pub" "$T/unsigned"
check_fails "verify: no FILE.sig" 2 "$T/unsigned/w.bin.sig: No such file or directory (sign the model first" \
    ms verify --key "$T/right.pub" "$T/unsigned/w.bin"
check_fails "verify: a missing --signature" 2 "$T/none.sig: No such file or directory" \
    ms verify --key "$T/right.pub" --signature "$T/none.sig" "$T/unsigned"
grep -q 'sign the model first' "$ERR" && fail "--signature given: no advice to sign" || pass
# The other half of the pair where a secret key is needed: said so, with the likely file.
check_fails "sign: a public key as --key" 2 \
    "$T/right.pub is a public key; signing needs the secret key, e.g. $T/right.key" \
    ms sign --key "$T/right.pub" --signature "$T/nope.sig" "$K"
[ ! -e "$T/nope.sig" ] && pass || fail "sign with a public key wrote a signature"
openssl genpkey -algorithm ed25519 -out "$T/openssl.pem" 2>/dev/null
check_fails "verify: a PKCS#8 secret key as --key" 2 \
    "$T/openssl.pem is a secret key; verifying needs the public key (no readable" \
    ms verify --key "$T/openssl.pem" "$K"
check_fails "dataset verify: only another --key" 1 "does not verify with the trusted key" \
    ms dataset verify --key "$T/wrong.pub" "$T/rows.manifest.json"
check_status "attest list: only another --key" 0 ms attest list --key "$T/wrong.pub" "$K"
grep -q "^  signature: NOT verified: " "$OUT" && pass || fail "attest list: NOT verified line"
check_fails "sbom: only another --key" 1 "nothing written" \
    ms sbom --format cyclonedx --key "$T/wrong.pub" "$K"
finish
