/*
 * evaluate.c — a task's predictions scored, corrected and traded, and a
 * finished task re-evaluated from its record (see evaluate.h).
 *
 * Contents (file order): msg_set, empty_reason and task_fold (the fold as
 * a task trains on it), task_rows_init, correction seeds and
 * correct_points (every correction point of a trend3 task), task_evaluate
 * (forecast metrics, corrections, strategies), task_reevaluable and
 * task_reevaluate.
 */
#include "worker/evaluate.h"

#include "worker/features.h"
#include "worker/motormap.h"

#include <assert.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the fold ------------------------------------------------------------ */

/* Why folds_build called this fold empty, in the words of fold_opts. */
static void empty_reason(char *msg, const char *fid, const fold *f, const fold_opts *fo) {
    int64_t nt = fold_count(f->train_lo, f->train_hi), nv = fold_count(f->val_lo, f->val_hi);
    int64_t ns = fold_count(f->test_lo, f->test_hi);
    int64_t min_train = fo->min_train > 0 ? fo->min_train : 1;
    int want_val = fo->val_months > 0 || fo->val_frac > 0;
    if (ns < 1)
        task_msg_set(msg, "fold %s: no test window in that period", fid);
    else if (nt < min_train)
        task_msg_set(msg, "fold %s: %lld training windows, fewer than min_train %lld", fid,
                (long long)nt, (long long)min_train);
    else if (want_val && nv < 1)
        task_msg_set(msg, "fold %s: the requested validation set is empty", fid);
    else
        task_msg_set(msg, "fold %s: empty (train %lld, validation %lld, test %lld windows)", fid,
                (long long)nt, (long long)nv, (long long)ns);
}

int task_fold(const task_data *d, const task_input *in, task_fold_t *tf, char *msg, rs_err *e) {
    memset(tf, 0, sizeof *tf);
    char fid[FOLD_ID_MAX];
    fold_id_text(in->fold_id, fid, sizeof fid);
    rs_err le;
    fold_opts fo = d->setup.folds;
    fo.lookback = in->spec.seq_len;
    fo.horizon = d->setup.horizon;
    fo.first_id = fo.last_id = in->fold_id;
    fold *folds = NULL;
    int n_folds = 0;
    int frc = folds_build(d->t, d->n, d->first_valid, &fo, &folds, &n_folds, &le);
    if (frc == RS_EINPUT || (frc == 0 && n_folds < 1)) {
        if (frc == 0) task_msg_set(msg, "fold %s: no fold built", fid);
        else task_msg_set(msg, "fold %s: %s", fid, le.msg);
        free(folds);
        tf->status = TASK_FAILED;
        return 0;
    }
    if (frc) return rs_err_set(e, frc, "task: %s", le.msg);
    fold f = folds[0];
    free(folds);
    /* stride / max_windows: which training and validation windows train.
     * Every stride-th end row counting back from the latest; at most
     * max_windows of them, the most recent.  A cap moves the start of the
     * training span to the first window kept, so the scalers see the rows
     * that train (still training rows only) and the task copies no rows it
     * never reads. */
    const int stride = in->stride > 0 ? in->stride : 1;
    int64_t n_train = fold_count(f.train_lo, f.train_hi), n_val = fold_count(f.val_lo, f.val_hi);
    if (f.status == FOLD_OK) {
        n_train = (n_train + stride - 1) / stride;
        if (in->max_windows > 0 && n_train > in->max_windows) n_train = in->max_windows;
        n_val = (n_val + stride - 1) / stride;
        f.train_lo = f.train_hi - (n_train - 1) * stride;
        f.fit_lo = f.train_lo - in->spec.seq_len + 1;
    }
    tf->f = f;
    tf->stride = stride;
    tf->n_train = n_train;
    tf->n_val = n_val;
    if (f.status == FOLD_EMPTY) {
        empty_reason(msg, fid, &f, &fo);
        tf->status = TASK_EMPTY;
        return 0;
    }
    const int64_t nr = f.test_hi - f.fit_lo + 1;
    if (f.fit_lo < 0 || nr < 1 || nr > INT_MAX || n_train > INT_MAX || n_val > INT_MAX) {
        task_msg_set(msg, "fold %s: rows %lld..%lld do not fit the engine's int row index", fid, (long long)f.fit_lo,
                (long long)f.test_hi);
        tf->status = TASK_FAILED;
        return 0;
    }
    tf->nr = (int)nr;
    tf->n_test = (int)fold_count(f.test_lo, f.test_hi);
    /* The test bars, checked before any training is spent on them. */
    const int64_t n = d->n;
    tf->bars = (bt_bars){ d->bars + f.test_lo, d->bars + n + f.test_lo, d->bars + 2 * n + f.test_lo,
                          d->bars + 3 * n + f.test_lo, tf->n_test };
    if (backtest_check_bars(&tf->bars, &le)) {
        task_msg_set(msg, "fold %s: test bars: %s", fid, le.msg);
        tf->status = TASK_FAILED;
        return 0;
    }
    tf->status = TASK_OK;
    return 0;
}

void task_row_blank(task_row *r) {
    r->test_loss = NAN;
    r->rmse = r->mae = r->r2 = r->dir_acc = NAN;
    r->accuracy = r->macro_f1 = r->log_loss = NAN;
    r->base_rmse = r->base_mae = r->base_r2 = r->base_dir_acc = NAN;
    r->base_accuracy = r->base_macro_f1 = r->base_log_loss = NAN;
    r->bh_roi_pct = r->bh_sharpe = r->bh_max_dd_pct = NAN;
    for (int c = 0; c < 3; c++) r->precision[c] = r->recall[c] = NAN;
    r->trend_lo = r->trend_hi = NAN;
    memset(r->confusion, 0, sizeof r->confusion);
    memset(r->class_count, 0, sizeof r->class_count);
    memset(&r->trading, 0, sizeof r->trading);
}

void task_rows_init(const task_input *in, const int *cidx, task_row *rows) {
    for (int i = 0; i < in->n_strat; i++) {
        task_row *r = &rows[i];
        memset(r, 0, sizeof *r);     /* padding zero: records compare with memcmp */
        r->task_key = in->task_key;
        r->model_key = in->model_key;
        r->strategy_key = in->strat_key[i];
        r->fold_id = in->fold_id;
        r->model = r->strategy = -1;
        r->correction = cidx ? cidx[i] : 0;
        r->lookahead = mm_kind_lookahead(in->strat[i].correction);
        r->train_loss = r->val_loss = NAN;
        task_row_blank(r);
    }
}

/* The fields training fixed (evaluate.h's base), from b into r. */
static void row_base(task_row *r, const task_row *b) {
    r->n_train = b->n_train;
    r->n_val = b->n_val;
    r->epochs_run = b->epochs_run;
    r->best_epoch = b->best_epoch;
    r->train_loss = b->train_loss;
    r->val_loss = b->val_loss;
}

/* ---- corrections ------------------------------------------------------------ */

/* The seed of a correction point's map: the task's key and the point's
 * own values, so it depends on nothing else in the strategy grid. */
static uint64_t correction_seed(uint64_t task_key, const bt_strategy *s) {
    const double v[5] = { s->correction, s->mm_size, s->mm_beta, s->mm_sigma0, s->mm_epochs };
    return rs_hash2(task_key, rs_hash_bytes(v, sizeof v, 0x636f7272ULL /* "corr" */));
}

/* The per-call buffers of task_evaluate (one allocation each, freed together). */
typedef struct {
    int     *cidx, *cfirst;  /* [n_strat] each point's correction, each correction's first point */
    int     *known_row;      /* [n_strat] row of `known` with the same key, or -1  */
    int     *known_corr;     /* [n_strat] its corr column per correction, or -1   */
    double  *eq, *rets;      /* [n_test] backtest scratch                           */
    double  *ret_true, *ret_pred, *closes;   /* price: [n_test]                      */
    int     *lab, *lab_train;                 /* trend3: [n_test], [n_train]         */
    double  *onehot;                          /* trend3: [n_test][3]                 */
    int64_t *tr_end;                          /* trend3: [n_train] data rows         */
    uint8_t *te_net, *te_true, *te_out;       /* trend3: [n_test]                    */
    int32_t *trd;            /* [n_test] cumulative trades of one run (day series)   */
} evscratch;

static void evscratch_free(evscratch *s) {
    free(s->trd);
    free(s->cidx); free(s->cfirst); free(s->known_row); free(s->known_corr); free(s->eq); free(s->rets);
    free(s->ret_true); free(s->ret_pred); free(s->closes); free(s->lab); free(s->lab_train); free(s->onehot);
    free(s->tr_end); free(s->te_net); free(s->te_true); free(s->te_out);
    memset(s, 0, sizeof *s);
}

/* The class of every test bar after each correction point not already
 * known: corr[c][k].  "none" is the network's argmax; a motor map learns
 * from the network's classes on the training windows and their labels
 * (motormap.h).  RS_EINPUT (the map refused its input: le says why) makes
 * the task FAILED; RS_EINTERNAL is no memory. */
static int correct_points(const task_eval_in *ei, evscratch *S, int n_corr, int8_t *corr, rs_err *le) {
    const task_data *d = ei->d;
    const task_input *in = ei->in;
    const int n_test = ei->tf->n_test, n_train = (int)ei->tf->n_train;
    const double (*prob)[MT_NCLASS] = (const double (*)[MT_NCLASS])ei->pred;
    for (int k = 0; k < n_test; k++) {
        S->te_net[k] = (uint8_t)metrics_argmax3(prob[k]);
        S->te_true[k] = (uint8_t)S->lab[k];
    }
    int need_map = 0;
    for (int c = 0; c < n_corr; c++)
        need_map |= S->known_corr[c] < 0 && in->strat[S->cfirst[c]].correction != MM_NONE;
    const double *close[64];
    mm_train mt = { NULL, NULL, NULL, 0 };
    if (need_map) {
        if (d->n_inst < 1 || d->n_inst > 64)
            return rs_err_set(le, RS_EINPUT, "motor map: %d instruments (1..64)", d->n_inst);
        if (!ei->tr_net || !ei->tr_true)
            return rs_err_set(le, RS_EINPUT, "motor map: the network's classes on the training windows are missing");
        for (int i = 0; i < d->n_inst; i++) close[i] = d->close + (size_t)i * (size_t)d->n;
        for (int i = 0; i < n_train; i++) S->tr_end[i] = ei->tf->f.train_lo + (int64_t)i * ei->tf->stride;
        mt = (mm_train){ S->tr_end, ei->tr_net, ei->tr_true, n_train };
    }
    const mm_series ms = { close, d->n_inst, d->n, in->spec.seq_len, d->setup.horizon };
    const mm_test te = { ei->tf->f.test_lo, n_test, S->te_net, S->te_true };
    for (int c = 0; c < n_corr; c++) {
        const bt_strategy *pt = &in->strat[S->cfirst[c]];
        int8_t *out = corr + (size_t)c * n_test;
        if (S->known_corr[c] >= 0) {
            memcpy(out, ei->known->corr + (size_t)S->known_corr[c] * n_test, (size_t)n_test);
            continue;
        }
        if (pt->correction == MM_NONE) {
            for (int k = 0; k < n_test; k++) out[k] = (int8_t)S->te_net[k];
            continue;
        }
        const mm_opts o = strategy_mm_opts(pt);
        rs_err me;
        int r = mm_correct(&o, pt->correction, &ms, correction_seed(in->task_key, pt), &mt, &te, S->te_out, NULL, &me);
        if (r) return rs_err_set(le, r, "%s (correction of strategy %d): %s", mm_kind_name(pt->correction),
                                 S->cfirst[c], me.msg);
        for (int k = 0; k < n_test; k++) out[k] = (int8_t)S->te_out[k];
    }
    return 0;
}

/* ---- scoring ------------------------------------------------------------------ */

/* One run's per-bar returns r[n] (the engine's doubles) as eo's series
 * points into out[eo->n_pts] (task.h, "Series resolution"): per bar the
 * float of each, per day the day's bars compounded in double and then
 * rounded once; with cum (cumulative trades per bar, day series) the
 * trades closed in each day into trd. */
static void to_points(const task_eval_out *eo, const double *r, const int32_t *cum, int n, float *out,
                      int32_t *trd) {
    if (eo->n_pts == 0) return;
    if (eo->series != TASK_SERIES_DAY) {
        assert(eo->n_pts == n);
        for (int k = 0; k < n; k++) out[k] = (float)r[k];
        return;
    }
    int b = 0;
    for (int q = 0; q < eo->n_pts; q++) {
        const int end = eo->pt_end[q];
        double g = 1.0;
        for (; b <= end; b++) g *= 1.0 + r[b];
        out[q] = (float)(g - 1.0);
        if (trd) trd[q] = cum[end] - (q > 0 ? cum[eo->pt_end[q - 1]] : 0);
    }
    assert(b == n);
}

/* Which rows and correction columns of ei->known this task can copy. */
static void map_known(const task_eval_in *ei, evscratch *S, int n_corr) {
    const task_input *in = ei->in;
    const task_view *k = ei->known;
    for (int c = 0; c < n_corr; c++) S->known_corr[c] = -1;
    for (int i = 0; i < in->n_strat; i++) {
        int j = -1;
        for (int q = 0; k && q < k->h->n_strat && j < 0; q++)
            if (k->rows[q].strategy_key == in->strat_key[i]) j = q;
        /* corrections are per bar: copied whatever the record's resolution */
        int c = S->cidx[i];
        if (j >= 0 && k->corr && S->known_corr[c] < 0 && k->rows[j].correction >= 0 &&
            k->rows[j].correction < k->h->n_corr)
            S->known_corr[c] = k->rows[j].correction;
        /* a row and its series only at this evaluation's resolution: at
         * another one the strategy runs again (the same row, bit for bit,
         * and the series at the resolution asked for) */
        S->known_row[i] = j >= 0 && k->h->series == in->series ? j : -1;
    }
}

int task_evaluate(const task_eval_in *ei, task_eval_out *eo, char *msg, rs_err *e) {
    const task_data *d = ei->d;
    const task_input *in = ei->in;
    const task_fold_t *tf = ei->tf;
    const int kind = d->setup.target_kind, cls = kind == TARGET_TREND3;
    const int ns = in->n_strat, n_test = tf->n_test, n_train = (int)tf->n_train;
    char fid[FOLD_ID_MAX];
    fold_id_text(in->fold_id, fid, sizeof fid);
    double t0 = rs_now();
    eo->status = TASK_OK;
    eo->n_corr = 0;
    eo->sec_forecast = eo->sec_backtest = 0;
    evscratch S;
    memset(&S, 0, sizeof S);
    int rc = 0;
    rs_err le;
    rs_err_clear(&le);
    S.cidx = malloc((size_t)ns * sizeof *S.cidx);
    S.cfirst = malloc((size_t)ns * sizeof *S.cfirst);
    S.known_row = malloc((size_t)ns * sizeof *S.known_row);
    S.known_corr = malloc((size_t)ns * sizeof *S.known_corr);
    S.eq = malloc((size_t)n_test * sizeof *S.eq);
    S.rets = malloc((size_t)n_test * sizeof *S.rets);
    S.trd = malloc((size_t)n_test * sizeof *S.trd);
    int oom = !S.cidx || !S.cfirst || !S.known_row || !S.known_corr || !S.eq || !S.rets || !S.trd;
    if (kind == TARGET_PRICE) {
        S.ret_true = malloc((size_t)n_test * sizeof *S.ret_true);
        S.ret_pred = malloc((size_t)n_test * sizeof *S.ret_pred);
        S.closes = malloc((size_t)n_test * sizeof *S.closes);
        oom |= !S.ret_true || !S.ret_pred || !S.closes;
    } else if (cls) {
        S.lab = malloc((size_t)n_test * sizeof *S.lab);
        S.lab_train = malloc((size_t)(n_train > 0 ? n_train : 1) * sizeof *S.lab_train);
        S.onehot = malloc((size_t)n_test * MT_NCLASS * sizeof *S.onehot);
        S.tr_end = malloc((size_t)(n_train > 0 ? n_train : 1) * sizeof *S.tr_end);
        S.te_net = malloc((size_t)n_test);
        S.te_true = malloc((size_t)n_test);
        S.te_out = malloc((size_t)n_test);
        oom |= !S.lab || !S.lab_train || !S.onehot || !S.tr_end || !S.te_net || !S.te_true || !S.te_out;
    }
    if (oom) {
        evscratch_free(&S);
        return rs_err_set(e, RS_EINTERNAL, "task: out of memory (scoring fold %s, %d test bars)", fid, n_test);
    }
    /* correction points: computed once each, in the plan's order */
    int n_corr = 0;
    if (cls) n_corr = strategy_corrections(in->strat, ns, S.cidx, S.cfirst);
    else for (int i = 0; i < ns; i++) S.cidx[i] = 0;
    map_known(ei, &S, n_corr);
    task_rows_init(in, S.cidx, eo->rows);
    for (int i = 0; i < ns; i++) row_base(&eo->rows[i], ei->base);

    /* ---- the forecast: metrics and baselines every row shares ---- */
    task_row fc;
    task_row_blank(&fc);
    fc.test_loss = ei->base->test_loss;
    int mrc = 0;
    mt_regression mr, mb;
    mt_classes mc, mcb;
    if (kind == TARGET_RETURN) {
        mrc = metrics_regression(ei->ytrue, ei->pred, n_test, &mr, &le);
        if (!mrc) mrc = metrics_persistence(ei->ytrue, n_test, &mb, &le);
        if (!mrc) {
            fc.rmse = mr.rmse; fc.mae = mr.mae; fc.r2 = mr.r2; fc.dir_acc = mr.dir_acc;
            fc.base_rmse = mb.rmse; fc.base_mae = mb.mae; fc.base_r2 = mb.r2; fc.base_dir_acc = mb.dir_acc;
        }
    } else if (kind == TARGET_PRICE) {
        for (int i = 0; i < n_test; i++) {
            const double p = ei->pred[i], c = tf->bars.close[i];
            if (!isfinite(p)) {
                mrc = rs_err_set(&le, RS_EINPUT, "predicted price %g at test bar %d is not finite", p, i);
                break;
            }
            S.closes[i] = c;
            S.ret_pred[i] = metrics_implied_log_return(p, c);   /* p <= 0: the floor (metrics.h) */
            S.ret_true[i] = log(ei->ytrue[i] / c);
        }
        /* Prices score in price units; direction on the implied returns,
         * where persistence (price = c[e]) is the return-0 forecast. */
        if (!mrc) mrc = metrics_regression(ei->ytrue, ei->pred, n_test, &mr, &le);
        if (!mrc) mrc = metrics_regression(ei->ytrue, S.closes, n_test, &mb, &le);
        if (!mrc) {
            fc.rmse = mr.rmse; fc.mae = mr.mae; fc.r2 = mr.r2;
            fc.base_rmse = mb.rmse; fc.base_mae = mb.mae; fc.base_r2 = mb.r2;
            mrc = metrics_regression(S.ret_true, S.ret_pred, n_test, &mr, &le);
        }
        if (!mrc) mrc = metrics_persistence(S.ret_true, n_test, &mb, &le);
        if (!mrc) { fc.dir_acc = mr.dir_acc; fc.base_dir_acc = mb.dir_acc; }
    } else {
        /* the network's classes; every correction point re-labels them */
        double prior[MT_NCLASS];
        for (int i = 0; i < n_test; i++) S.lab[i] = (int)ei->ytrue[i];
        for (int i = 0; i < n_train; i++) S.lab_train[i] = ei->tr_true ? ei->tr_true[i] : 0;
        const double (*prob)[MT_NCLASS] = (const double (*)[MT_NCLASS])ei->pred;
        mrc = metrics_classes(S.lab, prob, n_test, &mc, &le);
        /* the training-majority baseline needs the training labels; a
         * version-3 record has none, but its rows hold the baseline */
        if (!mrc && ei->tr_true) mrc = metrics_class_prior(S.lab_train, n_train, prior, &le);
        if (!mrc && ei->tr_true) mrc = metrics_majority(S.lab, n_test, prior, &mcb, &le);
        if (!mrc && !ei->tr_true) {
            mcb.accuracy = ei->base->base_accuracy;
            mcb.macro_f1 = ei->base->base_macro_f1;
            mcb.log_loss = ei->base->base_log_loss;
        }
        if (!mrc) {
            fc.accuracy = mc.accuracy; fc.macro_f1 = mc.macro_f1; fc.log_loss = mc.log_loss;
            fc.base_accuracy = mcb.accuracy; fc.base_macro_f1 = mcb.macro_f1; fc.base_log_loss = mcb.log_loss;
            memcpy(fc.confusion, mc.confusion, sizeof fc.confusion);
            metrics_class_pr(mc.confusion, fc.precision, fc.recall);
            fc.trend_lo = ei->base->trend_lo;
            fc.trend_hi = ei->base->trend_hi;
            memcpy(fc.class_count, ei->base->class_count, sizeof fc.class_count);
        }
        if (!mrc) {
            int mm = correct_points(ei, &S, n_corr, eo->corr, &le);
            if (mm == RS_EINTERNAL) { rc = rs_err_set(e, mm, "task: %s", le.msg); goto done; }
            mrc = mm;
        }
    }
    eo->sec_forecast = rs_now() - t0;
    if (mrc) {
        task_msg_set(msg, "fold %s: forecast metrics: %s", fid, le.msg);
        eo->status = TASK_FAILED;
        goto done;
    }
    eo->n_corr = n_corr;
    for (int i = 0; i < ns; i++) {
        task_row *r = &eo->rows[i];
        r->n_test = n_test;
        r->test_loss = fc.test_loss;
        r->rmse = fc.rmse; r->mae = fc.mae; r->r2 = fc.r2; r->dir_acc = fc.dir_acc;
        r->accuracy = fc.accuracy; r->macro_f1 = fc.macro_f1; r->log_loss = fc.log_loss;
        r->base_rmse = fc.base_rmse; r->base_mae = fc.base_mae; r->base_r2 = fc.base_r2;
        r->base_dir_acc = fc.base_dir_acc;
        r->base_accuracy = fc.base_accuracy; r->base_macro_f1 = fc.base_macro_f1;
        r->base_log_loss = fc.base_log_loss;
        memcpy(r->confusion, fc.confusion, sizeof r->confusion);
        memcpy(r->class_count, fc.class_count, sizeof r->class_count);
        memcpy(r->precision, fc.precision, sizeof r->precision);
        memcpy(r->recall, fc.recall, sizeof r->recall);
        r->trend_lo = fc.trend_lo;
        r->trend_hi = fc.trend_hi;
        if (!cls || in->strat[i].correction == MM_NONE) continue;
        /* a corrected row scores its correction's hard classes */
        const int c = S.cidx[i];
        const int8_t *cc = eo->corr + (size_t)c * n_test;
        memset(r->confusion, 0, sizeof r->confusion);
        int hit = 0;
        for (int k = 0; k < n_test; k++) { r->confusion[S.lab[k]][cc[k]]++; hit += S.lab[k] == cc[k]; }
        r->accuracy = (double)hit / n_test;
        r->macro_f1 = metrics_macro_f1((const int (*)[MT_NCLASS])r->confusion);
        r->log_loss = NAN;
        metrics_class_pr((const int (*)[MT_NCLASS])r->confusion, r->precision, r->recall);
    }

    /* ---- every strategy on the same predictions ---- */
    t0 = rs_now();
    bt_preds bp = { NULL, NULL };
    if (cls) bp.prob = (const double (*)[MT_NCLASS])ei->pred;
    else bp.ret = kind == TARGET_PRICE ? S.ret_pred : ei->pred;
    int onehot_of = -1;              /* which correction S.onehot holds        */
    const task_view *kv = ei->known;
    const size_t np = (size_t)eo->n_pts;
    for (int i = 0; i < ns; i++) {
        if (in->opts.stop && in->opts.stop(in->opts.stop_ctx)) {
            rc = rs_err_set(e, RS_EDRAIN, "task: abandoned by a drain");
            goto done;
        }
        task_row *r = &eo->rows[i];
        float *ret = eo->ret + (size_t)i * np;
        int32_t *trd = eo->trades ? eo->trades + (size_t)i * np : NULL;
        const int kj = S.known_row[i];
        if (kj >= 0) {
            /* the stored row and its series (at this resolution, map_known):
             * what this code computed then */
            *r = kv->rows[kj];
            r->correction = S.cidx[i];
            if (np) memcpy(ret, kv->ret + (size_t)kj * np, np * sizeof *ret);
            if (trd && np) memcpy(trd, kv->trades + (size_t)kj * np, np * sizeof *trd);
            if (i > 0) continue;
            /* the record's bh series is its strategy 0's: reuse it only when
             * that is this plan's strategy 0 too, else compute it below */
            if (kj == 0) { if (np) memcpy(eo->bh, kv->bh, np * sizeof *eo->bh); continue; }
        } else {
            bt_preds pi = bp;
            if (cls && in->strat[i].correction != MM_NONE) {
                /* a corrected trend is a hard class: probability 1 on it */
                const int c = S.cidx[i];
                if (c != onehot_of) {
                    const int8_t *cc = eo->corr + (size_t)c * n_test;
                    for (int k = 0; k < n_test; k++)
                        for (int q = 0; q < MT_NCLASS; q++) S.onehot[k * MT_NCLASS + q] = q == cc[k];
                    onehot_of = c;
                }
                pi.prob = (const double (*)[MT_NCLASS])S.onehot;
            }
            if (backtest_run_trades(&in->strat[i], &tf->bars, &pi, &r->trading, S.eq, S.rets, trd ? S.trd : NULL,
                                    &le)) {
                task_msg_set(msg, "fold %s: strategy %d: %s", fid, i, le.msg);
                eo->status = TASK_FAILED;
                goto done;
            }
            to_points(eo, S.rets, trd ? S.trd : NULL, n_test, ret, trd);
        }
        /* buy-and-hold under this point's costs and account (strategy 0's
         * series is the record's bh) */
        mt_trading bh;
        if (backtest_buy_and_hold(&in->strat[i], &tf->bars, &bh, S.eq, S.rets, &le)) {
            task_msg_set(msg, "fold %s: buy-and-hold of strategy %d: %s", fid, i, le.msg);
            eo->status = TASK_FAILED;
            goto done;
        }
        if (kj < 0) {
            r->bh_roi_pct = bh.roi_pct;
            r->bh_sharpe = bh.sharpe;
            r->bh_max_dd_pct = bh.max_dd_pct;
        }
        if (i == 0) to_points(eo, S.rets, NULL, n_test, eo->bh, NULL);
    }
    eo->sec_backtest = rs_now() - t0;
done:
    evscratch_free(&S);
    return rc;
}

/* ---- re-evaluation ---------------------------------------------------------- */

int task_reevaluable(const task_view *old, const bt_strategy *strat, const uint64_t *keys, int n, int cls,
                     char *why, size_t n_why) {
    char tmp[8];
    if (!why) { why = tmp; n_why = sizeof tmp; }
    why[0] = 0;
    const task_head *h = old->h;
    if (h->status == TASK_FAILED) { snprintf(why, n_why, "failed"); return 0; }
    if (h->status != TASK_OK) return 1;          /* empty, diverged: blank rows */
    if (h->n_test < 1 || !old->pred) { snprintf(why, n_why, "no stored test series"); return 0; }
    if (h->n_out != (cls ? MT_NCLASS : 1)) { snprintf(why, n_why, "a prediction width of %d", h->n_out); return 0; }
    if (!cls || h->n_trcls > 0) return 1;
    /* trend3 without training classes (a version-3 record): only motor-map
     * points whose classes a row of the record already holds */
    for (int i = 0; i < n; i++) {
        if (strat[i].correction == MM_NONE) continue;
        int have = 0;
        for (int j = 0; j < n && !have; j++) {
            if (!strategy_same_correction(&strat[i], &strat[j])) continue;
            for (int r = 0; r < h->n_strat && !have; r++) have = old->rows[r].strategy_key == keys[j];
        }
        if (!have) {
            snprintf(why, n_why, "no training classes stored (a version-3 record) and a new motor-map correction "
                     "needs them");
            return 0;
        }
    }
    return 1;
}

int task_reevaluate(const task_data *d, const task_input *in, const task_view *old, task_buf *out, rs_err *e) {
    const int cls = d->setup.target_kind == TARGET_TREND3;
    const task_head *oh = old->h;
    if (in->n_strat < 1 || !in->strat || !in->strat_key)
        return rs_err_set(e, RS_EINPUT, "re-evaluation: %d strategies", in->n_strat);
    if (oh->task_key != in->task_key || oh->model_key != in->model_key || oh->fold_id != in->fold_id)
        return rs_err_set(e, RS_EINPUT, "re-evaluation: the record is task %016llx, not %016llx",
                          (unsigned long long)oh->task_key, (unsigned long long)in->task_key);
    char why[160];
    if (!task_reevaluable(old, in->strat, in->strat_key, in->n_strat, cls, why, sizeof why))
        return rs_err_set(e, RS_EINPUT, "re-evaluation: %s", why);
    if (in->series != TASK_SERIES_BAR && in->series != TASK_SERIES_DAY && in->series != TASK_SERIES_NONE)
        return rs_err_set(e, RS_EINPUT, "re-evaluation: series resolution %d unknown", in->series);
    const int ns = in->n_strat;
    task_head h = *oh;
    h.n_strat = ns;
    h.reevaluated = 1;
    h.series = in->series;           /* the resolution asked for, whatever old's was */
    task_extras x = { old->curve, old->tr_net, old->tr_true, old->weights };
    task_row *rows = malloc((size_t)ns * sizeof *rows);
    if (!rows) return rs_err_set(e, RS_EINTERNAL, "re-evaluation: out of memory (%d rows)", ns);
    int rc = 0;
    if (oh->status != TASK_OK) {
        /* empty or diverged: the rows a rerun gives, blank with the fold's
         * window counts and (diverged) what training reached */
        int *cidx = malloc((size_t)ns * sizeof *cidx), *cfirst = malloc((size_t)ns * sizeof *cfirst);
        if (!cidx || !cfirst) {
            free(cidx); free(cfirst); free(rows);
            return rs_err_set(e, RS_EINTERNAL, "re-evaluation: out of memory");
        }
        if (cls) strategy_corrections(in->strat, ns, cidx, cfirst);
        else memset(cidx, 0, (size_t)ns * sizeof *cidx);
        task_rows_init(in, cidx, rows);
        for (int i = 0; i < ns; i++) {
            row_base(&rows[i], &old->rows[0]);
            rows[i].status = oh->status;
        }
        free(cidx);
        free(cfirst);
        h.sec_backtest = 0;
        h.n_pts = 0;
        rc = task_pack_points(out, &h, rows, NULL, NULL, NULL, NULL, NULL, &x, e);
        free(rows);
        return rc;
    }
    char msg[TASK_MSG_MAX] = "";
    task_fold_t tf;
    if ((rc = task_fold(d, in, &tf, msg, e))) { free(rows); return rc; }
    if (tf.status != TASK_OK || tf.n_test != oh->n_test || tf.n_train != old->rows[0].n_train ||
        memcmp(old->t, d->t + tf.f.test_lo, (size_t)tf.n_test * sizeof *old->t) ||
        (cls && oh->n_trcls > 0 && oh->n_trcls != tf.n_train)) {
        free(rows);
        return rs_err_set(e, RS_EINPUT, "re-evaluation: the stored series (%d test bars) does not match this "
                          "data's fold (%s)", oh->n_test, tf.status == TASK_OK ? "other bars" : msg);
    }
    const size_t nt = (size_t)tf.n_test;
    int32_t *pt_end = malloc(nt * sizeof *pt_end);
    const int n_pts = pt_end ? task_series_points(in->series, old->t, tf.n_test, pt_end) : 0;
    const size_t np = (size_t)n_pts;
    float *ret = malloc(((size_t)ns * np + 1) * sizeof *ret), *bh = malloc((np + 1) * sizeof *bh);
    int32_t *trades = in->series == TASK_SERIES_DAY ? malloc(((size_t)ns * np + 1) * sizeof *trades) : NULL;
    int8_t *corr = malloc((size_t)ns * nt);
    if (!pt_end || !ret || !bh || !corr || (in->series == TASK_SERIES_DAY && !trades)) {
        free(rows); free(ret); free(bh); free(corr); free(pt_end); free(trades);
        return rs_err_set(e, RS_EINTERNAL, "re-evaluation: out of memory (%d strategies x %zu bars)", ns, nt);
    }
    const task_eval_in ei = { d, in, &tf, old->y, old->pred, old->tr_net, old->tr_true, &old->rows[0], old };
    task_eval_out eo = { .rows = rows, .ret = ret, .bh = bh, .corr = corr, .status = TASK_OK, .series = in->series,
                         .n_pts = n_pts, .pt_end = pt_end, .trades = trades };
    rc = task_evaluate(&ei, &eo, msg, e);
    if (!rc && eo.status != TASK_OK) rc = rs_err_set(e, RS_EINPUT, "re-evaluation: %s", msg);
    if (!rc) {
        for (int i = 0; i < ns; i++) rows[i].status = TASK_OK;
        h.n_corr = eo.n_corr;
        h.sec_backtest = eo.sec_backtest;
        h.sec_total = oh->sec_train + oh->sec_predict + eo.sec_forecast + eo.sec_backtest;
        h.n_pts = n_pts;
        const task_points pts = { ret, bh, pt_end, trades };
        rc = task_pack_points(out, &h, rows, old->t, old->y, old->pred, &pts, eo.n_corr ? corr : NULL, &x, e);
    }
    free(rows); free(ret); free(bh); free(corr); free(pt_end); free(trades);
    return rc;
}
