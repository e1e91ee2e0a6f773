#!/usr/bin/env bash
# test_sweep.sh — the sweep end to end on a tiny synthetic config:
#   - -np 1 and -np 3 (oversubscribed) give identical /results, /plan, /series
#   - kill -9 partway, then --resume: the same results as an uninterrupted run
#   - SIGTERM drains with exit 75; --resume completes to the same results
#   - an extended grid reuses finished tasks; a changed target is refused
#   - an extended strategy grid re-evaluates stored predictions (no training)
#     and equals a fresh run bit for bit (equity regression; fx trend3 with
#     every motor-map correction)
#   - bad input leaves an existing results file byte-identical
#   - --set overrides give the edited file's keys and results
#   - [search] method = random: the same sample at -np 1 and -np 3, grid keys
#   - [search] method = halving: -np 1 == -np 3; kill -9 mid-sweep + --resume ==
#     uninterrupted (same promotions); show marks the selecting periods
#   - a result or task larger than the MPI part size goes in parts and
#     arrives byte-identical (bench_sched --verify: 10 MB records in 1 MB
#     parts; a sweep with 4 kB parts == the one-rank file bit for bit)
#   - provenance: git commit, Slurm ids, host and BLAS kernel per task
#   - show, plan, merge of shards, read_results.py
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh
make_data "$tmp/syn.csv"
make_config "$tmp/tiny.ini" "$tmp/syn.csv"

run() { "$rs" run "$@" --quiet > "$tmp/out.log" 2>&1; }

# --- reference: one rank --------------------------------------------------
if run "$tmp/tiny.ini" -o "$tmp/np1.h5"; then ok "np1 run"; else bad "np1 run"; cat "$tmp/out.log"; fi
done1=$(attr "$tmp/np1.h5" tasks_done)
if [ "$done1" = 8 ] && [ "$(attr "$tmp/np1.h5" complete)" = 1 ]; then ok "np1: 8 tasks, complete"
else bad "np1: tasks_done '$done1'"; fi
nrows=$(h5dump -H -d /results "$tmp/np1.h5" | awk '/DATASPACE/ { gsub(/[(),]/, " "); print $4; exit }')
[ "$nrows" = 32 ] && ok "np1: 32 result rows (8 tasks x 4 strategies)" || bad "np1: $nrows rows"

# --- three ranks: identical bits ------------------------------------------
if "${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" -o "$tmp/np3.h5" --quiet > "$tmp/out3.log" 2>&1; then ok "np3 run"
else bad "np3 run"; tail -20 "$tmp/out3.log"; fi
same_results "$tmp/np1.h5" "$tmp/np3.h5" np3 && ok "np1 == np3, bit for bit" || bad "np1 != np3"
[ "$(attr "$tmp/np3.h5" ranks)" = 3 ] && ok "np3 records 3 ranks" || bad "np3 ranks attr"

# --- messages in parts ------------------------------------------------------
# RNNSWEEP_MPI_PART_BYTES is sched.h's test hook: the part size that stands
# for the 1 GiB of a real run, so the multi-part path runs on small records.
bs=${BUILD:-build}/bench/bench_sched
if [ -x "$bs" ]; then
  bs=$(asan_wrap "$bs" bench_sched)
  if RNNSWEEP_MPI_PART_BYTES=1048576 "${MPIRUN[@]}" -np 3 "$bs" --tasks 12 --test-bars 125000 --strategies 20 --verify 1 \
       > "$tmp/parts.log" 2>&1 && grep -q "record_bytes=1[0-9]\{7\} " "$tmp/parts.log" \
       && grep -q "^verify: 0 of 12 results arrived different (part size 1048576 bytes)" "$tmp/parts.log"; then
    ok "10 MB records and payloads in 1 MB parts: every byte arrives as sent"
  else bad "multi-part messages"; cat "$tmp/parts.log"; fi
else echo "SKIP multi-part bench: $bs not built"; fi
if RNNSWEEP_MPI_PART_BYTES=4096 "${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" -o "$tmp/parts.h5" --quiet > "$tmp/parts.log" 2>&1 \
   && same_results "$tmp/np1.h5" "$tmp/parts.h5" parts; then ok "np3 with 4 kB MPI parts == np1, bit for bit"
else bad "np3 with 4 kB MPI parts"; tail "$tmp/parts.log"; fi

# --- bad input touches nothing ----------------------------------------------
cp "$tmp/np1.h5" "$tmp/keep.h5"
run "$tmp/tiny.ini" -o "$tmp/np1.h5"; rc=$?
[ $rc -eq 2 ] && cmp -s "$tmp/np1.h5" "$tmp/keep.h5" && ok "existing output without --resume: exit 2, untouched" || bad "overwrite guard (rc $rc)"
sed 's/^epochs   = 3/epochs   = zero/' "$tmp/tiny.ini" > "$tmp/badval.ini"
run "$tmp/badval.ini" -o "$tmp/np1.h5" --resume; rc=$?
grep -q "badval.ini:.*\[training\] epochs" "$tmp/out.log" && [ $rc -eq 2 ] && cmp -s "$tmp/np1.h5" "$tmp/keep.h5" \
  && ok "bad config with --resume: exit 2 naming file:line and key, output untouched" || { bad "bad config (rc $rc)"; cat "$tmp/out.log"; }
sed 's/^horizon = 1/horizon = 2/' "$tmp/tiny.ini" > "$tmp/horizon.ini"
run "$tmp/horizon.ini" -o "$tmp/np1.h5" --resume; rc=$?
[ $rc -eq 2 ] && grep -q "horizon" "$tmp/out.log" && cmp -s "$tmp/np1.h5" "$tmp/keep.h5" \
  && ok "changed target on --resume refused (exit 2), output untouched" || { bad "target change (rc $rc)"; cat "$tmp/out.log"; }

# --- kill -9 partway, resume ------------------------------------------------
# a slower variant of the config so the kill lands mid-sweep
sed 's/^epochs   = 3/epochs   = 40/; s/^patience = 2/patience = 0/' "$tmp/tiny.ini" > "$tmp/slow.ini"
run "$tmp/slow.ini" -o "$tmp/slow_ref.h5" || bad "slow reference run"
"${MPIRUN[@]}" -np 2 "$rs" run "$tmp/slow.ini" -o "$tmp/kill.h5" --quiet > "$tmp/kill.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do  # wait until the journal holds at least one task record
  n=$(stat -c %s "$tmp/kill.h5.journal" 2>/dev/null || echo 0)
  [ "$n" -gt 20000 ] && break; kill -0 $pid 2>/dev/null || break; sleep 0.02
done
pkill -9 -f "rnnsweep run $tmp/slow.ini -o $tmp/kill.h5"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
"$rs" run "$tmp/slow.ini" -o "$tmp/kill.h5" --resume > "$tmp/out.log" 2>&1 || { bad "resume after kill -9"; cat "$tmp/out.log"; }
kept=$(sed -n 's/.*resume: \([0-9]*\) finished tasks kept.*/\1/p' "$tmp/out.log"); kept=${kept:-0}
[ "$kept" -ge 1 ] && [ "$kept" -lt 8 ] && ok "killed with kill -9 after $kept of 8 tasks; resumed" \
  || bad "kill -9 did not land mid-sweep (kept '$kept')"
same_results "$tmp/slow_ref.h5" "$tmp/kill.h5" kill && ok "killed + resumed == uninterrupted" || bad "killed + resumed differs"
[ "$(attr "$tmp/kill.h5" tasks_done)" = 8 ] && ok "no duplicate, no missing task" || bad "tasks_done after resume"

# --- SIGTERM drains with 75 -------------------------------------------------
"$rs" run "$tmp/slow.ini" -o "$tmp/term.h5" --quiet > "$tmp/term.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  n=$(stat -c %s "$tmp/term.h5.journal" 2>/dev/null || echo 0)
  [ "$n" -gt 8000 ] && break; sleep 0.05
done
kill -TERM $pid; wait $pid; rc=$?
done_t=$(attr "$tmp/term.h5" tasks_done)
if [ $rc -eq 75 ] && [ -n "$done_t" ] && [ "$done_t" -lt 8 ] && [ "$(attr "$tmp/term.h5" complete)" = 0 ]; then
  ok "SIGTERM: exit 75, $done_t/8 tasks flushed, file marked incomplete"
else bad "SIGTERM: rc $rc, tasks_done '$done_t'"; cat "$tmp/term.log"; fi
run "$tmp/slow.ini" -o "$tmp/term.h5" --resume && [ "$(attr "$tmp/term.h5" complete)" = 1 ] \
  && ok "resume after drain completes" || bad "resume after drain"
same_results "$tmp/slow_ref.h5" "$tmp/term.h5" drain && ok "drained + resumed == uninterrupted" || bad "drained + resumed differs"

# SIGUSR1 through mpirun (what a Slurm batch script forwards)
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/slow.ini" -o "$tmp/usr1.h5" --quiet > "$tmp/usr1.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  n=$(stat -c %s "$tmp/usr1.h5.journal" 2>/dev/null || echo 0)
  [ "$n" -gt 8000 ] && break; sleep 0.05
done
kill -USR1 $pid; wait $pid; rc=$?
[ $rc -eq 75 ] && ok "SIGUSR1 to mpirun: drained, exit 75" || { bad "SIGUSR1 via mpirun: rc $rc"; tail "$tmp/usr1.log"; }

# --- extending the grid reuses finished tasks ---------------------------------
cp "$tmp/np1.h5" "$tmp/ext.h5"; cp "$tmp/np1.h5.journal" "$tmp/ext.h5.journal"
sed 's/^hidden   = 4, 6/hidden   = 4, 6, 3/' "$tmp/tiny.ini" > "$tmp/ext.ini"
"$rs" run "$tmp/ext.ini" -o "$tmp/ext.h5" --resume > "$tmp/out.log" 2>&1
grep -q "8 finished tasks kept" "$tmp/out.log" && [ "$(attr "$tmp/ext.h5" tasks_done)" = 12 ] \
  && ok "extended grid: 8 tasks kept, 4 new run" || { bad "extended grid"; cat "$tmp/out.log"; }
run "$tmp/ext.ini" -o "$tmp/ext_ref.h5"
same_results "$tmp/ext_ref.h5" "$tmp/ext.h5" extend && ok "extended resume == fresh run of the extended grid" || bad "extended differs"

# --- extending the STRATEGY grid re-evaluates, never retrains -------------------
# every finished task lacks the new points; each is completed from its stored
# predictions (through the scheduler, over the workers) and the file equals a
# fresh run of the extended grid, bit for bit.  Regression on equity here
# (signal and grid), trend3 on fx with motor maps below.
reeval_case() {  # reeval_case LABEL OLD.ini NEW.ini NP
  local label=$1 old=$2 new=$3 np=$4 out=$tmp/re_$1.h5
  "$rs" run "$old" -o "$out" --quiet > /dev/null 2>&1 || { bad "$label: first run"; return; }
  cp "$out" "$tmp/re_$1_before.h5"
  "${MPIRUN[@]}" -np "$np" "$rs" run "$new" -o "$out" --resume > "$tmp/re.log" 2>&1 || { bad "$label: resume"; cat "$tmp/re.log"; return; }
  "$rs" run "$new" -o "$tmp/re_$1_ref.h5" --quiet > /dev/null 2>&1 || { bad "$label: reference run"; return; }
  local n; n=$(attr "$out" tasks_done)
  if grep -q "resume: 0 finished tasks kept, $n re-evaluated from their stored predictions (no training), 0 retrained" "$tmp/re.log" \
     && grep -q "this run: 0 trained, $n re-evaluated" "$tmp/re.log"; then ok "$label: $n tasks re-evaluated, none trained"
  else bad "$label: counts"; grep rnnsweep: "$tmp/re.log" | tail -4; fi
  same_results "$tmp/re_$1_ref.h5" "$out" "$label" && ok "$label: re-evaluated file == fresh run of the extended grid, bit for bit" \
    || bad "$label: re-evaluated != fresh run"
  if /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
    /usr/bin/python3 - "$tmp/re_$1_before.h5" "$out" <<'PY' && ok "$label: /tasks says re-evaluated, training times are the first run's" || bad "$label: /tasks facts"
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1])['tasks'][()]; b = h5py.File(sys.argv[2])['tasks'][()]
assert (b['reevaluated'] == 1).all(), b['reevaluated']
ka = dict(zip(a['task_key'], a['sec_train'])); assert all(ka[k] == s for k, s in zip(b['task_key'], b['sec_train']))
PY
  fi
}
sed 's/^threshold  = 0, 0.001/threshold  = 0, 0.0005, 0.001/; s/^spacing    = 1/spacing    = 1, 2/; s/^max_levels = 2/max_levels = 2, 3/' \
  "$tmp/tiny.ini" > "$tmp/tiny_ext.ini"
reeval_case equity "$tmp/tiny.ini" "$tmp/tiny_ext.ini" 3
sed -e 's/^kind    = return/kind    = trend3/' -e 's/^market     = equity/market = fx\nmm_size = 4\ncorrection = none, motormap/' \
    -e 's/^kind       = signal, grid/kind = signal/' -e 's/^threshold  = 0, 0.001/min_prob = 0/' -e 's/^spacing    = 1/spacing = 30/' \
    "$tmp/tiny.ini" > "$tmp/t3.ini"
sed -e 's/^correction = none, motormap/correction = none, motormap, motormap_online, motormap_peek/' \
    -e 's/^kind = signal/kind = signal, grid/' -e 's/^min_prob = 0/min_prob = 0, 0.4/' -e 's/^mm_size = 4/mm_size = 4, 5/' \
    "$tmp/t3.ini" > "$tmp/t3_ext.ini"
reeval_case trend3_fx "$tmp/t3.ini" "$tmp/t3_ext.ini" 2

# --- command-line overrides --------------------------------------------------
# --set (and Hydra's bare form) give the keys and results of the edited file;
# the file stores the effective config; a bad override is exit 2, nothing made.
sed 's/^hidden   = 4, 6/hidden   = 4, 5/; s/^threshold  = 0, 0.001/threshold  = 0, 0.002/' "$tmp/tiny.ini" > "$tmp/edited.ini"
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" --set model.hidden=4,5 strategy.threshold=0,0.002 -o "$tmp/ov.h5" --quiet \
  > "$tmp/ov.log" 2>&1 || { bad "run with --set"; cat "$tmp/ov.log"; }
run "$tmp/edited.ini" -o "$tmp/ov_ref.h5"
same_results "$tmp/ov_ref.h5" "$tmp/ov.h5" override && [ "$(attr "$tmp/ov.h5" sweep_hash)" = "$(attr "$tmp/ov_ref.h5" sweep_hash)" ] \
  && ok "--set and the bare form == the edited file (keys, sweep hash, results)" || bad "--set differs from the edited file"
h5dump -a /ini "$tmp/ov.h5" 2>/dev/null | grep -q "command-line overrides" && ok "the file stores the effective config" \
  || bad "effective config not stored"
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" --set model.lookback=abc -o "$tmp/ovbad.h5" > "$tmp/ov.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "^rnnsweep: --set model.lookback=abc: \[model\] lookback: expected an integer" "$tmp/ov.log" \
  && [ "$(grep -c "^rnnsweep" "$tmp/ov.log")" -eq 1 ] && ! [ -e "$tmp/ovbad.h5" ] && ! [ -e "$tmp/ovbad.h5.journal" ] \
  && ok "bad --set under mpirun: exit 2, one line naming the override, nothing created" || { bad "bad --set (rc $rc)"; cat "$tmp/ov.log"; }
"$rs" plan "$tmp/tiny.ini" --set walkforward.first_year=20x7 > "$tmp/ov.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q -- "--set walkforward.first_year=20x7" "$tmp/ov.log" && ok "plan --set: a bad value named, exit 2" \
  || { bad "plan --set (rc $rc)"; cat "$tmp/ov.log"; }

# --- [search] method = random ------------------------------------------------
# 3 of 8 configurations, the same sample at -np 1 and -np 3; their tasks are
# the full grid's (a grid run resumed on the file keeps them).
rnd=(--set model.hidden=3,4,5,6 search.method=random search.samples=3 search.seed=11)
"$rs" plan "$tmp/tiny.ini" "${rnd[@]}" > "$tmp/rnd.log" 2>&1
grep -q "random search: 3 of the grid's 8 configurations" "$tmp/rnd.log" && ok "plan: random search, 3 of 8 configurations" \
  || { bad "plan of a random search"; cat "$tmp/rnd.log"; }
run "$tmp/tiny.ini" "${rnd[@]}" -o "$tmp/rnd1.h5" || { bad "random run -np 1"; cat "$tmp/out.log"; }
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" "${rnd[@]}" -o "$tmp/rnd3.h5" --quiet > "$tmp/rnd.log" 2>&1 \
  || { bad "random run -np 3"; cat "$tmp/rnd.log"; }
[ "$(attr "$tmp/rnd1.h5" tasks_done)" = 6 ] && same_results "$tmp/rnd1.h5" "$tmp/rnd3.h5" random \
  && ok "random search: 6 tasks (3 configurations x 2 folds), -np 1 == -np 3 bit for bit" || bad "random search np1 vs np3"
run "$tmp/tiny.ini" --set model.hidden=3,4,5,6 -o "$tmp/rnd1.h5" --resume
grep -q "this run: 10 trained, 0 re-evaluated, 6 kept" "$tmp/out.log" && [ "$(attr "$tmp/rnd1.h5" tasks_done)" = 16 ] \
  && ok "the grid resumed on a random sample keeps its 6 tasks" || { bad "grid after random"; cat "$tmp/out.log"; }

# --- [search] method = halving ------------------------------------------------
# 8 configurations x 3 periods, eta 2: rungs of 1, 2, 3 periods, 8 -> 4 -> 2
# (14 tasks); the same at -np 1 and -np 3; killed mid-sweep with kill -9 and
# resumed, the same promotions and results as uninterrupted; show marks them.
hv=(--set walkforward.first_year=2016 model.hidden=3,4,5,6 search.method=halving search.eta=2 search.min_folds=1)
"$rs" run "$tmp/tiny.ini" "${hv[@]}" -o "$tmp/hv1.h5" > "$tmp/hv1.log" 2>&1 || { bad "halving run"; cat "$tmp/hv1.log"; }
"${MPIRUN[@]}" -np 3 "$rs" run "$tmp/tiny.ini" "${hv[@]}" -o "$tmp/hv3.h5" --quiet > "$tmp/hv.log" 2>&1 \
  || { bad "halving -np 3"; cat "$tmp/hv.log"; }
grep -q "rung 2 of 3: 4 of 8 configurations promoted by sharpe on periods 2016..2016" "$tmp/hv1.log" \
  && grep -q "rung 3 of 3: 2 of 4 configurations promoted by sharpe on periods 2016..2017" "$tmp/hv1.log" \
  && [ "$(attr "$tmp/hv1.h5" tasks_done)" = 14 ] && [ "$(attr "$tmp/hv1.h5" complete)" = 1 ] \
  && same_results "$tmp/hv1.h5" "$tmp/hv3.h5" halving \
  && ok "halving: 8 -> 4 -> 2 configurations, 14 tasks, -np 1 == -np 3 bit for bit" || { bad "halving"; cat "$tmp/hv1.log"; }
"$rs" plan "$tmp/tiny.ini" "${hv[@]}" > "$tmp/hv.log" 2>&1
grep -q "configurations per rung 8 on 1 period, 4 on 2 periods, 2 on 3 periods; about 14 tasks (58 % of the grid's)" "$tmp/hv.log" \
  && ok "plan: the rungs and the 14 tasks they run" || { bad "plan of a halving sweep"; cat "$tmp/hv.log"; }
"$rs" run "$tmp/tiny.ini" "${hv[@]}" --shard 1/2 -o "$tmp/hvs.h5" > "$tmp/hv.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "cannot be sharded" "$tmp/hv.log" && ! [ -e "$tmp/hvs.h5" ] && ! [ -e "$tmp/hvs.h5.journal" ] \
  && ok "halving with --shard: exit 2, nothing created" || { bad "halving --shard (rc $rc)"; cat "$tmp/hv.log"; }
sed 's/^epochs   = 3/epochs   = 40/; s/^patience = 2/patience = 0/' "$tmp/tiny.ini" > "$tmp/hvslow.ini"
"$rs" run "$tmp/hvslow.ini" "${hv[@]}" -o "$tmp/hvref.h5" > "$tmp/hvref.log" 2>&1 || bad "slow halving reference"
"${MPIRUN[@]}" -np 2 "$rs" run "$tmp/hvslow.ini" "${hv[@]}" -o "$tmp/hvk.h5" > "$tmp/hvk.log" 2>&1 &
pid=$!
for _ in $(seq 1 1500); do  # until rung 2 is under way
  grep -q "rung 2 of 3" "$tmp/hvk.log" 2>/dev/null && break; kill -0 $pid 2>/dev/null || break; sleep 0.01
done
sleep 0.1
pkill -9 -f "rnnsweep run $tmp/hvslow.ini"; kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
"$rs" run "$tmp/hvslow.ini" "${hv[@]}" -o "$tmp/hvk.h5" --resume > "$tmp/hvr.log" 2>&1 || { bad "halving resume"; cat "$tmp/hvr.log"; }
kept=$(sed -n 's/.*this run: .* \([0-9]*\) kept$/\1/p' "$tmp/hvr.log"); kept=${kept:-0}
[ "$kept" -ge 8 ] && [ "$kept" -lt 14 ] && ok "halving killed with kill -9 after rung 1 ($kept of 14 tasks); resumed" \
  || bad "halving kill did not land after rung 1 (kept '$kept')"
diff <(grep "promoted" "$tmp/hvref.log") <(grep "promoted" "$tmp/hvr.log") > /dev/null \
  && same_results "$tmp/hvref.h5" "$tmp/hvk.h5" halving_resume && [ "$(attr "$tmp/hvk.h5" tasks_done)" = 14 ] \
  && ok "halving killed + resumed: the same promotions and results as uninterrupted" || bad "halving resume differs"
"$rs" show "$tmp/hv1.h5" > "$tmp/show.txt" 2>&1
win=$("$rs" show "$tmp/hv1.h5" --format csv | awk -F, 'NR == 2 { print $2 }')
last=$("$rs" show "$tmp/hv1.h5" --format csv --top 1000 | awk -F, '$9 == "1/3" { print $2; exit }')
grep -q "successive halving (eta 2, by sharpe): rung 1 8 configurations on periods ..2016; rung 2 4 configurations on periods ..2017; rung 3 2 configurations" "$tmp/show.txt" \
  && "$rs" show "$tmp/hv1.h5" --config "$win" | grep -q "reached rung 3 of 3; SELECTED on periods 2016..2017 .*out of selection: 2018..2018" \
  && "$rs" show "$tmp/hv1.h5" --config "$last" | grep -q "halving: rung 1 of 3 only" \
  && "$rs" report "$tmp/hv1.h5" --html "$tmp/hv1.html" > /dev/null && grep -q '<p class="halving">successive halving' "$tmp/hv1.html" \
  && ok "show and the report: the rungs, and the periods that selected a configuration" || { bad "show of a halving sweep"; cat "$tmp/show.txt"; }

# --- provenance ----------------------------------------------------------------
# the commit the binary was built from (a commit of this repository), the Slurm
# job of the writer when there is one, none outside Slurm
SLURM_JOB_ID=4242 SLURM_ARRAY_JOB_ID=4240 SLURM_ARRAY_TASK_ID=2 run "$tmp/tiny.ini" -o "$tmp/prov.h5" \
  || { bad "run with Slurm variables"; cat "$tmp/out.log"; }
[ "$(attr "$tmp/prov.h5" slurm_job_id)" = '"4242"' ] && [ "$(attr "$tmp/prov.h5" slurm_array_job_id)" = '"4240"' ] \
  && [ "$(attr "$tmp/prov.h5" slurm_array_task_id)" = '"2"' ] && [ "$(attr "$tmp/np1.h5" slurm_job_id)" = '""' ] \
  && ok "Slurm job, array job and array task ids recorded (empty outside Slurm)" || bad "Slurm provenance attributes"
commit=$(attr "$tmp/prov.h5" git_commit | tr -d '"')
if git rev-parse --git-dir > /dev/null 2>&1; then
  [[ "$commit" =~ ^[0-9a-f]{40}(-dirty)?$ ]] && git cat-file -e "${commit%-dirty}^{commit}" 2>/dev/null \
    && ok "git_commit is a commit of this repository ($commit)" || bad "git_commit '$commit'"
else
  echo "SKIP git_commit: not built in a git tree"
fi
/usr/bin/python3 - "$tmp/prov.h5" <<'PY' && ok "/tasks: host and BLAS kernel per task" || bad "/tasks host, blas"
import re, sys, h5py, socket
t = h5py.File(sys.argv[1])["tasks"][()]
assert len(t) == 8 and all(h.decode() == socket.gethostname() for h in t["host"]), t["host"]
assert all(re.fullmatch(r"kern=(avx512|avx2|base) a[0-9]+ \S+", b.decode()) for b in t["blas"]), t["blas"]
PY
# a sweep whose tasks were trained with two arithmetics says so in show
# (kern.h, KERN_ARITH): half of it on RS_KERNEL=blas, merged with the rest
RS_KERNEL=blas run "$tmp/tiny.ini" --shard 1/2 -o "$tmp/ar1.h5" && run "$tmp/tiny.ini" --shard 2/2 -o "$tmp/ar2.h5" \
  && "$rs" merge "$tmp/ar.h5" "$tmp/ar1.h5" "$tmp/ar2.h5" > /dev/null || bad "shards on two kernel paths"
"$rs" show "$tmp/ar.h5" > "$tmp/ar.txt" 2>&1
"$rs" show "$tmp/ar.h5" --format json > "$tmp/ar.json" 2>&1
grep -Eq "^MIXED ARITHMETIC: the tasks were trained 4 on (OpenBLAS \S+, 4 on own kernels a[0-9]+|own kernels a[0-9]+, 4 on OpenBLAS \S+) " "$tmp/ar.txt" \
  && ! "$rs" show "$tmp/np1.h5" | grep -q "MIXED ARITHMETIC" && ! "$rs" show "$tmp/ar2.h5" | grep -q "MIXED ARITHMETIC" \
  && /usr/bin/python3 -c "import json,sys; a=json.load(open(sys.argv[1]))['arithmetic']; assert sorted(x['tasks'] for x in a)==[4,4], a" "$tmp/ar.json" \
  && "$rs" report "$tmp/ar.h5" --html "$tmp/ar.html" > /dev/null && grep -q "4 on own kernels a[0-9]* — MIXED ARITHMETIC" "$tmp/ar.html" \
  && "$rs" report "$tmp/np1.h5" --html "$tmp/np1.html" > /dev/null && grep -q "<td>8 on own kernels a[0-9]*</td>" "$tmp/np1.html" \
  && ok "show and the report flag a sweep trained with two arithmetics (4 tasks on blas, 4 on the own kernels)" \
  || { bad "mixed arithmetic in show"; cat "$tmp/ar.txt"; }
# ... and so does the end of a run that resumed across them
cp "$tmp/ar1.h5" "$tmp/ar3.h5"; cp "$tmp/ar1.h5.journal" "$tmp/ar3.h5.journal"
run "$tmp/tiny.ini" -o "$tmp/ar3.h5" --resume && grep -Eq "^rnnsweep: MIXED ARITHMETIC: the tasks were trained 4 on OpenBLAS \S+, 4 on own kernels a[0-9]+ " "$tmp/out.log" \
  && ahead=$(grep -n "^rnnsweep: MIXED ARITHMETIC ahead: the finished tasks of .* were trained 4 on OpenBLAS \S*; this run trains the remaining 4 on own kernels a[0-9]* (kern=" "$tmp/out.log" | cut -d: -f1) \
  && closing=$(grep -n "^rnnsweep: MIXED ARITHMETIC: the tasks" "$tmp/out.log" | cut -d: -f1) \
  && [ -n "$ahead" ] && [ "$ahead" -lt "$closing" ] \
  && run "$tmp/tiny.ini" -o "$tmp/ar4.h5" && ! grep -q "MIXED" "$tmp/out.log" \
  && cp "$tmp/ar1.h5" "$tmp/ar5.h5" && cp "$tmp/ar1.h5.journal" "$tmp/ar5.h5.journal" \
  && RS_KERNEL=blas run "$tmp/tiny.ini" -o "$tmp/ar5.h5" --resume && ! grep -q "MIXED" "$tmp/out.log" \
  && ok "a resume across kernels warns before training and ends with the MIXED ARITHMETIC line (one arithmetic: neither)" \
  || { bad "mixed arithmetic around a resumed run"; cat "$tmp/out.log"; }

# --- the HDF5 file is rebuilt from the journal --------------------------------
cp "$tmp/np1.h5.journal" "$tmp/re.h5.journal"; echo "garbage" > "$tmp/re.h5"
run "$tmp/tiny.ini" -o "$tmp/re.h5" --resume && same_results "$tmp/np1.h5" "$tmp/re.h5" rebuild \
  && ok "damaged HDF5 rebuilt from the journal" || bad "rebuild from journal"

# --- shards + merge ---------------------------------------------------------------
for k in 1 2 3; do run "$tmp/tiny.ini" --shard $k/3 -o "$tmp/sh$k.h5" || bad "shard $k"; done
"$rs" merge "$tmp/merged.h5" "$tmp/sh1.h5" "$tmp/sh2.h5" "$tmp/sh3.h5" > /dev/null \
  && same_results "$tmp/np1.h5" "$tmp/merged.h5" merge && [ "$(attr "$tmp/merged.h5" complete)" = 1 ] \
  && ok "3 shards merged == single run" || bad "shards + merge"
"$rs" merge "$tmp/m2.h5" "$tmp/sh1.h5" "$tmp/slow_ref.h5" > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "different plans" "$tmp/out.log" && ! [ -e "$tmp/m2.h5" ] \
  && ok "merge refuses files of different plans" || bad "merge of different plans (rc $rc)"

# --- show, plan -------------------------------------------------------------------
"$rs" show "$tmp/np1.h5" --by cell > "$tmp/show.txt" 2>&1 && grep -qi "lstm" "$tmp/show.txt" && grep -qi "gru" "$tmp/show.txt" \
  && ok "show --by cell" || { bad "show"; cat "$tmp/show.txt"; }
"$rs" show "$tmp/np1.h5" --metric sharp > "$tmp/out.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean 'sharpe'" "$tmp/out.log" && ok "show: unknown metric, exit 2" || bad "show bad metric"
"$rs" plan "$tmp/tiny.ini" > "$tmp/plan.txt" 2>&1 && grep -q "tasks: 8" "$tmp/plan.txt" && ok "plan" || { bad "plan"; cat "$tmp/plan.txt"; }

# --- the Python reader --------------------------------------------------------------
PY=/usr/bin/python3
if $PY -c 'import h5py, numpy' 2>/dev/null; then
  if $PY results/read_results.py "$tmp/np1.h5" > "$tmp/py.txt" 2>&1; then ok "read_results.py reads the file"
  else bad "read_results.py"; cat "$tmp/py.txt"; fi
  # learning curves: the file's, read_results.load_curve's and show --config's agree; saved
  # weights load under PyTorch's names with the plan's parameter count, and change no result
  run "$tmp/tiny.ini" --set run.save_weights=1 -o "$tmp/w.h5" || { bad "save_weights run"; cat "$tmp/out.log"; }
  dump "$tmp/np1.h5" /results "$tmp/r1.bin"; dump "$tmp/w.h5" /results "$tmp/rw.bin"
  cmp -s "$tmp/r1.bin" "$tmp/rw.bin" && ok "save_weights = 1 changes no result" || bad "save_weights changed /results"
  for c in $("$rs" show "$tmp/w.h5" --format csv | awk -F, 'NR > 1 { print $2 }' | sort -u | head -4); do
    "$rs" show "$tmp/w.h5" --config "$c" --format json
  done > "$tmp/cfg.json"
  if $PY - "$tmp/w.h5" "$tmp/cfg.json" > "$tmp/py.txt" 2>&1 <<'PY'
import sys, json, h5py, numpy as np
sys.path.insert(0, "results")
import read_results as rr
path = sys.argv[1]
f = h5py.File(path)
tasks, models, loss = f["/tasks"][()], f["/plan/models"][()], f["/curves/loss"][()]
ix = f["/curves/index"][()]
assert len(ix) == len(tasks) == 8 and len(f["/weights/index"]) == 8
seen = 0
for t in tasks:
    lc = rr.load_curve(path, int(t["task_key"]))
    assert len(lc) == t["epochs_run"] and lc.epoch[lc.kept].tolist() == [t["best_epoch"]], (lc, t)
    w = rr.load_weights(path, int(t["task_key"]))
    m = models[models["key"] == t["model_key"]][0]
    n = sum(v.size for k, v in w.items() if isinstance(v, np.ndarray))
    assert n == m["params"] and w["cell"] == rr._text(m["cell"]) and w["hidden"] == [int(m["hidden"])], (n, m)
    assert w["weight_ih_l0"].shape == (rr._GATES[rr._CELLS.index(w["cell"])] * w["hidden"][0], 3)
dec = json.JSONDecoder()
text, pos = open(sys.argv[2]).read(), 0
while pos < len(text.rstrip()):
    doc, pos = dec.raw_decode(text, pos)
    while pos < len(text) and text[pos].isspace():
        pos += 1
    for c in doc["config"]["curves"]:
        fid = int(c["fold"])
        hit = [i for i, r in enumerate(ix) if r["fold_id"] == fid and
               rr.config_ids(path)[doc["config"]["id"]][0].count(int(r["model"]))]
        assert len(hit) == 1, hit
        r = ix[hit[0]]
        want = loss[r["offset"]:r["offset"] + r["n"]]
        assert c["train_loss"] == want[:, 0].tolist() and c["val_loss"] == want[:, 1].tolist(), (c, want)
        seen += 1
assert seen >= 4, seen
print(f"{seen} curves")
PY
  then ok "curves: /curves == load_curve == show --config; weights load with the plan's shapes ($(tail -1 "$tmp/py.txt"))"
  else bad "curves / weights"; cat "$tmp/py.txt"; fi
  if $PY tests/recompute.py "$tmp/np1.h5" > "$tmp/py.txt" 2>&1; then ok "every row recomputed by hand from /series: $(tail -1 "$tmp/py.txt" | sed 's/.*: //')"
  else bad "rows recomputed from /series"; cat "$tmp/py.txt"; fi
else echo "SKIP read_results.py: python3-h5py not installed"; fi

exit $fail
