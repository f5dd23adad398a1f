#!/bin/sh
# A program that uses only the installed headers: this build installed with `make install
# DESTDIR=...`, tests/api/sign_verify.c compiled with `pkg-config --cflags --libs modelseal`
# from that copy (PKG_CONFIG_SYSROOT_DIR) and run on it (LD_LIBRARY_PATH): it signs a model
# with a new Ed25519 key, verifies it, and is refused once a file changed. Skipped (77) without
# a shared library or pkg-config. Needs no mount namespace: nothing is run from the configured
# prefix.
. "$(dirname "$0")/../cli/lib.sh"
set -e

NAME=$(basename "$0")
skip() {
    echo "$NAME: SKIP: $*" >&2
    finish
    exit 77
}
[ -n "${MS_BUILDDIR:-}" ] && [ -n "${MS_INSTALL_LIBDIR:-}" ] && [ -n "${MS_INSTALL_INCLUDEDIR:-}" ] ||
    skip "needs the build's install directories (run by make check)"
[ -f "$MS_BUILDDIR/.libs/libmodelseal.so" ] || skip "no shared library (--disable-shared)"
command -v "${PKG_CONFIG:-pkg-config}" >/dev/null 2>&1 || skip "no pkg-config"
PKGC=${PKG_CONFIG:-pkg-config}

DEST=$T/dest
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$MS_BUILDDIR" install DESTDIR="$DEST" \
    >"$T/install.log" 2>&1; then
    sed 's/^/  make install: /' "$T/install.log" | tail -20 >&2
    fail "make install DESTDIR=$DEST"
    finish
    exit 1
fi
LIBDIR=$DEST$MS_INSTALL_LIBDIR
for f in "$LIBDIR/pkgconfig/modelseal.pc" "$DEST$MS_INSTALL_INCLUDEDIR/modelseal/modelseal.h" \
    "$DEST$MS_INSTALL_INCLUDEDIR/modelseal/export.h"; do
    if [ -f "$f" ]; then pass; else fail "not installed: $f"; fi
done
# Only the headers of the API are installed.
for h in buf encoding fs json pool walk; do
    if [ -e "$DEST$MS_INSTALL_INCLUDEDIR/modelseal/$h.h" ]; then
        fail "an internal header is installed: modelseal/$h.h"
    else pass; fi
done

# Compile as a consumer would: the installed copy's flags, the source file copied out of the
# tree (so no header of the tree is next to it), nothing of the build's include paths.
cp "$SRCDIR/tests/api/sign_verify.c" "$T/prog.c"
export PKG_CONFIG_PATH="$LIBDIR/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" PKG_CONFIG_SYSROOT_DIR="$DEST"
FLAGS=$("$PKGC" --cflags --libs modelseal)
check_status "pkg-config knows the installed modelseal" 0 "$PKGC" --exists modelseal
# shellcheck disable=SC2086 # word splitting of the flags is meant
check_status "sign_verify.c compiles against the installed headers and library" 0 \
    ${CC:-cc} -std=c11 -Wall -Wextra -Werror ${MS_API_CFLAGS:-} -o "$T/prog" "$T/prog.c" $FLAGS
[ "$STATUS" -eq 0 ] || { sed 's/^/  cc: /' "$ERR" | head -20 >&2; }

make_sample_model "$T/model"
check_status "it signs, verifies and refuses the tampered model" 0 \
    env LD_LIBRARY_PATH="$LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$T/prog" "$T/model" \
    "$T/model/d0/f00"
grep -q '^signed .*: 10 files$' "$OUT" && pass || fail "no 'signed ...: 10 files' line: $(cat "$OUT")"
grep -q '^verify: 0 $' "$OUT" && pass || fail "the untouched model did not verify: $(cat "$OUT")"
grep -q '^verify: -1 .*does not match its signature (1 changed' "$OUT" && pass ||
    fail "the tampered model was not refused for its one changed file: $(cat "$OUT")"
# It ran on the installed library, not the build's.
if command -v ldd >/dev/null 2>&1; then
    env LD_LIBRARY_PATH="$LIBDIR" ldd "$T/prog" | grep -F "$LIBDIR/libmodelseal.so" >/dev/null &&
        pass || fail "the program is not linked with $LIBDIR/libmodelseal.so"
fi
finish
