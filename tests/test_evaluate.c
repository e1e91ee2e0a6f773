/* test_evaluate.c — re-evaluation from a stored record (worker/evaluate.h):
 * for every target (return, price, trend3), both markets and both strategy
 * kinds, every correction, a task run on a subset of a grid and then
 * re-evaluated for the whole grid gives the bytes a task run on the whole
 * grid gives (runtime head fields aside); the statuses; version-3 records
 * (no training classes); the learning curve; saved weights reproduce the
 * predictions bit for bit; series resolutions (task.h): intraday bars
 * stored per day keep every row of the per-bar run, their points are the
 * engine's double bar returns compounded per day, and a record re-evaluated
 * at another resolution gives the bytes of a full run at that one;
 * version-4 records upgrade to per-bar series. */
#include "tests/cu.h"
#include "worker/evaluate.h"
#include "worker/features.h"
#include "worker/series.h"
#include "worker/task.h"

#include <math.h>
#include <string.h>

#define ASSERT_MSG_HAS(s, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((s), (sub))); \
    if (!strstr((s), (sub))) printf("\n  message was: %s\n", (s)); } while (0)

/* ---- a synthetic market: weekdays 2010-01-01 .. 2014-12-31 ---------------- */

#define MAXN 2200
#define NFEAT 3
#define FV 2

static int64_t g_n;
static int64_t g_t[MAXN];
static double g_c[MAXN], g_on[MAXN], g_hn[MAXN], g_ln[MAXN];
static int g_bpd = 1;                /* bars per day: 1 daily, > 1 intraday    */

/* Daily bars 2010..2014, or (make_market_intraday) 4 bars a weekday of
 * 2013..2014 at 00, 06, 12, 18 h: the day rule's calendar days. */
static void make_market_n(int bpd) {
    g_bpd = bpd;
    int64_t d0 = series_days_from_civil(bpd > 1 ? 2013 : 2010, 1, 1), d1 = series_days_from_civil(2015, 1, 1);
    rs_rng r;
    rs_rng_seed(&r, 99);
    g_n = 0;
    for (int64_t day = d0; day < d1; day++)
      for (int q = 0; q < bpd; q++) {
        int64_t wd = (day + 4) % 7;
        if (wd == 0 || wd == 6) continue;
        int64_t i = g_n++;
        g_t[i] = bpd > 1 ? day * 86400 + q * (86400 / bpd) : day * 86400 + 22 * 3600;
        double ret = 0.004 * sin(2 * M_PI * (double)i / 13.0) + 0.004 * rs_rng_normal(&r);
        g_c[i] = i == 0 ? 1.3 : g_c[i - 1] * exp(ret);
        g_on[i] = 0.0006 * rs_rng_normal(&r);
        g_hn[i] = 0.001 * fabs(rs_rng_normal(&r));
        g_ln[i] = 0.001 * fabs(rs_rng_normal(&r));
      }
}

static void make_market(void) { make_market_n(1); }
static void make_market_intraday(void) { make_market_n(4); }

static void make_data(task_data *d, int kind) {
    rs_err e;
    memset(d, 0, sizeof *d);
    CU_ASSERT_EQUAL_FATAL(task_data_alloc(d, g_n, NFEAT, 1, &e), 0);
    d->setup.target_kind = kind;
    d->setup.horizon = 1;
    d->setup.trend3_fit = 1;
    d->setup.target_scaler = SCALE_MINMAX;
    d->setup.feat_scaler = SCALE_ZSCORE;
    d->setup.folds = (fold_opts){ .val_frac = 0.2, .min_train = 100 };
    d->first_valid = FV;
    d->bar_seconds = 86400.0 / g_bpd;
    const int64_t n = g_n;
    const double *c = g_c;
    double *o = d->bars, *hi = d->bars + n, *lo = d->bars + 2 * n, *cl = d->bars + 3 * n;
    for (int64_t i = 0; i < n; i++) {
        d->t[i] = g_t[i];
        o[i] = (i ? c[i - 1] : c[0]) * exp(g_on[i]);
        cl[i] = c[i];
        d->close[i] = c[i];
        hi[i] = fmax(o[i], c[i]) * exp(g_hn[i]);
        lo[i] = fmin(o[i], c[i]) * exp(-g_ln[i]);
        d->x[i * NFEAT] = i >= 1 ? (float)log(c[i] / c[i - 1]) : NAN;
        d->x[i * NFEAT + 1] = i >= 2 ? (float)log(c[i - 1] / c[i - 2]) : NAN;
        d->x[i * NFEAT + 2] = (float)c[i];
        if (i < FV || i + 1 >= n) d->y[i] = NAN;
        else d->y[i] = kind == TARGET_PRICE ? (float)c[i + 1] : (float)log(c[i + 1] / c[i]);
    }
}

static void make_input(task_input *in, int kind, int hidden) {
    memset(in, 0, sizeof *in);
    in->task_key = 0x5eedULL + (uint64_t)kind;
    in->model_key = 0x77ULL;
    in->fold_id = 2014;
    rnn_spec s = { .cell = RNN_GRU, .n_layers = 1, .hidden = { hidden }, .n_in = NFEAT,
                   .head = kind == TARGET_TREND3 ? RNN_HEAD_CLS : RNN_HEAD_REG,
                   .n_out = kind == TARGET_TREND3 ? 3 : 1, .seq_len = 8, .batch = 32, .seed = 5 };
    in->spec = s;
    in->opts = rnn_train_defaults();
    in->opts.epochs = 6;
    in->opts.patience = 2;
    in->opts.lr = 1e-2;
    in->opts.seed = 17;
}

/* The grid of one market: signal and grid points, costs, and (trend3) the
 * four corrections, one of them on two points. */
#define NB 10
static int make_grid(bt_strategy *st, uint64_t *keys, int market, int cls) {
    int n = 0;
    for (int i = 0; i < NB; i++) {
        strategy_defaults(&st[i], market);
        st[i].mm_size = 6;
        st[i].mm_beta = 0.2;
        st[i].mm_sigma0 = 3;
        keys[i] = 0x1000u + (uint64_t)i + (uint64_t)market * 0x100u + (uint64_t)cls * 0x10000u;
    }
    n = 0;
    n++;                                                             /* 0 signal          */
    st[n].long_only = 1; if (cls) st[n].min_prob = 0.4; else st[n].threshold = 3e-4; n++;   /* 1 */
    st[n].kind = BT_GRID; st[n].spacing = market == BT_FX ? 15 : 0.5; n++;                 /* 2 */
    st[n].kind = BT_GRID; st[n].spacing = market == BT_FX ? 30 : 1; st[n].max_levels = 2; n++; /* 3 */
    st[n].spread = 3 * st[n].spread + 1; n++;                        /* 4 costs          */
    if (cls) {
        st[n].correction = MM_FROZEN; n++;                           /* 5                */
        st[n].correction = MM_ONLINE; st[n].kind = BT_GRID; st[n].spacing = market == BT_FX ? 15 : 0.5; n++;
        st[n].correction = MM_PEEK; n++;                             /* 7                */
        st[n].correction = MM_FROZEN; st[n].kind = BT_GRID; st[n].spacing = market == BT_FX ? 30 : 1; n++;
        st[n].correction = MM_FROZEN; st[n].mm_epochs = 3; n++;      /* 9 another map    */
    }
    return n;
}

/* Zero the (runtime) head fields: what remains must be deterministic. */
static void zero_runtime(task_buf *b) {
    task_head *h = (task_head *)b->p;
    h->rank = 0;
    h->sec_train = h->sec_predict = h->sec_backtest = h->sec_total = 0;
    h->reevaluated = 0;
}

static int same_record(task_buf *a, task_buf *b) {
    zero_runtime(a);
    zero_runtime(b);
    if (a->len != b->len) { printf("\n  lengths %zu and %zu\n", a->len, b->len); return 0; }
    for (size_t i = 0; i < a->len; i++)
        if (a->p[i] != b->p[i]) { printf("\n  first difference at byte %zu of %zu\n", i, a->len); return 0; }
    return 1;
}

static int run(const task_data *d, const task_input *in, task_buf *b, task_view *v) {
    rs_err e;
    int rc = task_run(d, in, b, &e);
    if (rc) { printf("\n  task_run: %s\n", e.msg); return rc; }
    return task_view_parse(b->p, b->len, v, &e);
}

/* Task on the points sub[0..n_sub) of the grid, re-evaluated for the whole
 * grid == the task run on the whole grid. */
static void check_extension_at(const task_data *d, task_input *in, bt_strategy *st, uint64_t *keys, int n_all,
                               const int *sub, int n_sub, int want, int series_part, int series_full) {
    bt_strategy ss[NB];
    uint64_t sk[NB];
    for (int i = 0; i < n_sub; i++) { ss[i] = st[sub[i]]; sk[i] = keys[sub[i]]; }
    task_buf full = { 0 }, part = { 0 }, re = { 0 };
    task_view vf, vp, vr;
    in->strat = st; in->strat_key = keys; in->n_strat = n_all;
    in->series = series_full;
    CU_ASSERT_EQUAL_FATAL(run(d, in, &full, &vf), 0);
    CU_ASSERT_EQUAL_FATAL(vf.h->status, want);
    in->strat = ss; in->strat_key = sk; in->n_strat = n_sub;
    in->series = series_part;
    CU_ASSERT_EQUAL_FATAL(run(d, in, &part, &vp), 0);
    in->strat = st; in->strat_key = keys; in->n_strat = n_all;
    in->series = series_full;
    char why[200];
    CU_ASSERT_EQUAL(task_reevaluable(&vp, st, keys, n_all, d->setup.target_kind == TARGET_TREND3, why, sizeof why), 1);
    rs_err e;
    int rc = task_reevaluate(d, in, &vp, &re, &e);
    if (rc) printf("\n  task_reevaluate: %s\n", e.msg);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(task_view_parse(re.p, re.len, &vr, &e), 0);
    CU_ASSERT_EQUAL(vr.h->reevaluated, 1);
    CU_ASSERT_EQUAL(vr.h->sec_train, vp.h->sec_train);      /* the training's, not a new one */
    CU_ASSERT(same_record(&full, &re));
    task_buf_free(&full);
    task_buf_free(&part);
    task_buf_free(&re);
    in->series = TASK_SERIES_BAR;
}

static void check_extension(const task_data *d, task_input *in, bt_strategy *st, uint64_t *keys, int n_all,
                            const int *sub, int n_sub, int want) {
    check_extension_at(d, in, st, keys, n_all, sub, n_sub, want, TASK_SERIES_BAR, TASK_SERIES_BAR);
}

static void check_target(int kind) {
    make_market();
    task_data d;
    task_input in;
    make_data(&d, kind);
    make_input(&in, kind, 6);
    const int cls = kind == TARGET_TREND3;
    bt_strategy st[NB];
    uint64_t keys[NB];
    for (int market = BT_FX; market <= BT_EQUITY; market++) {
        int n = make_grid(st, keys, market, cls);
        /* a: the new strategy 0 is new (its buy-and-hold computed); trend3:
         *    correction indices that move (online before frozen), a kept map,
         *    the other maps learnt from the stored training classes
         * b: the new strategy 0 was the old strategy 1, and the old strategy 0
         *    had other costs: the bh series must be recomputed, not copied
         * c: strategy 0 kept as strategy 0 (its bh series copied)
         * d: nearly everything new */
        const int a3[] = { 1, 6, 5 }, a1[] = { 1, 2 }, b[] = { 4, 0, 3 }, c[] = { 0, 3 }, dd[] = { 4 };
        check_extension(&d, &in, st, keys, n, cls ? a3 : a1, cls ? 3 : 2, TASK_OK);
        check_extension(&d, &in, st, keys, n, b, 3, TASK_OK);
        check_extension(&d, &in, st, keys, n, c, 2, TASK_OK);
        check_extension(&d, &in, st, keys, n, dd, 1, TASK_OK);
    }
    task_data_free(&d);
}

static void test_return(void) { check_target(TARGET_RETURN); }
static void test_price(void) { check_target(TARGET_PRICE); }
static void test_trend3(void) { check_target(TARGET_TREND3); }

/* ---- statuses: empty and diverged re-evaluate to a rerun's rows; failed does not */

static void test_statuses(void) {
    make_market();
    task_data d;
    task_input in;
    make_data(&d, TARGET_RETURN);
    make_input(&in, TARGET_RETURN, 6);
    bt_strategy st[NB];
    uint64_t keys[NB];
    int n = make_grid(st, keys, BT_EQUITY, 0);
    const int sub[] = { 2 };
    rs_err e;

    d.setup.folds.min_train = 100000;                 /* empty */
    check_extension(&d, &in, st, keys, n, sub, 1, TASK_EMPTY);
    d.setup.folds.min_train = 100;
    in.opts.lr = 5;                                   /* diverged */
    in.opts.explode = 1e-3;
    check_extension(&d, &in, st, keys, n, sub, 1, TASK_DIVERGED);
    in.opts.lr = 1e-2;
    in.opts.explode = 1e3;

    /* failed (a NaN training label): never re-evaluated */
    float keep = d.y[200];
    d.y[200] = NAN;
    task_buf b = { 0 }, out = { 0 };
    task_view v;
    in.strat = st; in.strat_key = keys; in.n_strat = 1;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b, &v), 0);
    CU_ASSERT_EQUAL_FATAL(v.h->status, TASK_FAILED);
    char why[200];
    CU_ASSERT_EQUAL(task_reevaluable(&v, st, keys, n, 0, why, sizeof why), 0);
    ASSERT_MSG_HAS(why, "failed");
    in.n_strat = n;
    CU_ASSERT_EQUAL(task_reevaluate(&d, &in, &v, &out, &e), RS_EINPUT);
    d.y[200] = keep;

    /* a record of another task, and a series the data does not have */
    in.n_strat = 1;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b, &v), 0);
    in.n_strat = n;
    in.task_key++;
    CU_ASSERT_EQUAL(task_reevaluate(&d, &in, &v, &out, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e.msg, "not");
    in.task_key--;
    d.t[d.n - 3] += 1;                                /* a timestamp of the test year moved */
    CU_ASSERT_EQUAL(task_reevaluate(&d, &in, &v, &out, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e.msg, "does not match");
    task_buf_free(&b);
    task_buf_free(&out);
    task_data_free(&d);
}

/* ---- version-3 records: no training classes -------------------------------------- */

/* The record as version 3 wrote it: the head up to n_curve, then the blocks
 * up to the corrections. */
static void make_v3(const task_view *v, task_buf *o) {
    const size_t h3 = offsetof(task_head, n_curve);
    task_head h = *v->h;
    h.n_curve = h.n_trcls = 0;
    h.n_weights = 0;
    const size_t rest = task_packed_size(h.n_strat, h.n_test, h.n_out, h.n_corr) - sizeof(task_head);
    o->len = h3 + rest;
    o->p = calloc(1, o->len);
    o->cap = o->len;
    h.version = 3;
    memcpy(o->p, &h, h3);
    memcpy(o->p + h3, v->rows, rest);
}

static void test_version3(void) {
    make_market();
    task_data d;
    task_input in;
    make_data(&d, TARGET_TREND3);
    make_input(&in, TARGET_TREND3, 6);
    bt_strategy st[NB];
    uint64_t keys[NB];
    int n = make_grid(st, keys, BT_FX, 1);
    /* a version-3 record of none and motormap */
    bt_strategy ss[2] = { st[0], st[5] };
    uint64_t sk[2] = { keys[0], keys[5] };
    task_buf b = { 0 }, v3 = { 0 }, up = { 0 }, re = { 0 }, full = { 0 };
    task_view v, vu, vf;
    rs_err e;
    in.strat = ss; in.strat_key = sk; in.n_strat = 2;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b, &v), 0);
    CU_ASSERT(v.h->n_trcls > 0);
    make_v3(&v, &v3);
    CU_ASSERT_EQUAL(task_record_version(v3.p, v3.len), 3);
    CU_ASSERT_NOT_EQUAL(task_view_parse(v3.p, v3.len, &vu, &e), 0);
    CU_ASSERT_EQUAL_FATAL(task_upgrade(v3.p, v3.len, &up, &e), 0);
    CU_ASSERT_EQUAL_FATAL(task_view_parse(up.p, up.len, &vu, &e), 0);
    CU_ASSERT_EQUAL(vu.h->n_trcls, 0);
    CU_ASSERT_EQUAL(vu.h->n_curve, 0);
    CU_ASSERT_EQUAL(memcmp(vu.rows, v.rows, 2 * sizeof *v.rows), 0);
    CU_ASSERT_EQUAL(memcmp(vu.corr, v.corr, (size_t)v.h->n_corr * (size_t)v.h->n_test), 0);
    CU_ASSERT_EQUAL(task_upgrade(v3.p, v3.len - 8, &up, &e), RS_EINPUT);

    /* a new motor map needs what a version-3 record lacks */
    char why[200];
    CU_ASSERT_EQUAL(task_reevaluable(&vu, st, keys, n, 1, why, sizeof why), 0);
    ASSERT_MSG_HAS(why, "version-3");
    /* without one: signal, grid, costs and the kept map re-evaluate exactly
     * (the majority baseline comes from the record's rows) */
    const int keep[] = { 0, 1, 2, 3, 4, 5, 8 };
    bt_strategy s7[7];
    uint64_t k7[7];
    for (int i = 0; i < 7; i++) { s7[i] = st[keep[i]]; k7[i] = keys[keep[i]]; }
    CU_ASSERT_EQUAL(task_reevaluable(&vu, s7, k7, 7, 1, why, sizeof why), 1);
    in.strat = s7; in.strat_key = k7; in.n_strat = 7;
    CU_ASSERT_EQUAL_FATAL(task_reevaluate(&d, &in, &vu, &re, &e), 0);
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &full, &vf), 0);
    /* equal except the blocks the old record never had */
    task_view vr;
    CU_ASSERT_EQUAL_FATAL(task_view_parse(re.p, re.len, &vr, &e), 0);
    CU_ASSERT_EQUAL(memcmp(vr.rows, vf.rows, 7 * sizeof *vr.rows), 0);
    CU_ASSERT_EQUAL(memcmp(vr.ret, vf.ret, 7 * sizeof(float) * (size_t)vf.h->n_test), 0);
    CU_ASSERT_EQUAL(memcmp(vr.corr, vf.corr, (size_t)vf.h->n_corr * (size_t)vf.h->n_test), 0);
    task_buf_free(&b); task_buf_free(&v3); task_buf_free(&up); task_buf_free(&re); task_buf_free(&full);
    task_data_free(&d);
}

/* ---- the learning curve and the weights --------------------------------------------- */

static void test_curve_weights(void) {
    make_market();
    task_data d;
    task_input in;
    make_data(&d, TARGET_PRICE);
    make_input(&in, TARGET_PRICE, 6);
    bt_strategy st[NB];
    uint64_t keys[NB];
    make_grid(st, keys, BT_EQUITY, 0);
    in.strat = st; in.strat_key = keys; in.n_strat = 2;
    in.opts.epochs = 12;
    in.save_weights = 1;
    task_buf b = { 0 }, b2 = { 0 };
    task_view v, v2;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b, &v), 0);
    CU_ASSERT_EQUAL_FATAL(v.h->status, TASK_OK);

    /* the curve is what the trainer reported: one point per epoch run, the
     * last training loss and the kept epoch's validation loss, the best */
    const int ne = v.h->n_curve, be = v.h->best_epoch;
    CU_ASSERT_EQUAL(ne, v.h->epochs_run);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.curve);
    CU_ASSERT(be >= 1 && be <= ne);
    CU_ASSERT_EQUAL(v.curve[2 * (ne - 1)], v.rows[0].train_loss);
    CU_ASSERT_EQUAL(v.curve[2 * (be - 1) + 1], v.rows[0].val_loss);
    for (int k = 0; k < ne; k++) CU_ASSERT(v.curve[2 * k + 1] >= v.rows[0].val_loss);
    CU_ASSERT(ne < in.opts.epochs || be == ne);        /* early stopping or the end */

    /* the weights reproduce the predictions bit for bit */
    CU_ASSERT_PTR_NOT_NULL_FATAL(v.weights);
    double *pred = malloc((size_t)v.h->n_test * sizeof *pred);
    int nt = 0;
    CU_ASSERT_EQUAL_FATAL(task_predict_saved(&d, &in, v.weights, (size_t)v.h->n_weights, pred, &nt, &e), 0);
    CU_ASSERT_EQUAL(nt, v.h->n_test);
    CU_ASSERT_EQUAL(memcmp(pred, v.pred, (size_t)nt * sizeof *pred), 0);
    /* ... and only those weights: one changed parameter changes them */
    unsigned char *w = malloc((size_t)v.h->n_weights);
    memcpy(w, v.weights, (size_t)v.h->n_weights);
    w[v.h->n_weights - 8] ^= 0x40;
    CU_ASSERT_EQUAL_FATAL(task_predict_saved(&d, &in, w, (size_t)v.h->n_weights, pred, &nt, &e), 0);
    CU_ASSERT_NOT_EQUAL(memcmp(pred, v.pred, (size_t)nt * sizeof *pred), 0);
    /* weights of another shape are refused, naming both */
    task_input other = in;
    other.spec.hidden[0] = 7;
    CU_ASSERT_EQUAL(task_predict_saved(&d, &other, v.weights, (size_t)v.h->n_weights, pred, &nt, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e.msg, "weights");
    /* without save_weights: no blob, everything else the same */
    in.save_weights = 0;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b2, &v2), 0);
    CU_ASSERT_EQUAL(v2.h->n_weights, 0);
    CU_ASSERT_PTR_NULL(v2.weights);
    CU_ASSERT_EQUAL(memcmp(v2.rows, v.rows, 2 * sizeof *v.rows), 0);
    CU_ASSERT_EQUAL(memcmp(v2.curve, v.curve, (size_t)ne * 2 * sizeof *v.curve), 0);
    free(w);
    free(pred);
    task_buf_free(&b);
    task_buf_free(&b2);
    task_data_free(&d);
}

/* ---- series resolution ------------------------------------------------------------ */

/* The record of the grid st[n] on d at resolution series. */
static void run_at(const task_data *d, task_input *in, bt_strategy *st, uint64_t *keys, int n, int series,
                   task_buf *b, task_view *v) {
    in->strat = st; in->strat_key = keys; in->n_strat = n;
    in->series = series;
    CU_ASSERT_EQUAL_FATAL(run(d, in, b, v), 0);
    in->series = TASK_SERIES_BAR;
}

/* Intraday bars: one record per resolution, the same rows in all three
 * (every metric from the per-bar run); the daily points are exactly the
 * engine's double per-bar returns compounded over each calendar day, with
 * the day's trades; none stores no series. */
static void check_resolutions(int kind) {
    make_market_intraday();
    task_data d;
    task_input in;
    make_data(&d, kind);
    make_input(&in, kind, 6);
    const int cls = kind == TARGET_TREND3;
    bt_strategy st[NB];
    uint64_t keys[NB];
    int n = make_grid(st, keys, BT_FX, cls);
    task_buf bb = { 0 }, bd = { 0 }, bn = { 0 };
    task_view vb, vd, vn;
    run_at(&d, &in, st, keys, n, TASK_SERIES_BAR, &bb, &vb);
    run_at(&d, &in, st, keys, n, TASK_SERIES_DAY, &bd, &vd);
    run_at(&d, &in, st, keys, n, TASK_SERIES_NONE, &bn, &vn);
    CU_ASSERT_EQUAL_FATAL(vb.h->status, TASK_OK);
    const int nt = vb.h->n_test;
    CU_ASSERT_EQUAL(vb.h->series, TASK_SERIES_BAR);
    CU_ASSERT_EQUAL(vb.h->n_pts, nt);
    CU_ASSERT_PTR_NULL(vb.pt_end);
    CU_ASSERT_EQUAL(vd.h->series, TASK_SERIES_DAY);
    CU_ASSERT_EQUAL(vn.h->series, TASK_SERIES_NONE);
    CU_ASSERT_EQUAL(vn.h->n_pts, 0);
    CU_ASSERT_PTR_NULL(vn.ret);
    /* rows: identical bytes at every resolution */
    CU_ASSERT_EQUAL(memcmp(vb.rows, vd.rows, (size_t)n * sizeof *vb.rows), 0);
    CU_ASSERT_EQUAL(memcmp(vb.rows, vn.rows, (size_t)n * sizeof *vb.rows), 0);
    CU_ASSERT_EQUAL(memcmp(vb.pred, vd.pred, (size_t)nt * (size_t)vb.h->n_out * sizeof *vb.pred), 0);
    /* the day points: 4 bars a weekday, 2014 has 261 weekdays */
    const int np = vd.h->n_pts;
    CU_ASSERT_EQUAL(np, 261);
    CU_ASSERT(nt > 4 * (np - 1) && nt <= 4 * np);     /* the last bar has no label: not a test window */
    for (int k = 0; k < np; k++) {
        const int64_t day = task_point_time(&vd, k) / 86400;
        CU_ASSERT_EQUAL(vd.t[vd.pt_end[k]] / 86400, day);
        if (vd.pt_end[k] + 1 < nt) CU_ASSERT_NOT_EQUAL(vd.t[vd.pt_end[k] + 1] / 86400, day);
    }
    CU_ASSERT_EQUAL(task_points_per_year(&vd, 0), vd.rows[0].trading.bars_per_year * np / nt);
    /* each point = the per-bar run compounded in double, rounded once */
    double *eq = malloc((size_t)nt * sizeof *eq), *r = malloc((size_t)nt * sizeof *r);
    int32_t *cum = malloc((size_t)nt * sizeof *cum);
    CU_ASSERT_PTR_NOT_NULL_FATAL(eq); CU_ASSERT_PTR_NOT_NULL_FATAL(r); CU_ASSERT_PTR_NOT_NULL_FATAL(cum);
    /* the test bars, as task_fold gives them */
    int64_t t0 = 0;
    while (t0 < d.n && d.t[t0] != vb.t[0]) t0++;
    CU_ASSERT_FATAL(t0 > 0 && t0 < d.n);
    const bt_bars bars = { d.bars + t0, d.bars + d.n + t0, d.bars + 2 * d.n + t0, d.bars + 3 * d.n + t0, nt };
    int checked = 0, mismatch = 0, trade_mis = 0, bar_mis = 0;
    for (int i = 0; i < n; i++) {
        if (cls && st[i].correction != MM_NONE) continue;   /* corrected classes: covered by the rows */
        bt_preds bp = { NULL, NULL };
        if (cls) bp.prob = (const double (*)[MT_NCLASS])vb.pred;
        else bp.ret = vb.pred;
        mt_trading m;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(backtest_run_trades(&st[i], &bars, &bp, &m, eq, r, cum, &e), 0);
        CU_ASSERT_EQUAL(memcmp(&m, &vb.rows[i].trading, sizeof m), 0);   /* today's per-bar metrics */
        CU_ASSERT_EQUAL(cum[nt - 1], m.n_trades);
        int b0 = 0, sum = 0;
        for (int k = 0; k < np; k++) {
            double g = 1;
            for (; b0 <= vd.pt_end[k]; b0++) g *= 1 + r[b0];
            float want = (float)(g - 1);
            mismatch += memcmp(&want, &vd.ret[(size_t)i * np + k], sizeof want) != 0;
            sum += vd.trades[(size_t)i * np + k];
            trade_mis += vd.trades[(size_t)i * np + k] != cum[vd.pt_end[k]] - (k ? cum[vd.pt_end[k - 1]] : 0);
        }
        for (int k = 0; k < nt; k++) bar_mis += vb.ret[(size_t)i * nt + k] != (float)r[k];
        CU_ASSERT_EQUAL(sum, m.n_trades);
        checked++;
    }
    CU_ASSERT(checked >= 5);
    CU_ASSERT_EQUAL(mismatch, 0);
    CU_ASSERT_EQUAL(trade_mis, 0);
    CU_ASSERT_EQUAL(bar_mis, 0);
    /* buy-and-hold: strategy 0's, compounded likewise */
    {
        mt_trading m;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(backtest_buy_and_hold(&st[0], &bars, &m, eq, r, &e), 0);
        int b0 = 0, bad = 0;
        for (int k = 0; k < np; k++) {
            double g = 1;
            for (; b0 <= vd.pt_end[k]; b0++) g *= 1 + r[b0];
            float want = (float)(g - 1);
            bad += memcmp(&want, &vd.bh[k], sizeof want) != 0;
        }
        CU_ASSERT_EQUAL(bad, 0);
    }
    /* some trades and some non-zero days, or the checks above prove little */
    int traded = 0;
    for (int i = 0; i < n; i++) traded += vb.rows[i].trading.n_trades > 0;
    CU_ASSERT(traded >= 3);
    free(eq); free(r); free(cum);

    /* re-evaluation across resolutions == a full run at the new one */
    const int sub1[] = { 1, 2 }, sub3[] = { 1, 6, 5 };
    const int *sub = cls ? sub3 : sub1;
    const int ns = cls ? 3 : 2;
    static const int pairs[][2] = { { TASK_SERIES_BAR, TASK_SERIES_DAY }, { TASK_SERIES_DAY, TASK_SERIES_DAY },
                                    { TASK_SERIES_DAY, TASK_SERIES_BAR }, { TASK_SERIES_NONE, TASK_SERIES_DAY },
                                    { TASK_SERIES_DAY, TASK_SERIES_NONE } };
    for (int q = 0; q < 5; q++) check_extension_at(&d, &in, st, keys, n, sub, ns, TASK_OK, pairs[q][0], pairs[q][1]);
    /* the same grid at another resolution: every row copied, series redone */
    {
        task_buf re = { 0 };
        rs_err e;
        in.strat = st; in.strat_key = keys; in.n_strat = n;
        in.series = TASK_SERIES_DAY;
        CU_ASSERT_EQUAL_FATAL(task_reevaluate(&d, &in, &vb, &re, &e), 0);
        in.series = TASK_SERIES_BAR;
        CU_ASSERT(same_record(&bd, &re));
        task_buf_free(&re);
    }
    task_buf_free(&bb); task_buf_free(&bd); task_buf_free(&bn);
    task_data_free(&d);
}

static void test_series_return(void) { check_resolutions(TARGET_RETURN); }
static void test_series_trend3(void) { check_resolutions(TARGET_TREND3); }

/* A version-4 record (no series fields in the head) upgrades to this
 * version's per-bar record, byte for byte. */
static void test_version4(void) {
    make_market();
    task_data d;
    task_input in;
    make_data(&d, TARGET_RETURN);
    make_input(&in, TARGET_RETURN, 6);
    bt_strategy st[NB];
    uint64_t keys[NB];
    int n = make_grid(st, keys, BT_EQUITY, 0);
    task_buf b = { 0 }, v4 = { 0 }, up = { 0 };
    task_view v;
    rs_err e;
    in.strat = st; in.strat_key = keys; in.n_strat = n;
    CU_ASSERT_EQUAL_FATAL(run(&d, &in, &b, &v), 0);
    const size_t h4 = offsetof(task_head, series), rows_at = (sizeof(task_head) + 7) & ~(size_t)7;
    v4.len = h4 + (b.len - rows_at);
    v4.p = calloc(1, v4.len);
    v4.cap = v4.len;
    CU_ASSERT_PTR_NOT_NULL_FATAL(v4.p);
    memcpy(v4.p, b.p, h4);
    ((task_head *)v4.p)->version = 4;
    memcpy(v4.p + h4, b.p + rows_at, b.len - rows_at);
    CU_ASSERT_EQUAL(task_record_version(v4.p, v4.len), 4);
    CU_ASSERT_EQUAL(task_record_check(v4.p, v4.len, &e), 0);
    CU_ASSERT_EQUAL_FATAL(task_upgrade(v4.p, v4.len, &up, &e), 0);
    CU_ASSERT_EQUAL(up.len, b.len);
    CU_ASSERT_EQUAL(memcmp(up.p, b.p, b.len), 0);
    CU_ASSERT_EQUAL(task_upgrade(v4.p, v4.len - 8, &up, &e), RS_EINPUT);
    /* a version-5 head with a resolution its counts contradict */
    ((task_head *)b.p)->n_pts = v.h->n_test - 1;
    CU_ASSERT_EQUAL(task_view_parse(b.p, b.len, &v, &e), RS_EINPUT);
    task_buf_free(&b); task_buf_free(&v4); task_buf_free(&up);
    task_data_free(&d);
}

static CU_TestInfo tests[] = {
    { "return target: re-evaluated == full run, fx and equity, signal and grid", test_return },
    { "price target: re-evaluated == full run", test_price },
    { "trend3 with every correction: re-evaluated == full run", test_trend3 },
    { "empty and diverged re-evaluate; failed and foreign records do not", test_statuses },
    { "version-3 records: upgraded, re-evaluated without new motor maps", test_version3 },
    { "learning curve; saved weights reproduce the predictions", test_curve_weights },
    { "intraday return target: rows equal at bar, day, none; day points = bars compounded; re-evaluated "
      "across resolutions == full run", test_series_return },
    { "intraday trend3, every correction: the same at every resolution", test_series_trend3 },
    { "version-4 records upgrade to per-bar series byte for byte", test_version4 },
    CU_TEST_INFO_NULL,
};

int main(void) { return cu_run("evaluate", tests); }
