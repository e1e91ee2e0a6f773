# sweep_lib.sh — shared by the sweep integration tests (sourced, not run).
# Makes a tiny synthetic daily series and config in $tmp, and helpers to
# compare results files bit for bit.
BIN=${BIN:-bin}
rs="$BIN/rnnsweep"
export OMP_NUM_THREADS=1
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# mpirun as root on a container: no hwthread binding surprises
MPIRUN=(mpirun --oversubscribe --bind-to none)
# Under `make asan` a program run under mpirun goes through a wrapper that
# preloads ASan and tests/nodlclose.c and applies tests/lsan.supp (see the
# Makefile's asan): Open MPI's one-off allocations, in components it has
# dlclose'd, are otherwise reported as leaks of unknown modules.
# asan_wrap PROGRAM NAME: the path to run PROGRAM by ($tmp/NAME, the
# wrapper, under make asan; PROGRAM itself otherwise).
asan_wrap() {
  if [ -n "${RS_ASAN_PRELOAD:-}" ] && [ -n "${tmp:-}" ]; then
    local abs; abs="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
    cat > "$tmp/$2" <<WRAP
#!/bin/sh
LD_PRELOAD="$RS_ASAN_PRELOAD" ASAN_OPTIONS=fast_unwind_on_malloc=0 \
LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp exec $abs "\$@"
WRAP
    chmod +x "$tmp/$2"; echo "$tmp/$2"
  else echo "$1"; fi
}
rs=$(asan_wrap "$rs" rnnsweep)
fail=0
ok()   { echo "ok   $*"; }
bad()  { echo "FAIL $*"; fail=1; }

# make_data FILE: 4 years of daily bars (unix timestamps), a random walk
# with a slowly varying drift so a model has something to find.
make_data() {
  awk 'BEGIN { srand(42); p = 100; t0 = 1420070400; print "time,open,high,low,close";
    for (i = 0; i < 1460; i++) {
      d = 0.002 * sin(i / 15.0) + 0.01 * (rand() - 0.5);
      o = p; c = p * exp(d); h = (o > c ? o : c) * (1 + 0.003 * rand()); l = (o < c ? o : c) * (1 - 0.003 * rand());
      printf "%d,%.6f,%.6f,%.6f,%.6f\n", t0 + i * 86400, o, h, l, c; p = c } }' > "$1"
}

# make_config FILE DATA [extra sed]: 4 model points x 2 folds, 4 strategies
make_config() {
  cat > "$1" <<INI
[data]
instruments = SYN
SYN.path    = $2
[features]
SYN    = logret, range, rsi:5
scaler = zscore
[target]
kind    = return
horizon = 1
[walkforward]
first_year = 2017
last_year  = 2018
val_frac   = 0.2
[model]
cell     = lstm, gru
lookback = 5
hidden   = 4, 6
seed     = 1
[training]
lr       = 0.01
batch    = 32
epochs   = 3
patience = 2
[strategy]
market     = equity
kind       = signal, grid
threshold  = 0, 0.001
spacing    = 1
max_levels = 2
INI
}

# dump FILE DATASET OUT: raw bytes of a dataset (h5dump binary output)
dump() { h5dump -d "$2" -b NATIVE -o "$3" "$1" > /dev/null 2>&1; }

# same_results A B LABEL: /results, /plan/*, /series/*, /curves/*, /train_classes/*,
# /weights/* identical bit for bit
same_results() {
  local a=$1 b=$2 label=$3 d ok_all=1
  for d in /results /plan/models /plan/strategies /plan/corrections /plan/folds /series/index /series/t /series/y \
           /series/pred /series/returns /series/bh /series/corrected /series/points /series/point_end /series/trades /curves/index /curves/loss \
           /train_classes/index /train_classes/net /train_classes/label /weights/index /weights/blob; do
    dump "$a" "$d" "$tmp/da.bin"; dump "$b" "$d" "$tmp/db.bin"
    if ! [ -s "$tmp/da.bin" ] && [ "$d" = /results ]; then ok_all=0; echo "  $label: $d missing in $a"; continue; fi
    if ! cmp -s "$tmp/da.bin" "$tmp/db.bin"; then ok_all=0; echo "  $label: $d differs"; fi
    rm -f "$tmp/da.bin" "$tmp/db.bin"
  done
  [ $ok_all -eq 1 ]
}

# attr FILE NAME: a root attribute's value
attr() { h5dump -a "/$2" "$1" 2>/dev/null | awk '/\(0\)/ { sub(/.*\(0\): */, ""); print; exit }'; }
