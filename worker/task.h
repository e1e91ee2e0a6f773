/*
 * task.h — one sweep task, end to end, with no MPI and no files: for a
 * (model point, fold) it builds the fold, fits the scalers and labels
 * on training rows only, trains, predicts the test year once, scores the
 * forecast against its baselines, and backtests every strategy point on
 * those same predictions (DESIGN.md, "train once, evaluate many").
 *
 * The result is ONE packed byte buffer (layout below).  The same bytes are
 * what a worker sends to the coordinator (MPI_BYTE), what the journal
 * stores, and what the HDF5 writer reads — so a result is never converted
 * between three representations, and a resumed sweep replays exactly the
 * bytes an uninterrupted one would have written.
 *
 * Packed layout (native byte order; every block starts 8-byte aligned):
 *     task_head                       fixed size
 *     task_row   rows[n_strat]        one per strategy point, plan order
 *     int64_t    t[n_test]            timestamp of each test end row
 *     double     y[n_test]            the truth in target units: log return
 *                                     (return), price (price), class id 0..2
 *                                     (trend3)
 *     double     pred[n_test][n_out]  the prediction made at that bar's close
 *                                     (regression: target units; trend3:
 *                                     probabilities SHORT, RANGE, LONG)
 *     float      ret[n_strat][n_pts]  strategy returns per series point
 *                                     (below): per bar equity[t]/equity[t-1]
 *                                     - 1 (ret[.][0] = 0)
 *     float      bh[n_pts]            buy-and-hold returns per point (strategy
 *                                     0's costs and account)
 *     int32_t    pt_end[n_pts]        series "day" only: the test bar (index
 *                                     into t) that closes each point
 *     int32_t    trades[n_strat][n_pts] series "day" only: the trades each
 *                                     strategy completed in each point
 *     int8_t     corr[n_corr][n_test] trend3: the class of each test bar after
 *                                     each correction point (strategy.h:
 *                                     strategy_corrections order; "none" is
 *                                     the network's argmax class)
 *     double     curve[n_curve][2]    the learning curve: mean training loss
 *                                     and validation loss (NaN without one)
 *                                     of every epoch run; head best_epoch
 *                                     names the epoch whose weights were kept
 *     uint8_t    tr_net[n_trcls]      trend3: the network's class on each
 *     uint8_t    tr_true[n_trcls]     training window (in time order) and the
 *                                     window's label — what a motor map learns
 *                                     from, so a correction added later is
 *                                     re-evaluated without retraining
 *     uint8_t    weights[n_weights]   the trained weights, rnn_blob_write's
 *                                     bytes ([run] save_weights = 1; else 0)
 * A task that could not produce predictions (status EMPTY, DIVERGED,
 * FAILED) has n_test = 0: rows only, no series (a diverged task keeps its
 * curve).
 *
 * Series resolution (head series, n_pts; [run] series, config.h).  The
 * per-bar blocks t, y, pred (what re-evaluation and the report need) are
 * always kept; the per-STRATEGY series are stored at one of
 *   TASK_SERIES_BAR   one point per test bar: n_pts = n_test, ret and bh
 *                     are the per-bar returns (float of the engine's
 *                     double), no pt_end / trades blocks — version 4's
 *                     layout exactly;
 *   TASK_SERIES_DAY   one point per trading day of the test period: a day
 *                     is the calendar date of the bar timestamp in the
 *                     data's own clock (floor(t / 86400); HistData's clock
 *                     is New York local time, daylight saving included,
 *                     so a day runs 00:00 to 24:00 New York), and only
 *                     days with a test bar are points.
 *                     ret[s][k] = (float)(prod over the day's bars b of
 *                     (1 + r_b) - 1), the engine's double per-bar returns
 *                     r_b compounded in double; bh likewise; pt_end[k] the
 *                     day's last bar, trades[s][k] the trades the strategy
 *                     completed (closed) in that day's bars;
 *   TASK_SERIES_NONE  no per-strategy series: n_pts = 0.
 * A record without test bars (n_test = 0) is always written as per bar with
 * 0 points (task_pack_points), whatever was asked.
 * Every row metric (ROI, Sharpe, drawdown, trades, ...) is computed from
 * the per-bar run whatever the resolution: the resolution changes the
 * stored series only.  The size per added strategy point is then
 * sizeof(task_row) + n_pts * 4 (bar) or n_pts * 8 (day) bytes.
 *
 * Versions.  3 had no curve, training classes or weights (head without
 * n_curve .. reevaluated); 4 had no series resolution (head without series,
 * n_pts: every series per bar).  task_upgrade turns such a record into this
 * version's bytes (the missing blocks empty, a version-3/4 series read as
 * TASK_SERIES_BAR), so journals and files of previous versions still resume.
 *
 * Determinism: the bytes depend only on the data, the input (spec, options,
 * strategies, keys, fold id) and nothing else — not on the thread count, the
 * rank, or the time — EXCEPT the fields marked (runtime) in task_head
 * (rank, host, BLAS kernel, timings).  Task rows carry no runtime field.
 *
 * Honest evaluation (features.h, folds.h): the feature scaler is fit on the
 * fold's [fit_lo, fit_hi] rows, a price-target scaler and trend3 quantile
 * thresholds on its training labels only; test bars are traded by
 * backtest_run, which acts on a prediction from the next bar's open.
 */
#ifndef RS_TASK_H
#define RS_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "worker/backtest.h"
#include "worker/folds.h"
#include "worker/metrics.h"
#include "worker/rnn.h"
#include "worker/train.h"
#include "worker/util.h"

#define TASK_MAGIC   0x52535431u   /* "RST1": a packed task result              */
#define TASK_VERSION 5u   /* 2: fold ids, corrections, class details; 3: host, BLAS kernel;
                             4: learning curve, training classes, weights, reevaluated;
                             5: series resolution (series, n_pts, pt_end, trades) */
#define TASK_VERSION_OLDEST 3u  /* the oldest version task_upgrade reads */
#define TASK_MSG_MAX 200
#define TASK_HOST_MAX 64
/* Sanity bounds task_view_parse puts on a record's counts before it
 * computes the record's length from them: far above any real sweep (10^7
 * strategy points, 10^9 test bars: 30 years of 1-second bars), low enough
 * that the length cannot overflow size_t. */
#define TASK_MAX_STRAT 10000000
#define TASK_MAX_TEST  1000000000
#define TASK_MAX_EPOCHS 100000       /* the config's bound on [training] epochs   */
#define TASK_MAX_WEIGHTS ((int64_t)1 << 40)
#define TASK_BLAS_MAX 32

/* Task status (task_head.status and every task_row.status). */
enum {
    TASK_OK       = 0,   /* trained, predicted, backtested                       */
    TASK_DIVERGED = 1,   /* training diverged (NaN / exploding loss): no metrics */
    TASK_EMPTY    = 2,   /* the fold has too few windows (FOLD_EMPTY)            */
    TASK_FAILED   = 3    /* anything else; task_head.message says what           */
};

/* Series resolution (task_head.series, task_input.series; "Series
 * resolution" above). */
enum { TASK_SERIES_BAR = 0, TASK_SERIES_DAY = 1, TASK_SERIES_NONE = 2 };
#define TASK_DAY_SECONDS 86400   /* a day point: floor(t / TASK_DAY_SECONDS) */
/* The day rule in words: stored as the results file's /series attribute
 * day_rule and quoted by README.md. */
#define TASK_DAY_RULE "calendar date of the bar timestamp in the data's clock: floor(t / 86400)"

/* "bar", "day", "none" ("?" for another value). */
const char *task_series_name(int series);

/* The points of a test period at resolution series: for TASK_SERIES_DAY
 * writes pt_end[k] (room for n_test) = the index of the last bar of the
 * k-th day of t[n_test] (ascending timestamps) and returns the number of
 * days; TASK_SERIES_BAR returns n_test, TASK_SERIES_NONE 0 (pt_end
 * untouched, may be NULL for both). */
int task_series_points(int series, const int64_t *t, int n_test, int32_t *pt_end);

/* The name of a status ("ok", "diverged", "empty", "failed", "?"). */
const char *task_status_name(int status);

/* printf into a task message (task_head.message, TASK_MSG_MAX bytes),
 * truncated to TASK_MSG_MAX - 1 characters and always terminated. */
void task_msg_set(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What every task of a sweep shares: set once per sweep on rank 0 and
 * broadcast.  Plain data. */
typedef struct {
    int       target_kind;     /* TARGET_RETURN | TARGET_PRICE | TARGET_TREND3   */
    int       horizon;         /* h >= 1                                         */
    int       trend3_fit;      /* 1: training quantiles, 0: +-trend3_theta       */
    double    trend3_theta;
    int       target_scaler;   /* SCALE_*: TARGET_PRICE labels only               */
    int       feat_scaler;     /* SCALE_* of the features                        */
    fold_opts folds;           /* walk-forward options; .lookback is set per task */
} task_setup;

/* The prepared data of a sweep: the aligned rows of every instrument's
 * features, the raw target, and the bars of the TRADED instrument (the
 * first in [data] instruments).  Flat arrays so they broadcast as they are.
 * Built by the coordinator (task_data_alloc, then filled); workers receive
 * it.  Rows before first_valid are feature warm-up (NaN). */
typedef struct {
    task_setup setup;
    int64_t    n;              /* rows                                            */
    int        n_feat;         /* feature columns                                 */
    int64_t    first_valid;    /* first row where every feature is defined        */
    double     bar_seconds;    /* modal bar length of the traded instrument       */
    int64_t   *t;              /* [n] timestamps                                  */
    float     *x;              /* [n][n_feat] features, unscaled                  */
    float     *y;              /* [n] target_kind RETURN / TREND3: the forward log
                                  return log(c[e+h]/c[e]); PRICE: c[e+h]; NaN where
                                  undefined                                       */
    double    *bars;           /* [4][n] open | high | low | close, traded instrument */
    int        n_inst;         /* instruments in [data] order                     */
    double    *close;          /* [n_inst][n] every instrument's close: the motor
                                  map's input                                     */
    void      *block;          /* the one allocation behind t, x, y, bars, close   */
    size_t     block_bytes;
} task_data;

/* Allocate the arrays of a task_data for n rows of n_feat features and
 * n_inst instruments in one block (t, x, y, bars, close set as views; contents uninitialised except the
 * alignment padding between arrays, which is zeroed because the whole block
 * is hashed and broadcast; setup and the
 * scalars untouched).  Returns 0 or RS_EINTERNAL. */
int  task_data_alloc(task_data *d, int64_t n, int n_feat, int n_inst, rs_err *e);
void task_data_free(task_data *d);          /* NULL fine; zeroes *d */

/* One task's input.  Not owned: task_run only reads it. */
typedef struct {
    uint64_t            task_key;    /* plan_task_key                             */
    uint64_t            model_key;
    int                 fold_id;     /* the fold (folds.h id: 2017, 20173, 0 ...)  */
    rnn_spec            spec;        /* n_in = data n_feat, head/n_out from the
                                        target, seeds set (plan_task_spec)         */
    rnn_train_opts      opts;        /* seed set                                   */
    int                 stride;      /* train on every stride-th window (0 = 1)    */
    int                 max_windows; /* at most this many, the latest; 0 = all     */
    int                 n_strat;     /* >= 1                                       */
    const bt_strategy  *strat;       /* [n_strat], each passes backtest_check      */
    const uint64_t     *strat_key;   /* [n_strat] strategy keys                    */
    int                 rank;        /* (runtime) recorded in the head             */
    const char         *label;       /* (runtime) what progress lines call the
                                        model ("lstm 300x300"); NULL: its key      */
    double              progress_every; /* (runtime) seconds between progress lines
                                        on stderr for a long task; 0 = none        */
    const char         *host;        /* (runtime) node name, recorded (NULL: "")   */
    const char         *blas;        /* (runtime) the BLAS kernel in use, e.g.
                                        OpenBLAS's core name "Haswell": GEMM
                                        results differ by kernel (NULL: "")       */
    int                 save_weights;/* 1: the record carries the trained weights  */
    int                 series;      /* TASK_SERIES_*: the per-strategy series'
                                        resolution (0 = per bar)                   */
} task_input;

/* Fixed head of a packed result. */
typedef struct {
    uint32_t magic;                  /* TASK_MAGIC                                 */
    uint32_t version;                /* TASK_VERSION                               */
    uint64_t task_key;
    uint64_t model_key;
    int32_t  fold_id;                /* folds.h id: 2017, 20173 (2017Q3), 0 ...    */
    int32_t  status;                 /* TASK_*                                     */
    int32_t  n_strat;                /* rows that follow                           */
    int32_t  n_test;                 /* test bars in the series (0: no series)     */
    int32_t  n_out;                  /* prediction width: 1 or 3                   */
    int32_t  n_corr;                 /* correction points in the series (trend3)   */
    int32_t  epochs_run;
    int32_t  best_epoch;
    int32_t  rank;                   /* (runtime) rank that ran it                 */
    int64_t  steps;                  /* optimiser steps                            */
    double   sec_train;              /* (runtime) wall seconds: training           */
    double   sec_predict;            /* (runtime) prediction + forecast metrics    */
    double   sec_backtest;           /* (runtime) every strategy + buy-and-hold    */
    double   sec_total;              /* (runtime) the whole task_run               */
    char     host[TASK_HOST_MAX];    /* (runtime) the node that ran it             */
    char     blas[TASK_BLAS_MAX];    /* (runtime) its BLAS kernel                  */
    char     message[TASK_MSG_MAX];  /* "" when OK; why it is EMPTY/DIVERGED/FAILED */
    /* version 4 (a version-3 head ends here) */
    int32_t  n_curve;                /* epochs in the curve block (epochs_run)     */
    int32_t  n_trcls;                /* trend3: training windows with classes      */
    int64_t  n_weights;              /* bytes of the weights blob (0: not saved)   */
    int32_t  reevaluated;            /* (runtime) 1: the rows were re-evaluated
                                        from stored predictions (task_reevaluate);
                                        rank, host, blas, sec_train, sec_predict
                                        are the training's                         */
    int32_t  pad_;                   /* 0                                          */
    /* version 5 (a version-4 head ends here) */
    int32_t  series;                 /* TASK_SERIES_*                              */
    int32_t  n_pts;                  /* series points per strategy (bar: n_test;
                                        day: days; none or n_test = 0: 0)          */
} task_head;

/* One result row: (task, strategy).  Fixed size, no pointers, no runtime
 * field: written as one HDF5 compound row.  Forecast fields are the task's
 * (equal on every row of a task).  Metrics that do not apply are NaN:
 * regression fields for trend3, class fields for return/price, and every
 * metric of a task that is not OK.  Trading fields are zero when the task
 * is not OK (trading.flags = 0, and status says why). */
typedef struct {
    uint64_t   task_key;
    uint64_t   model_key;
    uint64_t   strategy_key;
    int32_t    fold_id;              /* folds.h id of the test period              */
    int32_t    status;               /* TASK_*                                     */
    int32_t    model;                /* index in /plan/models; -1 until the
                                        coordinator maps the key                   */
    int32_t    strategy;             /* index in /plan/strategies; -1 likewise     */
    int32_t    epochs_run;
    int32_t    best_epoch;
    int32_t    n_train;              /* windows                                     */
    int32_t    n_val;
    int32_t    n_test;
    int32_t    correction;           /* this row's correction point (index into the
                                        task's corr series; 0 without trend3)       */
    int32_t    lookahead;            /* 1: the correction reads the future
                                        (motormap_peek): a diagnostic, never ranked */
    int32_t    confusion[3][3];      /* trend3: [true][predicted] test counts after
                                        this row's correction                       */
    int32_t    class_count[3][3];    /* trend3: [train, val, test][SHORT, RANGE,
                                        LONG] labels of the windows used             */
    int32_t    pad_;                 /* 0                                           */
    double     train_loss;           /* last epoch's mean training loss             */
    double     val_loss;             /* best validation loss (NaN without one)      */
    double     test_loss;            /* the model's loss on the test windows        */
    /* forecast, regression (return / price): price targets score rmse, mae,
       r2 in price units and dir_acc on the implied return log(pred/c[e]) */
    double     rmse, mae, r2, dir_acc;
    /* forecast, trend3, after this row's correction (log_loss only without
       one: a corrected trend is a hard class) */
    double     accuracy, macro_f1, log_loss;
    double     precision[3], recall[3];   /* per class; NaN when undefined   */
    double     trend_lo, trend_hi;   /* the fold's trend3 thresholds (fit on the
                                        training labels, or ±theta)               */
    /* baselines: persistence (regression) and training-majority (trend3) */
    double     base_rmse, base_mae, base_r2, base_dir_acc;
    double     base_accuracy, base_macro_f1, base_log_loss;
    /* buy-and-hold over the test bars, this strategy's costs and account */
    double     bh_roi_pct, bh_sharpe, bh_max_dd_pct;
    /* the strategy */
    mt_trading trading;
} task_row;

/* A growable byte buffer a worker reuses for every task. */
typedef struct {
    unsigned char *p;
    size_t         len, cap;
} task_buf;

void task_buf_free(task_buf *b);            /* NULL fine; zeroes *b */

/* Zero-copy view of a packed result. */
typedef struct {
    const task_head *h;
    const task_row  *rows;           /* [n_strat]                                   */
    const int64_t   *t;              /* [n_test]  (NULL when n_test = 0)            */
    const double    *y;              /* [n_test]                                    */
    const double    *pred;           /* [n_test][n_out]                             */
    const float     *ret;            /* [n_strat][n_pts] (NULL when n_pts = 0)      */
    const float     *bh;             /* [n_pts]                                     */
    const int32_t   *pt_end;         /* [n_pts] day: each point's last bar (NULL
                                        otherwise: point k is bar k)               */
    const int32_t   *trades;         /* [n_strat][n_pts] day (NULL otherwise)       */
    const int8_t    *corr;           /* [n_corr][n_test] (NULL without)             */
    const double    *curve;          /* [n_curve][2] (NULL without)                 */
    const uint8_t   *tr_net;         /* [n_trcls] (NULL without)                    */
    const uint8_t   *tr_true;        /* [n_trcls]                                   */
    const void      *weights;        /* [n_weights] bytes (NULL without)            */
    size_t           bytes;          /* the packed length                           */
} task_view;

/* The timestamp of series point k of v (0 <= k < n_pts): the bar's for a
 * per-bar series, the day's last bar's for a daily one. */
int64_t task_point_time(const task_view *v, int k);

/* Points per year of row j's series: the row's trading.bars_per_year for
 * a per-bar series; for a daily one bars_per_year * n_pts / n_test,
 * the same calendar span counted in points (what stats and verdict
 * annualise a daily Sharpe with); 0 without a series. */
double task_points_per_year(const task_view *v, int j);

/* The blocks a record may carry besides its series (task_pack_extras);
 * any may be NULL when its count in the head is 0. */
typedef struct {
    const double  *curve;            /* [n_curve][2]                                */
    const uint8_t *tr_net, *tr_true; /* [n_trcls] each                              */
    const void    *weights;          /* [n_weights] bytes                           */
} task_extras;

/* Bytes of a packed result with these counts and no curve, training
 * classes or weights. */
size_t task_packed_size(int n_strat, int n_test, int n_out, int n_corr);
/* Bytes of a packed result with the counts of head h (all blocks). */
size_t task_packed_size_of(const task_head *h);

/* Validate a packed buffer (magic, version, counts, length exactly
 * task_packed_size) and set *v to views into it.  Returns 0, or RS_EINPUT
 * ("task record: ...") for anything inconsistent.  buf must be 8-byte
 * aligned (malloc'd buffers are). */
int task_view_parse(const void *buf, size_t len, task_view *v, rs_err *e);

/* Build a packed result from parts (used by task_run, and by readers that
 * reconstruct records from a results file).  out is resized as needed.
 * t/y/pred/ret/bh/corr may be NULL when n_test = 0 (corr also when
 * h->n_corr = 0).  Returns 0 or RS_EINTERNAL. */
int task_pack(task_buf *out, const task_head *h, const task_row *rows,
              const int64_t *t, const double *y, const double *pred,
              const float *ret, const float *bh, const int8_t *corr, rs_err *e);
/* The same with the curve, training classes and weights of x (x may be
 * NULL when h->n_curve, n_trcls and n_weights are 0). */
int task_pack_extras(task_buf *out, const task_head *h, const task_row *rows,
                     const int64_t *t, const double *y, const double *pred,
                     const float *ret, const float *bh, const int8_t *corr,
                     const task_extras *x, rs_err *e);

/* The per-strategy series of a record at a resolution other than per bar
 * (task_pack_points): h->series and h->n_pts say which; ret [n_strat][n_pts],
 * bh [n_pts], and for TASK_SERIES_DAY pt_end [n_pts] and trades
 * [n_strat][n_pts]; all may be NULL when n_pts = 0. */
typedef struct {
    const float   *ret, *bh;
    const int32_t *pt_end, *trades;
} task_points;

/* task_pack_extras with the series of pts (NULL: h->n_pts must be 0 or
 * the resolution per bar, the series then ret / bh of the arguments).
 * task_pack and task_pack_extras write a per-bar series (they set
 * series = BAR, n_pts = n_test). */
int task_pack_points(task_buf *out, const task_head *h, const task_row *rows,
                     const int64_t *t, const double *y, const double *pred,
                     const task_points *pts, const int8_t *corr, const task_extras *x, rs_err *e);

/* The version of a record (its head's, once the magic and the length of a
 * head are there), or 0 when buf is not a task record at all. */
uint32_t task_record_version(const void *buf, size_t len);

/* A record of version TASK_VERSION_OLDEST .. TASK_VERSION into this
 * version's bytes in *out (a copy for the current version): the head's new
 * fields 0, no curve, training classes or weights.  Returns 0, or RS_EINPUT
 * ("task record: ...") when the record does not parse as its version, or
 * RS_EINTERNAL. */
int task_upgrade(const void *buf, size_t len, task_buf *out, rs_err *e);

/* 0 when buf[len] is a well-formed record of a version task_upgrade reads
 * (this version: task_view_parse's checks), else RS_EINPUT with why. */
int task_record_check(const void *buf, size_t len, rs_err *e);

/* Run one task and write its packed result into *out.  Task-level problems
 * (an empty fold, divergence, a label NaN, a strategy the data cannot
 * support) are NOT errors: they give a result with that status and a
 * message.  Returns non-zero only when no result can be produced at all
 * (out of memory: RS_EINTERNAL; inconsistent input such as spec.n_in !=
 * d->n_feat or n_strat < 1: RS_EINPUT; in->opts.stop asked to stop, during
 * training or between strategy points: RS_EDRAIN — the task was abandoned
 * and reruns), with *e filled.  Uses OpenMP
 * threads through the RNN engine; allocates per task, never per step.
 *
 * Details the layout above leaves open:
 *   - The fold is folds_build's for id in->fold_id with d->setup.folds,
 *     lookback spec.seq_len and horizon d->setup.horizon; options it
 *     refuses make the task FAILED with its message.
 *   - Inconsistent input (RS_EINPUT, *out untouched) also covers a head
 *     that does not match the target (trend3: RNN_HEAD_CLS with 3 outputs;
 *     return / price: RNN_HEAD_REG with 1), a spec or training options that
 *     rnn_spec_check / rnn_train_opts_check refuse, and a strategy that
 *     backtest_check refuses.
 *   - Windows trained (stride, max_windows): every stride-th training and
 *     validation end row counting back from the latest of each set, and
 *     at most max_windows training windows, the most recent; a cap moves
 *     the training span's start to the first window kept, so scalers,
 *     trend3 thresholds and the majority-class prior are fit on exactly
 *     the training windows used.  Every test window is evaluated.  Row
 *     n_train / n_val count the windows actually used.
 *   - Rows of a task that is not OK still carry n_train / n_val (the
 *     fold's windows, once it was built) and, once training ran, epochs and
 *     train / val losses; row n_test is the number of test windows scored,
 *     0 unless OK (as head n_test).
 *   - test_loss is the model's own loss on the test windows: for a price
 *     target the MSE of the SCALED price.
 *   - A price prediction <= 0 has no implied return to trade on: the task
 *     is FAILED.
 *   - The curve (every epoch run) is kept whenever training ran, even when
 *     the task is not OK; training classes (trend3) and weights
 *     (in->save_weights) only with an OK task's series.  Training classes
 *     cost one forward pass over the training windows. */
int task_run(const task_data *d, const task_input *in, task_buf *out, rs_err *e);

/* The test predictions of task in made with stored weights (blob[len],
 * rnn_blob_write's bytes, as a record with save_weights carries them):
 * the fold, scalers and windows task_run builds, the model loaded instead
 * of trained, pred[n_test][n_out] in target units — what the record's pred
 * holds, bit for bit, when the weights are that task's.  *n_test is set;
 * pred needs room for the fold's test windows (the record's n_test).
 * Returns 0, RS_EINPUT (an input task_run refuses, a fold that is not OK,
 * weights of another shape) or RS_EINTERNAL. */
int task_predict_saved(const task_data *d, const task_input *in, const void *blob, size_t len, double *pred,
                       int *n_test, rs_err *e);

#endif /* RS_TASK_H */
