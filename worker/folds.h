/*
 * folds.h — yearly walk-forward folds over a feature matrix's rows.
 *
 * Windows.  A window is identified by its END row e (inclusive): its inputs
 * are rows e-T+1 .. e (T = lookback) and its target y[e] depends on rows
 * e+1 .. e+h (h = horizon), so the rows a window touches are [e-T+1, e+h].
 * A window exists when its inputs are all past the feature warm-up
 * (e >= first_valid + T - 1) and its target is defined (e <= n-1-h).
 * Windows are views — fold_window() returns a pointer into the matrix —
 * never copies.
 *
 * Folds.  For each test year Y:
 *   test        every end row e whose timestamp lies in calendar year Y.
 *               (Its inputs may reach back into the embargo gap before Y:
 *               that is past data at prediction time.)
 *   train span  end rows from the first window (expanding) or from the
 *               first row of year Y-K (rolling, K = rolling_years) up to
 *               test_lo - E.
 *   validation  the last part of the train span — the last val_months
 *               months before Y, or else the last val_frac of its windows —
 *               ending at test_lo - E; training then ends at val_lo - E.
 *               With neither option set there is no validation set.
 * E (the embargo, in bars) is at least T + h, so the rows touched by
 * training, validation and test windows are pairwise disjoint and in that
 * time order: e_train + h < e_val - T + 1, e_val + h < e_test - T + 1.
 * In particular no training or validation label reaches into year Y.
 *
 * Scalers and fitted thresholds use only rows [fit_lo, fit_hi] =
 * [first training input row, last training end row] (features) or the
 * training end rows [train_lo, train_hi] (labels): see features.h.
 *
 * Timestamps are read at face value; the year of a row is series_year(t).
 */
#ifndef RS_FOLDS_H
#define RS_FOLDS_H

#include <stdint.h>
#include <stdio.h>

#include "worker/util.h"

enum { FOLD_OK = 0, FOLD_EMPTY = 1 };

typedef struct {
    int     year;                /* test year Y                                        */
    int     status;              /* FOLD_OK, or FOLD_EMPTY: a set has too few windows  */
    int64_t train_lo, train_hi;  /* training window end rows, inclusive                */
    int64_t val_lo, val_hi;      /* validation end rows (empty when val_lo > val_hi)   */
    int64_t test_lo, test_hi;    /* test end rows                                      */
    int64_t fit_lo, fit_hi;      /* rows scalers may see: [train_lo - T + 1, train_hi] */
} fold;

typedef struct {
    int     lookback;        /* T >= 1                                                 */
    int     horizon;         /* h >= 1                                                 */
    int64_t embargo;         /* E bars between sets; 0 = T + h; 0 < E < T + h is an error */
    int     rolling_years;   /* 0 = expanding training; K > 0 = the K years before Y   */
    double  val_frac;        /* validation = this fraction (0..1) of the span's windows */
    int     val_months;      /* or the last this many months before Y (wins when > 0)  */
    int     first_year;      /* first test year; 0 = the year after the first window  */
    int     last_year;       /* last test year; 0 = the year of the last window        */
    int64_t min_train;       /* fewer training windows makes the fold FOLD_EMPTY (0 = 1) */
} fold_opts;

/* Windows in an end-row range (0 when hi < lo). */
static inline int64_t fold_count(int64_t lo, int64_t hi) { return hi >= lo ? hi - lo + 1 : 0; }

/* The window ending at row e of a row-major [n][n_feat] matrix: T rows. */
static inline const float *fold_window(const float *x, int n_feat, int lookback, int64_t e) {
    return x + (e - lookback + 1) * (int64_t)n_feat;
}

/* Build one fold per test year from first_year to last_year over the rows
 * with timestamps t[0..n-1] (strictly increasing), of which rows before
 * first_valid hold warm-up values.  A fold whose test year has no window,
 * whose training has fewer than min_train windows, or whose requested
 * validation is empty gets status FOLD_EMPTY (not an error) so the sweep can
 * record it; its ranges are then still ordered but may be empty.
 * On success *out is a malloc'd array of *n_out folds the caller frees.
 * Returns 0, or RS_EINPUT (bad options: T or h < 1, embargo < T + h,
 * val_frac outside [0,1), first_year > last_year, no window at all) /
 * RS_EINTERNAL, with *out = NULL. */
int folds_build(const int64_t *t, int64_t n, int64_t first_valid, const fold_opts *o,
                fold **out, int *n_out, rs_err *e);

/* One line per fold: year, status, the three ranges with their sizes. */
void folds_describe(const fold *f, int n, const int64_t *t, FILE *out);

#endif /* RS_FOLDS_H */
