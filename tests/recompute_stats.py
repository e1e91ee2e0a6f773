#!/usr/bin/env python3
"""recompute_stats.py FILE.h5 SHOW.json — recompute the statistics of a sweep
from what the file stores, with numpy and the papers' formulas, independently
of rnnsweep's C code, and compare with `rnnsweep show --format json --top 1000`
(run on the same file, default metric sharpe).  Exit 1 on any disagreement.

Recomputed:
  - every configuration's id (seeds grouped: model points equal but for the
    seed), its stitched ROI and Sharpe (the folds' bar returns after each
    fold's first bar, seeds averaged per bar, compounded);
  - the deflated Sharpe of the winner against N trials (Bailey & López de
    Prado 2014) and N_eff from the mean pairwise correlation (np.corrcoef);
  - PBO by CSCV over all C(16, 8) combinations (Bailey et al. 2017);
  - walk-forward selection top-1: the best mean Sharpe over the earlier folds,
    traded in the next, compounded.
"""
import itertools
import json
import math
import sys

import h5py
import numpy as np

M64 = (1 << 64) - 1
GAMMA = 0.5772156649015329


def hash64(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def hash2(a, b):
    return hash64(hash64(a) ^ ((b + 0x632be59bd9b4e019 + ((a << 6) & M64) + (a >> 2)) & M64))


def phi(x):
    return 0.5 * math.erfc(-x / math.sqrt(2))


def ppf(q):
    lo, hi = -40.0, 40.0
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if phi(mid) < q else (lo, mid)
    return 0.5 * (lo + hi)


def main(path, jpath):
    show = json.load(open(jpath))
    bad = []
    with h5py.File(path, "r") as f:
        rows = f["/results"][()]
        models = f["/plan/models"][()]
        strat = f["/plan/strategies"][()]
        index = f["/series/index"][()]
        ret = f["/series/returns"][()].astype(np.float64)
        bh = f["/series/bh"][()].astype(np.float64)
    rows = rows[rows["lookahead"] == 0]
    # replicate groups: every /plan/models column but the index, key, seed, label, params
    cols = [c for c in models.dtype.names if c not in ("index", "key", "seed", "label", "params")]
    gkey = {}
    group = []
    for m in models:
        k = tuple(m[c].tobytes() if hasattr(m[c], "tobytes") else m[c] for c in cols)
        group.append(gkey.setdefault(k, len(gkey)))
    members = {}
    for i, g in enumerate(group):
        members.setdefault(g, []).append(i)
    folds = sorted(set(int(x) for x in rows["fold_id"]))
    where = {(int(i["model"]), int(i["fold_id"])): (int(i["offset"]), int(i["n"])) for i in index}
    bpy = {int(s["index"]): float(s["bars_per_year"]) for s in strat}
    row_bpy = {}
    for r in rows:
        row_bpy[int(r["strategy"])] = float(r["trading"]["bars_per_year"])

    def ens(g, s, fold):
        xs = []
        for m in members[g]:
            if (m, fold) not in where:
                return None, None
            o, n = where[(m, fold)]
            xs.append(ret[o + 1:o + n, s])
        o, n = where[(members[g][0], fold)]
        return np.mean(xs, axis=0), bh[o + 1:o + n]

    def cfg_id(g, s):
        h = 0
        for k in sorted(int(models[m]["key"]) for m in members[g]):
            h = hash2(h, k)
        return hash2(h, int(strat[s]["key"]))

    ids = {}
    for g in members:
        for s in range(len(strat)):
            ids[f"{cfg_id(g, s):016x}"] = (g, s)
    lb = show["leaderboard"]
    checked = 0
    for e in lb:
        if e["id"] not in ids:
            bad.append(f"id {e['id']} is no configuration of the file")
            continue
        g, s = ids[e["id"]]
        parts = [ens(g, s, fo)[0] for fo in folds]
        r = np.concatenate([p for p in parts if p is not None]) if any(p is not None for p in parts) else None
        if r is None:
            continue
        roi = 100 * (np.prod(1 + r) - 1)
        sd = r.std(ddof=1)
        sh = r.mean() / sd * math.sqrt(row_bpy.get(s, bpy[s])) if sd > 1e-12 else 0.0
        if e["roi_c%"] is not None and abs(roi - e["roi_c%"]) > 0.0051 + 1e-6 * abs(roi):
            bad.append(f"{e['id']}: roi_c {e['roi_c%']} recomputed {roi:.4f}")
        if e["sharpe_c"] is not None and abs(sh - e["sharpe_c"]) > 5.1e-5:
            bad.append(f"{e['id']}: sharpe_c {e['sharpe_c']} recomputed {sh:.6f}")
        checked += 1

    # trials: configurations with a series in every fold, in leaderboard order
    st = show["statistics"]
    trials = []
    for e in lb:
        g, s = ids[e["id"]]
        parts = [ens(g, s, fo)[0] for fo in folds]
        if all(p is not None for p in parts) and e["folds"].split("/")[0] != "0":
            trials.append((e["id"], np.concatenate(parts)))
    X = np.array([t[1] for t in trials])
    T = X.shape[1]
    sr = np.array([x.mean() / x.std(ddof=1) if x.std(ddof=1) > 1e-12 else 0.0 for x in X])
    w = X[0]
    d = w - w.mean()
    m2, m3, m4 = (d ** 2).mean(), (d ** 3).mean(), (d ** 4).mean()
    skew, kurt = m3 / m2 ** 1.5, m4 / m2 ** 2
    N = show["trials"]
    sr0 = math.sqrt(sr.var(ddof=1)) * ((1 - GAMMA) * ppf(1 - 1 / N) + GAMMA * ppf(1 - 1 / (N * math.e)))
    dsr = phi((sr[0] - sr0) * math.sqrt(T - 1) / math.sqrt(1 - skew * sr[0] + (kurt - 1) / 4 * sr[0] ** 2))
    if trials[0][0] != st["winner"]:
        bad.append(f"winner {st['winner']} vs the first complete trial {trials[0][0]}")
    if abs(dsr - st["dsr"]) > 1e-6:
        bad.append(f"DSR {st['dsr']} recomputed {dsr:.8f}")
    var = X.std(axis=1, ddof=1) > 1e-12
    C = np.corrcoef(X[var])
    rho = (C.sum() - np.trace(C)) / (C.shape[0] * (C.shape[0] - 1))
    neff = min(N, max(1.0, rho + (1 - rho) * N))
    if abs(neff - st["n_eff"]) > 1e-4 * max(1.0, neff):
        bad.append(f"N_eff {st['n_eff']} recomputed {neff:.6f}")

    # PBO by CSCV, 16 blocks
    S = st.get("pbo_blocks", 16)
    blk = (np.arange(T) * S) // T
    lam, near = [], 0
    for comb in itertools.combinations(range(S), S // 2):
        ins = np.isin(blk, comb)
        a, b = X[:, ins], X[:, ~ins]
        sa = np.where(a.std(axis=1, ddof=1) > 1e-12, a.mean(axis=1) / np.maximum(a.std(axis=1, ddof=1), 1e-300), 0)
        sb = np.where(b.std(axis=1, ddof=1) > 1e-12, b.mean(axis=1) / np.maximum(b.std(axis=1, ddof=1), 1e-300), 0)
        n = int(np.argmax(sa))
        rank = 1 + np.sum(np.delete(sb, n) < sb[n]) + 0.5 * np.sum(np.delete(sb, n) == sb[n])
        om = rank / (len(sb) + 1)
        lam.append(math.log(om / (1 - om)))
        # The program sums per block (out of sample = total - in sample),
        # numpy per bar: Sharpes that agree to rounding (a curve flat in one
        # half is 0 here and may be +-1e-17 there) may order differently.
        # Such a combination (an in-sample winner, or the winner's
        # out-of-sample rank, decided within 1e-9) may count either way.
        tol = 1e-9 * max(1.0, abs(sa[n]))
        other_b = np.delete(sb, n)
        if np.sum(sa >= sa[n] - tol) > 1 or np.any(np.abs(other_b - sb[n]) <= 1e-9 * max(1.0, abs(sb[n]))):
            near += 1
    pbo = float(np.mean(np.array(lam) <= 0))
    if abs(pbo - st["pbo"]) > 1e-9 + near / len(lam):
        bad.append(f"PBO {st['pbo']} recomputed {pbo} ({near} combinations decided by rounding)")

    # walk-forward selection, top 1, by the folds' mean Sharpe (seeds averaged)
    order = {e["id"]: i for i, e in enumerate(lb)}
    score = {}
    for e in lb:
        g, s = ids[e["id"]]
        for fo in folds:
            vals = [r for r in rows if int(r["strategy"]) == s and int(r["fold_id"]) == fo and int(r["model"]) in members[g]]
            ok = len(vals) == len(members[g]) and all(r["status"] == 0 and not (r["trading"]["flags"] & 1) for r in vals)
            score[(e["id"], fo)] = float(np.mean([r["trading"]["sharpe"] for r in vals])) if ok else None
    eq = 1.0
    for t in range(1, len(folds)):
        cand = []
        for e in lb:
            past = [score[(e["id"], fo)] for fo in folds[:t] if score[(e["id"], fo)] is not None]
            if past:
                cand.append((-len(past), -np.mean(past), order[e["id"]], e["id"]))
        pick = sorted(cand)[0][3]
        r, _ = ens(*ids[pick], folds[t])
        if r is not None:
            eq *= np.prod(1 + r)
    wf = 100 * (eq - 1)
    if abs(wf - st["wf_roi_pct"]) > 1e-6 * max(1.0, abs(wf)):
        bad.append(f"walk-forward ROI {st['wf_roi_pct']} recomputed {wf:.8f}")

    for b in bad:
        print(b)
    print(f"{path}: {checked} stitched curves, DSR {dsr:.4f}, N_eff {neff:.2f}, PBO {pbo:.4f} over {len(lam)} "
          f"combinations, walk-forward {wf:+.2f} % recomputed from /series: {len(bad)} disagreements")
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
