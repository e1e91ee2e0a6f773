/*
 * metrics.h — every number a result row carries about trading and forecasting.
 *
 * Three families:
 *   - trading metrics from a marked-to-market equity curve (ROI, drawdown,
 *     CAGR, volatility, Sharpe, Sortino, Calmar) and from closed trades (count,
 *     hit rate, profit factor, average trade);
 *   - forecast metrics for a return regression (RMSE, MAE, R², direction
 *     accuracy) and for the 3-class trend target (accuracy, macro-F1, log-loss,
 *     confusion matrix);
 *   - the forecast baselines: persistence (predicted return 0, i.e. "price
 *     stays at the last price") and the training-majority class.
 *   Buy-and-hold, a trading baseline, lives in backtest.h because it must use
 *   the same execution engine and cost model as the strategy it is compared to.
 *
 * Conventions
 *   - All sums are in double.  Nothing here allocates; no function keeps a
 *     pointer to its inputs.
 *   - Degenerate cases give a defined finite value, never NaN or inf, and set
 *     a bit in `flags` so a report can tell "0 because undefined" from a real 0:
 *       Sharpe, annualised volatility of a return series whose sample standard
 *       deviation is <= MT_SD_EPS (constant returns, one return): 0, MT_F_ZERO_VAR.
 *       Sortino with no negative return: 0, MT_F_NO_DOWNSIDE.
 *       Calmar with zero drawdown: 0, MT_F_NO_DRAWDOWN.
 *       Profit factor with no losing trade but some profit, or above the cap:
 *       MT_PF_CAP, MT_F_PF_CAPPED; with no trade at all (or only break-even
 *       trades): 0, MT_F_NO_TRADES.
 *       R² when the true values have zero variance: 0, MT_F_ZERO_VAR.
 *   - The risk-free rate is 0.  Sharpe = mean(r)/sd(r)·sqrt(bars_per_year),
 *     sd the sample (n−1) deviation.  Sortino = mean(r)/dd·sqrt(bars_per_year)
 *     with dd = sqrt(Σ min(r,0)² / n) (target return 0, all n returns).
 *   - Class ids are shared with the data module: 0 SHORT, 1 RANGE, 2 LONG.
 */
#ifndef RS_METRICS_H
#define RS_METRICS_H

#include "worker/util.h"

enum { MT_SHORT = 0, MT_RANGE = 1, MT_LONG = 2, MT_NCLASS = 3 };

#define MT_PF_CAP  100.0   /* profit factor reported when there is no loss     */
#define MT_SD_EPS  1e-12   /* per-bar return sd treated as zero: below the
                              rounding noise of eq[t]/eq[t-1]-1, far below any
                              real market (a 1e-5 tick on a 1.0 price)          */

/* `flags` bits (mt_trading.flags, mt_regression.flags). */
#define MT_F_ZERO_VAR     0x01u  /* sd(r) <= MT_SD_EPS: Sharpe, vol = 0      */
#define MT_F_NO_DOWNSIDE  0x02u  /* no negative return: Sortino = 0          */
#define MT_F_NO_DRAWDOWN  0x04u  /* max drawdown 0: Calmar = 0               */
#define MT_F_PF_CAPPED    0x08u  /* no losing trade: profit factor = cap     */
#define MT_F_NO_TRADES    0x10u  /* no (non-break-even) trade: PF = 0        */
#define MT_F_STOPPED_OUT  0x20u  /* the account was stopped out              */
#define MT_F_SHORT_CURVE  0x40u  /* fewer than 2 returns                     */

/* One result row's trading block.  Percentages are in percent (12.5 = 12.5%),
 * money in account currency, ratios plain.  Fixed size, no pointers: it is
 * written as one HDF5 compound row. */
typedef struct {
    /* from the equity curve eq[0..n-1] (eq[0] = starting equity) */
    double   initial_equity;   /* eq[0]                                        */
    double   final_equity;     /* eq[n-1], after any end-of-period liquidation */
    double   roi_pct;          /* 100·(final − initial)/initial                */
    double   max_dd_pct;       /* 100·max over t of (peak_t − eq_t)/peak_t     */
    double   cagr_pct;         /* 100·((final/initial)^(1/years) − 1); −100 if
                                  final <= 0; years = (n−1)/bars_per_year      */
    double   vol_pct;          /* 100·sd(r)·sqrt(bars_per_year)                */
    double   sharpe;           /* see the header comment                       */
    double   sortino;
    double   calmar;           /* cagr_pct / max_dd_pct                        */
    double   bars_per_year;    /* the annualisation factor used                */
    int      n_returns;        /* n − 1                                        */
    /* from closed trades (a trade = one entry, opened and closed) */
    int      n_trades;
    int      n_wins;           /* net P&L > 0 (after all costs)                */
    int      n_losses;         /* net P&L < 0                                  */
    double   gross_profit;     /* Σ net P&L of winners                         */
    double   gross_loss;       /* Σ |net P&L| of losers (>= 0)                 */
    double   hit_rate_pct;     /* 100·n_wins/n_trades (0 with no trade)        */
    double   profit_factor;    /* gross_profit/gross_loss, capped (see above)  */
    double   avg_trade;        /* (gross_profit − gross_loss)/n_trades         */
    /* filled by the execution engine (0 from metrics_trading) */
    double   exposure_pct;     /* % of the n−1 tradable bars with a position
                                  open at some moment of the bar               */
    double   turnover;         /* Σ |units|·price over all fills / initial     */
    double   costs_paid;       /* spread + slippage + commission, money        */
    int      max_open_levels;  /* most entries open at once                    */
    int      n_take_profits;   /* per-entry take-profits filled                */
    int      n_baskets;        /* basket take-profits filled                   */
    int      n_stopouts;       /* 0 or 1: the run is flat after a stop-out     */
    int      stopout_bar;      /* bar of the stop-out, −1 if none              */
    int      n_rejected;       /* entries refused by the margin-call check     */
    unsigned flags;            /* MT_F_* bits                                  */
} mt_trading;

/* ---- equity-curve metrics ------------------------------------------------ */

/* Online accumulator, so the engine gets every curve metric without storing
 * the curve.  metrics_trading() is a loop over the same three calls, so the
 * two can never disagree.  A return whose previous equity is <= 0 counts as 0
 * (a blown account earns nothing more). */
typedef struct {
    double   eq0, prev, peak;  /* first, previous equity; running peak         */
    double   mean, m2, down2;  /* Welford mean / M2; Σ min(r,0)²               */
    double   dd, max_dd;       /* current and max drawdown, fractions          */
    long     n;                /* returns pushed                               */
} mt_acc;

void   metrics_acc_init(mt_acc *a, double equity0);
/* Push the next equity value; returns the bar's return eq/prev − 1. */
double metrics_acc_push(mt_acc *a, double equity);
/* Fill the equity-curve fields of *out (initial..n_returns, and the
 * MT_F_ZERO_VAR / NO_DOWNSIDE / NO_DRAWDOWN / SHORT_CURVE flags, OR-ed into
 * out->flags); the other fields are left as they are. */
void   metrics_acc_finish(const mt_acc *a, double bars_per_year, mt_trading *out);

/* Trading metrics of an equity curve eq[0..n-1], eq[0] the starting equity
 * and returns taken between consecutive values.  Zeroes *out first, so the
 * trade and engine fields are 0.  RS_EINPUT when n < 1, eq[0] <= 0, a value is
 * not finite, or bars_per_year <= 0. */
int metrics_trading(const double *eq, int n, double bars_per_year,
                    mt_trading *out, rs_err *e);

/* Recompute hit_rate_pct, profit_factor, avg_trade (and the PF flags) from
 * n_trades, n_wins, gross_profit and gross_loss already in *m. */
void metrics_trade_ratios(mt_trading *m);

/* Tally a list of per-trade net P&Ls into *m (n_trades .. avg_trade); other
 * fields untouched.  RS_EINPUT when n < 0, pnl is NULL with n > 0, or a value
 * is not finite. */
int metrics_trade_list(const double *pnl, int n, mt_trading *m, rs_err *e);

/* ---- forecast metrics: regression ----------------------------------------- */

typedef struct {
    int      n;                /* samples scored                               */
    int      n_dir;            /* samples with a non-zero true value           */
    double   rmse;
    double   mae;
    double   r2;               /* 1 − SSE/SST around the mean of the truth     */
    double   dir_acc;          /* over true != 0 only: 1 when sign(pred) =
                                  sign(true), 0 when opposite, 0.5 when pred is
                                  exactly 0 (no call: a fair coin's score). 0
                                  when n_dir = 0.                              */
    unsigned flags;            /* MT_F_ZERO_VAR when SST = 0 (r2 = 0)          */
} mt_regression;

/* Score predicted returns yhat against true returns y.  RS_EINPUT when n < 1,
 * a pointer is NULL or a value is not finite. */
int metrics_regression(const double *y, const double *yhat, int n,
                       mt_regression *out, rs_err *e);

/* The log return a predicted price implies over the last close c (> 0):
 * log(price / c).  A network that predicts a price at or below zero (a
 * min-max scaled target can go below the training minimum) makes the
 * strongest fall it can name: the price is read as MT_PRICE_FLOOR × c, so
 * the implied return is log(MT_PRICE_FLOOR) ≈ −13.8 — a sell beyond any
 * threshold, a wrong direction when the price rose — and the price metrics
 * (RMSE, MAE, R²) still score the prediction as it was.  NaN when price or
 * c is not finite, or c <= 0. */
#define MT_PRICE_FLOOR 1e-6
double metrics_implied_log_return(double price, double c);

/* The persistence (random-walk) baseline: predicted return 0 for every bar —
 * the same forecast as "the price stays at the last price" — scored exactly
 * as metrics_regression scores a model.  Its dir_acc is 0.5 by the rule above
 * and its R² is −ȳ²/var(y) ≤ 0. */
int metrics_persistence(const double *y, int n, mt_regression *out, rs_err *e);

/* ---- forecast metrics: classes --------------------------------------------- */

typedef struct {
    int      n;
    double   accuracy;
    double   macro_f1;         /* mean F1 over classes present in the truth or
                                  in the predictions (sklearn's macro)         */
    double   log_loss;         /* −mean log p[true], p clipped to [1e-15, 1]
                                  after normalising each row to sum 1          */
    int      confusion[MT_NCLASS][MT_NCLASS];   /* [true][predicted] counts    */
} mt_classes;

/* Predicted class of a probability row: the unique maximum; any tie for the
 * maximum gives RANGE (no view).  The strategies use the same rule. */
int metrics_argmax3(const double p[MT_NCLASS]);

/* Score class probabilities prob[n][3] against labels y[n] (0..2).
 * RS_EINPUT when n < 1, a label is out of range, a probability is negative or
 * not finite, or a row sums to 0. */
int metrics_classes(const int *y, const double (*prob)[MT_NCLASS], int n,
                    mt_classes *out, rs_err *e);

/* sklearn's macro F1 of a confusion matrix [true][predicted]: the mean F1
 * over classes present in the truth or the predictions (0 with none). */
double metrics_macro_f1(const int conf[MT_NCLASS][MT_NCLASS]);

/* Per-class precision (tp / predicted) and recall (tp / true) of a
 * confusion matrix; NaN for a class never predicted / never true. */
void metrics_class_pr(const int conf[MT_NCLASS][MT_NCLASS], double precision[MT_NCLASS],
                      double recall[MT_NCLASS]);

/* Class frequencies of the TRAINING labels (prior[c] = count_c / n).
 * RS_EINPUT on n < 1 or a label out of range. */
int metrics_class_prior(const int *train_y, int n, double prior[MT_NCLASS], rs_err *e);

/* The majority-class baseline: every test bar gets the probabilities `prior`
 * (the training frequencies, from metrics_class_prior — never the test
 * labels', which would leak), so it predicts the training majority class
 * (metrics_argmax3 of the prior) and its log-loss is that of the prior.
 * Errors as metrics_classes. */
int metrics_majority(const int *y, int n, const double prior[MT_NCLASS],
                     mt_classes *out, rs_err *e);

#endif /* RS_METRICS_H */
