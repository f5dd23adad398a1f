#!/bin/sh
# scripts/check-layers (run on the source tree by `make check` as a test of its own) refuses
# a wrong-way include: on a copy of the tree, each kind of wrong include or misplaced file is
# added in turn and the check must fail naming FILE:LINE and both layers; a downward include
# must pass.
. "$(dirname "$0")/lib.sh"
normal_run_only "scripts/check-layers reads the sources and runs no modelseal code"
set -e

CHECK=$SRCDIR/scripts/check-layers

# fresh: a writable copy of the parts of the tree the check reads, in $T/tree.
fresh() {
    rm -rf "$T/tree"
    mkdir -p "$T/tree/src" "$T/tree/include"
    cp -R "$SRCDIR/src/lib" "$SRCDIR/src/cli" "$T/tree/src/"
    cp -R "$SRCDIR/include/modelseal" "$T/tree/include/"
    chmod -R u+w "$T/tree"
}

# add_include FILE LINE: append LINE to $T/tree/FILE; $AT is "FILE:N" of the new line.
add_include() {
    printf '%s\n' "$2" >>"$T/tree/$1"
    AT="$1:$(wc -l <"$T/tree/$1" | tr -d ' ')"
}

check_status "the source tree passes" 0 sh "$CHECK" "$SRCDIR"
check_eq "the source tree: nothing on stderr" "$(cat "$ERR")" ""

fresh
check_status "an untouched copy passes" 0 sh "$CHECK" "$T/tree"

add_include src/lib/sbom/sbom.c '#include "util/buf.h"'
check_status "a downward include (sbom -> util) passes" 0 sh "$CHECK" "$T/tree"

fresh
add_include src/lib/util/buf.c '#include "modelseal/sbom.h"'
check_fails "util includes sbom" 1 \
    "$AT: util (layer 0) may not include \"modelseal/sbom.h\" of sbom (layer 7)" sh "$CHECK" "$T/tree"

fresh
add_include src/lib/sigstore/trusted_root.c '#include <modelseal/sign.h>'
check_fails "sigstore includes oms, one layer up" 1 \
    "$AT: sigstore (layer 3) may not include \"modelseal/sign.h\" of oms (layer 4)" \
    sh "$CHECK" "$T/tree"

fresh
add_include src/lib/hash/walk.c '#include "net/http.h"'
check_fails "peers: hash includes net" 1 \
    "$AT: hash (layer 1) may not include \"net/http.h\" of net (layer 1)" sh "$CHECK" "$T/tree"

fresh
add_include src/lib/net/http.c '#include "modelseal/key.h"'
check_fails "net includes keys (a higher layer)" 1 \
    "$AT: net (layer 1) may not include \"modelseal/key.h\" of keys (layer 2)" sh "$CHECK" "$T/tree"

fresh
add_include src/lib/policy/chain.c '#include "modelseal/lineage.h"'
check_fails "peers: policy includes lineage" 1 \
    "$AT: policy (layer 6) may not include \"modelseal/lineage.h\" of lineage (layer 6)" \
    sh "$CHECK" "$T/tree"

fresh
add_include include/modelseal/manifest.h '#include "verify.h"'
check_fails "an installed header of format includes one of oms" 1 \
    "$AT: format (layer 2) may not include \"verify.h\" of oms (layer 4)" sh "$CHECK" "$T/tree"

fresh
add_include src/lib/oms/verify.c '#include "../sigstore/sigstore_internal.h"'
check_fails "a folder-private header from another folder" 1 \
    "$AT: \"../sigstore/sigstore_internal.h\" is private to src/lib/sigstore/ (included from oms)" \
    sh "$CHECK" "$T/tree"

fresh
add_include src/cli/cmd_policy.c '#include "policy/chain_internal.h"'
check_fails "the program includes a private header" 1 \
    "$AT: \"policy/chain_internal.h\" is private to src/lib/policy/" sh "$CHECK" "$T/tree"

fresh
add_include src/lib/util/json.c '#include "blake3.h"'
check_fails "vendored code included outside hash/" 1 \
    "$AT: \"blake3.h\" is vendored code (third_party/); only src/lib/hash/ includes it (included from util)" \
    sh "$CHECK" "$T/tree"
fresh
add_include src/cli/cmd_hash.c '#include <blake3_impl.h>'
check_fails "vendored code included by the program" 1 \
    "$AT: \"blake3_impl.h\" is vendored code (third_party/); only src/lib/hash/ includes it (included from cli)" \
    sh "$CHECK" "$T/tree"

fresh
add_include src/lib/attest/claims.c '#include "modelseal/modelseal.h"'
check_fails "the library includes the umbrella header" 1 \
    "$AT: attest (layer 5) includes the umbrella header" sh "$CHECK" "$T/tree"

fresh
: >"$T/tree/src/lib/stray.c"
check_fails "a file outside any folder" 1 \
    "src/lib/stray.c:1: not in a layer folder" sh "$CHECK" "$T/tree"

fresh
mkdir "$T/tree/src/lib/extra"
: >"$T/tree/src/lib/extra/thing.c"
check_fails "a folder the table does not know" 1 \
    "src/lib/extra/thing.c:1: folder extra/ is not in the ARROWS table" sh "$CHECK" "$T/tree"

fresh
add_include include/modelseal/provenance.h '#include <cjson/cJSON.h>'
check_fails "an installed header includes cJSON" 1 \
    "$AT: the installed header mentions cJSON" sh "$CHECK" "$T/tree"

fresh
add_include include/modelseal/lineage.h '/* const cJSON *datasets; */'
check_fails "an installed header mentions cJSON in a comment" 1 \
    "$AT: the installed header mentions cJSON" sh "$CHECK" "$T/tree"

check_fails "not a source tree" 2 "no src/lib or include/modelseal" sh "$CHECK" "$T/nothing"

finish
