/*
 * verdict.h — is the winner skill or luck, and what would running the sweep
 * honestly have earned?  The statistics of a sweep (stats.h) applied to a
 * board (board.h) and the per-strategy series in the file's /series.
 *
 * Series points.  The series are stored per bar or per day ([run] series;
 * task.h, "Series resolution").  Everything below that says "bar" means a
 * series POINT: a bar of a per-bar series, a trading day of a daily one
 * (the day's bar returns compounded), annualised with the points per year
 * (task_points_per_year: bars_per_year × days / bars of the task).  A daily
 * series keeps its first point (it holds the first day's bars 1..), a
 * per-bar one drops its first bar as said below.  Compounded ROI agrees
 * between the two to float rounding; Sharpe, PBO and the correlations are
 * those of the daily points.  A file stored with series = none has no
 * points: every statistic here then says so in its why text.
 *
 * Stitched curves.  A trading configuration's STITCHED curve is its per-bar
 * returns of every fold, one period after the other, compounded: ROI % =
 * 100·(Π(1 + r) − 1), the Sharpe of those bars (annualised with the rows'
 * bars_per_year, risk-free 0, the metrics module's rules), and the max
 * drawdown of the compounded curve.  Each fold's first bar is left out: its
 * return is 0 by construction (task.h), as in the per-fold metrics.  For a
 * replicate group the bar return is the mean of its seeds' returns (an
 * equal-weight book of the replicates).  A fold whose seeds are not all ok
 * is left out of the curve (st_folds says how many are in).  Buy-and-hold
 * is compounded over the same bars from /series/bh (strategy 0's costs).
 *
 * Trials.  The deflated Sharpe and PBO need every trial on the same bars:
 * the trials are the trading configurations with a stitched curve over
 * EVERY fold, on the bars common to all of them (the intersection of their
 * timestamps; normally every test bar).
 *   - N = board.n_trials (every configuration that competed); V = the
 *     sample variance of the trials' per-bar Sharpes; N_eff = ρ̄ + (1 − ρ̄)·N
 *     with ρ̄ the mean pairwise correlation of the trials' bar returns,
 *     computed exactly in O(N·T) as (Σ_t (Σ_i z_it)² / (T − 1) − N') /
 *     (N'·(N' − 1)) over the N' trials whose curve is not constant.
 *   - The winner is the best-ranked trial of the board.  DSR against N and
 *     against N_eff; PSR against 0 and against buy-and-hold's Sharpe on the
 *     same bars.
 *   - PBO by CSCV with S blocks (verdict_opts.pbo_blocks, default 16) of
 *     the common bars, sizes differing by at most one bar; cost C(S, S/2) ·
 *     N · S steps (12870 · 16 · N at S = 16: about 0.1 s for 100 trials),
 *     beyond verdict_opts.pbo_budget a uniform sample of combinations.
 *
 * Walk-forward selection.  For each period P after the first, the top k
 * configurations by the board's metric over the periods before P (the
 * board's ranking rule) are traded in P: top-1 alone, and the top-k's bar
 * returns averaged (an equal-weight book); stitched over those periods and
 * set against buy-and-hold over the same bars.  A pick without a series
 * in P (its task diverged) is flat there (counted in wf_flat).
 *
 * Only trading boards have a verdict (a forecast metric ranks models, not
 * return streams): verdict.ok = 0 and `why` says so.
 */
#ifndef RS_VERDICT_H
#define RS_VERDICT_H

#include <stdint.h>

#include "coordinator/board.h"
#include "coordinator/stats.h"

typedef struct {
    int    pbo_blocks;        /* S, even, 2..30 (0: 16)                          */
    int    wf_top;            /* k of the top-k selection (0: 5)                 */
    double pbo_budget;        /* steps before PBO samples (0: 4e9)               */
} verdict_opts;

typedef struct {
    int         ok;           /* the DSR block below is valid                    */
    char        why[200];     /* when not                                        */
    int         winner;       /* board cfg index                                 */
    int         n_trials;     /* N                                               */
    int         n_complete;   /* trials on the common bars                       */
    double      rho, n_eff;
    long        T;            /* common series points                            */
    double      bpy;          /* annualisation of the winner's points
                                 (task_points_per_year)                          */
    char        unit[8];      /* "bar" or "day": what one point is               */
    stats_mom   wm;           /* the winner's bar returns                        */
    double      sr;           /* its per-bar Sharpe                              */
    double      var_sr;
    stats_dsr_t dsr, dsr_eff; /* against N, against N_eff                        */
    double      sr_bh, psr0, psr_bh;
    /* PBO */
    int         pbo_ok;
    char        pbo_why[200];
    stats_pbo_t pbo;
    /* walk-forward selection */
    int         wf_ok;
    char        wf_why[200];
    int         wf_k, wf_periods, wf_flat;
    int        *wf_picks;     /* [n_folds][wf_k] board cfg indices, -1 none       */
    double      wf_roi[2], wf_sharpe[2], wf_mdd[2];   /* top-1, top-k            */
    double      wf_bh_roi, wf_bh_sharpe;
    long        wf_n;         /* bars of the curves                               */
    int64_t    *wf_t;
    double     *wf_eq[2], *wf_bh_eq;                  /* equity, starting at 1    */
} verdict;

/* Compute the stitched columns of every trading configuration of b
 * (board_cfg.st_*) and the verdict.  Statistics that cannot be computed are
 * not errors: their ok flag is 0 and the why text says what was missing.
 * Returns 0, RS_EINPUT (bad options: PBO blocks odd or outside 2..30) or
 * RS_EINTERNAL (out of memory, or a task record that does not parse). */
int verdict_build(board *b, const verdict_opts *o, verdict *v, rs_err *e);
void verdict_free(verdict *v);               /* NULL fine; zeroes */

/* The stitched curve of trading configuration c: n points (one per bar),
 * timestamps, equity (starting at 1 before the first bar) and buy-and-hold
 * equity, all malloc'd.  Returns 0, RS_EINPUT (not a trading configuration)
 * or RS_EINTERNAL. */
int verdict_curve(const board *b, int c, int64_t **t, double **eq, double **bh, long *n, rs_err *e);

/* Paired comparison of a key's levels on matched cells (board_levels: the
 * same period and every other parameter equal, seeds averaged): each level
 * against the level of the best-ranked configuration (the reference, named
 * in ref[48]), diff = value − reference value, sign-flipped for a
 * lower-is-better metric so positive always means better.  B bootstrap
 * resamples of the periods (seeded, deterministic).  *out malloc'd, one per
 * other level that has matched cells.  Returns 0, RS_EINPUT (a key without
 * paired comparison), RS_EINTERNAL. */
typedef struct {
    char           label[48];
    stats_paired_t st;
} verdict_pair;

int verdict_paired(const board *b, int key, int B, char ref[48], verdict_pair **out, int *n_out, rs_err *e);

#endif /* RS_VERDICT_H */
