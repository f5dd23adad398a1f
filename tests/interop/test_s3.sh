#!/bin/sh
# Datasets in S3-compatible object storage (issue 21, section 2) against a mock store on
# 127.0.0.1 (tests/interop/mock_s3.mjs) that checks every request's Signature Version 4 with
# @aws-sdk/signature-v4 and refuses bad ones; the dataset is uploaded with @aws-sdk/client-s3
# (an independent client, tests/interop/s3_put.mjs). Covered: the manifest of a bucket prefix
# equals byte for byte the manifest of the same files on disk (source defaulting to the URL),
# verify (matching, then changed and extra objects), a folder marker skipped, pagination over
# 3,000 keys (a listing failing on a later page refused), an invalid key, an object changing or
# deleted mid-run, SlowDown then success, 500 forever, a truncated body (retried; and for
# ever), wrong and missing credentials (never printed), credentials from a profile file and
# from a web identity token (the mock's STS), the endpoint from AWS_ENDPOINT_URL_S3, and plain
# http refused off loopback.
#
# One mock serves every case (fixtures and faults through its control endpoint). Skipped (77)
# without node or when npm cannot reach its registry for the pinned packages.
. "$(dirname "$0")/../cli/lib.sh"
set -e

NAME=$(basename "$0")
IDIR=$SRCDIR/tests/interop

. "$IDIR/sigstore_js_env.sh"
sigstore_js_require "$T" "the mock S3 store is a Node.js script that checks SigV4 with @aws-sdk/signature-v4"

MOCK_PID=
cleanup() {
    [ -z "$MOCK_PID" ] || kill "$MOCK_PID" 2>/dev/null || :
    chmod -R u+rwx "$T" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT

# Nothing of the machine's own AWS setup may leak in.
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_WEB_IDENTITY_TOKEN_FILE AWS_ROLE_ARN AWS_REGION \
    AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_STS 2>/dev/null || :
HOME=$T/home
AWS_SHARED_CREDENTIALS_FILE=$T/none AWS_CONFIG_FILE=$T/none
AWS_ACCESS_KEY_ID=AKIDMOCK AWS_SECRET_ACCESS_KEY=mock-secret
MODELSEAL_HTTP_BACKOFF_MS=5
export HOME AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
    MODELSEAL_HTTP_BACKOFF_MS

mkdir -p "$T/mock" "$HOME"
node "$IDIR/mock_s3.mjs" --dir "$T/mock" >"$T/mock.log" 2>&1 &
MOCK_PID=$!
mock_wait_ready "$T/mock/port" "$MOCK_PID" "$T/mock.log"
EP=http://127.0.0.1:$(cat "$T/mock/port")
control() { curl -sf -XPOST --data "$1" "$EP/__control" >/dev/null; }
put() { control "{\"put\":{\"bucket\":\"$1\",\"key\":\"$2\",\"body\":\"$3\"}}"; }
s3m() { ms dataset manifest --s3-endpoint "$EP" "$@"; }
mock_stat() { curl -sf "$EP/__stats" | sed "s/.*\"$1\":\([0-9]*\).*/\1/"; }

# ---- a dataset uploaded with @aws-sdk/client-s3: the same bytes as on disk ----
D=$T/data
mkdir -p "$D/sub/deeper" "$D/é tude" "$D/emptydir"
printf 'first' >"$D/a.txt"
printf 'plus+and space' >"$D/sub/x + y.bin"
head -c 70000 /dev/urandom >"$D/sub/deeper/big.bin"
: >"$D/sub/empty"
printf 'accent' >"$D/é tude/ü.txt"
printf 'ignored' >"$D/sub/skip.me"
run node "$IDIR/s3_put.mjs" "$EP" data train/ "$D" train/emptydir/
if [ "$STATUS" -ne 0 ]; then
    fail "s3_put.mjs (@aws-sdk/client-s3): exit $STATUS"
    cat "$ERR" >&2
fi
rmdir "$D/emptydir"
check_status "manifest of s3://data/train" 0 s3m --name ds --version 1 \
    --ignore sub/skip.me --output "$T/s3.dsm.jsonl.zst" s3://data/train
grep -q '^hashed 5 files, [1-9][0-9.]* KiB in ' "$ERR" && pass ||
    fail "the summary line counts the bucket's bytes: $(cat "$ERR")"
check_status "manifest of the same files on disk" 0 ms dataset manifest --name ds --version 1 \
    --ignore sub/skip.me --source s3://data/train --output "$T/disk.dsm.jsonl.zst" "$D"
check_file_eq "bucket manifest == disk manifest, byte for byte" "$T/s3.dsm.jsonl.zst" \
    "$T/disk.dsm.jsonl.zst"
check_eq "source defaults to the URL; the folder marker is no file" \
    "$(zstdcat "$T/s3.dsm.jsonl.zst" | head -1 | grep -o '"source":"[^"]*","license":null,"ignore":\["sub/skip.me"\],"algorithm":"sha256","files":5')" \
    '"source":"s3://data/train","license":null,"ignore":["sub/skip.me"],"algorithm":"sha256","files":5'
check_status "verify against the bucket" 0 ms dataset verify --s3-endpoint "$EP" \
    "$T/s3.dsm.jsonl.zst" s3://data/train
grep -q "Data: s3://data/train matches (5 files hashed)" "$OUT" && pass || fail "verify: $(cat "$OUT")"
AWS_ENDPOINT_URL_S3=$EP check_status "the endpoint from AWS_ENDPOINT_URL_S3" 0 \
    ms dataset verify "$T/s3.dsm.jsonl.zst" s3://data/train/
# --partition on a bucket: the shares merge into the bucket's manifest, and a share of the
# bucket is the same share of the files on disk.
for i in 0 1 2; do
    check_status "bucket share $i of 3" 0 s3m --name ds --version 1 --ignore sub/skip.me \
        --partition "$i/3" --output "$T/s3p$i.zst" s3://data/train
done
check_status "merge the bucket's shares" 0 ms dataset merge --output "$T/s3merged.zst" \
    "$T/s3p2.zst" "$T/s3p0.zst" "$T/s3p1.zst"
check_file_eq "merged bucket shares == the bucket's manifest" "$T/s3merged.zst" "$T/s3.dsm.jsonl.zst"
check_status "share 1 of 3 of the same files on disk" 0 ms dataset manifest --name ds --version 1 \
    --ignore sub/skip.me --source s3://data/train --partition 1/3 --output "$T/diskp1.zst" "$D"
check_file_eq "a bucket's share == the disk's share" "$T/s3p1.zst" "$T/diskp1.zst"
put data train/a.txt changed
put data train/new.txt new
check_fails "verify: changed and extra objects" 1 "0 missing, 1 extra, 1 changed" \
    ms dataset verify --s3-endpoint "$EP" "$T/s3.dsm.jsonl.zst" s3://data/train
grep -q "^  changed: a.txt" "$ERR" && grep -q "^  extra:   new.txt" "$ERR" && pass ||
    fail "verify names a.txt and new.txt: $(cat "$ERR")"
: >"$T/pv.all"
for i in 0 1 2; do
    rc=0
    ms dataset verify --s3-endpoint "$EP" --partition "$i/3" "$T/s3.dsm.jsonl.zst" \
        s3://data/train >/dev/null 2>"$T/pv.err" || rc=$?
    echo "rc=$rc" >>"$T/pv.all"
    cat "$T/pv.err" >>"$T/pv.all"
done
check_eq "verify by share: the changed and the extra object, each found in one share" \
    "$(grep -c '^  changed: a.txt$' "$T/pv.all") $(grep -c '^  extra:   new.txt$' "$T/pv.all")" "1 1"
grep -q '^rc=0$' "$T/pv.all" && ! grep -q '^rc=[23]$' "$T/pv.all" && pass ||
    fail "verify by share: the other shares pass, none errs: $(cat "$T/pv.all")"

# ---- pagination over 3,000 keys (put directly: 3,000 PUTs through the SDK take too long;
# empty objects, which need no GET: the listing is what is tested here) ----
M=$T/many
mkdir -p "$M/d"
(cd "$M/d" && seq -f 'f%04g' 0 2999 | xargs touch)
control "{\"load_dir\":{\"bucket\":\"many\",\"dir\":\"$M\"}}"
lists0=$(mock_stat lists)
check_status "3,000 keys over 3 pages" 0 s3m --name many --output "$T/many.zst" s3://many
check_eq "3,000 keys: 3 list requests" "$(($(mock_stat lists) - lists0))" 3
check_status "3,000 keys: the disk manifest" 0 ms dataset manifest --name many \
    --source s3://many --output "$T/many-disk.zst" "$M"
check_file_eq "3,000 keys: bucket == disk" "$T/many.zst" "$T/many-disk.zst"
# a listing failing on a later page (listed ahead while the first page is processed)
control '{"list_fail":{"bucket":"many","after":1}}'
check_fails "a listing failing on page 2" 3 "S3 ($EP/many/): HTTP status 500" \
    s3m --name many --output "$T/many-fail.zst" s3://many
[ ! -e "$T/many-fail.zst" ] && pass || fail "a failed listing left $T/many-fail.zst"
control '{"list_fail":{"bucket":"many","after":2}}'
check_fails "a listing failing on page 3" 3 "S3 ($EP/many/): HTTP status 500" \
    ms dataset verify --s3-endpoint "$EP" "$T/many.zst" s3://many
control '{"reset":{}}'

# ---- invalid keys, changes, faults ----
put bad ok/a.txt a
put bad ok/x/../b b
check_fails "a key with '..'" 2 "s3://bad/ok/x/../b: not a valid relative path" \
    s3m --name b --output "$T/b.zst" s3://bad/ok
put bad2 p//q b
check_fails "a key with an empty segment" 2 "s3://bad2/p//q: not a valid relative path" \
    s3m --name b --output "$T/b.zst" s3://bad2
put bad3 'a\\b' b
check_fails "a key with a backslash" 2 'not a valid relative path' \
    s3m --name b --output "$T/b.zst" s3://bad3
[ ! -e "$T/b.zst" ] && pass || fail "a refused run left $T/b.zst"
check_fails "a prefix with '..'" 2 "the prefix has an empty, '.' or '..' segment" \
    s3m --name b --output "$T/b.zst" s3://bad/ok/../x
put lfsb p.bin 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n'
check_fails "a git LFS pointer object" 2 "s3://lfsb/p.bin: a git LFS pointer" \
    s3m --name l --output "$T/l.zst" s3://lfsb
check_status "a git LFS pointer object with --allow-lfs-pointers" 0 \
    s3m --name l --allow-lfs-pointers --output "$T/l.zst" s3://lfsb

put fff a.txt aaaa
put fff b.txt bbbb
put fff c.txt cccc
control '{"change_on_get":{"key":"b.txt"}}'
check_fails "an object changing mid-run" 2 "s3://fff/b.txt: changed (its ETag is no longer the listed one) during the run" \
    s3m --name f --output "$T/f.zst" s3://fff
control '{"slowdown":{"key":"a.txt","count":2}}'
gets0=$(mock_stat gets)
check_status "SlowDown twice, then success" 0 s3m --name f --output "$T/f.zst" s3://fff
check_eq "SlowDown twice: a.txt fetched 3 times, b.txt and c.txt once" "$(($(mock_stat gets) - gets0))" 5
control '{"truncate":{"key":"c.txt","count":1}}'
check_status "a truncated body, retried" 0 s3m --name f --output "$T/f2.zst" s3://fff
check_file_eq "the retried body hashes the same" "$T/f.zst" "$T/f2.zst"
control '{"truncate":{"key":"c.txt","count":99}}'
check_fails "a body truncated every time" 3 "S3 ($EP/fff/c.txt): truncated answer" \
    s3m --name f --output "$T/f3.zst" s3://fff
control '{"reset":{}}'
control '{"fail500":{"key":"a.txt"}}'
check_fails "500 for ever" 3 "S3 ($EP/fff/a.txt): HTTP status 500" \
    s3m --name f --output "$T/f3.zst" s3://fff
[ ! -e "$T/f3.zst" ] && pass || fail "a failed run left $T/f3.zst"
control '{"reset":{}}'
control '{"delete_on_get":{"key":"b.txt"}}'
check_fails "an object deleted mid-run" 2 "s3://fff/b.txt: deleted during the run" \
    s3m --name f --output "$T/f3.zst" s3://fff
[ ! -e "$T/f3.zst" ] && pass || fail "a failed run left $T/f3.zst"
control '{"reset":{}}'

# ---- credentials ----
AWS_SECRET_ACCESS_KEY=wrong-secret-value check_fails "a wrong secret key" 3 \
    "S3 ($EP/data/): HTTP status 403 (SignatureDoesNotMatch)" \
    s3m --name x --output "$T/x.zst" s3://data/train
grep -q wrong-secret-value "$ERR" && fail "the secret key was printed" || pass
AWS_ACCESS_KEY_ID=AKIDOTHER check_fails "an unknown access key" 3 "(InvalidAccessKeyId)" \
    s3m --name x --output "$T/x.zst" s3://data/train
(
    PASSED=0 FAILED=0 # counted here, added below
    unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
    check_fails "no credentials" 3 "no AWS credentials" \
        s3m --name x --output "$T/x.zst" s3://data/train
    printf '[default]\naws_access_key_id = nope\n[ci]\naws_access_key_id = AKIDMOCK\naws_secret_access_key = mock-secret\n' >"$T/credentials"
    AWS_SHARED_CREDENTIALS_FILE=$T/credentials AWS_PROFILE=ci check_status \
        "credentials from profile ci of a credentials file" 0 \
        ms dataset manifest --s3-endpoint "$EP/" --name ds --version 1 --ignore sub/skip.me \
        --output "$T/p.zst" s3://data/train
    printf 'mock-web-token\n' >"$T/token"
    AWS_WEB_IDENTITY_TOKEN_FILE=$T/token AWS_ROLE_ARN=arn:aws:iam::1:role/r \
        AWS_ENDPOINT_URL_STS=$EP check_status "credentials from a web identity token (STS)" 0 \
        ms dataset verify --s3-endpoint "$EP" "$T/p.zst" s3://data/train
    printf 'other-token\n' >"$T/token"
    AWS_WEB_IDENTITY_TOKEN_FILE=$T/token AWS_ROLE_ARN=arn:aws:iam::1:role/r \
        AWS_ENDPOINT_URL_STS=$EP check_fails "a refused web identity token" 3 \
        "STS ($EP/): HTTP status 403" \
        ms dataset verify --s3-endpoint "$EP" "$T/disk.dsm.jsonl.zst" s3://data/train
    grep -q other-token "$ERR" && fail "the web identity token was printed" || pass
    finish >"$T/sub.result" || :
)
sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed/\1 \2/p' "$T/sub.result" >"$T/sub.counts"
read -r p f <"$T/sub.counts"
PASSED=$((PASSED + p))
FAILED=$((FAILED + f))

# ---- usage and network rules ----
check_fails "plain http off loopback" 2 "only https://" \
    ms dataset manifest --name x --s3-endpoint http://example.com --output "$T/x.zst" s3://data
check_fails "--s3-endpoint with a directory" 2 "--s3-endpoint goes with an s3://" \
    ms dataset manifest --name x --s3-endpoint "$EP" --output "$T/x.zst" "$D"
MODELSEAL_HTTP_TIMEOUT_MS=soon check_fails "a bad MODELSEAL_HTTP_TIMEOUT_MS" 2 \
    "MODELSEAL_HTTP_TIMEOUT_MS: not a number" s3m --name x --output "$T/x.zst" s3://data
check_fails "a bad bucket name" 2 "the bucket name" \
    s3m --name x --output "$T/x.zst" s3://a
check_fails "a bad --ignore on a bucket" 2 "--ignore ../x: not a relative path inside the dataset" \
    s3m --name x --ignore ../x --output "$T/x.zst" s3://data/train
test ! -e "$T/x.zst" && pass || fail "a refused bucket manifest left $T/x.zst"
check_fails "an empty bucket" 2 "no objects" s3m --name x --output "$T/x.zst" s3://data/nothing
refused=$(curl -sf "$EP/__stats" | sed 's/.*"refused":\([0-9]*\).*/\1/')
check_eq "the mock refused only the two bad signatures" "$refused" 2

# The header's fields are checked before a bucket is listed, as a directory's are.
check_fails "an empty --version on a bucket" 2 "version: empty" \
    s3m --name x --version '' --output "$T/x.zst" s3://data/train
check_fails "a control character in --source on a bucket" 2 \
    "source: contains a control character" \
    s3m --name x --source "$(printf 'a\tb')" --output "$T/x.zst" s3://data/train
test ! -e "$T/x.zst" && pass || fail "a refused bucket manifest left $T/x.zst"
mkdir "$T/outdir"
check_fails "an output directory for a bucket" 2 "is a directory" \
    s3m --name x --output "$T/outdir" s3://data/train
finish
