/*
 * plan.c — grid expansion, canonical texts and keys, task ordering
 * (see plan.h).
 */
#include "coordinator/plan.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* ---- canonical text ----------------------------------------------------- */

typedef struct { char line[48][160]; int n; } canon_buf;

__attribute__((format(printf, 2, 3)))
static void cline(canon_buf *b, const char *fmt, ...) {
    if (b->n == 48) return;          /* never reached: at most ~35 lines */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->line[b->n++], sizeof b->line[0], fmt, ap);
    va_end(ap);
}

static int cmp_line(const void *a, const void *b) { return strcmp((const char *)a, (const char *)b); }

/* Sort the lines and join them, each ending in '\n'. */
static size_t cjoin(canon_buf *b, char *buf, size_t n) {
    qsort(b->line, (size_t)b->n, sizeof b->line[0], cmp_line);
    size_t k = 0;
    for (int i = 0; i < b->n; i++) {
        size_t l = strlen(b->line[i]);
        for (size_t j = 0; j <= l; j++)
            if (buf && k + j + 1 < n) buf[k + j] = j < l ? b->line[i][j] : '\n';
        k += l + 1;
    }
    if (buf && n) buf[k < n ? k : n - 1] = 0;
    return k;
}

size_t plan_model_canon(const plan_model *m, char *buf, size_t n) {
    canon_buf b;
    b.n = 0;
    char hid[RNN_MAX_LAYERS * 12] = "";
    size_t k = 0;
    for (int l = 0; l < m->n_layers; l++)
        k += (size_t)snprintf(hid + k, sizeof hid - k, "%s%d", l ? "x" : "", m->hidden[l]);
    cline(&b, "version=rnnsweep-model-1");
    cline(&b, "model.cell=%s", rnn_cell_name(m->cell));
    cline(&b, "model.hidden=%s", hid);
    cline(&b, "model.lookback=%d", m->lookback);
    cline(&b, "model.dropout=%.17g", m->dropout);
    cline(&b, "model.seed=%llu", (unsigned long long)m->seed);
    if (m->cell == RNN_LSTM) cline(&b, "model.forget_bias_one=%d", m->forget_bias_one);
    const rnn_train_opts *o = &m->train;
    cline(&b, "training.lr=%.17g", o->lr);
    cline(&b, "training.batch=%d", m->batch);
    cline(&b, "training.epochs=%d", o->epochs);
    cline(&b, "training.weight_decay=%.17g", o->weight_decay);
    cline(&b, "training.clip_norm=%.17g", o->clip_norm);
    cline(&b, "training.patience=%d", o->patience);
    cline(&b, "training.min_delta=%.17g", o->min_delta);
    cline(&b, "training.beta1=%.17g", o->beta1);
    cline(&b, "training.beta2=%.17g", o->beta2);
    cline(&b, "training.eps=%.17g", o->eps);
    cline(&b, "training.explode=%.17g", o->explode);
    cline(&b, "training.shuffle=%d", o->shuffle);
    return cjoin(&b, buf, n);
}

/* [strategy] dimensions: bt_strategy field, names, and who uses them. */
#define U_GRID 1
#define U_REG  2
#define U_CLS  4
static const char *N_SKIND[] = { "signal", "grid" };
static const char *N_SUNIT[] = { "pips", "percent", "atr", "bp" };
static const char *N_COMM[]  = { "per_lot", "bp" };
static const char *N_PATH[]  = { "adverse", "against", "with" };
static const char *N_SIZE[]  = { "lots", "equity" };
static const char *N_MARKET[] = { "fx", "equity" };

static const struct {
    const char  *name;
    size_t       off;
    int          is_int;
    int          use;
    const char **names;      /* enum names by code, or NULL */
} SDIM[CS_N] = {
#define D(slot, name, field, isint, use, names) [slot] = { name, offsetof(bt_strategy, field), isint, use, names }
    D(CS_KIND, "kind", kind, 1, 0, N_SKIND),
    D(CS_THRESHOLD, "threshold", threshold, 0, U_REG, NULL),
    D(CS_LONG_ONLY, "long_only", long_only, 1, 0, NULL),
    D(CS_MIN_PROB, "min_prob", min_prob, 0, U_CLS, NULL),
    D(CS_SPACING, "spacing", spacing, 0, U_GRID, NULL),
    D(CS_SPACING_UNIT, "spacing_unit", spacing_unit, 1, U_GRID, N_SUNIT),
    D(CS_ATR_PERIOD, "atr_period", atr_period, 1, U_GRID, NULL),
    D(CS_MAX_LEVELS, "max_levels", max_levels, 1, U_GRID, NULL),
    D(CS_TP, "tp", tp_spacings, 0, U_GRID, NULL),
    D(CS_BASKET_TP, "basket_tp", basket_tp, 0, U_GRID, NULL),
    D(CS_CLOSE_ON_FLIP, "close_on_flip", close_on_flip, 1, U_GRID, NULL),
    D(CS_ADAPT_FACTOR, "adapt_factor", adapt_factor, 0, U_GRID, NULL),
    D(CS_ADAPT_MAX, "adapt_max", adapt_max, 0, U_GRID, NULL),
    D(CS_BAR_PATH, "bar_path", bar_path, 1, 0, N_PATH),
    D(CS_SPREAD, "spread", spread, 0, 0, NULL),
    D(CS_SLIPPAGE, "slippage", slippage, 0, 0, NULL),
    D(CS_COST_UNIT, "cost_unit", cost_unit, 1, 0, N_SUNIT),
    D(CS_COMMISSION, "commission", commission, 0, 0, NULL),
    D(CS_COMMISSION_UNIT, "commission_unit", commission_unit, 1, 0, N_COMM),
    D(CS_LEVERAGE, "leverage", leverage, 0, 0, NULL),
    D(CS_LOT, "lot", lot_size, 0, 0, NULL),
    D(CS_PIP, "pip", pip_size, 0, 0, NULL),
    D(CS_BALANCE, "balance", initial_balance, 0, 0, NULL),
    D(CS_MARGIN_CALL, "margin_call", margin_call_pct, 0, 0, NULL),
    D(CS_STOP_OUT, "stop_out", stop_out_pct, 0, 0, NULL),
    D(CS_SIZE_UNIT, "size_unit", size_unit, 1, 0, N_SIZE),
    D(CS_SIZE, "size", size, 0, 0, NULL),
    D(CS_BARS_PER_YEAR, "bars_per_year", bars_per_year, 0, 0, NULL),
#undef D
};

static int slot_used(int slot, int kind, int cls) {
    int u = SDIM[slot].use;
    if ((u & U_GRID) && kind != BT_GRID) return 0;
    if ((u & U_REG) && cls) return 0;
    if ((u & U_CLS) && !cls) return 0;
    return 1;
}

static double sget(const bt_strategy *s, int slot) {
    const char *p = (const char *)s + SDIM[slot].off;
    return SDIM[slot].is_int ? *(const int *)p : *(const double *)p;
}

static void sset(bt_strategy *s, int slot, double v) {
    char *p = (char *)s + SDIM[slot].off;
    if (SDIM[slot].is_int) *(int *)p = (int)v;
    else *(double *)p = v;
}

size_t plan_strategy_canon(const sweep_plan *p, const plan_strategy *ps, char *buf, size_t n) {
    canon_buf b;
    b.n = 0;
    const int cls = p->head == RNN_HEAD_CLS;
    cline(&b, "version=rnnsweep-strategy-1");
    cline(&b, "strategy.market=%s", N_MARKET[ps->s.market == BT_EQUITY]);
    for (int slot = 0; slot < CS_N; slot++) {
        if (!slot_used(slot, ps->s.kind, cls)) continue;
        double v = sget(&ps->s, slot);
        if (slot == CS_BARS_PER_YEAR && ps->bars_per_year_auto)
            cline(&b, "strategy.%s=auto", SDIM[slot].name);
        else if (SDIM[slot].names)
            cline(&b, "strategy.%s=%s", SDIM[slot].name, SDIM[slot].names[(int)v]);
        else if (SDIM[slot].is_int)
            cline(&b, "strategy.%s=%d", SDIM[slot].name, (int)v);
        else
            cline(&b, "strategy.%s=%.17g", SDIM[slot].name, v);
    }
    return cjoin(&b, buf, n);
}

/* ---- keys and specs ----------------------------------------------------- */

static uint64_t model_key(const plan_model *m, uint64_t data_hash) {
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(m, buf, sizeof buf);
    return rs_hash_bytes(buf, n < sizeof buf ? n : sizeof buf - 1, data_hash);
}

uint64_t plan_task_key(const plan_model *m, int year) {
    return rs_hash2(m->key, (uint64_t)(int64_t)year);
}

void plan_task_spec(const sweep_plan *p, const plan_model *m, uint64_t task_key,
                    rnn_spec *spec, rnn_train_opts *opts) {
    memset(spec, 0, sizeof *spec);
    spec->cell = m->cell;
    spec->n_layers = m->n_layers;
    memcpy(spec->hidden, m->hidden, sizeof spec->hidden);
    spec->n_in = p->n_in;
    spec->head = p->head;
    spec->n_out = p->n_out;
    spec->seq_len = m->lookback;
    spec->batch = m->batch;
    spec->dropout = m->dropout;
    spec->forget_bias_one = m->forget_bias_one;
    spec->seed = rs_hash2(task_key, 1);
    *opts = m->train;
    opts->seed = rs_hash2(task_key, 2);
}

double plan_task_cost(const plan_model *m, int64_t train_windows) {
    return m->flops_per_window * (double)(train_windows > 0 ? train_windows : 0) * m->train.epochs;
}

/* ---- expansion ---------------------------------------------------------- */

enum { MD_CELL, MD_HIDDEN, MD_LOOKBACK, MD_DROPOUT, MD_SEED, MD_FBIAS, MD_LR, MD_BATCH, MD_EPOCHS,
       MD_WD, MD_CLIP, MD_PATIENCE, MD_MINDELTA, MD_N };

static const cfg_dim *model_dim(const sweep_config *c, int d) {
    switch (d) {
    case MD_CELL: return &c->model.cell;
    case MD_LOOKBACK: return &c->model.lookback;
    case MD_DROPOUT: return &c->model.dropout;
    case MD_SEED: return &c->model.seed;
    case MD_FBIAS: return &c->model.forget_bias_one;
    case MD_LR: return &c->training.lr;
    case MD_BATCH: return &c->training.batch;
    case MD_EPOCHS: return &c->training.epochs;
    case MD_WD: return &c->training.weight_decay;
    case MD_CLIP: return &c->training.clip_norm;
    case MD_PATIENCE: return &c->training.patience;
    case MD_MINDELTA: return &c->training.min_delta;
    }
    return NULL;
}

static int cmp_key_index(const void *a, const void *b) {
    const plan_model *x = *(plan_model *const *)a, *y = *(plan_model *const *)b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->index > y->index) - (x->index < y->index);
}

static int build_models(const sweep_config *c, sweep_plan *p, rs_err *e) {
    int radix[MD_N];
    double total = 1;
    for (int d = 0; d < MD_N; d++) {
        radix[d] = d == MD_HIDDEN ? c->model.n_hidden : model_dim(c, d)->n;
        total *= radix[d];
    }
    if (total < 1) return rs_err_set(e, RS_EINPUT, "%s: [model]: empty grid", c->file);
    if (total > PLAN_MAX_MODELS)
        return rs_err_set(e, RS_EINPUT, "%s: [model] x [training]: %.0f model points, more than %d",
                          c->file, total, PLAN_MAX_MODELS);
    int n = (int)total;
    p->models = calloc((size_t)n, sizeof *p->models);
    if (!p->models) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int idx[MD_N] = {0};
    const rnn_train_opts def = rnn_train_defaults();
    for (int i = 0; i < n; i++) {
        plan_model *m = &p->models[i];
        const cfg_layers *L = &c->model.hidden[idx[MD_HIDDEN]];
        m->index = i;
        m->cell = (rnn_cell)(int)c->model.cell.v[idx[MD_CELL]];
        m->n_layers = L->n;
        memcpy(m->hidden, L->h, (size_t)L->n * sizeof(int));
        m->lookback = (int)model_dim(c, MD_LOOKBACK)->v[idx[MD_LOOKBACK]];
        m->dropout = model_dim(c, MD_DROPOUT)->v[idx[MD_DROPOUT]];
        m->seed = (uint64_t)model_dim(c, MD_SEED)->v[idx[MD_SEED]];
        m->forget_bias_one = (int)model_dim(c, MD_FBIAS)->v[idx[MD_FBIAS]];
        m->batch = (int)model_dim(c, MD_BATCH)->v[idx[MD_BATCH]];
        m->train = def;
        m->train.lr = model_dim(c, MD_LR)->v[idx[MD_LR]];
        m->train.epochs = (int)model_dim(c, MD_EPOCHS)->v[idx[MD_EPOCHS]];
        m->train.weight_decay = model_dim(c, MD_WD)->v[idx[MD_WD]];
        m->train.clip_norm = model_dim(c, MD_CLIP)->v[idx[MD_CLIP]];
        m->train.patience = (int)model_dim(c, MD_PATIENCE)->v[idx[MD_PATIENCE]];
        m->train.min_delta = model_dim(c, MD_MINDELTA)->v[idx[MD_MINDELTA]];
        if (m->cell != RNN_LSTM) m->forget_bias_one = 0;
        /* The engine drops out only between layers: one layer trains the
         * same whatever the dropout, so those points merge. */
        if (m->n_layers == 1) m->dropout = 0;
        m->key = model_key(m, p->data_hash);
        rnn_spec spec;
        rnn_train_opts o;
        rs_err ce;
        plan_task_spec(p, m, m->key, &spec, &o);
        if (rnn_spec_check(&spec, &ce) || rnn_train_opts_check(&o, &ce)) {
            char canon[PLAN_CANON_MAX];
            plan_model_canon(m, canon, sizeof canon);
            for (char *q = canon; *q; q++) if (*q == '\n') *q = ' ';
            return rs_err_set(e, RS_EINPUT, "%s: model point %d (%.200s): %s", c->file, i, canon, ce.msg);
        }
        m->flops_per_window = rnn_flops_per_seq(&spec, 1);
        m->arena_bytes = rnn_arena_bytes(&spec);
        for (int d = MD_N - 1; d >= 0; d--) {    /* the last dimension varies fastest */
            if (++idx[d] < radix[d]) break;
            idx[d] = 0;
        }
    }
    /* Merge points that are the same training (LSTM-only keys on GRU...):
     * keep the first, so indices stay in expansion order. */
    plan_model **by = malloc((size_t)n * sizeof *by);
    if (!by) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    for (int i = 0; i < n; i++) by[i] = &p->models[i];
    qsort(by, (size_t)n, sizeof *by, cmp_key_index);
    for (int i = 1; i < n; i++)
        if (by[i]->key == by[i - 1]->key) by[i]->index = -1;
    free(by);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (p->models[i].index >= 0) {
            p->models[k] = p->models[i];
            p->models[k].index = k;
            k++;
        }
    p->merged = n - k;
    p->n_models = k;
    return 0;
}

static int build_strategies(const sweep_config *c, sweep_plan *p, rs_err *e) {
    const int cls = p->head == RNN_HEAD_CLS;
    const cfg_dim *kd = &c->strategy.dim[CS_KIND];
    double total = 0;
    for (int ki = 0; ki < kd->n; ki++) {
        double t = 1;
        for (int s = 1; s < CS_N; s++)
            if (slot_used(s, (int)kd->v[ki], cls) && c->strategy.dim[s].n) t *= c->strategy.dim[s].n;
        total += t;
    }
    if (total < 1) return rs_err_set(e, RS_EINPUT, "%s: [strategy] kind: empty grid", c->file);
    if (total > PLAN_MAX_STRATEGIES)
        return rs_err_set(e, RS_EINPUT, "%s: [strategy]: %.0f strategy points, more than %d", c->file, total,
                          PLAN_MAX_STRATEGIES);
    p->strategies = calloc((size_t)total, sizeof *p->strategies);
    if (!p->strategies) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int n = 0;
    for (int ki = 0; ki < kd->n; ki++) {
        const int kind = (int)kd->v[ki];
        int idx[CS_N] = {0};
        for (;;) {
            plan_strategy *ps = &p->strategies[n];
            backtest_defaults(&ps->s, c->strategy.market);
            ps->s.kind = kind;
            ps->index = n;
            ps->bars_per_year_auto = 1;
            for (int s = 1; s < CS_N; s++) {
                const cfg_dim *d = &c->strategy.dim[s];
                if (!slot_used(s, kind, cls) || !d->n) continue;
                if (s == CS_BARS_PER_YEAR) {
                    if (d->v[idx[s]] == 0) continue;
                    ps->bars_per_year_auto = 0;
                }
                sset(&ps->s, s, d->v[idx[s]]);
            }
            rs_err be;
            if (backtest_check(&ps->s, &be)) {
                char canon[PLAN_CANON_MAX];
                plan_strategy_canon(p, ps, canon, sizeof canon);
                for (char *q = canon; *q; q++) if (*q == '\n') *q = ' ';
                return rs_err_set(e, RS_EINPUT, "%s: [strategy] point %d (%.200s): %s", c->file, n, canon, be.msg);
            }
            char canon[PLAN_CANON_MAX];
            size_t len = plan_strategy_canon(p, ps, canon, sizeof canon);
            ps->key = rs_hash_bytes(canon, len < sizeof canon ? len : sizeof canon - 1, 0x73747261ULL);
            n++;
            int s = CS_N - 1;
            for (; s >= 1; s--) {
                const cfg_dim *d = &c->strategy.dim[s];
                if (!slot_used(s, kind, cls) || d->n <= 1) continue;
                if (++idx[s] < d->n) break;
                idx[s] = 0;
            }
            if (s < 1) break;
        }
    }
    p->n_strategies = n;
    return 0;
}

int plan_build(const sweep_config *c, sweep_plan *p, rs_err *e) {
    memset(p, 0, sizeof *p);
    rs_err_clear(e);
    p->data_hash = c->data_hash ? c->data_hash : config_data_hash(c);
    p->n_in = c->features.n_feat;
    p->head = c->target.kind == TARGET_TREND3 ? RNN_HEAD_CLS : RNN_HEAD_REG;
    p->n_out = p->head == RNN_HEAD_CLS ? 3 : 1;
    int r = build_models(c, p, e);
    if (!r) r = build_strategies(c, p, e);
    if (r) plan_free(p);
    return r;
}

void plan_free(sweep_plan *p) {
    if (!p) return;
    free(p->models);
    free(p->strategies);
    memset(p, 0, sizeof *p);
}

void plan_set_bar_seconds(sweep_plan *p, double bar_seconds) {
    for (int i = 0; i < p->n_strategies; i++) {
        plan_strategy *s = &p->strategies[i];
        if (!s->bars_per_year_auto) continue;
        double b = backtest_bars_per_year(s->s.market, bar_seconds);
        if (b > 0) s->s.bars_per_year = b;
    }
}

/* ---- tasks -------------------------------------------------------------- */

static int cmp_task(const void *a, const void *b) {
    const plan_task *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;   /* longest first */
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    if (x->model != y->model) return x->model < y->model ? -1 : 1;
    return (x->fold > y->fold) - (x->fold < y->fold);
}

void plan_sort_tasks(plan_task *t, int n) {
    if (n > 1) qsort(t, (size_t)n, sizeof *t, cmp_task);
}

int plan_tasks(const sweep_plan *p, const int *years, const int64_t *train_windows, int n_folds,
               plan_task **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    if (n_folds < 0) return rs_err_set(e, RS_EINPUT, "plan: %d folds", n_folds);
    for (int f = 0; f < n_folds; f++)
        for (int g = 0; g < f; g++)
            if (years[f] == years[g]) return rs_err_set(e, RS_EINPUT, "plan: fold year %d appears twice", years[f]);
    size_t n = (size_t)p->n_models * (size_t)n_folds;
    if (n == 0) return 0;
    if (n > (size_t)INT32_MAX) return rs_err_set(e, RS_EINPUT, "plan: %zu tasks", n);
    plan_task *t = malloc(n * sizeof *t);
    if (!t) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    size_t k = 0;
    for (int m = 0; m < p->n_models; m++)
        for (int f = 0; f < n_folds; f++, k++) {
            t[k].model = m;
            t[k].fold = f;
            t[k].year = years[f];
            t[k].key = plan_task_key(&p->models[m], years[f]);
            t[k].cost = plan_task_cost(&p->models[m], train_windows ? train_windows[f] : 1);
        }
    plan_sort_tasks(t, (int)n);
    *out = t;
    *n_out = (int)n;
    return 0;
}

/* ---- describe ----------------------------------------------------------- */

static int cmp_dbl(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void human(double v, const char *unit, char *buf, size_t n) {
    static const char *pre[] = { "", "k", "M", "G", "T", "P", "E" };
    int i = 0;
    while (fabs(v) >= 1000 && i < 6) { v /= 1000; i++; }
    snprintf(buf, n, "%.3g %s%s", v, pre[i], unit);
}

void plan_describe(const sweep_plan *p, int64_t train_windows, FILE *f) {
    fprintf(f, "plan: %d model point%s x %d strategy point%s; data hash %016llx\n", p->n_models,
            p->n_models == 1 ? "" : "s", p->n_strategies, p->n_strategies == 1 ? "" : "s",
            (unsigned long long)p->data_hash);
    if (p->merged)
        fprintf(f, "  %d grid point%s merged: same training (forget_bias_one on non-LSTM cells, dropout on 1-layer models)\n",
                p->merged, p->merged == 1 ? "" : "s");
    fprintf(f, "  tasks = models x folds:");
    static const int F[] = { 1, 5, 10, 20 };
    for (int i = 0; i < 4; i++)
        fprintf(f, "%s %d fold%s -> %lld", i ? "," : "", F[i], F[i] == 1 ? "" : "s",
                (long long)p->n_models * F[i]);
    fprintf(f, " tasks; each task backtests all %d strategies\n", p->n_strategies);
    if (!p->n_models) return;
    double *c = malloc((size_t)p->n_models * sizeof *c);
    if (!c) return;
    double sum = 0;
    size_t mem = 0;
    for (int i = 0; i < p->n_models; i++) {
        c[i] = plan_task_cost(&p->models[i], train_windows);
        sum += c[i];
        if (p->models[i].arena_bytes > mem) mem = p->models[i].arena_bytes;
    }
    qsort(c, (size_t)p->n_models, sizeof *c, cmp_dbl);
    char lo[32], med[32], hi[32], tot[32], mb[32];
    human(c[0], "FLOP", lo, sizeof lo);
    human(c[p->n_models / 2], "FLOP", med, sizeof med);
    human(c[p->n_models - 1], "FLOP", hi, sizeof hi);
    human(sum, "FLOP", tot, sizeof tot);
    human((double)mem, "B", mb, sizeof mb);
    fprintf(f, "  cost per task at %lld training windows (x epochs, upper bound): min %s, median %s, "
            "max %s; per fold %s\n", (long long)train_windows, lo, med, hi, tot);
    fprintf(f, "  memory: largest model arena %s (n_in %d, %s head)\n", mb, p->n_in,
            p->head == RNN_HEAD_CLS ? "3-class" : "regression");
    free(c);
}
