/*
 * report.h — what `rnnsweep show` prints from a results file: one verdict
 * line (is the winner skill or luck, and what would choosing honestly have
 * earned: verdict.h), the leaderboard of configurations (board.h), and on
 * request group tables (--by KEY, or a two-way --by A,B), paired
 * comparisons of a key's levels on matched cells, or one configuration
 * fold by fold with its tasks' learning curves (--config ID).  As a table (default), CSV or JSON.
 *
 * The leaderboard's columns (report_columns) are named once here and used
 * by the text table, the CSV, the JSON and the HTML report (html.h), so
 * every output shows the same numbers formatted the same way:
 *   rank, id, model, strategy,
 *   <metric>   the mean of the per-fold values (seeds averaged), with
 *   std        the sample sd across folds,
 *   worst, worst_fold   the worst fold's value and its period,
 *   folds      ok folds / folds in the file,
 *   seeds, seed_sd      (when a seed dimension varies) replicates and the
 *              sd across them of each seed's mean,
 *   flagged    (when any value was flagged) folds left out for it,
 *   trading metrics:  roi%, bh_roi%  (per-fold means) and the stitched
 *              curve: roi_c%, sharpe_c, mdd_c%, bh_c% (verdict.h);
 *   forecast metrics: baseline, beats  (persistence or training majority).
 * Rows of a look-ahead correction (motormap_peek) are left out unless
 * report_opts.lookahead, and the header says how many.
 */
#ifndef RS_REPORT_H
#define RS_REPORT_H

#include <stdio.h>

#include "coordinator/board.h"
#include "coordinator/plan.h"
#include "coordinator/results.h"
#include "coordinator/verdict.h"

enum { REPORT_TABLE = 0, REPORT_CSV = 1, REPORT_JSON = 2 };

typedef struct {
    int         top;          /* leaderboard rows (0: 10)                         */
    const char *metric;       /* ranking metric (NULL: "sharpe")                  */
    const char *by;           /* "KEY" or "KEY,KEY" (two-way), or NULL            */
    int         lookahead;    /* 1: include LOOK-AHEAD rows (motormap_peek)       */
    int         format;       /* REPORT_TABLE | REPORT_CSV | REPORT_JSON          */
    const char *config;       /* a configuration id (prefix): fold by fold        */
    int         pbo_blocks;   /* S (0: 16)                                        */
    int         wf_top;       /* k (0: 5)                                         */
    const sweep_config *sweep;/* the file's config (NULL: none): with [search]
                                 method = halving, the promotions are replayed
                                 (halving.h) and marked: the rungs in the
                                 header, the periods that selected a
                                 configuration under --config                */
} report_opts;

#define REPORT_CELL 128
#define REPORT_MAX_COLS 24

/* Check the options that need no file: metric and group-by names, --top.
 * Returns 0 or RS_EINPUT: "unknown metric 'sharp' (did you mean 'sharpe'?
 * known: ...)", "--by a,b,c: at most two keys". */
int report_check(const report_opts *o, rs_err *e);

/* Print the report (see above).  p is the plan rebuilt from the file's INI
 * (config_load_text + plan_build).  Returns 0 or RS_EINPUT (bad options,
 * rows whose indices do not fit the plan, an unknown --config id) or
 * RS_EINTERNAL (out of memory). */
int report_print(const results_file *r, const sweep_plan *p, const report_opts *o, FILE *f, rs_err *e);

/* The leaderboard's column names for board b (n returned, <= REPORT_MAX_COLS),
 * and configuration c's cells at rank (1-based) formatted as every output
 * shows them; full_id: 16 hex digits (else the 8-digit prefix the table
 * shows). */
int  report_columns(const board *b, const char **names);
void report_cells(const board *b, int c, int rank, int full_id, char (*cells)[REPORT_CELL]);

/* The verdict in one line ("winner ...: DSR 0.34 (below 0.95: ...), PBO
 * 0.14, walk-forward selection +X % vs buy-and-hold +Y %") into buf. */
void report_verdict_line(const board *b, const verdict *v, char *buf, size_t n);

/* ---- the arithmetics that trained a sweep ----------------------------------
 * A sweep resumed or merged across binaries, or across RS_KERNEL=blas and
 * the own kernels, holds tasks trained with more than one arithmetic
 * (kern.h, KERN_ARITH, kern_arith_class): each task still reproduces with
 * its own, but the sweep as a whole differs in its last bits from a rerun
 * with any one of them.  show, the HTML report and the end of `run` say so
 * (and `run --resume`, before it trains, when it is about to). */
#define REPORT_ARITH_MAX 8
typedef struct {
    int n;                                   /* kinds seen (<= REPORT_ARITH_MAX) */
    struct { char name[48]; int tasks; } k[REPORT_ARITH_MAX];
} report_arith;                              /* zero-initialised = empty         */

/* Count one task (only trained ones: optimiser steps > 0).  Kinds past the
 * eighth are counted under the eighth. */
void report_arith_add(report_arith *a, const task_head *h);

/* Every task of r, into a zeroed *a. */
void report_arith_of(const results_file *r, report_arith *a);

/* "8 on own kernels a2" or "4 on OpenBLAS Haswell, 4 on own kernels a2"
 * into buf ("" when no task trained).  Returns the number of kinds: more
 * than 1 is a mixed sweep. */
int report_arith_text(const report_arith *a, char *buf, size_t n);

/* The MIXED ARITHMETIC line show prints (prefix, then the kinds and what
 * it means, newline), when a holds more than one kind; else nothing. */
void report_arith_warn(const report_arith *a, const char *prefix, FILE *f);

/* The statistics lines (deflated and probabilistic Sharpe with their
 * inputs, PBO and its logits, walk-forward selection and its picks) and the
 * legend lines (columns, label prefixes, flagged values) show prints. */
void report_print_stats(const board *b, const verdict *v, FILE *f);
void report_print_legend(const board *b, FILE *f);

#endif /* RS_REPORT_H */
