#!/bin/sh
# Lineage in git (issue 8): `lineage record` on a commit that changes one model in a repository
# of 10,000 commits and 100,000 files (model signed, stored as Git LFS pointers: < 0.1 s; stored
# as blobs in git: <= 1.1 x `modelseal verify` of the same files checked out), and `lineage log`
# over the 10,000 commits (< 1 s), without notes (every commit read from its tree) and with a
# note on every commit. The repository is built with `git fast-import`.
# Knobs: COMMITS (10000), FILES (100000), BLOB_MIB (size of each of the 4 blob model files, 64).
. "$(dirname "$0")/common.sh"
echo "machine: $(nproc) CPUs, load average$(uptime | sed 's/.*load average//')"

COMMITS=${COMMITS:-10000}
FILES=${FILES:-100000}
BLOB_MIB=${BLOB_MIB:-64}
PY=/usr/bin/python3
export GIT_CONFIG_NOSYSTEM=1 HOME="$B"
git config --global user.name bench
git config --global user.email bench@example.com
git config --global init.defaultBranch main

"$MS" keygen --no-password --output "$B/k" >/dev/null
# The LFS model's real content (two versions) and their signatures; the repository holds
# pointer files and model.sig.
for v in 1 2; do
    mkdir -p "$B/lfs$v"
    for f in a b c; do head -c 1048576 /dev/urandom >"$B/lfs$v/$f.safetensors"; done
    "$MS" sign --key "$B/k.key" "$B/lfs$v" >/dev/null
    for f in a b c; do
        printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %s\n' \
            "$(sha256sum "$B/lfs$v/$f.safetensors" | cut -d' ' -f1)" 1048576 >"$B/ptr$v.$f"
    done
done
# The blob model (two versions), stored in git as it is.
for v in 1 2; do
    mkdir -p "$B/blob$v"
    for f in a b c d; do head -c $((BLOB_MIB << 20)) /dev/urandom >"$B/blob$v/$f.bin"; done
    "$MS" sign --key "$B/k.key" "$B/blob$v" >/dev/null
done
cp "$B/k.pub" "$B/release.pub"

R=$B/repo
git init -q "$R"
cd "$R"
echo "building: $COMMITS commits, $FILES files (git fast-import) ..."
start=$(date +%s.%N)
$PY - "$COMMITS" "$FILES" "$B" <<'PY' | git fast-import --quiet
import os, sys
commits, files, b = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
out = sys.stdout.buffer
mark = [0]
def blob(data):
    mark[0] += 1
    out.write(b"blob\nmark :%d\ndata %d\n" % (mark[0], len(data)))
    out.write(data)
    out.write(b"\n")
    return mark[0]
def file_blob(path):
    with open(path, "rb") as f:
        return blob(f.read())
cfg = blob(b'{"version": 1, "models": [{"path": "models/lfs", "key": "keys/release.pub"},'
           b' {"path": "models/blob", "key": "keys/release.pub"}]}')
key = file_blob(os.path.join(b, "release.pub"))
lfs = {v: {f: file_blob(os.path.join(b, "ptr%d.%s" % (v, f))) for f in "abc"} for v in (1, 2)}
lfs_sig = {v: file_blob(os.path.join(b, "lfs%d" % v, "model.sig")) for v in (1, 2)}
blobm = {v: {f: file_blob(os.path.join(b, "blob%d" % v, f + ".bin")) for f in "abcd"} for v in (1, 2)}
blob_sig = {v: file_blob(os.path.join(b, "blob%d" % v, "model.sig")) for v in (1, 2)}
small = [blob(b"file %d\n" % i) for i in range(100)]
def model(name, v, marks, sig):
    for f, m in marks[v].items():
        ext = "safetensors" if name == "lfs" else "bin"
        out.write(b"M 100644 :%d models/%s/%s.%s\n" % (m, name.encode(), f.encode(), ext.encode()))
    out.write(b"M 100644 :%d models/%s/model.sig\n" % (sig[v], name.encode()))
t = 1700000000
for i in range(commits):
    out.write(b"commit refs/heads/main\ncommitter bench <bench@example.com> %d +0000\n" % (t + i))
    out.write(b"data 8\nc%06d\n" % (i % 1000000))
    if i == 0:
        out.write(b"M 100644 :%d .modelseal.json\nM 100644 :%d keys/release.pub\n" % (cfg, key))
        model("lfs", 1, lfs, lfs_sig)
        model("blob", 1, blobm, blob_sig)
        for k in range(files):
            out.write(b"M 100644 :%d src/d%03d/f%06d.txt\n" % (small[k % 100], k % 1000, k))
    elif i == commits - 2:
        model("blob", 2, blobm, blob_sig)  # the blob model changes here
    elif i == commits - 1:
        model("lfs", 2, lfs, lfs_sig)  # the LFS model changes in the last commit
    else:
        k = (i * 7919) % files
        out.write(b"M 100644 :%d src/d%03d/f%06d.txt\n" % (small[(i + 1) % 100], k % 1000, k))
PY
git checkout -q main
echo "built in $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s:" \
    "$(git rev-list --count HEAD) commits, $(git ls-files | wc -l) files"

# record, LFS model (HEAD changes only models/lfs).
r=$(best_of 5 "$MS" lineage record --dry-run --quiet)
echo "lineage record, signed LFS model changed (HEAD):  ${r% *} s   (goal < 0.1 s)   peak RSS ${r#* } KiB"
"$MS" lineage record --print --dry-run | $PY -c 'import json,sys; n=json.load(sys.stdin); a=n["artifacts"]; assert [x["path"] for x in a]==["models/lfs"] and a[0]["signature"]=="valid", n'

# record, blob model (HEAD^ changes only models/blob) against verify of the checked-out files.
# Both take about 0.1 s, and /usr/bin/time counts in 10 ms steps: time 10 runs of each with the
# nanosecond clock, in five rounds (record, verify, record, verify, ...), and take the round
# with the median ratio. Peak RSS from one more run.
mean10() { # CMD...: mean wall seconds of 10 runs
    s=$(date +%s.%N)
    for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null; done
    awk -v s="$s" -v e="$(date +%s.%N)" 'BEGIN { printf "%.4f", (e - s) / 10 }'
}
rounds=""
for _ in 1 2 3 4 5; do
    rr=$(mean10 "$MS" lineage record --commit HEAD^ --dry-run --quiet)
    vv=$(mean10 "$MS" verify --key "$R/keys/release.pub" "$R/models/blob")
    rounds="$rounds $rr:$vv"
done
med=$(for x in $rounds; do
    awk -v r="${x%:*}" -v v="${x#*:}" 'BEGIN { printf "%.3f %s %s\n", r / v, r, v }'
done | sort -n | sed -n 3p)
all=$(for x in $rounds; do awk -v r="${x%:*}" -v v="${x#*:}" 'BEGIN { printf " %.3f", r / v }'; done)
r=$(time_cmd "$MS" lineage record --commit HEAD^ --dry-run --quiet)
bytes=$((4 * (BLOB_MIB << 20)))
set -- $med
echo "lineage record, signed blob model ($((bytes >> 20)) MiB) changed (HEAD^): $2 s (mean of 10)   peak RSS ${r#* } KiB"
echo "modelseal verify of the same files checked out:            $3 s (mean of 10)"
echo "ratio record / verify: $1   (median of 5 rounds:$all)   (goal <= 1.1)"
"$MS" lineage record --commit HEAD^ --print --dry-run | $PY -c 'import json,sys; n=json.load(sys.stdin); a=n["artifacts"]; assert [x["path"] for x in a]==["models/blob"] and a[0]["signature"]=="valid", n'

# log over the whole history without notes (every commit compared with its parent's tree).
r=$(best_of 3 "$MS" lineage log --json models/lfs)
n=$("$MS" lineage log --json models/lfs | $PY -c 'import json,sys; print(len(json.load(sys.stdin)))')
echo "lineage log over $COMMITS commits, no notes:    ${r% *} s   (goal < 1 s)   peak RSS ${r#* } KiB   ($n entries)"

# The same with a note on every commit (written with fast-import, as record would write them).
git rev-list HEAD | $PY -c '
import json, sys
out = sys.stdout.buffer
ids = sys.stdin.read().split()
out.write(b"commit refs/notes/modelseal\ncommitter bench <bench@example.com> 1800000000 +0000\ndata 5\nnotes\n")
for h in ids:
    note = json.dumps({"version": 1, "commit": h, "artifacts": []}, separators=(",", ":")).encode() + b"\n"
    out.write(b"N inline %s\ndata %d\n%s\n" % (h.encode(), len(note), note))
' | git fast-import --quiet
"$MS" lineage record --quiet
"$MS" lineage record --commit HEAD^ --quiet
"$MS" lineage record --commit "$(git rev-list --max-parents=0 HEAD)" --quiet
r=$(best_of 3 "$MS" lineage log --json models/lfs)
n=$("$MS" lineage log --json models/lfs | $PY -c 'import json,sys; l=json.load(sys.stdin); assert all(e["source"]=="note" for e in l), l; print(len(l))')
echo "lineage log over $COMMITS commits, all noted:   ${r% *} s   (goal < 1 s)   peak RSS ${r#* } KiB   ($n entries)"
r=$(best_of 3 "$MS" lineage find "$("$MS" digest "$B/lfs1")")
echo "lineage find over $COMMITS commits (notes + trees): ${r% *} s"
