#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] — `make fuzz`: every libFuzzer harness of
# tests/fuzz/ (ASan + UBSan) first replays its seeds once — the regression
# part: a seed that once crashed stays a test — then fuzzes for SECONDS
# (default 60) from them.  Seeds: configs/*.ini, configs/seeds/*.ini and
# tests/fuzz/seeds/config (config); tests/fuzz/seeds/series and the first
# lines of every kind of file in ../shared/data when present (series); the
# journal of a real tiny sweep, whole, torn and with a flipped byte
# (journal).  New inputs go to build/fuzz/work/, crashes to
# build/fuzz/artifacts/ (kept for a look, and to be added to the seeds once
# fixed).  Exit status 1 when any harness failed.
set -u
cd "$(dirname "$0")/../.."
S=${1:-60}
B=${FUZZ_BUILD:-build/fuzz}
seeds=$B/seeds
rm -rf "$seeds"
mkdir -p "$seeds/config" "$seeds/series" "$seeds/journal" "$B/artifacts"
cp configs/*.ini configs/seeds/*.ini tests/fuzz/seeds/config/* "$seeds/config/"
cp tests/fuzz/seeds/series/* "$seeds/series/"
# real snippets: the harness's first byte picks the options (0 = detect
# everything; 8 = the broker files' price divisor)
if [ -d ../shared/data ]; then
  for d in ../shared/data/fx/*/; do
    f=$(find "$d" -maxdepth 1 -name '*.gz' | sort | head -1)
    [ -n "$f" ] || continue
    mode='\000'; case "$d" in *ejtrader*) mode='\010';; esac
    { printf "$mode"; zcat -f "$f" | head -40; } > "$seeds/series/shared-$(basename "$d")"
  done
fi
# a real journal from a tiny sweep: 2 model points x 1 fold
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh
make_data "$tmp/syn.csv"
make_config "$tmp/full.ini" "$tmp/syn.csv"
sed 's/^cell     = lstm, gru/cell     = lstm/; s/^last_year  = 2018/last_year  = 2017/; s/^kind       = signal, grid/kind       = signal/' \
  "$tmp/full.ini" > "$tmp/j.ini"
if "$rs" run "$tmp/j.ini" -o "$tmp/j.h5" --quiet > "$tmp/j.log" 2>&1; then
  cp "$tmp/j.h5.journal" "$seeds/journal/sweep.journal"
  n=$(stat -c %s "$tmp/j.h5.journal")
  head -c $(( n - 100 )) "$tmp/j.h5.journal" > "$seeds/journal/torn.journal"
  cp "$tmp/j.h5.journal" "$seeds/journal/flipped.journal"
  printf '\377' | dd of="$seeds/journal/flipped.journal" bs=1 seek=$(( n / 2 )) conv=notrunc status=none
else
  echo "fuzz: the seed sweep failed:"; cat "$tmp/j.log"; exit 1
fi

fail=0
for h in config series journal; do
  fz=$B/fuzz_$h
  log=$B/$h.log
  if ! "$fz" -runs=0 "$seeds/$h" > "$log" 2>&1; then
    echo "FAIL fuzz_$h: a seed fails (see $log)"; tail -30 "$log"; fail=1; continue
  fi
  echo "ok   fuzz_$h: $(ls "$seeds/$h" | wc -l) seeds replayed"
  mkdir -p "$B/work/$h"
  if "$fz" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$B/artifacts/$h-" \
        -print_final_stats=1 "$B/work/$h" "$seeds/$h" > "$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "ok   fuzz_$h: ${runs:-?} inputs in $S s, $cov, no failure"
  else
    echo "FAIL fuzz_$h (see $log; the input is in $B/artifacts/)"; tail -40 "$log"; fail=1
  fi
done
exit $fail
