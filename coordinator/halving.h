/*
 * halving.h — successive halving over the walk-forward periods ([search]
 * method = halving, eta, min_folds, metric; configs/README.md).
 *
 * Configurations are replicate groups (plan_replicate_groups: the model
 * points that differ only in seed, kept or dropped together).  Periods are
 * the sweep's distinct fold ids in ascending (time) order, F of them.
 *
 *   rungs        n_0 = min(min_folds, F), n_{k+1} = min(F, n_k * eta); the
 *                last rung has n = F.  Rung k runs its configurations on
 *                periods [n_{k-1}, n_k) (n_{-1} = 0): a configuration
 *                promoted into rung k has the earlier periods already.
 *   survivors    A_0 = every configuration; A_{k+1} = the best
 *                ceil(|A_k| / eta) of A_k (at least 1) by score_k.
 *   score_k(g)   the best, over the plan's strategy points s, of the mean of
 *                the metric over g's rows for s on periods [0, n_k): every
 *                seed and period, so the mean of a rung is the mean `show`
 *                ranks by restricted to those periods.  A point with a
 *                missing, not-ok or flagged row there has no score; a
 *                configuration with no scored point ranks last.  Lower-is-
 *                better metrics are negated.  Ties: the lower group index
 *                (the grid's order) wins.
 *
 * Everything is a pure function of the rows, so promotions do not depend
 * on the rank count, the order tasks finished in, or an interruption: a
 * resumed sweep recomputes them from its journal and continues the rung it
 * was in.  The coordinator (cluster/cmd_run.c) schedules one rung at a time
 * (the only barrier: a promotion needs every result of its rung); `show`
 * recomputes the same promotions to mark which periods selected a
 * configuration (its periods up to its last promotion; those after it are
 * the honest, out-of-selection ones).
 *
 * Memory: a halving_table holds sums for n_groups x F x n_points cells.
 */
#ifndef RS_HALVING_H
#define RS_HALVING_H

#include "coordinator/config.h"
#include "coordinator/plan.h"
#include "worker/task.h"

#define HALVING_MAX_RUNGS 64

typedef struct {
    int n_rungs;
    int folds[HALVING_MAX_RUNGS];   /* n_k: periods done after rung k         */
} halving_rungs;

/* The rungs of F periods (above).  Returns n_rungs (>= 1; 0 when F < 1). */
int halving_rungs_build(int n_folds, int min_folds, int eta, halving_rungs *r);

/* The pure promotion: of the n_alive configurations alive[] (group
 * indices, ascending) with score[group] (NaN: no score, ranks last;
 * higher is better), the best ceil(n_alive / eta) (>= 1) into keep[]
 * (ascending group indices; room for n_alive).  Returns their count. */
int halving_promote(const double *score, const int *alive, int n_alive, int eta, int *keep);

typedef struct {
    int            n_groups, n_folds, n_points;
    int            metric;        /* board_metrics() index                    */
    int            higher;        /* 1: higher is better                      */
    const int     *group_of;      /* [n_models] (not owned)                   */
    int           *seeds;         /* [n_groups] model points in each group    */
    int           *fold_ids;      /* [n_folds] ascending                      */
    double        *sum;           /* [g][f][s]                                */
    int           *cnt;           /* [g][f][s] rows ok and unflagged          */
    unsigned char *bad;           /* [g][f][s] a row not ok or flagged        */
} halving_table;

/* An empty table for plan p (groups from group_of, n_groups of them), the
 * periods fold_ids[0..n_folds) (ascending) and metric (a board metric
 * name, checked by halving_check).  Returns 0 or RS_EINTERNAL. */
int halving_table_init(halving_table *t, const sweep_plan *p, const int *group_of, int n_groups,
                       const int *fold_ids, int n_folds, const char *metric, rs_err *e);
void halving_table_free(halving_table *t);

/* Add one result row of model point `model` (its fold_id and strategy
 * index in the row; rows of other folds or strategies are ignored). */
void halving_table_add(halving_table *t, int model, const task_row *w);

/* score_k of group g over the first n periods (above; NaN: none). */
double halving_score(const halving_table *t, int g, int n);

/* Run the promotions of rungs 0 .. upto-1 on the table: alive[] (room for
 * n_groups) gets the configurations of rung `upto`, and reached[g] (may be
 * NULL) the last rung g reached (0 .. upto).  Returns the count alive. */
int halving_select(const halving_table *t, const halving_rungs *r, int eta, int upto, int *alive, int *reached);

/* The promotions of a finished (or interrupted) halving sweep, replayed
 * from its result rows (model and strategy indices set, as results_read
 * gives them) for `show`: the periods are the distinct ids of
 * fold_ids[0..n_ids) (e.g. /plan/folds, any order, repeats fine).  rungs
 * not yet run promote nobody: reached[g] is the last rung g entered. */
typedef struct {
    halving_rungs r;
    int           n_groups;
    int          *group_of;       /* [n_models]                               */
    int          *reached;        /* [n_groups] 0 .. r.n_rungs - 1            */
    int           n_folds;
    int          *fold_ids;       /* [n_folds] ascending                      */
} halving_replay;

int halving_replay_build(const sweep_config *c, const sweep_plan *p, const task_row *rows, int n_rows,
                         const int *fold_ids, int n_ids, halving_replay *h, rs_err *e);
void halving_replay_free(halving_replay *h);

/* One line (no newline) for show and the report: "successive halving (eta
 * 2, by sharpe): rung 1 8 configurations on periods ..2016; rung 2 4 ...".
 * buf always NUL-terminated. */
void halving_replay_describe(const halving_replay *h, const sweep_config *c, char *buf, size_t n);

/* [search] method = halving: the metric must be a `show` metric for the
 * target, --shard is refused by the caller.  Names the key's line:
 * "FILE:LINE: [search] metric: ...".  Returns 0 or RS_EINPUT. */
int halving_check(const sweep_config *c, rs_err *e);

#endif /* RS_HALVING_H */
