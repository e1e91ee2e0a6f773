/* test_folds.c — walk-forward folds: a hand-worked calendar, option errors,
 * and the no-leak invariants as a property over random options. */
#include "tests/cu.h"
#include "worker/folds.h"
#include "worker/series.h"

#include <string.h>

#define ASSERT_MSG_HAS(e, sub) do { \
    CU_ASSERT_PTR_NOT_NULL(strstr((e).msg, (sub))); \
    if (!strstr((e).msg, (sub))) printf("\n  message was: %s\n", (e).msg); } while (0)

/* Every calendar day 2010-01-01 .. 2013-12-31: rows 0..1460, 2010 = 0..364,
 * 2011 = 365..729, 2012 (leap) = 730..1095, 2013 = 1096..1460. */
#define DN 1461
static int64_t days[DN];

static void make_days(void) {
    int64_t d0 = series_days_from_civil(2010, 1, 1);
    for (int i = 0; i < DN; i++) days[i] = (d0 + i) * 86400 + 17 * 3600;
}

#define RANGE_IS(lo, hi, a, b) do { CU_ASSERT_EQUAL(lo, a); CU_ASSERT_EQUAL(hi, b); } while (0)

static void test_hand_expanding(void) {
    make_days();
    /* T = 5, h = 1, embargo defaults to T + h = 6, validation = last 25%.
     * First window ends at row 4 (2010) so test years run 2011..2013.
     * Y = 2011: test 365..729; span 4..365-6 = 359 (356 windows), 89 of them
     *           validation: 271..359; training ends 6 before: 4..265.
     * Y = 2012: test 730..1095; span 4..724 (721), val 180: 545..724; train 4..539.
     * Y = 2013: test 1096..1459 (the last row has no label); span 4..1090
     *           (1087), val 271: 820..1090; train 4..814. */
    fold_opts o = { .lookback = 5, .horizon = 1, .val_frac = 0.25 };
    fold *f;
    int n;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &o, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    CU_ASSERT_EQUAL(f[0].id, 2011); CU_ASSERT_EQUAL(f[2].id, 2013);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 365, 729);
    RANGE_IS(f[0].val_lo, f[0].val_hi, 271, 359);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 4, 265);
    RANGE_IS(f[0].fit_lo, f[0].fit_hi, 0, 265);
    RANGE_IS(f[1].test_lo, f[1].test_hi, 730, 1095);
    RANGE_IS(f[1].val_lo, f[1].val_hi, 545, 724);
    RANGE_IS(f[1].train_lo, f[1].train_hi, 4, 539);
    RANGE_IS(f[2].test_lo, f[2].test_hi, 1096, 1459);
    RANGE_IS(f[2].val_lo, f[2].val_hi, 820, 1090);
    RANGE_IS(f[2].train_lo, f[2].train_hi, 4, 814);
    for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(f[i].status, FOLD_OK);
    CU_ASSERT_EQUAL(fold_count(f[0].train_lo, f[0].train_hi), 262);
    free(f);

    /* A warm-up of 30 rows moves every start; no validation; embargo 10. */
    fold_opts o2 = { .lookback = 5, .horizon = 1, .embargo = 10, .first_id = 2011, .last_id = 2011 };
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 30, &o2, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 34, 355);
    CU_ASSERT_EQUAL(fold_count(f[0].val_lo, f[0].val_hi), 0);
    RANGE_IS(f[0].fit_lo, f[0].fit_hi, 30, 355);
    free(f);

    /* min_train: 2011 has 262 training windows, 2012 has 536. */
    o.min_train = 300;
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &o, &f, &n, &e), 0);
    CU_ASSERT_EQUAL(f[0].status, FOLD_EMPTY);
    CU_ASSERT_EQUAL(f[1].status, FOLD_OK);
    free(f);
}

static void test_hand_rolling_months(void) {
    make_days();
    /* Rolling over K = 1 year, validation = the last 3 months before Y.
     * Y = 2012: span 365 (2011-01-01) .. 724; validation from 2011-10-01 =
     *           row 365 + 273 = 638 to 724; training 365 .. 638-6 = 632.
     * Y = 2013: span 730 .. 1090; 2012-10-01 = row 730 + 274 = 1004 (leap
     *           year); training 730 .. 998.
     * Y = 2014: no rows at all: FOLD_EMPTY, not an error. */
    fold_opts o = { .lookback = 5, .horizon = 1, .rolling_years = 1, .val_months = 3,
                    .first_id = 2012, .last_id = 2014 };
    fold *f;
    int n;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &o, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 3);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 365, 632);
    RANGE_IS(f[0].val_lo, f[0].val_hi, 638, 724);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 730, 1095);
    RANGE_IS(f[0].fit_lo, f[0].fit_hi, 361, 632);
    RANGE_IS(f[1].train_lo, f[1].train_hi, 730, 998);
    RANGE_IS(f[1].val_lo, f[1].val_hi, 1004, 1090);
    CU_ASSERT_EQUAL(f[0].status, FOLD_OK);
    CU_ASSERT_EQUAL(f[1].status, FOLD_OK);
    CU_ASSERT_EQUAL(f[2].status, FOLD_EMPTY);
    CU_ASSERT_EQUAL(fold_count(f[2].test_lo, f[2].test_hi), 0);
    char b[20];
    CU_ASSERT_STRING_EQUAL(series_format_time(days[638], b), "2011-10-01 17:00:00");
    free(f);
}

static void test_option_errors(void) {
    make_days();
    fold *f = (fold *)1;
    int n;
    rs_err e;
    struct { fold_opts o; int64_t rows; const char *msg; } bad[] = {
        { { .lookback = 5, .horizon = 1, .embargo = 5 }, DN,
          "folds: embargo of 5 bars is less than lookback + horizon = 6" },
        { { .lookback = 0, .horizon = 1 }, DN, "lookback (0) and horizon (1) must be >= 1" },
        { { .lookback = 5, .horizon = 0 }, DN, "must be >= 1" },
        { { .lookback = 5, .horizon = 1, .val_frac = 1.0 }, DN, "validation fraction 1" },
        { { .lookback = 5, .horizon = 1, .first_id = 2013, .last_id = 2012 }, DN,
          "first test year 2013 is after the last 2012" },
        { { .lookback = 5, .horizon = 1 }, 5, "5 rows leave no window" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        rs_err_clear(&e);
        CU_ASSERT_EQUAL(folds_build(days, bad[i].rows, 0, &bad[i].o, &f, &n, &e), RS_EINPUT);
        CU_ASSERT_PTR_NULL(f);
        ASSERT_MSG_HAS(e, bad[i].msg);
    }
}

/* ---- the no-leak invariants as a property ------------------------------------- */


/* The test's own calendar of a fold id (not folds.c's): [start, end). */
static void period_bounds(int id, int64_t *start, int64_t *end) {
    int y, m0, len;
    if (id >= 100000) { y = id / 100; m0 = id % 100 - 1; len = 1; }
    else if (id >= 10000) { y = id / 10; m0 = (id % 10 - 1) * 3; len = 3; }
    else { y = id; m0 = 0; len = 12; }
    *start = series_time(y, m0 + 1, 1, 0, 0, 0);
    int m1 = m0 + len;
    *end = series_time(y + m1 / 12, m1 % 12 + 1, 1, 0, 0, 0);
}

/* The start of the period k periods before id's. */
static int64_t periods_before(int id, int k) {
    int y, m0, len;
    if (id >= 100000) { y = id / 100; m0 = id % 100 - 1; len = 1; }
    else if (id >= 10000) { y = id / 10; m0 = (id % 10 - 1) * 3; len = 3; }
    else { y = id; m0 = 0; len = 12; }
    int total = y * 12 + m0 - k * len;
    return series_time(total / 12, total % 12 + 1, 1, 0, 0, 0);
}

/* Check every invariant of one fold; returns the number of failures. */
static int check_fold(const fold *g, const int64_t *t, int64_t n, int64_t fv, const fold_opts *o) {
    int bad = 0;
#define REQ(c) do { if (!(c)) { bad++; printf("\n  fold %d: %s", g->id, #c); } } while (0)
    const int64_t T = o->lookback, h = o->horizon, E = o->embargo ? o->embargo : T + h;
    const int64_t emin = fv + T - 1, emax = n - 1 - h;
    const int holdout = o->scheme == FOLD_HOLDOUT;
    int64_t Ps = 0, Pe = 0;
    if (!holdout) period_bounds(g->id, &Ps, &Pe);
    const int64_t ntr = fold_count(g->train_lo, g->train_hi), nva = fold_count(g->val_lo, g->val_hi);
    const int64_t nte = fold_count(g->test_lo, g->test_hi);
    const int want_val = o->val_months > 0 || o->val_frac > 0;
    if (g->status == FOLD_EMPTY) {          /* the status must be honest */
        REQ(nte < 1 || ntr < (o->min_train > 0 ? o->min_train : 1) || (want_val && nva < 1));
        return bad;
    }
    REQ(nte >= 1 && ntr >= 1 && (!want_val || nva >= 1));
    REQ(g->test_lo >= emin && g->test_hi <= emax);
    if (holdout) {
        /* one split: training from the first window, test to the last */
        REQ(g->id == FOLD_ID_HOLDOUT);
        REQ(g->train_lo == emin && g->test_hi == emax);
        const double W = (double)(emax - emin + 1);
        REQ(llabs(ntr - (int64_t)(o->train_frac * W)) <= 1);
    } else {
        /* Test: exactly the end rows of the period that have inputs and a label. */
        REQ(t[g->test_lo] >= Ps && t[g->test_hi] < Pe);
        REQ(g->test_lo == emin || g->test_lo == 0 || t[g->test_lo - 1] < Ps);
        REQ(g->test_hi == emax || g->test_hi == n - 1 || t[g->test_hi + 1] >= Pe);
        /* labels of training and validation before the period */
        REQ(t[g->train_hi + h] < Ps);
        if (nva) REQ(t[g->val_hi + h] < Ps);
    }
    REQ(g->train_lo - T + 1 >= fv);
    /* Rows touched ([e-T+1, e+h]) pairwise disjoint and in time order. */
    if (nva) {
        REQ(g->train_hi + h < g->val_lo - T + 1);
        REQ(g->val_hi + h < g->test_lo - T + 1);
        REQ(g->val_lo - g->train_hi >= E && g->test_lo - g->val_hi >= E);
    }
    REQ(g->train_hi + h < g->test_lo - T + 1);
    REQ(g->test_lo - g->train_hi >= E);
    /* Scalers see only training rows; the first training window starts there. */
    REQ(g->fit_lo == g->train_lo - T + 1 && g->fit_hi == g->train_hi);
    static float x[4];
    REQ(fold_window(x, 2, (int)T, g->train_lo) == x + 2 * g->fit_lo);
    if (holdout) return bad;
    /* Where training starts. */
    if (o->rolling_periods || o->rolling_years) {
        int64_t rs;
        if (o->rolling_periods) {
            rs = periods_before(g->id, o->rolling_periods);
        } else {                            /* K years before the period's start */
            int y, m, d;
            series_civil_from_days(Ps / 86400, &y, &m, &d);
            rs = series_time(y - o->rolling_years, m, 1, 0, 0, 0);
        }
        REQ(t[g->train_lo] >= rs);
        REQ(g->train_lo == emin || t[g->train_lo - 1] < rs);
    } else REQ(g->train_lo == emin);
    if (o->val_months) {
        int y, m, d;
        series_civil_from_days(Ps / 86400, &y, &m, &d);
        int total = y * 12 + (m - 1) - o->val_months;
        int64_t ms = series_time(total / 12, total % 12 + 1, 1, 0, 0, 0);
        REQ(t[g->val_lo] >= ms);
        REQ(g->val_lo == g->train_lo || t[g->val_lo - 1] < ms);
    } else if (o->val_frac > 0) {
        REQ(nva == (int64_t)(o->val_frac * (double)fold_count(g->train_lo, g->test_lo - E)));
    }
#undef REQ
    return bad;
}

static void test_hand_quarters_months(void) {
    make_days();
    fold *f;
    int n;
    rs_err e;
    /* Quarters, T = 5, h = 1, E = 6, no validation, 2011Q1..2011Q2:
     * 2011Q1 = 2011-01-01 .. 03-31 = rows 365..454 (90 days), training
     * 4..359; 2011Q2 = 04-01 .. 06-30 = rows 455..545 (91 days), training
     * 4..449. */
    fold_opts q = { .lookback = 5, .horizon = 1, .period = FOLD_QUARTER, .first_id = 20111, .last_id = 20112 };
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &q, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(f[0].id, 20111);
    CU_ASSERT_EQUAL(f[1].id, 20112);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 365, 454);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 4, 359);
    RANGE_IS(f[1].test_lo, f[1].test_hi, 455, 545);
    RANGE_IS(f[1].train_lo, f[1].train_hi, 4, 449);
    free(f);
    /* Automatic range: the first window ends on 2010-01-05 (2010Q1), so
     * the folds run 2010Q2 .. 2013Q4: 15 quarters. */
    q.first_id = q.last_id = 0;
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &q, &f, &n, &e), 0);
    CU_ASSERT_EQUAL(n, 15);
    CU_ASSERT_EQUAL(f[0].id, 20102);
    CU_ASSERT_EQUAL(f[n - 1].id, 20134);
    free(f);

    /* Months, the leap February of 2012: 2012-01-01 = row 730, 02-01 = 761,
     * 02-29 = 789.  Rolling over the 2 months before (from 2011-12-01 =
     * row 699), validation = the last month before (from 2012-01-01 = 730
     * to 761 - 6 = 755), training 699 .. 730 - 6 = 724. */
    fold_opts m = { .lookback = 5, .horizon = 1, .period = FOLD_MONTH, .rolling_periods = 2, .val_months = 1,
                    .first_id = 201202, .last_id = 201203 };
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &m, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(f[0].id, 201202);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 761, 789);
    RANGE_IS(f[0].val_lo, f[0].val_hi, 730, 755);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 699, 724);
    /* 2012-03: rolling from 2012-01-01 (730); validation 2012-02-01 (761)
     * .. 790 - 6 = 784; training 730 .. 755 */
    RANGE_IS(f[1].test_lo, f[1].test_hi, 790, 820);
    RANGE_IS(f[1].val_lo, f[1].val_hi, 761, 784);
    RANGE_IS(f[1].train_lo, f[1].train_hi, 730, 755);
    free(f);
    /* a year id where a month is asked for is an error */
    m.first_id = 2012;
    CU_ASSERT_EQUAL(folds_build(days, DN, 0, &m, &f, &n, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "first test period '2012' is not a month");
}

static void test_hand_holdout(void) {
    make_days();
    /* 70 / 15 / 15 of the W = 1456 windows 4..1459 (T = 5, h = 1, E = 6):
     * b1 = 4 + round(1019.2) = 1023, b2 = 4 + round(1237.6) = 1242;
     * train 4..1022, validation 1022 + 6 = 1028 .. 1241, test 1241 + 6 =
     * 1247 .. 1459. */
    fold_opts o = { .lookback = 5, .horizon = 1, .scheme = FOLD_HOLDOUT, .train_frac = 0.70, .val_frac = 0.15,
                    .test_frac = 0.15 };
    fold *f;
    int n;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &o, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);
    CU_ASSERT_EQUAL(f[0].id, FOLD_ID_HOLDOUT);
    CU_ASSERT_EQUAL(f[0].status, FOLD_OK);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 4, 1022);
    RANGE_IS(f[0].val_lo, f[0].val_hi, 1028, 1241);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 1247, 1459);
    RANGE_IS(f[0].fit_lo, f[0].fit_hi, 0, 1022);
    CU_ASSERT_EQUAL(check_fold(&f[0], days, DN, 0, &o), 0);
    free(f);
    /* 80 / 20 without validation: test from 4 + 1165 - 1 + 6 = 1174 */
    fold_opts o2 = { .lookback = 5, .horizon = 1, .scheme = FOLD_HOLDOUT, .train_frac = 0.8, .test_frac = 0.2 };
    CU_ASSERT_EQUAL_FATAL(folds_build(days, DN, 0, &o2, &f, &n, &e), 0);
    RANGE_IS(f[0].train_lo, f[0].train_hi, 4, 1168);
    CU_ASSERT_EQUAL(fold_count(f[0].val_lo, f[0].val_hi), 0);
    RANGE_IS(f[0].test_lo, f[0].test_hi, 1174, 1459);
    free(f);
    /* fractions that do not sum to 1 */
    o2.test_frac = 0.1;
    CU_ASSERT_EQUAL(folds_build(days, DN, 0, &o2, &f, &n, &e), RS_EINPUT);
    ASSERT_MSG_HAS(e, "must sum to 1");
}

static void test_fold_ids(void) {
    static const struct { int id; const char *text; } ok[] = {
        { 2017, "2017" }, { 20173, "2017Q3" }, { 201708, "2017-08" }, { 201712, "2017-12" },
        { 0, "holdout" }, { 1999, "1999" }, { 20001, "2000Q1" },
    };
    char buf[FOLD_ID_MAX];
    for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
        CU_ASSERT_STRING_EQUAL(fold_id_text(ok[i].id, buf, sizeof buf), ok[i].text);
        int id = -1;
        CU_ASSERT_EQUAL(fold_id_parse(ok[i].text, &id), 0);
        CU_ASSERT_EQUAL(id, ok[i].id);
    }
    static const char *const bad[] = { "2017Q5", "2017Q0", "2017-13", "2017-00", "17", "2017-8", "2017Q", "x",
                                       "", "20173" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int id;
        CU_ASSERT_EQUAL(fold_id_parse(bad[i], &id), -1);
    }
    CU_ASSERT_EQUAL(fold_id_period(2017), FOLD_YEAR);
    CU_ASSERT_EQUAL(fold_id_period(20174), FOLD_QUARTER);
    CU_ASSERT_EQUAL(fold_id_period(20175), -1);
    CU_ASSERT_EQUAL(fold_id_period(201712), FOLD_MONTH);
    CU_ASSERT_EQUAL(fold_id_period(0), -1);
    CU_ASSERT_EQUAL(fold_id_year(20173), 2017);
    CU_ASSERT_EQUAL(fold_id_year(201708), 2017);
    int64_t t = series_time(2017, 8, 31, 23, 59, 59);
    CU_ASSERT_EQUAL(fold_id_of(FOLD_QUARTER, t), 20173);
    CU_ASSERT_EQUAL(fold_id_of(FOLD_MONTH, t), 201708);
    CU_ASSERT_EQUAL(fold_id_of(FOLD_YEAR, t), 2017);
    int lo, hi;
    fold_id_year_span(FOLD_MONTH, 2017, &lo, &hi);
    CU_ASSERT(lo == 201701 && hi == 201712);
}

static void test_invariants_property(void) {
    /* Business days 2004-2012 with 3% random holes, plus an intraday stretch. */
    enum { CAP = 4000 };
    static int64_t t[CAP];
    rs_rng r;
    rs_rng_seed(&r, 77);
    int64_t n = 0, d0 = series_days_from_civil(2004, 1, 1), d1 = series_days_from_civil(2013, 1, 1);
    for (int64_t d = d0; d < d1 && n < CAP; d++) {
        int wd = (int)((d + 4) % 7);                          /* 1970-01-01 was a Thursday */
        if (wd == 0 || wd == 6 || rs_rng_uniform(&r) < 0.03) continue;
        t[n++] = d * 86400 + 22 * 3600;
    }
    int ok_folds = 0, empty_folds = 0, failures = 0, kinds[4] = {0};
    for (int it = 0; it < 600; it++) {
        fold_opts o;
        memset(&o, 0, sizeof o);
        o.lookback = 1 + (int)rs_rng_below(&r, 60);
        o.horizon = 1 + (int)rs_rng_below(&r, 20);
        o.embargo = rs_rng_below(&r, 2) ? 0 : o.lookback + o.horizon + rs_rng_below(&r, 15);
        o.period = (int)rs_rng_below(&r, 3);
        if (rs_rng_below(&r, 2)) {
            if (rs_rng_below(&r, 2)) o.rolling_years = 1 + (int)rs_rng_below(&r, 3);
            else o.rolling_periods = 1 + (int)rs_rng_below(&r, 6);
        }
        int v = (int)rs_rng_below(&r, 3);
        if (v == 1) o.val_frac = 0.05 + 0.45 * rs_rng_uniform(&r);
        if (v == 2) o.val_months = 1 + (int)rs_rng_below(&r, 15);
        if (rs_rng_below(&r, 5) == 0) {          /* a holdout split */
            o.period = FOLD_YEAR;
            o.rolling_years = o.rolling_periods = o.val_months = 0;
            o.scheme = FOLD_HOLDOUT;
            o.train_frac = 0.3 + 0.5 * rs_rng_uniform(&r);
            o.val_frac = rs_rng_below(&r, 3) ? (1 - o.train_frac) * 0.4 * rs_rng_uniform(&r) : 0;
            o.test_frac = 1 - o.train_frac - o.val_frac;
        }
        if (rs_rng_below(&r, 4) == 0) o.min_train = 200;
        int64_t fv = rs_rng_below(&r, 120);
        fold *f;
        int nf;
        rs_err e;
        if (folds_build(t, n, fv, &o, &f, &nf, &e)) { CU_FAIL(e.msg); continue; }
        kinds[o.scheme == FOLD_HOLDOUT ? 3 : o.period]++;
        for (int i = 0; i < nf; i++) {
            failures += check_fold(&f[i], t, n, fv, &o);
            ok_folds += f[i].status == FOLD_OK;
            empty_folds += f[i].status == FOLD_EMPTY;
        }
        free(f);
    }
    CU_ASSERT_EQUAL(failures, 0);
    CU_ASSERT(ok_folds > 1000);              /* the property was exercised...        */
    CU_ASSERT(empty_folds > 0);              /* ...including the FOLD_EMPTY path     */
    for (int k = 0; k < 4; k++) CU_ASSERT(kinds[k] > 50);   /* every period and the holdout */
}

/* ---- real data ----------------------------------------------------------------- */

static void test_real_eurusd_2018(void) {
    if (!cu_shared_data()) { printf("\n  SKIP folds on EURUSD: ../shared/data absent "); return; }
    char p[512];
    snprintf(p, sizeof p, "%s/fx/histdata-m1/DAT_ASCII_EURUSD_M1_201[78]*.csv.gz", cu_shared_data());
    series s;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(series_load(p, NULL, &s, &e), 0);
    fold_opts o = { .lookback = 60, .horizon = 15, .val_months = 2 };
    fold *f;
    int n;
    CU_ASSERT_EQUAL_FATAL(folds_build(s.t, s.n, 30, &o, &f, &n, &e), 0);
    CU_ASSERT_EQUAL_FATAL(n, 1);                       /* test year 2018 only */
    CU_ASSERT_EQUAL(f[0].id, 2018);
    CU_ASSERT_EQUAL(f[0].status, FOLD_OK);
    CU_ASSERT_EQUAL(check_fold(&f[0], s.t, s.n, 30, &o), 0);
    CU_ASSERT_EQUAL(f[0].test_hi, s.n - 1 - 15);
    CU_ASSERT(s.t[f[0].val_lo] >= series_time(2017, 11, 1, 0, 0, 0));
    CU_ASSERT(s.t[f[0].val_lo - 1] < series_time(2017, 11, 1, 0, 0, 0));
    folds_describe(f, n, s.t, stdout);
    free(f);
    series_free(&s);
}

static CU_TestInfo tests[] = {
    { "hand calendar: expanding, validation fraction", test_hand_expanding },
    { "hand calendar: rolling, validation months, empty year", test_hand_rolling_months },
    { "option errors: status 2 with a message", test_option_errors },
    { "hand calendar: quarters, months (rolling periods, validation months)", test_hand_quarters_months },
    { "hand calendar: holdout 70/15/15 and 80/20", test_hand_holdout },
    { "fold ids: text, parse, period, year", test_fold_ids },
    { "no-leak invariants over random options, every period and the holdout", test_invariants_property },
    { "real: EURUSD M1 2017-2018 fold", test_real_eurusd_2018 },
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("folds", tests); }
