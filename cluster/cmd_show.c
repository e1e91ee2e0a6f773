/*
 * cmd_show.c — `rnnsweep show FILE.h5 [options]` (coordinator/report.h):
 * the verdict, the leaderboard, group tables, paired comparisons, one
 * configuration fold by fold; and `rnnsweep report FILE.h5 --html OUT`
 * (coordinator/html.h), the same board as one self-contained page.
 * Reads only the file: the plan is rebuilt from the INI text it stores.
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/html.h"
#include "coordinator/plan.h"
#include "coordinator/report.h"
#include "coordinator/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f, const char *cmd) {
    fprintf(f,
        "usage: rnnsweep %s FILE.h5 [--top N] [--metric M] [--by KEY[,KEY]] [--config ID] [--lookahead]\n"
        "       [--format table|csv|json] [--pbo-blocks S] [--wf-top K]%s\n"
        "The verdict on the winner (deflated Sharpe, PBO, walk-forward selection), then every (model point,\n"
        "strategy point) configuration ranked by the mean of a metric over its walk-forward folds (seeds\n"
        "averaged: they are replicates), with the stitched curve across folds beside the per-fold means.\n"
        "  --top N          leaderboard rows (10)\n"
        "  --metric M       sharpe (default), sortino, calmar, roi_pct, cagr_pct, max_dd_pct, vol_pct,\n"
        "                   hit_rate_pct, profit_factor, n_trades, exposure_pct, rmse, mae, r2,\n"
        "                   dir_acc, accuracy, macro_f1, log_loss, test_loss\n"
        "  --by KEY         group table and a paired comparison of KEY's levels on matched cells: model\n"
        "                   (lstm / gru / stacked), cell, hidden, lookback, lr, seed, fold, year, and every\n"
        "                   [strategy] key (kind, threshold, spacing, correction, ...); --by A,B a two-way table\n"
        "  --config ID      one configuration fold by fold (ID: the id column, 4 or more hex digits)\n"
        "  --lookahead      include LOOK-AHEAD rows (correction = motormap_peek), left out by default\n"
        "  --format F       table (default), csv (the leaderboard, or the --by / --config table), json\n"
        "  --pbo-blocks S   CSCV blocks for PBO (even, 2..30; 16)\n"
        "  --wf-top K       walk-forward selection also averages the top K (5)\n"
        "%s", cmd, !strcmp(cmd, "report") ? " [--html OUT.html]" : "",
        !strcmp(cmd, "report") ? "  --html OUT       write the report as one self-contained HTML page (inline SVG)\n" : "");
}

static int cmd_common(int argc, char **argv, const char *cmd) {
    const char *path = NULL, *html = NULL;
    report_opts o = { .top = 10, .metric = "sharpe" };
    const char *by[2] = { NULL, NULL };
    int n_by = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout, cmd); return 0; }
        if (!strcmp(a, "--lookahead")) { o.lookahead = 1; continue; }
        if (!strcmp(a, "--top") || !strcmp(a, "--by") || !strcmp(a, "--metric") || !strcmp(a, "--config") ||
            !strcmp(a, "--format") || !strcmp(a, "--pbo-blocks") || !strcmp(a, "--wf-top") ||
            (!strcmp(a, "--html") && !strcmp(cmd, "report"))) {
            if (i + 1 >= argc) { fprintf(stderr, "rnnsweep %s: %s needs a value\n", cmd, a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--top") || !strcmp(a, "--pbo-blocks") || !strcmp(a, "--wf-top")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 1000000) {
                    fprintf(stderr, "rnnsweep %s: %s '%s': expected a positive integer\n", cmd, a, v);
                    return 2;
                }
                if (!strcmp(a, "--top")) o.top = (int)n;
                else if (!strcmp(a, "--wf-top")) o.wf_top = (int)n;
                else o.pbo_blocks = (int)n;
            } else if (!strcmp(a, "--by")) {
                /* --by a --by b is --by a,b: never keep only the last */
                if (n_by == 2) { fprintf(stderr, "rnnsweep %s: --by given more than twice\n", cmd); return 2; }
                by[n_by++] = v;
            } else if (!strcmp(a, "--format")) {
                if (!strcmp(v, "table")) o.format = REPORT_TABLE;
                else if (!strcmp(v, "csv")) o.format = REPORT_CSV;
                else if (!strcmp(v, "json")) o.format = REPORT_JSON;
                else { fprintf(stderr, "rnnsweep %s: --format '%s': expected table, csv or json\n", cmd, v); return 2; }
            } else if (!strcmp(a, "--config")) o.config = v;
            else if (!strcmp(a, "--html")) html = v;
            else o.metric = v;
            continue;
        }
        if (a[0] == '-' || path) { fprintf(stderr, "rnnsweep %s: unexpected argument '%s' (see --help)\n", cmd, a); return 2; }
        path = a;
    }
    if (!path) { fprintf(stderr, "rnnsweep %s: missing FILE.h5 (see --help)\n", cmd); return 2; }
    char by_buf[200];
    if (n_by == 2) {
        snprintf(by_buf, sizeof by_buf, "%s,%s", by[0], by[1]);
        o.by = by_buf;
    } else o.by = by[0];
    rs_err e;
    if (report_check(&o, &e)) { fprintf(stderr, "rnnsweep %s: %s\n", cmd, e.msg); return 2; }
    results_file r;
    if (results_read(path, &r, &e)) { fprintf(stderr, "rnnsweep: %s\n", e.msg); return e.status; }
    sweep_config c;
    sweep_plan p;
    int rc = config_load_text(r.ini_text, path, &c, &e);
    if (!rc) {
        rc = plan_build(&c, &p, &e);
        if (!rc) {
            if (r.bar_seconds > 0) plan_set_bar_seconds(&p, r.bar_seconds);
            if (html) {
                html_opts ho = { .top = o.top, .metric = o.metric, .lookahead = o.lookahead,
                                 .pbo_blocks = o.pbo_blocks, .wf_top = o.wf_top, .sweep = &c };
                rc = html_write(html, &r, &p, &ho, &e);
                if (!rc) printf("rnnsweep report: wrote %s\n", html);
            } else {
                o.sweep = &c;
                rc = report_print(&r, &p, &o, stdout, &e);
            }
            plan_free(&p);
        }
        config_free(&c);
    }
    if (rc) fprintf(stderr, "rnnsweep: %s: %s\n", path, e.msg);
    results_file_free(&r);
    return rc;
}

int cmd_show(int argc, char **argv) { return cmd_common(argc, argv, "show"); }
int cmd_report(int argc, char **argv) { return cmd_common(argc, argv, "report"); }
