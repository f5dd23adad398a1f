#!/bin/sh
# modelseal dataset manifest --partition, dataset merge, dataset verify --partition: a tree with
# empty directories, deep paths and non-ASCII names hashed as 1, 3 and 7 shares by parallel
# processes and merged, byte for byte (cmp) the manifest of one unpartitioned run; the shares
# and the path-list digest checked with Python's hashlib (an independent computation of the
# assignment SHA-256(path)[:8] mod N); every refusal of merge; --partition auto from Slurm's and
# Kubernetes' variables; a share verified, with its extra and missing files; 20,000 files.
. "$(dirname "$0")/lib.sh"
set -e
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN SLURM_ARRAY_TASK_MAX \
    JOB_COMPLETION_INDEX 2>/dev/null || true

D=$T/data
U=$(printf 'caf\303\251')
mkdir -p "$D/empty" "$D/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p" "$D/$U/$(printf '\346\227\245\346\234\254')" \
    "$D/also empty/inner" "$D/sub dir"
printf 'deep' >"$D/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/leaf"
printf 'accent' >"$D/$U/x.txt"
printf 'kanji' >"$D/$U/$(printf '\346\227\245\346\234\254')/$(printf '\360\237\231\202').bin"
printf '' >"$D/zero"
printf 'quote' >"$D/sub dir/we\"ird"
i=0
while [ $i -lt 30 ]; do
    printf 'file %s' $i >"$D/f$i"
    i=$((i + 1))
done
cd "$T"
check_status "single-host manifest" 0 ms dataset manifest --name t --threads 1 --output "$T/single.dsm.jsonl.zst" "$D"

# check_shares: Python checks every part of T/pN for N = 1, 3, 7: header members, its paths in
# its share, the paths count and digest of the whole tree.
check_shares() {
    $PY - "$T" "$D" <<'PY'
import hashlib, json, os, subprocess, sys
top, root = sys.argv[1], sys.argv[2]
allp = []
for d, dirs, files in os.walk(root):
    rel = os.path.relpath(d, root)
    allp += [f if rel == "." else rel + "/" + f for f in files]
allp = sorted(p.encode() for p in allp)
pd = hashlib.sha256(b"".join(p + b"\0" for p in allp)).hexdigest()
for n in (1, 3, 7):
  pdir, seen = f"{top}/p{n}", []
  for i in range(n):
    raw = subprocess.run(["zstd", "-q", "-dc", f"{pdir}/t.part-{i}-of-{n}.dsm.jsonl.zst"],
                         check=True, capture_output=True).stdout
    lines = raw.split(b"\n")[:-1]
    h = json.loads(lines[0])
    assert list(h)[-3:] == ["partition", "paths", "paths_digest"], list(h)
    assert h["partition"] == [i, n] and h["paths"] == len(allp), h
    assert h["paths_digest"] == "sha256:" + pd, h
    for l in lines[1:]:
        p = json.loads(l)["path"].encode()
        assert int.from_bytes(hashlib.sha256(p).digest()[:8], "big") % n == i, (p, i, n)
        seen.append(p)
  assert sorted(seen) == allp, n
PY
}

for N in 1 3 7; do
    mkdir "$T/p$N"
    i=0
    while [ $i -lt $N ]; do # the shares in parallel, each its own process
        (
            cd "$T/p$N" || exit 1
            st=0
            ms dataset manifest --name t --threads 1 --partition $i/$N "$D" >"out$i" 2>&1 || st=$?
            echo $st >"rc$i"
        ) &
        i=$((i + 1))
    done
    wait
    i=0 rcs=""
    while [ $i -lt $N ]; do
        rcs="$rcs$(cat "$T/p$N/rc$i" 2>/dev/null || echo x)"
        i=$((i + 1))
    done
    check_eq "$N shares: exit statuses" "$rcs" "$(printf '%0*d' $N 0)"
    grep -q "^Wrote ./t.part-0-of-$N.dsm.jsonl.zst: part 0 of $N of dataset t, " "$T/p$N/out0" && pass || fail "$N shares: summary $(cat "$T/p$N/out0")"
    # Merged from the parts in reverse order: the order given does not matter.
    set --
    for f in "$T/p$N"/t.part-*; do set -- "$f" "$@"; done
    check_status "$N shares: merge" 0 ms dataset merge --output "$T/merged$N.dsm.jsonl.zst" "$@"
    check_file_eq "$N shares: merged = single-host, byte for byte" "$T/merged$N.dsm.jsonl.zst" "$T/single.dsm.jsonl.zst"
    check_eq "$N shares: merge prints the root" "$(tail -n 1 "$OUT")" "$(ms dataset verify "$T/single.dsm.jsonl.zst" | sed 's/.*root //')"
done
check_shares && pass || fail "Python's view of the parts"
check_status "the merged manifest verifies against the tree" 0 ms dataset verify "$T/merged7.dsm.jsonl.zst" "$D"

# ---- refusals (exit 2, naming the part; no output) ---------------------------------------------
P=$T/p3
M=$T/refused.dsm.jsonl.zst
refuse() { # DESCRIPTION STDERR_TEXT PART...
    local desc=$1 text=$2
    shift 2
    check_fails "merge refuses $desc" 2 "$text" ms dataset merge --output "$M" "$@"
    [ ! -e "$M" ] && pass || fail "merge refusing $desc left $M"
}
mkdir "$T/x"
ms dataset manifest --name t --version 2 --threads 1 --partition 1/3 --output "$T/x/version.zst" "$D" >/dev/null
refuse "another dataset" "$T/x/version.zst: a part of another dataset than $P/t.part-0-of-3.dsm.jsonl.zst (their \"version\" differs)" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/x/version.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
ms dataset manifest --name t --algorithm blake3 --threads 1 --partition 1/3 --output "$T/x/b3.zst" "$D" >/dev/null
refuse "another algorithm" "$T/x/b3.zst: algorithm blake3, but $P/t.part-0-of-3.dsm.jsonl.zst's is sha256" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/x/b3.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
refuse "another N" "$T/p7/t.part-1-of-7.dsm.jsonl.zst: part 1 of 7, but $P/t.part-0-of-3.dsm.jsonl.zst is part 0 of 3" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/p7/t.part-1-of-7.dsm.jsonl.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
refuse "a missing index" "part 1 of 3 is missing (2 parts given, none of them part 1)" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
refuse "a duplicated index" "$P/t.part-2-of-3.dsm.jsonl.zst: part 2 of 3 again ($P/t.part-2-of-3.dsm.jsonl.zst is part 2 too)" \
    "$P/t.part-2-of-3.dsm.jsonl.zst" "$P/t.part-0-of-3.dsm.jsonl.zst" "$P/t.part-1-of-3.dsm.jsonl.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
# The dataset changed between two workers' walks: two files more.
printf 'new' >"$D/new1"
printf 'new' >"$D/$U/new2"
ms dataset manifest --name t --threads 1 --partition 1/3 --output "$T/x/later.zst" "$D" >/dev/null
rm "$D/new1" "$D/$U/new2"
refuse "walks that saw different paths" "$T/x/later.zst: its walk saw other paths than $P/t.part-0-of-3.dsm.jsonl.zst's (37 paths against 35: at least 2 differ); the dataset changed while it was being hashed" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/x/later.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
# A path in two parts: part 1 with one of part 0's lines added (counts and root made right).
$PY - "$P/t.part-0-of-3.dsm.jsonl.zst" "$P/t.part-1-of-3.dsm.jsonl.zst" "$T/x/two.jsonl" <<'PY'
import hashlib, json, re, subprocess, sys
dc = lambda f: subprocess.run(["zstd", "-q", "-dc", f], check=True, capture_output=True).stdout.split(b"\n")[:-1]
p0, p1 = dc(sys.argv[1]), dc(sys.argv[2])
lines = sorted(p1[1:] + [p0[1]], key=lambda l: json.loads(l)["path"].encode())
es = [json.loads(l) for l in lines]
root = hashlib.sha256(b"".join(bytes.fromhex(e["digest"]) for e in es)).hexdigest()
h = p1[0].decode()
h = re.sub(r'"files":\d+,"bytes":\d+,"root_digest":"sha256:[0-9a-f]+"',
           f'"files":{len(es)},"bytes":{sum(e["size"] for e in es)},"root_digest":"sha256:{root}"', h)
open(sys.argv[3], "wb").write(h.encode() + b"\n" + b"".join(l + b"\n" for l in lines))
PY
zstd -q "$T/x/two.jsonl" -o "$T/x/two.zst"
DUP=$(zstd -q -dc "$P/t.part-0-of-3.dsm.jsonl.zst" | sed -n '2s/{"path":"\([^"]*\)".*/\1/p')
refuse "a path in two parts" "\"$DUP\" is in two parts: $P/t.part-0-of-3.dsm.jsonl.zst and $T/x/two.zst" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/x/two.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
# remake OUT PART DROP [FROM LINE]: PART without its line DROP (0: none), with line LINE of FROM
# added, its counts and root made right (line 1 is the header).
remake() {
    $PY - "$@" <<'PY'
import hashlib, json, re, subprocess, sys
dc = lambda f: subprocess.run(["zstd", "-q", "-dc", f], check=True, capture_output=True).stdout.split(b"\n")[:-1]
out, part, drop = sys.argv[1], dc(sys.argv[2]), int(sys.argv[3])
lines = [l for i, l in enumerate(part) if i and i + 1 != drop]
if len(sys.argv) > 4:
    lines.append(dc(sys.argv[4])[int(sys.argv[5]) - 1])
lines.sort(key=lambda l: json.loads(l)["path"].encode())
es = [json.loads(l) for l in lines]
root = hashlib.sha256(b"".join(bytes.fromhex(e["digest"]) for e in es)).hexdigest()
h = re.sub(r'"files":\d+,"bytes":\d+,"root_digest":"sha256:[0-9a-f]+"',
           f'"files":{len(es)},"bytes":{sum(e["size"] for e in es)},"root_digest":"sha256:{root}"',
           part[0].decode())
open(out + ".jsonl", "wb").write(h.encode() + b"\n" + b"".join(l + b"\n" for l in lines))
subprocess.run(["zstd", "-q", "-f", out + ".jsonl", "-o", out], check=True)
PY
}
# Part 0's first file moved to part 1: the union is the walks' list, but not share by share.
remake "$T/x/moved0.zst" "$P/t.part-0-of-3.dsm.jsonl.zst" 2
remake "$T/x/moved1.zst" "$P/t.part-1-of-3.dsm.jsonl.zst" 0 "$P/t.part-0-of-3.dsm.jsonl.zst" 2
refuse "a path outside its share" "$T/x/moved1.zst: \"$DUP\" is not in its share (part 1 of 3)" \
    "$T/x/moved0.zst" "$T/x/moved1.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
# A file left out of part 1 (its counts and root made right): the union is not the walks' list.
remake "$T/x/short1.zst" "$P/t.part-1-of-3.dsm.jsonl.zst" 2
refuse "parts that list fewer files than the walks saw" \
    "the parts list 34 files together, but their walks saw 35 paths (at least 1 differ; $P/t.part-0-of-3.dsm.jsonl.zst and the others)" \
    "$P/t.part-0-of-3.dsm.jsonl.zst" "$T/x/short1.zst" "$P/t.part-2-of-3.dsm.jsonl.zst"
refuse "a whole manifest" "$T/single.dsm.jsonl.zst: line 1: expected \"partition\":[I,N] after \"root_digest\"" \
    "$T/single.dsm.jsonl.zst"
check_fails "a part is not a manifest to verify" 2 "a partial manifest (one share of 'dataset manifest --partition'): merge all the parts with 'modelseal dataset merge'" \
    ms dataset verify "$P/t.part-0-of-3.dsm.jsonl.zst"
check_fails "--partition 3/3" 2 "--partition '3/3': expected I/N with 0 <= I < N" ms dataset manifest --name t --partition 3/3 "$D"
for bad in 1/0 x/3 1 01/3 1/65537 /3 1/; do
    check_fails "--partition $bad" 2 "--partition '$bad': expected I/N" \
        ms dataset manifest --name t --partition "$bad" "$D"
done
check_fails "--partitions without --partition auto" 2 "--partitions goes with --partition auto" \
    ms dataset manifest --name t --partitions 3 "$D"
check_fails "--partitions 0" 2 "--partitions 0: expected a number from 1 to 65536" \
    ms dataset manifest --name t --partition auto --partitions 0 "$D"
check_fails "--partitions disagreeing with --partition I/N" 2 "--partitions 4 disagrees with --partition 1/3" \
    ms dataset manifest --name t --partition 1/3 --partitions 4 "$D"
check_fails "merge without --output" 2 "--output is required" ms dataset merge "$P/t.part-0-of-3.dsm.jsonl.zst"

# ---- --partition auto ---------------------------------------------------------------------------
auto() { # DESCRIPTION STDERR_TEXT WANT_PART EXTRA_OPTIONS ENV...
    local desc=$1 text=$2 want=$3 extra=$4
    shift 4
    rm -rf "$T/auto" && mkdir "$T/auto"
    check_status "--partition auto: $desc" 0 sh -c 'cd "$1" && shift && exec "$@"' sh "$T/auto" \
        env "$@" "$MODELSEAL" dataset manifest --name t --threads 1 --partition auto $extra "$D"
    grep -qF -- "$text" "$ERR" && pass || fail "--partition auto: $desc: says $(cat "$ERR")"
    check_file_eq "--partition auto: $desc: the part" "$T/auto/t.part-$want.dsm.jsonl.zst" "$T/p${want##*-}/t.part-$want.dsm.jsonl.zst"
}
auto "Slurm ID and COUNT" "partition 1 of 3 from SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT" 1-of-3 "" \
    SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=3
auto "Slurm ID, MIN and MAX" "partition 5 of 7 from SLURM_ARRAY_TASK_ID, SLURM_ARRAY_TASK_MIN and SLURM_ARRAY_TASK_MAX" 5-of-7 "" \
    SLURM_ARRAY_TASK_ID=6 SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_MAX=7
auto "Kubernetes JOB_COMPLETION_INDEX" "partition 2 of 3 from JOB_COMPLETION_INDEX and --partitions" 2-of-3 "--partitions 3" \
    JOB_COMPLETION_INDEX=2
check_fails "auto: JOB_COMPLETION_INDEX without --partitions" 2 "needs --partitions N" \
    env JOB_COMPLETION_INDEX=2 "$MODELSEAL" dataset manifest --name t --partition auto "$D"
check_fails "auto: no engine" 2 "none of SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX" \
    ms dataset manifest --name t --partition auto "$D"
check_fails "auto: a task outside the array" 2 "SLURM_ARRAY_TASK_ID=3 is outside the array" \
    env SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=3 "$MODELSEAL" dataset manifest --name t --partition auto "$D"
auto_fails() { # DESCRIPTION STDERR_TEXT ENV...
    local desc=$1 text=$2
    shift 2
    check_fails "auto: $desc" 2 "$text" env "$@" "$MODELSEAL" dataset manifest --name t --partition auto "$D"
}
auto_fails "MAX below MIN" "SLURM_ARRAY_TASK_MAX=2 is below SLURM_ARRAY_TASK_MIN=3" \
    SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_MIN=3 SLURM_ARRAY_TASK_MAX=2
auto_fails "COUNT other than MAX-MIN+1" "the job array 0-6 has 4 tasks, not consecutive (SLURM_ARRAY_TASK_COUNT=4)" \
    SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=6 SLURM_ARRAY_TASK_COUNT=4
auto_fails "ID alone" "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor" \
    SLURM_ARRAY_TASK_ID=1
auto_fails "ID and MIN without MAX" "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor" \
    SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0
auto_fails "a non-numeric ID" "SLURM_ARRAY_TASK_ID=one is not a number" \
    SLURM_ARRAY_TASK_ID=one SLURM_ARRAY_TASK_COUNT=3
auto_fails "a non-numeric JOB_COMPLETION_INDEX" "JOB_COMPLETION_INDEX=-1 is not a number" \
    JOB_COMPLETION_INDEX=-1

# ---- dataset verify --partition ----------------------------------------------------------------
check_status "verify --partition 1/3" 0 ms dataset verify --partition 1/3 "$T/single.dsm.jsonl.zst" "$D"
check_eq "verify --partition 1/3 hashes only its share" "$(tail -n 1 "$OUT")" \
    "Data: share 1 of 3 of $D matches ($(($(zstd -q -dc "$P/t.part-1-of-3.dsm.jsonl.zst" | wc -l) - 1)) files hashed)"
# An extra file in share 0 and a missing one of share 1 (shares by Python's hashlib).
set -- $($PY -c '
import hashlib
share = lambda p: int.from_bytes(hashlib.sha256(p.encode()).digest()[:8], "big") % 3
print(next(p for p in ("x%d" % i for i in range(99)) if share(p) == 0),
      next(p for p in ("f%d" % i for i in range(30)) if share(p) == 1))')
EXTRA=$1 GONE=$2
printf 'extra' >"$D/$EXTRA"
rm "$D/$GONE"
check_fails "verify --partition 0/3 finds the extra file" 1 "extra:   $EXTRA" ms dataset verify --partition 0/3 "$T/single.dsm.jsonl.zst" "$D"
grep -q "^  missing:" "$ERR" && fail "share 0 reports share 1's missing file" || pass
check_fails "verify --partition 1/3 finds the missing file" 1 "missing: $GONE" ms dataset verify --partition 1/3 "$T/single.dsm.jsonl.zst" "$D"
grep -q "^  extra:" "$ERR" && fail "share 1 reports share 0's extra file" || pass
check_status "verify --partition 2/3: its share is intact" 0 ms dataset verify --partition 2/3 "$T/single.dsm.jsonl.zst" "$D"
check_fails "verify --partition without DIR" 2 "--partition checks a share of DIR" ms dataset verify --partition 2/3 "$T/single.dsm.jsonl.zst"

# ---- 20,000 files, 3 shares (normal run only: the sanitizer run has checked the same code on
# the small tree, and the bytes cannot differ between the builds) -------------------------------
if [ "$SANITIZED" = 1 ]; then
    echo "20,000 files: checked in the normal run"
    finish
    exit
fi
# In memory when the machine has a tmpfs at /dev/shm: creating 20,000 files on a busy disk takes
# far longer than hashing them.
BIG=$T/big
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    SHM=$(mktemp -d /dev/shm/modelseal-test.XXXXXX)
    trap 'rm -rf "$SHM"; chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
    BIG=$SHM/big
fi
$PY - "$BIG" <<'PY'
import os, sys
for d in range(20):
    dd = f"{sys.argv[1]}/d{d:02}"
    os.makedirs(dd)
    for f in range(1000):
        fd = os.open(f"{dd}/{f}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, b"%d" % (d * 1000 + f))
        os.close(fd)
PY
ms dataset manifest --name big --output "$T/big.dsm.jsonl.zst" "$BIG" >/dev/null &
for i in 0 1 2; do
    ms dataset manifest --name big --threads 1 --partition $i/3 --output "$T/big.part-$i.zst" "$BIG" >/dev/null &
done
wait
check_status "20,000 files: merge" 0 ms dataset merge --output "$T/bigm.dsm.jsonl.zst" "$T/big.part-2.zst" "$T/big.part-0.zst" "$T/big.part-1.zst"
grep -q "20000 files" "$OUT" && pass || fail "20,000 files: $(head -n 1 "$OUT")"
check_file_eq "20,000 files: merged = single-host" "$T/bigm.dsm.jsonl.zst" "$T/big.dsm.jsonl.zst"
finish
