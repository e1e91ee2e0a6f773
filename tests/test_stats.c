/* test_stats.c — the statistics of a sweep: the deflated Sharpe ratio
 * reproduces Bailey & López de Prado's (2014) numerical example; the PSR is
 * calibrated (a skill-less strategy passes 95 % about 5 % of the time); PBO
 * by CSCV is about 0.5 on pure noise and about 0 with a planted skilled
 * strategy; walk-forward selection and the paired bootstrap on hand-made
 * tables; the normal quantile behind them. */
#include "tests/cu.h"
#include "coordinator/stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Φ⁻¹ by bisection on Φ(x) = erfc(−x/√2)/2: slow, simple and independent
 * of stats.c's rational approximation. */
static double ppf_bisect(double q) {
    double lo = -40, hi = 40;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (0.5 * erfc(-mid / sqrt(2.0)) < q) lo = mid;
        else hi = mid;
    }
    return 0.5 * (lo + hi);
}

static void test_norm(void) {
    /* reference quantiles (Wichura AS241, double precision) */
    static const double pts[][2] = {
        { 0.975, 1.959963984540054 },  { 0.5, 0.0 },
        { 0.99, 2.3263478740408408 },  { 0.999, 3.090232306167813 },
        { 1e-10, -6.361340902404056 }, { 0.02, -2.0537489106318225 },
        { 0.8, 0.8416212335729144 },   { 1 - 1e-12, 7.0344869100478356 },
    };
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        double x = stats_norm_ppf(pts[i][0]), want = pts[i][1];
        double err = want == 0 ? fabs(x) : fabs(x - want) / fabs(want);
        CU_ASSERT(err < 1e-8);
        if (!(err < 1e-8)) printf("\n  q %.17g: got %.17g want %.17g\n", pts[i][0], x, want);
        CU_ASSERT_DOUBLE_EQUAL(stats_norm_cdf(want), pts[i][0], 1e-13);
    }
    CU_ASSERT(isinf(stats_norm_ppf(0)) && stats_norm_ppf(0) < 0);
    CU_ASSERT(isinf(stats_norm_ppf(1)) && stats_norm_ppf(1) > 0);
    CU_ASSERT(isnan(stats_norm_ppf(1.5)) && isnan(stats_norm_ppf(NAN)));
    /* symmetric, and monotone across the region boundaries (0.02425) */
    double prev = -INFINITY;
    for (int i = 1; i < 1000; i++) {
        double q = i / 1000.0, x = stats_norm_ppf(q);
        CU_ASSERT_DOUBLE_EQUAL(x, -stats_norm_ppf(1 - q), 1e-12 * (1 + fabs(x)));
        CU_ASSERT(x > prev);
        prev = x;
    }
    /* E[max] of N = 100 unit-variance trials: about 2.53 (the False
     * Strategy Theorem), against the formula with bisected quantiles */
    const double g = STATS_EULER_GAMMA;
    double want = (1 - g) * ppf_bisect(0.99) + g * ppf_bisect(1 - 1 / (100 * M_E));
    CU_ASSERT_DOUBLE_EQUAL(stats_expected_max(100, 1.0), want, 1e-10);
    CU_ASSERT_DOUBLE_EQUAL(stats_expected_max(100, 1.0), 2.5306028932016846, 1e-9);
    CU_ASSERT(isnan(stats_expected_max(1, 1.0)) && isnan(stats_expected_max(1.9, 1.0)));
    CU_ASSERT_DOUBLE_EQUAL(stats_expected_max(40.5, 2.0), 2.0 * stats_expected_max(40.5, 1.0), 1e-12);
}

/* Bailey & López de Prado (2014), "The Deflated Sharpe Ratio", numerical
 * example: N = 100 independent trials; the best has an annualised Sharpe
 * of 2.5 over 5 years of daily returns (T = 1250, 250 bars a year); the
 * annualised Sharpes of the trials have variance 1/2; the winner's returns
 * have skewness −3 and kurtosis 10.  The paper finds SR0 = 0.1132 per bar
 * (1.79 annualised) and DSR = 0.9004: the winner is not significant at 95 %
 * although its Sharpe is 2.5. */
static void test_dsr_paper_example(void) {
    const double bpy = 250, sr = 2.5 / sqrt(bpy), var = 0.5 / bpy;
    stats_dsr_t d = stats_dsr(sr, 1250, -3, 10, 100, var);
    CU_ASSERT_DOUBLE_EQUAL(d.sr0, 0.1132, 0.00005);
    CU_ASSERT_DOUBLE_EQUAL(d.dsr, 0.9004, 0.00005);
    printf("\n  paper: SR0 0.1132, DSR 0.9004; here SR0 %.6f, DSR %.6f ", d.sr0, d.dsr);
    CU_ASSERT_DOUBLE_EQUAL(d.sd_sr, sqrt(var), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(d.n_trials, 100, 0);
    /* by hand: z = (SR − SR0)·√(T−1)/√(1 − γ3·SR + (γ4−1)/4·SR²) */
    double z = (sr - d.sr0) * sqrt(1249.0) / sqrt(1 + 3 * sr + 9.0 / 4 * sr * sr);
    CU_ASSERT_DOUBLE_EQUAL(d.dsr, 0.5 * erfc(-z / sqrt(2.0)), 1e-14);
    /* the same strategy with normal returns deflates less; more trials more */
    CU_ASSERT(stats_dsr(sr, 1250, 0, 3, 100, var).dsr > d.dsr);
    CU_ASSERT(stats_dsr(sr, 1250, -3, 10, 1000, var).dsr < d.dsr);
    /* no selection, nothing to deflate */
    CU_ASSERT(isnan(stats_dsr(sr, 1250, -3, 10, 1, var).dsr));
    /* PSR: at the benchmark itself exactly one half */
    CU_ASSERT_DOUBLE_EQUAL(stats_psr(0.1, 0.1, 500, -1, 6), 0.5, 1e-15);
    CU_ASSERT(isnan(stats_psr(0.1, 0, 1, 0, 3)));
}

/* The PSR against 0 of a strategy with no skill (iid normal returns, true
 * Sharpe 0) is about uniform: it exceeds 0.95 in about 5 % of backtests.
 * 4000 backtests of 250 bars: 5 % ± 1.1 % (3.2 binomial sd). */
static void test_psr_calibrated(void) {
    rs_rng r;
    rs_rng_seed(&r, 11);
    enum { RUNS = 4000, T = 250 };
    static double x[T];
    int pass = 0;
    for (int k = 0; k < RUNS; k++) {
        for (int t = 0; t < T; t++) x[t] = 0.01 * rs_rng_normal(&r);
        stats_mom m;
        stats_moments(x, T, &m);
        pass += stats_psr(stats_sharpe(&m), 0, T, m.skew, m.kurt) > 0.95;
    }
    double share = (double)pass / RUNS;
    printf("\n  skill-less PSR > 0.95 in %.2f %% of %d backtests ", 100 * share, RUNS);
    CU_ASSERT(fabs(share - 0.05) < 0.011);
}

static void test_moments_neff(void) {
    /* {1,2,3,4,10}: mean 4, central moments m2 10, m3 36, m4 278.8 */
    const double x[] = { 1, 2, 3, 4, 10 };
    stats_mom m;
    stats_moments(x, 5, &m);
    CU_ASSERT_DOUBLE_EQUAL(m.mean, 4, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(m.sd, sqrt(50.0 / 4), 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(m.skew, 36 / pow(10, 1.5), 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(m.kurt, 2.788, 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(stats_sharpe(&m), 4 / sqrt(12.5), 1e-14);
    /* a constant series: Sharpe 0 (zero variance), the normal's moments */
    const double c[] = { 0.5, 0.5, 0.5 };
    stats_moments(c, 3, &m);
    CU_ASSERT_EQUAL(stats_sharpe(&m), 0);
    CU_ASSERT_EQUAL(m.skew, 0);
    CU_ASSERT_EQUAL(m.kurt, 3);
    /* N_eff: independent trials count fully, identical ones once */
    CU_ASSERT_DOUBLE_EQUAL(stats_neff(0, 72), 72, 0);
    CU_ASSERT_DOUBLE_EQUAL(stats_neff(1, 72), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(stats_neff(0.5, 9), 5, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(stats_neff(-0.2, 9), 9, 0);
    CU_ASSERT_DOUBLE_EQUAL(stats_neff(NAN, 9), 9, 0);
    /* quantiles */
    const double s[] = { 1, 2, 3, 4 };
    CU_ASSERT_DOUBLE_EQUAL(stats_quantile_sorted(s, 4, 0.5), 2.5, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(stats_quantile_sorted(s, 4, 0), 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(stats_quantile_sorted(s, 4, 1), 4, 0);
    CU_ASSERT(isnan(stats_quantile_sorted(s, 0, 0.5)));
}

/* Block statistics of N trials × T bars: iid N(mu_i, 0.01²) returns. */
static void make_blocks(rs_rng *r, stats_block *b, int n_trials, int S, int T, const double *mu) {
    memset(b, 0, (size_t)n_trials * S * sizeof *b);
    for (int i = 0; i < n_trials; i++)
        for (int t = 0; t < T; t++) {
            double x = mu[i] + 0.01 * rs_rng_normal(r);
            stats_block *k = &b[(size_t)i * S + (long)t * S / T];
            k->n++; k->sum += x; k->sq += x * x;
        }
}

/* PBO of pure noise: about 0.5; one matrix's PBO varies a lot (its
 * combinations overlap), so the mean over 20 matrices of 10 trials × 1600
 * bars is held to 0.5 ± 0.1.  A planted skilled strategy (per-bar Sharpe
 * 0.15 among 9 noise trials) is the in-sample winner and stays on top
 * out of sample: PBO <= 0.05 on every matrix. */
static void test_pbo_noise_and_skill(void) {
    enum { N = 10, S = 16, T = 1600, M = 20 };
    static stats_block b[N * S];
    double mu[N] = { 0 };
    rs_rng r;
    rs_rng_seed(&r, 2017);
    double sum = 0;
    int all_comb = 1;
    for (int m = 0; m < M; m++) {
        make_blocks(&r, b, N, S, T, mu);
        stats_pbo_t p;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(stats_pbo(b, N, S, 1e12, 1, &p, &e), 0);
        sum += p.pbo;
        all_comb &= p.n_comb == 12870 && !p.sampled && p.n_comb_total == 12870;
        stats_pbo_free(&p);
    }
    CU_ASSERT(all_comb);
    printf("\n  noise: mean PBO %.3f over %d matrices ", sum / M, M);
    CU_ASSERT(fabs(sum / M - 0.5) < 0.1);

    mu[3] = 0.15 * 0.01;
    double worst = 0;
    for (int m = 0; m < M; m++) {
        make_blocks(&r, b, N, S, T, mu);
        stats_pbo_t p;
        rs_err e;
        CU_ASSERT_EQUAL_FATAL(stats_pbo(b, N, S, 1e12, 1, &p, &e), 0);
        if (p.pbo > worst) worst = p.pbo;
        CU_ASSERT(p.logit_median > 2.0);              /* ln(10/1) = 2.30: rank N of N */
        CU_ASSERT(p.oos_sr_mean > 0.1);
        stats_pbo_free(&p);
    }
    printf("skill: worst PBO %.3f ", worst);
    CU_ASSERT(worst <= 0.05);

    /* a budget below C(16,8)·N·S samples combinations: at least 200 */
    stats_pbo_t p;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(stats_pbo(b, N, S, 1000, 5, &p, &e), 0);
    CU_ASSERT(p.sampled && p.n_comb == 200);
    CU_ASSERT(p.pbo <= 0.05);
    stats_pbo_free(&p);
}

/* Two blocks, two trials, each good where the other is bad: the in-sample
 * winner is always the out-of-sample loser.  Rank 1 of 2: ω = 1/3,
 * λ = ln(1/2) in both combinations, PBO = 1, OOS loss in both. */
static void test_pbo_by_hand(void) {
    /* trial 0: block 0 mean +1, block 1 mean −1 (sd 1 each), trial 1 mirrored */
    stats_block b[4] = {
        { 10, 10, 20 }, { 10, -10, 20 },
        { 10, -10, 20 }, { 10, 10, 20 },
    };
    stats_pbo_t p;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(stats_pbo(b, 2, 2, 1e9, 0, &p, &e), 0);
    CU_ASSERT_EQUAL(p.n_comb, 2);
    CU_ASSERT_DOUBLE_EQUAL(p.pbo, 1, 0);
    CU_ASSERT_DOUBLE_EQUAL(p.logits[0], log(0.5), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.logits[1], log(0.5), 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.prob_oos_loss, 1, 0);
    /* per-block Sharpe 1/√(10/9)... in sample: mean 1, var (20 − 10)/9 */
    CU_ASSERT_DOUBLE_EQUAL(p.is_sr_mean, 1 / sqrt(10.0 / 9), 1e-14);
    CU_ASSERT_DOUBLE_EQUAL(p.oos_sr_mean, -1 / sqrt(10.0 / 9), 1e-14);
    stats_pbo_free(&p);
    CU_ASSERT_EQUAL(stats_pbo(b, 2, 3, 1e9, 0, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "even number"));
    CU_ASSERT_EQUAL(stats_pbo(b, 1, 2, 1e9, 0, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NULL(p.logits);
}

/* 4 configurations × 4 periods, by hand:
 *          P0    P1    P2    P3
 *   c0    1.0   0.0   0.0   9      means before P1: c0 1, c1 .5, c2 2 (c3 none)
 *   c1    0.5   3.0   0.0   9                 P2: c0 .5, c1 1.75, c2 2 → but c2 has 1 period
 *   c2    2.0   NaN   5.0   9                 P3: c0 .33, c1 1.17, c2 3.5 (2 periods), c3 4 (1)
 *   c3    NaN   NaN   4.0   9 */
static void test_wf_select(void) {
    const double N_ = NAN;
    const double s[4][4] = { { 1, 0, 0, 9 }, { 0.5, 3, 0, 9 }, { 2, N_, 5, 9 }, { N_, N_, 4, 9 } };
    int picks[4 * 2];
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(stats_wf_select(&s[0][0], 4, 4, 1, 2, picks, &e), 0);
    CU_ASSERT(picks[0] == -1 && picks[1] == -1);      /* P0 has no past */
    CU_ASSERT(picks[2] == 2 && picks[3] == 0);        /* P1: c2 (2), c0 (1) */
    CU_ASSERT(picks[4] == 1 && picks[5] == 0);        /* P2: 2 periods beat 1: c1 1.75, c0 .5 */
    CU_ASSERT(picks[6] == 1 && picks[7] == 0);        /* P3: c0, c1 have 3 periods; c1 1.17 */
    /* lower is better: P1 picks c1 (.5) then c0 (1) */
    CU_ASSERT_EQUAL_FATAL(stats_wf_select(&s[0][0], 4, 4, 0, 2, picks, &e), 0);
    CU_ASSERT(picks[2] == 1 && picks[3] == 0);
    CU_ASSERT(picks[6] == 0 && picks[7] == 1);        /* P3: c0 1/3 < c1 7/6 */
    /* more picks than candidates: -1 beyond them; ties by index */
    int p5[4 * 5];
    CU_ASSERT_EQUAL_FATAL(stats_wf_select(&s[0][0], 4, 4, 1, 5, p5, &e), 0);
    CU_ASSERT(p5[5] == 2 && p5[6] == 0 && p5[7] == 1 && p5[8] == -1 && p5[9] == -1);
    const double tie[2][2] = { { 1, 0 }, { 1, 0 } };
    CU_ASSERT_EQUAL_FATAL(stats_wf_select(&tie[0][0], 2, 2, 1, 1, picks, &e), 0);
    CU_ASSERT_EQUAL(picks[1], 0);
    CU_ASSERT_EQUAL(stats_wf_select(&s[0][0], 4, 4, 1, 0, picks, &e), RS_EINPUT);
}

static void test_paired(void) {
    /* 3 periods, 2 cells each: diffs (1, 1), (2, 0), (−1, 3): mean 1,
     * won: 4 cells above 0, one tie (one half) */
    const double d[] = { 1, 1, 2, 0, -1, 3 };
    const int per[] = { 0, 0, 1, 1, 2, 2 };
    stats_paired_t p;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(stats_paired(d, per, 6, 3, 2000, 7, &p, &e), 0);
    CU_ASSERT_DOUBLE_EQUAL(p.mean, 1, 1e-15);
    CU_ASSERT_DOUBLE_EQUAL(p.won, 4.5 / 6, 1e-15);
    /* every period's mean is 1: every resample's mean is 1 */
    CU_ASSERT_DOUBLE_EQUAL(p.lo, 1, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(p.hi, 1, 1e-12);
    /* period means 0, 1, 5: the interval lies inside [0, 5], covers the
     * mean 2, and is not degenerate; same seed, same interval */
    const double d2[] = { 0, 0, 1, 1, 5, 5 };
    CU_ASSERT_EQUAL_FATAL(stats_paired(d2, per, 6, 3, 2000, 7, &p, &e), 0);
    CU_ASSERT_DOUBLE_EQUAL(p.mean, 2, 1e-15);
    CU_ASSERT(p.lo >= 0 && p.hi <= 5 && p.lo < 2 && p.hi > 2 && p.hi - p.lo > 1);
    stats_paired_t q;
    CU_ASSERT_EQUAL_FATAL(stats_paired(d2, per, 6, 3, 2000, 7, &q, &e), 0);
    CU_ASSERT(q.lo == p.lo && q.hi == p.hi);
    CU_ASSERT_DOUBLE_EQUAL(p.won, 5.0 / 6, 1e-15);    /* 4 won, 2 ties */
    const int bad[] = { 0, 0, 1, 1, 2, 3 };
    CU_ASSERT_EQUAL(stats_paired(d2, bad, 6, 3, 100, 7, &p, &e), RS_EINPUT);
}

static CU_TestInfo tests[] = {
    {"normal CDF and quantile vs known values; E[max] of N trials", test_norm},
    {"DSR reproduces Bailey & López de Prado 2014's numerical example", test_dsr_paper_example},
    {"PSR of skill-less backtests passes 95 % about 5 % of the time", test_psr_calibrated},
    {"moments, zero variance, N_eff, quantiles by hand", test_moments_neff},
    {"PBO: noise about 0.5, a planted skilled strategy about 0; sampling", test_pbo_noise_and_skill},
    {"PBO by hand: the in-sample winner always loses out of sample", test_pbo_by_hand},
    {"walk-forward selection: hand-made table, top-k, lower-is-better", test_wf_select},
    {"paired difference: mean, share won, bootstrap over periods", test_paired},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("stats", tests); }
