/*
 * board.c — the leaderboard of a results file as data (see board.h).
 *
 * Everything is computed from "items": one per (model, strategy, fold) row
 * for a trading metric, one per (model, correction, fold) for a forecast
 * metric, because a forecast metric is the task's and repeats on every
 * strategy row; counting it once per strategy would weight a model by the
 * size of the strategy grid.  Items sorted by (group, strategy, fold) give
 * the configurations' folds as runs (a run of one fold holds the group's
 * seeds); items sorted by group-by level give the group tables.  Both rank
 * with the same comparator, so "best in group" and the leaderboard cannot
 * disagree.  Memory is O(rows), never O(models × strategies).
 *
 * Decisions board.h leaves open, made here:
 *   - a row repeated for the same (model, fold, strategy) counts once (the
 *     first in the file);
 *   - a forecast item's buy-and-hold is its task's lowest strategy row's;
 *   - the group tables are over rows (items), not configurations: a table
 *     by seed is then the seed spread, one by cell weighs every row once;
 *   - trials N = configurations with at least one ok fold, and trial_sd the
 *     sample sd of their means.
 */
#include "coordinator/board.h"

#include <assert.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- metrics ------------------------------------------------------------ */

#define HEAD_ANY (-1)
#define F_SHARPE (MT_F_ZERO_VAR)
#define F_PF     (MT_F_PF_CAPPED | MT_F_NO_TRADES)

typedef struct {
    board_metric pub;
    size_t       off;         /* offset of the value in task_row                */
    int          is_int;      /* an int field (n_trades), else double           */
    long         base;        /* offset of its baseline in task_row, or -1      */
} metric_def;

/* X(name, offset, is_int, forecast, higher, head, baseline, flags, flag doc) */
#define TR(f) offsetof(task_row, trading.f)
#define FC(f) offsetof(task_row, f)
#define NB (-1L)
#define BOARD_METRICS(X)                                                                             \
    X("sharpe",        TR(sharpe),        0, 0, 1, HEAD_ANY,     NB, F_SHARPE, "zero-variance curve") \
    X("sortino",       TR(sortino),       0, 0, 1, HEAD_ANY,     NB, MT_F_ZERO_VAR | MT_F_NO_DOWNSIDE, \
      "no losing bar")                                                                               \
    X("calmar",        TR(calmar),        0, 0, 1, HEAD_ANY,     NB, MT_F_NO_DRAWDOWN, "no drawdown")  \
    X("roi_pct",       TR(roi_pct),       0, 0, 1, HEAD_ANY,     NB, 0, "")                            \
    X("cagr_pct",      TR(cagr_pct),      0, 0, 1, HEAD_ANY,     NB, 0, "")                            \
    X("max_dd_pct",    TR(max_dd_pct),    0, 0, 0, HEAD_ANY,     NB, 0, "")                            \
    X("vol_pct",       TR(vol_pct),       0, 0, 0, HEAD_ANY,     NB, F_SHARPE, "zero-variance curve")  \
    X("hit_rate_pct",  TR(hit_rate_pct),  0, 0, 1, HEAD_ANY,     NB, MT_F_NO_TRADES, "no trade")       \
    X("profit_factor", TR(profit_factor), 0, 0, 1, HEAD_ANY,     NB, F_PF, "capped at 100 or no trade") \
    X("n_trades",      TR(n_trades),      1, 0, 1, HEAD_ANY,     NB, 0, "")                            \
    X("exposure_pct",  TR(exposure_pct),  0, 0, 1, HEAD_ANY,     NB, 0, "")                            \
    X("rmse",          FC(rmse),          0, 1, 0, RNN_HEAD_REG, FC(base_rmse), 0, "")                 \
    X("mae",           FC(mae),           0, 1, 0, RNN_HEAD_REG, FC(base_mae), 0, "")                  \
    X("r2",            FC(r2),            0, 1, 1, RNN_HEAD_REG, FC(base_r2), 0, "")                   \
    X("dir_acc",       FC(dir_acc),       0, 1, 1, RNN_HEAD_REG, FC(base_dir_acc), 0, "")              \
    X("accuracy",      FC(accuracy),      0, 1, 1, RNN_HEAD_CLS, FC(base_accuracy), 0, "")             \
    X("macro_f1",      FC(macro_f1),      0, 1, 1, RNN_HEAD_CLS, FC(base_macro_f1), 0, "")             \
    X("log_loss",      FC(log_loss),      0, 1, 0, RNN_HEAD_CLS, FC(base_log_loss), 0, "")             \
    X("test_loss",     FC(test_loss),     0, 1, 0, HEAD_ANY,     NB, 0, "")

#define METRIC_ROW(name, off, is_int, fc, higher, head, base, flags, doc) \
    { { name, fc, higher, head, (long)(base) >= 0, flags, doc }, off, is_int, (long)(base) },
#define METRIC_PUB(name, off, is_int, fc, higher, head, base, flags, doc) \
    { name, fc, higher, head, (long)(base) >= 0, flags, doc },
#define METRIC_NAME(name, ...) name,
static const metric_def METRICS[] = { BOARD_METRICS(METRIC_ROW) };
static const board_metric METRICS_PUB[] = { BOARD_METRICS(METRIC_PUB) { NULL, 0, 0, 0, 0, 0, NULL } };
static const char *const METRIC_NAMES[] = { BOARD_METRICS(METRIC_NAME) NULL };
#undef METRIC_ROW
#undef METRIC_PUB
#undef METRIC_NAME
#undef TR
#undef FC
#undef NB
#define N_METRICS ((int)(sizeof METRICS / sizeof METRICS[0]))

const board_metric *board_metrics(void) { return METRICS_PUB; }
const char *const *board_metric_names(void) { return METRIC_NAMES; }
const board_metric *board_metric_of(const board *b) { return &METRICS[b->metric].pub; }

static double metric_value(const metric_def *m, const task_row *r) {
    const char *p = (const char *)r + m->off;
    if (m->is_int) { int v; memcpy(&v, p, sizeof v); return v; }
    double v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* ---- group-by keys --------------------------------------------------------- */

/* Model keys, then "fold" and "year", then one key per strategy field
 * (worker/strategy.h: K_STRAT0 + BT_F_*). */
enum { K_CELL, K_LAYERS, K_HIDDEN, K_LOOKBACK, K_DROPOUT, K_SEED, K_LR, K_BATCH, K_EPOCHS, K_WD,
       K_MODEL, K_FOLD, K_YEAR, K_STRAT0, K_N = K_STRAT0 + BT_F_N };

#define KEY_NAME_X(ID, key, ...) key,
static const char *const KEY_NAMES[] = {
    "cell", "layers", "hidden", "lookback", "dropout", "seed", "lr", "batch", "epochs",
    "weight_decay", "model", "fold", "year", BT_FIELDS(KEY_NAME_X) NULL
};
#undef KEY_NAME_X
_Static_assert(sizeof KEY_NAMES / sizeof KEY_NAMES[0] == K_N + 1, "KEY_NAMES and K_* must agree");

const char *const *board_key_names(void) { return KEY_NAMES; }
static int key_on_model(int k) { return k <= K_MODEL; }
int board_key_is_strategy(int k) { return k >= K_STRAT0 && k < K_N; }
int board_key_is_fold(int k) { return k == K_FOLD || k == K_YEAR; }
int board_key_is_seed(int k) { return k == K_SEED; }
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

int board_metric_find(const char *name) { return name_find(METRIC_NAMES, name ? name : "sharpe"); }
int board_key_find(const char *name) { return name ? name_find(KEY_NAMES, name) : -1; }

/* RS_EINPUT: "unknown WHAT 'S' (did you mean 'X'? known: a, b, ...)". */
static int unknown_name(rs_err *e, const char *what, const char *s, const char *const *list) {
    int best = -1, bd = 3;                   /* suggest within edit distance 2 */
    for (int i = 0; list[i]; i++) {
        int d = config_edit_distance(s, list[i]);
        if (d < bd) { bd = d; best = i; }
    }
    char known[500];
    size_t k = 0;
    known[0] = 0;
    for (int i = 0; list[i] && k < sizeof known; i++)
        k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", list[i]);
    if (best >= 0)
        return rs_err_set(e, RS_EINPUT, "unknown %s '%.60s' (did you mean '%s'? known: %s)", what, s,
                          list[best], known);
    return rs_err_set(e, RS_EINPUT, "unknown %s '%.60s' (known: %s)", what, s, known);
}

int board_check_metric(const char *metric, rs_err *e) {
    const char *ms = metric && *metric ? metric : "sharpe";
    if (name_find(METRIC_NAMES, ms) < 0) return unknown_name(e, "metric", ms, METRIC_NAMES);
    return 0;
}

int board_check_key(const char *metric, const char *key, rs_err *e) {
    if (board_check_metric(metric, e)) return e ? e->status : RS_EINPUT;
    const char *ms = metric && *metric ? metric : "sharpe";
    int k = name_find(KEY_NAMES, key);
    if (k < 0) return unknown_name(e, "group-by key", key, KEY_NAMES);
    /* A forecast metric is the same on every strategy row of a task, so a
     * table by a strategy key would repeat one number per group. */
    if (METRICS[name_find(METRIC_NAMES, ms)].pub.forecast && board_key_is_strategy(k) && !key_on_correction(k))
        return rs_err_set(e, RS_EINPUT,
                          "--by %s with metric '%s': a forecast metric depends on the strategy only through "
                          "its correction; group by a model key, fold, year, correction or mm_*", key, ms);
    return 0;
}

/* ---- items ------------------------------------------------------------------------ */

typedef struct {
    int    model, group, strat, fold_id;
    int    ok;                /* status ok, the metric finite and not flagged   */
    int    status_ok;         /* status ok                                      */
    int    flagged;           /* status ok, but the value is a flagged stand-in */
    double v;                 /* the metric                                     */
    double bh;                /* bh_roi_pct                                     */
    double roi;               /* trading.roi_pct (NaN for a forecast item)      */
    double base;              /* forecast: the metric's baseline on this fold   */
    int    n_bh;              /* ok strategy rows with a finite ROI and bh      */
    int    n_beat;            /* ... of which ROI > buy-and-hold ROI            */
    int    gid, gid2;         /* levels, when grouping                          */
} item;

/* A forecast configuration is (group, correction point): its strat slot
 * holds -1 - correction, so every comparison by strat also separates
 * corrections, and strat < 0 still means "not a strategy". */
#define FC_STRAT(corr) (-1 - (corr))
#define FC_CORR(strat) (-1 - (strat))

typedef struct { int model, fold_id, corr, strat, idx; } rowref;

static int cmp_rowref(const void *pa, const void *pb) {
    const rowref *a = pa, *b = pb;
    if (a->model != b->model) return a->model < b->model ? -1 : 1;
    if (a->fold_id != b->fold_id) return a->fold_id < b->fold_id ? -1 : 1;
    if (a->corr != b->corr) return a->corr < b->corr ? -1 : 1;
    if (a->strat != b->strat) return a->strat < b->strat ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

static int cmp_int(const void *pa, const void *pb) {
    int a = *(const int *)pa, b = *(const int *)pb;
    return (a > b) - (a < b);
}

/* (group, strat, fold, model): a configuration's folds, each fold's seeds. */
static int cmp_item_cfg(const void *pa, const void *pb) {
    const item *a = pa, *b = pb;
    if (a->group != b->group) return a->group < b->group ? -1 : 1;
    if (a->strat != b->strat) return a->strat < b->strat ? -1 : 1;
    if (a->fold_id != b->fold_id) return a->fold_id < b->fold_id ? -1 : 1;
    return (a->model > b->model) - (a->model < b->model);
}

static int build_items(board *b, const metric_def *m, item **out, int *n_out, rs_err *e) {
    const results_file *r = b->r;
    *out = NULL;
    *n_out = 0;
    if (r->n_rows <= 0) return 0;
    rowref *rr = malloc((size_t)r->n_rows * sizeof *rr);
    item *it = malloc((size_t)r->n_rows * sizeof *it);
    if (!rr || !it) { free(rr); free(it); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    int nr = 0;
    for (int i = 0; i < r->n_rows; i++) {
        /* look-ahead rows (motormap_peek) are a diagnostic: left out of
         * every ranking unless asked for */
        if (r->rows[i].lookahead && !b->lookahead) { b->n_hidden++; continue; }
        rr[nr++] = (rowref){ r->rows[i].model, r->rows[i].fold_id, r->rows[i].correction, r->rows[i].strategy, i };
    }
    qsort(rr, (size_t)nr, sizeof *rr, cmp_rowref);
    int n = 0;
    for (int i = 0; i < nr;) {
        int j = i + 1;
        while (j < nr && rr[j].model == rr[i].model && rr[j].fold_id == rr[i].fold_id &&
               (m->pub.forecast ? rr[j].corr == rr[i].corr : rr[j].strat == rr[i].strat))
            j++;
        const task_row *row = &r->rows[rr[i].idx];
        item *t = &it[n++];
        memset(t, 0, sizeof *t);
        t->model = rr[i].model;
        t->group = b->group_of[t->model];
        t->strat = m->pub.forecast ? FC_STRAT(rr[i].corr) : rr[i].strat;
        t->fold_id = rr[i].fold_id;
        t->v = metric_value(m, row);
        t->status_ok = row->status == TASK_OK;
        t->flagged = t->status_ok && (row->trading.flags & m->pub.flags) != 0;
        t->ok = t->status_ok && isfinite(t->v) && !t->flagged;
        b->n_flagged += t->flagged;
        t->bh = row->bh_roi_pct;
        t->roi = m->pub.forecast ? NAN : row->trading.roi_pct;
        t->base = NAN;
        if (m->base >= 0) memcpy(&t->base, (const char *)row + m->base, sizeof t->base);
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
    *out = it;
    *n_out = n;
    return 0;
}

/* ---- replicate groups and ids ---------------------------------------------------------- */

/* The hash of a model point's canonical text with the seed set to 0: equal
 * for points that differ in the seed alone. */
static uint64_t seedless_hash(const plan_model *pm) {
    plan_model m = *pm;
    m.seed = 0;
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(&m, buf, sizeof buf);
    return rs_hash_bytes(buf, n < sizeof buf ? n : sizeof buf - 1, 0);
}

typedef struct { uint64_t h; int model; } hm;
static int cmp_hm(const void *pa, const void *pb) {
    const hm *a = pa, *b = pb;
    if (a->h != b->h) return a->h < b->h ? -1 : 1;
    return (a->model > b->model) - (a->model < b->model);
}
static int cmp_u64(const void *pa, const void *pb) {
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

static int build_groups(board *b, rs_err *e) {
    const sweep_plan *p = b->p;
    const int nm = p->n_models;
    hm *v = malloc((size_t)(nm ? nm : 1) * sizeof *v);
    int *first = malloc((size_t)(nm ? nm : 1) * sizeof *first);
    b->group_of = malloc((size_t)(nm ? nm : 1) * sizeof *b->group_of);
    b->member_off = malloc((size_t)(nm + 1) * sizeof *b->member_off);
    b->members = malloc((size_t)(nm ? nm : 1) * sizeof *b->members);
    if (!v || !first || !b->group_of || !b->member_off || !b->members) {
        free(v); free(first);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < nm; i++) v[i] = (hm){ seedless_hash(&p->models[i]), i };
    qsort(v, (size_t)nm, sizeof *v, cmp_hm);
    /* groups numbered in order of their first member (plan order) */
    int ng = 0;
    for (int i = 0; i < nm; i++) b->group_of[i] = -1;
    for (int i = 0; i < nm;) {
        int j = i + 1;
        while (j < nm && v[j].h == v[i].h) j++;
        for (int k = i; k < j; k++) b->group_of[v[k].model] = -2 - v[i].model;   /* tag: first member */
        i = j;
    }
    for (int i = 0; i < nm; i++) {
        int f = -2 - b->group_of[i];
        if (f == i) first[i] = ng++;
    }
    for (int i = 0; i < nm; i++) b->group_of[i] = first[-2 - b->group_of[i]];
    b->n_groups = ng;
    for (int g = 0; g <= ng; g++) b->member_off[g] = 0;
    for (int i = 0; i < nm; i++) b->member_off[b->group_of[i] + 1]++;
    for (int g = 0; g < ng; g++) b->member_off[g + 1] += b->member_off[g];
    for (int g = 0; g < ng; g++) first[g] = b->member_off[g];
    for (int i = 0; i < nm; i++) b->members[first[b->group_of[i]]++] = i;   /* ascending */
    for (int g = 0; g < ng; g++) b->seeds_vary |= b->member_off[g + 1] - b->member_off[g] > 1;
    free(v);
    free(first);
    return 0;
}

static uint64_t group_key(const board *b, int g) {
    int n = b->member_off[g + 1] - b->member_off[g];
    uint64_t keys[64], *k = n <= 64 ? keys : malloc((size_t)n * sizeof *k), h = 0;
    if (!k) return 0;
    for (int i = 0; i < n; i++) k[i] = b->p->models[b->members[b->member_off[g] + i]].key;
    qsort(k, (size_t)n, sizeof *k, cmp_u64);
    for (int i = 0; i < n; i++) h = rs_hash2(h, k[i]);
    if (k != keys) free(k);
    return h;
}

static uint64_t correction_hash(const sweep_plan *p, int c) {
    const bt_strategy *s = &p->strategies[p->correction_first[c]].s;
    char t[256];
    int n = snprintf(t, sizeof t, "correction=%s", rs_enum_name(BT_E_CORRECTION, s->correction));
    if (s->correction != MM_NONE)
        n += snprintf(t + n, sizeof t - (size_t)n, " mm_size=%d mm_beta=%.17g mm_sigma0=%.17g mm_epochs=%d",
                      s->mm_size, s->mm_beta, s->mm_sigma0, s->mm_epochs);
    return rs_hash_bytes(t, (size_t)n, 0);
}

/* ---- configurations ---------------------------------------------------------------- */

static int fold_index(const board *b, int fold_id) {
    const int *f = bsearch(&fold_id, b->fold_ids, (size_t)b->n_folds, sizeof *f, cmp_int);
    assert(f);                /* every item's fold is in fold_ids by construction */
    return (int)(f - b->fold_ids);
}

/* Ranking: more ok folds first, then the better mean, then plan order. */
static int cmp_cfg(const board_cfg *a, const board_cfg *b) {
    if (a->n_ok != b->n_ok) return a->n_ok > b->n_ok ? -1 : 1;
    if (a->n_ok && a->score != b->score) return a->score > b->score ? -1 : 1;
    if (a->model0 != b->model0) return a->model0 < b->model0 ? -1 : 1;
    return (a->strat > b->strat) - (a->strat < b->strat);
}

static const board_cfg *g_sort_cfg;     /* qsort has no context argument */
static int cmp_cfg_idx(const void *pa, const void *pb) {
    return cmp_cfg(&g_sort_cfg[*(const int *)pa], &g_sort_cfg[*(const int *)pb]);
}

/* Reduce it[0..n) — one configuration's items in (fold, model) order —
 * into *c and its per-fold values fv[n_folds]. */
static void cfg_reduce(const board *b, const item *it, int n, int higher, board_cfg *c, double *fv) {
    const int g = it[0].group, ns = b->member_off[g + 1] - b->member_off[g];
    memset(c, 0, sizeof *c);
    c->group = g;
    c->model0 = b->members[b->member_off[g]];
    c->strat = it[0].strat;
    c->n_seeds = ns;
    c->worst = c->mean = c->sd = c->bh = c->roi = c->base = c->seed_sd = NAN;
    for (int f = 0; f < b->n_folds; f++) fv[f] = NAN;
    double s = 0, bh = 0, roi = 0, base = 0;
    double seed_sum[64] = { 0 };
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && it[j].fold_id == it[i].fold_id) j++;
        int all_ok = j - i == ns, flagged = 0;
        double v = 0, vb = 0, vr = 0, vbase = 0;
        for (int k = i; k < j; k++) {
            all_ok &= it[k].ok;
            flagged |= it[k].flagged;
            v += it[k].v; vb += it[k].bh; vr += it[k].roi; vbase += it[k].base;
        }
        if (all_ok) {
            v /= ns;
            fv[fold_index(b, it[i].fold_id)] = v;
            c->n_ok++;
            s += v;
            bh += vb / ns;
            roi += vr / ns;
            base += vbase / ns;
            if (isfinite(vbase)) c->n_beats += higher ? v > vbase / ns : v < vbase / ns;
            if (isnan(c->worst) || (higher ? v < c->worst : v > c->worst)) {
                c->worst = v;
                c->worst_fold = it[i].fold_id;
            }
            for (int k = i; k < j && ns <= 64; k++) seed_sum[k - i] += it[k].v;
        } else if (flagged) c->n_flagged++;
        i = j;
    }
    if (c->n_ok) {
        c->mean = s / c->n_ok;
        double ss = 0;
        for (int f = 0; f < b->n_folds; f++)
            if (!isnan(fv[f])) ss += (fv[f] - c->mean) * (fv[f] - c->mean);
        c->sd = c->n_ok > 1 ? sqrt(ss / (c->n_ok - 1)) : 0;
        c->bh = bh / c->n_ok;
        c->roi = roi / c->n_ok;
        c->base = base / c->n_ok;
        if (ns > 1 && ns <= 64) {
            double sm = 0, sq = 0;
            for (int k = 0; k < ns; k++) sm += seed_sum[k] / c->n_ok;
            sm /= ns;
            for (int k = 0; k < ns; k++) sq += (seed_sum[k] / c->n_ok - sm) * (seed_sum[k] / c->n_ok - sm);
            c->seed_sd = sqrt(sq / (ns - 1));
        }
    }
    c->score = c->n_ok ? (higher ? c->mean : -c->mean) : -INFINITY;
    c->id = c->strat >= 0 ? rs_hash2(group_key(b, g), b->p->strategies[c->strat].key)
                          : rs_hash2(group_key(b, g), correction_hash(b->p, FC_CORR(c->strat)));
}

static int build_cfgs(board *b, const metric_def *m, item *it, int n, rs_err *e) {
    if (n) qsort(it, (size_t)n, sizeof *it, cmp_item_cfg);     /* it is NULL without rows */
    int nc = 0;
    for (int i = 0; i < n; i++) nc += !i || it[i].group != it[i - 1].group || it[i].strat != it[i - 1].strat;
    const size_t nf = (size_t)(b->n_folds ? b->n_folds : 1);
    board_cfg *c = malloc((size_t)(nc ? nc : 1) * sizeof *c);
    double *fv = malloc((size_t)(nc ? nc : 1) * nf * sizeof *fv);
    int *ord = malloc((size_t)(nc ? nc : 1) * sizeof *ord);
    b->cfg = malloc((size_t)(nc ? nc : 1) * sizeof *b->cfg);
    b->fold_value = malloc((size_t)(nc ? nc : 1) * nf * sizeof *b->fold_value);
    if (!c || !fv || !ord || !b->cfg || !b->fold_value) {
        free(c); free(fv); free(ord);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    int k = 0;
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && it[j].group == it[i].group && it[j].strat == it[i].strat) j++;
        cfg_reduce(b, it + i, j - i, m->pub.higher, &c[k], fv + (size_t)k * nf);
        ord[k] = k;
        k++;
        i = j;
    }
    g_sort_cfg = c;
    qsort(ord, (size_t)nc, sizeof *ord, cmp_cfg_idx);
    for (int i = 0; i < nc; i++) {
        b->cfg[i] = c[ord[i]];
        memcpy(b->fold_value + (size_t)i * nf, fv + (size_t)ord[i] * nf, nf * sizeof *fv);
    }
    b->n_cfg = nc;
    double s = 0, ss = 0;
    for (int i = 0; i < nc; i++)
        if (b->cfg[i].n_ok) { b->n_trials++; s += b->cfg[i].mean; }
    for (int i = 0; i < nc; i++)
        if (b->cfg[i].n_ok) ss += (b->cfg[i].mean - s / b->n_trials) * (b->cfg[i].mean - s / b->n_trials);
    b->trial_sd = b->n_trials > 1 ? sqrt(ss / (b->n_trials - 1)) : NAN;
    free(c);
    free(fv);
    free(ord);
    return 0;
}

int board_build(const results_file *r, const sweep_plan *p, const board_opts *o, board **out, rs_err *e) {
    *out = NULL;
    rs_err_clear(e);
    const char *ms = o && o->metric && *o->metric ? o->metric : "sharpe";
    if (board_check_metric(ms, e)) return RS_EINPUT;
    const metric_def *m = &METRICS[name_find(METRIC_NAMES, ms)];
    if (m->pub.head != HEAD_ANY && m->pub.head != (int)p->head)
        return rs_err_set(e, RS_EINPUT, "metric '%s' scores a %s forecast; this sweep's target is %s",
                          m->pub.name, m->pub.head == RNN_HEAD_CLS ? "class (trend3)" : "regression (return / price)",
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
        if (p->head == RNN_HEAD_CLS && (w->correction < 0 || w->correction >= p->n_corrections))
            return rs_err_set(e, RS_EINPUT, "%s: result row %d: correction %d outside the plan's %d",
                              r->name, i, w->correction, p->n_corrections);
    }
    board *b = calloc(1, sizeof *b);
    if (!b) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    b->r = r;
    b->p = p;
    b->metric = (int)(m - METRICS);
    b->lookahead = o && o->lookahead;
    int rc = build_groups(b, e);
    item *it = NULL;
    int n = 0;
    if (!rc) rc = build_items(b, m, &it, &n, e);
    if (!rc) {
        int *ids = malloc((size_t)(n ? n : 1) * sizeof *ids);
        if (!ids) rc = rs_err_set(e, RS_EINTERNAL, "out of memory");
        else {
            for (int i = 0; i < n; i++) ids[i] = it[i].fold_id;
            qsort(ids, (size_t)n, sizeof *ids, cmp_int);
            int k = 0;
            for (int i = 0; i < n; i++)
                if (!i || ids[i] != ids[i - 1]) ids[k++] = ids[i];
            b->fold_ids = ids;
            b->n_folds = k;
        }
    }
    if (!rc) rc = build_cfgs(b, m, it, n, e);
    b->items = it;
    b->n_items = n;
    if (rc) { board_free(b); return rc; }
    *out = b;
    return 0;
}

void board_free(board *b) {
    if (!b) return;
    free(b->fold_ids);
    free(b->group_of);
    free(b->member_off);
    free(b->members);
    free(b->cfg);
    free(b->fold_value);
    free(b->items);
    free(b);
}

double board_row_value(const board *b, const task_row *w, int *flagged) {
    return board_metric_value(b->metric, w, flagged);
}

double board_metric_value(int metric, const task_row *w, int *flagged) {
    const metric_def *m = &METRICS[metric];
    *flagged = w->status == TASK_OK && (w->trading.flags & m->pub.flags) != 0;
    return w->status == TASK_OK ? metric_value(m, w) : NAN;
}

void board_model_label(const board *b, const board_cfg *c, char *buf, size_t n) {
    plan_model_label_opt(b->p, c->model0, PLAN_LABEL_NO_SEED, buf, n);
}

void board_strategy_label(const board *b, const board_cfg *c, char *buf, size_t n) {
    if (c->strat >= 0) plan_strategy_label(b->p, c->strat, buf, n);
    else if (b->p->n_corrections > 1) plan_correction_label(b->p, FC_CORR(c->strat), buf, n);
    else snprintf(buf, n, "-");
}

int board_find(const board *b, const char *s, rs_err *e) {
    size_t len = strlen(s);
    int bad = len < 4 || len > 16;
    for (size_t i = 0; i < len && !bad; i++) bad = !strchr("0123456789abcdefABCDEF", s[i]);
    if (bad)
        return rs_err_set(e, RS_EINPUT, "--config '%.40s': expected a configuration id (4 to 16 hex digits, "
                          "the id column of show)", s), -1;
    char want[17];
    for (size_t i = 0; i < len; i++) want[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    want[len] = 0;
    int hit = -1, n_hit = 0;
    for (int i = 0; i < b->n_cfg; i++) {
        char id[17];
        snprintf(id, sizeof id, "%016llx", (unsigned long long)b->cfg[i].id);
        if (!strncmp(id, want, len)) { if (hit < 0) hit = i; n_hit++; }
    }
    if (n_hit == 1) return hit;
    if (!n_hit) return rs_err_set(e, RS_EINPUT, "--config %s: no configuration has that id", want), -1;
    return rs_err_set(e, RS_EINPUT, "--config %s: ambiguous, %d configurations' ids start with it; give more digits",
                      want, n_hit), -1;
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
 * gid[i] gets entity i's group; labels[g] each group's label, in numeric
 * order for numeric keys, else in order of first appearance. */
static int group_assign(gval *v, int n, int numeric, int *gid, char (**labels)[48], int *n_groups, rs_err *e) {
    *labels = NULL;
    *n_groups = 0;
    gval *g = malloc((size_t)(n ? n : 1) * sizeof *g);
    int *rank = malloc((size_t)(n ? n : 1) * sizeof *rank);
    char (*lab)[48] = malloc((size_t)(n ? n : 1) * sizeof *lab);
    if (!g || !rank || !lab) { free(g); free(rank); free(lab); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
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
    for (int i = 0; i < ng; i++) {
        rank[g[i].run] = i;
        memcpy(lab[i], g[i].label, sizeof lab[i]);
    }
    for (int i = 0; i < n; i++) gid[v[i].ent] = rank[v[i].run];
    free(rank);
    free(g);
    *labels = lab;
    *n_groups = ng;
    return 0;
}

/* Every item's level of `key` into it[].gid (second: gid2). */
static int assign_levels(board *b, int key, int second, char (**labels)[48], int *n_levels, rs_err *e) {
    item *it = b->items;
    const int n = b->n_items;
    const sweep_plan *p = b->p;
    const int forecast = METRICS[b->metric].pub.forecast;
    if (board_key_is_fold(key)) {
        int *ids = malloc((size_t)(b->n_folds ? b->n_folds : 1) * sizeof *ids);
        char (*lab)[48] = malloc((size_t)(b->n_folds ? b->n_folds : 1) * sizeof *lab);
        if (!ids || !lab) { free(ids); free(lab); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
        int ng = 0;
        for (int f = 0; f < b->n_folds; f++) {
            int g = key == K_YEAR ? fold_id_year(b->fold_ids[f]) : b->fold_ids[f];
            if (ng && ids[ng - 1] == g) continue;               /* fold ids ascend: years too */
            ids[ng] = g;
            if (key == K_YEAR) snprintf(lab[ng], sizeof lab[ng], "%d", g);
            else fold_id_text(g, lab[ng], sizeof lab[ng]);
            ng++;
        }
        for (int i = 0; i < n; i++) {
            int g = key == K_YEAR ? fold_id_year(it[i].fold_id) : it[i].fold_id;
            const int *y = bsearch(&g, ids, (size_t)ng, sizeof *ids, cmp_int);
            *(second ? &it[i].gid2 : &it[i].gid) = (int)(y - ids);
        }
        free(ids);
        *labels = lab;
        *n_levels = ng;
        return 0;
    }
    const int on_model = key_on_model(key);
    /* a forecast item's strategy-side entity is its correction point,
     * valued by the point's first strategy (only the correction's own
     * keys are allowed there) */
    const int on_corr = !on_model && forecast;
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
    int rc = group_assign(v, ne, key_numeric(key), gid, labels, n_levels, e);
    if (!rc)
        for (int i = 0; i < n; i++)
            *(second ? &it[i].gid2 : &it[i].gid) =
                gid[on_model ? it[i].model : on_corr ? FC_CORR(it[i].strat) : it[i].strat];
    free(v);
    free(gid);
    return rc;
}

static int cmp_item_level(const void *pa, const void *pb) {
    const item *a = pa, *b = pb;
    if (a->gid != b->gid) return a->gid < b->gid ? -1 : 1;
    return cmp_item_cfg(pa, pb);
}

static int check_key(const board *b, int key, rs_err *e) {
    if (key < 0 || key >= K_N) return rs_err_set(e, RS_EINPUT, "group-by key %d out of range", key);
    return board_check_key(METRICS[b->metric].pub.name, KEY_NAMES[key], e);
}

int board_groups(board *b, int key, board_group **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    if (check_key(b, key, e)) return RS_EINPUT;
    char (*lab)[48];
    int ng;
    int rc = assign_levels(b, key, 0, &lab, &ng, e);
    if (rc) return rc;
    item *it = b->items;
    const int n = b->n_items, higher = METRICS[b->metric].pub.higher;
    if (n) qsort(it, (size_t)n, sizeof *it, cmp_item_level);
    board_group *g = calloc((size_t)(ng ? ng : 1), sizeof *g);
    board_cfg *cs = malloc((size_t)(n ? n : 1) * sizeof *cs);
    double *fv = malloc((size_t)(b->n_folds ? b->n_folds : 1) * sizeof *fv);
    if (!g || !cs || !fv) { free(g); free(cs); free(fv); free(lab); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    for (int k = 0; k < ng; k++) {
        memcpy(g[k].label, lab[k], sizeof g[k].label);
        g[k].mean = g[k].sd = g[k].best = g[k].beat_bh_pct = NAN;
    }
    for (int i = 0; i < n;) {
        int j = i + 1;
        while (j < n && it[j].gid == it[i].gid) j++;
        board_group *q = &g[it[i].gid];
        int n_bh = 0, n_beat = 0;
        double s = 0, ss = 0;
        for (int k = i; k < j; k++) {
            q->n++;
            n_bh += it[k].n_bh;
            n_beat += it[k].n_beat;
            if (it[k].ok) { q->n_ok++; s += it[k].v; }
        }
        if (q->n_ok) {
            q->mean = s / q->n_ok;
            for (int k = i; k < j; k++)
                if (it[k].ok) ss += (it[k].v - q->mean) * (it[k].v - q->mean);
            q->sd = q->n_ok > 1 ? sqrt(ss / (q->n_ok - 1)) : 0;
        }
        q->beat_bh_pct = n_bh ? 100.0 * n_beat / n_bh : NAN;
        /* the group's configurations (inside a fold group: its folds
         * only), reduced and ranked as the leaderboard ranks them; a
         * seed group splits the replicates, so they are not a set there */
        const board_cfg *best = NULL;
        int nc = 0;
        for (int k = i; k < j;) {
            int l = k + 1;
            while (l < j && it[l].group == it[k].group && it[l].strat == it[k].strat) l++;
            cfg_reduce(b, it + k, l - k, higher, &cs[nc], fv);
            if (key == K_SEED) {          /* one seed of the group: its own mean */
                double sm = 0;
                int c = 0;
                for (int x = k; x < l; x++) if (it[x].ok) { sm += it[x].v; c++; }
                cs[nc].n_ok = c;
                cs[nc].mean = c ? sm / c : NAN;
                cs[nc].score = c ? (higher ? cs[nc].mean : -cs[nc].mean) : -INFINITY;
            }
            if (cs[nc].n_ok && (!best || cmp_cfg(&cs[nc], best) < 0)) best = &cs[nc];
            nc++;
            k = l;
        }
        q->best = best ? best->mean : NAN;
        i = j;
    }
    free(cs);
    free(fv);
    free(lab);
    /* only the levels the rows show (a LOOK-AHEAD point left out has none) */
    int k = 0;
    for (int i = 0; i < ng; i++)
        if (g[i].n) g[k++] = g[i];
    *out = g;
    *n_out = k;
    return 0;
}

int board_cross(board *b, int ka, int kb, char (**la)[48], int *n_a, char (**lb)[48], int *n_b,
                double **mean, int **count, rs_err *e) {
    *la = *lb = NULL;
    *mean = NULL;
    *count = NULL;
    if (check_key(b, ka, e) || check_key(b, kb, e)) return RS_EINPUT;
    if (ka == kb) return rs_err_set(e, RS_EINPUT, "--by %s,%s: two different keys expected", KEY_NAMES[ka], KEY_NAMES[kb]);
    int rc = assign_levels(b, ka, 0, la, n_a, e);
    if (!rc) rc = assign_levels(b, kb, 1, lb, n_b, e);
    if (rc) { free(*la); free(*lb); *la = *lb = NULL; return rc; }
    const size_t cells = (size_t)*n_a * (size_t)*n_b;
    double *s = calloc(cells ? cells : 1, sizeof *s);
    int *c = calloc(cells ? cells : 1, sizeof *c);
    if (!s || !c) { free(s); free(c); free(*la); free(*lb); *la = *lb = NULL; return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    const item *it = b->items;
    for (int i = 0; i < b->n_items; i++)
        if (it[i].ok) {
            size_t k = (size_t)it[i].gid * (size_t)*n_b + (size_t)it[i].gid2;
            s[k] += it[i].v;
            c[k]++;
        }
    for (size_t k = 0; k < cells; k++) s[k] = c[k] ? s[k] / c[k] : NAN;
    *mean = s;
    *count = c;
    return 0;
}

/* ---- levels and matches of configurations ------------------------------------------------ */

/* The hash of model point i's canonical text with the fields of key k (and
 * the seed) reset: equal for points that differ only there. */
static uint64_t model_match(const plan_model *pm, int k) {
    plan_model m = *pm;
    m.seed = 0;
    switch (k) {
    case K_MODEL: m.cell = RNN_LSTM; m.forget_bias_one = 0; /* fall through */
    case K_LAYERS:
    case K_HIDDEN: m.n_layers = 1; memset(m.hidden, 0, sizeof m.hidden); break;
    case K_CELL: m.cell = RNN_LSTM; m.forget_bias_one = 0; break;
    case K_LOOKBACK: m.lookback = 0; break;
    case K_DROPOUT: m.dropout = 0; break;
    case K_LR: m.train.lr = 0; break;
    case K_BATCH: m.batch = 0; break;
    case K_EPOCHS: m.train.epochs = 0; break;
    case K_WD: m.train.weight_decay = 0; break;
    }
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(&m, buf, sizeof buf);
    return rs_hash_bytes(buf, n < sizeof buf ? n : sizeof buf - 1, 0);
}

static uint64_t strategy_match(const sweep_plan *p, int s, int f) {
    plan_strategy ps = p->strategies[s];
    for (int a = f; a < BT_F_N && (a == f || !bt_fields[a].label[0]); a++) strategy_set(&ps.s, a, 0);
    if (f == BT_F_CORRECTION) ps.s.correction = MM_NONE;
    char buf[PLAN_CANON_MAX];
    size_t n = plan_strategy_canon(p, &ps, buf, sizeof buf);
    return rs_hash_bytes(buf, n < sizeof buf ? n : sizeof buf - 1, 0);
}

int board_levels(const board *b, int key, int *level, uint64_t *match, char (**labels)[48], int *n_levels,
                 rs_err *e) {
    *labels = NULL;
    *n_levels = 0;
    if (check_key(b, key, e)) return RS_EINPUT;
    if (board_key_is_fold(key) || key == K_SEED)
        return rs_err_set(e, RS_EINPUT, "--by %s: no paired comparison (%s)", KEY_NAMES[key],
                          key == K_SEED ? "seeds are replicates" : "the periods are what cells are matched on");
    const sweep_plan *p = b->p;
    const int nc = b->n_cfg;
    gval *v = malloc((size_t)(nc ? nc : 1) * sizeof *v);
    if (!v) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    for (int c = 0; c < nc; c++) {
        const board_cfg *x = &b->cfg[c];
        const int s = x->strat >= 0 ? x->strat : p->correction_first[FC_CORR(x->strat)];
        if (key_on_model(key)) {
            model_value(p, key, x->model0, &v[c]);
            match[c] = rs_hash2(model_match(&p->models[x->model0], key), (uint64_t)(int64_t)x->strat);
        } else {
            strategy_value(p, key, s, &v[c]);
            match[c] = rs_hash2((uint64_t)x->group, strategy_match(p, s, key - K_STRAT0));
        }
        /* the entity for plan order: the model point / strategy, tie by cfg */
        v[c].ent = c;
    }
    int rc = group_assign(v, nc, key_numeric(key), level, labels, n_levels, e);
    free(v);
    return rc;
}
