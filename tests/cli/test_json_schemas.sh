#!/bin/sh
# Every --json document the CLI suite printed, against its command's JSON Schema (doc/schemas/,
# modelseal-json(7)), with Debian's python3-jsonschema in one process: tests/cli/lib.sh keeps
# each document in $MS_JSON_CAPTURE, and the suite runs this test after all the others
# (Makefile.am). Every command with a --json option (the option tables, as the completion
# script lists them) must have a schema; the checker is first shown to refuse wrong documents.
. "$(dirname "$0")/lib.sh"
normal_run_only "the documents are the same bytes in both builds"
set -e
if [ -z "${MS_JSON_CAPTURE:-}" ]; then
    echo "$(basename "$0"): SKIP: MS_JSON_CAPTURE is not set (run through make check)"
    exit 77
fi
$PY -c 'import jsonschema' 2>/dev/null || {
    echo "$(basename "$0"): SKIP: python3-jsonschema is not installed"
    exit 77
}
SCHEMAS=$SRCDIR/doc/schemas
CHECK=$SRCDIR/tests/cli/json_schemas.py

# The commands with --json: "blob verify" is blob-verify; verify --policy has its own report.
run ms completion bash
CMDS="$(sed -n "s/^ *'\([^']*\)') opts='.*--json .*/\1/p" "$OUT" | tr ' ' '-' | tr '\n' ' ')verify-policy"
for c in digest hash keygen sign verify blob-verify inspect attest-list lineage-log lineage-find; do
    case " $CMDS " in
    *" $c "*) pass ;;
    *) fail "the completion script does not list $c among the commands with --json: $CMDS" ;;
    esac
done

# doc NAME STATUS TEXT ARGS...: a captured document, as lib.sh writes it.
doc() {
    local name=$1 status=$2 text=$3
    shift 3
    printf '%s' "$text" >"$T/cap/$name.json"
    printf '%s\0' "$status" "$@" >"$T/cap/$name"
}
D="sha256:$(printf '%064d' 0)"
MODEL="{\"name\":\"m\",\"digest\":\"$D\",\"path\":\"m\"}"
SIGNER='{"kind":"key","hint":null,"identity":null,"subject":null,"issuer":null,"signing_time":null}'
# Wrong documents, all checked in one run; each must be refused with the reason. (The suite's
# documents below are the right ones.)
mkdir "$T/cap"
# verify's report as it was before the vocabulary: model a string, root_digest beside it.
doc old 0 "{\"verified\":true,\"model\":\"m\",\"root_digest\":\"$D\",\"signature\":\"m/model.sig\",\"signer\":$SIGNER,\"resources\":1,\"files_hashed\":1,\"changed\":[],\"missing\":[],\"extra\":[],\"error\":null,\"exit_status\":0}
" verify --key k.pub --json m
doc kind 0 "{\"model\":$MODEL,\"signature\":\"s\",\"resources\":1,\"hard_links\":[],\"signer\":{\"kind\":\"public-key\",\"hint\":null,\"identity\":null,\"subject\":null,\"issuer\":null,\"signing_time\":null}}
" sign --json --key k.key m
doc extra 0 "{\"model\":$MODEL,\"digest\":\"$D\"}
" digest --json m
doc policy 1 "{\"verified\":false,\"model\":$MODEL,\"links\":[],\"error\":null,\"exit_status\":1}
" verify --policy p.json --json m
doc errcode 2 '{"error":{"exit":2,"code":"malformed","message":"x","path":null}}
' inspect --json x
doc err1 1 '{"error":{"exit":1,"code":"not-verified","message":"x","path":null}}
' verify --json --key k.pub m
doc lines 0 "{\"model\":
$MODEL}
" digest --json m
doc empty 0 "" hash --json m
doc unknown 0 '{}
' frobnicate --json
run $PY "$CHECK" "$SCHEMAS" "$T/cap" $CMDS frobnicate
check_eq "the wrong documents: exit status" "$STATUS" 1
for want in \
    "old: modelseal verify --key k.pub --json m (exit 0): verify.schema.json: at model: 'm' is not of type 'object'" \
    "old: modelseal verify --key k.pub --json m (exit 0): verify.schema.json: at (document): Additional properties are not allowed ('root_digest' was unexpected)" \
    "kind: modelseal sign --json --key k.key m (exit 0): sign.schema.json: at signer/kind: 'public-key' is not one of" \
    "extra: modelseal digest --json m (exit 0): digest.schema.json: at (document): Additional properties are not allowed ('digest' was unexpected)" \
    "policy: modelseal verify --policy p.json --json m (exit 1): verify-policy.schema.json: at (document): 'changed' is a required property" \
    "errcode: modelseal inspect --json x (exit 2): error.schema.json: at error/code: 'malformed' is not one of" \
    "err1: modelseal verify --json --key k.pub m (exit 1): an error document with exit status 1" \
    "lines: modelseal digest --json m (exit 0): not one line ending in a newline" \
    "empty: modelseal hash --json m (exit 0): nothing on standard output" \
    "unknown: modelseal frobnicate --json (exit 0): no schema doc/schemas/frobnicate.schema.json" \
    "frobnicate has a --json option but no doc/schemas/frobnicate.schema.json"; do
    grep -qF -- "FAIL: $want" "$OUT" && pass || fail "the checker did not say '$want': $(cat "$OUT")"
done

# The suite's documents. Every CLI test ran before this one (Makefile.am makes this test's log
# depend on theirs), test_json.sh among them, which prints every command's document: so every
# schema must have been used. No documents at all means the capture in lib.sh broke.
ls "$MS_JSON_CAPTURE"/test_json.*.json >/dev/null 2>&1 && pass ||
    fail "no document of test_json.sh in $MS_JSON_CAPTURE: the capture (lib.sh's ms) kept nothing"
run $PY "$CHECK" "$SCHEMAS" "$MS_JSON_CAPTURE" $CMDS
if [ "$STATUS" -eq 0 ]; then pass; else fail "the suite's --json documents: $(cat "$OUT")"; fi
echo "$(basename "$0"): $(tail -n 1 "$OUT")"
for c in $CMDS error; do
    case " $(tail -n 1 "$OUT" | tr -d ',') " in
    *" $c "[0-9]*) pass ;;
    *) fail "no document of $c was checked: test_json.sh prints one of every command" ;;
    esac
done
finish
