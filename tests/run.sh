#!/usr/bin/env bash
# Run every test binary given on the command line (CUnit suites) plus the
# integration scripts tests/test_*.sh, and print one closing line
# "tests: N passed, N failed, N skipped".  A binary that dies before CUnit's
# summary counts as one failed test.  A check that cannot run here (no
# ../shared/data, not root for a tmpfs, no h5py...) prints a line or test
# name with "SKIP <what>: <why>"; each is counted as skipped (it also
# passes) and listed at the end, so a green run says what it did not test.
# Exit status 1 when anything failed.
set -uo pipefail
cd "$(dirname "$0")/.."
pass=0; fail=0; skip=0; failed_suites=(); skipped=()
for t in "$@" tests/test_*.sh; do
  [ -e "$t" ] || continue
  name=$(basename "$t")
  echo "==== $name"
  log=$(mktemp)
  start=$(date +%s%N)
  if [[ "$t" == *.sh ]]; then bash "$t" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}
  else "$t" 2>&1 | tee "$log"; rc=${PIPESTATUS[0]}; fi
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  line=$(grep -E '^ +tests +[0-9]+' "$log" | tail -1)
  if [ -n "$line" ]; then
    p=$(awk '{print $4}' <<<"$line"); f=$(awk '{print $5}' <<<"$line")
  elif [ "$rc" -eq 0 ]; then p=1; f=0; else p=0; f=1; fi
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  pass=$((pass + p)); fail=$((fail + f))
  while IFS= read -r w; do skipped+=("$name: $w"); skip=$((skip + 1)); done \
    < <(grep -o 'SKIP [^:]*' "$log" | sed 's/^SKIP //')
  [ "$rc" -ne 0 ] && failed_suites+=("$name")
  printf '==== %s: rc=%d, %d.%03ds\n' "$name" "$rc" $((ms / 1000)) $((ms % 1000))
  rm -f "$log"
done
for w in "${skipped[@]}"; do echo "skipped: $w"; done
[ ${#failed_suites[@]} -gt 0 ] && echo "failed suites: ${failed_suites[*]}"
echo "tests: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
