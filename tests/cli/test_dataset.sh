#!/bin/sh
# modelseal dataset manifest | sign | verify, checked against independent tools: the zstd
# command, sha256sum and b2sum, Python's sorted() on UTF-8 bytes, modelseal digest, and the
# securesystemslib DSSE verifier. Then tampering (exit 1) and malformed manifests (exit 2). A
# dataset has no names skipped whatever they are: its model.sig, claims.jsonl and .git are data
# unless --ignore says otherwise.
. "$(dirname "$0")/lib.sh"
set -e

D=$T/data
mkdir -p "$D/cat" "$D/a" "$D/.git" "$D/sub dir"
printf 'hello' >"$D/a.txt"
printf 'x' >"$D/a/b"
printf 'meow' >"$D/cat/1.jpg"
printf 'z' >"$D/z.txt"
printf '' >"$D/empty"
printf 'accent' >"$D/caf$(printf '\303\251').txt"
printf 'quote' >"$D/sub dir/we\"ird"
printf 'is data' >"$D/.git/HEAD"
printf 'is data' >"$D/model.sig"
printf 'is data' >"$D/claims.jsonl"
ms keygen --no-password --output "$T/ed" >/dev/null
ms keygen --no-password --output "$T/other" >/dev/null

cd "$T"
check_status "manifest" 0 ms dataset manifest --name imgs --version 1.0 --source https://example.com/imgs --license CC-BY-4.0 "$D"
[ -s "$T/imgs.dsm.jsonl.zst" ] && pass || fail "default output ./NAME.dsm.jsonl.zst"
ROOT=$(tail -n 1 "$OUT")
grep -q "^Wrote ./imgs.dsm.jsonl.zst: dataset imgs, 10 files, 43 bytes$" "$OUT" && pass || fail "summary line: $(head -n 1 "$OUT")"

# Independent checks: zstd decompresses it; the lines are what sha256sum, sorted() and the
# header say.
zstd -q -dc "$T/imgs.dsm.jsonl.zst" >"$T/imgs.jsonl" && pass || fail "zstd -dc"
check_independent() { # MANIFEST.jsonl DIR SUMTOOL ALGORITHM ROOT
    $PY - "$@" <<'PY'
import hashlib, json, os, subprocess, sys
text_path, root_dir, tool, alg, root = sys.argv[1:6]
raw = open(text_path, "rb").read()
assert raw.endswith(b"\n"), "last line without newline"
lines = raw.split(b"\n")[:-1]
header = json.loads(lines[0])
assert list(header) == ["_type", "name", "version", "source", "license", "ignore", "algorithm", "files", "bytes", "root_digest"], list(header)
ignore = header["ignore"]
assert ignore == sorted(set(ignore), key=lambda p: p.encode("utf-8")), ignore
assert header["_type"] == "https://modelseal/dataset-manifest/v1"
assert header["algorithm"] == alg and header["root_digest"] == root, header
entries = [json.loads(l) for l in lines[1:]]
for e in entries:
    assert list(e) == ["path", "size", "digest"], list(e)
paths = [e["path"] for e in entries]
assert paths == sorted(paths, key=lambda p: p.encode("utf-8")), paths
assert len(set(paths)) == len(paths)
# Every regular file under the root except the header's ignore list (and the manifests).
found = []
for d, dirs, files in os.walk(root_dir):
    rel = os.path.relpath(d, root_dir)
    for f in files:
        p = f if rel == "." else rel + "/" + f
        if not any(p == i or p.startswith(i + "/") for i in ignore) and not p.endswith(".dsm.jsonl.zst"):
            found.append(p)
assert sorted(found) == sorted(paths), (found, paths)
rootd = hashlib.sha256()
for e in entries:
    out = subprocess.run([tool, "--", os.path.join(root_dir, e["path"])], capture_output=True, check=True).stdout
    want = out.split(b" ")[0].decode().lstrip("\\")
    assert e["digest"] == want, (e["path"], e["digest"], want)
    assert e["size"] == os.path.getsize(os.path.join(root_dir, e["path"]))
    rootd.update(bytes.fromhex(e["digest"]))
assert "sha256:" + rootd.hexdigest() == root
assert header["files"] == len(entries) and header["bytes"] == sum(e["size"] for e in entries)
print(header["name"], header["version"], header["source"], header["license"], ignore, len(entries))
PY
}
run check_independent "$T/imgs.jsonl" "$D" sha256sum sha256 "$ROOT"
check_eq "header, order, sha256sum digests, root (python)" "$(cat "$OUT")" "imgs 1.0 https://example.com/imgs CC-BY-4.0 [] 10"
[ "$STATUS" -eq 0 ] || sed 's/^/  /' "$ERR" >&2
head -n 1 "$T/imgs.jsonl" | grep -qF '"license":"CC-BY-4.0","ignore":[],"algorithm":"sha256",' && pass || fail "no --ignore: \"ignore\":[] after \"license\""
head -n 2 "$T/imgs.jsonl" | tail -n 1 | grep -qF '{"path":".git/HEAD","size":7,' && pass || fail ".git/HEAD is data, the first file line"
grep -A 1 -F '{"path":"a.txt","size":5,"digest":"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"}' "$T/imgs.jsonl" | tail -n 1 | grep -qF '{"path":"a/b",' && pass || fail "a.txt comes before a/b"
grep -qF '{"path":"claims.jsonl","size":7,' "$T/imgs.jsonl" && grep -qF '{"path":"model.sig","size":7,' "$T/imgs.jsonl" && pass || fail "claims.jsonl and model.sig are data"
grep -qF '{"path":"sub dir/we\"ird","size":5,' "$T/imgs.jsonl" && pass || fail "a quote in a path is escaped"

# Deterministic: the same data and options give the same bytes.
ms dataset manifest --name imgs --version 1.0 --source https://example.com/imgs --license CC-BY-4.0 --threads 1 --output "$T/again.zst" "$D" >/dev/null
zstd -q -dc "$T/again.zst" >"$T/again.jsonl"
check_file_eq "two runs are byte-identical" "$T/again.jsonl" "$T/imgs.jsonl"

# BLAKE2b: per-file digests equal b2sum's; the root equals modelseal digest --algorithm blake2b.
check_status "manifest --algorithm blake2b" 0 ms dataset manifest --name b2 --algorithm blake2b --output "$T/b2.zst" "$D"
B2ROOT=$(tail -n 1 "$OUT")
zstd -q -dc "$T/b2.zst" >"$T/b2.jsonl"
run check_independent "$T/b2.jsonl" "$D" b2sum blake2b "$B2ROOT"
check_eq "b2sum digests (python)" "$(cat "$OUT")" "b2 None None None [] 10"

# --ignore: recorded in the header, byte-sorted, each once (./drop.me and drop.me are one path);
# the root equals modelseal digest with the same ignores and the git paths hashed.
printf 'dropped' >"$D/drop.me"
check_status "manifest --ignore" 0 ms dataset manifest --name ign --ignore drop.me --ignore "$D/cat/1.jpg" \
    --ignore model.sig --ignore claims.jsonl --ignore ./drop.me --ignore .git --output "$T/ign.zst" "$D"
check_eq "--ignore root equals digest --no-ignore-git-paths --ignore" "$(tail -n 1 "$OUT")" \
    "$(ms digest --no-ignore-git-paths --ignore drop.me --ignore cat/1.jpg --ignore .git "$D")"
zstd -q -dc "$T/ign.zst" >"$T/ign.jsonl"
tail -n +2 "$T/ign.jsonl" | grep -q '"drop.me"\|"cat/1.jpg"\|"model.sig"\|"claims.jsonl"\|".git/' && fail "ignored paths listed" || pass
head -n 1 "$T/ign.jsonl" | grep -qF '"license":null,"ignore":[".git","cat/1.jpg","claims.jsonl","drop.me","model.sig"],"algorithm"' && pass ||
    fail "the ignore list in the header: $(head -n 1 "$T/ign.jsonl")"
run check_independent "$T/ign.jsonl" "$D" sha256sum sha256 "$(ms digest --no-ignore-git-paths --ignore drop.me --ignore cat/1.jpg --ignore .git "$D")"
check_eq "--ignore: every other file listed (python)" "$(cat "$OUT")" "ign None None None ['.git', 'cat/1.jpg', 'claims.jsonl', 'drop.me', 'model.sig'] 6"
# verify applies the manifest's list, and only it: the ignored files may change or go.
printf 'changed' >"$D/drop.me"
check_status "verify applies the manifest's ignore list" 0 ms dataset verify "$T/ign.zst" "$D"
grep -q "^Data: $D matches (6 files hashed)$" "$OUT" && pass || fail "ignore list verify output: $(cat "$OUT")"
check_fails "dataset verify takes no --ignore" 2 "--ignore: dataset verify leaves out exactly what the manifest's \"ignore\" list names" \
    ms dataset verify --ignore z.txt "$T/ign.zst" "$D"
check_fails "an --ignore with .." 2 "ignore path must be a relative path" \
    ms dataset manifest --name n --ignore ../x --output "$T/dotdot-ign.zst" "$D"

rm "$D/drop.me"

# The output inside the dataset is left out.
check_status "manifest written inside DIR" 0 ms dataset manifest --name in --output "$D/in.dsm.jsonl.zst" "$D"
check_eq "an output inside DIR is not part of it" "$(tail -n 1 "$OUT")" "$ROOT"
check_status "verify with the manifest inside DIR" 0 ms dataset verify "$D/in.dsm.jsonl.zst" "$D"
rm "$D/in.dsm.jsonl.zst"

# Sign, verify; the independent DSSE verifier accepts the signature.
M=$T/imgs.dsm.jsonl.zst
check_status "sign" 0 ms dataset sign --key "$T/ed.key" "$M"
[ -s "$M.sig" ] && pass || fail "default signature MANIFEST.sig"
check_status "verify --key" 0 ms dataset verify --key "$T/ed.pub" "$M"
check_status "verify --key with DIR" 0 ms dataset verify --key "$T/ed.pub" "$M" "$D"
grep -q "^Data: $D matches (10 files hashed)$" "$OUT" && pass || fail "verify DIR output"
run $PY "$SRCDIR/tests/interop/dsse_verify.py" --any-predicate "$M.sig" "$T/ed.pub"
if [ "$STATUS" -eq 77 ]; then echo "SKIP: securesystemslib missing"; else check_eq "dsse_verify.py accepts the dataset signature" "$STATUS" 0; fi
STMT=$($PY -c "
import json, base64, sys, hashlib, subprocess
b = json.load(open(sys.argv[1]))
s = json.loads(base64.b64decode(b['dsseEnvelope']['payload']))
raw = subprocess.run(['zstd', '-q', '-dc', sys.argv[2]], capture_output=True, check=True).stdout
p = s['predicate']
assert p['manifest_digest'] == {'sha256': hashlib.sha256(raw).hexdigest()}, p
assert list(p) == ['name', 'version', 'source', 'license', 'algorithm', 'files', 'bytes', 'manifest_digest'], list(p)
print(s['subject'][0]['name'], 'sha256:' + s['subject'][0]['digest']['sha256'], s['predicateType'], p['files'], p['bytes'], p['license'])
" "$M.sig" "$M")
check_eq "statement: subject, predicate, manifest_digest = SHA-256 of zstd -dc" "$STMT" "imgs $ROOT https://modelseal/dataset-manifest/v1 10 43 CC-BY-4.0"
check_fails "another key" 1 "$M.sig" ms dataset verify --key "$T/other.pub" "$M"
check_fails "--signature without --key" 2 "--signature goes with --key" ms dataset verify --signature "$M.sig" "$M"

# The data changed, a file added, a file removed: exit 1 naming each.
cp -r "$D" "$T/data2"
printf 'HELLO' >"$T/data2/a.txt"
check_fails "a changed file" 1 "1 changed" ms dataset verify --key "$T/ed.pub" "$M" "$T/data2"
grep -qx "  changed: a.txt" "$ERR" && pass || fail "changed file named"
printf 'hello' >"$T/data2/a.txt"
printf 'new' >"$T/data2/cat/3.jpg"
check_fails "an added file" 1 "1 extra" ms dataset verify --key "$T/ed.pub" "$M" "$T/data2"
grep -qx "  extra:   cat/3.jpg" "$ERR" && pass || fail "extra file named"
rm "$T/data2/cat/3.jpg"
# Names a model's walk skips mean nothing in a dataset: a claims.jsonl or a .github/ added to
# it is loaded by glob("*.jsonl") or find_classes like any other file, and is extra.
printf '{"text":"poison"}\n' >"$T/data2/poison.jsonl"
mkdir "$T/data2/.github"
printf 'x\n' >"$T/data2/.github/cat.txt"
printf '{"text":"poison"}\n' >"$T/data2/claims.jsonl"
check_fails "model-only names added to or changed in a dataset" 1 "2 extra, 1 changed" \
    ms dataset verify --key "$T/ed.pub" "$M" "$T/data2"
check_eq "each named" "$(grep '^  ' "$ERR" | tr '\n' '|')" "  extra:   .github/cat.txt|  changed: claims.jsonl|  extra:   poison.jsonl|"
grep -q "^Data:" "$OUT" && fail "data reported as matching" || pass
rm -r "$T/data2/poison.jsonl" "$T/data2/.github"
printf 'is data' >"$T/data2/claims.jsonl"
rm "$T/data2/cat/1.jpg"
check_fails "a removed file" 1 "1 missing" ms dataset verify --key "$T/ed.pub" "$M" "$T/data2"
grep -qx "  missing: cat/1.jpg" "$ERR" && pass || fail "missing file named"

# Label poisoning: cat/1.jpg renamed chien/1.jpg in the manifest, order kept. The manifest is
# self-consistent and the root is unchanged, but the signed manifest_digest no longer matches.
sed 's#"path":"cat/1.jpg"#"path":"chien/1.jpg"#' "$T/imgs.jsonl" >"$T/poison.jsonl"
$PY -c "
import sys, json
paths = [json.loads(l)['path'] for l in open(sys.argv[1], 'rb').read().split(b'\n')[1:-1]]
assert 'chien/1.jpg' in paths and paths == sorted(paths, key=lambda p: p.encode()), paths
" "$T/poison.jsonl" && pass || fail "the poisoned manifest keeps its order"
zstd -q -c "$T/poison.jsonl" >"$T/poison.zst"
cp "$M.sig" "$T/poison.zst.sig"
check_status "the poisoned manifest is well formed" 0 ms dataset verify "$T/poison.zst"
check_eq "its root is unchanged" "$(grep -o 'root sha256:[0-9a-f]*' "$OUT")" "root $ROOT"
check_fails "the signature catches the renamed label" 1 "manifest_digest: signed sha256:" ms dataset verify --key "$T/ed.pub" "$T/poison.zst"
# With DIR the manifest is read once, data and all; the signature still decides first: the
# data (a chien/1.jpg the poisoned manifest names, a cat/1.jpg it does not) is not reported.
check_fails "with DIR, the signature catches the renamed label" 1 "manifest_digest: signed sha256:" \
    ms dataset verify --key "$T/ed.pub" "$T/poison.zst" "$D"
grep -q "missing:\|extra:\|changed:" "$ERR" && fail "differences told for a manifest not signed" || pass
grep -q "^Data:" "$OUT" && fail "data reported as matching" || pass
# ... and once read it is checked whole: a well-formed manifest with a valid signature over
# it, a line of it damaged is exit 2 with nothing told.
zstd -q -dc "$M" | sed '3s/"size":[0-9]*/"size":x/' | zstd -q -c >"$T/broken.zst"
cp "$M.sig" "$T/broken.zst.sig"
check_fails "with DIR, a malformed signed manifest" 2 "broken.zst: line 3" \
    ms dataset verify --key "$T/ed.pub" "$T/broken.zst" "$T/data2"
grep -q "missing:\|extra:\|changed:" "$ERR" && fail "differences told for a malformed manifest" || pass
# A signature that does not verify is told before the data is read.
check_fails "with DIR, another key" 1 "$M.sig" ms dataset verify --key "$T/other.pub" "$M" "$T/data2"
grep -q "missing:" "$ERR" && fail "differences told under a bad signature" || pass

# A signature made for another manifest.
ms dataset sign --key "$T/ed.key" --signature "$T/b2.sig" "$T/b2.zst" >/dev/null
check_fails "a signature for another manifest" 1 "$T/b2.sig" ms dataset verify --key "$T/ed.pub" --signature "$T/b2.sig" "$M"

# ---- malformed manifests: exit 2, one line naming the file and the line ----------------------
# bad_manifest NAME OVERRIDE PATH_JSON...: a manifest with those paths (each a JSON string as
# written) and a header that is right unless overridden (OVERRIDE: files, bytes or root; or
# ignore:JSON, the ignore list as written; or noignore, a header without one; or -).
bad_manifest() {
    $PY - "$@" <<'PY' | zstd -q -c >"$T/$1.zst"
import hashlib, sys
name, override, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
d = hashlib.sha256(b"x").hexdigest()
root = hashlib.sha256(bytes.fromhex(d) * len(paths)).hexdigest()
files, nbytes = len(paths), len(paths)
if override == "files": files += 1
if override == "bytes": nbytes += 1
if override == "root": root = d
ignore = ',"ignore":[]'
if override.startswith("ignore:"): ignore = ',"ignore":' + override[7:]
if override == "noignore": ignore = ""
out = ['{"_type":"https://modelseal/dataset-manifest/v1","name":"bad","version":null,"source":null,"license":null%s,"algorithm":"sha256","files":%d,"bytes":%d,"root_digest":"sha256:%s"}' % (ignore, files, nbytes, root)]
out += ['{"path":%s,"size":1,"digest":"%s"}' % (p, d) for p in paths]
sys.stdout.write("\n".join(out) + "\n")
PY
}
bad_manifest unsorted - '"b"' '"a"'
check_fails "unsorted paths" 2 "unsorted.zst: line 3: not sorted" ms dataset verify "$T/unsorted.zst"
bad_manifest dup - '"a"' '"a"'
check_fails "duplicate paths" 2 "dup.zst: line 3: duplicate path" ms dataset verify "$T/dup.zst"
# With DIR the manifest is read once, as the data is compared: a malformed one is still refused
# before any difference is told (here every listed file would be missing, every file extra).
bad_manifest lastbad root '"a"' '"b"' '"c"'
check_fails "verify DIR with a manifest whose root is wrong" 2 "lastbad.zst: root_digest sha256:" \
    ms dataset verify "$T/lastbad.zst" "$D"
grep -q "missing:\|extra:" "$ERR" && fail "differences were told for a malformed manifest" || pass
# Over a mebibyte of differences (12,000 long names, all missing) goes through a temporary file
# and comes back complete and in order.
mkdir -p "$T/many" "$T/none"
$PY -c "
import os
for i in range(12000):
    open(os.path.join('$T/many', 'f%05d-' % i + 'x' * 90), 'w').close()"
ms dataset manifest --name many --output "$T/many.zst" "$T/many" >/dev/null
check_fails "12,000 missing files" 1 "12000 missing, 0 extra, 0 changed" ms dataset verify "$T/many.zst" "$T/none"
grep "^  missing: " "$ERR" | sed 's/^  missing: //' >"$T/missing.txt"
(cd "$T/many" && ls | LC_ALL=C sort) | cmp -s - "$T/missing.txt" && pass ||
    fail "every missing file is named, in order ($(wc -l <"$T/missing.txt") lines)"
rm -rf "$T/many"
bad_manifest abs - '"/etc/passwd"'
check_fails "absolute path" 2 "abs.zst: line 2: path \"/etc/passwd\" is not a safe relative path" ms dataset verify "$T/abs.zst"
bad_manifest dotdot - '"../x"'
check_fails ".. path" 2 "dotdot.zst: line 2: path \"../x\" is not a safe" ms dataset verify "$T/dotdot.zst"
bad_manifest nul - '"a\u0000b"'
check_fails "NUL in a path" 2 "nul.zst: line 2: path: contains NUL" ms dataset verify "$T/nul.zst"
bad_manifest backslash - '"a\\b"'
check_fails "backslash path" 2 "backslash.zst: line 2: path \"a\\\\b\" is not a safe" ms dataset verify "$T/backslash.zst"
bad_manifest files files '"a"' '"b"'
check_fails "header files disagree" 2 "files.zst: the header says 3 files, the manifest lists 2" ms dataset verify "$T/files.zst"
bad_manifest bytes bytes '"a"' '"b"'
check_fails "header bytes disagree" 2 "bytes.zst: the header says 3 bytes" ms dataset verify "$T/bytes.zst"
bad_manifest root root '"a"' '"b"'
check_fails "header root disagrees" 2 "root.zst: root_digest sha256:" ms dataset verify "$T/root.zst"
# The ignore list: sorted, each once, safe relative paths, and no file line under it; a header
# written before it existed is not canonical.
bad_manifest noign noignore '"a"'
check_fails "a header without the ignore list" 2 "noign.zst: line 1: expected \"ignore\" after \"license\"" ms dataset verify "$T/noign.zst"
bad_manifest ignunsorted 'ignore:["b","a"]' '"c"'
check_fails "an unsorted ignore list" 2 "ignunsorted.zst: line 1: ignore: not sorted: \"a\" comes after \"b\"" ms dataset verify "$T/ignunsorted.zst"
bad_manifest igndup 'ignore:["a","a"]' '"c"'
check_fails "an ignored path listed twice" 2 "igndup.zst: line 1: ignore: \"a\" is listed twice" ms dataset verify "$T/igndup.zst"
bad_manifest igndotdot 'ignore:["../x"]' '"c"'
check_fails "an ignored path with .." 2 "igndotdot.zst: line 1: ignore: \"../x\" is not a safe relative path" ms dataset verify "$T/igndotdot.zst"
bad_manifest ignabs 'ignore:["/etc"]' '"c"'
check_fails "an absolute ignored path" 2 "ignabs.zst: line 1: ignore: \"/etc\" is not a safe relative path" ms dataset verify "$T/ignabs.zst"
bad_manifest ignspace 'ignore:[ "a"]' '"c"'
check_fails "an ignore list not in canonical form" 2 "ignspace.zst: line 1:" ms dataset verify "$T/ignspace.zst"
# Valid JSON with the right members in another form (spaces, another member order): said to
# be a matter of form, with the form expected; a member missing keeps the reader's message.
$PY - "$T/imgs.jsonl" "$T" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
head, rest = json.loads(lines[0]), lines[1:]
def write(name, out):
    open(f"{sys.argv[2]}/{name}.jsonl", "w").write("\n".join(out) + "\n")
write("spaced", [json.dumps(head)] + rest)
write("reordered", [json.dumps(dict(reversed(list(head.items()))), separators=(",", ":"))] + rest)
write("fileorder", [lines[0]] + [json.dumps(dict(reversed(list(json.loads(l).items()))),
                                            separators=(",", ":")) for l in rest])
write("nametype", [json.dumps(dict(head, name=7), separators=(",", ":"))] + rest)
PY
for f in spaced reordered fileorder nametype; do zstd -q -c "$T/$f.jsonl" >"$T/$f.zst"; done
# A member of the wrong type is a wrong value, not a matter of form: the reader's message.
check_fails "a header whose name is a number" 2 "nametype.zst: line 1: name: expected a string" \
    ms dataset verify "$T/nametype.zst"
check_fails "a header with spaces" 2 \
    "spaced.zst: line 1: not in canonical form: expected {\"_type\":...,\"name\":...,\"version\":...,\"source\":...,\"license\":...,\"ignore\":[...],\"algorithm\":...,\"files\":N,\"bytes\":N,\"root_digest\":\"sha256:...\"}, members in this order, no spaces" \
    ms dataset verify "$T/spaced.zst"
check_fails "a header in another member order" 2 "reordered.zst: line 1: not in canonical form: expected {" \
    ms dataset verify "$T/reordered.zst"
check_fails "a file line in another member order" 2 \
    "fileorder.zst: line 2: not in canonical form: expected {\"path\":...,\"size\":N,\"digest\":\"<hex>\"}" \
    ms dataset verify "$T/fileorder.zst"
grep -q 'expected a string' "$ERR" && fail "fileorder: the reader's message leads: $(cat "$ERR")" || pass
bad_manifest ignunder 'ignore:["a","sub"]' '"b"' '"sub/x"'
check_fails "a file line under an ignored path" 2 "ignunder.zst: line 3: path \"sub/x\" is one the header's \"ignore\" list leaves out" ms dataset verify "$T/ignunder.zst"
bad_manifest ignok 'ignore:["a","sub"]' '"b"' '"sub.txt"' '"sub0/x"'
check_status "paths beside an ignored one (sub.txt, sub0/x) are fine" 0 ms dataset verify "$T/ignok.zst"
bad_manifest long - "\"$(head -c 70000 /dev/zero | tr '\0' a)\""
check_fails "a line over 64 KiB" 2 "long.zst: line 2: longer than 65536 bytes" ms dataset verify "$T/long.zst"
cp "$T/imgs.jsonl" "$T/plain.jsonl"
check_fails "not zstd" 2 "plain.jsonl: not a zstd stream" ms dataset verify "$T/plain.jsonl"
head -c $(($(wc -c <"$M") - 7)) "$M" >"$T/cut.zst"
check_fails "truncated" 2 "cut.zst: truncated zstd stream" ms dataset verify "$T/cut.zst"
cp "$M" "$T/trail.zst" && printf 'trailing garbage' >>"$T/trail.zst"
check_fails "trailing garbage" 2 "trail.zst: invalid zstd data after" ms dataset verify "$T/trail.zst"
tail -n +2 "$T/imgs.jsonl" | zstd -q -c >"$T/nohdr.zst"
check_fails "missing header" 2 "nohdr.zst: line 1: missing header" ms dataset verify "$T/nohdr.zst"
sed '1s#dataset-manifest/v1#dataset-manifest/v9#' "$T/imgs.jsonl" | zstd -q -c >"$T/type.zst"
check_fails "unknown _type" 2 "type.zst: line 1: _type: unsupported" ms dataset verify "$T/type.zst"
check_fails "missing manifest" 2 "nothere.zst: No such file" ms dataset verify "$T/nothere.zst"
check_fails "sign a malformed manifest" 2 "dup.zst: line 3: duplicate path" ms dataset sign --key "$T/ed.key" "$T/dup.zst"
[ -e "$T/dup.zst.sig" ] && fail "a signature was written for a malformed manifest" || pass
check_fails "verify --key a malformed manifest" 2 "dup.zst: line 3" ms dataset verify --key "$T/ed.pub" "$T/dup.zst"
printf 'not a bundle' >"$T/junk.sig"
check_fails "a malformed signature" 2 "junk.sig" ms dataset verify --key "$T/ed.pub" --signature "$T/junk.sig" "$M"

# ---- bad datasets and options: exit 2, nothing written -------------------------------------
mkdir -p "$T/outdir" "$T/bad1" "$T/bad2"
printf 'ok' >"$T/bad1/ok"
printf 'x' >"$T/bad1/bad$(printf '\377').txt"
check_fails "a non-UTF-8 file name" 2 "file name is not valid UTF-8" ms dataset manifest --name n --output "$T/outdir/n.zst" "$T/bad1"
check_eq "nothing left in the output directory" "$(ls -A "$T/outdir")" ""
printf 'ok' >"$T/bad2/ok"
mkfifo "$T/bad2/pipe"
check_fails "a FIFO" 2 "pipe: is a FIFO" ms dataset manifest --name n --output "$T/outdir/n.zst" "$T/bad2"
check_eq "nothing left after the FIFO" "$(ls -A "$T/outdir")" ""
ln -s /etc/passwd "$T/bad2/link"
rm "$T/bad2/pipe"
check_fails "a symbolic link" 2 "link: is a symbolic link" ms dataset manifest --name n --output "$T/outdir/n.zst" "$T/bad2"
check_eq "nothing left after the symlink" "$(ls -A "$T/outdir")" ""
check_fails "no --name" 2 "--name is required" ms dataset manifest --output "$T/outdir/n.zst" "$D"
check_fails "bad --license" 2 "--license: 'MIT; rm' is not an SPDX" ms dataset manifest --name n --license 'MIT; rm' "$D"
check_fails "bad --algorithm" 2 "--algorithm: expected sha256, blake2b or blake3" ms dataset manifest --name n --algorithm md5 "$D"
check_fails "a name that makes no file name" 2 "give --output" ms dataset manifest --name a/b "$D"
check_fails "DIR is a file" 2 "a.txt: not a directory" ms dataset manifest --name n --output "$T/outdir/n.zst" "$D/a.txt"
check_fails "an --ignore outside DIR" 2 "ignore path" ms dataset manifest --name n --ignore /etc --output "$T/outdir/n.zst" "$D"
check_fails "an unknown option" 2 "unknown option '--bogus'" ms dataset manifest --bogus "$D"
check_fails "an unknown subcommand" 2 "unknown subcommand 'frobnicate'" ms dataset frobnicate
check_fails "sign without --key" 2 "--key is required" ms dataset sign "$M"
check_eq "nothing left at the end" "$(ls -A "$T/outdir")" ""
check_status "dataset --help" 0 ms dataset --help
grep -q "^Usage: modelseal dataset manifest" "$OUT" && pass || fail "help text"

finish
