#!/usr/bin/env bash
# test_readme.sh — the README's `mpirun` commands work when pasted: each
# indented command line of README.md that starts with `mpirun` runs as
# written — with the Open MPI variables the other tests set unset, so the
# flags themselves must make it work as root and with more ranks than
# cores — on a tiny synthetic config standing in for configs/quick.ini.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh
unset OMPI_ALLOW_RUN_AS_ROOT OMPI_ALLOW_RUN_AS_ROOT_CONFIRM OMPI_MCA_rmaps_base_oversubscribe
make_data "$tmp/syn.csv"
make_config "$tmp/tiny.ini" "$tmp/syn.csv"
n=0
while IFS= read -r line; do
  cmd=${line#    }
  cmd=${cmd%%#*}                                  # a trailing comment
  cmd=${cmd//configs\/quick.ini/$tmp/tiny.ini}
  cmd=${cmd//results\//$tmp/}
  cmd=${cmd//bin\/rnnsweep/$rs}
  n=$((n + 1))
  if bash -c "$cmd --quiet" < /dev/null > "$tmp/out.log" 2>&1; then ok "README: ${line#    }"
  else bad "README: ${line#    } (as '$cmd')"; tail -15 "$tmp/out.log"; fi
done < <(grep -E '^    mpirun ' README.md)
[ "$n" -ge 2 ] && ok "$n mpirun commands in the README" || bad "found $n mpirun commands in the README"
[ "$(attr "$tmp/x.h5" complete)" = 1 ] && ok "README: the sweep they run completes" || bad "README sweep incomplete"
exit $fail
