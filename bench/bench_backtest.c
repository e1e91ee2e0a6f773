/* bench_backtest.c — execution-engine throughput: bars/s of backtest_run on
 * a 1e6-bar random walk (EURUSD-like hourly bars, ~10 pips sd a bar), for
 * the grid strategy at several spacings and for the signal strategy.
 *
 *   build/bench/bench_backtest [n_bars] [reps]
 *
 * One thread, no allocation inside backtest_run; the figure includes input
 * validation (backtest_run checks every bar each call).  Best of `reps`.
 * The account is made large (1e9) and books close on a trend flip so the
 * grid trades through all n bars: a stopped-out run would be flat and fast. */
#include "worker/backtest.h"
#include "worker/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static double best_rate(const bt_strategy *s, const bt_bars *b, const bt_preds *p, int reps, mt_trading *m) {
    double best = 0;
    for (int r = 0; r < reps; r++) {
        rs_err e;
        double t0 = rs_now();
        if (backtest_run(s, b, p, m, NULL, NULL, &e)) { fprintf(stderr, "bench: %s\n", e.msg); exit(1); }
        double dt = rs_now() - t0, rate = b->n / dt;
        if (rate > best) best = rate;
    }
    return best;
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int reps = argc > 2 ? atoi(argv[2]) : 5;
    if (n < 2 || reps < 1) { fprintf(stderr, "usage: bench_backtest [n_bars >= 2] [reps >= 1]\n"); return 2; }
    double *o = malloc(sizeof(double) * n), *h = malloc(sizeof(double) * n);
    double *l = malloc(sizeof(double) * n), *c = malloc(sizeof(double) * n);
    double *pred = malloc(sizeof(double) * n);
    if (!o || !h || !l || !c || !pred) { fprintf(stderr, "bench: out of memory\n"); return 1; }
    rs_rng rng; rs_rng_seed(&rng, 2019);
    double px = 1.1, ar = 0;
    for (int t = 0; t < n; t++) {
        double op = px * (1 + 0.00005 * rs_rng_normal(&rng));
        double cl = op * (1 + 0.0009 * rs_rng_normal(&rng));
        o[t] = op; c[t] = cl;
        h[t] = fmax(op, cl) * (1 + 0.0004 * fabs(rs_rng_normal(&rng)));
        l[t] = fmin(op, cl) * (1 - 0.0004 * fabs(rs_rng_normal(&rng)));
        ar = 0.98 * ar + 0.02 * rs_rng_normal(&rng);      /* slow trend forecasts */
        pred[t] = 0.001 * ar;
        px = cl;
    }
    bt_bars b = { o, h, l, c, n };
    bt_preds p = { pred, NULL };

    printf("backtest_run, %d bars, best of %d, 1 thread\n", n, reps);
    printf("%-34s %12s %9s %9s %8s %5s\n", "strategy", "bars/s", "trades", "TPs", "ROI%", "stop");
    const double spacings[] = { 5, 10, 20, 50 };
    for (int i = 0; i < 4; i++) {
        bt_strategy s; strategy_defaults(&s, BT_FX);
        s.kind = BT_GRID; s.spacing = spacings[i]; s.max_levels = 10; s.threshold = 0.00003;
        s.bars_per_year = backtest_bars_per_year(BT_FX, 3600);
        /* keep the account alive for all n bars: a stopped-out run is flat
         * and would flatter the figure */
        s.initial_balance = 1e9; s.close_on_flip = 1;
        mt_trading m;
        double rate = best_rate(&s, &b, &p, reps, &m);
        char name[64]; snprintf(name, sizeof name, "grid %g pips, 10 levels, adverse", spacings[i]);
        printf("%-34s %12.3e %9d %9d %8.2f %5d\n", name, rate, m.n_trades, m.n_take_profits, m.roi_pct, m.n_stopouts);
    }
    {
        bt_strategy s; strategy_defaults(&s, BT_FX);
        s.kind = BT_GRID; s.spacing = 10; s.max_levels = 10; s.threshold = 0.00003; s.bar_path = BT_PATH_AGAINST;
        s.initial_balance = 1e9; s.close_on_flip = 1;
        mt_trading m;
        double rate = best_rate(&s, &b, &p, reps, &m);
        printf("%-34s %12.3e %9d %9d %8.2f %5d\n", "grid 10 pips, against-first path", rate, m.n_trades, m.n_take_profits, m.roi_pct, m.n_stopouts);
    }
    {
        bt_strategy s; strategy_defaults(&s, BT_FX);
        s.kind = BT_SIGNAL; s.threshold = 0.00003; s.initial_balance = 1e9;
        mt_trading m;
        double rate = best_rate(&s, &b, &p, reps, &m);
        printf("%-34s %12.3e %9d %9d %8.2f %5d\n", "signal θ=0.00003", rate, m.n_trades, m.n_take_profits, m.roi_pct, m.n_stopouts);
    }
    free(o); free(h); free(l); free(c); free(pred);
    return 0;
}
