/* test_backtest.c — the execution engine: hand-computed fills for both
 * strategies, long and short, with and without costs and leverage; gaps,
 * stop-out, margin refusal; the zigzag take-profit count; invariants over
 * seeded random walks. */
#include "tests/cu.h"
#include "worker/backtest.h"
#include "worker/util.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 64
#define TOL 1e-6             /* money; hand cases are exact to ~1e-10 */

/* A tiny price path written in pips around a base price. */
typedef struct { double o[MAXN], h[MAXN], l[MAXN], c[MAXN]; int n; } path_t;

static bt_bars bars_of(const path_t *p) {
    bt_bars b = { p->o, p->h, p->l, p->c, p->n };
    return b;
}

/* bar (o, h, l, c) in pips from base */
static void add(path_t *p, double base, double pip, double o, double h, double l, double c) {
    int t = p->n++;
    p->o[t] = base + o * pip; p->h[t] = base + h * pip;
    p->l[t] = base + l * pip; p->c[t] = base + c * pip;
}

/* The same path reflected around base: highs become lows. */
static void mirror(const path_t *p, path_t *m, double base) {
    m->n = p->n;
    for (int t = 0; t < p->n; t++) {
        m->o[t] = 2 * base - p->o[t]; m->c[t] = 2 * base - p->c[t];
        m->h[t] = 2 * base - p->l[t]; m->l[t] = 2 * base - p->h[t];
    }
}

static void fill(double *a, int n, double v) { for (int i = 0; i < n; i++) a[i] = v; }

/* FX account with no costs: 1 lot = 100,000 units, so 1 pip = $10. */
static bt_strategy fx_nocost(int kind) {
    bt_strategy s;
    strategy_defaults(&s, BT_FX);
    s.kind = kind;
    s.spread = 0; s.slippage = 0; s.commission = 0;
    s.size = 1.0;
    return s;
}

/* ---- signal strategy ----------------------------------------------------------- */

/* Bars (base 1.1000): t0 flat; t1 o+10 h+30 l+0 c+20; t2 o+20 h+50 l+10 c+40;
 * t3 o+40 h+60 l+30 c+50.  Predictions LONG, LONG, SHORT, (ignored). */
static path_t signal_path(void) {
    path_t p = {0};
    add(&p, 1.1, 1e-4, 0, 0, 0, 0);
    add(&p, 1.1, 1e-4, 10, 30, 0, 20);
    add(&p, 1.1, 1e-4, 20, 50, 10, 40);
    add(&p, 1.1, 1e-4, 40, 60, 30, 50);
    return p;
}

static void test_signal_long_short_nocost(void) {
    /* t1: buy 1 lot at 1.1010 (pred t0 LONG).  close 1.1020 → +10 pips = +100.
     * t2: hold.  close 1.1040 → +30 pips = 30300.
     * t3: pred t2 SHORT: sell the long at the open 1.1040 (+300 realised), sell
     *     1 lot short at 1.1040; end of period: buy back at the close 1.1050
     *     (−100).  Final 30200.  Trades +300, −100: PF 3, hit 50%, avg 100. */
    path_t p = signal_path(); bt_bars b = bars_of(&p);
    double ret[4] = { 0.01, 0.01, -0.01, 0.5 };
    bt_preds pr = { ret, NULL };
    bt_strategy s = fx_nocost(BT_SIGNAL);
    mt_trading m; double eq[4], r[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, r, &e), RS_OK);
    CU_ASSERT_EQUAL(eq[0], 30000.0);
    CU_ASSERT_CLOSE(eq[1], 30100, TOL);
    CU_ASSERT_CLOSE(eq[2], 30300, TOL);
    CU_ASSERT_CLOSE(eq[3], 30200, TOL);
    CU_ASSERT_CLOSE(r[1], 100.0 / 30000, 1e-12);
    CU_ASSERT_CLOSE(m.roi_pct, 100.0 * 200 / 30000, 1e-9);
    CU_ASSERT_EQUAL(m.n_trades, 2); CU_ASSERT_EQUAL(m.n_wins, 1); CU_ASSERT_EQUAL(m.n_losses, 1);
    CU_ASSERT_CLOSE(m.profit_factor, 3.0, 1e-9);
    CU_ASSERT_CLOSE(m.hit_rate_pct, 50.0, 1e-12);
    CU_ASSERT_CLOSE(m.avg_trade, 100.0, TOL);
    CU_ASSERT_CLOSE(m.costs_paid, 0.0, 0);
    CU_ASSERT_CLOSE(m.exposure_pct, 100.0, 1e-12);
    CU_ASSERT_CLOSE(m.max_dd_pct, 100.0 * 100 / 30300, 1e-9);   /* 30300 → 30200 */
    CU_ASSERT_EQUAL(m.max_open_levels, 1);
    /* four fills: 1.1010, 1.1040, 1.1040, 1.1050, 100,000 units each */
    CU_ASSERT_CLOSE(m.turnover, 1e5 * (1.1010 + 1.1040 + 1.1040 + 1.1050) / 30000, 1e-9);
}

static void test_signal_long_short_costs(void) {
    /* Spread 1 pip (half = 0.5 pip), slippage 0.5 pip, commission $5 per lot
     * per side: every fill moves 1 pip (= $10) against us and pays $5.
     * t1: buy at 1.1011, balance 29995; mark 1.1020: 29995 + 90 = 30085.
     * t2: mark 1.1040: 29995 + 290 = 30285.
     * t3: sell long at 1.1039: +280 − 5 → 30270 (trade 280−5−5 = 270);
     *     sell short at 1.1039, −5 → 30265; end: buy at 1.1051:
     *     −120 − 5 → 30140 (trade −120−5−5 = −130).
     * costs = 4 × (10 + 5) = 60 = 30200 − 30140. */
    path_t p = signal_path(); bt_bars b = bars_of(&p);
    double ret[4] = { 0.01, 0.01, -0.01, 0.5 };
    bt_preds pr = { ret, NULL };
    bt_strategy s = fx_nocost(BT_SIGNAL);
    s.spread = 1.0; s.slippage = 0.5; s.commission = 5.0;
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 30085, TOL);
    CU_ASSERT_CLOSE(eq[2], 30285, TOL);
    CU_ASSERT_CLOSE(eq[3], 30140, TOL);
    CU_ASSERT_CLOSE(m.costs_paid, 60, TOL);
    CU_ASSERT_CLOSE(m.gross_profit, 270, TOL);
    CU_ASSERT_CLOSE(m.gross_loss, 130, TOL);
    CU_ASSERT_CLOSE(m.profit_factor, 270.0 / 130, 1e-9);
}

static void test_signal_short_equity_bp(void) {
    /* Equity account, unlevered, fully invested (size 1.0 × equity), bars
     * t0 100 flat; t1 o100 h101 l95 c96; t2 o96 h97 l89 c90; preds SHORT.
     * No costs: t1 sell 30000/100 = 300 shares at 100; mark 96: +1200;
     * end: buy back at 90: +3000 → 33000.
     * Costs 2 bp spread (1 bp per side) + 1 bp commission per side:
     * t1 sell at 100 − 0.01 = 99.99, commission 1e-4·300·100 = 3 → 29997;
     *    mark 96: 29997 + 300·3.99 = 31194.
     * t2 buy at 90 + 0.009 = 90.009: gross 300·(99.99 − 90.009) = 2994.3,
     *    commission 2.7 → 32988.6.  costs = 3 + 3 + 2.7 + 2.7 = 11.4. */
    path_t p = {0};
    add(&p, 0, 1, 100, 100, 100, 100);
    add(&p, 0, 1, 100, 101, 95, 96);
    add(&p, 0, 1, 96, 97, 89, 90);
    bt_bars b = bars_of(&p);
    double ret[3] = { -0.02, -0.02, 0 };
    bt_preds pr = { ret, NULL };
    bt_strategy s; strategy_defaults(&s, BT_EQUITY);
    s.spread = 0; s.commission = 0;
    mt_trading m; double eq[3]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 31200, TOL);
    CU_ASSERT_CLOSE(eq[2], 33000, TOL);
    CU_ASSERT_CLOSE(m.roi_pct, 10.0, 1e-9);

    strategy_defaults(&s, BT_EQUITY);            /* 2 bp spread, 1 bp commission */
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 31194, TOL);
    CU_ASSERT_CLOSE(eq[2], 32988.6, TOL);
    CU_ASSERT_CLOSE(m.costs_paid, 11.4, TOL);

    /* long-only turns the same SHORT predictions into no trade at all */
    s.long_only = 1;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_trades, 0);
    CU_ASSERT_EQUAL(m.final_equity, 30000.0);
}

static void test_leverage_sizing(void) {
    /* Same path, LONG, no costs.  size 2 × equity = 600 shares = $60,000 of
     * notional needs margin 60000/leverage: refused at leverage 1 (margin
     * level 50% < the 100% margin call), accepted at leverage 2, and then the
     * P&L is exactly twice the unlevered one: −600·(100 − 90) = −6000. */
    path_t p = {0};
    add(&p, 0, 1, 100, 100, 100, 100);
    add(&p, 0, 1, 100, 101, 95, 96);
    add(&p, 0, 1, 96, 97, 89, 90);
    bt_bars b = bars_of(&p);
    double ret[3] = { 0.02, 0.02, 0 };
    bt_preds pr = { ret, NULL };
    bt_strategy s; strategy_defaults(&s, BT_EQUITY);
    s.spread = 0; s.commission = 0; s.size = 2.0;
    mt_trading m; double eq[3]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_trades, 0);
    CU_ASSERT(m.n_rejected >= 1);
    CU_ASSERT_EQUAL(m.final_equity, 30000.0);
    s.leverage = 2;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_rejected, 0);
    CU_ASSERT_CLOSE(eq[1], 30000 - 600 * 4, TOL);
    CU_ASSERT_CLOSE(eq[2], 24000, TOL);
    CU_ASSERT_EQUAL(m.n_stopouts, 0);
}

static void test_classes_signal(void) {
    /* Class probabilities on the signal path.  t0 LONG 0.5 (wins), t1 LONG
     * 0.45 but below min_prob 0.5 → RANGE, t2 SHORT.  So: buy at t1's open
     * 1.1010, close at t2's open 1.1020 (+100), short at t3's open 1.1040,
     * buy back at 1.1050 (−100): final 30000 with two trades. */
    path_t p = signal_path(); bt_bars b = bars_of(&p);
    double prob[4][3] = { {0.2, 0.3, 0.5}, {0.25, 0.3, 0.45}, {0.6, 0.3, 0.1}, {0, 1, 0} };
    bt_preds pr = { NULL, (const double (*)[3])prob };
    bt_strategy s = fx_nocost(BT_SIGNAL);
    s.min_prob = 0.5;
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 30100, TOL);
    CU_ASSERT_CLOSE(eq[2], 30100, TOL);   /* flat through t2 */
    CU_ASSERT_CLOSE(eq[3], 30000, TOL);
    CU_ASSERT_EQUAL(m.n_trades, 2);
    CU_ASSERT_CLOSE(m.exposure_pct, 100.0, 1e-9);   /* t2 held the long through the gap */
    s.min_prob = 0;                        /* now t1 stays LONG: hold to t3's open */
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[2], 30300, TOL);
    CU_ASSERT_CLOSE(eq[3], 30200, TOL);
}

/* ---- grid strategy -------------------------------------------------------------- */

/* Pips from 1.1000.  Spacing 10 pips, 3 levels, take-profit 1 spacing, 1 lot
 * ($10 a pip), predictions LONG throughout.
 *   t0  0   0   0   0
 *   t1  o 0    h +2   l −25  c −22
 *   t2  o −22  h −8   l −24  c −9
 *   t3  o −5   h +1   l −6   c 0      (last bar)
 * t1: market buy at the open, level 0 (tp +10).  Both orders could fire:
 *   against first (low first) 0→−25: buy −10 (tp 0), −20 (tp −10); −25→+2:
 *     both take profit (+10, +10 pips); +2→−22: buy −10, −20 again.
 *     realised +200, float (−22) + (−12) + (−2) = −36 pips → 29840.
 *   with first (high first) 0→+2: nothing; +2→−25: buy −10, −20; −25→−22:
 *     nothing.  float −36 pips → 29640.   Lower: with first.  eq 29640.
 * t2: book {0, −10, −20} (full).
 *   against first: −22→−24 nothing; −24→−8: −20 takes profit at −10 (+100);
 *     −8→−9 nothing.  book {0, −10}: float −9 + 1 = −8 pips → 30020.
 *   with first: −22→−8: tp at −10 (+100); −8→−24: buy −20 again;
 *     −24→−9: tp at −10 (+100): book {0, −10} → 30120.  Lower: against.
 * t3: gap −9→−5 fires nothing; either order: −10 takes profit at 0 (+100);
 *   end of period: sell the 0 entry at the close 0 (±0).  Final 30200.
 * Trades +100, +100, 0; 2 take-profits; 3 levels at most. */
static path_t grid_path(void) {
    path_t p = {0};
    add(&p, 1.1, 1e-4, 0, 0, 0, 0);
    add(&p, 1.1, 1e-4, 0, 2, -25, -22);
    add(&p, 1.1, 1e-4, -22, -8, -24, -9);
    add(&p, 1.1, 1e-4, -5, 1, -6, 0);
    return p;
}

static bt_strategy grid_strategy(void) {
    bt_strategy s = fx_nocost(BT_GRID);
    s.spacing = 10; s.spacing_unit = BT_PIPS; s.max_levels = 3; s.tp_spacings = 1;
    return s;
}

static void test_grid_long_nocost(void) {
    path_t p = grid_path(); bt_bars b = bars_of(&p);
    double ret[4]; fill(ret, 4, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29640, TOL);
    CU_ASSERT_CLOSE(eq[2], 30020, TOL);
    CU_ASSERT_CLOSE(eq[3], 30200, TOL);
    CU_ASSERT_EQUAL(m.n_trades, 3);
    CU_ASSERT_EQUAL(m.n_wins, 2);
    CU_ASSERT_EQUAL(m.n_losses, 0);
    CU_ASSERT_EQUAL(m.n_take_profits, 2);
    CU_ASSERT_EQUAL(m.max_open_levels, 3);
    CU_ASSERT_EQUAL(m.profit_factor, MT_PF_CAP);
    CU_ASSERT(m.flags & MT_F_PF_CAPPED);
}

static void test_grid_adverse_path(void) {
    /* The same path under "always low first" (BT_PATH_AGAINST): t1 keeps the
     * two intrabar round trips (29840), t2 then takes one more profit
     * (30300 − 80 = 30220), t3 one more: 30400.  The adverse rule refuses
     * those unprovable round trips: 30200.  "Always high first" (BT_PATH_WITH)
     * takes the t2 round trip instead: t1 29640, t2 30120, final 30300. */
    path_t p = grid_path(); bt_bars b = bars_of(&p);
    double ret[4]; fill(ret, 4, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    mt_trading m; double eq[4]; rs_err e;
    s.bar_path = BT_PATH_AGAINST;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29840, TOL);
    CU_ASSERT_CLOSE(eq[2], 30220, TOL);
    CU_ASSERT_CLOSE(eq[3], 30400, TOL);
    s.bar_path = BT_PATH_WITH;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29640, TOL);
    CU_ASSERT_CLOSE(eq[2], 30120, TOL);
    CU_ASSERT_CLOSE(eq[3], 30300, TOL);
}

static void test_grid_long_costs(void) {
    /* Spread 1 pip: every fill pays 0.5 pip = $5.  The path choice is made
     * before costs, so the fills are those of the no-cost case: t1 three
     * buys (0, −10, −20), t2 one take-profit, t3 one take-profit and the
     * final sale: 6 fills, $30.
     *   −20 entry: bought −19.5, sold −10.5: +9 pips = +90
     *   −10 entry: bought −9.5,  sold −0.5:  +90
     *   0 entry:   bought +0.5,  sold −0.5:  −10
     * Final 30170; PF 180/10 = 18. */
    path_t p = grid_path(); bt_bars b = bars_of(&p);
    double ret[4]; fill(ret, 4, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    s.spread = 1.0;
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29640 - 15, TOL);
    CU_ASSERT_CLOSE(eq[2], 30020 - 20, TOL);
    CU_ASSERT_CLOSE(eq[3], 30170, TOL);
    CU_ASSERT_CLOSE(m.costs_paid, 30, TOL);
    CU_ASSERT_EQUAL(m.n_wins, 2); CU_ASSERT_EQUAL(m.n_losses, 1);
    CU_ASSERT_CLOSE(m.profit_factor, 18.0, 1e-9);
}

static void test_grid_short_mirror(void) {
    /* A short grid on the mirrored path is the long case, fill for fill:
     * the same equity curve with and without costs. */
    path_t p = grid_path(), q; mirror(&p, &q, 1.1);
    bt_bars b = bars_of(&q);
    double ret[4]; fill(ret, 4, -0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29640, TOL);
    CU_ASSERT_CLOSE(eq[2], 30020, TOL);
    CU_ASSERT_CLOSE(eq[3], 30200, TOL);
    CU_ASSERT_EQUAL(m.n_take_profits, 2);
    s.spread = 1.0;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[3], 30170, TOL);
    /* and long-only refuses to open it at all */
    s.long_only = 1;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_trades, 0);
}

static void test_grid_flip_range_basket(void) {
    /* Pips from 1.1000, spacing 10, 1 lot, no costs.
     *   t0 0 flat                       pred LONG
     *   t1 o 0   h 3   l −12  c −11     pred RANGE
     *   t2 o −11 h −9  l −25  c −24     pred SHORT
     *   t3 o −24 h −20 l −30  c −28
     * t1: buy at 0; against first: −10 filled, −12→3: tp 0 hit (+100),
     *   3→−11: −10 again → book {0, −10}, float −11−1 = −12 pips, 30100 − 120
     *   = 29980.  with first: 0→3 nothing, 3→−12 buy −10, −12→−11 nothing:
     *   29880.  Lower: with first.  eq 29880, book {0, −10}.
     * t2 (RANGE): no new level at −20 although the low is −25; the high −9
     *   reaches the −10 entry's tp 0?  No (−9 < 0).  eq = 30000 − 240 − 140 =
     *   29620.
     * t3 (SHORT): without close_on_flip the long book stays, no short is
     *   opened; end: sold at −28: −280 − 180 → 29540.
     * With close_on_flip: sold at t3's open −24 (−240, −140 → 29620), sell
     *   short at −24 (tp −34); end: bought back at −28: +40 → 29660. */
    path_t p = {0};
    add(&p, 1.1, 1e-4, 0, 0, 0, 0);
    add(&p, 1.1, 1e-4, 0, 3, -12, -11);
    add(&p, 1.1, 1e-4, -11, -9, -25, -24);
    add(&p, 1.1, 1e-4, -24, -20, -30, -28);
    bt_bars b = bars_of(&p);
    double ret[4] = { 0.01, 0, -0.01, 0 };
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    s.max_levels = 5;
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29880, TOL);
    CU_ASSERT_CLOSE(eq[2], 29620, TOL);
    CU_ASSERT_CLOSE(eq[3], 29540, TOL);
    CU_ASSERT_EQUAL(m.max_open_levels, 2);
    s.close_on_flip = 1;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[2], 29620, TOL);
    CU_ASSERT_CLOSE(eq[3], 29660, TOL);
    CU_ASSERT_EQUAL(m.n_trades, 3);
    /* basket take-profit $50: t1's book {0, −10} floats +50 at −2.5 pips on
     * the way up — but with first (lower) never comes back up after the
     * −10 buy.  Give t1 a close above: new path, see below. */
    path_t q = {0};
    add(&q, 1.1, 1e-4, 0, 0, 0, 0);
    add(&q, 1.1, 1e-4, 0, 0, -12, -12);       /* buy 0, buy −10: float −140 → 29860 */
    add(&q, 1.1, 1e-4, -12, 1, -12, 1);       /* float reaches +50 at −2.5: basket */
    /* t2: against first (low first from the open = low) −12→1: basket at
     *   −2.5 (before the tp 0 at 0): +[(−2.5) + 7.5]·10 = +50 → 30050, flat;
     *   1→1 nothing.  with first: same up leg, same basket.  Last bar: flat. */
    bt_bars bq = bars_of(&q);
    double ret3[3] = { 0.01, 0.01, 0.01 };
    bt_preds pq = { ret3, NULL };
    s = grid_strategy(); s.max_levels = 5; s.basket_tp = 50;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &bq, &pq, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29860, TOL);
    CU_ASSERT_CLOSE(eq[2], 30050, TOL);
    CU_ASSERT_EQUAL(m.n_baskets, 1);
    CU_ASSERT_EQUAL(m.n_take_profits, 0);
    CU_ASSERT_EQUAL(m.n_trades, 2);
}

static void test_grid_gap_fill(void) {
    /* A grid level the open gaps through fills at the OPEN, never at the
     * level; its take-profit stays on the level grid (level + S).
     * Pips from 1.1000, spacing 10, 1 lot, no costs, LONG throughout.
     *   t1 o 0   h 2   l −3   c −2:  buy at 0 (tp 10); −10 not reached.
     *      29980.
     *   t2 o −15 h −12 l −16 c −13: the gap −2 → −15 passes level −10: bought
     *      at −15 (tp 0); −20 not reached.  float −13 + 2 = −11 pips → 29890.
     *   t3 o −12 h 1 l −13 c 0 (last):
     *      low first: −12→−13 nothing; −13→1: tp 0 (+15 pips); 1→0 nothing.
     *      high first: −12→1: tp 0 (+15); 1→−13: buy −10 again; −13→0: tp 0
     *      (+10) — higher, so the adverse rule keeps low first.
     *      end: the 0 entry sold at 0.  Final 30150. */
    path_t p = {0};
    add(&p, 1.1, 1e-4, 0, 0, 0, 0);
    add(&p, 1.1, 1e-4, 0, 2, -3, -2);
    add(&p, 1.1, 1e-4, -15, -12, -16, -13);
    add(&p, 1.1, 1e-4, -12, 1, -13, 0);
    bt_bars b = bars_of(&p);
    double ret[4]; fill(ret, 4, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    mt_trading m; double eq[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 29980, TOL);
    CU_ASSERT_CLOSE(eq[2], 29890, TOL);
    CU_ASSERT_CLOSE(eq[3], 30150, TOL);
    CU_ASSERT_EQUAL(m.n_take_profits, 1);
    CU_ASSERT_CLOSE(m.gross_profit, 150, TOL);
}

static void test_grid_zigzag_take_profits(void) {
    /* Price zigzags between a top T and T − A with A = k·S exactly (pip =
     * 1/1024 so every level is exact in binary): one bar falls T → T−A, the
     * next rises T−A → T.  The first entry is bought at T (tp T+S, never
     * reached); each fall fills k levels, each rise takes profit on all k.
     * Exactly k take-profits per cycle, k·S·units profit each cycle; the T
     * entry is sold at T at the end (±0). */
    for (int k = 1; k <= 4; k++) {
        const double pip = 1.0 / 1024, S = 2;            /* spacing 2 pips */
        const int cycles = 20;
        path_t p = {0};
        add(&p, 1.0, pip, 0, 0, 0, 0);
        for (int c = 0; c < cycles; c++) {
            add(&p, 1.0, pip, 0, 0, -k * S, -k * S);
            add(&p, 1.0, pip, -k * S, 0, -k * S, 0);
        }
        bt_bars b = bars_of(&p);
        double ret[MAXN]; fill(ret, p.n, 0.01);
        bt_preds pr = { ret, NULL };
        bt_strategy s = fx_nocost(BT_GRID);
        s.pip_size = pip; s.spacing = S; s.max_levels = k + 1; s.tp_spacings = 1;
        for (int path = BT_PATH_ADVERSE; path <= BT_PATH_WITH; path++) {
            s.bar_path = path;
            mt_trading m; rs_err e;
            CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_OK);
            CU_ASSERT_EQUAL(m.n_take_profits, k * cycles);
            CU_ASSERT_EQUAL(m.max_open_levels, k + 1);
            CU_ASSERT_EQUAL(m.final_equity, 30000 + k * cycles * S * pip * 1e5);
        }
    }
}

static void test_grid_percent_atr_spacing(void) {
    /* Bars with no gaps and a constant 20-pip range: the ATR is 20 pips, so
     * spacing 0.5 ATR must trade exactly like spacing 10 pips; and 1% of a
     * constant 1.0 close... is checked via a path whose closes are 1.0. */
    rs_rng r; rs_rng_seed(&r, 11);
    path_t p = {0};
    double c = 1.1;
    add(&p, 0, 1, c, c + 0.001, c - 0.001, c);
    for (int t = 1; t < MAXN; t++) {
        double o = c, nc = o + (rs_rng_uniform(&r) - 0.5) * 0.0015;
        double hi = fmax(o, nc), lo = fmin(o, nc), pad = (0.0020 - (hi - lo)) / 2;
        add(&p, 0, 1, o, hi + pad, lo - pad, nc);
        c = nc;
    }
    bt_bars b = bars_of(&p);
    double ret[MAXN];
    for (int t = 0; t < MAXN; t++) ret[t] = (t / 16) % 2 ? -0.01 : 0.01;
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    s.max_levels = 6; s.spread = 0.3;
    mt_trading m1, m2; double e1[MAXN], e2[MAXN]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m1, e1, NULL, &e), RS_OK);
    s.spacing_unit = BT_ATR; s.spacing = 0.5; s.atr_period = 5;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m2, e2, NULL, &e), RS_OK);
    CU_ASSERT(m1.n_trades > 5);
    CU_ASSERT_EQUAL(m1.n_trades, m2.n_trades);
    for (int t = 0; t < MAXN; t++) CU_ASSERT_CLOSE(e1[t], e2[t], 1e-6);
    /* percent: closes near 1.1, 10 pips ≈ 0.0909% — the same trades need the
     * same levels, so instead check the spacing scales: 1% spacing on this
     * path (110 pips) never fills a second level. */
    s.spacing_unit = BT_PERCENT; s.spacing = 1.0;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m2, NULL, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m2.max_open_levels, 1);
}

static void test_grid_adaptive(void) {
    /* A steady fall of 5 pips a bar under a LONG grid, spacing 10 pips:
     * without adaptation a level every 2 bars.  Adaptation widens the
     * spacing while the drawdown grows, so fewer levels; a cap of 1 makes
     * the factor irrelevant (identical to no adaptation). */
    path_t p = {0};
    add(&p, 1.1, 1e-4, 0, 0, 0, 0);
    for (int t = 1; t < 40; t++) add(&p, 1.1, 1e-4, -5.0 * (t - 1) - 0.1, -5.0 * (t - 1) - 0.1, -5.0 * t - 0.1, -5.0 * t - 0.1);
    bt_bars b = bars_of(&p);
    double ret[MAXN]; fill(ret, p.n, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    s.max_levels = 50; s.size = 0.1; s.spacing = 10.3;   /* no level on a bar low */
    mt_trading m0, m1, m2; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m0, NULL, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m0.max_open_levels, 19);   /* entry at −0.1, levels to −0.1 − 18·10.3 */
    s.adapt_factor = 2; s.adapt_max = 4;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m1, NULL, NULL, &e), RS_OK);
    CU_ASSERT(m1.max_open_levels < m0.max_open_levels);
    CU_ASSERT(m1.max_open_levels >= 195 / 42);  /* at worst every 4·10.3 pips */
    CU_ASSERT(m1.final_equity > m0.final_equity);
    s.adapt_max = 1;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m2, NULL, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m2.max_open_levels, m0.max_open_levels);
    CU_ASSERT_EQUAL(m2.final_equity, m0.final_equity);
}

/* ---- margin, stop-out, gaps -------------------------------------------------------- */

static void test_stop_out(void) {
    /* 10 lots (1,000,000 units) at 1.0000, leverage 100: margin $10,000;
     * stop-out 50% = equity $5,000 = 30000 + 1e6·(p − 1) → p = 0.9750.
     *   t1 o1.00 h1.01 l0.99 c1.00: buy at 1.00.
     *   t2 o1.00 h1.00 l0.97 c0.98: the low passes 0.975: closed there,
     *      equity 5000 (loss −25,000).
     *   t3 o0.98 h1.05 l0.98 c1.05: the run continues FLAT at 5000 although
     *      every prediction is LONG. */
    path_t p = {0};
    add(&p, 0, 1, 1.0, 1.0, 1.0, 1.0);
    add(&p, 0, 1, 1.0, 1.01, 0.99, 1.0);
    add(&p, 0, 1, 1.0, 1.0, 0.97, 0.98);
    add(&p, 0, 1, 0.98, 1.05, 0.98, 1.05);
    bt_bars b = bars_of(&p);
    double ret[4]; fill(ret, 4, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = fx_nocost(BT_SIGNAL);
    s.size = 10; s.leverage = 100;
    mt_trading m; double eq[4], r[4]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, r, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[1], 30000, TOL);
    CU_ASSERT_CLOSE(eq[2], 5000, 1e-5);
    CU_ASSERT_CLOSE(eq[3], 5000, 1e-5);
    CU_ASSERT_EQUAL(r[3], 0.0);
    CU_ASSERT_EQUAL(m.n_stopouts, 1);
    CU_ASSERT_EQUAL(m.stopout_bar, 2);
    CU_ASSERT(m.flags & MT_F_STOPPED_OUT);
    CU_ASSERT_EQUAL(m.n_trades, 1);
    CU_ASSERT_CLOSE(m.gross_loss, 25000, 1e-5);
    /* Gap: t2 opens at 0.96, below the stop price: filled at the open
     * (−40,000 → −10,000), never at the better 0.975. */
    p.o[2] = 0.96; p.h[2] = 0.97; p.l[2] = 0.95; p.c[2] = 0.96;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, r, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[2], -10000, 1e-5);
    CU_ASSERT_CLOSE(m.final_equity, -10000, 1e-5);
    CU_ASSERT_EQUAL(r[3], 0.0);                 /* nothing after a blown account */
    CU_ASSERT_EQUAL(m.cagr_pct, -100.0);
    /* Stop-out 0%: liquidation exactly at zero equity, p = 0.97: the bar
     * low 0.97 reaches it. */
    p.o[2] = 1.0; p.h[2] = 1.0; p.l[2] = 0.97; p.c[2] = 0.98;
    s.stop_out_pct = 0;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, r, &e), RS_OK);
    CU_ASSERT_CLOSE(eq[2], 0, 1e-5);
    CU_ASSERT_EQUAL(m.n_stopouts, 1);
}

static void test_grid_stop_out(void) {
    /* A long grid keeps buying into a fall until the stop-out: 5 lots a
     * level, leverage 50, spacing 100 pips, straight down 50 pips a bar.
     * The account must be stopped out once, stay flat afterwards, and the
     * stop-out must have happened at margin level <= 50%: equity after is
     * at most half the used margin before. */
    path_t p = {0};
    add(&p, 1.0, 1e-4, 0, 0, 0, 0);
    for (int t = 1; t < 40; t++) add(&p, 1.0, 1e-4, -50.0 * (t - 1), -50.0 * (t - 1), -50.0 * t, -50.0 * t);
    bt_bars b = bars_of(&p);
    double ret[MAXN]; fill(ret, p.n, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    s.spacing = 99; s.max_levels = 50; s.size = 5; s.leverage = 50;   /* 99: no level on a bar low */
    mt_trading m; double eq[MAXN]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, NULL, &e), RS_OK);
    CU_ASSERT_EQUAL(m.n_stopouts, 1);
    CU_ASSERT(m.stopout_bar > 1 && m.stopout_bar < 39);
    for (int t = m.stopout_bar + 1; t < p.n; t++) CU_ASSERT_EQUAL(eq[t], eq[m.stopout_bar]);
    /* levels k = 0..K−1 at 1 − 0.0099k, 500,000 units each, margin 10,000·(1 − 0.0099k) */
    int K = m.max_open_levels;
    double margin = 0; for (int k = 0; k < K; k++) margin += 1e4 * (1 - 0.0099 * k);
    CU_ASSERT(eq[m.stopout_bar] <= 0.5 * margin + 1e-6);
    CU_ASSERT(eq[m.stopout_bar] > 0.5 * margin - 1e-6);   /* filled AT the stop price, no gap */
}

/* ---- invariants over random walks --------------------------------------------------- */

#define RW_N 3000
static double rw_o[RW_N], rw_h[RW_N], rw_l[RW_N], rw_c[RW_N], rw_pred[RW_N];

/* A random walk with gaps and wicks, daily-FX-like (~50 pips a bar). */
static bt_bars random_walk(uint64_t seed, int n) {
    rs_rng r; rs_rng_seed(&r, seed);
    double c = 1.1;
    for (int t = 0; t < n; t++) {
        double o = c * (1 + 0.0005 * rs_rng_normal(&r));
        double cl = o * (1 + 0.004 * rs_rng_normal(&r));
        rw_o[t] = o; rw_c[t] = cl;
        rw_h[t] = fmax(o, cl) * (1 + 0.002 * fabs(rs_rng_normal(&r)));
        rw_l[t] = fmin(o, cl) * (1 - 0.002 * fabs(rs_rng_normal(&r)));
        rw_pred[t] = 0.003 * rs_rng_normal(&r);
        c = cl;
    }
    bt_bars b = { rw_o, rw_h, rw_l, rw_c, n };
    return b;
}

static void test_flat_is_exactly_zero(void) {
    /* Predictions never past θ (or RANGE classes): not one fill, every mark
     * exactly the initial balance, for both strategies and any cost. */
    static double eq[RW_N], r[RW_N], probs[RW_N][3];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        bt_bars b = random_walk(seed, RW_N);
        for (int t = 0; t < RW_N; t++) { probs[t][0] = 0.3; probs[t][1] = 0.4; probs[t][2] = 0.3; }
        bt_preds pr = { rw_pred, NULL }, pc = { NULL, (const double (*)[3])probs };
        for (int kind = BT_SIGNAL; kind <= BT_GRID; kind++) {
            bt_strategy s; strategy_defaults(&s, seed % 2 ? BT_FX : BT_EQUITY);
            s.kind = kind; s.threshold = 1.0; s.commission = 3;
            mt_trading m; rs_err e;
            for (int c = 0; c < 2; c++) {
                CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, c ? &pc : &pr, &m, eq, r, &e), RS_OK);
                int exact = 1;
                for (int t = 0; t < RW_N; t++) exact &= eq[t] == s.initial_balance && r[t] == 0.0;
                CU_ASSERT(exact);
                CU_ASSERT_EQUAL(m.roi_pct, 0.0);
                CU_ASSERT_EQUAL(m.n_trades, 0);
                CU_ASSERT_EQUAL(m.costs_paid, 0.0);
                CU_ASSERT_EQUAL(m.exposure_pct, 0.0);
                CU_ASSERT_EQUAL(m.sharpe, 0.0);
                CU_ASSERT(m.flags & MT_F_ZERO_VAR);
            }
        }
    }
}

static void test_costs_monotonic(void) {
    /* When no decision depends on equity (lots sizing, ample margin, no
     * adaptive spacing, no basket) the fills are the same whatever the
     * costs, so ROI must not rise with any cost component — signal and grid,
     * every path rule, five random walks.  A run without trades would make
     * this vacuous: require trades. */
    for (uint64_t seed = 10; seed < 15; seed++) {
        bt_bars b = random_walk(seed, RW_N);
        bt_preds pr = { rw_pred, NULL };
        for (int kind = BT_SIGNAL; kind <= BT_GRID; kind++)
            for (int path = BT_PATH_ADVERSE; path <= BT_PATH_WITH; path++) {
                bt_strategy s; strategy_defaults(&s, BT_FX);
                s.kind = kind; s.bar_path = path; s.threshold = 0.001;
                s.spacing = 30; s.max_levels = 8; s.size = 0.1;
                s.spread = 0; s.commission = 0; s.slippage = 0;
                mt_trading m; rs_err e;
                CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_OK);
                double prev = m.roi_pct; int trades = m.n_trades;
                CU_ASSERT(trades >= 10);
                const double spreads[] = { 0.5, 1, 2, 5 };
                for (int i = 0; i < 4; i++) {
                    s.spread = spreads[i];
                    backtest_run(&s, &b, &pr, &m, NULL, NULL, &e);
                    CU_ASSERT(m.roi_pct <= prev);
                    CU_ASSERT_EQUAL(m.n_trades, trades);
                    CU_ASSERT_EQUAL(m.n_stopouts + m.n_rejected, 0);
                    prev = m.roi_pct;
                }
                for (int i = 1; i <= 3; i++) {
                    s.commission = 3.5 * i;
                    backtest_run(&s, &b, &pr, &m, NULL, NULL, &e);
                    CU_ASSERT(m.roi_pct <= prev);
                    prev = m.roi_pct;
                }
                s.slippage = 0.7;
                backtest_run(&s, &b, &pr, &m, NULL, NULL, &e);
                CU_ASSERT(m.roi_pct < prev);
                CU_ASSERT_EQUAL(m.n_trades, trades);
            }
    }
}

static void test_curve_matches_metrics(void) {
    /* The engine's online metrics equal metrics_trading() of the curve it
     * hands back, and the returns buffer is the curve's returns. */
    static double eq[RW_N], r[RW_N];
    bt_bars b = random_walk(77, RW_N);
    bt_preds pr = { rw_pred, NULL };
    for (int kind = BT_SIGNAL; kind <= BT_GRID; kind++) {
        bt_strategy s; strategy_defaults(&s, BT_FX);
        s.kind = kind; s.commission = 2;
        mt_trading m, c; rs_err e;
        CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, eq, r, &e), RS_OK);
        CU_ASSERT_EQUAL_FATAL(metrics_trading(eq, RW_N, s.bars_per_year, &c, &e), RS_OK);
        CU_ASSERT_EQUAL(m.roi_pct, c.roi_pct);
        CU_ASSERT_EQUAL(m.max_dd_pct, c.max_dd_pct);
        CU_ASSERT_EQUAL(m.sharpe, c.sharpe);
        CU_ASSERT_EQUAL(m.sortino, c.sortino);
        CU_ASSERT_EQUAL(m.cagr_pct, c.cagr_pct);
        CU_ASSERT_EQUAL(m.final_equity, eq[RW_N - 1]);
        CU_ASSERT(m.n_trades > 0 && m.sharpe != 0);
        int ok = 1;
        for (int t = 1; t < RW_N; t++) ok &= r[t] == eq[t] / eq[t - 1] - 1;
        CU_ASSERT(ok);
    }
}

static void test_buy_and_hold(void) {
    /* Equity defaults (unlevered, all in, 1 bp per side + 1 bp commission).
     * t0 100; t1 o 101 c 104; t2 o 103 c 110.  Buy at t1's open:
     * 30000/101 shares, fill 101·(1 + 1e-4), commission 1e-4·30000 = 3;
     * sell at 110·(1 − 1e-4), commission 1e-4·q·110. */
    path_t p = {0};
    add(&p, 0, 1, 100, 100, 100, 100);
    add(&p, 0, 1, 101, 105, 100, 104);
    add(&p, 0, 1, 103, 111, 102, 110);
    bt_bars b = bars_of(&p);
    bt_strategy s; strategy_defaults(&s, BT_EQUITY);
    s.kind = BT_GRID;                       /* ignored by buy-and-hold */
    mt_trading m; double eq[3]; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_buy_and_hold(&s, &b, &m, eq, NULL, &e), RS_OK);
    double q = 30000.0 / 101, fin = 30000 - 3 + q * (110 * (1 - 1e-4) - 101 * (1 + 1e-4)) - 1e-4 * q * 110;
    CU_ASSERT_CLOSE(eq[1], 30000 - 3 + q * (104 - 101 * (1 + 1e-4)), TOL);
    CU_ASSERT_CLOSE(eq[2], fin, TOL);
    CU_ASSERT_EQUAL(m.n_trades, 1);
    CU_ASSERT_CLOSE(m.roi_pct, 100 * (fin - 30000) / 30000, 1e-9);
}

static void test_rising_equity_no_drawdown(void) {
    /* Long on a path whose every close is higher and every bar opens at the
     * previous close: the marked equity rises every bar; drawdown exactly 0. */
    path_t p = {0};
    for (int t = 0; t < 30; t++) add(&p, 1.1, 1e-4, 3.0 * t, 3.0 * t + 4, 3.0 * t - 1, 3.0 * t + 3);
    bt_bars b = bars_of(&p);
    double ret[MAXN]; fill(ret, p.n, 0.01);
    bt_preds pr = { ret, NULL };
    bt_strategy s = fx_nocost(BT_SIGNAL);
    mt_trading m; rs_err e;
    CU_ASSERT_EQUAL_FATAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_OK);
    CU_ASSERT(m.roi_pct > 0);
    CU_ASSERT_EQUAL(m.max_dd_pct, 0.0);
    CU_ASSERT_EQUAL(m.calmar, 0.0);
    CU_ASSERT(m.flags & MT_F_NO_DRAWDOWN);
}

static void test_input_errors(void) {
    path_t p = signal_path(); bt_bars b = bars_of(&p);
    double ret[4] = {0};
    bt_preds pr = { ret, NULL };
    bt_strategy s = grid_strategy();
    mt_trading m; rs_err e;
    s.spacing = 0;
    CU_ASSERT_EQUAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(e.status, RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "spacing"));
    s = grid_strategy(); s.max_levels = BT_MAX_LEVELS + 1;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "max_levels"));
    s = grid_strategy(); s.stop_out_pct = 120;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "stop_out"));
    s = grid_strategy(); s.leverage = 0.5;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "leverage"));
    s = grid_strategy(); s.adapt_factor = 0.9;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "adapt_factor"));
    s.kind = BT_SIGNAL;                           /* grid fields don't matter */
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_OK);
    s = grid_strategy(); s.size = 0;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "size"));
    s = grid_strategy(); s.cost_unit = BT_PERCENT;
    CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "cost_unit"));
    s = grid_strategy();
    p.h[2] = p.o[2] - 1e-4;                       /* high below the open */
    CU_ASSERT_EQUAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "bar 2"));
    p = signal_path();
    ret[1] = NAN;
    CU_ASSERT_EQUAL(backtest_run(&s, &b, &pr, &m, NULL, NULL, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "ret[1]"));
    double prob[4][3] = {{0}};
    bt_preds both = { ret, (const double (*)[3])prob };
    CU_ASSERT_EQUAL(backtest_run(&s, &b, &both, &m, NULL, NULL, &e), RS_EINPUT);
    CU_ASSERT_EQUAL(backtest_run(&s, &b, NULL, &m, NULL, NULL, &e), RS_EINPUT);
    /* defaults pass their own check */
    strategy_defaults(&s, BT_FX);     CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_OK);
    strategy_defaults(&s, BT_EQUITY); CU_ASSERT_EQUAL(strategy_check(&s, &e), RS_OK);
    CU_ASSERT_CLOSE(backtest_bars_per_year(BT_FX, 3600), 6240, 1e-9);
    CU_ASSERT_CLOSE(backtest_bars_per_year(BT_EQUITY, 86400), 252, 0);
    CU_ASSERT_CLOSE(backtest_bars_per_year(BT_EQUITY, 60), 252 * 390, 1e-9);
    CU_ASSERT_CLOSE(backtest_bars_per_year(BT_FX, 7 * 86400), 365.25 / 7, 1e-9);
}

static CU_TestInfo tests[] = {
    { "signal long+short, no costs (hand)", test_signal_long_short_nocost },
    { "signal long+short, spread/slippage/commission (hand)", test_signal_long_short_costs },
    { "signal short, equity bp costs (hand)", test_signal_short_equity_bp },
    { "leverage and margin-call sizing (hand)", test_leverage_sizing },
    { "classification signal, min prob (hand)", test_classes_signal },
    { "grid long, no costs (hand)", test_grid_long_nocost },
    { "grid adverse intrabar path (hand)", test_grid_adverse_path },
    { "grid long with spread (hand)", test_grid_long_costs },
    { "grid short = mirrored long", test_grid_short_mirror },
    { "grid RANGE, close-on-flip, basket (hand)", test_grid_flip_range_basket },
    { "grid level gapped through fills at the open (hand)", test_grid_gap_fill },
    { "grid zigzag: exact take-profit count", test_grid_zigzag_take_profits },
    { "grid ATR / percent spacing", test_grid_percent_atr_spacing },
    { "grid adaptive spacing", test_grid_adaptive },
    { "stop-out, gap, run continues flat", test_stop_out },
    { "grid stop-out at the margin level", test_grid_stop_out },
    { "flat strategy earns exactly zero", test_flat_is_exactly_zero },
    { "higher costs never raise ROI", test_costs_monotonic },
    { "online metrics = metrics of the curve", test_curve_matches_metrics },
    { "buy-and-hold baseline (hand)", test_buy_and_hold },
    { "rising equity has zero drawdown", test_rising_equity_no_drawdown },
    { "input errors name the parameter", test_input_errors },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("backtest", tests); }
