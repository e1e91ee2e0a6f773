/*
 * board.h — the leaderboard of a results file as data: what `rnnsweep show`
 * prints (report.h) and what the HTML report draws (html.h) are both made
 * from one board, so the page and the terminal can never disagree.
 *
 * A CONFIGURATION is (replicate group, strategy point) for a trading metric
 * and (replicate group, correction point) for a forecast metric (each
 * correction re-labels the same predictions; without corrections that is
 * the model point alone).  A REPLICATE GROUP is the set of model points
 * equal in everything but `seed`: seeds are replicates, never
 * configurations (DESIGN.md), so a seed grid dimension is averaged, and its
 * spread is reported beside the spread across configurations.
 *
 * Per configuration and fold, the fold's value is the mean over the
 * group's seeds of the metric; the fold counts ("ok") only when every seed's
 * row is present, has status ok, and a finite value that is not FLAGGED.
 * Flagged values are the metrics module's defined stand-ins for undefined
 * ones (worker/metrics.h): Sharpe and volatility of a zero-variance curve,
 * Sortino without a losing bar, Calmar without a drawdown, a capped profit
 * factor or one with no trade, a hit rate with no trade.  They are left out
 * of every mean and counted (board.n_flagged, board_cfg.n_flagged).
 *
 * The configuration's score is the mean of its ok folds' values, with the
 * sample sd across those folds, the worst fold (and which), folds ok / total
 * (total = the distinct folds of the file), the mean per-fold ROI and
 * buy-and-hold ROI; forecast metrics carry their baseline (persistence or
 * training-majority) and the folds that beat it.  Configurations missing a
 * fold rank after complete ones (a configuration that skipped its bad
 * years must not win), then by the better mean, then plan order.
 *
 * Rows of a look-ahead correction (motormap_peek) are left out of
 * everything unless board_opts.lookahead (board.n_hidden counts them).
 *
 * Every configuration has a stable ID from its keys (board_cfg.id,
 * printed as 16 hex digits; `show --config` takes any unique prefix of 4
 * or more): trading configurations
 *     id = rs_hash2(M, strategy key),  M = fold of rs_hash2 over the group's
 *          model keys in ascending order, starting from 0: M = rs_hash2(..
 *          rs_hash2(0, k1) .., kn)
 * forecast configurations  id = rs_hash2(M, rs_hash_bytes(text, len, 0)),
 * text = "correction=<name>" and, for a motor-map point,
 * " mm_size=%d mm_beta=%.17g mm_sigma0=%.17g mm_epochs=%d".
 * results/read_results.py computes the same ids.
 *
 * Group-by keys: cell, layers, hidden, lookback, dropout, seed, lr, batch,
 * epochs, weight_decay, "model" (cell + layers: lstm, lstm x2, gru, ...),
 * fold (each test period), year (its calendar year), and every [strategy]
 * field by its key (worker/strategy.h).  A strategy key groups the points
 * that do not use it under "-".
 *
 * Memory: O(rows); board_build keeps pointers into r and p, which must
 * outlive the board.  board_free releases it.
 */
#ifndef RS_BOARD_H
#define RS_BOARD_H

#include <stdint.h>

#include "coordinator/plan.h"
#include "coordinator/results.h"

typedef struct {
    const char *metric;       /* ranking metric (NULL: "sharpe")                  */
    int         lookahead;    /* 1: include LOOK-AHEAD rows                       */
} board_opts;

/* A metric of the table (board.c's BOARD_METRICS). */
typedef struct {
    const char *name;
    int         forecast;     /* 1: the task's, equal on all its strategy rows     */
    int         higher;       /* 1: higher is better                               */
    int         head;         /* RNN_HEAD_* it exists for, or -1 for both          */
    int         has_base;     /* a baseline column exists                          */
    unsigned    flags;        /* trading.flags bits that make a value undefined    */
    const char *flag_doc;     /* what those flags mean, for the footnote           */
} board_metric;

typedef struct {
    int      group;           /* replicate group                                   */
    int      model0;          /* its first model point (labels)                    */
    int      strat;           /* strategy index, or -1 - correction (forecast)     */
    uint64_t id;
    int      n_seeds;         /* model points in the group                         */
    int      n_ok;            /* ok folds                                          */
    int      n_flagged;       /* folds left out because a value was flagged        */
    double   mean, sd;        /* over ok folds (NaN with none)                     */
    double   worst;           /* the worst ok fold's value ...                     */
    int      worst_fold;      /* ... and its fold id (0 with none: check n_ok)     */
    double   bh, roi;         /* mean bh_roi_pct / roi_pct over ok folds           */
    double   base;            /* forecast: mean baseline over the ok folds         */
    int      n_beats;         /* forecast: ok folds better than it                 */
    double   seed_sd;         /* sd across seeds of each seed's mean over the
                                 configuration's ok folds (NaN with one seed)      */
    double   score;           /* mean, negated when lower is better                */
    /* the stitched curve (trading configurations; verdict_build fills them):
       the per-bar returns of the folds, one after the other, compounded */
    int      st_folds;        /* folds in it (0: not computed)                     */
    long     st_bars;
    double   st_roi, st_sharpe, st_mdd;     /* compounded ROI %, annualised
                                               Sharpe, max drawdown %             */
    double   st_bh_roi;       /* buy-and-hold compounded over the same bars        */
} board_cfg;

typedef struct {
    const results_file *r;
    const sweep_plan   *p;
    int                 metric;       /* index into board_metrics()            */
    int                 lookahead;
    int                 n_folds;      /* distinct fold ids among the rows used  */
    int                *fold_ids;     /* [n_folds] ascending (= time order)     */
    int                 n_groups;
    int                *group_of;     /* [n_models] replicate group of a model  */
    int                *member_off;   /* [n_groups + 1] offsets into members    */
    int                *members;      /* model indices, by group, ascending     */
    int                 n_cfg;
    board_cfg          *cfg;          /* ranked, best first                     */
    double             *fold_value;   /* [n_cfg][n_folds] per-fold value (seed
                                         mean), NaN where the fold is not ok   */
    int                 n_trials;     /* configurations with an ok fold         */
    int                 n_hidden;     /* LOOK-AHEAD rows left out               */
    int                 n_flagged;    /* rows whose value was flagged           */
    int                 seeds_vary;   /* some group has more than one seed      */
    double              trial_sd;     /* sd of the trials' means                */
    /* row-level items for group tables (board.c) */
    int                 n_items;
    void               *items;
} board;

const board_metric *board_metrics(void);              /* NULL-named terminated */
const char *const *board_metric_names(void);          /* NULL-terminated       */
const char *const *board_key_names(void);             /* NULL-terminated       */
int board_metric_find(const char *name);              /* index or -1           */
int board_key_find(const char *name);                 /* index or -1           */
int board_key_is_fold(int key);                       /* fold or year          */
int board_key_is_strategy(int key);                   /* a [strategy] field    */
int board_key_is_seed(int key);

/* Check a metric / group-by key.  Returns 0 or RS_EINPUT ("unknown metric
 * 'sharp' (did you mean 'sharpe'? known: ...)", a forecast metric grouped
 * by a strategy key other than the correction's own). */
int board_check_metric(const char *metric, rs_err *e);
int board_check_key(const char *metric, const char *key, rs_err *e);

/* Build the board.  Returns 0, or RS_EINPUT (unknown metric, a forecast
 * metric of the other head, rows whose indices do not fit the plan) or
 * RS_EINTERNAL (out of memory), with *out NULL. */
int board_build(const results_file *r, const sweep_plan *p, const board_opts *o, board **out, rs_err *e);
void board_free(board *b);                            /* NULL fine */

/* The metric of the board. */
const board_metric *board_metric_of(const board *b);

/* The board metric's value in one result row (NaN unless the row is ok)
 * and in *flagged whether it is a flagged stand-in (left out of means). */
double board_row_value(const board *b, const task_row *w, int *flagged);
/* The same for metric index `metric` (board_metric_find), without a board. */
double board_metric_value(int metric, const task_row *w, int *flagged);

/* "lstm 16 T40" — the group's label: plan_model_label without the seed. */
void board_model_label(const board *b, const board_cfg *c, char *buf, size_t n);
/* "grid th0.002 sp2%", a correction's label, or "-". */
void board_strategy_label(const board *b, const board_cfg *c, char *buf, size_t n);

/* The configuration whose id starts with the hex prefix s (>= 4 digits).
 * Returns its index, or -1 with RS_EINPUT ("no configuration has id
 * 'abcd'", "id 'abcd' is ambiguous: ..."). */
int board_find(const board *b, const char *s, rs_err *e);

/* ---- group tables ---------------------------------------------------------------- */

typedef struct {
    char   label[48];
    int    n_ok, n;           /* ok items / items (rows, or tasks for forecasts)    */
    double mean, sd;          /* over ok items                                      */
    double best;              /* the best configuration's mean inside the group     */
    double beat_bh_pct;       /* ok strategy rows with ROI above buy-and-hold       */
} board_group;

/* The levels of `key` and their statistics, in numeric order for numeric
 * keys, plan order for names, time order for fold / year.  *out malloc'd.
 * Returns 0, RS_EINPUT (a key the metric cannot be grouped by), RS_EINTERNAL. */
int board_groups(board *b, int key, board_group **out, int *n_out, rs_err *e);

/* A two-way table: rows the levels of key a, columns those of key b; cell
 * [i * n_b + j] the mean over ok items (NaN where none) and its count.
 * Labels in *la / *lb (malloc'd, 48 bytes each). */
int board_cross(board *b, int ka, int kb, char (**la)[48], int *n_a, char (**lb)[48], int *n_b,
                double **mean, int **count, rs_err *e);

/* ---- levels of configurations (paired comparisons, the report's
 * distributions) ---------------------------------------------------------------------- */

/* For key (a model or strategy key, not fold / year): each configuration's
 * level (level[c], into *labels) and its MATCH: configurations with equal
 * match[c] differ in this key alone (every other parameter equal; seeds
 * averaged).  Returns 0, RS_EINPUT (fold / year key; a strategy key on a
 * forecast board other than the correction's), RS_EINTERNAL. */
int board_levels(const board *b, int key, int *level, uint64_t *match, char (**labels)[48], int *n_levels,
                 rs_err *e);

#endif /* RS_BOARD_H */
