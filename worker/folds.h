/*
 * folds.h — walk-forward folds (by year, quarter or month) and chronological
 * holdout splits over a feature matrix's rows.
 *
 * Windows.  A window is identified by its END row e (inclusive): its inputs
 * are rows e-T+1 .. e (T = lookback) and its target y[e] depends on rows
 * e+1 .. e+h (h = horizon), so the rows a window touches are [e-T+1, e+h].
 * A window exists when its inputs are all past the feature warm-up
 * (e >= first_valid + T - 1) and its target is defined (e <= n-1-h).
 * Windows are views — fold_window() returns a pointer into the matrix —
 * never copies.
 *
 * Periods and fold ids.  A walk-forward test period is a calendar year, a
 * quarter or a month (fold_opts.period).  Each fold is named by an integer
 * period code, its id, and by the text of that code:
 *     year      2017                      "2017"
 *     quarter   20173 = year·10 + q       "2017Q3"
 *     month     201708 = year·100 + m     "2017-08"
 *     holdout   0 (FOLD_ID_HOLDOUT)       "holdout"
 * The code ranges never overlap (years have at most 4 digits), so a code
 * alone names a fold everywhere: task keys, the results file, `show`.  A
 * yearly fold's id is its year, as it always was, so yearly task keys are
 * unchanged.
 *
 * Walk-forward (scheme FOLD_WALKFORWARD).  For each test period P:
 *   test        every end row e whose timestamp lies in P.  (Its inputs may
 *               reach back into the embargo gap before P: that is past data
 *               at prediction time.)
 *   train span  end rows from the first window (expanding), or from the
 *               first row of the period K periods before P (rolling_periods
 *               = K), or of the year-long span K years before P's start
 *               (rolling_years = K), up to test_lo - E.
 *   validation  the last part of the train span — the last val_months
 *               months before P, or else the last val_frac of its windows —
 *               ending at test_lo - E; training then ends at val_lo - E.
 *               With neither option set there is no validation set.
 * Holdout (scheme FOLD_HOLDOUT): ONE fold over every window, in time order:
 *   the first train_frac of the windows train, the next val_frac validate,
 *   the last test_frac test (the fractions sum to 1; the tutorials'
 *   70 / 15 / 15), then the embargo is cut from the START of validation and
 *   of test, so the same disjointness holds.
 * E (the embargo, in bars) is at least T + h, so the rows touched by
 * training, validation and test windows are pairwise disjoint and in that
 * time order: e_train + h < e_val - T + 1, e_val + h < e_test - T + 1.
 * In particular no training or validation label reaches into the test.
 *
 * Scalers and fitted thresholds use only rows [fit_lo, fit_hi] =
 * [first training input row, last training end row] (features) or the
 * training end rows [train_lo, train_hi] (labels): see features.h.
 *
 * Timestamps are read at face value (the file's own clock); the period of
 * a row is that of series_year / month of t.
 */
#ifndef RS_FOLDS_H
#define RS_FOLDS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "worker/util.h"

enum { FOLD_OK = 0, FOLD_EMPTY = 1 };
enum { FOLD_YEAR = 0, FOLD_QUARTER = 1, FOLD_MONTH = 2 };          /* fold_opts.period */
enum { FOLD_WALKFORWARD = 0, FOLD_HOLDOUT = 1 };                   /* fold_opts.scheme */
#define FOLD_ID_HOLDOUT 0
#define FOLD_ID_MAX     12         /* bytes of a fold id's text, NUL included   */

extern const rs_enum FOLD_E_PERIOD[];    /* year, quarter, month               */
extern const rs_enum FOLD_E_SCHEME[];    /* walkforward, holdout               */

typedef struct {
    int     id;                  /* period code (above): 2017, 20173, 201708, 0        */
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
    int     scheme;          /* FOLD_WALKFORWARD | FOLD_HOLDOUT                        */
    int     period;          /* FOLD_YEAR | FOLD_QUARTER | FOLD_MONTH (walk-forward)   */
    int     rolling_periods; /* 0 = expanding; K > 0 = the K periods before the test   */
    int     rolling_years;   /* or the K years before the test period's start          */
    double  val_frac;        /* validation = this fraction (0..1) of the span's windows;
                                holdout: of all windows                                */
    int     val_months;      /* or the last this many months before the test (wins)    */
    int     first_id;        /* first test period (code); 0 = the one after the first window's */
    int     last_id;         /* last test period (code); 0 = the last window's         */
    double  train_frac;      /* holdout: first fraction of the windows                 */
    double  test_frac;       /* holdout: last fraction (train + val + test = 1)        */
    int64_t min_train;       /* fewer training windows makes the fold FOLD_EMPTY (0 = 1) */
} fold_opts;

/* Windows in an end-row range (0 when hi < lo). */
static inline int64_t fold_count(int64_t lo, int64_t hi) { return hi >= lo ? hi - lo + 1 : 0; }

/* The window ending at row e of a row-major [n][n_feat] matrix: T rows. */
static inline const float *fold_window(const float *x, int n_feat, int lookback, int64_t e) {
    return x + (e - lookback + 1) * (int64_t)n_feat;
}

/* Build the folds over the rows with timestamps t[0..n-1] (strictly
 * increasing), of which rows before first_valid hold warm-up values:
 * walk-forward, one fold per test period from first_id to last_id; or the
 * one holdout fold.  A fold whose test period has no window, whose
 * training has fewer than min_train windows, or whose requested validation
 * is empty gets status FOLD_EMPTY (not an error) so the sweep can record
 * it; its ranges are then still ordered but may be empty.
 * On success *out is a malloc'd array of *n_out folds the caller frees.
 * Returns 0, or RS_EINPUT (bad options: T or h < 1, embargo < T + h,
 * val_frac outside [0,1), a first/last id that is not a code of the period,
 * first after last, holdout fractions outside [0,1] or not summing to 1, no
 * window at all) / RS_EINTERNAL, with *out = NULL. */
int folds_build(const int64_t *t, int64_t n, int64_t first_valid, const fold_opts *o,
                fold **out, int *n_out, rs_err *e);

/* One line per fold: id, status, the three ranges with their sizes. */
void folds_describe(const fold *f, int n, const int64_t *t, FILE *out);

/* ---- fold ids ---------------------------------------------------------------- */

/* The text of a fold id ("2017", "2017Q3", "2017-08", "holdout"; "?" for
 * a code of no period) into buf (>= FOLD_ID_MAX bytes).  Returns buf. */
char *fold_id_text(int id, char *buf, size_t n);

/* Parse a fold id's text (the forms above) into *id.  Returns 0, or -1
 * when the text is not one. */
int fold_id_parse(const char *s, int *id);

/* The period kind of a code (FOLD_YEAR, _QUARTER, _MONTH), or -1 for the
 * holdout and for codes of no period. */
int fold_id_period(int id);

/* The calendar year of a walk-forward fold id (0 for the holdout). */
int fold_id_year(int id);

/* The id of the period of kind `period` containing time t. */
int fold_id_of(int period, int64_t t);

/* The first and last period codes of kind `period` in calendar year y:
 * (y, y), (y·10+1, y·10+4) or (y·100+1, y·100+12). */
void fold_id_year_span(int period, int y, int *first, int *last);

#endif /* RS_FOLDS_H */
