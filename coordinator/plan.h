/*
 * plan.h — a validated sweep_config expanded into what the coordinator
 * schedules (DESIGN.md, "The task model — train once, evaluate many").
 *
 *   model points     the cartesian product of every [model] and [training]
 *                    dimension: everything that changes training.
 *   strategy points  for each strategy kind, the product of the [strategy]
 *                    dimensions that kind uses (grid-only keys do not
 *                    multiply signal points; threshold is used by return /
 *                    price targets, min_prob by trend3): everything that
 *                    only changes trading.  Evaluated inside each task on
 *                    the same predictions.
 *   folds            come from the data (folds_build): one per test period
 *                    (year, quarter or month), or the one holdout split.
 *   tasks            model points × folds.  Strategies never multiply tasks.
 *
 * Expansion order is fixed by the code (not by the INI): model dimensions
 * cell, hidden, lookback, dropout, seed, forget_bias_one, lr, batch, epochs,
 * weight_decay, clip_norm, patience, min_delta, stride, max_windows, the
 * last varying fastest;
 * strategies by kind and correction in the listed order, then the other
 * fields in the order of worker/strategy.h's table (each kind and
 * correction multiplying only the fields it uses).
 *
 * Keys.  The canonical text of a model point is one "name=value" line per
 * parameter, sorted bytewise, each ending in '\n':
 *     model.cell=lstm            enum names, lower case
 *     model.hidden=64x32         layer sizes bottom first
 *     model.lookback=20          integers as %d / %llu
 *     training.lr=0.001          every real as %.17g (so 1e-3 == 0.001)
 *     training.beta1=0.9 ...     the fixed optimiser constants
 *                                (rnn_train_defaults: beta1, beta2, eps,
 *                                explode) so a change of default re-keys
 *     version=rnnsweep-model-1
 * training.stride and training.max_windows are written only when they are
 * not 1 / 0, so the keys of sweeps from before they existed do not move.
 * model.forget_bias_one is written for LSTM only (other cells ignore it;
 * equal-key points are merged, so "forget_bias_one = 0, 1" does not double
 * the GRU points).
 *     model key  = rs_hash_bytes(canonical text, its length, data_hash)
 *     task key   = rs_hash2(model key, (uint64_t)(int64_t)fold id)
 * (folds.h: a yearly fold's id is its year, 2017; 20173 is 2017Q3,
 * 201708 is 2017-08, 0 the holdout)
 * where data_hash = config_data_hash (data, features, target, walk-forward
 * but not its first/last year).  So the key carries every training
 * parameter, the seed, the data and the fold; it does not depend on the
 * order of keys in the INI, on how numbers are written, on other grid
 * values, on [strategy] or on [run].  Extending a grid keeps every old key.
 * A task's random streams derive from its key: plan_task_spec.
 *
 * Strategy keys: rs_hash_bytes of the strategy's canonical text (same
 * rules; "strategy.*" lines for the keys its kind and the target use,
 * strategy.market, bars_per_year=auto when derived from the data).
 *
 * Random search ([search] method = random, samples = N, seed = S).  A
 * configuration is a model point with its seed left out (seeds are
 * replicates: all of a configuration's seeds are kept or dropped together).
 * Each configuration's priority is rs_hash2(S, the model key of the point
 * with seed 0); the N of the smallest priorities (ties: by that key) are
 * kept and every other model point is dropped before indices are assigned,
 * so plan.models holds the sample in expansion order.  The sample depends
 * on S and the configurations only: never on rank count or order; a larger
 * N keeps every point of a smaller one (a resume extends the sample); a
 * configuration added to the grid does not move the others' priorities.
 * N at or above the grid's configurations keeps the whole grid.  Keys are
 * those of the full grid, so a random run's tasks are reused by a grid run.
 *
 * Memory: plan_build fills a caller-owned sweep_plan with malloc'd arrays;
 * plan_free releases them.  The plan does not point into the config.
 */
#ifndef RS_PLAN_H
#define RS_PLAN_H

#include <stdint.h>
#include <stdio.h>

#include "coordinator/config.h"
#include "worker/backtest.h"
#include "worker/rnn.h"
#include "worker/train.h"

#define PLAN_MAX_MODELS     CFG_MAX_MODELS   /* model points one sweep may expand to */
#define PLAN_MAX_STRATEGIES 100000    /* strategy points (evaluated per task)    */
#define PLAN_CANON_MAX      1024      /* a canonical text always fits in this    */

typedef struct {
    int            index;                 /* position in plan.models              */
    uint64_t       key;                   /* model key (above)                    */
    rnn_cell       cell;
    int            n_layers;
    int            hidden[RNN_MAX_LAYERS];
    int            lookback;              /* T                                    */
    double         dropout;
    int            forget_bias_one;
    uint64_t       seed;                  /* the [model] seed value (replicate)   */
    int            batch;
    int            stride;                /* train on every stride-th window      */
    int            max_windows;           /* at most this many (the latest); 0 all */
    rnn_train_opts train;                 /* epochs, lr, …; .seed set per task    */
    double         flops_per_window;      /* rnn_flops_per_seq(train = 1)         */
    double         flops_fwd_window;      /* rnn_flops_per_seq(train = 0)         */
    size_t         arena_bytes;           /* rnn_arena_bytes                      */
} plan_model;

typedef struct {
    int         index;                    /* position in plan.strategies          */
    uint64_t    key;                      /* strategy key (above)                 */
    int         bars_per_year_auto;       /* 1: set by plan_set_bar_seconds       */
    int         correction;               /* index into plan.corrections          */
    bt_strategy s;                        /* passes strategy_check                */
} plan_strategy;

typedef struct {
    int      model;                       /* index into plan.models               */
    int      fold;                        /* index into the caller's folds        */
    int      fold_id;                     /* the fold's id (folds.h: 2017, 20173) */
    uint64_t key;                         /* plan_task_key(model, fold_id)        */
    double   cost;                        /* estimated FLOPs (plan_task_cost)     */
} plan_task;

typedef struct {
    int            n_models;
    plan_model    *models;                /* [n_models]                           */
    int            n_strategies;
    plan_strategy *strategies;            /* [n_strategies]                       */
    int            n_corrections;         /* distinct correction points           */
    int           *correction_first;      /* [n_corrections] the first strategy of
                                             each (strategy_corrections order, the
                                             order a task computes them in)       */
    uint64_t       data_hash;             /* config_data_hash of the config       */
    int            n_in;                  /* features per time step               */
    uint64_t       content_hash;          /* the prepared data's content hash
                                             (prepare_info); 0 until the caller
                                             that loaded the data sets it        */
    int            series;                /* TASK_SERIES_* the run stores
                                             (config_series, set with the data);
                                             -1 (plan_build): not known, and
                                             resume_covers ignores resolution    */
    rnn_head       head;                  /* REG (return, price) or CLS (trend3)  */
    int            n_out;                 /* 1 or 3                               */
    int            merged;                /* model points merged as equal keys    */
    int            sampled_from;          /* random search: the grid's
                                             configurations; 0: method = grid     */
    int            n_configs;             /* random search: those kept (<= it)    */
    unsigned       model_varies;          /* label masks (plan.c): which fields   */
    uint64_t       strategy_varies;       /* differ between points                */
} sweep_plan;

/* Expand a loaded config.  Each model point passes rnn_spec_check and
 * rnn_train_opts_check, each strategy point backtest_check.  Returns 0, or
 * RS_EINPUT ("FILE: [model] ...: N model points, more than PLAN_MAX_MODELS",
 * a point that fails a check — named by its index and canonical values,
 * a [search] metric halving cannot rank by: halving_check) /
 * RS_EINTERNAL, with *p zeroed. */
int plan_build(const sweep_config *c, sweep_plan *p, rs_err *e);

/* Replicate groups: model points equal but for their seed share a group
 * (a configuration: random search and halving keep or drop it whole).
 * group_of[n_models] gets each point's group, numbered 0.. by first
 * appearance in plan order.  Returns the number of groups, or -1 (out of
 * memory). */
int plan_replicate_groups(const sweep_plan *p, int *group_of);

/* Release the plan's arrays and zero it (NULL fine). */
void plan_free(sweep_plan *p);

/* The canonical text of a model / strategy point (format above) into buf
 * (NUL-terminated, truncated to n); returns the full length. */
size_t plan_model_canon(const plan_model *m, char *buf, size_t n);
size_t plan_strategy_canon(const sweep_plan *p, const plan_strategy *s, char *buf, size_t n);

/* Task key of (model, fold id). */
uint64_t plan_task_key(const plan_model *m, int fold_id);

/* The identity of a plan: rs_hash of the data hash, the model and strategy
 * counts, every model key and every strategy key in plan order.  Equal
 * plans <=> equal sweep hashes: every rank checks its rebuilt plan against
 * rank 0's with it, results files carry it, merge refuses files whose
 * hashes differ. */
uint64_t plan_sweep_hash(const sweep_plan *p);

/* The network and training options of one task: spec (n_in, head, n_out,
 * cell, layers, T, batch, dropout) with spec->seed = rs_hash2(key, 1) for
 * the initial weights, and opts = m->train with opts->seed = rs_hash2(key, 2)
 * for shuffles and dropout — so a result never depends on which rank ran
 * the task or in what order. */
void plan_task_spec(const sweep_plan *p, const plan_model *m, uint64_t task_key,
                    rnn_spec *spec, rnn_train_opts *opts);

/* Labels: what `show`, the HDF5 file and the logs call a point.  A label
 * shows only the fields that differ between points of this plan, e.g.
 * "gru 64x32 T40" / "grid th0.001 sp1% L3"; buf is always NUL-terminated
 * (truncated to n).  Index outside the plan: "?". */
void plan_model_label(const sweep_plan *p, int model, char *buf, size_t n);
/* plan_model_label with options: PLAN_LABEL_NO_SEED leaves the seed out
 * (the label of a replicate group: seeds are replicates, not points). */
#define PLAN_LABEL_NO_SEED 1u
void plan_model_label_opt(const sweep_plan *p, int model, unsigned opt, char *buf, size_t n);
/* What the label prefixes of this plan mean, one "T = lookback (bars); ..."
 * line of the pieces that vary (opt as above); buf NUL-terminated. */
void plan_label_legend(const sweep_plan *p, unsigned opt, char *buf, size_t n);
void plan_strategy_label(const sweep_plan *p, int strategy, char *buf, size_t n);

/* Strategy field f of *s as labels and group tables show it, with the
 * fields attached to it ("1%" for spacing 1 in percent).  Returns buf. */
char *plan_field_label(const bt_strategy *s, int f, char *buf, size_t n);

/* A correction point (index c, plan.correction_first order): "none",
 * "motormap", "motormap_online mm30 b0.15 s15 e1" (the map's values when
 * points of one kind differ), "motormap_peek LOOK-AHEAD". */
void plan_correction_label(const sweep_plan *p, int c, char *buf, size_t n);

/* "64x32": a model's layer sizes, bottom first.  Returns buf. */
char *plan_hidden_text(const plan_model *m, char *buf, size_t n);

/* The training windows a task of model m actually trains on, of a fold
 * with train_windows: every stride-th (counting back from the latest),
 * at most max_windows. */
int64_t plan_train_windows(const plan_model *m, int64_t train_windows);

/* What one task stores (task.h's packed record, results.h's datasets), for
 * `rnnsweep plan`: n_test test bars, n_pts series points per strategy at
 * resolution series (task_series_points), n_train training windows of the
 * fold, weight_bytes (rnn_blob_size; 0 without [run] save_weights).
 *   record     the packed record: what a worker sends, the journal and
 *              rank 0's store hold (every epoch of the curve counted:
 *              early stopping only shortens it)
 *   journal    record + its journal frame (24-byte header, padded to 8)
 *   file       what results_write stores for the task before compression:
 *              its /results rows, /tasks row, index rows, per-bar t, y,
 *              pred, corrected, per-point returns and bh (point_end and
 *              trades for daily points), curve, training classes, weights
 *   per_strat  how much `record` grows per added strategy point */
typedef struct { size_t record, journal, file, per_strat; } plan_storage;
void plan_task_storage(const sweep_plan *p, const plan_model *m, int series, int n_test, int n_pts, int64_t n_train,
                       size_t weight_bytes, plan_storage *out);

/* Estimated FLOPs of one task: flops_per_window × the windows trained ×
 * epochs (an upper bound: early stopping only shortens it; prediction and
 * backtests are small beside training). */
double plan_task_cost(const plan_model *m, int64_t train_windows);

/* The estimated FLOPs of a whole task on a fold of n_train / n_val /
 * n_test windows: training (plan_task_cost), the validation pass of every
 * epoch and the test prediction (forward only), and, when a strategy has a
 * motor-map correction, the network's pass over its training windows.  The
 * coordinator orders tasks by it (longest first); `plan` sums it. */
double plan_task_cost_fold(const sweep_plan *p, const plan_model *m, int64_t n_train, int64_t n_val,
                           int64_t n_test);

/* The same split in two: *train the forward + backward FLOPs of training,
 * *fwd the forward-only FLOPs (validation every epoch, the test windows,
 * and the network's pass over its training windows when a motor map needs
 * it).  plan_task_cost_fold = *train + *fwd. */
void plan_task_flops(const sweep_plan *p, const plan_model *m, int64_t n_train, int64_t n_val, int64_t n_test,
                     double *train, double *fwd);

/* The tasks of n_folds folds (ids[f], train_windows[f] from folds_build:
 * fold_count(train_lo, train_hi); pass NULL to cost every fold alike):
 * n_models × n_folds tasks, sorted longest-estimated first, ties by key,
 * then model and fold — the same order on every run.  *out is malloc'd
 * (the caller frees).  Returns 0, or RS_EINPUT (n_folds < 0, duplicate
 * ids) / RS_EINTERNAL. */
int plan_tasks(const sweep_plan *p, const int *ids, const int64_t *train_windows, int n_folds,
               plan_task **out, int *n_out, rs_err *e);

/* Sort tasks longest-estimated-first, ties broken by key (then model,
 * fold): deterministic whatever the input order. */
void plan_sort_tasks(plan_task *t, int n);

/* Strategies whose bars_per_year is "auto" get
 * backtest_bars_per_year(market, bar_seconds) (call once the data's bar
 * length is known; until then they hold the market's daily default). */
void plan_set_bar_seconds(sweep_plan *p, double bar_seconds);

/* A summary: counts (models, strategies, tasks for 1, 5, 10, 20 folds),
 * the estimated cost per task at `train_windows` windows (min, median, max,
 * the sum per fold), the memory of the largest model arena, the data hash. */
void plan_describe(const sweep_plan *p, int64_t train_windows, FILE *f);

#endif /* RS_PLAN_H */
