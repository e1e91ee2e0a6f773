#!/usr/bin/env bash
# sweep_eff.sh — sweep efficiency: the quick sweep's wall time against the
# sum of its task times divided by the worker count, at -np 2 (1 worker)
# and -np 3 (2 workers, the coordinator sleeping beside them).
#   efficiency = (Σ task seconds / workers) / wall
# 1.0 means the coordinator, data broadcast and scheduling cost nothing.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}; BIN=${BIN:-bin}
cfg=${1:-configs/quick.ini}
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
for np in 2 3; do
  start=$(date +%s.%N)
  mpirun --oversubscribe --bind-to none -np $np "$BIN"/rnnsweep run "$cfg" -o "$tmp/eff$np.h5" --quiet > "$tmp/log" 2>&1 \
    || { echo "sweep failed:"; cat "$tmp/log"; exit 1; }
  end=$(date +%s.%N)
  wall=$(sed -n 's/.* in \([0-9.]*\) s$/\1/p' "$tmp/log")
  sum=$(/usr/bin/python3 -c "import h5py,sys; print(float(h5py.File(sys.argv[1])['tasks']['sec_total'].sum()))" "$tmp/eff$np.h5")
  awk -v np=$np -v wall="$wall" -v sum="$sum" -v total="$(echo "$end - $start" | bc)" 'BEGIN {
    w = np - 1; printf "sweep ranks=%d workers=%d tasks_seconds=%.2f sched_wall=%.2f process_wall=%.2f efficiency=%.3f\n",
      np, w, sum, wall, total, (sum / w) / wall }'
done
