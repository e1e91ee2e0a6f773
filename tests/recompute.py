#!/usr/bin/env python3
"""recompute.py FILE.h5 — recompute result rows by hand from what the file
stores, as a user checking rnnsweep would, and exit 1 on any disagreement.

For every ok row of every task with a series:
  - trading: Sharpe = mean(r) / sd(r) * sqrt(bars_per_year) over the per-bar
    returns r[1:] of /series/returns (sample sd; 0 when sd <= 1e-12), and ROI
    = 100 * (prod(1 + r) - 1);
  - trend3: accuracy, the confusion counts and per-class precision / recall
    from /series/corrected (the row's correction column) and /series/y;
  - return targets: RMSE of /series/pred against /series/y.
Tolerances are those of float32 returns (the file stores them as float32,
the engine summed in double).  Series resolution (README.md): a task whose
strategy series are stored per day has its ROI recomputed from the day
points (each the day's bars compounded) and its trade count summed from
/series/trades, exactly; the per-bar Sharpe needs per-bar points and is
checked only on per-bar series (`show --series bar` recomputes them).  Run by
tests/test_seeds.sh and test_sweep.sh.
"""
import sys

import h5py
import numpy as np


def main(path):
    bad = 0
    checked = 0
    with h5py.File(path, "r") as f:
        rows = f["/results"][()]
        index = f["/series/index"][()]
        ret = f["/series/returns"][()]
        y = f["/series/y"][()]
        pred = f["/series/pred"][()]
        corr = f["/series/corrected"][()]
        bpy = f["/plan/strategies"]["bars_per_year"][()]
        trades = f["/series/trades"][()] if "/series/trades" in f else None
        # per task: its per-strategy points (schema 5), else per bar at the bar slice
        pts = f["/series/points"][()] if "/series/points" in f else None
    where = {int(k): (int(o), int(n)) for k, o, n in zip(index["task_key"], index["offset"], index["n"])}
    if pts is not None:
        points = {int(p["task_key"]): (int(p["offset"]), int(p["n"]), int(p["series"])) for p in pts}
    else:
        points = {k: (o, n, 0) for k, (o, n) in where.items()}
    days = 0
    for r in rows:
        if r["status"] != 0 or int(r["task_key"]) not in where:
            continue
        off, n = where[int(r["task_key"])]
        po, pn, res = points[int(r["task_key"])]
        s = int(r["strategy"])
        t = r["trading"]
        if res == 0:                         # per bar: Sharpe and ROI from the bars
            rr = ret[po:po + pn, s].astype(np.float64)[1:]
            sd = rr.std(ddof=1) if len(rr) > 1 else 0.0
            sharpe = rr.mean() / sd * np.sqrt(bpy[s]) if sd > 1e-12 else 0.0
            if not np.isclose(sharpe, t["sharpe"], rtol=1e-3, atol=1e-3):
                print(f"row task {int(r['task_key']):016x} strategy {s}: sharpe {t['sharpe']} recomputed {sharpe}")
                bad += 1
        else:                                # per day: ROI from the days, trades summed
            rr = ret[po:po + pn, s].astype(np.float64)
            days += 1
            if res == 1 and int(trades[po:po + pn, s].sum()) != int(t["n_trades"]):
                print(f"row task {int(r['task_key']):016x} strategy {s}: n_trades {t['n_trades']} summed "
                      f"{int(trades[po:po + pn, s].sum())} from the days")
                bad += 1
        roi = 100.0 * (np.prod(1.0 + rr) - 1.0)
        # series = none (pn == 0): no strategy series stored, nothing to recompute the ROI from
        if pn > 0 and not np.isclose(roi, t["roi_pct"], rtol=1e-3, atol=1e-3):
            print(f"row task {int(r['task_key']):016x} strategy {s}: roi {t['roi_pct']} recomputed {roi}")
            bad += 1
        truth = y[off:off + n]
        if pred.shape[1] == 3:
            cl = corr[off:off + n, int(r["correction"])].astype(int)
            lab = truth.astype(int)
            acc = float(np.mean(cl == lab))
            conf = np.zeros((3, 3), int)
            np.add.at(conf, (lab, cl), 1)
            if not np.isclose(acc, r["accuracy"], rtol=0, atol=1e-12) or not (conf == r["confusion"]).all():
                print(f"row task {int(r['task_key']):016x} strategy {s}: accuracy {r['accuracy']} "
                      f"recomputed {acc}, confusion {r['confusion'].tolist()} recomputed {conf.tolist()}")
                bad += 1
            for c in range(3):
                col = conf[:, c].sum()
                p = conf[c, c] / col if col else np.nan
                if not (np.isnan(p) and np.isnan(r["precision"][c]) or np.isclose(p, r["precision"][c])):
                    print(f"row task {int(r['task_key']):016x}: precision[{c}] {r['precision'][c]} recomputed {p}")
                    bad += 1
        else:
            rmse = float(np.sqrt(np.mean((pred[off:off + n, 0] - truth) ** 2)))
            if not np.isclose(rmse, r["rmse"], rtol=1e-9, atol=0):
                # price targets score after inverting the scaler: the file's
                # pred is already in price units, so this holds for both
                print(f"row task {int(r['task_key']):016x}: rmse {r['rmse']} recomputed {rmse}")
                bad += 1
        checked += 1
    print(f"{path}: {checked} rows recomputed from /series ({days} from daily points: ROI and trades), "
          f"{bad} disagreements")
    return 1 if bad or checked == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
