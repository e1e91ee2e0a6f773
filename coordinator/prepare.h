/*
 * prepare.h — from a validated config to what the workers compute on
 * (DESIGN.md, "Data flow" 1-2): rank 0 loads and aligns every instrument
 * once, computes the raw (unscaled) features and the target, and lays
 * them out as one task_data block to broadcast; then it expands the plan's
 * model points × the folds of each lookback into the task list.
 *
 * The traded instrument — whose bars the strategies trade and whose close
 * defines the target — is the FIRST one in [data] instruments.
 *
 * Nothing here scales or fits anything: scaling and fitted thresholds are
 * per fold, on training rows only, inside task_run (worker/task.h).
 */
#ifndef RS_PREPARE_H
#define RS_PREPARE_H

#include <stdio.h>

#include "coordinator/config.h"
#include "coordinator/plan.h"
#include "coordinator/results.h"
#include "worker/task.h"

/* What prepare_data loaded, for the progress log. */
typedef struct {
    int     n_inst;
    char    name[CFG_MAX_INST][SERIES_NAME_MAX];
    int64_t rows_loaded[CFG_MAX_INST];    /* per instrument, before alignment   */
    int64_t rows_dropped[CFG_MAX_INST];   /* rows [data] drop_bad skipped       */
    int64_t rows;                         /* aligned rows                        */
    int64_t first_valid;
    int     n_feat;
    int64_t t_first, t_last;
    double  seconds;                      /* wall time of prepare_data           */
    uint64_t content_hash;                /* rs_hash_bytes of the whole block    */
} prepare_info;

/* Load, resample, align, compute features and the target.  d->setup comes
 * from the config.  Returns 0, or RS_EINPUT (a data file's own message:
 * file:line, an alignment that leaves nothing, a feature the data cannot
 * support) / RS_EINTERNAL, with *d empty.  Free with task_data_free. */
int prepare_data(const sweep_config *c, task_data *d, prepare_info *info, rs_err *e);

/* The walk-forward options of a config for lookback T. */
fold_opts prepare_fold_opts(const sweep_config *c, int lookback);

/* Expand tasks: for every distinct lookback of the plan, folds_build over
 * the data; every model point × every fold of its lookback is a task
 * (empty folds included: they are recorded with status empty).  Tasks are
 * sorted longest-estimated-first (plan_sort_tasks).  *folds receives one
 * results_fold per (lookback, year), lookback then year ascending.  Both
 * arrays are malloc'd (caller frees).  Returns 0 or RS_EINPUT (folds
 * options the data cannot satisfy) / RS_EINTERNAL. */
int prepare_tasks(const sweep_config *c, const sweep_plan *p, const task_data *d,
                  plan_task **tasks, int *n_tasks, results_fold **folds, int *n_folds, rs_err *e);

/* Fill a task_input for task t: keys, year, spec and options
 * (plan_task_spec), and every strategy of the plan (strat/strat_key point
 * into the caller's arrays, which prepare_strategies fills once). */
void prepare_input(const sweep_plan *p, const task_data *d, const plan_task *t,
                   const bt_strategy *strat, const uint64_t *strat_key, task_input *in);

/* The plan's strategies as two flat arrays (malloc'd, caller frees both).
 * Returns 0 or RS_EINTERNAL. */
int prepare_strategies(const sweep_plan *p, bt_strategy **strat, uint64_t **keys, rs_err *e);

/* One paragraph describing the prepared data. */
void prepare_describe(const prepare_info *info, FILE *f);

#endif /* RS_PREPARE_H */
