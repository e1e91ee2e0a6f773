/*
 * report.h — what `rnnsweep show` prints from a results file: a leaderboard
 * of (model point, strategy point) configurations ranked by a metric's mean
 * across walk-forward folds, and group-by comparisons (LSTM vs GRU vs
 * stacked, lookback, threshold, ... or the test year) with mean ± std.
 *
 * Statistics are over result rows whose status is ok.  Rows of a
 * look-ahead correction (motormap_peek) are a diagnostic: left out unless
 * report_opts.lookahead, and the header says how many.  A forecast metric
 * of a trend3 sweep with corrections ranks (model point, correction point)
 * configurations: each correction re-labels the same predictions.  A configuration's
 * score is the mean over its ok folds; it also shows the standard deviation
 * across folds (sample, n-1; 0 with one fold), the worst fold, how many
 * folds were ok out of how many, and the mean buy-and-hold of the same
 * folds for comparison.  Configurations missing a fold rank after complete
 * ones (a configuration that skipped its bad years must not win).
 *
 * Because a sweep of N configurations inflates the best score by luck
 * alone, the leaderboard header states N (the trials) and, for Sharpe, the
 * expected maximum Sharpe of N skill-less trials under the observed
 * cross-trial variance (Bailey & López de Prado's False Strategy Theorem:
 * E[max] ≈ sd·((1-γ)·Φ⁻¹(1-1/N) + γ·Φ⁻¹(1-1/(N·e))), γ = 0.5772...), so
 * a winner below that bar is visibly not evidence of skill.
 *
 * Metrics (report_metric_names lists them): trading — sharpe, sortino,
 * calmar, roi_pct, cagr_pct, max_dd_pct, vol_pct, hit_rate_pct,
 * profit_factor, n_trades, exposure_pct; forecast — rmse, mae, r2,
 * dir_acc, accuracy, macro_f1, log_loss, test_loss.  Each knows whether
 * higher is better (max_dd_pct, vol_pct, rmse, mae, log_loss, test_loss:
 * lower is better).
 *
 * Group-by keys: cell, layers, hidden, lookback, dropout, seed, lr, batch,
 * epochs, weight_decay, "model" (cell + layers: lstm, lstm x2, gru, ...),
 * year, and every [strategy] field by its key (worker/strategy.h: kind,
 * threshold, min_prob, spacing, max_levels, tp, spread, ...).  A strategy
 * key groups the points that do not use it under "-".
 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdio.h>

#include "coordinator/plan.h"
#include "coordinator/results.h"

typedef struct {
    int         top;          /* leaderboard rows (default 10)                   */
    const char *metric;       /* ranking metric (default "sharpe")               */
    const char *by;           /* group-by key, or NULL for none                  */
    int         lookahead;    /* 1: include LOOK-AHEAD rows (motormap_peek)       */
} report_opts;

/* Check a metric / group-by name.  Returns 0 or RS_EINPUT: "unknown metric
 * 'sharp' (did you mean 'sharpe'? known: ...)". */
int report_check(const report_opts *o, rs_err *e);

/* Print the header (sweep name, tasks done/failed/planned, trials,
 * complete or not), the leaderboard, and, when o->by is set, the group
 * table.  p is the plan rebuilt from the file's INI (config_load_text +
 * plan_build): rows' model/strategy indices point into it.  Returns 0 or
 * RS_EINPUT (bad options, rows whose indices do not fit the plan) or
 * RS_EINTERNAL (out of memory). */
int report_print(const results_file *r, const sweep_plan *p, const report_opts *o, FILE *f,
                 rs_err *e);

/* A short label of a model / strategy point: plan_model_label /
 * plan_strategy_label (the one label the file and `show` share). */
void report_model_label(const sweep_plan *p, int model, char *buf, size_t n);
void report_strategy_label(const sweep_plan *p, int strategy, char *buf, size_t n);

/* Φ⁻¹(q), the standard normal quantile, 0 < q < 1 (Acklam's rational
 * approximation refined by one Halley step: ~1e-15 relative). */
double report_norm_quantile(double q);

/* Expected maximum of n skill-less trials' scores with cross-trial
 * standard deviation sd (the formula above); NAN when n < 2. */
double report_expected_max(int n, double sd);

/* NULL-terminated list of metric names. */
const char *const *report_metric_names(void);

#endif /* RS_REPORT_H */
