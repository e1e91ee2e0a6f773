#!/usr/bin/env bash
# bench/scale.sh — issue 15's scale figures (bench/README.md, "Results at
# scale"): rank 0's cost per task through the real protocol, journal, store
# and writer; checkpoint time against the tasks stored; resume at 10^5
# tasks; records of a 1-minute year.  Usage: bench/scale.sh [DIR] [TASKS]
# (DIR: scratch space for the journals, default a temp dir; TASKS 100000).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512} OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
dir=${1:-$(mktemp -d)}; n=${2:-100000}
mkdir -p "$dir"
bs="$BUILD/bench/bench_sched"
mpi=(mpirun --oversubscribe --bind-to none -np 3)
echo ">> machine: $(nproc --all) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo ">> $n small tasks (10 strategy points, 252 bars), 3 ranks, checkpoint every $((n / 20)) tasks, old writer timed too"
BENCH_KEEP_JOURNAL=1 "${mpi[@]}" "$bs" --tasks "$n" --strategies 10 --test-bars 252 --results "$dir" --old-writer 1 | tee "$dir/small.log"
j=$(sed -n 's/^journal kept: //p' "$dir/small.log")
echo ">> resume of that journal: streamed index (this version) and the whole file in memory (before)"
"$bs" --resume "$j" --resume-mode index
"$bs" --resume "$j" --resume-mode whole
rm -f "$j"
echo ">> a 1-minute year at daily strategy resolution: ~18 MB records (370,000 bars x 3 probabilities, 1 row)"
"${mpi[@]}" "$bs" --tasks 20 --strategies 1 --test-bars 370000 --outputs 3 --results "$dir"
echo ">> a 1-minute year, today's per-bar returns of 100 strategy points: ~164 MB records"
"${mpi[@]}" "$bs" --tasks 4 --strategies 100 --test-bars 370000 --outputs 3 --results "$dir"
