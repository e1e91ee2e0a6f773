/*
 * results.h — the sweep's HDF5 results file (DESIGN.md, "HDF5 layout").
 *
 * Only rank 0 writes, and it always writes the WHOLE file from the task
 * records it holds (the journal's, task.h packed form): built in memory,
 * written to PATH.tmp, synced and renamed over PATH, so a reader, a crash
 * or a full disk never sees a half-written file, and the file's content does not depend on the order
 * in which tasks finished — tasks are written sorted by (model index, test
 * year), rows by strategy index, so `-np 1` and `-np 3` give identical
 * /results, /plan and /series datasets, bit for bit.  Runtime facts (rank,
 * seconds, hosts, time) live only in /tasks and in root attributes.
 *
 * Layout (schema RESULTS_SCHEMA):
 *   /                 attributes: schema (int), program ("rnnsweep 0.1.0"),
 *                     ini (the full INI text), name, sweep_hash (hex string:
 *                     plan_sweep_hash), data_hash (hex), created, updated
 *                     (ISO 8601 UTC), ranks, threads (per rank), blas
 *                     (OpenBLAS config string), hosts (comma-separated),
 *                     shard ("" or "k/n"), git_commit (the binary's commit,
 *                     "-dirty" when built from a modified tree; "" outside
 *                     git), slurm_job_id, slurm_array_job_id,
 *                     slurm_array_task_id (the writing job's SLURM_JOB_ID,
 *                     SLURM_ARRAY_JOB_ID, SLURM_ARRAY_TASK_ID; "" outside
 *                     Slurm; merge keeps its first input's commit and
 *                     job ids and leaves the array task id empty),
 *                     bar_seconds, tasks_planned, tasks_done,
 *                     tasks_failed (status != ok), complete (1 when every
 *                     planned task has a record)
 *   /plan/models      compound, one row per model point, plan order: index,
 *                     key, cell (string), layers, hidden (string "64x32"),
 *                     lookback, dropout, seed, forget_bias_one, lr, batch,
 *                     epochs, weight_decay, clip_norm, patience, min_delta,
 *                     params (parameter count), label (plan_model_label)
 *   /plan/strategies  compound, one row per strategy point: index, key,
 *                     label (plan_strategy_label), bars_per_year_auto,
 *                     market, then every field of the strategy table
 *                     (worker/strategy.h) under its [strategy] key: enum
 *                     fields as their names (16-byte strings), the others
 *                     int32 / float64
 *   /plan/folds       compound, one row per (lookback, year): lookback, year,
 *                     status (string "ok"/"empty"), train/val/test window
 *                     counts and first/last timestamps (ISO strings)
 *   /results          compound task_row (task.h), trading as a nested
 *                     compound "trading" with mt_trading's fields; rows
 *                     sorted by (model, year, strategy)
 *   /tasks            compound, one row per task, same order: task_key,
 *                     model_key, model, year, status (int), status_name,
 *                     epochs_run, best_epoch, steps, reevaluated (1: rows
 *                     computed from the stored record on a resume; rank,
 *                     host, blas and timings are the training's), rank,
 *                     host, blas (the
 *                     BLAS kernel the task's GEMMs ran on: OpenBLAS's core
 *                     name, e.g. "Haswell"; results of different kernels
 *                     agree to float rounding, not bit for bit), sec_train,
 *                     sec_predict, sec_backtest, sec_total, message
 *   /series/index     compound per task with series: task_key, model, year,
 *                     offset, n (rows in the datasets below)
 *   /series/t         int64   [N]                 test bar timestamps
 *   /series/y         float64 [N]                 truth (target units)
 *   /series/pred      float64 [N][n_out]          predictions
 *   /series           attributes: resolution ("bar", "day", "none",
 *                     "mixed", "" without series: task.h "Series
 *                     resolution"; [run] series), day_rule (TASK_DAY_RULE),
 *                     data_content_hash (hex: the prepared data's
 *                     prepare_info.content_hash: sweep_plan
 *                     content_hash, 0 when unknown; what `show --series
 *                     bar` checks before it recomputes a per-bar curve)
 *   /series/points    compound per task with series, /series/index order:
 *                     task_key, model, year, offset, n (rows in returns, bh,
 *                     point_end, trades), series (0 bar, 1 day, 2 none)
 *   /series/returns   float32 [P][n_strategies]   strategy returns per series
 *                                                 point (per bar: the bar's;
 *                                                 per day: the day's bars
 *                                                 compounded), column =
 *                                                 strategy index (NaN where a
 *                                                 task has no row for it)
 *   /series/bh        float32 [P]                 buy-and-hold, likewise
 *   /series/point_end int32 [P or 0]              the task's bar (0-based, into
 *                                                 its /series/t slice) closing
 *                                                 each point; 0 rows when no
 *                                                 task has daily points
 *   /series/trades    int32 [P or 0][n_strategies] trades completed in each
 *                                                 daily point (-1: not stored)
 *   (schema 3/4 files: no points datasets, returns and bh per bar [N])
 *   /curves/index, /train_classes/index, /weights/index: like /series/index
 *   /curves/loss      float64 [N][2]              per epoch run: mean training
 *                                                 loss, validation loss (NaN
 *                                                 without); /tasks best_epoch
 *                                                 the epoch kept
 *   /train_classes/net, /label  uint8 [N]         trend3: the network's class
 *                                                 and the label per training
 *                                                 window (motor maps learn them)
 *   /weights/blob     uint8 [N]                   [run] save_weights = 1: the
 *                                                 rnn_blob_write bytes per task
 * Datasets are chunked and deflate-compressed (level 4), deterministic.
 *
 * Memory: results_read fills a caller-owned results_file (everything
 * malloc'd; results_file_free releases it).
 */
#ifndef RS_RESULTS_H
#define RS_RESULTS_H

#include <stdint.h>

#include "coordinator/config.h"
#include "coordinator/plan.h"
#include "worker/task.h"

#define RESULTS_SCHEMA 5   /* 2: fold ids, corrections, class details; 3: /tasks host, blas;
                              4: /curves, /train_classes, /weights, /tasks reevaluated,
                              provenance attributes; 5: series resolution (/series/points,
                              point_end, trades; returns and bh per point) */
#define RESULTS_SCHEMA_OLDEST 3   /* the oldest schema results_read reads */

/* One row of /plan/folds. */
typedef struct {
    int32_t lookback;
    int32_t fold_id;                 /* folds.h id (2017, 20173, 201708, 0)      */
    int32_t status;                  /* FOLD_OK | FOLD_EMPTY                     */
    int32_t pad_;
    int64_t n_train, n_val, n_test;  /* windows                                  */
    int64_t train_first, train_last; /* timestamps of the first/last end rows    */
    int64_t test_first, test_last;   /* (0 when the set is empty)                */
} results_fold;

/* Run facts for the root attributes. */
typedef struct {
    const char *created;             /* ISO 8601 UTC of the sweep's first start  */
    int         ranks;
    int         threads;             /* OpenMP threads per rank                  */
    const char *blas;                /* e.g. openblas_get_config()               */
    const char *hosts;               /* comma-separated, deduplicated            */
    const char *shard;               /* "" or "k/n"                              */
    int         tasks_planned;       /* of this shard                            */
    double      bar_seconds;         /* the data's bar length (attribute
                                        "bar_seconds"): merge rebuilds the plan's
                                        auto bars_per_year from it               */
    const char *git_commit;          /* RS_GIT_COMMIT; NULL = ""                 */
    const char *slurm_job_id;        /* SLURM_JOB_ID etc.; NULL = ""             */
    const char *slurm_array_job_id;
    const char *slurm_array_task_id;
} results_meta;

/* Write the whole file (see above) from n_tasks packed task records.
 * Records whose model key is not in the plan are left out, and so are
 * records whose n_out is not the plan's (/series/pred has one width) and
 * rows whose strategy key is not in the plan; if two records share a task
 * key the LATER one in the array wins (likewise two rows of one strategy
 * in a record).  c->ini_text is stored.  Returns 0, or
 * RS_EINTERNAL (HDF5 or I/O error, one line naming the path — a full disk
 * gives "PATH: writing PATH.tmp: No space left on device"; PATH is then
 * untouched and PATH.tmp removed).  A failed write leaves nothing behind
 * in HDF5: the process may write again, and exits cleanly (a file written
 * by HDF5 itself, below, is protected by the room check only: a disk that
 * another writer fills between the check and the write fails inside HDF5,
 * whose clean-up after a failed close is not to be trusted).  Memory: the
 * compressed file's size, on top of the records. */
int results_write(const char *path, const sweep_config *c, const sweep_plan *p,
                  const results_fold *folds, int n_folds,
                  const task_view *tasks, int n_tasks, const results_meta *m, rs_err *e);

/* Where results_write_source takes its records from: record i (0 <= i <
 * n) as a view that stays valid until the next call (the writer reads each
 * record again when it writes it, so the records need not all be in
 * memory: cmd_run reads them back from the journal).  get returns 0, or an
 * RS_* status with *e filled (the write then fails with it). */
typedef struct {
    int   n;
    int (*get)(void *ctx, int i, task_view *v, rs_err *e);
    void *ctx;
} results_source;

/* results_write from a source.  Memory: one record at a time, ~56 bytes
 * per record for the ordering, and the compressed file's size when the
 * records add up to at most 1 GiB (RNNSWEEP_DIRECT_WRITE_BYTES): a bigger
 * file is written to PATH.tmp by HDF5 itself, after a check that its file
 * system has room for an upper bound of it (RS_EINTERNAL "No space left
 * on device (the file needs up to N MiB, M MiB free)" otherwise). */
int results_write_source(const char *path, const sweep_config *c, const sweep_plan *p,
                         const results_fold *folds, int n_folds, const results_source *src,
                         const results_meta *m, rs_err *e);

/* Test hook: with the environment variable RNNSWEEP_TEST_WRITE_PAUSE set
 * to SECONDS, results_write sleeps that long after PATH.tmp is written
 * and before it is renamed over PATH — the window a kill -9 "during a
 * checkpoint" must hit (tests/test_faults.sh); SECONDS:N sleeps in the
 * N-th write of the process only (1 = the first). */

/* The plan_sweep_hash a results file was written for (its sweep_hash
 * attribute): 0 and *hash, or -1 when the file cannot be opened or has no
 * such attribute (nothing printed).  Cheap: reads one attribute. */
int results_sweep_hash(const char *path, uint64_t *hash);

/* Everything a results file holds, read back. */
typedef struct {
    uint32_t   schema;
    char       program[64];
    char       name[CFG_NAME_MAX];
    char      *ini_text;             /* NUL-terminated                           */
    uint64_t   sweep_hash, data_hash;
    char       created[40], updated[40];
    int        ranks, threads;
    char       blas[256];
    char      *hosts;                /* NUL-terminated                           */
    char       shard[32];
    char       git_commit[64];       /* "" in files of before these attributes   */
    char       slurm_job_id[32], slurm_array_job_id[32], slurm_array_task_id[32];
    int        tasks_planned, tasks_done, tasks_failed, complete;
    int        n_rows;
    task_row  *rows;                 /* /results, file order                     */
    int        n_tasks;
    task_buf  *tasks;                /* [n_tasks] packed records rebuilt from
                                        /tasks, /results and /series: each passes
                                        task_view_parse, and equals the record
                                        that was written (runtime head fields
                                        included, rows restricted to the plan)   */
    int        n_folds;
    results_fold *folds;
    double     bar_seconds;          /* attribute "bar_seconds" (0 if absent)    */
    char       series_res[16];       /* /series attribute resolution ("bar" in a
                                        schema-3/4 file)                         */
    uint64_t   data_content_hash;    /* /series attribute data_content_hash (0: not
                                        recorded: schema 3/4, merge)             */
} results_file;

/* Read a results file.  Returns 0, RS_EINPUT ("PATH: cannot open: why",
 * "PATH: not an HDF5 file",
 * "PATH: not an rnnsweep results file (no schema attribute)", "PATH: schema
 * N, this program reads 1") or RS_EINTERNAL.  HDF5's own error stack is
 * silenced: the message says what was wrong. */
int results_read(const char *path, results_file *r, rs_err *e);

void results_file_free(results_file *r);    /* NULL fine; zeroes */

/* Format a time as ISO 8601 UTC "2026-11-21T10:00:00Z" into buf (>= 21). */
char *results_iso_time(int64_t unix_seconds, char *buf);

#endif /* RS_RESULTS_H */
