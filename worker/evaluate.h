/*
 * evaluate.h — everything a task does once its predictions exist: score the
 * forecast against its baselines, correct the trend (motor maps), and
 * backtest every strategy point; and the re-evaluation of a finished task
 * from its stored record (DESIGN.md, "train once, evaluate many": a
 * strategy point added after a sweep never pays for a training again).
 *
 * One code path, two callers.  task_run (task.h) trains, predicts and then
 * calls task_evaluate; task_reevaluate rebuilds the same inputs from a
 * stored record — the test predictions, truth and timestamps of its series,
 * the network's classes on the training windows (trend3), and the row
 * fields training fixed — and calls task_evaluate too.  So a re-evaluated
 * row is the same computation on the same bytes as a fresh one: bit for
 * bit what a full rerun of the extended grid writes (tests/test_evaluate.c
 * holds it for return / price / trend3 targets, signal and grid, fx and
 * equity, every correction).
 *
 * What a stored record does NOT hold, and what follows from it:
 *   - the model (weights are stored only with [run] save_weights): the
 *     test loss and every training fact are taken from the record's rows;
 *   - a version-3 record (task.h) has no training classes, so a motor-map
 *     correction point that no row of it already carries cannot be
 *     computed: task_reevaluable says so and the caller retrains;
 *   - a FAILED task is not re-evaluated (its failure may have named a
 *     strategy of the old grid): it is retrained.
 * Rows of the new plan that the record already holds (same strategy key)
 * are copied, with their returns and their correction's classes, rather
 * than recomputed: deterministic code would give the same bytes, and a
 * grid of thousands of points costs only its new ones.
 *
 * No MPI, no files; allocation per call, never per bar or per strategy.
 */
#ifndef RS_EVALUATE_H
#define RS_EVALUATE_H

#include "worker/task.h"

/* A task's fold as it trains: folds_build's fold of in->fold_id, with
 * [training] stride and max_windows applied (task.h, "Windows trained"):
 * a max_windows cap moves f.train_lo (and f.fit_lo) to the first window
 * kept. */
typedef struct {
    fold    f;
    int     status;            /* TASK_OK, TASK_EMPTY or TASK_FAILED (msg)     */
    int     stride;            /* >= 1                                         */
    int64_t n_train, n_val;    /* windows used (an empty fold's too)           */
    int     n_test;            /* OK: test windows                             */
    int     nr;                /* OK: rows fit_lo .. test_hi                   */
    bt_bars bars;              /* OK: the test bars, checked                   */
} task_fold_t;

/* Build task in's fold on d.  Returns 0 with tf->status set (a message in
 * msg[TASK_MSG_MAX] unless OK), or RS_EINTERNAL (no memory) with *e. */
int task_fold(const task_data *d, const task_input *in, task_fold_t *tf, char *msg, rs_err *e);

/* The start of every row of a task: keys, fold, plan indices -1, the
 * correction index of each point (cidx[i], 0 without trend3) and its
 * look-ahead flag, every metric NaN and the trading block zero. */
void task_rows_init(const task_input *in, const int *cidx, task_row *rows);

/* Every metric field of a row NaN and its trading block zero: the state of
 * a row that is not OK (task.h), and the start of one that will be. */
void task_row_blank(task_row *r);

/* What task_evaluate scores. */
typedef struct {
    const task_data   *d;
    const task_input  *in;         /* strategies and keys, spec.seq_len, the
                                      task key (motor-map seeds), opts.stop   */
    const task_fold_t *tf;         /* status OK                               */
    const double      *ytrue;      /* [n_test] truth in target units (trend3:
                                      the class ids)                          */
    const double      *pred;       /* [n_test][n_out] in target units (price:
                                      prices > 0; trend3: probabilities)      */
    const uint8_t     *tr_net;     /* trend3: [n_train] the network's class on
                                      each training window, time order       */
    const uint8_t     *tr_true;    /* trend3: [n_train] their labels (NULL: a
                                      version-3 record; the majority baseline
                                      is then base's)                         */
    const task_row    *base;       /* the fields training fixed, copied into
                                      every row: n_train, n_val, epochs_run,
                                      best_epoch, train_loss, val_loss,
                                      test_loss, trend_lo, trend_hi,
                                      class_count (and base_accuracy,
                                      base_macro_f1, base_log_loss without
                                      tr_true)                                 */
    const task_view   *known;      /* NULL, or a record of this task whose
                                      rows (by strategy key), returns and
                                      corrections are copied, not recomputed */
} task_eval_in;

/* Where task_evaluate writes; the caller allocates and sets series,
 * n_pts and pt_end (task_series_points of the test bars at in->series). */
typedef struct {
    task_row *rows;                /* [n_strat]: every field                  */
    float    *ret;                 /* [n_strat][n_pts] series points (task.h,
                                      "Series resolution")                    */
    float    *bh;                  /* [n_pts]: buy-and-hold of strategy 0    */
    int8_t   *corr;                /* [n_strat][n_test] room; the first n_corr
                                      rows are written (trend3)               */
    int       n_corr;              /* correction points (trend3; else 0)     */
    int       status;              /* TASK_OK, or TASK_FAILED (msg says why)  */
    double    sec_forecast;        /* (runtime) metrics and corrections       */
    double    sec_backtest;        /* (runtime) every strategy + buy-and-hold */
    int       series;              /* in: TASK_SERIES_* (in->series)          */
    int       n_pts;               /* in: points per strategy                 */
    const int32_t *pt_end;         /* in: [n_pts] day: each point's last bar  */
    int32_t  *trades;              /* [n_strat][n_pts] day: trades per point
                                      (NULL otherwise)                        */
} task_eval_out;

/* Score ei's predictions into *eo: the forecast metrics and baselines,
 * each correction point once (strategy_corrections order), every strategy
 * point traded on its correction's classes, buy-and-hold per row.  A
 * problem the data or the strategies cause is eo->status TASK_FAILED with
 * msg ("fold F: ..."), not an error.  Returns 0, RS_EINTERNAL (no memory),
 * or RS_EDRAIN (in->opts.stop asked to stop between strategy points). */
int task_evaluate(const task_eval_in *ei, task_eval_out *eo, char *msg, rs_err *e);

/* Can task_reevaluate complete record old for the strategy points strat /
 * keys [n] of a target of kind cls (1: trend3)?  1 when it can; else 0 and
 * why (NULL fine: n bytes) — "failed", "no training classes stored
 * (version 3 record)", a width that is not the plan's. */
int task_reevaluable(const task_view *old, const bt_strategy *strat, const uint64_t *keys, int n, int cls,
                     char *why, size_t n_why);

/* Complete the finished task `old` (a record of task in's key) for in's
 * strategy points without training: the record task_run would write for
 * in — rows in in's order, returns, buy-and-hold, corrections — from old's
 * series and training classes, with old's curve and weights.  Its head is
 * old's (training facts and their runtime fields: rank, host, blas,
 * sec_train, sec_predict) with reevaluated = 1 and this evaluation's
 * sec_backtest.  A non-OK old (EMPTY, DIVERGED) gets the rows a rerun would
 * give: blank, its status and message.  Returns 0, RS_EINPUT when old
 * cannot be re-evaluated (task_reevaluable, another task's key, a series
 * that does not match d's test bars: e says why, the caller retrains),
 * RS_EINTERNAL, or RS_EDRAIN. */
int task_reevaluate(const task_data *d, const task_input *in, const task_view *old, task_buf *out, rs_err *e);

#endif /* RS_EVALUATE_H */
