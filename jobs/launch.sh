# shellcheck shell=bash
# jobs/launch.sh — what both job scripts do once they know their output:
# start the ranks, turn every stop signal into a drain, requeue on a drain.
# Sourced (from the submit directory) by jobs/sweep.sbatch and
# jobs/shards.sbatch; outside Slurm it works the same and returns 75
# instead of requeueing.
#
#   rnnsweep_launch LABEL CONFIG OUT [rnnsweep run options...]
#
# Starts `$RNNSWEEP_LAUNCHER $RNNSWEEP_BIN run CONFIG -o OUT --resume
# --status-file OUT.status --lock-wait 60 OPTIONS $RNNSWEEP_ARGS` in the
# background — so this shell can take a signal at once, since bash runs a
# trap only between commands — and forwards USR1, TERM, INT and HUP to the
# launcher as USR1.
#
# Why USR1 and why the status file (Open MPI 4.1, measured): mpirun forwards
# SIGUSR1 to every rank, but on SIGTERM or SIGINT it aborts the job instead
# — it sends SIGTERM to each rank, SIGKILLs it odls_base_sigkill_timeout
# (1) s later, and exits 1 whatever the ranks return; TERM and INT cannot be
# added to ess_base_forward_signals.  Slurm's scancel and preemption send
# SIGTERM to every process of the job, mpirun included, so its exit status
# says nothing.  rnnsweep's rank 0 writes 75 to the status file the moment
# a drain starts (from then on the journal alone is a resumable state, even
# if the ranks are killed before they flush), and its final status at the
# end; this script believes that file over the launcher.  srun, given
# SIGTERM itself (scancel --full, preemption), prints "forcing job
# termination" and SIGKILLs its tasks at once (Slurm 22.05, measured): on a
# loaded node the ranks can die before rank 0 has written the file.  So a
# launcher killed by a signal (status > 128) after this shell took a stop
# signal counts as a drain too: each finished task's record is written to
# the journal when it arrives (a killed process loses nothing it wrote), and
# a killed run resumes to the same results (tests/test_sweep.sh, kill -9);
# only the tasks in flight are lost and rerun.
#
# --lock-wait 60: a requeued job can start while ranks of its previous run
# still drain (orphans live ~2 s after mpirun is killed); it waits for their
# lock on OUT instead of failing with "in use".
#
# Returns the sweep's exit status, or 0 after a successful requeue.

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
  local status_file="$out.status"
  rm -f "$status_file"

  echo "$label: job ${SLURM_JOB_ID:-none} (restart ${SLURM_RESTART_COUNT:-0}) on ${SLURM_JOB_NODELIST:-$(hostname)}:" \
       "${SLURM_NTASKS:-?} ranks x $cpus threads, ${launcher[*]}, $config -> $out"
  "${launcher[@]}" "$bin" run "$config" -o "$out" --resume --status-file "$status_file" --lock-wait 60 \
      "$@" "${extra[@]}" &
  RNNSWEEP_PID=$!
  RNNSWEEP_LABEL=$label
  trap 'rnnsweep_forward USR1' USR1
  trap 'rnnsweep_forward TERM' TERM
  trap 'rnnsweep_forward INT' INT
  trap 'rnnsweep_forward HUP' HUP
  local rc=0
  RNNSWEEP_SIGNALLED=""
  while :; do
    wait "$RNNSWEEP_PID"; rc=$?
    kill -0 "$RNNSWEEP_PID" 2>/dev/null || break   # wait returned for a trapped signal: wait again
  done
  trap - USR1 TERM INT HUP
  local st=""
  [ -s "$status_file" ] && st=$(cat "$status_file")
  rm -f "$status_file"
  if [ -n "$st" ] && [ "$st" != "$rc" ]; then
    echo "$label: the launcher returned $rc, rnnsweep $st (its status counts)"
    rc=$st
  elif [ -z "$st" ] && [ -n "$RNNSWEEP_SIGNALLED" ] && [ "$rc" -gt 128 ]; then
    echo "$label: the ranks were killed (launcher status $rc) after $RNNSWEEP_SIGNALLED, before rnnsweep" \
         "wrote its status; the journal holds every finished task, so this is a drain"
    rc=75
  fi
  if [ "$rc" -eq 75 ]; then
    if [ -z "${SLURM_JOB_ID:-}" ]; then
      echo "$label: drained (exit 75); rerun the same command to resume"
      return 75
    fi
    echo "$label: drained (exit 75); requeueing ${SLURM_JOB_ID} to resume"
    scontrol requeue "${SLURM_JOB_ID}" && return 0
    echo "$label: scontrol requeue failed (Slurm may be requeueing it already; if the job does not come back, resubmit it: it resumes)" >&2
  fi
  echo "$label: exit $rc"
  return "$rc"
}

# shellcheck disable=SC2317  # called from the traps above
rnnsweep_forward() {
  echo "$RNNSWEEP_LABEL: $1 received, draining"
  RNNSWEEP_SIGNALLED=$1
  kill -USR1 "$RNNSWEEP_PID" 2>/dev/null
}
