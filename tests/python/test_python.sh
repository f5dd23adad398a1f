#!/bin/sh
# The Python package (python/, issue 23) against this build: its cffi extension is compiled
# once (API mode, with pkg-config) against the source tree's installed headers and the build's
# libmodelseal.so, then pytest runs tests/python/test_*.py with Debian's /usr/bin/python3.
# (tests/api/test_api.sh proves the `make install` copy builds a consumer; this test avoids a
# second install to stay fast.) Skipped (77) without python3, cffi or pytest, without a shared
# library, and in the sanitizer build: the extension is loaded into a Python that was not
# linked with ASan, which would need libasan preloaded into the interpreter and reports
# CPython's own allocations as leaks.
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
"$PY" -c 'import cffi, pytest, setuptools' 2>/dev/null ||
    skip "$PY lacks cffi, pytest or setuptools (scripts/setup installs python3-cffi python3-pytest)"
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
cp -R "$SRCDIR/python" "$T/py"
chmod -R u+w "$T/py"
rm -rf "$T/py/build" "$T/py/modelseal/_native"*.so
# -O0: the glue is compiled once per run and is not what is timed (hashing is in the library).
if ! (cd "$T/py" && env PKG_CONFIG_PATH="$T/pc" CFLAGS="-Wall -Werror -O0 -g0" \
    "$PY" setup.py -q build_ext --inplace) >"$T/build.log" 2>&1; then
    sed 's/^/  build_ext: /' "$T/build.log" | tail -30 >&2
    fail "the extension does not build"
    finish
    exit 1
fi
pass

# pytest: its temporary directories under $T; the CLI, the vectors and the trusted roots of
# this build (AM_TESTS_ENVIRONMENT).
if env PYTHONPATH="$T/py" LD_LIBRARY_PATH="$MS_BUILDDIR/.libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    PYTHONDONTWRITEBYTECODE=1 MS_PY_EXPECT_VERSION="$VERSION" \
    "$PY" -m pytest -q -p no:cacheprovider --basetemp="$T/pytest" "$SRCDIR/tests/python" \
    >"$T/pytest.log" 2>&1; then
    pass
    tail -3 "$T/pytest.log"
else
    cat "$T/pytest.log" >&2
    fail "pytest"
fi
finish
