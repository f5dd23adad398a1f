# The pinned sigstore-js packages (tests/interop/package.json + package-lock.json) for the
# interop tests, sourced by them: sigstore_js_setup finds them in tests/interop/node_modules
# when it holds exactly the pinned versions, else `npm ci` installs them once into a cache keyed
# by the lock file's hash ($MS_NODE_CACHE, default ${XDG_CACHE_HOME:-$HOME/.cache}/modelseal-node),
# so a read-only source tree (make distcheck) works and every test shares one copy.
# Needs $SRCDIR.

# sigstore_js_pinned_ok DIR: DIR/node_modules holds exactly the versions package.json pins.
sigstore_js_pinned_ok() {
    node -e '
const fs = require("fs");
const [pkg, dir] = process.argv.slice(1);
const deps = JSON.parse(fs.readFileSync(pkg, "utf8")).dependencies;
for (const [name, version] of Object.entries(deps)) {
    const f = `${dir}/node_modules/${name}/package.json`;
    if (!fs.existsSync(f) || JSON.parse(fs.readFileSync(f, "utf8")).version !== version) process.exit(1);
}' "$SRCDIR/tests/interop/package.json" "$1" 2>/dev/null
}

# sigstore_js_install DIR SCRATCH: npm ci the pinned packages into DIR (made atomically, so
# parallel runs are safe). 0; 1 with SIGSTORE_JS_UNAVAILABLE set when the registry cannot be
# reached; 2 when npm ci fails otherwise (printed).
sigstore_js_install() {
    local parent tmp rc
    parent=$(dirname "$1")
    mkdir -p "$parent"
    tmp=$(mktemp -d "$parent/.install.XXXXXX")
    chmod 755 "$tmp"
    cp "$SRCDIR/tests/interop/package.json" "$SRCDIR/tests/interop/package-lock.json" "$tmp/"
    set +e
    npm ci --prefix "$tmp" --cache "$parent/.npm" --no-audit --no-fund --ignore-scripts \
        --loglevel=error --fetch-retries=1 --fetch-retry-mintimeout=2000 \
        --fetch-retry-maxtimeout=5000 >"$2/npm.log" 2>&1
    rc=$?
    set -e
    if [ $rc -ne 0 ]; then
        rm -rf "$tmp"
        if grep -Eq 'ENOTFOUND|EAI_AGAIN|ECONN(REFUSED|RESET)|ETIMEDOUT|E(NET|HOST)UNREACH|ERR_SOCKET_TIMEOUT|network' "$2/npm.log"; then
            sed 's/^/  npm: /' "$2/npm.log" | head -5 >&2
            SIGSTORE_JS_UNAVAILABLE="npm cannot reach the registry $(npm config get registry) for the pinned sigstore-js packages"
            return 1
        fi
        echo "npm ci failed:" >&2
        sed 's/^/  npm: /' "$2/npm.log" | head -20 >&2
        return 2
    fi
    # Another run may have finished first: keep its copy.
    mv -T "$tmp" "$1" 2>/dev/null || rm -rf "$tmp"
}

# sigstore_js_setup SCRATCH: export MS_SIGSTORE_JS_PREFIX (the directory holding node_modules)
# and return 0; or return 1 with SIGSTORE_JS_UNAVAILABLE saying why (old node, no npm, no
# registry); or 2 when the install itself is broken (printed). SCRATCH: a temporary directory.
sigstore_js_setup() {
    local key base prefix
    SIGSTORE_JS_UNAVAILABLE=
    # @sigstore/verify 3.x wants ^20.17.0 || >=22.9.0.
    if ! node -e '
const [a, b] = process.versions.node.split(".").map(Number);
process.exit((a === 20 && b >= 17) || (a === 22 && b >= 9) || a > 22 ? 0 : 1);'; then
        SIGSTORE_JS_UNAVAILABLE="node $(node --version) is older than @sigstore/verify 3.x needs (^20.17 or >=22.9)"
        return 1
    fi
    if sigstore_js_pinned_ok "$SRCDIR/tests/interop"; then
        prefix=$SRCDIR/tests/interop
    else
        if ! command -v npm >/dev/null 2>&1; then
            SIGSTORE_JS_UNAVAILABLE="no npm command to install the pinned sigstore-js packages"
            return 1
        fi
        key=$(sha256sum "$SRCDIR/tests/interop/package-lock.json" | cut -c1-16)
        base=${MS_NODE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/modelseal-node}
        if ! mkdir -p "$base" 2>/dev/null || [ ! -w "$base" ]; then
            base=$1/node-cache # nowhere to keep it: install for this run only
        fi
        prefix=$base/sigstore-js-$key
        if ! sigstore_js_pinned_ok "$prefix"; then
            rm -rf "$prefix" # a broken or partial copy
            sigstore_js_install "$prefix" "$1" || return $?
        fi
        if ! sigstore_js_pinned_ok "$prefix"; then
            echo "$prefix does not hold the pinned packages after npm ci" >&2
            return 2
        fi
    fi
    MS_SIGSTORE_JS_PREFIX=$prefix
    export MS_SIGSTORE_JS_PREFIX
}

# sigstore_js_require SCRATCH WHY: what a test needs before it runs node with the pinned
# packages: node itself and the packages (sigstore_js_setup). Skips (exit 77, saying WHY the
# test needs them) when node is missing or the registry cannot be reached; exits 1 when the
# packages cannot be installed otherwise. Needs $NAME.
sigstore_js_require() {
    local rc=0
    if ! command -v node >/dev/null 2>&1; then
        echo "$NAME: SKIP: no node command ($2)" >&2
        exit 77
    fi
    sigstore_js_setup "$1" >/dev/null || rc=$?
    case $rc in
    0) ;;
    1)
        echo "$NAME: SKIP: $SIGSTORE_JS_UNAVAILABLE ($2)" >&2
        exit 77
        ;;
    *)
        echo "$NAME: the pinned npm packages cannot be installed" >&2
        exit 1
        ;;
    esac
}

# mock_wait_ready FILE PID LOG: wait until the mock started as PID has written FILE (its port or
# ready file), at most 15 s; if it dies or does not get there, print its LOG and exit 1.
mock_wait_ready() {
    local tries=0
    while [ ! -e "$1" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 300 ] || ! kill -0 "$2" 2>/dev/null; then
            echo "${NAME:-$(basename "$0")}: the mock did not start:" >&2
            cat "$3" >&2
            exit 1
        fi
        sleep 0.05
    done
}
