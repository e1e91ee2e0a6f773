/* test_halving.c — successive halving: rungs, the pure promotion, a
 * hand-worked metric table, the replay `show` uses, the metric check. */
#include "tests/cu.h"
#include "tests/cu_plan.h"
#include "coordinator/halving.h"

#include <math.h>
#include <string.h>

/* 4 configurations (hidden 4..7) x 2 seeds = 8 model points (index =
 * 2 * configuration + seed), 2 strategy points (threshold 0, 0.001). */
#define INI "[data]\ninstruments = SPX\nSPX.path = data/none.csv\n" \
            "[model]\ncell = lstm\nhidden = 4, 5, 6, 7\nlookback = 5\nseed = 1, 2\n" \
            "[strategy]\nmarket = equity\nkind = signal\nthreshold = 0, 0.001\n" \
            "[search]\nmethod = halving\neta = 2\nmin_folds = 1\n"

static const int FOLDS[4] = { 2015, 2016, 2017, 2018 };

static void test_rungs(void) {
    halving_rungs r;
    CU_ASSERT_EQUAL(halving_rungs_build(6, 1, 3, &r), 3);
    CU_ASSERT(r.folds[0] == 1 && r.folds[1] == 3 && r.folds[2] == 6);
    CU_ASSERT_EQUAL(halving_rungs_build(6, 2, 2, &r), 3);
    CU_ASSERT(r.folds[0] == 2 && r.folds[1] == 4 && r.folds[2] == 6);
    CU_ASSERT_EQUAL(halving_rungs_build(5, 1, 2, &r), 4);            /* 1, 2, 4, then every period */
    CU_ASSERT(r.folds[0] == 1 && r.folds[1] == 2 && r.folds[2] == 4 && r.folds[3] == 5);
    CU_ASSERT_EQUAL(halving_rungs_build(3, 5, 3, &r), 1);            /* min_folds above F: one rung */
    CU_ASSERT_EQUAL(r.folds[0], 3);
    CU_ASSERT_EQUAL(halving_rungs_build(0, 1, 3, &r), 0);
}

static void test_promote(void) {
    /* 9 alive, eta 3: the best 3; no score ranks last; ties by index */
    const double score[10] = { 0.1, 0.9, NAN, 0.5, 0.9, -1.0, 0.2, 0.5, 0.0, 99 };
    const int alive[9] = { 0, 1, 2, 3, 4, 5, 6, 7, 8 };
    int keep[9];
    CU_ASSERT_EQUAL_FATAL(halving_promote(score, alive, 9, 3, keep), 3);
    CU_ASSERT(keep[0] == 1 && keep[1] == 3 && keep[2] == 4);       /* 0.9, 0.9, then 0.5 of 3 before 7 */
    /* 5 alive, eta 2: ceil(5/2) = 3; group 9 is not alive, whatever its score */
    const int a5[5] = { 2, 5, 6, 7, 8 };
    CU_ASSERT_EQUAL_FATAL(halving_promote(score, a5, 5, 2, keep), 3);
    CU_ASSERT(keep[0] == 6 && keep[1] == 7 && keep[2] == 8);       /* 0.5, 0.2, 0.0; -1 and NaN out */
    /* one left stays one; none is none */
    CU_ASSERT_EQUAL(halving_promote(score, a5, 1, 3, keep), 1);
    CU_ASSERT_EQUAL(keep[0], 2);                                   /* even without a score */
    CU_ASSERT_EQUAL(halving_promote(score, a5, 0, 3, keep), 0);
}

static task_row row(int fold, int strategy, double sharpe, int status) {
    task_row w;
    memset(&w, 0, sizeof w);
    w.fold_id = fold;
    w.strategy = strategy;
    w.status = status;
    w.trading.sharpe = sharpe;
    return w;
}

/* The hand-worked table: sharpe of (configuration, seed, period, strategy).
 *
 * period 2015 (rung 1, every configuration):
 *   c0  s0: 1.0, 0.0 -> 0.5    s1: 0.2, 0.2 -> 0.2    score 0.5
 *   c1  s0: 0.3, 0.3 -> 0.3    s1: 0.9, 0.7 -> 0.8    score 0.8
 *   c2  s0: 2.0,-1.0 -> 0.5    s1: 0.1, 0.1 -> 0.1    score 0.5 (ties c0: c0 wins)
 *   c3  s0: 5.0, diverged: none s1: 0.4, 0.4 -> 0.4   score 0.4
 *   -> the best ceil(4/2) = 2 move on: c1, c0
 * period 2016 (rung 2: c0, c1; c2's rows there must not count):
 *   c0  s0: 0.9, 0.9  -> over 2015-2016 (1+0+.9+.9)/4 = 0.7;  s1: 1.0, 1.0 -> 0.6   score 0.7
 *   c1  s0: 0.1, 0.1  -> 0.2;                                  s1: 0.2, 0.2 -> 0.5   score 0.5
 *   c2  s0: 10, 10 (eliminated: ignored)
 *   -> ceil(2/2) = 1 moves on: c0 */
static int fill(task_row *w, int with_rung2) {
    static const double v2015[4][2][2] = { { { 1.0, 0.0 }, { 0.2, 0.2 } }, { { 0.3, 0.3 }, { 0.9, 0.7 } },
                                           { { 2.0, -1.0 }, { 0.1, 0.1 } }, { { 5.0, 0.0 }, { 0.4, 0.4 } } };
    static const double v2016[3][2][2] = { { { 0.9, 0.9 }, { 1.0, 1.0 } }, { { 0.1, 0.1 }, { 0.2, 0.2 } },
                                           { { 10, 10 }, { 10, 10 } } };
    int n = 0;
    for (int c = 0; c < 4; c++)
        for (int s = 0; s < 2; s++)
            for (int st = 0; st < 2; st++) {
                w[n] = row(2015, st, v2015[c][st][s], c == 3 && st == 0 && s == 1 ? TASK_DIVERGED : TASK_OK);
                w[n++].model = 2 * c + s;
            }
    for (int c = 0; with_rung2 && c < 3; c++)
        for (int s = 0; s < 2; s++)
            for (int st = 0; st < 2; st++) {
                w[n] = row(2016, st, v2016[c][st][s], TASK_OK);
                w[n++].model = 2 * c + s;
            }
    return n;
}

static void test_hand_worked_table(void) {
    sweep_config c;
    sweep_plan p;
    if (cu_plan_build(INI, &c, &p)) return;
    CU_ASSERT_EQUAL_FATAL(p.n_models, 8);
    CU_ASSERT_EQUAL_FATAL(p.n_strategies, 2);
    int group[8];
    CU_ASSERT_EQUAL_FATAL(plan_replicate_groups(&p, group), 4);
    for (int i = 0; i < 8; i++) CU_ASSERT_EQUAL(group[i], i / 2);   /* the seeds of one together */

    halving_table t;
    rs_err e;
    CU_ASSERT_EQUAL_FATAL(halving_table_init(&t, &p, group, 4, FOLDS, 4, "sharpe", &e), 0);
    task_row w[64];
    const int n = fill(w, 1);
    for (int i = 0; i < n; i++) halving_table_add(&t, w[i].model, &w[i]);
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 0, 1), 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 1, 1), 0.8, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 2, 1), 0.5, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 3, 1), 0.4, 1e-12);    /* s0 has a diverged row: no score */
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 0, 2), 0.7, 1e-12);
    CU_ASSERT_DOUBLE_EQUAL(halving_score(&t, 1, 2), 0.5, 1e-12);
    CU_ASSERT(isnan(halving_score(&t, 3, 2)));                        /* no rows on 2016 */

    halving_rungs r;
    CU_ASSERT_EQUAL_FATAL(halving_rungs_build(4, 1, 2, &r), 3);      /* 1, 2, 4 periods */
    int alive[4], reached[4];
    CU_ASSERT_EQUAL(halving_select(&t, &r, 2, 0, alive, NULL), 4);
    CU_ASSERT_EQUAL_FATAL(halving_select(&t, &r, 2, 1, alive, NULL), 2);
    CU_ASSERT(alive[0] == 0 && alive[1] == 1);
    CU_ASSERT_EQUAL_FATAL(halving_select(&t, &r, 2, 2, alive, reached), 1);
    CU_ASSERT_EQUAL(alive[0], 0);
    CU_ASSERT(reached[0] == 2 && reached[1] == 1 && reached[2] == 0 && reached[3] == 0);
    halving_table_free(&t);

    /* a lower-is-better metric is negated: by max_dd_pct, the smallest wins */
    CU_ASSERT_EQUAL_FATAL(halving_table_init(&t, &p, group, 4, FOLDS, 4, "max_dd_pct", &e), 0);
    for (int m = 0; m < 8; m++) {
        task_row x = row(2015, 0, 0, TASK_OK);
        x.trading.max_dd_pct = 10.0 - m;                              /* configuration 3 draws down least */
        halving_table_add(&t, m, &x);
        x.strategy = 1;
        halving_table_add(&t, m, &x);
    }
    CU_ASSERT_EQUAL_FATAL(halving_select(&t, &r, 2, 1, alive, NULL), 2);
    CU_ASSERT(alive[0] == 2 && alive[1] == 3);
    halving_table_free(&t);

    /* the replay (show): every promotion of a finished sweep; an
     * interrupted rung promotes no further */
    const int ids[6] = { 2018, 2015, 2016, 2017, 2016, 2015 };       /* any order, repeats */
    halving_replay h;
    CU_ASSERT_EQUAL_FATAL(halving_replay_build(&c, &p, w, n, ids, 6, &h, &e), 0);
    CU_ASSERT_EQUAL(h.n_folds, 4);
    CU_ASSERT(h.fold_ids[0] == 2015 && h.fold_ids[3] == 2018);
    CU_ASSERT(h.reached[0] == 2 && h.reached[1] == 1 && h.reached[2] == 0 && h.reached[3] == 0);
    halving_replay_free(&h);
    const int n1 = fill(w, 0) + 1;                                   /* rung 2 begun: one row of c0 */
    w[n1 - 1] = row(2016, 0, 0.9, TASK_OK);
    w[n1 - 1].model = 0;
    CU_ASSERT_EQUAL_FATAL(halving_replay_build(&c, &p, w, n1, ids, 6, &h, &e), 0);
    CU_ASSERT(h.reached[0] == 1 && h.reached[1] == 1 && h.reached[2] == 0 && h.reached[3] == 0);
    halving_replay_free(&h);
    cu_plan_free(&c, &p);
}

static void test_check(void) {
    sweep_config c;
    sweep_plan p;
    rs_err e;
    char text[1024];
    snprintf(text, sizeof text, "%smetric = sharp\n", INI);
    CU_ASSERT_EQUAL_FATAL(config_load_text(text, "t.ini", &c, &e), 0);
    CU_ASSERT_EQUAL(plan_build(&c, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "t.ini:17: [search] metric: unknown metric 'sharp' (did you mean 'sharpe'?"));
    config_free(&c);
    snprintf(text, sizeof text, "%smetric = accuracy\n", INI);
    CU_ASSERT_EQUAL_FATAL(config_load_text(text, "t.ini", &c, &e), 0);
    CU_ASSERT_EQUAL(plan_build(&c, &p, &e), RS_EINPUT);
    CU_ASSERT_PTR_NOT_NULL(strstr(e.msg, "t.ini:17: [search] metric: 'accuracy' does not exist for target kind = return"));
    config_free(&c);
    snprintf(text, sizeof text, "%smetric = rmse\n", INI);
    if (!cu_plan_build(text, &c, &p)) cu_plan_free(&c, &p);
}

static CU_TestInfo tests[] = {
    {"rungs: min_folds x eta^k, the last has every period", test_rungs},
    {"promotion: the best ceil(n/eta), no score last, ties by index", test_promote},
    {"a hand-worked metric table: scores, promotions, replay", test_hand_worked_table},
    {"halving_check: the metric named with its line", test_check},
    CU_TEST_INFO_NULL
};

int main(void) { return cu_run("halving", tests); }
