#!/usr/bin/env bash
# Fetch the default dataset (S&P 500 daily, 2000-01-03..2020-04-17, 5,105 rows)
# from the npm package vega-datasets@3.2.1 (BSD-3-Clause) with `npm pack`, and
# check its sha256 against .ci/sp500.sha256.  Usage: fetch_sp500.sh OUT.csv
set -euo pipefail
out=${1:-data/sp500-2000.csv}
want=$(cat "$(dirname "$0")/sp500.sha256")
if ! command -v npm >/dev/null; then
  cat >&2 <<MSG
make data: npm is not installed, so the default dataset cannot be fetched.
  Install it (apt-get install npm), or download the npm package
  vega-datasets@3.2.1 by other means and copy its data/sp500-2000.csv to
  $out (sha256 $want).
MSG
  exit 2
fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent vega-datasets@3.2.1 >/dev/null ) || {
  echo "make data: 'npm pack vega-datasets@3.2.1' failed (no access to the npm registry?)" >&2; exit 2; }
tar -xzf "$tmp"/vega-datasets-3.2.1.tgz -C "$tmp" package/data/sp500-2000.csv
got=$(sha256sum "$tmp/package/data/sp500-2000.csv" | cut -d' ' -f1)
if [ "$got" != "$want" ]; then
  echo "make data: sp500-2000.csv has sha256 $got, expected $want; not installed" >&2; exit 2
fi
mkdir -p "$(dirname "$out")"
cp "$tmp/package/data/sp500-2000.csv" "$out.tmp" && mv "$out.tmp" "$out"
echo "make data: $out ($(wc -l < "$out") lines, sha256 ok)" >&2
