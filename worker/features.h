/*
 * features.h — causal features, targets and scalers over aligned series.
 *
 * Causality is the contract of this module: the feature value at bar t uses
 * bars <= t only; a target y[e] uses bars e+1 .. e+h and is only ever used
 * as a label; scalers and trend3 thresholds are fit on a fold's training
 * rows only (folds.h gives the ranges) and then applied unchanged to
 * validation and test.  Warm-up rows that cannot be computed hold NaN and
 * lie before `first_valid`, which folds_build excludes from every window —
 * nothing is ever back-filled from the future.
 *
 * Feature specs (config strings), one per instrument, comma-separated:
 *     close            the close (to be scaled per fold)
 *     open, high, low  the bar's raw open / high / low (scaled per fold;
 *                      needs has_ohlc)                              warm-up 0
 *     volume           the bar's raw volume (needs has_volume)      warm-up 0
 *     column:NAME      the bar's value of the price file's extra column NAME
 *                      (series.col, loaded via series_opts.keep), taken as
 *                      known at its own bar's close.  NAME: 1 to 23 letters,
 *                      digits, '_', '-', '.', matched case-insensitively
 *                      (kept lower-cased)                            warm-up 0
 *     logret           log(c[t] / c[t-1])                          warm-up 1
 *     range            log(high[t] / low[t])                      warm-up 0
 *     vol:N            sample std-dev (N-1) of the last N logrets  warm-up N
 *     sma:N            c[t] / mean(c[t-N+1..t]) - 1                warm-up N-1
 *     rsi:N            Wilder's RSI in [0, 100]: averages seeded with the
 *                      simple mean of the first N changes, then
 *                      a = (a*(N-1) + x) / N                       warm-up N
 *     macd:F:S:G       three columns: line = EMA_F(c) - EMA_S(c), signal =
 *                      EMA_G(line), hist = line - signal; each EMA seeded
 *                      with the simple mean of its first N inputs, alpha =
 *                      2/(N+1).  Default 12:26:9.        warm-up S-1 / S+G-2
 *     boll:N:K         (c - (m - K*sd)) / (2*K*sd) with m, sd the mean and
 *                      population std-dev of the last N closes (0.5 when
 *                      sd = 0): 0 at the lower band, 1 at the upper.
 *                      Default 20:2.                              warm-up N-1
 *     volratio:N       volume[t] / mean(volume[t-N+1..t]) (1 when the mean
 *                      is 0, e.g. FX files whose volume is always 0) warm-up N-1
 *     triangle[:A:B:C] log(cA) - log(cB) - log(cC) over instruments A, B, C
 *                      (indices into the series array; default 0:1:2),
 *                      e.g. EURUSD, EURGBP, GBPUSD                 warm-up 0
 * Periods without a value use the defaults vol:20, sma:20, rsi:14,
 * volratio:20.  Column names are "<instrument>.<feature><params>", e.g.
 * "EURUSD.rsi14", "EURUSD.macd12_26_9.signal", "triangle.EURUSD_EURGBP_GBPUSD",
 * "SPX.open", "SPX.column.sentiment".
 *
 * Targets over a horizon h (TARGET_*):
 *     return   y[e] = log(c[e+h] / c[e])                       (regression)
 *     price    y[e] = c[e+h]; scale it with a scaler fit on the training
 *              labels and report metrics after scaler_inverse
 *     trend3   0 = SHORT (r < lo), 1 = RANGE, 2 = LONG (r > hi) on the
 *              forward return r; lo/hi fixed (-theta, +theta) or fitted on
 *              each fold's training labels as their 1/3 and 2/3 quantiles.
 * y is float [n] with NaN where undefined (before first_valid, last h rows).
 */
#ifndef RS_FEATURES_H
#define RS_FEATURES_H

#include <stdint.h>

#include "worker/folds.h"
#include "worker/series.h"
#include "worker/util.h"

#define FEAT_MAX       128     /* columns of a feature matrix */
#define FEAT_ITEMS_MAX 64      /* items of a spec             */
#define FEAT_NAME_MAX  64
#define FEAT_COL_MAX   24      /* column:NAME: NAME of at most 23 characters */

enum { FEAT_CLOSE, FEAT_LOGRET, FEAT_RANGE, FEAT_VOL, FEAT_SMA, FEAT_RSI, FEAT_MACD,
       FEAT_BOLL, FEAT_VOLRATIO, FEAT_TRIANGLE, FEAT_OPEN, FEAT_HIGH, FEAT_LOW, FEAT_VOLUME,
       FEAT_COLUMN };

typedef struct {
    int    kind;       /* FEAT_*                                           */
    int    inst[3];    /* instrument index; the triangle's A, B, C         */
    int    n[3];       /* periods: N, or MACD's fast, slow, signal         */
    double k;          /* Bollinger width in standard deviations           */
    char   col[FEAT_COL_MAX]; /* FEAT_COLUMN: the column's name, lower case */
} feat_item;

typedef struct {
    int       n_items;
    feat_item item[FEAT_ITEMS_MAX];
} feat_spec;

/* Parse a spec string and APPEND its items to *spec, the per-instrument
 * ones for instrument `inst` (start from a zeroed feat_spec).
 * Returns 0, or RS_EINPUT with a message naming the bad token, e.g.
 * "features: 'rsi:x': period must be an integer >= 1",
 * "features: 'column:a b': a column name has only letters, digits, '_', '-' and '.'". */
int features_parse(const char *text, int inst, feat_spec *spec, rs_err *e);

/* Columns an item produces (3 for macd, else 1). */
int features_item_cols(const feat_item *it);

/* The canonical text of an item, the one the config's data hash is made of:
 * "<kind>[:params]@<instrument>", e.g. "rsi:14@SPX", "macd:12:26:9@SPX",
 * "boll:20:2@SPX" (K as %.17g), "triangle@EURUSD:EURGBP:GBPUSD",
 * "column:sentiment@SPX", "open@SPX".  inst_names[i] names instrument i
 * (an index outside 0..n_inst-1 prints "?").  Writes at most n bytes
 * including the NUL (buf may be NULL when n is 0) and returns the length
 * of the whole text, like snprintf.  Changing this text for an existing
 * item changes the data hash of existing configs (tests/test_config.c pins it). */
size_t features_item_canon(const feat_item *it, const char *const *inst_names, int n_inst,
                           char *buf, size_t n);

typedef struct {
    int64_t n_rows;                        /* rows = bars of the aligned series       */
    int     n_feat;                        /* columns                                 */
    float  *x;                             /* [n_rows][n_feat] row-major, NaN in warm-up */
    int64_t first_valid;                   /* first row where every column is defined */
    int64_t warmup[FEAT_MAX];              /* per column: its first defined row       */
    char    names[FEAT_MAX][FEAT_NAME_MAX];/* per column: "EURUSD.rsi14"...           */
} feat_matrix;

/* Compute the spec's columns over k aligned series (identical timestamps:
 * series_align them first).  Values are computed in double and stored as
 * float.  Columns are computed in parallel (OpenMP), each sequentially, so
 * the result is the same bits whatever the thread count.
 * Returns 0, or RS_EINPUT (series not aligned, an instrument index >= k,
 * range / open / high / low on a series without high/low, volratio or
 * volume without volume, column:NAME on a series that did not keep NAME
 * ("features: column:mood needs the column 'mood' of SPX, and SPX keeps
 * none" / "keeps only: sentiment"), a non-positive price) / RS_EINTERNAL,
 * with *m empty.  Free with features_free. */
int features_compute(const series *s, int k, const feat_spec *spec, feat_matrix *m, rs_err *e);

/* Release m->x and zero *m (NULL fine). */
void features_free(feat_matrix *m);

/* ---- targets -------------------------------------------------------------- */

enum { TARGET_RETURN = 0, TARGET_PRICE = 1, TARGET_TREND3 = 2 };
enum { TREND3_SHORT = 0, TREND3_RANGE = 1, TREND3_LONG = 2 };

/* "return" / "price" / "trend3" -> TARGET_*.  Returns 0 or RS_EINPUT. */
int targets_parse(const char *name, int *kind, rs_err *e);

/* y[e] for kind TARGET_RETURN (and the forward return trend3 is built on)
 * or TARGET_PRICE, from the close of `s`, horizon h >= 1; NaN for
 * e < first_valid and e > n-1-h.  y has s->n floats (caller-owned).
 * Returns 0 or RS_EINPUT (h < 1, TARGET_TREND3: use targets_trend3). */
int targets_compute(const series *s, int kind, int h, int64_t first_valid, float *y, rs_err *e);

typedef struct {
    double  lo, hi;        /* SHORT when r < lo, LONG when r > hi, else RANGE     */
    int64_t count[3][3];   /* [train, val, test][SHORT, RANGE, LONG] window labels */
} trend3_info;

/* Classes from the forward returns `fwd` (targets_compute TARGET_RETURN) for
 * one fold: thresholds (-theta, +theta) when fit_quantiles is 0, else the
 * 1/3 and 2/3 quantiles (linear interpolation) of fwd over the fold's
 * training end rows only.  y[i] = class as float, NaN where fwd is NaN.
 * Fills *info (thresholds and the class counts per set).
 * Returns 0, RS_EINPUT (theta < 0, a FOLD_EMPTY fold when fitting, NaN in
 * the training labels) or RS_EINTERNAL. */
int targets_trend3(const float *fwd, int64_t n, const fold *f, int fit_quantiles, double theta,
                   float *y, trend3_info *info, rs_err *e);

/* ---- scalers ------------------------------------------------------------- */

enum { SCALE_NONE = 0, SCALE_MINMAX = 1, SCALE_ZSCORE = 2 };

/* x' = (x - off) / div per column: min-max maps the fit rows to [0, 1]
 * (div = max - min), z-score to mean 0 / std 1 (population std); div = 1
 * when the column is constant, SCALE_NONE is off 0 / div 1. */
typedef struct {
    int    kind;            /* SCALE_*          */
    int    n_feat;          /* columns          */
    double off[FEAT_MAX];
    double div[FEAT_MAX];
} scaler;

/* "none" / "minmax" / "zscore" -> SCALE_*.  Returns 0 or RS_EINPUT. */
int scaler_parse(const char *name, int *kind, rs_err *e);

/* Fit on rows [row_lo, row_hi] (inclusive) of the row-major [..][n_feat]
 * matrix x — for features a fold's [fit_lo, fit_hi], for a price target
 * (n_feat = 1, x = y) its [train_lo, train_hi].  Sums in double, rows in
 * order: the same bits for the same rows.  Returns 0, or RS_EINPUT for an
 * empty range, n_feat outside 1..FEAT_MAX or a NaN/inf inside the range. */
int scaler_fit(scaler *s, int kind, const float *x, int n_feat, int64_t row_lo, int64_t row_hi,
               rs_err *e);

/* out[r][j] = (in[r][j] - off[j]) / div[j] for n_rows rows; in == out is
 * allowed; NaN stays NaN.  The worker scales a fold's copy of the matrix
 * once and takes every window as a view of it. */
void scaler_apply(const scaler *s, const float *in, float *out, int64_t n_rows);

/* One value forward / back through column j (for targets and metrics). */
double scaler_forward(const scaler *s, int j, double v);
double scaler_inverse(const scaler *s, int j, double v);

#endif /* RS_FEATURES_H */
