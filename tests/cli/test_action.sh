#!/bin/sh
# The GitHub Action (action.yml) and the example workflow that uses it
# (contrib/ci/github-workflow.yml): both pass @action-validator/cli from npm (an independent
# validator of GitHub's schemas), which also refuses a broken copy; the Action's run step
# (scripts/action-run) signs, verifies and verifies a policy chain on a real model with the
# program under test, writes its outputs, and passes modelseal's exit statuses through; its
# install step (scripts/action-install) installs every package configure.ac requires.
. "$(dirname "$0")/lib.sh"
normal_run_only "the Action's scripts and action-validator (sign and verify run under the sanitizers elsewhere)"
set -e

MS_NODE_CACHE=${MS_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/modelseal-node}
export MS_NODE_CACHE
. "$SRCDIR/tests/interop/sigstore_js_env.sh"
if ! command -v node >/dev/null 2>&1; then
    echo "$NAME: SKIP: action-validator: no node command" >&2
else
    set +e
    sigstore_js_setup "$T"
    prc=$?
    set -e
    if [ $prc -ne 0 ]; then
        fail "cannot install the pinned npm packages (@action-validator/cli)"
    else
        AV="$MS_SIGSTORE_JS_PREFIX/node_modules/@action-validator/cli/cli.mjs"
        check_status "action-validator: action.yml" 0 node "$AV" "$SRCDIR/action.yml"
        check_status "action-validator: the example workflow" 0 node "$AV" "$SRCDIR/contrib/ci/github-workflow.yml"
        mkdir -p "$T/broken"
        sed 's/using: composite/using: compost/' "$SRCDIR/action.yml" >"$T/broken/action.yml"
        check_status "action-validator refuses a broken action.yml" 1 node "$AV" "$T/broken/action.yml"
        grep -q '"/runs/using"' "$OUT" "$ERR" && pass || fail "the validator names /runs/using: $(head -5 "$ERR")"
    fi
fi

# The install step installs every build dependency configure.ac requires (MS_REQUIRE).
want=$(sed -n 's/^MS_REQUIRE(\[[A-Z0-9]*\], \[[^]]*\], \[\([^]]*\)\])$/\1/p' "$SRCDIR/configure.ac" | sort)
[ "$(echo "$want" | wc -l)" -ge 7 ] && pass || fail "MS_REQUIRE packages not found in configure.ac"
grep -q "MS_REQUIRE" "$SRCDIR/scripts/action-install" && pass || fail "action-install does not read MS_REQUIRE"
grep -q 'GITHUB_ACTION_PATH' "$SRCDIR/scripts/action-install" && pass || fail "action-install builds from elsewhere"
grep -Eq 'https?://|git clone|curl|wget' "$SRCDIR/scripts/action-install" &&
    fail "the Action's install step downloads something" || pass
grep -Eq 'curl|wget|git clone' "$SRCDIR/action.yml" "$SRCDIR/scripts/action-run" &&
    fail "the Action downloads something" || pass

# The run step, on a real model, with the program under test.
ms keygen --no-password --output "$T/k" >/dev/null
M=$T/model
mkdir -p "$M"
printf 'weights' >"$M/w.bin"
act() { # MODE [VAR=VALUE...]: scripts/action-run as the Action runs it
    mode=$1
    shift
    : >"$T/gh-output"
    run env GITHUB_OUTPUT="$T/gh-output" RUNNER_TEMP="$T" MODELSEAL="$MODELSEAL" MS_MODE="$mode" \
        MS_MODEL="$M" "$@" sh "$SRCDIR/scripts/action-run"
}
act sign MS_KEY="$T/k.key"
check_eq "action sign: exit" "$STATUS" 0
check_eq "action sign: digest output" "$(sed -n 's/^digest=//p' "$T/gh-output")" "$(ms digest "$M")"
check_eq "action sign: signature output" "$(sed -n 's/^signature=//p' "$T/gh-output")" "$M/model.sig"
act verify MS_KEY="$T/k.pub"
check_eq "action verify: exit" "$STATUS" 0
check_eq "action verify: digest output" "$(sed -n 's/^digest=//p' "$T/gh-output")" "$(ms digest "$M")"
ms policy init --model-key "$T/k.pub" >"$T/policy.json" 2>/dev/null
act verify-policy MS_POLICY="$T/policy.json"
check_eq "action verify-policy: exit" "$STATUS" 0
grep -q '"verified":true' "$OUT" && pass || fail "action verify-policy: the report: $(head -c 200 "$OUT")"
printf 'x' >>"$M/w.bin"
act verify MS_KEY="$T/k.pub"
check_eq "action verify of a changed model: exit 1 passes through" "$STATUS" 1
act verify-policy MS_POLICY="$T/policy.json"
check_eq "action verify-policy of a changed model: exit 1" "$STATUS" 1
act verify
check_eq "action verify without key or identity: exit 2" "$STATUS" 2
act frobnicate
check_eq "action with an unknown mode: exit 2" "$STATUS" 2
grep -q "mode must be sign, verify or verify-policy" "$ERR" && pass || fail "unknown mode message: $(cat "$ERR")"
finish
