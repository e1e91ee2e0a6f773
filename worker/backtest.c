/* backtest.c — see backtest.h for the contracts and the execution rules. */
#include "worker/backtest.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* ---- defaults, annualisation, checks --------------------------------------------- */

double backtest_bars_per_year(int market, double bar_seconds) {
    if (!(bar_seconds > 0)) return 0.0;
    double days = market == BT_EQUITY ? 252.0 : 260.0;
    double hours = market == BT_EQUITY ? 6.5 : 24.0;
    if (bar_seconds < 86400.0) return days * hours * 3600.0 / bar_seconds;
    if (bar_seconds == 86400.0) return days;
    return 365.25 * 86400.0 / bar_seconds;
}

#define CHECK(cond, ...) do { if (!(cond)) return rs_err_set(e, RS_EINPUT, __VA_ARGS__); } while (0)
#define POS(x) ((x) > 0 && isfinite(x))
#define NONNEG(x) ((x) >= 0 && isfinite(x))

int backtest_check_bars(const bt_bars *b, rs_err *e) {
    CHECK(b && b->open && b->high && b->low && b->close, "bars: NULL array");
    CHECK(b->n >= 1, "bars: n = %d, expected >= 1", b->n);
    for (int t = 0; t < b->n; t++) {
        double o = b->open[t], h = b->high[t], l = b->low[t], c = b->close[t];
        CHECK(POS(o) && POS(h) && POS(l) && POS(c),
              "bars: bar %d has a non-finite or non-positive price (o=%g h=%g l=%g c=%g)", t, o, h, l, c);
        CHECK(l <= o && l <= c && h >= o && h >= c,
              "bars: bar %d: low/high do not enclose open/close (o=%g h=%g l=%g c=%g)", t, o, h, l, c);
    }
    return RS_OK;
}

/* ---- the book ---------------------------------------------------------------------- */

typedef struct {
    double level;              /* grid level (trigger) price                  */
    double mid;                /* mid price at the fill (before costs)        */
    double fill;               /* fill price, costs of spread/slippage in     */
    double units;              /* signed                                      */
    double tp;                 /* take-profit trigger; ±INFINITY = none       */
    double comm;               /* commission paid at entry                    */
    double margin;             /* margin held                                 */
} entry;

/* Everything that evolves along the price path.  The "adverse path" rule
 * runs a bar twice from the same state, so all of it lives in one struct
 * copied by book_copy (header + the nb live entries only). */
typedef struct {
    double balance;            /* cash: realised P&L and commissions in       */
    double U, UE, M;           /* Σ units, Σ units·fill, Σ margin             */
    double UM, gross;          /* Σ units·mid; realised P&L at mid prices     */
    double ext;                /* lowest (d>0) / highest (d<0) open level     */
    double best_tp;            /* nearest take-profit in direction d          */
    double gross_profit, gross_loss, costs, notional;
    int    dir, nb, halted, stopout_bar;
    int    n_trades, n_wins, n_losses, n_tp, n_basket, n_rejected, max_open;
    entry  e[BT_MAX_LEVELS];
} book;

/* Per-run constants and the per-bar decision. */
typedef struct {
    const bt_strategy *s;
    double cost_k;             /* price cost per unit = cost_k (pips) or cost_k·p (bp) */
    int    cost_bp;
    double inv_lev;
    int    grid;
    int    t;                  /* current bar (for stopout_bar)               */
    double S;                  /* spacing this bar; <= 0: no levels           */
    int    allow;              /* new levels may rest this bar                */
} ctx;

static void book_copy(book *dst, const book *src) {
    memcpy(dst, src, offsetof(book, e) + (size_t)src->nb * sizeof(entry));
}

/* "No take-profit": a trigger the price can never reach in direction d. */
static inline double no_tp(int d) { return d > 0 ? (double)INFINITY : -(double)INFINITY; }

static inline double equity_at(const book *b, double p) { return b->balance + (b->U * p - b->UE); }

/* P&L at mid prices, costs left out: what the adverse-path rule compares, so
 * that the choice of path — a decision — never depends on the cost model. */
static inline double gross_at(const book *b, double p) { return b->gross + (b->U * p - b->UM); }

/* Half spread + slippage, in price, per unit, at mid price p. */
static inline double unit_cost(const ctx *c, double p) { return c->cost_bp ? c->cost_k * p : c->cost_k; }

static inline double commission(const ctx *c, double units, double p) {
    const bt_strategy *s = c->s;
    return s->commission_unit == BT_COMM_PER_LOT ? s->commission * units / s->lot_size
                                                 : s->commission * 1e-4 * units * p;
}

/* Recompute the extreme level and nearest take-profit; reset the aggregates
 * to exact zeros when the book is empty so a flat account carries no
 * rounding residue into its marks. */
static void refresh(book *b) {
    if (b->nb == 0) {
        b->dir = 0; b->U = b->UE = b->M = b->UM = 0; b->ext = 0; b->best_tp = INFINITY;
        return;
    }
    int d = b->dir;
    b->ext = b->e[0].level; b->best_tp = b->e[0].tp;
    for (int i = 1; i < b->nb; i++) {
        if (d * (b->e[i].level - b->ext) < 0) b->ext = b->e[i].level;
        if (d * (b->e[i].tp - b->best_tp) < 0) b->best_tp = b->e[i].tp;
    }
}

/* Open `dir` at mid price p for the grid level `level` with take-profit tp.
 * Returns 1 when filled, 0 when the margin-call check refused it. */
static int open_entry(book *b, const ctx *c, int dir, double p, double level, double tp) {
    const bt_strategy *s = c->s;
    double eq = equity_at(b, p);
    double a = s->size_unit == BT_SIZE_LOTS ? s->size * s->lot_size : (eq > 0 ? s->size * eq / p : 0.0);
    double margin = a * p * c->inv_lev;
    /* equity before the entry's own costs; the 1e-9 slack keeps an all-in
     * unlevered entry (margin == equity up to rounding) from being refused */
    if (!(a > 0) || b->nb >= BT_MAX_LEVELS || !(eq > 0) ||
        eq * 100.0 < s->margin_call_pct * (b->M + margin) * (1.0 - 1e-9)) {
        b->n_rejected++;
        return 0;
    }
    double uc = unit_cost(c, p), comm = commission(c, a, p), u = dir * a;
    entry *en = &b->e[b->nb++];
    en->level = level; en->mid = p; en->fill = p + dir * uc; en->units = u; en->tp = tp;
    en->comm = comm; en->margin = margin;
    b->balance -= comm;
    b->U += u; b->UE += u * en->fill; b->M += margin; b->UM += u * p;
    b->costs += a * uc + comm;
    b->notional += a * p;
    if (b->nb == 1) { b->dir = dir; b->ext = level; b->best_tp = tp; }
    else {
        if (dir * (level - b->ext) < 0) b->ext = level;
        if (dir * (tp - b->best_tp) < 0) b->best_tp = tp;
    }
    if (b->nb > b->max_open) b->max_open = b->nb;
    return 1;
}

/* Close entry i at mid price p; the caller calls refresh() afterwards. */
static void close_entry(book *b, const ctx *c, int i, double p) {
    entry en = b->e[i];
    double a = fabs(en.units), uc = unit_cost(c, p), comm = commission(c, a, p);
    double fill = p - (en.units > 0 ? uc : -uc);
    double gross = en.units * (fill - en.fill);
    b->balance += gross - comm;
    double net = gross - comm - en.comm;
    b->n_trades++;
    if (net > 0) { b->n_wins++; b->gross_profit += net; }
    else if (net < 0) { b->n_losses++; b->gross_loss -= net; }
    b->costs += a * uc + comm;
    b->notional += a * p;
    b->U -= en.units; b->UE -= en.units * en.fill; b->M -= en.margin; b->UM -= en.units * en.mid;
    b->gross += en.units * (p - en.mid);
    b->e[i] = b->e[--b->nb];
}

static void close_all(book *b, const ctx *c, double p) {
    while (b->nb > 0) close_entry(b, c, b->nb - 1, p);
    refresh(b);
}

/* Price at which the margin level reaches stop_out_pct (equity 0 when it is
 * 0); reached when d·(p − ps) <= 0.  Equity is linear in p between fills. */
static inline double stop_price(const book *b, const ctx *c) {
    double lvl = c->s->stop_out_pct * 0.01 * b->M;
    return (lvl - b->balance + b->UE) / b->U;
}

/* Price at which the floating P&L reaches basket_tp; reached when d·(p − pb) >= 0. */
static inline double basket_price(const book *b, const ctx *c) {
    return (c->s->basket_tp + b->UE) / b->U;
}

/* Move the price monotonically from `from` to `to`, firing every resting
 * order in the order the price reaches it.  gap: the move is the jump from
 * the previous close to the open, so every fill is at `to`. */
static void walk(book *b, const ctx *c, double from, double to, int gap) {
    if (b->nb == 0 || b->halted || from == to) return;
    const bt_strategy *s = c->s;
    int d = b->dir;
    double cur = from;
    if (d * (to - from) > 0) {
        /* with the book: take-profits and the basket, nearest first */
        while (b->nb > 0) {
            double x = b->best_tp;
            int basket = 0;
            if (s->basket_tp > 0) {
                double pb = basket_price(b, c);
                if (d * (pb - x) <= 0) { x = pb; basket = 1; }   /* tie: basket (closes all) */
            }
            if (!(d * (x - to) <= 0)) break;                       /* not reached */
            double px = gap ? to : (d * (x - cur) < 0 ? cur : x);
            if (basket) { close_all(b, c, px); b->n_basket++; }
            else {
                int i = 0;       /* best_tp is one entry's tp (refresh); bounded anyway */
                while (i < b->nb - 1 && b->e[i].tp != b->best_tp) i++;
                close_entry(b, c, i, px);
                refresh(b);
                b->n_tp++;
            }
            cur = px;
        }
    } else {
        /* against the book: new levels and the stop-out, nearest first */
        int entries = c->grid && c->allow && c->S > 0;
        while (b->nb > 0) {
            double ps = stop_price(b, c);
            int stop = d * (ps - to) >= 0;
            int has_lv = entries && b->nb < s->max_levels;
            double xe = has_lv ? b->ext - d * c->S : 0.0;
            int lv = has_lv && d * (xe - to) >= 0;
            if (stop && (!lv || d * (ps - xe) >= 0)) {            /* tie: stop first */
                double px = gap ? to : (d * (ps - cur) >= 0 ? cur : ps);
                close_all(b, c, px);
                b->halted = 1;
                b->stopout_bar = c->t;
                return;
            }
            if (!lv) break;
            double px = gap ? to : (d * (xe - cur) >= 0 ? cur : xe);
            double tp = s->tp_spacings > 0 ? xe + d * s->tp_spacings * c->S : no_tp(d);
            if (!open_entry(b, c, d, px, xe, tp)) entries = 0;    /* refused: stop placing */
            else cur = px;
        }
    }
}

/* One intrabar path: open → first extreme → second extreme → close. */
static void path(book *b, const ctx *c, double o, double h, double l, double cl, int low_first) {
    double x1 = low_first ? l : h, x2 = low_first ? h : l;
    walk(b, c, o, x1, 0);
    walk(b, c, x1, x2, 0);
    walk(b, c, x2, cl, 0);
}

/* The order OHLC itself proves: a bar that opens at its high (or closes at
 * its low) went high → low; one that opens at its low (or closes at its
 * high) went low → high.  Any other order would invent an extra excursion
 * the bar does not show.  Returns 1 low first, 0 high first, −1 unknown. */
static int proven_order(double o, double h, double l, double cl) {
    if (o == h || cl == l) return 0;
    if (o == l || cl == h) return 1;
    return -1;
}

/* Can any resting order fire inside [l, h]?  When not, every path order
 * gives the same (empty) result and the bar costs O(1). */
static int may_fire(const book *b, const ctx *c, double h, double l) {
    if (b->nb == 0 || b->halted) return 0;
    int d = b->dir;
    double fav = d > 0 ? h : l, adv = d > 0 ? l : h;
    if (d * (b->best_tp - fav) <= 0) return 1;
    if (c->s->basket_tp > 0 && d * (basket_price(b, c) - fav) <= 0) return 1;
    if (d * (stop_price(b, c) - adv) >= 0) return 1;
    if (c->grid && c->allow && c->S > 0 && b->nb < c->s->max_levels &&
        d * (b->ext - d * c->S - adv) >= 0) return 1;
    return 0;
}

/* ---- the run ------------------------------------------------------------------------ */

static int trend_at(const bt_strategy *s, const bt_preds *p, int t) {
    int tr;
    if (!p) tr = 1;                                           /* buy-and-hold */
    else if (p->ret) {
        double r = p->ret[t];
        tr = r > s->threshold ? 1 : (r < -s->threshold ? -1 : 0);
    } else {
        const double *q = p->prob[t];
        int k = metrics_argmax3(q);
        double sum = q[0] + q[1] + q[2];
        tr = (k == MT_RANGE || q[k] < s->min_prob * sum) ? 0 : (k == MT_LONG ? 1 : -1);
    }
    return (s->long_only && tr < 0) ? 0 : tr;
}

static int check_preds(const bt_preds *p, int n, rs_err *e) {
    CHECK(p, "predictions: NULL");
    CHECK((p->ret != NULL) != (p->prob != NULL), "predictions: give exactly one of ret (regression) or prob (classes)");
    for (int t = 0; t < n; t++) {
        if (p->ret) CHECK(isfinite(p->ret[t]), "predictions: ret[%d] = %g is not finite", t, p->ret[t]);
        else {
            const double *q = p->prob[t];
            CHECK(NONNEG(q[0]) && NONNEG(q[1]) && NONNEG(q[2]) && q[0] + q[1] + q[2] > 0,
                  "predictions: prob[%d] = {%g, %g, %g}, expected finite, >= 0, not all 0", t, q[0], q[1], q[2]);
        }
    }
    return RS_OK;
}

static double true_range(const bt_bars *bars, int t) {
    if (t == 0) return bars->high[0] - bars->low[0];
    double pc = bars->close[t - 1];
    return fmax(bars->high[t], pc) - fmin(bars->low[t], pc);
}

static int run(const bt_strategy *s, const bt_bars *bars, const bt_preds *p, int force_signal,
               mt_trading *out, double *equity, double *returns, int32_t *trades, rs_err *e) {
    memset(out, 0, sizeof *out);
    out->stopout_bar = -1;
    int rc = strategy_check(s, e);
    if (!rc) rc = backtest_check_bars(bars, e);
    if (!rc && p) rc = check_preds(p, bars->n, e);
    if (rc) return rc;

    const int n = bars->n;
    const double *O = bars->open, *H = bars->high, *L = bars->low, *C = bars->close;
    ctx c = { .s = s, .cost_bp = s->cost_unit == BT_BP, .inv_lev = 1.0 / s->leverage,
              .grid = !force_signal && s->kind == BT_GRID };
    c.cost_k = (0.5 * s->spread + s->slippage) * (c.cost_bp ? 1e-4 : s->pip_size);

    book st, alt;                 /* alt: the second path of an adverse bar */
    memset(&st, 0, offsetof(book, e));
    st.balance = s->initial_balance;
    st.stopout_bar = -1;
    refresh(&st);

    mt_acc acc;
    metrics_acc_init(&acc, s->initial_balance);
    if (equity) equity[0] = s->initial_balance;
    if (returns) returns[0] = 0.0;
    if (trades) trades[0] = 0;

    double atr_sum = true_range(bars, 0), mult = 1.0, prev_dd = 0.0;
    int atr_cnt = 1, active_bars = 0;

    for (int t = 1; t < n; t++) {
        const double o = O[t], h = H[t], l = L[t], cl = C[t], pc = C[t - 1];
        int active = st.nb > 0;
        c.t = t;
        if (!st.halted) {
            int tr = trend_at(s, p, t - 1);
            /* spacing for this bar, from information up to t-1's close */
            double base = s->spacing_unit == BT_PIPS    ? s->spacing * s->pip_size
                        : s->spacing_unit == BT_PERCENT ? s->spacing * 0.01 * pc
                        :                                 s->spacing * atr_sum / atr_cnt;
            c.S = base * mult;
            c.allow = tr != 0 && tr == st.dir;
            walk(&st, &c, pc, o, 1);                                  /* the gap */
            if (!st.halted) {
                if (c.grid) {
                    if (s->close_on_flip && st.nb > 0 && tr == -st.dir) close_all(&st, &c, o);
                    if (st.nb == 0 && tr != 0 && c.S > 0)
                        open_entry(&st, &c, tr, o, o,
                                   s->tp_spacings > 0 ? o + tr * s->tp_spacings * c.S : no_tp(tr));
                    c.allow = tr != 0 && tr == st.dir;
                } else {
                    if (st.nb > 0 && tr != st.dir) close_all(&st, &c, o);
                    if (st.nb == 0 && tr != 0) open_entry(&st, &c, tr, o, o, no_tp(tr));
                    c.allow = 0;
                }
                if (st.nb > 0) active = 1;
                if (may_fire(&st, &c, h, l)) {
                    int against = st.dir > 0;              /* low first for a long book */
                    int order = proven_order(o, h, l, cl);
                    if (order >= 0) path(&st, &c, o, h, l, cl, order);
                    else if (s->bar_path == BT_PATH_AGAINST) path(&st, &c, o, h, l, cl, against);
                    else if (s->bar_path == BT_PATH_WITH) path(&st, &c, o, h, l, cl, !against);
                    else {
                        book_copy(&alt, &st);
                        path(&alt, &c, o, h, l, cl, against);
                        path(&st, &c, o, h, l, cl, !against);
                        if (gross_at(&alt, cl) <= gross_at(&st, cl)) book_copy(&st, &alt);
                    }
                }
            }
        }
        if (t == n - 1 && st.nb > 0) close_all(&st, &c, cl);        /* end of period */
        double eq = equity_at(&st, cl);
        double r = metrics_acc_push(&acc, eq);
        if (equity) equity[t] = eq;
        if (returns) returns[t] = r;
        if (trades) trades[t] = st.n_trades;
        active_bars += active;

        /* adaptive spacing: follows the drawdown of the marked equity */
        if (s->adapt_factor > 1) {
            if (acc.dd <= 0) mult = 1.0;
            else if (acc.dd > prev_dd) mult = fmin(mult * s->adapt_factor, s->adapt_max);
            else if (acc.dd < prev_dd) mult = fmax(mult / s->adapt_factor, 1.0);
            prev_dd = acc.dd;
        }
        /* rolling ATR over the last atr_period bars */
        atr_sum += true_range(bars, t);
        if (atr_cnt < s->atr_period) atr_cnt++;
        else atr_sum -= true_range(bars, t - s->atr_period);
    }

    metrics_acc_finish(&acc, s->bars_per_year, out);
    out->n_trades = st.n_trades; out->n_wins = st.n_wins; out->n_losses = st.n_losses;
    out->gross_profit = st.gross_profit; out->gross_loss = st.gross_loss;
    metrics_trade_ratios(out);
    out->exposure_pct = n > 1 ? 100.0 * active_bars / (n - 1) : 0.0;
    out->turnover = st.notional / s->initial_balance;
    out->costs_paid = st.costs;
    out->max_open_levels = st.max_open;
    out->n_take_profits = st.n_tp;
    out->n_baskets = st.n_basket;
    out->n_stopouts = st.halted;
    out->stopout_bar = st.stopout_bar;
    out->n_rejected = st.n_rejected;
    if (st.halted) out->flags |= MT_F_STOPPED_OUT;
    return RS_OK;
}

int backtest_run(const bt_strategy *s, const bt_bars *b, const bt_preds *p,
                 mt_trading *out, double *equity, double *returns, rs_err *e) {
    if (!p) {
        memset(out, 0, sizeof *out);
        out->stopout_bar = -1;
        return rs_err_set(e, RS_EINPUT, "predictions: NULL");
    }
    return run(s, b, p, 0, out, equity, returns, NULL, e);
}

int backtest_run_trades(const bt_strategy *s, const bt_bars *b, const bt_preds *p,
                        mt_trading *out, double *equity, double *returns, int32_t *trades, rs_err *e) {
    if (!p) {
        memset(out, 0, sizeof *out);
        out->stopout_bar = -1;
        return rs_err_set(e, RS_EINPUT, "predictions: NULL");
    }
    return run(s, b, p, 0, out, equity, returns, trades, e);
}

int backtest_buy_and_hold(const bt_strategy *s, const bt_bars *b,
                          mt_trading *out, double *equity, double *returns, rs_err *e) {
    return run(s, b, NULL, 1, out, equity, returns, NULL, e);
}
