#!/bin/sh
# The Python package (python/, issue 23) against this build, installed the way the README's
# "Python" section says on Debian 12 (PEP 668: no system-wide pip install; no network):
#   python3 -m venv --system-site-packages --without-pip V && V/bin/python -m pip install ./python
# (Debian's pip and build tools through the system site-packages; --without-pip saves the ~5 s
# of CPU that copying pip into the venv costs) into a venv under $T, with pkg-config finding this build (the source tree's headers, the
# build's libmodelseal.so), offline (PIP_NO_INDEX: pip fails at once if the build asks for
# anything from an index) and without the machine's pip configuration. Then the installed copy
# (not the source tree) digests a small model as the CLI does, and pytest runs
# tests/python/test_*.py with the venv's interpreter. (tests/api/test_api.sh proves the
# `make install` copy builds a consumer; this test avoids a second install to stay fast.)
# Skipped (77) without python3, cffi or pytest, without a shared library, and in the sanitizer
# build: the extension is loaded into a Python that was not linked with ASan, which would need
# libasan preloaded into the interpreter and reports CPython's own allocations as leaks.
. "$(dirname "$0")/../cli/lib.sh"
set -e

NAME=$(basename "$0")
skip() {
    echo "$NAME: SKIP: $*" >&2
    finish
    exit 77
}
[ -n "${MS_BUILDDIR:-}" ] || skip "needs the build directory (run by make check)"
[ -x "$PY" ] || skip "no $PY"
"$PY" -c 'import cffi, ensurepip, pytest, setuptools, wheel' 2>/dev/null ||
    skip "$PY lacks cffi, venv, pytest, setuptools or wheel (scripts/setup installs them)"
[ -f "$MS_BUILDDIR/.libs/libmodelseal.so" ] || skip "no shared library (--disable-shared)"
case " ${MS_API_CFLAGS:-} " in
*-fsanitize=*) skip "sanitizer build: the extension would need libasan preloaded into $PY" ;;
esac
command -v "${PKG_CONFIG:-pkg-config}" >/dev/null 2>&1 || skip "no pkg-config"

# A pkg-config file for the build tree: the installed headers' source, the built library.
VERSION=$(sed -n 's/^Version: *//p' "$MS_BUILDDIR/modelseal.pc")
mkdir -p "$T/pc"
cat >"$T/pc/modelseal.pc" <<PC
includedir=$SRCDIR/include
libdir=$MS_BUILDDIR/.libs
pkgdatadir=$SRCDIR/keys

Name: modelseal
Description: modelseal (build tree)
Version: $VERSION
Libs: -L\${libdir} -lmodelseal
Cflags: -I\${includedir}
PC
cp -R "$SRCDIR/python" "$T/python"
chmod -R u+w "$T/python"
rm -rf "$T/python/build" "$T/python/dist" "$T/python"/*.egg-info "$T/python/modelseal/_native"*
# The README's command, verbatim but for the venv's path. -O0: the glue is compiled once per
# run and is not what is timed (hashing is in the library).
if ! (cd "$T" && env -u PIP_FIND_LINKS -u PIP_INDEX_URL -u PIP_EXTRA_INDEX_URL \
    PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PKG_CONFIG_PATH="$T/pc" CFLAGS="-Wall -Werror -O0 -g0" \
    sh -c '"$1" -m venv --system-site-packages --without-pip venv &&
        venv/bin/python -m pip install ./python' sh "$PY") \
    >"$T/install.log" 2>&1; then
    tail -30 "$T/install.log" | sed 's/^/  pip: /' >&2
    fail "python3 -m venv --system-site-packages --without-pip venv && venv/bin/python -m pip install ./python"
    finish
    exit 1
fi
pass
VPY=$T/venv/bin/python
export LD_LIBRARY_PATH="$MS_BUILDDIR/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"

# The installed package, from the venv's site-packages, digests a small model as the CLI does.
mkdir -p "$T/m/sub"
printf 'weights' >"$T/m/w.bin"
printf '{"a": 1}' >"$T/m/sub/config.json"
got=$(cd / && "$VPY" -c 'import modelseal, sys
assert modelseal.__file__.startswith(sys.prefix + "/lib/"), modelseal.__file__
print(modelseal.__version__, modelseal.digest(sys.argv[1]))' "$T/m" 2>&1) || true
want="$VERSION $("$MODELSEAL" digest "$T/m" 2>/dev/null)"
if [ "$got" = "$want" ]; then pass; else fail "installed package: '$got', expected '$want'"; fi

# pytest: its temporary directories under $T; the CLI, the vectors and the trusted roots of
# this build (AM_TESTS_ENVIRONMENT).
if (cd / && env PYTHONDONTWRITEBYTECODE=1 MS_PY_EXPECT_VERSION="$VERSION" \
    "$VPY" -m pytest -q -p no:cacheprovider --basetemp="$T/pytest" "$SRCDIR/tests/python") \
    >"$T/pytest.log" 2>&1; then
    pass
    tail -3 "$T/pytest.log"
else
    cat "$T/pytest.log" >&2
    fail "pytest"
fi
finish
