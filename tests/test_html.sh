#!/usr/bin/env bash
# test_html.sh — the HTML report in a real browser, and the statistics
# recomputed independently from a produced file:
#   - a tiny synthetic sweep with two seeds (replicates) runs;
#   - `rnnsweep report FILE --html OUT` writes one self-contained page: no
#     external reference (http, src=, href= to another file);
#   - headless Chromium (Debian `chromium`) renders it: the screenshot is not
#     blank (many non-white and strongly coloured pixels, i.e. the curves and
#     the heatmap were drawn), the DOM after load has every figure with
#     marks in it, and the leaderboard's cells equal `show --format csv`
#     string for string;
#   - tests/recompute_stats.py recomputes the stitched curves, the DSR, PBO
#     and walk-forward selection from /series with numpy and matches `show
#     --format json`.
set -u
cd "$(dirname "$0")/.."
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
. tests/sweep_lib.sh
PY=/usr/bin/python3
make_data "$tmp/syn.csv"
make_config "$tmp/tiny.ini" "$tmp/syn.csv"
# two seeds: a replicate dimension, averaged and never ranked
sed -i 's/^seed     = 1/seed     = 1, 2/' "$tmp/tiny.ini"

if "$rs" run "$tmp/tiny.ini" -o "$tmp/s.h5" --quiet > "$tmp/run.log" 2>&1; then ok "tiny sweep with 2 seeds"
else bad "tiny sweep"; cat "$tmp/run.log"; exit 1; fi

"$rs" show "$tmp/s.h5" > "$tmp/show.txt" 2>&1
grep -q "^verdict: winner " "$tmp/show.txt" && grep -q "seeds are replicates: 2 seeds" "$tmp/show.txt" \
  && ! grep -qE "^ +[0-9]+ .* s[12] " "$tmp/show.txt" \
  && ok "show: verdict line; seeds averaged, never ranked as configurations" || { bad "show verdict / seeds"; cat "$tmp/show.txt"; }
id=$(awk '$1 == "1" && length($2) == 8 { print $2; exit }' "$tmp/show.txt")
"$rs" show "$tmp/s.h5" --config "$id" > "$tmp/cfg.txt" 2>&1 && [ "$(grep -cE "^201[78] " "$tmp/cfg.txt")" = 4 ] \
  && ok "show --config $id: 2 folds x 2 seeds" || { bad "show --config"; cat "$tmp/cfg.txt"; }
"$rs" show "$tmp/s.h5" --config zz > "$tmp/err.txt" 2>&1; rc=$?
[ $rc -eq 2 ] && grep -q "expected a configuration id" "$tmp/err.txt" && ok "show --config zz: exit 2" || bad "bad --config (rc $rc)"
"$rs" show "$tmp/s.h5" --by cell,year > "$tmp/cross.txt" 2>&1 && grep -q "by cell (rows) and year (columns)" "$tmp/cross.txt" \
  && "$rs" show "$tmp/s.h5" --by cell --by year | cmp -s - "$tmp/cross.txt" \
  && ok "show --by cell,year == --by cell --by year (a two-way table)" || { bad "two-way --by"; cat "$tmp/cross.txt"; }
"$rs" show "$tmp/s.h5" --by cell > "$tmp/paired.txt" 2>&1 && grep -qE "^  gru vs lstm: diff|^  lstm vs gru: diff" "$tmp/paired.txt" \
  && ok "show --by cell: paired comparison on matched cells" || { bad "paired"; cat "$tmp/paired.txt"; }
"$rs" show "$tmp/s.h5" --by a,b,c > /dev/null 2>&1; [ $? -eq 2 ] && ok "--by with three keys: exit 2" || bad "--by a,b,c"

# ---- the page -------------------------------------------------------------------
"$rs" report "$tmp/s.h5" --html "$tmp/r.html" --top 10 > "$tmp/rep.log" 2>&1 && [ -s "$tmp/r.html" ] \
  && ok "report --html" || { bad "report --html"; cat "$tmp/rep.log"; }
"$rs" show "$tmp/s.h5" --format csv --top 10 > "$tmp/lb.csv"
if grep -qiE "(src|href)=\"[^#]|https?://[^\"]*\.(js|css|png)|<script" "$tmp/r.html"; then bad "page references outside itself"
else ok "page is self-contained (no script, no external reference)"; fi
"$rs" report "$tmp/s.h5" --html "$tmp/nodir/r.html" > /dev/null 2>&1; rc=$?
[ $rc -ne 0 ] && ! [ -e "$tmp/nodir/r.html" ] && ok "unwritable output: error, nothing written" || bad "unwritable output (rc $rc)"

if ! command -v chromium > /dev/null; then
  echo "SKIP browser test: chromium not installed (make deps installs it)"
else
  CHR=(chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update
       --disable-sync --no-first-run --disable-quic --user-data-dir="$tmp/chr" --window-size=1280,4000)
  timeout 120 "${CHR[@]}" --screenshot="$tmp/shot.png" "file://$tmp/r.html" > "$tmp/chr.log" 2>&1
  timeout 120 "${CHR[@]}" --dump-dom "file://$tmp/r.html" > "$tmp/dom.html" 2> "$tmp/chr2.log"
  if $PY - "$tmp/shot.png" "$tmp/dom.html" "$tmp/lb.csv" > "$tmp/check.txt" 2>&1 <<'PYEOF'
import csv, struct, sys, zlib
from html.parser import HTMLParser

def png_pixels(path):
    """RGB(A) 8-bit PNG -> (w, h, channels, rows of bytes), unfiltered."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6), f"PNG depth {depth} colour type {ctype}"
            ch = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * ch, [], bytearray(w * ch)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - ch] if i >= ch else 0
            b, c = prev[i], prev[i - ch] if i >= ch else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line); prev = line
    return w, h, ch, rows

w, h, ch, rows = png_pixels(sys.argv[1])
nonwhite = coloured = 0
for r in rows[::2]:
    for x in range(0, w * ch, ch * 2):
        p = r[x:x + 3]
        if min(p) < 240: nonwhite += 1
        if max(p) - min(p) > 80: coloured += 1
total = (h // 2) * (w // 2)
print(f"screenshot {w}x{h}: {100 * nonwhite / total:.1f} % non-white, {coloured} strongly coloured samples")
assert nonwhite > 0.03 * total, "the screenshot is (nearly) blank"
assert coloured > 2000, "no coloured marks: the figures were not drawn"

class Dom(HTMLParser):
    def __init__(self):
        super().__init__(); self.figs = {}; self.cur = None; self.table = None; self.row = None; self.cell = None
        self.lb = []; self.verdict = False; self.vtext = ""
    def handle_starttag(self, tag, a):
        a = dict(a)
        if tag == "svg" and "fig" in (a.get("class") or ""): self.cur = a.get("id"); self.figs[self.cur] = 0
        elif self.cur and tag in ("polyline", "rect", "circle", "line"): self.figs[self.cur] += 1
        if tag == "table" and a.get("id") == "leaderboard": self.table = True
        if self.table and tag == "tr": self.row = []
        if self.table and tag in ("td", "th"): self.cell = ""
        if tag == "div" and a.get("id") == "verdict": self.verdict = True
    def handle_endtag(self, tag):
        if tag == "svg": self.cur = None
        if self.table and tag in ("td", "th"): self.row.append(self.cell); self.cell = None
        if self.table and tag == "tr": self.lb.append(self.row); self.row = None
        if tag == "table": self.table = None
        if tag == "div": self.verdict = False
    def handle_data(self, d):
        if self.cell is not None: self.cell += d
        if self.verdict: self.vtext += d

d = Dom(); d.feed(open(sys.argv[2], encoding="utf-8").read())
print("figures:", ", ".join(f"{k} ({v} marks)" for k, v in d.figs.items()))
for need in ("fig-equity", "fig-drawdown", "fig-heatmap", "fig-by-cell", "fig-seeds", "fig-pbo"):
    assert d.figs.get(need, 0) >= 3, f"figure {need} missing or empty"
assert d.vtext.startswith("verdict: winner"), f"verdict: {d.vtext!r}"
want = list(csv.reader(open(sys.argv[3], encoding="utf-8")))
assert d.lb == want, f"page leaderboard != show --format csv:\n{d.lb[:3]}\n{want[:3]}"
print(f"leaderboard: {len(want) - 1} rows x {len(want[0])} columns equal show --format csv")
PYEOF
  then ok "chromium: $(tr '\n' ';' < "$tmp/check.txt")"
  else bad "chromium check"; cat "$tmp/check.txt"; tail -3 "$tmp/chr.log"; fi
  cp "$tmp/shot.png" "${RS_HTML_SHOT:-/dev/null}" 2>/dev/null || true
fi

# ---- an independent recomputation of the statistics ----------------------------------
if $PY -c 'import h5py, numpy' 2>/dev/null; then
  "$rs" show "$tmp/s.h5" --format json --top 1000 > "$tmp/s.json"
  if $PY tests/recompute_stats.py "$tmp/s.h5" "$tmp/s.json" > "$tmp/rs.txt" 2>&1; then ok "$(tail -1 "$tmp/rs.txt")"
  else bad "statistics recomputed from /series"; cat "$tmp/rs.txt"; fi
else echo "SKIP recompute_stats: python3-h5py not installed"; fi

exit $fail
