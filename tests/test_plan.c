/* test_plan.c — grid expansion, canonical texts, keys, reuse, task order. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/plan.h"
#include "worker/task.h"

#include <stdlib.h>

#include <string.h>

static char g_dir[256];

#define DATA "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n" \
             "[features]\nSPX = close, logret, rsi:14\n[target]\nkind = return\nhorizon = 1\n"

static const char *BASE =
    DATA
    "[model]\ncell = lstm, gru\nlookback = 10:30:10\nhidden = 16, 32x16\nseed = 1, 2\n"
    "[training]\nlr = 0.001, 0.01\nepochs = 5\n"
    "[strategy]\nmarket = equity\nkind = signal, grid\nthreshold = 0, 0.001\nspacing = 1, 2, 3\nmax_levels = 3, 5\n";



static int has_model_key(const sweep_plan *p, uint64_t k) {
    for (int i = 0; i < p->n_models; i++)
        if (p->models[i].key == k) return 1;
    return 0;
}

static void test_counts(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(BASE, &c, &p)) return;
    CU_ASSERT_EQUAL(p.n_models, 2 * 3 * 2 * 2 * 2);                 /* cell lookback hidden seed lr */
    CU_ASSERT_EQUAL(p.n_strategies, 2 + 2 * 3 * 2);                 /* signal: threshold; grid: x spacing x levels */
    CU_ASSERT_EQUAL(p.merged, 0);
    CU_ASSERT_EQUAL(p.n_in, 3);
    CU_ASSERT_EQUAL(p.head, RNN_HEAD_REG);
    /* the last dimension varies fastest: models 0 and 1 differ in lr only */
    CU_ASSERT_EQUAL(p.models[0].train.lr, 0.001);
    CU_ASSERT_EQUAL(p.models[1].train.lr, 0.01);
    CU_ASSERT_EQUAL(p.models[0].cell, RNN_LSTM);
    CU_ASSERT_EQUAL(p.models[p.n_models - 1].cell, RNN_GRU);
    CU_ASSERT_EQUAL(p.models[p.n_models - 1].n_layers, 2);
    CU_ASSERT(p.models[0].flops_per_window > 0);
    CU_ASSERT(p.models[0].arena_bytes > 0);
    /* strategy points resolve market defaults and pass backtest_check */
    int grid = 0;
    for (int i = 0; i < p.n_strategies; i++) {
        const bt_strategy *s = &p.strategies[i].s;
        CU_ASSERT_EQUAL(s->market, BT_EQUITY);
        CU_ASSERT_EQUAL(s->leverage, 1.0);
        CU_ASSERT_EQUAL(strategy_check(s, NULL), 0);
        grid += s->kind == BT_GRID;
    }
    CU_ASSERT_EQUAL(grid, 12);
    cu_plan_free(&c, &p);

    /* trend3: min_prob is the classifier's dimension, threshold is not used */
    if (cu_plan_build("[data]\ninstruments = A\nA.path = x\n[target]\nkind = trend3\n"
              "[strategy]\nkind = signal, grid\nmin_prob = 0.4, 0.5\nspacing = 10:40:10\n", &c, &p)) return;
    CU_ASSERT_EQUAL(p.head, RNN_HEAD_CLS);
    CU_ASSERT_EQUAL(p.n_out, 3);
    CU_ASSERT_EQUAL(p.n_strategies, 2 + 2 * 4);
    cu_plan_free(&c, &p);
}

static void test_keys_unique_and_stable(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(BASE, &c, &p)) return;
    for (int i = 0; i < p.n_models; i++)
        for (int j = 0; j < i; j++) CU_ASSERT_NOT_EQUAL(p.models[i].key, p.models[j].key);
    for (int i = 0; i < p.n_strategies; i++)
        for (int j = 0; j < i; j++) CU_ASSERT_NOT_EQUAL(p.strategies[i].key, p.strategies[j].key);
    /* task keys over folds */
    int years[3] = { 2017, 2018, 2019 };
    plan_task *t;
    int nt;
    CU_ASSERT_EQUAL_FATAL(plan_tasks(&p, years, NULL, 3, &t, &nt, NULL), 0);
    CU_ASSERT_EQUAL(nt, p.n_models * 3);
    for (int i = 0; i < nt; i++)
        for (int j = 0; j < i; j++) CU_ASSERT_NOT_EQUAL(t[i].key, t[j].key);
    free(t);
    /* same config, loaded again: same keys, in the same order */
    if (cu_plan_build(BASE, &c2, &p2)) { cu_plan_free(&c, &p); return; }
    CU_ASSERT_EQUAL(p2.data_hash, p.data_hash);
    CU_ASSERT_EQUAL_FATAL(p2.n_models, p.n_models);
    for (int i = 0; i < p.n_models; i++) CU_ASSERT_EQUAL(p2.models[i].key, p.models[i].key);
    for (int i = 0; i < p.n_strategies; i++) CU_ASSERT_EQUAL(p2.strategies[i].key, p.strategies[i].key);
    cu_plan_free(&c2, &p2);
    cu_plan_free(&c, &p);
}

static void test_reformatted_same_keys(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(BASE, &c, &p)) return;
    /* sections and keys reordered, ranges written as lists and vice versa,
     * numbers reformatted, case and comments changed, defaults spelled out */
    const char *other =
        "# the same sweep, written differently\n"
        "[STRATEGY]\nmax_levels=3,5\nspacing = 1:3:1 ; percent\nthreshold = 0.0, 1e-3\nkind = Signal, GRID\n"
        "market = EQUITY\nleverage = 1\n"
        "[training]\nEpochs = 5\nlr = 1e-3, 1.0e-2\nbatch = 32\nclip_norm = 1.0\n"
        "[model]\nseed = 1:2\nhidden = 16, 32X16\nlookback = 10, 20, 30\ncell = LSTM, GRU\ndropout = 0\n"
        "[target]\nhorizon = 1\nkind = return\n"
        "[features]\nspx = close,logret,rsi\n"
        "[data]\nSPX.path = data/none.csv\ninstruments = SPX\n"
        "[run]\nname = renamed\nthreads = 2\n";
    if (cu_plan_build(other, &c2, &p2)) { cu_plan_free(&c, &p); return; }
    CU_ASSERT_EQUAL(p2.data_hash, p.data_hash);
    CU_ASSERT_EQUAL(p2.n_models, p.n_models);
    CU_ASSERT_EQUAL(p2.n_strategies, p.n_strategies);
    for (int i = 0; i < p.n_models; i++) CU_ASSERT(has_model_key(&p2, p.models[i].key));
    for (int i = 0; i < p.n_strategies; i++) {
        int found = 0;
        for (int j = 0; j < p2.n_strategies; j++) found |= p2.strategies[j].key == p.strategies[i].key;
        CU_ASSERT(found);
    }
    cu_plan_free(&c2, &p2);
    cu_plan_free(&c, &p);
}

static char *replace(const char *text, const char *from, const char *to) {
    static char out[4096];
    char in[4096];                      /* text may be the previous result */
    snprintf(in, sizeof in, "%s", text);
    const char *at = strstr(in, from);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    snprintf(out, sizeof out, "%.*s%s%s", (int)(at - in), in, to, at + strlen(from));
    return out;
}

static void test_trading_change_keeps_model_keys(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(BASE, &c, &p)) return;
    const char *edits[][2] = {
        { "threshold = 0, 0.001", "threshold = 0.002, 0.003, 0.004" },
        { "kind = signal, grid", "kind = grid\nspread = 5\ncommission = 0\nbar_path = with" },
        { "market = equity", "market = equity\nlong_only = 1, 0\nbalance = 100000" },
        { "[strategy]", "[run]\nname = x\noutput = /tmp/elsewhere.h5\n[strategy]" },
    };
    for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
        if (cu_plan_build(replace(BASE, edits[k][0], edits[k][1]), &c2, &p2)) continue;
        CU_ASSERT_EQUAL(p2.data_hash, p.data_hash);
        CU_ASSERT_EQUAL_FATAL(p2.n_models, p.n_models);
        for (int i = 0; i < p.n_models; i++) CU_ASSERT_EQUAL(p2.models[i].key, p.models[i].key);
        cu_plan_free(&c2, &p2);
    }
    cu_plan_free(&c, &p);
}

static void test_data_change_changes_data_hash(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(BASE, &c, &p)) return;
    const char *edits[][2] = {
        { "SPX.path = data/none.csv", "SPX.path = data/other.csv" },
        { "SPX.path = data/none.csv", "SPX.path = data/none.csv\nSPX.price_div = 100" },
        { "SPX = close, logret, rsi:14", "SPX = close, logret, rsi:10" },
        { "SPX = close, logret, rsi:14", "SPX = close, rsi:14, logret" },     /* column order */
        { "SPX = close, logret, rsi:14", "SPX = close, logret, rsi:14\nscaler = minmax" },
        { "horizon = 1", "horizon = 2" },
        { "kind = return", "kind = price" },
        { "[model]", "[walkforward]\nrolling_years = 5\n[model]" },
        { "[model]", "[walkforward]\nval_frac = 0.1\n[model]" },
        { "[model]", "[data]\nresample = 1d\n[model]" },
    };
    for (size_t k = 0; k < sizeof edits / sizeof edits[0]; k++) {
        const char *text = replace(BASE, edits[k][0], edits[k][1]);
        /* "[data]" twice would be a duplicate section: iniparser merges it, fine */
        if (cu_plan_build(text, &c2, &p2)) continue;
        if (p2.data_hash == p.data_hash) fprintf(stderr, "\n  edit %zu kept the data hash\n", k);
        CU_ASSERT_NOT_EQUAL(p2.data_hash, p.data_hash);
        for (int i = 0; i < p2.n_models; i++) CU_ASSERT(!has_model_key(&p, p2.models[i].key));
        rs_err e;
        CU_ASSERT_EQUAL(config_check_compatible(&c, &c2, &e), RS_EINPUT);
        cu_plan_free(&c2, &p2);
    }
    /* choosing other test years is not a data change: task keys carry the year */
    if (!cu_plan_build(replace(BASE, "[model]", "[walkforward]\nfirst_year = 2010\nlast_year = 2012\n[model]"), &c2, &p2)) {
        CU_ASSERT_EQUAL(p2.data_hash, p.data_hash);
        rs_err e;
        CU_ASSERT_EQUAL(config_check_compatible(&c, &c2, &e), 0);
        cu_plan_free(&c2, &p2);
    }
    /* a trend3 threshold is irrelevant to a return target */
    if (!cu_plan_build(replace(BASE, "horizon = 1", "horizon = 1\ntrend3_fit = fixed\ntrend3_theta = 0.01"), &c2, &p2)) {
        CU_ASSERT_EQUAL(p2.data_hash, p.data_hash);
        cu_plan_free(&c2, &p2);
    }
    cu_plan_free(&c, &p);
}

static void test_extend_grid_keeps_keys(void) {
    sweep_config c, c2;
    sweep_plan p, p2;
    if (cu_plan_build(BASE, &c, &p)) return;
    const char *text = replace(BASE, "lookback = 10:30:10\nhidden = 16, 32x16",
                               "lookback = 10:50:10\nhidden = 16, 32x16, 64x32x16");
    text = replace(text, "lr = 0.001, 0.01", "lr = 0.0001, 0.001, 0.01\nweight_decay = 0, 0.01");
    if (cu_plan_build(text, &c2, &p2)) { cu_plan_free(&c, &p); return; }
    CU_ASSERT_EQUAL(p2.n_models, 2 * 5 * 3 * 2 * 3 * 2);
    for (int i = 0; i < p.n_models; i++) CU_ASSERT(has_model_key(&p2, p.models[i].key));
    /* task keys too */
    for (int i = 0; i < p.n_models; i++) {
        uint64_t k = plan_task_key(&p.models[i], 2018);
        int found = 0;
        for (int j = 0; j < p2.n_models; j++) found |= plan_task_key(&p2.models[j], 2018) == k;
        CU_ASSERT(found);
    }
    cu_plan_free(&c2, &p2);
    cu_plan_free(&c, &p);
}

static void test_canonical_text(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(DATA "[model]\ncell = lstm\nhidden = 64x32\nlookback = 40\nforget_bias_one = 1\n"
              "[training]\nlr = 1e-3\nbatch = 64\n", &c, &p)) return;
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(&p.models[0], buf, sizeof buf);
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT_STRING_EQUAL(buf,
        "model.cell=lstm\nmodel.dropout=0\nmodel.forget_bias_one=1\nmodel.hidden=64x32\nmodel.lookback=40\n"
        "model.seed=1\ntraining.batch=64\ntraining.beta1=0.90000000000000002\ntraining.beta2=0.999\n"
        "training.clip_norm=1\ntraining.epochs=20\ntraining.eps=1e-08\ntraining.explode=1000\n"
        "training.lr=0.001\ntraining.min_delta=0\ntraining.patience=5\ntraining.shuffle=1\n"
        "training.weight_decay=0\nversion=rnnsweep-model-1\n");
    CU_ASSERT_EQUAL(p.models[0].key, rs_hash_bytes(buf, n, p.data_hash));
    CU_ASSERT_EQUAL(plan_task_key(&p.models[0], 2019), rs_hash2(p.models[0].key, 2019));
    /* truncation is snprintf-like */
    char small[16];
    CU_ASSERT_EQUAL(plan_model_canon(&p.models[0], small, sizeof small), n);
    CU_ASSERT_EQUAL(strlen(small), 15);
    n = plan_strategy_canon(&p, &p.strategies[0], buf, sizeof buf);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "strategy.kind=signal\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "strategy.bars_per_year=auto\n"));
    CU_ASSERT_PTR_NULL(strstr(buf, "strategy.spacing="));           /* grid-only: not a signal key */
    CU_ASSERT_PTR_NULL(strstr(buf, "strategy.min_prob="));          /* classifier-only */
    cu_plan_free(&c, &p);
}

static void test_merge_equal_points(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(DATA "[model]\ncell = lstm, gru\nforget_bias_one = 0, 1\n", &c, &p)) return;
    CU_ASSERT_EQUAL(p.n_models, 3);          /* gru x {0,1} is one training */
    CU_ASSERT_EQUAL(p.merged, 1);
    for (int i = 0; i < p.n_models; i++) CU_ASSERT_EQUAL(p.models[i].index, i);
    cu_plan_free(&c, &p);
    /* Dropout acts only between layers: on one layer it changes nothing, so
     * {1 layer} x {0, 0.2} is one training and {2 layers} x {0, 0.2} two. */
    if (cu_plan_build(DATA "[model]\ncell = gru\nhidden = 16, 16x8\ndropout = 0, 0.2\n", &c, &p)) return;
    CU_ASSERT_EQUAL(p.n_models, 3);
    CU_ASSERT_EQUAL(p.merged, 1);
    cu_plan_free(&c, &p);
}

static void test_task_order_and_spec(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(BASE, &c, &p)) return;
    int years[4] = { 2016, 2017, 2018, 2019 };
    int64_t win[4] = { 4000, 4250, 4500, 4750 };
    plan_task *t;
    int nt;
    CU_ASSERT_EQUAL_FATAL(plan_tasks(&p, years, win, 4, &t, &nt, NULL), 0);
    CU_ASSERT_EQUAL_FATAL(nt, p.n_models * 4);
    for (int i = 1; i < nt; i++) {
        CU_ASSERT(t[i - 1].cost >= t[i].cost);
        if (t[i - 1].cost == t[i].cost) CU_ASSERT(t[i - 1].key < t[i].key);
    }
    CU_ASSERT_EQUAL(t[0].fold_id, 2019);                       /* most windows */
    CU_ASSERT_EQUAL(t[0].cost, plan_task_cost(&p.models[t[0].model], 4750));
    for (int i = 0; i < nt; i++) CU_ASSERT_EQUAL(t[i].key, plan_task_key(&p.models[t[i].model], t[i].fold_id));
    /* sorting is deterministic whatever the input order */
    plan_task *u = malloc((size_t)nt * sizeof *u);
    for (int i = 0; i < nt; i++) u[i] = t[(i * 7 + 3) % nt];   /* 7 is coprime with 96 */
    plan_sort_tasks(u, nt);
    CU_ASSERT_EQUAL(memcmp(u, t, (size_t)nt * sizeof *u), 0);
    free(u);
    /* the task's streams derive from its key */
    rnn_spec s1, s2;
    rnn_train_opts o1, o2;
    plan_task_spec(&p, &p.models[t[0].model], t[0].key, &s1, &o1);
    plan_task_spec(&p, &p.models[t[1].model], t[1].key, &s2, &o2);
    CU_ASSERT_EQUAL(rnn_spec_check(&s1, NULL), 0);
    CU_ASSERT_EQUAL(s1.seed, rs_hash2(t[0].key, 1));
    CU_ASSERT_EQUAL(o1.seed, rs_hash2(t[0].key, 2));
    CU_ASSERT_NOT_EQUAL(s1.seed, s2.seed);
    CU_ASSERT_EQUAL(s1.n_in, 3);
    CU_ASSERT_EQUAL(s1.seq_len, p.models[t[0].model].lookback);
    free(t);
    /* duplicate years are refused */
    int dup[2] = { 2018, 2018 };
    rs_err e;
    CU_ASSERT_EQUAL(plan_tasks(&p, dup, NULL, 2, &t, &nt, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(t);
    cu_plan_free(&c, &p);
}

static void test_describe_and_bars(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(BASE, &c, &p)) return;
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    plan_describe(&p, 4000, f);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "plan: 48 model points x 14 strategy points"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "5 folds -> 240"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "FLOP"));
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "memory: largest model arena"));
    free(buf);
    plan_set_bar_seconds(&p, 3600);
    CU_ASSERT_EQUAL(p.strategies[0].s.bars_per_year, backtest_bars_per_year(BT_EQUITY, 3600));
    cu_plan_free(&c, &p);
}

static void test_plan_errors(void) {
    sweep_config c;
    sweep_plan p;
    rs_err e;
    char path[300];
    snprintf(path, sizeof path, "%s/big.ini", g_dir);
    FILE *f = fopen(path, "w");
    fputs("[data]\ninstruments = A\nA.path = x\n[model]\nlookback = 1:10000\nhidden = 1:200\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &e), 0);
    CU_ASSERT_EQUAL(plan_build(&c, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "2000000 model points, more than 1000000"));
    CU_ASSERT_PTR_NULL(p.models);
    config_free(&c);
    /* a cross-field strategy error surfaces from backtest_check */
    f = fopen(path, "w");
    fputs("[data]\ninstruments = A\nA.path = x\n[strategy]\nmargin_call = 10\nstop_out = 50\n", f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(config_load(path, &c, &e), 0);
    CU_ASSERT_EQUAL(plan_build(&c, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "[strategy] point 0"));
    config_free(&c);
}


/* ---- golden keys --------------------------------------------------------
 * Task keys are what --resume matches finished work by: a change to the
 * canonical texts (an enum reordered, a field renamed, a default moved)
 * silently re-keys every sweep and reruns it.  These values were computed
 * by the code as it stood when they were pinned; a test failure here means
 * a key changed, which must be a deliberate, documented decision. */

/* Every [strategy] field with a non-default value, on both targets' keys. */
static const char *GOLDEN_ALL =
    "[data]\ninstruments = EURUSD\nEURUSD.path = x.csv\n"
    "[features]\nall = close, logret\n[target]\nkind = trend3\nhorizon = 5\n"
    "[model]\ncell = gru\nlookback = 30\nhidden = 32x16\n"
    "[strategy]\nmarket = fx\nkind = signal, grid\nlong_only = 1\nmin_prob = 0.45\n"
    "spacing = 1.5\nspacing_unit = atr\natr_period = 10\nmax_levels = 7\ntp = 2\nbasket_tp = 50\n"
    "close_on_flip = 1\nadapt_factor = 1.5\nadapt_max = 4\nbar_path = against\nspread = 3\n"
    "slippage = 0.5\ncost_unit = bp\ncommission = 2\ncommission_unit = bp\nleverage = 50\n"
    "lot = 10000\npip = 0.01\nbalance = 10000\nmargin_call = 120\nstop_out = 30\n"
    "size_unit = equity\nsize = 0.5\nbars_per_year = 1000\n";

static void golden_check(const char *what, const uint64_t *want, const uint64_t *got, int n) {
    for (int i = 0; i < n; i++)
        if (want[i] != got[i]) {
            printf("\n  golden %s[%d]: want 0x%016llxULL, got 0x%016llxULL", what, i,
                   (unsigned long long)want[i], (unsigned long long)got[i]);
            CU_FAIL("a pinned key changed");
        }
}

/* The model key of m's configuration: the point with its seed left out. */
static uint64_t config_key(const sweep_plan *p, const plan_model *m) {
    plan_model z = *m;
    z.seed = 0;
    char buf[PLAN_CANON_MAX];
    size_t n = plan_model_canon(&z, buf, sizeof buf);
    return rs_hash_bytes(buf, n, p->data_hash);
}

static int cmp_u64(const void *a, const void *b) {
    const uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static void test_random_search(void) {
    char text[2048];
    sweep_config c, cg;
    sweep_plan p, g;
    if (cu_plan_build(BASE, &cg, &g)) return;   /* the full grid: 24 configurations x 2 seeds */
    CU_ASSERT_EQUAL(g.sampled_from, 0);
    snprintf(text, sizeof text, "%s[search]\nmethod = random\nsamples = 5\nseed = 7\n", BASE);
    if (cu_plan_build(text, &c, &p)) { cu_plan_free(&cg, &g); return; }
    CU_ASSERT_EQUAL(p.sampled_from, 24);
    CU_ASSERT_EQUAL(p.n_configs, 5);
    CU_ASSERT_EQUAL(p.n_models, 10);                  /* both seeds of each */
    CU_ASSERT_EQUAL(p.n_strategies, g.n_strategies);

    /* by hand: the 5 configurations of smallest rs_hash2(7, key), in grid order */
    uint64_t prio[24], key[24];
    int ng = 0;
    for (int i = 0; i < g.n_models; i++) {
        const uint64_t k = config_key(&g, &g.models[i]);
        int seen = 0;
        for (int j = 0; j < ng; j++) seen |= key[j] == k;
        if (!seen && ng < 24) key[ng] = k, prio[ng++] = rs_hash2(7, k);
    }
    CU_ASSERT_EQUAL_FATAL(ng, 24);
    uint64_t sorted[24];
    memcpy(sorted, prio, sizeof prio);
    qsort(sorted, 24, sizeof *sorted, cmp_u64);
    int j = 0;
    for (int i = 0; i < g.n_models; i++) {
        const uint64_t k = config_key(&g, &g.models[i]);
        int want = 0;
        for (int q = 0; q < 24; q++) want |= key[q] == k && prio[q] <= sorted[4];
        if (!want) continue;
        CU_ASSERT_FATAL(j < p.n_models);
        CU_ASSERT_EQUAL(p.models[j].key, g.models[i].key);   /* the grid's keys, in its order */
        CU_ASSERT_EQUAL(p.models[j].index, j);
        j++;
    }
    CU_ASSERT_EQUAL(j, p.n_models);

    /* seeded and nested: the same draw again; more samples keep these */
    sweep_config c2;
    sweep_plan p2;
    snprintf(text, sizeof text, "%s[search]\nmethod = random\nsamples = 9\nseed = 7\n", BASE);
    if (!cu_plan_build(text, &c2, &p2)) {
        CU_ASSERT_EQUAL(p2.n_models, 18);
        for (int i = 0; i < p.n_models; i++) CU_ASSERT(has_model_key(&p2, p.models[i].key));
        cu_plan_free(&c2, &p2);
    }
    snprintf(text, sizeof text, "%s[search]\nmethod = random\nsamples = 5\nseed = 8\n", BASE);
    if (!cu_plan_build(text, &c2, &p2)) {
        int same = 0;
        for (int i = 0; i < p.n_models; i++) same += has_model_key(&p2, p.models[i].key);
        CU_ASSERT(same < p.n_models);                 /* another seed, another sample */
        cu_plan_free(&c2, &p2);
    }
    /* the INI order of keys and the grid's order do not matter */
    snprintf(text, sizeof text, DATA "[search]\nseed = 7\nsamples = 5\nmethod = random\n"
             "[model]\nseed = 2, 1\nhidden = 32x16, 16\nlookback = 30, 20, 10\ncell = gru, lstm\n"
             "[training]\nepochs = 5\nlr = 0.01, 0.001\n"
             "[strategy]\nmarket = equity\nkind = signal, grid\nthreshold = 0, 0.001\nspacing = 1, 2, 3\n"
             "max_levels = 3, 5\n");
    if (!cu_plan_build(text, &c2, &p2)) {
        CU_ASSERT_EQUAL(p2.n_models, p.n_models);
        for (int i = 0; i < p.n_models; i++) CU_ASSERT(has_model_key(&p2, p.models[i].key));
        cu_plan_free(&c2, &p2);
    }
    /* samples at or above the grid: the whole grid */
    snprintf(text, sizeof text, "%s[search]\nmethod = random\nsamples = 1000\n", BASE);
    if (!cu_plan_build(text, &c2, &p2)) {
        CU_ASSERT_EQUAL(p2.n_models, g.n_models);
        CU_ASSERT_EQUAL(p2.n_configs, 24);
        CU_ASSERT_EQUAL(plan_sweep_hash(&p2), plan_sweep_hash(&g));
        cu_plan_free(&c2, &p2);
    }
    cu_plan_free(&c, &p);
    cu_plan_free(&cg, &g);
}

static void test_golden_keys(void) {
    static const uint64_t QUICK_DATA[1] = {
        0xff8a7967d04f4579ULL };
    static const uint64_t QUICK_MODEL[8] = {
        0x76e41482e94d48cdULL, 0xc6b8b6b30bf5ba93ULL, 0xe37d0bde3deeae22ULL,
        0xed017056cd6c747bULL, 0x63f3b31043641517ULL, 0x405ec818968cf556ULL,
        0xa334a1ec02c91bd5ULL, 0x43992ef1222ff4e7ULL };
    static const uint64_t QUICK_STRAT[9] = {
        0x50c49310c07e5476ULL, 0xf23d903fcb0f8f67ULL, 0x76cecf27e40b5526ULL,
        0x61a9075dc13eab18ULL, 0xedb0c8ca38805549ULL, 0x432fb11fd13e5004ULL,
        0xb7d14b159b1699d1ULL, 0x52ea482f30a447a3ULL, 0x1f626fe90713ec57ULL };
    static const uint64_t QUICK_TASK[4] = {
        0x702d6db3cb7f714aULL, 0xad4827d9792c996eULL, 0x840f7571229e149bULL,
        0x0515adc3adc70d64ULL };         /* model 0, years 2016..2019 */
    static const uint64_t ALL_STRAT[2] = {
        0xf737424d0270e093ULL, 0xbbcdef2a3183aacaULL };
    sweep_config c;
    sweep_plan p;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(config_load("configs/quick.ini", &c, &e), 0);
    CU_ASSERT_EQUAL_FATAL(plan_build(&c, &p, &e), 0);
    CU_ASSERT_EQUAL_FATAL(p.n_models, 8);
    CU_ASSERT_EQUAL_FATAL(p.n_strategies, 9);
    uint64_t got[9];
    got[0] = p.data_hash;
    golden_check("quick data", QUICK_DATA, got, 1);
    for (int i = 0; i < 8; i++) got[i] = p.models[i].key;
    golden_check("quick model", QUICK_MODEL, got, 8);
    for (int i = 0; i < 9; i++) got[i] = p.strategies[i].key;
    golden_check("quick strategy", QUICK_STRAT, got, 9);
    for (int y = 0; y < 4; y++) got[y] = plan_task_key(&p.models[0], 2016 + y);
    golden_check("quick task", QUICK_TASK, got, 4);
    cu_plan_free(&c, &p);

    if (cu_plan_build(GOLDEN_ALL, &c, &p)) return;
    CU_ASSERT_EQUAL_FATAL(p.n_strategies, 2);
    for (int i = 0; i < 2; i++) got[i] = p.strategies[i].key;
    golden_check("all-fields strategy", ALL_STRAT, got, 2);
    cu_plan_free(&c, &p);
}

/* plan_task_storage: the record it counts is the record task_pack_points
 * writes for those counts, and a strategy point adds one row plus its
 * points (4 bytes per bar per bar; 8 per day per day: return and trades). */
static void test_storage(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(BASE, &c, &p)) return;
    const plan_model *m = &p.models[0];
    const int nt = 375840, np = 313;
    const int S = p.n_strategies;
    plan_storage day, bar, none;
    plan_task_storage(&p, m, TASK_SERIES_DAY, nt, np, 100000, 0, &day);
    plan_task_storage(&p, m, TASK_SERIES_BAR, nt, nt, 100000, 4096, &bar);
    plan_task_storage(&p, m, TASK_SERIES_NONE, nt, 0, 100000, 0, &none);
    CU_ASSERT_EQUAL(day.per_strat, sizeof(task_row) + (size_t)np * 8);
    CU_ASSERT_EQUAL(bar.per_strat, sizeof(task_row) + (size_t)nt * 4);
    CU_ASSERT_EQUAL(none.per_strat, sizeof(task_row));
    CU_ASSERT_EQUAL(day.journal, 24 + day.record);
    CU_ASSERT(day.file < bar.file && none.file < day.file);
    CU_ASSERT_EQUAL(bar.file - day.file, (size_t)(nt - np) * (4 * (size_t)S + 4) - (size_t)np * (4 + 4 * (size_t)S) + 4096);
    /* the record a worker packs with these counts */
    task_head h;
    memset(&h, 0, sizeof h);
    h.n_strat = S; h.n_test = nt; h.n_out = 1; h.n_curve = m->train.epochs; h.series = TASK_SERIES_DAY; h.n_pts = np;
    task_row *rows = calloc((size_t)S, sizeof *rows);
    int64_t *t = calloc((size_t)nt, sizeof *t);
    double *y = calloc((size_t)nt, sizeof *y), *pred = calloc((size_t)nt, sizeof *pred),
           *curve = calloc((size_t)h.n_curve * 2, sizeof *curve);
    float *ret = calloc((size_t)S * np, sizeof *ret), *bh = calloc((size_t)np, sizeof *bh);
    int32_t *pe = calloc((size_t)np, sizeof *pe), *trd = calloc((size_t)S * np, sizeof *trd);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rows && t && y && pred && curve && ret && bh && pe && trd ? rows : NULL);
    for (int k = 0; k < np; k++) pe[k] = k == np - 1 ? nt - 1 : k * (nt / np);
    task_buf b = { 0 };
    rs_err e;
    const task_points pts = { ret, bh, pe, trd };
    const task_extras x = { curve, NULL, NULL, NULL };
    CU_ASSERT_EQUAL_FATAL(task_pack_points(&b, &h, rows, t, y, pred, &pts, NULL, &x, &e), 0);
    CU_ASSERT_EQUAL(b.len, day.record);
    task_view v;
    CU_ASSERT_EQUAL(task_view_parse(b.p, b.len, &v, &e), 0);
    task_buf_free(&b);
    free(rows); free(t); free(y); free(pred); free(curve); free(ret); free(bh); free(pe); free(trd);
    cu_plan_free(&c, &p);
}

static CU_TestInfo tests[] = {
    {"golden keys (quick.ini, every strategy field)", test_golden_keys},
    {"expansion counts = product of grid dimensions", test_counts},
    {"keys unique; same config -> same keys", test_keys_unique_and_stable},
    {"reordered / reformatted INI -> same keys", test_reformatted_same_keys},
    {"trading-only and [run] changes keep every model key", test_trading_change_keeps_model_keys},
    {"data / features / target / walk-forward change the data hash", test_data_change_changes_data_hash},
    {"extending a grid keeps the old keys", test_extend_grid_keeps_keys},
    {"canonical text pinned; key = hash(canon, data hash)", test_canonical_text},
    {"points equal in training are merged", test_merge_equal_points},
    {"tasks: longest first, ties by key; specs seeded from keys", test_task_order_and_spec},
    {"plan_describe, plan_set_bar_seconds", test_describe_and_bars},
    {"plan errors: too many points, strategy cross-checks", test_plan_errors},
    {"random search: seeded, nested, seeds kept together, grid keys", test_random_search},
    {"plan_task_storage: the record task_pack_points writes; growth per strategy point", test_storage},
    CU_TEST_INFO_NULL
};

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/rs_test_plan_XXXXXX");
    if (!mkdtemp(g_dir)) return 2;
    int r = cu_run("plan", tests);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
    if (system(cmd)) {}
    return r;
}
