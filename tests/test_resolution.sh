#!/usr/bin/env bash
# test_resolution.sh — series resolution at 1-minute scale ([run] series,
# worker/task.h "Series resolution"), end to end on a synthetic 1-minute
# year the test writes itself (no external data):
#   - 10 and 40 strategy points at series = day: the journal record and the
#     results file grow by at most MAX_PER_STRAT bytes per added strategy
#     point (the figures are printed), against the same grids at series = bar
#   - every /results row (every metric) of the day runs equals the bar runs'
#     byte for byte: metrics stay computed from every bar
#   - `rnnsweep plan` prints the record size the run then writes
#   - `show --config ID --series bar` on the day file recomputes the per-bar
#     curve that the bar run stored, bit for bit; read_results.py's
#     recompute_bar_series and load_points agree; changed data: exit 2
#   - --resume with only `series` changed re-evaluates at the new resolution
#   - series = none: no per-strategy series, and show says why PBO and
#     walk-forward selection cannot run
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh
export OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} OPENBLAS_L2_SIZE=${OPENBLAS_L2_SIZE:-512}
MAX_PER_STRAT=4096     # "a few kB" per strategy point: ~2.7 kB expected (261 days x 8 B + one row)

# 1-minute bars, 24 h a weekday (FX-like), 2017-10-02 .. 2018-12-31: a
# training quarter and one test year of 375,840 bars (unix seconds).
awk 'BEGIN { srand(7); p = 1.15; t0 = 1506902400; print "time,open,high,low,close"; n = 0;
  for (d = 0; d < 456; d++) {
    wd = (int((t0 + d * 86400) / 86400) + 4) % 7; if (wd == 0 || wd == 6) continue;
    for (m = 0; m < 1440; m++) {
      r = 0.00002 * sin(n / 700.0) + 0.0002 * (rand() - 0.5); n++;
      o = p; c = p * exp(r); h = (o > c ? o : c) * (1 + 0.00005 * rand()); l = (o < c ? o : c) * (1 - 0.00005 * rand());
      printf "%d,%.6f,%.6f,%.6f,%.6f\n", t0 + d * 86400 + m * 60, o, h, l, c; p = c } } }' > "$tmp/m1.csv"
rows=$(($(wc -l < "$tmp/m1.csv") - 1))

# make_cfg FILE SERIES THRESHOLDS
make_cfg() {
  cat > "$1" <<INI
[data]
instruments = SYN
SYN.path    = $tmp/m1.csv
[features]
SYN    = logret, range
scaler = zscore
[target]
kind    = return
horizon = 1
[walkforward]
first_year = 2018
last_year  = 2018
val_frac   = 0.1
[model]
cell     = gru
lookback = 5
hidden   = 3
seed     = 1
[training]
lr          = 0.01
batch       = 64
epochs      = 1
stride      = 20
max_windows = 2000
[strategy]
market    = fx
kind      = signal
threshold = $3
[run]
series = $2
INI
}
t10="0:0.00009:0.00001"; t40="0:0.000039:0.000001"
run() { "$rs" run "$1" -o "$2" --quiet > "$tmp/out.log" 2>&1 || { bad "run $1"; cat "$tmp/out.log"; }; }
for s in day bar; do
  for k in 10 40; do
    v=t$k
    make_cfg "$tmp/$s$k.ini" $s "${!v}"
    start=$(date +%s.%N)
    run "$tmp/$s$k.ini" "$tmp/$s$k.h5"
    echo "  $s, $k strategy points: $(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
  done
done
[ "$rows" -gt 460000 ] && ok "synthetic 1-minute data: $rows bars" || bad "synthetic data: $rows rows"
sz() { stat -c %s "$1"; }
jd10=$(sz "$tmp/day10.h5.journal"); jd40=$(sz "$tmp/day40.h5.journal")
jb10=$(sz "$tmp/bar10.h5.journal"); jb40=$(sz "$tmp/bar40.h5.journal")
fd10=$(sz "$tmp/day10.h5"); fd40=$(sz "$tmp/day40.h5"); fb10=$(sz "$tmp/bar10.h5"); fb40=$(sz "$tmp/bar40.h5")
per_j=$(( (jd40 - jd10) / 30 )); per_f=$(( (fd40 - fd10) / 30 ))
echo "  journal (1 task): day $jd10 -> $jd40 B, bar $jb10 -> $jb40 B; file: day $fd10 -> $fd40 B, bar $fb10 -> $fb40 B"
echo "  per added strategy point: day journal $per_j B, file $per_f B; bar journal $(( (jb40 - jb10) / 30 )) B, file $(( (fb40 - fb10) / 30 )) B"
[ "$per_j" -gt 0 ] && [ "$per_j" -le $MAX_PER_STRAT ] && ok "day: the journal grows $per_j B per strategy point (<= $MAX_PER_STRAT)" \
  || bad "day journal growth $per_j B per strategy point"
[ "$per_f" -le $MAX_PER_STRAT ] && ok "day: the file grows $per_f B per strategy point (<= $MAX_PER_STRAT)" \
  || bad "day file growth $per_f B per strategy point"
[ $(( (jb40 - jb10) / 30 )) -gt $((100 * per_j)) ] && ok "bar: over 100x that per strategy point (the per-bar layout)" \
  || bad "bar growth not larger"

# every metric: the rows of the day runs are the bar runs' (per-bar computation)
for k in 10 40; do
  dump "$tmp/day$k.h5" /results "$tmp/rd.bin"; dump "$tmp/bar$k.h5" /results "$tmp/rb.bin"
  [ -s "$tmp/rd.bin" ] && cmp -s "$tmp/rd.bin" "$tmp/rb.bin" && ok "$k points: /results of day == bar, byte for byte" \
    || bad "$k points: /results differ between day and bar"
done

# plan: the record size the run wrote (one task: journal = head + 24-byte frame + record)
"$rs" plan "$tmp/day40.ini" > "$tmp/plan.txt" 2>&1 || bad "plan"
grep -q "record per task (\[run\] series = day)" "$tmp/plan.txt" && grep -q "storage of the sweep (1 tasks): journal" "$tmp/plan.txt" \
  && ok "plan prints the record and storage lines" || { bad "plan lines"; cat "$tmp/plan.txt"; }
pj=$(awk '/more per added strategy point/ { for (i = 1; i <= NF; i++) if ($(i + 1) == "KiB" && $(i + 2) == "more") print $i }' "$tmp/plan.txt")
awk -v p="$pj" -v m="$(( jd40 - jd10 ))" 'BEGIN { d = p * 1024 - m / 30; exit !(d < 8 && d > -8) }' \
  && ok "plan's $pj KiB per strategy point is the journal's" || bad "plan per strategy '$pj' KiB vs journal $(( (jd40 - jd10) / 30 )) B"

# show --series bar: the day file's recomputed curve == the bar file's stored one
PY=/usr/bin/python3
if $PY -c 'import h5py, numpy' 2>/dev/null; then
  id=$("$rs" show "$tmp/day40.h5" --format csv --top 40 | awk -F, 'NR == 6 { print $2 }')
  if "$rs" show "$tmp/day40.h5" --config "$id" --series bar --out "$tmp/curve.csv" 2> "$tmp/err.txt"; then
    ok "show --series bar wrote $(($(wc -l < "$tmp/curve.csv") - 1)) bars"
  else bad "show --series bar"; cat "$tmp/err.txt"; fi
  if $PY - "$tmp/bar40.h5" "$tmp/day40.h5" "$id" "$tmp/curve.csv" "$rs" > "$tmp/py.txt" 2>&1 <<'PY'
import sys, csv
import numpy as np
sys.path.insert(0, "results")
import read_results as rr
bar, day, cid, path, rs = sys.argv[1:6]
ms, s = rr.config_ids(bar)[[k for k in rr.config_ids(bar) if k.startswith(cid)][0]]
key = rr.load(bar).query(f"model == {ms[0]}").task_key.iloc[0]
stored = rr.load_points(bar, key)
col = stored.columns[3 + s]                       # t, bar, bh, then the strategies
want = stored[col].to_numpy(np.float32)
rows = list(csv.DictReader(open(path)))
got = np.array([float(r["ret"]) for r in rows], np.float32)
assert len(got) == len(want), (len(got), len(want))
assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), "recomputed per-bar curve differs"
assert rr.point_resolution(day, key) == "day" and rr.point_resolution(bar, key) == "bar"
py = rr.recompute_bar_series(day, cid, rs)
assert np.array_equal(py["ret"].to_numpy(np.float32).view(np.uint32), want.view(np.uint32))
# the daily points are the per-bar returns compounded, to float rounding of the bars
dp = rr.load_points(day, key)
assert len(dp) == 261, len(dp)
g = np.add.reduceat(np.log1p(want.astype(np.float64)), np.r_[0, dp["bar"].to_numpy()[:-1] + 1])
assert np.allclose(np.expm1(g), dp[col].to_numpy(np.float64), atol=1e-6), "day points are not the bars compounded"
assert rr.load_attrs(day)["series_resolution"] == "day"
print(f"{len(got)} bars equal bit for bit; {len(dp)} day points")
PY
  then ok "recomputed per-bar curve == the bar run's stored curve, bit for bit ($(tail -1 "$tmp/py.txt")); read_results agrees"
  else bad "recomputed curve"; cat "$tmp/py.txt"; fi
  # the data changed under the file: refused, exit 2
  cp "$tmp/m1.csv" "$tmp/m1.keep"
  awk -F, 'NR == 1000 { $5 = $5 * 1.0001 } { print }' OFS=, "$tmp/m1.keep" > "$tmp/m1.csv"
  "$rs" show "$tmp/day40.h5" --config "$id" --series bar > /dev/null 2> "$tmp/err.txt"; rc=$?
  [ $rc -eq 2 ] && grep -q "content hash" "$tmp/err.txt" && ok "changed data: exit 2, '$(head -c 90 "$tmp/err.txt")...'" \
    || { bad "changed data (rc $rc)"; cat "$tmp/err.txt"; }
  mv "$tmp/m1.keep" "$tmp/m1.csv"
else echo "SKIP recomputed curve: python3-h5py not installed"; fi

# the verdict and the page on daily points: statistics of days, annualised per day
"$rs" show "$tmp/day40.h5" > "$tmp/show.txt" 2>&1 || bad "show of a day file"
grep -q "per day over 261 days" "$tmp/show.txt" && grep -q "PBO (CSCV, 16 blocks of about 16 days" "$tmp/show.txt" \
  && ok "day: the deflated Sharpe and PBO run on the 261 day points" || { bad "day: show"; head -12 "$tmp/show.txt"; }
"$rs" report "$tmp/day40.h5" --html "$tmp/day.html" > /dev/null 2>&1 && grep -q "<svg" "$tmp/day.html" \
  && ok "day: report --html draws the curves" || bad "day: report --html"

# the leaderboard: per-fold metrics (every bar) and the stitched ROI agree between day and
# bar files; the stitched Sharpe and drawdown of a day file are those of its days
"$rs" show "$tmp/day40.h5" --format csv --top 40 | cut -d, -f2,5,12 | sort > "$tmp/lbd.csv"
"$rs" show "$tmp/bar40.h5" --format csv --top 40 | cut -d, -f2,5,12 | sort > "$tmp/lbb.csv"
# ids and per-fold Sharpe exactly; the stitched ROI as printed (2 decimals) within one
# unit of its last digit: day points compound the bars in double, the per-bar curve
# in float, and a value on a rounding boundary prints either way
[ "$(wc -l < "$tmp/lbd.csv")" -eq 41 ] && cmp -s <(cut -d, -f1,2 "$tmp/lbd.csv") <(cut -d, -f1,2 "$tmp/lbb.csv") \
  && paste -d, "$tmp/lbd.csv" "$tmp/lbb.csv" | awk -F, 'NR > 1 { d = $3 - $6; if (d < 0) d = -d; if (d > 0.0100001) bad = 1 } END { exit bad }' \
  && ok "leaderboard: sharpe (per fold) equal, roi_c% within its last printed digit, in the day and bar files (40 configurations)" \
  || { bad "leaderboard day vs bar"; diff "$tmp/lbd.csv" "$tmp/lbb.csv" | head -5; }

# changing only the resolution on --resume re-evaluates the finished task at the
# new one (no retraining): the file then equals a fresh run at that resolution
cp "$tmp/day10.h5" "$tmp/rs.h5"; cp "$tmp/day10.h5.journal" "$tmp/rs.h5.journal"
"$rs" run "$tmp/day10.ini" -o "$tmp/rs.h5" --resume --set run.series=bar > "$tmp/rs.log" 2>&1; rc=$?
dump "$tmp/rs.h5" /series/returns "$tmp/rsr.bin"; dump "$tmp/bar10.h5" /series/returns "$tmp/rbr.bin"
if [ $rc -eq 0 ] && grep -q "0 trained, 1 re-evaluated" "$tmp/rs.log" && [ "$(attr "$tmp/rs.h5" series/resolution)" = '"bar"' ] \
   && [ -s "$tmp/rsr.bin" ] && cmp -s "$tmp/rsr.bin" "$tmp/rbr.bin"; then
  ok "--resume with series day -> bar: re-evaluated, not retrained; /series/returns == the bar run's"
else bad "--resume with another series (rc $rc, resolution $(attr "$tmp/rs.h5" series/resolution))"; cat "$tmp/rs.log"; fi

# series = none: rows still there, no strategy series; PBO and walk-forward say why
make_cfg "$tmp/none.ini" none "$t10"
run "$tmp/none.ini" "$tmp/none.h5"
dump "$tmp/none.h5" /results "$tmp/rn.bin"; dump "$tmp/bar10.h5" /results "$tmp/rb.bin"
cmp -s "$tmp/rn.bin" "$tmp/rb.bin" && ok "none: /results == bar's" || bad "none: /results differ"
"$rs" show "$tmp/none.h5" > "$tmp/show.txt" 2>&1 || bad "show of a none file"
grep -q "PBO: - (no per-strategy series stored (\[run\] series = none)" "$tmp/show.txt" \
  && grep -q "walk-forward selection: - (no per-strategy series stored" "$tmp/show.txt" \
  && ok "none: show says PBO and walk-forward selection cannot run, and why" || { bad "none: show"; head -20 "$tmp/show.txt"; }
# a schema-4 file (written by the program of before series resolutions) still shows and
# reports; --series bar refuses it with the reason (no content hash recorded), exit 2
s4=tests/fixtures/schema4.h5
"$rs" show "$s4" > "$tmp/s4.txt" 2>&1 && grep -q "per bar over 364 bars" "$tmp/s4.txt" \
  && "$rs" report "$s4" --html "$tmp/s4.html" > /dev/null 2>&1 && ok "schema-4 file: show and report --html read it" \
  || { bad "schema-4 file"; head -5 "$tmp/s4.txt"; }
id4=$("$rs" show "$s4" --format csv | awk -F, 'NR == 2 { print $2 }')
"$rs" show "$s4" --config "$id4" --series bar > /dev/null 2> "$tmp/err.txt"; rc=$?
[ $rc -eq 2 ] && grep -q "records no content hash of its data (schema 4" "$tmp/err.txt" \
  && ok "schema-4 file: --series bar refused, exit 2, with the reason" || { bad "schema-4 --series bar (rc $rc)"; cat "$tmp/err.txt"; }
[ $fail -eq 0 ]
