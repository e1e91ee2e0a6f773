/*
 * stats.h — the statistics of a sweep, as pure functions on arrays: no
 * files, no plan, no allocation the caller does not see (DESIGN.md,
 * "Honest evaluation rules": trials, deflated Sharpe, PBO, walk-forward
 * selection; seeds are replicates).
 *
 * Sharpe ratios here are PER BAR (mean / sample sd of the bar returns, no
 * annualisation) unless a name says otherwise: the deflated and
 * probabilistic Sharpe ratios are defined on the non-annualised ratio and
 * the number of bars T.
 *
 *   normal      stats_norm_cdf, stats_norm_ppf (Φ, Φ⁻¹).
 *   moments     mean, sample sd, skewness γ3 and (non-excess) kurtosis γ4 as
 *               Bailey & López de Prado use them: γ3 = m3 / m2^1.5,
 *               γ4 = m4 / m2² with m_k the central sample moments (1/n).
 *   PSR         Bailey & López de Prado (2012): the probability that the
 *               true Sharpe exceeds a benchmark SR*,
 *                 PSR(SR*) = Φ( (SR − SR*)·√(T−1) / √(1 − γ3·SR + (γ4−1)/4·SR²) ).
 *   DSR         Bailey & López de Prado (2014): the PSR against the expected
 *               maximum Sharpe of N skill-less trials with cross-trial
 *               variance V (the False Strategy Theorem),
 *                 SR0 = √V · ((1−γ)·Φ⁻¹(1 − 1/N) + γ·Φ⁻¹(1 − 1/(N·e))),
 *               γ = 0.5772… (Euler–Mascheroni); DSR = PSR(SR0).
 *   N_eff       effective number of trials from the average pairwise
 *               correlation ρ̄ of the trials' returns: N_eff = ρ̄ + (1 − ρ̄)·N,
 *               which is N for independent trials and 1 for identical ones
 *               (ρ̄ < 0 gives N; the approximation does not credit hedges).
 *   PBO         Bailey, Borwein, López de Prado & Zhu (2017), combinatorially
 *               symmetric cross-validation on per-block sufficient statistics
 *               (no T × N matrix is ever held): stats_pbo.
 *   selection   walk-forward selection of configurations (top-k) from a
 *               configuration × period score table: stats_wf_select.
 *   paired      mean paired difference with a bootstrap interval over
 *               periods and the share of matched cells won: stats_paired.
 *
 * Errors: functions that can fail take an rs_err and return 0 or RS_EINPUT
 * (sizes out of range) / RS_EINTERNAL (out of memory).
 */
#ifndef RS_STATS_H
#define RS_STATS_H

#include <stdint.h>

#include "worker/util.h"

#define STATS_EULER_GAMMA 0.5772156649015329

/* Φ(x), the standard normal CDF (erfc form: accurate in both tails). */
double stats_norm_cdf(double x);

/* Φ⁻¹(q), 0 < q < 1 (Acklam's rational approximation refined by one Halley
 * step on erfc: ~1e-15 relative); −inf at 0, +inf at 1, NaN outside [0, 1]. */
double stats_norm_ppf(double q);

/* Expected maximum of n skill-less trials whose scores have cross-trial
 * standard deviation sd (the SR0 formula above, n real so an effective
 * number can be used).  NaN when n < 2 or sd is not finite: the
 * approximation is for a maximum over several trials. */
double stats_expected_max(double n, double sd);

typedef struct {
    long   n;
    double mean;
    double sd;                /* sample (n − 1); 0 when n < 2             */
    double skew;              /* γ3; 0 when the variance is 0             */
    double kurt;              /* γ4 (normal: 3); 3 when the variance is 0 */
} stats_mom;

/* Moments of x[0..n) (n >= 0; two passes, in double). */
void stats_moments(const double *x, long n, stats_mom *m);

/* Per-bar Sharpe of moments m: mean / sd, 0 when sd <= 1e-12 (the metrics
 * module's zero-variance rule, MT_SD_EPS). */
double stats_sharpe(const stats_mom *m);

/* PSR(sr_star) of a per-bar Sharpe sr over T bars with skewness and
 * kurtosis as above.  NaN when T < 2 or the variance term is <= 0 (an
 * extreme SR with heavy negative skew). */
double stats_psr(double sr, double sr_star, long T, double skew, double kurt);

typedef struct {
    double n_trials;          /* N used (may be an effective number)      */
    double sd_sr;             /* √V of the trials' per-bar Sharpes         */
    double sr0;               /* expected max of N skill-less trials       */
    double dsr;               /* PSR(sr0)                                   */
} stats_dsr_t;

/* Deflated Sharpe of a per-bar Sharpe sr over T bars (skew, kurt of its
 * returns) selected among n_trials trials whose per-bar Sharpes have
 * variance var_sr.  Fields NaN when n_trials < 2 (no selection to deflate:
 * the PSR against 0 says it all) or T < 2. */
stats_dsr_t stats_dsr(double sr, long T, double skew, double kurt, double n_trials, double var_sr);

/* N_eff = ρ̄ + (1 − ρ̄)·n, ρ̄ clamped to [0, 1]; n when rho is NaN. */
double stats_neff(double rho, int n);

/* ---- PBO by CSCV ---------------------------------------------------------------
 * The T bars of every trial are cut into S contiguous blocks (the caller
 * accumulates each trial's per-block count, sum and sum of squares, so the
 * cost in memory is N × S, not N × T).  For each combination C of S/2 blocks:
 * in-sample = the bars of C, out-of-sample = the rest; n* = the trial with
 * the best in-sample Sharpe (ties: the lowest index); its out-of-sample
 * relative rank ω = r / (N + 1), r in 1..N (1 the worst; ties share their
 * mean rank); λ = ln(ω / (1 − ω)).  PBO = the share of combinations with
 * λ <= 0 (the in-sample winner at or below the out-of-sample median).
 * Every one of the C(S, S/2) combinations is used unless
 * C(S, S/2) · N · S exceeds `budget` (elementary steps): then `budget /
 * (N · S)` combinations (at least 200) are drawn uniformly at random from a
 * stream seeded with `seed`, and `sampled` says so. */
typedef struct { double n, sum, sq; } stats_block;

typedef struct {
    int     n_trials, n_blocks;
    double  n_comb_total;     /* C(S, S/2)                                     */
    long    n_comb;           /* combinations evaluated                        */
    int     sampled;          /* 1: a random subset of them                    */
    double  pbo;
    double  logit_mean, logit_q05, logit_q25, logit_median, logit_q75, logit_q95;
    double  prob_oos_loss;    /* share with the winner's OOS Sharpe < 0         */
    double  is_sr_mean, oos_sr_mean;   /* the in-sample winner's mean Sharpes  */
    double *logits;           /* [n_comb] malloc'd λ values, ascending; free
                                 with stats_pbo_free                           */
} stats_pbo_t;

/* blocks[i * S + b]: trial i's block b.  Needs 2 <= S <= 30, S even, and
 * n_trials >= 2.  Returns 0, RS_EINPUT or RS_EINTERNAL; *out zeroed on
 * error. */
int stats_pbo(const stats_block *blocks, int n_trials, int S, double budget, uint64_t seed,
              stats_pbo_t *out, rs_err *e);
void stats_pbo_free(stats_pbo_t *p);        /* NULL fine */

/* ---- walk-forward selection -------------------------------------------------------
 * score[c * n_periods + t]: configuration c's score in period t (periods in
 * time order), NaN where it has none.  For every period t >= 1, the top k
 * configurations by their periods < t — more scored periods first (a
 * configuration that skipped a period must not win, as in `show`), then the
 * better mean (higher or lower as `higher` says), ties by index — go to
 * picks[t * k .. t * k + k), -1 past the candidates (a configuration with
 * no score before t is no candidate).  Period 0 has no past: all -1.
 * Returns 0 or RS_EINPUT (k < 1, sizes < 1). */
int stats_wf_select(const double *score, int n_cfg, int n_periods, int higher, int k, int *picks,
                    rs_err *e);

/* ---- paired comparison ---------------------------------------------------------------
 * diff[i]: the paired difference of matched cell i (positive = the first
 * level better), period[i] in 0..n_periods-1 its period.  mean = the mean
 * of diff; [lo, hi] = the 2.5 % and 97.5 % percentiles of that mean over B
 * bootstrap resamples of whole periods (with replacement, stream seeded with
 * seed: cells of one period move together, because they share its market);
 * won = the share of cells with diff > 0, ties counting one half. */
typedef struct {
    int    n, n_periods, B;
    double mean, lo, hi, won;
} stats_paired_t;

int stats_paired(const double *diff, const int *period, int n, int n_periods, int B, uint64_t seed,
                 stats_paired_t *out, rs_err *e);

/* The q-quantile (0..1) of sorted x[0..n) by linear interpolation; NaN when
 * n = 0. */
double stats_quantile_sorted(const double *x, long n, double q);

#endif /* RS_STATS_H */
