#!/bin/sh
# The deployment hooks in contrib/: verify-model.sh and the Kubernetes entrypoint pass
# modelseal's exit status through (0 verified, 1 not verified, 2 bad input) on a real signed
# model and policy, the entrypoint reads a policy from a ConfigMap-style mount (symlinks into
# a ..data directory), and the image recipe, the Pod example and the CI workflow are checked
# as far as this machine allows (no container runtime, no cluster).
. "$(dirname "$0")/lib.sh"
normal_run_only "the deployment files (Dockerfile, Kubernetes, workflow; verify --policy runs under the sanitizers in test_chain)"
set -e

C=$SRCDIR/contrib
VERIFY="$C/deploy/verify-model.sh"
ENTRY="$C/kubernetes/entrypoint.sh"
export MODELSEAL

for k in release ci; do ms keygen --no-password --output "$T/$k" >/dev/null; done
M=$T/model
mkdir -p "$M"
printf 'weights' >"$M/w.bin"
ms sign --key "$T/release.key" "$M" >/dev/null
ms attest provenance --key "$T/ci.key" --builder-id https://ci.example.com/gpu-runner --no-git "$M" >/dev/null

# The ConfigMap as the kubelet mounts it: files are symlinks into a timestamped directory.
CM=$T/configmap
mkdir -p "$CM/..2025_01_01_00_00_00.1"
cat >"$CM/..2025_01_01_00_00_00.1/policy.json" <<'EOF'
{"version": 1, "expires": "2099-01-01T00:00:00Z",
 "keys": {"release": {"public_key": "release.pub"}, "ci": {"public_key": "ci.pub"}},
 "model": {"signers": ["release"]},
 "provenance": {"signers": ["ci"], "builder_ids": ["https://ci.example.com/gpu-runner"]}}
EOF
cp "$T/release.pub" "$T/ci.pub" "$CM/..2025_01_01_00_00_00.1/"
ln -s ..2025_01_01_00_00_00.1 "$CM/..data"
for f in policy.json release.pub ci.pub; do ln -s "..data/$f" "$CM/$f"; done
P=$CM/policy.json

# ---- verify-model.sh ------------------------------------------------------------------------
check_status "verify-model.sh: verified" 0 sh "$VERIFY" "$M" "$P"
check_eq "verify-model.sh: verdict" "$(tail -n 1 "$OUT")" "VERIFIED"
grep -q "^verify-model.sh: $M: verified against $P$" "$ERR" && pass || fail "verify-model.sh message"
check_status "verify-model.sh passes options on" 0 sh "$VERIFY" "$M" "$P" --json
$PY -c "import json,sys; assert json.load(open(sys.argv[1]))['verified'] is True" "$OUT" && pass || fail "--json through verify-model.sh"
printf 'tampered' >"$M/w.bin"
check_status "verify-model.sh: a changed file is exit 1" 1 sh "$VERIFY" "$M" "$P"
grep -q "refusing to deploy" "$ERR" && pass || fail "verify-model.sh refusal message"
printf 'weights' >"$M/w.bin"
printf '{"version": 2}' >"$T/bad.json"
check_status "verify-model.sh: a malformed policy is exit 2" 2 sh "$VERIFY" "$M" "$T/bad.json"
check_status "verify-model.sh: usage is exit 2" 2 sh "$VERIFY" "$M"
: >"$T/empty.jsonl"
check_status "verify-model.sh: no provenance is exit 1" 1 sh "$VERIFY" "$M" "$P" --claims "$T/empty.jsonl"
check_status "verify-model.sh: a missing binary is not success" 127 env MODELSEAL="$T/nope" sh "$VERIFY" "$M" "$P"

# ---- the Kubernetes entrypoint --------------------------------------------------------------
check_status "entrypoint: verified" 0 env MODEL_PATH="$M" POLICY_PATH="$P" sh "$ENTRY"
check_eq "entrypoint: verdict" "$(tail -n 1 "$OUT")" "VERIFIED"
# Pod logs get plain progress lines (no terminal, no carriage returns) and the summary line.
check_status "entrypoint: plain progress" 0 env MODEL_PATH="$M" POLICY_PATH="$P" \
    MODELSEAL_PROGRESS_INTERVAL=0.000001 sh "$ENTRY"
grep -q '^verifying .* ETA ' "$ERR" && pass || fail "entrypoint: no plain progress line: $(cat "$ERR")"
grep -q '^hashed .* in ' "$ERR" && pass || fail "entrypoint: no summary line: $(cat "$ERR")"
check_status "entrypoint: VERIFY_JSON" 0 env MODEL_PATH="$M" POLICY_PATH="$P" VERIFY_JSON=1 sh "$ENTRY"
$PY -c "import json,sys; r=json.load(open(sys.argv[1])); assert r['verified'] is True and [l['link'] for l in r['links']][:3]==['policy','model','provenance']" "$OUT" && pass || fail "entrypoint JSON"
check_status "entrypoint: CLAIMS_PATH" 1 env MODEL_PATH="$M" POLICY_PATH="$P" CLAIMS_PATH="$T/empty.jsonl" sh "$ENTRY"
grep -q "NOT verified (exit 1): the model will not be served" "$ERR" && pass || fail "entrypoint refusal message"
cp "$M/model.sig" "$T/elsewhere.sig"
mv "$M/model.sig" "$T/moved.sig"
check_status "entrypoint: no signature is exit 1" 1 env MODEL_PATH="$M" POLICY_PATH="$P" sh "$ENTRY"
check_status "entrypoint: SIGNATURE_PATH" 0 env MODEL_PATH="$M" POLICY_PATH="$P" SIGNATURE_PATH="$T/elsewhere.sig" sh "$ENTRY"
mv "$T/moved.sig" "$M/model.sig"
check_status "entrypoint: missing policy is exit 2" 2 env MODEL_PATH="$M" POLICY_PATH="$T/none.json" sh "$ENTRY"
check_status "entrypoint: missing model is exit 2" 2 env MODEL_PATH="$T/none" POLICY_PATH="$P" sh "$ENTRY"
# A new ConfigMap version (the kubelet swaps ..data) with another key: the model fails.
mkdir -p "$CM/..2025_02_01_00_00_00.1"
cp "$CM/..data/policy.json" "$CM/..2025_02_01_00_00_00.1/"
cp "$T/ci.pub" "$CM/..2025_02_01_00_00_00.1/release.pub"
cp "$T/ci.pub" "$CM/..2025_02_01_00_00_00.1/ci.pub"
ln -sfn ..2025_02_01_00_00_00.1 "$CM/..data"
check_status "entrypoint: the updated ConfigMap refuses the model" 1 env MODEL_PATH="$M" POLICY_PATH="$P" sh "$ENTRY"
grep -q "^✗ model: .*not signed by a key in policy.model.signers (release)" "$OUT" && pass || fail "entrypoint: model verdict after the key change"

# ---- the image recipe -----------------------------------------------------------------------
D=$C/kubernetes/Dockerfile
check_eq "two stages on Debian bookworm" "$(grep -c '^FROM debian:bookworm' "$D")" 2
# Every library configure requires has its -dev package in the build stage.
for dev in $(sed -n 's/^MS_REQUIRE(\[[A-Z0-9]*\], \[[^]]*\], \[\([^]]*\)\])$/\1/p' "$SRCDIR/configure.ac"); do
    grep -q " $dev" "$D" && pass || fail "Dockerfile lacks $dev"
done
# The files it copies exist, the entrypoint is executable; stage 1 builds the Debian packages
# (debian/rules), stage 2 installs the modelseal package with apt (which brings the libraries
# its Depends name) and runs as a non-root user, with the entrypoint for verify --policy.
[ -x "$C/kubernetes/entrypoint.sh" ] && [ -x "$C/deploy/verify-model.sh" ] && pass || fail "scripts not executable"
[ -x "$SRCDIR/debian/rules" ] && [ -f "$SRCDIR/debian/control" ] && pass || fail "debian/ is missing"
for line in "dpkg-buildpackage -us -uc -b" "mv ../modelseal_*.deb /debs/" "COPY --from=build /debs/ /tmp/debs/" \
    "apt-get install -y --no-install-recommends /tmp/debs/modelseal_*.deb" \
    "COPY contrib/kubernetes/entrypoint.sh /usr/local/bin/modelseal-verify" \
    'ENTRYPOINT ["/usr/local/bin/modelseal-verify"]'; do
    grep -qF -- "$line" "$D" && pass || fail "Dockerfile lacks '$line'"
done
# debian/rules builds with these (configure's tools, dpkg-buildpackage, dh).
for dev in build-essential debhelper dpkg-dev autoconf automake libtool pkg-config; do
    grep -q " $dev" "$D" && pass || fail "Dockerfile lacks $dev"
done
# The last USER is numeric (runAsNonRoot needs a number to check) and not root.
user=$(sed -n 's/^USER \([0-9]*\):[0-9]*$/\1/p' "$D" | tail -n 1)
[ -n "$user" ] && [ "$user" -ne 0 ] && pass || fail "Dockerfile: the image does not run as a numeric non-root user"
# The entrypoint runs verify --policy with plain progress: each line there.
for line in '--policy "$policy"' 'progress="${MODELSEAL_PROGRESS:-plain}"'; do
    grep -qF -- "$line" "$ENTRY" && pass || fail "the entrypoint lacks '$line'"
done
# The build context leaves out build trees and git's objects.
for pat in .git build/ debian/build/; do
    grep -qxF -- "$pat" "$SRCDIR/.dockerignore" && pass || fail ".dockerignore lacks $pat"
done
# The packages it installs exist in this Debian release (when apt knows about them).
if command -v apt-cache >/dev/null 2>&1 && apt-cache show libsodium-dev >/dev/null 2>&1; then
    pkgs=$(sed -n '/apt-get install/,/rm -rf/p' "$D" | tr ' \\' '\n\n' | grep -E '^[a-z0-9][a-z0-9.+-]+$' |
        grep -vE '^(apt-get|install|rm|y|no|recommends|var|lib|apt|lists|ca)$' | sort -u)
    # One apt-cache run for all of them (each run loads the whole cache: seconds apiece).
    known=$(apt-cache show --no-all-versions $pkgs 2>/dev/null | sed -n 's/^Package: //p' | sort -u)
    for p in $pkgs; do
        printf '%s\n' "$known" | grep -qxF "$p" && pass || fail "Dockerfile: no package $p"
    done
else
    echo "test_contrib.sh: apt-cache unavailable: Dockerfile packages not checked"
fi

# ---- the Pod example and the CI workflow ----------------------------------------------------
if $PY -c 'import yaml' 2>/dev/null; then
    $PY - "$C/kubernetes/pod.yaml" "$T/cm-policy.json" <<'EOF' && pass || fail "pod.yaml structure"
import json, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
cm, pod = docs
assert cm["kind"] == "ConfigMap" and pod["kind"] == "Pod"
policy = json.loads(cm["data"]["policy.json"])
for k in policy["keys"].values():
    assert k["public_key"] in cm["data"], k
init = pod["spec"]["initContainers"][0]
env = {e["name"]: e["value"] for e in init["env"]}
mounts = {m["name"]: m for m in init["volumeMounts"]}
assert env["MODEL_PATH"] == mounts["model"]["mountPath"]
assert env["POLICY_PATH"].startswith(mounts["policy"]["mountPath"] + "/")
assert all(m.get("readOnly") for m in mounts.values())
vols = {v["name"]: v for v in pod["spec"]["volumes"]}
assert vols["policy"]["configMap"]["name"] == cm["metadata"]["name"]
assert any(m["name"] == "model" for m in pod["spec"]["containers"][0]["volumeMounts"])
json.dump(policy, open(sys.argv[2], "w"))
EOF
    # The ConfigMap's policy is a valid policy (with the real keys beside it in $T).
    check_status "the ConfigMap's policy checks" 0 ms policy check "$T/cm-policy.json"
    $PY - "$C/ci/github-workflow.yml" <<'EOF' && pass || fail "github-workflow.yml structure"
import sys, yaml
w = yaml.safe_load(open(sys.argv[1]))
steps = w["jobs"]["train-sign-verify"]["steps"]
text = "\n".join(s.get("run", "") for s in steps)
for needed in ("modelseal dataset sign", "modelseal attest provenance", "modelseal verify --policy"):
    assert needed in text, needed
# The Action signs and verifies, from a checkout of modelseal pinned by repository variables
# (no placeholder URL, no unpinned HEAD); it runs before any step that calls modelseal.
co = [s for s in steps if s.get("with", {}).get("path") == ".modelseal"]
assert co and co[0]["uses"].startswith("actions/checkout@"), co
assert co[0]["with"]["repository"] == "${{ vars.MODELSEAL_REPOSITORY }}", co
assert co[0]["with"]["ref"] == "${{ vars.MODELSEAL_REF }}", co
uses = [i for i, s in enumerate(steps) if s.get("uses") == "./.modelseal"]
modes = [steps[i]["with"]["mode"] for i in uses]
assert modes == ["sign", "verify-policy"], modes
first_run = min(i for i, s in enumerate(steps) if "modelseal " in s.get("run", ""))
assert uses[0] < first_run, (uses, first_run)
assert "example" not in open(sys.argv[1]).read()
EOF
else
    echo "test_contrib.sh: python3-yaml not installed: YAML not checked"
fi

# contrib/kubernetes/dataset-manifest-job.yaml: the Indexed Job's fields it relies on, then its
# pods and the merge Job run here as the kubelet would run them (JOB_COMPLETION_INDEX set, the
# volumes' mount paths mapped to directories of $T): the merged manifest is the single-host one.
mkdir -p "$T/kdata/sub" "$T/kparts"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf 'x%s' $i >"$T/kdata/sub/f$i"; done
ms dataset manifest --name imgs --output "$T/imgs-single.dsm.jsonl.zst" "$T/kdata" >/dev/null
$PY - "$C/kubernetes/dataset-manifest-job.yaml" "$MODELSEAL" "$T/kdata" "$T/kparts" <<'EOF' && pass || fail "dataset-manifest-job.yaml: fields or run"
import os, subprocess, sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
exe, data, parts = sys.argv[2:5]
job, merge = docs
assert job["kind"] == merge["kind"] == "Job", (job["kind"], merge["kind"])
spec = job["spec"]
n = spec["completions"]
assert spec["completionMode"] == "Indexed" and spec["parallelism"] == n and n >= 1, spec
def mount(pod, volume, key="containers"):
    return next(m for m in pod[key][0]["volumeMounts"] if m["name"] == volume)
pod, mpod = spec["template"]["spec"], merge["spec"]["template"]["spec"]
def claim(p, v):
    return next(x for x in p["volumes"] if x["name"] == v)["persistentVolumeClaim"]["claimName"]
# The parts go to one shared volume that the merge Job mounts too (writable there).
assert claim(pod, "parts") == claim(mpod, "parts"), "the parts' volume is not shared"
assert not mount(mpod, "parts").get("readOnly") and not mount(pod, "parts").get("readOnly")
w = pod["containers"][0]
cmd = w["command"]
assert cmd[:3] == ["modelseal", "dataset", "manifest"], cmd
assert cmd[cmd.index("--partition") + 1] == "auto", cmd
assert cmd[cmd.index("--partitions") + 1] == str(n), cmd
assert w["workingDir"] == mount(pod, "parts")["mountPath"], w
paths = {mount(pod, "dataset")["mountPath"]: data, mount(pod, "parts")["mountPath"]: parts,
         mount(mpod, "parts")["mountPath"]: parts,
         mount(mpod, "parts", "initContainers")["mountPath"]: parts}
def local(s):
    for k, v in paths.items():
        s = s.replace(k, v)
    return s
for i in range(n):  # the pods
    subprocess.run([exe] + [local(a) for a in cmd[1:]], cwd=parts, check=True,
                   env=dict(os.environ, JOB_COMPLETION_INDEX=str(i)), capture_output=True)
wait = mpod["initContainers"][0]["command"]
subprocess.run([local(a) for a in wait], check=True, timeout=5)  # all parts there: no wait
mc = mpod["containers"][0]["command"]
assert mc[:2] == ["sh", "-c"], mc
subprocess.run(["sh", "-c", local(mc[2]).replace("exec modelseal", "exec " + exe)], check=True,
               capture_output=True)
EOF
check_file_eq "dataset-manifest-job.yaml: merged = single-host" "$T/kparts/imgs.dsm.jsonl.zst" "$T/imgs-single.dsm.jsonl.zst"

finish
