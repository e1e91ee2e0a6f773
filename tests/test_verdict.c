/* test_verdict.c — walk-forward selection, stitched curves and flagged
 * values on a hand-made results file (2 models × 2 strategies × 3 folds,
 * every return and every per-fold Sharpe set by hand), and the board's
 * ranking and ids behind them. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/board.h"
#include "coordinator/verdict.h"

#include <math.h>
#include <string.h>

static const char *INI =
    "[data]\ninstruments = A\nA.path = none.csv\n[features]\nA = close, logret\n[target]\nkind = return\n"
    "horizon = 1\n[model]\ncell = lstm, gru\nhidden = 8\nlookback = 5\n"
    "[strategy]\nmarket = equity\nkind = signal\nthreshold = 0, 0.001\n[run]\nname = wf\n";

/* configuration c = model * 2 + strategy; per fold (2017, 2018, 2019) its
 * row Sharpe and its two bar returns after the period's first bar */
static const double SH[3][4] = { { 3, 1, 0, 2 }, { -1, 2, 1, 0 }, { 0, 1, 3, 2 } };
static const double R[3][4][2] = {
    { { 0.01, 0.01 }, { 0, 0 }, { -0.01, 0 }, { 0.02, -0.01 } },
    { { 0.02, 0.01 }, { 0.01, 0.01 }, { 0, 0 }, { 0.00, 0.03 } },
    { { 0, 0.01 }, { 0.01, -0.02 }, { -0.02, 0.01 }, { 0.03, 0.01 } },
};
static const double BH[3][2] = { { 0.001, 0.002 }, { 0.005, 0.005 }, { 0.0, 0.01 } };

/* a return as the file holds it: float, read back as double */
#define F(x) ((double)(float)(x))

static void test_walk_forward(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    CU_ASSERT_EQUAL_FATAL(p.n_models * p.n_strategies, 4);
    task_buf bufs[6];
    task_row rows[12];
    memset(bufs, 0, sizeof bufs);
    int nr = 0;
    rs_err e;
    for (int m = 0; m < 2; m++)
        for (int f = 0; f < 3; f++) {
            task_head h;
            memset(&h, 0, sizeof h);
            h.magic = TASK_MAGIC;
            h.version = TASK_VERSION;
            h.task_key = plan_task_key(&p.models[m], 2017 + f);
            h.model_key = p.models[m].key;
            h.fold_id = 2017 + f;
            h.status = TASK_OK;
            h.n_strat = 2;
            h.n_test = 3;
            h.n_out = 1;
            task_row w[2];
            float ret[2][3], bh[3] = { 0, (float)BH[f][0], (float)BH[f][1] };
            int64_t t[3] = { 1000 * f + 1, 1000 * f + 2, 1000 * f + 3 };
            double y[3] = { 0 }, pred[3] = { 0 };
            for (int s = 0; s < 2; s++) {
                memset(&w[s], 0, sizeof w[s]);
                w[s].task_key = h.task_key;
                w[s].model_key = h.model_key;
                w[s].strategy_key = p.strategies[s].key;
                w[s].model = m;
                w[s].strategy = s;
                w[s].fold_id = 2017 + f;
                w[s].status = TASK_OK;
                w[s].trading.sharpe = SH[f][m * 2 + s];
                w[s].trading.bars_per_year = 252;
                w[s].bh_roi_pct = 1;
                /* configuration 2 (gru th0) in 2018: a zero-variance Sharpe, flagged */
                if (m == 1 && s == 0 && f == 1) w[s].trading.flags = MT_F_ZERO_VAR;
                ret[s][0] = 0;
                ret[s][1] = (float)R[f][m * 2 + s][0];
                ret[s][2] = (float)R[f][m * 2 + s][1];
                rows[nr++] = w[s];
            }
            CU_ASSERT_EQUAL_FATAL(task_pack(&bufs[m * 3 + f], &h, w, t, y, pred, &ret[0][0], bh, NULL, &e), 0);
        }
    results_file r;
    memset(&r, 0, sizeof r);
    snprintf(r.name, sizeof r.name, "wf");
    r.rows = rows;
    r.n_rows = nr;
    r.tasks = bufs;
    r.n_tasks = 6;
    board_opts bo = { .metric = "sharpe" };
    board *b;
    CU_ASSERT_EQUAL_FATAL(board_build(&r, &p, &bo, &b, &e), 0);
    /* ranking: c1 4/3 (3 folds), c3 4/3 (3 folds), c0 2/3 (3 folds), then c2
     * (its flagged 2018 left out: 2 ok folds, ranks last) */
    CU_ASSERT_EQUAL_FATAL(b->n_cfg, 4);
    const int order[4][2] = { { 0, 1 }, { 1, 1 }, { 0, 0 }, { 1, 0 } };   /* (model, strategy) */
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(b->cfg[i].model0, order[i][0]);
        CU_ASSERT_EQUAL(b->cfg[i].strat, order[i][1]);
    }
    CU_ASSERT_EQUAL(b->cfg[3].n_ok, 2);
    CU_ASSERT_EQUAL(b->cfg[3].n_flagged, 1);
    CU_ASSERT_EQUAL(b->n_flagged, 1);
    CU_ASSERT_DOUBLE_EQUAL(b->cfg[3].mean, 1.5, 1e-15);
    /* c0's worst fold is 2018 (-1); ids from the keys, as board.h says */
    CU_ASSERT_EQUAL(b->cfg[2].worst_fold, 2018);
    CU_ASSERT_DOUBLE_EQUAL(b->cfg[2].worst, -1, 0);
    CU_ASSERT_EQUAL(b->cfg[2].id, rs_hash2(rs_hash2(0, p.models[0].key), p.strategies[0].key));
    CU_ASSERT_EQUAL(board_find(b, "zz", &e), -1);
    char pre[9];
    snprintf(pre, sizeof pre, "%08llx", (unsigned long long)(b->cfg[2].id >> 32));
    CU_ASSERT_EQUAL(board_find(b, pre, &e), 2);

    verdict v;
    verdict_opts vo = { .wf_top = 2 };
    CU_ASSERT_EQUAL_FATAL(verdict_build(b, &vo, &v, &e), 0);
    /* stitched c0: six bar returns compounded */
    double q = 1;
    for (int f = 0; f < 3; f++) q *= (1 + F(R[f][0][0])) * (1 + F(R[f][0][1]));
    CU_ASSERT_EQUAL(b->cfg[2].st_folds, 3);
    CU_ASSERT_EQUAL(b->cfg[2].st_bars, 6);
    CU_ASSERT_DOUBLE_EQUAL(b->cfg[2].st_roi, 100 * (q - 1), 1e-9);
    /* walk-forward: 2018 picks c0 (3 in 2017), then c3 (2); 2019 picks c1
     * (mean 1.5 over two folds), then c3 (1, tied with c0's 1, ranks first) */
    CU_ASSERT_TRUE_FATAL(v.wf_ok);
    CU_ASSERT_EQUAL(v.wf_periods, 2);
    CU_ASSERT_EQUAL(v.wf_picks[2], 2);        /* board index of c0 */
    CU_ASSERT_EQUAL(v.wf_picks[3], 1);        /* c3 */
    CU_ASSERT_EQUAL(v.wf_picks[4], 0);        /* c1 */
    CU_ASSERT_EQUAL(v.wf_picks[5], 1);        /* c3 */
    double t1 = (1 + F(R[1][0][0])) * (1 + F(R[1][0][1])) * (1 + F(R[2][1][0])) * (1 + F(R[2][1][1]));
    double t2 = 1;
    for (int k = 0; k < 2; k++) t2 *= 1 + ((double)F(R[1][0][k]) + F(R[1][3][k])) / 2;
    for (int k = 0; k < 2; k++) t2 *= 1 + ((double)F(R[2][1][k]) + F(R[2][3][k])) / 2;
    double tb = (1 + F(BH[1][0])) * (1 + F(BH[1][1])) * (1 + F(BH[2][0])) * (1 + F(BH[2][1]));
    CU_ASSERT_DOUBLE_EQUAL(v.wf_roi[0], 100 * (t1 - 1), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(v.wf_roi[1], 100 * (t2 - 1), 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(v.wf_bh_roi, 100 * (tb - 1), 1e-9);
    CU_ASSERT_EQUAL(v.wf_n, 4);
    CU_ASSERT_DOUBLE_EQUAL(v.wf_eq[0][3], t1, 1e-12);
    /* trials over every fold: all four have curves; the winner is #1 */
    CU_ASSERT_TRUE(v.ok);
    CU_ASSERT_EQUAL(v.winner, 0);
    CU_ASSERT_EQUAL(v.T, 6);
    CU_ASSERT_EQUAL(v.n_complete, 4);
    CU_ASSERT_EQUAL(v.n_trials, 4);
    /* PBO needs 2 bars per block: 6 bars, 16 blocks is refused with a reason */
    CU_ASSERT_FALSE(v.pbo_ok);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.pbo_why, "fewer than 2 per block"));
    verdict_free(&v);
    vo.pbo_blocks = 2;
    CU_ASSERT_EQUAL_FATAL(verdict_build(b, &vo, &v, &e), 0);
    CU_ASSERT_TRUE(v.pbo_ok);
    CU_ASSERT_EQUAL(v.pbo.n_comb, 2);
    verdict_free(&v);
    vo.pbo_blocks = 3;
    CU_ASSERT_EQUAL(verdict_build(b, &vo, &v, &e), RS_EINPUT);
    board_free(b);
    for (int i = 0; i < 6; i++) task_buf_free(&bufs[i]);
    cu_plan_free(&c, &p);
}

static CU_TestInfo tests[] = {
    {"walk-forward selection, stitched curves, flagged values on a hand-made file", test_walk_forward},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("verdict", tests); }
