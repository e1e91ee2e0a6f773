/* metrics.c — see metrics.h for the contracts. */
#include "worker/metrics.h"

#include <math.h>
#include <string.h>

/* ---- equity curve ---------------------------------------------------------- */

void metrics_acc_init(mt_acc *a, double equity0) {
    memset(a, 0, sizeof *a);
    a->eq0 = a->prev = a->peak = equity0;
}

double metrics_acc_push(mt_acc *a, double eq) {
    /* A blown account (previous equity <= 0) earns nothing more: a return on
     * a non-positive base has no meaning and would flip signs. */
    double r = a->prev > 0 ? eq / a->prev - 1.0 : 0.0;
    a->n++;
    double d = r - a->mean;
    a->mean += d / (double)a->n;
    a->m2 += d * (r - a->mean);
    if (r < 0) a->down2 += r * r;
    a->prev = eq;
    if (eq > a->peak) a->peak = eq;
    a->dd = a->peak > 0 ? (a->peak - eq) / a->peak : 0.0;
    if (a->dd > a->max_dd) a->max_dd = a->dd;
    return r;
}

void metrics_acc_finish(const mt_acc *a, double bpy, mt_trading *m) {
    m->initial_equity = a->eq0;
    m->final_equity   = a->prev;
    m->bars_per_year  = bpy;
    m->n_returns      = (int)a->n;
    m->roi_pct    = a->eq0 > 0 ? 100.0 * (a->prev - a->eq0) / a->eq0 : 0.0;
    m->max_dd_pct = 100.0 * a->max_dd;

    double years = (double)a->n / bpy;
    if (a->n == 0 || !(years > 0)) m->cagr_pct = 0.0;
    else if (a->prev <= 0 || a->eq0 <= 0) m->cagr_pct = -100.0;
    else m->cagr_pct = 100.0 * (pow(a->prev / a->eq0, 1.0 / years) - 1.0);

    double sd = a->n > 1 ? sqrt(a->m2 / (double)(a->n - 1)) : 0.0;
    double ann = sqrt(bpy);
    if (a->n < 2) m->flags |= MT_F_SHORT_CURVE;
    if (!(sd > MT_SD_EPS)) {            /* constant returns: documented 0 */
        m->flags |= MT_F_ZERO_VAR;
        m->vol_pct = 0.0;
        m->sharpe  = 0.0;
    } else {
        m->vol_pct = 100.0 * sd * ann;
        m->sharpe  = a->mean / sd * ann;
    }
    double dsd = a->n > 0 ? sqrt(a->down2 / (double)a->n) : 0.0;
    if (!(dsd > 0)) { m->flags |= MT_F_NO_DOWNSIDE; m->sortino = 0.0; }
    else m->sortino = a->mean / dsd * ann;
    if (!(m->max_dd_pct > 0)) { m->flags |= MT_F_NO_DRAWDOWN; m->calmar = 0.0; }
    else m->calmar = m->cagr_pct / m->max_dd_pct;
}

int metrics_trading(const double *eq, int n, double bpy, mt_trading *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    out->stopout_bar = -1;
    if (!eq || n < 1) return rs_err_set(e, RS_EINPUT, "metrics_trading: need n >= 1 equity values, got %d", n);
    if (!(bpy > 0) || !isfinite(bpy))
        return rs_err_set(e, RS_EINPUT, "metrics_trading: bars_per_year must be > 0, got %g", bpy);
    if (!(eq[0] > 0) || !isfinite(eq[0]))
        return rs_err_set(e, RS_EINPUT, "metrics_trading: eq[0] must be a finite positive starting equity, got %g", eq[0]);
    for (int t = 1; t < n; t++)
        if (!isfinite(eq[t])) return rs_err_set(e, RS_EINPUT, "metrics_trading: eq[%d] is not finite", t);
    mt_acc a;
    metrics_acc_init(&a, eq[0]);
    for (int t = 1; t < n; t++) metrics_acc_push(&a, eq[t]);
    metrics_acc_finish(&a, bpy, out);
    metrics_trade_ratios(out);
    return RS_OK;
}

void metrics_trade_ratios(mt_trading *m) {
    m->flags &= ~(MT_F_PF_CAPPED | MT_F_NO_TRADES);
    m->hit_rate_pct = m->n_trades > 0 ? 100.0 * m->n_wins / m->n_trades : 0.0;
    m->avg_trade = m->n_trades > 0 ? (m->gross_profit - m->gross_loss) / m->n_trades : 0.0;
    if (m->gross_loss > 0) {
        m->profit_factor = m->gross_profit / m->gross_loss;
        if (m->profit_factor > MT_PF_CAP) { m->profit_factor = MT_PF_CAP; m->flags |= MT_F_PF_CAPPED; }
    } else if (m->gross_profit > 0) {
        m->profit_factor = MT_PF_CAP;   /* no loss: infinite, reported capped */
        m->flags |= MT_F_PF_CAPPED;
    } else {
        m->profit_factor = 0.0;
        m->flags |= MT_F_NO_TRADES;
    }
}

int metrics_trade_list(const double *pnl, int n, mt_trading *m, rs_err *e) {
    if (n < 0 || (n > 0 && !pnl))
        return rs_err_set(e, RS_EINPUT, "metrics_trade_list: need a pnl array of n >= 0 values, got n=%d", n);
    m->n_trades = m->n_wins = m->n_losses = 0;
    m->gross_profit = m->gross_loss = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(pnl[i])) return rs_err_set(e, RS_EINPUT, "metrics_trade_list: pnl[%d] is not finite", i);
        m->n_trades++;
        if (pnl[i] > 0) { m->n_wins++; m->gross_profit += pnl[i]; }
        else if (pnl[i] < 0) { m->n_losses++; m->gross_loss -= pnl[i]; }
    }
    metrics_trade_ratios(m);
    return RS_OK;
}

/* ---- regression ------------------------------------------------------------ */

static int regression(const double *y, const double *yhat, int n, mt_regression *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    if (!y || n < 1) return rs_err_set(e, RS_EINPUT, "metrics_regression: need n >= 1 true values, got %d", n);
    double sy = 0;
    for (int i = 0; i < n; i++) {
        double p = yhat ? yhat[i] : 0.0;
        if (!isfinite(y[i]) || !isfinite(p))
            return rs_err_set(e, RS_EINPUT, "metrics_regression: sample %d is not finite (y=%g, pred=%g)", i, y[i], p);
        sy += y[i];
    }
    double mean = sy / n, sse = 0, sae = 0, sst = 0, dir = 0;
    int n_dir = 0;
    for (int i = 0; i < n; i++) {
        double p = yhat ? yhat[i] : 0.0, d = p - y[i];
        sse += d * d;
        sae += fabs(d);
        sst += (y[i] - mean) * (y[i] - mean);
        if (y[i] != 0) {
            n_dir++;
            if (p == 0) dir += 0.5;                         /* no call */
            else if ((p > 0) == (y[i] > 0)) dir += 1.0;
        }
    }
    out->n = n;
    out->n_dir = n_dir;
    out->rmse = sqrt(sse / n);
    out->mae = sae / n;
    if (sst > 0) out->r2 = 1.0 - sse / sst;
    else { out->r2 = 0.0; out->flags |= MT_F_ZERO_VAR; }
    out->dir_acc = n_dir ? dir / n_dir : 0.0;
    return RS_OK;
}

int metrics_regression(const double *y, const double *yhat, int n, mt_regression *out, rs_err *e) {
    if (!yhat) { memset(out, 0, sizeof *out); return rs_err_set(e, RS_EINPUT, "metrics_regression: predictions are NULL"); }
    return regression(y, yhat, n, out, e);
}

int metrics_persistence(const double *y, int n, mt_regression *out, rs_err *e) {
    return regression(y, NULL, n, out, e);
}

/* ---- classes ----------------------------------------------------------------- */

int metrics_argmax3(const double p[MT_NCLASS]) {
    int best = 0;
    for (int c = 1; c < MT_NCLASS; c++) if (p[c] > p[best]) best = c;
    for (int c = 0; c < MT_NCLASS; c++)
        if (c != best && p[c] == p[best]) return MT_RANGE;   /* tie: no view */
    return best;
}

/* Shared by metrics_classes and metrics_majority: row i's probabilities are
 * prob[i], or `fixed` for every row when prob is NULL. */
static int classes(const int *y, const double (*prob)[MT_NCLASS], const double *fixed,
                   int n, mt_classes *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    if (!y || n < 1) return rs_err_set(e, RS_EINPUT, "metrics_classes: need n >= 1 labels, got %d", n);
    double ll = 0;
    int correct = 0;
    for (int i = 0; i < n; i++) {
        const double *p = prob ? prob[i] : fixed;
        if (y[i] < 0 || y[i] >= MT_NCLASS)
            return rs_err_set(e, RS_EINPUT, "metrics_classes: label %d of sample %d is not a class id 0..2", y[i], i);
        double s = 0;
        for (int c = 0; c < MT_NCLASS; c++) {
            if (!(p[c] >= 0) || !isfinite(p[c]))
                return rs_err_set(e, RS_EINPUT, "metrics_classes: probability [%d][%d] = %g, expected finite >= 0", i, c, p[c]);
            s += p[c];
        }
        if (!(s > 0)) return rs_err_set(e, RS_EINPUT, "metrics_classes: probabilities of sample %d sum to 0", i);
        double pt = p[y[i]] / s;
        if (pt < 1e-15) pt = 1e-15;
        if (pt > 1) pt = 1;
        ll -= log(pt);
        int k = metrics_argmax3(p);
        out->confusion[y[i]][k]++;
        correct += k == y[i];
    }
    out->n = n;
    out->accuracy = (double)correct / n;
    out->log_loss = ll / n;
    out->macro_f1 = metrics_macro_f1(out->confusion);
    return RS_OK;
}

double metrics_macro_f1(const int conf[MT_NCLASS][MT_NCLASS]) {
    double f1 = 0;
    int present = 0;
    for (int c = 0; c < MT_NCLASS; c++) {
        int tp = conf[c][c], fp = 0, fn = 0;
        for (int k = 0; k < MT_NCLASS; k++) if (k != c) { fp += conf[k][c]; fn += conf[c][k]; }
        if (tp + fp + fn == 0) continue;        /* class absent on both sides */
        present++;
        f1 += 2.0 * tp / (2.0 * tp + fp + fn);
    }
    return present ? f1 / present : 0.0;
}

void metrics_class_pr(const int conf[MT_NCLASS][MT_NCLASS], double precision[MT_NCLASS],
                      double recall[MT_NCLASS]) {
    for (int c = 0; c < MT_NCLASS; c++) {
        int tp = conf[c][c], pred = 0, truth = 0;
        for (int k = 0; k < MT_NCLASS; k++) { pred += conf[k][c]; truth += conf[c][k]; }
        precision[c] = pred ? (double)tp / pred : NAN;
        recall[c] = truth ? (double)tp / truth : NAN;
    }
}

int metrics_classes(const int *y, const double (*prob)[MT_NCLASS], int n, mt_classes *out, rs_err *e) {
    if (!prob) { memset(out, 0, sizeof *out); return rs_err_set(e, RS_EINPUT, "metrics_classes: probabilities are NULL"); }
    return classes(y, prob, NULL, n, out, e);
}

int metrics_majority(const int *y, int n, const double prior[MT_NCLASS], mt_classes *out, rs_err *e) {
    if (!prior) { memset(out, 0, sizeof *out); return rs_err_set(e, RS_EINPUT, "metrics_majority: prior is NULL"); }
    return classes(y, NULL, prior, n, out, e);
}

int metrics_class_prior(const int *y, int n, double prior[MT_NCLASS], rs_err *e) {
    if (!y || n < 1) return rs_err_set(e, RS_EINPUT, "metrics_class_prior: need n >= 1 training labels, got %d", n);
    int cnt[MT_NCLASS] = {0};
    for (int i = 0; i < n; i++) {
        if (y[i] < 0 || y[i] >= MT_NCLASS)
            return rs_err_set(e, RS_EINPUT, "metrics_class_prior: label %d of sample %d is not a class id 0..2", y[i], i);
        cnt[y[i]]++;
    }
    for (int c = 0; c < MT_NCLASS; c++) prior[c] = (double)cnt[c] / n;
    return RS_OK;
}

double metrics_implied_log_return(double price, double c) {
    if (!isfinite(price) || !isfinite(c) || !(c > 0)) return NAN;
    return price >= MT_PRICE_FLOOR * c ? log(price / c) : log(MT_PRICE_FLOOR);
}
