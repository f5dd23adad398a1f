#!/bin/sh
# contrib/slurm/dataset-manifest.sbatch end to end on a real one-node Slurm cluster: munged,
# slurmctld and slurmd from Debian's slurm-wlm and munge, with their key, configuration, spool,
# state, sockets and logs in a temporary directory, the two Slurm daemons bound to 127.0.0.1
# on free ports, all three stopped by this script. The script submits a job array of 3 tasks
# and a dependent merge job; the merged manifest must be, byte for byte, the single-host one.
#
#   MODELSEAL=build/release/modelseal sh tests/cluster/test_slurm.sh
#
# Exit 0 passed, 1 failed, 77 skipped (no slurm-wlm or munge installed, or the sanitizer run:
# no C code of modelseal runs here that the CLI tests do not run). In the suite (CLI_TESTS); about
# 7 seconds, mostly Slurm starting up and scheduling.
set -eu
case "${MS_API_CFLAGS:-}" in
*-fsanitize=*)
    echo "test_slurm.sh: SKIP in the sanitizer run (checked in the normal run)"
    exit 77
    ;;
esac
top=$(cd "$(dirname "$0")/../.." && pwd)
MODELSEAL=$(cd "$(dirname "${MODELSEAL:-$top/build/release/modelseal}")" && pwd)/$(basename "${MODELSEAL:-modelseal}")
for p in munged slurmctld slurmd sbatch squeue sinfo; do
    if ! command -v "$p" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$p" ]; then
        echo "test_slurm.sh: SKIP: $p not installed (apt-get install slurm-wlm munge)"
        exit 77
    fi
done
PATH=$PATH:/usr/sbin
start=$(date +%s)
T=$(mktemp -d "${TMPDIR:-/tmp}/modelseal-slurm.XXXXXX")
chmod 0755 "$T"
pids=""
stop() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -9 "$p" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap stop EXIT
fail() {
    echo "FAIL: $*" >&2
    for f in "$T"/log/* "$T"/out/*.log; do
        [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }
    done
    exit 1
}
mkdir -p "$T/munge" "$T/state" "$T/spool" "$T/log" "$T/out" "$T/data/sub/deeper" "$T/data/empty"

# munge: a fresh key, its socket in $T.
dd if=/dev/urandom of="$T/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 0700 "$T/munge"
chmod 0400 "$T/munge/munge.key"
munged -F -f --key-file="$T/munge/munge.key" --socket="$T/munge/munge.sock" \
    --pid-file="$T/munge/munged.pid" --log-file="$T/log/munged.log" \
    --seed-file="$T/munge/munged.seed" >"$T/log/munged.out" 2>&1 &
pids="$!"

# Two free ports on 127.0.0.1.
set -- $(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in ss])')
host=$(hostname -s)
cat >"$T/slurm.conf" <<EOF
ClusterName=modelseal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$1
SlurmdPort=$2
CommunicationParameters=NoInAddrAny,NoCtldInAddrAny
AuthType=auth/munge
AuthInfo=socket=$T/munge/munge.sock
CredType=cred/munge
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MpiDefault=none
ReturnToService=2
SlurmdTimeout=30
MessageTimeout=10
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF=$T/slurm.conf
export SLURM_CONF
# Wait for munge before the Slurm daemons.
i=0
until [ -S "$T/munge/munge.sock" ]; do
    i=$((i + 1))
    [ $i -lt 100 ] || fail "munged did not start"
    sleep 0.1
done
slurmctld -D -c -f "$SLURM_CONF" >"$T/log/slurmctld.out" 2>&1 &
pids="$pids $!"
slurmd -D -f "$SLURM_CONF" -N "$host" >"$T/log/slurmd.out" 2>&1 &
pids="$pids $!"
i=0
until [ "$(sinfo -h -o %T 2>/dev/null)" = idle ]; do
    i=$((i + 1))
    [ $i -lt 300 ] || fail "the node did not come up ($(sinfo -h -o %T 2>&1))"
    sleep 0.1
done
echo "cluster up after $(($(date +%s) - start)) s"
# Both Slurm daemons listen on 127.0.0.1 only.
if command -v ss >/dev/null 2>&1; then
    for port in "$1" "$2"; do
        listen=$(ss -Hltn "sport = :$port" | awk '{print $4}' | sort -u | tr '\n' ' ')
        [ "$listen" = "127.0.0.1:$port " ] || fail "port $port: listening on '$listen', not 127.0.0.1 alone"
    done
fi

# The data: empty directories, deep paths, non-ASCII names.
printf 'deep' >"$T/data/sub/deeper/leaf"
printf 'accent' >"$T/data/$(printf 'caf\303\251').txt"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do printf 'f%s' $i >"$T/data/sub/f$i"; done
"$MODELSEAL" dataset manifest --name set --threads 1 --output "$T/single.dsm.jsonl.zst" "$T/data" >/dev/null

# Submit (the script as a user runs it), then wait for both jobs to leave the queue.
MODELSEAL=$MODELSEAL CPUS=1 sh "$top/contrib/slurm/dataset-manifest.sbatch" 3 set "$T/data" "$T/out" \
    --version 1 >"$T/submit.out" 2>&1 || fail "submitting: $(cat "$T/submit.out")"
cat "$T/submit.out"
grep -q "^array job [0-9]* (3 tasks), merge job [0-9]*: $T/out/set.dsm.jsonl.zst$" "$T/submit.out" ||
    fail "submit message: $(cat "$T/submit.out")"
i=0
while [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do
    i=$((i + 1))
    [ $i -lt 600 ] || fail "the jobs did not finish: $(squeue 2>&1)"
    sleep 0.1
done
[ -f "$T/out/set.dsm.jsonl.zst" ] || fail "no merged manifest"
grep -q "partition 2 of 3 from SLURM_ARRAY_TASK_ID" "$T/out/set.part-2-of-3.log" ||
    fail "task 2 did not say where its share came from"
# --version 1 went to the workers: the single-host manifest with it.
"$MODELSEAL" dataset manifest --name set --version 1 --threads 1 --output "$T/single.dsm.jsonl.zst" "$T/data" >/dev/null
cmp "$T/out/set.dsm.jsonl.zst" "$T/single.dsm.jsonl.zst" || fail "merged manifest differs from the single-host one"
echo "test_slurm.sh: passed in $(($(date +%s) - start)) s (job array of 3 + merge job, merged = single-host)"
