/*
 * report.c — `rnnsweep show`: the leaderboard and group-by tables of a
 * results file (see report.h).
 *
 * Everything is computed from "items": one per (model, strategy, fold) for
 * a trading metric, one per (model, fold) — a task — for a forecast metric,
 * because a forecast metric is the task's and repeats on every strategy row;
 * counting it once per strategy would weight a model by the size of the
 * strategy grid.  Items sorted by (model, strategy, fold) give the
 * configurations as runs; items sorted by group give the group table.  Both
 * paths reduce a run with the same function (cfg_reduce) and rank with the
 * same comparator, so "best in group" and the leaderboard cannot disagree.
 * Memory is O(rows), never O(models × strategies): a plan may hold far more
 * configurations than a file has rows.
 *
 * Decisions report.h leaves open, made here:
 *   - an ok row whose metric is not finite counts as a fold that is not ok
 *     for that metric (it cannot be averaged);
 *   - "folds ok/total": total = the distinct folds in the file, so a
 *     configuration with a missing row is short of folds like one that
 *     diverged;
 *   - trials N = configurations with at least one ok fold (those that
 *     competed for the top), and the sd of the False Strategy bar is the
 *     sample sd of their means;
 *   - a forecast-metric configuration is a model point: its buy-and-hold is
 *     the mean over ok tasks of each task's lowest-index strategy row, and
 *     it has no ROI ("-");
 *   - report_check refuses a forecast metric grouped by a strategy key
 *     (every group would show the same numbers), report_print a forecast
 *     metric of the other head (rmse on a trend3 sweep); out of memory is
 *     RS_EINTERNAL.
 */
#include "coordinator/report.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- metrics ------------------------------------------------------------ */

#define HEAD_ANY (-1)

typedef struct {
    const char *name;
    size_t      off;          /* offset of the value in task_row                */
    int         is_int;       /* an int field (n_trades), else double           */
    int         forecast;     /* 1: the task's, equal on all its strategy rows  */
    int         higher;       /* 1: higher is better                            */
    int         head;         /* RNN_HEAD_* the metric exists for, or HEAD_ANY  */
    long        base;         /* offset of its baseline in task_row (persistence
                                 or training-majority), or -1                    */
} metric_def;

/* X(name, offset, is_int, forecast, higher, head): one row per metric. */
#define TR(f) offsetof(task_row, trading.f)
#define FC(f) offsetof(task_row, f)
#define NB (-1L)
#define REPORT_METRICS(X)                                                        \
    X("sharpe",        TR(sharpe),        0, 0, 1, HEAD_ANY,     NB)             \
    X("sortino",       TR(sortino),       0, 0, 1, HEAD_ANY,     NB)             \
    X("calmar",        TR(calmar),        0, 0, 1, HEAD_ANY,     NB)             \
    X("roi_pct",       TR(roi_pct),       0, 0, 1, HEAD_ANY,     NB)             \
    X("cagr_pct",      TR(cagr_pct),      0, 0, 1, HEAD_ANY,     NB)             \
    X("max_dd_pct",    TR(max_dd_pct),    0, 0, 0, HEAD_ANY,     NB)             \
    X("vol_pct",       TR(vol_pct),       0, 0, 0, HEAD_ANY,     NB)             \
    X("hit_rate_pct",  TR(hit_rate_pct),  0, 0, 1, HEAD_ANY,     NB)             \
    X("profit_factor", TR(profit_factor), 0, 0, 1, HEAD_ANY,     NB)             \
    X("n_trades",      TR(n_trades),      1, 0, 1, HEAD_ANY,     NB)             \
    X("exposure_pct",  TR(exposure_pct),  0, 0, 1, HEAD_ANY,     NB)             \
    X("rmse",          FC(rmse),          0, 1, 0, RNN_HEAD_REG, FC(base_rmse))  \
    X("mae",           FC(mae),           0, 1, 0, RNN_HEAD_REG, FC(base_mae))   \
    X("r2",            FC(r2),            0, 1, 1, RNN_HEAD_REG, FC(base_r2))    \
    X("dir_acc",       FC(dir_acc),       0, 1, 1, RNN_HEAD_REG, FC(base_dir_acc)) \
    X("accuracy",      FC(accuracy),      0, 1, 1, RNN_HEAD_CLS, FC(base_accuracy)) \
    X("macro_f1",      FC(macro_f1),      0, 1, 1, RNN_HEAD_CLS, FC(base_macro_f1)) \
    X("log_loss",      FC(log_loss),      0, 1, 0, RNN_HEAD_CLS, FC(base_log_loss)) \
    X("test_loss",     FC(test_loss),     0, 1, 0, HEAD_ANY,     NB)

#define METRIC_ROW(name, off, is_int, fc, higher, head, base) { name, off, is_int, fc, higher, head, (long)(base) },
#define METRIC_NAME(name, ...) name,
static const metric_def METRICS[] = { REPORT_METRICS(METRIC_ROW) };
static const char *const METRIC_NAMES[] = { REPORT_METRICS(METRIC_NAME) NULL };
#undef METRIC_ROW
#undef METRIC_NAME
#undef TR
#undef FC
#undef NB
#define N_METRICS ((int)(sizeof METRICS / sizeof METRICS[0]))

const char *const *report_metric_names(void) { return METRIC_NAMES; }

static double metric_value(const metric_def *m, const task_row *r) {
    const char *p = (const char *)r + m->off;
    if (m->is_int) { int v; memcpy(&v, p, sizeof v); return v; }
    double v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* ---- group-by keys --------------------------------------------------------- */

/* Model keys, then "fold" (each test period) and "year" (the calendar
 * year of the period: a quarterly sweep's four quarters of 2017 form one
 * group), then one key per strategy field (named by the strategy table,
 * worker/strategy.h: K_STRAT0 + BT_F_*). */
enum { K_CELL, K_LAYERS, K_HIDDEN, K_LOOKBACK, K_DROPOUT, K_SEED, K_LR, K_BATCH, K_EPOCHS, K_WD,
       K_MODEL, K_FOLD, K_YEAR, K_STRAT0, K_N = K_STRAT0 + BT_F_N };

#define KEY_NAME_X(ID, key, ...) key,
static const char *const KEY_NAMES[] = {
    "cell", "layers", "hidden", "lookback", "dropout", "seed", "lr", "batch", "epochs",
    "weight_decay", "model", "fold", "year", BT_FIELDS(KEY_NAME_X) NULL
};
#undef KEY_NAME_X
_Static_assert(sizeof KEY_NAMES / sizeof KEY_NAMES[0] == K_N + 1, "KEY_NAMES and K_* must agree");

static int key_on_model(int k)    { return k <= K_MODEL; }
static int key_on_strategy(int k) { return k >= K_STRAT0; }
/* The correction's own keys: what a forecast metric may be grouped by. */
static int key_on_correction(int k) {
    return k >= K_STRAT0 && (k - K_STRAT0 == BT_F_CORRECTION || (bt_fields[k - K_STRAT0].use & BT_U_MM));
}
/* Numeric keys list their groups in numeric order; the others (names) in
 * plan order, i.e. by the first model / strategy point showing the value. */
static int key_numeric(int k) {
    if (k >= K_STRAT0) return bt_fields[k - K_STRAT0].type != BT_T_ENUM;
    return !(k == K_CELL || k == K_HIDDEN || k == K_MODEL);
}

/* ---- names and suggestions --------------------------------------------------- */

static int name_find(const char *const *list, const char *s) {
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], s)) return i;
    return -1;
}

/* RS_EINPUT: "unknown WHAT 'S' (did you mean 'X'? known: a, b, ...)". */
static int unknown_name(rs_err *e, const char *what, const char *s, const char *const *list) {
    int best = -1, bd = 3;                   /* suggest within edit distance 2 */
    for (int i = 0; list[i]; i++) {
        int d = config_edit_distance(s, list[i]);
        if (d < bd) { bd = d; best = i; }
    }
    char known[400];
    size_t k = 0;
    known[0] = 0;
    for (int i = 0; list[i] && k < sizeof known; i++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", list[i]);
    if (best >= 0)
        return rs_err_set(e, RS_EINPUT, "unknown %s '%.60s' (did you mean '%s'? known: %s)", what, s,
                          list[best], known);
    return rs_err_set(e, RS_EINPUT, "unknown %s '%.60s' (known: %s)", what, s, known);
}

static const char *opt_metric(const report_opts *o) { return o && o->metric && *o->metric ? o->metric : "sharpe"; }
static const char *opt_by(const report_opts *o)     { return o && o->by && *o->by ? o->by : NULL; }

int report_check(const report_opts *o, rs_err *e) {
    rs_err_clear(e);
    const char *ms = opt_metric(o), *by = opt_by(o);
    int mi = name_find(METRIC_NAMES, ms);
    if (mi < 0) return unknown_name(e, "metric", ms, METRIC_NAMES);
    if (o && o->top < 0) return rs_err_set(e, RS_EINPUT, "--top %d: expected a count >= 1", o->top);
    if (!by) return 0;
    int k = name_find(KEY_NAMES, by);
    if (k < 0) return unknown_name(e, "group-by key", by, KEY_NAMES);
    /* A forecast metric is the same on every strategy row of a task, so a
     * table by a strategy key would repeat one number per group. */
    if (METRICS[mi].forecast && key_on_strategy(k) && !key_on_correction(k))
        return rs_err_set(e, RS_EINPUT,
                          "--by %s with metric '%s': a forecast metric depends on the strategy only through "
                          "its correction; group by a model key, fold, year, correction or mm_*", by, ms);
    return 0;
}

/* ---- labels ---------------------------------------------------------------- */

void report_model_label(const sweep_plan *p, int model, char *buf, size_t n) {
    plan_model_label(p, model, buf, n);
}

void report_strategy_label(const sweep_plan *p, int strategy, char *buf, size_t n) {
    plan_strategy_label(p, strategy, buf, n);
}

/* ---- statistics ---------------------------------------------------------------- */

/* Φ⁻¹(q), the standard normal quantile: Acklam's rational approximation
 * (relative error 1.15e-9) refined by one Halley step on erfc, which brings
 * it to about machine precision.  ±inf at 0 and 1, NaN outside [0, 1]. */
double report_norm_quantile(double q) {
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00 };
    if (!(q >= 0 && q <= 1)) return NAN;
    if (q == 0) return -INFINITY;
    if (q == 1) return INFINITY;
    const double lo = 0.02425;
    double x;
    if (q < lo) {
        double t = sqrt(-2 * log(q));
        x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
            ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    } else if (q <= 1 - lo) {
        double t = q - 0.5, r = t * t;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double t = sqrt(-2 * log1p(-q));
        x = -(((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
            ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    }
    /* Halley: err = Φ(x) − q with Φ(x) = erfc(−x/√2)/2, accurate in both tails. */
    double err = 0.5 * erfc(-x / sqrt(2.0)) - q;
    double u = err * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

#define EULER_GAMMA 0.57721566490153286061

/* Expected maximum of n skill-less trials whose scores have standard
 * deviation sd (False Strategy Theorem, report.h).  NaN for n < 2: the
 * formula's Φ⁻¹(1 − 1/n) is −∞ at n = 1, and one trial has no selection. */
double report_expected_max(int n, double sd) {
    if (n < 2) return NAN;
    double q1 = report_norm_quantile(1 - 1.0 / n), q2 = report_norm_quantile(1 - 1.0 / (n * M_E));
    return sd * ((1 - EULER_GAMMA) * q1 + EULER_GAMMA * q2);
}

/* One unit of statistics: a (model, strategy, fold) row for a trading
 * metric, a (model, fold) task for a forecast metric (strat = -1). */
typedef struct {
    int    model, strat, fold_id;
    int    ok;                /* status ok and the metric finite                */
    double v;                 /* the metric                                     */
    double bh;                /* bh_roi_pct (a task: its lowest strategy row's) */
    double roi;               /* trading.roi_pct (NaN for a task)               */
    double base;              /* forecast: the metric's baseline on this fold   */
    int    beats;             /* forecast: the metric is better than it          */
    int    n_bh;              /* ok strategy rows with a finite ROI and bh      */
    int    n_beat;            /* ... of which ROI > buy-and-hold ROI            */
    int    gid;               /* group, when grouping                           */
} item;

/* A configuration (or its part inside a group): the reduction of a run of
 * items with equal (model, strat). */
typedef struct {
    int    model, strat;
    int    n_ok;              /* ok folds                                       */
    double mean, sd, worst;   /* over ok folds (NaN with none)                  */
    double bh, roi;           /* mean bh_roi_pct / roi_pct over ok folds        */
    double base;              /* forecast: mean baseline over the ok folds      */
    int    n_beats;           /* forecast: ok folds better than the baseline    */
    double score;             /* mean, negated when lower is better             */
} cfg_stat;

/* Mean and sample standard deviation (n − 1; 0 with one value) of the ok
 * items' values; two passes, so a constant column has sd exactly 0. */
static void mean_sd(const item *it, int n, double *mean, double *sd) {
    double s = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (it[i].ok) { s += it[i].v; k++; }
    if (!k) { *mean = *sd = NAN; return; }
    double m = s / k, ss = 0;
    for (int i = 0; i < n; i++)
        if (it[i].ok) ss += (it[i].v - m) * (it[i].v - m);
    *mean = m;
    *sd = k > 1 ? sqrt(ss / (k - 1)) : 0;
}

static void cfg_reduce(const item *it, int n, int higher, cfg_stat *c) {
    c->model = it[0].model;
    c->strat = it[0].strat;
    c->n_ok = 0;
    double bh = 0, roi = 0, base = 0, worst = NAN;
    c->n_beats = 0;
    for (int i = 0; i < n; i++) {
        if (!it[i].ok) continue;
        c->n_ok++;
        bh += it[i].bh;
        roi += it[i].roi;
        base += it[i].base;
        c->n_beats += it[i].beats;
        if (isnan(worst) || (higher ? it[i].v < worst : it[i].v > worst)) worst = it[i].v;
    }
    mean_sd(it, n, &c->mean, &c->sd);
    c->worst = worst;
    c->bh = c->n_ok ? bh / c->n_ok : NAN;
    c->roi = c->n_ok ? roi / c->n_ok : NAN;
    c->base = c->n_ok ? base / c->n_ok : NAN;
    c->score = c->n_ok ? (higher ? c->mean : -c->mean) : -INFINITY;
}

/* Ranking: more ok folds first (a configuration that skipped its bad years
 * must not win), then the better mean, then model and strategy index so the
 * order never depends on qsort. */
static int cmp_cfg(const void *pa, const void *pb) {
    const cfg_stat *a = pa, *b = pb;
    if (a->n_ok != b->n_ok) return a->n_ok > b->n_ok ? -1 : 1;
    if (a->n_ok && a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->model != b->model) return a->model < b->model ? -1 : 1;
    return (a->strat > b->strat) - (a->strat < b->strat);
}

static int cmp_item_cfg(const void *pa, const void *pb) {
    const item *a = pa, *b = pb;
    if (a->model != b->model) return a->model < b->model ? -1 : 1;
    if (a->strat != b->strat) return a->strat < b->strat ? -1 : 1;
    return (a->fold_id > b->fold_id) - (a->fold_id < b->fold_id);
}

static int cmp_item_group(const void *pa, const void *pb) {
    const item *a = pa, *b = pb;
    if (a->gid != b->gid) return a->gid < b->gid ? -1 : 1;
    return cmp_item_cfg(pa, pb);
}

typedef struct { int model, fold_id, corr, strat, idx; } rowref;

static int cmp_rowref(const void *pa, const void *pb) {
    const rowref *a = pa, *b = pb;
    if (a->model != b->model) return a->model < b->model ? -1 : 1;
    if (a->fold_id != b->fold_id) return a->fold_id < b->fold_id ? -1 : 1;
    if (a->corr != b->corr) return a->corr < b->corr ? -1 : 1;
    if (a->strat != b->strat) return a->strat < b->strat ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* A forecast configuration is (model, correction point): its item's strat
 * slot holds -1 - correction, so every comparison by strat also separates
 * corrections, and strat < 0 still means "not a strategy". */
#define FC_STRAT(corr) (-1 - (corr))
#define FC_CORR(strat) (-1 - (strat))

static int cmp_int(const void *pa, const void *pb) {
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* The items of the rows, in (model, strategy, fold) order.  A row repeated
 * for the same (model, fold, strategy) counts once (the first in the file). */
static int build_items(const results_file *r, const metric_def *m, int lookahead, item **out, int *n_out,
                       int *n_hidden, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    *n_hidden = 0;
    if (r->n_rows <= 0) return 0;
    rowref *rr = malloc((size_t)r->n_rows * sizeof *rr);
    item *it = malloc((size_t)r->n_rows * sizeof *it);
    if (!rr || !it) { free(rr); free(it); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    int nr = 0;
    for (int i = 0; i < r->n_rows; i++) {
        /* look-ahead rows (motormap_peek) are a diagnostic: left out of
         * every ranking unless asked for */
        if (r->rows[i].lookahead && !lookahead) { (*n_hidden)++; continue; }
        rr[nr++] = (rowref){ r->rows[i].model, r->rows[i].fold_id, r->rows[i].correction, r->rows[i].strategy, i };
    }
    qsort(rr, (size_t)nr, sizeof *rr, cmp_rowref);
    int n = 0;
    for (int i = 0; i < nr;) {
        /* a run: one (task, correction) (forecast) or one (task, strategy) (trading) */
        int j = i + 1;
        while (j < nr && rr[j].model == rr[i].model && rr[j].fold_id == rr[i].fold_id &&
               (m->forecast ? rr[j].corr == rr[i].corr : rr[j].strat == rr[i].strat))
            j++;
        const task_row *row = &r->rows[rr[i].idx];
        item *t = &it[n++];
        t->model = rr[i].model;
        t->strat = m->forecast ? FC_STRAT(rr[i].corr) : rr[i].strat;
        t->fold_id = rr[i].fold_id;
        t->v = metric_value(m, row);
        t->ok = row->status == TASK_OK && isfinite(t->v);
        /* a task has no single strategy: its buy-and-hold is its lowest
         * strategy row's (whose costs the packed bh series uses too) */
        t->bh = row->bh_roi_pct;
        t->roi = m->forecast ? NAN : row->trading.roi_pct;
        t->base = NAN;
        t->beats = 0;
        if (m->base >= 0) {
            double b;
            memcpy(&b, (const char *)row + m->base, sizeof b);
            t->base = b;
            t->beats = isfinite(b) && (m->higher ? t->v > b : t->v < b);
        }
        t->n_bh = t->n_beat = 0;
        t->gid = 0;
        for (int k = i; k < j; k++) {
            if (k > i && rr[k].strat == rr[k - 1].strat) continue;     /* a repeated row */
            const task_row *q = &r->rows[rr[k].idx];
            if (q->status != TASK_OK || !isfinite(q->trading.roi_pct) || !isfinite(q->bh_roi_pct)) continue;
            t->n_bh++;
            t->n_beat += q->trading.roi_pct > q->bh_roi_pct;
        }
        i = j;
    }
    free(rr);
    qsort(it, (size_t)n, sizeof *it, cmp_item_cfg);
    *out = it;
    *n_out = n;
    return 0;
}

/* Reduce the runs of equal (model, strat) in it[0..n) (sorted so) into
 * configurations; *out malloc'd. */
static int reduce_cfgs(const item *it, int n, int higher, cfg_stat **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    if (n == 0) return 0;
    cfg_stat *c = malloc((size_t)n * sizeof *c);
    if (!c) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int k = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && it[j].model == it[i].model && it[j].strat == it[i].strat) j++;
        cfg_reduce(it + i, j - i, higher, &c[k++]);
        i = j;
    }
    *out = c;
    *n_out = k;
    return 0;
}

/* ---- group values ------------------------------------------------------------------ */

typedef struct {
    double num, num2;         /* numeric keys: the value (num2: spacing's unit)    */
    int    na;                /* the key does not apply (a signal point's spacing) */
    int    ent;               /* the entity: model / strategy index, or fold      */
    int    run;               /* index of its distinct value                      */
    char   label[48];
} gval;

static void model_value(const sweep_plan *p, int k, int i, gval *g) {
    const plan_model *m = &p->models[i];
    memset(g, 0, sizeof *g);
    g->ent = i;
    switch (k) {
    case K_CELL:     snprintf(g->label, sizeof g->label, "%s", rnn_cell_name(m->cell)); break;
    case K_LAYERS:   g->num = m->n_layers; snprintf(g->label, sizeof g->label, "%d", m->n_layers); break;
    case K_HIDDEN:   plan_hidden_text(m, g->label, sizeof g->label); break;
    case K_LOOKBACK: g->num = m->lookback; snprintf(g->label, sizeof g->label, "%d", m->lookback); break;
    case K_DROPOUT:  g->num = m->dropout; snprintf(g->label, sizeof g->label, "%g", m->dropout); break;
    case K_SEED:     g->num = (double)m->seed;
                     snprintf(g->label, sizeof g->label, "%llu", (unsigned long long)m->seed); break;
    case K_LR:       g->num = m->train.lr; snprintf(g->label, sizeof g->label, "%g", m->train.lr); break;
    case K_BATCH:    g->num = m->batch; snprintf(g->label, sizeof g->label, "%d", m->batch); break;
    case K_EPOCHS:   g->num = m->train.epochs; snprintf(g->label, sizeof g->label, "%d", m->train.epochs); break;
    case K_WD:       g->num = m->train.weight_decay;
                     snprintf(g->label, sizeof g->label, "%g", m->train.weight_decay); break;
    case K_MODEL:
        if (m->n_layers > 1) snprintf(g->label, sizeof g->label, "%s x%d", rnn_cell_name(m->cell), m->n_layers);
        else snprintf(g->label, sizeof g->label, "%s", rnn_cell_name(m->cell));
        break;
    }
}

static void strategy_value(const sweep_plan *p, int k, int i, gval *g) {
    const bt_strategy *s = &p->strategies[i].s;
    const int f = k - K_STRAT0, cls = p->head == RNN_HEAD_CLS;
    memset(g, 0, sizeof *g);
    g->ent = i;
    g->na = !strategy_field_used(f, s, cls);
    if (g->na) { snprintf(g->label, sizeof g->label, "-"); return; }
    g->num = strategy_get(s, f);
    /* a field with attached followers (spacing and its unit) groups by both */
    if (f + 1 < BT_F_N && !bt_fields[f + 1].label[0]) g->num2 = strategy_get(s, f + 1);
    plan_field_label(s, f, g->label, sizeof g->label);
}

static int cmp_gval_num(const void *pa, const void *pb) {
    const gval *a = pa, *b = pb;
    if (a->na != b->na) return a->na - b->na;                 /* "-" last */
    if (a->num != b->num) return a->num < b->num ? -1 : 1;
    if (a->num2 != b->num2) return a->num2 < b->num2 ? -1 : 1;
    return (a->ent > b->ent) - (a->ent < b->ent);
}

static int cmp_gval_label(const void *pa, const void *pb) {
    const gval *a = pa, *b = pb;
    int c = strcmp(a->label, b->label);
    if (c) return c;
    return (a->ent > b->ent) - (a->ent < b->ent);
}

static int cmp_gval_first(const void *pa, const void *pb) {
    const gval *a = pa, *b = pb;                 /* .ent: the value's first entity */
    if (a->na != b->na) return a->na - b->na;
    return (a->ent > b->ent) - (a->ent < b->ent);
}

/* Group the n entities v[i] (v[i].ent == i): equal values share a group.
 * gid[i] gets entity i's group; *groups (malloc'd, *n_groups of them, each
 * holding its label) are in numeric order for numeric keys, else in order
 * of first appearance. */
static int group_assign(gval *v, int n, int numeric, int *gid, gval **groups, int *n_groups, rs_err *e) {
    *groups = NULL;
    *n_groups = 0;
    gval *g = malloc((size_t)(n ? n : 1) * sizeof *g);
    int *rank = malloc((size_t)(n ? n : 1) * sizeof *rank);
    if (!g || !rank) { free(g); free(rank); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    qsort(v, (size_t)n, sizeof *v, numeric ? cmp_gval_num : cmp_gval_label);
    int ng = 0;
    for (int i = 0; i < n; i++) {
        int same = i > 0 && v[i].na == v[i - 1].na &&
                   (numeric ? v[i].num == v[i - 1].num && v[i].num2 == v[i - 1].num2
                            : !strcmp(v[i].label, v[i - 1].label));
        if (!same) { g[ng] = v[i]; g[ng].run = ng; ng++; }    /* .ent: smallest entity */
        v[i].run = ng - 1;
    }
    if (!numeric) qsort(g, (size_t)ng, sizeof *g, cmp_gval_first);
    for (int i = 0; i < ng; i++) rank[g[i].run] = i;
    for (int i = 0; i < n; i++) gid[v[i].ent] = rank[v[i].run];
    free(rank);
    *groups = g;
    *n_groups = ng;
    return 0;
}

/* ---- tables --------------------------------------------------------------------------- */

#define CELL 128

typedef struct {
    int         ncol, nrow, cap;
    char      (*c)[CELL];     /* [nrow][ncol]                                   */
    const char *align;        /* per column: 'l' or 'r'                         */
} table;

static int table_row(table *t) {
    if (t->nrow == t->cap) {
        int cap = t->cap ? 2 * t->cap : 16;
        char (*c)[CELL] = realloc(t->c, (size_t)cap * (size_t)t->ncol * sizeof *c);
        if (!c) return -1;
        t->c = c;
        t->cap = cap;
    }
    for (int j = 0; j < t->ncol; j++) t->c[t->nrow * t->ncol + j][0] = 0;
    return t->nrow++;
}

__attribute__((format(printf, 4, 5)))
static void table_set(table *t, int row, int col, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->c[row * t->ncol + col], CELL, fmt, ap);
    va_end(ap);
}

/* A number cell: %.*f, or "-" when there is no value. */
static void table_num(table *t, int row, int col, double v, int prec) {
    if (isfinite(v)) table_set(t, row, col, "%.*f", prec, v);
    else table_set(t, row, col, "-");
}

/* Columns two spaces apart, widths from the widest cell (bytes: the only
 * non-ASCII cell, "±", is the same in every row of its column). */
static void table_print(const table *t, FILE *f) {
    int w[16] = {0};
    for (int i = 0; i < t->nrow; i++)
        for (int j = 0; j < t->ncol && j < 16; j++) {
            int l = (int)strlen(t->c[i * t->ncol + j]);
            if (l > w[j]) w[j] = l;
        }
    for (int i = 0; i < t->nrow; i++) {
        for (int j = 0; j < t->ncol; j++) {
            const char *s = t->c[i * t->ncol + j];
            int last = j == t->ncol - 1;
            if (t->align[j] == 'l') fprintf(f, "%-*s", last ? 0 : w[j], s);
            else fprintf(f, "%*s", w[j], s);
            if (!last) fputs("  ", f);
        }
        fputc('\n', f);
    }
}

/* ---- the report -------------------------------------------------------------------------- */

static int print_leaderboard(const sweep_plan *p, const metric_def *m, cfg_stat *cfg, int n_cfg,
                             int n_folds, int top, FILE *f, rs_err *e) {
        table t = { .ncol = 10, .align = "rllrrrrrrr" };
    int shown = n_cfg < top ? n_cfg : top;
    int row = table_row(&t);
    if (row < 0) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    static const char *const head[] = { "rank", "model", "strategy", NULL, "±", "std", "worst", "folds",
                                        "bh_roi%", "roi%" };
    const int fb = m->base >= 0;             /* a forecast metric with a baseline */
    for (int j = 0; j < t.ncol; j++) table_set(&t, row, j, "%s", head[j] ? head[j] : m->name);
    if (fb) { table_set(&t, row, 8, "baseline"); table_set(&t, row, 9, "beats"); }
    for (int i = 0; i < shown; i++) {
        const cfg_stat *c = &cfg[i];
        if ((row = table_row(&t)) < 0) { free(t.c); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
        table_set(&t, row, 0, "%d", i + 1);
        plan_model_label(p, c->model, t.c[row * t.ncol + 1], CELL);
        if (c->strat >= 0) plan_strategy_label(p, c->strat, t.c[row * t.ncol + 2], CELL);
        else if (p->n_corrections > 1) plan_correction_label(p, FC_CORR(c->strat), t.c[row * t.ncol + 2], CELL);
        else table_set(&t, row, 2, "-");
        table_num(&t, row, 3, c->mean, 4);
        table_set(&t, row, 4, "±");
        table_num(&t, row, 5, c->sd, 4);
        table_num(&t, row, 6, c->worst, 4);
        table_set(&t, row, 7, "%d/%d", c->n_ok, n_folds);
        if (fb) {
            table_num(&t, row, 8, c->base, 4);
            table_set(&t, row, 9, "%d/%d", c->n_beats, c->n_ok);
        } else {
            table_num(&t, row, 8, c->bh, 2);
            table_num(&t, row, 9, c->roi, 2);
        }
    }
    table_print(&t, f);
    free(t.c);
    if (n_cfg > shown) fprintf(f, "(%d more configurations; --top N shows more)\n", n_cfg - shown);
    if (fb)
        fprintf(f, "baseline = the mean %s of %s on the same folds; beats = folds on which the model "
                "does better\n", m->name, m->head == RNN_HEAD_CLS ? "the training-majority class"
                                                                 : "the persistence forecast (return 0)");
    return 0;
}

static int print_groups(const sweep_plan *p, const metric_def *m, int key, item *it, int n, FILE *f,
                        rs_err *e) {
    /* group id of every item */
    gval *groups = NULL;
    int ng = 0, rc = 0;
    if (key == K_YEAR || key == K_FOLD) {
        /* groups: the distinct fold ids (or their years), ascending */
        int *ids = malloc((size_t)n * sizeof *ids);
        groups = malloc((size_t)n * sizeof *groups);
        if (!ids || !groups) { free(ids); free(groups); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
#define GROUP_OF(id) (key == K_YEAR ? fold_id_year(id) : (id))
        for (int i = 0; i < n; i++) ids[i] = GROUP_OF(it[i].fold_id);
        qsort(ids, (size_t)n, sizeof *ids, cmp_int);
        for (int i = 0; i < n; i++)
            if (!i || ids[i] != ids[i - 1]) {
                memset(&groups[ng], 0, sizeof groups[ng]);
                if (key == K_YEAR) snprintf(groups[ng].label, sizeof groups[ng].label, "%d", ids[i]);
                else fold_id_text(ids[i], groups[ng].label, sizeof groups[ng].label);
                ids[ng++] = ids[i];
            }
        for (int i = 0; i < n; i++) {
            int g = GROUP_OF(it[i].fold_id);
            const int *y = bsearch(&g, ids, (size_t)ng, sizeof *ids, cmp_int);
            it[i].gid = (int)(y - ids);
        }
#undef GROUP_OF
        free(ids);
    } else {
        const int on_model = key_on_model(key);
        /* a forecast item's strategy-side entity is its correction point,
         * valued by the point's first strategy (report_check allows only the
         * correction's own keys there) */
        const int on_corr = !on_model && m->forecast;
        const int ne = on_model ? p->n_models : on_corr ? p->n_corrections : p->n_strategies;
        gval *v = malloc((size_t)(ne ? ne : 1) * sizeof *v);
        int *gid = malloc((size_t)(ne ? ne : 1) * sizeof *gid);
        if (!v || !gid) { free(v); free(gid); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
        for (int i = 0; i < ne; i++) {
            if (on_model) model_value(p, key, i, &v[i]);
            else {
                strategy_value(p, key, on_corr ? p->correction_first[i] : i, &v[i]);
                v[i].ent = i;
            }
        }
        rc = group_assign(v, ne, key_numeric(key), gid, &groups, &ng, e);
        if (!rc)
            for (int i = 0; i < n; i++)
                it[i].gid = gid[on_model ? it[i].model : on_corr ? FC_CORR(it[i].strat) : it[i].strat];
        free(v);
        free(gid);
        if (rc) return rc;
    }
    qsort(it, (size_t)n, sizeof *it, cmp_item_group);

    table t = { .ncol = 7, .align = "lrrrrrr" };
    cfg_stat *cs = malloc((size_t)(n ? n : 1) * sizeof *cs);
    int row = cs ? table_row(&t) : -1;
    if (row < 0) { free(cs); free(groups); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    table_set(&t, row, 0, "%s", KEY_NAMES[key]);
    table_set(&t, row, 1, "%s", m->forecast ? "ok/tasks" : "ok/rows");
    table_set(&t, row, 2, "%s", m->name);
    table_set(&t, row, 3, "±");
    table_set(&t, row, 4, "std");
    table_set(&t, row, 5, "best");
    table_set(&t, row, 6, "beat_bh%%");
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && it[j].gid == it[i].gid) j++;
        int n_ok = 0, n_bh = 0, n_beat = 0, nc = 0;
        for (int k = i; k < j; k++) {
            n_ok += it[k].ok;
            n_bh += it[k].n_bh;
            n_beat += it[k].n_beat;
        }
        double mean, sd;
        mean_sd(it + i, j - i, &mean, &sd);
        /* the group's configurations (inside a fold / year group: its folds only),
         * ranked as the leaderboard ranks them */
        for (int k = i; k < j;) {
            int l = k + 1;
            while (l < j && it[l].model == it[k].model && it[l].strat == it[k].strat) l++;
            cfg_reduce(it + k, l - k, m->higher, &cs[nc++]);
            k = l;
        }
        const cfg_stat *best = NULL;
        for (int k = 0; k < nc; k++)
            if (cs[k].n_ok && (!best || cmp_cfg(&cs[k], best) < 0)) best = &cs[k];
        if ((row = table_row(&t)) < 0) { rc = rs_err_set(e, RS_EINTERNAL, "out of memory"); break; }
        table_set(&t, row, 0, "%s", groups[it[i].gid].label);
        table_set(&t, row, 1, "%d/%d", n_ok, j - i);
        table_num(&t, row, 2, mean, 4);
        table_set(&t, row, 3, "±");
        table_num(&t, row, 4, sd, 4);
        table_num(&t, row, 5, best ? best->mean : NAN, 4);
        table_num(&t, row, 6, n_bh ? 100.0 * n_beat / n_bh : NAN, 1);
        i = j;
    }
    if (!rc) {
        fprintf(f, "\nby %s: %s over ok %s (mean ± std); best = the best configuration's mean; "
                   "beat_bh%% = ok strategy rows with ROI above buy-and-hold\n",
                KEY_NAMES[key], m->name, m->forecast ? "tasks, each task once" : "rows");
        table_print(&t, f);
    }
    free(t.c);
    free(cs);
    free(groups);
    return rc;
}

int report_print(const results_file *r, const sweep_plan *p, const report_opts *o, FILE *f, rs_err *e) {
    int rc = report_check(o, e);
    if (rc) return rc;
    const metric_def *m = &METRICS[name_find(METRIC_NAMES, opt_metric(o))];
    const char *by = opt_by(o);
    const int key = by ? name_find(KEY_NAMES, by) : -1;
    const int top = o && o->top > 0 ? o->top : 10;
    if (m->head != HEAD_ANY && m->head != (int)p->head)
        return rs_err_set(e, RS_EINPUT, "metric '%s' scores a %s forecast; this sweep's target is %s",
                          m->name, m->head == RNN_HEAD_CLS ? "class (trend3)" : "regression (return / price)",
                          p->head == RNN_HEAD_CLS ? "trend3" : "a return / price");
    for (int i = 0; i < r->n_rows; i++) {
        const task_row *w = &r->rows[i];
        if (w->model < 0 || w->model >= p->n_models)
            return rs_err_set(e, RS_EINPUT, "%s: result row %d: model index %d outside the plan's %d model points",
                              r->name, i, w->model, p->n_models);
        if (w->strategy < 0 || w->strategy >= p->n_strategies)
            return rs_err_set(e, RS_EINPUT,
                              "%s: result row %d: strategy index %d outside the plan's %d strategy points",
                              r->name, i, w->strategy, p->n_strategies);
    }

    item *it;
    int n;
    int n_hidden;
    if ((rc = build_items(r, m, o && o->lookahead, &it, &n, &n_hidden, e))) return rc;
    cfg_stat *cfg;
    int n_cfg;
    if ((rc = reduce_cfgs(it, n, m->higher, &cfg, &n_cfg, e))) { free(it); return rc; }
    if (n_cfg) qsort(cfg, (size_t)n_cfg, sizeof *cfg, cmp_cfg);

    /* trials: the configurations with a score, i.e. those that competed */
    int n_trials = 0, n_folds = 0;
    double s = 0, ss = 0;
    for (int i = 0; i < n_cfg; i++)
        if (cfg[i].n_ok) { n_trials++; s += cfg[i].mean; }
    double tmean = n_trials ? s / n_trials : 0;
    for (int i = 0; i < n_cfg; i++)
        if (cfg[i].n_ok) ss += (cfg[i].mean - tmean) * (cfg[i].mean - tmean);
    double tsd = n_trials > 1 ? sqrt(ss / (n_trials - 1)) : 0;
    {
        int *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
        if (!ids) { free(it); free(cfg); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
        for (int i = 0; i < n; i++) ids[i] = it[i].fold_id;
        qsort(ids, (size_t)n, sizeof *ids, cmp_int);
        for (int i = 0; i < n; i++) n_folds += !i || ids[i] != ids[i - 1];
        free(ids);
    }

    fprintf(f, "sweep %s: %d/%d tasks done, %d failed (%s)\n", r->name, r->tasks_done, r->tasks_planned,
            r->tasks_failed, r->complete ? "complete" : "INCOMPLETE");
    if (n_hidden)
        fprintf(f, "%d LOOK-AHEAD rows (correction = motormap_peek, which reads each test window's own "
                "future) left out of the ranking; --lookahead includes them\n", n_hidden);
    else if (o && o->lookahead)
        for (int i = 0; i < r->n_rows; i++)
            if (r->rows[i].lookahead) {
                fprintf(f, "LOOK-AHEAD rows included (--lookahead): they read the future and are no "
                        "evidence of skill\n");
                break;
            }
    fprintf(f, "ranking by %s (mean over ok folds; %s is better); %d trials (%s)\n", m->name,
            m->higher ? "higher" : "lower", n_trials,
            !m->forecast ? "model × strategy configurations"
                         : p->n_corrections > 1 ? "model × correction configurations" : "model points");
    if (!strcmp(m->name, "sharpe")) {
        double em = report_expected_max(n_trials, tsd);
        if (isfinite(em))
            fprintf(f, "expected max Sharpe of %d skill-less trials: %.4f (sd of the trials' means %.4f)\n",
                    n_trials, em, tsd);
        else
            fprintf(f, "expected max Sharpe of %d skill-less trials: - (needs 2 or more)\n", n_trials);
    }
    if (n == 0) {
        fprintf(f, "(no result rows)\n");
    } else {
        fputc('\n', f);
        rc = print_leaderboard(p, m, cfg, n_cfg, n_folds, top, f, e);
        if (!rc && key >= 0) rc = print_groups(p, m, key, it, n, f, e);
    }
    free(it);
    free(cfg);
    return rc;
}
