#!/usr/bin/env python3
"""Turn bench/run.sh's raw lines into markdown tables with ratios and the
issue-14 targets, each printed "met" or "NOT met" with its figures.

Input lines (the first field is run.sh's OpenBLAS label):
  <label> rnnsweep <cell> <L> <H> <T> <threads> <mode> <seq/s> <gflops> <kern>
  <label> sgemm    <cell> <L> <H> <T> <threads> train <gflops>
  <label> peak     <impl> <n> <threads> <gflops>
  <label> torch    <cell> <L> <H> <T> <threads> <mode> <seq/s>
  <label> onednn   <cell> <L> <H> <T> <threads> <mode> <seq/s>
oneDNN ran beside the environment's OpenBLAS setting only (it has its own
JIT): its figures are shared by every label of the same thread count.  The
engine's own kernel paths (avx2, avx512, base) do not use OpenBLAS at all;
only the `blas` path differs between labels.  Standard library only.

Rounds (bench/run.sh --rounds R): the same measurement may appear R times,
one per round, the rounds interleaved (engine, PyTorch, oneDNN, then again;
with --by-shape, the three at each shape in turn).
Every implementation's figure is then its best over the rounds (highest
seq/s, its GFLOP/s with it; highest peak), so a slow phase of a shared VM
that hit one implementation in one round does not decide a ratio; the
spread between rounds is printed beside the tables.
"""
import sys
from collections import defaultdict


def fmt(v, spec="{:,.0f}"):
    return spec.format(v) if v is not None else "–"


def ratio(a, b):
    return a / b if a and b else None


def main(path):
    eng = defaultdict(dict)     # (label, th) -> {(cfg, kern, mode): (seq/s, gflops)}, best round
    other = {}                  # (label, th, impl, cfg, mode) -> seq/s  (torch, onednn, sgemm), best round
    peaks = {}                  # (label, th, impl) -> gflops, best round
    seen = defaultdict(list)    # (impl, label, th, cfg, kern, mode) -> every round's seq/s
    loads, header = [], []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                if line.startswith("# machine") or line.startswith("# date"):
                    header.append(line[2:])
                if "load " in line and "rnnsweep engine" in line:
                    loads.append(line.split("load ")[-1])
                continue
            p = line.split()
            if len(p) < 2 or p[1].startswith("#"):
                continue
            label, impl = p[0], p[1]
            if impl == "peak":
                k = (label, int(p[4]), p[2])
                peaks[k] = max(peaks.get(k, 0.0), float(p[5]))
                continue
            cell, L, H, T, th, mode, val = p[2], int(p[3]), int(p[4]), int(p[5]), int(p[6]), p[7], float(p[8])
            cfg = (cell, L, H, T)
            if impl == "rnnsweep":
                d = eng[(label, th)]
                if (cfg, p[10], mode) not in d or val > d[(cfg, p[10], mode)][0]:
                    d[(cfg, p[10], mode)] = (val, float(p[9]))
                seen[(impl + " " + p[10], label, th, cfg, mode)].append(val)
            else:
                k = (label, th, impl, cfg, mode)
                other[k] = max(other.get(k, 0.0), val)
                if impl != "sgemm":
                    seen[(impl, label, th, cfg, mode)].append(val)
    for h in header:
        print(h + "  ")
    if len(loads) > 8:          # run.sh --by-shape: one bench_rnn process a shape
        one = sorted(float(x.split()[0]) for x in loads)
        print(f"1-min load when each of {len(one)} bench_rnn processes started: "
              f"{one[0]:.2f}–{one[-1]:.2f}, median {one[len(one) // 2]:.2f} (2 vCPUs, shared)  ")
    elif loads:
        print(f"1-min load when each bench_rnn pass started: {', '.join(loads)} (2 vCPUs, shared)  ")
    rounds = max((len(v) for v in seen.values()), default=1)
    if rounds > 1:
        print(f"rounds: {rounds}; each figure below is the best of its rounds  ")
        spread = defaultdict(list)          # (impl, mode) -> per shape max/min over rounds
        for (impl, lb, th, cfg, mode), v in seen.items():
            if len(v) > 1 and min(v) > 0:
                spread[(impl, mode)].append(max(v) / min(v))
        for (impl, mode), r in sorted(spread.items()):
            r.sort()
            print(f"round-to-round spread, {impl} {mode}: best/worst round median {r[len(r) // 2]:.3f}, "
                  f"max {r[-1]:.3f} over {len(r)} shapes  ")
    print()

    def onednn(th, cfg, mode):
        for (lb, t, impl, c, m), v in other.items():
            if impl == "onednn" and t == th and c == cfg and m == mode:
                return v
        return None

    checks = []                 # (label, th, kern, cfg, mode, x_onednn, x_torch, gflops)
    for (label, th) in sorted(eng):
        d = eng[(label, th)]
        kerns = sorted({k for (_, k, _) in d}, key=lambda k: (k == "blas", k))
        cfgs = sorted({c for (c, _, _) in d})
        for k in kerns:
            for c in cfgs:
                for mode in ("train", "infer"):
                    if (c, k, mode) in d:
                        v, gf = d[(c, k, mode)]
                        checks.append((label, th, k, c, mode, ratio(v, onednn(th, c, mode)),
                                       ratio(v, other.get((label, th, "torch", c, mode))), gf))
        print(f"### OpenBLAS {label}, {th} thread(s), batch 64, D = 3\n")
        cols = " | ".join(f"train {k} | ×oneDNN" for k in kerns)
        icol = " | ".join(f"infer {k} | ×oneDNN" for k in kerns)
        print(f"| cell | L | H | T | {cols} | torch | ×torch ({kerns[0]}) | oneDNN | "
              f"GFLOP/s {kerns[0]} | sgemm shapes | {icol} | oneDNN |")
        ncol = 4 + 2 * len(kerns) + 5 + 2 * len(kerns) + 1
        print("|" + "---|" * ncol)
        for c in cfgs:
            od_t, od_i = onednn(th, c, "train"), onednn(th, c, "infer")
            pt = other.get((label, th, "torch", c, "train"))
            cells = []
            for k in kerns:
                v = d.get((c, k, "train"), (None, None))[0]
                cells += [fmt(v), fmt(ratio(v, od_t), "{:.2f}")]
            v0 = d.get((c, kerns[0], "train"), (None, None))
            cells += [fmt(pt), fmt(ratio(v0[0], pt), "{:.2f}"), fmt(od_t), fmt(v0[1], "{:.0f}"),
                      fmt(other.get((label, th, "sgemm", c, "train")), "{:.0f}")]
            for k in kerns:
                v = d.get((c, k, "infer"), (None, None))[0]
                cells += [fmt(v), fmt(ratio(v, od_i), "{:.2f}")]
            cells.append(fmt(od_i))
            print(f"| {c[0]} | {c[1]} | {c[2]} | {c[3]} | " + " | ".join(cells) + " |")
        pk = [f"{impl} {gf:.1f}" for (lb, t, impl), gf in sorted(peaks.items())
              if lb == label and t == th and not impl.startswith("fma-")]
        if pk:
            print(f"\nMeasured peak, one 2000³ sgemm, {th} thread(s), GFLOP/s: " + ", ".join(pk))
        fk = [f"{impl[4:]} {gf:.1f}" for (lb, t, impl), gf in sorted(peaks.items())
              if lb == label and t == th and impl.startswith("fma-")]
        if fk:
            print(f"\nFMA ceiling (register-only fused multiply-adds), {th} thread(s), GFLOP/s: " + ", ".join(fk))
        print()

    # ---- the targets, row by row -----------------------------------
    print("### Targets (issue 14)\n")
    labels = sorted({c[0] for c in checks})
    env = labels[0] if labels else None
    for lb in labels:
        if lb != "openblas-auto":
            env = lb
            break

    def verdict(name, rows, key, thr, show):
        rows = [r for r in rows if key(r) is not None]
        if not rows:
            print(f"- {name}: no data")
            return
        bad = [r for r in rows if key(r) < thr]
        worst = min(rows, key=key)
        print(f"- {name}: {'met' if not bad else 'NOT met'} — {len(rows) - len(bad)}/{len(rows)} shapes; "
              f"min {key(worst):.2f}× at {show(worst)}"
              + (f"; below: {', '.join(show(r) + f' {key(r):.2f}×' for r in bad[:8])}"
                 + (" …" if len(bad) > 8 else "") if bad else ""))

    def show(r):
        c = r[3]
        return f"{c[0]} L{c[1]} H{c[2]} T{c[3]}"

    # The peak the 70 % target is set against: the measured AVX-512 sgemm
    # peak (issue 14), i.e. the best 2000³ rate of the own avx512 kernel and
    # of OpenBLAS left to its own pick (label openblas-auto: its AVX-512
    # kernels on such a CPU).  On a CPU without AVX-512 (no kern-avx512
    # line), the best sgemm measured at all, and the text says so.
    p1 = {(lb, impl): gf for (lb, t, impl), gf in peaks.items() if t == 1}
    c512 = [(gf, f"{impl}, {lb}") for (lb, impl), gf in p1.items()
            if impl == "kern-avx512" or (impl == "openblas" and lb == "openblas-auto")]
    has512 = any(impl == "kern-avx512" for (lb, impl) in p1)
    if has512 and c512:
        pk, pk_src = max(c512)
        pk_text = f"{pk:.1f} GFLOP/s, the measured AVX-512 sgemm peak ({pk_src}; 2000³)"
    elif p1:
        pk, pk_src = max((gf, f"{impl}, {lb}") for (lb, impl), gf in p1.items())
        pk_text = f"{pk:.1f} GFLOP/s ({pk_src}; 2000³; AVX-512 not available on this CPU)"
    else:
        pk = None
    if pk and has512 and not any(lb == "openblas-auto" for (lb, impl) in p1):
        pk_text += "; OpenBLAS's own AVX-512 pick not run (--openblas without unset)"
    # The arithmetic ceiling (bench_rnn's fma lines: register-only FMAs, no
    # memory): what no kernel can pass.  The sgemm peak is a kernel's rate,
    # 76-85 % of it on Zen 4, so a need above the sgemm peak alone does not
    # mean "beyond any kernel".
    fma = [gf for (lb, impl), gf in p1.items() if impl.startswith("fma-")]
    fpk = max(fma) if fma else None

    for kern in sorted({c[2] for c in checks if c[2] != "blas"}) + ["blas"]:
        rows1 = [c for c in checks if c[0] == env and c[1] == 1 and c[2] == kern]
        if not rows1:
            continue
        print(f"**kernel path {kern}** (OpenBLAS {env}, 1 thread)\n")
        tr = [r for r in rows1 if r[4] == "train"]
        inf = [r for r in rows1 if r[4] == "infer"]
        verdict("training ≥ 1.0× oneDNN at every shape", tr, lambda r: r[5], 1.0, show)
        verdict("training ≥ 1.3× oneDNN at H ≤ 64", [r for r in tr if r[3][2] <= 64], lambda r: r[5], 1.3, show)
        verdict("paper's 2×LSTM(300), T = 100, training ≥ 1.0× oneDNN",
                [r for r in tr if r[3] == ("lstm", 2, 300, 100)], lambda r: r[5], 1.0, show)
        verdict("inference ≥ 1.0× oneDNN at every shape", inf, lambda r: r[5], 1.0, show)
        verdict("training ≥ 3× PyTorch at H ≤ 128", [r for r in tr if r[3][2] <= 128], lambda r: r[6], 3.0, show)
        # What 3x PyTorch asks of the hardware: the engine's GEMM rate scaled
        # to 3x torch's seq/s.  Above the measured peak, no kernel meets it.
        miss = [r for r in tr if r[3][2] <= 128 and r[6] is not None and r[6] < 3.0 and r[7]]
        if pk and miss:
            need = [(r, r[7] * 3.0 / r[6]) for r in miss]
            over = [x for x in need if x[1] > pk]
            hi = max(need, key=lambda x: x[1])
            print(f"  - 3× PyTorch at the {len(miss)} shapes below it means {min(x[1] for x in need):.0f}–"
                  f"{hi[1]:.0f} GFLOP/s of GEMM arithmetic over the whole step, gate passes included "
                  f"(sgemm peak: {pk_text}); {len(over)} of them above the sgemm peak; "
                  f"the most at {show(hi[0])} ({hi[1] / pk:.2f}× the sgemm peak)")
            if fpk:
                beyond = [x for x in need if x[1] > fpk]
                rest = [x[1] for x in need if x[1] <= fpk]
                text = (f"{len(beyond)} of the {len(miss)} above it, beyond any kernel on this CPU "
                        f"({', '.join(show(x[0]) for x in beyond[:8])}{' …' if len(beyond) > 8 else ''})"
                        if beyond else f"none of the {len(miss)} above it")
                if rest:
                    text += (f"; {'the rest' if beyond else 'they'} need {min(rest) / fpk:.0%}–"
                             f"{max(rest) / fpk:.0%} of it over the whole step")
                print(f"  - against the FMA ceiling ({fpk:.1f} GFLOP/s: register-only FMAs, "
                      f"bench_rnn's fma lines): {text}")
            else:
                print("  - no FMA ceiling measured (bench_rnn --no-peak, or no AVX2): "
                      "whether any kernel could meet it is not judged")
        big = [r for r in tr if r[3][2] == 300]
        if pk and big:
            verdict(f"≥ 70 % of the peak ({pk_text}) at H = 300 (engine GFLOP/s / peak)",
                    big, lambda r: r[7] / pk, 0.70, show)
        print()
    rows2 = [c for c in checks if c[0] == env and c[1] == 2 and c[4] == "train"]
    if rows2:
        print("**2 threads** (reported, no target; the determinism scheme is unchanged):\n")
        for kern in sorted({r[2] for r in rows2}):
            rs = [r[5] for r in rows2 if r[2] == kern and r[5] is not None]
            if rs:
                rs.sort()
                print(f"- {kern}: training ×oneDNN(2 threads) min {rs[0]:.2f}, median {rs[len(rs) // 2]:.2f}, "
                      f"max {rs[-1]:.2f} over {len(rs)} shapes")
        print()


if __name__ == "__main__":
    main(sys.argv[1])
