#!/usr/bin/env bash
# slurm.sh — `make test-slurm`: the job scripts on a real one-node Slurm
# (cluster/local/up.sh), as .ci/run runs them:
#   - jobs/sweep.sbatch at 2 ranks completes, and its HDF5 file equals a
#     direct mpirun run of the same config, bit for bit
#   - a running sweep is requeued (scontrol requeue, then StartTime=now): the
#     job comes back, resumes, and ends with identical results, no duplicates
#   - a drain on Slurm's warning signal (USR1 to the batch shell, what
#     --signal=B:USR1@120 sends) exits 75, requeues itself, and completes
#   - so does SIGTERM to every process of the job (what preemption and
#     scancel --full --signal=TERM send: the batch shell, srun, the ranks)
#   - a 3-element array of jobs/shards.sbatch + rnnsweep merge equals the run
#   - down.sh leaves nothing running
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d /tmp/rnnsweep-slurmtest.XXXXXX)
export RNNSWEEP_SLURM_DIR=$tmp/cluster
cleanup() { bash cluster/local/down.sh > /dev/null 2>&1; rm -rf "$tmp"; }
trap cleanup EXIT
. tests/sweep_lib.sh
make_data "$tmp/syn.csv"
make_config "$tmp/tiny.ini" "$tmp/syn.csv"
sed "s/^epochs   = 3/epochs   = 600/; s/^patience = 2/patience = 0/" "$tmp/tiny.ini" > "$tmp/slow.ini"

t0=$(date +%s)
if ! bash cluster/local/up.sh; then echo "FAIL cluster/local/up.sh"; exit 1; fi
. "$RNNSWEEP_SLURM_DIR/env.sh"
ok "one-node Slurm up in $(( $(date +%s) - t0 )) s"
bash cluster/local/up.sh | grep -q "already up" && ok "up.sh is idempotent" || bad "second up.sh"

# direct references
"${MPIRUN[@]}" -np 2 "$rs" run "$tmp/tiny.ini" -o "$tmp/ref.h5" --quiet > /dev/null 2>&1 || bad "direct reference run"
"$rs" run "$tmp/slow.ini" -o "$tmp/slow_ref.h5" --quiet > /dev/null 2>&1 || bad "direct slow reference run"

submit() {  # submit OUT_VAR_VALUE sbatch-args... -> prints the job id
  sbatch --parsable --output="$tmp/%x-%j.log" "$@"
}
ctldlog() { grep -E "JobId=$1([^0-9]|$)" "$RNNSWEEP_SLURM_DIR/log/slurmctld.log" 2>/dev/null | tail -15; }
jobstate() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -1; }
# A requeued running job passes through COMPLETING; a StartTime=now sent then
# is silently undone (cluster/local/README.md), so wait for PENDING first —
# and for the node to be idle again: a restart before the old instance is
# cleaned up is killed with "Job credential revoked" (why Slurm itself
# waits 120 s); slurmd compares the credential's time with the revocation's
# in whole seconds, so a restart within the same second is refused.
bring_back() {
  for _ in $(seq 1 300); do [ "$(jobstate "$1")" = PENDING ] && break; sleep 0.1; done
  for _ in $(seq 1 300); do [ "$(sinfo -h -n localhost -o %T)" = idle ] && break; sleep 0.1; done
  sleep 1.5   # slurmd compares credential times in whole seconds
  scontrol update JobId="$1" StartTime=now
}
wait_journal() {  # wait_journal FILE BYTES SECONDS: the journal holds a task record
  for _ in $(seq 1 $(( $3 * 20 ))); do
    [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -gt "$2" ] && return 0; sleep 0.05
  done; return 1
}

# --- one sweep at 2 ranks -------------------------------------------------------
id=$(RNNSWEEP_OUTPUT=$tmp/job.h5 RNNSWEEP_BIN=$rs submit -n 2 jobs/sweep.sbatch "$tmp/tiny.ini")
if bash cluster/local/wait_job.sh "$id" 180 > /dev/null; then ok "sweep.sbatch job $id completed"
else bad "sweep.sbatch job $id: $(jobstate "$id")"; cat "$tmp"/*-"$id".log; fi
same_results "$tmp/ref.h5" "$tmp/job.h5" sbatch && [ "$(attr "$tmp/job.h5" ranks)" = 2 ] \
  && ok "the job's results == a direct mpirun run (2 ranks)" || bad "job results differ"

# --- requeue of a running sweep ---------------------------------------------------
id=$(RNNSWEEP_OUTPUT=$tmp/rq.h5 RNNSWEEP_BIN=$rs submit -n 2 jobs/sweep.sbatch "$tmp/slow.ini")
if wait_journal "$tmp/rq.h5.journal" 20000 120; then
  scontrol requeue "$id" && bring_back "$id"
  if bash cluster/local/wait_job.sh "$id" 300 > /dev/null; then ok "requeued job $id came back and completed"
  else bad "requeued job $id: $(jobstate "$id")"; cat "$tmp"/*-"$id".log; ctldlog "$id"; fi
  grep -q "restart 1" "$tmp"/*-"$id".log && ok "the rerun was a requeue (restart 1)" || bad "no restart in the log"
  same_results "$tmp/slow_ref.h5" "$tmp/rq.h5" requeue && [ "$(attr "$tmp/rq.h5" tasks_done)" = 8 ] \
    && ok "requeued + resumed == uninterrupted, 8 tasks, none duplicated" || bad "requeue results differ"
else bad "requeue: job $id wrote no task"; cat "$tmp"/*-"$id".log; fi

# --- Slurm's warning signal: drain, exit 75, self-requeue ---------------------------
id=$(RNNSWEEP_OUTPUT=$tmp/sig.h5 RNNSWEEP_BIN=$rs submit -n 2 jobs/sweep.sbatch "$tmp/slow.ini")
if wait_journal "$tmp/sig.h5.journal" 20000 120; then
  scancel --batch --signal=USR1 "$id"
  for _ in $(seq 1 600); do   # the script requeues itself; bring it back at once
    grep -q "requeueing" "$tmp"/*-"$id".log 2>/dev/null && break; sleep 0.1
  done
  bring_back "$id" 2>/dev/null
  if bash cluster/local/wait_job.sh "$id" 300 > /dev/null; then ok "USR1 drain: job $id requeued itself and completed"
  else bad "USR1 drain job $id: $(jobstate "$id")"; cat "$tmp"/*-"$id".log; ctldlog "$id"; fi
  grep -q "drained (exit 75)" "$tmp"/*-"$id".log && ok "the drain exited 75" || { bad "no drain in the log"; cat "$tmp"/*-"$id".log; }
  same_results "$tmp/slow_ref.h5" "$tmp/sig.h5" usr1 && ok "drained + requeued == uninterrupted" || bad "USR1 results differ"
else bad "USR1: job $id wrote no task"; cat "$tmp"/*-"$id".log; fi

# --- SIGTERM to every process of the job (preemption, scancel --full) -----------------------
id=$(RNNSWEEP_OUTPUT=$tmp/term.h5 RNNSWEEP_BIN=$rs submit -n 2 jobs/sweep.sbatch "$tmp/slow.ini")
if wait_journal "$tmp/term.h5.journal" 20000 120; then
  scancel --full --signal=TERM "$id"
  for _ in $(seq 1 600); do
    grep -q "requeueing" "$tmp"/*-"$id".log 2>/dev/null && break; sleep 0.1
  done
  bring_back "$id" 2>/dev/null
  if bash cluster/local/wait_job.sh "$id" 300 > /dev/null; then ok "SIGTERM to every process: job $id requeued itself and completed"
  else bad "SIGTERM job $id: $(jobstate "$id")"; cat "$tmp"/*-"$id".log; ctldlog "$id"; fi
  grep -q "drained (exit 75)" "$tmp"/*-"$id".log && ok "SIGTERM through srun: exit 75" || { bad "no drain on SIGTERM"; cat "$tmp"/*-"$id".log; }
  same_results "$tmp/slow_ref.h5" "$tmp/term.h5" term && ok "SIGTERM-drained + requeued == uninterrupted" || bad "SIGTERM results differ"
else bad "SIGTERM: job $id wrote no task"; cat "$tmp"/*-"$id".log; fi

# --- a 3-element array + merge ---------------------------------------------------------
id=$(RNNSWEEP_OUTPUT_PREFIX=$tmp/arr RNNSWEEP_BIN=$rs submit -n 2 --array=0-2 jobs/shards.sbatch "$tmp/tiny.ini")
all=1
for k in 0 1 2; do bash cluster/local/wait_job.sh "${id}_$k" 300 > /dev/null || all=0; done
[ $all = 1 ] && ok "shards.sbatch array $id: 3 elements completed" || { bad "array $id"; cat "$tmp"/*.log | tail -20; }
"$rs" merge "$tmp/merged.h5" "$tmp"/arr.shard*of3.h5 > /dev/null && same_results "$tmp/ref.h5" "$tmp/merged.h5" shards \
  && ok "3 shards merged == the single run" || bad "shards + merge"

# --- down ---------------------------------------------------------------------------------
bash cluster/local/down.sh > /dev/null && ok "down.sh" || bad "down.sh"
if pgrep -f "$RNNSWEEP_SLURM_DIR" > /dev/null; then bad "daemons left running: $(pgrep -af "$RNNSWEEP_SLURM_DIR")"
else ok "nothing left running"; fi
echo "slurm tests: $(( $(date +%s) - t0 )) s"
exit $fail
