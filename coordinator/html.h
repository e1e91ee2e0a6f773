/*
 * html.h — `rnnsweep report FILE.h5 --html OUT.html`: the board and verdict
 * of a results file (board.h, verdict.h) as ONE self-contained HTML page:
 * inline SVG figures, inline CSS, no script, no network.  It holds the
 * verdict; the leaderboard (the cells of report_cells: the same strings as
 * `show --format csv`); stitched equity curves of the top configurations and
 * of walk-forward selection against buy-and-hold; their drawdowns; a
 * configuration × period heatmap of the ranking metric; the metric's
 * distribution by every grid dimension that varies (cell first); the seed
 * spread; for trend3 targets per-period confusion matrices and accuracy
 * against the training majority; the PBO logit histogram; the plan and
 * provenance (root attributes, the INI).
 *
 * Why SVG written by C: the page is made from the same board as `show` in
 * the same process, so its numbers cannot drift from the terminal's; it
 * needs nothing beyond the program (no Python or matplotlib on a cluster's
 * login node); and SVG text stays searchable and testable.
 *
 * Element ids the browser test reads: #verdict, #leaderboard (a table whose
 * header cells are report_columns' names), and every figure is an <svg>
 * with class "fig".
 */
#ifndef RS_HTML_H
#define RS_HTML_H

#include "coordinator/plan.h"
#include "coordinator/results.h"

typedef struct {
    int         top;          /* leaderboard rows (0: 10); curves: the top 5     */
    const char *metric;       /* ranking metric (NULL: sharpe)                   */
    int         lookahead;
    int         pbo_blocks, wf_top;
    const sweep_config *sweep;/* the file's config (NULL: none): a halving
                                 sweep's rungs go into the provenance table  */
} html_opts;

/* Write the page to path (through path.tmp and a rename, so a reader never
 * sees half a page).  Returns 0, RS_EINPUT (bad options, a file that does
 * not fit its plan) or RS_EINTERNAL (I/O, out of memory) with nothing at
 * path. */
int html_write(const char *path, const results_file *r, const sweep_plan *p, const html_opts *o, rs_err *e);

#endif /* RS_HTML_H */
