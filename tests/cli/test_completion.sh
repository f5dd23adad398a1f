#!/bin/sh
# modelseal completion bash|zsh: the scripts load, complete commands, subcommands, options,
# choices and file names as the option tables say, and offer exactly the options --help shows.
. "$(dirname "$0")/lib.sh"
normal_run_only "the completion scripts"
set -e

check_status "completion bash" 0 ms completion bash
cp "$OUT" "$T/bash"
check_status "completion zsh" 0 ms completion zsh
cp "$OUT" "$T/zsh"
check_fails "completion without a shell" 2 "missing subcommand: bash or zsh" ms completion
check_fails "completion for another shell" 2 "unknown subcommand 'fish'" ms completion fish
check_fails "completion with an operand" 2 "unexpected argument 'x'" ms completion bash x
check_status "completion --help" 0 ms completion --help
grep -q "^Usage: modelseal completion bash|zsh" "$OUT" && pass || fail "completion --help"
ms --help | grep -q "^  completion " && pass || fail "modelseal --help lists completion"

# ---- bash -------------------------------------------------------------------------------------
run bash -c '. "$1"; complete -p modelseal' sh "$T/bash"
[ "$STATUS" -eq 0 ] && grep -qx "complete -F _modelseal modelseal" "$OUT" && pass ||
    fail "bash: the script registers _modelseal: $(cat "$OUT" "$ERR")"

mkdir "$T/dir"
: >"$T/dir/key.pub"
: >"$T/dir/other"
# offer WORD...: what bash completes for the last word (COMP_WORDS as readline splits them).
offer() {
    bash -c '. "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _modelseal
             printf "%s\n" "${COMPREPLY[@]}"' sh "$T/bash" "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
check_offer() {
    local want=$1
    shift
    got=$(offer "$@")
    [ "$got" = "$want" ] && pass || fail "bash: '$*<TAB>' offers '$got', expected '$want'"
}
check_offer "sign" modelseal sig
check_offer "--key" modelseal verify --k
check_offer "--help --version" modelseal --
check_offer "manifest merge sign verify" modelseal dataset ""
check_offer "--signature --signing-config --sigstore --staging" modelseal dataset sign --s
check_offer "--buffer-size" modelseal dataset verify --buf
check_offer "" modelseal dataset manifest --sigst
check_offer "files shards" modelseal hash --method ""
check_offer "blake2b blake3" modelseal sign --algorithm b
check_offer "dataset digest" modelseal help d
check_offer "bash zsh" modelseal completion ""
check_offer "$T/dir/key.pub" modelseal verify --key "$T/dir/k"
check_offer "$T/dir/key.pub $T/dir/other" modelseal keygen -o "$T/dir/"
check_offer "" modelseal verify --identity "$T/dir/k"
check_offer "--policy" modelseal verify --pol

# Every command and subcommand is offered the options its --help shows, no more, no fewer.
help_options() {
    ms "$1" --help | sed -n 's/^  \(-.*\)$/\1/p' | sed 's/  .*//' |
        grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u
}
ms --help | sed -n 's/^  \([a-z][a-z]*\)  .*/\1/p' | grep -vx 'help' >"$T/commands"
while read -r cmd; do
    sed -n "s/^    '$cmd\( [a-z]*\)\{0,1\}') opts='\(.*\)' ;;\$/\2/p" "$T/bash" | tr ' ' '\n' |
        grep -- '^--' | sort -u >"$T/offered"
    help_options "$cmd" >"$T/help"
    [ -s "$T/offered" ] && cmp -s "$T/offered" "$T/help" && pass ||
        fail "$cmd: completion offers $(tr '\n' ' ' <"$T/offered"), --help shows $(tr '\n' ' ' <"$T/help")"
done <"$T/commands"

# ---- zsh --------------------------------------------------------------------------------------
if command -v zsh >/dev/null 2>&1; then
    run zsh -n "$T/zsh"
    [ "$STATUS" -eq 0 ] && pass || fail "zsh -n: $(cat "$ERR")"
    head -1 "$T/zsh" | grep -qx '#compdef modelseal' && pass || fail "zsh: no #compdef line"
    # zoffer WORD...: what the function hands to compadd or _files (stand-ins), for the last word.
    zoffer() {
        zsh -fc 'compdef() { :; }
                 compadd() { shift; print -r -- "$@"; }
                 _files() { print -r -- "(files)"; }
                 . "$1"; shift; words=("$@"); CURRENT=$#; _modelseal' sh "$T/zsh" "$@"
    }
    zsh -fc 'compdef() { print -r -- "compdef $*"; }; . "$1"' sh "$T/zsh" >"$OUT"
    grep -qx "compdef _modelseal modelseal" "$OUT" && pass || fail "zsh: the script calls compdef"
    zoffer modelseal sig | grep -qw sign && pass || fail "zsh: 'modelseal sig<TAB>' lacks sign"
    zoffer modelseal verify --k | grep -qw -- --key && pass ||
        fail "zsh: 'modelseal verify --k<TAB>' lacks --key"
    [ "$(zoffer modelseal dataset "")" = "manifest sign verify merge" ] && pass ||
        fail "zsh: dataset subcommands: $(zoffer modelseal dataset "")"
    [ "$(zoffer modelseal verify --key k)" = "(files)" ] && pass || fail "zsh: --key completes files"
    [ "$(zoffer modelseal hash --method "")" = "files shards" ] && pass || fail "zsh: --method choices"
else
    echo "$(basename "$0"): zsh not installed (scripts/setup installs it): zsh checks skipped" >&2
fi
finish
