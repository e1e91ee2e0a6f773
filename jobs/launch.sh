# shellcheck shell=bash
# jobs/launch.sh — what both job scripts do once they know their output:
# start the ranks, forward Slurm's signals, requeue on a drain.  Sourced
# (from the submit directory) by jobs/sweep.sbatch and jobs/shards.sbatch.
#
#   rnnsweep_launch LABEL CONFIG OUT [rnnsweep run options...]
#
# Starts `$RNNSWEEP_LAUNCHER $RNNSWEEP_BIN run CONFIG -o OUT --resume
# OPTIONS $RNNSWEEP_ARGS` in the background — so this shell can take
# USR1 (Slurm's --signal=B:USR1@T warning) or TERM (preemption) at once,
# since bash runs a trap only between commands — and forwards either as
# USR1: rnnsweep drains and exits 75, and the job is requeued, keeping its
# id and so its output file, where --resume continues.  Returns the
# launcher's exit status, or 0 after a successful requeue.

rnnsweep_launch() {
  local label=$1 config=$2 out=$3; shift 3
  # Slurm 22.05+: srun no longer inherits --cpus-per-task from the allocation.
  local cpus=${SLURM_CPUS_PER_TASK:-1}
  export SRUN_CPUS_PER_TASK=$cpus OMP_NUM_THREADS=$cpus
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  local launcher extra
  read -r -a launcher <<< "${RNNSWEEP_LAUNCHER:-srun --mpi=pmix}"
  read -r -a extra <<< "${RNNSWEEP_ARGS:-}"
  local bin=${RNNSWEEP_BIN:-bin/rnnsweep}

  echo "$label: job ${SLURM_JOB_ID:-?} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-?}:" \
       "${SLURM_NTASKS:-?} ranks x $cpus threads, ${launcher[*]}, $config -> $out"
  "${launcher[@]}" "$bin" run "$config" -o "$out" --resume "$@" "${extra[@]}" &
  RNNSWEEP_PID=$!
  RNNSWEEP_LABEL=$label
  trap 'rnnsweep_forward USR1' USR1
  trap 'rnnsweep_forward TERM' TERM
  local rc=0
  while :; do
    wait "$RNNSWEEP_PID"; rc=$?
    kill -0 "$RNNSWEEP_PID" 2>/dev/null || break   # wait returned for a trapped signal: wait again
  done
  if [ "$rc" -eq 75 ]; then
    echo "$label: drained (exit 75); requeueing ${SLURM_JOB_ID:-} to resume"
    scontrol requeue "${SLURM_JOB_ID}" && return 0
    echo "$label: scontrol requeue failed (Slurm may be requeueing it already; if the job does not come back, resubmit it: it resumes)" >&2
  fi
  echo "$label: exit $rc"
  return "$rc"
}

# shellcheck disable=SC2317  # called from the traps above
rnnsweep_forward() {
  echo "$RNNSWEEP_LABEL: $1 received, draining"
  kill -USR1 "$RNNSWEEP_PID" 2>/dev/null
}
