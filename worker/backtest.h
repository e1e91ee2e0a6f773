/*
 * backtest.h — the execution engine: turns one test period's predictions
 * into fills, costs and a marked-to-market equity curve, for the two
 * strategies (signal, grid), and scores it (metrics.h).  A strategy point
 * (bt_strategy: its fields, defaults and checks) is worker/strategy.h's
 * table.
 *
 * A worker predicts a test period once and then calls backtest_run for every
 * strategy point, thousands of times: the engine allocates nothing at all
 * (its state, including the grid book of up to BT_MAX_LEVELS entries, lives
 * on the stack), never stores per-bar arrays unless the caller passes
 * buffers, and is O(n + fills).
 *
 * ---- Inputs -----------------------------------------------------------------
 * Bars o/h/l/c [n] (mid prices, finite, > 0, l <= min(o,c), h >= max(o,c)).
 * Predictions, made at each bar's close: either a predicted forward return
 * ret[n] (regression) or class probabilities prob[n][3] (0 SHORT, 1 RANGE,
 * 2 LONG).  Each becomes a trend in {−1, 0, +1}:
 *   regression:      +1 if ret > θ, −1 if ret < −θ, else 0;
 *   classification:  the class of metrics_argmax3 (a tie → RANGE), RANGE if
 *                    its probability (row normalised to sum 1) is below
 *                    min_prob; SHORT/RANGE/LONG → −1/0/+1;
 *   long_only turns −1 into 0.
 *
 * ---- Execution rules (the honest-evaluation contract) -------------------------
 * 1. The trend decided at bar t's close acts from bar t+1: market orders fill
 *    at bar t+1's open, resting orders (grid levels) are live from then on.
 *    Bar 0 is never traded; the last bar's prediction is never executed.
 * 2. Equity is marked to market at every close: balance + Σ units·(close − fill).
 *    Marks use the mid; the cost of getting out is charged when a position is
 *    closed, never in the marks.
 * 3. End of period: positions still open after the last bar's intrabar path
 *    are closed at the last close, paying the full exit costs (half spread,
 *    slippage, commission), and counted as trades.  The last equity value is
 *    therefore cash a trader could actually have: every period is a
 *    self-contained book, and ROI can never be flattered by an unpaid exit.
 * 4. Gaps.  An order whose price lies between the previous close and this
 *    open (a take-profit, a grid level, the stop-out price) fills at the OPEN.
 *    That is what a resting order really gets, and a gap can therefore never
 *    give a better price than the open.
 * 5. Intrabar path.  Inside a bar the price is assumed to travel in three
 *    monotone legs, open → extreme → other extreme → close, and every resting
 *    order fills at its own price in the order the path reaches it.  Which
 *    extreme comes first is unknowable from OHLC, so with bar_path =
 *    BT_PATH_ADVERSE (the default) the engine runs BOTH orders from the same
 *    state whenever any order could fire inside [low, high], and keeps the
 *    one that ends the bar with the LOWER marked equity, measured at mid
 *    prices before costs so that costs never change the choice (a tie keeps
 *    "against first": low first for a long book, high first for a short).
 *    Why not simply "low first" for a long grid: low first fills the new
 *    lower level and then lets the rise take profit on it — an intrabar round
 *    trip that OHLC cannot prove happened, and the classic way grid
 *    backtests flatter themselves (tests/test_backtest.c, "adverse path",
 *    works one out).  BT_PATH_AGAINST (always against first) and BT_PATH_WITH
 *    (always with first) exist for comparison.  Whatever bar_path says, a
 *    bar whose open or close IS an extreme has a proven order and only that
 *    path is run: open = high or close = low → high first; open = low or
 *    close = high → low first (anything else would invent an excursion the
 *    bar does not show).
 * 6. Costs, on EVERY fill (market, take-profit, basket, stop-out, final
 *    liquidation): half the spread plus the slippage move the fill price
 *    against the trader (buy above the mid, sell below), and the commission
 *    is debited from the balance.  Take-profit and level prices are
 *    mid-price triggers; their fills still pay the costs.
 *    costs_paid = Σ |units|·(half spread + slippage) + commission.
 *
 * ---- Account, margin, stop-out ----------------------------------------------------
 * Prices are quoted in the account currency (EURUSD on a USD account; a stock
 * in its own currency): P&L = units × price change, no conversion.
 * margin of an entry = |units|·price_at_entry/leverage;  margin level =
 * 100·equity/used margin.
 *   - An entry is refused (n_rejected++) when equity·100 < margin_call_pct ×
 *     (used margin including the new entry), equity before its costs.  A
 *     refused grid level stays pending and is tried again when reached later.
 *   - Stop-out: when the path reaches the price at which the margin level
 *     falls to stop_out_pct (or equity to 0, whichever comes first; with
 *     stop_out_pct 0 that is liquidation at zero equity), every position is
 *     closed at that price (at the open if the bar gapped through it), with
 *     costs.  The run then stays FLAT for the rest of the period: equity is
 *     constant, no new entries, stopout_bar records when, MT_F_STOPPED_OUT.
 *
 * ---- Signal strategy ---------------------------------------------------------------------
 * Target position = trend × size.  When the trend changes, the position is
 * closed at the next open and the new one opened at the same open (two fills,
 * two costs).  While the trend is unchanged nothing is traded (no resizing).
 *
 * ---- Grid strategy (Rundo, Appl. Sci. 2019: trend forecast + grid) ---------------------
 * - The book holds entries of one direction d at a time.
 * - Book empty and trend ±1 → a market entry at the next open (level = open).
 * - While trend == d, buy (sell) limit levels rest one spacing S below
 *   (above) the LOWEST (highest) open level — so when a lower entry takes
 *   profit the level reopens, which is how a grid harvests oscillations — up
 *   to max_levels open entries.  Filled at the level price (open on a gap).
 *   Levels need a non-empty book: when the book empties intrabar the grid
 *   restarts at the next open (a fresh decision).
 * - Each entry takes profit tp_spacings·S from its LEVEL (not its fill, so
 *   costs never move a trigger); tp_spacings 0 = no per-entry take-profit.
 * - basket_tp > 0: everything is closed when the open entries' floating P&L
 *   (at mid, from their fill prices) reaches basket_tp (money).
 * - Trend 0 (RANGE) or −d: no new entries; existing entries keep their
 *   take-profits.  close_on_flip: the book is closed at the open after the
 *   trend turns to −d (RANGE is not a flip); otherwise the opposite book
 *   starts only once the current one has emptied.
 * - Spacing S for bar t is fixed at bar t−1's close:
 *     BT_PIPS     spacing·pip_size
 *     BT_PERCENT  spacing/100 · close[t−1]
 *     BT_ATR      spacing · mean true range of the last atr_period bars up
 *                 to t−1 (fewer at the start of the period; bar 0's true
 *                 range is high − low).  A zero spacing (flat ATR)
 *                 places no entry at all that bar.
 *   times the adaptive multiplier m: at each close, if the drawdown of the
 *   marked equity grew, m = min(m·adapt_factor, adapt_max); if it shrank,
 *   m = max(m/adapt_factor, 1); at a new equity high m = 1.  adapt_factor 1
 *   disables it.  A level's take-profit keeps the S it was placed with.
 *
 * ---- Sizing ------------------------------------------------------------------------------
 *   BT_SIZE_LOTS    units = size·lot_size per entry (FX: 0.1 = a mini lot)
 *   BT_SIZE_EQUITY  units = size·equity/price per entry, equity marked at
 *                   the fill moment (1.0 = fully invested, unlevered)
 * Costs in BT_PIPS (×pip_size) or BT_BP (×1e-4×price); commission
 * BT_COMM_PER_LOT (money per lot_size units, per side) or BT_COMM_BP (of the
 * fill's notional, per side).
 *
 * ---- Invariants the tests hold the engine to ----------------------------------------------
 * a strategy that never trades ends with exactly the initial equity; when no
 * decision depends on equity (lots sizing, no margin refusal or stop-out, no
 * adaptive spacing, no basket), raising any cost never raises ROI.
 */
#ifndef RS_BACKTEST_H
#define RS_BACKTEST_H

#include <stdint.h>

#include "worker/metrics.h"
#include "worker/strategy.h"
#include "worker/util.h"

/* The bars of one test period.  Not owned: the engine only reads them. */
typedef struct {
    const double *open, *high, *low, *close;   /* [n]                         */
    int           n;
} bt_bars;

/* The predictions made at each bar's close: exactly one of ret / prob is
 * non-NULL.  Not owned. */
typedef struct {
    const double *ret;                     /* [n] predicted forward returns   */
    const double (*prob)[MT_NCLASS];       /* [n][3] class probabilities      */
} bt_preds;

/* Bars per year for a bar of `bar_seconds`: intraday bars FX 260 days × 24 h,
 * equities 252 days × 6.5 h; daily bars 260 (FX) / 252 (equities); bars
 * longer than a day 365.25 calendar days / bar length (weekly ≈ 52.2).
 * Returns 0 when bar_seconds <= 0. */
double backtest_bars_per_year(int market, double bar_seconds);

/* RS_OK, or RS_EINPUT naming the first bad bar (non-finite, <= 0, or
 * low/high not enclosing open/close).  backtest_run calls it. */
int backtest_check_bars(const bt_bars *b, rs_err *e);

/* Run strategy *s over the bars with the predictions and score it into *out
 * (always fully written; zeroed on error).  equity[n] and returns[n] are
 * optional caller buffers (NULL = not wanted): equity[t] is the marked equity
 * at bar t's close (equity[0] = initial balance), returns[t] =
 * equity[t]/equity[t−1] − 1 (returns[0] = 0; 0 after a non-positive equity).
 * metrics_trading(equity, n, ...) reproduces every curve metric of *out.
 * Returns RS_OK, or RS_EINPUT on a bad strategy (strategy_check), bars, or
 * predictions (NULL, both given, or a non-finite value). */
int backtest_run(const bt_strategy *s, const bt_bars *b, const bt_preds *p,
                 mt_trading *out, double *equity, double *returns, rs_err *e);

/* backtest_run, and trades[n] (caller buffer, NULL = not wanted): the
 * trades completed by bar t's close, cumulative (trades[0] = 0, trades[n-1]
 * = out->n_trades): trades[e] - trades[b] are the trades closed in bars
 * b+1..e, what a daily series point counts (task.h, "Series resolution"). */
int backtest_run_trades(const bt_strategy *s, const bt_bars *b, const bt_preds *p,
                        mt_trading *out, double *equity, double *returns, int32_t *trades, rs_err *e);

/* The buy-and-hold baseline under the same account and cost model: the
 * signal strategy with every trend +1 — buy at bar 1's open, hold, pay the
 * exit at the last close.  Uses s's costs, account and sizing (kind,
 * thresholds and grid fields are ignored).  Same outputs and errors as
 * backtest_run. */
int backtest_buy_and_hold(const bt_strategy *s, const bt_bars *b,
                          mt_trading *out, double *equity, double *returns, rs_err *e);

#endif /* RS_BACKTEST_H */
