#!/bin/sh
# A writer racing the verifier: while `verify` (or `dataset verify`) hashes a large file, it
# writes over the file's first bytes, which were already hashed, and puts the mtime back
# (futimens). The verifier must never report the file as signed while its content is no longer
# the signed content: ctime, which no one can set back, gives the writer away. (The dataset
# engine's one-read quick way for small files: tests/unit/test_hash.c, a deterministic writer.)
. "$(dirname "$0")/lib.sh"
set -e

ms keygen --no-password --output "$T/k" >/dev/null
M=$T/model
mkdir -p "$M"
head -c $((128 * 1024 * 1024)) /dev/urandom >"$M/big"
head -c 4096 "$M/big" >"$T/head"
ms sign --key "$T/k.key" "$M" >/dev/null
ms dataset manifest --name big --output "$T/big.dsm.jsonl.zst" "$M" >/dev/null

# racer PID FILE HEAD: once process PID has read 8 MiB (so FILE's first bytes are hashed), write
# the inverse of HEAD over FILE's start and put its mtime back; print "raced" if PID was still
# running afterwards (the write then happened while it was verifying), else "late".
racer() {
    $PY - "$@" <<'PY'
import os, sys, time
pid, path, head = sys.argv[1], sys.argv[2], open(sys.argv[3], "rb").read()
def alive():
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
def rchar():
    try:
        with open(f"/proc/{pid}/io") as f:
            return int(next(l for l in f if l.startswith("rchar")).split()[1])
    except (OSError, StopIteration):
        return -1
while alive() and rchar() < 8 << 20:
    time.sleep(0.0005)
st = os.stat(path)
fd = os.open(path, os.O_WRONLY)
os.pwrite(fd, bytes(b ^ 0xFF for b in head), 0)
os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
os.close(fd)
print("raced" if alive() else "late")
PY
}

# restore: the signed first bytes back, and the mtime the file had.
restore() {
    $PY - "$M/big" "$T/head" <<'PY'
import os, sys
st = os.stat(sys.argv[1])
fd = os.open(sys.argv[1], os.O_WRONLY)
os.pwrite(fd, open(sys.argv[2], "rb").read(), 0)
os.utime(fd, ns=(st.st_atime_ns, st.st_mtime_ns))
os.close(fd)
PY
}

# race DESCRIPTION CMD...: run CMD against the writer until 5 runs where the write landed while
# CMD was running (at most 30 tries); none of them may exit 0.
race() {
    local desc=$1 raced=0 tries=0 accepted=0 when
    shift
    while [ "$raced" -lt 5 ] && [ "$tries" -lt 30 ]; do
        tries=$((tries + 1))
        restore
        "$@" >"$OUT" 2>"$ERR" &
        pid=$!
        when=$(racer "$pid" "$M/big" "$T/head")
        set +e
        wait "$pid"
        STATUS=$?
        set -e
        [ "$when" = raced ] || continue
        raced=$((raced + 1))
        if [ "$STATUS" -eq 0 ]; then
            accepted=$((accepted + 1))
        elif [ "$STATUS" -ne 2 ] && [ "$STATUS" -ne 1 ]; then
            fail "$desc: exit $STATUS"
        fi
    done
    if [ "$raced" -eq 0 ]; then
        fail "$desc: the writer never wrote while the verifier ran ($tries tries)"
    elif [ "$accepted" -ne 0 ]; then
        fail "$desc: $accepted of $raced runs accepted a file changed while it was hashed"
    else
        pass
    fi
}

race "verify" "$MODELSEAL" verify --threads 1 --key "$T/k.pub" "$M"
grep -qF "big: changed while hashing" "$ERR" && pass || fail "verify: the error does not name the changed file"
race "dataset verify" "$MODELSEAL" dataset verify --threads 1 "$T/big.dsm.jsonl.zst" "$M"

restore
check_status "restored: verify" 0 ms verify --key "$T/k.pub" "$M"

finish
