/*
 * task_run.c — one sweep task end to end (task.h): build the fold of the
 * test period, fit the scalers and labels on its training rows only,
 * train, predict the test period once, and hand the predictions to
 * task_evaluate (evaluate.h), which scores the forecast against its
 * baselines and backtests every strategy point on them.  task_predict_saved
 * replays stored weights through the same first two steps.
 *
 * Rows.  A fold touches rows [fit_lo, test_hi] only (fit_lo = train_lo-T+1
 * is the first input row of the first training window; every validation
 * and test window lies after it).  Those rows — and no others — are copied
 * into a per-task buffer and scaled there, so windows are views of that
 * copy with end rows shifted by -fit_lo; the RNN engine indexes rows with
 * int, hence the range check in task_fold.
 *
 * Memory.  Everything is allocated once at the start of a task (the scaled
 * rows, the labels, the window lists, the series) plus the model's arena:
 * nothing per training step, nothing per strategy.
 *
 * Status, not error.  Whatever the data or the fold can make go wrong (an
 * empty fold, a NaN label, divergence, bars the engine refuses) ends as a
 * packed result with a status and a message.  Only a caller bug (an input
 * that contradicts itself or the data) or no memory returns an error.
 *
 * Contents (file order): msg_set, scratch (the per-task buffers), progress
 * lines, input_check, prepare_rows (step 2: scaled features and labels
 * fitted on training rows), task_run in four numbered steps (1 the fold,
 * 2 the rows, 3 the model, 4 predict once and evaluate), task_predict_saved.
 */
#include "worker/task.h"

#include "worker/evaluate.h"
#include "worker/features.h"
#include "worker/motormap.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The per-task buffers (one allocation each, all freed together). */
typedef struct {
    float   *xs;         /* [nr][n_feat] scaled copy of rows fit_lo..test_hi      */
    float   *ys;         /* [nr] labels of those rows, in training units          */
    int     *ends;       /* train | val | test window end rows, shifted           */
    double  *ytrue;      /* [n_test] truth in target units (the y series)         */
    double  *pred;       /* [n_test][n_out] predictions in target units           */
    float   *ret_f;      /* [n_strat][n_pts] the ret series                       */
    float   *bh_f;       /* [n_pts] the bh series                                 */
    int32_t *pt_end;     /* [n_test] room: day points' last bars                  */
    int32_t *trades;     /* [n_strat][n_pts] day: trades per point                */
    int8_t  *corr;       /* [n_strat][n_test] the class after each correction     */
    int     *cidx, *cfirst;  /* [n_strat] correction points (trend3)             */
    double  *curve;      /* [epochs][2] the learning curve                        */
    double  *tr_prob;    /* trend3: [n_train][3] the network on its training windows */
    uint8_t *tr_net, *tr_true;   /* trend3: [n_train] its classes and the labels  */
    void    *weights;    /* save_weights: the blob                                */
} scratch;

static void scratch_free(scratch *s) {
    free(s->xs); free(s->ys); free(s->ends); free(s->ytrue); free(s->pred);
    free(s->ret_f); free(s->bh_f); free(s->pt_end); free(s->trades); free(s->corr); free(s->cidx); free(s->cfirst); free(s->curve);
    free(s->tr_prob); free(s->tr_net); free(s->tr_true); free(s->weights);
    memset(s, 0, sizeof *s);
}

/* Progress lines of a long task (stderr, one fprintf each so ranks do
 * not interleave within a line).  Nothing here changes a result. */
typedef struct {
    const task_input *in;
    const char       *fid;
    double            t0;            /* the task's start                      */
    double            last;          /* the last line                         */
} progress_ctx;

static void progress_line(progress_ctx *pc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void progress_line(progress_ctx *pc, const char *fmt, ...) {
    char what[256], key[24];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(key, sizeof key, "%016llx", (unsigned long long)pc->in->model_key);
    pc->last = rs_now();
    fprintf(stderr, "rnnsweep: rank %d: %s fold %s: %s (%.0f s)\n", pc->in->rank,
            pc->in->label ? pc->in->label : key, pc->fid, what, pc->last - pc->t0);
}

static void on_train_progress(void *ctx, const rnn_progress *p) {
    progress_line(ctx, "training epoch %d/%d, %d%% of %d windows, loss %.5g", p->epoch, p->epochs,
                  (int)(100.0 * p->done / p->n_train), p->n_train, p->loss);
}

/* A phase line, only once the task has been running a while. */
static void progress_phase(progress_ctx *pc, const char *what) {
    if (pc->in->progress_every > 0 && rs_now() - pc->t0 >= pc->in->progress_every) progress_line(pc, "%s", what);
}

/* Checks of the caller's input: a failure is a bug upstream (the plan and
 * the data disagree), not a property of this task.  RS_EINPUT. */
static int input_check(const task_data *d, const task_input *in, const task_buf *out, rs_err *e) {
    if (!d || !in || !out) return rs_err_set(e, RS_EINPUT, "task: NULL argument");
    if (d->n < 1 || d->n_feat < 1 || !d->t || !d->x || !d->y || !d->bars)
        return rs_err_set(e, RS_EINPUT, "task: data has %lld rows of %d features", (long long)d->n,
                          d->n_feat);
    int kind = d->setup.target_kind;
    if (kind != TARGET_RETURN && kind != TARGET_PRICE && kind != TARGET_TREND3)
        return rs_err_set(e, RS_EINPUT, "task: target kind %d unknown", kind);
    if (in->n_strat < 1 || !in->strat || !in->strat_key)
        return rs_err_set(e, RS_EINPUT, "task: %d strategies (expected >= 1, with their keys)", in->n_strat);
    if (in->spec.n_in != d->n_feat)
        return rs_err_set(e, RS_EINPUT, "task: the model takes %d inputs but the data has %d features",
                          in->spec.n_in, d->n_feat);
    if (kind == TARGET_TREND3 && (in->spec.head != RNN_HEAD_CLS || in->spec.n_out != MT_NCLASS))
        return rs_err_set(e, RS_EINPUT, "task: a trend3 target needs a classification head with 3 "
                          "outputs (head %d, n_out %d)", (int)in->spec.head, in->spec.n_out);
    if (kind != TARGET_TREND3 && (in->spec.head != RNN_HEAD_REG || in->spec.n_out != 1))
        return rs_err_set(e, RS_EINPUT, "task: a %s target needs a regression head with 1 output "
                          "(head %d, n_out %d)", kind == TARGET_PRICE ? "price" : "return",
                          (int)in->spec.head, in->spec.n_out);
    if (in->series != TASK_SERIES_BAR && in->series != TASK_SERIES_DAY && in->series != TASK_SERIES_NONE)
        return rs_err_set(e, RS_EINPUT, "task: series resolution %d unknown", in->series);
    if (rnn_spec_check(&in->spec, e)) return RS_EINPUT;
    if (rnn_train_opts_check(&in->opts, e)) return RS_EINPUT;
    rs_err le;
    for (int i = 0; i < in->n_strat; i++)
        if (strategy_check(&in->strat[i], &le))
            return rs_err_set(e, RS_EINPUT, "task: strategy %d: %s", i, le.msg);
    return RS_OK;
}

/* Step 2: the fold's rows scaled and labelled, fitted on its training
 * rows only, and the window lists.  Fills S->xs, S->ys, S->ends (train |
 * val | test, shifted by -fit_lo), *tsc (price target) and *info3
 * (trend3).  Returns TASK_OK, TASK_FAILED with msg, or -RS_EINTERNAL. */
static int prepare_rows(const task_data *d, const task_fold_t *tf, scratch *S, scaler *tsc, trend3_info *info3,
                        char *msg, rs_err *e) {
    const fold f = tf->f;
    const int kind = d->setup.target_kind, D = d->n_feat, nr = tf->nr;
    const int n_train = (int)tf->n_train, n_val = (int)tf->n_val, n_test = tf->n_test, stride = tf->stride;
    char fid[FOLD_ID_MAX];
    fold_id_text(f.id, fid, sizeof fid);
    rs_err le;
    S->xs = malloc((size_t)nr * (size_t)D * sizeof *S->xs);
    S->ys = malloc((size_t)nr * sizeof *S->ys);
    S->ends = malloc(((size_t)n_train + (size_t)n_val + (size_t)n_test) * sizeof *S->ends);
    if (!S->xs || !S->ys || !S->ends) {
        rs_err_set(e, RS_EINTERNAL, "task: out of memory (fold %s, %d rows)", fid, nr);
        return -RS_EINTERNAL;
    }
    const float *x0 = d->x + f.fit_lo * (int64_t)D;
    for (int64_t k = 0; k < (int64_t)nr * D; k++)
        if (!isfinite(x0[k])) {
            task_msg_set(msg, "fold %s: feature %d of row %lld is not finite", fid, (int)(k % D),
                    (long long)(f.fit_lo + k / D));
            return TASK_FAILED;
        }
    scaler fsc;
    memset(info3, 0, sizeof *info3);
    if (scaler_fit(&fsc, d->setup.feat_scaler, d->x, D, f.fit_lo, f.fit_hi, &le)) {
        task_msg_set(msg, "fold %s: feature scaler: %s", fid, le.msg);
        return TASK_FAILED;
    }
    scaler_apply(&fsc, x0, S->xs, nr);

    const float *y0 = d->y + f.fit_lo;
    if (kind == TARGET_RETURN) {
        memcpy(S->ys, y0, (size_t)nr * sizeof *S->ys);
    } else if (kind == TARGET_PRICE) {
        if (scaler_fit(tsc, d->setup.target_scaler, d->y, 1, f.train_lo, f.train_hi, &le)) {
            task_msg_set(msg, "fold %s: target scaler: %s", fid, le.msg);
            return TASK_FAILED;
        }
        scaler_apply(tsc, y0, S->ys, nr);
    } else {
        /* The fold in the copy's row numbers: the thresholds see exactly the
         * training end rows they would see in the full series. */
        fold g = f;
        g.train_lo -= f.fit_lo; g.train_hi -= f.fit_lo;
        g.val_lo -= f.fit_lo;   g.val_hi -= f.fit_lo;
        g.test_lo -= f.fit_lo;  g.test_hi -= f.fit_lo;
        g.fit_lo = 0;           g.fit_hi -= f.fit_lo;
        int trc = targets_trend3(y0, nr, &g, d->setup.trend3_fit, d->setup.trend3_theta, S->ys, info3, &le);
        if (trc == RS_EINTERNAL) { rs_err_set(e, trc, "task: %s", le.msg); return -RS_EINTERNAL; }
        if (trc) {
            task_msg_set(msg, "fold %s: %s", fid, le.msg);
            return TASK_FAILED;
        }
    }
    int *tr_ends = S->ends, *va_ends = S->ends + n_train, *te_ends = S->ends + n_train + n_val;
    for (int i = 0; i < n_train; i++) tr_ends[i] = (int)(f.train_lo - f.fit_lo) + i * stride;
    for (int i = 0; i < n_val; i++) va_ends[i] = (int)(f.val_hi - f.fit_lo) - (n_val - 1 - i) * stride;
    for (int i = 0; i < n_test; i++) te_ends[i] = (int)(f.test_lo - f.fit_lo) + i;
    return TASK_OK;
}

/* The network's test predictions in target units into pred[n_test][K]:
 * a price target's predictions inverse-scaled.  Returns TASK_OK, or
 * TASK_FAILED with msg (a prediction that is not finite; a price <= 0 is
 * scored, its implied return floored: metrics_implied_log_return). */
static int predict_test(rnn_model *m, const rnn_data *rd, const int *te_ends, int n_test, int kind,
                        const scaler *tsc, const char *fid, double *pred, char *msg) {
    rnn_predict(m, rd, te_ends, n_test, pred);
    if (kind != TARGET_PRICE) return TASK_OK;
    for (int i = 0; i < n_test; i++) {
        double p = scaler_inverse(tsc, 0, pred[i]);
        if (!isfinite(p)) {          /* p <= 0 is a scored forecast (metrics.h) */
            task_msg_set(msg, "fold %s: forecast metrics: predicted price %g at test bar %d is not finite", fid, p, i);
            return TASK_FAILED;
        }
        pred[i] = p;
    }
    return TASK_OK;
}

int task_run(const task_data *d, const task_input *in, task_buf *out, rs_err *e) {
    const double t_start = rs_now();
    if (input_check(d, in, out, e)) return RS_EINPUT;
    char fid[FOLD_ID_MAX];                 /* "2017", "2017Q3": messages name the fold */
    fold_id_text(in->fold_id, fid, sizeof fid);

    const int kind = d->setup.target_kind, cls = kind == TARGET_TREND3;
    const int ns = in->n_strat, K = cls ? MT_NCLASS : 1;
    rs_err le;                       /* task-level problems: become the message */
    rs_err_clear(&le);
    scratch S;
    memset(&S, 0, sizeof S);
    rnn_model *m = NULL;
    int rc = RS_OK;                  /* non-zero: no result at all (returned)   */
    int status = TASK_OK;
    int n_test = 0;

    task_head h;
    memset(&h, 0, sizeof h);
    h.task_key = in->task_key;
    h.model_key = in->model_key;
    h.fold_id = in->fold_id;
    h.n_strat = ns;
    h.n_out = K;
    h.rank = in->rank;
    snprintf(h.host, sizeof h.host, "%s", in->host ? in->host : "");
    snprintf(h.blas, sizeof h.blas, "%s", in->blas ? in->blas : "");
    task_row *rows = malloc((size_t)ns * sizeof *rows);
    S.cidx = malloc((size_t)ns * sizeof *S.cidx);
    S.cfirst = malloc((size_t)ns * sizeof *S.cfirst);
    if (!rows || !S.cidx || !S.cfirst) {
        free(rows);
        scratch_free(&S);
        return rs_err_set(e, RS_EINTERNAL, "task: out of memory (%d result rows)", ns);
    }
    if (cls) strategy_corrections(in->strat, ns, S.cidx, S.cfirst);
    else memset(S.cidx, 0, (size_t)ns * sizeof *S.cidx);
    task_rows_init(in, S.cidx, rows);

    /* ---- 1. the fold ---------------------------------------------------- */
    task_fold_t tf;
    if ((rc = task_fold(d, in, &tf, h.message, e))) goto done;
    for (int i = 0; i < ns; i++) {
        rows[i].n_train = (int32_t)(tf.n_train < INT32_MAX ? tf.n_train : INT32_MAX);
        rows[i].n_val = (int32_t)(tf.n_val < INT32_MAX ? tf.n_val : INT32_MAX);
    }
    if (tf.status != TASK_OK) { status = tf.status; goto done; }
    const int n_train = (int)tf.n_train, n_val = (int)tf.n_val;
    n_test = tf.n_test;

    /* ---- 2. scaled features and labels, fitted on training rows only ---- */
    scaler tsc;
    trend3_info info3;
    int prc = prepare_rows(d, &tf, &S, &tsc, &info3, h.message, e);
    if (prc < 0) { rc = -prc; goto done; }
    if (prc != TASK_OK) { status = prc; goto done; }
    S.ytrue = malloc((size_t)n_test * sizeof *S.ytrue);
    S.pred = malloc((size_t)n_test * (size_t)K * sizeof *S.pred);
    /* the series points (task.h, "Series resolution"): fixed by the test
     * bars' timestamps alone, so known before anything is traded */
    const int series = in->series;
    S.pt_end = malloc((size_t)n_test * sizeof *S.pt_end);
    const int n_pts = S.pt_end ? task_series_points(series, d->t + tf.f.test_lo, n_test, S.pt_end) : 0;
    S.ret_f = malloc(((size_t)ns * (size_t)n_pts + 1) * sizeof *S.ret_f);
    S.bh_f = malloc(((size_t)n_pts + 1) * sizeof *S.bh_f);
    if (series == TASK_SERIES_DAY) S.trades = malloc(((size_t)ns * (size_t)n_pts + 1) * sizeof *S.trades);
    S.curve = malloc((size_t)in->opts.epochs * 2 * sizeof *S.curve);
    int oom = !S.ytrue || !S.pred || !S.pt_end || !S.ret_f || !S.bh_f || !S.curve ||
              (series == TASK_SERIES_DAY && !S.trades);
    if (cls) {
        S.corr = malloc((size_t)ns * (size_t)n_test);
        S.tr_prob = malloc((size_t)(n_train > 0 ? n_train : 1) * MT_NCLASS * sizeof *S.tr_prob);
        S.tr_net = malloc((size_t)(n_train > 0 ? n_train : 1));
        S.tr_true = malloc((size_t)(n_train > 0 ? n_train : 1));
        oom |= !S.corr || !S.tr_prob || !S.tr_net || !S.tr_true;
    }
    if (oom) {
        rc = rs_err_set(e, RS_EINTERNAL, "task: out of memory (fold %s, %d test bars)", fid, n_test);
        goto done;
    }
    const int *tr_ends = S.ends, *va_ends = S.ends + n_train, *te_ends = S.ends + n_train + n_val;
    const rnn_data rd = { S.xs, S.ys, tf.nr, d->n_feat };
    const fold f = tf.f;

    /* ---- 3. the model ---------------------------------------------------- */
    m = rnn_create(&in->spec, &le);
    if (!m) { rc = rs_err_set(e, le.status ? le.status : RS_EINTERNAL, "task: %s", le.msg); goto done; }
    static const char *const set_name[3] = { "training", "validation", "test" };
    const int *set_ends[3] = { tr_ends, va_ends, te_ends };
    const int set_n[3] = { n_train, n_val, n_test };
    for (int s = 0; s < 3; s++) {
        /* Name an undefined label by its row in the data, not in the copy. */
        for (int i = 0; i < set_n[s]; i++)
            if (!isfinite(S.ys[set_ends[s][i]])) {
                task_msg_set(h.message, "fold %s: %s window %d: the label of row %lld is not finite",
                        fid, set_name[s], i, (long long)(f.fit_lo + set_ends[s][i]));
                status = TASK_FAILED;
                goto done;
            }
        if (rnn_windows_check(m, &rd, set_ends[s], set_n[s], &le)) {
            task_msg_set(h.message, "fold %s: %s %s (rows counted from row %lld)", fid, set_name[s],
                    le.msg, (long long)f.fit_lo);
            status = TASK_FAILED;
            goto done;
        }
    }

    double t0 = rs_now();
    rnn_train_result tr;
    progress_ctx pc = { in, fid, t_start, t_start };
    rnn_train_opts opts = in->opts;
    if (in->progress_every > 0) {
        opts.progress = on_train_progress;
        opts.progress_ctx = &pc;
        opts.progress_every = in->progress_every;
    }
    int rrc = rnn_train(m, &rd, tr_ends, n_train, n_val > 0 ? va_ends : NULL, n_val, &opts, &tr, S.curve, &le);
    h.sec_train = rs_now() - t0;
    if (rrc) { rc = rs_err_set(e, rrc, "task: training: %s", le.msg); goto done; }
    if (tr.status == RNN_TRAIN_STOPPED) { rc = rs_err_set(e, RS_EDRAIN, "task: abandoned by a drain"); goto done; }
    h.epochs_run = tr.epochs_run;
    h.best_epoch = tr.best_epoch;
    h.steps = tr.steps;
    h.n_curve = tr.epochs_run;
    for (int i = 0; i < ns; i++) {
        rows[i].epochs_run = tr.epochs_run;
        rows[i].best_epoch = tr.best_epoch;
        rows[i].train_loss = tr.last_train_loss;
        rows[i].val_loss = tr.best_val_loss;
    }
    if (tr.status == RNN_TRAIN_DIVERGED) {
        task_msg_set(h.message, "fold %s: training diverged in epoch %d (non-finite or exploding loss)",
                fid, tr.epochs_run + 1);
        status = TASK_DIVERGED;
        goto done;
    }
    if (tr.status == RNN_TRAIN_NODATA) {
        task_msg_set(h.message, "fold %s: no training window", fid);
        status = TASK_EMPTY;
        goto done;
    }

    /* ---- 4. predict once, then score and trade (evaluate.h) ------------ */
    {
        char what[96];
        snprintf(what, sizeof what, "trained %d epochs; predicting %d test windows", tr.epochs_run, n_test);
        progress_phase(&pc, what);
    }
    t0 = rs_now();
    if ((status = predict_test(m, &rd, te_ends, n_test, kind, &tsc, fid, S.pred, h.message)) != TASK_OK) goto done;
    task_row base = rows[0];         /* what training fixed (evaluate.h) */
    base.test_loss = rnn_evaluate(m, &rd, te_ends, n_test);
    for (int i = 0; i < n_test; i++)
        S.ytrue[i] = cls ? (double)S.ys[te_ends[i]] : (double)d->y[f.test_lo + i];
    if (cls) {
        /* The network's classes on its training windows, stored with the
         * task: a motor map learns from them, now or when a correction is
         * added to the grid later (re-evaluated without training). */
        rnn_predict(m, &rd, tr_ends, n_train, S.tr_prob);
        const double (*tp)[MT_NCLASS] = (const double (*)[MT_NCLASS])S.tr_prob;
        for (int i = 0; i < n_train; i++) {
            S.tr_net[i] = (uint8_t)metrics_argmax3(tp[i]);
            S.tr_true[i] = (uint8_t)S.ys[tr_ends[i]];
        }
        base.trend_lo = info3.lo;
        base.trend_hi = info3.hi;
        /* class counts of the windows used (stride: not the fold's span) */
        memset(base.class_count, 0, sizeof base.class_count);
        for (int q = 0; q < 3; q++)
            for (int i = 0; i < set_n[q]; i++) base.class_count[q][(int)S.ys[set_ends[q][i]]]++;
        h.n_trcls = n_train;
    }
    if (in->save_weights) {
        size_t wb = rnn_blob_size(m);
        S.weights = malloc(wb ? wb : 1);
        if (!S.weights) { rc = rs_err_set(e, RS_EINTERNAL, "task: out of memory (weights, %zu bytes)", wb); goto done; }
        rnn_blob_write(m, S.weights);
        h.n_weights = (int64_t)wb;
    }
    h.sec_predict = rs_now() - t0;
    {
        const task_eval_in ei = { d, in, &tf, S.ytrue, S.pred, S.tr_net, S.tr_true, &base, NULL };
        task_eval_out eo = { .rows = rows, .ret = S.ret_f, .bh = S.bh_f, .corr = S.corr, .status = TASK_OK,
                             .series = series, .n_pts = n_pts, .pt_end = S.pt_end, .trades = S.trades };
        if (cls && ns > 1) progress_phase(&pc, "correcting the trend and trading every strategy");
        if ((rc = task_evaluate(&ei, &eo, h.message, e))) goto done;
        h.sec_predict += eo.sec_forecast;
        h.sec_backtest = eo.sec_backtest;
        h.n_corr = eo.n_corr;
        status = eo.status;
    }
    h.n_test = n_test;
    h.series = series;
    h.n_pts = n_pts;

done:
    rnn_free(m);
    if (!rc) {
        h.status = status;
        if (status != TASK_OK) {
            /* rows only: the fold's counts and what training reached (its
             * curve included), nothing measured on the test period */
            h.n_test = h.n_corr = h.n_trcls = h.n_pts = 0;
            h.n_weights = 0;
            for (int i = 0; i < ns; i++) {
                task_row_blank(&rows[i]);
                rows[i].n_test = 0;
            }
        }
        for (int i = 0; i < ns; i++) rows[i].status = status;
        const int has = h.n_test > 0;
        h.sec_total = rs_now() - t_start;
        const task_extras x = { S.curve, S.tr_net, S.tr_true, S.weights };
        const task_points pts = { S.ret_f, S.bh_f, S.pt_end, S.trades };
        h.series = in->series;           /* a task without a series keeps the resolution asked for */
        rc = task_pack_points(out, &h, rows, has ? d->t + tf.f.test_lo : NULL, has ? S.ytrue : NULL,
                              has ? S.pred : NULL, &pts, has && h.n_corr ? S.corr : NULL, &x, e);
    }
    scratch_free(&S);
    free(rows);
    return rc;
}

int task_predict_saved(const task_data *d, const task_input *in, const void *blob, size_t len, double *pred,
                       int *n_test, rs_err *e) {
    *n_test = 0;
    if (input_check(d, in, &(task_buf){ 0 }, e)) return RS_EINPUT;
    char fid[FOLD_ID_MAX], msg[TASK_MSG_MAX] = "";
    fold_id_text(in->fold_id, fid, sizeof fid);
    const int kind = d->setup.target_kind;
    task_fold_t tf;
    int rc = task_fold(d, in, &tf, msg, e);
    if (rc) return rc;
    if (tf.status != TASK_OK) return rs_err_set(e, RS_EINPUT, "task: %s", msg);
    scratch S;
    memset(&S, 0, sizeof S);
    scaler tsc;
    trend3_info info3;
    int prc = prepare_rows(d, &tf, &S, &tsc, &info3, msg, e);
    rnn_model *m = NULL;
    if (prc < 0) { rc = -prc; goto out; }
    if (prc != TASK_OK) { rc = rs_err_set(e, RS_EINPUT, "task: %s", msg); goto out; }
    rs_err le;
    m = rnn_create(&in->spec, &le);
    if (!m) { rc = rs_err_set(e, le.status ? le.status : RS_EINTERNAL, "task: %s", le.msg); goto out; }
    if (rnn_blob_read(m, blob, len, &le)) { rc = rs_err_set(e, RS_EINPUT, "task: weights: %s", le.msg); goto out; }
    const rnn_data rd = { S.xs, S.ys, tf.nr, d->n_feat };
    const int *te_ends = S.ends + tf.n_train + tf.n_val;
    if (predict_test(m, &rd, te_ends, tf.n_test, kind, &tsc, fid, pred, msg) != TASK_OK) {
        rc = rs_err_set(e, RS_EINPUT, "task: %s", msg);
        goto out;
    }
    *n_test = tf.n_test;
out:
    rnn_free(m);
    scratch_free(&S);
    return rc;
}
