#!/bin/sh
# The pre-commit framework's hooks (.pre-commit-hooks.yaml) run by the real pre-commit (Debian's
# package): modelseal-push checks the commits being pushed (pre-commit's PRE_COMMIT_FROM_REF..
# PRE_COMMIT_TO_REF), not what HEAD has that no remote-tracking ref has: an unpushed branch with
# a tampered model does not block the push of a clean one, and the push of that branch from
# another branch is refused; modelseal-staged refuses a staged tampered model.
. "$(dirname "$0")/lib.sh"
normal_run_only "the pre-commit framework's hook definitions (lineage check runs under the sanitizers in test_lineage and test_hooks)"
set -e

command -v pre-commit >/dev/null || { echo "$NAME: SKIP: no pre-commit (scripts/setup installs it)"; exit 77; }
command -v git >/dev/null || { echo "$NAME: SKIP: git not found"; exit 77; }
export GIT_CONFIG_NOSYSTEM=1 HOME="$T" PRE_COMMIT_HOME="$T/pre-commit-cache"
git config --global init.defaultBranch main
git config --global user.name Tester
git config --global user.email tester@example.com
# libgit2 1.5 leaks PCRE2 match data when it matches configuration values (see test_hooks.sh).
printf 'leak:libpcre2-8.so\n' >"$T/lsan.supp"
export LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
# The hooks' entries run `modelseal` from PATH: the program under test.
mkdir -p "$T/bin"
ln -s "$MODELSEAL" "$T/bin/modelseal"
PATH=$T/bin:$PATH
ms keygen --no-password --output "$T/rel" >/dev/null

# Our hook definitions, as a local repository of hooks in the project's config (pre-commit would
# otherwise clone this repository at a tag).
$PY - "$SRCDIR/.pre-commit-hooks.yaml" "$T/config.yaml" <<'PY'
import sys, yaml
hooks = yaml.safe_load(open(sys.argv[1]))
assert [h["id"] for h in hooks] == ["modelseal-staged", "modelseal-push"], hooks
yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, open(sys.argv[2], "w"))
PY

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
cp "$T/config.yaml" .pre-commit-config.yaml
check_status "pre-commit install" 0 pre-commit install -t pre-commit -t pre-push
git add -A
check_status "commit a signed model (modelseal-staged passes)" 0 git commit -qm "model v1"
check_status "push it (modelseal-push passes)" 0 git push -q origin main
grep -q "pushed commits leave no unsigned or tampered model.*Passed" "$ERR" "$OUT" && pass ||
    fail "modelseal-push ran: $(cat "$OUT" "$ERR")"

# A tampered model on an unpushed branch (committed with the hooks bypassed).
git checkout -q -b bad
printf 'poisoned' >>models/clf/w.bin
git commit -qam "tamper" --no-verify
BAD=$(git rev-parse HEAD)
git checkout -q main
# A clean change on main: its push checks main's new commit only.
head -c 2000 /dev/urandom >models/clf/w.bin
ms sign --key "$T/rel.key" models/clf >/dev/null
git commit -qam "model v2"
check_status "push main while an unpushed branch has a tampered model" 0 git push -q origin main
check_eq "the remote has v2" "$(git --git-dir="$T/remote.git" rev-parse main)" "$(git rev-parse main)"
# What the hook's entry ran before, `modelseal lineage check` with no range, checks what HEAD
# (main) has that no remote-tracking ref has: nothing, so it would let the push below through.
check_status "lineage check with no range: HEAD's unpushed commits only" 0 ms lineage check
# The push of the tampered branch is refused, naming the commit; the remote never gets it.
check_status "push the tampered branch" 1 git push -q origin bad
grep -q "models/clf: the files do not match the signature: changed w.bin" "$OUT" "$ERR" && pass ||
    fail "the refusal names the model: $(cat "$OUT" "$ERR")"
grep -q "commit $(git rev-parse --short=12 "$BAD")" "$OUT" "$ERR" && pass ||
    fail "the refusal names the commit: $(cat "$OUT" "$ERR")"
git --git-dir="$T/remote.git" rev-parse -q --verify refs/heads/bad >/dev/null &&
    fail "the tampered branch reached the remote" || pass

# modelseal-staged: a staged tampered model is refused.
printf 'unsigned change' >>models/clf/w.bin
git add -A
check_status "commit a staged tampered model" 1 git commit -qm "bad staged"
grep -q "staged: models/clf: the files do not match the signature" "$OUT" "$ERR" && pass ||
    fail "modelseal-staged names the model: $(cat "$OUT" "$ERR")"
finish
