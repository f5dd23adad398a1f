#!/bin/sh
# scripts/check-exports (run by `make check` as a test of its own) compares the symbols the
# shared library exports with the MS_API declarations of the installed headers. Here it must
# pass on this build, and fail naming the symbol when a copy of the headers leaves one public
# function unmarked (the library exports it: a leak) or marks one the library does not export.
. "$(dirname "$0")/lib.sh"
normal_run_only "the exported symbols do not depend on the sanitizers"
set -e

CHECK=$SRCDIR/scripts/check-exports
LIB=${MS_BUILDDIR:-.}/.libs/libmodelseal.so
if [ ! -f "$LIB" ]; then
    echo "$(basename "$0"): SKIP: no shared library ($LIB)" >&2
    finish
    exit 77
fi

fresh() {
    rm -rf "$T/inc"
    mkdir -p "$T/inc"
    cp -R "$SRCDIR/include/modelseal" "$T/inc/"
    chmod -R u+w "$T/inc"
}

check_status "this build exports its MS_API declarations" 0 sh "$CHECK" "$LIB" "$SRCDIR/include"

fresh
sed 's/^MS_API const char \*ms_version(void);/const char *ms_version(void);/' \
    "$SRCDIR/include/modelseal/version.h" >"$T/inc/modelseal/version.h"
check_fails "a public function without MS_API leaks" 1 "  + ms_version" sh "$CHECK" "$LIB" "$T/inc"

fresh
printf 'MS_API int ms_not_in_the_library(void);\n' >>"$T/inc/modelseal/version.h"
check_fails "an MS_API declaration the library does not export" 1 "  - ms_not_in_the_library" \
    sh "$CHECK" "$LIB" "$T/inc"

check_fails "no such library" 2 "no such file" sh "$CHECK" "$T/none.so" "$SRCDIR/include"
finish
