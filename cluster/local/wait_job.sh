#!/usr/bin/env bash
# Wait for a Slurm job to end, by polling `scontrol show job` (the one-node
# cluster keeps no accounting, so sacct cannot answer; `sbatch --wait` polls
# only every few seconds).
set -euo pipefail

usage() {
  cat <<EOF
usage: cluster/local/wait_job.sh JOBID [TIMEOUT]

Polls 'scontrol show job JOBID' until the job reaches a terminal state
(COMPLETED, FAILED, CANCELLED, TIMEOUT, NODE_FAIL, OUT_OF_MEMORY, PREEMPTED,
BOOT_FAIL, DEADLINE) or TIMEOUT seconds (default 300) pass, then prints
"JobId=N JobState=S ExitCode=E" for the job (one line per array task).

Exit status: 0 when every record is COMPLETED with ExitCode 0:0, 1 for any
other end or an unknown job, 124 on timeout, 2 on bad usage.
Uses \$SLURM_CONF, else the cluster of \$RNNSWEEP_SLURM_DIR
(default /tmp/rnnsweep-slurm) when cluster/local/up.sh made one.
EOF
}

case "${1:-}" in
  -h|--help) usage; exit 0 ;;
esac
if [ $# -lt 1 ] || [ $# -gt 2 ]; then usage >&2; exit 2; fi
JOB=$1
TIMEOUT=${2:-300}
[[ "$JOB" =~ ^[0-9]+(_[0-9]+)?$ ]] || { echo "wait_job.sh: bad job id '$JOB'" >&2; exit 2; }
[[ "$TIMEOUT" =~ ^[0-9]+$ ]] || { echo "wait_job.sh: bad timeout '$TIMEOUT'" >&2; exit 2; }

if [ -z "${SLURM_CONF:-}" ] && [ -r "${RNNSWEEP_SLURM_DIR:-/tmp/rnnsweep-slurm}/slurm.conf" ]; then
  export SLURM_CONF="${RNNSWEEP_SLURM_DIR:-/tmp/rnnsweep-slurm}/slurm.conf"
fi

# One "JobId JobState ExitCode" line per job record (an array has several).
records() {
  awk '{
    id = st = ec = "";
    for (i = 1; i <= NF; i++) {
      k = $i; sub(/=.*/, "", k); v = substr($i, length(k) + 2);
      if (k == "JobId") id = v;
      else if (k == "JobState") st = v;
      else if (k == "ExitCode") ec = v;
    }
    if (id != "") print id, st, ec;
  }'
}

deadline=$(( $(date +%s) + TIMEOUT ))
last=""
while :; do
  if out=$(scontrol -o show job "$JOB" 2>&1); then
    last=$(records <<<"$out")
    done=1
    while read -r _ st _; do
      case "$st" in
        COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|PREEMPTED|BOOT_FAIL|DEADLINE) ;;
        *) done=0 ;;
      esac
    done <<<"$last"
    [ -n "$last" ] || done=0
    if [ "$done" = 1 ]; then break; fi
  elif grep -qi 'invalid job id' <<<"$out"; then
    # Unknown, or ended more than MinJobAge ago and forgotten.
    echo "wait_job.sh: job $JOB is unknown to Slurm: $out" >&2
    exit 1
  fi
  # Anything else (controller busy or restarting) is retried until the deadline.
  if [ "$(date +%s)" -ge "$deadline" ]; then
    if [ -n "$last" ]; then
      while read -r id st ec; do echo "JobId=$id JobState=$st ExitCode=$ec"; done <<<"$last"
    else
      echo "wait_job.sh: no answer about job $JOB: $out" >&2
    fi
    echo "wait_job.sh: job $JOB did not end within $TIMEOUT s" >&2
    exit 124
  fi
  sleep 0.5
done

rc=0
while read -r id st ec; do
  echo "JobId=$id JobState=$st ExitCode=$ec"
  { [ "$st" = COMPLETED ] && [ "$ec" = 0:0 ]; } || rc=1
done <<<"$last"
exit "$rc"
