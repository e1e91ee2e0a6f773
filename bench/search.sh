#!/usr/bin/env bash
# search.sh — what issue 13's features save, measured:
#
#   1. extending configs/quick.ini's [strategy] grid by one threshold and
#      resuming costs a small fraction of the original sweep (the finished
#      tasks are re-evaluated from their stored predictions, not retrained):
#        extend ratio = wall(resume with the extra point) / wall(the sweep)
#      both from mpirun's start to its exit (MPI start-up, data loading and
#      the results file included; the scheduling alone is printed beside).
#      Needs data/sp500-2000.csv (make data) or ../shared/data/sp500-2000.csv.
#   2. successive halving against the full grid on tiny synthetic data: 64
#      configurations x 6 yearly folds, eta 3, min_folds 1 (rungs of 1, 3, 6
#      periods): the two winners (the verdict's: the best-ranked configuration
#      with every period) and halving's compute as a fraction of the grid's
#      (tasks, and summed training seconds of /tasks).
#
#   bench/search.sh [NP]      NP ranks (default 3: 2 workers, 1 thread each)
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
NP=${1:-3}
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
MPIRUN=(mpirun --oversubscribe --bind-to none -np "$NP")
PY=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# $NP ranks x $OMP_NUM_THREADS thread, OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}"
wall() { sed -n 's/.* in \([0-9.]*\) s; this run.*/\1/p' "$1"; }   # the scheduler's wall

# ---- 1. one more strategy point on configs/quick.ini ---------------------------
data=data/sp500-2000.csv
[ -f "$data" ] || data=../shared/data/sp500-2000.csv
if [ -f "$data" ]; then
  set_data=(--set "data.spx.path=$data")
  s0=$(date +%s.%N)
  "${MPIRUN[@]}" "$BIN"/rnnsweep run configs/quick.ini "${set_data[@]}" -o "$tmp/q.h5" --quiet > "$tmp/q.log" 2>&1 \
    || { echo "quick sweep failed:"; cat "$tmp/q.log"; exit 1; }
  s1=$(date +%s.%N)
  "${MPIRUN[@]}" "$BIN"/rnnsweep run configs/quick.ini "${set_data[@]}" --set strategy.threshold=0,0.001,0.002,0.003 \
    -o "$tmp/q.h5" --resume --quiet > "$tmp/qx.log" 2>&1 || { echo "extended resume failed:"; cat "$tmp/qx.log"; exit 1; }
  s2=$(date +%s.%N)
  how=$(sed -n 's/.*this run: \(.*\)$/\1/p' "$tmp/qx.log")
  # process wall: mpirun start to exit (MPI start-up, data loading, the file written), the honest cost
  awk -v a="$(echo "$s1 - $s0" | bc)" -v b="$(echo "$s2 - $s1" | bc)" -v how="$how" \
      -v sa="$(wall "$tmp/q.log")" -v sb="$(wall "$tmp/qx.log")" 'BEGIN {
    f = "extend quick.ini threshold 3 -> 4 values: sweep %.2f s, resume %.2f s (%s): ratio %.2f %% (target < 5 %%); "
    f = f "scheduling alone %.1f s vs %.1f s\n"
    printf f, a, b, how, 100 * b / a, sb, sa }'
else
  echo "# extend: SKIP, no data/sp500-2000.csv (make data)"
fi

# ---- 2. halving vs the full grid ---------------------------------------------
# the data at a fixed path: its path is part of the task keys, so the
# figures repeat from run to run
syn=${BUILD:-build}/bench/search-syn.csv
mkdir -p "$(dirname "$syn")"
awk 'BEGIN { srand(7); p = 100; t0 = 1262304000; print "time,open,high,low,close";
  for (i = 0; i < 3287; i++) {       # 2010-01-01 .. 2018-12-31, daily
    d = 0.0015 * sin(i / 20.0) + 0.01 * (rand() - 0.5);
    o = p; c = p * exp(d); h = (o > c ? o : c) * (1 + 0.003 * rand()); l = (o < c ? o : c) * (1 - 0.003 * rand());
    printf "%d,%.6f,%.6f,%.6f,%.6f\n", t0 + i * 86400, o, h, l, c; p = c } }' > "$syn"
cat > "$tmp/h.ini" <<INI
[data]
instruments = SYN
SYN.path    = $syn
[features]
SYN    = logret, range, rsi:5
[target]
kind    = return
horizon = 1
[walkforward]
first_year    = 2013
last_year     = 2018
rolling_years = 2
val_frac      = 0.2
[model]
cell     = lstm, gru
lookback = 5, 10
hidden   = 3, 4, 5, 6
seed     = 1
[training]
lr       = 0.01, 0.003
batch    = 32, 64
epochs   = 3
patience = 2
[strategy]
market    = equity
kind      = signal
threshold = 0, 0.001
INI
hv=(--set search.method=halving search.eta=3 search.min_folds=1)
"${MPIRUN[@]}" "$BIN"/rnnsweep run "$tmp/h.ini" -o "$tmp/grid.h5" --quiet > "$tmp/g.log" 2>&1 \
  || { echo "grid sweep failed:"; cat "$tmp/g.log"; exit 1; }
"${MPIRUN[@]}" "$BIN"/rnnsweep run "$tmp/h.ini" "${hv[@]}" -o "$tmp/halv.h5" > "$tmp/h.log" 2>&1 \
  || { echo "halving sweep failed:"; cat "$tmp/h.log"; exit 1; }
grep "halving" "$tmp/h.log" | sed 's/^rnnsweep: /# /'
"$BIN"/rnnsweep show "$tmp/grid.h5" --format json > "$tmp/g.json"
"$BIN"/rnnsweep show "$tmp/halv.h5" --format json --top 1000000 > "$tmp/h.json"
"$BIN"/rnnsweep show "$tmp/grid.h5" --format csv --top 1000000 > "$tmp/g.csv"
$PY - "$tmp" "$(wall "$tmp/g.log")" "$(wall "$tmp/h.log")" <<'PY'
import csv, json, sys, h5py
d, gw, hw = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
g, h = json.load(open(f"{d}/g.json")), json.load(open(f"{d}/h.json"))
gt, ht = h5py.File(f"{d}/grid.h5")["tasks"][()], h5py.File(f"{d}/halv.h5")["tasks"][()]
n_cfg = len(h5py.File(f"{d}/grid.h5")["plan/models"])
gwin, hwin = g["statistics"]["winner"], h["statistics"]["winner"]
rank = {r["id"]: int(r["rank"]) for r in csv.DictReader(open(f"{d}/g.csv"))}
model = {r["id"]: r["model"] + " " + r["strategy"] for r in csv.DictReader(open(f"{d}/g.csv"))}
print(f"halving vs grid: {n_cfg} model configurations x 6 folds x 2 strategies; grid winner {gwin[:8]} "
      f"({model.get(gwin, '?')}), halving winner {hwin[:8]} ({model.get(hwin, '?')}): "
      f"{'the same' if gwin == hwin else 'different'}; halving's winner ranks {rank.get(hwin, '?')} of {len(rank)} "
      f"in the grid's leaderboard (by mean sharpe over the 6 folds)")
print(f"halving compute: {len(ht)} of {len(gt)} tasks ({100 * len(ht) / len(gt):.1f} %), training seconds "
      f"{ht['sec_train'].sum():.2f} of {gt['sec_train'].sum():.2f} ({100 * ht['sec_train'].sum() / gt['sec_train'].sum():.1f} %), "
      f"wall {hw:.2f} s of {gw:.2f} s ({100 * hw / gw:.1f} %)")
PY
