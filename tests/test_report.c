/* test_report.c — `rnnsweep show`: hand-computed leaderboards and group
 * tables over small hand-built result tables, the expected-max-Sharpe bar,
 * the normal quantile behind it, labels and option errors. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/report.h"
#include "coordinator/board.h"

#include <math.h>
#include <string.h>


#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

#define DATA "[data]\ninstruments = A\nA.path = none.csv\n" \
             "[features]\nA = close, logret\n[target]\nkind = return\nhorizon = 1\n"

/* 2 model points (lstm, gru) x 2 strategy points (th0, th0.001). */
static const char *INI22 =
    DATA "[model]\ncell = lstm, gru\nhidden = 16\nlookback = 10\n"
    "[strategy]\nmarket = equity\nkind = signal\nthreshold = 0, 0.001\n[run]\nname = t22\n";



/* A result row with every metric NaN but the ones a test sets. */
static task_row mkrow(int model, int strat, int year, int status) {
    task_row w;
    memset(&w, 0, sizeof w);
    w.model = model;
    w.strategy = strat;
    w.fold_id = year;
    w.status = status;
    w.rmse = w.mae = w.r2 = w.dir_acc = w.accuracy = w.macro_f1 = w.log_loss = w.test_loss = NAN;
    w.base_rmse = w.base_mae = w.base_r2 = w.base_dir_acc = NAN;
    w.base_accuracy = w.base_macro_f1 = w.base_log_loss = NAN;
    w.bh_roi_pct = NAN;
    return w;
}

static void mkfile(results_file *r, const char *name, task_row *rows, int n, int done, int planned,
                   int failed, int complete) {
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->rows = rows;
    r->n_rows = n;
    r->tasks_done = done;
    r->tasks_planned = planned;
    r->tasks_failed = failed;
    r->complete = complete;
}

/* The 2 x 2 x 3 table.  Sharpe by (model, strategy) over 2017, 2018, 2019:
 *   lstm th0      1    2    3    mean 2     sd 1       worst 1
 *   lstm th0.001  0.5  0.5  2    mean 1     sd √0.75   worst 0.5
 *   gru  th0      3    3    3    mean 3     sd 0       worst 3
 *   gru  th0.001 -1    0    1    mean 0     sd 1       worst -1
 * ROI = 10 x Sharpe, buy-and-hold ROI 10, 20, 30 by year (mean 20);
 * max_dd_pct and rmse (per task: equal on both strategy rows) below.
 * Rows are stored in reverse order so nothing relies on file order. */
static const double SH[2][2][3] = { { { 1, 2, 3 }, { 0.5, 0.5, 2 } }, { { 3, 3, 3 }, { -1, 0, 1 } } };
static const double DD[2][2][3] = { { { 10, 20, 30 }, { 5, 5, 5 } }, { { 1, 2, 6 }, { 40, 50, 60 } } };
static const double RMSE[2][3] = { { 1, 2, 3 }, { 0.5, 0.5, 0.5 } };

static int table22(task_row rows[12]) {
    int n = 0;
    for (int m = 1; m >= 0; m--)
        for (int s = 1; s >= 0; s--)
            for (int y = 2; y >= 0; y--) {
                task_row w = mkrow(m, s, 2017 + y, TASK_OK);
                w.trading.sharpe = SH[m][s][y];
                w.trading.roi_pct = 10 * SH[m][s][y];
                w.trading.max_dd_pct = DD[m][s][y];
                w.bh_roi_pct = 10.0 * (y + 1);
                w.rmse = RMSE[m][y];
                w.base_rmse = 1.0;                    /* persistence: 1 every year */
                rows[n++] = w;
            }
    return n;
}

/* Print a report into a malloc'd string (NULL on a non-zero return). */
static char *render(const results_file *r, const sweep_plan *p, const char *metric, const char *by, int top,
                    int *rc, rs_err *e) {
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    report_opts o = { .top = top, .metric = metric, .by = by };
    *rc = report_print(r, p, &o, f, e);
    fclose(f);
    if (*rc) { free(buf); return NULL; }
    return buf;
}

/* Split the first line at or after `from` whose first word is `first` into
 * words; returns how many (0: no such line). */
#define MAXTOK 24
static int find_row(const char *from, const char *first, char tok[MAXTOK][64]) {
    for (const char *l = from; l && *l;) {
        const char *end = strchr(l, '\n');
        size_t len = end ? (size_t)(end - l) : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line ? len : sizeof line - 1), l);
        int n = 0;
        for (char *sv, *t = strtok_r(line, " ", &sv); t && n < MAXTOK; t = strtok_r(NULL, " ", &sv))
            snprintf(tok[n++], 64, "%s", t);
        if (n && !strcmp(tok[0], first)) return n;
        l = end ? end + 1 : NULL;
    }
    return 0;
}

/* Assert that a row's words equal the expected ones (NULL-terminated). */
static void assert_row(const char *from, const char *first, const char *const *want) {
    char tok[MAXTOK][64];
    int n = find_row(from, first, tok);
    int k = 0;
    while (want[k]) k++;
    CU_ASSERT_EQUAL(n, k + 1);
    int ok = n == k + 1;
    for (int i = 0; i < k && i + 1 < n; i++) {
        if (!strcmp(want[i], "*")) continue;             /* any word: an id */
        CU_ASSERT_STRING_EQUAL(tok[i + 1], want[i]);
        ok &= !strcmp(tok[i + 1], want[i]);
    }
    if (!ok) {
        printf("\n  row '%s':", first);
        for (int i = 0; i < n; i++) printf(" [%s]", tok[i]);
        printf("\n");
    }
}

#define ROW(from, first, ...) do { static const char *const w_[] = { __VA_ARGS__, NULL }; \
                                   assert_row(from, first, w_); } while (0)

static void test_leaderboard_sharpe(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    results_file r;
    mkfile(&r, "t22", rows, table22(rows), 6, 6, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, NULL, NULL, 0, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ranking by sharpe (mean over ok folds; higher is better); "
                                       "4 trials (model × strategy configurations)\n"));
    /* no /series in a hand-made table: no stitched curve, no verdict, and it says why */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "verdict: - (no configuration has a curve over every fold)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sweep t22: 6/6 tasks done, 0 failed (complete); 3 folds 2017 .. 2019\n"));
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    /* rank model strategy mean ± std worst folds bh_roi% roi% */
    ROW(lb, "1", "*", "gru", "th0", "3.0000", "±", "0.0000", "3.0000", "2017", "3/3", "30.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "2", "*", "lstm", "th0", "2.0000", "±", "1.0000", "1.0000", "2017", "3/3", "20.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "3", "*", "lstm", "th0.001", "1.0000", "±", "0.8660", "0.5000", "2017", "3/3", "10.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "4", "*", "gru", "th0.001", "0.0000", "±", "1.0000", "-1.0000", "2017", "3/3", "0.00", "20.00", "-", "-", "-", "-");
    free(out);

    /* --top 2: two rows and a note; ties rank by model, then strategy index */
    for (int i = 0; i < 12; i++) rows[i].trading.sharpe = 1;
    out = render(&r, &p, "sharpe", NULL, 2, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    lb = strstr(out, "\nrank ");
    ROW(lb, "1", "*", "lstm", "th0", "1.0000", "±", "0.0000", "1.0000", "*", "3/3", "20.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "2", "*", "lstm", "th0.001", "1.0000", "±", "0.0000", "1.0000", "*", "3/3", "10.00", "20.00", "-", "-", "-", "-");
    char tok[MAXTOK][64];
    CU_ASSERT_EQUAL(find_row(lb, "3", tok), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "(2 more configurations"));
    free(out);
    cu_plan_free(&c, &p);
}

static void test_lower_is_better(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    results_file r;
    mkfile(&r, "t22", rows, table22(rows), 6, 6, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, "max_dd_pct", NULL, 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ranking by max_dd_pct (mean over ok folds; lower is better)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "walk-forward selection (the top by max_dd_pct") || strstr(out, "walk-forward selection: -"));
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    /* smallest drawdown first; the worst fold is the LARGEST drawdown */
    ROW(lb, "1", "*", "gru", "th0", "3.0000", "±", "2.6458", "6.0000", "2019", "3/3", "30.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "2", "*", "lstm", "th0.001", "5.0000", "±", "0.0000", "5.0000", "2017", "3/3", "10.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "3", "*", "lstm", "th0", "20.0000", "±", "10.0000", "30.0000", "2019", "3/3", "20.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "4", "*", "gru", "th0.001", "50.0000", "±", "10.0000", "60.0000", "2019", "3/3", "0.00", "20.00", "-", "-", "-", "-");
    free(out);
    cu_plan_free(&c, &p);
}

static void test_incomplete_ranks_after_complete(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    int n = table22(rows);
    /* the gru task of 2018 diverged: both its rows, no metrics (trading
     * fields zero, as task.h says); and lstm th0.001's 2019 row is missing */
    int k = 0;
    for (int i = 0; i < n; i++) {
        task_row *w = &rows[i];
        if (w->model == 1 && w->fold_id == 2018) {
            w->status = TASK_DIVERGED;
            memset(&w->trading, 0, sizeof w->trading);
            w->rmse = NAN;
        }
        if (w->model == 0 && w->strategy == 1 && w->fold_id == 2019) continue;
        rows[k++] = *w;
    }
    results_file r;
    mkfile(&r, "t22", rows, k, 5, 6, 1, 0);
    /* the diverged task's record, as results_read rebuilds it: show names
     * the task and quotes its message under the sweep line */
    task_row dr[2];
    int nd = 0;
    for (int i = 0; i < k && nd < 2; i++)
        if (rows[i].model == 1 && rows[i].fold_id == 2018) dr[nd++] = rows[i];
    CU_ASSERT_EQUAL_FATAL(nd, 2);
    task_head h = { .magic = TASK_MAGIC, .version = TASK_VERSION, .task_key = dr[0].task_key,
                    .model_key = dr[0].model_key, .fold_id = 2018, .status = TASK_DIVERGED, .n_strat = 2,
                    .n_out = 1 };
    snprintf(h.message, sizeof h.message, "fold 2018: training diverged in epoch 3 (non-finite or exploding loss)");
    task_buf tb = { 0 };
    rs_err pe;
    CU_ASSERT_EQUAL_FATAL(task_pack(&tb, &h, dr, NULL, NULL, NULL, NULL, NULL, NULL, &pe), 0);
    r.tasks = &tb;
    r.n_tasks = 1;
    int rc;
    rs_err e;
    char *out = render(&r, &p, "sharpe", NULL, 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sweep t22: 5/6 tasks done, 1 failed (INCOMPLETE); 3 folds 2017 .. 2019\n"
                                       "  gru, fold 2018: diverged: fold 2018: training diverged in epoch 3 "
                                       "(non-finite or exploding loss)\n"));
    r.tasks = NULL;
    r.n_tasks = 0;
    task_buf_free(&tb);
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    /* gru th0 (mean 3 over 2 ok folds) would win on its mean alone */
    ROW(lb, "1", "*", "lstm", "th0", "2.0000", "±", "1.0000", "1.0000", "*", "3/3", "20.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "2", "*", "gru", "th0", "3.0000", "±", "0.0000", "3.0000", "*", "2/3", "30.00", "20.00", "-", "-", "-", "-");
    ROW(lb, "3", "*", "lstm", "th0.001", "0.5000", "±", "0.0000", "0.5000", "*", "2/3", "5.00", "15.00", "-", "-", "-", "-");
    ROW(lb, "4", "*", "gru", "th0.001", "0.0000", "±", "1.4142", "-1.0000", "*", "2/3", "0.00", "20.00", "-", "-", "-", "-");
    free(out);

    /* a configuration with no ok fold ranks last with no numbers */
    for (int i = 0; i < k; i++)
        if (rows[i].model == 1 && rows[i].strategy == 0) rows[i].status = TASK_FAILED;
    out = render(&r, &p, "sharpe", NULL, 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    lb = strstr(out, "\nrank ");
    ROW(lb, "4", "*", "gru", "th0", "-", "±", "-", "-", "-", "0/3", "-", "-", "-", "-", "-", "-");
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "3 trials"));
    free(out);
    cu_plan_free(&c, &p);
}

static void test_group_by_cell_and_year(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    results_file r;
    mkfile(&r, "t22", rows, table22(rows), 6, 6, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, "sharpe", "cell", 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const char *g = strstr(out, "by cell:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    /* value ok/rows mean ± std best beat_bh%.  lstm: {1,2,3,.5,.5,2} mean
     * 1.5, Σd² = 5, sd 1; best configuration lstm th0 (2).  gru: {3,3,3,
     * -1,0,1} mean 1.5, Σd² = 15.5, sd √3.1; best 3.  ROI beats buy-and-hold
     * only on gru th0 in 2017 and 2018 (30 > 10, 20; 30 = 30 is not above). */
    ROW(g, "cell", "ok/rows", "sharpe", "±", "std", "best", "beat_bh%");
    ROW(g, "lstm", "6/6", "1.5000", "±", "1.0000", "2.0000", "0.0");
    ROW(g, "gru", "6/6", "1.5000", "±", "1.7607", "3.0000", "33.3");
    CU_ASSERT(strstr(g, "\nlstm") < strstr(g, "\ngru"));     /* plan order, not alphabetical */
    free(out);

    out = render(&r, &p, "sharpe", "year", 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    g = strstr(out, "by year:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    /* 2017 {1,.5,3,-1}: mean .875, Σd² 8.1875, sd 1.6520; 2018 {2,.5,3,0}:
     * 1.375, sd 1.3769; 2019 {3,2,3,1}: 2.25, sd .9574.  The best
     * configuration inside a year is that year's best row. */
    ROW(g, "2017", "4/4", "0.8750", "±", "1.6520", "3.0000", "25.0");
    ROW(g, "2018", "4/4", "1.3750", "±", "1.3769", "3.0000", "25.0");
    ROW(g, "2019", "4/4", "2.2500", "±", "0.9574", "3.0000", "0.0");
    CU_ASSERT(strstr(g, "\n2017") < strstr(g, "\n2018") && strstr(g, "\n2018") < strstr(g, "\n2019"));
    free(out);

    /* a strategy key: threshold, numeric order */
    out = render(&r, &p, "sharpe", "threshold", 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    g = strstr(out, "by threshold:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ROW(g, "0", "6/6", "2.5000", "±", "0.8367", "3.0000", "33.3");
    ROW(g, "0.001", "6/6", "0.5000", "±", "1.0000", "1.0000", "0.0");
    free(out);
    cu_plan_free(&c, &p);
}

static void test_forecast_metric_once_per_task(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    results_file r;
    mkfile(&r, "t22", rows, table22(rows), 6, 6, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, "rmse", "year", 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    /* model points compete, not model x strategy */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ranking by rmse (mean over ok folds; lower is better); 2 trials (model points)"));
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    /* forecast metrics show their baseline (persistence RMSE 1) and the
     * folds that beat it: gru 0.5 < 1 three times, lstm 1, 2, 3 never */
    ROW(lb, "rank", "id", "model", "strategy", "rmse", "±", "std", "worst", "worst_fold", "folds", "baseline", "beats");
    ROW(lb, "1", "*", "gru", "-", "0.5000", "±", "0.0000", "0.5000", "*", "3/3", "1.0000", "3/3");
    /* {1,2,3} has sd 1; counted once per strategy row it would be {1,1,2,2,3,3}, sd .8944 */
    ROW(lb, "2", "*", "lstm", "-", "2.0000", "±", "1.0000", "3.0000", "*", "3/3", "1.0000", "0/3");
    char tok[MAXTOK][64];
    CU_ASSERT_EQUAL(find_row(lb, "3", tok), 0);
    const char *g = strstr(out, "by year:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    /* 2017: tasks {1, .5} -> 2/2, mean .75, sd .3536 (per row: 4/4, sd .2887);
     * best = lowest rmse; beat_bh% still counts the tasks' strategy rows */
    ROW(g, "year", "ok/tasks", "rmse", "±", "std", "best", "beat_bh%");
    ROW(g, "2017", "2/2", "0.7500", "±", "0.3536", "0.5000", "25.0");
    ROW(g, "2019", "2/2", "1.7500", "±", "1.7678", "0.5000", "0.0");
    free(out);

    /* a forecast metric by a strategy key would repeat one number: refused */
    report_opts o = { .metric = "rmse", .by = "kind" };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "forecast metric");
    /* and a class metric on a regression sweep */
    CU_ASSERT_PTR_NULL(render(&r, &p, "accuracy", NULL, 10, &rc, &e));
    CU_ASSERT_EQUAL(rc, RS_EINPUT);
    ASSERT_MSG_HAS(e, "'accuracy'");
    cu_plan_free(&c, &p);
}

static void test_labels_and_model_groups(void) {
    sweep_config c;
    sweep_plan p;
    /* 6 model points after merging (GRU ignores forget_bias_one), 6
     * strategies: signal x 2 thresholds, grid x 2 thresholds x 2 spacings */
    if (cu_plan_build(DATA "[model]\ncell = lstm, gru\nhidden = 16, 32x16\nlookback = 10\nforget_bias_one = 0, 1\n"
                   "[strategy]\nmarket = equity\nkind = signal, grid\nthreshold = 0, 0.001\n"
                   "spacing = 1, 2\nmax_levels = 3\n", &c, &p)) return;
    CU_ASSERT_EQUAL_FATAL(p.n_models, 6);
    CU_ASSERT_EQUAL_FATAL(p.n_strategies, 6);
    static const char *const ml[] = { "lstm 16 fb0", "lstm 16 fb1", "lstm 32x16 fb0", "lstm 32x16 fb1",
                                      "gru 16", "gru 32x16" };
    static const char *const sl[] = { "signal th0", "signal th0.001", "grid th0 sp1%", "grid th0 sp2%",
                                      "grid th0.001 sp1%", "grid th0.001 sp2%" };
    char buf[128];
    for (int i = 0; i < 6; i++) {
        plan_model_label(&p, i, buf, sizeof buf);
        CU_ASSERT_STRING_EQUAL(buf, ml[i]);
        plan_strategy_label(&p, i, buf, sizeof buf);
        CU_ASSERT_STRING_EQUAL(buf, sl[i]);
    }
    plan_model_label(&p, 6, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "?");
    plan_model_label(&p, 2, buf, 6);                       /* truncates, NUL-terminated */
    CU_ASSERT_STRING_EQUAL(buf, "lstm ");

    /* group by "model" (cell + depth) and by spacing ("-" for signal rows, last) */
    task_row rows[36];
    int n = 0;
    for (int m = 0; m < 6; m++)
        for (int s = 0; s < 6; s++) {
            rows[n] = mkrow(m, s, 2018, TASK_OK);
            rows[n].trading.sharpe = m + 0.1 * s;
            rows[n].trading.roi_pct = 1;
            rows[n].bh_roi_pct = 0;
            n++;
        }
    results_file r;
    mkfile(&r, "labels", rows, n, 6, 6, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, "sharpe", "model", 1, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    CU_ASSERT_PTR_NOT_NULL(strstr(lb, "gru 32x16  grid th0.001 sp2%"));
    const char *g = strstr(out, "by model:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    /* lstm = models 0, 1: sharpe m + s/10 over 12 rows, mean 0.75 */
    const char *a = strstr(g, "\nlstm  "), *b = strstr(g, "\nlstm x2 "), *cc = strstr(g, "\ngru  "),
               *d = strstr(g, "\ngru x2 ");
    CU_ASSERT(a && b && cc && d && a < b && b < cc && cc < d);
    char tok[MAXTOK][64];
    CU_ASSERT_EQUAL(find_row(g, "lstm", tok), 7);
    CU_ASSERT_STRING_EQUAL(tok[1], "12/12");
    CU_ASSERT_STRING_EQUAL(tok[2], "0.7500");
    CU_ASSERT_STRING_EQUAL(tok[5], "1.5000");
    CU_ASSERT_STRING_EQUAL(tok[6], "100.0");
    free(out);

    out = render(&r, &p, "sharpe", "spacing", 1, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    g = strstr(out, "by spacing:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    a = strstr(g, "\n1%");
    b = strstr(g, "\n2%");
    cc = strstr(g, "\n-  ");
    CU_ASSERT(a && b && cc && a < b && b < cc);
    CU_ASSERT_EQUAL(find_row(g, "-", tok), 7);
    CU_ASSERT_STRING_EQUAL(tok[1], "12/12");                 /* the signal rows */
    free(out);
    cu_plan_free(&c, &p);

    /* nothing varies: the cell name and the kind */
    if (cu_plan_build(DATA "[model]\ncell = gru\n[strategy]\nkind = grid\n", &c, &p)) return;
    plan_model_label(&p, 0, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "gru");
    plan_strategy_label(&p, 0, buf, sizeof buf);
    CU_ASSERT_STRING_EQUAL(buf, "grid");
    cu_plan_free(&c, &p);
}

static void test_errors(void) {
    rs_err e;
    report_opts o = { .metric = "sharp" };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "unknown metric 'sharp'");
    ASSERT_MSG_HAS(e, "did you mean 'sharpe'");
    ASSERT_MSG_HAS(e, "known: sharpe, sortino, calmar");
    o = (report_opts){ .metric = "zzzzzzzzz" };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(strstr(e.msg, "did you mean"));
    ASSERT_MSG_HAS(e, "test_loss");
    o = (report_opts){ .by = "cel" };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "unknown group-by key 'cel' (did you mean 'cell'?");
    o = (report_opts){ .top = -1 };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);
    /* defaults (zeroed options, or none) are fine; every listed metric and key checks */
    o = (report_opts){ 0 };
    CU_ASSERT_EQUAL(report_check(&o, &e), 0);
    CU_ASSERT_EQUAL(report_check(NULL, &e), 0);
    /* report.h's lists, exactly */
    static const char *const metrics[] = {
        "sharpe", "sortino", "calmar", "roi_pct", "cagr_pct", "max_dd_pct", "vol_pct", "hit_rate_pct",
        "profit_factor", "n_trades", "exposure_pct", "rmse", "mae", "r2", "dir_acc", "accuracy",
        "macro_f1", "log_loss", "test_loss", NULL };
    static const char *const keys[] = {
        "cell", "layers", "hidden", "lookback", "dropout", "seed", "lr", "batch", "epochs",
        "weight_decay", "kind", "threshold", "min_prob", "spacing", "max_levels", "tp", "year",
        "model", NULL };
    const char *const *names = board_metric_names();
    int n = 0;
    for (; names[n] && metrics[n]; n++) {
        CU_ASSERT_STRING_EQUAL(names[n], metrics[n]);
        o = (report_opts){ .metric = names[n], .by = "year" };
        CU_ASSERT_EQUAL(report_check(&o, &e), 0);
    }
    CU_ASSERT_PTR_NULL(names[n]);
    CU_ASSERT_EQUAL(n, 19);
    for (int k = 0; keys[k]; k++) {
        o = (report_opts){ .by = keys[k] };
        CU_ASSERT_EQUAL(report_check(&o, &e), 0);
    }
    o = (report_opts){ .by = "market" };
    CU_ASSERT_EQUAL(report_check(&o, &e), RS_EINPUT);

    /* rows whose indices do not fit the plan */
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI22, &c, &p)) return;
    task_row rows[12];
    results_file r;
    mkfile(&r, "t22", rows, table22(rows), 6, 6, 0, 1);
    rows[5].model = 2;
    int rc;
    CU_ASSERT_PTR_NULL(render(&r, &p, NULL, NULL, 0, &rc, &e));
    CU_ASSERT_EQUAL(rc, RS_EINPUT);
    ASSERT_MSG_HAS(e, "model index 2");
    rows[5].model = 0;
    rows[7].strategy = -1;
    CU_ASSERT_PTR_NULL(render(&r, &p, NULL, NULL, 0, &rc, &e));
    CU_ASSERT_EQUAL(rc, RS_EINPUT);
    ASSERT_MSG_HAS(e, "strategy index -1");
    /* no rows: the header and a note */
    mkfile(&r, "empty", rows, 0, 0, 6, 0, 0);
    char *out = render(&r, &p, NULL, "cell", 0, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "sweep empty: 0/6 tasks done, 0 failed (INCOMPLETE)"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "(no result rows)"));
    free(out);
    cu_plan_free(&c, &p);
}


/* ---- corrections and LOOK-AHEAD rows ------------------------------------------------ */

/* A trend3 sweep, one model, strategies signal x correction (none,
 * motormap, motormap_peek): accuracy by hand per fold
 *   none      0.50 0.52 0.54   mean 0.52  (baseline 0.55 each fold)
 *   motormap  0.56 0.58 0.54   mean 0.56  beats the baseline twice
 *   peek      0.98 0.97 0.99   LOOK-AHEAD: left out unless asked */
static void test_corrections_lookahead(void) {
    static const char *INI =
        "[data]\ninstruments = A\nA.path = x.csv\n[features]\nA = close, logret\n"
        "[target]\nkind = trend3\nhorizon = 5\n[model]\ncell = lstm\nhidden = 8\nlookback = 10\n"
        "[strategy]\nkind = signal\ncorrection = none, motormap, motormap_peek\n[run]\nname = mm\n";
    static const double ACC[3][3] = { { 0.50, 0.52, 0.54 }, { 0.56, 0.58, 0.54 }, { 0.98, 0.97, 0.99 } };
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    CU_ASSERT_EQUAL_FATAL(p.n_strategies, 3);
    CU_ASSERT_EQUAL_FATAL(p.n_corrections, 3);
    task_row rows[9];
    int n = 0;
    for (int s = 0; s < 3; s++)
        for (int y = 0; y < 3; y++) {
            task_row w = mkrow(0, s, 2015 + y, TASK_OK);
            w.correction = p.strategies[s].correction;
            w.lookahead = p.strategies[s].s.correction == MM_PEEK;
            w.accuracy = ACC[w.correction][y];
            w.base_accuracy = 0.55;
            w.trading.sharpe = 10 * ACC[w.correction][y];
            w.bh_roi_pct = 1;
            rows[n++] = w;
        }
    results_file r;
    mkfile(&r, "mm", rows, n, 3, 3, 0, 1);
    int rc;
    rs_err e;
    char *out = render(&r, &p, "accuracy", "correction", 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "3 LOOK-AHEAD rows"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 trials (model × correction configurations)"));
    const char *lb = strstr(out, "\nrank ");
    CU_ASSERT_PTR_NOT_NULL_FATAL(lb);
    ROW(lb, "1", "*", "lstm", "motormap", "0.5600", "±", "0.0200", "0.5400", "*", "3/3", "0.5500", "2/3");
    ROW(lb, "2", "*", "lstm", "none", "0.5200", "±", "0.0200", "0.5000", "*", "3/3", "0.5500", "0/3");
    char tok[MAXTOK][64];
    CU_ASSERT_EQUAL(find_row(lb, "3", tok), 0);               /* the peek is not ranked */
    const char *g = strstr(out, "by correction:");
    CU_ASSERT_PTR_NOT_NULL_FATAL(g);
    ROW(g, "none", "3/3", "0.5200", "±", "0.0200", "0.5200", "0.0");
    ROW(g, "motormap", "3/3", "0.5600", "±", "0.0200", "0.5600", "0.0");
    CU_ASSERT_PTR_NULL(strstr(g, "motormap_peek"));
    free(out);

    /* a trading metric ranks strategies; the peek still left out */
    out = render(&r, &p, "sharpe", NULL, 10, &rc, &e);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_PTR_NULL(strstr(out, "LOOK-AHEAD  "));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "2 trials (model × strategy configurations)"));
    free(out);

    /* asked for, the peek ranks first and says what it is */
    char *buf = NULL;
    size_t bn = 0;
    FILE *f = open_memstream(&buf, &bn);
    report_opts o = { .top = 10, .metric = "accuracy", .lookahead = 1 };
    CU_ASSERT_EQUAL(report_print(&r, &p, &o, f, &e), 0);
    fclose(f);
    CU_ASSERT_PTR_NOT_NULL(strstr(buf, "LOOK-AHEAD rows included"));
    lb = strstr(buf, "\nrank ");
    ROW(lb, "1", "*", "lstm", "motormap_peek", "LOOK-AHEAD", "0.9800", "±", "0.0100", "0.9700", "*", "3/3", "0.5500", "3/3");
    free(buf);

    /* a forecast metric may group by the correction's keys, not by others */
    report_opts ok = { .metric = "accuracy", .by = "mm_size" }, no = { .metric = "accuracy", .by = "kind" };
    CU_ASSERT_EQUAL(report_check(&ok, &e), 0);
    CU_ASSERT_EQUAL(report_check(&no, &e), RS_EINPUT);
    cu_plan_free(&c, &p);
}

static CU_TestInfo tests[] = {
    {"corrections: ranked per correction, LOOK-AHEAD rows left out unless asked", test_corrections_lookahead},
    {"leaderboard: hand-computed order, mean, std, worst; ties; --top", test_leaderboard_sharpe},
    {"lower-is-better metric (max_dd_pct) ranks ascending", test_lower_is_better},
    {"configurations missing folds rank after complete ones", test_incomplete_ranks_after_complete},
    {"group by cell, year, threshold: hand-computed numbers", test_group_by_cell_and_year},
    {"forecast metric: model points, each task counted once", test_forecast_metric_once_per_task},
    {"labels show what varies; group by model and spacing", test_labels_and_model_groups},
    {"errors: did-you-mean, indices outside the plan, empty file", test_errors},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("report", tests); }
