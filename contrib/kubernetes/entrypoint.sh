#!/bin/sh
# Entrypoint of the modelseal verification image (contrib/kubernetes/Dockerfile).
#
# Run as an initContainer: it verifies the model volume against the policy mounted from a
# ConfigMap and exits with modelseal's status, so the Pod's serving container starts only when
# the whole chain holds (exit 0). Configuration, by environment:
#   MODEL_PATH    the model directory or file (default /model)
#   POLICY_PATH   the policy file (default /etc/modelseal/policy.json); the keys it names are
#                 read relative to its directory, so mount them from the same ConfigMap
#   CLAIMS_PATH   the claims file, when it is not MODEL/claims.jsonl (optional)
#   SIGNATURE_PATH the model's signature, when it is not MODEL/model.sig (optional)
#   VERIFY_JSON   "1" prints the machine-readable report (for log collectors)
#   MODELSEAL     the modelseal binary (default: modelseal on PATH)
# Arguments, if any, are passed on to `modelseal verify`.
set -u

model=${MODEL_PATH:-/model}
policy=${POLICY_PATH:-/etc/modelseal/policy.json}
set -- --policy "$policy" "$@"
[ -n "${CLAIMS_PATH:-}" ] && set -- "$@" --claims "$CLAIMS_PATH"
[ -n "${SIGNATURE_PATH:-}" ] && set -- "$@" --signature "$SIGNATURE_PATH"
[ "${VERIFY_JSON:-0}" = 1 ] && set -- "$@" --json
# Pod logs: a plain progress line every 10 s (MODELSEAL_PROGRESS overrides it).
set -- "$@" --progress="${MODELSEAL_PROGRESS:-plain}"

"${MODELSEAL:-modelseal}" verify "$@" "$model"
status=$?
if [ $status -eq 0 ]; then
    echo "modelseal-verify: $model verified against $policy" >&2
else
    echo "modelseal-verify: $model NOT verified (exit $status): the model will not be served" >&2
fi
exit $status
