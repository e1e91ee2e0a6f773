#!/usr/bin/env python3
"""Turn bench/run.sh's raw lines into markdown tables with ratios.

Input lines: `<kernels> <impl> <cell> <L> <H> <T> <threads> <mode> <value> [gflops]`
where impl is rnnsweep | sgemm | torch | onednn (oneDNN lines carry the
label of the OpenBLAS setting they ran beside; oneDNN ignores it).
One table per (kernels, threads): train and infer seq/s for each impl, the
engine's GFLOP/s and its fraction of sgemm on its own GEMM shapes, and the
ratios rnnsweep / torch and rnnsweep / oneDNN.  Standard library only.
"""
import sys
from collections import defaultdict


def main(path):
    rows = defaultdict(dict)          # (kern, th) -> {(cell,L,H,T): {key: value}}
    comments = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            if line.startswith("#"):
                comments.append(line)
                continue
            p = line.split()
            kern, impl, cell, L, H, T, th, mode, val = p[:9]
            cfg = (cell, int(L), int(H), int(T))
            d = rows[(kern, int(th))].setdefault(cfg, {})
            if impl == "sgemm":
                d["sgemm_gf"] = float(val)
            else:
                d[f"{impl}_{mode}"] = float(val)
                if impl == "rnnsweep" and len(p) > 9:
                    d[f"gf_{mode}"] = float(p[9])
    for c in comments:
        if c.startswith("# machine") or c.startswith("# date"):
            print(c[2:] + "  ")
    print()
    # onednn ran only beside the environment's kernel setting: share it.
    onednn = {}
    for (kern, th), cfgs in rows.items():
        for cfg, d in cfgs.items():
            for k in ("onednn_train", "onednn_infer"):
                if k in d:
                    onednn[(th, cfg, k)] = d[k]

    def fmt(v, spec="{:,.0f}"):
        return spec.format(v) if v is not None else "–"

    summary = []
    for (kern, th) in sorted(rows):
        cfgs = rows[(kern, th)]
        print(f"### kernels: {kern}, {th} thread(s), batch 64, D = 3\n")
        print("| cell | L | H | T | train seq/s | torch | ×torch | oneDNN | ×oneDNN | GFLOP/s | sgemm GFLOP/s | of sgemm | infer seq/s | torch | ×torch |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for cfg in sorted(cfgs):
            d = cfgs[cfg]
            tr, ti = d.get("rnnsweep_train"), d.get("rnnsweep_infer")
            pt, pi = d.get("torch_train"), d.get("torch_infer")
            ot = onednn.get((th, cfg, "onednn_train"))
            gf, sg = d.get("gf_train"), d.get("sgemm_gf")
            r_t = tr / pt if tr and pt else None
            r_o = tr / ot if tr and ot else None
            frac = gf / sg if gf and sg else None
            r_i = ti / pi if ti and pi else None
            print(f"| {cfg[0]} | {cfg[1]} | {cfg[2]} | {cfg[3]} | {fmt(tr)} | {fmt(pt)} | {fmt(r_t, '{:.2f}')} | "
                  f"{fmt(ot)} | {fmt(r_o, '{:.2f}')} | {fmt(gf, '{:.0f}')} | {fmt(sg, '{:.0f}')} | "
                  f"{fmt(frac, '{:.0%}')} | {fmt(ti)} | {fmt(pi)} | {fmt(r_i, '{:.2f}')} |")
            summary.append((kern, th, cfg, r_t, frac))
        print()
    # The targets, checked row by row.
    print("### Targets\n")
    for kern in sorted({k for k, _, _, _, _ in summary}):
        s1 = [r for r in summary if r[0] == kern and r[1] == 1]
        small = [r for r in s1 if r[2][2] <= 128 and r[3] is not None]
        big = [r for r in s1 if r[2][2] >= 128 and r[4] is not None]
        if small:
            met = sum(r[3] >= 2.5 for r in small)
            lo = min(r[3] for r in small)
            print(f"- {kern}, 1 thread, H ≤ 128: ≥ 2.5× PyTorch training in {met}/{len(small)} configs "
                  f"(min {lo:.2f}×, median {sorted(r[3] for r in small)[len(small)//2]:.2f}×)")
        if big:
            met = sum(r[4] >= 0.5 for r in big)
            lo = min(r[4] for r in big)
            print(f"- {kern}, 1 thread, H ≥ 128: ≥ 50% of sgemm in {met}/{len(big)} configs (min {lo:.0%})")


if __name__ == "__main__":
    main(sys.argv[1])
