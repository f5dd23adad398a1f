# Shared harness for the CLI tests: each test script sources this, runs the real modelseal
# binary on real files in a throwaway directory, and ends with `finish`.
set -u

MODELSEAL=${MODELSEAL:-$(cd "$(dirname "$0")/../.." && pwd)/modelseal}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
MS_VECTORS=${MS_VECTORS:-$SRCDIR/tests/vectors}
# The program reads its default trusted roots, signing configs and hook scripts only where they
# are installed or where these name: the tests use the source tree's.
MODELSEAL_SIGSTORE_DIR=${MODELSEAL_SIGSTORE_DIR:-$SRCDIR/keys}
MODELSEAL_HOOKS_DIR=${MODELSEAL_HOOKS_DIR:-$SRCDIR/contrib/hooks}
export MODELSEAL_SIGSTORE_DIR MODELSEAL_HOOKS_DIR
PY=/usr/bin/python3 # Debian's interpreter, with its packages

# /dev/null must be the null device: were it replaced by a regular file (a rename onto it, say),
# every later `>/dev/null` would append to it and every `</dev/null` would read that back (git gc
# did, as revisions). Checked before each test (hard error, 99) and after it (finish).
if [ ! -c /dev/null ]; then
    echo "$(basename "$0"): /dev/null is not the null device (replaced before this test ran);" \
        "restore it: rm -f /dev/null && mknod -m 666 /dev/null c 1 3" >&2
    exit 99
fi

# The sanitizer build (ASan + UBSan) runs the suite a second time to find memory and undefined-
# behaviour errors in modelseal's own code. What cannot differ between the two builds is checked
# once, in the normal run: documents and scripts that run no C (man pages, completion, the
# layer and export checks) and the independent verifiers' view of modelseal's output (node,
# Python: the bytes are the same). SANITIZED is 1 in the sanitizer run;
# `normal_run_only WHAT` skips a whole test there (exit 77, saying why).
case "${MS_API_CFLAGS:-}" in
*-fsanitize=*) SANITIZED=1 ;;
*) SANITIZED=0 ;;
esac
normal_run_only() {
    if [ "$SANITIZED" = 1 ]; then
        echo "$(basename "$0"): SKIP in the sanitizer run: $* (checked in the normal run)"
        exit 77
    fi
}

T=$(mktemp -d "${TMPDIR:-/tmp}/modelseal-test.XXXXXX")
trap 'chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"' EXIT
PASSED=0
FAILED=0
OUT=$T/.out
ERR=$T/.err

# Every --json document a test prints is kept for tests/cli/test_json_schemas.sh, which checks
# each against its command's schema (doc/schemas/) in one Python process after the other tests:
# MS_JSON_CAPTURE names the directory (the suite sets it; not in the sanitizer run, whose
# documents are the same). A document goes to TEST.XXXXXX.json beside its command line and exit
# status (TEST.XXXXXX: the status, then the arguments, each ended by a NUL byte).
JSON_CAPTURE=
if [ -n "${MS_JSON_CAPTURE:-}" ] && [ "$SANITIZED" = 0 ]; then
    JSON_CAPTURE=$MS_JSON_CAPTURE/$(basename "$0" .sh)
    mkdir -p "$MS_JSON_CAPTURE"
    rm -f "$JSON_CAPTURE".*
fi
ms() {
    if [ -z "$JSON_CAPTURE" ]; then
        "$MODELSEAL" "$@"
        return
    fi
    case " $* " in
    *" --json "* | *" --json="*) ;;
    *)
        "$MODELSEAL" "$@"
        return
        ;;
    esac
    local cap st=0
    cap=$(mktemp "$JSON_CAPTURE.XXXXXX")
    "$MODELSEAL" "$@" >"$cap.json" || st=$?
    printf '%s\0' "$st" "$@" >"$cap"
    cat "$cap.json"
    return "$st"
}

pass() { PASSED=$((PASSED + 1)); }
fail() {
    FAILED=$((FAILED + 1))
    echo "FAIL: $*" >&2
    if [ -s "$ERR" ]; then sed 's/^/  stderr: /' "$ERR" | head -5 >&2; fi
}

# run CMD...: run it, keep stdout in $OUT, stderr in $ERR, status in $STATUS.
run() {
    set +e
    "$@" >"$OUT" 2>"$ERR"
    STATUS=$?
    set -e
}

# check_status DESCRIPTION EXPECTED CMD...
check_status() {
    local desc=$1 want=$2
    shift 2
    run "$@"
    if [ "$STATUS" -eq "$want" ]; then pass; else fail "$desc: exit $STATUS, expected $want"; fi
}

# check_fails DESCRIPTION EXPECTED_STATUS STDERR_SUBSTRING CMD...
check_fails() {
    local desc=$1 want=$2 text=$3
    shift 3
    run "$@"
    if [ "$STATUS" -ne "$want" ]; then
        fail "$desc: exit $STATUS, expected $want"
    elif ! grep -qF -- "$text" "$ERR"; then
        fail "$desc: stderr lacks '$text'"
    elif [ "$(grep -vc "^  " "$ERR")" -gt 2 ]; then
        fail "$desc: more than 2 lines of errors (besides indented lists)"
    else
        pass
    fi
}

# check_eq DESCRIPTION GOT WANT
check_eq() {
    if [ "$2" = "$3" ]; then pass; else fail "$1: got '$2', expected '$3'"; fi
}

# check_file_eq DESCRIPTION GOT_FILE WANT_FILE
check_file_eq() {
    if cmp -s "$2" "$3"; then pass; else
        fail "$1: files differ"
        diff "$2" "$3" | head -10 >&2
    fi
}

finish() {
    if [ ! -c /dev/null ]; then
        fail "/dev/null is no longer the null device: this test (or a program it ran) replaced it"
    fi
    echo "$(basename "$0"): $PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

# The OMS reference test models (model_signing's own test fixtures).
make_sample_model() {
    mkdir -p "$1"
    for i in 0 1; do
        mkdir -p "$1/d$i"
        for j in 0 1 2; do printf 'This is file f%s%s in d%s.' "$i" "$j" "$i" >"$1/d$i/f$i$j"; done
    done
    for i in 0 1 2 3; do printf 'This is file f%s in root.' "$i" >"$1/f$i"; done
}
make_deep_model() {
    mkdir -p "$1/d0/d1/d2/d3/d4"
    for i in 0 1 2 3; do printf 'This is file f%s.' "$i" >"$1/d0/d1/d2/d3/d4/f$i"; done
}
make_file_model() { printf 'This is a simple model' >"$1"; }

# flip_byte FILE OFFSET: invert the bits of one byte in place. Writing a fixed byte over random
# content leaves the file unchanged once in 256 runs; this always changes it.
flip_byte() {
    $PY -c 'import sys
off = int(sys.argv[2])
with open(sys.argv[1], "r+b") as f:
    f.seek(off)
    b = f.read(1)
    f.seek(off)
    f.write(bytes([b[0] ^ 0xFF]))' "$1" "$2"
}
