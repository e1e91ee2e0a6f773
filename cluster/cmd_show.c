/*
 * cmd_show.c — `rnnsweep show FILE.h5 [--top N] [--by KEY] [--metric M]`:
 * the leaderboard and a group-by comparison of a results file
 * (coordinator/report.h), e.g. LSTM vs GRU vs stacked across folds.
 * Reads only the file: the plan is rebuilt from the INI text it stores.
 */
#include "cluster/commands.h"
#include "coordinator/config.h"
#include "coordinator/plan.h"
#include "coordinator/report.h"
#include "coordinator/results.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f) {
    fprintf(f,
        "usage: rnnsweep show FILE.h5 [--top N] [--by KEY] [--metric M] [--lookahead]\n"
        "Rank every (model point, strategy point) configuration by the mean of a metric over its\n"
        "walk-forward folds (mean +- std, worst fold, buy-and-hold for context), and with --by\n"
        "compare groups: --by model (lstm / gru / stacked), cell, hidden, lookback, lr, kind,\n"
        "threshold, spacing, year, ...\n"
        "  --top N      leaderboard rows (10)\n"
        "  --metric M   sharpe (default), sortino, calmar, roi_pct, cagr_pct, max_dd_pct, vol_pct,\n"
        "               hit_rate_pct, profit_factor, n_trades, exposure_pct, rmse, mae, r2,\n"
        "               dir_acc, accuracy, macro_f1, log_loss, test_loss\n"
        "  --by KEY     group-by table (fold = each test period, year = its calendar year;\n"
        "               every [strategy] key, e.g. correction)\n"
        "  --lookahead  include LOOK-AHEAD rows (correction = motormap_peek), left out by default\n");
}

int cmd_show(int argc, char **argv) {
    const char *path = NULL;
    report_opts o = { .top = 10, .metric = "sharpe", .by = NULL };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
        if (!strcmp(a, "--lookahead")) { o.lookahead = 1; continue; }
        if (!strcmp(a, "--top") || !strcmp(a, "--by") || !strcmp(a, "--metric")) {
            if (i + 1 >= argc) { fprintf(stderr, "rnnsweep show: %s needs a value\n", a); return 2; }
            const char *v = argv[++i];
            if (!strcmp(a, "--top")) {
                char *end;
                long n = strtol(v, &end, 10);
                if (*end || n < 1 || n > 1000000) {
                    fprintf(stderr, "rnnsweep show: --top '%s': expected a positive integer\n", v);
                    return 2;
                }
                o.top = (int)n;
            } else if (!strcmp(a, "--by")) o.by = v;
            else o.metric = v;
            continue;
        }
        if (a[0] == '-' || path) { fprintf(stderr, "rnnsweep show: unexpected argument '%s' (see --help)\n", a); return 2; }
        path = a;
    }
    if (!path) { fprintf(stderr, "rnnsweep show: missing FILE.h5 (see --help)\n"); return 2; }
    rs_err e;
    if (report_check(&o, &e)) { fprintf(stderr, "rnnsweep show: %s\n", e.msg); return 2; }
    results_file r;
    if (results_read(path, &r, &e)) { fprintf(stderr, "rnnsweep: %s\n", e.msg); return e.status; }
    sweep_config c;
    sweep_plan p;
    int rc = config_load_text(r.ini_text, path, &c, &e);
    if (!rc) {
        rc = plan_build(&c, &p, &e);
        if (!rc) {
            rc = report_print(&r, &p, &o, stdout, &e);
            plan_free(&p);
        }
        config_free(&c);
    }
    if (rc) fprintf(stderr, "rnnsweep: %s: %s\n", path, e.msg);
    results_file_free(&r);
    return rc;
}
