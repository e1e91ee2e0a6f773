/*
 * plan.c — grid expansion, canonical texts and keys, task ordering
 * (see plan.h).
 *
 * Contents (sections in file order):
 *   canonical text         the text model and strategy keys hash
 *   labels                 model / strategy / correction labels
 *   keys and specs         task keys, the network and options of a task
 *   expansion              config grid -> model and strategy points
 *   tasks                  model points x folds, cost, longest first
 *   describe               the plan's summary for `check` and `plan`
 *   the sweep hash         plan_sweep_hash, the plan's identity
 */
#include "coordinator/plan.h"
#include "coordinator/halving.h"
#include "coordinator/results_layout.h"
#include "worker/task.h"

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
    char hid[RNN_MAX_LAYERS * 12];
    rnn_hidden_text(m->hidden, m->n_layers, hid, sizeof hid);
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
    /* added after keys were in use: hashed only when not neutral */
    if (m->stride != 1) cline(&b, "training.stride=%d", m->stride);
    if (m->max_windows != 0) cline(&b, "training.max_windows=%d", m->max_windows);
    return cjoin(&b, buf, n);
}

size_t plan_strategy_canon(const sweep_plan *p, const plan_strategy *ps, char *buf, size_t n) {
    canon_buf b;
    b.n = 0;
    const int cls = p->head == RNN_HEAD_CLS;
    cline(&b, "version=rnnsweep-strategy-1");
    cline(&b, "strategy.market=%s", rs_enum_name(BT_E_MARKET, ps->s.market));
    for (int f = 0; f < BT_F_N; f++) {
        if (!strategy_field_keyed(f, &ps->s, cls)) continue;
        char v[64];
        if (f == BT_F_BARS_PER_YEAR && ps->bars_per_year_auto) snprintf(v, sizeof v, "auto");
        else strategy_value_text(f, strategy_get(&ps->s, f), v, sizeof v);
        cline(&b, "strategy.%s=%s", bt_fields[f].key, v);
    }
    return cjoin(&b, buf, n);
}

/* ---- labels --------------------------------------------------------------
 * One label function per point kind, used by `show`, the HDF5 file and
 * every other place a point is named, so they can never disagree.  A label
 * shows only the fields that vary in this plan (plan_build computes the
 * masks once), so "lstm 64 T20" names a point among its siblings; every
 * field is also stored on its own in /plan/models and /plan/strategies. */

/* Append printf text to buf[n] at *k, keeping it NUL-terminated (truncates). */
__attribute__((format(printf, 4, 5)))
static void bput(char *buf, size_t n, size_t *k, const char *fmt, ...) {
    if (*k >= n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(buf + *k, n - *k, fmt, ap);
    va_end(ap);
    if (w > 0) *k += (size_t)w < n - *k ? (size_t)w : n - *k - 1;
}

char *plan_hidden_text(const plan_model *m, char *buf, size_t n) {
    return rnn_hidden_text(m->hidden, m->n_layers, buf, n);
}

/* Model label fields, in label order. */
enum { MF_CELL, MF_HIDDEN, MF_LOOKBACK, MF_DROPOUT, MF_SEED, MF_FBIAS, MF_LR, MF_BATCH, MF_EPOCHS,
       MF_WD, MF_CLIP, MF_PATIENCE, MF_MINDELTA, MF_STRIDE, MF_MAXWIN, MF_N };

static double model_field(const plan_model *m, int f) {
    switch (f) {
    case MF_CELL:     return m->cell;
    case MF_LOOKBACK: return m->lookback;
    case MF_DROPOUT:  return m->dropout;
    case MF_SEED:     return (double)m->seed;
    case MF_FBIAS:    return m->forget_bias_one;
    case MF_LR:       return m->train.lr;
    case MF_BATCH:    return m->batch;
    case MF_EPOCHS:   return m->train.epochs;
    case MF_WD:       return m->train.weight_decay;
    case MF_CLIP:     return m->train.clip_norm;
    case MF_PATIENCE: return m->train.patience;
    case MF_MINDELTA: return m->train.min_delta;
    case MF_STRIDE:   return m->stride;
    case MF_MAXWIN:   return m->max_windows;
    }
    return 0;
}

static int same_hidden(const plan_model *a, const plan_model *b) {
    return a->n_layers == b->n_layers && !memcmp(a->hidden, b->hidden, (size_t)a->n_layers * sizeof(int));
}

/* Bit f set when model field f differs between two points of the plan.
 * forget_bias_one only counts among LSTMs: the other cells ignore it. */
static unsigned model_varies(const sweep_plan *p) {
    unsigned mask = 0;
    const plan_model *m0 = p->n_models ? &p->models[0] : NULL, *lstm0 = NULL;
    for (int i = 0; i < p->n_models; i++) {
        const plan_model *m = &p->models[i];
        if (!same_hidden(m, m0)) mask |= 1u << MF_HIDDEN;
        for (int f = 0; f < MF_N; f++)
            if (f != MF_HIDDEN && f != MF_FBIAS && model_field(m, f) != model_field(m0, f)) mask |= 1u << f;
        if (m->cell == RNN_LSTM) {
            if (!lstm0) lstm0 = m;
            else if (m->forget_bias_one != lstm0->forget_bias_one) mask |= 1u << MF_FBIAS;
        }
    }
    return mask;
}

/* The label pieces of a model point, in label order: field, prefix, and
 * what the prefix means (plan_label_legend prints it).  The cell and the
 * hidden sizes print bare. */
static const struct { int f; const char *prefix, *doc; } MODEL_PIECES[] = {
    { MF_CELL, "", "cell" },                { MF_HIDDEN, "", "hidden sizes, bottom layer first" },
    { MF_LOOKBACK, "T", "lookback (bars)" }, { MF_DROPOUT, "do", "dropout" },
    { MF_SEED, "s", "seed" },               { MF_FBIAS, "fb", "LSTM forget-gate bias 1" },
    { MF_LR, "lr", "learning rate" },       { MF_BATCH, "b", "batch" },
    { MF_EPOCHS, "ep", "epochs" },          { MF_WD, "wd", "weight decay" },
    { MF_CLIP, "clip", "gradient clip norm" }, { MF_PATIENCE, "pat", "early-stopping patience" },
    { MF_MINDELTA, "md", "early-stopping min delta" }, { MF_STRIDE, "st", "training stride" },
    { MF_MAXWIN, "mw", "max training windows" },
};

void plan_model_label(const sweep_plan *p, int i, char *buf, size_t n) {
    plan_model_label_opt(p, i, 0, buf, n);
}

void plan_model_label_opt(const sweep_plan *p, int i, unsigned opt, char *buf, size_t n) {
    if (n == 0) return;
    buf[0] = 0;
    if (i < 0 || i >= p->n_models) { snprintf(buf, n, "?"); return; }
    const plan_model *m = &p->models[i];
    unsigned mask = p->model_varies;
    if (opt & PLAN_LABEL_NO_SEED) mask &= ~(1u << MF_SEED);
    if (!mask) { snprintf(buf, n, "%s", rnn_cell_name(m->cell)); return; }
    size_t k = 0;
    const char *sep = "";
    for (size_t j = 0; j < sizeof MODEL_PIECES / sizeof MODEL_PIECES[0]; j++) {
        const int f = MODEL_PIECES[j].f;
        if (!(mask & (1u << f)) || (f == MF_FBIAS && m->cell != RNN_LSTM)) continue;
        bput(buf, n, &k, "%s%s", sep, MODEL_PIECES[j].prefix);
        char hid[RNN_MAX_LAYERS * 12];
        switch (f) {
        case MF_CELL:     bput(buf, n, &k, "%s", rnn_cell_name(m->cell)); break;
        case MF_HIDDEN:   bput(buf, n, &k, "%s", plan_hidden_text(m, hid, sizeof hid)); break;
        case MF_SEED:     bput(buf, n, &k, "%llu", (unsigned long long)m->seed); break;
        case MF_DROPOUT: case MF_LR: case MF_WD: case MF_CLIP: case MF_MINDELTA:
                          bput(buf, n, &k, "%g", model_field(m, f)); break;
        default:          bput(buf, n, &k, "%d", (int)model_field(m, f)); break;
        }
        sep = " ";
    }
    if (!buf[0]) snprintf(buf, n, "%s", rnn_cell_name(m->cell));
}

#define SV_KIND_BIT (1ull << 63)        /* the kind varies                        */
_Static_assert(BT_F_N < 63, "strategy label mask bits");

/* Bit f set when strategy field f differs between two points that use it. */
static uint64_t strategy_varies(const sweep_plan *p) {
    const int cls = p->head == RNN_HEAD_CLS;
    uint64_t mask = 0;
    for (int f = 0; f < BT_F_N; f++) {
        if (f == BT_F_KIND) continue;
        const bt_strategy *first = NULL;
        for (int i = 0; i < p->n_strategies && !(mask & (1ull << f)); i++) {
            const bt_strategy *s = &p->strategies[i].s;
            if (!strategy_field_used(f, s, cls)) continue;
            if (!first) first = s;
            else if (strategy_get(s, f) != strategy_get(first, f)) mask |= 1ull << f;
        }
    }
    for (int i = 1; i < p->n_strategies; i++)
        if (p->strategies[i].s.kind != p->strategies[0].s.kind) mask |= SV_KIND_BIT;
    return mask;
}

/* A field's value as a label shows it: %g for reals, names for enums
 * ("percent" as "%", which reads "sp1%"). */
static void label_value(int f, double v, char *buf, size_t n) {
    const bt_field *d = &bt_fields[f];
    if (d->type == BT_T_ENUM) {
        const char *nm = rs_enum_name(d->names, (int)v);
        snprintf(buf, n, "%s", !strcmp(nm, "percent") ? "%" : nm);
    } else if (d->type == BT_T_REAL) {
        snprintf(buf, n, "%g", v);
    } else {
        snprintf(buf, n, "%d", (int)v);
    }
}

/* The fields after f whose label is "": they print inside f's piece. */
static int attached_end(int f) {
    int g = f + 1;
    while (g < BT_F_N && !bt_fields[g].label[0]) g++;
    return g;
}

char *plan_field_label(const bt_strategy *s, int f, char *buf, size_t n) {
    size_t k = 0;
    char v[64];
    if (n) buf[0] = 0;
    for (int a = f, end = attached_end(f); a < end; a++) {
        label_value(a, strategy_get(s, a), v, sizeof v);
        bput(buf, n, &k, "%s", v);
    }
    return buf;
}

void plan_strategy_label(const sweep_plan *p, int i, char *buf, size_t n) {
    if (n == 0) return;
    buf[0] = 0;
    if (i < 0 || i >= p->n_strategies) { snprintf(buf, n, "?"); return; }
    const bt_strategy *s = &p->strategies[i].s;
    const int cls = p->head == RNN_HEAD_CLS;
    const uint64_t mask = p->strategy_varies;
    size_t k = 0;
    const char *sep = "";
    if (mask & SV_KIND_BIT) { bput(buf, n, &k, "%s", rs_enum_name(BT_E_KIND, s->kind)); sep = " "; }
    for (int f = 0; f < BT_F_N; f++) {
        const bt_field *d = &bt_fields[f];
        if (f == BT_F_KIND || !d->label[0] || !strategy_field_used(f, s, cls)) continue;
        int show = 0;
        for (int a = f, end = attached_end(f); a < end; a++) show |= (int)((mask >> a) & 1);
        if (!show) continue;
        char v[96];
        bput(buf, n, &k, "%s%s%s", sep, d->label, plan_field_label(s, f, v, sizeof v));
        sep = " ";
    }
    if (!buf[0]) bput(buf, n, &k, "%s", rs_enum_name(BT_E_KIND, s->kind));
    /* a look-ahead point says so wherever it is named */
    if (mm_kind_lookahead(s->correction)) bput(buf, n, &k, " LOOK-AHEAD");
}

void plan_correction_label(const sweep_plan *p, int c, char *buf, size_t n) {
    if (n == 0) return;
    if (c < 0 || c >= p->n_corrections) { snprintf(buf, n, "?"); return; }
    const bt_strategy *s = &p->strategies[p->correction_first[c]].s;
    size_t k = 0;
    buf[0] = 0;
    bput(buf, n, &k, "%s", rs_enum_name(BT_E_CORRECTION, s->correction));
    /* the map's values when two points of one kind differ in them */
    int same_kind = 0;
    for (int d = 0; d < p->n_corrections; d++)
        same_kind += p->strategies[p->correction_first[d]].s.correction == s->correction;
    if (s->correction != MM_NONE && same_kind > 1)
        bput(buf, n, &k, " mm%d b%g s%g e%d", s->mm_size, s->mm_beta, s->mm_sigma0, s->mm_epochs);
    if (mm_kind_lookahead(s->correction)) bput(buf, n, &k, " LOOK-AHEAD");
}

/* What the label prefixes of this plan mean: only the pieces that vary. */
void plan_label_legend(const sweep_plan *p, unsigned opt, char *buf, size_t n) {
    if (n == 0) return;
    buf[0] = 0;
    size_t k = 0;
    const char *sep = "";
    unsigned mask = p->model_varies;
    if (opt & PLAN_LABEL_NO_SEED) mask &= ~(1u << MF_SEED);
    for (size_t j = 0; j < sizeof MODEL_PIECES / sizeof MODEL_PIECES[0]; j++)
        if (MODEL_PIECES[j].prefix[0] && (mask & (1u << MODEL_PIECES[j].f))) {
            bput(buf, n, &k, "%s%s = %s", sep, MODEL_PIECES[j].prefix, MODEL_PIECES[j].doc);
            sep = "; ";
        }
    for (int f = 0; f < BT_F_N; f++) {
        const bt_field *d = &bt_fields[f];
        if (f == BT_F_KIND || !d->label[0]) continue;
        int show = 0;
        for (int a = f, end = attached_end(f); a < end; a++) show |= (int)((p->strategy_varies >> a) & 1);
        if (!show) continue;
        bput(buf, n, &k, "%s%s = %s: %s", sep, d->label, d->key, d->doc);
        if (f == BT_F_SPACING) bput(buf, n, &k, " (%% = percent of the last close)");
        sep = "; ";
    }
}

/* ---- keys and specs ----------------------------------------------------- */

static uint64_t model_key(const plan_model *m, uint64_t data_hash) {
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(m, buf, sizeof buf);
    return rs_hash_bytes(buf, n < sizeof buf ? n : sizeof buf - 1, data_hash);
}

uint64_t plan_task_key(const plan_model *m, int fold_id) {
    return rs_hash2(m->key, (uint64_t)(int64_t)fold_id);
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

int64_t plan_train_windows(const plan_model *m, int64_t train_windows) {
    if (train_windows <= 0) return 0;
    int64_t w = (train_windows + m->stride - 1) / m->stride;     /* every stride-th, the last kept */
    if (m->max_windows > 0 && w > m->max_windows) w = m->max_windows;
    return w;
}

double plan_task_cost(const plan_model *m, int64_t train_windows) {
    return m->flops_per_window * (double)plan_train_windows(m, train_windows) * m->train.epochs;
}

void plan_task_flops(const sweep_plan *p, const plan_model *m, int64_t n_train, int64_t n_val, int64_t n_test,
                     double *train, double *fwd) {
    const int64_t val = n_val > 0 ? (n_val + m->stride - 1) / m->stride : 0;
    int map = 0;
    for (int c = 0; c < p->n_corrections; c++) map |= p->strategies[p->correction_first[c]].s.correction != MM_NONE;
    double w = (double)val * m->train.epochs + (double)(n_test > 0 ? n_test : 0);
    if (map) w += (double)plan_train_windows(m, n_train);
    *train = plan_task_cost(m, n_train);
    *fwd = m->flops_fwd_window * w;
}

double plan_task_cost_fold(const sweep_plan *p, const plan_model *m, int64_t n_train, int64_t n_val,
                           int64_t n_test) {
    double t, f;
    plan_task_flops(p, m, n_train, n_val, n_test, &t, &f);
    return t + f;
}

/* ---- expansion ---------------------------------------------------------- */

enum { MD_CELL, MD_HIDDEN, MD_LOOKBACK, MD_DROPOUT, MD_SEED, MD_FBIAS, MD_LR, MD_BATCH, MD_EPOCHS,
       MD_WD, MD_CLIP, MD_PATIENCE, MD_MINDELTA, MD_STRIDE, MD_MAXWIN, MD_N };

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
    case MD_STRIDE: return &c->training.stride;
    case MD_MAXWIN: return &c->training.max_windows;
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
        m->stride = (int)model_dim(c, MD_STRIDE)->v[idx[MD_STRIDE]];
        m->max_windows = (int)model_dim(c, MD_MAXWIN)->v[idx[MD_MAXWIN]];
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
        m->flops_fwd_window = rnn_flops_per_seq(&spec, 0);
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

/* [search] method = random: keep the model points of `samples`
 * configurations (plan.h, "Random search").  A configuration is a model
 * point with its seed left out, so the replicates of one stay together;
 * its priority is rs_hash2(search seed, the key of the point with seed 0),
 * and the configurations of the smallest priorities are kept, in expansion
 * order.  Returns 0 or RS_EINTERNAL. */
typedef struct { uint64_t prio, group; int order; } sample_row;

static int cmp_sample(const void *a, const void *b) {
    const sample_row *x = a, *y = b;
    if (x->prio != y->prio) return x->prio < y->prio ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

static int cmp_u64(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int sample_models(const sweep_config *c, sweep_plan *p, rs_err *e) {
    const int n = p->n_models;
    uint64_t *group = malloc((size_t)n * sizeof *group);
    sample_row *row = malloc((size_t)n * sizeof *row);
    uint64_t *kept = malloc((size_t)n * sizeof *kept);
    if (!group || !row || !kept) {
        free(group), free(row), free(kept);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < n; i++) {
        plan_model m = p->models[i];
        m.seed = 0;
        group[i] = kept[i] = model_key(&m, p->data_hash);
    }
    qsort(kept, (size_t)n, sizeof *kept, cmp_u64);   /* the distinct configurations */
    int ng = 0;
    for (int i = 0; i < n; i++)
        if (!ng || kept[i] != kept[ng - 1]) kept[ng++] = kept[i];
    for (int g = 0; g < ng; g++) row[g] = (sample_row){ rs_hash2((uint64_t)c->search.seed, kept[g]), kept[g], g };
    p->sampled_from = ng;
    const int keep = c->search.samples < ng ? c->search.samples : ng;
    qsort(row, (size_t)ng, sizeof *row, cmp_sample);
    for (int g = 0; g < keep; g++) kept[g] = row[g].group;
    qsort(kept, (size_t)keep, sizeof *kept, cmp_u64);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (bsearch(&group[i], kept, (size_t)keep, sizeof *kept, cmp_u64)) {
            p->models[k] = p->models[i];
            p->models[k].index = k;
            k++;
        }
    p->n_models = k;
    p->n_configs = keep;
    free(group), free(row), free(kept);
    return 0;
}

typedef struct { uint64_t key; int model; } group_row;

static int cmp_group_row(const void *a, const void *b) {
    const group_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->model > y->model) - (x->model < y->model);
}

int plan_replicate_groups(const sweep_plan *p, int *group_of) {
    const int n = p->n_models;
    group_row *r = malloc((size_t)(n ? n : 1) * sizeof *r);
    if (!r) return -1;
    for (int i = 0; i < n; i++) {
        plan_model m = p->models[i];
        m.seed = 0;
        r[i] = (group_row){ model_key(&m, p->data_hash), i };
        group_of[i] = -1;
    }
    qsort(r, (size_t)n, sizeof *r, cmp_group_row);
    /* each run of equal keys: the group of its first (lowest) model index */
    for (int i = 0, j; i < n; i = j) {
        for (j = i; j < n && r[j].key == r[i].key; j++) group_of[r[j].model] = r[i].model;
    }
    free(r);
    /* number the groups by first appearance */
    int ng = 0;
    for (int i = 0; i < n; i++) group_of[i] = group_of[i] == i ? ng++ : group_of[group_of[i]];
    return ng;
}

/* The values [strategy] field f takes: the config's grid dimension, or
 * (absent from the file) the one market default in *def. */
static const double *field_values(const sweep_config *c, int f, double *def, int *n) {
    const cfg_dim *d = &c->strategy.dim[f];
    if (d->n > 0) { *n = d->n; return d->v; }
    *def = bt_fields[f].def[c->strategy.market == BT_EQUITY ? BT_EQUITY : BT_FX];
    *n = 1;
    return def;
}

/* Fields whose value decides which other fields a point uses: the kind
 * (grid fields) and the correction (motor-map fields, min_prob).  They are
 * expanded as outer loops, the other fields as an odometer inside, so each
 * (kind, correction) multiplies only the fields it uses. */
static int is_outer(int f) { return f == BT_F_KIND || f == BT_F_CORRECTION; }

/* The points of one (kind, correction) combination: the product of the
 * used fields' grid sizes. */
static double combo_count(const sweep_config *c, const bt_strategy *probe, int cls) {
    double t = 1;
    for (int f = 0; f < BT_F_N; f++)
        if (!is_outer(f) && strategy_field_used(f, probe, cls) && c->strategy.dim[f].n) t *= c->strategy.dim[f].n;
    return t;
}

static int build_strategies(const sweep_config *c, sweep_plan *p, rs_err *e) {
    const int cls = p->head == RNN_HEAD_CLS;
    double kdef, cdef;
    int n_kind, n_corr;
    const double *kinds = field_values(c, BT_F_KIND, &kdef, &n_kind);
    const double *corrs = field_values(c, BT_F_CORRECTION, &cdef, &n_corr);
    if (!cls) { cdef = MM_NONE; corrs = &cdef; n_corr = 1; }     /* regression: no correction */
    double total = 0;
    for (int ki = 0; ki < n_kind; ki++)
        for (int ci = 0; ci < n_corr; ci++) {
            bt_strategy probe;
            strategy_defaults(&probe, c->strategy.market);
            probe.kind = (int)kinds[ki];
            probe.correction = (int)corrs[ci];
            total += combo_count(c, &probe, cls);
        }
    if (total < 1) return rs_err_set(e, RS_EINPUT, "%s: [strategy] kind: empty grid", c->file);
    if (total > PLAN_MAX_STRATEGIES)
        return rs_err_set(e, RS_EINPUT, "%s: [strategy]: %.0f strategy points, more than %d", c->file, total,
                          PLAN_MAX_STRATEGIES);
    p->strategies = calloc((size_t)total, sizeof *p->strategies);
    if (!p->strategies) return rs_err_set(e, RS_EINTERNAL, "out of memory");
    int n = 0;
    for (int ki = 0; ki < n_kind; ki++)
        for (int ci = 0; ci < n_corr; ci++) {
            int idx[BT_F_N] = {0};
            for (;;) {
                plan_strategy *ps = &p->strategies[n];
                strategy_defaults(&ps->s, c->strategy.market);
                ps->s.kind = (int)kinds[ki];
                ps->s.correction = (int)corrs[ci];
                ps->index = n;
                ps->bars_per_year_auto = 1;
                for (int f = 0; f < BT_F_N; f++) {
                    const cfg_dim *d = &c->strategy.dim[f];
                    if (is_outer(f) || !strategy_field_used(f, &ps->s, cls) || !d->n) continue;
                    if (f == BT_F_BARS_PER_YEAR) {
                        if (d->v[idx[f]] == 0) continue;      /* auto: plan_set_bar_seconds */
                        ps->bars_per_year_auto = 0;
                    }
                    strategy_set(&ps->s, f, d->v[idx[f]]);
                }
                /* mm_sigma0 = 0: half the lattice, resolved here so the key
                 * says what the map uses (0 and the explicit value agree) */
                if (ps->s.mm_sigma0 == 0) ps->s.mm_sigma0 = ps->s.mm_size / 2.0;
                rs_err be;
                char canon[PLAN_CANON_MAX];
                if (strategy_check(&ps->s, &be)) {
                    plan_strategy_canon(p, ps, canon, sizeof canon);
                    for (char *q = canon; *q; q++) if (*q == '\n') *q = ' ';
                    return rs_err_set(e, RS_EINPUT, "%s: [strategy] point %d (%.200s): %s", c->file, n, canon,
                                      be.msg);
                }
                size_t len = plan_strategy_canon(p, ps, canon, sizeof canon);
                ps->key = rs_hash_bytes(canon, len < sizeof canon ? len : sizeof canon - 1, 0x73747261ULL);
                n++;
                /* the next combination: the last field varies fastest */
                int f = BT_F_N - 1;
                for (; f >= 0; f--) {
                    const cfg_dim *d = &c->strategy.dim[f];
                    if (is_outer(f) || !strategy_field_used(f, &ps->s, cls) || d->n <= 1) continue;
                    if (++idx[f] < d->n) break;
                    idx[f] = 0;
                }
                if (f < 0) break;
            }
        }
    p->n_strategies = n;
    /* the correction points, as a task will find them */
    bt_strategy *tmp = malloc((size_t)n * sizeof *tmp);
    int *index = malloc((size_t)n * sizeof *index);
    p->correction_first = malloc((size_t)n * sizeof *p->correction_first);
    if (!tmp || !index || !p->correction_first) {
        free(tmp);
        free(index);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < n; i++) tmp[i] = p->strategies[i].s;
    p->n_corrections = strategy_corrections(tmp, n, index, p->correction_first);
    for (int i = 0; i < n; i++) p->strategies[i].correction = index[i];
    free(tmp);
    free(index);
    return 0;
}

int plan_build(const sweep_config *c, sweep_plan *p, rs_err *e) {
    memset(p, 0, sizeof *p);
    rs_err_clear(e);
    p->data_hash = c->data_hash ? c->data_hash : config_data_hash(c);
    p->series = -1;
    p->n_in = c->features.n_feat;
    p->head = c->target.kind == TARGET_TREND3 ? RNN_HEAD_CLS : RNN_HEAD_REG;
    p->n_out = p->head == RNN_HEAD_CLS ? 3 : 1;
    int r = halving_check(c, e);
    if (!r) r = build_models(c, p, e);
    if (!r && c->search.method == SEARCH_RANDOM) r = sample_models(c, p, e);
    if (!r) r = build_strategies(c, p, e);
    if (!r) {
        p->model_varies = model_varies(p);
        p->strategy_varies = strategy_varies(p);
    }
    if (r) plan_free(p);
    return r;
}

void plan_free(sweep_plan *p) {
    if (!p) return;
    free(p->models);
    free(p->strategies);
    free(p->correction_first);
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

int plan_tasks(const sweep_plan *p, const int *ids, const int64_t *train_windows, int n_folds,
               plan_task **out, int *n_out, rs_err *e) {
    *out = NULL;
    *n_out = 0;
    if (n_folds < 0) return rs_err_set(e, RS_EINPUT, "plan: %d folds", n_folds);
    for (int f = 0; f < n_folds; f++)
        for (int g = 0; g < f; g++)
            if (ids[f] == ids[g]) return rs_err_set(e, RS_EINPUT, "plan: fold %d appears twice", ids[f]);
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
            t[k].fold_id = ids[f];
            t[k].key = plan_task_key(&p->models[m], ids[f]);
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
    if (p->sampled_from)
        fprintf(f, "  random search: %d of the grid's %d configurations (seeds of one kept together)\n",
                p->n_configs, p->sampled_from);
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

/* ---- the sweep hash ---------------------------------------------------- */

uint64_t plan_sweep_hash(const sweep_plan *p) {
    static const char tag[] = "rnnsweep-sweep-1";
    uint64_t h = rs_hash_bytes(tag, sizeof tag - 1, p->data_hash);
    /* the counts separate the two lists: otherwise moving a key from the end
     * of one to the start of the other would keep the hash */
    h = rs_hash2(h, (uint64_t)p->n_models);
    for (int i = 0; i < p->n_models; i++) h = rs_hash2(h, p->models[i].key);
    h = rs_hash2(h, (uint64_t)p->n_strategies);
    for (int i = 0; i < p->n_strategies; i++) h = rs_hash2(h, p->strategies[i].key);
    return h;
}

/* ---- storage ------------------------------------------------------------------------------ */

/* The file's compound rows are counted at their in-memory sizes
 * (results_layout.h), an upper bound of the file types (HDF5 packs
 * compounds without padding). */
void plan_task_storage(const sweep_plan *p, const plan_model *m, int series, int n_test, int n_pts, int64_t n_train,
                       size_t weight_bytes, plan_storage *out) {
    const int cls = p->head == RNN_HEAD_CLS;
    task_head h;
    memset(&h, 0, sizeof h);
    h.n_strat = p->n_strategies;
    h.n_test = n_test;
    h.n_out = p->n_out;
    h.n_corr = cls && n_test ? p->n_corrections : 0;
    h.n_curve = m->train.epochs;
    h.n_trcls = cls && n_test ? (int32_t)plan_train_windows(m, n_train) : 0;
    h.n_weights = (int64_t)weight_bytes;
    h.series = n_test ? series : TASK_SERIES_BAR;
    h.n_pts = n_test ? n_pts : 0;
    out->record = task_packed_size_of(&h);
    out->journal = 24 + ((out->record + 7) & ~(size_t)7);
    task_head h1 = h;
    h1.n_strat++;
    h1.n_corr = h.n_corr;   /* an added point of a known correction */
    out->per_strat = task_packed_size_of(&h1) - out->record;
    const size_t S = (size_t)p->n_strategies, np = (size_t)h.n_pts, nt = (size_t)n_test;
    const size_t day = series == TASK_SERIES_DAY ? np * (4 + 4 * S) : 0;
    out->file = S * sizeof(task_row) + sizeof(tasks_rec) + sizeof(points_rec) + 4 * sizeof(index_rec) +
                nt * (8 + 8 + 8 * (size_t)p->n_out + (size_t)(cls ? p->n_corrections : 0)) + np * (4 * S + 4) + day +
                (size_t)h.n_curve * 16 + 2 * (size_t)h.n_trcls + weight_bytes;
}
