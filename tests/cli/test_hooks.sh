#!/bin/sh
# modelseal hooks install | uninstall, exercised through the real git: hooks run by `git commit`
# and `git push` to a local bare remote; an existing hook is chained and restored; core.hooksPath
# is respected; a tampered model is refused by the pre-push hook and never reaches the remote.
. "$(dirname "$0")/lib.sh"
set -e

command -v git >/dev/null || { echo "test_hooks.sh: git not found, skipped"; exit 77; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T"
export MODELSEAL_HOOKS_DIR="$SRCDIR/contrib/hooks"
# libgit2 1.5 leaks PCRE2 match data whenever it matches a configuration value against a
# regular expression (git_config_set_multivar, git_remote_add_push): not ours to fix, so the
# sanitizer build is told to ignore leaks from inside libpcre2.
printf 'leak:libpcre2-8.so\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
git config --global init.defaultBranch main
git config --global user.name Tester
git config --global user.email tester@example.com
ms keygen --no-password --output "$T/rel" >/dev/null

git init -q --bare "$T/remote.git"
R=$T/repo
git init -q "$R"
cd "$R"
git remote add origin "$T/remote.git"
mkdir -p models/clf keys
head -c 2000 /dev/urandom >models/clf/w.bin
cp "$T/rel.pub" keys/release.pub
ms sign --key "$T/rel.key" models/clf >/dev/null
printf '{"version": 1, "models": [{"path": "models/clf", "key": "keys/release.pub"}]}' >.modelseal.json

# A hook the user already had: it must keep running.
HOOKS=$R/.git/hooks
cat >"$HOOKS/post-commit" <<EOF
#!/bin/sh
echo ran >>"$T/user-hook.log"
EOF
chmod +x "$HOOKS/post-commit"
cp "$HOOKS/post-commit" "$T/user-hook.orig"

check_status "install" 0 ms hooks install
grep -q "post-commit: installed (the hook that was there is kept" "$OUT" && pass || fail "install reports the kept hook: $(cat "$OUT")"
check_file_eq "the user's hook is kept" "$HOOKS/post-commit.pre-modelseal" "$T/user-hook.orig"
grep -q "^# modelseal-hook" "$HOOKS/post-commit" && pass || fail "post-commit is ours"
[ -x "$HOOKS/pre-push" ] && [ -x "$HOOKS/post-commit" ] && pass || fail "hooks are executable"
[ ! -e "$HOOKS/pre-commit" ] && pass || fail "no pre-commit without --pre-commit"
check_eq "notes.displayRef" "$(git config --get-all notes.displayRef)" "refs/notes/modelseal"
check_eq "push refspecs" "$(git config --get-all remote.origin.push | tr '\n' ' ')" "HEAD refs/notes/modelseal "
git rev-parse -q --verify refs/notes/modelseal >/dev/null && pass || fail "the notes ref exists for the push refspec"

# Installing twice changes nothing.
snapshot() { (cd "$HOOKS" && sha256sum post-commit post-commit.pre-modelseal pre-push; git config --list --local) >"$1"; }
snapshot "$T/snap1"
check_status "install again" 0 ms hooks install
snapshot "$T/snap2"
check_file_eq "installing twice changes nothing" "$T/snap1" "$T/snap2"
grep -q "post-commit: already installed" "$OUT" && pass || fail "second install says so: $(cat "$OUT")"

# ---- a commit runs both hooks and records the note ----------------------------------------------
git add -A
git commit -qm "model v1" 2>"$ERR"
check_eq "the user's hook still ran" "$(cat "$T/user-hook.log")" "ran"
git notes --ref modelseal show HEAD >"$T/note.json" 2>/dev/null && pass || fail "the post-commit hook wrote a note"
$PY - "$T/note.json" "$(git rev-parse HEAD)" "$(ms digest models/clf)" <<'PY' && pass || fail "the hook's note"
import json, sys
n = json.load(open(sys.argv[1]))
assert n["commit"] == sys.argv[2] and n["artifacts"][0]["digest"] == sys.argv[3], n
assert n["artifacts"][0]["signature"] == "valid"
PY
git log -1 --format=%N | grep -q '"version":1' && pass || fail "git log shows the note (notes.displayRef)"

# ---- a plain git push sends the branch and the notes --------------------------------------------
check_status "push a signed model" 0 git push -q
check_eq "the remote has the branch" "$(git --git-dir="$T/remote.git" rev-parse main)" "$(git rev-parse HEAD)"
check_eq "the remote has the notes" "$(git --git-dir="$T/remote.git" rev-parse refs/notes/modelseal)" "$(git rev-parse refs/notes/modelseal)"
GOOD=$(git rev-parse HEAD)

# ---- a tampered model is refused by pre-push, and never reaches the remote ------------------------
printf 'poisoned' >>models/clf/w.bin
git commit -qam "tamper" 2>/dev/null
run git push -q
check_eq "push of a tampered model fails" "$STATUS" 1
grep -q "models/clf: the files do not match the signature: changed w.bin" "$ERR" && pass || fail "the refusal names the model: $(cat "$ERR")"
grep -q "commit $(git rev-parse --short=12 HEAD)" "$ERR" && pass || fail "the refusal names the commit: $(cat "$ERR")"
check_eq "the remote did not receive it" "$(git --git-dir="$T/remote.git" rev-parse main)" "$GOOD"
# A new branch with the tampered commit is refused too.
check_status "push of a new branch with the tampered commit" 1 git push -q origin HEAD:refs/heads/topic
git --git-dir="$T/remote.git" rev-parse -q --verify refs/heads/topic >/dev/null && fail "topic reached the remote" || pass
# Fixing it (re-signing) makes the push go through: the range is checked commit by commit, so the
# tampered commit must be dropped from history first.
git reset -q --hard "$GOOD"
head -c 2000 /dev/urandom >models/clf/w.bin
ms sign --key "$T/rel.key" models/clf >/dev/null
git commit -qam "model v2" 2>/dev/null
check_status "push of a re-signed model" 0 git push -q
check_eq "the remote has v2" "$(git --git-dir="$T/remote.git" rev-parse main)" "$(git rev-parse HEAD)"

# Recording never blocks a commit: a broken configuration warns and the commit stands.
printf '{"version": 1, "bogus": 1}' >.modelseal.json
git commit -qam "break the config" 2>"$ERR" && pass || fail "a commit with a broken config still succeeds"
grep -q "bogus: unknown field" "$ERR" && pass || fail "the post-commit hook warns: $(cat "$ERR")"
git reset -q --hard HEAD^

# ---- --pre-commit checks the staged tree ----------------------------------------------------------
check_status "install --pre-commit" 0 ms hooks install --pre-commit
grep -q "^# modelseal-hook" "$HOOKS/pre-commit" && pass || fail "pre-commit installed"
printf 'unsigned change' >>models/clf/w.bin
git add -A
check_status "pre-commit refuses a staged tampered model" 1 git commit -qm "bad staged"
grep -q "staged: models/clf: the files do not match the signature" "$ERR" && pass || fail "pre-commit names the model: $(cat "$ERR")"
ms sign --key "$T/rel.key" models/clf >/dev/null
git add -A
check_status "pre-commit accepts a signed model" 0 git commit -qm "good staged"
printf 'unsigned again' >>models/clf/w.bin
check_status "pre-commit with commit -a (a temporary index)" 1 git commit -qam "bad -a"
git checkout -q -- models/clf

# ---- --force only where a different saved hook would be lost --------------------------------------
check_status "uninstall" 0 ms hooks uninstall
check_file_eq "uninstall restores the user's hook" "$HOOKS/post-commit" "$T/user-hook.orig"
[ ! -e "$HOOKS/pre-push" ] && [ ! -e "$HOOKS/pre-commit" ] && [ ! -e "$HOOKS/post-commit.pre-modelseal" ] && pass || fail "uninstall removes our hooks"
check_eq "uninstall removes notes.displayRef" "$(git config --get-all notes.displayRef || true)" ""
check_eq "uninstall removes the push refspecs" "$(git config --get-all remote.origin.push || true)" ""
printf '#!/bin/sh\necho other\n' >"$HOOKS/post-commit.pre-modelseal"
check_fails "a different saved hook is not overwritten" 2 "use --force" ms hooks install
check_file_eq "nothing changed after the refusal" "$HOOKS/post-commit" "$T/user-hook.orig"
check_status "--force replaces it" 0 ms hooks install --force
check_file_eq "--force keeps the current hook" "$HOOKS/post-commit.pre-modelseal" "$T/user-hook.orig"
ms hooks uninstall >/dev/null

# ---- core.hooksPath, a repository without a remote, chaining pre-push input ------------------------
H=$T/hp
git init -q "$H"
cd "$H"
git config core.hooksPath .githooks
mkdir .githooks
cat >.githooks/pre-push <<EOF
#!/bin/sh
cat >"$T/pre-push-input"
EOF
chmod +x .githooks/pre-push
check_status "install with core.hooksPath" 0 ms hooks install
[ -x .githooks/post-commit ] && [ -x .githooks/pre-push.pre-modelseal ] && [ ! -e .git/hooks/post-commit ] && pass || fail "hooks go to core.hooksPath"
grep -q "remote origin: none" "$OUT" && pass || fail "no remote is reported: $(cat "$OUT")"
git init -q --bare "$T/hp-remote.git"
git remote add origin "$T/hp-remote.git"
mkdir m && printf 'w' >m/w && ms sign --key "$T/rel.key" m >/dev/null
printf '{"version": 1, "models": [{"path": "m"}]}' >.modelseal.json
git add -A && git commit -qm one 2>/dev/null
check_status "push through a chained pre-push hook" 0 git push -q origin main
grep -q "refs/heads/main $(git rev-parse HEAD) refs/heads/main" "$T/pre-push-input" && pass || fail "the chained hook got git's input: $(cat "$T/pre-push-input")"
check_fails "--remote naming no remote" 2 "no remote named 'upstream'" ms hooks install --remote upstream
check_fails "not a repository" 2 "not in a git repository" ms hooks install --repo /
check_fails "unknown subcommand" 2 "unknown subcommand" ms hooks frob

finish
