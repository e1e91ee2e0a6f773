#!/usr/bin/env python3
"""read_results.py - read an rnnsweep results file (HDF5) with h5py and pandas.

The layout is documented in coordinator/results.h (and results/README.md):

    import read_results as rr
    df = rr.load("results/quick.h5")         # /results, one row per (model, fold, strategy)
    s = rr.load_series("results/quick.h5", df.task_key[0])   # one task's test period
    attrs = rr.load_attrs("results/quick.h5")  # the root attributes

    lb = rr.load_leaderboard("results/quick.h5")            # show --format csv as a DataFrame
    eq = rr.load_equity("results/quick.h5", lb.id[0])        # the winner's stitched curve
    lc = rr.load_curve("results/quick.h5", df.task_key[0])   # train / validation loss per epoch
    w = rr.load_weights("results/quick.h5", df.task_key[0])  # [run] save_weights = 1: the weights
    p = rr.load_points("results/quick.h5", df.task_key[0])   # its per-strategy series, as stored
    b = rr.recompute_bar_series("results/quick.h5", lb.id[0])  # a per-bar curve, recomputed exactly

    python3 results/read_results.py results/quick.h5       # a short summary

load() flattens the nested "trading" compound into plain columns (sharpe,
roi_pct, ...; a column is prefixed "trading_" only if its name clashed with a
task_row field - none does today), turns status codes into names ("ok",
"diverged", "empty", "failed") and joins the plan's model and strategy
columns by index (cell, hidden, lookback, ..., kind, threshold, spacing, ...).
A plan column whose name is already taken gets a "model_" / "strategy_"
prefix: model_label, strategy_label, strategy_bars_per_year.

Series resolution ([run] series, README.md): the per-bar t, y, pred and
corrected classes are always stored; the per-strategy returns, buy-and-hold
and (daily) trades are stored per bar, per day, or not at all (the /series
attribute "resolution", per task in /series/points).  load_points reads them
at whatever resolution; load_series adds them to the bar columns only when
they are per bar; load_equity stitches either; recompute_bar_series runs
`rnnsweep show --config ID --series bar`, which recomputes a per-bar curve
from the stored predictions and the sweep's data (its hash checked).

A killed or running sweep leaves checkpoint parts (FILE.h5.part-*) beside
FILE.h5; this module reads FILE.h5 alone, and load() warns when parts exist
(checkpoint_parts lists them; `rnnsweep merge` folds them into a new file).

Only h5py and numpy are required.  Without pandas, load() and load_series()
return dicts of numpy arrays (same column names) and say so on stderr.
"""
import csv
import io
import os
import shutil
import subprocess
import sys

try:
    import h5py
    import numpy as np
except ImportError as exc:  # pragma: no cover - the message is the point
    sys.exit(f"read_results: {exc.name} is missing: install python3-h5py and python3-numpy "
             "(Debian: apt-get install python3-h5py python3-pandas; `make deps` does it)")

try:
    import pandas as pd
except ImportError:  # pragma: no cover - exercised only without pandas
    pd = None

STATUS_NAMES = {0: "ok", 1: "diverged", 2: "empty", 3: "failed"}
CLASSES = ("short", "range", "long")
SETS = ("train", "val", "test")


def fold_text(code):
    """The text of a fold id code (worker/folds.h): 2017 -> "2017",
    20173 -> "2017Q3", 201708 -> "2017-08", 0 -> "holdout"."""
    code = int(code)
    if code == 0:
        return "holdout"
    if 1 <= code <= 9999:
        return str(code)
    if 10000 <= code <= 99999:
        return f"{code // 10}Q{code % 10}"
    if 100000 <= code <= 999999:
        return f"{code // 100}-{code % 100:02d}"
    return "?"


def _text(v):
    """A string from h5py: fixed-length fields come back as bytes."""
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.bytes_):
        return bytes(v).decode("utf-8", "replace")
    return v


def _columns(arr, prefix_on_clash=""):
    """A structured array as an ordered dict of 1-D columns: nested compounds
    are flattened (their fields keep their own names unless those clash) and
    fixed-length strings are decoded."""
    top = list(arr.dtype.names)
    cols = {}
    for name in top:
        col = arr[name]
        if col.dtype.names:                      # nested compound ("trading")
            for sub in col.dtype.names:
                key = sub if sub not in top and sub not in cols else f"{name}_{sub}"
                cols[key] = col[sub]
        elif col.dtype.kind == "S":
            cols[name] = np.array([_text(v) for v in col], dtype=object)
        elif col.ndim == 2:                      # precision[3], recall[3]
            for k in range(col.shape[1]):
                cols[f"{name}_{CLASSES[k] if col.shape[1] == 3 else k}"] = col[:, k]
        elif col.ndim == 3:                      # confusion[true][pred], class_count[set][class]
            rows_ = SETS if name == "class_count" else CLASSES
            for a in range(col.shape[1]):
                for b in range(col.shape[2]):
                    cols[f"{name}_{rows_[a]}_{CLASSES[b]}"] = col[:, a, b]
        else:
            cols[name] = col
    return cols


def _frame(cols):
    if pd is None:
        return cols
    return pd.DataFrame(cols)


def _no_pandas():
    print("read_results: pandas is not installed; returning a dict of numpy arrays",
          file=sys.stderr)


_PARTS_WARNED = set()


def checkpoint_parts(path):
    """The checkpoint part files beside a results file (FILE.h5.part-*,
    journal order), which exist only while a run writes FILE.h5 or after
    one was killed.  This module reads FILE.h5 alone; load() says so on
    stderr when parts exist, once per path."""
    d, base = os.path.split(os.path.abspath(path))
    pre = base + ".part-"
    try:
        names = sorted(n for n in os.listdir(d) if n.startswith(pre) and not n.endswith(".tmp"))
    except OSError:
        return []
    return [os.path.join(d, n) for n in names]


def _warn_parts(path):
    parts = checkpoint_parts(path)
    if parts and path not in _PARTS_WARNED:
        _PARTS_WARNED.add(path)
        print(f"read_results: {path} has {len(parts)} checkpoint part(s) beside it (a run is writing it, or "
              f"stopped before its end): this reads {path} alone, the state at that run's start; "
              f"`rnnsweep merge NOW.h5 {path} {path}.part-*` is the state at its last checkpoint",
              file=sys.stderr)


def load_attrs(path):
    """The root attributes as a dict of Python values (strings decoded),
    and the /series attributes as series_resolution, series_day_rule,
    series_data_content_hash ("bar" for a file of before them)."""
    with h5py.File(path, "r") as f:
        out = {}
        for k, v in f.attrs.items():
            v = _text(v)
            if isinstance(v, np.generic):
                v = v.item()
            out[k] = v
        sa = f["/series"].attrs if "/series" in f else {}
        out["series_resolution"] = _text(sa["resolution"]) if "resolution" in sa else "bar"
        for k in ("day_rule", "data_content_hash"):
            if k in sa:
                out[f"series_{k}"] = _text(sa[k])
        return out


def load(path):
    """/results as a DataFrame: task_row fields, trading fields flattened,
    status as names, and the plan's model and strategy columns joined.
    Warns on stderr when checkpoint parts lie beside the file."""
    _warn_parts(path)
    with h5py.File(path, "r") as f:
        rows = f["/results"][()]
        models = f["/plan/models"][()]
        strategies = f["/plan/strategies"][()]
    cols = _columns(rows)
    cols["status"] = np.array([STATUS_NAMES.get(int(s), "?") for s in cols["status"]], dtype=object)
    cols["fold"] = np.array([fold_text(c) for c in cols["fold_id"]], dtype=object)
    mcols = _columns(models)
    scols = _columns(strategies)
    # index and key are the row's model/strategy and model_key/strategy_key
    for c in (mcols, scols):
        c.pop("index", None)
        c.pop("key", None)
    taken = set(cols)
    mi = np.asarray(cols["model"], dtype=np.int64)
    si = np.asarray(cols["strategy"], dtype=np.int64)
    for table, other, idx, prefix in ((mcols, scols, mi, "model_"), (scols, mcols, si, "strategy_")):
        for name, col in table.items():
            key = prefix + name if (name in taken or name in other) else name
            cols[key] = col[idx] if len(col) else col[:0]
            taken.add(key)
    if pd is None:
        _no_pandas()
    return _frame(cols)


SERIES_NAMES = {0: "bar", 1: "day", 2: "none"}


def _point_index(f):
    """{task_key: (bar offset, bars, point offset, points, resolution)} of
    every task with a series; a file of before /series/points (schema 3/4)
    stores every series per bar."""
    index = f["/series/index"][()]
    out = {}
    if "/series/points" in f:
        pts = f["/series/points"][()]
        for i, p in zip(index, pts):
            out[int(i["task_key"])] = (int(i["offset"]), int(i["n"]), int(p["offset"]), int(p["n"]),
                                       SERIES_NAMES.get(int(p["series"]), "?"))
    else:
        for i in index:
            out[int(i["task_key"])] = (int(i["offset"]), int(i["n"]), int(i["offset"]), int(i["n"]), "bar")
    return out


def _key(task_key):
    return int(task_key, 16) if isinstance(task_key, str) else int(task_key)


def load_points(path, task_key):
    """One task's per-strategy series as stored: t (datetime64: the bar's,
    or the last bar's of each day), bar (index of that bar in the task's test
    period), bh, one column of returns per plan strategy (named as in
    load_series), and for daily points "trades <label>" per strategy (trades
    completed that day; -1 where not stored).  A daily point's return is its
    bars' returns compounded (task.h, "Series resolution").  The frame's
    attribute-like key "resolution" is not a column: see point_resolution."""
    task_key = _key(task_key)
    with h5py.File(path, "r") as f:
        where = _point_index(f).get(task_key)
        if where is None:
            raise KeyError(f"{path}: no series for task {task_key:016x}")
        bo, bn, po, pn, res = where
        t = f["/series/t"][bo:bo + bn]
        ret = f["/series/returns"][po:po + pn]
        bh = f["/series/bh"][po:po + pn]
        if res == "day":
            end = f["/series/point_end"][po:po + pn].astype(np.int64)
            trades = f["/series/trades"][po:po + pn]
        else:
            end = np.arange(pn, dtype=np.int64)
            trades = None
        labels = [_text(v) for v in f["/plan/strategies"]["label"]]
    cols = {"t": t[end].astype("datetime64[s]"), "bar": end, "bh": bh}
    unique = len(set(labels)) == len(labels)
    for j in range(ret.shape[1]):
        cols[labels[j] if unique else f"strategy_{j}"] = ret[:, j]
    if trades is not None:
        for j in range(trades.shape[1]):
            cols[f"trades {labels[j] if unique else f'strategy_{j}'}"] = trades[:, j]
    if pd is None:
        _no_pandas()
    return _frame(cols)


def point_resolution(path, task_key):
    """'bar', 'day' or 'none': how task_key's per-strategy series is stored."""
    with h5py.File(path, "r") as f:
        where = _point_index(f).get(_key(task_key))
    if where is None:
        raise KeyError(f"{path}: no series for task {_key(task_key):016x}")
    return where[4]


def recompute_bar_series(path, config_id, rnnsweep=None):
    """Configuration config_id's per-bar curve recomputed exactly from the
    stored predictions and the sweep's data by `rnnsweep show PATH --config
    ID --series bar` (run from the directory the sweep's data paths are
    relative to): columns fold, t (seconds, the data's clock), time, bar,
    ret, equity, bh, bh_equity.  Raises subprocess.CalledProcessError (exit
    2, the message on stderr) when the data is not the sweep's."""
    cmd = [rnnsweep or _rnnsweep(), "show", path, "--config", config_id, "--series", "bar"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    head, body = rows[0], rows[1:]
    conv = {"t": np.int64, "bar": np.int64, "ret": np.float64, "equity": np.float64, "bh": np.float64,
            "bh_equity": np.float64}
    cols = {h: np.array([r[i] for r in body], dtype=conv.get(h, object)) for i, h in enumerate(head)}
    if pd is None:
        _no_pandas()
    return _frame(cols)


def load_series(path, task_key):
    """One task's test period: t (datetime64, UTC), y, the prediction
    column(s) ("pred", or p_short/p_range/p_long for trend3), bh (buy and
    hold returns), for trend3 one column "class <correction>" per correction
    point (the class after it; -1 where the task lacks it), and - when the
    task's strategy series are stored per bar - one column of per-bar
    returns per plan strategy, named by its label (or "strategy_<i>" when
    labels repeat), and bh.  A strategy the task has no row for is all NaN.
    Daily (or no) strategy series: load_points.  task_key: an int or a hex
    string."""
    task_key = _key(task_key)
    with h5py.File(path, "r") as f:
        where = _point_index(f).get(task_key)
        if where is None:
            raise KeyError(f"{path}: no series for task {task_key:016x}")
        off, n, po, pn, res = where
        sl = slice(off, off + n)
        t = f["/series/t"][sl]
        y = f["/series/y"][sl]
        pred = f["/series/pred"][sl]
        per_bar = res == "bar"
        bh = f["/series/bh"][po:po + pn] if per_bar else None
        ret = f["/series/returns"][po:po + pn] if per_bar else np.zeros((n, 0), np.float32)
        corr = f["/series/corrected"][sl] if "/series/corrected" in f else np.zeros((n, 0), np.int8)
        clabels = [_text(v) for v in f["/plan/corrections"]["label"]] if "/plan/corrections" in f else []
        labels = [_text(v) for v in f["/plan/strategies"]["label"]]
    cols = {"t": t.astype("datetime64[s]"), "y": y}
    if pred.shape[1] == 1:
        cols["pred"] = pred[:, 0]
    else:
        for k, name in enumerate(("p_short", "p_range", "p_long")[:pred.shape[1]]):
            cols[name] = pred[:, k]
    if bh is not None:
        cols["bh"] = bh
    for j in range(corr.shape[1]):
        cols[f"class {clabels[j] if j < len(clabels) else j}"] = corr[:, j]
    unique = len(set(labels)) == len(labels)
    for j in range(ret.shape[1]):
        cols[labels[j] if unique else f"strategy_{j}"] = ret[:, j]
    if pd is None:
        _no_pandas()
    return _frame(cols)


def _task_block(f, group, task_key):
    """(offset, n) of a task's rows in /<group>/index, or KeyError."""
    if isinstance(task_key, str):
        task_key = int(task_key, 16)
    if f"/{group}/index" not in f:
        raise KeyError(f"{f.filename}: no /{group} (written before schema 4)")
    index = f[f"/{group}/index"][()]
    hit = np.nonzero(index["task_key"] == np.uint64(int(task_key)))[0]
    if len(hit) == 0:
        raise KeyError(f"{f.filename}: no /{group} rows for task {int(task_key):016x}")
    return int(index["offset"][hit[0]]), int(index["n"][hit[0]])


def load_curve(path, task_key):
    """One task's learning curve: epoch (from 1), train_loss, val_loss (NaN
    without a validation set) of every epoch run, and kept (True on the epoch
    whose weights early stopping restored: /tasks best_epoch)."""
    with h5py.File(path, "r") as f:
        off, n = _task_block(f, "curves", task_key)
        loss = f["/curves/loss"][off:off + n]
        tasks = f["/tasks"][()]
        key = int(task_key, 16) if isinstance(task_key, str) else int(task_key)
        row = tasks[tasks["task_key"] == np.uint64(key)]
        best = int(row["best_epoch"][0]) if len(row) else -1
    epoch = np.arange(1, n + 1)
    cols = {"epoch": epoch, "train_loss": loss[:, 0], "val_loss": loss[:, 1], "kept": epoch == best}
    if pd is None:
        _no_pandas()
    return _frame(cols)


_CELLS = ("lstm", "gru", "gru_classic", "rnn_tanh", "rnn_relu")
_GATES = (4, 3, 3, 1, 1)


def load_weights(path, task_key):
    """One task's trained weights ([run] save_weights = 1): a dict with the
    network's shape (cell, head "reg"/"cls", hidden [sizes bottom first],
    n_in, n_out) and its parameters under PyTorch's names, as numpy arrays in
    the engine's precision: weight_ih_l{k} [G*H x in], weight_hh_l{k}
    [G*H x H], bias_ih_l{k}, bias_hh_l{k} for each layer k (gate order i,f,g,o
    for LSTM, r,z,n for GRU), then head.weight [n_out x H_top], head.bias.
    So torch.nn.LSTM(...).load_state_dict works after torch.from_numpy.  The
    blob is worker/rnn.h's format: an 80-byte header, then the parameters."""
    with h5py.File(path, "r") as f:
        off, n = _task_block(f, "weights", task_key)
        blob = f["/weights/blob"][off:off + n].tobytes()
    if len(blob) < 80 or blob[:8] != b"RNNSWEEP":
        raise ValueError(f"{path}: task {task_key}: not an rnnsweep weights blob")
    version, elem, cell, head, layers, n_in, n_out = np.frombuffer(blob, "<u4", 7, 8)
    hidden = [int(h) for h in np.frombuffer(blob, "<u4", 8, 36)[:layers]]
    n_params = int(np.frombuffer(blob, "<u8", 1, 72)[0])
    if version != 1 or elem not in (4, 8) or len(blob) != 80 + n_params * elem:
        raise ValueError(f"{path}: task {task_key}: weights blob version {version}, {elem}-byte reals, "
                         f"{len(blob)} bytes")
    flat = np.frombuffer(blob, "<f4" if elem == 4 else "<f8", n_params, 80)
    G = _GATES[cell]
    out = {"cell": _CELLS[cell], "head": "cls" if head else "reg", "hidden": hidden,
           "n_in": int(n_in), "n_out": int(n_out)}
    k, below = 0, int(n_in)

    def take(*shape):
        nonlocal k
        size = int(np.prod(shape))
        a = flat[k:k + size].reshape(shape)
        k += size
        return a
    for l, h in enumerate(hidden):
        out[f"weight_ih_l{l}"] = take(G * h, below)
        out[f"weight_hh_l{l}"] = take(G * h, h)
        out[f"bias_ih_l{l}"] = take(G * h)
        out[f"bias_hh_l{l}"] = take(G * h)
        below = h
    out["head.weight"] = take(int(n_out), below)
    out["head.bias"] = take(int(n_out))
    if k != n_params:
        raise ValueError(f"{path}: task {task_key}: {n_params} parameters, the shape accounts for {k}")
    return out


M64 = (1 << 64) - 1


def _hash64(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def _hash2(a, b):
    return _hash64(_hash64(a) ^ ((b + 0x632be59bd9b4e019 + ((a << 6) & M64) + (a >> 2)) & M64))


def _groups(models):
    """Replicate groups: model points equal in everything but the seed."""
    cols = [c for c in models.dtype.names if c not in ("index", "key", "seed", "label", "params")]
    key, members = {}, {}
    for i, m in enumerate(models):
        g = key.setdefault(tuple(m[c].tobytes() if hasattr(m[c], "tobytes") else m[c] for c in cols), len(key))
        members.setdefault(g, []).append(i)
    return members


def config_ids(path):
    """{id: (model indices, strategy index)} of every trading configuration:
    the stable id `show` prints (coordinator/board.h: rs_hash2 over the group's
    sorted model keys, then the strategy key), 16 hex digits."""
    with h5py.File(path, "r") as f:
        models = f["/plan/models"][()]
        strategies = f["/plan/strategies"][()]
    out = {}
    for g, ms in _groups(models).items():
        h = 0
        for k in sorted(int(models[m]["key"]) for m in ms):
            h = _hash2(h, k)
        for s in range(len(strategies)):
            out[f"{_hash2(h, int(strategies[s]['key'])):016x}"] = (ms, s)
    return out


def load_equity(path, config_id):
    """The stitched curve of configuration `config_id` (a full id or a unique
    prefix): one row per series point - per bar after each fold's first, or
    per day (every day) - columns t, ret (seeds averaged), equity
    (compounded, starting at 1), bh (buy-and-hold returns), bh_equity, fold.
    The curve `show` summarises as roi_c% and sharpe_c."""
    ids = config_ids(path)
    hit = [k for k in ids if k.startswith(config_id.lower())]
    if len(hit) != 1:
        raise KeyError(f"{path}: {'no' if not hit else 'more than one'} configuration with id {config_id}")
    ms, s = ids[hit[0]]
    with h5py.File(path, "r") as f:
        index = f["/series/index"][()]
        pidx = _point_index(f)
        ret = f["/series/returns"]
        bh = f["/series/bh"]
        t = f["/series/t"]
        pend = f["/series/point_end"] if "/series/point_end" in f else None
        where = {(int(i["model"]), int(i["fold_id"])): pidx[int(i["task_key"])] for i in index}
        folds = sorted(set(int(i["fold_id"]) for i in index))
        parts = []
        for fo in folds:
            if not all((m, fo) in where and where[(m, fo)][3] > 0 for m in ms):
                continue
            bo, bn, po, pn, res = where[(ms[0], fo)]
            k = 0 if res == "day" else 1         # a per-bar series' first bar is 0 by construction
            r = np.mean([ret[where[(m, fo)][2] + k:where[(m, fo)][2] + where[(m, fo)][3], s].astype(np.float64)
                         for m in ms], axis=0)
            end = pend[po:po + pn].astype(np.int64) if res == "day" else np.arange(pn)
            tt = t[bo:bo + bn][end]
            parts.append((tt[k:], r, bh[po + k:po + pn].astype(np.float64), np.full(pn - k, fold_text(fo), object)))
    if not parts:
        raise KeyError(f"{path}: configuration {hit[0]} has no series")
    tt, r, b, fl = (np.concatenate([p[k] for p in parts]) for k in range(4))
    cols = {"t": tt.astype("datetime64[s]"), "ret": r, "equity": np.cumprod(1 + r), "bh": b,
            "bh_equity": np.cumprod(1 + b), "fold": fl}
    if pd is None:
        _no_pandas()
    return _frame(cols)


def _rnnsweep():
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.environ.get("RNNSWEEP_BIN"), os.path.join(here, "..", "bin", "rnnsweep"), shutil.which("rnnsweep")):
        if cand and os.path.isfile(cand) and os.access(cand, os.X_OK):
            return cand
    raise FileNotFoundError("read_results: bin/rnnsweep not found (build it with `make`, or set RNNSWEEP_BIN)")


def load_leaderboard(path, metric="sharpe", top=1000000, lookahead=False):
    """The leaderboard exactly as `rnnsweep show FILE --format csv` prints it
    (one implementation: the numbers are the program's, never recomputed
    here): rank, id, model, strategy, the metric's mean, std, worst,
    worst_fold, folds, ... roi_c%, sharpe_c, mdd_c%, bh_c%."""
    cmd = [_rnnsweep(), "show", path, "--format", "csv", "--metric", metric, "--top", str(top)]
    if lookahead:
        cmd.append("--lookahead")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    rows = list(csv.reader(io.StringIO(out)))
    if pd is None:
        _no_pandas()
        return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}
    df = pd.DataFrame(rows[1:], columns=rows[0]).replace("-", np.nan)
    for c in df.columns:
        if c not in ("id", "model", "strategy", "folds", "worst_fold", "beats"):
            df[c] = pd.to_numeric(df[c])
    return df


def _summary(path):
    a = load_attrs(path)
    print(f"{path}: {a.get('program', '?')}, sweep '{a.get('name', '')}' "
          f"(hash {a.get('sweep_hash', '?')}), schema {a.get('schema', '?')}")
    print(f"  created {a.get('created', '?')}, updated {a.get('updated', '?')}, "
          f"{a.get('ranks', '?')} ranks x {a.get('threads', '?')} threads on {a.get('hosts', '') or '?'}")
    if a.get('git_commit') or a.get('slurm_job_id'):
        print(f"  built from {a.get('git_commit') or '?'}; Slurm job {a.get('slurm_job_id') or '-'}, "
              f"array {a.get('slurm_array_job_id') or '-'} task {a.get('slurm_array_task_id') or '-'}")
    print(f"  tasks: {a.get('tasks_done', 0)} of {a.get('tasks_planned', 0)} done, "
          f"{a.get('tasks_failed', 0)} not ok, complete = {a.get('complete', 0)}")
    df = load(path)
    if pd is None:
        print(f"  {len(df['task_key'])} result rows (install python3-pandas for the table)")
        return
    print(f"  {len(df)} result rows, {df['model'].nunique() if len(df) else 0} models, "
          f"{df['strategy'].nunique() if len(df) else 0} strategies, "
          f"{df['fold'].nunique() if len(df) else 0} folds")
    ok = df[df["status"] == "ok"]
    if ok.empty:
        print("  no ok rows")
        return
    # configurations, not single-fold rows: the leaderboard of `show`
    try:
        lb = load_leaderboard(path, top=5)
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        print(f"  (no leaderboard: {exc})")
        return
    print("  top 5 configurations by mean Sharpe over folds (rnnsweep show):")
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(lb.to_string(index=False))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: read_results.py FILE.h5", file=sys.stderr)
        sys.exit(2)
    try:
        _summary(sys.argv[1])
    except BrokenPipeError:                  # `| head`
        sys.stderr.close()
    except (OSError, KeyError) as exc:
        print(f"{sys.argv[1]}: {exc}", file=sys.stderr)
        sys.exit(2)
