#!/usr/bin/env bash
# test_cli.sh — the program's command line: version, help, exit statuses,
# and a real (short) demo training that must improve on persistence.
set -u
BIN=${BIN:-bin}
rs="$BIN/rnnsweep"
fail=0
check() {  # check NAME EXPECTED_STATUS CMD...
  local name=$1 want=$2; shift 2
  local out; out=$("$@" 2>&1); local got=$?
  if [ "$got" -ne "$want" ]; then echo "FAIL $name: exit $got, expected $want"; echo "$out" | tail -5; fail=1
  else echo "ok   $name"; fi
}
check "--version" 0 "$rs" --version
check "--help" 0 "$rs" --help
check "no command is a usage error" 2 "$rs"
check "unknown command" 2 "$rs" frobnicate
check "demo --help" 0 "$rs" demo --help
check "demo bad cell" 2 "$rs" demo --cell transformer
check "demo bad hidden" 2 "$rs" demo --hidden 64xx
check "demo bad lookback" 2 "$rs" demo --lookback 0
check "demo missing value" 2 "$rs" demo --epochs
check "check --help" 0 "$rs" check --help
check "check --keys" 0 "$rs" check --keys
check "check without config" 2 "$rs" check
check "check missing file" 2 "$rs" check /nonexistent/x.ini
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
sed 's/^lookback = 20, 40/lookbak = 20, 40/' configs/quick.ini > "$tmp/typo.ini"
msg=$("$rs" check "$tmp/typo.ini" 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$msg" == *"typo.ini:"*"[model] lookbak: unknown key; did you mean 'lookback'?"* ]]; then echo "ok   check: typo gets file:line and did-you-mean"
else echo "FAIL check typo: rc=$rc: $msg"; fail=1; fi
if [ -f data/sp500-2000.csv ]; then check "check configs/quick.ini" 0 "$rs" check configs/quick.ini
else check "check configs/quick.ini without its data file" 2 "$rs" check configs/quick.ini; fi
printf 'date,open,high,low,close\n2020-01-01,1,2,0.5,1.5\n2020-01-02,1,0.4,0.5,1.5\n' > "$tmp/bad.csv"
msg=$("$rs" inspect "$tmp/bad.csv" 2>&1); rc=$?
if [ $rc -eq 2 ] && [[ "$msg" == *"bad.csv:3: column 3 (high)"* ]]; then echo "ok   inspect: bad bar gets file:line:column, status 2"
else echo "FAIL inspect bad: rc=$rc: $msg"; fail=1; fi
check "inspect missing file" 2 "$rs" inspect /nonexistent.csv
check "inspect bad option" 2 "$rs" inspect --price-div -3 x.csv
printf 'date,open,high,low,close\n2020-01-01,1,2,0.5,1.5\n2020-01-02,1,2,0.5,1.6\n' > "$tmp/ok.csv"
out=$("$rs" inspect "$tmp/ok.csv" 2>&1); rc=$?
if [ $rc -eq 0 ] && [[ "$out" == *"2 bars from 1 file"* ]]; then echo "ok   inspect: describes a good file"
else echo "FAIL inspect ok: rc=$rc: $out"; fail=1; fi
msg=$("$rs" demo --cell foo 2>&1 >/dev/null)
[ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] && echo "ok   one-line error message" || { echo "FAIL multi-line error: $msg"; fail=1; }
out=$("$rs" demo --cell gru --hidden 16 --epochs 4 --lookback 20 2>&1); rc=$?
pct=$(printf '%s\n' "$out" | sed -n 's/.*(persistence [0-9.]*, \([0-9.]*\)% of it).*/\1/p')
if [ "$rc" -eq 0 ] && [ -n "$pct" ] && awk -v p="$pct" 'BEGIN{exit !(p < 60)}'; then
  echo "ok   demo trains (validation MSE at ${pct}% of persistence)"
else echo "FAIL demo: rc=$rc pct=$pct"; printf '%s\n' "$out" | tail -3; fail=1; fi
exit $fail
