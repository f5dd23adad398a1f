#!/bin/sh
# The man pages against the program (as git's t0450 checks its docs against -h): every option
# `modelseal CMD --help` shows is in the OPTIONS section of doc/modelseal-CMD.1, and every option
# that section documents is one --help shows. --help comes from the option tables
# (src/cli/options.h), so a page that drifts from the code fails here.
. "$(dirname "$0")/lib.sh"
normal_run_only "the man pages against --help"
set -e

# The long options on the option lines of `modelseal CMD --help` (their left column: up to two
# spaces), one a line, sorted; --help and --quiet, which every command takes (modelseal(1)), are
# left out.
help_options() {
    ms "$1" --help | sed -n 's/^  \(-.*\)$/\1/p' | sed 's/  .*//' |
        grep -o -- '--[a-z0-9][a-z0-9-]*' | grep -vxE -- '--(help|quiet)' | sort -u
}

# The long options in the tags (the line after .TP) of the OPTIONS section of a man page.
man_options() {
    awk '/^\.SH/ { in_options = ($0 == ".SH OPTIONS") } in_options && prev == ".TP" { print } { prev = $0 }' "$1" |
        sed 's/\\-/-/g' | grep -o -- '--[a-z0-9][a-z0-9-]*' | grep -vxE -- '--(help|quiet)' | sort -u
}

# Every page renders without a groff warning on the ascii, latin1 and utf8 devices (man picks
# one by the locale): no glyph the device lacks, no bad request or escape.
if command -v groff >/dev/null 2>&1; then
    for page in "$SRCDIR"/doc/*.[1-8]; do
        for dev in ascii latin1 utf8; do
            w=$(groff -man -T$dev -ww "$page" 2>&1 >/dev/null | head -n 3)
            [ -z "$w" ] && pass || fail "groff -T$dev: $w"
        done
    done
else
    fail "no groff to render the pages with (scripts/setup installs man-db, which brings groff-base)"
fi

ms --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' >"$T/commands"
[ -s "$T/commands" ] && pass || fail "modelseal --help lists no commands"
while read -r cmd; do
    case $cmd in help | completion) continue ;; esac
    page=$SRCDIR/doc/modelseal-$cmd.1
    if [ ! -f "$page" ]; then
        fail "$cmd: no man page doc/modelseal-$cmd.1"
        continue
    fi
    help_options "$cmd" >"$T/help"
    man_options "$page" >"$T/man"
    [ -s "$T/help" ] || [ "$cmd" = inspect ] || fail "$cmd: no options found in --help"
    missing=$(comm -23 "$T/help" "$T/man" | tr '\n' ' ')
    [ -z "$missing" ] && pass || fail "$cmd: in --help, not in OPTIONS of modelseal-$cmd.1: $missing"
    extra=$(comm -13 "$T/help" "$T/man" | tr '\n' ' ')
    [ -z "$extra" ] && pass || fail "$cmd: in OPTIONS of modelseal-$cmd.1, not in --help: $extra"
done <"$T/commands"

# The pages of file formats and topics: each is installed (dist_man_MANS) and renders cleanly.
for page in modelseal-keys.5 modelseal-claims.5 modelseal-policy.5 modelseal-sigstore.7 \
    modelseal-cache.5 modelseal-json.7; do
    grep -q "doc/$page" "$SRCDIR/Makefile.am" && pass || fail "$page: not in dist_man_MANS"
    if command -v groff >/dev/null 2>&1; then
        warnings=$(groff -man -Tutf8 -ww -z "$SRCDIR/doc/$page" 2>&1)
        [ -z "$warnings" ] && pass || fail "$page: groff warns: $warnings"
    fi
done

# dataset takes --buffer-size (as every hashing command) and --help says so.
ms dataset --help | grep -qx '  --buffer-size BYTES    read buffer per thread (default 4194304)' &&
    pass || fail "dataset --help lists --buffer-size"
finish
