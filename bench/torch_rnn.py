#!/usr/bin/python3
"""bench/torch_rnn.py - PyTorch CPU LSTM / GRU throughput, a yardstick for rnnsweep.

Protocol (shared with bench/bench_onednn.c and rnnsweep's own bench):
  cell in {lstm, gru}; hidden H in {32, 64, 128, 300}; layers L in {1, 2}
  (every layer H wide); T in {20, 60, 100}; batch B = 64; D = 3 input
  features; float32; time-major input [T][B][D].
  train : sequences/s of one full step = nn.LSTM / nn.GRU (num_layers=L)
          + nn.Linear(H, 1) on the last step + MSELoss + loss.backward()
          + torch.optim.Adam step + zero_grad(set_to_none=True).
  infer : sequences/s of forward + head under torch.no_grad().
  Timing: 2 warm-up steps (once per config and mode), then 3 samples; one
  sample repeats steps until at least --min-time seconds have passed
  (time.perf_counter, monotonic); report the median of B * steps / elapsed.

Output (stdout): '#' comment lines, then one line per (config, mode):
    impl cell L H T threads mode seq_per_s
  e.g. "torch lstm 1 64 60 1 train 6712.3". Errors go to stderr with exit
  status 1 (2 for bad command-line usage, from argparse).

Options: --threads N (torch.set_num_threads(N), set_num_interop_threads(1))
         --quick (H in {32,128}, T=60, L=1: smoke test)
         --filter cell,H,L,T (one configuration; overrides --quick)
         --min-time S (default 0.5)

Run with Debian's interpreter, which has python3-torch (the python3 first on
PATH has no torch):
    /usr/bin/python3 bench/torch_rnn.py --threads 1 [--quick]
This torch build runs nn.LSTM / nn.GRU through OpenBLAS, so OPENBLAS_CORETYPE
(read at library load) matters: it is printed in the '#' header line.

Sanity: the loss of each warm-up step and the last loss of each sample must
be finite (checked outside the timed region); likewise the inference output.
"""

import argparse
import os
import statistics
import sys
import time

BATCH = 64
NFEAT = 3
NSAMPLES = 3
NWARMUP = 2
HS = (32, 64, 128, 300)
LS = (1, 2)
TS = (20, 60, 100)
CELLS = ("lstm", "gru")


def fail(msg):
    print("torch_rnn.py: " + msg, file=sys.stderr)
    sys.exit(1)


def parse_args():
    p = argparse.ArgumentParser(description="PyTorch CPU RNN throughput (rnnsweep protocol)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--quick", action="store_true", help="H in {32,128}, T=60, L=1 only")
    p.add_argument("--filter", default=None, metavar="cell,H,L,T", help="one configuration")
    p.add_argument("--min-time", type=float, default=0.5)
    a = p.parse_args()
    if a.threads < 1 or not a.min_time > 0:
        p.error("--threads must be >= 1 and --min-time > 0")
    if a.filter is not None:
        parts = a.filter.split(",")
        try:
            cell, h, l, t = parts[0], int(parts[1]), int(parts[2]), int(parts[3])
        except (IndexError, ValueError):
            p.error("--filter wants cell,H,L,T, e.g. lstm,64,1,60")
        if len(parts) != 4 or cell not in CELLS or h < 1 or l < 1 or t < 1:
            p.error("--filter wants cell,H,L,T with cell in {lstm,gru}, e.g. lstm,64,1,60")
        a.filter = (cell, h, l, t)
    return a


def configs(args):
    """(cell, H, L, T) in the same order as bench_onednn.c."""
    if args.filter is not None:
        return [args.filter]
    out = []
    for cell in CELLS:
        for L in LS:
            for H in HS:
                for T in TS:
                    if args.quick and (L != 1 or T != 60 or H not in (32, 128)):
                        continue
                    out.append((cell, H, L, T))
    return out


def time_steps(step, min_time, check):
    """NWARMUP warm-up steps, then NSAMPLES samples of >= min_time s each;
    returns the median seq/s. step() runs one step and returns a tensor;
    check(tensor) validates the warm-up results and each sample's last one
    (outside the timed region)."""
    for _ in range(NWARMUP):
        check(step())
    rates = []
    for _ in range(NSAMPLES):
        steps = 0
        t0 = time.perf_counter()
        while True:
            last = step()
            steps += 1
            el = time.perf_counter() - t0
            if el >= min_time:
                break
        rates.append(BATCH * steps / el)
        check(last)
    return statistics.median(rates)


def main():
    args = parse_args()
    import torch
    from torch import nn

    # Interop threads must be set before any parallel work starts.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    print("# torch %s threads=%d interop_threads=%d batch=%d features=%d min_time=%g "
          "samples=%d OPENBLAS_CORETYPE=%s (train = rnn + Linear head + MSE + Adam)"
          % (torch.__version__, torch.get_num_threads(), torch.get_num_interop_threads(),
             BATCH, NFEAT, args.min_time, NSAMPLES,
             os.environ.get("OPENBLAS_CORETYPE", "(unset)")), flush=True)

    for cell, H, L, T in configs(args):
        cfg = "%s L=%d H=%d T=%d" % (cell, L, H, T)

        def check_finite(t, what="loss"):
            if not bool(torch.isfinite(t).all()):
                fail("%s: non-finite %s" % (cfg, what))

        Rnn = nn.LSTM if cell == "lstm" else nn.GRU
        rnn = Rnn(input_size=NFEAT, hidden_size=H, num_layers=L)  # time-major
        head = nn.Linear(H, 1)
        params = list(rnn.parameters()) + list(head.parameters())
        opt = torch.optim.Adam(params, lr=1e-3)
        loss_fn = nn.MSELoss()
        x = torch.randn(T, BATCH, NFEAT)   # allocated once, reused
        y = torch.randn(BATCH, 1)

        # ---- train: forward over T steps + head + MSE + BPTT + Adam
        def train_step():
            opt.zero_grad(set_to_none=True)
            out, _ = rnn(x)
            loss = loss_fn(head(out[-1]), y)
            loss.backward()
            opt.step()
            return loss.detach()

        sps = time_steps(train_step, args.min_time, check_finite)
        print("torch %s %d %d %d %d train %.1f" % (cell, L, H, T, args.threads, sps), flush=True)

        # ---- infer: forward + head, no autograd
        def infer_step():
            with torch.no_grad():
                out, _ = rnn(x)
                return head(out[-1])

        sps = time_steps(infer_step, args.min_time,
                         lambda t: check_finite(t, "inference output"))
        print("torch %s %d %d %d %d infer %.1f" % (cell, L, H, T, args.threads, sps), flush=True)


if __name__ == "__main__":
    try:
        main()
    except SystemExit:
        raise
    except Exception as e:  # any torch / runtime error: stderr, exit 1
        fail("%s: %s" % (type(e).__name__, e))
