#!/bin/sh
# The program reads its trust material (trusted roots, signing configs, hook scripts) where it
# was installed or where the environment names, and nowhere else: never from the source tree it
# was built from. A default that is missing is exit 3 naming the path looked at. Then the real
# thing: this build installed with `make install DESTDIR=...`, run in a private mount namespace
# where that copy's package data directory is mounted at the configured one and the source and
# build trees are hidden under empty directories (moved away, as far as the program can tell):
# it verifies a public-good keyless signature with the installed trusted root, refuses one with
# the installed staging root, installs the installed hook scripts; with the installed trusted
# root or hooks removed, it names what it looked for (exit 3), with the source tree there or not.
# The namespace part is skipped (77) where unshare cannot make one.
. "$(dirname "$0")/lib.sh"
set -e

NAME=$(basename "$0")
ID=stefanb@us.ibm.com
ISS=https://sigstore.verify.ibm.com/oauth2
cp -R "$MS_VECTORS/oms/model-transparency-releases/v1.1.0-sigstore" "$T/model"
chmod -R u+w "$T/model"
mkdir -p "$T/unsigned"
printf 'weights' >"$T/unsigned/w.bin"

# ---- the directories the environment names, and only those -----------------------------------
NOWHERE=$T/nowhere
check_fails "MODELSEAL_SIGSTORE_DIR without a trusted root" 3 \
    "$NOWHERE/trusted_root.json: No such file or directory (the default trusted root" \
    env MODELSEAL_SIGSTORE_DIR="$NOWHERE" "$MODELSEAL" verify --identity "$ID" --issuer "$ISS" \
    "$T/model"
check_fails "MODELSEAL_SIGSTORE_DIR without a staging root" 3 \
    "$NOWHERE/staging_trusted_root.json: No such file or directory" \
    env MODELSEAL_SIGSTORE_DIR="$NOWHERE" "$MODELSEAL" verify --identity "$ID" --issuer "$ISS" \
    --staging "$T/model"
check_fails "MODELSEAL_SIGSTORE_DIR without a signing config" 3 \
    "$NOWHERE/signing_config.v0.2.json: No such file or directory (the default signing config" \
    env MODELSEAL_SIGSTORE_DIR="$NOWHERE" "$MODELSEAL" sign --sigstore --identity-token x.y.z \
    "$T/unsigned"
check_status "--trusted-root needs no default" 0 \
    env MODELSEAL_SIGSTORE_DIR="$NOWHERE" "$MODELSEAL" verify --identity "$ID" --issuer "$ISS" \
    --trusted-root "$SRCDIR/keys/trusted_root.json" "$T/model"
check_status "MODELSEAL_SIGSTORE_DIR names the root" 0 \
    "$MODELSEAL" verify --identity "$ID" --issuer "$ISS" "$T/model"

# ---- an installed copy ------------------------------------------------------------------------
skip() {
    echo "$NAME: SKIP: $*" >&2
    finish
    exit 77
}
[ -n "${MS_BUILDDIR:-}" ] && [ -n "${MS_INSTALL_PKGDATADIR:-}" ] ||
    skip "needs the build's install directories (run by make check)"
if unshare -rm true 2>/dev/null; then
    NS="unshare -rm"
elif unshare -m true 2>/dev/null; then
    NS="unshare -m"
else
    skip "unshare cannot make a private mount namespace"
fi
SRC=$(cd "$SRCDIR" && pwd -P)
BUILD=$(cd "$MS_BUILDDIR" && pwd -P)
TREAL=$(cd "$T" && pwd -P)
case $TREAL/ in "$SRC"/* | "$BUILD"/*) skip "the test directory $T is inside the source or build tree" ;; esac
P=$MS_INSTALL_PKGDATADIR
DEST=$T/dest
# The build's own `make install`, with nothing of the calling make's flags (TESTS=..., -j).
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MS_BUILDDIR" install DESTDIR="$DEST" \
    >"$T/install.log" 2>&1; then
    sed 's/^/  make install: /' "$T/install.log" | tail -20 >&2
    fail "make install DESTDIR=$DEST"
    finish
    exit 1
fi
BIN=$DEST$MS_INSTALL_BINDIR/modelseal
for f in "$BIN" "$DEST$P/trusted_root.json" "$DEST$P/staging_trusted_root.json" \
    "$DEST$P/signing_config.v0.2.json" "$DEST$P/hooks/post-commit"; do
    if [ -f "$f" ]; then pass; else fail "not installed: $f"; fi
done
# The JSON Schemas of every --json document (modelseal-json(7)), each as in the source tree.
for f in "$SRCDIR"/doc/schemas/*.schema.json; do
    cmp -s "$f" "$DEST$P/schemas/${f##*/}" && pass || fail "not installed: $DEST$P/schemas/${f##*/}"
done
# The shell completions, as the installed program writes them.
D=$DEST${MS_INSTALL_DATADIR:-}
for f in bash-completion/completions/modelseal zsh/vendor-completions/_modelseal; do
    if [ -n "${MS_INSTALL_DATADIR:-}" ] && [ -s "$D/$f" ]; then pass; else fail "not installed: $D/$f"; fi
done
"$MODELSEAL" completion bash | cmp -s - "$D/bash-completion/completions/modelseal" && pass ||
    fail "installed bash completion differs from 'modelseal completion bash'"
# The installed root is the source tree's (so the verifications below mean what they say).
check_file_eq "installed trusted root" "$DEST$P/trusted_root.json" "$SRCDIR/keys/trusted_root.json"

# installed HIDE CMD...: run CMD in a private mount namespace where the installed package data
# directory is at $P and, with HIDE=1, the source and build trees are empty; without any of the
# environment variables that name other places.
cat >"$T/installed.sh" <<'EOF'
set -e
hide=$1
shift
if [ "$hide" = 1 ]; then
    for d in "$SRC" "$BUILD"; do
        if [ -d "$d" ]; then mount -t tmpfs -o size=1m modelseal-moved-away "$d"; fi
    done
fi
if [ ! -d "$P" ]; then
    # Nowhere to mount it: an empty directory in place of the deepest one that exists.
    a=$P
    while [ ! -d "$a" ]; do a=$(dirname "$a"); done
    case $a in / | /usr) echo "installed.sh: would hide $a" >&2; exit 125 ;; esac
    mount -t tmpfs -o size=1m modelseal-prefix "$a"
    mkdir -p "$P"
fi
mount --bind "$DEST$P" "$P"
exec env -u MODELSEAL_SIGSTORE_DIR -u MODELSEAL_HOOKS_DIR -u MODELSEAL -u SRCDIR \
    LD_LIBRARY_PATH="$DEST$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$@"
EOF
installed() { SRC=$SRC BUILD=$BUILD P=$P DEST=$DEST LIBDIR=$MS_INSTALL_LIBDIR $NS sh "$T/installed.sh" "$@"; }

check_status "installed, source moved away: the installed trusted root" 0 \
    installed 1 "$BIN" verify --identity "$ID" --issuer "$ISS" "$T/model"
grep -q "^Signer: Sigstore certificate for $ID from $ISS, signed 20" "$OUT" && pass ||
    fail "installed: signer line: $(cat "$OUT")"
check_fails "installed, source moved away: the installed staging root" 1 \
    "is not in the trusted root" \
    installed 1 "$BIN" verify --identity "$ID" --issuer "$ISS" --staging "$T/model"
if command -v git >/dev/null; then
    git init -q "$T/repo"
    check_status "installed, source moved away: hooks install" 0 \
        installed 1 env HOME="$T" GIT_CONFIG_NOSYSTEM=1 "$BIN" hooks install --repo "$T/repo"
    grep -q "^# modelseal-hook" "$T/repo/.git/hooks/post-commit" && pass ||
        fail "installed: the post-commit hook"
fi

# Without the installed files, nothing else is found: not with the source tree hidden, and not
# with it right there.
rm "$DEST$P/trusted_root.json"
rm -r "$DEST$P/hooks"
for hide in 1 0; do
    check_fails "installed, no trusted root (source hidden: $hide)" 3 \
        "$P/trusted_root.json: No such file or directory (the default trusted root" \
        installed $hide "$BIN" verify --identity "$ID" --issuer "$ISS" "$T/model"
    if command -v git >/dev/null; then
        check_fails "installed, no hook scripts (source hidden: $hide)" 3 \
            "cannot find the hook scripts (looked in \$MODELSEAL_HOOKS_DIR and $P/hooks)" \
            installed $hide env HOME="$T" GIT_CONFIG_NOSYSTEM=1 "$BIN" hooks install --repo "$T/repo"
    fi
done

finish
