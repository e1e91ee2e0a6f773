#!/usr/bin/env bash
# make bench: every throughput benchmark, side by side, in one run.
#
#   bench/run.sh [--quick] [--threads "1 2"] [--min-time S] [--openblas "Haswell unset"]
#                [--rounds R] [--by-shape] [--rnn-only]
#
# --by-shape interleaves at the shape level: for every shape (bench_rnn
# --list), the engine, PyTorch and oneDNN run one after the other (each
# through --filter), so a slow phase of a shared VM lasting a minute or two
# falls on all three at that shape rather than on one implementation's whole
# pass.  It costs a process start per shape and implementation (PyTorch's
# import: about 2.5 s).  With --rounds R each shape is visited R times.
# --rounds R (default 1) runs the RNN benches R times over, interleaved
# (engine, PyTorch, oneDNN; then all three again), and the tables take each
# implementation's best round: on a shared VM a slow phase of a few minutes
# otherwise lands on one implementation only and moves its ratios by 5-20 %
# (bench/README.md, session 15).
# --openblas lists the OpenBLAS kernel settings to run (default: the
# environment's OPENBLAS_CORETYPE, or Haswell, then unset); --rnn-only stops
# after the RNN tables (engine, PyTorch, oneDNN), before the backtester,
# scheduler, scale and search benches.
#
# For each OpenBLAS kernel setting (the environment's OPENBLAS_CORETYPE,
# Haswell/AVX2 on these machines, and unset = the library's own pick) and
# each thread count, runs rnnsweep's engine bench, the PyTorch script (when
# /usr/bin/python3 has torch) and oneDNN's (when built; oneDNN has its own
# JIT and ignores OPENBLAS_CORETYPE, so it runs once per thread count).  The
# engine bench measures each kernel path in one process, samples
# interleaved: the engine's own kernels (the best path of the CPU, or
# RS_KERNELS="avx2 ..." to list them) beside RS_KERNEL=blas, its OpenBLAS
# engine — the path the OpenBLAS setting affects.  Raw lines go to
# build/bench/raw-<stamp>.txt and the tables, ratios and issue-14 targets
# (met / not met) to build/bench/summary-<stamp>.md (bench/summarize.py).
# Then the backtester and (when ../shared/data exists) the loader.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
quick=""; threads="1 2"; mt=0.25; cts=""; rnn_only=0; rounds=1; by_shape=0
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=--quick ;;
    --threads) threads=$2; shift ;;
    --min-time) mt=$2; shift ;;
    --openblas) cts=$2; shift ;;
    --rnn-only) rnn_only=1 ;;
    --by-shape) by_shape=1 ;;
    --rounds) rounds=$2; shift
      [[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "bench/run.sh: --rounds expects a positive integer, got '$rounds'" >&2; exit 2; } ;;
    *) echo "usage: bench/run.sh [--quick] [--threads \"1 2\"] [--min-time S] [--openblas \"Haswell unset\"] [--rounds R] [--by-shape] [--rnn-only]" >&2; exit 2 ;;
  esac; shift
done
stamp=$(date +%Y%m%d-%H%M%S)
raw=$BUILD/bench/raw-$stamp.txt
mkdir -p "$BUILD/bench"
env_ct=${OPENBLAS_CORETYPE:-}
have_torch=0; /usr/bin/python3 -c 'import torch' 2>/dev/null && have_torch=1
# oneDNN's bench is not part of `make all` (it needs libdnnl-dev): build it
# here when the library is installed, so a direct bench/run.sh does not
# spend its minutes without the comparator (make bench builds it too).
if [ ! -x "$BUILD/bench/bench_onednn" ] && [ -f /usr/include/dnnl.h ]; then
  make --no-print-directory BUILD="$BUILD" "$BUILD/bench/bench_onednn" >&2 ||
    echo "bench/run.sh: building $BUILD/bench/bench_onednn failed; oneDNN columns will be empty" >&2
fi
{
  echo "# machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) cpus; load $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# date: $(date -u +%Y-%m-%dT%H:%MZ); command: bench/run.sh $quick --threads \"$threads\" --min-time $mt${cts:+ --openblas \"$cts\"} --rounds $rounds$([ $by_shape = 1 ] && echo ' --by-shape')"
} > "$raw"
run() {  # run LABEL CMD...: prefix each data line with the kernel label
  local label=$1; shift
  "$@" | while read -r line; do
    case $line in '#'*) echo "# [$label] ${line#\# }";; *) echo "$label $line";; esac
  done | tee -a "$raw"
}
for round in $(seq "$rounds"); do
for ct in ${cts:-${env_ct:-Haswell} unset}; do
  for th in $threads; do
    if [ "$ct" = unset ]; then E=(env -u OPENBLAS_CORETYPE); label=openblas-auto
    else E=(env OPENBLAS_CORETYPE="$ct"); label=openblas-$ct; fi
    echo ">> round $round/$rounds: kernels $label, $th thread(s)" >&2
    echo "# round $round/$rounds $(date -u +%H:%MZ)" >> "$raw"
    kflag=(); [ -n "${RS_KERNELS:-}" ] && kflag=(--kernels "$(tr ' ' , <<<"$RS_KERNELS"),blas")
    if [ $by_shape = 1 ]; then
      run "$label" "${E[@]}" OMP_NUM_THREADS="$th" "$BUILD"/bench/bench_rnn --threads "$th" --peak-only "${kflag[@]}"
      for shape in $("$BUILD"/bench/bench_rnn $quick --list); do
        run "$label" "${E[@]}" OMP_NUM_THREADS="$th" "$BUILD"/bench/bench_rnn --threads "$th" --no-peak \
          --filter "$shape" --min-time "$mt" "${kflag[@]}" | grep -v '^#'
        [ $have_torch = 1 ] && run "$label" "${E[@]}" OMP_NUM_THREADS="$th" /usr/bin/python3 bench/torch_rnn.py \
          --threads "$th" --filter "$shape" --min-time "$mt" | grep -v '^#'
        [ "$ct" != unset ] && [ -x "$BUILD/bench/bench_onednn" ] && run "$label" env OMP_NUM_THREADS="$th" \
          "$BUILD"/bench/bench_onednn --threads "$th" --filter "$shape" --min-time "$mt" | grep -v '^#'
      done
      [ $have_torch = 1 ] || echo "# torch not installed (make bench-deps installs python3-torch)" | tee -a "$raw"
      continue
    fi
    run "$label" "${E[@]}" OMP_NUM_THREADS="$th" "$BUILD"/bench/bench_rnn --threads "$th" $quick --min-time "$mt" "${kflag[@]}"
    if [ $have_torch = 1 ]; then
      run "$label" "${E[@]}" OMP_NUM_THREADS="$th" /usr/bin/python3 bench/torch_rnn.py --threads "$th" $quick --min-time "$mt"
    else echo "# torch not installed (make bench-deps installs python3-torch)" | tee -a "$raw"; fi
    if [ "$ct" != unset ] && [ -x "$BUILD/bench/bench_onednn" ]; then
      run "$label" env OMP_NUM_THREADS="$th" "$BUILD"/bench/bench_onednn --threads "$th" $quick --min-time "$mt"
    fi
  done
done
done
if [ ! -x "$BUILD/bench/bench_onednn" ]; then
  if [ -f /usr/include/dnnl.h ]; then echo "# oneDNN bench not built (its build failed: make $BUILD/bench/bench_onednn)" | tee -a "$raw"
  else echo "# oneDNN bench not built (libdnnl-dev missing: make bench-deps installs it)" | tee -a "$raw"; fi
fi
python3 bench/summarize.py "$raw" > "$BUILD/bench/summary-$stamp.md" && cat "$BUILD/bench/summary-$stamp.md"
if [ $rnn_only = 1 ]; then echo ">> raw lines: $raw; table: $BUILD/bench/summary-$stamp.md"; exit 0; fi
echo
echo ">> backtester"; OMP_NUM_THREADS=1 "$BUILD"/bench/bench_backtest 1000000 7
if [ -d ../shared/data/fx/histdata-m1 ]; then echo ">> loader"; OMP_NUM_THREADS=2 "$BUILD"/bench/bench_load 3; fi
echo ">> scheduler: empty tasks through the real protocol (1 thread per rank, oversubscribed)"
for np in 2 4 8; do
  for j in no yes; do
    a=(); [ $j = yes ] && a=(--journal "$BUILD/bench")
    OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
      mpirun --oversubscribe --bind-to none -np $np "$BUILD"/bench/bench_sched --tasks 20000 "${a[@]}" | tee -a "$raw"
  done
done
if [ -f data/sp500-2000.csv ]; then echo ">> sweep efficiency (configs/quick.ini)"; bash bench/sweep_eff.sh | tee -a "$raw"; fi
if [ -f data/sp500-2000.csv ]; then echo ">> plan's time estimate against real runs"; bash bench/plan_accuracy.sh | tee -a "$raw"; fi
echo ">> scale (issue 15): rank 0 at 10^5 tasks, checkpoints, resume, 1-minute-year records"
BUILD=$BUILD bash bench/scale.sh "$BUILD/bench/scale" "${SCALE_TASKS:-100000}" | tee -a "$raw"
rm -rf "$BUILD/bench/scale"
echo ">> search: a strategy point added by re-evaluation; successive halving vs the full grid"
BUILD=$BUILD bash bench/search.sh | tee -a "$raw"
echo ">> raw lines: $raw; table: $BUILD/bench/summary-$stamp.md"
