#!/bin/sh
# Program basics: help, version, command table, usage errors, man pages.
. "$(dirname "$0")/lib.sh"
set -e

check_status "--help" 0 ms --help
grep -q "^  hash " "$OUT" && grep -q "^  digest " "$OUT" && pass || fail "--help lists commands"
check_status "--version" 0 ms --version
grep -qE '^modelseal [0-9]+\.[0-9]+\.[0-9]+$' "$OUT" && pass || fail "--version format"
check_status "no arguments is a usage error" 2 ms
check_fails "unknown command" 2 "unknown command 'frobnicate'" ms frobnicate
for cmd in hash digest keygen sign verify inspect help; do
    check_status "help $cmd" 0 ms help "$cmd"
    grep -q "^Usage: modelseal $cmd" "$OUT" && pass || fail "help $cmd shows usage"
    check_status "$cmd --help" 0 ms "$cmd" --help
done
check_fails "help for an unknown command" 2 "unknown command 'nope'" ms help nope
check_fails "unknown option" 2 "Try 'modelseal hash --help'" ms hash --frobnicate x
# A near miss gets the nearest name (at most two edits: a swap, a letter missed or added).
check_fails "near command" 2 "unknown command 'sing'; did you mean 'sign'? (see 'modelseal --help')" ms sing
grep -q "did you mean" "$ERR" && pass || fail "near command: no suggestion"
check_fails "far command: no suggestion" 2 "unknown command 'frobnicate' (see" ms frobnicate
check_fails "near option" 2 "unknown option '--kye'; did you mean '--key'?" ms sign --kye k m
check_fails "near option with a value" 2 "unknown option '--kye'; did you mean '--key'?" \
    ms sign --kye=k m
check_fails "near option of another mode" 2 "unknown option '--polcy'; did you mean '--policy'?" \
    ms verify --polcy p m
check_fails "near subcommand" 2 "unknown subcommand 'manfest'; did you mean 'manifest'?" \
    ms dataset manfest d
check_fails "far option: no suggestion" 2 "unknown option '--zzzzzz'" ms verify --zzzzzz m
grep -q "did you mean" "$ERR" && fail "far option: a suggestion" || pass
check_fails "missing MODEL" 2 "missing MODEL" ms hash
check_fails "two MODELs" 2 "exactly one MODEL" ms digest a b

# Every command has a man page, and modelseal(1) documents the exit codes.
for page in modelseal modelseal-hash modelseal-digest modelseal-keygen modelseal-sign modelseal-verify modelseal-inspect; do
    [ -s "$SRCDIR/doc/$page.1" ] && pass || fail "man page $page.1 missing"
    if command -v man >/dev/null 2>&1; then
        run env MANWIDTH=80 man -l "$SRCDIR/doc/$page.1"
        [ "$STATUS" -eq 0 ] && grep -q "modelseal" "$OUT" && pass || fail "man -l $page.1 renders"
    fi
done
grep -q "EXIT STATUS" "$SRCDIR/doc/modelseal.1" && pass || fail "modelseal(1) documents exit status"
finish
