/*
 * task_run.c — one sweep task end to end (task.h): build the fold of the
 * test year, fit the scalers and labels on its training rows only, train,
 * predict the test year once, score the forecast against its baselines and
 * backtest every strategy point on those same predictions.
 *
 * Rows.  A fold touches rows [fit_lo, test_hi] only (fit_lo = train_lo-T+1
 * is the first input row of the first training window; every validation
 * and test window lies after it).  Those rows — and no others — are copied
 * into a per-task buffer and scaled there, so windows are views of that
 * copy with end rows shifted by -fit_lo; the RNN engine indexes rows with
 * int, hence the range check.
 *
 * Memory.  Everything is allocated once at the start of a task (the scaled
 * rows, the labels, the window lists, the series, the backtest scratch)
 * plus the model's arena: nothing per training step, nothing per strategy.
 *
 * Status, not error.  Whatever the data or the fold can make go wrong (an
 * empty fold, a NaN label, divergence, bars the engine refuses) ends as a
 * packed result with a status and a message.  Only a caller bug (an input
 * that contradicts itself or the data) or no memory returns an error.
 *
 * Contents (file order): msg_set, row_blank (rows of a task that is not
 * OK), scratch (the per-task buffers), correct_all (every correction point
 * of a trend3 task), empty_reason, input_check, then task_run in five
 * numbered steps: 1 the fold, 2 scaled features and labels fitted on
 * training rows, 3 the model (train), 4 predict once and score the
 * forecast, 5 every strategy on the same predictions.
 */
#include "worker/task.h"

#include "worker/features.h"
#include "worker/motormap.h"

#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* printf into a task message, truncated to TASK_MSG_MAX - 1 characters. */
static void msg_set(char *dst, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void msg_set(char *dst, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(dst, TASK_MSG_MAX, fmt, ap);
    va_end(ap);
}

/* Every metric field of a row NaN and its trading block zero: the state of
 * a row that is not OK (task.h), and the start of one that will be. */
static void row_blank(task_row *r) {
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

/* The per-task buffers (one allocation each, all freed together). */
typedef struct {
    float   *xs;         /* [nr][n_feat] scaled copy of rows fit_lo..test_hi      */
    float   *ys;         /* [nr] labels of those rows, in training units          */
    int     *ends;       /* train | val | test window end rows, shifted           */
    double  *ytrue;      /* [n_test] truth in target units (the y series)         */
    double  *pred;       /* [n_test][n_out] predictions in target units           */
    double  *ret_true;   /* price: [n_test] log(y/c[e]); trend3: NULL             */
    double  *ret_pred;   /* price: [n_test] log(pred/c[e]), the traded signal     */
    double  *closes;     /* price: [n_test] the persistence forecast c[e]         */
    int     *lab;        /* trend3: [n_test] test labels                          */
    int     *lab_train;  /* trend3: [n_train] training labels (the prior)         */
    double  *eq, *rets;  /* [n_test] backtest scratch, shared by every strategy   */
    float   *ret_f;      /* [n_strat][n_test] the ret series                      */
    float   *bh_f;       /* [n_test] the bh series                                */
    /* corrections (trend3) */
    int     *cidx;       /* [n_strat] each strategy's correction point            */
    int     *cfirst;     /* [n_strat] the first strategy of each point            */
    int8_t  *corr;       /* [n_corr][n_test] the class after each correction      */
    double  *onehot;     /* [n_test][3] a corrected class as probabilities        */
    double  *tr_prob;    /* [n_train][3] the network on its training windows      */
    int64_t *tr_end;     /* [n_train] their end rows in the data                  */
    uint8_t *tr_net, *tr_true, *te_net, *te_true, *te_out;   /* classes          */
} scratch;

static void scratch_free(scratch *s) {
    free(s->xs); free(s->ys); free(s->ends); free(s->ytrue); free(s->pred);
    free(s->ret_true); free(s->ret_pred); free(s->closes); free(s->lab); free(s->lab_train);
    free(s->eq); free(s->rets); free(s->ret_f); free(s->bh_f);
    free(s->cidx); free(s->cfirst); free(s->corr); free(s->onehot); free(s->tr_prob); free(s->tr_end);
    free(s->tr_net); free(s->tr_true); free(s->te_net); free(s->te_true); free(s->te_out);
    memset(s, 0, sizeof *s);
}

/* The seed of a correction point's map: the task's key and the point's
 * own values, so it depends on nothing else in the strategy grid. */
static uint64_t correction_seed(uint64_t task_key, const bt_strategy *s) {
    const double v[5] = { s->correction, s->mm_size, s->mm_beta, s->mm_sigma0, s->mm_epochs };
    return rs_hash2(task_key, rs_hash_bytes(v, sizeof v, 0x636f7272ULL /* "corr" */));
}

/* The class of every test bar after each correction point (trend3):
 * S->corr[c][k].  "none" is the network's argmax; a motor map learns from
 * the network's classes on the training windows (one extra forward pass
 * over them) and their labels (motormap.h).  RS_EINPUT (the map refused
 * its input: le says why) makes the task FAILED; RS_EINTERNAL is no memory. */
static int correct_all(const task_input *in, const task_data *d, const fold *f, const rnn_data *rd,
                       rnn_model *m, const int *tr_ends, int n_train, int n_test, int n_corr, scratch *S,
                       rs_err *le) {
    const double (*prob)[MT_NCLASS] = (const double (*)[MT_NCLASS])S->pred;
    S->corr = malloc((size_t)n_corr * (size_t)n_test);
    S->onehot = malloc((size_t)n_test * MT_NCLASS * sizeof *S->onehot);
    S->te_net = malloc((size_t)n_test);
    S->te_true = malloc((size_t)n_test);
    S->te_out = malloc((size_t)n_test);
    if (!S->corr || !S->onehot || !S->te_net || !S->te_true || !S->te_out)
        return rs_err_set(le, RS_EINTERNAL, "out of memory (corrections of %d test bars)", n_test);
    for (int k = 0; k < n_test; k++) {
        S->te_net[k] = (uint8_t)metrics_argmax3(prob[k]);
        S->te_true[k] = (uint8_t)S->lab[k];
    }
    int need_map = 0;
    for (int c = 0; c < n_corr; c++) need_map |= in->strat[S->cfirst[c]].correction != MM_NONE;
    const double *close[64];
    mm_train mt = { NULL, NULL, NULL, 0 };
    if (need_map) {
        if (d->n_inst < 1 || d->n_inst > 64)
            return rs_err_set(le, RS_EINPUT, "motor map: %d instruments (1..64)", d->n_inst);
        for (int i = 0; i < d->n_inst; i++) close[i] = d->close + (size_t)i * (size_t)d->n;
        S->tr_prob = malloc((size_t)n_train * MT_NCLASS * sizeof *S->tr_prob);
        S->tr_end = malloc((size_t)n_train * sizeof *S->tr_end);
        S->tr_net = malloc((size_t)n_train);
        S->tr_true = malloc((size_t)n_train);
        if (!S->tr_prob || !S->tr_end || !S->tr_net || !S->tr_true)
            return rs_err_set(le, RS_EINTERNAL, "out of memory (the network on %d training windows)", n_train);
        rnn_predict(m, rd, tr_ends, n_train, S->tr_prob);
        const double (*tp)[MT_NCLASS] = (const double (*)[MT_NCLASS])S->tr_prob;
        for (int i = 0; i < n_train; i++) {
            S->tr_end[i] = f->fit_lo + tr_ends[i];
            S->tr_net[i] = (uint8_t)metrics_argmax3(tp[i]);
            S->tr_true[i] = (uint8_t)S->lab_train[i];
        }
        mt = (mm_train){ S->tr_end, S->tr_net, S->tr_true, n_train };
    }
    const mm_series ms = { close, d->n_inst, d->n, in->spec.seq_len, d->setup.horizon };
    const mm_test te = { f->test_lo, n_test, S->te_net, S->te_true };
    for (int c = 0; c < n_corr; c++) {
        const bt_strategy *pt = &in->strat[S->cfirst[c]];
        int8_t *out = S->corr + (size_t)c * n_test;
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

/* Why folds_build called this fold empty, in the words of fold_opts. */
static void empty_reason(char *msg, const char *fid, const fold *f, const fold_opts *fo) {
    int64_t nt = fold_count(f->train_lo, f->train_hi), nv = fold_count(f->val_lo, f->val_hi);
    int64_t ns = fold_count(f->test_lo, f->test_hi);
    int64_t min_train = fo->min_train > 0 ? fo->min_train : 1;
    int want_val = fo->val_months > 0 || fo->val_frac > 0;
    if (ns < 1)
        msg_set(msg, "fold %s: no test window in that period", fid);
    else if (nt < min_train)
        msg_set(msg, "fold %s: %lld training windows, fewer than min_train %lld", fid,
                (long long)nt, (long long)min_train);
    else if (want_val && nv < 1)
        msg_set(msg, "fold %s: the requested validation set is empty", fid);
    else
        msg_set(msg, "fold %s: empty (train %lld, validation %lld, test %lld windows)", fid,
                (long long)nt, (long long)nv, (long long)ns);
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
    if (rnn_spec_check(&in->spec, e)) return RS_EINPUT;
    if (rnn_train_opts_check(&in->opts, e)) return RS_EINPUT;
    rs_err le;
    for (int i = 0; i < in->n_strat; i++)
        if (strategy_check(&in->strat[i], &le))
            return rs_err_set(e, RS_EINPUT, "task: strategy %d: %s", i, le.msg);
    return RS_OK;
}

int task_run(const task_data *d, const task_input *in, task_buf *out, rs_err *e) {
    const double t_start = rs_now();
    if (input_check(d, in, out, e)) return RS_EINPUT;
    char fid[FOLD_ID_MAX];                 /* "2017", "2017Q3": messages name the fold */
    fold_id_text(in->fold_id, fid, sizeof fid);

    const int kind = d->setup.target_kind, cls = kind == TARGET_TREND3;
    const int ns = in->n_strat, K = cls ? MT_NCLASS : 1, D = d->n_feat;
    const int64_t n = d->n;
    rs_err le;                       /* task-level problems: become the message */
    rs_err_clear(&le);
    scratch S;
    memset(&S, 0, sizeof S);
    rnn_model *m = NULL;
    int rc = RS_OK;                  /* non-zero: no result at all (returned)   */
    int status = TASK_OK;
    int n_corr = 0;                  /* correction points (trend3)             */

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
    /* correction points: computed once each, in the plan's order */
    if (cls) n_corr = strategy_corrections(in->strat, ns, S.cidx, S.cfirst);
    else for (int i = 0; i < ns; i++) S.cidx[i] = 0;
    for (int i = 0; i < ns; i++) {
        task_row *r = &rows[i];
        memset(r, 0, sizeof *r);     /* padding zero: records compare with memcmp */
        r->task_key = in->task_key;
        r->model_key = in->model_key;
        r->strategy_key = in->strat_key[i];
        r->fold_id = in->fold_id;
        r->model = r->strategy = -1;
        r->correction = S.cidx[i];
        r->lookahead = mm_kind_lookahead(in->strat[i].correction);
        r->train_loss = r->val_loss = NAN;
        row_blank(r);
    }

    /* ---- 1. the fold ---------------------------------------------------- */
    fold_opts fo = d->setup.folds;
    fo.lookback = in->spec.seq_len;
    fo.horizon = d->setup.horizon;
    fo.first_id = fo.last_id = in->fold_id;
    fold *folds = NULL, f;
    memset(&f, 0, sizeof f);
    int n_folds = 0;
    int frc = folds_build(d->t, n, d->first_valid, &fo, &folds, &n_folds, &le);
    if (frc == RS_EINPUT || (frc == 0 && n_folds < 1)) {
        if (frc == 0) msg_set(h.message, "fold %s: no fold built", fid);
        else msg_set(h.message, "fold %s: %s", fid, le.msg);
        free(folds);
        status = TASK_FAILED;
        goto done;
    }
    if (frc) { rc = rs_err_set(e, frc, "task: %s", le.msg); goto done; }
    f = folds[0];
    free(folds);
    /* stride / max_windows: which training and validation windows train.
     * Every stride-th end row counting back from the latest; at most
     * max_windows of them, the most recent.  A cap moves the start of the
     * training span to the first window kept, so the scalers see the rows
     * that train (still training rows only) and the task copies no rows it
     * never reads. */
    const int stride = in->stride > 0 ? in->stride : 1;
    int64_t n_train64 = fold_count(f.train_lo, f.train_hi);
    int64_t n_val64 = fold_count(f.val_lo, f.val_hi);
    if (f.status == FOLD_OK) {
        n_train64 = (n_train64 + stride - 1) / stride;
        if (in->max_windows > 0 && n_train64 > in->max_windows) n_train64 = in->max_windows;
        n_val64 = (n_val64 + stride - 1) / stride;
        f.train_lo = f.train_hi - (n_train64 - 1) * stride;
        f.fit_lo = f.train_lo - in->spec.seq_len + 1;
    }
    const int64_t nr64 = f.test_hi - f.fit_lo + 1;
    if (f.status == FOLD_EMPTY) {
        empty_reason(h.message, fid, &f, &fo);
        for (int i = 0; i < ns; i++) {
            rows[i].n_train = (int32_t)(n_train64 < INT32_MAX ? n_train64 : INT32_MAX);
            rows[i].n_val = (int32_t)(n_val64 < INT32_MAX ? n_val64 : INT32_MAX);
        }
        status = TASK_EMPTY;
        goto done;
    }
    if (f.fit_lo < 0 || nr64 < 1 || nr64 > INT_MAX) {
        msg_set(h.message, "fold %s: rows %lld..%lld do not fit the engine's int row index",
                fid, (long long)f.fit_lo, (long long)f.test_hi);
        status = TASK_FAILED;
        goto done;
    }
    const int nr = (int)nr64, n_train = (int)n_train64, n_val = (int)n_val64;
    const int n_test = (int)fold_count(f.test_lo, f.test_hi);
    for (int i = 0; i < ns; i++) { rows[i].n_train = n_train; rows[i].n_val = n_val; }

    /* The test bars, checked before any training is spent on them. */
    const bt_bars bars = { d->bars + f.test_lo, d->bars + n + f.test_lo, d->bars + 2 * n + f.test_lo,
                           d->bars + 3 * n + f.test_lo, n_test };
    if (backtest_check_bars(&bars, &le)) {
        msg_set(h.message, "fold %s: test bars: %s", fid, le.msg);
        status = TASK_FAILED;
        goto done;
    }

    /* ---- 2. scaled features and labels, fitted on training rows only ---- */
    S.xs = malloc((size_t)nr * (size_t)D * sizeof *S.xs);
    S.ys = malloc((size_t)nr * sizeof *S.ys);
    S.ends = malloc(((size_t)n_train + (size_t)n_val + (size_t)n_test) * sizeof *S.ends);
    S.ytrue = malloc((size_t)n_test * sizeof *S.ytrue);
    S.pred = malloc((size_t)n_test * (size_t)K * sizeof *S.pred);
    S.eq = malloc((size_t)n_test * sizeof *S.eq);
    S.rets = malloc((size_t)n_test * sizeof *S.rets);
    S.ret_f = malloc((size_t)ns * (size_t)n_test * sizeof *S.ret_f);
    S.bh_f = malloc((size_t)n_test * sizeof *S.bh_f);
    int oom = !S.xs || !S.ys || !S.ends || !S.ytrue || !S.pred || !S.eq || !S.rets || !S.ret_f || !S.bh_f;
    if (kind == TARGET_PRICE) {
        S.ret_true = malloc((size_t)n_test * sizeof *S.ret_true);
        S.ret_pred = malloc((size_t)n_test * sizeof *S.ret_pred);
        S.closes = malloc((size_t)n_test * sizeof *S.closes);
        oom |= !S.ret_true || !S.ret_pred || !S.closes;
    } else if (cls) {
        S.lab = malloc((size_t)n_test * sizeof *S.lab);
        S.lab_train = malloc((size_t)n_train * sizeof *S.lab_train);
        oom |= !S.lab || !S.lab_train;
    }
    if (oom) {
        rc = rs_err_set(e, RS_EINTERNAL, "task: out of memory (fold %s, %d rows)", fid, nr);
        goto done;
    }

    const float *x0 = d->x + f.fit_lo * (int64_t)D;
    for (int64_t k = 0; k < (int64_t)nr * D; k++)
        if (!isfinite(x0[k])) {
            msg_set(h.message, "fold %s: feature %d of row %lld is not finite", fid,
                    (int)(k % D), (long long)(f.fit_lo + k / D));
            status = TASK_FAILED;
            goto done;
        }
    scaler fsc, tsc;
    trend3_info info3;
    memset(&info3, 0, sizeof info3);
    if (scaler_fit(&fsc, d->setup.feat_scaler, d->x, D, f.fit_lo, f.fit_hi, &le)) {
        msg_set(h.message, "fold %s: feature scaler: %s", fid, le.msg);
        status = TASK_FAILED;
        goto done;
    }
    scaler_apply(&fsc, x0, S.xs, nr);

    const float *y0 = d->y + f.fit_lo;
    if (kind == TARGET_RETURN) {
        memcpy(S.ys, y0, (size_t)nr * sizeof *S.ys);
    } else if (kind == TARGET_PRICE) {
        if (scaler_fit(&tsc, d->setup.target_scaler, d->y, 1, f.train_lo, f.train_hi, &le)) {
            msg_set(h.message, "fold %s: target scaler: %s", fid, le.msg);
            status = TASK_FAILED;
            goto done;
        }
        scaler_apply(&tsc, y0, S.ys, nr);
    } else {
        /* The fold in the copy's row numbers: the thresholds see exactly the
         * training end rows they would see in the full series. */
        fold g = f;
        g.train_lo -= f.fit_lo; g.train_hi -= f.fit_lo;
        g.val_lo -= f.fit_lo;   g.val_hi -= f.fit_lo;
        g.test_lo -= f.fit_lo;  g.test_hi -= f.fit_lo;
        g.fit_lo = 0;           g.fit_hi -= f.fit_lo;
        int trc = targets_trend3(y0, nr, &g, d->setup.trend3_fit, d->setup.trend3_theta, S.ys, &info3, &le);
        if (trc == RS_EINTERNAL) { rc = rs_err_set(e, trc, "task: %s", le.msg); goto done; }
        if (trc) {
            msg_set(h.message, "fold %s: %s", fid, le.msg);
            status = TASK_FAILED;
            goto done;
        }
    }

    int *tr_ends = S.ends, *va_ends = S.ends + n_train, *te_ends = S.ends + n_train + n_val;
    for (int i = 0; i < n_train; i++) tr_ends[i] = (int)(f.train_lo - f.fit_lo) + i * stride;
    for (int i = 0; i < n_val; i++) va_ends[i] = (int)(f.val_hi - f.fit_lo) - (n_val - 1 - i) * stride;
    for (int i = 0; i < n_test; i++) te_ends[i] = (int)(f.test_lo - f.fit_lo) + i;
    const rnn_data rd = { S.xs, S.ys, nr, D };

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
                msg_set(h.message, "fold %s: %s window %d: the label of row %lld is not finite",
                        fid, set_name[s], i, (long long)(f.fit_lo + set_ends[s][i]));
                status = TASK_FAILED;
                goto done;
            }
        if (rnn_windows_check(m, &rd, set_ends[s], set_n[s], &le)) {
            msg_set(h.message, "fold %s: %s %s (rows counted from row %lld)", fid, set_name[s],
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
    int rrc = rnn_train(m, &rd, tr_ends, n_train, n_val > 0 ? va_ends : NULL, n_val, &opts, &tr, NULL, &le);
    h.sec_train = rs_now() - t0;
    if (rrc) { rc = rs_err_set(e, rrc, "task: training: %s", le.msg); goto done; }
    if (tr.status == RNN_TRAIN_STOPPED) { rc = rs_err_set(e, RS_EDRAIN, "task: abandoned by a drain"); goto done; }
    h.epochs_run = tr.epochs_run;
    h.best_epoch = tr.best_epoch;
    h.steps = tr.steps;
    for (int i = 0; i < ns; i++) {
        rows[i].epochs_run = tr.epochs_run;
        rows[i].best_epoch = tr.best_epoch;
        rows[i].train_loss = tr.last_train_loss;
        rows[i].val_loss = tr.best_val_loss;
    }
    if (tr.status == RNN_TRAIN_DIVERGED) {
        msg_set(h.message, "fold %s: training diverged in epoch %d (non-finite or exploding loss)",
                fid, tr.epochs_run + 1);
        status = TASK_DIVERGED;
        goto done;
    }
    if (tr.status == RNN_TRAIN_NODATA) {
        msg_set(h.message, "fold %s: no training window", fid);
        status = TASK_EMPTY;
        goto done;
    }

    /* ---- 4. predict once, score the forecast ---------------------------- */
    {
        char what[96];
        snprintf(what, sizeof what, "trained %d epochs; predicting %d test windows", tr.epochs_run, n_test);
        progress_phase(&pc, what);
    }
    t0 = rs_now();
    rnn_predict(m, &rd, te_ends, n_test, S.pred);
    const double test_loss = rnn_evaluate(m, &rd, te_ends, n_test);
    const double *close = d->bars + 3 * n + f.test_lo;
    for (int i = 0; i < n_test; i++) {
        int64_t er = f.test_lo + i;
        S.ytrue[i] = cls ? (double)S.ys[te_ends[i]] : (double)d->y[er];
    }
    task_row fc;                     /* the forecast fields every row shares */
    row_blank(&fc);
    fc.test_loss = test_loss;
    int mrc = 0;
    mt_regression mr, mb;
    mt_classes mc, mcb;
    if (kind == TARGET_RETURN) {
        mrc = metrics_regression(S.ytrue, S.pred, n_test, &mr, &le);
        if (!mrc) mrc = metrics_persistence(S.ytrue, n_test, &mb, &le);
        if (!mrc) {
            fc.rmse = mr.rmse; fc.mae = mr.mae; fc.r2 = mr.r2; fc.dir_acc = mr.dir_acc;
            fc.base_rmse = mb.rmse; fc.base_mae = mb.mae; fc.base_r2 = mb.r2; fc.base_dir_acc = mb.dir_acc;
        }
    } else if (kind == TARGET_PRICE) {
        for (int i = 0; i < n_test; i++) {
            double p = scaler_inverse(&tsc, 0, S.pred[i]);
            if (!isfinite(p)) {
                mrc = rs_err_set(&le, RS_EINPUT, "predicted price %g at test bar %d is not finite", p, i);
                break;
            }
            S.pred[i] = p;
            S.closes[i] = close[i];
            S.ret_pred[i] = metrics_implied_log_return(p, close[i]);   /* p <= 0: the floor */
            S.ret_true[i] = log(S.ytrue[i] / close[i]);
        }
        /* Prices score in price units; direction on the implied returns,
         * where persistence (price = c[e]) is the return-0 forecast. */
        if (!mrc) mrc = metrics_regression(S.ytrue, S.pred, n_test, &mr, &le);
        if (!mrc) mrc = metrics_regression(S.ytrue, S.closes, n_test, &mb, &le);
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
        for (int i = 0; i < n_test; i++) S.lab[i] = (int)S.ys[te_ends[i]];
        for (int i = 0; i < n_train; i++) S.lab_train[i] = (int)S.ys[tr_ends[i]];
        const double (*prob)[MT_NCLASS] = (const double (*)[MT_NCLASS])S.pred;
        mrc = metrics_classes(S.lab, prob, n_test, &mc, &le);
        if (!mrc) mrc = metrics_class_prior(S.lab_train, n_train, prior, &le);
        if (!mrc) mrc = metrics_majority(S.lab, n_test, prior, &mcb, &le);
        if (!mrc) {
            fc.accuracy = mc.accuracy; fc.macro_f1 = mc.macro_f1; fc.log_loss = mc.log_loss;
            fc.base_accuracy = mcb.accuracy; fc.base_macro_f1 = mcb.macro_f1; fc.base_log_loss = mcb.log_loss;
            memcpy(fc.confusion, mc.confusion, sizeof fc.confusion);
            metrics_class_pr(mc.confusion, fc.precision, fc.recall);
            fc.trend_lo = info3.lo;
            fc.trend_hi = info3.hi;
            /* class counts of the windows used (stride: not the fold's span) */
            const int *se[3] = { tr_ends, va_ends, te_ends };
            const int sn[3] = { n_train, n_val, n_test };
            for (int q = 0; q < 3; q++)
                for (int i = 0; i < sn[q]; i++) fc.class_count[q][(int)S.ys[se[q][i]]]++;
        }
        if (!mrc) {
            if (n_corr > 1) progress_phase(&pc, "correcting the trend (motor maps)");
            int mm = correct_all(in, d, &f, &rd, m, tr_ends, n_train, n_test, n_corr, &S, &le);
            if (mm == RS_EINTERNAL) { rc = rs_err_set(e, mm, "task: %s", le.msg); goto done; }
            mrc = mm;
        }
    }
    h.sec_predict = rs_now() - t0;
    if (mrc) {
        msg_set(h.message, "fold %s: forecast metrics: %s", fid, le.msg);
        status = TASK_FAILED;
        goto done;
    }
    for (int i = 0; i < ns; i++) {
        task_row *r = &rows[i];
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
        r->correction = c;
        r->lookahead = mm_kind_lookahead(in->strat[i].correction);
        const int8_t *cc = S.corr + (size_t)c * n_test;
        memset(r->confusion, 0, sizeof r->confusion);
        int hit = 0;
        for (int k = 0; k < n_test; k++) { r->confusion[S.lab[k]][cc[k]]++; hit += S.lab[k] == cc[k]; }
        r->accuracy = (double)hit / n_test;
        r->macro_f1 = metrics_macro_f1((const int (*)[MT_NCLASS])r->confusion);
        r->log_loss = NAN;
        metrics_class_pr((const int (*)[MT_NCLASS])r->confusion, r->precision, r->recall);
    }

    /* ---- 5. every strategy on the same predictions ------------------------ */
    t0 = rs_now();
    bt_preds bp = { NULL, NULL };
    if (cls) bp.prob = (const double (*)[MT_NCLASS])S.pred;
    else bp.ret = kind == TARGET_PRICE ? S.ret_pred : S.pred;
    int onehot_of = -1;              /* which correction S.onehot holds        */
    for (int i = 0; i < ns; i++) {
        if (in->opts.stop && in->opts.stop(in->opts.stop_ctx)) {
            rc = rs_err_set(e, RS_EDRAIN, "task: abandoned by a drain");
            goto done;
        }
        task_row *r = &rows[i];
        bt_preds pi = bp;
        if (cls && in->strat[i].correction != MM_NONE) {
            /* a corrected trend is a hard class: probability 1 on it */
            const int c = S.cidx[i];
            if (c != onehot_of) {
                const int8_t *cc = S.corr + (size_t)c * n_test;
                for (int k = 0; k < n_test; k++)
                    for (int q = 0; q < MT_NCLASS; q++) S.onehot[k * MT_NCLASS + q] = q == cc[k];
                onehot_of = c;
            }
            pi.prob = (const double (*)[MT_NCLASS])S.onehot;
        }
        if (backtest_run(&in->strat[i], &bars, &pi, &r->trading, S.eq, S.rets, &le)) {
            msg_set(h.message, "fold %s: strategy %d: %s", fid, i, le.msg);
            status = TASK_FAILED;
            goto done;
        }
        for (int k = 0; k < n_test; k++) S.ret_f[(size_t)i * n_test + k] = (float)S.rets[k];
        mt_trading bh;
        if (backtest_buy_and_hold(&in->strat[i], &bars, &bh, S.eq, S.rets, &le)) {
            msg_set(h.message, "fold %s: buy-and-hold of strategy %d: %s", fid, i, le.msg);
            status = TASK_FAILED;
            goto done;
        }
        r->bh_roi_pct = bh.roi_pct;
        r->bh_sharpe = bh.sharpe;
        r->bh_max_dd_pct = bh.max_dd_pct;
        if (i == 0)
            for (int k = 0; k < n_test; k++) S.bh_f[k] = (float)S.rets[k];
    }
    h.sec_backtest = rs_now() - t0;
    h.n_test = n_test;

done:
    rnn_free(m);
    if (!rc) {
        h.status = status;
        if (status != TASK_OK) {
            h.n_test = 0;
            for (int i = 0; i < ns; i++) {
                row_blank(&rows[i]);
                rows[i].n_test = 0;
            }
        }
        for (int i = 0; i < ns; i++) rows[i].status = status;
        const int has = h.n_test > 0;
        h.sec_total = rs_now() - t_start;
        h.n_corr = has ? n_corr : 0;
        rc = task_pack(out, &h, rows, has ? d->t + f.test_lo : NULL, has ? S.ytrue : NULL,
                       has ? S.pred : NULL, has ? S.ret_f : NULL, has ? S.bh_f : NULL,
                       has ? S.corr : NULL, e);
    }
    scratch_free(&S);
    free(rows);
    return rc;
}
