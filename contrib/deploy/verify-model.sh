#!/bin/sh
# verify-model.sh MODEL POLICY [VERIFY-OPTIONS...]
#
# Refuse to deploy a model whose chain does not hold. Call it from a model server's start
# script or a CI job before the model is loaded or published:
#
#     contrib/deploy/verify-model.sh /models/resnet /etc/modelseal/policy.json || exit
#
# It runs `modelseal verify --policy POLICY MODEL` (extra options such as --claims FILE or
# --json are passed on) and exits with modelseal's status: 0 verified, 1 a link of the chain
# failed (or the policy expired), 2 the policy, claims or a signature is malformed or
# unreadable, 3 an environment error. Set MODELSEAL to use another binary than the one on PATH.
set -u

if [ $# -lt 2 ]; then
    echo "usage: verify-model.sh MODEL POLICY [VERIFY-OPTIONS...]" >&2
    exit 2
fi
model=$1
policy=$2
shift 2

"${MODELSEAL:-modelseal}" verify --policy "$policy" "$@" "$model"
status=$?
case $status in
0) echo "verify-model.sh: $model: verified against $policy" >&2 ;;
1) echo "verify-model.sh: $model: NOT verified against $policy: refusing to deploy" >&2 ;;
*) echo "verify-model.sh: $model: could not be verified (exit $status): refusing to deploy" >&2 ;;
esac
exit $status
