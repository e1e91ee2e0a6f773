/*
 * stats.c — the statistics of a sweep (see stats.h).
 *
 * Decisions stats.h leaves open, made here:
 *   - PBO's Sharpe on a set of blocks pools their bars (n, Σr, Σr² added),
 *     so in-sample and out-of-sample Sharpes are those of the bars
 *     themselves, exactly as if the T × N matrix were sliced;
 *   - combinations are enumerated as S-bit masks with S/2 bits set (Gosper's
 *     hack), so each and its complement both appear, as CSCV requires;
 *   - the bootstrap interval is the percentile interval (B resamples, the
 *     ⌊0.025·B⌋-th and ⌈0.975·B⌉-th order statistics, interpolated).
 */
#include "coordinator/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SD_EPS 1e-12          /* = MT_SD_EPS (worker/metrics.h)             */

double stats_norm_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }

/* Acklam's rational approximation (relative error 1.15e-9) refined by one
 * Halley step on erfc, which brings it to about machine precision. */
double stats_norm_ppf(double q) {
    static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00 };
    static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01 };
    static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00 };
    static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00 };
    if (!(q >= 0 && q <= 1)) return NAN;
    if (q == 0) return -INFINITY;
    if (q == 1) return INFINITY;
    const double lo = 0.02425;
    double x;
    if (q < lo) {
        double t = sqrt(-2 * log(q));
        x = (((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
            ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    } else if (q <= 1 - lo) {
        double t = q - 0.5, r = t * t;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * t /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double t = sqrt(-2 * log1p(-q));
        x = -(((((c[0] * t + c[1]) * t + c[2]) * t + c[3]) * t + c[4]) * t + c[5]) /
            ((((d[0] * t + d[1]) * t + d[2]) * t + d[3]) * t + 1);
    }
    /* Halley: err = Φ(x) − q with Φ(x) = erfc(−x/√2)/2, accurate in both tails. */
    double err = 0.5 * erfc(-x / sqrt(2.0)) - q;
    double u = err * sqrt(2 * M_PI) * exp(x * x / 2);
    return x - u / (1 + x * u / 2);
}

double stats_expected_max(double n, double sd) {
    if (!(n >= 2) || !isfinite(sd)) return NAN;
    double q1 = stats_norm_ppf(1 - 1.0 / n), q2 = stats_norm_ppf(1 - 1.0 / (n * M_E));
    return sd * ((1 - STATS_EULER_GAMMA) * q1 + STATS_EULER_GAMMA * q2);
}

void stats_moments(const double *x, long n, stats_mom *m) {
    memset(m, 0, sizeof *m);
    m->n = n;
    m->kurt = 3;
    if (n <= 0) { m->mean = NAN; return; }
    double s = 0;
    for (long i = 0; i < n; i++) s += x[i];
    const double mu = s / n;
    double m2 = 0, m3 = 0, m4 = 0;
    for (long i = 0; i < n; i++) {
        double d = x[i] - mu, d2 = d * d;
        m2 += d2;
        m3 += d2 * d;
        m4 += d2 * d2;
    }
    m->mean = mu;
    m->sd = n > 1 ? sqrt(m2 / (n - 1)) : 0;
    m2 /= n;
    m3 /= n;
    m4 /= n;
    /* the moments of a constant series are those of a point: report the
     * normal's, so a PSR of a flat curve is defined (its Sharpe is 0) */
    if (m2 > 0 && m->sd > SD_EPS) {
        m->skew = m3 / pow(m2, 1.5);
        m->kurt = m4 / (m2 * m2);
    }
}

double stats_sharpe(const stats_mom *m) {
    return m->n > 1 && m->sd > SD_EPS ? m->mean / m->sd : 0;
}

double stats_psr(double sr, double sr_star, long T, double skew, double kurt) {
    if (T < 2 || !isfinite(sr) || !isfinite(sr_star)) return NAN;
    double v = 1 - skew * sr + (kurt - 1) / 4 * sr * sr;
    if (!(v > 0)) return NAN;
    return stats_norm_cdf((sr - sr_star) * sqrt((double)(T - 1)) / sqrt(v));
}

stats_dsr_t stats_dsr(double sr, long T, double skew, double kurt, double n_trials, double var_sr) {
    stats_dsr_t d = { n_trials, NAN, NAN, NAN };
    if (!(n_trials >= 2) || T < 2 || !(var_sr >= 0)) return d;
    d.sd_sr = sqrt(var_sr);
    d.sr0 = stats_expected_max(n_trials, d.sd_sr);
    d.dsr = stats_psr(sr, d.sr0, T, skew, kurt);
    return d;
}

double stats_neff(double rho, int n) {
    if (isnan(rho)) return n;
    if (rho < 0) rho = 0;
    if (rho > 1) rho = 1;
    return rho + (1 - rho) * n;
}

double stats_quantile_sorted(const double *x, long n, double q) {
    if (n <= 0) return NAN;
    if (q <= 0) return x[0];
    if (q >= 1) return x[n - 1];
    double pos = q * (double)(n - 1);
    long i = (long)pos;
    double f = pos - (double)i;
    return i + 1 < n ? x[i] + f * (x[i + 1] - x[i]) : x[i];
}

static int cmp_double(const void *pa, const void *pb) {
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

/* ---- PBO ------------------------------------------------------------------------- */

/* Sharpe of pooled sufficient statistics (n, Σr, Σr²). */
static double pooled_sharpe(double n, double sum, double sq) {
    if (n < 2) return 0;
    double mu = sum / n, var = (sq - n * mu * mu) / (n - 1);
    if (!(var > SD_EPS * SD_EPS)) return 0;
    return mu / sqrt(var);
}

static double binom(int n, int k) {
    double c = 1;
    for (int i = 1; i <= k; i++) c = c * (n - k + i) / i;
    return floor(c + 0.5);
}

/* Evaluate one combination (mask of in-sample blocks): the logit of the
 * in-sample winner's out-of-sample rank; its two Sharpes in *is, *oos. */
static double cscv_one(const stats_block *b, const double *tot, int n_trials, int S, uint32_t mask,
                       double *oos_sr, double *is, double *oos) {
    int best = -1;
    double best_is = 0;
    for (int i = 0; i < n_trials; i++) {
        double n = 0, s = 0, q = 0;
        const stats_block *bi = b + (size_t)i * S;
        for (int k = 0; k < S; k++)
            if (mask >> k & 1u) { n += bi[k].n; s += bi[k].sum; q += bi[k].sq; }
        double sr_is = pooled_sharpe(n, s, q);
        oos_sr[i] = pooled_sharpe(tot[3 * i] - n, tot[3 * i + 1] - s, tot[3 * i + 2] - q);
        if (best < 0 || sr_is > best_is) { best = i; best_is = sr_is; }
    }
    double v = oos_sr[best];
    int below = 0, ties = 0;
    for (int i = 0; i < n_trials; i++) {
        if (i == best) continue;
        if (oos_sr[i] < v) below++;
        else if (oos_sr[i] == v) ties++;
    }
    double rank = 1 + below + 0.5 * ties;               /* 1 .. N, ties at their mean */
    double w = rank / (n_trials + 1);
    *is = best_is;
    *oos = v;
    return log(w / (1 - w));
}

int stats_pbo(const stats_block *blocks, int n_trials, int S, double budget, uint64_t seed,
              stats_pbo_t *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    if (S < 2 || S > 30 || S % 2)
        return rs_err_set(e, RS_EINPUT, "PBO: %d blocks; expected an even number from 2 to 30", S);
    if (n_trials < 2) return rs_err_set(e, RS_EINPUT, "PBO: %d trials; needs 2 or more", n_trials);
    const double total = binom(S, S / 2);
    const double per = (double)n_trials * S;
    long n_comb = (long)total;
    int sampled = 0;
    if (total * per > budget) {
        double m = floor(budget / per);
        n_comb = m < 200 ? 200 : (long)m;
        if (n_comb < (long)total) sampled = 1;
        else n_comb = (long)total;
    }
    double *tot = malloc((size_t)n_trials * 3 * sizeof *tot);
    double *oos_sr = malloc((size_t)n_trials * sizeof *oos_sr);
    double *logits = malloc((size_t)n_comb * sizeof *logits);
    if (!tot || !oos_sr || !logits) {
        free(tot); free(oos_sr); free(logits);
        return rs_err_set(e, RS_EINTERNAL, "out of memory");
    }
    for (int i = 0; i < n_trials; i++) {
        double n = 0, s = 0, q = 0;
        for (int k = 0; k < S; k++) {
            const stats_block *x = &blocks[(size_t)i * S + k];
            n += x->n; s += x->sum; q += x->sq;
        }
        tot[3 * i] = n; tot[3 * i + 1] = s; tot[3 * i + 2] = q;
    }
    double sum_l = 0, sum_is = 0, sum_oos = 0;
    long n_le0 = 0, n_loss = 0, c = 0;
    rs_rng rng;
    rs_rng_seed(&rng, seed);
    uint32_t mask = (1u << (S / 2)) - 1;               /* the first combination */
    int idx[30];
    for (; c < n_comb; c++) {
        if (sampled) {                                  /* a uniform S/2-subset */
            for (int k = 0; k < S; k++) idx[k] = k;
            mask = 0;
            for (int k = 0; k < S / 2; k++) {
                int j = k + (int)rs_rng_below(&rng, (uint32_t)(S - k));
                int t = idx[k]; idx[k] = idx[j]; idx[j] = t;
                mask |= 1u << idx[k];
            }
        }
        double is, oos;
        double l = cscv_one(blocks, tot, n_trials, S, mask, oos_sr, &is, &oos);
        logits[c] = l;
        sum_l += l;
        n_le0 += l <= 0;
        n_loss += oos < 0;
        sum_is += is;
        sum_oos += oos;
        if (!sampled) {                                 /* Gosper: next mask, same popcount */
            uint32_t u = mask & -mask, v = mask + u;
            mask = v + (((v ^ mask) / u) >> 2);
        }
    }
    free(tot);
    free(oos_sr);
    qsort(logits, (size_t)n_comb, sizeof *logits, cmp_double);
    out->n_trials = n_trials;
    out->n_blocks = S;
    out->n_comb_total = total;
    out->n_comb = n_comb;
    out->sampled = sampled;
    out->pbo = (double)n_le0 / n_comb;
    out->prob_oos_loss = (double)n_loss / n_comb;
    out->logit_mean = sum_l / n_comb;
    out->logit_q05 = stats_quantile_sorted(logits, n_comb, 0.05);
    out->logit_q25 = stats_quantile_sorted(logits, n_comb, 0.25);
    out->logit_median = stats_quantile_sorted(logits, n_comb, 0.5);
    out->logit_q75 = stats_quantile_sorted(logits, n_comb, 0.75);
    out->logit_q95 = stats_quantile_sorted(logits, n_comb, 0.95);
    out->is_sr_mean = sum_is / n_comb;
    out->oos_sr_mean = sum_oos / n_comb;
    out->logits = logits;
    return 0;
}

void stats_pbo_free(stats_pbo_t *p) {
    if (!p) return;
    free(p->logits);
    p->logits = NULL;
}

/* ---- walk-forward selection --------------------------------------------------------------- */

typedef struct { int cfg, n; double mean; } wf_cand;

/* Better candidate first: more scored periods, then the better mean, then index. */
static int wf_better(const wf_cand *a, const wf_cand *b, int higher) {
    if (a->n != b->n) return a->n > b->n;
    if (a->mean != b->mean) return higher ? a->mean > b->mean : a->mean < b->mean;
    return a->cfg < b->cfg;
}

int stats_wf_select(const double *score, int n_cfg, int n_periods, int higher, int k, int *picks,
                    rs_err *e) {
    if (k < 1 || n_cfg < 1 || n_periods < 1)
        return rs_err_set(e, RS_EINPUT, "walk-forward selection: %d configurations, %d periods, top %d",
                          n_cfg, n_periods, k);
    wf_cand *top = malloc((size_t)k * sizeof *top);
    double *sum = calloc((size_t)n_cfg, sizeof *sum);
    int *cnt = calloc((size_t)n_cfg, sizeof *cnt);
    if (!top || !sum || !cnt) { free(top); free(sum); free(cnt); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    for (int j = 0; j < k; j++) picks[j] = -1;
    for (int t = 1; t < n_periods; t++) {
        /* add period t - 1 to the running sums: the past of period t */
        for (int c = 0; c < n_cfg; c++) {
            double v = score[(size_t)c * n_periods + t - 1];
            if (!isnan(v)) { sum[c] += v; cnt[c]++; }
        }
        int nt = 0;
        for (int c = 0; c < n_cfg; c++) {
            if (!cnt[c]) continue;
            wf_cand x = { c, cnt[c], sum[c] / cnt[c] };
            /* insertion into the k best so far */
            int pos = nt < k ? nt : k;
            while (pos > 0 && wf_better(&x, &top[pos - 1], higher)) pos--;
            if (pos >= k) continue;
            int last = nt < k ? nt : k - 1;
            memmove(&top[pos + 1], &top[pos], (size_t)(last - pos) * sizeof *top);
            top[pos] = x;
            if (nt < k) nt++;
        }
        for (int j = 0; j < k; j++) picks[(size_t)t * k + j] = j < nt ? top[j].cfg : -1;
    }
    free(top);
    free(sum);
    free(cnt);
    return 0;
}

/* ---- paired comparison -------------------------------------------------------------------------- */

int stats_paired(const double *diff, const int *period, int n, int n_periods, int B, uint64_t seed,
                 stats_paired_t *out, rs_err *e) {
    memset(out, 0, sizeof *out);
    out->mean = out->lo = out->hi = out->won = NAN;
    if (n < 1 || n_periods < 1 || B < 1)
        return rs_err_set(e, RS_EINPUT, "paired comparison: %d cells, %d periods, %d resamples", n, n_periods, B);
    double *ps = calloc((size_t)n_periods, sizeof *ps);
    int *pc = calloc((size_t)n_periods, sizeof *pc);
    double *bs = malloc((size_t)B * sizeof *bs);
    if (!ps || !pc || !bs) { free(ps); free(pc); free(bs); return rs_err_set(e, RS_EINTERNAL, "out of memory"); }
    double s = 0, won = 0;
    for (int i = 0; i < n; i++) {
        if (period[i] < 0 || period[i] >= n_periods) {
            free(ps); free(pc); free(bs);
            return rs_err_set(e, RS_EINPUT, "paired comparison: cell %d has period %d of %d", i, period[i], n_periods);
        }
        ps[period[i]] += diff[i];
        pc[period[i]]++;
        s += diff[i];
        won += diff[i] > 0 ? 1 : diff[i] == 0 ? 0.5 : 0;
    }
    rs_rng rng;
    rs_rng_seed(&rng, seed);
    int nb = 0;
    for (int b = 0; b < B; b++) {
        double bsum = 0;
        long bcnt = 0;
        for (int j = 0; j < n_periods; j++) {
            int q = (int)rs_rng_below(&rng, (uint32_t)n_periods);
            bsum += ps[q];
            bcnt += pc[q];
        }
        if (bcnt) bs[nb++] = bsum / bcnt;      /* a resample of cell-less periods has no mean */
    }
    qsort(bs, (size_t)nb, sizeof *bs, cmp_double);
    out->n = n;
    out->n_periods = n_periods;
    out->B = B;
    out->mean = s / n;
    out->lo = stats_quantile_sorted(bs, nb, 0.025);
    out->hi = stats_quantile_sorted(bs, nb, 0.975);
    out->won = won / n;
    free(ps);
    free(pc);
    free(bs);
    return 0;
}
