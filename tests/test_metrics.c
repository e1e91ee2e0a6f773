/* test_metrics.c — trading metrics from equity curves and trade lists,
 * forecast metrics for returns and classes, the forecast baselines.
 * Every expected value is worked out in the comment above it. */
#include "tests/cu.h"
#include "worker/metrics.h"
#include "worker/util.h"
#include <math.h>
#include <string.h>

static void test_roi_drawdown_calmar(void) {
    /* eq 100 → 120 → 90 → 130 → 117: ROI 17%; peak 120, valley 90: max
     * drawdown 30/120 = 25% (the later 130 → 117 is only 10%).  4 returns at
     * 4 bars a year = 1 year, so CAGR = ROI = 17% and Calmar = 17/25. */
    const double eq[] = { 100, 120, 90, 130, 117 };
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 5, 4.0, &m, &e), RS_OK);
    CU_ASSERT_CLOSE(m.roi_pct, 17.0, 1e-12);
    CU_ASSERT_CLOSE(m.max_dd_pct, 25.0, 1e-12);
    CU_ASSERT_CLOSE(m.cagr_pct, 17.0, 1e-9);
    CU_ASSERT_CLOSE(m.calmar, 17.0 / 25.0, 1e-9);
    CU_ASSERT_EQUAL(m.n_returns, 4);
    CU_ASSERT_EQUAL(m.initial_equity, 100.0);
    CU_ASSERT_EQUAL(m.final_equity, 117.0);
    /* CAGR over 2 years (2 bars a year): sqrt(1.17) − 1 */
    CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 5, 2.0, &m, &e), RS_OK);
    CU_ASSERT_CLOSE(m.cagr_pct, 100 * (sqrt(1.17) - 1), 1e-9);
}

static void test_sharpe_sortino_hand(void) {
    /* returns 0.01, 0.03 (eq 100, 101, 104.03): mean 0.02, sample sd
     * sqrt((0.01² + 0.01²)/1) = 0.0141421; Sharpe = 0.02/0.0141421·sqrt(252)
     * = sqrt(2)·sqrt(252); vol = 100·0.0141421·sqrt(252). */
    const double eq[] = { 100, 101, 104.03 };
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 3, 252, &m, &e), RS_OK);
    CU_ASSERT_CLOSE(m.sharpe, sqrt(2.0) * sqrt(252.0), 1e-9);
    CU_ASSERT_CLOSE(m.vol_pct, 100 * sqrt(2e-4) * sqrt(252.0), 1e-9);
    CU_ASSERT_EQUAL(m.sortino, 0.0);                  /* no negative return */
    CU_ASSERT(m.flags & MT_F_NO_DOWNSIDE);
    CU_ASSERT_FALSE(m.flags & MT_F_ZERO_VAR);
    /* returns +2%, −1%, +2%: mean 0.01; downside sqrt(0.0001/3);
     * Sortino = 0.01/sqrt(0.0001/3)·sqrt(252) = sqrt(3)·sqrt(252). */
    const double eq2[] = { 100, 102, 100.98, 103.0      };
    double eq3[4]; memcpy(eq3, eq2, sizeof eq3); eq3[3] = 100.98 * 1.02;
    CU_ASSERT_EQUAL_FATAL(metrics_trading(eq3, 4, 252, &m, &e), RS_OK);
    CU_ASSERT_CLOSE(m.sortino, sqrt(3.0) * sqrt(252.0), 1e-6);
    /* sd of (0.02, −0.01, 0.02) = sqrt(((0.01)²·2 + 0.02²)/2) = sqrt(3e-4) */
    CU_ASSERT_CLOSE(m.sharpe, 0.01 / sqrt(3e-4) * sqrt(252.0), 1e-6);
}

static void test_constant_returns_defined(void) {
    /* Constant returns: the variance is 0 (up to rounding of eq[t]/eq[t−1])
     * and Sharpe has no finite value.  Documented result: Sharpe 0, vol 0,
     * MT_F_ZERO_VAR — never inf or NaN.  Same for a flat curve and for a
     * single return.  A constant LOSS has a downside deviation, so its
     * Sortino is defined: −sqrt(bars_per_year). */
    double up[253], down[253], flat[10];
    up[0] = down[0] = 1000;
    for (int t = 1; t < 253; t++) { up[t] = up[t - 1] * 1.001; down[t] = down[t - 1] * 0.999; }
    for (int t = 0; t < 10; t++) flat[t] = 5;
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_trading(up, 253, 252, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.sharpe, 0.0);
    CU_ASSERT_EQUAL(m.vol_pct, 0.0);
    CU_ASSERT(m.flags & MT_F_ZERO_VAR);
    CU_ASSERT_EQUAL(m.max_dd_pct, 0.0);               /* monotonically rising */
    CU_ASSERT(m.flags & MT_F_NO_DRAWDOWN);
    CU_ASSERT_EQUAL(m.calmar, 0.0);
    CU_ASSERT_CLOSE(m.cagr_pct, 100 * (pow(1.001, 252) - 1), 1e-6);
    CU_ASSERT_EQUAL_FATAL(metrics_trading(down, 253, 252, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.sharpe, 0.0);
    CU_ASSERT_CLOSE(m.sortino, -sqrt(252.0), 1e-6);
    CU_ASSERT(isfinite(m.calmar) && m.calmar < 0);
    CU_ASSERT_EQUAL_FATAL(metrics_trading(flat, 10, 252, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.sharpe, 0.0); CU_ASSERT_EQUAL(m.sortino, 0.0);
    CU_ASSERT_EQUAL(m.roi_pct, 0.0); CU_ASSERT_EQUAL(m.cagr_pct, 0.0);
    CU_ASSERT_EQUAL_FATAL(metrics_trading(flat, 2, 252, &m, &e), RS_OK);   /* one return */
    CU_ASSERT(m.flags & MT_F_SHORT_CURVE);
    CU_ASSERT_EQUAL(m.sharpe, 0.0);
    CU_ASSERT_EQUAL_FATAL(metrics_trading(flat, 1, 252, &m, &e), RS_OK);   /* no return */
    CU_ASSERT_EQUAL(m.cagr_pct, 0.0);
}

static void test_rising_curve_random(void) {
    /* Any monotonically non-decreasing curve — random increments — has zero
     * drawdown, whatever its returns' variance. */
    rs_rng r; rs_rng_seed(&r, 3);
    double eq[500];
    for (int k = 0; k < 5; k++) {
        eq[0] = 100;
        for (int t = 1; t < 500; t++) eq[t] = eq[t - 1] * (1 + 0.01 * rs_rng_uniform(&r));
        mt_trading m; rs_err e;
        CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 500, 252, &m, &e), RS_OK);
        CU_ASSERT_EQUAL(m.max_dd_pct, 0.0);
        CU_ASSERT(m.sharpe > 0);
        /* one dip of 3% from a peak shows up as exactly that drawdown */
        eq[250] = eq[249] * 0.97;
        for (int t = 251; t < 500; t++) eq[t] = eq[t - 1] * (1 + 0.01 * rs_rng_uniform(&r));
        CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 500, 252, &m, &e), RS_OK);
        CU_ASSERT(m.max_dd_pct >= 3.0 - 1e-9);
    }
}

static void test_blown_account(void) {
    /* Equity through zero: drawdown over 100% is reported as is; returns
     * on a non-positive base are 0 (so −10 → −10 → 5 adds nothing): the
     * returns are −0.5, −1.2, 0, 0; CAGR −100% when the end is <= 0. */
    const double eq[] = { 100, 50, -10, -10, 5 }, end[] = { 100, 50, -10 };
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, 5, 252, &m, &e), RS_OK);
    CU_ASSERT_CLOSE(m.max_dd_pct, 110.0, 1e-9);
    CU_ASSERT_CLOSE(m.sharpe, (-1.7 / 4) / sqrt((pow(-0.5 + 0.425, 2) + pow(-1.2 + 0.425, 2) + 2 * pow(0.425, 2)) / 3) * sqrt(252.0), 1e-9);
    CU_ASSERT(isfinite(m.sharpe) && isfinite(m.sortino) && isfinite(m.calmar) && isfinite(m.cagr_pct));
    CU_ASSERT_EQUAL_FATAL(metrics_trading(end, 3, 252, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.cagr_pct, -100.0);
    CU_ASSERT_CLOSE(m.roi_pct, -110.0, 1e-9);
}

static void test_trade_list(void) {
    /* +300, −100, +50, 0: 4 trades, 2 wins, 1 loss, hit 50%, PF 350/100,
     * average (350 − 100)/4. */
    const double pnl[] = { 300, -100, 50, 0 };
    mt_trading m; memset(&m, 0, sizeof m); rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_trade_list(pnl, 4, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_trades, 4); CU_ASSERT_EQUAL(m.n_wins, 2); CU_ASSERT_EQUAL(m.n_losses, 1);
    CU_ASSERT_CLOSE(m.hit_rate_pct, 50.0, 1e-12);
    CU_ASSERT_CLOSE(m.profit_factor, 3.5, 1e-12);
    CU_ASSERT_CLOSE(m.avg_trade, 62.5, 1e-12);
    CU_ASSERT_FALSE(m.flags & (MT_F_PF_CAPPED | MT_F_NO_TRADES));
    /* no losing trade: PF capped and flagged, not inf */
    const double win[] = { 10, 20 };
    CU_ASSERT_EQUAL_FATAL(metrics_trade_list(win, 2, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.profit_factor, MT_PF_CAP);
    CU_ASSERT(m.flags & MT_F_PF_CAPPED);
    /* a tiny loss: ratio above the cap is capped too */
    const double tiny[] = { 1000, -1 };
    CU_ASSERT_EQUAL_FATAL(metrics_trade_list(tiny, 2, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.profit_factor, MT_PF_CAP);
    CU_ASSERT(m.flags & MT_F_PF_CAPPED);
    /* no trades: all 0, flagged */
    CU_ASSERT_EQUAL_FATAL(metrics_trade_list(NULL, 0, &m, &e), RS_OK);
    CU_ASSERT_EQUAL(m.profit_factor, 0.0); CU_ASSERT_EQUAL(m.hit_rate_pct, 0.0);
    CU_ASSERT_EQUAL(m.avg_trade, 0.0);
    CU_ASSERT(m.flags & MT_F_NO_TRADES);
    CU_ASSERT_FALSE(m.flags & MT_F_PF_CAPPED);
    const double bad[] = { 1, NAN };
    CU_ASSERT_EQUAL(metrics_trade_list(bad, 2, &m, &e), RS_EINPUT);
}

static void test_regression_hand(void) {
    /* y = 1, −2, 3, 0; pred = 2, −1, −1, 5.  errors 1, 1, −4, 5:
     * SSE 43 → RMSE sqrt(43/4); MAE 11/4.  mean(y) 0.5, SST 0.25 + 6.25 +
     * 6.25 + 0.25 = 13 → R² = 1 − 43/13.  Direction over y != 0 (3 samples):
     * (1,2) right, (−2,−1) right, (3,−1) wrong → 2/3. */
    const double y[] = { 1, -2, 3, 0 }, p[] = { 2, -1, -1, 5 };
    mt_regression r; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_regression(y, p, 4, &r, &e), RS_OK);
    CU_ASSERT_CLOSE(r.rmse, sqrt(43.0 / 4), 1e-12);
    CU_ASSERT_CLOSE(r.mae, 2.75, 1e-12);
    CU_ASSERT_CLOSE(r.r2, 1 - 43.0 / 13, 1e-12);
    CU_ASSERT_CLOSE(r.dir_acc, 2.0 / 3, 1e-12);
    CU_ASSERT_EQUAL(r.n_dir, 3);
    /* Persistence (pred 0): SSE 1 + 4 + 9 = 14, MAE 6/4, R² 1 − 14/13,
     * direction 0.5 (no call on every sample). */
    CU_ASSERT_EQUAL_FATAL(metrics_persistence(y, 4, &r, &e), RS_OK);
    CU_ASSERT_CLOSE(r.rmse, sqrt(14.0 / 4), 1e-12);
    CU_ASSERT_CLOSE(r.mae, 1.5, 1e-12);
    CU_ASSERT_CLOSE(r.r2, 1 - 14.0 / 13, 1e-12);
    CU_ASSERT_CLOSE(r.dir_acc, 0.5, 0);
    /* The perfect forecast: RMSE 0, R² 1, direction 1. */
    CU_ASSERT_EQUAL_FATAL(metrics_regression(y, y, 4, &r, &e), RS_OK);
    CU_ASSERT_EQUAL(r.rmse, 0.0); CU_ASSERT_EQUAL(r.r2, 1.0); CU_ASSERT_EQUAL(r.dir_acc, 1.0);
    /* Constant truth: R² undefined → 0, flagged; all-zero truth: dir 0. */
    const double z[] = { 0, 0, 0 }, pz[] = { 1, -1, 0 };
    CU_ASSERT_EQUAL_FATAL(metrics_regression(z, pz, 3, &r, &e), RS_OK);
    CU_ASSERT_EQUAL(r.r2, 0.0); CU_ASSERT(r.flags & MT_F_ZERO_VAR);
    CU_ASSERT_EQUAL(r.n_dir, 0); CU_ASSERT_EQUAL(r.dir_acc, 0.0);
    const double bad[] = { 1, INFINITY };
    CU_ASSERT_EQUAL(metrics_regression(y, bad, 2, &r, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(metrics_regression(y, NULL, 2, &r, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(metrics_regression(y, p, 0, &r, &e), RS_EINPUT);
}

static void test_persistence_vs_model_random(void) {
    /* On a random-walk return series, the forecast "true return + noise"
     * beats persistence on RMSE and direction; persistence's R² is <= 0. */
    rs_rng r; rs_rng_seed(&r, 5);
    static double y[5000], p[5000];
    for (int i = 0; i < 5000; i++) { y[i] = 0.01 * rs_rng_normal(&r); p[i] = y[i] + 0.005 * rs_rng_normal(&r); }
    mt_regression a, b; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_regression(y, p, 5000, &a, &e), RS_OK);
    CU_ASSERT_EQUAL_FATAL(metrics_persistence(y, 5000, &b, &e), RS_OK);
    CU_ASSERT(a.rmse < b.rmse);
    CU_ASSERT(a.dir_acc > 0.8);
    CU_ASSERT(b.r2 <= 0);
    CU_ASSERT_CLOSE(a.r2, 0.75, 0.03);         /* 1 − 0.005²/0.01² */
}

static void test_classes_hand(void) {
    /* y = S, R, L, L, R with rows
     *   .7 .2 .1 → S (right)      .1 .5 .4 → R (right)
     *   .2 .3 .5 → L (right)      .6 .3 .1 → S (wrong, true L)
     *   .4 .4 .2 → tie → RANGE (right).
     * accuracy 4/5.  Confusion [true][pred]: [S][S]=1 [R][R]=2 [L][L]=1 [L][S]=1.
     * F1: S 2·1/(2+1+0) = 2/3; R 2·2/(4) = 1; L 2·1/(2+0+1) = 2/3 → macro 7/9.
     * log-loss −(ln .7 + ln .5 + ln .5 + ln .1 + ln .4)/5. */
    const int y[] = { 0, 1, 2, 2, 1 };
    const double pr[5][3] = { {.7, .2, .1}, {.1, .5, .4}, {.2, .3, .5}, {.6, .3, .1}, {.4, .4, .2} };
    mt_classes c; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_classes(y, pr, 5, &c, &e), RS_OK);
    CU_ASSERT_CLOSE(c.accuracy, 0.8, 1e-12);
    CU_ASSERT_CLOSE(c.macro_f1, 7.0 / 9, 1e-12);
    CU_ASSERT_CLOSE(c.log_loss, -(log(.7) + log(.5) + log(.5) + log(.1) + log(.4)) / 5, 1e-12);
    CU_ASSERT_EQUAL(c.confusion[0][0], 1); CU_ASSERT_EQUAL(c.confusion[1][1], 2);
    CU_ASSERT_EQUAL(c.confusion[2][2], 1); CU_ASSERT_EQUAL(c.confusion[2][0], 1);
    int total = 0;
    for (int i = 0; i < 3; i++) for (int j = 0; j < 3; j++) total += c.confusion[i][j];
    CU_ASSERT_EQUAL(total, 5);
    /* unnormalised rows are normalised; zero probability is clipped, finite */
    const double un[2][3] = { {7, 2, 1}, {0, 1, 0} };
    const int y2[] = { 0, 0 };
    CU_ASSERT_EQUAL_FATAL(metrics_classes(y2, un, 2, &c, &e), RS_OK);
    CU_ASSERT_CLOSE(c.log_loss, (-log(.7) - log(1e-15)) / 2, 1e-9);
    /* a class absent from truth and predictions does not count in macro-F1 */
    const double two[2][3] = { {.9, .1, 0}, {.9, .1, 0} };
    CU_ASSERT_EQUAL_FATAL(metrics_classes(y2, two, 2, &c, &e), RS_OK);
    CU_ASSERT_EQUAL(c.macro_f1, 1.0);
    const int badl[] = { 3 };
    CU_ASSERT_EQUAL(metrics_classes(badl, pr, 1, &c, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "label 3"));
    const double neg[1][3] = { {-0.1, 0.6, 0.5} };
    CU_ASSERT_EQUAL(metrics_classes(y, neg, 1, &c, &e), RS_EINPUT);
    const double zero[1][3] = { {0, 0, 0} };
    CU_ASSERT_EQUAL(metrics_classes(y, zero, 1, &c, &e), RS_EINPUT);
}

static void test_majority_baseline(void) {
    /* Training labels L, L, L, S, R → prior (.2, .2, .6): predicts LONG.
     * On the test labels S, R, L, L, R: accuracy 2/5; log-loss
     * −(ln .2 + ln .2 + ln .6 + ln .6 + ln .2)/5; macro-F1: L has tp 2,
     * fp 3 → 4/7; S and R have fn only → 0: macro (4/7)/3. */
    const int train[] = { 2, 2, 2, 0, 1 }, y[] = { 0, 1, 2, 2, 1 };
    double prior[3]; mt_classes c; rs_err e;
    CU_ASSERT_EQUAL_FATAL(metrics_class_prior(train, 5, prior, &e), RS_OK);
    CU_ASSERT_CLOSE(prior[0], .2, 1e-15); CU_ASSERT_CLOSE(prior[2], .6, 1e-15);
    CU_ASSERT_EQUAL(metrics_argmax3(prior), MT_LONG);
    CU_ASSERT_EQUAL_FATAL(metrics_majority(y, 5, prior, &c, &e), RS_OK);
    CU_ASSERT_CLOSE(c.accuracy, 0.4, 1e-12);
    CU_ASSERT_CLOSE(c.log_loss, -(3 * log(.2) + 2 * log(.6)) / 5, 1e-12);
    CU_ASSERT_CLOSE(c.macro_f1, (4.0 / 7) / 3, 1e-12);
    CU_ASSERT_EQUAL(c.confusion[0][2], 1); CU_ASSERT_EQUAL(c.confusion[2][2], 2);
    const int badt[] = { 0, -1 };
    CU_ASSERT_EQUAL(metrics_class_prior(badt, 2, prior, &e), RS_EINPUT);
}

static void test_argmax_ties(void) {
    const double a[3] = { .5, .2, .3 }, b[3] = { .4, .2, .4 }, c[3] = { .3, .4, .3 }, d[3] = { 0, 0, 1 };
    CU_ASSERT_EQUAL(metrics_argmax3(a), MT_SHORT);
    CU_ASSERT_EQUAL(metrics_argmax3(b), MT_RANGE);   /* SHORT/LONG tie: no view */
    CU_ASSERT_EQUAL(metrics_argmax3(c), MT_RANGE);
    CU_ASSERT_EQUAL(metrics_argmax3(d), MT_LONG);
}

static void test_trading_errors(void) {
    const double eq[] = { 100, 101 }, bad0[] = { 0, 1 }, badn[] = { 100, NAN };
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL(metrics_trading(eq, 0, 252, &m, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(metrics_trading(eq, 2, 0, &m, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "bars_per_year"));
    CU_ASSERT_EQUAL(metrics_trading(bad0, 2, 252, &m, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(metrics_trading(badn, 2, 252, &m, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "eq[1]"));
}

/* A predicted price: its implied log return, the floor for a price at or
 * below zero, NaN for what is not a price at all. */
static void test_implied_log_return(void) {
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(110, 100), log(1.1), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(100, 100), 0, 0);
    const double fl = log(MT_PRICE_FLOOR);
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(0, 100), fl, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(-0.347, 2400), fl, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(-1e300, 1), fl, 1e-15);
    CU_ASSERT(fl < -13.8 && fl > -13.9);
    /* just above the floor: the exact log, continuous with the floor */
    CU_ASSERT_DOUBLE_EQUAL(metrics_implied_log_return(2e-6 * 50, 50), log(2e-6), 1e-12);
    CU_ASSERT(isnan(metrics_implied_log_return(NAN, 100)));
    CU_ASSERT(isnan(metrics_implied_log_return(INFINITY, 100)));
    CU_ASSERT(isnan(metrics_implied_log_return(100, 0)));
    CU_ASSERT(isnan(metrics_implied_log_return(100, -5)));
}

static CU_TestInfo tests[] = {
    { "implied log return of a predicted price (floor at <= 0)", test_implied_log_return },
    { "ROI, drawdown, CAGR, Calmar (hand)", test_roi_drawdown_calmar },
    { "Sharpe, Sortino, volatility (hand)", test_sharpe_sortino_hand },
    { "constant returns: defined Sharpe", test_constant_returns_defined },
    { "rising curve: zero drawdown", test_rising_curve_random },
    { "blown account stays finite", test_blown_account },
    { "trade list: hit rate, PF cap, no trades", test_trade_list },
    { "regression + persistence (hand)", test_regression_hand },
    { "model beats persistence on noise", test_persistence_vs_model_random },
    { "classes: accuracy, F1, log-loss, confusion (hand)", test_classes_hand },
    { "majority-class baseline from training prior", test_majority_baseline },
    { "argmax ties give RANGE", test_argmax_ties },
    { "input errors", test_trading_errors },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("metrics", tests); }
