#!/usr/bin/env bash
# test_seeds.sh — every published pipeline of configs/seeds/ end to end:
#   - `rnnsweep check` passes on each seed whose data is on this machine
#     (the S&P 500 file from `make data`, the HistData files in
#     ../shared/data); a seed whose data is absent is a printed SKIP;
#   - a tiny-data run of EVERY seed completes: the seed with its data paths
#     pointed at small synthetic files of the same formats this test writes,
#     and its network and epochs shrunk (nothing else changed), so the
#     config's structure — holdout splits, quarterly folds, the triangle,
#     every correction, the grid — is what runs;
#   - the motor-map sweep gives identical /results, /plan and /series
#     (/series/corrected included) with -np 1 and -np 3, and `show` leaves
#     its LOOK-AHEAD rows out of the ranking.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'pkill -9 -f "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh

# ---- synthetic data in the seeds' formats -------------------------------------
# S&P-style daily CSV with a header (date,open,high,low,close,adjclose,volume)
awk 'BEGIN { srand(7); p = 1400; print "date,open,high,low,close,adjclose,volume";
  d0 = 10957;                                   # 2000-01-01 in days since 1970
  for (i = 0; i < 7400; i++) { d = d0 + i; wd = (d + 4) % 7; if (wd == 0 || wd == 6) continue;
    r = 0.0003 + 0.012 * (rand() - 0.5) + 0.004 * sin(i / 40.0);
    o = p; c = p * exp(r); h = (o > c ? o : c) * (1 + 0.004 * rand()); l = (o < c ? o : c) * (1 - 0.004 * rand());
    y = 1970; z = d; # civil date from days (Howard Hinnant)
    z += 719468; era = int(z / 146097); doe = z - era * 146097; yoe = int((doe - int(doe/1460) + int(doe/36524) - int(doe/146096)) / 365);
    y = yoe + era * 400; doy = doe - (365*yoe + int(yoe/4) - int(yoe/100)); mp = int((5*doy + 2)/153);
    dd = doy - int((153*mp+2)/5) + 1; mm = mp < 10 ? mp + 3 : mp - 9; if (mm <= 2) y++;
    printf "%04d-%02d-%02d,%.2f,%.2f,%.2f,%.2f,%.2f,%d\n", y, mm, dd, o, h, l, c, c, 1000000 + int(500000 * rand());
    p = c } }' > "$tmp/spx.csv"

# HistData-style headerless hourly bars "YYYYMMDD HHMMSS;o;h;l;c;0" of one
# pair from year Y0 to Y1, gzip'd, with a common random factor so a
# triangle is consistent
hist() {  # hist FILE SEED P0 Y0 Y1 STEP_HOURS
  awk -v seed="$2" -v p="$3" -v y0="$4" -v y1="$5" -v step="$6" 'BEGIN { srand(seed);
    for (y = y0; y <= y1; y++) for (m = 1; m <= 12; m++) for (d = 1; d <= 28; d++) for (hh = 0; hh < 24; hh += step) {
      r = 0.0015 * (rand() - 0.5) + 0.0004 * sin((y * 400 + m * 31 + d) / 9.0);
      o = p; c = p * exp(r); h = (o > c ? o : c) * (1 + 0.0003 * rand()); l = (o < c ? o : c) * (1 - 0.0003 * rand());
      printf "%04d%02d%02d %02d0000;%.5f;%.5f;%.5f;%.5f;0\n", y, m, d, hh, o, h, l, c; p = c } }' | gzip > "$1"
}
hist "$tmp/eurusd17.csv.gz" 11 1.05 2017 2017 1
hist "$tmp/gbpusd17.csv.gz" 12 1.23 2017 2017 1
hist "$tmp/eurgbp17.csv.gz" 13 0.85 2017 2017 1
hist "$tmp/eurusd_all.csv.gz" 14 1.10 2003 2018 6

# tiny SEED OUT: the seed with small networks, one epoch, synthetic data
tiny() {
  sed -E -e '/^hidden/ s/[0-9]+/4/g' \
         -e 's/^(epochs *=).*/\1 1/' -e 's/^(patience *=).*/\1 0/' \
         -e 's/^(mm_size *=).*/\1 4/' -e 's/^(lookback *= *)10:50:10/\110:20:10/' \
         -e 's|^(SPX\.path *=).*|\1 '"$tmp"'/spx.csv|' \
         -e 's|^(GBPUSD\.path *=).*|\1 '"$tmp"'/gbpusd17.csv.gz|' \
         -e 's|^(EURGBP\.path *=).*|\1 '"$tmp"'/eurgbp17.csv.gz|' \
         -e "/^stride/d" "$1" > "$2.tmp"
  if grep -q '^GBPUSD.path' "$2.tmp"; then                   # the triangle: 2017 only
    sed -E 's|^(EURUSD\.path *=).*|\1 '"$tmp"'/eurusd17.csv.gz|' "$2.tmp" > "$2"
  else
    sed -E 's|^(EURUSD\.path *=).*|\1 '"$tmp"'/eurusd_all.csv.gz|' "$2.tmp" > "$2"
  fi
  rm -f "$2.tmp"
}

n_seeds=0
for seed in configs/seeds/*.ini; do
  name=$(basename "$seed" .ini)
  n_seeds=$((n_seeds + 1))
  if "$rs" check "$seed" > "$tmp/check.log" 2>&1; then ok "check $name"
  elif grep -qE "no such file|no file matches" "$tmp/check.log"; then
    echo "SKIP check $name: its data is not on this machine (make data / ../shared/data)"
  else bad "check $name"; cat "$tmp/check.log"; fi
  tiny "$seed" "$tmp/$name.ini"
  if "$rs" run "$tmp/$name.ini" -o "$tmp/$name.h5" --quiet > "$tmp/$name.log" 2>&1 \
     && [ "$(attr "$tmp/$name.h5" complete)" = 1 ]; then
    failed=$(attr "$tmp/$name.h5" tasks_failed)
    [ "$failed" = 0 ] && ok "tiny run of $name: $(attr "$tmp/$name.h5" tasks_done) tasks, complete" \
      || { bad "tiny run of $name: $failed tasks failed"; "$rs" show "$tmp/$name.h5" | head -8; }
  else
    bad "tiny run of $name"; tail -5 "$tmp/$name.log"
  fi
done
[ "$n_seeds" -ge 6 ] && ok "$n_seeds seed configs" || bad "only $n_seeds seed configs"

# ---- the motor-map sweep across rank counts -------------------------------------
mm=$tmp/rundo2019.ini
if "${MPIRUN[@]}" -np 3 "$rs" run "$mm" -o "$tmp/mm3.h5" --quiet > "$tmp/mm3.log" 2>&1; then
  same_results "$tmp/rundo2019.h5" "$tmp/mm3.h5" mm && ok "motor-map sweep: np1 == np3, bit for bit (corrections included)" \
    || bad "motor-map sweep: np1 != np3"
else bad "motor-map sweep at np3"; tail -5 "$tmp/mm3.log"; fi
cols=$(h5dump -H -d /series/corrected "$tmp/mm3.h5" | awk '/DATASPACE/ { gsub(/[(),]/, " "); print $5; exit }')
[ "$cols" = 4 ] && ok "/series/corrected has the 4 correction points" || bad "/series/corrected columns '$cols'"
"$rs" show "$tmp/mm3.h5" --metric accuracy --by correction > "$tmp/show.txt" 2>&1
if grep -q "LOOK-AHEAD rows (correction = motormap_peek" "$tmp/show.txt" && ! grep -qE "^ +[0-9]+  .*motormap_peek" "$tmp/show.txt"; then
  ok "show leaves LOOK-AHEAD rows out"
else bad "show and LOOK-AHEAD rows"; cat "$tmp/show.txt"; fi
"$rs" show "$tmp/mm3.h5" --metric accuracy --lookahead > "$tmp/show2.txt" 2>&1
grep -q "motormap_peek LOOK-AHEAD" "$tmp/show2.txt" && ok "show --lookahead labels them LOOK-AHEAD" \
  || { bad "show --lookahead"; cat "$tmp/show2.txt"; }

if /usr/bin/python3 -c 'import h5py, numpy' 2>/dev/null; then
  if /usr/bin/python3 tests/recompute.py "$tmp/mm3.h5" > "$tmp/py.txt" 2>&1; then
    ok "motor-map rows recomputed by hand from /series/corrected and /series/returns"
  else bad "motor-map rows recomputed"; cat "$tmp/py.txt"; fi
else echo "SKIP recompute: python3-h5py not installed"; fi

# ---- bad input: a requested period outside the data ------------------------------
make_data "$tmp/syn.csv"
make_config "$tmp/syn.ini" "$tmp/syn.csv"
sed 's/^first_year = 2017/first_year = 2030/; s/^last_year  = 2018/last_year  = 2031/' "$tmp/syn.ini" > "$tmp/future.ini"
"$rs" run "$tmp/future.ini" -o "$tmp/future.h5" --quiet > "$tmp/future.log" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "test period 2030 lies outside the data" "$tmp/future.log" && ! [ -e "$tmp/future.h5" ]; then
  ok "a test period outside the data: exit 2 with the data's span, no output"
else bad "period outside the data (rc $rc)"; cat "$tmp/future.log"; fi
sed 's/^first_year = 2017/period = quarter\nfirst_period = 2018Q4/; s/^last_year  = 2018/last_period = 2019Q2/' "$tmp/syn.ini" > "$tmp/q.ini"
"$rs" run "$tmp/q.ini" -o "$tmp/q.h5" --quiet > "$tmp/q.log" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "test period 2019Q1 lies outside the data" "$tmp/q.log" \
  && ok "a quarter past the data: exit 2" || { bad "quarter past the data (rc $rc)"; cat "$tmp/q.log"; }

[ $fail -eq 0 ]
